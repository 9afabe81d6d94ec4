//! The crisis feed through the real server: an empty feed reads as empty,
//! and a bad page size is refused with a field violation.

mod support;

use redress_platform::auth::Role;
use support::{pb, spawn_app};
use tonic::Code;

#[tokio::test(flavor = "multi_thread")]
async fn a_new_crisis_feed_has_no_events_and_refuses_a_negative_page() {
    let app = spawn_app().await;
    let mut client = app.client("svc", &[Role::Service]);

    let page = client
        .list_crisis_events(pb::ListCrisisEventsRequest {
            after_position: 0,
            page_size: 10,
            types: vec![],
        })
        .await
        .expect("the feed lists")
        .into_inner();
    assert!(page.events.is_empty());

    let refused = client
        .list_crisis_events(pb::ListCrisisEventsRequest {
            after_position: 0,
            page_size: -1,
            types: vec![],
        })
        .await
        .expect_err("a negative page size is refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
}
