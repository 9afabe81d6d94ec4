//! What complaints teach (DOMAIN.md, "Complaints are market research"): the
//! pure parts of the insights report. Time series are cut into civil days or
//! ISO weeks (Monday first) in a time zone the reader chooses, so a day is the
//! reader's day across daylight-saving changes; the database groups by the
//! same rule (`date_trunc(unit, t, zone)`) and [`buckets`] lists every bucket
//! of a period, so quiet days show as zeros. A Pareto ranks causes by count
//! and marks the "vital few" that make up the configured share of all.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

/// How a series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// Civil days in the zone.
    Day,
    /// ISO weeks (Monday to Sunday) in the zone.
    Week,
}

impl Interval {
    /// PostgreSQL's `date_trunc` unit for it.
    pub fn unit(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
        }
    }
}

/// The most buckets one series may have, so a report stays a report.
pub const MAX_BUCKETS: usize = 400;

/// The start of the bucket holding `t`.
pub fn bucket_start(t: Timestamp, interval: Interval, zone: &TimeZone) -> Result<Zoned, String> {
    let day = t
        .to_zoned(zone.clone())
        .start_of_day()
        .map_err(|e| e.to_string())?;
    match interval {
        Interval::Day => Ok(day),
        Interval::Week => {
            let back = i64::from(day.weekday().to_monday_zero_offset());
            day.checked_sub(back.days())
                .and_then(|z| z.start_of_day())
                .map_err(|e| e.to_string())
        }
    }
}

/// The start of every bucket that overlaps `[start, end)`, oldest first; an
/// error when there would be more than [`MAX_BUCKETS`].
pub fn buckets(
    start: Timestamp,
    end: Timestamp,
    interval: Interval,
    zone: &TimeZone,
) -> Result<Vec<Timestamp>, String> {
    let step = match interval {
        Interval::Day => 1.day(),
        Interval::Week => 1.week(),
    };
    let mut at = bucket_start(start, interval, zone)?;
    let mut all = Vec::new();
    while at.timestamp() < end {
        if all.len() == MAX_BUCKETS {
            return Err(format!(
                "the period holds more than {MAX_BUCKETS} {}s; choose a shorter period or a longer interval",
                interval.unit()
            ));
        }
        all.push(at.timestamp());
        at = at
            .checked_add(step)
            .and_then(|z| z.start_of_day())
            .map_err(|e| e.to_string())?;
    }
    Ok(all)
}

/// One bar of a Pareto chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoBar {
    /// The cause.
    pub key: String,
    /// How many.
    pub count: i64,
    /// Its share of all, in percent.
    pub share_percent: f64,
    /// The running share up to and including this bar, in percent.
    pub cumulative_percent: f64,
    /// Whether it is among the vital few: the bars up to and including the
    /// one whose running share first reaches the cut-off.
    pub vital: bool,
}

/// The Pareto of `counts` (most first; ties by key), with the vital few up
/// to `cutoff_percent`.
pub fn pareto(mut counts: Vec<(String, i64)>, cutoff_percent: f64) -> Vec<ParetoBar> {
    counts.retain(|(_, n)| *n > 0);
    counts.sort_by(|(ka, a), (kb, b)| b.cmp(a).then_with(|| ka.cmp(kb)));
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let mut running = 0;
    let mut reached = false;
    counts
        .into_iter()
        .map(|(key, count)| {
            running += count;
            let percent = |n: i64| n as f64 * 100.0 / total as f64;
            let vital = !reached;
            let cumulative_percent = percent(running);
            reached = reached || cumulative_percent >= cutoff_percent;
            ParetoBar {
                key,
                count,
                share_percent: percent(count),
                cumulative_percent,
                vital,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    #[test]
    fn days_are_the_readers_days_across_a_daylight_saving_change() {
        let berlin = TimeZone::get("Europe/Berlin").expect("zone");
        // 2026-03-29: Berlin springs forward; that day has 23 hours.
        let days = buckets(
            at("2026-03-28T12:00:00Z"),
            at("2026-03-30T12:00:00Z"),
            Interval::Day,
            &berlin,
        )
        .expect("buckets");
        assert_eq!(
            days,
            [
                at("2026-03-27T23:00:00Z"),
                at("2026-03-28T23:00:00Z"),
                at("2026-03-29T22:00:00Z"),
            ]
        );
    }

    #[test]
    fn weeks_start_on_monday_in_the_zone() {
        let tokyo = TimeZone::get("Asia/Tokyo").expect("zone");
        // Sunday 2026-11-22 20:00 UTC is Monday 05:00 in Tokyo.
        let weeks = buckets(
            at("2026-11-22T20:00:00Z"),
            at("2026-12-01T00:00:00Z"),
            Interval::Week,
            &tokyo,
        )
        .expect("buckets");
        assert_eq!(
            weeks,
            [at("2026-11-22T15:00:00Z"), at("2026-11-29T15:00:00Z")]
        );
    }

    #[test]
    fn too_many_buckets_are_refused() {
        let utc = TimeZone::UTC;
        assert!(
            buckets(
                at("2020-01-01T00:00:00Z"),
                at("2026-01-01T00:00:00Z"),
                Interval::Day,
                &utc
            )
            .is_err()
        );
    }

    #[test]
    fn the_vital_few_reach_the_cutoff() {
        let bars = pareto(
            vec![
                ("too_slow".into(), 50),
                ("impolite".into(), 5),
                ("incorrect".into(), 30),
                ("not_provided".into(), 15),
                ("none".into(), 0),
            ],
            80.0,
        );
        let keys: Vec<&str> = bars.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(keys, ["too_slow", "incorrect", "not_provided", "impolite"]);
        let vital: Vec<bool> = bars.iter().map(|b| b.vital).collect();
        assert_eq!(vital, [true, true, false, false]);
        assert_eq!(bars[1].cumulative_percent, 80.0);
        assert_eq!(bars[3].share_percent, 5.0);
    }

    #[test]
    fn an_empty_pareto_has_no_bars() {
        assert!(pareto(vec![], 80.0).is_empty());
    }
}
