//! Property tests of the checks every crisis request uses, against hostile
//! input: free text is accepted only when PostgreSQL can store it and it
//! fits; a scope's lists are stored (as JSONB, which cannot hold a NUL) or
//! refused on exactly their bad values, an over-long list once as a whole,
//! and a stored scope reads back as it was given; a wire duration is read
//! or refused, never a panic, and reads back as itself; every enum number
//! is a value, unspecified, or refused, and every value reads back.

use std::collections::BTreeMap;

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// Any text a caller may send: words, control characters and NUL, odd
/// Unicode, and too long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z_/-]{1,12}",
        1 => ".{0,20}",
        1 => "[a-z \\x00-\\x1f]{0,6}",
        1 => "\\PC{0,30}",
        1 => (95usize..105).prop_map(|n| "é".repeat(n)),
    ]
}

/// A scope list of a usual length, or one about as long as its cap.
fn scope_list() -> impl Strategy<Value = Vec<String>> {
    let value = hostile_text().boxed();
    prop_oneof![4 => vec(value.clone(), 0..4), 1 => vec(value, 99..102)]
}

fn crisis_scope() -> impl Strategy<Value = pb::CrisisScope> {
    let selector = (vec(".{0,10}", 0..3), vec(any::<i32>(), 0..3)).prop_map(|(tags, sizes)| {
        cpb::CustomerSelector {
            tags,
            sizes,
            ..cpb::CustomerSelector::default()
        }
    });
    (
        scope_list(),
        scope_list(),
        scope_list(),
        prop::option::of(selector),
    )
        .prop_map(
            |(products, regions, categories, customer_selector)| pb::CrisisScope {
                products,
                regions,
                categories,
                customer_selector,
            },
        )
}

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

    #[test]
    fn a_scope_is_stored_or_refused_on_exactly_its_bad_values_each_once(given in crisis_scope()) {
        let mut v = FieldViolations::new();

        let stored = scope(&mut v, "crisis.scope", Some(&given));

        let mut expected = BTreeMap::new();
        for (list, name) in [
            (&given.products, "products"),
            (&given.regions, "regions"),
            (&given.categories, "categories"),
        ] {
            if list.len() > 100 {
                expected.insert(format!("crisis.scope.{name}"), 1);
                continue;
            }
            for (i, value) in list.iter().enumerate() {
                if value.trim().is_empty() || value.chars().count() > 100 || value.contains('\0') {
                    expected.insert(format!("crisis.scope.{name}[{i}]"), 1);
                }
            }
        }
        let named = v.counted();
        prop_assert_eq!(named, expected);
        if v.is_empty() {
            prop_assert!(!stored.to_string().contains("\\u0000"), "JSONB cannot hold {}", stored);
            prop_assert_eq!(scope_to_wire(&stored), given);
        }
    }

    #[test]
    fn a_wire_duration_is_read_or_refused_and_reads_back_as_itself(
        seconds in prop_oneof![any::<i64>(), -100i64..100, Just(i64::MIN), Just(i64::MAX)],
        nanos in prop_oneof![any::<i32>(), -999_999_999i32..=999_999_999, Just(i32::MIN), Just(i32::MAX)],
    ) {
        let given = prost_types::Duration { seconds, nanos };

        let read = from_duration(&given);

        let well_formed = nanos.unsigned_abs() < 1_000_000_000
            && !(seconds > 0 && nanos < 0)
            && !(seconds < 0 && nanos > 0);
        prop_assert_eq!(read.is_ok(), well_formed);
        if let Ok(d) = read {
            prop_assert_eq!(duration(d), given);
        }
    }

    #[test]
    fn every_enum_number_is_a_value_unspecified_or_refused_and_every_value_reads_back(
        raw in prop_oneof![-2i32..12, any::<i32>()],
    ) {
        match state_from_wire(raw) {
            Ok(Some(s)) => prop_assert_eq!(state_to_wire(s) as i32, raw),
            Ok(None) => prop_assert_eq!(raw, 0),
            Err(e) => prop_assert_eq!(e, wire::UNKNOWN),
        }
        match role_from_wire(raw) {
            Ok(Some(r)) => prop_assert_eq!(role_to_wire(r) as i32, raw),
            Ok(None) => prop_assert_eq!(raw, 0),
            Err(e) => prop_assert_eq!(e, wire::UNKNOWN),
        }
        match priority_from_wire(raw) {
            Ok(Some(p)) => prop_assert_eq!(priority_to_wire(p.code()), raw),
            Ok(None) => prop_assert_eq!(raw, 0),
            Err(e) => prop_assert_eq!(e, wire::UNKNOWN),
        }
        match task_state_from_wire(raw) {
            Ok(Some(t)) => prop_assert_eq!(task_state_to_wire(t.code()), raw),
            Ok(None) => prop_assert_eq!(raw, 0),
            Err(e) => prop_assert_eq!(e, wire::UNKNOWN),
        }
        for s in CrisisState::ALL {
            prop_assert_eq!(state_from_wire(state_to_wire(s) as i32), Ok(Some(s)));
        }
        for r in TeamRole::ALL {
            prop_assert_eq!(role_from_wire(role_to_wire(r) as i32), Ok(Some(r)));
        }
        for p in Priority::ALL {
            prop_assert_eq!(priority_from_wire(priority_to_wire(p.code())), Ok(Some(p)));
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

#[test]
fn a_duration_with_the_most_negative_nanos_is_refused_not_a_panic() {
    let given = prost_types::Duration {
        seconds: 0,
        nanos: i32::MIN,
    };

    let read = from_duration(&given);

    assert_eq!(read, Err("is not a valid duration"));
}

#[test]
fn a_scope_value_with_a_nul_is_refused_rather_than_failing_in_the_database() {
    let given = pb::CrisisScope {
        products: vec!["router".into(), "modem\0".into()],
        ..pb::CrisisScope::default()
    };
    let mut v = FieldViolations::new();

    scope(&mut v, "crisis.scope", Some(&given));

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["crisis.scope.products[1]"]);
}
