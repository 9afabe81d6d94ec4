//! The complaint state machine: which moves take a complaint from one
//! [`State`] to the next, and when a move is refused.
//!
//! The steps follow ISO 10002: receive → acknowledge → investigate (pausing
//! while the customer is asked something) → propose a resolution → the
//! customer accepts (resolved, then closed) or rejects (back to
//! investigating). Inquiries and feedback have nothing to resolve and may be
//! closed straight from acknowledgement or investigation. A resolved or closed
//! complaint can be reopened within a configured window, and a duplicate can
//! be merged into another complaint and unmerged back to where it stood.
//! [`apply`] is the only place these rules live; [`allowed`] lists the moves
//! open now, so a refusal can tell the caller what it may do instead.

use jiff::{SignedDuration, Timestamp};

use super::state::State;

/// What was brought to the company: it decides whether a resolution is needed
/// before closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Something went wrong and the customer wants it put right.
    Complaint,
    /// A question; nothing to resolve.
    Inquiry,
    /// Feedback or praise; nothing to resolve.
    Feedback,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Complaint, Kind::Inquiry, Kind::Feedback];

    /// The kind's code in storage and events: `complaint`, `inquiry`, `feedback`.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Complaint => "complaint",
            Kind::Inquiry => "inquiry",
            Kind::Feedback => "feedback",
        }
    }

    /// The kind with `code`, if any.
    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Whether the customer must accept a resolution before it may be closed
    /// (complaints only; inquiries and feedback have nothing to resolve).
    pub fn needs_resolution(self) -> bool {
        matches!(self, Kind::Complaint)
    }
}

/// A step that changes a complaint's state; each is made by one RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    /// Tell the customer the complaint was received.
    Acknowledge,
    /// Begin finding out what happened.
    StartInvestigation,
    /// Wait for the customer to answer; SLA clocks pause.
    AwaitCustomer,
    /// The customer answered; investigation goes on.
    ResumeInvestigation,
    /// Propose a resolution to the customer.
    ProposeResolution,
    /// The customer accepted the proposed resolution.
    AcceptResolution,
    /// The customer rejected the proposed resolution; it stays open.
    RejectResolution,
    /// Close: done.
    Close,
    /// Reopen a resolved or closed complaint within the reopen window.
    Reopen,
    /// Merge a duplicate into another complaint.
    Merge,
    /// Undo a merge, restoring the state the complaint had before.
    Unmerge,
}

impl Move {
    /// Every move, in lifecycle order; [`allowed`] lists moves in this order.
    pub const ALL: [Move; 11] = [
        Move::Acknowledge,
        Move::StartInvestigation,
        Move::AwaitCustomer,
        Move::ResumeInvestigation,
        Move::ProposeResolution,
        Move::AcceptResolution,
        Move::RejectResolution,
        Move::Close,
        Move::Reopen,
        Move::Merge,
        Move::Unmerge,
    ];

    /// The RPC that makes this move, as the API names it (listed in errors as
    /// the allowed next steps).
    pub fn rpc(self) -> &'static str {
        match self {
            Move::Acknowledge => "AcknowledgeComplaint",
            Move::StartInvestigation => "StartInvestigation",
            Move::AwaitCustomer => "AwaitCustomer",
            Move::ResumeInvestigation => "ResumeInvestigation",
            Move::ProposeResolution => "ProposeResolution",
            Move::AcceptResolution => "AcceptResolution",
            Move::RejectResolution => "RejectResolution",
            Move::Close => "CloseComplaint",
            Move::Reopen => "ReopenComplaint",
            Move::Merge => "MergeComplaint",
            Move::Unmerge => "UnmergeComplaint",
        }
    }

    /// The move's code in history and events: `acknowledge`,
    /// `propose_resolution`, ...
    pub fn code(self) -> &'static str {
        match self {
            Move::Acknowledge => "acknowledge",
            Move::StartInvestigation => "start_investigation",
            Move::AwaitCustomer => "await_customer",
            Move::ResumeInvestigation => "resume_investigation",
            Move::ProposeResolution => "propose_resolution",
            Move::AcceptResolution => "accept_resolution",
            Move::RejectResolution => "reject_resolution",
            Move::Close => "close",
            Move::Reopen => "reopen",
            Move::Merge => "merge",
            Move::Unmerge => "unmerge",
        }
    }

    /// The move with `code`, if any.
    pub fn from_code(code: &str) -> Option<Move> {
        Move::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// What a move needs to know beyond the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveContext {
    /// The complaint's kind.
    pub kind: Kind,
    /// The time of the move, from the service's clock.
    pub now: Timestamp,
    /// When the complaint was resolved (entered Resolved) last, if ever.
    pub resolve_time: Option<Timestamp>,
    /// When it was closed last, if it is closed.
    pub close_time: Option<Timestamp>,
    /// The state it had when merged, if it is merged.
    pub merged_from: Option<State>,
    /// How long after resolution or closure it may be reopened (configurable).
    /// Reopening is allowed up to and including the window's last instant; a
    /// negative window allows no reopening at all.
    pub reopen_window: SignedDuration,
}

/// Why a move was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IllegalMove {
    /// The move is not allowed from this state (for this kind).
    #[error("{} is not allowed while the complaint is {}", .attempted.rpc(), .from.code())]
    NotFromState {
        /// The complaint's state.
        from: State,
        /// The move refused.
        attempted: Move,
    },
    /// The reopen window has passed.
    #[error(
        "the complaint can no longer be reopened: the reopen window of {window:#} after {since} has passed"
    )]
    ReopenWindowPassed {
        /// When the complaint was closed (or resolved, if it is resolved).
        since: Timestamp,
        /// The configured reopen window.
        window: SignedDuration,
    },
    /// Reopen of a resolved or closed complaint whose resolve or close time
    /// is unknown (a data error).
    #[error(
        "the complaint is {} but the time it became so is not recorded, so the reopen window cannot be checked",
        .from.code()
    )]
    ReopenTimeUnknown {
        /// The complaint's state (resolved or closed).
        from: State,
    },
    /// Unmerge of a merged complaint whose earlier state is unknown or not
    /// one a complaint can be merged from (a data error).
    #[error("the complaint cannot be unmerged: the state it had before the merge is not recorded")]
    MergedFromUnknown {
        /// The recorded earlier state, if any (never a mergeable one).
        merged_from: Option<State>,
    },
}

impl IllegalMove {
    /// The `ErrorInfo` reason, in UPPER_SNAKE: `ILLEGAL_TRANSITION`,
    /// `REOPEN_WINDOW_PASSED`, `REOPEN_TIME_UNKNOWN`, `MERGED_FROM_UNKNOWN`.
    pub fn reason(&self) -> &'static str {
        match self {
            IllegalMove::NotFromState { .. } => "ILLEGAL_TRANSITION",
            IllegalMove::ReopenWindowPassed { .. } => "REOPEN_WINDOW_PASSED",
            IllegalMove::ReopenTimeUnknown { .. } => "REOPEN_TIME_UNKNOWN",
            IllegalMove::MergedFromUnknown { .. } => "MERGED_FROM_UNKNOWN",
        }
    }

    /// Whether the refusal comes from inconsistent stored data rather than
    /// the caller (answer `INTERNAL`, not `FAILED_PRECONDITION`).
    pub fn is_data_error(&self) -> bool {
        matches!(
            self,
            IllegalMove::ReopenTimeUnknown { .. } | IllegalMove::MergedFromUnknown { .. }
        )
    }
}

/// Whether a complaint in `state` may be merged into another: any state
/// before resolution. Unmerging returns only to such a state.
pub fn is_mergeable(state: State) -> bool {
    matches!(
        state,
        State::Received
            | State::Acknowledged
            | State::Investigating
            | State::AwaitingCustomer
            | State::ResolutionProposed
    )
}

/// The state after `m`, or why not.
pub fn apply(from: State, m: Move, ctx: &MoveContext) -> Result<State, IllegalMove> {
    let refused = IllegalMove::NotFromState { from, attempted: m };
    match (m, from) {
        (Move::Acknowledge, State::Received) => Ok(State::Acknowledged),
        (Move::StartInvestigation, State::Acknowledged) => Ok(State::Investigating),
        (Move::AwaitCustomer, State::Investigating) => Ok(State::AwaitingCustomer),
        (Move::ResumeInvestigation, State::AwaitingCustomer) => Ok(State::Investigating),
        (Move::ProposeResolution, State::Investigating) => Ok(State::ResolutionProposed),
        (Move::AcceptResolution, State::ResolutionProposed) => Ok(State::Resolved),
        (Move::RejectResolution, State::ResolutionProposed) => Ok(State::Investigating),
        (Move::Close, State::Resolved) => Ok(State::Closed),
        (Move::Close, State::Acknowledged | State::Investigating)
            if !ctx.kind.needs_resolution() =>
        {
            Ok(State::Closed)
        }
        (Move::Reopen, State::Resolved | State::Closed) => reopen(from, ctx),
        (Move::Merge, _) if is_mergeable(from) => Ok(State::Merged),
        (Move::Unmerge, State::Merged) => match ctx.merged_from {
            Some(earlier) if is_mergeable(earlier) => Ok(earlier),
            merged_from => Err(IllegalMove::MergedFromUnknown { merged_from }),
        },
        _ => Err(refused),
    }
}

/// Reopens a resolved or closed complaint if the window since it became so
/// is still open.
fn reopen(from: State, ctx: &MoveContext) -> Result<State, IllegalMove> {
    let since = match from {
        State::Closed => ctx.close_time,
        _ => ctx.resolve_time,
    }
    .ok_or(IllegalMove::ReopenTimeUnknown { from })?;
    // A difference of two timestamps always fits a SignedDuration, so this
    // cannot overflow the way `since + window` could.
    if ctx.now.duration_since(since) <= ctx.reopen_window {
        Ok(State::Investigating)
    } else {
        Err(IllegalMove::ReopenWindowPassed {
            since,
            window: ctx.reopen_window,
        })
    }
}

/// The moves allowed from `state` now (for `FAILED_PRECONDITION` details), in
/// [`Move::ALL`] order.
pub fn allowed(state: State, ctx: &MoveContext) -> Vec<Move> {
    Move::ALL
        .into_iter()
        .filter(|m| apply(state, *m, ctx).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    /// Reopen window open, unmerge possible (back to awaiting customer).
    fn open_context(kind: Kind) -> MoveContext {
        MoveContext {
            kind,
            now: at("2026-06-01T12:00:00Z"),
            resolve_time: Some(at("2026-05-30T12:00:00Z")),
            close_time: Some(at("2026-05-31T12:00:00Z")),
            merged_from: Some(State::AwaitingCustomer),
            reopen_window: days(30),
        }
    }

    const __: Option<State> = None;
    const ACK: Option<State> = Some(State::Acknowledged);
    const INV: Option<State> = Some(State::Investigating);
    const AWT: Option<State> = Some(State::AwaitingCustomer);
    const PRP: Option<State> = Some(State::ResolutionProposed);
    const RES: Option<State> = Some(State::Resolved);
    const CLS: Option<State> = Some(State::Closed);
    const MRG: Option<State> = Some(State::Merged);

    // Rows follow State::ALL, columns Move::ALL:
    //   Ack  Start Await Resume Propose Accept Reject Close Reopen Merge Unmerge
    type Grid = [[Option<State>; 11]; 8];

    #[rustfmt::skip]
    const COMPLAINT: Grid = [
        /* received            */ [ACK, __,  __,  __,  __,  __,  __,  __,  __,  MRG, __ ],
        /* acknowledged        */ [__,  INV, __,  __,  __,  __,  __,  __,  __,  MRG, __ ],
        /* investigating       */ [__,  __,  AWT, __,  PRP, __,  __,  __,  __,  MRG, __ ],
        /* awaiting_customer   */ [__,  __,  __,  INV, __,  __,  __,  __,  __,  MRG, __ ],
        /* resolution_proposed */ [__,  __,  __,  __,  __,  RES, INV, __,  __,  MRG, __ ],
        /* resolved            */ [__,  __,  __,  __,  __,  __,  __,  CLS, INV, __,  __ ],
        /* closed              */ [__,  __,  __,  __,  __,  __,  __,  __,  INV, __,  __ ],
        /* merged              */ [__,  __,  __,  __,  __,  __,  __,  __,  __,  __,  AWT],
    ];

    #[rustfmt::skip]
    const INQUIRY: Grid = [
        /* received            */ [ACK, __,  __,  __,  __,  __,  __,  __,  __,  MRG, __ ],
        /* acknowledged        */ [__,  INV, __,  __,  __,  __,  __,  CLS, __,  MRG, __ ],
        /* investigating       */ [__,  __,  AWT, __,  PRP, __,  __,  CLS, __,  MRG, __ ],
        /* awaiting_customer   */ [__,  __,  __,  INV, __,  __,  __,  __,  __,  MRG, __ ],
        /* resolution_proposed */ [__,  __,  __,  __,  __,  RES, INV, __,  __,  MRG, __ ],
        /* resolved            */ [__,  __,  __,  __,  __,  __,  __,  CLS, INV, __,  __ ],
        /* closed              */ [__,  __,  __,  __,  __,  __,  __,  __,  INV, __,  __ ],
        /* merged              */ [__,  __,  __,  __,  __,  __,  __,  __,  __,  __,  AWT],
    ];

    #[rustfmt::skip]
    const FEEDBACK: Grid = [
        /* received            */ [ACK, __,  __,  __,  __,  __,  __,  __,  __,  MRG, __ ],
        /* acknowledged        */ [__,  INV, __,  __,  __,  __,  __,  CLS, __,  MRG, __ ],
        /* investigating       */ [__,  __,  AWT, __,  PRP, __,  __,  CLS, __,  MRG, __ ],
        /* awaiting_customer   */ [__,  __,  __,  INV, __,  __,  __,  __,  __,  MRG, __ ],
        /* resolution_proposed */ [__,  __,  __,  __,  __,  RES, INV, __,  __,  MRG, __ ],
        /* resolved            */ [__,  __,  __,  __,  __,  __,  __,  CLS, INV, __,  __ ],
        /* closed              */ [__,  __,  __,  __,  __,  __,  __,  __,  INV, __,  __ ],
        /* merged              */ [__,  __,  __,  __,  __,  __,  __,  __,  __,  __,  AWT],
    ];

    #[test]
    fn every_state_move_and_kind_gives_the_result_in_the_table() {
        let mut checked = 0;
        for (kind, grid) in [
            (Kind::Complaint, &COMPLAINT),
            (Kind::Inquiry, &INQUIRY),
            (Kind::Feedback, &FEEDBACK),
        ] {
            let ctx = open_context(kind);
            for (row, from) in grid.iter().zip(State::ALL) {
                for (expected, m) in row.iter().zip(Move::ALL) {
                    let want = expected.ok_or(IllegalMove::NotFromState { from, attempted: m });
                    assert_eq!(
                        apply(from, m, &ctx),
                        want,
                        "{} {} from {}",
                        kind.code(),
                        m.code(),
                        from.code()
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 11 * 3);
    }

    #[test]
    fn a_closed_complaint_reopens_only_within_the_window_after_closing() {
        let mut ctx = open_context(Kind::Complaint);
        ctx.resolve_time = Some(at("2026-01-01T00:00:00Z"));
        ctx.close_time = Some(at("2026-05-02T12:00:00Z"));

        ctx.now = at("2026-06-01T12:00:00Z");
        assert_eq!(
            apply(State::Closed, Move::Reopen, &ctx),
            Ok(State::Investigating)
        );

        ctx.now = at("2026-06-01T12:00:01Z");
        assert_eq!(
            apply(State::Closed, Move::Reopen, &ctx),
            Err(IllegalMove::ReopenWindowPassed {
                since: at("2026-05-02T12:00:00Z"),
                window: days(30),
            })
        );
    }

    #[test]
    fn a_resolved_complaint_reopens_only_within_the_window_after_resolution() {
        let mut ctx = open_context(Kind::Complaint);
        ctx.resolve_time = Some(at("2026-04-01T00:00:00Z"));
        ctx.close_time = None;

        let refused = apply(State::Resolved, Move::Reopen, &ctx);

        assert_eq!(
            refused,
            Err(IllegalMove::ReopenWindowPassed {
                since: at("2026-04-01T00:00:00Z"),
                window: days(30),
            })
        );
        ctx.resolve_time = Some(at("2026-05-15T00:00:00Z"));
        assert_eq!(
            apply(State::Resolved, Move::Reopen, &ctx),
            Ok(State::Investigating)
        );
    }

    #[test]
    fn a_negative_reopen_window_allows_no_reopening() {
        let mut ctx = open_context(Kind::Inquiry);
        ctx.reopen_window = SignedDuration::from_secs(-1);
        ctx.close_time = Some(ctx.now);

        assert_eq!(
            apply(State::Closed, Move::Reopen, &ctx).map_err(|e| e.reason()),
            Err("REOPEN_WINDOW_PASSED")
        );
    }

    #[test]
    fn reopening_without_a_recorded_time_is_a_data_error() {
        let mut ctx = open_context(Kind::Complaint);
        ctx.close_time = None;
        ctx.resolve_time = None;

        for from in [State::Resolved, State::Closed] {
            let refused = apply(from, Move::Reopen, &ctx).expect_err("refused");
            assert_eq!(refused, IllegalMove::ReopenTimeUnknown { from });
            assert!(refused.is_data_error());
        }
    }

    #[test]
    fn unmerging_returns_to_the_state_before_the_merge_and_nowhere_else() {
        let mut ctx = open_context(Kind::Complaint);
        for earlier in State::ALL {
            ctx.merged_from = Some(earlier);
            let result = apply(State::Merged, Move::Unmerge, &ctx);
            if is_mergeable(earlier) {
                assert_eq!(result, Ok(earlier));
            } else {
                assert_eq!(
                    result,
                    Err(IllegalMove::MergedFromUnknown {
                        merged_from: Some(earlier)
                    })
                );
            }
        }
        ctx.merged_from = None;
        let refused = apply(State::Merged, Move::Unmerge, &ctx).expect_err("refused");
        assert_eq!(refused.reason(), "MERGED_FROM_UNKNOWN");
        assert!(refused.is_data_error());
    }

    fn contexts() -> Vec<MoveContext> {
        let mut all = Vec::new();
        for kind in Kind::ALL {
            let open = open_context(kind);
            let mut passed = open;
            passed.now = at("2027-01-01T00:00:00Z");
            let mut unknown = open;
            unknown.resolve_time = None;
            unknown.close_time = None;
            unknown.merged_from = None;
            let mut odd_merge = open;
            odd_merge.merged_from = Some(State::Closed);
            all.extend([open, passed, unknown, odd_merge]);
        }
        all
    }

    #[test]
    fn allowed_lists_exactly_the_moves_apply_accepts() {
        for ctx in contexts() {
            for state in State::ALL {
                let listed = allowed(state, &ctx);
                for m in Move::ALL {
                    assert_eq!(
                        listed.contains(&m),
                        apply(state, m, &ctx).is_ok(),
                        "{} from {} for {:?}",
                        m.code(),
                        state.code(),
                        ctx
                    );
                }
            }
        }
    }

    #[test]
    fn allowed_moves_come_in_lifecycle_order() {
        let ctx = open_context(Kind::Inquiry);

        let moves = allowed(State::Investigating, &ctx);

        assert_eq!(
            moves,
            [
                Move::AwaitCustomer,
                Move::ProposeResolution,
                Move::Close,
                Move::Merge
            ]
        );
    }

    #[test]
    fn a_complaint_cannot_be_closed_before_it_is_resolved_but_an_inquiry_can() {
        let complaint = open_context(Kind::Complaint);
        let inquiry = open_context(Kind::Inquiry);

        assert_eq!(
            apply(State::Investigating, Move::Close, &complaint),
            Err(IllegalMove::NotFromState {
                from: State::Investigating,
                attempted: Move::Close
            })
        );
        assert_eq!(
            apply(State::Investigating, Move::Close, &inquiry),
            Ok(State::Closed)
        );
    }

    #[test]
    fn refusals_read_clearly_and_carry_distinct_upper_snake_reasons() {
        let not_from = IllegalMove::NotFromState {
            from: State::Received,
            attempted: Move::ProposeResolution,
        };
        let passed = IllegalMove::ReopenWindowPassed {
            since: at("2026-05-01T00:00:00Z"),
            window: days(30),
        };
        let time_unknown = IllegalMove::ReopenTimeUnknown {
            from: State::Closed,
        };
        let merge_unknown = IllegalMove::MergedFromUnknown { merged_from: None };

        assert_eq!(
            not_from.to_string(),
            "ProposeResolution is not allowed while the complaint is received"
        );
        assert_eq!(
            passed.to_string(),
            "the complaint can no longer be reopened: the reopen window of 720h after \
             2026-05-01T00:00:00Z has passed"
        );
        assert!(time_unknown.to_string().contains("closed"));
        assert!(merge_unknown.to_string().contains("unmerged"));
        let reasons = [not_from, passed, time_unknown, merge_unknown].map(|e| e.reason());
        assert_eq!(
            reasons,
            [
                "ILLEGAL_TRANSITION",
                "REOPEN_WINDOW_PASSED",
                "REOPEN_TIME_UNKNOWN",
                "MERGED_FROM_UNKNOWN"
            ]
        );
    }

    #[test]
    fn every_kind_and_move_code_reads_back() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_code(kind.code()), Some(kind));
        }
        for m in Move::ALL {
            assert_eq!(Move::from_code(m.code()), Some(m));
        }
        assert_eq!(Kind::from_code("praise"), None);
        assert_eq!(Move::from_code("Reopen"), None);
        assert_eq!(Move::ProposeResolution.code(), "propose_resolution");
    }

    #[test]
    fn every_move_is_made_by_its_own_rpc() {
        let mut rpcs: Vec<&str> = Move::ALL.iter().map(|m| m.rpc()).collect();
        rpcs.sort_unstable();
        rpcs.dedup();

        assert_eq!(rpcs.len(), Move::ALL.len());
        assert_eq!(Move::Close.rpc(), "CloseComplaint");
    }

    /// The state graph, written out by hand.
    const EDGES: &[(State, State)] = &[
        (State::Received, State::Acknowledged),
        (State::Acknowledged, State::Investigating),
        (State::Acknowledged, State::Closed),
        (State::Investigating, State::AwaitingCustomer),
        (State::Investigating, State::ResolutionProposed),
        (State::Investigating, State::Closed),
        (State::AwaitingCustomer, State::Investigating),
        (State::ResolutionProposed, State::Resolved),
        (State::ResolutionProposed, State::Investigating),
        (State::Resolved, State::Closed),
        (State::Resolved, State::Investigating),
        (State::Closed, State::Investigating),
        (State::Received, State::Merged),
        (State::Acknowledged, State::Merged),
        (State::Investigating, State::Merged),
        (State::AwaitingCustomer, State::Merged),
        (State::ResolutionProposed, State::Merged),
        (State::Merged, State::Received),
        (State::Merged, State::Acknowledged),
        (State::Merged, State::Investigating),
        (State::Merged, State::AwaitingCustomer),
        (State::Merged, State::ResolutionProposed),
    ];

    /// What the store keeps about a complaint, updated as a caller would.
    #[derive(Debug)]
    struct Stored {
        state: State,
        resolve_time: Option<Timestamp>,
        close_time: Option<Timestamp>,
        merged_from: Option<State>,
    }

    fn any_move() -> impl Strategy<Value = Move> {
        prop::sample::select(Move::ALL.to_vec())
    }

    fn any_kind() -> impl Strategy<Value = Kind> {
        prop::sample::select(Kind::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn random_moves_stay_on_the_graph_and_unmerging_restores_the_earlier_state(
            kind in any_kind(),
            steps in prop::collection::vec((any_move(), 0i64..400), 0..200),
        ) {
            let mut now = at("2026-01-01T00:00:00Z");
            let mut stored = Stored {
                state: State::Received,
                resolve_time: None,
                close_time: None,
                merged_from: None,
            };
            for (m, hours_later) in steps {
                now += SignedDuration::from_hours(hours_later);
                let ctx = MoveContext {
                    kind,
                    now,
                    resolve_time: stored.resolve_time,
                    close_time: stored.close_time,
                    merged_from: stored.merged_from,
                    reopen_window: days(30),
                };
                let from = stored.state;
                let result = apply(from, m, &ctx);
                prop_assert_eq!(allowed(from, &ctx).contains(&m), result.is_ok());
                if let Err(refused) = result {
                    prop_assert!(!refused.is_data_error(), "{:?} from {:?}", refused, stored);
                    continue;
                }
                let to = result.expect("accepted");
                prop_assert!(EDGES.contains(&(from, to)), "{:?} -> {:?}", from, to);
                match (from, to) {
                    (_, State::Merged) => stored.merged_from = Some(from),
                    (State::Merged, _) => {
                        prop_assert_eq!(Some(to), stored.merged_from);
                        stored.merged_from = None;
                    }
                    (_, State::Resolved) => stored.resolve_time = Some(now),
                    (_, State::Closed) => stored.close_time = Some(now),
                    (State::Closed, _) => stored.close_time = None,
                    _ => {}
                }
                stored.state = to;
                prop_assert_eq!(stored.state == State::Merged, stored.merged_from.is_some());
                if stored.state == State::Closed && kind.needs_resolution() {
                    prop_assert!(stored.resolve_time.is_some(), "closed unresolved");
                }
            }
        }
    }
}
