//! The delivery state machine: what a message's state becomes after each
//! attempt. A retryable failure is tried again on the same channel after an
//! exponential backoff with full jitter, up to the attempts allowed per
//! channel; then, or at once after a refusal, the next channel of the plan
//! is tried; when none is left the message is dead-lettered: `failed` when
//! the last channel kept failing, `bounced` when it refused the address.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use redress_platform::wire::WireEnum;
use redress_proto::notifications::v1 as pb;

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for a worker.
    Queued,
    /// Held by quiet hours or the frequency cap.
    Held,
    /// A worker holds its lease.
    Sending,
    /// The provider took it.
    Sent,
    /// The destination confirmed it.
    Delivered,
    /// Dead-lettered after every channel failed.
    Failed,
    /// Dead-lettered after the last channel refused it.
    Bounced,
    /// Cancelled, or refused by the recipient's opt-outs.
    Cancelled,
}

impl State {
    /// Every state.
    pub const ALL: [State; 8] = [
        State::Queued,
        State::Held,
        State::Sending,
        State::Sent,
        State::Delivered,
        State::Failed,
        State::Bounced,
        State::Cancelled,
    ];

    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Held => "held",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Delivered => "delivered",
            State::Failed => "failed",
            State::Bounced => "bounced",
            State::Cancelled => "cancelled",
        }
    }

    /// The state of a stored code.
    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether nothing more will happen to the message.
    pub fn is_final(self) -> bool {
        !matches!(self, State::Queued | State::Held | State::Sending)
    }
}

impl WireEnum for State {
    type Wire = pb::MessageState;
    const PAIRS: &'static [(Self, pb::MessageState)] = &[
        (State::Queued, pb::MessageState::Queued),
        (State::Held, pb::MessageState::Held),
        (State::Sending, pb::MessageState::Sending),
        (State::Sent, pb::MessageState::Sent),
        (State::Delivered, pb::MessageState::Delivered),
        (State::Failed, pb::MessageState::Failed),
        (State::Bounced, pb::MessageState::Bounced),
        (State::Cancelled, pb::MessageState::Cancelled),
    ];
}

/// How often and how patiently a channel is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per channel before moving on.
    pub attempts_per_channel: u32,
    /// The pause before the second attempt; doubles each time.
    pub initial_backoff: SignedDuration,
    /// The longest pause.
    pub max_backoff: SignedDuration,
}

impl RetryPolicy {
    /// The pause before attempt `made + 1`, after `made` attempts: a random
    /// time between half and all of `initial × 2^(made-1)`, capped.
    pub fn backoff(&self, made: u32, rng: &mut impl Rng) -> SignedDuration {
        let exponent = made.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .checked_mul(1_i32 << exponent)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        let millis = base.as_millis().max(1);
        let low = millis / 2;
        let chosen = rng.random_range(low..=millis);
        SignedDuration::from_millis(i64::try_from(chosen).unwrap_or(i64::MAX))
    }
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The provider took it.
    Sent,
    /// The destination confirmed it.
    Delivered,
    /// Worth another try.
    Retryable(String),
    /// Refused for good, or the channel cannot be used for this recipient.
    Refused(String),
}

impl Outcome {
    /// The code stored with the attempt.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Delivered => "delivered",
            Outcome::Retryable(_) => "retryable",
            Outcome::Refused(_) => "refused",
        }
    }
}

/// Where a message stands on its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The channel of the plan being tried.
    pub channel_index: usize,
    /// Attempts made on it, including the one just made.
    pub channel_attempts: u32,
    /// Channels in the plan.
    pub plan_len: usize,
}

/// What happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Done, in this state (sent or delivered).
    Done(State),
    /// Try the same channel again then.
    Retry(Timestamp),
    /// Try the plan's channel at this index now.
    Fallback(usize),
    /// Dead-lettered in this state (failed or bounced) for this reason.
    DeadLetter(State, String),
}

/// What follows an attempt with `outcome`.
pub fn after_attempt(
    policy: &RetryPolicy,
    progress: Progress,
    outcome: &Outcome,
    now: Timestamp,
    rng: &mut impl Rng,
) -> Next {
    let next_channel = || {
        let next = progress.channel_index + 1;
        (next < progress.plan_len).then_some(next)
    };
    match outcome {
        Outcome::Sent => Next::Done(State::Sent),
        Outcome::Delivered => Next::Done(State::Delivered),
        Outcome::Retryable(detail) => {
            if progress.channel_attempts < policy.attempts_per_channel {
                let pause = policy.backoff(progress.channel_attempts, rng);
                Next::Retry(now.checked_add(pause).unwrap_or(now))
            } else if let Some(next) = next_channel() {
                Next::Fallback(next)
            } else {
                Next::DeadLetter(State::Failed, format!("ATTEMPTS_EXHAUSTED: {detail}"))
            }
        }
        Outcome::Refused(detail) => match next_channel() {
            Some(next) => Next::Fallback(next),
            None => Next::DeadLetter(State::Bounced, format!("REFUSED: {detail}")),
        },
    }
}

/// The order workers take queued messages in, higher first: critical
/// messages before the rest, and within each, a broadcast's `first`
/// members (a crisis's heavily affected) before the others.
pub fn priority(critical: bool, first: bool) -> i16 {
    2 * i16::from(critical) + i16::from(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand::rngs::StdRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts_per_channel: 3,
            initial_backoff: SignedDuration::from_secs(10),
            max_backoff: SignedDuration::from_secs(60),
        }
    }

    fn at(progress: (usize, u32, usize)) -> Progress {
        Progress {
            channel_index: progress.0,
            channel_attempts: progress.1,
            plan_len: progress.2,
        }
    }

    #[test]
    fn backoff_doubles_within_full_jitter_and_is_capped() {
        let mut rng = StdRng::seed_from_u64(7);
        for (made, low, high) in [
            (1, 5_000, 10_000),
            (2, 10_000, 20_000),
            (3, 20_000, 40_000),
            (9, 30_000, 60_000),
        ] {
            for _ in 0..200 {
                let pause = policy().backoff(made, &mut rng).as_millis();
                assert!((low..=high).contains(&pause), "{made}: {pause}");
            }
        }
    }

    #[test]
    fn a_retryable_failure_is_retried_then_falls_back_then_is_dead_lettered() {
        let mut rng = StdRng::seed_from_u64(1);
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().expect("a time");
        let fail = Outcome::Retryable("503".into());
        assert!(
            matches!(after_attempt(&policy(), at((0, 1, 2)), &fail, now, &mut rng), Next::Retry(t) if t > now)
        );
        assert_eq!(
            after_attempt(&policy(), at((0, 3, 2)), &fail, now, &mut rng),
            Next::Fallback(1)
        );
        assert!(matches!(
            after_attempt(&policy(), at((1, 3, 2)), &fail, now, &mut rng),
            Next::DeadLetter(State::Failed, _)
        ));
    }

    #[test]
    fn a_refusal_falls_back_at_once_and_bounces_on_the_last_channel() {
        let mut rng = StdRng::seed_from_u64(1);
        let now = Timestamp::UNIX_EPOCH;
        let refused = Outcome::Refused("550".into());
        assert_eq!(
            after_attempt(&policy(), at((0, 1, 3)), &refused, now, &mut rng),
            Next::Fallback(1)
        );
        assert!(matches!(
            after_attempt(&policy(), at((2, 1, 3)), &refused, now, &mut rng),
            Next::DeadLetter(State::Bounced, _)
        ));
    }

    #[test]
    fn success_ends_the_message() {
        let mut rng = StdRng::seed_from_u64(1);
        let now = Timestamp::UNIX_EPOCH;
        assert_eq!(
            after_attempt(&policy(), at((0, 1, 1)), &Outcome::Sent, now, &mut rng),
            Next::Done(State::Sent)
        );
        assert_eq!(
            after_attempt(&policy(), at((0, 1, 1)), &Outcome::Delivered, now, &mut rng),
            Next::Done(State::Delivered)
        );
    }

    #[test]
    fn critical_messages_go_before_a_first_tier_which_goes_before_the_rest() {
        assert!(priority(true, false) > priority(false, true));
        assert!(priority(true, true) > priority(true, false));
        assert!(priority(false, true) > priority(false, false));
    }
}
