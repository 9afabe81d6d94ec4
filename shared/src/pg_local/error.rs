//! What can go wrong while finding, initialising, starting or stopping the
//! private cluster. Every variant names the path, program or user involved;
//! none carries the admin password.

use std::io;
use std::path::PathBuf;

/// The private cluster could not be made ready (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum LocalPgError {
    /// No PostgreSQL server binaries on this machine.
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or under {searched}; \
         install the PostgreSQL server package (Debian/Ubuntu `apt-get install postgresql`, \
         Fedora `dnf install postgresql-server`, macOS `brew install postgresql`) or set a database \
         URL instead (`REDRESS_DATABASE__URL` for the suite, `DATABASE_URL` for the tests)"
    )]
    BinariesNotFound {
        /// The directories searched besides PATH, for the message.
        searched: String,
    },

    /// The binaries found are older than the suite supports.
    #[error("PostgreSQL {found} found in {bin_dir}, but Redress needs PostgreSQL 14 or newer")]
    UnsupportedVersion {
        /// Major version reported by `pg_ctl --version`.
        found: u32,
        /// Where the binaries are.
        bin_dir: PathBuf,
    },

    /// The data directory was made by another major version than the binaries.
    #[error(
        "the cluster in {data_dir} was created by PostgreSQL {data_version} but the binaries found \
         are version {binaries_version}; delete the directory to start afresh or install version {data_version}"
    )]
    VersionMismatch {
        /// The data directory.
        data_dir: PathBuf,
        /// Major version recorded in `PG_VERSION`.
        data_version: u32,
        /// Major version of the binaries.
        binaries_version: u32,
    },

    /// A file-system operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What we were doing, as a verb phrase ("create directory").
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// A PostgreSQL program ran but failed.
    #[error("`{program} {verb}` failed ({status}): {output}")]
    Command {
        /// Program name (`initdb`, `pg_ctl`).
        program: &'static str,
        /// What it was asked to do.
        verb: &'static str,
        /// Exit status as text.
        status: String,
        /// The tail of what it printed, or of the server log.
        output: String,
    },

    /// The unprivileged user to run PostgreSQL as could not be found or made.
    #[error("cannot run PostgreSQL as an unprivileged user: {reason}")]
    User {
        /// What went wrong.
        reason: String,
    },

    /// The unprivileged user cannot reach the data directory.
    #[error(
        "PostgreSQL must run as the unprivileged user `{user}`, who cannot enter {} (no execute \
         permission for that user), so it cannot reach the data directory {}; choose a data \
         directory elsewhere (for example under /var/tmp or /srv) or grant o+x on that directory",
        blocked.display(), data_dir.display()
    )]
    PathNotTraversable {
        /// The OS user PostgreSQL runs as.
        user: String,
        /// The first ancestor the user cannot traverse.
        blocked: PathBuf,
        /// The cluster directory asked for.
        data_dir: PathBuf,
    },

    /// The cluster exists but the file holding its port and password is missing or unreadable.
    #[error(
        "the cluster in {} has no usable state file ({reason}); without it the admin password is \
         unknown: delete the directory to start afresh",
        path.display()
    )]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A postmaster is alive but never became ready.
    #[error(
        "a PostgreSQL server (pid {pid}) is running on {} but did not accept connections on port \
         {port} within {waited_s} s",
        data_dir.display()
    )]
    NotReady {
        /// The postmaster's pid.
        pid: i32,
        /// The port it should listen on.
        port: u16,
        /// The data directory.
        data_dir: PathBuf,
        /// How long we waited.
        waited_s: u64,
    },
}

impl LocalPgError {
    /// Wraps an I/O error with what we were doing and where.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
