//! The crisis row as every area needs it: its head (state, priority, type,
//! drill), read or locked for a change. The crises area owns the rest of
//! the row (declaration, assessment, team, measures).

use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;

/// What every change to a crisis checks and announces.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Head {
    /// The crisis's id.
    pub id: Uuid,
    /// Its state code, such as "responding".
    pub state: String,
    /// Its priority code, such as "P1".
    pub priority: String,
    /// Its type code.
    #[sqlx(rename = "crisis_type")]
    pub crisis_type: String,
    /// Whether it is a drill.
    pub drill: bool,
}

impl Head {
    /// The codes its events carry.
    pub fn codes(&self) -> crate::events::CrisisCodes<'_> {
        crate::events::CrisisCodes {
            state: &self.state,
            priority: &self.priority,
            crisis_type: &self.crisis_type,
            drill: self.drill,
        }
    }

    /// Whether it is over.
    pub fn is_closed(&self) -> bool {
        self.state == "closed"
    }
}

/// Locks the crisis row for the rest of the transaction and reads its head;
/// `None` when there is no such crisis.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<Head>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, state, priority, crisis_type, drill FROM crises WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Reads the crisis's head without locking; `None` when there is none.
pub async fn head(conn: &mut PgConnection, id: Uuid) -> Result<Option<Head>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, state, priority, crisis_type, drill FROM crises WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}
