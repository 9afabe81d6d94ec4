//! Who the customer is: create, get, list, search by contact, update and
//! erase. Create sends a request id (AIP-155) so a retry with the same id is
//! safe; update builds its field mask from exactly the flags given and sends
//! `--etag` when given, so a concurrent change is refused rather than
//! overwritten.

use clap::Args;
use redress_proto::customers::v1 as pb;
use serde_json::json;

use super::{Session, json, tables};
use crate::client::args::{customer_name, request_id};
use crate::client::render::{Format, print_json, print_line, print_table};
use crate::client::wire_enum::enum_parser;

/// `redress customers create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The name staff see and address the customer by.
    #[arg(long)]
    display_name: String,
    /// Whether the customer is a person or an organisation.
    #[arg(long, value_parser = enum_parser::<pb::CustomerKind>())]
    kind: pb::CustomerKind,
    /// An e-mail address; repeat for more (sent first, in order).
    #[arg(long = "email", value_name = "EMAIL")]
    emails: Vec<String>,
    /// A phone number in any common notation; repeat for more (sent after
    /// the e-mail addresses).
    #[arg(long = "phone", value_name = "PHONE")]
    phones: Vec<String>,
    /// The language and region as a BCP 47 tag, such as nl-NL.
    #[arg(long)]
    locale: Option<String>,
    /// The IANA time zone, such as Europe/Amsterdam.
    #[arg(long)]
    time_zone: Option<String>,
    /// The customer's size.
    #[arg(long, value_parser = enum_parser::<pb::CustomerSize>())]
    size: Option<pb::CustomerSize>,
    /// A label or segment; repeat for more.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// The customer's id in the CRM or ERP.
    #[arg(long)]
    external_reference: Option<String>,
    /// The request id (a UUID); give the one printed earlier to retry a
    /// create safely. A new one is made for each invocation otherwise.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// `redress customers list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only customers of this value grade.
    #[arg(long, value_parser = enum_parser::<pb::ValueGrade>())]
    grade: Option<pb::ValueGrade>,
    /// Only customers of this size.
    #[arg(long, value_parser = enum_parser::<pb::CustomerSize>())]
    size: Option<pb::CustomerSize>,
    /// Only customers in this lifecycle stage.
    #[arg(long, value_parser = enum_parser::<pb::LifecycleStage>())]
    stage: Option<pb::LifecycleStage>,
    /// Only customers with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only customers with exactly this locale.
    #[arg(long)]
    locale: Option<String>,
    /// Only customers whose display name or external reference contains
    /// this text.
    #[arg(long)]
    query: Option<String>,
    /// At most this many customers (default 50, at most 1000).
    #[arg(long)]
    page_size: Option<i32>,
    /// The next-page token printed by the previous page (same filters).
    #[arg(long)]
    page_token: Option<String>,
}

/// `redress customers update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The customer's name or id.
    name: String,
    /// A new display name.
    #[arg(long)]
    display_name: Option<String>,
    /// A new kind.
    #[arg(long, value_parser = enum_parser::<pb::CustomerKind>())]
    kind: Option<pb::CustomerKind>,
    /// A new locale (BCP 47).
    #[arg(long)]
    locale: Option<String>,
    /// A new IANA time zone.
    #[arg(long)]
    time_zone: Option<String>,
    /// A new size.
    #[arg(long, value_parser = enum_parser::<pb::CustomerSize>())]
    size: Option<pb::CustomerSize>,
    /// The new tags, replacing the old; repeat for more.
    #[arg(long = "tag", value_name = "TAG", conflicts_with = "clear_tags")]
    tags: Vec<String>,
    /// Remove every tag.
    #[arg(long)]
    clear_tags: bool,
    /// A new external reference.
    #[arg(long)]
    external_reference: Option<String>,
    /// The etag read with the customer: the update is refused if the
    /// customer changed since.
    #[arg(long)]
    etag: Option<String>,
}

/// Prints `{"customer": ...}` as JSON, or the customer as a record table.
fn print_customer(format: Format, customer: Option<&pb::Customer>) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&json!({ "customer": customer.map(json::customer) })),
        Format::Table => match customer {
            Some(customer) => print_table(&tables::customer(customer)),
            None => print_line("(no customer in the response)"),
        },
    }
}

/// Creates a customer.
pub(super) async fn create(session: &mut Session<'_>, args: CreateArgs) -> anyhow::Result<()> {
    let CreateArgs {
        display_name,
        kind,
        emails,
        phones,
        locale,
        time_zone,
        size,
        tags,
        external_reference,
        request_id: given_id,
    } = args;
    let point = |point| pb::ContactPoint {
        point: Some(point),
        ..Default::default()
    };
    let contact_points = emails
        .into_iter()
        .map(pb::contact_point::Point::Email)
        .chain(phones.into_iter().map(pb::contact_point::Point::Phone))
        .map(point)
        .collect();
    let customer = pb::Customer {
        display_name,
        kind: kind as i32,
        contact_points,
        locale: locale.unwrap_or_default(),
        time_zone: time_zone.unwrap_or_default(),
        size: size.map_or(0, |s| s as i32),
        tags,
        external_reference: external_reference.unwrap_or_default(),
        ..Default::default()
    };
    let request_id = request_id(given_id);
    let request = pb::CreateCustomerRequest {
        customer: Some(customer),
        request_id: request_id.clone(),
    };
    let response = session
        .client
        .create_customer(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "request_id": request_id,
            "customer": response.customer.as_ref().map(json::customer),
        })),
        Format::Table => print_customer(Format::Table, response.customer.as_ref()),
    }
}

/// Gets one customer.
pub(super) async fn get(session: &mut Session<'_>, name: &str) -> anyhow::Result<()> {
    let request = pb::GetCustomerRequest {
        name: customer_name(name),
    };
    let response = session
        .client
        .get_customer(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_customer(session.format, response.customer.as_ref())
}

/// Lists one page of customers.
pub(super) async fn list(session: &mut Session<'_>, args: ListArgs) -> anyhow::Result<()> {
    let ListArgs {
        grade,
        size,
        stage,
        tag,
        locale,
        query,
        page_size,
        page_token,
    } = args;
    let request = pb::ListCustomersRequest {
        page_size: page_size.unwrap_or(0),
        page_token: page_token.unwrap_or_default(),
        value_grade: grade.map_or(0, |g| g as i32),
        size: size.map_or(0, |s| s as i32),
        lifecycle_stage: stage.map_or(0, |s| s as i32),
        tag: tag.unwrap_or_default(),
        locale: locale.unwrap_or_default(),
        query: query.unwrap_or_default(),
    };
    let response = session
        .client
        .list_customers(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "customers": response.customers.iter().map(json::customer).collect::<Vec<_>>(),
            "next_page_token": response.next_page_token,
        })),
        Format::Table => {
            print_table(&tables::customers(&response.customers))?;
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

/// Finds customers by a phone number or e-mail address.
pub(super) async fn search(
    session: &mut Session<'_>,
    query: String,
    page_size: Option<i32>,
) -> anyhow::Result<()> {
    let request = pb::SearchCustomersByContactRequest {
        query,
        page_size: page_size.unwrap_or(0),
    };
    let response = session
        .client
        .search_customers_by_contact(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "customers": response.customers.iter().map(json::customer).collect::<Vec<_>>(),
            "normalized_query": response.normalized_query,
        })),
        Format::Table => {
            print_line(format!("Matched as {}", response.normalized_query))?;
            print_table(&tables::customers(&response.customers))?;
            Ok(())
        }
    }
}

/// Updates the fields given, with a mask naming exactly those.
pub(super) async fn update(session: &mut Session<'_>, args: UpdateArgs) -> anyhow::Result<()> {
    let UpdateArgs {
        name,
        display_name,
        kind,
        locale,
        time_zone,
        size,
        tags,
        clear_tags,
        external_reference,
        etag,
    } = args;
    let mut customer = pb::Customer {
        name: customer_name(&name),
        etag: etag.unwrap_or_default(),
        ..Default::default()
    };
    let mut paths = Vec::new();
    if let Some(value) = display_name {
        customer.display_name = value;
        paths.push("display_name");
    }
    if let Some(value) = kind {
        customer.kind = value as i32;
        paths.push("kind");
    }
    if let Some(value) = locale {
        customer.locale = value;
        paths.push("locale");
    }
    if let Some(value) = time_zone {
        customer.time_zone = value;
        paths.push("time_zone");
    }
    if let Some(value) = size {
        customer.size = value as i32;
        paths.push("size");
    }
    if !tags.is_empty() || clear_tags {
        customer.tags = tags;
        paths.push("tags");
    }
    if let Some(value) = external_reference {
        customer.external_reference = value;
        paths.push("external_reference");
    }
    if paths.is_empty() {
        anyhow::bail!(
            "nothing to update: give at least one of --display-name, --kind, --locale, \
             --time-zone, --size, --tag, --clear-tags, --external-reference"
        );
    }
    let request = pb::UpdateCustomerRequest {
        customer: Some(customer),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.into_iter().map(String::from).collect(),
        }),
    };
    let response = session
        .client
        .update_customer(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_customer(session.format, response.customer.as_ref())
}

/// Erases a customer's personal data.
pub(super) async fn erase(
    session: &mut Session<'_>,
    name: &str,
    reason: String,
) -> anyhow::Result<()> {
    let request = pb::EraseCustomerRequest {
        name: customer_name(name),
        reason,
    };
    let response = session
        .client
        .erase_customer(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_customer(session.format, response.customer.as_ref())
}
