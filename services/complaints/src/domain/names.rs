//! Resource names (AIP-122) of what this service owns, `complaints/{id}` and
//! what hangs off a complaint, with UUIDv7 ids; `teams/{id}`; the human
//! reference `C-2026-000123`; and the customers service's `customers/{id}`,
//! checked for shape only (that service owns them).

use uuid::Uuid;

pub use redress_platform::names::NameError;
use redress_platform::names::parse_id;

/// The id in `complaints/{id}`.
pub fn parse_complaint(input: &str) -> Result<Uuid, NameError> {
    parse_id(input, "complaints/", "complaints/{uuid}")
}

/// `complaints/{id}`.
pub fn complaint(id: Uuid) -> String {
    format!("complaints/{id}")
}

/// The id in `customers/{id}`.
pub fn parse_customer(input: &str) -> Result<Uuid, NameError> {
    parse_id(input, "customers/", "customers/{uuid}")
}

/// `customers/{id}`.
pub fn customer(id: Uuid) -> String {
    format!("customers/{id}")
}

/// Parses `complaints/{complaint}/{collection}/{id}` into both ids.
fn parse_child(
    input: &str,
    collection: &str,
    shape: &'static str,
) -> Result<(Uuid, Uuid), NameError> {
    if input.is_empty() {
        return Err(NameError::Empty);
    }
    let mut parts = input.split('/');
    let (Some("complaints"), Some(complaint), Some(kind), Some(id), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(NameError::Shape(shape));
    };
    if kind != collection {
        return Err(NameError::Shape(shape));
    }
    let parse = |text: &str| {
        Uuid::parse_str(text)
            .ok()
            .filter(|id| id.hyphenated().to_string() == text)
            .ok_or(NameError::Shape(shape))
    };
    Ok((parse(complaint)?, parse(id)?))
}

/// The ids in `complaints/{complaint}/handOffs/{id}`.
pub fn parse_hand_off(input: &str) -> Result<(Uuid, Uuid), NameError> {
    parse_child(input, "handOffs", "complaints/{uuid}/handOffs/{uuid}")
}

/// `complaints/{complaint}/handOffs/{id}`.
pub fn hand_off(complaint: Uuid, id: Uuid) -> String {
    format!("complaints/{complaint}/handOffs/{id}")
}

/// The ids in `complaints/{complaint}/assists/{id}`.
pub fn parse_assist(input: &str) -> Result<(Uuid, Uuid), NameError> {
    parse_child(input, "assists", "complaints/{uuid}/assists/{uuid}")
}

/// `complaints/{complaint}/assists/{id}`.
pub fn assist(complaint: Uuid, id: Uuid) -> String {
    format!("complaints/{complaint}/assists/{id}")
}

/// The ids in `complaints/{complaint}/goodwill/{id}`.
pub fn parse_goodwill(input: &str) -> Result<(Uuid, Uuid), NameError> {
    parse_child(input, "goodwill", "complaints/{uuid}/goodwill/{uuid}")
}

/// `complaints/{complaint}/goodwill/{id}`.
pub fn goodwill(complaint: Uuid, id: Uuid) -> String {
    format!("complaints/{complaint}/goodwill/{id}")
}

/// `complaints/{complaint}/notes/{id}`.
pub fn note(complaint: Uuid, id: Uuid) -> String {
    format!("complaints/{complaint}/notes/{id}")
}

/// The ids in `complaints/{complaint}/surveys/{id}`.
pub fn parse_survey(input: &str) -> Result<(Uuid, Uuid), NameError> {
    parse_child(input, "surveys", "complaints/{uuid}/surveys/{uuid}")
}

/// `complaints/{complaint}/surveys/{id}`.
pub fn survey(complaint: Uuid, id: Uuid) -> String {
    format!("complaints/{complaint}/surveys/{id}")
}

/// The ids in `complaints/{complaint}/followUps/{id}`.
pub fn parse_follow_up(input: &str) -> Result<(Uuid, Uuid), NameError> {
    parse_child(input, "followUps", "complaints/{uuid}/followUps/{uuid}")
}

/// `complaints/{complaint}/followUps/{id}`.
pub fn follow_up(complaint: Uuid, id: Uuid) -> String {
    format!("complaints/{complaint}/followUps/{id}")
}

/// Longest team id.
const MAX_TEAM_ID: usize = 63;

/// Checks a team id: lower-case letters, digits, `-` and `_`, 1 to 63.
pub fn check_team_id(id: &str) -> Result<(), NameError> {
    const SHAPE: &str = "1 to 63 of a-z, 0-9, '-' and '_'";
    if id.is_empty() {
        return Err(NameError::Empty);
    }
    let ok = id.len() <= MAX_TEAM_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(NameError::Shape(SHAPE))
    }
}

/// The id in `teams/{id}`.
pub fn parse_team(input: &str) -> Result<String, NameError> {
    if input.is_empty() {
        return Err(NameError::Empty);
    }
    let id = input
        .strip_prefix("teams/")
        .ok_or(NameError::Shape("teams/{id}"))?;
    check_team_id(id)
        .map_err(|_| NameError::Shape("teams/{id} with an id of a-z, 0-9, '-', '_'"))?;
    Ok(id.to_owned())
}

/// `teams/{id}`, or empty for no team.
pub fn team(id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!("teams/{id}")
    }
}

/// The human reference of the `number`th complaint, received in `year`:
/// `C-2026-000123` (at least six digits).
pub fn reference(year: i16, number: i64) -> String {
    format!("C-{year}-{number:06}")
}

/// Whether `input` has the shape of a reference (`C-2026-000123`).
pub fn is_reference(input: &str) -> bool {
    let mut parts = input.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("C"), Some(year), Some(number), None)
            if year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && number.len() >= 6
                && number.bytes().all(|b| b.is_ascii_digit())
    )
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_shapes_are_refused() {
        let c = Uuid::now_v7();
        let h = Uuid::now_v7();
        assert_eq!(parse_complaint(&complaint(c)), Ok(c));
        assert_eq!(parse_hand_off(&hand_off(c, h)), Ok((c, h)));
        assert_eq!(parse_assist(&assist(c, h)), Ok((c, h)));
        assert!(parse_hand_off(&assist(c, h)).is_err());
        assert!(parse_complaint("complaints/not-a-uuid").is_err());
        assert_eq!(parse_complaint(""), Err(NameError::Empty));
        assert!(parse_hand_off(&format!("{}/extra", hand_off(c, h))).is_err());
        assert_eq!(parse_team("teams/billing-2"), Ok("billing-2".to_owned()));
        assert!(parse_team("teams/Billing").is_err());
        assert!(parse_team("billing").is_err());
        assert_eq!(team(""), "");
    }

    #[test]
    fn references_have_the_year_and_at_least_six_digits() {
        assert_eq!(reference(2026, 123), "C-2026-000123");
        assert_eq!(reference(2027, 1_234_567), "C-2027-1234567");
        assert!(is_reference("C-2026-000123"));
        assert!(!is_reference("C-2026-123"));
        assert!(!is_reference("complaints/x"));
    }
}
