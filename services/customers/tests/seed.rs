//! `redress seed`'s customers agree with the service: the standing the seed
//! computed from each seeded purchase history is what the service's own
//! review (`store::standing::refresh`, reading the same rows back from the
//! tables) decides, so a seeded customer's grade or stage never changes
//! just because the service looks at it. Its phone numbers are ones the
//! service's own parser accepts, stored in the form that parser gives, so a
//! search by phone finds them.

use jiff::Timestamp;
use redress_customers::domain::contact::{DefaultRegion, Phone};
use redress_customers::seed::{SeedPlan, seed};
use redress_customers::store::standing::{Policies, refresh};
use redress_platform::db::{self, PoolSettings};
use redress_platform::testing::TestDatabase;

#[tokio::test]
async fn the_service_reviews_every_seeded_customer_to_the_standing_the_seed_gave_it() {
    // Arrange
    let db = TestDatabase::new().await;
    let login_url = db.provision(&redress_customers::schema()).await;
    let pool = db::connect(&login_url, "customers", &PoolSettings::default())
        .await
        .expect("the customers role can connect");
    let policies = Policies::default();
    let now: Timestamp = "2026-11-23T12:00:00Z".parse().expect("a time");

    // Act
    let (seeded, report) = seed(
        &pool,
        &policies,
        &SeedPlan {
            customers: 400,
            seed: 11,
            now,
        },
        &|_| {},
    )
    .await
    .expect("seeded");

    // Assert: every kind of grade is there, and a review changes none.
    assert_eq!(report.customers, 400);
    assert_eq!(seeded.len(), 400);
    let grades: std::collections::BTreeSet<_> = seeded.iter().map(|c| c.grade).collect();
    assert!(grades.len() >= 3, "{grades:?}");
    for customer in &seeded {
        let mut tx = pool.begin().await.expect("a transaction");
        let changed = refresh(&mut tx, customer.id, now, &policies)
            .await
            .expect("reviewed");
        assert!(
            !changed,
            "the review changed seeded customer {}",
            customer.id
        );
        tx.rollback().await.expect("rolled back");
    }
}

#[tokio::test]
async fn every_seeded_phone_number_is_stored_as_the_domain_parser_reads_it() {
    // Arrange
    let db = TestDatabase::new().await;
    let login_url = db.provision(&redress_customers::schema()).await;
    let pool = db::connect(&login_url, "customers", &PoolSettings::default())
        .await
        .expect("the customers role can connect");
    let now: Timestamp = "2026-11-23T12:00:00Z".parse().expect("a time");

    // Act
    seed(
        &pool,
        &Policies::default(),
        &SeedPlan {
            customers: 600,
            seed: 5,
            now,
        },
        &|_| {},
    )
    .await
    .expect("seeded");

    // Assert: every phone parses, and what is stored is the parser's output,
    // read with either default region (the numbers carry their country code).
    let phones: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT value, normalized, c.locale FROM contact_points p
         JOIN customers c ON c.id = p.customer_id WHERE p.kind = 'phone'",
    )
    .fetch_all(&pool)
    .await
    .expect("the phone contact points");
    assert!(phones.len() > 300, "{} phones", phones.len());
    let countries: std::collections::BTreeSet<_> = phones.iter().map(|p| p.2.as_str()).collect();
    assert_eq!(countries.len(), 6, "{countries:?}");
    let nl = DefaultRegion::parse("NL").expect("NL");
    for (value, normalized, locale) in &phones {
        for region in [DefaultRegion::US, nl] {
            let parsed = Phone::parse(value, region)
                .unwrap_or_else(|e| panic!("seeded {locale} phone {value} does not parse: {e}"));
            assert_eq!(
                normalized.as_deref(),
                Some(parsed.as_str()),
                "{locale} {value}"
            );
            assert_eq!(value, parsed.as_str(), "{locale}");
        }
    }
}
