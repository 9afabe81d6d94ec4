//! `redress seed` and `redress bench` end to end: seeded data reads back
//! through the public API as the services themselves would have written it,
//! and a small benchmark run measures every scenario, with no failed
//! request, beside a pgbench baseline on the same server. (Speed itself is
//! never asserted here: numbers belong to `redress bench` runs, not tests.)

mod support;

use redress_platform::auth::Role;
use redress_proto::complaints::v1 as pb;
use redress_proto::customers::v1 as cpb;
use serde_json::Value;
use support::Suite;
use tonic::transport::Channel;

fn channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect_lazy()
}

#[test]
fn seeded_complaints_read_back_through_the_api_as_the_service_would_have_written_them() {
    // Arrange: a running suite, seeded by the command line.
    let suite = Suite::start();
    let seeded = suite.redress(&[
        "seed",
        "--customers",
        "300",
        "--complaints",
        "600",
        "--agents",
        "20",
        "--days",
        "60",
        "--seed",
        "7",
    ]);
    assert!(seeded.status.success(), "redress seed: {}", seeded.stderr);
    assert!(
        seeded
            .stdout
            .contains("Seeded 300 customers and 600 complaints"),
        "{}",
        seeded.stdout
    );
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        // An administrator sees every team's complaints; a supervisor only
        // those of the teams they supervise (the team scope).
        let mut admin = pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
            channel(&suite.complaints_endpoint),
            suite.bearer("admin-1", &[Role::Admin], None),
        );

        // Act: read them all, as an administrator would.
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = admin
                .list_complaints(pb::ListComplaintsRequest {
                    page_size: 1000,
                    page_token: page_token.clone(),
                    ..Default::default()
                })
                .await
                .expect("ListComplaints")
                .into_inner();
            all.extend(page.complaints);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }

        // Assert: all there, each with an owner, most long closed, some
        // still being worked on.
        assert_eq!(all.len(), 600);
        assert!(
            all.iter()
                .all(|c| c.owner.starts_with("agent-") && !c.owner_team.is_empty())
        );
        let closed = all
            .iter()
            .filter(|c| c.state == pb::ComplaintState::Closed as i32)
            .count();
        let open: Vec<&pb::Complaint> = all
            .iter()
            .filter(|c| {
                ![
                    pb::ComplaintState::Resolved as i32,
                    pb::ComplaintState::Closed as i32,
                    pb::ComplaintState::Merged as i32,
                ]
                .contains(&c.state)
            })
            .collect();
        assert!(closed > 300, "{closed} of 600 closed");
        assert!(!open.is_empty(), "none open");

        // A closed complaint's history starts with its intake and walks the
        // lifecycle; its clocks all stopped.
        let done = all
            .iter()
            .find(|c| c.state == pb::ComplaintState::Closed as i32)
            .expect("a closed complaint");
        let history = admin
            .get_complaint_history(pb::GetComplaintHistoryRequest {
                name: done.name.clone(),
                page_size: 100,
                page_token: String::new(),
            })
            .await
            .expect("history")
            .into_inner()
            .entries;
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions.first(), Some(&"created"), "{actions:?}");
        assert_eq!(actions.last(), Some(&"close"), "{actions:?}");
        assert!(actions.contains(&"acknowledge"), "{actions:?}");
        assert!(!done.sla_clocks.is_empty());
        assert!(
            done.sla_clocks.iter().all(|k| [
                pb::SlaClockStatus::Met as i32,
                pb::SlaClockStatus::Missed as i32
            ]
            .contains(&k.status)),
            "{:?}",
            done.sla_clocks
        );

        // An open complaint is in its owner's work queue, with a clock
        // running or paused.
        let working = open[0];
        let mut owner = pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
            channel(&suite.complaints_endpoint),
            suite.bearer(&working.owner, &[Role::Agent], Some(&working.owner_team)),
        );
        let queue = owner
            .list_my_work(pb::ListMyWorkRequest {
                page_size: 100,
                page_token: String::new(),
            })
            .await
            .expect("ListMyWork")
            .into_inner()
            .complaints;
        assert!(queue.iter().any(|c| c.name == working.name));
        assert!(queue.iter().all(|c| c.owner == working.owner));

        // The grade on the complaint is the customer's own, as the
        // customers service reads it.
        let mut customers = cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            channel(&suite.endpoint),
            suite.bearer("sup-001", &[Role::Supervisor], None),
        );
        let customer = customers
            .get_customer(cpb::GetCustomerRequest {
                name: working.customer.clone(),
            })
            .await
            .expect("the complaint's customer exists")
            .into_inner()
            .customer
            .expect("a customer");
        assert_eq!(customer.value_grade, working.customer_grade);

        // And it is found by the reference a customer reads out on the phone.
        let by_reference = owner
            .get_complaint(pb::GetComplaintRequest {
                name: working.reference.clone(),
            })
            .await
            .expect("GetComplaint by reference")
            .into_inner()
            .complaint
            .expect("a complaint");
        assert_eq!(by_reference.name, working.name);
    });
}

#[test]
fn a_small_benchmark_run_measures_every_scenario_beside_pgbench_without_a_failed_request() {
    // Arrange: the suite's environment, without `redress up` (bench starts
    // its own processes and databases on the same server).
    let suite = Suite::provision();
    let run_id = uuid::Uuid::now_v7().simple();
    let database = format!("redress_bench_{run_id}");
    let baseline_database = format!("redress_pgbench_{run_id}");
    let json = suite.path().join("bench.json");

    // Act
    let run = suite.redress(&[
        "bench",
        "--scale",
        "2000",
        "--duration",
        "1s",
        "--warmup",
        "0s",
        "--connections",
        "1",
        "--concurrency",
        "2",
        "--early-warning-rounds",
        "2",
        "--database",
        &database,
        "--baseline-database",
        &baseline_database,
        "--json",
        json.to_str().expect("a UTF-8 path"),
    ]);
    suite.drop_database(&database);
    suite.drop_database(&baseline_database);

    // Assert
    assert!(
        run.status.success(),
        "redress bench: {}\n{}",
        run.stdout,
        run.stderr
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("JSON");
    assert_eq!(report["clients"], 2);
    assert_eq!(report["seeded"]["customers"], 2000);
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    let names: Vec<&str> = scenarios
        .iter()
        .map(|s| s["scenario"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        names,
        [
            "early-warning",
            "create-complaint",
            "get-complaint",
            "list-my-work",
            "hand-off-and-accept",
            "get-customer",
            "broadcast"
        ]
    );
    for s in scenarios {
        assert!(s["ok"].as_u64().expect("ok") > 0, "{s}");
        assert_eq!(s["errors"], serde_json::json!({}), "{s}");
        if s["scenario"] == "early-warning" {
            // Every burst raised its warning, and a latency was measured.
            let e = &s["early_warning"];
            assert_eq!(e["missed"], 0, "{s}");
            assert_eq!(e["detected"], e["rounds"], "{s}");
            assert!(s["p50_ms"].as_f64().expect("p50") > 0.0, "{s}");
            continue;
        }
        if s["scenario"] == "broadcast" {
            // Every member reached through the loopback receiver, once.
            let b = &s["broadcast"];
            assert_eq!(b["finished"], true, "{s}");
            assert!(b["audience"].as_u64().expect("an audience") > 0, "{s}");
            assert_eq!(b["delivered"], b["audience"], "{s}");
            assert_eq!(
                (b["lost"].as_u64(), b["duplicates"].as_u64()),
                (Some(0), Some(0)),
                "{s}"
            );
            assert!(b["queued_within_s"].as_f64().is_some(), "{s}");
            continue;
        }
        let (p50, p99) = (
            s["p50_ms"].as_f64().expect("p50"),
            s["p99_ms"].as_f64().expect("p99"),
        );
        assert!(p50 > 0.0 && p99 >= p50, "{s}");
        assert!(
            s["ratio"].as_f64().expect("a ratio to its baseline") > 0.0,
            "{s}"
        );
        assert!(s["suite_peak_rss"].as_u64().expect("rss") > 0, "{s}");
    }
    let baselines = report["baselines"].as_array().expect("baselines");
    assert_eq!(baselines.len(), 3);
    assert!(
        baselines
            .iter()
            .all(|b| b["tps"].as_f64().unwrap_or(0.0) > 0.0)
    );
    for service in ["customers", "complaints", "notifications", "suite"] {
        assert!(
            report["idle_memory"][service].as_u64().unwrap_or(0) > 0,
            "{report}"
        );
    }
    assert!(run.stdout.contains("pgbench tpcb-like"), "{}", run.stdout);
}
