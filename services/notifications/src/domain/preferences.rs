//! Delivery preferences and the decision they make for one message on one
//! channel: send now, hold until a time, or skip the channel.
//!
//! - An **opt-out** (a category on one channel or on all) is never
//!   overridden, not even by a critical message. A customer's consent
//!   withdrawn for a purpose (kept by the customers service) is an opt-out
//!   of the category of that name on every channel.
//! - **Quiet hours** are a daily window in the recipient's own time zone; a
//!   message due inside it is held until it ends, never dropped. Critical
//!   messages pass.
//! - A **daily cap**: at most so many non-critical messages in any 24
//!   hours; one more is held until the oldest of them is 24 hours old.
//!   Critical messages pass and are not counted.
//! - The in-app inbox is never held: it waits to be opened.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan as _};

use super::channel::Channel;

/// One opt-out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OptOut {
    /// The category.
    pub category: String,
    /// The channel; `None` for every channel.
    pub channel: Option<Channel>,
}

impl OptOut {
    /// Whether this opt-out refuses `category` on `channel`.
    pub fn refuses(&self, category: &str, channel: Channel) -> bool {
        self.category == category && self.channel.is_none_or(|c| c == channel)
    }
}

/// A daily window of quiet, in minutes after local midnight. `start ==
/// end` is an empty window; `end < start` crosses midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct QuietHours {
    /// The first quiet minute.
    pub start_minute: u16,
    /// The first minute after the quiet.
    pub end_minute: u16,
}

impl QuietHours {
    /// Whether `minute` (after local midnight) is quiet.
    pub fn contains(&self, minute: u16) -> bool {
        let (s, e) = (self.start_minute, self.end_minute);
        if s <= e {
            s <= minute && minute < e
        } else {
            minute >= s || minute < e
        }
    }

    /// When the quiet that holds `now` ends, in `zone`; `None` when `now` is
    /// not quiet.
    pub fn release_time(&self, now: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let local = now.to_zoned(zone.clone());
        let minute = u16::try_from(local.hour()).ok()? * 60 + u16::try_from(local.minute()).ok()?;
        if !self.contains(minute) {
            return None;
        }
        let end = Time::new(
            i8::try_from(self.end_minute / 60).ok()?,
            i8::try_from(self.end_minute % 60).ok()?,
            0,
            0,
        )
        .ok()?;
        let today = local.date().to_datetime(end);
        let date_time = if minute < self.end_minute {
            today
        } else {
            today.checked_add(1.day()).ok()?
        };
        // A gap at the end (a clock change) resolves to the later instant.
        date_time.to_zoned(zone.clone()).ok().map(|z| z.timestamp())
    }
}

/// A recipient's preferences, with the defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Opt-outs, including consents withdrawn.
    pub opt_outs: Vec<OptOut>,
    /// Quiet hours, if any.
    pub quiet_hours: Option<QuietHours>,
    /// The daily cap; 0 for none.
    pub daily_cap: u32,
}

/// What the recipient's history says at the time of sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentSends {
    /// Non-critical messages sent in the last 24 hours.
    pub count: u32,
    /// When the oldest of them was sent.
    pub oldest: Option<Timestamp>,
}

/// What to do with a message on a channel now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it.
    Send,
    /// Hold it until then, for this reason (an UPPER_SNAKE code).
    Hold(Timestamp, &'static str),
    /// The recipient refuses this category on this channel.
    OptedOut,
}

/// The frequency cap's window.
pub const CAP_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// Decides for one message of `category` on `channel`.
pub fn decide(
    preferences: &Preferences,
    category: &str,
    channel: Channel,
    critical: bool,
    now: Timestamp,
    zone: &TimeZone,
    recent: RecentSends,
) -> Decision {
    if preferences
        .opt_outs
        .iter()
        .any(|o| o.refuses(category, channel))
    {
        return Decision::OptedOut;
    }
    // The inbox waits to be opened: it disturbs nobody at night, so neither
    // quiet hours nor the cap hold it.
    if critical || channel == Channel::InApp {
        return Decision::Send;
    }
    if let Some(release) = preferences
        .quiet_hours
        .and_then(|q| q.release_time(now, zone))
    {
        return Decision::Hold(release, "QUIET_HOURS");
    }
    if preferences.daily_cap > 0 && recent.count >= preferences.daily_cap {
        let release = recent
            .oldest
            .and_then(|t| t.checked_add(CAP_WINDOW).ok())
            .filter(|t| *t > now)
            .unwrap_or_else(|| now.checked_add(SignedDuration::from_mins(1)).unwrap_or(now));
        return Decision::Hold(release, "FREQUENCY_CAP");
    }
    Decision::Send
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).expect("a zone")
    }

    fn night() -> Preferences {
        Preferences {
            opt_outs: vec![],
            quiet_hours: Some(QuietHours {
                start_minute: 21 * 60,
                end_minute: 8 * 60,
            }),
            daily_cap: 3,
        }
    }

    const NONE: RecentSends = RecentSends {
        count: 0,
        oldest: None,
    };

    #[test]
    fn a_message_due_at_night_in_the_recipients_zone_is_held_until_morning_there() {
        // 23:30 in Taipei (UTC+8) is 15:30 UTC.
        let decision = decide(
            &night(),
            "service",
            Channel::Sms,
            false,
            at("2026-11-23T15:30:00Z"),
            &zone("Asia/Taipei"),
            NONE,
        );
        assert_eq!(
            decision,
            Decision::Hold(at("2026-11-24T00:00:00Z"), "QUIET_HOURS")
        );
        // After midnight, the same morning.
        let decision = decide(
            &night(),
            "service",
            Channel::Sms,
            false,
            at("2026-11-23T18:00:00Z"),
            &zone("Asia/Taipei"),
            NONE,
        );
        assert_eq!(
            decision,
            Decision::Hold(at("2026-11-24T00:00:00Z"), "QUIET_HOURS")
        );
    }

    #[test]
    fn the_same_instant_is_daytime_elsewhere() {
        let decision = decide(
            &night(),
            "service",
            Channel::Sms,
            false,
            at("2026-11-23T15:30:00Z"),
            &zone("Europe/Amsterdam"),
            NONE,
        );
        assert_eq!(decision, Decision::Send);
    }

    #[test]
    fn critical_messages_pass_quiet_hours_and_the_cap_but_never_an_opt_out() {
        let mut prefs = night();
        let full = RecentSends {
            count: 3,
            oldest: Some(at("2026-11-23T10:00:00Z")),
        };
        let now = at("2026-11-23T15:30:00Z");
        let taipei = zone("Asia/Taipei");
        assert_eq!(
            decide(&prefs, "crisis", Channel::Sms, true, now, &taipei, full),
            Decision::Send
        );
        prefs.opt_outs.push(OptOut {
            category: "crisis".into(),
            channel: Some(Channel::Sms),
        });
        assert_eq!(
            decide(&prefs, "crisis", Channel::Sms, true, now, &taipei, full),
            Decision::OptedOut
        );
        assert_eq!(
            decide(&prefs, "crisis", Channel::Email, true, now, &taipei, full),
            Decision::Send
        );
        prefs.opt_outs.push(OptOut {
            category: "crisis".into(),
            channel: None,
        });
        assert_eq!(
            decide(&prefs, "crisis", Channel::Email, true, now, &taipei, full),
            Decision::OptedOut
        );
    }

    #[test]
    fn the_inbox_is_never_held() {
        let full = RecentSends {
            count: 3,
            oldest: Some(at("2026-11-23T10:00:00Z")),
        };
        let decision = decide(
            &night(),
            "service",
            Channel::InApp,
            false,
            at("2026-11-23T15:30:00Z"),
            &zone("Asia/Taipei"),
            full,
        );
        assert_eq!(decision, Decision::Send);
    }

    #[test]
    fn past_the_daily_cap_a_message_waits_until_the_oldest_send_is_a_day_old() {
        let full = RecentSends {
            count: 3,
            oldest: Some(at("2026-11-23T10:00:00Z")),
        };
        let decision = decide(
            &night(),
            "service",
            Channel::Email,
            false,
            at("2026-11-23T12:00:00Z"),
            &TimeZone::UTC,
            full,
        );
        assert_eq!(
            decision,
            Decision::Hold(at("2026-11-24T10:00:00Z"), "FREQUENCY_CAP")
        );
    }

    #[test]
    fn quiet_hours_within_one_day_and_empty_windows() {
        let lunch = QuietHours {
            start_minute: 12 * 60,
            end_minute: 13 * 60,
        };
        assert!(lunch.contains(12 * 60) && lunch.contains(13 * 60 - 1) && !lunch.contains(13 * 60));
        let empty = QuietHours {
            start_minute: 600,
            end_minute: 600,
        };
        assert!(!(0..1440).any(|m| empty.contains(m)));
    }

    #[test]
    fn quiet_hours_ending_in_a_clock_change_gap_release_after_it() {
        // Europe/Amsterdam skips 02:00-03:00 on 2027-03-28.
        let q = QuietHours {
            start_minute: 60,
            end_minute: 150,
        };
        let release = q.release_time(at("2027-03-28T00:30:00Z"), &zone("Europe/Amsterdam"));
        assert_eq!(release, Some(at("2027-03-28T01:30:00Z")));
    }
}
