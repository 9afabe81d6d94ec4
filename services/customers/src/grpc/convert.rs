//! Proto ⇄ domain for the customer resource and what hangs off it. Every
//! proto message is destructured field by field, so a field added to the
//! contract is a compile error here until it is handled. Parsing collects a
//! violation per bad field (with its path in the request) instead of
//! stopping at the first.

use std::collections::{BTreeSet, HashSet};

use jiff::Timestamp;
use redress_platform::error::FieldViolations;
use redress_platform::wire;
use redress_proto::customers::v1 as pb;
use redress_proto::google::r#type::Money as PbMoney;

use super::enums::{WireEnum, to_wire_opt};
use crate::domain::activity::{
    Direction, NewInteraction, NewTransaction, TransactionKind, not_in_future,
};
use crate::domain::contact::{
    ContactAddress, ContactPoint, DefaultRegion, Email, Phone, PostalAddress,
};
use crate::domain::names;
use crate::domain::profile::{
    Channel, Consent, CustomerKind, DisplayName, Identifier, Locale, MAX_CONSENTS,
    MAX_CONTACT_POINTS, MAX_TAGS, Profile, TimeZoneName, optional_text, required_text,
};
use crate::domain::satisfaction::{Answer, Summary};
use crate::store::activity::{InteractionRecord, NewSatisfaction};
use crate::store::customers::CustomerRecord;
use redress_platform::money::Money;

/// What parsing a profile needs besides the message.
#[derive(Debug, Clone, Copy)]
pub struct ProfileContext<'a> {
    /// Where numbers without a country code are read.
    pub region: DefaultRegion,
    /// Now, for consent times.
    pub now: Timestamp,
    /// The consents before this change, whose times are kept when unchanged.
    pub previous_consents: &'a [Consent],
}

/// Parses a customer message into a valid profile. `prefix` is the field
/// path of the message in its request, such as `customer`.
pub fn profile(
    customer: &pb::Customer,
    prefix: &str,
    ctx: ProfileContext<'_>,
) -> Result<Profile, FieldViolations> {
    let pb::Customer {
        name: _,
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
        lifecycle_stage: _,
        value_grade: _,
        external_reference,
        create_time: _,
        update_time: _,
        etag: _,
        business_scope,
        operating_status,
        satisfaction: _,
        last_transaction_time: _,
        erase_time: _,
    } = customer;
    let mut v = FieldViolations::new();
    let f = |field: &str| format!("{prefix}.{field}");

    let display_name = v.check(f("display_name"), DisplayName::parse(display_name));
    let kind = match CustomerKind::from_wire(*kind) {
        Ok(Some(kind)) => Some(kind),
        Ok(None) => {
            v.add(f("kind"), "must be PERSON or ORGANISATION");
            None
        }
        Err(e) => {
            v.add(f("kind"), e);
            None
        }
    };
    let contact_points =
        parse_contact_points(contact_points, &f("contact_points"), ctx.region, &mut v);
    let locale = if locale.trim().is_empty() {
        Some(None)
    } else {
        v.check(f("locale"), Locale::parse(locale)).map(Some)
    };
    let time_zone = if time_zone.trim().is_empty() {
        Some(None)
    } else {
        v.check(f("time_zone"), TimeZoneName::parse(time_zone))
            .map(Some)
    };
    let mut channels = Vec::new();
    // No channel twice, so never more values than there are channels.
    let listed = v.bounded(
        &f("preferred_channels"),
        preferred_channels,
        Channel::PAIRS.len(),
    );
    for (i, raw) in listed.iter().enumerate() {
        match WireEnum::from_wire(*raw) {
            Ok(Some(channel)) if !channels.contains(&channel) => channels.push(channel),
            Ok(Some(_)) => v.add(
                format!("{}[{i}]", f("preferred_channels")),
                "is listed twice",
            ),
            Ok(None) => v.add(
                format!("{}[{i}]", f("preferred_channels")),
                "must not be UNSPECIFIED",
            ),
            Err(e) => v.add(format!("{}[{i}]", f("preferred_channels")), e),
        }
    }
    let communication_style = v.check(
        f("communication_style"),
        WireEnum::from_wire(*communication_style),
    );
    let consents = parse_consents(consents, &f("consents"), ctx, &mut v);
    let industry = v.check(f("industry"), optional_text(industry, 200));
    let business_scope = v.check(f("business_scope"), optional_text(business_scope, 500));
    let operating_status = v.check(
        f("operating_status"),
        WireEnum::from_wire(*operating_status),
    );
    let size = v.check(f("size"), WireEnum::from_wire(*size));
    let mut tag_set = BTreeSet::new();
    for (i, tag) in v.bounded(&f("tags"), tags, MAX_TAGS).iter().enumerate() {
        if let Some(tag) = v.check(format!("{}[{i}]", f("tags")), Identifier::parse(tag)) {
            tag_set.insert(tag);
        }
    }
    let key_account_adviser = v.check(
        f("key_account_adviser"),
        optional_text(key_account_adviser, 200),
    );
    let external_reference = v.check(
        f("external_reference"),
        optional_text(external_reference, 200),
    );

    match (
        display_name,
        kind,
        contact_points,
        locale,
        time_zone,
        communication_style,
        consents,
        industry,
        business_scope,
        operating_status,
        size,
        key_account_adviser,
        external_reference,
    ) {
        (
            Some(display_name),
            Some(kind),
            Some(contact_points),
            Some(locale),
            Some(time_zone),
            Some(communication_style),
            Some(consents),
            Some(industry),
            Some(business_scope),
            Some(operating_status),
            Some(size),
            Some(key_account_adviser),
            Some(external_reference),
        ) if v.is_empty() => Ok(Profile {
            display_name,
            kind,
            contact_points,
            locale,
            time_zone,
            preferred_channels: channels,
            communication_style,
            consents,
            industry,
            business_scope,
            operating_status,
            size,
            tags: tag_set,
            key_account_adviser,
            external_reference,
        }),
        _ => Err(v),
    }
}

fn parse_contact_points(
    points: &[pb::ContactPoint],
    path: &str,
    region: DefaultRegion,
    v: &mut FieldViolations,
) -> Option<Vec<ContactPoint>> {
    if points.len() > MAX_CONTACT_POINTS {
        v.add(
            path,
            format!("holds more than {MAX_CONTACT_POINTS} entries"),
        );
        return None;
    }
    let before = v.violations().len();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let pb::ContactPoint {
            point,
            verified,
            label,
        } = point;
        let at = |field: &str| format!("{path}[{i}].{field}");
        let address = match point {
            Some(pb::contact_point::Point::Phone(phone)) => v
                .check(at("phone"), Phone::parse(phone, region))
                .map(ContactAddress::Phone),
            Some(pb::contact_point::Point::Email(email)) => v
                .check(at("email"), Email::parse(email))
                .map(ContactAddress::Email),
            Some(pb::contact_point::Point::Postal(postal)) => {
                let pb::PostalAddress {
                    lines,
                    locality,
                    administrative_area,
                    postal_code,
                    region_code,
                } = postal;
                v.check(
                    at("postal"),
                    PostalAddress::parse(PostalAddress {
                        lines: lines.iter().map(|l| l.trim().to_string()).collect(),
                        locality: locality.trim().to_string(),
                        administrative_area: administrative_area.trim().to_string(),
                        postal_code: postal_code.trim().to_string(),
                        region_code: region_code.clone(),
                    }),
                )
                .map(ContactAddress::Postal)
            }
            None => {
                v.add(
                    format!("{path}[{i}]"),
                    "needs a phone, email or postal address",
                );
                None
            }
        };
        let label = v.check(at("label"), optional_text(label, 50));
        if let (Some(address), Some(label)) = (address, label) {
            if let Some(key) = address.normalised()
                && !seen.insert((address.kind(), key))
            {
                v.add(
                    format!("{path}[{i}]"),
                    "is the same as an earlier contact point",
                );
                continue;
            }
            out.push(ContactPoint {
                address,
                verified: *verified,
                label,
            });
        }
    }
    (v.violations().len() == before).then_some(out)
}

fn parse_consents(
    consents: &[pb::Consent],
    path: &str,
    ctx: ProfileContext<'_>,
    v: &mut FieldViolations,
) -> Option<Vec<Consent>> {
    let before = v.violations().len();
    let consents = v.bounded(path, consents, MAX_CONSENTS);
    let mut out: Vec<Consent> = Vec::with_capacity(consents.len());
    for (i, consent) in consents.iter().enumerate() {
        let pb::Consent {
            purpose,
            state,
            update_time: _,
        } = consent;
        let purpose = v.check(format!("{path}[{i}].purpose"), Identifier::parse(purpose));
        let granted = match pb::ConsentState::try_from(*state) {
            Ok(pb::ConsentState::Granted) => Some(true),
            Ok(pb::ConsentState::OptedOut) => Some(false),
            _ => {
                v.add(format!("{path}[{i}].state"), "must be GRANTED or OPTED_OUT");
                None
            }
        };
        if let (Some(purpose), Some(granted)) = (purpose, granted) {
            if out.iter().any(|c| c.purpose == purpose) {
                v.add(format!("{path}[{i}].purpose"), "is listed twice");
                continue;
            }
            let update_time = ctx
                .previous_consents
                .iter()
                .find(|c| c.purpose == purpose && c.granted == granted)
                .map(|c| c.update_time)
                .unwrap_or(ctx.now);
            out.push(Consent {
                purpose,
                granted,
                update_time,
            });
        }
    }
    (v.violations().len() == before).then_some(out)
}

/// A stored customer as the wire shows it.
pub fn customer(record: &CustomerRecord) -> pb::Customer {
    let CustomerRecord {
        id,
        display_name,
        kind,
        contact_points,
        locale,
        time_zone,
        preferred_channels,
        communication_style,
        consents,
        industry,
        business_scope,
        operating_status,
        size,
        tags,
        key_account_adviser,
        external_reference,
        lifecycle_stage,
        value_grade,
        reactivated_time: _,
        last_transaction_time,
        satisfaction,
        version: _,
        create_time,
        update_time,
        erase_time,
    } = record;
    pb::Customer {
        name: names::customer(*id),
        display_name: display_name.clone(),
        kind: kind.to_wire(),
        contact_points: contact_points.iter().map(contact_point).collect(),
        locale: locale.clone().unwrap_or_default(),
        time_zone: time_zone.clone().unwrap_or_default(),
        preferred_channels: preferred_channels.iter().map(|c| c.to_wire()).collect(),
        communication_style: to_wire_opt(*communication_style),
        consents: consents
            .iter()
            .map(|c| pb::Consent {
                purpose: c.purpose.as_str().to_string(),
                state: if c.granted {
                    pb::ConsentState::Granted
                } else {
                    pb::ConsentState::OptedOut
                }
                .into(),
                update_time: Some(wire::timestamp(c.update_time)),
            })
            .collect(),
        industry: industry.clone(),
        size: to_wire_opt(*size),
        tags: tags.clone(),
        key_account_adviser: key_account_adviser.clone(),
        lifecycle_stage: lifecycle_stage.to_wire(),
        value_grade: value_grade.to_wire(),
        external_reference: external_reference.clone().unwrap_or_default(),
        create_time: Some(wire::timestamp(*create_time)),
        update_time: Some(wire::timestamp(*update_time)),
        etag: record.etag(),
        business_scope: business_scope.clone(),
        operating_status: to_wire_opt(*operating_status),
        satisfaction: satisfaction.map(|(s, at)| satisfaction_summary(&s, at)),
        last_transaction_time: wire::timestamp_opt(*last_transaction_time),
        erase_time: wire::timestamp_opt(*erase_time),
    }
}

fn contact_point(point: &ContactPoint) -> pb::ContactPoint {
    let ContactPoint {
        address,
        verified,
        label,
    } = point;
    pb::ContactPoint {
        point: Some(match address {
            ContactAddress::Phone(p) => pb::contact_point::Point::Phone(p.as_str().to_string()),
            ContactAddress::Email(e) => pb::contact_point::Point::Email(e.as_str().to_string()),
            ContactAddress::Postal(a) => pb::contact_point::Point::Postal(pb::PostalAddress {
                lines: a.lines.clone(),
                locality: a.locality.clone(),
                administrative_area: a.administrative_area.clone(),
                postal_code: a.postal_code.clone(),
                region_code: a.region_code.clone(),
            }),
        }),
        verified: *verified,
        label: label.clone(),
    }
}

/// Satisfaction figures as the wire shows them.
pub fn satisfaction_summary(summary: &Summary, at: Timestamp) -> pb::SatisfactionSummary {
    let Summary {
        record_count,
        current_ratio,
        recent_mean_ratio,
        previous_mean_ratio,
        trend,
    } = summary;
    pb::SatisfactionSummary {
        record_count: i32::try_from(*record_count).unwrap_or(i32::MAX),
        current_ratio: *current_ratio,
        recent_mean_ratio: *recent_mean_ratio,
        previous_mean_ratio: *previous_mean_ratio,
        trend: trend.to_wire(),
        last_record_time: Some(wire::timestamp(at)),
    }
}

/// Parses a transaction from `path` (such as `transaction`).
pub fn new_transaction(
    transaction: &pb::Transaction,
    path: &str,
    now: Timestamp,
) -> Result<NewTransaction, FieldViolations> {
    let pb::Transaction {
        name: _,
        kind,
        amount,
        occur_time,
        external_reference,
        create_time: _,
    } = transaction;
    let mut v = FieldViolations::new();
    let kind = required_enum::<TransactionKind>(&mut v, &format!("{path}.kind"), *kind);
    let amount = match amount {
        Some(PbMoney {
            currency_code,
            units,
            nanos,
        }) => v
            .check(
                format!("{path}.amount"),
                Money::from_units_nanos(currency_code, *units, *nanos),
            )
            .map(Some),
        None => Some(None),
    };
    if let (Some(kind), Some(None)) = (kind, &amount)
        && kind.is_purchase()
    {
        v.add(
            format!("{path}.amount"),
            "is required for a purchase or renewal",
        );
    }
    let occur_time = match occur_time {
        Some(t) => past_time(t, &format!("{path}.occur_time"), now, &mut v),
        None => {
            v.add(format!("{path}.occur_time"), "is required");
            None
        }
    };
    let external_reference = v.check(
        format!("{path}.external_reference"),
        optional_text(external_reference, 200),
    );
    match (kind, amount, occur_time, external_reference) {
        (Some(kind), Some(amount), Some(occur_time), Some(external_reference)) if v.is_empty() => {
            Ok(NewTransaction {
                kind,
                amount,
                occur_time,
                external_reference,
            })
        }
        _ => Err(v),
    }
}

/// A stored transaction as the wire shows it.
pub fn transaction(
    customer_id: uuid::Uuid,
    id: uuid::Uuid,
    t: &NewTransaction,
    create_time: Timestamp,
) -> pb::Transaction {
    pb::Transaction {
        name: names::transaction(customer_id, id),
        kind: t.kind.to_wire(),
        amount: t.amount.as_ref().map(|m| {
            let (currency_code, units, nanos) = m.to_units_nanos();
            PbMoney {
                currency_code,
                units,
                nanos,
            }
        }),
        occur_time: Some(wire::timestamp(t.occur_time)),
        external_reference: t.external_reference.clone(),
        create_time: Some(wire::timestamp(create_time)),
    }
}

/// Parses an interaction; `agent` defaults to the caller.
pub fn new_interaction(
    interaction: &pb::Interaction,
    path: &str,
    caller: &str,
    now: Timestamp,
) -> Result<NewInteraction, FieldViolations> {
    let pb::Interaction {
        name: _,
        channel,
        direction,
        summary,
        agent,
        occur_time,
        related_complaint,
        create_time: _,
    } = interaction;
    let mut v = FieldViolations::new();
    let channel = required_enum::<Channel>(&mut v, &format!("{path}.channel"), *channel);
    let direction = required_enum::<Direction>(&mut v, &format!("{path}.direction"), *direction);
    let summary = v.check(format!("{path}.summary"), required_text(summary, 4000));
    let agent = match v.check(format!("{path}.agent"), optional_text(agent, 200)) {
        Some(a) if a.is_empty() => Some(caller.to_string()),
        other => other,
    };
    let occur_time = occur_time_or_now(
        occur_time.as_ref(),
        &format!("{path}.occur_time"),
        now,
        &mut v,
    );
    let related_complaint = v.check(
        format!("{path}.related_complaint"),
        names::parse_optional_complaint(related_complaint),
    );
    match (
        channel,
        direction,
        summary,
        agent,
        occur_time,
        related_complaint,
    ) {
        (
            Some(channel),
            Some(direction),
            Some(summary),
            Some(agent),
            Some(occur_time),
            Some(related_complaint),
        ) if v.is_empty() => Ok(NewInteraction {
            channel,
            direction,
            summary,
            agent,
            occur_time,
            related_complaint,
        }),
        _ => Err(v),
    }
}

/// A required enum field: unspecified and unknown numbers are violations.
fn required_enum<T: WireEnum>(v: &mut FieldViolations, field: &str, raw: i32) -> Option<T> {
    match T::from_wire(raw) {
        Ok(Some(value)) => Some(value),
        Ok(None) => {
            v.add(field, "is required");
            None
        }
        Err(e) => {
            v.add(field, e);
            None
        }
    }
}

/// A time that has passed (clock skew allowed), recording a violation.
fn past_time(
    value: &prost_types::Timestamp,
    field: &str,
    now: Timestamp,
    v: &mut FieldViolations,
) -> Option<Timestamp> {
    match wire::from_timestamp(value) {
        Ok(t) if not_in_future(t, now) => Some(t),
        Ok(_) => {
            v.add(field, "must not be in the future");
            None
        }
        Err(e) => {
            v.add(field, e);
            None
        }
    }
}

/// An optional time that has passed; now when absent.
fn occur_time_or_now(
    value: Option<&prost_types::Timestamp>,
    field: &str,
    now: Timestamp,
    v: &mut FieldViolations,
) -> Option<Timestamp> {
    match value {
        None => Some(now),
        Some(t) => past_time(t, field, now, v),
    }
}

/// A stored interaction as the wire shows it.
pub fn interaction(customer_id: uuid::Uuid, record: &InteractionRecord) -> pb::Interaction {
    let InteractionRecord {
        id,
        interaction,
        create_time,
    } = record;
    pb::Interaction {
        name: names::interaction(customer_id, *id),
        channel: interaction.channel.to_wire(),
        direction: interaction.direction.to_wire(),
        summary: interaction.summary.clone(),
        agent: interaction.agent.clone(),
        occur_time: Some(wire::timestamp(interaction.occur_time)),
        related_complaint: interaction.related_complaint.clone().unwrap_or_default(),
        create_time: Some(wire::timestamp(*create_time)),
    }
}

/// Parses a satisfaction answer.
pub fn new_satisfaction(
    record: &pb::SatisfactionRecord,
    path: &str,
    now: Timestamp,
) -> Result<NewSatisfaction, FieldViolations> {
    let pb::SatisfactionRecord {
        name: _,
        perceived_value,
        expectation,
        ratio: _,
        related_complaint,
        answer_time,
        create_time: _,
    } = record;
    let mut v = FieldViolations::new();
    let answer = match Answer::parse(*perceived_value, *expectation) {
        Ok(answer) => Some(answer),
        Err(errors) => {
            for (field, error) in errors {
                v.add(format!("{path}.{field}"), error.to_string());
            }
            None
        }
    };
    let related_complaint = v.check(
        format!("{path}.related_complaint"),
        names::parse_optional_complaint(related_complaint),
    );
    let answer_time = occur_time_or_now(
        answer_time.as_ref(),
        &format!("{path}.answer_time"),
        now,
        &mut v,
    );
    match (answer, related_complaint, answer_time) {
        (Some(answer), Some(related_complaint), Some(answer_time)) if v.is_empty() => {
            Ok(NewSatisfaction {
                answer,
                related_complaint,
                answer_time,
            })
        }
        _ => Err(v),
    }
}

/// A stored satisfaction answer as the wire shows it.
pub fn satisfaction_record(
    customer_id: uuid::Uuid,
    id: uuid::Uuid,
    record: &NewSatisfaction,
    create_time: Timestamp,
) -> pb::SatisfactionRecord {
    pb::SatisfactionRecord {
        name: names::satisfaction_record(customer_id, id),
        perceived_value: record.answer.perceived_value,
        expectation: record.answer.expectation,
        ratio: record.answer.ratio(),
        related_complaint: record.related_complaint.clone().unwrap_or_default(),
        answer_time: Some(wire::timestamp(record.answer_time)),
        create_time: Some(wire::timestamp(create_time)),
    }
}

#[cfg(test)]
mod props;
