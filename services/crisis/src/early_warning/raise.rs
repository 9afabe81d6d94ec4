//! Raising a warning from a detection: one episode, one warning. Within the
//! caller's transaction, the detection's dedup key is locked, the warning of
//! its episode (last detected within the dedup window) is looked for, and
//! the detection either counts on it (`warning.redetected`) or opens a new
//! warning (`warning.raised`); see `domain::warning` for what each state
//! does with a redetection.

use jiff::{SignedDuration, Timestamp};
use redress_platform::error::ApiError;
use redress_platform::outbox::{self, OutboxError};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::warning::{self, Detection, WarningState};
use crate::events::{self, types};
use crate::store::StoreError;
use crate::store::warnings::{self, Warning};

/// Why a warning could not be raised.
#[derive(Debug, thiserror::Error)]
pub enum RaiseError {
    /// Reading or writing the warning failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Announcing it failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

impl From<RaiseError> for ApiError {
    fn from(error: RaiseError) -> Self {
        match error {
            RaiseError::Store(e) => e.into(),
            RaiseError::Outbox(e) => e.into(),
        }
    }
}

/// What a detection did.
#[derive(Debug, Clone, PartialEq)]
pub enum Raised {
    /// Opened this new warning.
    New(Warning),
    /// Counted on the warning of its episode.
    Again(Warning),
}

/// A new warning of `detection` at `now`, not yet stored.
pub fn new_warning(detection: Detection, now: Timestamp) -> Warning {
    Warning {
        id: Uuid::now_v7(),
        source: detection.source,
        state: WarningState::Open,
        dedup_key: detection.dedup_key,
        evidence: detection.evidence,
        detection_count: 1,
        last_detect_time: now,
        signal_channel: None,
        summary: String::new(),
        source_uri: String::new(),
        actor: String::new(),
        dismiss_reason: String::new(),
        snooze_until: None,
        crisis_id: None,
        create_time: now,
        update_time: now,
        version: 1,
    }
}

/// Stores a new warning and announces it, in the caller's transaction.
pub async fn open(conn: &mut PgConnection, warning: &Warning) -> Result<(), RaiseError> {
    warnings::insert(conn, warning).await?;
    outbox::append(
        conn,
        events::about_warning(
            types::WARNING_RAISED,
            warning.id,
            warning.source.code(),
            warning.state.code(),
            warning.create_time,
            json!({ "dedup_key": warning.dedup_key, "detection_count": 1 }),
        ),
    )
    .await?;
    Ok(())
}

/// Applies the dedup rule to `detection` at `now` with the dedup `window`.
pub async fn raise(
    conn: &mut PgConnection,
    detection: Detection,
    now: Timestamp,
    window: SignedDuration,
) -> Result<Raised, RaiseError> {
    warnings::lock_key(conn, &detection.dedup_key).await?;
    let since = now.checked_sub(window).unwrap_or(Timestamp::MIN);
    let Some(episode) = warnings::lock_episode(conn, &detection.dedup_key, since).await? else {
        let warning = new_warning(detection, now);
        open(conn, &warning).await?;
        tracing::info!(
            warning.id = %warning.id,
            warning.source = warning.source.code(),
            "warning raised"
        );
        return Ok(Raised::New(warning));
    };
    let state = warning::on_redetection(episode.state, episode.snooze_until, now);
    let warning = warnings::redetect(conn, episode.id, state, now).await?;
    outbox::append(
        conn,
        events::about_warning(
            types::WARNING_REDETECTED,
            warning.id,
            warning.source.code(),
            warning.state.code(),
            now,
            json!({
                "dedup_key": warning.dedup_key,
                "detection_count": warning.detection_count,
                "reopened": state != episode.state,
            }),
        ),
    )
    .await?;
    tracing::info!(
        warning.id = %warning.id,
        warning.source = warning.source.code(),
        warning.detection_count = warning.detection_count,
        "warning detected again"
    );
    Ok(Raised::Again(warning))
}

/// A span of `minutes` minutes (saturating).
pub fn minutes(minutes: u64) -> SignedDuration {
    SignedDuration::from_secs(i64::try_from(minutes.saturating_mul(60)).unwrap_or(i64::MAX))
}
