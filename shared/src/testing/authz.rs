//! The authorization matrix, generated from a service's declarations. Each
//! service declares who may call each RPC once, in its [`AccessPolicy`]; its
//! contract lists its RPCs in the embedded descriptor set. [`AccessMatrix`]
//! takes both and a running server and proves, cell by cell, that the server
//! does what the declarations say: the table names exactly the contract's
//! RPCs; every RPC called with every role alone (and with none) is refused
//! with PERMISSION_DENIED exactly where the table says no; every RPC refuses
//! a missing, expired, forged or unsigned (`alg: none`) token with
//! UNAUTHENTICATED and the matching ErrorInfo reason; a method the table does
//! not declare is refused whoever calls. A new RPC or role is covered the
//! moment it is declared, with no test to edit.
//!
//! Calls carry an empty request, so an admitted call usually ends in
//! INVALID_ARGUMENT or NOT_FOUND; anything but the authentication layer's own
//! refusals counts as admitted. Server-streaming RPCs are read up to their
//! first message.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use prost::Message;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

use crate::auth::{
    AccessPolicy, Claims, Role, generate_dev_secret, mint_dev_token, sign_dev_claims,
};
use crate::secret::Secret;

/// How long an admitted server stream is given to produce its first message
/// before the call is taken as admitted anyway (a watch with nothing to say
/// stays open). Refusals arrive before the stream opens, so this never
/// decides an outcome.
const FIRST_MESSAGE_WAIT: Duration = Duration::from_millis(300);

/// Reasons with which the authentication layer refuses a call by role.
const ROLE_REFUSALS: [&str; 2] = ["ROLE_NOT_PERMITTED", "METHOD_NOT_DECLARED"];

/// Request metadata: key and value pairs.
type Metadata = Vec<(&'static str, String)>;

/// One service's declarations and the running server to prove them on.
#[derive(Clone, Debug)]
pub struct AccessMatrix {
    /// A channel to the running server.
    channel: Channel,
    /// The service's access table.
    policy: AccessPolicy,
    /// The full service name in the contract, `redress.<service>.v1.<Name>Service`.
    service: String,
    /// The development secret the server verifies tokens with.
    secret: Secret,
    /// The `team` claim put in every role token (some services need one).
    team: Option<String>,
}

impl AccessMatrix {
    /// A matrix for `service` (full name, e.g.
    /// `redress.customers.v1.CustomerService`) served on `channel`, whose
    /// server verifies development tokens signed with `secret`.
    pub fn new(channel: Channel, policy: AccessPolicy, service: &str, secret: Secret) -> Self {
        Self {
            channel,
            policy,
            service: service.to_owned(),
            secret,
            team: None,
        }
    }

    /// Puts `team` in the role tokens.
    #[must_use]
    pub fn with_team(mut self, team: &str) -> Self {
        self.team = Some(team.to_owned());
        self
    }

    /// The ErrorInfo domain the service answers in: `<service>.redress`.
    fn domain(&self) -> String {
        let package = self.service.rsplit_once('.').map_or("", |(p, _)| p);
        let name = package.split('.').nth(1).unwrap_or_default();
        format!("{name}.redress")
    }

    /// Every RPC of the service in the contract: full path → whether the
    /// server streams its answer.
    pub fn contract_methods(&self) -> BTreeMap<String, bool> {
        let (package, name) = self
            .service
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("`{}` is not a full service name", self.service));
        let files = prost_types::FileDescriptorSet::decode(redress_proto::FILE_DESCRIPTOR_SET)
            .expect("the embedded descriptor set decodes");
        files
            .file
            .iter()
            .filter(|file| file.package() == package)
            .flat_map(|file| file.service.iter())
            .filter(|service| service.name() == name)
            .flat_map(|service| service.method.iter())
            .map(|method| {
                (
                    format!("/{}/{}", self.service, method.name()),
                    method.server_streaming(),
                )
            })
            .collect()
    }

    /// Runs every check of the matrix, panicking with every wrong cell.
    pub async fn assert_all(&self) {
        self.assert_table_names_the_contract();
        self.assert_roles().await;
        self.assert_bad_tokens_refused().await;
        self.assert_undeclared_method_refused().await;
    }

    /// The table names each RPC of the contract exactly once, and nothing
    /// else.
    pub fn assert_table_names_the_contract(&self) {
        assert!(
            self.policy.duplicate_methods().is_empty(),
            "declared twice: {:?}",
            self.policy.duplicate_methods()
        );
        let mut declared: Vec<&str> = self.policy.methods().map(|(path, _)| path).collect();
        declared.sort_unstable();
        let contract: Vec<String> = self.contract_methods().into_keys().collect();
        assert!(!contract.is_empty(), "{} has no RPCs", self.service);
        assert_eq!(declared, contract, "the access table of {}", self.service);
    }

    /// Every declared RPC with every role alone, and with no role at all:
    /// refused by role exactly where the table says no.
    pub async fn assert_roles(&self) {
        let streaming = self.contract_methods();
        let mut wrong = Vec::new();
        for (path, allowed) in self.policy.methods() {
            let server_streaming = streaming.get(path).copied().unwrap_or(false);
            let role_sets = Role::ALL
                .iter()
                .map(|role| vec![*role])
                .chain(std::iter::once(Vec::new()));
            for roles in role_sets {
                let token = self.token(&roles);
                let outcome = self.call(path, server_streaming, &bearer(&token)).await;
                let permitted = roles.iter().any(|role| allowed.contains(role));
                match (&outcome, permitted) {
                    (Err(status), false) if self.refused_by_role(status) => {}
                    (Err(status), true)
                        if self.refused_by_role(status)
                            || status.code() == Code::Unauthenticated =>
                    {
                        wrong.push(format!("{path} as {roles:?}: refused: {status:?}"));
                    }
                    (_, true) => {}
                    (_, false) => {
                        wrong.push(format!("{path} as {roles:?}: admitted: {outcome:?}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Every RPC with no token, another scheme, an expired token, a token
    /// signed with another key, an `alg: none` token and garbage: each
    /// UNAUTHENTICATED with its reason.
    pub async fn assert_bad_tokens_refused(&self) {
        let now = unix_now();
        let expired = sign_dev_claims(&self.secret, &all_roles_claims(now - 3_600, now - 7_200))
            .expect("signed");
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
                vec![("authorization", format!("Basic {}", self.token(&Role::ALL)))],
                "TOKEN_MISSING",
            ),
            ("an expired token", bearer(&expired), "TOKEN_EXPIRED"),
            (
                "a token signed with another key",
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
        let domain = self.domain();
        let mut wrong = Vec::new();
        for (path, server_streaming) in self.contract_methods() {
            for (case, metadata, expected) in &cases {
                let outcome = self.call(&path, server_streaming, metadata).await;
                match &outcome {
                    Err(status)
                        if status.code() == Code::Unauthenticated
                            && error_info(status)
                                == Some((expected.to_string(), domain.clone())) => {}
                    other => wrong.push(format!("{path} with {case}: {other:?}")),
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// A method of the service the table does not declare is refused even
    /// to a caller holding every role.
    pub async fn assert_undeclared_method_refused(&self) {
        let path = format!("/{}/NotDeclaredAnywhere", self.service);
        let token = self.token(&Role::ALL);
        let status = self
            .call(&path, false, &bearer(&token))
            .await
            .expect_err("an undeclared method is refused");
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert_eq!(
            error_info(&status),
            Some(("METHOD_NOT_DECLARED".to_owned(), self.domain())),
            "{status:?}"
        );
    }

    /// A valid token holding `roles`.
    fn token(&self, roles: &[Role]) -> String {
        mint_dev_token(
            &self.secret,
            "matrix",
            roles,
            self.team.as_deref(),
            None,
            Duration::from_secs(600),
        )
        .expect("a development token")
    }

    /// Whether `status` is the authentication layer refusing by role.
    fn refused_by_role(&self, status: &Status) -> bool {
        status.code() == Code::PermissionDenied
            && error_info(status).is_some_and(|(reason, domain)| {
                ROLE_REFUSALS.contains(&reason.as_str()) && domain == self.domain()
            })
    }

    /// Calls `path` with an empty request and `metadata`; for a streaming
    /// RPC, reads up to the first message. `Ok` when the call got that far.
    async fn call(
        &self,
        path: &str,
        server_streaming: bool,
        metadata: &[(&'static str, String)],
    ) -> Result<(), Status> {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready()
            .await
            .map_err(|error| Status::unavailable(error.to_string()))?;
        let mut request = Request::new(());
        for (key, value) in metadata {
            request
                .metadata_mut()
                .insert(*key, value.parse().expect("ASCII metadata"));
        }
        let path = PathAndQuery::try_from(path.to_owned()).expect("a method path");
        let codec = tonic_prost::ProstCodec::<(), ()>::default();
        if server_streaming {
            let mut stream = grpc
                .server_streaming(request, path, codec)
                .await?
                .into_inner();
            match tokio::time::timeout(FIRST_MESSAGE_WAIT, stream.message()).await {
                Ok(first) => first.map(drop),
                Err(_) => Ok(()),
            }
        } else {
            grpc.unary(request, path, codec).await.map(drop)
        }
    }
}

fn bearer(token: &str) -> Metadata {
    vec![("authorization", format!("Bearer {token}"))]
}

/// The ErrorInfo reason and domain of a status.
fn error_info(status: &Status) -> Option<(String, String)> {
    status
        .get_error_details()
        .error_info()
        .map(|info| (info.reason.clone(), info.domain.clone()))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn all_roles_claims(exp: u64, iat: u64) -> Claims {
    Claims {
        sub: "mallory".into(),
        roles: Role::ALL
            .iter()
            .map(|role| role.as_str().to_owned())
            .collect(),
        team: None,
        locale: None,
        exp,
        iat,
        iss: None,
        aud: None,
    }
}
