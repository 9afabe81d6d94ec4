//! Declaring and running crises: DeclareCrisis (from a warning, a complaint
//! or scratch, with its plan's tasks), GetCrisis, ListCrises, UpdateCrisis,
//! TransitionCrisis (the lifecycle), and the team (AssignCrisisRole,
//! RemoveCrisisMember: exactly one commander, a single spokesperson). Each
//! change writes its timeline entry and its events in its transaction.

use std::collections::BTreeMap;

use jiff::Timestamp;
use redress_platform::audit::AuditEntry;
use redress_platform::auth::{Caller, Role};
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency;
use redress_platform::outbox;
use redress_platform::page::{self, Fingerprint};
use redress_proto::complaints::v1 as kpb;
use redress_proto::crisis::v1 as pb;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::convert::{self, closed, crisis_name, locked_crisis, open_crisis, text};
use super::{CrisisApi, audit};
use crate::domain::crisis::{self, CrisisState, TeamRole};
use crate::domain::plan::{self, Holder, PlanTask};
use crate::domain::warning::{self, Action};
use crate::events::{self, types};
use crate::names;
use crate::store::crises::{self as store, Assessment, NewCrisis};
use crate::store::tasks::{self, NewTask};
use crate::store::team::{self, Member};
use crate::store::timeline::{self, NewEntry};
use crate::store::warnings;
use crate::store::{plans, ts};

/// Those who may act on any crisis as if on its team.
pub(super) const COMMAND: &[Role] = &[Role::CrisisManager, Role::Admin, Role::Service];

/// Longest title.
const MAX_TITLE: usize = 200;
/// Longest subject.
const MAX_SUBJECT: usize = 200;

fn details(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn state_names(states: &[CrisisState]) -> Vec<String> {
    states
        .iter()
        .map(|s| convert::state_to_wire(*s).as_str_name().to_owned())
        .collect()
}

/// The member an AssignCrisisRole names, checked into `v`: their subject,
/// role (none when refused), department and duties, as given. The member's
/// `assign_time` is the service's to set and is not read.
fn team_member(
    v: &mut FieldViolations,
    given: &pb::TeamMember,
) -> (String, Option<TeamRole>, String, String) {
    let subject = text(v, "member.subject", &given.subject, MAX_SUBJECT, true);
    let role = match convert::role_from_wire(given.role) {
        Ok(Some(role)) => Some(role),
        Ok(None) => {
            v.add("member.role", "is required");
            None
        }
        Err(e) => {
            v.add("member.role", e);
            None
        }
    };
    let department = text(v, "member.department", &given.department, 100, false);
    let duties = text(v, "member.duties", &given.duties, 2000, false);
    (subject, role, department, duties)
}

impl CrisisApi {
    /// The crisis as the wire shows it: its row, team, state times,
    /// measures and the next update's due time.
    pub(super) async fn crisis_view(
        &self,
        conn: &mut PgConnection,
        id: Uuid,
    ) -> Result<pb::Crisis, ApiError> {
        let c = store::get(conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Crisis", names::crisis(id)))?;
        let members = team::list(conn, id).await?;
        let states = store::state_times(conn, id).await?;
        let now = self.clock.now();
        let declared = ts(c.create_time);
        let since = |t: Timestamp| convert::duration(t.duration_since(declared));
        let closed_time = states
            .iter()
            .find(|(s, _, _)| s == "closed")
            .map(|(_, latest, _)| *latest);
        let stable_first = states
            .iter()
            .find(|(s, _, _)| s == "stable")
            .map(|(_, _, first)| *first);
        let measures = pb::CrisisMeasures {
            time_to_team: c.team_formed_time.map(|t| since(ts(t))),
            time_to_first_statement: c.first_statement_time.map(|t| since(ts(t))),
            time_to_stable: stable_first.map(since),
            duration: Some(since(closed_time.unwrap_or(now))),
        };
        let next_update_due_time = match (c.last_statement_time, c.state.as_str()) {
            (Some(last), state) if state != "closed" => {
                let every = crate::scheduler::update_cadence(
                    conn,
                    &self.settings,
                    &c.priority,
                    c.plan_template_id.zip(c.plan_template_version),
                )
                .await?;
                every
                    .and_then(|e| ts(last).checked_add(e).ok())
                    .and_then(convert::ts)
            }
            _ => None,
        };
        Ok(pb::Crisis {
            name: names::crisis(c.id),
            title: c.title.clone(),
            r#type: c.crisis_type.clone(),
            likelihood: i32::from(c.likelihood),
            impact: i32::from(c.impact),
            risk_level: convert::risk_to_wire(&c.risk_level),
            priority: convert::priority_to_wire(&c.priority),
            scope: Some(convert::scope_to_wire(&c.scope)),
            drill: c.drill,
            state: convert::state_code_to_wire(&c.state),
            warning: c.warning_id.map(names::warning).unwrap_or_default(),
            complaint: c.complaint_id.map(names::complaint).unwrap_or_default(),
            team: members.iter().map(convert::member).collect(),
            state_times: states
                .iter()
                .map(|(s, latest, _)| pb::StateTime {
                    state: convert::state_code_to_wire(s),
                    enter_time: convert::ts(*latest),
                })
                .collect(),
            measures: Some(measures),
            heavy_customer_count: c.heavy_customer_count,
            normal_customer_count: c.normal_customer_count,
            complaint_count: c.complaint_count,
            declared_by: c.declared_by.clone(),
            create_time: convert::ts(declared),
            update_time: convert::ts(ts(c.update_time)),
            etag: convert::etag(c.version),
            plan_template: c
                .plan_template_id
                .map(names::plan_template)
                .unwrap_or_default(),
            plan_template_version: c.plan_template_version.unwrap_or(0),
            next_update_due_time,
        })
    }

    pub(super) async fn declare_crisis(
        &self,
        caller: &Caller,
        r: pb::DeclareCrisisRequest,
    ) -> Result<pb::DeclareCrisisResponse, ApiError> {
        let mut v = FieldViolations::new();
        let request_id = convert::request_id(&mut v, &r.request_id);
        let Some(given) = r.crisis.as_ref() else {
            v.add("crisis", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let title = text(&mut v, "crisis.title", &given.title, MAX_TITLE, true);
        if !self.settings.crisis_types.contains(&given.r#type) {
            v.add(
                "crisis.type",
                format!("must be one of {}", self.settings.crisis_types.join(", ")),
            );
        }
        let likelihood = v.check("crisis.likelihood", crisis::valid_scale(given.likelihood));
        let impact = v.check("crisis.impact", crisis::valid_scale(given.impact));
        let scope = convert::scope(&mut v, "crisis.scope", given.scope.as_ref());
        let commander = if r.commander.is_empty() {
            caller.acting_subject().to_owned()
        } else {
            text(&mut v, "commander", &r.commander, MAX_SUBJECT, true)
        };
        use pb::declare_crisis_request::Origin;
        let (warning, complaint) = match &r.origin {
            Some(Origin::Warning(name)) => (v.check("warning", names::parse_warning(name)), None),
            Some(Origin::Complaint(name)) => {
                (None, v.check("complaint", names::parse_complaint(name)))
            }
            None => (None, None),
        };
        v.into_result()?;
        let (Some(likelihood), Some(impact)) = (likelihood, impact) else {
            return Err(ApiError::Internal);
        };
        if let Some(complaint) = complaint {
            self.check_complaint(caller, complaint).await?;
        }
        let level = crisis::risk_level(likelihood, impact, &self.settings.risk);
        let priority = level.priority();
        let actor = caller.acting_subject().to_owned();
        let fp = idempotency::fingerprint_of(&r, |r| r.request_id.clear());
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let claim = match convert::claim(&mut tx, "DeclareCrisis", request_id, &caller.subject, &fp)
            .await?
        {
            Ok(claim) => claim,
            Err(answer) => return Ok(answer),
        };
        let id = Uuid::now_v7();
        let origin_warning = match warning {
            Some(warning) => {
                let found = warnings::lock(&mut tx, warning)
                    .await?
                    .ok_or_else(|| ApiError::not_found("Warning", names::warning(warning)))?;
                let state = found.state.at(found.snooze_until, now);
                warning::act(state, Action::Escalate)?;
                Some(found)
            }
            None => None,
        };
        let template = plans::for_type(&mut tx, &given.r#type).await?;
        let c = NewCrisis {
            id,
            title: &title,
            crisis_type: &given.r#type,
            likelihood,
            impact,
            risk_level: level.code(),
            priority: priority.code(),
            scope,
            drill: given.drill,
            warning_id: warning,
            complaint_id: complaint,
            declared_by: &actor,
            plan: template.as_ref().map(|t| (t.id, t.version)),
            now,
        };
        store::insert(&mut tx, &c).await?;
        let head = store::head(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        let codes = head.codes();
        if let Some(found) = origin_warning {
            let escalated = warnings::escalate(&mut tx, found.id, id, &actor, now).await?;
            outbox::append(
                &mut tx,
                events::about_warning(
                    types::WARNING_CHANGED,
                    escalated.id,
                    escalated.source.code(),
                    escalated.state.code(),
                    now,
                    json!({ "warning": names::warning(escalated.id), "crisis": names::crisis(id) }),
                ),
            )
            .await?;
        }
        if let Some(complaint) = complaint {
            store::link_origin_complaint(&mut tx, id, complaint, now).await?;
        }
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "declared",
                actor: &actor,
                summary: format!("Declared as {} ({})", given.r#type, priority.code()),
                details: details(&[
                    ("type", &given.r#type),
                    ("priority", priority.code()),
                    ("risk_level", level.code()),
                    ("drill", if given.drill { "true" } else { "false" }),
                ]),
            },
        )
        .await?;
        team::put(
            &mut tx,
            id,
            &Member {
                subject: commander.clone(),
                role: TeamRole::Commander.code().into(),
                department: String::new(),
                duties: String::new(),
                assign_time: now,
            },
        )
        .await?;
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "role_assigned",
                actor: &actor,
                summary: "Commander named".into(),
                details: details(&[("subject", &commander), ("role", "commander")]),
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::DECLARED,
                id,
                &codes,
                now,
                json!({
                    "crisis": names::crisis(id),
                    "warning": warning.map(names::warning),
                    "complaint": complaint.map(names::complaint),
                    "risk_level": level.code(),
                }),
            ),
        )
        .await?;
        let mut task_ids = Vec::new();
        if let Some(template) = &template {
            let holders = [Holder {
                subject: &commander,
                role: TeamRole::Commander,
                department: "",
            }];
            for stored in &template.tasks {
                let Some(task) = PlanTask::from_stored(stored) else {
                    tracing::error!("a stored plan task names no owner");
                    return Err(ApiError::Internal);
                };
                let owner = plan::owner_of(&task, &holders, &commander);
                let department = match &task.owner {
                    plan::TaskFor::Department(d) => d.as_str(),
                    plan::TaskFor::Role(_) => "",
                };
                let task_id = Uuid::now_v7();
                self.add_task(
                    &mut tx,
                    &head,
                    NewTask {
                        id: task_id,
                        crisis_id: id,
                        title: &task.title,
                        owner,
                        department,
                        due_time: task.due_time(now),
                        from_plan: true,
                        actor: &actor,
                        now,
                    },
                )
                .await?;
                task_ids.push(task_id);
            }
        }
        let crisis = self.crisis_view(&mut tx, id).await?;
        let all = tasks::list(&mut tx, id, &[], None, i64::MAX).await?;
        AuditEntry::by(
            caller,
            audit::CRISIS_DECLARED,
            "DeclareCrisis",
            names::crisis(id),
            now,
        )
        .detail("type", &given.r#type)
        .detail("likelihood", likelihood)
        .detail("impact", impact)
        .detail("commander", &commander)
        .record(&mut tx)
        .await?;
        let answer = pb::DeclareCrisisResponse {
            crisis: Some(crisis),
            tasks: all.iter().map(convert::task).collect(),
        };
        let answer = convert::finish(&mut tx, claim, answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Checks the complaint exists with the complaints service.
    async fn check_complaint(&self, caller: &Caller, complaint: Uuid) -> Result<(), ApiError> {
        let mut client = self.directories.complaints.clone();
        match client
            .get_complaint(crate::directory::for_person(
                kpb::GetComplaintRequest {
                    name: names::complaint(complaint),
                },
                caller,
            )?)
            .await
        {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::NotFound => Err(ApiError::not_found(
                "Complaint",
                names::complaint(complaint),
            )),
            Err(status) => {
                tracing::warn!(code = ?status.code(), "the complaints service did not answer");
                Err(ApiError::Unavailable {
                    reason: "COMPLAINTS_UNAVAILABLE",
                    message: "the complaints service is not reachable; retry later".into(),
                })
            }
        }
    }

    pub(super) async fn get_crisis(
        &self,
        _caller: &Caller,
        r: pb::GetCrisisRequest,
    ) -> Result<pb::GetCrisisResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "name", &r.name);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        Ok(pb::GetCrisisResponse {
            crisis: Some(self.crisis_view(&mut conn, id).await?),
        })
    }

    pub(super) async fn list_crises(
        &self,
        _caller: &Caller,
        r: pb::ListCrisesRequest,
    ) -> Result<pb::ListCrisesResponse, ApiError> {
        let mut v = FieldViolations::new();
        let mut states = Vec::new();
        for (i, s) in v
            .bounded("states", &r.states, convert::MAX_FILTER_VALUES)
            .iter()
            .enumerate()
        {
            match convert::state_from_wire(*s) {
                Ok(Some(s)) => states.push(s.code().to_owned()),
                Ok(None) => v.add(format!("states[{i}]"), "must be specified"),
                Err(e) => v.add(format!("states[{i}]"), e),
            }
        }
        let filter: Vec<u8> = r.states.iter().flat_map(|s| s.to_be_bytes()).collect();
        let fp = Fingerprint::of("ListCrises", &[&filter, &[u8::from(r.exclude_drills)]]);
        let (size, after) = page::page_args(&mut v, r.page_size, &r.page_token, fp);
        let after = after.and_then(|a| v.check("page_token", page::decode_time_id(&a)));
        v.into_result()?;
        let size = size.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let rows = store::list(
            &mut conn,
            &states,
            r.exclude_drills,
            after,
            i64::from(size) + 1,
        )
        .await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |c| {
            page::encode_time_id(ts(c.create_time), c.id)
        });
        let mut crises = Vec::with_capacity(rows.len());
        for c in &rows {
            crises.push(self.crisis_view(&mut conn, c.id).await?);
        }
        Ok(pb::ListCrisesResponse {
            crises,
            next_page_token,
        })
    }

    pub(super) async fn update_crisis(
        &self,
        caller: &Caller,
        r: pb::UpdateCrisisRequest,
    ) -> Result<pb::UpdateCrisisResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "name", &r.name);
        if !r.title.is_empty() {
            text(&mut v, "title", &r.title, MAX_TITLE, true);
        }
        let likelihood = (r.likelihood != 0)
            .then(|| v.check("likelihood", crisis::valid_scale(r.likelihood)))
            .flatten();
        let impact = (r.impact != 0)
            .then(|| v.check("impact", crisis::valid_scale(r.impact)))
            .flatten();
        let scope = r
            .scope
            .as_ref()
            .map(|s| convert::scope(&mut v, "scope", Some(s)));
        convert::require_etag(&mut v, "etag", &r.etag);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let actor = caller.acting_subject().to_owned();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        locked_crisis(&mut tx, id).await?;
        let c = store::get(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        convert::check_etag(&r.etag, c.version)?;
        if c.state == "closed" {
            return Err(closed());
        }
        let likelihood = likelihood.unwrap_or(c.likelihood);
        let impact = impact.unwrap_or(c.impact);
        let level = crisis::risk_level(likelihood, impact, &self.settings.risk);
        let title = if r.title.is_empty() {
            c.title.clone()
        } else {
            r.title.clone()
        };
        let scope = scope.unwrap_or_else(|| c.scope.clone());
        store::update(
            &mut tx,
            id,
            &Assessment {
                title: &title,
                likelihood,
                impact,
                risk_level: level.code(),
                priority: level.priority().code(),
                scope: &scope,
            },
            now,
        )
        .await?;
        let head = store::head(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "updated",
                actor: &actor,
                summary: format!(
                    "Assessment: likelihood {likelihood}, impact {impact}, {}",
                    level.priority().code()
                ),
                details: details(&[
                    ("likelihood", &likelihood.to_string()),
                    ("impact", &impact.to_string()),
                    ("priority", level.priority().code()),
                    ("previous_priority", &c.priority),
                ]),
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::UPDATED,
                id,
                &head.codes(),
                now,
                json!({ "crisis": names::crisis(id), "previous_priority": c.priority }),
            ),
        )
        .await?;
        let crisis = self.crisis_view(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pb::UpdateCrisisResponse {
            crisis: Some(crisis),
        })
    }

    pub(super) async fn transition_crisis(
        &self,
        caller: &Caller,
        r: pb::TransitionCrisisRequest,
    ) -> Result<pb::TransitionCrisisResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "name", &r.name);
        let to = match convert::state_from_wire(r.state) {
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                v.add("state", "is required");
                None
            }
            Err(e) => {
                v.add("state", e);
                None
            }
        };
        let note = text(&mut v, "note", &r.note, 2000, false);
        convert::require_etag(&mut v, "etag", &r.etag);
        v.into_result()?;
        let (Some(id), Some(to)) = (id, to) else {
            return Err(ApiError::Internal);
        };
        let actor = caller.acting_subject().to_owned();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let head = locked_crisis(&mut tx, id).await?;
        let c = store::get(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        convert::check_etag(&r.etag, c.version)?;
        let from = crate::store::code(&head.state, "crisis state", CrisisState::from_code)?;
        if !from.may_become(to) {
            return Err(ApiError::FailedPrecondition {
                reason: "TRANSITION_NOT_ALLOWED",
                message: format!("a {} crisis cannot become {}", from.code(), to.code()),
                allowed: state_names(from.next()),
            });
        }
        if to == CrisisState::Closed {
            let review = crate::store::records::get_review(&mut tx, id, false).await?;
            if review.is_none_or(|r| r.root_cause.trim().is_empty()) {
                return Err(ApiError::FailedPrecondition {
                    reason: "REVIEW_MISSING",
                    message: "the review's root cause must be written before closing".into(),
                    allowed: vec!["UpdateCrisisReview".into()],
                });
            }
        }
        store::set_state(&mut tx, id, to.code(), now, &actor).await?;
        let mut d = details(&[("from", from.code()), ("to", to.code())]);
        if !note.is_empty() {
            d.insert("note".into(), note);
        }
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "state_changed",
                actor: &actor,
                summary: format!("{} → {}", from.code(), to.code()),
                details: d,
            },
        )
        .await?;
        let head = store::head(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::STATE_CHANGED,
                id,
                &head.codes(),
                now,
                json!({ "crisis": names::crisis(id), "from": from.code(), "to": to.code() }),
            ),
        )
        .await?;
        AuditEntry::by(
            caller,
            audit::CRISIS_TRANSITIONED,
            "TransitionCrisis",
            names::crisis(id),
            now,
        )
        .detail("from", from.code())
        .detail("to", to.code())
        .record(&mut tx)
        .await?;
        let crisis = self.crisis_view(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pb::TransitionCrisisResponse {
            crisis: Some(crisis),
        })
    }

    pub(super) async fn assign_crisis_role(
        &self,
        caller: &Caller,
        r: pb::AssignCrisisRoleRequest,
    ) -> Result<pb::AssignCrisisRoleResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "crisis", &r.crisis);
        let request_id = convert::request_id(&mut v, &r.request_id);
        let Some(given) = r.member.as_ref() else {
            v.add("member", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let (subject, role, department, duties) = team_member(&mut v, given);
        v.into_result()?;
        let (Some(id), Some(role)) = (id, role) else {
            return Err(ApiError::Internal);
        };
        let actor = caller.acting_subject().to_owned();
        let fp = idempotency::fingerprint_of(&r, |r| r.request_id.clear());
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let claim = match convert::claim(
            &mut tx,
            "AssignCrisisRole",
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
        let mut previous = String::new();
        if role.is_single()
            && let Some(holder) = team::holder(&mut tx, id, role.code()).await?
            && holder != subject
        {
            let department = team::take_role(&mut tx, id, role.code(), &holder).await?;
            team::keep_as_member(&mut tx, id, &holder, &department, now).await?;
            previous = holder;
        }
        team::put(
            &mut tx,
            id,
            &Member {
                subject: subject.clone(),
                role: role.code().into(),
                department,
                duties,
                assign_time: now,
            },
        )
        .await?;
        let formed = store::mark_team_formed(&mut tx, id, now).await?;
        AuditEntry::by(
            caller,
            audit::TEAM_ROLE_ASSIGNED,
            "AssignCrisisRole",
            names::crisis(id),
            now,
        )
        .detail("subject", &subject)
        .detail("role", role.code())
        .detail("previous", &previous)
        .record(&mut tx)
        .await?;
        store::touch(&mut tx, id, now).await?;
        let mut d = details(&[("subject", &subject), ("role", role.code())]);
        if !previous.is_empty() {
            d.insert("previous".into(), previous.clone());
        }
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "role_assigned",
                actor: &actor,
                summary: format!("Role {} given", role.code()),
                details: d,
            },
        )
        .await?;
        if formed {
            timeline::append(
                &mut tx,
                id,
                now,
                NewEntry {
                    kind: "team_formed",
                    actor: "system",
                    summary: "Commander, communications lead and spokesperson named".into(),
                    details: BTreeMap::new(),
                },
            )
            .await?;
        }
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::TEAM_CHANGED,
                id,
                &head.codes(),
                now,
                json!({ "crisis": names::crisis(id), "change": "assigned", "role": role.code(), "moved": !previous.is_empty() }),
            ),
        )
        .await?;
        let crisis = self.crisis_view(&mut tx, id).await?;
        let answer = convert::finish(
            &mut tx,
            claim,
            pb::AssignCrisisRoleResponse {
                crisis: Some(crisis),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn remove_crisis_member(
        &self,
        caller: &Caller,
        r: pb::RemoveCrisisMemberRequest,
    ) -> Result<pb::RemoveCrisisMemberResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "crisis", &r.crisis);
        let subject = text(&mut v, "subject", &r.subject, MAX_SUBJECT, true);
        let role = v.check("role", convert::role_from_wire(r.role)).flatten();
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let actor = caller.acting_subject().to_owned();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let head = open_crisis(&mut tx, id).await?;
        let held = team::roles_of(&mut tx, id, &subject).await?;
        let leaving: Vec<&String> = held
            .iter()
            .filter(|h| role.is_none_or(|r| r.code() == h.as_str()))
            .collect();
        if leaving.is_empty() {
            return Err(ApiError::not_found(
                "TeamMember",
                format!("{}/team/{subject}", names::crisis(id)),
            ));
        }
        if leaving
            .iter()
            .any(|h| h.as_str() == TeamRole::Commander.code())
        {
            return Err(ApiError::FailedPrecondition {
                reason: "COMMANDER_REQUIRED",
                message: "the commander stays until another is named".into(),
                allowed: vec!["AssignCrisisRole(TEAM_ROLE_COMMANDER) to someone else".into()],
            });
        }
        let left = team::remove(&mut tx, id, &subject, role.map(TeamRole::code)).await?;
        AuditEntry::by(
            caller,
            audit::TEAM_MEMBER_REMOVED,
            "RemoveCrisisMember",
            names::crisis(id),
            now,
        )
        .detail("subject", &subject)
        .detail("roles", left.join(","))
        .record(&mut tx)
        .await?;
        store::touch(&mut tx, id, now).await?;
        timeline::append(
            &mut tx,
            id,
            now,
            NewEntry {
                kind: "member_removed",
                actor: &actor,
                summary: format!("Left the team ({})", left.join(", ")),
                details: details(&[("subject", &subject), ("roles", &left.join(","))]),
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::TEAM_CHANGED,
                id,
                &head.codes(),
                now,
                json!({ "crisis": names::crisis(id), "change": "removed", "roles": left }),
            ),
        )
        .await?;
        let crisis = self.crisis_view(&mut tx, id).await?;
        tx.commit().await?;
        Ok(pb::RemoveCrisisMemberResponse {
            crisis: Some(crisis),
        })
    }
}

#[cfg(test)]
mod props;
