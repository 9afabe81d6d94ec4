//! Declaring and running a crisis: declare (from a warning, a complaint or
//! from scratch), list and show, move along the lifecycle, staff the team,
//! and work the tasks. Verbs that change a crisis read its etag first.

use clap::Subcommand;
use jiff::Timestamp;
use redress_platform::wire;
use redress_proto::crisis::v1 as pb;

use super::show::{crisis_json, print_crises, print_crisis, print_tasks, task_json};
use super::{Page, Session, crisis_name, print_next_page, warning_name};
use crate::client::args::{complaint_name, parse_time, request_id};
use crate::client::render::{Format, print_json, print_line};
use crate::client::wire_enum::enum_parser;

/// Command verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Declare a crisis; the caller commands unless --commander says.
    Declare {
        /// A short title (no personal data).
        #[arg(long)]
        title: String,
        /// The type, one of the configured codes (such as service_quality).
        #[arg(long = "type")]
        crisis_type: String,
        /// How likely the harm is, 1 to 5.
        #[arg(long)]
        likelihood: i32,
        /// How bad the harm is, 1 to 5.
        #[arg(long)]
        impact: i32,
        /// Products in scope (repeatable).
        #[arg(long = "product")]
        products: Vec<String>,
        /// Regions in scope (repeatable).
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Complaint categories in scope (repeatable).
        #[arg(long = "category")]
        categories: Vec<String>,
        /// A drill: customer statements go to the team only.
        #[arg(long)]
        drill: bool,
        /// Declared from this warning (it becomes escalated).
        #[arg(long, conflicts_with = "from_complaint")]
        from_warning: Option<String>,
        /// Declared from this complaint, which risks going public.
        #[arg(long)]
        from_complaint: Option<String>,
        /// The commander's subject (default: the caller).
        #[arg(long)]
        commander: Option<String>,
        /// The request id, to retry safely.
        #[arg(long)]
        request_id: Option<uuid::Uuid>,
    },
    /// List crises, newest first.
    List {
        /// Only crises in these states.
        #[arg(long, value_delimiter = ',', value_parser = enum_parser::<pb::CrisisState>())]
        state: Vec<pb::CrisisState>,
        /// Leave drills out.
        #[arg(long)]
        exclude_drills: bool,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
    /// Show a crisis: state, risk, team, counts and measures.
    Show {
        /// The crisis: `crises/{id}` or its id.
        crisis: String,
    },
    /// Move a crisis along its lifecycle (assessing, responding,
    /// replanning, stable, recovering, in-review, closed).
    Move {
        /// The crisis.
        crisis: String,
        /// The state to enter.
        #[arg(value_parser = enum_parser::<pb::CrisisState>())]
        state: pb::CrisisState,
        /// Why, for the timeline.
        #[arg(long)]
        note: Option<String>,
    },
    /// Give a team role (commander, communications-lead, spokesperson,
    /// liaison, scribe, member); a new commander or spokesperson replaces
    /// the one before.
    Assign {
        /// The crisis.
        crisis: String,
        /// The role.
        #[arg(value_parser = enum_parser::<pb::TeamRole>())]
        role: pb::TeamRole,
        /// The person's subject.
        subject: String,
        /// Their department.
        #[arg(long)]
        department: Option<String>,
        /// Their written duties.
        #[arg(long)]
        duties: Option<String>,
    },
    /// Take a person off the team (the commander stays until replaced).
    Unassign {
        /// The crisis.
        crisis: String,
        /// The person's subject.
        subject: String,
    },
    /// List a crisis's tasks by due time.
    Tasks {
        /// The crisis.
        crisis: String,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
    /// Add a task with one owner and a due time.
    AddTask {
        /// The crisis.
        crisis: String,
        /// What to do.
        #[arg(long)]
        title: String,
        /// Its one owner.
        #[arg(long)]
        owner: String,
        /// When it is due (RFC 3339).
        #[arg(long, value_parser = parse_time)]
        due: Timestamp,
    },
    /// Give a task to another owner, with the reason.
    ReassignTask {
        /// The task: `crises/{c}/tasks/{t}`.
        task: String,
        /// The new owner.
        #[arg(long)]
        owner: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Mark a task done.
    DoneTask {
        /// The task: `crises/{c}/tasks/{t}`.
        task: String,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
}

/// Runs a command verb.
pub async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    let format = session.format;
    match verb {
        Verb::Declare {
            title,
            crisis_type,
            likelihood,
            impact,
            products,
            regions,
            categories,
            drill,
            from_warning,
            from_complaint,
            commander,
            request_id: given,
        } => {
            let origin = match (from_warning, from_complaint) {
                (Some(w), _) => Some(pb::declare_crisis_request::Origin::Warning(warning_name(
                    &w,
                ))),
                (None, Some(c)) => Some(pb::declare_crisis_request::Origin::Complaint(
                    complaint_name(&c),
                )),
                (None, None) => None,
            };
            let response = session
                .client
                .declare_crisis(pb::DeclareCrisisRequest {
                    crisis: Some(pb::Crisis {
                        title,
                        r#type: crisis_type,
                        likelihood,
                        impact,
                        scope: Some(pb::CrisisScope {
                            products,
                            regions,
                            categories,
                            customer_selector: None,
                        }),
                        drill,
                        ..pb::Crisis::default()
                    }),
                    origin,
                    commander: commander.unwrap_or_default(),
                    request_id: request_id(given),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            if format == Format::Json {
                return print_json(&serde_json::json!({
                    "crisis": response.crisis.as_ref().map(crisis_json),
                    "tasks": response.tasks.iter().map(task_json).collect::<Vec<_>>(),
                }));
            }
            print_crisis(format, response.crisis.as_ref())?;
            if !response.tasks.is_empty() {
                print_tasks(format, &response.tasks)?;
            }
            Ok(())
        }
        Verb::List {
            state,
            exclude_drills,
            page,
        } => {
            let (page_size, page_token) = page.into_parts();
            let response = session
                .client
                .list_crises(pb::ListCrisesRequest {
                    states: state.into_iter().map(|s| s as i32).collect(),
                    exclude_drills,
                    page_size,
                    page_token,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_crises(format, &response.crises)?;
            print_next_page(&response.next_page_token)
        }
        Verb::Show { crisis } => {
            let crisis = session.crisis(&crisis_name(&crisis)).await?;
            print_crisis(format, Some(&crisis))
        }
        Verb::Move {
            crisis,
            state,
            note,
        } => {
            let current = session.crisis(&crisis_name(&crisis)).await?;
            let response = session
                .client
                .transition_crisis(pb::TransitionCrisisRequest {
                    name: current.name,
                    state: state as i32,
                    note: note.unwrap_or_default(),
                    etag: current.etag,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_crisis(format, response.crisis.as_ref())
        }
        Verb::Assign {
            crisis,
            role,
            subject,
            department,
            duties,
        } => {
            let response = session
                .client
                .assign_crisis_role(pb::AssignCrisisRoleRequest {
                    crisis: crisis_name(&crisis),
                    member: Some(pb::TeamMember {
                        subject,
                        role: role as i32,
                        department: department.unwrap_or_default(),
                        duties: duties.unwrap_or_default(),
                        assign_time: None,
                    }),
                    request_id: request_id(None),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_crisis(format, response.crisis.as_ref())
        }
        Verb::Unassign { crisis, subject } => {
            let response = session
                .client
                .remove_crisis_member(pb::RemoveCrisisMemberRequest {
                    crisis: crisis_name(&crisis),
                    subject,
                    role: 0,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_crisis(format, response.crisis.as_ref())
        }
        Verb::Tasks { crisis, page } => {
            let (page_size, page_token) = page.into_parts();
            let response = session
                .client
                .list_crisis_tasks(pb::ListCrisisTasksRequest {
                    parent: crisis_name(&crisis),
                    states: vec![],
                    page_size,
                    page_token,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_tasks(format, &response.tasks)?;
            print_next_page(&response.next_page_token)
        }
        Verb::AddTask {
            crisis,
            title,
            owner,
            due,
        } => {
            let response = session
                .client
                .create_crisis_task(pb::CreateCrisisTaskRequest {
                    parent: crisis_name(&crisis),
                    task: Some(pb::CrisisTask {
                        title,
                        owner,
                        due_time: Some(wire::timestamp(due)),
                        ..pb::CrisisTask::default()
                    }),
                    request_id: request_id(None),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_tasks(format, response.task.as_slice())
        }
        Verb::ReassignTask {
            task,
            owner,
            reason,
        } => {
            let response = session
                .client
                .reassign_crisis_task(pb::ReassignCrisisTaskRequest {
                    name: task,
                    owner,
                    reason,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_tasks(format, response.task.as_slice())
        }
        Verb::DoneTask { task, note } => {
            let response = session
                .client
                .complete_crisis_task(pb::CompleteCrisisTaskRequest {
                    name: task,
                    state: pb::TaskState::Done as i32,
                    note: note.unwrap_or_default(),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            if response.task.is_none() {
                return print_line("(no task in the response)");
            }
            print_tasks(format, response.task.as_slice())
        }
    }
}
