//! Who owns a complaint and who helps (the adoption rule): the owner offers
//! it to a named agent or team, who accept or decline; the owner may take
//! the offer back; a supervisor reassigns it with a reason; the owner asks
//! an agent or department for help without giving up ownership; and every
//! change of owner is in the ledger. Hand-offs and assists are named
//! `complaints/{complaint}/handOffs/{id}` and `.../assists/{id}`, as
//! `hand-off`, `assist` and `my-work` print them.

use clap::{ArgGroup, Args, Subcommand};
use redress_proto::complaints::v1 as pb;
use redress_proto::complaints::v1::hand_off_complaint_request::Target as Receiver;
use serde_json::json;

use super::lifecycle::{apply, moved};
use super::{Page, Session, Target, json, print_next_page, tables};
use crate::client::args::{request_id, team_name};
use crate::client::render::{Format, print_json, print_table};

/// Ownership verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Offer the complaint to an agent or a team; the caller stays the owner
    /// until the offer is accepted.
    HandOff(HandOffArgs),
    /// Take a complaint offered to the caller or the caller's team.
    AcceptHandOff {
        /// The hand-off, `complaints/{complaint}/handOffs/{id}`.
        hand_off: String,
        /// The request id (a UUID), to retry safely.
        #[arg(long)]
        request_id: Option<uuid::Uuid>,
    },
    /// Decline a complaint offered to the caller or the caller's team; the
    /// owner keeps it.
    DeclineHandOff {
        /// The hand-off, `complaints/{complaint}/handOffs/{id}`.
        hand_off: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The request id (a UUID), to retry safely.
        #[arg(long)]
        request_id: Option<uuid::Uuid>,
    },
    /// Take back a pending offer (the owner).
    WithdrawHandOff {
        /// The hand-off, `complaints/{complaint}/handOffs/{id}`.
        hand_off: String,
        /// The request id (a UUID), to retry safely.
        #[arg(long)]
        request_id: Option<uuid::Uuid>,
    },
    /// Move the complaint to another agent, with a reason (a supervisor).
    Reassign {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// The new owner, a staff subject.
        #[arg(long)]
        to: String,
        /// The new owner's team (`teams/{id}` or the id); none when left out.
        #[arg(long)]
        team: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Ask an agent or a department for help, keeping ownership.
    Assist(AssistArgs),
    /// Answer an assist asked of the caller or the caller's team.
    AnswerAssist {
        /// The assist, `complaints/{complaint}/assists/{id}`.
        assist: String,
        /// The answer.
        #[arg(long)]
        answer: String,
        /// The request id (a UUID), to retry safely.
        #[arg(long)]
        request_id: Option<uuid::Uuid>,
    },
    /// The ownership ledger of a complaint, oldest first.
    Ownership {
        /// The complaint: name, bare id or reference.
        name: String,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
}

/// `redress complaints hand-off`: to exactly one of an agent and a team.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("receiver").required(true).args(["to_agent", "to_team"])))]
pub struct HandOffArgs {
    /// The complaint.
    #[command(flatten)]
    target: Target,
    /// Offer it to this agent (a staff subject).
    #[arg(long)]
    to_agent: Option<String>,
    /// Offer it to this team (`teams/{id}` or the id).
    #[arg(long)]
    to_team: Option<String>,
    /// Why.
    #[arg(long)]
    reason: String,
}

/// `redress complaints assist`: of exactly one of an agent and a
/// department.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("helper").required(true).args(["agent", "department"])))]
pub struct AssistArgs {
    /// The complaint: name, bare id or reference.
    name: String,
    /// Ask this agent (a staff subject).
    #[arg(long)]
    agent: Option<String>,
    /// Ask this department (a team, `teams/{id}` or the id).
    #[arg(long)]
    department: Option<String>,
    /// What is asked.
    #[arg(long)]
    question: String,
    /// The request id (a UUID), to retry safely.
    #[arg(long)]
    request_id: Option<uuid::Uuid>,
}

/// Runs an ownership verb.
pub(super) async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    match verb {
        Verb::HandOff(args) => hand_off(session, args).await,
        Verb::AcceptHandOff {
            hand_off,
            request_id: given_id,
        } => {
            let request_id = request_id(given_id);
            let request = pb::AcceptHandOffRequest {
                name: hand_off.trim().to_owned(),
                request_id: request_id.clone(),
            };
            let response = session
                .client
                .accept_hand_off(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_offer(
                session.format,
                &request_id,
                response.complaint.as_ref(),
                response.hand_off.as_ref(),
            )
        }
        Verb::DeclineHandOff {
            hand_off,
            reason,
            request_id: given_id,
        } => {
            let request_id = request_id(given_id);
            let request = pb::DeclineHandOffRequest {
                name: hand_off.trim().to_owned(),
                reason,
                request_id: request_id.clone(),
            };
            let response = session
                .client
                .decline_hand_off(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_offer(
                session.format,
                &request_id,
                None,
                response.hand_off.as_ref(),
            )
        }
        Verb::WithdrawHandOff {
            hand_off,
            request_id: given_id,
        } => {
            let request_id = request_id(given_id);
            let request = pb::WithdrawHandOffRequest {
                name: hand_off.trim().to_owned(),
                request_id: request_id.clone(),
            };
            let response = session
                .client
                .withdraw_hand_off(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_offer(
                session.format,
                &request_id,
                None,
                response.hand_off.as_ref(),
            )
        }
        Verb::Reassign {
            target,
            to,
            team,
            reason,
        } => moved!(
            session,
            target,
            reassign_complaint,
            ReassignComplaintRequest {
                new_owner: to,
                new_team: team.as_deref().map(team_name).unwrap_or_default(),
                reason,
            }
        ),
        Verb::Assist(args) => assist(session, args).await,
        Verb::AnswerAssist {
            assist,
            answer,
            request_id: given_id,
        } => {
            let request_id = request_id(given_id);
            let request = pb::AnswerAssistRequest {
                name: assist.trim().to_owned(),
                answer,
                request_id: request_id.clone(),
            };
            let response = session
                .client
                .answer_assist(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_assist(session.format, &request_id, response.assist.as_ref())
        }
        Verb::Ownership { name, page } => ledger(session, &name, page).await,
    }
}

/// Prints what a hand-off verb answers: `{"request_id", "complaint",
/// "hand_off"}` (the complaint only when the answer has one), or tables.
fn print_offer(
    format: Format,
    request_id: &str,
    complaint: Option<&pb::Complaint>,
    hand_off: Option<&pb::HandOff>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut value = json!({
                "request_id": request_id,
                "hand_off": hand_off.map(json::hand_off),
            });
            if let (Some(complaint), Some(object)) = (complaint, value.as_object_mut()) {
                object.insert("complaint".into(), json::complaint(complaint));
            }
            print_json(&value)
        }
        Format::Table => {
            if let Some(complaint) = complaint {
                print_table(&tables::complaint(complaint))?;
            }
            if let Some(hand_off) = hand_off {
                print_table(&tables::hand_off(hand_off))?;
            }
            Ok(())
        }
    }
}

/// Prints `{"request_id", "assist"}` or the assist as a table.
fn print_assist(
    format: Format,
    request_id: &str,
    assist: Option<&pb::Assist>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&json!({
            "request_id": request_id,
            "assist": assist.map(json::assist),
        })),
        Format::Table => match assist {
            Some(assist) => print_table(&tables::assist(assist)),
            None => Ok(()),
        },
    }
}

/// Offers a complaint to an agent or a team.
async fn hand_off(session: &mut Session<'_>, args: HandOffArgs) -> anyhow::Result<()> {
    let HandOffArgs {
        target,
        to_agent,
        to_team,
        reason,
    } = args;
    let receiver = match (to_agent, to_team) {
        (Some(agent), _) => Receiver::ToAgent(agent),
        (None, Some(team)) => Receiver::ToTeam(team_name(&team)),
        (None, None) => anyhow::bail!("give the receiver: --to-agent or --to-team"),
    };
    let request_id = request_id(target.request_id);
    let request = pb::HandOffComplaintRequest {
        name: session.resolve(&target.name).await?,
        etag: target.etag.unwrap_or_default(),
        request_id: request_id.clone(),
        target: Some(receiver),
        reason,
    };
    let response = session
        .client
        .hand_off_complaint(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_offer(
        session.format,
        &request_id,
        response.complaint.as_ref(),
        response.hand_off.as_ref(),
    )
}

/// Asks an agent or a department for help.
async fn assist(session: &mut Session<'_>, args: AssistArgs) -> anyhow::Result<()> {
    let AssistArgs {
        name,
        agent,
        department,
        question,
        request_id: given_id,
    } = args;
    let request_id = request_id(given_id);
    let request = pb::RequestAssistRequest {
        parent: session.resolve(&name).await?,
        assist: Some(pb::Assist {
            agent: agent.unwrap_or_default(),
            department: department.as_deref().map(team_name).unwrap_or_default(),
            question,
            ..Default::default()
        }),
        request_id: request_id.clone(),
    };
    let response = session
        .client
        .request_assist(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    print_assist(session.format, &request_id, response.assist.as_ref())
}

/// Lists one page of a complaint's ownership ledger.
async fn ledger(session: &mut Session<'_>, name: &str, page: Page) -> anyhow::Result<()> {
    let (page_size, page_token) = page.into_parts();
    let request = pb::ListOwnershipChangesRequest {
        parent: session.resolve(name).await?,
        page_size,
        page_token,
    };
    let response = session
        .client
        .list_ownership_changes(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "changes": response.changes.iter().map(json::ownership_change).collect::<Vec<_>>(),
            "next_page_token": response.next_page_token,
        })),
        Format::Table => {
            print_table(&tables::ownership_changes(&response.changes))?;
            print_next_page(&response.next_page_token)
        }
    }
}
