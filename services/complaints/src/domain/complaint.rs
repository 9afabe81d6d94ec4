//! A complaint as the service keeps it, and the small closed vocabularies
//! it is described in (channel, motive, how far the customer escalated).
//!
//! The record is loaded, changed in memory by the operation (the lifecycle,
//! ownership and field rules live in their own modules), and written back
//! whole; the history entry of the change is the field-by-field difference
//! of the record before and after ([`Complaint::audit_fields`]), so no
//! change can forget to be recorded.

use jiff::Timestamp;
use uuid::Uuid;

use super::lifecycle::Kind;
use super::priority::{Grade, Priority, Severity};
use super::state::State;

/// Declares a closed vocabulary stored as lower-case codes.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's code in storage and events.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The value with `code`, if any.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.code() == code)
            }
        }
    };
}

vocabulary! {
    /// How a complaint came in.
    Channel {
        /// A phone call.
        Phone => "phone",
        /// An e-mail.
        Email => "email",
        /// A chat conversation.
        Chat => "chat",
        /// A web form.
        WebForm => "web_form",
        /// Social media.
        SocialMedia => "social_media",
        /// In person.
        InPerson => "in_person",
        /// A letter.
        Letter => "letter",
        /// The mobile app.
        MobileApp => "mobile_app",
    }
}

vocabulary! {
    /// What the customer is after (DOMAIN.md, Classification).
    Motive {
        /// Compensation for a loss.
        Compensation => "compensation",
        /// Restoring self-respect.
        SelfRespect => "self_respect",
    }
}

vocabulary! {
    /// How far the customer has taken it.
    EscalationReached {
        /// Told the employee.
        Employee => "employee",
        /// Asked for a manager.
        Manager => "manager",
        /// A consumer association or regulator.
        Regulator => "regulator",
        /// The media.
        Media => "media",
        /// Told friends.
        ToldFriends => "told_friends",
        /// Decided never to return.
        NeverReturn => "never_return",
    }
}

/// The fields a caller describes a complaint with, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// Complaint, inquiry or feedback.
    pub kind: Kind,
    /// One line; 1 to [`MAX_SUMMARY`] characters.
    pub summary: String,
    /// The customer's account; at most [`MAX_LONG_TEXT`] characters.
    pub description: String,
    /// The product or service reference.
    pub product: String,
    /// The region code.
    pub region: String,
    /// A path in the category tree.
    pub category: String,
    /// The remedy asked for.
    pub requested_remedy: String,
    /// What the customer is after, if known.
    pub motive: Option<Motive>,
    /// How bad it is.
    pub severity: Severity,
    /// Whether safety is at stake.
    pub safety: bool,
    /// A BCP 47 tag, or empty.
    pub language: String,
    /// How far the customer escalated, if known.
    pub escalation_reached: Option<EscalationReached>,
}

/// Longest summary, in characters.
pub const MAX_SUMMARY: usize = 200;
/// Longest description, note, message or answer, in characters.
pub const MAX_LONG_TEXT: usize = 10_000;
/// Longest reason or question, in characters.
pub const MAX_REASON: usize = 4_000;
/// Longest short code (product, region), in characters.
pub const MAX_CODE: usize = 100;
/// Longest language tag, in characters: the 35 that RFC 5646 (BCP 47,
/// section 4.4.1) asks every implementation to hold, which every
/// registered language, extlang, script, region and variant combination
/// fits; only a long private-use tail (`x-...`) goes beyond it.
pub const MAX_LANGUAGE: usize = 35;

/// A complaint as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Complaint {
    /// UUIDv7.
    pub id: Uuid,
    /// `C-2026-000123`; unique.
    pub reference: String,
    /// The customer's id.
    pub customer_id: Uuid,
    /// How it came in; never changes.
    pub channel: Channel,
    /// What the caller said it is.
    pub description: Description,
    /// From severity, safety and grade.
    pub priority: Priority,
    /// The customer's grade at intake.
    pub customer_grade: Grade,
    /// Where it stands.
    pub state: State,
    /// The state before the merge; `Some` exactly while merged.
    pub merged_from: Option<State>,
    /// The complaint it was merged into; `Some` exactly while merged.
    pub merged_into: Option<Uuid>,
    /// The accountable owner; never empty.
    pub owner: String,
    /// The owner's team id, or empty.
    pub owner_team: String,
    /// Earlier owners, without repeats, never the owner.
    pub watchers: Vec<String>,
    /// How many times ownership moved.
    pub transfer_count: i32,
    /// How many times it was reopened.
    pub reopen_count: i32,
    /// The resolution proposed last, or empty.
    pub resolution: String,
    /// When it was received.
    pub create_time: Timestamp,
    /// When it was acknowledged.
    pub acknowledge_time: Option<Timestamp>,
    /// When the customer first had a substantive answer.
    pub first_response_time: Option<Timestamp>,
    /// When it was last resolved.
    pub resolve_time: Option<Timestamp>,
    /// When it was last closed.
    pub close_time: Option<Timestamp>,
    /// When it last changed.
    pub update_time: Timestamp,
    /// Bumped by every change.
    pub version: i64,
}

impl Complaint {
    /// The etag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// Moves ownership to `owner` of `team`: the previous owner becomes a
    /// watcher, the new one stops being one, and the transfer is counted.
    pub fn transfer_to(&mut self, owner: &str, team: &str) {
        let previous = std::mem::replace(&mut self.owner, owner.to_owned());
        if previous != owner && !self.watchers.contains(&previous) {
            self.watchers.push(previous);
        }
        self.watchers.retain(|watcher| watcher != owner);
        self.owner_team = team.to_owned();
        self.transfer_count += 1;
    }

    /// Every field a person may care to see change, as text, in a fixed
    /// order: the history records the ones that differ between two versions.
    pub fn audit_fields(&self) -> Vec<(&'static str, String)> {
        let d = &self.description;
        let time = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
        vec![
            ("kind", d.kind.code().to_owned()),
            ("summary", d.summary.clone()),
            ("description", d.description.clone()),
            ("product", d.product.clone()),
            ("region", d.region.clone()),
            ("category", d.category.clone()),
            ("requested_remedy", d.requested_remedy.clone()),
            (
                "motive",
                d.motive.map(Motive::code).unwrap_or_default().to_owned(),
            ),
            ("severity", d.severity.code().to_owned()),
            ("safety", d.safety.to_string()),
            ("language", d.language.clone()),
            (
                "escalation_reached",
                d.escalation_reached
                    .map(EscalationReached::code)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            ("priority", self.priority.code().to_owned()),
            ("state", self.state.code().to_owned()),
            (
                "merged_into",
                self.merged_into
                    .map(super::names::complaint)
                    .unwrap_or_default(),
            ),
            ("owner", self.owner.clone()),
            ("owner_team", self.owner_team.clone()),
            ("watchers", self.watchers.join(",")),
            ("transfer_count", self.transfer_count.to_string()),
            ("reopen_count", self.reopen_count.to_string()),
            ("resolution", self.resolution.clone()),
            ("acknowledge_time", time(self.acknowledge_time)),
            ("first_response_time", time(self.first_response_time)),
            ("resolve_time", time(self.resolve_time)),
            ("close_time", time(self.close_time)),
        ]
    }

    /// The history of the complaint's creation: every field that has a
    /// value, from nothing.
    pub fn created_changes(&self) -> Vec<FieldChange> {
        self.audit_fields()
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(field, after)| FieldChange {
                field: field.to_owned(),
                before: String::new(),
                after,
            })
            .collect()
    }

    /// The fields that differ from `before`, as (field, before, after).
    pub fn changes_since(&self, before: &Complaint) -> Vec<FieldChange> {
        before
            .audit_fields()
            .into_iter()
            .zip(self.audit_fields())
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, before), (_, after))| FieldChange {
                field: field.to_owned(),
                before,
                after,
            })
            .collect()
    }
}

/// One field's value before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    /// The field, as the API names it.
    pub field: String,
    /// The value before, as text.
    pub before: String,
    /// The value after, as text.
    pub after: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complaint() -> Complaint {
        let now = Timestamp::from_second(1_790_000_000).expect("in range");
        Complaint {
            id: Uuid::now_v7(),
            reference: "C-2026-000001".into(),
            customer_id: Uuid::now_v7(),
            channel: Channel::Phone,
            description: Description {
                kind: Kind::Complaint,
                summary: "late parcel".into(),
                description: String::new(),
                product: "parcel".into(),
                region: "NL".into(),
                category: "too_slow".into(),
                requested_remedy: String::new(),
                motive: None,
                severity: Severity::Medium,
                safety: false,
                language: "nl".into(),
                escalation_reached: None,
            },
            priority: Priority::P3,
            customer_grade: Grade::B,
            state: State::Received,
            merged_from: None,
            merged_into: None,
            owner: "agent-1".into(),
            owner_team: "front".into(),
            watchers: vec![],
            transfer_count: 0,
            reopen_count: 0,
            resolution: String::new(),
            create_time: now,
            acknowledge_time: None,
            first_response_time: None,
            resolve_time: None,
            close_time: None,
            update_time: now,
            version: 1,
        }
    }

    #[test]
    fn a_transfer_makes_the_previous_owner_a_watcher_and_counts() {
        let mut c = complaint();
        c.transfer_to("agent-2", "billing");
        c.transfer_to("agent-1", "front");
        assert_eq!(c.owner, "agent-1");
        assert_eq!(c.watchers, vec!["agent-2".to_owned()]);
        assert_eq!(c.transfer_count, 2);
    }

    #[test]
    fn the_changes_are_exactly_the_fields_that_differ() {
        let before = complaint();
        let mut after = before.clone();
        after.state = State::Acknowledged;
        after.description.severity = Severity::High;
        let changes = after.changes_since(&before);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["severity", "state"]);
        assert_eq!(changes[1].before, "received");
        assert_eq!(changes[1].after, "acknowledged");
        assert!(before.changes_since(&before).is_empty());
    }

    #[test]
    fn vocabulary_codes_read_back() {
        for channel in Channel::ALL {
            assert_eq!(Channel::from_code(channel.code()), Some(*channel));
        }
        assert_eq!(Motive::from_code("self_respect"), Some(Motive::SelfRespect));
        assert_eq!(EscalationReached::from_code("press"), None);
    }
}
