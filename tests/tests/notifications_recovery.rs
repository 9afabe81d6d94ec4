//! A notifications worker killed mid-broadcast loses nothing. `redress up`
//! is sent SIGKILL while its delivery workers are sending a critical
//! broadcast over the webhook channel to a loopback [`Receiver`], then
//! started again on the same database, ports and environment. Afterwards
//! every message is in a final state, every one was sent, the receiver
//! has seen each once by its idempotency key (the message id), and the
//! repeats are no more than the batches the dead workers held when they
//! died.
//!
//! The receiver holds every request for a moment, and the workers claim
//! small batches and send few at a time, so the broadcast takes seconds and
//! the kill lands mid-delivery; the test checks that it did. The lease is
//! short, so the restarted workers take over the dead ones' batches
//! without a long wait.

mod support;

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt as _;
use std::time::{Duration, Instant};

use redress_notifications::channels::receiver::Receiver;
use redress_notifications::domain::delivery::State;
use redress_platform::Secret;
use redress_platform::auth::{BearerInterceptor, Role};
use redress_platform::wire::WireEnum as _;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as pb;
use support::Suite;
use tokio::task::JoinSet;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Customers the broadcast goes to.
const AUDIENCE: usize = 500;
/// Delivery workers in the process.
const WORKERS: usize = 2;
/// Messages a worker claims at once.
const CLAIM_BATCH: usize = 20;
/// Messages a worker sends at the same time.
const SEND_CONCURRENCY: usize = 4;
/// How long a claimed batch is its worker's.
const LEASE_SECONDS: u64 = 3;
/// The bound on one attempt.
const TIMEOUT_MS: u64 = 1_000;
/// How long the receiver holds each request.
const STALL: Duration = Duration::from_millis(20);
/// Deliveries the receiver has seen when the process is killed.
const KILL_AFTER: usize = AUDIENCE / 4;
/// Customers created at the same time.
const CREATING: usize = 16;
/// How long any one wait of this test may take.
const WAIT: Duration = Duration::from_secs(60);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(5);
/// The webhook (push gateway) channel's signing key.
const GATEWAY_SECRET: &str = "recovery-test-gateway-secret";
/// The message kind of the broadcast.
const KIND: &str = "outage.notice";

/// A notifications client carrying a bearer token.
type Notifications = pb::notification_service_client::NotificationServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;
/// A customers client carrying a bearer token.
type Customers = cpb::customer_service_client::CustomerServiceClient<
    InterceptedService<Channel, BearerInterceptor>,
>;

/// The notifications service's settings: `workers` claiming `claim_batch`
/// messages under a lease of `lease_seconds`, sending `send_concurrency` at
/// a time, each attempt bounded by `timeout_ms`; one expansion batch for
/// the whole audience, so a broadcast is queued in one transaction.
fn config(
    workers: usize,
    claim_batch: usize,
    send_concurrency: usize,
    lease_seconds: u64,
    timeout_ms: u64,
) -> String {
    format!(
        "[notifications]\n\
         workers = {workers}\n\
         claim_batch = {claim_batch}\n\
         send_concurrency = {send_concurrency}\n\
         lease_seconds = {lease_seconds}\n\
         poll_interval_ms = 50\n\
         expand_batch = {AUDIENCE}\n\
         follow_complaints = false\n\
         [notifications.channels.webhook]\n\
         timeout_ms = {timeout_ms}\n\
         [notifications.channels.chat]\n\
         timeout_ms = {timeout_ms}\n"
    )
}

/// `redress up` with `config`, its push gateway pointed at `receiver`.
fn start_suite(config: &str, receiver: &Receiver) -> Suite {
    let url = receiver.url();
    Suite::start_with_env(
        config,
        &[
            ("REDRESS_NOTIFICATIONS__CHANNELS__WEBHOOK__ENDPOINT", &url),
            (
                "REDRESS_NOTIFICATIONS__CHANNELS__WEBHOOK__SECRET",
                GATEWAY_SECRET,
            ),
        ],
    )
}

/// Saves the notice's webhook template, then broadcasts the notice,
/// critical, over the webhook channel to `audience`; the broadcast's name.
async fn broadcast(client: &mut Notifications, audience: &[String]) -> String {
    client
        .create_template(pb::CreateTemplateRequest {
            template: Some(pb::Template {
                kind: KIND.into(),
                channel: pb::Channel::Webhook.into(),
                subject: "Service notice".into(),
                body: "Dear {{ recipient.name }}, {{ notice }}".into(),
                variables: vec!["notice".into()],
                ..Default::default()
            }),
        })
        .await
        .expect("a template");
    client
        .create_broadcast(pb::CreateBroadcastRequest {
            broadcast: Some(pb::Broadcast {
                audience: Some(pb::Audience {
                    members: Some(pb::audience::Members::Customers(pb::CustomerList {
                        names: audience.to_vec(),
                    })),
                }),
                kind: KIND.into(),
                critical: true,
                variables: [("notice".to_owned(), "the network is restored.".to_owned())].into(),
                channels: vec![pb::Channel::Webhook.into()],
                ..Default::default()
            }),
            request_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .expect("a broadcast")
        .into_inner()
        .broadcast
        .expect("a broadcast")
        .name
}

/// Waits until every message of `broadcast` is in a final state; its
/// progress and messages then.
async fn settled(
    suite: &Suite,
    broadcast: &str,
) -> (pb::GetBroadcastProgressResponse, Vec<pb::Message>) {
    let mut client = notifications(suite);
    let deadline = Instant::now() + WAIT;
    loop {
        let progress = progress_of(&mut client, broadcast).await;
        let settled: i64 = progress
            .counts
            .iter()
            .filter(|c| is_final(c.state))
            .map(|c| c.count)
            .sum();
        if progress.total > 0 && settled == progress.total {
            return (progress, messages_of(&mut client, broadcast).await);
        }
        assert!(
            Instant::now() < deadline,
            "not every message settled in {WAIT:?}: {progress:?}\n{}",
            suite.stderr()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// A channel to `endpoint`, connected on first use.
fn channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect_lazy()
}

/// A notifications client as a communications officer, who may broadcast.
fn notifications(suite: &Suite) -> Notifications {
    pb::notification_service_client::NotificationServiceClient::with_interceptor(
        channel(&suite.notifications_endpoint),
        suite.bearer("comms-1", &[Role::Communications], None),
    )
}

/// A customers client as an agent, who may create customers.
fn customers(suite: &Suite) -> Customers {
    cpb::customer_service_client::CustomerServiceClient::with_interceptor(
        channel(&suite.endpoint),
        suite.bearer("agent-1", &[Role::Agent], Some("front")),
    )
}

/// Creates `n` customers, [`CREATING`] at a time, and returns their names.
async fn create_customers(client: &Customers, n: usize) -> Vec<String> {
    let mut names = Vec::with_capacity(n);
    let mut creating = JoinSet::new();
    for i in 0..n {
        if creating.len() == CREATING {
            names.push(creating.join_next().await.expect("a task").expect("joined"));
        }
        let mut client = client.clone();
        creating.spawn(async move {
            client
                .create_customer(cpb::CreateCustomerRequest {
                    customer: Some(cpb::Customer {
                        display_name: format!("Customer {i}"),
                        kind: cpb::CustomerKind::Person.into(),
                        ..Default::default()
                    }),
                    request_id: uuid::Uuid::now_v7().to_string(),
                })
                .await
                .expect("a customer")
                .into_inner()
                .customer
                .expect("a customer")
                .name
        });
    }
    while let Some(name) = creating.join_next().await {
        names.push(name.expect("joined"));
    }
    names
}

/// How many of the broadcast's messages are in `state`.
fn count(progress: &pb::GetBroadcastProgressResponse, state: pb::MessageState) -> i64 {
    progress
        .counts
        .iter()
        .filter(|c| c.state == state as i32)
        .map(|c| c.count)
        .sum()
}

/// Whether a message in this wire state is done with, as the service's own
/// state machine says.
fn is_final(state: i32) -> bool {
    State::from_wire(state)
        .ok()
        .flatten()
        .is_some_and(State::is_final)
}

/// Where the broadcast's delivery stands.
async fn progress_of(
    client: &mut Notifications,
    broadcast: &str,
) -> pb::GetBroadcastProgressResponse {
    client
        .get_broadcast_progress(pb::GetBroadcastProgressRequest {
            name: broadcast.to_owned(),
        })
        .await
        .expect("GetBroadcastProgress")
        .into_inner()
}

/// Every message of `broadcast`.
async fn messages_of(client: &mut Notifications, broadcast: &str) -> Vec<pb::Message> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_messages(pb::ListMessagesRequest {
                filter: Some(pb::list_messages_request::Filter::Broadcast(
                    broadcast.to_owned(),
                )),
                states: Vec::new(),
                page_size: 1000,
                page_token,
            })
            .await
            .expect("ListMessages")
            .into_inner();
        all.extend(page.messages);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

#[test]
fn a_broadcast_interrupted_by_a_killed_process_reaches_everyone_once_after_a_restart() {
    // Arrange: a receiver for the push gateway, the suite pointed at it,
    // the audience and a template.
    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let receiver = runtime
        .block_on(Receiver::start_keeping(Secret::new(GATEWAY_SECRET), 0))
        .expect("a receiver");
    let mut suite = start_suite(
        &config(
            WORKERS,
            CLAIM_BATCH,
            SEND_CONCURRENCY,
            LEASE_SECONDS,
            TIMEOUT_MS,
        ),
        &receiver,
    );
    let audience = runtime.block_on(async { create_customers(&customers(&suite), AUDIENCE).await });
    let broadcast = runtime.block_on(async {
        // Act: broadcast, slowly received, and wait until a part has
        // arrived.
        let mut client = notifications(&suite);
        receiver.stall_next(2 * AUDIENCE, STALL);
        let broadcast = broadcast(&mut client, &audience).await;
        let deadline = Instant::now() + WAIT;
        let mut queued = false;
        while !(queued && receiver.total() >= KILL_AFTER) {
            assert!(
                Instant::now() < deadline,
                "{} of {AUDIENCE} delivered in {WAIT:?} (queued: {queued})\n{}",
                receiver.total(),
                suite.stderr()
            );
            if !queued {
                queued = progress_of(&mut client, &broadcast).await.state
                    == pb::BroadcastState::Queued as i32;
            }
            tokio::time::sleep(POLL).await;
        }
        broadcast
    });

    // ... kill the process mid-delivery, and start it again.
    let status = suite.kill();
    let arrived_before_kill = receiver.distinct();
    let killed_at = Instant::now();
    suite.restart();
    let restarted_in = killed_at.elapsed();

    let (progress, messages) = runtime.block_on(settled(&suite, &broadcast));

    let (distinct, received) = (receiver.distinct(), receiver.total());
    let duplicates = received.saturating_sub(distinct);
    let window = WORKERS * CLAIM_BATCH;
    println!(
        "audience {AUDIENCE}; arrived before the kill {arrived_before_kill}; \
         received {received}; distinct {distinct}; duplicates {duplicates} \
         (at most {window}); restarted in {:.1} s; {:.1} s in all",
        restarted_in.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    // Assert: killed, and mid-delivery.
    assert_eq!(
        status.signal(),
        Some(nix::sys::signal::Signal::SIGKILL as i32),
        "{status:?}"
    );
    assert!(
        0 < arrived_before_kill && arrived_before_kill < AUDIENCE,
        "{arrived_before_kill} of {AUDIENCE} had arrived when the process was killed"
    );
    // Every message sent, each to a different member of the audience.
    let total = usize::try_from(progress.total).expect("a count");
    let sent =
        count(&progress, pb::MessageState::Sent) + count(&progress, pb::MessageState::Delivered);
    let sent = usize::try_from(sent).expect("a count");
    assert_eq!((total, sent), (AUDIENCE, AUDIENCE), "{progress:?}");
    assert_eq!(messages.len(), AUDIENCE);
    let recipients: HashSet<&str> = messages.iter().map(|m| m.recipient.as_str()).collect();
    let members: HashSet<&str> = audience.iter().map(String::as_str).collect();
    assert_eq!(recipients, members);
    // Every message at the receiver by its id, and nothing else there; none
    // more than twice (once before the kill, once after).
    let counts: Vec<(&str, usize)> = messages
        .iter()
        .map(|m| m.name.trim_start_matches("messages/"))
        .map(|id| (id, receiver.count_of(id)))
        .collect();
    let missing: Vec<&str> = counts.iter().filter(|c| c.1 == 0).map(|c| c.0).collect();
    assert!(missing.is_empty(), "never received: {missing:?}");
    assert_eq!(distinct, AUDIENCE);
    let repeated: Vec<&(&str, usize)> = counts.iter().filter(|c| c.1 > 2).collect();
    assert!(
        repeated.is_empty(),
        "received more than twice: {repeated:?}"
    );
    // Repeats only of what the dead workers held, unrecorded, when killed.
    assert!(
        duplicates <= window,
        "{duplicates} repeats; the dead workers held at most {window}"
    );
}

#[test]
fn a_gateway_slower_than_the_lease_allows_gets_every_message_once() {
    // Arrange: batches that would take five times the lease to send one at
    // a time through a gateway holding each request 200 ms: two workers of
    // 50 messages, two sends at a time, a 2 s lease, attempts bounded by
    // 500 ms. A worker that kept sending past its lease would have its
    // batch taken over and sent again by the other.
    const SLOW_AUDIENCE: usize = 120;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let receiver = runtime
        .block_on(Receiver::start_keeping(Secret::new(GATEWAY_SECRET), 0))
        .expect("a receiver");
    let suite = start_suite(&config(2, 50, 2, 2, 500), &receiver);
    let audience =
        runtime.block_on(async { create_customers(&customers(&suite), SLOW_AUDIENCE).await });

    // Act
    receiver.stall_next(4 * SLOW_AUDIENCE, Duration::from_millis(200));
    let started = Instant::now();
    let broadcast = runtime.block_on(async {
        let mut client = notifications(&suite);
        broadcast(&mut client, &audience).await
    });
    let (progress, messages) = runtime.block_on(settled(&suite, &broadcast));
    println!(
        "audience {SLOW_AUDIENCE}: received {}, distinct {}, in {:.1} s",
        receiver.total(),
        receiver.distinct(),
        started.elapsed().as_secs_f64()
    );

    // Assert: every message sent, and each received exactly once.
    let sent =
        count(&progress, pb::MessageState::Sent) + count(&progress, pb::MessageState::Delivered);
    assert_eq!(
        (progress.total, sent),
        (SLOW_AUDIENCE as i64, SLOW_AUDIENCE as i64),
        "{progress:?}"
    );
    assert_eq!(
        (receiver.distinct(), receiver.total()),
        (SLOW_AUDIENCE, SLOW_AUDIENCE),
        "a batch outlived its lease and was sent again"
    );
    // Each message was attempted once: the messages put back unattempted
    // when their worker's time ran out carry no attempt of that round.
    let attempts = runtime.block_on(async {
        let mut client = notifications(&suite);
        let mut attempts = 0;
        for m in &messages {
            attempts += client
                .get_message(pb::GetMessageRequest {
                    name: m.name.clone(),
                })
                .await
                .expect("GetMessage")
                .into_inner()
                .message
                .expect("a message")
                .attempts
                .len();
        }
        attempts
    });
    assert_eq!(attempts, SLOW_AUDIENCE);
}
