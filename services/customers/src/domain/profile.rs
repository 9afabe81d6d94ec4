//! Who the customer is: the profile's value types, each with a `parse`
//! constructor that is the only way to make one, so a stored profile is
//! always valid.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::contact::ContactPoint;

/// Why a profile value was refused. Messages never echo the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A required value is missing.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("longer than {0} characters")]
    TooLong(usize),
    /// Control characters are not allowed.
    #[error("must not contain control characters")]
    ControlCharacters,
    /// Not a BCP 47 language tag.
    #[error("not a BCP 47 language tag such as \"en-GB\" or \"zh-Hant-TW\"")]
    InvalidLocale,
    /// Not an IANA time zone.
    #[error("not an IANA time zone such as \"Europe/Amsterdam\"")]
    UnknownTimeZone,
    /// Tags and purposes are lower-case identifiers.
    #[error("must be lower case letters, digits, '-' or '_', starting with a letter")]
    NotAnIdentifier,
    /// A list holds the same value twice.
    #[error("holds the same value more than once")]
    Duplicate,
    /// A list is too long.
    #[error("holds more than {0} entries")]
    TooMany(usize),
}

/// Free text that must be present, bounded and free of control characters.
fn text(input: &str, max: usize, required: bool) -> Result<String, ProfileError> {
    let trimmed = input.trim();
    if required && trimmed.is_empty() {
        return Err(ProfileError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(ProfileError::TooLong(max));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(ProfileError::ControlCharacters);
    }
    Ok(trimmed.to_string())
}

/// Optional free text: bounded, no control characters, trimmed.
pub fn optional_text(input: &str, max: usize) -> Result<String, ProfileError> {
    text(input, max, false)
}

/// Required free text: present, bounded, no control characters, trimmed.
pub fn required_text(input: &str, max: usize) -> Result<String, ProfileError> {
    text(input, max, true)
}

/// The name staff see: present, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a display name.
    pub fn parse(input: &str) -> Result<Self, ProfileError> {
        required_text(input, 200).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A BCP 47 language tag, in canonical case (`zh-Hant-TW`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    /// Parses a well-formed BCP 47 tag.
    pub fn parse(input: &str) -> Result<Self, ProfileError> {
        let trimmed = input.trim();
        if trimmed.len() > 35 {
            return Err(ProfileError::InvalidLocale);
        }
        let tag =
            language_tags::LanguageTag::parse(trimmed).map_err(|_| ProfileError::InvalidLocale)?;
        tag.validate().map_err(|_| ProfileError::InvalidLocale)?;
        if tag.primary_language() == "x" || tag.primary_language() == "i" {
            return Err(ProfileError::InvalidLocale);
        }
        Ok(Self(canonical_case(tag.as_str())))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// BCP 47 case conventions: language lower, script title, region upper.
fn canonical_case(tag: &str) -> String {
    tag.split('-')
        .enumerate()
        .map(|(i, part)| match (i, part.len()) {
            (0, _) => part.to_ascii_lowercase(),
            (_, 4) if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                let mut chars = part.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase());
                first
                    .into_iter()
                    .chain(chars.map(|c| c.to_ascii_lowercase()))
                    .collect()
            }
            (_, 2) if part.chars().all(|c| c.is_ascii_alphabetic()) => part.to_ascii_uppercase(),
            _ => part.to_ascii_lowercase(),
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// An IANA time zone known to the time zone database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Parses a zone name such as `Europe/Amsterdam`.
    pub fn parse(input: &str) -> Result<Self, ProfileError> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.len() > 64 {
            return Err(ProfileError::UnknownTimeZone);
        }
        let zone = jiff::tz::db()
            .get(trimmed)
            .map_err(|_| ProfileError::UnknownTimeZone)?;
        Ok(Self(zone.iana_name().unwrap_or(trimmed).to_string()))
    }

    /// The zone name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lower-case identifier: tags and consent purposes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identifier(String);

impl Identifier {
    /// Parses an identifier of at most 64 characters: `[a-z][a-z0-9_-]*`.
    /// Upper case is folded to lower case.
    pub fn parse(input: &str) -> Result<Self, ProfileError> {
        let folded = input.trim().to_ascii_lowercase();
        if folded.is_empty() {
            return Err(ProfileError::Empty);
        }
        if folded.len() > 64 {
            return Err(ProfileError::TooLong(64));
        }
        let mut chars = folded.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        if !starts_with_letter
            || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(ProfileError::NotAnIdentifier);
        }
        Ok(Self(folded))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Person or organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerKind {
    /// A natural person.
    Person,
    /// An organisation.
    Organisation,
}

/// A customer's size, used for churn periods and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Size {
    /// Large.
    Large,
    /// Medium.
    Medium,
    /// Small.
    Small,
}

/// Whether the customer is trading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatingStatus {
    /// Trading normally.
    Active,
    /// Temporarily not trading.
    Suspended,
    /// No longer trading.
    Closed,
}

/// How a customer likes to be addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunicationStyle {
    /// Formal.
    Formal,
    /// Familiar.
    Familiar,
}

/// A channel through which company and customer reach each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Voice.
    Phone,
    /// E-mail.
    Email,
    /// Text message.
    Sms,
    /// Live chat.
    Chat,
    /// Web form.
    WebForm,
    /// Social media.
    SocialMedia,
    /// Face to face.
    InPerson,
    /// Paper mail.
    Letter,
    /// Mobile app.
    MobileApp,
    /// In-app inbox.
    InApp,
}

/// A consent or opt-out for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The purpose.
    pub purpose: Identifier,
    /// Granted (true) or opted out (false).
    pub granted: bool,
    /// When the customer last said so.
    pub update_time: Timestamp,
}

/// A customer profile's changeable fields, all valid. Invariants: no channel
/// twice in `preferred_channels`, no purpose twice in `consents`, tags are a
/// set, at most 50 contact points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The name staff see.
    pub display_name: DisplayName,
    /// Person or organisation.
    pub kind: CustomerKind,
    /// How to reach the customer.
    pub contact_points: Vec<ContactPoint>,
    /// Language and region.
    pub locale: Option<Locale>,
    /// Time zone.
    pub time_zone: Option<TimeZoneName>,
    /// Channels, most preferred first.
    pub preferred_channels: Vec<Channel>,
    /// Formal or familiar.
    pub communication_style: Option<CommunicationStyle>,
    /// Consent per purpose, at most [`MAX_CONSENTS`].
    pub consents: Vec<Consent>,
    /// Industry, free text, at most 200 characters.
    pub industry: String,
    /// Line of business, free text, at most 500 characters.
    pub business_scope: String,
    /// Trading status.
    pub operating_status: Option<OperatingStatus>,
    /// Size.
    pub size: Option<Size>,
    /// Tags, at most 50.
    pub tags: BTreeSet<Identifier>,
    /// Staff subject of the key-account adviser, at most 200 characters.
    pub key_account_adviser: String,
    /// Id in the company's CRM or ERP, at most 200 characters; unique.
    pub external_reference: String,
}

/// Most contact points a customer may have.
pub const MAX_CONTACT_POINTS: usize = 50;
/// Most tags a customer may have.
pub const MAX_TAGS: usize = 50;
/// Most consents a customer may have. Purposes are the company's own
/// identifiers (no fixed list in this domain) and none may repeat, so this
/// is a documented number: far more purposes than a consent form asks
/// about, the same as for tags.
pub const MAX_CONSENTS: usize = 50;

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_checked_and_put_in_canonical_case() {
        assert_eq!(
            Locale::parse("zh-hant-tw").map(|l| l.0),
            Ok("zh-Hant-TW".into())
        );
        assert_eq!(Locale::parse("en-GB").map(|l| l.0), Ok("en-GB".into()));
        assert_eq!(Locale::parse("NL").map(|l| l.0), Ok("nl".into()));
        assert_eq!(
            Locale::parse("not a locale"),
            Err(ProfileError::InvalidLocale)
        );
        assert_eq!(Locale::parse(""), Err(ProfileError::InvalidLocale));
    }

    #[test]
    fn only_known_time_zones_are_accepted() {
        assert_eq!(
            TimeZoneName::parse("Europe/Amsterdam").map(|z| z.0),
            Ok("Europe/Amsterdam".into())
        );
        assert_eq!(
            TimeZoneName::parse("Mars/Olympus"),
            Err(ProfileError::UnknownTimeZone)
        );
    }

    #[test]
    fn identifiers_are_lower_case_words() {
        assert_eq!(
            Identifier::parse("Key-Account").map(|i| i.0),
            Ok("key-account".into())
        );
        assert_eq!(
            Identifier::parse("1abc"),
            Err(ProfileError::NotAnIdentifier)
        );
        assert_eq!(Identifier::parse("a b"), Err(ProfileError::NotAnIdentifier));
    }

    #[test]
    fn a_display_name_is_required_and_bounded() {
        assert_eq!(DisplayName::parse("  "), Err(ProfileError::Empty));
        assert_eq!(
            DisplayName::parse(&"x".repeat(201)),
            Err(ProfileError::TooLong(200))
        );
        assert_eq!(
            DisplayName::parse("a\u{0}b"),
            Err(ProfileError::ControlCharacters)
        );
        assert_eq!(DisplayName::parse(" Ada ").map(|n| n.0), Ok("Ada".into()));
    }
}
