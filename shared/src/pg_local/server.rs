//! Driving the server programs for one cluster directory: `initdb`, the
//! configuration Redress owns, `pg_ctl start` and `stop`, and reading
//! `postmaster.pid` to tell whether a server is already up.
//!
//! Layout of a cluster directory (all created here):
//! `data/` (PGDATA, owned by the server's user), `run/` (unix socket),
//! `postgres.log`, `state` (port and password, 0600), `lock` (file lock).

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use super::LocalPgError;
use super::binaries::PgBinaries;
use super::os_user::RunAs;
use crate::secret::Secret;

/// The cluster's superuser.
pub(crate) const ADMIN_USER: &str = "redress_admin";
/// How long `pg_ctl` may wait for start or stop, and we for a starting server.
const WAIT: Duration = Duration::from_secs(60);
/// Rotate the server log at start when larger than this.
const LOG_ROTATE_BYTES: u64 = 8 * 1024 * 1024;
/// Longest unix socket path the kernel accepts, with margin (sun_path is 104..108 bytes).
const MAX_SOCKET_PATH: usize = 100;
/// Environment variables that would steer the server programs away from our settings.
const PG_ENV: &[&str] = &[
    "PGDATA",
    "PGPORT",
    "PGHOST",
    "PGHOSTADDR",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGOPTIONS",
];

/// The paths of one cluster directory and the means to run programs on it.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    /// Absolute cluster directory; exists and belongs to `run_as`.
    pub dir: PathBuf,
    /// The server programs.
    pub binaries: PgBinaries,
    /// Who the programs run as.
    pub run_as: RunAs,
}

/// What `postmaster.pid` says.
#[derive(Debug)]
struct PidFile {
    pid: i32,
    port: u16,
    /// `starting`, `ready`, `stopping` or `standby` (PostgreSQL 10+).
    status: String,
}

impl Server {
    /// PGDATA.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server log `pg_ctl` writes to.
    pub(crate) fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// Whether `initdb` has completed here (it runs into `data.initdb`, renamed on success).
    pub(crate) fn is_initialised(&self) -> bool {
        self.data_dir().join("PG_VERSION").is_file()
    }

    /// Major version the data directory was made by.
    pub(crate) fn data_version(&self) -> Result<u32, LocalPgError> {
        let path = self.data_dir().join("PG_VERSION");
        let text = fs::read_to_string(&path).map_err(LocalPgError::io("read", &path))?;
        text.trim().parse().map_err(|_| LocalPgError::State {
            path,
            reason: format!("PG_VERSION holds {:?}", text.trim()),
        })
    }

    /// Creates the cluster with `redress_admin` / `password`, scram-sha-256 everywhere.
    pub(crate) fn initdb(&self, password: &Secret) -> Result<(), LocalPgError> {
        let staging = self.dir.join("data.initdb");
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .map_err(LocalPgError::io("remove the unfinished", &staging))?;
        }
        let pwfile = self.dir.join("initdb.pw");
        let _ = fs::remove_file(&pwfile);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&pwfile)
            .map_err(LocalPgError::io("create", &pwfile))?;
        file.write_all(format!("{}\n", password.expose()).as_bytes())
            .map_err(LocalPgError::io("write", &pwfile))?;
        drop(file);
        self.run_as.give(&pwfile)?;

        tracing::info!(dir = %self.dir.display(), version = self.binaries.major, "initialising a private PostgreSQL cluster");
        let result = self.run(
            "initdb",
            "initialise",
            &[
                OsStr::new("-D"),
                staging.as_os_str(),
                OsStr::new("--auth=scram-sha-256"),
                OsStr::new("--username"),
                OsStr::new(ADMIN_USER),
                OsStr::new("--pwfile"),
                pwfile.as_os_str(),
                OsStr::new("--encoding=UTF8"),
                OsStr::new("--locale=C"),
            ],
        );
        let _ = fs::remove_file(&pwfile);
        result?;

        let conf = staging.join("postgresql.conf");
        let mut file = OpenOptions::new()
            .append(true)
            .open(&conf)
            .map_err(LocalPgError::io("open", &conf))?;
        file.write_all(
            b"\n# Settings Redress writes at each start.\ninclude_if_exists = 'redress.conf'\n",
        )
        .map_err(LocalPgError::io("write", &conf))?;
        let data = self.data_dir();
        fs::rename(&staging, &data).map_err(LocalPgError::io("rename the new cluster to", &data))
    }

    /// The port of a server running on this directory, waiting while it
    /// starts; `None` when none runs (or the pid file is stale).
    pub(crate) fn running_port(&self) -> Result<Option<u16>, LocalPgError> {
        let deadline = Instant::now() + WAIT;
        loop {
            let Some(pid_file) = self.read_pid_file()? else {
                return Ok(None);
            };
            if !is_alive(pid_file.pid) {
                return Ok(None);
            }
            if pid_file.status == "ready" && accepts_tcp(pid_file.port) {
                return Ok(Some(pid_file.port));
            }
            if Instant::now() >= deadline {
                return Err(LocalPgError::NotReady {
                    pid: pid_file.pid,
                    port: pid_file.port,
                    data_dir: self.data_dir(),
                    waited_s: WAIT.as_secs(),
                });
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts the server on 127.0.0.1:`port` and waits until it accepts connections.
    pub(crate) fn start(&self, port: u16, for_tests: bool) -> Result<(), LocalPgError> {
        let socket_dir = self.dir.join("run");
        fs::create_dir_all(&socket_dir).map_err(LocalPgError::io("create", &socket_dir))?;
        self.run_as.take_ownership(&socket_dir, false)?;
        self.run_as.take_ownership(&self.data_dir(), true)?;
        self.write_config(port, &socket_dir, for_tests)?;
        let log = self.log_file();
        rotate_log(&log)?;
        if !log.exists() {
            fs::write(&log, b"").map_err(LocalPgError::io("create", &log))?;
        }
        self.run_as.take_ownership(&log, false)?;
        let log_start = fs::metadata(&log).map_or(0, |meta| meta.len());

        tracing::info!(dir = %self.dir.display(), port, "starting the private PostgreSQL cluster");
        let data = self.data_dir();
        let wait = WAIT.as_secs().to_string();
        let args = [
            OsStr::new("-D"),
            data.as_os_str(),
            OsStr::new("-l"),
            log.as_os_str(),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new(&wait),
            OsStr::new("start"),
        ];
        self.run("pg_ctl", "start", &args)
            .map(drop)
            .map_err(|error| match error {
                LocalPgError::Command {
                    program,
                    verb,
                    status,
                    output,
                } => LocalPgError::Command {
                    program,
                    verb,
                    status,
                    output: format!(
                        "{output}\n--- end of {} ---\n{}",
                        log.display(),
                        log_tail(&log, log_start)
                    ),
                },
                other => other,
            })
    }

    /// Stops a running server (fast mode: rolls back open transactions).
    pub(crate) fn stop(&self) -> Result<(), LocalPgError> {
        if self.running_port()?.is_none() {
            return Ok(());
        }
        tracing::info!(dir = %self.dir.display(), "stopping the private PostgreSQL cluster");
        let data = self.data_dir();
        let wait = WAIT.as_secs().to_string();
        let args = [
            OsStr::new("-D"),
            data.as_os_str(),
            OsStr::new("-m"),
            OsStr::new("fast"),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new(&wait),
            OsStr::new("stop"),
        ];
        self.run("pg_ctl", "stop", &args).map(drop)
    }

    /// Writes `redress.conf`, included from `postgresql.conf`.
    fn write_config(
        &self,
        port: u16,
        socket_dir: &Path,
        for_tests: bool,
    ) -> Result<(), LocalPgError> {
        let socket_path_len = socket_dir.as_os_str().len() + "/.s.PGSQL.65535".len();
        let sockets = if socket_path_len <= MAX_SOCKET_PATH {
            conf_string(&socket_dir.display().to_string())
        } else {
            tracing::debug!("cluster path too long for a unix socket; TCP only");
            conf_string("")
        };
        let mut text = format!(
            "# Written by Redress at each start: change the cluster options, not this file.\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = {sockets}\n\
             max_connections = {}\n",
            if for_tests { 300 } else { 200 }
        );
        if for_tests {
            text.push_str(
                "# A test cluster holds nothing worth a crash-safe write.\n\
                 fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
                 # A test whose runtime stops mid-login must not hold up DROP DATABASE\n\
                 # (which waits for every backend of the database) for a minute.\n\
                 authentication_timeout = '5s'\n",
            );
        }
        let path = self.data_dir().join("redress.conf");
        fs::write(&path, text).map_err(LocalPgError::io("write", &path))?;
        self.run_as.give(&path)
    }

    fn read_pid_file(&self) -> Result<Option<PidFile>, LocalPgError> {
        let path = self.data_dir().join("postmaster.pid");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(LocalPgError::io("read", &path)(error)),
        };
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let pid = lines.first().and_then(|l| l.parse().ok());
        let port = lines.get(3).and_then(|l| l.parse().ok());
        Ok(match (pid, port) {
            (Some(pid), Some(port)) => Some(PidFile {
                pid,
                port,
                status: lines.get(7).copied().unwrap_or_default().to_owned(),
            }),
            // Being written right now: treat as starting.
            (Some(pid), None) => Some(PidFile {
                pid,
                port: 0,
                status: "starting".to_owned(),
            }),
            _ => None,
        })
    }

    /// Runs a server program as the server's user; fails with its output when it fails.
    fn run(
        &self,
        program: &'static str,
        verb: &'static str,
        args: &[&OsStr],
    ) -> Result<Output, LocalPgError> {
        let path = self.binaries.program(program);
        let mut cmd = Command::new(&path);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        for name in PG_ENV {
            cmd.env_remove(name);
        }
        self.run_as.apply(&mut cmd);
        let output = cmd.output().map_err(LocalPgError::io("run", &path))?;
        if output.status.success() {
            return Ok(output);
        }
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(LocalPgError::Command {
            program,
            verb,
            status: output.status.to_string(),
            output: last_lines(&text, 25),
        })
    }
}

/// Whether a process with this pid exists.
fn is_alive(pid: i32) -> bool {
    pid > 0 && matches!(kill(Pid::from_raw(pid), None), Ok(()) | Err(Errno::EPERM))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
fn accepts_tcp(port: u16) -> bool {
    port != 0
        && TcpStream::connect_timeout(
            &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            Duration::from_secs(1),
        )
        .is_ok()
}

/// A postgresql.conf string literal.
fn conf_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// Moves a large log aside so it does not grow forever.
fn rotate_log(log: &Path) -> Result<(), LocalPgError> {
    match fs::metadata(log) {
        Ok(meta) if meta.len() > LOG_ROTATE_BYTES => {
            let old = log.with_extension("log.1");
            fs::rename(log, &old).map_err(LocalPgError::io("rotate", log))
        }
        _ => Ok(()),
    }
}

/// The last lines the server logged since byte `since`, for an error message.
fn log_tail(log: &Path, since: u64) -> String {
    let read = || -> std::io::Result<String> {
        let mut file = fs::File::open(log)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(8192).max(since)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => last_lines(&text, 25),
        Err(error) => format!("(could not read the log: {error})"),
    }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_strings_are_quoted() {
        assert_eq!(conf_string("/a b/it's"), "'/a b/it''s'");
        assert_eq!(conf_string(r"c:\x"), r"'c:\\x'");
    }

    #[test]
    fn only_the_last_lines_are_kept() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
    }
}
