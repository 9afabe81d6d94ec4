//! Affected parties in SQL: the customers a crisis hits (names only, with
//! their impact), the acts of linking them (`customer_links`, shared
//! between replicas by claims), the complaints linked to it, and its counts
//! over time. Writes are set-based so a million customers link in batches
//! with flat memory.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, ts};

/// Impact codes as stored: heavily affected sort first.
pub const HEAVY: i16 = 2;
/// Normally affected.
pub const NORMAL: i16 = 1;

/// One act of linking customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Its id.
    pub id: Uuid,
    /// The crisis.
    pub crisis_id: Uuid,
    /// The impact it gives (1 normal, 2 heavy).
    pub impact: i16,
    /// The selector's protobuf encoding; `None` for names.
    pub selector: Option<Vec<u8>>,
    /// Whether every customer is linked.
    pub done: bool,
    /// Customers taken so far.
    pub seen_count: i64,
    /// Of those, new to the crisis or raised to heavy.
    pub added_count: i64,
    /// When it started.
    pub create_time: Timestamp,
    /// When it finished.
    pub complete_time: Option<Timestamp>,
}

type LinkRow = (
    Uuid,
    Uuid,
    i16,
    Option<Vec<u8>>,
    String,
    i64,
    i64,
    jiff_sqlx::Timestamp,
    Option<jiff_sqlx::Timestamp>,
);

macro_rules! link_columns {
    () => {
        "id, crisis_id, impact, selector, state, seen_count, added_count, \
                            create_time, complete_time"
    };
}

fn link(row: LinkRow) -> Link {
    let (id, crisis_id, impact, selector, state, seen_count, added_count, create, complete) = row;
    Link {
        id,
        crisis_id,
        impact,
        selector,
        done: state == "done",
        seen_count,
        added_count,
        create_time: ts(create),
        complete_time: complete.map(ts),
    }
}

/// Records a new link: done at once (names) or running (selector).
pub async fn create_link(conn: &mut PgConnection, new: &Link) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_links (id, crisis_id, impact, selector, state, seen_count, \
         added_count, create_time, complete_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new.id)
    .bind(new.crisis_id)
    .bind(new.impact)
    .bind(new.selector.as_deref())
    .bind(if new.done { "done" } else { "running" })
    .bind(new.seen_count)
    .bind(new.added_count)
    .bind(new.create_time.to_sqlx())
    .bind(new.complete_time.map(|t| t.to_sqlx()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The link `id` of crisis `crisis`, if any.
pub async fn get_link(
    conn: &mut PgConnection,
    crisis: Uuid,
    id: Uuid,
) -> Result<Option<Link>, StoreError> {
    let row: Option<LinkRow> = sqlx::query_as(concat!(
        "SELECT ",
        link_columns!(),
        " FROM customer_links WHERE crisis_id = $1 AND id = $2"
    ))
    .bind(crisis)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(link))
}

/// Claims the oldest running link nobody holds (or whose holder's claim ran
/// out) until `until`, starting its count of seen customers again (the
/// selector is streamed again from its start).
pub async fn claim_running(
    conn: &mut PgConnection,
    now: Timestamp,
    until: Timestamp,
) -> Result<Option<Link>, StoreError> {
    let row: Option<LinkRow> = sqlx::query_as(concat!(
        "UPDATE customer_links SET claim_until = $2, seen_count = 0 \
         WHERE id = (SELECT id FROM customer_links \
                     WHERE state = 'running' AND (claim_until IS NULL OR claim_until < $1) \
                     ORDER BY create_time LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING ",
        link_columns!(),
        ""
    ))
    .bind(now.to_sqlx())
    .bind(until.to_sqlx())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(link))
}

/// Adds a batch's progress to a running link and renews its claim; false
/// when the link is no longer running.
pub async fn progress(
    conn: &mut PgConnection,
    id: Uuid,
    seen: i64,
    added: i64,
    until: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE customer_links SET seen_count = seen_count + $2, added_count = added_count + $3, \
         claim_until = $4 WHERE id = $1 AND state = 'running'",
    )
    .bind(id)
    .bind(seen)
    .bind(added)
    .bind(until.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a running link done; the link as it ends, or `None` when it was
/// not running.
pub async fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
) -> Result<Option<Link>, StoreError> {
    let row: Option<LinkRow> = sqlx::query_as(concat!(
        "UPDATE customer_links SET state = 'done', complete_time = $2, claim_until = NULL \
         WHERE id = $1 AND state = 'running' RETURNING ",
        link_columns!(),
        ""
    ))
    .bind(id)
    .bind(now.to_sqlx())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(link))
}

/// What one linking statement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Linked {
    /// Customers new to the crisis.
    pub inserted: i64,
    /// Customers raised from normal to heavy.
    pub raised: i64,
}

impl Linked {
    /// New or raised: what a link reports as added.
    pub fn added(self) -> i64 {
        self.inserted + self.raised
    }

    /// How the crisis's counts change, for a link of `impact`.
    pub fn delta(self, impact: i16) -> Counts {
        if impact == HEAVY {
            Counts {
                heavy: self.inserted + self.raised,
                normal: -self.raised,
                complaints: 0,
            }
        } else {
            Counts {
                heavy: 0,
                normal: self.inserted,
                complaints: 0,
            }
        }
    }
}

/// Links `customers` to the crisis with `impact` in one statement: new ones
/// are added, a heavy link raises a normal one, nothing is ever lowered.
pub async fn link_customers(
    conn: &mut PgConnection,
    crisis: Uuid,
    customers: &[Uuid],
    impact: i16,
    now: Timestamp,
) -> Result<Linked, StoreError> {
    let (inserted, raised): (i64, i64) = sqlx::query_as(
        "WITH linked AS ( \
           INSERT INTO affected_customers (crisis_id, customer_id, impact, link_time) \
           SELECT $1, id, $3, $4 FROM unnest($2::uuid[]) AS id \
           ON CONFLICT (crisis_id, customer_id) DO UPDATE \
             SET impact = GREATEST(affected_customers.impact, EXCLUDED.impact) \
             WHERE affected_customers.impact < EXCLUDED.impact \
           RETURNING (xmax = 0) AS inserted) \
         SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) \
         FROM linked",
    )
    .bind(crisis)
    .bind(customers)
    .bind(impact)
    .bind(now.to_sqlx())
    .fetch_one(&mut *conn)
    .await?;
    Ok(Linked { inserted, raised })
}

/// The counts of a crisis at one moment (or a change of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Heavily affected customers.
    pub heavy: i64,
    /// Normally affected customers.
    pub normal: i64,
    /// Linked complaints.
    pub complaints: i64,
}

/// Counts the crisis's affected customers and complaints afresh (after a
/// selector link, whose batches leave the crisis row alone), and when
/// they differ from the crisis row's, writes them there (a new version) and
/// adds a point to its counts over time. Call with the crisis locked.
pub async fn recount(
    conn: &mut PgConnection,
    crisis: Uuid,
    now: Timestamp,
) -> Result<Counts, StoreError> {
    let (heavy, normal, complaints, old_heavy, old_normal, old_complaints): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM affected_customers WHERE crisis_id = $1 AND impact = 2), \
           (SELECT count(*) FROM affected_customers WHERE crisis_id = $1 AND impact = 1), \
           (SELECT count(*) FROM linked_complaints WHERE crisis_id = $1), \
           heavy_customer_count, normal_customer_count, complaint_count \
         FROM crises WHERE id = $1",
    )
    .bind(crisis)
    .fetch_one(&mut *conn)
    .await?;
    let counts = Counts {
        heavy,
        normal,
        complaints,
    };
    if (heavy, normal, complaints) != (old_heavy, old_normal, old_complaints) {
        sqlx::query(
            "UPDATE crises SET heavy_customer_count = $2, normal_customer_count = $3, \
             complaint_count = $4, update_time = $5, version = version + 1 WHERE id = $1",
        )
        .bind(crisis)
        .bind(heavy)
        .bind(normal)
        .bind(complaints)
        .bind(now.to_sqlx())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO affected_counts (crisis_id, time, heavy_customer_count, \
             normal_customer_count, complaint_count) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(crisis)
        .bind(now.to_sqlx())
        .bind(heavy)
        .bind(normal)
        .bind(complaints)
        .execute(&mut *conn)
        .await?;
    }
    Ok(counts)
}

/// Adds `delta` to the crisis row's counts (a new version) and, when
/// anything changed, a point to its counts over time; returns the counts.
/// Call with the crisis locked. Cheap at any size, unlike [`recount`].
pub async fn add_counts(
    conn: &mut PgConnection,
    crisis: Uuid,
    delta: Counts,
    now: Timestamp,
) -> Result<Counts, StoreError> {
    let (heavy, normal, complaints): (i64, i64, i64) = sqlx::query_as(
        "UPDATE crises SET heavy_customer_count = heavy_customer_count + $2, \
         normal_customer_count = normal_customer_count + $3, \
         complaint_count = complaint_count + $4, \
         update_time = CASE WHEN ($2, $3, $4) = (0::bigint, 0::bigint, 0::bigint) \
                            THEN update_time ELSE $5 END, \
         version = version + CASE WHEN ($2, $3, $4) = (0::bigint, 0::bigint, 0::bigint) \
                                  THEN 0 ELSE 1 END \
         WHERE id = $1 \
         RETURNING heavy_customer_count, normal_customer_count, complaint_count",
    )
    .bind(crisis)
    .bind(delta.heavy)
    .bind(delta.normal)
    .bind(delta.complaints)
    .bind(now.to_sqlx())
    .fetch_one(&mut *conn)
    .await?;
    let counts = Counts {
        heavy,
        normal,
        complaints,
    };
    if delta != (Counts::default()) {
        sqlx::query(
            "INSERT INTO affected_counts (crisis_id, time, heavy_customer_count, \
             normal_customer_count, complaint_count) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(crisis)
        .bind(now.to_sqlx())
        .bind(heavy)
        .bind(normal)
        .bind(complaints)
        .execute(&mut *conn)
        .await?;
    }
    Ok(counts)
}

/// One affected customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Affected {
    /// The customer's id.
    pub customer_id: Uuid,
    /// 2 heavy, 1 normal.
    pub impact: i16,
    /// When linked.
    pub link_time: Timestamp,
}

/// Up to `limit` affected customers of the crisis, heavily affected first
/// then by id, after `(impact, id)`, only of `impact` when given.
pub async fn list_customers(
    conn: &mut PgConnection,
    crisis: Uuid,
    impact: Option<i16>,
    after: Option<(i16, Uuid)>,
    limit: i64,
) -> Result<Vec<Affected>, StoreError> {
    let (after_impact, after_id) = after.unzip();
    let rows: Vec<(Uuid, i16, jiff_sqlx::Timestamp)> = sqlx::query_as(
        "SELECT customer_id, impact, link_time FROM affected_customers \
         WHERE crisis_id = $1 AND ($2::smallint IS NULL OR impact = $2) \
           AND ($3::smallint IS NULL OR impact < $3 OR (impact = $3 AND customer_id > $4)) \
         ORDER BY impact DESC, customer_id LIMIT $5",
    )
    .bind(crisis)
    .bind(impact)
    .bind(after_impact)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(customer_id, impact, time)| Affected {
            customer_id,
            impact,
            link_time: ts(time),
        })
        .collect())
}

/// Up to `limit` ids of the crisis's customers of `impact`, after `after`
/// in id order: for sending to them in batches.
pub async fn customer_ids(
    conn: &mut PgConnection,
    crisis: Uuid,
    impact: i16,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT customer_id FROM affected_customers \
         WHERE crisis_id = $1 AND impact = $2 AND ($3::uuid IS NULL OR customer_id > $3) \
         ORDER BY impact DESC, customer_id LIMIT $4",
    )
    .bind(crisis)
    .bind(impact)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Links complaints with `source`; returns how many were new.
pub async fn link_complaints(
    conn: &mut PgConnection,
    crisis: Uuid,
    complaints: &[Uuid],
    source: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let done = sqlx::query(
        "INSERT INTO linked_complaints (crisis_id, complaint_id, source, link_time) \
         SELECT $1, id, $3, $4 FROM unnest($2::uuid[]) AS id \
         ON CONFLICT (crisis_id, complaint_id) DO NOTHING",
    )
    .bind(crisis)
    .bind(complaints)
    .bind(source)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(i64::try_from(done.rows_affected()).unwrap_or(i64::MAX))
}

/// One linked complaint.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedComplaint {
    /// The complaint's id.
    pub complaint_id: Uuid,
    /// "manual", "scope" or "origin".
    pub source: String,
    /// When linked.
    pub link_time: Timestamp,
}

/// Up to `limit` linked complaints in link order, after `(time, id)`.
pub async fn list_complaints(
    conn: &mut PgConnection,
    crisis: Uuid,
    after: Option<(Timestamp, Uuid)>,
    limit: i64,
) -> Result<Vec<LinkedComplaint>, StoreError> {
    let (after_time, after_id) = after.unzip();
    let rows: Vec<(Uuid, String, jiff_sqlx::Timestamp)> = sqlx::query_as(
        "SELECT complaint_id, source, link_time FROM linked_complaints \
         WHERE crisis_id = $1 AND ($2::timestamptz IS NULL OR (link_time, complaint_id) > ($2, $3)) \
         ORDER BY link_time, complaint_id LIMIT $4",
    )
    .bind(crisis)
    .bind(after_time.map(|t| t.to_sqlx()))
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(complaint_id, source, time)| LinkedComplaint {
            complaint_id,
            source,
            link_time: ts(time),
        })
        .collect())
}

/// The last `limit` count points of the crisis, oldest first.
pub async fn count_points(
    conn: &mut PgConnection,
    crisis: Uuid,
    limit: i64,
) -> Result<Vec<(Timestamp, Counts)>, StoreError> {
    let rows: Vec<(jiff_sqlx::Timestamp, i64, i64, i64)> = sqlx::query_as(
        "SELECT time, heavy_customer_count, normal_customer_count, complaint_count FROM ( \
           SELECT * FROM affected_counts WHERE crisis_id = $1 ORDER BY time DESC LIMIT $2 \
         ) AS last ORDER BY time",
    )
    .bind(crisis)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(time, heavy, normal, complaints)| {
            (
                ts(time),
                Counts {
                    heavy,
                    normal,
                    complaints,
                },
            )
        })
        .collect())
}

/// Every crisis not closed, with its scope as stored (JSON).
pub async fn open_scopes(
    conn: &mut PgConnection,
) -> Result<Vec<(Uuid, serde_json::Value)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, scope FROM crises WHERE state <> 'closed' ORDER BY id")
            .fetch_all(&mut *conn)
            .await?,
    )
}
