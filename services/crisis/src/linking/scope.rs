//! The scope consumer: follows `complaint.created` on the complaint feed
//! (cursor `complaints.scope` in this schema) and links each new complaint
//! to every crisis not closed whose scope its product, region and category
//! fall within, with the counts, timeline entry and event, in the
//! consumer's own transaction (so an event is applied exactly once).

use std::future::Future;

use redress_platform::clock::SharedClock;
use redress_platform::outbox::{BoxError, Consumer, Event, EventHandler};
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};

use crate::directory::Directories;
use crate::domain::scope::{ComplaintFacts, Scope};
use crate::names;
use crate::store::affected as store;
use crate::store::crises;

/// The consumer's cursor name.
pub const FEED: &str = "complaints.scope";
/// The event it follows.
pub const CREATED: &str = "complaint.created";

/// The scope as the crises area stores it (the selector is not needed).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredScope {
    products: Vec<String>,
    regions: Vec<String>,
    categories: Vec<String>,
}

/// Follows the complaint feed until `shutdown` resolves.
pub async fn run_until(
    pool: PgPool,
    clock: SharedClock,
    directories: Directories,
    shutdown: impl Future<Output = ()>,
) {
    let handler = ScopeLinker { clock };
    Consumer::new(pool, FEED, directories.complaint_feed(), handler)
        .with_types(vec![CREATED.to_owned()])
        .run_until(shutdown)
        .await;
}

/// The consumer's handler.
struct ScopeLinker {
    clock: SharedClock,
}

impl EventHandler for ScopeLinker {
    fn handle<'a>(
        &'a mut self,
        conn: &'a mut PgConnection,
        event: &'a Event,
    ) -> impl Future<Output = Result<(), BoxError>> + Send + 'a {
        apply(conn, event, &self.clock)
    }
}

/// Links the complaint of one `complaint.created` event where it belongs.
async fn apply(
    conn: &mut PgConnection,
    event: &Event,
    clock: &SharedClock,
) -> Result<(), BoxError> {
    if event.event_type != CREATED {
        return Ok(());
    }
    let Ok(complaint) = names::parse_complaint(&event.subject) else {
        tracing::warn!("a complaint event without a complaint's name; skipped");
        return Ok(());
    };
    let attribute = |key: &str| event.attributes.get(key).map(String::as_str).unwrap_or("");
    let facts = ComplaintFacts {
        product: attribute("product"),
        region: attribute("region"),
        category: attribute("category"),
    };
    let now = clock.now();
    for (crisis, stored) in store::open_scopes(conn).await? {
        let stored: StoredScope = serde_json::from_value(stored).unwrap_or_default();
        let scope = Scope {
            products: stored.products,
            regions: stored.regions,
            categories: stored.categories,
        };
        if !scope.matches(&facts) {
            continue;
        }
        let Some(head) = crises::lock(conn, crisis).await? else {
            continue;
        };
        if head.is_closed() {
            continue;
        }
        let added = store::link_complaints(conn, crisis, &[complaint], "scope", now).await?;
        if added > 0 {
            super::announce_complaints_linked(conn, &head, added, "scope", "system", now)
                .await
                .map_err(|e| BoxError::from(format!("{e:?}")))?;
        }
    }
    Ok(())
}
