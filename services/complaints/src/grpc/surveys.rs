//! Satisfaction surveys: the invitation made when the customer accepts a
//! resolution (a random token announced to notifications, only its SHA-256
//! kept), the one answer per invitation, and reading them back (never the
//! token). An answer goes into the complaint's history and onto the feed;
//! [`crate::satisfaction`] records it on the customer once it is committed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire;
use redress_proto::complaints::v1 as pb;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::paging::{decode_time_id, encode_time_id, page_args};
use super::{Begun, ComplaintApi, Work, complaint_id, fingerprint, request_id};
use crate::domain::names;
use crate::domain::survey::{self, Answer, GivenAnswer, Stored, SurveyState, WouldReturn};
use crate::events::types;
use crate::store::surveys::{self, Survey};

/// Random bytes in a token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// The SHA-256 a token is kept as.
fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl ComplaintApi {
    /// Invites the customer to a survey of the complaint being resolved, in
    /// its transaction: earlier unanswered invitations are withdrawn, and
    /// the new one is announced with its token (which only the event
    /// carries).
    pub(super) async fn invite_survey(&self, work: &mut Work) -> Result<(), ApiError> {
        self.withdraw_surveys(work).await?;
        let mut bytes = [0_u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let id = Uuid::now_v7();
        let expire_time = work
            .now
            .checked_add(self.policies.surveys.validity)
            .map_err(|_| ApiError::Internal)?;
        surveys::invite(
            &mut work.tx,
            id,
            work.after.id,
            &token_hash(&token),
            work.now,
            expire_time,
        )
        .await?;
        let name = names::survey(work.after.id, id);
        work.note_change("surveys", "", name.clone());
        work.announce(
            types::SURVEY_INVITED,
            json!({
                "survey": name,
                "survey_token": token,
                "expire_time": expire_time.to_string(),
            }),
        );
        Ok(())
    }

    /// Withdraws the complaint's unanswered invitations (a reopening, or a
    /// new invitation), announcing it when there were any.
    pub(super) async fn withdraw_surveys(&self, work: &mut Work) -> Result<(), ApiError> {
        let withdrawn = surveys::withdraw_open(&mut work.tx, work.after.id, work.now).await?;
        if withdrawn.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = withdrawn
            .iter()
            .map(|id| names::survey(work.after.id, *id))
            .collect();
        for name in &names {
            work.note_change("surveys", name.clone(), "");
        }
        work.announce(types::SURVEYS_WITHDRAWN, json!({ "surveys": names }));
        Ok(())
    }

    pub(super) async fn answer_survey(
        &self,
        caller: &Caller,
        r: pb::AnswerSurveyRequest,
    ) -> Result<pb::AnswerSurveyResponse, ApiError> {
        let mut v = FieldViolations::new();
        let token = r.survey_token.trim();
        if token.is_empty() {
            v.add("survey_token", "is required");
        } else if token.len() > 256 {
            v.add("survey_token", "is not a survey token");
        }
        let request_id = request_id(&mut v, &r.request_id);
        let answer = match &r.answer {
            None => {
                v.add("answer", "is required");
                None
            }
            Some(given) => {
                let would_return = match pb::WouldReturn::try_from(given.would_return) {
                    Ok(pb::WouldReturn::Yes) => Some(WouldReturn::Yes),
                    Ok(pb::WouldReturn::Unsure) => Some(WouldReturn::Unsure),
                    Ok(pb::WouldReturn::No) => Some(WouldReturn::No),
                    Ok(pb::WouldReturn::Unspecified) | Err(_) => None,
                };
                let parsed = Answer::parse(
                    GivenAnswer {
                        csat: given.csat,
                        perceived_value: given.perceived_value,
                        expectation: given.expectation,
                        would_return,
                        comment: &given.comment,
                    },
                    self.policies.surveys.scale_max,
                );
                match parsed {
                    Ok(answer) => Some(answer),
                    Err(bad) => {
                        for (field, why) in bad {
                            v.add(format!("answer.{field}"), why);
                        }
                        None
                    }
                }
            }
        };
        v.into_result()?;
        let answer = answer.ok_or(ApiError::Internal)?;
        let hash = token_hash(token);
        let found = {
            let mut conn = self.pool.acquire().await?;
            surveys::by_token(&mut conn, &hash).await?
        };
        let Some(found) = found else {
            return Err(ApiError::not_found("Survey", "the survey of this token"));
        };
        let fp = fingerprint(&r, |r| r.request_id.clear());
        let mut work = match self
            .begin(
                "AnswerSurvey",
                caller,
                request_id,
                &fp,
                found.complaint_id,
                "",
            )
            .await?
        {
            Begun::Replay(answer) => return Ok(answer),
            Begun::Fresh(work) => work,
        };
        let survey = surveys::lock(&mut work.tx, found.complaint_id, found.id)
            .await?
            .ok_or(ApiError::Internal)?;
        let name = names::survey(survey.complaint_id, survey.id);
        match survey::state_at(survey.stored, survey.expire_time, work.now) {
            SurveyState::Invited => {}
            SurveyState::Answered => {
                return Err(ApiError::FailedPrecondition {
                    reason: "SURVEY_ALREADY_ANSWERED",
                    message: format!("{name} was answered already; one answer per invitation"),
                    allowed: vec!["GetSurvey".into()],
                });
            }
            SurveyState::Expired => {
                return Err(ApiError::FailedPrecondition {
                    reason: "SURVEY_EXPIRED",
                    message: format!("{name} lapsed at {}", survey.expire_time),
                    allowed: vec!["GetSurvey".into()],
                });
            }
            SurveyState::Withdrawn => {
                return Err(ApiError::FailedPrecondition {
                    reason: "SURVEY_WITHDRAWN",
                    message: format!(
                        "{name} was withdrawn when the complaint was reopened; \
                         a new invitation follows its next resolution"
                    ),
                    allowed: vec!["GetSurvey".into()],
                });
            }
        }
        let recorded_by = work.acting.subject.clone();
        if !surveys::answer(&mut work.tx, survey.id, &answer, &recorded_by, work.now).await? {
            return Err(ApiError::Internal);
        }
        let answered = Survey {
            stored: Stored::Answered,
            answer: Some(answer.clone()),
            answer_time: Some(work.now),
            recorded_by,
            ..survey
        };
        work.note_change(&format!("{name}.state"), "invited", "answered");
        work.note_change(&format!("{name}.csat"), "", answer.csat.to_string());
        work.announce(
            types::SURVEY_ANSWERED,
            json!({
                "survey": name,
                "csat": answer.csat,
                "satisfaction_ratio": answer.ratio(),
                "would_return": answer.would_return.code(),
            }),
        );
        let wire = to_wire(&answered, work.now);
        self.complete(work, "survey_answered", |_| pb::AnswerSurveyResponse {
            survey: Some(wire),
        })
        .await
    }

    pub(super) async fn get_survey(
        &self,
        caller: &Caller,
        r: pb::GetSurveyRequest,
    ) -> Result<pb::GetSurveyResponse, ApiError> {
        let mut v = FieldViolations::new();
        let ids = v.check("name", names::parse_survey(&r.name));
        v.into_result()?;
        let (complaint, id) = ids.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let survey = surveys::get(&mut conn, complaint, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Survey", r.name.clone()))?;
        super::queries::require_in_scope(&mut conn, caller, complaint).await?;
        Ok(pb::GetSurveyResponse {
            survey: Some(to_wire(&survey, self.clock.now())),
        })
    }

    pub(super) async fn list_surveys(
        &self,
        caller: &Caller,
        r: pb::ListSurveysRequest,
    ) -> Result<pb::ListSurveysResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = complaint_id(&mut v, "parent", &r.parent);
        let fp = Fingerprint::of("ListSurveys", &[r.parent.as_bytes()]);
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|bytes| decode_time_id(&bytes)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        self.require_complaint(&mut conn, caller, id).await?;
        let rows = surveys::list(&mut conn, id, after, size + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |s| encode_time_id(s.invite_time, s.id));
        let now = self.clock.now();
        Ok(pb::ListSurveysResponse {
            surveys: rows.iter().map(|s| to_wire(s, now)).collect(),
            next_page_token,
        })
    }
}

/// A survey on the wire at `now` (expired once past its expiry).
fn to_wire(s: &Survey, now: jiff::Timestamp) -> pb::Survey {
    let state = match survey::state_at(s.stored, s.expire_time, now) {
        SurveyState::Invited => pb::SurveyState::Invited,
        SurveyState::Answered => pb::SurveyState::Answered,
        SurveyState::Expired => pb::SurveyState::Expired,
        SurveyState::Withdrawn => pb::SurveyState::Withdrawn,
    };
    pb::Survey {
        name: names::survey(s.complaint_id, s.id),
        state: state.into(),
        invite_time: Some(wire::timestamp(s.invite_time)),
        expire_time: Some(wire::timestamp(s.expire_time)),
        answer: s.answer.as_ref().map(|a| pb::SurveyAnswer {
            csat: i32::from(a.csat),
            perceived_value: a.perceived_value,
            expectation: a.expectation,
            satisfaction_ratio: a.ratio(),
            would_return: match a.would_return {
                WouldReturn::Yes => pb::WouldReturn::Yes,
                WouldReturn::Unsure => pb::WouldReturn::Unsure,
                WouldReturn::No => pb::WouldReturn::No,
            }
            .into(),
            comment: a.comment.clone(),
            answer_time: wire::timestamp_opt(s.answer_time),
            recorded_by: s.recorded_by.clone(),
        }),
        withdraw_time: wire::timestamp_opt(s.withdraw_time),
    }
}
