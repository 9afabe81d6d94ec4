//! TLS and mTLS across the suite, with certificates the test generates
//! ([`TestCertificates`]): every listener presents a certificate the test CA
//! signed and requires callers to present one too, and every service calls
//! the others with the CA and a client certificate, all configured through
//! the documented `REDRESS_GRPC__TLS__*` and `REDRESS_CLIENT__TLS__*`
//! settings.
//!
//! Under `redress up` (one process) the banner names `https://` endpoints,
//! the command-line client configured with the same client settings takes
//! a complaint in (the complaints service checks the customer with the
//! customers service over mTLS), every port answers a client presenting a
//! CA-signed certificate, and refuses a client without a certificate, one
//! with a certificate of another CA, and a plaintext one. With services in
//! separate processes (`redress serve`, as Kubernetes runs them) the same
//! intake works over the gRPC API between processes, and a caller without a
//! certificate is refused.

mod support;

use redress_platform::auth::Role;
use redress_platform::grpc::{ClientSettings, ClientTlsSettings, connect};
use redress_platform::testing::tls::TestCertificates;
use redress_proto::complaints::v1 as pb;
use redress_proto::customers::v1 as cpb;
use support::{Suite, https, text};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Listener TLS requiring client certificates, and client TLS with the CA
/// and a client certificate, as environment variables.
fn mtls_environment(certificates: &TestCertificates) -> Vec<(String, String)> {
    let server = certificates.server(true);
    let client = certificates.client();
    let path = |p: &std::path::Path| p.display().to_string();
    let optional = |p: &Option<std::path::PathBuf>| {
        path(p.as_deref().expect("a path the test certificates set"))
    };
    vec![
        (
            "REDRESS_GRPC__TLS__CERT_PATH".into(),
            path(&server.cert_path),
        ),
        ("REDRESS_GRPC__TLS__KEY_PATH".into(), path(&server.key_path)),
        (
            "REDRESS_GRPC__TLS__CLIENT_CA_PATH".into(),
            optional(&server.client_ca_path),
        ),
        ("REDRESS_CLIENT__TLS__CA_PATH".into(), path(&client.ca_path)),
        (
            "REDRESS_CLIENT__TLS__CERT_PATH".into(),
            optional(&client.cert_path),
        ),
        (
            "REDRESS_CLIENT__TLS__KEY_PATH".into(),
            optional(&client.key_path),
        ),
    ]
}

/// Borrows each pair of `vars` as `&str`s.
fn borrowed(vars: &[(String, String)]) -> Vec<(&str, &str)> {
    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The health of `endpoint` (`http://…`) asked over TLS with `tls`, or in
/// plaintext with `None`: the status, or what failed.
async fn health(endpoint: &str, tls: Option<ClientTlsSettings>) -> Result<i32, String> {
    let endpoint = match tls {
        Some(_) => https(endpoint),
        None => endpoint.to_owned(),
    };
    let settings = ClientSettings {
        tls,
        ..ClientSettings::default()
    };
    let channel = connect(&endpoint, &settings)
        .await
        .expect("a valid channel configuration");
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map(|response| response.into_inner().status)
        .map_err(|status| format!("{status:?}"))
}

#[test]
fn redress_up_with_mtls_takes_a_complaint_in_and_refuses_callers_without_a_certificate() {
    // Arrange: the whole suite in one process, TLS everywhere, mTLS required.
    let certificates = TestCertificates::generate();
    let environment = mtls_environment(&certificates);
    let suite = Suite::start_with_env("", &borrowed(&environment));
    let endpoints = [
        suite.endpoint.clone(),
        suite.complaints_endpoint.clone(),
        suite.notifications_endpoint.clone(),
        suite.crisis_endpoint.clone(),
    ];

    // Assert: the banner names the endpoints as https.
    let banner = suite.stdout();
    for endpoint in &endpoints {
        assert!(
            banner.contains(&https(endpoint)),
            "the banner does not name {}:\n{banner}",
            https(endpoint)
        );
    }

    // Act: the command-line client, with the same client settings, takes a
    // complaint in for a new customer (complaints asks customers over mTLS).
    let customer = suite
        .redress(&[
            "customers",
            "create",
            "--display-name",
            "Grace Hopper",
            "--kind",
            "person",
            "--json",
        ])
        .json();
    let customer = text(&customer, "/customer/name").to_owned();
    let complaint = suite
        .redress(&[
            "complaints",
            "--as",
            "agent-1",
            "--team",
            "front",
            "create",
            &customer,
            "--channel",
            "phone",
            "--kind",
            "complaint",
            "--summary",
            "Parcel a week late",
            "--category",
            "too_slow/late_delivery",
            "--severity",
            "medium",
            "--json",
        ])
        .json();

    // Assert
    assert_eq!(text(&complaint, "/complaint/customer"), customer);
    assert_eq!(text(&complaint, "/complaint/owner"), "agent-1");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        for endpoint in &endpoints {
            assert_eq!(
                health(endpoint, Some(certificates.client())).await,
                Ok(ServingStatus::Serving as i32),
                "{endpoint} with a CA-signed client certificate"
            );
            for (who, tls) in [
                (
                    "without a client certificate",
                    Some(certificates.client_without_certificate()),
                ),
                (
                    "with another CA's certificate",
                    Some(certificates.client_with_foreign_certificate()),
                ),
                ("in plaintext", None),
            ] {
                let outcome = health(endpoint, tls).await;
                assert!(
                    outcome.is_err(),
                    "{endpoint} answered a caller {who}: {outcome:?}"
                );
            }
        }
    });
}

#[test]
fn services_in_separate_processes_call_each_other_over_mtls() {
    // Arrange: customers and complaints as processes of their own.
    let certificates = TestCertificates::generate();
    let environment = mtls_environment(&certificates);
    let suite = Suite::provision();
    let _services = suite.serve_over_tls(
        &["customers", "complaints"],
        &borrowed(&environment),
        certificates.client(),
    );
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let agent = suite.bearer("agent-1", &[Role::Agent], Some("front"));
    let channel = |endpoint: &str, tls: ClientTlsSettings| {
        let settings = ClientSettings {
            tls: Some(tls),
            ..ClientSettings::default()
        };
        let endpoint = https(endpoint);
        runtime
            .block_on(connect(&endpoint, &settings))
            .expect("a valid channel configuration")
    };
    let complaint = |customer: &str| pb::CreateComplaintRequest {
        complaint: Some(pb::Complaint {
            customer: customer.to_owned(),
            channel: pb::Channel::Phone.into(),
            kind: pb::ComplaintKind::Complaint.into(),
            summary: "Parcel a week late".into(),
            category: "too_slow/late_delivery".into(),
            severity: pb::Severity::Medium.into(),
            ..Default::default()
        }),
        request_id: uuid::Uuid::now_v7().to_string(),
    };

    // Act: a customer, then a complaint about them, over mTLS; complaints
    // checks the customer with the customers process over mTLS.
    let customer = runtime
        .block_on(
            cpb::customer_service_client::CustomerServiceClient::with_interceptor(
                channel(&suite.endpoint, certificates.client()),
                agent.clone(),
            )
            .create_customer(cpb::CreateCustomerRequest {
                customer: Some(cpb::Customer {
                    display_name: "Grace Hopper".into(),
                    kind: cpb::CustomerKind::Person.into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            }),
        )
        .expect("a customer over mTLS")
        .into_inner()
        .customer
        .expect("a customer")
        .name;
    let created = runtime
        .block_on(
            pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
                channel(&suite.complaints_endpoint, certificates.client()),
                agent.clone(),
            )
            .create_complaint(complaint(&customer)),
        )
        .expect("a complaint over mTLS")
        .into_inner()
        .complaint
        .expect("the complaint");

    // Assert
    assert_eq!(created.customer, customer);
    let refused = runtime.block_on(
        pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
            channel(
                &suite.complaints_endpoint,
                certificates.client_without_certificate(),
            ),
            agent,
        )
        .create_complaint(complaint(&customer)),
    );
    assert!(
        refused.is_err(),
        "complaints answered a caller without a certificate: {refused:?}"
    );
}
