//! Reading a refusal's AIP-193 details in every area's tests: the
//! `ErrorInfo` reason (in this service's domain), the allowed next steps of
//! a FAILED_PRECONDITION, and the fields of an INVALID_ARGUMENT.

use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use super::DOMAIN;

/// The `ErrorInfo.reason` of a status, checking its domain.
pub fn reason(status: &Status) -> String {
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .unwrap_or_else(|| panic!("an ErrorInfo in {status:?}"));
    assert_eq!(info.domain, DOMAIN, "{status:?}");
    info.reason
}

/// The allowed next steps in a FAILED_PRECONDITION.
pub fn allowed(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .precondition_failure()
        .map(|p| p.violations.iter().map(|v| v.subject.clone()).collect())
        .unwrap_or_default()
}

/// Asserts `code` and `ErrorInfo.reason`.
pub fn assert_status(status: &Status, code: Code, expected_reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(status), expected_reason, "{status:?}");
}

/// Asserts INVALID_ARGUMENT with exactly a violation for each of `fields`.
pub fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut got: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default();
    got.sort();
    let mut want: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    want.sort();
    assert_eq!(got, want, "{status:?}");
}
