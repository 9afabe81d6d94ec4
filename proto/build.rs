//! Compiles the `.proto` files with `protox` (a pure-Rust protobuf compiler, so
//! no system `protoc` is needed) and generates prost messages and tonic
//! clients and servers from the resulting descriptor set. The descriptor set
//! is also written out for gRPC server reflection.

use std::path::PathBuf;

use prost::Message;

/// Every service's proto file; add a line here when a service lands.
const PROTOS: &[&str] = &[
    "redress/audit/v1/audit.proto",
    "redress/customers/v1/customers.proto",
    "redress/complaints/v1/complaints.proto",
    "redress/events/v1/events.proto",
    "redress/notifications/v1/notifications.proto",
    "redress/crisis/v1/crisis.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=redress");
    println!("cargo:rerun-if-changed=google");

    let descriptors = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("redress_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
