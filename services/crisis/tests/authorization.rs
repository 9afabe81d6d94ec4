//! Who may call what, proved against the running service: the access table
//! names exactly the RPCs of the contract; every RPC is tried with every
//! role (PERMISSION_DENIED exactly where the table says no) and without a
//! token (UNAUTHENTICATED).

mod support;

use std::collections::BTreeMap;

use prost::Message;
use redress_platform::auth::Role;
use support::spawn_app;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

const SERVICE: &str = "redress.crisis.v1.CrisisService";

/// Every RPC of CrisisService in the contract: path → server streaming.
fn contract_methods() -> BTreeMap<String, bool> {
    let files = prost_types::FileDescriptorSet::decode(redress_proto::FILE_DESCRIPTOR_SET)
        .expect("the embedded descriptor set decodes");
    files
        .file
        .iter()
        .filter(|file| file.package() == "redress.crisis.v1")
        .flat_map(|file| file.service.iter())
        .flat_map(|service| service.method.iter())
        .map(|m| (format!("/{SERVICE}/{}", m.name()), m.server_streaming()))
        .collect()
}

/// The ErrorInfo reason of a status, or empty.
fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// Calls `path` with an empty request and an optional bearer token; for a
/// streaming RPC, reads up to the first message.
async fn call(
    channel: &Channel,
    path: &str,
    streaming: bool,
    token: Option<&str>,
) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(error.to_string()))?;
    let mut request = Request::new(());
    if let Some(token) = token {
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ASCII"),
        );
    }
    let path = PathAndQuery::try_from(path.to_string()).expect("a method path");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    if streaming {
        let mut stream = grpc
            .server_streaming(request, path, codec)
            .await?
            .into_inner();
        tokio::time::timeout(std::time::Duration::from_millis(300), stream.message())
            .await
            .map_or(Ok(()), |r| r.map(drop))
    } else {
        grpc.unary(request, path, codec).await.map(drop)
    }
}

#[test]
fn the_access_table_names_exactly_the_rpcs_of_the_contract() {
    let policy = redress_crisis::access_policy();
    assert!(policy.duplicate_methods().is_empty());
    let mut declared: Vec<&str> = policy.methods().map(|(path, _)| path).collect();
    declared.sort_unstable();
    let contract: Vec<String> = contract_methods().into_keys().collect();
    assert_eq!(declared, contract);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rpc_admits_exactly_the_roles_the_table_declares_and_nobody_without_a_token() {
    let app = spawn_app().await;
    let channel = app.channel();
    let policy = redress_crisis::access_policy();
    for (path, streaming) in contract_methods() {
        let allowed = policy.allowed(&path).expect("declared").to_vec();
        let anonymous = call(&channel, &path, streaming, None)
            .await
            .expect_err("no token");
        assert_eq!(anonymous.code(), Code::Unauthenticated, "{path}");
        for role in Role::ALL {
            let token = app.token("tester", &[role]);
            let outcome = call(&channel, &path, streaming, Some(&token)).await;
            let denied = matches!(&outcome, Err(s) if s.code() == Code::PermissionDenied
                && reason(s) == "ROLE_NOT_PERMITTED");
            if allowed.contains(&role) {
                assert!(
                    !matches!(&outcome, Err(s) if s.code() == Code::Unauthenticated || denied),
                    "{path} as {role:?}: {outcome:?}"
                );
            } else {
                assert!(denied, "{path} as {role:?}: {outcome:?}");
            }
        }
    }
}
