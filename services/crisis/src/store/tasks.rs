//! Crisis tasks in SQL, each with its owner ledger (every assignment, the
//! first included), and the scheduler's query for open tasks past due.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;

/// One entry of a task's owner ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The owner before; empty for the first.
    pub from_owner: String,
    /// The owner after.
    pub to_owner: String,
    /// Who made the change.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When.
    pub assign_time: Timestamp,
}

/// A task with its ledger.
#[derive(Debug, Clone)]
pub struct Task {
    /// Its id.
    pub id: Uuid,
    /// Its crisis.
    pub crisis_id: Uuid,
    /// What to do.
    pub title: String,
    /// Its one owner.
    pub owner: String,
    /// Its department, if any.
    pub department: String,
    /// When it is due.
    pub due_time: Timestamp,
    /// The state code.
    pub state: String,
    /// When it was found overdue.
    pub overdue_time: Option<Timestamp>,
    /// The completion note.
    pub completion_note: String,
    /// Whether it came from the plan.
    pub from_plan: bool,
    /// When it was created.
    pub create_time: Timestamp,
    /// When it was done or cancelled.
    pub complete_time: Option<Timestamp>,
    /// The owner ledger, oldest first.
    pub assignments: Vec<Assignment>,
}

type Row = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    jiff_sqlx::Timestamp,
    String,
    Option<jiff_sqlx::Timestamp>,
    String,
    bool,
    jiff_sqlx::Timestamp,
    Option<jiff_sqlx::Timestamp>,
);

const COLUMNS: &str = "id, crisis_id, title, owner, department, due_time, state, overdue_time, \
    completion_note, from_plan, create_time, complete_time";

fn read(row: Row) -> Task {
    let (id, crisis_id, title, owner, department, due, state, overdue, note, from_plan, c, done) =
        row;
    Task {
        id,
        crisis_id,
        title,
        owner,
        department,
        due_time: super::ts(due),
        state,
        overdue_time: overdue.map(super::ts),
        completion_note: note,
        from_plan,
        create_time: super::ts(c),
        complete_time: done.map(super::ts),
        assignments: Vec::new(),
    }
}

async fn with_ledgers(
    conn: &mut PgConnection,
    mut tasks: Vec<Task>,
) -> Result<Vec<Task>, StoreError> {
    if tasks.is_empty() {
        return Ok(tasks);
    }
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    let rows: Vec<(Uuid, String, String, String, String, jiff_sqlx::Timestamp)> = sqlx::query_as(
        "SELECT task_id, from_owner, to_owner, actor, reason, assign_time FROM task_assignments \
         WHERE task_id = ANY($1) ORDER BY task_id, sequence",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for (task_id, from_owner, to_owner, actor, reason, t) in rows {
        if let Some(task) = tasks.iter_mut().find(|x| x.id == task_id) {
            task.assignments.push(Assignment {
                from_owner,
                to_owner,
                actor,
                reason,
                assign_time: super::ts(t),
            });
        }
    }
    Ok(tasks)
}

/// A task to create.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    /// Its id.
    pub id: Uuid,
    /// Its crisis.
    pub crisis_id: Uuid,
    /// What to do.
    pub title: &'a str,
    /// Its owner.
    pub owner: &'a str,
    /// Its department.
    pub department: &'a str,
    /// When it is due.
    pub due_time: Timestamp,
    /// Whether it came from the plan.
    pub from_plan: bool,
    /// Who created it (the first ledger entry's actor).
    pub actor: &'a str,
    /// When.
    pub now: Timestamp,
}

/// Inserts a task with the first entry of its ledger.
pub async fn insert(conn: &mut PgConnection, t: &NewTask<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO crisis_tasks (id, crisis_id, title, owner, department, due_time, state, \
         from_plan, create_time) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8)",
    )
    .bind(t.id)
    .bind(t.crisis_id)
    .bind(t.title)
    .bind(t.owner)
    .bind(t.department)
    .bind(t.due_time.to_sqlx())
    .bind(t.from_plan)
    .bind(t.now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    let reason = if t.from_plan {
        "from the plan"
    } else {
        "created"
    };
    record_assignment(conn, t.id, "", t.owner, t.actor, reason, t.now).await
}

/// Appends one entry to a task's ledger.
pub async fn record_assignment(
    conn: &mut PgConnection,
    task: Uuid,
    from: &str,
    to: &str,
    actor: &str,
    reason: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO task_assignments (task_id, sequence, from_owner, to_owner, actor, reason, \
         assign_time) SELECT $1, COALESCE(MAX(sequence), 0) + 1, $2, $3, $4, $5, $6 \
         FROM task_assignments WHERE task_id = $1",
    )
    .bind(task)
    .bind(from)
    .bind(to)
    .bind(actor)
    .bind(reason)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads a task of a crisis with its ledger, locking it when `lock`.
pub async fn get(
    conn: &mut PgConnection,
    crisis: Uuid,
    id: Uuid,
    lock: bool,
) -> Result<Option<Task>, StoreError> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM crisis_tasks WHERE crisis_id = $1 AND id = $2{suffix}"
    )))
    .bind(crisis)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(with_ledgers(conn, vec![read(row)]).await?.pop()),
    }
}

/// Gives a task to `owner`.
pub async fn set_owner(conn: &mut PgConnection, id: Uuid, owner: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE crisis_tasks SET owner = $2 WHERE id = $1")
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks a task done or cancelled.
pub async fn complete(
    conn: &mut PgConnection,
    id: Uuid,
    state: &str,
    note: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE crisis_tasks SET state = $2, completion_note = $3, complete_time = $4 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(note)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Up to `limit` tasks of a crisis by due time after `(due, id)`, in
/// `states` (all when empty), with their ledgers.
pub async fn list(
    conn: &mut PgConnection,
    crisis: Uuid,
    states: &[String],
    after: Option<(Timestamp, Uuid)>,
    limit: i64,
) -> Result<Vec<Task>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM crisis_tasks WHERE crisis_id = $1 \
         AND (cardinality($2::text[]) = 0 OR state = ANY($2)) \
         AND ($3::timestamptz IS NULL OR (due_time, id) > ($3, $4)) \
         ORDER BY due_time, id LIMIT $5"
    )))
    .bind(crisis)
    .bind(states)
    .bind(after.map(|a| a.0.to_sqlx()))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    with_ledgers(conn, rows.into_iter().map(read).collect()).await
}

/// Open tasks past due at `now` not yet found overdue: `(crisis, task)`,
/// the longest overdue first.
pub async fn past_due(
    conn: &mut PgConnection,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT crisis_id, id FROM crisis_tasks WHERE state = 'open' AND overdue_time IS NULL \
         AND due_time <= $1 ORDER BY due_time, id LIMIT $2",
    )
    .bind(now.to_sqlx())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Marks a task overdue at `now` when it still is open, past due and not
/// yet marked; whether it did.
pub async fn mark_overdue(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE crisis_tasks SET overdue_time = $2 WHERE id = $1 AND state = 'open' \
         AND overdue_time IS NULL AND due_time <= $2",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
