//! Redress's wire contract: prost messages and tonic clients and servers
//! generated from `proto/`, plus the encoded descriptor set that each server
//! offers through gRPC reflection.
//!
//! The generated code is not edited by hand; change the `.proto` files.

#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    missing_debug_implementations
)]

/// The encoded `FileDescriptorSet` of every Redress proto file and its
/// imports, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/redress_descriptor.bin"));

/// Vendored Google API types.
pub mod google {
    /// `google.api` annotations.
    pub mod api {
        include!(concat!(env!("OUT_DIR"), "/google.api.rs"));
    }
    /// `google.type` common types.
    pub mod r#type {
        include!(concat!(env!("OUT_DIR"), "/google.r#type.rs"));
    }
}

/// The `redress.*` packages, nested as the generated code expects.
pub mod redress {
    /// `redress.customers.*`
    pub mod customers {
        /// `redress.customers.v1`: who the customer is.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/redress.customers.v1.rs"));
        }
    }
    /// `redress.complaints.*`
    pub mod complaints {
        /// `redress.complaints.v1`: complaints with one accountable owner.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/redress.complaints.v1.rs"));
        }
    }
    /// `redress.notifications.*`
    pub mod notifications {
        /// `redress.notifications.v1`: messages to customers and staff.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/redress.notifications.v1.rs"));
        }
    }
    /// `redress.crisis.*`
    pub mod crisis {
        /// `redress.crisis.v1`: early warning and crisis coordination.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/redress.crisis.v1.rs"));
        }
    }
    /// `redress.audit.*`
    pub mod audit {
        /// `redress.audit.v1`: the audit trail of security-relevant actions.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/redress.audit.v1.rs"));
        }
    }
    /// `redress.events.*`
    pub mod events {
        /// `redress.events.v1`: the event every publishing service's feed carries.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/redress.events.v1.rs"));
        }
    }
}

pub use redress::audit;
pub use redress::complaints;
pub use redress::crisis;
pub use redress::customers;
pub use redress::events;
pub use redress::notifications;
