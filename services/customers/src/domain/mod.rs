//! The customers domain: what makes a valid customer, transaction, contact and
//! survey answer, and the policies that turn transactions and time into a
//! value grade and a lifecycle stage. No protobuf and no SQL here: the gRPC
//! layer parses requests into these types and the store persists them.

pub mod activity;
pub mod churn;
pub mod contact;
pub mod grading;
pub mod lifecycle;
pub mod names;
pub mod profile;
pub mod satisfaction;
