//! What happens between the company and a customer: transactions (which
//! drive grade and stage) and interactions (the contact log that spares the
//! customer being asked the same thing twice).

use jiff::{SignedDuration, Timestamp};

use super::profile::Channel;
use redress_platform::money::Money;

/// How far in the future a reported time may be, for clock skew between
/// the caller and this service.
pub const FUTURE_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// What kind of transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    /// A purchase.
    Purchase,
    /// A renewal.
    Renewal,
    /// The end of the contract.
    ContractEnd,
}

impl TransactionKind {
    /// Whether it counts as buying (for grade and stage).
    pub fn is_purchase(self) -> bool {
        matches!(self, TransactionKind::Purchase | TransactionKind::Renewal)
    }
}

/// A valid transaction. Invariants: purchases and renewals carry an amount;
/// `occur_time` is not in the future (beyond [`FUTURE_SKEW`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransaction {
    /// Kind.
    pub kind: TransactionKind,
    /// Amount; `None` only for a contract end.
    pub amount: Option<Money>,
    /// When it happened.
    pub occur_time: Timestamp,
    /// The id in the company's system, at most 200 characters.
    pub external_reference: String,
}

/// Who started a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The customer reached the company.
    Inbound,
    /// The company reached the customer.
    Outbound,
}

/// A valid interaction. Invariants: `summary` is 1–4000 characters; `agent`
/// is not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInteraction {
    /// Channel.
    pub channel: Channel,
    /// Direction.
    pub direction: Direction,
    /// What was said.
    pub summary: String,
    /// The staff subject who handled it.
    pub agent: String,
    /// When it happened.
    pub occur_time: Timestamp,
    /// The complaint it was about, `complaints/{id}`.
    pub related_complaint: Option<String>,
}

/// Whether `time` is acceptable as a past event at `now`.
pub fn not_in_future(time: Timestamp, now: Timestamp) -> bool {
    time <= now + FUTURE_SKEW
}
