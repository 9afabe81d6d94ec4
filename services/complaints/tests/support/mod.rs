//! Test support for the complaints service's API tests: [`spawn_app`]
//! starts the real customers service and the real complaints service on
//! free ports of 127.0.0.1, each against its own schema of one fresh
//! PostgreSQL database (provisioned and migrated as a deployment would be,
//! reached through each service's own login role), sharing one
//! [`ManualClock`]; the complaints service calls the customers service over
//! real gRPC with its own service identity. The [`TestApp`] makes clients
//! for any caller, moves the clock, runs the SLA scheduler, and reads the
//! schema through the admin pool to check what was (not) written.
//!
//! Tests run on tokio's multi-thread runtime (see the customers service's
//! test support for why).
#![allow(dead_code)]

pub mod goodwill;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use redress_complaints::{CustomerDirectory, Dependencies, Settings};
use redress_platform::Secret;
use redress_platform::auth::{
    AuthSettings, BearerInterceptor, Role, ServiceIdentity, Verifier, generate_dev_secret,
    mint_dev_token,
};
use redress_platform::clock::{Clock, ManualClock};
use redress_platform::db::{self, PoolSettings};
use redress_platform::grpc::{ClientSettings, GrpcSettings};
use redress_platform::testing::TestDatabase;
use sqlx::{AssertSqlSafe, PgPool};
use tokio::sync::oneshot;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

pub use redress_proto::complaints::v1 as pb;
pub use redress_proto::customers::v1 as cpb;

/// The error domain every status of this service carries.
pub const DOMAIN: &str = "complaints.redress";

/// A complaints client whose calls carry one caller's bearer token.
pub type Client = pb::complaint_service_client::ComplaintServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;

/// A customers client.
pub type CustomersClient = cpb::customer_service_client::CustomerServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;

/// A running service and its shutdown.
struct Running {
    shutdown: Option<oneshot::Sender<()>>,
    address: SocketAddr,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Both services and what a test needs around them. Dropping it stops them
/// and drops the database.
pub struct TestApp {
    complaints: Option<Running>,
    customers: Option<Running>,
    /// The shared clock.
    pub clock: ManualClock,
    /// The complaints service's own pool.
    pub pool: PgPool,
    /// The complaints login URL.
    pub login_url: Secret,
    /// The settings the complaints service runs with.
    pub settings: Settings,
    /// The development secret.
    pub secret: Secret,
    /// A channel to the complaints service.
    pub channel: Channel,
    /// A channel to the customers service.
    pub customers_channel: Channel,
    /// The customers service's endpoint.
    pub customers_endpoint: String,
    /// The test's database; dropped last.
    pub db: TestDatabase,
}

/// Settings for tests: the defaults, with the background scheduler out of
/// the way (tests run it with [`TestApp::run_scheduler`]).
pub fn test_settings() -> Settings {
    Settings {
        scheduler_interval_ms: 24 * 60 * 60 * 1000,
        ..Settings::default()
    }
}

/// Starts both services with [`test_settings`] at a fixed Monday noon UTC.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

/// A Monday, 12:00 UTC.
pub fn monday_noon() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().expect("a timestamp")
}

fn channel_to(address: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}"))
        .expect("an endpoint URI")
        .connect_timeout(Duration::from_secs(10))
        .connect_lazy()
}

/// Starts both services with `settings` against a fresh database.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new(monday_noon());
    let secret = generate_dev_secret();
    let auth = AuthSettings::development(secret.clone());
    let verifier = Arc::new(Verifier::new(&auth).expect("a development verifier"));

    let customers_url = db.provision(&redress_customers::schema()).await;
    let customers_pool = db::connect(&customers_url, "customers", &PoolSettings::default())
        .await
        .expect("the customers role can connect");
    let customers = redress_customers::build_with(
        "127.0.0.1:0".parse().expect("an address"),
        &GrpcSettings::default(),
        redress_customers::Settings {
            review_interval_seconds: 24 * 60 * 60,
            ..redress_customers::Settings::default()
        },
        redress_customers::Dependencies {
            pool: customers_pool,
            clock: clock.shared(),
            verifier: verifier.clone(),
        },
    )
    .await
    .expect("the customers service builds");
    let customers_address = customers.local_addr();
    let (stop_customers, stopped) = oneshot::channel::<()>();
    tokio::spawn(customers.run_until(async {
        let _ = stopped.await;
    }));
    let customers_endpoint = format!("http://{customers_address}");

    let login_url = db.provision(&redress_complaints::schema()).await;
    let pool = db::connect(&login_url, "complaints", &PoolSettings::default())
        .await
        .expect("the complaints role can connect");
    let mut app = TestApp {
        complaints: None,
        customers: Some(Running {
            shutdown: Some(stop_customers),
            address: customers_address,
        }),
        clock,
        pool,
        login_url,
        settings,
        secret,
        channel: channel_to(customers_address),
        customers_channel: channel_to(customers_address),
        customers_endpoint,
        db,
    };
    app.start_complaints().await;
    app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.complaints.take();
        self.customers.take();
    }
}

impl TestApp {
    /// Starts (or restarts) the complaints service on a new port.
    pub async fn start_complaints(&mut self) {
        self.complaints.take();
        let auth = AuthSettings::development(self.secret.clone());
        let verifier = Arc::new(Verifier::new(&auth).expect("a development verifier"));
        let identity = Arc::new(
            ServiceIdentity::from_settings(&ClientSettings::default(), &auth, "complaints")
                .expect("a service identity"),
        );
        let client = ClientSettings {
            request_timeout_ms: 5_000,
            connect_timeout_ms: 1_000,
            ..ClientSettings::default()
        };
        let customers = CustomerDirectory::connect(&self.customers_endpoint, &client, identity)
            .await
            .expect("a customers client");
        let service = redress_complaints::build_with(
            "127.0.0.1:0".parse().expect("an address"),
            &GrpcSettings::default(),
            self.settings.clone(),
            Dependencies {
                pool: self.pool.clone(),
                clock: self.clock.shared(),
                verifier,
                customers,
            },
        )
        .await
        .expect("the complaints service builds");
        let address = service.local_addr();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(service.run_until(async {
            let _ = stopped.await;
        }));
        self.channel = channel_to(address);
        self.complaints = Some(Running {
            shutdown: Some(shutdown),
            address,
        });
    }

    /// Stops the customers service (it stays down).
    pub fn stop_customers(&mut self) {
        self.customers.take();
    }

    /// A token for `subject` of `team` holding `roles`.
    pub fn token(&self, subject: &str, roles: &[Role], team: Option<&str>) -> String {
        mint_dev_token(
            &self.secret,
            subject,
            roles,
            team,
            None,
            Duration::from_secs(600),
        )
        .expect("a development token")
    }

    /// A client calling as `subject` of `team` with `roles`.
    pub fn client_as(&self, subject: &str, roles: &[Role], team: Option<&str>) -> Client {
        let token = Secret::new(self.token(subject, roles, team));
        let interceptor = BearerInterceptor::new(&token).expect("a valid header value");
        pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
            self.channel.clone(),
            interceptor,
        )
    }

    /// Agent `subject` of team `front`.
    pub fn agent(&self, subject: &str) -> Client {
        self.client_as(subject, &[Role::Agent], Some("front"))
    }

    /// Supervisor `sup-1` of team `front`.
    pub fn supervisor(&self) -> Client {
        self.client_as("sup-1", &[Role::Supervisor], Some("front"))
    }

    /// An administrator.
    pub fn admin(&self) -> Client {
        self.client_as("admin-1", &[Role::Admin], None)
    }

    /// Another system (reads the feed).
    pub fn service(&self) -> Client {
        self.client_as("notifications", &[Role::Service], None)
    }

    /// A customers client for an administrator.
    pub fn customers(&self) -> CustomersClient {
        let token = Secret::new(self.token("admin-1", &[Role::Admin], None));
        let interceptor = BearerInterceptor::new(&token).expect("a valid header value");
        cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            self.customers_channel.clone(),
            interceptor,
        )
    }

    /// Now, on the shared clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
    }

    /// Runs the SLA scheduler once at the clock's time.
    pub async fn run_scheduler(&self) -> redress_complaints::scheduler::Pass {
        let policies = self.settings.policies().expect("valid policies");
        redress_complaints::scheduler::run_once(&self.pool, &policies, self.now())
            .await
            .expect("the scheduler runs")
    }

    /// Runs the follow-up pass of the scheduler once at the clock's time,
    /// asking the customers service as the complaints service does.
    pub async fn run_follow_ups(&self) -> redress_complaints::scheduler::FollowUpPass {
        let auth = AuthSettings::development(self.secret.clone());
        let identity = Arc::new(
            ServiceIdentity::from_settings(&ClientSettings::default(), &auth, "complaints")
                .expect("a service identity"),
        );
        let directory = CustomerDirectory::connect(
            &self.customers_endpoint,
            &ClientSettings::default(),
            identity,
        )
        .await
        .expect("a customers client");
        redress_complaints::scheduler::follow_ups_once(&self.pool, &directory, self.now())
            .await
            .expect("the follow-up pass runs")
    }

    /// Creates a customer and returns its name.
    pub async fn customer(&self, display_name: &str) -> String {
        self.customers()
            .create_customer(cpb::CreateCustomerRequest {
                customer: Some(cpb::Customer {
                    display_name: display_name.into(),
                    kind: cpb::CustomerKind::Person.into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("the customer is created")
            .into_inner()
            .customer
            .expect("a customer")
            .name
    }

    /// Creates `complaint` as `client` and returns it.
    pub async fn create_as(&self, client: &mut Client, complaint: pb::Complaint) -> pb::Complaint {
        client
            .create_complaint(pb::CreateComplaintRequest {
                complaint: Some(complaint),
                request_id: request_id(),
            })
            .await
            .expect("the complaint is created")
            .into_inner()
            .complaint
            .expect("a complaint")
    }

    /// A new customer's complaint received by `agent-1`.
    pub async fn received(&self) -> pb::Complaint {
        let customer = self.customer("Ada Lovelace").await;
        self.create_as(&mut self.agent("agent-1"), complaint(&customer))
            .await
    }

    /// Reads a complaint.
    pub async fn get(&self, name: &str) -> pb::Complaint {
        self.admin()
            .get_complaint(pb::GetComplaintRequest { name: name.into() })
            .await
            .expect("the complaint is found")
            .into_inner()
            .complaint
            .expect("a complaint")
    }

    /// Rows in `complaints.<table>`, read as the admin.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT count(*) FROM complaints.{table}"
        )))
        .fetch_one(self.db.admin_pool())
        .await
        .expect("a count")
    }

    /// Every event in the feed, in order.
    pub async fn events(&self) -> Vec<redress_proto::events::v1::Event> {
        let mut all = Vec::new();
        let mut after = 0;
        // The sequencer runs in the background; wait for it to catch up.
        let expected: i64 = sqlx::query_scalar("SELECT count(*) FROM complaints.outbox_events")
            .fetch_one(self.db.admin_pool())
            .await
            .expect("a count");
        for _ in 0..200 {
            let page = self
                .service()
                .list_complaint_events(pb::ListComplaintEventsRequest {
                    after_position: after,
                    page_size: 1000,
                    types: vec![],
                })
                .await
                .expect("the feed is listed")
                .into_inner();
            after = page.last_position;
            all.extend(page.events);
            if all.len() as i64 >= expected {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the feed did not catch up: {} of {expected}", all.len());
    }

    /// The types of every event about `name`, in feed order.
    pub async fn event_types_of(&self, name: &str) -> Vec<String> {
        self.events()
            .await
            .into_iter()
            .filter(|e| e.subject == name)
            .map(|e| e.r#type)
            .collect()
    }
}

/// A valid complaint of `customer` with only the required fields.
pub fn complaint(customer: &str) -> pb::Complaint {
    pb::Complaint {
        customer: customer.into(),
        channel: pb::Channel::Phone.into(),
        kind: pb::ComplaintKind::Complaint.into(),
        summary: "Parcel arrived a week late".into(),
        category: "too_slow/late_delivery".into(),
        severity: pb::Severity::Medium.into(),
        ..Default::default()
    }
}

/// A fresh request id.
pub fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The `ErrorInfo.reason` of a status, checking its domain.
pub fn reason(status: &Status) -> String {
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .unwrap_or_else(|| panic!("an ErrorInfo in {status:?}"));
    assert_eq!(info.domain, DOMAIN, "{status:?}");
    info.reason
}

/// The allowed next steps in a FAILED_PRECONDITION.
pub fn allowed(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .precondition_failure()
        .map(|p| p.violations.iter().map(|v| v.subject.clone()).collect())
        .unwrap_or_default()
}

/// Asserts `code` and `ErrorInfo.reason`.
pub fn assert_status(status: &Status, code: Code, expected_reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(status), expected_reason, "{status:?}");
}

/// Asserts INVALID_ARGUMENT with one violation for each of `fields` and no
/// others.
pub fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let got: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default();
    let unique: BTreeSet<&str> = got.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), got.len(), "a field reported twice: {got:?}");
    let expected: BTreeSet<&str> = fields.iter().copied().collect();
    assert_eq!(unique, expected, "{status:?}");
}
