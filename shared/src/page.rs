//! Keyset pagination (AIP-158): page sizes and opaque page tokens.
//!
//! A page token carries the sort key of the last item returned and a
//! fingerprint of the request's filters, so that a token used with other
//! filters is refused rather than silently giving the wrong page. Tokens are
//! opaque to callers (base64url of a small versioned binary form) but not
//! secret: they hold only ids and timestamps the caller has already seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::FieldViolations;

/// The page size when a request asks for none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page; larger requests are coerced down to it (AIP-158).
pub const MAX_PAGE_SIZE: u32 = 1000;

const TOKEN_VERSION: u8 = 1;
const FINGERPRINT_LEN: usize = 8;
/// Longest cursor a token may carry; keys are ids and timestamps.
const MAX_CURSOR_LEN: usize = 512;

/// Why a page size or token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// A negative page size.
    #[error("page size must not be negative")]
    NegativePageSize,
    /// The token is not one this service issued.
    #[error("page token is not valid")]
    Malformed,
    /// The token was issued for other filters.
    #[error("page token was issued for other filters; start again without it")]
    FilterChanged,
}

/// The page size to use: 50 for 0, at most 1000, an error when negative.
pub fn page_size(requested: i32) -> Result<u32, PageError> {
    match requested {
        n if n < 0 => Err(PageError::NegativePageSize),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as u32).min(MAX_PAGE_SIZE)),
    }
}

/// A fingerprint of the list a request was made to and the filters it was
/// made with. Build it from the list's name (its RPC, such as
/// `"ListSurveys"`) and every filter field, in a fixed order: two lists
/// filtered the same way (the notes and the surveys of one complaint) then
/// still refuse each other's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// Fingerprints the list named `list` with the given filter values. The
    /// name and each part are hashed with their lengths before them, so no
    /// choice of parts can pass for another list's name or other parts.
    pub fn of(list: &'static str, parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        for part in std::iter::once(list.as_bytes()).chain(parts.iter().copied()) {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        let digest = hasher.finalize();
        let mut out = [0u8; FINGERPRINT_LEN];
        out.copy_from_slice(&digest[..FINGERPRINT_LEN]);
        Self(out)
    }
}

/// Where the next page starts: the sort key of the last item returned, as
/// the list's own encoding of it (for example a UUID's bytes, or a timestamp
/// and a UUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    /// The filters the token belongs to.
    pub fingerprint: Fingerprint,
    /// The last key returned; never empty, at most 512 bytes.
    pub cursor: Vec<u8>,
}

impl PageToken {
    /// Encodes the token for the wire.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(1 + FINGERPRINT_LEN + self.cursor.len());
        bytes.push(TOKEN_VERSION);
        bytes.extend_from_slice(&self.fingerprint.0);
        bytes.extend_from_slice(&self.cursor);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes a token from the wire and checks it belongs to `fingerprint`.
    /// An empty token means the first page (`Ok(None)`).
    pub fn decode(token: &str, fingerprint: Fingerprint) -> Result<Option<Vec<u8>>, PageError> {
        if token.is_empty() {
            return Ok(None);
        }
        if token.len() > 2 * (1 + FINGERPRINT_LEN + MAX_CURSOR_LEN) {
            return Err(PageError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| PageError::Malformed)?;
        let (version, rest) = bytes.split_first().ok_or(PageError::Malformed)?;
        if *version != TOKEN_VERSION || rest.len() <= FINGERPRINT_LEN {
            return Err(PageError::Malformed);
        }
        let (fp, cursor) = rest.split_at(FINGERPRINT_LEN);
        if cursor.len() > MAX_CURSOR_LEN {
            return Err(PageError::Malformed);
        }
        if fp != fingerprint.0 {
            return Err(PageError::FilterChanged);
        }
        Ok(Some(cursor.to_vec()))
    }
}

/// Builds the next page token from a page fetched with one row more than the
/// page size: when the extra row is there, it is dropped and a token pointing
/// after the last kept row is returned.
pub fn next_page<T>(
    mut rows: Vec<T>,
    size: u32,
    fingerprint: Fingerprint,
    cursor_of: impl Fn(&T) -> Vec<u8>,
) -> (Vec<T>, String) {
    if rows.len() > size as usize {
        rows.truncate(size as usize);
        let token = rows
            .last()
            .map(|last| {
                PageToken {
                    fingerprint,
                    cursor: cursor_of(last),
                }
                .encode()
            })
            .unwrap_or_default();
        (rows, token)
    } else {
        (rows, String::new())
    }
}

/// Reads a page request for the list whose filters hash to `fingerprint`:
/// the page size, and the cursor of the token (none on the first page),
/// recording a violation per bad field.
pub fn page_args(
    v: &mut FieldViolations,
    page_size: i32,
    page_token: &str,
    fingerprint: Fingerprint,
) -> (Option<u32>, Option<Vec<u8>>) {
    let size = v.check("page_size", self::page_size(page_size));
    let after = v
        .check("page_token", PageToken::decode(page_token, fingerprint))
        .flatten();
    (size, after)
}

/// A `(time, id)` keyset cursor, for lists ordered by creation time and id.
pub fn encode_time_id(time: Timestamp, id: Uuid) -> Vec<u8> {
    let mut bytes = time.as_nanosecond().to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    bytes
}

/// The `(time, id)` of a cursor made by [`encode_time_id`].
pub fn decode_time_id(bytes: &[u8]) -> Result<(Timestamp, Uuid), PageError> {
    if bytes.len() != 32 {
        return Err(PageError::Malformed);
    }
    let (time, id) = bytes.split_at(16);
    let nanos = i128::from_be_bytes(time.try_into().map_err(|_| PageError::Malformed)?);
    let time = Timestamp::from_nanosecond(nanos).map_err(|_| PageError::Malformed)?;
    let id = Uuid::from_slice(id).map_err(|_| PageError::Malformed)?;
    Ok((time, id))
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_and_id_cursor_reads_back_and_a_short_one_is_malformed() {
        let (time, id) = (Timestamp::now(), Uuid::now_v7());
        assert_eq!(decode_time_id(&encode_time_id(time, id)), Ok((time, id)));
        assert_eq!(decode_time_id(&[0; 31]), Err(PageError::Malformed));
    }
    use proptest::prelude::*;

    #[test]
    fn page_size_defaults_clamps_and_refuses_negatives() {
        assert_eq!(page_size(0), Ok(50));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(5000), Ok(1000));
        assert_eq!(page_size(-1), Err(PageError::NegativePageSize));
    }

    #[test]
    fn a_token_for_other_filters_is_refused() {
        let token = PageToken {
            fingerprint: Fingerprint::of("ListThings", &[b"grade=A"]),
            cursor: vec![1, 2, 3],
        }
        .encode();
        assert_eq!(
            PageToken::decode(&token, Fingerprint::of("ListThings", &[b"grade=B"])),
            Err(PageError::FilterChanged)
        );
    }

    #[test]
    fn next_page_drops_the_extra_row_and_points_after_the_last_kept_one() {
        let fp = Fingerprint::of("ListThings", &[]);
        let (rows, token) = next_page(vec![1u8, 2, 3], 2, fp, |r| vec![*r]);
        assert_eq!(rows, [1, 2]);
        assert_eq!(PageToken::decode(&token, fp), Ok(Some(vec![2])));
        let (rows, token) = next_page(vec![1u8, 2], 2, fp, |r| vec![*r]);
        assert_eq!(rows, [1, 2]);
        assert!(token.is_empty());
    }

    proptest! {
        #[test]
        fn tokens_round_trip(cursor in proptest::collection::vec(any::<u8>(), 1..MAX_CURSOR_LEN),
                             filter in proptest::collection::vec(any::<u8>(), 0..64)) {
            let fingerprint = Fingerprint::of("ListThings", &[&filter]);
            let token = PageToken { fingerprint, cursor: cursor.clone() }.encode();
            prop_assert_eq!(PageToken::decode(&token, fingerprint), Ok(Some(cursor)));
        }

        #[test]
        fn any_string_decodes_to_a_cursor_or_a_typed_error_never_a_panic(token in ".{0,600}") {
            let _ = PageToken::decode(&token, Fingerprint::of("ListThings", &[]));
        }

        #[test]
        fn a_tampered_token_is_refused_or_still_well_formed(
            cursor in proptest::collection::vec(any::<u8>(), 1..64),
            flip in 0usize..100,
        ) {
            let fingerprint = Fingerprint::of("ListThings", &[b"f"]);
            let mut token = PageToken { fingerprint, cursor }.encode().into_bytes();
            let i = flip % token.len();
            token[i] = if token[i] == b'A' { b'B' } else { b'A' };
            let token = String::from_utf8(token).expect("ascii");
            if let Ok(Some(decoded)) = PageToken::decode(&token, fingerprint) {
                prop_assert!(!decoded.is_empty() && decoded.len() <= MAX_CURSOR_LEN);
            }
        }
    }
}
