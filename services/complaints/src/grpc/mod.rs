//! The gRPC face of the complaints service: thin handlers that take the
//! caller from the request, validate into domain types, perform the
//! operation in one transaction, and map every error through
//! [`ApiError::into_status`].
//!
//! Every change to a complaint goes the same way ([`ComplaintApi::begin`],
//! then [`ComplaintApi::complete`]): claim the `request_id`, lock the
//! complaint, check the etag and who may act; change the record in memory;
//! then write it back, record the state entered, append the history entry
//! (the field-by-field difference), recompute the SLA clocks, append the
//! events to the outbox, store the answer under the `request_id`, and
//! commit, all or nothing.

pub mod access;
pub mod audit;
pub mod convert;
pub mod enums;
mod feed;
mod follow_ups;
mod goodwill;
mod improvement;
mod insights;
mod intake;
mod lifecycle;
mod notes;
mod ownership;
mod paging;
mod queries;
mod recovery;
mod surveys;
mod teams;

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;
use redress_platform::audit::{Action, AuditEntry};
use redress_platform::auth::{Caller, Role};
use redress_platform::clock::SharedClock;
use redress_platform::error::{ApiError, ErrorDomain, FieldViolations};
use redress_platform::idempotency::{
    Claim, fingerprint_of as fingerprint, replay, request_id_field as request_id,
};
use redress_platform::outbox::{self, Feed, NewEvent};
use redress_proto::complaints::v1 as pb;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::directory::CustomerDirectory;
use crate::domain::complaint::Complaint;
use crate::domain::names;
use crate::settings::Policies;
use crate::store::history::{self, Actor};
use crate::store::ownership::HandOff;
use crate::store::sla::StoredClock;
use crate::store::{self, StoreError};

/// The error domain of this service.
pub const DOMAIN: ErrorDomain = "complaints.redress";

/// The ComplaintService implementation.
#[derive(Debug, Clone)]
pub struct ComplaintApi {
    pool: PgPool,
    clock: SharedClock,
    policies: Arc<Policies>,
    directory: CustomerDirectory,
    feed: Feed,
}

impl ComplaintApi {
    /// An API over `pool`, asking `directory` about customers.
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        policies: Arc<Policies>,
        directory: CustomerDirectory,
        feed: Feed,
    ) -> Self {
        Self {
            pool,
            clock,
            policies,
            directory,
            feed,
        }
    }
}

/// The person a call acts for: the end user when a service calls on their
/// behalf, else the caller.
#[derive(Debug, Clone)]
pub(crate) struct Acting {
    /// Their subject.
    pub subject: String,
    /// Their team, if any.
    pub team: Option<String>,
    /// Whether they may act on any complaint (supervisor or admin).
    pub supervisor: bool,
    /// The service calling for them, or empty.
    pub via_service: String,
}

impl Acting {
    fn of(caller: &Caller) -> Self {
        let oversees = [Role::Supervisor, Role::Admin];
        match &caller.end_user {
            Some(user) => Acting {
                subject: user.subject.clone(),
                team: user.team.clone(),
                supervisor: user.has_any(&oversees),
                via_service: caller.subject.clone(),
            },
            None => Acting {
                subject: caller.subject.clone(),
                team: caller.team.clone(),
                supervisor: caller.has_any(&oversees),
                via_service: String::new(),
            },
        }
    }

    /// As the history records them.
    pub fn actor(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            via_service: self.via_service.clone(),
        }
    }

    /// Refuses unless they own `complaint` or supervise.
    pub fn must_own(&self, complaint: &Complaint, what: &str) -> Result<(), ApiError> {
        if self.supervisor || complaint.owner == self.subject {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied {
                reason: "NOT_OWNER",
                message: format!(
                    "only the complaint's owner or a supervisor may {what}; ask the owner, \
                     or use RequestAssist to help without owning it"
                ),
            })
        }
    }
}

/// The caller the authentication layer put on the request.
fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    Caller::from_request(request).cloned()
}

/// Runs an operation and maps its error to a status.
fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(|e| e.into_status(DOMAIN))
}

/// Parses `complaints/{id}` from `field`, recording a violation.
fn complaint_id(v: &mut FieldViolations, field: &str, name: &str) -> Option<Uuid> {
    v.check(field, names::parse_complaint(name))
}

/// `entry` with `details` added.
fn with_details(entry: AuditEntry, details: &[(&'static str, String)]) -> AuditEntry {
    details
        .iter()
        .fold(entry, |entry, (key, value)| entry.detail(key, value))
}

/// NOT_FOUND for a complaint id.
fn complaint_not_found(id: Uuid) -> ApiError {
    ApiError::not_found("Complaint", names::complaint(id))
}

/// A command begun in its transaction, or the answer of an earlier identical
/// request.
enum Begun<R> {
    /// The request was made before; this was its answer.
    Replay(R),
    /// First time: the request id is claimed and the complaint locked.
    Fresh(Box<Work>),
}

/// A change to one complaint in progress.
pub(crate) struct Work {
    /// The change's transaction.
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    /// The claimed request id.
    claim: Claim,
    /// The complaint as it was.
    before: Complaint,
    /// The complaint as it will be; handlers change this.
    after: Complaint,
    /// Who acts.
    acting: Acting,
    /// When.
    now: jiff::Timestamp,
    /// Events to announce.
    events: Vec<NewEvent>,
    /// What changed around the complaint (an offer, an assist), for the
    /// history entry beside the record's own fields.
    noted: Vec<crate::domain::complaint::FieldChange>,
    /// The caller, for the audit trail.
    caller: Caller,
    /// The RPC making the change, for the audit trail.
    operation: &'static str,
    /// Security-relevant actions of this change, recorded in its transaction.
    audited: Vec<AuditEntry>,
}

impl Work {
    /// Queues an event about the complaint as it will be.
    fn announce(&mut self, event_type: &str, payload: serde_json::Value) {
        let event = crate::events::about(event_type, &self.after, self.now, payload);
        self.events.push(event);
    }

    /// Records `action` on `target` by the caller in the audit trail, with
    /// non-personal `details`, when the change commits.
    fn audit(&mut self, action: Action, target: &str, details: &[(&'static str, String)]) {
        let entry = AuditEntry::by(&self.caller, action, self.operation, target, self.now);
        self.audited.push(with_details(entry, details));
    }

    /// Records `action` on `target` decided by the service's `rule`, set off
    /// by the caller, when the change commits.
    fn audit_rule(
        &mut self,
        rule: &'static str,
        action: Action,
        target: &str,
        details: &[(&'static str, String)],
    ) {
        let entry =
            AuditEntry::by_rule(rule, &self.caller, action, self.operation, target, self.now);
        self.audited.push(with_details(entry, details));
    }

    /// Records a change around the complaint in the history entry.
    fn note_change(&mut self, field: &str, before: impl Into<String>, after: impl Into<String>) {
        self.noted.push(crate::domain::complaint::FieldChange {
            field: field.to_owned(),
            before: before.into(),
            after: after.into(),
        });
    }
}

impl ComplaintApi {
    /// Begins a change of complaint `id`: claims the request id, locks the
    /// complaint, and checks `etag` when one is given.
    async fn begin<R: Message + Default>(
        &self,
        operation: &'static str,
        caller: &Caller,
        request_id: Option<Uuid>,
        fingerprint: &[u8],
        id: Uuid,
        etag: &str,
    ) -> Result<Begun<R>, ApiError> {
        let mut tx = self.pool.begin().await?;
        let claim =
            Claim::take(&mut tx, operation, request_id, &caller.subject, fingerprint).await?;
        if let Claim::Replay(answer) = claim {
            return Ok(Begun::Replay(replay(&answer)?));
        }
        let before = store::complaints::lock(&mut tx, id)
            .await?
            .ok_or_else(|| complaint_not_found(id))?;
        queries::require_seen(&mut tx, caller, &before).await?;
        if !etag.is_empty() && etag != before.etag() {
            return Err(ApiError::Aborted {
                reason: "ETAG_MISMATCH",
                message: "the complaint changed since it was read; read it again and retry".into(),
            });
        }
        Ok(Begun::Fresh(Box::new(Work {
            tx,
            claim,
            after: before.clone(),
            before,
            acting: Acting::of(caller),
            now: self.clock.now(),
            events: Vec::new(),
            noted: Vec::new(),
            caller: caller.clone(),
            operation,
            audited: Vec::new(),
        })))
    }

    /// Completes a change: writes the complaint back, records the state it
    /// entered, the history entry `action` and the clocks, appends the
    /// events, and commits with the answer `respond` builds from the
    /// complaint as stored.
    async fn complete<R: Message>(
        &self,
        work: Box<Work>,
        action: &str,
        respond: impl FnOnce(pb::Complaint) -> R,
    ) -> Result<R, ApiError> {
        let Work {
            mut tx,
            claim,
            before,
            mut after,
            acting,
            now,
            events,
            noted,
            audited,
            ..
        } = *work;
        after.update_time = now;
        if after.state != before.state {
            store::complaints::push_state(&mut tx, after.id, after.state, now).await?;
        }
        after.version = store::complaints::save(&mut tx, &after).await?;
        let mut changes = after.changes_since(&before);
        changes.extend(noted);
        history::append(&mut tx, after.id, &acting.actor(), action, &changes, now).await?;
        let complaint = self.finish_complaint(&mut tx, &after, now, events).await?;
        for entry in &audited {
            entry.record(&mut tx).await?;
        }
        let response = respond(complaint);
        claim.finish(&mut tx, &response.encode_to_vec()).await?;
        tx.commit().await?;
        Ok(response)
    }

    /// What every write of a complaint ends with: refreshes its clocks,
    /// appends `events`, and returns it as the wire shows it (with the clocks
    /// just stored, not read back).
    async fn finish_complaint(
        &self,
        tx: &mut sqlx::PgConnection,
        complaint: &Complaint,
        now: jiff::Timestamp,
        events: Vec<NewEvent>,
    ) -> Result<pb::Complaint, ApiError> {
        let clocks = crate::clocks::refresh(tx, complaint, &self.policies, now).await?;
        for event in events {
            outbox::append(tx, event).await.map_err(|error| {
                tracing::error!(%error, "an event could not be appended");
                ApiError::from(error)
            })?;
        }
        let offer = store::ownership::pending_hand_offs(tx, &[complaint.id], now)
            .await?
            .into_iter()
            .next();
        Ok(convert::complaint(complaint, &clocks, offer.as_ref(), now))
    }

    /// Complaints on the wire, with their clocks and pending offers.
    async fn wire_complaints(
        &self,
        conn: &mut sqlx::PgConnection,
        complaints: &[Complaint],
        now: jiff::Timestamp,
    ) -> Result<Vec<pb::Complaint>, StoreError> {
        let ids: Vec<Uuid> = complaints.iter().map(|c| c.id).collect();
        // Grouped by complaint first: a page holds up to 1000 complaints.
        let mut clocks: HashMap<Uuid, Vec<StoredClock>> = HashMap::with_capacity(ids.len());
        for (id, clock) in store::sla::clocks_of(conn, &ids).await? {
            clocks.entry(id).or_default().push(clock);
        }
        let mut offers: HashMap<Uuid, HandOff> = HashMap::new();
        for offer in store::ownership::pending_hand_offs(conn, &ids, now).await? {
            offers.entry(offer.complaint_id).or_insert(offer);
        }
        Ok(complaints
            .iter()
            .map(|c| {
                let mine = clocks.get(&c.id).map_or(&[][..], Vec::as_slice);
                convert::complaint(c, mine, offers.get(&c.id), now)
            })
            .collect())
    }
}

type WatchStream = outbox::grpc::WatchStream<pb::WatchComplaintEventsResponse>;

/// Declares the trait methods that hand the caller and the message to an
/// inherent method of the same purpose. Written in the shape
/// `#[async_trait]` gives trait methods, because that attribute does not see
/// into macros.
macro_rules! with_caller {
    ($($method:ident($req:ident) -> $resp:ident => $inner:ident;)+) => {
        $(
            fn $method<'life0, 'async_trait>(
                &'life0 self,
                request: Request<pb::$req>,
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<Response<pb::$resp>, Status>>
                    + Send + 'async_trait>,
            >
            where
                'life0: 'async_trait,
                Self: 'async_trait,
            {
                Box::pin(async move {
                    let caller = caller(&request)?;
                    respond(self.$inner(&caller, request.into_inner()).await)
                })
            }
        )+
    };
}

#[tonic::async_trait]
impl pb::complaint_service_server::ComplaintService for ComplaintApi {
    with_caller! {
        create_complaint(CreateComplaintRequest) -> CreateComplaintResponse => create;
        get_complaint(GetComplaintRequest) -> GetComplaintResponse => get;
        batch_get_complaints(BatchGetComplaintsRequest) -> BatchGetComplaintsResponse => batch_get;
        update_complaint(UpdateComplaintRequest) -> UpdateComplaintResponse => update;
        list_complaints(ListComplaintsRequest) -> ListComplaintsResponse => list;
        list_my_work(ListMyWorkRequest) -> ListMyWorkResponse => my_work;
        acknowledge_complaint(AcknowledgeComplaintRequest) -> AcknowledgeComplaintResponse => acknowledge;
        start_investigation(StartInvestigationRequest) -> StartInvestigationResponse => start_investigation;
        await_customer(AwaitCustomerRequest) -> AwaitCustomerResponse => await_customer;
        resume_investigation(ResumeInvestigationRequest) -> ResumeInvestigationResponse => resume_investigation;
        propose_resolution(ProposeResolutionRequest) -> ProposeResolutionResponse => propose_resolution;
        accept_resolution(AcceptResolutionRequest) -> AcceptResolutionResponse => accept_resolution;
        reject_resolution(RejectResolutionRequest) -> RejectResolutionResponse => reject_resolution;
        close_complaint(CloseComplaintRequest) -> CloseComplaintResponse => close_audited;
        reopen_complaint(ReopenComplaintRequest) -> ReopenComplaintResponse => reopen;
        merge_complaint(MergeComplaintRequest) -> MergeComplaintResponse => merge;
        unmerge_complaint(UnmergeComplaintRequest) -> UnmergeComplaintResponse => unmerge;
        hand_off_complaint(HandOffComplaintRequest) -> HandOffComplaintResponse => hand_off_audited;
        accept_hand_off(AcceptHandOffRequest) -> AcceptHandOffResponse => accept_hand_off;
        decline_hand_off(DeclineHandOffRequest) -> DeclineHandOffResponse => decline_hand_off;
        withdraw_hand_off(WithdrawHandOffRequest) -> WithdrawHandOffResponse => withdraw_hand_off;
        reassign_complaint(ReassignComplaintRequest) -> ReassignComplaintResponse => reassign_audited;
        request_assist(RequestAssistRequest) -> RequestAssistResponse => request_assist;
        answer_assist(AnswerAssistRequest) -> AnswerAssistResponse => answer_assist;
        list_ownership_changes(ListOwnershipChangesRequest) -> ListOwnershipChangesResponse => ownership_changes;
        propose_goodwill(ProposeGoodwillRequest) -> ProposeGoodwillResponse => propose_goodwill;
        approve_goodwill(ApproveGoodwillRequest) -> ApproveGoodwillResponse => approve_goodwill_audited;
        reject_goodwill(RejectGoodwillRequest) -> RejectGoodwillResponse => reject_goodwill_audited;
        fulfil_goodwill(FulfilGoodwillRequest) -> FulfilGoodwillResponse => fulfil_goodwill;
        cancel_goodwill(CancelGoodwillRequest) -> CancelGoodwillResponse => cancel_goodwill;
        get_goodwill(GetGoodwillRequest) -> GetGoodwillResponse => get_goodwill;
        list_goodwill(ListGoodwillRequest) -> ListGoodwillResponse => list_goodwill;
        get_goodwill_totals(GetGoodwillTotalsRequest) -> GetGoodwillTotalsResponse => goodwill_totals;
        add_complaint_note(AddComplaintNoteRequest) -> AddComplaintNoteResponse => add_note;
        list_complaint_notes(ListComplaintNotesRequest) -> ListComplaintNotesResponse => list_notes;
        get_complaint_history(GetComplaintHistoryRequest) -> GetComplaintHistoryResponse => history;
        get_complaint_stats(GetComplaintStatsRequest) -> GetComplaintStatsResponse => stats;
        record_recovery_step(RecordRecoveryStepRequest) -> RecordRecoveryStepResponse => record_recovery_step;
        get_recovery_plan(GetRecoveryPlanRequest) -> GetRecoveryPlanResponse => get_recovery_plan;
        create_improvement_action(CreateImprovementActionRequest) -> CreateImprovementActionResponse => create_improvement_action;
        update_improvement_action(UpdateImprovementActionRequest) -> UpdateImprovementActionResponse => update_improvement_action;
        link_improvement_action(LinkImprovementActionRequest) -> LinkImprovementActionResponse => link_improvement_action;
        get_improvement_action(GetImprovementActionRequest) -> GetImprovementActionResponse => get_improvement_action;
        list_improvement_actions(ListImprovementActionsRequest) -> ListImprovementActionsResponse => list_improvement_actions;
        list_lessons(ListLessonsRequest) -> ListLessonsResponse => list_lessons;
        list_categories(ListCategoriesRequest) -> ListCategoriesResponse => categories;
        get_complaint_insights(GetComplaintInsightsRequest) -> GetComplaintInsightsResponse => insights;
        create_team(CreateTeamRequest) -> CreateTeamResponse => create_team;
        update_team(UpdateTeamRequest) -> UpdateTeamResponse => update_team;
        list_teams(ListTeamsRequest) -> ListTeamsResponse => list_teams;
        get_survey(GetSurveyRequest) -> GetSurveyResponse => get_survey;
        list_surveys(ListSurveysRequest) -> ListSurveysResponse => list_surveys;
        answer_survey(AnswerSurveyRequest) -> AnswerSurveyResponse => answer_survey;
        list_follow_ups(ListFollowUpsRequest) -> ListFollowUpsResponse => list_follow_ups;
        complete_follow_up(CompleteFollowUpRequest) -> CompleteFollowUpResponse => complete_follow_up;
        list_audit_entries(ListAuditEntriesRequest) -> ListAuditEntriesResponse => list_audit_entries;
    }

    async fn list_complaint_events(
        &self,
        request: Request<pb::ListComplaintEventsRequest>,
    ) -> Result<Response<pb::ListComplaintEventsResponse>, Status> {
        self.list_events(request.into_inner()).await
    }

    type WatchComplaintEventsStream = WatchStream;

    async fn watch_complaint_events(
        &self,
        request: Request<pb::WatchComplaintEventsRequest>,
    ) -> Result<Response<Self::WatchComplaintEventsStream>, Status> {
        self.watch_events(request.into_inner())
    }
}
