//! The notifications service through its real gRPC API: templates and
//! their fallback chain, sends delivered to a real signed-webhook receiver,
//! idempotency, quiet hours in the customer's zone, opt-outs, retries and
//! fallback to the in-app inbox, broadcasts, and a killed worker's lease
//! taken over without loss.

mod support;

use std::collections::HashMap;

use jiff::SignedDuration;
use redress_notifications::store;
use support::{TestApp, in_state, pb, spawn_app, spawn_app_with};
use tonic::Code;
use uuid::Uuid;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn send(
    recipient: &str,
    kind: &str,
    variables: HashMap<String, String>,
    critical: bool,
) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        message: Some(pb::Message {
            recipient: recipient.into(),
            kind: kind.into(),
            variables,
            critical,
            ..pb::Message::default()
        }),
        request_id: Uuid::now_v7().to_string(),
    }
}

fn violations(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_using_an_undeclared_variable_or_an_invalid_locale_is_refused_when_saved() {
    let app = spawn_app().await;
    let status = app
        .client()
        .create_template(pb::CreateTemplateRequest {
            template: Some(pb::Template {
                kind: "notice.test".into(),
                locale: "en_GB".into(),
                body: "Dear {{ recipient.name }}, {{ refund_amount }}".into(),
                variables: vec!["amount".into()],
                ..pb::Template::default()
            }),
        })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violations(&status), ["template.locale", "template.body"]);
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM templates WHERE kind = 'notice.test'")
            .fetch_one(&app.pool)
            .await
            .expect("counted");
    assert_eq!(stored, 0, "nothing was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn preview_walks_the_locale_fallback_chain_and_escapes_for_the_channel() {
    let app = spawn_app().await;
    app.template(
        "notice.test",
        pb::Channel::Unspecified,
        "",
        "Hello {{ recipient.name }}",
        &[],
    )
    .await;
    let zh = app
        .template(
            "notice.test",
            pb::Channel::Unspecified,
            "zh",
            "您好 {{ recipient.name }}",
            &[],
        )
        .await;
    let preview = |locale: &str, channel: pb::Channel| pb::PreviewTemplateRequest {
        source: Some(pb::preview_template_request::Source::Lookup(
            pb::TemplateLookup {
                kind: "notice.test".into(),
                channel: channel as i32,
                locale: locale.into(),
                style: 0,
            },
        )),
        variables: HashMap::new(),
        recipient_display_name: "Lin <b>".into(),
    };
    let answer = app
        .client()
        .preview_template(preview("zh-Hant-TW", pb::Channel::InApp))
        .await
        .expect("a preview")
        .into_inner();
    assert_eq!(
        (answer.template.as_str(), answer.locale.as_str()),
        (zh.name.as_str(), "zh")
    );
    assert_eq!(answer.body, "您好 Lin &lt;b&gt;");
    let answer = app
        .client()
        .preview_template(preview("nl-NL", pb::Channel::Sms))
        .await
        .expect("a preview")
        .into_inner();
    assert_eq!(
        (answer.locale.as_str(), answer.body.as_str()),
        ("", "Hello Lin <b>")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_reaches_the_gateway_signed_once_even_when_the_send_is_repeated() {
    let app = spawn_app().await;
    app.template(
        "notice.test",
        pb::Channel::Webhook,
        "",
        "Dear {{ recipient.name }}, code {{ code }}",
        &["code"],
    )
    .await;
    let ann = app.customer("Ann Smith", "en-GB", "Europe/London").await;
    let request = send(&ann, "notice.test", vars(&[("code", "X1")]), false);
    let first = app
        .client()
        .send_message(request.clone())
        .await
        .expect("queued")
        .into_inner()
        .message
        .expect("a message");
    let again = app
        .client()
        .send_message(request)
        .await
        .expect("replayed")
        .into_inner()
        .message
        .expect("a message");
    assert_eq!(first.name, again.name);
    let done = app
        .wait_for(&first.name, in_state(&[pb::MessageState::Delivered]))
        .await;
    assert_eq!(done.channel, pb::Channel::Webhook as i32);
    assert_eq!(done.attempts.len(), 1);
    assert_eq!(
        done.attempts[0].outcome,
        pb::AttemptOutcome::Delivered as i32
    );
    let id = first.name.trim_start_matches("messages/");
    assert_eq!(app.gateway.count_of(id), 1);
    assert_eq!(app.gateway.total(), 1);
    let body = &app.gateway.bodies()[0];
    assert_eq!(body["body"], "Dear Ann Smith, code X1");
    assert_eq!(body["recipient"], ann.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_missing_a_variable_or_naming_an_unknown_one_is_refused() {
    let app = spawn_app().await;
    app.template(
        "notice.test",
        pb::Channel::Unspecified,
        "",
        "{{ code }}",
        &["code"],
    )
    .await;
    let ann = app.customer("Ann Smith", "en", "UTC").await;
    let status = app
        .client()
        .send_message(send(&ann, "notice.test", vars(&[("cod", "1")]), false))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violations(&status).len(), 2, "{status:?}");
    let status = app
        .client()
        .send_message(send(&ann, "no.template", vars(&[]), false))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let mut request = send(&ann, "notice.test", vars(&[("code", "1")]), false);
    if let Some(m) = request.message.as_mut() {
        m.channels = vec![pb::Channel::Sms as i32];
    }
    let status = app
        .client()
        .send_message(request)
        .await
        .expect_err("refused");
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "SMS is not configured here: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_send_gets_its_first_answer_after_the_template_changed() {
    let app = spawn_app().await;
    let template = app
        .template(
            "notice.test",
            pb::Channel::Unspecified,
            "",
            "{{ code }}",
            &["code"],
        )
        .await;
    let ann = app.customer("Ann Smith", "en", "UTC").await;
    let request = send(&ann, "notice.test", vars(&[("code", "1")]), false);
    let first = app
        .client()
        .send_message(request.clone())
        .await
        .expect("queued")
        .into_inner()
        .message
        .expect("m");
    // The template now needs another variable: a new send without it is
    // refused, but the repeat is the same request and gets the same answer.
    app.client()
        .update_template(pb::UpdateTemplateRequest {
            template: Some(pb::Template {
                body: "{{ code }} at {{ place }}".into(),
                variables: vec!["code".into(), "place".into()],
                ..template
            }),
        })
        .await
        .expect("a new version");
    let fresh = pb::SendMessageRequest {
        request_id: Uuid::now_v7().to_string(),
        ..request.clone()
    };
    let status = app.client().send_message(fresh).await.expect_err("refused");
    assert_eq!(violations(&status), ["message.variables[place]"]);
    let again = app
        .client()
        .send_message(request)
        .await
        .expect("the first answer")
        .into_inner()
        .message
        .expect("m");
    assert_eq!(again.name, first.name);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_due_at_night_in_the_customers_zone_is_held_until_morning_there_but_a_critical_one_goes()
 {
    let app = spawn_app().await;
    app.template("notice.test", pb::Channel::Unspecified, "", "Hello", &[])
        .await;
    // 12:00 UTC is 20:00 in Taipei; at 13:30 UTC it is 21:30 there.
    app.clock.advance(SignedDuration::from_mins(90));
    let lin = app.customer("Lin", "zh-Hant-TW", "Asia/Taipei").await;
    let normal = app
        .client()
        .send_message(send(&lin, "notice.test", vars(&[]), false))
        .await
        .expect("queued")
        .into_inner()
        .message
        .expect("m");
    let held = app
        .wait_for(&normal.name, in_state(&[pb::MessageState::Held]))
        .await;
    assert_eq!(held.state_reason, "QUIET_HOURS");
    let release = held.next_attempt_time.expect("a release time");
    // 08:00 in Taipei the next morning is 00:00 UTC.
    assert_eq!(
        release.seconds,
        "2026-11-24T00:00:00Z"
            .parse::<jiff::Timestamp>()
            .expect("t")
            .as_second()
    );
    let critical = app
        .client()
        .send_message(send(&lin, "notice.test", vars(&[]), true))
        .await
        .expect("queued")
        .into_inner()
        .message
        .expect("m");
    app.wait_for(&critical.name, in_state(&[pb::MessageState::Delivered]))
        .await;
    assert_eq!(
        app.gateway.distinct(),
        1,
        "only the critical one went at night"
    );
    app.clock.advance(SignedDuration::from_hours(11));
    app.wait_for(&normal.name, in_state(&[pb::MessageState::Delivered]))
        .await;
    assert_eq!(app.gateway.distinct(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_opt_out_is_never_overridden_and_a_refused_channel_falls_back_to_the_inbox() {
    let app = spawn_app().await;
    app.template(
        "notice.test",
        pb::Channel::Unspecified,
        "",
        "Hello {{ recipient.name }}",
        &[],
    )
    .await;
    let ann = app.customer("Ann", "en", "UTC").await;
    app.client()
        .update_preferences(pb::UpdatePreferencesRequest {
            preferences: Some(pb::Preferences {
                recipient: ann.clone(),
                opt_outs: vec![pb::OptOut {
                    category: "notice".into(),
                    channel: pb::Channel::Webhook as i32,
                }],
                ..pb::Preferences::default()
            }),
        })
        .await
        .expect("saved");
    // Opted out of the gateway: the critical message goes to the inbox.
    let m = app
        .client()
        .send_message(send(&ann, "notice.test", vars(&[]), true))
        .await
        .expect("queued")
        .into_inner()
        .message
        .expect("m");
    let done = app
        .wait_for(&m.name, in_state(&[pb::MessageState::Delivered]))
        .await;
    assert_eq!(done.channel, pb::Channel::InApp as i32);
    assert_eq!(app.gateway.total(), 0);
    // A gateway that refuses (400) falls back to the inbox too.
    let bob = app.customer("Bob", "en", "UTC").await;
    app.gateway.fail_next(1, 400);
    let m = app
        .client()
        .send_message(send(&bob, "notice.test", vars(&[]), false))
        .await
        .expect("queued")
        .into_inner()
        .message
        .expect("m");
    let done = app
        .wait_for(&m.name, in_state(&[pb::MessageState::Delivered]))
        .await;
    let outcomes: Vec<i32> = done.attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            pb::AttemptOutcome::Refused as i32,
            pb::AttemptOutcome::Delivered as i32
        ]
    );
    let inbox = app
        .client()
        .list_inbox(pb::ListInboxRequest {
            recipient: bob.clone(),
            unread_only: true,
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .expect("an inbox")
        .into_inner();
    assert_eq!(
        (inbox.unread_count, inbox.items[0].body.as_str()),
        (1, "Hello Bob")
    );
    let marked = app
        .client()
        .mark_inbox_read(pb::MarkInboxReadRequest {
            recipient: bob,
            messages: vec![m.name.clone()],
        })
        .await
        .expect("marked")
        .into_inner();
    assert_eq!(marked.marked_count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_gateway_is_retried_with_backoff_and_every_attempt_is_recorded() {
    let app = spawn_app().await;
    app.template("notice.test", pb::Channel::Unspecified, "", "Hello", &[])
        .await;
    let ann = app.customer("Ann", "en", "UTC").await;
    app.gateway.fail_next(1, 503);
    let m = app
        .client()
        .send_message(send(&ann, "notice.test", vars(&[]), false))
        .await
        .expect("queued")
        .into_inner()
        .message
        .expect("m");
    let queued = app.wait_for(&m.name, |m| m.attempts.len() == 1).await;
    assert_eq!(queued.state, pb::MessageState::Queued as i32);
    assert_eq!(
        queued.attempts[0].outcome,
        pb::AttemptOutcome::Retryable as i32
    );
    app.clock.advance(SignedDuration::from_secs(2));
    let done = app
        .wait_for(&m.name, in_state(&[pb::MessageState::Delivered]))
        .await;
    assert_eq!(
        done.attempts.iter().map(|a| a.number).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broadcast_reaches_every_listed_customer_once_and_an_empty_audience_is_refused() {
    let app = spawn_app().await;
    app.template(
        "notice.test",
        pb::Channel::Unspecified,
        "",
        "Hello {{ recipient.name }}: {{ what }}",
        &["what"],
    )
    .await;
    let mut names = Vec::new();
    for i in 0..25 {
        names.push(app.customer(&format!("Customer {i}"), "en", "UTC").await);
    }
    let broadcast = |names: Vec<String>| pb::CreateBroadcastRequest {
        broadcast: Some(pb::Broadcast {
            audience: Some(pb::Audience {
                members: Some(pb::audience::Members::Customers(pb::CustomerList { names })),
            }),
            kind: "notice.test".into(),
            critical: true,
            variables: vars(&[("what", "an outage")]),
            channels: vec![pb::Channel::Webhook as i32],
            ..pb::Broadcast::default()
        }),
        request_id: Uuid::now_v7().to_string(),
    };
    let status = app
        .client()
        .create_broadcast(broadcast(vec![]))
        .await
        .expect_err("refused");
    assert_eq!(violations(&status), ["broadcast.audience.customers.names"]);
    let created = app
        .client()
        .create_broadcast(broadcast(names.clone()))
        .await
        .expect("created")
        .into_inner()
        .broadcast
        .expect("b");
    assert_eq!(created.member_count, 25);
    let mut progress = pb::GetBroadcastProgressResponse::default();
    for _ in 0..300 {
        progress = app
            .client()
            .get_broadcast_progress(pb::GetBroadcastProgressRequest {
                name: created.name.clone(),
            })
            .await
            .expect("p")
            .into_inner();
        let delivered = progress
            .counts
            .iter()
            .find(|c| c.state == pb::MessageState::Delivered as i32)
            .map(|c| c.count);
        if delivered == Some(25) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        progress.state,
        pb::BroadcastState::Queued as i32,
        "{progress:?}"
    );
    assert_eq!(progress.total, 25);
    assert_eq!((app.gateway.distinct(), app.gateway.total()), (25, 25));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assembled_broadcast_takes_members_in_batches_and_reaches_the_first_ones_first() {
    // One worker taking and sending one at a time, so arrival order is
    // claim order (within a claimed batch the order is not kept).
    let app = spawn_app_with(|s| redress_notifications::Settings {
        workers: 1,
        claim_batch: 1,
        send_concurrency: 1,
        ..s
    })
    .await;
    app.template(
        "crisis.briefing",
        pb::Channel::Unspecified,
        "",
        "{{ recipient.name }}: {{ what }}",
        &["what"],
    )
    .await;
    let mut heavy = Vec::new();
    let mut normal = Vec::new();
    for i in 0..4 {
        heavy.push(app.customer(&format!("Heavy {i}"), "en", "UTC").await);
    }
    for i in 0..8 {
        normal.push(app.customer(&format!("Normal {i}"), "en", "UTC").await);
    }
    let created = app
        .client()
        .create_broadcast(pb::CreateBroadcastRequest {
            broadcast: Some(pb::Broadcast {
                audience: Some(pb::Audience {
                    members: Some(pb::audience::Members::Assembled(pb::AssembledAudience {})),
                }),
                kind: "crisis.briefing".into(),
                critical: true,
                variables: vars(&[("what", "the outage is fixed")]),
                channels: vec![pb::Channel::Webhook as i32],
                ..pb::Broadcast::default()
            }),
            request_id: Uuid::now_v7().to_string(),
        })
        .await
        .expect("created")
        .into_inner()
        .broadcast
        .expect("b");
    assert_eq!(created.state, pb::BroadcastState::Assembling as i32);
    let start = || pb::StartBroadcastRequest {
        name: created.name.clone(),
    };
    let add = |members: &[String], first: bool| pb::AddBroadcastMembersRequest {
        name: created.name.clone(),
        members: members.to_vec(),
        first,
    };

    // Nobody yet: it cannot start.
    let status = app
        .client()
        .start_broadcast(start())
        .await
        .expect_err("empty");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("no member"), "{status:?}");
    // Bad names are refused one violation each, and nothing is added.
    let status = app
        .client()
        .add_broadcast_members(add(
            &[normal[0].clone(), "agents/x".into(), "bob".into()],
            false,
        ))
        .await
        .expect_err("refused");
    assert_eq!(violations(&status), ["members[1]", "members[2]"]);

    // Normal members in two calls (overlapping: kept once), then the
    // heavily affected, one of whom was already added as normal.
    let added = app
        .client()
        .add_broadcast_members(add(&normal[..5], false))
        .await
        .expect("added")
        .into_inner();
    assert_eq!((added.added_count, added.member_count), (5, 5));
    let added = app
        .client()
        .add_broadcast_members(add(&normal[3..], false))
        .await
        .expect("added")
        .into_inner();
    assert_eq!((added.added_count, added.member_count), (3, 8));
    let mut first = heavy.clone();
    first.push(normal[7].clone());
    let added = app
        .client()
        .add_broadcast_members(add(&first, true))
        .await
        .expect("added")
        .into_inner();
    assert_eq!((added.added_count, added.member_count), (4, 12));
    // Nothing goes before the start.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.gateway.total(), 0);

    let started = app
        .client()
        .start_broadcast(start())
        .await
        .expect("started")
        .into_inner()
        .broadcast
        .expect("b");
    assert_eq!(started.member_count, 12);
    assert_ne!(started.state, pb::BroadcastState::Assembling as i32);
    let status = app
        .client()
        .add_broadcast_members(add(&normal[..1], false))
        .await
        .expect_err("started already");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let status = app
        .client()
        .start_broadcast(start())
        .await
        .expect_err("twice");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);

    for _ in 0..500 {
        if app.gateway.distinct() == 12 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!((app.gateway.distinct(), app.gateway.total()), (12, 12));
    let order: Vec<String> = app
        .gateway
        .bodies()
        .iter()
        .map(|b| b["body"].as_str().unwrap_or_default().to_owned())
        .collect();
    let (went_first, went_after) = order.split_at(5);
    assert!(
        went_first
            .iter()
            .all(|b| b.starts_with("Heavy") || b.starts_with("Normal 7")),
        "the first five were not the first tier: {order:?}"
    );
    assert!(
        went_after.iter().all(|b| b.starts_with("Normal")),
        "{order:?}"
    );
    assert!(order.iter().all(|b| b.ends_with(": the outage is fixed")));
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_broadcast_cancels_its_held_messages_and_an_assembling_one_cannot_start() {
    let app = spawn_app().await;
    app.template("notice.test", pb::Channel::Unspecified, "", "Hello", &[])
        .await;
    // 12:00 UTC is 01:00 in Auckland: quiet hours hold a non-critical one.
    let mut names = Vec::new();
    for i in 0..3 {
        names.push(
            app.customer(&format!("Kiri {i}"), "en-NZ", "Pacific/Auckland")
                .await,
        );
    }
    let create = |members| pb::CreateBroadcastRequest {
        broadcast: Some(pb::Broadcast {
            audience: Some(pb::Audience {
                members: Some(members),
            }),
            kind: "notice.test".into(),
            channels: vec![pb::Channel::Webhook as i32],
            ..pb::Broadcast::default()
        }),
        request_id: Uuid::now_v7().to_string(),
    };
    let listed = app
        .client()
        .create_broadcast(create(pb::audience::Members::Customers(pb::CustomerList {
            names: names.clone(),
        })))
        .await
        .expect("created")
        .into_inner()
        .broadcast
        .expect("b");
    let progress = || pb::GetBroadcastProgressRequest {
        name: listed.name.clone(),
    };
    for _ in 0..300 {
        let now = app
            .client()
            .get_broadcast_progress(progress())
            .await
            .expect("p")
            .into_inner();
        if now
            .counts
            .iter()
            .any(|c| c.state == pb::MessageState::Held as i32 && c.count == 3)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let cancelled = app
        .client()
        .cancel_broadcast(pb::CancelBroadcastRequest {
            name: listed.name.clone(),
        })
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(cancelled.cancelled_count, 3);
    let b = cancelled.broadcast.expect("b");
    assert_eq!(b.state, pb::BroadcastState::Cancelled as i32);
    assert_eq!(b.member_count, 3);
    let after = app
        .client()
        .get_broadcast_progress(progress())
        .await
        .expect("p")
        .into_inner();
    assert_eq!(
        after
            .counts
            .iter()
            .map(|c| (c.state, c.count))
            .collect::<Vec<_>>(),
        [(pb::MessageState::Cancelled as i32, 3)]
    );
    // Morning comes; nothing goes.
    app.clock.advance(SignedDuration::from_hours(12));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.gateway.total(), 0);

    // An assembled one, cancelled while assembling, takes nothing more.
    let assembled = app
        .client()
        .create_broadcast(create(pb::audience::Members::Assembled(
            pb::AssembledAudience {},
        )))
        .await
        .expect("created")
        .into_inner()
        .broadcast
        .expect("b");
    app.client()
        .cancel_broadcast(pb::CancelBroadcastRequest {
            name: assembled.name.clone(),
        })
        .await
        .expect("cancelled");
    let status = app
        .client()
        .start_broadcast(pb::StartBroadcastRequest {
            name: assembled.name.clone(),
        })
        .await
        .expect_err("cancelled");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("is cancelled"), "{status:?}");
    let unknown = app
        .client()
        .cancel_broadcast(pb::CancelBroadcastRequest {
            name: format!("broadcasts/{}", Uuid::now_v7()),
        })
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

/// Plays a worker that claims every message matching `filter` (SQL) until
/// `lease_until`, as a claim does, and then dies; how many it took.
async fn dead_worker_claims(app: &TestApp, filter: &str, lease_until: jiff::Timestamp) -> u64 {
    let statement = format!(
        "UPDATE messages SET state = 'sending', due_time = $1 WHERE {filter} AND due_time IS NOT NULL"
    );
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .bind(jiff_sqlx::ToSqlx::to_sqlx(lease_until))
        .execute(&app.pool)
        .await
        .expect("claimed")
        .rows_affected()
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_a_worker_held_when_their_broadcast_was_cancelled_are_cancelled_not_sent() {
    let app = spawn_app_with(|s| redress_notifications::Settings {
        lease_seconds: 30,
        ..s
    })
    .await;
    app.template("notice.test", pb::Channel::Unspecified, "", "Hello", &[])
        .await;
    // 12:00 UTC is 01:00 in Auckland: quiet hours hold them.
    let mut names = Vec::new();
    for i in 0..3 {
        names.push(
            app.customer(&format!("Kiri {i}"), "en-NZ", "Pacific/Auckland")
                .await,
        );
    }
    let created = app
        .client()
        .create_broadcast(pb::CreateBroadcastRequest {
            broadcast: Some(pb::Broadcast {
                audience: Some(pb::Audience {
                    members: Some(pb::audience::Members::Customers(pb::CustomerList { names })),
                }),
                kind: "notice.test".into(),
                channels: vec![pb::Channel::Webhook as i32],
                ..pb::Broadcast::default()
            }),
            request_id: Uuid::now_v7().to_string(),
        })
        .await
        .expect("created")
        .into_inner()
        .broadcast
        .expect("b");
    let id: Uuid = created
        .name
        .trim_start_matches("broadcasts/")
        .parse()
        .expect("an id");
    let messages = || async {
        app.client()
            .list_messages(pb::ListMessagesRequest {
                filter: Some(pb::list_messages_request::Filter::Broadcast(
                    created.name.clone(),
                )),
                page_size: 10,
                ..Default::default()
            })
            .await
            .expect("listed")
            .into_inner()
            .messages
    };
    for _ in 0..300 {
        let now = messages().await;
        if now.len() == 3 && now.iter().all(|m| m.state == pb::MessageState::Held as i32) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A worker holds them all when the broadcast is cancelled: nothing is
    // queued or held, so the cancel itself cancels none.
    let now = redress_platform::clock::Clock::now(&app.clock);
    let lease = now + SignedDuration::from_secs(30);
    let filter = format!("broadcast_id = '{id}'");
    assert_eq!(dead_worker_claims(&app, &filter, lease).await, 3);
    let cancelled = app
        .client()
        .cancel_broadcast(pb::CancelBroadcastRequest {
            name: created.name.clone(),
        })
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(cancelled.cancelled_count, 0);

    // The worker lives long enough to record one as due again: it is
    // cancelled instead.
    let first = messages().await.remove(0);
    let first_id: Uuid = first
        .name
        .trim_start_matches("messages/")
        .parse()
        .expect("an id");
    store::messages::finish(
        &app.pool,
        &[store::messages::Finished {
            id: first_id,
            lease_until: lease,
            state: redress_notifications::domain::delivery::State::Held,
            reason: "QUIET_HOURS".into(),
            due_time: Some(now + SignedDuration::from_hours(7)),
            plan: vec![redress_notifications::domain::channel::Channel::Webhook],
            channel_index: 0,
            channel_attempts: 0,
            channel: None,
            attempts_before: 0,
            attempts: vec![],
            inbox: None,
        }],
        now,
    )
    .await
    .expect("recorded");
    // The others' lease lapses; the workers that take them over cancel them,
    // even were they critical (quiet hours would not hold them then).
    sqlx::query("UPDATE messages SET critical = true WHERE broadcast_id = $1 AND id <> $2")
        .bind(id)
        .bind(first_id)
        .execute(&app.pool)
        .await
        .expect("critical");
    app.clock.advance(SignedDuration::from_secs(31));
    for m in messages().await {
        let done = app
            .wait_for(&m.name, in_state(&[pb::MessageState::Cancelled]))
            .await;
        assert_eq!(done.state_reason, "BROADCAST_CANCELLED");
    }
    // Morning in Auckland: still nothing goes.
    app.clock.advance(SignedDuration::from_hours(12));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.gateway.total(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_a_killed_worker_held_are_taken_over_when_its_lease_lapses_and_sent_once() {
    // The service's own workers run; the test also plays a worker that
    // claims messages and dies before sending them.
    let app = spawn_app_with(|s| redress_notifications::Settings {
        lease_seconds: 30,
        ..s
    })
    .await;
    app.template("notice.test", pb::Channel::Unspecified, "", "Hello", &[])
        .await;
    let ann = app.customer("Ann", "en", "UTC").await;
    // Queue directly, so the service's workers do not race the "killed" one.
    let now = redress_platform::clock::Clock::now(&app.clock);
    let mut tx = app.pool.begin().await.expect("a transaction");
    let ids: Vec<Uuid> = (0..20).map(|_| Uuid::now_v7()).collect();
    let batch: Vec<store::messages::NewMessage> = ids
        .iter()
        .map(|id| store::messages::NewMessage {
            id: *id,
            dedupe_key: format!("test:{id}"),
            recipient: ann.clone(),
            kind: "notice.test".into(),
            category: "notice".into(),
            critical: true,
            priority: 0,
            variables: Some(serde_json::json!({})),
            channels: vec![],
            complaint_id: None,
            broadcast_id: None,
            created_by: "test".into(),
        })
        .collect();
    // Not due for an hour, so the service's workers leave them alone...
    store::messages::enqueue(&mut tx, &batch, now + SignedDuration::from_secs(3600))
        .await
        .expect("queued");
    tx.commit().await.expect("committed");
    // ... until a worker claims them all (as a claim does: sending, the
    // lease's end as due time) and dies before sending (lease 30 s).
    let dead_held = dead_worker_claims(&app, "true", now + SignedDuration::from_secs(30)).await;
    assert_eq!(dead_held, 20);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.gateway.distinct(),
        0,
        "held messages wait for the lease"
    );
    app.clock.advance(SignedDuration::from_secs(31));
    for id in &ids {
        app.wait_for(
            &format!("messages/{id}"),
            in_state(&[pb::MessageState::Delivered]),
        )
        .await;
    }
    assert_eq!(
        (app.gateway.distinct(), app.gateway.total()),
        (20, 20),
        "none lost, none twice"
    );
}
