//! A crisis run end to end through the whole suite, as `redress up` runs
//! it: a burst of complaints about one product raises an early warning, a
//! crisis is declared from it, its team is formed, the affected customers
//! are linked by a selector the customers service resolves, a statement in
//! two languages is approved by the spokesperson and released, the
//! broadcast reaches every affected customer's inbox (in their language)
//! through the notifications service, and the crisis is walked to its
//! review and closed, every step on its timeline.
//!
//! Real time runs here, so the spike rule needs no warm-up: a series that
//! was silent and suddenly counts a dozen complaints in a minute is a spike.

mod support;

use std::time::{Duration, Instant};

use redress_platform::auth::{BearerInterceptor, Role};
use redress_proto::complaints::v1 as kpb;
use redress_proto::crisis::v1 as pb;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as npb;
use support::Suite;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const CONFIG: &str = r#"
[crisis]
scheduler_interval_ms = 200

[crisis.early_warning.spike]
warmup_minutes = 0
"#;

/// The product the burst is about.
const PRODUCT: &str = "router-x";
/// The tag the affected customers carry.
const TAG: &str = "router-x-owner";

type Intercepted = InterceptedService<Channel, BearerInterceptor>;
type Crisis = pb::crisis_service_client::CrisisServiceClient<Intercepted>;

fn channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect_lazy()
}

fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn crisis_client(suite: &Suite, subject: &str, roles: &[Role]) -> Crisis {
    pb::crisis_service_client::CrisisServiceClient::with_interceptor(
        channel(&suite.crisis_endpoint),
        suite.bearer(subject, roles, None),
    )
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

/// Moves the crisis to `state`, with its current etag.
async fn transition(client: &mut Crisis, name: &str, state: pb::CrisisState) -> pb::Crisis {
    let etag = client
        .get_crisis(pb::GetCrisisRequest {
            name: name.to_owned(),
        })
        .await
        .expect("the crisis reads")
        .into_inner()
        .crisis
        .expect("a crisis")
        .etag;
    client
        .transition_crisis(pb::TransitionCrisisRequest {
            name: name.to_owned(),
            state: state.into(),
            note: String::new(),
            etag,
        })
        .await
        .unwrap_or_else(|status| panic!("the move to {state:?} is taken: {status:?}"))
        .into_inner()
        .crisis
        .expect("a crisis")
}

#[test]
fn a_burst_of_complaints_becomes_a_crisis_whose_approved_statement_reaches_every_affected_customer()
{
    let suite = Suite::start_with_config(CONFIG);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let mut customers = cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            channel(&suite.endpoint),
            suite.bearer("agent-1", &[Role::Agent], Some("front")),
        );
        let mut complaints =
            kpb::complaint_service_client::ComplaintServiceClient::with_interceptor(
                channel(&suite.complaints_endpoint),
                suite.bearer("agent-1", &[Role::Agent], Some("front")),
            );
        let inbox = npb::notification_service_client::NotificationServiceClient::with_interceptor(
            channel(&suite.notifications_endpoint),
            suite.bearer("front-end", &[Role::Service], None),
        );
        let mut commander = crisis_client(&suite, "cm-1", &[Role::CrisisManager]);
        let mut spokesperson = crisis_client(&suite, "spokes-1", &[Role::Communications]);

        // Three owners of the product (one German-speaking), one customer
        // who does not own it.
        let mut owners = Vec::new();
        for (display_name, locale, tags) in [
            ("Ada Lovelace", "en-GB", vec![TAG.to_owned()]),
            ("Grace Hopper", "en-US", vec![TAG.to_owned()]),
            ("Emmy Noether", "de-DE", vec![TAG.to_owned()]),
            ("Alan Turing", "en-GB", vec![]),
        ] {
            let name = customers
                .create_customer(cpb::CreateCustomerRequest {
                    customer: Some(cpb::Customer {
                        display_name: display_name.into(),
                        kind: cpb::CustomerKind::Person.into(),
                        locale: locale.into(),
                        tags: tags.clone(),
                        ..Default::default()
                    }),
                    request_id: request_id(),
                })
                .await
                .expect("a customer")
                .into_inner()
                .customer
                .expect("a customer")
                .name;
            owners.push((name, locale, !tags.is_empty()));
        }

        // A burst: a dozen complaints about the product at once.
        for i in 0..12 {
            let customer = &owners[i % 3].0;
            complaints
                .create_complaint(kpb::CreateComplaintRequest {
                    complaint: Some(kpb::Complaint {
                        customer: customer.clone(),
                        channel: kpb::Channel::Phone.into(),
                        kind: kpb::ComplaintKind::Complaint.into(),
                        summary: "The router drops the connection every hour".into(),
                        category: "not_provided".into(),
                        product: PRODUCT.into(),
                        region: "DE".into(),
                        severity: kpb::Severity::High.into(),
                        ..Default::default()
                    }),
                    request_id: request_id(),
                })
                .await
                .expect("the complaint is taken in");
        }

        // The early warning: a spike in the product's series, with evidence.
        let warning = eventually("a spike warning on the product", || {
            let mut client = commander.clone();
            async move {
                client
                    .list_warnings(pb::ListWarningsRequest {
                        states: vec![pb::WarningState::Open.into()],
                        ..Default::default()
                    })
                    .await
                    .ok()?
                    .into_inner()
                    .warnings
                    .into_iter()
                    .find(|w| {
                        w.source == pb::WarningSource::Spike as i32
                            && w.evidence.as_ref().is_some_and(|e| {
                                e.dimension == pb::SeriesDimension::Product as i32
                                    && e.series_value == PRODUCT
                            })
                    })
            }
        })
        .await;
        let evidence = warning.evidence.clone().expect("evidence");
        assert!(evidence.count >= 5, "the burst is counted: {evidence:?}");
        assert!(!evidence.sample_complaints.is_empty());

        // Declared from the warning, which is escalated.
        let crisis = commander
            .declare_crisis(pb::DeclareCrisisRequest {
                crisis: Some(pb::Crisis {
                    title: "Router X drops connections".into(),
                    r#type: "service_quality".into(),
                    likelihood: 5,
                    impact: 4,
                    scope: Some(pb::CrisisScope {
                        products: vec![PRODUCT.into()],
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                origin: Some(pb::declare_crisis_request::Origin::Warning(
                    warning.name.clone(),
                )),
                commander: String::new(),
                request_id: request_id(),
            })
            .await
            .expect("the crisis is declared")
            .into_inner()
            .crisis
            .expect("a crisis");
        assert_eq!(crisis.state, pb::CrisisState::Declared as i32);
        assert_eq!(crisis.priority, pb::CrisisPriority::P1 as i32);
        let escalated = commander
            .get_warning(pb::GetWarningRequest {
                name: warning.name.clone(),
            })
            .await
            .expect("the warning reads")
            .into_inner()
            .warning
            .expect("a warning");
        assert_eq!(escalated.state, pb::WarningState::Escalated as i32);
        assert_eq!(escalated.crisis, crisis.name);

        // The team forms around the commander.
        for (subject, role) in [
            ("comms-1", pb::TeamRole::CommunicationsLead),
            ("spokes-1", pb::TeamRole::Spokesperson),
        ] {
            commander
                .assign_crisis_role(pb::AssignCrisisRoleRequest {
                    crisis: crisis.name.clone(),
                    member: Some(pb::TeamMember {
                        subject: subject.into(),
                        role: role.into(),
                        ..Default::default()
                    }),
                    request_id: request_id(),
                })
                .await
                .expect("the role is given");
        }
        transition(&mut commander, &crisis.name, pb::CrisisState::Assessing).await;
        transition(&mut commander, &crisis.name, pb::CrisisState::Responding).await;

        // The burst's complaints and the product's owners are linked; the
        // owner who complained first is heavily affected.
        commander
            .link_complaints(pb::LinkComplaintsRequest {
                crisis: crisis.name.clone(),
                complaints: evidence.sample_complaints.clone(),
            })
            .await
            .expect("the complaints are linked");
        let link = commander
            .link_affected_customers(pb::LinkAffectedCustomersRequest {
                crisis: crisis.name.clone(),
                customers: Some(pb::link_affected_customers_request::Customers::Selector(
                    cpb::CustomerSelector {
                        tags: vec![TAG.into()],
                        ..Default::default()
                    },
                )),
                impact: pb::ImpactLevel::Normal.into(),
                request_id: request_id(),
            })
            .await
            .expect("the selector link starts")
            .into_inner()
            .link
            .expect("a link");
        commander
            .link_affected_customers(pb::LinkAffectedCustomersRequest {
                crisis: crisis.name.clone(),
                customers: Some(pb::link_affected_customers_request::Customers::Names(
                    pb::CustomerNames {
                        names: vec![owners[0].0.clone()],
                    },
                )),
                impact: pb::ImpactLevel::Heavy.into(),
                request_id: request_id(),
            })
            .await
            .expect("the heavily affected customer is linked");
        eventually("the selector link to finish", || {
            let mut client = commander.clone();
            let name = link.name.clone();
            async move {
                let link = client
                    .get_customer_link(pb::GetCustomerLinkRequest { name })
                    .await
                    .ok()?
                    .into_inner()
                    .link?;
                (link.state == pb::CustomerLinkState::Done as i32).then_some(link)
            }
        })
        .await;
        let linked = commander
            .get_crisis(pb::GetCrisisRequest {
                name: crisis.name.clone(),
            })
            .await
            .expect("the crisis reads")
            .into_inner()
            .crisis
            .expect("a crisis");
        assert_eq!(linked.heavy_customer_count, 1);
        assert_eq!(linked.normal_customer_count, 2);
        assert!(linked.complaint_count >= 1);

        // The statement, in English and German, approved by the
        // spokesperson and released.
        let draft = spokesperson
            .create_statement(pb::CreateStatementRequest {
                parent: crisis.name.clone(),
                statement: Some(pb::Statement {
                    audience: pb::Audience::AffectedCustomers.into(),
                    variants: vec![
                        pb::StatementVariant {
                            locale: "en".into(),
                            headline: "Router X connection drops".into(),
                            body:
                                "We are sorry: a fault drops connections hourly. A fix ships today."
                                    .into(),
                        },
                        pb::StatementVariant {
                            locale: "de".into(),
                            headline: "Verbindungsabbrüche beim Router X".into(),
                            body: "Es tut uns leid: Ein Fehler trennt stündlich die Verbindung. \
                                   Die Korrektur kommt heute."
                                .into(),
                        },
                    ],
                    critical: true,
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .expect("the statement is drafted")
            .into_inner()
            .statement
            .expect("a statement");
        let approved = spokesperson
            .approve_statement(pb::ApproveStatementRequest {
                name: draft.name.clone(),
                etag: draft.etag.clone(),
            })
            .await
            .expect("the spokesperson approves it")
            .into_inner()
            .statement
            .expect("a statement");
        assert_eq!(approved.approved_by, "spokes-1");
        let released = spokesperson
            .release_statement(pb::ReleaseStatementRequest {
                name: draft.name.clone(),
            })
            .await
            .expect("the statement is released")
            .into_inner()
            .statement
            .expect("a statement");
        assert_eq!(released.state, pb::StatementState::Released as i32);
        assert_eq!(released.recipient_count, 3);

        // Every affected customer gets it in their language; the customer
        // who does not own the product gets nothing.
        for (customer, locale, affected) in &owners {
            if !affected {
                continue;
            }
            let item = eventually(&format!("the statement in {customer}'s inbox"), || {
                let mut inbox = inbox.clone();
                let recipient = customer.clone();
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
                        .find(|i| i.kind == "crisis.statement")
                }
            })
            .await;
            let expected = if locale.starts_with("de") {
                "Verbindungsabbrüche beim Router X"
            } else {
                "Router X connection drops"
            };
            assert_eq!(item.subject, expected, "{customer} ({locale})");
        }
        let bystander = inbox
            .clone()
            .list_inbox(npb::ListInboxRequest {
                recipient: owners[3].0.clone(),
                ..Default::default()
            })
            .await
            .expect("the inbox reads")
            .into_inner()
            .items;
        assert!(bystander.iter().all(|i| i.kind != "crisis.statement"));

        // Stable, recovering, reviewed and closed.
        transition(&mut commander, &crisis.name, pb::CrisisState::Stable).await;
        transition(&mut commander, &crisis.name, pb::CrisisState::Recovering).await;
        transition(&mut commander, &crisis.name, pb::CrisisState::InReview).await;
        let review_name = format!("{}/review", crisis.name);
        commander
            .update_crisis_review(pb::UpdateCrisisReviewRequest {
                review: Some(pb::CrisisReview {
                    name: review_name.clone(),
                    root_cause: "A firmware timer reset the modem every hour".into(),
                    went_well: vec!["The warning came within a minute".into()],
                    went_badly: vec!["The fix took a day".into()],
                    lessons: vec!["Soak-test firmware for a day".into()],
                    actions: vec![pb::ReviewAction {
                        title: "Add a 24-hour soak test".into(),
                        owner: "eng-lead".into(),
                        due_time: None,
                    }],
                    plan_changes: "Add a firmware rollback task".into(),
                    ..Default::default()
                }),
            })
            .await
            .expect("the review is written");
        let review = commander
            .get_crisis_review(pb::GetCrisisReviewRequest { name: review_name })
            .await
            .expect("the review reads")
            .into_inner()
            .review
            .expect("a review");
        assert_eq!(review.actions.len(), 1);
        assert!(review.satisfaction_after.is_some());
        let closed = transition(&mut commander, &crisis.name, pb::CrisisState::Closed).await;
        let measures = closed.measures.expect("measures");
        assert!(measures.time_to_team.is_some());
        assert!(measures.time_to_first_statement.is_some());
        assert!(measures.time_to_stable.is_some());
        assert!(measures.duration.is_some());

        // The timeline tells the story in order.
        let timeline = commander
            .list_timeline(pb::ListTimelineRequest {
                crisis: crisis.name.clone(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .expect("the timeline reads")
            .into_inner()
            .entries;
        let sequences: Vec<i64> = timeline.iter().map(|e| e.sequence).collect();
        assert!(sequences.windows(2).all(|w| w[0] < w[1]));
        assert!(timeline.len() >= 10, "{timeline:#?}");
    });
}
