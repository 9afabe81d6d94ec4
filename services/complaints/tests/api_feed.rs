//! The complaint feed: under many concurrent writers, a reader following
//! the feed from a cursor sees every event exactly once, in an order that
//! keeps each complaint's events in the order they happened; and a reader
//! resumes from its cursor after the service restarts.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writers_never_make_a_reader_skip_or_repeat_an_event() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let mut watch = app
        .service()
        .watch_complaint_events(pb::WatchComplaintEventsRequest {
            after_position: 0,
            types: vec![],
        })
        .await
        .expect("watching")
        .into_inner();

    let mut writers = Vec::new();
    for w in 0..8 {
        let mut agent = app.agent(&format!("agent-{w}"));
        let customer = customer.clone();
        writers.push(tokio::spawn(async move {
            for _ in 0..5 {
                let created = agent
                    .create_complaint(pb::CreateComplaintRequest {
                        complaint: Some(complaint(&customer)),
                        request_id: request_id(),
                    })
                    .await
                    .expect("created")
                    .into_inner()
                    .complaint
                    .expect("a complaint");
                agent
                    .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
                        name: created.name,
                        ..Default::default()
                    })
                    .await
                    .expect("acknowledged");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("a writer finished");
    }

    let mut seen = Vec::new();
    while seen.len() < 80 {
        let batch = tokio::time::timeout(std::time::Duration::from_secs(10), watch.next())
            .await
            .expect("events keep coming")
            .expect("the stream is open")
            .expect("a batch");
        seen.extend(batch.events);
    }
    let ids: BTreeSet<&str> = seen.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 80, "no event twice");
    assert_eq!(app.count("outbox_events").await, 80, "none skipped");
    let positions: Vec<i64> = seen.iter().map(|e| e.position).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in position order"
    );
    let mut per_complaint: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for event in &seen {
        per_complaint
            .entry(event.subject.as_str())
            .or_default()
            .push(event.r#type.as_str());
    }
    assert_eq!(per_complaint.len(), 40);
    for types in per_complaint.values() {
        assert_eq!(types, &["complaint.created", "complaint.acknowledged"]);
    }
    let first = &seen[0];
    for key in [
        "category", "severity", "region", "product", "customer", "grade",
    ] {
        assert!(
            first.attributes.contains_key(key),
            "routing attribute {key}"
        );
    }
    assert!(!first.payload.contains("Parcel"), "no free text in events");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_resumes_from_its_cursor_after_the_service_restarts() {
    let mut app = spawn_app().await;
    let first = app.received().await;
    let before = app.events().await;
    let cursor = before.last().expect("an event").position;

    app.start_complaints().await;
    let mut agent = app.agent("agent-1");
    agent
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: first.name.clone(),
            ..Default::default()
        })
        .await
        .expect("acknowledged after the restart");
    let mut resumed = Vec::new();
    for _ in 0..100 {
        resumed = app
            .service()
            .list_complaint_events(pb::ListComplaintEventsRequest {
                after_position: cursor,
                page_size: 100,
                types: vec![],
            })
            .await
            .expect("listed")
            .into_inner()
            .events;
        if !resumed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    assert_eq!(
        resumed
            .iter()
            .map(|e| e.r#type.as_str())
            .collect::<Vec<_>>(),
        ["complaint.acknowledged"]
    );
    assert!(resumed[0].position > cursor);
}
