//! The customers service's limits through its real gRPC interface: an
//! over-long value and an over-long list are each refused with exactly one
//! field violation, a page larger than the maximum is served (cut to the
//! maximum, AIP-158) while a negative one is refused, and a message over
//! `grpc.max_message_bytes` is refused with RESOURCE_EXHAUSTED before it is
//! read, with the server answering the next call as before. Nothing refused
//! is written.

mod support;

use redress_platform::auth::Role;
use support::*;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn an_over_long_display_name_is_refused_with_one_violation_and_nothing_written() {
    let app = spawn_app().await;
    let status = app
        .agent()
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(person(&"x".repeat(201))),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["customer.display_name"]);
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn an_over_long_consent_list_is_one_violation_and_nothing_written() {
    let app = spawn_app().await;
    let bad = pb::Consent {
        purpose: "Not a purpose!".into(),
        ..Default::default()
    };
    let status = app
        .agent()
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(pb::Customer {
                // Bad consents too: past the cap they are not looked at one
                // by one, so the answer stays one violation long.
                consents: vec![bad; 10_000],
                ..person("Ada Lovelace")
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["customer.consents"]);
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn an_over_long_selector_list_is_one_violation_however_long_it_is() {
    let app = spawn_app().await;
    let status = app
        .client(&[Role::Communications])
        .select_customers(pb::SelectCustomersRequest {
            selector: Some(pb::CustomerSelector {
                // Bad values too: past the cap they are not looked at one by
                // one, so the answer stays one violation long.
                tags: vec!["Bad Tag".into(); 10_000],
                region_codes: vec!["NL".into(); 101],
                ..Default::default()
            }),
            batch_size: 10,
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["selector.tags", "selector.region_codes"]);
}

#[tokio::test]
async fn a_page_above_the_maximum_is_served_and_a_negative_one_refused() {
    let app = spawn_app().await;
    app.create(person("Ada Lovelace")).await;
    let page = app
        .agent()
        .list_customers(pb::ListCustomersRequest {
            page_size: i32::MAX,
            ..Default::default()
        })
        .await
        .expect("served")
        .into_inner();
    assert_eq!(page.customers.len(), 1);
    let status = app
        .agent()
        .list_customers(pb::ListCustomersRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["page_size"]);
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_resource_exhausted_and_the_server_carries_on() {
    let app = spawn_app().await;
    let status = app
        .agent()
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(person(&"x".repeat(5 * 1024 * 1024))),
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
    assert_eq!(app.count("customers").await, 0);
    let created = app.create(person("Ada Lovelace")).await;
    assert_eq!(app.get(&created.name).await.display_name, "Ada Lovelace");
}
