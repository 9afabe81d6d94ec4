//! The audit trail: who did which security-relevant thing, to what, through
//! which service, and whether it was done or refused.
//!
//! Each service records its role-gated changes, erasures and approvals as
//! [`AuditEntry`]s in an `audit_entries` table of its own schema (created by
//! a copy of [`AUDIT_MIGRATION`]), written with [`AuditEntry::record`] on the
//! action's own transaction, so an action is audited if and only if it
//! committed. A refusal by a handler's rule (not the owner, over the
//! approval limit, not the spokesperson) is recorded with
//! [`AuditEntry::record_alone`] in a small transaction of its own, since the
//! refused action writes nothing. The login role may insert and read entries
//! but not change or delete them (the migration and `db`'s provisioning take
//! those privileges back). Entries hold subjects, resource names, roles and
//! small non-personal details; never names, contact data or free text.
//! Refusals by the [`AuthLayer`](crate::auth::AuthLayer) itself, before any
//! handler runs, go to the `redress::audit` tracing target instead.

mod list;
mod store;

use std::collections::BTreeMap;

use jiff::Timestamp;
use uuid::Uuid;

use crate::auth::Caller;

pub use list::{AuditFilters, AuditQuery, list_page, to_wire};
pub use store::{list, record_refusal};

/// The SQL that creates a service's `audit_entries` table. Each service's
/// migration is a byte-for-byte copy of it (sqlx embeds a service's own
/// files), checked by a test in the service.
pub const AUDIT_MIGRATION: &str = include_str!("audit.sql");

/// The tracing target of security events that have no table to go to (the
/// authentication layer's refusals).
pub const AUDIT_TARGET: &str = "redress::audit";

/// A kind of audited action, from a service's closed vocabulary: lower-case
/// dotted words, `<resource>.<verb>` (`customer.erased`). Each service
/// declares its actions as constants in one module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Action(&'static str);

impl Action {
    /// An action named `name`, such as `goodwill.approved`.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The action's name as stored and sent.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// Whether the recorded action took place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done and committed.
    Done,
    /// Refused by a handler's rule with PERMISSION_DENIED; nothing else written.
    Denied,
}

impl Outcome {
    /// The stored word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Denied => "denied",
        }
    }

    fn parse(stored: &str) -> Option<Self> {
        match stored {
            "done" => Some(Outcome::Done),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// One security-relevant action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// UUIDv7.
    pub id: Uuid,
    /// From the service's vocabulary, `<resource>.<verb>`.
    pub action: String,
    /// The resource acted on, such as `customers/{id}`.
    pub target: String,
    /// Whose decision it was: the acting person (the end user when a service
    /// acted for one), or `system:<rule>` for a rule of the service. Never empty.
    pub actor: String,
    /// The roles the actor held (wire strings, sorted); empty for a rule.
    pub actor_roles: Vec<String>,
    /// The service subject the request came through, when a service acted
    /// for the actor.
    pub via_service: Option<String>,
    /// For a rule's decision, the subject whose request set it off.
    pub requested_by: Option<String>,
    /// The RPC, such as `EraseCustomer`.
    pub method: String,
    /// Done or denied.
    pub outcome: Outcome,
    /// Small non-personal facts (amounts, limits, states, reason codes).
    pub details: BTreeMap<String, String>,
    /// When it happened, by the service's clock.
    pub time: Timestamp,
}

impl AuditEntry {
    /// `caller` did `action` to `target` through `method` at `time`: the
    /// actor is the acting person (the end user when `caller` is a service
    /// acting for one, with the service as `via_service`), with that person's
    /// roles. The outcome is [`Outcome::Done`] until [`AuditEntry::denied`].
    pub fn by(
        caller: &Caller,
        action: Action,
        method: &'static str,
        target: impl Into<String>,
        time: Timestamp,
    ) -> Self {
        let (person, via_service) = match &caller.end_user {
            Some(end_user) => (end_user.as_ref(), Some(caller.subject.clone())),
            None => (caller, None),
        };
        Self {
            id: Uuid::now_v7(),
            action: action.as_str().to_owned(),
            target: target.into(),
            actor: person.subject.clone(),
            actor_roles: person.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            via_service,
            requested_by: None,
            method: method.to_owned(),
            outcome: Outcome::Done,
            details: BTreeMap::new(),
            time,
        }
    }

    /// The service's rule `rule` decided `action` by itself, set off by
    /// `caller`'s request: the actor is `system:<rule>` with no roles, and the
    /// acting person is `requested_by`.
    pub fn by_rule(
        rule: &'static str,
        caller: &Caller,
        action: Action,
        method: &'static str,
        target: impl Into<String>,
        time: Timestamp,
    ) -> Self {
        let mut entry = Self::by(caller, action, method, target, time);
        entry.requested_by = Some(std::mem::replace(
            &mut entry.actor,
            format!("system:{rule}"),
        ));
        entry.actor_roles.clear();
        entry
    }

    /// The same entry, recording a refusal.
    #[must_use]
    pub fn denied(mut self) -> Self {
        self.outcome = Outcome::Denied;
        self
    }

    /// The same entry with one more detail. Keys are fixed words; values must
    /// be non-personal (amounts, codes, states, counts), never free text.
    #[must_use]
    pub fn detail(mut self, key: &'static str, value: impl ToString) -> Self {
        self.details.insert(key.to_owned(), value.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::auth::Role;

    fn caller(subject: &str, roles: &[Role]) -> Caller {
        Caller {
            subject: subject.to_owned(),
            roles: roles.to_vec(),
            team: None,
            locale: None,
            end_user: None,
            token: Secret::new(String::new()),
        }
    }

    const APPROVED: Action = Action::new("goodwill.approved");

    #[test]
    fn a_service_acting_for_a_person_is_recorded_as_the_way_the_person_came() {
        let mut service = caller("svc-crisis", &[Role::Service]);
        service.end_user = Some(Box::new(caller("sup-1", &[Role::Supervisor])));
        let entry = AuditEntry::by(
            &service,
            APPROVED,
            "Approve",
            "complaints/x",
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(entry.actor, "sup-1");
        assert_eq!(entry.actor_roles, vec!["supervisor"]);
        assert_eq!(entry.via_service.as_deref(), Some("svc-crisis"));
        assert_eq!(entry.requested_by, None);
        assert_eq!(entry.outcome, Outcome::Done);
    }

    #[test]
    fn a_rules_decision_names_the_rule_and_who_set_it_off() {
        let agent = caller("agent-7", &[Role::Agent]);
        let entry = AuditEntry::by_rule(
            "good_faith",
            &agent,
            APPROVED,
            "Propose",
            "c",
            Timestamp::UNIX_EPOCH,
        )
        .detail("amount_minor", 500)
        .denied();
        assert_eq!(entry.actor, "system:good_faith");
        assert!(entry.actor_roles.is_empty());
        assert_eq!(entry.requested_by.as_deref(), Some("agent-7"));
        assert_eq!(entry.via_service, None);
        assert_eq!(
            entry.details.get("amount_minor").map(String::as_str),
            Some("500")
        );
        assert_eq!(entry.outcome, Outcome::Denied);
    }

    #[test]
    fn outcomes_read_back_from_their_stored_words() {
        for outcome in [Outcome::Done, Outcome::Denied] {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(Outcome::parse("maybe"), None);
    }
}
