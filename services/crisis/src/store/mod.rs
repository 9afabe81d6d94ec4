//! The crisis schema in SQL. Functions take a `&mut PgConnection` so the
//! caller decides the transaction; every write of one request happens in one
//! transaction, with its timeline entry and its events. No business rules
//! here beyond what SQL does best; the rules live in `domain`.

pub mod affected;
pub mod crises;
pub mod plans;
pub mod records;
pub mod statements;
pub mod tasks;
pub mod team;
pub mod timeline;

pub use redress_platform::db::StoreError;

pub(crate) use redress_platform::db::ts;

/// A stored code read back as its value, or a [`StoreError::Corrupt`].
pub(crate) fn code<T>(
    text: &str,
    what: &str,
    from_code: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    from_code(text).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {text:?}")))
}
pub mod series;
pub mod warnings;
