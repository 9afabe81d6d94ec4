//! Goodwill: what is given to a customer to put a failure right and win
//! them back (service recovery, step 4) — a refund, the service redone, a
//! discount, a voucher, a gift or an extra service — as money in integer
//! minor units of one currency.
//!
//! A record moves proposed → approved → fulfilled, or proposed → rejected,
//! or (proposed | approved) → cancelled; [`apply`] is the only place these
//! moves are decided and [`allowed`] lists the moves open now, so a refusal
//! can name them. Who may approve is the [`GoodwillPolicy`]'s business: the
//! good-faith rule ([`GoodwillPolicy::approves_in_good_faith`]) approves a
//! proposal at once when fault is unclear and the amount is within the
//! auto-approve limit for the currency and the customer's grade; anything
//! else waits for someone whose role's approval limit covers it
//! ([`GoodwillPolicy::approval`]). Every number is configuration.

use std::collections::BTreeMap;

use jiff::Timestamp;
use redress_platform::auth::Role;
use serde::Deserialize;
use uuid::Uuid;

use super::priority::Grade;

/// Declares a closed vocabulary stored as lower-case codes.
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's code in storage and events.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The value with `code`, if any.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.code() == code)
            }
        }
    };
}

codes! {
    /// What goodwill gives.
    Kind {
        /// Money back.
        Refund => "refund",
        /// The service done again.
        RedoService => "redo_service",
        /// A price reduction.
        Discount => "discount",
        /// A voucher for later.
        Voucher => "voucher",
        /// A gift.
        Gift => "gift",
        /// Something more than was bought.
        ExtraService => "extra_service",
    }
}

impl Kind {
    /// Whether the kind is money and so needs an amount above zero (a
    /// refund, a discount, a voucher); the others may carry their cost or
    /// nothing.
    pub fn needs_amount(self) -> bool {
        matches!(self, Kind::Refund | Kind::Discount | Kind::Voucher)
    }
}

codes! {
    /// Whose fault the failure was, as far as known.
    Fault {
        /// Not clear: the good-faith rule may apply.
        Unclear => "unclear",
        /// The company's.
        Company => "company",
        /// The customer's.
        Customer => "customer",
    }
}

codes! {
    /// Where goodwill stands.
    State {
        /// Waiting for approval.
        Proposed => "proposed",
        /// Approved; to be given.
        Approved => "approved",
        /// Given to the customer.
        Fulfilled => "fulfilled",
        /// Refused by an approver.
        Rejected => "rejected",
        /// Withdrawn before it was given.
        Cancelled => "cancelled",
    }
}

codes! {
    /// A move of goodwill from one state to the next; each is made by one
    /// RPC.
    Move {
        /// Approve a proposal.
        Approve => "approve",
        /// Refuse a proposal.
        Reject => "reject",
        /// Record approved goodwill as given.
        Fulfil => "fulfil",
        /// Withdraw proposed or approved goodwill.
        Cancel => "cancel",
    }
}

impl Move {
    /// The RPC that makes the move, as the API names it.
    pub fn rpc(self) -> &'static str {
        match self {
            Move::Approve => "ApproveGoodwill",
            Move::Reject => "RejectGoodwill",
            Move::Fulfil => "FulfilGoodwill",
            Move::Cancel => "CancelGoodwill",
        }
    }
}

/// A move refused in the state goodwill is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("goodwill that is {} cannot be {}", .from.code(), .action.past())]
pub struct IllegalMove {
    /// The state it is in.
    pub from: State,
    /// The move refused.
    pub action: Move,
}

impl IllegalMove {
    /// The UPPER_SNAKE reason of the refusal.
    pub fn reason(&self) -> &'static str {
        match self.from {
            State::Proposed => "GOODWILL_NOT_APPROVED",
            State::Approved => "GOODWILL_ALREADY_APPROVED",
            State::Fulfilled => "GOODWILL_ALREADY_FULFILLED",
            State::Rejected => "GOODWILL_REJECTED",
            State::Cancelled => "GOODWILL_CANCELLED",
        }
    }
}

impl Move {
    fn past(self) -> &'static str {
        match self {
            Move::Approve => "approved",
            Move::Reject => "rejected",
            Move::Fulfil => "fulfilled",
            Move::Cancel => "cancelled",
        }
    }
}

/// The state `action` leads to from `from`, or why it may not be made.
pub fn apply(from: State, action: Move) -> Result<State, IllegalMove> {
    match (from, action) {
        (State::Proposed, Move::Approve) => Ok(State::Approved),
        (State::Proposed, Move::Reject) => Ok(State::Rejected),
        (State::Approved, Move::Fulfil) => Ok(State::Fulfilled),
        (State::Proposed | State::Approved, Move::Cancel) => Ok(State::Cancelled),
        _ => Err(IllegalMove { from, action }),
    }
}

/// The moves open from `state`, in declaration order.
pub fn allowed(state: State) -> Vec<Move> {
    Move::ALL
        .iter()
        .copied()
        .filter(|m| apply(state, *m).is_ok())
        .collect()
}

pub use redress_platform::money::{Money, MoneyError};

/// An amount per customer grade, in minor units (`[...auto_approve.EUR]`
/// takes `A`, `B`, `C`, `D` and `ungraded`; a grade left out is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradeAmounts {
    /// Customers of grade A.
    #[serde(alias = "A")]
    pub a: i64,
    /// Customers of grade B.
    #[serde(alias = "B")]
    pub b: i64,
    /// Customers of grade C.
    #[serde(alias = "C")]
    pub c: i64,
    /// Customers of grade D.
    #[serde(alias = "D")]
    pub d: i64,
    /// Customers without a grade.
    pub ungraded: i64,
}

impl GradeAmounts {
    /// The amount for `grade`.
    pub fn get(&self, grade: Grade) -> i64 {
        match grade {
            Grade::A => self.a,
            Grade::B => self.b,
            Grade::C => self.c,
            Grade::D => self.d,
            Grade::Ungraded => self.ungraded,
        }
    }

    fn all(&self) -> [i64; 5] {
        [self.a, self.b, self.c, self.d, self.ungraded]
    }
}

/// Who may decide goodwill, and how much (`[complaints.goodwill]`). In TOML:
///
/// ```toml
/// [complaints.goodwill]
/// [complaints.goodwill.auto_approve.EUR]
/// A = 5000
/// B = 3000
/// [complaints.goodwill.approval_limits]
/// supervisor = { EUR = 50000 }
/// admin = { EUR = 500000 }
/// ```
///
/// Amounts are in minor units of the currency (ISO 4217 says how many
/// digits: cents for EUR, none for JPY). A currency is accepted when it has
/// an auto-approve row or an approval limit. A key left out keeps its
/// default; a key given replaces the default's table whole.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GoodwillPolicy {
    /// The good-faith limit per currency and customer grade: a proposal
    /// with unclear fault up to this amount is approved at once.
    pub auto_approve: BTreeMap<String, GradeAmounts>,
    /// The most a role may approve, per currency; a role or currency left
    /// out may approve nothing.
    pub approval_limits: BTreeMap<Role, BTreeMap<String, i64>>,
}

impl Default for GoodwillPolicy {
    fn default() -> Self {
        let grades = |a, b, c, d| GradeAmounts {
            a,
            b,
            c,
            d,
            ungraded: d,
        };
        let limits = |eur, usd, gbp, jpy| {
            BTreeMap::from([
                ("EUR".to_owned(), eur),
                ("USD".to_owned(), usd),
                ("GBP".to_owned(), gbp),
                ("JPY".to_owned(), jpy),
            ])
        };
        Self {
            auto_approve: BTreeMap::from([
                ("EUR".to_owned(), grades(5_000, 3_000, 2_000, 1_000)),
                ("USD".to_owned(), grades(5_000, 3_000, 2_000, 1_000)),
                ("GBP".to_owned(), grades(4_000, 2_500, 1_500, 800)),
                ("JPY".to_owned(), grades(7_000, 4_500, 3_000, 1_500)),
            ]),
            approval_limits: BTreeMap::from([
                (Role::Supervisor, limits(50_000, 50_000, 40_000, 70_000)),
                (Role::Admin, limits(500_000, 500_000, 400_000, 700_000)),
            ]),
        }
    }
}

/// Whether a caller may approve an amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// One of the caller's roles has a limit that covers it.
    Covered,
    /// Nobody's limit covers it; `highest` is the highest limit of any role
    /// in the currency (0 when none has one).
    NobodyMay {
        /// The highest approval limit configured for the currency.
        highest: i64,
    },
    /// Another role could approve it, not the caller's.
    NotTheCallers {
        /// The caller's highest limit in the currency (0 when none).
        own: i64,
        /// The roles whose limit covers it.
        roles: Vec<Role>,
    },
}

fn is_currency_code(code: &str) -> bool {
    redress_platform::money::exponent(code).is_ok()
}

impl GoodwillPolicy {
    /// Checks the numbers; the message names the setting at fault.
    pub fn validate(&self) -> Result<(), String> {
        for (code, amounts) in &self.auto_approve {
            if !is_currency_code(code) {
                return Err(format!(
                    "complaints.goodwill.auto_approve: {code:?} is not an ISO 4217 code"
                ));
            }
            if amounts.all().iter().any(|a| *a < 0) {
                return Err(format!(
                    "complaints.goodwill.auto_approve.{code} amounts must not be negative"
                ));
            }
        }
        for (role, limits) in &self.approval_limits {
            for (code, limit) in limits {
                if !is_currency_code(code) {
                    return Err(format!(
                        "complaints.goodwill.approval_limits.{role}: {code:?} is not an ISO 4217 code"
                    ));
                }
                if *limit < 0 {
                    return Err(format!(
                        "complaints.goodwill.approval_limits.{role}.{code} must not be negative"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether goodwill may be given in `currency`: it has an auto-approve
    /// row or an approval limit.
    pub fn accepts(&self, currency: &str) -> bool {
        self.auto_approve.contains_key(currency)
            || self
                .approval_limits
                .values()
                .any(|limits| limits.contains_key(currency))
    }

    /// The good-faith rule: a proposal is approved at once when fault is
    /// unclear and `amount` is within the auto-approve limit for its
    /// currency and the customer's `grade`.
    pub fn approves_in_good_faith(&self, fault: Fault, grade: Grade, amount: &Money) -> bool {
        fault == Fault::Unclear
            && self
                .auto_approve
                .get(&amount.currency)
                .is_some_and(|row| amount.minor <= row.get(grade))
    }

    /// A role's approval limit in `currency`, if it has one.
    pub fn limit(&self, role: Role, currency: &str) -> Option<i64> {
        self.approval_limits
            .get(&role)
            .and_then(|limits| limits.get(currency))
            .copied()
    }

    /// Whether someone holding `roles` may approve `amount`.
    pub fn approval(&self, roles: &[Role], amount: &Money) -> Approval {
        let covering: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|role| {
                self.limit(*role, &amount.currency)
                    .is_some_and(|limit| amount.minor <= limit)
            })
            .collect();
        if covering.is_empty() {
            let highest = Role::ALL
                .into_iter()
                .filter_map(|role| self.limit(role, &amount.currency))
                .max()
                .unwrap_or(0);
            return Approval::NobodyMay { highest };
        }
        if roles.iter().any(|role| covering.contains(role)) {
            return Approval::Covered;
        }
        let own = roles
            .iter()
            .filter_map(|role| self.limit(*role, &amount.currency))
            .max()
            .unwrap_or(0);
        Approval::NotTheCallers {
            own,
            roles: covering,
        }
    }
}

/// A goodwill record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Goodwill {
    /// UUIDv7.
    pub id: Uuid,
    /// The complaint it belongs to.
    pub complaint_id: Uuid,
    /// The complaint's customer.
    pub customer_id: Uuid,
    /// What is given.
    pub kind: Kind,
    /// Whose fault it was.
    pub fault: Fault,
    /// Its value or cost.
    pub amount: Money,
    /// A few words for staff.
    pub description: String,
    /// Where it stands.
    pub state: State,
    /// Who proposed it.
    pub proposed_by: String,
    /// Who approved it (`system:good_faith` for the good-faith rule), or
    /// empty.
    pub approved_by: String,
    /// When it was approved.
    pub approve_time: Option<Timestamp>,
    /// Whether the good-faith rule approved it.
    pub good_faith: bool,
    /// Who recorded it as given, or empty.
    pub fulfilled_by: String,
    /// When it was given.
    pub fulfil_time: Option<Timestamp>,
    /// The payment or order reference, or empty.
    pub payment_reference: String,
    /// Who rejected or cancelled it, or empty.
    pub ended_by: String,
    /// When it was rejected or cancelled.
    pub end_time: Option<Timestamp>,
    /// Why it was rejected or cancelled.
    pub end_reason: String,
    /// When it was proposed.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
    /// Bumped by every change.
    pub version: i64,
}

/// Who the good-faith rule approves as.
pub const GOOD_FAITH: &str = "system:good_faith";

impl Goodwill {
    /// The etag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// Makes `action` by `by` at `now`; `detail` is the rejection or
    /// cancellation reason, or the payment reference of a fulfilment.
    pub fn make(
        &mut self,
        action: Move,
        by: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<(), IllegalMove> {
        self.state = apply(self.state, action)?;
        self.update_time = now;
        match action {
            Move::Approve => {
                by.clone_into(&mut self.approved_by);
                self.approve_time = Some(now);
                self.good_faith = by == GOOD_FAITH;
            }
            Move::Fulfil => {
                by.clone_into(&mut self.fulfilled_by);
                self.fulfil_time = Some(now);
                detail.clone_into(&mut self.payment_reference);
            }
            Move::Reject | Move::Cancel => {
                by.clone_into(&mut self.ended_by);
                self.end_time = Some(now);
                detail.clone_into(&mut self.end_reason);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money {
            currency: "EUR".into(),
            minor,
        }
    }

    #[test]
    fn goodwill_goes_proposed_approved_fulfilled_and_nothing_after() {
        assert_eq!(apply(State::Proposed, Move::Approve), Ok(State::Approved));
        assert_eq!(apply(State::Approved, Move::Fulfil), Ok(State::Fulfilled));
        assert_eq!(apply(State::Proposed, Move::Reject), Ok(State::Rejected));
        assert_eq!(apply(State::Proposed, Move::Cancel), Ok(State::Cancelled));
        assert_eq!(apply(State::Approved, Move::Cancel), Ok(State::Cancelled));
        for end in [State::Fulfilled, State::Rejected, State::Cancelled] {
            assert!(allowed(end).is_empty(), "{end:?}");
        }
        assert_eq!(
            allowed(State::Proposed),
            [Move::Approve, Move::Reject, Move::Cancel]
        );
        assert_eq!(allowed(State::Approved), [Move::Fulfil, Move::Cancel]);
    }

    #[test]
    fn fulfilling_twice_or_before_approval_is_refused_with_a_reason() {
        let twice = apply(State::Fulfilled, Move::Fulfil).expect_err("refused");
        assert_eq!(twice.reason(), "GOODWILL_ALREADY_FULFILLED");
        let early = apply(State::Proposed, Move::Fulfil).expect_err("refused");
        assert_eq!(early.reason(), "GOODWILL_NOT_APPROVED");
        assert_eq!(
            early.to_string(),
            "goodwill that is proposed cannot be fulfilled"
        );
        assert!(apply(State::Approved, Move::Reject).is_err());
        assert!(apply(State::Rejected, Move::Approve).is_err());
    }

    #[test]
    fn every_code_reads_back_as_its_value() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_code(kind.code()), Some(*kind));
        }
        for state in State::ALL {
            assert_eq!(State::from_code(state.code()), Some(*state));
        }
        for fault in Fault::ALL {
            assert_eq!(Fault::from_code(fault.code()), Some(*fault));
        }
        assert!(Kind::Refund.needs_amount() && !Kind::Gift.needs_amount());
    }

    #[test]
    fn amounts_are_kept_in_minor_units_and_finer_ones_are_refused() {
        assert_eq!(
            Money::from_units_nanos("EUR", 12, 340_000_000),
            Ok(eur(1234))
        );
        assert_eq!(
            Money::from_units_nanos("JPY", 500, 0).map(|m| m.minor),
            Ok(500)
        );
        assert_eq!(
            Money::from_units_nanos("EUR", 1, 5_000_000),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(
            Money::from_units_nanos("JPY", 1, 500_000_000),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(
            Money::from_units_nanos("EUR", -1, 0),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            Money::from_units_nanos("EUR", 1, -5),
            Err(MoneyError::Malformed)
        );
        assert_eq!(
            Money::from_units_nanos("EUR", i64::MAX, 0),
            Err(MoneyError::Overflow)
        );
        assert_eq!(eur(1234).to_units_nanos(), ("EUR".into(), 12, 340_000_000));
        let yen = Money {
            currency: "JPY".into(),
            minor: 500,
        };
        assert_eq!(yen.to_units_nanos(), ("JPY".into(), 500, 0));
    }

    #[test]
    fn good_faith_approves_unclear_fault_within_the_grades_limit_only() {
        let policy = GoodwillPolicy::default();
        assert!(policy.approves_in_good_faith(Fault::Unclear, Grade::A, &eur(5_000)));
        assert!(!policy.approves_in_good_faith(Fault::Unclear, Grade::A, &eur(5_001)));
        assert!(!policy.approves_in_good_faith(Fault::Unclear, Grade::D, &eur(2_000)));
        assert!(policy.approves_in_good_faith(Fault::Unclear, Grade::Ungraded, &eur(1_000)));
        assert!(!policy.approves_in_good_faith(Fault::Company, Grade::A, &eur(100)));
        assert!(!policy.approves_in_good_faith(Fault::Customer, Grade::A, &eur(100)));
        let chf = Money {
            currency: "CHF".into(),
            minor: 1,
        };
        assert!(!policy.approves_in_good_faith(Fault::Unclear, Grade::A, &chf));
    }

    #[test]
    fn approval_needs_a_role_whose_limit_covers_the_amount() {
        let policy = GoodwillPolicy::default();
        assert_eq!(
            policy.approval(&[Role::Supervisor], &eur(50_000)),
            Approval::Covered
        );
        assert_eq!(
            policy.approval(&[Role::Supervisor], &eur(50_001)),
            Approval::NotTheCallers {
                own: 50_000,
                roles: vec![Role::Admin]
            }
        );
        assert_eq!(
            policy.approval(&[Role::Agent], &eur(10)),
            Approval::NotTheCallers {
                own: 0,
                roles: vec![Role::Supervisor, Role::Admin]
            }
        );
        assert_eq!(
            policy.approval(&[Role::Admin], &eur(500_001)),
            Approval::NobodyMay { highest: 500_000 }
        );
    }

    #[test]
    fn only_configured_currencies_are_accepted_with_their_minor_unit() {
        // The digits of an accepted currency's minor unit (ISO 4217's).
        fn digits(policy: &GoodwillPolicy, code: &str) -> Option<u32> {
            policy
                .accepts(code)
                .then(|| redress_platform::money::exponent(code).ok())
                .flatten()
        }
        let mut policy = GoodwillPolicy::default();
        assert_eq!(digits(&policy, "EUR"), Some(2));
        assert_eq!(digits(&policy, "JPY"), Some(0));
        assert_eq!(digits(&policy, "CHF"), None);
        policy
            .approval_limits
            .entry(Role::Agent)
            .or_default()
            .insert("CHF".into(), 1_000);
        assert_eq!(digits(&policy, "CHF"), Some(2));
        assert!(policy.validate().is_ok());
    }

    #[test]
    fn bad_policies_are_refused_naming_the_setting() {
        let mut negative = GoodwillPolicy::default();
        negative
            .approval_limits
            .entry(Role::Agent)
            .or_default()
            .insert("EUR".into(), -1);
        assert!(
            negative
                .validate()
                .expect_err("refused")
                .contains("approval_limits.agent.EUR")
        );
        let mut lower = GoodwillPolicy::default();
        lower
            .auto_approve
            .insert("eur".into(), GradeAmounts::default());
        assert!(lower.validate().is_err());
        let mut unknown = GoodwillPolicy::default();
        unknown
            .auto_approve
            .insert("XXY".into(), GradeAmounts::default());
        assert!(unknown.validate().is_err());
    }

    #[test]
    fn a_move_records_who_and_when() {
        let now = Timestamp::UNIX_EPOCH;
        let mut g = Goodwill {
            id: Uuid::nil(),
            complaint_id: Uuid::nil(),
            customer_id: Uuid::nil(),
            kind: Kind::Refund,
            fault: Fault::Unclear,
            amount: eur(100),
            description: String::new(),
            state: State::Proposed,
            proposed_by: "agent-1".into(),
            approved_by: String::new(),
            approve_time: None,
            good_faith: false,
            fulfilled_by: String::new(),
            fulfil_time: None,
            payment_reference: String::new(),
            ended_by: String::new(),
            end_time: None,
            end_reason: String::new(),
            create_time: now,
            update_time: now,
            version: 1,
        };
        g.make(Move::Approve, GOOD_FAITH, "", now)
            .expect("approved");
        assert!(g.good_faith);
        g.make(Move::Fulfil, "agent-1", "PAY-1", now)
            .expect("fulfilled");
        assert_eq!(g.payment_reference, "PAY-1");
        assert_eq!(
            g.make(Move::Fulfil, "agent-1", "PAY-2", now),
            Err(IllegalMove {
                from: State::Fulfilled,
                action: Move::Fulfil
            })
        );
        assert_eq!(g.payment_reference, "PAY-1");
    }
}
