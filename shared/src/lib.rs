//! `redress-platform`: what every Redress service stands on.
//!
//! Configuration, telemetry, the database layer (pools, per-service schemas
//! and roles, migrations, the private development cluster), gRPC server and
//! client plumbing, authentication, errors in the AIP-193 shape, keyset page
//! tokens, `request_id` idempotency, an injectable clock, and test support.
//! Services depend on this crate; it depends on no service.

pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod grpc;
pub mod idempotency;
pub mod money;
pub mod names;
pub mod outbox;
pub mod page;
pub mod pg_local;
pub mod secret;
pub mod telemetry;
pub mod testing;
pub mod wire;

pub use secret::Secret;
