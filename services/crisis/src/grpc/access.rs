//! Who may call each CrisisService RPC: the one place it is declared. The
//! authentication layer refuses any method not listed here, and the
//! authorization test tries every method with every role from this same
//! table. Finer rules are the handlers': only the crisis's spokesperson
//! approves a statement, only a task's owner (or those in command)
//! completes it, only team members (or those in command) add to the
//! timeline.

use redress_platform::auth::Role::{self, *};

/// The full gRPC service name.
pub const SERVICE: &str = "redress.crisis.v1.CrisisService";

/// Every staff role: anyone may see that a crisis is on and what it asks of
/// them.
const STAFF: &[Role] = &Role::ALL;
/// Those who watch for trouble and read the crisis record in depth.
const WATCHERS: &[Role] = &[Supervisor, CrisisManager, Communications, Admin, Service];
/// Those who take command: declare, run and staff a crisis.
const COMMAND: &[Role] = &[CrisisManager, Admin, Service];
/// Those who keep the contingency plans.
const PLANNERS: &[Role] = &[CrisisManager, Admin];
/// Those who write, approve and release statements.
const SPEAKERS: &[Role] = &[Communications, CrisisManager, Service];
/// Those who link complaints they see to a crisis.
const LINKERS: &[Role] = &[Agent, Supervisor, CrisisManager, Admin, Service];
/// Those who file status reports.
const REPORTERS: &[Role] = &[CrisisManager, Communications, Supervisor, Service];
/// Systems following the feed.
const FEED: &[Role] = &[Admin, Service];

/// Method path → roles allowed.
pub const ACCESS: &[(&str, &[Role])] = &[
    ("/redress.crisis.v1.CrisisService/ListWarnings", WATCHERS),
    ("/redress.crisis.v1.CrisisService/GetWarning", WATCHERS),
    ("/redress.crisis.v1.CrisisService/ReportSignal", STAFF),
    ("/redress.crisis.v1.CrisisService/DismissWarning", COMMAND),
    ("/redress.crisis.v1.CrisisService/WatchWarning", COMMAND),
    ("/redress.crisis.v1.CrisisService/SnoozeWarning", COMMAND),
    ("/redress.crisis.v1.CrisisService/DeclareCrisis", COMMAND),
    ("/redress.crisis.v1.CrisisService/GetCrisis", STAFF),
    ("/redress.crisis.v1.CrisisService/ListCrises", STAFF),
    ("/redress.crisis.v1.CrisisService/UpdateCrisis", COMMAND),
    ("/redress.crisis.v1.CrisisService/TransitionCrisis", COMMAND),
    ("/redress.crisis.v1.CrisisService/AssignCrisisRole", COMMAND),
    (
        "/redress.crisis.v1.CrisisService/RemoveCrisisMember",
        COMMAND,
    ),
    (
        "/redress.crisis.v1.CrisisService/CreatePlanTemplate",
        PLANNERS,
    ),
    (
        "/redress.crisis.v1.CrisisService/UpdatePlanTemplate",
        PLANNERS,
    ),
    ("/redress.crisis.v1.CrisisService/GetPlanTemplate", WATCHERS),
    (
        "/redress.crisis.v1.CrisisService/ListPlanTemplates",
        WATCHERS,
    ),
    ("/redress.crisis.v1.CrisisService/CreateCrisisTask", COMMAND),
    (
        "/redress.crisis.v1.CrisisService/ReassignCrisisTask",
        COMMAND,
    ),
    ("/redress.crisis.v1.CrisisService/CompleteCrisisTask", STAFF),
    ("/redress.crisis.v1.CrisisService/ListCrisisTasks", STAFF),
    (
        "/redress.crisis.v1.CrisisService/LinkAffectedCustomers",
        COMMAND,
    ),
    ("/redress.crisis.v1.CrisisService/GetCustomerLink", WATCHERS),
    (
        "/redress.crisis.v1.CrisisService/ListAffectedCustomers",
        WATCHERS,
    ),
    ("/redress.crisis.v1.CrisisService/LinkComplaints", LINKERS),
    (
        "/redress.crisis.v1.CrisisService/ListLinkedComplaints",
        STAFF,
    ),
    ("/redress.crisis.v1.CrisisService/GetAffectedCounts", STAFF),
    ("/redress.crisis.v1.CrisisService/CreateStatement", SPEAKERS),
    ("/redress.crisis.v1.CrisisService/UpdateStatement", SPEAKERS),
    (
        "/redress.crisis.v1.CrisisService/ApproveStatement",
        SPEAKERS,
    ),
    (
        "/redress.crisis.v1.CrisisService/ReleaseStatement",
        SPEAKERS,
    ),
    ("/redress.crisis.v1.CrisisService/GetStatement", STAFF),
    ("/redress.crisis.v1.CrisisService/ListStatements", STAFF),
    (
        "/redress.crisis.v1.CrisisService/RecordRegulatorReport",
        SPEAKERS,
    ),
    (
        "/redress.crisis.v1.CrisisService/ListRegulatorReports",
        WATCHERS,
    ),
    ("/redress.crisis.v1.CrisisService/ListTimeline", STAFF),
    ("/redress.crisis.v1.CrisisService/AddTimelineNote", STAFF),
    (
        "/redress.crisis.v1.CrisisService/CreateStatusReport",
        REPORTERS,
    ),
    ("/redress.crisis.v1.CrisisService/ListStatusReports", STAFF),
    ("/redress.crisis.v1.CrisisService/GetCrisisReview", STAFF),
    (
        "/redress.crisis.v1.CrisisService/UpdateCrisisReview",
        COMMAND,
    ),
    ("/redress.crisis.v1.CrisisService/ListCrisisEvents", FEED),
    ("/redress.crisis.v1.CrisisService/WatchCrisisEvents", FEED),
    (
        "/redress.crisis.v1.CrisisService/ListAuditEntries",
        &[Admin],
    ),
];
