//! The crisis service's own settings (`[crisis]` in the configuration):
//! early warning (the spike rule, the other rules, deduplication), the
//! crisis types, how likelihood × impact bands into risk and priority, the
//! statement update cadence per priority, and the background work's pace
//! (the metrics' sampling included).
//! Every threshold is here, none in code.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::early_warning::SpikeSettings;

/// `[crisis]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Early warning.
    pub early_warning: EarlyWarningSettings,
    /// The crisis types a crisis may be declared as (DOMAIN.md's open list
    /// by default).
    pub crisis_types: Vec<String>,
    /// Risk and priority from likelihood × impact.
    pub risk: RiskSettings,
    /// The statement update cadence per priority ("P1".."P4"), as friendly
    /// spans such as "1h"; a plan template's own cadence wins.
    pub update_cadence: BTreeMap<String, String>,
    /// Linking affected customers by selector.
    pub linking: LinkSettings,
    /// Statements through the notifications service.
    pub statements: StatementSettings,
    /// How often the scheduler looks for overdue tasks and due updates, in
    /// milliseconds.
    pub scheduler_interval_ms: u64,
    /// How often open warnings and active crises are counted for the
    /// metrics (only while metrics are exported), in milliseconds.
    pub metrics_interval_ms: u64,
    /// How long the answer of a request with a `request_id` is kept for
    /// retries, in hours.
    pub request_id_retention_hours: u64,
    /// How long events stay in the feed, in days.
    pub event_retention_days: u64,
    /// How long the record of applied complaint events is kept, in days.
    pub applied_event_retention_days: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            early_warning: EarlyWarningSettings::default(),
            crisis_types: [
                "supply_chain",
                "production_accident",
                "service_quality",
                "financial",
                "strategic",
                "brand_reputation",
                "natural_disaster",
                "policy_change",
                "lawsuit",
                "public_health",
                "churn_wave",
                "complaint_wave",
                "fraud_wave",
                "default_wave",
                "other",
            ]
            .map(String::from)
            .to_vec(),
            risk: RiskSettings::default(),
            update_cadence: [("P1", "1h"), ("P2", "4h"), ("P3", "24h"), ("P4", "72h")]
                .map(|(p, s)| (p.to_owned(), s.to_owned()))
                .into_iter()
                .collect(),
            linking: LinkSettings::default(),
            statements: StatementSettings::default(),
            scheduler_interval_ms: 5_000,
            metrics_interval_ms: 30_000,
            request_id_retention_hours: 24,
            event_retention_days: 30,
            applied_event_retention_days: 7,
        }
    }
}

impl Settings {
    /// Checks the numbers; the message names the setting at fault.
    pub fn validate(&self) -> Result<(), String> {
        self.early_warning
            .spike
            .validate()
            .map_err(|e| format!("early_warning.spike: {e}"))?;
        self.early_warning.validate()?;
        if self.crisis_types.is_empty() {
            return Err("crisis_types must name at least one type".into());
        }
        self.risk.validate()?;
        for (priority, every) in &self.update_cadence {
            if crate::domain::crisis::Priority::from_code(priority).is_none() {
                return Err(format!("update_cadence: {priority:?} is not P1 to P4"));
            }
            crate::domain::crisis::parse_cadence(every)
                .map_err(|e| format!("update_cadence.{priority}: {e}"))?;
        }
        self.linking.validate()?;
        self.statements.validate()?;
        if self.scheduler_interval_ms == 0 {
            return Err("scheduler_interval_ms must be positive".into());
        }
        if self.metrics_interval_ms == 0 {
            return Err("metrics_interval_ms must be positive".into());
        }
        Ok(())
    }
}

/// `[crisis.early_warning]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EarlyWarningSettings {
    /// Whether the service follows the complaint feed at all.
    pub follow_complaints: bool,
    /// The spike rule per series.
    pub spike: SpikeSettings,
    /// How long after a warning of a series further detections count on it
    /// instead of opening another, in minutes.
    pub dedup_window_minutes: u64,
    /// The rule over critical or safety complaints: this many ...
    pub critical_count: u32,
    /// ... within this many minutes.
    pub critical_window_minutes: u64,
    /// How often the churn report is read for its warning flag, in minutes;
    /// 0 turns the check off.
    pub churn_check_minutes: u64,
    /// The period the churn report covers, in days.
    pub churn_period_days: u64,
    /// How long recent complaints and per-minute counts are kept, in hours.
    pub retention_hours: u64,
    /// How often the watcher wakes (to read the churn report when due, open
    /// warnings whose snooze is over, and prune), in milliseconds.
    pub tick_ms: u64,
    /// How often old recent complaints and per-minute counts are pruned, in
    /// minutes.
    pub prune_interval_minutes: u64,
}

impl Default for EarlyWarningSettings {
    fn default() -> Self {
        Self {
            follow_complaints: true,
            spike: SpikeSettings::default(),
            dedup_window_minutes: 240,
            critical_count: 3,
            critical_window_minutes: 60,
            churn_check_minutes: 60,
            churn_period_days: 30,
            retention_hours: 48,
            tick_ms: 5_000,
            prune_interval_minutes: 60,
        }
    }
}

impl EarlyWarningSettings {
    /// Checks the numbers; the message names the setting at fault.
    pub fn validate(&self) -> Result<(), String> {
        if self.dedup_window_minutes == 0 {
            return Err("early_warning.dedup_window_minutes must be positive".into());
        }
        if self.critical_count == 0 || self.critical_window_minutes == 0 {
            return Err(
                "early_warning.critical_count and critical_window_minutes must be positive".into(),
            );
        }
        if self.churn_check_minutes > 0 && self.churn_period_days == 0 {
            return Err("early_warning.churn_period_days must be positive".into());
        }
        if self.retention_hours == 0 || self.prune_interval_minutes == 0 {
            return Err(
                "early_warning.retention_hours and prune_interval_minutes must be positive".into(),
            );
        }
        if self.tick_ms == 0 {
            return Err("early_warning.tick_ms must be positive".into());
        }
        if self.retention_hours.saturating_mul(60) < self.critical_window_minutes {
            return Err("early_warning.retention_hours must cover critical_window_minutes".into());
        }
        Ok(())
    }
}

/// `[crisis.risk]`: the score is likelihood × impact (1 to 25); a score at
/// or above a band's threshold takes the band.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RiskSettings {
    /// The lowest score that is medium risk (priority P3).
    pub medium_from: u32,
    /// The lowest score that is high risk (priority P2).
    pub high_from: u32,
    /// The lowest score that is extreme risk (priority P1).
    pub extreme_from: u32,
}

impl Default for RiskSettings {
    fn default() -> Self {
        Self {
            medium_from: 5,
            high_from: 10,
            extreme_from: 17,
        }
    }
}

impl RiskSettings {
    /// Checks the bands rise within 1..=25.
    pub fn validate(&self) -> Result<(), String> {
        if !(1 < self.medium_from
            && self.medium_from < self.high_from
            && self.high_from < self.extreme_from
            && self.extreme_from <= 25)
        {
            return Err("risk: need 1 < medium_from < high_from < extreme_from <= 25".into());
        }
        Ok(())
    }
}

/// `[crisis.linking]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LinkSettings {
    /// How many customer names are written per transaction.
    pub batch: usize,
    /// How long a worker's claim on a running link lasts without renewal,
    /// in seconds.
    pub claim_seconds: u64,
    /// How often an idle worker looks for running links, in milliseconds.
    pub poll_ms: u64,
}

impl Default for LinkSettings {
    fn default() -> Self {
        Self {
            batch: 5_000,
            claim_seconds: 60,
            poll_ms: 500,
        }
    }
}

impl LinkSettings {
    /// Checks the numbers.
    pub fn validate(&self) -> Result<(), String> {
        if self.batch == 0 || self.batch > 100_000 {
            return Err("linking.batch must be within 1..=100000".into());
        }
        if self.claim_seconds == 0 || self.poll_ms == 0 {
            return Err("linking.claim_seconds and linking.poll_ms must be positive".into());
        }
        Ok(())
    }
}

/// `[crisis.statements]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StatementSettings {
    /// The notifications message kind statements go out as (its templates
    /// render `headline` and `body`).
    pub kind: String,
    /// The notifications category (opt-outs are per category; a critical
    /// statement still never passes an opt-out).
    pub category: String,
    /// How many affected customers are added to a broadcast per call (the
    /// notifications service takes at most 10,000).
    pub member_batch: usize,
}

impl Default for StatementSettings {
    fn default() -> Self {
        Self {
            kind: "crisis.statement".into(),
            category: "crisis".into(),
            member_batch: 10_000,
        }
    }
}

impl StatementSettings {
    /// Checks the numbers.
    pub fn validate(&self) -> Result<(), String> {
        if self.member_batch == 0 || self.member_batch > 10_000 {
            return Err("statements.member_batch must be within 1..=10000".into());
        }
        if self.kind.is_empty() {
            return Err("statements.kind is required".into());
        }
        Ok(())
    }
}
