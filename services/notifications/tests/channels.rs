//! The channels against real servers: e-mail to aiosmtpd, and the signed
//! HTTP channels to the reference receiver. No mocks: what a test sees is
//! what arrived over a socket.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use redress_notifications::channels::email::EmailTransport;
use redress_notifications::channels::http::{
    self, ChatTransport, SmsTransport, WebhookTransport, shared_client,
};
use redress_notifications::channels::receiver::Receiver;
use redress_notifications::channels::{
    Accepted, Address, ChannelSettings, ChatSettings, EmailSettings, Envelope, HttpSettings,
    SendError, Transport, transports,
};
use redress_notifications::domain::channel::Channel;
use redress_platform::Secret;
use redress_platform::testing::python::SmtpServer;
use serde_json::{Value, json};
use uuid::Uuid;

const SECRET: &str = "test-signing-secret";

fn envelope(address: Address) -> Envelope {
    Envelope {
        message_id: Uuid::now_v7(),
        recipient: "customers/0190a1b2-0000-7000-8000-000000000001".to_owned(),
        address,
        kind: "complaint.resolved".to_owned(),
        locale: "en-GB".to_owned(),
        subject: "Your complaint C-2026-000123 is resolved".to_owned(),
        body: "We have refunded the charge. Reply if anything is still wrong.".to_owned(),
        critical: false,
    }
}

fn email_transport(url: String) -> EmailTransport {
    EmailTransport::new(&EmailSettings {
        url: Secret::new(url),
        from: "Redress <no-reply@redress.invalid>".to_owned(),
        timeout_ms: 5_000,
        pool_size: 2,
    })
    .expect("an email transport")
}

fn http_settings(endpoint: String, timeout_ms: u64) -> HttpSettings {
    HttpSettings {
        endpoint,
        secret: Secret::new(SECRET),
        timeout_ms,
    }
}

fn webhook_to(receiver: &Receiver, timeout_ms: u64) -> WebhookTransport {
    let client = shared_client().expect("a client");
    WebhookTransport::new(client, &http_settings(receiver.url(), timeout_ms))
        .expect("a webhook transport")
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// The one body the receiver kept.
fn only_body(receiver: &Receiver) -> Value {
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    bodies.into_iter().next().expect("one body")
}

// ---- e-mail -------------------------------------------------------------

#[tokio::test]
async fn an_email_reaches_the_smtp_server_with_its_subject_body_and_idempotency_headers() {
    let smtp = SmtpServer::start();
    let transport = email_transport(smtp.url());
    let message = envelope(Address::Email("ada@example.invalid".to_owned()));

    let accepted = transport.send(&message).await;

    assert_eq!(accepted, Ok(Accepted::Sent));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let stored = &messages[0];
    assert_eq!(stored["mail_from"], "no-reply@redress.invalid");
    assert_eq!(stored["rcpt_tos"], json!(["ada@example.invalid"]));
    assert_eq!(stored["subject"], message.subject.as_str());
    assert_eq!(
        stored["text"].as_str().map(str::trim_end),
        Some(message.body.as_str())
    );
    let id = message.message_id.to_string();
    let headers = &stored["headers"];
    assert_eq!(headers["Message-ID"], format!("<{id}@redress>"));
    assert_eq!(headers["X-Redress-Message-Id"], id.as_str());
    assert_eq!(headers["Content-Language"], "en-GB");
    let data = stored["data"].as_str().expect("raw data");
    assert!(
        data.contains(&format!("Message-ID: <{id}@redress>")),
        "{data}"
    );
    assert!(
        data.contains(&format!("X-Redress-Message-Id: {id}")),
        "{data}"
    );
}

#[tokio::test]
async fn an_email_without_a_locale_has_no_content_language() {
    let smtp = SmtpServer::start();
    let transport = email_transport(smtp.url());
    let mut message = envelope(Address::Email("ada@example.invalid".to_owned()));
    message.locale = String::new();

    assert_eq!(transport.send(&message).await, Ok(Accepted::Sent));

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0]["headers"].get("Content-Language").is_none());
}

#[tokio::test]
async fn a_recipient_the_server_rejects_permanently_is_refused_without_naming_it() {
    let smtp = SmtpServer::start();
    let transport = email_transport(smtp.url());
    let message = envelope(Address::Email("bounce@example.invalid".to_owned()));

    let result = transport.send(&message).await;

    let Err(SendError::Refused(reason)) = result else {
        panic!("expected a refusal, got {result:?}");
    };
    assert!(reason.contains("550"), "{reason}");
    assert!(!reason.contains("bounce"), "{reason}");
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn a_recipient_the_server_defers_is_retryable() {
    let smtp = SmtpServer::start();
    let transport = email_transport(smtp.url());
    let message = envelope(Address::Email("busy@example.invalid".to_owned()));

    let result = transport.send(&message).await;

    let Err(SendError::Retryable(reason)) = result else {
        panic!("expected a retryable error, got {result:?}");
    };
    assert!(reason.contains("451"), "{reason}");
    assert!(!reason.contains("busy"), "{reason}");
}

#[tokio::test]
async fn the_transport_goes_on_after_a_rejected_recipient() {
    let smtp = SmtpServer::start();
    let transport = email_transport(smtp.url());

    let bounced = transport
        .send(&envelope(Address::Email(
            "bounce@example.invalid".to_owned(),
        )))
        .await;
    let delivered = transport
        .send(&envelope(Address::Email("ada@example.invalid".to_owned())))
        .await;

    assert!(matches!(bounced, Err(SendError::Refused(_))));
    assert_eq!(delivered, Ok(Accepted::Sent));
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn an_smtp_server_that_is_not_listening_is_retryable() {
    let transport = email_transport(format!("smtp://127.0.0.1:{}", closed_port()));

    let result = transport
        .send(&envelope(Address::Email("ada@example.invalid".to_owned())))
        .await;

    assert!(matches!(result, Err(SendError::Retryable(_))), "{result:?}");
}

#[tokio::test]
async fn the_email_transport_refuses_an_address_that_is_not_an_email() {
    let transport = email_transport(format!("smtp://127.0.0.1:{}", closed_port()));

    let result = transport
        .send(&envelope(Address::Phone("+447700900123".to_owned())))
        .await;

    assert!(matches!(result, Err(SendError::Refused(_))), "{result:?}");
}

#[tokio::test]
async fn an_unparseable_email_address_is_refused_without_naming_it() {
    let transport = email_transport(format!("smtp://127.0.0.1:{}", closed_port()));

    let result = transport
        .send(&envelope(Address::Email("not an address".to_owned())))
        .await;

    let Err(SendError::Refused(reason)) = result else {
        panic!("expected a refusal, got {result:?}");
    };
    assert!(!reason.contains("not an address"), "{reason}");
}

// ---- signed HTTP ----------------------------------------------------------

#[tokio::test]
async fn a_push_reaches_the_gateway_signed_and_keyed_by_the_message_id() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let transport = webhook_to(&receiver, 5_000);
    let message = envelope(Address::Gateway);

    let accepted = transport.send(&message).await;

    assert_eq!(accepted, Ok(Accepted::Delivered));
    let id = message.message_id.to_string();
    assert_eq!(receiver.count_of(&id), 1);
    assert_eq!(
        only_body(&receiver),
        json!({
            "message_id": id,
            "recipient": message.recipient,
            "kind": "complaint.resolved",
            "locale": "en-GB",
            "subject": message.subject,
            "body": message.body,
            "critical": false,
        })
    );
}

#[tokio::test]
async fn an_sms_reaches_the_provider_signed_with_the_number_and_text() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let client = shared_client().expect("a client");
    let transport =
        SmsTransport::new(client, &http_settings(receiver.url(), 5_000)).expect("an sms transport");
    let mut message = envelope(Address::Phone("+447700900123".to_owned()));
    message.critical = true;

    let accepted = transport.send(&message).await;

    assert_eq!(accepted, Ok(Accepted::Sent));
    let id = message.message_id.to_string();
    assert_eq!(receiver.count_of(&id), 1);
    assert_eq!(
        only_body(&receiver),
        json!({
            "message_id": id,
            "to": "+447700900123",
            "body": message.body,
            "locale": "en-GB",
            "critical": true,
        })
    );
}

#[tokio::test]
async fn a_chat_message_reaches_its_room_in_the_slack_shape() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let client = shared_client().expect("a client");
    let transport = ChatTransport::new(
        client,
        &ChatSettings {
            secret: Secret::new(SECRET),
            timeout_ms: 5_000,
        },
    );
    let room = format!("{}hooks/crisis-room", receiver.url());
    let message = envelope(Address::ChatWebhook(room));

    let accepted = transport.send(&message).await;

    assert_eq!(accepted, Ok(Accepted::Delivered));
    assert_eq!(
        only_body(&receiver),
        json!({
            "text": format!("*{}*\n{}", message.subject, message.body),
            "message_id": message.message_id.to_string(),
        })
    );
}

#[tokio::test]
async fn a_signed_post_carries_headers_that_verify_and_a_tampered_body_does_not() {
    // A bare server standing in for a receiver that checks for itself.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let (seen, mut saw) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: bytes::Bytes| async move {
                let value = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned)
                };
                let _ = seen.send((
                    value("Idempotency-Key"),
                    value("X-Redress-Timestamp"),
                    value("X-Redress-Signature"),
                    value("Content-Type"),
                    body,
                ));
                axum::http::StatusCode::NO_CONTENT
            },
        ),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = shared_client().expect("a client");
    let transport = WebhookTransport::new(
        client,
        &http_settings(format!("http://127.0.0.1:{port}/"), 5_000),
    )
    .expect("a transport");
    let message = envelope(Address::Gateway);

    let accepted = transport.send(&message).await;

    assert_eq!(accepted, Ok(Accepted::Delivered));
    let (key, timestamp, signature, content_type, body) = saw.recv().await.expect("a request");
    let (timestamp, signature) = (
        timestamp.expect("a timestamp"),
        signature.expect("a signature"),
    );
    assert_eq!(key, Some(message.message_id.to_string()));
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let now = http::unix_now();
    let secret = SECRET.as_bytes();
    assert!(http::verify(
        secret, &timestamp, &signature, &body, now, 300
    ));
    let tampered = String::from_utf8_lossy(&body).replace("resolved", "reopened");
    assert!(!http::verify(
        secret,
        &timestamp,
        &signature,
        tampered.as_bytes(),
        now,
        300
    ));
    assert!(!http::verify(
        b"another-secret",
        &timestamp,
        &signature,
        &body,
        now,
        300
    ));
    server.abort();
}

#[tokio::test]
async fn the_receiver_turns_away_a_post_signed_with_another_secret() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let client = shared_client().expect("a client");
    let transport = WebhookTransport::new(
        client,
        &HttpSettings {
            endpoint: receiver.url(),
            secret: Secret::new("not-the-gateway-secret"),
            timeout_ms: 5_000,
        },
    )
    .expect("a transport");

    let result = transport.send(&envelope(Address::Gateway)).await;

    assert_eq!(
        result,
        Err(SendError::Refused("http status 401".to_owned()))
    );
    assert_eq!(receiver.total(), 0);
}

#[tokio::test]
async fn the_receiver_turns_away_a_tampered_body() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let client = shared_client().expect("a client");
    let body = br#"{"message_id":"m-1","body":"refund 10"}"#;
    let timestamp = http::unix_now();
    let signature = http::sign(SECRET.as_bytes(), timestamp, body);
    let post = |body: &'static [u8]| {
        client
            .post(receiver.url())
            .header("Idempotency-Key", "m-1")
            .header("X-Redress-Timestamp", timestamp.to_string())
            .header("X-Redress-Signature", signature.clone())
            .body(body)
            .send()
    };

    let tampered = post(br#"{"message_id":"m-1","body":"refund 99"}"#)
        .await
        .expect("an answer");
    let genuine = post(body).await.expect("an answer");

    assert_eq!(tampered.status(), 401);
    assert_eq!(genuine.status(), 200);
    assert_eq!(receiver.count_of("m-1"), 1);
    assert_eq!(receiver.total(), 1);
}

#[tokio::test]
async fn a_repeated_message_counts_once_as_distinct_and_once_as_a_duplicate() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let transport = webhook_to(&receiver, 5_000);
    let first = envelope(Address::Gateway);
    let second = envelope(Address::Gateway);

    for message in [&first, &first, &second] {
        assert_eq!(transport.send(message).await, Ok(Accepted::Delivered));
    }

    assert_eq!(receiver.distinct(), 2);
    assert_eq!(receiver.total(), 3);
    assert_eq!(receiver.count_of(&first.message_id.to_string()), 2);
    assert_eq!(receiver.count_of(&second.message_id.to_string()), 1);
}

#[tokio::test]
async fn a_gateway_answering_500_is_retryable_and_the_retry_is_delivered() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let transport = webhook_to(&receiver, 5_000);
    let message = envelope(Address::Gateway);
    receiver.fail_next(1, 500);

    let first = transport.send(&message).await;
    let retry = transport.send(&message).await;

    assert_eq!(
        first,
        Err(SendError::Retryable("http status 500".to_owned()))
    );
    assert_eq!(retry, Ok(Accepted::Delivered));
    assert_eq!(receiver.count_of(&message.message_id.to_string()), 1);
}

#[tokio::test]
async fn a_gateway_answering_429_or_408_is_retryable() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let transport = webhook_to(&receiver, 5_000);
    receiver.fail_next(1, 429);
    receiver.fail_next(1, 408);

    let throttled = transport.send(&envelope(Address::Gateway)).await;
    let timed_out = transport.send(&envelope(Address::Gateway)).await;

    assert_eq!(
        throttled,
        Err(SendError::Retryable("http status 429".to_owned()))
    );
    assert_eq!(
        timed_out,
        Err(SendError::Retryable("http status 408".to_owned()))
    );
}

#[tokio::test]
async fn a_gateway_answering_400_is_refused() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let transport = webhook_to(&receiver, 5_000);
    receiver.fail_next(1, 400);

    let result = transport.send(&envelope(Address::Gateway)).await;

    assert_eq!(
        result,
        Err(SendError::Refused("http status 400".to_owned()))
    );
    assert_eq!(receiver.total(), 0);
}

#[tokio::test]
async fn a_gateway_slower_than_the_timeout_is_retryable() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let transport = webhook_to(&receiver, 200);
    receiver.stall_next(1, Duration::from_secs(1));

    let result = transport.send(&envelope(Address::Gateway)).await;

    assert_eq!(result, Err(SendError::Retryable("http timeout".to_owned())));
}

#[tokio::test]
async fn a_gateway_that_is_not_listening_is_retryable() {
    let client = shared_client().expect("a client");
    let transport = WebhookTransport::new(
        client,
        &http_settings(format!("http://127.0.0.1:{}/", closed_port()), 2_000),
    )
    .expect("a transport");

    let result = transport.send(&envelope(Address::Gateway)).await;

    assert_eq!(
        result,
        Err(SendError::Retryable("http connection failed".to_owned()))
    );
}

#[tokio::test]
async fn an_http_error_never_repeats_the_chat_room_url() {
    let client = shared_client().expect("a client");
    let transport = ChatTransport::new(client, &ChatSettings::default());
    let room = format!(
        "http://127.0.0.1:{}/services/T000/B000/secret-token",
        closed_port()
    );

    let result = transport.send(&envelope(Address::ChatWebhook(room))).await;

    let Err(SendError::Retryable(reason)) = result else {
        panic!("expected a retryable error, got {result:?}");
    };
    assert!(!reason.contains("secret-token"), "{reason}");
}

#[tokio::test]
async fn each_http_transport_refuses_an_address_of_another_channel() {
    let receiver = Receiver::start(Secret::new(SECRET))
        .await
        .expect("a receiver");
    let client = shared_client().expect("a client");
    let settings = http_settings(receiver.url(), 5_000);
    let sms = SmsTransport::new(client.clone(), &settings).expect("sms");
    let webhook = WebhookTransport::new(client.clone(), &settings).expect("webhook");
    let chat = ChatTransport::new(client, &ChatSettings::default());
    let email = envelope(Address::Email("ada@example.invalid".to_owned()));

    for transport in [&sms as &dyn Transport, &webhook, &chat] {
        let result = transport.send(&email).await;
        assert!(matches!(result, Err(SendError::Refused(_))), "{result:?}");
    }
    let not_a_url = envelope(Address::ChatWebhook("#crisis-room".to_owned()));
    assert!(matches!(
        chat.send(&not_a_url).await,
        Err(SendError::Refused(_))
    ));
    assert_eq!(receiver.total(), 0);
}

// ---- settings --------------------------------------------------------------

#[test]
fn only_configured_channels_get_a_transport_and_chat_always_does() {
    let settings: ChannelSettings = serde_json::from_value(json!({
        "webhook": { "endpoint": "https://push.example.invalid/v1/messages", "secret": "s" }
    }))
    .expect("settings");

    let built = transports(&settings).expect("transports");

    let channels: Vec<Channel> = built.iter().map(|transport| transport.channel()).collect();
    assert_eq!(channels, [Channel::Webhook, Channel::Chat]);
}

#[test]
fn every_channel_configured_gives_four_transports() {
    let settings: ChannelSettings = serde_json::from_value(json!({
        "email": { "url": "smtp://127.0.0.1:2525", "from": "Redress <no-reply@redress.invalid>" },
        "sms": { "endpoint": "https://sms.example.invalid/send", "secret": "s1", "timeout_ms": 3000 },
        "webhook": { "endpoint": "https://push.example.invalid/v1/messages", "secret": "s2" },
        "chat": { "secret": "s3" }
    }))
    .expect("settings");

    let built: Vec<Arc<dyn Transport>> = transports(&settings).expect("transports");

    let channels: Vec<Channel> = built.iter().map(|transport| transport.channel()).collect();
    assert_eq!(
        channels,
        [
            Channel::Email,
            Channel::Sms,
            Channel::Webhook,
            Channel::Chat
        ]
    );
}

#[test]
fn an_endpoint_without_a_secret_is_a_configuration_error() {
    let settings: ChannelSettings = serde_json::from_value(json!({
        "sms": { "endpoint": "https://sms.example.invalid/send" }
    }))
    .expect("settings");

    let error = transports(&settings).expect_err("no secret");

    assert_eq!(
        error.to_string(),
        "sms.secret is empty but sms.endpoint is set"
    );
}

#[test]
fn settings_never_print_their_secrets() {
    let settings: ChannelSettings = serde_json::from_value(json!({
        "email": { "url": "smtps://user:hunter2@relay.example.invalid" },
        "webhook": { "endpoint": "https://push.example.invalid/", "secret": "gateway-key" }
    }))
    .expect("settings");

    let printed = format!("{settings:?}");

    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(!printed.contains("gateway-key"), "{printed}");
}
