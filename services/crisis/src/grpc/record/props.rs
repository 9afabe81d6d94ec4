//! Property tests of the checks a crisis review request uses, against
//! hostile input: a list of review texts is kept as given when PostgreSQL
//! can store every text and it fits, or refused on exactly its bad texts,
//! each once (an over-long list once, as a whole); a review's name is read
//! only in its canonical spelling, as the crisis it names, and any other
//! text is one violation on its field.

use std::collections::BTreeMap;

use super::*;
use crate::grpc::props_support::{bad_text, id, name_of};
use proptest::collection::vec;
use proptest::prelude::*;

/// Any text a caller may send: blank, words, control characters and NUL,
/// odd Unicode, and too long (counted in characters, not bytes).
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        " {1,5}",
        ".{0,20}",
        "[a-z \\x00-\\x1f]{0,6}",
        "\\PC{0,30}",
        (3_995usize..4_005).prop_map(|n| "é".repeat(n)),
        (3_995usize..4_005).prop_map(|n| "a".repeat(n)),
    ]
}

/// A list of review texts of a usual length, or one about as long as its
/// cap of 100.
fn review_texts() -> impl Strategy<Value = Vec<String>> {
    let value = prop_oneof![3 => "[A-Za-z][A-Za-z .,]{0,40}", 1 => hostile_text()].boxed();
    prop_oneof![4 => vec(value.clone(), 0..4), 1 => vec(value, 99..103)]
}

/// A review's name made from an id: the shared spellings with the
/// `/review` suffix, or the crisis without it, doubled, or pluralised.
fn review_name_of() -> impl Strategy<Value = (Uuid, String)> {
    let odd = (id(), 0usize..3).prop_map(|(id, how)| {
        let name = match how {
            0 => format!("crises/{id}"),
            1 => format!("crises/{id}/review/review"),
            _ => format!("crises/{id}/reviews"),
        };
        (id, name)
    });
    prop_oneof![
        6 => name_of("crises/", "/review", ["crisis/", "complaints/"]),
        1 => odd,
        1 => (id(), Just("/review".to_owned())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn review_texts_are_kept_as_given_or_refused_on_exactly_their_bad_values_each_once(
        given in review_texts(),
    ) {
        let mut v = FieldViolations::new();

        let kept = texts(&mut v, "review.lessons", &given);

        let mut expected = BTreeMap::new();
        if given.len() > 100 {
            expected.insert("review.lessons".to_owned(), 1);
        } else {
            for (i, value) in given.iter().enumerate() {
                if bad_text(value, MAX_TEXT, true) {
                    expected.insert(format!("review.lessons[{i}]"), 1);
                }
            }
        }
        let named = v.counted();
        prop_assert_eq!(named, expected);
        if given.len() > 100 {
            prop_assert!(kept.is_empty(), "{} values kept of a list over its cap", kept.len());
        }
        if v.is_empty() {
            for value in &kept {
                prop_assert!(!value.contains('\0'), "{:?} cannot be stored", value);
                prop_assert!(value.chars().count() <= MAX_TEXT);
                prop_assert!(!value.trim().is_empty());
            }
            prop_assert_eq!(kept, given);
        }
    }

    #[test]
    fn a_review_name_is_read_only_as_the_crisis_it_names_or_is_one_violation(
        (from, name) in review_name_of(),
    ) {
        let mut v = FieldViolations::new();

        let read = review_name(&mut v, "review.name", &name);

        match read {
            Some(id) => {
                prop_assert!(v.is_empty());
                prop_assert_eq!(format!("{}/review", names::crisis(id)), name.clone());
            }
            None => prop_assert_eq!(
                v.counted(),
                BTreeMap::from([("review.name".to_owned(), 1)])
            ),
        }
        if name == format!("crises/{from}/review") {
            prop_assert_eq!(read, Some(from));
        }
    }
}
