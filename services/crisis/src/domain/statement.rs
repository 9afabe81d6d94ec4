//! Statements: one message to one audience, in one or more languages,
//! written as a draft, approved by the crisis's spokesperson (the single
//! external voice) and then released. What a statement is (its audience,
//! its variants and their limits), where it may go next, and how a release
//! reaches its audience: customers through a broadcast, the team through
//! staff messages, and a drill's customer statements to the team only.

use std::collections::{BTreeMap, BTreeSet};

use language_tags::LanguageTag;
use uuid::Uuid;

/// The most variants (locales) a statement may have.
pub const MAX_VARIANTS: usize = 50;
/// The longest headline, in characters.
pub const MAX_HEADLINE: usize = 200;
/// The longest body, in characters.
pub const MAX_BODY: usize = 10_000;
/// The longest regulator report content, in characters.
pub const MAX_REPORT: usize = 10_000;

/// Who a statement speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The customers linked to the crisis, heavily affected first.
    AffectedCustomers,
    /// Every customer.
    AllCustomers,
    /// Employees (the crisis team through notifications).
    Employees,
    /// Regulators (reports are recorded separately).
    Regulators,
    /// The media.
    Media,
    /// Partners.
    Partners,
}

impl Audience {
    /// Every audience with its stored code.
    pub const CODES: [(Audience, &'static str); 6] = [
        (Audience::AffectedCustomers, "affected_customers"),
        (Audience::AllCustomers, "all_customers"),
        (Audience::Employees, "employees"),
        (Audience::Regulators, "regulators"),
        (Audience::Media, "media"),
        (Audience::Partners, "partners"),
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        Self::CODES
            .iter()
            .find(|(a, _)| *a == self)
            .map(|(_, c)| *c)
            .unwrap_or("media")
    }

    /// The audience of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::CODES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(a, _)| *a)
    }

    /// Whether it speaks to customers: its release sets the crisis's first
    /// and last statement times.
    pub fn is_customers(self) -> bool {
        matches!(self, Audience::AffectedCustomers | Audience::AllCustomers)
    }
}

/// Where a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementState {
    /// Being written; may change.
    Draft,
    /// Approved by the spokesperson; no longer changes.
    Approved,
    /// Released.
    Released,
}

impl StatementState {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            StatementState::Draft => "draft",
            StatementState::Approved => "approved",
            StatementState::Released => "released",
        }
    }

    /// The state of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "draft" => Some(StatementState::Draft),
            "approved" => Some(StatementState::Approved),
            "released" => Some(StatementState::Released),
            _ => None,
        }
    }

    /// What may be done with a statement in this state, in the API's words.
    pub fn allowed(self) -> Vec<String> {
        match self {
            StatementState::Draft => vec!["UpdateStatement".into(), "ApproveStatement".into()],
            StatementState::Approved => vec!["ReleaseStatement".into()],
            StatementState::Released => vec!["CreateStatement".into()],
        }
    }
}

/// One language of a statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Variant {
    /// The BCP 47 tag as given (checked).
    pub locale: String,
    /// The headline, 1 to 200 characters.
    pub headline: String,
    /// The text, 1 to 10,000 characters.
    pub body: String,
}

/// A statement's variants: 1 to 50, one per locale, each with a valid tag,
/// a headline and a body within their limits. The first is the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variants(Vec<Variant>);

/// One bad part of a statement: the field path below `variants` and what is
/// wrong (never the text itself).
pub type Problem = (String, String);

impl Variants {
    /// Checks `given`; every problem is returned with its field path
    /// (`variants[2].locale`) relative to the statement.
    pub fn parse(given: Vec<Variant>) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        if given.is_empty() {
            problems.push(("variants".into(), "needs at least one variant".into()));
        }
        if given.len() > MAX_VARIANTS {
            problems.push((
                "variants".into(),
                format!("holds more than {MAX_VARIANTS} variants"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, variant) in given.iter().enumerate() {
            let field = |name: &str| format!("variants[{i}].{name}");
            match check_locale(&variant.locale) {
                Err(why) => problems.push((field("locale"), why.into())),
                Ok(()) => {
                    if !seen.insert(variant.locale.to_ascii_lowercase()) {
                        problems.push((field("locale"), "repeats another variant's locale".into()));
                    }
                }
            }
            if let Err(why) = check_text(&variant.headline, MAX_HEADLINE) {
                problems.push((field("headline"), why));
            }
            if let Err(why) = check_text(&variant.body, MAX_BODY) {
                problems.push((field("body"), why));
            }
        }
        if problems.is_empty() {
            Ok(Variants(given))
        } else {
            Err(problems)
        }
    }

    /// The variants as stored (they were checked when written).
    pub fn trusted(stored: Vec<Variant>) -> Self {
        Variants(stored)
    }

    /// The variants, the default first.
    pub fn as_slice(&self) -> &[Variant] {
        &self.0
    }

    /// The template variables of a release: `headline` and `body` from the
    /// default variant, and `headline@<locale>` and `body@<locale>` for every
    /// other one (the notifications service picks one per recipient).
    pub fn variables(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (i, v) in self.0.iter().enumerate() {
            if i == 0 {
                out.insert("headline".to_owned(), v.headline.clone());
                out.insert("body".to_owned(), v.body.clone());
            } else {
                out.insert(format!("headline@{}", v.locale), v.headline.clone());
                out.insert(format!("body@{}", v.locale), v.body.clone());
            }
        }
        out
    }
}

/// Whether `tag` is a valid BCP 47 language tag.
pub fn check_locale(tag: &str) -> Result<(), &'static str> {
    if tag.is_empty() {
        return Err("is required");
    }
    if tag.len() > 35 {
        return Err("is longer than 35 characters");
    }
    let parsed = LanguageTag::parse(tag).map_err(|_| "is not a BCP 47 language tag")?;
    parsed
        .validate()
        .map_err(|_| "is not a valid BCP 47 language tag")
}

/// Whether `text` holds 1 to `max` characters, not all blank.
pub fn check_text(text: &str, max: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("is required".into());
    }
    if text.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    Ok(())
}

/// How a release reaches its audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A broadcast to the crisis's affected customers, heavily affected
    /// first.
    AffectedCustomers,
    /// A broadcast to every customer.
    AllCustomers,
    /// A staff message to each team member.
    Team,
    /// Nothing is sent by Redress; the release is recorded.
    Recorded,
}

/// How a statement to `audience` is released; a drill's customer
/// statements go to the team only, so no customer hears of an exercise.
pub fn delivery(audience: Audience, drill: bool) -> Delivery {
    match audience {
        Audience::AffectedCustomers | Audience::AllCustomers if drill => Delivery::Team,
        Audience::AffectedCustomers => Delivery::AffectedCustomers,
        Audience::AllCustomers => Delivery::AllCustomers,
        Audience::Employees => Delivery::Team,
        Audience::Regulators | Audience::Media | Audience::Partners => Delivery::Recorded,
    }
}

/// The request id of the staff message of statement `statement` to
/// `subject`: the same for every retry of the release, different per
/// member. Made of the SHA-256 of both, shaped as a UUID (version 8).
pub fn member_request_id(statement: Uuid, subject: &str) -> Uuid {
    let mut input = statement.as_bytes().to_vec();
    input.extend_from_slice(subject.as_bytes());
    let digest = redress_platform::idempotency::fingerprint(&input);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(locale: &str, headline: &str, body: &str) -> Variant {
        Variant {
            locale: locale.into(),
            headline: headline.into(),
            body: body.into(),
        }
    }

    #[test]
    fn variants_need_one_to_fifty_distinct_valid_locales_and_bounded_text() {
        assert!(Variants::parse(vec![variant("en", "Outage", "We are on it.")]).is_ok());
        assert!(Variants::parse(vec![]).is_err());

        let problems = Variants::parse(vec![
            variant("en", "Outage", "Text"),
            variant("EN", "Again", "Text"),
            variant("not a tag", "", "Text"),
            variant("de", &"x".repeat(201), ""),
        ])
        .expect_err("refused");

        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "variants[1].locale",
                "variants[2].locale",
                "variants[2].headline",
                "variants[3].headline",
                "variants[3].body"
            ]
        );
    }

    #[test]
    fn the_default_variant_is_plain_and_the_others_are_localised() {
        let variants = Variants::parse(vec![
            variant("en", "Outage", "We are on it."),
            variant("de-CH", "Störig", "Mir sind dra."),
        ])
        .expect("valid");

        let vars: Vec<(String, String)> = variants.variables().into_iter().collect();

        let expected: Vec<(String, String)> = [
            ("body", "We are on it."),
            ("body@de-CH", "Mir sind dra."),
            ("headline", "Outage"),
            ("headline@de-CH", "Störig"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(vars, expected);
    }

    #[test]
    fn a_drill_tells_only_the_team_and_press_statements_are_only_recorded() {
        assert_eq!(
            delivery(Audience::AffectedCustomers, false),
            Delivery::AffectedCustomers
        );
        assert_eq!(delivery(Audience::AffectedCustomers, true), Delivery::Team);
        assert_eq!(delivery(Audience::AllCustomers, true), Delivery::Team);
        assert_eq!(delivery(Audience::Employees, false), Delivery::Team);
        assert_eq!(delivery(Audience::Media, false), Delivery::Recorded);
    }

    #[test]
    fn a_member_request_id_is_stable_per_member_and_differs_between_members() {
        let statement = Uuid::now_v7();

        let first = member_request_id(statement, "ana");

        assert_eq!(first, member_request_id(statement, "ana"));
        assert_ne!(first, member_request_id(statement, "ben"));
        assert_eq!(first.get_version_num(), 8);
    }
}
