//! How domain enums are spelled in the database: one table per enum, used in
//! both directions, so a value can only be written in a form it can be read
//! back from. The schema's CHECK constraints list the same words.

use crate::domain::activity::{Direction, TransactionKind};
use crate::domain::grading::ValueGrade;
use crate::domain::lifecycle::LifecycleStage;
use crate::domain::profile::{Channel, CommunicationStyle, CustomerKind, OperatingStatus, Size};
use crate::domain::satisfaction::Trend;

/// A stored word that no enum value has: the database holds something this
/// version does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown stored value {value:?} for {what}")]
pub struct UnknownCode {
    /// The enum.
    pub what: &'static str,
    /// The word found.
    pub value: String,
}

/// An enum with a stored spelling.
pub trait Code: Sized + Copy + PartialEq + 'static {
    /// The enum's name, for errors.
    const WHAT: &'static str;
    /// Every value with its word.
    const TABLE: &'static [(Self, &'static str)];

    /// The stored word.
    fn code(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, c)| *c)
            .unwrap_or("")
    }

    /// The value of a stored word.
    fn from_code(code: &str) -> Result<Self, UnknownCode> {
        Self::TABLE
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(v, _)| *v)
            .ok_or_else(|| UnknownCode {
                what: Self::WHAT,
                value: code.to_string(),
            })
    }
}

/// Reads an optional stored word.
pub fn optional<T: Code>(code: Option<&str>) -> Result<Option<T>, UnknownCode> {
    code.map(T::from_code).transpose()
}

impl Code for CustomerKind {
    const WHAT: &'static str = "kind";
    const TABLE: &'static [(Self, &'static str)] = &[
        (CustomerKind::Person, "person"),
        (CustomerKind::Organisation, "organisation"),
    ];
}

impl Code for Size {
    const WHAT: &'static str = "size";
    const TABLE: &'static [(Self, &'static str)] = &[
        (Size::Large, "large"),
        (Size::Medium, "medium"),
        (Size::Small, "small"),
    ];
}

impl Code for OperatingStatus {
    const WHAT: &'static str = "operating_status";
    const TABLE: &'static [(Self, &'static str)] = &[
        (OperatingStatus::Active, "active"),
        (OperatingStatus::Suspended, "suspended"),
        (OperatingStatus::Closed, "closed"),
    ];
}

impl Code for CommunicationStyle {
    const WHAT: &'static str = "communication_style";
    const TABLE: &'static [(Self, &'static str)] = &[
        (CommunicationStyle::Formal, "formal"),
        (CommunicationStyle::Familiar, "familiar"),
    ];
}

impl Code for Channel {
    const WHAT: &'static str = "channel";
    const TABLE: &'static [(Self, &'static str)] = &[
        (Channel::Phone, "phone"),
        (Channel::Email, "email"),
        (Channel::Sms, "sms"),
        (Channel::Chat, "chat"),
        (Channel::WebForm, "web_form"),
        (Channel::SocialMedia, "social_media"),
        (Channel::InPerson, "in_person"),
        (Channel::Letter, "letter"),
        (Channel::MobileApp, "mobile_app"),
        (Channel::InApp, "in_app"),
    ];
}

impl Code for LifecycleStage {
    const WHAT: &'static str = "lifecycle_stage";
    const TABLE: &'static [(Self, &'static str)] = &[
        (LifecycleStage::Prospect, "prospect"),
        (LifecycleStage::Established, "established"),
        (LifecycleStage::Mature, "mature"),
        (LifecycleStage::Declining, "declining"),
        (LifecycleStage::Churned, "churned"),
        (LifecycleStage::Reactivated, "reactivated"),
    ];
}

impl Code for ValueGrade {
    const WHAT: &'static str = "value_grade";
    const TABLE: &'static [(Self, &'static str)] = &[
        (ValueGrade::A, "A"),
        (ValueGrade::B, "B"),
        (ValueGrade::C, "C"),
        (ValueGrade::D, "D"),
    ];
}

impl Code for TransactionKind {
    const WHAT: &'static str = "transaction_kind";
    const TABLE: &'static [(Self, &'static str)] = &[
        (TransactionKind::Purchase, "purchase"),
        (TransactionKind::Renewal, "renewal"),
        (TransactionKind::ContractEnd, "contract_end"),
    ];
}

impl Code for Direction {
    const WHAT: &'static str = "direction";
    const TABLE: &'static [(Self, &'static str)] = &[
        (Direction::Inbound, "inbound"),
        (Direction::Outbound, "outbound"),
    ];
}

impl Code for Trend {
    const WHAT: &'static str = "satisfaction_trend";
    const TABLE: &'static [(Self, &'static str)] = &[
        (Trend::Unknown, "unknown"),
        (Trend::Improving, "improving"),
        (Trend::Steady, "steady"),
        (Trend::Worsening, "worsening"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Code + std::fmt::Debug>() {
        for (value, code) in T::TABLE {
            assert_eq!(value.code(), *code);
            assert_eq!(T::from_code(code).ok(), Some(*value));
        }
        assert!(T::from_code("no-such-word").is_err());
    }

    #[test]
    fn every_stored_word_reads_back_as_its_value() {
        round_trips::<CustomerKind>();
        round_trips::<Size>();
        round_trips::<OperatingStatus>();
        round_trips::<CommunicationStyle>();
        round_trips::<Channel>();
        round_trips::<LifecycleStage>();
        round_trips::<ValueGrade>();
        round_trips::<TransactionKind>();
        round_trips::<Direction>();
        round_trips::<Trend>();
    }
}
