//! Property tests of the resource-name parser: a name reads back as the id
//! it was made from, only the canonical spelling of a name is accepted (so
//! one resource never has two names), and no input panics it.

use super::*;
use proptest::prelude::*;

const PREFIX: &str = "things/";
const SHAPE: &str = "things/{uuid}";

fn id() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_name_reads_back_as_the_id_it_was_made_from(id in id()) {
        prop_assert_eq!(parse_id(&format!("{PREFIX}{id}"), PREFIX, SHAPE), Ok(id));
    }

    #[test]
    fn only_the_canonical_spelling_of_a_name_is_accepted(input in prop_oneof![
        ".{0,80}",
        "things/[0-9a-fA-F{}-]{30,40}",
        "things/.{36}",
        (0usize..10_000).prop_map(|n| format!("things/{}", "0".repeat(n))),
    ]) {
        match parse_id(&input, PREFIX, SHAPE) {
            Ok(id) => prop_assert_eq!(input, format!("{PREFIX}{}", id.hyphenated())),
            Err(NameError::Empty) => prop_assert!(input.is_empty()),
            Err(NameError::Shape(shape)) => prop_assert_eq!(shape, SHAPE),
        }
    }

    #[test]
    fn other_spellings_of_the_same_id_are_refused(id in id(), other in 0usize..5) {
        let spelling = match other {
            0 => id.hyphenated().to_string().to_uppercase(),
            1 => id.simple().to_string(),
            2 => id.braced().to_string(),
            3 => id.urn().to_string(),
            _ => format!(" {id}"),
        };
        let name = format!("{PREFIX}{spelling}");
        prop_assert!(parse_id(&name, PREFIX, SHAPE).is_err(), "{} was accepted", name);
    }
}
