//! API tests of GetComplaintInsights: what complaints teach. Complaints are
//! taken in on different days by moving the shared clock; the report cuts
//! them into the reader's days and weeks, finds repeat complainers, ranks the
//! failure causes, and asks the customers service who came back and who
//! churned.

mod support;

use jiff::{SignedDuration, Timestamp};
use redress_platform::auth::Role;
use support::*;
use tonic::Code;

fn ts(t: Timestamp) -> prost_types::Timestamp {
    redress_platform::wire::timestamp(t)
}

fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

/// A complaint of `customer` in `category` about `product` in `region`.
fn about(customer: &str, category: &str, product: &str, region: &str) -> pb::Complaint {
    pb::Complaint {
        category: category.into(),
        product: product.into(),
        region: region.into(),
        ..complaint(customer)
    }
}

fn request(start: Timestamp, end: Timestamp) -> pb::GetComplaintInsightsRequest {
    pb::GetComplaintInsightsRequest {
        start_time: Some(ts(start)),
        end_time: Some(ts(end)),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn complaints_are_counted_per_day_of_the_readers_zone_and_ranked_by_cause() {
    // Arrange: from Monday 12:00 UTC, over three days, five complaints from
    // two customers; the one at 23:30 UTC on Monday is Tuesday in Tokyo.
    let app = spawn_app().await;
    let start = app.now();
    let ada = app.customer("Ada").await;
    let bob = app.customer("Bob").await;
    let mut agent = app.agent("agent-1");
    app.create_as(
        &mut agent,
        about(&ada, "too_slow/late_delivery", "parcel", "NL"),
    )
    .await;
    app.advance(SignedDuration::from_mins(11 * 60 + 30));
    app.create_as(&mut agent, about(&ada, "incorrect", "parcel", "NL"))
        .await;
    app.advance(hours(24));
    app.create_as(&mut agent, about(&bob, "too_slow", "letter", "BE"))
        .await;
    app.advance(hours(24));
    app.create_as(
        &mut agent,
        about(&ada, "too_slow/late_delivery", "parcel", ""),
    )
    .await;
    // An inquiry is not a complaint and is not counted.
    app.create_as(
        &mut agent,
        pb::Complaint {
            kind: pb::ComplaintKind::Inquiry.into(),
            ..about(&bob, "too_slow", "letter", "BE")
        },
    )
    .await;
    let end = start + hours(72);
    let mut supervisor = app.supervisor();

    // Act
    let utc = supervisor
        .get_complaint_insights(request(start, end))
        .await
        .expect("insights")
        .into_inner();
    let tokyo = supervisor
        .get_complaint_insights(pb::GetComplaintInsightsRequest {
            time_zone: "Asia/Tokyo".into(),
            ..request(start, end)
        })
        .await
        .expect("insights")
        .into_inner();

    // Assert: UTC days Monday to Thursday (the period ends Thursday noon).
    assert_eq!(utc.bucket_start_times.len(), 4);
    assert_eq!(
        utc.bucket_start_times[0],
        ts("2026-11-23T00:00:00Z".parse().expect("a time"))
    );
    let series = |r: &pb::GetComplaintInsightsResponse, d: pb::InsightDimension, key: &str| {
        r.series
            .iter()
            .find(|s| s.dimension == d as i32 && s.key == key)
            .map(|s| s.counts.clone())
            .unwrap_or_default()
    };
    use pb::InsightDimension::{Category, Product, Region};
    assert_eq!(series(&utc, Category, "too_slow"), [1, 1, 1, 0]);
    assert_eq!(series(&utc, Category, "incorrect"), [1, 0, 0, 0]);
    assert_eq!(series(&utc, Product, "parcel"), [2, 0, 1, 0]);
    assert_eq!(series(&utc, Region, ""), [0, 0, 1, 0]);
    // The largest series of a dimension comes first.
    let categories: Vec<&str> = utc
        .series
        .iter()
        .filter(|s| s.dimension == Category as i32)
        .map(|s| s.key.as_str())
        .collect();
    assert_eq!(categories, ["too_slow", "incorrect"]);
    // In Tokyo (UTC+9) the days start at 15:00 UTC the day before, and
    // 23:30 UTC is 08:30 the next day.
    assert_eq!(tokyo.bucket_start_times.len(), 4);
    assert_eq!(
        tokyo.bucket_start_times[0],
        ts("2026-11-22T15:00:00Z".parse().expect("a time"))
    );
    assert_eq!(series(&tokyo, Category, "incorrect"), [0, 1, 0, 0]);
    assert_eq!(series(&tokyo, Category, "too_slow"), [1, 0, 1, 1]);

    // Ada complained three times: two repeats.
    let repeats = utc.repeats.expect("repeats");
    assert_eq!(
        (
            repeats.customers,
            repeats.repeat_customers,
            repeats.repeat_complaints
        ),
        (2, 1, 2)
    );
    assert_eq!(repeats.top.len(), 1);
    assert_eq!(repeats.top[0].customer, ada);
    assert_eq!(repeats.top[0].complaints, 3);
    assert_eq!(repeats.top[0].categories, ["too_slow", "incorrect"]);

    // Too slow is 3 of 4: the vital few reach 80 % with the second bar.
    let causes: Vec<(&str, i64, bool)> = utc
        .failure_causes
        .iter()
        .map(|b| (b.key.as_str(), b.count, b.vital))
        .collect();
    assert_eq!(causes, [("too_slow", 3, true), ("incorrect", 1, true)]);
    assert_eq!(utc.failure_causes[0].share_percent, 75.0);
    assert_eq!(utc.failure_causes[1].cumulative_percent, 100.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn weekly_series_start_on_monday() {
    let app = spawn_app().await;
    let customer = app.customer("Ada").await;
    let mut agent = app.agent("agent-1");
    let start = app.now();
    for _ in 0..3 {
        app.create_as(&mut agent, complaint(&customer)).await;
        app.advance(hours(24 * 5));
    }
    let insights = app
        .supervisor()
        .get_complaint_insights(pb::GetComplaintInsightsRequest {
            interval: pb::InsightInterval::Week.into(),
            ..request(start, app.now())
        })
        .await
        .expect("insights")
        .into_inner();
    // Days 0, 5 and 10 from a Monday: weeks 1, 1 and 2.
    assert_eq!(insights.bucket_start_times.len(), 3);
    let too_slow = insights
        .series
        .iter()
        .find(|s| s.dimension == pb::InsightDimension::Category as i32)
        .expect("a category series");
    assert_eq!(too_slow.counts, [2, 1, 0]);
    assert_eq!(too_slow.total, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_insights_request_names_every_bad_field() {
    let app = spawn_app().await;
    let now = app.now();
    let status = app
        .supervisor()
        .get_complaint_insights(pb::GetComplaintInsightsRequest {
            start_time: Some(ts(now)),
            end_time: Some(ts(now - hours(1))),
            interval: 9,
            time_zone: "Mars/Olympus".into(),
            series_limit: 1000,
            return_window_days: -1,
        })
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &[
            "end_time",
            "interval",
            "time_zone",
            "series_limit",
            "return_window_days",
        ],
    );
    let status = app
        .supervisor()
        .get_complaint_insights(request(now - hours(24 * 3000), now))
        .await
        .expect_err("too many days");
    assert_invalid(&status, &["end_time"]);
    // Agents work complaints; the figures are for those who oversee them.
    let status = app
        .client_as("agent-1", &[Role::Agent], None)
        .get_complaint_insights(request(now - hours(1), now))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::PermissionDenied);
}

/// Walks `name` from received to closed as `agent-1`, the closure allowed
/// by a supervisor (the recovery plan is not what these tests are about).
async fn close(app: &TestApp, name: &str) {
    let mut agent = app.agent("agent-1");
    agent
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: name.into(),
            ..Default::default()
        })
        .await
        .expect("acknowledged");
    agent
        .start_investigation(pb::StartInvestigationRequest {
            name: name.into(),
            ..Default::default()
        })
        .await
        .expect("investigating");
    agent
        .propose_resolution(pb::ProposeResolutionRequest {
            name: name.into(),
            resolution: "A refund".into(),
            ..Default::default()
        })
        .await
        .expect("proposed");
    agent
        .accept_resolution(pb::AcceptResolutionRequest {
            name: name.into(),
            root_cause: Some(pb::RootCause {
                category: "supplier".into(),
                detail: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("resolved");
    app.supervisor()
        .close_complaint(pb::CloseComplaintRequest {
            name: name.into(),
            override_reason: "Closed for the figures".into(),
            ..Default::default()
        })
        .await
        .expect("closed");
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_who_buy_again_after_closure_count_as_returned_and_root_causes_are_ranked() {
    // Arrange: two customers' complaints are closed; ten days later one of
    // them buys again; a third complaint stays open.
    let app = spawn_app().await;
    let start = app.now();
    let ada = app.customer("Ada").await;
    let bob = app.customer("Bob").await;
    let mut agent = app.agent("agent-1");
    let first = app.create_as(&mut agent, complaint(&ada)).await;
    let second = app.create_as(&mut agent, complaint(&bob)).await;
    app.create_as(&mut agent, complaint(&bob)).await;
    close(&app, &first.name).await;
    close(&app, &second.name).await;
    app.advance(hours(24 * 10));
    app.customers()
        .record_transaction(cpb::RecordTransactionRequest {
            parent: ada.clone(),
            transaction: Some(cpb::Transaction {
                kind: cpb::TransactionKind::Purchase.into(),
                amount: Some(redress_proto::google::r#type::Money {
                    currency_code: "EUR".into(),
                    units: 40,
                    nanos: 0,
                }),
                occur_time: Some(ts(app.now())),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("a purchase");

    // Act: a 30-day window, then a 5-day one.
    let insights = |days: i32| {
        let mut supervisor = app.supervisor();
        let end = app.now();
        async move {
            supervisor
                .get_complaint_insights(pb::GetComplaintInsightsRequest {
                    return_window_days: days,
                    ..request(start, end)
                })
                .await
                .expect("insights")
                .into_inner()
        }
    };
    let month = insights(30).await;
    let days = insights(5).await;

    // Assert
    let recovery = month.recovery.expect("recovery");
    assert_eq!(
        (
            recovery.closed,
            recovery.returned,
            recovery.return_window_days
        ),
        (2, 1, 30)
    );
    assert_eq!(recovery.returned_share, 0.5);
    let recovery = days.recovery.expect("recovery");
    assert_eq!((recovery.closed, recovery.returned), (2, 0));
    // Both complained as grade D (no purchases then); neither churned.
    let churn: Vec<(i32, i64, i64)> = month
        .churn_by_grade
        .iter()
        .map(|c| (c.grade, c.customers, c.churned))
        .collect();
    assert_eq!(churn, [(pb::CustomerGrade::D as i32, 2, 0)]);
    let causes: Vec<(&str, i64)> = month
        .root_causes
        .iter()
        .map(|b| (b.key.as_str(), b.count))
        .collect();
    assert_eq!(causes, [("supplier", 2)]);
}
