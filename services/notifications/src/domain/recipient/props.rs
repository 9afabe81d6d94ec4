//! Property tests of recipient names: any text is a recipient or a refusal,
//! never a panic, and an accepted name is written back exactly as given,
//! so one recipient never has two names.

use super::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_accepted_name_is_written_back_exactly_as_given(name in prop_oneof![
        ".{0,60}",
        "(customers|agents|teams)/[A-Za-z0-9_.@:/ -]{0,40}",
        any::<u128>().prop_map(|id| format!("customers/{}", Uuid::from_u128(id))),
        (0usize..5_000).prop_map(|n| format!("agents/{}", "a".repeat(n))),
    ]) {
        if let Ok(recipient) = Recipient::parse(&name) {
            prop_assert_eq!(recipient.to_string(), name);
        }
    }
}
