//! The platform gRPC server, exercised through real clients on a real port:
//! health, reflection, gRPC-Web and CORS, load shedding, trace context, and
//! graceful shutdown. The "business" service is a tiny slow echo routed under
//! `redress.test.v1.Slow`, reusing the health messages as its wire types.

#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Response};
use prost::Message as _;
use redress_platform::grpc::{ClientSettings, connect, traced};
use redress_platform::grpc::{GrpcSettings, ServeError, ServeParts, Server, continue_trace};
use redress_platform::telemetry::{self, TelemetryGuard, TelemetrySettings};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_prost::ProstCodec;
use tonic_types::StatusExt as _;
use tower::Service;
use tracing::Instrument as _;

const SLOW: &str = "redress.test.v1.Slow";
const CUSTOMERS: &str = "redress.customers.v1.CustomerService";
const DOMAIN: &str = "test.redress";

/// Telemetry for the whole test binary, never shut down.
fn telemetry() {
    static GUARD: OnceLock<TelemetryGuard> = OnceLock::new();
    GUARD.get_or_init(|| {
        telemetry::init("grpc-tests", &TelemetrySettings::default()).expect("telemetry")
    });
}

/// Answers `/redress.test.v1.Slow/Wait` after the number of milliseconds in
/// the request's `service` field, and signals each start.
#[derive(Clone)]
struct Slow {
    started: Arc<Notify>,
}

impl NamedService for Slow {
    const NAME: &'static str = SLOW;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Service<http::Request<Body>> for Slow {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let started = Arc::clone(&self.started);
        let wait = tower::service_fn(move |request: tonic::Request<HealthCheckRequest>| {
            let started = Arc::clone(&started);
            async move {
                started.notify_one();
                let millis: u64 = request.get_ref().service.parse().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(millis)).await;
                Ok::<_, Status>(tonic::Response::new(HealthCheckResponse { status: 1 }))
            }
        });
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<
                HealthCheckResponse,
                HealthCheckRequest,
            >::default());
            Ok(grpc.unary(wait, request).await)
        })
    }
}

struct TestServer {
    address: SocketAddr,
    started: Arc<Notify>,
    stop: Option<oneshot::Sender<()>>,
    serving: JoinHandle<Result<(), ServeError>>,
}

impl TestServer {
    async fn spawn(settings: GrpcSettings) -> Self {
        telemetry();
        let bound = Server::bind("127.0.0.1:0".parse().unwrap(), &settings)
            .await
            .expect("bind");
        let address = bound.local_addr();
        let started = Arc::new(Notify::new());
        let routes = Routes::new(Slow {
            started: Arc::clone(&started),
        });
        // The extra layer stands in for authentication: any layer over the routes.
        let parts = ServeParts::new(vec![CUSTOMERS, SLOW], routes, DOMAIN).with_layer(
            tower::util::MapResponseLayer::new(mark_response as fn(_) -> _),
        );
        let (stop, stopped) = oneshot::channel();
        let serving = tokio::spawn(bound.serve(parts, async {
            let _ = stopped.await;
        }));
        Self {
            address,
            started,
            stop: Some(stop),
            serving,
        }
    }

    fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(self.uri())
            .unwrap()
            .connect()
            .await
            .expect("connect")
    }

    fn begin_shutdown(&mut self) {
        let _ = self.stop.take().expect("not yet stopped").send(());
    }
}

fn mark_response(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert("x-extra-layer", HeaderValue::from_static("seen"));
    response
}

async fn wait(
    channel: Channel,
    millis: u64,
) -> Result<tonic::Response<HealthCheckResponse>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    grpc.unary(
        tonic::Request::new(HealthCheckRequest {
            service: millis.to_string(),
        }),
        http::uri::PathAndQuery::from_static("/redress.test.v1.Slow/Wait"),
        ProstCodec::<HealthCheckRequest, HealthCheckResponse>::default(),
    )
    .await
}

async fn check(channel: Channel, service: &str) -> Result<ServingStatus, Status> {
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?;
    Ok(response.into_inner().status())
}

#[tokio::test]
async fn health_answers_serving_for_each_service_and_the_server() {
    let server = TestServer::spawn(GrpcSettings::default()).await;
    let channel = server.channel().await;

    for service in ["", CUSTOMERS, SLOW] {
        let status = check(channel.clone(), service).await.expect("health check");
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let unknown = check(channel, "redress.nobody.v1.Nothing").await;
    assert_eq!(unknown.expect_err("not registered").code(), Code::NotFound);
}

#[tokio::test]
async fn reflection_lists_the_services_of_the_port_in_v1_and_v1alpha() {
    use tonic_reflection::pb::{v1, v1alpha};
    let server = TestServer::spawn(GrpcSettings::default()).await;
    let channel = server.channel().await;

    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let mut answers = client
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection")
        .into_inner();
    let answer = answers
        .message()
        .await
        .expect("answer")
        .expect("one answer");
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answer.message_response
    else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<_> = list
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    for expected in [
        CUSTOMERS,
        SLOW,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} in {names:?}"
        );
    }

    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                CUSTOMERS.to_owned(),
            ),
        ),
    };
    let mut client = v1alpha::server_reflection_client::ServerReflectionClient::new(channel);
    let mut answers = client
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection")
        .into_inner();
    let answer = answers
        .message()
        .await
        .expect("answer")
        .expect("one answer");
    assert!(
        matches!(
            answer.message_response,
            Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
        ),
        "the customers descriptor is served: {answer:?}"
    );
}

/// Sends raw HTTP/1.1 and reads the whole answer (the request asks the
/// server to close), de-chunking the body.
async fn http1(address: SocketAddr, request: &[u8]) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("server closed the connection")
        .expect("read");
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("end of head");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut decoded = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size");
            let size = usize::from_str_radix(
                std::str::from_utf8(&rest[..line_end])
                    .expect("ascii")
                    .trim(),
                16,
            )
            .expect("hex size");
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            decoded.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = decoded;
    }
    (head, body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

#[tokio::test]
async fn a_grpc_web_call_over_http1_is_answered_in_grpc_web() {
    let server = TestServer::spawn(GrpcSettings {
        cors_allowed_origins: vec!["https://desk.example".to_owned()],
        ..GrpcSettings::default()
    })
    .await;
    let message = HealthCheckRequest {
        service: CUSTOMERS.to_owned(),
    }
    .encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&message);
    let mut request = format!(
        "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n\
         Origin: https://desk.example\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.address,
        frame.len()
    )
    .into_bytes();
    request.extend_from_slice(&frame);

    let (head, body) = http1(server.address, &request).await;

    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(
        header(&head, "content-type"),
        Some("application/grpc-web+proto")
    );
    assert_eq!(
        header(&head, "access-control-allow-origin"),
        Some("https://desk.example")
    );
    let exposed = header(&head, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed.contains("grpc-status") && exposed.contains("traceparent"),
        "{exposed}"
    );
    assert_eq!(body[0], 0, "a data frame first");
    let length = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let answer = HealthCheckResponse::decode(&body[5..5 + length]).expect("message");
    assert_eq!(answer.status(), ServingStatus::Serving);
    let trailers = &body[5 + length..];
    assert_eq!(trailers[0], 0x80, "then a trailers frame");
    assert!(String::from_utf8_lossy(&trailers[5..]).contains("grpc-status:0"));
}

#[tokio::test]
async fn a_cors_preflight_is_granted_to_allowed_origins_only() {
    let server = TestServer::spawn(GrpcSettings {
        cors_allowed_origins: vec!["https://desk.example".to_owned()],
        ..GrpcSettings::default()
    })
    .await;
    let preflight = |origin: &str| {
        format!(
            "OPTIONS /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: {}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type,x-grpc-web,authorization\r\n\
             Connection: close\r\n\r\n",
            server.address
        )
    };

    let (allowed, _) = http1(server.address, preflight("https://desk.example").as_bytes()).await;
    let (refused, _) = http1(server.address, preflight("https://evil.example").as_bytes()).await;

    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some("https://desk.example")
    );
    assert!(
        header(&allowed, "access-control-allow-headers")
            .unwrap_or_default()
            .contains("authorization")
    );
    assert_eq!(
        header(&refused, "access-control-allow-origin"),
        None,
        "{refused}"
    );
}

#[tokio::test]
async fn past_the_concurrency_limit_a_request_is_shed_at_once_but_health_is_not() {
    let server = TestServer::spawn(GrpcSettings {
        concurrency_limit: 1,
        ..GrpcSettings::default()
    })
    .await;
    let channel = server.channel().await;
    let started = server.started.notified();
    let slow = tokio::spawn(wait(channel.clone(), 5_000));
    started.await;

    let shed = wait(channel.clone(), 0).await.expect_err("shed");
    let health = check(channel, "").await;

    assert_eq!(shed.code(), Code::ResourceExhausted);
    let info = shed.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "OVERLOADED");
    assert_eq!(info.domain, DOMAIN);
    assert!(!slow.is_finished(), "the slow request is still in flight");
    assert_eq!(health.expect("health is not shed"), ServingStatus::Serving);
    slow.abort();
}

#[tokio::test]
async fn the_extra_layer_sees_every_response() {
    let server = TestServer::spawn(GrpcSettings::default()).await;
    let response = wait(server.channel().await, 0).await.expect("answer");
    assert_eq!(response.metadata().get("x-extra-layer").unwrap(), "seen");
}

#[tokio::test]
async fn the_callers_trace_continues_through_the_server() {
    let server = TestServer::spawn(GrpcSettings::default()).await;
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let parent = format!("00-{trace_id}-b7ad6b7169203331-01");
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request
        .metadata_mut()
        .insert("traceparent", parent.parse().unwrap());

    let response = HealthClient::new(server.channel().await)
        .check(request)
        .await
        .expect("health check");

    let answer = response.metadata().get("traceparent").expect("traceparent");
    let answer = answer.to_str().unwrap();
    assert!(answer.starts_with(&format!("00-{trace_id}-")), "{answer}");
    assert_ne!(answer, parent, "the server answers with its own span id");
}

#[tokio::test]
async fn a_traced_client_sends_the_current_trace_to_the_server() {
    let server = TestServer::spawn(GrpcSettings::default()).await;
    let channel = traced(
        connect(&server.uri(), &ClientSettings::default())
            .await
            .expect("channel"),
    );
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let span = tracing::info_span!("outbox_event");
    assert!(continue_trace(
        &span,
        &format!("00-{trace_id}-00f067aa0ba902b7-01")
    ));

    let response = async {
        HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
    }
    .instrument(span)
    .await
    .expect("health check");

    let answer = response.metadata().get("traceparent").expect("traceparent");
    assert!(
        answer
            .to_str()
            .unwrap()
            .starts_with(&format!("00-{trace_id}-"))
    );
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_then_closes_the_port() {
    let mut server = TestServer::spawn(GrpcSettings::default()).await;
    let started = server.started.notified();
    let in_flight = tokio::spawn(wait(server.channel().await, 300));
    started.await;

    server.begin_shutdown();

    let answer = in_flight.await.expect("task").expect("finished, not cut");
    assert_eq!(answer.into_inner().status, 1);
    server.serving.await.expect("task").expect("clean stop");
    assert!(
        TcpStream::connect(server.address).await.is_err(),
        "port closed"
    );
}

#[tokio::test]
async fn a_request_still_running_at_the_drain_deadline_is_cut_unavailable() {
    let mut server = TestServer::spawn(GrpcSettings {
        drain_timeout_ms: 100,
        ..GrpcSettings::default()
    })
    .await;
    let started = server.started.notified();
    let in_flight = tokio::spawn(wait(server.channel().await, 60_000));
    started.await;

    server.begin_shutdown();

    let cut = in_flight.await.expect("task").expect_err("cut");
    assert_eq!(cut.code(), Code::Unavailable);
    server.serving.await.expect("task").expect("clean stop");
}

#[tokio::test]
async fn a_health_watcher_sees_not_serving_when_shutdown_begins() {
    let mut server = TestServer::spawn(GrpcSettings::default()).await;
    let mut watch = HealthClient::new(server.channel().await)
        .watch(HealthCheckRequest {
            service: CUSTOMERS.to_owned(),
        })
        .await
        .expect("watch")
        .into_inner();
    let first = watch.message().await.expect("status").expect("a status");
    assert_eq!(first.status(), ServingStatus::Serving);

    server.begin_shutdown();

    let next = watch.message().await.expect("status").expect("a status");
    assert_eq!(next.status(), ServingStatus::NotServing);
    let end = watch.message().await;
    assert!(
        matches!(&end, Ok(None))
            || matches!(&end, Err(status) if status.code() == Code::Unavailable),
        "the watch ends: {end:?}"
    );
    server.serving.await.expect("task").expect("clean stop");
    assert!(
        TcpStream::connect(server.address).await.is_err(),
        "port closed"
    );
}

#[tokio::test]
async fn the_server_deadline_applies_unless_the_client_asks_for_a_shorter_one() {
    let short = TestServer::spawn(GrpcSettings {
        request_timeout_ms: 100,
        ..GrpcSettings::default()
    })
    .await;
    let long = TestServer::spawn(GrpcSettings::default()).await;

    let by_server = wait(short.channel().await, 60_000).await;
    let mut grpc = tonic::client::Grpc::new(long.channel().await);
    grpc.ready().await.expect("ready");
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: "60000".to_owned(),
    });
    request.set_timeout(Duration::from_millis(100));
    let by_client = grpc
        .unary(
            request,
            http::uri::PathAndQuery::from_static("/redress.test.v1.Slow/Wait"),
            ProstCodec::<HealthCheckRequest, HealthCheckResponse>::default(),
        )
        .await;

    // tonic reports an expired server-side deadline as CANCELLED.
    assert_eq!(by_server.expect_err("deadline").code(), Code::Cancelled);
    assert_eq!(by_client.expect_err("deadline").code(), Code::Cancelled);
}
