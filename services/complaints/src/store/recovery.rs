//! Recovery plans in SQL: the steps done (one row per step, so recording a
//! step again changes nothing), the root cause, the closures supervisors
//! allowed with steps missing, and the figures of how often each step is
//! done. [`mark_done`] is how other parts of the service record the steps
//! they do themselves (goodwill given, follow-ups scheduled, an improvement
//! action linked), inside their own transaction.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::PgConnection;
use uuid::Uuid;

use super::history::Actor;
use super::{StoreError, optional_code, ts};
use crate::domain::recovery::{ContactChannel, Override, Plan, RootCause, Step, StepDone};

/// Creates complaint `id`'s plan unless it exists.
pub async fn ensure(conn: &mut PgConnection, id: Uuid, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO recovery_plans (complaint_id, create_time, update_time)
         VALUES ($1, $2, $2) ON CONFLICT (complaint_id) DO NOTHING",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records `step` of complaint `id` as done (creating the plan if needed);
/// returns whether it was newly done (false when it was done already, which
/// is left as it was).
pub async fn record(
    conn: &mut PgConnection,
    id: Uuid,
    step: Step,
    done: &StepDone,
) -> Result<bool, StoreError> {
    ensure(&mut *conn, id, done.time).await?;
    let inserted = sqlx::query(
        "INSERT INTO recovery_steps
             (complaint_id, step, actor, via_service, channel, note, done_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (complaint_id, step) DO NOTHING",
    )
    .bind(id)
    .bind(step.code())
    .bind(&done.actor)
    .bind(&done.via_service)
    .bind(done.channel.map_or("", ContactChannel::code))
    .bind(&done.note)
    .bind(done.time.to_sqlx())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        touch(conn, id, done.time).await?;
    }
    Ok(inserted)
}

/// Marks `step` of complaint `complaint_id` done by `actor` at `now` with a
/// short `detail` (no channel), for the steps the service records itself:
/// the goodwill ledger (GOODWILL), follow-ups scheduled at closure
/// (FOLLOW_UP), an improvement action linked (IMPROVEMENT). Idempotent: a
/// step done already stays as first recorded, and the answer is false. Call
/// it in the transaction of the change that did the step; the caller
/// records the history entry and the `complaint.recovery_step_recorded`
/// event when the answer is true.
pub async fn mark_done(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    step: Step,
    actor: &Actor,
    now: Timestamp,
    detail: &str,
) -> Result<bool, StoreError> {
    let done = StepDone {
        actor: actor.subject.clone(),
        via_service: actor.via_service.clone(),
        time: now,
        channel: None,
        note: detail.to_owned(),
    };
    record(conn, complaint_id, step, &done).await
}

async fn touch(conn: &mut PgConnection, id: Uuid, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE recovery_plans SET update_time = $2 WHERE complaint_id = $1")
        .bind(id)
        .bind(now.to_sqlx())
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets complaint `id`'s root cause (creating the plan if needed).
pub async fn set_root_cause(
    conn: &mut PgConnection,
    id: Uuid,
    cause: &RootCause,
    now: Timestamp,
) -> Result<(), StoreError> {
    ensure(&mut *conn, id, now).await?;
    sqlx::query(
        "UPDATE recovery_plans SET root_cause = $2, root_cause_detail = $3, update_time = $4
         WHERE complaint_id = $1",
    )
    .bind(id)
    .bind(&cause.category)
    .bind(&cause.detail)
    .bind(now.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps a supervisor's override of a closure of complaint `id`.
pub async fn add_override(
    conn: &mut PgConnection,
    id: Uuid,
    o: &Override,
) -> Result<(), StoreError> {
    ensure(&mut *conn, id, o.time).await?;
    let missing: Vec<&str> = o.missing.iter().map(|s| s.code()).collect();
    sqlx::query(
        "INSERT INTO closure_overrides
             (id, complaint_id, actor, via_service, reason, missing_steps, override_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(&o.actor)
    .bind(&o.via_service)
    .bind(&o.reason)
    .bind(&missing)
    .bind(o.time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    touch(conn, id, o.time).await
}

fn step_of(code: &str) -> Result<Step, StoreError> {
    Step::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("unknown step {code:?}")))
}

/// Complaint `id`'s plan; empty when nothing was recorded yet.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Plan, StoreError> {
    let mut plan = Plan::default();
    let cause: Option<(String, String)> = sqlx::query_as(
        "SELECT root_cause, root_cause_detail FROM recovery_plans WHERE complaint_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((category, detail)) = cause else {
        return Ok(plan);
    };
    if !category.is_empty() {
        plan.root_cause = Some(RootCause { category, detail });
    }
    type StepRow = (String, String, String, String, String, jiff_sqlx::Timestamp);
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT step, actor, via_service, channel, note, done_time
         FROM recovery_steps WHERE complaint_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for (step, actor, via_service, channel, note, at) in steps {
        let channel = optional_code(&channel, "recovery channel", ContactChannel::from_code)?;
        plan.done.insert(
            step_of(&step)?,
            StepDone {
                actor,
                via_service,
                time: ts(at),
                channel,
                note,
            },
        );
    }
    type OverrideRow = (String, String, String, Vec<String>, jiff_sqlx::Timestamp);
    let overrides: Vec<OverrideRow> = sqlx::query_as(
        "SELECT actor, via_service, reason, missing_steps, override_time
         FROM closure_overrides WHERE complaint_id = $1 ORDER BY override_time, id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    for (actor, via_service, reason, missing, at) in overrides {
        plan.overrides.push(Override {
            actor,
            via_service,
            time: ts(at),
            reason,
            missing: missing
                .iter()
                .map(|c| step_of(c))
                .collect::<Result<_, _>>()?,
        });
    }
    Ok(plan)
}

/// The root-cause categories of complaints `ids` that have one.
pub async fn root_causes(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, StoreError> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT complaint_id, root_cause FROM recovery_plans
         WHERE complaint_id = ANY($1) AND root_cause <> ''",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// How often recovery steps are done.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryStats {
    /// Plans of complaints (kind complaint) last resolved in the period.
    pub plans: i64,
    /// Of those, how many have each step done, by step code.
    pub steps_done: BTreeMap<String, i64>,
    /// Of those, how many were closed by an override.
    pub closes_by_override: i64,
}

/// The figures for complaints of kind complaint last resolved in `[start,
/// end)`, of `team` when given.
pub async fn stats(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
    team: Option<&str>,
) -> Result<RecoveryStats, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "WITH scope AS (
             SELECT p.complaint_id FROM recovery_plans p JOIN complaints c ON c.id = p.complaint_id
             WHERE c.kind = 'complaint' AND c.resolve_time >= $1 AND c.resolve_time < $2
               AND ($3::text IS NULL OR c.owner_team = $3)
         )
         SELECT 'plans', count(*) FROM scope
         UNION ALL
         SELECT 'overrides', count(DISTINCT o.complaint_id)
             FROM closure_overrides o JOIN scope s ON s.complaint_id = o.complaint_id
         UNION ALL
         SELECT 'step:' || r.step, count(*)
             FROM recovery_steps r JOIN scope s ON s.complaint_id = r.complaint_id
             GROUP BY r.step",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .bind(team)
    .fetch_all(conn)
    .await?;
    let mut stats = RecoveryStats::default();
    for (key, count) in rows {
        match key.strip_prefix("step:") {
            Some(step) => {
                stats.steps_done.insert(step.to_owned(), count);
            }
            None if key == "plans" => stats.plans = count,
            None => stats.closes_by_override = count,
        }
    }
    Ok(stats)
}
