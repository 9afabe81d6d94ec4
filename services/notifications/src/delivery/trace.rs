//! The span of one message's delivery in a round, for a message queued in a
//! trace (a complaint's acknowledgement queued by the feed consumer, a
//! SendMessage call): it continues that trace and links to the span that
//! queued it, as the feed consumer's span does, so an operator following a
//! complaint sees its acknowledgement rendered, handed to the channel and
//! how it ended. Broadcast messages carry no trace and get no span. The
//! span names the message's kind and id, the channel last tried and the
//! state it ended in; never the recipient, an address or the text.

use redress_platform::grpc::follow_from;
use tracing::Span;
use tracing::field::Empty;

use crate::store::messages::{Claimed, Finished};

/// The span for delivering `claimed` this round; none when it was queued
/// outside any trace.
pub(super) fn span(claimed: &Claimed) -> Span {
    let Some(traceparent) = claimed.traceparent.as_deref() else {
        return Span::none();
    };
    let span = tracing::info_span!(
        "deliver",
        otel.name = %format!("deliver {}", claimed.kind),
        otel.kind = "producer",
        notification.kind = %claimed.kind,
        notification.message_id = %claimed.id,
        notification.channel = Empty,
        notification.state = Empty,
    );
    follow_from(&span, traceparent);
    span
}

/// Records how the round left the message.
pub(super) fn record(span: &Span, finished: &Finished) {
    span.record("notification.state", finished.state.code());
    if let Some(channel) = finished.channel {
        span.record("notification.channel", channel.code());
    }
}
