//! A real OpenTelemetry collector for tests: rotel (an OTLP collector in
//! Rust, shipped as a binary inside a PyPI wheel) on free loopback ports,
//! printing everything it receives in the collector's debug format, which
//! [`Collector`] keeps and reads back as spans and metrics
//! ([`format`]). A test points services at [`Collector::otlp_endpoint`]
//! with `OTEL_EXPORTER_OTLP_ENDPOINT`, then asks what arrived — over the
//! wire, through the exporters the services really use, rather than from an
//! in-process exporter that would never notice a broken OTLP setup.
//!
//! rotel comes from [`venv_tool`], once per machine. It runs under a small
//! `sh` supervisor that kills it when the test process's end of a pipe
//! closes, so a test that is killed (not just one that panics) leaves no
//! collector behind; dropping the [`Collector`] closes that pipe and waits.

mod format;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

pub use format::{
    DataPoint, Export, FormatError, Metric, Span, SpanEvent, SpanKind, SpanLink, parse,
};

use super::python::venv_tool;

/// The rotel release the collector runs.
const ROTEL: &str = "rotel==0.0.1a15";
/// Its virtual environment's name.
const ROTEL_VENV: &str = "rotel-0.0.1a15";
/// How long rotel may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long it may take to stop once asked.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Output quiet for this long has no block half-printed at its end.
const QUIET: Duration = Duration::from_millis(500);
/// Times to try free ports when another process took one first.
const START_ATTEMPTS: usize = 3;

/// Runs the agent (`$0 "$@"`) with its standard input closed, records its
/// pid in `$COLLECTOR_PID_FILE`, and kills it when this shell's standard
/// input (the test's pipe, saved as fd 3 because a background job's stdin
/// is `/dev/null`) reaches its end. The shell exits when the agent does.
const SUPERVISOR: &str = r#"exec 3<&0
"$0" "$@" </dev/null 3<&- &
agent=$!
echo "$agent" > "$COLLECTOR_PID_FILE"
( cat <&3 >/dev/null; kill "$agent" 2>/dev/null ) >/dev/null 2>&1 &
wait "$agent"
"#;

/// What the collector printed, and when it last printed anything.
#[derive(Debug)]
struct Captured {
    text: String,
    last_output: Instant,
}

/// What has been parsed so far: `export` holds the blocks of
/// `text[..upto]`.
#[derive(Debug, Default)]
struct Parsed {
    upto: usize,
    export: Export,
}

/// rotel on free loopback ports, printing what it receives; killed when
/// dropped.
#[derive(Debug)]
pub struct Collector {
    /// The supervising shell; it exits when rotel does.
    child: Child,
    /// Its standard input; closing it stops rotel.
    stdin: Option<ChildStdin>,
    /// Where rotel takes OTLP over gRPC.
    grpc: SocketAddr,
    /// rotel's standard output, as printed.
    stdout: Arc<Mutex<Captured>>,
    /// rotel's (and the shell's) standard error.
    stderr: Arc<Mutex<String>>,
    /// The parsed prefix of the standard output.
    parsed: Mutex<Parsed>,
    /// The pid file and rotel's own files; removed on drop.
    dir: PathBuf,
}

impl Collector {
    /// Starts rotel (making its Python environment first if needed) and
    /// waits until it takes connections. Blocking; panics with the reason
    /// when it cannot start.
    pub fn start() -> Collector {
        let agent = rotel_agent();
        let mut failures = String::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(agent) {
                Ok(collector) => return collector,
                Err(failure) => failures.push_str(&failure),
            }
        }
        panic!("test support: rotel did not start:\n{failures}");
    }

    /// One attempt on a pair of free ports; what it printed when it exits
    /// before listening (another process took a port first).
    fn try_start(agent: &Path) -> Result<Collector, String> {
        let dir = std::env::temp_dir().join(format!(
            "redress-collector-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir_all(&dir).unwrap_or_else(|error| {
            panic!("test support: cannot create {}: {error}", dir.display())
        });
        let grpc = free_address();
        let http = free_address();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(SUPERVISOR)
            .arg(agent)
            .args(["start", "--exporter", "blackhole"])
            .args(["--debug-log", "traces", "--debug-log", "metrics"])
            .args(["--debug-log", "logs", "--debug-log-verbosity", "detailed"])
            .args(["--log-format", "json"])
            .arg("--otlp-grpc-endpoint")
            .arg(grpc.to_string())
            .arg("--otlp-http-endpoint")
            .arg(http.to_string())
            .arg("--pid-file")
            .arg(dir.join("rotel.pid"))
            .arg("--log-file")
            .arg(dir.join("rotel.log"))
            .env("COLLECTOR_PID_FILE", dir.join("agent.pid"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // rotel reads its settings from ROTEL_* and OTEL_* variables too:
        // only the arguments above may configure it.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("ROTEL_") || key.starts_with("OTEL_") {
                command.env_remove(key.as_ref());
            }
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("test support: cannot start rotel: {error}"));
        let stdin = child.stdin.take();
        let stdout = Arc::new(Mutex::new(Captured {
            text: String::new(),
            last_output: Instant::now(),
        }));
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stdout.take() {
            keep_stdout(pipe, stdout.clone());
        }
        if let Some(pipe) = child.stderr.take() {
            keep_stderr(pipe, stderr.clone());
        }
        let collector = Collector {
            child,
            stdin,
            grpc,
            stdout,
            stderr,
            parsed: Mutex::new(Parsed::default()),
            dir,
        };
        collector.wait_until_listening()
    }

    /// Waits until the gRPC port takes a connection; what rotel printed if
    /// it exits first. Panics after [`START_TIMEOUT`].
    fn wait_until_listening(mut self) -> Result<Collector, String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&self.grpc, Duration::from_millis(200)).is_ok() {
                return Ok(self);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the readers take the last lines.
                thread::sleep(Duration::from_millis(100));
                return Err(format!(
                    "rotel exited ({status}) before listening on {}\n--- stdout\n{}--- stderr\n{}",
                    self.grpc,
                    self.raw_output(),
                    self.stderr()
                ));
            }
            assert!(
                Instant::now() < deadline,
                "test support: rotel did not listen on {} in {START_TIMEOUT:?}\n{}{}",
                self.grpc,
                self.raw_output(),
                self.stderr()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The OTLP endpoint to give `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (`http://127.0.0.1:<port>`, gRPC).
    pub fn otlp_endpoint(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// Everything rotel printed on its standard output so far, as printed:
    /// every span, span event, attribute and metric it received, and its
    /// own log lines.
    pub fn raw_output(&self) -> String {
        self.stdout
            .lock()
            .map(|captured| captured.text.clone())
            .unwrap_or_default()
    }

    /// [`Collector::raw_output`] once rotel has printed nothing for a
    /// moment ([`QUIET`]), so nothing it received is still being printed:
    /// for reading everything after the senders stopped. Panics if it never
    /// falls quiet within [`START_TIMEOUT`].
    pub fn settled_output(&self) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let quiet = self
                .stdout
                .lock()
                .map(|captured| captured.last_output.elapsed() >= QUIET)
                .unwrap_or(true);
            if quiet {
                return self.raw_output();
            }
            assert!(
                Instant::now() < deadline,
                "test support: the collector never stopped printing"
            );
            thread::sleep(QUIET / 5);
        }
    }

    /// Everything rotel printed on its standard error so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .map(|text| text.clone())
            .unwrap_or_default()
    }

    /// What arrived so far, in whole blocks: a block still being printed
    /// waits for the next call. Panics, showing the line, when the output
    /// is not in the format [`parse`] knows.
    pub fn export(&self) -> Export {
        let mut parsed = self
            .parsed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (chunk, end) = {
            let captured = self
                .stdout
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let text = &captured.text;
            let end = if captured.last_output.elapsed() >= QUIET {
                text.len()
            } else {
                last_block_start(text, parsed.upto)
            };
            (text[parsed.upto..end].to_owned(), end)
        };
        match parse(&chunk) {
            Ok(export) => {
                parsed.export.extend(export);
                parsed.upto = end;
                parsed.export.clone()
            }
            Err(error) => {
                let context: Vec<&str> = chunk
                    .lines()
                    .skip(error.line.saturating_sub(15))
                    .take(20)
                    .collect();
                panic!(
                    "test support: the collector printed what its debug format does not \
                     (line {} of its output): {error}\n--- around it\n{}",
                    self.raw_output()[..parsed.upto].lines().count() + error.line,
                    context.join("\n")
                );
            }
        }
    }

    /// Every span received so far ([`Collector::export`]).
    pub fn spans(&self) -> Vec<Span> {
        self.export().spans
    }

    /// Every metric of every export received so far ([`Collector::export`]).
    pub fn metrics(&self) -> Vec<Metric> {
        self.export().metrics
    }

    /// The names of the metrics `service` has exported so far.
    pub fn metric_names(&self, service: &str) -> BTreeSet<String> {
        self.metrics()
            .into_iter()
            .filter(|metric| metric.service == service)
            .map(|metric| metric.name)
            .collect()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        // The end of its standard input stops rotel; the shell then exits.
        drop(self.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let agent = fs::read_to_string(self.dir.join("agent.pid"))
                .ok()
                .and_then(|pid| pid.trim().parse::<i32>().ok());
            if let Some(pid) = agent {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The rotel agent binary inside the wheel, found once per process.
fn rotel_agent() -> &'static Path {
    static AGENT: OnceLock<PathBuf> = OnceLock::new();
    AGENT.get_or_init(|| {
        let python = venv_tool(ROTEL_VENV, &[ROTEL], "python");
        let output = Command::new(&python)
            .args([
                "-c",
                "import os, rotel; print(os.path.dirname(rotel.__file__))",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| {
                panic!("test support: cannot run {}: {error}", python.display())
            });
        assert!(
            output.status.success(),
            "test support: cannot find the rotel package: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let package = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let agent = package.join("rotel-agent");
        assert!(
            agent.exists(),
            "test support: the rotel wheel has no agent at {}",
            agent.display()
        );
        agent
    })
}

/// A loopback address with a port free a moment ago.
fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap_or_else(|error| panic!("test support: no free port: {error}"))
}

/// Where the last block header at or after `from` starts in `text`, or the
/// end of `text` when there is none after `from`'s own.
fn last_block_start(text: &str, from: usize) -> usize {
    let tail = &text[from..];
    [
        "\nResourceSpans #",
        "\nResourceMetrics #",
        "\nResourceLogs #",
    ]
    .iter()
    .filter_map(|header| tail.rfind(header))
    .max()
    .map_or(from, |at| from + at + 1)
}

/// Appends each line of `pipe` to `sink` on a thread of its own, noting
/// when.
fn keep_stdout(pipe: impl Read + Send + 'static, sink: Arc<Mutex<Captured>>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            if let Ok(mut captured) = sink.lock() {
                captured.text.push_str(&String::from_utf8_lossy(&line));
                if !captured.text.ends_with('\n') {
                    captured.text.push('\n');
                }
                captured.last_output = Instant::now();
            }
            line.clear();
        }
    });
}

/// Appends `pipe` to `sink` on a thread of its own.
fn keep_stderr(pipe: impl Read + Send + 'static, sink: Arc<Mutex<String>>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&String::from_utf8_lossy(&line));
            }
            line.clear();
        }
    });
}

#[cfg(test)]
mod tests;
