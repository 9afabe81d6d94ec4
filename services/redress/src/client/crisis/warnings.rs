//! Early warning from the command line: list and read warnings, report a
//! signal seen outside (social media, press, a regulator, a partner), and
//! dismiss, watch or snooze a warning. A warning is escalated by declaring a
//! crisis from it (`declare --from-warning`).

use clap::Subcommand;
use jiff::Timestamp;
use redress_platform::wire;
use redress_proto::crisis::v1 as pb;

use super::show::{print_warnings, warning_json};
use super::{Page, Session, print_next_page, warning_name};
use crate::client::args::{complaint_name, parse_time, request_id};
use crate::client::render::{Format, print_json};
use crate::client::wire_enum::enum_parser;

/// Warning verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// List warnings, newest first.
    Warnings {
        /// Only warnings in these states (open, watched, snoozed,
        /// dismissed, escalated).
        #[arg(long, value_delimiter = ',', value_parser = enum_parser::<pb::WarningState>())]
        state: Vec<pb::WarningState>,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
    /// Show one warning with its evidence.
    Warning {
        /// The warning: `warnings/{id}` or its id.
        name: String,
    },
    /// Record a signal seen outside as a warning.
    ReportSignal {
        /// Where it was seen: social-media, press, regulator, partner,
        /// other.
        #[arg(long, value_parser = enum_parser::<pb::SignalChannel>())]
        channel: pb::SignalChannel,
        /// What was seen, in a few lines.
        #[arg(long)]
        summary: String,
        /// A link to it.
        #[arg(long)]
        uri: Option<String>,
        /// Complaints it concerns (repeatable).
        #[arg(long = "complaint")]
        complaints: Vec<String>,
        /// The request id, to retry safely.
        #[arg(long)]
        request_id: Option<uuid::Uuid>,
    },
    /// Dismiss a warning, with the reason.
    Dismiss {
        /// The warning.
        name: String,
        /// Why it does not matter.
        #[arg(long)]
        reason: String,
    },
    /// Keep a warning in view.
    Watch {
        /// The warning.
        name: String,
    },
    /// Silence a warning until a time.
    Snooze {
        /// The warning.
        name: String,
        /// Until when (RFC 3339).
        #[arg(long, value_parser = parse_time)]
        until: Timestamp,
    },
}

/// Prints one warning.
fn print_one(format: Format, warning: Option<&pb::Warning>) -> anyhow::Result<()> {
    match (format, warning) {
        (Format::Json, Some(w)) => print_json(&serde_json::json!({ "warning": warning_json(w) })),
        (_, w) => print_warnings(Format::Table, &w.cloned().into_iter().collect::<Vec<_>>()),
    }
}

/// Runs a warning verb.
pub async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    let format = session.format;
    match verb {
        Verb::Warnings { state, page } => {
            let (page_size, page_token) = page.into_parts();
            let response = session
                .client
                .list_warnings(pb::ListWarningsRequest {
                    states: state.into_iter().map(|s| s as i32).collect(),
                    page_size,
                    page_token,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_warnings(format, &response.warnings)?;
            print_next_page(&response.next_page_token)
        }
        Verb::Warning { name } => {
            let response = session
                .client
                .get_warning(pb::GetWarningRequest {
                    name: warning_name(&name),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.warning.as_ref())
        }
        Verb::ReportSignal {
            channel,
            summary,
            uri,
            complaints,
            request_id: given,
        } => {
            let response = session
                .client
                .report_signal(pb::ReportSignalRequest {
                    signal_channel: channel as i32,
                    summary,
                    source_uri: uri.unwrap_or_default(),
                    complaints: complaints.iter().map(|c| complaint_name(c)).collect(),
                    request_id: request_id(given),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.warning.as_ref())
        }
        Verb::Dismiss { name, reason } => {
            let response = session
                .client
                .dismiss_warning(pb::DismissWarningRequest {
                    name: warning_name(&name),
                    reason,
                    etag: String::new(),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.warning.as_ref())
        }
        Verb::Watch { name } => {
            let response = session
                .client
                .watch_warning(pb::WatchWarningRequest {
                    name: warning_name(&name),
                    etag: String::new(),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.warning.as_ref())
        }
        Verb::Snooze { name, until } => {
            let response = session
                .client
                .snooze_warning(pb::SnoozeWarningRequest {
                    name: warning_name(&name),
                    snooze_until_time: Some(wire::timestamp(until)),
                    etag: String::new(),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.warning.as_ref())
        }
    }
}
