//! The complaints schema in SQL. Functions take a `&mut PgConnection` so the
//! caller decides the transaction; every write of one request happens in one
//! transaction. No business rules here beyond what SQL does best (filters,
//! counts, percentiles); the rules live in `domain`.

pub mod complaints;
pub mod follow_ups;
pub mod goodwill;
pub mod history;
pub mod improvement;
pub mod insights;
pub mod notes;
pub mod ownership;
pub mod recovery;
pub mod scope;
pub mod sla;
pub mod stats;
pub mod surveys;
pub mod teams;

pub use redress_platform::db::StoreError;

/// A stored code read back as its value, or a [`StoreError::Corrupt`].
pub(crate) fn code<T>(
    text: &str,
    what: &str,
    from_code: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    from_code(text).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {text:?}")))
}

/// An optional stored code ("" for none).
pub(crate) fn optional_code<T>(
    text: &str,
    what: &str,
    from_code: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    if text.is_empty() {
        Ok(None)
    } else {
        code(text, what, from_code).map(Some)
    }
}

pub(crate) use redress_platform::db::{ts, ts_opt};
