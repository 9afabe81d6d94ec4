//! Field masks for UpdateCustomer (AIP-134): which paths may be updated, and
//! merging the masked fields of a request into the stored customer, so the
//! result is validated as a whole by the same parser as a create.

use std::collections::BTreeSet;

use redress_platform::error::FieldViolations;
use redress_proto::customers::v1 as pb;

/// The paths UpdateCustomer accepts. `*` means all of them.
pub const UPDATABLE: &[&str] = &[
    "display_name",
    "kind",
    "contact_points",
    "locale",
    "time_zone",
    "preferred_channels",
    "communication_style",
    "consents",
    "industry",
    "business_scope",
    "operating_status",
    "size",
    "tags",
    "key_account_adviser",
    "external_reference",
];

/// The paths to update: the mask's, all for `*`, or, for an empty mask, the
/// fields the request sets (AIP-134's implied mask).
pub fn paths(
    mask: Option<&prost_types::FieldMask>,
    given: &pb::Customer,
) -> Result<BTreeSet<&'static str>, FieldViolations> {
    let mut v = FieldViolations::new();
    let mut out = BTreeSet::new();
    match mask {
        Some(mask) if !mask.paths.is_empty() => {
            for (i, path) in mask.paths.iter().enumerate() {
                if path == "*" {
                    out.extend(UPDATABLE.iter().copied());
                } else if let Some(known) = UPDATABLE.iter().find(|p| **p == path) {
                    out.insert(*known);
                } else {
                    v.add(
                        format!("update_mask.paths[{i}]"),
                        format!(
                            "is not an updatable field; updatable: {}",
                            UPDATABLE.join(", ")
                        ),
                    );
                }
            }
        }
        _ => out.extend(UPDATABLE.iter().copied().filter(|p| is_set(given, p))),
    }
    if v.is_empty() { Ok(out) } else { Err(v) }
}

fn is_set(c: &pb::Customer, path: &str) -> bool {
    match path {
        "display_name" => !c.display_name.is_empty(),
        "kind" => c.kind != 0,
        "contact_points" => !c.contact_points.is_empty(),
        "locale" => !c.locale.is_empty(),
        "time_zone" => !c.time_zone.is_empty(),
        "preferred_channels" => !c.preferred_channels.is_empty(),
        "communication_style" => c.communication_style != 0,
        "consents" => !c.consents.is_empty(),
        "industry" => !c.industry.is_empty(),
        "business_scope" => !c.business_scope.is_empty(),
        "operating_status" => c.operating_status != 0,
        "size" => c.size != 0,
        "tags" => !c.tags.is_empty(),
        "key_account_adviser" => !c.key_account_adviser.is_empty(),
        "external_reference" => !c.external_reference.is_empty(),
        _ => false,
    }
}

/// `stored` with the fields named in `paths` taken from `given`.
pub fn merge(
    mut stored: pb::Customer,
    given: pb::Customer,
    paths: &BTreeSet<&str>,
) -> pb::Customer {
    for path in paths {
        match *path {
            "display_name" => stored.display_name = given.display_name.clone(),
            "kind" => stored.kind = given.kind,
            "contact_points" => stored.contact_points = given.contact_points.clone(),
            "locale" => stored.locale = given.locale.clone(),
            "time_zone" => stored.time_zone = given.time_zone.clone(),
            "preferred_channels" => stored.preferred_channels = given.preferred_channels.clone(),
            "communication_style" => stored.communication_style = given.communication_style,
            "consents" => stored.consents = given.consents.clone(),
            "industry" => stored.industry = given.industry.clone(),
            "business_scope" => stored.business_scope = given.business_scope.clone(),
            "operating_status" => stored.operating_status = given.operating_status,
            "size" => stored.size = given.size,
            "tags" => stored.tags = given.tags.clone(),
            "key_account_adviser" => stored.key_account_adviser = given.key_account_adviser.clone(),
            "external_reference" => stored.external_reference = given.external_reference.clone(),
            _ => {}
        }
    }
    stored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_updatable_path_is_merged() {
        let given = pb::Customer {
            display_name: "x".into(),
            kind: 1,
            contact_points: vec![pb::ContactPoint::default()],
            locale: "nl".into(),
            time_zone: "UTC".into(),
            preferred_channels: vec![1],
            communication_style: 1,
            consents: vec![pb::Consent::default()],
            industry: "i".into(),
            business_scope: "b".into(),
            operating_status: 1,
            size: 1,
            tags: vec!["t".into()],
            key_account_adviser: "a".into(),
            external_reference: "e".into(),
            ..Default::default()
        };
        let all: BTreeSet<&str> = UPDATABLE.iter().copied().collect();
        assert_eq!(paths(None, &given).expect("implied"), all);
        let merged = merge(pb::Customer::default(), given.clone(), &all);
        assert_eq!(merged, given);
    }

    #[test]
    fn unknown_paths_are_violations_naming_their_index() {
        let mask = prost_types::FieldMask {
            paths: vec!["display_name".into(), "value_grade".into()],
        };
        let errors = paths(Some(&mask), &pb::Customer::default()).expect_err("value_grade");
        assert_eq!(errors.violations()[0].field, "update_mask.paths[1]");
    }
}
