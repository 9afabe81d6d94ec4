//! Goodwill through the real API: the good-faith rule, approval limits per
//! role and the four-eyes rule, safe retries that never give twice, the
//! state machine's refusals, bad input, totals per complaint and customer,
//! and the history and feed every change leaves.
//!
//! The customers these tests create have no transactions, so the customers
//! service grades them D: with the default policy a proposal in EUR with unclear fault
//! is approved in good faith up to EUR 10.00, a supervisor approves up to
//! EUR 500.00 and an administrator up to EUR 5,000.00.

mod support;

use redress_proto::google::r#type::Money;
use support::goodwill::*;
use support::*;
use tonic::{Code, Status};

async fn fulfil_with(
    client: &mut Client,
    name: &str,
    request_id: &str,
) -> Result<pb::Goodwill, Status> {
    client
        .fulfil_goodwill(pb::FulfilGoodwillRequest {
            name: name.into(),
            etag: String::new(),
            request_id: request_id.into(),
            payment_reference: "PAY-42".into(),
        })
        .await
        .map(|r| r.into_inner().goodwill.expect("goodwill"))
}

async fn reject(client: &mut Client, name: &str) -> Result<pb::Goodwill, Status> {
    client
        .reject_goodwill(pb::RejectGoodwillRequest {
            name: name.into(),
            etag: String::new(),
            request_id: request_id(),
            reason: "Not justified by the facts".into(),
        })
        .await
        .map(|r| r.into_inner().goodwill.expect("goodwill"))
}

async fn cancel(client: &mut Client, name: &str) -> Result<pb::Goodwill, Status> {
    client
        .cancel_goodwill(pb::CancelGoodwillRequest {
            name: name.into(),
            etag: String::new(),
            request_id: request_id(),
            reason: "The customer declined it".into(),
        })
        .await
        .map(|r| r.into_inner().goodwill.expect("goodwill"))
}

fn state(g: &pb::Goodwill) -> pb::GoodwillState {
    pb::GoodwillState::try_from(g.state).expect("a state")
}

/// Totals of a complaint (`parent`) or a customer.
async fn totals(app: &TestApp, parent: &str, customer: &str) -> Vec<pb::GoodwillTotal> {
    app.supervisor()
        .get_goodwill_totals(pb::GetGoodwillTotalsRequest {
            parent: parent.into(),
            customer: customer.into(),
        })
        .await
        .expect("totals")
        .into_inner()
        .totals
}

fn minor(m: &Option<Money>) -> (String, i64, i32) {
    let m = m.as_ref().expect("an amount");
    (m.currency_code.clone(), m.units, m.nanos)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_refund_with_unclear_fault_is_approved_at_once_in_good_faith() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;

    // Act
    let g = propose(
        &mut app.agent("agent-1"),
        &complaint.name,
        refund(10, pb::GoodwillFault::Unclear),
    )
    .await
    .expect("proposed");

    // Assert
    assert_eq!(state(&g), pb::GoodwillState::Approved);
    assert!(g.good_faith);
    assert_eq!(g.approved_by, "system:good_faith");
    assert_eq!(g.proposed_by, "agent-1");
    assert_eq!(g.customer, complaint.customer);
    assert!(g.approve_time.is_some());
    assert!(g.name.starts_with(&format!("{}/goodwill/", complaint.name)));
    assert_eq!(
        app.event_types_of(&complaint.name).await[1..],
        ["complaint.goodwill_proposed", "complaint.goodwill_approved"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn goodwill_above_the_good_faith_limit_or_with_a_known_fault_stays_proposed() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let just_above = goodwill(
        pb::GoodwillKind::Refund,
        pb::GoodwillFault::Unclear,
        money("EUR", 10, 10_000_000),
    );

    // Act
    let above = propose(&mut agent, &complaint.name, just_above)
        .await
        .expect("proposed");
    let company = propose(
        &mut agent,
        &complaint.name,
        refund(5, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    let customer = propose(
        &mut agent,
        &complaint.name,
        refund(5, pb::GoodwillFault::Customer),
    )
    .await
    .expect("proposed");

    // Assert
    for g in [&above, &company, &customer] {
        assert_eq!(state(g), pb::GoodwillState::Proposed, "{g:?}");
        assert!(!g.good_faith);
        assert!(g.approved_by.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_good_faith_limit_follows_the_currency_and_the_customers_grade() {
    // Arrange: a policy where grade D gets more in yen than grade C.
    let mut settings = test_settings();
    let row = settings
        .goodwill
        .auto_approve
        .get_mut("JPY")
        .expect("a JPY row");
    row.c = 1_000;
    row.d = 2_000;
    let app = spawn_app_with(settings).await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let yen = |units| {
        goodwill(
            pb::GoodwillKind::Gift,
            pb::GoodwillFault::Unclear,
            money("JPY", units, 0),
        )
    };

    // Act
    let within = propose(&mut agent, &complaint.name, yen(2_000))
        .await
        .expect("proposed");
    let above = propose(&mut agent, &complaint.name, yen(2_001))
        .await
        .expect("proposed");

    // Assert
    assert_eq!(state(&within), pb::GoodwillState::Approved);
    assert_eq!(state(&above), pb::GoodwillState::Proposed);
    assert_eq!(minor(&within.amount), ("JPY".into(), 2_000, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_whose_limit_covers_the_amount_approves_and_one_whose_limit_does_not_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let large = propose(
        &mut agent,
        &complaint.name,
        refund(600, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    let medium = propose(
        &mut agent,
        &complaint.name,
        refund(400, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");

    // Act
    let by_agent = approve(&mut app.agent("agent-2"), &medium.name)
        .await
        .expect_err("agents have no limit");
    let by_supervisor = approve(&mut app.supervisor(), &large.name)
        .await
        .expect_err("above the supervisor's limit");
    let large_approved = approve(&mut app.admin(), &large.name)
        .await
        .expect("approved");
    let medium_approved = approve(&mut app.supervisor(), &medium.name)
        .await
        .expect("approved");

    // Assert
    assert_status(&by_agent, Code::PermissionDenied, "APPROVAL_LIMIT_TOO_LOW");
    assert_status(
        &by_supervisor,
        Code::PermissionDenied,
        "APPROVAL_LIMIT_TOO_LOW",
    );
    assert!(
        by_supervisor.message().contains("EUR 500.00"),
        "{by_supervisor:?}"
    );
    assert!(
        by_supervisor.message().contains("admin"),
        "{by_supervisor:?}"
    );
    assert_eq!(state(&large_approved), pb::GoodwillState::Approved);
    assert_eq!(large_approved.approved_by, "admin-1");
    assert!(!large_approved.good_faith);
    assert_eq!(medium_approved.approved_by, "sup-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn goodwill_above_every_approval_limit_cannot_be_approved_by_anyone() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let huge = propose(
        &mut app.agent("agent-1"),
        &complaint.name,
        refund(5_001, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");

    // Act
    let refused = approve(&mut app.admin(), &huge.name)
        .await
        .expect_err("refused");

    // Assert
    assert_status(
        &refused,
        Code::FailedPrecondition,
        "APPROVAL_LIMIT_EXCEEDED",
    );
    assert!(refused.message().contains("EUR 5000.00"), "{refused:?}");
    assert_eq!(allowed(&refused), ["RejectGoodwill", "CancelGoodwill"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proposer_may_not_approve_their_own_goodwill() {
    // Arrange: a supervisor proposes on an agent's complaint.
    let app = spawn_app().await;
    let complaint = app.received().await;
    let g = propose(
        &mut app.supervisor(),
        &complaint.name,
        refund(100, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    let other_supervisor = || {
        app.client_as(
            "sup-2",
            &[redress_platform::auth::Role::Supervisor],
            Some("front"),
        )
    };

    // Act
    let own = approve(&mut app.supervisor(), &g.name)
        .await
        .expect_err("four eyes");
    let other = approve(&mut other_supervisor(), &g.name)
        .await
        .expect("approved");

    // Assert
    assert_status(&own, Code::PermissionDenied, "SELF_APPROVAL");
    assert_eq!(other.approved_by, "sup-2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_proposal_returns_the_first_answer_and_is_stored_once() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let rid = request_id();

    // Act
    let first = propose_with(
        &mut agent,
        &complaint.name,
        refund(50, pb::GoodwillFault::Company),
        &rid,
    )
    .await
    .expect("proposed");
    let again = propose_with(
        &mut agent,
        &complaint.name,
        refund(50, pb::GoodwillFault::Company),
        &rid,
    )
    .await
    .expect("replayed");

    // Assert
    assert_eq!(first, again);
    assert_eq!(app.count("goodwill").await, 1);
    let t = totals(&app, &complaint.name, "").await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].proposed_count, 1);
    assert_eq!(minor(&t[0].proposed), ("EUR".into(), 50, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_fulfilment_gives_once_and_a_second_fulfilment_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let g = propose(
        &mut agent,
        &complaint.name,
        refund(10, pb::GoodwillFault::Unclear),
    )
    .await
    .expect("approved in good faith");
    let rid = request_id();

    // Act
    let first = fulfil_with(&mut agent, &g.name, &rid)
        .await
        .expect("fulfilled");
    let retried = fulfil_with(&mut agent, &g.name, &rid)
        .await
        .expect("replayed");
    let second = fulfil_with(&mut agent, &g.name, &request_id())
        .await
        .expect_err("given once");

    // Assert
    assert_eq!(first, retried);
    assert_eq!(state(&first), pb::GoodwillState::Fulfilled);
    assert_eq!(first.payment_reference, "PAY-42");
    assert_status(
        &second,
        Code::FailedPrecondition,
        "GOODWILL_ALREADY_FULFILLED",
    );
    assert!(allowed(&second).is_empty());
    let t = totals(&app, &complaint.name, "").await;
    assert_eq!(
        (t[0].fulfilled_count, minor(&t[0].fulfilled)),
        (1, ("EUR".into(), 10, 0))
    );
    assert_eq!(t[0].approved_count, 0);
    let fulfilled_events = app
        .event_types_of(&complaint.name)
        .await
        .into_iter()
        .filter(|t| t == "complaint.goodwill_fulfilled")
        .count();
    assert_eq!(fulfilled_events, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn illegal_moves_are_refused_with_the_moves_allowed_now() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let proposed = propose(
        &mut agent,
        &complaint.name,
        refund(100, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    let approved = propose(
        &mut agent,
        &complaint.name,
        refund(1, pb::GoodwillFault::Unclear),
    )
    .await
    .expect("approved");

    // Act
    let early = fulfil_with(&mut agent, &proposed.name, &request_id())
        .await
        .expect_err("not approved yet");
    let rejected = reject(&mut app.supervisor(), &proposed.name)
        .await
        .expect("rejected");
    let after_rejection = cancel(&mut agent, &proposed.name)
        .await
        .expect_err("rejected");
    let reject_approved = reject(&mut app.supervisor(), &approved.name)
        .await
        .expect_err("approved already");
    let cancelled = cancel(&mut agent, &approved.name).await.expect("cancelled");

    // Assert
    assert_status(&early, Code::FailedPrecondition, "GOODWILL_NOT_APPROVED");
    assert_eq!(
        allowed(&early),
        ["ApproveGoodwill", "RejectGoodwill", "CancelGoodwill"]
    );
    assert_eq!(state(&rejected), pb::GoodwillState::Rejected);
    assert_eq!(rejected.ended_by, "sup-1");
    assert_eq!(rejected.end_reason, "Not justified by the facts");
    assert_status(
        &after_rejection,
        Code::FailedPrecondition,
        "GOODWILL_REJECTED",
    );
    assert!(allowed(&after_rejection).is_empty());
    assert_status(
        &reject_approved,
        Code::FailedPrecondition,
        "GOODWILL_ALREADY_APPROVED",
    );
    assert_eq!(
        allowed(&reject_approved),
        ["FulfilGoodwill", "CancelGoodwill"]
    );
    assert_eq!(state(&cancelled), pb::GoodwillState::Cancelled);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_owner_or_a_supervisor_proposes_and_an_agent_may_not_reject() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let g = propose(
        &mut app.agent("agent-1"),
        &complaint.name,
        refund(100, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");

    // Act
    let stranger = propose(
        &mut app.agent("agent-2"),
        &complaint.name,
        refund(1, pb::GoodwillFault::Unclear),
    )
    .await
    .expect_err("not the owner");
    let agent_reject = reject(&mut app.agent("agent-2"), &g.name)
        .await
        .expect_err("no authority");

    // Assert
    assert_status(&stranger, Code::PermissionDenied, "NOT_OWNER");
    assert_status(&agent_reject, Code::PermissionDenied, "NOT_APPROVER");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_proposals_are_refused_with_one_violation_per_field_and_nothing_is_written() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let everything_wrong = pb::Goodwill {
        kind: 0,
        fault: 0,
        amount: Some(money("CHF", 1, 0)),
        description: "x".repeat(501),
        ..Default::default()
    };
    let zero_refund = refund(0, pb::GoodwillFault::Unclear);
    let tenth_of_a_cent = goodwill(
        pb::GoodwillKind::Refund,
        pb::GoodwillFault::Unclear,
        money("EUR", 1, 5_000_000),
    );
    let half_a_yen = goodwill(
        pb::GoodwillKind::Voucher,
        pb::GoodwillFault::Unclear,
        money("JPY", 1, 500_000_000),
    );
    let negative = refund(-1, pb::GoodwillFault::Unclear);
    let no_amount = pb::Goodwill {
        amount: None,
        ..refund(1, pb::GoodwillFault::Unclear)
    };

    // Act
    let many = propose(&mut agent, &complaint.name, everything_wrong)
        .await
        .expect_err("bad");
    let zero = propose(&mut agent, &complaint.name, zero_refund)
        .await
        .expect_err("bad");
    let fine = propose(&mut agent, &complaint.name, tenth_of_a_cent)
        .await
        .expect_err("bad");
    let yen = propose(&mut agent, &complaint.name, half_a_yen)
        .await
        .expect_err("bad");
    let below = propose(&mut agent, &complaint.name, negative)
        .await
        .expect_err("bad");
    let missing = propose(&mut agent, &complaint.name, no_amount)
        .await
        .expect_err("bad");
    let bad_parent = propose_with(
        &mut agent,
        "complaints/nope",
        refund(1, pb::GoodwillFault::Unclear),
        "not-a-uuid",
    )
    .await
    .expect_err("bad");
    let free_gift = propose(
        &mut agent,
        &complaint.name,
        goodwill(
            pb::GoodwillKind::Gift,
            pb::GoodwillFault::Company,
            money("EUR", 0, 0),
        ),
    )
    .await
    .expect("a gift may cost nothing");

    // Assert
    assert_invalid(
        &many,
        &[
            "goodwill.kind",
            "goodwill.fault",
            "goodwill.amount.currency_code",
            "goodwill.description",
        ],
    );
    for status in [&zero, &fine, &yen, &below, &missing] {
        assert_invalid(status, &["goodwill.amount"]);
    }
    assert_invalid(&bad_parent, &["parent", "request_id"]);
    assert_eq!(state(&free_gift), pb::GoodwillState::Proposed);
    assert_eq!(app.count("goodwill").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn goodwill_is_proposed_on_open_or_resolved_complaints_but_not_closed_ones() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let name = || complaint.name.clone();
    agent
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: name(),
            ..Default::default()
        })
        .await
        .expect("acknowledged");
    agent
        .start_investigation(pb::StartInvestigationRequest {
            name: name(),
            ..Default::default()
        })
        .await
        .expect("investigating");
    agent
        .propose_resolution(pb::ProposeResolutionRequest {
            name: name(),
            resolution: "A refund".into(),
            ..Default::default()
        })
        .await
        .expect("proposed");
    agent
        .accept_resolution(pb::AcceptResolutionRequest {
            name: name(),
            root_cause: Some(pb::RootCause {
                category: "process".into(),
                detail: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("resolved");

    // Act
    let on_resolved = propose(
        &mut agent,
        &complaint.name,
        refund(1, pb::GoodwillFault::Unclear),
    )
    .await;
    app.supervisor()
        .close_complaint(pb::CloseComplaintRequest {
            name: name(),
            override_reason: "The recovery is not what this test is about".into(),
            ..Default::default()
        })
        .await
        .expect("closed");
    let on_closed = propose(
        &mut agent,
        &complaint.name,
        refund(1, pb::GoodwillFault::Unclear),
    )
    .await
    .expect_err("closed");
    let given_after_closure = fulfil_with(
        &mut agent,
        &on_resolved.as_ref().expect("proposed").name,
        &request_id(),
    )
    .await;

    // Assert
    assert_eq!(
        state(&on_resolved.expect("proposed")),
        pb::GoodwillState::Approved
    );
    assert_status(&on_closed, Code::FailedPrecondition, "COMPLAINT_NOT_OPEN");
    assert_eq!(allowed(&on_closed), ["ReopenComplaint"]);
    assert_eq!(
        state(&given_after_closure.expect("approved goodwill is given after closure")),
        pb::GoodwillState::Fulfilled
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_etag_refuses_the_change_and_two_racing_approvals_cannot_both_win() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let g = propose(
        &mut app.agent("agent-1"),
        &complaint.name,
        refund(100, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    let stale = app
        .supervisor()
        .approve_goodwill(pb::ApproveGoodwillRequest {
            name: g.name.clone(),
            etag: "\"99\"".into(),
            request_id: request_id(),
        })
        .await
        .expect_err("stale");

    // Act
    let (mut a, mut b) = (app.supervisor(), app.admin());
    let (first, second) = tokio::join!(approve(&mut a, &g.name), approve(&mut b, &g.name));

    // Assert
    assert_status(&stale, Code::Aborted, "ETAG_MISMATCH");
    let outcomes = [first, second];
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(won, 1, "{outcomes:?}");
    let lost = outcomes
        .iter()
        .find_map(|o| o.as_ref().err())
        .expect("one lost");
    assert_status(lost, Code::FailedPrecondition, "GOODWILL_ALREADY_APPROVED");
}

#[tokio::test(flavor = "multi_thread")]
async fn totals_add_up_per_complaint_and_per_customer_in_each_currency() {
    // Arrange: two complaints of one customer.
    let app = spawn_app().await;
    let customer = app.customer("Grace Hopper").await;
    let mut agent = app.agent("agent-1");
    let first = app.create_as(&mut agent, complaint(&customer)).await;
    let second = app.create_as(&mut agent, complaint(&customer)).await;
    let given = propose(
        &mut agent,
        &first.name,
        refund(10, pb::GoodwillFault::Unclear),
    )
    .await
    .expect("approved");
    fulfil_with(&mut agent, &given.name, &request_id())
        .await
        .expect("given");
    propose(
        &mut agent,
        &first.name,
        refund(200, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    propose(
        &mut agent,
        &second.name,
        goodwill(
            pb::GoodwillKind::Voucher,
            pb::GoodwillFault::Unclear,
            money("JPY", 1_000, 0),
        ),
    )
    .await
    .expect("approved");
    let withdrawn = propose(
        &mut agent,
        &second.name,
        refund(30, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    cancel(&mut agent, &withdrawn.name)
        .await
        .expect("cancelled");

    // Act
    let of_first = totals(&app, &first.name, "").await;
    let of_customer = totals(&app, "", &customer).await;
    let page = app
        .admin()
        .list_goodwill(pb::ListGoodwillRequest {
            customer: customer.clone(),
            page_size: 3,
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    let rest = app
        .admin()
        .list_goodwill(pb::ListGoodwillRequest {
            customer: customer.clone(),
            page_size: 3,
            page_token: page.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();

    // Assert
    assert_eq!(of_first.len(), 1);
    let eur = &of_first[0];
    assert_eq!(eur.currency_code, "EUR");
    assert_eq!(
        (eur.fulfilled_count, minor(&eur.fulfilled)),
        (1, ("EUR".into(), 10, 0))
    );
    assert_eq!(
        (eur.proposed_count, minor(&eur.proposed)),
        (1, ("EUR".into(), 200, 0))
    );
    assert_eq!(eur.cancelled_count, 0);
    let codes: Vec<&str> = of_customer
        .iter()
        .map(|t| t.currency_code.as_str())
        .collect();
    assert_eq!(codes, ["EUR", "JPY"]);
    assert_eq!(of_customer[0].cancelled_count, 1);
    assert_eq!(of_customer[0].proposed_count, 1);
    assert_eq!(
        (
            of_customer[1].approved_count,
            minor(&of_customer[1].approved)
        ),
        (1, ("JPY".into(), 1_000, 0))
    );
    assert_eq!(page.goodwill.len(), 3);
    assert!(!page.next_page_token.is_empty());
    assert_eq!(rest.goodwill.len(), 1);
    assert!(rest.next_page_token.is_empty());
    assert_eq!(page.goodwill[0].name, given.name);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_goodwill_change_is_in_the_history_and_on_the_feed_without_its_description() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let g = propose(
        &mut agent,
        &complaint.name,
        refund(100, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");

    // Act
    approve(&mut app.supervisor(), &g.name)
        .await
        .expect("approved");
    fulfil_with(&mut agent, &g.name, &request_id())
        .await
        .expect("given");

    // Assert
    let events: Vec<_> = app
        .events()
        .await
        .into_iter()
        .filter(|e| e.r#type.starts_with("complaint.goodwill_"))
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e.r#type.as_str()).collect();
    assert_eq!(
        types,
        [
            "complaint.goodwill_proposed",
            "complaint.goodwill_approved",
            "complaint.goodwill_fulfilled"
        ]
    );
    for e in &events {
        assert!(
            !e.payload.contains("delivery fee"),
            "no free text: {}",
            e.payload
        );
        let payload: serde_json::Value = serde_json::from_str(&e.payload).expect("json");
        assert_eq!(payload["goodwill"], g.name.as_str());
        assert_eq!(payload["amount_minor"], 10_000);
        assert_eq!(payload["currency"], "EUR");
        assert_eq!(payload["kind"], "refund");
    }
    let history = app
        .admin()
        .get_complaint_history(pb::GetComplaintHistoryRequest {
            name: complaint.name.clone(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries;
    let actions: Vec<(&str, &str)> = history
        .iter()
        .skip(1)
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("goodwill_proposed", "agent-1"),
            ("goodwill_approved", "sup-1"),
            ("goodwill_fulfilled", "agent-1")
        ]
    );
    let last = history.last().expect("an entry");
    assert!(
        last.changes
            .iter()
            .any(|c| c.field == g.name && c.before == "approved" && c.after == "fulfilled"),
        "{last:?}"
    );
    let mut conn = app.pool.acquire().await.expect("a connection");
    let id = complaint
        .name
        .trim_start_matches("complaints/")
        .parse()
        .expect("a uuid");
    assert!(
        redress_complaints::store::goodwill::has_goodwill_given(&mut conn, id, false)
            .await
            .expect("asked")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn goodwill_is_read_one_at_a_time_and_unknown_goodwill_is_not_found() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let g = propose(
        &mut app.agent("agent-1"),
        &complaint.name,
        refund(10, pb::GoodwillFault::Unclear),
    )
    .await
    .expect("proposed");
    let unknown = format!("{}/goodwill/{}", complaint.name, uuid::Uuid::now_v7());

    // Act
    let read = app
        .agent("agent-9")
        .get_goodwill(pb::GetGoodwillRequest {
            name: g.name.clone(),
        })
        .await
        .expect("read")
        .into_inner()
        .goodwill
        .expect("goodwill");
    let missing = app
        .agent("agent-9")
        .get_goodwill(pb::GetGoodwillRequest {
            name: unknown.clone(),
        })
        .await
        .expect_err("unknown");
    let missing_approval = approve(&mut app.admin(), &unknown)
        .await
        .expect_err("unknown");

    // Assert
    assert_eq!(read, g);
    assert_eq!(read.description, "Refund of the delivery fee");
    assert_status(&missing, Code::NotFound, "GOODWILL_NOT_FOUND");
    assert_status(&missing_approval, Code::NotFound, "GOODWILL_NOT_FOUND");
}
