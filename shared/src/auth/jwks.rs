//! The identity provider's public keys, by `kid`. A JWKS comes from a file
//! (read at start-up, so a bad file stops the service) or a URL (fetched on
//! first use with a timeout). Either is cached and fetched again when older
//! than the refresh interval, and at most once per 30 seconds when a token
//! names a `kid` the cache does not know (keys rotated at the provider). A
//! failed fetch keeps the keys already held. Only RS256 and ES256 (P-256)
//! signing keys are kept; every other key in the set is skipped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::AuthError;

/// The least time between two fetches caused by an unknown `kid`.
pub const UNKNOWN_KID_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// How long to wait after a failed fetch before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// Time limit for one JWKS request, connection included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// One public key and the only algorithm it is accepted for.
pub struct VerifyingKey {
    /// The key material.
    pub key: DecodingKey,
    /// RS256 for RSA keys, ES256 for P-256 keys.
    pub algorithm: Algorithm,
}

/// Where the key set comes from.
enum Source {
    File(PathBuf),
    Url {
        url: String,
        client: reqwest::Client,
    },
}

/// What is cached, under a short-lived lock never held across an await.
#[derive(Default)]
struct State {
    keys: Arc<HashMap<String, Arc<VerifyingKey>>>,
    /// Counts fetch attempts, so tasks that queued behind a fetch skip theirs.
    attempts: u64,
    fetched_at: Option<Instant>,
    failed_at: Option<Instant>,
    unknown_kid_refresh_at: Option<Instant>,
    last_error: Option<String>,
}

impl State {
    fn recently_failed(&self, now: Instant) -> bool {
        self.failed_at
            .is_some_and(|at| now.duration_since(at) < RETRY_AFTER_FAILURE)
    }

    fn is_stale(&self, now: Instant, refresh_every: Duration) -> bool {
        let old = self
            .fetched_at
            .is_none_or(|at| now.duration_since(at) >= refresh_every);
        old && !self.recently_failed(now)
    }
}

/// A cached, refreshing JWKS.
pub struct JwksKeys {
    source: Source,
    refresh_every: Duration,
    state: RwLock<State>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for JwksKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::File(path) => format!("file {}", path.display()),
            Source::Url { url, .. } => format!("url {url}"),
        };
        f.debug_struct("JwksKeys")
            .field("source", &source)
            .field("refresh_every", &self.refresh_every)
            .finish_non_exhaustive()
    }
}

impl JwksKeys {
    /// Keys from a file, read now: an unreadable file or one without a usable
    /// key is a configuration error.
    pub fn from_file(path: PathBuf, refresh_every: Duration) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(&path).map_err(|error| {
            AuthError::Config(format!("cannot read JWKS file {}: {error}", path.display()))
        })?;
        let keys = parse_jwks(&text).map_err(AuthError::Config)?;
        let state = State {
            keys: Arc::new(keys),
            attempts: 1,
            fetched_at: Some(Instant::now()),
            ..State::default()
        };
        Ok(Self {
            source: Source::File(path),
            refresh_every,
            state: RwLock::new(state),
            refresh_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Keys from a URL, fetched on first use (or by [`JwksKeys::refresh`]).
    pub fn from_url(url: String, refresh_every: Duration) -> Result<Self, AuthError> {
        let parsed = reqwest::Url::parse(&url)
            .map_err(|error| AuthError::Config(format!("bad JWKS URL: {error}")))?;
        match parsed.scheme() {
            "https" => {}
            "http" => {
                let host = parsed.host_str().unwrap_or_default();
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let loopback = host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                if !loopback {
                    tracing::warn!(%url, "the JWKS URL is plain http; use https in production");
                }
            }
            other => {
                return Err(AuthError::Config(format!(
                    "the JWKS URL scheme must be https or http, not {other}"
                )));
            }
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|error| AuthError::Config(format!("cannot build the JWKS client: {error}")))?;
        Ok(Self {
            source: Source::Url { url, client },
            refresh_every,
            state: RwLock::new(State::default()),
            refresh_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The key named `kid`, refreshing the set when it is stale or when the
    /// `kid` is unknown (at most once per [`UNKNOWN_KID_REFRESH_INTERVAL`]).
    pub async fn key_for(&self, kid: &str) -> Result<Arc<VerifyingKey>, AuthError> {
        let (attempts, stale, found) = {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            (
                state.attempts,
                state.is_stale(now, self.refresh_every),
                state.keys.get(kid).cloned(),
            )
        };
        if stale {
            if let Err(error) = self.refresh_after(attempts).await {
                tracing::warn!(%error, "JWKS refresh failed; keeping the cached keys");
            }
        } else if let Some(key) = found {
            return Ok(key);
        }
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if let Some(attempts) = self.claim_unknown_kid_refresh() {
            tracing::debug!("a token names an unknown kid; fetching the JWKS again");
            if let Err(error) = self.refresh_after(attempts).await {
                tracing::warn!(%error, "JWKS refresh for an unknown kid failed");
            }
            if let Some(key) = self.cached(kid) {
                return Ok(key);
            }
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        match (&state.fetched_at, &state.last_error) {
            (None, Some(error)) => Err(AuthError::KeysUnavailable(error.clone())),
            (None, None) => Err(AuthError::KeysUnavailable("not fetched yet".to_owned())),
            _ => Err(AuthError::UnknownKey),
        }
    }

    /// Fetches the key set now, whatever its age. On failure the cached keys
    /// stay in use.
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let attempts = self
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .attempts;
        self.refresh_after(attempts).await
    }

    fn cached(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.keys.get(kid).cloned()
    }

    /// Records an unknown-`kid` refresh if one is allowed now, returning the
    /// attempt count to refresh after.
    fn claim_unknown_kid_refresh(&self) -> Option<u64> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let allowed = state
            .unknown_kid_refresh_at
            .is_none_or(|at| now.duration_since(at) >= UNKNOWN_KID_REFRESH_INTERVAL);
        if !allowed || state.recently_failed(now) {
            return None;
        }
        state.unknown_kid_refresh_at = Some(now);
        Some(state.attempts)
    }

    /// Fetches unless another task made an attempt since `seen_attempts`.
    async fn refresh_after(&self, seen_attempts: u64) -> Result<(), AuthError> {
        let _single_flight = self.refresh_lock.lock().await;
        {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            if state.attempts != seen_attempts {
                return Ok(());
            }
        }
        let outcome = self.fetch().await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        state.attempts += 1;
        match outcome {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), "JWKS loaded");
                state.keys = Arc::new(keys);
                state.fetched_at = Some(Instant::now());
                state.failed_at = None;
                state.last_error = None;
                Ok(())
            }
            Err(error) => {
                state.failed_at = Some(Instant::now());
                state.last_error = Some(error.clone());
                Err(AuthError::KeysUnavailable(error))
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<VerifyingKey>>, String> {
        let text = match &self.source {
            Source::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?,
            Source::Url { url, client } => {
                let response = client
                    .get(url)
                    .header(http::header::ACCEPT, "application/json")
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|error| format!("GET {url}: {error}"))?;
                response
                    .text()
                    .await
                    .map_err(|error| format!("GET {url}: {error}"))?
            }
        };
        parse_jwks(&text)
    }
}

/// The usable signing keys of a JWKS document, by `kid`. Keys that are not
/// RS256 or ES256 signing keys, or carry no `kid`, are skipped; a document
/// with no usable key is an error.
pub fn parse_jwks(text: &str) -> Result<HashMap<String, Arc<VerifyingKey>>, String> {
    #[derive(serde::Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let raw: RawSet = serde_json::from_str(text)
        .map_err(|error| format!("the JWKS is not a JSON key set: {error}"))?;
    let mut keys = HashMap::new();
    for value in raw.keys {
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(error) => {
                tracing::debug!(%error, "skipping a JWK that does not parse");
                continue;
            }
        };
        if let Some((kid, key)) = usable_key(&jwk) {
            keys.insert(kid, Arc::new(key));
        }
    }
    if keys.is_empty() {
        return Err("the JWKS holds no RS256 or ES256 signing key with a kid".to_owned());
    }
    Ok(keys)
}

fn usable_key(jwk: &Jwk) -> Option<(String, VerifyingKey)> {
    let kid = jwk.common.key_id.clone()?;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let (algorithm, expected) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (Algorithm::RS256, KeyAlgorithm::RS256),
        AlgorithmParameters::EllipticCurve(params) if params.curve == EllipticCurve::P256 => {
            (Algorithm::ES256, KeyAlgorithm::ES256)
        }
        _ => {
            tracing::debug!(%kid, "skipping a JWK that is neither RSA nor P-256");
            return None;
        }
    };
    if jwk.common.key_algorithm.is_some_and(|alg| alg != expected) {
        tracing::debug!(%kid, "skipping a JWK meant for another algorithm");
        return None;
    }
    match DecodingKey::from_jwk(jwk) {
        Ok(key) => Some((kid, VerifyingKey { key, algorithm })),
        Err(error) => {
            tracing::debug!(%kid, %error, "skipping a JWK whose key does not decode");
            None
        }
    }
}
