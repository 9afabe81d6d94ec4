//! The notifications schema in SQL. Queue operations work on whole batches
//! (arrays bound with `unnest`) so that a worker pays a few statements per
//! few hundred messages, not per message. No business rules here; they live
//! in `domain` and `delivery`.

pub mod broadcasts;
pub mod contacts;
pub mod inbox;
pub mod messages;
pub mod preferences;
pub mod templates;

use jiff::Timestamp;

pub use redress_platform::db::StoreError;

pub(crate) use redress_platform::db::{ts, ts_opt};

/// Microseconds since the epoch, for binding arrays of times (read back in
/// SQL with `micros()`-style arithmetic).
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}
