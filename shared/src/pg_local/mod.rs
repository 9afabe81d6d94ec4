//! A private PostgreSQL cluster for development and tests, made from the
//! machine's own server binaries in a project-local directory.
//!
//! `redress up` without a database URL, and the test suite without
//! `DATABASE_URL`, need a server nobody had to set up. [`LocalCluster::ensure_running`]
//! initialises one on first use (superuser `redress_admin` with a random
//! password, scram-sha-256, listening on 127.0.0.1 only), starts it when it is
//! down, and otherwise reuses the running one, remembering its port and
//! password in a private state file. Many processes may call it at once (the
//! test runner starts one per test): an exclusive file lock beside the data
//! directory serialises the check-initialise-start sequence. When run as root
//! the server programs run as an unprivileged user, as PostgreSQL demands.

mod binaries;
mod error;
mod os_user;
mod server;
mod state;

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub use binaries::PgBinaries;
pub use error::LocalPgError;
use os_user::RunAs;
use server::{ADMIN_USER, Server};
use state::State;

use crate::secret::Secret;

/// How to find or make a private cluster.
#[derive(Debug, Clone)]
pub struct LocalClusterOptions {
    /// The cluster directory (for example `.redress/postgres`); created if
    /// absent. It holds `data/`, the log, the state file and the lock file.
    pub dir: PathBuf,
    /// A cluster only for tests: crash safety is traded for speed
    /// (`fsync`, `synchronous_commit` and `full_page_writes` off).
    pub for_tests: bool,
    /// Port on 127.0.0.1; 0 picks a free one the first time and then
    /// reuses the remembered one (or a new free one if it got taken).
    pub port: u16,
    /// Directory of `initdb`, `pg_ctl` and `postgres`; `None` searches PATH
    /// and the distributions' usual places.
    pub bin_dir: Option<PathBuf>,
}

impl LocalClusterOptions {
    /// Options for a development cluster in `dir` on a remembered free port.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            for_tests: false,
            port: 0,
            bin_dir: None,
        }
    }
}

/// A running private cluster. Dropping it leaves the server running for
/// reuse; call [`LocalCluster::stop`] to stop it.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    /// The programs and paths of the cluster; the server ran and accepted
    /// connections when this value was made.
    server: Server,
    /// Port the server listens on, on 127.0.0.1.
    port: u16,
    /// Password of `redress_admin`.
    password: Secret,
}

impl LocalCluster {
    /// Makes sure the cluster in `options.dir` exists and runs; blocking (it
    /// may run `initdb` and wait for the server), so async callers should use
    /// [`LocalCluster::ensure_running_async`].
    pub fn ensure_running(options: &LocalClusterOptions) -> Result<Self, LocalPgError> {
        let dir =
            std::path::absolute(&options.dir).map_err(LocalPgError::io("resolve", &options.dir))?;
        fs::create_dir_all(&dir).map_err(LocalPgError::io("create", &dir))?;
        let run_as = RunAs::resolve()?;
        run_as.check_traversable(&dir)?;
        let _lock = lock(&dir)?;

        let binaries = PgBinaries::find(options.bin_dir.as_deref())?;
        run_as.give(&dir)?;
        let server = Server {
            dir: dir.clone(),
            binaries,
            run_as,
        };
        let state_path = dir.join("state");
        let mut state = match State::load(&state_path)? {
            Some(state) => state,
            None if server.is_initialised() => {
                return Err(LocalPgError::State {
                    path: state_path,
                    reason: "it is missing".to_owned(),
                });
            }
            None => {
                let port = match options.port {
                    0 => state::free_port()?,
                    port => port,
                };
                let state = State {
                    port,
                    password: state::random_password(),
                };
                state.save(&state_path)?;
                state
            }
        };

        if server.is_initialised() {
            let data_version = server.data_version()?;
            if data_version != server.binaries.major {
                return Err(LocalPgError::VersionMismatch {
                    data_dir: server.data_dir(),
                    data_version,
                    binaries_version: server.binaries.major,
                });
            }
        } else {
            server.initdb(&state.password)?;
        }

        if let Some(port) = server.running_port()? {
            tracing::debug!(dir = %dir.display(), port, "reusing the running private PostgreSQL cluster");
            if port != state.port {
                state.port = port;
                state.save(&state_path)?;
            }
            return Ok(Self {
                server,
                port,
                password: state.password,
            });
        }

        let port = match options.port {
            0 if state::port_is_free(state.port) => state.port,
            0 => state::free_port()?,
            port => port,
        };
        if port != state.port {
            state.port = port;
            state.save(&state_path)?;
        }
        server.start(port, options.for_tests)?;
        Ok(Self {
            server,
            port,
            password: state.password,
        })
    }

    /// [`LocalCluster::ensure_running`] on tokio's blocking thread pool.
    pub async fn ensure_running_async(options: LocalClusterOptions) -> Result<Self, LocalPgError> {
        match tokio::task::spawn_blocking(move || Self::ensure_running(&options)).await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(LocalPgError::User {
                reason: "the start-up task was cancelled".to_owned(),
            }),
        }
    }

    /// URL of the `postgres` database as the superuser `redress_admin`.
    pub fn admin_url(&self) -> Secret {
        Secret::new(format!(
            "postgres://{ADMIN_USER}:{}@127.0.0.1:{}/postgres",
            self.password.expose(),
            self.port
        ))
    }

    /// Password of `redress_admin`.
    pub fn admin_password(&self) -> &Secret {
        &self.password
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster directory (absolute).
    pub fn dir(&self) -> &Path {
        &self.server.dir
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.server.log_file()
    }

    /// Stops the server (fast shutdown), waiting until it is down. A no-op
    /// when it is not running.
    pub fn stop(&self) -> Result<(), LocalPgError> {
        let _lock = lock(&self.server.dir)?;
        self.server.stop()
    }
}

/// Takes the cluster directory's exclusive lock, blocking until it is free.
/// Released when the returned file is dropped (or the process dies).
fn lock(dir: &Path) -> Result<File, LocalPgError> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(LocalPgError::io("open", &path))?;
    fs4::FileExt::lock(&file).map_err(LocalPgError::io("lock", &path))?;
    Ok(file)
}

#[cfg(test)]
mod tests;
