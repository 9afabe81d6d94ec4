//! The complaints service's limits through its real gRPC interface: an
//! over-long value and an over-long list are each refused with exactly one
//! field violation, a page larger than the maximum is served (cut to the
//! maximum, AIP-158) while a negative one is refused, and a message over
//! `grpc.max_message_bytes` is refused with RESOURCE_EXHAUSTED before it is
//! read, with the server answering the next call as before. A page token
//! serves only the list that made it, not another list of the same
//! complaint. Nothing refused is written.

mod support;

use support::*;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn an_over_long_summary_is_refused_with_one_violation_and_nothing_written() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let status = app
        .agent("agent-1")
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(pb::Complaint {
                summary: "x".repeat(201),
                ..complaint(&customer)
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["complaint.summary"]);
    assert_eq!(app.count("complaints").await, 0);
}

#[tokio::test]
async fn over_long_filter_lists_are_one_violation_each_however_long_they_are() {
    let app = spawn_app().await;
    let status = app
        .supervisor()
        .list_complaints(pb::ListComplaintsRequest {
            // Unspecified values too: past the cap they are not looked at
            // one by one, so the answer stays one violation per list.
            states: vec![0; 100_000],
            severities: vec![pb::Severity::High.into(); 21],
            owner: "a".repeat(201),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["states", "severities", "owner"]);
}

#[tokio::test]
async fn a_time_filter_before_postgresql_s_first_day_is_refused_on_its_field() {
    // Arrange: 4714-11-23 BC, a day before the first PostgreSQL can hold
    // (jiff would read it; the database would fail on it).
    let app = spawn_app().await;
    let too_early = prost_types::Timestamp {
        seconds: -210_866_803_200 - 86_400,
        nanos: 0,
    };

    // Act
    let status = app
        .supervisor()
        .list_complaints(pb::ListComplaintsRequest {
            create_time_start: Some(too_early),
            ..Default::default()
        })
        .await
        .expect_err("refused");

    // Assert
    assert_invalid(&status, &["create_time_start"]);
}

#[tokio::test]
async fn an_over_long_language_tag_is_refused_with_one_violation_and_nothing_written() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let status = app
        .agent("agent-1")
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(pb::Complaint {
                // A well-formed private-use tag, one character past 35.
                language: "en-x-aaaaaaaa-bbbbbbbb-cccccccc-dddd".into(),
                ..complaint(&customer)
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["complaint.language"]);
    assert_eq!(app.count("complaints").await, 0);
}

#[tokio::test]
async fn an_over_long_batch_of_bad_names_is_one_violation_on_the_list() {
    let app = spawn_app().await;
    let status = app
        .supervisor()
        .batch_get_complaints(pb::BatchGetComplaintsRequest {
            names: vec!["not a complaint".into(); 1001],
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["names"]);
}

#[tokio::test]
async fn a_page_above_the_maximum_is_served_and_a_negative_one_refused() {
    let app = spawn_app().await;
    app.received().await;
    let page = app
        .supervisor()
        .list_complaints(pb::ListComplaintsRequest {
            page_size: i32::MAX,
            ..Default::default()
        })
        .await
        .expect("served")
        .into_inner();
    assert_eq!(page.complaints.len(), 1);
    let status = app
        .supervisor()
        .list_complaints(pb::ListComplaintsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["page_size"]);
}

#[tokio::test]
async fn a_notes_page_token_is_refused_by_the_complaint_s_other_lists() {
    // Arrange
    let app = spawn_app().await;
    let created = app.received().await;
    let mut agent = app.agent("agent-1");
    for body in ["Called the depot", "Depot called back"] {
        agent
            .add_complaint_note(pb::AddComplaintNoteRequest {
                parent: created.name.clone(),
                note: Some(pb::Note {
                    visibility: pb::NoteVisibility::Internal.into(),
                    body: body.into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .expect("a note is added");
    }
    let token = agent
        .list_complaint_notes(pb::ListComplaintNotesRequest {
            parent: created.name.clone(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("the first page")
        .into_inner()
        .next_page_token;

    // Act
    let surveys = agent
        .list_surveys(pb::ListSurveysRequest {
            parent: created.name.clone(),
            page_size: 1,
            page_token: token.clone(),
        })
        .await
        .expect_err("a notes token on the surveys");
    let hand_offs = agent
        .list_ownership_changes(pb::ListOwnershipChangesRequest {
            parent: created.name.clone(),
            page_size: 1,
            page_token: token.clone(),
        })
        .await
        .expect_err("a notes token on the ownership changes");
    let history = agent
        .get_complaint_history(pb::GetComplaintHistoryRequest {
            name: created.name.clone(),
            page_size: 1,
            page_token: token.clone(),
        })
        .await
        .expect_err("a notes token on the history");
    let second_page = agent
        .list_complaint_notes(pb::ListComplaintNotesRequest {
            parent: created.name.clone(),
            page_size: 1,
            page_token: token.clone(),
        })
        .await
        .expect("the token still serves its own list")
        .into_inner();

    // Assert
    assert!(!token.is_empty(), "two notes make two pages of one");
    assert_invalid(&surveys, &["page_token"]);
    assert_invalid(&hand_offs, &["page_token"]);
    assert_invalid(&history, &["page_token"]);
    assert_eq!(second_page.notes.len(), 1);
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_resource_exhausted_and_the_server_carries_on() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let status = app
        .agent("agent-1")
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(pb::Complaint {
                description: "x".repeat(5 * 1024 * 1024),
                ..complaint(&customer)
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(
        info.map(|i| (i.reason, i.domain)),
        Some(("MESSAGE_TOO_LARGE".to_owned(), DOMAIN.to_owned()))
    );
    assert_eq!(app.count("complaints").await, 0);
    let created = app
        .create_as(&mut app.agent("agent-1"), complaint(&customer))
        .await;
    assert_eq!(app.get(&created.name).await.name, created.name);
}
