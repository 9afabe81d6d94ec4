//! Printing results: a table for people, JSON for scripts. Tables are built
//! with comfy-table, either as a list (one row per resource) or as a record
//! (one row per field). JSON is built by hand from the protobuf messages,
//! in the proto field names, with enums as short names (`PERSON`), times in
//! RFC 3339 and unset messages and enums as `null`, so the output stays the
//! same whatever the generated code's serde support.

use std::io::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::Value;

use super::wire_enum::{WireEnum, short};

/// How to print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Tables and short lines, for people.
    Table,
    /// Pretty-printed JSON on stdout, for scripts.
    Json,
}

impl Format {
    /// `Json` when `--json` was given.
    pub fn from_flag(json: bool) -> Self {
        if json { Self::Json } else { Self::Table }
    }
}

/// Prints `value` as pretty JSON and a newline.
pub fn print_json(value: &Value) -> anyhow::Result<()> {
    print_line(serde_json::to_string_pretty(value)?)
}

/// Prints a table and a newline.
pub fn print_table(table: &Table) -> anyhow::Result<()> {
    print_line(table)
}

/// Prints a line on stdout. A reader that went away (`| head`) is not an
/// error: the command ends quietly, as Unix tools do.
pub fn print_line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    quietly(writeln!(std::io::stdout().lock(), "{text}"))
}

/// `result`, with a closed stdout (broken pipe) taken as success.
pub fn quietly(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// An empty table with a header row, in the house style.
pub fn list(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// A two-column table of fields and values; empty values are left out.
pub fn record(rows: Vec<(&str, String)>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    for (field, value) in rows {
        if !value.is_empty() {
            table.add_row(vec![field.to_owned(), value]);
        }
    }
    table
}

/// A protobuf time in RFC 3339 (`2026-03-01T09:30:00Z`), or `None` when
/// unset or out of range.
pub fn time_text(value: Option<&prost_types::Timestamp>) -> Option<String> {
    value
        .and_then(|t| redress_platform::wire::from_timestamp(t).ok())
        .map(|t| t.to_string())
}

/// A protobuf time for a table cell: RFC 3339, or empty.
pub fn time_cell(value: Option<&prost_types::Timestamp>) -> String {
    time_text(value).unwrap_or_default()
}

/// A protobuf time as JSON: an RFC 3339 string, or `null`.
pub fn time_json(value: Option<&prost_types::Timestamp>) -> Value {
    time_text(value).map_or(Value::Null, Value::String)
}

/// A raw enum field for a table cell: its short name, or empty.
pub fn enum_cell<E: WireEnum>(raw: i32) -> String {
    short::<E>(raw).unwrap_or_default()
}

/// A raw enum field as JSON: its short name, or `null` when unspecified.
pub fn enum_json<E: WireEnum>(raw: i32) -> Value {
    short::<E>(raw).map_or(Value::Null, Value::String)
}

/// Repeated raw enum values as a JSON array of short names.
pub fn enums_json<E: WireEnum>(raw: &[i32]) -> Value {
    Value::Array(raw.iter().map(|r| enum_json::<E>(*r)).collect())
}

/// Repeated raw enum values for a table cell, comma separated.
pub fn enums_cell<E: WireEnum>(raw: &[i32]) -> String {
    raw.iter()
        .filter_map(|r| short::<E>(*r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A string field as JSON: empty stays `""`, so scripts see every field.
pub fn text_json(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// `google.type.Money` as JSON, or `null`.
pub fn money_json(value: Option<&redress_proto::google::r#type::Money>) -> Value {
    match value {
        None => Value::Null,
        Some(money) => serde_json::json!({
            "currency_code": money.currency_code,
            "units": money.units,
            "nanos": money.nanos,
        }),
    }
}

/// A ratio or percentage for a table cell, with two decimals.
pub fn figure(value: f64) -> String {
    format!("{value:.2}")
}
