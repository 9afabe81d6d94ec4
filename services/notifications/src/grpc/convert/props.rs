//! Property tests of the checks every notifications request uses, against
//! hostile input: template variables are accepted only when a template can
//! name them and PostgreSQL can store them (no NUL, within the size limit),
//! every refusal names its field, a field path never carries a name the
//! caller made up, and an over-long map is one violation; a channel list is
//! distinct channels or refusals on exactly its bad positions, an over-long
//! one once as a whole; every enum number (channel, style) is a value,
//! unspecified, or refused, and reads back; a recipient or locale is read
//! or refused on its field, never a panic.

use std::collections::{BTreeSet, HashMap};

use proptest::collection::{hash_map, vec};
use proptest::prelude::*;

use super::*;
use crate::domain::template::split_localised;

/// Names a caller may give a variable: good ones, localised ones, and ones
/// that are no name at all (NUL, path syntax, upper case, too long).
fn hostile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z_][a-z0-9_]{0,10}",
        2 => "[a-z_]{1,8}@(en|de-CH|zh-Hant|EN-gb|x|12)",
        1 => ".{0,12}",
        1 => "[a-z\\x00\\]\\[.@ -]{1,8}",
        1 => (60usize..70).prop_map(|n| "v".repeat(n)),
    ]
}

/// Values a caller may give: text, control characters and NUL, odd
/// Unicode, and values about as long as the limit.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ".{0,20}",
        2 => "[a-z \\x00-\\x1f]{0,6}",
        1 => "\\PC{0,30}",
        1 => (MAX_VALUE - 1..MAX_VALUE + 2).prop_map(|n| "x".repeat(n)),
    ]
}

/// A variables map of a usual size, or one about as large as its cap.
fn variables_map() -> impl Strategy<Value = HashMap<String, String>> {
    prop_oneof![
        4 => hash_map(hostile_name(), hostile_value(), 0..6),
        1 => hash_map("[a-z]{1,12}", "[a-z]{0,3}", MAX_VARIABLES - 1..MAX_VARIABLES + 3),
    ]
}

/// The fields of `v`'s violations, in order.
fn fields(v: &FieldViolations) -> Vec<String> {
    v.violations().iter().map(|x| x.field.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accepted_variables_are_named_storable_and_within_limits(given in variables_map()) {
        let mut v = FieldViolations::new();

        let accepted = variables(&given, "message.variables", &mut v);

        for (name, value) in &accepted {
            prop_assert!(split_localised(name).is_some(), "{:?}", name);
            prop_assert!(!value.contains('\0') && value.len() <= MAX_VALUE);
            prop_assert_eq!(Some(value), given.get(name));
        }
        prop_assert_eq!(v.is_empty(), accepted.len() == given.len());
    }

    #[test]
    fn every_refused_variable_is_named_by_a_safe_path_each_once(given in variables_map()) {
        let mut v = FieldViolations::new();

        let accepted = variables(&given, "message.variables", &mut v);

        let got = fields(&v);
        let unique: BTreeSet<&String> = got.iter().collect();
        prop_assert_eq!(unique.len(), got.len(), "a field reported twice: {:?}", got);
        for field in &got {
            let name = field
                .strip_prefix("message.variables[")
                .and_then(|rest| rest.strip_suffix(']'));
            match name {
                None => prop_assert_eq!(field, "message.variables"),
                Some(name) => {
                    // A path names a real variable by a name a template
                    // could declare: no NUL, no brackets, no dots.
                    prop_assert!(split_localised(name).is_some(), "{:?}", field);
                    prop_assert!(given.contains_key(name));
                    prop_assert!(!accepted.contains_key(name));
                }
            }
        }
        for (name, value) in &given {
            if given.len() > MAX_VARIABLES || split_localised(name).is_none() {
                prop_assert!(got.iter().any(|f| f == "message.variables"));
            } else if value.contains('\0') || value.len() > MAX_VALUE {
                let path = format!("message.variables[{name}]");
                prop_assert!(got.contains(&path), "{} not in {:?}", path, got);
            }
        }
    }

    #[test]
    fn an_over_long_variables_map_is_one_violation_on_the_map(
        given in hash_map(hostile_name(), hostile_value(), MAX_VARIABLES + 1..MAX_VARIABLES + 40),
    ) {
        let mut v = FieldViolations::new();

        let accepted = variables(&given, "broadcast.variables", &mut v);

        prop_assert!(accepted.is_empty());
        prop_assert_eq!(fields(&v), ["broadcast.variables"]);
    }

    #[test]
    fn a_channel_list_is_distinct_channels_or_refusals_at_its_bad_positions(
        values in prop_oneof![
            4 => vec(-2i32..8, 0..8),
            1 => vec(any::<i32>(), 0..4),
            1 => vec(0i32..6, MAX_CHANNELS - 1..MAX_CHANNELS + 3),
        ],
    ) {
        let mut v = FieldViolations::new();

        let channels = channel_list(&values, "contact.channels", &mut v);

        let got = fields(&v);
        let distinct: BTreeSet<&str> = channels.iter().map(|c| c.code()).collect();
        prop_assert_eq!(distinct.len(), channels.len());
        if values.len() > MAX_CHANNELS {
            prop_assert!(channels.is_empty());
            prop_assert_eq!(got, ["contact.channels"]);
        } else {
            prop_assert_eq!(channels.len() + got.len(), values.len());
            for (i, value) in values.iter().enumerate() {
                let path = format!("contact.channels[{i}]");
                let read = Channel::from_wire(*value).ok().flatten();
                match read {
                    Some(c) if channels.contains(&c) && !got.contains(&path) => {
                        prop_assert_eq!(c.to_wire(), *value);
                    }
                    _ => prop_assert!(got.contains(&path), "{} not in {:?}", path, got),
                }
            }
        }
    }

    #[test]
    fn a_channel_or_style_number_is_a_value_unspecified_or_refused(value in prop_oneof![
        4 => -2i32..8,
        1 => any::<i32>(),
    ]) {
        let mut v = FieldViolations::new();

        let channel = channel_opt(value, "lookup.channel", &mut v);
        let style = style_code(value, "lookup.style", &mut v);

        match channel {
            Some(c) => prop_assert_eq!(channel_wire(c.code()), value),
            None => prop_assert_eq!(
                value == 0,
                !fields(&v).contains(&"lookup.channel".to_owned())
            ),
        }
        prop_assert_eq!(style_wire(style), if style.is_empty() { 0 } else { value });
        prop_assert_eq!(
            pb::Style::try_from(value).is_err(),
            fields(&v).contains(&"lookup.style".to_owned())
        );
    }

    #[test]
    fn a_recipient_or_locale_is_read_and_storable_or_refused_on_its_field(
        text in prop_oneof![
            2 => "(customers|agents|teams)/[a-z0-9@._:-]{0,12}",
            1 => "customers/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            2 => "(en|de-CH|zh-Hant-TW|x-private|EN-gb)",
            2 => ".{0,40}",
            1 => "[a-z/\\x00-\\x1f-]{0,12}",
        ],
    ) {
        let mut v = FieldViolations::new();

        let recipient = recipient(&text, "message.recipient", &mut v);
        let recipient_refused = fields(&v) == ["message.recipient"];
        let mut w = FieldViolations::new();
        let locale = locale(&text, "template.locale", &mut w);

        match recipient {
            Some(r) => {
                let name = r.to_string();
                prop_assert!(v.is_empty());
                prop_assert!(!name.contains('\0'));
                prop_assert_eq!(Recipient::parse(&name), Ok(r));
            }
            None => prop_assert!(recipient_refused),
        }
        if w.is_empty() {
            prop_assert!(!locale.as_str().contains('\0') && locale.as_str().len() <= 35);
        } else {
            prop_assert_eq!(fields(&w), ["template.locale"]);
        }
    }
}
