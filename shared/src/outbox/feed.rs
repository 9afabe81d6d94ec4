//! The feed reader: a publishing service's events in position order, read
//! from a cursor ([`Feed::list`]) or followed as they are sequenced
//! ([`Feed::watch`]).
//!
//! Readers only ever ask for `position > cursor`: positions are given in
//! commit order and a reader always sees a prefix of them, so nothing is
//! skipped (see [`super`]). A page is read in one statement, so the events
//! and the feed's head come from one snapshot; when the page is not full
//! the cursor to pass next moves to the head, so a reader filtering by type
//! does not rescan the events it filtered out. A cursor older than what
//! pruning has kept is refused ([`OutboxError::CursorExpired`]) rather than
//! silently skipping the pruned events.
//!
//! A watch lists page after page until it is caught up, then waits for the
//! sequencer's NOTIFY (one shared listener per [`Feed`]) or the fallback
//! poll interval, and lists again. It holds one page at a time, whatever the
//! backlog, and stops when its consumer drops it. Every page carries the
//! feed's head as well as the cursor, so a consumer knows how far behind it
//! is (feed lag); for that a watch also sends its first page even when it is
//! empty, and an empty page whenever a type filter moved the cursor past
//! events of other types.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::Stream;
use serde::Deserialize;
use sqlx::Row as _;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::types::Json;
use tokio::sync::watch;
use uuid::Uuid;

use super::event::is_event_type;
use super::wake::{Wake, tick_or_timeout};
use super::{Event, OutboxError, SEQUENCED_CHANNEL};

/// Most event types one request may filter on.
const MAX_TYPES: usize = 50;

/// How a feed reads and follows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FeedSettings {
    /// Events per message a watch sends while catching up; at least 1.
    pub watch_batch_size: u32,
    /// How often, in milliseconds, a caught-up watch looks for new events
    /// when no notification came (notifications are lost while the listener
    /// reconnects).
    pub poll_interval_ms: u64,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            watch_batch_size: 500,
            poll_interval_ms: 1_000,
        }
    }
}

/// One page of a feed, as listed or as a watch sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The events after the cursor, in position order.
    pub events: Vec<Event>,
    /// The cursor to pass next: the last event's position when the page is
    /// full, else the feed's head (never less than the cursor passed in).
    /// Everything up to here was sent or filtered out.
    pub last_position: i64,
    /// The feed's last position when the page was read, in the same
    /// snapshot; at least `last_position`. `head - last_position` events
    /// (of all types) remain after this page.
    pub head: i64,
}

/// A publishing service's feed, read through its pool. Cheap to clone;
/// clones share one notification listener, started by the first watch and
/// stopped when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    settings: FeedSettings,
    /// The sequencer's notifications; started lazily (it needs a runtime).
    wake: OnceLock<Wake>,
}

impl Feed {
    /// The feed of the schema `pool` is confined to.
    pub fn new(pool: PgPool, settings: FeedSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                settings,
                wake: OnceLock::new(),
            }),
        }
    }

    /// Up to `page_size` events (at least 1) with a position greater than
    /// `after_position`, of the given types (all types when empty), in
    /// position order. Pass the page's `last_position` as the next
    /// `after_position`.
    pub async fn list(
        &self,
        after_position: i64,
        page_size: u32,
        types: &[String],
    ) -> Result<Page, OutboxError> {
        check_cursor(after_position)?;
        check_types(types)?;
        let page_size = page_size.max(1);
        // One statement, one snapshot: the head row and the events agree.
        let rows = sqlx::query(
            "SELECT h.last_position AS head, h.pruned_through,
                    e.event_id, e.position, e.event_type, e.subject, e.attributes, e.payload,
                    e.schema_version, e.traceparent, e.create_time
             FROM outbox_head h
             LEFT JOIN LATERAL (
                 SELECT * FROM outbox_events
                 WHERE position > $1
                   AND (cardinality($3::text[]) = 0 OR event_type = ANY($3::text[]))
                 ORDER BY position
                 LIMIT $2
             ) e ON true",
        )
        .bind(after_position)
        .bind(i64::from(page_size))
        .bind(types)
        .fetch_all(&self.inner.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Err(OutboxError::Corrupt(
                "the outbox head row is missing".into(),
            ));
        };
        let head: i64 = first.try_get("head")?;
        let pruned_through: i64 = first.try_get("pruned_through")?;
        if after_position < pruned_through {
            return Err(OutboxError::CursorExpired {
                after_position,
                pruned_through,
            });
        }
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(event) = event_from_row(row)? {
                events.push(event);
            }
        }
        let last_position = match events.last() {
            Some(last) if events.len() == page_size as usize => last.position,
            _ => head.max(after_position),
        };
        Ok(Page {
            events,
            last_position,
            head: head.max(last_position),
        })
    }

    /// The events after `after_position` of the given types (all when
    /// empty): first those already in the feed, a page per item, then each
    /// new batch as it is sequenced. The first page comes at once, even
    /// when empty; after it a page may be empty only when its
    /// `last_position` moved (a type filter skipped events of other types).
    /// Never ends by itself except after yielding an error; drop it to stop.
    pub fn watch(
        &self,
        after_position: i64,
        types: Vec<String>,
    ) -> impl Stream<Item = Result<Page, OutboxError>> + Send + 'static {
        let state = Watch {
            feed: self.clone(),
            cursor: after_position,
            types,
            ticks: None,
            started: false,
            failed: false,
        };
        futures::stream::unfold(state, Watch::next)
    }

    /// A receiver of the sequencer's notifications for this feed.
    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner
            .wake
            .get_or_init(|| Wake::start(self.inner.pool.clone(), SEQUENCED_CHANNEL))
            .subscribe()
    }
}

/// The state of one watch between items.
struct Watch {
    feed: Feed,
    /// Everything up to here has been sent (or filtered out).
    cursor: i64,
    types: Vec<String>,
    /// Set on the first poll, inside the runtime.
    ticks: Option<watch::Receiver<u64>>,
    /// The first page was sent.
    started: bool,
    /// An error was sent; the stream ends.
    failed: bool,
}

impl Watch {
    /// The next page to send (the first one; then one with events or a
    /// moved cursor), waiting as long as it takes.
    async fn next(mut self) -> Option<(Result<Page, OutboxError>, Self)> {
        if self.failed {
            return None;
        }
        let mut ticks = match self.ticks.take() {
            Some(ticks) => ticks,
            None => self.feed.subscribe(),
        };
        let settings = &self.feed.inner.settings;
        let poll = Duration::from_millis(settings.poll_interval_ms.max(1));
        let batch = settings.watch_batch_size;
        loop {
            // Seen before listing: a notification arriving during the list
            // makes the wait below return at once.
            ticks.borrow_and_update();
            match self.feed.list(self.cursor, batch, &self.types).await {
                Err(error) => {
                    self.failed = true;
                    return Some((Err(error), self));
                }
                Ok(page) => {
                    let moved = page.last_position > self.cursor;
                    self.cursor = page.last_position;
                    if !page.events.is_empty() || moved || !self.started {
                        self.started = true;
                        self.ticks = Some(ticks);
                        return Some((Ok(page), self));
                    }
                }
            }
            tick_or_timeout(&mut ticks, poll).await;
        }
    }
}

/// A cursor must not be negative.
fn check_cursor(after_position: i64) -> Result<(), OutboxError> {
    if after_position < 0 {
        return Err(OutboxError::InvalidArgument {
            field: "after_position",
            reason: "must not be negative; 0 is the start of the feed".into(),
        });
    }
    Ok(())
}

/// Event type filters must look like event types.
pub(super) fn check_types(types: &[String]) -> Result<(), OutboxError> {
    if types.len() > MAX_TYPES {
        return Err(OutboxError::InvalidArgument {
            field: "types",
            reason: format!("at most {MAX_TYPES} event types"),
        });
    }
    if !types.iter().all(|t| is_event_type(t)) {
        return Err(OutboxError::InvalidArgument {
            field: "types",
            reason: "each must be an event type such as `complaint.created`".into(),
        });
    }
    Ok(())
}

/// The event of a page row; `None` for the head-only row of an empty page.
fn event_from_row(row: &PgRow) -> Result<Option<Event>, OutboxError> {
    let Some(id) = row.try_get::<Option<Uuid>, _>("event_id")? else {
        return Ok(None);
    };
    let attributes: Json<BTreeMap<String, String>> = row
        .try_get("attributes")
        .map_err(|_| OutboxError::Corrupt(format!("event {id} has unreadable attributes")))?;
    Ok(Some(Event {
        id,
        position: row.try_get("position")?,
        event_type: row.try_get("event_type")?,
        subject: row.try_get("subject")?,
        attributes: attributes.0,
        payload: row.try_get("payload")?,
        schema_version: row.try_get("schema_version")?,
        create_time: row
            .try_get::<jiff_sqlx::Timestamp, _>("create_time")?
            .to_jiff(),
        traceparent: row.try_get("traceparent")?,
    }))
}
