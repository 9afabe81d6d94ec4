//! Pages of this service's lists (AIP-158 over the platform's page tokens):
//! the platform's reading of `page_size` and `page_token` and its `(time,
//! id)` cursor, and this service's sequence-number cursors.

use jiff::Timestamp;
use redress_platform::error::ApiError;
use redress_platform::page;
pub(super) use redress_platform::page::{encode_time_id, page_args};
use uuid::Uuid;

/// The error of a token this list did not make.
pub(super) fn bad_token() -> ApiError {
    ApiError::invalid("page_token", "is not a token of this list")
}

/// A sequence-number cursor as bytes.
pub(super) fn encode_sequence(sequence: i64) -> Vec<u8> {
    sequence.to_be_bytes().to_vec()
}

/// The sequence number after which a page starts: 0 on the first page.
pub(super) fn decode_sequence(after: Option<Vec<u8>>) -> Result<i64, ApiError> {
    match after {
        None => Ok(0),
        Some(bytes) => Ok(i64::from_be_bytes(
            bytes.try_into().map_err(|_| bad_token())?,
        )),
    }
}

/// The (time, id) of a cursor made by [`encode_time_id`].
pub(super) fn decode_time_id(bytes: &[u8]) -> Result<(Timestamp, Uuid), ApiError> {
    page::decode_time_id(bytes).map_err(|_| bad_token())
}
