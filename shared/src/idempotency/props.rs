//! Property tests of reading `request_id` (AIP-155) against hostile input:
//! empty means no key, a UUID in any of its spellings is that UUID, and
//! anything else is one refusal on `request_id`, never a panic.

use super::*;
use proptest::prelude::*;

/// Text a caller may send: arbitrary, hex-and-dash shapes near a UUID, and
/// far too long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,50}",
        "[0-9a-fA-F-]{30,40}",
        "[0-9a-f\\x00 {}:-]{0,45}",
        (0usize..10_000).prop_map(|n| "0".repeat(n)),
    ]
}

/// A UUID as a caller may spell it: hyphenated, simple, braced or as a
/// URN, in either case.
fn spelled_uuid() -> impl Strategy<Value = (Uuid, String)> {
    (any::<u128>(), 0u8..4, any::<bool>()).prop_map(|(bits, form, upper)| {
        let id = Uuid::from_u128(bits);
        let text = match form {
            0 => id.hyphenated().to_string(),
            1 => id.simple().to_string(),
            2 => id.braced().to_string(),
            _ => id.urn().to_string(),
        };
        let text = if upper {
            text.to_ascii_uppercase()
        } else {
            text
        };
        (id, text)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_no_key_a_uuid_or_one_refusal_on_request_id(raw in hostile_text()) {
        let mut v = FieldViolations::new();

        let id = request_id_field(&mut v, &raw);

        match (id, v.violations()) {
            (None, []) => prop_assert!(raw.is_empty()),
            (Some(id), []) => {
                prop_assert!(!raw.is_empty());
                prop_assert_eq!(parse_request_id(&id.to_string()), Ok(Some(id)));
            }
            (None, [only]) => {
                prop_assert_eq!(only.field.as_str(), "request_id");
                prop_assert!(parse_request_id(&raw).is_err());
            }
            (id, violations) => prop_assert!(false, "{:?} with {:?}", id, violations),
        }
    }

    #[test]
    fn a_uuid_in_any_spelling_is_that_uuid((id, raw) in spelled_uuid()) {
        prop_assert_eq!(parse_request_id(&raw), Ok(Some(id)));
    }
}
