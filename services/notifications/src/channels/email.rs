//! E-mail over SMTP, through lettre's pooled async transport. A message goes
//! out as plain text with the envelope's subject, and carries its message id
//! twice: as the `Message-ID` (`<{id}@redress>`, which mail systems already
//! deduplicate on) and as `X-Redress-Message-Id`, the idempotency key every
//! channel carries.
//!
//! The relay's reply decides what the delivery worker does next: 250 is
//! [`Accepted::Sent`] (the relay took it; nothing says the mailbox did), a
//! permanent 5xx reply is refused for good, a transient 4xx reply, a timeout
//! or a failed connection is worth retrying. Error texts carry the reply code
//! or the kind of failure, never the relay's words (which often quote the
//! address), the address or the text.

use std::sync::OnceLock;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::runtime::Handle;

use super::{Accepted, Address, ChannelConfigError, EmailSettings, Envelope, SendError, Transport};
use crate::domain::channel::Channel;

/// The header carrying the idempotency key.
pub const MESSAGE_ID_HEADER: &str = "X-Redress-Message-Id";

/// E-mail through one SMTP relay.
#[derive(Debug)]
pub struct EmailTransport {
    /// The relay's settings, checked (lettre's Debug hides credentials).
    relay: AsyncSmtpTransportBuilder,
    /// The connection pool, made on the first send: lettre's pool spawns a
    /// task when made, so it is made where a Tokio runtime is sure to run.
    pool: OnceLock<Pool>,
    /// The sender of every message.
    from: Mailbox,
    /// The bound on one send, as a whole.
    timeout: Duration,
}

/// lettre's pooled transport, with the runtime it was made on.
#[derive(Debug)]
struct Pool {
    /// `Some` until dropped.
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
    /// Where the pool's tasks run.
    runtime: Handle,
}

impl Drop for Pool {
    fn drop(&mut self) {
        // lettre's pool spawns its shut-down when dropped, which panics
        // outside a runtime: drop it inside the one it was made on (spawning
        // on a runtime that has shut down is a no-op, not a panic).
        let mailer = self.mailer.take();
        let _entered = self.runtime.enter();
        drop(mailer);
    }
}

impl EmailTransport {
    /// A transport to the relay at `settings.url`. Checks the settings only:
    /// it connects on the first send, so a relay that is down shows there,
    /// as a retryable error.
    pub fn new(settings: &EmailSettings) -> Result<Self, ChannelConfigError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| ChannelConfigError::EmailFrom)?;
        let timeout = Duration::from_millis(settings.timeout_ms);
        let relay = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.url.expose())
            .map_err(|_| ChannelConfigError::EmailUrl)?
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(settings.pool_size.max(1)));
        Ok(Self {
            relay,
            pool: OnceLock::new(),
            from,
            timeout,
        })
    }

    /// The pooled transport, made on the first call, inside the runtime
    /// that runs the send.
    fn mailer(&self) -> Result<&AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let shut_down = || SendError::Retryable("smtp transport shut down".to_owned());
        if let Some(pool) = self.pool.get() {
            return pool.mailer.as_ref().ok_or_else(shut_down);
        }
        let runtime = Handle::try_current()
            .map_err(|_| SendError::Retryable("smtp needs a Tokio runtime".to_owned()))?;
        self.pool
            .get_or_init(|| Pool {
                mailer: Some(self.relay.clone().build()),
                runtime,
            })
            .mailer
            .as_ref()
            .ok_or_else(shut_down)
    }

    /// The message for `envelope`, to `to`.
    fn message(&self, envelope: &Envelope, to: &str) -> Result<Message, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| SendError::Refused("not a usable e-mail address".to_owned()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(envelope.subject.as_str())
            .message_id(Some(format!("<{}@redress>", envelope.message_id)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(MESSAGE_ID_HEADER),
                envelope.message_id.to_string(),
            ))
            .date_now();
        if !envelope.locale.is_empty() {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                envelope.locale.clone(),
            ));
        }
        builder
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(envelope.body.clone()),
            )
            .map_err(|_| SendError::Refused("the message cannot be built".to_owned()))
    }
}

impl Transport for EmailTransport {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn send<'a>(&'a self, envelope: &'a Envelope) -> BoxFuture<'a, Result<Accepted, SendError>> {
        async move {
            let Address::Email(to) = &envelope.address else {
                return Err(SendError::Refused(
                    "the address is not for the email channel".to_owned(),
                ));
            };
            let message = self.message(envelope, to)?;
            let mailer = self.mailer()?;
            match tokio::time::timeout(self.timeout, mailer.send(message)).await {
                Ok(Ok(_)) => Ok(Accepted::Sent),
                Ok(Err(error)) => Err(smtp_failure(&error)),
                Err(_) => Err(SendError::Retryable("smtp timeout".to_owned())),
            }
        }
        .boxed()
    }
}

/// What a failed send means for the delivery.
fn smtp_failure(error: &lettre::transport::smtp::Error) -> SendError {
    let code = error
        .status()
        .map_or_else(String::new, |code| code.to_string());
    if error.is_permanent() {
        SendError::Refused(format!("smtp permanent reply {code}"))
    } else if error.is_transient() {
        SendError::Retryable(format!("smtp transient reply {code}"))
    } else if error.is_timeout() {
        SendError::Retryable("smtp timeout".to_owned())
    } else if error.is_tls() {
        SendError::Retryable("smtp tls failure".to_owned())
    } else if let Some(io) = io_cause(error) {
        SendError::Retryable(format!("smtp connection failed: {}", io.kind()))
    } else {
        SendError::Retryable("smtp failure".to_owned())
    }
}

/// The I/O error under a lettre error, if any.
fn io_cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cause = error.source();
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cause = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use redress_platform::Secret;

    use super::*;

    fn settings(url: &str, from: &str) -> EmailSettings {
        EmailSettings {
            url: Secret::new(url),
            from: from.to_owned(),
            ..EmailSettings::default()
        }
    }

    #[test]
    fn every_supported_url_shape_builds_a_transport() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://relay.example.invalid:587?tls=required",
            "smtps://user:pass@relay.example.invalid:465",
        ] {
            assert!(
                EmailTransport::new(&settings(url, "Redress <no-reply@redress.invalid>")).is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn a_bad_url_is_a_configuration_error_that_does_not_repeat_it() {
        let error = EmailTransport::new(&settings(
            "imap://user:hunter2@relay.example.invalid",
            "no-reply@redress.invalid",
        ))
        .expect_err("imap is not smtp");
        assert!(matches!(error, ChannelConfigError::EmailUrl));
        assert!(!error.to_string().contains("hunter2"));
    }

    #[test]
    fn a_bad_sender_is_a_configuration_error() {
        let error = EmailTransport::new(&settings("smtp://127.0.0.1:2525", "nobody"))
            .expect_err("not a mailbox");
        assert!(matches!(error, ChannelConfigError::EmailFrom));
    }
}
