//! The suite under test, in processes of its own (so the load generator's
//! work and memory are not counted as the suite's): `redress up` for the
//! load, `redress serve <service>` for each service's idle footprint. Their
//! output goes to a log file; their resident memory is read from
//! `/proc/<pid>/status`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::process::{Child, Command};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A running `redress` child process.
pub struct Process {
    child: Child,
    log: PathBuf,
}

/// A free loopback port (bound and released; another process could take
/// it in between, which the start-up then reports).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Process {
    /// Starts `redress <args>` with `env`, logging to `log`.
    pub fn start(args: &[&str], env: &[(String, String)], log: &Path) -> anyhow::Result<Process> {
        let exe = std::env::current_exe().context("finding the redress binary")?;
        let out = std::fs::File::create(log)
            .with_context(|| format!("creating the log {}", log.display()))?;
        let err = out.try_clone()?;
        let child = Command::new(exe)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .context("starting redress")?;
        Ok(Process {
            child,
            log: log.to_path_buf(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits until `service` answers SERVING at `endpoint`.
    pub async fn wait_serving(&mut self, endpoint: &str, service: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "redress exited ({status}) before serving; see {}",
                    self.log.display()
                );
            }
            if serving(endpoint, service).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "{service} did not serve within 2 minutes; see {}",
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Resident memory now, in bytes.
    pub fn rss(&self) -> Option<u64> {
        rss_of(self.pid()?)
    }

    /// Asks the process to stop (SIGTERM) and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.pid() {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(pid)?);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        }
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => self.child.kill().await?,
        }
        Ok(())
    }
}

async fn serving(endpoint: &str, service: &str) -> bool {
    let Ok(endpoint) = tonic::transport::Endpoint::from_shared(endpoint.to_owned()) else {
        return false;
    };
    let Ok(channel) = endpoint.connect().await else {
        return false;
    };
    let mut client = HealthClient::new(channel);
    client
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

/// The resident set size of process `pid`, in bytes.
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Samples a process's resident memory every 100 ms, keeping the peak.
pub struct RssPeak {
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssPeak {
    /// Starts sampling process `pid`.
    pub fn start(pid: u32) -> RssPeak {
        let peak = Arc::new(AtomicU64::new(0));
        let seen = peak.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                match rss_of(pid) {
                    Some(rss) => {
                        seen.fetch_max(rss, Ordering::Relaxed);
                    }
                    None => break,
                }
            }
        });
        RssPeak { peak, task }
    }

    /// The peak since the last call, starting afresh.
    pub fn take(&self) -> u64 {
        self.peak.swap(0, Ordering::Relaxed)
    }
}

impl Drop for RssPeak {
    fn drop(&mut self) {
        self.task.abort();
    }
}
