//! Contingency plans and crisis tasks: plan templates per crisis type
//! (CreatePlanTemplate, UpdatePlanTemplate as a new version with its note,
//! GetPlanTemplate, ListPlanTemplates) and the tasks of a crisis, each with
//! one owner, one due time and a ledger of every owner change
//! (CreateCrisisTask, ReassignCrisisTask, CompleteCrisisTask,
//! ListCrisisTasks).

use std::collections::BTreeMap;

use jiff::SignedDuration;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency;
use redress_platform::outbox;
use redress_platform::page::{self, Fingerprint};
use redress_proto::crisis::v1 as pb;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::CrisisApi;
use super::convert::{self, closed, crisis_name, known_crisis, locked_crisis, open_crisis, text};
use super::crises::COMMAND;
use crate::domain::plan::{
    MAX_TASK_TITLE, PlanTask, PriorityCode, StoredCadence, TaskFor, TaskState,
};
use crate::events::{self, types};
use crate::names;
use crate::store::crises::Head;
use crate::store::plans::{self, Template};
use crate::store::tasks::{self, NewTask, Task};
use crate::store::timeline::{self, NewEntry};

/// Most tasks a plan template may hold.
const MAX_TASKS: usize = 200;
/// Most update cadences a plan template may hold (one per priority, and
/// repeats are refused).
const MAX_CADENCES: usize = 10;

/// Longest span a plan sets (a task's `due_after`, a cadence's `every`):
/// a year, so a due time is always a time (never past the calendar's end,
/// which would leave the task due at the declaration or the update never
/// due).
const MAX_PLAN_SPAN: SignedDuration = SignedDuration::from_hours(366 * 24);

/// A plan's span in `field`: required, positive, whole seconds (as it is
/// stored, so it reads back as given) and at most [`MAX_PLAN_SPAN`]; one
/// violation otherwise.
fn plan_span(
    v: &mut FieldViolations,
    field: &str,
    given: Option<&prost_types::Duration>,
) -> Option<SignedDuration> {
    let problem = match given.map(convert::from_duration) {
        None => "is required",
        Some(Err(e)) => e,
        Some(Ok(d)) if d <= SignedDuration::ZERO => "must be positive",
        Some(Ok(d)) if d.subsec_nanos() != 0 => "must be a whole number of seconds",
        Some(Ok(d)) if d > MAX_PLAN_SPAN => "must be at most 366 days",
        Some(Ok(d)) => return Some(d),
    };
    v.add(field, problem);
    None
}

/// Checks a template's title, guidance, tasks and cadences.
fn template_content(
    v: &mut FieldViolations,
    t: &pb::PlanTemplate,
) -> (Vec<PlanTask>, Vec<StoredCadence>) {
    text(v, "plan_template.title", &t.title, 200, true);
    text(v, "plan_template.guidance", &t.guidance, 20_000, false);
    let mut tasks = Vec::new();
    for (i, task) in v
        .bounded("plan_template.tasks", &t.tasks, MAX_TASKS)
        .iter()
        .enumerate()
    {
        let field = format!("plan_template.tasks[{i}]");
        let title = text(
            v,
            &format!("{field}.title"),
            &task.title,
            MAX_TASK_TITLE,
            true,
        );
        let due_after = plan_span(v, &format!("{field}.due_after"), task.due_after.as_ref());
        // `None` when the number is refused (named once, here), else the
        // role or none.
        let role = v.check(format!("{field}.role"), convert::role_from_wire(task.role));
        let department = text(
            v,
            &format!("{field}.department"),
            &task.department,
            100,
            false,
        );
        let owner = match (role, department.trim().is_empty()) {
            (None, _) => None,
            (Some(Some(role)), true) => Some(TaskFor::Role(role)),
            (Some(None), false) => Some(TaskFor::Department(department.clone())),
            _ => {
                v.add(
                    format!("{field}.role"),
                    "exactly one of role and department must be given",
                );
                None
            }
        };
        if let (Some(owner), Some(due_after)) = (owner, due_after) {
            tasks.push(PlanTask {
                title,
                owner,
                due_after,
            });
        }
    }
    let mut cadences: Vec<StoredCadence> = Vec::new();
    let mut listed = Vec::new();
    for (i, c) in v
        .bounded(
            "plan_template.update_cadences",
            &t.update_cadences,
            MAX_CADENCES,
        )
        .iter()
        .enumerate()
    {
        let field = format!("plan_template.update_cadences[{i}]");
        let priority = match convert::priority_from_wire(c.priority) {
            Ok(Some(p)) => Some(p),
            Ok(None) => {
                v.add(format!("{field}.priority"), "is required");
                None
            }
            Err(e) => {
                v.add(format!("{field}.priority"), e);
                None
            }
        };
        // A repeat is named whether or not its span is good.
        let priority = priority.filter(|p| {
            let first = !listed.contains(p);
            if first {
                listed.push(*p);
            } else {
                v.add(format!("{field}.priority"), "is listed twice");
            }
            first
        });
        let every = plan_span(v, &format!("{field}.every"), c.every.as_ref());
        if let (Some(p), Some(every)) = (priority, every) {
            cadences.push(StoredCadence {
                priority: PriorityCode::from(p),
                every_seconds: every.as_secs(),
            });
        }
    }
    (tasks, cadences)
}

/// The task a CreateCrisisTask asks for, checked into `v`: its title,
/// owner, department (as given) and due time (none when refused). The rest
/// of the message (name, state, ledger, times) is the service's to set and
/// is not read.
fn new_task(
    v: &mut FieldViolations,
    given: &pb::CrisisTask,
) -> (String, String, String, Option<jiff::Timestamp>) {
    let title = text(v, "task.title", &given.title, MAX_TASK_TITLE, true);
    let owner = text(v, "task.owner", &given.owner, 200, true);
    let department = text(v, "task.department", &given.department, 100, false);
    let due_time = convert::timestamp(v, "task.due_time", given.due_time.as_ref());
    (title, owner, department, due_time)
}

fn template_to_wire(t: &Template) -> pb::PlanTemplate {
    pb::PlanTemplate {
        name: names::plan_template(t.id),
        crisis_type: t.crisis_type.clone(),
        title: t.title.clone(),
        guidance: t.guidance.clone(),
        tasks: t
            .tasks
            .iter()
            .filter_map(PlanTask::from_stored)
            .map(|t| convert::plan_task(&t))
            .collect(),
        update_cadences: t.cadences.iter().map(convert::cadence).collect(),
        version: t.version,
        create_time: convert::ts(t.create_time),
        update_time: convert::ts(t.update_time),
        etag: convert::etag(i64::from(t.version)),
    }
}

/// Parses `crises/{c}/tasks/{t}`.
fn task_name(v: &mut FieldViolations, field: &str, name: &str) -> Option<(Uuid, Uuid)> {
    v.check(field, names::parse_child(name, "tasks"))
}

impl CrisisApi {
    /// Creates a task with its first ledger entry, its timeline entry and
    /// its event, in the caller's transaction.
    pub(super) async fn add_task(
        &self,
        conn: &mut PgConnection,
        head: &Head,
        task: NewTask<'_>,
    ) -> Result<(), ApiError> {
        tasks::insert(conn, &task).await?;
        let name = names::child(task.crisis_id, "tasks", task.id);
        let mut details = BTreeMap::new();
        details.insert("task".to_owned(), name.clone());
        details.insert("owner".to_owned(), task.owner.to_owned());
        details.insert("due_time".to_owned(), task.due_time.to_string());
        timeline::append(
            conn,
            task.crisis_id,
            task.now,
            NewEntry {
                kind: "task_created",
                actor: task.actor,
                summary: format!("Task created: {}", task.title),
                details,
            },
        )
        .await?;
        outbox::append(
            conn,
            events::about_crisis(
                types::TASK_CREATED,
                task.crisis_id,
                &head.codes(),
                task.now,
                json!({
                    "task": name,
                    "due_time": task.due_time.to_string(),
                    "from_plan": task.from_plan,
                }),
            ),
        )
        .await?;
        Ok(())
    }

    pub(super) async fn create_plan_template(
        &self,
        caller: &Caller,
        r: pb::CreatePlanTemplateRequest,
    ) -> Result<pb::CreatePlanTemplateResponse, ApiError> {
        let mut v = FieldViolations::new();
        let request_id = convert::request_id(&mut v, &r.request_id);
        let Some(given) = r.plan_template.as_ref() else {
            v.add("plan_template", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        if !self.settings.crisis_types.contains(&given.crisis_type) {
            v.add(
                "plan_template.crisis_type",
                format!("must be one of {}", self.settings.crisis_types.join(", ")),
            );
        }
        let (tasks, cadences) = template_content(&mut v, given);
        v.into_result()?;
        let actor = caller.acting_subject().to_owned();
        let fp = idempotency::fingerprint_of(&r, |r| r.request_id.clear());
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let claim = match convert::claim(
            &mut tx,
            "CreatePlanTemplate",
            request_id,
            &caller.subject,
            &fp,
        )
        .await?
        {
            Ok(claim) => claim,
            Err(answer) => return Ok(answer),
        };
        if plans::for_type(&mut tx, &given.crisis_type)
            .await?
            .is_some()
        {
            return Err(ApiError::AlreadyExists {
                reason: "PLAN_TEMPLATE_EXISTS",
                message: format!(
                    "the type {} has a plan template; update it instead",
                    given.crisis_type
                ),
            });
        }
        let template = Template {
            id: Uuid::now_v7(),
            crisis_type: given.crisis_type.clone(),
            title: given.title.clone(),
            guidance: given.guidance.clone(),
            tasks: tasks.iter().map(PlanTask::stored).collect(),
            cadences,
            version: 1,
            create_time: now,
            update_time: now,
        };
        match plans::insert(&mut tx, &template, &actor).await {
            Err(e) if e.violates("plan_templates_crisis_type_key") => {
                return Err(ApiError::AlreadyExists {
                    reason: "PLAN_TEMPLATE_EXISTS",
                    message: format!("the type {} has a plan template", given.crisis_type),
                });
            }
            other => other?,
        }
        let answer = pb::CreatePlanTemplateResponse {
            plan_template: Some(template_to_wire(&template)),
        };
        let answer = convert::finish(&mut tx, claim, answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn update_plan_template(
        &self,
        caller: &Caller,
        r: pb::UpdatePlanTemplateRequest,
    ) -> Result<pb::UpdatePlanTemplateResponse, ApiError> {
        let mut v = FieldViolations::new();
        let Some(given) = r.plan_template.as_ref() else {
            v.add("plan_template", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let id = v.check(
            "plan_template.name",
            names::parse_plan_template(&given.name),
        );
        convert::require_etag(&mut v, "plan_template.etag", &given.etag);
        let (tasks, cadences) = template_content(&mut v, given);
        text(&mut v, "change_note", &r.change_note, 2000, false);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let actor = caller.acting_subject().to_owned();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let mut template = plans::get(&mut tx, id, true)
            .await?
            .ok_or_else(|| ApiError::not_found("PlanTemplate", given.name.clone()))?;
        convert::check_etag(&given.etag, i64::from(template.version))?;
        if !given.crisis_type.is_empty() && given.crisis_type != template.crisis_type {
            return Err(ApiError::invalid(
                "plan_template.crisis_type",
                "cannot change; a template stays with its type",
            ));
        }
        template.title = given.title.clone();
        template.guidance = given.guidance.clone();
        template.tasks = tasks.iter().map(PlanTask::stored).collect();
        template.cadences = cadences;
        template.version += 1;
        template.update_time = now;
        plans::update(&mut tx, &template, &r.change_note, &actor).await?;
        tx.commit().await?;
        Ok(pb::UpdatePlanTemplateResponse {
            plan_template: Some(template_to_wire(&template)),
        })
    }

    pub(super) async fn get_plan_template(
        &self,
        _caller: &Caller,
        r: pb::GetPlanTemplateRequest,
    ) -> Result<pb::GetPlanTemplateResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = v.check("name", names::parse_plan_template(&r.name));
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let template = plans::get(&mut conn, id, false)
            .await?
            .ok_or_else(|| ApiError::not_found("PlanTemplate", r.name.clone()))?;
        Ok(pb::GetPlanTemplateResponse {
            plan_template: Some(template_to_wire(&template)),
        })
    }

    pub(super) async fn list_plan_templates(
        &self,
        _caller: &Caller,
        r: pb::ListPlanTemplatesRequest,
    ) -> Result<pb::ListPlanTemplatesResponse, ApiError> {
        let mut v = FieldViolations::new();
        let fp = Fingerprint::of("ListPlanTemplates", &[]);
        let (size, after) = page::page_args(&mut v, r.page_size, &r.page_token, fp);
        let after = after.and_then(|a| v.check("page_token", page::decode_time_id(&a)));
        v.into_result()?;
        let size = size.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let rows = plans::list(&mut conn, after, i64::from(size) + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |t| {
            page::encode_time_id(t.create_time, t.id)
        });
        Ok(pb::ListPlanTemplatesResponse {
            plan_templates: rows.iter().map(template_to_wire).collect(),
            next_page_token,
        })
    }

    pub(super) async fn create_crisis_task(
        &self,
        caller: &Caller,
        r: pb::CreateCrisisTaskRequest,
    ) -> Result<pb::CreateCrisisTaskResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "parent", &r.parent);
        let request_id = convert::request_id(&mut v, &r.request_id);
        let Some(given) = r.task.as_ref() else {
            v.add("task", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let (title, owner, department, due_time) = new_task(&mut v, given);
        v.into_result()?;
        let (Some(id), Some(due_time)) = (id, due_time) else {
            return Err(ApiError::Internal);
        };
        let actor = caller.acting_subject().to_owned();
        let fp = idempotency::fingerprint_of(&r, |r| r.request_id.clear());
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let claim = match convert::claim(
            &mut tx,
            "CreateCrisisTask",
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
        let task_id = Uuid::now_v7();
        self.add_task(
            &mut tx,
            &head,
            NewTask {
                id: task_id,
                crisis_id: id,
                title: &title,
                owner: &owner,
                department: &department,
                due_time,
                from_plan: false,
                actor: &actor,
                now,
            },
        )
        .await?;
        let task = tasks::get(&mut tx, id, task_id, false)
            .await?
            .ok_or(ApiError::Internal)?;
        let answer = pb::CreateCrisisTaskResponse {
            task: Some(convert::task(&task)),
        };
        let answer = convert::finish(&mut tx, claim, answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Locks the crisis and the task for a change: NOT_FOUND for either,
    /// CRISIS_CLOSED, and TASK_NOT_OPEN for a task done or cancelled.
    async fn lock_open_task(
        &self,
        conn: &mut PgConnection,
        crisis: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<(Head, Task), ApiError> {
        let head = locked_crisis(conn, crisis).await?;
        let task = tasks::get(conn, crisis, id, true)
            .await?
            .ok_or_else(|| ApiError::not_found("CrisisTask", name.to_owned()))?;
        if head.is_closed() {
            return Err(closed());
        }
        if task.state != TaskState::Open.code() {
            return Err(ApiError::FailedPrecondition {
                reason: "TASK_NOT_OPEN",
                message: format!("the task is {}", task.state),
                allowed: vec![],
            });
        }
        Ok((head, task))
    }

    pub(super) async fn reassign_crisis_task(
        &self,
        caller: &Caller,
        r: pb::ReassignCrisisTaskRequest,
    ) -> Result<pb::ReassignCrisisTaskResponse, ApiError> {
        let mut v = FieldViolations::new();
        let ids = task_name(&mut v, "name", &r.name);
        let owner = text(&mut v, "owner", &r.owner, 200, true);
        let reason = text(&mut v, "reason", &r.reason, 2000, true);
        v.into_result()?;
        let (crisis, id) = ids.ok_or(ApiError::Internal)?;
        let actor = caller.acting_subject().to_owned();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let (head, task) = self.lock_open_task(&mut tx, crisis, id, &r.name).await?;
        if task.owner == owner {
            return Err(ApiError::invalid("owner", "is the task's owner already"));
        }
        tasks::set_owner(&mut tx, id, &owner).await?;
        tasks::record_assignment(&mut tx, id, &task.owner, &owner, &actor, &reason, now).await?;
        let mut details = BTreeMap::new();
        details.insert("task".to_owned(), r.name.clone());
        details.insert("from".to_owned(), task.owner.clone());
        details.insert("to".to_owned(), owner.clone());
        timeline::append(
            &mut tx,
            crisis,
            now,
            NewEntry {
                kind: "task_reassigned",
                actor: &actor,
                summary: format!("Task reassigned: {}", task.title),
                details,
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::TASK_REASSIGNED,
                crisis,
                &head.codes(),
                now,
                json!({ "task": r.name }),
            ),
        )
        .await?;
        let task = tasks::get(&mut tx, crisis, id, false)
            .await?
            .ok_or(ApiError::Internal)?;
        tx.commit().await?;
        Ok(pb::ReassignCrisisTaskResponse {
            task: Some(convert::task(&task)),
        })
    }

    pub(super) async fn complete_crisis_task(
        &self,
        caller: &Caller,
        r: pb::CompleteCrisisTaskRequest,
    ) -> Result<pb::CompleteCrisisTaskResponse, ApiError> {
        let mut v = FieldViolations::new();
        let ids = task_name(&mut v, "name", &r.name);
        let state = match convert::task_state_from_wire(r.state) {
            Ok(Some(s @ (TaskState::Done | TaskState::Cancelled))) => Some(s),
            Ok(_) => {
                v.add("state", "must be TASK_STATE_DONE or TASK_STATE_CANCELLED");
                None
            }
            Err(e) => {
                v.add("state", e);
                None
            }
        };
        let note = text(&mut v, "note", &r.note, 2000, false);
        v.into_result()?;
        let ((crisis, id), Some(state)) = (ids.ok_or(ApiError::Internal)?, state) else {
            return Err(ApiError::Internal);
        };
        let actor = caller.acting_subject().to_owned();
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let (head, task) = self.lock_open_task(&mut tx, crisis, id, &r.name).await?;
        if task.owner != actor && !caller.has_any(COMMAND) {
            return Err(ApiError::PermissionDenied {
                reason: "NOT_TASK_OWNER",
                message: "only the task's owner or those in command complete it".into(),
            });
        }
        tasks::complete(&mut tx, id, state.code(), &note, now).await?;
        let mut details = BTreeMap::new();
        details.insert("task".to_owned(), r.name.clone());
        details.insert("state".to_owned(), state.code().to_owned());
        timeline::append(
            &mut tx,
            crisis,
            now,
            NewEntry {
                kind: "task_completed",
                actor: &actor,
                summary: format!("Task {}: {}", state.code(), task.title),
                details,
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::TASK_COMPLETED,
                crisis,
                &head.codes(),
                now,
                json!({ "task": r.name, "state": state.code() }),
            ),
        )
        .await?;
        let task = tasks::get(&mut tx, crisis, id, false)
            .await?
            .ok_or(ApiError::Internal)?;
        tx.commit().await?;
        Ok(pb::CompleteCrisisTaskResponse {
            task: Some(convert::task(&task)),
        })
    }

    pub(super) async fn list_crisis_tasks(
        &self,
        _caller: &Caller,
        r: pb::ListCrisisTasksRequest,
    ) -> Result<pb::ListCrisisTasksResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = crisis_name(&mut v, "parent", &r.parent);
        let mut states = Vec::new();
        for (i, s) in v
            .bounded("states", &r.states, convert::MAX_FILTER_VALUES)
            .iter()
            .enumerate()
        {
            match convert::task_state_from_wire(*s) {
                Ok(Some(s)) => states.push(s.code().to_owned()),
                Ok(None) => v.add(format!("states[{i}]"), "must be specified"),
                Err(e) => v.add(format!("states[{i}]"), e),
            }
        }
        let filter: Vec<u8> = r.states.iter().flat_map(|s| s.to_be_bytes()).collect();
        let fp = Fingerprint::of("ListCrisisTasks", &[r.parent.as_bytes(), &filter]);
        let (size, after) = page::page_args(&mut v, r.page_size, &r.page_token, fp);
        let after = after.and_then(|a| v.check("page_token", page::decode_time_id(&a)));
        v.into_result()?;
        let (Some(id), Some(size)) = (id, size) else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, id).await?;
        let rows = tasks::list(&mut conn, id, &states, after, i64::from(size) + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, size, fp, |t| page::encode_time_id(t.due_time, t.id));
        Ok(pb::ListCrisisTasksResponse {
            tasks: rows.iter().map(convert::task).collect(),
            next_page_token,
        })
    }
}

#[cfg(test)]
mod props;
