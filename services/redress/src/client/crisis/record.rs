//! The record of a crisis: its timeline, notes, status reports (conditions,
//! actions, needs) and its review (root cause, lessons, improvement actions
//! with owners, and the affected customers' satisfaction before and after).

use clap::Subcommand;
use redress_proto::crisis::v1 as pb;
use serde_json::json;

use super::{Page, Session, crisis_name, print_next_page};
use crate::client::args::request_id;
use crate::client::render::{
    Format, figure, list, print_json, print_line, print_table, record, time_cell, time_json,
};

/// Record verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// A crisis's timeline, oldest first.
    Timeline {
        /// The crisis.
        crisis: String,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
    /// Add a note to the timeline.
    Note {
        /// The crisis.
        crisis: String,
        /// The note.
        text: String,
    },
    /// File a status report.
    StatusReport {
        /// The crisis.
        crisis: String,
        /// The conditions now.
        #[arg(long)]
        conditions: String,
        /// The actions taken and planned.
        #[arg(long)]
        actions: String,
        /// What is needed.
        #[arg(long)]
        needs: Option<String>,
    },
    /// Show the review, with satisfaction before and after.
    Review {
        /// The crisis.
        crisis: String,
    },
    /// Write the review (the crisis must be in review).
    WriteReview {
        /// The crisis.
        crisis: String,
        /// The root cause.
        #[arg(long)]
        root_cause: String,
        /// What went well (repeatable).
        #[arg(long = "went-well")]
        went_well: Vec<String>,
        /// What went badly (repeatable).
        #[arg(long = "went-badly")]
        went_badly: Vec<String>,
        /// A lesson (repeatable).
        #[arg(long = "lesson")]
        lessons: Vec<String>,
        /// An improvement as `title|owner` (repeatable).
        #[arg(long = "action", value_parser = parse_action)]
        actions: Vec<pb::ReviewAction>,
        /// The changes to make to the type's plan template.
        #[arg(long)]
        plan_changes: Option<String>,
    },
}

/// Parses `title|owner`.
fn parse_action(text: &str) -> Result<pb::ReviewAction, String> {
    match text.split_once('|') {
        Some((title, owner)) if !title.trim().is_empty() && !owner.trim().is_empty() => {
            Ok(pb::ReviewAction {
                title: title.trim().to_owned(),
                owner: owner.trim().to_owned(),
                due_time: None,
            })
        }
        _ => Err(format!("{text:?} is not title|owner")),
    }
}

/// Prints a review.
fn print_review(format: Format, review: Option<&pb::CrisisReview>) -> anyhow::Result<()> {
    let Some(r) = review else {
        return print_line("(no review in the response)");
    };
    let period = |p: Option<&pb::SatisfactionPeriod>| {
        p.map(|p| {
            json!({
                "start_time": time_json(p.start_time.as_ref()),
                "end_time": time_json(p.end_time.as_ref()),
                "answer_count": p.answer_count,
                "customer_count": p.customer_count,
                "mean_ratio": p.mean_ratio,
            })
        })
    };
    if format == Format::Json {
        return print_json(&json!({ "review": {
            "name": r.name,
            "root_cause": r.root_cause,
            "went_well": r.went_well,
            "went_badly": r.went_badly,
            "lessons": r.lessons,
            "actions": r.actions.iter().map(|a| json!({
                "title": a.title, "owner": a.owner, "due_time": time_json(a.due_time.as_ref()),
            })).collect::<Vec<_>>(),
            "plan_changes": r.plan_changes,
            "satisfaction_before": period(r.satisfaction_before.as_ref()),
            "satisfaction_after": period(r.satisfaction_after.as_ref()),
            "etag": r.etag,
        }}));
    }
    let satisfaction = |p: Option<&pb::SatisfactionPeriod>| {
        p.map_or_else(String::new, |p| {
            format!(
                "{} from {} answers of {} customers",
                figure(p.mean_ratio),
                p.answer_count,
                p.customer_count
            )
        })
    };
    print_table(&record(vec![
        ("name", r.name.clone()),
        ("root cause", r.root_cause.clone()),
        ("went well", r.went_well.join("; ")),
        ("went badly", r.went_badly.join("; ")),
        ("lessons", r.lessons.join("; ")),
        (
            "actions",
            r.actions
                .iter()
                .map(|a| format!("{} ({})", a.title, a.owner))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ("plan changes", r.plan_changes.clone()),
        (
            "satisfaction before",
            satisfaction(r.satisfaction_before.as_ref()),
        ),
        (
            "satisfaction after",
            satisfaction(r.satisfaction_after.as_ref()),
        ),
    ]))
}

/// Runs a record verb.
pub async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    let format = session.format;
    match verb {
        Verb::Timeline { crisis, page } => {
            let (page_size, page_token) = page.into_parts();
            let response = session
                .client
                .list_timeline(pb::ListTimelineRequest {
                    crisis: crisis_name(&crisis),
                    page_size,
                    page_token,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            if format == Format::Json {
                let all: Vec<_> = response
                    .entries
                    .iter()
                    .map(|e| {
                        json!({
                            "sequence": e.sequence,
                            "time": time_json(e.time.as_ref()),
                            "kind": e.kind,
                            "actor": e.actor,
                            "summary": e.summary,
                            "details": e.details,
                        })
                    })
                    .collect();
                print_json(&json!({ "entries": all }))?;
            } else {
                let mut table = list(&["#", "time", "kind", "actor", "summary"]);
                for e in &response.entries {
                    table.add_row(vec![
                        e.sequence.to_string(),
                        time_cell(e.time.as_ref()),
                        e.kind.clone(),
                        e.actor.clone(),
                        e.summary.clone(),
                    ]);
                }
                print_table(&table)?;
            }
            print_next_page(&response.next_page_token)
        }
        Verb::Note { crisis, text } => {
            let response = session
                .client
                .add_timeline_note(pb::AddTimelineNoteRequest {
                    crisis: crisis_name(&crisis),
                    text,
                    request_id: request_id(None),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            let entry = response.entry.unwrap_or_default();
            print_line(format!("timeline entry {} added", entry.sequence))
        }
        Verb::StatusReport {
            crisis,
            conditions,
            actions,
            needs,
        } => {
            let response = session
                .client
                .create_status_report(pb::CreateStatusReportRequest {
                    parent: crisis_name(&crisis),
                    status_report: Some(pb::StatusReport {
                        conditions,
                        actions,
                        needs: needs.unwrap_or_default(),
                        ..pb::StatusReport::default()
                    }),
                    request_id: request_id(None),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            let report = response.status_report.unwrap_or_default();
            print_line(format!("{} filed", report.name))
        }
        Verb::Review { crisis } => {
            let response = session
                .client
                .get_crisis_review(pb::GetCrisisReviewRequest {
                    name: format!("{}/review", crisis_name(&crisis)),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_review(format, response.review.as_ref())
        }
        Verb::WriteReview {
            crisis,
            root_cause,
            went_well,
            went_badly,
            lessons,
            actions,
            plan_changes,
        } => {
            let name = format!("{}/review", crisis_name(&crisis));
            let current = session
                .client
                .get_crisis_review(pb::GetCrisisReviewRequest { name: name.clone() })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner()
                .review
                .unwrap_or_default();
            let response = session
                .client
                .update_crisis_review(pb::UpdateCrisisReviewRequest {
                    review: Some(pb::CrisisReview {
                        name,
                        root_cause,
                        went_well,
                        went_badly,
                        lessons,
                        actions,
                        plan_changes: plan_changes.unwrap_or_default(),
                        etag: current.etag,
                        ..pb::CrisisReview::default()
                    }),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_review(format, response.review.as_ref())
        }
    }
}
