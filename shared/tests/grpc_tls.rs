//! TLS and mTLS on the platform gRPC server, with certificates the test
//! generates ([`TestCertificates`]) and read from PEM files as configured in
//! production. The server is the platform's own (health, reflection,
//! gRPC-Web and every layer); the call is a health check through
//! [`connect`], the channel every service uses towards another. With TLS, a
//! client trusting the CA is answered and a plaintext client or one trusting
//! another CA is not; with a client CA (mTLS required), only a client
//! presenting a certificate that CA signed is answered.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use redress_platform::grpc::{
    ClientSettings, ClientTlsSettings, GrpcSettings, ServeError, ServeParts, Server, TlsSettings,
    connect,
};
use redress_platform::testing::tls::TestCertificates;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::Routes;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const SERVICE: &str = "redress.test.v1.Tls";

/// The platform server on a free port, with `tls`; stopped on drop.
struct TlsServer {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<Result<(), ServeError>>>,
}

impl TlsServer {
    async fn spawn(tls: TlsSettings) -> Self {
        let settings = GrpcSettings {
            tls: Some(tls),
            ..GrpcSettings::default()
        };
        let bound = Server::bind("127.0.0.1:0".parse().unwrap(), &settings)
            .await
            .expect("bind with TLS");
        let address = bound.local_addr();
        let parts = ServeParts::new(vec![SERVICE], Routes::default(), "test.redress");
        let (stop, stopped) = oneshot::channel();
        let serving = tokio::spawn(bound.serve(parts, async {
            let _ = stopped.await;
        }));
        Self {
            address,
            stop: Some(stop),
            serving: Some(serving),
        }
    }

    /// Checks health over a channel with `tls` (plaintext for `None`):
    /// `Ok` with the status if answered, `Err` with what failed otherwise.
    async fn health(&self, tls: Option<ClientTlsSettings>) -> Result<i32, String> {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let settings = ClientSettings {
            tls,
            ..ClientSettings::default()
        };
        let channel = connect(&format!("{scheme}://{}", self.address), &settings)
            .await
            .expect("the channel's configuration is valid");
        HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: SERVICE.to_owned(),
            })
            .await
            .map(|response| response.into_inner().status)
            .map_err(|status| format!("{status:?}"))
    }

    /// Asserts a channel with `tls` is answered SERVING.
    async fn answers(&self, tls: Option<ClientTlsSettings>) {
        assert_eq!(self.health(tls).await, Ok(ServingStatus::Serving as i32));
    }

    /// Asserts a channel with `tls` gets no answer.
    async fn refuses(&self, tls: Option<ClientTlsSettings>) {
        let outcome = self.health(tls).await;
        assert!(outcome.is_err(), "the server answered: {outcome:?}");
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            serving.await.unwrap().expect("served without error");
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(serving) = &self.serving {
            serving.abort();
        }
    }
}

#[tokio::test]
async fn a_tls_server_answers_a_client_that_trusts_its_ca() {
    let certificates = TestCertificates::generate();
    let server = TlsServer::spawn(certificates.server(false)).await;

    server
        .answers(Some(certificates.client_without_certificate()))
        .await;
    // A certificate the server does not ask for does no harm.
    server.answers(Some(certificates.client())).await;
    server.stop().await;
}

#[tokio::test]
async fn a_tls_server_gives_nothing_to_a_plaintext_client_or_one_trusting_another_ca() {
    let certificates = TestCertificates::generate();
    let server = TlsServer::spawn(certificates.server(false)).await;

    server.refuses(None).await;
    server
        .refuses(Some(certificates.client_trusting_foreign_ca()))
        .await;
    // And the server is still answering the clients it should.
    server
        .answers(Some(certificates.client_without_certificate()))
        .await;
    server.stop().await;
}

#[tokio::test]
async fn with_a_client_ca_only_clients_presenting_a_certificate_it_signed_are_answered() {
    let certificates = TestCertificates::generate();
    let server = TlsServer::spawn(certificates.server(true)).await;

    server
        .refuses(Some(certificates.client_without_certificate()))
        .await;
    server
        .refuses(Some(certificates.client_with_foreign_certificate()))
        .await;
    server.refuses(None).await;
    server.answers(Some(certificates.client())).await;
    server.stop().await;
}

#[tokio::test]
async fn the_server_certificate_is_checked_against_the_name_dialled() {
    let certificates = TestCertificates::generate();
    let server = TlsServer::spawn(certificates.server(false)).await;

    // The certificate names localhost and 127.0.0.1, not this.
    server
        .refuses(Some(ClientTlsSettings {
            domain_name: Some("customers.example".to_owned()),
            ..certificates.client_without_certificate()
        }))
        .await;
    server
        .answers(Some(ClientTlsSettings {
            domain_name: Some("localhost".to_owned()),
            ..certificates.client_without_certificate()
        }))
        .await;
    server.stop().await;
}
