//! Health and reflection answer a client that is not ours: Python's grpcio
//! (the C-core gRPC implementation) checks the customers port the way a load
//! balancer or `grpcurl` would. Test support keeps its Python environment
//! under the target directory and installs grpcio there from PyPI the first
//! time, so it needs only `python3` on the machine.

use std::path::Path;
use std::sync::Arc;

use redress_platform::auth::{AuthSettings, Verifier, generate_dev_secret};
use redress_platform::clock::SystemClock;
use redress_platform::db::{self, PoolSettings};
use redress_platform::grpc::GrpcSettings;
use redress_platform::testing::TestDatabase;
use redress_platform::testing::python::venv_tool;

/// The Python packages the check needs.
const PACKAGES: &[&str] = &[
    "grpcio==1.85.1",
    "grpcio-health-checking==1.85.1",
    "grpcio-reflection==1.85.1",
];

#[tokio::test]
async fn health_and_reflection_answer_an_independent_grpc_client() {
    // Arrange: the customers service on a free port, real database.
    let database = TestDatabase::new().await;
    let login = database.provision(&redress_customers::schema()).await;
    let pool = db::connect(&login, "customers", &PoolSettings::default())
        .await
        .expect("customers pool");
    let verifier =
        Verifier::new(&AuthSettings::development(generate_dev_secret())).expect("verifier");
    let service = redress_customers::build_with(
        "127.0.0.1:0".parse().expect("address"),
        &GrpcSettings::default(),
        redress_customers::Settings::default(),
        redress_customers::Dependencies {
            pool,
            clock: SystemClock::shared(),
            verifier: Arc::new(verifier),
        },
    )
    .await
    .expect("service binds");
    let address = service.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(service.run_until(async {
        let _ = stopped.await;
    }));
    let python = tokio::task::spawn_blocking(|| venv_tool("grpcio-1.85.1", PACKAGES, "python"))
        .await
        .expect("python set-up");

    // Act: the Python client checks health and reflection.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent/check.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(address.to_string())
        .arg("redress.customers.v1.CustomerService")
        .output()
        .await
        .expect("the check runs");

    // Assert
    let _ = stop.send(());
    running
        .await
        .expect("server task")
        .expect("server stops cleanly");
    assert!(
        output.status.success(),
        "independent client failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
}
