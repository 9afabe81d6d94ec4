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
//!
//! [`ChannelSettings`] says which channels are configured and
//! [`transports`] builds one transport for each: e-mail over SMTP
//! ([`email`]), SMS, the push gateway and chat rooms as signed HTTP POSTs
//! ([`http`]). [`receiver`] is the other end of those POSTs, for tests and
//! benchmarks.

pub mod email;
pub mod http;
pub mod receiver;

use std::sync::Arc;

use futures::future::BoxFuture;
use redress_platform::Secret;
use serde::Deserialize;
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

/// Where each external channel goes. A channel whose URL or endpoint is
/// empty is not configured, and no transport is built for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChannelSettings {
    /// E-mail over SMTP.
    pub email: EmailSettings,
    /// The SMS provider's HTTP API.
    pub sms: HttpSettings,
    /// The company's push gateway (customers' devices).
    pub webhook: HttpSettings,
    /// Staff chat rooms' incoming webhooks.
    pub chat: ChatSettings,
}

impl ChannelSettings {
    /// The longest any one attempt may take on a configured channel (see
    /// [`transports`]; chat is always configured).
    pub fn longest_timeout(&self) -> std::time::Duration {
        let longest = [
            (!self.email.url.is_empty()).then_some(self.email.timeout_ms),
            (!self.sms.endpoint.is_empty()).then_some(self.sms.timeout_ms),
            (!self.webhook.endpoint.is_empty()).then_some(self.webhook.timeout_ms),
            Some(self.chat.timeout_ms),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
        std::time::Duration::from_millis(longest)
    }
}

/// The SMTP relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EmailSettings {
    /// `smtp://host:port` (plain), `smtp://host:port?tls=required`
    /// (STARTTLS), `smtps://host:port` (implicit TLS), with optional
    /// `user:password@`; empty when e-mail is not configured. A secret,
    /// since it may carry the relay's password.
    pub url: Secret,
    /// The sender mailbox, `Redress <no-reply@redress.invalid>`.
    pub from: String,
    /// The bound on one send: connecting, the SMTP dialogue and the data.
    pub timeout_ms: u64,
    /// The most SMTP connections kept open to the relay.
    pub pool_size: u32,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            url: Secret::default(),
            from: "Redress <no-reply@redress.invalid>".to_owned(),
            timeout_ms: 10_000,
            pool_size: 4,
        }
    }
}

/// A provider reached by signed HTTP POSTs to one endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpSettings {
    /// The URL every message is POSTed to; empty when not configured.
    pub endpoint: String,
    /// The HMAC-SHA256 key the requests are signed with (see
    /// [`http::sign`]); required when `endpoint` is set.
    pub secret: Secret,
    /// The bound on one request, connecting included.
    pub timeout_ms: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            secret: Secret::default(),
            timeout_ms: 5_000,
        }
    }
}

/// Staff chat rooms. Each message carries its room's webhook URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ChatSettings {
    /// The HMAC-SHA256 key the requests are signed with; may be empty
    /// (chat services verify the secret URL, not a signature).
    pub secret: Secret,
    /// The bound on one request, connecting included.
    pub timeout_ms: u64,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            secret: Secret::default(),
            timeout_ms: 5_000,
        }
    }
}

/// Why the configured channels cannot be built. No variant carries a URL or
/// a secret: an SMTP URL may hold credentials, a chat URL is a credential.
#[derive(Debug, thiserror::Error)]
pub enum ChannelConfigError {
    /// `email.url` is not an `smtp://` or `smtps://` URL lettre accepts.
    #[error("email.url is not a usable smtp:// or smtps:// URL")]
    EmailUrl,
    /// `email.from` is not a mailbox (`Name <address>` or `address`).
    #[error("email.from is not a mailbox")]
    EmailFrom,
    /// An HTTP channel's endpoint is not an http(s) URL.
    #[error("{channel}.endpoint is not an http:// or https:// URL")]
    Endpoint {
        /// The settings section (`sms`, `webhook`).
        channel: &'static str,
    },
    /// An HTTP channel has an endpoint but no signing secret.
    #[error("{channel}.secret is empty but {channel}.endpoint is set")]
    MissingSecret {
        /// The settings section (`sms`, `webhook`).
        channel: &'static str,
    },
    /// The shared HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

/// One transport per configured channel: e-mail when `email.url` is set,
/// SMS and the push gateway when their endpoints are set, chat always (its
/// URL comes with each message). The HTTP transports share one client, so
/// they share its connection pool.
pub fn transports(
    settings: &ChannelSettings,
) -> Result<Vec<Arc<dyn Transport>>, ChannelConfigError> {
    let mut built: Vec<Arc<dyn Transport>> = Vec::new();
    if !settings.email.url.is_empty() {
        built.push(Arc::new(email::EmailTransport::new(&settings.email)?));
    }
    let client = http::shared_client()?;
    if !settings.sms.endpoint.is_empty() {
        built.push(Arc::new(http::SmsTransport::new(
            client.clone(),
            &settings.sms,
        )?));
    }
    if !settings.webhook.endpoint.is_empty() {
        built.push(Arc::new(http::WebhookTransport::new(
            client.clone(),
            &settings.webhook,
        )?));
    }
    built.push(Arc::new(http::ChatTransport::new(client, &settings.chat)));
    Ok(built)
}
