//! Warnings: signs that a crisis may be coming, where they are (the state
//! machine) and how further detections of the same thing count on them
//! (the dedup rule).
//!
//! A warning is raised open. People watch it, snooze it until a time,
//! dismiss it with a reason, or declare a crisis from it (escalated, done by
//! the crises area). A snoozed warning whose time has passed is open again.
//!
//! Detections carry a dedup key (a series, a rule). A detection whose key
//! matches a warning last detected within the dedup window is the same
//! episode and counts on that warning instead of opening another, whatever
//! its state: on an open, watched or escalated warning it only counts; on a
//! snoozed one it counts without waking it (that is what snoozing is for)
//! unless the snooze is over, when the warning opens again; on a dismissed
//! one it counts and the warning stays dismissed, since a person judged
//! this episode not to matter. The window slides with each detection, so an
//! episode lasts while detections keep coming; once the series is quiet for
//! a whole window, the next detection opens a new warning. Staff reports
//! are never deduplicated: each has a key of its own.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::early_warning::Dimension;

/// How far ahead a warning may be snoozed (the wire contract's limit).
pub const MAX_SNOOZE: SignedDuration = SignedDuration::from_hours(30 * 24);

/// The longest summary or dismissal reason, in characters.
pub const MAX_TEXT: usize = 2000;

/// The most complaints a staff report may name, and the most samples a
/// warning's evidence keeps.
pub const MAX_COMPLAINTS: usize = 10;

/// Where a warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningState {
    /// Raised and not yet looked at.
    Open,
    /// Looked at and kept in view.
    Watched,
    /// Silenced until its snooze time.
    Snoozed,
    /// Judged not to matter.
    Dismissed,
    /// A crisis was declared from it.
    Escalated,
}

impl WarningState {
    /// Every state.
    pub const ALL: [WarningState; 5] = [
        WarningState::Open,
        WarningState::Watched,
        WarningState::Snoozed,
        WarningState::Dismissed,
        WarningState::Escalated,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            WarningState::Open => "open",
            WarningState::Watched => "watched",
            WarningState::Snoozed => "snoozed",
            WarningState::Dismissed => "dismissed",
            WarningState::Escalated => "escalated",
        }
    }

    /// The state of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The state as it stands at `now`: a snooze that is over leaves the
    /// warning open.
    pub fn at(self, snooze_until: Option<Timestamp>, now: Timestamp) -> Self {
        match (self, snooze_until) {
            (WarningState::Snoozed, Some(until)) if until <= now => WarningState::Open,
            (state, _) => state,
        }
    }

    /// The actions a person may take on a warning in this state, in the
    /// API's words.
    pub fn allowed(self) -> Vec<String> {
        let steps: &[&str] = match self {
            WarningState::Open => &[
                "WatchWarning",
                "SnoozeWarning",
                "DismissWarning",
                "DeclareCrisis",
            ],
            WarningState::Watched => &["SnoozeWarning", "DismissWarning", "DeclareCrisis"],
            WarningState::Snoozed => &[
                "WatchWarning",
                "SnoozeWarning",
                "DismissWarning",
                "DeclareCrisis",
            ],
            WarningState::Dismissed => &["GetWarning"],
            WarningState::Escalated => &["GetCrisis"],
        };
        steps.iter().map(|s| (*s).to_owned()).collect()
    }
}

/// What raised a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningSource {
    /// A series rose far above its own baseline.
    Spike,
    /// N critical or safety complaints within a window.
    CriticalComplaints,
    /// The churn report flagged A/B or large/medium customers.
    Churn,
    /// A person reported a signal.
    StaffReport,
}

impl WarningSource {
    /// Every source.
    pub const ALL: [WarningSource; 4] = [
        WarningSource::Spike,
        WarningSource::CriticalComplaints,
        WarningSource::Churn,
        WarningSource::StaffReport,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            WarningSource::Spike => "spike",
            WarningSource::CriticalComplaints => "critical_complaints",
            WarningSource::Churn => "churn",
            WarningSource::StaffReport => "staff_report",
        }
    }

    /// The source of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Where a signal reported by staff was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalChannel {
    /// Social media.
    SocialMedia,
    /// Press.
    Press,
    /// A regulator.
    Regulator,
    /// A partner.
    Partner,
    /// Anywhere else.
    Other,
}

impl SignalChannel {
    /// Every channel.
    pub const ALL: [SignalChannel; 5] = [
        SignalChannel::SocialMedia,
        SignalChannel::Press,
        SignalChannel::Regulator,
        SignalChannel::Partner,
        SignalChannel::Other,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            SignalChannel::SocialMedia => "social_media",
            SignalChannel::Press => "press",
            SignalChannel::Regulator => "regulator",
            SignalChannel::Partner => "partner",
            SignalChannel::Other => "other",
        }
    }

    /// The channel of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What a warning rests on: ids and codes only, never a complaint's story.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Evidence {
    /// The series, for a spike.
    pub dimension: Option<Dimension>,
    /// The series' value (a category code, a product, a region).
    pub series_value: String,
    /// The start of the window counted.
    pub window_start: Option<Timestamp>,
    /// The end of the window counted.
    pub window_end: Option<Timestamp>,
    /// Complaints (or churned customers) counted in the window.
    pub count: i64,
    /// The series' per-minute mean before the window.
    pub baseline_mean: f64,
    /// Its standard deviation.
    pub baseline_stddev: f64,
    /// Up to [`MAX_COMPLAINTS`] complaints of the window, by id.
    pub sample_complaints: Vec<Uuid>,
    /// A short code-level description, such as "9.3σ above baseline".
    pub detail: String,
}

/// Something the detectors saw, before deduplication.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// What saw it.
    pub source: WarningSource,
    /// Detections with the same key within the window are one warning.
    pub dedup_key: String,
    /// What it rests on.
    pub evidence: Evidence,
}

/// The key of the rule over critical or safety complaints.
pub const CRITICAL_KEY: &str = "critical";

/// The key of the churn report's warning flag.
pub const CHURN_KEY: &str = "churn";

/// The key of a staff report: its own, so it is never deduplicated.
pub fn staff_key(id: Uuid) -> String {
    format!("staff:{id}")
}

/// What a detection does to the warning of its episode in `state` (see the
/// module documentation): the state the warning is left in.
pub fn on_redetection(
    state: WarningState,
    snooze_until: Option<Timestamp>,
    now: Timestamp,
) -> WarningState {
    state.at(snooze_until, now)
}

/// What a person asks of a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Judge it not to matter.
    Dismiss,
    /// Keep it in view.
    Watch,
    /// Silence it until a time.
    Snooze,
    /// Declare a crisis from it (the crises area's DeclareCrisis).
    Escalate,
}

/// Why an action was refused, with what is allowed instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// UPPER_SNAKE reason.
    pub reason: &'static str,
    /// For a person to read.
    pub message: String,
    /// The actions allowed now.
    pub allowed: Vec<String>,
}

/// The state `action` takes a warning in `state` (as it stands now, see
/// [`WarningState::at`]) to, or why it may not.
pub fn act(state: WarningState, action: Action) -> Result<WarningState, Refusal> {
    use WarningState::*;
    let to = match (action, state) {
        (Action::Dismiss, Open | Watched | Snoozed) => Dismissed,
        (Action::Watch, Open | Snoozed) => Watched,
        (Action::Snooze, Open | Watched | Snoozed) => Snoozed,
        (Action::Escalate, Open | Watched | Snoozed) => Escalated,
        (_, Escalated) => {
            return Err(Refusal {
                reason: "WARNING_ESCALATED",
                message: "a crisis was declared from this warning; act on the crisis".into(),
                allowed: state.allowed(),
            });
        }
        (_, Dismissed) => {
            return Err(Refusal {
                reason: "WARNING_DISMISSED",
                message: "the warning was dismissed".into(),
                allowed: state.allowed(),
            });
        }
        (Action::Watch, Watched) => {
            return Err(Refusal {
                reason: "WARNING_ALREADY_WATCHED",
                message: "the warning is watched already".into(),
                allowed: state.allowed(),
            });
        }
    };
    Ok(to)
}

/// Why a snooze time was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SnoozeError {
    /// Not after now.
    #[error("must be in the future")]
    NotFuture,
    /// Beyond the limit.
    #[error("must be at most 30 days ahead")]
    TooFar,
}

/// Checks a snooze time against `now`: in the future, at most
/// [`MAX_SNOOZE`] ahead.
pub fn snooze_until(until: Timestamp, now: Timestamp) -> Result<Timestamp, SnoozeError> {
    if until <= now {
        return Err(SnoozeError::NotFuture);
    }
    if until.duration_since(now) > MAX_SNOOZE {
        return Err(SnoozeError::TooFar);
    }
    Ok(until)
}

/// Why a free text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty or only blanks.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`MAX_TEXT`] characters.
    #[error("must be at most 2000 characters")]
    TooLong,
}

/// A required text of 1 to [`MAX_TEXT`] characters, trimmed.
pub fn required_text(text: &str) -> Result<String, TextError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > MAX_TEXT {
        return Err(TextError::TooLong);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    #[test]
    fn states_and_sources_round_trip_through_their_codes() {
        for state in WarningState::ALL {
            assert_eq!(WarningState::from_code(state.code()), Some(state));
        }
        for source in WarningSource::ALL {
            assert_eq!(WarningSource::from_code(source.code()), Some(source));
        }
        for channel in SignalChannel::ALL {
            assert_eq!(SignalChannel::from_code(channel.code()), Some(channel));
        }
    }

    #[test]
    fn people_move_a_warning_only_along_its_allowed_steps() {
        use WarningState::*;
        assert_eq!(act(Open, Action::Watch), Ok(Watched));
        assert_eq!(act(Snoozed, Action::Watch), Ok(Watched));
        assert_eq!(act(Watched, Action::Dismiss), Ok(Dismissed));
        assert_eq!(act(Snoozed, Action::Dismiss), Ok(Dismissed));
        assert_eq!(act(Watched, Action::Snooze), Ok(Snoozed));
        assert_eq!(act(Snoozed, Action::Snooze), Ok(Snoozed));
        for from in [Open, Watched, Snoozed] {
            assert_eq!(act(from, Action::Escalate), Ok(Escalated));
        }

        let refused = act(Watched, Action::Watch).expect_err("watched already");
        assert_eq!(refused.reason, "WARNING_ALREADY_WATCHED");
        assert!(refused.allowed.contains(&"DismissWarning".to_owned()));
        for action in [
            Action::Dismiss,
            Action::Watch,
            Action::Snooze,
            Action::Escalate,
        ] {
            assert_eq!(
                act(Dismissed, action).expect_err("dismissed").reason,
                "WARNING_DISMISSED"
            );
            let refused = act(Escalated, action).expect_err("escalated");
            assert_eq!(refused.reason, "WARNING_ESCALATED");
            assert_eq!(refused.allowed, ["GetCrisis"]);
        }
    }

    #[test]
    fn a_snoozed_warning_is_open_again_once_its_time_has_passed() {
        let until = at("2026-11-23T13:00:00Z");
        let before = at("2026-11-23T12:59:59Z");
        assert_eq!(
            WarningState::Snoozed.at(Some(until), before),
            WarningState::Snoozed
        );
        assert_eq!(
            WarningState::Snoozed.at(Some(until), until),
            WarningState::Open
        );
        assert_eq!(
            on_redetection(WarningState::Snoozed, Some(until), before),
            WarningState::Snoozed
        );
        assert_eq!(
            on_redetection(WarningState::Snoozed, Some(until), until),
            WarningState::Open
        );
        for state in [
            WarningState::Open,
            WarningState::Watched,
            WarningState::Dismissed,
            WarningState::Escalated,
        ] {
            assert_eq!(on_redetection(state, None, until), state);
        }
    }

    #[test]
    fn a_snooze_is_in_the_future_and_at_most_thirty_days_ahead() {
        let now = at("2026-11-23T12:00:00Z");
        assert_eq!(snooze_until(now, now), Err(SnoozeError::NotFuture));
        let max = now.checked_add(MAX_SNOOZE).expect("a time");
        assert_eq!(snooze_until(max, now), Ok(max));
        let beyond = max
            .checked_add(SignedDuration::from_secs(1))
            .expect("a time");
        assert_eq!(snooze_until(beyond, now), Err(SnoozeError::TooFar));
    }

    #[test]
    fn texts_are_required_and_bounded() {
        assert_eq!(required_text("  "), Err(TextError::Empty));
        assert_eq!(required_text(" fine "), Ok("fine".to_owned()));
        assert_eq!(required_text(&"é".repeat(2000)).map(|t| t.len()), Ok(4000));
        assert_eq!(required_text(&"x".repeat(2001)), Err(TextError::TooLong));
    }

    #[test]
    fn evidence_survives_its_stored_form() {
        let evidence = Evidence {
            dimension: Some(Dimension::Category),
            series_value: "too_slow".into(),
            window_start: Some(at("2026-11-23T12:00:00Z")),
            window_end: Some(at("2026-11-23T12:01:00Z")),
            count: 12,
            baseline_mean: 1.5,
            baseline_stddev: 1.2,
            sample_complaints: vec![Uuid::now_v7()],
            detail: "8.7σ above baseline".into(),
        };
        let stored = serde_json::to_value(&evidence).expect("json");
        assert_eq!(
            serde_json::from_value::<Evidence>(stored).expect("evidence"),
            evidence
        );
        assert_eq!(
            serde_json::from_value::<Evidence>(serde_json::json!({})).expect("empty"),
            Evidence::default()
        );
    }
}
