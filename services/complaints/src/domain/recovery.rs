//! Service recovery (DOMAIN.md, the seven steps): a complaint's plan of the
//! steps, who did each and when, the root cause recorded at resolution, and
//! the rule that decides whether it may close. From the customer's
//! acceptance of a resolution on, closing a complaint needs every step the
//! policy requires; [`missing_steps`] says which are missing, and only a
//! supervisor may close with some missing, giving a reason (an
//! [`Override`]). Which steps are required and which root-cause categories
//! exist are configuration ([`RecoverySettings`]).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

/// Longest root-cause detail or step note, in characters.
pub const MAX_DETAIL: usize = 2_000;

/// One of the seven steps of service recovery, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 1. Apologise at once, sincerely.
    Apology,
    /// 2. Fix it immediately.
    Fix,
    /// 3. Stay in contact.
    Contact,
    /// 4. Give more than expected (goodwill).
    Goodwill,
    /// 5. Improve the way of working (an improvement action).
    Improvement,
    /// 6. Share the outcome with every employee.
    SharedWithStaff,
    /// 7. Keep following up.
    FollowUp,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 7] = [
        Step::Apology,
        Step::Fix,
        Step::Contact,
        Step::Goodwill,
        Step::Improvement,
        Step::SharedWithStaff,
        Step::FollowUp,
    ];

    /// The step's code in storage, events and settings.
    pub fn code(self) -> &'static str {
        match self {
            Step::Apology => "apology",
            Step::Fix => "fix",
            Step::Contact => "contact",
            Step::Goodwill => "goodwill",
            Step::Improvement => "improvement",
            Step::SharedWithStaff => "shared_with_staff",
            Step::FollowUp => "follow_up",
        }
    }

    /// The step with `code`, if any.
    pub fn from_code(code: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether recording it needs the channel it was done on (the apology
    /// and staying in contact speak to the customer).
    pub fn needs_channel(self) -> bool {
        matches!(self, Step::Apology | Step::Contact)
    }
}

/// How the company reached the customer for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactChannel {
    /// A voice call.
    Phone,
    /// E-mail.
    Email,
    /// Text message.
    Sms,
    /// Live chat.
    Chat,
    /// Face to face.
    InPerson,
    /// Paper mail.
    Letter,
    /// A social media platform.
    SocialMedia,
    /// The company's mobile app.
    MobileApp,
}

impl ContactChannel {
    /// Every channel.
    pub const ALL: [ContactChannel; 8] = [
        ContactChannel::Phone,
        ContactChannel::Email,
        ContactChannel::Sms,
        ContactChannel::Chat,
        ContactChannel::InPerson,
        ContactChannel::Letter,
        ContactChannel::SocialMedia,
        ContactChannel::MobileApp,
    ];

    /// The channel's code in storage.
    pub fn code(self) -> &'static str {
        match self {
            ContactChannel::Phone => "phone",
            ContactChannel::Email => "email",
            ContactChannel::Sms => "sms",
            ContactChannel::Chat => "chat",
            ContactChannel::InPerson => "in_person",
            ContactChannel::Letter => "letter",
            ContactChannel::SocialMedia => "social_media",
            ContactChannel::MobileApp => "mobile_app",
        }
    }

    /// The channel with `code`, if any.
    pub fn from_code(code: &str) -> Option<ContactChannel> {
        ContactChannel::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// A step done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDone {
    /// Who did it: a staff subject, or `system:<part>`.
    pub actor: String,
    /// The service that recorded it for the actor, or empty.
    pub via_service: String,
    /// When.
    pub time: Timestamp,
    /// The channel, for steps that speak to the customer.
    pub channel: Option<ContactChannel>,
    /// A short note (at most [`MAX_DETAIL`] characters), or empty.
    pub note: String,
}

/// Why a complaint happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootCause {
    /// A configured category code.
    pub category: String,
    /// What went wrong (at most [`MAX_DETAIL`] characters), or empty.
    pub detail: String,
}

/// A closure a supervisor allowed with steps missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The supervisor.
    pub actor: String,
    /// The service that called for them, or empty.
    pub via_service: String,
    /// When.
    pub time: Timestamp,
    /// Why (never empty).
    pub reason: String,
    /// The steps missing then, in order.
    pub missing: Vec<Step>,
}

/// A complaint's recovery plan as stored: the steps done (at most one record
/// each), the root cause once resolved, and the overrides, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The steps done.
    pub done: BTreeMap<Step, StepDone>,
    /// The root cause, once a resolution was accepted.
    pub root_cause: Option<RootCause>,
    /// Closures allowed with steps missing.
    pub overrides: Vec<Override>,
}

/// The steps of `required` that `plan` has not done, in order, not counting
/// those in `satisfied_by_close` (steps the closure itself does, such as
/// scheduling follow-ups, when its caller does them in the same
/// transaction).
pub fn missing_steps(plan: &Plan, required: &[Step], satisfied_by_close: &[Step]) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| required.contains(s))
        .filter(|s| !plan.done.contains_key(s) && !satisfied_by_close.contains(s))
        .collect()
}

/// What a closure of a complaint whose plan is required may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closure {
    /// Every required step is done.
    Complete,
    /// Steps are missing; a supervisor gave a reason, so it closes and the
    /// override is kept.
    Overridden(Vec<Step>),
}

/// Why a closure is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClosureRefused {
    /// Steps are missing and no override reason was given.
    #[error(
        "recovery steps are missing: {}; record them with RecordRecoveryStep, or a supervisor may close with an override_reason",
        codes(.0)
    )]
    StepsMissing(Vec<Step>),
    /// An override reason was given by someone who is not a supervisor.
    #[error("only a supervisor or an administrator may close with an override_reason")]
    OverrideNotPermitted,
}

/// The codes of `steps`, comma-separated.
pub fn codes(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decides a closure of a complaint whose plan is required: `missing` the
/// steps [`missing_steps`] found, `override_reason` what the caller gave
/// (empty for none), `supervisor` whether they may override. A reason from
/// someone who may not override is refused even when nothing is missing.
pub fn decide_closure(
    missing: Vec<Step>,
    override_reason: &str,
    supervisor: bool,
) -> Result<Closure, ClosureRefused> {
    if !override_reason.is_empty() && !supervisor {
        return Err(ClosureRefused::OverrideNotPermitted);
    }
    if missing.is_empty() {
        Ok(Closure::Complete)
    } else if override_reason.is_empty() {
        Err(ClosureRefused::StepsMissing(missing))
    } else {
        Ok(Closure::Overridden(missing))
    }
}

/// `[complaints.recovery]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RecoverySettings {
    /// The root-cause categories a resolution may name: codes of a-z, 0-9
    /// and `_`, 1 to 63 characters.
    pub root_cause_categories: Vec<String>,
    /// The steps a complaint's closure needs (all seven by default).
    pub required_steps: Vec<Step>,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        Self {
            root_cause_categories: [
                "process",
                "people",
                "product",
                "system",
                "supplier",
                "policy",
                "communication",
                "other",
            ]
            .map(String::from)
            .to_vec(),
            required_steps: Step::ALL.to_vec(),
        }
    }
}

impl RecoverySettings {
    /// Checks the settings; the message names the setting at fault.
    pub fn validate(&self) -> Result<(), String> {
        if self.root_cause_categories.is_empty() {
            return Err("complaints.recovery.root_cause_categories must not be empty".into());
        }
        for (i, code) in self.root_cause_categories.iter().enumerate() {
            let shaped = (1..=63).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !shaped {
                return Err(format!(
                    "complaints.recovery.root_cause_categories: {code:?} is not 1 to 63 of a-z, 0-9 and '_'"
                ));
            }
            if self.root_cause_categories[..i].contains(code) {
                return Err(format!(
                    "complaints.recovery.root_cause_categories: {code:?} is listed twice"
                ));
            }
        }
        for (i, step) in self.required_steps.iter().enumerate() {
            if self.required_steps[..i].contains(step) {
                return Err(format!(
                    "complaints.recovery.required_steps: {} is listed twice",
                    step.code()
                ));
            }
        }
        Ok(())
    }

    /// Whether `code` is a configured root-cause category.
    pub fn is_root_cause(&self, code: &str) -> bool {
        self.root_cause_categories.iter().any(|c| c == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done_at(steps: &[Step]) -> Plan {
        let mut plan = Plan::default();
        for &step in steps {
            plan.done.insert(
                step,
                StepDone {
                    actor: "agent-1".into(),
                    via_service: String::new(),
                    time: Timestamp::UNIX_EPOCH,
                    channel: None,
                    note: String::new(),
                },
            );
        }
        plan
    }

    #[test]
    fn every_step_and_channel_code_reads_back() {
        for step in Step::ALL {
            assert_eq!(Step::from_code(step.code()), Some(step));
        }
        for channel in ContactChannel::ALL {
            assert_eq!(ContactChannel::from_code(channel.code()), Some(channel));
        }
        assert_eq!(Step::from_code("delight"), None);
    }

    #[test]
    fn missing_steps_are_the_required_ones_not_done_in_order() {
        let plan = done_at(&[Step::Fix, Step::Apology]);
        let required = [Step::FollowUp, Step::Apology, Step::Contact, Step::Fix];

        assert_eq!(
            missing_steps(&plan, &required, &[]),
            [Step::Contact, Step::FollowUp]
        );
        assert_eq!(
            missing_steps(&plan, &required, &[Step::FollowUp]),
            [Step::Contact],
            "a step the closure itself does counts as done"
        );
        assert!(missing_steps(&done_at(&Step::ALL), &Step::ALL, &[]).is_empty());
        assert!(missing_steps(&Plan::default(), &[], &[]).is_empty());
    }

    #[test]
    fn a_closure_with_steps_missing_needs_a_supervisors_reason() {
        let missing = vec![Step::Goodwill];

        assert_eq!(
            decide_closure(missing.clone(), "", true),
            Err(ClosureRefused::StepsMissing(missing.clone()))
        );
        assert_eq!(
            decide_closure(missing.clone(), "customer moved abroad", false),
            Err(ClosureRefused::OverrideNotPermitted)
        );
        assert_eq!(
            decide_closure(missing.clone(), "customer moved abroad", true),
            Ok(Closure::Overridden(missing))
        );
        assert_eq!(decide_closure(vec![], "", false), Ok(Closure::Complete));
        assert_eq!(
            decide_closure(vec![], "no reason needed", false),
            Err(ClosureRefused::OverrideNotPermitted),
            "an agent may not override even when nothing is missing"
        );
    }

    #[test]
    fn the_default_settings_are_valid_and_bad_ones_are_named() {
        assert!(RecoverySettings::default().validate().is_ok());
        let empty = RecoverySettings {
            root_cause_categories: vec![],
            ..RecoverySettings::default()
        };
        let shaped = RecoverySettings {
            root_cause_categories: vec!["Process".into()],
            ..RecoverySettings::default()
        };
        let twice = RecoverySettings {
            required_steps: vec![Step::Fix, Step::Fix],
            ..RecoverySettings::default()
        };

        assert!(empty.validate().is_err());
        assert!(
            shaped
                .validate()
                .is_err_and(|e| e.contains("root_cause_categories"))
        );
        assert!(
            twice
                .validate()
                .is_err_and(|e| e.contains("required_steps"))
        );
    }
}
