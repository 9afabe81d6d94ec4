//! A full service recovery through the whole suite, as `redress up` runs it:
//! a complaint is taken in and apologised for, resolved with goodwill given
//! in good faith and a root cause, the customer's survey invitation reaches
//! their inbox through the notifications service and is answered with the
//! code it carries, an improvement action is filed, the complaint closes
//! with every recovery step done, a follow-up falls due in the owner's queue
//! and the customer's inbox, and the answer shows on the customer in the
//! customers service.
//!
//! Real time runs here, so the follow-up cadence is two seconds and the
//! customer's working hours are round the clock; the scheduler looks every
//! 200 ms.

mod support;

use std::time::{Duration, Instant};

use redress_platform::auth::{BearerInterceptor, Role};
use redress_proto::complaints::v1 as pb;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as npb;
use support::Suite;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const CONFIG: &str = r#"
[complaints]
scheduler_interval_ms = 200

[complaints.follow_up]
cadence = ["2s"]
working_hours = { start = "00:00", end = "24:00", days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] }
"#;

type Intercepted = InterceptedService<Channel, BearerInterceptor>;

fn channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect_lazy()
}

fn complaints(
    suite: &Suite,
    subject: &str,
    roles: &[Role],
) -> pb::complaint_service_client::ComplaintServiceClient<Intercepted> {
    pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
        channel(&suite.complaints_endpoint),
        suite.bearer(subject, roles, Some("front")),
    )
}

fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Polls `probe` every 100 ms for up to 30 s until it gives a value.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

type Notifications = npb::notification_service_client::NotificationServiceClient<Intercepted>;

/// Waits until `recipient`'s inbox holds a message of `kind`, and gives it.
async fn in_inbox(inbox: &Notifications, recipient: &str, kind: &str) -> npb::InboxItem {
    eventually(&format!("{kind} in the inbox"), || {
        let mut inbox = inbox.clone();
        let recipient = recipient.to_owned();
        async move {
            inbox
                .list_inbox(npb::ListInboxRequest {
                    recipient,
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner()
                .items
                .into_iter()
                .find(|i| i.kind == kind)
        }
    })
    .await
}

#[test]
fn a_complaint_is_recovered_from_apology_to_follow_up_and_the_customer_is_seen_satisfied() {
    let suite = Suite::start_with_config(CONFIG);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let agent = [Role::Agent];
        let mut customers = cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            channel(&suite.endpoint),
            suite.bearer("agent-1", &agent, Some("front")),
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
        let mut owner = complaints(&suite, "agent-1", &agent);
        let inbox = npb::notification_service_client::NotificationServiceClient::with_interceptor(
            channel(&suite.notifications_endpoint),
            suite.bearer("front-end", &[Role::Service], None),
        );
        let mut service = complaints(&suite, "front-end", &[Role::Service]);

        // Received, and apologised for at once.
        let complaint = owner
            .create_complaint(pb::CreateComplaintRequest {
                complaint: Some(pb::Complaint {
                    customer: customer.clone(),
                    channel: pb::Channel::Phone.into(),
                    kind: pb::ComplaintKind::Complaint.into(),
                    summary: "Parcel arrived a week late".into(),
                    category: "too_slow/late_delivery".into(),
                    severity: pb::Severity::Medium.into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .expect("the complaint is taken in")
            .into_inner()
            .complaint
            .expect("a complaint")
            .name;
        let step =
            |step: pb::RecoveryStep, channel: pb::RecoveryChannel| pb::RecordRecoveryStepRequest {
                name: complaint.clone(),
                step: step.into(),
                channel: channel.into(),
                note: String::new(),
                etag: String::new(),
                request_id: request_id(),
            };
        owner
            .record_recovery_step(step(pb::RecoveryStep::Apology, pb::RecoveryChannel::Phone))
            .await
            .expect("the apology is recorded");

        // Worked to a resolution.
        owner
            .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
                name: complaint.clone(),
                ..Default::default()
            })
            .await
            .expect("acknowledged");
        owner
            .start_investigation(pb::StartInvestigationRequest {
                name: complaint.clone(),
                ..Default::default()
            })
            .await
            .expect("investigating");
        owner
            .propose_resolution(pb::ProposeResolutionRequest {
                name: complaint.clone(),
                resolution: "A refund of the delivery charge".into(),
                ..Default::default()
            })
            .await
            .expect("a resolution proposed");

        // Goodwill within the good-faith limit is approved at once and given.
        let goodwill = owner
            .propose_goodwill(pb::ProposeGoodwillRequest {
                parent: complaint.clone(),
                goodwill: Some(pb::Goodwill {
                    kind: pb::GoodwillKind::Refund.into(),
                    amount: Some(redress_proto::google::r#type::Money {
                        currency_code: "EUR".into(),
                        units: 8,
                        nanos: 0,
                    }),
                    fault: pb::GoodwillFault::Unclear.into(),
                    description: "Delivery charge refunded".into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .expect("goodwill proposed")
            .into_inner()
            .goodwill
            .expect("goodwill");
        assert_eq!(goodwill.state, pb::GoodwillState::Approved as i32);
        assert!(goodwill.good_faith);
        owner
            .fulfil_goodwill(pb::FulfilGoodwillRequest {
                name: goodwill.name.clone(),
                payment_reference: "PAY-1".into(),
                request_id: request_id(),
                ..Default::default()
            })
            .await
            .expect("goodwill given");

        owner
            .accept_resolution(pb::AcceptResolutionRequest {
                name: complaint.clone(),
                root_cause: Some(pb::RootCause {
                    category: "supplier".into(),
                    detail: "The carrier missed its slot".into(),
                }),
                ..Default::default()
            })
            .await
            .expect("resolved");

        // The survey invitation reaches the customer's inbox with its code.
        let token = eventually("the survey invitation event", || {
            let mut service = service.clone();
            async move {
                let events = service
                    .list_complaint_events(pb::ListComplaintEventsRequest {
                        after_position: 0,
                        page_size: 1000,
                        types: vec!["complaint.survey_invited".into()],
                    })
                    .await
                    .ok()?
                    .into_inner()
                    .events;
                let payload: serde_json::Value =
                    serde_json::from_str(&events.first()?.payload).ok()?;
                payload["survey_token"].as_str().map(str::to_owned)
            }
        })
        .await;
        let invitation = in_inbox(&inbox, &customer, "complaint.survey_invitation").await;
        assert!(invitation.body.contains(&token), "{}", invitation.body);

        // The customer answers through the front end, once.
        let answered = service
            .answer_survey(pb::AnswerSurveyRequest {
                survey_token: token.clone(),
                answer: Some(pb::SurveyAnswer {
                    csat: 5,
                    perceived_value: 9.0,
                    expectation: 8.0,
                    would_return: pb::WouldReturn::Yes.into(),
                    comment: "Quick and kind".into(),
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .expect("the survey is answered")
            .into_inner();
        assert_eq!(
            answered
                .survey
                .and_then(|s| s.answer)
                .map(|a| a.satisfaction_ratio),
            Some(1.125)
        );

        // The rest of the recovery, and an improvement so it does not recur.
        for (s, c) in [
            (pb::RecoveryStep::Fix, pb::RecoveryChannel::Unspecified),
            (pb::RecoveryStep::Contact, pb::RecoveryChannel::Email),
            (
                pb::RecoveryStep::SharedWithStaff,
                pb::RecoveryChannel::Unspecified,
            ),
        ] {
            owner
                .record_recovery_step(step(s, c))
                .await
                .expect("a step is recorded");
        }
        owner
            .create_improvement_action(pb::CreateImprovementActionRequest {
                improvement_action: Some(pb::ImprovementAction {
                    title: "Book carrier slots a day ahead".into(),
                    owner: "ops-lead".into(),
                    due_time: Some(prost_types::Timestamp {
                        seconds: jiff::Timestamp::now().as_second() + 30 * 86_400,
                        nanos: 0,
                    }),
                    ..Default::default()
                }),
                complaints: vec![complaint.clone()],
                request_id: request_id(),
            })
            .await
            .expect("an improvement action");

        // Every step is done (follow-up by the closure itself): no override.
        owner
            .close_complaint(pb::CloseComplaintRequest {
                name: complaint.clone(),
                ..Default::default()
            })
            .await
            .expect("closed with every step done");
        let plan = owner
            .get_recovery_plan(pb::GetRecoveryPlanRequest {
                name: complaint.clone(),
            })
            .await
            .expect("the plan")
            .into_inner()
            .plan
            .expect("a plan");
        assert!(plan.missing_steps.is_empty(), "{plan:?}");
        assert!(plan.overrides.is_empty());
        assert!(plan.steps.iter().all(|s| s.done), "{plan:?}");
        assert_eq!(plan.steps.len(), 7);

        // Two seconds later the follow-up is due: in the owner's queue and
        // the customer's inbox.
        let due = eventually("the follow-up in the owner's queue", || {
            let mut owner = owner.clone();
            async move {
                let work = owner
                    .list_my_work(pb::ListMyWorkRequest::default())
                    .await
                    .ok()?
                    .into_inner();
                work.follow_ups_due.into_iter().next()
            }
        })
        .await;
        assert!(due.name.starts_with(&complaint), "{due:?}");
        in_inbox(&inbox, &customer, "complaint.follow_up").await;

        // The answer shows on the customer.
        let satisfaction = eventually("the satisfaction on the customer", || {
            let mut customers = customers.clone();
            let customer = customer.clone();
            async move {
                let found = customers
                    .get_customer(cpb::GetCustomerRequest { name: customer })
                    .await
                    .ok()?
                    .into_inner()
                    .customer?;
                found.satisfaction.filter(|s| s.record_count == 1)
            }
        })
        .await;
        assert_eq!(satisfaction.current_ratio, 1.125);

        // And the figures tell it: one survey, CSAT 5, goodwill given.
        let mut supervisor = complaints(&suite, "lead-1", &[Role::Supervisor]);
        let now = jiff::Timestamp::now();
        let insights = supervisor
            .get_complaint_insights(pb::GetComplaintInsightsRequest {
                start_time: Some(prost_types::Timestamp {
                    seconds: now.as_second() - 3600,
                    nanos: 0,
                }),
                end_time: Some(prost_types::Timestamp {
                    seconds: now.as_second() + 60,
                    nanos: 0,
                }),
                ..Default::default()
            })
            .await
            .expect("insights")
            .into_inner();
        let recovery = insights.recovery.expect("recovery outcomes");
        assert_eq!(recovery.surveys_answered, 1);
        assert_eq!(recovery.csat_counts, [0, 0, 0, 0, 1]);
        assert_eq!(recovery.closed, 1);
        assert_eq!(insights.goodwill_totals.len(), 1);
        assert_eq!(insights.goodwill_totals[0].fulfilled_count, 1);
        assert_eq!(insights.root_causes.len(), 1);
    });
}
