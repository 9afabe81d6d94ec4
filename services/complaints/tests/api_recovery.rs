//! Service recovery through the real API: the plan of seven steps a
//! complaint has from resolution on, steps recorded with who, when and on
//! which channel, the root cause required at resolution, closures refused
//! with steps missing unless a supervisor overrides with a reason (kept on
//! the plan and in the history), improvement actions filed, linked (which
//! marks the complaints' improvement step), changed under their etag and
//! read back as lessons, and the figures of how often each step is done.

mod support;

use jiff::SignedDuration;
use support::*;
use tonic::Code;

/// The seven steps, in order.
const STEPS: [pb::RecoveryStep; 7] = [
    pb::RecoveryStep::Apology,
    pb::RecoveryStep::Fix,
    pb::RecoveryStep::Contact,
    pb::RecoveryStep::Goodwill,
    pb::RecoveryStep::Improvement,
    pb::RecoveryStep::SharedWithStaff,
    pb::RecoveryStep::FollowUp,
];

fn root_cause(category: &str) -> Option<pb::RootCause> {
    Some(pb::RootCause {
        category: category.into(),
        detail: "The carrier missed the agreed slot".into(),
    })
}

/// Takes `name` as `agent-1` to a proposed resolution.
async fn propose(app: &TestApp, name: &str) {
    let mut c = app.agent("agent-1");
    let n = || name.to_owned();
    c.acknowledge_complaint(pb::AcknowledgeComplaintRequest {
        name: n(),
        ..Default::default()
    })
    .await
    .expect("acknowledged");
    c.start_investigation(pb::StartInvestigationRequest {
        name: n(),
        ..Default::default()
    })
    .await
    .expect("investigating");
    c.propose_resolution(pb::ProposeResolutionRequest {
        name: n(),
        resolution: "Redelivery tomorrow and the fee back".into(),
        ..Default::default()
    })
    .await
    .expect("proposed");
}

/// A new customer's complaint received by `agent-1`, resolved with root
/// cause `supplier`.
async fn resolved(app: &TestApp) -> pb::Complaint {
    let created = app.received().await;
    resolve(app, &created.name).await
}

/// Resolves complaint `name` with root cause `supplier`.
async fn resolve(app: &TestApp, name: &str) -> pb::Complaint {
    propose(app, name).await;
    app.agent("agent-1")
        .accept_resolution(pb::AcceptResolutionRequest {
            name: name.into(),
            root_cause: root_cause("supplier"),
            ..Default::default()
        })
        .await
        .expect("resolved")
        .into_inner()
        .complaint
        .expect("a complaint")
}

/// Records `step` on `name` as `client` on the phone.
async fn record(
    client: &mut Client,
    name: &str,
    step: pb::RecoveryStep,
) -> Result<pb::RecoveryPlan, tonic::Status> {
    client
        .record_recovery_step(pb::RecordRecoveryStepRequest {
            name: name.into(),
            step: step.into(),
            channel: pb::RecoveryChannel::Phone.into(),
            note: "Done".into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().plan.expect("a plan"))
}

/// Reads the plan of `name`.
async fn plan(app: &TestApp, name: &str) -> pb::RecoveryPlan {
    app.admin()
        .get_recovery_plan(pb::GetRecoveryPlanRequest { name: name.into() })
        .await
        .expect("the plan is read")
        .into_inner()
        .plan
        .expect("a plan")
}

/// Closes `name` as `client` with `override_reason`.
async fn close(
    client: &mut Client,
    name: &str,
    override_reason: &str,
) -> Result<pb::Complaint, tonic::Status> {
    client
        .close_complaint(pb::CloseComplaintRequest {
            name: name.into(),
            override_reason: override_reason.into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().complaint.expect("a complaint"))
}

fn done_steps(plan: &pb::RecoveryPlan) -> Vec<pb::RecoveryStep> {
    plan.steps
        .iter()
        .filter(|s| s.done)
        .map(|s| s.step())
        .collect()
}

fn state(c: &pb::Complaint) -> pb::ComplaintState {
    pb::ComplaintState::try_from(c.state).expect("a state")
}

/// Files an improvement action owned by `owner`, due in a week, linked to
/// `complaints`, as `client`.
async fn file_action(
    app: &TestApp,
    client: &mut Client,
    owner: &str,
    complaints: &[&str],
    request_id: &str,
) -> Result<pb::ImprovementAction, tonic::Status> {
    let due = app.now() + SignedDuration::from_hours(24 * 7);
    client
        .create_improvement_action(pb::CreateImprovementActionRequest {
            improvement_action: Some(pb::ImprovementAction {
                title: "Confirm delivery slots by SMS the day before".into(),
                description: "Carrier sends a confirmation; we call when it fails".into(),
                owner: owner.into(),
                due_time: Some(prost_types::Timestamp {
                    seconds: due.as_second(),
                    nanos: 0,
                }),
                ..Default::default()
            }),
            complaints: complaints.iter().map(|c| (*c).to_owned()).collect(),
            request_id: request_id.into(),
        })
        .await
        .map(|r| r.into_inner().improvement_action.expect("an action"))
}

/// Changes `fields` of `action` (with its etag) as `client`.
async fn update_action(
    client: &mut Client,
    action: pb::ImprovementAction,
    fields: &[&str],
) -> Result<pb::ImprovementAction, tonic::Status> {
    client
        .update_improvement_action(pb::UpdateImprovementActionRequest {
            improvement_action: Some(action),
            update_mask: Some(prost_types::FieldMask {
                paths: fields.iter().map(|f| (*f).to_owned()).collect(),
            }),
        })
        .await
        .map(|r| r.into_inner().improvement_action.expect("an action"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resolved_complaint_has_a_required_plan_of_seven_steps_and_its_root_cause() {
    let app = spawn_app().await;
    let created = app.received().await;
    let before = plan(&app, &created.name).await;

    resolve(&app, &created.name).await;
    let after = plan(&app, &created.name).await;

    assert!(!before.required, "not required before resolution");
    assert!(after.required);
    assert_eq!(after.complaint, created.name);
    let listed: Vec<pb::RecoveryStep> = after.steps.iter().map(|s| s.step()).collect();
    assert_eq!(listed, STEPS);
    assert!(done_steps(&after).is_empty());
    assert_eq!(after.missing_steps.len(), 7);
    let cause = after.root_cause.expect("a root cause");
    assert_eq!(cause.category, "supplier");
    assert_eq!(cause.detail, "The carrier missed the agreed slot");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_is_recorded_with_who_when_and_the_channel_once_and_a_retry_returns_the_first_answer()
 {
    let app = spawn_app().await;
    let created = app.received().await;
    let mut agent = app.agent("agent-1");
    let request = pb::RecordRecoveryStepRequest {
        name: created.name.clone(),
        step: pb::RecoveryStep::Apology.into(),
        channel: pb::RecoveryChannel::Sms.into(),
        note: "Apologised for the late parcel".into(),
        request_id: request_id(),
        ..Default::default()
    };

    let first = agent
        .record_recovery_step(request.clone())
        .await
        .expect("recorded before resolution")
        .into_inner();
    let retried = agent
        .record_recovery_step(request.clone())
        .await
        .expect("a retry")
        .into_inner();
    let again = record(&mut agent, &created.name, pb::RecoveryStep::Apology)
        .await
        .expect_err("done already");
    let no_channel = agent
        .record_recovery_step(pb::RecordRecoveryStepRequest {
            name: created.name.clone(),
            step: pb::RecoveryStep::Contact.into(),
            ..Default::default()
        })
        .await
        .expect_err("contact needs a channel");
    let stranger = record(
        &mut app.agent("agent-9"),
        &created.name,
        pb::RecoveryStep::Fix,
    )
    .await
    .expect_err("not the owner");

    assert_eq!(first, retried, "the retry returns the first answer");
    let apology = &first.plan.expect("a plan").steps[0];
    assert_eq!(apology.step(), pb::RecoveryStep::Apology);
    assert!(apology.done);
    assert_eq!(apology.actor, "agent-1");
    assert_eq!(apology.channel(), pb::RecoveryChannel::Sms);
    assert_eq!(apology.note, "Apologised for the late parcel");
    assert_eq!(
        apology.done_time.as_ref().map(|t| t.seconds),
        Some(app.now().as_second())
    );
    assert_status(&again, Code::FailedPrecondition, "STEP_ALREADY_DONE");
    assert_invalid(&no_channel, &["channel"]);
    assert_status(&stranger, Code::PermissionDenied, "NOT_OWNER");
    assert_eq!(
        app.event_types_of(&created.name)
            .await
            .iter()
            .filter(|t| *t == "complaint.recovery_step_recorded")
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_with_a_step_missing_is_refused_listing_the_missing_steps() {
    let app = spawn_app().await;
    let complaint = resolved(&app).await;
    let mut agent = app.agent("agent-1");
    for step in &STEPS[..5] {
        record(&mut agent, &complaint.name, *step)
            .await
            .expect("recorded");
    }

    let refused = close(&mut agent, &complaint.name, "")
        .await
        .expect_err("steps missing");

    assert_status(&refused, Code::FailedPrecondition, "RECOVERY_STEPS_MISSING");
    assert_eq!(
        allowed(&refused),
        [
            "RecordRecoveryStep(shared_with_staff)",
            "CloseComplaint(override_reason)",
        ]
    );
    // The follow-up step is not missing: the closure schedules follow-ups.
    assert!(refused.message().contains("shared_with_staff"));
    assert!(!refused.message().contains("follow_up"));
    assert_eq!(
        state(&app.get(&complaint.name).await),
        pb::ComplaintState::Resolved
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_recovery_from_the_first_apology_to_closure_needs_no_override() {
    let app = spawn_app().await;
    let created = app.received().await;
    let mut agent = app.agent("agent-1");
    record(&mut agent, &created.name, pb::RecoveryStep::Apology)
        .await
        .expect("the apology comes first");
    resolve(&app, &created.name).await;
    file_action(&app, &mut agent, "ops-1", &[&created.name], "")
        .await
        .expect("an improvement filed");
    for step in [
        pb::RecoveryStep::Fix,
        pb::RecoveryStep::Contact,
        pb::RecoveryStep::Goodwill,
        pb::RecoveryStep::SharedWithStaff,
        pb::RecoveryStep::FollowUp,
    ] {
        record(&mut agent, &created.name, step)
            .await
            .expect("recorded");
    }

    let closed = close(&mut agent, &created.name, "").await.expect("closed");

    assert_eq!(state(&closed), pb::ComplaintState::Closed);
    let after = plan(&app, &created.name).await;
    assert_eq!(done_steps(&after), STEPS);
    assert!(after.missing_steps.is_empty());
    assert!(after.overrides.is_empty());
    let types = app.event_types_of(&created.name).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "complaint.recovery_step_recorded")
            .count(),
        7
    );
    // Follow-ups recorded by hand already; the closure schedules them.
    assert_eq!(
        &types[types.len() - 2..],
        ["complaint.closed", "complaint.follow_ups_scheduled"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_cannot_override_a_closure() {
    let app = spawn_app().await;
    let complaint = resolved(&app).await;

    let denied = close(
        &mut app.agent("agent-1"),
        &complaint.name,
        "The customer moved abroad",
    )
    .await
    .expect_err("only a supervisor overrides");

    assert_status(&denied, Code::PermissionDenied, "OVERRIDE_NOT_PERMITTED");
    assert_eq!(
        state(&app.get(&complaint.name).await),
        pb::ComplaintState::Resolved
    );
    assert_eq!(app.count("closure_overrides").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_closes_with_steps_missing_giving_a_reason_and_the_override_is_kept() {
    let app = spawn_app().await;
    let complaint = resolved(&app).await;
    record(
        &mut app.agent("agent-1"),
        &complaint.name,
        pb::RecoveryStep::Apology,
    )
    .await
    .expect("recorded");

    let closed = close(
        &mut app.supervisor(),
        &complaint.name,
        "The customer moved abroad and asked not to be contacted",
    )
    .await
    .expect("a supervisor may");

    assert_eq!(state(&closed), pb::ComplaintState::Closed);
    let after = plan(&app, &complaint.name).await;
    let kept = after.overrides.first().expect("the override");
    assert_eq!(kept.actor, "sup-1");
    assert_eq!(
        kept.reason,
        "The customer moved abroad and asked not to be contacted"
    );
    // Five: the closure itself schedules the follow-ups.
    assert_eq!(kept.missing_steps.len(), 5);
    assert!(
        !kept
            .missing_steps
            .contains(&(pb::RecoveryStep::FollowUp as i32))
    );
    assert!(done_steps(&after).contains(&pb::RecoveryStep::FollowUp));
    assert!(kept.override_time.is_some());
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
    let last = history.last().expect("entries");
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("close", "sup-1")
    );
    assert!(
        last.changes
            .iter()
            .any(|c| c.field == "recovery.override" && c.before.starts_with("fix, contact"))
    );
    let types = app.event_types_of(&complaint.name).await;
    assert_eq!(
        types[types.len() - 4..],
        [
            "complaint.closure_overridden",
            "complaint.closed",
            "complaint.follow_ups_scheduled",
            "complaint.recovery_step_recorded",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_root_cause_is_required_for_a_complaint_and_must_be_a_configured_category() {
    let app = spawn_app().await;
    let created = app.received().await;
    propose(&app, &created.name).await;
    let mut agent = app.agent("agent-1");

    let missing = agent
        .accept_resolution(pb::AcceptResolutionRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect_err("a root cause is required");
    let unknown = agent
        .accept_resolution(pb::AcceptResolutionRequest {
            name: created.name.clone(),
            root_cause: Some(pb::RootCause {
                category: "bad_luck".into(),
                detail: "x".repeat(2001),
            }),
            ..Default::default()
        })
        .await
        .expect_err("not a category");

    assert_invalid(&missing, &["root_cause"]);
    assert_invalid(&unknown, &["root_cause.category", "root_cause.detail"]);
    assert_eq!(
        state(&app.get(&created.name).await),
        pb::ComplaintState::ResolutionProposed,
        "nothing was written"
    );
    assert_eq!(app.count("recovery_plans").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_improvement_action_links_complaints_once_and_marks_their_improvement_step() {
    let app = spawn_app().await;
    let first = resolved(&app).await;
    let second = app
        .create_as(&mut app.agent("agent-1"), complaint(&first.customer))
        .await;
    let mut agent = app.agent("agent-1");
    let request = request_id();

    let created = file_action(&app, &mut agent, "ops-1", &[&first.name], &request)
        .await
        .expect("filed");
    let retried = file_action(&app, &mut agent, "ops-1", &[&first.name], &request)
        .await
        .expect("a retry");
    let link_id = request_id();
    let link = pb::LinkImprovementActionRequest {
        name: created.name.clone(),
        complaints: vec![second.name.clone(), first.name.clone()],
        request_id: link_id,
    };
    let linked = agent
        .link_improvement_action(link.clone())
        .await
        .expect("linked")
        .into_inner()
        .improvement_action
        .expect("an action");
    let relinked = agent
        .link_improvement_action(link)
        .await
        .expect("a retry")
        .into_inner()
        .improvement_action
        .expect("an action");
    let unknown = agent
        .link_improvement_action(pb::LinkImprovementActionRequest {
            name: created.name.clone(),
            complaints: vec![format!("complaints/{}", uuid::Uuid::now_v7())],
            request_id: String::new(),
        })
        .await
        .expect_err("no such complaint");

    assert_eq!(retried, created, "the retry returns the first answer");
    assert_eq!(app.count("improvement_actions").await, 1);
    assert_eq!(created.complaints, [first.name.as_str()]);
    assert_eq!(created.status(), pb::ImprovementActionStatus::Open);
    assert_eq!(created.creator, "agent-1");
    assert!(!created.overdue);
    assert_eq!(linked.complaints, [first.name.clone(), second.name.clone()]);
    assert_eq!(relinked, linked);
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    let marked = plan(&app, &first.name).await;
    let step = &marked.steps[4];
    assert_eq!(step.step(), pb::RecoveryStep::Improvement);
    assert!(step.done);
    assert_eq!(step.actor, "agent-1");
    assert_eq!(step.note, format!("linked to {}", created.name));
    assert!(done_steps(&plan(&app, &second.name).await).contains(&pb::RecoveryStep::Improvement));
    assert_eq!(
        app.event_types_of(&created.name).await,
        ["improvement_action.created", "improvement_action.updated"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_improvement_action_changes_under_its_etag_by_its_owner_and_moves_only_forward() {
    let app = spawn_app().await;
    let complaint = resolved(&app).await;
    let created = file_action(
        &app,
        &mut app.agent("agent-1"),
        "ops-1",
        &[&complaint.name],
        "",
    )
    .await
    .expect("filed");
    let mut owner = app.agent("ops-1");

    let not_owner = update_action(
        &mut app.agent("agent-1"),
        pb::ImprovementAction {
            owner: "agent-1".into(),
            ..created.clone()
        },
        &["owner"],
    )
    .await
    .expect_err("only the owner or a supervisor");
    let reassigned = update_action(
        &mut app.supervisor(),
        pb::ImprovementAction {
            owner: "ops-2".into(),
            ..created.clone()
        },
        &["owner"],
    )
    .await
    .expect("a supervisor reassigns it");
    let stale = update_action(
        &mut app.supervisor(),
        pb::ImprovementAction {
            status: pb::ImprovementActionStatus::InProgress.into(),
            ..created.clone()
        },
        &["status"],
    )
    .await
    .expect_err("the etag is stale");
    let skipped = update_action(
        &mut app.agent("ops-2"),
        pb::ImprovementAction {
            status: pb::ImprovementActionStatus::Done.into(),
            lesson: "x".into(),
            ..reassigned.clone()
        },
        &["status", "lesson"],
    )
    .await
    .expect_err("open cannot go straight to done");
    let started = update_action(
        &mut app.agent("ops-2"),
        pb::ImprovementAction {
            status: pb::ImprovementActionStatus::InProgress.into(),
            ..reassigned.clone()
        },
        &["status"],
    )
    .await
    .expect("started");
    let no_lesson = update_action(
        &mut app.agent("ops-2"),
        pb::ImprovementAction {
            status: pb::ImprovementActionStatus::Done.into(),
            ..started.clone()
        },
        &["status"],
    )
    .await
    .expect_err("done needs a lesson");
    let former_owner = update_action(
        &mut owner,
        pb::ImprovementAction {
            lesson: "mine".into(),
            ..started.clone()
        },
        &["lesson"],
    )
    .await
    .expect_err("no longer the owner");

    assert_status(&not_owner, Code::PermissionDenied, "NOT_ACTION_OWNER");
    assert_eq!(reassigned.owner, "ops-2");
    assert_ne!(reassigned.etag, created.etag);
    assert_status(&stale, Code::Aborted, "ETAG_MISMATCH");
    assert_status(&skipped, Code::FailedPrecondition, "ILLEGAL_STATUS_CHANGE");
    assert_eq!(
        allowed(&skipped),
        [
            "UpdateImprovementAction(status=in_progress)",
            "UpdateImprovementAction(status=cancelled)"
        ]
    );
    assert_eq!(started.status(), pb::ImprovementActionStatus::InProgress);
    assert_status(&no_lesson, Code::FailedPrecondition, "LESSON_REQUIRED");
    assert_status(&former_owner, Code::PermissionDenied, "NOT_ACTION_OWNER");
    let events = app.events().await;
    let reassignment = events
        .iter()
        .find(|e| e.subject == created.name && e.r#type == "improvement_action.updated")
        .expect("the reassignment event");
    assert!(
        reassignment
            .payload
            .contains("\"previous_owner\":\"ops-1\""),
        "{}",
        reassignment.payload
    );
    assert_eq!(
        reassignment.attributes.get("owner").map(String::as_str),
        Some("ops-2")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lessons_list_done_actions_newest_first_with_their_complaints_and_root_causes() {
    let app = spawn_app().await;
    let complaint = resolved(&app).await;
    let mut agent = app.agent("agent-1");
    let mut done = Vec::new();
    for lesson in ["Confirm slots by SMS", "Pay carriers on punctuality"] {
        let action = file_action(&app, &mut agent, "agent-1", &[&complaint.name], "")
            .await
            .expect("filed");
        let started = update_action(
            &mut agent,
            pb::ImprovementAction {
                status: pb::ImprovementActionStatus::InProgress.into(),
                ..action
            },
            &["status"],
        )
        .await
        .expect("started");
        app.advance(SignedDuration::from_hours(1));
        let finished = update_action(
            &mut agent,
            pb::ImprovementAction {
                status: pb::ImprovementActionStatus::Done.into(),
                lesson: lesson.into(),
                ..started
            },
            &["status", "lesson"],
        )
        .await
        .expect("done");
        done.push(finished);
    }
    let open = file_action(&app, &mut agent, "agent-2", &[], "")
        .await
        .expect("filed");

    let first_page = agent
        .list_lessons(pb::ListLessonsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("lessons")
        .into_inner();
    let second_page = agent
        .list_lessons(pb::ListLessonsRequest {
            page_size: 1,
            page_token: first_page.next_page_token.clone(),
        })
        .await
        .expect("lessons")
        .into_inner();
    app.advance(SignedDuration::from_hours(24 * 8));
    let overdue = agent
        .get_improvement_action(pb::GetImprovementActionRequest {
            name: open.name.clone(),
        })
        .await
        .expect("read")
        .into_inner()
        .improvement_action
        .expect("an action");
    let of_complaint = agent
        .list_improvement_actions(pb::ListImprovementActionsRequest {
            complaint: complaint.name.clone(),
            status: pb::ImprovementActionStatus::Done.into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .improvement_actions;
    let of_owner = agent
        .list_improvement_actions(pb::ListImprovementActionsRequest {
            owner: "agent-2".into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .improvement_actions;

    let lessons: Vec<&str> = first_page
        .lessons
        .iter()
        .chain(&second_page.lessons)
        .map(|l| l.lesson.as_str())
        .collect();
    assert_eq!(
        lessons,
        ["Pay carriers on punctuality", "Confirm slots by SMS"]
    );
    assert!(second_page.next_page_token.is_empty());
    let newest = &first_page.lessons[0];
    assert_eq!(newest.improvement_action, done[1].name);
    assert_eq!(newest.sources.len(), 1);
    assert_eq!(newest.sources[0].complaint, complaint.name);
    assert_eq!(newest.sources[0].root_cause, "supplier");
    assert!(overdue.overdue, "past due and still open");
    assert!(
        !of_complaint.iter().any(|a| a.overdue),
        "done is never overdue"
    );
    let names: Vec<&str> = of_complaint.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [done[1].name.as_str(), done[0].name.as_str()]);
    assert_eq!(of_owner.len(), 1);
    assert_eq!(of_owner[0].name, open.name);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stats_count_plans_steps_done_and_closes_by_override() {
    let app = spawn_app().await;
    let start = app.now();
    let complete = resolved(&app).await;
    let overridden = app
        .create_as(&mut app.agent("agent-1"), complaint(&complete.customer))
        .await;
    resolve(&app, &overridden.name).await;
    let mut agent = app.agent("agent-1");
    for step in STEPS {
        record(&mut agent, &complete.name, step)
            .await
            .expect("recorded");
    }
    record(&mut agent, &overridden.name, pb::RecoveryStep::Apology)
        .await
        .expect("recorded");
    close(&mut agent, &complete.name, "").await.expect("closed");
    close(
        &mut app.supervisor(),
        &overridden.name,
        "Customer unreachable",
    )
    .await
    .expect("overridden");
    app.advance(SignedDuration::from_hours(1));

    let stats = app
        .supervisor()
        .get_complaint_stats(pb::GetComplaintStatsRequest {
            start_time: Some(prost_types::Timestamp {
                seconds: start.as_second(),
                nanos: 0,
            }),
            end_time: Some(prost_types::Timestamp {
                seconds: app.now().as_second(),
                nanos: 0,
            }),
            team: String::new(),
        })
        .await
        .expect("stats")
        .into_inner();

    assert_eq!(stats.total, 2, "the existing figures are intact");
    assert_eq!(stats.recovery_plans, 2);
    assert_eq!(stats.recovery_steps_done.get("apology"), Some(&2));
    assert_eq!(stats.recovery_steps_done.get("fix"), Some(&1));
    // By hand on the one, by the closure scheduling them on the other.
    assert_eq!(stats.recovery_steps_done.get("follow_up"), Some(&2));
    assert_eq!(stats.recovery_steps_done.len(), 7);
    assert_eq!(stats.closes_by_override, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn feedback_has_no_recovery_plan_and_closes_as_before() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let mut praise = complaint(&customer);
    praise.kind = pb::ComplaintKind::Feedback.into();
    let praise = app.create_as(&mut app.agent("agent-1"), praise).await;
    let mut agent = app.agent("agent-1");
    agent
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: praise.name.clone(),
            ..Default::default()
        })
        .await
        .expect("acknowledged");

    let refused = record(&mut agent, &praise.name, pb::RecoveryStep::Apology)
        .await
        .expect_err("no plan");
    let closed = close(&mut agent, &praise.name, "").await.expect("closed");

    assert_status(&refused, Code::FailedPrecondition, "NO_RECOVERY_PLAN");
    assert_eq!(state(&closed), pb::ComplaintState::Closed);
    // Follow-ups are service recovery too: none for praise.
    assert_eq!(app.count("complaint_follow_ups").await, 0);
    let types = app.event_types_of(&praise.name).await;
    assert!(
        !types.iter().any(|t| t == "complaint.follow_ups_scheduled"),
        "{types:?}"
    );
}
