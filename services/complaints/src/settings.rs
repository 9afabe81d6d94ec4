//! The complaints service's own settings (`[complaints]` in the
//! configuration): the category tree, the priority table, goodwill limits,
//! business calendars and the SLA policy, service recovery (root-cause
//! categories and the steps a closure needs), how long hand-off offers last,
//! the reopen window, satisfaction surveys, follow-ups after closure, the
//! insights report, how often the scheduler looks for due alarms and how
//! often the open complaints are counted for the metrics. Every
//! threshold is here, none in code.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Deserialize;

use crate::domain::calendar::{Calendar, CalendarSettings};
use crate::domain::category::{CategoryNode, CategoryTree};
use crate::domain::follow_up::{FollowUpPolicy, FollowUpSettings};
use crate::domain::goodwill::GoodwillPolicy;
use crate::domain::priority::PriorityPolicy;
use crate::domain::recovery::RecoverySettings;
use crate::domain::sla_policy::SlaPolicy;
use crate::domain::survey::{SurveyPolicy, SurveySettings};

/// `[complaints]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The category tree; the failure causes of DOMAIN.md by default.
    pub categories: Vec<CategoryNode>,
    /// Priority from severity, safety and the customer's grade.
    pub priority: PriorityPolicy,
    /// Goodwill: accepted currencies, the good-faith auto-approve limits per
    /// currency and grade, and the approval limits per role.
    pub goodwill: GoodwillPolicy,
    /// Business calendars by name; `default` is 24×7 UTC unless configured.
    pub calendars: BTreeMap<String, CalendarSettings>,
    /// SLA targets and the escalation ladder.
    pub sla: SlaPolicy,
    /// Service recovery: root-cause categories and the steps a closure
    /// needs.
    pub recovery: RecoverySettings,
    /// How long a hand-off offer waits for an answer, in minutes.
    pub hand_off_expiry_minutes: u64,
    /// How long after resolution or closure a complaint may be reopened, in
    /// days.
    pub reopen_window_days: u64,
    /// Satisfaction surveys after resolution: how long an invitation may be
    /// answered, and the value scale.
    pub surveys: SurveySettings,
    /// Follow-ups after closure: the cadence and the customer's working
    /// hours.
    pub follow_up: FollowUpSettings,
    /// How often the scheduler raises due SLA alarms and expires offers, in
    /// milliseconds.
    pub scheduler_interval_ms: u64,
    /// How often the open complaints are counted for the metrics, in
    /// milliseconds (only while metrics are exported).
    pub metrics_interval_ms: u64,
    /// How long the answer of a request with a `request_id` is kept for
    /// retries, in hours.
    pub request_id_retention_hours: u64,
    /// How long events stay in the feed, in days.
    pub event_retention_days: u64,
    /// What the insights report uses.
    pub insights: InsightSettings,
}

/// `[complaints.insights]`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct InsightSettings {
    /// The running share, in percent, that a Pareto's vital few make up.
    pub pareto_cutoff_percent: f64,
    /// How many days after closure a purchase counts as the customer coming
    /// back, unless the request says otherwise.
    pub return_window_days: u32,
}

impl Default for InsightSettings {
    fn default() -> Self {
        Self {
            pareto_cutoff_percent: 80.0,
            return_window_days: 90,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            categories: crate::domain::category::default_nodes(),
            priority: PriorityPolicy::default(),
            goodwill: GoodwillPolicy::default(),
            calendars: BTreeMap::new(),
            sla: SlaPolicy::default(),
            recovery: RecoverySettings::default(),
            hand_off_expiry_minutes: 4 * 60,
            reopen_window_days: 30,
            surveys: SurveySettings::default(),
            follow_up: FollowUpSettings::default(),
            scheduler_interval_ms: 1_000,
            metrics_interval_ms: 30_000,
            request_id_retention_hours: 24 * 7,
            event_retention_days: 30,
            insights: InsightSettings::default(),
        }
    }
}

/// The settings turned into what the service works with.
#[derive(Debug, Clone)]
pub struct Policies {
    /// The category tree.
    pub categories: CategoryTree,
    /// The priority table.
    pub priority: PriorityPolicy,
    /// Goodwill currencies and limits.
    pub goodwill: GoodwillPolicy,
    /// Calendars by name, `default` always present.
    pub calendars: BTreeMap<String, Calendar>,
    /// SLA rules and the escalation ladder.
    pub sla: SlaPolicy,
    /// Service recovery.
    pub recovery: RecoverySettings,
    /// How long a hand-off offer waits.
    pub hand_off_expiry: SignedDuration,
    /// The reopen window.
    pub reopen_window: SignedDuration,
    /// What the insights report uses.
    pub insights: InsightSettings,
    /// Satisfaction surveys.
    pub surveys: SurveyPolicy,
    /// Follow-ups after closure.
    pub follow_up: FollowUpPolicy,
}

impl Settings {
    /// Checks every policy and builds what the service works with; the
    /// message names the setting at fault.
    pub fn policies(&self) -> Result<Policies, String> {
        let categories = CategoryTree::new(self.categories.clone())
            .map_err(|e| format!("complaints.categories: {e}"))?;
        self.priority
            .validate()
            .map_err(|e| format!("complaints.priority: {e}"))?;
        self.goodwill.validate()?;
        let mut calendars = BTreeMap::from([("default".to_owned(), Calendar::always())]);
        for (name, settings) in &self.calendars {
            let calendar = Calendar::from_settings(settings)
                .map_err(|e| format!("complaints.calendars.{name}: {e}"))?;
            calendars.insert(name.clone(), calendar);
        }
        let names: Vec<&str> = calendars.keys().map(String::as_str).collect();
        self.sla.validate(&names)?;
        self.recovery.validate()?;
        if self.hand_off_expiry_minutes == 0 {
            return Err("complaints.hand_off_expiry_minutes must be positive".into());
        }
        if self.scheduler_interval_ms == 0 {
            return Err("complaints.scheduler_interval_ms must be positive".into());
        }
        if self.metrics_interval_ms == 0 {
            return Err("complaints.metrics_interval_ms must be positive".into());
        }
        if self.request_id_retention_hours == 0 || self.event_retention_days == 0 {
            return Err("complaints retention settings must be positive".into());
        }
        let cutoff = self.insights.pareto_cutoff_percent;
        if !(cutoff > 0.0 && cutoff <= 100.0) {
            return Err("complaints.insights.pareto_cutoff_percent must be in (0, 100]".into());
        }
        if !(1..=3660).contains(&self.insights.return_window_days) {
            return Err("complaints.insights.return_window_days must be 1 to 3660".into());
        }
        let surveys = self
            .surveys
            .policy()
            .map_err(|e| format!("complaints.surveys.{e}"))?;
        let follow_up = self
            .follow_up
            .policy()
            .map_err(|e| format!("complaints.follow_up.{e}"))?;
        let minutes = |m: u64| {
            SignedDuration::from_mins(i64::try_from(m).unwrap_or(i64::MAX / 60_000_000_000))
        };
        Ok(Policies {
            categories,
            priority: self.priority,
            goodwill: self.goodwill.clone(),
            calendars,
            sla: self.sla.clone(),
            recovery: self.recovery.clone(),
            hand_off_expiry: minutes(self.hand_off_expiry_minutes),
            reopen_window: minutes(self.reopen_window_days.saturating_mul(24 * 60)),
            insights: self.insights,
            surveys,
            follow_up,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        let policies = Settings::default().policies().expect("valid defaults");
        assert!(policies.calendars.contains_key("default"));
        assert!(policies.categories.contains("too_slow"));
        assert_eq!(policies.recovery.required_steps.len(), 7);
        assert!(policies.goodwill.accepts("JPY"));
    }

    #[test]
    fn goodwill_limits_are_read_from_toml_with_grades_in_capitals() {
        let settings: Settings = toml::from_str(
            r#"
            [goodwill]
            auto_approve = { CHF = { A = 4000, ungraded = 500 } }
            approval_limits = { supervisor = { CHF = 40000 } }
            "#,
        )
        .expect("valid TOML");
        let policies = settings.policies().expect("valid");
        let row = policies.goodwill.auto_approve["CHF"];
        assert_eq!((row.a, row.b, row.ungraded), (4000, 0, 500));
        assert!(policies.goodwill.accepts("CHF"));
        assert!(!policies.goodwill.accepts("EUR"));
    }
}
