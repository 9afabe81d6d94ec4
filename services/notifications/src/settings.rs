//! The notifications service's own settings (`[notifications]`): how the
//! delivery workers run, how patiently they retry, the default quiet hours,
//! daily cap and channel orders, which complaint events notify whom, the
//! channels' endpoints, and how often the queue is counted for the metrics.
//! Every number is here, none in code.

use std::time::Duration;

use jiff::SignedDuration;
use serde::Deserialize;

use crate::channels::ChannelSettings;
use crate::domain::channel::Channel;
use crate::domain::delivery::RetryPolicy;
use crate::domain::preferences::QuietHours;
use crate::triggers::Trigger;

/// `[notifications]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Delivery workers in this process; each claims its own batches.
    pub workers: u32,
    /// Messages a worker claims at once.
    pub claim_batch: u32,
    /// Messages a worker sends at the same time.
    pub send_concurrency: u32,
    /// How long a claimed message is a worker's; after that another worker
    /// takes it over (the first was killed or hung). A worker starts no
    /// attempt once less than the longest channel timeout and a second are
    /// left, and puts what it has not tried back, so a slow gateway never
    /// makes it outlive its lease. Seconds; at least twice the longest
    /// channel timeout.
    pub lease_seconds: u64,
    /// How long a worker waits before trying a batch again when the
    /// customers service could not be asked who its recipients are.
    /// Milliseconds.
    pub lookup_retry_ms: u64,
    /// How often an idle worker looks for due messages. Milliseconds.
    pub poll_interval_ms: u64,
    /// Attempts per channel before falling back to the next.
    pub attempts_per_channel: u32,
    /// The first retry's pause, doubling after each; milliseconds.
    pub initial_backoff_ms: u64,
    /// The longest pause between retries; milliseconds.
    pub max_backoff_ms: u64,
    /// Customers' quiet hours unless they set their own.
    pub customer_quiet_hours: QuietSetting,
    /// Staff's quiet hours unless they set their own (none by default:
    /// staff alerts are for working hours' work and go to chat).
    pub staff_quiet_hours: QuietSetting,
    /// At most this many non-critical messages to one recipient in 24
    /// hours unless they set their own; 0 for no cap.
    pub daily_cap: u32,
    /// The zone of recipients whose zone is unknown.
    pub default_time_zone: String,
    /// Channels tried after a customer's own preferred ones.
    pub customer_channels: Vec<Channel>,
    /// Channels of staff who did not set their own.
    pub staff_channels: Vec<Channel>,
    /// Broadcast members queued per statement.
    pub expand_batch: u32,
    /// How long a broadcast's expansion is one replica's without progress;
    /// after that (the replica died) another resumes it. Seconds.
    pub expand_claim_seconds: u64,
    /// Whether to follow the complaint feed and send what `triggers` say.
    pub follow_complaints: bool,
    /// Which complaint events notify whom.
    pub triggers: Vec<Trigger>,
    /// How often the queue is counted for the metrics (only while metrics
    /// are exported). Milliseconds.
    pub metrics_interval_ms: u64,
    /// How long the answer of a request with a `request_id` is kept, hours.
    pub request_id_retention_hours: u64,
    /// How long the record that a complaint event was applied is kept, days
    /// (longer than the complaint feed could ever be replayed from).
    pub applied_event_retention_days: u32,
    /// The channels' endpoints and secrets.
    pub channels: ChannelSettings,
}

/// Quiet hours as configured: `enabled`, and `start`/`end` as local "HH:MM".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct QuietSetting {
    /// Whether there are quiet hours.
    pub enabled: bool,
    /// Local start, "HH:MM".
    pub start: String,
    /// Local end, "HH:MM".
    pub end: String,
}

impl Default for QuietSetting {
    fn default() -> Self {
        Self {
            enabled: true,
            start: "21:00".into(),
            end: "08:00".into(),
        }
    }
}

impl QuietSetting {
    /// The window, or `None` when disabled.
    pub fn window(&self) -> Result<Option<QuietHours>, String> {
        if !self.enabled {
            return Ok(None);
        }
        Ok(Some(QuietHours {
            start_minute: minute_of(&self.start)?,
            end_minute: minute_of(&self.end)?,
        }))
    }
}

fn minute_of(hhmm: &str) -> Result<u16, String> {
    let bad = || format!("{hhmm:?} is not a time of day as HH:MM");
    let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            workers: 4,
            claim_batch: 250,
            send_concurrency: 64,
            lease_seconds: 60,
            lookup_retry_ms: 5_000,
            poll_interval_ms: 200,
            attempts_per_channel: 5,
            initial_backoff_ms: 2_000,
            max_backoff_ms: 10 * 60 * 1000,
            customer_quiet_hours: QuietSetting::default(),
            staff_quiet_hours: QuietSetting {
                enabled: false,
                ..QuietSetting::default()
            },
            daily_cap: 10,
            default_time_zone: "UTC".into(),
            customer_channels: vec![Channel::InApp],
            staff_channels: vec![Channel::Chat, Channel::Email, Channel::InApp],
            expand_batch: 1000,
            expand_claim_seconds: 60,
            follow_complaints: true,
            triggers: crate::triggers::defaults(),
            metrics_interval_ms: 30_000,
            request_id_retention_hours: 24 * 7,
            applied_event_retention_days: 30,
            channels: ChannelSettings::default(),
        }
    }
}

impl Settings {
    /// Checks the numbers and names.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("workers", self.workers as u64),
            ("claim_batch", self.claim_batch as u64),
            ("send_concurrency", self.send_concurrency as u64),
            ("lease_seconds", self.lease_seconds),
            ("poll_interval_ms", self.poll_interval_ms),
            ("attempts_per_channel", self.attempts_per_channel as u64),
            ("initial_backoff_ms", self.initial_backoff_ms),
            ("expand_batch", self.expand_batch as u64),
            ("expand_claim_seconds", self.expand_claim_seconds),
            ("lookup_retry_ms", self.lookup_retry_ms),
            ("metrics_interval_ms", self.metrics_interval_ms),
            (
                "request_id_retention_hours",
                self.request_id_retention_hours,
            ),
            (
                "applied_event_retention_days",
                u64::from(self.applied_event_retention_days),
            ),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(format!("notifications.{name} must be positive"));
            }
        }
        let longest = self.channels.longest_timeout();
        if Duration::from_secs(self.lease_seconds) < 2 * longest {
            return Err(format!(
                "notifications.lease_seconds ({}) must be at least twice the longest channel \
                 timeout ({} ms), or a worker would have no time to send",
                self.lease_seconds,
                longest.as_millis()
            ));
        }
        if self.max_backoff_ms < self.initial_backoff_ms {
            return Err("notifications.max_backoff_ms must be at least initial_backoff_ms".into());
        }
        self.customer_quiet_hours
            .window()
            .map_err(|e| format!("notifications.customer_quiet_hours: {e}"))?;
        self.staff_quiet_hours
            .window()
            .map_err(|e| format!("notifications.staff_quiet_hours: {e}"))?;
        jiff::tz::TimeZone::get(&self.default_time_zone).map_err(|_| {
            format!(
                "notifications.default_time_zone {:?} is not an IANA time zone",
                self.default_time_zone
            )
        })?;
        if self.staff_channels.is_empty() {
            return Err("notifications.staff_channels must name at least one channel".into());
        }
        for trigger in &self.triggers {
            trigger
                .validate()
                .map_err(|e| format!("notifications.triggers: {e}"))?;
        }
        Ok(())
    }

    /// How long a claimed batch is its worker's.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds)
    }

    /// How long before its lease ends a worker stops starting attempts: one
    /// attempt's longest time, and a second to record the batch.
    pub fn stop_sending_before_lease_end(&self) -> Duration {
        self.channels.longest_timeout() + Duration::from_secs(1)
    }

    /// The retry policy.
    pub fn retry(&self) -> RetryPolicy {
        let ms = |v: u64| SignedDuration::from_millis(i64::try_from(v).unwrap_or(i64::MAX));
        RetryPolicy {
            attempts_per_channel: self.attempts_per_channel,
            initial_backoff: ms(self.initial_backoff_ms),
            max_backoff: ms(self.max_backoff_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_too_short_for_the_slowest_configured_channel_is_refused() {
        let mut settings = Settings {
            lease_seconds: 15,
            ..Settings::default()
        };
        // Chat (5 s) is always configured; e-mail (10 s) only with a URL.
        assert_eq!(settings.validate(), Ok(()));
        settings.channels.email.url = redress_platform::Secret::new("smtp://relay:25");
        let refused = settings
            .validate()
            .expect_err("10 s e-mail in a 15 s lease");
        assert!(refused.contains("lease_seconds (15)"), "{refused}");
        assert!(refused.contains("10000 ms"), "{refused}");
        settings.lease_seconds = 20;
        assert_eq!(settings.validate(), Ok(()));
        assert_eq!(
            settings.stop_sending_before_lease_end(),
            Duration::from_secs(11)
        );
    }
}
