//! The adoption rule through the real API: the receiver owns a complaint;
//! ownership moves only when an offer is accepted (exactly one of racing
//! acceptances wins) or a supervisor reassigns it; a declined or lapsed
//! offer leaves the owner accountable; assists help without owning; every
//! move is in the ledger.

mod support;

use jiff::SignedDuration;
use redress_platform::auth::Role;
use support::*;
use tonic::Code;

async fn offer_to_agent(app: &TestApp, name: &str, to: &str) -> pb::HandOff {
    app.agent("agent-1")
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: name.into(),
            target: Some(pb::hand_off_complaint_request::Target::ToAgent(to.into())),
            reason: "Billing knows this contract".into(),
            ..Default::default()
        })
        .await
        .expect("offered")
        .into_inner()
        .hand_off
        .expect("an offer")
}

async fn ledger(app: &TestApp, name: &str) -> Vec<pb::OwnershipChange> {
    app.admin()
        .list_ownership_changes(pb::ListOwnershipChangesRequest {
            parent: name.into(),
            ..Default::default()
        })
        .await
        .expect("ledger")
        .into_inner()
        .changes
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_stays_accountable_until_the_offer_is_accepted() {
    let app = spawn_app().await;
    let created = app.received().await;

    let offer = offer_to_agent(&app, &created.name, "agent-2").await;
    let pending = app.get(&created.name).await;
    let complaint = app
        .client_as("agent-2", &[Role::Agent], Some("billing"))
        .accept_hand_off(pb::AcceptHandOffRequest {
            name: offer.name.clone(),
            request_id: request_id(),
        })
        .await
        .expect("accepted")
        .into_inner()
        .complaint
        .expect("a complaint");

    assert_eq!(pending.owner, "agent-1");
    assert_eq!(
        pending.pending_hand_off.map(|h| h.name),
        Some(offer.name.clone())
    );
    assert_eq!(complaint.owner, "agent-2");
    assert_eq!(complaint.owner_team, "teams/billing");
    assert_eq!(complaint.watchers, ["agent-1"]);
    assert_eq!(complaint.transfer_count, 1);
    assert!(complaint.pending_hand_off.is_none());
    let ledger = ledger(&app, &created.name).await;
    let kinds: Vec<i32> = ledger.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            pb::OwnershipChangeKind::Intake as i32,
            pb::OwnershipChangeKind::HandOffAccepted as i32
        ]
    );
    assert_eq!(ledger[1].hand_off, offer.name);
    let types = app.event_types_of(&created.name).await;
    assert!(
        types.ends_with(&[
            "complaint.hand_off_offered".to_owned(),
            "complaint.hand_off_accepted".to_owned(),
            "complaint.owner_changed".to_owned(),
        ]),
        "{types:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn of_agents_racing_to_accept_the_same_team_offer_exactly_one_wins() {
    let app = spawn_app().await;
    let created = app.received().await;
    let offer = app
        .agent("agent-1")
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: created.name.clone(),
            target: Some(pb::hand_off_complaint_request::Target::ToTeam(
                "teams/billing".into(),
            )),
            reason: "A billing question".into(),
            ..Default::default()
        })
        .await
        .expect("offered")
        .into_inner()
        .hand_off
        .expect("an offer");

    let mut racers = Vec::new();
    for agent in ["billing-1", "billing-2", "billing-3", "billing-4"] {
        let mut client = app.client_as(agent, &[Role::Agent], Some("billing"));
        let name = offer.name.clone();
        racers.push(tokio::spawn(async move {
            client
                .accept_hand_off(pb::AcceptHandOffRequest {
                    name,
                    request_id: request_id(),
                })
                .await
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for racer in racers {
        match racer.await.expect("joined") {
            Ok(answer) => winners.push(answer.into_inner().complaint.expect("a complaint").owner),
            Err(status) => losers.push(status),
        }
    }

    assert_eq!(winners.len(), 1, "{losers:?}");
    assert_eq!(losers.len(), 3);
    for status in &losers {
        assert_status(status, Code::FailedPrecondition, "HAND_OFF_NOT_PENDING");
    }
    let after = app.get(&created.name).await;
    assert_eq!(after.owner, winners[0]);
    assert_eq!(after.transfer_count, 1);
    assert_eq!(app.count("ownership_changes").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_offer_leaves_the_complaint_with_its_owner() {
    let app = spawn_app().await;
    let created = app.received().await;
    let offer = offer_to_agent(&app, &created.name, "agent-2").await;

    let not_for_you = app
        .agent("agent-3")
        .accept_hand_off(pb::AcceptHandOffRequest {
            name: offer.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect_err("not offered to agent-3");
    let declined = app
        .agent("agent-2")
        .decline_hand_off(pb::DeclineHandOffRequest {
            name: offer.name.clone(),
            reason: "Not my product".into(),
            request_id: String::new(),
        })
        .await
        .expect("declined")
        .into_inner()
        .hand_off
        .expect("an offer");

    assert_status(&not_for_you, Code::PermissionDenied, "NOT_OFFERED_TO_YOU");
    assert_eq!(declined.state, pb::HandOffState::Declined as i32);
    assert_eq!(declined.decline_reason, "Not my product");
    let after = app.get(&created.name).await;
    assert_eq!(after.owner, "agent-1");
    assert_eq!(after.transfer_count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unanswered_offer_lapses_and_cannot_be_accepted_late() {
    let app = spawn_app().await;
    let created = app.received().await;
    let offer = offer_to_agent(&app, &created.name, "agent-2").await;

    app.advance(SignedDuration::from_hours(5));
    let late = app
        .agent("agent-2")
        .accept_hand_off(pb::AcceptHandOffRequest {
            name: offer.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect_err("expired");
    let pass = app.run_scheduler().await;

    assert_status(&late, Code::FailedPrecondition, "HAND_OFF_EXPIRED");
    assert_eq!(pass.expired_offers, 1);
    let after = app.get(&created.name).await;
    assert_eq!(after.owner, "agent-1");
    assert!(after.pending_hand_off.is_none());
    let types = app.event_types_of(&created.name).await;
    assert!(types.contains(&"complaint.hand_off_expired".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_offer_the_scheduler_has_not_lapsed_yet_gives_way_to_a_new_one() {
    let app = spawn_app().await;
    let created = app.received().await;
    let first = offer_to_agent(&app, &created.name, "agent-2").await;
    let mut agent_2 = app.agent("agent-2");
    let work_of_agent_2 = |mut client: Client| async move {
        client
            .list_my_work(pb::ListMyWorkRequest::default())
            .await
            .expect("work")
            .into_inner()
            .offered_hand_offs
    };

    // Past the offer's expiry; the scheduler has not run.
    app.advance(SignedDuration::from_hours(5));
    let shown_expired = app.get(&created.name).await;
    let offered_expired = work_of_agent_2(agent_2.clone()).await;
    let second = offer_to_agent(&app, &created.name, "agent-3").await;
    let late = agent_2
        .accept_hand_off(pb::AcceptHandOffRequest {
            name: first.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect_err("lapsed");
    let offered_after = work_of_agent_2(agent_2.clone()).await;
    let pass = app.run_scheduler().await;

    assert!(shown_expired.pending_hand_off.is_none());
    assert!(offered_expired.is_empty(), "{offered_expired:?}");
    assert!(offered_after.is_empty(), "{offered_after:?}");
    assert_eq!(second.state, pb::HandOffState::Pending as i32);
    assert_eq!(
        app.get(&created.name)
            .await
            .pending_hand_off
            .map(|h| h.name),
        Some(second.name.clone())
    );
    assert_status(&late, Code::FailedPrecondition, "HAND_OFF_NOT_PENDING");
    let first_id: uuid::Uuid = first
        .name
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("an offer id");
    let (state, decided_by): (String, String) =
        sqlx::query_as("SELECT state, decided_by FROM complaints.hand_offs WHERE id = $1")
            .bind(first_id)
            .fetch_one(app.db.admin_pool())
            .await
            .expect("the first offer");
    assert_eq!(
        (state.as_str(), decided_by.as_str()),
        ("expired", "system:hand_offs")
    );
    assert_eq!(pass.expired_offers, 0, "lapsed once, by the new hand-off");
    let hand_off_events: Vec<String> = app
        .event_types_of(&created.name)
        .await
        .into_iter()
        .filter(|t| t.starts_with("complaint.hand_off"))
        .collect();
    assert_eq!(
        hand_off_events,
        [
            "complaint.hand_off_offered",
            "complaint.hand_off_expired",
            "complaint.hand_off_offered",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_offer_waits_until_the_first_is_withdrawn() {
    let app = spawn_app().await;
    let created = app.received().await;
    let first = offer_to_agent(&app, &created.name, "agent-2").await;

    let refused = app
        .agent("agent-1")
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: created.name.clone(),
            target: Some(pb::hand_off_complaint_request::Target::ToAgent(
                "agent-3".into(),
            )),
            reason: "Or maybe agent-3".into(),
            ..Default::default()
        })
        .await
        .expect_err("one pending offer at a time");
    app.agent("agent-1")
        .withdraw_hand_off(pb::WithdrawHandOffRequest {
            name: first.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("withdrawn");
    let second = offer_to_agent(&app, &created.name, "agent-3").await;

    assert_status(&refused, Code::FailedPrecondition, "HAND_OFF_PENDING");
    assert_eq!(allowed(&refused), ["WithdrawHandOff"]);
    assert_eq!(second.state, pb::HandOffState::Pending as i32);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_supervisor_reassigns_and_the_reason_is_kept() {
    let app = spawn_app().await;
    let created = app.received().await;
    let request = pb::ReassignComplaintRequest {
        name: created.name.clone(),
        new_owner: "agent-5".into(),
        new_team: "teams/escalations".into(),
        reason: "agent-1 is on leave".into(),
        ..Default::default()
    };

    let by_agent = app
        .agent("agent-1")
        .reassign_complaint(request.clone())
        .await
        .expect_err("agents hand off; supervisors reassign");
    let reassigned = app
        .supervisor()
        .reassign_complaint(request)
        .await
        .expect("reassigned")
        .into_inner()
        .complaint
        .expect("a complaint");

    assert_eq!(by_agent.code(), Code::PermissionDenied);
    assert_eq!(reassigned.owner, "agent-5");
    assert_eq!(reassigned.owner_team, "teams/escalations");
    assert_eq!(reassigned.watchers, ["agent-1"]);
    let ledger = ledger(&app, &created.name).await;
    assert_eq!(ledger[1].reason, "agent-1 is on leave");
    assert_eq!(ledger[1].actor, "sup-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assistant_answers_and_adds_notes_without_owning_the_complaint() {
    let app = spawn_app().await;
    let created = app.received().await;
    let assist = app
        .agent("agent-1")
        .request_assist(pb::RequestAssistRequest {
            parent: created.name.clone(),
            assist: Some(pb::Assist {
                department: "teams/logistics".into(),
                question: "Where was the parcel held?".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("asked")
        .into_inner()
        .assist
        .expect("an assist");
    let mut logistics = app.client_as("log-7", &[Role::Agent], Some("logistics"));

    let work = logistics
        .list_my_work(pb::ListMyWorkRequest::default())
        .await
        .expect("work")
        .into_inner();
    let answered = logistics
        .answer_assist(pb::AnswerAssistRequest {
            name: assist.name.clone(),
            answer: "At the Utrecht depot for six days".into(),
            request_id: String::new(),
        })
        .await
        .expect("answered")
        .into_inner()
        .assist
        .expect("an assist");
    logistics
        .add_complaint_note(pb::AddComplaintNoteRequest {
            parent: created.name.clone(),
            note: Some(pb::Note {
                visibility: pb::NoteVisibility::Internal.into(),
                body: "Depot photo attached".into(),
                attachments: vec![pb::Attachment {
                    uri: "https://files.example/depot.jpg".into(),
                    media_type: "image/jpeg".into(),
                    sha256: "a".repeat(64),
                    size_bytes: 1024,
                    file_name: "depot.jpg".into(),
                }],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("an assistant adds internal notes");
    let to_customer = logistics
        .add_complaint_note(pb::AddComplaintNoteRequest {
            parent: created.name.clone(),
            note: Some(pb::Note {
                visibility: pb::NoteVisibility::Customer.into(),
                body: "Sorry!".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("the owner speaks to the customer");
    let bad_attachment = app
        .agent("agent-1")
        .add_complaint_note(pb::AddComplaintNoteRequest {
            parent: created.name.clone(),
            note: Some(pb::Note {
                visibility: pb::NoteVisibility::Internal.into(),
                body: "see file".into(),
                attachments: vec![pb::Attachment {
                    uri: "ftp://x".into(),
                    media_type: "jpeg".into(),
                    sha256: "nope".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("bad attachment");

    assert_eq!(work.open_assists.len(), 1);
    assert_eq!(answered.state, pb::AssistState::Answered as i32);
    assert_eq!(answered.answered_by, "log-7");
    assert_status(&to_customer, Code::PermissionDenied, "NOT_OWNER");
    assert_invalid(
        &bad_attachment,
        &[
            "note.attachments[0].uri",
            "note.attachments[0].media_type",
            "note.attachments[0].sha256",
        ],
    );
    let after = app.get(&created.name).await;
    assert_eq!(after.owner, "agent-1");
    assert_eq!(after.transfer_count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_note_naming_an_unknown_assist_is_not_found_and_writes_nothing() {
    let app = spawn_app().await;
    let created = app.received().await;
    let unknown = format!("{}/assists/{}", created.name, uuid::Uuid::now_v7());

    let refused = app
        .agent("agent-1")
        .add_complaint_note(pb::AddComplaintNoteRequest {
            parent: created.name.clone(),
            note: Some(pb::Note {
                visibility: pb::NoteVisibility::Internal.into(),
                body: "About that question".into(),
                assist: unknown,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("no such assist");

    assert_status(&refused, Code::NotFound, "ASSIST_NOT_FOUND");
    assert_eq!(app.count("complaint_notes").await, 0);
    assert_eq!(app.get(&created.name).await.etag, created.etag);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_etag_refuses_a_move_made_on_an_old_read() {
    let app = spawn_app().await;
    let created = app.received().await;
    app.agent("agent-1")
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: created.name.clone(),
            etag: created.etag.clone(),
            request_id: String::new(),
        })
        .await
        .expect("acknowledged");

    let stale = app
        .agent("agent-1")
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: created.name.clone(),
            etag: created.etag.clone(),
            target: Some(pb::hand_off_complaint_request::Target::ToAgent(
                "agent-2".into(),
            )),
            reason: "based on an old read".into(),
            request_id: String::new(),
        })
        .await
        .expect_err("stale");

    assert_status(&stale, Code::Aborted, "ETAG_MISMATCH");
    assert_eq!(app.count("hand_offs").await, 0);
}
