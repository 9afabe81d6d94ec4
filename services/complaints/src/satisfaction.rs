//! Survey answers recorded on the customer (customers.RecordSatisfaction),
//! reliably: never before the answer commits and never lost. The service
//! follows its own feed with the platform's outbox [`Consumer`] (cursor and
//! applied events in the complaints schema) for `complaint.survey_answered`,
//! reads the answer from the survey table, and calls the customers service
//! with the survey's id as the `request_id`, so a redelivery (after a crash
//! between the call and the commit) records nothing twice. A failed call
//! rolls the event back and the consumer retries it with backoff.

use redress_platform::outbox::{BoxError, Consumer, Event, EventHandler, Feed, FeedSettings};
use sqlx::{PgConnection, PgPool};

use crate::directory::{CustomerDirectory, SatisfactionAnswer};
use crate::domain::names;
use crate::events::types;
use crate::store;

/// The consumer's key in `feed_cursors` and `applied_events`.
pub const FEED: &str = "complaints.satisfaction";

/// Records each answered survey on its customer.
#[derive(Debug, Clone)]
pub struct SatisfactionRecorder {
    directory: CustomerDirectory,
}

impl SatisfactionRecorder {
    /// A recorder calling `directory`.
    pub fn new(directory: CustomerDirectory) -> Self {
        Self { directory }
    }
}

impl EventHandler for SatisfactionRecorder {
    async fn handle(&mut self, conn: &mut PgConnection, event: &Event) -> Result<(), BoxError> {
        if event.event_type != types::SURVEY_ANSWERED {
            return Ok(());
        }
        let survey = event
            .payload
            .get("survey")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let customer = event
            .attributes
            .get("customer")
            .map(String::as_str)
            .unwrap_or_default();
        let (Ok((complaint_id, survey_id)), Ok(customer)) =
            (names::parse_survey(survey), names::parse_customer(customer))
        else {
            tracing::error!(event = %event.id, "a survey_answered event without its survey or customer; skipped");
            return Ok(());
        };
        let Some(stored) = store::surveys::get(conn, complaint_id, survey_id).await? else {
            tracing::error!(event = %event.id, "an answered survey is not stored; skipped");
            return Ok(());
        };
        let (Some(answer), Some(answer_time)) = (stored.answer, stored.answer_time) else {
            tracing::error!(event = %event.id, "an answered survey has no answer; skipped");
            return Ok(());
        };
        self.directory
            .record_satisfaction(
                customer,
                SatisfactionAnswer {
                    survey_id,
                    complaint_id,
                    perceived_value: answer.perceived_value,
                    expectation: answer.expectation,
                    answer_time,
                },
            )
            .await
            .map_err(|error| -> BoxError { format!("RecordSatisfaction: {error:?}").into() })?;
        tracing::info!(survey = %survey, "recorded a survey answer on the customer");
        Ok(())
    }
}

/// The consumer of this service's own feed that records answers on
/// customers.
pub fn consumer(
    pool: PgPool,
    directory: CustomerDirectory,
) -> Consumer<Feed, SatisfactionRecorder> {
    let feed = Feed::new(pool.clone(), FeedSettings::default());
    Consumer::new(pool, FEED, feed, SatisfactionRecorder::new(directory))
        .with_types(vec![types::SURVEY_ANSWERED.to_owned()])
}
