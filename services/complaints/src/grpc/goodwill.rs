//! Goodwill on the wire: propose (the complaint's owner or a supervisor,
//! while the complaint is open or resolved), approve, reject, fulfil and
//! cancel, each a change of the complaint in one transaction with the
//! complaint row locked (so two approvals racing cannot both win), its
//! history entry and its event; and the reads (one, a complaint's or a
//! customer's list, totals per currency and state).
//!
//! Who decides: the good-faith rule approves a proposal at once when fault
//! is unclear and the amount is within the auto-approve limit for the
//! currency and the customer's grade at intake. Anything else waits for
//! ApproveGoodwill by someone other than the proposer (four eyes) whose
//! role's approval limit for the currency covers the amount. A reject needs
//! a supervisor or such an approver; fulfilling and cancelling are the
//! owner's (or a supervisor's). Goodwill proposed earlier may be decided,
//! given or cancelled whatever the complaint's state.

use std::collections::BTreeMap;

use redress_platform::auth::{Caller, Role};
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire::{self, WireEnum};
use redress_proto::complaints::v1 as pb;
use redress_proto::google::r#type::Money as PbMoney;
use serde_json::json;
use uuid::Uuid;

use super::audit;
use super::paging::{decode_time_id, encode_time_id, page_args};
use super::{Begun, ComplaintApi, Work, complaint_id, convert, fingerprint, request_id};
use crate::domain::goodwill::{
    self as rules, Approval, Fault, GOOD_FAITH, Goodwill, GoodwillPolicy, Kind, Money, MoneyError,
    Move, State,
};
use crate::domain::names;
use crate::domain::recovery::Step;
use crate::domain::scope::Scope as TeamScope;
use crate::domain::state::State as ComplaintState;
use crate::events::types;
use crate::store::goodwill::{self as store, Scope};

/// Longest description, in characters.
const MAX_DESCRIPTION: usize = 500;
/// Longest rejection or cancellation reason, in characters.
const MAX_REASON: usize = 2_000;
/// Longest payment reference, in characters.
const MAX_PAYMENT_REFERENCE: usize = 200;

impl WireEnum for Kind {
    type Wire = pb::GoodwillKind;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Kind::Refund, pb::GoodwillKind::Refund),
        (Kind::RedoService, pb::GoodwillKind::RedoService),
        (Kind::Discount, pb::GoodwillKind::Discount),
        (Kind::Voucher, pb::GoodwillKind::Voucher),
        (Kind::Gift, pb::GoodwillKind::Gift),
        (Kind::ExtraService, pb::GoodwillKind::ExtraService),
    ];
}

impl WireEnum for Fault {
    type Wire = pb::GoodwillFault;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Fault::Unclear, pb::GoodwillFault::Unclear),
        (Fault::Company, pb::GoodwillFault::Company),
        (Fault::Customer, pb::GoodwillFault::Customer),
    ];
}

impl WireEnum for State {
    type Wire = pb::GoodwillState;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (State::Proposed, pb::GoodwillState::Proposed),
        (State::Approved, pb::GoodwillState::Approved),
        (State::Fulfilled, pb::GoodwillState::Fulfilled),
        (State::Rejected, pb::GoodwillState::Rejected),
        (State::Cancelled, pb::GoodwillState::Cancelled),
    ];
}

/// What a proposal asks for, validated.
struct Proposal {
    kind: Kind,
    fault: Fault,
    amount: Money,
    description: String,
}

/// Reads a proposal from `given`, a violation per bad field.
fn proposal(
    v: &mut FieldViolations,
    policy: &GoodwillPolicy,
    given: &pb::Goodwill,
) -> Option<Proposal> {
    let pb::Goodwill {
        name: _,
        kind,
        amount,
        fault,
        description,
        state: _,
        customer: _,
        proposed_by: _,
        approved_by: _,
        approve_time: _,
        good_faith: _,
        fulfilled_by: _,
        fulfil_time: _,
        payment_reference: _,
        ended_by: _,
        end_time: _,
        end_reason: _,
        create_time: _,
        update_time: _,
        etag: _,
    } = given;
    let kind = convert::enum_field::<Kind>(v, "goodwill.kind", *kind, true);
    let fault = convert::enum_field::<Fault>(v, "goodwill.fault", *fault, true);
    let description = convert::text(
        v,
        "goodwill.description",
        description,
        MAX_DESCRIPTION,
        false,
    );
    let amount = match amount {
        None => {
            v.add("goodwill.amount", "is required");
            None
        }
        Some(PbMoney {
            currency_code,
            units,
            nanos,
        }) => match Money::from_units_nanos(currency_code, *units, *nanos) {
            Ok(money) if policy.accepts(&money.currency) => Some(money),
            Err(MoneyError::UnknownCurrency) | Ok(_) => {
                let known: Vec<&str> = policy
                    .auto_approve
                    .keys()
                    .chain(policy.approval_limits.values().flat_map(|l| l.keys()))
                    .map(String::as_str)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                v.add(
                    "goodwill.amount.currency_code",
                    format!(
                        "has no goodwill limits configured; use one of {}",
                        known.join(", ")
                    ),
                );
                None
            }
            Err(error) => {
                v.add("goodwill.amount", error.to_string());
                None
            }
        },
    };
    if let (Some(kind), Some(amount)) = (kind, &amount)
        && kind.needs_amount()
        && amount.minor == 0
    {
        v.add(
            "goodwill.amount",
            format!("must be more than zero for a {}", kind.code()),
        );
        return None;
    }
    Some(Proposal {
        kind: kind?,
        fault: fault?,
        amount: amount?,
        description,
    })
}

/// An amount as `google.type.Money`.
fn money(currency: &str, minor: i64) -> PbMoney {
    let (currency_code, units, nanos) = Money {
        currency: currency.to_owned(),
        minor,
    }
    .to_units_nanos();
    PbMoney {
        currency_code,
        units,
        nanos,
    }
}

/// An amount for a person to read: `EUR 600.00`.
fn shown(currency: &str, minor: i64) -> String {
    Money {
        currency: currency.to_owned(),
        minor,
    }
    .to_string()
}

/// Goodwill as the wire shows it.
fn to_wire(g: &Goodwill) -> pb::Goodwill {
    pb::Goodwill {
        name: names::goodwill(g.complaint_id, g.id),
        kind: g.kind.to_wire(),
        amount: Some(money(&g.amount.currency, g.amount.minor)),
        fault: g.fault.to_wire(),
        description: g.description.clone(),
        state: g.state.to_wire(),
        customer: names::customer(g.customer_id),
        proposed_by: g.proposed_by.clone(),
        approved_by: g.approved_by.clone(),
        approve_time: g.approve_time.map(wire::timestamp),
        good_faith: g.good_faith,
        fulfilled_by: g.fulfilled_by.clone(),
        fulfil_time: g.fulfil_time.map(wire::timestamp),
        payment_reference: g.payment_reference.clone(),
        ended_by: g.ended_by.clone(),
        end_time: g.end_time.map(wire::timestamp),
        end_reason: g.end_reason.clone(),
        create_time: Some(wire::timestamp(g.create_time)),
        update_time: Some(wire::timestamp(g.update_time)),
        etag: g.etag(),
    }
}

/// The event payload: names, codes and amounts, never the description.
fn payload(g: &Goodwill) -> serde_json::Value {
    json!({
        "goodwill": names::goodwill(g.complaint_id, g.id),
        "kind": g.kind.code(),
        "amount_minor": g.amount.minor,
        "currency": g.amount.currency,
        "state": g.state.code(),
        "good_faith": g.good_faith,
    })
}

/// The audit trail's details of a goodwill decision: amount, currency and
/// fault, never the description.
fn audit_details(g: &Goodwill) -> [(&'static str, String); 3] {
    [
        ("amount_minor", g.amount.minor.to_string()),
        ("currency", g.amount.currency.to_string()),
        ("fault", g.fault.code().to_owned()),
    ]
}

/// The roles of the person a call acts for (the end user's when a service
/// calls on their behalf).
fn roles_of(caller: &Caller) -> &[Role] {
    match &caller.end_user {
        Some(user) => &user.roles,
        None => &caller.roles,
    }
}

/// FAILED_PRECONDITION for a move goodwill in its state does not allow,
/// listing the moves it does.
fn check_move(g: &Goodwill, action: Move) -> Result<(), ApiError> {
    rules::apply(g.state, action)
        .map(drop)
        .map_err(|e| ApiError::FailedPrecondition {
            reason: e.reason(),
            message: e.to_string(),
            allowed: rules::allowed(g.state)
                .into_iter()
                .map(|m| m.rpc().to_owned())
                .collect(),
        })
}

/// The event of a move.
fn event_of(action: Move) -> &'static str {
    match action {
        Move::Approve => types::GOODWILL_APPROVED,
        Move::Reject => types::GOODWILL_REJECTED,
        Move::Fulfil => types::GOODWILL_FULFILLED,
        Move::Cancel => types::GOODWILL_CANCELLED,
    }
}

/// The parts every move of goodwill has.
struct Target<'a> {
    /// `complaints/{complaint}/goodwill/{id}`.
    name: &'a str,
    /// The raw `request_id`.
    request_id: &'a str,
    /// The etag sent, or empty.
    etag: &'a str,
    /// The request's fingerprint, its `request_id` cleared.
    fingerprint: Vec<u8>,
}

/// The [`Target`] of a move's request message.
macro_rules! target {
    ($r:ident) => {
        Target {
            name: &$r.name,
            request_id: &$r.request_id,
            etag: &$r.etag,
            fingerprint: fingerprint(&$r, |r| r.request_id.clear()),
        }
    };
}

/// Exactly one of a complaint and a customer, from `parent` and `customer`.
fn scope(v: &mut FieldViolations, parent: &str, customer: &str) -> Option<Scope> {
    match (parent.is_empty(), customer.is_empty()) {
        (true, true) => {
            v.add("parent", "either parent or customer is required");
            None
        }
        (false, false) => {
            v.add("customer", "give parent or customer, not both");
            None
        }
        (false, true) => complaint_id(v, "parent", parent).map(Scope::Complaint),
        (true, false) => v
            .check("customer", names::parse_customer(customer))
            .map(Scope::Customer),
    }
}

impl ComplaintApi {
    pub(super) async fn propose_goodwill(
        &self,
        caller: &Caller,
        r: pb::ProposeGoodwillRequest,
    ) -> Result<pb::ProposeGoodwillResponse, ApiError> {
        let policy = &self.policies.goodwill;
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        let request_id = request_id(&mut v, &r.request_id);
        let asked = match &r.goodwill {
            Some(given) => proposal(&mut v, policy, given),
            None => {
                v.add("goodwill", "is required");
                None
            }
        };
        v.into_result()?;
        let (Some(id), Some(asked)) = (id, asked) else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin("ProposeGoodwill", caller, request_id, &fp, id, "")
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        work.acting.must_own(&work.before, "propose goodwill")?;
        let complaint_state = work.before.state;
        if matches!(
            complaint_state,
            ComplaintState::Closed | ComplaintState::Merged
        ) {
            return Err(ApiError::FailedPrecondition {
                reason: "COMPLAINT_NOT_OPEN",
                message: format!(
                    "the complaint is {}; goodwill is proposed while it is open or resolved",
                    complaint_state.code()
                ),
                allowed: vec![if complaint_state == ComplaintState::Merged {
                    "UnmergeComplaint".into()
                } else {
                    "ReopenComplaint".into()
                }],
            });
        }
        let now = work.now;
        let mut g = Goodwill {
            id: Uuid::now_v7(),
            complaint_id: id,
            customer_id: work.before.customer_id,
            kind: asked.kind,
            fault: asked.fault,
            amount: asked.amount,
            description: asked.description,
            state: State::Proposed,
            proposed_by: work.acting.subject.clone(),
            approved_by: String::new(),
            approve_time: None,
            good_faith: false,
            fulfilled_by: String::new(),
            fulfil_time: None,
            payment_reference: String::new(),
            ended_by: String::new(),
            end_time: None,
            end_reason: String::new(),
            create_time: now,
            update_time: now,
            version: 1,
        };
        let name = names::goodwill(id, g.id);
        work.note_change(&name, "", State::Proposed.code());
        work.announce(types::GOODWILL_PROPOSED, payload(&g));
        if policy.approves_in_good_faith(g.fault, work.before.customer_grade, &g.amount) {
            g.make(Move::Approve, GOOD_FAITH, "", now)
                .map_err(|_| ApiError::Internal)?;
            work.note_change(&name, State::Proposed.code(), State::Approved.code());
            work.note_change(&format!("{name}.approved_by"), "", GOOD_FAITH);
            work.announce(types::GOODWILL_APPROVED, payload(&g));
            let details = audit_details(&g);
            work.audit_rule("good_faith", audit::GOODWILL_APPROVED, &name, &details);
        }
        store::insert(&mut work.tx, &g).await?;
        let wire = to_wire(&g);
        self.complete(work, "goodwill_proposed", |_| pb::ProposeGoodwillResponse {
            goodwill: Some(wire),
        })
        .await
    }

    /// Begins a move of the goodwill `target` names: claims the request id,
    /// locks its complaint, reads the goodwill and checks the etag against
    /// it. `more` holds the violations of the request's other fields.
    async fn begin_goodwill<R: prost::Message + Default>(
        &self,
        operation: &'static str,
        caller: &Caller,
        target: Target<'_>,
        more: FieldViolations,
    ) -> Result<Result<(Box<Work>, Goodwill), R>, ApiError> {
        let Target {
            name,
            request_id: raw_request_id,
            etag,
            fingerprint: fp,
        } = target;
        let mut v = FieldViolations::new();
        let ids = v.check("name", names::parse_goodwill(name));
        let request_id = request_id(&mut v, raw_request_id);
        v.merge(more);
        v.into_result()?;
        let (complaint, id) = ids.ok_or(ApiError::Internal)?;
        let mut work = match self
            .begin::<R>(operation, caller, request_id, &fp, complaint, "")
            .await?
        {
            Begun::Replay(answer) => return Ok(Err(answer)),
            Begun::Fresh(work) => work,
        };
        let g = store::get(&mut work.tx, complaint, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Goodwill", name.to_owned()))?;
        if !etag.is_empty() && etag != g.etag() {
            return Err(ApiError::Aborted {
                reason: "ETAG_MISMATCH",
                message: "the goodwill changed since it was read; read it again and retry".into(),
            });
        }
        Ok(Ok((work, g)))
    }

    /// Makes `action` on `g` (checked already), writes it back, records and
    /// announces it, and completes the change with the answer `wrap` makes.
    async fn settle<R: prost::Message>(
        &self,
        mut work: Box<Work>,
        mut g: Goodwill,
        action: Move,
        detail: &str,
        wrap: impl FnOnce(pb::Goodwill) -> R,
    ) -> Result<R, ApiError> {
        let from = g.state;
        let by = work.acting.subject.clone();
        g.make(action, &by, detail, work.now)
            .map_err(|_| ApiError::Internal)?;
        g.version = store::save(&mut work.tx, &g).await?;
        let name = names::goodwill(g.complaint_id, g.id);
        work.note_change(&name, from.code(), g.state.code());
        work.announce(event_of(action), payload(&g));
        let audited = match action {
            Move::Approve => Some(audit::GOODWILL_APPROVED),
            Move::Reject => Some(audit::GOODWILL_REJECTED),
            Move::Fulfil | Move::Cancel => None,
        };
        if let Some(audited) = audited {
            let details = audit_details(&g);
            work.audit(audited, &name, &details);
        }
        if action == Move::Fulfil {
            super::recovery::mark_step_done(&mut work, Step::Goodwill, &name).await?;
        }
        let wire = to_wire(&g);
        let action_code = format!("goodwill_{}", g.state.code());
        self.complete(work, &action_code, |_| wrap(wire)).await
    }

    pub(super) async fn approve_goodwill(
        &self,
        caller: &Caller,
        r: pb::ApproveGoodwillRequest,
    ) -> Result<pb::ApproveGoodwillResponse, ApiError> {
        let (work, g) = match self
            .begin_goodwill(
                "ApproveGoodwill",
                caller,
                target!(r),
                FieldViolations::new(),
            )
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        check_move(&g, Move::Approve)?;
        let policy = &self.policies.goodwill;
        let amount = shown(&g.amount.currency, g.amount.minor);
        match policy.approval(roles_of(caller), &g.amount) {
            Approval::Covered => {}
            Approval::NobodyMay { highest } => {
                return Err(ApiError::FailedPrecondition {
                    reason: "APPROVAL_LIMIT_EXCEEDED",
                    message: format!(
                        "{amount} is above every approval limit (the highest is {}); reject \
                         or cancel it and propose less",
                        shown(&g.amount.currency, highest)
                    ),
                    allowed: vec!["RejectGoodwill".into(), "CancelGoodwill".into()],
                });
            }
            Approval::NotTheCallers { own, roles } => {
                let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                return Err(ApiError::PermissionDenied {
                    reason: "APPROVAL_LIMIT_TOO_LOW",
                    message: format!(
                        "your approval limit is {}, below {amount}; ask someone with the role {} \
                         to approve it",
                        shown(&g.amount.currency, own),
                        roles.join(" or ")
                    ),
                });
            }
        }
        if g.proposed_by == work.acting.subject {
            return Err(ApiError::PermissionDenied {
                reason: "SELF_APPROVAL",
                message: "goodwill above the good-faith limit needs a second person: the one \
                          who proposed it may not approve it"
                    .into(),
            });
        }
        self.settle(work, g, Move::Approve, "", |g| {
            pb::ApproveGoodwillResponse { goodwill: Some(g) }
        })
        .await
    }

    pub(super) async fn reject_goodwill(
        &self,
        caller: &Caller,
        r: pb::RejectGoodwillRequest,
    ) -> Result<pb::RejectGoodwillResponse, ApiError> {
        let mut v = FieldViolations::new();
        let reason = convert::text(&mut v, "reason", &r.reason, MAX_REASON, true);
        let (work, g) = match self
            .begin_goodwill("RejectGoodwill", caller, target!(r), v)
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        check_move(&g, Move::Reject)?;
        let approver = matches!(
            self.policies.goodwill.approval(roles_of(caller), &g.amount),
            Approval::Covered
        );
        if !work.acting.supervisor && !approver {
            return Err(ApiError::PermissionDenied {
                reason: "NOT_APPROVER",
                message: "only a supervisor, or someone whose approval limit covers it, \
                          rejects goodwill; the proposer may cancel it instead"
                    .into(),
            });
        }
        self.settle(work, g, Move::Reject, &reason, |g| {
            pb::RejectGoodwillResponse { goodwill: Some(g) }
        })
        .await
    }

    pub(super) async fn fulfil_goodwill(
        &self,
        caller: &Caller,
        r: pb::FulfilGoodwillRequest,
    ) -> Result<pb::FulfilGoodwillResponse, ApiError> {
        let mut v = FieldViolations::new();
        let reference = convert::text(
            &mut v,
            "payment_reference",
            &r.payment_reference,
            MAX_PAYMENT_REFERENCE,
            false,
        );
        let (work, g) = match self
            .begin_goodwill("FulfilGoodwill", caller, target!(r), v)
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        work.acting
            .must_own(&work.before, "record goodwill as given")?;
        check_move(&g, Move::Fulfil)?;
        self.settle(work, g, Move::Fulfil, &reference, |g| {
            pb::FulfilGoodwillResponse { goodwill: Some(g) }
        })
        .await
    }

    pub(super) async fn cancel_goodwill(
        &self,
        caller: &Caller,
        r: pb::CancelGoodwillRequest,
    ) -> Result<pb::CancelGoodwillResponse, ApiError> {
        let mut v = FieldViolations::new();
        let reason = convert::text(&mut v, "reason", &r.reason, MAX_REASON, true);
        let (work, g) = match self
            .begin_goodwill("CancelGoodwill", caller, target!(r), v)
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        work.acting.must_own(&work.before, "cancel goodwill")?;
        check_move(&g, Move::Cancel)?;
        self.settle(work, g, Move::Cancel, &reason, |g| {
            pb::CancelGoodwillResponse { goodwill: Some(g) }
        })
        .await
    }

    pub(super) async fn get_goodwill(
        &self,
        caller: &Caller,
        r: pb::GetGoodwillRequest,
    ) -> Result<pb::GetGoodwillResponse, ApiError> {
        let (complaint, id) =
            names::parse_goodwill(&r.name).map_err(|e| ApiError::invalid("name", e.to_string()))?;
        let mut conn = self.pool.acquire().await?;
        let g = store::get(&mut conn, complaint, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Goodwill", r.name.clone()))?;
        super::queries::require_in_scope(&mut conn, caller, complaint).await?;
        Ok(pb::GetGoodwillResponse {
            goodwill: Some(to_wire(&g)),
        })
    }

    pub(super) async fn list_goodwill(
        &self,
        caller: &Caller,
        r: pb::ListGoodwillRequest,
    ) -> Result<pb::ListGoodwillResponse, ApiError> {
        let mut v = FieldViolations::new();
        let scope = scope(&mut v, &r.parent, &r.customer);
        let fp = Fingerprint::of(
            "ListGoodwill",
            &[r.parent.as_bytes(), r.customer.as_bytes()],
        );
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let (Some(scope), Some(size)) = (scope, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|bytes| decode_time_id(&bytes)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        if let Scope::Complaint(id) = scope {
            self.require_complaint(&mut conn, caller, id).await?;
        }
        let rows = store::list(&mut conn, scope, &TeamScope::of(caller), after, size + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |g| encode_time_id(g.create_time, g.id));
        Ok(pb::ListGoodwillResponse {
            goodwill: rows.iter().map(to_wire).collect(),
            next_page_token,
        })
    }

    pub(super) async fn goodwill_totals(
        &self,
        caller: &Caller,
        r: pb::GetGoodwillTotalsRequest,
    ) -> Result<pb::GetGoodwillTotalsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let scope = scope(&mut v, &r.parent, &r.customer);
        v.into_result()?;
        let scope = scope.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        if let Scope::Complaint(id) = scope {
            self.require_complaint(&mut conn, caller, id).await?;
        }
        let sums = store::sums(&mut conn, scope, &TeamScope::of(caller)).await?;
        Ok(pb::GetGoodwillTotalsResponse {
            totals: totals(sums),
        })
    }
}

/// Sums per currency and state folded into one total per currency.
pub(super) fn totals(sums: Vec<store::Sum>) -> Vec<pb::GoodwillTotal> {
    let mut totals: BTreeMap<String, pb::GoodwillTotal> = BTreeMap::new();
    for sum in sums {
        let total = totals
            .entry(sum.currency.clone())
            .or_insert_with(|| pb::GoodwillTotal {
                currency_code: sum.currency.clone(),
                proposed: Some(money(&sum.currency, 0)),
                approved: Some(money(&sum.currency, 0)),
                fulfilled: Some(money(&sum.currency, 0)),
                ..Default::default()
            });
        let amount = Some(money(&sum.currency, sum.minor));
        match sum.state {
            State::Proposed => (total.proposed, total.proposed_count) = (amount, sum.count),
            State::Approved => (total.approved, total.approved_count) = (amount, sum.count),
            State::Fulfilled => {
                (total.fulfilled, total.fulfilled_count) = (amount, sum.count);
            }
            State::Rejected => total.rejected_count = sum.count,
            State::Cancelled => total.cancelled_count = sum.count,
        }
    }
    totals.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_shown_in_the_currencys_own_digits() {
        assert_eq!(shown("EUR", 60_001), "EUR 600.01");
        assert_eq!(shown("JPY", 1_500), "JPY 1500");
    }
}
