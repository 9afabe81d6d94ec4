//! Early warning at work: the [`detector`] follows the complaint feed into
//! per-minute counts per category, product and region and raises a warning
//! the moment a series' running minute crosses its spike threshold or the
//! rule over critical and safety complaints is met; the [`watcher`] reads
//! the customers service's churn report on its cadence, opens warnings
//! whose snooze is over, and forgets old counts. Both raise through
//! [`raise`], which applies the dedup rule (`domain::warning`).

pub mod detector;
pub mod raise;
pub mod watcher;

use std::future::Future;
use std::sync::Arc;

use redress_platform::clock::SharedClock;
use redress_platform::outbox::Consumer;
use sqlx::PgPool;
use tokio::task::JoinHandle;

use crate::directory::Directories;
use crate::settings::Settings;

/// The key of the complaint feed consumer in `feed_cursors`.
pub const FEED_KEY: &str = "complaints.early_warning";

/// The complaint events early warning reads.
pub const FEED_TYPES: &[&str] = &["complaint.created"];

/// Starts the detector (when `follow_complaints`) and the watcher, each
/// until its `shutdown` future resolves.
pub fn spawn<F, S>(
    pool: &PgPool,
    clock: &SharedClock,
    directories: &Directories,
    settings: &Arc<Settings>,
    mut shutdown: S,
) -> Vec<JoinHandle<()>>
where
    S: FnMut() -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let mut tasks = Vec::new();
    if settings.early_warning.follow_complaints {
        let consumer = Consumer::new(
            pool.clone(),
            FEED_KEY,
            directories.complaint_feed(),
            detector::Detector::new(settings.clone()),
        )
        .with_types(FEED_TYPES.iter().map(|t| (*t).to_owned()).collect());
        tasks.push(tokio::spawn(consumer.run_until(shutdown())));
    }
    let watcher = watcher::Watcher::new(
        pool.clone(),
        clock.clone(),
        directories.clone(),
        settings.clone(),
    );
    tasks.push(tokio::spawn(watcher.run_until(shutdown())));
    tasks
}

#[cfg(test)]
mod tests {
    use crate::settings::EarlyWarningSettings;

    #[test]
    fn early_warning_settings_are_checked() {
        assert!(EarlyWarningSettings::default().validate().is_ok());
        for bad in [
            EarlyWarningSettings {
                dedup_window_minutes: 0,
                ..EarlyWarningSettings::default()
            },
            EarlyWarningSettings {
                critical_count: 0,
                ..EarlyWarningSettings::default()
            },
            EarlyWarningSettings {
                tick_ms: 0,
                ..EarlyWarningSettings::default()
            },
            EarlyWarningSettings {
                retention_hours: 1,
                critical_window_minutes: 120,
                ..EarlyWarningSettings::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
