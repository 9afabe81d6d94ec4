//! The database layer every service shares: a schema per service reached
//! through a login role of its own, migrations run into that schema, and
//! connection pools confined to it.
//!
//! Rule 1 of the architecture ("one owner per fact") is enforced here by
//! PostgreSQL itself rather than by convention. For a schema `s`:
//! `redress_s_owner` (NOLOGIN) owns the schema and everything migrations
//! create in it; `redress_s` (LOGIN) may use that schema's tables and
//! sequences and nothing in any other service's schema. [`provision`] sets
//! this up with an admin connection, [`migrate`] runs the service's embedded
//! migrations as the owner (so sqlx's `_sqlx_migrations` ledger lives in the
//! schema too), [`connect`] opens the service's pool, and [`check_migrated`]
//! lets a service that may not migrate refuse to start on an old schema.

mod copy;
mod migrate;
mod pool;
mod provision;
mod scram;
mod store_error;
mod url;

pub use store_error::StoreError;

pub use copy::CopyRows;

pub use migrate::{check_migrated, migrate};
pub use pool::{PoolSettings, connect, connect_with};
pub use provision::provision;
pub use url::{database_url, derive_password, login_url};

/// A stored timestamp as jiff's.
pub fn ts(value: jiff_sqlx::Timestamp) -> jiff::Timestamp {
    value.to_jiff()
}

/// An optional stored timestamp as jiff's.
pub fn ts_opt(value: Option<jiff_sqlx::Timestamp>) -> Option<jiff::Timestamp> {
    value.map(jiff_sqlx::Timestamp::to_jiff)
}

use sqlx::migrate::{MigrateError, Migrator};

/// A service's schema and the migrations that build it.
#[derive(Debug, Clone, Copy)]
pub struct SchemaSpec {
    /// Schema name: lower-case ASCII letters, digits and `_`, starting with a
    /// letter, at most 49 bytes (so role names fit PostgreSQL's 63).
    pub schema: &'static str,
    /// The service's embedded migrations (`sqlx::migrate!("./migrations")`).
    pub migrator: &'static Migrator,
}

/// Name of the NOLOGIN role that owns `schema` and its objects.
pub fn owner_role(schema: &str) -> String {
    format!("redress_{schema}_owner")
}

/// Name of the LOGIN role a service connects as.
pub fn login_role(schema: &str) -> String {
    format!("redress_{schema}")
}

/// A database step failed. Messages name the schema, role and step; they
/// never contain passwords or URLs.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The schema name is not a plain lower-case identifier.
    #[error(
        "`{schema}` is not a valid schema name (lower-case letters, digits and `_`, starting with a letter, at most 49 bytes)"
    )]
    InvalidSchemaName {
        /// The rejected name.
        schema: String,
    },

    /// A database URL could not be understood.
    #[error("the database URL is not valid: {reason}")]
    InvalidUrl {
        /// What is wrong, without the URL itself.
        reason: String,
    },

    /// A password cannot be set through a SCRAM verifier.
    #[error("the password for role `{role}` must be printable ASCII")]
    UnsupportedPassword {
        /// The role.
        role: String,
    },

    /// Opening a connection or pool failed.
    #[error("could not connect to the database for schema `{schema}`: {source}")]
    Connect {
        /// The schema the pool was for.
        schema: String,
        /// The underlying error.
        source: sqlx::Error,
    },

    /// A provisioning or checking statement failed.
    #[error("could not {step} for schema `{schema}`: {source}")]
    Statement {
        /// The schema.
        schema: String,
        /// What we were doing ("create the login role `redress_x`").
        step: String,
        /// The underlying error.
        source: sqlx::Error,
    },

    /// Running the migrations failed.
    #[error("could not migrate schema `{schema}`: {source}")]
    Migrate {
        /// The schema.
        schema: String,
        /// The underlying error (names the version that failed).
        source: MigrateError,
    },

    /// The schema lacks migrations this binary embeds.
    #[error(
        "schema `{schema}` lacks migration(s) {} that this binary embeds: run `redress migrate`",
        list(missing)
    )]
    NotMigrated {
        /// The schema.
        schema: String,
        /// Versions embedded but not applied, ascending.
        missing: Vec<i64>,
    },

    /// A migration is recorded as failed (a dirty schema).
    #[error(
        "schema `{schema}` has migration {version} recorded as failed: repair the schema by hand, delete that row from `{schema}._sqlx_migrations`, and run `redress migrate`"
    )]
    MigrationFailed {
        /// The schema.
        schema: String,
        /// The failed version.
        version: i64,
    },

    /// An applied migration differs from the one embedded.
    #[error(
        "schema `{schema}` has migration {version} applied with different contents than this binary embeds: a released migration was edited"
    )]
    MigrationChanged {
        /// The schema.
        schema: String,
        /// The version whose checksum differs.
        version: i64,
    },
}

impl DbError {
    /// The PostgreSQL SQLSTATE behind this error, if any.
    pub fn sqlstate(&self) -> Option<String> {
        let source = match self {
            Self::Connect { source, .. } | Self::Statement { source, .. } => source,
            Self::Migrate {
                source: MigrateError::Execute(source) | MigrateError::ExecuteMigration(source, _),
                ..
            } => source,
            _ => return None,
        };
        source
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned())
    }
}

/// "1, 2, 3".
fn list(versions: &[i64]) -> String {
    versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a schema name so it can be spliced into SQL as an identifier.
fn check_schema_name(schema: &str) -> Result<(), DbError> {
    let mut chars = schema.chars();
    let valid = schema.len() <= 49
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(DbError::InvalidSchemaName {
            schema: schema.to_owned(),
        })
    }
}

/// Wraps a sqlx error with the schema and step.
fn step(schema: &str, step: impl Into<String>) -> impl FnOnce(sqlx::Error) -> DbError {
    let schema = schema.to_owned();
    let step = step.into();
    move |source| DbError::Statement {
        schema,
        step,
        source,
    }
}

#[cfg(test)]
mod tests;
