//! Property tests of locale tags: any text is a tag or a refusal, never a
//! panic; an accepted tag is in canonical case, reads back as itself and
//! is the same whatever the case it was typed in; its fallback chain
//! shortens one subtag at a time down to the default.

use super::*;
use proptest::prelude::*;

fn tag_like() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?",
        "[a-zA-Z0-9-]{0,50}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_accepted_tag_reads_back_as_itself_whatever_its_case(tag in tag_like()) {
        if let Ok(locale) = Locale::parse(&tag) {
            prop_assert_eq!(Locale::parse(locale.as_str()), Ok(locale.clone()));
            prop_assert_eq!(Locale::parse(&tag.to_ascii_uppercase()), Ok(locale.clone()));
            prop_assert_eq!(Locale::parse(&tag.to_ascii_lowercase()), Ok(locale));
        }
    }

    #[test]
    fn a_fallback_chain_drops_one_subtag_at_a_time_down_to_the_default(tag in tag_like()) {
        if let Ok(locale) = Locale::parse(&tag) {
            let chain = locale.fallback_chain();
            prop_assert_eq!(chain.first(), Some(&locale));
            prop_assert_eq!(chain.last(), Some(&Locale::default_locale()));
            for pair in chain.windows(2) {
                let (longer, shorter) = (pair[0].as_str(), pair[1].as_str());
                let prefix = format!("{shorter}-");
                prop_assert!(shorter.is_empty() || longer.starts_with(&prefix));
            }
        }
    }
}
