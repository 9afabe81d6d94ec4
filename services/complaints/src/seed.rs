//! Realistic complaints at scale for benchmarks and demonstrations
//! (`redress seed`), written with COPY in batches.
//!
//! Every seeded complaint is one the service could have produced: it is
//! received by an agent of a team (who owns it), walks the lifecycle through
//! moves that [`lifecycle::apply`] allows, and carries what the service
//! would have written on the way: its state history, a history entry per
//! change (field-by-field, as [`Complaint::changes_since`] gives), the
//! ownership ledger (intake, and a supervisor's reassignment for a few),
//! customer-visible notes where a move speaks to the customer, and its SLA
//! clocks and alarms as [`clocks::plan`] computes them now. Alarms already
//! due count as raised on time, so a freshly seeded suite does not raise a
//! backlog of warnings. Complaints arrive over two years (more lately), most
//! are long closed, and the recent ones are still being worked on.
//!
//! What is not seeded: outbox events (the feed starts empty), hand-off
//! offers, assists and stored request ids.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use jiff_sqlx::ToSqlx;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_platform::db::CopyRows;
use sqlx::PgPool;
use uuid::Uuid;

use crate::clocks::{self, ClockPlan};
use crate::domain::complaint::{Channel, Complaint, Description, FieldChange, Motive};
use crate::domain::lifecycle::{self, Kind, Move, MoveContext};
use crate::domain::names;
use crate::domain::priority::{Grade, Severity};
use crate::domain::sla::Timeline;
use crate::domain::state::State;
use crate::settings::Policies;
use crate::store::StoreError;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    /// How many complaints.
    pub complaints: u64,
    /// How many agents take complaints (`agent-00001` ...).
    pub agents: u32,
    /// Agents per team (`team-001` ...; supervisor `sup-001`).
    pub agents_per_team: u32,
    /// Over how many days complaints arrived, ending at `now`.
    pub days: u32,
    /// The random seed: the same seed gives the same data.
    pub seed: u64,
    /// The moment the data is as of.
    pub now: Timestamp,
}

/// A customer complaints may be about.
#[derive(Debug, Clone, Copy)]
pub struct SeedCustomer {
    /// The customer's id (`customers/{id}`).
    pub id: Uuid,
    /// Its value grade.
    pub grade: Grade,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Complaints.
    pub complaints: u64,
    /// Of which still open.
    pub open: u64,
    /// Rows in every table together.
    pub rows: u64,
}

/// The `i`th agent's subject (from 0).
pub fn agent(i: u32) -> String {
    format!("agent-{:05}", i + 1)
}

/// The `i`th team's id (from 0).
pub fn team(i: u32) -> String {
    format!("team-{:03}", i + 1)
}

/// The supervisor of the `i`th team.
pub fn supervisor(i: u32) -> String {
    format!("sup-{:03}", i + 1)
}

const DEPARTMENTS: &[&str] = &["customer-care", "billing", "field-service", "deliveries"];
const PRODUCTS: &[&str] = &[
    "broadband",
    "mobile",
    "tv",
    "energy",
    "home-insurance",
    "current-account",
];
const REGIONS: &[&str] = &["north", "south", "east", "west", "central", "islands"];
const LANGUAGES: &[&str] = &["en", "en", "en", "de", "fr", "es", "nl"];
/// Complaints per batch: each batch is one COPY per table.
const BATCH: u64 = 50_000;

/// A complaint and everything written with it.
struct Generated {
    complaint: Complaint,
    states: Vec<(Timestamp, State)>,
    history: Vec<(String, &'static str, Vec<FieldChange>, Timestamp)>,
    /// (kind, from, to, team, actor, reason, time)
    ownership: Vec<(
        &'static str,
        String,
        String,
        String,
        String,
        &'static str,
        Timestamp,
    )>,
    /// (author, body, time); all customer-visible.
    notes: Vec<(String, String, Timestamp)>,
    clocks: ClockPlan,
    /// The moment the data is as of.
    now: Timestamp,
}

/// Seeds `plan.complaints` complaints about `customers`, and the teams
/// their agents belong to; `progress` is told the complaints written so far.
pub async fn seed(
    pool: &PgPool,
    policies: &Policies,
    customers: &[SeedCustomer],
    plan: &SeedPlan,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SeedReport, StoreError> {
    if customers.is_empty() || plan.agents == 0 || plan.agents_per_team == 0 {
        return Err(StoreError::Corrupt(
            "seeding complaints needs customers and agents".into(),
        ));
    }
    let mut report = SeedReport {
        rows: write_teams(pool, plan).await?,
        ..SeedReport::default()
    };
    let leaves: Vec<String> = policies
        .categories
        .entries()
        .into_iter()
        .filter(|e| e.depth > 1)
        .map(|e| e.path)
        .collect();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut done = 0;
    while done < plan.complaints {
        let size = BATCH.min(plan.complaints - done);
        let numbers: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval('complaint_reference_numbers') FROM generate_series(1, $1)",
        )
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?;
        let mut batch = Vec::with_capacity(numbers.len());
        for number in numbers {
            let generated = generate(&mut rng, policies, customers, plan, &leaves, number)?;
            if generated.complaint.state.is_open() {
                report.open += 1;
            }
            batch.push(generated);
        }
        report.rows += write_batch(pool, &batch).await?;
        done += size;
        report.complaints = done;
        progress(done);
    }
    Ok(report)
}

/// The teams the agents belong to; teams already there are kept.
async fn write_teams(pool: &PgPool, plan: &SeedPlan) -> Result<u64, StoreError> {
    let teams: Vec<u32> = (0..plan.agents.div_ceil(plan.agents_per_team)).collect();
    let ids: Vec<String> = teams.iter().map(|i| team(*i)).collect();
    let names: Vec<String> = teams
        .iter()
        .map(|i| format!("Front line {}", i + 1))
        .collect();
    let supervisors: Vec<String> = teams.iter().map(|i| supervisor(*i)).collect();
    let departments: Vec<&str> = teams
        .iter()
        .map(|i| DEPARTMENTS[*i as usize % DEPARTMENTS.len()])
        .collect();
    let heads: Vec<String> = departments.iter().map(|d| format!("head-{d}")).collect();
    let since = plan.now - SignedDuration::from_hours(24 * i64::from(plan.days) + 24);
    let written = sqlx::query(
        "INSERT INTO teams (id, display_name, supervisor, department, department_head,
                            create_time, update_time)
         SELECT id, name, sup, dept, head, $6, $6
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
              AS t (id, name, sup, dept, head)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&names)
    .bind(&supervisors)
    .bind(&departments)
    .bind(&heads)
    .bind(since.to_sqlx())
    .execute(pool)
    .await?;
    Ok(written.rows_affected())
}

/// A duration around `median` hours, spread log-normally.
fn hours(rng: &mut StdRng, median: f64, spread: f64) -> SignedDuration {
    // Box-Muller: a standard normal from two uniforms.
    let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
    let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
    let h = median * (spread * z).exp();
    SignedDuration::from_secs_f64(h.clamp(0.01, 24.0 * 400.0) * 3600.0)
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn summary_of(category: &str) -> (&'static str, &'static str) {
    let leaf = category.rsplit('/').next().unwrap_or(category);
    match leaf {
        "missed_appointment" | "no_show" => (
            "The technician did not come to the booked appointment",
            "I took the day off and waited at home; nobody came and nobody called.",
        ),
        "not_delivered" | "late_delivery" => (
            "The order has not arrived",
            "The tracking page has said 'out for delivery' for days.",
        ),
        "long_wait" | "slow_response" => (
            "Nobody answers my calls",
            "I have called four times and waited over an hour each time.",
        ),
        "billing_error" => (
            "I was charged twice this month",
            "Two identical charges appear on my statement for the same period.",
        ),
        "wrong_item" | "incomplete" | "defective" => (
            "What I received is not what I ordered",
            "The box contained the wrong model and a part is missing.",
        ),
        "staff_impolite" => (
            "The agent was rude to me",
            "I was interrupted and told it was my own fault before I could explain.",
        ),
        "privacy" => (
            "My details were sent to someone else",
            "A letter with my account details was delivered to my neighbour.",
        ),
        "property_damage" => (
            "The installer damaged my wall",
            "Drilling for the cable left a crack in the wall that was not repaired.",
        ),
        "safety_risk" => (
            "Exposed wiring left after the visit",
            "The cover of the junction box was not put back and children live here.",
        ),
        _ => (
            "The service was not what was promised",
            "What I was told when I signed up is not what I am getting.",
        ),
    }
}

fn generate(
    rng: &mut StdRng,
    policies: &Policies,
    customers: &[SeedCustomer],
    plan: &SeedPlan,
    leaves: &[String],
    number: i64,
) -> Result<Generated, StoreError> {
    let now = plan.now;
    // Arrivals grow over the period: ages skew recent.
    let age_days = f64::from(plan.days) * rng.random::<f64>().powf(1.35);
    let created = now - SignedDuration::from_secs_f64(age_days * 86_400.0);
    let created = Timestamp::from_second(created.as_second()).unwrap_or(created);
    // A few customers complain often.
    let customer = if rng.random_bool(0.3) {
        customers[rng.random_range(0..customers.len().div_ceil(20))]
    } else {
        *pick(rng, customers)
    };
    // Failure causes follow a Pareto: the first few categories dominate.
    let category = leaves[((rng.random::<f64>().powi(3)) * leaves.len() as f64) as usize].clone();
    let safety = category.ends_with("safety_risk");
    let severity = match rng.random_range(0..100) {
        _ if safety => Severity::Critical,
        0..=39 => Severity::Low,
        40..=79 => Severity::Medium,
        80..=96 => Severity::High,
        _ => Severity::Critical,
    };
    let kind = match rng.random_range(0..100) {
        0..=84 => Kind::Complaint,
        85..=94 => Kind::Inquiry,
        _ => Kind::Feedback,
    };
    let (summary, story) = summary_of(&category);
    let agent_index = rng.random_range(0..plan.agents);
    let team_index = agent_index / plan.agents_per_team;
    let owner = agent(agent_index);
    let description = Description {
        kind,
        summary: summary.to_owned(),
        description: story.to_owned(),
        product: pick(rng, PRODUCTS).to_string(),
        region: pick(rng, REGIONS).to_string(),
        category,
        requested_remedy: if rng.random_bool(0.6) {
            "A refund of this month's fee".to_owned()
        } else {
            String::new()
        },
        motive: match rng.random_range(0..3) {
            0 => Some(Motive::Compensation),
            1 => Some(Motive::SelfRespect),
            _ => None,
        },
        severity,
        safety,
        language: pick(rng, LANGUAGES).to_string(),
        escalation_reached: None,
    };
    let id = uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(created.as_millisecond()).unwrap_or(0),
        &rng.random(),
    )
    .into_uuid();
    let mut complaint = Complaint {
        id,
        reference: names::reference(created.to_zoned(TimeZone::UTC).year(), number),
        customer_id: customer.id,
        channel: *pick(rng, Channel::ALL),
        priority: policies.priority.priority(
            description.severity,
            customer.grade,
            description.safety,
        ),
        description,
        customer_grade: customer.grade,
        state: State::Received,
        merged_from: None,
        merged_into: None,
        owner: owner.clone(),
        owner_team: team(team_index),
        watchers: Vec::new(),
        transfer_count: 0,
        reopen_count: 0,
        resolution: String::new(),
        create_time: created,
        acknowledge_time: None,
        first_response_time: None,
        resolve_time: None,
        close_time: None,
        update_time: created,
        version: 1,
    };
    let mut g = Generated {
        states: vec![(created, State::Received)],
        history: vec![(
            owner.clone(),
            "created",
            complaint.created_changes(),
            created,
        )],
        ownership: vec![(
            "intake",
            String::new(),
            owner,
            complaint.owner_team.clone(),
            complaint.owner.clone(),
            "",
            created,
        )],
        notes: Vec::new(),
        clocks: ClockPlan::default(),
        now,
        complaint: complaint.clone(),
    };

    // The path: each move after a realistic wait; moves not yet due by
    // `now` have not happened. One in twenty is left stalled for weeks.
    let stalled = rng.random_bool(0.05);
    let mut at = created;
    let mut script: Vec<(Move, SignedDuration)> = vec![
        (Move::Acknowledge, hours(rng, 0.5, 1.2)),
        (Move::StartInvestigation, hours(rng, 3.0, 1.0)),
    ];
    if kind.needs_resolution() {
        if rng.random_bool(0.3) {
            script.push((Move::AwaitCustomer, hours(rng, 20.0, 0.8)));
            script.push((Move::ResumeInvestigation, hours(rng, 40.0, 0.8)));
        }
        script.push((Move::ProposeResolution, hours(rng, 48.0, 0.9)));
        if rng.random_bool(0.1) {
            script.push((Move::RejectResolution, hours(rng, 24.0, 0.7)));
            script.push((Move::ProposeResolution, hours(rng, 24.0, 0.8)));
        }
        script.push((Move::AcceptResolution, hours(rng, 30.0, 0.8)));
    }
    script.push((Move::Close, hours(rng, 48.0, 0.9)));
    if rng.random_bool(0.03) {
        script.push((Move::Reopen, hours(rng, 72.0, 0.8)));
        script.push((Move::ProposeResolution, hours(rng, 48.0, 0.8)));
        script.push((Move::AcceptResolution, hours(rng, 24.0, 0.8)));
        script.push((Move::Close, hours(rng, 24.0, 0.8)));
    }
    let reassign_at = rng
        .random_bool(0.05)
        .then(|| created + hours(rng, 6.0, 1.0));
    let mut reassigned = false;
    for (step, (m, wait)) in script.into_iter().enumerate() {
        let wait = match m {
            _ if stalled && step == 2 => wait + SignedDuration::from_hours(24 * 30),
            // Reopened within the window, or not at all.
            Move::Reopen => wait.min(policies.reopen_window / 2),
            _ => wait,
        };
        let next = at + wait;
        if let Some(when) = reassign_at.filter(|w| !reassigned && *w <= next && *w <= now) {
            reassigned = true;
            reassign(rng, plan, team_index, &mut complaint, &mut g, when);
        }
        if next > now {
            break;
        }
        at = next;
        apply_move(&mut complaint, &mut g, m, at, policies)?;
    }
    let timeline = Timeline {
        states: g.states.clone(),
        customer_updates: g.notes.iter().map(|n| n.2).collect(),
    };
    g.clocks = clocks::plan(&complaint, &timeline, policies, now)?;
    g.complaint = complaint;
    Ok(g)
}

/// The supervisor of team `team_index` gives the complaint to another
/// agent of that team.
fn reassign(
    rng: &mut StdRng,
    plan: &SeedPlan,
    team_index: u32,
    complaint: &mut Complaint,
    g: &mut Generated,
    at: Timestamp,
) {
    let first = team_index * plan.agents_per_team;
    let last = (first + plan.agents_per_team).min(plan.agents);
    let to = agent(rng.random_range(first..last));
    if to == complaint.owner {
        return;
    }
    let before = complaint.clone();
    let team = complaint.owner_team.clone();
    complaint.transfer_to(&to, &team);
    complaint.update_time = at;
    complaint.version += 1;
    let sup = supervisor(team_index);
    g.history.push((
        sup.clone(),
        "reassigned",
        complaint.changes_since(&before),
        at,
    ));
    g.ownership.push((
        "reassigned",
        before.owner,
        to,
        team,
        sup,
        "Rebalancing the team's workload",
        at,
    ));
}

/// Applies move `m` at `at` as the owner would, recording what the service
/// records.
fn apply_move(
    complaint: &mut Complaint,
    g: &mut Generated,
    m: Move,
    at: Timestamp,
    policies: &Policies,
) -> Result<(), StoreError> {
    let ctx = MoveContext {
        kind: complaint.description.kind,
        now: at,
        resolve_time: complaint.resolve_time,
        close_time: complaint.close_time,
        merged_from: complaint.merged_from,
        reopen_window: policies.reopen_window,
    };
    let to = lifecycle::apply(complaint.state, m, &ctx)
        .map_err(|e| StoreError::Corrupt(format!("seed path: {}", e.reason())))?;
    let before = complaint.clone();
    complaint.state = to;
    let to_customer = match m {
        Move::Acknowledge => {
            complaint.acknowledge_time = Some(at);
            None
        }
        Move::AwaitCustomer => Some("Could you send us a photo of the bill or the damage?"),
        Move::ProposeResolution => {
            let text = "We are sorry. We will refund this month's fee and fix the fault this week.";
            complaint.resolution = text.to_owned();
            Some(text)
        }
        Move::AcceptResolution => {
            complaint.resolve_time = Some(at);
            None
        }
        Move::Close => {
            complaint.close_time = Some(at);
            None
        }
        Move::Reopen => {
            complaint.reopen_count += 1;
            None
        }
        _ => None,
    };
    if let Some(text) = to_customer {
        g.notes.push((complaint.owner.clone(), text.to_owned(), at));
        if complaint.first_response_time.is_none() {
            complaint.first_response_time = Some(at);
        }
    }
    complaint.update_time = at;
    complaint.version += 1;
    g.states.push((at, to));
    g.history.push((
        complaint.owner.clone(),
        m.code(),
        complaint.changes_since(&before),
        at,
    ));
    Ok(())
}

/// Writes one batch: the complaints first (the other tables refer to them),
/// then the rest side by side, each on its own connection.
async fn write_batch(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut rows = write_complaints(pool, batch).await?;
    let (states, history, ownership, notes, clocks, alarms) = tokio::try_join!(
        write_states(pool, batch),
        write_history(pool, batch),
        write_ownership(pool, batch),
        write_notes(pool, batch),
        write_clocks(pool, batch),
        write_alarms(pool, batch),
    )?;
    rows += states + history + ownership + notes + clocks + alarms;
    Ok(rows)
}

async fn write_complaints(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "complaints",
        &[
            "id",
            "reference",
            "customer_id",
            "channel",
            "kind",
            "summary",
            "description",
            "product",
            "region",
            "category",
            "requested_remedy",
            "motive",
            "severity",
            "safety",
            "language",
            "escalation_reached",
            "priority",
            "customer_grade",
            "state",
            "owner",
            "owner_team",
            "watchers",
            "transfer_count",
            "reopen_count",
            "resolution",
            "create_time",
            "acknowledge_time",
            "first_response_time",
            "resolve_time",
            "close_time",
            "update_time",
            "sla_due_time",
            "sla_warn_time",
            "version",
            "history_count",
        ],
    )
    .await?;
    for g in batch {
        let c = &g.complaint;
        let d = &c.description;
        rows.uuid(c.id)
            .text(&c.reference)
            .uuid(c.customer_id)
            .text(c.channel.code())
            .text(d.kind.code())
            .text(&d.summary)
            .text(&d.description)
            .text(&d.product)
            .text(&d.region)
            .text(&d.category)
            .text(&d.requested_remedy)
            .text(d.motive.map(Motive::code).unwrap_or_default())
            .text(d.severity.code())
            .bool(d.safety)
            .text(&d.language)
            .text("")
            .text(c.priority.code())
            .text(c.customer_grade.code())
            .text(c.state.code())
            .text(&c.owner)
            .text(&c.owner_team)
            .text_array(&c.watchers)
            .int(i64::from(c.transfer_count))
            .int(i64::from(c.reopen_count))
            .text(&c.resolution)
            .time(c.create_time)
            .opt_time(c.acknowledge_time)
            .opt_time(c.first_response_time)
            .opt_time(c.resolve_time)
            .opt_time(c.close_time)
            .time(c.update_time)
            .opt_time(g.clocks.earliest_due)
            .opt_time(g.clocks.earliest_warn)
            .int(c.version)
            .int(i64::try_from(g.history.len()).unwrap_or(i64::MAX));
        rows.end_row().await?;
    }
    Ok(rows.finish().await?)
}

async fn write_states(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "complaint_states",
        &["complaint_id", "seq", "state", "enter_time"],
    )
    .await?;
    for g in batch {
        for (seq, (at, state)) in (1..).zip(&g.states) {
            rows.uuid(g.complaint.id)
                .int(seq)
                .text(state.code())
                .time(*at);
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}

async fn write_history(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "complaint_history",
        &[
            "complaint_id",
            "sequence",
            "actor",
            "action",
            "changes",
            "change_time",
        ],
    )
    .await?;
    for g in batch {
        for (sequence, (actor, action, changes, at)) in (1..).zip(&g.history) {
            let changes = serde_json::to_value(changes)
                .map_err(|e| StoreError::Corrupt(format!("history changes: {e}")))?;
            rows.uuid(g.complaint.id)
                .int(sequence)
                .text(actor)
                .text(action)
                .json(&changes)
                .time(*at);
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}

async fn write_ownership(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "ownership_changes",
        &[
            "complaint_id",
            "kind",
            "from_owner",
            "to_owner",
            "to_team",
            "actor",
            "reason",
            "change_time",
        ],
    )
    .await?;
    for g in batch {
        for (kind, from, to, team, actor, reason, at) in &g.ownership {
            rows.uuid(g.complaint.id)
                .text(kind)
                .text(from)
                .text(to)
                .text(team)
                .text(actor)
                .text(reason)
                .time(*at);
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}

async fn write_notes(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "complaint_notes",
        &[
            "id",
            "complaint_id",
            "author",
            "visibility",
            "body",
            "create_time",
        ],
    )
    .await?;
    for g in batch {
        for (i, (author, body, at)) in g.notes.iter().enumerate() {
            let id = Uuid::from_u128(g.complaint.id.as_u128() ^ ((i as u128 + 1) << 64));
            rows.uuid(id)
                .uuid(g.complaint.id)
                .text(author)
                .text("customer")
                .text(body)
                .time(*at);
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}

async fn write_clocks(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "sla_clocks",
        &[
            "complaint_id",
            "kind",
            "cycle_start",
            "target_ms",
            "elapsed_ms",
            "status",
            "warn_time",
            "due_time",
            "stop_time",
            "met",
        ],
    )
    .await?;
    for g in batch {
        for clock in &g.clocks.clocks {
            rows.uuid(g.complaint.id)
                .text(&clock.kind)
                .time(clock.cycle_start)
                .int(clock.target_ms)
                .int(clock.elapsed_ms)
                .text(&clock.status)
                .opt_time(clock.warn_time)
                .opt_time(clock.due_time)
                .opt_time(clock.stop_time)
                .opt_bool(clock.met);
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}

async fn write_alarms(pool: &PgPool, batch: &[Generated]) -> Result<u64, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut rows = CopyRows::begin(
        &mut conn,
        "sla_alarms",
        &[
            "complaint_id",
            "clock",
            "cycle_start",
            "step",
            "due_time",
            "fire_time",
        ],
    )
    .await?;
    for g in batch {
        for alarm in &g.clocks.alarms {
            // Alarms already due were raised on time.
            let fired = (alarm.due_time <= g.now).then_some(alarm.due_time);
            rows.uuid(g.complaint.id)
                .text(&alarm.clock)
                .time(alarm.cycle_start)
                .text(&alarm.step)
                .time(alarm.due_time)
                .opt_time(fired);
            rows.end_row().await?;
        }
    }
    Ok(rows.finish().await?)
}
