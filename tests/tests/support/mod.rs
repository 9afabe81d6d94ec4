//! Running the real `redress` binary the way a user does, for end-to-end
//! tests: build it once per test process, start `redress up` in an
//! isolated environment (its own working directory, a fresh test database,
//! a free port, a generated development secret), run client commands against
//! it, and stop it with SIGTERM (or kill it with SIGKILL and start it again on
//! the same database, as after a crash). Every child process is killed when its
//! guard drops, so a failing test leaves nothing running, and the test
//! database is dropped with the suite.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use redress_platform::Secret;
use redress_platform::db;
use redress_platform::grpc::ClientTlsSettings;
use redress_platform::testing::TestDatabase;

/// How long `redress up` may take to print its banner.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a client command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `redress up` may take to stop after SIGTERM (its drain deadline
/// is 10 seconds).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root: the parent of this crate.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The workspace's target directory, as cargo resolves it.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The `redress` binary, built (once per process) with `cargo build -p
/// redress`: a test crate cannot depend on another package's binary, and a
/// stale binary would test old code.
pub fn redress_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(workspace_root())
            .args(["build", "--quiet", "-p", "redress", "--bin", "redress"]);
        // What cargo set for this test crate must not reach the inner build:
        // build scripts track some of it (ring: CARGO_MANIFEST_DIR), and a
        // changed value rebuilds half the dependency graph, twice per run.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if is_per_crate_cargo_var(&key) {
                build.env_remove(key.as_ref());
            }
        }
        let output = build.output().expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo build -p redress failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let binary = target_dir().join("debug").join("redress");
        assert!(binary.exists(), "no binary at {}", binary.display());
        binary
    })
}

/// Whether cargo sets `key` for the crate under test (rather than the user
/// for every build).
fn is_per_crate_cargo_var(key: &str) -> bool {
    const PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_"];
    const NAMES: &[&str] = &[
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    PREFIXES.iter().any(|p| key.starts_with(p)) || NAMES.contains(&key)
}

/// A free port on 127.0.0.1 (bound, then released for the child to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A directory of its own, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory under the system's temporary directory.
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("redress-e2e-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        Self(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process that is killed (and reaped) when dropped.
#[derive(Debug)]
pub struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

impl ChildGuard {
    /// Waits up to `timeout` for the child to exit.
    fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait().expect("child status") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// What a finished command did.
#[derive(Debug)]
pub struct Outcome {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

impl Outcome {
    /// Asserts the command succeeded and returns its stdout.
    pub fn ok(&self) -> &str {
        assert!(self.status.success(), "the command failed: {self:#?}");
        &self.stdout
    }

    /// Asserts the command succeeded and parses its stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {self:#?}"))
    }

    /// Asserts the command failed and returns its stderr.
    pub fn failed(&self) -> &str {
        assert!(!self.status.success(), "the command succeeded: {self:#?}");
        &self.stderr
    }
}

/// The string at `pointer` in `value`, with a useful message if absent.
pub fn text<'a>(value: &'a serde_json::Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value:#}"))
}

/// The array at `pointer` in `value`, with a useful message if absent.
pub fn array<'a>(value: &'a serde_json::Value, pointer: &str) -> &'a [serde_json::Value] {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no array at {pointer} in {value:#}"))
}

/// The integer at `pointer` in `value`, with a useful message if absent.
pub fn number(value: &serde_json::Value, pointer: &str) -> i64 {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_i64)
        .unwrap_or_else(|| panic!("no integer at {pointer} in {value:#}"))
}

/// Reads `pipe` to the end on a thread of its own.
fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// The environment every child gets: the caller's, without any `REDRESS_*`
/// or `OTEL_*` setting that would point it elsewhere, plus `vars`.
fn command(dir: &Path, vars: &[(String, String)], args: &[&str]) -> Command {
    let mut command = Command::new(redress_binary());
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("REDRESS_") || key.starts_with("OTEL_") {
            command.env_remove(key.as_ref());
        }
    }
    command.envs(vars.iter().map(|(k, v)| (k, v)));
    command
}

/// Runs `redress <args>` to the end (killed after [`COMMAND_TIMEOUT`]).
pub fn run(dir: &Path, vars: &[(String, String)], args: &[&str]) -> Outcome {
    let mut child = command(dir, vars, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(ChildGuard)
        .expect("redress starts");
    let stdout = drain(child.0.stdout.take().expect("piped stdout"));
    let stderr = drain(child.0.stderr.take().expect("piped stderr"));
    let status = child
        .wait_timeout(COMMAND_TIMEOUT)
        .unwrap_or_else(|| panic!("`redress {}` did not finish in time", args.join(" ")));
    Outcome {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// One `redress serve <service>` process and what it printed.
#[derive(Debug)]
struct Served {
    /// The service's name.
    name: String,
    /// The process.
    child: ChildGuard,
    /// Everything it printed on stdout so far (its JSON log lines).
    stdout: Arc<Mutex<String>>,
    /// Everything it printed on stderr so far.
    stderr: Arc<Mutex<String>>,
}

/// Services of one suite, each in a process of its own (`redress serve`),
/// as Kubernetes runs them: each migrates its own schema through the admin
/// URL and reaches the others at their listen addresses. Killed when
/// dropped; when that happens because a test panicked, what each process
/// printed is shown first.
#[derive(Debug)]
pub struct Services {
    /// In start order.
    served: Vec<Served>,
}

impl Services {
    /// What every process printed so far, stdout and stderr, each under a
    /// heading naming the service.
    pub fn output(&self) -> String {
        let mut text = String::new();
        for served in &self.served {
            let read =
                |sink: &Arc<Mutex<String>>| sink.lock().map(|s| s.clone()).unwrap_or_default();
            text.push_str(&format!(
                "--- redress serve {} (stdout)\n{}--- redress serve {} (stderr)\n{}",
                served.name,
                read(&served.stdout),
                served.name,
                read(&served.stderr)
            ));
        }
        text
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("{}", self.output());
        }
    }
}

/// Appends each line `pipe` gives to `sink`, on a thread of its own.
fn keep_lines(pipe: impl Read + Send + 'static, sink: Arc<Mutex<String>>) {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&line);
                text.push('\n');
            }
        }
    });
}

/// `endpoint` (`http://host:port`) as reached over TLS.
pub fn https(endpoint: &str) -> String {
    match endpoint.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => endpoint.to_owned(),
    }
}

/// The secret `redress up` must derive service passwords from so that it
/// sets the same password on the cluster-wide login roles as test support
/// does; any other would lock out API tests running beside this one.
fn role_secret(database: &TestDatabase) -> Secret {
    let server_url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Secret::new(url),
        _ => db::database_url(&database.admin_url(), "postgres").expect("server URL"),
    };
    let schema = redress_customers::NAME;
    assert_eq!(
        db::derive_password(&server_url, &db::login_role(schema)).expose(),
        database.login_password(schema).expose(),
        "test support derives login passwords from another secret; \
         `redress up` would change the shared roles' passwords"
    );
    server_url
}

/// Runs `redress migrate` on `database`, as a Kubernetes Job would with
/// the administrative URL: every service's roles, schema and migrations.
/// The login roles get the passwords test support derives
/// ([`TestDatabase::login_password`]). Panics, with what it printed, if it
/// fails.
pub fn migrate(database: &TestDatabase) -> Outcome {
    let dir = TempDir::new();
    let vars = [
        (
            "REDRESS_DATABASE__URL".to_owned(),
            database.admin_url().expose().to_owned(),
        ),
        (
            "REDRESS_DATABASE__ROLE_SECRET".to_owned(),
            role_secret(database).expose().to_owned(),
        ),
    ];
    let outcome = run(dir.path(), &vars, &["migrate"]);
    outcome.ok();
    outcome
}

/// `redress up`, running in an isolated environment until stopped or
/// dropped. It can be killed and started again on the same database, ports
/// and environment, as a crashed process is restarted by its supervisor.
/// Fields drop in order: the process, then the database, then the runtime
/// that made it, then the directory.
#[derive(Debug)]
pub struct Suite {
    /// The `redress up` process (the latest, after a restart); none for a
    /// suite only provisioned ([`Suite::provision`]).
    child: Option<ChildGuard>,
    /// Its stdout after the banner, a line at a time (kept drained so the
    /// process never blocks on a full pipe).
    _stdout: Option<Receiver<String>>,
    /// What every `redress up` of this suite printed on stdout so far.
    stdout: Arc<Mutex<String>>,
    /// What every `redress up` of this suite printed on stderr so far.
    stderr: Arc<Mutex<String>>,
    /// The environment every command of this suite gets.
    vars: Vec<(String, String)>,
    /// The customers endpoint.
    pub endpoint: String,
    /// The complaints endpoint.
    pub complaints_endpoint: String,
    /// The notifications endpoint.
    pub notifications_endpoint: String,
    /// The crisis endpoint.
    pub crisis_endpoint: String,
    /// The development secret tokens are signed with.
    pub dev_secret: Secret,
    /// The suite's database.
    database: TestDatabase,
    /// The runtime the database's pool lives on.
    runtime: tokio::runtime::Runtime,
    /// The working directory.
    dir: TempDir,
}

/// Starts `redress up` in `dir` with `vars` and waits for its banner;
/// everything it prints on stdout and stderr is appended to `stdout` and
/// `stderr`. Panics, with what it printed, if it exits or takes longer than
/// [`START_TIMEOUT`].
fn start_up(
    dir: &Path,
    vars: &[(String, String)],
    stdout_sink: &Arc<Mutex<String>>,
    stderr: &Arc<Mutex<String>>,
) -> (ChildGuard, Receiver<String>) {
    let mut child = command(dir, vars, &["up"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(ChildGuard)
        .expect("redress up starts");

    let stderr_pipe = child.0.stderr.take().expect("piped stderr");
    let sink = stderr.clone();
    thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&line);
                text.push('\n');
            }
        }
    });
    let (lines, stdout) = mpsc::channel();
    let stdout_pipe = child.0.stdout.take().expect("piped stdout");
    let sink = stdout_sink.clone();
    thread::spawn(move || {
        for line in BufReader::new(stdout_pipe).lines().map_while(Result::ok) {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&line);
                text.push('\n');
            }
            let _ = lines.send(line);
        }
    });

    let deadline = Instant::now() + START_TIMEOUT;
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match stdout.recv_timeout(left) {
            // The banner's last line: the endpoints and the token are
            // printed before it, so a test reading the banner sees them.
            Ok(line) if line.trim() == "Press Ctrl-C to stop." => return (child, stdout),
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(error) => {
                let why = match error {
                    RecvTimeoutError::Timeout => "did not print its banner in time",
                    RecvTimeoutError::Disconnected => "exited before printing its banner",
                };
                let stderr = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                panic!("`redress up` {why}\n--- stdout\n{seen}--- stderr\n{stderr}");
            }
        }
    }
}

impl Suite {
    /// Starts `redress up` on a fresh database and waits for its banner.
    pub fn start() -> Self {
        Self::start_with_config("")
    }

    /// Starts `redress up` with `toml` as its `redress.toml` (the
    /// environment still sets the database, ports and secret).
    pub fn start_with_config(toml: &str) -> Self {
        Self::start_with_env(toml, &[])
    }

    /// Starts `redress up` with `toml` as its `redress.toml` and `extra`
    /// added to its environment (after the suite's own variables, so an
    /// extra one wins). A restart keeps both.
    pub fn start_with_env(toml: &str, extra: &[(&str, &str)]) -> Self {
        let mut suite = Self::provision_with_env(toml, extra);
        let (child, stdout) = start_up(suite.dir.path(), &suite.vars, &suite.stdout, &suite.stderr);
        suite.child = Some(child);
        suite._stdout = Some(stdout);
        suite
    }

    /// The suite's environment (a fresh database, ports, a development
    /// secret, a working directory) without starting `redress up`: for
    /// commands that start their own processes, such as `redress bench`.
    pub fn provision() -> Self {
        Self::provision_with_env("", &[])
    }

    /// [`Suite::provision`] with `toml` as its `redress.toml` and `extra`
    /// added to its environment.
    fn provision_with_env(toml: &str, extra: &[(&str, &str)]) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let database = runtime.block_on(TestDatabase::new());
        let dir = TempDir::new();
        if !toml.is_empty() {
            std::fs::write(dir.path().join("redress.toml"), toml).expect("redress.toml written");
        }
        let port = free_port();
        let complaints_port = free_port();
        let notifications_port = free_port();
        let crisis_port = free_port();
        let dev_secret = redress_platform::auth::generate_dev_secret();
        let mut vars: Vec<(String, String)> = vec![
            (
                "REDRESS_DATABASE__URL".into(),
                database.admin_url().expose().into(),
            ),
            (
                "REDRESS_DATABASE__ROLE_SECRET".into(),
                role_secret(&database).expose().into(),
            ),
            (
                "REDRESS_CUSTOMERS__LISTEN".into(),
                format!("127.0.0.1:{port}"),
            ),
            (
                "REDRESS_COMPLAINTS__LISTEN".into(),
                format!("127.0.0.1:{complaints_port}"),
            ),
            (
                "REDRESS_NOTIFICATIONS__LISTEN".into(),
                format!("127.0.0.1:{notifications_port}"),
            ),
            (
                "REDRESS_CRISIS__LISTEN".into(),
                format!("127.0.0.1:{crisis_port}"),
            ),
            (
                "REDRESS_AUTH__DEV_SECRET".into(),
                dev_secret.expose().into(),
            ),
        ];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Self {
            child: None,
            _stdout: None,
            stdout: Arc::new(Mutex::new(String::new())),
            stderr: Arc::new(Mutex::new(String::new())),
            vars,
            endpoint: format!("http://127.0.0.1:{port}"),
            complaints_endpoint: format!("http://127.0.0.1:{complaints_port}"),
            notifications_endpoint: format!("http://127.0.0.1:{notifications_port}"),
            crisis_endpoint: format!("http://127.0.0.1:{crisis_port}"),
            dev_secret,
            database,
            runtime,
            dir,
        }
    }

    /// A bearer interceptor for `subject` with `roles` (and `team`), signed
    /// with the suite's development secret, valid for ten minutes.
    pub fn bearer(
        &self,
        subject: &str,
        roles: &[redress_platform::auth::Role],
        team: Option<&str>,
    ) -> redress_platform::auth::BearerInterceptor {
        let token = redress_platform::auth::mint_dev_token(
            &self.dev_secret,
            subject,
            roles,
            team,
            None,
            Duration::from_secs(600),
        )
        .expect("a token");
        redress_platform::auth::BearerInterceptor::new(&Secret::new(token)).expect("a header value")
    }

    /// Starts `redress serve <name>` for each of `names`, in order, with
    /// the suite's environment plus `extra`, and waits until each answers
    /// its health check as serving before starting the next (a service
    /// connects to those it calls as it starts). Panics, with what the
    /// processes printed, if one exits or is not serving within
    /// [`START_TIMEOUT`].
    pub fn serve(&self, names: &[&str], extra: &[(&str, &str)]) -> Services {
        self.serve_probing(names, extra, None)
    }

    /// [`Suite::serve`] for services listening with TLS: the health checks
    /// go to `https://` endpoints with `probe` (a client trusting the
    /// services' CA, with a certificate when they require one).
    pub fn serve_over_tls(
        &self,
        names: &[&str],
        extra: &[(&str, &str)],
        probe: ClientTlsSettings,
    ) -> Services {
        self.serve_probing(names, extra, Some(probe))
    }

    fn serve_probing(
        &self,
        names: &[&str],
        extra: &[(&str, &str)],
        probe: Option<ClientTlsSettings>,
    ) -> Services {
        let mut vars = self.vars.clone();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut services = Services { served: Vec::new() };
        for name in names {
            let mut child = command(self.dir.path(), &vars, &["serve", name])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map(ChildGuard)
                .expect("redress serve starts");
            let stdout = Arc::new(Mutex::new(String::new()));
            let stderr = Arc::new(Mutex::new(String::new()));
            keep_lines(child.0.stdout.take().expect("piped stdout"), stdout.clone());
            keep_lines(child.0.stderr.take().expect("piped stderr"), stderr.clone());
            services.served.push(Served {
                name: (*name).to_owned(),
                child,
                stdout,
                stderr,
            });
            self.wait_until_serving(&mut services, name, probe.as_ref());
        }
        services
    }

    /// Waits until the last of `services`, `name`, answers its health check
    /// as serving (over TLS with `probe`).
    fn wait_until_serving(
        &self,
        services: &mut Services,
        name: &str,
        probe: Option<&ClientTlsSettings>,
    ) {
        let endpoint = match probe {
            Some(_) => https(&self.endpoint_of(name)),
            None => self.endpoint_of(name),
        };
        let settings = redress_platform::grpc::ClientSettings {
            tls: probe.cloned(),
            ..Default::default()
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let serving = self.runtime.block_on(async {
                let channel = redress_platform::grpc::connect(&endpoint, &settings)
                    .await
                    .ok()?;
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let status = health
                    .check(tonic_health::pb::HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    .ok()?
                    .into_inner()
                    .status;
                Some(
                    status
                        == tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
                )
            });
            if serving == Some(true) {
                return;
            }
            let served = services.served.last_mut().expect("a started service");
            if let Ok(Some(status)) = served.child.0.try_wait() {
                // Dropping `services` while panicking shows what it printed.
                panic!("`redress serve {name}` exited ({status}) before serving");
            }
            assert!(
                Instant::now() < deadline,
                "`redress serve {name}` was not serving at {endpoint} in {START_TIMEOUT:?}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The endpoint of service `name`.
    pub fn endpoint_of(&self, name: &str) -> String {
        match name {
            "customers" => self.endpoint.clone(),
            "complaints" => self.complaints_endpoint.clone(),
            "notifications" => self.notifications_endpoint.clone(),
            "crisis" => self.crisis_endpoint.clone(),
            other => panic!("no service {other:?}"),
        }
    }

    /// The suite's working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Drops database `name` on the suite's server, if it exists.
    pub fn drop_database(&self, name: &str) {
        let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        self.runtime
            .block_on(
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(self.database.admin_pool()),
            )
            .expect("database dropped");
    }

    /// The CPUs a new backend of the suite's PostgreSQL server may run on,
    /// as `/proc/<pid>/status` lists them (`0-1`); the server is local.
    pub fn database_cpus(&self) -> String {
        let backend: i32 = self
            .runtime
            .block_on(
                sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(self.database.admin_pool()),
            )
            .expect("a backend's process id");
        cpus_allowed(&format!("/proc/{backend}/status"))
    }

    /// Runs `redress <args>` against this suite.
    pub fn redress(&self, args: &[&str]) -> Outcome {
        run(self.dir.path(), &self.vars, args)
    }

    /// Runs `redress <args>` against this suite with extra environment.
    pub fn redress_with(&self, extra: &[(&str, &str)], args: &[&str]) -> Outcome {
        let mut vars = self.vars.clone();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        run(self.dir.path(), &vars, args)
    }

    /// Sends SIGTERM and waits for `redress up` to exit; `None` if it did
    /// not in time (it is then killed when the suite drops).
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        let child = self.child_mut();
        let pid =
            nix::unistd::Pid::from_raw(i32::try_from(child.0.id()).expect("a pid fits in an i32"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM sent");
        child.wait_timeout(STOP_TIMEOUT)
    }

    /// Sends SIGKILL, as a crash or the kernel's OOM killer would: no
    /// drain, no last transaction. Returns once the process is reaped, so
    /// its ports are free; panics if it had already exited.
    pub fn kill(&mut self) -> ExitStatus {
        let stderr = self.stderr();
        let child = self.child_mut();
        assert!(
            matches!(child.0.try_wait(), Ok(None)),
            "`redress up` is not running\n--- stderr\n{stderr}"
        );
        // `Child::kill` sends SIGKILL on Unix.
        child.0.kill().expect("SIGKILL sent");
        child
            .wait_timeout(STOP_TIMEOUT)
            .expect("a killed process is reaped")
    }

    /// The `redress up` process; panics for a suite only provisioned.
    fn child_mut(&mut self) -> &mut ChildGuard {
        self.child
            .as_mut()
            .expect("`redress up` was never started (Suite::provision)")
    }

    /// Starts `redress up` again after it stopped ([`Suite::kill`],
    /// [`Suite::terminate`]): the same database, ports, configuration and
    /// environment. Waits for its banner, as [`Suite::start`] does.
    pub fn restart(&mut self) {
        assert!(
            matches!(self.child_mut().0.try_wait(), Ok(Some(_))),
            "`redress up` is still running; stop it before restarting it"
        );
        if let Ok(mut text) = self.stderr.lock() {
            text.push_str("--- restarted\n");
        }
        let (child, stdout) = start_up(self.dir.path(), &self.vars, &self.stdout, &self.stderr);
        self.child = Some(child);
        self._stdout = Some(stdout);
    }

    /// What `redress up` printed on stdout so far, the banner and every
    /// log line included.
    pub fn stdout(&self) -> String {
        self.stdout.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// What `redress up` printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// The `Cpus_allowed_list` of a `/proc/<pid>/status` file (`0-1`).
pub fn cpus_allowed(status: &str) -> String {
    std::fs::read_to_string(status)
        .unwrap_or_else(|error| panic!("reading {status}: {error}"))
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .unwrap_or_else(|| panic!("{status} lists no CPUs"))
        .trim()
        .to_owned()
}
