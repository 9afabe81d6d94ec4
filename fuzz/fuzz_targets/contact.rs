//! Phone numbers, e-mail addresses, contact queries and postal addresses:
//! an accepted value is in its stored form, which reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redress_customers::domain::contact::{
    ContactQuery, DefaultRegion, Email, Phone, PostalAddress,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for region in ["US", "NL", "DE", "JP"] {
        let region = DefaultRegion::parse(region).expect("a region");
        if let Ok(phone) = Phone::parse(text, region) {
            assert!(phone.as_str().starts_with('+'));
            assert_eq!(Phone::parse(phone.as_str(), region), Ok(phone.clone()));
        }
        if let Ok(query) = ContactQuery::parse(text, region) {
            assert!(!query.normalised().is_empty());
        }
    }
    if let Ok(email) = Email::parse(text) {
        assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
        assert!(!email.as_str().contains('\0'));
    }
    let mut parts = text.splitn(3, '\n');
    let address = PostalAddress {
        lines: parts
            .next()
            .unwrap_or("")
            .split('|')
            .map(str::to_owned)
            .collect(),
        locality: parts.next().unwrap_or("").to_owned(),
        region_code: parts.next().unwrap_or("").to_owned(),
        ..PostalAddress::default()
    };
    if let Ok(parsed) = PostalAddress::parse(address) {
        assert!(!parsed.lines.is_empty() && parsed.region_code.len() == 2);
        assert_eq!(PostalAddress::parse(parsed.clone()), Ok(parsed));
    }
});
