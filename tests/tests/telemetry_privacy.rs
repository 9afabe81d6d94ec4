//! No personal data in the logs or the exported telemetry. `redress up`
//! runs with every log line a service can write (see [`LOG_FILTER`]) and
//! exports traces and metrics to a real collector ([`Collector`]); a full
//! scenario puts a unique marker in every personal field the API takes —
//! the customer's name, e-mail addresses, phone number, postal address,
//! contact label, industry and business scope, interaction summaries,
//! contact searches; the complaint's summary, description and requested
//! remedy; hand-off, decline and reassignment reasons; assist questions and
//! answers; notes; questions to and answers from the customer; proposed and
//! rejected resolutions; goodwill descriptions, payment references and
//! reasons; root causes; recovery-step notes; improvement actions; survey
//! comments; follow-up outcomes; reopening reasons; staff contact details;
//! message variables; a crisis signal's summary and source, a crisis title,
//! timeline notes and status reports — and walks the paths that carry
//! them: a complaint
//! taken in, handed off, declined, accepted, reassigned, assisted, noted,
//! resolved with goodwill, surveyed, closed, followed up and reopened; an
//! e-mail rendering the customer's name through a real SMTP server, and one
//! the server refuses; a crisis declared from the complaint; calls refused
//! for a bad e-mail address, a bad phone number, an unknown customer and a
//! signal without a summary, so error paths log too. No marker may
//! appear in what `redress up` printed (stdout and stderr) or in anything
//! the collector received (spans, span events, attributes, metrics).
//!
//! The test cannot pass vacuously: it checks the markers reached the
//! services (an e-mail carries the customer's name), that the logs and the
//! collector's output are not empty and hold what they should (span names,
//! the complaint's id, which is not personal), so a leak would be seen.
//! Markers are ASCII letters and digits, which no JSON or debug escaping
//! changes, and are compared without regard to case.

mod support;
// The scenario is this test's alone: kept beside the shared support, out of
// the other test binaries.
#[path = "support/privacy/mod.rs"]
mod privacy;

use std::time::{Duration, Instant};

use privacy::Markers;
use redress_platform::testing::collector::Collector;
use redress_platform::testing::python::SmtpServer;
use support::Suite;

/// What `redress up` logs, and so which spans it exports: everything at
/// debug, our crates' and our dependencies' (sqlx, tonic, h2, hyper,
/// lettre, ...), since any of them may write what it was given.
const LOG_FILTER: &str = "debug";

/// Real time runs: the scheduler looks every 200 ms, a follow-up falls due
/// two seconds after closing at any hour, and customers have no quiet hours
/// or daily cap, so every message goes out at once; an e-mail refused is
/// not retried.
const CONFIG: &str = r#"
[complaints]
scheduler_interval_ms = 200

[complaints.follow_up]
cadence = ["2s"]
working_hours = { start = "00:00", end = "24:00", days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] }

[notifications]
daily_cap = 0
attempts_per_channel = 1
initial_backoff_ms = 200
customer_quiet_hours = { enabled = false }
"#;

/// How long anything this test waits for may take.
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn no_personal_data_reaches_the_logs_or_the_exported_telemetry() {
    let collector = Collector::start();
    let smtp = SmtpServer::start();
    let endpoint = collector.otlp_endpoint();
    let smtp_url = smtp.url();
    let mut suite = Suite::start_with_env(
        CONFIG,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            ("RUST_LOG", LOG_FILTER),
            ("REDRESS_NOTIFICATIONS__CHANNELS__EMAIL__URL", &smtp_url),
        ],
    );
    let mut markers = Markers::default();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let complaint = runtime.block_on(privacy::run(&suite, &smtp, &mut markers));

    // Stopping flushes every span and metric not yet exported, and logs
    // the shutdown too; then wait for the collector to print the last.
    let stopped = suite.terminate().expect("redress up stops");
    assert!(stopped.success(), "redress up failed: {stopped}");
    let deadline = Instant::now() + WAIT;
    while !collector
        .spans()
        .iter()
        .any(|s| s.name.ends_with("/SendMessage"))
    {
        assert!(
            Instant::now() < deadline,
            "the spans never reached the collector"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    let stdout = suite.stdout();
    let stderr = suite.stderr();
    let exported = collector.settled_output();
    let export = collector.export();
    eprintln!(
        "redress up printed {} bytes on stdout ({} lines) and {} on stderr; the collector \
         printed {} bytes ({} spans, {} metric exports); {} markers sent",
        stdout.len(),
        stdout.lines().count(),
        stderr.len(),
        exported.len(),
        export.spans.len(),
        export.metrics.len(),
        markers.sent.len()
    );

    // The markers reached the services, and where they may be: an e-mail
    // carries the customer's (renamed) name.
    let mail = smtp.messages();
    let mail_text = serde_json::to_string(&mail).expect("JSON");
    let in_mail = markers.found_in(&mail_text);
    assert!(
        in_mail
            .iter()
            .any(|(field, _)| *field == "displaynameupdated"),
        "no e-mail rendered the customer's name: {mail_text}"
    );
    // The logs and the export are there to be searched, and the search
    // finds what is in them: the complaint's id (not personal) is found
    // the way a marker would be, and the calls made were exported.
    let canary = Markers {
        sent: vec![(
            "complaint id".to_owned(),
            complaint.trim_start_matches("complaints/").to_uppercase(),
        )],
    };
    assert!(
        !canary.found_in(&stdout).is_empty(),
        "the logs never name the complaint"
    );
    assert!(
        !canary.found_in(&exported).is_empty(),
        "no span names the complaint"
    );
    for call in [
        "CreateCustomer",
        "CreateComplaint",
        "HandOffComplaint",
        "AnswerSurvey",
        "SendMessage",
    ] {
        assert!(
            export
                .spans
                .iter()
                .any(|s| s.name.ends_with(&format!("/{call}"))),
            "no {call} span was exported"
        );
    }

    let collector_stderr = collector.stderr();
    let places = [
        ("redress up's stdout", &stdout),
        ("redress up's stderr", &stderr),
        ("the collector's output", &exported),
        ("the collector's stderr", &collector_stderr),
    ];
    let mut report = String::new();
    for (place, text) in places {
        for (field, marker) in markers.found_in(text) {
            report.push_str(&format!("{field} ({marker}) in {place}:\n"));
            let marker = marker.to_lowercase();
            for line in text
                .lines()
                .filter(|l| l.to_lowercase().contains(&marker))
                .take(3)
            {
                report.push_str(&format!("    {}\n", truncate(line, 600)));
            }
        }
    }
    assert!(report.is_empty(), "personal data leaked:\n{report}");
}

/// At most `limit` bytes of `line`, cut at a character boundary.
fn truncate(line: &str, limit: usize) -> &str {
    let mut end = line.len().min(limit);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}
