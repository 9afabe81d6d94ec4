//! SLA clocks: how long a complaint has waited on us, step by step, measured
//! in the business time of a [`Calendar`]. The clocks are not stored; they are
//! recomputed from what happened to the complaint (its [`Timeline`]) whenever
//! someone asks, so a change of calendar or target never leaves stale clocks
//! behind. Every step of complaint handling has a time limit, and long cases
//! owe the customer regular updates; these are the four clocks:
//!
//! - **Acknowledgement** starts at receipt and stops at the first move out of
//!   [`State::Received`] (to Acknowledged, or Merged, or Closed).
//! - **First response** starts at receipt and stops at the first customer
//!   update or the first entry into [`State::ResolutionProposed`], whichever
//!   comes first. It pauses while [`State::AwaitingCustomer`] or
//!   [`State::Merged`].
//! - **Update** keeps the customer informed on long cases. It exists only
//!   from acknowledgement on (no reading before) and runs only while the
//!   complaint is Acknowledged or Investigating. A cycle starts at entering
//!   Acknowledged, at each customer update, and at each entry into
//!   Investigating (the customer answered, a proposal was rejected, the
//!   complaint was reopened or unmerged); each cycle counts from zero.
//!   AwaitingCustomer and Merged pause it; ResolutionProposed, Resolved and
//!   Closed stop it (a later entry into Investigating starts a new cycle).
//! - **Resolution** starts at receipt, pauses while AwaitingCustomer,
//!   ResolutionProposed or Merged, and stops at entering Resolved. A reopen
//!   (from Resolved or Closed back to an open state) starts a new cycle with
//!   nothing elapsed.
//!
//! Closing without Resolved (an inquiry or feedback: Acknowledged → Closed)
//! stops every clock still running or paused. Unmerging returns to the earlier
//! state, and the span spent Merged is never counted. A stop is final for its
//! cycle: the first stop time is kept.
//!
//! Deadlines come from the calendar: the due time is
//! `calendar.add_business(start of the current running span, target − elapsed
//! before that span)`, and the warning time likewise with
//! `warning_fraction × target` (rounded to the second).

use jiff::{SignedDuration, Timestamp};

use super::calendar::Calendar;
use super::state::State;

/// One of a complaint's SLA clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClockKind {
    /// From receipt until the customer is told the complaint was received.
    Acknowledgement,
    /// From receipt until the customer first hears from staff.
    FirstResponse,
    /// From the last news to the customer until the next, on long cases.
    Update,
    /// From receipt (or reopening) until the complaint is resolved.
    Resolution,
}

impl ClockKind {
    /// Every clock, in the order a complaint meets them.
    pub const ALL: [ClockKind; 4] = [
        ClockKind::Acknowledgement,
        ClockKind::FirstResponse,
        ClockKind::Update,
        ClockKind::Resolution,
    ];

    /// The clock's code in storage, events and configuration:
    /// `acknowledgement`, `first_response`, `update`, `resolution`.
    pub fn code(self) -> &'static str {
        match self {
            ClockKind::Acknowledgement => "acknowledgement",
            ClockKind::FirstResponse => "first_response",
            ClockKind::Update => "update",
            ClockKind::Resolution => "resolution",
        }
    }

    /// The clock with `code`, if any.
    pub fn from_code(code: &str) -> Option<ClockKind> {
        ClockKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// The time limit of each clock, in business time; `None` means the clock is
/// not kept. The SLA policy chooses them per complaint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Targets {
    /// Limit for acknowledging receipt.
    pub acknowledgement: Option<SignedDuration>,
    /// Limit for the first response to the customer.
    pub first_response: Option<SignedDuration>,
    /// Longest the customer may go without news while the case is worked.
    pub update: Option<SignedDuration>,
    /// Limit for resolving the complaint, per cycle.
    pub resolution: Option<SignedDuration>,
}

impl Targets {
    /// The target of clock `kind`, if it is kept.
    pub fn of(&self, kind: ClockKind) -> Option<SignedDuration> {
        match kind {
            ClockKind::Acknowledgement => self.acknowledgement,
            ClockKind::FirstResponse => self.first_response,
            ClockKind::Update => self.update,
            ClockKind::Resolution => self.resolution,
        }
    }
}

/// What happened to a complaint that bears on its clocks, in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// (time entered, state) for every state the complaint has been in,
    /// oldest first; the first is (receive time, State::Received).
    pub states: Vec<(Timestamp, State)>,
    /// Times the customer was sent a customer-visible message by staff,
    /// oldest first. Only messages that count as a response belong here
    /// (an automatic receipt would stop the first-response clock).
    pub customer_updates: Vec<Timestamp>,
}

/// Where one clock stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// Which clock this is.
    pub kind: ClockKind,
    /// When the clock's current cycle began (identifies the cycle: the update
    /// clock starts a new cycle at each update; the resolution clock starts a
    /// new cycle when the complaint is reopened). Never after the reading's
    /// `now`.
    pub cycle_start: Timestamp,
    /// The clock's limit, in business time.
    pub target: SignedDuration,
    /// Business time counted so far in this cycle (up to `now`, or up to the
    /// stop), excluding paused spans. Never negative, never more than the wall
    /// time from `cycle_start` to `now`.
    pub elapsed: SignedDuration,
    /// Whether the clock is counting, paused or stopped.
    pub status: ClockStatus,
}

impl ClockReading {
    /// Whether the target is missed: more than the target has elapsed (or the
    /// clock stopped late).
    pub fn breached(&self) -> bool {
        self.elapsed > self.target || matches!(self.status, ClockStatus::Stopped { met: false, .. })
    }
}

/// Whether a clock is counting, and what that means for its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockStatus {
    /// Counting. `warn_time`: when `warning_fraction` of the target is used
    /// up; `due_time`: when all of it is. Either may be in the past (then the
    /// warning/breach is due). `None` when the calendar has no working time
    /// ahead within its horizon.
    Running {
        /// When the warning fraction of the target is used up.
        warn_time: Option<Timestamp>,
        /// When the whole target is used up.
        due_time: Option<Timestamp>,
    },
    /// Not counting now (awaiting the customer, a proposal pending, or
    /// merged); counting resumes when the complaint moves on.
    Paused,
    /// Stopped at `at`; `met` when elapsed <= target at that moment.
    Stopped {
        /// When the clock stopped.
        at: Timestamp,
        /// Whether the target was met.
        met: bool,
    },
}

/// Reads every clock that has a target, as of `now`, in [`ClockKind::ALL`]
/// order. Entries of the timeline after `now` are not yet counted; a
/// complaint without states (or received after `now`) has no readings.
/// Entries out of time order are taken in time order, and customer updates
/// before receipt count as made at receipt. `warning_fraction` is
/// meant to lie in (0, 1]; values outside are clamped to [0, 1], and NaN
/// counts as 1.
pub fn read(
    timeline: &Timeline,
    targets: &Targets,
    calendar: &Calendar,
    warning_fraction: f64,
    now: Timestamp,
) -> Vec<ClockReading> {
    let Some(clocks) = Clocks::replay(timeline, calendar, now) else {
        return Vec::new();
    };
    let warning_fraction = if warning_fraction.is_nan() {
        1.0
    } else {
        warning_fraction.clamp(0.0, 1.0)
    };
    ClockKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let target = targets.of(kind)?;
            let cycle = clocks.cycle(kind)?;
            Some(cycle.reading(kind, target, calendar, warning_fraction, now))
        })
        .collect()
}

/// Something in a timeline that moves the clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// The complaint entered a state.
    Enter(State),
    /// Staff sent the customer a customer-visible message.
    CustomerUpdate,
}

/// The four clocks' current cycles while a timeline is replayed.
#[derive(Debug)]
struct Clocks {
    acknowledgement: Cycle,
    first_response: Cycle,
    /// `None` until the complaint is acknowledged.
    update: Option<Cycle>,
    resolution: Cycle,
}

impl Clocks {
    /// The clocks after every timeline entry up to `now`; `None` when the
    /// complaint had not been received by then.
    fn replay(timeline: &Timeline, calendar: &Calendar, now: Timestamp) -> Option<Clocks> {
        let mut events: Vec<(Timestamp, Event)> = timeline
            .states
            .iter()
            .map(|&(at, state)| (at, Event::Enter(state)))
            .chain(
                timeline
                    .customer_updates
                    .iter()
                    .map(|&at| (at, Event::CustomerUpdate)),
            )
            .filter(|(at, _)| *at <= now)
            .collect();
        // Stable: at equal times, state changes come before updates.
        events.sort_by_key(|(at, _)| *at);
        let received_at = events.iter().find_map(|(at, event)| match event {
            Event::Enter(_) => Some(*at),
            Event::CustomerUpdate => None,
        })?;
        let mut clocks = Clocks {
            acknowledgement: Cycle::begin(received_at, true),
            first_response: Cycle::begin(received_at, true),
            update: None,
            resolution: Cycle::begin(received_at, true),
        };
        let mut current = State::Received;
        for (at, event) in events {
            // Nothing counts before receipt.
            let at = at.max(received_at);
            match event {
                Event::Enter(state) => {
                    clocks.enter(at, state, calendar);
                    current = state;
                }
                Event::CustomerUpdate => clocks.customer_updated(at, current, calendar),
            }
        }
        Some(clocks)
    }

    /// The complaint entered `state` at `at`.
    fn enter(&mut self, at: Timestamp, state: State, calendar: &Calendar) {
        use State::*;
        if state != Received {
            self.acknowledgement.stop(at, calendar);
        }
        match state {
            ResolutionProposed | Resolved | Closed => self.first_response.stop(at, calendar),
            AwaitingCustomer | Merged => self.first_response.pause(at, calendar),
            Received | Acknowledged | Investigating => self.first_response.run(at),
        }
        match (state, self.update.as_mut()) {
            (Acknowledged | Investigating, _) => self.update = Some(Cycle::begin(at, true)),
            (ResolutionProposed | Resolved | Closed, Some(update)) => update.stop(at, calendar),
            (Received | AwaitingCustomer | Merged, Some(update)) => update.pause(at, calendar),
            (_, None) => {}
        }
        if self.resolution.is_stopped() && state.is_open() {
            self.resolution = Cycle::begin(at, resolution_counts_in(state));
        } else {
            match state {
                Resolved | Closed => self.resolution.stop(at, calendar),
                state if resolution_counts_in(state) => self.resolution.run(at),
                _ => self.resolution.pause(at, calendar),
            }
        }
    }

    /// Staff sent the customer a message at `at`, while in state `current`.
    fn customer_updated(&mut self, at: Timestamp, current: State, calendar: &Calendar) {
        self.first_response.stop(at, calendar);
        if let Some(update) = self.update.as_mut()
            && !update.is_stopped()
        {
            *update = Cycle::begin(at, update_counts_in(current));
        }
    }

    /// The current cycle of clock `kind`, if it has one.
    fn cycle(&self, kind: ClockKind) -> Option<&Cycle> {
        match kind {
            ClockKind::Acknowledgement => Some(&self.acknowledgement),
            ClockKind::FirstResponse => Some(&self.first_response),
            ClockKind::Update => self.update.as_ref(),
            ClockKind::Resolution => Some(&self.resolution),
        }
    }
}

/// Whether the update clock counts while the complaint is in `state`.
fn update_counts_in(state: State) -> bool {
    matches!(state, State::Acknowledged | State::Investigating)
}

/// Whether the resolution clock counts while the complaint is in `state`.
fn resolution_counts_in(state: State) -> bool {
    matches!(
        state,
        State::Received | State::Acknowledged | State::Investigating
    )
}

/// One cycle of one clock. Invariants: once `stopped_at` is set nothing
/// changes; `running_since` is `None` when stopped.
#[derive(Debug)]
struct Cycle {
    /// When the cycle began.
    start: Timestamp,
    /// Business time of the finished counting spans.
    counted: SignedDuration,
    /// Start of the current counting span, if counting.
    running_since: Option<Timestamp>,
    /// When the cycle stopped, if it did.
    stopped_at: Option<Timestamp>,
}

impl Cycle {
    /// A cycle beginning at `at`, counting or paused.
    fn begin(at: Timestamp, running: bool) -> Cycle {
        Cycle {
            start: at,
            counted: SignedDuration::ZERO,
            running_since: running.then_some(at),
            stopped_at: None,
        }
    }

    fn is_stopped(&self) -> bool {
        self.stopped_at.is_some()
    }

    /// Counts from `at` on, unless stopped or already counting.
    fn run(&mut self, at: Timestamp) {
        if self.stopped_at.is_none() && self.running_since.is_none() {
            self.running_since = Some(at);
        }
    }

    /// Stops counting at `at`, keeping what was counted.
    fn pause(&mut self, at: Timestamp, calendar: &Calendar) {
        if let Some(since) = self.running_since.take() {
            self.counted = self
                .counted
                .saturating_add(calendar.business_between(since, at));
        }
    }

    /// Ends the cycle at `at`; later calls change nothing.
    fn stop(&mut self, at: Timestamp, calendar: &Calendar) {
        if self.stopped_at.is_none() {
            self.pause(at, calendar);
            self.stopped_at = Some(at);
        }
    }

    /// The cycle as seen at `now`.
    fn reading(
        &self,
        kind: ClockKind,
        target: SignedDuration,
        calendar: &Calendar,
        warning_fraction: f64,
        now: Timestamp,
    ) -> ClockReading {
        let (elapsed, status) = match (self.stopped_at, self.running_since) {
            (Some(at), _) => (
                self.counted,
                ClockStatus::Stopped {
                    at,
                    met: self.counted <= target,
                },
            ),
            (None, Some(since)) => {
                let warning = warning_amount(target, warning_fraction);
                (
                    self.counted
                        .saturating_add(calendar.business_between(since, now)),
                    ClockStatus::Running {
                        warn_time: calendar
                            .add_business(since, warning.saturating_sub(self.counted)),
                        due_time: calendar.add_business(since, target.saturating_sub(self.counted)),
                    },
                )
            }
            (None, None) => (self.counted, ClockStatus::Paused),
        };
        ClockReading {
            kind,
            cycle_start: self.start,
            target,
            elapsed,
            status,
        }
    }
}

/// `fraction` (in [0, 1]) of `target`, rounded to the second.
fn warning_amount(target: SignedDuration, fraction: f64) -> SignedDuration {
    SignedDuration::try_from_secs_f64((target.as_secs_f64() * fraction).round()).unwrap_or(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::CalendarSettings;
    use State::*;
    use jiff::civil::{DateTime, date};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn utc(text: &str) -> Timestamp {
        text.parse().expect("a valid timestamp")
    }

    /// 2026-01-05 (a Monday) at `hh:mm` UTC, plus `days`.
    fn jan5(days: i64, hh: i8, mm: i8) -> Timestamp {
        date(2026, 1, 5)
            .at(hh, mm, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("a representable time")
            .timestamp()
            + hours(24 * days)
    }

    const SPLIT_DAY: &[&str] = &["09:00-12:30", "13:30-17:00"];

    /// Europe/Berlin, Mon–Fri 09:00-12:30 and 13:30-17:00, Christmas off.
    fn berlin_office() -> Calendar {
        let working_hours: BTreeMap<String, Vec<String>> =
            ["monday", "tuesday", "wednesday", "thursday", "friday"]
                .into_iter()
                .map(|day| {
                    (
                        day.to_owned(),
                        SPLIT_DAY.iter().map(|r| (*r).to_owned()).collect(),
                    )
                })
                .collect();
        Calendar::from_settings(&CalendarSettings {
            time_zone: "Europe/Berlin".to_owned(),
            working_hours,
            holidays: vec![date(2026, 12, 24), date(2026, 12, 25)],
        })
        .expect("a valid calendar")
    }

    fn berlin(dt: DateTime) -> Timestamp {
        berlin_office()
            .time_zone()
            .to_timestamp(dt)
            .expect("a representable instant")
    }

    fn timeline(states: &[(Timestamp, State)], updates: &[Timestamp]) -> Timeline {
        Timeline {
            states: states.to_vec(),
            customer_updates: updates.to_vec(),
        }
    }

    fn only(kind: ClockKind, target: SignedDuration) -> Targets {
        let mut targets = Targets::default();
        match kind {
            ClockKind::Acknowledgement => targets.acknowledgement = Some(target),
            ClockKind::FirstResponse => targets.first_response = Some(target),
            ClockKind::Update => targets.update = Some(target),
            ClockKind::Resolution => targets.resolution = Some(target),
        }
        targets
    }

    /// The single reading of the only clock with a target.
    fn read_one(
        timeline: &Timeline,
        kind: ClockKind,
        target: SignedDuration,
        calendar: &Calendar,
        now: Timestamp,
    ) -> Option<ClockReading> {
        let readings = read(timeline, &only(kind, target), calendar, 0.8, now);
        assert!(readings.len() <= 1);
        readings.into_iter().next()
    }

    #[test]
    fn every_clock_code_reads_back_as_its_kind() {
        for kind in ClockKind::ALL {
            assert_eq!(ClockKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ClockKind::from_code("patience"), None);
    }

    #[test]
    fn targets_name_the_target_of_each_clock() {
        let targets = Targets {
            acknowledgement: Some(hours(1)),
            resolution: Some(hours(48)),
            ..Targets::default()
        };
        assert_eq!(targets.of(ClockKind::Acknowledgement), Some(hours(1)));
        assert_eq!(targets.of(ClockKind::FirstResponse), None);
        assert_eq!(targets.of(ClockKind::Update), None);
        assert_eq!(targets.of(ClockKind::Resolution), Some(hours(48)));
    }

    #[test]
    fn a_24x7_utc_complaint_reads_exact_numbers() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 30), Acknowledged),
                (jan5(0, 1, 0), Investigating),
            ],
            &[jan5(0, 3, 0)],
        );
        let targets = Targets {
            acknowledgement: Some(hours(1)),
            first_response: Some(hours(4)),
            update: Some(hours(4)),
            resolution: Some(hours(48)),
        };

        // Act
        let readings = read(&history, &targets, &Calendar::always(), 0.8, jan5(0, 5, 0));

        // Assert
        assert_eq!(
            readings,
            vec![
                ClockReading {
                    kind: ClockKind::Acknowledgement,
                    cycle_start: jan5(0, 0, 0),
                    target: hours(1),
                    elapsed: mins(30),
                    status: ClockStatus::Stopped {
                        at: jan5(0, 0, 30),
                        met: true
                    },
                },
                ClockReading {
                    kind: ClockKind::FirstResponse,
                    cycle_start: jan5(0, 0, 0),
                    target: hours(4),
                    elapsed: hours(3),
                    status: ClockStatus::Stopped {
                        at: jan5(0, 3, 0),
                        met: true
                    },
                },
                ClockReading {
                    kind: ClockKind::Update,
                    cycle_start: jan5(0, 3, 0),
                    target: hours(4),
                    elapsed: hours(2),
                    status: ClockStatus::Running {
                        warn_time: Some(jan5(0, 6, 12)),
                        due_time: Some(jan5(0, 7, 0)),
                    },
                },
                ClockReading {
                    kind: ClockKind::Resolution,
                    cycle_start: jan5(0, 0, 0),
                    target: hours(48),
                    elapsed: hours(5),
                    status: ClockStatus::Running {
                        warn_time: Some(jan5(1, 14, 24)),
                        due_time: Some(jan5(2, 0, 0)),
                    },
                },
            ]
        );
        assert!(readings.iter().all(|reading| !reading.breached()));
    }

    #[test]
    fn clocks_without_a_target_are_not_read() {
        // Arrange
        let history = timeline(&[(jan5(0, 0, 0), Received)], &[]);

        // Act
        let none = read(
            &history,
            &Targets::default(),
            &Calendar::always(),
            0.8,
            jan5(0, 1, 0),
        );
        let one = read(
            &history,
            &only(ClockKind::Resolution, hours(8)),
            &Calendar::always(),
            0.8,
            jan5(0, 1, 0),
        );

        // Assert
        assert!(none.is_empty());
        assert_eq!(
            one.iter().map(|r| r.kind).collect::<Vec<_>>(),
            vec![ClockKind::Resolution]
        );
    }

    #[test]
    fn a_complaint_not_yet_received_has_no_clocks() {
        let history = timeline(&[(jan5(0, 9, 0), Received)], &[]);
        let readings = read(
            &history,
            &only(ClockKind::Resolution, hours(8)),
            &Calendar::always(),
            0.8,
            jan5(0, 8, 0),
        );
        assert!(readings.is_empty());
        assert!(
            read(
                &Timeline::default(),
                &only(ClockKind::Resolution, hours(8)),
                &Calendar::always(),
                0.8,
                jan5(0, 8, 0)
            )
            .is_empty()
        );
    }

    #[test]
    fn the_acknowledgement_clock_runs_until_the_complaint_is_acknowledged() {
        // Arrange
        let history = timeline(&[(jan5(0, 0, 0), Received)], &[]);

        // Act
        let reading = read_one(
            &history,
            ClockKind::Acknowledgement,
            hours(1),
            &Calendar::always(),
            jan5(0, 0, 40),
        );

        // Assert
        let reading = reading.expect("an acknowledgement reading");
        assert_eq!(reading.elapsed, mins(40));
        assert_eq!(
            reading.status,
            ClockStatus::Running {
                warn_time: Some(jan5(0, 0, 48)),
                due_time: Some(jan5(0, 1, 0))
            }
        );
        assert!(!reading.breached());
    }

    #[test]
    fn a_late_acknowledgement_stops_the_clock_as_missed() {
        // Arrange
        let history = timeline(
            &[(jan5(0, 0, 0), Received), (jan5(0, 2, 0), Acknowledged)],
            &[],
        );

        // Act
        let reading = read_one(
            &history,
            ClockKind::Acknowledgement,
            hours(1),
            &Calendar::always(),
            jan5(1, 0, 0),
        )
        .expect("an acknowledgement reading");

        // Assert
        assert_eq!(reading.elapsed, hours(2));
        assert_eq!(
            reading.status,
            ClockStatus::Stopped {
                at: jan5(0, 2, 0),
                met: false
            }
        );
        assert!(reading.breached());
    }

    #[test]
    fn merging_an_unacknowledged_complaint_stops_the_acknowledgement_clock() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 20), Merged),
                (jan5(0, 3, 0), Received),
            ],
            &[],
        );

        // Act
        let reading = read_one(
            &history,
            ClockKind::Acknowledgement,
            hours(1),
            &Calendar::always(),
            jan5(0, 5, 0),
        )
        .expect("an acknowledgement reading");

        // Assert
        assert_eq!(reading.elapsed, mins(20));
        assert_eq!(
            reading.status,
            ClockStatus::Stopped {
                at: jan5(0, 0, 20),
                met: true
            }
        );
    }

    #[test]
    fn the_first_response_clock_stops_at_the_first_customer_update() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 10), Acknowledged),
                (jan5(0, 1, 0), Investigating),
                (jan5(0, 6, 0), ResolutionProposed),
            ],
            &[jan5(0, 2, 0), jan5(0, 4, 0)],
        );

        // Act
        let reading = read_one(
            &history,
            ClockKind::FirstResponse,
            hours(4),
            &Calendar::always(),
            jan5(1, 0, 0),
        )
        .expect("a first-response reading");

        // Assert
        assert_eq!(reading.elapsed, hours(2));
        assert_eq!(
            reading.status,
            ClockStatus::Stopped {
                at: jan5(0, 2, 0),
                met: true
            }
        );
    }

    #[test]
    fn the_first_response_clock_stops_at_a_resolution_proposal_without_updates() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 10), Acknowledged),
                (jan5(0, 1, 0), Investigating),
                (jan5(0, 5, 0), ResolutionProposed),
            ],
            &[],
        );

        // Act
        let reading = read_one(
            &history,
            ClockKind::FirstResponse,
            hours(4),
            &Calendar::always(),
            jan5(1, 0, 0),
        )
        .expect("a first-response reading");

        // Assert
        assert_eq!(reading.elapsed, hours(5));
        assert_eq!(
            reading.status,
            ClockStatus::Stopped {
                at: jan5(0, 5, 0),
                met: false
            }
        );
        assert!(reading.breached());
    }

    #[test]
    fn the_first_response_clock_pauses_while_awaiting_the_customer() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 1, 0), Acknowledged),
                (jan5(0, 2, 0), AwaitingCustomer),
                (jan5(0, 10, 0), Investigating),
            ],
            &[],
        );
        let calendar = Calendar::always();

        // Act
        let waiting = read_one(
            &history,
            ClockKind::FirstResponse,
            hours(4),
            &calendar,
            jan5(0, 5, 0),
        );
        let resumed = read_one(
            &history,
            ClockKind::FirstResponse,
            hours(4),
            &calendar,
            jan5(0, 11, 0),
        );

        // Assert
        let waiting = waiting.expect("a first-response reading");
        assert_eq!(waiting.elapsed, hours(2));
        assert_eq!(waiting.status, ClockStatus::Paused);
        let resumed = resumed.expect("a first-response reading");
        assert_eq!(resumed.elapsed, hours(3));
        assert_eq!(
            resumed.status,
            ClockStatus::Running {
                warn_time: Some(jan5(0, 11, 12)),
                due_time: Some(jan5(0, 12, 0))
            }
        );
    }

    #[test]
    fn the_update_clock_is_not_read_before_acknowledgement() {
        // Arrange
        let history = timeline(&[(jan5(0, 0, 0), Received)], &[jan5(0, 1, 0)]);

        // Act
        let reading = read_one(
            &history,
            ClockKind::Update,
            hours(4),
            &Calendar::always(),
            jan5(0, 2, 0),
        );

        // Assert
        assert_eq!(reading, None);
    }

    #[test]
    fn update_cycles_restart_at_each_customer_update() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 0), Acknowledged),
                (jan5(0, 1, 0), Investigating),
            ],
            &[jan5(0, 2, 0), jan5(0, 5, 0)],
        );
        let calendar = Calendar::always();

        // Act
        let first = read_one(
            &history,
            ClockKind::Update,
            hours(4),
            &calendar,
            jan5(0, 4, 0),
        );
        let second = read_one(
            &history,
            ClockKind::Update,
            hours(4),
            &calendar,
            jan5(0, 6, 0),
        );

        // Assert
        let first = first.expect("an update reading");
        assert_eq!(
            (first.cycle_start, first.elapsed),
            (jan5(0, 2, 0), hours(2))
        );
        let second = second.expect("an update reading");
        assert_eq!(
            (second.cycle_start, second.elapsed),
            (jan5(0, 5, 0), hours(1))
        );
        assert_eq!(
            second.status,
            ClockStatus::Running {
                warn_time: Some(jan5(0, 8, 12)),
                due_time: Some(jan5(0, 9, 0))
            }
        );
    }

    #[test]
    fn the_update_clock_pauses_while_awaiting_the_customer_and_restarts_when_work_resumes() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 30), Acknowledged),
                (jan5(0, 1, 0), Investigating),
                (jan5(0, 2, 0), AwaitingCustomer),
                (jan5(0, 20, 0), Investigating),
            ],
            &[],
        );
        let calendar = Calendar::always();

        // Act
        let waiting = read_one(
            &history,
            ClockKind::Update,
            hours(4),
            &calendar,
            jan5(0, 10, 0),
        );
        let resumed = read_one(
            &history,
            ClockKind::Update,
            hours(4),
            &calendar,
            jan5(0, 21, 0),
        );

        // Assert
        let waiting = waiting.expect("an update reading");
        assert_eq!(
            (waiting.cycle_start, waiting.elapsed, waiting.status),
            (jan5(0, 1, 0), hours(1), ClockStatus::Paused)
        );
        let resumed = resumed.expect("an update reading");
        assert_eq!(
            (resumed.cycle_start, resumed.elapsed),
            (jan5(0, 20, 0), hours(1))
        );
    }

    #[test]
    fn a_resolution_proposal_stops_the_update_clock_and_a_rejection_starts_a_new_cycle() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 0), Acknowledged),
                (jan5(0, 1, 0), Investigating),
                (jan5(0, 6, 0), ResolutionProposed),
                (jan5(1, 0, 0), Investigating),
            ],
            &[],
        );
        let calendar = Calendar::always();

        // Act
        let proposed = read_one(
            &history,
            ClockKind::Update,
            hours(4),
            &calendar,
            jan5(0, 12, 0),
        );
        let rejected = read_one(
            &history,
            ClockKind::Update,
            hours(4),
            &calendar,
            jan5(1, 1, 0),
        );

        // Assert
        let proposed = proposed.expect("an update reading");
        assert_eq!(proposed.elapsed, hours(5));
        assert_eq!(
            proposed.status,
            ClockStatus::Stopped {
                at: jan5(0, 6, 0),
                met: false
            }
        );
        let rejected = rejected.expect("an update reading");
        assert_eq!(
            (rejected.cycle_start, rejected.elapsed),
            (jan5(1, 0, 0), hours(1))
        );
        assert!(matches!(rejected.status, ClockStatus::Running { .. }));
    }

    #[test]
    fn awaiting_the_customer_over_a_weekend_in_berlin_pauses_the_resolution_clock() {
        // Arrange: Friday 2026-03-06 and Monday 2026-03-09, winter time.
        let friday = date(2026, 3, 6);
        let monday = date(2026, 3, 9);
        let history = timeline(
            &[
                (berlin(friday.at(10, 0, 0, 0)), Received),
                (berlin(friday.at(10, 30, 0, 0)), Acknowledged),
                (berlin(friday.at(11, 0, 0, 0)), Investigating),
                (berlin(friday.at(14, 0, 0, 0)), AwaitingCustomer),
                (berlin(monday.at(11, 0, 0, 0)), Investigating),
            ],
            &[],
        );
        let calendar = berlin_office();

        // Act
        let reading = read_one(
            &history,
            ClockKind::Resolution,
            hours(14),
            &calendar,
            berlin(monday.at(12, 0, 0, 0)),
        )
        .expect("a resolution reading");

        // Assert: Friday 10:00-12:30 and 13:30-14:00, Monday 11:00-12:00.
        assert_eq!(reading.elapsed, hours(4));
        // 11h left from Monday 11:00: 5h on Monday, 6h on Tuesday; the
        // warning at 11.2h of 14h is 8.2h from Monday 11:00.
        assert_eq!(
            reading.status,
            ClockStatus::Running {
                warn_time: Some(berlin(date(2026, 3, 10).at(12, 12, 0, 0))),
                due_time: Some(berlin(date(2026, 3, 10).at(16, 0, 0, 0))),
            }
        );
    }

    #[test]
    fn a_holiday_is_skipped_by_the_resolution_deadline() {
        // Arrange: received Wednesday before Christmas, Thu/Fri are holidays.
        let received = berlin(date(2026, 12, 23).at(16, 0, 0, 0));
        let history = timeline(&[(received, Received), (received, Acknowledged)], &[]);
        let calendar = berlin_office();

        // Act
        let reading = read_one(
            &history,
            ClockKind::Resolution,
            hours(8),
            &calendar,
            berlin(date(2026, 12, 27).at(12, 0, 0, 0)),
        )
        .expect("a resolution reading");

        // Assert: only Wednesday 16:00-17:00 has passed in business time.
        assert_eq!(reading.elapsed, hours(1));
        assert_eq!(
            reading.status,
            ClockStatus::Running {
                // 6.4h: 1h on Wednesday, then 3.5h + 1.9h on Monday.
                warn_time: Some(berlin(date(2026, 12, 28).at(15, 24, 0, 0))),
                due_time: Some(berlin(date(2026, 12, 28).at(17, 0, 0, 0))),
            }
        );
    }

    #[test]
    fn the_resolution_clock_pauses_while_a_proposal_awaits_the_customer_and_stops_when_resolved() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 1, 0), Acknowledged),
                (jan5(0, 2, 0), Investigating),
                (jan5(0, 10, 0), ResolutionProposed),
                (jan5(0, 20, 0), Resolved),
                (jan5(0, 21, 0), Closed),
            ],
            &[],
        );
        let calendar = Calendar::always();

        // Act
        let proposed = read_one(
            &history,
            ClockKind::Resolution,
            hours(48),
            &calendar,
            jan5(0, 15, 0),
        );
        let closed = read_one(
            &history,
            ClockKind::Resolution,
            hours(48),
            &calendar,
            jan5(3, 0, 0),
        );

        // Assert
        let proposed = proposed.expect("a resolution reading");
        assert_eq!(
            (proposed.elapsed, proposed.status),
            (hours(10), ClockStatus::Paused)
        );
        let closed = closed.expect("a resolution reading");
        assert_eq!(closed.elapsed, hours(10));
        assert_eq!(
            closed.status,
            ClockStatus::Stopped {
                at: jan5(0, 20, 0),
                met: true
            }
        );
    }

    #[test]
    fn reopening_starts_a_fresh_resolution_cycle() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 1, 0), Acknowledged),
                (jan5(0, 2, 0), Investigating),
                (jan5(0, 10, 0), ResolutionProposed),
                (jan5(0, 12, 0), Resolved),
                (jan5(0, 13, 0), Closed),
                (jan5(1, 0, 0), Investigating),
            ],
            &[],
        );

        // Act
        let reading = read_one(
            &history,
            ClockKind::Resolution,
            hours(48),
            &Calendar::always(),
            jan5(1, 3, 0),
        )
        .expect("a resolution reading");

        // Assert
        assert_eq!(reading.cycle_start, jan5(1, 0, 0));
        assert_eq!(reading.elapsed, hours(3));
        assert_eq!(
            reading.status,
            ClockStatus::Running {
                warn_time: Some(jan5(2, 14, 24)),
                due_time: Some(jan5(3, 0, 0))
            }
        );
    }

    #[test]
    fn a_breached_clock_has_elapsed_beyond_its_target_and_a_due_time_in_the_past() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 5), Acknowledged),
                (jan5(0, 0, 10), Investigating),
            ],
            &[],
        );
        let now = jan5(0, 10, 0);

        // Act
        let reading = read_one(
            &history,
            ClockKind::Resolution,
            hours(8),
            &Calendar::always(),
            now,
        )
        .expect("a resolution reading");

        // Assert
        assert_eq!(reading.elapsed, hours(10));
        assert!(reading.breached());
        let ClockStatus::Running {
            warn_time: Some(warn_time),
            due_time: Some(due_time),
        } = reading.status
        else {
            panic!("expected a running clock, got {:?}", reading.status);
        };
        assert_eq!(due_time, jan5(0, 8, 0));
        assert_eq!(warn_time, utc("2026-01-05T06:24:00Z"));
        assert!(due_time < now);
    }

    #[test]
    fn closing_without_resolving_stops_every_running_clock() {
        // Arrange: an inquiry answered and closed.
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 10), Acknowledged),
                (jan5(0, 1, 0), Closed),
            ],
            &[],
        );
        let targets = Targets {
            acknowledgement: Some(hours(1)),
            first_response: Some(hours(4)),
            update: Some(hours(4)),
            resolution: Some(hours(48)),
        };

        // Act
        let readings = read(&history, &targets, &Calendar::always(), 0.8, jan5(2, 0, 0));

        // Assert
        let stops: Vec<_> = readings.iter().map(|r| (r.kind, r.status)).collect();
        let stopped_at = |at| ClockStatus::Stopped { at, met: true };
        assert_eq!(
            stops,
            vec![
                (ClockKind::Acknowledgement, stopped_at(jan5(0, 0, 10))),
                (ClockKind::FirstResponse, stopped_at(jan5(0, 1, 0))),
                (ClockKind::Update, stopped_at(jan5(0, 1, 0))),
                (ClockKind::Resolution, stopped_at(jan5(0, 1, 0))),
            ]
        );
    }

    #[test]
    fn the_span_spent_merged_is_not_counted_and_unmerging_resumes_the_clocks() {
        // Arrange
        let history = timeline(
            &[
                (jan5(0, 0, 0), Received),
                (jan5(0, 0, 0), Acknowledged),
                (jan5(0, 1, 0), Investigating),
                (jan5(0, 2, 0), Merged),
                (jan5(0, 12, 0), Investigating),
            ],
            &[],
        );
        let targets = Targets {
            first_response: Some(hours(4)),
            resolution: Some(hours(48)),
            ..Targets::default()
        };
        let calendar = Calendar::always();

        // Act
        let merged = read(&history, &targets, &calendar, 0.8, jan5(0, 5, 0));
        let unmerged = read(&history, &targets, &calendar, 0.8, jan5(0, 13, 0));

        // Assert
        assert!(
            merged
                .iter()
                .all(|r| r.status == ClockStatus::Paused && r.elapsed == hours(2))
        );
        assert_eq!(
            unmerged.iter().map(|r| r.elapsed).collect::<Vec<_>>(),
            vec![hours(3), hours(3)]
        );
        assert_eq!(
            unmerged[1].status,
            ClockStatus::Running {
                warn_time: Some(jan5(2, 0, 24)),
                due_time: Some(jan5(2, 10, 0))
            }
        );
    }

    #[test]
    fn a_warning_fraction_outside_its_range_is_clamped() {
        // Arrange
        let history = timeline(&[(jan5(0, 0, 0), Received)], &[]);
        let targets = only(ClockKind::Resolution, hours(10));
        let calendar = Calendar::always();
        let due = Some(jan5(0, 10, 0));

        // Act
        let above = read(&history, &targets, &calendar, 1.5, jan5(0, 1, 0));
        let nan = read(&history, &targets, &calendar, f64::NAN, jan5(0, 1, 0));
        let below = read(&history, &targets, &calendar, -0.5, jan5(0, 1, 0));

        // Assert
        let running = |warn_time| ClockStatus::Running {
            warn_time,
            due_time: due,
        };
        assert_eq!(above[0].status, running(due));
        assert_eq!(nan[0].status, running(due));
        assert_eq!(below[0].status, running(Some(jan5(0, 0, 0))));
    }

    #[test]
    fn entries_out_of_time_order_are_taken_in_time_order() {
        // Arrange
        let history = timeline(
            &[(jan5(0, 1, 0), Acknowledged), (jan5(0, 0, 0), Received)],
            &[],
        );

        // Act
        let reading = read_one(
            &history,
            ClockKind::Acknowledgement,
            hours(2),
            &Calendar::always(),
            jan5(0, 5, 0),
        )
        .expect("an acknowledgement reading");

        // Assert
        assert_eq!(reading.cycle_start, jan5(0, 0, 0));
        assert_eq!(reading.elapsed, hours(1));
    }

    /// The states a complaint may move to from `state` (roughly the
    /// lifecycle's moves), given the state before a merge.
    fn next_states(state: State, before_merge: State) -> Vec<State> {
        match state {
            Received => vec![Acknowledged, Merged, Closed],
            Acknowledged => vec![
                Investigating,
                AwaitingCustomer,
                ResolutionProposed,
                Closed,
                Merged,
            ],
            Investigating => vec![AwaitingCustomer, ResolutionProposed, Closed, Merged],
            AwaitingCustomer => vec![Investigating, Closed, Merged],
            ResolutionProposed => vec![Resolved, Investigating, Merged],
            Resolved => vec![Closed, Investigating],
            Closed => vec![Investigating],
            Merged => vec![before_merge],
        }
    }

    /// A random timeline: moves and customer updates at increasing times.
    fn arbitrary_timeline() -> impl Strategy<Value = (Timeline, Timestamp)> {
        (
            1_767_225_600i64..1_798_761_600,
            proptest::collection::vec((0i64..3 * 86_400, any::<bool>(), 0usize..8), 0..25),
            0i64..i64::from(u32::MAX),
        )
            .prop_map(|(start, steps, extra)| {
                let start = Timestamp::from_second(start).expect("a representable instant");
                let mut at = start;
                let mut state = Received;
                let mut before_merge = Received;
                let mut history = Timeline {
                    states: vec![(start, Received)],
                    customer_updates: Vec::new(),
                };
                for (gap, is_update, choice) in steps {
                    at += SignedDuration::from_secs(gap);
                    if is_update {
                        history.customer_updates.push(at);
                    } else {
                        let options = next_states(state, before_merge);
                        let next = options[choice % options.len()];
                        if next == Merged {
                            before_merge = state;
                        }
                        state = next;
                        history.states.push((at, state));
                    }
                }
                // `now` may fall before some of the entries, or up to 30
                // days after the last.
                let span = at.duration_since(start).as_secs() + 30 * 86_400;
                let now = start + SignedDuration::from_secs(extra % (span + 1));
                (history, now)
            })
    }

    proptest! {
        #[test]
        fn reading_any_timeline_never_counts_more_than_wall_time(
            (history, now) in arbitrary_timeline(),
            office in any::<bool>(),
            target_hours in proptest::array::uniform4(1i64..100),
            warning_fraction in 0.05f64..=1.0,
        ) {
            let calendar = if office { berlin_office() } else { Calendar::always() };
            let targets = Targets {
                acknowledgement: Some(hours(target_hours[0])),
                first_response: Some(hours(target_hours[1])),
                update: Some(hours(target_hours[2])),
                resolution: Some(hours(target_hours[3])),
            };

            let readings = read(&history, &targets, &calendar, warning_fraction, now);

            prop_assert!(readings.len() >= 3);
            for reading in readings {
                prop_assert!(reading.cycle_start <= now);
                prop_assert!(reading.elapsed >= SignedDuration::ZERO);
                prop_assert!(reading.elapsed <= now.duration_since(reading.cycle_start));
                match reading.status {
                    ClockStatus::Stopped { at, met } => {
                        prop_assert!(reading.cycle_start <= at && at <= now);
                        prop_assert_eq!(met, reading.elapsed <= reading.target);
                    }
                    ClockStatus::Running { warn_time, due_time } => {
                        let due = due_time.expect("working time ahead");
                        let warn = warn_time.expect("working time ahead");
                        prop_assert!(warn <= due);
                        if due > now {
                            prop_assert!(reading.elapsed <= reading.target);
                        } else {
                            prop_assert!(reading.elapsed >= reading.target);
                        }
                    }
                    ClockStatus::Paused => {}
                }
            }
        }
    }
}
