//! What happens with a customer: transactions (which move the value grade
//! and lifecycle stage), the interaction log, and satisfaction answers. Each
//! record sends a request id, new per invocation unless `--request-id` gives
//! the one to retry.

use clap::Args;
use jiff::Timestamp;
use redress_platform::wire::timestamp;
use redress_proto::customers::v1 as pb;
use serde_json::json;

use super::{Session, json, tables};
use crate::client::args::{
    Decimal, complaint_name, customer_name, parse_decimal, parse_time, request_id,
};
use crate::client::render::{Format, print_json, print_line, print_table};
use crate::client::wire_enum::enum_parser;

/// `redress customers record-transaction`.
#[derive(Debug, Args)]
pub struct TransactionArgs {
    /// The customer's name or id.
    name: String,
    /// What kind of transaction.
    #[arg(long, value_parser = enum_parser::<pb::TransactionKind>())]
    kind: pb::TransactionKind,
    /// The amount as a decimal, such as 12.34 (needs --currency; not for a
    /// contract end).
    #[arg(long, value_parser = parse_decimal, requires = "currency", allow_hyphen_values = true)]
    amount: Option<Decimal>,
    /// The ISO 4217 currency code of the amount, such as EUR.
    #[arg(long, requires = "amount")]
    currency: Option<String>,
    /// When it happened, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time)]
    at: Option<Timestamp>,
    /// The transaction's id in the company's own system.
    #[arg(long)]
    external_reference: Option<String>,
    /// The request id (a UUID), to retry a recording safely.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// `redress customers record-interaction`.
#[derive(Debug, Args)]
pub struct InteractionArgs {
    /// The customer's name or id.
    name: String,
    /// The channel of the contact.
    #[arg(long, value_parser = enum_parser::<pb::Channel>())]
    channel: pb::Channel,
    /// Who started the contact.
    #[arg(long, value_parser = enum_parser::<pb::Direction>())]
    direction: pb::Direction,
    /// What was said, in a few sentences.
    #[arg(long)]
    summary: String,
    /// The complaint it was about (`complaints/{id}` or the id).
    #[arg(long)]
    complaint: Option<String>,
    /// When it happened, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time)]
    at: Option<Timestamp>,
    /// The request id (a UUID), to retry a recording safely.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// `redress customers interactions`.
#[derive(Debug, Args)]
pub struct InteractionsArgs {
    /// The customer's name or id.
    name: String,
    /// At most this many interactions (default 50, at most 1000).
    #[arg(long)]
    page_size: Option<i32>,
    /// The next-page token printed by the previous page.
    #[arg(long)]
    page_token: Option<String>,
}

/// `redress customers record-satisfaction`.
#[derive(Debug, Args)]
pub struct SatisfactionArgs {
    /// The customer's name or id.
    name: String,
    /// The value the customer perceived, on the survey's scale.
    #[arg(long)]
    perceived: f64,
    /// What the customer expected, on the same scale (above zero).
    #[arg(long)]
    expected: f64,
    /// The complaint the survey followed (`complaints/{id}` or the id).
    #[arg(long)]
    complaint: Option<String>,
    /// When the customer answered, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time)]
    at: Option<Timestamp>,
    /// The request id (a UUID), to retry a recording safely.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// Records a transaction.
pub(super) async fn record_transaction(
    session: &mut Session<'_>,
    args: TransactionArgs,
) -> anyhow::Result<()> {
    let TransactionArgs {
        name,
        kind,
        amount,
        currency,
        at,
        external_reference,
        request_id: given_id,
    } = args;
    let amount = amount.zip(currency).map(|(a, c)| a.money(&c));
    let transaction = pb::Transaction {
        kind: kind as i32,
        amount,
        occur_time: Some(timestamp(at.unwrap_or_else(Timestamp::now))),
        external_reference: external_reference.unwrap_or_default(),
        ..Default::default()
    };
    let request_id = request_id(given_id);
    let request = pb::RecordTransactionRequest {
        parent: customer_name(&name),
        transaction: Some(transaction),
        request_id: request_id.clone(),
    };
    let response = session
        .client
        .record_transaction(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "request_id": request_id,
            "transaction": response.transaction.as_ref().map(json::transaction),
            "customer": response.customer.as_ref().map(json::customer),
        })),
        Format::Table => {
            if let Some(transaction) = &response.transaction {
                print_table(&tables::transaction(transaction))?;
            }
            if let Some(customer) = &response.customer {
                print_table(&tables::standing(customer))?;
            }
            Ok(())
        }
    }
}

/// Records an interaction.
pub(super) async fn record_interaction(
    session: &mut Session<'_>,
    args: InteractionArgs,
) -> anyhow::Result<()> {
    let InteractionArgs {
        name,
        channel,
        direction,
        summary,
        complaint,
        at,
        request_id: given_id,
    } = args;
    let interaction = pb::Interaction {
        channel: channel as i32,
        direction: direction as i32,
        summary,
        occur_time: at.map(timestamp),
        related_complaint: complaint.as_deref().map(complaint_name).unwrap_or_default(),
        ..Default::default()
    };
    let request_id = request_id(given_id);
    let request = pb::RecordInteractionRequest {
        parent: customer_name(&name),
        interaction: Some(interaction),
        request_id: request_id.clone(),
    };
    let response = session
        .client
        .record_interaction(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "request_id": request_id,
            "interaction": response.interaction.as_ref().map(json::interaction),
        })),
        Format::Table => {
            if let Some(interaction) = &response.interaction {
                print_table(&tables::interaction(interaction))?;
            }
            Ok(())
        }
    }
}

/// Lists one page of a customer's interactions.
pub(super) async fn interactions(
    session: &mut Session<'_>,
    args: InteractionsArgs,
) -> anyhow::Result<()> {
    let InteractionsArgs {
        name,
        page_size,
        page_token,
    } = args;
    let request = pb::ListInteractionsRequest {
        parent: customer_name(&name),
        page_size: page_size.unwrap_or(0),
        page_token: page_token.unwrap_or_default(),
    };
    let response = session
        .client
        .list_interactions(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "interactions": response.interactions.iter().map(json::interaction).collect::<Vec<_>>(),
            "next_page_token": response.next_page_token,
        })),
        Format::Table => {
            print_table(&tables::interactions(&response.interactions))?;
            if !response.next_page_token.is_empty() {
                print_line(format!(
                    "Next page: --page-token {}",
                    response.next_page_token
                ))?;
            }
            Ok(())
        }
    }
}

/// Records a satisfaction answer.
pub(super) async fn record_satisfaction(
    session: &mut Session<'_>,
    args: SatisfactionArgs,
) -> anyhow::Result<()> {
    let SatisfactionArgs {
        name,
        perceived,
        expected,
        complaint,
        at,
        request_id: given_id,
    } = args;
    let record = pb::SatisfactionRecord {
        perceived_value: perceived,
        expectation: expected,
        related_complaint: complaint.as_deref().map(complaint_name).unwrap_or_default(),
        answer_time: at.map(timestamp),
        ..Default::default()
    };
    let request_id = request_id(given_id);
    let request = pb::RecordSatisfactionRequest {
        parent: customer_name(&name),
        record: Some(record),
        request_id: request_id.clone(),
    };
    let response = session
        .client
        .record_satisfaction(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "request_id": request_id,
            "record": response.record.as_ref().map(json::satisfaction_record),
            "summary": response.summary.as_ref().map(json::satisfaction_summary),
        })),
        Format::Table => {
            if let Some(record) = &response.record {
                print_table(&tables::satisfaction_record(record))?;
            }
            if let Some(summary) = &response.summary {
                print_table(&tables::satisfaction_summary(summary))?;
            }
            Ok(())
        }
    }
}
