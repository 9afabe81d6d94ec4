//! The record of a crisis: its timeline (ListTimeline, AddTimelineNote),
//! status reports (conditions, actions, needs; the state stamped), and the
//! review (root cause, what went well and badly, lessons, improvement
//! actions with owners, plan changes) with the satisfaction of its affected
//! customers before and after the declaration, summed from the customers
//! service in batches of 1000.

use std::collections::BTreeMap;

use jiff::Timestamp;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency;
use redress_platform::outbox;
use redress_platform::page::{self, Fingerprint, PageError};
use redress_platform::wire;
use redress_proto::crisis::v1 as pb;
use redress_proto::customers::v1 as cpb;
use serde_json::json;
use uuid::Uuid;

use super::CrisisApi;
use super::convert::{self, closed, crisis_name, known_crisis, locked_crisis, open_crisis, text};
use super::crises::COMMAND;
use crate::events::{self, types};
use crate::names;
use crate::store::crises;
use crate::store::records::{self, Review, ReviewAction, StatusReport};
use crate::store::timeline::{self, NewEntry};
use crate::store::{team, ts};

/// How many affected customers one satisfaction question carries.
const SATISFACTION_BATCH: i64 = 1000;
/// Longest note, report part or review text.
const MAX_TEXT: usize = 4000;

fn encode_sequence(sequence: i64) -> Vec<u8> {
    sequence.to_be_bytes().to_vec()
}

fn decode_sequence(bytes: &[u8]) -> Result<i64, PageError> {
    Ok(i64::from_be_bytes(
        bytes.try_into().map_err(|_| PageError::Malformed)?,
    ))
}

/// Parses `crises/{id}/review`.
fn review_name(v: &mut FieldViolations, field: &str, name: &str) -> Option<Uuid> {
    match name.strip_suffix("/review") {
        Some(crisis) => crisis_name(v, field, crisis),
        None => {
            v.add(field, "must be crises/{crisis}/review");
            None
        }
    }
}

fn texts(v: &mut FieldViolations, field: &str, values: &[String]) -> Vec<String> {
    v.bounded(field, values, 100)
        .iter()
        .enumerate()
        .map(|(i, s)| text(v, &format!("{field}[{i}]"), s, MAX_TEXT, true))
        .collect()
}

impl CrisisApi {
    pub(super) async fn list_timeline(
        &self,
        _caller: &Caller,
        r: pb::ListTimelineRequest,
    ) -> Result<pb::ListTimelineResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "crisis", &r.crisis);
        let fp = Fingerprint::of("ListTimeline", &[r.crisis.as_bytes()]);
        let (size, after) = page::page_args(&mut v, r.page_size, &r.page_token, fp);
        let after = after.and_then(|a| v.check("page_token", decode_sequence(&a)));
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, id).await?;
        let rows = timeline::list(&mut conn, id, after.unwrap_or(0), i64::from(size) + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |e| encode_sequence(e.sequence));
        Ok(pb::ListTimelineResponse {
            entries: rows.iter().map(convert::entry).collect(),
            next_page_token,
        })
    }

    pub(super) async fn add_timeline_note(
        &self,
        caller: &Caller,
        r: pb::AddTimelineNoteRequest,
    ) -> Result<pb::AddTimelineNoteResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "crisis", &r.crisis);
        let note = text(&mut v, "text", &r.text, MAX_TEXT, true);
        let request_id = convert::request_id(&mut v, &r.request_id);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let actor = caller.acting_subject().to_owned();
        let fp = idempotency::fingerprint_of(&r, |r| r.request_id.clear());
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let claim =
            match convert::claim(&mut tx, "AddTimelineNote", request_id, &caller.subject, &fp)
                .await?
            {
                Ok(claim) => claim,
                Err(answer) => return Ok(answer),
            };
        let head = locked_crisis(&mut tx, id).await?;
        if !caller.has_any(COMMAND) && !team::is_member(&mut tx, id, &actor).await? {
            return Err(ApiError::PermissionDenied {
                reason: "NOT_TEAM_MEMBER",
                message: "only the crisis team or those in command add to its timeline".into(),
            });
        }
        if head.is_closed() {
            return Err(closed());
        }
        let sequence = timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "note",
                actor: &actor,
                summary: note,
                details: BTreeMap::new(),
            },
        )
        .await?;
        let entry = timeline::list(&mut tx, id, sequence - 1, 1)
            .await?
            .pop()
            .ok_or(ApiError::Internal)?;
        let answer = pb::AddTimelineNoteResponse {
            entry: Some(convert::entry(&entry)),
        };
        let answer = convert::finish(&mut tx, claim, answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn create_status_report(
        &self,
        caller: &Caller,
        r: pb::CreateStatusReportRequest,
    ) -> Result<pb::CreateStatusReportResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "parent", &r.parent);
        let request_id = convert::request_id(&mut v, &r.request_id);
        let Some(given) = r.status_report.as_ref() else {
            v.add("status_report", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let conditions = text(
            &mut v,
            "status_report.conditions",
            &given.conditions,
            MAX_TEXT,
            true,
        );
        let actions = text(
            &mut v,
            "status_report.actions",
            &given.actions,
            MAX_TEXT,
            true,
        );
        let needs = text(&mut v, "status_report.needs", &given.needs, MAX_TEXT, false);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let actor = caller.acting_subject().to_owned();
        let fp = idempotency::fingerprint_of(&r, |r| r.request_id.clear());
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let claim = match convert::claim(
            &mut tx,
            "CreateStatusReport",
            request_id,
            &caller.subject,
            &fp,
        )
        .await?
        {
            Ok(claim) => claim,
            Err(answer) => return Ok(answer),
        };
        let head = open_crisis(&mut tx, id).await?;
        let report = StatusReport {
            id: Uuid::now_v7(),
            crisis_id: id,
            conditions,
            actions,
            needs,
            state: head.state.clone(),
            author: actor.clone(),
            create_time: now,
        };
        records::insert_status_report(&mut tx, &report).await?;
        let name = names::child(id, "statusReports", report.id);
        let mut details = BTreeMap::new();
        details.insert("status_report".to_owned(), name.clone());
        details.insert("state".to_owned(), head.state.clone());
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "status_reported",
                actor: &actor,
                summary: format!("Status report filed while {}", head.state),
                details,
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::STATUS_REPORTED,
                id,
                &head.codes(),
                now,
                json!({ "status_report": name }),
            ),
        )
        .await?;
        let answer = pb::CreateStatusReportResponse {
            status_report: Some(convert::status_report(&report)),
        };
        let answer = convert::finish(&mut tx, claim, answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn list_status_reports(
        &self,
        _caller: &Caller,
        r: pb::ListStatusReportsRequest,
    ) -> Result<pb::ListStatusReportsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "parent", &r.parent);
        let fp = Fingerprint::of("ListStatusReports", &[r.parent.as_bytes()]);
        let (size, after) = page::page_args(&mut v, r.page_size, &r.page_token, fp);
        let after = after.and_then(|a| v.check("page_token", page::decode_time_id(&a)));
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, id).await?;
        let rows = records::list_status_reports(&mut conn, id, after, i64::from(size) + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |r| {
            page::encode_time_id(r.create_time, r.id)
        });
        Ok(pb::ListStatusReportsResponse {
            status_reports: rows.iter().map(convert::status_report).collect(),
            next_page_token,
        })
    }

    pub(super) async fn get_crisis_review(
        &self,
        caller: &Caller,
        r: pb::GetCrisisReviewRequest,
    ) -> Result<pb::GetCrisisReviewResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = review_name(&mut v, "name", &r.name);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let crisis = crises::get(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Crisis", names::crisis(id)))?;
        let review = records::get_review(&mut conn, id, false).await?;
        let declared = ts(crisis.create_time);
        let end = crises::state_times(&mut conn, id)
            .await?
            .into_iter()
            .find(|(s, _, _)| s == "closed")
            .map(|(_, latest, _)| latest)
            .unwrap_or_else(|| self.clock.now());
        let (before, after) = self
            .satisfaction(caller, &mut conn, id, declared, end)
            .await?;
        let mut answer = convert::review(id, review.as_ref());
        answer.satisfaction_before = Some(before);
        answer.satisfaction_after = Some(after);
        Ok(pb::GetCrisisReviewResponse {
            review: Some(answer),
        })
    }

    /// The affected customers' satisfaction over the same length of time
    /// before the declaration and from it to `end`.
    async fn satisfaction(
        &self,
        caller: &Caller,
        conn: &mut sqlx::PgConnection,
        crisis: Uuid,
        declared: Timestamp,
        end: Timestamp,
    ) -> Result<(pb::SatisfactionPeriod, pb::SatisfactionPeriod), ApiError> {
        let length = end.duration_since(declared);
        let start = declared.checked_sub(length).unwrap_or(declared);
        let mut before = cpb::SatisfactionTally::default();
        let mut after = cpb::SatisfactionTally::default();
        if end > declared {
            let mut last = None;
            loop {
                let ids =
                    records::affected_customer_ids(conn, crisis, last, SATISFACTION_BATCH).await?;
                let Some(tail) = ids.last().copied() else {
                    break;
                };
                last = Some(tail);
                let mut client = self.directories.customers.clone();
                let tally = client
                    .summarize_satisfaction(crate::directory::for_person(
                        cpb::SummarizeSatisfactionRequest {
                            customers: ids.iter().map(|c| names::customer(*c)).collect(),
                            start_time: Some(wire::timestamp(start)),
                            split_time: Some(wire::timestamp(declared)),
                            end_time: Some(wire::timestamp(end)),
                        },
                        caller,
                    )?)
                    .await
                    .map_err(|status| {
                        tracing::warn!(code = ?status.code(), "the customers service did not answer");
                        ApiError::Unavailable {
                            reason: "CUSTOMERS_UNAVAILABLE",
                            message: "the customers service is not reachable; retry later".into(),
                        }
                    })?
                    .into_inner();
                for (sum, part) in [(&mut before, tally.before), (&mut after, tally.after)] {
                    if let Some(part) = part {
                        sum.answer_count += part.answer_count;
                        sum.customer_count += part.customer_count;
                        sum.ratio_sum += part.ratio_sum;
                    }
                }
                if (ids.len() as i64) < SATISFACTION_BATCH {
                    break;
                }
            }
        }
        let period =
            |from: Timestamp, to: Timestamp, t: &cpb::SatisfactionTally| pb::SatisfactionPeriod {
                start_time: convert::ts(from),
                end_time: convert::ts(to),
                answer_count: t.answer_count,
                customer_count: t.customer_count,
                mean_ratio: if t.answer_count > 0 {
                    t.ratio_sum / t.answer_count as f64
                } else {
                    0.0
                },
            };
        Ok((
            period(start, declared, &before),
            period(declared, end, &after),
        ))
    }

    pub(super) async fn update_crisis_review(
        &self,
        caller: &Caller,
        r: pb::UpdateCrisisReviewRequest,
    ) -> Result<pb::UpdateCrisisReviewResponse, ApiError> {
        let mut v = FieldViolations::new();
        let Some(given) = r.review.as_ref() else {
            v.add("review", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let id = review_name(&mut v, "review.name", &given.name);
        let root_cause = text(
            &mut v,
            "review.root_cause",
            &given.root_cause,
            MAX_TEXT,
            false,
        );
        let went_well = texts(&mut v, "review.went_well", &given.went_well);
        let went_badly = texts(&mut v, "review.went_badly", &given.went_badly);
        let lessons = texts(&mut v, "review.lessons", &given.lessons);
        let plan_changes = text(
            &mut v,
            "review.plan_changes",
            &given.plan_changes,
            MAX_TEXT,
            false,
        );
        let mut actions = Vec::new();
        for (i, a) in v
            .bounded("review.actions", &given.actions, 100)
            .iter()
            .enumerate()
        {
            let field = format!("review.actions[{i}]");
            let title = text(&mut v, &format!("{field}.title"), &a.title, 500, true);
            let owner = text(&mut v, &format!("{field}.owner"), &a.owner, 200, true);
            let due_time = a
                .due_time
                .as_ref()
                .and_then(|t| v.check(format!("{field}.due_time"), wire::from_timestamp(t)));
            actions.push(ReviewAction {
                title,
                owner,
                due_time,
            });
        }
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let actor = caller.acting_subject().to_owned();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let head = locked_crisis(&mut tx, id).await?;
        let current = records::get_review(&mut tx, id, true).await?;
        match &current {
            None if !given.etag.is_empty() => convert::check_etag(&given.etag, 0)?,
            None => {}
            Some(current) => convert::check_etag(&given.etag, current.version)?,
        }
        if head.state != "in_review" {
            return Err(ApiError::FailedPrecondition {
                reason: "CRISIS_NOT_IN_REVIEW",
                message: format!(
                    "the review is written while in review; the crisis is {}",
                    head.state
                ),
                allowed: vec!["TransitionCrisis(CRISIS_STATE_IN_REVIEW)".into()],
            });
        }
        let review = Review {
            root_cause,
            went_well,
            went_badly,
            lessons,
            actions,
            plan_changes,
            author: actor.clone(),
            update_time: now,
            version: current.as_ref().map_or(1, |c| c.version + 1),
        };
        records::put_review(&mut tx, id, &review).await?;
        let mut details = BTreeMap::new();
        details.insert("actions".to_owned(), review.actions.len().to_string());
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "review_updated",
                actor: &actor,
                summary: "Review written".into(),
                details,
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::REVIEW_UPDATED,
                id,
                &head.codes(),
                now,
                json!({ "review": format!("{}/review", names::crisis(id)) }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::UpdateCrisisReviewResponse {
            review: Some(convert::review(id, Some(&review))),
        })
    }
}

#[cfg(test)]
mod props;
