//! Test support from Python packages: real servers and clients a test talks
//! to (an SMTP server; grpcio, a gRPC client that is not ours), where Rust
//! has no small, faithful one.
//!
//! [`venv_tool`] makes a virtual environment with pinned packages, once per
//! machine, in `<target>/redress-test-python/<name>/` (the same target
//! directory the private PostgreSQL test cluster lives in), under a file
//! lock so parallel test processes build it once and the others wait; a
//! changed pin makes it afresh. It needs only `python3` with `venv` and `pip`
//! (override the interpreter with `REDRESS_TEST_PYTHON`) and PyPI.
//!
//! [`SmtpServer`] runs aiosmtpd on a free loopback port with a handler that
//! writes each message it takes to a JSON-lines file, refuses recipients
//! starting `bounce@` with `550` and `busy@` with `451`, and is killed when
//! the value is dropped (or exits by itself when the test process dies).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::target_dir;

/// Directory of the test virtual environments inside the target directory.
const VENV_DIR: &str = "redress-test-python";
/// Overrides the interpreter that makes the environments.
const PYTHON_OVERRIDE: &str = "REDRESS_TEST_PYTHON";
/// Written into an environment, listing its requirements, once they are installed.
const READY_MARKER: &str = ".redress-ready";
/// The aiosmtpd release the SMTP server runs.
const AIOSMTPD: &str = "aiosmtpd==1.4.6";
/// How long the SMTP server may take to start listening.
const SMTP_START_TIMEOUT: Duration = Duration::from_secs(30);

/// The path of `executable` in the virtual environment `name` with exactly
/// `requirements` installed (pinned pip specifiers, `grpcio==1.85.1`),
/// making the environment first if this machine has none yet or has it with
/// other requirements. `name` says what it is for and which versions
/// (`aiosmtpd-1.4.6`); `executable` is a script a package installs
/// (`aiosmtpd`) or `python`. Panics with the reason when that is impossible.
pub fn venv_tool(name: &str, requirements: &[&str], executable: &str) -> PathBuf {
    let root = target_dir().join(VENV_DIR);
    fs::create_dir_all(&root)
        .unwrap_or_else(|error| panic!("test support: cannot create {}: {error}", root.display()));
    let venv = root.join(name);
    let lock_path = root.join(format!("{name}.lock"));
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .unwrap_or_else(|error| {
            panic!("test support: cannot open {}: {error}", lock_path.display())
        });
    fs4::FileExt::lock(&lock).unwrap_or_else(|error| {
        panic!("test support: cannot lock {}: {error}", lock_path.display())
    });
    let wanted = requirements.join("\n") + "\n";
    let made = fs::read_to_string(venv.join(READY_MARKER)).ok();
    if made.as_deref() != Some(wanted.as_str()) {
        make_venv(&venv, requirements, &wanted);
    }
    let _ = fs4::FileExt::unlock(&lock);

    let tool = venv.join("bin").join(executable);
    assert!(
        tool.exists(),
        "test support: {} has no {executable}",
        venv.display()
    );
    tool
}

/// Makes the environment afresh (a half-made one from an interrupted run, or
/// one with other requirements, is removed first) and marks it ready with
/// `marker`. The caller holds the lock.
fn make_venv(venv: &Path, requirements: &[&str], marker: &str) {
    if venv.exists() {
        fs::remove_dir_all(venv).unwrap_or_else(|error| {
            panic!("test support: cannot remove {}: {error}", venv.display())
        });
    }
    let python = std::env::var_os(PYTHON_OVERRIDE).unwrap_or_else(|| "python3".into());
    run(
        Command::new(&python).arg("-m").arg("venv").arg(venv),
        "python3 -m venv",
    );
    run(
        Command::new(venv.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg("--no-input")
            .args(requirements),
        &format!("pip install {}", requirements.join(" ")),
    );
    fs::write(venv.join(READY_MARKER), marker).unwrap_or_else(|error| {
        panic!(
            "test support: cannot mark {} ready: {error}",
            venv.display()
        )
    });
}

/// Runs a command to its end; panics with its output when it fails.
fn run(command: &mut Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("test support: cannot run {what}: {error}"));
    assert!(
        output.status.success(),
        "test support: {what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The aiosmtpd handler. It binds port 0 and prints the port, so there is no
/// race for a free port; it exits when its standard input closes (the test
/// process is gone).
const SMTP_SCRIPT: &str = r#"
import asyncio, email, json, os, sys, threading
from email import policy
from aiosmtpd.smtp import SMTP

store = sys.argv[1]

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce@" in address:
            return "550 5.1.1 Mailbox unavailable"
        if "busy@" in address:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        message = email.message_from_bytes(content, policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": content.decode("utf-8", "replace"),
            "subject": str(message.get("Subject", "")),
            "headers": {name: str(value) for name, value in message.items()},
            "text": text.get_content() if text is not None else None,
        }
        with open(store, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"

def watch_parent():
    sys.stdin.read()
    os._exit(0)

async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="redress-test-smtp", enable_SMTPUTF8=True),
        host="127.0.0.1", port=0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

threading.Thread(target=watch_parent, daemon=True).start()
asyncio.run(main())
"#;

/// aiosmtpd on a free loopback port, writing what it receives to a file.
/// Killed when dropped.
#[derive(Debug)]
pub struct SmtpServer {
    /// The server process.
    child: Child,
    /// Its standard input; closing it tells the server to exit.
    stdin: Option<ChildStdin>,
    /// Where it listens.
    address: SocketAddr,
    /// The directory of the script and the message file; removed on drop.
    dir: PathBuf,
    /// The JSON-lines file of received messages.
    store: PathBuf,
}

impl SmtpServer {
    /// Starts the server (making its Python environment first if needed)
    /// and waits until it accepts connections. Blocking; panics with the
    /// reason when it cannot start.
    pub fn start() -> SmtpServer {
        let python = venv_tool("aiosmtpd-1.4.6", &[AIOSMTPD], "python");
        let dir = std::env::temp_dir().join(format!(
            "redress-smtp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir_all(&dir).unwrap_or_else(|error| {
            panic!("test support: cannot create {}: {error}", dir.display())
        });
        let script = dir.join("smtp_server.py");
        let store = dir.join("messages.jsonl");
        fs::write(&script, SMTP_SCRIPT).unwrap_or_else(|error| {
            panic!("test support: cannot write {}: {error}", script.display())
        });
        File::create(&store).unwrap_or_else(|error| {
            panic!("test support: cannot create {}: {error}", store.display())
        });

        let mut child = Command::new(&python)
            .arg(&script)
            .arg(&store)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("test support: cannot start aiosmtpd: {error}"));
        let stdin = child.stdin.take();
        let port = child.stdout.take().and_then(|stdout| {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).ok()?;
            line.trim().parse::<u16>().ok()
        });
        let mut server = SmtpServer {
            child,
            stdin,
            address: SocketAddr::from(([127, 0, 0, 1], port.unwrap_or(0))),
            dir,
            store,
        };
        assert!(
            port.is_some(),
            "test support: aiosmtpd did not report its port"
        );
        server.wait_until_listening();
        server
    }

    /// Waits until the port takes a connection; panics after
    /// [`SMTP_START_TIMEOUT`] or when the process has exited.
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + SMTP_START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("test support: aiosmtpd exited ({status}) before listening");
            }
            assert!(
                Instant::now() < deadline,
                "test support: aiosmtpd is not listening on {} after {SMTP_START_TIMEOUT:?}",
                self.address
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// `smtp://127.0.0.1:{port}` (plain SMTP).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// Every message taken so far, oldest first: `mail_from`, `rcpt_tos`,
    /// `data` (the raw message), and parsed from it `subject`, `headers`
    /// (name to decoded value) and `text` (the plain-text body, decoded).
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let text = fs::read_to_string(&self.store).unwrap_or_else(|error| {
            panic!(
                "test support: cannot read {}: {error}",
                self.store.display()
            )
        });
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|error| {
                    panic!("test support: a stored message is not JSON: {error}")
                })
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
