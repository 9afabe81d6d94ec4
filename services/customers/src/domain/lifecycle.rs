//! The lifecycle stage: prospect → established → mature → declining →
//! churned, and back (reactivated).
//!
//! The stage follows from the customer's transactions and the passing of
//! time: a customer churns after no purchase for the churn period of their
//! size, or when their contract ends; declines when the last purchase is more
//! than a fraction of that period ago or purchases fell to less than half of
//! the period before; is mature after transacting for long enough, often
//! enough; and is reactivated for a while after buying again once churned.
//! [`LifecyclePolicy::next_review`] says when time alone could change the
//! stage, so a sweep revisits only customers that are due.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::profile::Size;

/// Where a customer is in their relationship with the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleStage {
    /// No transaction yet.
    Prospect,
    /// Transacting, not yet mature.
    Established,
    /// Transacting steadily for a long time.
    Mature,
    /// Transacting less than before, or not for a while.
    Declining,
    /// Gone: no purchase for the churn period, or contract ended.
    Churned,
    /// Buying again after having churned.
    Reactivated,
}

impl LifecycleStage {
    /// Whether the customer counts as active in churn figures.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            LifecycleStage::Established
                | LifecycleStage::Mature
                | LifecycleStage::Declining
                | LifecycleStage::Reactivated
        )
    }
}

/// Days without a purchase after which a customer has churned, per size.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ChurnDays {
    /// Large customers.
    pub large: u32,
    /// Medium customers.
    pub medium: u32,
    /// Small customers.
    pub small: u32,
    /// Customers of unknown size.
    pub unknown: u32,
}

impl Default for ChurnDays {
    fn default() -> Self {
        Self {
            large: 365,
            medium: 180,
            small: 120,
            unknown: 180,
        }
    }
}

/// How stages are decided (`[customers.lifecycle]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LifecyclePolicy {
    /// Churn period per size.
    pub churn_after_days: ChurnDays,
    /// Declining once this fraction of the churn period passed without a
    /// purchase (0 < f < 1).
    pub declining_after_fraction: f64,
    /// Days over which purchase frequency is compared with the days before.
    pub trend_days: u32,
    /// Mature after this many days since the first purchase…
    pub mature_after_days: u32,
    /// …with at least this many purchases in the last year.
    pub mature_min_purchases: i64,
    /// Reactivated for this many days after buying again.
    pub reactivated_for_days: u32,
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        Self {
            churn_after_days: ChurnDays::default(),
            declining_after_fraction: 0.5,
            trend_days: 90,
            mature_after_days: 365,
            mature_min_purchases: 4,
            reactivated_for_days: 90,
        }
    }
}

/// What the stage is decided from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageFacts {
    /// The first purchase or renewal.
    pub first_purchase: Option<Timestamp>,
    /// The latest purchase or renewal.
    pub last_purchase: Option<Timestamp>,
    /// The latest contract end.
    pub last_contract_end: Option<Timestamp>,
    /// Purchases in the last `trend_days`.
    pub recent_purchases: i64,
    /// Purchases in the `trend_days` before those.
    pub earlier_purchases: i64,
    /// Purchases in the last 365 days.
    pub purchases_last_year: i64,
    /// The stage before this decision.
    pub previous: Option<LifecycleStage>,
    /// When the customer was reactivated, if they are.
    pub reactivated_at: Option<Timestamp>,
}

/// A decision: the stage and, when reactivated, since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageDecision {
    /// The stage now.
    pub stage: LifecycleStage,
    /// When the reactivation began, for a reactivated customer.
    pub reactivated_at: Option<Timestamp>,
}

fn days(n: u32) -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(n))
}

impl LifecyclePolicy {
    /// Checks the policy's numbers.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.churn_after_days;
        if [c.large, c.medium, c.small, c.unknown].contains(&0) {
            return Err("lifecycle.churn_after_days must all be positive".into());
        }
        if !(self.declining_after_fraction > 0.0 && self.declining_after_fraction < 1.0) {
            return Err("lifecycle.declining_after_fraction must be between 0 and 1".into());
        }
        if self.trend_days == 0 {
            return Err("lifecycle.trend_days must be positive".into());
        }
        Ok(())
    }

    /// The churn period of a size.
    pub fn churn_period(&self, size: Option<Size>) -> SignedDuration {
        let c = &self.churn_after_days;
        days(match size {
            Some(Size::Large) => c.large,
            Some(Size::Medium) => c.medium,
            Some(Size::Small) => c.small,
            None => c.unknown,
        })
    }

    fn declining_after(&self, size: Option<Size>) -> SignedDuration {
        let churn = self.churn_period(size).as_secs_f64();
        SignedDuration::from_secs((churn * self.declining_after_fraction) as i64)
    }

    /// The stage at `now`.
    pub fn decide(&self, facts: &StageFacts, size: Option<Size>, now: Timestamp) -> StageDecision {
        let plain = |stage| StageDecision {
            stage,
            reactivated_at: None,
        };
        let Some(last) = facts.last_purchase else {
            return plain(if facts.last_contract_end.is_some() {
                LifecycleStage::Churned
            } else {
                LifecycleStage::Prospect
            });
        };
        if facts.last_contract_end.is_some_and(|end| end >= last) {
            return plain(LifecycleStage::Churned);
        }
        let idle = now.duration_since(last);
        if idle > self.churn_period(size) {
            return plain(LifecycleStage::Churned);
        }
        let reactivated_at = match (facts.previous, facts.reactivated_at) {
            (Some(LifecycleStage::Churned), _) => Some(now),
            (Some(LifecycleStage::Reactivated), Some(since)) => Some(since),
            _ => None,
        };
        if let Some(since) = reactivated_at
            && now.duration_since(since) < days(self.reactivated_for_days)
        {
            return StageDecision {
                stage: LifecycleStage::Reactivated,
                reactivated_at: Some(since),
            };
        }
        let fell =
            facts.earlier_purchases >= 2 && facts.recent_purchases * 2 < facts.earlier_purchases;
        if idle > self.declining_after(size) || fell {
            return plain(LifecycleStage::Declining);
        }
        let long_enough = facts
            .first_purchase
            .is_some_and(|first| now.duration_since(first) >= days(self.mature_after_days));
        if long_enough && facts.purchases_last_year >= self.mature_min_purchases {
            return plain(LifecycleStage::Mature);
        }
        plain(LifecycleStage::Established)
    }

    /// When a churned customer churned: the contract end when that is the
    /// cause, else the end of the churn period after the last purchase (never
    /// later than `now`).
    pub fn churned_at(&self, facts: &StageFacts, size: Option<Size>, now: Timestamp) -> Timestamp {
        match (facts.last_purchase, facts.last_contract_end) {
            (Some(last), Some(end)) if end < last => (last + self.churn_period(size)).min(now),
            (_, Some(end)) => end.min(now),
            (Some(last), None) => (last + self.churn_period(size)).min(now),
            (None, None) => now,
        }
    }

    /// The next moment at which time alone could change the stage, or `None`
    /// when only a transaction can (prospects and churned customers).
    pub fn next_review(
        &self,
        facts: &StageFacts,
        decision: &StageDecision,
        size: Option<Size>,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let last = facts.last_purchase?;
        if matches!(
            decision.stage,
            LifecycleStage::Prospect | LifecycleStage::Churned
        ) {
            return None;
        }
        let mut candidates = vec![
            last + self.declining_after(size),
            last + self.churn_period(size),
            // Purchase counts move as days pass; look again daily at most.
            now + SignedDuration::from_hours(24),
        ];
        if let Some(first) = facts.first_purchase {
            candidates.push(first + days(self.mature_after_days));
        }
        if let Some(since) = decision.reactivated_at {
            candidates.push(since + days(self.reactivated_for_days));
        }
        candidates.into_iter().filter(|t| *t > now).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn ago(now: Timestamp, d: i64) -> Timestamp {
        now - SignedDuration::from_hours(24 * d)
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn a_customer_without_transactions_is_a_prospect() {
        let p = LifecyclePolicy::default();
        let d = p.decide(&StageFacts::default(), None, at(NOW));
        assert_eq!(d.stage, LifecycleStage::Prospect);
    }

    #[test]
    fn a_recent_first_buyer_is_established() {
        let now = at(NOW);
        let facts = StageFacts {
            first_purchase: Some(ago(now, 10)),
            last_purchase: Some(ago(now, 10)),
            recent_purchases: 1,
            purchases_last_year: 1,
            ..Default::default()
        };
        let d = LifecyclePolicy::default().decide(&facts, Some(Size::Small), now);
        assert_eq!(d.stage, LifecycleStage::Established);
    }

    #[test]
    fn a_long_steady_customer_is_mature() {
        let now = at(NOW);
        let facts = StageFacts {
            first_purchase: Some(ago(now, 800)),
            last_purchase: Some(ago(now, 5)),
            recent_purchases: 3,
            earlier_purchases: 3,
            purchases_last_year: 10,
            ..Default::default()
        };
        let d = LifecyclePolicy::default().decide(&facts, Some(Size::Large), now);
        assert_eq!(d.stage, LifecycleStage::Mature);
    }

    #[test]
    fn no_purchase_for_the_churn_period_of_the_size_means_churned() {
        let now = at(NOW);
        let facts = StageFacts {
            first_purchase: Some(ago(now, 400)),
            last_purchase: Some(ago(now, 200)),
            ..Default::default()
        };
        let p = LifecyclePolicy::default();
        assert_eq!(
            p.decide(&facts, Some(Size::Small), now).stage,
            LifecycleStage::Churned
        );
        assert_eq!(
            p.decide(&facts, Some(Size::Large), now).stage,
            LifecycleStage::Declining
        );
    }

    #[test]
    fn a_contract_end_after_the_last_purchase_means_churned_at_once() {
        let now = at(NOW);
        let facts = StageFacts {
            first_purchase: Some(ago(now, 30)),
            last_purchase: Some(ago(now, 20)),
            last_contract_end: Some(ago(now, 1)),
            ..Default::default()
        };
        let d = LifecyclePolicy::default().decide(&facts, None, now);
        assert_eq!(d.stage, LifecycleStage::Churned);
    }

    #[test]
    fn halved_purchase_frequency_means_declining() {
        let now = at(NOW);
        let facts = StageFacts {
            first_purchase: Some(ago(now, 300)),
            last_purchase: Some(ago(now, 2)),
            recent_purchases: 1,
            earlier_purchases: 6,
            purchases_last_year: 7,
            ..Default::default()
        };
        let d = LifecyclePolicy::default().decide(&facts, None, now);
        assert_eq!(d.stage, LifecycleStage::Declining);
    }

    #[test]
    fn buying_again_after_churn_reactivates_for_a_while_then_normal_rules_return() {
        let now = at(NOW);
        let p = LifecyclePolicy::default();
        let mut facts = StageFacts {
            first_purchase: Some(ago(now, 30)),
            last_purchase: Some(now),
            recent_purchases: 1,
            purchases_last_year: 1,
            previous: Some(LifecycleStage::Churned),
            ..Default::default()
        };
        let d = p.decide(&facts, None, now);
        assert_eq!(d.stage, LifecycleStage::Reactivated);
        assert_eq!(d.reactivated_at, Some(now));

        let later = now + SignedDuration::from_hours(24 * 91);
        facts.previous = Some(LifecycleStage::Reactivated);
        facts.reactivated_at = d.reactivated_at;
        facts.last_purchase = Some(later);
        assert_eq!(
            p.decide(&facts, None, later).stage,
            LifecycleStage::Established
        );
    }

    #[test]
    fn the_next_review_is_when_the_customer_would_start_declining() {
        let now = at(NOW);
        let p = LifecyclePolicy::default();
        let facts = StageFacts {
            first_purchase: Some(now),
            last_purchase: Some(now),
            ..Default::default()
        };
        let d = p.decide(&facts, Some(Size::Small), now);
        let review = p.next_review(&facts, &d, Some(Size::Small), now);
        assert_eq!(review, Some(now + SignedDuration::from_hours(24)));
        let churned = StageDecision {
            stage: LifecycleStage::Churned,
            reactivated_at: None,
        };
        assert_eq!(p.next_review(&facts, &churned, None, now), None);
    }
}
