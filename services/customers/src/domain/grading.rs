//! The value grade A–D from purchase frequency and amount, with recency.
//!
//! Over a window (365 days by default) the customer's purchases and renewals
//! are counted and their amounts summed per currency. Frequency and amount
//! each score 0–3 against configured thresholds (amount thresholds per
//! currency, in minor units, with a default for currencies not listed); the
//! grade is the rounded mean of the two scores (3 = A … 0 = D). A customer
//! whose last purchase is older than the recency limit drops one grade.
//! Every number is configuration.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

/// A customer's value to the company, A highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueGrade {
    /// Highest value.
    A,
    /// High value.
    B,
    /// Moderate value.
    C,
    /// Low or none yet.
    D,
}

impl ValueGrade {
    /// All grades, best first.
    pub const ALL: [ValueGrade; 4] = [ValueGrade::A, ValueGrade::B, ValueGrade::C, ValueGrade::D];

    fn from_score(score: u8) -> Self {
        match score {
            3.. => ValueGrade::A,
            2 => ValueGrade::B,
            1 => ValueGrade::C,
            0 => ValueGrade::D,
        }
    }

    fn demoted(self) -> Self {
        match self {
            ValueGrade::A => ValueGrade::B,
            ValueGrade::B => ValueGrade::C,
            ValueGrade::C | ValueGrade::D => ValueGrade::D,
        }
    }

    /// Whether the churn report watches this grade (A and B).
    pub fn is_watched(self) -> bool {
        matches!(self, ValueGrade::A | ValueGrade::B)
    }
}

/// Thresholds for grades A, B and C; below C is D. Each must be at least the
/// next (A ≥ B ≥ C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Thresholds {
    /// At least this for a score of 3.
    pub a: i64,
    /// At least this for a score of 2.
    pub b: i64,
    /// At least this for a score of 1.
    pub c: i64,
}

impl Thresholds {
    fn score(&self, value: i64) -> u8 {
        if value >= self.a {
            3
        } else if value >= self.b {
            2
        } else if value >= self.c && self.c > 0 {
            1
        } else {
            0
        }
    }
}

/// How grades are computed (`[customers.grading]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GradingPolicy {
    /// Days of history that count.
    pub window_days: u32,
    /// A customer whose last purchase is older than this drops one grade.
    pub recency_days: u32,
    /// Purchases and renewals within the window.
    pub frequency: Thresholds,
    /// Amount within the window, in minor units, for currencies not listed
    /// in `amount_by_currency`.
    pub amount: Thresholds,
    /// Amount thresholds for particular currencies (ISO 4217 code → minor
    /// units), such as JPY whose minor unit is the yen.
    pub amount_by_currency: HashMap<String, Thresholds>,
}

impl Default for GradingPolicy {
    fn default() -> Self {
        Self {
            window_days: 365,
            recency_days: 180,
            frequency: Thresholds { a: 12, b: 4, c: 1 },
            amount: Thresholds {
                a: 1_000_000,
                b: 200_000,
                c: 20_000,
            },
            amount_by_currency: HashMap::from([(
                "JPY".to_string(),
                Thresholds {
                    a: 1_500_000,
                    b: 300_000,
                    c: 30_000,
                },
            )]),
        }
    }
}

impl GradingPolicy {
    /// Checks that thresholds descend and windows are positive.
    pub fn validate(&self) -> Result<(), String> {
        let ordered = |t: &Thresholds| t.a >= t.b && t.b >= t.c && t.c >= 0;
        if self.window_days == 0 || self.recency_days == 0 {
            return Err("grading.window_days and grading.recency_days must be positive".into());
        }
        if !ordered(&self.frequency) || !ordered(&self.amount) {
            return Err("grading thresholds must satisfy a >= b >= c >= 0".into());
        }
        if let Some((code, _)) = self.amount_by_currency.iter().find(|(_, t)| !ordered(t)) {
            return Err(format!(
                "grading.amount_by_currency.{code} must satisfy a >= b >= c >= 0"
            ));
        }
        Ok(())
    }

    /// The window's length.
    pub fn window(&self) -> SignedDuration {
        SignedDuration::from_hours(24 * i64::from(self.window_days))
    }

    /// Grades a customer from what they bought within the window.
    pub fn grade(&self, facts: &PurchaseFacts, now: Timestamp) -> ValueGrade {
        let frequency = self.frequency.score(facts.count_in_window);
        let amount = facts
            .amount_in_window
            .iter()
            .map(|(currency, minor)| {
                self.amount_by_currency
                    .get(currency)
                    .unwrap_or(&self.amount)
                    .score(*minor)
            })
            .max()
            .unwrap_or(0);
        let grade = ValueGrade::from_score((frequency + amount).div_ceil(2));
        let recency = SignedDuration::from_hours(24 * i64::from(self.recency_days));
        match facts.last_purchase {
            Some(last) if now.duration_since(last) > recency => grade.demoted(),
            Some(_) => grade,
            None => ValueGrade::D,
        }
    }
}

/// What a customer bought within the grading window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurchaseFacts {
    /// Purchases and renewals within the window.
    pub count_in_window: i64,
    /// Amount within the window per currency, in minor units.
    pub amount_in_window: Vec<(String, i64)>,
    /// The latest purchase or renewal ever.
    pub last_purchase: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().expect("timestamp")
    }

    fn facts(count: i64, eur: i64, days_ago: i64) -> PurchaseFacts {
        PurchaseFacts {
            count_in_window: count,
            amount_in_window: vec![("EUR".into(), eur)],
            last_purchase: Some(now() - SignedDuration::from_hours(24 * days_ago)),
        }
    }

    #[test]
    fn frequent_big_spenders_are_a_and_a_single_small_buyer_is_c() {
        let policy = GradingPolicy::default();
        assert_eq!(policy.grade(&facts(20, 2_000_000, 3), now()), ValueGrade::A);
        assert_eq!(policy.grade(&facts(5, 250_000, 3), now()), ValueGrade::B);
        assert_eq!(policy.grade(&facts(1, 25_000, 3), now()), ValueGrade::C);
        assert_eq!(
            policy.grade(&PurchaseFacts::default(), now()),
            ValueGrade::D
        );
    }

    #[test]
    fn frequency_and_amount_are_averaged_rounding_up() {
        let policy = GradingPolicy::default();
        // Frequency scores 3, amount scores 0: (3 + 0) / 2 rounds up to 2 (B).
        assert_eq!(policy.grade(&facts(12, 0, 3), now()), ValueGrade::B);
    }

    #[test]
    fn a_customer_who_stopped_buying_drops_one_grade() {
        let policy = GradingPolicy::default();
        assert_eq!(
            policy.grade(&facts(20, 2_000_000, 200), now()),
            ValueGrade::B
        );
    }

    #[test]
    fn currencies_use_their_own_thresholds() {
        let policy = GradingPolicy::default();
        let yen = PurchaseFacts {
            count_in_window: 12,
            amount_in_window: vec![("JPY".into(), 1_500_000)],
            last_purchase: Some(now()),
        };
        assert_eq!(policy.grade(&yen, now()), ValueGrade::A);
    }

    #[test]
    fn thresholds_that_do_not_descend_are_refused() {
        let policy = GradingPolicy {
            frequency: Thresholds { a: 1, b: 4, c: 12 },
            ..GradingPolicy::default()
        };
        assert!(policy.validate().is_err());
        assert!(GradingPolicy::default().validate().is_ok());
    }
}
