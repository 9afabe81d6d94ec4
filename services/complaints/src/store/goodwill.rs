//! Goodwill rows: insert, read one (inside the change's transaction, which
//! holds the complaint locked, so two approvals cannot both win), write
//! back, list a complaint's or a customer's by `(create_time, id)`, and sum
//! them per currency and state. Sums come from the rows themselves, so a
//! retried request cannot count twice.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::scope::visible;
use super::{StoreError, code, ts, ts_opt};
use crate::domain::goodwill::{Fault, Goodwill, Kind, Money, State};
use crate::domain::scope::Scope as TeamScope;

/// Whose goodwill to list or sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One complaint's.
    Complaint(Uuid),
    /// All of one customer's complaints'.
    Customer(Uuid),
}

impl Scope {
    /// `(complaint_id, customer_id)`, one of them set, for binding.
    fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Scope::Complaint(id) => (Some(id), None),
            Scope::Customer(id) => (None, Some(id)),
        }
    }
}

macro_rules! select_goodwill {
    ($($rest:expr),+ $(,)?) => {
        concat!(
            "SELECT id, complaint_id, customer_id, kind, fault, currency, amount_minor,
    description, state, proposed_by, approved_by, approve_time, good_faith, fulfilled_by,
    fulfil_time, payment_reference, ended_by, end_time, end_reason, create_time, update_time,
    version FROM goodwill ",
            $($rest),+
        )
    };
}

fn from_row(row: &PgRow) -> Result<Goodwill, StoreError> {
    Ok(Goodwill {
        id: row.try_get("id")?,
        complaint_id: row.try_get("complaint_id")?,
        customer_id: row.try_get("customer_id")?,
        kind: code(row.try_get("kind")?, "goodwill kind", Kind::from_code)?,
        fault: code(row.try_get("fault")?, "goodwill fault", Fault::from_code)?,
        amount: Money {
            currency: row.try_get("currency")?,
            minor: row.try_get("amount_minor")?,
        },
        description: row.try_get("description")?,
        state: code(row.try_get("state")?, "goodwill state", State::from_code)?,
        proposed_by: row.try_get("proposed_by")?,
        approved_by: row.try_get("approved_by")?,
        approve_time: ts_opt(row.try_get("approve_time")?),
        good_faith: row.try_get("good_faith")?,
        fulfilled_by: row.try_get("fulfilled_by")?,
        fulfil_time: ts_opt(row.try_get("fulfil_time")?),
        payment_reference: row.try_get("payment_reference")?,
        ended_by: row.try_get("ended_by")?,
        end_time: ts_opt(row.try_get("end_time")?),
        end_reason: row.try_get("end_reason")?,
        create_time: ts(row.try_get("create_time")?),
        update_time: ts(row.try_get("update_time")?),
        version: row.try_get("version")?,
    })
}

/// Inserts new goodwill as it is (its version is stored as given).
pub async fn insert(conn: &mut PgConnection, g: &Goodwill) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO goodwill (id, complaint_id, customer_id, kind, fault, currency, amount_minor,
             description, state, proposed_by, approved_by, approve_time, good_faith,
             create_time, update_time, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(g.id)
    .bind(g.complaint_id)
    .bind(g.customer_id)
    .bind(g.kind.code())
    .bind(g.fault.code())
    .bind(&g.amount.currency)
    .bind(g.amount.minor)
    .bind(&g.description)
    .bind(g.state.code())
    .bind(&g.proposed_by)
    .bind(&g.approved_by)
    .bind(g.approve_time.map(|t| t.to_sqlx()))
    .bind(g.good_faith)
    .bind(g.create_time.to_sqlx())
    .bind(g.update_time.to_sqlx())
    .bind(g.version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Goodwill `id` of complaint `complaint_id`, if there is one.
pub async fn get(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> Result<Option<Goodwill>, StoreError> {
    sqlx::query(select_goodwill!("WHERE complaint_id = $1 AND id = $2"))
        .bind(complaint_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Writes back what a move changes and returns the new version.
pub async fn save(conn: &mut PgConnection, g: &Goodwill) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE goodwill SET state = $2, approved_by = $3, approve_time = $4, good_faith = $5,
             fulfilled_by = $6, fulfil_time = $7, payment_reference = $8, ended_by = $9,
             end_time = $10, end_reason = $11, update_time = $12, version = version + 1
         WHERE id = $1 RETURNING version",
    )
    .bind(g.id)
    .bind(g.state.code())
    .bind(&g.approved_by)
    .bind(g.approve_time.map(|t| t.to_sqlx()))
    .bind(g.good_faith)
    .bind(&g.fulfilled_by)
    .bind(g.fulfil_time.map(|t| t.to_sqlx()))
    .bind(&g.payment_reference)
    .bind(&g.ended_by)
    .bind(g.end_time.map(|t| t.to_sqlx()))
    .bind(&g.end_reason)
    .bind(g.update_time.to_sqlx())
    .fetch_one(conn)
    .await?)
}

/// A page of `scope`'s goodwill after `after` (time, id), oldest first.
pub async fn list(
    conn: &mut PgConnection,
    scope: Scope,
    seen_by: &TeamScope,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<Goodwill>, StoreError> {
    let (complaint, customer) = scope.ids();
    let (everything, subject, team) = super::scope::params(seen_by);
    let rows = sqlx::query(select_goodwill!(
        "WHERE ($1::uuid IS NULL OR complaint_id = $1)
           AND ($2::uuid IS NULL OR customer_id = $2)
           AND ($3::timestamptz IS NULL OR (create_time, id) > ($3, $4))
           AND complaint_id IN (SELECT complaints.id FROM complaints WHERE ",
        visible!("$6", "$7", "$8"),
        ") ORDER BY create_time, id LIMIT $5"
    ))
    .bind(complaint)
    .bind(customer)
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .bind(everything)
    .bind(subject)
    .bind(team)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// How many and how much of `scope`'s goodwill is in one state, in one
/// currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    /// ISO 4217 code.
    pub currency: String,
    /// The state.
    pub state: State,
    /// How many.
    pub count: i64,
    /// Their amounts added up, in minor units.
    pub minor: i64,
}

/// `scope`'s goodwill summed per currency and state, by currency.
pub async fn sums(
    conn: &mut PgConnection,
    scope: Scope,
    seen_by: &TeamScope,
) -> Result<Vec<Sum>, StoreError> {
    let (complaint, customer) = scope.ids();
    let (everything, subject, team) = super::scope::params(seen_by);
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(concat!(
        "SELECT currency, state, count(*), coalesce(sum(amount_minor), 0)::bigint
         FROM goodwill
         WHERE ($1::uuid IS NULL OR complaint_id = $1)
           AND ($2::uuid IS NULL OR customer_id = $2)
           AND complaint_id IN (SELECT complaints.id FROM complaints WHERE ",
        visible!("$3", "$4", "$5"),
        ") GROUP BY currency, state ORDER BY currency, state"
    ))
    .bind(complaint)
    .bind(customer)
    .bind(everything)
    .bind(subject)
    .bind(team)
    .fetch_all(conn)
    .await?;
    to_sums(rows)
}

/// The goodwill of the complaints created in `[start, end)`, summed per
/// currency and state, by currency.
pub async fn sums_in_period(
    conn: &mut PgConnection,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
) -> Result<Vec<Sum>, StoreError> {
    use jiff_sqlx::ToSqlx;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT g.currency, g.state, count(*), coalesce(sum(g.amount_minor), 0)::bigint
         FROM goodwill g JOIN complaints c ON c.id = g.complaint_id
         WHERE c.create_time >= $1 AND c.create_time < $2
         GROUP BY g.currency, g.state ORDER BY g.currency, g.state",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_all(conn)
    .await?;
    to_sums(rows)
}

/// Rows of (currency, state, count, minor) as sums.
fn to_sums(rows: Vec<(String, String, i64, i64)>) -> Result<Vec<Sum>, StoreError> {
    rows.into_iter()
        .map(|(currency, state, count, minor)| {
            Ok(Sum {
                currency,
                state: code(&state, "goodwill state", State::from_code)?,
                count,
                minor,
            })
        })
        .collect()
}

/// Whether complaint `complaint_id` has goodwill given (fulfilled), or,
/// with `or_approved`, at least approved: the "goodwill given" step of the
/// recovery plan.
pub async fn has_goodwill_given(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    or_approved: bool,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM goodwill WHERE complaint_id = $1
             AND (state = 'fulfilled' OR ($2 AND state = 'approved')))",
    )
    .bind(complaint_id)
    .bind(or_approved)
    .fetch_one(conn)
    .await?)
}
