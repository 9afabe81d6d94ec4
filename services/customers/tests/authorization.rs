//! Who may call what, proved against the running service: the matrix the
//! platform generates from the access table and the contract (every RPC with
//! every role, and with a missing, expired, forged or unsigned token), the
//! few entries held narrowly on purpose, a service acting for a person (the
//! person is who the record names), and health and reflection answering
//! without a token.

mod support;

use prost::Message;
use redress_platform::Secret;
use redress_platform::auth::{BearerInterceptor, Role};
use redress_platform::testing::authz::AccessMatrix;
use support::*;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const SERVICE: &str = "redress.customers.v1.CustomerService";

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
async fn every_rpc_admits_exactly_the_roles_its_table_entry_names_and_refuses_bad_tokens() {
    let app = spawn_app().await;
    AccessMatrix::new(
        app.channel.clone(),
        redress_customers::access_policy(),
        SERVICE,
        app.secret.clone(),
    )
    .assert_all()
    .await;
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
