//! The transactional outbox and the event feed built on it (ARCHITECTURE.md,
//! rules 3 and 5): a publishing service records each event in the same
//! transaction as the change it announces, a sequencer gives committed events
//! their place in an ordered feed, the service serves that feed over gRPC
//! (list from a cursor, and a server-streaming watch), and a consuming
//! service applies each event exactly once, keeping its cursor in its own
//! schema.
//!
//! # The pieces
//! - [`append`] (writer): inside the service's own transaction, inserts an
//!   event with the current span's `traceparent` and no position yet.
//! - [`Sequencer`]: a background task per publishing process that gives
//!   committed events increasing positions. Any number of replicas may run
//!   one; an advisory lock lets one at a time work.
//! - [`Feed`] (reader): [`Feed::list`] pages through positions after a
//!   cursor; [`Feed::watch`] catches up and then follows, woken by
//!   LISTEN/NOTIFY with a fallback poll. [`grpc`] turns both into the
//!   service's RPC answers.
//! - [`Consumer`]: pulls from an [`EventSource`] (the publisher's gRPC
//!   client, or a [`Feed`] in-process) and runs the service's
//!   [`EventHandler`] for each event in one transaction with the cursor
//!   advance and the applied-event record, in a span linked to the event's
//!   writer, reporting its feed lag (module `lag`).
//! - [`prune_events`] and [`prune_applied_events`]: retention, called by the
//!   service on its own schedule.
//! - [`schema`]: the SQL that publishing and consuming services copy into
//!   their migrations.
//!
//! # Why positions, and why in this order
//! An event's insertion id (an identity) is taken when the row is inserted,
//! but becomes visible only when its transaction commits, and transactions
//! commit in any order. A reader that used the id as its cursor could read
//! id 8 (committed), move its cursor to 8, and never see id 7 whose
//! transaction committed a moment later: a skipped event. So readers never
//! use the id; they read `position > cursor`, and positions are given only
//! to events whose transactions have committed:
//!
//! - The sequencer works in transactions serialised by a transaction-scoped
//!   advisory lock. Each pass takes the committed events still without a
//!   position (visible to its snapshot means committed), orders them by
//!   insertion id, numbers them on from the head row `outbox_head`, and
//!   commits. PostgreSQL releases the lock only after the commit is visible,
//!   so every later pass, and every reader snapshot that sees a later pass,
//!   sees all earlier ones: a reader always sees a prefix of the positions,
//!   and `position > cursor` never skips.
//! - Order follows commits pass by pass, and within a pass follows insertion
//!   ids. That respects cause and effect: if event B was written after event
//!   A's transaction committed (B's transaction read A's change, or waited on
//!   its row lock), B's id is greater and B is never sequenced before A.
//!
//! We deliberately do not use the transaction id for ordering or as a gate
//! (`ORDER BY xid` over events with `xid < pg_snapshot_xmin(...)`): xids are
//! handed out at a transaction's first write, not at commit. A command that
//! first records its `request_id` and then waits for a complaint's row lock
//! holds an older xid than the transaction it waited for, so xid order would
//! put its event before the event it followed; and the xmin gate stalls every
//! feed in the database behind any long-running writing transaction. The
//! `xid` column is stored only to tie an event to its transaction.

mod complaint_feed;
mod consumer;
mod error;
mod event;
mod feed;
pub mod grpc;
mod lag;
mod prune;
pub mod schema;
mod sequencer;
mod wake;
mod writer;

pub use complaint_feed::{ComplaintFeedSource, ComplaintsClient};
pub use consumer::{
    Consumer, ConsumerSettings, EventBatches, EventHandler, EventSource, FnHandler, HandlerFuture,
    cursor, handler_fn,
};
pub use error::OutboxError;
pub use event::{Event, NewEvent};
pub use feed::{Feed, FeedSettings, Page};
pub use prune::{RetentionSettings, prune_applied_events, prune_events};
pub use sequencer::{Pass, Sequencer, SequencerSettings};
pub use writer::append;

/// The error type handlers and sources report: anything, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Prefix of the channel the writer NOTIFYs at commit, followed by the
/// schema name; the sequencer LISTENs on it. Both stay under PostgreSQL's
/// 63-byte limit for any schema name the platform accepts (49 bytes).
const APPENDED_CHANNEL: &str = "outbox_new.";
/// Prefix of the channel the sequencer NOTIFYs after giving positions,
/// followed by the schema name; feed watchers LISTEN on it.
const SEQUENCED_CHANNEL: &str = "outbox_feed.";
