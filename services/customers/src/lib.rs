//! The customers service: the system of record for who the customer is.
#![allow(missing_docs)]
pub mod domain;
pub mod settings;
pub mod store;
pub use settings::Settings;
