//! Triggers: the complaint feed turned into messages. The consumer
//! (`redress_platform::outbox::Consumer`, cursor and applied events in this
//! schema) hands each complaint event to [`TriggerHandler`], which queues
//! the messages the configured [`Trigger`]s name, in the same transaction
//! that records the event as applied, so each event notifies exactly once.
//!
//! Events carry no personal data; the messages carry the event's routing
//! attributes (reference, state, category, severity, product, ...) and its
//! payload's plain values as template variables, and the worker reads the
//! customer's name and addresses from the customers service when it sends.

use redress_platform::clock::SharedClock;
use redress_platform::outbox::{BoxError, Event, EventHandler};
use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::delivery::priority;
use crate::domain::template::check_kind;
use crate::store::messages::{self, NewMessage};

/// Whom a trigger notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The complaint's customer.
    Customer,
    /// The complaint's owner (an agent).
    Owner,
    /// The owner's team (its supervisors' room).
    Team,
    /// The person an SLA escalation step names (`escalate_to`).
    EscalateTo,
}

impl Audience {
    fn code(self) -> &'static str {
        match self {
            Audience::Customer => "customer",
            Audience::Owner => "owner",
            Audience::Team => "team",
            Audience::EscalateTo => "escalate_to",
        }
    }
}

/// One rule: an event type, optionally only in some states, sends a kind
/// of message to an audience.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Trigger {
    /// The event type, such as `complaint.created`.
    pub event: String,
    /// Only when the complaint's `state` attribute is one of these; empty
    /// for any.
    #[serde(default)]
    pub states: Vec<String>,
    /// The message kind sent.
    pub kind: String,
    /// Its category (for opt-outs and the cap).
    pub category: String,
    /// Whom it goes to.
    pub to: Vec<Audience>,
    /// Whether it is critical.
    #[serde(default)]
    pub critical: bool,
}

impl Trigger {
    /// Checks the names.
    pub fn validate(&self) -> Result<(), String> {
        check_kind(&self.kind).map_err(|e| format!("kind {:?} {e}", self.kind))?;
        if self.event.is_empty() || self.category.is_empty() || self.to.is_empty() {
            return Err(format!(
                "the trigger of {:?} needs an event, a category and someone to notify",
                self.kind
            ));
        }
        Ok(())
    }
}

fn trigger(event: &str, states: &[&str], kind: &str, category: &str, to: &[Audience]) -> Trigger {
    Trigger {
        event: event.into(),
        states: states.iter().map(|s| (*s).to_owned()).collect(),
        kind: kind.into(),
        category: category.into(),
        to: to.to_vec(),
        critical: false,
    }
}

/// The default rules: the customer hears that the complaint was received,
/// of its progress, of its resolution, the survey and follow-ups; the owner
/// hears of SLA warnings, the owner and team of breaches, and whoever an
/// escalation step names of the escalation.
pub fn defaults() -> Vec<Trigger> {
    use Audience::*;
    vec![
        trigger(
            "complaint.created",
            &[],
            "complaint.acknowledgement",
            "service",
            &[Customer],
        ),
        trigger(
            "complaint.state_changed",
            &["investigating", "resolution_proposed"],
            "complaint.progress",
            "service",
            &[Customer],
        ),
        trigger(
            "complaint.resolved",
            &[],
            "complaint.resolution",
            "service",
            &[Customer],
        ),
        trigger(
            "complaint.survey_invited",
            &[],
            "complaint.survey_invitation",
            "surveys",
            &[Customer],
        ),
        trigger(
            "complaint.follow_up_due",
            &[],
            "complaint.follow_up",
            "follow_up",
            &[Customer],
        ),
        trigger(
            "complaint.sla_warning",
            &[],
            "complaint.sla_warning",
            "operations",
            &[Owner],
        ),
        trigger(
            "complaint.sla_breached",
            &[],
            "complaint.sla_breach",
            "operations",
            &[Owner, Team],
        ),
        trigger(
            "complaint.sla_escalated",
            &[],
            "complaint.sla_escalation",
            "operations",
            &[EscalateTo],
        ),
    ]
}

/// The event types the rules listen to.
pub fn event_types(triggers: &[Trigger]) -> Vec<String> {
    let mut types: Vec<String> = triggers.iter().map(|t| t.event.clone()).collect();
    types.sort();
    types.dedup();
    types
}

/// The messages `event` asks for under `triggers`.
pub fn plan(event: &Event, triggers: &[Trigger]) -> Vec<NewMessage> {
    let attribute = |key: &str| event.attributes.get(key).cloned().unwrap_or_default();
    let complaint_id = event
        .subject
        .strip_prefix("complaints/")
        .and_then(|id| Uuid::parse_str(id).ok());
    let mut messages = Vec::new();
    for t in triggers.iter().filter(|t| t.event == event.event_type) {
        if !t.states.is_empty() && !t.states.contains(&attribute("state")) {
            continue;
        }
        for audience in &t.to {
            let recipient = match audience {
                Audience::Customer => attribute("customer"),
                Audience::Owner => prefixed("agents/", &attribute("owner")),
                Audience::Team => prefixed("teams/", &attribute("team")),
                Audience::EscalateTo => prefixed(
                    "agents/",
                    event
                        .payload
                        .get("escalate_to")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                ),
            };
            if recipient.is_empty() {
                continue;
            }
            messages.push(NewMessage {
                id: Uuid::now_v7(),
                dedupe_key: format!("event:{}:{}:{}", event.id, t.kind, audience.code()),
                recipient,
                kind: t.kind.clone(),
                category: t.category.clone(),
                critical: t.critical,
                priority: priority(t.critical, false),
                variables: Some(variables(event)),
                channels: Vec::new(),
                complaint_id,
                broadcast_id: None,
                created_by: format!("system:{}", event.event_type),
            });
        }
    }
    messages
}

fn prefixed(prefix: &str, id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!("{prefix}{id}")
    }
}

/// The template variables an event gives: its attributes as
/// `complaint_<name>` (the customer, owner and team stay out: they are
/// recipients, not wording) and its payload's plain values.
pub fn variables(event: &Event) -> Value {
    let mut vars = Map::new();
    vars.insert("complaint".into(), Value::String(event.subject.clone()));
    for (key, value) in &event.attributes {
        if matches!(key.as_str(), "customer" | "owner" | "team") {
            continue;
        }
        vars.insert(format!("complaint_{key}"), Value::String(value.clone()));
    }
    if let Some(payload) = event.payload.as_object() {
        for (key, value) in payload {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            vars.entry(key.clone()).or_insert(Value::String(text));
        }
    }
    Value::Object(vars)
}

/// Queues what each event asks for, in the consumer's transaction.
#[derive(Debug, Clone)]
pub struct TriggerHandler {
    triggers: Vec<Trigger>,
    clock: SharedClock,
}

impl TriggerHandler {
    /// A handler for these rules.
    pub fn new(triggers: Vec<Trigger>, clock: SharedClock) -> Self {
        Self { triggers, clock }
    }
}

impl EventHandler for TriggerHandler {
    async fn handle(&mut self, conn: &mut PgConnection, event: &Event) -> Result<(), BoxError> {
        let planned = plan(event, &self.triggers);
        if !planned.is_empty() {
            messages::enqueue(conn, &planned, self.clock.now()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn event(event_type: &str, state: &str, payload: Value) -> Event {
        let attributes: BTreeMap<String, String> = [
            ("customer", "customers/01933b7e-0000-7000-8000-000000000001"),
            ("owner", "agent-7"),
            ("team", "team-1"),
            ("state", state),
            ("reference", "C-2026-000123"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Event {
            id: Uuid::now_v7(),
            position: 1,
            event_type: event_type.into(),
            subject: "complaints/01933b7e-0000-7000-8000-0000000000aa".into(),
            attributes,
            payload,
            schema_version: 1,
            create_time: jiff::Timestamp::UNIX_EPOCH,
            traceparent: None,
        }
    }

    fn recipients(messages: &[NewMessage]) -> Vec<(&str, &str)> {
        messages
            .iter()
            .map(|m| (m.kind.as_str(), m.recipient.as_str()))
            .collect()
    }

    #[test]
    fn a_new_complaint_acknowledges_the_customer_with_its_reference() {
        let messages = plan(
            &event("complaint.created", "received", Value::Null),
            &defaults(),
        );
        assert_eq!(
            recipients(&messages),
            [(
                "complaint.acknowledgement",
                "customers/01933b7e-0000-7000-8000-000000000001"
            )]
        );
        let vars = messages[0].variables.as_ref().expect("variables");
        assert_eq!(vars["complaint_reference"], "C-2026-000123");
        assert!(vars.get("complaint_owner").is_none() && vars.get("complaint_customer").is_none());
        assert!(messages[0].complaint_id.is_some());
    }

    #[test]
    fn a_breach_tells_the_owner_and_the_team_and_an_escalation_the_one_it_names() {
        let payload =
            serde_json::json!({"clock": "resolution", "due_time": "2026-11-23T12:00:00Z"});
        let messages = plan(
            &event("complaint.sla_breached", "investigating", payload),
            &defaults(),
        );
        assert_eq!(
            recipients(&messages),
            [
                ("complaint.sla_breach", "agents/agent-7"),
                ("complaint.sla_breach", "teams/team-1")
            ]
        );
        assert_eq!(
            messages[0].variables.as_ref().expect("variables")["clock"],
            "resolution"
        );
        let payload = serde_json::json!({"escalate_to": "sup-1", "level": 2});
        let messages = plan(
            &event("complaint.sla_escalated", "investigating", payload),
            &defaults(),
        );
        assert_eq!(
            recipients(&messages),
            [("complaint.sla_escalation", "agents/sup-1")]
        );
    }

    #[test]
    fn progress_is_sent_only_for_the_states_named() {
        assert_eq!(
            plan(
                &event("complaint.state_changed", "investigating", Value::Null),
                &defaults()
            )
            .len(),
            1
        );
        assert!(
            plan(
                &event("complaint.state_changed", "awaiting_customer", Value::Null),
                &defaults()
            )
            .is_empty()
        );
    }

    #[test]
    fn each_message_of_an_event_has_its_own_dedupe_key_and_the_same_event_gives_the_same_keys() {
        let e = event("complaint.sla_breached", "investigating", Value::Null);
        let first: Vec<String> = plan(&e, &defaults())
            .into_iter()
            .map(|m| m.dedupe_key)
            .collect();
        let again: Vec<String> = plan(&e, &defaults())
            .into_iter()
            .map(|m| m.dedupe_key)
            .collect();
        assert_eq!(first, again);
        assert_ne!(first[0], first[1]);
    }

    #[test]
    fn the_default_rules_are_valid() {
        for t in defaults() {
            t.validate().expect("a valid trigger");
        }
    }
}
