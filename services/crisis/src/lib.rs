//! The crisis service (issue 7), being built: so far the pure rules of early
//! warning ([`domain::early_warning`]). The service around them (its schema,
//! the complaint-feed consumer, the gRPC face) is not built yet; nothing
//! runs this crate but its tests.

#![forbid(unsafe_code)]

pub mod domain;
