//! API tests of the crisis-scale reads: SelectCustomers streams the names of
//! thousands of customers in batches, each exactly once and in order, and a
//! selector narrows them; GetChurnReport compares churn per grade and size
//! with the period before, built by moving the service's clock.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use redress_customers::Settings;
use redress_customers::domain::churn::ChurnPolicy;
use redress_customers::domain::lifecycle::{ChurnDays, LifecyclePolicy};
use redress_platform::auth::Role;
use support::*;

// ---- SelectCustomers -------------------------------------------------------

/// How many customers the selection tests insert.
const CUSTOMERS: i64 = 3_000;

/// The attributes of the `i`th inserted customer; the SQL in
/// [`insert_customers`] builds the same from `generate_series`.
#[derive(Debug)]
struct Generated {
    locale: Option<&'static str>,
    size: Option<pb::CustomerSize>,
    grade: pb::ValueGrade,
    stage: pb::LifecycleStage,
    tags: Vec<&'static str>,
    region: Option<&'static str>,
    erased: bool,
}

fn generated(i: i64) -> Generated {
    use pb::{CustomerSize as S, LifecycleStage as L, ValueGrade as G};
    let mut tags = Vec::new();
    if i % 3 == 0 {
        tags.push("vip");
    }
    if i % 7 == 0 {
        tags.push("retail");
    }
    Generated {
        locale: [
            Some("nl-NL"),
            Some("zh-Hant-TW"),
            Some("zh"),
            Some("en-GB"),
            None,
        ][(i % 5) as usize],
        size: [Some(S::Large), Some(S::Medium), Some(S::Small), None][(i % 4) as usize],
        grade: [G::A, G::B, G::C, G::D][((i / 4) % 4) as usize],
        stage: [
            L::Prospect,
            L::Established,
            L::Mature,
            L::Declining,
            L::Churned,
            L::Reactivated,
        ][(i % 6) as usize],
        tags,
        region: match i % 10 {
            0 => Some("NL"),
            5 => Some("BE"),
            _ => None,
        },
        erased: i % 97 == 0,
    }
}

/// Inserts [`CUSTOMERS`] customers straight into the schema as the admin,
/// and returns each one's name with its number `i`.
async fn insert_customers(app: &TestApp) -> BTreeMap<String, i64> {
    let admin = app.db.admin_pool();
    sqlx::query(
        "INSERT INTO customers.customers
             (id, display_name, kind, locale, size, value_grade, lifecycle_stage, tags,
              external_reference, create_time, update_time, erase_time)
         SELECT gen_random_uuid(), 'Customer ' || i, 'organisation',
                (ARRAY['nl-NL', 'zh-Hant-TW', 'zh', 'en-GB', NULL])[i % 5 + 1],
                (ARRAY['large', 'medium', 'small', NULL])[i % 4 + 1],
                (ARRAY['A', 'B', 'C', 'D'])[(i / 4) % 4 + 1],
                (ARRAY['prospect', 'established', 'mature', 'declining', 'churned',
                       'reactivated'])[i % 6 + 1],
                array_remove(ARRAY[CASE WHEN i % 3 = 0 THEN 'vip' END,
                                   CASE WHEN i % 7 = 0 THEN 'retail' END], NULL),
                'ext-' || i, now(), now(),
                CASE WHEN i % 97 = 0 THEN now() END
         FROM generate_series(1, $1::bigint) AS i",
    )
    .bind(CUSTOMERS)
    .execute(admin)
    .await
    .expect("customers inserted");
    sqlx::query(
        "INSERT INTO customers.contact_points (customer_id, position, kind, postal, region_code)
         SELECT id, 0, 'postal',
                jsonb_build_object('lines', jsonb_build_array('Street 1'), 'locality', 'Town',
                                   'administrative_area', '', 'postal_code', '1000',
                                   'region_code', r.code),
                r.code
         FROM customers.customers,
              LATERAL (SELECT CASE split_part(external_reference, '-', 2)::int % 10
                                WHEN 0 THEN 'NL' WHEN 5 THEN 'BE' END AS code) r
         WHERE r.code IS NOT NULL",
    )
    .execute(admin)
    .await
    .expect("postal addresses inserted");
    let rows: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, external_reference FROM customers.customers")
            .fetch_all(admin)
            .await
            .expect("customers read back");
    rows.into_iter()
        .map(|(id, reference)| {
            let i = reference
                .strip_prefix("ext-")
                .and_then(|n| n.parse().ok())
                .expect("ext-<i>");
            (format!("customers/{id}"), i)
        })
        .collect()
}

/// The names of the customers for which `keep` holds, in id order (the
/// order of the map's hyphenated lower-case UUIDs is their id order).
fn expected(customers: &BTreeMap<String, i64>, keep: impl Fn(&Generated) -> bool) -> Vec<String> {
    customers
        .iter()
        .filter(|(_, i)| {
            let g = generated(**i);
            !g.erased && keep(&g)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Runs a selection and returns its batches.
async fn select(
    app: &TestApp,
    selector: pb::CustomerSelector,
    batch_size: i32,
) -> Vec<Vec<String>> {
    let mut client = app.client(&[Role::CrisisManager]);
    tokio::time::timeout(Duration::from_secs(60), async move {
        let mut stream = client
            .select_customers(pb::SelectCustomersRequest {
                selector: Some(selector),
                batch_size,
            })
            .await
            .expect("the selection starts")
            .into_inner();
        let mut batches = Vec::new();
        while let Some(batch) = stream.message().await.expect("the selection streams") {
            batches.push(batch.names);
        }
        batches
    })
    .await
    .expect("the selection ends")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_customer_is_streamed_exactly_once_in_id_order_in_full_batches() {
    // Arrange
    let app = spawn_app().await;
    let customers = insert_customers(&app).await;

    // Act
    let batches = select(&app, pb::CustomerSelector::default(), 0).await;

    // Assert: 2,970 customers (30 erased are left out) in batches of 500.
    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
    assert_eq!(sizes, [500, 500, 500, 500, 500, 470]);
    let streamed = batches.concat();
    let ids: Vec<uuid::Uuid> = streamed.iter().map(|n| id_of(n)).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "strictly ascending ids"
    );
    assert_eq!(streamed, expected(&customers, |_| true));
}

/// Which generated customers a selector case should take.
type Keep = Box<dyn Fn(&Generated) -> bool>;

#[tokio::test(flavor = "multi_thread")]
async fn a_selector_narrows_the_selection_and_combines_its_lists() {
    // Arrange
    let app = spawn_app().await;
    let customers = insert_customers(&app).await;
    let cases: Vec<(&str, pb::CustomerSelector, Keep)> = vec![
        (
            "large or medium A or B customers tagged vip, speaking Chinese",
            pb::CustomerSelector {
                value_grades: vec![pb::ValueGrade::A.into(), pb::ValueGrade::B.into()],
                sizes: vec![
                    pb::CustomerSize::Large.into(),
                    pb::CustomerSize::Medium.into(),
                ],
                tags: vec!["VIP".into()],
                locales: vec!["zh".into()],
                ..Default::default()
            },
            Box::new(|g: &Generated| {
                matches!(g.grade, pb::ValueGrade::A | pb::ValueGrade::B)
                    && matches!(
                        g.size,
                        Some(pb::CustomerSize::Large | pb::CustomerSize::Medium)
                    )
                    && g.tags.contains(&"vip")
                    && g.locale.is_some_and(|l| l == "zh" || l.starts_with("zh-"))
            }),
        ),
        (
            "declining or churned customers tagged retail or vip",
            pb::CustomerSelector {
                lifecycle_stages: vec![
                    pb::LifecycleStage::Declining.into(),
                    pb::LifecycleStage::Churned.into(),
                ],
                tags: vec!["retail".into(), "vip".into()],
                ..Default::default()
            },
            Box::new(|g: &Generated| {
                matches!(
                    g.stage,
                    pb::LifecycleStage::Declining | pb::LifecycleStage::Churned
                ) && !g.tags.is_empty()
            }),
        ),
        (
            "customers with a postal address in the Netherlands",
            pb::CustomerSelector {
                region_codes: vec!["nl".into()],
                ..Default::default()
            },
            Box::new(|g: &Generated| g.region == Some("NL")),
        ),
        (
            "English or Dutch speakers in the Benelux",
            pb::CustomerSelector {
                locales: vec!["en".into(), "nl".into()],
                region_codes: vec!["NL".into(), "BE".into()],
                ..Default::default()
            },
            Box::new(|g: &Generated| {
                g.locale
                    .is_some_and(|l| l.starts_with("en-") || l.starts_with("nl-"))
                    && g.region.is_some()
            }),
        ),
    ];

    for (case, selector, keep) in cases {
        // Act
        let batches = select(&app, selector, 7).await;

        // Assert
        let want = expected(&customers, keep);
        assert!(!want.is_empty(), "{case}: the data set has such customers");
        assert!(
            batches.iter().all(|b| !b.is_empty() && b.len() <= 7),
            "{case}"
        );
        assert_eq!(batches.concat(), want, "{case}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_selector_gets_one_violation_per_bad_value() {
    let app = spawn_app().await;
    let status = app
        .client(&[Role::Communications])
        .select_customers(pb::SelectCustomersRequest {
            selector: Some(pb::CustomerSelector {
                value_grades: vec![pb::ValueGrade::A.into(), 9],
                sizes: vec![0],
                lifecycle_stages: vec![pb::LifecycleStage::Mature.into()],
                tags: vec!["Bad Tag".into()],
                locales: vec!["??".into()],
                region_codes: vec!["NLD".into()],
            }),
            batch_size: -1,
        })
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &[
            "batch_size",
            "selector.value_grades[1]",
            "selector.sizes[0]",
            "selector.tags[0]",
            "selector.locales[0]",
            "selector.region_codes[0]",
        ],
    );
}

// ---- GetChurnReport ---------------------------------------------------------

/// Every size churns after 100 days without a purchase (declining after 50),
/// grades never drop for recency, and a watched group of at least three
/// customers whose churn rises by more than 10 points is flagged.
fn churn_settings() -> Settings {
    let mut settings = test_settings();
    settings.lifecycle = LifecyclePolicy {
        churn_after_days: ChurnDays {
            large: 100,
            medium: 100,
            small: 100,
            unknown: 100,
        },
        ..LifecyclePolicy::default()
    };
    settings.grading.recency_days = 1_000;
    settings.churn = ChurnPolicy {
        rise_threshold_points: 10.0,
        min_active: 3,
    };
    settings
}

fn report_request(start: Timestamp, end: Timestamp) -> pb::GetChurnReportRequest {
    pb::GetChurnReportRequest {
        start_time: Some(ts(start)),
        end_time: Some(ts(end)),
    }
}

fn row(
    group: pb::churn_row::Group,
    active_at_start: i64,
    churned: i64,
    churn_rate_percent: f64,
    flagged: bool,
) -> pb::ChurnRow {
    pb::ChurnRow {
        group: Some(group),
        active_at_start,
        churned,
        churn_rate_percent,
        previous_churn_rate_percent: 0.0,
        flagged,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rising_churn_among_large_and_b_grade_customers_is_a_warning() {
    // Arrange: four large customers buying big (grade B) and four small ones
    // buying little (grade C), all on day 0.
    let app = spawn_app_with(churn_settings()).await;
    let day0 = app.now();
    let mut large = Vec::new();
    let mut small = Vec::new();
    for n in 0..4 {
        let customer = app
            .create(organisation(&format!("Large {n}"), pb::CustomerSize::Large))
            .await;
        let customer = app.purchase(&customer.name, 10_000, day0).await;
        assert_eq!(customer.value_grade, pb::ValueGrade::B as i32);
        large.push(customer);
        let customer = app
            .create(organisation(&format!("Small {n}"), pb::CustomerSize::Small))
            .await;
        let customer = app.purchase(&customer.name, 250, day0).await;
        assert_eq!(customer.value_grade, pb::ValueGrade::C as i32);
        small.push(customer);
    }
    // Day 60: all are declining; half of each group buy again.
    app.advance_days(60);
    assert_eq!(app.review().await, 8);
    for customer in [&large[0], &large[1], &small[0], &small[1]] {
        app.purchase(&customer.name, 10, app.now()).await;
    }
    // Day 130: the other half went 100 days without buying and churned on day 100.
    app.advance_days(70);
    app.review().await;
    for customer in [&large[2], &large[3], &small[2], &small[3]] {
        let customer = app.get(&customer.name).await;
        assert_eq!(customer.lifecycle_stage, pb::LifecycleStage::Churned as i32);
    }
    let day = |n: i64| day0 + SignedDuration::from_hours(24 * n);
    let mut manager = app.client(&[Role::CrisisManager]);

    // Act: days 65 to 130, compared with days 0 to 65.
    let report = manager
        .get_churn_report(report_request(day(65), day(130)))
        .await
        .expect("a report")
        .into_inner();

    // Assert
    use pb::churn_row::Group::{Size, ValueGrade as Grade};
    let grade = |g: pb::ValueGrade| Grade(g.into());
    let size = |s: pb::CustomerSize| Size(s.into());
    assert_eq!(
        report.by_grade,
        [
            row(grade(pb::ValueGrade::A), 0, 0, 0.0, false),
            row(grade(pb::ValueGrade::B), 4, 2, 50.0, true),
            row(grade(pb::ValueGrade::C), 4, 2, 50.0, false),
            row(grade(pb::ValueGrade::D), 0, 0, 0.0, false),
        ]
    );
    assert_eq!(
        report.by_size,
        [
            row(size(pb::CustomerSize::Large), 4, 2, 50.0, true),
            row(size(pb::CustomerSize::Medium), 0, 0, 0.0, false),
            row(size(pb::CustomerSize::Small), 4, 2, 50.0, false),
            row(size(pb::CustomerSize::Unspecified), 0, 0, 0.0, false),
        ]
    );
    assert!(report.warning);
    assert_eq!(report.rise_threshold_points, 10.0);
    assert_eq!(report.previous_start_time, Some(ts(day0)));

    // The period before saw no churn and raises no warning.
    let quiet = manager
        .get_churn_report(report_request(day0, day(65)))
        .await
        .expect("a report")
        .into_inner();
    assert!(!quiet.warning);
    assert!(quiet.by_size.iter().all(|r| r.churned == 0 && !r.flagged));
    assert_eq!(
        quiet.by_size[0],
        row(size(pb::CustomerSize::Large), 4, 0, 0.0, false)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_churn_report_needs_a_past_period_that_ends_after_it_starts() {
    let app = spawn_app().await;
    let now = app.now();
    let hour = SignedDuration::from_hours(1);
    let mut manager = app.client(&[Role::Supervisor]);
    for (start, end, fields) in [
        (Some(now), Some(now - hour), vec!["end_time"]),
        (Some(now), Some(now), vec!["end_time"]),
        (Some(now - hour), Some(now + hour), vec!["end_time"]),
        (None, None, vec!["start_time", "end_time"]),
    ] {
        let status = manager
            .get_churn_report(pb::GetChurnReportRequest {
                start_time: start.map(ts),
                end_time: end.map(ts),
            })
            .await
            .expect_err("refused");
        assert_invalid(&status, &fields);
    }
    let status = manager
        .get_churn_report(pb::GetChurnReportRequest {
            start_time: Some(prost_types::Timestamp {
                seconds: 0,
                nanos: -1,
            }),
            end_time: Some(ts(now)),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["start_time"]);
}

// ---- GetCustomerOutcomes -----------------------------------------------------

fn outcome_query(customer: &str, since: Timestamp) -> pb::OutcomeQuery {
    pb::OutcomeQuery {
        customer: customer.into(),
        since_time: Some(ts(since)),
    }
}

fn days(n: u64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: i64::try_from(n * 86_400).expect("small"),
        nanos: 0,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_tell_who_came_back_within_the_window_and_who_churned_since() {
    // Arrange: three customers buy on day 0; on day 10 (their complaint is
    // closed, say) one buys again on day 15, one on day 60, one never, and
    // by day 105 the one who never bought again has churned (after 100 days).
    let app = spawn_app_with(churn_settings()).await;
    let day0 = app.now();
    let day = |n: i64| day0 + SignedDuration::from_hours(24 * n);
    let mut names = Vec::new();
    for n in 0..3 {
        let customer = app
            .create(organisation(
                &format!("Outcome {n}"),
                pb::CustomerSize::Large,
            ))
            .await;
        app.purchase(&customer.name, 10_000, day0).await;
        names.push(customer.name);
    }
    app.advance_days(15);
    app.purchase(&names[0], 10, app.now()).await;
    app.advance_days(45);
    app.review().await;
    app.purchase(&names[1], 10, app.now()).await;
    app.advance_days(45);
    app.review().await;
    let mut manager = app.client(&[Role::Supervisor]);

    // Act: from day 10, with a 30-day window; the first customer asked twice,
    // once from a later moment.
    let outcomes = manager
        .get_customer_outcomes(pb::GetCustomerOutcomesRequest {
            queries: vec![
                outcome_query(&names[0], day(10)),
                outcome_query(&names[1], day(10)),
                outcome_query(&names[2], day(10)),
                outcome_query(&names[0], day(20)),
            ],
            within: days(30),
        })
        .await
        .expect("outcomes")
        .into_inner()
        .outcomes;

    // Assert
    let returned: Vec<Option<prost_types::Timestamp>> =
        outcomes.iter().map(|o| o.return_time).collect();
    assert_eq!(returned, [Some(ts(day(15))), None, None, None]);
    let churned: Vec<bool> = outcomes.iter().map(|o| o.churned_since).collect();
    assert_eq!(churned, [false, false, true, false]);
    assert_eq!(
        outcomes[2].lifecycle_stage,
        pb::LifecycleStage::Churned as i32
    );
    assert_eq!(outcomes[1].value_grade, pb::ValueGrade::B as i32);
    let asked: Vec<&str> = outcomes.iter().map(|o| o.customer.as_str()).collect();
    assert_eq!(asked, [&names[0], &names[1], &names[2], &names[0]]);
    assert_eq!(outcomes[3].since_time, Some(ts(day(20))));
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_refuse_bad_queries_and_unknown_customers() {
    let app = spawn_app().await;
    let mut manager = app.client(&[Role::Supervisor]);
    let status = manager
        .get_customer_outcomes(pb::GetCustomerOutcomesRequest {
            queries: vec![pb::OutcomeQuery {
                customer: "people/1".into(),
                since_time: None,
            }],
            within: days(0),
        })
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &["queries[0].customer", "queries[0].since_time", "within"],
    );

    let unknown = format!("customers/{}", uuid::Uuid::now_v7());
    let status = manager
        .get_customer_outcomes(pb::GetCustomerOutcomesRequest {
            queries: vec![outcome_query(&unknown, app.now())],
            within: days(30),
        })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), tonic::Code::NotFound);
}
