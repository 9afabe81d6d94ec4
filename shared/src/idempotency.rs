//! Safe retries (AIP-155): a create or command that carries a `request_id`
//! returns its first answer when repeated.
//!
//! The key is claimed inside the same transaction as the change it guards.
//! A concurrent repeat blocks on the key's unique index until the first
//! transaction commits (then it replays the stored answer) or rolls back
//! (then it proceeds as the first). The same id with a different request is
//! refused (INVALID_ARGUMENT on `request_id`), so a client bug cannot turn one answer into another request's.
//!
//! Each service keeps its keys in its own schema, in a table `request_ids`
//! its first migration creates: `operation text, request_id uuid, caller
//! text, fingerprint bytea, response bytea, create_time timestamptz`, keyed
//! by `(operation, request_id)` (see the customers service's migration).

use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::{ApiError, FieldViolations};

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// No `request_id` was given: perform the operation, record nothing.
    Untracked,
    /// First time: perform the operation, then [`Claim::finish`].
    Fresh(Key),
    /// A repeat: return the stored answer without doing anything.
    Replay(Vec<u8>),
}

/// A claimed key, to be finished with the answer in the same transaction.
#[derive(Debug)]
pub struct Key {
    operation: &'static str,
    request_id: Uuid,
}

/// Parses a `request_id` field: empty means none; otherwise a UUID.
pub fn parse_request_id(raw: &str) -> Result<Option<Uuid>, &'static str> {
    if raw.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(raw)
        .map(Some)
        .map_err(|_| "must be a UUID, such as 0191e5a0-7c9e-7a55-8d2f-35c6a1b0f2e4")
}

/// Parses the `request_id` field of a request, recording a violation on
/// `request_id` in `v` when it is not a UUID.
pub fn request_id_field(v: &mut FieldViolations, raw: &str) -> Option<Uuid> {
    v.check("request_id", parse_request_id(raw)).flatten()
}

/// The fingerprint of `request` with its `request_id` cleared by `clear`.
pub fn fingerprint_of<M: Message + Clone>(request: &M, clear: impl FnOnce(&mut M)) -> Vec<u8> {
    let mut copy = request.clone();
    clear(&mut copy);
    fingerprint(&copy.encode_to_vec())
}

/// Decodes the stored answer of a repeated request.
pub fn replay<M: Message + Default>(bytes: &[u8]) -> Result<M, ApiError> {
    M::decode(bytes).map_err(|_| {
        tracing::error!("a stored idempotent response does not decode");
        ApiError::Internal
    })
}

/// A fingerprint of a request, to tell a repeat from a reuse of its id. Pass
/// the encoded request with its `request_id` cleared.
pub fn fingerprint(encoded_request: &[u8]) -> Vec<u8> {
    Sha256::digest(encoded_request).to_vec()
}

impl Claim {
    /// Claims `request_id` for `operation` within the caller's transaction.
    pub async fn take(
        conn: &mut PgConnection,
        operation: &'static str,
        request_id: Option<Uuid>,
        caller: &str,
        fingerprint: &[u8],
    ) -> Result<Claim, ApiError> {
        let Some(request_id) = request_id else {
            return Ok(Claim::Untracked);
        };
        let inserted = sqlx::query(
            "INSERT INTO request_ids (operation, request_id, caller, fingerprint)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (operation, request_id) DO NOTHING",
        )
        .bind(operation)
        .bind(request_id)
        .bind(caller)
        .bind(fingerprint)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::Fresh(Key {
                operation,
                request_id,
            }));
        }
        let (stored_fingerprint, response): (Vec<u8>, Option<Vec<u8>>) = sqlx::query_as(
            "SELECT fingerprint, response FROM request_ids
             WHERE operation = $1 AND request_id = $2",
        )
        .bind(operation)
        .bind(request_id)
        .fetch_one(&mut *conn)
        .await?;
        match response {
            Some(response) if stored_fingerprint == fingerprint => Ok(Claim::Replay(response)),
            Some(_) => Err(ApiError::invalid(
                "request_id",
                "was already used for a different request; use a new request_id",
            )),
            // Claimed but never finished within a committed transaction: the
            // operation chose not to record an answer (it failed and its
            // error was committed nowhere). Treat as a conflict to retry.
            None => Err(ApiError::Aborted {
                reason: "REQUEST_IN_PROGRESS",
                message: "a request with this request_id is in progress; retry".to_string(),
            }),
        }
    }

    /// Records the answer of a fresh claim; a no-op otherwise.
    pub async fn finish(self, conn: &mut PgConnection, response: &[u8]) -> Result<(), ApiError> {
        if let Claim::Fresh(key) = self {
            sqlx::query(
                "UPDATE request_ids SET response = $3
                 WHERE operation = $1 AND request_id = $2",
            )
            .bind(key.operation)
            .bind(key.request_id)
            .bind(response)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// Forgets answers older than `before`: a retry comes within minutes, not
/// days, and stored answers may hold personal data. Returns how many were
/// forgotten.
pub async fn prune(pool: &sqlx::PgPool, before: jiff::Timestamp) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM request_ids WHERE create_time < $1")
        .bind(jiff_sqlx::Timestamp::from(before))
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_request_id_means_untracked_and_garbage_is_refused() {
        assert_eq!(parse_request_id(""), Ok(None));
        assert!(parse_request_id("not-a-uuid").is_err());
        let id = Uuid::now_v7();
        assert_eq!(parse_request_id(&id.to_string()), Ok(Some(id)));
    }

    #[test]
    fn different_requests_have_different_fingerprints() {
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_eq!(fingerprint(b"a"), fingerprint(b"a"));
    }
}
