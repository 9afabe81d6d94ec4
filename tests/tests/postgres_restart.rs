//! PostgreSQL stopped and started again while the suite is under a load of
//! writes, without restarting `redress up`: every call answers within its
//! deadline, with OK or UNAVAILABLE and nothing else; the services serve
//! again by themselves once the database is back; and every write that was
//! acknowledged is there afterwards, once, however often its request id was
//! retried.
//!
//! The suite runs on a private cluster of this test's own (the shared test
//! cluster serves other tests and must not be stopped). Writers are
//! CreateComplaint and CreateCustomer calls, each with a request id
//! (AIP-155): a call answered UNAVAILABLE is retried later with the same id,
//! as a careful caller would, so an answer lost after its commit must not
//! make a second record.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redress_platform::auth::Role;
use redress_platform::pg_local::{LocalCluster, LocalClusterOptions};
use redress_proto::complaints::v1 as pb;
use redress_proto::customers::v1 as cpb;
use support::{Suite, TempDir};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The deadline every write carries.
const DEADLINE: Duration = Duration::from_secs(10);
/// How much later than its deadline a call may return before it counts as
/// hanging (a bound against hangs, not a speed measurement).
const MARGIN: Duration = Duration::from_secs(5);
/// How long the database stays down while the load goes on.
const OUTAGE: Duration = Duration::from_secs(5);
/// How long anything the test waits for may take.
const EVENTUALLY: Duration = Duration::from_secs(120);

/// Before, during and after the outage.
const BEFORE: u8 = 0;
const DURING: u8 = 1;
const AFTER: u8 = 2;

/// What the writers saw, shared between them.
#[derive(Default)]
struct Ledger {
    /// Acknowledged complaints: request id → name.
    complaints: HashMap<String, String>,
    /// Acknowledged customers: request id → name.
    customers: HashMap<String, String>,
    /// Request ids answered UNAVAILABLE and not yet acknowledged, with
    /// whether each is a complaint.
    unanswered: Vec<(String, bool)>,
    /// Answers by phase and code.
    codes: BTreeMap<(u8, String), u64>,
    /// Anything that must not happen.
    problems: Vec<String>,
}

fn channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect_lazy()
}

/// One write, the complaint or customer of `request_id`, with the deadline.
async fn write(
    suite: &WriterTarget,
    request_id: &str,
    complaint: bool,
) -> Result<String, tonic::Status> {
    if complaint {
        let mut request = tonic::Request::new(pb::CreateComplaintRequest {
            complaint: Some(pb::Complaint {
                customer: suite.customer.clone(),
                channel: pb::Channel::Phone.into(),
                kind: pb::ComplaintKind::Complaint.into(),
                summary: "Line dead since the storm".into(),
                category: "not_provided/missed_appointment".into(),
                severity: pb::Severity::Medium.into(),
                ..Default::default()
            }),
            request_id: request_id.to_owned(),
        });
        request.set_timeout(DEADLINE);
        let mut client = pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
            suite.complaints.clone(),
            suite.bearer.clone(),
        );
        let created = client.create_complaint(request).await?.into_inner();
        Ok(created.complaint.map(|c| c.name).unwrap_or_default())
    } else {
        let mut request = tonic::Request::new(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: "Grace Hopper".into(),
                kind: cpb::CustomerKind::Person.into(),
                ..Default::default()
            }),
            request_id: request_id.to_owned(),
        });
        request.set_timeout(DEADLINE);
        let mut client = cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            suite.customers.clone(),
            suite.bearer.clone(),
        );
        let created = client.create_customer(request).await?.into_inner();
        Ok(created.customer.map(|c| c.name).unwrap_or_default())
    }
}

/// Where the writers write, as whom, about which customer.
#[derive(Clone)]
struct WriterTarget {
    complaints: Channel,
    customers: Channel,
    bearer: redress_platform::auth::BearerInterceptor,
    customer: String,
}

/// Writes `request_id` once and books the answer in `ledger`.
async fn write_and_book(
    target: &WriterTarget,
    ledger: &Mutex<Ledger>,
    phase: u8,
    request_id: String,
    complaint: bool,
) -> bool {
    let sent = Instant::now();
    let result = write(target, &request_id, complaint).await;
    let took = sent.elapsed();
    let mut ledger = ledger.lock().expect("the ledger");
    if took > DEADLINE + MARGIN {
        ledger.problems.push(format!(
            "a write took {took:?}, past its deadline of {DEADLINE:?}"
        ));
    }
    let code = result.as_ref().map_or_else(|s| s.code(), |_| Code::Ok);
    *ledger
        .codes
        .entry((phase, format!("{code:?}")))
        .or_default() += 1;
    match result {
        Ok(name) => {
            let acknowledged = if complaint {
                &mut ledger.complaints
            } else {
                &mut ledger.customers
            };
            if let Some(before) = acknowledged.insert(request_id.clone(), name.clone())
                && before != name
            {
                ledger.problems.push(format!(
                    "request {request_id} answered {before} first and {name} on a retry"
                ));
            }
            true
        }
        Err(status) if status.code() == Code::Unavailable => {
            ledger.unanswered.push((request_id, complaint));
            false
        }
        Err(status) => {
            ledger.problems.push(format!(
                "a write was answered {:?}: {}",
                status.code(),
                status.message()
            ));
            ledger.unanswered.push((request_id, complaint));
            false
        }
    }
}

/// Stops the test's cluster when dropped, passing or failing (after the
/// suite, which is declared later and so dropped first).
struct StopOnDrop(LocalCluster);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.stop();
    }
}

async fn serving(endpoint: &str) -> bool {
    let Ok(channel) = Channel::from_shared(endpoint.to_owned())
        .expect("an endpoint")
        .connect()
        .await
    else {
        return false;
    };
    HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

#[test]
fn the_suite_rides_out_a_postgres_restart_under_load_and_keeps_every_acknowledged_write() {
    // Arrange: a cluster of this test's own and the suite on it.
    let pg_dir = TempDir::new();
    let options = LocalClusterOptions {
        dir: pg_dir.path().join("postgres"),
        for_tests: true,
        port: 0,
        bin_dir: None,
    };
    let cluster = LocalCluster::ensure_running(&options).expect("a private cluster");
    let _stopped_at_the_end = StopOnDrop(cluster.clone());
    let admin_url = cluster.admin_url();
    let suite = Suite::start_with_env("", &[("REDRESS_DATABASE__URL", admin_url.expose())]);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    // Lazy channels spawn their connection task on the current runtime.
    let _in_runtime = runtime.enter();
    let bearer = suite.bearer("agent-7", &[Role::Agent], Some("front"));
    let customer = runtime.block_on(async {
        cpb::customer_service_client::CustomerServiceClient::with_interceptor(
            channel(&suite.endpoint),
            bearer.clone(),
        )
        .create_customer(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: "Ada Lovelace".into(),
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
    let target = WriterTarget {
        complaints: channel(&suite.complaints_endpoint),
        customers: channel(&suite.endpoint),
        bearer,
        customer,
    };
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let stop = Arc::new(AtomicBool::new(false));

    // Act: six writers (four of complaints, two of customers), each
    // retrying what was answered UNAVAILABLE before writing anew.
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let (target, ledger, phase, stop) =
                (target.clone(), ledger.clone(), phase.clone(), stop.clone());
            runtime.spawn(async move {
                let complaint = writer < 4;
                while !stop.load(Ordering::Acquire) {
                    let retry = {
                        let mut ledger = ledger.lock().expect("the ledger");
                        let at = ledger.unanswered.iter().position(|(_, c)| *c == complaint);
                        at.map(|at| ledger.unanswered.swap_remove(at).0)
                    };
                    let request_id = retry.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
                    let now = phase.load(Ordering::Acquire);
                    if !write_and_book(&target, &ledger, now, request_id, complaint).await {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        })
        .collect();
    let acknowledged = |ledger: &Mutex<Ledger>| {
        let ledger = ledger.lock().expect("the ledger");
        (ledger.complaints.len(), ledger.customers.len())
    };
    let eventually = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + EVENTUALLY;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "{what} did not happen in {EVENTUALLY:?}\n--- redress up\n{}",
                suite.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    eventually("writes before the outage", &|| {
        let (complaints, customers) = acknowledged(&ledger);
        complaints >= 20 && customers >= 10
    });

    phase.store(DURING, Ordering::Release);
    cluster.stop().expect("PostgreSQL stopped");
    std::thread::sleep(OUTAGE);
    let (complaints_then, customers_then) = acknowledged(&ledger);
    let restarted = LocalCluster::ensure_running(&options).expect("PostgreSQL started again");
    assert_eq!(restarted.port(), cluster.port(), "the same port as before");
    phase.store(AFTER, Ordering::Release);

    // The services come back by themselves: healthy, and writing again.
    eventually("health SERVING after the restart", &|| {
        runtime.block_on(async {
            serving(&suite.endpoint).await && serving(&suite.complaints_endpoint).await
        })
    });
    eventually("writes after the restart", &|| {
        let (complaints, customers) = acknowledged(&ledger);
        complaints >= complaints_then + 20 && customers >= customers_then + 10
    });
    stop.store(true, Ordering::Release);
    for writer in writers {
        runtime.block_on(writer).expect("a writer");
    }
    // Whatever was left unanswered is retried with its own id until done.
    eventually("every request id answered", &|| {
        let left = std::mem::take(&mut ledger.lock().expect("the ledger").unanswered);
        for (request_id, complaint) in left {
            runtime.block_on(write_and_book(
                &target, &ledger, AFTER, request_id, complaint,
            ));
        }
        ledger.lock().expect("the ledger").unanswered.is_empty()
    });

    // Assert: only OK and UNAVAILABLE, each within its deadline; the outage
    // was felt; every acknowledged write is there, once.
    let ledger = ledger.lock().expect("the ledger");
    assert_eq!(ledger.problems, Vec::<String>::new(), "{:?}", ledger.codes);
    assert!(
        ledger
            .codes
            .get(&(DURING, "Unavailable".to_owned()))
            .is_some_and(|n| *n > 0),
        "no write saw the outage: {:?}",
        ledger.codes
    );
    let (complaint_rows, customer_rows) = runtime.block_on(async {
        let pool = sqlx::PgPool::connect(admin_url.expose())
            .await
            .expect("the suite's database");
        let names = |rows: Vec<uuid::Uuid>, prefix: &str| {
            let mut names: Vec<String> = rows.iter().map(|id| format!("{prefix}/{id}")).collect();
            names.sort();
            names
        };
        let complaints: Vec<uuid::Uuid> =
            sqlx::query_scalar("SELECT id FROM complaints.complaints")
                .fetch_all(&pool)
                .await
                .expect("complaints counted");
        let customers: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM customers.customers")
            .fetch_all(&pool)
            .await
            .expect("customers counted");
        pool.close().await;
        (
            names(complaints, "complaints"),
            names(customers, "customers"),
        )
    });
    let mut acknowledged_complaints: Vec<String> = ledger.complaints.values().cloned().collect();
    acknowledged_complaints.sort();
    assert_eq!(
        complaint_rows, acknowledged_complaints,
        "the complaints stored are exactly those acknowledged, one per request id"
    );
    let mut acknowledged_customers: Vec<String> = ledger.customers.values().cloned().collect();
    acknowledged_customers.push(target.customer.clone());
    acknowledged_customers.sort();
    assert_eq!(
        customer_rows, acknowledged_customers,
        "the customers stored are exactly those acknowledged, one per request id"
    );
}
