//! Message handlers: send, get, list, cancel (and the checks broadcasts
//! share).

use std::collections::{BTreeMap, BTreeSet};

use prost::Message as _;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{Claim, replay, request_id_field};
use redress_platform::names;
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire::WireEnum;
use redress_proto::notifications::v1 as pb;
use serde_json::Value;
use uuid::Uuid;

use super::convert::{self, channel_list};
use super::{NotificationApi, id_of, paging, time_id};
use crate::domain::channel::Channel;
use crate::domain::delivery::{State, priority};
use crate::domain::template::check_kind;
use crate::store::messages::{self, Filter, NewMessage};
use crate::store::templates;

/// The category of a kind when none is given: its first segment.
pub(super) fn category_of(kind: &str, category: String) -> String {
    if category.is_empty() {
        kind.split('.').next().unwrap_or(kind).to_owned()
    } else {
        category
    }
}

pub(super) fn check_category(category: &str, field: &str, v: &mut FieldViolations) {
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
    pub(super) async fn check_wording(
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
        // `<name>@<locale>` localises a declared `<name>`; the plain name
        // is still required (it is the default for other locales).
        let base = |name: &str| -> String {
            crate::domain::template::split_localised(name)
                .map(|(base, _)| base.to_owned())
                .unwrap_or_else(|| name.to_owned())
        };
        for name in &declared {
            if !given.contains_key(*name) {
                v.add(
                    format!("{field}[{name}]"),
                    "is used by the kind's templates and required",
                );
            }
        }
        for name in given.keys() {
            if !declared.contains(base(name).as_str()) {
                v.add(
                    format!("{field}[{name}]"),
                    "is not a variable of any template of this kind",
                );
            }
        }
        v.into_result()
    }

    /// Refuses channels asked for that are not configured (in-app always is).
    pub(super) fn check_channels(&self, channels: &[Channel]) -> Result<(), ApiError> {
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
        let fingerprint = convert::fingerprint_with_variables(&r, |r| {
            r.request_id.clear();
            r.message
                .as_mut()
                .map(|m| std::mem::take(&mut m.variables))
                .unwrap_or_default()
        });
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
        // A repeat gets the first answer, whatever templates or channels
        // say now; only a first request is checked against them.
        let mut tx = self.pool.begin().await?;
        let claim = Claim::take(&mut tx, "SendMessage", request_id, caller, &fingerprint).await?;
        if let Claim::Replay(bytes) = &claim {
            return replay(bytes);
        }
        self.check_wording(&kind, &given, "message.variables")
            .await?;
        self.check_channels(&channels)?;
        let id = Uuid::now_v7();
        let now = self.clock.now();
        let new = NewMessage {
            id,
            dedupe_key: format!("message:{id}"),
            recipient: recipient.to_string(),
            kind: kind.clone(),
            category: category_of(&kind, category),
            critical,
            priority: priority(critical, false),
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
        // One snapshot: a worker recording an attempt between the two reads
        // would otherwise show its attempt on a message still sending.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let row = messages::get(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Message", r.name.clone()))?;
        let attempts = messages::attempts(&mut tx, id).await?;
        tx.commit().await?;
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
        for (i, s) in v
            .bounded("states", &states, convert::MAX_FILTER_VALUES)
            .iter()
            .enumerate()
        {
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
        let fingerprint = Fingerprint::of("ListMessages", &[key.as_bytes(), &codes]);
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
}
