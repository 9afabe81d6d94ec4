//! Notes and customer-visible messages on a complaint, and its history.
//!
//! The owner (or a supervisor) writes both kinds; someone asked for an
//! assist, or a former owner watching the complaint, adds internal notes but
//! does not speak to the customer for the owner.

use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint, PageToken};
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::{Begun, ComplaintApi, complaint_id, convert, fingerprint, request_id};
use crate::domain::complaint::MAX_LONG_TEXT;
use crate::domain::names;
use crate::events::types;
use crate::store::notes::{self, Note, Visibility};
use crate::store::{history, ownership};

impl ComplaintApi {
    pub(super) async fn add_note(
        &self,
        caller: &Caller,
        r: pb::AddComplaintNoteRequest,
    ) -> Result<pb::AddComplaintNoteResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        let request_id = request_id(&mut v, &r.request_id);
        let Some(given) = r.note.as_ref() else {
            v.add("note", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let visibility = convert::visibility(&mut v, "note.visibility", given.visibility);
        let body = convert::text(&mut v, "note.body", &given.body, MAX_LONG_TEXT, true);
        let attachments = convert::attachments(&mut v, "note.attachments", &given.attachments);
        let assist = if given.assist.is_empty() {
            None
        } else {
            v.check("note.assist", names::parse_assist(&given.assist))
        };
        if let (Some(id), Some((of, _))) = (id, assist)
            && of != id
        {
            v.add("note.assist", "is an assist of another complaint");
        }
        v.into_result()?;
        let (Some(id), Some(visibility)) = (id, visibility) else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin("AddComplaintNote", caller, request_id, &fp, id, "")
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        let acting = work.acting.clone();
        let may_write = acting.supervisor
            || work.before.owner == acting.subject
            || (visibility == Visibility::Internal
                && (work.before.watchers.contains(&acting.subject)
                    || ownership::is_assisting(
                        &mut work.tx,
                        id,
                        &acting.subject,
                        acting.team.as_deref(),
                    )
                    .await?));
        if !may_write {
            return Err(ApiError::PermissionDenied {
                reason: "NOT_OWNER",
                message: match visibility {
                    Visibility::Customer => {
                        "only the owner or a supervisor speaks to the customer".into()
                    }
                    Visibility::Internal => {
                        "only the owner, a supervisor, a watcher or someone asked to assist \
                         adds notes"
                            .into()
                    }
                },
            });
        }
        let note = Note {
            id: Uuid::now_v7(),
            complaint_id: id,
            author: acting.subject.clone(),
            visibility,
            body,
            attachments,
            assist_id: assist.map(|(_, a)| a),
            create_time: work.now,
        };
        notes::insert(&mut work.tx, &note).await?;
        if visibility == Visibility::Customer && work.after.first_response_time.is_none() {
            work.after.first_response_time = Some(work.now);
        }
        let name = names::note(id, note.id);
        work.note_change("notes", "", name.clone());
        work.announce(
            types::NOTE_ADDED,
            json!({ "note": name, "visibility": visibility.code() }),
        );
        let wire = convert::note(&note);
        self.complete(work, "note_added", |_| pb::AddComplaintNoteResponse {
            note: Some(wire),
        })
        .await
    }

    pub(super) async fn list_notes(
        &self,
        _caller: &Caller,
        r: pb::ListComplaintNotesRequest,
    ) -> Result<pb::ListComplaintNotesResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        let size = v.check("page_size", page::page_size(r.page_size));
        let fp = Fingerprint::of(&[r.parent.as_bytes()]);
        let after = v
            .check("page_token", PageToken::decode(&r.page_token, fp))
            .flatten();
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|bytes| decode_time_id(&bytes)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        self.require_complaint(&mut conn, id).await?;
        let rows = notes::list(&mut conn, id, after, size + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |n| encode_time_id(n.create_time, n.id));
        Ok(pb::ListComplaintNotesResponse {
            notes: rows.iter().map(convert::note).collect(),
            next_page_token,
        })
    }

    pub(super) async fn history(
        &self,
        _caller: &Caller,
        r: pb::GetComplaintHistoryRequest,
    ) -> Result<pb::GetComplaintHistoryResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "name", &r.name);
        let size = v.check("page_size", page::page_size(r.page_size));
        let fp = Fingerprint::of(&[r.name.as_bytes()]);
        let after = v
            .check("page_token", PageToken::decode(&r.page_token, fp))
            .flatten();
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let after = match after {
            None => 0,
            Some(bytes) => i64::from_be_bytes(
                bytes
                    .try_into()
                    .map_err(|_| ApiError::invalid("page_token", "is not a token of this list"))?,
            ),
        };
        let mut conn = self.pool.acquire().await?;
        self.require_complaint(&mut conn, id).await?;
        let rows = history::list(&mut conn, id, after, size + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |e| e.sequence.to_be_bytes().to_vec());
        Ok(pb::GetComplaintHistoryResponse {
            entries: rows.iter().map(convert::history_entry).collect(),
            next_page_token,
        })
    }
}

/// A (time, id) keyset cursor as bytes.
pub(super) fn encode_time_id(time: jiff::Timestamp, id: Uuid) -> Vec<u8> {
    let mut bytes = time.as_nanosecond().to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    bytes
}

/// The (time, id) of a cursor made by [`encode_time_id`].
pub(super) fn decode_time_id(bytes: &[u8]) -> Result<(jiff::Timestamp, Uuid), ApiError> {
    let bad = || ApiError::invalid("page_token", "is not a token of this list");
    if bytes.len() != 32 {
        return Err(bad());
    }
    let (time, id) = bytes.split_at(16);
    let nanos = i128::from_be_bytes(time.try_into().map_err(|_| bad())?);
    let time = jiff::Timestamp::from_nanosecond(nanos).map_err(|_| bad())?;
    let id = Uuid::from_slice(id).map_err(|_| bad())?;
    Ok((time, id))
}
