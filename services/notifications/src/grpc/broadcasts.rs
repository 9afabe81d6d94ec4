//! Broadcast handlers: create one (listed, selected or assembled), add to
//! and start an assembled one, read it and its progress, cancel it.

use std::collections::BTreeSet;

use prost::Message as _;
use redress_platform::audit::AuditEntry;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{Claim, replay, request_id_field};
use redress_platform::names;
use redress_platform::wire::{self, WireEnum};
use redress_proto::notifications::v1 as pb;
use serde_json::Value;
use uuid::Uuid;

use super::audit::{BROADCAST_CANCELLED, BROADCAST_CREATED, BROADCAST_STARTED};
use super::convert::{self, channel_list};
use super::messages::{category_of, check_category};
use super::{NotificationApi, id_of};
use crate::domain::delivery::State;
use crate::domain::template::check_kind;
use crate::store::broadcasts::{self, AudienceRow, BroadcastRow, Refusal};

/// The most customers a listed audience may name.
pub const MAX_LISTED: usize = 100_000;

/// The most members one AddBroadcastMembers call may add.
pub const MAX_ADDED: usize = 10_000;

fn is_customer(name: &str) -> bool {
    crate::domain::recipient::Recipient::parse(name).is_ok_and(|r| r.customer().is_some())
}

/// Why a change to an assembling broadcast was refused, as the API says it.
fn refused(refusal: Refusal, name: &str, what: &str) -> ApiError {
    match refusal {
        Refusal::Unknown => ApiError::not_found("Broadcast", name.to_owned()),
        Refusal::NotAssembling(state) => ApiError::FailedPrecondition {
            reason: "BROADCAST_NOT_ASSEMBLING",
            message: format!(
                "{name} is {state}, not assembling; cannot {what} it (only a broadcast created \
                 with an assembled audience, and not yet started, takes members)"
            ),
            allowed: vec!["GetBroadcast".into(), "GetBroadcastProgress".into()],
        },
        Refusal::Empty => ApiError::FailedPrecondition {
            reason: "EMPTY_AUDIENCE",
            message: format!("{name} has no member; nothing was started"),
            allowed: vec!["AddBroadcastMembers".into(), "CancelBroadcast".into()],
        },
    }
}

impl NotificationApi {
    pub(super) async fn create_broadcast(
        &self,
        who: &Caller,
        r: pb::CreateBroadcastRequest,
    ) -> Result<pb::CreateBroadcastResponse, ApiError> {
        let caller = who.acting_subject();
        let fingerprint = convert::fingerprint_with_variables(&r, |r| {
            r.request_id.clear();
            r.broadcast
                .as_mut()
                .map(|b| std::mem::take(&mut b.variables))
                .unwrap_or_default()
        });
        let pb::CreateBroadcastRequest {
            broadcast,
            request_id,
        } = r;
        let Some(broadcast) = broadcast else {
            return Err(ApiError::invalid("broadcast", "is required"));
        };
        let pb::Broadcast {
            name: _,
            audience,
            kind,
            category,
            critical,
            variables,
            channels,
            state: _,
            queued_count: _,
            create_time: _,
            expand_time: _,
            member_count: _,
        } = broadcast;
        let mut v = FieldViolations::new();
        let request_id = request_id_field(&mut v, &request_id);
        v.check("broadcast.kind", check_kind(&kind));
        check_category(&category, "broadcast.category", &mut v);
        let given = convert::variables(&variables, "broadcast.variables", &mut v);
        let channels = channel_list(&channels, "broadcast.channels", &mut v);
        let (audience, members) = match audience.and_then(|a| a.members) {
            None => {
                v.add(
                    "broadcast.audience",
                    "is required: a list of customers, a selector or an assembled audience",
                );
                (AudienceRow::Customers, vec![])
            }
            Some(pb::audience::Members::Customers(list)) => {
                if list.names.is_empty() {
                    v.add(
                        "broadcast.audience.customers.names",
                        "is empty; name at least one customer",
                    );
                } else if list.names.len() > MAX_LISTED {
                    v.add(
                        "broadcast.audience.customers.names",
                        format!("names more than {MAX_LISTED}; use a selector"),
                    );
                }
                let mut seen = BTreeSet::new();
                for (i, name) in list.names.iter().enumerate() {
                    if !is_customer(name) {
                        v.add(
                            format!("broadcast.audience.customers.names[{i}]"),
                            "must be customers/{uuid}",
                        );
                    } else if !seen.insert(name.as_str()) {
                        v.add(
                            format!("broadcast.audience.customers.names[{i}]"),
                            "repeats a customer",
                        );
                    }
                }
                (AudienceRow::Customers, list.names)
            }
            Some(pb::audience::Members::Selector(selector)) => {
                (AudienceRow::Selector(selector.encode_to_vec()), vec![])
            }
            Some(pb::audience::Members::Assembled(pb::AssembledAudience {})) => {
                (AudienceRow::Assembled, vec![])
            }
        };
        v.into_result()?;
        // A repeat gets the first answer, whatever templates, channels or
        // the customers service say now; only a first request is checked.
        let mut tx = self.pool.begin().await?;
        let claim =
            Claim::take(&mut tx, "CreateBroadcast", request_id, caller, &fingerprint).await?;
        if let Claim::Replay(bytes) = &claim {
            return replay(bytes);
        }
        self.check_wording(&kind, &given, "broadcast.variables")
            .await?;
        self.check_channels(&channels)?;
        if let AudienceRow::Selector(bytes) = &audience {
            self.check_selector_takes_someone(bytes).await?;
        }
        let now = self.clock.now();
        let row = BroadcastRow {
            id: Uuid::now_v7(),
            kind: kind.clone(),
            category: category_of(&kind, category),
            critical,
            variables: Value::Object(
                given
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
            channels: channels.iter().map(|c| c.code().to_owned()).collect(),
            state: if audience == AudienceRow::Assembled {
                "assembling".into()
            } else {
                "expanding".into()
            },
            audience,
            member_count: i64::try_from(members.len()).unwrap_or(i64::MAX),
            queued_count: 0,
            created_by: caller.to_owned(),
            create_time: now,
            expand_time: None,
        };
        broadcasts::create(&mut tx, &row, &members).await?;
        let audience = match &row.audience {
            AudienceRow::Customers => "customers",
            AudienceRow::Selector(_) => "selector",
            AudienceRow::Assembled => "assembled",
        };
        let name = format!("broadcasts/{}", row.id);
        AuditEntry::by(who, BROADCAST_CREATED, "CreateBroadcast", name, now)
            .detail("kind", &row.kind)
            .detail("audience", audience)
            .detail("member_count", row.member_count)
            .detail("critical", row.critical)
            .record(&mut tx)
            .await?;
        let answer = pb::CreateBroadcastResponse {
            broadcast: Some(broadcast_of(&row)),
        };
        claim.finish(&mut tx, &answer.encode_to_vec()).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// A selector that takes nobody is refused at once (EMPTY_AUDIENCE).
    async fn check_selector_takes_someone(&self, bytes: &[u8]) -> Result<(), ApiError> {
        use futures::StreamExt as _;
        let selector = redress_proto::customers::v1::CustomerSelector::decode(bytes)
            .map_err(|_| ApiError::Internal)?;
        let unavailable = |_| {
            ApiError::Unavailable {
            reason: "CUSTOMERS_UNAVAILABLE",
            message: "the customers service is not reachable to resolve the selector; nothing was written; retry".into(),
        }
        };
        let mut stream =
            self.directory
                .select(selector)
                .await
                .map_err(|status| match status.code() {
                    tonic::Code::InvalidArgument => ApiError::invalid(
                        "broadcast.audience.selector",
                        status.message().to_owned(),
                    ),
                    _ => unavailable(status),
                })?;
        match stream.next().await {
            Some(Ok(batch)) if !batch.is_empty() => Ok(()),
            Some(Err(status)) => Err(unavailable(status)),
            _ => Err(ApiError::FailedPrecondition {
                reason: "EMPTY_AUDIENCE",
                message: "the selector takes no customer; nothing was sent".into(),
                allowed: vec!["widen the selector".into()],
            }),
        }
    }

    pub(super) async fn get_broadcast(
        &self,
        r: pb::GetBroadcastRequest,
    ) -> Result<pb::GetBroadcastResponse, ApiError> {
        let id = id_of(&r.name, "broadcasts/{uuid}", "name")?;
        let mut conn = self.pool.acquire().await?;
        let row = broadcasts::get(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Broadcast", r.name.clone()))?;
        Ok(pb::GetBroadcastResponse {
            broadcast: Some(broadcast_of(&row)),
        })
    }

    pub(super) async fn get_broadcast_progress(
        &self,
        r: pb::GetBroadcastProgressRequest,
    ) -> Result<pb::GetBroadcastProgressResponse, ApiError> {
        let id = id_of(&r.name, "broadcasts/{uuid}", "name")?;
        let mut conn = self.pool.acquire().await?;
        let row = broadcasts::get(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Broadcast", r.name.clone()))?;
        drop(conn);
        let counts = broadcasts::progress(&self.pool, id).await?;
        let total = counts.iter().map(|(_, n)| n).sum();
        Ok(pb::GetBroadcastProgressResponse {
            state: broadcast_state(&row.state),
            total,
            counts: counts
                .into_iter()
                .filter_map(|(code, count)| {
                    State::from_code(&code).map(|s| pb::StateCount {
                        state: s.to_wire(),
                        count,
                    })
                })
                .collect(),
        })
    }

    pub(super) async fn add_broadcast_members(
        &self,
        r: pb::AddBroadcastMembersRequest,
    ) -> Result<pb::AddBroadcastMembersResponse, ApiError> {
        let pb::AddBroadcastMembersRequest {
            name,
            members,
            first,
        } = r;
        let mut v = FieldViolations::new();
        let id = v.check(
            "name",
            names::parse_id(&name, "broadcasts/", "broadcasts/{uuid}"),
        );
        if members.is_empty() {
            v.add("members", "is empty; add at least one customer");
        } else if members.len() > MAX_ADDED {
            v.add(
                "members",
                format!("has more than {MAX_ADDED}; add them in several calls"),
            );
        }
        for (i, member) in members.iter().enumerate() {
            if !is_customer(member) {
                v.add(format!("members[{i}]"), "must be customers/{uuid}");
            }
        }
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let distinct: Vec<String> = members
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut tx = self.pool.begin().await?;
        let (added, members) =
            broadcasts::add_members(&mut tx, id, &distinct, first, self.clock.now())
                .await?
                .map_err(|refusal| refused(refusal, &name, "add members to"))?;
        tx.commit().await?;
        Ok(pb::AddBroadcastMembersResponse {
            added_count: i64::try_from(added).unwrap_or(i64::MAX),
            member_count: members,
        })
    }

    pub(super) async fn start_broadcast(
        &self,
        caller: &Caller,
        r: pb::StartBroadcastRequest,
    ) -> Result<pb::StartBroadcastResponse, ApiError> {
        let id = id_of(&r.name, "broadcasts/{uuid}", "name")?;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let row = broadcasts::start(&mut tx, id, now)
            .await?
            .map_err(|refusal| refused(refusal, &r.name, "start"))?;
        AuditEntry::by(caller, BROADCAST_STARTED, "StartBroadcast", &r.name, now)
            .detail("member_count", row.member_count)
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(pb::StartBroadcastResponse {
            broadcast: Some(broadcast_of(&row)),
        })
    }

    pub(super) async fn cancel_broadcast(
        &self,
        caller: &Caller,
        r: pb::CancelBroadcastRequest,
    ) -> Result<pb::CancelBroadcastResponse, ApiError> {
        let id = id_of(&r.name, "broadcasts/{uuid}", "name")?;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let (row, cancelled) = broadcasts::cancel(&mut tx, id, now)
            .await?
            .ok_or_else(|| ApiError::not_found("Broadcast", r.name.clone()))?;
        AuditEntry::by(caller, BROADCAST_CANCELLED, "CancelBroadcast", &r.name, now)
            .detail("cancelled_count", cancelled)
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(pb::CancelBroadcastResponse {
            broadcast: Some(broadcast_of(&row)),
            cancelled_count: i64::try_from(cancelled).unwrap_or(i64::MAX),
        })
    }
}

fn broadcast_state(code: &str) -> i32 {
    match code {
        "assembling" => pb::BroadcastState::Assembling as i32,
        "expanding" => pb::BroadcastState::Expanding as i32,
        "queued" => pb::BroadcastState::Queued as i32,
        "cancelled" => pb::BroadcastState::Cancelled as i32,
        _ => pb::BroadcastState::Unspecified as i32,
    }
}

fn broadcast_of(b: &BroadcastRow) -> pb::Broadcast {
    let members = match &b.audience {
        AudienceRow::Customers => {
            pb::audience::Members::Customers(pb::CustomerList { names: vec![] })
        }
        AudienceRow::Selector(bytes) => pb::audience::Members::Selector(
            redress_proto::customers::v1::CustomerSelector::decode(bytes.as_slice())
                .unwrap_or_default(),
        ),
        AudienceRow::Assembled => pb::audience::Members::Assembled(pb::AssembledAudience {}),
    };
    pb::Broadcast {
        name: format!("broadcasts/{}", b.id),
        audience: Some(pb::Audience {
            members: Some(members),
        }),
        kind: b.kind.clone(),
        category: b.category.clone(),
        critical: b.critical,
        variables: b
            .variables
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        channels: b
            .channels
            .iter()
            .map(|c| convert::channel_wire(c))
            .collect(),
        state: broadcast_state(&b.state),
        queued_count: b.queued_count,
        member_count: b.member_count,
        create_time: Some(wire::timestamp(b.create_time)),
        expand_time: wire::timestamp_opt(b.expand_time),
    }
}
