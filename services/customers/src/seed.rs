//! Realistic customers at scale for benchmarks and demonstrations
//! (`redress seed`), written with COPY in batches.
//!
//! Customers joined over five years: mostly people, some organisations
//! (with a size), with an e-mail address and often a mobile number (valid
//! for their country, stored as the domain's phone parser reads it, so a
//! search finds it however it is typed), a locale and time zone, and a
//! purchase history drawn from one of a few kinds of buyer (loyal,
//! regular, occasional, lapsed, or not yet a buyer). Their value grade,
//! lifecycle stage and next review are what the service's own policies
//! decide from that history now, so the service agrees with the seeded
//! standing; reviews are spread over the next day rather than all falling
//! due at once.
//!
//! What is not seeded: interactions, consents, satisfaction records and
//! stored request ids.

use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_platform::db::CopyRows;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::contact::{DefaultRegion, Phone};
use crate::domain::grading::{PurchaseFacts, ValueGrade};
use crate::domain::lifecycle::{LifecycleStage, StageFacts};
use crate::domain::profile::Size;
use crate::store::StoreError;
use crate::store::codes::Code;
use crate::store::standing::Policies;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    /// How many customers.
    pub customers: u64,
    /// The random seed: the same seed gives the same data.
    pub seed: u64,
    /// The moment the data is as of.
    pub now: Timestamp,
}

/// A seeded customer, for seeding what refers to customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    /// The customer's id.
    pub id: Uuid,
    /// The value grade the policies gave it.
    pub grade: ValueGrade,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Customers.
    pub customers: u64,
    /// Rows in every table together.
    pub rows: u64,
}

/// Customers per batch: each batch is one COPY per table.
const BATCH: u64 = 50_000;

const FIRST: &[&str] = &[
    "Anna", "Ben", "Chloé", "Daan", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kim",
    "Lena", "Marco", "Nora", "Omar", "Paula", "Rosa", "Sven", "Tess", "Yusuf",
];
const LAST: &[&str] = &[
    "de Vries", "Müller", "Martin", "García", "Jansen", "Rossi", "Novak", "Smith", "Bakker",
    "Dubois", "Schmidt", "Visser", "López", "Meyer", "Peeters", "Brown",
];
const COMPANIES: &[&str] = &[
    "Harbour Logistics",
    "Greenfield Dairy",
    "Nordic Print",
    "Atlas Dental",
    "Blue Fern Hotels",
    "Quarry Works",
];
/// Where a customer lives, and what its mobile numbers look like.
#[derive(Debug, Clone, Copy)]
struct Place {
    locale: &'static str,
    time_zone: &'static str,
    /// The country code and the start of a national mobile number.
    mobile_prefix: &'static str,
    /// How many digits follow the prefix: together a valid national length.
    digits: u32,
    /// The smallest number those digits make (US exchanges cannot start
    /// with 0 or 1).
    first: u64,
}

impl Place {
    /// The customer's mobile number, numbered `number` in the place's range
    /// (so numbers differ until the range wraps), as the domain reads it.
    fn mobile(&self, number: u64) -> Option<Phone> {
        let span = 10u64.pow(self.digits) - self.first;
        let typed = format!(
            "{}{:0width$}",
            self.mobile_prefix,
            self.first + number % span,
            width = self.digits as usize,
        );
        Phone::parse(&typed, DefaultRegion::US).ok()
    }
}

/// Every number these ranges make is a valid mobile (a test checks).
const PLACES: &[Place] = &[
    Place {
        locale: "en-GB",
        time_zone: "Europe/London",
        mobile_prefix: "+44771",
        digits: 7,
        first: 0,
    },
    Place {
        locale: "nl-NL",
        time_zone: "Europe/Amsterdam",
        mobile_prefix: "+3161",
        digits: 7,
        first: 0,
    },
    Place {
        locale: "de-DE",
        time_zone: "Europe/Berlin",
        mobile_prefix: "+49151",
        digits: 8,
        first: 0,
    },
    Place {
        locale: "fr-FR",
        time_zone: "Europe/Paris",
        mobile_prefix: "+3361",
        digits: 7,
        first: 0,
    },
    Place {
        locale: "es-ES",
        time_zone: "Europe/Madrid",
        mobile_prefix: "+346",
        digits: 8,
        first: 0,
    },
    Place {
        locale: "en-US",
        time_zone: "America/New_York",
        mobile_prefix: "+1212",
        digits: 7,
        first: 2_000_000,
    },
];

/// A customer before it is written.
struct Generated {
    id: Uuid,
    name: String,
    organisation: bool,
    size: Option<Size>,
    place: Place,
    email: String,
    /// A parsed number: its E.164 form is both the value and the
    /// normalised form, as the store writes a phone contact point.
    phone: Option<Phone>,
    channels: Vec<&'static str>,
    /// (id, time, amount in EUR cents)
    purchases: Vec<(Uuid, Timestamp, i64)>,
    created: Timestamp,
    grade: ValueGrade,
    stage: LifecycleStage,
    next_review: Option<Timestamp>,
}

/// Seeds `plan.customers` customers; `progress` is told how many so far.
pub async fn seed(
    pool: &PgPool,
    policies: &Policies,
    plan: &SeedPlan,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<Seeded>, SeedReport), StoreError> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut seeded = Vec::with_capacity(usize::try_from(plan.customers).unwrap_or(0));
    let mut report = SeedReport::default();
    let mut number = 0u64;
    while report.customers < plan.customers {
        let size = BATCH.min(plan.customers - report.customers);
        let batch: Vec<Generated> = (0..size)
            .map(|_| {
                number += 1;
                generate(&mut rng, policies, plan.now, number)
            })
            .collect();
        seeded.extend(batch.iter().map(|g| Seeded {
            id: g.id,
            grade: g.grade,
        }));
        report.rows += write_customers(pool, &batch, plan.now).await?;
        let (contacts, purchases, states) = tokio::try_join!(
            write_contacts(pool, &batch),
            write_purchases(pool, &batch),
            write_states(pool, &batch, plan.now),
        )?;
        report.rows += contacts + purchases + states;
        report.customers += size;
        progress(report.customers);
    }
    Ok((seeded, report))
}

fn days(n: f64) -> SignedDuration {
    SignedDuration::from_secs_f64(n * 86_400.0)
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn id_at(rng: &mut StdRng, at: Timestamp) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(at.as_millisecond()).unwrap_or(0),
        &rng.random(),
    )
    .into_uuid()
}

fn generate(rng: &mut StdRng, policies: &Policies, now: Timestamp, number: u64) -> Generated {
    let created = now - days(rng.random_range(1.0..5.0 * 365.0));
    let created = Timestamp::from_second(created.as_second()).unwrap_or(created);
    let organisation = rng.random_bool(0.1);
    let place = pick(rng, PLACES);
    let name = if organisation {
        format!("{} {}", pick(rng, COMPANIES), number)
    } else {
        format!("{} {}", pick(rng, FIRST), pick(rng, LAST))
    };
    let size = organisation.then(|| match rng.random_range(0..10) {
        0 => Size::Large,
        1..=3 => Size::Medium,
        _ => Size::Small,
    });
    // The kind of buyer: how many purchases, over how long, how large.
    let (count, span_days, gap_days, amount): (u32, f64, f64, (i64, i64)) =
        match rng.random_range(0..100) {
            0..=9 => (0, 0.0, 0.0, (0, 0)),
            10..=14 => (rng.random_range(12..=24), 365.0, 0.0, (40_000, 200_000)),
            15..=34 => (rng.random_range(4..=10), 700.0, 0.0, (10_000, 80_000)),
            35..=69 => (rng.random_range(1..=3), 900.0, 30.0, (5_000, 50_000)),
            _ => (rng.random_range(1..=3), 700.0, 400.0, (5_000, 50_000)),
        };
    let joined_days = now.duration_since(created).as_secs_f64() / 86_400.0;
    let mut purchases: Vec<(Uuid, Timestamp, i64)> = (0..count)
        .map(|_| {
            let back = (gap_days + rng.random::<f64>() * span_days).min(joined_days);
            let at = now - days(back);
            let at = Timestamp::from_second(at.as_second()).unwrap_or(at);
            (id_at(rng, at), at, rng.random_range(amount.0..=amount.1))
        })
        .collect();
    purchases.sort_by_key(|p| p.1);
    let (purchase_facts, stage_facts) = facts(policies, &purchases, now);
    let grade = policies.grading.grade(&purchase_facts, now);
    let decision = policies.lifecycle.decide(&stage_facts, size, now);
    let spread = now + days(rng.random::<f64>());
    let next_review = policies
        .lifecycle
        .next_review(&stage_facts, &decision, size, now)
        .map(|t| t.min(spread));
    let email = format!("customer{number}@example.com");
    let phone = rng.random_bool(0.7).then(|| place.mobile(number)).flatten();
    let channels = if rng.random_bool(0.5) {
        vec!["email", "sms"]
    } else {
        vec!["phone", "email"]
    };
    Generated {
        id: id_at(rng, created),
        name,
        organisation,
        size,
        place,
        email,
        phone,
        channels,
        purchases,
        created,
        grade,
        stage: decision.stage,
        next_review,
    }
}

/// What the policies decide from, read from the purchases as
/// `store::standing` reads them from the table.
fn facts(
    policies: &Policies,
    purchases: &[(Uuid, Timestamp, i64)],
    now: Timestamp,
) -> (PurchaseFacts, StageFacts) {
    let within = |n: f64| {
        let since = now - days(n);
        purchases.iter().filter(move |p| p.1 > since && p.1 <= now)
    };
    let trend = f64::from(policies.lifecycle.trend_days);
    let window = f64::from(policies.grading.window_days);
    let count = |n: f64| i64::try_from(within(n).count()).unwrap_or(i64::MAX);
    let in_window: Vec<_> = within(window).collect();
    let amount: i64 = in_window.iter().map(|p| p.2).sum();
    let first = purchases.first().map(|p| p.1);
    let last = purchases.last().map(|p| p.1);
    (
        PurchaseFacts {
            count_in_window: i64::try_from(in_window.len()).unwrap_or(i64::MAX),
            amount_in_window: if in_window.is_empty() {
                Vec::new()
            } else {
                vec![("EUR".to_owned(), amount)]
            },
            last_purchase: last,
        },
        StageFacts {
            first_purchase: first,
            last_purchase: last,
            last_contract_end: None,
            recent_purchases: count(trend),
            earlier_purchases: count(2.0 * trend) - count(trend),
            purchases_last_year: count(365.0),
            previous: None,
            reactivated_at: None,
        },
    )
}

async fn write_customers(
    pool: &PgPool,
    batch: &[Generated],
    now: Timestamp,
) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "customers",
        &[
            "id",
            "display_name",
            "kind",
            "locale",
            "time_zone",
            "preferred_channels",
            "communication_style",
            "size",
            "operating_status",
            "lifecycle_stage",
            "value_grade",
            "next_review_time",
            "last_transaction_time",
            "create_time",
            "update_time",
        ],
    )
    .await?;
    for g in batch {
        let last = g.purchases.last().map(|p| p.1);
        rows.uuid(g.id)
            .text(&g.name)
            .text(if g.organisation {
                "organisation"
            } else {
                "person"
            })
            .text(g.place.locale)
            .text(g.place.time_zone)
            .text_array(&g.channels)
            .text(if g.organisation { "formal" } else { "familiar" })
            .opt_text(g.size.map(Code::code))
            .opt_text(g.organisation.then_some("active"))
            .text(g.stage.code())
            .text(g.grade.code())
            .opt_time(g.next_review)
            .opt_time(last)
            .time(g.created)
            .time(last.unwrap_or(g.created).min(now));
        rows.end_row().await?;
    }
    Ok(rows.finish().await?)
}

async fn write_contacts(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "contact_points",
        &[
            "customer_id",
            "position",
            "kind",
            "value",
            "normalized",
            "verified",
            "label",
        ],
    )
    .await?;
    for g in batch {
        rows.uuid(g.id)
            .int(0)
            .text("email")
            .text(&g.email)
            .text(&g.email)
            .bool(true)
            .text("home");
        rows.end_row().await?;
        if let Some(phone) = &g.phone {
            rows.uuid(g.id)
                .int(1)
                .text("phone")
                .text(phone.as_str())
                .text(phone.as_str())
                .bool(false)
                .text("mobile");
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}

async fn write_purchases(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "transactions",
        &[
            "id",
            "customer_id",
            "kind",
            "currency",
            "amount_minor",
            "occur_time",
            "create_time",
        ],
    )
    .await?;
    for g in batch {
        for (id, at, amount) in &g.purchases {
            rows.uuid(*id)
                .uuid(g.id)
                .text("purchase")
                .text("EUR")
                .int(*amount)
                .time(*at)
                .time(*at);
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}

async fn write_states(
    pool: &PgPool,
    batch: &[Generated],
    now: Timestamp,
) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "customer_states",
        &["customer_id", "at", "stage", "grade", "size"],
    )
    .await?;
    for g in batch {
        let at = g.purchases.last().map_or(g.created, |p| p.1).min(now);
        rows.uuid(g.id)
            .time(at)
            .text(g.stage.code())
            .text(g.grade.code())
            .opt_text(g.size.map(Code::code));
        rows.end_row().await?;
    }
    Ok(rows.finish().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mobile_number_a_place_makes_is_valid_and_already_in_e164() {
        for place in PLACES {
            let span = 10u64.pow(place.digits) - place.first;
            let samples = 5_000;
            for i in 0..=samples {
                let number = (span - 1) * i / samples;
                let phone = place.mobile(number);
                let expected = format!(
                    "{}{:0width$}",
                    place.mobile_prefix,
                    place.first + number,
                    width = place.digits as usize
                );
                assert_eq!(
                    phone.as_ref().map(Phone::as_str),
                    Some(expected.as_str()),
                    "{place:?} number {number}"
                );
            }
        }
    }
}
