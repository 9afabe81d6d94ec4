//! The complaints contract's messages as tables for people. A page of
//! complaints shows what an agent works by: the reference they say on the
//! phone, the state, the priority, who owns it, and when the next SLA clock
//! is due (marked when at risk or breached). One complaint is a record of
//! every field that is set, its clocks a line each.

use std::collections::BTreeMap;
use std::collections::HashMap;

use comfy_table::Table;
use redress_proto::complaints::v1 as pb;
use redress_proto::events::v1 as events;

use crate::client::render::{enum_cell, figure, list, record, time_cell};

/// A protobuf duration for a table cell, such as `1h 30m`; empty when unset.
fn duration_cell(value: Option<&prost_types::Duration>) -> String {
    value
        .and_then(|d| {
            jiff::SignedDuration::new(d.seconds, d.nanos)
                .round(jiff::Unit::Second)
                .ok()
        })
        .map(|d| format!("{d:#}"))
        .unwrap_or_default()
}

/// Whether a clock is counting.
fn is_running(clock: &pb::SlaClock) -> bool {
    use pb::SlaClockStatus as S;
    matches!(
        pb::SlaClockStatus::try_from(clock.status),
        Ok(S::Running | S::AtRisk | S::Breached)
    )
}

/// When the next SLA clock of a complaint is due: the earliest due time of
/// the counting clocks, with `AT_RISK` or `BREACHED` when it is; `paused`
/// when every clock waits for the customer; empty when none counts.
pub fn sla_due(complaint: &pb::Complaint) -> String {
    let next = complaint
        .sla_clocks
        .iter()
        .filter(|c| is_running(c))
        .filter_map(|c| c.due_time.as_ref().map(|due| (due.seconds, due.nanos, c)))
        .min_by_key(|(seconds, nanos, _)| (*seconds, *nanos));
    match next {
        Some((_, _, clock)) => {
            let due = time_cell(clock.due_time.as_ref());
            match pb::SlaClockStatus::try_from(clock.status) {
                Ok(pb::SlaClockStatus::Running) | Err(_) => due,
                Ok(_) => format!("{due} {}", enum_cell::<pb::SlaClockStatus>(clock.status)),
            }
        }
        None if complaint
            .sla_clocks
            .iter()
            .any(|c| c.status == pb::SlaClockStatus::Paused as i32) =>
        {
            "paused".to_owned()
        }
        None => String::new(),
    }
}

/// An SLA clock in one line: `RESOLUTION RUNNING 2h of 8h, due ...`.
fn clock_line(clock: &pb::SlaClock) -> String {
    let mut line = format!(
        "{} {}",
        enum_cell::<pb::SlaClockKind>(clock.kind),
        enum_cell::<pb::SlaClockStatus>(clock.status)
    );
    let target = duration_cell(clock.target.as_ref());
    if !target.is_empty() {
        let elapsed = duration_cell(clock.elapsed.as_ref());
        line.push_str(&format!(" {elapsed} of {target}"));
    }
    if is_running(clock) {
        line.push_str(&format!(", due {}", time_cell(clock.due_time.as_ref())));
    } else if clock.stop_time.is_some() {
        line.push_str(&format!(
            ", stopped {}",
            time_cell(clock.stop_time.as_ref())
        ));
    }
    line
}

/// Whom a hand-off offers the complaint to.
fn receiver(offer: &pb::HandOff) -> String {
    if offer.to_agent.is_empty() {
        offer.to_team.clone()
    } else {
        offer.to_agent.clone()
    }
}

/// One complaint, a row per field that is set.
pub fn complaint(c: &pb::Complaint) -> Table {
    let pending = c
        .pending_hand_off
        .as_ref()
        .map(|h| format!("to {} ({}): {}", receiver(h), h.name, h.reason))
        .unwrap_or_default();
    record(vec![
        ("reference", c.reference.clone()),
        ("name", c.name.clone()),
        ("state", enum_cell::<pb::ComplaintState>(c.state)),
        ("priority", enum_cell::<pb::Priority>(c.priority)),
        ("sla_due", sla_due(c)),
        ("owner", c.owner.clone()),
        ("owner_team", c.owner_team.clone()),
        ("pending_hand_off", pending),
        ("customer", c.customer.clone()),
        (
            "customer_grade",
            enum_cell::<pb::CustomerGrade>(c.customer_grade),
        ),
        ("channel", enum_cell::<pb::Channel>(c.channel)),
        ("kind", enum_cell::<pb::ComplaintKind>(c.kind)),
        ("category", c.category.clone()),
        ("severity", enum_cell::<pb::Severity>(c.severity)),
        ("safety", if c.safety { "YES" } else { "" }.to_owned()),
        ("summary", c.summary.clone()),
        ("description", c.description.clone()),
        ("product", c.product.clone()),
        ("region", c.region.clone()),
        ("requested_remedy", c.requested_remedy.clone()),
        ("motive", enum_cell::<pb::CustomerMotive>(c.motive)),
        ("language", c.language.clone()),
        (
            "escalation_reached",
            enum_cell::<pb::EscalationReached>(c.escalation_reached),
        ),
        ("resolution", c.resolution.clone()),
        ("merged_into", c.merged_into.clone()),
        ("watchers", c.watchers.join(", ")),
        ("transfer_count", c.transfer_count.to_string()),
        ("reopen_count", c.reopen_count.to_string()),
        (
            "sla_clocks",
            c.sla_clocks
                .iter()
                .map(clock_line)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("create_time", time_cell(c.create_time.as_ref())),
        ("acknowledge_time", time_cell(c.acknowledge_time.as_ref())),
        (
            "first_response_time",
            time_cell(c.first_response_time.as_ref()),
        ),
        ("resolve_time", time_cell(c.resolve_time.as_ref())),
        ("close_time", time_cell(c.close_time.as_ref())),
        ("update_time", time_cell(c.update_time.as_ref())),
        ("etag", c.etag.clone()),
    ])
}

/// A page of complaints, a row each.
pub fn complaints(complaints: &[pb::Complaint]) -> Table {
    let mut table = list(&[
        "reference",
        "state",
        "priority",
        "severity",
        "owner",
        "team",
        "SLA due",
        "category",
        "summary",
    ]);
    for c in complaints {
        table.add_row(vec![
            c.reference.clone(),
            enum_cell::<pb::ComplaintState>(c.state),
            enum_cell::<pb::Priority>(c.priority),
            enum_cell::<pb::Severity>(c.severity),
            c.owner.clone(),
            c.owner_team.clone(),
            sla_due(c),
            c.category.clone(),
            c.summary.clone(),
        ]);
    }
    table
}

/// One hand-off.
pub fn hand_off(h: &pb::HandOff) -> Table {
    record(vec![
        ("name", h.name.clone()),
        ("state", enum_cell::<pb::HandOffState>(h.state)),
        ("from_owner", h.from_owner.clone()),
        ("to_agent", h.to_agent.clone()),
        ("to_team", h.to_team.clone()),
        ("reason", h.reason.clone()),
        ("create_time", time_cell(h.create_time.as_ref())),
        ("expire_time", time_cell(h.expire_time.as_ref())),
        ("decided_by", h.decided_by.clone()),
        ("decide_time", time_cell(h.decide_time.as_ref())),
        ("decline_reason", h.decline_reason.clone()),
    ])
}

/// Hand-offs, a row each.
pub fn hand_offs(offers: &[pb::HandOff]) -> Table {
    let mut table = list(&["hand-off", "from", "to", "reason", "expires"]);
    for h in offers {
        table.add_row(vec![
            h.name.clone(),
            h.from_owner.clone(),
            receiver(h),
            h.reason.clone(),
            time_cell(h.expire_time.as_ref()),
        ]);
    }
    table
}

/// Follow-ups, one row each.
pub fn follow_ups(due: &[pb::FollowUp]) -> Table {
    let mut table = list(&["follow-up", "due", "time zone"]);
    for f in due {
        table.add_row(vec![
            f.name.clone(),
            time_cell(f.due_time.as_ref()),
            f.time_zone.clone(),
        ]);
    }
    table
}

/// One assist.
pub fn assist(a: &pb::Assist) -> Table {
    record(vec![
        ("name", a.name.clone()),
        ("state", enum_cell::<pb::AssistState>(a.state)),
        ("requested_by", a.requested_by.clone()),
        ("agent", a.agent.clone()),
        ("department", a.department.clone()),
        ("question", a.question.clone()),
        ("answer", a.answer.clone()),
        ("answered_by", a.answered_by.clone()),
        ("create_time", time_cell(a.create_time.as_ref())),
        ("answer_time", time_cell(a.answer_time.as_ref())),
    ])
}

/// Assists, a row each.
pub fn assists(assists: &[pb::Assist]) -> Table {
    let mut table = list(&["assist", "asked by", "of", "question", "asked"]);
    for a in assists {
        let of = if a.agent.is_empty() {
            &a.department
        } else {
            &a.agent
        };
        table.add_row(vec![
            a.name.clone(),
            a.requested_by.clone(),
            of.clone(),
            a.question.clone(),
            time_cell(a.create_time.as_ref()),
        ]);
    }
    table
}

/// An ownership ledger, oldest first.
pub fn ownership_changes(changes: &[pb::OwnershipChange]) -> Table {
    let mut table = list(&["when", "kind", "from", "to", "team", "by", "reason"]);
    for c in changes {
        table.add_row(vec![
            time_cell(c.change_time.as_ref()),
            enum_cell::<pb::OwnershipChangeKind>(c.kind),
            c.from_owner.clone(),
            c.to_owner.clone(),
            c.to_team.clone(),
            c.actor.clone(),
            c.reason.clone(),
        ]);
    }
    table
}

/// Notes and messages, oldest first.
pub fn notes(notes: &[pb::Note]) -> Table {
    let mut table = list(&["when", "author", "visibility", "body", "attachments"]);
    for n in notes {
        table.add_row(vec![
            time_cell(n.create_time.as_ref()),
            n.author.clone(),
            enum_cell::<pb::NoteVisibility>(n.visibility),
            n.body.clone(),
            n.attachments
                .iter()
                .map(|a| format!("{} ({})", a.uri, a.media_type))
                .collect::<Vec<_>>()
                .join("\n"),
        ]);
    }
    table
}

/// History entries, oldest first; each change as `field: before → after`.
pub fn history(entries: &[pb::HistoryEntry]) -> Table {
    let mut table = list(&["#", "when", "actor", "action", "changes"]);
    for e in entries {
        let actor = if e.via_service.is_empty() {
            e.actor.clone()
        } else {
            format!("{} (via {})", e.actor, e.via_service)
        };
        let changes = e
            .changes
            .iter()
            .map(|c| format!("{}: {} → {}", c.field, c.before, c.after))
            .collect::<Vec<_>>()
            .join("\n");
        table.add_row(vec![
            e.sequence.to_string(),
            time_cell(e.change_time.as_ref()),
            actor,
            e.action.clone(),
            changes,
        ]);
    }
    table
}

/// The category tree, depth first.
pub fn categories(categories: &[pb::Category]) -> Table {
    let mut table = list(&["path", "title"]);
    for c in categories {
        table.add_row(vec![c.path.clone(), c.title.clone()]);
    }
    table
}

/// Teams, a row each.
pub fn teams(teams: &[pb::Team]) -> Table {
    let mut table = list(&[
        "team",
        "display name",
        "supervisor",
        "department",
        "department head",
        "etag",
    ]);
    for t in teams {
        table.add_row(vec![
            t.name.clone(),
            t.display_name.clone(),
            t.supervisor.clone(),
            t.department.clone(),
            t.department_head.clone(),
            t.etag.clone(),
        ]);
    }
    table
}

/// Events, in position order; attributes that have a value as `key=value`.
pub fn events(events: &[events::Event]) -> Table {
    let mut table = list(&["position", "type", "subject", "when", "attributes"]);
    for e in events {
        let attributes = e
            .attributes
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        table.add_row(vec![
            e.position.to_string(),
            e.r#type.clone(),
            e.subject.clone(),
            time_cell(e.create_time.as_ref()),
            attributes,
        ]);
    }
    table
}

/// The figures of a period, a row each.
pub fn stats(s: &pb::GetComplaintStatsResponse) -> Table {
    record(vec![
        ("total", s.total.to_string()),
        (
            "first_response_median",
            duration_cell(s.first_response_median.as_ref()),
        ),
        (
            "first_response_p90",
            duration_cell(s.first_response_p90.as_ref()),
        ),
        (
            "resolution_median",
            duration_cell(s.resolution_median.as_ref()),
        ),
        ("resolution_p90", duration_cell(s.resolution_p90.as_ref())),
        ("transfers_per_complaint", figure(s.transfers_per_complaint)),
        ("reopen_rate", figure(s.reopen_rate)),
        ("recovery_plans", s.recovery_plans.to_string()),
        ("closes_by_override", s.closes_by_override.to_string()),
    ])
}

/// The counts of a period by category, state and channel, and the share of
/// SLA clocks met by kind, a row per group.
pub fn breakdown(s: &pb::GetComplaintStatsResponse) -> Table {
    fn rows<V>(table: &mut Table, by: &str, map: &HashMap<String, V>, cell: impl Fn(&V) -> String) {
        for (key, value) in map.iter().collect::<BTreeMap<_, _>>() {
            table.add_row(vec![by.to_owned(), key.clone(), cell(value)]);
        }
    }
    let mut table = list(&["by", "group", "value"]);
    rows(&mut table, "category", &s.by_category, i64::to_string);
    rows(&mut table, "state", &s.by_state, i64::to_string);
    rows(&mut table, "channel", &s.by_channel, i64::to_string);
    rows(&mut table, "SLA met share", &s.sla_met_share, |v| {
        figure(*v)
    });
    rows(
        &mut table,
        "recovery step done",
        &s.recovery_steps_done,
        i64::to_string,
    );
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(status: pb::SlaClockStatus, due: i64) -> pb::SlaClock {
        pb::SlaClock {
            kind: pb::SlaClockKind::Resolution as i32,
            status: status as i32,
            due_time: Some(prost_types::Timestamp {
                seconds: due,
                nanos: 0,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_sla_due_is_the_earliest_counting_clock_marked_when_at_risk() {
        let complaint = pb::Complaint {
            sla_clocks: vec![
                clock(pb::SlaClockStatus::Running, 1_772_400_000),
                clock(pb::SlaClockStatus::AtRisk, 1_772_357_400),
                clock(pb::SlaClockStatus::Met, 1_772_000_000),
            ],
            ..Default::default()
        };
        assert_eq!(sla_due(&complaint), "2026-03-01T09:30:00Z AT_RISK");
        let paused = pb::Complaint {
            sla_clocks: vec![clock(pb::SlaClockStatus::Paused, 1_772_357_400)],
            ..Default::default()
        };
        assert_eq!(sla_due(&paused), "paused");
        assert_eq!(sla_due(&pb::Complaint::default()), "");
    }

    #[test]
    fn durations_are_friendly_in_tables() {
        let hours = prost_types::Duration {
            seconds: 5400,
            nanos: 0,
        };
        assert_eq!(duration_cell(Some(&hours)), "1h 30m");
        assert_eq!(duration_cell(None), "");
    }
}
