//! Property tests of reading a ListComplaints request's filters against
//! hostile input: whatever a caller sends, the filters are values the store
//! can bind (no NUL, bounded, known enums) or violations that name each bad
//! filter once (an over-long list once, as a whole) and no filter that was
//! fine. Likewise a BatchGetComplaints request's names.

use std::collections::BTreeMap;

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,30}",
        "[a-z \\x00-\\x1f\\x7f\\u{85}]{0,8}",
        "\\PC{0,60}",
        (190usize..210).prop_map(|n| "é".repeat(n)),
    ]
}

fn text_or(valid: &'static str) -> BoxedStrategy<String> {
    prop_oneof![3 => valid, 1 => hostile_text()].boxed()
}

fn wire_enums(values: i32) -> impl Strategy<Value = Vec<i32>> {
    let value = prop_oneof![4 => 0..=values, 1 => any::<i32>()].boxed();
    prop_oneof![
        4 => vec(value.clone(), 0..4),
        1 => vec(value, MAX_FILTER_VALUES - 1..MAX_FILTER_VALUES + 3),
    ]
}

fn timestamp() -> impl Strategy<Value = Option<prost_types::Timestamp>> {
    prop::option::of(
        (
            prop_oneof![0i64..4_000_000_000, any::<i64>()],
            prop_oneof![0i32..1_000_000_000, any::<i32>()],
        )
            .prop_map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
    )
}

/// A complaint's name, or hostile text in its place.
fn batch_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<u128>().prop_map(|id| names::complaint(Uuid::from_u128(id))),
        1 => hostile_text(),
    ]
}

fn request() -> impl Strategy<Value = pb::ListComplaintsRequest> {
    (
        prop_oneof![Just(String::new()), text_or(" ?agent-[a-z0-9]{1,8} ?")],
        prop_oneof![Just(String::new()), text_or("teams/[a-z0-9_-]{1,10}")],
        wire_enums(9),
        prop_oneof![
            Just(String::new()),
            text_or("(too_slow|too_slow/late_delivery|billing|nonsense)")
        ],
        wire_enums(5),
        prop_oneof![
            Just(String::new()),
            any::<u128>().prop_map(|id| format!("customers/{}", Uuid::from_u128(id))),
            hostile_text(),
        ],
        prop_oneof![0i32..5, any::<i32>()],
        timestamp(),
        timestamp(),
    )
        .prop_map(
            |(owner, team, states, category, severities, customer, sla, start, end)| {
                pb::ListComplaintsRequest {
                    owner,
                    team,
                    states,
                    category,
                    severities,
                    customer,
                    sla,
                    create_time_start: start,
                    create_time_end: end,
                    ..pb::ListComplaintsRequest::default()
                }
            },
        )
}

/// For each value of an enum list in `field`, whether it must be named.
fn expect_list<T: WireEnum>(expected: &mut BTreeMap<String, usize>, field: &str, raw: &[i32]) {
    if raw.len() > MAX_FILTER_VALUES {
        expected.insert(field.to_string(), 1);
        return;
    }
    for (i, value) in raw.iter().enumerate() {
        if !matches!(T::from_wire(*value), Ok(Some(_))) {
            expected.insert(format!("{field}[{i}]"), 1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn list_filters_are_refused_on_exactly_their_bad_fields_each_once(r in request()) {
        let tree = CategoryTree::seeded();
        let mut v = FieldViolations::new();

        list_filter(&mut v, &r, &tree);

        let mut expected = BTreeMap::new();
        let mut expect = |field: &str, bad: bool| {
            if bad {
                expected.insert(field.to_string(), 1);
            }
        };
        let owner = r.owner.trim();
        expect("owner", owner.chars().count() > MAX_OWNER || owner.contains('\0'));
        expect("team", !r.team.is_empty() && names::parse_team(&r.team).is_err());
        expect("category", !r.category.is_empty() && !tree.contains(&r.category));
        expect("customer", !r.customer.is_empty() && names::parse_customer(&r.customer).is_err());
        expect("sla", pb::SlaFilter::try_from(r.sla).is_err());
        for (field, time) in [
            ("create_time_start", &r.create_time_start),
            ("create_time_end", &r.create_time_end),
        ] {
            expect(field, time.as_ref().is_some_and(|t| wire::from_timestamp(t).is_err()));
        }
        expect_list::<State>(&mut expected, "states", &r.states);
        expect_list::<Severity>(&mut expected, "severities", &r.severities);
        let named = v.counted();
        prop_assert_eq!(named, expected);
    }

    #[test]
    fn accepted_list_filters_can_be_bound_and_match_what_was_asked(r in request()) {
        let tree = CategoryTree::seeded();
        let mut v = FieldViolations::new();

        let filter = list_filter(&mut v, &r, &tree);

        if !v.is_empty() {
            return Ok(());
        }
        if let Some(owner) = &filter.owner {
            prop_assert!(!owner.is_empty() && !owner.contains('\0'));
            prop_assert!(owner.chars().count() <= MAX_OWNER && owner.trim() == owner.as_str());
        }
        prop_assert_eq!(filter.owner.is_none(), r.owner.trim().is_empty());
        prop_assert_eq!(filter.team.is_none(), r.team.is_empty());
        prop_assert!(filter.category.iter().all(|c| tree.contains(c)));
        prop_assert_eq!(filter.states.len(), r.states.len());
        prop_assert_eq!(filter.severities.len(), r.severities.len());
        prop_assert_eq!(filter.customer.is_none(), r.customer.is_empty());
        prop_assert_eq!(filter.created_from.is_none(), r.create_time_start.is_none());
        prop_assert_eq!(filter.created_before.is_none(), r.create_time_end.is_none());
    }

    #[test]
    fn batch_names_are_read_or_refused_on_exactly_their_bad_names_and_a_long_batch_once(
        given in prop_oneof![
            4 => vec(batch_name(), 0..5),
            1 => vec(batch_name(), MAX_BATCH - 1..MAX_BATCH + 3),
        ],
    ) {
        let mut v = FieldViolations::new();

        let ids = batch_ids(&mut v, &given);

        let mut expected = BTreeMap::new();
        if given.is_empty() || given.len() > MAX_BATCH {
            expected.insert("names".to_string(), 1);
        } else {
            for (i, name) in given.iter().enumerate() {
                if names::parse_complaint(name).is_err() {
                    expected.insert(format!("names[{i}]"), 1);
                }
            }
        }
        let named = v.counted();
        prop_assert_eq!(named, expected);
        if v.is_empty() {
            let asked: Vec<Uuid> = given
                .iter()
                .map(|n| names::parse_complaint(n).expect("accepted"))
                .collect();
            prop_assert_eq!(ids, asked);
        }
    }
}

#[test]
fn an_owner_filter_with_a_nul_is_refused_rather_than_failing_in_the_database() {
    let r = pb::ListComplaintsRequest {
        owner: "agent-1\0".into(),
        ..pb::ListComplaintsRequest::default()
    };
    let mut v = FieldViolations::new();

    list_filter(&mut v, &r, &CategoryTree::seeded());

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["owner"]);
}

#[test]
fn an_owner_filter_is_held_to_its_limit_after_trimming_as_it_is_kept() {
    let r = pb::ListComplaintsRequest {
        owner: format!("  {}  ", "a".repeat(MAX_OWNER)),
        ..pb::ListComplaintsRequest::default()
    };
    let mut v = FieldViolations::new();

    let filter = list_filter(&mut v, &r, &CategoryTree::seeded());

    assert!(v.is_empty(), "{:?}", v.violations());
    assert_eq!(filter.owner, Some("a".repeat(MAX_OWNER)));
}

#[test]
fn an_over_long_batch_of_bad_names_is_one_violation_on_the_list() {
    let given = vec!["not a complaint".to_string(); MAX_BATCH + 1];
    let mut v = FieldViolations::new();

    let ids = batch_ids(&mut v, &given);

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["names"]);
    assert!(ids.is_empty());
}
