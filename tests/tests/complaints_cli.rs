//! End to end: `redress complaints ...` as an agent runs it. `redress up`
//! starts the suite on a fresh test database; a customer is created with the
//! customers CLI; agent-1 of team front takes a complaint in (becoming its
//! owner), finds it by its reference, acknowledges it and starts the
//! investigation, and hands it off to agent-2, who sees the offer in their
//! work queue and accepts it. The complaint, its history and the event feed
//! tell the same story as JSON; the tables show what an agent needs; a
//! complaint in a category that does not exist is refused with the field
//! named on stderr.

mod support;

use serde_json::Value;
use support::{Suite, array, text};

/// `redress complaints <args>` as `subject` of `team`, with a development
/// token minted for them.
fn complaints_as(suite: &Suite, subject: &str, team: &str, args: &[&str]) -> support::Outcome {
    let command = [&["complaints", "--as", subject, "--team", team], args].concat();
    suite.redress(&command)
}

#[test]
fn an_agent_takes_a_complaint_in_and_hands_it_to_a_colleague_from_the_command_line() {
    // Arrange: a customer, created with the customers CLI.
    let suite = Suite::start();
    let customer = suite
        .redress(&[
            "customers",
            "create",
            "--display-name",
            "Ada Lovelace",
            "--kind",
            "person",
            "--json",
        ])
        .json();
    let customer = text(&customer, "/customer/name").to_owned();

    // Act: agent-1 of team front takes a complaint in.
    let created = complaints_as(
        &suite,
        "agent-1",
        "front",
        &[
            "create",
            &customer,
            "--channel",
            "phone",
            "--kind",
            "complaint",
            "--summary",
            "Parcel a week late",
            "--category",
            "too_slow/late_delivery",
            "--severity",
            "medium",
            "--remedy",
            "Refund the shipping",
            "--language",
            "nl",
            "--json",
        ],
    )
    .json();

    // Assert: agent-1 owns it for team front; it has a reference and clocks.
    let name = text(&created, "/complaint/name").to_owned();
    let reference = text(&created, "/complaint/reference").to_owned();
    assert!(name.starts_with("complaints/"), "{created:#}");
    assert!(reference.starts_with("C-"), "{created:#}");
    assert!(uuid::Uuid::parse_str(text(&created, "/request_id")).is_ok());
    assert_eq!(text(&created, "/complaint/owner"), "agent-1");
    assert_eq!(text(&created, "/complaint/owner_team"), "teams/front");
    assert_eq!(text(&created, "/complaint/state"), "RECEIVED");
    assert_eq!(text(&created, "/complaint/channel"), "PHONE");
    assert_eq!(text(&created, "/complaint/severity"), "MEDIUM");
    assert_eq!(
        text(&created, "/complaint/requested_remedy"),
        "Refund the shipping"
    );
    assert!(
        !array(&created, "/complaint/sla_clocks").is_empty(),
        "{created:#}"
    );

    // Found by its reference, as JSON and as a table an agent reads.
    let got = suite
        .redress(&["complaints", "get", &reference, "--json"])
        .json();
    assert_eq!(text(&got, "/complaint/name"), name);
    let table = suite.redress(&["complaints", "get", &reference]);
    for shown in [reference.as_str(), "RECEIVED", "agent-1", "sla_due"] {
        assert!(table.ok().contains(shown), "{shown} missing: {table:#?}");
    }

    // Acknowledged (by reference) and investigated (by name).
    let acked = complaints_as(&suite, "agent-1", "front", &["ack", &reference, "--json"]).json();
    assert_eq!(text(&acked, "/complaint/state"), "ACKNOWLEDGED");
    let etag = text(&acked, "/complaint/etag").to_owned();
    let investigating = complaints_as(
        &suite,
        "agent-1",
        "front",
        &["investigate", &name, "--etag", &etag, "--json"],
    )
    .json();
    assert_eq!(text(&investigating, "/complaint/state"), "INVESTIGATING");

    // Handed off to agent-2: agent-1 stays the owner until it is accepted.
    let offered = complaints_as(
        &suite,
        "agent-1",
        "front",
        &[
            "hand-off",
            &name,
            "--to-agent",
            "agent-2",
            "--reason",
            "Carrier claims are agent-2's",
            "--json",
        ],
    )
    .json();
    let hand_off = text(&offered, "/hand_off/name").to_owned();
    assert!(
        hand_off.starts_with(&format!("{name}/handOffs/")),
        "{offered:#}"
    );
    assert_eq!(text(&offered, "/hand_off/state"), "PENDING");
    assert_eq!(text(&offered, "/complaint/owner"), "agent-1");

    // agent-2 sees the offer in their work queue and accepts it.
    let queue = complaints_as(&suite, "agent-2", "back", &["my-work", "--json"]).json();
    assert_eq!(text(&queue, "/offered_hand_offs/0/name"), hand_off);
    let accepted = complaints_as(
        &suite,
        "agent-2",
        "back",
        &["accept-hand-off", &hand_off, "--json"],
    )
    .json();
    assert_eq!(text(&accepted, "/hand_off/state"), "ACCEPTED");

    // Assert: agent-2 owns it now, after one transfer; agent-1 watches.
    let after = suite
        .redress(&["complaints", "get", &name, "--json"])
        .json();
    assert_eq!(text(&after, "/complaint/owner"), "agent-2");
    assert_eq!(after["complaint"]["transfer_count"], 1);
    assert_eq!(
        after["complaint"]["watchers"],
        serde_json::json!(["agent-1"])
    );
    assert_eq!(after["complaint"]["pending_hand_off"], Value::Null);

    // It is in agent-2's work, not agent-1's; the table shows the reference.
    let work = complaints_as(&suite, "agent-2", "back", &["my-work", "--json"]).json();
    assert_eq!(text(&work, "/complaints/0/name"), name);
    assert_eq!(array(&work, "/offered_hand_offs").len(), 0, "{work:#}");
    let before = complaints_as(&suite, "agent-1", "front", &["my-work", "--json"]).json();
    assert_eq!(array(&before, "/complaints").len(), 0, "{before:#}");
    let work_table = complaints_as(&suite, "agent-2", "back", &["my-work"]);
    for shown in [reference.as_str(), "INVESTIGATING", "agent-2", "SLA due"] {
        assert!(
            work_table.ok().contains(shown),
            "{shown} missing: {work_table:#?}"
        );
    }
    let listed = suite
        .redress(&[
            "complaints",
            "list",
            "--owner",
            "agent-2",
            "--state",
            "investigating",
            "--json",
        ])
        .json();
    assert_eq!(text(&listed, "/complaints/0/name"), name);

    // The history tells each change, oldest first, with who made it.
    let history = suite
        .redress(&["complaints", "history", &reference, "--json"])
        .json();
    let entries = array(&history, "/entries");
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions.first(), Some(&"created"), "{history:#}");
    assert!(actions.contains(&"hand_off_accepted"), "{actions:?}");
    let changed = |field: &str, after: &str| {
        entries.iter().any(|e| {
            e["changes"].as_array().is_some_and(|changes| {
                changes
                    .iter()
                    .any(|c| c["field"] == field && c["after"] == after)
            })
        })
    };
    assert!(changed("state", "acknowledged"), "{history:#}");
    assert!(changed("state", "investigating"), "{history:#}");
    assert!(changed("owner", "agent-2"), "{history:#}");
    assert!(
        entries.iter().any(|e| e["actor"] == "agent-2"),
        "{history:#}"
    );
    assert!(entries.len() >= 4, "{history:#}");

    // The feed announced the complaint (read with all roles, as the CLI's
    // default development token has them).
    let feed = suite
        .redress(&[
            "complaints",
            "events",
            "--type",
            "complaint.created",
            "--json",
        ])
        .json();
    let announced = array(&feed, "/events");
    assert!(
        announced
            .iter()
            .any(|e| e["type"] == "complaint.created" && e["subject"] == name.as_str()),
        "{feed:#}"
    );
    assert!(
        feed["last_position"].as_i64().is_some_and(|p| p > 0),
        "{feed:#}"
    );

    // A category that does not exist is refused, naming the field.
    let bad = complaints_as(
        &suite,
        "agent-1",
        "front",
        &[
            "create",
            &customer,
            "--channel",
            "email",
            "--kind",
            "complaint",
            "--summary",
            "Something else",
            "--category",
            "no_such_category",
            "--severity",
            "low",
        ],
    );
    let stderr = bad.failed();
    assert!(stderr.contains("INVALID_ARGUMENT"), "{stderr}");
    assert!(stderr.contains("complaint.category: "), "{stderr}");
}
