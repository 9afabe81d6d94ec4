//! Message and broadcast handlers: send, get, list, cancel; create a
//! broadcast, read it and its progress, cancel it.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message as _;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{Claim, fingerprint_of, replay, request_id_field};
use redress_platform::names;
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire::{self, WireEnum};
use redress_proto::notifications::v1 as pb;
use serde_json::Value;
use uuid::Uuid;

use super::convert::{self, channel_list};
use super::{NotificationApi, id_of, paging, time_id};
use crate::domain::channel::Channel;
use crate::domain::delivery::State;
use crate::domain::template::check_kind;
use crate::store::broadcasts::{self, AudienceRow, BroadcastRow};
use crate::store::messages::{self, Filter, NewMessage};
use crate::store::templates;

/// The most customers a listed audience may name.
pub const MAX_LISTED: usize = 100_000;

/// The category of a kind when none is given: its first segment.
fn category_of(kind: &str, category: String) -> String {
    if category.is_empty() {
        kind.split('.').next().unwrap_or(kind).to_owned()
    } else {
        category
    }
}

fn check_category(category: &str, field: &str, v: &mut FieldViolations) {
    if !category.is_empty() && check_kind(category).is_err() {
        v.add(
            field,
            "must be lower-case words of a-z, 0-9 and _ joined by dots",
        );
    }
}

impl NotificationApi {
    /// Checks that the kind has a template and that the variables given are
    /// exactly what its templates declare: a missing one per field, an
    /// unknown one per field.
    async fn check_wording(
        &self,
        kind: &str,
        given: &BTreeMap<String, String>,
        field: &str,
    ) -> Result<(), ApiError> {
        let all = templates::of_kinds(&self.pool, &[kind.to_owned()]).await?;
        if all.is_empty() {
            return Err(ApiError::FailedPrecondition {
                reason: "NO_TEMPLATE",
                message: format!("no template of kind {kind:?}; create one first"),
                allowed: vec!["CreateTemplate".into()],
            });
        }
        let declared: BTreeSet<&str> = all
            .iter()
            .flat_map(|t| t.variables.iter().map(String::as_str))
            .collect();
        let mut v = FieldViolations::new();
        for name in &declared {
            if !given.contains_key(*name) {
                v.add(
                    format!("{field}[{name}]"),
                    "is used by the kind's templates and required",
                );
            }
        }
        for name in given.keys() {
            if !declared.contains(name.as_str()) {
                v.add(
                    format!("{field}[{name}]"),
                    "is not a variable of any template of this kind",
                );
            }
        }
        v.into_result()
    }

    /// Refuses channels asked for that are not configured (in-app always is).
    fn check_channels(&self, channels: &[Channel]) -> Result<(), ApiError> {
        let missing: Vec<&str> = channels
            .iter()
            .filter(|c| **c != Channel::InApp && !self.transports.contains_key(c))
            .map(|c| c.code())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ApiError::FailedPrecondition {
            reason: "CHANNEL_NOT_CONFIGURED",
            message: format!(
                "these channels are not configured here: {}",
                missing.join(", ")
            ),
            allowed: vec![
                "choose other channels, or leave channels empty for the recipient's own".into(),
            ],
        })
    }

    pub(super) async fn send_message(
        &self,
        caller: &str,
        r: pb::SendMessageRequest,
    ) -> Result<pb::SendMessageResponse, ApiError> {
        let fingerprint = fingerprint_of(&r, |r| r.request_id.clear());
        let pb::SendMessageRequest {
            message,
            request_id,
        } = r;
        let Some(message) = message else {
            return Err(ApiError::invalid("message", "is required"));
        };
        let pb::Message {
            name: _,
            recipient,
            kind,
            category,
            critical,
            variables,
            channels,
            complaint,
            broadcast: _,
            state: _,
            state_reason: _,
            channel: _,
            next_attempt_time: _,
            attempts: _,
            create_time: _,
            send_time: _,
            update_time: _,
        } = message;
        let mut v = FieldViolations::new();
        let request_id = request_id_field(&mut v, &request_id);
        let recipient = convert::recipient(&recipient, "message.recipient", &mut v);
        v.check("message.kind", check_kind(&kind));
        check_category(&category, "message.category", &mut v);
        let given = convert::variables(&variables, "message.variables", &mut v);
        let channels = channel_list(&channels, "message.channels", &mut v);
        let complaint_id = if complaint.is_empty() {
            None
        } else {
            v.check(
                "message.complaint",
                names::parse_id(&complaint, "complaints/", "complaints/{uuid}"),
            )
        };
        v.into_result()?;
        let Some(recipient) = recipient else {
            return Err(ApiError::Internal);
        };
        self.check_wording(&kind, &given, "message.variables")
            .await?;
        self.check_channels(&channels)?;

        let mut tx = self.pool.begin().await?;
        let claim = Claim::take(&mut tx, "SendMessage", request_id, caller, &fingerprint).await?;
        if let Claim::Replay(bytes) = &claim {
            return replay(bytes);
        }
        let id = Uuid::now_v7();
        let now = self.clock.now();
        let new = NewMessage {
            id,
            dedupe_key: format!("message:{id}"),
            recipient: recipient.to_string(),
            kind: kind.clone(),
            category: category_of(&kind, category),
            critical,
            priority: if critical { 1 } else { 0 },
            variables: Some(Value::Object(
                given
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            )),
            channels,
            complaint_id,
            broadcast_id: None,
            created_by: caller.to_owned(),
        };
        messages::enqueue(&mut tx, &[new], now).await?;
        let row = messages::get(&mut tx, id)
            .await?
            .ok_or(ApiError::Internal)?;
        let answer = pb::SendMessageResponse {
            message: Some(convert::message(&row, &[])),
        };
        claim.finish(&mut tx, &answer.encode_to_vec()).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn get_message(
        &self,
        r: pb::GetMessageRequest,
    ) -> Result<pb::GetMessageResponse, ApiError> {
        let id = id_of(&r.name, "messages/{uuid}", "name")?;
        let mut conn = self.pool.acquire().await?;
        let row = messages::get(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Message", r.name.clone()))?;
        let attempts = messages::attempts(&mut conn, id).await?;
        Ok(pb::GetMessageResponse {
            message: Some(convert::message(&row, &attempts)),
        })
    }

    pub(super) async fn list_messages(
        &self,
        r: pb::ListMessagesRequest,
    ) -> Result<pb::ListMessagesResponse, ApiError> {
        let pb::ListMessagesRequest {
            filter,
            states,
            page_size,
            page_token,
        } = r;
        let mut v = FieldViolations::new();
        let (filter, key) = match filter {
            None => {
                return Err(ApiError::invalid(
                    "filter",
                    "give a recipient, a complaint or a broadcast",
                ));
            }
            Some(pb::list_messages_request::Filter::Recipient(name)) => {
                let parsed = convert::recipient(&name, "recipient", &mut v);
                (parsed.map(|r| Filter::Recipient(r.to_string())), name)
            }
            Some(pb::list_messages_request::Filter::Complaint(name)) => {
                let id = v.check(
                    "complaint",
                    names::parse_id(&name, "complaints/", "complaints/{uuid}"),
                );
                (id.map(Filter::Complaint), name)
            }
            Some(pb::list_messages_request::Filter::Broadcast(name)) => {
                let id = v.check(
                    "broadcast",
                    names::parse_id(&name, "broadcasts/", "broadcasts/{uuid}"),
                );
                (id.map(Filter::Broadcast), name)
            }
        };
        let mut wanted = Vec::new();
        for (i, s) in states.iter().enumerate() {
            match State::from_wire(*s) {
                Ok(Some(state)) => wanted.push(state),
                Ok(None) => v.add(format!("states[{i}]"), "must be a state"),
                Err(e) => v.add(format!("states[{i}]"), e),
            }
        }
        v.into_result()?;
        let Some(filter) = filter else {
            return Err(ApiError::Internal);
        };
        let codes: Vec<u8> = wanted
            .iter()
            .flat_map(|s| s.code().bytes().chain([b',']))
            .collect();
        let fingerprint = Fingerprint::of(&[b"messages", key.as_bytes(), &codes]);
        let (size, cursor) = paging(page_size, &page_token, fingerprint)?;
        let after = cursor.map(|c| time_id(&c)).transpose()?;
        let rows = messages::list(&self.pool, &filter, &wanted, after, size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fingerprint, |m| {
            page::encode_time_id(m.create_time, m.id)
        });
        Ok(pb::ListMessagesResponse {
            messages: rows.iter().map(|m| convert::message(m, &[])).collect(),
            next_page_token,
        })
    }

    pub(super) async fn cancel_message(
        &self,
        r: pb::CancelMessageRequest,
    ) -> Result<pb::CancelMessageResponse, ApiError> {
        let id = id_of(&r.name, "messages/{uuid}", "name")?;
        let mut tx = self.pool.begin().await?;
        let (cancelled, row) = messages::cancel(&mut tx, id, self.clock.now())
            .await?
            .ok_or_else(|| ApiError::not_found("Message", r.name.clone()))?;
        if !cancelled && row.state != State::Cancelled {
            return Err(ApiError::FailedPrecondition {
                reason: "MESSAGE_NOT_CANCELLABLE",
                message: format!(
                    "the message is {}; only queued or held messages can be cancelled",
                    row.state.code()
                ),
                allowed: vec!["GetMessage".into()],
            });
        }
        tx.commit().await?;
        Ok(pb::CancelMessageResponse {
            message: Some(convert::message(&row, &[])),
        })
    }

    pub(super) async fn create_broadcast(
        &self,
        caller: &str,
        r: pb::CreateBroadcastRequest,
    ) -> Result<pb::CreateBroadcastResponse, ApiError> {
        let fingerprint = fingerprint_of(&r, |r| r.request_id.clear());
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
                    "is required: a list of customers or a selector",
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
                    match crate::domain::recipient::Recipient::parse(name) {
                        Ok(r) if r.customer().is_some() => {
                            if !seen.insert(name.as_str()) {
                                v.add(
                                    format!("broadcast.audience.customers.names[{i}]"),
                                    "repeats a customer",
                                );
                            }
                        }
                        _ => v.add(
                            format!("broadcast.audience.customers.names[{i}]"),
                            "must be customers/{uuid}",
                        ),
                    }
                }
                (AudienceRow::Customers, list.names)
            }
            Some(pb::audience::Members::Selector(selector)) => {
                (AudienceRow::Selector(selector.encode_to_vec()), vec![])
            }
        };
        v.into_result()?;
        self.check_wording(&kind, &given, "broadcast.variables")
            .await?;
        self.check_channels(&channels)?;
        if let AudienceRow::Selector(bytes) = &audience {
            self.check_selector_takes_someone(bytes).await?;
        }

        let mut tx = self.pool.begin().await?;
        let claim =
            Claim::take(&mut tx, "CreateBroadcast", request_id, caller, &fingerprint).await?;
        if let Claim::Replay(bytes) = &claim {
            return replay(bytes);
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
            audience,
            state: "expanding".into(),
            queued_count: 0,
            created_by: caller.to_owned(),
            create_time: now,
            expand_time: None,
        };
        broadcasts::create(&mut tx, &row, &members).await?;
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

    pub(super) async fn cancel_broadcast(
        &self,
        r: pb::CancelBroadcastRequest,
    ) -> Result<pb::CancelBroadcastResponse, ApiError> {
        let id = id_of(&r.name, "broadcasts/{uuid}", "name")?;
        let mut tx = self.pool.begin().await?;
        let cancelled = broadcasts::cancel(&mut tx, id, self.clock.now())
            .await?
            .ok_or_else(|| ApiError::not_found("Broadcast", r.name.clone()))?;
        let row = broadcasts::get(&mut tx, id)
            .await?
            .ok_or(ApiError::Internal)?;
        tx.commit().await?;
        Ok(pb::CancelBroadcastResponse {
            broadcast: Some(broadcast_of(&row)),
            cancelled_count: i64::try_from(cancelled).unwrap_or(i64::MAX),
        })
    }
}

fn broadcast_state(code: &str) -> i32 {
    match code {
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
        create_time: Some(wire::timestamp(b.create_time)),
        expand_time: wire::timestamp_opt(b.expand_time),
    }
}
