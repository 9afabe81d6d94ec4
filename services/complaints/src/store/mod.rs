//! The complaints schema in SQL. Functions take a `&mut PgConnection` so the
//! caller decides the transaction; every write of one request happens in one
//! transaction. No business rules here beyond what SQL does best (filters,
//! counts, percentiles); the rules live in `domain`.

pub mod complaints;
pub mod history;
pub mod notes;
pub mod ownership;
pub mod sla;
pub mod stats;
pub mod teams;

use jiff::Timestamp;
use redress_platform::error::ApiError;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A stored value this version cannot read.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether this is a unique violation of `constraint`.
    pub fn violates(&self, constraint: &str) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                db.code().as_deref() == Some("23505") && db.constraint() == Some(constraint)
            }
            _ => false,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(db) => ApiError::from(db),
            StoreError::Corrupt(what) => {
                tracing::error!(%what, "stored data is not readable");
                ApiError::Internal
            }
        }
    }
}

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

/// A stored timestamp as jiff's.
pub(crate) fn ts(value: jiff_sqlx::Timestamp) -> Timestamp {
    value.to_jiff()
}

/// An optional stored timestamp as jiff's.
pub(crate) fn ts_opt(value: Option<jiff_sqlx::Timestamp>) -> Option<Timestamp> {
    value.map(jiff_sqlx::Timestamp::to_jiff)
}
