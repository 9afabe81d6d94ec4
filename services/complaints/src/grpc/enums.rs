//! Wire enums ⇄ domain enums of the complaints contract, each pair listed
//! once and used both ways (see [`WireEnum`]).

use redress_platform::wire::WireEnum;
use redress_proto::complaints::v1 as pb;

use crate::domain::complaint::{Channel, EscalationReached, Motive};
use crate::domain::lifecycle::Kind;
use crate::domain::priority::{Grade, Priority, Severity};
use crate::domain::sla::ClockKind;
use crate::domain::state::State;

impl WireEnum for Channel {
    type Wire = pb::Channel;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Channel::Phone, pb::Channel::Phone),
        (Channel::Email, pb::Channel::Email),
        (Channel::Chat, pb::Channel::Chat),
        (Channel::WebForm, pb::Channel::WebForm),
        (Channel::SocialMedia, pb::Channel::SocialMedia),
        (Channel::InPerson, pb::Channel::InPerson),
        (Channel::Letter, pb::Channel::Letter),
        (Channel::MobileApp, pb::Channel::MobileApp),
    ];
}

impl WireEnum for Kind {
    type Wire = pb::ComplaintKind;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Kind::Complaint, pb::ComplaintKind::Complaint),
        (Kind::Inquiry, pb::ComplaintKind::Inquiry),
        (Kind::Feedback, pb::ComplaintKind::Feedback),
    ];
}

impl WireEnum for Motive {
    type Wire = pb::CustomerMotive;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Motive::Compensation, pb::CustomerMotive::Compensation),
        (Motive::SelfRespect, pb::CustomerMotive::SelfRespect),
    ];
}

impl WireEnum for Severity {
    type Wire = pb::Severity;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Severity::Low, pb::Severity::Low),
        (Severity::Medium, pb::Severity::Medium),
        (Severity::High, pb::Severity::High),
        (Severity::Critical, pb::Severity::Critical),
    ];
}

impl WireEnum for Priority {
    type Wire = pb::Priority;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Priority::P1, pb::Priority::P1),
        (Priority::P2, pb::Priority::P2),
        (Priority::P3, pb::Priority::P3),
        (Priority::P4, pb::Priority::P4),
    ];
}

impl WireEnum for Grade {
    type Wire = pb::CustomerGrade;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Grade::A, pb::CustomerGrade::A),
        (Grade::B, pb::CustomerGrade::B),
        (Grade::C, pb::CustomerGrade::C),
        (Grade::D, pb::CustomerGrade::D),
        (Grade::Ungraded, pb::CustomerGrade::Ungraded),
    ];
}

impl WireEnum for EscalationReached {
    type Wire = pb::EscalationReached;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (EscalationReached::Employee, pb::EscalationReached::Employee),
        (EscalationReached::Manager, pb::EscalationReached::Manager),
        (
            EscalationReached::Regulator,
            pb::EscalationReached::Regulator,
        ),
        (EscalationReached::Media, pb::EscalationReached::Media),
        (
            EscalationReached::ToldFriends,
            pb::EscalationReached::ToldFriends,
        ),
        (
            EscalationReached::NeverReturn,
            pb::EscalationReached::NeverReturn,
        ),
    ];
}

impl WireEnum for State {
    type Wire = pb::ComplaintState;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (State::Received, pb::ComplaintState::Received),
        (State::Acknowledged, pb::ComplaintState::Acknowledged),
        (State::Investigating, pb::ComplaintState::Investigating),
        (
            State::AwaitingCustomer,
            pb::ComplaintState::AwaitingCustomer,
        ),
        (
            State::ResolutionProposed,
            pb::ComplaintState::ResolutionProposed,
        ),
        (State::Resolved, pb::ComplaintState::Resolved),
        (State::Closed, pb::ComplaintState::Closed),
        (State::Merged, pb::ComplaintState::Merged),
    ];
}

impl WireEnum for ClockKind {
    type Wire = pb::SlaClockKind;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (
            ClockKind::Acknowledgement,
            pb::SlaClockKind::Acknowledgement,
        ),
        (ClockKind::FirstResponse, pb::SlaClockKind::FirstResponse),
        (ClockKind::Update, pb::SlaClockKind::Update),
        (ClockKind::Resolution, pb::SlaClockKind::Resolution),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: WireEnum + std::fmt::Debug>(values: &[T]) {
        for value in values {
            assert_eq!(T::from_wire(value.to_wire()), Ok(Some(*value)));
        }
        assert_eq!(T::from_wire(0), Ok(None));
        assert!(T::from_wire(999).is_err());
    }

    #[test]
    fn every_domain_value_has_a_wire_value_and_back() {
        round_trips(Channel::ALL);
        round_trips(&Kind::ALL);
        round_trips(Motive::ALL);
        round_trips(&Severity::ALL);
        round_trips(&Priority::ALL);
        round_trips(&Grade::ALL);
        round_trips(EscalationReached::ALL);
        round_trips(&State::ALL);
        round_trips(&ClockKind::ALL);
    }
}
