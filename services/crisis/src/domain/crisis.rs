//! A crisis's rules: its lifecycle (which state may follow which), how
//! likelihood × impact bands into a risk level and a priority, the team's
//! roles (exactly one commander, a single spokesperson), when the team
//! counts as formed, and the statement update cadence. Pure: no protobuf, no
//! SQL.

use jiff::SignedDuration;

use crate::settings::RiskSettings;

/// Where a crisis is (DOMAIN.md, Crisis: lifecycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrisisState {
    /// Declared; the team forms.
    Declared,
    /// Severity, urgency and scope are being assessed.
    Assessing,
    /// The plan is being carried out.
    Responding,
    /// The plan is being changed.
    Replanning,
    /// No longer spreading.
    Stable,
    /// Repair and rebuilding.
    Recovering,
    /// Root cause and lessons.
    InReview,
    /// Over.
    Closed,
}

impl CrisisState {
    /// Every state, in lifecycle order.
    pub const ALL: [CrisisState; 8] = [
        Self::Declared,
        Self::Assessing,
        Self::Responding,
        Self::Replanning,
        Self::Stable,
        Self::Recovering,
        Self::InReview,
        Self::Closed,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Declared => "declared",
            Self::Assessing => "assessing",
            Self::Responding => "responding",
            Self::Replanning => "replanning",
            Self::Stable => "stable",
            Self::Recovering => "recovering",
            Self::InReview => "in_review",
            Self::Closed => "closed",
        }
    }

    /// The state of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The states that may follow this one. Stable may fall back to
    /// responding when the crisis spreads again.
    pub fn next(self) -> &'static [CrisisState] {
        match self {
            Self::Declared => &[Self::Assessing],
            Self::Assessing => &[Self::Responding],
            Self::Responding => &[Self::Replanning, Self::Stable],
            Self::Replanning => &[Self::Responding],
            Self::Stable => &[Self::Recovering, Self::Responding],
            Self::Recovering => &[Self::InReview],
            Self::InReview => &[Self::Closed],
            Self::Closed => &[],
        }
    }

    /// Whether `to` may follow this state.
    pub fn may_become(self, to: CrisisState) -> bool {
        self.next().contains(&to)
    }
}

/// Likelihood × impact, banded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskLevel {
    /// Low (P4).
    Low,
    /// Medium (P3).
    Medium,
    /// High (P2).
    High,
    /// Extreme (P1).
    Extreme,
}

impl RiskLevel {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Extreme => "extreme",
        }
    }

    /// The level of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Low, Self::Medium, Self::High, Self::Extreme]
            .into_iter()
            .find(|l| l.code() == code)
    }

    /// The priority this level is handled at.
    pub fn priority(self) -> Priority {
        match self {
            Self::Low => Priority::P4,
            Self::Medium => Priority::P3,
            Self::High => Priority::P2,
            Self::Extreme => Priority::P1,
        }
    }
}

/// How urgently a crisis is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// The highest.
    P1,
    /// High.
    P2,
    /// Medium.
    P3,
    /// Low.
    P4,
}

impl Priority {
    /// Every priority, highest first.
    pub const ALL: [Priority; 4] = [Self::P1, Self::P2, Self::P3, Self::P4];

    /// The stored code, "P1" to "P4".
    pub fn code(self) -> &'static str {
        match self {
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
            Self::P4 => "P4",
        }
    }

    /// The priority of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// A likelihood or an impact: 1 to 5.
pub fn valid_scale(value: i32) -> Result<i16, &'static str> {
    if (1..=5).contains(&value) {
        Ok(value as i16)
    } else {
        Err("must be 1 to 5")
    }
}

/// The risk level of `likelihood` × `impact` in the configured bands.
pub fn risk_level(likelihood: i16, impact: i16, bands: &RiskSettings) -> RiskLevel {
    let score = u32::try_from(i32::from(likelihood) * i32::from(impact)).unwrap_or(0);
    if score >= bands.extreme_from {
        RiskLevel::Extreme
    } else if score >= bands.high_from {
        RiskLevel::High
    } else if score >= bands.medium_from {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    }
}

/// A team role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamRole {
    /// In command; exactly one at all times.
    Commander,
    /// Leads internal communication.
    CommunicationsLead,
    /// The single external voice.
    Spokesperson,
    /// Liaison with regulators, partners and departments.
    Liaison,
    /// Keeps the record.
    Scribe,
    /// A member with written duties.
    Member,
}

impl TeamRole {
    /// Every role.
    pub const ALL: [TeamRole; 6] = [
        Self::Commander,
        Self::CommunicationsLead,
        Self::Spokesperson,
        Self::Liaison,
        Self::Scribe,
        Self::Member,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Commander => "commander",
            Self::CommunicationsLead => "communications_lead",
            Self::Spokesperson => "spokesperson",
            Self::Liaison => "liaison",
            Self::Scribe => "scribe",
            Self::Member => "member",
        }
    }

    /// The role of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether only one person may hold the role: giving it to someone takes
    /// it from whoever held it, who stays on as a member.
    pub fn is_single(self) -> bool {
        matches!(self, Self::Commander | Self::Spokesperson)
    }
}

/// Whether a team holding `roles` is formed: a commander, a communications
/// lead and a spokesperson are all named.
pub fn team_formed(roles: impl IntoIterator<Item = TeamRole>) -> bool {
    let roles: Vec<TeamRole> = roles.into_iter().collect();
    [
        TeamRole::Commander,
        TeamRole::CommunicationsLead,
        TeamRole::Spokesperson,
    ]
    .iter()
    .all(|needed| roles.contains(needed))
}

/// Parses a cadence written as a friendly span such as "1h" or "90m"; it
/// must be positive.
pub fn parse_cadence(text: &str) -> Result<SignedDuration, String> {
    let every: SignedDuration = text
        .parse()
        .map_err(|e| format!("{text:?} is not a span such as \"1h\": {e}"))?;
    if every <= SignedDuration::ZERO {
        return Err(format!("{text:?} must be positive"));
    }
    Ok(every)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_but_closed_has_a_way_on_and_closed_has_none() {
        for state in CrisisState::ALL {
            assert_eq!(state.next().is_empty(), state == CrisisState::Closed);
            assert_eq!(CrisisState::from_code(state.code()), Some(state));
        }
        assert!(CrisisState::Stable.may_become(CrisisState::Responding));
        assert!(!CrisisState::Declared.may_become(CrisisState::Closed));
    }

    #[test]
    fn risk_bands_give_priorities() {
        let bands = RiskSettings::default();
        assert_eq!(risk_level(1, 1, &bands), RiskLevel::Low);
        assert_eq!(risk_level(1, 5, &bands), RiskLevel::Medium);
        assert_eq!(risk_level(2, 5, &bands), RiskLevel::High);
        assert_eq!(risk_level(5, 5, &bands).priority(), Priority::P1);
    }

    #[test]
    fn the_team_is_formed_with_its_three_leading_roles() {
        assert!(!team_formed([TeamRole::Commander, TeamRole::Spokesperson]));
        assert!(team_formed([
            TeamRole::Spokesperson,
            TeamRole::Member,
            TeamRole::CommunicationsLead,
            TeamRole::Commander,
        ]));
    }

    #[test]
    fn cadences_are_positive_friendly_spans() {
        assert_eq!(parse_cadence("1h"), Ok(SignedDuration::from_hours(1)));
        assert!(parse_cadence("soon").is_err());
        assert!(parse_cadence("0s").is_err());
    }
}
