//! Proto ↔ domain and store conversions, one place per resource. Requests
//! are destructured field by field so a new proto field is a compile error
//! here until it is handled.

use std::collections::BTreeMap;

use redress_platform::error::FieldViolations;
use redress_platform::wire::{self, WireEnum};
use redress_proto::notifications::v1 as pb;

use crate::domain::channel::Channel;
use crate::domain::delivery::State;
use crate::domain::locale::Locale;
use crate::domain::recipient::Recipient;
use crate::store::messages::{AttemptRow, MessageRow};
use crate::store::templates::TemplateRow;

/// The most variables a message may carry, and the longest value.
pub const MAX_VARIABLES: usize = 100;
/// The longest variable value, in bytes: 10,000 characters of any script
/// (a crisis statement's body, up to 4 bytes a character in UTF-8).
pub const MAX_VALUE: usize = 40_000;
/// Most channels a list may name (there are fewer channels than this, and
/// repeats are refused).
pub const MAX_CHANNELS: usize = 10;
/// Most values a list filter (states) may hold: more than there are values
/// to name, so only a hostile or broken caller reaches it.
pub const MAX_FILTER_VALUES: usize = 20;

/// A style's stored code ("" = any).
pub fn style_code(style: i32, field: &str, v: &mut FieldViolations) -> &'static str {
    match pb::Style::try_from(style) {
        Ok(pb::Style::Unspecified) => "",
        Ok(pb::Style::Formal) => "formal",
        Ok(pb::Style::Familiar) => "familiar",
        Err(_) => {
            v.add(field, wire::UNKNOWN);
            ""
        }
    }
}

/// The wire style of a stored code.
pub fn style_wire(code: &str) -> i32 {
    match code {
        "formal" => pb::Style::Formal as i32,
        "familiar" => pb::Style::Familiar as i32,
        _ => pb::Style::Unspecified as i32,
    }
}

/// An optional channel (unspecified = any).
pub fn channel_opt(value: i32, field: &str, v: &mut FieldViolations) -> Option<Channel> {
    v.check(field, Channel::from_wire(value)).flatten()
}

/// A list of channels, each specified, without repeats.
pub fn channel_list(values: &[i32], field: &str, v: &mut FieldViolations) -> Vec<Channel> {
    let mut out = Vec::new();
    for (i, value) in v.bounded(field, values, MAX_CHANNELS).iter().enumerate() {
        match Channel::from_wire(*value) {
            Ok(Some(c)) if !out.contains(&c) => out.push(c),
            Ok(Some(_)) => v.add(format!("{field}[{i}]"), "repeats a channel"),
            Ok(None) => v.add(format!("{field}[{i}]"), "must be a channel"),
            Err(e) => v.add(format!("{field}[{i}]"), e),
        }
    }
    out
}

/// The wire channel of a stored code ('' = unspecified).
pub fn channel_wire(code: &str) -> i32 {
    Channel::from_code(code).map(WireEnum::to_wire).unwrap_or(0)
}

/// A recipient name.
pub fn recipient(name: &str, field: &str, v: &mut FieldViolations) -> Option<Recipient> {
    if name.is_empty() {
        v.add(field, "is required");
        return None;
    }
    v.check(field, Recipient::parse(name))
}

/// A locale tag.
pub fn locale(tag: &str, field: &str, v: &mut FieldViolations) -> Locale {
    v.check(field, Locale::parse(tag)).unwrap_or_default()
}

/// The fingerprint of a request carrying template variables, the same for
/// every encoding of the same request: protobuf maps are encoded in the
/// order of a `HashMap`, which differs between two decodings of one request,
/// so the variables are taken out of `request` (by `take`) and hashed in
/// name order after the rest.
pub fn fingerprint_with_variables<M: prost::Message + Clone>(
    request: &M,
    take: impl FnOnce(&mut M) -> std::collections::HashMap<String, String>,
) -> Vec<u8> {
    let mut copy = request.clone();
    let variables: BTreeMap<String, String> = take(&mut copy).into_iter().collect();
    let mut bytes = copy.encode_to_vec();
    for (name, value) in &variables {
        for part in [name, value] {
            bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
            bytes.extend_from_slice(part.as_bytes());
        }
    }
    redress_platform::idempotency::fingerprint(&bytes)
}

/// Template variables: names as templates declare them (optionally
/// localised, `<name>@<locale>`), values within [`MAX_VALUE`] bytes and
/// free of NUL (which neither `text` nor `jsonb` can store). Returns the
/// variables that passed; a map of more than [`MAX_VARIABLES`] is one
/// violation on `field`, whatever its entries.
///
/// A variable's violation is on `<field>[<name>]` only when the name is a
/// variable name, so a field path never carries what the caller made up
/// (a NUL, a `]` or `.` that would spell another path, megabytes). Names
/// that are not variable names are one violation on `field` that counts
/// them without echoing them: a map has no index to point at instead, and
/// an index into some order of its keys would mean nothing to the caller.
pub fn variables(
    given: &std::collections::HashMap<String, String>,
    field: &str,
    v: &mut FieldViolations,
) -> BTreeMap<String, String> {
    if !v.within(field, given.len(), MAX_VARIABLES) {
        return BTreeMap::new();
    }
    let mut accepted = BTreeMap::new();
    let mut unnamed = 0usize;
    let sorted: BTreeMap<&String, &String> = given.iter().collect();
    for (name, value) in sorted {
        if crate::domain::template::split_localised(name).is_none() {
            unnamed += 1;
            continue;
        }
        let path = format!("{field}[{name}]");
        if value.len() > MAX_VALUE {
            v.add(path, format!("is longer than {MAX_VALUE} bytes"));
        } else if value.contains('\0') {
            v.add(path, crate::domain::template::NUL);
        } else {
            accepted.insert(name.clone(), value.clone());
        }
    }
    if unnamed > 0 {
        v.add(
            field,
            format!(
                "holds {unnamed} names that are not variable names (a-z, 0-9, _, at most 64 \
                 bytes), optionally localised as <name>@<locale>"
            ),
        );
    }
    accepted
}

/// The wire template.
pub fn template(t: &TemplateRow) -> pb::Template {
    pb::Template {
        name: format!("templates/{}", t.id),
        kind: t.kind.clone(),
        channel: channel_wire(&t.channel),
        locale: t.locale.clone(),
        style: style_wire(&t.style),
        subject: t.subject.clone(),
        body: t.body.clone(),
        variables: t.variables.clone(),
        version: t.version,
        create_time: Some(wire::timestamp(t.create_time)),
        update_time: Some(wire::timestamp(t.update_time)),
        etag: format!("\"{}\"", t.version),
    }
}

/// The wire message.
pub fn message(m: &MessageRow, attempts: &[AttemptRow]) -> pb::Message {
    let variables = m
        .variables
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    pb::Message {
        name: format!("messages/{}", m.id),
        recipient: m.recipient.clone(),
        kind: m.kind.clone(),
        category: m.category.clone(),
        critical: m.critical,
        variables,
        channels: m.channels.iter().map(|c| channel_wire(c)).collect(),
        complaint: m
            .complaint_id
            .map(|id| format!("complaints/{id}"))
            .unwrap_or_default(),
        broadcast: m
            .broadcast_id
            .map(|id| format!("broadcasts/{id}"))
            .unwrap_or_default(),
        state: m.state.to_wire(),
        state_reason: m.reason.clone(),
        channel: channel_wire(&m.channel),
        next_attempt_time: if matches!(m.state, State::Queued | State::Held) {
            wire::timestamp_opt(m.due_time)
        } else {
            None
        },
        attempts: attempts.iter().map(attempt).collect(),
        create_time: Some(wire::timestamp(m.create_time)),
        send_time: wire::timestamp_opt(m.send_time),
        update_time: Some(wire::timestamp(m.update_time)),
    }
}

fn attempt(a: &AttemptRow) -> pb::Attempt {
    let outcome = match a.outcome.as_str() {
        "sent" => pb::AttemptOutcome::Sent,
        "delivered" => pb::AttemptOutcome::Delivered,
        "retryable" => pb::AttemptOutcome::Retryable,
        "refused" => pb::AttemptOutcome::Refused,
        _ => pb::AttemptOutcome::Unspecified,
    };
    pb::Attempt {
        channel: channel_wire(&a.channel),
        number: a.number,
        outcome: outcome as i32,
        detail: a.detail.clone(),
        start_time: Some(wire::timestamp(a.start_time)),
        duration_ms: a.duration_ms,
        template_version: a.template_version,
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod fingerprint_tests {
    use std::collections::HashMap;

    use super::*;

    fn request(pairs: &[(String, String)]) -> pb::SendMessageRequest {
        pb::SendMessageRequest {
            message: Some(pb::Message {
                recipient: "agents/ana".into(),
                kind: "crisis.statement".into(),
                variables: pairs.iter().cloned().collect::<HashMap<_, _>>(),
                ..Default::default()
            }),
            request_id: String::new(),
        }
    }

    fn fingerprint(r: &pb::SendMessageRequest) -> Vec<u8> {
        fingerprint_with_variables(r, |r| {
            r.message
                .as_mut()
                .map(|m| std::mem::take(&mut m.variables))
                .unwrap_or_default()
        })
    }

    #[test]
    fn a_request_with_variables_has_one_fingerprint_whatever_the_map_order() {
        let pairs: Vec<(String, String)> = (0..40)
            .map(|i| (format!("name_{i}"), format!("value {i}")))
            .collect();
        let mut reversed = pairs.clone();
        reversed.reverse();

        let one = fingerprint(&request(&pairs));
        let other = fingerprint(&request(&reversed));
        let mut changed = pairs.clone();
        changed[3].1 = "another value".into();

        assert_eq!(one, other);
        assert_ne!(one, fingerprint(&request(&changed)));
    }
}
