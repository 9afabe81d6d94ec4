//! Operations on customer profiles: create, get, batch get, update, list,
//! search by contact, select for a crisis scope, and erase.

use futures::StreamExt;
use redress_platform::audit::AuditEntry;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::Claim;
use redress_platform::page::{self, Fingerprint};
use redress_proto::customers::v1 as pb;
use tonic::Status;
use uuid::Uuid;

use super::convert::{self, ProfileContext};
use super::enums::WireEnum;
use super::{
    CustomerApi, SelectStream, claim, customer_id, customer_not_found, erased, fingerprint, finish,
    mask, reference_taken, replay, request_id, required_part,
};
use crate::domain::contact::{ContactQuery, DefaultRegion};
use crate::domain::names;
use crate::domain::profile::{Identifier, Locale, optional_text};
use crate::store::customers::{self as store, ListFilter, Selector};
use crate::store::standing;

/// Most names a BatchGetCustomers may ask for.
const MAX_BATCH: usize = 1000;

impl CustomerApi {
    fn region(&self) -> DefaultRegion {
        self.settings.region
    }

    pub(super) async fn create(
        &self,
        caller: &Caller,
        request: pb::CreateCustomerRequest,
    ) -> Result<pb::CreateCustomerResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let request_id = request_id(&mut v, &request.request_id);
        let ctx = ProfileContext {
            region: self.region(),
            now,
            previous_consents: &[],
        };
        let profile = required_part(&mut v, "customer", request.customer.as_ref(), |c| {
            convert::profile(c, "customer", ctx)
        });
        v.into_result()?;
        let Some(profile) = profile else {
            return Err(ApiError::Internal);
        };
        let fp = fingerprint(&request, |r| r.request_id.clear());

        let mut tx = self.pool.begin().await?;
        let claim = claim(&mut tx, "CreateCustomer", request_id, caller, &fp).await?;
        if let Claim::Replay(answer) = claim {
            return replay(&answer);
        }
        let id = Uuid::now_v7();
        store::insert(&mut tx, id, &profile, now)
            .await
            .map_err(reference_taken)?;
        let record = store::get(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        let response = pb::CreateCustomerResponse {
            customer: Some(convert::customer(&record)),
        };
        tracing::info!(customer = %names::customer(id), "customer created");
        finish(tx, claim, response).await
    }

    pub(super) async fn get(
        &self,
        request: pb::GetCustomerRequest,
    ) -> Result<pb::GetCustomerResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = customer_id(&mut v, "name", &request.name);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let record = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| customer_not_found(id))?;
        Ok(pb::GetCustomerResponse {
            customer: Some(convert::customer(&record)),
        })
    }

    pub(super) async fn batch_get(
        &self,
        request: pb::BatchGetCustomersRequest,
    ) -> Result<pb::BatchGetCustomersResponse, ApiError> {
        let mut v = FieldViolations::new();
        if request.names.is_empty() {
            v.add("names", "is required");
        }
        if request.names.len() > MAX_BATCH {
            v.add("names", format!("holds more than {MAX_BATCH} names"));
        }
        let ids: Vec<Uuid> = request
            .names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| customer_id(&mut v, &format!("names[{i}]"), name))
            .collect();
        v.into_result()?;
        let mut conn = self.pool.acquire().await?;
        let records = store::get_many(&mut conn, &ids).await?;
        if records.len() != ids.len() {
            let missing = ids
                .iter()
                .find(|id| !records.iter().any(|r| r.id == **id))
                .copied()
                .unwrap_or_default();
            return Err(customer_not_found(missing));
        }
        Ok(pb::BatchGetCustomersResponse {
            customers: records.iter().map(convert::customer).collect(),
        })
    }

    pub(super) async fn update(
        &self,
        request: pb::UpdateCustomerRequest,
    ) -> Result<pb::UpdateCustomerResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let Some(given) = request.customer else {
            return Err(ApiError::invalid("customer", "is required"));
        };
        let id = customer_id(&mut v, "customer.name", &given.name);
        let paths = match mask::paths(request.update_mask.as_ref(), &given) {
            Ok(paths) => Some(paths),
            Err(errors) => {
                v.merge(errors);
                None
            }
        };
        v.into_result()?;
        let (Some(id), Some(paths)) = (id, paths) else {
            return Err(ApiError::Internal);
        };

        let mut tx = self.pool.begin().await?;
        let before = store::lock(&mut tx, id)
            .await?
            .ok_or_else(|| customer_not_found(id))?;
        if before.erase_time.is_some() {
            return Err(erased(before.id));
        }
        if !given.etag.is_empty() && given.etag != before.etag() {
            return Err(ApiError::Aborted {
                reason: "ETAG_MISMATCH",
                message: "the customer changed since it was read; read it again and retry".into(),
            });
        }
        let merged = mask::merge(convert::customer(&before), given, &paths);
        let ctx = ProfileContext {
            region: self.region(),
            now,
            previous_consents: &before.consents,
        };
        let profile = convert::profile(&merged, "customer", ctx)?;
        store::update(&mut tx, &before, &profile, now)
            .await
            .map_err(reference_taken)?;
        if before.size != profile.size {
            standing::refresh(&mut tx, id, now, &self.policies).await?;
        }
        let after = store::get(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        tx.commit().await?;
        Ok(pb::UpdateCustomerResponse {
            customer: Some(convert::customer(&after)),
        })
    }

    pub(super) async fn list(
        &self,
        request: pb::ListCustomersRequest,
    ) -> Result<pb::ListCustomersResponse, ApiError> {
        let pb::ListCustomersRequest {
            page_size,
            page_token,
            value_grade,
            size,
            lifecycle_stage,
            tag,
            locale,
            query,
        } = &request;
        let mut v = FieldViolations::new();
        let filter = ListFilter {
            grade: v
                .check("value_grade", WireEnum::from_wire(*value_grade))
                .flatten(),
            size: v.check("size", WireEnum::from_wire(*size)).flatten(),
            stage: v
                .check("lifecycle_stage", WireEnum::from_wire(*lifecycle_stage))
                .flatten(),
            tag: if tag.is_empty() {
                None
            } else {
                v.check("tag", Identifier::parse(tag))
                    .map(|t| t.as_str().to_string())
            },
            locale: if locale.is_empty() {
                None
            } else {
                v.check("locale", Locale::parse(locale))
                    .map(|l| l.as_str().to_string())
            },
            query: v
                .check("query", optional_text(query, 200))
                .filter(|q| !q.is_empty()),
        };
        let fingerprint = Fingerprint::of(
            "ListCustomers",
            &[
                &value_grade.to_be_bytes(),
                &size.to_be_bytes(),
                &lifecycle_stage.to_be_bytes(),
                tag.as_bytes(),
                locale.as_bytes(),
                query.as_bytes(),
            ],
        );
        let (size_limit, cursor) = page::page_args(&mut v, *page_size, page_token, fingerprint);
        let after = cursor.and_then(|c| match Uuid::from_slice(&c) {
            Ok(id) => Some(id),
            Err(_) => {
                v.add("page_token", "page token is not valid");
                None
            }
        });
        v.into_result()?;
        let limit = size_limit.ok_or(ApiError::Internal)?;
        let mut conn = self.pool.acquire().await?;
        let rows = store::list(&mut conn, &filter, after, limit + 1).await?;
        let (rows, next_page_token) =
            page::next_page(rows, limit, fingerprint, |r| r.id.as_bytes().to_vec());
        Ok(pb::ListCustomersResponse {
            customers: rows.iter().map(convert::customer).collect(),
            next_page_token,
        })
    }

    pub(super) async fn search(
        &self,
        request: pb::SearchCustomersByContactRequest,
    ) -> Result<pb::SearchCustomersByContactResponse, ApiError> {
        let mut v = FieldViolations::new();
        let query = v.check("query", ContactQuery::parse(&request.query, self.region()));
        let limit = v.check("page_size", page::page_size(request.page_size));
        v.into_result()?;
        let (Some(query), Some(limit)) = (query, limit) else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        let records = store::find_by_contact(&mut conn, query.normalised(), limit).await?;
        Ok(pb::SearchCustomersByContactResponse {
            customers: records.iter().map(convert::customer).collect(),
            normalized_query: query.to_string(),
        })
    }

    pub(super) fn select(
        &self,
        request: pb::SelectCustomersRequest,
    ) -> Result<SelectStream, ApiError> {
        let (selector, batch) = parse_selector(&request)?;
        let pool = self.pool.clone();
        let (sender, receiver) =
            tokio::sync::mpsc::channel::<Result<pb::SelectCustomersResponse, Status>>(2);
        tokio::spawn(async move {
            let mut after = Uuid::nil();
            loop {
                let ids = match pool.acquire().await {
                    Ok(mut conn) => store::select_ids(&mut conn, &selector, after, batch).await,
                    Err(e) => Err(e.into()),
                };
                let ids = match ids {
                    Ok(ids) => ids,
                    Err(e) => {
                        let _ = sender
                            .send(Err(ApiError::from(e).into_status(super::DOMAIN)))
                            .await;
                        return;
                    }
                };
                let Some(last) = ids.last().copied() else {
                    return;
                };
                let full = ids.len() == batch as usize;
                let names = ids.into_iter().map(names::customer).collect();
                if sender
                    .send(Ok(pb::SelectCustomersResponse { names }))
                    .await
                    .is_err()
                {
                    return; // The caller went away.
                }
                if !full {
                    return;
                }
                after = last;
            }
        });
        Ok(tokio_stream::wrappers::ReceiverStream::new(receiver).boxed())
    }

    pub(super) async fn erase(
        &self,
        caller: &Caller,
        request: pb::EraseCustomerRequest,
    ) -> Result<pb::EraseCustomerResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let id = customer_id(&mut v, "name", &request.name);
        let reason = v.check(
            "reason",
            crate::domain::profile::required_text(&request.reason, 500),
        );
        v.into_result()?;
        let (Some(id), Some(reason)) = (id, reason) else {
            return Err(ApiError::Internal);
        };
        let mut tx = self.pool.begin().await?;
        let before = store::lock(&mut tx, id)
            .await?
            .ok_or_else(|| customer_not_found(id))?;
        if before.erase_time.is_none() {
            store::erase(&mut tx, id, &reason, now).await?;
            AuditEntry::by(
                caller,
                super::audit::CUSTOMER_ERASED,
                "EraseCustomer",
                names::customer(id),
                now,
            )
            .record(&mut tx)
            .await?;
            tracing::info!(customer = %names::customer(id), "customer erased");
        }
        let after = store::get(&mut tx, id).await?.ok_or(ApiError::Internal)?;
        tx.commit().await?;
        Ok(pb::EraseCustomerResponse {
            customer: Some(convert::customer(&after)),
        })
    }
}

/// Default and largest SelectCustomers batch.
const DEFAULT_BATCH: u32 = 500;
const MAX_BATCH_SIZE: u32 = 1000;
/// Most values each of a selector's lists may hold.
const MAX_SELECTOR_VALUES: usize = 100;

fn parse_selector(request: &pb::SelectCustomersRequest) -> Result<(Selector, u32), ApiError> {
    let mut v = FieldViolations::new();
    let batch = match request.batch_size {
        n if n < 0 => {
            v.add("batch_size", "must not be negative");
            0
        }
        0 => DEFAULT_BATCH,
        n => (n as u32).min(MAX_BATCH_SIZE),
    };
    let default = pb::CustomerSelector::default();
    let pb::CustomerSelector {
        value_grades,
        sizes,
        lifecycle_stages,
        tags,
        locales,
        region_codes,
    } = request.selector.as_ref().unwrap_or(&default);
    fn each<T: WireEnum>(v: &mut FieldViolations, field: &str, raw: &[i32]) -> Vec<T> {
        v.bounded(&format!("selector.{field}"), raw, MAX_SELECTOR_VALUES)
            .iter()
            .enumerate()
            .filter_map(|(i, value)| match T::from_wire(*value) {
                Ok(Some(x)) => Some(x),
                Ok(None) => {
                    v.add(format!("selector.{field}[{i}]"), "must not be UNSPECIFIED");
                    None
                }
                Err(e) => {
                    v.add(format!("selector.{field}[{i}]"), e);
                    None
                }
            })
            .collect()
    }
    let selector = Selector {
        grades: each(&mut v, "value_grades", value_grades),
        sizes: each(&mut v, "sizes", sizes),
        stages: each(&mut v, "lifecycle_stages", lifecycle_stages),
        tags: v
            .bounded("selector.tags", tags, MAX_SELECTOR_VALUES)
            .iter()
            .enumerate()
            .filter_map(|(i, t)| v.check(format!("selector.tags[{i}]"), Identifier::parse(t)))
            .map(|t| t.as_str().to_string())
            .collect(),
        locales: v
            .bounded("selector.locales", locales, MAX_SELECTOR_VALUES)
            .iter()
            .enumerate()
            .filter_map(|(i, l)| v.check(format!("selector.locales[{i}]"), Locale::parse(l)))
            .map(|l| l.as_str().to_string())
            .collect(),
        region_codes: v
            .bounded("selector.region_codes", region_codes, MAX_SELECTOR_VALUES)
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let code = r.trim().to_ascii_uppercase();
                if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
                    Some(code)
                } else {
                    v.add(
                        format!("selector.region_codes[{i}]"),
                        "must be an ISO 3166-1 two-letter code",
                    );
                    None
                }
            })
            .collect(),
    };
    v.into_result()?;
    Ok((selector, batch))
}

#[cfg(test)]
mod props;
