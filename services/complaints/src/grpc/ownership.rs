//! The adoption rule on the wire: hand-offs that the receiver accepts or
//! declines (the owner stays accountable until then), a supervisor's
//! reassignment with a reason, assists that help without owning, and the
//! ownership ledger.

use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::audit;
use super::paging::{decode_sequence, encode_sequence, page_args};
use super::{Begun, ComplaintApi, Work, complaint_id, convert, fingerprint, request_id};
use crate::domain::complaint::{MAX_LONG_TEXT, MAX_REASON};
use crate::domain::names;
use crate::events::types;
use crate::store::notes::{self, Note, Visibility};
use crate::store::ownership::{
    self as store, Assist, ChangeKind, HandOff, OfferState, OwnershipChange,
};

/// Longest staff subject, in characters.
const MAX_SUBJECT: usize = 200;

impl ComplaintApi {
    pub(super) async fn hand_off(
        &self,
        caller: &Caller,
        r: pb::HandOffComplaintRequest,
    ) -> Result<pb::HandOffComplaintResponse, ApiError> {
        use pb::hand_off_complaint_request::Target;
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "name", &r.name);
        let request_id = request_id(&mut v, &r.request_id);
        let (to_agent, to_team) = match &r.target {
            Some(Target::ToAgent(agent)) => (
                convert::text(&mut v, "to_agent", agent, MAX_SUBJECT, true),
                String::new(),
            ),
            Some(Target::ToTeam(team)) => (
                String::new(),
                v.check("to_team", names::parse_team(team))
                    .unwrap_or_default(),
            ),
            None => {
                v.add("to_agent", "either to_agent or to_team is required");
                (String::new(), String::new())
            }
        };
        let reason = convert::text(&mut v, "reason", &r.reason, 2_000, true);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin("HandOffComplaint", caller, request_id, &fp, id, &r.etag)
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        work.acting.must_own(&work.before, "hand it off")?;
        if work.acting.subject != work.before.owner {
            // A supervisor handing off a complaint someone else owns.
            let details = [("owner", work.before.owner.clone())];
            work.audit(audit::COMPLAINT_HANDED_OFF, &names::complaint(id), &details);
        }
        if !work.before.state.is_open() {
            return Err(ApiError::FailedPrecondition {
                reason: "COMPLAINT_NOT_OPEN",
                message: format!(
                    "the complaint is {}; only open complaints are handed off",
                    work.before.state.code()
                ),
                allowed: vec!["ReassignComplaint".into()],
            });
        }
        if !to_agent.is_empty() && to_agent == work.before.owner {
            return Err(ApiError::invalid("to_agent", "is the current owner"));
        }
        if let Some(pending) = store::pending_hand_offs(&mut work.tx, &[id], work.now)
            .await?
            .first()
        {
            return Err(ApiError::FailedPrecondition {
                reason: "HAND_OFF_PENDING",
                message: format!(
                    "{} is still waiting for an answer; withdraw it first",
                    names::hand_off(id, pending.id)
                ),
                allowed: vec!["WithdrawHandOff".into()],
            });
        }
        self.lapse_unlapsed_offers(&mut work).await?;
        let offer = HandOff {
            id: Uuid::now_v7(),
            complaint_id: id,
            from_owner: work.before.owner.clone(),
            to_agent,
            to_team,
            reason,
            state: OfferState::Pending,
            create_time: work.now,
            expire_time: work
                .now
                .checked_add(self.policies.hand_off_expiry)
                .map_err(|_| ApiError::Internal)?,
            decided_by: String::new(),
            decide_time: None,
            decline_reason: String::new(),
        };
        store::insert_hand_off(&mut work.tx, &offer).await?;
        let name = names::hand_off(id, offer.id);
        work.note_change("pending_hand_off", "", name.clone());
        work.announce(
            types::HAND_OFF_OFFERED,
            json!({
                "hand_off": name,
                "to_agent": offer.to_agent,
                "to_team": names::team(&offer.to_team),
                "expire_time": offer.expire_time.to_string(),
            }),
        );
        let wire = convert::hand_off(&offer);
        self.complete(work, "hand_off_offered", |complaint| {
            pb::HandOffComplaintResponse {
                complaint: Some(complaint),
                hand_off: Some(wire),
            }
        })
        .await
    }

    /// Lets the complaint's offers that expired but that the scheduler has
    /// not lapsed yet lapse now, exactly as the scheduler would
    /// ([`crate::scheduler::lapse`]), so that a new offer or a reassignment
    /// is not held up by an offer nobody can accept any more.
    async fn lapse_unlapsed_offers(&self, work: &mut Work) -> Result<(), ApiError> {
        let id = work.after.id;
        for offer in store::unlapsed_hand_offs(&mut work.tx, id, work.now).await? {
            crate::scheduler::lapse(
                &mut work.tx,
                &mut work.after,
                offer.id,
                &self.policies,
                work.now,
            )
            .await?;
        }
        Ok(())
    }

    /// Begins a decision on offer `name`: the offer, pending and locked with
    /// its complaint.
    async fn begin_offer<R: prost::Message + Default>(
        &self,
        operation: &'static str,
        caller: &Caller,
        name: &str,
        raw_request_id: &str,
        fp: &[u8],
    ) -> Result<Result<(Box<Work>, HandOff), R>, ApiError> {
        let mut v = FieldViolations::new();
        let ids = v.check("name", names::parse_hand_off(name));
        let request_id = request_id(&mut v, raw_request_id);
        v.into_result()?;
        let (complaint, offer_id) = ids.ok_or(ApiError::Internal)?;
        let mut work = match self
            .begin::<R>(operation, caller, request_id, fp, complaint, "")
            .await?
        {
            Begun::Replay(answer) => return Ok(Err(answer)),
            Begun::Fresh(work) => work,
        };
        let offer = store::get_hand_off(&mut work.tx, complaint, offer_id)
            .await?
            .ok_or_else(|| ApiError::not_found("HandOff", name.to_owned()))?;
        if offer.state != OfferState::Pending {
            return Err(ApiError::FailedPrecondition {
                reason: "HAND_OFF_NOT_PENDING",
                message: format!("the offer was {} already", offer.state.code()),
                allowed: vec![],
            });
        }
        if offer.expire_time <= work.now {
            return Err(ApiError::FailedPrecondition {
                reason: "HAND_OFF_EXPIRED",
                message: "the offer expired; the owner may offer the complaint again".into(),
                allowed: vec![],
            });
        }
        Ok(Ok((work, offer)))
    }

    pub(super) async fn accept_hand_off(
        &self,
        caller: &Caller,
        r: pb::AcceptHandOffRequest,
    ) -> Result<pb::AcceptHandOffResponse, ApiError> {
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let (mut work, mut offer) = match self
            .begin_offer("AcceptHandOff", caller, &r.name, &r.request_id, &fp)
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        offered_to_caller(&work, &offer)?;
        let new_owner = work.acting.subject.clone();
        let team = if offer.to_team.is_empty() {
            work.acting.team.clone().unwrap_or_default()
        } else {
            offer.to_team.clone()
        };
        store::decide_hand_off(
            &mut work.tx,
            offer.id,
            OfferState::Accepted,
            &new_owner,
            "",
            work.now,
        )
        .await?;
        offer.state = OfferState::Accepted;
        offer.decided_by.clone_from(&new_owner);
        offer.decide_time = Some(work.now);
        let from_owner = work.before.owner.clone();
        work.after.transfer_to(&new_owner, &team);
        record_transfer(
            &mut work,
            ChangeKind::HandOffAccepted,
            &from_owner,
            "",
            Some(offer.id),
        )
        .await?;
        let name = names::hand_off(offer.complaint_id, offer.id);
        work.note_change("pending_hand_off", name.clone(), "");
        work.announce(types::HAND_OFF_ACCEPTED, json!({ "hand_off": name }));
        work.announce(
            types::OWNER_CHANGED,
            json!({ "from_owner": from_owner, "to_owner": new_owner, "hand_off": name }),
        );
        let wire = convert::hand_off(&offer);
        self.complete(work, "hand_off_accepted", |complaint| {
            pb::AcceptHandOffResponse {
                complaint: Some(complaint),
                hand_off: Some(wire),
            }
        })
        .await
    }

    pub(super) async fn decline_hand_off(
        &self,
        caller: &Caller,
        r: pb::DeclineHandOffRequest,
    ) -> Result<pb::DeclineHandOffResponse, ApiError> {
        let mut v = FieldViolations::new();
        let reason = convert::text(&mut v, "reason", &r.reason, 2_000, true);
        v.into_result()?;
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let (mut work, mut offer) = match self
            .begin_offer("DeclineHandOff", caller, &r.name, &r.request_id, &fp)
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        offered_to_caller(&work, &offer)?;
        let by = work.acting.subject.clone();
        store::decide_hand_off(
            &mut work.tx,
            offer.id,
            OfferState::Declined,
            &by,
            &reason,
            work.now,
        )
        .await?;
        offer.state = OfferState::Declined;
        offer.decided_by = by;
        offer.decide_time = Some(work.now);
        offer.decline_reason = reason;
        let name = names::hand_off(offer.complaint_id, offer.id);
        work.note_change("pending_hand_off", name.clone(), "");
        work.announce(types::HAND_OFF_DECLINED, json!({ "hand_off": name }));
        let wire = convert::hand_off(&offer);
        self.complete(work, "hand_off_declined", |_| pb::DeclineHandOffResponse {
            hand_off: Some(wire),
        })
        .await
    }

    pub(super) async fn withdraw_hand_off(
        &self,
        caller: &Caller,
        r: pb::WithdrawHandOffRequest,
    ) -> Result<pb::WithdrawHandOffResponse, ApiError> {
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let (mut work, mut offer) = match self
            .begin_offer("WithdrawHandOff", caller, &r.name, &r.request_id, &fp)
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        work.acting.must_own(&work.before, "withdraw its offer")?;
        let by = work.acting.subject.clone();
        store::decide_hand_off(
            &mut work.tx,
            offer.id,
            OfferState::Withdrawn,
            &by,
            "",
            work.now,
        )
        .await?;
        offer.state = OfferState::Withdrawn;
        offer.decided_by = by;
        offer.decide_time = Some(work.now);
        let name = names::hand_off(offer.complaint_id, offer.id);
        work.note_change("pending_hand_off", name.clone(), "");
        work.announce(types::HAND_OFF_WITHDRAWN, json!({ "hand_off": name }));
        let wire = convert::hand_off(&offer);
        self.complete(work, "hand_off_withdrawn", |_| {
            pb::WithdrawHandOffResponse {
                hand_off: Some(wire),
            }
        })
        .await
    }

    pub(super) async fn reassign(
        &self,
        caller: &Caller,
        r: pb::ReassignComplaintRequest,
    ) -> Result<pb::ReassignComplaintResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "name", &r.name);
        let request_id = request_id(&mut v, &r.request_id);
        let new_owner = convert::text(&mut v, "new_owner", &r.new_owner, MAX_SUBJECT, true);
        let new_team = if r.new_team.is_empty() {
            String::new()
        } else {
            v.check("new_team", names::parse_team(&r.new_team))
                .unwrap_or_default()
        };
        let reason = convert::text(&mut v, "reason", &r.reason, 2_000, true);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin("ReassignComplaint", caller, request_id, &fp, id, &r.etag)
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        if !work.acting.supervisor {
            return Err(ApiError::PermissionDenied {
                reason: "SUPERVISOR_ONLY",
                message: "only a supervisor reassigns a complaint; an owner hands it off".into(),
            });
        }
        if new_owner == work.before.owner {
            return Err(ApiError::FailedPrecondition {
                reason: "ALREADY_OWNER",
                message: format!("{new_owner} owns the complaint already"),
                allowed: vec![],
            });
        }
        // An expired offer lapses as the scheduler would let it; one still
        // open is withdrawn: the supervisor decided otherwise.
        self.lapse_unlapsed_offers(&mut work).await?;
        for pending in store::pending_hand_offs(&mut work.tx, &[id], work.now).await? {
            let by = work.acting.subject.clone();
            store::decide_hand_off(
                &mut work.tx,
                pending.id,
                OfferState::Withdrawn,
                &by,
                "",
                work.now,
            )
            .await?;
            let name = names::hand_off(id, pending.id);
            work.note_change("pending_hand_off", name.clone(), "");
            work.announce(types::HAND_OFF_WITHDRAWN, json!({ "hand_off": name }));
        }
        let from_owner = work.before.owner.clone();
        let details = [
            ("from_owner", from_owner.clone()),
            ("to_owner", new_owner.clone()),
        ];
        work.audit(audit::COMPLAINT_REASSIGNED, &names::complaint(id), &details);
        work.after.transfer_to(&new_owner, &new_team);
        record_transfer(
            &mut work,
            ChangeKind::Reassigned,
            &from_owner,
            &reason,
            None,
        )
        .await?;
        work.announce(
            types::OWNER_CHANGED,
            json!({ "from_owner": from_owner, "to_owner": new_owner, "reassigned": true }),
        );
        self.complete(work, "reassigned", |complaint| {
            pb::ReassignComplaintResponse {
                complaint: Some(complaint),
            }
        })
        .await
    }

    pub(super) async fn request_assist(
        &self,
        caller: &Caller,
        r: pb::RequestAssistRequest,
    ) -> Result<pb::RequestAssistResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        let request_id = request_id(&mut v, &r.request_id);
        let Some(given) = r.assist.as_ref() else {
            v.add("assist", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let agent = convert::text(&mut v, "assist.agent", &given.agent, MAX_SUBJECT, false);
        let department = if given.department.is_empty() {
            String::new()
        } else {
            v.check("assist.department", names::parse_team(&given.department))
                .unwrap_or_default()
        };
        if agent.is_empty() == given.department.is_empty() {
            v.add(
                "assist.agent",
                "exactly one of agent and department is required",
            );
        }
        let question = convert::text(&mut v, "assist.question", &given.question, MAX_REASON, true);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin("RequestAssist", caller, request_id, &fp, id, "")
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        work.acting.must_own(&work.before, "ask for an assist")?;
        let assist = Assist {
            id: Uuid::now_v7(),
            complaint_id: id,
            requested_by: work.acting.subject.clone(),
            agent,
            department,
            question,
            answered: false,
            answer: String::new(),
            answered_by: String::new(),
            create_time: work.now,
            answer_time: None,
        };
        store::insert_assist(&mut work.tx, &assist).await?;
        let name = names::assist(id, assist.id);
        work.note_change("assists", "", name.clone());
        work.announce(
            types::ASSIST_REQUESTED,
            json!({
                "assist": name,
                "agent": assist.agent,
                "department": names::team(&assist.department),
            }),
        );
        let wire = convert::assist(&assist);
        self.complete(work, "assist_requested", |_| pb::RequestAssistResponse {
            assist: Some(wire),
        })
        .await
    }

    pub(super) async fn answer_assist(
        &self,
        caller: &Caller,
        r: pb::AnswerAssistRequest,
    ) -> Result<pb::AnswerAssistResponse, ApiError> {
        let mut v = FieldViolations::new();
        let ids = v.check("name", names::parse_assist(&r.name));
        let request_id = request_id(&mut v, &r.request_id);
        let answer = convert::text(&mut v, "answer", &r.answer, MAX_LONG_TEXT, true);
        v.into_result()?;
        let (complaint, assist_id) = ids.ok_or(ApiError::Internal)?;
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin("AnswerAssist", caller, request_id, &fp, complaint, "")
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        let mut assist = store::lock_assist(&mut work.tx, complaint, assist_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Assist", r.name.clone()))?;
        if assist.answered {
            return Err(ApiError::FailedPrecondition {
                reason: "ASSIST_ANSWERED",
                message: "the assist was answered already; add a note instead".into(),
                allowed: vec!["AddComplaintNote".into()],
            });
        }
        if !assist.is_for(&work.acting.subject, work.acting.team.as_deref()) {
            return Err(ApiError::PermissionDenied {
                reason: "NOT_ASKED",
                message: "the assist was asked of another agent or department".into(),
            });
        }
        let by = work.acting.subject.clone();
        store::answer_assist(&mut work.tx, assist.id, &answer, &by, work.now).await?;
        notes::insert(
            &mut work.tx,
            &Note {
                id: Uuid::now_v7(),
                complaint_id: complaint,
                author: by.clone(),
                visibility: Visibility::Internal,
                body: answer.clone(),
                attachments: Vec::new(),
                assist_id: Some(assist.id),
                create_time: work.now,
            },
        )
        .await?;
        assist.answered = true;
        assist.answer = answer;
        assist.answered_by = by;
        assist.answer_time = Some(work.now);
        let name = names::assist(complaint, assist.id);
        work.note_change("assist_answered", "", name.clone());
        work.announce(types::ASSIST_ANSWERED, json!({ "assist": name }));
        let wire = convert::assist(&assist);
        self.complete(work, "assist_answered", |_| pb::AnswerAssistResponse {
            assist: Some(wire),
        })
        .await
    }

    pub(super) async fn ownership_changes(
        &self,
        caller: &Caller,
        r: pb::ListOwnershipChangesRequest,
    ) -> Result<pb::ListOwnershipChangesResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        let fp = Fingerprint::of("ListOwnershipChanges", &[r.parent.as_bytes()]);
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let after = decode_sequence(after)?;
        let mut conn = self.pool.acquire().await?;
        self.require_complaint(&mut conn, caller, id).await?;
        let rows = store::list_changes(&mut conn, id, after, size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |c| encode_sequence(c.id));
        Ok(pb::ListOwnershipChangesResponse {
            changes: rows.iter().map(convert::ownership_change).collect(),
            next_page_token,
        })
    }
}

/// Refuses unless the offer is for the acting person or their team.
fn offered_to_caller(work: &Work, offer: &HandOff) -> Result<(), ApiError> {
    if offer.is_for(&work.acting.subject, work.acting.team.as_deref()) {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied {
            reason: "NOT_OFFERED_TO_YOU",
            message: "the offer names another agent or team".into(),
        })
    }
}

/// Appends the move of ownership to the ledger.
async fn record_transfer(
    work: &mut Work,
    kind: ChangeKind,
    from_owner: &str,
    reason: &str,
    hand_off: Option<Uuid>,
) -> Result<(), ApiError> {
    let change = OwnershipChange {
        id: 0,
        complaint_id: work.after.id,
        kind,
        from_owner: from_owner.to_owned(),
        to_owner: work.after.owner.clone(),
        to_team: work.after.owner_team.clone(),
        actor: work.acting.subject.clone(),
        reason: reason.to_owned(),
        hand_off_id: hand_off,
        change_time: work.now,
    };
    store::record_change(&mut work.tx, &change).await?;
    Ok(())
}
