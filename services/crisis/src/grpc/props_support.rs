//! What the crisis API's property tests share: ids that repeat, names
//! spelled right and wrong, and when `convert::text` refuses a text.

use proptest::prelude::*;
use uuid::Uuid;

/// An id, often one of a few, so that a list names some twice.
pub fn id() -> impl Strategy<Value = Uuid> {
    prop_oneof![3 => any::<u128>(), 1 => 0u128..4].prop_map(Uuid::from_u128)
}

/// A name made from an id: mostly `{prefix}{id}{suffix}`, sometimes another
/// spelling of the id (upper case, braces, no hyphens), one of the `wrong`
/// prefixes, a NUL, a space before or after, or any text (too short to be
/// a name). Only the first spelling is canonical.
pub fn name_of(
    prefix: &'static str,
    suffix: &'static str,
    wrong: [&'static str; 2],
) -> impl Strategy<Value = (Uuid, String)> {
    let spelled = (id(), 0usize..15).prop_map(move |(id, how)| {
        let name = match how {
            0..=6 => format!("{prefix}{id}{suffix}"),
            7 => format!(
                "{prefix}{}{suffix}",
                id.hyphenated().to_string().to_uppercase()
            ),
            8 => format!("{prefix}{}{suffix}", id.braced()),
            9 => format!("{prefix}{}{suffix}", id.simple()),
            10 => format!("{}{id}{suffix}", wrong[0]),
            11 => format!("{}{id}{suffix}", wrong[1]),
            12 => format!("{prefix}{id}{suffix}\0"),
            13 => format!(" {prefix}{id}{suffix}"),
            _ => format!("{prefix}{id}{suffix} "),
        };
        (id, name)
    });
    prop_oneof![
        8 => spelled,
        1 => (id(), prop_oneof![Just(String::new()), ".{0,40}"]),
    ]
}

/// Whether `convert::text` refuses `value`: blank when required, too long,
/// or holding a NUL.
pub fn bad_text(value: &str, max: usize, required: bool) -> bool {
    (required && value.trim().is_empty()) || value.chars().count() > max || value.contains('\0')
}
