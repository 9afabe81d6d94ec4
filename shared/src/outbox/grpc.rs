//! The feed on the wire: what a publishing service's `ListXxxEvents` and
//! `WatchXxxEvents` handlers call, and what a consuming service's gRPC
//! client uses to turn the answers back into [`Event`]s.
//!
//! Each publishing service defines its own request and response messages
//! (buf's STANDARD rules forbid sharing them; see
//! `proto/redress/events/v1/events.proto`), so these helpers take and give
//! the fields rather than the messages. A service's handlers are then:
//!
//! ```ignore
//! async fn list_complaint_events(&self, request: Request<pb::ListComplaintEventsRequest>)
//!     -> Result<Response<pb::ListComplaintEventsResponse>, Status> {
//!     let pb::ListComplaintEventsRequest { after_position, page_size, types } = request.into_inner();
//!     let page = outbox::grpc::list(&self.feed, after_position, page_size, types, DOMAIN).await?;
//!     Ok(Response::new(pb::ListComplaintEventsResponse { events: page.events, last_position: page.last_position }))
//! }
//!
//! type WatchComplaintEventsStream = outbox::grpc::WatchStream<pb::WatchComplaintEventsResponse>;
//! async fn watch_complaint_events(&self, request: Request<pb::WatchComplaintEventsRequest>)
//!     -> Result<Response<Self::WatchComplaintEventsStream>, Status> {
//!     let pb::WatchComplaintEventsRequest { after_position, types } = request.into_inner();
//!     outbox::grpc::watch(&self.feed, after_position, types, DOMAIN, |answer| {
//!         let outbox::grpc::WatchAnswer { events, last_position, head_position } = answer;
//!         pb::WatchComplaintEventsResponse { events, last_position, head_position }
//!     })
//! }
//! ```
//!
//! and a consuming service's source passes the response stream to
//! [`batches`] with the reverse destructuring.

use std::pin::Pin;

use futures::{Stream, StreamExt as _};
use redress_proto::events::v1 as pb;
use tonic::{Response, Status};

use super::feed::check_types;
use super::{BoxError, Event, EventBatches, Feed, OutboxError, Page};
use crate::error::{ApiError, ErrorDomain};
use crate::page;

/// The stream a `WatchXxxEvents` handler returns.
pub type WatchStream<R> = Pin<Box<dyn Stream<Item = Result<R, Status>> + Send + 'static>>;

/// The fields of a `ListXxxEventsResponse`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListAnswer {
    /// The page's events, in position order.
    pub events: Vec<pb::Event>,
    /// The `after_position` of the next call.
    pub last_position: i64,
}

/// The fields of a `WatchXxxEventsResponse`: one page of a watch.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchAnswer {
    /// The page's events, in position order; may be empty when
    /// `last_position` moved past events a type filter skipped, and in the
    /// first message.
    pub events: Vec<pb::Event>,
    /// Everything up to this position was sent or filtered out.
    pub last_position: i64,
    /// The feed's last position when the page was read.
    pub head_position: i64,
}

/// Answers a `ListXxxEvents` request: page size as AIP-158 (0 for 50, at
/// most 1000, negative refused), errors in the AIP-193 shape of `domain`
/// (`FEED_CURSOR_EXPIRED` when the cursor is older than what is kept).
pub async fn list(
    feed: &Feed,
    after_position: i64,
    page_size: i32,
    types: Vec<String>,
    domain: ErrorDomain,
) -> Result<ListAnswer, Status> {
    let page_size = page::page_size(page_size)
        .map_err(|error| ApiError::invalid("page_size", error.to_string()).into_status(domain))?;
    let page = feed
        .list(after_position, page_size, &types)
        .await
        .map_err(|error| ApiError::from(error).into_status(domain))?;
    Ok(ListAnswer {
        events: page.events.into_iter().map(pb::Event::from).collect(),
        last_position: page.last_position,
    })
}

/// Answers a `WatchXxxEvents` request with a stream of `wrap(answer)`
/// messages: everything after `after_position`, then each new batch as it
/// is sequenced, until the client goes away (see [`Feed::watch`] for when a
/// message has no events). Bad arguments are refused at once; a failure
/// later ends the stream with its status.
pub fn watch<R, F>(
    feed: &Feed,
    after_position: i64,
    types: Vec<String>,
    domain: ErrorDomain,
    wrap: F,
) -> Result<Response<WatchStream<R>>, Status>
where
    R: Send + 'static,
    F: Fn(WatchAnswer) -> R + Send + 'static,
{
    check_arguments(after_position, &types)
        .map_err(|error| ApiError::from(error).into_status(domain))?;
    let stream = feed
        .watch(after_position, types)
        .map(move |page| match page {
            Ok(Page {
                events,
                last_position,
                head,
            }) => Ok(wrap(WatchAnswer {
                events: events.into_iter().map(pb::Event::from).collect(),
                last_position,
                head_position: head,
            })),
            Err(error) => Err(ApiError::from(error).into_status(domain)),
        });
    Ok(Response::new(Box::pin(stream)))
}

/// For a consuming service's [`super::EventSource`]: turns the response
/// stream of a `WatchXxxEvents` call into pages, taking the fields out of
/// each message with `answer`. Positions a publisher left unset (one too
/// old to send them) read as its last event's, so such a feed looks caught
/// up rather than behind.
pub fn batches<S, R, F>(stream: S, answer: F) -> EventBatches
where
    S: Stream<Item = Result<R, Status>> + Send + 'static,
    F: Fn(R) -> WatchAnswer + Send + 'static,
{
    stream
        .map(move |message| {
            let WatchAnswer {
                events,
                last_position,
                head_position,
            } = answer(message.map_err(BoxError::from)?);
            let events = events
                .into_iter()
                .map(|event| Event::try_from(event).map_err(BoxError::from))
                .collect::<Result<Vec<_>, _>>()?;
            let last_position = events
                .last()
                .map_or(last_position, |last| last.position.max(last_position));
            Ok(Page {
                events,
                last_position,
                head: head_position.max(last_position),
            })
        })
        .boxed()
}

/// Checks a watch's arguments before the stream starts.
fn check_arguments(after_position: i64, types: &[String]) -> Result<(), OutboxError> {
    if after_position < 0 {
        return Err(OutboxError::InvalidArgument {
            field: "after_position",
            reason: "must not be negative; 0 is the start of the feed".into(),
        });
    }
    check_types(types)
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn bad_watch_arguments_are_refused_before_streaming() {
        assert!(check_arguments(0, &[]).is_ok());
        assert!(check_arguments(7, &["complaint.created".into()]).is_ok());
        for (after, types) in [
            (-1, vec![]),
            (0, vec![String::new()]),
            (0, vec!["Complaint Created".into()]),
            (0, vec!["complaint.created".into(); 51]),
        ] {
            let error = check_arguments(after, &types).expect_err("refused");
            let status = ApiError::from(error).into_status("test.redress");
            assert_eq!(status.code(), Code::InvalidArgument);
        }
    }

    #[test]
    fn an_expired_cursor_is_a_failed_precondition() {
        let status = ApiError::from(OutboxError::CursorExpired {
            after_position: 3,
            pruned_through: 10,
        })
        .into_status("test.redress");
        assert_eq!(status.code(), Code::FailedPrecondition);
    }

    /// A `complaint.created` event at `position`.
    fn event_at(position: i64) -> Event {
        Event {
            id: uuid::Uuid::now_v7(),
            position,
            event_type: "complaint.created".into(),
            subject: "complaints/1".into(),
            attributes: Default::default(),
            payload: serde_json::json!({}),
            schema_version: 1,
            create_time: jiff::Timestamp::from_second(1_790_000_000).expect("in range"),
            traceparent: None,
        }
    }

    #[tokio::test]
    async fn a_watch_response_stream_becomes_event_batches() {
        let event = event_at(5);
        let messages = futures::stream::iter(vec![
            Ok(WatchAnswer {
                events: vec![pb::Event::from(event.clone())],
                last_position: 7,
                head_position: 9,
            }),
            Ok(WatchAnswer {
                events: Vec::new(),
                last_position: 9,
                head_position: 9,
            }),
            Err(Status::unavailable("gone")),
        ]);
        let mut batches = batches(messages, |answer| answer);
        let first = batches.next().await.expect("a batch").expect("ok");
        assert_eq!(
            first,
            Page {
                events: vec![event.clone()],
                last_position: 7,
                head: 9
            }
        );
        let moved = batches.next().await.expect("a batch").expect("ok");
        assert!(moved.events.is_empty());
        assert_eq!((moved.last_position, moved.head), (9, 9));
        assert!(batches.next().await.expect("an item").is_err());
    }

    #[tokio::test]
    async fn positions_an_older_publisher_leaves_unset_read_as_its_last_events() {
        let event = event_at(5);
        let messages = futures::stream::iter(vec![Ok(WatchAnswer {
            events: vec![pb::Event::from(event)],
            last_position: 0,
            head_position: 0,
        })]);
        let page = batches(messages, |answer| answer)
            .next()
            .await
            .expect("a batch")
            .expect("ok");
        assert_eq!((page.last_position, page.head), (5, 5));
    }
}
