//! What a service's SQL layer reports, and how it reaches a caller: a
//! database failure as [`ApiError`]'s mapping of `sqlx` errors (UNAVAILABLE
//! when the database cannot be reached), stored data this version cannot read
//! as INTERNAL, logged by kind.

use crate::error::ApiError;

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
