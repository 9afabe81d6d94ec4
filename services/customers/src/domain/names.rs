//! Resource names (AIP-122): `customers/{id}` and the names of what hangs off
//! a customer, with UUIDv7 ids. Also the names of other services' resources a
//! customer record may point at (`complaints/{id}`), checked for shape only:
//! the complaints service owns them.

use uuid::Uuid;

pub use redress_platform::names::NameError;
use redress_platform::names::parse_id;

/// The id in `customers/{id}`.
pub fn parse_customer(input: &str) -> Result<Uuid, NameError> {
    parse_id(input, "customers/", "customers/{uuid}")
}

/// `customers/{id}`.
pub fn customer(id: Uuid) -> String {
    format!("customers/{id}")
}

/// `customers/{customer}/transactions/{id}`.
pub fn transaction(customer_id: Uuid, id: Uuid) -> String {
    format!("customers/{customer_id}/transactions/{id}")
}

/// `customers/{customer}/interactions/{id}`.
pub fn interaction(customer_id: Uuid, id: Uuid) -> String {
    format!("customers/{customer_id}/interactions/{id}")
}

/// `customers/{customer}/satisfactionRecords/{id}`.
pub fn satisfaction_record(customer_id: Uuid, id: Uuid) -> String {
    format!("customers/{customer_id}/satisfactionRecords/{id}")
}

/// Checks `complaints/{uuid}`; empty is allowed (no complaint).
pub fn parse_optional_complaint(input: &str) -> Result<Option<String>, NameError> {
    if input.is_empty() {
        return Ok(None);
    }
    parse_id(input, "complaints/", "complaints/{uuid}").map(|_| Some(input.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn customer_names_round_trip_and_other_shapes_are_refused() {
        let id = Uuid::now_v7();
        assert_eq!(parse_customer(&customer(id)), Ok(id));
        assert_eq!(parse_customer(""), Err(NameError::Empty));
        assert!(parse_customer("customer/x").is_err());
        assert!(parse_customer(&format!("customers/{}", id.simple())).is_err());
        assert!(parse_customer(&format!("customers/{id}/x")).is_err());
    }

    #[test]
    fn complaint_names_are_optional_but_well_formed() {
        assert_eq!(parse_optional_complaint(""), Ok(None));
        assert!(parse_optional_complaint("complaints/abc").is_err());
        let name = format!("complaints/{}", Uuid::now_v7());
        assert_eq!(parse_optional_complaint(&name), Ok(Some(name.clone())));
    }

    proptest! {
        #[test]
        fn parsing_any_string_never_panics(input in "\\PC{0,80}") {
            let _ = parse_customer(&input);
            let _ = parse_optional_complaint(&input);
        }
    }
}
