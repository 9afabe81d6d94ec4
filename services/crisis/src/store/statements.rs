//! Statements and regulator reports in SQL, and what releasing and
//! approving read of the team (who holds the spokesperson role, who is on
//! the team). The statement's variants are stored as JSON, the default
//! first.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, code, ts};
use crate::domain::statement::{Audience, StatementState, Variant, Variants};

/// A stored statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Its id.
    pub id: Uuid,
    /// The crisis.
    pub crisis_id: Uuid,
    /// Who it speaks to.
    pub audience: Audience,
    /// Its languages, the default first.
    pub variants: Variants,
    /// Whether it passes quiet hours.
    pub critical: bool,
    /// Where it is.
    pub state: StatementState,
    /// Its number among the crisis's statements to the audience.
    pub sequence: i32,
    /// Who wrote it.
    pub author: String,
    /// Who approved it.
    pub approved_by: String,
    /// When.
    pub approve_time: Option<Timestamp>,
    /// Who released it.
    pub released_by: String,
    /// When.
    pub release_time: Option<Timestamp>,
    /// The broadcasts and messages it went out as.
    pub deliveries: Vec<String>,
    /// How many it was sent to.
    pub recipient_count: i64,
    /// When created.
    pub create_time: Timestamp,
    /// When last changed.
    pub update_time: Timestamp,
    /// The version (the etag).
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    crisis_id: Uuid,
    audience: String,
    variants: serde_json::Value,
    critical: bool,
    state: String,
    sequence: i32,
    author: String,
    approved_by: String,
    approve_time: Option<jiff_sqlx::Timestamp>,
    released_by: String,
    release_time: Option<jiff_sqlx::Timestamp>,
    deliveries: Vec<String>,
    recipient_count: i64,
    create_time: jiff_sqlx::Timestamp,
    update_time: jiff_sqlx::Timestamp,
    version: i64,
}

macro_rules! statement_columns {
    () => {
        "id, crisis_id, audience, variants, critical, state, sequence, author, \
    approved_by, approve_time, released_by, release_time, deliveries, recipient_count, \
    create_time, update_time, version"
    };
}

impl TryFrom<Row> for Statement {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let variants: Vec<Variant> = serde_json::from_value(r.variants)
            .map_err(|e| StoreError::Corrupt(format!("statement variants: {e}")))?;
        Ok(Statement {
            id: r.id,
            crisis_id: r.crisis_id,
            audience: code(&r.audience, "audience", Audience::from_code)?,
            variants: Variants::trusted(variants),
            critical: r.critical,
            state: code(&r.state, "statement state", StatementState::from_code)?,
            sequence: r.sequence,
            author: r.author,
            approved_by: r.approved_by,
            approve_time: r.approve_time.map(ts),
            released_by: r.released_by,
            release_time: r.release_time.map(ts),
            deliveries: r.deliveries,
            recipient_count: r.recipient_count,
            create_time: ts(r.create_time),
            update_time: ts(r.update_time),
            version: r.version,
        })
    }
}

fn variants_json(variants: &Variants) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(variants.as_slice())
        .map_err(|e| StoreError::Corrupt(format!("statement variants: {e}")))
}

/// A new draft.
#[derive(Debug, Clone)]
pub struct NewStatement<'a> {
    /// Its id.
    pub id: Uuid,
    /// The crisis.
    pub crisis_id: Uuid,
    /// Who it speaks to.
    pub audience: Audience,
    /// Its languages.
    pub variants: &'a Variants,
    /// Whether it passes quiet hours.
    pub critical: bool,
    /// Who wrote it.
    pub author: &'a str,
}

/// Inserts a draft numbered after the crisis's statements to the same
/// audience (call with the crisis locked) and returns it.
pub async fn insert(
    conn: &mut PgConnection,
    new: NewStatement<'_>,
    now: Timestamp,
) -> Result<Statement, StoreError> {
    let row: Row = sqlx::query_as(concat!(
        "INSERT INTO statements (id, crisis_id, audience, variants, critical, state, sequence, \
         author, create_time, update_time) \
         VALUES ($1, $2, $3, $4, $5, 'draft', \
           (SELECT coalesce(max(sequence), 0) + 1 FROM statements \
            WHERE crisis_id = $2 AND audience = $3), $6, $7, $7) \
         RETURNING ",
        statement_columns!(),
        ""
    ))
    .bind(new.id)
    .bind(new.crisis_id)
    .bind(new.audience.code())
    .bind(variants_json(new.variants)?)
    .bind(new.critical)
    .bind(new.author)
    .bind(now.to_sqlx())
    .fetch_one(&mut *conn)
    .await?;
    row.try_into()
}

/// The statement `id` of crisis `crisis`, locked for the transaction when
/// `lock`.
pub async fn get(
    conn: &mut PgConnection,
    crisis: Uuid,
    id: Uuid,
    lock: bool,
) -> Result<Option<Statement>, StoreError> {
    let sql = if lock {
        concat!(
            "SELECT ",
            statement_columns!(),
            " FROM statements WHERE crisis_id = $1 AND id = $2 FOR UPDATE"
        )
    } else {
        concat!(
            "SELECT ",
            statement_columns!(),
            " FROM statements WHERE crisis_id = $1 AND id = $2"
        )
    };
    let row: Option<Row> = sqlx::query_as(sql)
        .bind(crisis)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Statement::try_from).transpose()
}

/// Up to `limit` statements of the crisis, oldest first, after `(time, id)`.
pub async fn list(
    conn: &mut PgConnection,
    crisis: Uuid,
    after: Option<(Timestamp, Uuid)>,
    limit: i64,
) -> Result<Vec<Statement>, StoreError> {
    let (time, id) = after.unzip();
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "SELECT ",
        statement_columns!(),
        " FROM statements WHERE crisis_id = $1 \
         AND ($2::timestamptz IS NULL OR (create_time, id) > ($2, $3)) \
         ORDER BY create_time, id LIMIT $4"
    ))
    .bind(crisis)
    .bind(time.map(|t| t.to_sqlx()))
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(Statement::try_from).collect()
}

/// Replaces a draft's variants and critical flag (a new version).
pub async fn update_draft(
    conn: &mut PgConnection,
    id: Uuid,
    variants: &Variants,
    critical: bool,
    now: Timestamp,
) -> Result<Statement, StoreError> {
    let row: Row = sqlx::query_as(concat!(
        "UPDATE statements SET variants = $2, critical = $3, update_time = $4, \
         version = version + 1 WHERE id = $1 RETURNING ",
        statement_columns!(),
        ""
    ))
    .bind(id)
    .bind(variants_json(variants)?)
    .bind(critical)
    .bind(now.to_sqlx())
    .fetch_one(&mut *conn)
    .await?;
    row.try_into()
}

/// Marks a draft approved by `by`.
pub async fn approve(
    conn: &mut PgConnection,
    id: Uuid,
    by: &str,
    now: Timestamp,
) -> Result<Statement, StoreError> {
    let row: Row = sqlx::query_as(concat!(
        "UPDATE statements SET state = 'approved', approved_by = $2, approve_time = $3, \
         update_time = $3, version = version + 1 WHERE id = $1 RETURNING ",
        statement_columns!(),
        ""
    ))
    .bind(id)
    .bind(by)
    .bind(now.to_sqlx())
    .fetch_one(&mut *conn)
    .await?;
    row.try_into()
}

/// Marks an approved statement released by `by`, with where it went.
pub async fn release(
    conn: &mut PgConnection,
    id: Uuid,
    by: &str,
    deliveries: &[String],
    recipient_count: i64,
    now: Timestamp,
) -> Result<Statement, StoreError> {
    let row: Row = sqlx::query_as(concat!(
        "UPDATE statements SET state = 'released', released_by = $2, release_time = $3, \
         deliveries = $4, recipient_count = $5, update_time = $3, version = version + 1 \
         WHERE id = $1 RETURNING ",
        statement_columns!(),
        ""
    ))
    .bind(id)
    .bind(by)
    .bind(now.to_sqlx())
    .bind(deliveries)
    .bind(recipient_count)
    .fetch_one(&mut *conn)
    .await?;
    row.try_into()
}

/// Sets the crisis's first statement time (once) and its last one: a
/// statement to customers went out at `now`.
pub async fn mark_customer_statement(
    conn: &mut PgConnection,
    crisis: Uuid,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE crises SET first_statement_time = coalesce(first_statement_time, $2), \
         last_statement_time = $2, update_time = $2, version = version + 1 WHERE id = $1",
    )
    .bind(crisis)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Who holds the spokesperson role on the crisis's team.
pub async fn spokespeople(
    conn: &mut PgConnection,
    crisis: Uuid,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT subject FROM team_members WHERE crisis_id = $1 AND role = 'spokesperson' \
         ORDER BY subject",
    )
    .bind(crisis)
    .fetch_all(&mut *conn)
    .await?)
}

/// Everyone on the crisis's team, once each, by subject.
pub async fn team(conn: &mut PgConnection, crisis: Uuid) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT subject FROM team_members WHERE crisis_id = $1 ORDER BY subject",
    )
    .bind(crisis)
    .fetch_all(&mut *conn)
    .await?)
}

/// A stored regulator report.
#[derive(Debug, Clone, PartialEq)]
pub struct RegulatorReport {
    /// Its id.
    pub id: Uuid,
    /// The crisis.
    pub crisis_id: Uuid,
    /// The regulator.
    pub regulator: String,
    /// When it was reported.
    pub report_time: Timestamp,
    /// How.
    pub channel: String,
    /// What.
    pub content: String,
    /// The statement it carried.
    pub statement_id: Option<Uuid>,
    /// Their reference.
    pub reference: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When recorded.
    pub create_time: Timestamp,
}

type ReportRow = (
    Uuid,
    Uuid,
    String,
    jiff_sqlx::Timestamp,
    String,
    String,
    Option<Uuid>,
    String,
    String,
    jiff_sqlx::Timestamp,
);

macro_rules! report_columns {
    () => {
        "id, crisis_id, regulator, report_time, channel, content, \
    statement_id, reference, recorded_by, create_time"
    };
}

fn report(r: ReportRow) -> RegulatorReport {
    let (id, crisis_id, regulator, report_time, channel, content, statement_id, reference, by, c) =
        r;
    RegulatorReport {
        id,
        crisis_id,
        regulator,
        report_time: ts(report_time),
        channel,
        content,
        statement_id,
        reference,
        recorded_by: by,
        create_time: ts(c),
    }
}

/// Records a regulator report.
pub async fn insert_report(conn: &mut PgConnection, r: &RegulatorReport) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO regulator_reports (",
        report_columns!(),
        ") \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(r.id)
    .bind(r.crisis_id)
    .bind(&r.regulator)
    .bind(r.report_time.to_sqlx())
    .bind(&r.channel)
    .bind(&r.content)
    .bind(r.statement_id)
    .bind(&r.reference)
    .bind(&r.recorded_by)
    .bind(r.create_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Up to `limit` reports of the crisis by report time, after `(time, id)`.
pub async fn list_reports(
    conn: &mut PgConnection,
    crisis: Uuid,
    after: Option<(Timestamp, Uuid)>,
    limit: i64,
) -> Result<Vec<RegulatorReport>, StoreError> {
    let (time, id) = after.unzip();
    let rows: Vec<ReportRow> = sqlx::query_as(concat!(
        "SELECT ",
        report_columns!(),
        " FROM regulator_reports WHERE crisis_id = $1 \
         AND ($2::timestamptz IS NULL OR (report_time, id) > ($2, $3)) \
         ORDER BY report_time, id LIMIT $4"
    ))
    .bind(crisis)
    .bind(time.map(|t| t.to_sqlx()))
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(report).collect())
}
