//! Satisfaction surveys (DOMAIN.md: satisfaction = perceived value ÷
//! expectation): the rules of an answer — CSAT from 1 to 5, perceived value
//! and expectation above zero and at most the scale's top, whether the
//! customer would return, a comment of bounded length — and where an
//! invitation stands (answered once, lapsing at its expiry, withdrawn when
//! the complaint is reopened).

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 2000;

/// `[complaints.surveys]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveySettings {
    /// How long an invitation may be answered, in days.
    pub valid_days: u64,
    /// The top of the scale perceived value and expectation are given on
    /// (the bottom is just above 0).
    pub scale_max: f64,
}

impl Default for SurveySettings {
    fn default() -> Self {
        Self {
            valid_days: 30,
            scale_max: 10.0,
        }
    }
}

/// The survey rules the service works with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurveyPolicy {
    /// How long an invitation may be answered.
    pub validity: SignedDuration,
    /// The top of the value scale; finite and positive.
    pub scale_max: f64,
}

impl SurveySettings {
    /// Checks the settings.
    pub fn policy(&self) -> Result<SurveyPolicy, String> {
        if self.valid_days == 0 || self.valid_days > 3650 {
            return Err("valid_days must be from 1 to 3650".into());
        }
        if !(self.scale_max.is_finite() && self.scale_max > 0.0) {
            return Err("scale_max must be a positive number".into());
        }
        let days = i64::try_from(self.valid_days).unwrap_or(3650);
        Ok(SurveyPolicy {
            validity: SignedDuration::from_hours(days * 24),
            scale_max: self.scale_max,
        })
    }
}

/// Whether the customer would come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WouldReturn {
    /// Yes.
    Yes,
    /// Not sure.
    Unsure,
    /// No.
    No,
}

impl WouldReturn {
    /// The stored and announced code.
    pub fn code(self) -> &'static str {
        match self {
            WouldReturn::Yes => "yes",
            WouldReturn::Unsure => "unsure",
            WouldReturn::No => "no",
        }
    }

    /// The value of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "yes" => Some(WouldReturn::Yes),
            "unsure" => Some(WouldReturn::Unsure),
            "no" => Some(WouldReturn::No),
            _ => None,
        }
    }
}

/// A valid answer; made only by [`Answer::parse`] (or read back from the
/// store, which holds only parsed answers).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// 1 to 5.
    pub csat: u8,
    /// Above zero, at most the scale's top.
    pub perceived_value: f64,
    /// Above zero, at most the scale's top.
    pub expectation: f64,
    /// Whether they would come back.
    pub would_return: WouldReturn,
    /// At most [`MAX_COMMENT`] characters, trimmed.
    pub comment: String,
}

/// What is wrong with an answer: the field at fault and why.
pub type Violation = (&'static str, String);

/// The fields an answer is parsed from, as given.
#[derive(Debug, Clone, Copy)]
pub struct GivenAnswer<'a> {
    /// CSAT as given.
    pub csat: i32,
    /// Perceived value as given.
    pub perceived_value: f64,
    /// Expectation as given.
    pub expectation: f64,
    /// Would return, if a known value was given.
    pub would_return: Option<WouldReturn>,
    /// Comment as given.
    pub comment: &'a str,
}

impl Answer {
    /// Checks every field against the rules, reporting each bad one once;
    /// `scale_max` is the top of the value scale.
    pub fn parse(given: GivenAnswer<'_>, scale_max: f64) -> Result<Answer, Vec<Violation>> {
        let mut bad = Vec::new();
        let csat = u8::try_from(given.csat)
            .ok()
            .filter(|c| (1..=5).contains(c));
        if csat.is_none() {
            bad.push(("csat", "must be from 1 to 5".to_owned()));
        }
        let on_scale = |x: f64| x.is_finite() && x > 0.0 && x <= scale_max;
        if !on_scale(given.perceived_value) {
            bad.push((
                "perceived_value",
                format!("must be above 0 and at most {scale_max}"),
            ));
        }
        if !on_scale(given.expectation) {
            bad.push((
                "expectation",
                format!("must be above 0 and at most {scale_max}"),
            ));
        }
        if given.would_return.is_none() {
            bad.push(("would_return", "is required".to_owned()));
        }
        let comment = given.comment.trim();
        if comment.chars().count() > MAX_COMMENT {
            bad.push((
                "comment",
                format!("is longer than {MAX_COMMENT} characters"),
            ));
        }
        match (csat, given.would_return) {
            (Some(csat), Some(would_return)) if bad.is_empty() => Ok(Answer {
                csat,
                perceived_value: given.perceived_value,
                expectation: given.expectation,
                would_return,
                comment: comment.to_owned(),
            }),
            _ => Err(bad),
        }
    }

    /// Satisfaction: perceived value ÷ expectation (1.0 = met).
    pub fn ratio(&self) -> f64 {
        self.perceived_value / self.expectation
    }
}

/// Where an invitation stands as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Waiting for the answer (expired once past its expiry).
    Invited,
    /// Answered.
    Answered,
    /// Withdrawn by a reopening.
    Withdrawn,
}

impl Stored {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Stored::Invited => "invited",
            Stored::Answered => "answered",
            Stored::Withdrawn => "withdrawn",
        }
    }

    /// The value of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "invited" => Some(Stored::Invited),
            "answered" => Some(Stored::Answered),
            "withdrawn" => Some(Stored::Withdrawn),
            _ => None,
        }
    }
}

/// Where an invitation stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyState {
    /// Waiting for the answer.
    Invited,
    /// Answered.
    Answered,
    /// Not answered before its expiry.
    Expired,
    /// Withdrawn by a reopening.
    Withdrawn,
}

/// The state of an invitation stored as `stored`, expiring at `expire_time`,
/// at `now`.
pub fn state_at(stored: Stored, expire_time: Timestamp, now: Timestamp) -> SurveyState {
    match stored {
        Stored::Answered => SurveyState::Answered,
        Stored::Withdrawn => SurveyState::Withdrawn,
        Stored::Invited if now >= expire_time => SurveyState::Expired,
        Stored::Invited => SurveyState::Invited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given() -> GivenAnswer<'static> {
        GivenAnswer {
            csat: 4,
            perceived_value: 6.0,
            expectation: 8.0,
            would_return: Some(WouldReturn::Yes),
            comment: "  Quick and kind  ",
        }
    }

    #[test]
    fn a_valid_answer_gives_satisfaction_as_perceived_value_over_expectation() {
        let answer = Answer::parse(given(), 10.0).expect("valid");
        assert!((answer.ratio() - 0.75).abs() < 1e-12);
        assert_eq!(answer.comment, "Quick and kind");
    }

    #[test]
    fn every_bad_field_is_reported_once() {
        let bad = Answer::parse(
            GivenAnswer {
                csat: 6,
                perceived_value: 0.0,
                expectation: f64::NAN,
                would_return: None,
                comment: &"x".repeat(MAX_COMMENT + 1),
            },
            10.0,
        )
        .expect_err("invalid");
        let fields: Vec<&str> = bad.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "csat",
                "perceived_value",
                "expectation",
                "would_return",
                "comment"
            ]
        );
    }

    #[test]
    fn values_above_the_scale_are_refused() {
        let bad = Answer::parse(
            GivenAnswer {
                perceived_value: 11.0,
                ..given()
            },
            10.0,
        )
        .expect_err("invalid");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "perceived_value");
    }

    #[test]
    fn an_unanswered_invitation_expires_at_its_expiry() {
        let expire: Timestamp = "2026-12-01T00:00:00Z".parse().expect("a time");
        let before: Timestamp = "2026-11-30T23:59:59Z".parse().expect("a time");
        assert_eq!(
            state_at(Stored::Invited, expire, before),
            SurveyState::Invited
        );
        assert_eq!(
            state_at(Stored::Invited, expire, expire),
            SurveyState::Expired
        );
        assert_eq!(
            state_at(Stored::Answered, expire, expire),
            SurveyState::Answered
        );
    }
}
