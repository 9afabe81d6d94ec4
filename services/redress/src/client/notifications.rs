//! `redress notifications ...`: call the notifications service from the
//! command line.
//!
//! Each verb is one RPC of `redress.notifications.v1.NotificationService`:
//! the arguments become the request, the response is printed as a table,
//! or with `--json` as JSON in the response message's shape (proto field
//! names, short enum names, RFC 3339 times), plus the `request_id` sent by
//! verbs that take one. A failed call prints the gRPC code, message and
//! details on stderr and exits non-zero. Recipients are `customers/{id}`
//! (a bare id is taken as a customer), `agents/{subject}` or `teams/{id}`.

use std::collections::HashMap;

use clap::{ArgGroup, Args, Subcommand};
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as pb;
use redress_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use serde_json::{Value, json};

use super::args::{complaint_name, request_id, resource_name};
use super::render::{
    Format, enum_cell, enum_json, enums_cell, enums_json, list, print_json, print_line,
    print_table, record, text_json, time_cell, time_json,
};
use super::wire_enum::{enum_parser, wire_enum};
use super::{CallError, Context};

wire_enum! {
    pb::Channel => "CHANNEL_",
    pb::Style => "STYLE_",
    pb::MessageState => "MESSAGE_STATE_",
    pb::BroadcastState => "BROADCAST_STATE_",
    pb::AttemptOutcome => "ATTEMPT_OUTCOME_",
}

/// Notification commands: `redress notifications [--json] <verb> ...`.
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

/// One notification command.
#[derive(Debug, Subcommand)]
enum Verb {
    /// Queue one message (prints the request id with --json; pass it back
    /// with --request-id to retry safely).
    Send(SendArgs),
    /// Get one message with every delivery attempt (`messages/{id}` or the
    /// bare id).
    Get {
        /// The message's name or id.
        name: String,
    },
    /// List the messages of one recipient, complaint or broadcast, newest
    /// first, one page at a time.
    List(ListArgs),
    /// Cancel a message not yet sent.
    Cancel {
        /// The message's name or id.
        name: String,
    },
    /// Send one message to every member of an audience: listed customers,
    /// the customers a selector takes, or (with --assembled) customers added
    /// afterwards with add-members until `start`.
    Broadcast(BroadcastArgs),
    /// Add customers to an assembled broadcast, 10,000 per call.
    AddMembers(AddMembersArgs),
    /// Start an assembled broadcast: its members are queued, those added
    /// with --first before the rest.
    Start {
        /// The broadcast's name (`broadcasts/{id}`) or id.
        name: String,
    },
    /// Count a broadcast's messages by state.
    Progress {
        /// The broadcast's name (`broadcasts/{id}`) or id.
        name: String,
    },
    /// Create a template.
    #[command(subcommand)]
    Template(TemplateVerb),
    /// Render what a recipient would receive for a kind, channel, locale
    /// and style.
    Preview(PreviewArgs),
    /// List a recipient's in-app inbox, newest first.
    Inbox(InboxArgs),
}

/// `redress notifications template ...`.
#[derive(Debug, Subcommand)]
enum TemplateVerb {
    /// Save a new template (version 1).
    Create(TemplateArgs),
    /// List templates, current versions, one page at a time.
    List {
        /// Only templates of this kind.
        #[arg(long)]
        kind: Option<String>,
        /// At most this many (default 50, at most 1000).
        #[arg(long)]
        page_size: Option<i32>,
        /// The next-page token printed by the previous page.
        #[arg(long)]
        page_token: Option<String>,
    },
}

/// `redress notifications send`.
#[derive(Debug, Args)]
struct SendArgs {
    /// The recipient: customers/{id}, agents/{subject} or teams/{id}.
    #[arg(long)]
    recipient: String,
    /// The message kind, such as complaint.acknowledgement; picks the
    /// template.
    #[arg(long)]
    kind: String,
    /// The category opt-outs and the daily cap apply to (default: the
    /// kind's first segment).
    #[arg(long)]
    category: Option<String>,
    /// Pass quiet hours and the daily cap (never an opt-out).
    #[arg(long)]
    critical: bool,
    /// A template variable, NAME=VALUE; repeat for more.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// A channel to use, in order; repeat for more (default: the
    /// recipient's own order).
    #[arg(long = "channel", value_name = "CHANNEL", value_parser = enum_parser::<pb::Channel>())]
    channels: Vec<pb::Channel>,
    /// The complaint the message is about.
    #[arg(long)]
    complaint: Option<String>,
    /// The request id (a UUID); give the one printed earlier to retry a
    /// send safely. A new one is made for each invocation otherwise.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// `redress notifications list`: exactly one of the filters.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("whose").required(true).args(["recipient", "complaint", "broadcast"])))]
struct ListArgs {
    /// A recipient's messages.
    #[arg(long)]
    recipient: Option<String>,
    /// A complaint's messages (complaints/{id} or the id).
    #[arg(long)]
    complaint: Option<String>,
    /// A broadcast's messages (broadcasts/{id} or the id).
    #[arg(long)]
    broadcast: Option<String>,
    /// Only messages in this state; repeat for more.
    #[arg(long = "state", value_name = "STATE", value_parser = enum_parser::<pb::MessageState>())]
    states: Vec<pb::MessageState>,
    /// At most this many (default 50, at most 1000).
    #[arg(long)]
    page_size: Option<i32>,
    /// The next-page token printed by the previous page (same filters).
    #[arg(long)]
    page_token: Option<String>,
}

/// `redress notifications broadcast`: listed customers, or a selector
/// (repeated flags of one kind are alternatives, different kinds must all
/// hold; no selector flag at all takes every customer).
#[derive(Debug, Args)]
struct BroadcastArgs {
    /// The message kind; picks the template.
    #[arg(long)]
    kind: String,
    /// The category (default: the kind's first segment).
    #[arg(long)]
    category: Option<String>,
    /// Every message passes quiet hours and the daily cap.
    #[arg(long)]
    critical: bool,
    /// A template variable, NAME=VALUE, the same for everyone; repeat for
    /// more.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// A channel to use, in order; repeat for more.
    #[arg(long = "channel", value_name = "CHANNEL", value_parser = enum_parser::<pb::Channel>())]
    channels: Vec<pb::Channel>,
    /// A customer to send to (customers/{id} or the id); repeat for more.
    #[arg(long = "customer", value_name = "CUSTOMER",
          conflicts_with_all = ["grades", "sizes", "stages", "tags", "locales", "regions"])]
    customers: Vec<String>,
    /// The audience is added afterwards (`add-members`), and nothing is
    /// sent until `start`.
    #[arg(long, conflicts_with_all = ["customers", "grades", "sizes", "stages", "tags", "locales", "regions"])]
    assembled: bool,
    /// Customers of this value grade; repeat for more.
    #[arg(long = "grade", value_name = "GRADE", value_parser = enum_parser::<cpb::ValueGrade>())]
    grades: Vec<cpb::ValueGrade>,
    /// Customers of this size; repeat for more.
    #[arg(long = "size", value_name = "SIZE", value_parser = enum_parser::<cpb::CustomerSize>())]
    sizes: Vec<cpb::CustomerSize>,
    /// Customers in this lifecycle stage; repeat for more.
    #[arg(long = "stage", value_name = "STAGE", value_parser = enum_parser::<cpb::LifecycleStage>())]
    stages: Vec<cpb::LifecycleStage>,
    /// Customers with this tag; repeat for more.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Customers with this locale or one under it; repeat for more.
    #[arg(long = "locale", value_name = "LOCALE")]
    locales: Vec<String>,
    /// Customers with a postal address in this ISO 3166-1 country; repeat
    /// for more.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// The request id (a UUID), to retry a broadcast safely.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// `redress notifications add-members`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).multiple(true).args(["customers", "file"])))]
struct AddMembersArgs {
    /// The broadcast's name (`broadcasts/{id}`) or id.
    name: String,
    /// A customer to add (customers/{id} or the id); repeat for more.
    #[arg(long = "customer", value_name = "CUSTOMER")]
    customers: Vec<String>,
    /// A file of customers, one per line (`-` for standard input).
    #[arg(long, value_name = "PATH")]
    file: Option<std::path::PathBuf>,
    /// These customers are queued and delivered before the others (a
    /// crisis's heavily affected).
    #[arg(long)]
    first: bool,
}

/// `redress notifications template create`.
#[derive(Debug, Args)]
struct TemplateArgs {
    /// The message kind, a lower-case dotted identifier.
    #[arg(long)]
    kind: String,
    /// The channel (default: any channel).
    #[arg(long, value_parser = enum_parser::<pb::Channel>())]
    channel: Option<pb::Channel>,
    /// A BCP 47 tag (default: the kind's default).
    #[arg(long)]
    locale: Option<String>,
    /// The style (default: any style).
    #[arg(long, value_parser = enum_parser::<pb::Style>())]
    style: Option<pb::Style>,
    /// The subject line or title; may use variables.
    #[arg(long)]
    subject: String,
    /// The body; variables are written {{ name }}.
    #[arg(long)]
    body: String,
    /// A variable the template may use (besides recipient); repeat for
    /// more.
    #[arg(long = "var", value_name = "NAME")]
    variables: Vec<String>,
}

/// `redress notifications preview`.
#[derive(Debug, Args)]
struct PreviewArgs {
    /// The message kind.
    #[arg(long)]
    kind: String,
    /// The channel.
    #[arg(long, value_parser = enum_parser::<pb::Channel>())]
    channel: Option<pb::Channel>,
    /// The recipient's locale.
    #[arg(long)]
    locale: Option<String>,
    /// The recipient's style.
    #[arg(long, value_parser = enum_parser::<pb::Style>())]
    style: Option<pb::Style>,
    /// A template variable, NAME=VALUE; repeat for more.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// The recipient's display name, as recipient.name.
    #[arg(long = "name", value_name = "DISPLAY")]
    display_name: Option<String>,
}

/// `redress notifications inbox`.
#[derive(Debug, Args)]
struct InboxArgs {
    /// The recipient.
    #[arg(long)]
    recipient: String,
    /// Only unread items.
    #[arg(long)]
    unread: bool,
    /// At most this many (default 50, at most 1000).
    #[arg(long)]
    page_size: Option<i32>,
    /// The next-page token printed by the previous page.
    #[arg(long)]
    page_token: Option<String>,
}

/// `NAME=VALUE` as a pair.
fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("{text:?} is not NAME=VALUE")),
    }
}

/// A recipient's name: `customers/…`, `agents/…` or `teams/…` as given, a
/// bare id as a customer.
fn recipient_name(input: &str) -> String {
    let input = input.trim();
    if input.contains('/') {
        input.to_owned()
    } else {
        resource_name("customers", input)
    }
}

fn raw(channels: &[pb::Channel]) -> Vec<i32> {
    channels.iter().map(|c| *c as i32).collect()
}

/// Runs a notification command against the service at `context`.
pub async fn run(command: Command, context: &Context) -> anyhow::Result<()> {
    let mut client = NotificationServiceClient::new(context.channel().await?);
    let format = Format::from_flag(command.json);
    let fail = |s: tonic::Status| -> CallError { context.failure(s) };
    match command.verb {
        Verb::Send(args) => {
            let request_id = request_id(args.request_id);
            let message = pb::Message {
                recipient: recipient_name(&args.recipient),
                kind: args.kind,
                category: args.category.unwrap_or_default(),
                critical: args.critical,
                variables: args.vars.into_iter().collect(),
                channels: raw(&args.channels),
                complaint: args
                    .complaint
                    .as_deref()
                    .map(complaint_name)
                    .unwrap_or_default(),
                ..Default::default()
            };
            let response = client
                .send_message(pb::SendMessageRequest {
                    message: Some(message),
                    request_id: request_id.clone(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            print_message(format, response.message.as_ref(), Some(&request_id))
        }
        Verb::Get { name } => {
            let name = resource_name("messages", &name);
            let response = client
                .get_message(pb::GetMessageRequest { name })
                .await
                .map_err(fail)?
                .into_inner();
            print_message(format, response.message.as_ref(), None)
        }
        Verb::Cancel { name } => {
            let name = resource_name("messages", &name);
            let response = client
                .cancel_message(pb::CancelMessageRequest { name })
                .await
                .map_err(fail)?
                .into_inner();
            print_message(format, response.message.as_ref(), None)
        }
        Verb::List(args) => {
            use pb::list_messages_request::Filter;
            let filter = match (args.recipient, args.complaint, args.broadcast) {
                (Some(r), _, _) => Filter::Recipient(recipient_name(&r)),
                (_, Some(c), _) => Filter::Complaint(complaint_name(&c)),
                (_, _, Some(b)) => Filter::Broadcast(resource_name("broadcasts", &b)),
                _ => anyhow::bail!("give --recipient, --complaint or --broadcast"),
            };
            let response = client
                .list_messages(pb::ListMessagesRequest {
                    filter: Some(filter),
                    states: args.states.iter().map(|s| *s as i32).collect(),
                    page_size: args.page_size.unwrap_or(0),
                    page_token: args.page_token.unwrap_or_default(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            match format {
                Format::Json => print_json(&json!({
                    "messages": response.messages.iter().map(message_json).collect::<Vec<_>>(),
                    "next_page_token": response.next_page_token,
                })),
                Format::Table => {
                    let mut table = list(&[
                        "name",
                        "recipient",
                        "kind",
                        "state",
                        "reason",
                        "channel",
                        "created",
                    ]);
                    for m in &response.messages {
                        table.add_row(vec![
                            m.name.clone(),
                            m.recipient.clone(),
                            m.kind.clone(),
                            enum_cell::<pb::MessageState>(m.state),
                            m.state_reason.clone(),
                            enum_cell::<pb::Channel>(m.channel),
                            time_cell(m.create_time.as_ref()),
                        ]);
                    }
                    print_table(&table)?;
                    next_page(&response.next_page_token)
                }
            }
        }
        Verb::Broadcast(args) => {
            use pb::audience::Members;
            let members = if args.assembled {
                Members::Assembled(pb::AssembledAudience {})
            } else if args.customers.is_empty() {
                Members::Selector(cpb::CustomerSelector {
                    value_grades: args.grades.iter().map(|g| *g as i32).collect(),
                    sizes: args.sizes.iter().map(|s| *s as i32).collect(),
                    lifecycle_stages: args.stages.iter().map(|s| *s as i32).collect(),
                    tags: args.tags,
                    locales: args.locales,
                    region_codes: args.regions,
                })
            } else {
                Members::Customers(pb::CustomerList {
                    names: args
                        .customers
                        .iter()
                        .map(|c| resource_name("customers", c))
                        .collect(),
                })
            };
            let request_id = request_id(args.request_id);
            let broadcast = pb::Broadcast {
                audience: Some(pb::Audience {
                    members: Some(members),
                }),
                kind: args.kind,
                category: args.category.unwrap_or_default(),
                critical: args.critical,
                variables: args.vars.into_iter().collect(),
                channels: raw(&args.channels),
                ..Default::default()
            };
            let response = client
                .create_broadcast(pb::CreateBroadcastRequest {
                    broadcast: Some(broadcast),
                    request_id: request_id.clone(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            let broadcast = response.broadcast.as_ref();
            match format {
                Format::Json => print_json(&json!({
                    "request_id": request_id,
                    "broadcast": broadcast.map(broadcast_json),
                })),
                Format::Table => print_broadcast(broadcast),
            }
        }
        Verb::AddMembers(args) => {
            let name = resource_name("broadcasts", &args.name);
            let mut members: Vec<String> = args
                .customers
                .iter()
                .map(|c| resource_name("customers", c))
                .collect();
            if let Some(path) = &args.file {
                let text = if path.as_os_str() == "-" {
                    std::io::read_to_string(std::io::stdin())?
                } else {
                    std::fs::read_to_string(path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
                };
                members.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|line| !line.is_empty())
                        .map(|c| resource_name("customers", c)),
                );
            }
            let (mut added, mut total) = (0, 0);
            for chunk in members.chunks(redress_notifications::grpc::MAX_ADDED) {
                let response = client
                    .add_broadcast_members(pb::AddBroadcastMembersRequest {
                        name: name.clone(),
                        members: chunk.to_vec(),
                        first: args.first,
                    })
                    .await
                    .map_err(fail)?
                    .into_inner();
                added += response.added_count;
                total = response.member_count;
            }
            match format {
                Format::Json => print_json(&json!({
                    "name": name,
                    "added_count": added,
                    "member_count": total,
                })),
                Format::Table => print_table(&record(vec![
                    ("name", name),
                    ("added", added.to_string()),
                    ("members", total.to_string()),
                ])),
            }
        }
        Verb::Start { name } => {
            let name = resource_name("broadcasts", &name);
            let response = client
                .start_broadcast(pb::StartBroadcastRequest { name })
                .await
                .map_err(fail)?
                .into_inner();
            let broadcast = response.broadcast.as_ref();
            match format {
                Format::Json => print_json(&json!({ "broadcast": broadcast.map(broadcast_json) })),
                Format::Table => print_broadcast(broadcast),
            }
        }
        Verb::Progress { name } => {
            let name = resource_name("broadcasts", &name);
            let response = client
                .get_broadcast_progress(pb::GetBroadcastProgressRequest { name })
                .await
                .map_err(fail)?
                .into_inner();
            match format {
                Format::Json => print_json(&progress_json(&response)),
                Format::Table => {
                    let mut table = list(&["state", "messages"]);
                    table.add_row(vec![
                        format!(
                            "broadcast {}",
                            enum_cell::<pb::BroadcastState>(response.state)
                        ),
                        response.total.to_string(),
                    ]);
                    for count in &response.counts {
                        table.add_row(vec![
                            enum_cell::<pb::MessageState>(count.state),
                            count.count.to_string(),
                        ]);
                    }
                    print_table(&table)
                }
            }
        }
        Verb::Template(TemplateVerb::Create(args)) => {
            let template = pb::Template {
                kind: args.kind,
                channel: args.channel.map_or(0, |c| c as i32),
                locale: args.locale.unwrap_or_default(),
                style: args.style.map_or(0, |s| s as i32),
                subject: args.subject,
                body: args.body,
                variables: args.variables,
                ..Default::default()
            };
            let response = client
                .create_template(pb::CreateTemplateRequest {
                    template: Some(template),
                })
                .await
                .map_err(fail)?
                .into_inner();
            let template = response.template.as_ref();
            match format {
                Format::Json => print_json(&json!({ "template": template.map(template_json) })),
                Format::Table => match template {
                    Some(t) => print_table(&record(vec![
                        ("name", t.name.clone()),
                        ("kind", t.kind.clone()),
                        ("channel", enum_cell::<pb::Channel>(t.channel)),
                        ("locale", t.locale.clone()),
                        ("style", enum_cell::<pb::Style>(t.style)),
                        ("subject", t.subject.clone()),
                        ("body", t.body.clone()),
                        ("variables", t.variables.join(", ")),
                        ("version", t.version.to_string()),
                        ("updated", time_cell(t.update_time.as_ref())),
                        ("etag", t.etag.clone()),
                    ])),
                    None => print_line("(no template in the response)"),
                },
            }
        }
        Verb::Template(TemplateVerb::List {
            kind,
            page_size,
            page_token,
        }) => {
            let response = client
                .list_templates(pb::ListTemplatesRequest {
                    kind: kind.unwrap_or_default(),
                    page_size: page_size.unwrap_or(0),
                    page_token: page_token.unwrap_or_default(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            match format {
                Format::Json => print_json(&json!({
                    "templates": response.templates.iter().map(template_json).collect::<Vec<_>>(),
                    "next_page_token": response.next_page_token,
                })),
                Format::Table => {
                    let mut table = list(&[
                        "name", "kind", "channel", "locale", "style", "version", "subject",
                    ]);
                    for t in &response.templates {
                        table.add_row(vec![
                            t.name.clone(),
                            t.kind.clone(),
                            enum_cell::<pb::Channel>(t.channel),
                            t.locale.clone(),
                            enum_cell::<pb::Style>(t.style),
                            t.version.to_string(),
                            t.subject.clone(),
                        ]);
                    }
                    print_table(&table)?;
                    next_page(&response.next_page_token)
                }
            }
        }
        Verb::Preview(args) => {
            let lookup = pb::TemplateLookup {
                kind: args.kind,
                channel: args.channel.map_or(0, |c| c as i32),
                locale: args.locale.unwrap_or_default(),
                style: args.style.map_or(0, |s| s as i32),
            };
            let response = client
                .preview_template(pb::PreviewTemplateRequest {
                    source: Some(pb::preview_template_request::Source::Lookup(lookup)),
                    variables: args.vars.into_iter().collect::<HashMap<_, _>>(),
                    recipient_display_name: args.display_name.unwrap_or_default(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            let pb::PreviewTemplateResponse {
                template,
                template_version,
                locale,
                subject,
                body,
            } = response;
            match format {
                Format::Json => print_json(&json!({
                    "template": template,
                    "template_version": template_version,
                    "locale": locale,
                    "subject": subject,
                    "body": body,
                })),
                Format::Table => print_table(&record(vec![
                    ("template", template),
                    ("version", template_version.to_string()),
                    ("locale", locale),
                    ("subject", subject),
                    ("body", body),
                ])),
            }
        }
        Verb::Inbox(args) => {
            let response = client
                .list_inbox(pb::ListInboxRequest {
                    recipient: recipient_name(&args.recipient),
                    unread_only: args.unread,
                    page_size: args.page_size.unwrap_or(0),
                    page_token: args.page_token.unwrap_or_default(),
                })
                .await
                .map_err(fail)?
                .into_inner();
            match format {
                Format::Json => print_json(&json!({
                    "items": response.items.iter().map(|i| json!({
                        "message": i.message,
                        "kind": i.kind,
                        "subject": i.subject,
                        "body": i.body,
                        "create_time": time_json(i.create_time.as_ref()),
                        "read_time": time_json(i.read_time.as_ref()),
                    })).collect::<Vec<_>>(),
                    "unread_count": response.unread_count,
                    "next_page_token": response.next_page_token,
                })),
                Format::Table => {
                    let mut table = list(&["message", "kind", "subject", "arrived", "read"]);
                    for i in &response.items {
                        table.add_row(vec![
                            i.message.clone(),
                            i.kind.clone(),
                            i.subject.clone(),
                            time_cell(i.create_time.as_ref()),
                            time_cell(i.read_time.as_ref()),
                        ]);
                    }
                    print_table(&table)?;
                    print_line(format!("Unread: {}", response.unread_count))?;
                    next_page(&response.next_page_token)
                }
            }
        }
    }
}

/// Prints the next-page hint when there is a next page.
fn next_page(token: &str) -> anyhow::Result<()> {
    if token.is_empty() {
        Ok(())
    } else {
        print_line(format!("Next page: --page-token {token}"))
    }
}

/// Prints `{"message": ...}` (with the request id sent, if any) as JSON, or
/// the message and its attempts as tables.
fn print_message(
    format: Format,
    message: Option<&pb::Message>,
    request_id: Option<&str>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut out = json!({ "message": message.map(message_json) });
            if let Some(id) = request_id {
                out["request_id"] = text_json(id);
            }
            print_json(&out)
        }
        Format::Table => {
            let Some(m) = message else {
                return print_line("(no message in the response)");
            };
            let mut variables: Vec<_> = m.variables.iter().collect();
            variables.sort();
            print_table(&record(vec![
                ("name", m.name.clone()),
                ("recipient", m.recipient.clone()),
                ("kind", m.kind.clone()),
                ("category", m.category.clone()),
                ("critical", m.critical.to_string()),
                (
                    "variables",
                    variables
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                ("channels", enums_cell::<pb::Channel>(&m.channels)),
                ("complaint", m.complaint.clone()),
                ("broadcast", m.broadcast.clone()),
                ("state", enum_cell::<pb::MessageState>(m.state)),
                ("reason", m.state_reason.clone()),
                ("channel", enum_cell::<pb::Channel>(m.channel)),
                ("next attempt", time_cell(m.next_attempt_time.as_ref())),
                ("created", time_cell(m.create_time.as_ref())),
                ("sent", time_cell(m.send_time.as_ref())),
                ("updated", time_cell(m.update_time.as_ref())),
            ]))?;
            if !m.attempts.is_empty() {
                let mut table = list(&[
                    "channel",
                    "number",
                    "outcome",
                    "detail",
                    "started",
                    "ms",
                    "template v",
                ]);
                for a in &m.attempts {
                    table.add_row(vec![
                        enum_cell::<pb::Channel>(a.channel),
                        a.number.to_string(),
                        enum_cell::<pb::AttemptOutcome>(a.outcome),
                        a.detail.clone(),
                        time_cell(a.start_time.as_ref()),
                        a.duration_ms.to_string(),
                        a.template_version.to_string(),
                    ]);
                }
                print_table(&table)?;
            }
            Ok(())
        }
    }
}

/// A message as JSON.
fn message_json(m: &pb::Message) -> Value {
    let pb::Message {
        name,
        recipient,
        kind,
        category,
        critical,
        variables,
        channels,
        complaint,
        broadcast,
        state,
        state_reason,
        channel,
        next_attempt_time,
        attempts,
        create_time,
        send_time,
        update_time,
    } = m;
    json!({
        "name": name,
        "recipient": recipient,
        "kind": kind,
        "category": category,
        "critical": critical,
        "variables": variables,
        "channels": enums_json::<pb::Channel>(channels),
        "complaint": complaint,
        "broadcast": broadcast,
        "state": enum_json::<pb::MessageState>(*state),
        "state_reason": state_reason,
        "channel": enum_json::<pb::Channel>(*channel),
        "next_attempt_time": time_json(next_attempt_time.as_ref()),
        "attempts": attempts.iter().map(|a| json!({
            "channel": enum_json::<pb::Channel>(a.channel),
            "number": a.number,
            "outcome": enum_json::<pb::AttemptOutcome>(a.outcome),
            "detail": a.detail,
            "start_time": time_json(a.start_time.as_ref()),
            "duration_ms": a.duration_ms,
            "template_version": a.template_version,
        })).collect::<Vec<_>>(),
        "create_time": time_json(create_time.as_ref()),
        "send_time": time_json(send_time.as_ref()),
        "update_time": time_json(update_time.as_ref()),
    })
}

/// A template as JSON.
fn template_json(t: &pb::Template) -> Value {
    let pb::Template {
        name,
        kind,
        channel,
        locale,
        style,
        subject,
        body,
        variables,
        version,
        create_time,
        update_time,
        etag,
    } = t;
    json!({
        "name": name,
        "kind": kind,
        "channel": enum_json::<pb::Channel>(*channel),
        "locale": locale,
        "style": enum_json::<pb::Style>(*style),
        "subject": subject,
        "body": body,
        "variables": variables,
        "version": version,
        "create_time": time_json(create_time.as_ref()),
        "update_time": time_json(update_time.as_ref()),
        "etag": etag,
    })
}

/// A broadcast as a record table.
fn print_broadcast(broadcast: Option<&pb::Broadcast>) -> anyhow::Result<()> {
    match broadcast {
        Some(b) => print_table(&record(vec![
            ("name", b.name.clone()),
            ("kind", b.kind.clone()),
            ("category", b.category.clone()),
            ("critical", b.critical.to_string()),
            ("channels", enums_cell::<pb::Channel>(&b.channels)),
            ("state", enum_cell::<pb::BroadcastState>(b.state)),
            ("members", b.member_count.to_string()),
            ("queued", b.queued_count.to_string()),
            ("created", time_cell(b.create_time.as_ref())),
            ("expanded", time_cell(b.expand_time.as_ref())),
        ])),
        None => print_line("(no broadcast in the response)"),
    }
}

/// A broadcast as JSON (the audience as its list or selector).
fn broadcast_json(b: &pb::Broadcast) -> Value {
    use pb::audience::Members;
    let pb::Broadcast {
        name,
        audience,
        kind,
        category,
        critical,
        variables,
        channels,
        state,
        queued_count,
        create_time,
        expand_time,
        member_count,
    } = b;
    let audience = match audience.as_ref().and_then(|a| a.members.as_ref()) {
        None => Value::Null,
        Some(Members::Customers(list)) => json!({ "customers": { "names": list.names } }),
        Some(Members::Assembled(pb::AssembledAudience {})) => json!({ "assembled": {} }),
        Some(Members::Selector(s)) => json!({ "selector": {
            "value_grades": enums_json::<cpb::ValueGrade>(&s.value_grades),
            "sizes": enums_json::<cpb::CustomerSize>(&s.sizes),
            "lifecycle_stages": enums_json::<cpb::LifecycleStage>(&s.lifecycle_stages),
            "tags": s.tags,
            "locales": s.locales,
            "region_codes": s.region_codes,
        }}),
    };
    json!({
        "name": name,
        "audience": audience,
        "kind": kind,
        "category": category,
        "critical": critical,
        "variables": variables,
        "channels": enums_json::<pb::Channel>(channels),
        "state": enum_json::<pb::BroadcastState>(*state),
        "member_count": member_count,
        "queued_count": queued_count,
        "create_time": time_json(create_time.as_ref()),
        "expand_time": time_json(expand_time.as_ref()),
    })
}

/// A broadcast's progress as JSON.
fn progress_json(p: &pb::GetBroadcastProgressResponse) -> Value {
    json!({
        "state": enum_json::<pb::BroadcastState>(p.state),
        "total": p.total,
        "counts": p.counts.iter().map(|c| json!({
            "state": enum_json::<pb::MessageState>(c.state),
            "count": c.count,
        })).collect::<Vec<_>>(),
    })
}
