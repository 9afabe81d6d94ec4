//! Follow-ups after closure (recovery step 7): scheduled when a complaint is
//! closed, on the configured cadence and in the customer's working hours in
//! their own time zone; made due by the scheduler (which skips the rest
//! once the customer transacts again); done by the owner with what came of
//! it; cancelled by a reopening.

use jiff::tz::TimeZone;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::wire;
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::{Begun, ComplaintApi, Work, complaint_id, convert, fingerprint, request_id};
use crate::domain::follow_up::{self, FollowUpState, MAX_OUTCOME};
use crate::domain::names;
use crate::events::types;
use crate::store::follow_ups::{self, FollowUp};

/// The zone follow-ups of a customer are placed in.
#[derive(Debug, Clone)]
pub(super) struct CustomerZone {
    /// Its IANA name.
    pub name: String,
    /// The zone.
    pub zone: TimeZone,
}

impl ComplaintApi {
    /// The zone of complaint `id`'s customer, asked of the customers service
    /// before the closing transaction begins (no lock is held while it
    /// answers): theirs when on record and known, else the configured
    /// default. `None` when no follow-ups will be scheduled: the complaint
    /// does not exist (the move then reports it), is an inquiry or feedback,
    /// or no cadence is configured.
    pub(super) async fn customer_zone(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<CustomerZone>, ApiError> {
        let complaint = {
            let mut conn = self.pool.acquire().await?;
            crate::store::complaints::get(&mut conn, id).await?
        };
        let Some(complaint) = complaint else {
            return Ok(None);
        };
        // Follow-ups are service recovery: for complaints, not for
        // inquiries or feedback, and only when a cadence is configured.
        if complaint.description.kind != crate::domain::lifecycle::Kind::Complaint
            || self.policies.follow_up.cadence.is_empty()
        {
            return Ok(None);
        }
        let name = self
            .directory
            .time_zone(caller, complaint.customer_id)
            .await?;
        let default = &self.policies.follow_up.default_zone;
        let zone = if name.is_empty() {
            None
        } else {
            TimeZone::get(&name).ok()
        };
        Ok(Some(match zone {
            Some(zone) => CustomerZone { name, zone },
            None => CustomerZone {
                name: default.iana_name().unwrap_or("UTC").to_owned(),
                zone: default.clone(),
            },
        }))
    }

    /// Schedules the follow-ups of the closure being made, in its
    /// transaction, and announces how many and when the first falls due;
    /// returns how many.
    pub(super) async fn schedule_follow_ups(
        &self,
        work: &mut Work,
        zone: &CustomerZone,
    ) -> Result<usize, ApiError> {
        let policy = &self.policies.follow_up;
        let mut scheduled = Vec::new();
        for (i, after) in policy.cadence.iter().enumerate() {
            let Some(due_time) = follow_up::due_time(work.now, *after, &zone.zone, &policy.hours)
            else {
                continue;
            };
            scheduled.push(FollowUp {
                id: Uuid::now_v7(),
                complaint_id: work.after.id,
                round: work.after.reopen_count,
                sequence: i32::try_from(i + 1).unwrap_or(i32::MAX),
                due_time,
                time_zone: zone.name.clone(),
                state: FollowUpState::Scheduled,
                outcome: String::new(),
                done_by: String::new(),
                end_time: None,
            });
        }
        if let Some(first) = scheduled.first() {
            work.note_change("follow_ups", "", scheduled.len().to_string());
            work.announce(
                types::FOLLOW_UPS_SCHEDULED,
                json!({
                    "count": scheduled.len(),
                    "first_due_time": first.due_time.to_string(),
                }),
            );
        }
        follow_ups::insert(&mut work.tx, &scheduled).await?;
        Ok(scheduled.len())
    }

    /// Cancels the complaint's follow-ups not yet done (a reopening), in its
    /// transaction.
    pub(super) async fn cancel_follow_ups(&self, work: &mut Work) -> Result<(), ApiError> {
        let cancelled = follow_ups::end_all(
            &mut work.tx,
            work.after.id,
            &[FollowUpState::Scheduled, FollowUpState::Due],
            FollowUpState::Cancelled,
            work.now,
        )
        .await?;
        if !cancelled.is_empty() {
            work.note_change("follow_ups", cancelled.len().to_string(), "0");
            work.announce(
                types::FOLLOW_UPS_CANCELLED,
                json!({ "count": cancelled.len() }),
            );
        }
        Ok(())
    }

    pub(super) async fn complete_follow_up(
        &self,
        caller: &Caller,
        r: pb::CompleteFollowUpRequest,
    ) -> Result<pb::CompleteFollowUpResponse, ApiError> {
        let mut v = FieldViolations::new();
        let ids = v.check("name", names::parse_follow_up(&r.name));
        let outcome = convert::text(&mut v, "outcome", &r.outcome, MAX_OUTCOME, true);
        let request_id = request_id(&mut v, &r.request_id);
        v.into_result()?;
        let (complaint, id) = ids.ok_or(ApiError::Internal)?;
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin("CompleteFollowUp", caller, request_id, &fp, complaint, "")
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        work.acting.must_own(&work.before, "do its follow-ups")?;
        let found = follow_ups::lock(&mut work.tx, complaint, id)
            .await?
            .ok_or_else(|| ApiError::not_found("FollowUp", r.name.clone()))?;
        if found.state != FollowUpState::Due {
            return Err(ApiError::FailedPrecondition {
                reason: "FOLLOW_UP_NOT_DUE",
                message: format!(
                    "{} is {}; only a due follow-up is done",
                    r.name,
                    found.state.code()
                ),
                allowed: vec!["ListFollowUps".into(), "ListMyWork".into()],
            });
        }
        let by = work.acting.subject.clone();
        follow_ups::complete(&mut work.tx, id, &outcome, &by, work.now).await?;
        let done = FollowUp {
            state: FollowUpState::Done,
            outcome,
            done_by: by,
            end_time: Some(work.now),
            ..found
        };
        let name = names::follow_up(complaint, id);
        work.note_change(&format!("{name}.state"), "due", "done");
        work.announce(
            types::FOLLOW_UP_DONE,
            json!({ "follow_up": name, "sequence": done.sequence }),
        );
        let wire = to_wire(&done);
        self.complete(work, "follow_up_done", |_| pb::CompleteFollowUpResponse {
            follow_up: Some(wire),
        })
        .await
    }

    pub(super) async fn list_follow_ups(
        &self,
        caller: &Caller,
        r: pb::ListFollowUpsRequest,
    ) -> Result<pb::ListFollowUpsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        self.require_complaint(&mut conn, caller, id).await?;
        let rows = follow_ups::of_complaint(&mut conn, id).await?;
        Ok(pb::ListFollowUpsResponse {
            follow_ups: rows.iter().map(to_wire).collect(),
        })
    }
}

/// A follow-up on the wire.
pub(super) fn to_wire(f: &FollowUp) -> pb::FollowUp {
    let state = match f.state {
        FollowUpState::Scheduled => pb::FollowUpState::Scheduled,
        FollowUpState::Due => pb::FollowUpState::Due,
        FollowUpState::Done => pb::FollowUpState::Done,
        FollowUpState::Skipped => pb::FollowUpState::Skipped,
        FollowUpState::Cancelled => pb::FollowUpState::Cancelled,
    };
    pb::FollowUp {
        name: names::follow_up(f.complaint_id, f.id),
        sequence: f.sequence,
        due_time: Some(wire::timestamp(f.due_time)),
        state: state.into(),
        time_zone: f.time_zone.clone(),
        outcome: f.outcome.clone(),
        done_by: f.done_by.clone(),
        end_time: wire::timestamp_opt(f.end_time),
    }
}
