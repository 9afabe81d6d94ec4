//! `redress crisis ...`: watch for trouble and run a crisis from the command
//! line.
//!
//! Each verb is one RPC of `redress.crisis.v1.CrisisService`; the response
//! is printed as a table, or with `--json` as JSON in the response message's
//! shape (proto field names, short enum names, RFC 3339 times). A failed
//! call prints the gRPC code, message and details on stderr and exits
//! non-zero. Who calls matters (only the crisis's spokesperson approves a
//! statement; the declarer commands unless another is named), so the command
//! takes an [`Identity`] before the verb (`redress crisis --as spokes-1
//! approve ...`). Verbs that change a crisis read its etag first when none
//! is given. The verbs live by subject: [`warnings`] (early warning),
//! [`command`] (declaration, lifecycle, team, tasks), [`comms`] (affected
//! parties, statements, regulator reports) and [`record`] (timeline, status
//! reports, review); [`show`] renders the messages.

mod command;
mod comms;
mod record;
mod show;
mod warnings;

use clap::{Args, Subcommand};
use redress_proto::crisis::v1 as pb;
use redress_proto::crisis::v1::crisis_service_client::CrisisServiceClient;

use super::render::{Format, print_line};
use super::wire_enum::wire_enum;
use super::{AuthedChannel, CallError, Context, Identity};

wire_enum! {
    pb::WarningState => "WARNING_STATE_",
    pb::WarningSource => "WARNING_SOURCE_",
    pb::SignalChannel => "SIGNAL_CHANNEL_",
    pb::SeriesDimension => "SERIES_DIMENSION_",
    pb::CrisisState => "CRISIS_STATE_",
    pb::RiskLevel => "RISK_LEVEL_",
    pb::CrisisPriority => "CRISIS_PRIORITY_",
    pb::TeamRole => "TEAM_ROLE_",
    pb::TaskState => "TASK_STATE_",
    pb::ImpactLevel => "IMPACT_LEVEL_",
    pb::CustomerLinkState => "CUSTOMER_LINK_STATE_",
    pb::ComplaintLinkSource => "COMPLAINT_LINK_SOURCE_",
    pb::Audience => "AUDIENCE_",
    pb::StatementState => "STATEMENT_STATE_",
}

/// Crisis commands: `redress crisis [--as SUBJECT] <verb> ... [--json]`.
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

/// One crisis command, by subject.
#[derive(Debug, Subcommand)]
enum Verb {
    /// Early warning: warnings and signals.
    #[command(flatten)]
    Warnings(warnings::Verb),
    /// Declaring and running a crisis: lifecycle, team, tasks, plans.
    #[command(flatten)]
    Command(command::Verb),
    /// Who is affected, and what they are told.
    #[command(flatten)]
    Comms(comms::Verb),
    /// The timeline, status reports and the review.
    #[command(flatten)]
    Record(record::Verb),
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
type Client = CrisisServiceClient<AuthedChannel>;

/// What a verb needs: the client, where it points, and how to print.
struct Session<'a> {
    /// The crisis service client.
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

    /// The crisis `name` as it is now (for its etag).
    async fn crisis(&mut self, name: &str) -> anyhow::Result<pb::Crisis> {
        let response = self
            .client
            .get_crisis(pb::GetCrisisRequest {
                name: name.to_owned(),
            })
            .await
            .map_err(|s| self.fail(s))?
            .into_inner();
        response
            .crisis
            .ok_or_else(|| anyhow::anyhow!("no crisis in the response for {name}"))
    }
}

/// `crises/{id}` from a name or a bare id.
fn crisis_name(input: &str) -> String {
    super::args::resource_name("crises", input)
}

/// `warnings/{id}` from a name or a bare id.
fn warning_name(input: &str) -> String {
    super::args::resource_name("warnings", input)
}

/// Prints how to ask for the next page, when there is one.
fn print_next_page(token: &str) -> anyhow::Result<()> {
    if token.is_empty() {
        return Ok(());
    }
    print_line(format!("Next page: --page-token {token}"))
}

/// Runs a crisis command against the service at `context`.
pub async fn run(command: Command, context: &Context) -> anyhow::Result<()> {
    let mut session = Session {
        client: CrisisServiceClient::new(context.channel().await?),
        context,
        format: Format::from_flag(command.json),
    };
    let session = &mut session;
    match command.verb {
        Verb::Warnings(verb) => warnings::run(session, verb).await,
        Verb::Command(verb) => command::run(session, verb).await,
        Verb::Comms(verb) => comms::run(session, verb).await,
        Verb::Record(verb) => record::run(session, verb).await,
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
    fn a_statement_variant_is_written_locale_headline_body() {
        let probe = Probe::try_parse_from([
            "crisis",
            "--as",
            "spokes-1",
            "draft-statement",
            "crises/0193a000-0000-7000-8000-000000000001",
            "--audience",
            "affected-customers",
            "--variant",
            "en|Outage|We are sorry.",
            "--variant",
            "de|Störung|Es tut uns leid.",
            "--json",
        ])
        .expect("parses");
        assert_eq!(probe.command.identity.subject.as_deref(), Some("spokes-1"));
        assert!(probe.command.json);
    }
}
