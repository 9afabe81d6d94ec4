//! Wire enums ⇄ domain enums, each pair listed once and used both ways. On
//! the way in, `*_UNSPECIFIED` reads as "not given" and a number the
//! contract does not define is an error the caller sees as a field violation.

use redress_proto::customers::v1 as pb;

use crate::domain::activity::{Direction, TransactionKind};
use crate::domain::grading::ValueGrade;
use crate::domain::lifecycle::LifecycleStage;
use crate::domain::profile::{Channel, CommunicationStyle, CustomerKind, OperatingStatus, Size};
use crate::domain::satisfaction::Trend;

pub use redress_platform::wire::{UNKNOWN, WireEnum, to_wire_opt};

impl WireEnum for CustomerKind {
    type Wire = pb::CustomerKind;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (CustomerKind::Person, pb::CustomerKind::Person),
        (CustomerKind::Organisation, pb::CustomerKind::Organisation),
    ];
}

impl WireEnum for Size {
    type Wire = pb::CustomerSize;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Size::Large, pb::CustomerSize::Large),
        (Size::Medium, pb::CustomerSize::Medium),
        (Size::Small, pb::CustomerSize::Small),
    ];
}

impl WireEnum for OperatingStatus {
    type Wire = pb::OperatingStatus;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (OperatingStatus::Active, pb::OperatingStatus::Active),
        (OperatingStatus::Suspended, pb::OperatingStatus::Suspended),
        (OperatingStatus::Closed, pb::OperatingStatus::Closed),
    ];
}

impl WireEnum for CommunicationStyle {
    type Wire = pb::CommunicationStyle;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (CommunicationStyle::Formal, pb::CommunicationStyle::Formal),
        (
            CommunicationStyle::Familiar,
            pb::CommunicationStyle::Familiar,
        ),
    ];
}

impl WireEnum for Channel {
    type Wire = pb::Channel;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Channel::Phone, pb::Channel::Phone),
        (Channel::Email, pb::Channel::Email),
        (Channel::Sms, pb::Channel::Sms),
        (Channel::Chat, pb::Channel::Chat),
        (Channel::WebForm, pb::Channel::WebForm),
        (Channel::SocialMedia, pb::Channel::SocialMedia),
        (Channel::InPerson, pb::Channel::InPerson),
        (Channel::Letter, pb::Channel::Letter),
        (Channel::MobileApp, pb::Channel::MobileApp),
        (Channel::InApp, pb::Channel::InApp),
    ];
}

impl WireEnum for LifecycleStage {
    type Wire = pb::LifecycleStage;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (LifecycleStage::Prospect, pb::LifecycleStage::Prospect),
        (LifecycleStage::Established, pb::LifecycleStage::Established),
        (LifecycleStage::Mature, pb::LifecycleStage::Mature),
        (LifecycleStage::Declining, pb::LifecycleStage::Declining),
        (LifecycleStage::Churned, pb::LifecycleStage::Churned),
        (LifecycleStage::Reactivated, pb::LifecycleStage::Reactivated),
    ];
}

impl WireEnum for ValueGrade {
    type Wire = pb::ValueGrade;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (ValueGrade::A, pb::ValueGrade::A),
        (ValueGrade::B, pb::ValueGrade::B),
        (ValueGrade::C, pb::ValueGrade::C),
        (ValueGrade::D, pb::ValueGrade::D),
    ];
}

impl WireEnum for TransactionKind {
    type Wire = pb::TransactionKind;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (TransactionKind::Purchase, pb::TransactionKind::Purchase),
        (TransactionKind::Renewal, pb::TransactionKind::Renewal),
        (
            TransactionKind::ContractEnd,
            pb::TransactionKind::ContractEnd,
        ),
    ];
}

impl WireEnum for Direction {
    type Wire = pb::Direction;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Direction::Inbound, pb::Direction::Inbound),
        (Direction::Outbound, pb::Direction::Outbound),
    ];
}

impl WireEnum for Trend {
    type Wire = pb::SatisfactionTrend;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Trend::Improving, pb::SatisfactionTrend::Improving),
        (Trend::Steady, pb::SatisfactionTrend::Steady),
        (Trend::Worsening, pb::SatisfactionTrend::Worsening),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: WireEnum + std::fmt::Debug>() {
        for (domain, _) in T::PAIRS {
            assert_eq!(T::from_wire(domain.to_wire()), Ok(Some(*domain)));
        }
        assert_eq!(T::from_wire(0), Ok(None));
        assert_eq!(T::from_wire(9999), Err(UNKNOWN));
    }

    #[test]
    fn every_wire_value_reads_back_and_unknown_numbers_are_refused() {
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
