//! Customer profiles in SQL: insert, read (one, many, pages, by contact),
//! lock for update, write back, select for a crisis scope, and erase.
//!
//! Contact points and consents live in their own tables and are written as a
//! whole with the profile, in the caller's transaction. Every query is a
//! fixed statement; optional filters are `$n IS NULL OR ...`.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::codes::{Code, optional};
use super::{StoreError, ts, ts_opt};
use crate::domain::contact::{ContactAddress, ContactPoint, Email, Phone, PostalAddress};
use crate::domain::grading::ValueGrade;
use crate::domain::lifecycle::LifecycleStage;
use crate::domain::profile::{
    Channel, CommunicationStyle, Consent, CustomerKind, Identifier, OperatingStatus, Profile, Size,
};
use crate::domain::satisfaction::{Summary, Trend};

/// A customer as stored. Erased customers have an empty display name, no
/// contact points and no consents.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// Display name; empty once erased.
    pub display_name: String,
    /// Person or organisation.
    pub kind: CustomerKind,
    /// Contact points in order.
    pub contact_points: Vec<ContactPoint>,
    /// BCP 47 tag.
    pub locale: Option<String>,
    /// IANA zone.
    pub time_zone: Option<String>,
    /// Channels, most preferred first.
    pub preferred_channels: Vec<Channel>,
    /// Formal or familiar.
    pub communication_style: Option<CommunicationStyle>,
    /// Consent per purpose, by purpose.
    pub consents: Vec<Consent>,
    /// Industry.
    pub industry: String,
    /// Line of business.
    pub business_scope: String,
    /// Trading status.
    pub operating_status: Option<OperatingStatus>,
    /// Size.
    pub size: Option<Size>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Key-account adviser's subject.
    pub key_account_adviser: String,
    /// CRM/ERP id.
    pub external_reference: Option<String>,
    /// Lifecycle stage.
    pub lifecycle_stage: LifecycleStage,
    /// Value grade.
    pub value_grade: ValueGrade,
    /// When reactivated, if the stage is reactivated.
    pub reactivated_time: Option<Timestamp>,
    /// Latest transaction of any kind.
    pub last_transaction_time: Option<Timestamp>,
    /// Satisfaction figures and the time of the latest answer.
    pub satisfaction: Option<(Summary, Timestamp)>,
    /// Bumped by every change; the etag.
    pub version: i64,
    /// Created.
    pub create_time: Timestamp,
    /// Last changed.
    pub update_time: Timestamp,
    /// Erased, if so.
    pub erase_time: Option<Timestamp>,
}

impl CustomerRecord {
    /// The etag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

#[cfg(test)]
const COLUMNS: &str = "id, display_name, kind, locale, time_zone, preferred_channels,
    communication_style, industry, business_scope, operating_status, size, tags,
    key_account_adviser, external_reference, lifecycle_stage, value_grade, reactivated_time,
    last_transaction_time, satisfaction_count, satisfaction_current, satisfaction_recent,
    satisfaction_previous, satisfaction_trend, satisfaction_time, version, create_time,
    update_time, erase_time";

macro_rules! select_customers {
    ($rest:literal) => {
        concat!(
            "SELECT id, display_name, kind, locale, time_zone, preferred_channels,
    communication_style, industry, business_scope, operating_status, size, tags,
    key_account_adviser, external_reference, lifecycle_stage, value_grade, reactivated_time,
    last_transaction_time, satisfaction_count, satisfaction_current, satisfaction_recent,
    satisfaction_previous, satisfaction_trend, satisfaction_time, version, create_time,
    update_time, erase_time FROM customers ",
            $rest
        )
    };
}

fn from_row(row: &PgRow) -> Result<CustomerRecord, StoreError> {
    let channels: Vec<String> = row.try_get("preferred_channels")?;
    let satisfaction = match row.try_get::<Option<jiff_sqlx::Timestamp>, _>("satisfaction_time")? {
        Some(at) => Some((
            Summary {
                record_count: i64::from(row.try_get::<i32, _>("satisfaction_count")?),
                current_ratio: row
                    .try_get::<Option<f64>, _>("satisfaction_current")?
                    .unwrap_or(0.0),
                recent_mean_ratio: row
                    .try_get::<Option<f64>, _>("satisfaction_recent")?
                    .unwrap_or(0.0),
                previous_mean_ratio: row
                    .try_get::<Option<f64>, _>("satisfaction_previous")?
                    .unwrap_or(0.0),
                trend: optional::<Trend>(row.try_get("satisfaction_trend")?)?
                    .unwrap_or(Trend::Unknown),
            },
            at.to_jiff(),
        )),
        None => None,
    };
    Ok(CustomerRecord {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        kind: CustomerKind::from_code(row.try_get("kind")?)?,
        contact_points: Vec::new(),
        locale: row.try_get("locale")?,
        time_zone: row.try_get("time_zone")?,
        preferred_channels: channels
            .iter()
            .map(|c| Channel::from_code(c))
            .collect::<Result<_, _>>()?,
        communication_style: optional(row.try_get("communication_style")?)?,
        consents: Vec::new(),
        industry: row.try_get("industry")?,
        business_scope: row.try_get("business_scope")?,
        operating_status: optional(row.try_get("operating_status")?)?,
        size: optional(row.try_get("size")?)?,
        tags: row.try_get("tags")?,
        key_account_adviser: row.try_get("key_account_adviser")?,
        external_reference: row.try_get("external_reference")?,
        lifecycle_stage: LifecycleStage::from_code(row.try_get("lifecycle_stage")?)?,
        value_grade: ValueGrade::from_code(row.try_get("value_grade")?)?,
        reactivated_time: ts_opt(row.try_get("reactivated_time")?),
        last_transaction_time: ts_opt(row.try_get("last_transaction_time")?),
        satisfaction,
        version: row.try_get("version")?,
        create_time: ts(row.try_get("create_time")?),
        update_time: ts(row.try_get("update_time")?),
        erase_time: ts_opt(row.try_get("erase_time")?),
    })
}

/// Fills in contact points and consents for the given records.
async fn attach_children(
    conn: &mut PgConnection,
    records: &mut [CustomerRecord],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let mut points: HashMap<Uuid, Vec<ContactPoint>> = HashMap::new();
    let rows = sqlx::query(
        "SELECT customer_id, kind, value, postal, verified, label FROM contact_points
         WHERE customer_id = ANY($1) ORDER BY customer_id, position",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let value: Option<String> = row.try_get("value")?;
        let address = match kind.as_str() {
            "phone" => ContactAddress::Phone(Phone::from_stored(value.unwrap_or_default())),
            "email" => ContactAddress::Email(Email::from_stored(value.unwrap_or_default())),
            "postal" => {
                let json: serde_json::Value = row.try_get("postal")?;
                ContactAddress::Postal(
                    serde_json::from_value::<PostalAddress>(json)
                        .map_err(|e| StoreError::Corrupt(format!("postal address: {e}")))?,
                )
            }
            other => return Err(StoreError::Corrupt(format!("contact kind {other:?}"))),
        };
        points
            .entry(row.try_get("customer_id")?)
            .or_default()
            .push(ContactPoint {
                address,
                verified: row.try_get("verified")?,
                label: row.try_get("label")?,
            });
    }
    let mut consents: HashMap<Uuid, Vec<Consent>> = HashMap::new();
    let rows = sqlx::query(
        "SELECT customer_id, purpose, granted, update_time FROM consents
         WHERE customer_id = ANY($1) ORDER BY customer_id, purpose",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let purpose: String = row.try_get("purpose")?;
        consents
            .entry(row.try_get("customer_id")?)
            .or_default()
            .push(Consent {
                purpose: Identifier::parse(&purpose)
                    .map_err(|_| StoreError::Corrupt("consent purpose".into()))?,
                granted: row.try_get("granted")?,
                update_time: ts(row.try_get("update_time")?),
            });
    }
    for record in records {
        record.contact_points = points.remove(&record.id).unwrap_or_default();
        record.consents = consents.remove(&record.id).unwrap_or_default();
    }
    Ok(())
}

async fn fetch(
    conn: &mut PgConnection,
    rows: Vec<PgRow>,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let mut records = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    attach_children(conn, &mut records).await?;
    Ok(records)
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds the profile's columns as `$2` to `$14`, in the order of the
/// `INSERT` and `UPDATE` below.
fn bind_profile<'q>(query: PgQuery<'q>, profile: &'q Profile) -> PgQuery<'q> {
    query
        .bind(profile.display_name.as_str())
        .bind(profile.kind.code())
        .bind(profile.locale.as_ref().map(|l| l.as_str()))
        .bind(profile.time_zone.as_ref().map(|z| z.as_str()))
        .bind(channel_codes(&profile.preferred_channels))
        .bind(profile.communication_style.map(Code::code))
        .bind(&profile.industry)
        .bind(&profile.business_scope)
        .bind(profile.operating_status.map(Code::code))
        .bind(profile.size.map(Code::code))
        .bind(tag_list(profile))
        .bind(&profile.key_account_adviser)
        .bind(external_reference(profile))
}

/// Inserts a new customer as a prospect of grade D.
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    profile: &Profile,
    now: Timestamp,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "INSERT INTO customers (id, display_name, kind, locale, time_zone, preferred_channels,
             communication_style, industry, business_scope, operating_status, size, tags,
             key_account_adviser, external_reference, create_time, update_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(id);
    bind_profile(query, profile)
        .bind(now.to_sqlx())
        .execute(&mut *conn)
        .await?;
    write_children(conn, id, profile).await?;
    super::standing::append_state(
        conn,
        id,
        now,
        LifecycleStage::Prospect,
        ValueGrade::D,
        profile.size,
    )
    .await?;
    Ok(())
}

/// Writes back a changed profile and bumps the version.
pub async fn update(
    conn: &mut PgConnection,
    before: &CustomerRecord,
    profile: &Profile,
    now: Timestamp,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "UPDATE customers SET display_name = $2, kind = $3, locale = $4, time_zone = $5,
             preferred_channels = $6, communication_style = $7, industry = $8,
             business_scope = $9, operating_status = $10, size = $11, tags = $12,
             key_account_adviser = $13, external_reference = $14, update_time = $15,
             version = version + 1
         WHERE id = $1",
    )
    .bind(before.id);
    bind_profile(query, profile)
        .bind(now.to_sqlx())
        .execute(&mut *conn)
        .await?;
    for statement in [
        "DELETE FROM contact_points WHERE customer_id = $1",
        "DELETE FROM consents WHERE customer_id = $1",
    ] {
        sqlx::query(statement)
            .bind(before.id)
            .execute(&mut *conn)
            .await?;
    }
    write_children(conn, before.id, profile).await?;
    if before.size != profile.size {
        super::standing::append_state(
            conn,
            before.id,
            now,
            before.lifecycle_stage,
            before.value_grade,
            profile.size,
        )
        .await?;
    }
    Ok(())
}

fn channel_codes(channels: &[Channel]) -> Vec<&'static str> {
    channels.iter().map(|c| c.code()).collect()
}

fn tag_list(profile: &Profile) -> Vec<&str> {
    profile.tags.iter().map(Identifier::as_str).collect()
}

fn external_reference(profile: &Profile) -> Option<&str> {
    Some(profile.external_reference.as_str()).filter(|r| !r.is_empty())
}

async fn write_children(
    conn: &mut PgConnection,
    id: Uuid,
    profile: &Profile,
) -> Result<(), StoreError> {
    if !profile.contact_points.is_empty() {
        let mut positions = Vec::new();
        let mut kinds = Vec::new();
        let mut values: Vec<Option<String>> = Vec::new();
        let mut normalized: Vec<Option<String>> = Vec::new();
        let mut postal: Vec<Option<serde_json::Value>> = Vec::new();
        let mut regions: Vec<Option<String>> = Vec::new();
        let mut verified = Vec::new();
        let mut labels = Vec::new();
        for (i, point) in profile.contact_points.iter().enumerate() {
            positions.push(i as i32);
            kinds.push(point.address.kind());
            normalized.push(point.address.normalised());
            match &point.address {
                ContactAddress::Phone(p) => {
                    values.push(Some(p.as_str().to_string()));
                    postal.push(None);
                    regions.push(None);
                }
                ContactAddress::Email(e) => {
                    values.push(Some(e.as_str().to_string()));
                    postal.push(None);
                    regions.push(None);
                }
                ContactAddress::Postal(a) => {
                    values.push(None);
                    postal
                        .push(Some(serde_json::to_value(a).map_err(|e| {
                            StoreError::Corrupt(format!("postal address: {e}"))
                        })?));
                    regions.push(Some(a.region_code.clone()));
                }
            }
            verified.push(point.verified);
            labels.push(point.label.as_str());
        }
        sqlx::query(
            "INSERT INTO contact_points
                 (customer_id, position, kind, value, normalized, postal, region_code, verified, label)
             SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                                      $7::text[], $8::bool[], $9::text[])",
        )
        .bind(id)
        .bind(&positions)
        .bind(&kinds)
        .bind(&values)
        .bind(&normalized)
        .bind(&postal)
        .bind(&regions)
        .bind(&verified)
        .bind(&labels)
        .execute(&mut *conn)
        .await?;
    }
    if !profile.consents.is_empty() {
        let purposes: Vec<&str> = profile
            .consents
            .iter()
            .map(|c| c.purpose.as_str())
            .collect();
        let granted: Vec<bool> = profile.consents.iter().map(|c| c.granted).collect();
        let times: Vec<jiff_sqlx::Timestamp> = profile
            .consents
            .iter()
            .map(|c| c.update_time.to_sqlx())
            .collect();
        sqlx::query(
            "INSERT INTO consents (customer_id, purpose, granted, update_time)
             SELECT $1, * FROM unnest($2::text[], $3::bool[], $4::timestamptz[])",
        )
        .bind(id)
        .bind(&purposes)
        .bind(&granted)
        .bind(&times)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One customer, or `None`.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<CustomerRecord>, StoreError> {
    let rows = sqlx::query(select_customers!("WHERE id = $1"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(fetch(conn, rows).await?.pop())
}

/// One customer, locked for update until the transaction ends.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<CustomerRecord>, StoreError> {
    let rows = sqlx::query(select_customers!("WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(fetch(conn, rows).await?.pop())
}

/// Locks one customer's row until the transaction ends, without reading
/// its profile: `None` when there is no such customer, else whether it was
/// erased.
pub async fn lock_row(conn: &mut PgConnection, id: Uuid) -> Result<Option<bool>, StoreError> {
    let erased: Option<bool> =
        sqlx::query_scalar("SELECT erase_time IS NOT NULL FROM customers WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(erased)
}

/// Whether a customer exists.
pub async fn exists(conn: &mut PgConnection, id: Uuid) -> Result<bool, StoreError> {
    let found: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(found)
}

/// The customers with these ids, in the order given; missing ids are left
/// out (the caller compares lengths).
pub async fn get_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<CustomerRecord>, StoreError> {
    let rows = sqlx::query(select_customers!("WHERE id = ANY($1)"))
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    let by_id: HashMap<Uuid, CustomerRecord> = fetch(conn, rows)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
}

/// Filters of a customer list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Grade.
    pub grade: Option<ValueGrade>,
    /// Size.
    pub size: Option<Size>,
    /// Stage.
    pub stage: Option<LifecycleStage>,
    /// Tag.
    pub tag: Option<String>,
    /// Exact locale.
    pub locale: Option<String>,
    /// Text within display name or external reference.
    pub query: Option<String>,
}

/// A page of customers after `after`, in id order, `limit` at most.
pub async fn list(
    conn: &mut PgConnection,
    filter: &ListFilter,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let pattern = filter
        .query
        .as_ref()
        .map(|q| format!("%{}%", escape_like(q)));
    let rows = sqlx::query(select_customers!(
        "WHERE ($1::uuid IS NULL OR id > $1)
           AND ($2::text IS NULL OR value_grade = $2)
           AND ($3::text IS NULL OR size = $3)
           AND ($4::text IS NULL OR lifecycle_stage = $4)
           AND ($5::text IS NULL OR tags @> ARRAY[$5::text])
           AND ($6::text IS NULL OR locale = $6)
           AND ($7::text IS NULL OR display_name ILIKE $7 OR external_reference ILIKE $7)
         ORDER BY id LIMIT $8"
    ))
    .bind(after)
    .bind(filter.grade.map(Code::code))
    .bind(filter.size.map(Code::code))
    .bind(filter.stage.map(Code::code))
    .bind(filter.tag.as_deref())
    .bind(filter.locale.as_deref())
    .bind(pattern)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    fetch(conn, rows).await
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Customers with a contact point whose normalised value is `normalized`.
pub async fn find_by_contact(
    conn: &mut PgConnection,
    normalized: &str,
    limit: u32,
) -> Result<Vec<CustomerRecord>, StoreError> {
    let rows = sqlx::query(select_customers!(
        "WHERE id IN (SELECT customer_id FROM contact_points WHERE normalized = $1)
         ORDER BY id LIMIT $2"
    ))
    .bind(normalized)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    fetch(conn, rows).await
}

/// Which customers a selection takes; empty lists match everything.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    /// Grades.
    pub grades: Vec<ValueGrade>,
    /// Sizes.
    pub sizes: Vec<Size>,
    /// Stages.
    pub stages: Vec<LifecycleStage>,
    /// Any of these tags.
    pub tags: Vec<String>,
    /// Locales or their parents.
    pub locales: Vec<String>,
    /// Countries of a postal address.
    pub region_codes: Vec<String>,
}

/// The next ids matching `selector` after `after`, erased customers left
/// out, in id order.
pub async fn select_ids(
    conn: &mut PgConnection,
    selector: &Selector,
    after: Uuid,
    limit: u32,
) -> Result<Vec<Uuid>, StoreError> {
    let codes = |v: Vec<&'static str>| v;
    let ids = sqlx::query_scalar(
        "SELECT id FROM customers c
         WHERE id > $1 AND erase_time IS NULL
           AND (cardinality($2::text[]) = 0 OR value_grade = ANY($2))
           AND (cardinality($3::text[]) = 0 OR size = ANY($3))
           AND (cardinality($4::text[]) = 0 OR lifecycle_stage = ANY($4))
           AND (cardinality($5::text[]) = 0 OR tags && $5)
           AND (cardinality($6::text[]) = 0 OR EXISTS (
                 SELECT 1 FROM unnest($6::text[]) AS l(tag)
                 WHERE c.locale = l.tag OR c.locale LIKE l.tag || '-%'))
           AND (cardinality($7::text[]) = 0 OR EXISTS (
                 SELECT 1 FROM contact_points p
                 WHERE p.customer_id = c.id AND p.region_code = ANY($7)))
         ORDER BY id LIMIT $8",
    )
    .bind(after)
    .bind(codes(selector.grades.iter().map(|g| g.code()).collect()))
    .bind(codes(selector.sizes.iter().map(|s| s.code()).collect()))
    .bind(codes(selector.stages.iter().map(|s| s.code()).collect()))
    .bind(&selector.tags)
    .bind(&selector.locales)
    .bind(&selector.region_codes)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids)
}

/// Removes personal data and keeps the record as anonymous: name, contact
/// points, consents, external references, locale and zone, free text of
/// interactions, references of transactions, and the stored answers of
/// repeatable requests that name the customer.
pub async fn erase(
    conn: &mut PgConnection,
    id: Uuid,
    reason: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE customers SET display_name = '', locale = NULL, time_zone = NULL,
             preferred_channels = '{}', communication_style = NULL, industry = '',
             business_scope = '', external_reference = NULL, key_account_adviser = '',
             erase_time = $2, erase_reason = $3, update_time = $2, version = version + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    for statement in [
        "DELETE FROM contact_points WHERE customer_id = $1",
        "DELETE FROM consents WHERE customer_id = $1",
        "UPDATE interactions SET summary = '' WHERE customer_id = $1",
        "UPDATE transactions SET external_reference = '' WHERE customer_id = $1",
    ] {
        sqlx::query(statement).bind(id).execute(&mut *conn).await?;
    }
    // Stored answers of repeatable requests (CreateCustomer,
    // RecordTransaction, RecordInteraction) carry the profile and free text
    // as they were: forget every answer that names this customer. A repeat of
    // such a request after the erasure is then treated as a new request.
    sqlx::query("DELETE FROM request_ids WHERE position($1::bytea IN response) > 0")
        .bind(crate::domain::names::customer(id).into_bytes())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn the_select_macro_lists_the_same_columns_as_the_constant() {
        let sql = select_customers!("");
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        assert!(squash(sql).contains(&squash(COLUMNS)));
    }
}
