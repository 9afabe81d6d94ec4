//! End to end: a crisis run from the command line with `redress crisis ...`
//! against `redress up` on a fresh database. A signal seen on social media
//! is reported and becomes a warning; a crisis manager declares a crisis
//! from it and staffs the team; a statement to employees is drafted, refused
//! approval by anyone but the spokesperson, approved by them and released;
//! a move the lifecycle does not allow is refused with the moves it does;
//! and the timeline tells what happened.

mod support;

use support::{Suite, array, text};

#[test]
fn a_crisis_is_declared_staffed_and_spoken_for_from_the_command_line() {
    let suite = Suite::start();

    // A signal becomes an open warning.
    let reported = suite
        .redress(&[
            "crisis",
            "report-signal",
            "--channel",
            "social-media",
            "--summary",
            "Many posts about router X dropping connections",
            "--json",
        ])
        .json();
    let warning = text(&reported, "/warning/name").to_owned();
    assert_eq!(text(&reported, "/warning/state"), "OPEN");
    assert_eq!(text(&reported, "/warning/source"), "STAFF_REPORT");
    let listed = suite
        .redress(&["crisis", "warnings", "--state", "open", "--json"])
        .json();
    assert!(
        array(&listed, "/warnings")
            .iter()
            .any(|w| w["name"] == warning.as_str())
    );

    // Declared from it, by the crisis manager, who commands.
    let declared = suite
        .redress(&[
            "crisis",
            "--as",
            "cm-1",
            "declare",
            "--title",
            "Router X drops connections",
            "--type",
            "service_quality",
            "--likelihood",
            "3",
            "--impact",
            "3",
            "--product",
            "router-x",
            "--from-warning",
            &warning,
            "--json",
        ])
        .json();
    let crisis = text(&declared, "/crisis/name").to_owned();
    assert_eq!(text(&declared, "/crisis/state"), "DECLARED");
    assert_eq!(text(&declared, "/crisis/priority"), "P3");
    let escalated = suite
        .redress(&["crisis", "warning", &warning, "--json"])
        .json();
    assert_eq!(text(&escalated, "/warning/state"), "ESCALATED");

    // The team.
    for (role, subject) in [
        ("communications-lead", "comms-1"),
        ("spokesperson", "spokes-1"),
    ] {
        suite
            .redress(&["crisis", "--as", "cm-1", "assign", &crisis, role, subject])
            .ok();
    }
    let shown = suite.redress(&["crisis", "show", &crisis, "--json"]).json();
    let team = array(&shown, "/crisis/team");
    assert_eq!(team.iter().filter(|m| m["role"] == "COMMANDER").count(), 1);
    assert!(
        team.iter()
            .any(|m| m["role"] == "SPOKESPERSON" && m["subject"] == "spokes-1")
    );

    // A statement: only the spokesperson approves it.
    let drafted = suite
        .redress(&[
            "crisis",
            "--as",
            "comms-1",
            "draft-statement",
            &crisis,
            "--audience",
            "employees",
            "--variant",
            "en|Router X|We are on it; refer customers to the status page.",
            "--json",
        ])
        .json();
    let statement = text(&drafted, "/statement/name").to_owned();
    assert_eq!(text(&drafted, "/statement/state"), "DRAFT");
    let refused = suite.redress(&["crisis", "--as", "comms-1", "approve", &statement]);
    assert!(
        refused.failed().contains("NOT_SPOKESPERSON"),
        "{}",
        refused.stderr
    );
    let approved = suite
        .redress(&[
            "crisis", "--as", "spokes-1", "approve", &statement, "--json",
        ])
        .json();
    assert_eq!(text(&approved, "/statement/state"), "APPROVED");
    assert_eq!(text(&approved, "/statement/approved_by"), "spokes-1");
    let released = suite
        .redress(&[
            "crisis", "--as", "spokes-1", "release", &statement, "--json",
        ])
        .json();
    assert_eq!(text(&released, "/statement/state"), "RELEASED");

    // The lifecycle refuses a leap and names the moves allowed.
    let assessing = suite
        .redress(&[
            "crisis",
            "--as",
            "cm-1",
            "move",
            &crisis,
            "assessing",
            "--json",
        ])
        .json();
    assert_eq!(text(&assessing, "/crisis/state"), "ASSESSING");
    let leap = suite.redress(&["crisis", "--as", "cm-1", "move", &crisis, "closed"]);
    let why = leap.failed();
    assert!(why.contains("FAILED_PRECONDITION"), "{why}");
    assert!(why.to_lowercase().contains("responding"), "{why}");

    // The timeline has it all, in order.
    let timeline = suite
        .redress(&["crisis", "timeline", &crisis, "--json"])
        .json();
    let kinds: Vec<&str> = array(&timeline, "/entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 5, "{kinds:?}");
}
