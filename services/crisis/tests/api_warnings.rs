//! Early warning through the real services: complaints made in the real
//! complaints service reach the crisis service's detector over the real
//! complaint feed; a synthetic burst raises one warning with its evidence
//! while steady noise raises none; the rule over critical and safety
//! complaints; staff reports; and people dismissing, watching and snoozing
//! warnings, with the refusals and bad input.

mod support;

use jiff::SignedDuration;
use redress_platform::auth::Role;
use redress_platform::clock::Clock as _;
use redress_platform::wire;
use support::warnings::{
    CATEGORY, Complainer, allowed, assert_invalid, assert_status, manager, spike_settings,
    wait_events, warning, warnings,
};
use support::{kpb, pb, spawn_app, spawn_app_with};
use tonic::Code;

fn minute(app: &support::TestApp) {
    app.advance(SignedDuration::from_mins(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_synthetic_burst_is_detected_and_steady_noise_is_not() {
    // Arrange: a series warmed up on steady noise of 0 to 2 complaints a
    // minute, a minute at a time.
    let app = spawn_app_with(spike_settings()).await;
    let mut client = manager(&app);
    let mut complainer = Complainer::new(&app).await;
    for per_minute in [1, 2, 1, 0, 2, 1, 1, 2] {
        complainer.burst(per_minute).await;
        minute(&app);
    }
    complainer.wait_taken_in(&app).await;
    assert!(
        warnings(&mut client, &[]).await.is_empty(),
        "steady noise raises no warning"
    );
    let burst_minute = app.clock.now();

    // Act: a burst of ten within one minute.
    let burst = complainer.burst(10).await;
    complainer.wait_taken_in(&app).await;

    // Assert: exactly one warning, for the category series, with evidence.
    let raised = warnings(&mut client, &[]).await;
    assert_eq!(raised.len(), 1, "{raised:#?}");
    let first = &raised[0];
    assert_eq!(first.source(), pb::WarningSource::Spike);
    assert_eq!(first.state(), pb::WarningState::Open);
    assert_eq!(first.dedup_key, format!("spike:category:{CATEGORY}"));
    assert_eq!(first.detection_count, 1);
    let evidence = first.evidence.clone().expect("evidence");
    assert_eq!(evidence.dimension(), pb::SeriesDimension::Category);
    assert_eq!(evidence.series_value, CATEGORY);
    assert_eq!(
        evidence.window_start_time,
        Some(wire::timestamp(burst_minute))
    );
    assert!((5..=10).contains(&evidence.count), "{evidence:?}");
    assert!(
        evidence.baseline_mean > 0.5 && evidence.baseline_mean < 2.0,
        "{evidence:?}"
    );
    assert!(evidence.baseline_stddev >= 1.0, "{evidence:?}");
    assert_eq!(evidence.sample_complaints.len() as i64, evidence.count);
    assert!(
        evidence.sample_complaints.iter().all(|s| burst.contains(s)),
        "samples come from the burst: {evidence:?}"
    );
    assert!(
        evidence.detail.ends_with("σ above baseline"),
        "{evidence:?}"
    );
    wait_events(&app, "warning.raised", &first.name, 1).await;

    // Act: snooze it, then a quiet minute and a second burst within the
    // dedup window.
    let snoozed = client
        .snooze_warning(pb::SnoozeWarningRequest {
            name: first.name.clone(),
            snooze_until_time: Some(wire::timestamp(
                app.clock.now() + SignedDuration::from_mins(30),
            )),
            etag: first.etag.clone(),
        })
        .await
        .expect("the warning is snoozed")
        .into_inner()
        .warning
        .expect("a warning");
    assert_eq!(snoozed.state(), pb::WarningState::Snoozed);
    minute(&app);
    complainer.burst(1).await;
    minute(&app);
    complainer.burst(10).await;
    complainer.wait_taken_in(&app).await;

    // Assert: the second burst counts on the same warning, which stays
    // snoozed; no other warning.
    let raised = warnings(&mut client, &[]).await;
    assert_eq!(raised.len(), 1, "{raised:#?}");
    assert_eq!(raised[0].detection_count, 2);
    assert_eq!(raised[0].state(), pb::WarningState::Snoozed);
    assert_eq!(
        raised[0].evidence, first.evidence,
        "the evidence is the first detection's"
    );
    wait_events(&app, "warning.redetected", &first.name, 1).await;

    // Once the snooze is over the warning is open again.
    app.advance(SignedDuration::from_mins(30));
    assert_eq!(
        warning(&mut client, &first.name).await.state(),
        pb::WarningState::Open
    );
    wait_events(&app, "warning.changed", &first.name, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn critical_or_safety_complaints_within_the_window_raise_a_warning() {
    // Arrange: two critical complaints (the rule wants three in an hour).
    let app = spawn_app().await;
    let mut client = manager(&app);
    let mut complainer = Complainer::new(&app).await;
    let mut critical = Vec::new();
    critical.push(complainer.complain(kpb::Severity::Critical, false).await);
    app.advance(SignedDuration::from_mins(10));
    critical.push(complainer.complain(kpb::Severity::Critical, false).await);
    complainer.complain(kpb::Severity::Low, false).await;
    complainer.wait_taken_in(&app).await;
    assert!(warnings(&mut client, &[]).await.is_empty());

    // Act: a safety complaint of low severity is the third.
    app.advance(SignedDuration::from_mins(10));
    critical.push(complainer.complain(kpb::Severity::Low, true).await);
    complainer.wait_taken_in(&app).await;

    // Assert
    let raised = warnings(&mut client, &[]).await;
    assert_eq!(raised.len(), 1, "{raised:#?}");
    let w = &raised[0];
    assert_eq!(w.source(), pb::WarningSource::CriticalComplaints);
    assert_eq!(w.dedup_key, "critical");
    let evidence = w.evidence.clone().expect("evidence");
    assert_eq!(evidence.count, 3);
    let mut samples = evidence.sample_complaints.clone();
    samples.sort();
    critical.sort();
    assert_eq!(samples, critical);

    // A fourth within the window counts on the same warning.
    complainer.complain(kpb::Severity::Critical, false).await;
    complainer.wait_taken_in(&app).await;
    let raised = warnings(&mut client, &[]).await;
    assert_eq!(raised.len(), 1, "{raised:#?}");
    assert_eq!(raised[0].detection_count, 2);

    // Dismissed, it still takes the episode's detections and stays
    // dismissed.
    client
        .dismiss_warning(pb::DismissWarningRequest {
            name: w.name.clone(),
            reason: "A known batch, already recalled".into(),
            etag: String::new(),
        })
        .await
        .expect("the warning is dismissed");
    complainer.complain(kpb::Severity::Critical, false).await;
    complainer.wait_taken_in(&app).await;
    let raised = warnings(&mut client, &[]).await;
    assert_eq!(raised.len(), 1, "{raised:#?}");
    assert_eq!(raised[0].detection_count, 3);
    assert_eq!(raised[0].state(), pb::WarningState::Dismissed);

    // Once the first ones are older than the rule's window, one more is not
    // enough.
    app.advance(SignedDuration::from_mins(61));
    complainer.complain(kpb::Severity::Critical, false).await;
    complainer.wait_taken_in(&app).await;
    assert_eq!(warning(&mut client, &w.name).await.detection_count, 3);

    // After a whole dedup window without a detection, the rule met again
    // is a new episode: a new warning.
    app.advance(SignedDuration::from_mins(241));
    for _ in 0..3 {
        complainer.complain(kpb::Severity::Critical, false).await;
    }
    complainer.wait_taken_in(&app).await;
    let raised = warnings(&mut client, &[]).await;
    assert_eq!(raised.len(), 2, "{raised:#?}");
    assert_eq!(raised[0].state(), pb::WarningState::Open);
    assert_eq!(raised[0].detection_count, 1);
    assert_eq!(raised[1].name, w.name);
}

#[tokio::test(flavor = "multi_thread")]
async fn recent_complaints_are_forgotten_after_the_retention() {
    // Arrange: a complaint taken in.
    let app = spawn_app_with(spike_settings()).await;
    let mut complainer = Complainer::new(&app).await;
    complainer.complain(kpb::Severity::Medium, false).await;
    complainer.wait_taken_in(&app).await;

    // Act: the retention (48 hours) passes.
    app.advance(SignedDuration::from_hours(49));

    // Assert: the watcher prunes it.
    let mut left = 1;
    for _ in 0..400 {
        left = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM recent_complaints")
            .fetch_one(&app.pool)
            .await
            .expect("a count");
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the old complaint is forgotten");
}

fn report(summary: &str, request_id: &str, complaints: Vec<String>) -> pb::ReportSignalRequest {
    pb::ReportSignalRequest {
        signal_channel: pb::SignalChannel::SocialMedia.into(),
        summary: summary.into(),
        source_uri: "https://social.example/posts/1".into(),
        complaints,
        request_id: request_id.into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staff_report_is_a_warning_people_watch_snooze_and_dismiss() {
    let app = spawn_app().await;
    let mut staff = app.client("agent-7", &[Role::Agent]);
    let mut client = manager(&app);
    let complaint = format!("complaints/{}", uuid::Uuid::now_v7());
    let request_id = uuid::Uuid::now_v7().to_string();

    // A report, retried, is one warning; another report is another.
    let reported = staff
        .report_signal(report(
            "Video of a smoking charger going viral",
            &request_id,
            vec![complaint.clone()],
        ))
        .await
        .expect("the signal is reported")
        .into_inner()
        .warning
        .expect("a warning");
    assert_eq!(reported.source(), pb::WarningSource::StaffReport);
    assert_eq!(reported.state(), pb::WarningState::Open);
    assert_eq!(reported.signal_channel(), pb::SignalChannel::SocialMedia);
    assert_eq!(reported.actor, "agent-7");
    assert_eq!(
        reported
            .evidence
            .clone()
            .expect("evidence")
            .sample_complaints,
        vec![complaint.clone()]
    );
    let again = staff
        .report_signal(report(
            "Video of a smoking charger going viral",
            &request_id,
            vec![complaint.clone()],
        ))
        .await
        .expect("the retry is answered")
        .into_inner()
        .warning
        .expect("a warning");
    assert_eq!(again, reported);
    let other = staff
        .report_signal(report(
            "Video of a smoking charger going viral",
            &uuid::Uuid::now_v7().to_string(),
            vec![],
        ))
        .await
        .expect("another report")
        .into_inner()
        .warning
        .expect("a warning");
    assert_ne!(other.name, reported.name, "staff reports are never merged");
    wait_events(&app, "warning.raised", &reported.name, 1).await;

    // Watch; watching again is refused with what is allowed.
    let watched = client
        .watch_warning(pb::WatchWarningRequest {
            name: reported.name.clone(),
            etag: reported.etag.clone(),
        })
        .await
        .expect("the warning is watched")
        .into_inner()
        .warning
        .expect("a warning");
    assert_eq!(watched.state(), pb::WarningState::Watched);
    assert_eq!(watched.actor, "manager-1");
    let refused = client
        .watch_warning(pb::WatchWarningRequest {
            name: reported.name.clone(),
            etag: String::new(),
        })
        .await
        .expect_err("watched already");
    assert_status(
        &refused,
        Code::FailedPrecondition,
        "WARNING_ALREADY_WATCHED",
    );
    assert!(allowed(&refused).contains(&"DismissWarning".to_owned()));

    // A stale etag is refused; the right one snoozes.
    let until = app.clock.now() + SignedDuration::from_hours(1);
    let stale = client
        .snooze_warning(pb::SnoozeWarningRequest {
            name: reported.name.clone(),
            snooze_until_time: Some(wire::timestamp(until)),
            etag: reported.etag.clone(),
        })
        .await
        .expect_err("a stale etag");
    assert_status(&stale, Code::Aborted, "ETAG_MISMATCH");
    let snoozed = client
        .snooze_warning(pb::SnoozeWarningRequest {
            name: reported.name.clone(),
            snooze_until_time: Some(wire::timestamp(until)),
            etag: watched.etag.clone(),
        })
        .await
        .expect("the warning is snoozed")
        .into_inner()
        .warning
        .expect("a warning");
    assert_eq!(snoozed.state(), pb::WarningState::Snoozed);
    assert_eq!(snoozed.snooze_until_time, Some(wire::timestamp(until)));

    // Past its snooze it is open again.
    app.advance(SignedDuration::from_hours(2));
    assert_eq!(
        warning(&mut client, &reported.name).await.state(),
        pb::WarningState::Open
    );

    // Dismissed with a reason; then nothing more is allowed but reading.
    let dismissed = client
        .dismiss_warning(pb::DismissWarningRequest {
            name: reported.name.clone(),
            reason: "The video is two years old".into(),
            etag: String::new(),
        })
        .await
        .expect("the warning is dismissed")
        .into_inner()
        .warning
        .expect("a warning");
    assert_eq!(dismissed.state(), pb::WarningState::Dismissed);
    assert_eq!(dismissed.dismiss_reason, "The video is two years old");
    let refused = client
        .watch_warning(pb::WatchWarningRequest {
            name: reported.name.clone(),
            etag: String::new(),
        })
        .await
        .expect_err("dismissed");
    assert_status(&refused, Code::FailedPrecondition, "WARNING_DISMISSED");
    assert_eq!(allowed(&refused), ["GetWarning"]);
    wait_events(&app, "warning.changed", &reported.name, 3).await;

    // An escalated warning (DeclareCrisis sets it) refuses every action.
    sqlx::query(
        "UPDATE warnings SET state = 'escalated' WHERE dedup_key LIKE 'staff:%' AND state = 'open'",
    )
    .execute(&app.pool)
    .await
    .expect("the other report is escalated");
    let refused = client
        .dismiss_warning(pb::DismissWarningRequest {
            name: other.name.clone(),
            reason: "Nothing to see".into(),
            etag: String::new(),
        })
        .await
        .expect_err("escalated");
    assert_status(&refused, Code::FailedPrecondition, "WARNING_ESCALATED");
    assert_eq!(allowed(&refused), ["GetCrisis"]);

    // Listing by state, a page at a time, newest first.
    let only_dismissed = warnings(&mut client, &[pb::WarningState::Dismissed]).await;
    assert_eq!(only_dismissed.len(), 1);
    assert_eq!(only_dismissed[0].name, reported.name);
    let page = client
        .list_warnings(pb::ListWarningsRequest {
            states: vec![],
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(page.warnings[0].name, other.name, "newest first");
    let next = client
        .list_warnings(pb::ListWarningsRequest {
            states: vec![],
            page_size: 1,
            page_token: page.next_page_token.clone(),
        })
        .await
        .expect("the next page")
        .into_inner();
    assert_eq!(next.warnings[0].name, reported.name);
    assert!(next.next_page_token.is_empty());
    let refused = client
        .list_warnings(pb::ListWarningsRequest {
            states: vec![pb::WarningState::Open.into()],
            page_size: 1,
            page_token: page.next_page_token,
        })
        .await
        .expect_err("a token of other filters");
    assert_invalid(&refused, &["page_token"]);

    let missing = client
        .get_warning(pb::GetWarningRequest {
            name: format!("warnings/{}", uuid::Uuid::now_v7()),
        })
        .await
        .expect_err("no such warning");
    assert_status(&missing, Code::NotFound, "WARNING_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_field_by_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let mut client = manager(&app);

    let refused = client
        .report_signal(pb::ReportSignalRequest {
            signal_channel: 0,
            summary: "   ".into(),
            source_uri: "not a link".into(),
            complaints: vec!["complaints/42".into()],
            request_id: "again".into(),
        })
        .await
        .expect_err("bad input");
    assert_invalid(
        &refused,
        &[
            "signal_channel",
            "summary",
            "source_uri",
            "complaints[0]",
            "request_id",
        ],
    );
    let refused = client
        .report_signal(pb::ReportSignalRequest {
            signal_channel: pb::SignalChannel::Press.into(),
            summary: "x".repeat(2001),
            source_uri: String::new(),
            complaints: (0..11)
                .map(|_| format!("complaints/{}", uuid::Uuid::now_v7()))
                .collect(),
            request_id: String::new(),
        })
        .await
        .expect_err("too much");
    assert_invalid(&refused, &["summary", "complaints"]);
    assert!(
        warnings(&mut client, &[]).await.is_empty(),
        "nothing written"
    );

    let refused = client
        .snooze_warning(pb::SnoozeWarningRequest {
            name: "warning/1".into(),
            snooze_until_time: Some(wire::timestamp(app.clock.now())),
            etag: String::new(),
        })
        .await
        .expect_err("bad input");
    assert_invalid(&refused, &["name", "snooze_until_time"]);
    let name = format!("warnings/{}", uuid::Uuid::now_v7());
    let refused = client
        .snooze_warning(pb::SnoozeWarningRequest {
            name: name.clone(),
            snooze_until_time: Some(wire::timestamp(
                app.clock.now() + SignedDuration::from_hours(31 * 24),
            )),
            etag: String::new(),
        })
        .await
        .expect_err("too far ahead");
    assert_invalid(&refused, &["snooze_until_time"]);
    let refused = client
        .dismiss_warning(pb::DismissWarningRequest {
            name: name.clone(),
            reason: String::new(),
            etag: String::new(),
        })
        .await
        .expect_err("no reason");
    assert_invalid(&refused, &["reason"]);
    let refused = client
        .list_warnings(pb::ListWarningsRequest {
            states: vec![0, 99],
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .expect_err("bad filters");
    assert_invalid(&refused, &["states[0]", "states[1]", "page_size"]);
    let missing = client
        .watch_warning(pb::WatchWarningRequest {
            name,
            etag: String::new(),
        })
        .await
        .expect_err("no such warning");
    assert_status(&missing, Code::NotFound, "WARNING_NOT_FOUND");
}
