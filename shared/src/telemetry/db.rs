//! Database spans: one client span per SQL statement run inside a traced
//! operation, named by a summary of the statement and never carrying its
//! parameters.
//!
//! sqlx reports every statement it finishes as a `tracing` event (target
//! `sqlx::query`) with the statement's text, how long it took and the rows
//! it returned. [`DbSpans`] turns each such event into an OpenTelemetry
//! span of kind client, ending now and starting `elapsed` earlier, as a
//! child of the span the statement ran in. The statement's text is read
//! only to summarise it ([`summary`]: the operations and the tables they
//! touch, `SELECT feed_cursors`, `INSERT outbox_events`); string literals,
//! numbers and `$n` placeholders are skipped, and values are bound
//! separately by sqlx anyway, so nothing a caller sent reaches the span.
//!
//! A statement outside any traced operation (a worker's idle poll) makes no
//! span: it would start a trace of its own every second.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{KeyValue, trace::TracerProvider as _};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::dispatcher::WeakDispatch;
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::layer::Context;

/// The `tracing` target sqlx reports statements on.
pub const SQLX_QUERY_TARGET: &str = "sqlx::query";

/// Longest summary kept, in bytes.
const MAX_SUMMARY: usize = 255;
/// Most operation-and-table pairs a summary names.
const MAX_PARTS: usize = 4;

/// A layer making a span of every statement sqlx reports; see the module
/// documentation. Give it only events of [`SQLX_QUERY_TARGET`], at DEBUG
/// and above (sqlx reports a statement at DEBUG, a slow one at WARN, and
/// only when some layer listens).
#[derive(Debug)]
pub struct DbSpans {
    tracer: SdkTracer,
    /// The subscriber this layer is part of: where the span a statement ran
    /// in, and its OpenTelemetry context, are found. (Inside a layer's
    /// callback `Span::current()` is always none, and this layer's own
    /// filter hides every span from its `Context`.)
    dispatch: OnceLock<WeakDispatch>,
}

impl DbSpans {
    /// Spans made through `provider`.
    pub fn new(provider: &SdkTracerProvider) -> Self {
        Self {
            tracer: provider.tracer("redress.db"),
            dispatch: OnceLock::new(),
        }
    }
}

/// The fields of one statement event that a span needs.
#[derive(Default)]
struct Statement {
    /// The first words of the statement (all of it when short).
    first_words: String,
    /// The summary of the whole statement, when sqlx gave it (it does when
    /// the statement is longer than its first words); summarised as it is
    /// read, so the text is never copied.
    whole: Option<Summary>,
    elapsed_secs: Option<f64>,
    rows_returned: Option<u64>,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => value.clone_into(&mut self.first_words),
            "db.statement" if !value.trim().is_empty() => self.whole = Some(summary(value)),
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed_secs = Some(value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "rows_returned" {
            self.rows_returned = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl DbSpans {
    /// The OpenTelemetry context of the span the current thread is in, if
    /// it has a valid one.
    fn current_context(&self) -> Option<opentelemetry::Context> {
        let dispatch = self.dispatch.get()?.upgrade()?;
        let current = dispatch.current_span();
        let context = tracing_opentelemetry::get_otel_context(current.id()?, &dispatch)?;
        context.span().span_context().is_valid().then_some(context)
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for DbSpans {
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != SQLX_QUERY_TARGET {
            return;
        }
        let Some(parent) = self.current_context() else {
            return;
        };
        let mut statement = Statement::default();
        event.record(&mut statement);
        let summary = match statement.whole.take() {
            Some(whole) => whole,
            None => summary(&statement.first_words),
        };
        let end = SystemTime::now();
        let elapsed = statement
            .elapsed_secs
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .unwrap_or_default();
        let mut attributes = vec![
            KeyValue::new("db.system.name", "postgresql"),
            KeyValue::new("db.query.summary", summary.text.clone()),
        ];
        if let Some(operation) = summary.operation {
            attributes.push(KeyValue::new("db.operation.name", operation));
        }
        if let Some(table) = summary.table {
            attributes.push(KeyValue::new("db.collection.name", table));
        }
        if let Some(rows) = statement.rows_returned {
            attributes.push(KeyValue::new(
                "db.response.returned_rows",
                i64::try_from(rows).unwrap_or(i64::MAX),
            ));
        }
        let mut span = self
            .tracer
            .span_builder(summary.text)
            .with_kind(SpanKind::Client)
            .with_start_time(end.checked_sub(elapsed).unwrap_or(end))
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent);
        span.end_with_timestamp(end);
    }
}

/// What a statement does, in words safe to export.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Summary {
    /// The operations and the tables they touch, in order: `SELECT
    /// complaints`, `WITH UPDATE messages SELECT claimed`; the first keyword
    /// alone for anything else (`BEGIN`, `COMMIT`); `SQL` when there is none.
    pub(super) text: String,
    /// The first data operation (`SELECT`, `INSERT`, `UPDATE`, `DELETE`), or
    /// the first keyword.
    pub(super) operation: Option<String>,
    /// The first table it names, when it names one.
    pub(super) table: Option<String>,
}

/// One lexical piece of a statement, as far as a summary cares.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// A keyword or an unquoted identifier (`SELECT`, `outbox_events`,
    /// `crisis.crises`).
    Word(String),
    /// `(`, which turns the word before it into a function call.
    Open,
    /// Anything else: literals, placeholders, operators, punctuation.
    Other,
}

/// Splits `sql` into [`Token`]s, dropping string literals, quoted
/// identifiers, numbers, `$n` placeholders and comments.
fn tokens(sql: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '_' || next == '.' {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(word));
            }
            '(' => tokens.push(Token::Open),
            '\'' | '"' => {
                // A literal or a quoted identifier: skipped whole ('' and ""
                // inside are two quotes in a row, which this also skips).
                for next in chars.by_ref() {
                    if next == c {
                        break;
                    }
                }
                tokens.push(Token::Other);
            }
            '-' if chars.peek() == Some(&'-') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
            }
            '$' | '0'..='9' => {
                while chars
                    .peek()
                    .is_some_and(|next| next.is_ascii_alphanumeric() || *next == '_')
                {
                    chars.next();
                }
                tokens.push(Token::Other);
            }
            c if c.is_whitespace() => {}
            _ => tokens.push(Token::Other),
        }
    }
    tokens
}

/// Words that follow `FROM`, `INTO`, `UPDATE` or `JOIN` without naming a
/// table.
const NOT_TABLES: &[&str] = &[
    "SELECT", "SET", "SKIP", "NOWAIT", "OF", "ONLY", "LATERAL", "VALUES", "DEFAULT", "UNNEST",
    "ROWS", "WHERE",
];

/// Summarises `sql`; see [`Summary`].
pub(super) fn summary(sql: &str) -> Summary {
    let tokens = tokens(sql);
    let word = |index: usize| match tokens.get(index) {
        Some(Token::Word(word)) => Some(word.as_str()),
        _ => None,
    };
    let mut parts: Vec<(String, Option<String>)> = Vec::new();
    let mut first_keyword = None;
    for index in 0..tokens.len() {
        let Some(current) = word(index) else {
            continue;
        };
        let upper = current.to_ascii_uppercase();
        if first_keyword.is_none() {
            first_keyword = Some(upper.clone());
        }
        match upper.as_str() {
            "SELECT" | "INSERT" | "DELETE" | "MERGE" => parts.push((upper, None)),
            // `FOR UPDATE` and `DO UPDATE` lock or upsert; they are not
            // operations of their own.
            "UPDATE"
                if !matches!(
                    word(index.wrapping_sub(1))
                        .map(str::to_ascii_uppercase)
                        .as_deref(),
                    Some("FOR" | "DO")
                ) =>
            {
                parts.push((upper, None));
                name_table(&mut parts, &tokens, index + 1, false);
            }
            // A word and `(` after INTO is a table and its column list;
            // after FROM or JOIN, a function call.
            "INTO" => name_table(&mut parts, &tokens, index + 1, false),
            "FROM" | "JOIN" => name_table(&mut parts, &tokens, index + 1, true),
            _ => {}
        }
    }
    parts.dedup();
    let operation = parts
        .first()
        .map(|(operation, _)| operation.clone())
        .or_else(|| first_keyword.clone());
    let table = parts.iter().find_map(|(_, table)| table.clone());
    let mut text = String::new();
    for (operation, table) in parts.iter().take(MAX_PARTS) {
        for piece in std::iter::once(operation).chain(table) {
            if text.len() + piece.len() + 1 > MAX_SUMMARY {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(piece);
        }
    }
    if text.is_empty() {
        text = first_keyword.unwrap_or_else(|| "SQL".to_owned());
        text.truncate(MAX_SUMMARY);
    }
    Summary {
        text,
        operation,
        table,
    }
}

/// Gives the last part without a table the word at `index`, when that word
/// names a table: not a keyword, and not a function call when `(` after it
/// would make it one.
fn name_table(
    parts: &mut [(String, Option<String>)],
    tokens: &[Token],
    index: usize,
    open_means_call: bool,
) {
    let Some(Token::Word(candidate)) = tokens.get(index) else {
        return;
    };
    if (open_means_call && matches!(tokens.get(index + 1), Some(Token::Open)))
        || NOT_TABLES.contains(&candidate.to_ascii_uppercase().as_str())
    {
        return;
    }
    if let Some((_, table @ None)) = parts.last_mut() {
        *table = Some(candidate.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sql: &str) -> String {
        summary(sql).text
    }

    #[test]
    fn a_statement_is_summarised_by_its_operations_and_tables() {
        assert_eq!(
            text("SELECT position FROM feed_cursors WHERE feed = $1"),
            "SELECT feed_cursors"
        );
        assert_eq!(
            text(
                "INSERT INTO applied_events (feed, event_id) VALUES ($1, $2) ON CONFLICT (feed, event_id) DO NOTHING"
            ),
            "INSERT applied_events"
        );
        assert_eq!(
            text("INSERT INTO feed_cursors (feed, position) VALUES ($1, $2)
                  ON CONFLICT (feed) DO UPDATE SET position = GREATEST(feed_cursors.position, EXCLUDED.position)"),
            "INSERT feed_cursors"
        );
        assert_eq!(
            text("update complaints set state = $2 where id = $1"),
            "UPDATE complaints"
        );
        assert_eq!(
            text("SELECT id FROM messages WHERE due_time <= $1 FOR UPDATE SKIP LOCKED"),
            "SELECT messages"
        );
        assert_eq!(
            text(
                "WITH claimed AS (UPDATE messages SET lease = $1 RETURNING id) SELECT m.id FROM claimed c JOIN messages m ON m.id = c.id"
            ),
            "UPDATE messages SELECT claimed"
        );
        assert_eq!(text("BEGIN"), "BEGIN");
        assert_eq!(text("COMMIT"), "COMMIT");
        assert_eq!(text("SELECT 1"), "SELECT");
        assert_eq!(text(""), "SQL");
    }

    #[test]
    fn a_summary_says_which_operation_and_table_came_first() {
        let summary = summary("DELETE FROM outbox_events WHERE position <= $1");
        assert_eq!(summary.operation.as_deref(), Some("DELETE"));
        assert_eq!(summary.table.as_deref(), Some("outbox_events"));
        let begin = super::summary("BEGIN");
        assert_eq!(begin.operation.as_deref(), Some("BEGIN"));
        assert_eq!(begin.table, None);
    }

    #[test]
    fn literals_and_functions_never_reach_a_summary() {
        let summary = text(
            "SELECT 'Jane Doe' AS name, \"Mixed Case\" FROM unnest($1::uuid[]) -- jane@example.com
             WHERE phone = '+44 20 7946 0000' AND amount > 12345",
        );
        assert_eq!(summary, "SELECT");
        for leak in ["Jane", "Doe", "Mixed", "jane", "7946", "12345", "unnest"] {
            assert!(!summary.contains(leak), "{summary}");
        }
    }

    #[test]
    fn a_long_statement_keeps_a_bounded_summary() {
        let many = (0..100)
            .map(|i| format!("SELECT * FROM table_{i}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let summary = text(&many);
        assert!(summary.len() <= MAX_SUMMARY);
        assert_eq!(
            summary,
            "SELECT table_0 SELECT table_1 SELECT table_2 SELECT table_3"
        );
    }
}
