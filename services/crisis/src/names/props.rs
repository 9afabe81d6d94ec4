//! Property tests of crisis resource names: a name reads back as the ids it
//! was made from, and only its canonical spelling is accepted, so one
//! resource never has two names (and two rows never answer to one).

use super::*;
use proptest::prelude::*;

fn id() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_child_name_reads_back_as_the_ids_it_was_made_from(c in id(), i in id()) {
        prop_assert_eq!(parse_child(&child(c, "tasks", i), "tasks"), Ok((c, i)));
        prop_assert_eq!(parse_crisis(&crisis(c)), Ok(c));
        prop_assert!(parse_child(&child(c, "tasks", i), "statements").is_err());
    }

    #[test]
    fn only_the_canonical_spelling_of_a_child_name_is_accepted(
        c in id(),
        i in id(),
        spelling in 0usize..4,
    ) {
        let spell = |id: Uuid| match spelling {
            0 => id.hyphenated().to_string().to_uppercase(),
            1 => id.simple().to_string(),
            2 => id.braced().to_string(),
            _ => id.urn().to_string(),
        };
        let name = format!("crises/{}/tasks/{}", spell(c), i);
        prop_assert!(parse_child(&name, "tasks").is_err(), "{} was accepted", name);
        let name = format!("crises/{}/tasks/{}", c, spell(i));
        prop_assert!(parse_child(&name, "tasks").is_err(), "{} was accepted", name);
    }

    #[test]
    fn any_text_is_a_name_written_back_as_given_or_refused(name in prop_oneof![
        ".{0,100}",
        "crises/[0-9a-fA-F{}:-]{30,45}/tasks/[0-9a-fA-F-]{30,40}",
    ]) {
        if let Ok((c, i)) = parse_child(&name, "tasks") {
            prop_assert_eq!(child(c, "tasks", i), name.clone());
        }
        for (parse, prefix) in [
            (parse_crisis as fn(&str) -> Result<Uuid, NameError>, "crises/"),
            (parse_warning, "warnings/"),
            (parse_plan_template, "planTemplates/"),
        ] {
            if let Ok(id) = parse(&name) {
                prop_assert_eq!(format!("{prefix}{id}"), name.clone());
            }
        }
    }
}
