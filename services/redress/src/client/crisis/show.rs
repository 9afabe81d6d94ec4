//! Crisis messages for people (tables) and scripts (JSON in the proto field
//! names, short enum names, RFC 3339 times).

use prost_types::Duration;
use redress_proto::crisis::v1 as pb;
use serde_json::{Value, json};

use crate::client::render::{
    Format, enum_cell, enum_json, list, print_json, print_table, record, time_cell, time_json,
};

/// A protobuf duration for people: whole seconds, or empty when unset.
fn duration_cell(value: Option<&Duration>) -> String {
    value.map_or_else(String::new, |d| format!("{}s", d.seconds))
}

/// A protobuf duration as JSON seconds, or `null`.
fn duration_json(value: Option<&Duration>) -> Value {
    value.map_or(Value::Null, |d| json!(d.seconds))
}

/// A crisis as JSON.
pub fn crisis_json(c: &pb::Crisis) -> Value {
    let measures = c.measures.as_ref();
    json!({
        "name": c.name,
        "title": c.title,
        "type": c.r#type,
        "likelihood": c.likelihood,
        "impact": c.impact,
        "risk_level": enum_json::<pb::RiskLevel>(c.risk_level),
        "priority": enum_json::<pb::CrisisPriority>(c.priority),
        "scope": c.scope.as_ref().map(|s| json!({
            "products": s.products, "regions": s.regions, "categories": s.categories,
        })),
        "drill": c.drill,
        "state": enum_json::<pb::CrisisState>(c.state),
        "warning": c.warning,
        "complaint": c.complaint,
        "team": c.team.iter().map(|m| json!({
            "subject": m.subject,
            "role": enum_json::<pb::TeamRole>(m.role),
            "department": m.department,
            "assign_time": time_json(m.assign_time.as_ref()),
        })).collect::<Vec<_>>(),
        "state_times": c.state_times.iter().map(|s| json!({
            "state": enum_json::<pb::CrisisState>(s.state),
            "enter_time": time_json(s.enter_time.as_ref()),
        })).collect::<Vec<_>>(),
        "measures": {
            "time_to_team": duration_json(measures.and_then(|m| m.time_to_team.as_ref())),
            "time_to_first_statement": duration_json(measures.and_then(|m| m.time_to_first_statement.as_ref())),
            "time_to_stable": duration_json(measures.and_then(|m| m.time_to_stable.as_ref())),
            "duration": duration_json(measures.and_then(|m| m.duration.as_ref())),
        },
        "heavy_customer_count": c.heavy_customer_count,
        "normal_customer_count": c.normal_customer_count,
        "complaint_count": c.complaint_count,
        "declared_by": c.declared_by,
        "create_time": time_json(c.create_time.as_ref()),
        "next_update_due_time": time_json(c.next_update_due_time.as_ref()),
        "etag": c.etag,
    })
}

/// Prints a crisis as JSON or as a record table.
pub fn print_crisis(format: Format, crisis: Option<&pb::Crisis>) -> anyhow::Result<()> {
    let Some(c) = crisis else {
        return crate::client::render::print_line("(no crisis in the response)");
    };
    if format == Format::Json {
        return print_json(&json!({ "crisis": crisis_json(c) }));
    }
    let team = c
        .team
        .iter()
        .map(|m| format!("{} {}", enum_cell::<pb::TeamRole>(m.role), m.subject))
        .collect::<Vec<_>>()
        .join(", ");
    let measures = c.measures.as_ref();
    print_table(&record(vec![
        ("name", c.name.clone()),
        ("title", c.title.clone()),
        ("type", c.r#type.clone()),
        ("state", enum_cell::<pb::CrisisState>(c.state)),
        (
            "risk",
            format!(
                "{} (likelihood {} × impact {}), {}",
                enum_cell::<pb::RiskLevel>(c.risk_level),
                c.likelihood,
                c.impact,
                enum_cell::<pb::CrisisPriority>(c.priority)
            ),
        ),
        ("drill", if c.drill { "yes".into() } else { String::new() }),
        ("team", team),
        (
            "affected",
            format!(
                "{} heavy, {} normal customers; {} complaints",
                c.heavy_customer_count, c.normal_customer_count, c.complaint_count
            ),
        ),
        (
            "time to team",
            duration_cell(measures.and_then(|m| m.time_to_team.as_ref())),
        ),
        (
            "time to first statement",
            duration_cell(measures.and_then(|m| m.time_to_first_statement.as_ref())),
        ),
        (
            "time to stable",
            duration_cell(measures.and_then(|m| m.time_to_stable.as_ref())),
        ),
        (
            "duration",
            duration_cell(measures.and_then(|m| m.duration.as_ref())),
        ),
        (
            "next update due",
            time_cell(c.next_update_due_time.as_ref()),
        ),
        ("from warning", c.warning.clone()),
        ("from complaint", c.complaint.clone()),
        ("declared", time_cell(c.create_time.as_ref())),
        ("etag", c.etag.clone()),
    ]))
}

/// Prints crises as JSON or as a list table.
pub fn print_crises(format: Format, crises: &[pb::Crisis]) -> anyhow::Result<()> {
    if format == Format::Json {
        let all: Vec<Value> = crises.iter().map(crisis_json).collect();
        return print_json(&json!({ "crises": all }));
    }
    let mut table = list(&["name", "title", "state", "priority", "drill", "declared"]);
    for c in crises {
        table.add_row(vec![
            c.name.clone(),
            c.title.clone(),
            enum_cell::<pb::CrisisState>(c.state),
            enum_cell::<pb::CrisisPriority>(c.priority),
            if c.drill {
                "drill".into()
            } else {
                String::new()
            },
            time_cell(c.create_time.as_ref()),
        ]);
    }
    print_table(&table)
}

/// A warning as JSON.
pub fn warning_json(w: &pb::Warning) -> Value {
    let e = w.evidence.as_ref();
    json!({
        "name": w.name,
        "source": enum_json::<pb::WarningSource>(w.source),
        "state": enum_json::<pb::WarningState>(w.state),
        "dedup_key": w.dedup_key,
        "evidence": e.map(|e| json!({
            "dimension": enum_json::<pb::SeriesDimension>(e.dimension),
            "series_value": e.series_value,
            "window_start_time": time_json(e.window_start_time.as_ref()),
            "window_end_time": time_json(e.window_end_time.as_ref()),
            "count": e.count,
            "baseline_mean": e.baseline_mean,
            "baseline_stddev": e.baseline_stddev,
            "sample_complaints": e.sample_complaints,
            "detail": e.detail,
        })),
        "detection_count": w.detection_count,
        "signal_channel": enum_json::<pb::SignalChannel>(w.signal_channel),
        "dismiss_reason": w.dismiss_reason,
        "snooze_until_time": time_json(w.snooze_until_time.as_ref()),
        "crisis": w.crisis,
        "create_time": time_json(w.create_time.as_ref()),
        "etag": w.etag,
    })
}

/// Prints warnings as JSON or as a list table.
pub fn print_warnings(format: Format, warnings: &[pb::Warning]) -> anyhow::Result<()> {
    if format == Format::Json {
        let all: Vec<Value> = warnings.iter().map(warning_json).collect();
        return print_json(&json!({ "warnings": all }));
    }
    let mut table = list(&[
        "name", "source", "state", "series", "count", "detail", "raised",
    ]);
    for w in warnings {
        let e = w.evidence.clone().unwrap_or_default();
        table.add_row(vec![
            w.name.clone(),
            enum_cell::<pb::WarningSource>(w.source),
            enum_cell::<pb::WarningState>(w.state),
            if e.series_value.is_empty() {
                String::new()
            } else {
                format!(
                    "{} {}",
                    enum_cell::<pb::SeriesDimension>(e.dimension),
                    e.series_value
                )
            },
            e.count.to_string(),
            e.detail,
            time_cell(w.create_time.as_ref()),
        ]);
    }
    print_table(&table)
}

/// A statement as JSON.
pub fn statement_json(s: &pb::Statement) -> Value {
    json!({
        "name": s.name,
        "audience": enum_json::<pb::Audience>(s.audience),
        "variants": s.variants.iter().map(|v| json!({
            "locale": v.locale, "headline": v.headline, "body": v.body,
        })).collect::<Vec<_>>(),
        "critical": s.critical,
        "state": enum_json::<pb::StatementState>(s.state),
        "sequence": s.sequence,
        "author": s.author,
        "approved_by": s.approved_by,
        "approve_time": time_json(s.approve_time.as_ref()),
        "released_by": s.released_by,
        "release_time": time_json(s.release_time.as_ref()),
        "deliveries": s.deliveries,
        "recipient_count": s.recipient_count,
        "etag": s.etag,
    })
}

/// Prints statements as JSON or as a list table.
pub fn print_statements(format: Format, statements: &[pb::Statement]) -> anyhow::Result<()> {
    if format == Format::Json {
        let all: Vec<Value> = statements.iter().map(statement_json).collect();
        return print_json(&json!({ "statements": all }));
    }
    let mut table = list(&[
        "name",
        "audience",
        "state",
        "locales",
        "headline",
        "recipients",
        "released",
    ]);
    for s in statements {
        table.add_row(vec![
            s.name.clone(),
            enum_cell::<pb::Audience>(s.audience),
            enum_cell::<pb::StatementState>(s.state),
            s.variants
                .iter()
                .map(|v| v.locale.clone())
                .collect::<Vec<_>>()
                .join(", "),
            s.variants
                .first()
                .map(|v| v.headline.clone())
                .unwrap_or_default(),
            s.recipient_count.to_string(),
            time_cell(s.release_time.as_ref()),
        ]);
    }
    print_table(&table)
}

/// A task as JSON.
pub fn task_json(t: &pb::CrisisTask) -> Value {
    json!({
        "name": t.name,
        "title": t.title,
        "owner": t.owner,
        "department": t.department,
        "due_time": time_json(t.due_time.as_ref()),
        "state": enum_json::<pb::TaskState>(t.state),
        "overdue": t.overdue,
        "from_plan": t.from_plan,
        "assignments": t.assignments.iter().map(|a| json!({
            "from_owner": a.from_owner, "to_owner": a.to_owner, "actor": a.actor,
            "reason": a.reason, "assign_time": time_json(a.assign_time.as_ref()),
        })).collect::<Vec<_>>(),
    })
}

/// Prints tasks as JSON or as a list table.
pub fn print_tasks(format: Format, tasks: &[pb::CrisisTask]) -> anyhow::Result<()> {
    if format == Format::Json {
        let all: Vec<Value> = tasks.iter().map(task_json).collect();
        return print_json(&json!({ "tasks": all }));
    }
    let mut table = list(&["name", "title", "owner", "due", "state", "overdue"]);
    for t in tasks {
        table.add_row(vec![
            t.name.clone(),
            t.title.clone(),
            t.owner.clone(),
            time_cell(t.due_time.as_ref()),
            enum_cell::<pb::TaskState>(t.state),
            if t.overdue {
                "overdue".into()
            } else {
                String::new()
            },
        ]);
    }
    print_table(&table)
}
