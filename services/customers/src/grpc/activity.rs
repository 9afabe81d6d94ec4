//! Operations on what happens to a customer: transactions (which move grade
//! and stage), interactions, satisfaction answers, and the churn report.

use jiff::{SignedDuration, Timestamp};
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire;
use redress_proto::customers::v1 as pb;
use uuid::Uuid;

use super::enums::{WireEnum, to_wire_opt};
use super::{
    Begun, CustomerApi, convert, customer_id, customer_not_found, fingerprint, finish, request_id,
    required_part,
};
use crate::domain::activity::not_in_future;
use crate::domain::churn::{ChurnReport, Row};
use crate::store::customers as profiles;
use crate::store::{activity as store, churn, outcomes, standing};

impl CustomerApi {
    pub(super) async fn record_transaction(
        &self,
        caller: &Caller,
        request: pb::RecordTransactionRequest,
    ) -> Result<pb::RecordTransactionResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let customer = customer_id(&mut v, "parent", &request.parent);
        let request_id = request_id(&mut v, &request.request_id);
        let transaction = required_part(&mut v, "transaction", request.transaction.as_ref(), |t| {
            convert::new_transaction(t, "transaction", now)
        });
        v.into_result()?;
        let (Some(customer), Some(transaction)) = (customer, transaction) else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&request, |r| r.request_id.clear());

        let (mut tx, claim) = match self
            .begin_on_customer("RecordTransaction", caller, request_id, &fp, customer)
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh { tx, claim } => (tx, claim),
        };
        let id = Uuid::now_v7();
        store::insert_transaction(&mut tx, customer, id, &transaction, now).await?;
        standing::refresh(&mut tx, customer, now, &self.policies).await?;
        let after = profiles::get(&mut tx, customer)
            .await?
            .ok_or(ApiError::Internal)?;
        let response = pb::RecordTransactionResponse {
            transaction: Some(convert::transaction(customer, id, &transaction, now)),
            customer: Some(convert::customer(&after)),
        };
        finish(tx, claim, response).await
    }

    pub(super) async fn record_interaction(
        &self,
        caller: &Caller,
        request: pb::RecordInteractionRequest,
    ) -> Result<pb::RecordInteractionResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let customer = customer_id(&mut v, "parent", &request.parent);
        let request_id = request_id(&mut v, &request.request_id);
        let interaction = match &request.interaction {
            None => {
                v.add("interaction", "is required");
                None
            }
            Some(i) => {
                match convert::new_interaction(i, "interaction", caller.acting_subject(), now) {
                    Ok(i) => Some(i),
                    Err(errors) => {
                        v.merge(errors);
                        None
                    }
                }
            }
        };
        v.into_result()?;
        let (Some(customer), Some(interaction)) = (customer, interaction) else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&request, |r| r.request_id.clear());

        let (mut tx, claim) = match self
            .begin_on_customer("RecordInteraction", caller, request_id, &fp, customer)
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh { tx, claim } => (tx, claim),
        };
        let id = Uuid::now_v7();
        store::insert_interaction(&mut tx, customer, id, &interaction, now).await?;
        let response = pb::RecordInteractionResponse {
            interaction: Some(convert::interaction(
                customer,
                &store::InteractionRecord {
                    id,
                    interaction,
                    create_time: now,
                },
            )),
        };
        finish(tx, claim, response).await
    }

    pub(super) async fn list_interactions(
        &self,
        request: pb::ListInteractionsRequest,
    ) -> Result<pb::ListInteractionsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let customer = customer_id(&mut v, "parent", &request.parent);
        let fingerprint = Fingerprint::of("ListInteractions", &[request.parent.as_bytes()]);
        let (limit, cursor) =
            page::page_args(&mut v, request.page_size, &request.page_token, fingerprint);
        let after = cursor.and_then(|c| v.check("page_token", page::decode_time_id(&c)));
        v.into_result()?;
        let (Some(customer), Some(limit)) = (customer, limit) else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        if !profiles::exists(&mut conn, customer).await? {
            return Err(customer_not_found(customer));
        }
        let rows = store::list_interactions(&mut conn, customer, after, limit + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, limit, fingerprint, |r| {
            page::encode_time_id(r.interaction.occur_time, r.id)
        });
        Ok(pb::ListInteractionsResponse {
            interactions: rows
                .iter()
                .map(|r| convert::interaction(customer, r))
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn record_satisfaction(
        &self,
        caller: &Caller,
        request: pb::RecordSatisfactionRequest,
    ) -> Result<pb::RecordSatisfactionResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let customer = customer_id(&mut v, "parent", &request.parent);
        let request_id = request_id(&mut v, &request.request_id);
        let answer = required_part(&mut v, "record", request.record.as_ref(), |r| {
            convert::new_satisfaction(r, "record", now)
        });
        v.into_result()?;
        let (Some(customer), Some(answer)) = (customer, answer) else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&request, |r| r.request_id.clear());

        let (mut tx, claim) = match self
            .begin_on_customer("RecordSatisfaction", caller, request_id, &fp, customer)
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh { tx, claim } => (tx, claim),
        };
        let id = Uuid::now_v7();
        let (summary, latest) = store::insert_satisfaction(
            &mut tx,
            customer,
            id,
            &answer,
            &self.settings.satisfaction,
            now,
        )
        .await?;
        let response = pb::RecordSatisfactionResponse {
            record: Some(convert::satisfaction_record(customer, id, &answer, now)),
            summary: Some(convert::satisfaction_summary(&summary, latest)),
        };
        finish(tx, claim, response).await
    }

    pub(super) async fn churn_report(
        &self,
        request: pb::GetChurnReportRequest,
    ) -> Result<pb::GetChurnReportResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let time = |field: &str,
                    value: &Option<prost_types::Timestamp>,
                    v: &mut FieldViolations|
         -> Option<Timestamp> {
            match value {
                None => {
                    v.add(field, "is required");
                    None
                }
                Some(t) => v.check(field, wire::from_timestamp(t)),
            }
        };
        let start = time("start_time", &request.start_time, &mut v);
        let end = time("end_time", &request.end_time, &mut v);
        if let (Some(start), Some(end)) = (start, end) {
            if end <= start {
                v.add("end_time", "must be after start_time");
            }
            if !not_in_future(end, now) {
                v.add("end_time", "must not be in the future");
            }
        }
        v.into_result()?;
        let (Some(start), Some(end)) = (start, end) else {
            return Err(ApiError::Internal);
        };
        let length: SignedDuration = end.duration_since(start);
        let previous_start = start.checked_sub(length).map_err(|_| {
            ApiError::invalid(
                "start_time",
                "is too early to compare with the period before",
            )
        })?;
        let mut conn = self.pool.acquire().await?;
        let current = churn::cells(&mut conn, start, end).await?;
        let previous = churn::cells(&mut conn, previous_start, start).await?;
        let report = self.settings.churn.report(&current, &previous);
        Ok(churn_response(
            &report,
            self.settings.churn.rise_threshold_points,
            previous_start,
        ))
    }
}

/// How many customers one GetCustomerOutcomes call may ask about.
const MAX_OUTCOME_QUERIES: usize = 1000;
/// The longest window after a moment that GetCustomerOutcomes looks at.
const MAX_OUTCOME_WINDOW: SignedDuration = SignedDuration::from_hours(3660 * 24);

impl CustomerApi {
    pub(super) async fn outcomes(
        &self,
        request: pb::GetCustomerOutcomesRequest,
    ) -> Result<pb::GetCustomerOutcomesResponse, ApiError> {
        let mut v = FieldViolations::new();
        if request.queries.is_empty() {
            v.add("queries", "is required");
        }
        if request.queries.len() > MAX_OUTCOME_QUERIES {
            v.add(
                "queries",
                format!("holds more than {MAX_OUTCOME_QUERIES} queries"),
            );
        }
        let within = match &request.within {
            None => {
                v.add("within", "is required");
                None
            }
            Some(d) => match (d.seconds, d.nanos) {
                (seconds, nanos)
                    if (0..1_000_000_000).contains(&nanos)
                        && seconds >= 0
                        && (seconds, nanos) != (0, 0)
                        && SignedDuration::new(seconds, nanos) <= MAX_OUTCOME_WINDOW =>
                {
                    Some(SignedDuration::new(seconds, nanos))
                }
                _ => {
                    v.add("within", "must be positive and at most 3660 days");
                    None
                }
            },
        };
        let mut queries = Vec::with_capacity(request.queries.len());
        for (i, q) in request.queries.iter().enumerate() {
            let id = customer_id(&mut v, &format!("queries[{i}].customer"), &q.customer);
            let since = match &q.since_time {
                None => {
                    v.add(format!("queries[{i}].since_time"), "is required");
                    None
                }
                Some(t) => v.check(format!("queries[{i}].since_time"), wire::from_timestamp(t)),
            };
            if let (Some(id), Some(since)) = (id, since) {
                queries.push((id, since));
            }
        }
        v.into_result()?;
        let within = within.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let outcomes = outcomes::outcomes(&mut conn, &queries, within)
            .await?
            .map_err(customer_not_found)?;
        Ok(pb::GetCustomerOutcomesResponse {
            outcomes: outcomes
                .into_iter()
                .map(|o| pb::CustomerOutcome {
                    customer: crate::domain::names::customer(o.customer_id),
                    since_time: Some(wire::timestamp(o.since)),
                    return_time: wire::timestamp_opt(o.return_time),
                    churned_since: o.churned_since,
                    lifecycle_stage: o.stage.to_wire(),
                    value_grade: o.grade.to_wire(),
                })
                .collect(),
        })
    }

    /// Satisfaction answers of up to 1000 customers in two adjoining
    /// periods, summed so that a caller may add up many calls.
    pub(super) async fn satisfaction_tally(
        &self,
        request: pb::SummarizeSatisfactionRequest,
    ) -> Result<pb::SummarizeSatisfactionResponse, ApiError> {
        let pb::SummarizeSatisfactionRequest {
            customers,
            start_time,
            split_time,
            end_time,
        } = request;
        let mut v = FieldViolations::new();
        if customers.is_empty() {
            v.add("customers", "is required");
        }
        if customers.len() > MAX_OUTCOME_QUERIES {
            v.add(
                "customers",
                format!("holds more than {MAX_OUTCOME_QUERIES} customers"),
            );
        }
        let ids: Vec<Uuid> = customers
            .iter()
            .enumerate()
            .filter_map(|(i, name)| customer_id(&mut v, &format!("customers[{i}]"), name))
            .collect();
        let mut time = |field: &str, t: &Option<prost_types::Timestamp>| match t {
            None => {
                v.add(field, "is required");
                None
            }
            Some(t) => v.check(field, wire::from_timestamp(t)),
        };
        let start = time("start_time", &start_time);
        let split = time("split_time", &split_time);
        let end = time("end_time", &end_time);
        if let (Some(start), Some(split)) = (start, split)
            && split <= start
        {
            v.add("split_time", "must be after start_time");
        }
        if let (Some(split), Some(end)) = (split, end)
            && end <= split
        {
            v.add("end_time", "must be after split_time");
        }
        v.into_result()?;
        let (Some(start), Some(split), Some(end)) = (start, split, end) else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        let [before, after] =
            outcomes::satisfaction_tally(&mut conn, &ids, start, split, end).await?;
        let tally = |t: outcomes::Tally| pb::SatisfactionTally {
            answer_count: t.answers,
            customer_count: t.customers,
            ratio_sum: t.ratio_sum,
        };
        Ok(pb::SummarizeSatisfactionResponse {
            before: Some(tally(before)),
            after: Some(tally(after)),
        })
    }
}

fn churn_response(
    report: &ChurnReport,
    threshold: f64,
    previous_start: Timestamp,
) -> pb::GetChurnReportResponse {
    fn row<G>(r: &Row<G>, group: pb::churn_row::Group) -> pb::ChurnRow {
        pb::ChurnRow {
            group: Some(group),
            active_at_start: r.current.active,
            churned: r.current.churned,
            churn_rate_percent: r.current.rate_percent(),
            previous_churn_rate_percent: r.previous.rate_percent(),
            flagged: r.flagged,
        }
    }
    pb::GetChurnReportResponse {
        by_grade: report
            .by_grade
            .iter()
            .map(|r| row(r, pb::churn_row::Group::ValueGrade(r.group.to_wire())))
            .collect(),
        by_size: report
            .by_size
            .iter()
            .map(|r| row(r, pb::churn_row::Group::Size(to_wire_opt(r.group))))
            .collect(),
        warning: report.warning,
        rise_threshold_points: threshold,
        previous_start_time: Some(wire::timestamp(previous_start)),
    }
}
