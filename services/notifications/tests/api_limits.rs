//! The notifications service's limits through its real gRPC interface: an
//! over-long value and an over-long list are each refused with exactly one
//! field violation, a page larger than the maximum is served (cut to the
//! maximum, AIP-158) while a negative one is refused, and a message over
//! `grpc.max_message_bytes` is refused with RESOURCE_EXHAUSTED before it is
//! read, with the server answering the next call as before.

mod support;

use std::collections::BTreeSet;

use support::{pb, spawn_app};
use tonic::Code;
use tonic_types::StatusExt;

/// The violated fields of an INVALID_ARGUMENT, each once.
fn violations(status: &tonic::Status) -> BTreeSet<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    let unique: BTreeSet<String> = fields.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        fields.len(),
        "a field reported twice: {fields:?}"
    );
    unique
}

fn template(subject: String, body: String, variables: Vec<String>) -> pb::CreateTemplateRequest {
    pb::CreateTemplateRequest {
        template: Some(pb::Template {
            kind: "notice.test".into(),
            subject,
            body,
            variables,
            ..pb::Template::default()
        }),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_over_long_subject_and_variable_list_are_one_violation_each() {
    let app = spawn_app().await;
    // Bad names too: past the cap they are not looked at one by one.
    let variables = vec!["Not A Name".to_owned(); 10_000];
    let status = app
        .client()
        .create_template(template("x".repeat(1001), "Hello".into(), variables))
        .await
        .expect_err("refused");
    assert_eq!(
        violations(&status),
        BTreeSet::from([
            "template.subject".to_owned(),
            "template.variables".to_owned()
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_over_long_state_filter_is_one_violation_and_pages_are_bounded() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace", "en-GB", "Europe/London").await;
    let list = |states: Vec<i32>, page_size: i32| pb::ListMessagesRequest {
        filter: Some(pb::list_messages_request::Filter::Recipient(
            customer.clone(),
        )),
        states,
        page_size,
        page_token: String::new(),
    };
    let status = app
        .client()
        .list_messages(list(vec![0; 100_000], 10))
        .await
        .expect_err("refused");
    assert_eq!(violations(&status), BTreeSet::from(["states".to_owned()]));
    let status = app
        .client()
        .list_messages(list(Vec::new(), -1))
        .await
        .expect_err("refused");
    assert_eq!(
        violations(&status),
        BTreeSet::from(["page_size".to_owned()])
    );
    let page = app
        .client()
        .list_messages(list(Vec::new(), i32::MAX))
        .await
        .expect("served")
        .into_inner();
    assert!(page.messages.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_over_the_size_limit_is_resource_exhausted_and_the_server_carries_on() {
    let app = spawn_app().await;
    let status = app
        .client()
        .create_template(template(
            String::new(),
            "x".repeat(5 * 1024 * 1024),
            Vec::new(),
        ))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(
        info.map(|i| (i.reason, i.domain)),
        Some((
            "MESSAGE_TOO_LARGE".to_owned(),
            "notifications.redress".to_owned()
        ))
    );
    let saved = app
        .template(
            "notice.test",
            pb::Channel::Unspecified,
            "",
            "Hello {{ recipient.name }}",
            &[],
        )
        .await;
    assert_eq!(saved.kind, "notice.test");
}
