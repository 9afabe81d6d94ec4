//! The detector: applies each `complaint.created` event of the complaint
//! feed, in the consumer's transaction. It records the complaint (ids and
//! codes), counts it in its category, product and region series at the
//! event's minute (the complaint's time in the complaints service's clock,
//! not this service's wall clock), folds each series' baseline over every
//! whole minute before that one not yet folded (quiet minutes count as 0),
//! and checks the running minute's count so far against the baseline
//! without folding it: the complaint that crosses the threshold raises the
//! warning, within the burst's first minute. A critical or safety complaint
//! also checks the rule over such complaints within its window.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use redress_platform::outbox::{BoxError, Event, EventHandler};
use sqlx::PgConnection;

use super::raise::{self, Raised};
use crate::domain::early_warning::{self, Dimension};
use crate::domain::warning::{self, Detection, Evidence, MAX_COMPLAINTS, WarningSource};
use crate::names;
use crate::settings::{EarlyWarningSettings, Settings};
use crate::store::series::{self, RecentComplaint, StoredBaseline};

/// The severity code the critical rule counts (with any safety complaint).
const CRITICAL: &str = "critical";

/// The complaint feed's handler for early warning.
#[derive(Debug, Clone)]
pub struct Detector {
    settings: Arc<Settings>,
}

impl Detector {
    /// A detector with the service's settings.
    pub fn new(settings: Arc<Settings>) -> Self {
        Self { settings }
    }
}

impl EventHandler for Detector {
    async fn handle<'a>(
        &'a mut self,
        conn: &'a mut PgConnection,
        event: &'a Event,
    ) -> Result<(), BoxError> {
        let Some(complaint) = read_event(event) else {
            tracing::warn!(event.id = %event.id, "a complaint event without a complaint name; skipped");
            return Ok(());
        };
        detect(conn, &complaint, &self.settings.early_warning).await?;
        Ok(())
    }
}

/// The complaint an event describes; `None` when its subject is not a
/// complaint's name.
pub fn read_event(event: &Event) -> Option<RecentComplaint> {
    let id = names::parse_complaint(&event.subject).ok()?;
    let attribute = |key: &str| event.attributes.get(key).cloned().unwrap_or_default();
    Some(RecentComplaint {
        id,
        create_time: event.create_time,
        category: attribute("category"),
        product: attribute("product"),
        region: attribute("region"),
        severity: attribute("severity"),
        safety: attribute("safety") == "true",
        grade: attribute("grade"),
    })
}

/// The start of the minute `time` is in.
pub fn minute_of(time: Timestamp) -> Timestamp {
    let second = time.as_second().div_euclid(60) * 60;
    Timestamp::from_second(second).unwrap_or(time)
}

/// Records and counts `complaint` and raises what it sets off; returns
/// what was raised.
pub async fn detect(
    conn: &mut PgConnection,
    complaint: &RecentComplaint,
    settings: &EarlyWarningSettings,
) -> Result<Vec<Raised>, raise::RaiseError> {
    let mut raised = Vec::new();
    if !series::record(conn, complaint).await? {
        return Ok(raised);
    }
    let now = complaint.create_time;
    let window = raise::minutes(settings.dedup_window_minutes);
    for dimension in Dimension::ALL {
        let value = complaint.value(dimension);
        if value.is_empty() {
            continue;
        }
        if let Some(detection) = count(conn, dimension, value, now, settings).await? {
            raised.push(raise::raise(conn, detection, now, window).await?);
        }
    }
    if (complaint.severity == CRITICAL || complaint.safety)
        && let Some(detection) = critical(conn, now, settings).await?
    {
        raised.push(raise::raise(conn, detection, now, window).await?);
    }
    Ok(raised)
}

/// Counts a complaint at `now` in one series, folds its baseline up to the
/// running minute, and returns a detection when this complaint crossed the
/// spike threshold.
async fn count(
    conn: &mut PgConnection,
    dimension: Dimension,
    value: &str,
    now: Timestamp,
    settings: &EarlyWarningSettings,
) -> Result<Option<Detection>, raise::RaiseError> {
    let minute = minute_of(now);
    let count = series::count_one(conn, dimension, value, minute).await?;
    let mut stored = series::lock_baseline(conn, dimension, value, minute).await?;
    if minute < stored.next_minute {
        // A complaint of a minute already folded (events a little out of
        // time order): counted, but too late to judge.
        return Ok(None);
    }
    fold(conn, dimension, value, &mut stored, minute, settings).await?;
    series::save_baseline(conn, dimension, value, &stored).await?;
    let count = u32::try_from(count).unwrap_or(u32::MAX);
    let Some(spike) = stored.baseline.crossed(count, &settings.spike) else {
        return Ok(None);
    };
    let end = minute
        .checked_add(SignedDuration::from_mins(1))
        .unwrap_or(minute);
    let samples = series::samples(conn, dimension, value, minute, end, MAX_COMPLAINTS).await?;
    Ok(Some(Detection {
        source: WarningSource::Spike,
        dedup_key: early_warning::spike_key(dimension, value),
        evidence: Evidence {
            dimension: Some(dimension),
            series_value: value.to_owned(),
            window_start: Some(minute),
            window_end: Some(end),
            count: i64::from(spike.count),
            baseline_mean: spike.baseline_mean,
            baseline_stddev: spike.baseline_stddev,
            sample_complaints: samples,
            detail: early_warning::spike_detail(&spike),
        },
    }))
}

/// Folds the series' baseline over every whole minute from its next
/// unfolded minute up to (not including) `minute`.
async fn fold(
    conn: &mut PgConnection,
    dimension: Dimension,
    value: &str,
    stored: &mut StoredBaseline,
    minute: Timestamp,
    settings: &EarlyWarningSettings,
) -> Result<(), raise::RaiseError> {
    if minute <= stored.next_minute {
        return Ok(());
    }
    let counted =
        series::counts_between(conn, dimension, value, stored.next_minute, minute).await?;
    let mut cursor = stored.next_minute;
    for (at, count) in counted {
        stored
            .baseline
            .observe_quiet(minutes_between(cursor, at), &settings.spike);
        stored
            .baseline
            .observe(u32::try_from(count).unwrap_or(u32::MAX), &settings.spike);
        cursor = at.checked_add(SignedDuration::from_mins(1)).unwrap_or(at);
    }
    stored
        .baseline
        .observe_quiet(minutes_between(cursor, minute), &settings.spike);
    stored.next_minute = minute;
    Ok(())
}

/// Whole minutes from `from` to `to` (0 when `to` is not later).
fn minutes_between(from: Timestamp, to: Timestamp) -> u64 {
    let seconds = to.as_second().saturating_sub(from.as_second());
    u64::try_from(seconds / 60).unwrap_or(0)
}

/// The rule over critical or safety complaints, checked at `now`.
async fn critical(
    conn: &mut PgConnection,
    now: Timestamp,
    settings: &EarlyWarningSettings,
) -> Result<Option<Detection>, raise::RaiseError> {
    let start = now
        .checked_sub(raise::minutes(settings.critical_window_minutes))
        .unwrap_or(Timestamp::MIN);
    let (count, samples) = series::critical_within(conn, start, now, MAX_COMPLAINTS).await?;
    if count < i64::from(settings.critical_count) {
        return Ok(None);
    }
    Ok(Some(Detection {
        source: WarningSource::CriticalComplaints,
        dedup_key: warning::CRITICAL_KEY.to_owned(),
        evidence: Evidence {
            dimension: None,
            series_value: String::new(),
            window_start: Some(start),
            window_end: Some(now),
            count,
            baseline_mean: 0.0,
            baseline_stddev: 0.0,
            sample_complaints: samples,
            detail: format!(
                "{count} critical or safety complaints within {} min",
                settings.critical_window_minutes
            ),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_falls_in_the_minute_that_starts_at_or_before_it() {
        let at = |s: &str| s.parse::<Timestamp>().expect("a timestamp");
        assert_eq!(
            minute_of(at("2026-11-23T12:03:59.9Z")),
            at("2026-11-23T12:03:00Z")
        );
        assert_eq!(
            minute_of(at("2026-11-23T12:03:00Z")),
            at("2026-11-23T12:03:00Z")
        );
        assert_eq!(
            minutes_between(at("2026-11-23T12:00:00Z"), at("2026-11-23T12:05:00Z")),
            5
        );
        assert_eq!(
            minutes_between(at("2026-11-23T12:05:00Z"), at("2026-11-23T12:00:00Z")),
            0
        );
    }
}
