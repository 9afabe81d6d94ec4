//! The customers service's own settings (`[customers]` in the configuration):
//! the policies behind grade, stage, satisfaction and churn, and how phone
//! numbers without a country code are read. Every threshold is here, none in
//! code.

use serde::Deserialize;

use crate::domain::churn::ChurnPolicy;
use crate::domain::contact::DefaultRegion;
use crate::domain::grading::GradingPolicy;
use crate::domain::lifecycle::LifecyclePolicy;
use crate::domain::satisfaction::SatisfactionPolicy;

/// `[customers]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The region (ISO 3166-1) in which phone numbers typed without a
    /// country code are read.
    #[serde(rename = "default_region")]
    pub region: DefaultRegion,
    /// Value grade.
    pub grading: GradingPolicy,
    /// Lifecycle stage.
    pub lifecycle: LifecyclePolicy,
    /// Satisfaction trend.
    pub satisfaction: SatisfactionPolicy,
    /// Churn report warnings.
    pub churn: ChurnPolicy,
    /// How often the service looks for customers whose stage or grade time
    /// may have changed, in seconds.
    pub review_interval_seconds: u64,
    /// How long the answer of a request with a `request_id` is kept for
    /// retries, in hours.
    pub request_id_retention_hours: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            region: DefaultRegion::US,
            grading: GradingPolicy::default(),
            lifecycle: LifecyclePolicy::default(),
            satisfaction: SatisfactionPolicy::default(),
            churn: ChurnPolicy::default(),
            review_interval_seconds: 60,
            request_id_retention_hours: 24 * 7,
        }
    }
}

impl Settings {
    /// Checks the policies' numbers.
    pub fn validate(&self) -> Result<(), String> {
        self.grading.validate()?;
        self.lifecycle.validate()?;
        if self.review_interval_seconds == 0 {
            return Err("customers.review_interval_seconds must be positive".into());
        }
        if self.request_id_retention_hours == 0 {
            return Err("customers.request_id_retention_hours must be positive".into());
        }
        Ok(())
    }
}
