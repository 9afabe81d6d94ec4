//! Resource names: `crises/{id}`, `warnings/{id}`, `planTemplates/{id}`,
//! and the children of a crisis (`crises/{c}/tasks/{t}`, `statements`,
//! `customerLinks`, `regulatorReports`, `statusReports`, `review`); and the
//! names of other services' resources held here (`customers/{id}`,
//! `complaints/{id}`).

use redress_platform::names::{NameError, parse_id};
use uuid::Uuid;

/// `crises/{id}`.
pub fn crisis(id: Uuid) -> String {
    format!("crises/{id}")
}

/// `warnings/{id}`.
pub fn warning(id: Uuid) -> String {
    format!("warnings/{id}")
}

/// `planTemplates/{id}`.
pub fn plan_template(id: Uuid) -> String {
    format!("planTemplates/{id}")
}

/// `crises/{crisis}/{collection}/{id}`.
pub fn child(crisis: Uuid, collection: &str, id: Uuid) -> String {
    format!("crises/{crisis}/{collection}/{id}")
}

/// `customers/{id}`.
pub fn customer(id: Uuid) -> String {
    format!("customers/{id}")
}

/// `complaints/{id}`.
pub fn complaint(id: Uuid) -> String {
    format!("complaints/{id}")
}

/// Parses `crises/{id}`.
pub fn parse_crisis(name: &str) -> Result<Uuid, NameError> {
    parse_id(name, "crises/", "crises/{id}")
}

/// Parses `warnings/{id}`.
pub fn parse_warning(name: &str) -> Result<Uuid, NameError> {
    parse_id(name, "warnings/", "warnings/{id}")
}

/// Parses `planTemplates/{id}`.
pub fn parse_plan_template(name: &str) -> Result<Uuid, NameError> {
    parse_id(name, "planTemplates/", "planTemplates/{id}")
}

/// Parses `customers/{id}`.
pub fn parse_customer(name: &str) -> Result<Uuid, NameError> {
    parse_id(name, "customers/", "customers/{id}")
}

/// Parses `complaints/{id}`.
pub fn parse_complaint(name: &str) -> Result<Uuid, NameError> {
    parse_id(name, "complaints/", "complaints/{id}")
}

/// Parses `crises/{crisis}/{collection}/{id}` into both ids.
pub fn parse_child(name: &str, collection: &str) -> Result<(Uuid, Uuid), NameError> {
    let shape = "crises/{crisis}/<collection>/{id}";
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let rest = name
        .strip_prefix("crises/")
        .ok_or(NameError::Shape(shape))?;
    let (crisis, rest) = rest.split_once('/').ok_or(NameError::Shape(shape))?;
    let id = rest
        .strip_prefix(collection)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or(NameError::Shape(shape))?;
    // Only the canonical spelling, so one resource never has two names.
    let canonical = |text: &str| {
        Uuid::parse_str(text)
            .ok()
            .filter(|id| id.hyphenated().to_string() == text)
            .ok_or(NameError::Shape(shape))
    };
    let crisis = canonical(crisis)?;
    let id = canonical(id)?;
    Ok((crisis, id))
}

#[cfg(test)]
mod props;
