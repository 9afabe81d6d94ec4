//! Who may call what, proved against the running service: the access table
//! names exactly the RPCs of the contract; every RPC is tried with every role
//! (PERMISSION_DENIED exactly where the table says no); every RPC refuses a
//! missing, expired, forged or unsigned token; a service may act for a person
//! and the person is who the record names. Health and reflection answer
//! without a token.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use prost::Message;
use redress_platform::Secret;
use redress_platform::auth::{
    BearerInterceptor, Claims, Role, generate_dev_secret, mint_dev_token, sign_dev_claims,
};
use support::*;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const SERVICE: &str = "redress.customers.v1.CustomerService";

/// Every RPC of CustomerService in the contract: full path → whether the
/// server streams its answer.
fn contract_methods() -> BTreeMap<String, bool> {
    let files = prost_types::FileDescriptorSet::decode(redress_proto::FILE_DESCRIPTOR_SET)
        .expect("the embedded descriptor set decodes");
    files
        .file
        .iter()
        .filter(|file| file.package() == "redress.customers.v1")
        .flat_map(|file| file.service.iter())
        .filter(|service| service.name() == "CustomerService")
        .flat_map(|service| service.method.iter())
        .map(|method| {
            (
                format!("/{SERVICE}/{}", method.name()),
                method.server_streaming(),
            )
        })
        .collect()
}

/// Calls `path` with an empty request and `metadata`; for a streaming RPC,
/// reads up to the first message. `Ok` when the call got that far.
async fn call(
    channel: &Channel,
    path: &str,
    server_streaming: bool,
    metadata: &[(&'static str, String)],
) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(error.to_string()))?;
    let mut request = Request::new(());
    for (key, value) in metadata {
        request
            .metadata_mut()
            .insert(*key, value.parse().expect("ASCII metadata"));
    }
    let path = PathAndQuery::try_from(path.to_string()).expect("a method path");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    if server_streaming {
        let mut stream = grpc
            .server_streaming(request, path, codec)
            .await?
            .into_inner();
        stream.message().await?;
        Ok(())
    } else {
        grpc.unary(request, path, codec).await.map(drop)
    }
}

/// Request metadata: key and value pairs.
type Metadata = Vec<(&'static str, String)>;

fn bearer(token: &str) -> Metadata {
    vec![("authorization", format!("Bearer {token}"))]
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn all_roles_claims(exp: u64, iat: u64) -> Claims {
    Claims {
        sub: "mallory".into(),
        roles: Role::ALL
            .iter()
            .map(|role| role.as_str().to_string())
            .collect(),
        team: None,
        locale: None,
        exp,
        iat,
        iss: None,
        aud: None,
    }
}

#[test]
fn the_access_table_names_exactly_the_rpcs_of_the_contract() {
    let policy = redress_customers::access_policy();
    assert!(policy.duplicate_methods().is_empty());
    let declared: Vec<&str> = policy.methods().map(|(path, _)| path).collect();
    let contract: Vec<String> = contract_methods().into_keys().collect();
    let mut declared_sorted = declared.clone();
    declared_sorted.sort_unstable();
    assert_eq!(declared_sorted, contract);
    assert_eq!(contract.len(), 15);
}

#[test]
fn erasure_transactions_and_mass_selection_are_held_narrowly() {
    let policy = redress_customers::access_policy();
    let allowed = |method: &str| {
        policy
            .allowed(&format!("/{SERVICE}/{method}"))
            .expect("declared")
            .to_vec()
    };
    assert_eq!(allowed("EraseCustomer"), [Role::Admin]);
    assert_eq!(allowed("RecordTransaction"), [Role::Admin, Role::Service]);
    assert!(!allowed("SelectCustomers").contains(&Role::Agent));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rpc_admits_exactly_the_roles_its_table_entry_names() {
    // Arrange
    let app = spawn_app().await;
    let streaming = contract_methods();
    let mut wrong = Vec::new();

    for (path, allowed) in redress_customers::access_policy().methods() {
        let server_streaming = streaming[path];
        let role_sets = Role::ALL
            .iter()
            .map(|role| vec![*role])
            .chain(std::iter::once(Vec::new()));
        for roles in role_sets {
            // Act
            let token = app.token("matrix", &roles);
            let outcome = call(&app.channel, path, server_streaming, &bearer(&token)).await;

            // Assert
            let permitted = roles.iter().any(|role| allowed.contains(role));
            match (&outcome, permitted) {
                (Err(status), false)
                    if status.code() == Code::PermissionDenied
                        && reason(status) == "ROLE_NOT_PERMITTED" => {}
                (Err(status), true)
                    if matches!(
                        status.code(),
                        Code::PermissionDenied | Code::Unauthenticated
                    ) =>
                {
                    wrong.push(format!("{path} as {roles:?}: refused: {status:?}"))
                }
                (_, true) => {}
                (_, false) => wrong.push(format!("{path} as {roles:?}: admitted: {outcome:?}")),
            }
        }
    }

    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rpc_refuses_a_missing_expired_forged_or_unsigned_token() {
    // Arrange
    let app = spawn_app().await;
    let now = unix_now();
    let expired =
        sign_dev_claims(&app.secret, &all_roles_claims(now - 3_600, now - 7_200)).expect("signed");
    let forged = mint_dev_token(
        &generate_dev_secret(),
        "mallory",
        &Role::ALL,
        None,
        None,
        Duration::from_secs(600),
    )
    .expect("signed");
    let unsigned = {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = serde_json::to_vec(&all_roles_claims(now + 600, now)).expect("JSON");
        format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims))
    };
    let cases: Vec<(&str, Metadata, &str)> = vec![
        ("no token", vec![], "TOKEN_MISSING"),
        (
            "another scheme",
            vec![(
                "authorization",
                format!("Basic {}", app.token("x", &Role::ALL)),
            )],
            "TOKEN_MISSING",
        ),
        ("an expired token", bearer(&expired), "TOKEN_EXPIRED"),
        (
            "a token signed with another secret",
            bearer(&forged),
            "TOKEN_INVALID",
        ),
        (
            "an unsigned alg:none token",
            bearer(&unsigned),
            "TOKEN_INVALID",
        ),
        ("not a JWT", bearer("not.a.jwt"), "TOKEN_INVALID"),
    ];
    let mut wrong = Vec::new();

    for (path, server_streaming) in contract_methods() {
        for (case, metadata, expected_reason) in &cases {
            // Act
            let outcome = call(&app.channel, &path, server_streaming, metadata).await;

            // Assert
            match &outcome {
                Err(status)
                    if status.code() == Code::Unauthenticated
                        && reason(status) == *expected_reason => {}
                other => wrong.push(format!("{path} with {case}: {other:?}")),
            }
        }
    }

    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_method_the_table_does_not_declare_is_refused() {
    let app = spawn_app().await;
    let token = app.token("admin-1", &Role::ALL);
    let status = call(
        &app.channel,
        "/redress.customers.v1.CustomerService/DeleteCustomer",
        false,
        &bearer(&token),
    )
    .await
    .expect_err("refused");
    assert_status(&status, Code::PermissionDenied, "METHOD_NOT_DECLARED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_acting_for_an_agent_records_the_agent_and_only_a_service_may_act_for_someone() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let agent_token = Secret::new(app.token("agent-42", &[Role::Agent]));
    let request = pb::RecordInteractionRequest {
        parent: customer.name.clone(),
        interaction: Some(pb::Interaction {
            channel: pb::Channel::Chat.into(),
            direction: pb::Direction::Inbound.into(),
            summary: "Asked where the parcel is".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let acting_client = |subject: &str, roles: &[Role]| {
        let interceptor = BearerInterceptor::new(&Secret::new(app.token(subject, roles)))
            .and_then(|i| i.with_end_user(&agent_token))
            .expect("an interceptor");
        pb::customer_service_client::CustomerServiceClient::with_interceptor(
            app.channel.clone(),
            interceptor,
        )
    };

    // Act
    let recorded = acting_client("complaints-service", &[Role::Service])
        .record_interaction(request.clone())
        .await
        .expect("recorded")
        .into_inner()
        .interaction
        .expect("an interaction");
    let refused = acting_client("supervisor-1", &[Role::Supervisor])
        .record_interaction(request)
        .await
        .expect_err("refused");

    // Assert
    assert_eq!(recorded.agent, "agent-42");
    assert_status(&refused, Code::PermissionDenied, "END_USER_NOT_PERMITTED");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_reflection_answer_without_a_token() {
    // Arrange
    let app = spawn_app().await;
    let mut health = HealthClient::new(app.channel.clone());
    let mut reflection = ServerReflectionClient::new(app.channel.clone());

    // Act
    let serving = health
        .check(HealthCheckRequest {
            service: SERVICE.into(),
        })
        .await
        .expect("a health answer")
        .into_inner();
    let unknown = health
        .check(HealthCheckRequest {
            service: "redress.nothing.v1.Nothing".into(),
        })
        .await
        .expect_err("an unknown service");
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            },
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::FileContainingSymbol(SERVICE.into())),
            },
        ]))
        .await
        .expect("reflection answers")
        .into_inner();
    let listed = answers.message().await.expect("a message").expect("a list");
    let file = answers.message().await.expect("a message").expect("a file");

    // Assert
    assert_eq!(serving.status, ServingStatus::Serving as i32);
    assert_eq!(unknown.code(), Code::NotFound);
    let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
        panic!("a list of services: {listed:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&SERVICE), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
    let Some(MessageResponse::FileDescriptorResponse(files)) = file.message_response else {
        panic!("the file declaring the service: {file:?}");
    };
    let declares_service = files.file_descriptor_proto.iter().any(|bytes| {
        prost_types::FileDescriptorProto::decode(bytes.as_slice())
            .is_ok_and(|f| f.service.iter().any(|s| s.name() == "CustomerService"))
    });
    assert!(declares_service);
}
