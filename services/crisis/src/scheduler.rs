//! The crisis scheduler: every `scheduler_interval_ms` it finds open tasks
//! past their due time (each is marked overdue once, with a timeline entry
//! and a `crisis.task_overdue` event) and crises whose next statement update
//! is due by their priority's cadence and not yet reminded since the last
//! release (`crisis.update_due`, a timeline entry, `update_reminded_time`).
//! Each finding is written under the crisis row's lock with a conditional
//! update, so replicas running the same pass never raise one twice.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use redress_platform::clock::SharedClock;
use redress_platform::error::ApiError;
use redress_platform::outbox;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::crisis::{Priority, parse_cadence};
use crate::domain::plan::cadence_for;
use crate::events::{self, types};
use crate::names;
use crate::settings::Settings;
use crate::store::timeline::{self, NewEntry};
use crate::store::{StoreError, crises, plans, tasks, ts};

/// How many overdue tasks one pass takes at most.
const OVERDUE_BATCH: i64 = 500;

/// What one pass raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Tasks newly found overdue.
    pub overdue: usize,
    /// Crises newly reminded of a due update.
    pub updates_due: usize,
}

/// The statement update cadence of a crisis at `priority`: its plan
/// template version's cadence for the priority, else the configured one.
pub async fn update_cadence(
    conn: &mut PgConnection,
    settings: &Settings,
    priority: &str,
    template: Option<(Uuid, i32)>,
) -> Result<Option<SignedDuration>, StoreError> {
    let Some(priority) = Priority::from_code(priority) else {
        return Ok(None);
    };
    if let Some((id, version)) = template {
        let cadences = plans::cadences_of(conn, id, version).await?;
        if let Some(every) = cadence_for(&cadences, priority) {
            return Ok(Some(every));
        }
    }
    Ok(settings
        .update_cadence
        .get(priority.code())
        .and_then(|text| parse_cadence(text).ok()))
}

/// Runs passes every `scheduler_interval_ms` until `shutdown` resolves.
pub async fn run_until(
    pool: PgPool,
    clock: SharedClock,
    settings: Arc<Settings>,
    shutdown: impl Future<Output = ()>,
) {
    let work = async {
        let mut interval =
            tokio::time::interval(Duration::from_millis(settings.scheduler_interval_ms.max(1)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(error) = pass(&pool, clock.now(), &settings).await {
                tracing::warn!(?error, "a crisis scheduler pass failed; will retry");
            }
        }
    };
    tokio::select! {
        () = shutdown => {}
        () = work => {}
    }
}

/// One pass at `now`.
pub async fn pass(pool: &PgPool, now: Timestamp, settings: &Settings) -> Result<Pass, ApiError> {
    let mut done = Pass::default();
    let due = {
        let mut conn = pool.acquire().await?;
        tasks::past_due(&mut conn, now, OVERDUE_BATCH).await?
    };
    for (crisis, task) in due {
        if overdue(pool, crisis, task, now).await? {
            done.overdue += 1;
        }
    }
    let waiting = {
        let mut conn = pool.acquire().await?;
        crises::awaiting_update(&mut conn).await?
    };
    for waiting in waiting {
        let (crisis, last) = (waiting.id, ts(waiting.last_statement_time));
        let template = waiting.plan_template_id.zip(waiting.plan_template_version);
        let mut conn = pool.acquire().await?;
        let every = update_cadence(&mut conn, settings, &waiting.priority, template).await?;
        drop(conn);
        let Some(due_time) = every.and_then(|e| last.checked_add(e).ok()) else {
            continue;
        };
        if due_time <= now && remind(pool, crisis, last, due_time, now).await? {
            done.updates_due += 1;
        }
    }
    Ok(done)
}

async fn overdue(
    pool: &PgPool,
    crisis: Uuid,
    task: Uuid,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let mut tx = pool.begin().await?;
    let Some(head) = crises::lock(&mut tx, crisis).await? else {
        return Ok(false);
    };
    if !tasks::mark_overdue(&mut tx, task, now).await? {
        return Ok(false);
    }
    let name = names::child(crisis, "tasks", task);
    let mut details = BTreeMap::new();
    details.insert("task".to_owned(), name.clone());
    timeline::append(
        &mut tx,
        crisis,
        now,
        NewEntry {
            kind: "task_overdue",
            actor: "system",
            summary: "A task passed its due time".into(),
            details,
        },
    )
    .await?;
    outbox::append(
        &mut tx,
        events::about_crisis(
            types::TASK_OVERDUE,
            crisis,
            &head.codes(),
            now,
            json!({ "task": name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn remind(
    pool: &PgPool,
    crisis: Uuid,
    last: Timestamp,
    due_time: Timestamp,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let mut tx = pool.begin().await?;
    let Some(head) = crises::lock(&mut tx, crisis).await? else {
        return Ok(false);
    };
    if !crises::mark_reminded(&mut tx, crisis, last, now).await? {
        return Ok(false);
    }
    let mut details = BTreeMap::new();
    details.insert("due_time".to_owned(), due_time.to_string());
    details.insert("priority".to_owned(), head.priority.clone());
    timeline::append(
        &mut tx,
        crisis,
        now,
        NewEntry {
            kind: "update_due",
            actor: "system",
            summary: format!("A statement update is due ({} cadence)", head.priority),
            details,
        },
    )
    .await?;
    outbox::append(
        &mut tx,
        events::about_crisis(
            types::UPDATE_DUE,
            crisis,
            &head.codes(),
            now,
            json!({ "crisis": names::crisis(crisis), "due_time": due_time.to_string() }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
