//! Test support for the notifications service's API tests: [`spawn_app`]
//! starts the real customers service and the real notifications service
//! (its delivery workers and broadcast expander included) on free ports,
//! each against its own schema of one fresh PostgreSQL database, sharing a
//! [`ManualClock`]; the push gateway is a real loopback [`Receiver`] that
//! checks each request's signature and counts deliveries by idempotency
//! key.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use redress_notifications::channels::receiver::Receiver;
use redress_notifications::{CustomerDirectory, Dependencies, Settings};
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

pub use redress_proto::customers::v1 as cpb;
pub use redress_proto::notifications::v1 as pb;

/// A notifications client carrying one caller's token.
pub type Client = pb::notification_service_client::NotificationServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;
/// A customers client.
pub type CustomersClient = cpb::customer_service_client::CustomerServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;

/// The services, the receiver and the clock.
pub struct TestApp {
    stops: Vec<oneshot::Sender<()>>,
    /// The shared clock.
    pub clock: ManualClock,
    /// The notifications pool.
    pub pool: PgPool,
    /// The push gateway.
    pub gateway: Receiver,
    /// The gateway's secret.
    pub gateway_secret: Secret,
    secret: Secret,
    channel: Channel,
    customers_channel: Channel,
    /// The customers endpoint.
    pub customers_endpoint: String,
    /// The database; dropped last.
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
        .expect("a URI")
        .connect_lazy()
}

/// Settings for tests: fast polling and retries, the gateway configured.
pub fn test_settings(gateway: &Receiver, secret: &Secret) -> Settings {
    let mut settings = Settings {
        poll_interval_ms: 20,
        initial_backoff_ms: 1_000,
        max_backoff_ms: 2_000,
        attempts_per_channel: 3,
        follow_complaints: false,
        ..Settings::default()
    };
    settings.channels.webhook.endpoint = gateway.url();
    settings.channels.webhook.secret = secret.clone();
    settings.channels.webhook.timeout_ms = 2_000;
    settings
}

/// Starts both services with [`test_settings`].
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|s| s).await
}

/// Starts both services with the test settings changed by `change`.
pub async fn spawn_app_with(change: impl FnOnce(Settings) -> Settings) -> TestApp {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new(monday_noon());
    let secret = generate_dev_secret();
    let auth = AuthSettings::development(secret.clone());
    let verifier = Arc::new(Verifier::new(&auth).expect("a verifier"));
    let gateway_secret = Secret::new("gateway-secret-for-tests");
    let gateway = Receiver::start(gateway_secret.clone())
        .await
        .expect("a receiver");
    let mut stops = Vec::new();

    let customers_url = db.provision(&redress_customers::schema()).await;
    let customers_pool = db::connect(&customers_url, "customers", &PoolSettings::default())
        .await
        .expect("connects");
    let customers = redress_customers::build_with(
        "127.0.0.1:0".parse().expect("an address"),
        &GrpcSettings::default(),
        redress_customers::Settings {
            review_interval_seconds: 86_400,
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
    let (stop, stopped) = oneshot::channel::<()>();
    stops.push(stop);
    tokio::spawn(customers.run_until(async {
        let _ = stopped.await;
    }));
    let customers_endpoint = format!("http://{customers_address}");

    let url = db.provision(&redress_notifications::schema()).await;
    let pool = db::connect(&url, "notifications", &PoolSettings::default())
        .await
        .expect("connects");
    let identity = Arc::new(
        ServiceIdentity::from_settings(&ClientSettings::default(), &auth, "notifications")
            .expect("an identity"),
    );
    let directory =
        CustomerDirectory::connect(&customers_endpoint, &ClientSettings::default(), identity)
            .await
            .expect("a directory");
    let settings = change(test_settings(&gateway, &gateway_secret));
    let service = redress_notifications::build_with(
        "127.0.0.1:0".parse().expect("an address"),
        &GrpcSettings::default(),
        settings,
        Dependencies {
            pool: pool.clone(),
            clock: clock.shared(),
            verifier,
            customers: directory,
            complaints: None,
        },
    )
    .await
    .expect("the notifications service builds");
    let address = service.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    stops.push(stop);
    tokio::spawn(service.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        stops,
        clock,
        pool,
        gateway,
        gateway_secret,
        secret,
        channel: channel_to(address),
        customers_channel: channel_to(customers_address),
        customers_endpoint,
        db,
    }
}

impl TestApp {
    fn token(&self, subject: &str, roles: &[Role]) -> BearerInterceptor {
        let token = mint_dev_token(
            &self.secret,
            subject,
            roles,
            None,
            None,
            Duration::from_secs(3600),
        )
        .expect("a token");
        BearerInterceptor::new(&Secret::new(token)).expect("a header value")
    }

    /// A client acting as `subject` with `roles`.
    pub fn client_as(&self, subject: &str, roles: &[Role]) -> Client {
        pb::notification_service_client::NotificationServiceClient::with_interceptor(
            self.channel.clone(),
            self.token(subject, roles),
        )
    }

    /// A channel to the notifications service, carrying no token.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The development secret the services verify tokens with.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// A client with every role.
    pub fn client(&self) -> Client {
        self.client_as("comms-1", &Role::ALL)
    }

    /// A customers client with every role.
    pub fn customers(&self) -> CustomersClient {
        cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            self.customers_channel.clone(),
            self.token("agent-1", &Role::ALL),
        )
    }

    /// Creates a customer in `zone` who prefers the mobile app (the push
    /// gateway), and returns their name.
    pub async fn customer(&self, display_name: &str, locale: &str, zone: &str) -> String {
        let customer = cpb::Customer {
            display_name: display_name.into(),
            kind: cpb::CustomerKind::Person as i32,
            locale: locale.into(),
            time_zone: zone.into(),
            preferred_channels: vec![cpb::Channel::MobileApp as i32],
            contact_points: vec![cpb::ContactPoint {
                point: Some(cpb::contact_point::Point::Email(format!(
                    "{}@example.com",
                    display_name.to_lowercase().replace(' ', ".")
                ))),
                verified: true,
                label: String::new(),
            }],
            ..cpb::Customer::default()
        };
        self.customers()
            .create_customer(cpb::CreateCustomerRequest {
                customer: Some(customer),
                request_id: String::new(),
            })
            .await
            .expect("a customer")
            .into_inner()
            .customer
            .expect("the customer")
            .name
    }

    /// Saves a template.
    pub async fn template(
        &self,
        kind: &str,
        channel: pb::Channel,
        locale: &str,
        body: &str,
        variables: &[&str],
    ) -> pb::Template {
        self.client()
            .create_template(pb::CreateTemplateRequest {
                template: Some(pb::Template {
                    kind: kind.into(),
                    channel: channel as i32,
                    locale: locale.into(),
                    subject: format!("{kind} subject"),
                    body: body.into(),
                    variables: variables.iter().map(|v| (*v).to_owned()).collect(),
                    ..pb::Template::default()
                }),
            })
            .await
            .expect("a template")
            .into_inner()
            .template
            .expect("the template")
    }

    /// Waits until the message is in a state `done` accepts, and returns it.
    pub async fn wait_for(&self, name: &str, done: impl Fn(&pb::Message) -> bool) -> pb::Message {
        let mut last = None;
        for _ in 0..300 {
            let m = self
                .client()
                .get_message(pb::GetMessageRequest { name: name.into() })
                .await
                .expect("the message")
                .into_inner()
                .message
                .expect("a message");
            if done(&m) {
                return m;
            }
            last = Some(m);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the message never got there: {last:?}");
    }
}

/// Whether a message is in one of these states.
pub fn in_state(states: &[pb::MessageState]) -> impl Fn(&pb::Message) -> bool + '_ {
    move |m| states.iter().any(|s| m.state == *s as i32)
}
