//! The gRPC server every Redress service runs, the same on every port.
//!
//! [`Server::bind`] takes the port first, so a test can bind port 0 and learn
//! the address before serving. [`BoundServer::serve`] adds the platform's
//! services (`grpc.health.v1` with one status per service name and `""`,
//! reflection v1 and v1alpha) to the service's own routes and runs them
//! behind, outermost first: CORS, gRPC-Web translation, load shedding (as
//! early as a refusal can be answered in the caller's protocol, so refusing
//! stays cheap), the RPC span, drain cancellation, the size refusal's code
//! (`RESOURCE_EXHAUSTED`), then the service's extra layer
//! (authentication). tonic's default deadline applies to all of it. When
//! the shutdown future resolves, health turns NOT_SERVING, the listener
//! closes, and requests still running get until the drain deadline to
//! finish.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Response};
use http_body::Body as HttpBody;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::body::Body;
use tonic::service::Routes;
use tonic::transport::ServerTlsConfig;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_web::GrpcWebLayer;
use tower::layer::util::Identity;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use super::limit::LoadShedLimitLayer;
use super::shutdown::DrainController;
use super::size::MessageSizeLayer;
use super::tls::TlsError;
use super::trace::RpcTraceLayer;
use super::{BoxError, GrpcSettings};

/// Services the platform adds to every port, announced through reflection.
const PLATFORM_SERVICES: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// How long connections may linger once in-flight requests have been cut.
const CUT_GRACE: Duration = Duration::from_secs(1);

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot bind {address}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The TLS files could not be read.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A configured CORS origin is not a valid header value.
    #[error("invalid CORS origin {0:?}")]
    InvalidOrigin(String),
    /// The reflection service rejected the descriptor set.
    #[error("cannot build the reflection service")]
    Reflection(#[source] tonic_reflection::server::Error),
    /// tonic failed to configure or run the server.
    #[error("gRPC transport failed")]
    Transport(#[source] tonic::transport::Error),
}

/// What a service brings to [`BoundServer::serve`].
#[derive(Debug)]
pub struct ServeParts<L> {
    /// Fully qualified names of the services in `routes`
    /// (`redress.customers.v1.CustomerService`); each gets a health status and
    /// is listed by reflection.
    pub service_names: Vec<&'static str>,
    /// The service's generated servers, e.g.
    /// `Routes::new(CustomerServiceServer::new(handlers))`.
    pub routes: Routes,
    /// An extra layer innermost around the routes, after load shedding:
    /// authentication. `tower::layer::util::Identity` for none.
    pub layer: L,
    /// AIP-193 error domain of the service (`customers.redress`), used in
    /// the `ErrorInfo` of requests this server refuses itself.
    pub error_domain: &'static str,
}

impl ServeParts<Identity> {
    /// Parts with no extra layer; add one with [`ServeParts::with_layer`].
    pub fn new(
        service_names: Vec<&'static str>,
        routes: Routes,
        error_domain: &'static str,
    ) -> Self {
        Self {
            service_names,
            routes,
            layer: Identity::new(),
            error_domain,
        }
    }
}

impl<L> ServeParts<L> {
    /// The same parts with `layer` as the extra layer.
    pub fn with_layer<L2>(self, layer: L2) -> ServeParts<L2> {
        ServeParts {
            service_names: self.service_names,
            routes: self.routes,
            layer,
            error_domain: self.error_domain,
        }
    }
}

/// Entry point: bind a port, then serve on it.
#[derive(Debug)]
pub struct Server;

impl Server {
    /// Binds `address` now (port 0 picks a free port) and reads the TLS files,
    /// so configuration errors surface before serving.
    pub async fn bind(
        address: SocketAddr,
        settings: &GrpcSettings,
    ) -> Result<BoundServer, ServeError> {
        let bind_error = |source| ServeError::Bind { address, source };
        let listener = TcpListener::bind(address).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let tls = match &settings.tls {
            Some(tls) => Some(tls.load().await?),
            None => None,
        };
        Ok(BoundServer {
            listener,
            local_addr,
            settings: settings.clone(),
            tls,
        })
    }
}

/// A bound port, not yet serving.
#[derive(Debug)]
pub struct BoundServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    settings: GrpcSettings,
    tls: Option<ServerTlsConfig>,
}

impl BoundServer {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The settings the server runs with.
    pub fn settings(&self) -> &GrpcSettings {
        &self.settings
    }

    /// Serves until `shutdown` resolves, then drains: health turns
    /// NOT_SERVING, new connections are refused, and requests still running
    /// after `drain_timeout_ms` are cut with `UNAVAILABLE`.
    pub async fn serve<L, ResB>(
        self,
        parts: ServeParts<L>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServeError>
    where
        L: Layer<Routes> + Clone + Send + Sync + 'static,
        L::Service: Service<Request<Body>, Response = Response<ResB>> + Clone + Send + 'static,
        <L::Service as Service<Request<Body>>>::Future: Send + 'static,
        <L::Service as Service<Request<Body>>>::Error: Into<BoxError> + Send + 'static,
        ResB: HttpBody<Data = Bytes> + Send + 'static,
        ResB::Error: Into<BoxError>,
    {
        let ServeParts {
            service_names,
            routes,
            layer,
            error_domain,
        } = parts;
        let settings = self.settings;

        let (health, health_service) = tonic_health::server::health_reporter();
        for name in &service_names {
            health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        let routes = routes
            .add_service(health_service)
            .add_service(
                reflection(&service_names)
                    .build_v1()
                    .map_err(ServeError::Reflection)?,
            )
            .add_service(
                reflection(&service_names)
                    .build_v1alpha()
                    .map_err(ServeError::Reflection)?,
            );

        let mut drain = DrainController::new();
        let stack = ServiceBuilder::new()
            .layer(cors(&settings.cors_allowed_origins)?)
            .layer(GrpcWebLayer::new())
            .layer(LoadShedLimitLayer::new(
                settings.concurrency_limit,
                error_domain,
            ))
            .layer(RpcTraceLayer::server())
            .layer(drain.layer())
            .layer(MessageSizeLayer::new(
                settings.max_message_bytes,
                error_domain,
            ))
            .layer(layer)
            .into_inner();

        let mut builder = tonic::transport::Server::builder()
            .accept_http1(true)
            .timeout(settings.request_timeout());
        if let Some(tls) = self.tls.clone() {
            builder = builder.tls_config(tls).map_err(ServeError::Transport)?;
        }
        let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = builder
            .layer(stack)
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            });
        tokio::pin!(serving);
        tokio::pin!(shutdown);

        tracing::info!(
            address = %self.local_addr,
            services = ?service_names,
            tls = self.tls.is_some(),
            concurrency_limit = settings.concurrency_limit,
            "gRPC server listening"
        );
        tokio::select! {
            result = &mut serving => {
                tracing::error!(address = %self.local_addr, "gRPC server stopped unexpectedly");
                return result.map_err(ServeError::Transport);
            }
            () = &mut shutdown => {}
        }

        tracing::info!(
            address = %self.local_addr,
            drain_timeout_ms = settings.drain_timeout_ms,
            "gRPC server shutting down: NOT_SERVING, draining"
        );
        health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        for name in &service_names {
            health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        drain.begin();
        let _ = stop.send(());

        let result = match tokio::time::timeout(settings.drain_timeout(), &mut serving).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(
                    address = %self.local_addr,
                    "drain deadline passed: cutting requests still running"
                );
                drain.expire();
                match tokio::time::timeout(CUT_GRACE, &mut serving).await {
                    Ok(result) => result,
                    Err(_) => {
                        tracing::warn!(address = %self.local_addr, "closing connections still open");
                        Ok(())
                    }
                }
            }
        };
        tracing::info!(address = %self.local_addr, "gRPC server stopped");
        result.map_err(ServeError::Transport)
    }
}

/// Reflection over the Redress descriptors, announcing this port's services
/// and the platform's.
fn reflection(service_names: &[&'static str]) -> tonic_reflection::server::Builder<'static> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(redress_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET);
    for name in service_names.iter().chain(PLATFORM_SERVICES.iter()) {
        builder = builder.with_service_name(*name);
    }
    builder
}

/// CORS for gRPC-Web from browsers: the configured origins may POST with any
/// request headers and read the gRPC status and trace headers.
fn cors(allowed_origins: &[String]) -> Result<CorsLayer, ServeError> {
    let allow_origin = if allowed_origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        let origins = allowed_origins
            .iter()
            .map(|origin| {
                HeaderValue::from_str(origin).map_err(|_| ServeError::InvalidOrigin(origin.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(origins)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::POST])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
            HeaderName::from_static("traceparent"),
        ])
        .max_age(Duration::from_secs(24 * 60 * 60)))
}
