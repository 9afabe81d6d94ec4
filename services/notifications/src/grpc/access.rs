//! Who may call each NotificationService RPC: the one place it is
//! declared. The authentication layer refuses any method not listed here.

use redress_platform::auth::Role::{self, *};

/// The full gRPC service name.
pub const SERVICE: &str = "redress.notifications.v1.NotificationService";

/// Every staff role.
const STAFF: &[Role] = &Role::ALL;
/// Those who word what the company says.
const AUTHORS: &[Role] = &[Communications, Admin];
/// Those who send messages to one recipient.
const SENDERS: &[Role] = &[
    Agent,
    Supervisor,
    Communications,
    CrisisManager,
    Admin,
    Service,
];
/// Those who speak to many customers at once.
const BROADCASTERS: &[Role] = &[Communications, CrisisManager, Admin, Service];
/// Those who set a recipient's preferences (an agent on the phone with the
/// customer, the customer's own app through a service).
const PREFERENCE_KEEPERS: &[Role] = &[Agent, Supervisor, Admin, Service];

/// Method path → roles allowed.
pub const ACCESS: &[(&str, &[Role])] = &[
    (
        "/redress.notifications.v1.NotificationService/CreateTemplate",
        AUTHORS,
    ),
    (
        "/redress.notifications.v1.NotificationService/GetTemplate",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/ListTemplates",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/UpdateTemplate",
        AUTHORS,
    ),
    (
        "/redress.notifications.v1.NotificationService/PreviewTemplate",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/GetPreferences",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/UpdatePreferences",
        PREFERENCE_KEEPERS,
    ),
    (
        "/redress.notifications.v1.NotificationService/GetStaffContact",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/UpdateStaffContact",
        &[Supervisor, Admin, Service],
    ),
    (
        "/redress.notifications.v1.NotificationService/SendMessage",
        SENDERS,
    ),
    (
        "/redress.notifications.v1.NotificationService/GetMessage",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/ListMessages",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/CancelMessage",
        &[Supervisor, Communications, CrisisManager, Admin, Service],
    ),
    (
        "/redress.notifications.v1.NotificationService/CreateBroadcast",
        BROADCASTERS,
    ),
    (
        "/redress.notifications.v1.NotificationService/GetBroadcast",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/GetBroadcastProgress",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/CancelBroadcast",
        BROADCASTERS,
    ),
    (
        "/redress.notifications.v1.NotificationService/AddBroadcastMembers",
        BROADCASTERS,
    ),
    (
        "/redress.notifications.v1.NotificationService/StartBroadcast",
        BROADCASTERS,
    ),
    (
        "/redress.notifications.v1.NotificationService/ListInbox",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/MarkInboxRead",
        STAFF,
    ),
    (
        "/redress.notifications.v1.NotificationService/ListAuditEntries",
        &[Admin],
    ),
];
