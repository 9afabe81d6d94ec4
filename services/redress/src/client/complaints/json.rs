//! The complaints contract's messages as JSON, built by hand: proto field
//! names, enums as short names (`INVESTIGATING`), times in RFC 3339,
//! durations as protobuf's JSON form (`3600s`), maps with sorted keys, unset
//! messages and enums as `null`, every field present. Each message is
//! destructured field by field, so a field added to the contract is a
//! compile error here until it is printed.

use std::collections::{BTreeMap, HashMap};

use redress_proto::complaints::v1 as pb;
use redress_proto::events::v1 as events;
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::render::{enum_json, text_json, time_json};

/// A protobuf duration as JSON: `"90s"`, `"1.500s"`, or `null` when unset.
pub fn duration_json(value: Option<&prost_types::Duration>) -> Value {
    let Some(prost_types::Duration { seconds, nanos }) = value else {
        return Value::Null;
    };
    if *nanos == 0 {
        return json!(format!("{seconds}s"));
    }
    let negative = *seconds < 0 || *nanos < 0;
    let sign = if negative { "-" } else { "" };
    let mut fraction = format!("{:09}", nanos.unsigned_abs());
    while fraction.len() > 3 && fraction.ends_with("000") {
        fraction.truncate(fraction.len() - 3);
    }
    json!(format!("{sign}{}.{fraction}s", seconds.unsigned_abs()))
}

/// A protobuf map as a JSON object with its keys sorted.
fn sorted<V: Serialize>(map: &HashMap<String, V>) -> Value {
    json!(map.iter().collect::<BTreeMap<_, _>>())
}

/// A complaint.
pub fn complaint(complaint: &pb::Complaint) -> Value {
    let pb::Complaint {
        name,
        reference,
        customer,
        channel,
        kind,
        summary,
        description,
        product,
        region,
        category,
        requested_remedy,
        motive,
        severity,
        safety,
        language,
        escalation_reached,
        priority,
        customer_grade,
        state,
        owner,
        owner_team,
        watchers,
        pending_hand_off,
        transfer_count,
        reopen_count,
        merged_into,
        resolution,
        sla_clocks,
        create_time,
        acknowledge_time,
        first_response_time,
        resolve_time,
        close_time,
        update_time,
        etag,
    } = complaint;
    let mut out = serde_json::Map::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_owned(), value);
    };
    put("name", text_json(name));
    put("reference", text_json(reference));
    put("customer", text_json(customer));
    put("channel", enum_json::<pb::Channel>(*channel));
    put("kind", enum_json::<pb::ComplaintKind>(*kind));
    put("summary", text_json(summary));
    put("description", text_json(description));
    put("product", text_json(product));
    put("region", text_json(region));
    put("category", text_json(category));
    put("requested_remedy", text_json(requested_remedy));
    put("motive", enum_json::<pb::CustomerMotive>(*motive));
    put("severity", enum_json::<pb::Severity>(*severity));
    put("safety", Value::Bool(*safety));
    put("language", text_json(language));
    put(
        "escalation_reached",
        enum_json::<pb::EscalationReached>(*escalation_reached),
    );
    put("priority", enum_json::<pb::Priority>(*priority));
    put(
        "customer_grade",
        enum_json::<pb::CustomerGrade>(*customer_grade),
    );
    put("state", enum_json::<pb::ComplaintState>(*state));
    put("owner", text_json(owner));
    put("owner_team", text_json(owner_team));
    put("watchers", json!(watchers));
    put(
        "pending_hand_off",
        pending_hand_off.as_ref().map_or(Value::Null, hand_off),
    );
    put("transfer_count", json!(transfer_count));
    put("reopen_count", json!(reopen_count));
    put("merged_into", text_json(merged_into));
    put("resolution", text_json(resolution));
    put(
        "sla_clocks",
        Value::Array(sla_clocks.iter().map(sla_clock).collect()),
    );
    put("create_time", time_json(create_time.as_ref()));
    put("acknowledge_time", time_json(acknowledge_time.as_ref()));
    put(
        "first_response_time",
        time_json(first_response_time.as_ref()),
    );
    put("resolve_time", time_json(resolve_time.as_ref()));
    put("close_time", time_json(close_time.as_ref()));
    put("update_time", time_json(update_time.as_ref()));
    put("etag", text_json(etag));
    Value::Object(out)
}

/// One SLA clock.
pub fn sla_clock(clock: &pb::SlaClock) -> Value {
    let pb::SlaClock {
        kind,
        status,
        target,
        elapsed,
        warn_time,
        due_time,
        stop_time,
        cycle_start_time,
    } = clock;
    json!({
        "kind": enum_json::<pb::SlaClockKind>(*kind),
        "status": enum_json::<pb::SlaClockStatus>(*status),
        "target": duration_json(target.as_ref()),
        "elapsed": duration_json(elapsed.as_ref()),
        "warn_time": time_json(warn_time.as_ref()),
        "due_time": time_json(due_time.as_ref()),
        "stop_time": time_json(stop_time.as_ref()),
        "cycle_start_time": time_json(cycle_start_time.as_ref()),
    })
}

/// A hand-off.
pub fn hand_off(offer: &pb::HandOff) -> Value {
    let pb::HandOff {
        name,
        from_owner,
        to_agent,
        to_team,
        reason,
        state,
        create_time,
        expire_time,
        decided_by,
        decide_time,
        decline_reason,
    } = offer;
    json!({
        "name": name,
        "from_owner": from_owner,
        "to_agent": to_agent,
        "to_team": to_team,
        "reason": reason,
        "state": enum_json::<pb::HandOffState>(*state),
        "create_time": time_json(create_time.as_ref()),
        "expire_time": time_json(expire_time.as_ref()),
        "decided_by": decided_by,
        "decide_time": time_json(decide_time.as_ref()),
        "decline_reason": decline_reason,
    })
}

/// A follow-up after closure.
pub fn follow_up(f: &pb::FollowUp) -> Value {
    let pb::FollowUp {
        name,
        sequence,
        due_time,
        state,
        time_zone,
        outcome,
        done_by,
        end_time,
    } = f;
    json!({
        "name": name,
        "sequence": sequence,
        "due_time": time_json(due_time.as_ref()),
        "state": enum_json::<pb::FollowUpState>(*state),
        "time_zone": time_zone,
        "outcome": text_json(outcome),
        "done_by": text_json(done_by),
        "end_time": time_json(end_time.as_ref()),
    })
}

/// An assist.
pub fn assist(assist: &pb::Assist) -> Value {
    let pb::Assist {
        name,
        requested_by,
        agent,
        department,
        question,
        state,
        answer,
        answered_by,
        create_time,
        answer_time,
    } = assist;
    json!({
        "name": name,
        "requested_by": requested_by,
        "agent": agent,
        "department": department,
        "question": question,
        "state": enum_json::<pb::AssistState>(*state),
        "answer": answer,
        "answered_by": answered_by,
        "create_time": time_json(create_time.as_ref()),
        "answer_time": time_json(answer_time.as_ref()),
    })
}

/// One change of ownership.
pub fn ownership_change(change: &pb::OwnershipChange) -> Value {
    let pb::OwnershipChange {
        kind,
        from_owner,
        to_owner,
        to_team,
        actor,
        reason,
        hand_off,
        change_time,
    } = change;
    json!({
        "kind": enum_json::<pb::OwnershipChangeKind>(*kind),
        "from_owner": from_owner,
        "to_owner": to_owner,
        "to_team": to_team,
        "actor": actor,
        "reason": reason,
        "hand_off": hand_off,
        "change_time": time_json(change_time.as_ref()),
    })
}

/// A note or message.
pub fn note(note: &pb::Note) -> Value {
    let pb::Note {
        name,
        author,
        visibility,
        body,
        attachments,
        assist,
        create_time,
    } = note;
    json!({
        "name": name,
        "author": author,
        "visibility": enum_json::<pb::NoteVisibility>(*visibility),
        "body": body,
        "attachments": attachments.iter().map(attachment).collect::<Vec<_>>(),
        "assist": assist,
        "create_time": time_json(create_time.as_ref()),
    })
}

/// An attachment by reference.
pub fn attachment(attachment: &pb::Attachment) -> Value {
    let pb::Attachment {
        uri,
        media_type,
        sha256,
        size_bytes,
        file_name,
    } = attachment;
    json!({
        "uri": uri,
        "media_type": media_type,
        "sha256": sha256,
        "size_bytes": size_bytes,
        "file_name": file_name,
    })
}

/// One entry of a complaint's history.
pub fn history_entry(entry: &pb::HistoryEntry) -> Value {
    let pb::HistoryEntry {
        sequence,
        actor,
        via_service,
        action,
        changes,
        change_time,
    } = entry;
    let changes: Vec<Value> = changes
        .iter()
        .map(
            |pb::FieldChange {
                 field,
                 before,
                 after,
             }| { json!({ "field": field, "before": before, "after": after }) },
        )
        .collect();
    json!({
        "sequence": sequence,
        "actor": actor,
        "via_service": via_service,
        "action": action,
        "changes": changes,
        "change_time": time_json(change_time.as_ref()),
    })
}

/// A category.
pub fn category(category: &pb::Category) -> Value {
    let pb::Category {
        path,
        title,
        parent,
    } = category;
    json!({ "path": path, "title": title, "parent": parent })
}

/// A team.
pub fn team(team: &pb::Team) -> Value {
    let pb::Team {
        name,
        display_name,
        supervisor,
        department,
        department_head,
        etag,
        create_time,
        update_time,
    } = team;
    json!({
        "name": name,
        "display_name": display_name,
        "supervisor": supervisor,
        "department": department,
        "department_head": department_head,
        "etag": etag,
        "create_time": time_json(create_time.as_ref()),
        "update_time": time_json(update_time.as_ref()),
    })
}

/// An event of the feed; `payload` stays the JSON text the service sent.
pub fn event(event: &events::Event) -> Value {
    let events::Event {
        id,
        position,
        r#type,
        subject,
        attributes,
        create_time,
        traceparent,
        schema_version,
        payload,
    } = event;
    json!({
        "id": id,
        "position": position,
        "type": r#type,
        "subject": subject,
        "attributes": sorted(attributes),
        "create_time": time_json(create_time.as_ref()),
        "traceparent": traceparent,
        "schema_version": schema_version,
        "payload": payload,
    })
}

/// The figures over a period.
pub fn stats(stats: &pb::GetComplaintStatsResponse) -> Value {
    let pb::GetComplaintStatsResponse {
        total,
        by_category,
        by_state,
        by_channel,
        first_response_median,
        first_response_p90,
        resolution_median,
        resolution_p90,
        sla_met_share,
        transfers_per_complaint,
        reopen_rate,
        recovery_plans,
        recovery_steps_done,
        closes_by_override,
    } = stats;
    json!({
        "total": total,
        "by_category": sorted(by_category),
        "by_state": sorted(by_state),
        "by_channel": sorted(by_channel),
        "first_response_median": duration_json(first_response_median.as_ref()),
        "first_response_p90": duration_json(first_response_p90.as_ref()),
        "resolution_median": duration_json(resolution_median.as_ref()),
        "resolution_p90": duration_json(resolution_p90.as_ref()),
        "sla_met_share": sorted(sla_met_share),
        "transfers_per_complaint": transfers_per_complaint,
        "reopen_rate": reopen_rate,
        "recovery_plans": recovery_plans,
        "recovery_steps_done": sorted(recovery_steps_done),
        "closes_by_override": closes_by_override,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complaint_prints_with_proto_names_short_enums_and_rfc_3339_times() {
        let complaint = pb::Complaint {
            name: "complaints/0191".into(),
            reference: "C-2026-000001".into(),
            state: pb::ComplaintState::Investigating as i32,
            priority: pb::Priority::P2 as i32,
            transfer_count: 1,
            sla_clocks: vec![pb::SlaClock {
                kind: pb::SlaClockKind::Resolution as i32,
                status: pb::SlaClockStatus::AtRisk as i32,
                target: Some(prost_types::Duration {
                    seconds: 3600,
                    nanos: 0,
                }),
                ..Default::default()
            }],
            create_time: Some(prost_types::Timestamp {
                seconds: 1_772_357_400,
                nanos: 0,
            }),
            ..Default::default()
        };
        let value = super::complaint(&complaint);
        assert_eq!(value["reference"], "C-2026-000001");
        assert_eq!(value["state"], "INVESTIGATING");
        assert_eq!(value["priority"], "P2");
        assert_eq!(value["severity"], Value::Null);
        assert_eq!(value["transfer_count"], 1);
        assert_eq!(value["pending_hand_off"], Value::Null);
        assert_eq!(value["sla_clocks"][0]["status"], "AT_RISK");
        assert_eq!(value["sla_clocks"][0]["target"], "3600s");
        assert_eq!(value["create_time"], "2026-03-01T09:30:00Z");
    }

    #[test]
    fn durations_print_as_protobuf_json_does() {
        let duration =
            |seconds, nanos| duration_json(Some(&prost_types::Duration { seconds, nanos }));
        assert_eq!(duration(90, 0), "90s");
        assert_eq!(duration(1, 500_000_000), "1.500s");
        assert_eq!(duration(0, 1), "0.000000001s");
        assert_eq!(duration(-1, -500_000_000), "-1.500s");
        assert_eq!(duration_json(None), Value::Null);
    }
}
