//! Test support for the customers service's API tests: [`spawn_app`] starts
//! the real service on a free port of 127.0.0.1 against a fresh PostgreSQL
//! database (provisioned and migrated as a deployment would be, reached
//! through the service's own login role) with a [`ManualClock`], and hands
//! back a [`TestApp`] that makes gRPC clients carrying freshly minted tokens,
//! moves the clock, runs the review sweep, and reads the schema through the
//! admin pool to check what was (not) written.
//!
//! Tests run on tokio's multi-thread runtime (`#[tokio::test(flavor =
//! "multi_thread")]`): dropping a [`TestApp`] drops its database
//! synchronously, and on a current-thread runtime a connection the pools were
//! still opening in a spawned task would stay half-authenticated meanwhile,
//! which stalls every `DROP DATABASE` on the cluster until PostgreSQL's
//! authentication timeout (60 s).
//!
//! Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use redress_customers::{Dependencies, Settings};
use redress_platform::Secret;
use redress_platform::auth::{
    AuthSettings, BearerInterceptor, Role, Verifier, generate_dev_secret, mint_dev_token,
};
use redress_platform::clock::ManualClock;
use redress_platform::db::{self, PoolSettings};
use redress_platform::grpc::GrpcSettings;
use redress_platform::testing::TestDatabase;
use redress_platform::wire;
use sqlx::{AssertSqlSafe, PgPool};
use tokio::sync::oneshot;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

pub use redress_proto::customers::v1 as pb;

/// The error domain every status of this service carries.
pub const DOMAIN: &str = "customers.redress";

/// A customers client whose calls carry one caller's bearer token.
pub type Client = pb::customer_service_client::CustomerServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;

/// A running customers service and what a test needs around it. Dropping it
/// stops the service and drops the database.
pub struct TestApp {
    /// Resolves the service's shutdown future when sent to or dropped.
    /// Declared first so it is dropped first.
    shutdown: Option<oneshot::Sender<()>>,
    /// Where the service listens.
    pub address: SocketAddr,
    /// The service's clock; move it with [`TestApp::advance`].
    pub clock: ManualClock,
    /// The service's own pool (its login role, `search_path` = customers).
    pub pool: PgPool,
    /// The login URL of the customers role.
    pub login_url: Secret,
    /// The settings the service runs with.
    pub settings: Settings,
    /// The development secret tokens are signed with.
    pub secret: Secret,
    /// One lazily connected channel every client shares.
    pub channel: Channel,
    /// The test's database; dropped last.
    pub db: TestDatabase,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("address", &self.address)
            .field("database", &self.db.database_name())
            .finish_non_exhaustive()
    }
}

/// Settings for tests: the defaults, but the background review loop stays
/// out of the way (tests run the sweep themselves with [`TestApp::review`]).
pub fn test_settings() -> Settings {
    Settings {
        review_interval_seconds: 24 * 60 * 60,
        ..Settings::default()
    }
}

/// Starts the service with [`test_settings`].
pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

/// Starts the service with `settings` on a free port against a fresh
/// database.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let db = TestDatabase::new().await;
    let login_url = db.provision(&redress_customers::schema()).await;
    let pool = db::connect(&login_url, "customers", &PoolSettings::default())
        .await
        .expect("the customers role can connect");
    let clock = ManualClock::starting_now();
    let secret = generate_dev_secret();
    let verifier =
        Verifier::new(&AuthSettings::development(secret.clone())).expect("a development verifier");
    let deps = Dependencies {
        pool: pool.clone(),
        clock: clock.shared(),
        verifier: Arc::new(verifier),
    };
    let service = redress_customers::build_with(
        "127.0.0.1:0".parse().expect("a socket address"),
        &GrpcSettings::default(),
        settings.clone(),
        deps,
    )
    .await
    .expect("the service builds");
    let address = service.local_addr();
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(service.run_until(async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{address}"))
        .expect("an endpoint URI")
        .connect_timeout(Duration::from_secs(10))
        .connect_lazy();
    TestApp {
        shutdown: Some(shutdown),
        address,
        clock,
        pool,
        login_url,
        settings,
        secret,
        channel,
        db,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl TestApp {
    /// A token for `subject` holding `roles`, valid for ten minutes.
    pub fn token(&self, subject: &str, roles: &[Role]) -> String {
        mint_dev_token(
            &self.secret,
            subject,
            roles,
            None,
            None,
            Duration::from_secs(600),
        )
        .expect("a development token")
    }

    /// A client calling as `subject` with `roles`.
    pub fn client_as(&self, subject: &str, roles: &[Role]) -> Client {
        let token = Secret::new(self.token(subject, roles));
        let interceptor = BearerInterceptor::new(&token).expect("a valid header value");
        pb::customer_service_client::CustomerServiceClient::with_interceptor(
            self.channel.clone(),
            interceptor,
        )
    }

    /// A client calling with `roles`.
    pub fn client(&self, roles: &[Role]) -> Client {
        self.client_as("tester", roles)
    }

    /// A call-centre agent (`agent-7`).
    pub fn agent(&self) -> Client {
        self.client_as("agent-7", &[Role::Agent])
    }

    /// An administrator.
    pub fn admin(&self) -> Client {
        self.client_as("admin-1", &[Role::Admin])
    }

    /// Another system calling machine to machine (`billing`).
    pub fn service(&self) -> Client {
        self.client_as("billing", &[Role::Service])
    }

    /// Now, on the service's clock.
    pub fn now(&self) -> Timestamp {
        use redress_platform::clock::Clock;
        self.clock.now()
    }

    /// Moves the service's clock forward by `days`.
    pub fn advance_days(&self, days: i64) {
        self.clock.advance(SignedDuration::from_hours(24 * days));
    }

    /// Runs the review sweep at the clock's time, as the background loop
    /// would; returns how many customers were reviewed.
    pub async fn review(&self) -> usize {
        redress_customers::review_due_customers(&self.pool, &self.clock.shared(), &self.settings)
            .await
            .expect("the review sweep runs")
    }

    /// Creates `customer` as an agent and returns it as stored.
    pub async fn create(&self, customer: pb::Customer) -> pb::Customer {
        self.agent()
            .create_customer(pb::CreateCustomerRequest {
                customer: Some(customer),
                request_id: String::new(),
            })
            .await
            .expect("the customer is created")
            .into_inner()
            .customer
            .expect("a customer in the response")
    }

    /// Reads a customer as an agent.
    pub async fn get(&self, name: &str) -> pb::Customer {
        self.agent()
            .get_customer(pb::GetCustomerRequest { name: name.into() })
            .await
            .expect("the customer is found")
            .into_inner()
            .customer
            .expect("a customer in the response")
    }

    /// Records a purchase of `units` whole euros at `at`, as the billing
    /// system; returns the customer as it is afterwards.
    pub async fn purchase(&self, customer: &str, units: i64, at: Timestamp) -> pb::Customer {
        self.record(
            customer,
            pb::TransactionKind::Purchase,
            Some(euros(units)),
            at,
        )
        .await
    }

    /// Records a transaction as the billing system; returns the customer as
    /// it is afterwards.
    pub async fn record(
        &self,
        customer: &str,
        kind: pb::TransactionKind,
        amount: Option<Money>,
        at: Timestamp,
    ) -> pb::Customer {
        self.service()
            .record_transaction(pb::RecordTransactionRequest {
                parent: customer.into(),
                transaction: Some(pb::Transaction {
                    kind: kind.into(),
                    amount,
                    occur_time: Some(wire::timestamp(at)),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("the transaction is recorded")
            .into_inner()
            .customer
            .expect("a customer in the response")
    }

    /// Rows in `customers.<table>`, read as the admin.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT count(*) FROM customers.{table}"
        )))
        .fetch_one(self.db.admin_pool())
        .await
        .expect("a count")
    }

    /// Rows in `customers.<table>` for one customer, read as the admin.
    pub async fn count_for(&self, table: &str, customer: &str) -> i64 {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT count(*) FROM customers.{table} WHERE customer_id = $1"
        )))
        .bind(id_of(customer))
        .fetch_one(self.db.admin_pool())
        .await
        .expect("a count")
    }
}

/// `google.type.Money`.
pub type Money = redress_proto::google::r#type::Money;

/// `units` whole euros.
pub fn euros(units: i64) -> Money {
    Money {
        currency_code: "EUR".into(),
        units,
        nanos: 0,
    }
}

/// The id in a `customers/{id}` name.
pub fn id_of(name: &str) -> uuid::Uuid {
    name.strip_prefix("customers/")
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .expect("a customers/{uuid} name")
}

/// A protobuf timestamp.
pub fn ts(at: Timestamp) -> prost_types::Timestamp {
    wire::timestamp(at)
}

/// A valid person with only the required fields.
pub fn person(display_name: &str) -> pb::Customer {
    pb::Customer {
        display_name: display_name.into(),
        kind: pb::CustomerKind::Person.into(),
        ..Default::default()
    }
}

/// A valid organisation of `size`.
pub fn organisation(display_name: &str, size: pb::CustomerSize) -> pb::Customer {
    pb::Customer {
        display_name: display_name.into(),
        kind: pb::CustomerKind::Organisation.into(),
        size: size.into(),
        ..Default::default()
    }
}

/// A phone contact point, as typed.
pub fn phone(typed: &str) -> pb::ContactPoint {
    pb::ContactPoint {
        point: Some(pb::contact_point::Point::Phone(typed.into())),
        verified: false,
        label: String::new(),
    }
}

/// An e-mail contact point, as typed.
pub fn email(typed: &str) -> pb::ContactPoint {
    pb::ContactPoint {
        point: Some(pb::contact_point::Point::Email(typed.into())),
        verified: false,
        label: String::new(),
    }
}

/// A postal address in `region_code`.
pub fn postal(line: &str, region_code: &str) -> pb::ContactPoint {
    pb::ContactPoint {
        point: Some(pb::contact_point::Point::Postal(pb::PostalAddress {
            lines: vec![line.into()],
            locality: "Amsterdam".into(),
            administrative_area: String::new(),
            postal_code: "1012 JS".into(),
            region_code: region_code.into(),
        })),
        verified: true,
        label: "home".into(),
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

/// The field paths of a status's `BadRequest` violations, in order.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|violation| violation.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts INVALID_ARGUMENT with one violation for each of `fields` and no
/// others, each described (and never repeated).
pub fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(reason(status), "INVALID_ARGUMENT");
    let got = violated_fields(status);
    let unique: BTreeSet<&str> = got.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), got.len(), "a field reported twice: {got:?}");
    let expected: BTreeSet<&str> = fields.iter().copied().collect();
    assert_eq!(unique, expected, "{status:?}");
    let details = status.get_error_details();
    let bad = details.bad_request().expect("a BadRequest");
    assert!(
        bad.field_violations
            .iter()
            .all(|v| !v.description.is_empty()),
        "every violation says what is wrong: {bad:?}"
    );
}

/// Asserts `code` and `ErrorInfo.reason`.
pub fn assert_status(status: &Status, code: Code, expected_reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(status), expected_reason, "{status:?}");
}
