//! The AuthLayer around a trivial inner service, driven with HTTP requests
//! the way tonic's router drives it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use tonic::service::Interceptor;
use tonic::{Code, Status};
use tonic_types::{ErrorDetail, StatusExt};
use tower::{Layer, ServiceExt};

use super::support::{claims, dev_verifier};
use crate::auth::{
    AccessPolicy, AuthLayer, BearerInterceptor, Caller, END_USER_HEADER, Role, mint_dev_token,
    sign_dev_claims,
};
use crate::secret::Secret;

const GET: &str = "/redress.customers.v1.CustomerService/GetCustomer";
const POLICY: AccessPolicy = AccessPolicy::new(&[
    (GET, &[Role::Agent, Role::Supervisor, Role::Service]),
    (
        "/redress.customers.v1.CustomerService/EraseCustomer",
        &[Role::Agent, Role::Supervisor],
    ),
]);

struct Harness {
    secret: Secret,
    layer: AuthLayer,
}

impl Harness {
    fn new() -> Self {
        let (secret, verifier) = dev_verifier();
        Self {
            secret,
            layer: AuthLayer::new(Arc::new(verifier), POLICY, "customers.redress"),
        }
    }

    fn token(&self, subject: &str, roles: &[Role]) -> String {
        mint_dev_token(
            &self.secret,
            subject,
            roles,
            None,
            None,
            Duration::from_secs(600),
        )
        .expect("mint")
    }

    /// Sends one request through the layer; returns the caller the inner
    /// service saw, or the status the layer answered with.
    async fn send(&self, path: &str, headers: &[(&str, &str)]) -> Result<Option<Caller>, Status> {
        let inner = tower::service_fn(|request: http::Request<()>| async move {
            let mut response = http::Response::new(tonic::body::Body::default());
            if let Some(caller) = request.extensions().get::<Caller>() {
                response.extensions_mut().insert(caller.clone());
            }
            Ok::<_, Infallible>(response)
        });
        let mut request = http::Request::post(path).header("content-type", "application/grpc");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(()).expect("request");
        let response = self
            .layer
            .layer(inner)
            .oneshot(request)
            .await
            .expect("infallible");
        match Status::from_header_map(response.headers()) {
            Some(status) => Err(status),
            None => Ok(response.extensions().get::<Caller>().cloned()),
        }
    }
}

/// The reason of the one ErrorInfo in `status`, checking its domain.
fn reason(status: &Status) -> String {
    let infos: Vec<_> = status
        .get_error_details_vec()
        .into_iter()
        .filter_map(|detail| match detail {
            ErrorDetail::ErrorInfo(info) => Some(info),
            _ => None,
        })
        .collect();
    assert_eq!(infos.len(), 1, "exactly one ErrorInfo in {status:?}");
    assert_eq!(infos[0].domain, "customers.redress");
    infos[0].reason.clone()
}

#[tokio::test]
async fn health_and_reflection_pass_without_a_token() {
    let harness = Harness::new();
    for path in [
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ] {
        assert_eq!(harness.send(path, &[]).await.expect(path), None);
    }
}

#[tokio::test]
async fn a_method_the_policy_does_not_declare_is_refused_even_to_an_admin() {
    let harness = Harness::new();
    let bearer = format!("Bearer {}", harness.token("admin-1", &Role::ALL));

    let status = harness
        .send(
            "/redress.customers.v1.CustomerService/DropAll",
            &[("authorization", &bearer)],
        )
        .await
        .expect_err("undeclared");

    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "METHOD_NOT_DECLARED");
}

#[tokio::test]
async fn a_call_without_a_bearer_token_is_unauthenticated() {
    let harness = Harness::new();
    let token = harness.token("agent-7", &[Role::Agent]);
    let basic = format!("Basic {token}");
    let bare = token.clone();
    for headers in [
        vec![],
        vec![("authorization", basic.as_str())],
        vec![("authorization", bare.as_str())],
        vec![("authorization", "Bearer ")],
    ] {
        let status = harness.send(GET, &headers).await.expect_err("no bearer");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), "TOKEN_MISSING");
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_without_being_echoed() {
    let harness = Harness::new();
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl";
    let mut expired = claims("agent-7", &["agent"]);
    expired.exp -= 3_600;
    let expired = sign_dev_claims(&harness.secret, &expired).expect("sign");

    for (token, expected) in [
        (forged, "TOKEN_INVALID"),
        (expired.as_str(), "TOKEN_EXPIRED"),
    ] {
        let bearer = format!("Bearer {token}");
        let status = harness
            .send(GET, &[("authorization", &bearer)])
            .await
            .expect_err("bad");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(reason(&status), expected);
        assert!(!status.message().contains(token));
    }
}

#[tokio::test]
async fn a_caller_without_an_allowed_role_is_denied_and_told_which_roles_are() {
    let harness = Harness::new();
    let bearer = format!(
        "Bearer {}",
        harness.token("comms-3", &[Role::Communications])
    );

    let status = harness
        .send(GET, &[("authorization", &bearer)])
        .await
        .expect_err("denied");

    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "ROLE_NOT_PERMITTED");
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .expect("info");
    assert_eq!(
        info.metadata.get("allowed_roles").map(String::as_str),
        Some("agent,supervisor,service")
    );
}

#[tokio::test]
async fn a_permitted_caller_reaches_the_handler_over_grpc_and_grpc_web() {
    let harness = Harness::new();
    let bearer = format!("bearer {}", harness.token("agent-7", &[Role::Agent]));

    for content_type in ["application/grpc", "application/grpc-web+proto"] {
        let caller = harness
            .send(
                GET,
                &[("authorization", &bearer), ("content-type", content_type)],
            )
            .await
            .expect("permitted")
            .expect("caller in extensions");
        assert_eq!(caller.subject, "agent-7");
        assert_eq!(caller.acting_subject(), "agent-7");
    }
}

#[tokio::test]
async fn a_service_passes_its_end_user_along() {
    let harness = Harness::new();
    let service = harness.token("svc-complaints", &[Role::Service]);
    let person = harness.token("agent-7", &[Role::Agent]);
    // The client side: what a service's interceptor puts on the wire.
    let mut interceptor = BearerInterceptor::new(&Secret::new(service))
        .expect("interceptor")
        .with_end_user(&Secret::new(person.clone()))
        .expect("end user");
    let request = interceptor
        .call(tonic::Request::new(()))
        .expect("intercepted");
    let headers = request.metadata().clone().into_headers();

    let caller = harness
        .layer
        .authorize(GET, &headers)
        .await
        .expect("permitted")
        .expect("caller");

    assert_eq!(caller.subject, "svc-complaints");
    assert_eq!(caller.acting_subject(), "agent-7");
    assert_eq!(caller.end_user_token().expose(), person);
    let end_user = caller.end_user.expect("end user");
    assert_eq!(end_user.roles, vec![Role::Agent]);
}

#[tokio::test]
async fn only_a_service_may_act_for_an_end_user() {
    let harness = Harness::new();
    let bearer = format!("Bearer {}", harness.token("agent-7", &[Role::Agent]));
    let other = harness.token("supervisor-2", &[Role::Supervisor]);

    let status = harness
        .send(
            GET,
            &[("authorization", &bearer), (END_USER_HEADER, &other)],
        )
        .await
        .expect_err("not a service");

    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "END_USER_NOT_PERMITTED");
}

#[tokio::test]
async fn a_bad_end_user_token_is_refused() {
    let harness = Harness::new();
    let bearer = format!("Bearer {}", harness.token("svc-crisis", &[Role::Service]));

    let status = harness
        .send(
            GET,
            &[
                ("authorization", &bearer),
                (END_USER_HEADER, "Bearer not.a.jwt"),
            ],
        )
        .await
        .expect_err("bad end user");

    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "TOKEN_INVALID");
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .expect("info");
    assert_eq!(
        info.metadata.get("credential").map(String::as_str),
        Some(END_USER_HEADER)
    );
}

/// The events on the `redress::audit` target, each as its fields.
#[derive(Clone, Default)]
struct AuditEvents(Arc<std::sync::Mutex<Vec<std::collections::BTreeMap<String, String>>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for AuditEvents {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Fields<'a>(&'a mut std::collections::BTreeMap<String, String>);
        impl tracing::field::Visit for Fields<'_> {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.insert(field.name().to_owned(), value.to_owned());
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.insert(field.name().to_owned(), format!("{value:?}"));
            }
        }
        if event.metadata().target() == crate::audit::AUDIT_TARGET {
            let mut fields = std::collections::BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.0.lock().expect("not poisoned").push(fields);
        }
    }
}

#[tokio::test]
async fn every_refusal_is_an_audit_event_without_the_token() {
    use tracing_subscriber::layer::SubscriberExt;

    let events = AuditEvents::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));
    let harness = Harness::new();
    let agent = harness.token("agent-7", &[Role::Agent]);
    let admin = format!("Bearer {}", harness.token("admin-1", &[Role::Admin]));

    harness.send(GET, &[]).await.expect_err("no token");
    harness
        .send(GET, &[("authorization", &admin)])
        .await
        .expect_err("an admin may not read customers here");
    harness
        .send(GET, &[("authorization", &format!("Bearer {agent}"))])
        .await
        .expect("an agent may");

    let events = events.0.lock().expect("not poisoned").clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["reason"], "TOKEN_MISSING");
    assert_eq!(events[0]["code"], "Unauthenticated");
    assert_eq!(events[0]["method"], GET);
    assert!(!events[0].contains_key("subject"));
    assert_eq!(events[1]["reason"], "ROLE_NOT_PERMITTED");
    assert_eq!(events[1]["code"], "PermissionDenied");
    assert_eq!(events[1]["subject"], "admin-1");
    assert_eq!(events[1]["domain"], "customers.redress");
    let all = format!("{events:?}");
    assert!(!all.contains(&agent) && !all.contains(admin.trim_start_matches("Bearer ")));
}
