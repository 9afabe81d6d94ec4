//! Contact points: phone numbers, e-mail addresses and postal addresses,
//! parsed into forms that compare equal however an agent typed them.
//!
//! Phone numbers are kept in E.164 (`+31201234567`), parsed with the
//! `phonenumber` crate (libphonenumber's metadata), reading numbers without a
//! country code in the configured default region. E-mail addresses are kept
//! as given and matched by a normalised form (trimmed, lower case).

use std::fmt;

use phonenumber::{Mode, country};

/// Why a contact point was refused. Messages never echo the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// Not a phone number that can be dialled.
    #[error("not a valid phone number (use E.164 such as +31201234567, or a national number)")]
    InvalidPhone,
    /// Not an e-mail address.
    #[error("not a valid e-mail address")]
    InvalidEmail,
    /// A postal address without its essentials.
    #[error("a postal address needs at least one line and a two-letter country code")]
    InvalidPostal,
    /// Neither a phone number nor an e-mail address.
    #[error("neither a phone number nor an e-mail address")]
    Unrecognised,
    /// Too long to be real.
    #[error("longer than {0} characters")]
    TooLong(usize),
}

/// A region (ISO 3166-1 alpha-2) used to read phone numbers typed without a
/// country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct DefaultRegion(country::Id);

impl TryFrom<String> for DefaultRegion {
    type Error = String;

    fn try_from(code: String) -> Result<Self, String> {
        Self::parse(&code)
    }
}

impl DefaultRegion {
    /// The United States, the default.
    pub const US: DefaultRegion = DefaultRegion(country::Id::US);

    /// Parses a two-letter region code such as "NL".
    pub fn parse(code: &str) -> Result<Self, String> {
        code.to_ascii_uppercase()
            .parse::<country::Id>()
            .map(Self)
            .map_err(|_| format!("{code:?} is not an ISO 3166-1 region code"))
    }
}

/// A phone number in E.164, such as `+31201234567`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a number as typed: spaces, dots, dashes and brackets are
    /// ignored, `00` and `+` introduce a country code, other numbers are read
    /// in `region`.
    pub fn parse(input: &str, region: DefaultRegion) -> Result<Self, ContactError> {
        if input.chars().count() > 64 {
            return Err(ContactError::TooLong(64));
        }
        let trimmed = input.trim();
        let digits_and_plus: String = trimmed
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        if digits_and_plus.is_empty()
            || trimmed
                .chars()
                .any(|c| !(c.is_ascii_digit() || " +-.()/".contains(c)))
        {
            return Err(ContactError::InvalidPhone);
        }
        let normalised = match digits_and_plus.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => digits_and_plus,
        };
        // A number with its country code is read by that country's rules:
        // given a default region, the `phonenumber` crate strips the
        // region's national prefix from any number, so with the US default
        // (prefix 1) `+49 151 ...` would lose the 1 of its mobile prefix.
        let read_in = if normalised.starts_with('+') {
            None
        } else {
            Some(region.0)
        };
        let number =
            phonenumber::parse(read_in, &normalised).map_err(|_| ContactError::InvalidPhone)?;
        if !phonenumber::is_valid(&number) {
            return Err(ContactError::InvalidPhone);
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    /// A number read back from the store, where only parsed numbers are
    /// written.
    pub(crate) fn from_stored(e164: String) -> Self {
        Self(e164)
    }

    /// The number in E.164.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, kept as given (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address; the domain must contain a dot.
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let trimmed = input.trim();
        if trimmed.chars().count() > 254 {
            return Err(ContactError::TooLong(254));
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| ContactError::InvalidEmail)?;
        if !parsed.domain().contains('.') {
            return Err(ContactError::InvalidEmail);
        }
        Ok(Self(trimmed.to_string()))
    }

    /// An address read back from the store, where only parsed addresses
    /// are written.
    pub(crate) fn from_stored(address: String) -> Self {
        Self(address)
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for matching: lower case.
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PostalAddress {
    /// Street, number and further lines; at least one.
    pub lines: Vec<String>,
    /// Town or city.
    pub locality: String,
    /// State, province or region.
    pub administrative_area: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country, upper case.
    pub region_code: String,
}

impl PostalAddress {
    /// Checks the essentials and upper-cases the country code.
    pub fn parse(mut address: PostalAddress) -> Result<Self, ContactError> {
        address.lines.retain(|line| !line.trim().is_empty());
        address.region_code = address.region_code.trim().to_ascii_uppercase();
        let total: usize = address
            .lines
            .iter()
            .map(|l| l.chars().count())
            .sum::<usize>()
            + address.locality.chars().count()
            + address.administrative_area.chars().count()
            + address.postal_code.chars().count();
        if total > 1000 {
            return Err(ContactError::TooLong(1000));
        }
        let texts = address.lines.iter().chain([
            &address.locality,
            &address.administrative_area,
            &address.postal_code,
        ]);
        // Stored as JSON, which PostgreSQL refuses to hold a NUL in.
        if texts.flat_map(|t| t.chars()).any(char::is_control) {
            return Err(ContactError::InvalidPostal);
        }
        if address.lines.is_empty()
            || address.region_code.len() != 2
            || !address.region_code.chars().all(|c| c.is_ascii_uppercase())
        {
            return Err(ContactError::InvalidPostal);
        }
        Ok(address)
    }
}

/// Where a contact point reaches the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactAddress {
    /// A phone number.
    Phone(Phone),
    /// An e-mail address.
    Email(Email),
    /// A postal address.
    Postal(PostalAddress),
}

impl ContactAddress {
    /// The kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            ContactAddress::Phone(_) => "phone",
            ContactAddress::Email(_) => "email",
            ContactAddress::Postal(_) => "postal",
        }
    }

    /// The value matched by search: E.164 for phones, lower case for e-mail,
    /// none for postal addresses.
    pub fn normalised(&self) -> Option<String> {
        match self {
            ContactAddress::Phone(phone) => Some(phone.as_str().to_string()),
            ContactAddress::Email(email) => Some(email.normalised()),
            ContactAddress::Postal(_) => None,
        }
    }
}

/// A contact point: an address, whether it is verified, and a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPoint {
    /// The address.
    pub address: ContactAddress,
    /// Confirmed by the customer.
    pub verified: bool,
    /// What it is for ("home", "work"); free text, at most 50 characters.
    pub label: String,
}

/// A search query as an agent types it, normalised to what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactQuery {
    /// A phone number in E.164.
    Phone(Phone),
    /// An e-mail address, lower case.
    Email(String),
}

impl ContactQuery {
    /// Reads a query: with an `@` it is an e-mail address, otherwise a phone
    /// number.
    pub fn parse(input: &str, region: DefaultRegion) -> Result<Self, ContactError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ContactError::Unrecognised);
        }
        if trimmed.contains('@') {
            return Email::parse(trimmed).map(|e| ContactQuery::Email(e.normalised()));
        }
        Phone::parse(trimmed, region).map(ContactQuery::Phone)
    }

    /// The normalised value to match.
    pub fn normalised(&self) -> &str {
        match self {
            ContactQuery::Phone(phone) => phone.as_str(),
            ContactQuery::Email(email) => email,
        }
    }
}

impl fmt::Display for ContactQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.normalised())
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nl() -> DefaultRegion {
        DefaultRegion::parse("NL").expect("NL")
    }

    #[test]
    fn a_phone_number_is_the_same_however_it_is_typed() {
        let forms = [
            "+31 20 123 4567",
            "0031201234567",
            "020-123 45 67",
            "(020) 1234567",
            "+31.20.123.45.67",
        ];
        for form in forms {
            assert_eq!(
                Phone::parse(form, nl()).map(|p| p.0),
                Ok("+31201234567".to_string()),
                "{form}"
            );
        }
    }

    #[test]
    fn a_number_with_its_country_code_keeps_every_digit_whatever_the_default_region() {
        for region in [DefaultRegion::US, nl()] {
            for (typed, e164) in [
                ("+49 151 12345678", "+4915112345678"),
                ("0049 171 2345678", "+491712345678"),
                ("+33 6 12 34 56 78", "+33612345678"),
                ("+1 212 555 1234", "+12125551234"),
                ("+31 20 123 4567", "+31201234567"),
            ] {
                assert_eq!(
                    Phone::parse(typed, region).map(|p| p.0),
                    Ok(e164.to_string()),
                    "{typed} read in {region:?}"
                );
            }
        }
        assert_eq!(
            Phone::parse("212 555 1234", DefaultRegion::US).map(|p| p.0),
            Ok("+12125551234".to_string())
        );
    }

    #[test]
    fn letters_and_impossible_numbers_are_not_phone_numbers() {
        assert_eq!(
            Phone::parse("call me", nl()),
            Err(ContactError::InvalidPhone)
        );
        assert_eq!(Phone::parse("+1", nl()), Err(ContactError::InvalidPhone));
        assert_eq!(Phone::parse("", nl()), Err(ContactError::InvalidPhone));
    }

    #[test]
    fn e_mail_matches_without_regard_to_case_but_keeps_its_spelling() {
        let email = Email::parse("  Jan.Jansen@Example.NL ").expect("valid");
        assert_eq!(email.as_str(), "Jan.Jansen@Example.NL");
        assert_eq!(email.normalised(), "jan.jansen@example.nl");
        assert_eq!(Email::parse("no-at-sign"), Err(ContactError::InvalidEmail));
        assert_eq!(Email::parse("a@localhost"), Err(ContactError::InvalidEmail));
    }

    #[test]
    fn a_query_with_an_at_sign_is_an_e_mail_otherwise_a_phone() {
        assert_eq!(
            ContactQuery::parse("JAN@example.nl", nl()),
            Ok(ContactQuery::Email("jan@example.nl".into()))
        );
        assert_eq!(
            ContactQuery::parse("020 123 4567", nl()).map(|q| q.to_string()),
            Ok("+31201234567".into())
        );
    }

    #[test]
    fn a_postal_address_needs_a_line_and_a_country() {
        let ok = PostalAddress::parse(PostalAddress {
            lines: vec!["Damrak 1".into(), " ".into()],
            region_code: "nl".into(),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(ok.lines, ["Damrak 1"]);
        assert_eq!(ok.region_code, "NL");
        assert!(PostalAddress::parse(PostalAddress::default()).is_err());
    }

    proptest! {
        #[test]
        fn every_spelling_of_a_valid_number_normalises_to_the_same_e164(
            subscriber in 1_000_000u32..9_999_999,
            separators in proptest::collection::vec(prop::sample::select(vec!["", " ", "-", "."]), 9),
            international in any::<bool>(),
        ) {
            // Amsterdam numbers: 020 followed by seven digits.
            let digits = format!("20{subscriber}");
            let mut typed = String::from(if international { "+31" } else { "0" });
            for (i, ch) in digits.chars().enumerate() {
                typed.push(ch);
                if let Some(sep) = separators.get(i) { typed.push_str(sep); }
            }
            let parsed = Phone::parse(&typed, nl());
            prop_assert_eq!(parsed.map(|p| p.0), Ok(format!("+31{digits}")));
        }

        #[test]
        fn phone_parsing_never_panics_and_output_is_e164(input in "\\PC{0,40}") {
            if let Ok(phone) = Phone::parse(&input, nl()) {
                prop_assert!(phone.0.starts_with('+'));
                prop_assert!(phone.0[1..].chars().all(|c| c.is_ascii_digit()));
                prop_assert!(phone.0.len() <= 16);
                // Normalisation is idempotent.
                prop_assert_eq!(Phone::parse(&phone.0, nl()), Ok(phone.clone()));
            }
        }

        #[test]
        fn e_mail_normalisation_is_idempotent_and_case_blind(local in "[a-zA-Z0-9._%+-]{1,20}", domain in "[a-zA-Z0-9-]{1,15}\\.[a-zA-Z]{2,6}") {
            let address = format!("{local}@{domain}");
            if let Ok(email) = Email::parse(&address) {
                let upper = Email::parse(&address.to_uppercase()).expect("upper case stays valid");
                prop_assert_eq!(email.normalised(), upper.normalised());
                let again = Email::parse(&email.normalised()).expect("normalised stays valid");
                prop_assert_eq!(again.normalised(), email.normalised());
            }
        }

        #[test]
        fn e_mail_parsing_never_panics(input in "\\PC{0,300}") {
            let _ = Email::parse(&input);
            let _ = ContactQuery::parse(&input, nl());
        }
    }
}
