//! `redress audit list --service <service> ...`: read one service's audit
//! trail of security-relevant actions (erasures, approvals, role-gated
//! changes and their refusals), newest first, as a table or with `--json` as
//! the response message (proto field names, short outcome names, RFC 3339
//! times). Every service answers `ListAuditEntries` with the same
//! `redress.audit.v1.AuditEntry`, to admins only; the request types differ
//! by package, so the call is made per service and the answer shared.

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use redress_platform::wire;
use redress_proto::audit::v1 as apb;
use serde_json::{Value, json};

use super::Context;
use super::args::parse_time;
use super::render::{Format, list, print_json, print_line, print_table, time_cell, time_json};
use super::wire_enum::wire_enum;

wire_enum! {
    apb::AuditOutcome => "AUDIT_OUTCOME_",
}

/// Audit commands: `redress audit [--json] <verb> ...`.
#[derive(Debug, Args)]
pub struct Command {
    /// Print JSON (the response message, proto field names) instead of a
    /// table.
    #[arg(long, global = true)]
    json: bool,
    /// What to do.
    #[command(subcommand)]
    verb: Verb,
}

/// One audit command.
#[derive(Debug, Subcommand)]
enum Verb {
    /// List a service's audit entries, newest first, one page at a time.
    List(ListArgs),
}

/// The service whose trail to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Service {
    /// Erasures.
    Customers,
    /// Goodwill decisions, supervisor overrides, teams.
    Complaints,
    /// Crises, crisis teams, statements, regulator reports.
    Crisis,
    /// Templates and broadcasts.
    Notifications,
}

impl Service {
    /// The service's configuration name.
    pub fn config_name(self) -> &'static str {
        match self {
            Service::Customers => "customers",
            Service::Complaints => "complaints",
            Service::Crisis => "crisis",
            Service::Notifications => "notifications",
        }
    }
}

/// Filters and page of `redress audit list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The service whose trail to read.
    #[arg(long, value_enum)]
    service: Service,
    /// Only this action, such as customer.erased or goodwill.approved.
    #[arg(long)]
    action: Option<String>,
    /// Only entries whose actor is this subject (or system:<rule>).
    #[arg(long)]
    actor: Option<String>,
    /// Only entries about this resource name, such as customers/{id}.
    #[arg(long)]
    target: Option<String>,
    /// Only entries at or after this RFC 3339 time.
    #[arg(long, value_parser = parse_time)]
    since: Option<Timestamp>,
    /// Only entries before this RFC 3339 time.
    #[arg(long, value_parser = parse_time)]
    until: Option<Timestamp>,
    /// At most this many entries (default 50, at most 1000).
    #[arg(long)]
    page_size: Option<i32>,
    /// The next page of an earlier list (with the same filters).
    #[arg(long)]
    page_token: Option<String>,
}

impl Command {
    /// The service the command calls.
    pub fn service(&self) -> Service {
        match &self.verb {
            Verb::List(args) => args.service,
        }
    }
}

/// One page of the trail: the entries and the next page's token.
type Page = (Vec<apb::AuditEntry>, String);

/// Makes the service's own `ListAuditEntriesRequest` from `args` and calls it.
macro_rules! list_page {
    ($client:path, $pb:path, $context:expr, $args:expr) => {{
        use $pb as pb;
        let request = pb::ListAuditEntriesRequest {
            action: $args.action.clone().unwrap_or_default(),
            actor: $args.actor.clone().unwrap_or_default(),
            target: $args.target.clone().unwrap_or_default(),
            start_time: $args.since.map(wire::timestamp),
            end_time: $args.until.map(wire::timestamp),
            page_size: $args.page_size.unwrap_or(0),
            page_token: $args.page_token.clone().unwrap_or_default(),
        };
        let mut client = <$client>::new($context.channel().await?);
        let response = client
            .list_audit_entries(request)
            .await
            .map_err(|status| $context.failure(status))?
            .into_inner();
        (response.audit_entries, response.next_page_token)
    }};
}

/// Runs an audit command against the service at `context`.
pub async fn run(command: Command, context: &Context) -> anyhow::Result<()> {
    let format = Format::from_flag(command.json);
    let Verb::List(args) = command.verb;
    let (entries, next_page_token): Page = match args.service {
        Service::Customers => list_page!(
            redress_proto::customers::v1::customer_service_client::CustomerServiceClient<_>,
            redress_proto::customers::v1,
            context,
            args
        ),
        Service::Complaints => list_page!(
            redress_proto::complaints::v1::complaint_service_client::ComplaintServiceClient<_>,
            redress_proto::complaints::v1,
            context,
            args
        ),
        Service::Crisis => list_page!(
            redress_proto::crisis::v1::crisis_service_client::CrisisServiceClient<_>,
            redress_proto::crisis::v1,
            context,
            args
        ),
        Service::Notifications => list_page!(
            redress_proto::notifications::v1::notification_service_client::NotificationServiceClient<_>,
            redress_proto::notifications::v1,
            context,
            args
        ),
    };
    match format {
        Format::Json => print_json(&json!({
            "audit_entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
            "next_page_token": next_page_token,
        })),
        Format::Table => {
            let mut table = list(&[
                "when", "action", "outcome", "target", "actor", "via", "details",
            ]);
            for e in &entries {
                table.add_row(vec![
                    time_cell(e.create_time.as_ref()),
                    e.action.clone(),
                    super::render::enum_cell::<apb::AuditOutcome>(e.outcome),
                    e.target.clone(),
                    e.actor.clone(),
                    e.via_service.clone(),
                    details_cell(e),
                ]);
            }
            print_table(&table)?;
            if !next_page_token.is_empty() {
                print_line(format!("Next page: --page-token {next_page_token}"))?;
            }
            Ok(())
        }
    }
}

/// The details as `key=value` pairs, with who set off a rule's decision.
fn details_cell(e: &apb::AuditEntry) -> String {
    let mut pairs: Vec<String> = e.details.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    if !e.requested_by.is_empty() {
        pairs.insert(0, format!("requested_by={}", e.requested_by));
    }
    pairs.join(" ")
}

/// One entry as JSON, in the message's field names.
fn entry_json(e: &apb::AuditEntry) -> Value {
    let apb::AuditEntry {
        name,
        action,
        target,
        actor,
        actor_roles,
        via_service,
        requested_by,
        method,
        outcome,
        details,
        create_time,
    } = e;
    json!({
        "name": name,
        "action": action,
        "target": target,
        "actor": actor,
        "actor_roles": actor_roles,
        "via_service": via_service,
        "requested_by": requested_by,
        "method": method,
        "outcome": super::render::enum_json::<apb::AuditOutcome>(*outcome),
        "details": details.iter().collect::<std::collections::BTreeMap<_, _>>(),
        "create_time": time_json(create_time.as_ref()),
    })
}
