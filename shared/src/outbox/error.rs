//! What can go wrong in the outbox and feed, and how each failure reaches a
//! caller: one enum for the whole module (its operations share their failure
//! modes), and one conversion into [`ApiError`]. Messages never quote SQL,
//! stored values or personal data.

use crate::error::ApiError;

/// An outbox, sequencer or feed failure.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The database said no or could not be reached.
    #[error("outbox database operation failed")]
    Database(#[from] sqlx::Error),

    /// The service tried to append an event that breaks the outbox's rules
    /// (a bug in the service, not bad input from a caller).
    #[error("event not appended: {reason}")]
    InvalidEvent {
        /// Which rule, without the offending value.
        reason: String,
    },

    /// A feed request argument is out of range.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The request field, such as `after_position`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The reader asked for events after a position older than what the
    /// feed still keeps: events may have been pruned, and reading on would
    /// skip them silently.
    #[error(
        "feed position {after_position} is older than the retained feed (pruned through {pruned_through})"
    )]
    CursorExpired {
        /// The position asked for.
        after_position: i64,
        /// The greatest position that may have been pruned.
        pruned_through: i64,
    },

    /// A stored event this version cannot read.
    #[error("stored outbox event is not readable: {0}")]
    Corrupt(String),

    /// The connection has no current schema, so the notification channels
    /// cannot be named (the pool was not opened with `db::connect`).
    #[error("the database connection has no current schema")]
    NoSchema,
}

impl From<OutboxError> for ApiError {
    fn from(error: OutboxError) -> Self {
        match error {
            OutboxError::Database(source) => ApiError::from(source),
            OutboxError::InvalidArgument { field, reason } => ApiError::invalid(field, reason),
            OutboxError::CursorExpired {
                after_position,
                pruned_through,
            } => ApiError::FailedPrecondition {
                reason: "FEED_CURSOR_EXPIRED",
                message: format!(
                    "events after position {after_position} are no longer kept (pruned through \
                     {pruned_through}); the consumer's cursor must be reset deliberately"
                ),
                allowed: Vec::new(),
            },
            OutboxError::InvalidEvent { .. } | OutboxError::Corrupt(_) | OutboxError::NoSchema => {
                tracing::error!(error = %error, "outbox failure");
                ApiError::Internal
            }
        }
    }
}

impl OutboxError {
    /// An [`OutboxError::InvalidEvent`].
    pub(super) fn invalid_event(reason: impl Into<String>) -> Self {
        Self::InvalidEvent {
            reason: reason.into(),
        }
    }
}
