//! Bulk loading with `COPY ... FROM STDIN` in PostgreSQL's text format: the
//! fast path `redress seed` uses to write millions of rows. A [`CopyRows`]
//! buffers rows, escaping every value as the text format requires, and
//! streams the buffer to the server whenever it grows past a chunk, so
//! memory stays flat however many rows are written.

use jiff::Timestamp;
use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;
use uuid::Uuid;

/// How much is buffered before it is sent.
const CHUNK_BYTES: usize = 1 << 20;

/// Rows being copied into one table.
pub struct CopyRows<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    buffer: Vec<u8>,
    /// Whether the current row has a column yet (the next needs a tab).
    in_row: bool,
    rows: u64,
}

impl std::fmt::Debug for CopyRows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyRows")
            .field("buffered", &self.buffer.len())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<'c> CopyRows<'c> {
    /// Starts `COPY <table> (<columns>) FROM STDIN` on `conn`. `table` and
    /// `columns` are the caller's own constant identifiers, never input.
    pub async fn begin(
        conn: &'c mut PgConnection,
        table: &str,
        columns: &[&str],
    ) -> Result<CopyRows<'c>, sqlx::Error> {
        let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
        let copy = conn.copy_in_raw(&statement).await?;
        Ok(CopyRows {
            copy,
            buffer: Vec::with_capacity(CHUNK_BYTES + 4096),
            in_row: false,
            rows: 0,
        })
    }

    fn separate(&mut self) {
        if self.in_row {
            self.buffer.push(b'\t');
        }
        self.in_row = true;
    }

    /// A text value.
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        escape_into(&mut self.buffer, value);
        self
    }

    /// SQL NULL.
    pub fn null(&mut self) -> &mut Self {
        self.separate();
        self.buffer.extend_from_slice(b"\\N");
        self
    }

    /// A text value, or NULL.
    pub fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    /// A value whose `Display` needs no escaping (numbers, uuids, booleans).
    fn plain(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::io::Write as _;
        self.separate();
        // Writing to a Vec cannot fail.
        let _ = write!(self.buffer, "{value}");
        self
    }

    /// A uuid.
    pub fn uuid(&mut self, value: Uuid) -> &mut Self {
        self.plain(value.hyphenated())
    }

    /// An integer.
    pub fn int(&mut self, value: i64) -> &mut Self {
        self.plain(value)
    }

    /// A boolean.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.plain(if value { 't' } else { 'f' })
    }

    /// A boolean, or NULL.
    pub fn opt_bool(&mut self, value: Option<bool>) -> &mut Self {
        match value {
            Some(value) => self.bool(value),
            None => self.null(),
        }
    }

    /// A `timestamptz`, to the microsecond.
    pub fn time(&mut self, value: Timestamp) -> &mut Self {
        let micros = value.as_microsecond();
        let value = Timestamp::from_microsecond(micros).unwrap_or(value);
        self.plain(value)
    }

    /// A `timestamptz`, or NULL.
    pub fn opt_time(&mut self, value: Option<Timestamp>) -> &mut Self {
        match value {
            Some(value) => self.time(value),
            None => self.null(),
        }
    }

    /// A `text[]`.
    pub fn text_array<S: AsRef<str>>(&mut self, values: &[S]) -> &mut Self {
        let mut literal = String::from("{");
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                literal.push(',');
            }
            literal.push('"');
            for c in value.as_ref().chars() {
                if c == '"' || c == '\\' {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('"');
        }
        literal.push('}');
        self.text(&literal)
    }

    /// A `jsonb` value.
    pub fn json(&mut self, value: &serde_json::Value) -> &mut Self {
        self.text(&value.to_string())
    }

    /// Ends the current row, sending the buffer when it is full.
    pub async fn end_row(&mut self) -> Result<(), sqlx::Error> {
        self.buffer.push(b'\n');
        self.in_row = false;
        self.rows += 1;
        if self.buffer.len() >= CHUNK_BYTES {
            self.copy.send(std::mem::take(&mut self.buffer)).await?;
            self.buffer.reserve(CHUNK_BYTES + 4096);
        }
        Ok(())
    }

    /// Sends what is left and completes the COPY; returns the rows written.
    pub async fn finish(mut self) -> Result<u64, sqlx::Error> {
        if !self.buffer.is_empty() {
            self.copy.send(std::mem::take(&mut self.buffer)).await?;
        }
        let written = self.copy.finish().await?;
        debug_assert_eq!(written, self.rows);
        Ok(written)
    }
}

/// Appends `value` escaped for COPY's text format.
fn escape_into(buffer: &mut Vec<u8>, value: &str) {
    for byte in value.bytes() {
        match byte {
            b'\\' => buffer.extend_from_slice(b"\\\\"),
            b'\t' => buffer.extend_from_slice(b"\\t"),
            b'\n' => buffer.extend_from_slice(b"\\n"),
            b'\r' => buffer.extend_from_slice(b"\\r"),
            other => buffer.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_into;

    #[test]
    fn text_format_specials_are_escaped_and_the_rest_kept() {
        let mut out = Vec::new();
        escape_into(&mut out, "a\tb\nc\\d\re é");
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re \xc3\xa9");
    }
}
