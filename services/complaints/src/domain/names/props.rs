//! Property tests of complaint resource names: every kind of name reads back
//! as the ids it was made from, any text is a name written back exactly as
//! given or a refusal (never a panic), and team ids are what they claim.

use super::*;
use proptest::prelude::*;

type Child = (
    fn(&str) -> Result<(Uuid, Uuid), NameError>,
    fn(Uuid, Uuid) -> String,
);

const CHILDREN: [Child; 5] = [
    (parse_hand_off, hand_off),
    (parse_assist, assist),
    (parse_goodwill, goodwill),
    (parse_survey, survey),
    (parse_follow_up, follow_up),
];

fn id() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_kind_of_name_reads_back_as_the_ids_it_was_made_from(c in id(), i in id()) {
        prop_assert_eq!(parse_complaint(&complaint(c)), Ok(c));
        prop_assert_eq!(parse_customer(&customer(c)), Ok(c));
        for (k, (parse, make)) in CHILDREN.iter().enumerate() {
            prop_assert_eq!(parse(&make(c, i)), Ok((c, i)));
            // A name of one kind is never read as another.
            let (_, other) = CHILDREN[(k + 1) % CHILDREN.len()];
            prop_assert!(parse(&other(c, i)).is_err());
        }
    }

    #[test]
    fn any_text_is_a_name_written_back_as_given_or_refused(name in prop_oneof![
        ".{0,100}",
        "complaints/[0-9a-fA-F{}-]{30,40}(/(handOffs|assists|goodwill|surveys|followUps)/[0-9a-fA-F-]{30,40})?",
        "teams/.{0,70}",
    ]) {
        for (parse, make) in CHILDREN {
            if let Ok((c, i)) = parse(&name) {
                prop_assert_eq!(make(c, i), name.clone());
            }
        }
        if let Ok(id) = parse_complaint(&name) {
            prop_assert_eq!(complaint(id), name.clone());
        }
        if let Ok(team) = parse_team(&name) {
            prop_assert_eq!(format!("teams/{team}"), name.clone());
            prop_assert!(!team.is_empty() && team.len() <= MAX_TEAM_ID);
            prop_assert!(team.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'));
        }
    }
}
