//! The notifications service (skeleton while it is built).

pub mod channels;
pub mod domain;
