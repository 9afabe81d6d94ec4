//! Messages and their attempts: queueing (idempotent by dedupe key),
//! claiming due messages with `FOR UPDATE SKIP LOCKED` under a lease,
//! recording a batch's outcomes, and reading them back.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

use super::{StoreError, micros, ts, ts_opt};
use crate::domain::channel::Channel;
use crate::domain::delivery::State;
use crate::domain::preferences::RecentSends;

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// Makes a repeat a no-op: the request id, (broadcast, recipient) or
    /// (event, role).
    pub dedupe_key: String,
    /// The recipient's name.
    pub recipient: String,
    /// The kind.
    pub kind: String,
    /// The category.
    pub category: String,
    /// Whether critical.
    pub critical: bool,
    /// Higher goes first.
    pub priority: i16,
    /// Its variables; `None` for a broadcast's (read from the broadcast).
    pub variables: Option<Value>,
    /// The channels asked for; empty for the recipient's own order.
    pub channels: Vec<Channel>,
    /// The complaint it is about.
    pub complaint_id: Option<Uuid>,
    /// The broadcast it belongs to.
    pub broadcast_id: Option<Uuid>,
    /// Who asked for it (a subject, or `system:<what>`).
    pub created_by: String,
}

fn codes(channels: &[Channel]) -> Vec<String> {
    channels.iter().map(|c| c.code().to_owned()).collect()
}

/// Queues messages due at `now`; a message whose dedupe key is already
/// taken is skipped. Returns how many were queued. A message not of a
/// broadcast remembers the trace it was queued in, for its delivery's span.
pub async fn enqueue(
    conn: &mut PgConnection,
    messages: &[NewMessage],
    now: Timestamp,
) -> Result<u64, StoreError> {
    if messages.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(messages.len());
    let mut keys = Vec::with_capacity(messages.len());
    let mut recipients = Vec::with_capacity(messages.len());
    let mut kinds = Vec::with_capacity(messages.len());
    let mut categories = Vec::with_capacity(messages.len());
    let mut critical = Vec::with_capacity(messages.len());
    let mut priorities = Vec::with_capacity(messages.len());
    let mut variables = Vec::with_capacity(messages.len());
    let mut channels = Vec::with_capacity(messages.len());
    let mut complaints = Vec::with_capacity(messages.len());
    let mut broadcasts = Vec::with_capacity(messages.len());
    let mut creators = Vec::with_capacity(messages.len());
    for m in messages {
        ids.push(m.id);
        keys.push(m.dedupe_key.as_str());
        recipients.push(m.recipient.as_str());
        kinds.push(m.kind.as_str());
        categories.push(m.category.as_str());
        critical.push(m.critical);
        priorities.push(m.priority);
        variables.push(m.variables.clone());
        // Postgres arrays are rectangular: the channels go as one text each.
        channels.push(codes(&m.channels).join(","));
        complaints.push(m.complaint_id);
        broadcasts.push(m.broadcast_id);
        creators.push(m.created_by.as_str());
    }
    let origin = redress_platform::grpc::current_traceparent();
    let done = sqlx::query(
        "INSERT INTO messages (id, dedupe_key, recipient, kind, category, critical, priority,
                               variables, channels, complaint_id, broadcast_id, state, due_time,
                               created_by, create_time, update_time, traceparent)
         SELECT id, key, recipient, kind, category, critical, priority, variables,
                coalesce(string_to_array(NULLIF(channels, ''), ','), '{}'), complaint, broadcast,
                'queued', $13,
                creator, $13, $13, CASE WHEN broadcast IS NULL THEN $14 END
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[],
                     $7::int2[], $8::jsonb[], $9::text[], $10::uuid[], $11::uuid[], $12::text[])
              AS t(id, key, recipient, kind, category, critical, priority, variables, channels,
                   complaint, broadcast, creator)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&ids)
    .bind(&keys)
    .bind(&recipients)
    .bind(&kinds)
    .bind(&categories)
    .bind(&critical)
    .bind(&priorities)
    .bind(&variables)
    .bind(&channels)
    .bind(&complaints)
    .bind(&broadcasts)
    .bind(&creators)
    .bind(now.to_sqlx())
    .bind(origin)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A message a worker has claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Its id.
    pub id: Uuid,
    /// The recipient's name.
    pub recipient: String,
    /// The kind.
    pub kind: String,
    /// The category.
    pub category: String,
    /// Whether critical.
    pub critical: bool,
    /// Its variables: its own, or its broadcast's.
    pub variables: Option<Value>,
    /// The channels asked for.
    pub channels: Vec<String>,
    /// The plan fixed when first taken.
    pub plan: Option<Vec<String>>,
    /// The plan's channel being tried.
    pub channel_index: i32,
    /// Attempts made on it.
    pub channel_attempts: i32,
    /// Attempts made in all.
    pub attempt_count: i32,
    /// Its broadcast.
    pub broadcast_id: Option<Uuid>,
    /// Whether its broadcast was cancelled (it was taken while a worker
    /// held it, or its dead worker's lease lapsed).
    pub broadcast_cancelled: bool,
    /// The end of this worker's lease: the claim's token.
    pub lease_until: Timestamp,
    /// The trace it was queued in (W3C traceparent), if any.
    pub traceparent: Option<String>,
}

/// Claims up to `limit` messages due at `now` (queued, held, or sending
/// under a lapsed lease), skipping rows other workers hold, and leases them
/// until `lease_until`; a broadcast's message comes with the broadcast's
/// variables and whether it was cancelled.
pub async fn claim(
    pool: &PgPool,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<Claimed>, StoreError> {
    let rows = sqlx::query(
        "WITH due AS (
             SELECT id, broadcast_id FROM messages
             WHERE due_time IS NOT NULL AND due_time <= $1
             ORDER BY priority DESC, due_time
             LIMIT $3
             FOR UPDATE SKIP LOCKED)
         UPDATE messages m SET state = 'sending', due_time = $2, update_time = $1
         FROM due LEFT JOIN broadcasts b ON b.id = due.broadcast_id
         WHERE m.id = due.id
         RETURNING m.id, m.recipient, m.kind, m.category, m.critical,
                   coalesce(m.variables, b.variables) AS variables, m.channels,
                   m.plan, m.channel_index, m.channel_attempts, m.attempt_count, m.broadcast_id,
                   coalesce(b.state = 'cancelled', false) AS broadcast_cancelled,
                   m.traceparent",
    )
    .bind(now.to_sqlx())
    .bind(lease_until.to_sqlx())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Claimed {
                id: row.try_get("id")?,
                recipient: row.try_get("recipient")?,
                kind: row.try_get("kind")?,
                category: row.try_get("category")?,
                critical: row.try_get("critical")?,
                variables: row.try_get("variables")?,
                channels: row.try_get("channels")?,
                plan: row.try_get("plan")?,
                channel_index: row.try_get("channel_index")?,
                channel_attempts: row.try_get("channel_attempts")?,
                attempt_count: row.try_get("attempt_count")?,
                broadcast_id: row.try_get("broadcast_id")?,
                broadcast_cancelled: row.try_get("broadcast_cancelled")?,
                lease_until,
                traceparent: row.try_get("traceparent")?,
            })
        })
        .collect()
}

/// One attempt to record.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// The channel.
    pub channel: Channel,
    /// Its number on the channel.
    pub number: i32,
    /// `sent`, `delivered`, `retryable` or `refused`.
    pub outcome: &'static str,
    /// The answer or error.
    pub detail: String,
    /// When it started.
    pub start_time: Timestamp,
    /// How long it took.
    pub duration_ms: i32,
    /// The template version used (0 for none).
    pub template_version: i32,
}

/// An in-app inbox item to write.
#[derive(Debug, Clone)]
pub struct InboxRecord {
    /// The recipient.
    pub recipient: String,
    /// The kind.
    pub kind: String,
    /// The subject.
    pub subject: String,
    /// The body.
    pub body: String,
}

/// Where a claimed message ends this round.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The message.
    pub id: Uuid,
    /// The lease it was claimed under.
    pub lease_until: Timestamp,
    /// Its new state.
    pub state: State,
    /// Why, for held, failed, bounced and cancelled.
    pub reason: String,
    /// The next attempt (queued or held).
    pub due_time: Option<Timestamp>,
    /// The plan.
    pub plan: Vec<Channel>,
    /// The plan's channel now.
    pub channel_index: i32,
    /// Attempts made on it.
    pub channel_attempts: i32,
    /// The channel of the last attempt, if any this round.
    pub channel: Option<Channel>,
    /// Attempts made in all before this round.
    pub attempts_before: i32,
    /// This round's attempts.
    pub attempts: Vec<AttemptRecord>,
    /// The inbox item written, if delivered in-app.
    pub inbox: Option<InboxRecord>,
}

/// Records a batch's outcomes in one transaction: each message's state
/// (only while the worker still holds its lease; a message another worker
/// has taken over is left to it, and its attempts from here are dropped),
/// its attempts, and inbox items. Returns the messages recorded and the
/// state each was left in once committed (a waiting message of a broadcast
/// cancelled meanwhile is left cancelled).
pub async fn finish(
    pool: &PgPool,
    batch: &[Finished],
    now: Timestamp,
) -> Result<HashMap<Uuid, State>, StoreError> {
    if batch.is_empty() {
        return Ok(HashMap::new());
    }
    let mut tx = pool.begin().await?;
    let n = batch.len();
    let mut ids = Vec::with_capacity(n);
    let mut leases = Vec::with_capacity(n);
    let mut states = Vec::with_capacity(n);
    let mut reasons = Vec::with_capacity(n);
    let mut dues: Vec<Option<i64>> = Vec::with_capacity(n);
    let mut plans = Vec::with_capacity(n);
    let mut indexes = Vec::with_capacity(n);
    let mut channel_attempts = Vec::with_capacity(n);
    let mut channels = Vec::with_capacity(n);
    let mut counts = Vec::with_capacity(n);
    let mut sent = Vec::with_capacity(n);
    for f in batch {
        ids.push(f.id);
        leases.push(micros(f.lease_until));
        states.push(f.state.code());
        reasons.push(f.reason.as_str());
        dues.push(f.due_time.map(micros));
        plans.push(codes(&f.plan).join(","));
        indexes.push(f.channel_index);
        channel_attempts.push(f.channel_attempts);
        channels.push(f.channel.map(Channel::code));
        counts.push(f.attempts_before + i32::try_from(f.attempts.len()).unwrap_or(i32::MAX));
        sent.push(matches!(f.state, State::Sent | State::Delivered));
    }
    let recorded: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE messages m SET
             state = t.state, state_reason = t.reason,
             due_time = CASE WHEN t.due IS NULL THEN NULL
                             ELSE timestamptz 'epoch' + t.due * interval '1 microsecond' END,
             plan = string_to_array(NULLIF(t.plan, ''), ','),
             channel_index = t.idx, channel_attempts = t.on_channel,
             channel = coalesce(t.channel, m.channel), attempt_count = t.count,
             send_time = CASE WHEN t.sent THEN $12 ELSE m.send_time END,
             update_time = $12
         FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::int8[], $6::text[],
                     $7::int4[], $8::int4[], $9::text[], $10::int4[], $11::bool[])
              AS t(id, lease, state, reason, due, plan, idx, on_channel, channel, count, sent)
         WHERE m.id = t.id AND m.state = 'sending'
           AND m.due_time = timestamptz 'epoch' + t.lease * interval '1 microsecond'
         RETURNING m.id",
    )
    .bind(&ids)
    .bind(&leases)
    .bind(&states)
    .bind(&reasons)
    .bind(&dues)
    .bind(&plans)
    .bind(&indexes)
    .bind(&channel_attempts)
    .bind(&channels)
    .bind(&counts)
    .bind(&sent)
    .bind(now.to_sqlx())
    .fetch_all(&mut *tx)
    .await?;
    let kept: std::collections::HashSet<Uuid> = recorded.iter().copied().collect();

    let mut a_ids = Vec::new();
    let mut a_seq = Vec::new();
    let mut a_channel = Vec::new();
    let mut a_number = Vec::new();
    let mut a_outcome = Vec::new();
    let mut a_detail = Vec::new();
    let mut a_start = Vec::new();
    let mut a_ms = Vec::new();
    let mut a_version = Vec::new();
    let mut i_ids = Vec::new();
    let mut i_recipient = Vec::new();
    let mut i_kind = Vec::new();
    let mut i_subject = Vec::new();
    let mut i_body = Vec::new();
    for f in batch.iter().filter(|f| kept.contains(&f.id)) {
        for (k, a) in f.attempts.iter().enumerate() {
            a_ids.push(f.id);
            a_seq.push(f.attempts_before + i32::try_from(k).unwrap_or(i32::MAX) + 1);
            a_channel.push(a.channel.code());
            a_number.push(a.number);
            a_outcome.push(a.outcome);
            a_detail.push(a.detail.as_str());
            a_start.push(micros(a.start_time));
            a_ms.push(a.duration_ms);
            a_version.push(a.template_version);
        }
        if let Some(item) = &f.inbox {
            i_ids.push(f.id);
            i_recipient.push(item.recipient.as_str());
            i_kind.push(item.kind.as_str());
            i_subject.push(item.subject.as_str());
            i_body.push(item.body.as_str());
        }
    }
    if !a_ids.is_empty() {
        sqlx::query(
            "INSERT INTO attempts (message_id, seq, channel, number, outcome, detail, start_time,
                                   duration_ms, template_version)
             SELECT id, seq, channel, number, outcome, detail,
                    timestamptz 'epoch' + start * interval '1 microsecond', ms, version
             FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::int4[], $5::text[], $6::text[],
                         $7::int8[], $8::int4[], $9::int4[])
                  AS t(id, seq, channel, number, outcome, detail, start, ms, version)
             ON CONFLICT (message_id, seq) DO NOTHING",
        )
        .bind(&a_ids)
        .bind(&a_seq)
        .bind(&a_channel)
        .bind(&a_number)
        .bind(&a_outcome)
        .bind(&a_detail)
        .bind(&a_start)
        .bind(&a_ms)
        .bind(&a_version)
        .execute(&mut *tx)
        .await?;
    }
    if !i_ids.is_empty() {
        sqlx::query(
            "INSERT INTO inbox_items (message_id, recipient, kind, subject, body, create_time)
             SELECT id, recipient, kind, subject, body, $6
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
                  AS t(id, recipient, kind, subject, body)
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&i_ids)
        .bind(&i_recipient)
        .bind(&i_kind)
        .bind(&i_subject)
        .bind(&i_body)
        .bind(now.to_sqlx())
        .execute(&mut *tx)
        .await?;
    }
    // A broadcast cancelled while its worker held these cancels them now,
    // rather than leaving them queued or held for a later attempt.
    let waiting: Vec<Uuid> = batch
        .iter()
        .filter(|f| kept.contains(&f.id) && matches!(f.state, State::Queued | State::Held))
        .map(|f| f.id)
        .collect();
    let cancelled: Vec<Uuid> = if waiting.is_empty() {
        Vec::new()
    } else {
        sqlx::query_scalar(
            "UPDATE messages SET state = 'cancelled', state_reason = 'BROADCAST_CANCELLED',
                    due_time = NULL, update_time = $2
             WHERE id = ANY($1) AND state IN ('queued', 'held')
               AND broadcast_id IN (SELECT id FROM broadcasts WHERE state = 'cancelled')
             RETURNING id",
        )
        .bind(&waiting)
        .bind(now.to_sqlx())
        .fetch_all(&mut *tx)
        .await?
    };
    tx.commit().await?;
    let mut states: HashMap<Uuid, State> = batch
        .iter()
        .filter(|f| kept.contains(&f.id))
        .map(|f| (f.id, f.state))
        .collect();
    for id in cancelled {
        states.insert(id, State::Cancelled);
    }
    Ok(states)
}

/// How many messages wait in the queue now, per state (`queued`, `held`,
/// `sending`); a state with none is absent.
pub async fn waiting(pool: &PgPool) -> Result<Vec<(State, i64)>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, count(*) FROM messages
         WHERE due_time IS NOT NULL AND state IN ('queued', 'held', 'sending')
         GROUP BY state",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(state, count)| {
            let state = State::from_code(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown message state {state:?}")))?;
            Ok((state, count))
        })
        .collect()
}

/// Non-critical messages sent to each of `recipients` since `since`.
pub async fn recent_sends(
    pool: &PgPool,
    recipients: &[String],
    since: Timestamp,
) -> Result<HashMap<String, RecentSends>, StoreError> {
    let rows = sqlx::query(
        "SELECT recipient, count(*) AS n, min(send_time) AS oldest FROM messages
         WHERE recipient = ANY($1) AND send_time > $2 AND NOT critical
         GROUP BY recipient",
    )
    .bind(recipients)
    .bind(since.to_sqlx())
    .fetch_all(pool)
    .await?;
    let mut found = HashMap::new();
    for row in rows {
        let n: i64 = row.try_get("n")?;
        let oldest: Option<jiff_sqlx::Timestamp> = row.try_get("oldest")?;
        found.insert(
            row.try_get("recipient")?,
            RecentSends {
                count: u32::try_from(n).unwrap_or(u32::MAX),
                oldest: ts_opt(oldest),
            },
        );
    }
    Ok(found)
}

/// A stored message.
#[derive(Debug, Clone)]
pub struct MessageRow {
    /// Its id.
    pub id: Uuid,
    /// The recipient.
    pub recipient: String,
    /// The kind.
    pub kind: String,
    /// The category.
    pub category: String,
    /// Whether critical.
    pub critical: bool,
    /// Its variables (a broadcast's when it belongs to one).
    pub variables: Value,
    /// The channels asked for.
    pub channels: Vec<String>,
    /// The complaint.
    pub complaint_id: Option<Uuid>,
    /// The broadcast.
    pub broadcast_id: Option<Uuid>,
    /// The state.
    pub state: State,
    /// Why.
    pub reason: String,
    /// The last channel tried ('' for none).
    pub channel: String,
    /// The next attempt.
    pub due_time: Option<Timestamp>,
    /// Created.
    pub create_time: Timestamp,
    /// Sent.
    pub send_time: Option<Timestamp>,
    /// Changed.
    pub update_time: Timestamp,
}

const COLUMNS: &str = "m.id, m.recipient, m.kind, m.category, m.critical,
    coalesce(m.variables, b.variables, '{}'::jsonb) AS variables, m.channels, m.complaint_id,
    m.broadcast_id, m.state, m.state_reason, m.channel, m.due_time, m.create_time, m.send_time,
    m.update_time";

fn message_of(row: &sqlx::postgres::PgRow) -> Result<MessageRow, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(MessageRow {
        id: row.try_get("id")?,
        recipient: row.try_get("recipient")?,
        kind: row.try_get("kind")?,
        category: row.try_get("category")?,
        critical: row.try_get("critical")?,
        variables: row.try_get("variables")?,
        channels: row.try_get("channels")?,
        complaint_id: row.try_get("complaint_id")?,
        broadcast_id: row.try_get("broadcast_id")?,
        state: State::from_code(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown message state {state:?}")))?,
        reason: row.try_get("state_reason")?,
        channel: row.try_get("channel")?,
        due_time: ts_opt(row.try_get("due_time")?),
        create_time: ts(row.try_get("create_time")?),
        send_time: ts_opt(row.try_get("send_time")?),
        update_time: ts(row.try_get("update_time")?),
    })
}

/// One message.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<MessageRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id
         WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(message_of).transpose()
}

/// A stored attempt.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    /// The channel code.
    pub channel: String,
    /// Its number on the channel.
    pub number: i32,
    /// The outcome code.
    pub outcome: String,
    /// The detail.
    pub detail: String,
    /// When.
    pub start_time: Timestamp,
    /// How long.
    pub duration_ms: i32,
    /// The template version.
    pub template_version: i32,
}

/// A message's attempts, oldest first.
pub async fn attempts(conn: &mut PgConnection, id: Uuid) -> Result<Vec<AttemptRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT channel, number, outcome, detail, start_time, duration_ms, template_version
         FROM attempts WHERE message_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AttemptRow {
                channel: row.try_get("channel")?,
                number: row.try_get("number")?,
                outcome: row.try_get("outcome")?,
                detail: row.try_get("detail")?,
                start_time: ts(row.try_get("start_time")?),
                duration_ms: row.try_get("duration_ms")?,
                template_version: row.try_get("template_version")?,
            })
        })
        .collect()
}

/// Which messages to list.
#[derive(Debug, Clone)]
pub enum Filter {
    /// A recipient's.
    Recipient(String),
    /// A complaint's.
    Complaint(Uuid),
    /// A broadcast's.
    Broadcast(Uuid),
}

/// A page of messages, newest first, after the keyset `(create_time, id)`.
pub async fn list(
    pool: &PgPool,
    filter: &Filter,
    states: &[State],
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<MessageRow>, StoreError> {
    let column = match filter {
        Filter::Recipient(_) => "m.recipient = $1",
        Filter::Complaint(_) => "m.complaint_id = $1",
        Filter::Broadcast(_) => "m.broadcast_id = $1",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id
         WHERE {column}
           AND (cardinality($2::text[]) = 0 OR m.state = ANY($2))
           AND ($3::timestamptz IS NULL OR (m.create_time, m.id) < ($3, $4))
         ORDER BY m.create_time DESC, m.id DESC LIMIT $5"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql));
    let query = match filter {
        Filter::Recipient(r) => query.bind(r.clone()),
        Filter::Complaint(id) | Filter::Broadcast(id) => query.bind(*id),
    };
    let states: Vec<&str> = states.iter().map(|s| s.code()).collect();
    let rows = query
        .bind(states)
        .bind(after.map(|(t, _)| t.to_sqlx()))
        .bind(after.map(|(_, id)| id))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(message_of).collect()
}

/// Cancels a message not yet sent. `Ok(None)` when there is no such
/// message; the row as it is when it can no longer be cancelled.
pub async fn cancel(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
) -> Result<Option<(bool, MessageRow)>, StoreError> {
    let done = sqlx::query(
        "UPDATE messages SET state = 'cancelled', state_reason = 'CANCELLED', due_time = NULL,
                update_time = $2
         WHERE id = $1 AND state IN ('queued', 'held')",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(get(conn, id)
        .await?
        .map(|row| (done.rows_affected() == 1, row)))
}

/// Gives claimed messages back to the queue, due at `due` (a batch that
/// could not be worked, such as when the customers service is down).
pub async fn release(pool: &PgPool, claimed: &[Claimed], due: Timestamp) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = claimed.iter().map(|c| c.id).collect();
    let leases: Vec<i64> = claimed.iter().map(|c| micros(c.lease_until)).collect();
    sqlx::query(
        "UPDATE messages m SET state = 'queued', due_time = $3
         FROM unnest($1::uuid[], $2::int8[]) AS t(id, lease)
         WHERE m.id = t.id AND m.state = 'sending'
           AND m.due_time = timestamptz 'epoch' + t.lease * interval '1 microsecond'",
    )
    .bind(&ids)
    .bind(&leases)
    .bind(due.to_sqlx())
    .execute(pool)
    .await?;
    Ok(())
}
