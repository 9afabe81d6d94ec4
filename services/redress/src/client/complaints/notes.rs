//! What was written on a complaint and what changed: internal notes and
//! customer-visible messages (with attachments by reference, never the
//! bytes), and the append-only history of every change, field by field.

use clap::Subcommand;
use redress_proto::complaints::v1 as pb;
use serde_json::json;

use super::{Page, Session, json, print_next_page, tables};
use crate::client::args::request_id;
use crate::client::render::{Format, print_json, print_table};
use crate::client::wire_enum::enum_parser;

/// Note and history verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Add an internal note or a message to the customer.
    Note {
        /// The complaint: name, bare id or reference.
        name: String,
        /// Who may see it: internal (staff only) or customer (sent to the
        /// customer; counts as an update for the SLA clocks).
        #[arg(long, value_parser = enum_parser::<pb::NoteVisibility>())]
        visibility: pb::NoteVisibility,
        /// The text.
        #[arg(long)]
        body: String,
        /// A file by reference, as URI,MEDIA_TYPE,SHA256 (an https:// or
        /// s3:// URI, such as image/jpeg, 64 hex digits); repeat for more.
        #[arg(long = "attachment", value_name = "URI,MEDIA_TYPE,SHA256", value_parser = parse_attachment)]
        attachments: Vec<pb::Attachment>,
        /// The request id (a UUID), to retry safely.
        #[arg(long)]
        request_id: Option<uuid::Uuid>,
    },
    /// A complaint's notes and messages, oldest first.
    Notes {
        /// The complaint: name, bare id or reference.
        name: String,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
    /// Every change to a complaint, oldest first.
    History {
        /// The complaint: name, bare id or reference.
        name: String,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
}

/// Parses `URI,MEDIA_TYPE,SHA256` into an attachment; for clap's
/// `value_parser`. The service checks each part.
fn parse_attachment(text: &str) -> Result<pb::Attachment, String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    match parts.as_slice() {
        [uri, media_type, sha256] if parts.iter().all(|p| !p.is_empty()) => Ok(pb::Attachment {
            uri: (*uri).to_owned(),
            media_type: (*media_type).to_owned(),
            sha256: (*sha256).to_owned(),
            ..Default::default()
        }),
        _ => Err(format!(
            "{text:?} is not URI,MEDIA_TYPE,SHA256, such as \
             https://files.example/1.jpg,image/jpeg,<64 hex digits>"
        )),
    }
}

/// Runs a note or history verb.
pub(super) async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    match verb {
        Verb::Note {
            name,
            visibility,
            body,
            attachments,
            request_id: given_id,
        } => {
            let request_id = request_id(given_id);
            let request = pb::AddComplaintNoteRequest {
                parent: session.resolve(&name).await?,
                note: Some(pb::Note {
                    visibility: visibility as i32,
                    body,
                    attachments,
                    ..Default::default()
                }),
                request_id: request_id.clone(),
            };
            let response = session
                .client
                .add_complaint_note(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            match session.format {
                Format::Json => print_json(&json!({
                    "request_id": request_id,
                    "note": response.note.as_ref().map(json::note),
                })),
                Format::Table => match &response.note {
                    Some(note) => print_table(&tables::notes(std::slice::from_ref(note))),
                    None => Ok(()),
                },
            }
        }
        Verb::Notes { name, page } => {
            let (page_size, page_token) = page.into_parts();
            let request = pb::ListComplaintNotesRequest {
                parent: session.resolve(&name).await?,
                page_size,
                page_token,
            };
            let response = session
                .client
                .list_complaint_notes(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            match session.format {
                Format::Json => print_json(&json!({
                    "notes": response.notes.iter().map(json::note).collect::<Vec<_>>(),
                    "next_page_token": response.next_page_token,
                })),
                Format::Table => {
                    print_table(&tables::notes(&response.notes))?;
                    print_next_page(&response.next_page_token)
                }
            }
        }
        Verb::History { name, page } => {
            let (page_size, page_token) = page.into_parts();
            let request = pb::GetComplaintHistoryRequest {
                name: session.resolve(&name).await?,
                page_size,
                page_token,
            };
            let response = session
                .client
                .get_complaint_history(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            match session.format {
                Format::Json => print_json(&json!({
                    "entries": response.entries.iter().map(json::history_entry).collect::<Vec<_>>(),
                    "next_page_token": response.next_page_token,
                })),
                Format::Table => {
                    print_table(&tables::history(&response.entries))?;
                    print_next_page(&response.next_page_token)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attachment_is_three_parts_by_reference() {
        let attachment = parse_attachment("s3://bucket/a.jpg, image/jpeg ,abc").expect("parses");
        assert_eq!(attachment.uri, "s3://bucket/a.jpg");
        assert_eq!(attachment.media_type, "image/jpeg");
        assert_eq!(attachment.sha256, "abc");
        assert!(parse_attachment("s3://bucket/a.jpg,image/jpeg").is_err());
        assert!(parse_attachment("s3://bucket/a.jpg,,abc").is_err());
        assert!(parse_attachment("a,b,c,d").is_err());
    }
}
