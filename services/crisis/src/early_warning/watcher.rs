//! The watcher: wakes every `tick_ms` and, by this service's clock (so tests
//! move it), reads the customers service's churn report when
//! `churn_check_minutes` have passed since the last reading (a warning when
//! it is flagged), opens again the warnings whose snooze is over, and prunes
//! recent complaints and per-minute counts older than `retention_hours`
//! every `prune_interval_minutes`. A failure is logged and tried again at
//! the next tick.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use redress_platform::clock::SharedClock;
use redress_platform::outbox;
use redress_platform::wire;
use redress_proto::customers::v1 as cpb;
use serde_json::json;
use sqlx::PgPool;

use super::raise;
use crate::directory::Directories;
use crate::domain::warning::{self, Detection, Evidence, WarningSource};
use crate::events::{self, types};
use crate::settings::Settings;
use crate::store::{series, warnings};

/// The watcher's state between ticks.
#[derive(Debug)]
pub struct Watcher {
    pool: PgPool,
    clock: SharedClock,
    directories: Directories,
    settings: Arc<Settings>,
    last_churn_check: Option<Timestamp>,
    last_prune: Option<Timestamp>,
}

impl Watcher {
    /// A watcher that has not yet looked at anything.
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        directories: Directories,
        settings: Arc<Settings>,
    ) -> Self {
        Self {
            pool,
            clock,
            directories,
            settings,
            last_churn_check: None,
            last_prune: None,
        }
    }

    /// Ticks until `shutdown` resolves.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) {
        let work = async {
            let mut interval =
                tokio::time::interval(Duration::from_millis(self.settings.early_warning.tick_ms));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                self.tick().await;
            }
        };
        tokio::select! {
            () = shutdown => {}
            () = work => {}
        }
    }

    /// One round of everything that is due.
    pub async fn tick(&mut self) {
        let now = self.clock.now();
        if let Err(error) = wake(&self.pool, now).await {
            tracing::warn!(%error, "opening warnings whose snooze is over failed; will retry");
        }
        let settings = self.settings.clone();
        let settings = &settings.early_warning;
        if settings.churn_check_minutes > 0
            && due(
                self.last_churn_check,
                now,
                raise::minutes(settings.churn_check_minutes),
            )
        {
            match self.check_churn(now).await {
                Ok(()) => self.last_churn_check = Some(now),
                Err(error) => tracing::warn!(%error, "reading the churn report failed; will retry"),
            }
        }
        if due(
            self.last_prune,
            now,
            raise::minutes(settings.prune_interval_minutes),
        ) {
            let before = now
                .checked_sub(raise::minutes(settings.retention_hours.saturating_mul(60)))
                .unwrap_or(Timestamp::MIN);
            match prune(&self.pool, before).await {
                Ok(_) => self.last_prune = Some(now),
                Err(error) => {
                    tracing::warn!(%error, "pruning early-warning counts failed; will retry")
                }
            }
        }
    }

    /// Reads the churn report for the period ending `now` and raises a
    /// warning when it is flagged.
    async fn check_churn(&mut self, now: Timestamp) -> Result<(), BoxError> {
        let settings = &self.settings.early_warning;
        let start = now
            .checked_sub(raise::minutes(
                settings.churn_period_days.saturating_mul(24 * 60),
            ))
            .unwrap_or(Timestamp::MIN);
        let report = self
            .directories
            .customers
            .get_churn_report(cpb::GetChurnReportRequest {
                start_time: Some(wire::timestamp(start)),
                end_time: Some(wire::timestamp(now)),
            })
            .await?
            .into_inner();
        let Some(detection) = churn_detection(&report, start, now) else {
            return Ok(());
        };
        let mut tx = self.pool.begin().await?;
        raise::raise(
            &mut tx,
            detection,
            now,
            raise::minutes(settings.dedup_window_minutes),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Whether a job last done at `last` is due again at `now`.
fn due(last: Option<Timestamp>, now: Timestamp, every: jiff::SignedDuration) -> bool {
    match last {
        None => true,
        Some(last) => now.duration_since(last) >= every,
    }
}

/// The detection of a flagged churn report over `[start, end)`: its flagged
/// groups by code, the churned customers among them counted.
pub fn churn_detection(
    report: &cpb::GetChurnReportResponse,
    start: Timestamp,
    end: Timestamp,
) -> Option<Detection> {
    if !report.warning {
        return None;
    }
    let flagged: Vec<&cpb::ChurnRow> = report
        .by_grade
        .iter()
        .chain(&report.by_size)
        .filter(|row| row.flagged)
        .collect();
    let groups: Vec<String> = flagged.iter().filter_map(|row| group_code(row)).collect();
    Some(Detection {
        source: WarningSource::Churn,
        dedup_key: warning::CHURN_KEY.to_owned(),
        evidence: Evidence {
            dimension: None,
            series_value: String::new(),
            window_start: Some(start),
            window_end: Some(end),
            count: flagged.iter().map(|row| row.churned).sum(),
            baseline_mean: 0.0,
            baseline_stddev: 0.0,
            sample_complaints: Vec::new(),
            detail: format!(
                "churn rose more than {:.1} points: {}",
                report.rise_threshold_points,
                groups.join(", ")
            ),
        },
    })
}

/// A churn row's group as a code, such as `grade:a` or `size:large`.
fn group_code(row: &cpb::ChurnRow) -> Option<String> {
    use cpb::churn_row::Group;
    match row.group? {
        Group::ValueGrade(grade) => cpb::ValueGrade::try_from(grade)
            .ok()
            .map(|g| format!("grade:{}", short(g.as_str_name(), "VALUE_GRADE_"))),
        Group::Size(size) => cpb::CustomerSize::try_from(size)
            .ok()
            .map(|s| format!("size:{}", short(s.as_str_name(), "CUSTOMER_SIZE_"))),
    }
}

/// An enum value's name without its prefix, lower-case.
fn short(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_lowercase()
}

/// Opens again the warnings whose snooze is over, announcing each.
async fn wake(pool: &PgPool, now: Timestamp) -> Result<(), BoxError> {
    let mut tx = pool.begin().await?;
    for w in warnings::wake(&mut tx, now).await? {
        outbox::append(
            &mut tx,
            events::about_warning(
                types::WARNING_CHANGED,
                w.id,
                w.source.code(),
                w.state.code(),
                now,
                json!({ "change": "snooze_over" }),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets recent complaints and counts older than `before`.
async fn prune(pool: &PgPool, before: Timestamp) -> Result<u64, BoxError> {
    let mut conn = pool.acquire().await?;
    Ok(series::prune(&mut conn, before).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    fn row(group: cpb::churn_row::Group, flagged: bool, churned: i64) -> cpb::ChurnRow {
        cpb::ChurnRow {
            group: Some(group),
            churned,
            flagged,
            ..Default::default()
        }
    }

    #[test]
    fn a_flagged_churn_report_is_a_detection_naming_its_groups_by_code() {
        use cpb::churn_row::Group;
        let report = cpb::GetChurnReportResponse {
            by_grade: vec![
                row(Group::ValueGrade(cpb::ValueGrade::A.into()), true, 4),
                row(Group::ValueGrade(cpb::ValueGrade::C.into()), false, 9),
            ],
            by_size: vec![row(Group::Size(cpb::CustomerSize::Large.into()), true, 2)],
            warning: true,
            rise_threshold_points: 5.0,
            ..Default::default()
        };
        let (start, end) = (at("2026-10-24T12:00:00Z"), at("2026-11-23T12:00:00Z"));
        let detection = churn_detection(&report, start, end).expect("a detection");
        assert_eq!(detection.source, WarningSource::Churn);
        assert_eq!(detection.dedup_key, "churn");
        assert_eq!(detection.evidence.count, 6);
        assert_eq!(
            detection.evidence.detail,
            "churn rose more than 5.0 points: grade:a, size:large"
        );
        assert_eq!(detection.evidence.window_start, Some(start));

        let calm = cpb::GetChurnReportResponse {
            warning: false,
            ..report
        };
        assert!(churn_detection(&calm, start, end).is_none());
    }

    #[test]
    fn a_job_is_due_at_first_and_then_after_its_interval() {
        let every = jiff::SignedDuration::from_mins(60);
        let now = at("2026-11-23T12:00:00Z");
        assert!(due(None, now, every));
        assert!(!due(Some(now), at("2026-11-23T12:59:59Z"), every));
        assert!(due(Some(now), at("2026-11-23T13:00:00Z"), every));
    }
}
