//! A failed call, told the way an operator needs it: the canonical gRPC code
//! and message, then the AIP-193 details the service attached (the
//! `ErrorInfo` reason, each bad field as `field: description`, the steps a
//! failed precondition allows). A call that never reached the service says
//! which endpoint could not be reached and how to start the suite instead.

use std::error::Error as _;
use std::fmt;

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// A call that failed, with the endpoint it went to.
#[derive(Debug)]
pub struct CallError {
    /// The endpoint called, such as `http://127.0.0.1:50051`.
    endpoint: String,
    /// What the call ended with.
    status: Status,
}

impl CallError {
    /// A failure of a call to `endpoint`.
    pub fn new(endpoint: &str, status: Status) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            status,
        }
    }

    /// Whether the call failed before any service answered: the client could
    /// not connect (the transport, not a service, produced the status).
    pub fn is_unreachable(&self) -> bool {
        let status = &self.status;
        status.code() == Code::Unavailable
            && status.get_error_details().error_info().is_none()
            && status.source().is_some()
    }
}

impl std::error::Error for CallError {}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = &self.status;
        if self.is_unreachable() {
            write!(f, "cannot reach {}", self.endpoint)?;
            if let Some(cause) = deepest_cause(status) {
                write!(f, " ({cause})")?;
            }
            return write!(
                f,
                "; is the suite running? Start it with `redress up`, or set the service's \
                 endpoint (REDRESS_<SERVICE>__ENDPOINT, or `endpoint` in its table of \
                 redress.toml)"
            );
        }
        write!(f, "{}: {}", code_name(status.code()), status.message())?;
        let details = status.get_error_details();
        if let Some(info) = details.error_info() {
            write!(f, "\n  reason: {} ({})", info.reason, info.domain)?;
        }
        if let Some(bad_request) = details.bad_request() {
            for violation in &bad_request.field_violations {
                write!(f, "\n  {}: {}", violation.field, violation.description)?;
            }
        }
        if let Some(precondition) = details.precondition_failure() {
            let allowed: Vec<&str> = precondition
                .violations
                .iter()
                .filter(|v| v.r#type == "ALLOWED")
                .map(|v| v.subject.as_str())
                .collect();
            if allowed.is_empty() {
                write!(f, "\n  allowed now: nothing")?;
            } else {
                write!(f, "\n  allowed now: {}", allowed.join(", "))?;
            }
            for other in precondition
                .violations
                .iter()
                .filter(|v| v.r#type != "ALLOWED")
            {
                write!(
                    f,
                    "\n  {} {}: {}",
                    other.r#type, other.subject, other.description
                )?;
            }
        }
        Ok(())
    }
}

/// The innermost cause of a transport failure, such as "Connection refused
/// (os error 111)".
fn deepest_cause(status: &Status) -> Option<String> {
    let mut cause = status.source()?;
    while let Some(next) = cause.source() {
        cause = next;
    }
    Some(cause.to_string())
}

/// The canonical name of a gRPC code, as in the gRPC specification.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::{ErrorDetails, FieldViolation};

    use super::*;

    #[test]
    fn a_bad_request_names_each_field_and_the_reason() {
        let mut details = ErrorDetails::new();
        details.set_error_info("INVALID_ARGUMENT", "customers.redress", HashMap::new());
        details.set_bad_request(vec![FieldViolation::new(
            "customer.contact_points[0].email",
            "is not an e-mail address",
        )]);
        let status = Status::with_error_details(Code::InvalidArgument, "invalid input", details);
        let text = CallError::new("http://127.0.0.1:1", status).to_string();
        assert_eq!(
            text,
            "INVALID_ARGUMENT: invalid input\n  reason: INVALID_ARGUMENT (customers.redress)\n  \
             customer.contact_points[0].email: is not an e-mail address"
        );
    }

    #[test]
    fn a_failed_precondition_lists_what_is_allowed() {
        let mut details = ErrorDetails::new();
        details.set_error_info("ALREADY_ERASED", "customers.redress", HashMap::new());
        details.add_precondition_failure_violation("ALLOWED", "get", "allowed now");
        details.add_precondition_failure_violation("ALLOWED", "list", "allowed now");
        let status = Status::with_error_details(Code::FailedPrecondition, "erased", details);
        let text = CallError::new("http://127.0.0.1:1", status).to_string();
        assert!(text.starts_with("FAILED_PRECONDITION: erased"), "{text}");
        assert!(text.ends_with("\n  allowed now: get, list"), "{text}");
    }

    #[test]
    fn a_status_from_a_service_is_not_taken_for_an_unreachable_server() {
        let status = Status::unavailable("the database is not reachable; retry later");
        assert!(!CallError::new("http://127.0.0.1:1", status).is_unreachable());
    }
}
