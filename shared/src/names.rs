//! Resource names (AIP-122) of the shape `<collection>/{uuid}`: the one
//! parser every service's names module builds on, so that every service
//! refuses the same malformed names with the same words.

use uuid::Uuid;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Missing.
    #[error("must not be empty")]
    Empty,
    /// Wrong shape.
    #[error("must look like {0}")]
    Shape(&'static str),
}

/// The id in `input`, which must be `prefix` followed by a UUID in its
/// canonical hyphenated lower-case form; `shape` describes the name in the
/// error, such as `customers/{uuid}`.
pub fn parse_id(input: &str, prefix: &str, shape: &'static str) -> Result<Uuid, NameError> {
    if input.is_empty() {
        return Err(NameError::Empty);
    }
    input
        .strip_prefix(prefix)
        .and_then(|id| Uuid::parse_str(id).ok())
        .filter(|id| id.hyphenated().to_string() == input[prefix.len()..])
        .ok_or(NameError::Shape(shape))
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_form_is_a_name() {
        let id = Uuid::now_v7();
        assert_eq!(
            parse_id(&format!("things/{id}"), "things/", "things/{uuid}"),
            Ok(id)
        );
        let upper = format!("things/{}", id.hyphenated().to_string().to_uppercase());
        assert!(parse_id(&upper, "things/", "things/{uuid}").is_err());
        assert_eq!(parse_id("", "things/", "x"), Err(NameError::Empty));
        assert!(parse_id(&format!("other/{id}"), "things/", "x").is_err());
    }
}
