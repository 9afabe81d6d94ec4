//! Channels: how a rendered message leaves the suite. Every external channel
//! is a [`Transport`] behind one trait, so the delivery worker treats them
//! alike: it hands over an [`Envelope`] and gets back whether the provider
//! accepted it ([`Accepted::Sent`]), the destination confirmed it
//! ([`Accepted::Delivered`]), or why not ([`SendError`]: worth retrying, or
//! refused for good). The message id travels as the idempotency key on every
//! channel, so a receiver can drop the repeat a crashed worker may send.
//!
//! The in-app inbox is not a transport: the worker writes it in this
//! service's own schema, in the transaction that records the delivery.

use futures::future::BoxFuture;
use uuid::Uuid;

use crate::domain::channel::Channel;

/// Where on its channel a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// An e-mail address.
    Email(String),
    /// A phone number in E.164, for SMS.
    Phone(String),
    /// The company's push gateway (customers), configured once.
    Gateway,
    /// A chat room's incoming webhook URL.
    ChatWebhook(String),
}

/// One rendered message for one transport.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The message id: the idempotency key every channel carries.
    pub message_id: Uuid,
    /// The recipient's resource name (`customers/{id}`, `agents/{subject}`,
    /// `teams/{id}`).
    pub recipient: String,
    /// Where on the channel.
    pub address: Address,
    /// The message kind.
    pub kind: String,
    /// The locale the text is in (a BCP 47 tag; empty for the default).
    pub locale: String,
    /// The subject line, rendered.
    pub subject: String,
    /// The body, rendered and escaped for the channel.
    pub body: String,
    /// Whether the message is critical.
    pub critical: bool,
}

/// What the channel did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The provider took it (SMTP server, SMS provider).
    Sent,
    /// The destination confirmed it (a webhook answered 2xx).
    Delivered,
}

/// Why a channel did not take a message. The text is the provider's answer
/// or the error, never the message or the address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A failure worth retrying (timeout, connection refused, 5xx, 429,
    /// SMTP 4xx).
    #[error("retryable: {0}")]
    Retryable(String),
    /// Refused for good (SMTP 5xx, HTTP 4xx other than 408/429, an address
    /// the channel cannot use).
    #[error("refused: {0}")]
    Refused(String),
}

/// A way out of the suite.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// The channel it serves.
    fn channel(&self) -> Channel;
    /// Sends one message.
    fn send<'a>(&'a self, envelope: &'a Envelope) -> BoxFuture<'a, Result<Accepted, SendError>>;
}
