//! The lifecycle moves: one RPC per move, each checked by the state machine
//! in [`crate::domain::lifecycle`]. An illegal move is FAILED_PRECONDITION
//! listing the moves allowed now. Only the owner (or a supervisor) moves a
//! complaint. Moves that speak to the customer (a question, a proposed
//! resolution) keep what was said as a customer-visible message, which the
//! SLA clocks count as an update. The customer's acceptance of a complaint's
//! resolution records its root cause, and a complaint's closure passes the
//! service-recovery check (see [`super::recovery`]).

use prost::Message;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::{
    Begun, ComplaintApi, Work, complaint_id, complaint_not_found, convert, fingerprint, request_id,
};
use crate::domain::complaint::{MAX_LONG_TEXT, MAX_REASON};
use crate::domain::lifecycle::{self, IllegalMove, Kind, Move, MoveContext};
use crate::domain::names;
use crate::domain::recovery::{RootCause, Step};
use crate::domain::state::State;
use crate::events::types;
use crate::store::notes::{self, Note, Visibility};
use crate::store::{self};

/// What a move carries besides itself.
enum Extra {
    /// Nothing.
    Nothing,
    /// Words to the customer, kept as a customer-visible message.
    ToCustomer(String),
    /// Words for the record, kept as an internal note (may be empty).
    ForTheRecord(String),
    /// The complaint a duplicate is merged into.
    Into(Uuid),
    /// The root cause the customer's acceptance records (required for kind
    /// complaint, checked once the complaint is read).
    RootCause(Option<RootCause>),
    /// A supervisor's reason to close with recovery steps missing, or empty.
    Close(String),
}

/// The parts every move request has.
struct MoveRequest<'a> {
    name: &'a str,
    etag: &'a str,
    request_id: &'a str,
    /// The request's fingerprint, its `request_id` cleared.
    fingerprint: Vec<u8>,
}

/// The [`MoveRequest`] of a move's request message.
macro_rules! parts {
    ($r:ident) => {
        MoveRequest {
            name: &$r.name,
            etag: &$r.etag,
            request_id: &$r.request_id,
            fingerprint: fingerprint(&$r, |r| r.request_id.clear()),
        }
    };
}

impl ComplaintApi {
    /// Validates the common parts (and `more`), then makes move `m`.
    async fn make_move<R: Message + Default>(
        &self,
        caller: &Caller,
        parts: MoveRequest<'_>,
        m: Move,
        more: impl FnOnce(&mut FieldViolations) -> Option<Extra>,
        wrap: impl FnOnce(pb::Complaint) -> R,
    ) -> Result<R, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "name", parts.name);
        let request_id = request_id(&mut v, parts.request_id);
        let extra = more(&mut v);
        v.into_result()?;
        let (Some(id), Some(extra)) = (id, extra) else {
            return Err(ApiError::Internal);
        };
        // Follow-ups fall in the customer's zone, asked before the
        // transaction so that no lock is held while the customers service
        // answers.
        let zone = if m == Move::Close {
            self.customer_zone(caller, id).await?
        } else {
            None
        };
        let mut work = match self
            .begin::<R>(
                m.rpc(),
                caller,
                request_id,
                &parts.fingerprint,
                id,
                parts.etag,
            )
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        work.acting
            .must_own(&work.before, "move it through its lifecycle")?;
        let from = work.before.state;
        let ctx = MoveContext {
            kind: work.before.description.kind,
            now: work.now,
            resolve_time: work.before.resolve_time,
            close_time: work.before.close_time,
            merged_from: work.before.merged_from,
            reopen_window: self.policies.reopen_window,
        };
        let to = lifecycle::apply(from, m, &ctx).map_err(|e| illegal(&e, from, &ctx))?;
        let needs_recovery = work.before.description.kind == Kind::Complaint;
        work.after.state = to;
        let now = work.now;
        match m {
            Move::Acknowledge => work.after.acknowledge_time = Some(now),
            Move::AcceptResolution => work.after.resolve_time = Some(now),
            Move::Close => work.after.close_time = Some(now),
            Move::Reopen => work.after.reopen_count += 1,
            Move::Unmerge => {
                work.after.merged_from = None;
                work.after.merged_into = None;
            }
            Move::Merge => work.after.merged_from = Some(from),
            _ => {}
        }
        let mut payload =
            json!({ "from_state": from.code(), "to_state": to.code(), "move": m.code() });
        match extra {
            Extra::Nothing => {}
            Extra::ToCustomer(text) => {
                if m == Move::ProposeResolution {
                    work.after.resolution.clone_from(&text);
                }
                self.keep_note(&mut work, Visibility::Customer, text)
                    .await?;
            }
            Extra::ForTheRecord(text) => {
                if !text.is_empty() {
                    self.keep_note(&mut work, Visibility::Internal, text)
                        .await?;
                }
            }
            Extra::Into(target) => {
                self.check_merge_target(&mut work, target).await?;
                work.after.merged_into = Some(target);
                payload["into"] = json!(names::complaint(target));
            }
            Extra::RootCause(None) if needs_recovery => {
                return Err(ApiError::invalid(
                    "root_cause",
                    "is required when the customer accepts a complaint's resolution",
                ));
            }
            Extra::RootCause(None) => {}
            Extra::RootCause(Some(cause)) => {
                payload["root_cause"] = json!(cause.category);
                self.record_root_cause(&mut work, &cause).await?;
            }
            Extra::Close(reason) => {
                if needs_recovery {
                    // The closure schedules the follow-ups itself.
                    let by_closure: &[Step] =
                        if zone.is_some() && !self.policies.follow_up.cadence.is_empty() {
                            &[Step::FollowUp]
                        } else {
                            &[]
                        };
                    self.check_recovery_before_close(&mut work, &reason, by_closure)
                        .await?;
                }
                if !needs_recovery && !reason.is_empty() {
                    return Err(ApiError::invalid(
                        "override_reason",
                        "is only for complaints with recovery steps missing",
                    ));
                }
                if !reason.is_empty() || work.acting.subject != work.before.owner {
                    // A supervisor's override: over missing recovery steps,
                    // or of a complaint someone else owns.
                    let details = [
                        ("recovery_override", (!reason.is_empty()).to_string()),
                        ("owner", work.before.owner.clone()),
                        ("from_state", from.code().to_owned()),
                    ];
                    let name = names::complaint(id);
                    work.audit(super::audit::COMPLAINT_CLOSED, &name, &details);
                }
            }
        }
        let event_type = match m {
            Move::Acknowledge => types::ACKNOWLEDGED,
            Move::AcceptResolution => types::RESOLVED,
            Move::Close => types::CLOSED,
            Move::Reopen => types::REOPENED,
            Move::Merge => types::MERGED,
            Move::Unmerge => types::UNMERGED,
            _ => types::STATE_CHANGED,
        };
        work.announce(event_type, payload);
        // Service recovery after the move, announced after it: a survey
        // invitation on resolution, follow-ups at closure, and a reopening
        // withdraws the one and cancels the other.
        match m {
            Move::AcceptResolution => self.invite_survey(&mut work).await?,
            Move::Close => {
                if let Some(zone) = &zone
                    && self.schedule_follow_ups(&mut work, zone).await? > 0
                {
                    super::recovery::mark_step_done(&mut work, Step::FollowUp, "").await?;
                }
            }
            Move::Reopen => {
                self.withdraw_surveys(&mut work).await?;
                self.cancel_follow_ups(&mut work).await?;
            }
            _ => {}
        }
        self.complete(work, m.code(), wrap).await
    }

    /// Keeps `body` as a note by the acting person; a customer-visible one
    /// is the complaint's first response if there was none.
    async fn keep_note(
        &self,
        work: &mut Work,
        visibility: Visibility,
        body: String,
    ) -> Result<(), ApiError> {
        let note = Note {
            id: Uuid::now_v7(),
            complaint_id: work.after.id,
            author: work.acting.subject.clone(),
            visibility,
            body,
            attachments: Vec::new(),
            assist_id: None,
            create_time: work.now,
        };
        notes::insert(&mut work.tx, &note).await?;
        if visibility == Visibility::Customer && work.after.first_response_time.is_none() {
            work.after.first_response_time = Some(work.now);
        }
        Ok(())
    }

    /// A duplicate goes into another open complaint of the same customer.
    async fn check_merge_target(&self, work: &mut Work, target: Uuid) -> Result<(), ApiError> {
        if target == work.before.id {
            return Err(ApiError::invalid("into", "must be another complaint"));
        }
        let into = store::complaints::get(&mut work.tx, target)
            .await?
            .ok_or_else(|| complaint_not_found(target))?;
        if into.customer_id != work.before.customer_id {
            return Err(ApiError::FailedPrecondition {
                reason: "DIFFERENT_CUSTOMER",
                message: "a complaint can only be merged into one of the same customer".into(),
                allowed: vec![],
            });
        }
        if !into.state.is_open() {
            return Err(ApiError::FailedPrecondition {
                reason: "MERGE_TARGET_NOT_OPEN",
                message: format!(
                    "{} is {}; merge into an open complaint",
                    names::complaint(target),
                    into.state.code()
                ),
                allowed: vec![],
            });
        }
        Ok(())
    }

    pub(super) async fn acknowledge(
        &self,
        caller: &Caller,
        r: pb::AcknowledgeComplaintRequest,
    ) -> Result<pb::AcknowledgeComplaintResponse, ApiError> {
        let parts = parts!(r);
        self.make_move(
            caller,
            parts,
            Move::Acknowledge,
            |_| Some(Extra::Nothing),
            |c| pb::AcknowledgeComplaintResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn start_investigation(
        &self,
        caller: &Caller,
        r: pb::StartInvestigationRequest,
    ) -> Result<pb::StartInvestigationResponse, ApiError> {
        let parts = parts!(r);
        self.make_move(
            caller,
            parts,
            Move::StartInvestigation,
            |_| Some(Extra::Nothing),
            |c| pb::StartInvestigationResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn await_customer(
        &self,
        caller: &Caller,
        r: pb::AwaitCustomerRequest,
    ) -> Result<pb::AwaitCustomerResponse, ApiError> {
        let parts = parts!(r);
        let question = &r.question;
        self.make_move(
            caller,
            parts,
            Move::AwaitCustomer,
            |v| {
                let text = convert::text(v, "question", question, MAX_LONG_TEXT, true);
                Some(Extra::ToCustomer(text))
            },
            |c| pb::AwaitCustomerResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn resume_investigation(
        &self,
        caller: &Caller,
        r: pb::ResumeInvestigationRequest,
    ) -> Result<pb::ResumeInvestigationResponse, ApiError> {
        let parts = parts!(r);
        let answer = &r.customer_answer;
        self.make_move(
            caller,
            parts,
            Move::ResumeInvestigation,
            |v| {
                let text = convert::text(v, "customer_answer", answer, MAX_LONG_TEXT, false);
                Some(Extra::ForTheRecord(text))
            },
            |c| pb::ResumeInvestigationResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn propose_resolution(
        &self,
        caller: &Caller,
        r: pb::ProposeResolutionRequest,
    ) -> Result<pb::ProposeResolutionResponse, ApiError> {
        let parts = parts!(r);
        let resolution = &r.resolution;
        self.make_move(
            caller,
            parts,
            Move::ProposeResolution,
            |v| {
                let text = convert::text(v, "resolution", resolution, MAX_LONG_TEXT, true);
                Some(Extra::ToCustomer(text))
            },
            |c| pb::ProposeResolutionResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn accept_resolution(
        &self,
        caller: &Caller,
        r: pb::AcceptResolutionRequest,
    ) -> Result<pb::AcceptResolutionResponse, ApiError> {
        let parts = parts!(r);
        let given = r.root_cause.as_ref();
        let recovery = &self.policies.recovery;
        self.make_move(
            caller,
            parts,
            Move::AcceptResolution,
            |v| {
                Some(Extra::RootCause(super::recovery::root_cause(
                    v, recovery, given,
                )))
            },
            |c| pb::AcceptResolutionResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn reject_resolution(
        &self,
        caller: &Caller,
        r: pb::RejectResolutionRequest,
    ) -> Result<pb::RejectResolutionResponse, ApiError> {
        let parts = parts!(r);
        let reason = &r.reason;
        self.make_move(
            caller,
            parts,
            Move::RejectResolution,
            |v| {
                let text = convert::text(v, "reason", reason, MAX_REASON, true);
                Some(Extra::ForTheRecord(format!(
                    "The customer rejected the resolution: {text}"
                )))
            },
            |c| pb::RejectResolutionResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn close(
        &self,
        caller: &Caller,
        r: pb::CloseComplaintRequest,
    ) -> Result<pb::CloseComplaintResponse, ApiError> {
        let parts = parts!(r);
        let reason = &r.override_reason;
        self.make_move(
            caller,
            parts,
            Move::Close,
            |v| {
                let text = convert::text(v, "override_reason", reason, MAX_REASON, false);
                Some(Extra::Close(text))
            },
            |c| pb::CloseComplaintResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn reopen(
        &self,
        caller: &Caller,
        r: pb::ReopenComplaintRequest,
    ) -> Result<pb::ReopenComplaintResponse, ApiError> {
        let parts = parts!(r);
        let reason = &r.reason;
        self.make_move(
            caller,
            parts,
            Move::Reopen,
            |v| {
                let text = convert::text(v, "reason", reason, MAX_REASON, true);
                Some(Extra::ForTheRecord(format!("Reopened: {text}")))
            },
            |c| pb::ReopenComplaintResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn merge(
        &self,
        caller: &Caller,
        r: pb::MergeComplaintRequest,
    ) -> Result<pb::MergeComplaintResponse, ApiError> {
        let parts = parts!(r);
        let into = &r.into;
        self.make_move(
            caller,
            parts,
            Move::Merge,
            |v| complaint_id(v, "into", into).map(Extra::Into),
            |c| pb::MergeComplaintResponse { complaint: Some(c) },
        )
        .await
    }

    pub(super) async fn unmerge(
        &self,
        caller: &Caller,
        r: pb::UnmergeComplaintRequest,
    ) -> Result<pb::UnmergeComplaintResponse, ApiError> {
        let parts = parts!(r);
        self.make_move(
            caller,
            parts,
            Move::Unmerge,
            |_| Some(Extra::Nothing),
            |c| pb::UnmergeComplaintResponse { complaint: Some(c) },
        )
        .await
    }
}

/// FAILED_PRECONDITION with the moves allowed now; INTERNAL for stored data
/// that breaks the machine's own rules.
fn illegal(error: &IllegalMove, from: State, ctx: &MoveContext) -> ApiError {
    if error.is_data_error() {
        tracing::error!(%error, "a complaint's stored lifecycle data is inconsistent");
        return ApiError::Internal;
    }
    ApiError::FailedPrecondition {
        reason: error.reason(),
        message: error.to_string(),
        allowed: lifecycle::allowed(from, ctx)
            .into_iter()
            .map(|m| m.rpc().to_owned())
            .collect(),
    }
}
