//! A reference receiver of our signed POSTs: what a push gateway, SMS
//! provider or chat room looks like from this side, run on loopback. Tests
//! send real messages to it, and `redress bench` sends a broadcast's worth.
//!
//! It checks each request's signature (401 when it does not verify, within
//! five minutes of its clock) and counts deliveries by `Idempotency-Key`, so
//! `total() - distinct()` is the number of repeats a receiver would have
//! dropped. It keeps the last bodies it accepted (10,000 by default) for
//! tests to read. It can be told to misbehave for the next requests (answer
//! a status, or stall), which is how tests reach the retry paths. The
//! handler does one HMAC and one short lock, so it stays cheap under load.
//! It stops when dropped.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::serve::ListenerExt;
use bytes::Bytes;
use redress_platform::Secret;
use tokio::sync::oneshot;

use super::http::{IDEMPOTENCY_KEY, SIGNATURE, TIMESTAMP, unix_now, verify};

/// How many accepted bodies a receiver keeps by default.
pub const KEPT_BODIES: usize = 10_000;
/// How far a request's timestamp may be from the receiver's clock.
const TOLERANCE_S: i64 = 300;

/// A running receiver on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// `http://127.0.0.1:{port}/`.
    url: String,
    /// What the handler shares.
    shared: Arc<Shared>,
    /// Tells the server to stop; sent on drop.
    stop: Option<oneshot::Sender<()>>,
}

/// What the handler shares with the [`Receiver`].
#[derive(Debug)]
struct Shared {
    /// The HMAC key requests must be signed with.
    secret: Secret,
    /// How many bodies to keep; the oldest go first.
    keep_bodies: usize,
    /// Deliveries and kept bodies, under one short lock.
    record: Mutex<Record>,
    /// How many faults are queued: lets the handler skip the fault lock.
    pending_faults: AtomicUsize,
    /// The misbehaviour the next requests get, first first.
    faults: Mutex<VecDeque<Fault>>,
}

/// What was accepted.
#[derive(Debug, Default)]
struct Record {
    /// Accepted POSTs per idempotency key; their sum is the total.
    by_key: HashMap<String, u32>,
    /// Every accepted POST.
    total: usize,
    /// The last `keep_bodies` accepted bodies, raw.
    bodies: VecDeque<Bytes>,
}

/// One request's misbehaviour.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answer this status without looking at the request.
    Status(StatusCode),
    /// Wait this long, then handle the request as usual.
    Stall(Duration),
}

impl Receiver {
    /// Starts a receiver on a free loopback port that keeps the last
    /// [`KEPT_BODIES`] bodies.
    pub async fn start(secret: Secret) -> io::Result<Receiver> {
        Self::start_keeping(secret, KEPT_BODIES).await
    }

    /// Starts a receiver that keeps the last `keep_bodies` bodies (0 for a
    /// benchmark that only counts).
    pub async fn start_keeping(secret: Secret, keep_bodies: usize) -> io::Result<Receiver> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let address = listener.local_addr()?;
        let listener = listener.tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
        let shared = Arc::new(Shared {
            secret,
            keep_bodies,
            record: Mutex::new(Record::default()),
            pending_faults: AtomicUsize::new(0),
            faults: Mutex::new(VecDeque::new()),
        });
        let app = Router::new()
            .route("/", post(accept))
            .route("/{*path}", post(accept))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::warn!(%error, "the reference receiver stopped with an error");
            }
        });
        Ok(Receiver {
            url: format!("http://{address}/"),
            shared,
            stop: Some(stop),
        })
    }

    /// The URL to POST to (any path under it works too).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// How many different idempotency keys were accepted.
    pub fn distinct(&self) -> usize {
        self.shared.record().by_key.len()
    }

    /// How many POSTs were accepted; `total() - distinct()` were repeats.
    pub fn total(&self) -> usize {
        self.shared.record().total
    }

    /// How many POSTs were accepted with this idempotency key.
    pub fn count_of(&self, key: &str) -> usize {
        self.shared
            .record()
            .by_key
            .get(key)
            .map_or(0, |count| *count as usize)
    }

    /// The kept bodies, oldest first, as JSON (a body that is not JSON is
    /// kept as a string).
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        let raw: Vec<Bytes> = self.shared.record().bodies.iter().cloned().collect();
        raw.iter()
            .map(|body| {
                serde_json::from_slice(body).unwrap_or_else(|_| {
                    serde_json::Value::String(String::from_utf8_lossy(body).into_owned())
                })
            })
            .collect()
    }

    /// Answers the next `n` requests with `status` (500 if it is not a
    /// status), before checking or recording them.
    pub fn fail_next(&self, n: usize, status: u16) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.shared.queue(n, Fault::Status(status));
    }

    /// Holds each of the next `n` requests for `delay` before handling it.
    pub fn stall_next(&self, n: usize, delay: Duration) {
        self.shared.queue(n, Fault::Stall(delay));
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Shared {
    /// The record, even if a handler panicked holding it.
    fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault queue, likewise.
    fn faults(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `n` copies of `fault`.
    fn queue(&self, n: usize, fault: Fault) {
        let mut faults = self.faults();
        faults.extend(std::iter::repeat_n(fault, n));
        self.pending_faults.store(faults.len(), Ordering::Release);
    }

    /// The next request's fault, if one is queued.
    fn next_fault(&self) -> Option<Fault> {
        if self.pending_faults.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut faults = self.faults();
        let fault = faults.pop_front();
        self.pending_faults.store(faults.len(), Ordering::Release);
        fault
    }

    /// Records an accepted POST.
    fn accept(&self, key: &str, body: Bytes) {
        let mut record = self.record();
        record.total += 1;
        match record.by_key.get_mut(key) {
            Some(count) => *count += 1,
            None => {
                record.by_key.insert(key.to_owned(), 1);
            }
        }
        if self.keep_bodies > 0 {
            if record.bodies.len() == self.keep_bodies {
                record.bodies.pop_front();
            }
            record.bodies.push_back(body);
        }
    }
}

/// The one handler: fault, signature, record.
async fn accept(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    match shared.next_fault() {
        Some(Fault::Status(status)) => return status,
        Some(Fault::Stall(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (Some(timestamp), Some(signature)) = (header(TIMESTAMP), header(SIGNATURE)) else {
        return StatusCode::UNAUTHORIZED;
    };
    let secret = shared.secret.expose().as_bytes();
    if !verify(secret, timestamp, signature, &body, unix_now(), TOLERANCE_S) {
        return StatusCode::UNAUTHORIZED;
    }
    let Some(key) = header(IDEMPOTENCY_KEY).filter(|key| !key.is_empty()) else {
        return StatusCode::BAD_REQUEST;
    };
    shared.accept(key, body);
    StatusCode::OK
}
