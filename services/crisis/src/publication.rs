//! Statements out through the notifications service. A release to affected
//! customers is one broadcast with an assembled audience: the heavily
//! affected added first (`first = true`), then the others, in batches
//! streamed from this schema, then started. To all customers it is a
//! broadcast to everyone; to the team (employees, or any customer audience
//! of a drill) a staff message to each member. Every call is idempotent —
//! the broadcast's request id is the statement's id, each staff message's
//! is derived from the statement and the member — so a release that failed
//! or crashed before it was recorded can simply be tried again.

use std::collections::HashMap;

use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as npb;
use sqlx::PgPool;
use tonic::Code;
use uuid::Uuid;

use crate::directory::{Directories, for_person};
use crate::domain::statement::{Delivery, member_request_id};
use crate::names;
use crate::settings::StatementSettings;
use crate::store::affected::{self as affected, HEAVY, NORMAL};
use crate::store::statements::{self as store, Statement};

/// Where a release went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    /// The broadcasts or messages it went out as.
    pub deliveries: Vec<String>,
    /// How many recipients (0 when not known, as for everyone).
    pub recipient_count: i64,
}

/// Sends `statement` as `delivery` says, on behalf of the person `caller`
/// acts for (the notifications service records them as the sender).
pub async fn publish(
    caller: &Caller,
    pool: &PgPool,
    directories: &Directories,
    settings: &StatementSettings,
    statement: &Statement,
    delivery: Delivery,
) -> Result<Published, ApiError> {
    let variables: HashMap<String, String> = statement.variants.variables().into_iter().collect();
    let outgoing = Outgoing {
        caller,
        pool,
        client: directories.notifications.clone(),
        settings,
        statement,
        variables,
    };
    match delivery {
        Delivery::Recorded => Ok(Published::default()),
        Delivery::Team => outgoing.send_to_team().await,
        Delivery::AffectedCustomers => outgoing.send_to_affected().await,
        Delivery::AllCustomers => outgoing.send_to_everyone().await,
    }
}

struct Outgoing<'a> {
    caller: &'a Caller,
    pool: &'a PgPool,
    client: crate::directory::NotificationsClient,
    settings: &'a StatementSettings,
    statement: &'a Statement,
    variables: HashMap<String, String>,
}

impl Outgoing<'_> {
    fn broadcast(&self, members: npb::audience::Members) -> npb::CreateBroadcastRequest {
        npb::CreateBroadcastRequest {
            broadcast: Some(npb::Broadcast {
                audience: Some(npb::Audience {
                    members: Some(members),
                }),
                kind: self.settings.kind.clone(),
                category: self.settings.category.clone(),
                critical: self.statement.critical,
                variables: self.variables.clone(),
                ..npb::Broadcast::default()
            }),
            request_id: self.statement.id.to_string(),
        }
    }

    /// A staff message to each team member.
    async fn send_to_team(mut self) -> Result<Published, ApiError> {
        let team = {
            let mut conn = self.pool.acquire().await?;
            store::team(&mut conn, self.statement.crisis_id).await?
        };
        let mut deliveries = Vec::with_capacity(team.len());
        for subject in &team {
            let sent = self
                .client
                .send_message(for_person(
                    npb::SendMessageRequest {
                        message: Some(npb::Message {
                            recipient: format!("agents/{subject}"),
                            kind: self.settings.kind.clone(),
                            category: self.settings.category.clone(),
                            critical: self.statement.critical,
                            variables: self.variables.clone(),
                            ..npb::Message::default()
                        }),
                        request_id: member_request_id(self.statement.id, subject).to_string(),
                    },
                    self.caller,
                )?)
                .await
                .map_err(|s| notifications_failed(&s))?
                .into_inner();
            if let Some(message) = sent.message {
                deliveries.push(message.name);
            }
        }
        Ok(Published {
            recipient_count: i64::try_from(team.len()).unwrap_or(i64::MAX),
            deliveries,
        })
    }

    /// A broadcast to every customer.
    async fn send_to_everyone(mut self) -> Result<Published, ApiError> {
        let request = self.broadcast(npb::audience::Members::Selector(
            cpb::CustomerSelector::default(),
        ));
        let created = self
            .client
            .create_broadcast(for_person(request, self.caller)?)
            .await
            .map_err(|s| notifications_failed(&s))?
            .into_inner()
            .broadcast
            .ok_or(ApiError::Internal)?;
        Ok(Published {
            deliveries: vec![created.name],
            recipient_count: created.member_count,
        })
    }

    /// A broadcast to the affected customers, heavily affected first.
    async fn send_to_affected(mut self) -> Result<Published, ApiError> {
        let request = self.broadcast(npb::audience::Members::Assembled(npb::AssembledAudience {}));
        let created = self
            .client
            .create_broadcast(for_person(request, self.caller)?)
            .await
            .map_err(|s| notifications_failed(&s))?
            .into_inner()
            .broadcast
            .ok_or(ApiError::Internal)?;
        let name = created.name.clone();
        if created.state != npb::BroadcastState::Assembling as i32 {
            // Started by an earlier try of this release.
            return Ok(Published {
                deliveries: vec![name],
                recipient_count: created.member_count,
            });
        }
        let mut started_elsewhere = false;
        for (impact, first) in [(HEAVY, true), (NORMAL, false)] {
            if started_elsewhere {
                break;
            }
            started_elsewhere = self.add_members(&name, impact, first).await?;
        }
        let broadcast = if started_elsewhere {
            self.get(&name).await?
        } else {
            match self
                .client
                .start_broadcast(for_person(
                    npb::StartBroadcastRequest { name: name.clone() },
                    self.caller,
                )?)
                .await
            {
                Ok(started) => started.into_inner().broadcast.ok_or(ApiError::Internal)?,
                Err(status) if status.code() == Code::FailedPrecondition => {
                    let now = self.get(&name).await?;
                    if now.state == npb::BroadcastState::Assembling as i32 {
                        return Err(notifications_failed(&status));
                    }
                    now
                }
                Err(status) => return Err(notifications_failed(&status)),
            }
        };
        Ok(Published {
            deliveries: vec![name],
            recipient_count: broadcast.member_count,
        })
    }

    /// Adds the crisis's customers of `impact` to the broadcast in batches;
    /// true when the broadcast turned out to be started already.
    async fn add_members(
        &mut self,
        name: &str,
        impact: i16,
        first: bool,
    ) -> Result<bool, ApiError> {
        let batch = i64::try_from(self.settings.member_batch).unwrap_or(10_000);
        let mut after: Option<Uuid> = None;
        loop {
            let ids = {
                let mut conn = self.pool.acquire().await?;
                affected::customer_ids(&mut conn, self.statement.crisis_id, impact, after, batch)
                    .await?
            };
            let Some(last) = ids.last().copied() else {
                return Ok(false);
            };
            after = Some(last);
            let members = ids.into_iter().map(names::customer).collect();
            match self
                .client
                .add_broadcast_members(for_person(
                    npb::AddBroadcastMembersRequest {
                        name: name.to_owned(),
                        members,
                        first,
                    },
                    self.caller,
                )?)
                .await
            {
                Ok(_) => {}
                Err(status) if status.code() == Code::FailedPrecondition => return Ok(true),
                Err(status) => return Err(notifications_failed(&status)),
            }
        }
    }

    async fn get(&mut self, name: &str) -> Result<npb::Broadcast, ApiError> {
        self.client
            .get_broadcast(for_person(
                npb::GetBroadcastRequest {
                    name: name.to_owned(),
                },
                self.caller,
            )?)
            .await
            .map_err(|s| notifications_failed(&s))?
            .into_inner()
            .broadcast
            .ok_or(ApiError::Internal)
    }
}

/// A failed notifications call: retryable when the service is unreachable
/// or busy, internal otherwise (only its code is logged).
fn notifications_failed(status: &tonic::Status) -> ApiError {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted => {
            ApiError::Unavailable {
                reason: "NOTIFICATIONS_UNAVAILABLE",
                message: "the notifications service is not reachable now; retry the release".into(),
            }
        }
        code => {
            tracing::error!(
                ?code,
                "the notifications service refused a statement's release"
            );
            ApiError::Internal
        }
    }
}
