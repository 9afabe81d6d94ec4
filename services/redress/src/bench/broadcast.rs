//! The `broadcast` scenario: one message to a large share of the seeded
//! customers, delivered over the webhook channel to a loopback receiver
//! that this process runs (it checks every signature and counts deliveries
//! by idempotency key). The target: 100,000 customers queued within 10 s,
//! at least 5,000 deliveries a second, none lost, none duplicated.
//!
//! The audience is a customer selector: the combination of locales and
//! value grades whose seeded count comes closest to `--broadcast-size`
//! (everyone, with an empty selector, when the database holds no more).
//! The messages are critical, so quiet hours and the daily cap do not hold
//! them. Progress is polled every 100 ms; when every message has reached a
//! final state, each message of the broadcast is looked up at the receiver,
//! so deliveries from other scenarios (complaint acknowledgements) do not
//! count.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use redress_notifications::channels::receiver::Receiver;
use redress_notifications::domain::delivery::State;
use redress_platform::auth::{Role, mint_dev_token};
use redress_platform::wire::WireEnum as _;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as pb;
use redress_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use uuid::Uuid;

use super::scenarios::{Target, authorized};

/// The message kind the scenario sends, with a template of its own.
const KIND: &str = "bench.notice";
/// How often progress is read.
const POLL: Duration = Duration::from_millis(100);

/// What the broadcast did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BroadcastOutcome {
    /// The selector's expected audience, counted in the seeded database.
    pub expected: u64,
    /// Messages the broadcast queued.
    pub audience: u64,
    /// Seconds from CreateBroadcast until the broadcast was QUEUED (every
    /// message queued).
    pub queued_within_s: Option<f64>,
    /// Seconds from CreateBroadcast until every message reached a final
    /// state (sent, delivered, failed, bounced or cancelled).
    pub delivery_s: f64,
    /// Whether every message reached a final state before the time limit.
    pub finished: bool,
    /// Delivered messages per second, from create to the last delivery.
    pub deliveries_per_s: f64,
    /// Messages per final state.
    pub states: BTreeMap<String, i64>,
    /// Delivered messages.
    pub delivered: u64,
    /// Failed or bounced messages.
    pub failed: u64,
    /// Messages the receiver never saw.
    pub lost: u64,
    /// Deliveries beyond the first of each message.
    pub duplicates: u64,
    /// Over the whole run: distinct idempotency keys the receiver accepted.
    pub receiver_distinct: u64,
    /// Over the whole run: POSTs the receiver accepted.
    pub receiver_total: u64,
}

/// Runs the broadcast scenario against `target`, whose notifications
/// service delivers webhooks to `receiver`.
pub async fn run(
    target: &Target,
    receiver: &Receiver,
    size: u64,
) -> anyhow::Result<BroadcastOutcome> {
    let token = mint_dev_token(
        &target.secret,
        "bench",
        &Role::ALL,
        None,
        None,
        Duration::from_secs(12 * 3600),
    )?;
    let token: MetadataValue<Ascii> = format!("Bearer {token}").parse()?;
    let channel = tonic::transport::Endpoint::from_shared(target.notifications.clone())?
        .tcp_nodelay(true)
        .connect()
        .await
        .context("connecting to the notifications service")?;
    let mut client = NotificationServiceClient::new(channel);

    let template = pb::Template {
        kind: KIND.into(),
        channel: pb::Channel::Webhook.into(),
        subject: "Service notice".into(),
        body: "Dear {{ recipient.name }}, {{ notice }}".into(),
        variables: vec!["notice".into()],
        ..Default::default()
    };
    match client
        .create_template(authorized(
            pb::CreateTemplateRequest {
                template: Some(template),
            },
            &token,
        ))
        .await
    {
        Ok(_) => {}
        // A reused benchmark database has it from an earlier run.
        Err(status) if status.code() == tonic::Code::AlreadyExists => {}
        Err(status) => return Err(status).context("CreateTemplate"),
    }

    let (selector, expected) = audience(target, size).await?;
    eprintln!(
        "  broadcasting to {expected} customers (selector: locales {:?}, grades {:?})",
        selector.locales,
        selector
            .value_grades
            .iter()
            .filter_map(|g| cpb::ValueGrade::try_from(*g).ok())
            .map(|g| g.as_str_name().trim_start_matches("VALUE_GRADE_"))
            .collect::<Vec<_>>()
    );
    let broadcast = pb::Broadcast {
        audience: Some(pb::Audience {
            members: Some(pb::audience::Members::Selector(selector)),
        }),
        kind: KIND.into(),
        critical: true,
        variables: HashMap::from([(
            "notice".to_owned(),
            "the network in your area is restored.".to_owned(),
        )]),
        channels: vec![pb::Channel::Webhook.into()],
        ..Default::default()
    };
    let start = Instant::now();
    let created = client
        .create_broadcast(authorized(
            pb::CreateBroadcastRequest {
                broadcast: Some(broadcast),
                request_id: Uuid::now_v7().to_string(),
            },
            &token,
        ))
        .await
        .context("CreateBroadcast")?
        .into_inner()
        .broadcast
        .context("CreateBroadcast answered no broadcast")?;

    // Generous: a tenth of the target rate, and two minutes besides.
    let limit = Duration::from_secs(120 + expected / 500);
    let mut queued_within = None;
    let mut progress;
    let finished = loop {
        progress = client
            .get_broadcast_progress(authorized(
                pb::GetBroadcastProgressRequest {
                    name: created.name.clone(),
                },
                &token,
            ))
            .await
            .context("GetBroadcastProgress")?
            .into_inner();
        let queued = progress.state == pb::BroadcastState::Queued as i32;
        if queued && queued_within.is_none() {
            queued_within = Some(start.elapsed());
        }
        let settled: i64 = progress
            .counts
            .iter()
            .filter(|c| is_final(c.state))
            .map(|c| c.count)
            .sum();
        let finished = queued && settled >= progress.total;
        if finished
            || progress.state == pb::BroadcastState::Cancelled as i32
            || start.elapsed() > limit
        {
            break finished;
        }
        tokio::time::sleep(POLL).await;
    };
    let elapsed = start.elapsed();
    let count = |state: pb::MessageState| {
        progress
            .counts
            .iter()
            .filter(|c| c.state == state as i32)
            .map(|c| u64::try_from(c.count).unwrap_or(0))
            .sum::<u64>()
    };
    let delivered = count(pb::MessageState::Delivered);
    let failed = count(pb::MessageState::Failed) + count(pb::MessageState::Bounced);
    let states = progress
        .counts
        .iter()
        .map(|c| {
            let name = pb::MessageState::try_from(c.state).map_or(c.state.to_string(), |s| {
                s.as_str_name()
                    .trim_start_matches("MESSAGE_STATE_")
                    .to_owned()
            });
            (name, c.count)
        })
        .collect();

    let (seen, duplicates) = tally(&mut client, &token, &created.name, receiver).await?;
    let audience = u64::try_from(progress.total).unwrap_or(0);
    Ok(BroadcastOutcome {
        expected,
        audience,
        queued_within_s: queued_within.map(|d| d.as_secs_f64()),
        delivery_s: elapsed.as_secs_f64(),
        finished,
        deliveries_per_s: delivered as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        states,
        delivered,
        failed,
        lost: audience.saturating_sub(seen),
        duplicates,
        receiver_distinct: receiver.distinct() as u64,
        receiver_total: receiver.total() as u64,
    })
}

/// Whether a message in this wire state is done with (the service's own
/// state machine says).
fn is_final(state: i32) -> bool {
    State::from_wire(state)
        .ok()
        .flatten()
        .is_some_and(State::is_final)
}

/// Looks up every message of `broadcast` at the receiver: how many it saw
/// at least once, and how many repeats it had.
async fn tally(
    client: &mut NotificationServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
    broadcast: &str,
    receiver: &Receiver,
) -> anyhow::Result<(u64, u64)> {
    let (mut seen, mut repeats) = (0u64, 0u64);
    let mut page_token = String::new();
    loop {
        let page = client
            .list_messages(authorized(
                pb::ListMessagesRequest {
                    filter: Some(pb::list_messages_request::Filter::Broadcast(
                        broadcast.to_owned(),
                    )),
                    states: Vec::new(),
                    page_size: 1000,
                    page_token,
                },
                token,
            ))
            .await
            .context("ListMessages of the broadcast")?
            .into_inner();
        for message in &page.messages {
            let key = message.name.trim_start_matches("messages/");
            let count = receiver.count_of(key) as u64;
            if count > 0 {
                seen += 1;
                repeats += count - 1;
            }
        }
        if page.next_page_token.is_empty() {
            return Ok((seen, repeats));
        }
        page_token = page.next_page_token;
    }
}

/// The selector whose audience comes closest to `size`, and that audience:
/// every combination of seeded locales and value grades is counted from
/// one grouped query.
async fn audience(target: &Target, size: u64) -> anyhow::Result<(cpb::CustomerSelector, u64)> {
    let groups: Vec<(Option<String>, Option<String>, i64)> = sqlx::query_as(
        "SELECT locale, value_grade, count(*) FROM customers.customers
         WHERE erase_time IS NULL GROUP BY 1, 2",
    )
    .fetch_all(&target.admin)
    .await
    .context("counting customers by locale and grade")?;
    let everyone: u64 = groups.iter().map(|g| u64::try_from(g.2).unwrap_or(0)).sum();
    anyhow::ensure!(everyone > 0, "no customers: seed the database first");
    if everyone <= size {
        return Ok((cpb::CustomerSelector::default(), everyone));
    }
    let mut locales: Vec<String> = groups.iter().filter_map(|g| g.0.clone()).collect();
    locales.sort();
    locales.dedup();
    let mut grades: Vec<String> = groups
        .iter()
        .filter_map(|g| g.1.clone())
        .filter(|g| grade(g).is_some())
        .collect();
    grades.sort();
    grades.dedup();
    // Subsets of at most 10 locales (1,024) by 16 of grades; beyond that,
    // one locale at a time.
    let locale_masks: Vec<u32> = if locales.len() <= 10 {
        (0..1u32 << locales.len()).collect()
    } else {
        std::iter::once(0)
            .chain((0..locales.len()).map(|i| 1 << i))
            .collect()
    };
    let grade_masks: Vec<u32> = (0..1u32 << grades.len().min(8)).collect();
    let mut best = (u64::MAX, 0u32, 0u32, everyone);
    for &lm in &locale_masks {
        for &gm in &grade_masks {
            let taken = |g: &(Option<String>, Option<String>, i64)| {
                let locale_ok = lm == 0
                    || g.0
                        .as_ref()
                        .and_then(|l| locales.iter().position(|x| x == l))
                        .is_some_and(|i| lm & (1 << i) != 0);
                let grade_ok = gm == 0
                    || g.1
                        .as_ref()
                        .and_then(|v| grades.iter().position(|x| x == v))
                        .is_some_and(|i| gm & (1 << i) != 0);
                locale_ok && grade_ok
            };
            let count: u64 = groups
                .iter()
                .filter(|g| taken(g))
                .map(|g| u64::try_from(g.2).unwrap_or(0))
                .sum();
            let distance = count.abs_diff(size);
            if distance < best.0 {
                best = (distance, lm, gm, count);
            }
        }
    }
    let (_, lm, gm, count) = best;
    let selector = cpb::CustomerSelector {
        locales: (0..locales.len())
            .filter(|i| lm & (1 << i) != 0)
            .map(|i| locales[i].clone())
            .collect(),
        value_grades: (0..grades.len())
            .filter(|i| gm & (1 << i) != 0)
            .filter_map(|i| grade(&grades[i]))
            .map(|g| g as i32)
            .collect(),
        ..Default::default()
    };
    Ok((selector, count))
}

/// A stored value grade code (`a`) as the contract's enum.
fn grade(code: &str) -> Option<cpb::ValueGrade> {
    cpb::ValueGrade::from_str_name(&format!("VALUE_GRADE_{}", code.to_ascii_uppercase()))
}
