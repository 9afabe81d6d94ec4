//! Affected parties: customers linked by name (at once) or by a selector
//! (a link the background worker in `crate::linking` completes), complaints
//! linked by name, and the counts over time. Names are checked with the
//! customers and complaints services; only names are kept here.

use std::collections::BTreeSet;

use jiff::Timestamp;
use prost::Message as _;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{self, Claim, replay};
use redress_platform::page::{self, Fingerprint, page_args};
use redress_platform::wire::{timestamp, timestamp_opt};
use redress_proto::crisis::v1 as pb;
use redress_proto::customers::v1 as cpb;
use tonic::Code;
use tonic_types::StatusExt as _;
use uuid::Uuid;

use super::CrisisApi;
use super::convert::{known_crisis, open_crisis};
use crate::directory::for_person;
use crate::linking::{announce_complaints_linked, announce_customers_linked, impact_name};
use crate::names;
use crate::store::affected::{self as store, HEAVY, Link, NORMAL};
use crate::store::timeline::{self, NewEntry};

/// The most names one request may link.
const MAX_NAMES: usize = 1000;
/// The most count points returned.
const MAX_POINTS: i64 = 1000;

impl CrisisApi {
    pub(super) async fn link_affected_customers(
        &self,
        caller: &Caller,
        request: pb::LinkAffectedCustomersRequest,
    ) -> Result<pb::LinkAffectedCustomersResponse, ApiError> {
        let fp = idempotency::fingerprint_of(&request, |r| r.request_id.clear());
        let pb::LinkAffectedCustomersRequest {
            crisis,
            customers,
            impact,
            request_id,
        } = request;
        let mut v = FieldViolations::new();
        let crisis_id = v.check("crisis", names::parse_crisis(&crisis));
        let impact = v.check("impact", impact_code(impact));
        let request_id = idempotency::request_id_field(&mut v, &request_id);
        let whom = match customers {
            None => {
                v.add("customers", "give names or a selector");
                None
            }
            Some(pb::link_affected_customers_request::Customers::Names(list)) => {
                customer_ids(&mut v, &list.names).map(Whom::Names)
            }
            Some(pb::link_affected_customers_request::Customers::Selector(selector)) => {
                Some(Whom::Selector(selector))
            }
        };
        v.into_result()?;
        let (Some(crisis_id), Some(impact), Some(whom)) = (crisis_id, impact, whom) else {
            return Err(ApiError::Internal);
        };
        if let Whom::Names(ids) = &whom {
            self.check_customers_exist(caller, ids).await?;
        }

        let now = self.clock.now();
        let actor = caller.acting_subject();
        let mut tx = self.pool.begin().await?;
        let claim = Claim::take(
            &mut tx,
            "LinkAffectedCustomers",
            request_id,
            &caller.subject,
            &fp,
        )
        .await?;
        if let Claim::Replay(answer) = claim {
            return replay(&answer);
        }
        let head = open_crisis(&mut tx, crisis_id).await?;
        let link = match whom {
            Whom::Names(ids) => {
                let linked = store::link_customers(&mut tx, crisis_id, &ids, impact, now).await?;
                let counts =
                    store::add_counts(&mut tx, crisis_id, linked.delta(impact), now).await?;
                let link = Link {
                    id: Uuid::now_v7(),
                    crisis_id,
                    impact,
                    selector: None,
                    done: true,
                    seen_count: i64::try_from(ids.len()).unwrap_or(i64::MAX),
                    added_count: linked.added(),
                    create_time: now,
                    complete_time: Some(now),
                };
                store::create_link(&mut tx, &link).await?;
                announce_customers_linked(&mut tx, &head, &link, counts, actor, now).await?;
                link
            }
            Whom::Selector(selector) => {
                let link = Link {
                    id: Uuid::now_v7(),
                    crisis_id,
                    impact,
                    selector: Some(selector.encode_to_vec()),
                    done: false,
                    seen_count: 0,
                    added_count: 0,
                    create_time: now,
                    complete_time: None,
                };
                store::create_link(&mut tx, &link).await?;
                let name = names::child(crisis_id, "customerLinks", link.id);
                timeline::append(
                    &mut tx,
                    crisis_id,
                    now,
                    NewEntry {
                        kind: "customer_link_started",
                        actor,
                        summary: "Started linking the customers a selector takes".into(),
                        details: [
                            ("link".to_owned(), name),
                            ("impact".to_owned(), impact_name(impact).to_owned()),
                        ]
                        .into(),
                    },
                )
                .await?;
                link
            }
        };
        let response = pb::LinkAffectedCustomersResponse {
            link: Some(link_to_wire(&link)),
        };
        claim.finish(&mut tx, &response.encode_to_vec()).await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(super) async fn get_customer_link(
        &self,
        _caller: &Caller,
        request: pb::GetCustomerLinkRequest,
    ) -> Result<pb::GetCustomerLinkResponse, ApiError> {
        let (crisis_id, id) = names::parse_child(&request.name, "customerLinks")
            .map_err(|e| ApiError::invalid("name", e.to_string()))?;
        let mut conn = self.pool.acquire().await?;
        let link = store::get_link(&mut conn, crisis_id, id)
            .await?
            .ok_or_else(|| ApiError::not_found("CustomerLink", request.name.clone()))?;
        Ok(pb::GetCustomerLinkResponse {
            link: Some(link_to_wire(&link)),
        })
    }

    pub(super) async fn list_affected_customers(
        &self,
        _caller: &Caller,
        request: pb::ListAffectedCustomersRequest,
    ) -> Result<pb::ListAffectedCustomersResponse, ApiError> {
        let pb::ListAffectedCustomersRequest {
            crisis,
            impact,
            page_size,
            page_token,
        } = request;
        let mut v = FieldViolations::new();
        let crisis_id = v.check("crisis", names::parse_crisis(&crisis));
        let only = v.check("impact", impact_filter(impact));
        let fingerprint = Fingerprint::of(
            "ListAffectedCustomers",
            &[
                crisis_id.unwrap_or_default().as_bytes(),
                &impact.to_be_bytes(),
            ],
        );
        let (size, after) = page_args(&mut v, page_size, &page_token, fingerprint);
        v.into_result()?;
        let (Some(crisis_id), Some(only), Some(size)) = (crisis_id, only, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|c| decode_impact_id(&c)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, crisis_id).await?;
        let rows =
            store::list_customers(&mut conn, crisis_id, only, after, i64::from(size) + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fingerprint, |a| {
            encode_impact_id(a.impact, a.customer_id)
        });
        Ok(pb::ListAffectedCustomersResponse {
            customers: rows
                .into_iter()
                .map(|a| pb::AffectedCustomer {
                    customer: names::customer(a.customer_id),
                    impact: impact_wire(a.impact),
                    link_time: Some(timestamp(a.link_time)),
                })
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn link_complaints(
        &self,
        caller: &Caller,
        request: pb::LinkComplaintsRequest,
    ) -> Result<pb::LinkComplaintsResponse, ApiError> {
        let pb::LinkComplaintsRequest { crisis, complaints } = request;
        let mut v = FieldViolations::new();
        let crisis_id = v.check("crisis", names::parse_crisis(&crisis));
        let ids = complaint_ids(&mut v, &complaints);
        v.into_result()?;
        let (Some(crisis_id), Some(ids)) = (crisis_id, ids) else {
            return Err(ApiError::Internal);
        };
        self.check_complaints_exist(caller, &ids).await?;

        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let head = open_crisis(&mut tx, crisis_id).await?;
        let added = store::link_complaints(&mut tx, crisis_id, &ids, "manual", now).await?;
        let counts = if added > 0 {
            announce_complaints_linked(
                &mut tx,
                &head,
                added,
                "manual",
                caller.acting_subject(),
                now,
            )
            .await?
        } else {
            store::add_counts(&mut tx, crisis_id, store::Counts::default(), now).await?
        };
        tx.commit().await?;
        Ok(pb::LinkComplaintsResponse {
            added_count: added,
            complaint_count: counts.complaints,
        })
    }

    pub(super) async fn list_linked_complaints(
        &self,
        _caller: &Caller,
        request: pb::ListLinkedComplaintsRequest,
    ) -> Result<pb::ListLinkedComplaintsResponse, ApiError> {
        let pb::ListLinkedComplaintsRequest {
            crisis,
            page_size,
            page_token,
        } = request;
        let mut v = FieldViolations::new();
        let crisis_id = v.check("crisis", names::parse_crisis(&crisis));
        let fingerprint = Fingerprint::of(
            "ListLinkedComplaints",
            &[crisis_id.unwrap_or_default().as_bytes()],
        );
        let (size, after) = page_args(&mut v, page_size, &page_token, fingerprint);
        v.into_result()?;
        let (Some(crisis_id), Some(size)) = (crisis_id, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|c| decode_time_id(&c)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, crisis_id).await?;
        let rows = store::list_complaints(&mut conn, crisis_id, after, i64::from(size) + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fingerprint, |c| {
            page::encode_time_id(c.link_time, c.complaint_id)
        });
        Ok(pb::ListLinkedComplaintsResponse {
            complaints: rows
                .into_iter()
                .map(|c| pb::LinkedComplaint {
                    complaint: names::complaint(c.complaint_id),
                    source: match c.source.as_str() {
                        "manual" => pb::ComplaintLinkSource::Manual,
                        "scope" => pb::ComplaintLinkSource::Scope,
                        "origin" => pb::ComplaintLinkSource::Origin,
                        _ => pb::ComplaintLinkSource::Unspecified,
                    } as i32,
                    link_time: Some(timestamp(c.link_time)),
                })
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn get_affected_counts(
        &self,
        _caller: &Caller,
        request: pb::GetAffectedCountsRequest,
    ) -> Result<pb::GetAffectedCountsResponse, ApiError> {
        let crisis_id = names::parse_crisis(&request.crisis)
            .map_err(|e| ApiError::invalid("crisis", e.to_string()))?;
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, crisis_id).await?;
        let points = store::count_points(&mut conn, crisis_id, MAX_POINTS).await?;
        Ok(pb::GetAffectedCountsResponse {
            points: points
                .into_iter()
                .map(|(time, c)| pb::AffectedCountPoint {
                    time: Some(timestamp(time)),
                    heavy_customer_count: c.heavy,
                    normal_customer_count: c.normal,
                    complaint_count: c.complaints,
                })
                .collect(),
        })
    }

    /// Checks with the customers service that every customer exists;
    /// NOT_FOUND names the first one it does not know.
    async fn check_customers_exist(&self, caller: &Caller, ids: &[Uuid]) -> Result<(), ApiError> {
        let names: Vec<String> = ids.iter().map(|id| names::customer(*id)).collect();
        let mut client = self.directories.customers.clone();
        match client
            .batch_get_customers(for_person(
                cpb::BatchGetCustomersRequest {
                    names: names.clone(),
                },
                caller,
            )?)
            .await
        {
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::NotFound => Err(ApiError::not_found(
                "Customer",
                named_in(&status, &names).unwrap_or_else(|| "one of the customers".into()),
            )),
            Err(status) => Err(upstream("customers", &status)),
        }
    }

    /// Checks with the complaints service that every complaint exists;
    /// NOT_FOUND names the first one it does not know.
    async fn check_complaints_exist(&self, caller: &Caller, ids: &[Uuid]) -> Result<(), ApiError> {
        let names: Vec<String> = ids.iter().map(|id| names::complaint(*id)).collect();
        let mut client = self.directories.complaints.clone();
        match client
            .batch_get_complaints(for_person(
                redress_proto::complaints::v1::BatchGetComplaintsRequest {
                    names: names.clone(),
                },
                caller,
            )?)
            .await
        {
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::NotFound => Err(ApiError::not_found(
                "Complaint",
                named_in(&status, &names).unwrap_or_else(|| "one of the complaints".into()),
            )),
            Err(status) => Err(upstream("complaints", &status)),
        }
    }
}

/// Whom a link takes.
enum Whom {
    Names(Vec<Uuid>),
    Selector(cpb::CustomerSelector),
}

/// The name among `names` an upstream NOT_FOUND speaks of, from its
/// AIP-193 `ResourceInfo`.
fn named_in(status: &tonic::Status, names: &[String]) -> Option<String> {
    let info = status.get_error_details().resource_info()?.clone();
    names.iter().find(|n| **n == info.resource_name).cloned()
}

/// Another service's failure as this service's error: retryable when it is
/// unreachable or busy, internal otherwise (its code goes to the log).
pub(super) fn upstream(service: &'static str, status: &tonic::Status) -> ApiError {
    match status.code() {
        // The person this service acted for may not do this there: their
        // refusal, not a fault of this service.
        Code::PermissionDenied => ApiError::PermissionDenied {
            reason: "NOT_PERMITTED_UPSTREAM",
            message: format!(
                "the {service} service refused this for the person acting: {}",
                status.message()
            ),
        },
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted => {
            ApiError::Unavailable {
                reason: "DEPENDENCY_UNAVAILABLE",
                message: format!("the {service} service is not reachable now; retry later"),
            }
        }
        code => {
            tracing::error!(service, ?code, "a call to another service failed");
            ApiError::Internal
        }
    }
}

/// Parses 1 to 1000 customer names into distinct ids.
fn customer_ids(v: &mut FieldViolations, given: &[String]) -> Option<Vec<Uuid>> {
    distinct_ids(v, given, "customers.names", names::parse_customer)
}

/// Parses 1 to 1000 complaint names into distinct ids.
fn complaint_ids(v: &mut FieldViolations, given: &[String]) -> Option<Vec<Uuid>> {
    distinct_ids(v, given, "complaints", names::parse_complaint)
}

fn distinct_ids<E: std::fmt::Display>(
    v: &mut FieldViolations,
    given: &[String],
    field: &str,
    parse: impl Fn(&str) -> Result<Uuid, E>,
) -> Option<Vec<Uuid>> {
    if given.is_empty() {
        v.add(field, "needs at least one name");
        return None;
    }
    if given.len() > MAX_NAMES {
        v.add(field, format!("holds more than {MAX_NAMES} names"));
        return None;
    }
    let mut ids = BTreeSet::new();
    let mut bad = false;
    for (i, name) in given.iter().enumerate() {
        match v.check(format!("{field}[{i}]"), parse(name)) {
            Some(id) => {
                ids.insert(id);
            }
            None => bad = true,
        }
    }
    (!bad).then(|| ids.into_iter().collect())
}

/// The stored impact of a requested one: normal when unspecified.
fn impact_code(wire: i32) -> Result<i16, &'static str> {
    match pb::ImpactLevel::try_from(wire) {
        Ok(pb::ImpactLevel::Unspecified | pb::ImpactLevel::Normal) => Ok(NORMAL),
        Ok(pb::ImpactLevel::Heavy) => Ok(HEAVY),
        Err(_) => Err(redress_platform::wire::UNKNOWN),
    }
}

/// The impact a list is filtered to: none when unspecified.
fn impact_filter(wire: i32) -> Result<Option<i16>, &'static str> {
    match pb::ImpactLevel::try_from(wire) {
        Ok(pb::ImpactLevel::Unspecified) => Ok(None),
        Ok(pb::ImpactLevel::Normal) => Ok(Some(NORMAL)),
        Ok(pb::ImpactLevel::Heavy) => Ok(Some(HEAVY)),
        Err(_) => Err(redress_platform::wire::UNKNOWN),
    }
}

fn impact_wire(stored: i16) -> i32 {
    if stored == HEAVY {
        pb::ImpactLevel::Heavy as i32
    } else {
        pb::ImpactLevel::Normal as i32
    }
}

fn encode_impact_id(impact: i16, id: Uuid) -> Vec<u8> {
    let mut bytes = impact.to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    bytes
}

fn decode_impact_id(bytes: &[u8]) -> Result<(i16, Uuid), ApiError> {
    let bad = || ApiError::invalid("page_token", "is not a token of this list");
    if bytes.len() != 18 {
        return Err(bad());
    }
    let impact = i16::from_be_bytes([bytes[0], bytes[1]]);
    let id = Uuid::from_slice(&bytes[2..]).map_err(|_| bad())?;
    Ok((impact, id))
}

pub(super) fn decode_time_id(bytes: &[u8]) -> Result<(Timestamp, Uuid), ApiError> {
    page::decode_time_id(bytes)
        .map_err(|_| ApiError::invalid("page_token", "is not a token of this list"))
}

/// A link as the wire shows it.
fn link_to_wire(link: &Link) -> pb::CustomerLink {
    pb::CustomerLink {
        name: names::child(link.crisis_id, "customerLinks", link.id),
        impact: impact_wire(link.impact),
        selector: link
            .selector
            .as_deref()
            .and_then(|bytes| cpb::CustomerSelector::decode(bytes).ok()),
        state: if link.done {
            pb::CustomerLinkState::Done
        } else {
            pb::CustomerLinkState::Running
        } as i32,
        seen_count: link.seen_count,
        added_count: link.added_count,
        create_time: Some(timestamp(link.create_time)),
        complete_time: timestamp_opt(link.complete_time),
    }
}

#[cfg(test)]
mod props;
