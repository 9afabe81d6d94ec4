//! The scenarios: what each one asks, as whom, about what. Each draws its
//! subjects (agents with open work, customers, complaints) from the seeded
//! database before it starts, and calls the suite through its public gRPC
//! API with development tokens, as an agent desktop would.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use redress_platform::Secret;
use redress_platform::auth::{Role, mint_dev_token};
use redress_proto::complaints::v1 as pb;
use redress_proto::complaints::v1::complaint_service_client::ComplaintServiceClient;
use redress_proto::customers::v1 as cpb;
use redress_proto::customers::v1::customer_service_client::CustomerServiceClient;
use sqlx::PgPool;
use tokio::sync::Mutex;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use uuid::Uuid;

use super::load::{self, Outcome, Shape, Turn};

/// A scenario by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// CreateComplaint: the whole intake path (customer check and
    /// interaction at the customers service, insert, history, SLA clocks,
    /// outbox).
    CreateComplaint,
    /// GetComplaint of a seeded complaint, by its owner.
    GetComplaint,
    /// ListMyWork of an agent with open work, on the seeded million.
    ListMyWork,
    /// HandOffComplaint to a colleague and AcceptHandOff by them, as one
    /// measured pair.
    HandOffAndAccept,
    /// GetCustomer of a seeded customer.
    GetCustomer,
    /// CreateBroadcast to `--broadcast-size` seeded customers over the
    /// webhook channel, to a loopback receiver: how soon it is queued, how
    /// fast it is delivered, and whether any message is lost or repeated.
    Broadcast,
    /// Bursts of complaints about fresh products, each until its spike
    /// warning shows in ListWarnings: the early-warning latency. Runs first,
    /// on an idle suite.
    EarlyWarning,
    /// GetComplaint at twice the suite's capacity, with the concurrency
    /// limit set to it: what load shedding keeps of accepted requests'
    /// latency (`bench::overload`). Not among the scenarios run by default:
    /// it starts the suite again with another limit.
    Overload,
}

impl Scenario {
    /// Every scenario, in the order they run.
    pub const ALL: [Scenario; 7] = [
        Scenario::EarlyWarning,
        Scenario::CreateComplaint,
        Scenario::GetComplaint,
        Scenario::ListMyWork,
        Scenario::HandOffAndAccept,
        Scenario::GetCustomer,
        Scenario::Broadcast,
    ];

    /// The scenario's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::CreateComplaint => "create-complaint",
            Scenario::GetComplaint => "get-complaint",
            Scenario::ListMyWork => "list-my-work",
            Scenario::HandOffAndAccept => "hand-off-and-accept",
            Scenario::GetCustomer => "get-customer",
            Scenario::Broadcast => "broadcast",
            Scenario::EarlyWarning => "early-warning",
            Scenario::Overload => "overload",
        }
    }
}

/// Where the suite is and how to sign its tokens.
pub struct Target {
    /// The customers service's endpoint.
    pub customers: String,
    /// The complaints service's endpoint.
    pub complaints: String,
    /// The notifications service's endpoint.
    pub notifications: String,
    /// The crisis service's endpoint.
    pub crisis: String,
    /// The development secret the suite checks tokens with.
    pub secret: Secret,
    /// The suite's database, as an administrator, for drawing subjects.
    pub admin: PgPool,
}

/// An agent: subject and team.
#[derive(Debug, Clone)]
struct Agent {
    subject: String,
    team: String,
}

/// `authorization` header values, minted once per agent.
struct Tokens {
    secret: Secret,
    minted: HashMap<String, MetadataValue<Ascii>>,
}

impl Tokens {
    fn of(&mut self, agent: &Agent) -> anyhow::Result<MetadataValue<Ascii>> {
        if let Some(value) = self.minted.get(&agent.subject) {
            return Ok(value.clone());
        }
        let token = mint_dev_token(
            &self.secret,
            &agent.subject,
            &[Role::Agent],
            Some(&agent.team),
            None,
            Duration::from_secs(12 * 3600),
        )?;
        let value: MetadataValue<Ascii> = format!("Bearer {token}").parse()?;
        self.minted.insert(agent.subject.clone(), value.clone());
        Ok(value)
    }
}

/// `message` with `token` as its bearer credential.
pub(super) fn authorized<T>(message: T, token: &MetadataValue<Ascii>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", token.clone());
    request
}

/// Agents with open work (the seeded owners), up to `limit`.
async fn agents(admin: &PgPool, limit: i64) -> anyhow::Result<Vec<Agent>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT owner, min(owner_team) FROM complaints.complaints
         WHERE state NOT IN ('resolved', 'closed', 'merged') AND owner_team <> ''
         GROUP BY owner ORDER BY random() LIMIT $1",
    )
    .bind(limit)
    .fetch_all(admin)
    .await?;
    anyhow::ensure!(
        !rows.is_empty(),
        "no agent has open complaints: seed the database first (redress seed)"
    );
    Ok(rows
        .into_iter()
        .map(|(subject, team)| Agent { subject, team })
        .collect())
}

/// Tokens of up to 500 agents with open work.
async fn agent_tokens(
    admin: &PgPool,
    tokens: &mut Tokens,
) -> anyhow::Result<Arc<Vec<MetadataValue<Ascii>>>> {
    let agents = agents(admin, 500).await?;
    let minted = agents
        .iter()
        .map(|a| tokens.of(a))
        .collect::<anyhow::Result<_>>()?;
    Ok(Arc::new(minted))
}

/// Runs `scenario` against `target` with `shape`; not the broadcast nor the
/// early warning, which are no load of requests ([`super::broadcast::run`],
/// [`super::early_warning::run`]).
pub async fn run(scenario: Scenario, target: &Target, shape: Shape) -> anyhow::Result<Outcome> {
    let mut tokens = Tokens {
        secret: target.secret.clone(),
        minted: HashMap::new(),
    };
    match scenario {
        Scenario::CreateComplaint => {
            let agents = agent_tokens(&target.admin, &mut tokens).await?;
            let customers = Arc::new(sample_customers(&target.admin).await?);
            let channels = load::connect(&target.complaints, shape.connections).await?;
            Ok(load::run(shape, &channels, move |turn: Turn| {
                let token = turn.pick(&agents).clone();
                let customer = *turn.pick_also(&customers);
                async move {
                    let request = pb::CreateComplaintRequest {
                        complaint: Some(pb::Complaint {
                            customer: format!("customers/{customer}"),
                            channel: pb::Channel::Phone.into(),
                            kind: pb::ComplaintKind::Complaint.into(),
                            summary: "The engineer did not come on the booked day".into(),
                            description: "Waited at home all day; nobody called.".into(),
                            category: "not_provided/missed_appointment".into(),
                            severity: pb::Severity::Medium.into(),
                            product: "broadband".into(),
                            region: "north".into(),
                            ..Default::default()
                        }),
                        request_id: Uuid::now_v7().to_string(),
                    };
                    ComplaintServiceClient::new(turn.channel)
                        .create_complaint(authorized(request, &token))
                        .await
                        .map(drop)
                }
            })
            .await)
        }
        Scenario::GetComplaint => {
            let complaints = sample_complaints(&target.admin, &mut tokens).await?;
            let complaints = Arc::new(complaints);
            let channels = load::connect(&target.complaints, shape.connections).await?;
            Ok(load::run(shape, &channels, move |turn: Turn| {
                let (name, token) = turn.pick(&complaints).clone();
                async move {
                    ComplaintServiceClient::new(turn.channel)
                        .get_complaint(authorized(pb::GetComplaintRequest { name }, &token))
                        .await
                        .map(drop)
                }
            })
            .await)
        }
        Scenario::ListMyWork => {
            let agents = agent_tokens(&target.admin, &mut tokens).await?;
            let channels = load::connect(&target.complaints, shape.connections).await?;
            Ok(load::run(shape, &channels, move |turn: Turn| {
                let token = turn.pick(&agents).clone();
                async move {
                    let request = pb::ListMyWorkRequest {
                        page_size: 50,
                        page_token: String::new(),
                    };
                    ComplaintServiceClient::new(turn.channel)
                        .list_my_work(authorized(request, &token))
                        .await
                        .map(drop)
                }
            })
            .await)
        }
        Scenario::HandOffAndAccept => {
            let pairs = hand_off_pairs(&target.admin, &mut tokens, shape.clients()).await?;
            let pairs: Arc<Vec<Arc<Mutex<Pair>>>> =
                Arc::new(pairs.into_iter().map(|p| Arc::new(Mutex::new(p))).collect());
            let channels = load::connect(&target.complaints, shape.connections).await?;
            Ok(load::run(shape, &channels, move |turn: Turn| {
                let pair = pairs[turn.worker % pairs.len()].clone();
                async move {
                    let mut pair = pair.lock().await;
                    pair.hand_off_and_accept(turn.channel).await
                }
            })
            .await)
        }
        Scenario::GetCustomer => {
            let agents = agent_tokens(&target.admin, &mut tokens).await?;
            let customers = Arc::new(sample_customers(&target.admin).await?);
            let channels = load::connect(&target.customers, shape.connections).await?;
            Ok(load::run(shape, &channels, move |turn: Turn| {
                let token = turn.pick(&agents).clone();
                let name = format!("customers/{}", turn.pick_also(&customers));
                async move {
                    CustomerServiceClient::new(turn.channel)
                        .get_customer(authorized(cpb::GetCustomerRequest { name }, &token))
                        .await
                        .map(drop)
                }
            })
            .await)
        }
        Scenario::Broadcast => {
            anyhow::bail!("the broadcast scenario runs through bench::broadcast")
        }
        Scenario::EarlyWarning => {
            anyhow::bail!("the early-warning scenario runs through bench::early_warning")
        }
        Scenario::Overload => {
            anyhow::bail!("the overload scenario runs through bench::overload")
        }
    }
}

async fn sample_customers(admin: &PgPool) -> anyhow::Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM customers.customers WHERE erase_time IS NULL ORDER BY random() LIMIT 20000",
    )
    .fetch_all(admin)
    .await?;
    anyhow::ensure!(!ids.is_empty(), "no customers: seed the database first");
    Ok(ids)
}

/// A complaint's name and its owner's `authorization` value.
pub(super) type Reader = (String, MetadataValue<Ascii>);

/// Seeded complaints with their owners' tokens, for loads other than
/// [`run`]'s.
pub(super) async fn complaint_readers(target: &Target) -> anyhow::Result<Arc<Vec<Reader>>> {
    let mut tokens = Tokens {
        secret: target.secret.clone(),
        minted: HashMap::new(),
    };
    Ok(Arc::new(
        sample_complaints(&target.admin, &mut tokens).await?,
    ))
}

/// Seeded complaints with their owners' tokens.
async fn sample_complaints(
    admin: &PgPool,
    tokens: &mut Tokens,
) -> anyhow::Result<Vec<(String, MetadataValue<Ascii>)>> {
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, owner, owner_team FROM complaints.complaints ORDER BY random() LIMIT 5000",
    )
    .fetch_all(admin)
    .await?;
    anyhow::ensure!(!rows.is_empty(), "no complaints: seed the database first");
    rows.into_iter()
        .map(|(id, subject, team)| {
            let token = tokens.of(&Agent { subject, team })?;
            Ok((format!("complaints/{id}"), token))
        })
        .collect()
}

/// A complaint going back and forth between two agents of one team.
struct Pair {
    complaint: String,
    /// The current owner, and the colleague it goes to next.
    owner: (Agent, MetadataValue<Ascii>),
    colleague: (Agent, MetadataValue<Ascii>),
}

impl Pair {
    async fn hand_off_and_accept(&mut self, channel: Channel) -> Result<(), tonic::Status> {
        let mut client = ComplaintServiceClient::new(channel);
        let offered = client
            .hand_off_complaint(authorized(
                pb::HandOffComplaintRequest {
                    name: self.complaint.clone(),
                    etag: String::new(),
                    request_id: Uuid::now_v7().to_string(),
                    reason: "Billing question; my colleague handles refunds".into(),
                    target: Some(pb::hand_off_complaint_request::Target::ToAgent(
                        self.colleague.0.subject.clone(),
                    )),
                },
                &self.owner.1,
            ))
            .await?
            .into_inner();
        let hand_off = offered
            .hand_off
            .ok_or_else(|| tonic::Status::internal("HandOffComplaint answered no hand-off"))?;
        client
            .accept_hand_off(authorized(
                pb::AcceptHandOffRequest {
                    name: hand_off.name,
                    request_id: Uuid::now_v7().to_string(),
                },
                &self.colleague.1,
            ))
            .await?;
        std::mem::swap(&mut self.owner, &mut self.colleague);
        Ok(())
    }
}

/// One open complaint per worker, each with its owner and a colleague of
/// the same team.
async fn hand_off_pairs(
    admin: &PgPool,
    tokens: &mut Tokens,
    count: usize,
) -> anyhow::Result<Vec<Pair>> {
    let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT c.id, c.owner, c.owner_team, colleague.owner
         FROM complaints.complaints c
         CROSS JOIN LATERAL (
             SELECT o.owner FROM complaints.complaints o
             WHERE o.owner_team = c.owner_team AND o.owner <> c.owner
             LIMIT 1) colleague
         WHERE c.state IN ('acknowledged', 'investigating')
           AND NOT EXISTS (SELECT 1 FROM complaints.hand_offs h
                           WHERE h.complaint_id = c.id AND h.state = 'pending')
         ORDER BY random() LIMIT $1",
    )
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .fetch_all(admin)
    .await
    .context("finding complaints to hand off")?;
    anyhow::ensure!(
        !rows.is_empty(),
        "no open complaint has a colleague to hand it to: seed the database first"
    );
    rows.into_iter()
        .map(|(id, owner, team, colleague)| {
            let owner = Agent {
                subject: owner,
                team: team.clone(),
            };
            let colleague = Agent {
                subject: colleague,
                team,
            };
            Ok(Pair {
                complaint: format!("complaints/{id}"),
                owner: (owner.clone(), tokens.of(&owner)?),
                colleague: (colleague.clone(), tokens.of(&colleague)?),
            })
        })
        .collect()
}
