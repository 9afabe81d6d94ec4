//! Satisfaction surveys and follow-ups through the real API (issue 6,
//! items 3 and 4): the invitation a resolution makes, one answer per
//! invitation, expiry and unknown tokens, the answer recorded on the
//! customer exactly once, follow-ups placed in the customer's own working
//! hours, made due once by the scheduler into the owner's queue, skipped
//! when the customer comes back, and cancelled by a reopening.

mod support;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use redress_platform::wire;
use support::*;
use tonic::Code;

/// Makes the moves named, in order, as `agent-1`.
async fn walk(app: &TestApp, name: &str, moves: &[&str]) {
    let mut c = app.agent("agent-1");
    for m in moves {
        let n = name.to_owned();
        let result = match *m {
            "ack" => c
                .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
                    name: n,
                    ..Default::default()
                })
                .await
                .map(drop),
            "investigate" => c
                .start_investigation(pb::StartInvestigationRequest {
                    name: n,
                    ..Default::default()
                })
                .await
                .map(drop),
            "propose" => c
                .propose_resolution(pb::ProposeResolutionRequest {
                    name: n,
                    resolution: "A refund of the delivery fee".into(),
                    ..Default::default()
                })
                .await
                .map(drop),
            "accept" => c
                .accept_resolution(pb::AcceptResolutionRequest {
                    name: n,
                    root_cause: Some(pb::RootCause {
                        category: "supplier".into(),
                        detail: String::new(),
                    }),
                    ..Default::default()
                })
                .await
                .map(drop),
            "close" => {
                // Every recovery step but the follow-up, which the closure
                // schedules itself; a step done before a reopening stays done.
                use pb::{RecoveryChannel as Ch, RecoveryStep as St};
                for (step, channel) in [
                    (St::Apology, Ch::Phone),
                    (St::Fix, Ch::Unspecified),
                    (St::Contact, Ch::Phone),
                    (St::Goodwill, Ch::Unspecified),
                    (St::Improvement, Ch::Unspecified),
                    (St::SharedWithStaff, Ch::Unspecified),
                ] {
                    let recorded = c
                        .record_recovery_step(pb::RecordRecoveryStepRequest {
                            name: n.clone(),
                            step: step.into(),
                            channel: channel.into(),
                            ..Default::default()
                        })
                        .await;
                    if let Err(status) = recorded {
                        assert_eq!(reason(&status), "STEP_ALREADY_DONE", "{status:?}");
                    }
                }
                c.close_complaint(pb::CloseComplaintRequest {
                    name: n,
                    ..Default::default()
                })
                .await
                .map(drop)
            }
            "reopen" => c
                .reopen_complaint(pb::ReopenComplaintRequest {
                    name: n,
                    reason: "It happened again".into(),
                    ..Default::default()
                })
                .await
                .map(drop),
            other => panic!("unknown move {other}"),
        };
        result.unwrap_or_else(|s| panic!("{m}: {s:?}"));
    }
}

const TO_RESOLVED: &[&str] = &["ack", "investigate", "propose", "accept"];

/// A customer living in `zone` ("" for none on record).
async fn customer_in(app: &TestApp, zone: &str) -> String {
    app.customers()
        .create_customer(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: "Grace Hopper".into(),
                kind: cpb::CustomerKind::Person.into(),
                time_zone: zone.into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("the customer is created")
        .into_inner()
        .customer
        .expect("a customer")
        .name
}

/// A complaint of a customer in `zone`, received by `agent-1`.
async fn complaint_in(app: &TestApp, zone: &str) -> pb::Complaint {
    let customer = customer_in(app, zone).await;
    app.create_as(&mut app.agent("agent-1"), complaint(&customer))
        .await
}

/// The payloads of the events of `event_type` about `name`.
async fn payloads(app: &TestApp, name: &str, event_type: &str) -> Vec<serde_json::Value> {
    app.events()
        .await
        .into_iter()
        .filter(|e| e.subject == name && e.r#type == event_type)
        .map(|e| serde_json::from_str(&e.payload).expect("a JSON payload"))
        .collect()
}

/// The token of the latest invitation of `name`, from its event.
async fn token_of(app: &TestApp, name: &str) -> String {
    let invited = payloads(app, name, "complaint.survey_invited").await;
    invited.last().expect("an invitation")["survey_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

fn an_answer() -> pb::SurveyAnswer {
    pb::SurveyAnswer {
        csat: 4,
        perceived_value: 6.0,
        expectation: 8.0,
        would_return: pb::WouldReturn::Yes.into(),
        comment: "Kind people, slow parcel".into(),
        ..Default::default()
    }
}

async fn answer(
    app: &TestApp,
    token: &str,
    answer: pb::SurveyAnswer,
    request_id: &str,
) -> Result<pb::Survey, tonic::Status> {
    app.service()
        .answer_survey(pb::AnswerSurveyRequest {
            survey_token: token.into(),
            answer: Some(answer),
            request_id: request_id.into(),
        })
        .await
        .map(|r| r.into_inner().survey.expect("a survey"))
}

async fn surveys(app: &TestApp, name: &str) -> Vec<pb::Survey> {
    app.admin()
        .list_surveys(pb::ListSurveysRequest {
            parent: name.into(),
            ..Default::default()
        })
        .await
        .expect("the surveys are listed")
        .into_inner()
        .surveys
}

async fn follow_ups(app: &TestApp, name: &str) -> Vec<pb::FollowUp> {
    app.admin()
        .list_follow_ups(pb::ListFollowUpsRequest {
            parent: name.into(),
        })
        .await
        .expect("the follow-ups are listed")
        .into_inner()
        .follow_ups
}

fn due_times(follow_ups: &[pb::FollowUp]) -> Vec<Timestamp> {
    follow_ups
        .iter()
        .map(|f| wire::from_timestamp(f.due_time.as_ref().expect("a due time")).expect("valid"))
        .collect()
}

fn states(follow_ups: &[pb::FollowUp]) -> Vec<pb::FollowUpState> {
    follow_ups
        .iter()
        .map(|f| pb::FollowUpState::try_from(f.state).expect("a state"))
        .collect()
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("a timestamp")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resolution_invites_the_customer_to_a_survey_whose_token_only_the_event_carries() {
    let app = spawn_app().await;
    let created = app.received().await;

    walk(&app, &created.name, TO_RESOLVED).await;

    let invited = payloads(&app, &created.name, "complaint.survey_invited").await;
    assert_eq!(invited.len(), 1);
    let token = invited[0]["survey_token"].as_str().expect("a token");
    assert!(token.len() >= 43, "at least 256 bits, URL-safe: {token}");
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    let expected_expiry = app.now() + SignedDuration::from_hours(30 * 24);
    assert_eq!(invited[0]["expire_time"], expected_expiry.to_string());
    let listed = surveys(&app, &created.name).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(invited[0]["survey"], listed[0].name);
    assert_eq!(listed[0].state, i32::from(pb::SurveyState::Invited));
    assert!(listed[0].answer.is_none());
    let stored_as_hash: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM complaints.complaint_surveys
         WHERE token_sha256 = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(token)
    .fetch_one(app.db.admin_pool())
    .await
    .expect("a count");
    assert_eq!(stored_as_hash, 1, "only the token's SHA-256 is stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_survey_takes_one_answer_and_a_retry_of_it_replays_the_first() {
    let app = spawn_app().await;
    let created = app.received().await;
    walk(&app, &created.name, TO_RESOLVED).await;
    let token = token_of(&app, &created.name).await;
    let first_request = request_id();

    let first = answer(&app, &token, an_answer(), &first_request)
        .await
        .expect("the first answer is taken");
    let retried = answer(&app, &token, an_answer(), &first_request)
        .await
        .expect("the retry replays");
    let second = answer(&app, &token, an_answer(), &request_id())
        .await
        .expect_err("a second answer is refused");

    assert_eq!(first.state, i32::from(pb::SurveyState::Answered));
    let given = first.answer.as_ref().expect("the answer");
    assert!((given.satisfaction_ratio - 0.75).abs() < 1e-12);
    assert_eq!(given.recorded_by, "notifications");
    assert_eq!(retried, first);
    assert_status(&second, Code::FailedPrecondition, "SURVEY_ALREADY_ANSWERED");
    assert_eq!(allowed(&second), ["GetSurvey"]);
    let answered = payloads(&app, &created.name, "complaint.survey_answered").await;
    assert_eq!(answered.len(), 1, "announced once");
    assert_eq!(answered[0]["csat"], 4);
    assert_eq!(answered[0]["would_return"], "yes");
    assert_eq!(answered[0]["survey"], first.name);
    assert!(
        !answered[0].to_string().contains("parcel"),
        "no free text in events"
    );
    let got = app
        .admin()
        .get_survey(pb::GetSurveyRequest {
            name: first.name.clone(),
        })
        .await
        .expect("the survey is read")
        .into_inner()
        .survey
        .expect("a survey");
    assert_eq!(got, first);
    let history = app
        .admin()
        .get_complaint_history(pb::GetComplaintHistoryRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect("the history is read")
        .into_inner()
        .entries;
    assert_eq!(
        history
            .iter()
            .filter(|e| e.action == "survey_answered")
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_past_its_expiry_cannot_be_answered() {
    let app = spawn_app().await;
    let created = app.received().await;
    walk(&app, &created.name, TO_RESOLVED).await;
    let token = token_of(&app, &created.name).await;

    app.advance(SignedDuration::from_hours(30 * 24));
    let refused = answer(&app, &token, an_answer(), &request_id())
        .await
        .expect_err("expired");

    assert_status(&refused, Code::FailedPrecondition, "SURVEY_EXPIRED");
    let listed = surveys(&app, &created.name).await;
    assert_eq!(listed[0].state, i32::from(pb::SurveyState::Expired));
    assert_eq!(
        app.count("complaint_surveys WHERE answer_time IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_token_is_not_found_and_nothing_is_written() {
    let app = spawn_app().await;
    let created = app.received().await;
    walk(&app, &created.name, TO_RESOLVED).await;

    let refused = answer(
        &app,
        "not-a-token-anyone-was-given",
        an_answer(),
        &request_id(),
    )
    .await
    .expect_err("unknown");

    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
    assert_eq!(
        app.count("complaint_surveys WHERE answer_time IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_answer_is_refused_with_one_violation_per_bad_field() {
    let app = spawn_app().await;
    let created = app.received().await;
    walk(&app, &created.name, TO_RESOLVED).await;
    let token = token_of(&app, &created.name).await;

    let all_bad = answer(
        &app,
        &token,
        pb::SurveyAnswer {
            csat: 6,
            perceived_value: -1.0,
            expectation: 0.0,
            would_return: pb::WouldReturn::Unspecified.into(),
            comment: "x".repeat(2001),
            ..Default::default()
        },
        "not-a-uuid",
    )
    .await
    .expect_err("invalid");
    let above_scale = answer(
        &app,
        &token,
        pb::SurveyAnswer {
            perceived_value: 11.0,
            ..an_answer()
        },
        &request_id(),
    )
    .await
    .expect_err("invalid");
    let missing = app
        .service()
        .answer_survey(pb::AnswerSurveyRequest {
            survey_token: String::new(),
            answer: None,
            request_id: String::new(),
        })
        .await
        .expect_err("invalid");

    assert_invalid(
        &all_bad,
        &[
            "answer.csat",
            "answer.perceived_value",
            "answer.expectation",
            "answer.would_return",
            "answer.comment",
            "request_id",
        ],
    );
    assert_invalid(&above_scale, &["answer.perceived_value"]);
    assert_invalid(&missing, &["survey_token", "answer"]);
    let listed = surveys(&app, &created.name).await;
    assert_eq!(listed[0].state, i32::from(pb::SurveyState::Invited));
}

/// The customer's satisfaction summary, as the customers service keeps it.
async fn satisfaction_count(app: &TestApp, customer: &str) -> i32 {
    app.customers()
        .get_customer(cpb::GetCustomerRequest {
            name: customer.into(),
        })
        .await
        .expect("the customer is read")
        .into_inner()
        .customer
        .expect("a customer")
        .satisfaction
        .map_or(0, |s| s.record_count)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_answer_is_recorded_on_the_customer_exactly_once_even_when_the_event_is_seen_twice() {
    let mut app = spawn_app().await;
    let created = app.received().await;
    walk(&app, &created.name, TO_RESOLVED).await;
    let token = token_of(&app, &created.name).await;
    answer(&app, &token, an_answer(), &request_id())
        .await
        .expect("answered");

    let mut recorded = 0;
    for _ in 0..200 {
        recorded = satisfaction_count(&app, &created.customer).await;
        if recorded > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(recorded, 1, "the answer reached the customers service");
    let summary = app
        .customers()
        .get_customer(cpb::GetCustomerRequest {
            name: created.customer.clone(),
        })
        .await
        .expect("read")
        .into_inner()
        .customer
        .expect("a customer")
        .satisfaction
        .expect("a summary");
    assert!((summary.current_ratio - 0.75).abs() < 1e-9);

    // The consumer forgets it applied the event (as after a crash between
    // the call and the commit) and sees it again after a restart.
    let admin = app.db.admin_pool().clone();
    sqlx::query("DELETE FROM complaints.applied_events WHERE feed = 'complaints.satisfaction'")
        .execute(&admin)
        .await
        .expect("forgotten");
    sqlx::query(
        "UPDATE complaints.feed_cursors SET position = 0 WHERE feed = 'complaints.satisfaction'",
    )
    .execute(&admin)
    .await
    .expect("rewound");
    app.start_complaints().await;
    let mut reapplied = 0;
    for _ in 0..200 {
        reapplied = app
            .count("applied_events WHERE feed = 'complaints.satisfaction'")
            .await;
        if reapplied > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(reapplied, 1, "the event was applied again");
    assert_eq!(
        satisfaction_count(&app, &created.customer).await,
        1,
        "recorded once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reopening_withdraws_the_unanswered_invitation_and_cancels_the_follow_ups() {
    let app = spawn_app().await;
    let created = app.received().await;
    walk(&app, &created.name, TO_RESOLVED).await;
    let old_token = token_of(&app, &created.name).await;
    walk(&app, &created.name, &["close"]).await;
    assert_eq!(follow_ups(&app, &created.name).await.len(), 3);

    walk(&app, &created.name, &["reopen"]).await;
    let withdrawn = answer(&app, &old_token, an_answer(), &request_id())
        .await
        .expect_err("withdrawn");
    walk(&app, &created.name, &["propose", "accept"]).await;
    let new_token = token_of(&app, &created.name).await;

    assert_status(&withdrawn, Code::FailedPrecondition, "SURVEY_WITHDRAWN");
    assert_eq!(
        states(&follow_ups(&app, &created.name).await),
        [pb::FollowUpState::Cancelled; 3]
    );
    let listed = surveys(&app, &created.name).await;
    let listed_states: Vec<i32> = listed.iter().map(|s| s.state).collect();
    assert_eq!(
        listed_states,
        [
            i32::from(pb::SurveyState::Withdrawn),
            i32::from(pb::SurveyState::Invited)
        ]
    );
    assert_ne!(new_token, old_token);
    answer(&app, &new_token, an_answer(), &request_id())
        .await
        .expect("the new invitation is answered");
    assert_eq!(
        payloads(&app, &created.name, "complaint.follow_ups_cancelled")
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_ups_fall_in_the_customers_working_hours_in_their_own_time_zone() {
    let app = spawn_app().await;
    let tokyo = complaint_in(&app, "Asia/Tokyo").await;
    let los_angeles = complaint_in(&app, "America/Los_Angeles").await;
    let nowhere = complaint_in(&app, "").await;

    for c in [&tokyo, &los_angeles, &nowhere] {
        walk(&app, &c.name, TO_RESOLVED).await;
        walk(&app, &c.name, &["close"]).await;
    }

    // Closed on Monday 2026-11-23 at 12:00 UTC: 21:00 in Tokyo (after
    // hours, so the next morning there), 04:00 in Los Angeles (before
    // hours, so 09:00 that day), noon in UTC for a customer without a zone.
    assert_eq!(
        due_times(&follow_ups(&app, &tokyo.name).await),
        [
            at("2026-11-27T00:00:00Z"),
            at("2026-12-08T00:00:00Z"),
            at("2026-12-24T00:00:00Z")
        ]
    );
    assert_eq!(
        due_times(&follow_ups(&app, &los_angeles.name).await),
        [
            at("2026-11-26T17:00:00Z"),
            at("2026-12-07T17:00:00Z"),
            at("2026-12-23T17:00:00Z")
        ]
    );
    let plain = follow_ups(&app, &nowhere.name).await;
    assert_eq!(
        due_times(&plain),
        [
            at("2026-11-26T12:00:00Z"),
            at("2026-12-07T12:00:00Z"),
            at("2026-12-23T12:00:00Z")
        ]
    );
    assert_eq!(plain[0].time_zone, "UTC");
    assert_eq!(
        states(&plain),
        [pb::FollowUpState::Scheduled; 3],
        "nothing is due yet"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduler_makes_a_follow_up_due_once_and_the_owner_does_it_from_their_queue() {
    let app = spawn_app().await;
    let created = complaint_in(&app, "").await;
    walk(&app, &created.name, TO_RESOLVED).await;
    walk(&app, &created.name, &["close"]).await;
    app.advance(SignedDuration::from_hours(3 * 24));

    let first = app.run_follow_ups().await;
    let again = app.run_follow_ups().await;
    let queue = app
        .agent("agent-1")
        .list_my_work(pb::ListMyWorkRequest::default())
        .await
        .expect("the queue is read")
        .into_inner();

    assert_eq!(first.due, 1);
    assert_eq!(again.due, 0, "never announced twice");
    assert_eq!(
        payloads(&app, &created.name, "complaint.follow_up_due")
            .await
            .len(),
        1
    );
    assert_eq!(queue.follow_ups_due.len(), 1);
    let due = &queue.follow_ups_due[0];
    assert_eq!(due.sequence, 1);
    let complete = |subject: &'static str, outcome: &'static str, request: String| {
        let app = &app;
        let name = due.name.clone();
        async move {
            app.agent(subject)
                .complete_follow_up(pb::CompleteFollowUpRequest {
                    name,
                    outcome: outcome.into(),
                    request_id: request,
                })
                .await
                .map(|r| r.into_inner().follow_up.expect("a follow-up"))
        }
    };
    let not_owner = complete("agent-2", "Called", request_id())
        .await
        .expect_err("not the owner");
    let no_outcome = complete("agent-1", " ", request_id())
        .await
        .expect_err("no outcome");
    let request = request_id();
    let done = complete("agent-1", "Called; all well", request.clone())
        .await
        .expect("done");
    let replayed = complete("agent-1", "Called; all well", request)
        .await
        .expect("replayed");
    let twice = complete("agent-1", "Called again", request_id())
        .await
        .expect_err("already done");
    let next = follow_ups(&app, &created.name).await[1].name.clone();
    let early = app
        .agent("agent-1")
        .complete_follow_up(pb::CompleteFollowUpRequest {
            name: next,
            outcome: "Too soon".into(),
            request_id: request_id(),
        })
        .await
        .expect_err("not due yet");
    let after = app
        .agent("agent-1")
        .list_my_work(pb::ListMyWorkRequest::default())
        .await
        .expect("the queue is read")
        .into_inner();

    assert_status(&not_owner, Code::PermissionDenied, "NOT_OWNER");
    assert_invalid(&no_outcome, &["outcome"]);
    assert_eq!(done.state, i32::from(pb::FollowUpState::Done));
    assert_eq!(done.done_by, "agent-1");
    assert_eq!(done.outcome, "Called; all well");
    assert_eq!(replayed, done);
    assert_status(&twice, Code::FailedPrecondition, "FOLLOW_UP_NOT_DUE");
    assert_status(&early, Code::FailedPrecondition, "FOLLOW_UP_NOT_DUE");
    assert!(after.follow_ups_due.is_empty());
    assert_eq!(
        states(&follow_ups(&app, &created.name).await),
        [
            pb::FollowUpState::Done,
            pb::FollowUpState::Scheduled,
            pb::FollowUpState::Scheduled
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_after_closure_skips_the_remaining_follow_ups() {
    let app = spawn_app().await;
    let created = complaint_in(&app, "").await;
    walk(&app, &created.name, TO_RESOLVED).await;
    walk(&app, &created.name, &["close"]).await;
    app.advance(SignedDuration::from_hours(3 * 24));
    app.customers()
        .record_transaction(cpb::RecordTransactionRequest {
            parent: created.customer.clone(),
            transaction: Some(cpb::Transaction {
                kind: cpb::TransactionKind::Purchase.into(),
                amount: Some(redress_proto::google::r#type::Money {
                    currency_code: "EUR".into(),
                    units: 25,
                    nanos: 0,
                }),
                occur_time: Some(wire::timestamp(app.now() - SignedDuration::from_hours(1))),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("the transaction is recorded");

    let pass = app.run_follow_ups().await;

    assert_eq!(pass.skipped, 3);
    assert_eq!(pass.due, 0);
    assert_eq!(
        states(&follow_ups(&app, &created.name).await),
        [pb::FollowUpState::Skipped; 3]
    );
    assert!(
        payloads(&app, &created.name, "complaint.follow_up_due")
            .await
            .is_empty()
    );
    let skipped = payloads(&app, &created.name, "complaint.follow_ups_skipped").await;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["reason"], "customer_returned");
}
