//! The complaints domain: types with their invariants, the lifecycle state
//! machine, the priority table, the category tree, business calendars and
//! SLA clocks. No protobuf and no SQL here.

pub mod calendar;
pub mod category;
pub mod complaint;
pub mod lifecycle;
pub mod recovery;
pub mod improvement;
pub mod names;
pub mod priority;
pub mod sla;
pub mod sla_policy;
pub mod state;
