//! The notifications service's metrics, read from an in-memory exporter
//! while the real service and its delivery workers run: each recorded
//! outcome counted by state and channel, and the queue sampled by state.

mod support;

use redress_platform::testing::metrics::Recorder;
use support::{in_state, pb, spawn_app_with};
use uuid::Uuid;

const DELIVERIES: &str = "redress.notifications.deliveries";
const QUEUE: &str = "redress.notifications.queue";

fn send(recipient: &str) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        message: Some(pb::Message {
            recipient: recipient.into(),
            kind: "notice.test".into(),
            ..pb::Message::default()
        }),
        request_id: Uuid::now_v7().to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_are_counted_by_the_state_and_channel_recorded_and_the_queue_by_state() {
    // Arrange: the provider first, so the service's instruments are made
    // from it. One attempt per channel and no fallback, so a failure is
    // final; the queue is read every 100 ms.
    let metrics = Recorder::install();
    let app = spawn_app_with(|s| redress_notifications::Settings {
        attempts_per_channel: 1,
        customer_channels: vec![],
        metrics_interval_ms: 100,
        ..s
    })
    .await;
    app.template("notice.test", pb::Channel::Webhook, "", "Hello", &[])
        .await;
    let ann = app.customer("Ann", "en", "Europe/London").await;
    let bob = app.customer("Bob", "en", "UTC").await;
    // Monday noon UTC is one in the morning in Auckland: quiet hours.
    let kiri = app.customer("Kiri", "en", "Pacific/Auckland").await;
    let message = |request| async {
        app.client()
            .send_message(request)
            .await
            .expect("queued")
            .into_inner()
            .message
            .expect("a message")
            .name
    };

    // Act: one delivered, one failed at the gateway, one held.
    let delivered = message(send(&ann)).await;
    app.wait_for(&delivered, in_state(&[pb::MessageState::Delivered]))
        .await;
    app.gateway.fail_next(1, 503);
    let failed = message(send(&bob)).await;
    app.wait_for(&failed, in_state(&[pb::MessageState::Failed]))
        .await;
    let held = message(send(&kiri)).await;
    app.wait_for(&held, in_state(&[pb::MessageState::Held]))
        .await;

    // Assert: one outcome each, counted once the worker recorded it; the
    // held one without a channel (no attempt was made).
    metrics
        .eventually_exactly(
            DELIVERIES,
            &[
                (&[("channel", "webhook"), ("state", "delivered")], 1),
                (&[("channel", "webhook"), ("state", "failed")], 1),
                (&[("state", "held")], 1),
            ],
        )
        .await;
    metrics.eventually(QUEUE, &[("state", "held")], 1).await;
    metrics.eventually(QUEUE, &[("state", "queued")], 0).await;
    metrics.eventually(QUEUE, &[("state", "sending")], 0).await;
    assert_eq!(metrics.points(QUEUE).len(), 3, "only the waiting states");
}
