//! The customers contract's messages as JSON, built by hand: proto field
//! names, enums as short names (`PERSON`), times in RFC 3339, unset messages
//! and enums as `null`, every field present. Each message is destructured
//! field by field, so a field added to the contract is a compile error here
//! until it is printed.

use redress_proto::customers::v1 as pb;
use serde_json::{Value, json};

use crate::client::render::{enum_json, enums_json, money_json, text_json, time_json};

/// A customer.
pub fn customer(customer: &pb::Customer) -> Value {
    let pb::Customer {
        name,
        display_name,
        kind,
        contact_points,
        locale,
        time_zone,
        preferred_channels,
        communication_style,
        consents,
        industry,
        size,
        tags,
        key_account_adviser,
        lifecycle_stage,
        value_grade,
        external_reference,
        create_time,
        update_time,
        etag,
        business_scope,
        operating_status,
        satisfaction,
        last_transaction_time,
        erase_time,
    } = customer;
    let mut out = serde_json::Map::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_owned(), value);
    };
    put("name", text_json(name));
    put("display_name", text_json(display_name));
    put("kind", enum_json::<pb::CustomerKind>(*kind));
    put(
        "contact_points",
        Value::Array(contact_points.iter().map(contact_point).collect()),
    );
    put("locale", text_json(locale));
    put("time_zone", text_json(time_zone));
    put(
        "preferred_channels",
        enums_json::<pb::Channel>(preferred_channels),
    );
    put(
        "communication_style",
        enum_json::<pb::CommunicationStyle>(*communication_style),
    );
    put(
        "consents",
        Value::Array(consents.iter().map(consent).collect()),
    );
    put("industry", text_json(industry));
    put("business_scope", text_json(business_scope));
    put(
        "operating_status",
        enum_json::<pb::OperatingStatus>(*operating_status),
    );
    put("size", enum_json::<pb::CustomerSize>(*size));
    put("tags", json!(tags));
    put("key_account_adviser", text_json(key_account_adviser));
    put(
        "lifecycle_stage",
        enum_json::<pb::LifecycleStage>(*lifecycle_stage),
    );
    put("value_grade", enum_json::<pb::ValueGrade>(*value_grade));
    put("external_reference", text_json(external_reference));
    put(
        "satisfaction",
        satisfaction
            .as_ref()
            .map_or(Value::Null, satisfaction_summary),
    );
    put(
        "last_transaction_time",
        time_json(last_transaction_time.as_ref()),
    );
    put("create_time", time_json(create_time.as_ref()));
    put("update_time", time_json(update_time.as_ref()));
    put("erase_time", time_json(erase_time.as_ref()));
    put("etag", text_json(etag));
    Value::Object(out)
}

/// A contact point: its one of `phone`, `email` or `postal`, with `verified`
/// and `label`.
pub fn contact_point(point: &pb::ContactPoint) -> Value {
    let pb::ContactPoint {
        point,
        verified,
        label,
    } = point;
    let mut out = serde_json::Map::new();
    match point {
        Some(pb::contact_point::Point::Phone(phone)) => {
            out.insert("phone".into(), text_json(phone));
        }
        Some(pb::contact_point::Point::Email(email)) => {
            out.insert("email".into(), text_json(email));
        }
        Some(pb::contact_point::Point::Postal(postal)) => {
            out.insert("postal".into(), postal_address(postal));
        }
        None => {}
    }
    out.insert("verified".into(), Value::Bool(*verified));
    out.insert("label".into(), text_json(label));
    Value::Object(out)
}

/// A postal address.
pub fn postal_address(address: &pb::PostalAddress) -> Value {
    let pb::PostalAddress {
        lines,
        locality,
        administrative_area,
        postal_code,
        region_code,
    } = address;
    json!({
        "lines": lines,
        "locality": locality,
        "administrative_area": administrative_area,
        "postal_code": postal_code,
        "region_code": region_code,
    })
}

/// A consent for one purpose.
pub fn consent(consent: &pb::Consent) -> Value {
    let pb::Consent {
        purpose,
        state,
        update_time,
    } = consent;
    json!({
        "purpose": purpose,
        "state": enum_json::<pb::ConsentState>(*state),
        "update_time": time_json(update_time.as_ref()),
    })
}

/// A satisfaction summary.
pub fn satisfaction_summary(summary: &pb::SatisfactionSummary) -> Value {
    let pb::SatisfactionSummary {
        record_count,
        current_ratio,
        recent_mean_ratio,
        previous_mean_ratio,
        trend,
        last_record_time,
    } = summary;
    json!({
        "record_count": record_count,
        "current_ratio": current_ratio,
        "recent_mean_ratio": recent_mean_ratio,
        "previous_mean_ratio": previous_mean_ratio,
        "trend": enum_json::<pb::SatisfactionTrend>(*trend),
        "last_record_time": time_json(last_record_time.as_ref()),
    })
}

/// A transaction.
pub fn transaction(transaction: &pb::Transaction) -> Value {
    let pb::Transaction {
        name,
        kind,
        amount,
        occur_time,
        external_reference,
        create_time,
    } = transaction;
    json!({
        "name": name,
        "kind": enum_json::<pb::TransactionKind>(*kind),
        "amount": money_json(amount.as_ref()),
        "occur_time": time_json(occur_time.as_ref()),
        "external_reference": external_reference,
        "create_time": time_json(create_time.as_ref()),
    })
}

/// An interaction.
pub fn interaction(interaction: &pb::Interaction) -> Value {
    let pb::Interaction {
        name,
        channel,
        direction,
        summary,
        agent,
        occur_time,
        related_complaint,
        create_time,
    } = interaction;
    json!({
        "name": name,
        "channel": enum_json::<pb::Channel>(*channel),
        "direction": enum_json::<pb::Direction>(*direction),
        "summary": summary,
        "agent": agent,
        "occur_time": time_json(occur_time.as_ref()),
        "related_complaint": related_complaint,
        "create_time": time_json(create_time.as_ref()),
    })
}

/// A satisfaction survey answer.
pub fn satisfaction_record(record: &pb::SatisfactionRecord) -> Value {
    let pb::SatisfactionRecord {
        name,
        perceived_value,
        expectation,
        ratio,
        related_complaint,
        answer_time,
        create_time,
    } = record;
    json!({
        "name": name,
        "perceived_value": perceived_value,
        "expectation": expectation,
        "ratio": ratio,
        "related_complaint": related_complaint,
        "answer_time": time_json(answer_time.as_ref()),
        "create_time": time_json(create_time.as_ref()),
    })
}

/// A churn report.
pub fn churn_report(report: &pb::GetChurnReportResponse) -> Value {
    let pb::GetChurnReportResponse {
        by_grade,
        by_size,
        warning,
        rise_threshold_points,
        previous_start_time,
    } = report;
    json!({
        "by_grade": by_grade.iter().map(churn_row).collect::<Vec<_>>(),
        "by_size": by_size.iter().map(churn_row).collect::<Vec<_>>(),
        "warning": warning,
        "rise_threshold_points": rise_threshold_points,
        "previous_start_time": time_json(previous_start_time.as_ref()),
    })
}

/// One row of a churn report: its group (`value_grade` or `size`, the other
/// absent) and figures.
pub fn churn_row(row: &pb::ChurnRow) -> Value {
    let pb::ChurnRow {
        group,
        active_at_start,
        churned,
        churn_rate_percent,
        previous_churn_rate_percent,
        flagged,
    } = row;
    let mut out = serde_json::Map::new();
    match group {
        Some(pb::churn_row::Group::ValueGrade(grade)) => {
            out.insert("value_grade".into(), enum_json::<pb::ValueGrade>(*grade));
        }
        Some(pb::churn_row::Group::Size(size)) => {
            out.insert("size".into(), enum_json::<pb::CustomerSize>(*size));
        }
        None => {}
    }
    out.insert("active_at_start".into(), json!(active_at_start));
    out.insert("churned".into(), json!(churned));
    out.insert("churn_rate_percent".into(), json!(churn_rate_percent));
    out.insert(
        "previous_churn_rate_percent".into(),
        json!(previous_churn_rate_percent),
    );
    out.insert("flagged".into(), Value::Bool(*flagged));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_prints_with_proto_names_short_enums_and_rfc_3339_times() {
        let customer = pb::Customer {
            name: "customers/0191".into(),
            display_name: "Ada".into(),
            kind: pb::CustomerKind::Person as i32,
            contact_points: vec![pb::ContactPoint {
                point: Some(pb::contact_point::Point::Email("ada@example.com".into())),
                ..Default::default()
            }],
            lifecycle_stage: pb::LifecycleStage::Prospect as i32,
            create_time: Some(prost_types::Timestamp {
                seconds: 1_772_357_400,
                nanos: 0,
            }),
            ..Default::default()
        };
        let value = super::customer(&customer);
        assert_eq!(value["display_name"], "Ada");
        assert_eq!(value["kind"], "PERSON");
        assert_eq!(value["lifecycle_stage"], "PROSPECT");
        assert_eq!(value["size"], Value::Null);
        assert_eq!(value["contact_points"][0]["email"], "ada@example.com");
        assert_eq!(value["create_time"], "2026-03-01T09:30:00Z");
        assert_eq!(value["erase_time"], Value::Null);
    }

    #[test]
    fn a_churn_row_names_its_group() {
        let row = pb::ChurnRow {
            group: Some(pb::churn_row::Group::ValueGrade(pb::ValueGrade::A as i32)),
            active_at_start: 10,
            churned: 1,
            churn_rate_percent: 10.0,
            ..Default::default()
        };
        let value = churn_row(&row);
        assert_eq!(value["value_grade"], "A");
        assert!(value.get("size").is_none());
        assert_eq!(value["churned"], 1);
    }
}
