//! The HTTP channels: SMS, the company's push gateway and staff chat rooms.
//! All three are a JSON POST signed the same way, so a receiver can tell the
//! request is ours and fresh, and drop a repeat by its idempotency key:
//!
//! - `Idempotency-Key: {message_id}`
//! - `X-Redress-Timestamp: {unix seconds}`
//! - `X-Redress-Signature: v1={hex(HMAC-SHA256(secret, "{timestamp}.{body}"))}`
//!
//! The answer decides what the delivery worker does next: 2xx is taken;
//! 408, 425, 429, 5xx, a timeout or a failed connection are worth retrying;
//! anything else (other 4xx, a redirect) is refused for good. Redirects are
//! not followed: a POST must not turn into a GET somewhere else. Error texts
//! name the status or the kind of failure, never the URL (a chat webhook URL
//! is itself a credential), the recipient or the text.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use redress_platform::Secret;
use reqwest::{Client, StatusCode, Url};
use serde::Serialize;
use sha2::Sha256;
use uuid::Uuid;

use super::{
    Accepted, Address, ChannelConfigError, ChatSettings, Envelope, HttpSettings, SendError,
    Transport,
};
use crate::domain::channel::Channel;

/// The header carrying the message id, the receiver's deduplication key.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The header carrying the signing time, in Unix seconds.
pub const TIMESTAMP: &str = "X-Redress-Timestamp";
/// The header carrying the signature, `v1={hex}`.
pub const SIGNATURE: &str = "X-Redress-Signature";
/// The version prefix of the signature header's value.
const SIGNATURE_VERSION: &str = "v1=";

type HmacSha256 = Hmac<Sha256>;

/// The signature header's value for a body sent at `timestamp`:
/// `v1={hex(HMAC-SHA256(secret, "{timestamp}.{body}"))}`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = keyed(secret, timestamp, body).finalize().into_bytes();
    format!("{SIGNATURE_VERSION}{}", hex::encode(digest))
}

/// Whether `signature_header` is our signature of `body` at
/// `timestamp_header`, and that time is within `tolerance_secs` of
/// `now_unix` (either way). The comparison takes constant time.
pub fn verify(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> bool {
    let Ok(timestamp) = timestamp_header.trim().parse::<i64>() else {
        return false;
    };
    if now_unix.abs_diff(timestamp) > tolerance_secs.unsigned_abs() {
        return false;
    }
    let Some(Ok(signature)) = signature_header
        .trim()
        .strip_prefix(SIGNATURE_VERSION)
        .map(hex::decode)
    else {
        return false;
    };
    keyed(secret, timestamp, body)
        .verify_slice(&signature)
        .is_ok()
}

/// The MAC of `"{timestamp}.{body}"` under `secret`, not yet finalised.
fn keyed(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (a long one is hashed first), so this
    // never falls back; the fallback keeps the function total.
    let mut mac =
        HmacSha256::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Seconds since the Unix epoch, by the wall clock (what the receiver
/// compares the timestamp with).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// The client every HTTP transport shares: one connection pool, kept-alive
/// connections, generous per host (a broadcast sends thousands to one
/// gateway), no redirects.
pub fn shared_client() -> Result<Client, ChannelConfigError> {
    Client::builder()
        .pool_max_idle_per_host(256)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_keepalive(Duration::from_secs(60))
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("redress-notifications/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ChannelConfigError::HttpClient(error.to_string()))
}

/// A signed JSON POST with a deadline: the one way out of every HTTP
/// transport.
#[derive(Debug, Clone)]
struct SignedPost {
    /// The shared client.
    client: Client,
    /// The HMAC key.
    secret: Secret,
    /// The bound on one request, connecting and the answer's body included.
    timeout: Duration,
}

impl SignedPost {
    /// POSTs `payload` as JSON to `url`, signed, keyed by `message_id`.
    async fn post(
        &self,
        url: Url,
        message_id: Uuid,
        payload: &impl Serialize,
    ) -> Result<(), SendError> {
        let body = serde_json::to_vec(payload)
            .map_err(|_| SendError::Refused("the message cannot be encoded as JSON".to_owned()))?;
        let timestamp = unix_now();
        let signature = sign(self.secret.expose().as_bytes(), timestamp, &body);
        let response = self
            .client
            .post(url)
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_KEY, message_id.to_string())
            .header(TIMESTAMP, timestamp.to_string())
            .header(SIGNATURE, signature)
            .body(body)
            .send()
            .await
            .map_err(request_failure)?;
        let status = response.status();
        // Read the answer to its end so the connection goes back to the pool.
        let _ = response.bytes().await;
        outcome(status)
    }
}

/// What an answer's status means for the delivery.
fn outcome(status: StatusCode) -> Result<(), SendError> {
    let code = status.as_u16();
    if status.is_success() {
        Ok(())
    } else if matches!(code, 408 | 425 | 429) || status.is_server_error() {
        Err(SendError::Retryable(format!("http status {code}")))
    } else {
        Err(SendError::Refused(format!("http status {code}")))
    }
}

/// What a request that got no answer means for the delivery. Never the
/// error's own text: it names the URL.
fn request_failure(error: reqwest::Error) -> SendError {
    if error.is_timeout() {
        SendError::Retryable("http timeout".to_owned())
    } else if error.is_connect() {
        SendError::Retryable("http connection failed".to_owned())
    } else if error.is_builder() {
        SendError::Refused("http request cannot be built".to_owned())
    } else {
        SendError::Retryable("http request failed".to_owned())
    }
}

/// An `http`/`https` URL with a host, or `None`.
pub(crate) fn http_url(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
}

/// The signed POST and endpoint of a configured HTTP channel.
fn configured(
    client: Client,
    settings: &HttpSettings,
    channel: &'static str,
) -> Result<(SignedPost, Url), ChannelConfigError> {
    let endpoint = http_url(&settings.endpoint).ok_or(ChannelConfigError::Endpoint { channel })?;
    if settings.secret.is_empty() {
        return Err(ChannelConfigError::MissingSecret { channel });
    }
    let post = SignedPost {
        client,
        secret: settings.secret.clone(),
        timeout: Duration::from_millis(settings.timeout_ms),
    };
    Ok((post, endpoint))
}

/// The refusal for an envelope addressed for another channel.
fn wrong_address(channel: Channel) -> SendError {
    SendError::Refused(format!(
        "the address is not for the {} channel",
        channel.code()
    ))
}

/// Text messages through the SMS provider's HTTP API. A 2xx means the
/// provider took the message ([`Accepted::Sent`]), not that the phone got it.
#[derive(Debug)]
pub struct SmsTransport {
    /// Signs and sends.
    post: SignedPost,
    /// The provider's endpoint.
    endpoint: Url,
}

/// What the SMS provider receives.
#[derive(Serialize)]
struct SmsPayload<'a> {
    message_id: Uuid,
    to: &'a str,
    body: &'a str,
    locale: &'a str,
    critical: bool,
}

impl SmsTransport {
    /// A transport to `settings.endpoint`, on the shared client.
    pub fn new(client: Client, settings: &HttpSettings) -> Result<Self, ChannelConfigError> {
        let (post, endpoint) = configured(client, settings, "sms")?;
        Ok(Self { post, endpoint })
    }
}

impl Transport for SmsTransport {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn send<'a>(&'a self, envelope: &'a Envelope) -> BoxFuture<'a, Result<Accepted, SendError>> {
        async move {
            let Address::Phone(to) = &envelope.address else {
                return Err(wrong_address(self.channel()));
            };
            let payload = SmsPayload {
                message_id: envelope.message_id,
                to,
                body: &envelope.body,
                locale: &envelope.locale,
                critical: envelope.critical,
            };
            self.post
                .post(self.endpoint.clone(), envelope.message_id, &payload)
                .await
                .map(|()| Accepted::Sent)
        }
        .boxed()
    }
}

/// Pushes through the company's gateway, which answers once it has handed
/// the message to the customer's devices: a 2xx is [`Accepted::Delivered`].
#[derive(Debug)]
pub struct WebhookTransport {
    /// Signs and sends.
    post: SignedPost,
    /// The gateway's endpoint.
    endpoint: Url,
}

/// What the push gateway receives.
#[derive(Serialize)]
struct GatewayPayload<'a> {
    message_id: Uuid,
    recipient: &'a str,
    kind: &'a str,
    locale: &'a str,
    subject: &'a str,
    body: &'a str,
    critical: bool,
}

impl WebhookTransport {
    /// A transport to `settings.endpoint`, on the shared client.
    pub fn new(client: Client, settings: &HttpSettings) -> Result<Self, ChannelConfigError> {
        let (post, endpoint) = configured(client, settings, "webhook")?;
        Ok(Self { post, endpoint })
    }
}

impl Transport for WebhookTransport {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    fn send<'a>(&'a self, envelope: &'a Envelope) -> BoxFuture<'a, Result<Accepted, SendError>> {
        async move {
            let Address::Gateway = envelope.address else {
                return Err(wrong_address(self.channel()));
            };
            let payload = GatewayPayload {
                message_id: envelope.message_id,
                recipient: &envelope.recipient,
                kind: &envelope.kind,
                locale: &envelope.locale,
                subject: &envelope.subject,
                body: &envelope.body,
                critical: envelope.critical,
            };
            self.post
                .post(self.endpoint.clone(), envelope.message_id, &payload)
                .await
                .map(|()| Accepted::Delivered)
        }
        .boxed()
    }
}

/// Staff chat rooms through their incoming webhooks, in the Slack shape
/// (`{"text": ...}`, which Mattermost and others accept too). The room's URL
/// comes with each message; a 2xx means the room has it.
#[derive(Debug)]
pub struct ChatTransport {
    /// Signs and sends.
    post: SignedPost,
}

/// What a chat room's webhook receives.
#[derive(Serialize)]
struct ChatPayload {
    text: String,
    message_id: Uuid,
}

impl ChatTransport {
    /// A transport on the shared client.
    pub fn new(client: Client, settings: &ChatSettings) -> Self {
        Self {
            post: SignedPost {
                client,
                secret: settings.secret.clone(),
                timeout: Duration::from_millis(settings.timeout_ms),
            },
        }
    }
}

/// The chat text: the subject in bold on its own line, then the body.
fn chat_text(subject: &str, body: &str) -> String {
    if subject.is_empty() {
        body.to_owned()
    } else {
        format!("*{subject}*\n{body}")
    }
}

impl Transport for ChatTransport {
    fn channel(&self) -> Channel {
        Channel::Chat
    }

    fn send<'a>(&'a self, envelope: &'a Envelope) -> BoxFuture<'a, Result<Accepted, SendError>> {
        async move {
            let Address::ChatWebhook(url) = &envelope.address else {
                return Err(wrong_address(self.channel()));
            };
            let Some(url) = http_url(url) else {
                return Err(SendError::Refused(
                    "the chat webhook is not an http(s) URL".to_owned(),
                ));
            };
            let payload = ChatPayload {
                text: chat_text(&envelope.subject, &envelope.body),
                message_id: envelope.message_id,
            };
            self.post
                .post(url, envelope.message_id, &payload)
                .await
                .map(|()| Accepted::Delivered)
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"gateway-secret";
    const NOW: i64 = 1_767_225_600;

    #[test]
    fn a_signature_verifies_with_the_same_secret_time_and_body() {
        let signature = sign(SECRET, NOW, b"{\"a\":1}");
        assert!(signature.starts_with("v1="));
        assert!(verify(
            SECRET,
            &NOW.to_string(),
            &signature,
            b"{\"a\":1}",
            NOW,
            300
        ));
    }

    #[test]
    fn a_signature_is_the_hmac_of_timestamp_dot_body() {
        let mut mac = HmacSha256::new_from_slice(SECRET).expect("any key length");
        mac.update(format!("{NOW}.body").as_bytes());
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(sign(SECRET, NOW, b"body"), format!("v1={expected}"));
    }

    #[test]
    fn a_tampered_body_does_not_verify() {
        let signature = sign(SECRET, NOW, b"{\"amount\":1}");
        assert!(!verify(
            SECRET,
            &NOW.to_string(),
            &signature,
            b"{\"amount\":9}",
            NOW,
            300
        ));
    }

    #[test]
    fn another_secret_does_not_verify() {
        let signature = sign(b"someone-else", NOW, b"body");
        assert!(!verify(
            SECRET,
            &NOW.to_string(),
            &signature,
            b"body",
            NOW,
            300
        ));
    }

    #[test]
    fn a_changed_timestamp_does_not_verify() {
        let signature = sign(SECRET, NOW, b"body");
        let later = (NOW + 1).to_string();
        assert!(!verify(SECRET, &later, &signature, b"body", NOW, 300));
    }

    #[test]
    fn a_signature_outside_the_tolerance_does_not_verify_either_way() {
        let signature = sign(SECRET, NOW, b"body");
        let at = NOW.to_string();
        assert!(verify(SECRET, &at, &signature, b"body", NOW + 300, 300));
        assert!(!verify(SECRET, &at, &signature, b"body", NOW + 301, 300));
        assert!(!verify(SECRET, &at, &signature, b"body", NOW - 301, 300));
    }

    #[test]
    fn a_malformed_header_does_not_verify() {
        let signature = sign(SECRET, NOW, b"body");
        let at = NOW.to_string();
        let bare = signature.trim_start_matches("v1=");
        assert!(!verify(SECRET, &at, bare, b"body", NOW, 300));
        assert!(!verify(SECRET, &at, "v1=zz", b"body", NOW, 300));
        assert!(!verify(SECRET, &at, "", b"body", NOW, 300));
        assert!(!verify(SECRET, "yesterday", &signature, b"body", NOW, 300));
    }

    #[test]
    fn statuses_map_to_retry_or_refusal() {
        let retryable = [408, 425, 429, 500, 502, 503, 504];
        let refused = [301, 400, 401, 403, 404, 410, 413, 422];
        assert!(outcome(StatusCode::OK).is_ok());
        assert!(outcome(StatusCode::NO_CONTENT).is_ok());
        for code in retryable {
            let status = StatusCode::from_u16(code).expect("a status");
            assert!(
                matches!(outcome(status), Err(SendError::Retryable(_))),
                "{code}"
            );
        }
        for code in refused {
            let status = StatusCode::from_u16(code).expect("a status");
            assert!(
                matches!(outcome(status), Err(SendError::Refused(_))),
                "{code}"
            );
        }
    }

    #[test]
    fn a_chat_text_puts_the_subject_in_bold_above_the_body() {
        assert_eq!(
            chat_text("Outage", "Lines are down"),
            "*Outage*\nLines are down"
        );
        assert_eq!(chat_text("", "Lines are down"), "Lines are down");
    }

    #[test]
    fn only_http_and_https_urls_are_endpoints() {
        assert!(http_url("https://gateway.example.invalid/push").is_some());
        assert!(http_url("http://127.0.0.1:8080/").is_some());
        assert!(http_url("ftp://example.invalid/").is_none());
        assert!(http_url("not a url").is_none());
    }
}
