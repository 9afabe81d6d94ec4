//! Satisfaction = perceived value ÷ expectation (1.0 = expectations met),
//! from survey answers, and the customer's current and trend figures.
//!
//! The trend compares the mean ratio of the latest answers (a configurable
//! window, 3 by default) with the mean of as many answers before them; a
//! change within a band (±0.05 by default) is steady.

use serde::Deserialize;

/// Why a survey answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SatisfactionError {
    /// Perceived value must be a finite number, not negative.
    #[error("must be a finite number, zero or more")]
    BadPerceivedValue,
    /// Expectation must be a finite number greater than zero.
    #[error("must be a finite number greater than zero")]
    BadExpectation,
}

/// A valid answer and its ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Answer {
    /// Perceived value, ≥ 0.
    pub perceived_value: f64,
    /// Expectation, > 0.
    pub expectation: f64,
}

impl Answer {
    /// Checks both numbers; errors name which one is wrong.
    pub fn parse(
        perceived_value: f64,
        expectation: f64,
    ) -> Result<Self, Vec<(&'static str, SatisfactionError)>> {
        let mut errors = Vec::new();
        if !(perceived_value.is_finite() && perceived_value >= 0.0) {
            errors.push(("perceived_value", SatisfactionError::BadPerceivedValue));
        }
        if !(expectation.is_finite() && expectation > 0.0) {
            errors.push(("expectation", SatisfactionError::BadExpectation));
        }
        if errors.is_empty() {
            Ok(Self {
                perceived_value,
                expectation,
            })
        } else {
            Err(errors)
        }
    }

    /// Perceived ÷ expected.
    pub fn ratio(&self) -> f64 {
        self.perceived_value / self.expectation
    }
}

/// The direction of satisfaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    /// Too few answers to say.
    Unknown,
    /// Rising.
    Improving,
    /// About the same.
    Steady,
    /// Falling.
    Worsening,
}

/// How the trend is read (`[customers.satisfaction]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SatisfactionPolicy {
    /// Answers in each of the two means compared.
    pub trend_window: u32,
    /// A change in mean ratio within ± this is steady.
    pub steady_band: f64,
}

impl Default for SatisfactionPolicy {
    fn default() -> Self {
        Self {
            trend_window: 3,
            steady_band: 0.05,
        }
    }
}

/// The customer's satisfaction figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Answers recorded.
    pub record_count: i64,
    /// Ratio of the latest answer.
    pub current_ratio: f64,
    /// Mean ratio of the latest `trend_window` answers.
    pub recent_mean_ratio: f64,
    /// Mean ratio of the answers before those (0 when none).
    pub previous_mean_ratio: f64,
    /// Direction.
    pub trend: Trend,
}

impl SatisfactionPolicy {
    /// Summarises ratios given newest first (at most `2 × trend_window` are
    /// read) out of `record_count` answers in all.
    pub fn summarise(&self, newest_first: &[f64], record_count: i64) -> Option<Summary> {
        let current_ratio = *newest_first.first()?;
        let window = self.trend_window.max(1) as usize;
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        let recent = &newest_first[..newest_first.len().min(window)];
        let previous = newest_first.get(window..(2 * window).min(newest_first.len()));
        let recent_mean_ratio = mean(recent);
        let (previous_mean_ratio, trend) = match previous {
            Some(previous) if !previous.is_empty() => {
                let previous_mean = mean(previous);
                let delta = recent_mean_ratio - previous_mean;
                let trend = if delta > self.steady_band {
                    Trend::Improving
                } else if delta < -self.steady_band {
                    Trend::Worsening
                } else {
                    Trend::Steady
                };
                (previous_mean, trend)
            }
            _ => (0.0, Trend::Unknown),
        };
        Some(Summary {
            record_count,
            current_ratio,
            recent_mean_ratio,
            previous_mean_ratio,
            trend,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfaction_is_perceived_value_over_expectation() {
        let answer = Answer::parse(6.0, 8.0).expect("valid");
        assert!((answer.ratio() - 0.75).abs() < 1e-9);
    }

    #[test]
    fn a_zero_expectation_and_a_negative_value_are_both_reported() {
        let errors = Answer::parse(-1.0, 0.0).expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["perceived_value", "expectation"]);
        assert!(Answer::parse(f64::NAN, 1.0).is_err());
    }

    #[test]
    fn the_trend_compares_the_latest_answers_with_those_before() {
        let policy = SatisfactionPolicy::default();
        let rising = policy
            .summarise(&[1.2, 1.1, 1.0, 0.6, 0.7, 0.8], 6)
            .expect("some");
        assert_eq!(rising.trend, Trend::Improving);
        assert!((rising.current_ratio - 1.2).abs() < 1e-9);
        let falling = policy
            .summarise(&[0.5, 0.6, 0.7, 1.0, 1.0, 1.0], 9)
            .expect("some");
        assert_eq!(falling.trend, Trend::Worsening);
        assert_eq!(falling.record_count, 9);
        let steady = policy.summarise(&[1.0, 1.0, 1.0, 0.99], 4).expect("some");
        assert_eq!(steady.trend, Trend::Steady);
        let first = policy.summarise(&[0.9], 1).expect("some");
        assert_eq!(first.trend, Trend::Unknown);
        assert!(policy.summarise(&[], 0).is_none());
    }
}
