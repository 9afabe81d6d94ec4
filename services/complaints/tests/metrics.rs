//! The complaints service's metrics, read from an in-memory exporter while
//! the real service runs: SLA warnings, breaches and escalations counted
//! once per alarm the scheduler raises, and the open complaints sampled by
//! state and priority.

mod support;

use jiff::SignedDuration;
use redress_complaints::domain::priority::Priority;
use redress_complaints::domain::sla_policy::{
    EscalationStep, EscalationTarget, SlaPolicy, SlaRule,
};
use redress_platform::testing::metrics::Recorder;
use redress_platform::wire::WireEnum;
use support::*;

const WARNINGS: &str = "redress.complaints.sla.warnings";
const BREACHES: &str = "redress.complaints.sla.breaches";
const ESCALATIONS: &str = "redress.complaints.sla.escalations";
const OPEN: &str = "redress.complaints.open";

/// One clock (acknowledgement within an hour, around the clock), one rung
/// of the ladder (the owner, at the breach), and the open complaints read
/// every 100 ms.
fn settings() -> redress_complaints::Settings {
    let rule = SlaRule {
        category: None,
        severities: vec![],
        grades: vec![],
        safety_only: false,
        calendar: "default".into(),
        acknowledgement: Some(SignedDuration::from_hours(1)),
        first_response: None,
        update: None,
        resolution: None,
    };
    redress_complaints::Settings {
        sla: SlaPolicy {
            rules: vec![rule],
            escalation: vec![EscalationStep {
                after: SignedDuration::ZERO,
                to: EscalationTarget::Owner,
            }],
            ..SlaPolicy::default()
        },
        metrics_interval_ms: 100,
        ..test_settings()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sla_alarms_are_counted_once_each_and_open_complaints_are_sampled_by_state() {
    // Arrange: the provider first, so the service's instruments are made
    // from it.
    let metrics = Recorder::install();
    let app = spawn_app_with(settings()).await;
    let created = app.received().await;
    let priority = Priority::from_wire(created.priority)
        .expect("a known priority")
        .expect("a priority")
        .code();
    let received = [("state", "received"), ("priority", priority)];
    let acknowledged = [("state", "acknowledged"), ("priority", priority)];
    let on_ack = [("clock", "acknowledgement"), ("priority", priority)];
    metrics.eventually(OPEN, &received, 1).await;
    metrics.eventually(OPEN, &acknowledged, 0).await;
    assert_eq!(metrics.value(WARNINGS, &on_ack), None, "nothing raised yet");

    // Act: past the warning (48 minutes), then past the deadline, running
    // the scheduler twice there.
    app.advance(SignedDuration::from_mins(50));
    assert_eq!(app.run_scheduler().await.alarms, 1);
    let after_warning = metrics.value(WARNINGS, &on_ack);
    let breach_after_warning = metrics.value(BREACHES, &on_ack);
    app.advance(SignedDuration::from_mins(11));
    assert_eq!(
        app.run_scheduler().await.alarms,
        2,
        "the breach and the owner"
    );
    assert_eq!(
        app.run_scheduler().await.alarms,
        0,
        "each alarm is raised once"
    );

    // Assert
    assert_eq!(after_warning, Some(1));
    assert_eq!(breach_after_warning, None);
    assert_eq!(metrics.value(WARNINGS, &on_ack), Some(1));
    assert_eq!(metrics.value(BREACHES, &on_ack), Some(1));
    let on_ladder = [
        ("clock", "acknowledgement"),
        ("level", "1"),
        ("priority", priority),
    ];
    assert_eq!(metrics.value(ESCALATIONS, &on_ladder), Some(1));
    for name in [WARNINGS, BREACHES, ESCALATIONS] {
        assert_eq!(metrics.points(name).len(), 1, "{name}: one series");
    }

    // Acknowledged, the complaint moves from one state's count to the
    // other's, and the emptied one reads zero.
    app.agent("agent-1")
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect("acknowledged");
    metrics.eventually(OPEN, &acknowledged, 1).await;
    metrics.eventually(OPEN, &received, 0).await;
    let open = metrics.points(OPEN);
    assert_eq!(
        open.len(),
        5 * 4,
        "every open state by every priority: {open:?}"
    );
    assert_eq!(open.iter().map(|(_, n)| n).sum::<u64>(), 1, "{open:?}");
    assert!(
        open.iter()
            .all(|(a, _)| a["state"] != "closed" && a["state"] != "merged"),
        "only open states: {open:?}"
    );
}
