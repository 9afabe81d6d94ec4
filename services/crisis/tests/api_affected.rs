//! Affected parties through the real services: a selector of 100,000
//! customers is linked in the background and pages back in order; named
//! customers link at once, an unknown one is NOT_FOUND; complaints link by
//! name (an unknown one is NOT_FOUND) and from the complaint feed when they
//! fall within a crisis's scope.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use redress_platform::auth::Role;
use serde_json::json;
use support::affected::{
    complaint, customer, eventually, eventually_within, insert_crisis, insert_tagged_customers,
    reason,
};
use support::{cpb, pb, spawn_app};
use tonic::Code;

fn crisis_name(id: uuid::Uuid) -> String {
    format!("crises/{id}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selector_of_a_hundred_thousand_customers_is_linked_and_pages_back_in_order() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    insert_tagged_customers(&app, "router-north", 100_000, 2_000).await;
    let mut client = app.client("commander-1", &[Role::CrisisManager]);

    // Act
    let link = client
        .link_affected_customers(pb::LinkAffectedCustomersRequest {
            crisis: crisis_name(crisis),
            customers: Some(pb::link_affected_customers_request::Customers::Selector(
                cpb::CustomerSelector {
                    tags: vec!["router-north".into()],
                    ..Default::default()
                },
            )),
            impact: pb::ImpactLevel::Heavy.into(),
            request_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .expect("the link starts")
        .into_inner()
        .link
        .expect("a link");
    assert_eq!(link.state, pb::CustomerLinkState::Running as i32);
    let done = eventually_within(
        "the selector link finishing",
        Duration::from_secs(180),
        || {
            let mut client = client.clone();
            let name = link.name.clone();
            async move {
                let got = client
                    .get_customer_link(pb::GetCustomerLinkRequest { name })
                    .await
                    .expect("the link reads")
                    .into_inner()
                    .link
                    .expect("a link");
                (got.state == pb::CustomerLinkState::Done as i32).then_some(got)
            }
        },
    )
    .await;

    // Assert
    assert_eq!((done.seen_count, done.added_count), (100_000, 100_000));
    let mut seen = BTreeSet::new();
    let mut last = String::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_affected_customers(pb::ListAffectedCustomersRequest {
                crisis: crisis_name(crisis),
                impact: 0,
                page_size: 1000,
                page_token: token.clone(),
            })
            .await
            .expect("a page")
            .into_inner();
        for c in &page.customers {
            assert_eq!(c.impact, pb::ImpactLevel::Heavy as i32);
            assert!(c.customer > last, "customers come in id order");
            last = c.customer.clone();
            seen.insert(c.customer.clone());
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 100_000);
    let counts = client
        .get_affected_counts(pb::GetAffectedCountsRequest {
            crisis: crisis_name(crisis),
        })
        .await
        .expect("the counts")
        .into_inner();
    let latest = counts.points.last().expect("a point");
    assert_eq!(
        (latest.heavy_customer_count, latest.normal_customer_count),
        (100_000, 0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn named_customers_link_at_once_heavy_is_never_lowered_and_an_unknown_one_is_not_found() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    let ada = customer(&app, "Ada", "en").await;
    let bob = customer(&app, "Bob", "en").await;
    let mut client = app.client("commander-1", &[Role::CrisisManager]);
    let link = |names: Vec<String>, impact: pb::ImpactLevel| pb::LinkAffectedCustomersRequest {
        crisis: crisis_name(crisis),
        customers: Some(pb::link_affected_customers_request::Customers::Names(
            pb::CustomerNames { names },
        )),
        impact: impact.into(),
        request_id: String::new(),
    };
    let retried = pb::LinkAffectedCustomersRequest {
        request_id: uuid::Uuid::now_v7().to_string(),
        ..link(vec![bob.clone()], pb::ImpactLevel::Normal)
    };

    // Act
    let heavy = client
        .link_affected_customers(link(vec![ada.clone()], pb::ImpactLevel::Heavy))
        .await
        .expect("linked")
        .into_inner()
        .link
        .expect("a link");
    let normal = client
        .link_affected_customers(link(
            vec![ada.clone(), bob.clone()],
            pb::ImpactLevel::Unspecified,
        ))
        .await
        .expect("linked")
        .into_inner()
        .link
        .expect("a link");
    let once = client
        .link_affected_customers(retried.clone())
        .await
        .expect("linked")
        .into_inner();
    let twice = client
        .link_affected_customers(retried)
        .await
        .expect("the repeat answered")
        .into_inner();
    let unknown = format!("customers/{}", uuid::Uuid::now_v7());
    let refused = client
        .link_affected_customers(link(
            vec![bob.clone(), unknown.clone()],
            pb::ImpactLevel::Normal,
        ))
        .await
        .expect_err("an unknown customer is refused");

    // Assert
    assert_eq!(heavy.state, pb::CustomerLinkState::Done as i32);
    assert_eq!((normal.seen_count, normal.added_count), (2, 1));
    assert_eq!(once, twice, "a repeated request_id answers the first link");
    assert_eq!(refused.code(), Code::NotFound);
    assert!(refused.message().contains(&unknown), "{refused:?}");
    let listed = client
        .list_affected_customers(pb::ListAffectedCustomersRequest {
            crisis: crisis_name(crisis),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .customers;
    let got: Vec<(String, i32)> = listed.into_iter().map(|c| (c.customer, c.impact)).collect();
    assert_eq!(
        got,
        [
            (ada, pb::ImpactLevel::Heavy as i32),
            (bob, pb::ImpactLevel::Normal as i32)
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn complaints_link_by_name_once_and_an_unknown_one_is_not_found() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    let known = complaint(&app, "modem-y").await;
    let unknown = format!("complaints/{}", uuid::Uuid::now_v7());
    let mut client = app.client("agent-1", &[Role::Agent]);
    let link = |complaints: Vec<String>| pb::LinkComplaintsRequest {
        crisis: crisis_name(crisis),
        complaints,
    };

    // Act
    let refused = client
        .link_complaints(link(vec![known.clone(), unknown.clone()]))
        .await
        .expect_err("an unknown complaint is refused");
    let first = client
        .link_complaints(link(vec![known.clone()]))
        .await
        .expect("linked")
        .into_inner();
    let again = client
        .link_complaints(link(vec![known.clone()]))
        .await
        .expect("linked again")
        .into_inner();

    // Assert
    assert_eq!(refused.code(), Code::NotFound);
    assert!(refused.message().contains(&unknown), "{refused:?}");
    assert_eq!((first.added_count, first.complaint_count), (1, 1));
    assert_eq!((again.added_count, again.complaint_count), (0, 1));
    let closed = insert_crisis(&app, false, json!({})).await;
    sqlx::query("UPDATE crises SET state = 'closed' WHERE id = $1")
        .bind(closed)
        .execute(&app.pool)
        .await
        .expect("closed");
    let refused = client
        .link_complaints(pb::LinkComplaintsRequest {
            crisis: crisis_name(closed),
            complaints: vec![known],
        })
        .await
        .expect_err("a closed crisis takes no links");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "CRISIS_CLOSED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_complaint_about_a_crisis_product_is_linked_from_the_feed() {
    // Arrange
    let app = spawn_app().await;
    let hit = insert_crisis(&app, false, json!({ "products": ["router-x"] })).await;
    let elsewhere = insert_crisis(&app, false, json!({ "products": ["fridge-z"] })).await;
    let mut client = app.client("commander-1", &[Role::CrisisManager]);

    // Act
    let name = complaint(&app, "router-x").await;

    // Assert
    let linked = eventually("the complaint linked by scope", || {
        let mut client = client.clone();
        async move {
            let got = client
                .list_linked_complaints(pb::ListLinkedComplaintsRequest {
                    crisis: crisis_name(hit),
                    ..Default::default()
                })
                .await
                .expect("listed")
                .into_inner()
                .complaints;
            (!got.is_empty()).then_some(got)
        }
    })
    .await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].complaint, name);
    assert_eq!(linked[0].source, pb::ComplaintLinkSource::Scope as i32);
    let other = client
        .list_linked_complaints(pb::ListLinkedComplaintsRequest {
            crisis: crisis_name(elsewhere),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .complaints;
    assert!(other.is_empty());
    let counts = client
        .get_affected_counts(pb::GetAffectedCountsRequest {
            crisis: crisis_name(hit),
        })
        .await
        .expect("counts")
        .into_inner();
    assert_eq!(counts.points.last().map(|p| p.complaint_count), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_whose_worker_died_is_taken_over_and_streamed_again_from_the_start() {
    // Arrange: a running link claimed by a worker whose claim ran out, with
    // progress that worker never finished.
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    insert_tagged_customers(&app, "router-south", 300, 50).await;
    let selector = cpb::CustomerSelector {
        tags: vec!["router-south".into()],
        ..Default::default()
    };
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO customer_links (id, crisis_id, impact, selector, state, seen_count, \
         added_count, claim_until, create_time) \
         VALUES ($1, $2, 1, $3, 'running', 120, 0, now() - interval '10 years', now())",
    )
    .bind(id)
    .bind(crisis)
    .bind(prost::Message::encode_to_vec(&selector))
    .execute(&app.pool)
    .await
    .expect("a stale link");
    let client = app.client("commander-1", &[Role::CrisisManager]);

    // Act
    let done = eventually("the link taken over and done", || {
        let mut client = client.clone();
        async move {
            let got = client
                .get_customer_link(pb::GetCustomerLinkRequest {
                    name: format!("crises/{crisis}/customerLinks/{id}"),
                })
                .await
                .expect("the link reads")
                .into_inner()
                .link
                .expect("a link");
            (got.state == pb::CustomerLinkState::Done as i32).then_some(got)
        }
    })
    .await;

    // Assert
    assert_eq!((done.seen_count, done.added_count), (300, 300));
    let crisis_counts: (i64, i64) = sqlx::query_as(
        "SELECT heavy_customer_count, normal_customer_count FROM crises WHERE id = $1",
    )
    .bind(crisis)
    .fetch_one(&app.pool)
    .await
    .expect("the crisis");
    assert_eq!(crisis_counts, (0, 300));
}
