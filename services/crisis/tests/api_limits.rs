//! The crisis service's limits through its real gRPC interface: an
//! over-long value and an over-long list are each refused with exactly one
//! field violation, a page larger than the maximum is served (cut to the
//! maximum, AIP-158) while a negative one is refused, and a message over
//! `grpc.max_message_bytes` is refused with RESOURCE_EXHAUSTED before it is
//! read, with the server answering the next call as before.

mod support;

use support::crises::{assert_invalid, crisis, declare, manager, request_id};
use support::{pb, spawn_app};
use tonic::Code;
use tonic_types::StatusExt;

/// Counts the crises a manager sees.
async fn crises_listed(client: &mut support::Client) -> usize {
    client
        .list_crises(pb::ListCrisesRequest {
            page_size: i32::MAX,
            ..Default::default()
        })
        .await
        .expect("served")
        .into_inner()
        .crises
        .len()
}

#[tokio::test]
async fn an_over_long_title_or_scope_list_is_one_violation_each_and_nothing_declared() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let mut refused = crisis("service_quality");
    refused.title = "x".repeat(201);
    refused.scope = Some(pb::CrisisScope {
        // Empty values too: past the cap they are not looked at one by one.
        products: vec![String::new(); 10_000],
        ..Default::default()
    });
    let status = client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(refused),
            origin: None,
            commander: String::new(),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["crisis.title", "crisis.scope.products"]);
    assert_eq!(crises_listed(&mut client).await, 0);
}

#[tokio::test]
async fn an_over_long_state_filter_is_one_violation_and_a_negative_page_is_refused() {
    let app = spawn_app().await;
    let status = manager(&app, "cm-1")
        .list_crises(pb::ListCrisesRequest {
            states: vec![0; 100_000],
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["states", "page_size"]);
}

#[tokio::test]
async fn a_page_above_the_maximum_is_served() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    declare(&mut client, crisis("service_quality")).await;
    assert_eq!(crises_listed(&mut client).await, 1);
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_resource_exhausted_and_the_server_carries_on() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let mut huge = crisis("service_quality");
    huge.title = "x".repeat(5 * 1024 * 1024);
    let status = client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(huge),
            origin: None,
            commander: String::new(),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(
        info.map(|i| (i.reason, i.domain)),
        Some(("MESSAGE_TOO_LARGE".to_owned(), support::DOMAIN.to_owned()))
    );
    assert_eq!(crises_listed(&mut client).await, 0);
    declare(&mut client, crisis("service_quality")).await;
    assert_eq!(crises_listed(&mut client).await, 1);
}

#[tokio::test]
async fn a_task_due_before_postgresql_s_first_day_is_refused_on_its_due_time() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("service_quality"))
        .await
        .crisis
        .expect("a crisis");

    let status = client
        .create_crisis_task(pb::CreateCrisisTaskRequest {
            parent: c.name,
            task: Some(pb::CrisisTask {
                title: "Brief the call centre".into(),
                owner: "agent-7".into(),
                // About 7,500 BC: a time jiff holds and PostgreSQL does not.
                due_time: Some(prost_types::Timestamp {
                    seconds: -300_000_000_000,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");

    assert_invalid(&status, &["task.due_time"]);
}

#[tokio::test]
async fn an_over_long_plan_span_is_refused_on_its_field() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let span = |seconds| Some(prost_types::Duration { seconds, nanos: 0 });

    let status = client
        .create_plan_template(pb::CreatePlanTemplateRequest {
            plan_template: Some(pb::PlanTemplate {
                crisis_type: "service_quality".into(),
                title: "Service quality".into(),
                tasks: vec![pb::PlanTask {
                    title: "Call the press".into(),
                    role: pb::TeamRole::Spokesperson.into(),
                    department: String::new(),
                    due_after: span(367 * 86_400),
                }],
                update_cadences: vec![pb::UpdateCadence {
                    priority: pb::CrisisPriority::P1.into(),
                    every: span(i64::MAX),
                }],
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");

    assert_invalid(
        &status,
        &[
            "plan_template.tasks[0].due_after",
            "plan_template.update_cadences[0].every",
        ],
    );
}
