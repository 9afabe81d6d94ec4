//! Plans and tasks through the real services: a template per crisis type
//! (a second is refused, updates are versions), its tasks instantiated on
//! declaration with owners by role or department and due times relative to
//! the declaration, the owner ledger, completion by the owner or those in
//! command only, and the scheduler raising an overdue task once.

mod support;

use jiff::SignedDuration;
use redress_platform::auth::Role;
use support::crises::{
    assert_invalid, assert_status, crisis, declare, eventually, manager, request_id,
    wait_for_at_least, wait_for_events,
};
use support::{pb, spawn_app};
use tonic::Code;

fn duration(minutes: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: minutes * 60,
        nanos: 0,
    })
}

fn template() -> pb::PlanTemplate {
    pb::PlanTemplate {
        crisis_type: "supply_chain".into(),
        title: "Supply chain disruption".into(),
        guidance: "Keep a second supplier warm.".into(),
        tasks: vec![
            pb::PlanTask {
                title: "Call the suppliers".into(),
                role: pb::TeamRole::Unspecified.into(),
                department: "logistics".into(),
                due_after: duration(30),
            },
            pb::PlanTask {
                title: "Draft the first statement".into(),
                role: pb::TeamRole::Commander.into(),
                department: String::new(),
                due_after: duration(60),
            },
        ],
        update_cadences: vec![pb::UpdateCadence {
            priority: pb::CrisisPriority::P2.into(),
            every: duration(90),
        }],
        ..Default::default()
    }
}

async fn create_template(client: &mut support::Client) -> pb::PlanTemplate {
    client
        .create_plan_template(pb::CreatePlanTemplateRequest {
            plan_template: Some(template()),
            request_id: request_id(),
        })
        .await
        .expect("the template is created")
        .into_inner()
        .plan_template
        .expect("a template")
}

#[tokio::test(flavor = "multi_thread")]
async fn declaring_instantiates_the_plan_with_owners_and_due_times_from_the_declaration() {
    // Arrange
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let template = create_template(&mut client).await;
    app.advance(SignedDuration::from_hours(2));

    // Act: cm-1 declares with cm-9 in command.
    let declared = client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(crisis("supply_chain")),
            origin: None,
            commander: "cm-9".into(),
            request_id: request_id(),
        })
        .await
        .expect("declared")
        .into_inner();

    // Assert
    let c = declared.crisis.expect("a crisis");
    assert_eq!(c.declared_by, "cm-1");
    assert_eq!(c.plan_template, template.name);
    assert_eq!(c.plan_template_version, 1);
    let declared_at = c.create_time.expect("a time").seconds;
    assert_eq!(declared.tasks.len(), 2);
    let suppliers = &declared.tasks[0];
    assert_eq!(suppliers.title, "Call the suppliers");
    assert_eq!(suppliers.department, "logistics");
    assert_eq!(
        suppliers.owner, "cm-9",
        "no one of logistics yet: the commander"
    );
    assert_eq!(
        suppliers.due_time.expect("a due time").seconds - declared_at,
        30 * 60
    );
    assert!(suppliers.from_plan);
    assert_eq!(suppliers.state, pb::TaskState::Open as i32);
    assert_eq!(suppliers.assignments.len(), 1);
    assert_eq!(suppliers.assignments[0].from_owner, "");
    assert_eq!(suppliers.assignments[0].to_owner, "cm-9");
    assert_eq!(suppliers.assignments[0].actor, "cm-1");
    let statement = &declared.tasks[1];
    assert_eq!(statement.owner, "cm-9", "the commander role's holder");
    assert_eq!(
        statement.due_time.expect("a due time").seconds - declared_at,
        60 * 60
    );
    let events = wait_for_at_least(&app, "crisis.task_created", &c.name, 2).await;
    assert_eq!(events.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_template_per_type_and_an_update_is_a_new_version() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let first = create_template(&mut client).await;

    let second = client
        .create_plan_template(pb::CreatePlanTemplateRequest {
            plan_template: Some(template()),
            request_id: request_id(),
        })
        .await
        .expect_err("one per type");
    let mut changed = first.clone();
    changed.title = "Supply chain disruption, v2".into();
    changed.tasks.truncate(1);
    let updated = client
        .update_plan_template(pb::UpdatePlanTemplateRequest {
            plan_template: Some(changed.clone()),
            change_note: "lesson from the last review".into(),
        })
        .await
        .expect("updated")
        .into_inner()
        .plan_template
        .expect("a template");
    let stale = client
        .update_plan_template(pb::UpdatePlanTemplateRequest {
            plan_template: Some(changed),
            change_note: String::new(),
        })
        .await
        .expect_err("the etag is stale");

    assert_status(&second, Code::AlreadyExists, "PLAN_TEMPLATE_EXISTS");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.tasks.len(), 1);
    assert_eq!(stale.code(), Code::Aborted);
    let note: String =
        sqlx::query_scalar("SELECT change_note FROM plan_template_versions WHERE version = 2")
            .fetch_one(&app.pool)
            .await
            .expect("the second version is kept");
    assert_eq!(note, "lesson from the last review");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_plan_tasks_are_refused_field_by_field() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let mut bad = template();
    bad.tasks = vec![
        pb::PlanTask {
            title: String::new(),
            role: pb::TeamRole::Scribe.into(),
            department: "legal".into(),
            due_after: duration(0),
        },
        pb::PlanTask {
            title: "Fine".into(),
            role: pb::TeamRole::Unspecified.into(),
            department: String::new(),
            due_after: None,
        },
    ];

    let refused = client
        .create_plan_template(pb::CreatePlanTemplateRequest {
            plan_template: Some(bad),
            request_id: String::new(),
        })
        .await
        .expect_err("the tasks are wrong");

    assert_invalid(
        &refused,
        &[
            "plan_template.tasks[0].title",
            "plan_template.tasks[0].due_after",
            "plan_template.tasks[0].role",
            "plan_template.tasks[1].due_after",
            "plan_template.tasks[1].role",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reassignment_is_kept_in_the_ledger_and_only_the_owner_or_command_completes() {
    // Arrange
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    let task = client
        .create_crisis_task(pb::CreateCrisisTaskRequest {
            parent: c.name.clone(),
            task: Some(pb::CrisisTask {
                title: "Brief the call centre".into(),
                owner: "agent-7".into(),
                due_time: Some(prost_types::Timestamp {
                    seconds: support::monday_noon().as_second() + 3600,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("a task")
        .into_inner()
        .task
        .expect("a task");

    // Act
    let reassigned = client
        .reassign_crisis_task(pb::ReassignCrisisTaskRequest {
            name: task.name.clone(),
            owner: "agent-8".into(),
            reason: "agent-7 is off sick".into(),
        })
        .await
        .expect("reassigned")
        .into_inner()
        .task
        .expect("a task");
    let mut former = app.client("agent-7", &[Role::Agent]);
    let refused = former
        .complete_crisis_task(pb::CompleteCrisisTaskRequest {
            name: task.name.clone(),
            state: pb::TaskState::Done.into(),
            note: String::new(),
        })
        .await
        .expect_err("no longer theirs");
    let mut owner = app.client("agent-8", &[Role::Agent]);
    let done = owner
        .complete_crisis_task(pb::CompleteCrisisTaskRequest {
            name: task.name.clone(),
            state: pb::TaskState::Done.into(),
            note: "Briefed at 13:00".into(),
        })
        .await
        .expect("the owner completes it")
        .into_inner()
        .task
        .expect("a task");

    // Assert
    assert_eq!(reassigned.owner, "agent-8");
    let ledger: Vec<(&str, &str, &str)> = reassigned
        .assignments
        .iter()
        .map(|a| {
            (
                a.from_owner.as_str(),
                a.to_owner.as_str(),
                a.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        ledger,
        [
            ("", "agent-7", "created"),
            ("agent-7", "agent-8", "agent-7 is off sick")
        ]
    );
    assert_status(&refused, Code::PermissionDenied, "NOT_TASK_OWNER");
    assert_eq!(done.state, pb::TaskState::Done as i32);
    assert_eq!(done.completion_note, "Briefed at 13:00");
    let open = client
        .list_crisis_tasks(pb::ListCrisisTasksRequest {
            parent: c.name.clone(),
            states: vec![pb::TaskState::Open.into()],
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("listed")
        .into_inner();
    assert!(open.tasks.is_empty());
    wait_for_events(&app, "crisis.task_reassigned", &c.name).await;
    wait_for_events(&app, "crisis.task_completed", &c.name).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduler_raises_an_overdue_task_once() {
    // Arrange
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    create_template(&mut client).await;
    let declared = declare(&mut client, crisis("supply_chain")).await;
    let c = declared.crisis.expect("a crisis");

    // Act: past the first task's due time, not the second's.
    app.advance(SignedDuration::from_mins(45));

    // Assert
    let events = wait_for_events(&app, "crisis.task_overdue", &c.name).await;
    assert_eq!(events.len(), 1);
    let mut tasks = Vec::new();
    eventually("the task reads overdue", || {
        let mut client = client.clone();
        let parent = c.name.clone();
        async move {
            let listed = client
                .list_crisis_tasks(pb::ListCrisisTasksRequest {
                    parent,
                    states: vec![],
                    page_size: 10,
                    page_token: String::new(),
                })
                .await
                .expect("listed")
                .into_inner()
                .tasks;
            listed[0].overdue
        }
    })
    .await;
    // Give the scheduler more passes; the overdue task is raised only once.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let events = wait_for_events(&app, "crisis.task_overdue", &c.name).await;
    assert_eq!(events.len(), 1);
    tasks.extend(
        client
            .list_crisis_tasks(pb::ListCrisisTasksRequest {
                parent: c.name.clone(),
                states: vec![],
                page_size: 1,
                page_token: String::new(),
            })
            .await
            .expect("listed")
            .into_inner()
            .tasks,
    );
    assert_eq!(tasks.len(), 1, "a page of one");
    let timeline = client
        .list_timeline(pb::ListTimelineRequest {
            crisis: c.name.clone(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("the timeline")
        .into_inner()
        .entries;
    assert_eq!(
        timeline.iter().filter(|e| e.kind == "task_overdue").count(),
        1
    );
}
