//! Property tests of contact points against hostile input: an accepted phone
//! number, e-mail address or postal address is in its stored form, which
//! reads back as itself in any default region; nothing an agent can type
//! panics; a postal address PostgreSQL could not store is refused.

use super::*;
use proptest::prelude::*;

fn regions() -> impl Strategy<Value = DefaultRegion> {
    prop::sample::select(vec!["US", "NL", "DE", "GB", "JP", "CN", "BR"])
        .prop_map(|code| DefaultRegion::parse(code).expect("a region"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_accepted_phone_number_is_e164_and_reads_back_as_itself_in_any_region(
        input in prop_oneof!["\\PC{0,70}", "(\\+|00)?[0-9 ().-]{4,20}"],
        typed_in in regions(),
        read_in in regions(),
    ) {
        if let Ok(phone) = Phone::parse(&input, typed_in) {
            prop_assert!(phone.as_str().starts_with('+'));
            prop_assert_eq!(Phone::parse(phone.as_str(), read_in), Ok(phone.clone()));
        }
    }

    #[test]
    fn an_accepted_e_mail_address_reads_back_as_itself(input in prop_oneof![
        "\\PC{0,80}",
        "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\\x00\\n\" -]{1,30}@[a-z0-9.\\[\\]-]{1,20}",
        (0usize..400).prop_map(|n| format!("{}@example.com", "a".repeat(n))),
    ]) {
        if let Ok(email) = Email::parse(&input) {
            prop_assert!(!email.as_str().chars().any(char::is_control));
            prop_assert!(email.as_str().chars().count() <= 254);
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            prop_assert_eq!(email.normalised(), email.normalised().to_lowercase());
        }
    }

    #[test]
    fn an_accepted_postal_address_can_be_stored_and_reads_back_as_itself(
        lines in proptest::collection::vec("\\PC{0,20}|[a-z \\x00\\n\\t]{0,10}", 0..5),
        locality in "\\PC{0,20}|[a-z\\x00]{0,5}",
        region_code in "[a-zA-Z ]{0,4}",
    ) {
        let address = PostalAddress { lines, locality, region_code, ..PostalAddress::default() };
        if let Ok(parsed) = PostalAddress::parse(address) {
            prop_assert!(!parsed.lines.is_empty());
            prop_assert!(!parsed.lines.iter().chain([&parsed.locality]).any(|t| t.contains('\0')));
            prop_assert_eq!(PostalAddress::parse(parsed.clone()), Ok(parsed));
        }
    }

    #[test]
    fn a_contact_query_is_an_e_mail_exactly_when_it_has_an_at_sign(
        input in "\\PC{0,60}",
        region in regions(),
    ) {
        match ContactQuery::parse(&input, region) {
            Ok(ContactQuery::Email(email)) => prop_assert!(input.contains('@') && email == email.to_lowercase()),
            Ok(ContactQuery::Phone(_)) => prop_assert!(!input.contains('@')),
            Err(_) => {}
        }
    }
}

#[test]
fn a_postal_address_with_a_nul_is_refused_rather_than_failing_in_the_database() {
    let address = PostalAddress {
        lines: vec!["Damrak 1\0".into()],
        region_code: "NL".into(),
        ..PostalAddress::default()
    };

    assert_eq!(
        PostalAddress::parse(address),
        Err(ContactError::InvalidPostal)
    );
}
