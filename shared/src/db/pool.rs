//! A service's connection pool, confined to its schema: every connection
//! starts with `search_path` set to the schema alone, names itself
//! `redress-<schema>` in `pg_stat_activity`, and carries a statement timeout.
//!
//! Every pool reports its use as the semantic conventions' database client
//! metrics, with `db.client.connection.pool.name` = `redress-<schema>`:
//! `db.client.connection.count` by `db.client.connection.state` (`idle`,
//! `used`) and `db.client.connection.max`, read when metrics are collected.

use std::time::Duration;

use opentelemetry::KeyValue;
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{DbError, check_schema_name, url::parse_options};
use crate::secret::Secret;

/// Pool sizing and timeouts, read from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PoolSettings {
    /// Most connections open at once; at least 1.
    pub max_connections: u32,
    /// Connections kept open even when idle; at most `max_connections`.
    pub min_connections: u32,
    /// How long a caller waits for a free connection, in milliseconds.
    pub acquire_timeout_ms: u64,
    /// Server-side limit on one statement, in milliseconds; 0 means none.
    pub statement_timeout_ms: u64,
    /// Idle connections above `min_connections` close after this many seconds.
    pub idle_timeout_s: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout_ms: 5_000,
            statement_timeout_ms: 30_000,
            idle_timeout_s: 300,
        }
    }
}

/// Opens a pool on `url` for `schema` (one connection is made at once, so a
/// bad URL or password fails here rather than at the first request).
pub async fn connect(
    url: &Secret,
    schema: &str,
    settings: &PoolSettings,
) -> Result<PgPool, DbError> {
    let options = parse_options(url.expose())?;
    connect_with(options, schema, settings).await
}

/// [`connect`] from already parsed options.
pub async fn connect_with(
    options: PgConnectOptions,
    schema: &str,
    settings: &PoolSettings,
) -> Result<PgPool, DbError> {
    check_schema_name(schema)?;
    let options = options
        .application_name(&format!("redress-{schema}"))
        .options([
            ("search_path", schema.to_owned()),
            (
                "statement_timeout",
                settings.statement_timeout_ms.to_string(),
            ),
        ]);
    let max = settings.max_connections.max(1);
    let pool = PgPoolOptions::new()
        .max_connections(max)
        .min_connections(settings.min_connections.min(max))
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .idle_timeout(Duration::from_secs(settings.idle_timeout_s))
        .connect_with(options)
        .await
        .map_err(|source| DbError::Connect {
            schema: schema.to_owned(),
            source,
        })?;
    observe(&pool, &format!("redress-{schema}"), max);
    Ok(pool)
}

/// Reports `pool`'s connections in use and idle, and its maximum, on every
/// metrics collection until it is closed (with no meter provider installed
/// the callbacks are dropped at once).
fn observe(pool: &PgPool, name: &str, max: u32) {
    let meter = crate::telemetry::meter();
    let pool_name = KeyValue::new("db.client.connection.pool.name", name.to_owned());
    let counted = pool.clone();
    let attributes = pool_name.clone();
    meter
        .i64_observable_up_down_counter("db.client.connection.count")
        .with_unit("{connection}")
        .with_description("Connections open in the pool, by state")
        .with_callback(move |observer| {
            if counted.is_closed() {
                return;
            }
            let open = i64::from(counted.size());
            let idle = i64::try_from(counted.num_idle()).unwrap_or(i64::MAX);
            let state = |value: &'static str| {
                [
                    attributes.clone(),
                    KeyValue::new("db.client.connection.state", value),
                ]
            };
            observer.observe(idle, &state("idle"));
            observer.observe((open - idle).max(0), &state("used"));
        })
        .build();
    let limited = pool.clone();
    meter
        .i64_observable_up_down_counter("db.client.connection.max")
        .with_unit("{connection}")
        .with_description("Most connections the pool may open")
        .with_callback(move |observer| {
            if !limited.is_closed() {
                observer.observe(i64::from(max), std::slice::from_ref(&pool_name));
            }
        })
        .build();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_settings_default_and_deserialise_partially() {
        let defaults = PoolSettings::default();
        assert_eq!(defaults.max_connections, 10);
        assert_eq!(defaults.min_connections, 0);
        assert_eq!(defaults.acquire_timeout_ms, 5_000);
        assert_eq!(defaults.statement_timeout_ms, 30_000);
        assert_eq!(defaults.idle_timeout_s, 300);

        let settings: PoolSettings =
            serde::Deserialize::deserialize(serde::de::value::MapDeserializer::<
                _,
                serde::de::value::Error,
            >::new(
                [("max_connections", 3_u64)].into_iter()
            ))
            .expect("deserialises");
        assert_eq!(settings.max_connections, 3);
        assert_eq!(settings.statement_timeout_ms, 30_000);
    }
}
