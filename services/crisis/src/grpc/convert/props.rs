//! Property tests of the free-text check every crisis request uses: text is
//! accepted only when PostgreSQL can store it and it fits, and a refusal
//! names exactly the field it was given.

use super::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accepted_text_fits_and_can_be_stored_and_a_refusal_names_its_field(
        value in prop_oneof![".{0,40}", "[a-z \\x00-\\x1f]{0,40}", "\\PC{0,300}"],
        max in 1usize..200,
        required in any::<bool>(),
    ) {
        let mut v = FieldViolations::new();
        let kept = text(&mut v, "statement.body", &value, max, required);
        match v.violations() {
            [] => {
                prop_assert!(!kept.contains('\0'));
                prop_assert!(kept.chars().count() <= max);
                prop_assert!(!required || !kept.trim().is_empty());
            }
            [only] => prop_assert_eq!(only.field.as_str(), "statement.body"),
            more => prop_assert!(false, "{} violations for one field", more.len()),
        }
    }
}

#[test]
fn text_with_a_nul_is_refused_rather_than_failing_in_the_database() {
    let mut v = FieldViolations::new();

    text(&mut v, "title", "Outage\0", 100, true);

    assert_eq!(v.violations().len(), 1);
    assert_eq!(v.violations()[0].field, "title");
}
