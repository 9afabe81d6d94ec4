//! Recipients: a customer (`customers/{id}`), whose contact points, locale,
//! time zone and channel order the customers service keeps, or staff: an
//! agent (`agents/{subject}`, the `sub` of their token) or a team
//! (`teams/{id}`), whose channels this service keeps.

use std::fmt;

use uuid::Uuid;

/// Who a message is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recipient {
    /// A customer, by id.
    Customer(Uuid),
    /// A member of staff, by subject.
    Agent(String),
    /// A team, by id.
    Team(String),
}

/// Why a recipient name is not valid.
pub const SHAPE: &str = "must be customers/{uuid}, agents/{subject} or teams/{id}";

impl Recipient {
    /// Parses `customers/{uuid}`, `agents/{subject}` or `teams/{id}`.
    pub fn parse(name: &str) -> Result<Recipient, &'static str> {
        let (collection, id) = name.split_once('/').ok_or(SHAPE)?;
        let plain = |id: &str| {
            !id.is_empty()
                && id.len() <= 200
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@:".contains(c))
        };
        match collection {
            "customers" => Uuid::parse_str(id)
                .ok()
                .filter(|u| u.hyphenated().to_string() == id)
                .map(Recipient::Customer)
                .ok_or(SHAPE),
            "agents" if plain(id) => Ok(Recipient::Agent(id.to_owned())),
            "teams" if plain(id) => Ok(Recipient::Team(id.to_owned())),
            _ => Err(SHAPE),
        }
    }

    /// Whether this is staff (an agent or a team).
    pub fn is_staff(&self) -> bool {
        !matches!(self, Recipient::Customer(_))
    }

    /// The customer's id, if a customer.
    pub fn customer(&self) -> Option<Uuid> {
        match self {
            Recipient::Customer(id) => Some(*id),
            _ => None,
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Customer(id) => write!(f, "customers/{id}"),
            Recipient::Agent(subject) => write!(f, "agents/{subject}"),
            Recipient::Team(id) => write!(f, "teams/{id}"),
        }
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_recipient_reads_back_as_written() {
        for name in [
            "customers/01933b7e-0000-7000-8000-000000000001",
            "agents/agent-00001",
            "teams/team-001",
        ] {
            assert_eq!(
                Recipient::parse(name).map(|r| r.to_string()),
                Ok(name.into())
            );
        }
    }

    #[test]
    fn malformed_names_are_refused() {
        for name in [
            "",
            "customers/",
            "customers/not-a-uuid",
            "customers/01933B7E-0000-7000-8000-000000000001",
            "agents/",
            "agents/a b",
            "teams/x/y",
            "people/1",
        ] {
            assert!(Recipient::parse(name).is_err(), "{name}");
        }
    }
}
