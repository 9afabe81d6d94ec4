//! The scenario of the personal-data test (`telemetry_privacy.rs`, the
//! only test that loads this module): the people who act, the markers put
//! in every personal field, and the calls, one module per area. Each call
//! that must succeed does; each that must be refused is, so the test walks
//! the paths it means to.

mod complaints;
mod crisis;
mod customers;
mod notifications;
mod resolution;

use std::time::{Duration, Instant};

use redress_platform::auth::{BearerInterceptor, Role};
use redress_platform::testing::python::SmtpServer;
use redress_proto::complaints::v1 as pb;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as npb;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::support::Suite;

/// How long anything the scenario waits for may take.
const WAIT: Duration = Duration::from_secs(60);

pub(crate) type Intercepted = InterceptedService<Channel, BearerInterceptor>;
pub(crate) type Customers = cpb::customer_service_client::CustomerServiceClient<Intercepted>;
pub(crate) type Complaints = pb::complaint_service_client::ComplaintServiceClient<Intercepted>;
pub(crate) type Notifications =
    npb::notification_service_client::NotificationServiceClient<Intercepted>;

/// The marker of each personal field sent, by field.
#[derive(Debug, Default)]
pub(crate) struct Markers {
    /// `(field, marker)`, in the order made.
    pub(crate) sent: Vec<(String, String)>,
}

impl Markers {
    /// A new marker for `field` (ASCII letters only): `PIIMARK`, the field
    /// and sixteen random hex digits.
    pub(crate) fn text(&mut self, field: &str) -> String {
        let marker = format!(
            "PIIMARK{field}{}",
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        );
        self.sent.push((field.to_owned(), marker.clone()));
        marker
    }

    /// A new e-mail address for `field`, its local part a marker, ending in
    /// `suffix` (`bounce` makes the test SMTP server refuse it).
    pub(crate) fn email(&mut self, field: &str, suffix: &str) -> String {
        let address = format!("{}{suffix}@example.com", self.text(field).to_lowercase());
        self.sent
            .push((format!("{field} (whole address)"), address.clone()));
        address
    }

    /// A new Dutch mobile number for `field`, as typed (`+31 6 1234 5678`);
    /// both that and its E.164 form are markers.
    pub(crate) fn phone(&mut self, field: &str) -> String {
        // A Dutch mobile number in the 06-1 range: not every 06 number is
        // one the phone parser accepts, and a random first digit made this
        // test fail now and then.
        let random: String = uuid::Uuid::new_v4()
            .as_u128()
            .to_string()
            .chars()
            .take(7)
            .collect();
        let digits = format!("1{random}");
        let typed = format!("+31 6 {} {}", &digits[..4], &digits[4..]);
        self.sent
            .push((format!("{field} (as typed)"), typed.clone()));
        self.sent
            .push((format!("{field} (E.164)"), format!("+316{digits}")));
        typed
    }

    /// `(field, marker)` of every marker found in `haystack`, without
    /// regard to case.
    pub(crate) fn found_in(&self, haystack: &str) -> Vec<(&str, &str)> {
        let haystack = haystack.to_lowercase();
        self.sent
            .iter()
            .filter(|(_, marker)| haystack.contains(&marker.to_lowercase()))
            .map(|(field, marker)| (field.as_str(), marker.as_str()))
            .collect()
    }
}

/// A channel to `endpoint`, connected on first use.
pub(crate) fn channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect_lazy()
}

pub(crate) fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn money(units: i64) -> Option<redress_proto::google::r#type::Money> {
    Some(redress_proto::google::r#type::Money {
        currency_code: "EUR".into(),
        units,
        nanos: 0,
    })
}

/// Polls `probe` every 100 ms for up to [`WAIT`] until it gives a value.
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clients as the people of the scenario.
pub(crate) struct Cast {
    pub(crate) customers: Customers,
    /// agent-1 of the front team, who takes the complaint in.
    pub(crate) front: Complaints,
    /// agent-2, offered the complaint, who declines.
    pub(crate) agent2: Complaints,
    /// bill-3 of the billing team, who accepts it.
    pub(crate) billing: Complaints,
    /// log-7 of logistics, who answers an assist.
    pub(crate) logistics: Complaints,
    /// lead-1, a supervisor (of the billing team, once it is set up).
    pub(crate) supervisor: Complaints,
    /// An administrator at the complaints service (sets up the teams).
    pub(crate) complaints_admin: Complaints,
    /// The front end, a service, through which the customer answers.
    pub(crate) front_end: Complaints,
    /// agent-1 at the notifications service.
    pub(crate) notifications: Notifications,
    /// An administrator at the notifications service.
    pub(crate) notifications_admin: Notifications,
}

impl Cast {
    pub(crate) fn new(suite: &Suite) -> Self {
        let complaints = |subject: &str, roles: &[Role], team: Option<&str>| {
            pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
                channel(&suite.complaints_endpoint),
                suite.bearer(subject, roles, team),
            )
        };
        let notifications = |subject: &str, roles: &[Role]| {
            npb::notification_service_client::NotificationServiceClient::with_interceptor(
                channel(&suite.notifications_endpoint),
                suite.bearer(subject, roles, None),
            )
        };
        Self {
            customers: cpb::customer_service_client::CustomerServiceClient::with_interceptor(
                channel(&suite.endpoint),
                suite.bearer("agent-1", &[Role::Agent], Some("front")),
            ),
            front: complaints("agent-1", &[Role::Agent], Some("front")),
            agent2: complaints("agent-2", &[Role::Agent], Some("front")),
            billing: complaints("bill-3", &[Role::Agent], Some("billing")),
            logistics: complaints("log-7", &[Role::Agent], Some("logistics")),
            supervisor: complaints("lead-1", &[Role::Supervisor], Some("front")),
            complaints_admin: complaints("admin-1", &[Role::Admin], None),
            front_end: complaints("front-end", &[Role::Service], None),
            notifications: notifications("agent-1", &[Role::Agent]),
            notifications_admin: notifications("admin-1", &[Role::Admin]),
        }
    }
}

/// Runs the whole scenario against `suite`, whose e-mail channel is `smtp`,
/// putting markers in `markers`; the name of the complaint followed from
/// intake to reopening.
pub(crate) async fn run(suite: &Suite, smtp: &SmtpServer, markers: &mut Markers) -> String {
    let mut cast = Cast::new(suite);
    let m = markers;
    let (customer, bouncing) = customers::create_and_refuse(&mut cast, m).await;
    let complaint = complaints::take_in(&mut cast, m, &customer)
        .await
        .expect("a complaint");
    complaints::take_in(&mut cast, m, &bouncing)
        .await
        .expect("a complaint");
    let unknown = format!("customers/{}", uuid::Uuid::now_v7());
    let refused = complaints::take_in(&mut cast, m, &unknown)
        .await
        .expect_err("no complaint for an unknown customer");
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    complaints::change_hands(&mut cast, m, &complaint).await;
    resolution::resolve_and_follow_up(&mut cast, m, &complaint).await;
    notifications::send(&mut cast, m, smtp, &customer, &bouncing).await;
    crisis::respond(suite, m, &complaint).await;
    complaint
}
