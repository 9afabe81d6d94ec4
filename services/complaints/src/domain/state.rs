//! Where a complaint stands in its lifecycle. The moves between states, and
//! which are allowed when, are in [`super::lifecycle`]; how each state bears
//! on the SLA clocks is in [`super::sla`].

/// A complaint's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Recorded; the customer has not yet been told it was received.
    Received,
    /// The customer was told it was received.
    Acknowledged,
    /// Someone is finding out what happened.
    Investigating,
    /// Waiting for the customer to answer; SLA clocks pause.
    AwaitingCustomer,
    /// A resolution was proposed; waiting for the customer's decision.
    ResolutionProposed,
    /// The customer accepted the resolution.
    Resolved,
    /// Done; may be reopened within the reopen window.
    Closed,
    /// A duplicate, merged into another complaint; unmerging restores the
    /// state it had before.
    Merged,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 8] = [
        State::Received,
        State::Acknowledged,
        State::Investigating,
        State::AwaitingCustomer,
        State::ResolutionProposed,
        State::Resolved,
        State::Closed,
        State::Merged,
    ];

    /// The state's code in storage and events: `received`, `awaiting_customer`, ...
    pub fn code(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Acknowledged => "acknowledged",
            State::Investigating => "investigating",
            State::AwaitingCustomer => "awaiting_customer",
            State::ResolutionProposed => "resolution_proposed",
            State::Resolved => "resolved",
            State::Closed => "closed",
            State::Merged => "merged",
        }
    }

    /// The state with `code`, if any.
    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.code() == code)
    }

    /// Whether work on the complaint is still to be done (not resolved,
    /// closed or merged).
    pub fn is_open(self) -> bool {
        !matches!(self, State::Resolved | State::Closed | State::Merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_code_reads_back_as_its_state() {
        for state in State::ALL {
            assert_eq!(State::from_code(state.code()), Some(state));
        }
        assert_eq!(State::from_code("lost"), None);
    }
}
