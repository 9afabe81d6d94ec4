//! Test support for the crisis service's API tests: [`spawn_app`] starts the
//! real customers, complaints, notifications and crisis services on free
//! ports of 127.0.0.1, each against its own schema of one fresh PostgreSQL
//! database (provisioned and migrated as a deployment would be, reached
//! through each service's own login role), sharing one [`ManualClock`]. The
//! crisis service calls the others over real gRPC with its own service
//! identity and follows the real complaint feed. The [`TestApp`] makes
//! clients for any caller and moves the clock.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use redress_crisis::{Dependencies, Directories, Endpoints, Settings};
use redress_platform::Secret;
use redress_platform::auth::{
    AuthSettings, BearerInterceptor, Role, ServiceIdentity, Verifier, generate_dev_secret,
    mint_dev_token,
};
use redress_platform::clock::ManualClock;
use redress_platform::db::{self, PoolSettings};
use redress_platform::grpc::{ClientSettings, GrpcSettings};
use redress_platform::testing::TestDatabase;
use sqlx::PgPool;
use tokio::sync::oneshot;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use redress_proto::complaints::v1 as kpb;
pub use redress_proto::crisis::v1 as pb;
pub use redress_proto::customers::v1 as cpb;
pub use redress_proto::notifications::v1 as npb;

/// The error domain every status of this service carries.
pub const DOMAIN: &str = "crisis.redress";

type Bearer = InterceptedService<Channel, BearerInterceptor>;
/// A crisis client whose calls carry one caller's bearer token.
pub type Client = pb::crisis_service_client::CrisisServiceClient<Bearer>;
/// A customers client.
pub type CustomersClient = cpb::customer_service_client::CustomerServiceClient<Bearer>;
/// A complaints client.
pub type ComplaintsClient = kpb::complaint_service_client::ComplaintServiceClient<Bearer>;
/// A notifications client.
pub type NotificationsClient = npb::notification_service_client::NotificationServiceClient<Bearer>;

/// The four services and what a test needs around them. Dropping it stops
/// them and drops the database.
pub struct TestApp {
    stops: Vec<oneshot::Sender<()>>,
    /// The shared clock.
    pub clock: ManualClock,
    /// The crisis service's own pool.
    pub pool: PgPool,
    /// The notifications service's own pool.
    pub notifications_pool: PgPool,
    /// The settings the crisis service runs with.
    pub settings: Settings,
    secret: Secret,
    crisis: Channel,
    customers: Channel,
    complaints: Channel,
    notifications: Channel,
    /// The test's database; dropped last.
    pub db: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

/// A Monday, 12:00 UTC.
pub fn monday_noon() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().expect("a timestamp")
}

fn channel_to(address: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}"))
        .expect("an endpoint URI")
        .connect_timeout(Duration::from_secs(10))
        .connect_lazy()
}

/// Settings for tests: the defaults, with the scheduler fast.
pub fn test_settings() -> Settings {
    Settings {
        scheduler_interval_ms: 50,
        ..Settings::default()
    }
}

/// Starts the four services with [`test_settings`] at a Monday noon UTC.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

/// Starts the four services, the crisis service with `settings`.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new(monday_noon());
    let secret = generate_dev_secret();
    let auth = AuthSettings::development(secret.clone());
    let verifier = Arc::new(Verifier::new(&auth).expect("a development verifier"));
    let identity = |name: &str| {
        Arc::new(
            ServiceIdentity::from_settings(&ClientSettings::default(), &auth, name)
                .expect("a service identity"),
        )
    };
    let any = || "127.0.0.1:0".parse().expect("an address");
    let mut stops = Vec::new();
    let mut stop_later = || {
        let (stop, stopped) = oneshot::channel::<()>();
        stops.push(stop);
        async move {
            let _ = stopped.await;
        }
    };

    let url = db.provision(&redress_customers::schema()).await;
    let pool = db::connect(&url, "customers", &PoolSettings::default())
        .await
        .expect("the customers role can connect");
    let customers = redress_customers::build_with(
        any(),
        &GrpcSettings::default(),
        redress_customers::Settings {
            review_interval_seconds: 24 * 60 * 60,
            ..redress_customers::Settings::default()
        },
        redress_customers::Dependencies {
            pool,
            clock: clock.shared(),
            verifier: verifier.clone(),
        },
    )
    .await
    .expect("the customers service builds");
    let customers_address = customers.local_addr();
    tokio::spawn(customers.run_until(stop_later()));
    let customers_endpoint = format!("http://{customers_address}");

    let url = db.provision(&redress_complaints::schema()).await;
    let pool = db::connect(&url, "complaints", &PoolSettings::default())
        .await
        .expect("the complaints role can connect");
    let directory = redress_complaints::CustomerDirectory::connect(
        &customers_endpoint,
        &ClientSettings::default(),
        identity("complaints"),
    )
    .await
    .expect("a customers client");
    let complaints = redress_complaints::build_with(
        any(),
        &GrpcSettings::default(),
        redress_complaints::Settings {
            scheduler_interval_ms: 24 * 60 * 60 * 1000,
            ..redress_complaints::Settings::default()
        },
        redress_complaints::Dependencies {
            pool,
            clock: clock.shared(),
            verifier: verifier.clone(),
            customers: directory,
        },
    )
    .await
    .expect("the complaints service builds");
    let complaints_address = complaints.local_addr();
    tokio::spawn(complaints.run_until(stop_later()));
    let complaints_endpoint = format!("http://{complaints_address}");

    let url = db.provision(&redress_notifications::schema()).await;
    let notifications_pool = db::connect(&url, "notifications", &PoolSettings::default())
        .await
        .expect("the notifications role can connect");
    let directory = redress_notifications::CustomerDirectory::connect(
        &customers_endpoint,
        &ClientSettings::default(),
        identity("notifications"),
    )
    .await
    .expect("a customers client");
    let notifications = redress_notifications::build_with(
        any(),
        &GrpcSettings::default(),
        redress_notifications::Settings {
            poll_interval_ms: 20,
            follow_complaints: false,
            ..redress_notifications::Settings::default()
        },
        redress_notifications::Dependencies {
            pool: notifications_pool.clone(),
            clock: clock.shared(),
            verifier: verifier.clone(),
            customers: directory,
            complaints: None,
        },
    )
    .await
    .expect("the notifications service builds");
    let notifications_address = notifications.local_addr();
    tokio::spawn(notifications.run_until(stop_later()));
    let notifications_endpoint = format!("http://{notifications_address}");

    let url = db.provision(&redress_crisis::schema()).await;
    let pool = db::connect(&url, "crisis", &PoolSettings::default())
        .await
        .expect("the crisis role can connect");
    let directories = Directories::connect(
        Endpoints {
            customers: &customers_endpoint,
            complaints: &complaints_endpoint,
            notifications: &notifications_endpoint,
        },
        &ClientSettings::default(),
        identity("crisis"),
    )
    .await
    .expect("clients of the other services");
    let crisis = redress_crisis::build_with(
        any(),
        &GrpcSettings::default(),
        settings.clone(),
        Dependencies {
            pool: pool.clone(),
            clock: clock.shared(),
            verifier,
            directories,
        },
    )
    .await
    .expect("the crisis service builds");
    let crisis_address = crisis.local_addr();
    tokio::spawn(crisis.run_until(stop_later()));

    TestApp {
        stops,
        clock,
        pool,
        notifications_pool,
        settings,
        secret,
        crisis: channel_to(crisis_address),
        customers: channel_to(customers_address),
        complaints: channel_to(complaints_address),
        notifications: channel_to(notifications_address),
        db,
    }
}

impl TestApp {
    fn bearer(&self, subject: &str, roles: &[Role], team: Option<&str>) -> BearerInterceptor {
        let token = mint_dev_token(
            &self.secret,
            subject,
            roles,
            team,
            None,
            Duration::from_secs(3600),
        )
        .expect("a development token");
        BearerInterceptor::new(&Secret::new(token)).expect("a header value")
    }

    /// A raw bearer token for `subject` with `roles`.
    pub fn token(&self, subject: &str, roles: &[Role]) -> String {
        mint_dev_token(
            &self.secret,
            subject,
            roles,
            None,
            None,
            Duration::from_secs(3600),
        )
        .expect("a development token")
    }

    /// The development secret the services verify tokens with.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// A plain channel to the crisis service (no token).
    pub fn channel(&self) -> Channel {
        self.crisis.clone()
    }

    /// A crisis client for `subject` with `roles`.
    pub fn client(&self, subject: &str, roles: &[Role]) -> Client {
        pb::crisis_service_client::CrisisServiceClient::with_interceptor(
            self.crisis.clone(),
            self.bearer(subject, roles, None),
        )
    }

    /// A crisis client for `subject` of team `team` with `roles`.
    pub fn client_of_team(&self, subject: &str, roles: &[Role], team: &str) -> Client {
        pb::crisis_service_client::CrisisServiceClient::with_interceptor(
            self.crisis.clone(),
            self.bearer(subject, roles, Some(team)),
        )
    }

    /// A customers client with every role.
    pub fn customers(&self) -> CustomersClient {
        cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            self.customers.clone(),
            self.bearer("test-admin", &Role::ALL, None),
        )
    }

    /// A complaints client for an agent of team `team`.
    pub fn complaints(&self, subject: &str, team: &str) -> ComplaintsClient {
        kpb::complaint_service_client::ComplaintServiceClient::with_interceptor(
            self.complaints.clone(),
            self.bearer(subject, &[Role::Agent], Some(team)),
        )
    }

    /// A notifications client with every role.
    pub fn notifications(&self) -> NotificationsClient {
        npb::notification_service_client::NotificationServiceClient::with_interceptor(
            self.notifications.clone(),
            self.bearer("test-admin", &Role::ALL, None),
        )
    }

    /// Moves the shared clock forward.
    pub fn advance(&self, by: jiff::SignedDuration) {
        self.clock.advance(by);
    }
}
pub mod affected;
pub mod crises;
pub mod status;
pub mod warnings;
