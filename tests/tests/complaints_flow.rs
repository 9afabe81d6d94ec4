//! The whole suite end to end, as `redress up` runs it: a customer is
//! created in the customers service, a complaint is taken in by the
//! complaints service (which checks the customer over real gRPC), handed off
//! and accepted, its acknowledgement SLA breaches, and a reader of the feed
//! sees all of it in order.
//!
//! The clock is controlled by configuration: the acknowledgement target is
//! two seconds and the scheduler looks every 200 ms, so the breach happens
//! within the test's time without waiting hours.

mod support;

use std::time::{Duration, Instant};

use redress_platform::auth::{BearerInterceptor, Role};
use redress_proto::complaints::v1 as pb;
use redress_proto::customers::v1 as cpb;
use support::Suite;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const CONFIG: &str = r#"
[complaints]
scheduler_interval_ms = 200

[[complaints.sla.rules]]
acknowledgement = "2s"
resolution = "10d"
"#;

type Complaints = pb::complaint_service_client::ComplaintServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;

fn complaints(suite: &Suite, subject: &str, roles: &[Role], team: Option<&str>) -> Complaints {
    let channel = Channel::from_shared(suite.complaints_endpoint.clone())
        .expect("an endpoint")
        .connect_lazy();
    pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
        channel,
        suite.bearer(subject, roles, team),
    )
}

#[test]
fn a_complaint_is_taken_in_handed_off_breaches_its_sla_and_the_feed_tells_the_story() {
    let suite = Suite::start_with_config(CONFIG);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let channel = Channel::from_shared(suite.endpoint.clone())
            .expect("an endpoint")
            .connect_lazy();
        let mut customers = cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            channel,
            suite.bearer("agent-1", &[Role::Agent], Some("front")),
        );
        let customer = customers
            .create_customer(cpb::CreateCustomerRequest {
                customer: Some(cpb::Customer {
                    display_name: "Ada Lovelace".into(),
                    kind: cpb::CustomerKind::Person.into(),
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

        let mut front = complaints(&suite, "agent-1", &[Role::Agent], Some("front"));
        let created = front
            .create_complaint(pb::CreateComplaintRequest {
                complaint: Some(pb::Complaint {
                    customer: customer.clone(),
                    channel: pb::Channel::Chat.into(),
                    kind: pb::ComplaintKind::Complaint.into(),
                    summary: "Charged twice".into(),
                    category: "incorrect/billing_error".into(),
                    severity: pb::Severity::High.into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::now_v7().to_string(),
            })
            .await
            .expect("a complaint")
            .into_inner()
            .complaint
            .expect("a complaint");
        assert_eq!(created.owner, "agent-1");

        let offer = front
            .hand_off_complaint(pb::HandOffComplaintRequest {
                name: created.name.clone(),
                target: Some(pb::hand_off_complaint_request::Target::ToTeam(
                    "teams/billing".into(),
                )),
                reason: "A double charge".into(),
                ..Default::default()
            })
            .await
            .expect("offered")
            .into_inner()
            .hand_off
            .expect("an offer");
        let accepted = complaints(&suite, "bill-3", &[Role::Agent], Some("billing"))
            .accept_hand_off(pb::AcceptHandOffRequest {
                name: offer.name.clone(),
                request_id: String::new(),
            })
            .await
            .expect("accepted")
            .into_inner()
            .complaint
            .expect("a complaint");
        assert_eq!(accepted.owner, "bill-3");

        // Nobody acknowledges it: the two-second target passes.
        let mut reader = complaints(&suite, "notifications", &[Role::Service], None);
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = reader
                .list_complaint_events(pb::ListComplaintEventsRequest {
                    after_position: after,
                    page_size: 100,
                    types: vec![],
                })
                .await
                .expect("the feed")
                .into_inner();
            after = page.last_position;
            events.extend(page.events);
            if events.iter().any(|e| e.r#type == "complaint.sla_breached") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no breach in the feed: {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let story: Vec<&str> = events
            .iter()
            .filter(|e| e.subject == created.name)
            .map(|e| e.r#type.as_str())
            .collect();
        assert_eq!(
            &story[..4],
            [
                "complaint.created",
                "complaint.hand_off_offered",
                "complaint.hand_off_accepted",
                "complaint.owner_changed",
            ]
        );
        assert!(story.contains(&"complaint.sla_warning"), "{story:?}");
        assert!(story.contains(&"complaint.sla_breached"), "{story:?}");
        let breach = events
            .iter()
            .find(|e| e.r#type == "complaint.sla_breached")
            .expect("a breach");
        assert_eq!(
            breach.attributes.get("owner").map(String::as_str),
            Some("bill-3")
        );
        assert_eq!(breach.attributes.get("customer"), Some(&customer));

        let interactions = customers
            .list_interactions(cpb::ListInteractionsRequest {
                parent: customer.clone(),
                page_size: 0,
                page_token: String::new(),
            })
            .await
            .expect("the contact log")
            .into_inner()
            .interactions;
        assert_eq!(interactions.len(), 1);
        assert_eq!(interactions[0].related_complaint, created.name);
    });
}
