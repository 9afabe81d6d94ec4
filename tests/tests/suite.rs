//! End to end: the real `redress` binary, as a user runs it. `redress up`
//! starts the suite on a fresh test database; client commands
//! (`redress customers ...`) create, find, record against and erase a
//! customer through gRPC, printing JSON that the tests read back; a bad
//! request fails with the field path on stderr; SIGTERM stops the suite
//! cleanly.

mod support;

use redress_platform::auth::{AuthSettings, Role, Verifier};
use support::{Suite, TempDir, free_port, run, text};

#[test]
fn an_operator_manages_a_customer_from_the_command_line_and_stops_the_suite_cleanly() {
    // Arrange
    let mut suite = Suite::start();
    let create = [
        "customers",
        "create",
        "--display-name",
        "Ada Lovelace",
        "--kind",
        "person",
        "--email",
        "ada@example.com",
        "--phone",
        "+31 20 123 4567",
        "--locale",
        "nl-NL",
        "--time-zone",
        "Europe/Amsterdam",
        "--size",
        "small",
        "--tag",
        "vip",
        "--json",
    ];

    // Act and assert: create, printing the request id to retry with.
    let created = suite.redress(&create).json();
    let name = text(&created, "/customer/name").to_owned();
    let id = name.strip_prefix("customers/").expect("a customer name");
    let request_id = text(&created, "/request_id").to_owned();
    assert!(uuid::Uuid::parse_str(&request_id).is_ok(), "{created:#}");
    assert_eq!(text(&created, "/customer/display_name"), "Ada Lovelace");
    assert_eq!(text(&created, "/customer/kind"), "PERSON");
    assert_eq!(text(&created, "/customer/size"), "SMALL");
    assert_eq!(text(&created, "/customer/lifecycle_stage"), "PROSPECT");
    assert_eq!(created["customer"]["tags"], serde_json::json!(["vip"]));
    assert_eq!(
        text(&created, "/customer/contact_points/1/phone"),
        "+31201234567"
    );
    let created_at = text(&created, "/customer/create_time");
    assert!(
        created_at.parse::<jiff::Timestamp>().is_ok(),
        "{created_at}"
    );

    // The same command retried with that request id returns the first
    // answer; the id reused for a different customer is refused.
    let retry = [&create[..], &["--request-id", &request_id]].concat();
    let retried = suite.redress(&retry).json();
    assert_eq!(text(&retried, "/customer/name"), name);
    let reused = suite.redress(&[
        "customers",
        "create",
        "--display-name",
        "Somebody Else",
        "--kind",
        "person",
        "--request-id",
        &request_id,
    ]);
    assert!(
        reused.failed().contains("INVALID_ARGUMENT") && reused.failed().contains("request_id"),
        "{reused:#?}"
    );

    // Get by the bare id, as JSON and as a table.
    let got = suite.redress(&["customers", "get", id, "--json"]).json();
    assert_eq!(text(&got, "/customer/name"), name);
    assert_eq!(text(&got, "/customer/time_zone"), "Europe/Amsterdam");
    let table = suite.redress(&["customers", "get", &name]);
    assert!(table.ok().contains("Ada Lovelace"), "{table:#?}");
    assert!(table.ok().contains("PERSON"), "{table:#?}");

    // List and search find it.
    let listed = suite
        .redress(&["customers", "list", "--query", "lovelace", "--json"])
        .json();
    assert_eq!(text(&listed, "/customers/0/name"), name);
    assert_eq!(listed["customers"].as_array().map(Vec::len), Some(1));
    assert_eq!(text(&listed, "/next_page_token"), "");
    let found = suite
        .redress(&["customers", "search", "+31 20 1234567", "--json"])
        .json();
    assert_eq!(text(&found, "/normalized_query"), "+31201234567");
    assert_eq!(text(&found, "/customers/0/name"), name);

    // A purchase moves the customer out of PROSPECT; the amount is exact.
    let bought = suite
        .redress(&[
            "customers",
            "record-transaction",
            &name,
            "--kind",
            "purchase",
            "--amount",
            "1250.50",
            "--currency",
            "EUR",
            "--json",
        ])
        .json();
    assert_eq!(text(&bought, "/transaction/kind"), "PURCHASE");
    assert_eq!(
        bought["transaction"]["amount"],
        serde_json::json!({"currency_code": "EUR", "units": 1250, "nanos": 500_000_000})
    );
    assert_ne!(text(&bought, "/customer/lifecycle_stage"), "PROSPECT");
    assert!(bought["customer"]["last_transaction_time"].is_string());

    // An interaction is logged and listed.
    let logged = suite
        .redress(&[
            "customers",
            "record-interaction",
            id,
            "--channel",
            "phone",
            "--direction",
            "inbound",
            "--summary",
            "Asked about a late delivery",
            "--json",
        ])
        .json();
    let interaction = text(&logged, "/interaction/name").to_owned();
    assert!(interaction.starts_with(&format!("{name}/interactions/")));
    assert_eq!(text(&logged, "/interaction/channel"), "PHONE");
    let interactions = suite
        .redress(&["customers", "interactions", id, "--json"])
        .json();
    assert_eq!(text(&interactions, "/interactions/0/name"), interaction);
    assert_eq!(
        text(&interactions, "/interactions/0/summary"),
        "Asked about a late delivery"
    );

    // A bad e-mail address fails with the field's path on stderr.
    let bad = suite.redress(&[
        "customers",
        "create",
        "--display-name",
        "Someone",
        "--kind",
        "person",
        "--email",
        "not-an-address",
    ]);
    let stderr = bad.failed();
    assert!(stderr.contains("INVALID_ARGUMENT"), "{stderr}");
    assert!(
        stderr.contains("customer.contact_points[0].email: "),
        "{stderr}"
    );

    // An agent may not record transactions: the role check is reported.
    let agent = suite.redress(&["token", "--roles", "agent"]);
    let denied = suite.redress_with(
        &[("REDRESS_TOKEN", agent.ok().trim())],
        &[
            "customers",
            "record-transaction",
            id,
            "--kind",
            "renewal",
            "--amount",
            "10",
            "--currency",
            "EUR",
        ],
    );
    assert!(denied.failed().contains("PERMISSION_DENIED"), "{denied:#?}");

    // Erasure removes the personal data and keeps the record.
    let erased = suite
        .redress(&[
            "customers",
            "erase",
            id,
            "--reason",
            "DSR-2026-001",
            "--json",
        ])
        .json();
    assert_eq!(text(&erased, "/customer/name"), name);
    assert_eq!(text(&erased, "/customer/display_name"), "");
    assert!(erased["customer"]["erase_time"].is_string(), "{erased:#}");
    let after = suite.redress(&["customers", "get", id, "--json"]).json();
    assert_eq!(after["customer"]["contact_points"], serde_json::json!([]));

    // The erasure is in the customers service's audit trail, read back from
    // the command line as the README shows.
    let trail = suite
        .redress(&[
            "audit",
            "--json",
            "list",
            "--service",
            "customers",
            "--target",
            &name,
        ])
        .json();
    let entries = trail["audit_entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{trail:#}");
    assert_eq!(text(&entries[0], "/action"), "customer.erased");
    assert_eq!(text(&entries[0], "/method"), "EraseCustomer");
    assert!(!text(&entries[0], "/actor").is_empty(), "{trail:#}");

    // Act: SIGTERM. Assert: a graceful, successful exit.
    let status = suite.terminate();
    assert!(
        status.is_some_and(|s| s.success()),
        "`redress up` did not stop cleanly: {status:?}\n{}",
        suite.stderr()
    );
}

#[test]
fn redress_token_prints_a_jwt_with_the_roles_asked_for() {
    // Arrange
    let dir = TempDir::new();
    let secret = redress_platform::auth::generate_dev_secret();
    let vars = [(
        "REDRESS_AUTH__DEV_SECRET".to_string(),
        secret.expose().to_string(),
    )];

    // Act
    let outcome = run(dir.path(), &vars, &["token", "--roles", "agent"]);

    // Assert: three base64url parts, signed with the secret, roles as asked.
    let token = outcome.ok().trim();
    assert_eq!(token.split('.').count(), 3, "{token}");
    let verifier = Verifier::new(&AuthSettings {
        dev_secret: secret,
        ..AuthSettings::default()
    })
    .expect("a development verifier");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let caller = runtime
        .block_on(verifier.verify(token))
        .expect("the token verifies with the secret");
    assert!(caller.has_role(Role::Agent));
    assert!(!caller.has_role(Role::Admin));
}

#[test]
fn a_client_command_without_a_running_suite_names_the_endpoint_and_suggests_redress_up() {
    // Arrange: nothing listens on this port.
    let dir = TempDir::new();
    let port = free_port();
    let vars = [
        (
            "REDRESS_CUSTOMERS__LISTEN".to_string(),
            format!("127.0.0.1:{port}"),
        ),
        (
            "REDRESS_AUTH__DEV_SECRET".to_string(),
            redress_platform::auth::generate_dev_secret()
                .expose()
                .to_string(),
        ),
    ];

    // Act
    let outcome = run(
        dir.path(),
        &vars,
        &["customers", "get", "0190f5c2-0000-7000-8000-000000000000"],
    );

    // Assert
    let stderr = outcome.failed();
    assert!(
        stderr.contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("redress up"), "{stderr}");
}
