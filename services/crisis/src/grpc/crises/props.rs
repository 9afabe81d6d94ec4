//! Property tests of reading the member an AssignCrisisRole names against
//! hostile input: whatever a caller sends, the answer is a member that can
//! be stored (no NUL, within the caps) with a role, or violations that name
//! each bad field once and no field that was fine.

use std::collections::BTreeMap;

use super::*;
use crate::grpc::props_support::bad_text;
use proptest::prelude::*;

/// Any text a caller may send: words, control characters and NUL, odd
/// Unicode, and too long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,20}",
        "[a-z \\x00-\\x1f]{0,6}",
        "\\PC{0,30}",
        (95usize..105).prop_map(|n| "é".repeat(n)),
        (195usize..205).prop_map(|n| "a".repeat(n)),
        (1_995usize..2_005).prop_map(|n| "a".repeat(n)),
    ]
}

/// Mostly what a front end sends, sometimes anything.
fn text_or(valid: &'static str) -> BoxedStrategy<String> {
    prop_oneof![3 => valid, 1 => hostile_text()].boxed()
}

fn team_member_message() -> impl Strategy<Value = pb::TeamMember> {
    (
        text_or("agent-[0-9]{1,3}"),
        prop_oneof![4 => 0i32..=7, 1 => any::<i32>()],
        prop_oneof![Just(String::new()), text_or("(logistics|legal)")],
        prop_oneof![Just(String::new()), text_or("[A-Za-z ]{0,40}")],
    )
        .prop_map(|(subject, role, department, duties)| pb::TeamMember {
            subject,
            role,
            department,
            duties,
            assign_time: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_team_member_is_storable_or_refused_on_exactly_its_bad_fields_each_once(
        given in team_member_message(),
    ) {
        let mut v = FieldViolations::new();

        let (subject, role, department, duties) = team_member(&mut v, &given);

        let mut expected = BTreeMap::new();
        let mut expect = |field: &str, bad: bool| {
            if bad {
                expected.insert(format!("member.{field}"), 1);
            }
        };
        expect("subject", bad_text(&given.subject, MAX_SUBJECT, true));
        expect("role", !matches!(convert::role_from_wire(given.role), Ok(Some(_))));
        expect("department", bad_text(&given.department, 100, false));
        expect("duties", bad_text(&given.duties, 2000, false));
        let named = v.counted();
        prop_assert_eq!(named, expected);
        if v.is_empty() {
            let role = role.expect("an accepted member has a role");
            prop_assert_eq!(convert::role_to_wire(role) as i32, given.role);
            prop_assert_eq!(
                (subject, department, duties),
                (given.subject, given.department, given.duties)
            );
        }
    }
}
