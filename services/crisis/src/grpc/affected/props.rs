//! Property tests of reading the names a link request gives against hostile
//! input: 1 to 1000 customer or complaint names are read, in their
//! canonical spelling only, as the distinct ids they name (a name given
//! twice is one id), or refused on exactly their bad names, each once; an
//! empty list or one over its cap is one violation on the list, as a whole.

use std::collections::BTreeMap;

use super::*;
use crate::grpc::props_support::name_of;
use proptest::collection::vec;
use proptest::prelude::*;

/// Names of a usual number, none, or about as many as the cap allows.
fn names_of(
    prefix: &'static str,
    wrong: [&'static str; 2],
) -> impl Strategy<Value = Vec<(Uuid, String)>> {
    let name = name_of(prefix, "", wrong).boxed();
    prop_oneof![
        1 => Just(Vec::new()),
        6 => vec(name.clone(), 1..6),
        2 => vec(name, MAX_NAMES - 1..MAX_NAMES + 3),
    ]
}

/// Checks what `read` made of `given` in `field`: the distinct ids of the
/// names, or violations naming exactly the list (empty or over the cap) or
/// its bad names, each once.
fn check_read(
    field: &str,
    prefix: &str,
    given: &[(Uuid, String)],
    read: impl Fn(&mut FieldViolations, &[String]) -> Option<Vec<Uuid>>,
) -> Result<(), TestCaseError> {
    let names: Vec<String> = given.iter().map(|(_, name)| name.clone()).collect();
    let mut v = FieldViolations::new();

    let ids = read(&mut v, &names);

    let mut expected = BTreeMap::new();
    if given.is_empty() || given.len() > MAX_NAMES {
        expected.insert(field.to_owned(), 1);
    } else {
        for (i, (id, name)) in given.iter().enumerate() {
            if *name != format!("{prefix}{id}") {
                expected.insert(format!("{field}[{i}]"), 1);
            }
        }
    }
    let named = v.counted();
    prop_assert_eq!(&named, &expected);
    prop_assert_eq!(ids.is_some(), v.is_empty());
    if let Some(ids) = ids {
        let named: BTreeSet<Uuid> = given.iter().map(|(id, _)| *id).collect();
        prop_assert_eq!(ids.len(), named.len(), "an id kept twice");
        prop_assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), named);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn customer_names_are_read_as_their_distinct_ids_or_refused_on_exactly_the_bad_ones(
        given in names_of("customers/", ["complaints/", "customer/"]),
    ) {
        check_read("customers.names", "customers/", &given, customer_ids)?;
    }

    #[test]
    fn complaint_names_are_read_as_their_distinct_ids_or_refused_on_exactly_the_bad_ones(
        given in names_of("complaints/", ["customers/", "complaint/"]),
    ) {
        check_read("complaints", "complaints/", &given, complaint_ids)?;
    }
}
