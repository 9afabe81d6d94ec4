//! Business calendars: when the organisation is at work, so that SLA clocks
//! count business time rather than wall time. A calendar is a set of working
//! hours per weekday, a list of holidays and an IANA time zone; without
//! working hours it is 24×7. The SLA clocks in [`super::sla`] ask it two
//! questions — how much business time lies between two instants, and when a
//! given amount of business time will have passed — and the two answers always
//! agree with each other.
//!
//! Working hours are civil (wall-clock) times in the calendar's zone. Each
//! day's ranges are turned into instants with the zone's rules, using jiff's
//! *compatible* disambiguation: a civil time skipped by a DST gap is read with
//! the offset from before the gap (02:30 on a spring-forward night is 03:30
//! summer time), and a civil time repeated by a DST fold is its first
//! occurrence. So a range that spans a transition gives an hour less real
//! time on a 23-hour day and an hour more on a 25-hour day. Holidays remove
//! the whole civil day.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// How far past its starting day [`Calendar::add_business`] looks for working
/// time before giving up: 1,100 civil days, about three years.
const HORIZON_DAYS: i64 = 1_100;

/// Minutes in a civil day; a range may end here ("24:00").
const MINUTES_PER_DAY: u16 = 24 * 60;

/// The weekday keys of [`CalendarSettings::working_hours`], Monday first.
const WEEKDAY_KEYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A business calendar as configured (e.g. from TOML). The default is a 24×7
/// calendar in UTC without holidays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarSettings {
    /// IANA zone name, e.g. "Europe/Berlin". Default "UTC".
    pub time_zone: String,
    /// Working hours per weekday: keys "monday".."sunday" (lower case);
    /// values a list of "HH:MM-HH:MM" ranges (end may be "24:00"). A weekday
    /// absent from the map is not worked. When the whole map is empty the
    /// calendar is 24×7.
    pub working_hours: BTreeMap<String, Vec<String>>,
    /// Holidays: civil dates ("2026-12-25") on which nobody works, in the
    /// calendar's zone.
    pub holidays: Vec<Date>,
}

impl Default for CalendarSettings {
    fn default() -> Self {
        CalendarSettings {
            time_zone: "UTC".to_owned(),
            working_hours: BTreeMap::new(),
            holidays: Vec::new(),
        }
    }
}

/// Why [`CalendarSettings`] do not describe a calendar. Each message names the
/// offending setting.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CalendarError {
    /// `time_zone` is not in the time zone database.
    #[error("calendar time_zone {name:?}: not a known IANA time zone")]
    UnknownTimeZone {
        /// The configured name.
        name: String,
        /// The time zone database's answer.
        #[source]
        source: jiff::Error,
    },
    /// A key of `working_hours` is not a weekday.
    #[error("calendar working_hours.{key}: not a weekday (expected \"monday\" .. \"sunday\")")]
    UnknownWeekday {
        /// The configured key.
        key: String,
    },
    /// A range is not of the form "HH:MM-HH:MM".
    #[error(
        "calendar working_hours.{weekday}[{index}] {range:?}: expected \"HH:MM-HH:MM\" \
         (00:00 to 23:59, the end may be 24:00)"
    )]
    MalformedRange {
        /// The weekday key.
        weekday: String,
        /// The range's position in the weekday's list.
        index: usize,
        /// The configured range.
        range: String,
    },
    /// A range ends at or before its start.
    #[error("calendar working_hours.{weekday}[{index}] {range:?}: ends at or before it starts")]
    EmptyRange {
        /// The weekday key.
        weekday: String,
        /// The range's position in the weekday's list.
        index: usize,
        /// The configured range.
        range: String,
    },
    /// Two ranges of one weekday overlap (touching ranges are fine).
    #[error("calendar working_hours.{weekday}[{index}] {range:?}: overlaps {other:?}")]
    OverlappingRanges {
        /// The weekday key.
        weekday: String,
        /// The position of the later-listed of the two ranges.
        index: usize,
        /// The later-listed range.
        range: String,
        /// The range it overlaps.
        other: String,
    },
    /// `working_hours` is not empty, yet no weekday has any working time.
    #[error(
        "calendar working_hours: no weekday has any working time \
         (leave the map empty for a 24×7 calendar)"
    )]
    NoWorkingTime,
}

/// One working range of a weekday, in civil minutes since midnight.
/// Invariant: `start < end <= MINUTES_PER_DAY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct WorkingRange {
    start: u16,
    end: u16,
}

/// A business calendar: when business time passes. Build it with
/// [`Calendar::always`] or [`Calendar::from_settings`].
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The zone in which working hours and holidays are civil times.
    time_zone: TimeZone,
    /// Working ranges per weekday, Monday first; each list sorted and
    /// disjoint. Seven full days for a 24×7 calendar.
    week: [Vec<WorkingRange>; 7],
    /// Civil dates on which nobody works.
    holidays: BTreeSet<Date>,
    /// Every instant is business time (24×7 and no holidays): business time
    /// is wall time and no day needs looking at.
    round_the_clock: bool,
}

impl Calendar {
    /// A 24×7 calendar in UTC without holidays: business time is wall time.
    pub fn always() -> Calendar {
        Calendar {
            time_zone: TimeZone::UTC,
            week: full_week(),
            holidays: BTreeSet::new(),
            round_the_clock: true,
        }
    }

    /// The calendar `settings` describe, or the first thing wrong with them.
    pub fn from_settings(settings: &CalendarSettings) -> Result<Calendar, CalendarError> {
        let time_zone = TimeZone::get(&settings.time_zone).map_err(|source| {
            CalendarError::UnknownTimeZone {
                name: settings.time_zone.clone(),
                source,
            }
        })?;
        let holidays: BTreeSet<Date> = settings.holidays.iter().copied().collect();
        if settings.working_hours.is_empty() {
            return Ok(Calendar {
                time_zone,
                week: full_week(),
                round_the_clock: holidays.is_empty(),
                holidays,
            });
        }
        let mut week: [Vec<WorkingRange>; 7] = Default::default();
        for (key, ranges) in &settings.working_hours {
            let day = WEEKDAY_KEYS
                .iter()
                .position(|weekday| weekday == key)
                .ok_or_else(|| CalendarError::UnknownWeekday { key: key.clone() })?;
            week[day] = parse_day(key, ranges)?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NoWorkingTime);
        }
        Ok(Calendar {
            time_zone,
            week,
            holidays,
            round_the_clock: false,
        })
    }

    /// Business time between two instants (zero when `to <= from`).
    pub fn business_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        if self.round_the_clock {
            return to.duration_since(from);
        }
        // Across a DST fold at midnight, the next day's first range can begin
        // before `to`; one more day covers it.
        let last_day = self.civil_date(to).tomorrow().unwrap_or(Date::MAX);
        let mut total = SignedDuration::ZERO;
        for (start, end) in self.working_spans(from, last_day) {
            if start >= to {
                break;
            }
            total += end.min(to).duration_since(start);
        }
        total
    }

    /// The instant at which `amount` of business time has passed since
    /// `from`; `from` itself when `amount <= 0`. When the amount runs out
    /// exactly at the end of a working range, that end is the answer (not the
    /// start of the next range).
    ///
    /// `None` when the calendar has no working time for `amount` within about
    /// three years (1,100 civil days) after `from`'s day, e.g. when holidays
    /// cover every working day, or when the answer would lie outside the
    /// range of [`Timestamp`].
    pub fn add_business(&self, from: Timestamp, amount: SignedDuration) -> Option<Timestamp> {
        if amount <= SignedDuration::ZERO {
            return Some(from);
        }
        if self.round_the_clock {
            return from.checked_add(amount).ok();
        }
        let first_day = self.civil_date(from);
        let horizon = jiff::Span::new()
            .try_days(HORIZON_DAYS)
            .and_then(|span| first_day.checked_add(span))
            .unwrap_or(Date::MAX);
        let mut remaining = amount;
        for (start, end) in self.working_spans(from, horizon) {
            let available = end.duration_since(start);
            if remaining <= available {
                return start.checked_add(remaining).ok();
            }
            remaining -= available;
        }
        None
    }

    /// The zone in which working hours and holidays are civil times.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The civil date of `instant` in the calendar's zone.
    fn civil_date(&self, instant: Timestamp) -> Date {
        self.time_zone.to_datetime(instant).date()
    }

    /// The working spans at or after `from` of the civil days up to
    /// `last_day`, oldest first, as disjoint half-open instants
    /// `[start, end)`, clipped to begin no earlier than `from`.
    fn working_spans(
        &self,
        from: Timestamp,
        last_day: Date,
    ) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let first_day = self.civil_date(from);
        // The day before may have a range ending at (or, across a DST
        // change, after) `from`.
        let first_day = first_day.yesterday().unwrap_or(first_day);
        let days = std::iter::successors(Some(first_day), |day| day.tomorrow().ok())
            .take_while(move |day| *day <= last_day);
        // Under compatible disambiguation, civil times just after a DST gap
        // map to instants before civil times inside it; clipping every span to
        // start no earlier than the previous one ended keeps them disjoint.
        let mut floor = from;
        days.filter(|day| !self.holidays.contains(day))
            .flat_map(move |day| {
                let weekday = usize::try_from(day.weekday().to_monday_zero_offset()).unwrap_or(0);
                self.week[weekday]
                    .iter()
                    .filter_map(move |range| self.span_of(day, *range))
            })
            .filter_map(move |(start, end)| {
                let start = start.max(floor);
                if end <= start {
                    return None;
                }
                floor = end;
                Some((start, end))
            })
    }

    /// The instants of `range` on the civil `day`, if the zone can represent
    /// them.
    fn span_of(&self, day: Date, range: WorkingRange) -> Option<(Timestamp, Timestamp)> {
        Some((
            self.civil_instant(day, range.start)?,
            self.civil_instant(day, range.end)?,
        ))
    }

    /// The instant of civil `minute` (since midnight, up to 24:00) on `day`.
    fn civil_instant(&self, day: Date, minute: u16) -> Option<Timestamp> {
        let (day, minute) = if minute >= MINUTES_PER_DAY {
            (day.tomorrow().ok()?, 0)
        } else {
            (day, minute)
        };
        let hour = i8::try_from(minute / 60).ok()?;
        let minute = i8::try_from(minute % 60).ok()?;
        let time = Time::new(hour, minute, 0, 0).ok()?;
        self.time_zone.to_timestamp(day.to_datetime(time)).ok()
    }
}

/// Every weekday worked from 00:00 to 24:00.
fn full_week() -> [Vec<WorkingRange>; 7] {
    std::array::from_fn(|_| {
        vec![WorkingRange {
            start: 0,
            end: MINUTES_PER_DAY,
        }]
    })
}

/// The working ranges of one weekday, sorted, or why they are invalid.
fn parse_day(weekday: &str, ranges: &[String]) -> Result<Vec<WorkingRange>, CalendarError> {
    let mut parsed: Vec<(WorkingRange, usize)> = Vec::with_capacity(ranges.len());
    for (index, text) in ranges.iter().enumerate() {
        let range = parse_range(text).ok_or_else(|| CalendarError::MalformedRange {
            weekday: weekday.to_owned(),
            index,
            range: text.clone(),
        })?;
        if range.end <= range.start {
            return Err(CalendarError::EmptyRange {
                weekday: weekday.to_owned(),
                index,
                range: text.clone(),
            });
        }
        if let Some((_, other)) = parsed
            .iter()
            .find(|(seen, _)| seen.start < range.end && range.start < seen.end)
        {
            return Err(CalendarError::OverlappingRanges {
                weekday: weekday.to_owned(),
                index,
                range: text.clone(),
                other: ranges.get(*other).cloned().unwrap_or_default(),
            });
        }
        parsed.push((range, index));
    }
    let mut day: Vec<WorkingRange> = parsed.into_iter().map(|(range, _)| range).collect();
    day.sort();
    Ok(day)
}

/// "HH:MM-HH:MM" (surrounding spaces allowed) as minutes since midnight.
/// The order of start and end is not checked here.
fn parse_range(text: &str) -> Option<WorkingRange> {
    let (start, end) = text.split_once('-')?;
    let start = parse_clock(start.trim())?;
    let end = parse_clock(end.trim())?;
    (start < MINUTES_PER_DAY).then_some(WorkingRange { start, end })
}

/// "HH:MM" (one or two hour digits, two minute digits) as minutes since
/// midnight; "24:00" is the end of the day.
fn parse_clock(text: &str) -> Option<u16> {
    let (hour, minute) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hour) || hour.len() > 2 || !digits(minute) || minute.len() != 2 {
        return None;
    }
    let hour: u16 = hour.parse().ok()?;
    let minute: u16 = minute.parse().ok()?;
    match (hour, minute) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(hour * 60 + minute),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{Weekday, date};
    use proptest::prelude::*;

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn settings(zone: &str, days: &[(&str, &[&str])], holidays: &[Date]) -> CalendarSettings {
        CalendarSettings {
            time_zone: zone.to_owned(),
            working_hours: days
                .iter()
                .map(|(day, ranges)| {
                    (
                        (*day).to_owned(),
                        ranges.iter().map(|r| (*r).to_owned()).collect(),
                    )
                })
                .collect(),
            holidays: holidays.to_vec(),
        }
    }

    const SPLIT_DAY: &[&str] = &["09:00-12:30", "13:30-17:00"];

    /// Europe/Berlin, Mon–Fri 09:00-12:30 and 13:30-17:00, Christmas off.
    fn berlin_office() -> Calendar {
        Calendar::from_settings(&settings(
            "Europe/Berlin",
            &[
                ("monday", SPLIT_DAY),
                ("tuesday", SPLIT_DAY),
                ("wednesday", SPLIT_DAY),
                ("thursday", SPLIT_DAY),
                ("friday", SPLIT_DAY),
            ],
            &[date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1)],
        ))
        .expect("a valid calendar")
    }

    fn berlin(dt: jiff::civil::DateTime) -> Timestamp {
        TimeZone::get("Europe/Berlin")
            .expect("Europe/Berlin is known")
            .to_timestamp(dt)
            .expect("a representable instant")
    }

    fn utc(text: &str) -> Timestamp {
        text.parse().expect("a valid timestamp")
    }

    fn error_of(settings: &CalendarSettings) -> CalendarError {
        Calendar::from_settings(settings).expect_err("settings should be rejected")
    }

    #[test]
    fn the_default_settings_are_a_24x7_utc_calendar() {
        // Arrange
        let defaults = CalendarSettings::default();

        // Act
        let calendar = Calendar::from_settings(&defaults).expect("defaults are valid");

        // Assert
        assert_eq!(calendar.time_zone().iana_name(), Some("UTC"));
        assert!(calendar.round_the_clock);
    }

    #[test]
    fn a_24x7_calendar_counts_wall_time() {
        // Arrange
        let calendar = Calendar::always();
        let from = utc("2026-03-27T15:00:00Z");
        let to = utc("2026-04-03T09:30:00Z");

        // Act
        let between = calendar.business_between(from, to);
        let later = calendar.add_business(from, hours(42));

        // Assert
        assert_eq!(between, to.duration_since(from));
        assert_eq!(later, Some(utc("2026-03-29T09:00:00Z")));
    }

    #[test]
    fn no_time_passes_backwards_or_for_nothing() {
        // Arrange
        let calendar = berlin_office();
        let from = berlin(date(2026, 12, 23).at(10, 0, 0, 0));

        // Act / Assert
        assert_eq!(
            calendar.business_between(from, from - hours(5)),
            SignedDuration::ZERO
        );
        assert_eq!(
            calendar.add_business(from, SignedDuration::ZERO),
            Some(from)
        );
        assert_eq!(calendar.add_business(from, -hours(3)), Some(from));
    }

    #[test]
    fn a_deadline_skips_the_christmas_holidays_and_the_weekend_in_berlin() {
        // Arrange
        let calendar = berlin_office();
        let wednesday = date(2026, 12, 23);
        assert_eq!(wednesday.weekday(), Weekday::Wednesday);
        let from = berlin(wednesday.at(16, 0, 0, 0));

        // Act: 1h on Wednesday, Thu/Fri are holidays, Sat/Sun not worked,
        // then 3.5h + 3.5h on Monday.
        let deadline = calendar.add_business(from, hours(8));

        // Assert
        let monday_close = berlin(date(2026, 12, 28).at(17, 0, 0, 0));
        assert_eq!(deadline, Some(monday_close));
        assert_eq!(monday_close, utc("2026-12-28T16:00:00Z"));
        assert_eq!(calendar.business_between(from, monday_close), hours(8));
    }

    #[test]
    fn the_lunch_break_is_not_business_time() {
        // Arrange
        let calendar = berlin_office();
        let from = berlin(date(2026, 12, 23).at(16, 0, 0, 0));

        // Act
        let deadline = calendar.add_business(from, hours(4));

        // Assert: 1h Wednesday, 3h from Monday 09:00.
        assert_eq!(deadline, Some(berlin(date(2026, 12, 28).at(12, 0, 0, 0))));
        let after_lunch = calendar.add_business(from, hours(4) + mins(45));
        assert_eq!(
            after_lunch,
            Some(berlin(date(2026, 12, 28).at(13, 45, 0, 0)))
        );
    }

    #[test]
    fn a_friday_evening_deadline_moves_past_the_weekend() {
        // Arrange: the weekend of 2026-03-29, when Berlin moves to summer time.
        let calendar = berlin_office();
        let friday = date(2026, 3, 27);
        assert_eq!(friday.weekday(), Weekday::Friday);
        let from = berlin(friday.at(16, 0, 0, 0));

        // Act
        let deadline = calendar.add_business(from, hours(2));

        // Assert: Monday 10:00 summer time is 08:00 UTC.
        assert_eq!(deadline, Some(utc("2026-03-30T08:00:00Z")));
        assert_eq!(from, utc("2026-03-27T15:00:00Z"));
    }

    #[test]
    fn a_range_across_the_spring_forward_gap_loses_an_hour() {
        // Arrange
        let calendar = Calendar::from_settings(&settings(
            "Europe/Berlin",
            &[("sunday", &["01:00-04:00"])],
            &[],
        ))
        .expect("a valid calendar");
        let saturday = utc("2026-03-28T00:00:00Z");
        let monday = utc("2026-03-30T00:00:00Z");

        // Act
        let between = calendar.business_between(saturday, monday);
        let deadline = calendar.add_business(saturday, hours(2));

        // Assert: 01:00 CET (00:00Z) to 04:00 CEST (02:00Z).
        assert_eq!(between, hours(2));
        assert_eq!(deadline, Some(utc("2026-03-29T02:00:00Z")));
    }

    #[test]
    fn a_range_across_the_autumn_fold_gains_an_hour() {
        // Arrange
        let calendar = Calendar::from_settings(&settings(
            "Europe/Berlin",
            &[("sunday", &["01:00-04:00"])],
            &[],
        ))
        .expect("a valid calendar");

        // Act
        let between =
            calendar.business_between(utc("2026-10-24T00:00:00Z"), utc("2026-10-26T00:00:00Z"));

        // Assert: 01:00 CEST (23:00Z) to 04:00 CET (03:00Z).
        assert_eq!(between, hours(4));
    }

    #[test]
    fn whole_days_follow_the_length_of_the_local_day() {
        // Arrange
        let calendar = Calendar::from_settings(&settings(
            "Europe/Berlin",
            &[("sunday", &["00:00-24:00"])],
            &[],
        ))
        .expect("a valid calendar");
        let year_start = utc("2026-01-01T00:00:00Z");
        let year_end = utc("2027-01-01T00:00:00Z");

        // Act
        let spring = calendar.business_between(
            berlin(date(2026, 3, 29).at(0, 0, 0, 0)),
            berlin(date(2026, 3, 30).at(0, 0, 0, 0)),
        );
        let autumn = calendar.business_between(
            berlin(date(2026, 10, 25).at(0, 0, 0, 0)),
            berlin(date(2026, 10, 26).at(0, 0, 0, 0)),
        );
        let year = calendar.business_between(year_start, year_end);

        // Assert: 52 Sundays in 2026, one 23h and one 25h long.
        assert_eq!(spring, hours(23));
        assert_eq!(autumn, hours(25));
        assert_eq!(year, hours(52 * 24));
    }

    #[test]
    fn a_range_ending_at_midnight_runs_into_the_next_day() {
        // Arrange
        let calendar =
            Calendar::from_settings(&settings("UTC", &[("friday", &["22:00-24:00"])], &[]))
                .expect("a valid calendar");
        let friday_late = utc("2026-03-27T23:00:00Z");

        // Act
        let between = calendar.business_between(friday_late, utc("2026-03-28T12:00:00Z"));
        let deadline = calendar.add_business(friday_late, hours(1));

        // Assert
        assert_eq!(between, hours(1));
        assert_eq!(deadline, Some(utc("2026-03-28T00:00:00Z")));
    }

    #[test]
    fn holidays_in_a_24x7_calendar_remove_whole_days() {
        // Arrange
        let calendar =
            Calendar::from_settings(&settings("Europe/Berlin", &[], &[date(2026, 12, 25)]))
                .expect("a valid calendar");
        let from = berlin(date(2026, 12, 24).at(12, 0, 0, 0));

        // Act
        let deadline = calendar.add_business(from, hours(13));

        // Assert: 12h until Christmas starts, then 1h on Boxing Day.
        assert_eq!(deadline, Some(berlin(date(2026, 12, 26).at(1, 0, 0, 0))));
    }

    #[test]
    fn a_year_of_office_hours_is_counted_day_by_day() {
        // Arrange
        let calendar = berlin_office();

        // Act
        let year = calendar.business_between(
            berlin(date(2026, 1, 1).at(0, 0, 0, 0)),
            berlin(date(2027, 1, 1).at(0, 0, 0, 0)),
        );

        // Assert: 2026 has 261 weekdays; Dec 24 and 25 are weekday holidays.
        assert_eq!(year, hours(7 * 259));
    }

    #[test]
    fn a_calendar_whose_working_days_are_all_holidays_has_no_deadline() {
        // Arrange: only Sundays are worked, and every Sunday for four years
        // is a holiday.
        let first_sunday = date(2026, 1, 4);
        let holidays: Vec<Date> = (0..4 * 53)
            .map(|week| {
                first_sunday
                    .checked_add(SignedDuration::from_hours(24 * 7 * week))
                    .expect("a representable date")
            })
            .collect();
        let calendar =
            Calendar::from_settings(&settings("UTC", &[("sunday", &["09:00-17:00"])], &holidays))
                .expect("a valid calendar");

        // Act
        let deadline = calendar.add_business(utc("2026-01-01T00:00:00Z"), hours(1));

        // Assert
        assert_eq!(deadline, None);
    }

    #[test]
    fn settings_are_read_from_json_with_defaults() {
        // Arrange
        let json = r#"{"time_zone":"Asia/Tokyo","holidays":["2026-01-01"]}"#;

        // Act
        let settings: CalendarSettings = serde_json::from_str(json).expect("valid settings");

        // Assert
        assert_eq!(settings.time_zone, "Asia/Tokyo");
        assert!(settings.working_hours.is_empty());
        assert_eq!(settings.holidays, vec![date(2026, 1, 1)]);
        let unknown = serde_json::from_str::<CalendarSettings>(r#"{"zone":"UTC"}"#);
        assert!(unknown.is_err());
    }

    #[test]
    fn an_unknown_time_zone_is_rejected() {
        let error = error_of(&settings("Mars/Olympus_Mons", &[], &[]));
        assert!(
            matches!(error, CalendarError::UnknownTimeZone { ref name, .. } if name == "Mars/Olympus_Mons")
        );
        assert!(error.to_string().contains("\"Mars/Olympus_Mons\""));
    }

    #[test]
    fn an_unknown_weekday_is_rejected() {
        let error = error_of(&settings("UTC", &[("funday", &["09:00-17:00"])], &[]));
        assert!(matches!(error, CalendarError::UnknownWeekday { ref key } if key == "funday"));
        assert!(
            error
                .to_string()
                .starts_with("calendar working_hours.funday:")
        );
    }

    #[test]
    fn a_malformed_range_is_rejected() {
        for bad in [
            "9-17",
            "09:00",
            "09:00-25:00",
            "24:00-24:00",
            "09:60-10:00",
            "9:0-10:00",
            "a:bc-10:00",
        ] {
            let error = error_of(&settings("UTC", &[("monday", &["08:00-08:30", bad])], &[]));
            assert!(
                matches!(error, CalendarError::MalformedRange { index: 1, ref range, .. } if range == bad),
                "{bad}: {error}"
            );
        }
        let error = error_of(&settings("UTC", &[("monday", &["9-17"])], &[]));
        assert!(
            error
                .to_string()
                .starts_with("calendar working_hours.monday[0] \"9-17\":")
        );
    }

    #[test]
    fn a_range_ending_before_it_starts_is_rejected() {
        let error = error_of(&settings("UTC", &[("tuesday", &["17:00-09:00"])], &[]));
        assert!(matches!(error, CalendarError::EmptyRange { index: 0, .. }));
        let error = error_of(&settings("UTC", &[("tuesday", &["09:00-09:00"])], &[]));
        assert!(matches!(error, CalendarError::EmptyRange { .. }));
    }

    #[test]
    fn overlapping_ranges_on_one_day_are_rejected() {
        // Arrange
        let overlapping = settings("UTC", &[("friday", &["13:00-17:00", "09:00-13:30"])], &[]);
        let touching = settings("UTC", &[("friday", &["13:00-17:00", "09:00-13:00"])], &[]);

        // Act
        let error = error_of(&overlapping);

        // Assert
        assert!(matches!(
            error,
            CalendarError::OverlappingRanges { index: 1, ref other, .. } if other == "13:00-17:00"
        ));
        assert!(Calendar::from_settings(&touching).is_ok());
    }

    #[test]
    fn working_hours_without_any_working_time_are_rejected() {
        let error = error_of(&settings("UTC", &[("monday", &[]), ("friday", &[])], &[]));
        assert!(matches!(error, CalendarError::NoWorkingTime));
    }

    fn office_instant() -> impl Strategy<Value = Timestamp> {
        // 2026-01-01 .. 2028-12-31, to the second.
        (1_767_225_600i64..1_861_833_600)
            .prop_map(|s| Timestamp::from_second(s).expect("a representable instant"))
    }

    proptest! {
        #[test]
        fn adding_business_time_and_measuring_it_agree(
            from in office_instant(),
            amount in 1i64..400 * 3600,
        ) {
            let calendar = berlin_office();
            let amount = SignedDuration::from_secs(amount);
            let deadline = calendar.add_business(from, amount).expect("working time ahead");
            prop_assert!(deadline >= from);
            prop_assert_eq!(calendar.business_between(from, deadline), amount);
        }

        #[test]
        fn a_larger_amount_never_gives_an_earlier_deadline(
            from in office_instant(),
            smaller in 0i64..200 * 3600,
            extra in 0i64..200 * 3600,
        ) {
            let calendar = berlin_office();
            let first = calendar.add_business(from, SignedDuration::from_secs(smaller));
            let second = calendar.add_business(from, SignedDuration::from_secs(smaller + extra));
            prop_assert!(first <= second);
        }

        #[test]
        fn business_time_is_additive_and_never_exceeds_wall_time(
            a in office_instant(),
            b in office_instant(),
            c in office_instant(),
        ) {
            let mut points = [a, b, c];
            points.sort();
            let [a, b, c] = points;
            let calendar = berlin_office();
            let whole = calendar.business_between(a, c);
            prop_assert_eq!(whole, calendar.business_between(a, b) + calendar.business_between(b, c));
            prop_assert!(whole <= c.duration_since(a));
        }
    }
}
