//! Proto ⇄ domain for the complaint and what hangs off it. Incoming
//! messages are destructured field by field, so a field added to the
//! contract is a compile error here until it is handled; parsing collects a
//! violation per bad field (with its path in the request) instead of
//! stopping at the first.

use jiff::{SignedDuration, Timestamp};
use redress_platform::error::FieldViolations;
use redress_platform::wire::{self, WireEnum, to_wire_opt};
use redress_proto::complaints::v1 as pb;

use crate::domain::category::CategoryTree;
use crate::domain::complaint::{
    Channel, Complaint, Description, EscalationReached, MAX_CODE, MAX_LANGUAGE, MAX_LONG_TEXT,
    MAX_REASON, MAX_SUMMARY, Motive,
};
use crate::domain::lifecycle::Kind;
use crate::domain::names;
use crate::domain::priority::Severity;
use crate::domain::sla::ClockKind;
use crate::store::history::Entry;
use crate::store::notes::{Attachment, Note, Visibility};
use crate::store::ownership::{Assist, ChangeKind, HandOff, OfferState, OwnershipChange};
use crate::store::sla::StoredClock;
use crate::store::teams::Team;

/// Most attachments on one note.
pub const MAX_ATTACHMENTS: usize = 20;

/// Checks free text: trimmed length within `1..=max` when `required`, else
/// `0..=max`; returns it trimmed.
pub fn text(
    v: &mut FieldViolations,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let trimmed = value.trim();
    if required && trimmed.is_empty() {
        v.add(field, "is required");
    } else if trimmed.chars().count() > max {
        v.add(field, format!("is longer than {max} characters"));
    } else if trimmed.contains('\0') {
        v.add(field, "must not contain NUL characters");
    }
    trimmed.to_owned()
}

/// Reads an enum field: a violation for an unknown number, and for a
/// missing value when `required`.
pub fn enum_field<T: WireEnum>(
    v: &mut FieldViolations,
    field: &str,
    value: i32,
    required: bool,
) -> Option<T> {
    match T::from_wire(value) {
        Ok(Some(found)) => Some(found),
        Ok(None) => {
            if required {
                v.add(field, "is required");
            }
            None
        }
        Err(error) => {
            v.add(field, error);
            None
        }
    }
}

/// The described fields of a complaint message, validated. `prefix` is the
/// message's path in its request, such as `complaint`.
pub fn description(
    c: &pb::Complaint,
    prefix: &str,
    categories: &CategoryTree,
) -> Result<Description, FieldViolations> {
    let pb::Complaint {
        name: _,
        reference: _,
        customer: _,
        channel: _,
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
        priority: _,
        customer_grade: _,
        state: _,
        owner: _,
        owner_team: _,
        watchers: _,
        pending_hand_off: _,
        transfer_count: _,
        reopen_count: _,
        merged_into: _,
        resolution: _,
        sla_clocks: _,
        create_time: _,
        acknowledge_time: _,
        first_response_time: _,
        resolve_time: _,
        close_time: _,
        update_time: _,
        etag: _,
    } = c;
    let mut v = FieldViolations::new();
    let f = |name: &str| format!("{prefix}.{name}");
    let kind = enum_field::<Kind>(&mut v, &f("kind"), *kind, true);
    let summary = text(&mut v, &f("summary"), summary, MAX_SUMMARY, true);
    let description = text(&mut v, &f("description"), description, MAX_LONG_TEXT, false);
    let product = text(&mut v, &f("product"), product, MAX_CODE, false);
    let region = text(&mut v, &f("region"), region, MAX_CODE, false);
    let category = category.trim().to_owned();
    if category.is_empty() {
        v.add(f("category"), "is required");
    } else if !categories.contains(&category) {
        v.add(
            f("category"),
            "is not a category of the tree; ListCategories gives them",
        );
    }
    let requested_remedy = text(
        &mut v,
        &f("requested_remedy"),
        requested_remedy,
        MAX_REASON,
        false,
    );
    let motive = enum_field::<Motive>(&mut v, &f("motive"), *motive, false);
    let severity = enum_field::<Severity>(&mut v, &f("severity"), *severity, true);
    let language = language.trim().to_owned();
    if language.chars().count() > MAX_LANGUAGE {
        v.add(
            f("language"),
            format!("must be at most {MAX_LANGUAGE} characters"),
        );
    } else if !language.is_empty() && language_tags::LanguageTag::parse(&language).is_err() {
        v.add(
            f("language"),
            "must be a BCP 47 language tag, such as \"nl\" or \"zh-Hant-TW\"",
        );
    }
    let escalation_reached = enum_field::<EscalationReached>(
        &mut v,
        &f("escalation_reached"),
        *escalation_reached,
        false,
    );
    if !v.is_empty() {
        return Err(v);
    }
    match (kind, severity) {
        (Some(kind), Some(severity)) => Ok(Description {
            kind,
            summary,
            description,
            product,
            region,
            category,
            requested_remedy,
            motive,
            severity,
            safety: *safety,
            language,
            escalation_reached,
        }),
        _ => Err(FieldViolations::new()),
    }
}

/// The customer and channel of a new complaint.
pub fn intake_source(
    v: &mut FieldViolations,
    c: &pb::Complaint,
) -> (Option<uuid::Uuid>, Option<Channel>) {
    let customer = v.check("complaint.customer", names::parse_customer(&c.customer));
    let channel = enum_field::<Channel>(v, "complaint.channel", c.channel, true);
    (customer, channel)
}

/// A complaint on the wire; `clocks` are its stored SLA clocks, judged at
/// `now`.
pub fn complaint(
    c: &Complaint,
    clocks: &[StoredClock],
    pending: Option<&HandOff>,
    now: Timestamp,
) -> pb::Complaint {
    let d = &c.description;
    let mut sla_clocks: Vec<pb::SlaClock> = clocks.iter().map(|k| clock(k, now)).collect();
    sla_clocks.sort_by_key(|k| k.kind);
    pb::Complaint {
        name: names::complaint(c.id),
        reference: c.reference.clone(),
        customer: names::customer(c.customer_id),
        channel: c.channel.to_wire(),
        kind: d.kind.to_wire(),
        summary: d.summary.clone(),
        description: d.description.clone(),
        product: d.product.clone(),
        region: d.region.clone(),
        category: d.category.clone(),
        requested_remedy: d.requested_remedy.clone(),
        motive: to_wire_opt(d.motive),
        severity: d.severity.to_wire(),
        safety: d.safety,
        language: d.language.clone(),
        escalation_reached: to_wire_opt(d.escalation_reached),
        priority: c.priority.to_wire(),
        customer_grade: c.customer_grade.to_wire(),
        state: c.state.to_wire(),
        owner: c.owner.clone(),
        owner_team: names::team(&c.owner_team),
        watchers: c.watchers.clone(),
        pending_hand_off: pending.map(hand_off),
        transfer_count: c.transfer_count,
        reopen_count: c.reopen_count,
        merged_into: c.merged_into.map(names::complaint).unwrap_or_default(),
        resolution: c.resolution.clone(),
        sla_clocks,
        create_time: Some(wire::timestamp(c.create_time)),
        acknowledge_time: wire::timestamp_opt(c.acknowledge_time),
        first_response_time: wire::timestamp_opt(c.first_response_time),
        resolve_time: wire::timestamp_opt(c.resolve_time),
        close_time: wire::timestamp_opt(c.close_time),
        update_time: Some(wire::timestamp(c.update_time)),
        etag: c.etag(),
    }
}

fn duration(ms: i64) -> prost_types::Duration {
    let d = SignedDuration::from_millis(ms);
    prost_types::Duration {
        seconds: d.as_secs(),
        nanos: d.subsec_nanos(),
    }
}

/// A stored clock on the wire, its status judged at `now`.
pub fn clock(k: &StoredClock, now: Timestamp) -> pb::SlaClock {
    use pb::SlaClockStatus as S;
    let status = match k.status.as_str() {
        "running" if k.due_time.is_some_and(|due| due <= now) => S::Breached,
        "running" if k.warn_time.is_some_and(|warn| warn <= now) => S::AtRisk,
        "running" => S::Running,
        "paused" => S::Paused,
        _ if k.met == Some(true) => S::Met,
        _ => S::Missed,
    };
    pb::SlaClock {
        kind: ClockKind::from_code(&k.kind).map_or(0, WireEnum::to_wire),
        status: status as i32,
        target: Some(duration(k.target_ms)),
        elapsed: Some(duration(k.elapsed_ms)),
        warn_time: wire::timestamp_opt(k.warn_time),
        due_time: wire::timestamp_opt(k.due_time),
        stop_time: wire::timestamp_opt(k.stop_time),
        cycle_start_time: Some(wire::timestamp(k.cycle_start)),
    }
}

/// A hand-off on the wire.
pub fn hand_off(h: &HandOff) -> pb::HandOff {
    let state = match h.state {
        OfferState::Pending => pb::HandOffState::Pending,
        OfferState::Accepted => pb::HandOffState::Accepted,
        OfferState::Declined => pb::HandOffState::Declined,
        OfferState::Expired => pb::HandOffState::Expired,
        OfferState::Withdrawn => pb::HandOffState::Withdrawn,
    };
    pb::HandOff {
        name: names::hand_off(h.complaint_id, h.id),
        from_owner: h.from_owner.clone(),
        to_agent: h.to_agent.clone(),
        to_team: names::team(&h.to_team),
        reason: h.reason.clone(),
        state: state as i32,
        create_time: Some(wire::timestamp(h.create_time)),
        expire_time: Some(wire::timestamp(h.expire_time)),
        decided_by: h.decided_by.clone(),
        decide_time: wire::timestamp_opt(h.decide_time),
        decline_reason: h.decline_reason.clone(),
    }
}

/// An assist on the wire.
pub fn assist(a: &Assist) -> pb::Assist {
    pb::Assist {
        name: names::assist(a.complaint_id, a.id),
        requested_by: a.requested_by.clone(),
        agent: a.agent.clone(),
        department: names::team(&a.department),
        question: a.question.clone(),
        state: if a.answered {
            pb::AssistState::Answered
        } else {
            pb::AssistState::Open
        } as i32,
        answer: a.answer.clone(),
        answered_by: a.answered_by.clone(),
        create_time: Some(wire::timestamp(a.create_time)),
        answer_time: wire::timestamp_opt(a.answer_time),
    }
}

/// A ledger entry on the wire.
pub fn ownership_change(c: &OwnershipChange) -> pb::OwnershipChange {
    let kind = match c.kind {
        ChangeKind::Intake => pb::OwnershipChangeKind::Intake,
        ChangeKind::HandOffAccepted => pb::OwnershipChangeKind::HandOffAccepted,
        ChangeKind::Reassigned => pb::OwnershipChangeKind::Reassigned,
    };
    pb::OwnershipChange {
        kind: kind as i32,
        from_owner: c.from_owner.clone(),
        to_owner: c.to_owner.clone(),
        to_team: names::team(&c.to_team),
        actor: c.actor.clone(),
        reason: c.reason.clone(),
        hand_off: c
            .hand_off_id
            .map(|h| names::hand_off(c.complaint_id, h))
            .unwrap_or_default(),
        change_time: Some(wire::timestamp(c.change_time)),
    }
}

/// A note on the wire.
pub fn note(n: &Note) -> pb::Note {
    pb::Note {
        name: names::note(n.complaint_id, n.id),
        author: n.author.clone(),
        visibility: match n.visibility {
            Visibility::Internal => pb::NoteVisibility::Internal,
            Visibility::Customer => pb::NoteVisibility::Customer,
        } as i32,
        body: n.body.clone(),
        attachments: n
            .attachments
            .iter()
            .map(|a| pb::Attachment {
                uri: a.uri.clone(),
                media_type: a.media_type.clone(),
                sha256: a.sha256.clone(),
                size_bytes: a.size_bytes,
                file_name: a.file_name.clone(),
            })
            .collect(),
        assist: n
            .assist_id
            .map(|a| names::assist(n.complaint_id, a))
            .unwrap_or_default(),
        create_time: Some(wire::timestamp(n.create_time)),
    }
}

/// Parses a note's visibility.
pub fn visibility(v: &mut FieldViolations, field: &str, value: i32) -> Option<Visibility> {
    match pb::NoteVisibility::try_from(value) {
        Ok(pb::NoteVisibility::Internal) => Some(Visibility::Internal),
        Ok(pb::NoteVisibility::Customer) => Some(Visibility::Customer),
        Ok(pb::NoteVisibility::Unspecified) => {
            v.add(field, "is required");
            None
        }
        Err(_) => {
            v.add(field, redress_platform::wire::UNKNOWN);
            None
        }
    }
}

/// Parses attachments by reference.
pub fn attachments(
    v: &mut FieldViolations,
    prefix: &str,
    given: &[pb::Attachment],
) -> Vec<Attachment> {
    v.bounded(prefix, given, MAX_ATTACHMENTS)
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let pb::Attachment {
                uri,
                media_type,
                sha256,
                size_bytes,
                file_name,
            } = a;
            let at = |f: &str| format!("{prefix}[{i}].{f}");
            // One violation per field: the shape is checked only of text
            // that passed `text`.
            let before = v.violations().len();
            let uri = text(v, &at("uri"), uri, 2000, true);
            if v.violations().len() == before
                && !(uri.starts_with("https://") || uri.starts_with("s3://"))
            {
                v.add(at("uri"), "must be an https:// or s3:// URI");
            }
            let before = v.violations().len();
            let media_type = text(v, &at("media_type"), media_type, 255, true);
            let mut parts = media_type.split('/');
            let media_ok = matches!((parts.next(), parts.next(), parts.next()),
                (Some(t), Some(s), None) if !t.is_empty() && !s.is_empty()
                    && !media_type.contains(char::is_whitespace));
            if v.violations().len() == before && !media_ok {
                v.add(at("media_type"), "must be a media type such as image/jpeg");
            }
            let sha = sha256.trim().to_owned();
            if sha.len() != 64
                || !sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                v.add(at("sha256"), "must be 64 lower-case hex digits");
            }
            if *size_bytes < 0 {
                v.add(at("size_bytes"), "must not be negative");
            }
            let file_name = text(v, &at("file_name"), file_name, 255, false);
            Attachment {
                uri,
                media_type,
                sha256: sha,
                size_bytes: *size_bytes,
                file_name,
            }
        })
        .collect()
}

/// A history entry on the wire.
pub fn history_entry(e: &Entry) -> pb::HistoryEntry {
    pb::HistoryEntry {
        sequence: e.sequence,
        actor: e.actor.clone(),
        via_service: e.via_service.clone(),
        action: e.action.clone(),
        changes: e
            .changes
            .iter()
            .map(|c| pb::FieldChange {
                field: c.field.clone(),
                before: c.before.clone(),
                after: c.after.clone(),
            })
            .collect(),
        change_time: Some(wire::timestamp(e.change_time)),
    }
}

/// A team on the wire.
pub fn team(t: &Team) -> pb::Team {
    pb::Team {
        name: names::team(&t.id),
        display_name: t.display_name.clone(),
        supervisor: t.supervisor.clone(),
        department: t.department.clone(),
        department_head: t.department_head.clone(),
        etag: t.etag(),
        create_time: Some(wire::timestamp(t.create_time)),
        update_time: Some(wire::timestamp(t.update_time)),
    }
}

#[cfg(test)]
mod props;
