//! Taking a complaint in (CreateComplaint) and correcting what it says
//! (UpdateComplaint).
//!
//! Intake checks the customer with the customers service inside the
//! transaction that records the complaint, and records the contact in the
//! customer's interaction log before committing: if the customers service
//! cannot be reached, the caller gets UNAVAILABLE and nothing is written.
//! The interaction is recorded with the complaint's id as its request id,
//! so the customers service keeps it once however often it is sent.

use jiff::tz::TimeZone;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::Claim;
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::{Acting, Begun, ComplaintApi, complaint_id, convert, fingerprint, replay, request_id};
use crate::directory::IntakeContact;
use crate::domain::complaint::Complaint;
use crate::domain::names;
use crate::domain::state::State;
use crate::events::types;
use crate::store::history;
use crate::store::ownership::{self, ChangeKind, OwnershipChange};
use crate::store::{self};

/// The fields UpdateComplaint may change.
const UPDATABLE: &[&str] = &[
    "kind",
    "summary",
    "description",
    "product",
    "region",
    "category",
    "requested_remedy",
    "motive",
    "severity",
    "safety",
    "language",
    "escalation_reached",
];

impl ComplaintApi {
    pub(super) async fn create(
        &self,
        caller: &Caller,
        request: pb::CreateComplaintRequest,
    ) -> Result<pb::CreateComplaintResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let request_id = request_id(&mut v, &request.request_id);
        let Some(given) = request.complaint.as_ref() else {
            v.add("complaint", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let (customer, channel) = convert::intake_source(&mut v, given);
        let description = match convert::description(given, "complaint", &self.policies.categories)
        {
            Ok(description) => Some(description),
            Err(errors) => {
                v.merge(errors);
                None
            }
        };
        v.into_result()?;
        let (Some(customer), Some(channel), Some(description)) = (customer, channel, description)
        else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&request, |r| r.request_id.clear());
        let acting = Acting::of(caller);

        let mut tx = self.pool.begin().await?;
        let claim =
            Claim::take(&mut tx, "CreateComplaint", request_id, &caller.subject, &fp).await?;
        if let Claim::Replay(answer) = claim {
            return replay(&answer);
        }
        let facts = self.directory.check(caller, customer).await?;
        let priority =
            self.policies
                .priority
                .priority(description.severity, facts.grade, description.safety);
        let number = store::complaints::next_reference_number(&mut tx).await?;
        let id = Uuid::now_v7();
        let complaint = Complaint {
            id,
            reference: names::reference(now.to_zoned(TimeZone::UTC).year(), number),
            customer_id: customer,
            channel,
            description,
            priority,
            customer_grade: facts.grade,
            state: State::Received,
            merged_from: None,
            merged_into: None,
            owner: acting.subject.clone(),
            owner_team: acting.team.clone().unwrap_or_default(),
            watchers: Vec::new(),
            transfer_count: 0,
            reopen_count: 0,
            resolution: String::new(),
            create_time: now,
            acknowledge_time: None,
            first_response_time: None,
            resolve_time: None,
            close_time: None,
            update_time: now,
            version: 1,
        };
        store::complaints::insert(&mut tx, &complaint).await?;
        store::complaints::push_state(&mut tx, id, State::Received, now).await?;
        ownership::record_change(
            &mut tx,
            &OwnershipChange {
                id: 0,
                complaint_id: id,
                kind: ChangeKind::Intake,
                from_owner: String::new(),
                to_owner: complaint.owner.clone(),
                to_team: complaint.owner_team.clone(),
                actor: acting.subject.clone(),
                reason: String::new(),
                hand_off_id: None,
                change_time: now,
            },
        )
        .await?;
        let created = complaint.created_changes();
        history::append(&mut tx, id, &acting.actor(), "created", &created, now).await?;
        let event = crate::events::about(
            types::CREATED,
            &complaint,
            now,
            json!({ "reference": complaint.reference }),
        );
        let wire = self
            .finish_complaint(&mut tx, &complaint, now, vec![event])
            .await?;
        self.directory
            .record_intake(
                caller,
                customer,
                IntakeContact {
                    complaint_id: id,
                    channel,
                    summary: &complaint.description.summary,
                    at: now,
                },
            )
            .await?;
        let response = pb::CreateComplaintResponse {
            complaint: Some(wire),
        };
        claim
            .finish(&mut tx, &prost::Message::encode_to_vec(&response))
            .await?;
        tx.commit().await?;
        tracing::info!(complaint = %names::complaint(id), "complaint received");
        Ok(response)
    }

    pub(super) async fn update(
        &self,
        caller: &Caller,
        request: pb::UpdateComplaintRequest,
    ) -> Result<pb::UpdateComplaintResponse, ApiError> {
        let mut v = FieldViolations::new();
        let Some(given) = request.complaint.as_ref() else {
            return Err(ApiError::invalid("complaint", "is required"));
        };
        let id = complaint_id(&mut v, "complaint.name", &given.name);
        let paths: Vec<String> = request
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() {
            v.add("update_mask", "is required: name the fields to change");
        }
        for path in &paths {
            if !UPDATABLE.contains(&path.as_str()) {
                v.add(
                    "update_mask",
                    format!(
                        "{path:?} cannot be updated; updatable: {}",
                        UPDATABLE.join(", ")
                    ),
                );
            }
        }
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let fp = fingerprint(&request, |_| {});
        let mut work = match self
            .begin::<pb::UpdateComplaintResponse>(
                "UpdateComplaint",
                caller,
                None,
                &fp,
                id,
                &given.etag,
            )
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        work.acting.must_own(&work.before, "update it")?;
        let mut merged = convert::complaint(&work.before, &[], None, work.now);
        for path in &paths {
            copy_field(&mut merged, given, path);
        }
        let description = convert::description(&merged, "complaint", &self.policies.categories)
            .map_err(ApiError::InvalidArgument)?;
        work.after.priority = self.policies.priority.priority(
            description.severity,
            work.after.customer_grade,
            description.safety,
        );
        work.after.description = description;
        let changed: Vec<String> = work
            .after
            .changes_since(&work.before)
            .into_iter()
            .map(|c| c.field)
            .collect();
        if changed.is_empty() {
            // Nothing to record: the complaint stays as it is, etag and all.
            let super::Work {
                mut tx,
                before,
                now,
                ..
            } = *work;
            let complaint = self
                .wire_complaints(&mut tx, &[before], now)
                .await?
                .pop()
                .ok_or(ApiError::Internal)?;
            return Ok(pb::UpdateComplaintResponse {
                complaint: Some(complaint),
            });
        }
        work.announce(types::UPDATED, json!({ "fields": changed }));
        self.complete(work, "updated", |complaint| pb::UpdateComplaintResponse {
            complaint: Some(complaint),
        })
        .await
    }
}

/// Copies field `path` from `from` into `into`.
fn copy_field(into: &mut pb::Complaint, from: &pb::Complaint, path: &str) {
    match path {
        "kind" => into.kind = from.kind,
        "summary" => into.summary.clone_from(&from.summary),
        "description" => into.description.clone_from(&from.description),
        "product" => into.product.clone_from(&from.product),
        "region" => into.region.clone_from(&from.region),
        "category" => into.category.clone_from(&from.category),
        "requested_remedy" => into.requested_remedy.clone_from(&from.requested_remedy),
        "motive" => into.motive = from.motive,
        "severity" => into.severity = from.severity,
        "safety" => into.safety = from.safety,
        "language" => into.language.clone_from(&from.language),
        "escalation_reached" => into.escalation_reached = from.escalation_reached,
        _ => {}
    }
}
