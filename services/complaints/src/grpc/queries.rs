//! Reading complaints: one (by name or reference), many, filtered pages,
//! the caller's work queue, figures over a period, and the category tree.

use std::collections::HashMap;

use jiff::Timestamp;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire::{self, WireEnum};
use redress_proto::complaints::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::paging::{bad_token, decode_time_id, encode_time_id, page_args};
use super::{Acting, ComplaintApi, complaint_id, complaint_not_found, convert};
use crate::domain::category::CategoryTree;
use crate::domain::complaint::Complaint;
use crate::domain::names;
use crate::domain::priority::{Priority, Severity};
use crate::domain::scope::Scope;
use crate::domain::state::State;
use crate::store::complaints::{self as store, ListFilter, SlaCondition};
use crate::store::{ownership, scope, stats};

/// PERMISSION_DENIED (`OUTSIDE_TEAM`) unless `complaint`, already read, lies
/// inside the caller's scope; asks the store only when the record alone
/// does not say (most calls are by the owner or the owning team).
pub(super) async fn require_seen(
    conn: &mut PgConnection,
    caller: &Caller,
    complaint: &Complaint,
) -> Result<(), ApiError> {
    let seen = Scope::of(caller).admits_record(
        &complaint.owner,
        &complaint.owner_team,
        &complaint.watchers,
    );
    if seen {
        Ok(())
    } else {
        require_in_scope(conn, caller, complaint.id).await
    }
}

/// PERMISSION_DENIED (`OUTSIDE_TEAM`) unless complaint `id` lies inside the
/// caller's scope.
pub(super) async fn require_in_scope(
    conn: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<(), ApiError> {
    if scope::admits(conn, id, &Scope::of(caller)).await? {
        Ok(())
    } else {
        Err(Scope::refusal())
    }
}

/// Most names a BatchGetComplaints may ask for.
const MAX_BATCH: usize = 1000;
/// Most offers and assists shown beside the first page of work.
const MAX_BESIDE_WORK: u32 = 100;
/// Most values a list filter (states, severities) may hold: more than there
/// are values to name, so only a hostile or broken caller reaches it.
const MAX_FILTER_VALUES: usize = 20;
/// Longest owner subject a list may be filtered by.
const MAX_OWNER: usize = 200;

impl ComplaintApi {
    /// NOT_FOUND unless complaint `id` exists; PERMISSION_DENIED
    /// (`OUTSIDE_TEAM`) when it lies outside the caller's scope.
    pub(super) async fn require_complaint(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Complaint, ApiError> {
        let complaint = store::get(conn, id)
            .await?
            .ok_or_else(|| complaint_not_found(id))?;
        require_seen(conn, caller, &complaint).await?;
        Ok(complaint)
    }

    pub(super) async fn get(
        &self,
        caller: &Caller,
        r: pb::GetComplaintRequest,
    ) -> Result<pb::GetComplaintResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let found = if names::is_reference(&r.name) {
            store::get_by_reference(&mut conn, &r.name)
                .await?
                .ok_or_else(|| ApiError::not_found("Complaint", r.name.clone()))?
        } else {
            let mut v = FieldViolations::new();
            let id = complaint_id(&mut v, "name", &r.name);
            v.into_result()?;
            let id = id.ok_or(ApiError::Internal)?;
            store::get(&mut conn, id)
                .await?
                .ok_or_else(|| complaint_not_found(id))?
        };
        require_seen(&mut conn, caller, &found).await?;
        let complaint = self
            .wire_complaints(&mut conn, &[found], self.clock.now())
            .await?
            .pop();
        Ok(pb::GetComplaintResponse { complaint })
    }

    pub(super) async fn batch_get(
        &self,
        caller: &Caller,
        r: pb::BatchGetComplaintsRequest,
    ) -> Result<pb::BatchGetComplaintsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let ids = batch_ids(&mut v, &r.names);
        v.into_result()?;
        let mut conn = self.pool.acquire().await?;
        let found: HashMap<Uuid, Complaint> = store::get_many(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut ordered = Vec::with_capacity(ids.len());
        for id in &ids {
            let complaint = found.get(id).ok_or_else(|| complaint_not_found(*id))?;
            ordered.push(complaint.clone());
        }
        // Names asked for by name, like GetComplaint: one outside the scope
        // refuses the batch rather than silently thinning it.
        let scope = Scope::of(caller);
        if !scope.is_everything() {
            let seen = scope::admitted(&mut conn, &ids, &scope).await?;
            if ids.iter().any(|id| !seen.contains(id)) {
                return Err(Scope::refusal());
            }
        }
        let complaints = self
            .wire_complaints(&mut conn, &ordered, self.clock.now())
            .await?;
        Ok(pb::BatchGetComplaintsResponse { complaints })
    }

    pub(super) async fn list(
        &self,
        caller: &Caller,
        r: pb::ListComplaintsRequest,
    ) -> Result<pb::ListComplaintsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let filter = list_filter(&mut v, &r, &self.policies.categories);
        let mut filters = r.clone();
        filters.page_size = 0;
        filters.page_token.clear();
        let fp = Fingerprint::of(
            "ListComplaints",
            &[&prost::Message::encode_to_vec(&filters)],
        );
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let size = size.ok_or(ApiError::Internal)?;
        let after = after.map(|bytes| decode_time_id(&bytes)).transpose()?;
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let rows =
            store::list(&mut conn, &filter, &Scope::of(caller), now, after, size + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |c| encode_time_id(c.create_time, c.id));
        let complaints = self.wire_complaints(&mut conn, &rows, now).await?;
        Ok(pb::ListComplaintsResponse {
            complaints,
            next_page_token,
        })
    }

    pub(super) async fn my_work(
        &self,
        caller: &Caller,
        r: pb::ListMyWorkRequest,
    ) -> Result<pb::ListMyWorkResponse, ApiError> {
        let acting = Acting::of(caller);
        let mut v = FieldViolations::new();
        let fp = Fingerprint::of("ListMyWork", &[acting.subject.as_bytes()]);
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let size = size.ok_or(ApiError::Internal)?;
        let after = after.map(|bytes| decode_work_cursor(&bytes)).transpose()?;
        let first_page = after.is_none();
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let rows = store::work_queue(&mut conn, &acting.subject, after.as_ref(), size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |(c, due)| {
            encode_work_cursor(*due, c.priority, c.id)
        });
        let complaints: Vec<Complaint> = rows.into_iter().map(|(c, _)| c).collect();
        let complaints = self.wire_complaints(&mut conn, &complaints, now).await?;
        let follow_ups_due = if first_page {
            crate::store::follow_ups::due_for_owner(&mut conn, &acting.subject, MAX_BESIDE_WORK)
                .await?
                .iter()
                .map(super::follow_ups::to_wire)
                .collect()
        } else {
            Vec::new()
        };
        let (offered_hand_offs, open_assists) = if first_page {
            let team = acting.team.as_deref();
            (
                ownership::offered_to(&mut conn, &acting.subject, team, now, MAX_BESIDE_WORK)
                    .await?
                    .iter()
                    .map(convert::hand_off)
                    .collect(),
                ownership::open_assists_for(&mut conn, &acting.subject, team, MAX_BESIDE_WORK)
                    .await?
                    .iter()
                    .map(convert::assist)
                    .collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(pb::ListMyWorkResponse {
            complaints,
            next_page_token,
            offered_hand_offs,
            open_assists,
            follow_ups_due,
        })
    }

    pub(super) async fn stats(
        &self,
        _caller: &Caller,
        r: pb::GetComplaintStatsRequest,
    ) -> Result<pb::GetComplaintStatsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let start = time_field(&mut v, "start_time", r.start_time.as_ref());
        let end = time_field(&mut v, "end_time", r.end_time.as_ref());
        if r.start_time.is_none() {
            v.add("start_time", "is required");
        }
        if r.end_time.is_none() {
            v.add("end_time", "is required");
        }
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            v.add("end_time", "must be after start_time");
        }
        let team = if r.team.is_empty() {
            None
        } else {
            v.check("team", names::parse_team(&r.team))
        };
        v.into_result()?;
        let (Some(start), Some(end)) = (start, end) else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        let s = stats::compute(&mut conn, start, end, team.as_deref(), self.clock.now()).await?;
        let recovery =
            crate::store::recovery::stats(&mut conn, start, end, team.as_deref()).await?;
        let seconds = |s: f64| {
            let d = jiff::SignedDuration::try_from_secs_f64(s).unwrap_or_default();
            prost_types::Duration {
                seconds: d.as_secs(),
                nanos: d.subsec_nanos(),
            }
        };
        Ok(pb::GetComplaintStatsResponse {
            total: s.total,
            by_category: s.by_category.into_iter().collect(),
            by_state: s.by_state.into_iter().collect(),
            by_channel: s.by_channel.into_iter().collect(),
            first_response_median: s.first_response.map(|(m, _)| seconds(m)),
            first_response_p90: s.first_response.map(|(_, p)| seconds(p)),
            resolution_median: s.resolution.map(|(m, _)| seconds(m)),
            resolution_p90: s.resolution.map(|(_, p)| seconds(p)),
            sla_met_share: s.sla_met_share.into_iter().collect(),
            transfers_per_complaint: s.transfers_per_complaint,
            reopen_rate: s.reopen_rate,
            recovery_plans: recovery.plans,
            recovery_steps_done: crate::domain::recovery::Step::ALL
                .into_iter()
                .map(|step| {
                    let done = recovery.steps_done.get(step.code()).copied();
                    (step.code().to_owned(), done.unwrap_or(0))
                })
                .collect(),
            closes_by_override: recovery.closes_by_override,
        })
    }

    pub(super) async fn categories(
        &self,
        _caller: &Caller,
        _r: pb::ListCategoriesRequest,
    ) -> Result<pb::ListCategoriesResponse, ApiError> {
        Ok(pb::ListCategoriesResponse {
            categories: self
                .policies
                .categories
                .entries()
                .into_iter()
                .map(|e| pb::Category {
                    path: e.path,
                    title: e.title,
                    parent: e.parent.unwrap_or_default(),
                })
                .collect(),
        })
    }
}

/// The filters of a ListComplaints request, recording a violation in `v`
/// for each bad one; its page fields are read by the caller.
fn list_filter(
    v: &mut FieldViolations,
    r: &pb::ListComplaintsRequest,
    categories: &CategoryTree,
) -> ListFilter {
    let owner = r.owner.trim();
    let mut filter = ListFilter {
        owner: Some(owner.to_owned()).filter(|o| !o.is_empty()),
        ..ListFilter::default()
    };
    // The limit applies to what is kept: the trimmed owner.
    if owner.chars().count() > MAX_OWNER {
        v.add("owner", format!("must be at most {MAX_OWNER} characters"));
    } else if owner.contains('\0') {
        // PostgreSQL text cannot hold NUL: refused here, not as INTERNAL.
        v.add("owner", "must not contain NUL characters");
    }
    if !r.team.is_empty() {
        filter.team = v.check("team", names::parse_team(&r.team));
    }
    for (i, state) in v
        .bounded("states", &r.states, MAX_FILTER_VALUES)
        .iter()
        .enumerate()
    {
        match State::from_wire(*state) {
            Ok(Some(state)) => filter.states.push(state),
            Ok(None) => v.add(format!("states[{i}]"), "must not be unspecified"),
            Err(e) => v.add(format!("states[{i}]"), e),
        }
    }
    if !r.category.is_empty() {
        if categories.contains(&r.category) {
            filter.category = Some(r.category.clone());
        } else {
            v.add("category", "is not a category of the tree");
        }
    }
    for (i, severity) in v
        .bounded("severities", &r.severities, MAX_FILTER_VALUES)
        .iter()
        .enumerate()
    {
        match Severity::from_wire(*severity) {
            Ok(Some(severity)) => filter.severities.push(severity),
            Ok(None) => v.add(format!("severities[{i}]"), "must not be unspecified"),
            Err(e) => v.add(format!("severities[{i}]"), e),
        }
    }
    if !r.customer.is_empty() {
        filter.customer = v.check("customer", names::parse_customer(&r.customer));
    }
    filter.sla = match pb::SlaFilter::try_from(r.sla) {
        Ok(pb::SlaFilter::Unspecified) => None,
        Ok(pb::SlaFilter::Overdue) => Some(SlaCondition::Overdue),
        Ok(pb::SlaFilter::AtRisk) => Some(SlaCondition::AtRisk),
        Ok(pb::SlaFilter::OverdueOrAtRisk) => Some(SlaCondition::OverdueOrAtRisk),
        Err(_) => {
            v.add("sla", wire::UNKNOWN);
            None
        }
    };
    filter.created_from = time_field(v, "create_time_start", r.create_time_start.as_ref());
    filter.created_before = time_field(v, "create_time_end", r.create_time_end.as_ref());
    filter
}

/// The ids of a BatchGetComplaints request's names, in order: a violation
/// on `names` when there are none or more than [`MAX_BATCH`] (one for the
/// whole list, its names then unread), else one on each bad name.
fn batch_ids(v: &mut FieldViolations, names: &[String]) -> Vec<Uuid> {
    if names.is_empty() {
        v.add("names", "is required");
    }
    v.bounded("names", names, MAX_BATCH)
        .iter()
        .enumerate()
        .filter_map(|(i, name)| complaint_id(v, &format!("names[{i}]"), name))
        .collect()
}

/// An optional timestamp field.
fn time_field(
    v: &mut FieldViolations,
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Option<Timestamp> {
    value.and_then(|t| v.check(field, wire::from_timestamp(t)))
}

/// A work-queue cursor as bytes: a flag and the due time, the priority, the id.
fn encode_work_cursor(due: Option<Timestamp>, priority: Priority, id: Uuid) -> Vec<u8> {
    let mut bytes = vec![u8::from(due.is_some())];
    bytes.extend_from_slice(&due.map_or(0, Timestamp::as_nanosecond).to_be_bytes());
    bytes.push(priority.to_wire() as u8);
    bytes.extend_from_slice(id.as_bytes());
    bytes
}

fn decode_work_cursor(bytes: &[u8]) -> Result<store::WorkCursor, ApiError> {
    let bad = bad_token;
    if bytes.len() != 1 + 16 + 1 + 16 {
        return Err(bad());
    }
    let due = if bytes[0] == 1 {
        let nanos = i128::from_be_bytes(bytes[1..17].try_into().map_err(|_| bad())?);
        Some(Timestamp::from_nanosecond(nanos).map_err(|_| bad())?)
    } else {
        None
    };
    let priority = Priority::from_wire(i32::from(bytes[17]))
        .ok()
        .flatten()
        .ok_or_else(bad)?;
    let id = Uuid::from_slice(&bytes[18..]).map_err(|_| bad())?;
    Ok((due, priority.code().to_owned(), id))
}

#[cfg(test)]
mod props;
