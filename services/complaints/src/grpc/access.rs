//! Who may call each ComplaintService RPC: the one place it is declared. The
//! authentication layer refuses any method not listed here, and the API
//! tests try every method with every role from this same table. Finer rules
//! (only the owner or a supervisor moves a complaint; only the one offered
//! accepts an offer) are checked by the handlers.

use redress_platform::auth::Role::{self, *};

/// The full gRPC service name.
pub const SERVICE: &str = "redress.complaints.v1.ComplaintService";

/// Every staff role.
const STAFF: &[Role] = &Role::ALL;
/// Those who work complaints: agents, supervisors, and systems acting for
/// them.
const HANDLERS: &[Role] = &[Agent, Supervisor, Admin, Service];
/// Those who read the figures.
const ANALYSTS: &[Role] = &[Supervisor, CrisisManager, Admin, Service];

/// Method path → roles allowed.
pub const ACCESS: &[(&str, &[Role])] = &[
    (
        "/redress.complaints.v1.ComplaintService/CreateComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/GetComplaint",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/BatchGetComplaints",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/UpdateComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListComplaints",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListMyWork",
        &[Agent, Supervisor, Service],
    ),
    (
        "/redress.complaints.v1.ComplaintService/AcknowledgeComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/StartInvestigation",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/AwaitCustomer",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ResumeInvestigation",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ProposeResolution",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/AcceptResolution",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/RejectResolution",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/CloseComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ReopenComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/MergeComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/UnmergeComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/HandOffComplaint",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/AcceptHandOff",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/DeclineHandOff",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/WithdrawHandOff",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ReassignComplaint",
        &[Supervisor, Admin, Service],
    ),
    (
        "/redress.complaints.v1.ComplaintService/RequestAssist",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/AnswerAssist",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListOwnershipChanges",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ProposeGoodwill",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ApproveGoodwill",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/RejectGoodwill",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/FulfilGoodwill",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/CancelGoodwill",
        HANDLERS,
    ),
    ("/redress.complaints.v1.ComplaintService/GetGoodwill", STAFF),
    (
        "/redress.complaints.v1.ComplaintService/ListGoodwill",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/GetGoodwillTotals",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/AddComplaintNote",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListComplaintNotes",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/GetComplaintHistory",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/GetComplaintStats",
        ANALYSTS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/RecordRecoveryStep",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/GetRecoveryPlan",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/CreateImprovementAction",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/UpdateImprovementAction",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/LinkImprovementAction",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/GetImprovementAction",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListImprovementActions",
        STAFF,
    ),
    ("/redress.complaints.v1.ComplaintService/ListLessons", STAFF),
    (
        "/redress.complaints.v1.ComplaintService/ListCategories",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/GetComplaintInsights",
        ANALYSTS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/CreateTeam",
        &[Admin],
    ),
    (
        "/redress.complaints.v1.ComplaintService/UpdateTeam",
        &[Admin],
    ),
    ("/redress.complaints.v1.ComplaintService/ListTeams", STAFF),
    ("/redress.complaints.v1.ComplaintService/GetSurvey", STAFF),
    ("/redress.complaints.v1.ComplaintService/ListSurveys", STAFF),
    (
        "/redress.complaints.v1.ComplaintService/AnswerSurvey",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListFollowUps",
        STAFF,
    ),
    (
        "/redress.complaints.v1.ComplaintService/CompleteFollowUp",
        HANDLERS,
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListComplaintEvents",
        &[Admin, Service],
    ),
    (
        "/redress.complaints.v1.ComplaintService/WatchComplaintEvents",
        &[Admin, Service],
    ),
    (
        "/redress.complaints.v1.ComplaintService/ListAuditEntries",
        &[Admin],
    ),
];
