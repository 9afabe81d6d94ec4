//! The crisis domain: types with their invariants and the rules of the
//! field (DOMAIN.md, "Crisis"). No protobuf and no SQL here.

pub mod crisis;
pub mod early_warning;
pub mod plan;
pub mod scope;
pub mod statement;
pub mod warning;
