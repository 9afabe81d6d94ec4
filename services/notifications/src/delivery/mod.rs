//! The delivery worker. Any number of them, in any number of replicas, work
//! the one queue in the notifications schema:
//!
//! 1. **Claim** up to a batch of due messages with `FOR UPDATE SKIP LOCKED`
//!    and lease them (`sending` until the lease ends). A worker killed
//!    mid-batch loses nothing: when its lease lapses another worker claims
//!    the same messages again.
//! 2. **Resolve** the batch's recipients at once (customers in one call per
//!    thousand, staff from this schema), their preferences, the templates
//!    of the batch's kinds and recent sends for the daily cap.
//! 3. **Decide** each message in order (opt-outs skip a channel; quiet hours
//!    and the cap hold a non-critical message), then **send** the rest
//!    concurrently: render for the channel, hand to the transport, and on a
//!    failure retry later with backoff or fall back to the next channel.
//! 4. **Record** every outcome and attempt in one transaction, only for
//!    messages whose lease this worker still holds.
//!
//! Every channel receives the message id as its idempotency key, so the one
//! repeat a crash can cause (sent, then killed before step 4) is dropped by
//! the receiver.

mod choose;
pub mod recipients;
mod trace;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use jiff::{SignedDuration, Timestamp};
use redress_platform::clock::SharedClock;
use serde_json::Value;
use sqlx::PgPool;
use tracing::Instrument as _;

pub use choose::choose;

use crate::channels::{Accepted, Envelope, SendError, Transport};
use crate::directory::CustomerDirectory;
use crate::domain::channel::Channel;
use crate::domain::delivery::{Next, Outcome, Progress, RetryPolicy, State, after_attempt};
use crate::domain::preferences::{CAP_WINDOW, Decision, RecentSends, decide};
use crate::domain::template::{RecipientView, localise, render};
use crate::settings::Settings;
use crate::store::messages::{AttemptRecord, Claimed, Finished, InboxRecord};
use crate::store::templates::TemplateRow;
use crate::store::{self, StoreError};
use recipients::{ResolveError, Resolved, Unreachable};

/// The transports by channel.
pub type Transports = HashMap<Channel, Arc<dyn Transport>>;

/// One delivery worker.
#[derive(Debug, Clone)]
pub struct Worker {
    pool: PgPool,
    clock: SharedClock,
    directory: CustomerDirectory,
    transports: Arc<Transports>,
    settings: Arc<Settings>,
    retry: RetryPolicy,
}

/// Why a round failed (its messages are retried).
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    /// This service's database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Recipients could not be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
}

/// A message ready to be attempted.
struct Going {
    claimed: Claimed,
    who: Arc<Resolved>,
    plan: Vec<Channel>,
    index: usize,
    channel_attempts: u32,
    variables: BTreeMap<String, String>,
}

impl Worker {
    /// A worker on `pool`.
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        directory: CustomerDirectory,
        transports: Arc<Transports>,
        settings: Arc<Settings>,
    ) -> Self {
        let retry = settings.retry();
        Self {
            pool,
            clock,
            directory,
            transports,
            settings,
            retry,
        }
    }

    /// Works until `shutdown` resolves: a round whenever messages are due,
    /// else a pause of `poll_interval_ms`.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        let work = async {
            let pause = Duration::from_millis(self.settings.poll_interval_ms);
            loop {
                match self.round().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "a delivery round failed; will retry"),
                }
                tokio::time::sleep(pause).await;
            }
        };
        tokio::select! {
            () = shutdown => {}
            () = work => {}
        }
    }

    /// Claims and works one batch; returns how many messages it took.
    pub async fn round(&self) -> Result<usize, RoundError> {
        let now = self.clock.now();
        let claimed_at = Instant::now();
        let lease = self.settings.lease();
        let lease_until = now
            .checked_add(SignedDuration::try_from(lease).unwrap_or(SignedDuration::MAX))
            .unwrap_or(now);
        let claimed =
            store::messages::claim(&self.pool, now, lease_until, self.settings.claim_batch).await?;
        let taken = claimed.len();
        if taken == 0 {
            return Ok(0);
        }
        let names: HashSet<String> = claimed.iter().map(|c| c.recipient.clone()).collect();
        let resolved =
            match recipients::resolve(&self.pool, &self.directory, &self.settings, &names).await {
                Ok(resolved) => resolved,
                Err(error) => {
                    let pause = SignedDuration::from_millis(
                        i64::try_from(self.settings.lookup_retry_ms).unwrap_or(i64::MAX),
                    );
                    let later = now.checked_add(pause).unwrap_or(now);
                    store::messages::release(&self.pool, &claimed, later).await?;
                    return Err(error.into());
                }
            };
        let kinds: Vec<String> = claimed
            .iter()
            .map(|c| c.kind.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let templates = Arc::new(store::templates::of_kinds(&self.pool, &kinds).await?);
        let since = now.checked_sub(CAP_WINDOW).unwrap_or(now);
        let names: Vec<String> = names.into_iter().collect();
        // Only non-critical messages are capped (a crisis broadcast skips this).
        let mut recent = if claimed.iter().all(|c| c.critical) {
            HashMap::new()
        } else {
            store::messages::recent_sends(&self.pool, &names, since).await?
        };

        let mut finished = Vec::with_capacity(taken);
        let mut going = Vec::with_capacity(taken);
        for claimed in claimed {
            let variables = strings(claimed.variables.as_ref());
            match self.decide(claimed, variables, &resolved, &mut recent, now) {
                Ok(go) => going.push(go),
                Err(done) => finished.push(*done),
            }
        }
        // No attempt starts so late that it could end after the lease.
        let send_by =
            claimed_at + lease.saturating_sub(self.settings.stop_sending_before_lease_end());
        let sent: Vec<Finished> = futures::stream::iter(going)
            .map(|go| {
                let templates = templates.clone();
                let span = trace::span(&go.claimed);
                async move {
                    let finished = self
                        .attempt_all(go, &templates, send_by)
                        .instrument(span.clone())
                        .await;
                    trace::record(&span, &finished);
                    finished
                }
            })
            .buffer_unordered(self.settings.send_concurrency as usize)
            .collect()
            .await;
        finished.extend(sent);
        let recorded = store::messages::finish(&self.pool, &finished, self.clock.now()).await?;
        crate::metrics::deliveries_recorded(&finished, &recorded);
        tracing::debug!(taken, recorded = recorded.len(), "delivery round");
        Ok(taken)
    }

    /// Decides whether a message goes now (`Ok`), or how it ends this round.
    fn decide(
        &self,
        claimed: Claimed,
        variables: BTreeMap<String, String>,
        resolved: &HashMap<String, Result<Arc<Resolved>, Unreachable>>,
        recent: &mut HashMap<String, RecentSends>,
        now: Timestamp,
    ) -> Result<Going, Box<Finished>> {
        let end = |claimed: &Claimed, state: State, reason: &str, plan: Vec<Channel>| {
            Box::new(finished(
                claimed,
                state,
                reason,
                None,
                plan,
                claimed.channel_index,
                claimed.channel_attempts,
                None,
                vec![],
                None,
            ))
        };
        if claimed.broadcast_cancelled {
            return Err(end(
                &claimed,
                State::Cancelled,
                "BROADCAST_CANCELLED",
                vec![],
            ));
        }
        let who = match resolved.get(&claimed.recipient) {
            Some(Ok(who)) => who,
            Some(Err(Unreachable::Erased)) => {
                return Err(end(&claimed, State::Cancelled, "RECIPIENT_ERASED", vec![]));
            }
            _ => return Err(end(&claimed, State::Failed, "UNKNOWN_RECIPIENT", vec![])),
        };
        let plan: Vec<Channel> = match &claimed.plan {
            Some(plan) => plan.iter().filter_map(|c| Channel::from_code(c)).collect(),
            None if !claimed.channels.is_empty() => claimed
                .channels
                .iter()
                .filter_map(|c| Channel::from_code(c))
                .collect(),
            None => who.channels.clone(),
        };
        let mut index = usize::try_from(claimed.channel_index).unwrap_or(0);
        let mut channel_attempts = u32::try_from(claimed.channel_attempts).unwrap_or(0);
        let counted = recent
            .get(&claimed.recipient)
            .copied()
            .unwrap_or(RecentSends {
                count: 0,
                oldest: None,
            });
        loop {
            let Some(&channel) = plan.get(index) else {
                let (state, reason) = if plan.is_empty() {
                    (State::Failed, "NO_CHANNEL")
                } else {
                    (State::Cancelled, "OPTED_OUT")
                };
                return Err(end(&claimed, state, reason, plan));
            };
            match decide(
                &who.preferences,
                &claimed.category,
                channel,
                claimed.critical,
                now,
                &who.zone,
                counted,
            ) {
                Decision::OptedOut => {
                    index += 1;
                    channel_attempts = 0;
                }
                Decision::Hold(until, reason) => {
                    let index = i32::try_from(index).unwrap_or(0);
                    let attempts = i32::try_from(channel_attempts).unwrap_or(0);
                    return Err(Box::new(finished(
                        &claimed,
                        State::Held,
                        reason,
                        Some(until),
                        plan,
                        index,
                        attempts,
                        None,
                        vec![],
                        None,
                    )));
                }
                Decision::Send => {
                    if !claimed.critical {
                        let entry =
                            recent
                                .entry(claimed.recipient.clone())
                                .or_insert(RecentSends {
                                    count: 0,
                                    oldest: Some(now),
                                });
                        entry.count += 1;
                    }
                    return Ok(Going {
                        claimed,
                        who: Arc::clone(who),
                        plan,
                        index,
                        channel_attempts,
                        variables,
                    });
                }
            }
        }
    }

    /// Attempts a message on its plan from where it stands, falling back at
    /// once on refusals and exhausted channels, until it is sent, due again,
    /// or dead-lettered; or, when `send_by` has passed before an attempt,
    /// puts it back in the queue where it stands, due at once.
    async fn attempt_all(
        &self,
        go: Going,
        templates: &[TemplateRow],
        send_by: Instant,
    ) -> Finished {
        let Going {
            claimed,
            who,
            plan,
            mut index,
            mut channel_attempts,
            variables,
        } = go;
        let mut attempts = Vec::new();
        let mut inbox = None;
        // Where it ends: state, reason, next attempt, last channel tried.
        let (state, reason, due_time, last) = loop {
            if Instant::now() >= send_by {
                let last = attempts.last().map(|a: &AttemptRecord| a.channel);
                break (State::Queued, String::new(), Some(self.clock.now()), last);
            }
            let Some(&channel) = plan.get(index) else {
                break (State::Failed, "NO_CHANNEL".to_owned(), None, None);
            };
            let start = self.clock.now();
            let started = Instant::now();
            let (outcome, version, item) = self
                .attempt(&claimed, &who, channel, templates, &variables)
                .await;
            channel_attempts += 1;
            attempts.push(AttemptRecord {
                channel,
                number: i32::try_from(channel_attempts).unwrap_or(i32::MAX),
                outcome: outcome.code(),
                detail: match &outcome {
                    Outcome::Retryable(d) | Outcome::Refused(d) => d.chars().take(500).collect(),
                    _ => String::new(),
                },
                start_time: start,
                duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
                template_version: version,
            });
            if item.is_some() {
                inbox = item;
            }
            let progress = Progress {
                channel_index: index,
                channel_attempts,
                plan_len: plan.len(),
            };
            match after_attempt(
                &self.retry,
                progress,
                &outcome,
                self.clock.now(),
                &mut rand::rng(),
            ) {
                Next::Done(state) => break (state, String::new(), None, Some(channel)),
                Next::Retry(at) => break (State::Queued, String::new(), Some(at), Some(channel)),
                Next::Fallback(next) => {
                    index = next;
                    channel_attempts = 0;
                }
                Next::DeadLetter(state, reason) => break (state, reason, None, Some(channel)),
            }
        };
        finished(
            &claimed,
            state,
            &reason,
            due_time,
            plan,
            i32::try_from(index).unwrap_or(i32::MAX),
            i32::try_from(channel_attempts).unwrap_or(i32::MAX),
            last,
            attempts,
            inbox,
        )
    }

    /// One attempt on one channel: render, then deliver.
    async fn attempt(
        &self,
        claimed: &Claimed,
        who: &Resolved,
        channel: Channel,
        templates: &[TemplateRow],
        variables: &BTreeMap<String, String>,
    ) -> (Outcome, i32, Option<InboxRecord>) {
        let style = if who.familiar { "familiar" } else { "formal" };
        let Some(template) = choose(templates, &claimed.kind, Some(channel), &who.locale, style)
        else {
            return (Outcome::Refused("NO_TEMPLATE".into()), 0, None);
        };
        let view = RecipientView {
            name: who.display_name.clone(),
            locale: who.locale.as_str().to_owned(),
        };
        let variables = localise(variables, &who.locale.fallback_chain());
        let rendered = match render(
            &template.subject,
            &template.body,
            &template.variables,
            &variables,
            &view,
            Some(channel),
        ) {
            Ok(rendered) => rendered,
            Err(error) => {
                return (
                    Outcome::Refused(format!("TEMPLATE: {error}")),
                    template.version,
                    None,
                );
            }
        };
        if channel == Channel::InApp {
            let item = InboxRecord {
                recipient: claimed.recipient.clone(),
                kind: claimed.kind.clone(),
                subject: rendered.subject,
                body: rendered.body,
            };
            return (Outcome::Delivered, template.version, Some(item));
        }
        let Some(address) = who.addresses.get(&channel) else {
            return (
                Outcome::Refused("NO_ADDRESS".into()),
                template.version,
                None,
            );
        };
        let Some(transport) = self.transports.get(&channel) else {
            return (
                Outcome::Refused("CHANNEL_NOT_CONFIGURED".into()),
                template.version,
                None,
            );
        };
        let envelope = Envelope {
            message_id: claimed.id,
            recipient: claimed.recipient.clone(),
            address: address.clone(),
            kind: claimed.kind.clone(),
            locale: template.locale.clone(),
            subject: rendered.subject,
            body: rendered.body,
            critical: claimed.critical,
        };
        let outcome = match transport.send(&envelope).await {
            Ok(Accepted::Sent) => Outcome::Sent,
            Ok(Accepted::Delivered) => Outcome::Delivered,
            Err(SendError::Retryable(detail)) => Outcome::Retryable(detail),
            Err(SendError::Refused(detail)) => Outcome::Refused(detail),
        };
        (outcome, template.version, None)
    }
}

#[allow(clippy::too_many_arguments)]
fn finished(
    claimed: &Claimed,
    state: State,
    reason: &str,
    due_time: Option<Timestamp>,
    plan: Vec<Channel>,
    channel_index: i32,
    channel_attempts: i32,
    channel: Option<Channel>,
    attempts: Vec<AttemptRecord>,
    inbox: Option<InboxRecord>,
) -> Finished {
    Finished {
        id: claimed.id,
        lease_until: claimed.lease_until,
        state,
        reason: reason.to_owned(),
        due_time,
        plan,
        channel_index,
        channel_attempts,
        channel,
        attempts_before: claimed.attempt_count,
        attempts,
        inbox,
    }
}

/// A JSON object's string values.
fn strings(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
