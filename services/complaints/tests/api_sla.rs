//! SLA clocks through the real API with a controllable clock: deadlines in
//! the business time of a non-UTC calendar across a weekend and a holiday,
//! pauses while awaiting the customer, the scheduler's warnings, breaches
//! and escalation ladder, the work queue by urgency, and the figures.

mod support;

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use redress_complaints::domain::calendar::CalendarSettings;
use redress_complaints::domain::sla_policy::{SlaPolicy, SlaRule};
use redress_platform::wire;
use support::*;

fn at(text: &str) -> Timestamp {
    text.parse().expect("a timestamp")
}

fn clock_of(c: &pb::Complaint, kind: pb::SlaClockKind) -> pb::SlaClock {
    c.sla_clocks
        .iter()
        .find(|k| k.kind == kind as i32)
        .cloned()
        .unwrap_or_else(|| panic!("a {kind:?} clock in {:?}", c.sla_clocks))
}

fn time(t: Option<&prost_types::Timestamp>) -> Timestamp {
    wire::from_timestamp(t.expect("a time")).expect("in range")
}

/// Berlin office hours, Mon–Fri 09:00–17:00, closed on Christmas Day;
/// acknowledgement within 4 business hours, resolution within 16.
fn office_settings() -> redress_complaints::Settings {
    let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];
    let office = CalendarSettings {
        time_zone: "Europe/Berlin".into(),
        working_hours: weekdays
            .iter()
            .map(|d| ((*d).to_owned(), vec!["09:00-17:00".to_owned()]))
            .collect(),
        holidays: vec!["2026-12-25".parse().expect("a date")],
    };
    let rule = SlaRule {
        category: None,
        severities: vec![],
        grades: vec![],
        safety_only: false,
        calendar: "office".into(),
        acknowledgement: Some(SignedDuration::from_hours(4)),
        first_response: None,
        update: None,
        resolution: Some(SignedDuration::from_hours(16)),
    };
    redress_complaints::Settings {
        calendars: BTreeMap::from([("office".to_owned(), office)]),
        sla: SlaPolicy {
            rules: vec![rule],
            ..SlaPolicy::default()
        },
        ..test_settings()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_change_answers_with_the_clocks_and_offer_it_stored() {
    let app = spawn_app().await;
    // Moments finer than the database keeps.
    app.clock
        .set(monday_noon() + SignedDuration::from_nanos(1_234_567));
    let as_read = |c: &pb::Complaint| (c.sla_clocks.clone(), c.pending_hand_off.clone());

    let created = app.received().await;
    let read_created = app.get(&created.name).await;
    app.advance(SignedDuration::from_nanos(1_800_000_000_891));
    let acknowledged = app
        .agent("agent-1")
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect("acknowledged")
        .into_inner()
        .complaint
        .expect("a complaint");
    let read_acknowledged = app.get(&created.name).await;
    app.advance(SignedDuration::from_nanos(600_000_000_123));
    let offered = app
        .agent("agent-1")
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: created.name.clone(),
            target: Some(pb::hand_off_complaint_request::Target::ToAgent(
                "agent-2".into(),
            )),
            reason: "agent-2 knows this customer".into(),
            ..Default::default()
        })
        .await
        .expect("offered")
        .into_inner()
        .complaint
        .expect("a complaint");
    let read_offered = app.get(&created.name).await;

    assert!(!created.sla_clocks.is_empty());
    assert_eq!(as_read(&created), as_read(&read_created));
    assert_eq!(as_read(&acknowledged), as_read(&read_acknowledged));
    assert!(offered.pending_hand_off.is_some());
    assert_eq!(as_read(&offered), as_read(&read_offered));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_updated_team_is_answered_as_stored_and_a_stale_etag_is_refused() {
    let app = spawn_app().await;
    let team = |display_name: &str, etag: &str| pb::Team {
        name: "teams/front".into(),
        display_name: display_name.into(),
        supervisor: "sup-1".into(),
        etag: etag.into(),
        ..Default::default()
    };
    let created = app
        .admin()
        .create_team(pb::CreateTeamRequest {
            team_id: "front".into(),
            team: Some(team("Front line", "")),
        })
        .await
        .expect("a team")
        .into_inner()
        .team
        .expect("a team");
    // A moment finer than the database keeps.
    app.clock
        .set(monday_noon() + SignedDuration::from_nanos(1_234_567));

    let updated = app
        .admin()
        .update_team(pb::UpdateTeamRequest {
            team: Some(team("Front office", &created.etag)),
        })
        .await
        .expect("updated")
        .into_inner()
        .team
        .expect("a team");
    let stale = app
        .admin()
        .update_team(pb::UpdateTeamRequest {
            team: Some(team("Front desk", &created.etag)),
        })
        .await
        .expect_err("an old etag");
    let listed = app
        .admin()
        .list_teams(pb::ListTeamsRequest::default())
        .await
        .expect("teams")
        .into_inner()
        .teams;

    assert_eq!(updated.display_name, "Front office");
    assert_ne!(updated.etag, created.etag);
    assert_status(&stale, tonic::Code::Aborted, "ETAG_MISMATCH");
    assert_eq!(listed, [updated]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_skips_the_weekend_and_the_holiday_and_the_ladder_climbs_after_the_breach() {
    let app = spawn_app_with(office_settings()).await;
    app.admin()
        .create_team(pb::CreateTeamRequest {
            team_id: "front".into(),
            team: Some(pb::Team {
                display_name: "Front line".into(),
                supervisor: "sup-1".into(),
                department: "Customer care".into(),
                department_head: "head-1".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("a team");
    // Thursday 24 December, 15:00 in Berlin: two business hours are left
    // that day; Friday is Christmas Day; then the weekend.
    app.clock.set(at("2026-12-24T14:00:00Z"));

    let created = app.received().await;
    let ack = clock_of(&created, pb::SlaClockKind::Acknowledgement);

    // Monday 28 December, 11:00 in Berlin; the warning at 80 %, 10:12.
    assert_eq!(time(ack.due_time.as_ref()), at("2026-12-28T10:00:00Z"));
    assert_eq!(time(ack.warn_time.as_ref()), at("2026-12-28T09:12:00Z"));
    assert_eq!(ack.status, pb::SlaClockStatus::Running as i32);

    app.clock.set(at("2026-12-28T09:30:00Z"));
    assert_eq!(app.run_scheduler().await.alarms, 1);
    assert_eq!(
        app.get(&created.name).await.sla_clocks[0].status,
        pb::SlaClockStatus::AtRisk as i32
    );
    app.clock.set(at("2026-12-28T10:00:01Z"));
    assert_eq!(
        app.run_scheduler().await.alarms,
        2,
        "the breach, and the owner informed"
    );
    app.clock.set(at("2026-12-28T11:00:01Z"));
    assert_eq!(
        app.run_scheduler().await.alarms,
        1,
        "the supervisor, an hour later"
    );
    assert_eq!(
        app.run_scheduler().await.alarms,
        0,
        "each alarm is raised once"
    );

    let events: Vec<_> = app
        .events()
        .await
        .into_iter()
        .filter(|e| e.subject == created.name)
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e.r#type.as_str()).collect();
    assert_eq!(
        types,
        [
            "complaint.created",
            "complaint.sla_warning",
            "complaint.sla_breached",
            "complaint.sla_escalated",
            "complaint.sla_escalated",
        ]
    );
    let to: Vec<String> = events
        .iter()
        .filter(|e| e.r#type == "complaint.sla_escalated")
        .map(|e| {
            let payload: serde_json::Value = serde_json::from_str(&e.payload).expect("json");
            payload["escalate_to"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(to, ["agent-1", "sup-1"]);
    let after = app.get(&created.name).await;
    assert_eq!(after.owner, "agent-1", "escalation never moves ownership");
    assert_eq!(
        after.sla_clocks[0].status,
        pb::SlaClockStatus::Breached as i32
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn awaiting_the_customer_over_a_weekend_pauses_the_resolution_clock() {
    let app = spawn_app_with(office_settings()).await;
    // Friday 27 November, 10:00 in Berlin.
    app.clock.set(at("2026-11-27T09:00:00Z"));
    let created = app.received().await;
    let mut owner = app.agent("agent-1");
    for request in ["ack", "investigate"] {
        match request {
            "ack" => drop(
                owner
                    .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
                        name: created.name.clone(),
                        ..Default::default()
                    })
                    .await
                    .expect("ack"),
            ),
            _ => drop(
                owner
                    .start_investigation(pb::StartInvestigationRequest {
                        name: created.name.clone(),
                        ..Default::default()
                    })
                    .await
                    .expect("investigate"),
            ),
        }
    }
    // Two business hours later the customer is asked; they answer on
    // Wednesday.
    app.clock.set(at("2026-11-27T11:00:00Z"));
    owner
        .await_customer(pb::AwaitCustomerRequest {
            name: created.name.clone(),
            question: "Which order?".into(),
            ..Default::default()
        })
        .await
        .expect("asked");
    app.clock.set(at("2026-12-02T09:00:00Z"));
    let paused = app.get(&created.name).await;
    let resumed = owner
        .resume_investigation(pb::ResumeInvestigationRequest {
            name: created.name.clone(),
            customer_answer: "Order 42".into(),
            ..Default::default()
        })
        .await
        .expect("resumed")
        .into_inner()
        .complaint
        .expect("a complaint");

    let while_waiting = clock_of(&paused, pb::SlaClockKind::Resolution);
    let after = clock_of(&resumed, pb::SlaClockKind::Resolution);
    assert_eq!(while_waiting.status, pb::SlaClockStatus::Paused as i32);
    assert_eq!(while_waiting.elapsed.map(|d| d.seconds), Some(2 * 3600));
    // 14 business hours left from Wednesday 10:00 Berlin: Wednesday until
    // 17:00 uses 7, Thursday 09:00 to 16:00 the other 7.
    assert_eq!(time(after.due_time.as_ref()), at("2026-12-03T15:00:00Z"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_work_queue_puts_the_most_urgent_deadline_first_and_overdue_ones_are_listed() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let mut agent = app.agent("agent-1");
    let mut names = BTreeMap::new();
    for severity in [
        pb::Severity::Low,
        pb::Severity::Critical,
        pb::Severity::High,
    ] {
        let mut c = complaint(&customer);
        c.severity = severity.into();
        names.insert(severity as i32, app.create_as(&mut agent, c).await.name);
    }
    let someone_elses = app
        .create_as(&mut app.agent("agent-2"), complaint(&customer))
        .await;

    let queue = agent
        .list_my_work(pb::ListMyWorkRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .expect("work")
        .into_inner();
    let rest = agent
        .list_my_work(pb::ListMyWorkRequest {
            page_size: 2,
            page_token: queue.next_page_token.clone(),
        })
        .await
        .expect("work")
        .into_inner();
    app.advance(SignedDuration::from_mins(30));
    let overdue = app
        .supervisor()
        .list_complaints(pb::ListComplaintsRequest {
            sla: pb::SlaFilter::Overdue.into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .complaints;

    let order: Vec<&str> = queue
        .complaints
        .iter()
        .chain(&rest.complaints)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        order,
        [
            names[&(pb::Severity::Critical as i32)].as_str(),
            names[&(pb::Severity::High as i32)].as_str(),
            names[&(pb::Severity::Low as i32)].as_str(),
        ]
    );
    assert!(!order.contains(&someone_elses.name.as_str()));
    assert_eq!(
        overdue.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        [names[&(pb::Severity::Critical as i32)].as_str()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_figures_count_what_happened_in_the_period() {
    let app = spawn_app().await;
    let start = app.now();
    let first = app.received().await;
    let second = app
        .create_as(&mut app.agent("agent-1"), complaint(&first.customer))
        .await;
    let mut owner = app.agent("agent-1");
    app.advance(SignedDuration::from_mins(10));
    owner
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: first.name.clone(),
            ..Default::default()
        })
        .await
        .expect("ack");
    owner
        .start_investigation(pb::StartInvestigationRequest {
            name: first.name.clone(),
            ..Default::default()
        })
        .await
        .expect("investigate");
    app.advance(SignedDuration::from_mins(50));
    owner
        .propose_resolution(pb::ProposeResolutionRequest {
            name: first.name.clone(),
            resolution: "A refund".into(),
            ..Default::default()
        })
        .await
        .expect("proposed");
    owner
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: second.name.clone(),
            target: Some(pb::hand_off_complaint_request::Target::ToAgent(
                "agent-2".into(),
            )),
            reason: "billing".into(),
            ..Default::default()
        })
        .await
        .expect("offered");
    let offer = app
        .get(&second.name)
        .await
        .pending_hand_off
        .expect("an offer");
    app.agent("agent-2")
        .accept_hand_off(pb::AcceptHandOffRequest {
            name: offer.name,
            request_id: String::new(),
        })
        .await
        .expect("accepted");

    let stats = app
        .supervisor()
        .get_complaint_stats(pb::GetComplaintStatsRequest {
            start_time: Some(wire::timestamp(start)),
            end_time: Some(wire::timestamp(app.now())),
            team: String::new(),
        })
        .await
        .expect("figures")
        .into_inner();

    assert_eq!(stats.total, 2);
    assert_eq!(stats.by_category.get("too_slow"), Some(&2));
    assert_eq!(stats.by_state.get("resolution_proposed"), Some(&1));
    assert_eq!(stats.by_state.get("received"), Some(&1));
    assert_eq!(stats.by_channel.get("phone"), Some(&2));
    assert_eq!(stats.first_response_median.map(|d| d.seconds), Some(3600));
    assert!((stats.transfers_per_complaint - 0.5).abs() < 1e-9);
    assert_eq!(stats.sla_met_share.get("acknowledgement"), Some(&1.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_the_scheduler_cannot_read_does_not_silence_the_others_alarms() {
    let app = spawn_app_with(office_settings()).await;
    // Monday 09:00 in Berlin: the acknowledgement warning is due at 12:12.
    app.clock.set(at("2026-12-28T08:00:00Z"));
    let healthy = app.received().await;
    let broken = app.received().await;
    let id: uuid::Uuid = broken
        .name
        .trim_start_matches("complaints/")
        .parse()
        .expect("an id");
    sqlx::query("UPDATE complaints SET severity = 'unheard_of' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("a severity this version cannot read");

    app.clock.set(at("2026-12-28T11:30:00Z"));
    assert_eq!(
        app.run_scheduler().await.alarms,
        1,
        "the healthy complaint's warning, despite the broken one"
    );
    assert_eq!(
        clock_of(
            &app.get(&healthy.name).await,
            pb::SlaClockKind::Acknowledgement
        )
        .status,
        pb::SlaClockStatus::AtRisk as i32
    );
}
