//! The customers schema in SQL. Functions take a `&mut PgConnection` so the
//! caller decides the transaction; every write of one request happens in one
//! transaction. No business rules here beyond what SQL does best (filters,
//! counts); the rules live in `domain`.

pub mod activity;
pub mod churn;
pub mod codes;
pub mod customers;
pub mod outcomes;
pub mod standing;

pub use redress_platform::db::StoreError;

impl From<codes::UnknownCode> for StoreError {
    fn from(error: codes::UnknownCode) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

pub(crate) use redress_platform::db::{ts, ts_opt};
