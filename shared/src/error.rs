//! Errors as callers see them: the canonical gRPC code plus AIP-193 details.
//!
//! Every service turns its own per-operation errors into an [`ApiError`], and
//! [`ApiError::into_status`] is the one place an error becomes a
//! `tonic::Status`: exactly one `google.rpc.ErrorInfo` (reason in UPPER_SNAKE,
//! domain `<service>.redress`), a `BadRequest` with one field violation per bad
//! field, a `PreconditionFailure` listing the allowed next steps, or a
//! `ResourceInfo` naming what was not found. Messages never carry SQL text,
//! internal details or personal data; internal causes are logged with their
//! kind only.

use std::collections::{BTreeMap, HashMap};

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The error domain of a service, such as `customers.redress`.
pub type ErrorDomain = &'static str;

/// An error in the shape callers see.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// Bad input: one violation per bad field. Nothing was written.
    InvalidArgument(FieldViolations),
    /// The named resource does not exist (or is not visible to the caller).
    NotFound {
        /// The resource type, such as `Customer`.
        resource_type: &'static str,
        /// The resource name asked for, such as `customers/0191...`.
        name: String,
    },
    /// Something with the same identity exists already.
    AlreadyExists {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// What collided, for a person to read.
        message: String,
    },
    /// The resource is not in a state that allows this; `allowed` lists the
    /// next steps that are allowed now.
    FailedPrecondition {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// For a person to read.
        message: String,
        /// The moves allowed from here, in the API's words.
        allowed: Vec<String>,
    },
    /// A concurrent change won (etag mismatch); read again and retry.
    Aborted {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// For a person to read.
        message: String,
    },
    /// A dependency (the database, another service) is not reachable now;
    /// the call may be retried.
    Unavailable {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// For a person to read.
        message: String,
    },
    /// The caller may not do this.
    PermissionDenied {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// For a person to read.
        message: String,
    },
    /// A bug or an unexpected failure; details went to the log, not the caller.
    Internal,
}

impl ApiError {
    /// A single-field INVALID_ARGUMENT.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut violations = FieldViolations::new();
        violations.add(field, description);
        Self::InvalidArgument(violations)
    }

    /// NOT_FOUND for a named resource.
    pub fn not_found(resource_type: &'static str, name: impl Into<String>) -> Self {
        Self::NotFound {
            resource_type,
            name: name.into(),
        }
    }

    /// Converts into a `tonic::Status` with AIP-193 details in `domain`.
    pub fn into_status(self, domain: ErrorDomain) -> Status {
        let mut details = ErrorDetails::new();
        let (code, message) = match self {
            ApiError::InvalidArgument(violations) => {
                let fields: Vec<&str> = violations.0.iter().map(|v| v.field.as_str()).collect();
                let message = format!("invalid {}", fields.join(", "));
                let metadata = HashMap::from([("fields".to_string(), fields.join(","))]);
                details.set_error_info("INVALID_ARGUMENT", domain, metadata);
                details.set_bad_request(violations.into_field_violations());
                (Code::InvalidArgument, message)
            }
            ApiError::NotFound {
                resource_type,
                name,
            } => {
                let metadata = HashMap::from([
                    ("resource_type".to_string(), resource_type.to_string()),
                    ("name".to_string(), name.clone()),
                ]);
                details.set_error_info(
                    format!("{}_NOT_FOUND", upper_snake(resource_type)),
                    domain,
                    metadata,
                );
                details.set_resource_info(resource_type, name.clone(), "", "not found");
                (Code::NotFound, format!("{name} not found"))
            }
            ApiError::AlreadyExists { reason, message } => {
                details.set_error_info(reason, domain, HashMap::new());
                (Code::AlreadyExists, message)
            }
            ApiError::FailedPrecondition {
                reason,
                message,
                allowed,
            } => {
                let metadata = HashMap::from([("allowed".to_string(), allowed.join(","))]);
                details.set_error_info(reason, domain, metadata);
                for step in &allowed {
                    details.add_precondition_failure_violation("ALLOWED", step, "allowed now");
                }
                (Code::FailedPrecondition, message)
            }
            ApiError::Aborted { reason, message } => {
                details.set_error_info(reason, domain, HashMap::new());
                (Code::Aborted, message)
            }
            ApiError::Unavailable { reason, message } => {
                details.set_error_info(reason, domain, HashMap::new());
                (Code::Unavailable, message)
            }
            ApiError::PermissionDenied { reason, message } => {
                details.set_error_info(reason, domain, HashMap::new());
                (Code::PermissionDenied, message)
            }
            ApiError::Internal => {
                details.set_error_info("INTERNAL", domain, HashMap::new());
                (Code::Internal, "internal error".to_string())
            }
        };
        Status::with_error_details(code, message, details)
    }
}

impl From<FieldViolations> for ApiError {
    fn from(violations: FieldViolations) -> Self {
        ApiError::InvalidArgument(violations)
    }
}

impl From<sqlx::Error> for ApiError {
    /// Database failures: connection trouble is UNAVAILABLE (retryable),
    /// anything else INTERNAL. Only the error's kind, SQLSTATE and constraint
    /// name are logged: a database message can quote the row's values.
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => {
                tracing::warn!(kind = db_error_kind(&error), "database unavailable");
                ApiError::Unavailable {
                    reason: "DATABASE_UNAVAILABLE",
                    message: "the database is not reachable; retry later".to_string(),
                }
            }
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now,
                // 08xxx connection exceptions.
                if code.starts_with("57P") || code.starts_with("08") {
                    tracing::warn!(sqlstate = %code, "database unavailable");
                    return ApiError::Unavailable {
                        reason: "DATABASE_UNAVAILABLE",
                        message: "the database is not reachable; retry later".to_string(),
                    };
                }
                tracing::error!(
                    sqlstate = %code,
                    constraint = db.constraint().unwrap_or(""),
                    "database error"
                );
                ApiError::Internal
            }
            _ => {
                tracing::error!(kind = db_error_kind(&error), "database error");
                ApiError::Internal
            }
        }
    }
}

/// A name for the kind of a sqlx error, without its message.
fn db_error_kind(error: &sqlx::Error) -> &'static str {
    match error {
        sqlx::Error::Configuration(_) => "configuration",
        sqlx::Error::Database(_) => "database",
        sqlx::Error::Io(_) => "io",
        sqlx::Error::Tls(_) => "tls",
        sqlx::Error::Protocol(_) => "protocol",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::TypeNotFound { .. } => "type_not_found",
        sqlx::Error::ColumnIndexOutOfBounds { .. } => "column_index_out_of_bounds",
        sqlx::Error::ColumnNotFound(_) => "column_not_found",
        sqlx::Error::ColumnDecode { .. } => "column_decode",
        sqlx::Error::Decode(_) => "decode",
        sqlx::Error::PoolTimedOut => "pool_timed_out",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::WorkerCrashed => "worker_crashed",
        sqlx::Error::Migrate(_) => "migrate",
        _ => "other",
    }
}

/// `Customer` → `CUSTOMER`, `SatisfactionRecord` → `SATISFACTION_RECORD`.
fn upper_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// One bad field: its path in the request (`customer.contact_points[1].email`)
/// and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field path, in the request's proto field names.
    pub field: String,
    /// What is wrong, for a person to read. Never echoes personal data.
    pub description: String,
}

/// The bad fields of a request, collected so a caller learns of all of them
/// at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldViolations(Vec<Violation>);

impl FieldViolations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a bad field.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Keeps the value of `result`, or records its error against `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    /// Whether a repeated field of `len` values keeps within `max`; when it
    /// does not, records one violation against the whole `field` (never one
    /// per value, so an oversized list cannot make an oversized answer) and
    /// the caller skips checking its values.
    pub fn within(&mut self, field: impl Into<String>, len: usize, max: usize) -> bool {
        if len <= max {
            return true;
        }
        self.add(field, format!("must have at most {max} values"));
        false
    }

    /// `values` when they keep within `max`, else none (with the one
    /// violation [`FieldViolations::within`] records): for looping over a
    /// repeated field's values only when there are not too many.
    pub fn bounded<'a, T>(&mut self, field: &str, values: &'a [T], max: usize) -> &'a [T] {
        if self.within(field, values.len(), max) {
            values
        } else {
            &[]
        }
    }

    /// Adds all of `other`'s violations.
    pub fn merge(&mut self, other: FieldViolations) {
        self.0.extend(other.0);
    }

    /// Whether no field is bad.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations recorded so far.
    pub fn violations(&self) -> &[Violation] {
        &self.0
    }

    /// Each field named so far, with how many violations name it: what a
    /// test compares with the fields it expects refused, each once.
    pub fn counted(&self) -> BTreeMap<String, usize> {
        let mut counted = BTreeMap::new();
        for violation in &self.0 {
            *counted.entry(violation.field.clone()).or_default() += 1;
        }
        counted
    }

    /// `Ok(())` when no field is bad, else the INVALID_ARGUMENT error.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(self))
        }
    }

    fn into_field_violations(self) -> Vec<FieldViolation> {
        self.0
            .into_iter()
            .map(|v| FieldViolation::new(v.field, v.description))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_one_violation_per_bad_field_and_one_error_info() {
        let mut violations = FieldViolations::new();
        violations.add("customer.display_name", "must not be empty");
        violations.add("customer.time_zone", "unknown time zone");

        let status = ApiError::from(violations).into_status("customers.redress");

        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let info = details.error_info().expect("error info");
        assert_eq!(info.reason, "INVALID_ARGUMENT");
        assert_eq!(info.domain, "customers.redress");
        let bad = details.bad_request().expect("bad request");
        let fields: Vec<_> = bad
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["customer.display_name", "customer.time_zone"]);
    }

    #[test]
    fn failed_precondition_lists_the_allowed_next_steps() {
        let status = ApiError::FailedPrecondition {
            reason: "CUSTOMER_ERASED",
            message: "the customer was erased".into(),
            allowed: vec!["GetCustomer".into()],
        }
        .into_status("customers.redress");

        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = status.get_error_details();
        assert_eq!(
            details.error_info().expect("info").metadata["allowed"],
            "GetCustomer"
        );
        let pre = details
            .precondition_failure()
            .expect("precondition failure");
        assert_eq!(pre.violations[0].subject, "GetCustomer");
    }

    #[test]
    fn not_found_names_the_resource_and_derives_the_reason() {
        let status = ApiError::not_found("SatisfactionRecord", "customers/x").into_status("d");
        assert_eq!(status.code(), Code::NotFound);
        let details = status.get_error_details();
        assert_eq!(
            details.error_info().expect("info").reason,
            "SATISFACTION_RECORD_NOT_FOUND"
        );
    }

    #[test]
    fn internal_errors_say_nothing_about_their_cause() {
        let status = ApiError::from(sqlx::Error::RowNotFound).into_status("d");
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
    }

    #[test]
    fn a_lost_connection_is_unavailable_so_callers_retry() {
        let status = ApiError::from(sqlx::Error::PoolTimedOut).into_status("d");
        assert_eq!(status.code(), Code::Unavailable);
    }
}
