//! The parser against output rotel really printed (`debug_sample.txt`:
//! rotel 0.0.1a15 with `--debug-log traces --debug-log metrics
//! --debug-log-verbosity detailed --log-format json`, fed by this crate's
//! telemetry: a server span with an event, its client child with a
//! two-line attribute, a consumer span with a link, and one export of a
//! histogram, a counter, a gauge, an up-down counter and an observable
//! gauge), and against that output changed the ways a newer collector or a
//! cut-short read could change it.

use super::*;

const SAMPLE: &str = include_str!("../debug_sample.txt");

fn sample() -> Export {
    parse(SAMPLE).expect("the captured sample parses")
}

/// The sample with the first `from` replaced by `to`.
fn changed(from: &str, to: &str) -> String {
    assert!(SAMPLE.contains(from), "the sample has no {from:?}");
    SAMPLE.replacen(from, to, 1)
}

#[test]
fn every_span_of_the_sample_is_read_with_its_ids_kind_and_service() {
    let export = sample();
    let summary: Vec<_> = export
        .spans
        .iter()
        .map(|s| (s.service.as_str(), s.name.as_str(), s.kind))
        .collect();
    assert_eq!(
        summary,
        [
            ("redress-probe", "SELECT probes", SpanKind::Client),
            (
                "redress-probe",
                "redress.probe.v1.ProbeService/Get",
                SpanKind::Server
            ),
            ("redress-probe", "process probes", SpanKind::Consumer),
        ]
    );
    let (client, server) = (&export.spans[0], &export.spans[1]);
    assert_eq!(client.trace_id, "f2f8fbe76b1479a746537e92cb850f41");
    assert_eq!(client.trace_id, server.trace_id);
    assert_eq!(client.span_id, "9e5267dbc12520ad");
    assert_eq!(client.parent_id.as_deref(), Some("5ecf117b2e48532b"));
    assert_eq!(server.span_id, "5ecf117b2e48532b");
    assert_eq!(server.parent_id, None);
    assert_eq!(server.scope, "redress");
    assert_eq!(server.status_code, "STATUS_CODE_UNSET");
    assert_eq!(server.status_message, "");
}

#[test]
fn attributes_of_every_type_are_read_as_the_text_inside_their_type() {
    let export = sample();
    let (client, server) = (&export.spans[0], &export.spans[1]);
    assert_eq!(server.attribute("rpc.method"), Some("Get"));
    assert_eq!(server.attribute("rpc.grpc.status_code"), Some("0"));
    assert_eq!(server.attribute("flag"), Some("true"));
    assert_eq!(server.attribute("ratio"), Some("0.5"));
    assert_eq!(client.attribute("db.query.summary"), Some("SELECT probes"));
    assert_eq!(client.attribute("note"), Some("two\nlines"));
    // The line after the two-line value is an attribute again.
    assert_eq!(client.attribute("busy_ns"), Some("6859"));
    assert_eq!(server.attribute("no.such.key"), None);
}

#[test]
fn events_and_links_are_read_with_their_attributes() {
    let export = sample();
    let server = &export.spans[1];
    assert_eq!(server.events.len(), 1);
    assert_eq!(server.events[0].name, "probe answered");
    assert_eq!(
        server.events[0].attributes.get("probe").map(String::as_str),
        Some("probes/1")
    );
    assert!(server.links.is_empty());
    let consumer = &export.spans[2];
    assert_eq!(
        consumer.links,
        [SpanLink {
            trace_id: "5b8efff798038103d269b633813fc60d".into(),
            span_id: "eee19b7ec3c1b175".into(),
            attributes: BTreeMap::new(),
        }]
    );
}

#[test]
fn every_metric_of_the_sample_is_read_with_its_type_unit_and_points() {
    let export = sample();
    let metrics: Vec<_> = export
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m.data_type.as_str(), m.unit.as_str()))
        .collect();
    assert_eq!(
        metrics,
        [
            ("rpc.server.call.duration", "Histogram", "s"),
            ("redress.test.count", "Sum", ""),
            ("redress.test.gauge", "Gauge", "{event}"),
            ("redress.test.updown", "Sum", ""),
            ("redress.test.observed", "Gauge", ""),
        ]
    );
    assert!(export.metrics.iter().all(|m| m.service == "redress-probe"));
    let histogram = &export.metrics[0].points;
    assert_eq!(histogram.len(), 1);
    assert_eq!(
        histogram[0]
            .attributes
            .get("rpc.method")
            .map(String::as_str),
        Some("Get")
    );
    assert_eq!(
        histogram[0].values.get("Count").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        histogram[0].values.get("Sum").map(String::as_str),
        Some("0.25")
    );
    let gauge = &export.metrics[2].points[0];
    assert!(gauge.attributes.is_empty());
    assert_eq!(gauge.values.get("Value").map(String::as_str), Some("7"));
    assert_eq!(
        export.metrics[3].points[0]
            .values
            .get("Value")
            .map(String::as_str),
        Some("-2")
    );
}

#[test]
fn the_collectors_own_log_lines_are_kept_apart() {
    let export = sample();
    assert_eq!(export.collector_logs.len(), 2);
    assert!(export.collector_logs[0].contains("Starting Rotel."));
}

#[test]
fn a_line_the_format_does_not_print_fails_with_its_number() {
    let text = changed(
        "    Kind           : SPAN_KIND_CLIENT\n",
        "    Kind           : SPAN_KIND_CLIENT\n    Sampled        : true\n",
    );
    let error = parse(&text).expect_err("an unknown span field");
    assert_eq!(error.line, 18);
    assert_eq!(error.text, "    Sampled        : true");
}

#[test]
fn a_changed_attribute_layout_fails_instead_of_finding_nothing() {
    let text = changed(
        "     -> rpc.method: Str(Get)",
        "     -> rpc.method: \"Get\"",
    );
    let error = parse(&text).expect_err("a value not of the form Type(value)");
    assert_eq!(error.text, "     -> rpc.method: \"Get\"");

    let text = changed(
        "    Kind           : SPAN_KIND_SERVER",
        "    Kind           : Server",
    );
    assert!(parse(&text).is_err(), "an unknown span kind");

    let text = changed(
        "    Trace ID       : f2f8fbe76b1479a746537e92cb850f41",
        "    Trace ID       : f2f8fbe7-6b14-79a7-4653-7e92cb850f41",
    );
    assert!(parse(&text).is_err(), "a trace id that is not hex");
}

#[test]
fn a_span_cut_short_fails() {
    let cut = SAMPLE
        .find("Start time: 1795396960547506129")
        .expect("the server span's start time");
    let error = parse(&SAMPLE[..cut]).expect_err("a span without its times");
    assert!(error.problem.contains("start or end time"), "{error}");
}

#[test]
fn a_string_value_never_closed_fails() {
    let cut = SAMPLE.find("lines)").expect("the two-line value's end");
    let error = parse(&SAMPLE[..cut]).expect_err("an open value");
    assert!(error.problem.contains("never closed"), "{error}");
}

#[test]
fn a_string_value_with_lines_ending_in_a_parenthesis_runs_to_the_next_attribute() {
    // sqlx's debug events carry the statement's text, as they did in a run.
    let sql = "     -> note: Str(\n\nWITH at_start AS (\n    SELECT 1 WHERE x IN ('a', 'b')\n), \
               churned AS (\n    SELECT (2)\n)\nSELECT * FROM at_start)";
    let text = changed("     -> note: Str(two\nlines)", sql);
    let export = parse(&text).expect("a value over lines ending in )");
    assert_eq!(
        export.spans[0].attribute("note"),
        Some(
            "\n\nWITH at_start AS (\n    SELECT 1 WHERE x IN ('a', 'b')\n), churned AS (\n    \
             SELECT (2)\n)\nSELECT * FROM at_start"
        )
    );
    assert_eq!(export.spans[0].attribute("busy_ns"), Some("6859"));
    // Printed last, the value runs to the end of the output.
    let end = text
        .find("     -> busy_ns: Int(6859)")
        .expect("the next attribute");
    let export = parse(&text[..end]).expect("a value ending the output");
    assert!(
        export.spans[0]
            .attribute("note")
            .is_some_and(|note| note.ends_with("SELECT * FROM at_start"))
    );
}

#[test]
fn span_and_event_names_may_run_over_several_lines() {
    let text = changed(
        "     -> Name: probe answered",
        "     -> Name: probe\nanswered",
    );
    let text = text.replacen(
        "    Name           : process probes",
        "    Name           : process\nprobes",
        1,
    );
    let export = parse(&text).expect("multi-line names parse");
    assert_eq!(export.spans[1].events[0].name, "probe\nanswered");
    assert_eq!(export.spans[2].name, "process\nprobes");
    // The line after a name is read as itself again.
    assert_eq!(export.spans[2].kind, SpanKind::Consumer);
}

#[test]
fn a_block_of_another_signal_is_skipped_whole() {
    // Written by hand in the debug exporter's log layout: the services do
    // not export logs, so no run printed one.
    let logs = "ResourceLogs #0\nResource SchemaURL: \nScopeLogs #0\nLogRecord #0\n\
                Body: Str(anything at all)\n";
    let text = format!("{logs}{SAMPLE}{logs}");
    assert_eq!(parse(&text).expect("the sample with log blocks"), sample());
}

#[test]
fn nothing_printed_is_nothing_received() {
    assert_eq!(parse("").expect("empty output"), Export::default());
}
