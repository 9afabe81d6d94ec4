//! Improvement actions on the wire (`improvementActions/{id}`): filed with
//! one owner and a due time, linked to the complaints that taught them
//! (linking marks each complaint's IMPROVEMENT recovery step), changed by
//! their owner or a supervisor under an etag, listed, and read back as the
//! lessons learned. Whether one is overdue is computed from the clock.

use std::collections::BTreeSet;

use jiff::Timestamp;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{Claim, replay};
use redress_platform::outbox;
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire::{self, WireEnum};
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::paging::{decode_time_id, encode_time_id, page_args};
use super::recovery::mark_and_announce;
use super::{Acting, ComplaintApi, complaint_not_found, convert, fingerprint, request_id};
use crate::domain::complaint::MAX_LONG_TEXT;
use crate::domain::improvement::{self, IllegalChange, ImprovementAction, MAX_TITLE, Status};
use crate::domain::names;
use crate::domain::recovery::Step;
use crate::domain::scope::Scope;
use crate::events::{self, types};
use crate::store::{self, improvement as actions};

/// Most complaints linked in one request.
const MAX_LINKS: usize = 100;
/// Longest owner subject, in characters.
const MAX_SUBJECT: usize = 200;
/// The fields UpdateImprovementAction changes.
const UPDATABLE: &[&str] = &[
    "title",
    "description",
    "owner",
    "due_time",
    "status",
    "lesson",
];

impl WireEnum for Status {
    type Wire = pb::ImprovementActionStatus;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Status::Open, pb::ImprovementActionStatus::Open),
        (Status::InProgress, pb::ImprovementActionStatus::InProgress),
        (Status::Done, pb::ImprovementActionStatus::Done),
        (Status::Cancelled, pb::ImprovementActionStatus::Cancelled),
    ];
}

/// An action on the wire, overdue as of `now`.
fn wire_action(a: &ImprovementAction, now: Timestamp) -> pb::ImprovementAction {
    pb::ImprovementAction {
        name: improvement::name(a.id),
        title: a.title.clone(),
        description: a.description.clone(),
        owner: a.owner.clone(),
        due_time: Some(wire::timestamp(a.due_time)),
        status: a.status.to_wire(),
        lesson: a.lesson.clone(),
        complaints: a.complaints.iter().map(|&c| names::complaint(c)).collect(),
        overdue: a.is_overdue(now),
        creator: a.creator.clone(),
        create_time: Some(wire::timestamp(a.create_time)),
        update_time: Some(wire::timestamp(a.update_time)),
        done_time: wire::timestamp_opt(a.done_time),
        etag: a.etag(),
    }
}

/// Parses `improvementActions/{id}` from `field`.
fn action_id(v: &mut FieldViolations, field: &str, name: &str) -> Option<Uuid> {
    v.check(field, improvement::parse_name(name))
}

/// NOT_FOUND for an action.
fn action_not_found(id: Uuid) -> ApiError {
    ApiError::not_found("ImprovementAction", improvement::name(id))
}

/// Reads the complaints to link: 1 (when `required`) to [`MAX_LINKS`]
/// names, each a complaint; returns the ids without repeats, sorted (the
/// order complaints are locked in, so concurrent links never deadlock).
fn complaint_ids(v: &mut FieldViolations, given: &[String], required: bool) -> Vec<Uuid> {
    if required && given.is_empty() {
        v.add("complaints", "is required: name at least one complaint");
    }
    if given.len() > MAX_LINKS {
        v.add("complaints", format!("has more than {MAX_LINKS} names"));
        return Vec::new();
    }
    let mut ids = BTreeSet::new();
    for (i, name) in given.iter().enumerate() {
        if let Some(id) = v.check(format!("complaints[{i}]"), names::parse_complaint(name)) {
            ids.insert(id);
        }
    }
    ids.into_iter().collect()
}

/// A due time: required, and after `now`.
fn due_time(
    v: &mut FieldViolations,
    field: &str,
    given: Option<&prost_types::Timestamp>,
    now: Timestamp,
) -> Option<Timestamp> {
    let Some(given) = given else {
        v.add(field, "is required");
        return None;
    };
    let due = v.check(field, wire::from_timestamp(given))?;
    if due <= now {
        v.add(field, "must be in the future");
    }
    Some(due)
}

impl ComplaintApi {
    /// Links complaints `ids` to `action` by `acting` at `now` and marks
    /// each one's IMPROVEMENT step; NOT_FOUND for a complaint that does not
    /// exist, PERMISSION_DENIED for one outside `scope`. Returns those newly linked.
    async fn link_complaints(
        &self,
        conn: &mut PgConnection,
        action: &ImprovementAction,
        ids: &[Uuid],
        acting: &Acting,
        scope: &Scope,
        now: Timestamp,
    ) -> Result<Vec<Uuid>, ApiError> {
        let mut complaints = Vec::with_capacity(ids.len());
        for &id in ids {
            let complaint = store::complaints::lock(&mut *conn, id)
                .await?
                .ok_or_else(|| complaint_not_found(id))?;
            if !store::scope::admits(&mut *conn, id, scope).await? {
                return Err(Scope::refusal());
            }
            complaints.push(complaint);
        }
        let linked = actions::link(&mut *conn, action.id, ids, &acting.subject, now).await?;
        let detail = format!("linked to {}", improvement::name(action.id));
        for complaint in complaints.iter().filter(|c| linked.contains(&c.id)) {
            mark_and_announce(
                &mut *conn,
                complaint,
                Step::Improvement,
                &acting.actor(),
                now,
                &detail,
            )
            .await?;
        }
        Ok(linked)
    }

    pub(super) async fn create_improvement_action(
        &self,
        caller: &Caller,
        r: pb::CreateImprovementActionRequest,
    ) -> Result<pb::CreateImprovementActionResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let Some(given) = r.improvement_action.as_ref() else {
            v.add("improvement_action", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let pb::ImprovementAction {
            name: _,
            title,
            description,
            owner,
            due_time: due,
            status: _,
            lesson: _,
            complaints: _,
            overdue: _,
            creator: _,
            create_time: _,
            update_time: _,
            done_time: _,
            etag: _,
        } = given;
        let title = convert::text(&mut v, "improvement_action.title", title, MAX_TITLE, true);
        let description = convert::text(
            &mut v,
            "improvement_action.description",
            description,
            MAX_LONG_TEXT,
            false,
        );
        let owner = convert::text(&mut v, "improvement_action.owner", owner, MAX_SUBJECT, true);
        let due = due_time(&mut v, "improvement_action.due_time", due.as_ref(), now);
        let ids = complaint_ids(&mut v, &r.complaints, false);
        let request_id = request_id(&mut v, &r.request_id);
        v.into_result()?;
        let due = due.ok_or(ApiError::Internal)?;
        let acting = Acting::of(caller);
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut tx = self.pool.begin().await?;
        let claim = Claim::take(
            &mut tx,
            "CreateImprovementAction",
            request_id,
            &caller.subject,
            &fp,
        )
        .await?;
        if let Claim::Replay(answer) = claim {
            return replay(&answer);
        }
        let action = ImprovementAction {
            id: Uuid::now_v7(),
            title,
            description,
            owner,
            due_time: due,
            status: Status::Open,
            lesson: String::new(),
            creator: acting.subject.clone(),
            complaints: Vec::new(),
            version: 1,
            create_time: now,
            update_time: now,
            done_time: None,
        };
        actions::insert(&mut tx, &action).await?;
        let linked = self
            .link_complaints(&mut tx, &action, &ids, &acting, &Scope::of(caller), now)
            .await?;
        let stored = actions::get(&mut tx, action.id)
            .await?
            .ok_or(ApiError::Internal)?;
        let event = events::about_action(
            types::IMPROVEMENT_ACTION_CREATED,
            &stored,
            now,
            json!({
                "complaints": linked.iter().map(|&c| names::complaint(c)).collect::<Vec<_>>(),
                "due_time": due.to_string(),
            }),
        );
        outbox::append(&mut tx, event).await?;
        let response = pb::CreateImprovementActionResponse {
            improvement_action: Some(wire_action(&stored, now)),
        };
        claim
            .finish(&mut tx, &prost::Message::encode_to_vec(&response))
            .await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(super) async fn update_improvement_action(
        &self,
        caller: &Caller,
        r: pb::UpdateImprovementActionRequest,
    ) -> Result<pb::UpdateImprovementActionResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let Some(given) = r.improvement_action.as_ref() else {
            return Err(ApiError::invalid("improvement_action", "is required"));
        };
        let id = action_id(&mut v, "improvement_action.name", &given.name);
        let paths: Vec<String> = r
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        let unknown: Vec<&str> = paths
            .iter()
            .map(String::as_str)
            .filter(|p| !UPDATABLE.contains(p))
            .collect();
        if paths.is_empty() {
            v.add("update_mask", "is required: name the fields to change");
        } else if !unknown.is_empty() {
            v.add(
                "update_mask",
                format!(
                    "{} cannot be updated; updatable: {}",
                    unknown.join(", "),
                    UPDATABLE.join(", ")
                ),
            );
        }
        let has = |p: &str| paths.iter().any(|x| x == p);
        let field = |name: &str| format!("improvement_action.{name}");
        let title = has("title")
            .then(|| convert::text(&mut v, &field("title"), &given.title, MAX_TITLE, true));
        let description = has("description").then(|| {
            convert::text(
                &mut v,
                &field("description"),
                &given.description,
                MAX_LONG_TEXT,
                false,
            )
        });
        let owner = has("owner")
            .then(|| convert::text(&mut v, &field("owner"), &given.owner, MAX_SUBJECT, true));
        let due = if has("due_time") {
            due_time(&mut v, &field("due_time"), given.due_time.as_ref(), now)
        } else {
            None
        };
        let status = if has("status") {
            convert::enum_field::<Status>(&mut v, &field("status"), given.status, true)
        } else {
            None
        };
        let lesson = has("lesson").then(|| {
            convert::text(
                &mut v,
                &field("lesson"),
                &given.lesson,
                MAX_LONG_TEXT,
                false,
            )
        });
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let acting = Acting::of(caller);
        let mut tx = self.pool.begin().await?;
        let before = actions::lock(&mut tx, id)
            .await?
            .ok_or_else(|| action_not_found(id))?;
        if !given.etag.is_empty() && given.etag != before.etag() {
            return Err(ApiError::Aborted {
                reason: "ETAG_MISMATCH",
                message: "the improvement action changed since it was read; read it again and \
                          retry"
                    .into(),
            });
        }
        if !acting.supervisor && acting.subject != before.owner {
            return Err(ApiError::PermissionDenied {
                reason: "NOT_ACTION_OWNER",
                message: "only the improvement action's owner or a supervisor may change it".into(),
            });
        }
        let mut after = before.clone();
        if let Some(title) = title {
            after.title = title;
        }
        if let Some(description) = description {
            after.description = description;
        }
        if let Some(owner) = owner {
            after.owner = owner;
        }
        if let Some(due) = due {
            after.due_time = due;
        }
        if let Some(status) = status {
            after.status = status;
        }
        if let Some(lesson) = lesson {
            after.lesson = lesson;
        }
        after.update_time = now;
        after
            .check_change(&before, now)
            .map_err(|e| refused(e, before.status))?;
        after.version = actions::update(&mut tx, &after).await?;
        let mut payload = json!({
            "fields": paths,
            "from_status": before.status.code(),
            "to_status": after.status.code(),
        });
        if after.owner != before.owner {
            payload["previous_owner"] = json!(before.owner);
        }
        let event = events::about_action(types::IMPROVEMENT_ACTION_UPDATED, &after, now, payload);
        outbox::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(pb::UpdateImprovementActionResponse {
            improvement_action: Some(wire_action(&after, now)),
        })
    }

    pub(super) async fn link_improvement_action(
        &self,
        caller: &Caller,
        r: pb::LinkImprovementActionRequest,
    ) -> Result<pb::LinkImprovementActionResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let id = action_id(&mut v, "name", &r.name);
        let ids = complaint_ids(&mut v, &r.complaints, true);
        let request_id = request_id(&mut v, &r.request_id);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let acting = Acting::of(caller);
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut tx = self.pool.begin().await?;
        let claim = Claim::take(
            &mut tx,
            "LinkImprovementAction",
            request_id,
            &caller.subject,
            &fp,
        )
        .await?;
        if let Claim::Replay(answer) = claim {
            return replay(&answer);
        }
        let mut action = actions::lock(&mut tx, id)
            .await?
            .ok_or_else(|| action_not_found(id))?;
        let linked = self
            .link_complaints(&mut tx, &action, &ids, &acting, &Scope::of(caller), now)
            .await?;
        if !linked.is_empty() {
            action.update_time = now;
            actions::update(&mut tx, &action).await?;
        }
        let stored = actions::get(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        if !linked.is_empty() {
            let event = events::about_action(
                types::IMPROVEMENT_ACTION_UPDATED,
                &stored,
                now,
                json!({
                    "fields": ["complaints"],
                    "linked": linked.iter().map(|&c| names::complaint(c)).collect::<Vec<_>>(),
                }),
            );
            outbox::append(&mut tx, event).await?;
        }
        let response = pb::LinkImprovementActionResponse {
            improvement_action: Some(wire_action(&stored, now)),
        };
        claim
            .finish(&mut tx, &prost::Message::encode_to_vec(&response))
            .await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(super) async fn get_improvement_action(
        &self,
        _caller: &Caller,
        r: pb::GetImprovementActionRequest,
    ) -> Result<pb::GetImprovementActionResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = action_id(&mut v, "name", &r.name);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let action = actions::get(&mut conn, id)
            .await?
            .ok_or_else(|| action_not_found(id))?;
        Ok(pb::GetImprovementActionResponse {
            improvement_action: Some(wire_action(&action, self.clock.now())),
        })
    }

    pub(super) async fn list_improvement_actions(
        &self,
        _caller: &Caller,
        r: pb::ListImprovementActionsRequest,
    ) -> Result<pb::ListImprovementActionsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let status = convert::enum_field::<Status>(&mut v, "status", r.status, false);
        let owner = convert::text(&mut v, "owner", &r.owner, MAX_SUBJECT, false);
        let complaint = if r.complaint.is_empty() {
            None
        } else {
            super::complaint_id(&mut v, "complaint", &r.complaint)
        };
        let status_code = r.status.to_be_bytes();
        let fp = Fingerprint::of(
            "ListImprovementActions",
            &[&status_code, owner.as_bytes(), r.complaint.as_bytes()],
        );
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let size = size.ok_or(ApiError::Internal)?;
        let after = after.map(|bytes| decode_time_id(&bytes)).transpose()?;
        let filter = actions::Filter {
            status,
            owner: (!owner.is_empty()).then_some(owner),
            complaint,
        };
        let mut conn = self.pool.acquire().await?;
        let rows = actions::list(&mut conn, &filter, after, size + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |a| encode_time_id(a.create_time, a.id));
        let now = self.clock.now();
        Ok(pb::ListImprovementActionsResponse {
            improvement_actions: rows.iter().map(|a| wire_action(a, now)).collect(),
            next_page_token,
        })
    }

    pub(super) async fn list_lessons(
        &self,
        _caller: &Caller,
        r: pb::ListLessonsRequest,
    ) -> Result<pb::ListLessonsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let fp = Fingerprint::of("ListLessons", &[]);
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let size = size.ok_or(ApiError::Internal)?;
        let after = after.map(|bytes| decode_time_id(&bytes)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        let rows = actions::lessons(&mut conn, after, size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |a| {
            encode_time_id(a.done_time.unwrap_or(a.update_time), a.id)
        });
        let linked: Vec<Uuid> = rows.iter().flat_map(|a| a.complaints.clone()).collect();
        let causes = store::recovery::root_causes(&mut conn, &linked).await?;
        Ok(pb::ListLessonsResponse {
            lessons: rows
                .iter()
                .map(|a| pb::Lesson {
                    improvement_action: improvement::name(a.id),
                    title: a.title.clone(),
                    lesson: a.lesson.clone(),
                    owner: a.owner.clone(),
                    done_time: wire::timestamp_opt(a.done_time),
                    sources: a
                        .complaints
                        .iter()
                        .map(|c| pb::LessonSource {
                            complaint: names::complaint(*c),
                            root_cause: causes.get(c).cloned().unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect(),
            next_page_token,
        })
    }
}

/// FAILED_PRECONDITION for a refused change, with the statuses allowed now.
fn refused(error: IllegalChange, from: Status) -> ApiError {
    ApiError::FailedPrecondition {
        reason: error.reason(),
        message: error.to_string(),
        allowed: from
            .next()
            .iter()
            .map(|s| format!("UpdateImprovementAction(status={})", s.code()))
            .collect(),
    }
}
