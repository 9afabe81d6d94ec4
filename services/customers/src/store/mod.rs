//! The customers schema in SQL. Functions take a `&mut PgConnection` so the
//! caller decides the transaction; every write of one request happens in one
//! transaction. No business rules here beyond what SQL does best (filters,
//! counts); the rules live in `domain`.

pub mod activity;
pub mod churn;
pub mod codes;
pub mod customers;
pub mod standing;

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

impl From<codes::UnknownCode> for StoreError {
    fn from(error: codes::UnknownCode) -> Self {
        StoreError::Corrupt(error.to_string())
    }
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

/// A stored timestamp as jiff's.
pub(crate) fn ts(value: jiff_sqlx::Timestamp) -> Timestamp {
    value.to_jiff()
}

/// An optional stored timestamp as jiff's.
pub(crate) fn ts_opt(value: Option<jiff_sqlx::Timestamp>) -> Option<Timestamp> {
    value.map(jiff_sqlx::Timestamp::to_jiff)
}
