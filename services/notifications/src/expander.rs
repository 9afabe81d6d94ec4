//! The broadcast expander: turns an expanding broadcast's audience into
//! queued messages, a batch per transaction. Each message's dedupe key is
//! (broadcast, recipient), so an expansion that dies half-way (its claim
//! lapses) is simply run again by any replica and queues only what is
//! missing. A cancelled broadcast stops at the next batch. Members added
//! as `first` are queued, at a higher priority, before the rest.

use std::time::Duration;

use futures::StreamExt as _;
use jiff::SignedDuration;
use prost::Message as _;
use redress_platform::clock::SharedClock;
use redress_proto::customers::v1 as cpb;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::directory::CustomerDirectory;
use crate::domain::channel::Channel;
use crate::domain::delivery::priority;
use crate::domain::recipient::Recipient;
use crate::store::StoreError;
use crate::store::broadcasts::{self, AudienceRow, BroadcastRow};
use crate::store::messages::{self, NewMessage};

/// Expands broadcasts.
#[derive(Debug, Clone)]
pub struct Expander {
    pool: PgPool,
    clock: SharedClock,
    directory: CustomerDirectory,
    batch: u32,
    /// How long an expansion's claim lasts without progress.
    claim: SignedDuration,
}

/// Why an expansion stopped (it is picked up again when its claim lapses).
#[derive(Debug, thiserror::Error)]
pub enum ExpandError {
    /// This service's database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The customers service.
    #[error("the customers service answered {0:?}")]
    Customers(tonic::Code),
    /// The stored selector does not decode.
    #[error("the stored selector does not decode")]
    Selector,
}

impl From<sqlx::Error> for ExpandError {
    fn from(error: sqlx::Error) -> Self {
        ExpandError::Store(error.into())
    }
}

impl Expander {
    /// An expander queueing `batch` messages per transaction, whose claim
    /// on a broadcast lapses after `claim` without progress.
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        directory: CustomerDirectory,
        batch: u32,
        claim: Duration,
    ) -> Self {
        Self {
            pool,
            clock,
            directory,
            batch,
            claim: SignedDuration::try_from(claim).unwrap_or(SignedDuration::MAX),
        }
    }

    /// Expands whatever is waiting, until `shutdown`.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>, poll: Duration) {
        let work = async {
            loop {
                match self.expand_one().await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(%error, "a broadcast expansion stopped; it will be resumed")
                    }
                }
                tokio::time::sleep(poll).await;
            }
        };
        tokio::select! {
            () = shutdown => {}
            () = work => {}
        }
    }

    /// Expands one waiting broadcast; false when none waits.
    pub async fn expand_one(&self) -> Result<bool, ExpandError> {
        let now = self.clock.now();
        let Some(broadcast) =
            broadcasts::claim_expanding(&self.pool, now, now + self.claim).await?
        else {
            return Ok(false);
        };
        let queued = match &broadcast.audience {
            AudienceRow::Customers | AudienceRow::Assembled => {
                let mut total = 0;
                for first in [true, false] {
                    let mut after = String::new();
                    loop {
                        let names = broadcasts::members(
                            &self.pool,
                            broadcast.id,
                            first,
                            &after,
                            self.batch,
                        )
                        .await?;
                        let Some(last) = names.last().cloned() else {
                            break;
                        };
                        match self.queue(&broadcast, names, first).await? {
                            Some(n) => total += n,
                            None => return Ok(true),
                        }
                        after = last;
                    }
                }
                total
            }
            AudienceRow::Selector(bytes) => {
                let selector = cpb::CustomerSelector::decode(bytes.as_slice())
                    .map_err(|_| ExpandError::Selector)?;
                let mut stream = self
                    .directory
                    .select(selector)
                    .await
                    .map_err(|s| ExpandError::Customers(s.code()))?;
                let mut total = 0;
                while let Some(batch) = stream.next().await {
                    let ids = batch.map_err(|s| ExpandError::Customers(s.code()))?;
                    let names = ids
                        .into_iter()
                        .map(|id: Uuid| Recipient::Customer(id).to_string())
                        .collect();
                    match self.queue(&broadcast, names, false).await? {
                        Some(n) => total += n,
                        None => return Ok(true),
                    }
                }
                total
            }
        };
        broadcasts::expanded(&self.pool, broadcast.id, self.clock.now()).await?;
        tracing::info!(broadcast = %broadcast.id, queued, "broadcast expanded");
        Ok(true)
    }

    /// Queues one batch (of `first` members or not) and renews the claim
    /// in one transaction; `None` when the broadcast was cancelled meanwhile.
    async fn queue(
        &self,
        b: &BroadcastRow,
        names: Vec<String>,
        first: bool,
    ) -> Result<Option<u64>, ExpandError> {
        let channels: Vec<Channel> = b
            .channels
            .iter()
            .filter_map(|c| Channel::from_code(c))
            .collect();
        let batch: Vec<NewMessage> = names
            .into_iter()
            .map(|recipient| NewMessage {
                id: Uuid::now_v7(),
                dedupe_key: format!("broadcast:{}:{recipient}", b.id),
                recipient,
                kind: b.kind.clone(),
                category: b.category.clone(),
                critical: b.critical,
                priority: priority(b.critical, first),
                variables: None::<Value>,
                channels: channels.clone(),
                complaint_id: None,
                broadcast_id: Some(b.id),
                created_by: b.created_by.clone(),
            })
            .collect();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let queued = messages::enqueue(&mut tx, &batch, now).await?;
        if !broadcasts::renew(&mut tx, b.id, now + self.claim, queued).await? {
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(queued))
    }
}
