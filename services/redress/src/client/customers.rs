//! `redress customers ...`: call the customers service from the command line.
//!
//! Each verb is one RPC of `redress.customers.v1.CustomerService`: the
//! arguments become the request, the response is printed as a table, or with
//! `--json` as JSON in the response message's shape (proto field names,
//! short enum names, RFC 3339 times), plus the `request_id` sent by verbs
//! that take one. A failed call prints the gRPC code, message and details on
//! stderr and exits non-zero. The verbs live by subject: [`profiles`]
//! (create, get, list, search, update, erase), [`activity`] (transactions,
//! interactions, satisfaction) and [`reports`] (select, churn report);
//! [`json`] and [`tables`] render the messages.

mod activity;
mod json;
mod profiles;
mod reports;
mod tables;

use clap::{Args, Subcommand};
use redress_proto::customers::v1 as pb;
use redress_proto::customers::v1::customer_service_client::CustomerServiceClient;

use super::render::Format;
use super::wire_enum::wire_enum;
use super::{AuthedChannel, CallError, Context};

wire_enum! {
    pb::CustomerKind => "CUSTOMER_KIND_",
    pb::Channel => "CHANNEL_",
    pb::CommunicationStyle => "COMMUNICATION_STYLE_",
    pb::ConsentState => "CONSENT_STATE_",
    pb::CustomerSize => "CUSTOMER_SIZE_",
    pb::OperatingStatus => "OPERATING_STATUS_",
    pb::LifecycleStage => "LIFECYCLE_STAGE_",
    pb::ValueGrade => "VALUE_GRADE_",
    pb::SatisfactionTrend => "SATISFACTION_TREND_",
    pb::TransactionKind => "TRANSACTION_KIND_",
    pb::Direction => "DIRECTION_",
}

/// Customer commands: `redress customers [--json] <verb> ...`.
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

/// One customer command.
#[derive(Debug, Subcommand)]
enum Verb {
    /// Create a customer (prints the request id with --json; pass it back
    /// with --request-id to retry safely).
    Create(profiles::CreateArgs),
    /// Get one customer by name (`customers/{id}` or the bare id).
    Get {
        /// The customer's name or id.
        name: String,
    },
    /// List customers matching filters, oldest first, one page at a time.
    List(profiles::ListArgs),
    /// Find customers by a phone number or e-mail address, as heard.
    Search {
        /// A phone number in any common notation, or an e-mail address.
        query: String,
        /// At most this many customers (default 50, at most 1000).
        #[arg(long)]
        page_size: Option<i32>,
    },
    /// Change some of a customer's fields (only those given).
    Update(profiles::UpdateArgs),
    /// Remove a customer's personal data; the anonymous record stays.
    Erase {
        /// The customer's name or id.
        name: String,
        /// Why, such as a data-subject request reference (no personal data).
        #[arg(long)]
        reason: String,
    },
    /// Record a purchase, renewal or contract end (needs the admin role).
    RecordTransaction(activity::TransactionArgs),
    /// Append a contact to a customer's interaction log.
    RecordInteraction(activity::InteractionArgs),
    /// List a customer's interactions, newest first.
    Interactions(activity::InteractionsArgs),
    /// Record a satisfaction survey answer.
    RecordSatisfaction(activity::SatisfactionArgs),
    /// Print the name of every customer matching a selector, one a line, as
    /// they stream in.
    Select(reports::SelectArgs),
    /// Churn per value grade and size over a period, against the period
    /// before.
    ChurnReport(reports::ChurnArgs),
}

/// The client type the verbs call through.
type Client = CustomerServiceClient<AuthedChannel>;

/// What a verb needs: the client, where it points, and how to print.
struct Session<'a> {
    /// The customers service client.
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
}

/// Runs a customer command against the service at `context`.
pub async fn run(command: Command, context: &Context) -> anyhow::Result<()> {
    let mut session = Session {
        client: CustomerServiceClient::new(context.channel().await?),
        context,
        format: Format::from_flag(command.json),
    };
    let session = &mut session;
    match command.verb {
        Verb::Create(args) => profiles::create(session, args).await,
        Verb::Get { name } => profiles::get(session, &name).await,
        Verb::List(args) => profiles::list(session, args).await,
        Verb::Search { query, page_size } => profiles::search(session, query, page_size).await,
        Verb::Update(args) => profiles::update(session, args).await,
        Verb::Erase { name, reason } => profiles::erase(session, &name, reason).await,
        Verb::RecordTransaction(args) => activity::record_transaction(session, args).await,
        Verb::RecordInteraction(args) => activity::record_interaction(session, args).await,
        Verb::Interactions(args) => activity::interactions(session, args).await,
        Verb::RecordSatisfaction(args) => activity::record_satisfaction(session, args).await,
        Verb::Select(args) => reports::select(session, args).await,
        Verb::ChurnReport(args) => reports::churn_report(session, args).await,
    }
}
