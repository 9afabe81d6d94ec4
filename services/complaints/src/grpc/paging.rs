//! Pages of this service's lists (AIP-158 over the platform's page tokens):
//! reading `page_size` and `page_token` into violations, and the keyset
//! cursors the tokens carry.

use jiff::Timestamp;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint, PageToken};
use uuid::Uuid;

/// The error of a token this list did not make.
pub(super) fn bad_token() -> ApiError {
    ApiError::invalid("page_token", "is not a token of this list")
}

/// Reads a page request for the list whose filters hash to `fp`: the page
/// size, and the cursor of the token (none on the first page), recording a
/// violation per bad field.
pub(super) fn page_args(
    v: &mut FieldViolations,
    page_size: i32,
    page_token: &str,
    fp: Fingerprint,
) -> (Option<u32>, Option<Vec<u8>>) {
    let size = v.check("page_size", page::page_size(page_size));
    let after = v
        .check("page_token", PageToken::decode(page_token, fp))
        .flatten();
    (size, after)
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

/// A (time, id) keyset cursor as bytes.
pub(super) fn encode_time_id(time: Timestamp, id: Uuid) -> Vec<u8> {
    let mut bytes = time.as_nanosecond().to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    bytes
}

/// The (time, id) of a cursor made by [`encode_time_id`].
pub(super) fn decode_time_id(bytes: &[u8]) -> Result<(Timestamp, Uuid), ApiError> {
    if bytes.len() != 32 {
        return Err(bad_token());
    }
    let (time, id) = bytes.split_at(16);
    let nanos = i128::from_be_bytes(time.try_into().map_err(|_| bad_token())?);
    let time = Timestamp::from_nanosecond(nanos).map_err(|_| bad_token())?;
    let id = Uuid::from_slice(id).map_err(|_| bad_token())?;
    Ok((time, id))
}
