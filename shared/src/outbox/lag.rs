//! Feed lag: how far a consumer is behind the feed it follows, as two
//! gauges per consumer, so an operator sees a stuck or slow consumer before
//! its customers do.
//!
//! - `redress.feed.lag.events` (`{event}`): the feed positions between what
//!   the consumer has applied (or skipped as not its type) and the
//!   publisher's head when the page was read. While an event is being
//!   applied it counts as not yet applied.
//! - `redress.feed.lag.seconds` (`s`): how long ago the event being applied
//!   was made, recorded at every attempt so a stuck event's lag keeps
//!   growing; 0 once the consumer has applied everything it knows of.
//!
//! The only attribute is `messaging.consumer.group.name`, the consumer's key
//! (`complaints.early_warning`): a closed set the code names. The head comes
//! with each page of the watch ([`super::Page::head`]), so lag costs no
//! query. The seconds are by the wall clock: lag is about real time, even
//! when a test moves the service's clock (a negative age reads as 0).

use jiff::Timestamp;
use opentelemetry::KeyValue;
use opentelemetry::metrics::Gauge;

use super::Event;
use crate::telemetry;

/// The consumer key attribute, from the OpenTelemetry messaging conventions.
const CONSUMER_GROUP: &str = "messaging.consumer.group.name";

/// One consumer's lag gauges. Make it once the process's meter provider is
/// installed (when the consumer starts running), not before.
#[derive(Debug)]
pub(super) struct FeedLag {
    events: Gauge<i64>,
    seconds: Gauge<f64>,
    /// `messaging.consumer.group.name` = the consumer's key.
    attributes: [KeyValue; 1],
}

impl FeedLag {
    /// The gauges of the consumer keyed `feed`.
    pub(super) fn new(feed: &str) -> Self {
        let meter = telemetry::meter();
        Self {
            events: meter
                .i64_gauge("redress.feed.lag.events")
                .with_unit("{event}")
                .with_description(
                    "Events in the publisher's feed this consumer has not yet applied or skipped",
                )
                .build(),
            seconds: meter
                .f64_gauge("redress.feed.lag.seconds")
                .with_unit("s")
                .with_description(
                    "Age of the event this consumer is applying; 0 when it has applied all it knows of",
                )
                .build(),
            attributes: [KeyValue::new(CONSUMER_GROUP, feed.to_owned())],
        }
    }

    /// Before each attempt at `event`, from a page read when the feed's head
    /// was `head`.
    pub(super) fn applying(&self, event: &Event, head: i64) {
        let behind = head.saturating_sub(event.position.saturating_sub(1));
        self.events.record(behind.max(0), &self.attributes);
        let age = Timestamp::now().duration_since(event.create_time);
        self.seconds
            .record(age.as_secs_f64().max(0.0), &self.attributes);
    }

    /// After every event of a page reaching `last_position` was applied,
    /// the page having been read when the head was `head`.
    pub(super) fn reached(&self, last_position: i64, head: i64) {
        let behind = head.saturating_sub(last_position).max(0);
        self.events.record(behind, &self.attributes);
        if behind == 0 {
            self.seconds.record(0.0, &self.attributes);
        }
    }
}
