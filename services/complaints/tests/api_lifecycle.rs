//! Every lifecycle move through the real API: the path from received to
//! closed, the way back on a rejected proposal, reopening within the window,
//! merging reversibly, and illegal moves refused with the allowed ones.

mod support;

use jiff::SignedDuration;
use support::*;
use tonic::Code;

/// Makes the moves named, in order, as `agent-1`; returns the complaint.
async fn walk(app: &TestApp, name: &str, moves: &[&str]) -> pb::Complaint {
    let mut c = app.agent("agent-1");
    let mut last = None;
    for m in moves {
        let n = || name.to_owned();
        let result = match *m {
            "ack" => c
                .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
                    name: n(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "investigate" => c
                .start_investigation(pb::StartInvestigationRequest {
                    name: n(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "await" => c
                .await_customer(pb::AwaitCustomerRequest {
                    name: n(),
                    question: "Which order number?".into(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "resume" => c
                .resume_investigation(pb::ResumeInvestigationRequest {
                    name: n(),
                    customer_answer: "Order 42".into(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "propose" => c
                .propose_resolution(pb::ProposeResolutionRequest {
                    name: n(),
                    resolution: "A refund of the delivery fee".into(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "accept" => c
                .accept_resolution(pb::AcceptResolutionRequest {
                    name: n(),
                    root_cause: Some(pb::RootCause {
                        category: "supplier".into(),
                        detail: "The carrier missed the slot".into(),
                    }),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "reject" => c
                .reject_resolution(pb::RejectResolutionRequest {
                    name: n(),
                    reason: "Wants a full refund".into(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "close" => c
                .close_complaint(pb::CloseComplaintRequest {
                    name: n(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "recover" => {
                for step in RECOVERY_STEPS {
                    c.record_recovery_step(pb::RecordRecoveryStepRequest {
                        name: n(),
                        step: step.into(),
                        channel: pb::RecoveryChannel::Phone.into(),
                        ..Default::default()
                    })
                    .await
                    .unwrap_or_else(|s| panic!("{step:?}: {s:?}"));
                }
                c.get_complaint(pb::GetComplaintRequest { name: n() })
                    .await
                    .map(|r| r.into_inner().complaint)
            }
            "reopen" => c
                .reopen_complaint(pb::ReopenComplaintRequest {
                    name: n(),
                    reason: "It happened again".into(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            "unmerge" => c
                .unmerge_complaint(pb::UnmergeComplaintRequest {
                    name: n(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().complaint),
            other => panic!("unknown move {other}"),
        };
        last = Some(
            result
                .unwrap_or_else(|s| panic!("{m}: {s:?}"))
                .expect("a complaint"),
        );
    }
    last.expect("at least one move")
}

/// The seven steps of service recovery, which a complaint's closure needs.
const RECOVERY_STEPS: [pb::RecoveryStep; 7] = [
    pb::RecoveryStep::Apology,
    pb::RecoveryStep::Fix,
    pb::RecoveryStep::Contact,
    pb::RecoveryStep::Goodwill,
    pb::RecoveryStep::Improvement,
    pb::RecoveryStep::SharedWithStaff,
    pb::RecoveryStep::FollowUp,
];

fn state(c: &pb::Complaint) -> pb::ComplaintState {
    pb::ComplaintState::try_from(c.state).expect("a state")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_goes_from_received_to_closed_through_every_step() {
    let app = spawn_app().await;
    let created = app.received().await;

    let acknowledged = walk(&app, &created.name, &["ack"]).await;
    let waiting = walk(&app, &created.name, &["investigate", "await"]).await;
    let proposed = walk(&app, &created.name, &["resume", "propose"]).await;
    let resolved = walk(&app, &created.name, &["accept"]).await;
    let closed = walk(&app, &created.name, &["recover", "close"]).await;

    assert_eq!(state(&acknowledged), pb::ComplaintState::Acknowledged);
    assert!(acknowledged.acknowledge_time.is_some());
    assert_eq!(state(&waiting), pb::ComplaintState::AwaitingCustomer);
    assert!(
        waiting.first_response_time.is_some(),
        "the question answered first"
    );
    assert_eq!(state(&proposed), pb::ComplaintState::ResolutionProposed);
    assert_eq!(proposed.resolution, "A refund of the delivery fee");
    assert_eq!(state(&resolved), pb::ComplaintState::Resolved);
    assert!(resolved.resolve_time.is_some());
    assert_eq!(state(&closed), pb::ComplaintState::Closed);
    assert_eq!(
        app.event_types_of(&created.name).await,
        [
            "complaint.created",
            "complaint.acknowledged",
            "complaint.state_changed",
            "complaint.state_changed",
            "complaint.state_changed",
            "complaint.state_changed",
            "complaint.resolved",
            "complaint.survey_invited",
            "complaint.recovery_step_recorded",
            "complaint.recovery_step_recorded",
            "complaint.recovery_step_recorded",
            "complaint.recovery_step_recorded",
            "complaint.recovery_step_recorded",
            "complaint.recovery_step_recorded",
            "complaint.recovery_step_recorded",
            "complaint.closed",
            "complaint.follow_ups_scheduled",
        ]
    );
    let notes = app
        .admin()
        .list_complaint_notes(pb::ListComplaintNotesRequest {
            parent: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .notes;
    let customer_visible = notes
        .iter()
        .filter(|n| n.visibility == pb::NoteVisibility::Customer as i32)
        .count();
    assert_eq!(customer_visible, 2, "the question and the proposal");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_resolution_sends_the_complaint_back_to_investigation() {
    let app = spawn_app().await;
    let created = app.received().await;

    let back = walk(
        &app,
        &created.name,
        &["ack", "investigate", "propose", "reject"],
    )
    .await;
    let resolved = walk(&app, &created.name, &["propose", "accept"]).await;

    assert_eq!(state(&back), pb::ComplaintState::Investigating);
    assert_eq!(state(&resolved), pb::ComplaintState::Resolved);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_illegal_move_is_refused_with_the_moves_allowed_now() {
    let app = spawn_app().await;
    let created = app.received().await;

    let status = app
        .agent("agent-1")
        .close_complaint(pb::CloseComplaintRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect_err("illegal");

    assert_status(&status, Code::FailedPrecondition, "ILLEGAL_TRANSITION");
    assert_eq!(allowed(&status), ["AcknowledgeComplaint", "MergeComplaint"]);
    assert_eq!(
        app.get(&created.name).await.etag,
        created.etag,
        "nothing changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_owner_or_a_supervisor_moves_a_complaint() {
    let app = spawn_app().await;
    let created = app.received().await;

    let stranger = app
        .agent("agent-9")
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect_err("denied");
    let supervised = app
        .supervisor()
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect("a supervisor may");

    assert_status(&stranger, Code::PermissionDenied, "NOT_OWNER");
    assert_eq!(
        supervised.into_inner().complaint.map(|c| c.owner),
        Some("agent-1".to_owned()),
        "a supervisor's move does not take ownership"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_complaint_reopens_within_the_window_and_not_after() {
    let app = spawn_app().await;
    let first = app.received().await;
    let second = app
        .create_as(&mut app.agent("agent-1"), complaint(&first.customer))
        .await;
    let path = [
        "ack",
        "investigate",
        "propose",
        "accept",
        "recover",
        "close",
    ];
    walk(&app, &first.name, &path).await;
    walk(&app, &second.name, &path).await;

    app.advance(SignedDuration::from_hours(24 * 29));
    let reopened = walk(&app, &first.name, &["reopen"]).await;
    app.advance(SignedDuration::from_hours(24 * 2));
    let late = app
        .agent("agent-1")
        .reopen_complaint(pb::ReopenComplaintRequest {
            name: second.name.clone(),
            reason: "again".into(),
            ..Default::default()
        })
        .await
        .expect_err("too late");

    assert_eq!(state(&reopened), pb::ComplaintState::Investigating);
    assert_eq!(reopened.reopen_count, 1);
    assert_status(&late, Code::FailedPrecondition, "REOPEN_WINDOW_PASSED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_merges_into_an_open_complaint_and_unmerging_restores_it() {
    let app = spawn_app().await;
    let original = app.received().await;
    let duplicate = app
        .create_as(&mut app.agent("agent-1"), complaint(&original.customer))
        .await;
    walk(&app, &duplicate.name, &["ack", "investigate"]).await;
    let other_customer = app.customer("Grace Hopper").await;
    let foreign = app
        .create_as(&mut app.agent("agent-1"), complaint(&other_customer))
        .await;
    let mut agent = app.agent("agent-1");

    let merged = agent
        .merge_complaint(pb::MergeComplaintRequest {
            name: duplicate.name.clone(),
            into: original.name.clone(),
            ..Default::default()
        })
        .await
        .expect("merged")
        .into_inner()
        .complaint
        .expect("a complaint");
    let into_foreign = agent
        .merge_complaint(pb::MergeComplaintRequest {
            name: foreign.name.clone(),
            into: original.name.clone(),
            ..Default::default()
        })
        .await
        .expect_err("another customer's");
    let restored = walk(&app, &duplicate.name, &["unmerge"]).await;

    assert_eq!(state(&merged), pb::ComplaintState::Merged);
    assert_eq!(merged.merged_into, original.name);
    assert_status(
        &into_foreign,
        Code::FailedPrecondition,
        "DIFFERENT_CUSTOMER",
    );
    assert_eq!(state(&restored), pb::ComplaintState::Investigating);
    assert!(restored.merged_into.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn feedback_closes_without_a_resolution_but_a_complaint_does_not() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let mut praise = complaint(&customer);
    praise.kind = pb::ComplaintKind::Feedback.into();
    let praise = app.create_as(&mut app.agent("agent-1"), praise).await;
    let grievance = app
        .create_as(&mut app.agent("agent-1"), complaint(&customer))
        .await;
    walk(&app, &grievance.name, &["ack"]).await;

    let closed = walk(&app, &praise.name, &["ack", "close"]).await;
    let refused = app
        .agent("agent-1")
        .close_complaint(pb::CloseComplaintRequest {
            name: grievance.name.clone(),
            ..Default::default()
        })
        .await
        .expect_err("a complaint needs a resolution");

    assert_eq!(state(&closed), pb::ComplaintState::Closed);
    assert_status(&refused, Code::FailedPrecondition, "ILLEGAL_TRANSITION");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_records_who_changed_what_before_and_after() {
    let app = spawn_app().await;
    let created = app.received().await;
    walk(&app, &created.name, &["ack"]).await;

    let entries = app
        .agent("agent-1")
        .get_complaint_history(pb::GetComplaintHistoryRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries;

    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].action, "created");
    assert_eq!(entries[1].action, "acknowledge");
    assert_eq!(entries[1].actor, "agent-1");
    let state_change = entries[1]
        .changes
        .iter()
        .find(|c| c.field == "state")
        .expect("the state change");
    assert_eq!(
        (state_change.before.as_str(), state_change.after.as_str()),
        ("received", "acknowledged")
    );
}
