//! Notes and customer-visible messages on a complaint, and its history.
//!
//! The owner (or a supervisor) writes both kinds; someone asked for an
//! assist, or a former owner watching the complaint, adds internal notes but
//! does not speak to the customer for the owner.

use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::paging::{decode_sequence, decode_time_id, encode_sequence, encode_time_id, page_args};
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
        // The name's shape was checked above; the assist must also exist on
        // this complaint (else the foreign key would refuse it as INTERNAL).
        if let Some((_, assist_id)) = assist
            && ownership::lock_assist(&mut work.tx, id, assist_id)
                .await?
                .is_none()
        {
            return Err(ApiError::not_found("Assist", given.assist.clone()));
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
        caller: &Caller,
        r: pb::ListComplaintNotesRequest,
    ) -> Result<pb::ListComplaintNotesResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        let fp = Fingerprint::of("ListComplaintNotes", &[r.parent.as_bytes()]);
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|bytes| decode_time_id(&bytes)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        self.require_complaint(&mut conn, caller, id).await?;
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
        caller: &Caller,
        r: pb::GetComplaintHistoryRequest,
    ) -> Result<pb::GetComplaintHistoryResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "name", &r.name);
        let fp = Fingerprint::of("GetComplaintHistory", &[r.name.as_bytes()]);
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let after = decode_sequence(after)?;
        let mut conn = self.pool.acquire().await?;
        self.require_complaint(&mut conn, caller, id).await?;
        let rows = history::list(&mut conn, id, after, size + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |e| encode_sequence(e.sequence));
        Ok(pb::GetComplaintHistoryResponse {
            entries: rows.iter().map(convert::history_entry).collect(),
            next_page_token,
        })
    }
}
