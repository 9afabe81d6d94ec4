//! Moving a complaint through its lifecycle: acknowledged, investigating,
//! awaiting the customer and back, a resolution proposed, accepted or
//! rejected, closed, reopened, merged into a duplicate and unmerged. Every
//! move takes the complaint ([`Target`]: name, bare id or reference), sends
//! `--etag` when given so a move on a stale view is refused, and sends a
//! request id so a retry with `--request-id` returns the first answer. Each
//! prints the complaint after the move.

use std::future::Future;

use clap::Subcommand;
use redress_proto::complaints::v1 as pb;

use super::{Client, Session, Target, print_complaint};
use crate::client::args::request_id;

/// Lifecycle verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Received → acknowledged: the customer was told it is in hand.
    Ack(Target),
    /// Acknowledged → investigating.
    Investigate(Target),
    /// Investigating → awaiting customer: a question was put to the
    /// customer (kept as a customer-visible message); SLA clocks pause.
    AwaitCustomer {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// What the customer is asked.
        #[arg(long)]
        question: String,
    },
    /// Awaiting customer → investigating: the customer answered.
    Resume {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// What the customer answered, kept as an internal note.
        #[arg(long)]
        answer: Option<String>,
    },
    /// Investigating → resolution proposed (kept as a customer-visible
    /// message).
    Propose {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// The resolution offered.
        #[arg(long)]
        resolution: String,
    },
    /// Resolution proposed → resolved: the customer accepted it. A
    /// complaint records its root cause.
    Accept {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// The root-cause category, such as `process` (required for a
        /// complaint; the categories are configured).
        #[arg(long)]
        root_cause: Option<String>,
        /// What went wrong, for the record.
        #[arg(long)]
        root_cause_detail: Option<String>,
    },
    /// Resolution proposed → investigating: the customer rejected it.
    Reject {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// Why the customer rejected it.
        #[arg(long)]
        reason: String,
    },
    /// Resolved → closed (inquiries and feedback also from acknowledged or
    /// investigating). A complaint needs its recovery steps done, or a
    /// supervisor's override reason.
    Close {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// Why it is closed with recovery steps missing (supervisors only).
        #[arg(long)]
        override_reason: Option<String>,
    },
    /// Resolved or closed → investigating, within the reopen window.
    Reopen {
        /// The complaint.
        #[command(flatten)]
        target: Target,
        /// Why it is reopened.
        #[arg(long)]
        reason: String,
    },
    /// Mark an open complaint as a duplicate of another open one of the
    /// same customer.
    Merge {
        /// The duplicate.
        #[command(flatten)]
        target: Target,
        /// The complaint it duplicates: name, bare id or reference.
        #[arg(long)]
        into: String,
    },
    /// Undo a merge: the complaint returns to the state it had.
    Unmerge(Target),
}

/// A move's common fields, as every lifecycle request takes them.
pub(super) struct Move {
    /// `complaints/{id}`.
    pub name: String,
    /// The etag given, or empty.
    pub etag: String,
    /// The request id sent.
    pub request_id: String,
}

/// Answers the client gives for one move: the complaint after it.
pub(super) type Moved = Result<Option<pb::Complaint>, tonic::Status>;

/// Makes the move `call` sends for `target` and prints the complaint after
/// it, with the request id sent.
pub(super) async fn apply<F, Fut>(
    session: &mut Session<'_>,
    target: Target,
    call: F,
) -> anyhow::Result<()>
where
    F: FnOnce(Client, Move) -> Fut,
    Fut: Future<Output = Moved>,
{
    let Target {
        name,
        etag,
        request_id: given_id,
    } = target;
    let request_id = request_id(given_id);
    let step = Move {
        name: session.resolve(&name).await?,
        etag: etag.unwrap_or_default(),
        request_id: request_id.clone(),
    };
    let complaint = call(session.client.clone(), step)
        .await
        .map_err(|s| session.fail(s))?;
    print_complaint(session.format, Some(&request_id), complaint.as_ref())
}

/// Makes one move through [`apply`]: `moved!(session, target, method,
/// Request { extra_field, other: value })` builds `pb::Request` from the
/// move's name, etag and request id plus the extra fields, calls
/// `client.method`, and takes the complaint from the response.
macro_rules! moved {
    ($session:expr, $target:expr, $method:ident,
     $request:ident { $($field:ident $(: $value:expr)?),* $(,)? }) => {
        apply($session, $target, |mut client, m| async move {
            let request = pb::$request {
                name: m.name,
                etag: m.etag,
                request_id: m.request_id,
                $($field $(: $value)?,)*
            };
            Ok(client.$method(request).await?.into_inner().complaint)
        })
        .await
    };
}
pub(super) use moved;

/// Runs a lifecycle verb.
pub(super) async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    match verb {
        Verb::Ack(target) => moved!(
            session,
            target,
            acknowledge_complaint,
            AcknowledgeComplaintRequest {}
        ),
        Verb::Investigate(target) => moved!(
            session,
            target,
            start_investigation,
            StartInvestigationRequest {}
        ),
        Verb::AwaitCustomer { target, question } => moved!(
            session,
            target,
            await_customer,
            AwaitCustomerRequest { question }
        ),
        Verb::Resume { target, answer } => moved!(
            session,
            target,
            resume_investigation,
            ResumeInvestigationRequest {
                customer_answer: answer.unwrap_or_default()
            }
        ),
        Verb::Propose { target, resolution } => moved!(
            session,
            target,
            propose_resolution,
            ProposeResolutionRequest { resolution }
        ),
        Verb::Accept {
            target,
            root_cause,
            root_cause_detail,
        } => moved!(
            session,
            target,
            accept_resolution,
            AcceptResolutionRequest {
                root_cause: root_cause.map(|category| pb::RootCause {
                    category,
                    detail: root_cause_detail.unwrap_or_default(),
                })
            }
        ),
        Verb::Reject { target, reason } => moved!(
            session,
            target,
            reject_resolution,
            RejectResolutionRequest { reason }
        ),
        Verb::Close {
            target,
            override_reason,
        } => moved!(
            session,
            target,
            close_complaint,
            CloseComplaintRequest {
                override_reason: override_reason.unwrap_or_default()
            }
        ),
        Verb::Reopen { target, reason } => moved!(
            session,
            target,
            reopen_complaint,
            ReopenComplaintRequest { reason }
        ),
        Verb::Merge { target, into } => {
            let into = session.resolve(&into).await?;
            moved!(
                session,
                target,
                merge_complaint,
                MergeComplaintRequest { into }
            )
        }
        Verb::Unmerge(target) => moved!(
            session,
            target,
            unmerge_complaint,
            UnmergeComplaintRequest {}
        ),
    }
}
