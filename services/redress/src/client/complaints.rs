//! `redress complaints ...`: work complaints from the command line.
//!
//! Each verb is one RPC of `redress.complaints.v1.ComplaintService`: the
//! arguments become the request, the response is printed as a table, or with
//! `--json` as JSON in the response message's shape (proto field names,
//! short enum names, RFC 3339 times), plus the `request_id` sent by verbs
//! that take one. A failed call prints the gRPC code, message and details on
//! stderr and exits non-zero.
//!
//! Who calls matters here: the caller of `create` becomes the owner, and a
//! hand-off is accepted by the agent or a member of the team it names. So
//! the command takes an [`Identity`] before the verb (`redress complaints
//! --as agent-2 --team front accept-hand-off ...`) for the development token
//! it mints. It goes before the verb because `list`, `reassign` and `stats`
//! have a `--team` of their own, a filter or a target rather than who calls.
//!
//! A complaint is named by `complaints/{id}`, its bare id, or its reference
//! for the phone (`C-2026-000123`), which is looked up first. The verbs live
//! by subject: [`intake`] (create, get, list, my work, update),
//! [`lifecycle`] (the moves from acknowledged to closed, merges),
//! [`ownership`] (hand-offs, reassignment, assists, the ledger), [`notes`]
//! (notes and history) and [`reports`] (figures, categories, teams, the
//! event feed); [`json`] and [`tables`] render the messages.

mod intake;
mod json;
mod lifecycle;
mod notes;
mod ownership;
mod reports;
mod tables;

use clap::{Args, Subcommand};
use redress_proto::complaints::v1 as pb;
use redress_proto::complaints::v1::complaint_service_client::ComplaintServiceClient;

use super::args::{complaint_name, is_complaint_reference};
use super::render::{Format, print_json, print_line, print_table};
use super::wire_enum::wire_enum;
use super::{AuthedChannel, CallError, Context, Identity};

wire_enum! {
    pb::Channel => "CHANNEL_",
    pb::ComplaintKind => "COMPLAINT_KIND_",
    pb::CustomerMotive => "CUSTOMER_MOTIVE_",
    pb::Severity => "SEVERITY_",
    pb::Priority => "PRIORITY_",
    pb::CustomerGrade => "CUSTOMER_GRADE_",
    pb::EscalationReached => "ESCALATION_REACHED_",
    pb::ComplaintState => "COMPLAINT_STATE_",
    pb::SlaClockKind => "SLA_CLOCK_KIND_",
    pb::SlaClockStatus => "SLA_CLOCK_STATUS_",
    pb::HandOffState => "HAND_OFF_STATE_",
    pb::AssistState => "ASSIST_STATE_",
    pb::FollowUpState => "FOLLOW_UP_STATE_",
    pb::OwnershipChangeKind => "OWNERSHIP_CHANGE_KIND_",
    pb::NoteVisibility => "NOTE_VISIBILITY_",
    pb::SlaFilter => "SLA_FILTER_",
}

/// Complaint commands: `redress complaints [--as SUBJECT] [--team TEAM_ID]
/// <verb> ... [--json]`.
#[derive(Debug, Args)]
pub struct Command {
    /// Whom the development token names (before the verb).
    #[command(flatten)]
    identity: Identity,
    /// Print JSON (the response message, proto field names) instead of a
    /// table.
    #[arg(long, global = true)]
    json: bool,
    /// What to do.
    #[command(subcommand)]
    verb: Verb,
}

impl Command {
    /// Whom to call as.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}

/// One complaint command, by subject.
#[derive(Debug, Subcommand)]
enum Verb {
    /// Taking complaints in and finding them.
    #[command(flatten)]
    Intake(intake::Verb),
    /// Moving a complaint through its lifecycle.
    #[command(flatten)]
    Lifecycle(lifecycle::Verb),
    /// Who owns a complaint and who helps.
    #[command(flatten)]
    Ownership(ownership::Verb),
    /// What was written and what changed.
    #[command(flatten)]
    Notes(notes::Verb),
    /// Figures, categories, teams and the event feed.
    #[command(flatten)]
    Reports(reports::Verb),
}

/// The complaint a verb acts on, with the guards every change takes.
#[derive(Debug, Args)]
pub struct Target {
    /// The complaint: `complaints/{id}`, the bare id, or its reference
    /// (C-2026-000123).
    name: String,
    /// The etag read with the complaint: the change is refused if the
    /// complaint changed since.
    #[arg(long)]
    etag: Option<String>,
    /// The request id (a UUID); give the one printed earlier to retry
    /// safely. A new one is made for each invocation otherwise.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// Which page of a list to get.
#[derive(Debug, Args)]
pub struct Page {
    /// At most this many items (default 50, at most 1000).
    #[arg(long)]
    page_size: Option<i32>,
    /// The next-page token printed by the previous page (same filters).
    #[arg(long)]
    page_token: Option<String>,
}

impl Page {
    /// The page size and token as the request takes them.
    fn into_parts(self) -> (i32, String) {
        (
            self.page_size.unwrap_or(0),
            self.page_token.unwrap_or_default(),
        )
    }
}

/// The client type the verbs call through.
type Client = ComplaintServiceClient<AuthedChannel>;

/// What a verb needs: the client, where it points, and how to print.
struct Session<'a> {
    /// The complaints service client.
    client: Client,
    /// The endpoint and token it was built from.
    context: &'a Context,
    /// Table or JSON.
    format: Format,
}

impl Session<'_> {
    /// A failed call, ready to report.
    fn fail(&self, status: tonic::Status) -> CallError {
        self.context.failure(status)
    }

    /// The name of the complaint `input` means: a reference is looked up,
    /// a bare id becomes `complaints/{id}`.
    async fn resolve(&mut self, input: &str) -> anyhow::Result<String> {
        if !is_complaint_reference(input) {
            return Ok(complaint_name(input));
        }
        let request = pb::GetComplaintRequest {
            name: input.trim().to_owned(),
        };
        let response = self
            .client
            .get_complaint(request)
            .await
            .map_err(|s| self.fail(s))?
            .into_inner();
        response
            .complaint
            .map(|c| c.name)
            .ok_or_else(|| anyhow::anyhow!("no complaint in the response for {input}"))
    }
}

/// Prints `{"request_id": ..., "complaint": ...}` as JSON (the request id
/// only when one was sent), or the complaint as a record table.
fn print_complaint(
    format: Format,
    request_id: Option<&str>,
    complaint: Option<&pb::Complaint>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut value = serde_json::json!({ "complaint": complaint.map(json::complaint) });
            if let (Some(id), Some(object)) = (request_id, value.as_object_mut()) {
                object.insert("request_id".into(), id.into());
            }
            print_json(&value)
        }
        Format::Table => match complaint {
            Some(complaint) => print_table(&tables::complaint(complaint)),
            None => print_line("(no complaint in the response)"),
        },
    }
}

/// Prints how to ask for the next page, when there is one.
fn print_next_page(token: &str) -> anyhow::Result<()> {
    if token.is_empty() {
        return Ok(());
    }
    print_line(format!("Next page: --page-token {token}"))
}

/// Runs a complaint command against the service at `context`.
pub async fn run(command: Command, context: &Context) -> anyhow::Result<()> {
    let mut session = Session {
        client: ComplaintServiceClient::new(context.channel().await?),
        context,
        format: Format::from_flag(command.json),
    };
    let session = &mut session;
    match command.verb {
        Verb::Intake(verb) => intake::run(session, verb).await,
        Verb::Lifecycle(verb) => lifecycle::run(session, verb).await,
        Verb::Ownership(verb) => ownership::run(session, verb).await,
        Verb::Notes(verb) => notes::run(session, verb).await,
        Verb::Reports(verb) => reports::run(session, verb).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        command: Command,
    }

    #[test]
    fn the_verbs_and_their_flags_are_consistent() {
        Probe::command().debug_assert();
    }

    #[test]
    fn the_identity_goes_before_the_verb_and_a_filter_team_after_it() {
        let probe = Probe::try_parse_from([
            "complaints",
            "--as",
            "agent-1",
            "--team",
            "front",
            "list",
            "--team",
            "teams/back",
            "--json",
        ])
        .expect("parses");
        assert_eq!(probe.command.identity.subject.as_deref(), Some("agent-1"));
        assert_eq!(probe.command.identity.team.as_deref(), Some("front"));
        assert!(probe.command.json);
    }
}
