//! Who may call each CustomerService RPC: the one place it is declared. The
//! authentication layer refuses any method not listed here, and the API
//! tests try every method with every role from this same table.

use redress_platform::auth::Role::{self, *};

/// The full gRPC service name.
pub const SERVICE: &str = "redress.customers.v1.CustomerService";

/// Every staff role.
const STAFF: &[Role] = &Role::ALL;

/// Method path → roles allowed.
pub const ACCESS: &[(&str, &[Role])] = &[
    (
        "/redress.customers.v1.CustomerService/CreateCustomer",
        &[Agent, Supervisor, Admin, Service],
    ),
    ("/redress.customers.v1.CustomerService/GetCustomer", STAFF),
    (
        "/redress.customers.v1.CustomerService/BatchGetCustomers",
        STAFF,
    ),
    (
        "/redress.customers.v1.CustomerService/UpdateCustomer",
        &[Agent, Supervisor, Admin, Service],
    ),
    ("/redress.customers.v1.CustomerService/ListCustomers", STAFF),
    (
        "/redress.customers.v1.CustomerService/SearchCustomersByContact",
        STAFF,
    ),
    (
        "/redress.customers.v1.CustomerService/RecordTransaction",
        &[Admin, Service],
    ),
    (
        "/redress.customers.v1.CustomerService/RecordInteraction",
        &[Agent, Supervisor, Admin, Service],
    ),
    (
        "/redress.customers.v1.CustomerService/ListInteractions",
        STAFF,
    ),
    (
        "/redress.customers.v1.CustomerService/RecordSatisfaction",
        &[Agent, Supervisor, Admin, Service],
    ),
    (
        "/redress.customers.v1.CustomerService/SelectCustomers",
        &[Supervisor, CrisisManager, Communications, Admin, Service],
    ),
    (
        "/redress.customers.v1.CustomerService/GetChurnReport",
        &[Supervisor, CrisisManager, Admin, Service],
    ),
    (
        "/redress.customers.v1.CustomerService/GetCustomerOutcomes",
        &[Supervisor, CrisisManager, Admin, Service],
    ),
    (
        "/redress.customers.v1.CustomerService/SummarizeSatisfaction",
        &[Supervisor, CrisisManager, Admin, Service],
    ),
    (
        "/redress.customers.v1.CustomerService/EraseCustomer",
        &[Admin],
    ),
    (
        "/redress.customers.v1.CustomerService/ListAuditEntries",
        &[Admin],
    ),
];
