//! The notifications service (skeleton while it is built).

pub mod channels;
pub mod domain;
pub mod directory;
pub mod store;
