//! The consumer: follows another service's feed and applies each event
//! exactly once to the consuming service's own schema.
//!
//! For every event the [`Consumer`] opens one transaction in the consuming
//! service's pool and, in it: records the event's id in `applied_events`
//! (an id already there means the event was applied before, so the handler
//! is skipped), runs the service's [`EventHandler`] on the same connection,
//! advances the feed's row in `feed_cursors` (never backwards), and commits.
//! The effects, the record and the cursor commit together or not at all, so
//! a crash anywhere leaves either the whole event applied or nothing; and a
//! second consumer racing on the same feed blocks on the first one's
//! `applied_events` row and then skips. A failing event is retried in place
//! with backoff, for ever: the consumer never moves past an event it could
//! not apply (the failure is logged with the event's id and attempt count).
//!
//! The handler runs inside a span that continues the trace stored with the
//! event (ARCHITECTURE.md, rule 5), so one trace reads from the request
//! that wrote the event to the work it caused, and that also carries a span
//! link to the writing span, as the OpenTelemetry messaging conventions ask
//! of a "process" span. The span is named `process <publisher>` and carries
//! the conventions' `messaging.*` attributes: the consumer's key as
//! `messaging.consumer.group.name`, the event id as `messaging.message.id`;
//! nothing personal.
//!
//! Events come from an [`EventSource`]: the publisher's gRPC client in a
//! service (see [`super::grpc::batches`]), or a [`super::Feed`] in-process.
//! When the source fails or ends, the consumer reconnects from the cursor
//! stored in its schema. Each page the source sends tells the feed's head,
//! and the consumer reports how far behind it is (module `lag`: gauges
//! `redress.feed.lag.events` and `redress.feed.lag.seconds`).

use std::future::Future;
use std::time::Duration;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use rand::Rng as _;
use serde::Deserialize;
use sqlx::PgConnection;
use sqlx::postgres::PgPool;
use tracing::Instrument as _;

use super::lag::FeedLag;
use super::{BoxError, Event, Feed, OutboxError, Page};
use crate::grpc::follow_from;

/// `messaging.system` on a consumer's spans: no registered system fits, so
/// the outbox names itself.
const MESSAGING_SYSTEM: &str = "redress_outbox";

/// The publisher a consumer key names: its first segment (`complaints` of
/// `complaints.early_warning`).
fn publisher_of(feed: &str) -> &str {
    feed.split('.').next().unwrap_or(feed)
}

/// Pages of events, in feed order, as a source delivers them; each with the
/// position it reaches and the feed's head (see [`Feed::watch`]).
pub type EventBatches = BoxStream<'static, Result<Page, BoxError>>;

/// Where a consumer gets events from.
pub trait EventSource: Send {
    /// The events after `after_position` of the given types (all when
    /// empty), catching up and then following, in position order, in pages
    /// as [`Feed::watch`] sends them.
    fn watch(
        &mut self,
        after_position: i64,
        types: &[String],
    ) -> impl Future<Output = Result<EventBatches, BoxError>> + Send;
}

impl EventSource for Feed {
    async fn watch(
        &mut self,
        after_position: i64,
        types: &[String],
    ) -> Result<EventBatches, BoxError> {
        let batches = Feed::watch(self, after_position, types.to_vec());
        Ok(batches.map(|batch| batch.map_err(BoxError::from)).boxed())
    }
}

/// What a consuming service does with one event, on the connection of the
/// transaction that also records the event as applied and moves the cursor.
/// Return an error to roll everything back and have the event retried.
pub trait EventHandler: Send {
    /// Applies `event` within the transaction on `conn`.
    fn handle<'a>(
        &'a mut self,
        conn: &'a mut PgConnection,
        event: &'a Event,
    ) -> impl Future<Output = Result<(), BoxError>> + Send + 'a;
}

/// The future a closure handler returns.
pub type HandlerFuture<'a> = BoxFuture<'a, Result<(), BoxError>>;

/// A closure as an [`EventHandler`]; made by [`handler_fn`].
pub struct FnHandler<F>(F);

impl<F> std::fmt::Debug for FnHandler<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnHandler")
    }
}

/// Makes a handler of a closure returning a boxed future:
/// `handler_fn(|conn, event| Box::pin(async move { ... }))`.
pub fn handler_fn<F>(handler: F) -> FnHandler<F>
where
    F: for<'a> FnMut(&'a mut PgConnection, &'a Event) -> HandlerFuture<'a> + Send,
{
    FnHandler(handler)
}

impl<F> EventHandler for FnHandler<F>
where
    F: for<'a> FnMut(&'a mut PgConnection, &'a Event) -> HandlerFuture<'a> + Send,
{
    fn handle<'a>(
        &'a mut self,
        conn: &'a mut PgConnection,
        event: &'a Event,
    ) -> impl Future<Output = Result<(), BoxError>> + Send + 'a {
        (self.0)(conn, event)
    }
}

/// How a consumer retries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ConsumerSettings {
    /// First pause, in milliseconds, before retrying a failed event or
    /// reconnecting to the source; doubles (with jitter) after each failure.
    pub initial_backoff_ms: u64,
    /// Longest pause, in milliseconds.
    pub max_backoff_ms: u64,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            initial_backoff_ms: 100,
            max_backoff_ms: 30_000,
        }
    }
}

/// The position a consuming service has applied `feed` up to (0 before its
/// first event), as stored in its `feed_cursors`.
pub async fn cursor(pool: &PgPool, feed: &str) -> Result<i64, OutboxError> {
    let position: Option<i64> =
        sqlx::query_scalar("SELECT position FROM feed_cursors WHERE feed = $1")
            .bind(feed)
            .fetch_optional(pool)
            .await?;
    Ok(position.unwrap_or(0))
}

/// Follows one feed into the consuming service's schema; see the module
/// documentation.
pub struct Consumer<S, H> {
    /// The consuming service's pool (its schema holds `feed_cursors` and
    /// `applied_events`).
    pool: PgPool,
    /// The key of this subscription in `feed_cursors` and `applied_events`,
    /// such as `complaints` or `complaints.early_warning`; one per
    /// (publisher, purpose), the publisher first.
    feed: String,
    /// The name of the span of each event: `process <publisher>`.
    span_name: String,
    /// Event types to receive; empty for all.
    types: Vec<String>,
    source: S,
    handler: H,
    settings: ConsumerSettings,
}

impl<S, H> std::fmt::Debug for Consumer<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("feed", &self.feed)
            .field("types", &self.types)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Whether an event's handler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    /// Applied now.
    Now,
    /// Applied before; only the cursor moved.
    Before,
}

impl<S: EventSource, H: EventHandler> Consumer<S, H> {
    /// A consumer of `feed` (its key in `feed_cursors`: the publisher's
    /// name, then `.purpose` when the service follows that publisher more
    /// than once) from `source`, applying events with `handler` in `pool`'s
    /// schema; all event types, default settings.
    pub fn new(pool: PgPool, feed: impl Into<String>, source: S, handler: H) -> Self {
        let feed = feed.into();
        Self {
            pool,
            span_name: format!("process {}", publisher_of(&feed)),
            feed,
            types: Vec::new(),
            source,
            handler,
            settings: ConsumerSettings::default(),
        }
    }

    /// Receives only these event types. The cursor still moves past the
    /// others when the source skips them.
    pub fn with_types(mut self, types: Vec<String>) -> Self {
        self.types = types;
        self
    }

    /// Uses these retry settings.
    pub fn with_settings(mut self, settings: ConsumerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Consumes until `shutdown` resolves. An event being applied when it
    /// does is rolled back, and applied again by the next run.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) {
        tokio::select! {
            () = shutdown => {}
            () = self.run() => {}
        }
    }

    /// Reconnects from the stored cursor whenever the source fails or ends.
    async fn run(&mut self) {
        let lag = FeedLag::new(&self.feed);
        let mut failures = 0_u32;
        loop {
            match self.follow(&lag).await {
                Ok(()) => {
                    tracing::info!(feed = %self.feed, "event source ended; reconnecting");
                    failures = 0;
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(feed = %self.feed, %error, "event source failed; reconnecting");
                }
            }
            tokio::time::sleep(self.backoff(failures.max(1))).await;
        }
    }

    /// One connection to the source: from the stored cursor until the
    /// source ends or fails.
    async fn follow(&mut self, lag: &FeedLag) -> Result<(), BoxError> {
        let after = cursor(&self.pool, &self.feed).await?;
        let mut batches = self.source.watch(after, &self.types).await?;
        while let Some(page) = batches.next().await {
            let Page {
                events,
                last_position,
                head,
            } = page?;
            for event in &events {
                self.apply_until_done(event, head, lag).await;
            }
            lag.reached(last_position, head);
        }
        Ok(())
    }

    /// Applies one event of a page read when the feed's head was `head`,
    /// retrying with backoff until it commits.
    async fn apply_until_done(&mut self, event: &Event, head: i64, lag: &FeedLag) {
        let mut attempt = 0_u32;
        loop {
            attempt = attempt.saturating_add(1);
            lag.applying(event, head);
            match self.apply(event).await {
                Ok(Applied::Now) => {
                    tracing::debug!(feed = %self.feed, event.id = %event.id, attempt, "event applied");
                    return;
                }
                Ok(Applied::Before) => {
                    tracing::debug!(feed = %self.feed, event.id = %event.id, "event already applied");
                    return;
                }
                Err(error) => {
                    tracing::warn!(
                        feed = %self.feed,
                        event.id = %event.id,
                        event.type = %event.event_type,
                        event.position = event.position,
                        attempt,
                        %error,
                        "applying an event failed; retrying"
                    );
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
            }
        }
    }

    /// One attempt: claim, handle, advance, commit, in one transaction and
    /// one span that continues the event's trace and links to its writer.
    async fn apply(&mut self, event: &Event) -> Result<Applied, BoxError> {
        let span = tracing::info_span!(
            "outbox.apply",
            otel.name = %self.span_name,
            otel.kind = "consumer",
            messaging.system = MESSAGING_SYSTEM,
            messaging.operation.name = "process",
            messaging.operation.type = "process",
            messaging.destination.name = publisher_of(&self.feed),
            messaging.consumer.group.name = %self.feed,
            messaging.message.id = %event.id,
            event.type = %event.event_type,
            event.position = event.position,
        );
        if let Some(traceparent) = &event.traceparent {
            follow_from(&span, traceparent);
        }
        let Self {
            pool,
            feed,
            handler,
            ..
        } = self;
        async move {
            let mut tx = pool.begin().await?;
            // Blocks while a racing consumer holds an uncommitted claim on
            // this event; then finds its row (skip) or not (it rolled back).
            let claimed = sqlx::query(
                "INSERT INTO applied_events (feed, event_id) VALUES ($1, $2)
                 ON CONFLICT (feed, event_id) DO NOTHING",
            )
            .bind(&*feed)
            .bind(event.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if claimed {
                handler.handle(&mut tx, event).await?;
            }
            sqlx::query(
                "INSERT INTO feed_cursors (feed, position) VALUES ($1, $2)
                 ON CONFLICT (feed) DO UPDATE
                 SET position = GREATEST(feed_cursors.position, EXCLUDED.position),
                     update_time = now()",
            )
            .bind(&*feed)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(if claimed {
                Applied::Now
            } else {
                Applied::Before
            })
        }
        .instrument(span)
        .await
    }

    /// The pause after failure number `attempt`: exponential and capped,
    /// less up to a quarter at random so racing consumers drift apart.
    fn backoff(&self, attempt: u32) -> Duration {
        let first = self.settings.initial_backoff_ms.max(1);
        let max = self.settings.max_backoff_ms.max(first);
        let exponent = attempt.saturating_sub(1).min(20);
        let base = first.saturating_mul(1_u64 << exponent).min(max);
        let jitter = rand::rng().random_range(0..=base / 4);
        Duration::from_millis(base - jitter)
    }
}
