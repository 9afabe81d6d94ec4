//! The roles a caller can hold. The identity provider (or `redress token` in
//! development) puts them in the token's `roles` claim as wire strings, and
//! each service's [`AccessPolicy`](super::AccessPolicy) names the roles that
//! may call each RPC. The set is closed: a string that names no role here is
//! ignored when a token is read, never fatal and never granted anything.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role a caller holds. Wire strings are lower snake case (`crisis_manager`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A call-centre agent taking and working complaints.
    Agent,
    /// A team supervisor: escalations, reassignments, goodwill approval.
    Supervisor,
    /// Declares and runs crises.
    CrisisManager,
    /// Writes and publishes statements and customer communications.
    Communications,
    /// Configures the suite (templates, calendars, teams).
    Admin,
    /// Another Redress service or an enterprise system calling machine to
    /// machine, possibly on behalf of an end user.
    Service,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 6] = [
        Role::Agent,
        Role::Supervisor,
        Role::CrisisManager,
        Role::Communications,
        Role::Admin,
        Role::Service,
    ];

    /// The wire string of this role, as it appears in a token's `roles` claim.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::CrisisManager => "crisis_manager",
            Role::Communications => "communications",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`Role`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Redress role")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_reads_back_from_its_wire_string() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).expect("serialise"),
                format!("\"{role}\"")
            );
        }
    }

    #[test]
    fn a_role_string_is_matched_exactly() {
        assert!("Agent".parse::<Role>().is_err());
        assert!("crisis-manager".parse::<Role>().is_err());
        assert!("".parse::<Role>().is_err());
    }
}
