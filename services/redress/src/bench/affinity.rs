//! `redress bench --suite-cpus`: the suite and its PostgreSQL on some CPUs,
//! the load generator on the others.
//!
//! On a small machine the generator competes with what it measures: twice
//! the offered load is twice the generator's work, taken from the suite, so
//! an overloaded suite looks slower than it is. Pinning splits the machine.
//! The bench pins every thread of each suite process it starts and every
//! process of the PostgreSQL server (the postmaster, and so the backends it
//! forks later) to the suite's CPUs, and its own threads to the rest. Thread
//! affinity is inherited, so threads started later stay where their parent
//! is. At the end the server gets all the CPUs back, since a private
//! cluster outlives the bench.
//!
//! A server on another machine (or in another PID namespace) cannot be
//! pinned; the bench says so and pins the suite alone.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use anyhow::Context as _;
use nix::errno::Errno;
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;
use sqlx::PgPool;

/// A set of CPU numbers, as `taskset -c` writes them (`0`, `0,2`, `1-3`):
/// sorted, without repeats, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuList(Vec<usize>);

impl FromStr for CpuList {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not a CPU list such as 0, 0,2 or 1-3");
        let mut cpus = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let (first, last) = match part.split_once('-') {
                Some((first, last)) => (first.trim(), last.trim()),
                None => (part, part),
            };
            let first: usize = first.parse().map_err(|_| bad())?;
            let last: usize = last.parse().map_err(|_| bad())?;
            if first > last || last >= CpuSet::count() {
                return Err(bad());
            }
            cpus.extend(first..=last);
        }
        cpus.sort_unstable();
        cpus.dedup();
        Ok(Self(cpus))
    }
}

impl fmt::Display for CpuList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&names.join(","))
    }
}

impl CpuList {
    fn set(&self) -> CpuSet {
        let mut set = CpuSet::new();
        for &cpu in &self.0 {
            // In range: `from_str` and `allowed` keep below `CpuSet::count`.
            let _ = set.set(cpu);
        }
        set
    }
}

/// Where the bench runs what: the suite and its database on `suite`, the
/// load generator on `generator` (the CPUs this process was allowed, less
/// the suite's).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Placement {
    /// The suite's and the database server's CPUs.
    #[serde(serialize_with = "as_text")]
    pub suite: CpuList,
    /// The load generator's CPUs.
    #[serde(serialize_with = "as_text")]
    pub generator: CpuList,
    /// Whether the database server was pinned too (false when it is not a
    /// process on this machine).
    pub database_pinned: bool,
    /// Every CPU the bench was allowed, given back to the server at the end.
    #[serde(skip)]
    allowed: CpuList,
}

fn as_text<S: serde::Serializer>(list: &CpuList, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(list)
}

impl Placement {
    /// The split of this process's CPUs that gives the suite `suite`.
    pub fn new(suite: CpuList) -> anyhow::Result<Self> {
        let mask = sched_getaffinity(Pid::from_raw(0)).context("reading the bench's CPUs")?;
        let allowed: Vec<usize> = (0..CpuSet::count())
            .filter(|&cpu| mask.is_set(cpu).unwrap_or(false))
            .collect();
        if let Some(cpu) = suite.0.iter().find(|cpu| !allowed.contains(cpu)) {
            anyhow::bail!(
                "--suite-cpus names CPU {cpu}, which this process may not use (it may use {})",
                CpuList(allowed)
            );
        }
        let generator: Vec<usize> = allowed
            .iter()
            .copied()
            .filter(|cpu| !suite.0.contains(cpu))
            .collect();
        anyhow::ensure!(
            !generator.is_empty(),
            "--suite-cpus {suite} leaves no CPU for the load generator (the bench may use {})",
            CpuList(allowed)
        );
        Ok(Self {
            suite,
            generator: CpuList(generator),
            database_pinned: false,
            allowed: CpuList(allowed),
        })
    }

    /// Pins the bench's own threads to the generator's CPUs.
    pub fn pin_generator(&self) -> anyhow::Result<()> {
        pin_threads(Path::new("/proc/self"), &self.generator.set())
            .context("pinning the load generator")
    }

    /// Pins every thread of process `pid` (a suite just started) to the
    /// suite's CPUs.
    pub fn pin_suite(&self, pid: u32) -> anyhow::Result<()> {
        pin_threads(&Path::new("/proc").join(pid.to_string()), &self.suite.set())
            .with_context(|| format!("pinning the suite (process {pid})"))
    }

    /// Pins the PostgreSQL server behind `pool` to the suite's CPUs, when it
    /// is a process on this machine.
    pub async fn pin_database(&mut self, pool: &PgPool) -> anyhow::Result<()> {
        match postgres_processes(pool).await? {
            Some(processes) => {
                // Marked first, so that a pin that fails halfway is released too.
                self.database_pinned = true;
                let set = self.suite.set();
                for pid in processes {
                    pin_threads(&Path::new("/proc").join(pid.to_string()), &set)
                        .with_context(|| format!("pinning PostgreSQL process {pid}"))?;
                }
            }
            None => eprintln!(
                "The database server is not a process on this machine; only the suite is pinned."
            ),
        }
        Ok(())
    }

    /// Gives the PostgreSQL server behind `pool` every CPU the bench was
    /// allowed again.
    pub async fn release_database(&self, pool: &PgPool) -> anyhow::Result<()> {
        if !self.database_pinned {
            return Ok(());
        }
        let set = self.allowed.set();
        for pid in postgres_processes(pool).await?.unwrap_or_default() {
            pin_threads(&Path::new("/proc").join(pid.to_string()), &set)
                .with_context(|| format!("releasing PostgreSQL process {pid}"))?;
        }
        Ok(())
    }
}

/// Sets the affinity of every thread of the process at `proc` (a
/// `/proc/<pid>` directory). A process or thread that ends meanwhile (a
/// PostgreSQL backend whose connection closed) is skipped.
fn pin_threads(proc: &Path, set: &CpuSet) -> anyhow::Result<()> {
    let tasks = proc.join("task");
    let entries = match std::fs::read_dir(&tasks) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error).with_context(|| format!("listing {}", tasks.display()));
        }
    };
    for entry in entries.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        match sched_setaffinity(Pid::from_raw(tid), set) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(error) => return Err(error).with_context(|| format!("thread {tid}")),
        }
    }
    Ok(())
}

/// The PostgreSQL server's postmaster and every process it forked, found
/// from a backend of `pool`; `None` when that backend is not a process on
/// this machine.
async fn postgres_processes(pool: &PgPool) -> anyhow::Result<Option<Vec<u32>>> {
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(pool)
        .await
        .context("asking the database for a backend's process id")?;
    let Ok(backend) = u32::try_from(backend) else {
        return Ok(None);
    };
    let is_postgres = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim_end().starts_with("postgres"))
    };
    if !is_postgres(backend) {
        return Ok(None);
    }
    let Some(postmaster) = parent(backend) else {
        return Ok(None);
    };
    let mut processes = vec![postmaster];
    for entry in std::fs::read_dir("/proc")
        .context("listing /proc")?
        .flatten()
    {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if parent(pid) == Some(postmaster) {
            processes.push(pid);
        }
    }
    Ok(Some(processes))
}

/// The parent of process `pid`, from `/proc/<pid>/stat` (`pid (comm) state
/// ppid ...`, where the command may hold spaces and parentheses).
fn parent(pid: u32) -> Option<u32> {
    parent_in(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// How busy each side of a [`Placement`] was over a stretch of a run: the
/// share of its CPUs' time spent running, 0 to 1, whoever ran (the suite and
/// PostgreSQL on the suite's CPUs; the generator, and anything else running,
/// on the others), and the share the hypervisor took for other machines.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CpuBusy {
    /// The suite's CPUs.
    pub suite: f64,
    /// The load generator's CPUs.
    pub generator: f64,
    /// Every CPU of the placement: time stolen by the hypervisor, when this
    /// machine is virtual (a busy neighbour shows here).
    pub stolen: f64,
}

/// One CPU's counters so far, in clock ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Ticks {
    /// Running anything.
    busy: u64,
    /// Taken by the hypervisor.
    stolen: u64,
    /// Everything, idle included.
    total: u64,
}

/// Each CPU's busy, stolen and total time so far, from `/proc/stat`; two
/// readings give how busy CPUs were between them.
#[derive(Debug, Clone, Default)]
pub struct CpuTimes(BTreeMap<usize, Ticks>);

impl CpuTimes {
    /// The counters now (empty where `/proc/stat` cannot be read).
    pub fn now() -> Self {
        std::fs::read_to_string("/proc/stat")
            .map(|text| Self::parse(&text))
            .unwrap_or_default()
    }

    /// The per-CPU lines of `/proc/stat` text (`cpu<N> user nice system
    /// idle iowait irq softirq steal ...`); idle and iowait count as idle,
    /// steal as stolen, and guest time is already in user time.
    fn parse(text: &str) -> Self {
        let cpus = text.lines().filter_map(|line| {
            let mut fields = line.split_whitespace();
            let cpu = fields.next()?.strip_prefix("cpu")?.parse().ok()?;
            let ticks: Vec<u64> = fields
                .take(8)
                .map(|f| f.parse().ok())
                .collect::<Option<_>>()?;
            let [user, nice, system, idle, iowait, irq, softirq, steal] = ticks[..] else {
                return None;
            };
            let busy = user + nice + system + irq + softirq;
            Some((
                cpu,
                Ticks {
                    busy,
                    stolen: steal,
                    total: busy + idle + iowait + steal,
                },
            ))
        });
        Self(cpus.collect())
    }

    /// `cpus`' ticks between `earlier` and this reading; `None` when a CPU
    /// was not read or no time passed.
    fn since(&self, earlier: &CpuTimes, cpus: &CpuList) -> Option<Ticks> {
        let mut sum = Ticks::default();
        for cpu in &cpus.0 {
            let (now, then) = (self.0.get(cpu)?, earlier.0.get(cpu)?);
            sum.busy += now.busy.checked_sub(then.busy)?;
            sum.stolen += now.stolen.checked_sub(then.stolen)?;
            sum.total += now.total.checked_sub(then.total)?;
        }
        (sum.total > 0).then_some(sum)
    }

    /// The share of `cpus`' time spent running between `earlier` and this
    /// reading.
    pub fn busy_since(&self, earlier: &CpuTimes, cpus: &CpuList) -> Option<f64> {
        self.since(earlier, cpus)
            .map(|ticks| ticks.busy as f64 / ticks.total as f64)
    }

    /// The share of `cpus`' time the hypervisor took between `earlier` and
    /// this reading.
    pub fn stolen_since(&self, earlier: &CpuTimes, cpus: &CpuList) -> Option<f64> {
        self.since(earlier, cpus)
            .map(|ticks| ticks.stolen as f64 / ticks.total as f64)
    }
}

impl Placement {
    /// How busy the suite's and the generator's CPUs were between `earlier`
    /// and `now`.
    pub fn busy(&self, earlier: &CpuTimes, now: &CpuTimes) -> Option<CpuBusy> {
        Some(CpuBusy {
            suite: now.busy_since(earlier, &self.suite)?,
            generator: now.busy_since(earlier, &self.generator)?,
            stolen: now.stolen_since(earlier, &self.allowed)?,
        })
    }
}

/// The parent named in the text of a `/proc/<pid>/stat`.
fn parent_in(stat: &str) -> Option<u32> {
    let (_, after_comm) = stat.rsplit_once(')')?;
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_list_reads_single_cpus_lists_and_ranges_as_taskset_writes_them() {
        assert_eq!("0".parse(), Ok(CpuList(vec![0])));
        assert_eq!("2,0".parse(), Ok(CpuList(vec![0, 2])));
        assert_eq!("1-3, 2".parse(), Ok(CpuList(vec![1, 2, 3])));
        assert_eq!(
            "1-3,5".parse::<CpuList>().map(|l| l.to_string()),
            Ok("1,2,3,5".to_owned())
        );
    }

    #[test]
    fn a_cpu_list_refuses_what_is_not_one() {
        for bad in ["", "a", "3-1", "-1", "0,,1", "1-", "99999"] {
            assert!(bad.parse::<CpuList>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_process_parent_is_read_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(
            parent_in("4242 (postgres: a (b) c) S 17 4242 4242 0"),
            Some(17)
        );
        assert_eq!(parent_in("4242 (postgres"), None);
    }

    #[test]
    fn cpu_busy_time_is_what_is_neither_idle_waiting_on_io_nor_stolen_between_two_readings() {
        let earlier = CpuTimes::parse(
            "cpu  300 0 100 1000 50 0 0 0 0 0\n\
             cpu0 100 0 50 500 25 0 0 0 0 0\n\
             cpu1 200 0 50 500 25 0 0 0 0 0\n\
             intr 12345\n",
        );
        let later = CpuTimes::parse(
            "cpu0 190 0 80 520 25 5 5 0 0 0\n\
             cpu1 210 0 50 600 45 0 0 20 0 0\n",
        );

        let first = later.busy_since(&earlier, &CpuList(vec![0]));
        let second = later.busy_since(&earlier, &CpuList(vec![1]));
        let both = later.busy_since(&earlier, &CpuList(vec![0, 1]));
        let stolen = later.stolen_since(&earlier, &CpuList(vec![0, 1]));

        assert_eq!(first, Some(130.0 / 150.0));
        assert_eq!(second, Some(10.0 / 150.0));
        assert_eq!(both, Some(140.0 / 300.0));
        assert_eq!(stolen, Some(20.0 / 300.0));
        assert_eq!(later.busy_since(&earlier, &CpuList(vec![2])), None);
        assert_eq!(earlier.busy_since(&earlier, &CpuList(vec![0])), None);
    }

    #[test]
    fn this_machine_s_cpu_times_are_read() {
        let mine = sched_getaffinity(Pid::from_raw(0)).expect("this process's CPUs");
        let cpu = (0..CpuSet::count())
            .find(|&cpu| mine.is_set(cpu).unwrap_or(false))
            .expect("a CPU");

        let times = CpuTimes::now();

        assert!(
            times
                .0
                .get(&cpu)
                .is_some_and(|t| t.busy + t.stolen <= t.total && t.total > 0)
        );
    }

    #[test]
    fn a_process_that_has_ended_is_skipped_not_an_error() {
        let gone = Path::new("/proc/no-such-process");

        assert!(pin_threads(gone, &CpuSet::new()).is_ok());
    }

    #[test]
    fn this_process_parent_is_the_one_the_standard_library_names() {
        assert_eq!(
            parent(std::process::id()),
            Some(std::os::unix::process::parent_id())
        );
    }
}
