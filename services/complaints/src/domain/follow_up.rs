//! Follow-ups after closure (DOMAIN.md, recovery step 7: keep following up
//! until the customer comes back): the cadence, and where each follow-up
//! falls — the closure plus N civil days in the customer's time zone, moved
//! forward into the next window of working hours on a working day there. The
//! window's ends are civil times read with jiff's *compatible*
//! disambiguation (as business calendars are), so a window keeps its wall
//! times across a DST change. And where a follow-up stands: scheduled → due
//! → done, or skipped (the customer transacted again), or cancelled (the
//! complaint was reopened).

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, Zoned};
use serde::Deserialize;

/// The longest outcome of a follow-up, in characters.
pub const MAX_OUTCOME: usize = 2000;

/// The weekday keys of [`WorkingHoursSettings::days`], Monday first.
const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

/// The customer's working hours as configured: one window on the days
/// named, in the customer's own zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkingHoursSettings {
    /// "HH:MM", when the window opens.
    pub start: String,
    /// "HH:MM" after `start` (or "24:00"), when it closes.
    pub end: String,
    /// The working days, lower-case English names ("monday".."sunday").
    pub days: Vec<String>,
}

impl Default for WorkingHoursSettings {
    fn default() -> Self {
        Self {
            start: "09:00".into(),
            end: "17:00".into(),
            days: WEEKDAYS[..5].iter().map(|(d, _)| (*d).to_owned()).collect(),
        }
    }
}

/// `[complaints.follow_up]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpSettings {
    /// How long after closure each follow-up falls, in order, as friendly
    /// spans ("3d", "2w", "36h"; days are the customer's civil days); their
    /// number is the most follow-ups one closure gets. Empty: no follow-ups.
    pub cadence: Vec<String>,
    /// The customer's working hours, in their own zone.
    pub working_hours: WorkingHoursSettings,
    /// The IANA zone of customers who have none on record.
    pub default_time_zone: String,
}

impl Default for FollowUpSettings {
    fn default() -> Self {
        Self {
            cadence: vec!["3d".into(), "14d".into(), "30d".into()],
            working_hours: WorkingHoursSettings::default(),
            default_time_zone: "UTC".into(),
        }
    }
}

/// The follow-up rules the service works with.
#[derive(Debug, Clone)]
pub struct FollowUpPolicy {
    /// Spans after closure, strictly increasing.
    pub cadence: Vec<Span>,
    /// The customer's working hours.
    pub hours: WorkingHours,
    /// The zone of customers without one.
    pub default_zone: TimeZone,
}

impl FollowUpSettings {
    /// Checks the settings.
    pub fn policy(&self) -> Result<FollowUpPolicy, String> {
        let mut cadence = Vec::with_capacity(self.cadence.len());
        let mut last = Timestamp::UNIX_EPOCH;
        for text in &self.cadence {
            let span: Span = text.parse().map_err(|_| {
                format!("cadence entry {text:?} is not a span such as \"3d\", \"2w\" or \"90s\"")
            })?;
            // Checked against a fixed moment: positive, increasing, at most
            // ten years.
            let at = Timestamp::UNIX_EPOCH
                .to_zoned(TimeZone::UTC)
                .checked_add(span)
                .map_err(|e| format!("cadence entry {text:?}: {e}"))?
                .timestamp();
            if at <= last {
                return Err("cadence must be positive and strictly increasing".into());
            }
            if at.duration_since(Timestamp::UNIX_EPOCH)
                > jiff::SignedDuration::from_hours(3660 * 24)
            {
                return Err(format!("cadence entry {text:?} is longer than ten years"));
            }
            last = at;
            cadence.push(span);
        }
        let hours = WorkingHours::from_settings(&self.working_hours)
            .map_err(|e| format!("working_hours: {e}"))?;
        let default_zone = TimeZone::get(&self.default_time_zone).map_err(|_| {
            format!(
                "default_time_zone {:?} is not an IANA time zone",
                self.default_time_zone
            )
        })?;
        Ok(FollowUpPolicy {
            cadence,
            hours,
            default_zone,
        })
    }
}

/// Working hours checked: a window `[start, end)` of minutes of the day on
/// at least one working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    /// Minutes after midnight the window opens.
    start: u16,
    /// Minutes after midnight it closes; more than `start`, at most 1440.
    end: u16,
    /// The working days; never empty.
    days: Vec<Weekday>,
}

/// Minutes of "HH:MM" (up to "24:00").
fn minutes(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= 24 * 60).then_some(total)
}

impl WorkingHours {
    /// Checks the settings.
    pub fn from_settings(settings: &WorkingHoursSettings) -> Result<WorkingHours, String> {
        let start = minutes(&settings.start)
            .filter(|m| *m < 24 * 60)
            .ok_or_else(|| format!("start {:?} is not a time HH:MM", settings.start))?;
        let end = minutes(&settings.end)
            .ok_or_else(|| format!("end {:?} is not a time HH:MM", settings.end))?;
        if end <= start {
            return Err("end must be after start".into());
        }
        let mut days = Vec::new();
        for day in &settings.days {
            let (_, weekday) = WEEKDAYS
                .iter()
                .find(|(name, _)| name == day)
                .ok_or_else(|| {
                    format!("days: {day:?} is not a weekday (\"monday\"..\"sunday\")")
                })?;
            if !days.contains(weekday) {
                days.push(*weekday);
            }
        }
        if days.is_empty() {
            return Err("days must name at least one weekday".into());
        }
        Ok(WorkingHours { start, end, days })
    }
}

/// The civil time `minutes` after midnight (24:00 is the next midnight,
/// given as a flag).
fn civil(minutes: u16) -> (Time, bool) {
    if minutes >= 24 * 60 {
        return (Time::midnight(), true);
    }
    let time = Time::new(
        i8::try_from(minutes / 60).unwrap_or(0),
        i8::try_from(minutes % 60).unwrap_or(0),
        0,
        0,
    )
    .unwrap_or(Time::midnight());
    (time, false)
}

/// When a follow-up `after` `close` (days counted as civil days) falls due
/// in zone `tz` with working hours `hours`: that instant if it lies in a
/// window, else the opening of the next window. `None` only past the end of
/// time.
pub fn due_time(
    close: Timestamp,
    after: Span,
    tz: &TimeZone,
    hours: &WorkingHours,
) -> Option<Timestamp> {
    let base = close.to_zoned(tz.clone()).checked_add(after).ok()?;
    next_working_instant(&base, hours)
}

/// The first instant at or after `from` inside a window of `hours` in
/// `from`'s zone.
fn next_working_instant(from: &Zoned, hours: &WorkingHours) -> Option<Timestamp> {
    let tz = from.time_zone();
    let mut date = from.date();
    // Every week has a working day, so eight days always reach a window.
    for _ in 0..8 {
        if hours.days.contains(&date.weekday()) {
            let at = |minutes: u16| -> Option<Timestamp> {
                let (time, next_day) = civil(minutes);
                let day = if next_day {
                    date.tomorrow().ok()?
                } else {
                    date
                };
                tz.to_ambiguous_zoned(day.to_datetime(time))
                    .compatible()
                    .ok()
                    .map(|z| z.timestamp())
            };
            let (open, close) = (at(hours.start)?, at(hours.end)?);
            let now = from.timestamp();
            if now < open {
                return Some(open);
            }
            if now < close {
                return Some(now);
            }
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpState {
    /// Waiting for its due time.
    Scheduled,
    /// Announced and in the owner's queue.
    Due,
    /// Done by the owner.
    Done,
    /// Not needed: the customer came back.
    Skipped,
    /// The complaint was reopened.
    Cancelled,
}

impl FollowUpState {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            FollowUpState::Scheduled => "scheduled",
            FollowUpState::Due => "due",
            FollowUpState::Done => "done",
            FollowUpState::Skipped => "skipped",
            FollowUpState::Cancelled => "cancelled",
        }
    }

    /// The value of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "scheduled" => Some(FollowUpState::Scheduled),
            "due" => Some(FollowUpState::Due),
            "done" => Some(FollowUpState::Done),
            "skipped" => Some(FollowUpState::Skipped),
            "cancelled" => Some(FollowUpState::Cancelled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> WorkingHours {
        WorkingHours::from_settings(&WorkingHoursSettings::default()).expect("valid defaults")
    }

    fn due(close: &str, days: u32, zone: &str) -> String {
        let tz = TimeZone::get(zone).expect("a zone");
        let close: Timestamp = close.parse().expect("a time");
        due_time(close, Span::new().days(i64::from(days)), &tz, &hours())
            .expect("a due time")
            .to_zoned(tz)
            .strftime("%Y-%m-%dT%H:%M%:z %a")
            .to_string()
    }

    #[test]
    fn a_follow_up_inside_working_hours_keeps_its_time_of_day() {
        // Monday 2026-11-23 12:00 UTC is 21:00 in Tokyo; 11:00 in Berlin.
        assert_eq!(
            due("2026-11-23T10:00:00Z", 3, "Europe/Berlin"),
            "2026-11-26T11:00+01:00 Thu"
        );
    }

    #[test]
    fn after_hours_in_tokyo_moves_to_the_next_morning_there() {
        // 12:00 UTC is 21:00 in Tokyo: three days on is Thursday 21:00, so
        // Friday 09:00 JST.
        assert_eq!(
            due("2026-11-23T12:00:00Z", 3, "Asia/Tokyo"),
            "2026-11-27T09:00+09:00 Fri"
        );
    }

    #[test]
    fn before_hours_in_los_angeles_moves_to_the_opening_that_day() {
        // 12:00 UTC is 04:00 in Los Angeles (PST).
        assert_eq!(
            due("2026-11-23T12:00:00Z", 3, "America/Los_Angeles"),
            "2026-11-26T09:00-08:00 Thu"
        );
    }

    #[test]
    fn a_follow_up_falling_on_a_weekend_moves_to_monday() {
        // Wednesday + 3 days = Saturday.
        assert_eq!(
            due("2026-11-25T10:00:00Z", 3, "Europe/Berlin"),
            "2026-11-30T09:00+01:00 Mon"
        );
    }

    #[test]
    fn days_are_civil_days_across_a_dst_change_in_berlin() {
        // Thursday 2026-03-26 10:00 CET (09:00 UTC); Berlin moves to CEST
        // on Sunday 29 March. Fourteen days on is 10:00 CEST on Thursday
        // 9 April: the same wall time, 08:00 UTC.
        assert_eq!(
            due("2026-03-26T09:00:00Z", 14, "Europe/Berlin"),
            "2026-04-09T10:00+02:00 Thu"
        );
        // Friday 27 March 16:30 CET + 3 days = Monday 30 March 16:30 CEST,
        // still inside the window.
        assert_eq!(
            due("2026-03-27T15:30:00Z", 3, "Europe/Berlin"),
            "2026-03-30T16:30+02:00 Mon"
        );
    }

    #[test]
    fn working_hours_are_checked() {
        let bad = |start: &str, end: &str, days: &[&str]| {
            WorkingHours::from_settings(&WorkingHoursSettings {
                start: start.into(),
                end: end.into(),
                days: days.iter().map(|d| (*d).to_owned()).collect(),
            })
            .is_err()
        };
        assert!(bad("17:00", "09:00", &["monday"]));
        assert!(bad("9:00", "17:00", &["monday"]));
        assert!(bad("09:00", "17:00", &[]));
        assert!(bad("09:00", "17:00", &["funday"]));
        assert!(!bad("00:00", "24:00", &["sunday"]));
    }

    #[test]
    fn the_cadence_reads_friendly_spans_that_must_grow() {
        let cadence = |entries: &[&str]| {
            FollowUpSettings {
                cadence: entries.iter().map(|e| (*e).to_owned()).collect(),
                ..FollowUpSettings::default()
            }
            .policy()
            .map(|p| p.cadence.len())
        };
        assert_eq!(cadence(&["3d", "2w", "30d"]), Ok(3));
        assert_eq!(cadence(&["90s"]), Ok(1));
        assert_eq!(cadence(&[]), Ok(0));
        assert!(cadence(&["3d", "3d"]).is_err());
        assert!(cadence(&["0s"]).is_err());
        assert!(cadence(&["soon"]).is_err());
        assert!(cadence(&["11y"]).is_err());
    }

    #[test]
    fn a_cadence_in_seconds_falls_due_at_once_in_round_the_clock_hours() {
        let always = WorkingHours::from_settings(&WorkingHoursSettings {
            start: "00:00".into(),
            end: "24:00".into(),
            days: WEEKDAYS.iter().map(|(d, _)| (*d).to_owned()).collect(),
        })
        .expect("valid hours");
        let close: Timestamp = "2026-11-22T03:00:00Z".parse().expect("a time");
        let due = due_time(close, Span::new().seconds(2), &TimeZone::UTC, &always);
        assert_eq!(due, Some("2026-11-22T03:00:02Z".parse().expect("a time")));
    }
}
