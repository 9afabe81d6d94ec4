//! Tests against the machine's real PostgreSQL binaries, on a cluster of
//! their own (stopped at the end) beside the shared test cluster.

use std::thread;

use super::*;

/// Stops the cluster when the test ends, even by a panic.
struct StopOnDrop(LocalClusterOptions);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Ok(cluster) = LocalCluster::ensure_running(&self.0) {
            let _ = cluster.stop();
        }
    }
}

fn postmaster_pid(cluster: &LocalCluster) -> Option<i32> {
    let text = fs::read_to_string(cluster.dir().join("data").join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

fn can_log_in(cluster: &LocalCluster) -> bool {
    let url = cluster.admin_url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(url.expose())
            .await
            .expect("admin login");
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .expect("select");
        one == 1
    })
}

#[test]
fn a_cluster_starts_once_is_reused_and_keeps_its_port_across_restarts() {
    let dir = crate::testing::target_dir().join("redress-test-pg-lifecycle");
    let options = LocalClusterOptions {
        for_tests: true,
        ..LocalClusterOptions::new(&dir)
    };
    let _stop = StopOnDrop(options.clone());

    let first = LocalCluster::ensure_running(&options).expect("the cluster starts");
    assert!(can_log_in(&first));
    let pid = postmaster_pid(&first).expect("a postmaster");

    let again = LocalCluster::ensure_running(&options).expect("the cluster is reused");
    assert_eq!(again.port(), first.port());
    assert_eq!(postmaster_pid(&again), Some(pid), "no second postmaster");
    assert_eq!(again.admin_url(), first.admin_url());

    first.stop().expect("the cluster stops");
    assert_eq!(postmaster_pid(&first), None);

    // Several processes (here threads, each with its own lock handle) race to restart it.
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let options = options.clone();
            thread::spawn(move || LocalCluster::ensure_running(&options).map(|c| c.port()))
        })
        .collect();
    for racer in racers {
        let port = racer
            .join()
            .expect("no panic")
            .expect("the cluster restarts");
        assert_eq!(port, first.port(), "the remembered port is reused");
    }
    let restarted = LocalCluster::ensure_running(&options).expect("running");
    let new_pid = postmaster_pid(&restarted).expect("a postmaster");
    assert_ne!(new_pid, pid);
    assert!(can_log_in(&restarted));
}

#[test]
fn the_admin_url_never_shows_in_debug_output() {
    let cluster = LocalCluster {
        server: Server {
            dir: PathBuf::from("/nowhere"),
            binaries: PgBinaries {
                bin_dir: PathBuf::from("/nowhere/bin"),
                major: 15,
            },
            run_as: RunAs {
                name: "postgres".to_owned(),
                uid: 101,
                gid: 104,
                switch: true,
            },
        },
        port: 5555,
        password: Secret::new("hunter2"),
    };
    assert!(!format!("{cluster:?}").contains("hunter2"));
    assert_eq!(
        cluster.admin_url().expose(),
        "postgres://redress_admin:hunter2@127.0.0.1:5555/postgres"
    );
}

#[test]
fn a_failed_start_reports_the_tail_of_the_server_log() {
    let busy = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a listener");
    let port = busy.local_addr().expect("its address").port();
    let options = LocalClusterOptions {
        for_tests: true,
        port,
        ..LocalClusterOptions::new(crate::testing::target_dir().join("redress-test-pg-busy-port"))
    };

    let error = match LocalCluster::ensure_running(&options) {
        Ok(cluster) => {
            let _ = cluster.stop();
            panic!("the cluster started on a port that is taken");
        }
        Err(error) => error,
    };
    let message = error.to_string();
    assert!(
        matches!(error, LocalPgError::Command { verb: "start", .. }),
        "{message}"
    );
    assert!(message.contains("postgres.log"), "{message}");
    assert!(message.contains("Address already in use"), "{message}");
}
