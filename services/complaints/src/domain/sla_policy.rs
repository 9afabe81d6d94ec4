//! Which SLA targets a complaint gets, and whom a breach is escalated to.
//!
//! A policy is a list of rules, tried in order; the first whose conditions
//! (category prefix, severities, grades; each absent condition matches
//! anything) all hold gives the targets and the business calendar they are
//! counted in. The built-in rules treat critical or safety complaints
//! fastest; any complaint matches the last one. Escalation is a ladder of
//! steps, each some business time after the breach, naming whom to inform:
//! the owner, the team's supervisor, the department head. Escalation informs;
//! it never moves ownership.

use jiff::SignedDuration;
use serde::Deserialize;

use super::priority::{Grade, Severity};
use super::sla::Targets;

/// One rule of the policy (`[[complaints.sla.rules]]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SlaRule {
    /// Applies to this category and everything below it; absent for any.
    #[serde(default)]
    pub category: Option<String>,
    /// Applies to these severities (codes); empty for any.
    #[serde(default)]
    pub severities: Vec<String>,
    /// Applies to these customer grades ("a".."d", "ungraded"); empty for any.
    #[serde(default)]
    pub grades: Vec<String>,
    /// Applies only to complaints with the safety flag when true.
    #[serde(default)]
    pub safety_only: bool,
    /// The calendar the targets are counted in, by name.
    #[serde(default = "default_calendar")]
    pub calendar: String,
    /// Receipt to acknowledgement, as "15m", "4h", "2d"; absent: no clock.
    #[serde(default, with = "duration_text")]
    pub acknowledgement: Option<SignedDuration>,
    /// Receipt to first substantive answer.
    #[serde(default, with = "duration_text")]
    pub first_response: Option<SignedDuration>,
    /// Longest time between updates to the customer.
    #[serde(default, with = "duration_text")]
    pub update: Option<SignedDuration>,
    /// Receipt (or reopening) to resolution.
    #[serde(default, with = "duration_text")]
    pub resolution: Option<SignedDuration>,
}

fn default_calendar() -> String {
    "default".to_owned()
}

/// Whom an escalation step informs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    /// The complaint's owner.
    Owner,
    /// The supervisor of the owner's team.
    TeamSupervisor,
    /// The head of the owner's team's department.
    DepartmentHead,
}

impl EscalationTarget {
    /// The code in events.
    pub fn code(self) -> &'static str {
        match self {
            EscalationTarget::Owner => "owner",
            EscalationTarget::TeamSupervisor => "team_supervisor",
            EscalationTarget::DepartmentHead => "department_head",
        }
    }
}

/// One step of the escalation ladder (`[[complaints.sla.escalation]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    /// Business time after the breach, as "0m", "1h".
    #[serde(with = "duration_text::required")]
    pub after: SignedDuration,
    /// Whom to inform.
    pub to: EscalationTarget,
}

/// `[complaints.sla]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaPolicy {
    /// Share of a target after which a warning is raised, in (0, 1].
    pub warning_fraction: f64,
    /// The rules, first match wins; the last should match everything.
    pub rules: Vec<SlaRule>,
    /// The escalation ladder after a breach, in order.
    pub escalation: Vec<EscalationStep>,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        let rule = |severities: &[&str], safety_only, ack, first, update, resolution| SlaRule {
            category: None,
            severities: severities.iter().map(|s| (*s).to_owned()).collect(),
            grades: vec![],
            safety_only,
            calendar: default_calendar(),
            acknowledgement: Some(SignedDuration::from_mins(ack)),
            first_response: Some(SignedDuration::from_mins(first)),
            update: Some(SignedDuration::from_mins(update)),
            resolution: Some(SignedDuration::from_mins(resolution)),
        };
        Self {
            warning_fraction: 0.8,
            rules: vec![
                rule(&[], true, 15, 60, 4 * 60, 24 * 60),
                rule(&["critical"], false, 15, 60, 4 * 60, 24 * 60),
                rule(&["high"], false, 60, 4 * 60, 24 * 60, 3 * 24 * 60),
                rule(&[], false, 4 * 60, 24 * 60, 2 * 24 * 60, 10 * 24 * 60),
            ],
            escalation: vec![
                EscalationStep {
                    after: SignedDuration::ZERO,
                    to: EscalationTarget::Owner,
                },
                EscalationStep {
                    after: SignedDuration::from_hours(1),
                    to: EscalationTarget::TeamSupervisor,
                },
                EscalationStep {
                    after: SignedDuration::from_hours(4),
                    to: EscalationTarget::DepartmentHead,
                },
            ],
        }
    }
}

/// What the policy gives one complaint.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied<'a> {
    /// The targets.
    pub targets: Targets,
    /// The calendar's name.
    pub calendar: &'a str,
}

impl SlaPolicy {
    /// Checks the numbers and codes; `calendars` are the configured names.
    pub fn validate(&self, calendars: &[&str]) -> Result<(), String> {
        if !(self.warning_fraction > 0.0 && self.warning_fraction <= 1.0) {
            return Err("complaints.sla.warning_fraction must be in (0, 1]".into());
        }
        if self.rules.is_empty() {
            return Err("complaints.sla.rules must not be empty".into());
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("complaints.sla.rules[{i}]");
            if !calendars.contains(&rule.calendar.as_str()) {
                return Err(format!("{at}.calendar: no calendar {:?}", rule.calendar));
            }
            for code in &rule.severities {
                if Severity::from_code(code).is_none() {
                    return Err(format!("{at}.severities: unknown severity {code:?}"));
                }
            }
            for code in &rule.grades {
                if Grade::from_code(code).is_none() {
                    return Err(format!("{at}.grades: unknown grade {code:?}"));
                }
            }
            for (field, target) in [
                ("acknowledgement", rule.acknowledgement),
                ("first_response", rule.first_response),
                ("update", rule.update),
                ("resolution", rule.resolution),
            ] {
                if target.is_some_and(|t| t <= SignedDuration::ZERO) {
                    return Err(format!("{at}.{field} must be positive"));
                }
            }
        }
        let mut last = SignedDuration::ZERO;
        for (i, step) in self.escalation.iter().enumerate() {
            if step.after < last {
                return Err(format!(
                    "complaints.sla.escalation[{i}].after must not be before the step above it"
                ));
            }
            last = step.after;
        }
        Ok(())
    }

    /// The targets for a complaint of `category`, `severity`, `grade` and
    /// `safety`; none when no rule matches.
    pub fn apply(
        &self,
        category: &str,
        severity: Severity,
        grade: Grade,
        safety: bool,
    ) -> Option<Applied<'_>> {
        self.rules
            .iter()
            .find(|rule| {
                rule.category.as_deref().is_none_or(|c| {
                    category == c
                        || category
                            .strip_prefix(c)
                            .is_some_and(|rest| rest.starts_with('/'))
                }) && (rule.severities.is_empty()
                    || rule.severities.iter().any(|s| s == severity.code()))
                    && (rule.grades.is_empty() || rule.grades.iter().any(|g| g == grade.code()))
                    && (!rule.safety_only || safety)
            })
            .map(|rule| Applied {
                targets: Targets {
                    acknowledgement: rule.acknowledgement,
                    first_response: rule.first_response,
                    update: rule.update,
                    resolution: rule.resolution,
                },
                calendar: &rule.calendar,
            })
    }
}

/// Durations written as jiff's friendly text ("15m", "4h 30m", "2d" meaning
/// 48 hours of business time).
mod duration_text {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer};

    pub fn parse(text: &str) -> Result<SignedDuration, String> {
        text.parse::<SignedDuration>()
            .or_else(|_| {
                // "2d": days as 24-hour blocks of business time.
                text.strip_suffix('d')
                    .and_then(|n| n.trim().parse::<i64>().ok())
                    .map(|days| SignedDuration::from_hours(days * 24))
                    .ok_or(())
            })
            .map_err(|()| format!("{text:?} is not a duration such as \"15m\", \"4h\" or \"2d\""))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SignedDuration>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.map(|t| parse(&t).map_err(serde::de::Error::custom))
            .transpose()
    }

    pub mod required {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<SignedDuration, D::Error> {
            let text = String::deserialize(deserializer)?;
            parse(&text).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safety_and_severity_pick_the_fastest_rule_first() {
        let policy = SlaPolicy::default();
        let safe = policy
            .apply("too_slow", Severity::Low, Grade::D, true)
            .expect("a rule");
        assert_eq!(
            safe.targets.acknowledgement,
            Some(SignedDuration::from_mins(15))
        );
        let low = policy
            .apply("too_slow", Severity::Low, Grade::D, false)
            .expect("a rule");
        assert_eq!(
            low.targets.resolution,
            Some(SignedDuration::from_hours(240))
        );
        assert!(policy.validate(&["default"]).is_ok());
    }

    #[test]
    fn a_category_rule_covers_its_subtree_only() {
        let policy = SlaPolicy {
            rules: vec![SlaRule {
                category: Some("too_slow".into()),
                severities: vec![],
                grades: vec!["a".into()],
                safety_only: false,
                calendar: "office".into(),
                acknowledgement: Some(SignedDuration::from_mins(5)),
                first_response: None,
                update: None,
                resolution: None,
            }],
            ..SlaPolicy::default()
        };
        assert!(
            policy
                .apply("too_slow/late_delivery", Severity::Low, Grade::A, false)
                .is_some()
        );
        assert!(
            policy
                .apply("too_slowness", Severity::Low, Grade::A, false)
                .is_none()
        );
        assert!(
            policy
                .apply("too_slow", Severity::Low, Grade::B, false)
                .is_none()
        );
        assert!(policy.validate(&["default"]).is_err());
        assert!(policy.validate(&["office"]).is_ok());
    }

    #[test]
    fn durations_read_as_friendly_text() {
        assert_eq!(
            duration_text::parse("15m"),
            Ok(SignedDuration::from_mins(15))
        );
        assert_eq!(
            duration_text::parse("4h 30m"),
            Ok(SignedDuration::from_mins(270))
        );
        assert_eq!(
            duration_text::parse("2d"),
            Ok(SignedDuration::from_hours(48))
        );
        assert!(duration_text::parse("soon").is_err());
    }
}
