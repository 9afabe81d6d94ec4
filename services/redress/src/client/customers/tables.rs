//! The customers contract's messages as tables for people: one customer as
//! a record of its fields, a page of customers or interactions as a list,
//! churn rows as a list with the flagged groups marked.

use comfy_table::Table;
use redress_proto::customers::v1 as pb;

use crate::client::args::format_money;
use crate::client::render::{enum_cell, enums_cell, figure, list, record, time_cell};

/// One contact point as text: `email ada@example.com (work, verified)`.
fn contact_point(point: &pb::ContactPoint) -> String {
    let address = match &point.point {
        Some(pb::contact_point::Point::Phone(phone)) => format!("phone {phone}"),
        Some(pb::contact_point::Point::Email(email)) => format!("email {email}"),
        Some(pb::contact_point::Point::Postal(postal)) => {
            let mut parts = postal.lines.clone();
            parts.extend(
                [
                    &postal.postal_code,
                    &postal.locality,
                    &postal.administrative_area,
                    &postal.region_code,
                ]
                .into_iter()
                .filter(|p| !p.is_empty())
                .cloned(),
            );
            format!("postal {}", parts.join(", "))
        }
        None => "(empty)".to_owned(),
    };
    let mut notes = Vec::new();
    if !point.label.is_empty() {
        notes.push(point.label.as_str());
    }
    if point.verified {
        notes.push("verified");
    }
    if notes.is_empty() {
        address
    } else {
        format!("{address} ({})", notes.join(", "))
    }
}

/// A satisfaction summary in one line.
fn satisfaction_line(summary: &pb::SatisfactionSummary) -> String {
    if summary.record_count == 0 {
        return String::new();
    }
    let trend = enum_cell::<pb::SatisfactionTrend>(summary.trend);
    format!(
        "{} (recent {}, previous {}; {} answers{})",
        figure(summary.current_ratio),
        figure(summary.recent_mean_ratio),
        figure(summary.previous_mean_ratio),
        summary.record_count,
        if trend.is_empty() {
            String::new()
        } else {
            format!(", {trend}")
        }
    )
}

/// One customer, a row per field that is set.
pub fn customer(c: &pb::Customer) -> Table {
    let consents = c
        .consents
        .iter()
        .map(|x| format!("{}: {}", x.purpose, enum_cell::<pb::ConsentState>(x.state)))
        .collect::<Vec<_>>()
        .join(", ");
    record(vec![
        ("name", c.name.clone()),
        ("display_name", c.display_name.clone()),
        ("kind", enum_cell::<pb::CustomerKind>(c.kind)),
        (
            "contact_points",
            c.contact_points
                .iter()
                .map(contact_point)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("locale", c.locale.clone()),
        ("time_zone", c.time_zone.clone()),
        (
            "preferred_channels",
            enums_cell::<pb::Channel>(&c.preferred_channels),
        ),
        (
            "communication_style",
            enum_cell::<pb::CommunicationStyle>(c.communication_style),
        ),
        ("consents", consents),
        ("industry", c.industry.clone()),
        ("business_scope", c.business_scope.clone()),
        (
            "operating_status",
            enum_cell::<pb::OperatingStatus>(c.operating_status),
        ),
        ("size", enum_cell::<pb::CustomerSize>(c.size)),
        ("tags", c.tags.join(", ")),
        ("key_account_adviser", c.key_account_adviser.clone()),
        (
            "lifecycle_stage",
            enum_cell::<pb::LifecycleStage>(c.lifecycle_stage),
        ),
        ("value_grade", enum_cell::<pb::ValueGrade>(c.value_grade)),
        ("external_reference", c.external_reference.clone()),
        (
            "satisfaction",
            c.satisfaction
                .as_ref()
                .map(satisfaction_line)
                .unwrap_or_default(),
        ),
        (
            "last_transaction_time",
            time_cell(c.last_transaction_time.as_ref()),
        ),
        ("create_time", time_cell(c.create_time.as_ref())),
        ("update_time", time_cell(c.update_time.as_ref())),
        ("erase_time", time_cell(c.erase_time.as_ref())),
        ("etag", c.etag.clone()),
    ])
}

/// A customer's grade and stage, after a transaction moved them.
pub fn standing(c: &pb::Customer) -> Table {
    record(vec![
        ("customer", c.name.clone()),
        ("value_grade", enum_cell::<pb::ValueGrade>(c.value_grade)),
        (
            "lifecycle_stage",
            enum_cell::<pb::LifecycleStage>(c.lifecycle_stage),
        ),
        (
            "last_transaction_time",
            time_cell(c.last_transaction_time.as_ref()),
        ),
    ])
}

/// A page of customers, a row each.
pub fn customers(customers: &[pb::Customer]) -> Table {
    let mut table = list(&[
        "name",
        "display name",
        "kind",
        "grade",
        "stage",
        "size",
        "locale",
        "tags",
    ]);
    for c in customers {
        table.add_row(vec![
            c.name.clone(),
            c.display_name.clone(),
            enum_cell::<pb::CustomerKind>(c.kind),
            enum_cell::<pb::ValueGrade>(c.value_grade),
            enum_cell::<pb::LifecycleStage>(c.lifecycle_stage),
            enum_cell::<pb::CustomerSize>(c.size),
            c.locale.clone(),
            c.tags.join(", "),
        ]);
    }
    table
}

/// One transaction.
pub fn transaction(t: &pb::Transaction) -> Table {
    record(vec![
        ("name", t.name.clone()),
        ("kind", enum_cell::<pb::TransactionKind>(t.kind)),
        (
            "amount",
            t.amount.as_ref().map(format_money).unwrap_or_default(),
        ),
        ("occur_time", time_cell(t.occur_time.as_ref())),
        ("external_reference", t.external_reference.clone()),
        ("create_time", time_cell(t.create_time.as_ref())),
    ])
}

/// One interaction.
pub fn interaction(i: &pb::Interaction) -> Table {
    record(vec![
        ("name", i.name.clone()),
        ("channel", enum_cell::<pb::Channel>(i.channel)),
        ("direction", enum_cell::<pb::Direction>(i.direction)),
        ("summary", i.summary.clone()),
        ("agent", i.agent.clone()),
        ("occur_time", time_cell(i.occur_time.as_ref())),
        ("related_complaint", i.related_complaint.clone()),
        ("create_time", time_cell(i.create_time.as_ref())),
    ])
}

/// A page of interactions, newest first.
pub fn interactions(interactions: &[pb::Interaction]) -> Table {
    let mut table = list(&[
        "when",
        "channel",
        "direction",
        "agent",
        "complaint",
        "summary",
    ]);
    for i in interactions {
        table.add_row(vec![
            time_cell(i.occur_time.as_ref()),
            enum_cell::<pb::Channel>(i.channel),
            enum_cell::<pb::Direction>(i.direction),
            i.agent.clone(),
            i.related_complaint.clone(),
            i.summary.clone(),
        ]);
    }
    table
}

/// One satisfaction answer.
pub fn satisfaction_record(r: &pb::SatisfactionRecord) -> Table {
    record(vec![
        ("name", r.name.clone()),
        ("perceived_value", r.perceived_value.to_string()),
        ("expectation", r.expectation.to_string()),
        ("ratio", figure(r.ratio)),
        ("related_complaint", r.related_complaint.clone()),
        ("answer_time", time_cell(r.answer_time.as_ref())),
        ("create_time", time_cell(r.create_time.as_ref())),
    ])
}

/// A customer's satisfaction after an answer.
pub fn satisfaction_summary(s: &pb::SatisfactionSummary) -> Table {
    record(vec![
        ("record_count", s.record_count.to_string()),
        ("current_ratio", figure(s.current_ratio)),
        ("recent_mean_ratio", figure(s.recent_mean_ratio)),
        ("previous_mean_ratio", figure(s.previous_mean_ratio)),
        ("trend", enum_cell::<pb::SatisfactionTrend>(s.trend)),
        ("last_record_time", time_cell(s.last_record_time.as_ref())),
    ])
}

/// Churn rows, a group each; flagged groups are marked.
pub fn churn(rows: &[pb::ChurnRow]) -> Table {
    let mut table = list(&[
        "group",
        "active at start",
        "churned",
        "rate %",
        "before %",
        "flagged",
    ]);
    for row in rows {
        let group = match row.group {
            Some(pb::churn_row::Group::ValueGrade(grade)) => {
                format!("grade {}", enum_cell::<pb::ValueGrade>(grade))
            }
            Some(pb::churn_row::Group::Size(size)) => match enum_cell::<pb::CustomerSize>(size) {
                name if name.is_empty() => "size unknown".to_owned(),
                name => format!("size {name}"),
            },
            None => String::new(),
        };
        table.add_row(vec![
            group,
            row.active_at_start.to_string(),
            row.churned.to_string(),
            figure(row.churn_rate_percent),
            figure(row.previous_churn_rate_percent),
            if row.flagged {
                "FLAGGED".to_owned()
            } else {
                String::new()
            },
        ]);
    }
    table
}
