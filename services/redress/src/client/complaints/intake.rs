//! Taking complaints in and finding them: create (the caller becomes the
//! owner), get by name or reference, list with filters, the caller's own
//! work queue, and update. Create sends a request id (AIP-155) so a retry
//! with the same id is safe; update builds its field mask from exactly the
//! flags given and sends `--etag` when given, so a concurrent change is
//! refused rather than overwritten.

use clap::{Args, Subcommand};
use redress_proto::complaints::v1 as pb;
use serde_json::json;

use super::{Page, Session, json, print_complaint, print_next_page, tables};
use crate::client::args::{complaint_name_or_reference, customer_name, request_id, team_name};
use crate::client::render::{Format, print_json, print_line, print_table};
use crate::client::wire_enum::enum_parser;

/// Intake and search verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Record a complaint received from a customer; the caller owns it at
    /// once (prints the request id with --json; pass it back with
    /// --request-id to retry safely).
    Create(Box<CreateArgs>),
    /// Get one complaint by name, bare id or reference (C-2026-000123).
    Get {
        /// The complaint's name, id or reference.
        name: String,
    },
    /// List complaints matching filters, newest first, one page at a time.
    List(ListArgs),
    /// The caller's open complaints, most urgent SLA deadline first, with
    /// the hand-offs offered to them and the assists asked of them.
    MyWork(Page),
    /// Change some of a complaint's fields (only those given).
    Update(Box<UpdateArgs>),
}

/// What a complaint says, as `create` takes it and `update` may change it.
/// Flags left out are not sent.
#[derive(Debug, Args)]
pub struct Details {
    /// What it is about in one line (at most 200 characters).
    #[arg(long)]
    summary: Option<String>,
    /// The customer's account (at most 10000 characters).
    #[arg(long)]
    description: Option<String>,
    /// The product or service concerned, as the catalogue names it.
    #[arg(long)]
    product: Option<String>,
    /// The region concerned, such as a country or sales region code.
    #[arg(long)]
    region: Option<String>,
    /// The category path, such as too_slow/late_delivery (`redress
    /// complaints categories` lists them).
    #[arg(long)]
    category: Option<String>,
    /// The remedy the customer asks for, in their words.
    #[arg(long)]
    remedy: Option<String>,
    /// What the customer is after.
    #[arg(long, value_parser = enum_parser::<pb::CustomerMotive>())]
    motive: Option<pb::CustomerMotive>,
    /// How bad it is.
    #[arg(long, value_parser = enum_parser::<pb::Severity>())]
    severity: Option<pb::Severity>,
    /// The language the customer uses, as a BCP 47 tag such as nl.
    #[arg(long)]
    language: Option<String>,
    /// How far the customer has escalated it already.
    #[arg(long, value_parser = enum_parser::<pb::EscalationReached>())]
    escalation: Option<pb::EscalationReached>,
}

impl Details {
    /// Writes the fields given into `complaint`, returning their mask paths.
    fn apply(self, complaint: &mut pb::Complaint) -> Vec<&'static str> {
        let Details {
            summary,
            description,
            product,
            region,
            category,
            remedy,
            motive,
            severity,
            language,
            escalation,
        } = self;
        let mut paths = Vec::new();
        let mut text = |value: Option<String>, field: &mut String, path| {
            if let Some(value) = value {
                *field = value;
                paths.push(path);
            }
        };
        text(summary, &mut complaint.summary, "summary");
        text(description, &mut complaint.description, "description");
        text(product, &mut complaint.product, "product");
        text(region, &mut complaint.region, "region");
        text(category, &mut complaint.category, "category");
        text(remedy, &mut complaint.requested_remedy, "requested_remedy");
        text(language, &mut complaint.language, "language");
        if let Some(value) = motive {
            complaint.motive = value as i32;
            paths.push("motive");
        }
        if let Some(value) = severity {
            complaint.severity = value as i32;
            paths.push("severity");
        }
        if let Some(value) = escalation {
            complaint.escalation_reached = value as i32;
            paths.push("escalation_reached");
        }
        paths
    }
}

/// `redress complaints create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The customer: `customers/{id}` or the bare id.
    customer: String,
    /// How the complaint came in.
    #[arg(long, value_parser = enum_parser::<pb::Channel>())]
    channel: pb::Channel,
    /// Complaint, inquiry or feedback.
    #[arg(long, value_parser = enum_parser::<pb::ComplaintKind>())]
    kind: pb::ComplaintKind,
    /// What the complaint says (--summary, --category and --severity are
    /// required).
    #[command(flatten)]
    details: Details,
    /// Someone's safety is at stake (gets the safety priority).
    #[arg(long)]
    safety: bool,
    /// The request id (a UUID); give the one printed earlier to retry a
    /// create safely. A new one is made for each invocation otherwise.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// `redress complaints list`. Filters combine with AND; a repeated flag's
/// values with OR.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only complaints owned by this staff subject.
    #[arg(long)]
    owner: Option<String>,
    /// Only complaints of this team (`teams/{id}` or the id).
    #[arg(long)]
    team: Option<String>,
    /// Only complaints in this state; repeat for more.
    #[arg(long = "state", value_name = "STATE", value_parser = enum_parser::<pb::ComplaintState>())]
    states: Vec<pb::ComplaintState>,
    /// Only complaints in this category or below it.
    #[arg(long)]
    category: Option<String>,
    /// Only complaints of this severity; repeat for more.
    #[arg(long = "severity", value_name = "SEVERITY", value_parser = enum_parser::<pb::Severity>())]
    severities: Vec<pb::Severity>,
    /// Only complaints of this customer (`customers/{id}` or the id).
    #[arg(long)]
    customer: Option<String>,
    /// Only overdue or at-risk complaints.
    #[arg(long, value_parser = enum_parser::<pb::SlaFilter>())]
    sla: Option<pb::SlaFilter>,
    /// Which page.
    #[command(flatten)]
    page: Page,
}

/// `redress complaints update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The complaint: `complaints/{id}`, the bare id, or its reference.
    name: String,
    /// A new kind.
    #[arg(long, value_parser = enum_parser::<pb::ComplaintKind>())]
    kind: Option<pb::ComplaintKind>,
    /// The new values.
    #[command(flatten)]
    details: Details,
    /// Whether someone's safety is at stake: true or false.
    #[arg(long, value_name = "BOOL")]
    safety: Option<bool>,
    /// The etag read with the complaint: the update is refused if the
    /// complaint changed since.
    #[arg(long)]
    etag: Option<String>,
}

/// Runs an intake verb.
pub(super) async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    match verb {
        Verb::Create(args) => create(session, *args).await,
        Verb::Get { name } => get(session, &name).await,
        Verb::List(args) => list(session, args).await,
        Verb::MyWork(page) => my_work(session, page).await,
        Verb::Update(args) => update(session, *args).await,
    }
}

/// Records a complaint.
async fn create(session: &mut Session<'_>, args: CreateArgs) -> anyhow::Result<()> {
    let CreateArgs {
        customer,
        channel,
        kind,
        details,
        safety,
        request_id: given_id,
    } = args;
    let mut complaint = pb::Complaint {
        customer: customer_name(&customer),
        channel: channel as i32,
        kind: kind as i32,
        safety,
        ..Default::default()
    };
    let given = details.apply(&mut complaint);
    let missing: Vec<_> = [
        ("summary", "--summary"),
        ("category", "--category"),
        ("severity", "--severity"),
    ]
    .into_iter()
    .filter(|(path, _)| !given.contains(path))
    .map(|(_, flag)| flag)
    .collect();
    if !missing.is_empty() {
        anyhow::bail!("a complaint needs {}", missing.join(", "));
    }
    let request_id = request_id(given_id);
    let request = pb::CreateComplaintRequest {
        complaint: Some(complaint),
        request_id: request_id.clone(),
    };
    let response = session
        .client
        .create_complaint(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_complaint(
        session.format,
        Some(&request_id),
        response.complaint.as_ref(),
    )
}

/// Gets one complaint by name or reference.
async fn get(session: &mut Session<'_>, name: &str) -> anyhow::Result<()> {
    let request = pb::GetComplaintRequest {
        name: complaint_name_or_reference(name),
    };
    let response = session
        .client
        .get_complaint(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_complaint(session.format, None, response.complaint.as_ref())
}

/// Prints a page of complaints as `{"complaints": [...], "next_page_token"}`
/// or as a table.
fn print_complaints(
    format: Format,
    complaints: &[pb::Complaint],
    next_page_token: &str,
) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&json!({
            "complaints": complaints.iter().map(json::complaint).collect::<Vec<_>>(),
            "next_page_token": next_page_token,
        })),
        Format::Table => {
            print_table(&tables::complaints(complaints))?;
            print_next_page(next_page_token)
        }
    }
}

/// Lists one page of complaints.
async fn list(session: &mut Session<'_>, args: ListArgs) -> anyhow::Result<()> {
    let ListArgs {
        owner,
        team,
        states,
        category,
        severities,
        customer,
        sla,
        page,
    } = args;
    let (page_size, page_token) = page.into_parts();
    let request = pb::ListComplaintsRequest {
        page_size,
        page_token,
        owner: owner.unwrap_or_default(),
        team: team.as_deref().map(team_name).unwrap_or_default(),
        states: states.into_iter().map(|s| s as i32).collect(),
        category: category.unwrap_or_default(),
        severities: severities.into_iter().map(|s| s as i32).collect(),
        customer: customer.as_deref().map(customer_name).unwrap_or_default(),
        sla: sla.map_or(0, |s| s as i32),
        create_time_start: None,
        create_time_end: None,
    };
    let response = session
        .client
        .list_complaints(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_complaints(
        session.format,
        &response.complaints,
        &response.next_page_token,
    )
}

/// Lists the caller's own work.
async fn my_work(session: &mut Session<'_>, page: Page) -> anyhow::Result<()> {
    let (page_size, page_token) = page.into_parts();
    let request = pb::ListMyWorkRequest {
        page_size,
        page_token,
    };
    let response = session
        .client
        .list_my_work(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    let pb::ListMyWorkResponse {
        complaints,
        next_page_token,
        offered_hand_offs,
        open_assists,
        follow_ups_due,
    } = &response;
    match session.format {
        Format::Json => print_json(&json!({
            "complaints": complaints.iter().map(json::complaint).collect::<Vec<_>>(),
            "next_page_token": next_page_token,
            "offered_hand_offs": offered_hand_offs.iter().map(json::hand_off).collect::<Vec<_>>(),
            "open_assists": open_assists.iter().map(json::assist).collect::<Vec<_>>(),
            "follow_ups_due": follow_ups_due.iter().map(json::follow_up).collect::<Vec<_>>(),
        })),
        Format::Table => {
            print_complaints(Format::Table, complaints, next_page_token)?;
            if !offered_hand_offs.is_empty() {
                print_line("Hand-offs offered to you (accept-hand-off or decline-hand-off):")?;
                print_table(&tables::hand_offs(offered_hand_offs))?;
            }
            if !open_assists.is_empty() {
                print_line("Assists asked of you (answer-assist):")?;
                print_table(&tables::assists(open_assists))?;
            }
            if !follow_ups_due.is_empty() {
                print_line("Follow-ups due with your customers:")?;
                print_table(&tables::follow_ups(follow_ups_due))?;
            }
            Ok(())
        }
    }
}

/// Updates the fields given, with a mask naming exactly those.
async fn update(session: &mut Session<'_>, args: UpdateArgs) -> anyhow::Result<()> {
    let UpdateArgs {
        name,
        kind,
        details,
        safety,
        etag,
    } = args;
    let mut complaint = pb::Complaint {
        name: session.resolve(&name).await?,
        etag: etag.unwrap_or_default(),
        ..Default::default()
    };
    let mut paths = details.apply(&mut complaint);
    if let Some(value) = kind {
        complaint.kind = value as i32;
        paths.push("kind");
    }
    if let Some(value) = safety {
        complaint.safety = value;
        paths.push("safety");
    }
    if paths.is_empty() {
        anyhow::bail!(
            "nothing to update: give at least one of --kind, --summary, --description, \
             --product, --region, --category, --remedy, --motive, --severity, --safety, \
             --language, --escalation"
        );
    }
    let request = pb::UpdateComplaintRequest {
        complaint: Some(complaint),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.into_iter().map(String::from).collect(),
        }),
    };
    let response = session
        .client
        .update_complaint(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_complaint(session.format, None, response.complaint.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_details_given_are_written_and_masked() {
        let details = Details {
            summary: Some("Late".into()),
            description: None,
            product: None,
            region: None,
            category: Some("too_slow".into()),
            remedy: Some(String::new()),
            motive: None,
            severity: Some(pb::Severity::High),
            language: None,
            escalation: None,
        };
        let mut complaint = pb::Complaint::default();
        let paths = details.apply(&mut complaint);
        assert_eq!(
            paths,
            ["summary", "category", "requested_remedy", "severity"]
        );
        assert_eq!(complaint.summary, "Late");
        assert_eq!(complaint.severity, pb::Severity::High as i32);
        assert_eq!(complaint.description, "");
    }
}
