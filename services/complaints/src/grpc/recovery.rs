//! Service recovery on the wire: recording the seven steps of a complaint's
//! plan, reading the plan, the root cause recorded when the customer
//! accepts a resolution, and the check a closure passes (every required step
//! done, or a supervisor's override with a reason, kept on the plan and in
//! the history). Only complaints of kind complaint have a plan; it is
//! required from the customer's acceptance of a resolution on, and steps
//! may be recorded before (the apology comes first).

use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::wire::{self, WireEnum};
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use sqlx::PgConnection;

use super::{Begun, ComplaintApi, Work, complaint_id, convert, fingerprint, request_id};
use crate::domain::complaint::Complaint;
use crate::domain::lifecycle::Kind;
use crate::domain::names;
use crate::domain::recovery::{
    self, Closure, ClosureRefused, ContactChannel, MAX_DETAIL, Override, Plan, RecoverySettings,
    RootCause, Step, StepDone,
};
use crate::domain::state::State;
use crate::events::{self, types};
use crate::store::history::{self, Actor};
use crate::store::{self};

impl WireEnum for Step {
    type Wire = pb::RecoveryStep;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Step::Apology, pb::RecoveryStep::Apology),
        (Step::Fix, pb::RecoveryStep::Fix),
        (Step::Contact, pb::RecoveryStep::Contact),
        (Step::Goodwill, pb::RecoveryStep::Goodwill),
        (Step::Improvement, pb::RecoveryStep::Improvement),
        (Step::SharedWithStaff, pb::RecoveryStep::SharedWithStaff),
        (Step::FollowUp, pb::RecoveryStep::FollowUp),
    ];
}

impl WireEnum for ContactChannel {
    type Wire = pb::RecoveryChannel;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (ContactChannel::Phone, pb::RecoveryChannel::Phone),
        (ContactChannel::Email, pb::RecoveryChannel::Email),
        (ContactChannel::Sms, pb::RecoveryChannel::Sms),
        (ContactChannel::Chat, pb::RecoveryChannel::Chat),
        (ContactChannel::InPerson, pb::RecoveryChannel::InPerson),
        (ContactChannel::Letter, pb::RecoveryChannel::Letter),
        (
            ContactChannel::SocialMedia,
            pb::RecoveryChannel::SocialMedia,
        ),
        (ContactChannel::MobileApp, pb::RecoveryChannel::MobileApp),
    ];
}

/// Reads an AcceptResolution's root cause, when given: a configured
/// category and a detail of at most [`MAX_DETAIL`] characters.
pub(super) fn root_cause(
    v: &mut FieldViolations,
    settings: &RecoverySettings,
    given: Option<&pb::RootCause>,
) -> Option<RootCause> {
    let pb::RootCause { category, detail } = given?;
    let category = category.trim();
    if category.is_empty() {
        v.add("root_cause.category", "is required");
    } else if !settings.is_root_cause(category) {
        v.add(
            "root_cause.category",
            format!(
                "is not a root-cause category; use one of {}",
                settings.root_cause_categories.join(", ")
            ),
        );
    }
    let detail = convert::text(v, "root_cause.detail", detail, MAX_DETAIL, false);
    Some(RootCause {
        category: category.to_owned(),
        detail,
    })
}

/// Marks `step` of `complaint`'s plan done by `actor` (the service's own
/// work, such as linking an improvement action), and when it was not done
/// before, appends the history entry and the
/// `complaint.recovery_step_recorded` event, all in `conn`'s transaction.
/// Returns whether it was newly done. Complaints of other kinds have no
/// plan and are left alone.
pub(crate) async fn mark_and_announce(
    conn: &mut PgConnection,
    complaint: &Complaint,
    step: Step,
    actor: &Actor,
    now: jiff::Timestamp,
    detail: &str,
) -> Result<bool, ApiError> {
    if complaint.description.kind != Kind::Complaint {
        return Ok(false);
    }
    let fresh =
        store::recovery::mark_done(&mut *conn, complaint.id, step, actor, now, detail).await?;
    if fresh {
        let change = crate::domain::complaint::FieldChange {
            field: format!("recovery.{}", step.code()),
            before: String::new(),
            after: "done".into(),
        };
        history::append(
            &mut *conn,
            complaint.id,
            actor,
            "recovery_step_recorded",
            &[change],
            now,
        )
        .await?;
        let event = events::about(
            types::RECOVERY_STEP_RECORDED,
            complaint,
            now,
            json!({ "step": step.code(), "channel": "" }),
        );
        redress_platform::outbox::append(conn, event).await?;
    }
    Ok(fresh)
}

/// Marks `step` done by the one acting in `work`, within its change, when
/// the complaint has a recovery plan and the step was not done yet: the
/// steps a change does by itself (goodwill given, follow-ups scheduled).
pub(super) async fn mark_step_done(
    work: &mut Work,
    step: Step,
    detail: &str,
) -> Result<(), ApiError> {
    if work.after.description.kind != Kind::Complaint {
        return Ok(());
    }
    let actor = work.acting.actor();
    let fresh =
        store::recovery::mark_done(&mut work.tx, work.after.id, step, &actor, work.now, detail)
            .await?;
    if fresh {
        work.note_change(&format!("recovery.{}", step.code()), "", "done");
        work.announce(
            types::RECOVERY_STEP_RECORDED,
            json!({ "step": step.code(), "channel": "" }),
        );
    }
    Ok(())
}

/// A plan on the wire.
fn wire_plan(complaint: &Complaint, plan: &Plan, required_steps: &[Step]) -> pb::RecoveryPlan {
    let required =
        complaint.description.kind == Kind::Complaint && complaint.resolve_time.is_some();
    let steps = Step::ALL
        .into_iter()
        .map(|step| match plan.done.get(&step) {
            Some(done) => pb::RecoveryStepRecord {
                step: step.to_wire(),
                done: true,
                actor: done.actor.clone(),
                via_service: done.via_service.clone(),
                done_time: Some(wire::timestamp(done.time)),
                channel: wire::to_wire_opt(done.channel),
                note: done.note.clone(),
            },
            None => pb::RecoveryStepRecord {
                step: step.to_wire(),
                ..Default::default()
            },
        })
        .collect();
    pb::RecoveryPlan {
        complaint: names::complaint(complaint.id),
        required,
        steps,
        missing_steps: recovery::missing_steps(plan, required_steps, &[])
            .into_iter()
            .map(Step::to_wire)
            .collect(),
        root_cause: plan.root_cause.as_ref().map(|c| pb::RootCause {
            category: c.category.clone(),
            detail: c.detail.clone(),
        }),
        overrides: plan
            .overrides
            .iter()
            .map(|o| pb::ClosureOverride {
                actor: o.actor.clone(),
                override_time: Some(wire::timestamp(o.time)),
                reason: o.reason.clone(),
                missing_steps: o.missing.iter().map(|s| s.to_wire()).collect(),
            })
            .collect(),
    }
}

impl ComplaintApi {
    /// Keeps the root cause the customer's acceptance records, in the
    /// history too.
    pub(super) async fn record_root_cause(
        &self,
        work: &mut Work,
        cause: &RootCause,
    ) -> Result<(), ApiError> {
        let before = store::recovery::load(&mut work.tx, work.before.id)
            .await?
            .root_cause
            .map(|c| c.category)
            .unwrap_or_default();
        store::recovery::set_root_cause(&mut work.tx, work.before.id, cause, work.now).await?;
        work.note_change("recovery.root_cause", before, cause.category.clone());
        Ok(())
    }

    /// Refuses a complaint's closure with required recovery steps missing,
    /// unless a supervisor gives `reason`; keeps such an override on the
    /// plan, in the history and as an event.
    pub(super) async fn check_recovery_before_close(
        &self,
        work: &mut Work,
        reason: &str,
        by_closure: &[Step],
    ) -> Result<(), ApiError> {
        let plan = store::recovery::load(&mut work.tx, work.before.id).await?;
        let missing =
            recovery::missing_steps(&plan, &self.policies.recovery.required_steps, by_closure);
        match recovery::decide_closure(missing, reason, work.acting.supervisor) {
            Ok(Closure::Complete) => Ok(()),
            Ok(Closure::Overridden(missing)) => {
                let o = Override {
                    actor: work.acting.subject.clone(),
                    via_service: work.acting.via_service.clone(),
                    time: work.now,
                    reason: reason.to_owned(),
                    missing: missing.clone(),
                };
                store::recovery::add_override(&mut work.tx, work.before.id, &o).await?;
                work.note_change(
                    "recovery.override",
                    recovery::codes(&missing),
                    reason.to_owned(),
                );
                let codes: Vec<&str> = missing.iter().map(|s| s.code()).collect();
                work.announce(types::CLOSURE_OVERRIDDEN, json!({ "missing_steps": codes }));
                Ok(())
            }
            Err(refused) => {
                let message = refused.to_string();
                match refused {
                    ClosureRefused::StepsMissing(missing) => {
                        let mut allowed: Vec<String> = missing
                            .iter()
                            .map(|s| format!("RecordRecoveryStep({})", s.code()))
                            .collect();
                        allowed.push("CloseComplaint(override_reason)".into());
                        Err(ApiError::FailedPrecondition {
                            reason: "RECOVERY_STEPS_MISSING",
                            message,
                            allowed,
                        })
                    }
                    ClosureRefused::OverrideNotPermitted => Err(ApiError::PermissionDenied {
                        reason: "OVERRIDE_NOT_PERMITTED",
                        message,
                    }),
                }
            }
        }
    }

    pub(super) async fn record_recovery_step(
        &self,
        caller: &Caller,
        r: pb::RecordRecoveryStepRequest,
    ) -> Result<pb::RecordRecoveryStepResponse, ApiError> {
        let pb::RecordRecoveryStepRequest {
            name,
            step,
            channel,
            note,
            etag,
            request_id: raw_request_id,
        } = &r;
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "name", name);
        let step = convert::enum_field::<Step>(&mut v, "step", *step, true);
        let channel = convert::enum_field::<ContactChannel>(&mut v, "channel", *channel, false);
        if let (Some(step), None) = (step, channel)
            && step.needs_channel()
            && !v.violations().iter().any(|x| x.field == "channel")
        {
            v.add(
                "channel",
                format!("is required for the {} step", step.code()),
            );
        }
        let note = convert::text(&mut v, "note", note, MAX_DETAIL, false);
        let request_id = request_id(&mut v, raw_request_id);
        v.into_result()?;
        let (Some(id), Some(step)) = (id, step) else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin::<pb::RecordRecoveryStepResponse>(
                "RecordRecoveryStep",
                caller,
                request_id,
                &fp,
                id,
                etag,
            )
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        work.acting
            .must_own(&work.before, "record its recovery steps")?;
        if work.before.description.kind != Kind::Complaint {
            return Err(ApiError::FailedPrecondition {
                reason: "NO_RECOVERY_PLAN",
                message: format!(
                    "only complaints have a recovery plan; this is {}",
                    work.before.description.kind.code()
                ),
                allowed: vec![],
            });
        }
        if work.before.state == State::Merged {
            return Err(ApiError::FailedPrecondition {
                reason: "COMPLAINT_MERGED",
                message: "the complaint is merged into another; record steps there".into(),
                allowed: vec!["UnmergeComplaint".into()],
            });
        }
        let done = StepDone {
            actor: work.acting.subject.clone(),
            via_service: work.acting.via_service.clone(),
            time: work.now,
            channel,
            note,
        };
        if !store::recovery::record(&mut work.tx, id, step, &done).await? {
            return Err(ApiError::FailedPrecondition {
                reason: "STEP_ALREADY_DONE",
                message: format!(
                    "the {} step is done already; GetRecoveryPlan shows who did it and when",
                    step.code()
                ),
                allowed: vec!["GetRecoveryPlan".into()],
            });
        }
        work.note_change(format!("recovery.{}", step.code()).as_str(), "", "done");
        work.announce(
            types::RECOVERY_STEP_RECORDED,
            json!({
                "step": step.code(),
                "channel": channel.map_or("", ContactChannel::code),
            }),
        );
        let plan = store::recovery::load(&mut work.tx, id).await?;
        let wire = wire_plan(&work.after, &plan, &self.policies.recovery.required_steps);
        self.complete(work, "recovery_step_recorded", |_| {
            pb::RecordRecoveryStepResponse { plan: Some(wire) }
        })
        .await
    }

    pub(super) async fn get_recovery_plan(
        &self,
        caller: &Caller,
        r: pb::GetRecoveryPlanRequest,
    ) -> Result<pb::GetRecoveryPlanResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "name", &r.name);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let complaint = self.require_complaint(&mut conn, caller, id).await?;
        if complaint.description.kind != Kind::Complaint {
            return Err(ApiError::FailedPrecondition {
                reason: "NO_RECOVERY_PLAN",
                message: format!(
                    "only complaints have a recovery plan; this is {}",
                    complaint.description.kind.code()
                ),
                allowed: vec![],
            });
        }
        let plan = store::recovery::load(&mut conn, id).await?;
        Ok(pb::GetRecoveryPlanResponse {
            plan: Some(wire_plan(
                &complaint,
                &plan,
                &self.policies.recovery.required_steps,
            )),
        })
    }
}
