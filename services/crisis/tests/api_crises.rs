//! Crises through the real services: the lifecycle walked end to end with
//! its timestamps and measures, refusals naming the states allowed next,
//! closing only with a review; exactly one commander (moved, never removed,
//! never two even under concurrent assigns); declaring from a complaint or
//! a warning; and bad input refused field by field.

mod support;

use jiff::SignedDuration;
use support::crises::{
    allowed, assert_invalid, assert_status, assign, complaint, crisis, declare, get, holders,
    manager, request_id, transition, wait_for_at_least, wait_for_events,
};
use support::{pb, spawn_app};
use tonic::Code;

use pb::CrisisState as S;

#[tokio::test(flavor = "multi_thread")]
async fn a_crisis_walks_its_lifecycle_with_timestamps_and_refuses_skipped_states() {
    // Arrange
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let declared = declare(&mut client, crisis("service_quality")).await;
    let c = declared.crisis.expect("a crisis");
    assert_eq!(c.state, S::Declared as i32);
    assert_eq!(c.priority, pb::CrisisPriority::P2 as i32);
    assert_eq!(c.risk_level, pb::RiskLevel::High as i32);
    assert_eq!(c.declared_by, "cm-1");
    assert_eq!(holders(&c, pb::TeamRole::Commander), ["cm-1"]);

    // Act: a skipped state is refused with the states allowed next.
    let refused = transition(&mut client, &c.name, S::Stable)
        .await
        .expect_err("declared cannot become stable");
    assert_status(&refused, Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");
    assert_eq!(allowed(&refused), ["CRISIS_STATE_ASSESSING"]);

    // Act: walk it along, an hour per step.
    let steps = [
        S::Assessing,
        S::Responding,
        S::Replanning,
        S::Responding,
        S::Stable,
        S::Responding,
        S::Stable,
        S::Recovering,
        S::InReview,
    ];
    for state in steps {
        app.advance(SignedDuration::from_hours(1));
        let moved = transition(&mut client, &c.name, state)
            .await
            .expect("the transition is allowed");
        assert_eq!(moved.state, state as i32);
    }

    // Assert: closing needs the review's root cause.
    let refused = transition(&mut client, &c.name, S::Closed)
        .await
        .expect_err("no review yet");
    assert_status(&refused, Code::FailedPrecondition, "REVIEW_MISSING");
    let review = client
        .update_crisis_review(pb::UpdateCrisisReviewRequest {
            review: Some(pb::CrisisReview {
                name: format!("{}/review", c.name),
                root_cause: "A sorting hub lost power".into(),
                lessons: vec!["Keep a generator".into()],
                actions: vec![pb::ReviewAction {
                    title: "Buy a generator".into(),
                    owner: "ops-lead".into(),
                    due_time: None,
                }],
                ..Default::default()
            }),
        })
        .await
        .expect("the review is written")
        .into_inner()
        .review
        .expect("a review");
    assert_eq!(review.etag, "1");
    app.advance(SignedDuration::from_hours(1));
    let closed = transition(&mut client, &c.name, S::Closed)
        .await
        .expect("it closes");

    // Assert: state times (latest entry per state) and measures.
    let start = c.create_time.expect("a create time").seconds;
    let entered = |state: S| {
        closed
            .state_times
            .iter()
            .find(|t| t.state == state as i32)
            .and_then(|t| t.enter_time)
            .map(|t| t.seconds - start)
    };
    assert_eq!(entered(S::Declared), Some(0));
    assert_eq!(entered(S::Assessing), Some(3600));
    assert_eq!(entered(S::Stable), Some(7 * 3600), "the latest entry");
    assert_eq!(entered(S::Closed), Some(10 * 3600));
    let measures = closed.measures.expect("measures");
    assert_eq!(measures.time_to_stable.map(|d| d.seconds), Some(5 * 3600));
    assert_eq!(measures.duration.map(|d| d.seconds), Some(10 * 3600));
    assert_eq!(measures.time_to_team, None, "the team never formed");
    assert_eq!(closed.next_update_due_time, None);

    // Assert: a closed crisis goes nowhere and its team cannot change.
    let refused = transition(&mut client, &c.name, S::Responding)
        .await
        .expect_err("closed is the end");
    assert_status(&refused, Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");
    assert!(allowed(&refused).is_empty());
    let refused = assign(&mut client, &c.name, "late", pb::TeamRole::Member)
        .await
        .expect_err("closed crises keep their team");
    assert_status(&refused, Code::FailedPrecondition, "CRISIS_CLOSED");

    // Assert: each transition is on the timeline and the feed.
    let timeline = client
        .list_timeline(pb::ListTimelineRequest {
            crisis: c.name.clone(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("the timeline lists")
        .into_inner()
        .entries;
    let changes = timeline
        .iter()
        .filter(|e| e.kind == "state_changed")
        .count();
    assert_eq!(changes, steps.len() + 1);
    let events = wait_for_events(&app, "crisis.state_changed", &c.name).await;
    assert!(!events.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_etag_is_aborted() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    transition(&mut client, &c.name, S::Assessing)
        .await
        .expect("assessing");

    let refused = client
        .transition_crisis(pb::TransitionCrisisRequest {
            name: c.name.clone(),
            state: S::Responding.into(),
            note: String::new(),
            etag: c.etag.clone(),
        })
        .await
        .expect_err("the etag is stale");

    assert_eq!(refused.code(), Code::Aborted);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_commander_role_moves_and_the_commander_cannot_leave() {
    // Arrange
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("financial"))
        .await
        .crisis
        .expect("a crisis");

    // Act: give command to someone else.
    let moved = assign(&mut client, &c.name, "cm-2", pb::TeamRole::Commander)
        .await
        .expect("command moves");

    // Assert: one commander, the previous one stays as a member.
    assert_eq!(holders(&moved, pb::TeamRole::Commander), ["cm-2"]);
    assert_eq!(holders(&moved, pb::TeamRole::Member), ["cm-1"]);

    // Act + Assert: the commander cannot be removed, by role or wholesale.
    for role in [pb::TeamRole::Commander, pb::TeamRole::Unspecified] {
        let refused = client
            .remove_crisis_member(pb::RemoveCrisisMemberRequest {
                crisis: c.name.clone(),
                subject: "cm-2".into(),
                role: role.into(),
            })
            .await
            .expect_err("the commander stays");
        assert_status(&refused, Code::FailedPrecondition, "COMMANDER_REQUIRED");
        assert_eq!(allowed(&refused).len(), 1);
    }

    // Act + Assert: the former commander may leave.
    let left = client
        .remove_crisis_member(pb::RemoveCrisisMemberRequest {
            crisis: c.name.clone(),
            subject: "cm-1".into(),
            role: pb::TeamRole::Unspecified.into(),
        })
        .await
        .expect("a member leaves")
        .into_inner()
        .crisis
        .expect("a crisis");
    assert_eq!(left.team.len(), 1);
    let missing = client
        .remove_crisis_member(pb::RemoveCrisisMemberRequest {
            crisis: c.name.clone(),
            subject: "nobody".into(),
            role: pb::TeamRole::Unspecified.into(),
        })
        .await
        .expect_err("not on the team");
    assert_eq!(missing.code(), Code::NotFound);
    let events = wait_for_at_least(&app, "crisis.team_changed", &c.name, 2).await;
    assert_eq!(events.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_commander_assignments_leave_exactly_one_commander() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("financial"))
        .await
        .crisis
        .expect("a crisis");

    let mut a = manager(&app, "cm-1");
    let mut b = manager(&app, "cm-1");
    let (first, second) = tokio::join!(
        assign(&mut a, &c.name, "cm-a", pb::TeamRole::Commander),
        assign(&mut b, &c.name, "cm-b", pb::TeamRole::Commander),
    );
    first.expect("the first assignment succeeds");
    second.expect("the second assignment succeeds");

    let after = get(&mut client, &c.name).await;
    let commanders = holders(&after, pb::TeamRole::Commander);
    assert_eq!(commanders.len(), 1, "{commanders:?}");
    assert!(commanders[0] == "cm-a" || commanders[0] == "cm-b");
    let mut members = holders(&after, pb::TeamRole::Member);
    members.sort();
    assert_eq!(members.len(), 2, "{members:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_team_forms_when_its_three_leading_roles_are_named_and_one_spokesperson_speaks() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("brand_reputation"))
        .await
        .crisis
        .expect("a crisis");

    app.advance(SignedDuration::from_mins(20));
    assign(
        &mut client,
        &c.name,
        "comms-1",
        pb::TeamRole::CommunicationsLead,
    )
    .await
    .expect("a communications lead");
    let c1 = assign(
        &mut client,
        &c.name,
        "speaker-1",
        pb::TeamRole::Spokesperson,
    )
    .await
    .expect("a spokesperson");
    app.advance(SignedDuration::from_mins(20));
    let c2 = assign(
        &mut client,
        &c.name,
        "speaker-2",
        pb::TeamRole::Spokesperson,
    )
    .await
    .expect("the spokesperson changes");

    assert_eq!(
        c1.measures.and_then(|m| m.time_to_team).map(|d| d.seconds),
        Some(20 * 60)
    );
    assert_eq!(
        c2.measures.and_then(|m| m.time_to_team).map(|d| d.seconds),
        Some(20 * 60),
        "the team formed once"
    );
    assert_eq!(holders(&c2, pb::TeamRole::Spokesperson), ["speaker-2"]);
    assert!(holders(&c2, pb::TeamRole::Member).contains(&"speaker-1".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crisis_declared_from_a_complaint_links_it_and_an_unknown_complaint_is_not_found() {
    // Arrange
    let app = spawn_app().await;
    let name = complaint(&app).await;
    let mut client = manager(&app, "cm-1");

    // Act
    let c = client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(crisis("complaint_wave")),
            origin: Some(pb::declare_crisis_request::Origin::Complaint(name.clone())),
            commander: "cm-9".into(),
            request_id: request_id(),
        })
        .await
        .expect("declared from the complaint")
        .into_inner()
        .crisis
        .expect("a crisis");

    // Assert
    assert_eq!(c.complaint, name);
    assert_eq!(c.complaint_count, 1);
    assert_eq!(holders(&c, pb::TeamRole::Commander), ["cm-9"]);
    let id: uuid::Uuid = c.name["crises/".len()..].parse().expect("an id");
    let linked: (String, i64) = sqlx::query_as(
        "SELECT source, (SELECT count(*) FROM affected_counts WHERE crisis_id = $1) \
         FROM linked_complaints WHERE crisis_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .expect("the complaint is linked");
    assert_eq!(linked, ("origin".to_owned(), 1));

    let unknown = format!("complaints/{}", uuid::Uuid::now_v7());
    let refused = client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(crisis("complaint_wave")),
            origin: Some(pb::declare_crisis_request::Origin::Complaint(unknown)),
            commander: String::new(),
            request_id: request_id(),
        })
        .await
        .expect_err("no such complaint");
    assert_eq!(refused.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crisis_declared_from_a_warning_escalates_it_once() {
    // Arrange: a staff report opens a warning.
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO warnings (id, source, state, dedup_key, last_detect_time, create_time, \
         update_time) VALUES ($1, 'staff_report', 'open', 'test', now(), now(), now())",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .expect("a warning");
    let name = format!("warnings/{id}");
    let declare_from = |request_id: String| pb::DeclareCrisisRequest {
        crisis: Some(crisis("brand_reputation")),
        origin: Some(pb::declare_crisis_request::Origin::Warning(name.clone())),
        commander: String::new(),
        request_id,
    };

    // Act
    let c = client
        .declare_crisis(declare_from(request_id()))
        .await
        .expect("declared from the warning")
        .into_inner()
        .crisis
        .expect("a crisis");
    let again = client
        .declare_crisis(declare_from(request_id()))
        .await
        .expect_err("an escalated warning is not escalated again");

    // Assert
    assert_eq!(c.warning, name);
    let (state, crisis_id, version): (String, Option<uuid::Uuid>, i64) =
        sqlx::query_as("SELECT state, crisis_id, version FROM warnings WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("the warning");
    assert_eq!(state, "escalated");
    assert_eq!(
        crisis_id.map(|c| format!("crises/{c}")),
        Some(c.name.clone())
    );
    assert_eq!(version, 2);
    assert_status(&again, Code::FailedPrecondition, "WARNING_ESCALATED");
    wait_for_events(&app, "warning.changed", &name).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_declaration_returns_the_first_answer() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let request = pb::DeclareCrisisRequest {
        crisis: Some(crisis("other")),
        origin: None,
        commander: String::new(),
        request_id: request_id(),
    };

    let first = client
        .declare_crisis(request.clone())
        .await
        .expect("declared")
        .into_inner();
    let second = client
        .declare_crisis(request)
        .await
        .expect("replayed")
        .into_inner();

    assert_eq!(first, second);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM crises")
        .fetch_one(&app.pool)
        .await
        .expect("a count");
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_declarations_are_refused_field_by_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");

    let refused = client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(pb::Crisis {
                title: " ".into(),
                r#type: "alien_invasion".into(),
                likelihood: 0,
                impact: 6,
                scope: Some(pb::CrisisScope {
                    products: vec![String::new()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            origin: Some(pb::declare_crisis_request::Origin::Warning(
                "warnings/x".into(),
            )),
            commander: String::new(),
            request_id: "not-a-uuid".into(),
        })
        .await
        .expect_err("every field is wrong");

    assert_invalid(
        &refused,
        &[
            "crisis.title",
            "crisis.type",
            "crisis.likelihood",
            "crisis.impact",
            "crisis.scope.products[0]",
            "warning",
            "request_id",
        ],
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM crises")
        .fetch_one(&app.pool)
        .await
        .expect("a count");
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_reassesses_the_priority_and_lists_filter_by_state() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    let mut drill = crisis("other");
    drill.drill = true;
    declare(&mut client, drill).await;

    let updated = client
        .update_crisis(pb::UpdateCrisisRequest {
            name: c.name.clone(),
            title: String::new(),
            likelihood: 5,
            impact: 5,
            scope: None,
            etag: c.etag.clone(),
        })
        .await
        .expect("updated")
        .into_inner()
        .crisis
        .expect("a crisis");
    let listed = client
        .list_crises(pb::ListCrisesRequest {
            states: vec![S::Declared.into()],
            exclude_drills: true,
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("listed")
        .into_inner();

    assert_eq!(updated.priority, pb::CrisisPriority::P1 as i32);
    assert_eq!(updated.title, c.title);
    assert_eq!(updated.scope, c.scope);
    assert_ne!(updated.etag, c.etag);
    assert_eq!(listed.crises.len(), 1);
    assert_eq!(listed.crises[0].name, c.name);
}
