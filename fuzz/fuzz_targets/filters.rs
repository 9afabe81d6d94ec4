//! The small parsers list filters and profiles are made of: locale tags,
//! time zones, identifiers (tags, purposes), free text, category paths,
//! cadences and SLA durations. An accepted value reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redress_complaints::domain::category::CategoryTree;
use redress_customers::domain::profile::{Identifier, Locale, TimeZoneName, optional_text};
use redress_notifications::domain::locale::Locale as MessageLocale;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(locale) = Locale::parse(text) {
        assert_eq!(Locale::parse(locale.as_str()), Ok(locale.clone()));
    }
    if let Ok(locale) = MessageLocale::parse(text) {
        assert_eq!(MessageLocale::parse(locale.as_str()), Ok(locale.clone()));
        assert!(!locale.fallback_chain().is_empty());
    }
    if let Ok(zone) = TimeZoneName::parse(text) {
        assert_eq!(TimeZoneName::parse(zone.as_str()), Ok(zone.clone()));
    }
    if let Ok(id) = Identifier::parse(text) {
        assert_eq!(Identifier::parse(id.as_str()), Ok(id.clone()));
    }
    if let Ok(kept) = optional_text(text, 200) {
        assert!(!kept.chars().any(char::is_control));
        assert_eq!(optional_text(&kept, 200), Ok(kept.clone()));
    }
    let tree = CategoryTree::seeded();
    if tree.contains(text) {
        assert!(tree.title(text).is_some());
        assert!(tree.contains(CategoryTree::root_of(text)));
    }
    if let Ok(every) = redress_crisis::domain::crisis::parse_cadence(text) {
        assert!(every.is_positive());
    }
});
