//! The selector-link worker: takes a running customer link (a claim with a
//! deadline, so replicas share the work and a dead worker's link is taken
//! over), streams the selector's customers from the customers service, and
//! writes them in batches of `linking.batch` with one set-based statement
//! each, so memory stays flat for a million customers. A link taken over
//! is streamed again from its start; inserts are idempotent. At the end the
//! link is done, and the crisis's counts, timeline and feed say so.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use jiff::{SignedDuration, Timestamp};
use prost::Message as _;
use redress_platform::clock::SharedClock;
use redress_proto::customers::v1 as cpb;
use sqlx::PgPool;
use uuid::Uuid;

use crate::directory::Directories;
use crate::names;
use crate::settings::LinkSettings;
use crate::store::affected::{self as store, Link};
use crate::store::crises;

/// How many names each response of SelectCustomers carries.
const SELECT_BATCH: i32 = 1000;

/// Why a link could not be worked on now (it is retried).
#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("store: {0}")]
    Store(#[from] redress_platform::db::StoreError),
    #[error("api: {0:?}")]
    Api(redress_platform::error::ApiError),
    #[error("customers service: {0:?}")]
    Customers(tonic::Code),
    #[error("the stored selector does not decode")]
    Selector,
}

/// Links customers of running selector links until `shutdown` resolves.
pub async fn run_until(
    pool: PgPool,
    clock: SharedClock,
    directories: Directories,
    settings: Arc<LinkSettings>,
    shutdown: impl Future<Output = ()>,
) {
    let worker = Worker {
        pool,
        clock,
        directories,
        settings,
    };
    let work = async {
        loop {
            match worker.pass().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "linking customers failed; will retry"),
            }
            tokio::time::sleep(Duration::from_millis(worker.settings.poll_ms)).await;
        }
    };
    tokio::select! {
        () = shutdown => {}
        () = work => {}
    }
}

struct Worker {
    pool: PgPool,
    clock: SharedClock,
    directories: Directories,
    settings: Arc<LinkSettings>,
}

impl Worker {
    fn claim_until(&self) -> Timestamp {
        let now = self.clock.now();
        let span =
            SignedDuration::from_secs(i64::try_from(self.settings.claim_seconds).unwrap_or(60));
        now.checked_add(span).unwrap_or(now)
    }

    /// Claims and completes one running link; false when there was none.
    async fn pass(&self) -> Result<bool, LinkError> {
        let mut tx = self.pool.begin().await?;
        let claimed = store::claim_running(&mut tx, self.clock.now(), self.claim_until()).await?;
        tx.commit().await?;
        let Some(link) = claimed else {
            return Ok(false);
        };
        if let Err(error) = self.complete(&link).await {
            // Let the next pass (here or in another replica) start again.
            let released =
                sqlx::query("UPDATE customer_links SET claim_until = NULL WHERE id = $1")
                    .bind(link.id)
                    .execute(&self.pool)
                    .await;
            if let Err(e) = released {
                tracing::warn!(error = %e, "releasing a link's claim failed; it runs out by itself");
            }
            return Err(error);
        }
        Ok(true)
    }

    /// Streams the link's selector into the crisis in batches, then marks it
    /// done.
    async fn complete(&self, link: &Link) -> Result<(), LinkError> {
        let selector = link
            .selector
            .as_deref()
            .map(cpb::CustomerSelector::decode)
            .transpose()
            .map_err(|_| LinkError::Selector)?;
        let mut client = self.directories.customers.clone();
        let mut stream = client
            .select_customers(cpb::SelectCustomersRequest {
                selector,
                batch_size: SELECT_BATCH,
            })
            .await
            .map_err(|s| LinkError::Customers(s.code()))?
            .into_inner();
        let batch = self.settings.batch.max(1);
        let mut pending: Vec<Uuid> = Vec::with_capacity(batch);
        while let Some(response) = stream.next().await {
            let response = response.map_err(|s| LinkError::Customers(s.code()))?;
            for name in response.names {
                match names::parse_customer(&name) {
                    Ok(id) => pending.push(id),
                    Err(_) => tracing::warn!("the customers service sent a malformed name"),
                }
                if pending.len() >= batch {
                    self.write(link, &pending).await?;
                    pending.clear();
                }
            }
        }
        if !pending.is_empty() {
            self.write(link, &pending).await?;
        }
        self.finish(link).await
    }

    /// Writes one batch and the link's progress in one transaction.
    async fn write(&self, link: &Link, ids: &[Uuid]) -> Result<(), LinkError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let linked = store::link_customers(&mut tx, link.crisis_id, ids, link.impact, now).await?;
        let seen = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        store::progress(&mut tx, link.id, seen, linked.added(), self.claim_until()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks the link done, with the crisis's counts, timeline and event.
    async fn finish(&self, link: &Link) -> Result<(), LinkError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let Some(head) = crises::lock(&mut tx, link.crisis_id).await? else {
            return Ok(());
        };
        let Some(done) = store::finish(&mut tx, link.id, now).await? else {
            return Ok(());
        };
        let counts = store::recount(&mut tx, link.crisis_id, now).await?;
        super::announce_customers_linked(&mut tx, &head, &done, counts, "system", now)
            .await
            .map_err(LinkError::Api)?;
        tx.commit().await?;
        Ok(())
    }
}
