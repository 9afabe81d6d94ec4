//! Who owns a complaint and who helps: hand-off offers, the ownership
//! ledger, and assists.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{StoreError, ts, ts_opt};

/// Where an offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferState {
    /// Waiting for the receiver.
    Pending,
    /// Taken.
    Accepted,
    /// Declined.
    Declined,
    /// Lapsed.
    Expired,
    /// Taken back by the owner.
    Withdrawn,
}

impl OfferState {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            OfferState::Pending => "pending",
            OfferState::Accepted => "accepted",
            OfferState::Declined => "declined",
            OfferState::Expired => "expired",
            OfferState::Withdrawn => "withdrawn",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            OfferState::Pending,
            OfferState::Accepted,
            OfferState::Declined,
            OfferState::Expired,
            OfferState::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// A hand-off offer.
#[derive(Debug, Clone, PartialEq)]
pub struct HandOff {
    /// UUIDv7.
    pub id: Uuid,
    /// The complaint.
    pub complaint_id: Uuid,
    /// The owner who offered it.
    pub from_owner: String,
    /// The agent offered it, or empty.
    pub to_agent: String,
    /// The team offered it, or empty.
    pub to_team: String,
    /// Why.
    pub reason: String,
    /// Where it stands.
    pub state: OfferState,
    /// When offered.
    pub create_time: Timestamp,
    /// When it lapses.
    pub expire_time: Timestamp,
    /// Who decided, or empty.
    pub decided_by: String,
    /// When decided.
    pub decide_time: Option<Timestamp>,
    /// Why declined.
    pub decline_reason: String,
}

impl HandOff {
    /// Whether `subject` of `team` is who the offer is for.
    pub fn is_for(&self, subject: &str, team: Option<&str>) -> bool {
        (!self.to_agent.is_empty() && self.to_agent == subject)
            || (!self.to_team.is_empty() && team == Some(self.to_team.as_str()))
    }
}

fn hand_off_row(row: &PgRow) -> Result<HandOff, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(HandOff {
        id: row.try_get("id")?,
        complaint_id: row.try_get("complaint_id")?,
        from_owner: row.try_get("from_owner")?,
        to_agent: row.try_get("to_agent")?,
        to_team: row.try_get("to_team")?,
        reason: row.try_get("reason")?,
        state: OfferState::from_code(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown offer state {state:?}")))?,
        create_time: ts(row.try_get("create_time")?),
        expire_time: ts(row.try_get("expire_time")?),
        decided_by: row.try_get("decided_by")?,
        decide_time: ts_opt(row.try_get("decide_time")?),
        decline_reason: row.try_get("decline_reason")?,
    })
}

macro_rules! hand_offs_where {
    ($rest:literal) => {
        concat!(
            "SELECT id, complaint_id, from_owner, to_agent, to_team, reason, state, create_time,
        expire_time, decided_by, decide_time, decline_reason FROM hand_offs ",
            $rest
        )
    };
}

/// Inserts an offer.
pub async fn insert_hand_off(conn: &mut PgConnection, h: &HandOff) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO hand_offs (id, complaint_id, from_owner, to_agent, to_team, reason, state,
             create_time, expire_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(h.id)
    .bind(h.complaint_id)
    .bind(&h.from_owner)
    .bind(&h.to_agent)
    .bind(&h.to_team)
    .bind(&h.reason)
    .bind(h.state.code())
    .bind(h.create_time.to_sqlx())
    .bind(h.expire_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// One offer of a complaint.
pub async fn get_hand_off(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> Result<Option<HandOff>, StoreError> {
    sqlx::query(hand_offs_where!("WHERE id = $1 AND complaint_id = $2"))
        .bind(id)
        .bind(complaint_id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(hand_off_row)
        .transpose()
}

/// The offers of these complaints still open at `now`: pending and not yet
/// expired. An offer past its expiry that the scheduler has not lapsed yet
/// is not among them: nobody can accept it any more.
pub async fn pending_hand_offs(
    conn: &mut PgConnection,
    complaint_ids: &[Uuid],
    now: Timestamp,
) -> Result<Vec<HandOff>, StoreError> {
    let rows = sqlx::query(hand_offs_where!(
        "WHERE complaint_id = ANY($1) AND state = 'pending' AND expire_time > $2"
    ))
    .bind(complaint_ids)
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    rows.iter().map(hand_off_row).collect()
}

/// The offers of complaint `complaint_id` past their expiry at `now` but not
/// lapsed yet (still stored as pending); call with the complaint locked.
pub async fn unlapsed_hand_offs(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    now: Timestamp,
) -> Result<Vec<HandOff>, StoreError> {
    let rows = sqlx::query(hand_offs_where!(
        "WHERE complaint_id = $1 AND state = 'pending' AND expire_time <= $2"
    ))
    .bind(complaint_id)
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    rows.iter().map(hand_off_row).collect()
}

/// Offers for `agent` or `team` still open at `now` (pending, not yet
/// expired), oldest first, at most `limit`.
pub async fn offered_to(
    conn: &mut PgConnection,
    agent: &str,
    team: Option<&str>,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<HandOff>, StoreError> {
    let rows = sqlx::query(hand_offs_where!(
        "WHERE state = 'pending' AND expire_time > $3
             AND (to_agent = $1 OR ($2::text IS NOT NULL AND to_team = $2))
         ORDER BY create_time, id LIMIT $4"
    ))
    .bind(agent)
    .bind(team)
    .bind(now.to_sqlx())
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(hand_off_row).collect()
}

/// Records the decision on an offer.
pub async fn decide_hand_off(
    conn: &mut PgConnection,
    id: Uuid,
    state: OfferState,
    decided_by: &str,
    decline_reason: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE hand_offs SET state = $2, decided_by = $3, decline_reason = $4, decide_time = $5
         WHERE id = $1",
    )
    .bind(id)
    .bind(state.code())
    .bind(decided_by)
    .bind(decline_reason)
    .bind(at.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Pending offers past their expiry, oldest first: (complaint, offer).
/// Nothing is locked; the scheduler locks each complaint first.
pub async fn expired_offers(
    conn: &mut PgConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT complaint_id, id FROM hand_offs
         WHERE state = 'pending' AND expire_time <= $1
         ORDER BY expire_time LIMIT $2",
    )
    .bind(now.to_sqlx())
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?)
}

/// What moved a complaint's ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The receiving agent at intake.
    Intake,
    /// An accepted hand-off.
    HandOffAccepted,
    /// A supervisor's reassignment.
    Reassigned,
}

impl ChangeKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ChangeKind::Intake => "intake",
            ChangeKind::HandOffAccepted => "hand_off_accepted",
            ChangeKind::Reassigned => "reassigned",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            ChangeKind::Intake,
            ChangeKind::HandOffAccepted,
            ChangeKind::Reassigned,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// One entry of the ownership ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnershipChange {
    /// Ledger order.
    pub id: i64,
    /// The complaint.
    pub complaint_id: Uuid,
    /// What moved it.
    pub kind: ChangeKind,
    /// The owner before, or empty.
    pub from_owner: String,
    /// The owner after.
    pub to_owner: String,
    /// The team after, or empty.
    pub to_team: String,
    /// Who made the change.
    pub actor: String,
    /// Why, or empty.
    pub reason: String,
    /// The accepted offer, if any.
    pub hand_off_id: Option<Uuid>,
    /// When.
    pub change_time: Timestamp,
}

/// Appends to the ledger (its id is assigned).
pub async fn record_change(
    conn: &mut PgConnection,
    change: &OwnershipChange,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ownership_changes (complaint_id, kind, from_owner, to_owner, to_team, actor,
             reason, hand_off_id, change_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(change.complaint_id)
    .bind(change.kind.code())
    .bind(&change.from_owner)
    .bind(&change.to_owner)
    .bind(&change.to_team)
    .bind(&change.actor)
    .bind(&change.reason)
    .bind(change.hand_off_id)
    .bind(change.change_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of the ledger of a complaint after ledger id `after`, oldest first.
pub async fn list_changes(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    after: i64,
    limit: u32,
) -> Result<Vec<OwnershipChange>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, complaint_id, kind, from_owner, to_owner, to_team, actor, reason, hand_off_id,
                change_time
         FROM ownership_changes WHERE complaint_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(complaint_id)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(OwnershipChange {
                id: row.try_get("id")?,
                complaint_id: row.try_get("complaint_id")?,
                kind: ChangeKind::from_code(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown change {kind:?}")))?,
                from_owner: row.try_get("from_owner")?,
                to_owner: row.try_get("to_owner")?,
                to_team: row.try_get("to_team")?,
                actor: row.try_get("actor")?,
                reason: row.try_get("reason")?,
                hand_off_id: row.try_get("hand_off_id")?,
                change_time: ts(row.try_get("change_time")?),
            })
        })
        .collect()
}

/// An assist.
#[derive(Debug, Clone, PartialEq)]
pub struct Assist {
    /// UUIDv7.
    pub id: Uuid,
    /// The complaint.
    pub complaint_id: Uuid,
    /// Who asked.
    pub requested_by: String,
    /// The agent asked, or empty.
    pub agent: String,
    /// The department (team id) asked, or empty.
    pub department: String,
    /// What is asked.
    pub question: String,
    /// Whether answered.
    pub answered: bool,
    /// The answer, or empty.
    pub answer: String,
    /// Who answered, or empty.
    pub answered_by: String,
    /// When asked.
    pub create_time: Timestamp,
    /// When answered.
    pub answer_time: Option<Timestamp>,
}

impl Assist {
    /// Whether `subject` of `team` is who the assist is asked of.
    pub fn is_for(&self, subject: &str, team: Option<&str>) -> bool {
        (!self.agent.is_empty() && self.agent == subject)
            || (!self.department.is_empty() && team == Some(self.department.as_str()))
    }
}

macro_rules! assists_where {
    ($rest:literal) => {
        concat!(
            "SELECT id, complaint_id, requested_by, agent, department, question, state, answer,
        answered_by, create_time, answer_time FROM assists ",
            $rest
        )
    };
}

fn assist_row(row: &PgRow) -> Result<Assist, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(Assist {
        id: row.try_get("id")?,
        complaint_id: row.try_get("complaint_id")?,
        requested_by: row.try_get("requested_by")?,
        agent: row.try_get("agent")?,
        department: row.try_get("department")?,
        question: row.try_get("question")?,
        answered: state == "answered",
        answer: row.try_get("answer")?,
        answered_by: row.try_get("answered_by")?,
        create_time: ts(row.try_get("create_time")?),
        answer_time: ts_opt(row.try_get("answer_time")?),
    })
}

/// Inserts an open assist.
pub async fn insert_assist(conn: &mut PgConnection, a: &Assist) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO assists (id, complaint_id, requested_by, agent, department, question, state,
             create_time)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
    )
    .bind(a.id)
    .bind(a.complaint_id)
    .bind(&a.requested_by)
    .bind(&a.agent)
    .bind(&a.department)
    .bind(&a.question)
    .bind(a.create_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// One assist of a complaint, locked.
pub async fn lock_assist(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> Result<Option<Assist>, StoreError> {
    sqlx::query(assists_where!(
        "WHERE id = $1 AND complaint_id = $2 FOR UPDATE"
    ))
    .bind(id)
    .bind(complaint_id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(assist_row)
    .transpose()
}

/// Records an answer.
pub async fn answer_assist(
    conn: &mut PgConnection,
    id: Uuid,
    answer: &str,
    answered_by: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE assists SET state = 'answered', answer = $2, answered_by = $3, answer_time = $4
         WHERE id = $1",
    )
    .bind(id)
    .bind(answer)
    .bind(answered_by)
    .bind(at.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Open assists asked of `agent` or `team` (oldest first, at most `limit`).
pub async fn open_assists_for(
    conn: &mut PgConnection,
    agent: &str,
    team: Option<&str>,
    limit: u32,
) -> Result<Vec<Assist>, StoreError> {
    let rows = sqlx::query(assists_where!(
        "WHERE state = 'open' AND (agent = $1 OR ($2::text IS NOT NULL AND department = $2))
         ORDER BY create_time, id LIMIT $3"
    ))
    .bind(agent)
    .bind(team)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(assist_row).collect()
}

/// Whether `subject` of `team` has an assist (open or answered) on the
/// complaint: then they may add notes to it.
pub async fn is_assisting(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    subject: &str,
    team: Option<&str>,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM assists WHERE complaint_id = $1
             AND (agent = $2 OR ($3::text IS NOT NULL AND department = $3)))",
    )
    .bind(complaint_id)
    .bind(subject)
    .bind(team)
    .fetch_one(conn)
    .await?)
}
