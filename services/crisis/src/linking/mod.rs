//! Linking affected parties in the background: the worker that takes the
//! customers of a selector link from the customers service in batches
//! ([`customers`]), and the consumer of the complaint feed that links each
//! new complaint to every open crisis whose scope it falls within
//! ([`scope`]). Both, like the API, record each change of the counts on the
//! crisis's timeline and feed through the functions here.

pub mod customers;
pub mod scope;

use jiff::Timestamp;
use redress_platform::error::ApiError;
use redress_platform::outbox;
use serde_json::json;
use sqlx::PgConnection;

use crate::events::{self, types};
use crate::names;
use crate::store::affected::{self as store, HEAVY, Link};
use crate::store::crises::Head;
use crate::store::timeline::{self, NewEntry};

/// Records customers linked (the crisis's `counts` after it) on the
/// timeline and the feed.
pub async fn announce_customers_linked(
    conn: &mut PgConnection,
    head: &Head,
    link: &Link,
    counts: store::Counts,
    actor: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    let name = names::child(head.id, "customerLinks", link.id);
    timeline::append(
        conn,
        head.id,
        now,
        NewEntry {
            kind: "customers_linked",
            actor,
            summary: format!(
                "Linked {} affected customers ({} new or raised)",
                link.seen_count, link.added_count
            ),
            details: [
                ("link".to_owned(), name.clone()),
                ("impact".to_owned(), impact_name(link.impact).to_owned()),
                ("added_count".to_owned(), link.added_count.to_string()),
            ]
            .into(),
        },
    )
    .await?;
    outbox::append(
        conn,
        events::about_crisis(
            types::LINKED,
            head.id,
            &head.codes(),
            now,
            json!({
                "link": name,
                "what": "customers",
                "impact": impact_name(link.impact),
                "added_count": link.added_count,
                "heavy_customer_count": counts.heavy,
                "normal_customer_count": counts.normal,
            }),
        ),
    )
    .await?;
    Ok(())
}

/// Counts `added` newly linked complaints on the crisis, and records it on
/// the timeline and the feed.
pub async fn announce_complaints_linked(
    conn: &mut PgConnection,
    head: &Head,
    added: i64,
    source: &str,
    actor: &str,
    now: Timestamp,
) -> Result<store::Counts, ApiError> {
    let delta = store::Counts {
        complaints: added,
        ..store::Counts::default()
    };
    let counts = store::add_counts(conn, head.id, delta, now).await?;
    timeline::append(
        conn,
        head.id,
        now,
        NewEntry {
            kind: "complaints_linked",
            actor,
            summary: format!("Linked {added} complaints ({source})"),
            details: [
                ("source".to_owned(), source.to_owned()),
                ("added_count".to_owned(), added.to_string()),
            ]
            .into(),
        },
    )
    .await?;
    outbox::append(
        conn,
        events::about_crisis(
            types::LINKED,
            head.id,
            &head.codes(),
            now,
            json!({
                "what": "complaints",
                "source": source,
                "added_count": added,
                "complaint_count": counts.complaints,
            }),
        ),
    )
    .await?;
    Ok(counts)
}

/// The impact's name in timeline details and event payloads.
pub fn impact_name(stored: i16) -> &'static str {
    if stored == HEAVY { "heavy" } else { "normal" }
}
