//! The AuthLayer mounted in a real tonic server on 127.0.0.1, called by a
//! real gRPC client: the refusals arrive as statuses with their ErrorInfo,
//! open paths stay open, and a permitted call reaches the router.

use std::sync::Arc;
use std::time::Duration;

use http::uri::PathAndQuery;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

use super::support::dev_verifier;
use crate::auth::{AccessPolicy, AuthLayer, BearerInterceptor, Role, mint_dev_token};

const GET: &str = "/redress.customers.v1.CustomerService/GetCustomer";
const POLICY: AccessPolicy = AccessPolicy::new(&[(GET, &[Role::Agent])]);

async fn call(channel: &Channel, path: &'static str, token: Option<&str>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.expect("ready");
    let mut request = Request::new(());
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("metadata");
        request.metadata_mut().insert("authorization", value);
    }
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    grpc.unary::<(), (), _>(request, PathAndQuery::from_static(path), codec)
        .await
        .expect_err("no handler answers these")
}

#[tokio::test]
async fn the_layer_guards_a_real_tonic_server() {
    let (secret, verifier) = dev_verifier();
    let layer = AuthLayer::new(Arc::new(verifier), POLICY, "customers.redress");
    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        Server::builder()
            .layer(layer)
            .add_service(health)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async {
                    let _ = stopped.await;
                },
            ),
    );
    let channel = Channel::from_shared(format!("http://{address}"))
        .expect("uri")
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect");

    // Health is open.
    let mut health = HealthClient::new(channel.clone());
    let answer = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await;
    assert!(answer.is_ok(), "{answer:?}");

    // No token: refused by the layer, with its ErrorInfo intact on the client.
    let status = call(&channel, GET, None).await;
    assert_eq!(status.code(), Code::Unauthenticated);
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .expect("info");
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("TOKEN_MISSING", "customers.redress")
    );

    // Undeclared method: refused before authentication.
    let status = call(&channel, "/redress.customers.v1.CustomerService/Nope", None).await;
    assert_eq!(status.code(), Code::PermissionDenied);

    // A permitted agent gets past the layer to the router, which has no such service here.
    let token = mint_dev_token(
        &secret,
        "agent-7",
        &[Role::Agent],
        None,
        None,
        Duration::from_secs(60),
    )
    .expect("mint");
    assert_eq!(
        call(&channel, GET, Some(&token)).await.code(),
        Code::Unimplemented
    );

    // The client interceptor produces what the layer accepts.
    let interceptor = BearerInterceptor::new(&token.into()).expect("interceptor");
    let mut health = HealthClient::with_interceptor(channel, interceptor);
    assert!(
        health
            .check(HealthCheckRequest {
                service: String::new()
            })
            .await
            .is_ok()
    );

    let _ = stop.send(());
    server.await.expect("join").expect("server");
}
