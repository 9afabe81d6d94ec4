//! The crisis service's metrics, read from an in-memory exporter while the
//! real services run: warnings still waiting for a judgement by source and
//! state, and crises under way by priority, state and drill, both sampled
//! from the schema.

mod support;

use jiff::SignedDuration;
use redress_platform::auth::Role;
use redress_platform::clock::Clock as _;
use redress_platform::testing::metrics::Recorder;
use redress_platform::wire;
use support::crises::{crisis, manager, request_id};
use support::{pb, spawn_app_with, test_settings};

const WARNINGS: &str = "redress.crisis.warnings.open";
const CRISES: &str = "redress.crisis.crises.active";

fn report(summary: &str) -> pb::ReportSignalRequest {
    pb::ReportSignalRequest {
        signal_channel: pb::SignalChannel::SocialMedia.into(),
        summary: summary.into(),
        source_uri: String::new(),
        complaints: vec![],
        request_id: request_id(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn undecided_warnings_and_active_crises_are_sampled_by_their_closed_sets() {
    // Arrange: the provider first; the schema read every 100 ms.
    let metrics = Recorder::install();
    let app = spawn_app_with(redress_crisis::Settings {
        metrics_interval_ms: 100,
        ..test_settings()
    })
    .await;
    let mut staff = app.client("agent-7", &[Role::Agent]);
    let mut client = manager(&app, "cm-1");
    let reported = |state: &'static str| [("source", "staff_report"), ("state", state)];
    let p1_declared = [
        ("drill", "false"),
        ("priority", "P1"),
        ("state", "declared"),
    ];

    // Act: two staff reports raise two warnings; one is snoozed for an hour.
    let mut raised = Vec::new();
    for summary in ["Smoke seen at the depot", "Chargers overheating"] {
        let warning = staff
            .report_signal(report(summary))
            .await
            .expect("the signal is reported")
            .into_inner()
            .warning
            .expect("a warning");
        raised.push(warning);
    }
    client
        .snooze_warning(pb::SnoozeWarningRequest {
            name: raised[1].name.clone(),
            snooze_until_time: Some(wire::timestamp(
                app.clock.now() + SignedDuration::from_hours(1),
            )),
            etag: raised[1].etag.clone(),
        })
        .await
        .expect("the warning is snoozed");

    // Assert: one open, one snoozed, no crisis.
    metrics.eventually(WARNINGS, &reported("open"), 1).await;
    metrics.eventually(WARNINGS, &reported("snoozed"), 1).await;
    metrics.eventually(CRISES, &p1_declared, 0).await;

    // Act: the snooze runs out.
    app.advance(SignedDuration::from_mins(61));

    // Assert: both open.
    metrics.eventually(WARNINGS, &reported("open"), 2).await;
    metrics.eventually(WARNINGS, &reported("snoozed"), 0).await;

    // Act: a crisis declared from the first at likelihood and impact 5.
    let declared = client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(pb::Crisis {
                likelihood: 5,
                impact: 5,
                ..crisis("production_accident")
            }),
            origin: Some(pb::declare_crisis_request::Origin::Warning(
                raised[0].name.clone(),
            )),
            commander: String::new(),
            request_id: request_id(),
        })
        .await
        .expect("the crisis is declared")
        .into_inner()
        .crisis
        .expect("a crisis");
    assert_eq!(declared.priority(), pb::CrisisPriority::P1);

    // Assert: the escalated warning no longer counts; the crisis does, at P1.
    metrics.eventually(WARNINGS, &reported("open"), 1).await;
    metrics.eventually(CRISES, &p1_declared, 1).await;
    let crises = metrics.points(CRISES);
    assert_eq!(crises.len(), 4 * 7 * 2, "every priority, state and drill");
    assert_eq!(crises.iter().map(|(_, n)| n).sum::<u64>(), 1, "{crises:?}");
    let warnings = metrics.points(WARNINGS);
    assert_eq!(
        warnings.len(),
        4 * 3,
        "every source by every undecided state"
    );
    assert_eq!(
        warnings.iter().map(|(_, n)| n).sum::<u64>(),
        1,
        "{warnings:?}"
    );
}
