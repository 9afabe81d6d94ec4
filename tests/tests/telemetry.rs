//! One trace across the services, in a real collector. Customers,
//! complaints and notifications run as separate processes (`redress
//! serve`, as Kubernetes runs them), each exporting OTLP to a rotel
//! collector this test starts ([`Collector`]). A customer and a complaint
//! are created through the gRPC API, and what reached the collector is read
//! back: the intake is one trace from the complaints server through its
//! client call to the customers server; the notifications consumer's work
//! on the `complaint.created` event is a span linked to that trace (and the
//! acknowledgement it queues is delivered in a span of the same trace); the
//! database work in it is client spans naming the statement, never its
//! values; and every service exports its RPC durations as metrics.
//!
//! Each test runs the same short scenario in a suite of its own, so each
//! promise passes or fails on its own. Waits poll the collector with a
//! generous deadline; a failure shows what did arrive, and what every
//! process printed.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use redress_platform::auth::Role;
use redress_platform::testing::collector::{Collector, Span, SpanKind};
use redress_proto::complaints::v1 as pb;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as npb;
use support::{Services, Suite};
use tonic::transport::Channel;

/// The services started, in start order (each calls only those before it).
const SERVICES: [&str; 3] = ["customers", "complaints", "notifications"];
/// How long what the services export may take to reach the collector.
const WAIT: Duration = Duration::from_secs(60);
/// The RPC duration histogram every service records.
const RPC_DURATION: &str = "rpc.server.call.duration";

/// A running scenario. Fields drop in order: the service processes, then
/// the suite (its database), then the collector.
struct Scenario {
    _services: Services,
    _suite: Suite,
    collector: Collector,
    /// Every personal value sent: the customer's name and e-mail address,
    /// the complaint's summary, description and requested remedy.
    personal: Vec<String>,
}

/// A value no other test sends: `prefix` and a fresh UUID, letters and
/// digits only, so no escaping can hide it.
fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A channel to `endpoint`, connected on first use.
fn channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect_lazy()
}

/// Starts the collector and the services exporting to it, creates a
/// customer and a complaint for them as an agent, and asks the
/// notifications service for the customer's inbox.
fn scenario() -> Scenario {
    let collector = Collector::start();
    let suite = Suite::provision();
    let endpoint = collector.otlp_endpoint();
    let services = suite.serve(
        &SERVICES,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ],
    );
    let display_name = unique("TelemetryName");
    let email = format!("{}@example.com", unique("telemetrymail"));
    let summary = unique("TelemetrySummary");
    let description = unique("TelemetryDescription");
    let remedy = unique("TelemetryRemedy");

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let agent = suite.bearer("agent-1", &[Role::Agent], Some("front"));
        let mut customers = cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            channel(&suite.endpoint),
            agent.clone(),
        );
        let customer = customers
            .create_customer(cpb::CreateCustomerRequest {
                customer: Some(cpb::Customer {
                    display_name: display_name.clone(),
                    kind: cpb::CustomerKind::Person.into(),
                    contact_points: vec![cpb::ContactPoint {
                        point: Some(cpb::contact_point::Point::Email(email.clone())),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("a customer")
            .into_inner()
            .customer
            .expect("a customer")
            .name;
        let mut complaints = pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
            channel(&suite.complaints_endpoint),
            agent.clone(),
        );
        complaints
            .create_complaint(pb::CreateComplaintRequest {
                complaint: Some(pb::Complaint {
                    customer: customer.clone(),
                    channel: pb::Channel::Phone.into(),
                    kind: pb::ComplaintKind::Complaint.into(),
                    summary: summary.clone(),
                    description: description.clone(),
                    requested_remedy: remedy.clone(),
                    category: "incorrect/billing_error".into(),
                    severity: pb::Severity::High.into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::now_v7().to_string(),
            })
            .await
            .expect("a complaint");
        npb::notification_service_client::NotificationServiceClient::with_interceptor(
            channel(&suite.notifications_endpoint),
            agent,
        )
        .list_inbox(npb::ListInboxRequest {
            recipient: customer.clone(),
            ..Default::default()
        })
        .await
        .expect("the customer's inbox");
    });
    Scenario {
        _services: services,
        _suite: suite,
        collector,
        personal: vec![display_name, email, summary, description, remedy],
    }
}

/// One line per span: service, kind, name, trace and span ids, links.
fn describe(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| {
            let links: Vec<String> = s
                .links
                .iter()
                .map(|l| format!("{}/{}", l.trace_id, l.span_id))
                .collect();
            format!(
                "{} {:?} {:?} trace={} span={} links={links:?} event.type={:?}\n",
                s.service,
                s.kind,
                s.name,
                s.trace_id,
                s.span_id,
                s.attribute("event.type")
            )
        })
        .collect()
}

impl Scenario {
    /// Polls the collector's spans until `probe` finds what it looks for;
    /// panics after [`WAIT`] showing every span that arrived.
    fn eventually<T>(&self, what: &str, mut probe: impl FnMut(&[Span]) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            let spans = self.collector.spans();
            if let Some(found) = probe(&spans) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "the collector received no {what} in {WAIT:?}; it has:\n{}",
                describe(&spans)
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The complaints server span of the `CreateComplaint` call, once it
    /// arrived.
    fn intake(&self) -> Span {
        self.eventually(
            "CreateComplaint server span from redress-complaints",
            |spans| {
                spans
                    .iter()
                    .find(|s| {
                        s.service == "redress-complaints"
                            && s.kind == SpanKind::Server
                            && s.attribute("rpc.method") == Some("CreateComplaint")
                    })
                    .cloned()
            },
        )
    }
}

#[test]
fn a_complaint_taken_in_is_one_trace_from_the_complaints_server_to_the_customers_server() {
    let scenario = scenario();
    let intake = scenario.intake();
    let customers = scenario.eventually(
        "redress-customers server span in the intake's trace",
        |spans| {
            spans
                .iter()
                .find(|s| {
                    s.service == "redress-customers"
                        && s.kind == SpanKind::Server
                        && s.trace_id == intake.trace_id
                })
                .cloned()
        },
    );
    // The customers server continues the complaints client call that
    // carried its traceparent, inside the intake.
    let call = scenario.eventually(
        "complaints client span the customers server continues",
        |spans| {
            spans
                .iter()
                .find(|s| Some(&s.span_id) == customers.parent_id.as_ref())
                .cloned()
        },
    );
    assert_eq!(call.service, "redress-complaints", "{call:#?}");
    assert_eq!(call.kind, SpanKind::Client, "{call:#?}");
    assert_eq!(call.trace_id, intake.trace_id);
    assert_eq!(
        call.attribute("rpc.service"),
        customers.attribute("rpc.service")
    );
    assert_eq!(intake.attribute("rpc.grpc.status_code"), Some("0"));
}

#[test]
fn the_notification_work_for_a_new_complaint_is_a_span_linked_to_the_intake_trace() {
    let scenario = scenario();
    let intake = scenario.intake();
    let linked = scenario.eventually(
        "redress-notifications span for complaint.created linked to a span of the intake's trace",
        |spans| {
            let in_trace: BTreeSet<&str> = spans
                .iter()
                .filter(|s| s.trace_id == intake.trace_id)
                .map(|s| s.span_id.as_str())
                .collect();
            spans
                .iter()
                .find(|s| {
                    s.service == "redress-notifications"
                        && s.kind == SpanKind::Consumer
                        && s.attribute("event.type") == Some("complaint.created")
                        && s.links.iter().any(|l| {
                            l.trace_id == intake.trace_id && in_trace.contains(l.span_id.as_str())
                        })
                })
                .cloned()
        },
    );
    assert!(
        linked.attribute("messaging.message.id").is_some(),
        "the consumer span names the event it applied: {linked:#?}"
    );
    assert_eq!(linked.trace_id, intake.trace_id, "one story: {linked:#?}");

    // The acknowledgement the consumer queued is delivered in a span of the
    // same trace, linked to the consumer's span that queued it.
    let delivery = scenario.eventually(
        "redress-notifications delivery span of the acknowledgement in the intake's trace",
        |spans| {
            spans
                .iter()
                .find(|s| {
                    s.service == "redress-notifications"
                        && s.kind == SpanKind::Producer
                        && s.name == "deliver complaint.acknowledgement"
                        && s.trace_id == intake.trace_id
                })
                .cloned()
        },
    );
    assert!(
        delivery.links.iter().any(|l| l.span_id == linked.span_id),
        "the delivery links to the consumer span that queued it: {delivery:#?}"
    );
    assert!(
        delivery.attribute("notification.state").is_some(),
        "the delivery says how it ended: {delivery:#?}"
    );
}

#[test]
fn database_spans_in_the_intake_trace_name_the_statement_and_never_carry_its_values() {
    let scenario = scenario();
    let intake = scenario.intake();
    let statements = scenario.eventually(
        "database spans from both redress-complaints and redress-customers in the intake's trace",
        |spans| {
            let statements: Vec<Span> = spans
                .iter()
                .filter(|s| {
                    s.trace_id == intake.trace_id
                        && s.attribute("db.system.name") == Some("postgresql")
                })
                .cloned()
                .collect();
            let services: BTreeSet<&str> = statements.iter().map(|s| s.service.as_str()).collect();
            (services.contains("redress-complaints") && services.contains("redress-customers"))
                .then_some(statements)
        },
    );
    for statement in &statements {
        assert_eq!(statement.kind, SpanKind::Client, "{statement:#?}");
        let summary = statement.attribute("db.query.summary").unwrap_or_default();
        assert!(
            !summary.is_empty(),
            "a database span without its summary: {statement:#?}"
        );
    }
    assert!(
        statements.iter().any(|s| s
            .attribute("db.query.summary")
            .is_some_and(|q| q.contains("customers"))),
        "no statement on the customers table: {}",
        describe(&statements)
    );
    // Every value the customer gave was bound to a statement of this
    // trace; none may be on a span, an event or a link of it.
    let trace: Vec<Span> = scenario
        .collector
        .spans()
        .into_iter()
        .filter(|s| s.trace_id == intake.trace_id)
        .collect();
    for span in &trace {
        let texts = span
            .attributes
            .values()
            .chain(span.events.iter().flat_map(|e| e.attributes.values()))
            .chain(span.events.iter().map(|e| &e.name))
            .chain(span.links.iter().flat_map(|l| l.attributes.values()));
        for text in texts {
            for value in &scenario.personal {
                assert!(
                    !text.contains(value.as_str()),
                    "{value} is on a span: {span:#?}"
                );
            }
        }
    }
    let raw = scenario.collector.raw_output();
    for value in &scenario.personal {
        assert!(
            !raw.contains(value.as_str()),
            "{value} reached the collector"
        );
    }
}

#[test]
fn every_service_exports_its_rpc_call_durations() {
    let scenario = scenario();
    let deadline = Instant::now() + WAIT;
    let services = [
        "redress-customers",
        "redress-complaints",
        "redress-notifications",
    ];
    // A service's first export can come before the intake (its health
    // checks are calls too), so the intake's point may only arrive in a
    // later export: wait for it as for the others.
    let intake_recorded = || {
        scenario.collector.metrics().iter().any(|m| {
            m.service == "redress-complaints"
                && m.name == RPC_DURATION
                && m.data_type == "Histogram"
                && m.points.iter().any(|p| {
                    p.attributes
                        .values()
                        .any(|v| v.ends_with("CreateComplaint"))
                })
        })
    };
    loop {
        let missing: Vec<&str> = services
            .iter()
            .copied()
            .filter(|s| !scenario.collector.metric_names(s).contains(RPC_DURATION))
            .collect();
        if missing.is_empty() && intake_recorded() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no {RPC_DURATION} from {missing:?}, or no point for CreateComplaint, in {WAIT:?}; \
             metrics seen: {:?}",
            scenario
                .collector
                .metrics()
                .iter()
                .map(|m| (m.service.as_str(), m.name.as_str()))
                .collect::<BTreeSet<_>>()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}
