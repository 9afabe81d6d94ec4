//! Property tests of reading a SelectCustomers request against hostile
//! input: whatever a caller sends, the answer is a selector of canonical,
//! bounded values and a batch within its cap, or violations that name each
//! bad value once (an over-long list once, as a whole) and no value that
//! was fine.

use std::collections::BTreeMap;

use super::*;
use crate::domain::grading::ValueGrade;
use crate::domain::lifecycle::LifecycleStage;
use crate::domain::profile::Size;
use proptest::collection::vec;
use proptest::prelude::*;

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,20}",
        "[a-zA-Z \\x00-\\x1f\\u{130}\\u{212a}]{0,4}",
        "\\PC{0,40}",
        (60usize..200).prop_map(|n| "a".repeat(n)),
    ]
}

fn text_or(valid: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![3 => valid, 1 => hostile_text()]
}

/// A list of a usual length, or one about as long as the cap allows.
fn list<T: std::fmt::Debug + 'static>(
    item: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Vec<T>> {
    let item = item.boxed();
    prop_oneof![
        6 => vec(item.clone(), 0..4),
        1 => vec(item, MAX_SELECTOR_VALUES - 1..MAX_SELECTOR_VALUES + 2),
    ]
}

fn wire_enum() -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0i32..8, 1 => any::<i32>()]
}

fn request() -> impl Strategy<Value = pb::SelectCustomersRequest> {
    let selector = (
        list(wire_enum()),
        list(wire_enum()),
        list(wire_enum()),
        list(text_or("[a-zA-Z][a-z0-9_-]{0,6}")),
        list(text_or("(en-GB|nl|zh-hant-tw|EN)")),
        list(text_or(" ?(nl|DE|gb|us) ?")),
    )
        .prop_map(
            |(value_grades, sizes, lifecycle_stages, tags, locales, region_codes)| {
                pb::CustomerSelector {
                    value_grades,
                    sizes,
                    lifecycle_stages,
                    tags,
                    locales,
                    region_codes,
                }
            },
        );
    (
        prop::option::weighted(0.9, selector),
        prop_oneof![-5i32..2_000, any::<i32>()],
    )
        .prop_map(|(selector, batch_size)| pb::SelectCustomersRequest {
            selector,
            batch_size,
        })
}

/// Whether a region code is two letters, in any case and padding.
fn is_region(raw: &str) -> bool {
    let code = raw.trim();
    code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic())
}

/// For each value of a list in `field`, whether the reading of the request
/// must name it, given whether `ok` accepts it.
fn expect_list<T>(
    expected: &mut BTreeMap<String, usize>,
    field: &str,
    values: &[T],
    ok: impl Fn(&T) -> bool,
) {
    if values.len() > MAX_SELECTOR_VALUES {
        expected.insert(format!("selector.{field}"), 1);
        return;
    }
    for (i, value) in values.iter().enumerate() {
        if !ok(value) {
            expected.insert(format!("selector.{field}[{i}]"), 1);
        }
    }
}

fn known<T: WireEnum>(raw: &i32) -> bool {
    matches!(T::from_wire(*raw), Ok(Some(_)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_selector_is_refused_on_exactly_its_bad_values_each_once(r in request()) {
        let default = pb::CustomerSelector::default();
        let s = r.selector.as_ref().unwrap_or(&default);
        let mut expected = BTreeMap::new();
        if r.batch_size < 0 {
            expected.insert("batch_size".to_string(), 1);
        }
        expect_list(&mut expected, "value_grades", &s.value_grades, known::<ValueGrade>);
        expect_list(&mut expected, "sizes", &s.sizes, known::<Size>);
        expect_list(&mut expected, "lifecycle_stages", &s.lifecycle_stages, known::<LifecycleStage>);
        expect_list(&mut expected, "tags", &s.tags, |t| Identifier::parse(t).is_ok());
        expect_list(&mut expected, "locales", &s.locales, |l| Locale::parse(l).is_ok());
        expect_list(&mut expected, "region_codes", &s.region_codes, |c| is_region(c));

        let named = match parse_selector(&r) {
            Ok(_) => BTreeMap::new(),
            Err(ApiError::InvalidArgument(v)) => v.counted(),
            Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
        };

        prop_assert_eq!(named, expected);
    }

    #[test]
    fn an_accepted_selector_holds_canonical_values_and_a_batch_within_its_cap(r in request()) {
        let Ok((selector, batch)) = parse_selector(&r) else { return Ok(()) };

        prop_assert!((1..=MAX_BATCH_SIZE).contains(&batch));
        prop_assert_eq!(batch == DEFAULT_BATCH, r.batch_size == 0 || r.batch_size == DEFAULT_BATCH as i32);
        for tag in &selector.tags {
            prop_assert_eq!(Identifier::parse(tag).map(|t| t.as_str().to_string()), Ok(tag.clone()));
        }
        for locale in &selector.locales {
            prop_assert_eq!(Locale::parse(locale).map(|l| l.as_str().to_string()), Ok(locale.clone()));
        }
        for code in &selector.region_codes {
            prop_assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()));
        }
        let s = r.selector.unwrap_or_default();
        prop_assert_eq!(
            (selector.grades.len(), selector.sizes.len(), selector.stages.len()),
            (s.value_grades.len(), s.sizes.len(), s.lifecycle_stages.len())
        );
    }
}
