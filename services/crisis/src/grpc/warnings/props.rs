//! Property tests of reading the complaints a staff report names against
//! hostile input: at most ten names are read, in their canonical spelling
//! only, as the distinct ids they name in the order first named, and any
//! other name is one violation on it and on no name that was fine; a list
//! over the cap is one violation on the list, as a whole, and keeps nothing.

use std::collections::BTreeMap;

use super::*;
use crate::grpc::props_support::name_of;
use proptest::collection::vec;
use proptest::prelude::*;

/// The names of a usual report, or about as many as the cap allows.
fn complaint_names() -> impl Strategy<Value = Vec<(Uuid, String)>> {
    let name = name_of("complaints/", "", ["complaint/", "customers/"]).boxed();
    prop_oneof![
        3 => vec(name.clone(), 0..5),
        2 => vec(name, MAX_COMPLAINTS - 1..MAX_COMPLAINTS + 3),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn reported_complaints_are_their_distinct_ids_in_order_or_refused_on_exactly_the_bad_ones(
        given in complaint_names(),
    ) {
        let names: Vec<String> = given.iter().map(|(_, name)| name.clone()).collect();
        let mut v = FieldViolations::new();

        let ids = complaints(&mut v, &names);

        let mut expected = BTreeMap::new();
        let mut good = Vec::new();
        if given.len() > MAX_COMPLAINTS {
            expected.insert("complaints".to_owned(), 1);
        } else {
            for (i, (id, name)) in given.iter().enumerate() {
                if *name == format!("complaints/{id}") {
                    if !good.contains(id) {
                        good.push(*id);
                    }
                } else {
                    expected.insert(format!("complaints[{i}]"), 1);
                }
            }
        }
        let named = v.counted();
        prop_assert_eq!(named, expected);
        prop_assert!(ids.len() <= MAX_COMPLAINTS);
        prop_assert_eq!(ids, good);
    }
}
