//! End to end: a crisis statement sent from the command line with
//! `redress notifications ...`. `redress up` starts the suite on a fresh test
//! database; three customers are created with the customers CLI; a template
//! is saved; an assembled broadcast is created, refused a start while it has
//! no member, given its members (one heavily affected, named on the command
//! line; the others from a file, with a repeat), started, and followed until
//! every member has the statement in their in-app inbox.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Suite, number, text};

/// How many of a broadcast's messages are in `state`, from `progress --json`.
fn count_in(progress: &Value, state: &str) -> i64 {
    progress["counts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["state"] == state)
        .map_or(0, |c| number(c, "/count"))
}

#[test]
fn a_statement_to_an_assembled_audience_reaches_every_inbox_from_the_command_line() {
    let suite = Suite::start();
    let customers: Vec<String> = ["Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"]
        .iter()
        .map(|name| {
            let created = suite
                .redress(&[
                    "customers",
                    "create",
                    "--display-name",
                    name,
                    "--kind",
                    "person",
                    "--json",
                ])
                .json();
            text(&created, "/customer/name").to_owned()
        })
        .collect();
    suite
        .redress(&[
            "notifications",
            "template",
            "create",
            "--kind",
            "crisis.briefing",
            "--subject",
            "About the outage",
            "--body",
            "Dear {{ recipient.name }}, {{ what }}",
            "--var",
            "what",
        ])
        .ok();

    let created = suite
        .redress(&[
            "notifications",
            "--json",
            "broadcast",
            "--assembled",
            "--kind",
            "crisis.briefing",
            "--var",
            "what=we restored the service at 14:00.",
            "--critical",
            "--channel",
            "IN_APP",
        ])
        .json();
    let broadcast = text(&created, "/broadcast/name").to_owned();
    assert_eq!(text(&created, "/broadcast/state"), "ASSEMBLING");
    let refused = suite.redress(&["notifications", "start", &broadcast]);
    assert!(
        refused.failed().contains("no member"),
        "{}",
        refused.failed()
    );

    let added = suite
        .redress(&[
            "notifications",
            "--json",
            "add-members",
            &broadcast,
            "--customer",
            &customers[0],
            "--first",
        ])
        .json();
    assert_eq!(
        (
            number(&added, "/added_count"),
            number(&added, "/member_count")
        ),
        (1, 1)
    );
    let file = suite.path().join("affected.txt");
    std::fs::write(
        &file,
        format!("{}\n\n{}\n{}\n", customers[1], customers[2], customers[0]),
    )
    .expect("the member file is written");
    let added = suite
        .redress(&[
            "notifications",
            "--json",
            "add-members",
            &broadcast,
            "--file",
            file.to_str().expect("a UTF-8 path"),
        ])
        .json();
    assert_eq!(
        (
            number(&added, "/added_count"),
            number(&added, "/member_count")
        ),
        (2, 3)
    );

    let started = suite
        .redress(&["notifications", "--json", "start", &broadcast])
        .json();
    assert_eq!(number(&started, "/broadcast/member_count"), 3);
    let late = suite.redress(&[
        "notifications",
        "add-members",
        &broadcast,
        "--customer",
        &customers[1],
    ]);
    assert!(
        late.failed().contains("not assembling"),
        "{}",
        late.failed()
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    let progress = loop {
        let progress = suite
            .redress(&["notifications", "--json", "progress", &broadcast])
            .json();
        if count_in(&progress, "DELIVERED") == 3 || Instant::now() > deadline {
            break progress;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(count_in(&progress, "DELIVERED"), 3, "{progress:#}");
    assert_eq!(number(&progress, "/total"), 3, "{progress:#}");

    let inbox = suite
        .redress(&[
            "notifications",
            "--json",
            "inbox",
            "--recipient",
            &customers[1],
            "--unread",
        ])
        .json();
    let items = inbox["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{inbox:#}");
    assert_eq!(
        items[0]["body"],
        "Dear Grace Hopper, we restored the service at 14:00."
    );
    assert_eq!(items[0]["subject"], "About the outage");
}
