//! An event as a service writes it ([`NewEvent`]) and as a feed delivers it
//! ([`Event`]), with the rules an event must follow and the conversions to
//! and from the wire's `redress.events.v1.Event`.
//!
//! Events carry ids, names and the few attributes consumers route on, never
//! the customer's story (ARCHITECTURE.md, rule 2). The platform cannot tell
//! personal data from other text, so it enforces what it can: bounded sizes,
//! machine-shaped types and attribute keys, and a small JSON object payload.

use std::collections::BTreeMap;

use jiff::Timestamp;
use redress_proto::events::v1 as pb;
use serde_json::Value;
use uuid::Uuid;

use super::OutboxError;
use crate::wire;

/// Most bytes in an event type.
const MAX_TYPE_LEN: usize = 100;
/// Most bytes in a subject.
const MAX_SUBJECT_LEN: usize = 200;
/// Most attributes on one event.
const MAX_ATTRIBUTES: usize = 16;
/// Most bytes in an attribute key.
const MAX_ATTRIBUTE_KEY_LEN: usize = 64;
/// Most bytes in an attribute value.
const MAX_ATTRIBUTE_VALUE_LEN: usize = 256;
/// Most bytes in a payload, as JSON text.
const MAX_PAYLOAD_LEN: usize = 16 * 1024;

/// An event to append to the outbox, inside the transaction of the change it
/// announces. Build it with [`NewEvent::new`] and the setters.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// What happened, as `<resource>.<verb>` in lower case: `complaint.created`.
    pub event_type: String,
    /// The resource it happened to: `complaints/{id}`.
    pub subject: String,
    /// The few values consumers route on (at most 16; keys lower-case
    /// `[a-z0-9_.]`). Never personal data.
    pub attributes: BTreeMap<String, String>,
    /// The event's own small data: a JSON object of at most 16 KiB. Ids,
    /// codes and numbers; never the customer's story.
    pub payload: Value,
    /// The version of this type's payload shape, from 1.
    pub schema_version: i32,
    /// When the change was made, from the service's clock; `None` takes the
    /// database's transaction time.
    pub create_time: Option<Timestamp>,
}

impl NewEvent {
    /// An event of `event_type` about `subject`, with no attributes, an
    /// empty payload, schema version 1, and the transaction's time.
    pub fn new(event_type: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            event_type: event_type.into(),
            subject: subject.into(),
            attributes: BTreeMap::new(),
            payload: Value::Object(serde_json::Map::new()),
            schema_version: 1,
            create_time: None,
        }
    }

    /// Adds (or replaces) a routing attribute.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Sets the payload, a JSON object.
    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }

    /// Sets the payload's schema version.
    pub fn schema_version(mut self, version: i32) -> Self {
        self.schema_version = version;
        self
    }

    /// Sets the time of the change, from the service's clock.
    pub fn at(mut self, time: Timestamp) -> Self {
        self.create_time = Some(time);
        self
    }

    /// Checks the event against the outbox's rules.
    pub(super) fn validate(&self) -> Result<(), OutboxError> {
        if !is_event_type(&self.event_type) {
            return Err(OutboxError::invalid_event(format!(
                "the event type must be lower-case `<resource>.<verb>` segments of [a-z0-9_], \
                 at most {MAX_TYPE_LEN} bytes"
            )));
        }
        if self.subject.is_empty()
            || self.subject.len() > MAX_SUBJECT_LEN
            || self.subject.chars().any(char::is_control)
        {
            return Err(OutboxError::invalid_event(format!(
                "the subject must be a resource name of 1 to {MAX_SUBJECT_LEN} bytes"
            )));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return Err(OutboxError::invalid_event(format!(
                "at most {MAX_ATTRIBUTES} attributes"
            )));
        }
        for (key, value) in &self.attributes {
            let key_ok = !key.is_empty()
                && key.len() <= MAX_ATTRIBUTE_KEY_LEN
                && key.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                });
            if !key_ok {
                return Err(OutboxError::invalid_event(format!(
                    "attribute keys must be 1 to {MAX_ATTRIBUTE_KEY_LEN} bytes of [a-z0-9_.]"
                )));
            }
            if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
                return Err(OutboxError::invalid_event(format!(
                    "attribute `{key}` is longer than {MAX_ATTRIBUTE_VALUE_LEN} bytes"
                )));
            }
        }
        if !self.payload.is_object() {
            return Err(OutboxError::invalid_event(
                "the payload must be a JSON object",
            ));
        }
        if self.payload.to_string().len() > MAX_PAYLOAD_LEN {
            return Err(OutboxError::invalid_event(format!(
                "the payload is larger than {MAX_PAYLOAD_LEN} bytes"
            )));
        }
        if self.schema_version < 1 {
            return Err(OutboxError::invalid_event("the schema version starts at 1"));
        }
        Ok(())
    }
}

/// `complaint.created`, `crisis.task.assigned`: two or more non-empty
/// segments of `[a-z0-9_]`, the first starting with a letter.
pub(super) fn is_event_type(value: &str) -> bool {
    value.len() <= MAX_TYPE_LEN
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.split('.').count() >= 2
        && value.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// An event as a feed delivers it: committed, and with its place in the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event's id (UUIDv7); consumers apply each id once.
    pub id: Uuid,
    /// Place in the publisher's feed; greater than every earlier event's.
    pub position: i64,
    /// What happened: `complaint.created`.
    pub event_type: String,
    /// The resource it happened to: `complaints/{id}`.
    pub subject: String,
    /// The values consumers route on.
    pub attributes: BTreeMap<String, String>,
    /// The event's own small data, a JSON object.
    pub payload: Value,
    /// The version of the payload's shape.
    pub schema_version: i32,
    /// When the change was made.
    pub create_time: Timestamp,
    /// The W3C trace context of the request that wrote the event, if any.
    pub traceparent: Option<String>,
}

impl From<Event> for pb::Event {
    fn from(event: Event) -> Self {
        let Event {
            id,
            position,
            event_type,
            subject,
            attributes,
            payload,
            schema_version,
            create_time,
            traceparent,
        } = event;
        pb::Event {
            id: id.to_string(),
            position,
            r#type: event_type,
            subject,
            attributes: attributes.into_iter().collect(),
            create_time: Some(wire::timestamp(create_time)),
            traceparent: traceparent.unwrap_or_default(),
            schema_version,
            payload: payload.to_string(),
        }
    }
}

impl TryFrom<pb::Event> for Event {
    type Error = OutboxError;

    /// Reads an event received from a publisher; fails on a malformed id,
    /// time or payload (a publisher bug).
    fn try_from(event: pb::Event) -> Result<Self, OutboxError> {
        let pb::Event {
            id,
            position,
            r#type,
            subject,
            attributes,
            create_time,
            traceparent,
            schema_version,
            payload,
        } = event;
        let id = Uuid::parse_str(&id)
            .map_err(|_| OutboxError::Corrupt("a received event's id is not a UUID".into()))?;
        let create_time = create_time
            .as_ref()
            .ok_or_else(|| OutboxError::Corrupt(format!("event {id} has no create_time")))
            .and_then(|time| {
                wire::from_timestamp(time).map_err(|reason| {
                    OutboxError::Corrupt(format!("event {id} create_time {reason}"))
                })
            })?;
        let payload = if payload.is_empty() {
            Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_str(&payload)
                .map_err(|_| OutboxError::Corrupt(format!("event {id} payload is not JSON")))?
        };
        Ok(Event {
            id,
            position,
            event_type: r#type,
            subject,
            attributes: attributes.into_iter().collect(),
            payload,
            schema_version,
            create_time,
            traceparent: (!traceparent.is_empty()).then_some(traceparent),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> NewEvent {
        NewEvent::new(
            "complaint.created",
            "complaints/0191e5a0-7c9e-7a55-8d2f-35c6a1b0f2e4",
        )
        .attribute("team", "billing")
        .payload(serde_json::json!({"severity": 2}))
    }

    #[test]
    fn a_well_formed_event_passes_the_rules() {
        assert!(valid().validate().is_ok());
        assert!(
            NewEvent::new("crisis.task.assigned", "crises/1")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn malformed_events_are_refused() {
        let cases = [
            NewEvent::new("created", "complaints/1"),
            NewEvent::new("Complaint.Created", "complaints/1"),
            NewEvent::new("complaint..created", "complaints/1"),
            NewEvent::new("complaint.created", ""),
            NewEvent::new("complaint.created", "complaints/1\n"),
            valid().attribute("Team", "x"),
            valid().attribute("note", "x".repeat(MAX_ATTRIBUTE_VALUE_LEN + 1)),
            valid().payload(serde_json::json!(["not", "an", "object"])),
            valid().payload(serde_json::json!({"text": "x".repeat(MAX_PAYLOAD_LEN)})),
            valid().schema_version(0),
        ];
        for case in cases {
            assert!(
                matches!(case.validate(), Err(OutboxError::InvalidEvent { .. })),
                "{case:?}"
            );
        }
        let mut many = valid();
        for i in 0..=MAX_ATTRIBUTES {
            many = many.attribute(format!("k{i}"), "v");
        }
        assert!(many.validate().is_err());
    }

    #[test]
    fn an_event_survives_the_wire_exactly() {
        let event = Event {
            id: Uuid::now_v7(),
            position: 42,
            event_type: "complaint.created".into(),
            subject: "complaints/1".into(),
            attributes: BTreeMap::from([("team".into(), "billing".into())]),
            payload: serde_json::json!({"amount_minor": 9_007_199_254_740_993_i64}),
            schema_version: 2,
            create_time: Timestamp::from_microsecond(1_790_000_000_123_456).expect("in range"),
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        };
        let back = Event::try_from(pb::Event::from(event.clone())).expect("round trip");
        assert_eq!(back, event);

        let untraced = Event {
            traceparent: None,
            ..event
        };
        let wire = pb::Event::from(untraced.clone());
        assert!(wire.traceparent.is_empty());
        assert_eq!(Event::try_from(wire).expect("round trip"), untraced);
    }

    #[test]
    fn a_received_event_with_a_bad_id_or_time_is_refused() {
        let good = pb::Event::from(Event {
            id: Uuid::now_v7(),
            position: 1,
            event_type: "complaint.created".into(),
            subject: "complaints/1".into(),
            attributes: BTreeMap::new(),
            payload: serde_json::json!({}),
            schema_version: 1,
            create_time: Timestamp::now(),
            traceparent: None,
        });
        let bad_id = pb::Event {
            id: "nope".into(),
            ..good.clone()
        };
        let no_time = pb::Event {
            create_time: None,
            ..good.clone()
        };
        let bad_payload = pb::Event {
            payload: "{".into(),
            ..good
        };
        for case in [bad_id, no_time, bad_payload] {
            assert!(matches!(
                Event::try_from(case),
                Err(OutboxError::Corrupt(_))
            ));
        }
    }
}
