//! Staff contacts: how agents and teams are reached.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::{PgConnection, PgPool, Row as _};

use super::{StoreError, ts};

/// A staff contact as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    /// `agents/{subject}` or `teams/{id}`.
    pub recipient: String,
    /// Greeting name.
    pub display_name: String,
    /// E-mail ('' for none).
    pub email: String,
    /// Phone ('' for none).
    pub phone: String,
    /// Chat webhook ('' for none).
    pub chat_webhook_url: String,
    /// Channel codes in order.
    pub channels: Vec<String>,
    /// Locale.
    pub locale: String,
    /// Zone.
    pub time_zone: String,
    /// Changed.
    pub update_time: Timestamp,
}

fn row_of(row: &sqlx::postgres::PgRow) -> Result<ContactRow, StoreError> {
    Ok(ContactRow {
        recipient: row.try_get("recipient")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        chat_webhook_url: row.try_get("chat_webhook_url")?,
        channels: row.try_get("channels")?,
        locale: row.try_get("locale")?,
        time_zone: row.try_get("time_zone")?,
        update_time: ts(row.try_get("update_time")?),
    })
}

const COLUMNS: &str = "recipient, display_name, email, phone, chat_webhook_url, channels, locale, time_zone, update_time";

/// The contacts of these recipients.
pub async fn of(pool: &PgPool, recipients: &[String]) -> Result<Vec<ContactRow>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM staff_contacts WHERE recipient = ANY($1)"
    )))
    .bind(recipients)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_of).collect()
}

/// Writes a contact (insert or replace).
pub async fn put(conn: &mut PgConnection, c: &ContactRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO staff_contacts (recipient, display_name, email, phone, chat_webhook_url,
                                     channels, locale, time_zone, update_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (recipient) DO UPDATE SET display_name = $2, email = $3, phone = $4,
             chat_webhook_url = $5, channels = $6, locale = $7, time_zone = $8, update_time = $9",
    )
    .bind(&c.recipient)
    .bind(&c.display_name)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.chat_webhook_url)
    .bind(&c.channels)
    .bind(&c.locale)
    .bind(&c.time_zone)
    .bind(c.update_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}
