//! `ListAuditEntries`, the part every service shares: validating the filters
//! and page of a request into an [`AuditQuery`] (one field violation per bad
//! field), and turning a stored page into the wire's `AuditEntry`s with a
//! keyset page token over (time, id). Each service's generated request and
//! response types differ only by package, so its handler is one call of
//! [`list_audit_entries!`](crate::list_audit_entries), which destructures the
//! request into [`AuditFilters`] (a new field is a compile error there, once)
//! and calls [`list_page`].

use jiff::Timestamp;
use redress_proto::audit::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

use super::{AuditEntry, Outcome};
use crate::error::{ApiError, FieldViolations};
use crate::page::{Fingerprint, decode_time_id, encode_time_id, next_page, page_args};
use crate::wire;

/// Longest action, actor or target a filter may name.
const MAX_FILTER_LEN: usize = 256;

/// The filters and page of a `ListAuditEntriesRequest`, borrowed from it.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditFilters<'r> {
    /// Exact action; empty for any.
    pub action: &'r str,
    /// Exact actor subject; empty for any.
    pub actor: &'r str,
    /// Exact target resource name; empty for any.
    pub target: &'r str,
    /// Inclusive lower time bound.
    pub start_time: Option<&'r prost_types::Timestamp>,
    /// Exclusive upper time bound.
    pub end_time: Option<&'r prost_types::Timestamp>,
    /// Requested page size (0 for the default).
    pub page_size: i32,
    /// The previous page's token, or empty.
    pub page_token: &'r str,
}

/// A validated audit list request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    /// Exact action, when filtered.
    pub action: Option<String>,
    /// Exact actor, when filtered.
    pub actor: Option<String>,
    /// Exact target, when filtered.
    pub target: Option<String>,
    /// Inclusive lower bound; before `end` when both are set.
    pub start: Option<Timestamp>,
    /// Exclusive upper bound.
    pub end: Option<Timestamp>,
    /// Page size, 1..=1000.
    pub size: u32,
    /// The (time, id) of the last entry of the previous page.
    pub after: Option<(Timestamp, Uuid)>,
    /// Fingerprint of the filters, for the next page token.
    pub fingerprint: Fingerprint,
}

impl AuditQuery {
    /// Validates `filters`; INVALID_ARGUMENT names every bad field.
    pub fn parse(filters: &AuditFilters<'_>) -> Result<Self, ApiError> {
        let mut v = FieldViolations::new();
        let action = text_filter(&mut v, "action", filters.action);
        if let Some(action) = &action
            && !is_action(action)
        {
            v.add("action", "must be an action such as `customer.erased`");
        }
        let actor = text_filter(&mut v, "actor", filters.actor);
        let target = text_filter(&mut v, "target", filters.target);
        let start = filters
            .start_time
            .and_then(|t| v.check("start_time", wire::from_timestamp(t)));
        let end = filters
            .end_time
            .and_then(|t| v.check("end_time", wire::from_timestamp(t)));
        if let (Some(start), Some(end)) = (start, end)
            && start >= end
        {
            v.add("end_time", "must be after start_time");
        }
        let fingerprint = Fingerprint::of(
            "ListAuditEntries",
            &[
                filters.action.as_bytes(),
                filters.actor.as_bytes(),
                filters.target.as_bytes(),
                &start.map(|t| t.as_nanosecond()).unwrap_or(0).to_be_bytes(),
                &end.map(|t| t.as_nanosecond()).unwrap_or(0).to_be_bytes(),
            ],
        );
        let (size, after) = page_args(&mut v, filters.page_size, filters.page_token, fingerprint);
        let after = after.and_then(|cursor| v.check("page_token", decode_time_id(&cursor)));
        v.into_result()?;
        Ok(Self {
            action,
            actor,
            target,
            start,
            end,
            size: size.ok_or(ApiError::Internal)?,
            after,
            fingerprint,
        })
    }
}

/// A non-empty exact-match filter, or `None` when empty.
fn text_filter(v: &mut FieldViolations, field: &str, value: &str) -> Option<String> {
    if value.chars().count() > MAX_FILTER_LEN {
        v.add(
            field,
            format!("must be at most {MAX_FILTER_LEN} characters"),
        );
        return None;
    }
    (!value.is_empty()).then(|| value.to_owned())
}

/// Whether `name` has the shape of an action: dotted lower-case words.
fn is_action(name: &str) -> bool {
    let mut words = name.split('.');
    let well_formed = |word: &str| {
        word.starts_with(|c: char| c.is_ascii_lowercase())
            && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    };
    words.clone().count() >= 2 && words.all(well_formed)
}

/// The page of entries `filters` asks for, on the wire, and the next page
/// token (empty on the last page).
pub async fn list_page(
    pool: &PgPool,
    filters: &AuditFilters<'_>,
) -> Result<(Vec<pb::AuditEntry>, String), ApiError> {
    let query = AuditQuery::parse(filters)?;
    let rows = super::store::list(pool, &query).await?;
    let (rows, token) = next_page(rows, query.size, query.fingerprint, |entry| {
        encode_time_id(entry.time, entry.id)
    });
    Ok((rows.iter().map(to_wire).collect(), token))
}

/// The body of a service's `ListAuditEntries` handler: `$pb` names the
/// service's generated module (in scope at the call), `$request` its
/// `ListAuditEntriesRequest` and `$pool` its pool; evaluates to
/// `Result<$pb::ListAuditEntriesResponse, ApiError>`.
#[macro_export]
macro_rules! list_audit_entries {
    ($pool:expr, $request:expr, $pb:ident) => {{
        let $pb::ListAuditEntriesRequest {
            action,
            actor,
            target,
            start_time,
            end_time,
            page_size,
            page_token,
        } = &$request;
        let filters = $crate::audit::AuditFilters {
            action,
            actor,
            target,
            start_time: start_time.as_ref(),
            end_time: end_time.as_ref(),
            page_size: *page_size,
            page_token,
        };
        $crate::audit::list_page($pool, &filters)
            .await
            .map(
                |(audit_entries, next_page_token)| $pb::ListAuditEntriesResponse {
                    audit_entries,
                    next_page_token,
                },
            )
    }};
}

/// An entry on the wire.
pub fn to_wire(entry: &AuditEntry) -> pb::AuditEntry {
    let AuditEntry {
        id,
        action,
        target,
        actor,
        actor_roles,
        via_service,
        requested_by,
        method,
        outcome,
        details,
        time,
    } = entry;
    pb::AuditEntry {
        name: format!("auditEntries/{id}"),
        action: action.clone(),
        target: target.clone(),
        actor: actor.clone(),
        actor_roles: actor_roles.clone(),
        via_service: via_service.clone().unwrap_or_default(),
        requested_by: requested_by.clone().unwrap_or_default(),
        method: method.clone(),
        outcome: match outcome {
            Outcome::Done => pb::AuditOutcome::Done,
            Outcome::Denied => pb::AuditOutcome::Denied,
        }
        .into(),
        details: details
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        create_time: Some(wire::timestamp(*time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violated(filters: AuditFilters<'_>) -> Vec<String> {
        match AuditQuery::parse(&filters) {
            Err(ApiError::InvalidArgument(v)) => {
                v.violations().iter().map(|v| v.field.clone()).collect()
            }
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn empty_filters_list_everything_fifty_at_a_time() {
        let query = AuditQuery::parse(&AuditFilters::default()).expect("valid");
        assert_eq!(
            (query.action, query.actor, query.target),
            (None, None, None)
        );
        assert_eq!(query.size, 50);
        assert_eq!(query.after, None);
    }

    #[test]
    fn every_bad_filter_is_named_once() {
        let late = prost_types::Timestamp {
            seconds: 2000,
            nanos: 0,
        };
        let early = prost_types::Timestamp {
            seconds: 1000,
            nanos: 0,
        };
        let long = "x".repeat(MAX_FILTER_LEN + 1);
        let fields = violated(AuditFilters {
            action: "Customer Erased",
            actor: &long,
            target: "",
            start_time: Some(&late),
            end_time: Some(&early),
            page_size: -1,
            page_token: "not a token",
        });
        assert_eq!(
            fields,
            vec!["action", "actor", "end_time", "page_size", "page_token"]
        );
    }

    #[test]
    fn a_token_from_other_filters_is_refused() {
        let token = crate::page::PageToken {
            fingerprint: AuditQuery::parse(&AuditFilters::default())
                .expect("valid")
                .fingerprint,
            cursor: encode_time_id(Timestamp::UNIX_EPOCH, Uuid::nil()),
        }
        .encode();
        let same = AuditQuery::parse(&AuditFilters {
            page_token: &token,
            ..AuditFilters::default()
        })
        .expect("same filters");
        assert_eq!(same.after, Some((Timestamp::UNIX_EPOCH, Uuid::nil())));
        let other = violated(AuditFilters {
            action: "customer.erased",
            page_token: &token,
            ..AuditFilters::default()
        });
        assert_eq!(other, vec!["page_token"]);
    }

    #[test]
    fn actions_are_dotted_lower_case_words() {
        assert!(is_action("customer.erased"));
        assert!(is_action("crisis_team.role_assigned"));
        assert!(!is_action("customer"));
        assert!(!is_action("customer."));
        assert!(!is_action(".erased"));
        assert!(!is_action("Customer.erased"));
        assert!(!is_action("customer.erased1"));
    }
}
