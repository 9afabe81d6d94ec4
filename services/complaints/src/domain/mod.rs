//! The complaints domain: types with their invariants, the lifecycle state
//! machine, the priority table, the category tree, business calendars and
//! SLA clocks. No protobuf and no SQL here.

pub mod calendar;
pub mod category;
pub mod complaint;
pub mod follow_up;
pub mod goodwill;
pub mod improvement;
pub mod insights;
pub mod lifecycle;
pub mod names;
pub mod priority;
pub mod recovery;
pub mod scope;
pub mod sla;
pub mod sla_policy;
pub mod state;
pub mod survey;
