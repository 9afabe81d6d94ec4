//! The SLA scheduler: raises each due alarm of a complaint (a warning before
//! a deadline, the breach at it, and the steps of the escalation ladder
//! after it) exactly once, as an event on the feed and an entry in the
//! complaint's history, and lets hand-off offers that nobody answered lapse.
//! Escalation informs the person named by the ladder; it never moves
//! ownership.
//!
//! It also makes follow-ups of closed complaints due ([`follow_ups_once`]).
//!
//! Safe with several replicas: each complaint is taken with
//! `FOR UPDATE SKIP LOCKED` (another replica, or a change in progress,
//! holds it: it is left for the next pass), and an alarm is marked raised in
//! the transaction that announces it.

use jiff::Timestamp;
use redress_platform::outbox::{self, NewEvent};
use serde_json::json;
use sqlx::PgPool;

use crate::directory::CustomerDirectory;
use crate::domain::complaint::{Complaint, FieldChange};
use crate::domain::names;
use crate::domain::sla_policy::EscalationTarget;
use crate::events::{self, types};
use crate::settings::Policies;
use crate::store::history::{self, Actor};
use crate::store::ownership::{self, OfferState};
use crate::store::{self, StoreError};

/// Most complaints one pass takes.
const BATCH: u32 = 200;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Alarms raised.
    pub alarms: usize,
    /// Offers that lapsed.
    pub expired_offers: usize,
}

/// Raises every alarm due at `now` and lapses expired offers.
pub async fn run_once(
    pool: &PgPool,
    policies: &Policies,
    now: Timestamp,
) -> Result<Pass, StoreError> {
    let mut pass = Pass::default();
    loop {
        let due = {
            let mut conn = pool.acquire().await?;
            store::sla::complaints_due(&mut conn, now, BATCH).await?
        };
        let mut raised = 0;
        for id in &due {
            match raise_alarms(pool, policies, *id, now).await {
                Ok(n) => raised += n,
                Err(error) => skip(error, "raising its alarms", *id)?,
            }
        }
        pass.alarms += raised;
        if due.len() < BATCH as usize || raised == 0 {
            break;
        }
    }
    let expired = {
        let mut conn = pool.acquire().await?;
        ownership::expired_offers(&mut conn, now, BATCH).await?
    };
    for (complaint, offer) in expired {
        match lapse_offer(pool, policies, complaint, offer, now).await {
            Ok(true) => pass.expired_offers += 1,
            Ok(false) => {}
            Err(error) => skip(error, "lapsing its hand-off offer", complaint)?,
        }
    }
    Ok(pass)
}

/// A failure on one complaint: one the database refused for that row, or
/// that it cannot read, is logged and the pass goes on to the others (so
/// one bad row never silences every alarm); anything else (the database
/// unreachable) ends the pass.
fn skip(error: StoreError, doing: &str, complaint: uuid::Uuid) -> Result<(), StoreError> {
    match error {
        StoreError::Corrupt(_) | StoreError::Database(sqlx::Error::Database(_)) => {
            tracing::error!(%error, %complaint, "the scheduler skipped a complaint while {doing}");
            Ok(())
        }
        other => Err(other),
    }
}

async fn raise_alarms(
    pool: &PgPool,
    policies: &Policies,
    id: uuid::Uuid,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut tx = pool.begin().await?;
    let Some(complaint) = store::complaints::try_lock(&mut tx, id).await? else {
        return Ok(0);
    };
    let due = store::sla::due_alarms_of(&mut tx, id, now).await?;
    let team = if complaint.owner_team.is_empty() {
        None
    } else {
        store::teams::get(&mut tx, &complaint.owner_team).await?
    };
    for alarm in &due {
        let a = &alarm.alarm;
        let mut payload = json!({
            "clock": a.clock,
            "due_time": a.due_time.to_string(),
            "cycle_start_time": a.cycle_start.to_string(),
        });
        let (event_type, action) = match a.step.as_str() {
            "warning" => (types::SLA_WARNING, "sla_warning"),
            "breach" => (types::SLA_BREACHED, "sla_breached"),
            step => {
                let level: usize = step
                    .strip_prefix("escalation:")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let target = level
                    .checked_sub(1)
                    .and_then(|i| policies.sla.escalation.get(i))
                    .map(|s| s.to);
                let recipient = match target {
                    Some(EscalationTarget::Owner) => complaint.owner.clone(),
                    Some(EscalationTarget::TeamSupervisor) => team
                        .as_ref()
                        .map(|t| t.supervisor.clone())
                        .unwrap_or_default(),
                    Some(EscalationTarget::DepartmentHead) => team
                        .as_ref()
                        .map(|t| t.department_head.clone())
                        .unwrap_or_default(),
                    None => String::new(),
                };
                if recipient.is_empty() {
                    tracing::warn!(
                        complaint = %names::complaint(id),
                        level,
                        "an escalation step has nobody to inform; configure the team"
                    );
                }
                payload["level"] = json!(level);
                payload["escalate_to"] = json!(recipient);
                payload["escalation_role"] =
                    json!(target.map(EscalationTarget::code).unwrap_or_default());
                (types::SLA_ESCALATED, "sla_escalated")
            }
        };
        let change = FieldChange {
            field: format!("sla.{}", a.clock),
            before: String::new(),
            after: a.step.clone(),
        };
        history::append(&mut tx, id, &Actor::system("sla"), action, &[change], now).await?;
        store::sla::mark_fired(&mut tx, alarm, now).await?;
        let event: NewEvent = events::about(event_type, &complaint, now, payload);
        append(&mut tx, event).await?;
    }
    tx.commit().await?;
    crate::metrics::alarms_raised(complaint.priority, &due);
    if !due.is_empty() {
        tracing::info!(complaint = %names::complaint(id), alarms = due.len(), "raised SLA alarms");
    }
    Ok(due.len())
}

/// Lapses offer `offer_id` of complaint `complaint_id` if it is still
/// pending past its expiry at `now`, in a transaction of its own; `false`
/// when there was nothing to do (or another transaction holds the
/// complaint: the next pass comes back to it).
async fn lapse_offer(
    pool: &PgPool,
    policies: &Policies,
    complaint_id: uuid::Uuid,
    offer_id: uuid::Uuid,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let Some(mut complaint) = store::complaints::try_lock(&mut tx, complaint_id).await? else {
        return Ok(false);
    };
    let Some(offer) = ownership::get_hand_off(&mut tx, complaint_id, offer_id).await? else {
        return Ok(false);
    };
    if offer.state != OfferState::Pending || offer.expire_time > now {
        return Ok(false);
    }
    lapse(&mut tx, &mut complaint, offer_id, policies, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Lets offer `offer_id` of `complaint` (pending, past its expiry) lapse at
/// `now`, in the caller's transaction with the complaint locked: the offer
/// is marked expired by `system:hand_offs`, the complaint written back (its
/// version bumped, which `complaint` then carries), and the history entry,
/// the clocks and the `hand_off_expired` event follow as for any change.
/// The scheduler lapses offers nobody answered this way; a new hand-off or
/// a reassignment lapses one the scheduler has not reached yet the same
/// way.
pub(crate) async fn lapse(
    conn: &mut sqlx::PgConnection,
    complaint: &mut Complaint,
    offer_id: uuid::Uuid,
    policies: &Policies,
    now: Timestamp,
) -> Result<(), StoreError> {
    let complaint_id = complaint.id;
    ownership::decide_hand_off(
        conn,
        offer_id,
        OfferState::Expired,
        "system:hand_offs",
        "",
        now,
    )
    .await?;
    complaint.update_time = now;
    complaint.version = store::complaints::save(conn, complaint).await?;
    let name = names::hand_off(complaint_id, offer_id);
    let change = FieldChange {
        field: "pending_hand_off".into(),
        before: name.clone(),
        after: String::new(),
    };
    history::append(
        conn,
        complaint_id,
        &Actor::system("hand_offs"),
        "hand_off_expired",
        &[change],
        now,
    )
    .await?;
    crate::clocks::refresh(conn, complaint, policies, now).await?;
    let event = events::about(
        types::HAND_OFF_EXPIRED,
        complaint,
        now,
        json!({ "hand_off": name }),
    );
    append(conn, event).await
}

async fn append(conn: &mut sqlx::PgConnection, event: NewEvent) -> Result<(), StoreError> {
    match outbox::append(conn, event).await {
        Ok(_) => Ok(()),
        Err(outbox::OutboxError::Database(error)) => Err(StoreError::Database(error)),
        Err(error) => Err(StoreError::Corrupt(format!(
            "an event could not be appended: {error}"
        ))),
    }
}

/// How far after a closure a purchase still means the customer came back:
/// the longest window GetCustomerOutcomes takes.
const RETURN_HORIZON: jiff::SignedDuration = jiff::SignedDuration::from_hours(3660 * 24);

/// What a follow-up pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowUpPass {
    /// Follow-ups made due (and announced).
    pub due: usize,
    /// Follow-ups skipped because the customer came back.
    pub skipped: usize,
}

/// Makes every scheduled follow-up due at `now` due: first asks the
/// customers service (holding no transaction, once per batch) whether the
/// customer bought again since the closure; if so the complaint's remaining
/// follow-ups are skipped, else each due one is announced
/// (`complaint.follow_up_due`) and enters the owner's queue. A follow-up
/// moves from scheduled in the transaction that announces it, under the
/// complaint's lock, so it is never announced twice. A customer the
/// customers service cannot tell about now is left for the next pass.
pub async fn follow_ups_once(
    pool: &PgPool,
    directory: &CustomerDirectory,
    now: Timestamp,
) -> Result<FollowUpPass, StoreError> {
    let mut pass = FollowUpPass::default();
    loop {
        let due = {
            let mut conn = pool.acquire().await?;
            store::follow_ups::complaints_due(&mut conn, now, BATCH).await?
        };
        if due.is_empty() {
            break;
        }
        // One question for the whole batch, by the same rule the insights
        // use: a purchase or renewal after the closure.
        let since_closure: Vec<_> = due.iter().map(|d| (d.customer_id, d.close_time)).collect();
        let outcomes = match directory
            .outcomes(None, &since_closure, RETURN_HORIZON)
            .await
        {
            Ok(outcomes) => outcomes,
            Err(error) => {
                tracing::warn!(
                    ?error,
                    "the customers service could not say whether customers came back; \
                     the follow-ups wait for the next pass"
                );
                break;
            }
        };
        let mut progressed = 0;
        for (d, outcome) in due.iter().zip(outcomes) {
            match follow_up(pool, d.complaint_id, outcome.returned, now).await {
                Ok(done) => {
                    pass.due += done.due;
                    pass.skipped += done.skipped;
                    progressed += done.due + done.skipped;
                }
                Err(error) => skip(error, "making its follow-ups due", d.complaint_id)?,
            }
        }
        if due.len() < BATCH as usize || progressed == 0 {
            break;
        }
    }
    Ok(pass)
}

/// Makes complaint `id`'s follow-ups due at `now` due, or skips every one
/// still scheduled when the customer `returned`, in one transaction.
async fn follow_up(
    pool: &PgPool,
    id: uuid::Uuid,
    returned: bool,
    now: Timestamp,
) -> Result<FollowUpPass, StoreError> {
    use crate::domain::follow_up::FollowUpState;
    let mut tx = pool.begin().await?;
    let Some(complaint) = store::complaints::try_lock(&mut tx, id).await? else {
        return Ok(FollowUpPass::default());
    };
    let due = store::follow_ups::lock_due(&mut tx, id, now).await?;
    if due.is_empty() {
        return Ok(FollowUpPass::default());
    }
    let actor = Actor::system("follow_ups");
    let mut pass = FollowUpPass::default();
    if returned {
        let skipped = store::follow_ups::end_all(
            &mut tx,
            id,
            &[FollowUpState::Scheduled],
            FollowUpState::Skipped,
            now,
        )
        .await?;
        let change = FieldChange {
            field: "follow_ups".into(),
            before: skipped.len().to_string(),
            after: "0".into(),
        };
        history::append(&mut tx, id, &actor, "follow_ups_skipped", &[change], now).await?;
        let payload = json!({ "count": skipped.len(), "reason": "customer_returned" });
        append(
            &mut tx,
            events::about(types::FOLLOW_UPS_SKIPPED, &complaint, now, payload),
        )
        .await?;
        pass.skipped = skipped.len();
    } else {
        for f in &due {
            store::follow_ups::make_due(&mut tx, f.id).await?;
            let name = names::follow_up(id, f.id);
            let change = FieldChange {
                field: format!("{name}.state"),
                before: "scheduled".into(),
                after: "due".into(),
            };
            history::append(&mut tx, id, &actor, "follow_up_due", &[change], now).await?;
            let payload = json!({
                "follow_up": name,
                "sequence": f.sequence,
                "due_time": f.due_time.to_string(),
            });
            append(
                &mut tx,
                events::about(types::FOLLOW_UP_DUE, &complaint, now, payload),
            )
            .await?;
        }
        pass.due = due.len();
    }
    tx.commit().await?;
    Ok(pass)
}
