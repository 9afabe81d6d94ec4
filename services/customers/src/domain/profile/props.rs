//! Property tests of the profile's value parsers against hostile input:
//! any text is a value or a refusal, never a panic; an accepted value is in
//! its stored form, which reads back as itself; free text kept is trimmed,
//! bounded and free of control characters (so PostgreSQL can hold it).

use super::*;
use proptest::prelude::*;

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,60}",
        "\\PC{0,250}",
        "[ a-zA-Z\\x00-\\x1f\\x7f\\u{85}\\u{2028}]{0,30}",
        (0usize..5_000).prop_map(|n| "é".repeat(n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn kept_free_text_is_trimmed_bounded_free_of_control_characters_and_stable(
        input in hostile_text(),
        max in 1usize..300,
    ) {
        if let Ok(kept) = optional_text(&input, max) {
            prop_assert_eq!(kept.trim(), kept.as_str());
            prop_assert!(kept.chars().count() <= max);
            prop_assert!(!kept.chars().any(char::is_control));
            prop_assert_eq!(optional_text(&kept, max), Ok(kept.clone()));
        }
        if let Ok(name) = DisplayName::parse(&input) {
            prop_assert!(!name.as_str().is_empty());
            prop_assert_eq!(DisplayName::parse(name.as_str()), Ok(name.clone()));
        }
    }

    #[test]
    fn an_accepted_locale_is_canonical_and_the_same_whatever_its_case(input in prop_oneof![
        hostile_text(),
        "[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?",
    ]) {
        if let Ok(locale) = Locale::parse(&input) {
            prop_assert_eq!(Locale::parse(locale.as_str()), Ok(locale.clone()));
            prop_assert_eq!(Locale::parse(&input.to_ascii_uppercase()), Ok(locale));
        }
    }

    #[test]
    fn an_accepted_time_zone_reads_back_as_itself(input in prop_oneof![
        hostile_text(),
        "[A-Za-z]{3,10}/[A-Za-z_]{3,12}",
        "(\\.\\./)+[a-z]{2,10}(/[a-z]{2,10})?",
        prop::sample::select(vec!["Europe/Amsterdam", "UTC", "America/Argentina/Buenos_Aires", "localtime", "posixrules", "Factory", "../zoneinfo/UTC", "/etc/localtime"]).prop_map(String::from),
    ]) {
        if let Ok(zone) = TimeZoneName::parse(&input) {
            prop_assert!(!zone.as_str().contains(".."), "{} was accepted", zone.as_str());
            prop_assert!(!zone.as_str().starts_with('/'), "{} was accepted", zone.as_str());
            prop_assert_eq!(TimeZoneName::parse(zone.as_str()), Ok(zone.clone()));
        }
    }

    #[test]
    fn an_accepted_identifier_is_lower_case_and_reads_back_as_itself(input in prop_oneof![
        hostile_text(),
        "[a-zA-Z][a-zA-Z0-9_-]{0,70}",
    ]) {
        if let Ok(id) = Identifier::parse(&input) {
            let text = id.as_str();
            prop_assert!(text.len() <= 64 && text.starts_with(|c: char| c.is_ascii_lowercase()));
            prop_assert!(text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'));
            prop_assert_eq!(Identifier::parse(text), Ok(id.clone()));
        }
    }
}
