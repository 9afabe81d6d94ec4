//! GetComplaintInsights: what complaints teach over a period (DOMAIN.md,
//! "Complaints are market research"). Series, repeats and causes come from
//! this service's own tables; whether customers came back after a closure,
//! and whether they churned after complaining, is asked of the customers
//! service (GetCustomerOutcomes), which owns transactions and stages.

use std::collections::{BTreeMap, HashMap};

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::wire::{self, WireEnum};
use redress_proto::complaints::v1 as pb;

use super::ComplaintApi;
use crate::domain::insights::{self, Interval};
use crate::domain::names;
use crate::domain::priority::Grade;
use crate::store::insights::{self as store, Period};

/// Series per dimension unless asked otherwise, and at most.
const DEFAULT_SERIES: i32 = 10;
const MAX_SERIES: i32 = 100;
/// Repeat complainers listed.
const TOP_REPEATS: i64 = 20;

impl ComplaintApi {
    pub(super) async fn insights(
        &self,
        caller: &Caller,
        r: pb::GetComplaintInsightsRequest,
    ) -> Result<pb::GetComplaintInsightsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let mut time = |field: &str, value: Option<&prost_types::Timestamp>| match value {
            None => {
                v.add(field, "is required");
                None
            }
            Some(t) => v.check(field, wire::from_timestamp(t)),
        };
        let start = time("start_time", r.start_time.as_ref());
        let end = time("end_time", r.end_time.as_ref());
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            v.add("end_time", "must be after start_time");
        }
        let interval = match pb::InsightInterval::try_from(r.interval) {
            Ok(pb::InsightInterval::Unspecified | pb::InsightInterval::Day) => Some(Interval::Day),
            Ok(pb::InsightInterval::Week) => Some(Interval::Week),
            Err(_) => {
                v.add("interval", "is not a known interval");
                None
            }
        };
        let zone_name = if r.time_zone.is_empty() {
            "UTC"
        } else {
            r.time_zone.as_str()
        };
        let zone = match TimeZone::get(zone_name) {
            Ok(zone) => Some(zone),
            Err(_) => {
                v.add("time_zone", "is not a known IANA time zone");
                None
            }
        };
        let series_limit = match r.series_limit {
            0 => DEFAULT_SERIES,
            n if (1..=MAX_SERIES).contains(&n) => n,
            _ => {
                v.add("series_limit", format!("must be 0 to {MAX_SERIES}"));
                DEFAULT_SERIES
            }
        };
        let return_days = match r.return_window_days {
            0 => self.policies.insights.return_window_days,
            n @ 1..=3660 => n.unsigned_abs(),
            _ => {
                v.add("return_window_days", "must be 0 to 3660");
                0
            }
        };
        let buckets = match (start, end, interval, &zone) {
            (Some(start), Some(end), Some(interval), Some(zone)) if end > start => {
                match insights::buckets(start, end, interval, zone) {
                    Ok(buckets) => buckets,
                    Err(message) => {
                        v.add("end_time", message);
                        Vec::new()
                    }
                }
            }
            _ => Vec::new(),
        };
        v.into_result()?;
        let (Some(start), Some(end), Some(interval)) = (start, end, interval) else {
            return Err(ApiError::Internal);
        };
        let period = Period {
            start,
            end,
            interval,
            zone: zone_name,
        };

        let mut conn = self.pool.acquire().await?;
        let counts = store::series(&mut conn, &period).await?;
        let repeats = store::repeats(&mut conn, start, end, TOP_REPEATS).await?;
        let causes = store::failure_causes(&mut conn, start, end).await?;
        let root_causes = store::root_causes(&mut conn, start, end).await?;
        let closures = store::closures(&mut conn, start, end).await?;
        let firsts = store::first_complaints(&mut conn, start, end).await?;
        let goodwill = crate::store::goodwill::sums_in_period(&mut conn, start, end).await?;
        let surveys = store::surveys(&mut conn, start, end).await?;
        drop(conn);

        let window = SignedDuration::from_hours(i64::from(return_days) * 24);
        let returns: Vec<_> = closures
            .iter()
            .map(|c| (c.customer_id, c.close_time))
            .collect();
        let since: Vec<_> = firsts.iter().map(|(id, (at, _))| (*id, *at)).collect();
        // The two questions are independent; ask them at once.
        let (returns, churn) = tokio::try_join!(
            self.directory.outcomes(Some(caller), &returns, window),
            self.directory.outcomes(Some(caller), &since, window),
        )?;
        let returned = returns.iter().filter(|o| o.returned).count();
        let mut by_grade: BTreeMap<Grade, (i64, i64)> = BTreeMap::new();
        for ((_, (_, grade)), outcome) in firsts.iter().zip(&churn) {
            let grade = Grade::from_code(grade).unwrap_or(Grade::Ungraded);
            let entry = by_grade.entry(grade).or_default();
            entry.0 += 1;
            entry.1 += i64::from(outcome.churned_since);
        }

        let cutoff = self.policies.insights.pareto_cutoff_percent;
        let closed = i64::try_from(closures.len()).unwrap_or(i64::MAX);
        let returned = i64::try_from(returned).unwrap_or(i64::MAX);
        Ok(pb::GetComplaintInsightsResponse {
            bucket_start_times: buckets.iter().map(|t| wire::timestamp(*t)).collect(),
            series: series(&buckets, counts, series_limit),
            repeats: Some(pb::RepeatComplaints {
                customers: repeats.customers,
                repeat_customers: repeats.repeat_customers,
                repeat_complaints: repeats.repeat_complaints,
                top: repeats
                    .top
                    .into_iter()
                    .map(|(id, complaints, categories)| pb::RepeatCustomer {
                        customer: names::customer(id),
                        complaints,
                        categories,
                    })
                    .collect(),
            }),
            failure_causes: insights::pareto(causes, cutoff)
                .into_iter()
                .map(bar)
                .collect(),
            root_causes: insights::pareto(root_causes, cutoff)
                .into_iter()
                .map(bar)
                .collect(),
            recovery: Some(pb::RecoveryOutcomes {
                surveys_invited: surveys.invited,
                surveys_answered: surveys.answered,
                csat_counts: surveys.csat_counts.to_vec(),
                csat_mean: surveys.csat_mean.unwrap_or(0.0),
                satisfaction_mean: surveys.satisfaction_mean.unwrap_or(0.0),
                would_return_share: surveys.would_return_share.unwrap_or(0.0),
                closed,
                returned,
                returned_share: share(returned, closed),
                return_window_days: i32::try_from(return_days).unwrap_or(i32::MAX),
            }),
            churn_by_grade: by_grade
                .into_iter()
                .map(|(grade, (customers, churned))| pb::ChurnAfterComplaint {
                    grade: grade.to_wire(),
                    customers,
                    churned,
                    churn_percent: share(churned, customers) * 100.0,
                })
                .collect(),
            goodwill_totals: super::goodwill::totals(goodwill),
        })
    }
}

/// `part ÷ whole`, 0 when the whole is empty.
fn share(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn bar(b: insights::ParetoBar) -> pb::ParetoBar {
    pb::ParetoBar {
        key: b.key,
        count: b.count,
        share_percent: b.share_percent,
        cumulative_percent: b.cumulative_percent,
        vital: b.vital,
    }
}

/// The largest `limit` keys of each dimension, each with a count per bucket.
fn series(
    buckets: &[jiff::Timestamp],
    counts: Vec<(String, String, jiff::Timestamp, i64)>,
    limit: i32,
) -> Vec<pb::InsightSeries> {
    let index: HashMap<jiff::Timestamp, usize> =
        buckets.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let mut by_key: BTreeMap<(i32, String), Vec<i64>> = BTreeMap::new();
    for (dimension, key, bucket, n) in counts {
        let dimension = match dimension.as_str() {
            "category" => pb::InsightDimension::Category,
            "product" => pb::InsightDimension::Product,
            _ => pb::InsightDimension::Region,
        } as i32;
        let Some(&i) = index.get(&bucket) else {
            tracing::error!("a complaint fell outside the report's buckets");
            continue;
        };
        by_key
            .entry((dimension, key))
            .or_insert_with(|| vec![0; buckets.len()])[i] += n;
    }
    let mut all: Vec<pb::InsightSeries> = by_key
        .into_iter()
        .map(|((dimension, key), counts)| pb::InsightSeries {
            dimension,
            key,
            total: counts.iter().sum(),
            counts,
        })
        .collect();
    all.sort_by(|a, b| {
        a.dimension
            .cmp(&b.dimension)
            .then(b.total.cmp(&a.total))
            .then_with(|| a.key.cmp(&b.key))
    });
    let mut taken: HashMap<i32, i32> = HashMap::new();
    all.retain(|s| {
        let n = taken.entry(s.dimension).or_default();
        *n += 1;
        *n <= limit
    });
    all
}
