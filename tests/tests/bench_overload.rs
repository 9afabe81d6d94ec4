//! `redress bench overload` end to end, briefly: it finds a capacity,
//! starts the suite again limited to it, offers it that and then twice that
//! (and twice to the suite at its configured limit), and reports accepted and shed
//! requests apart, with shedding seen and no other failure. On a machine with two CPUs or more it pins the suite and its
//! PostgreSQL to CPU 0 and itself to the rest (`--suite-cpus`), and gives
//! PostgreSQL its CPUs back at the end. (Speed itself is never asserted
//! here: numbers belong to `redress bench` runs, not tests.)

mod support;

use serde_json::Value;
use support::Suite;

#[test]
fn a_brief_overload_run_sheds_past_the_capacity_it_found_and_fails_nothing_else() {
    // Arrange: the suite's environment, without `redress up` (bench starts
    // its own processes on its own database on the same server).
    let suite = Suite::provision();
    let database = format!("redress_bench_{}", uuid::Uuid::now_v7().simple());
    let json = suite.path().join("overload.json");
    let pinned = std::thread::available_parallelism().is_ok_and(|cpus| cpus.get() >= 2);
    let database_cpus = suite.database_cpus();

    // Act
    let mut args = vec![
        "bench",
        "overload",
        "--scale",
        "500",
        "--duration",
        "1s",
        "--warmup",
        "0s",
        "--connections",
        "1",
        "--no-baseline",
        "--database",
        &database,
        "--json",
        json.to_str().expect("a UTF-8 path"),
    ];
    if pinned {
        args.extend(["--suite-cpus", "0"]);
    }
    let run = suite.redress(&args);
    suite.drop_database(&database);

    // Assert
    assert!(
        run.status.success(),
        "redress bench overload: {}\n{}",
        run.stdout,
        run.stderr
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("JSON");
    assert_eq!(report["scenarios"], serde_json::json!([]), "{report:#}");
    let overload = &report["overload"];
    let ramp = overload["ramp"].as_array().expect("a capacity search");
    assert!(!ramp.is_empty(), "{overload:#}");
    assert_eq!(ramp[0]["clients"], 1, "{overload:#}");
    let capacity = &overload["capacity"];
    assert!(
        ramp.iter().any(|step| step == capacity),
        "the capacity is one of the steps: {overload:#}"
    );
    // The limit leaves the capacity's clients room beside the three feed
    // watch streams the complaints port carries for the whole run.
    assert_eq!(
        overload["concurrency_limit"].as_u64(),
        capacity["clients"].as_u64().map(|clients| clients + 3),
        "{overload:#}"
    );
    let throughput = capacity["throughput"].as_f64().expect("a throughput");
    let offered = overload["offered_per_s"].as_f64().expect("an offered rate");
    assert!(throughput > 0.0, "{overload:#}");
    assert!(
        (offered - (2.0 * throughput).max(1.0)).abs() < 1e-6,
        "twice the capacity offered: {overload:#}"
    );
    let (sent, accepted, shed) = (
        overload["sent"].as_u64().expect("sent"),
        overload["accepted"]["count"].as_u64().expect("accepted"),
        overload["shed"]["count"].as_u64().expect("shed"),
    );
    assert!(accepted > 0, "some were served: {overload:#}");
    assert!(shed > 0, "some were shed: {overload:#}");
    assert_eq!(
        overload["errors"],
        serde_json::json!({}),
        "nothing failed otherwise: {overload:#}"
    );
    assert_eq!(
        accepted + shed,
        sent,
        "every request answered: {overload:#}"
    );
    // The baseline: the capacity's throughput, offered the same way to the
    // same limited suite.
    let baseline = &overload["limited_at_capacity"];
    assert_eq!(
        baseline["concurrency_limit"], overload["concurrency_limit"],
        "{overload:#}"
    );
    assert!(
        baseline["offered_per_s"]
            .as_f64()
            .is_some_and(|rate| (rate - throughput.max(1.0)).abs() < 1e-6),
        "the capacity offered: {overload:#}"
    );
    answered_without_failure(baseline);
    // The same load on the suite at its configured limit, for contrast.
    let configured = &overload["at_configured_limit"];
    assert_eq!(configured["concurrency_limit"], 256, "{overload:#}");
    assert_eq!(
        configured["offered_per_s"], overload["offered_per_s"],
        "{overload:#}"
    );
    answered_without_failure(configured);
    let (shed_p50, shed_p99) = (
        overload["shed"]["p50_ms"].as_f64().expect("p50"),
        overload["shed"]["p99_ms"].as_f64().expect("p99"),
    );
    assert!(shed_p50 > 0.0 && shed_p99 >= shed_p50, "{overload:#}");
    assert!(
        run.stdout.contains("Overload (get-complaint)"),
        "{}",
        run.stdout
    );
    if pinned {
        let placement = &report["placement"];
        assert_eq!(placement["suite"], "0", "{report:#}");
        assert_eq!(placement["database_pinned"], true, "{report:#}");
        let generator = placement["generator"].as_str().expect("generator CPUs");
        assert!(
            !generator.is_empty() && !generator.split(',').any(|cpu| cpu == "0"),
            "the generator runs beside the suite, not with it: {report:#}"
        );
        assert_eq!(
            suite.database_cpus(),
            database_cpus,
            "PostgreSQL has its CPUs back"
        );
        // How busy each side was, for every offered run; the suite's CPU
        // carried the load.
        for run in [
            &overload["limited_at_capacity"],
            overload,
            &overload["at_configured_limit"],
        ] {
            let busy = &run["cpu_busy"];
            let (suite_busy, generator_busy) = (
                busy["suite"].as_f64().expect("the suite's CPU use"),
                busy["generator"].as_f64().expect("the generator's CPU use"),
            );
            assert!(suite_busy > 0.0 && suite_busy <= 1.0, "{run:#}");
            assert!((0.0..=1.0).contains(&generator_busy), "{run:#}");
            assert!(
                busy["stolen"]
                    .as_f64()
                    .is_some_and(|s| (0.0..=1.0).contains(&s)),
                "{run:#}"
            );
        }
    } else {
        assert!(report.get("placement").is_none(), "{report:#}");
        assert!(overload.get("cpu_busy").is_none(), "{overload:#}");
    }
}

/// One offered run served some, failed nothing otherwise, and answered
/// every request it sent.
fn answered_without_failure(run: &Value) {
    assert_eq!(run["errors"], serde_json::json!({}), "{run:#}");
    let (sent, accepted, shed) = (
        run["sent"].as_u64().expect("sent"),
        run["accepted"]["count"].as_u64().expect("accepted"),
        run["shed"]["count"].as_u64().expect("shed"),
    );
    assert!(accepted > 0, "some were served: {run:#}");
    assert_eq!(accepted + shed, sent, "every request answered: {run:#}");
}
