//! Property tests of reading a customer message against hostile input:
//! whatever a caller sends, the answer is a profile PostgreSQL can store and
//! that keeps within its documented limits, or violations that name each bad
//! field once (an over-long list once, as a whole) and no field that was
//! fine; an accepted profile, shown on the wire, reads back as itself.

use std::collections::BTreeMap;

use super::*;
use crate::domain::grading::ValueGrade;
use crate::domain::lifecycle::LifecycleStage;
use crate::domain::profile::{CommunicationStyle, OperatingStatus, Size};
use proptest::collection::vec;
use proptest::prelude::*;

/// Any text a caller may send: plain words, control characters and NUL,
/// odd Unicode, and far too long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,30}",
        "[a-z \\x00-\\x1f\\x7f\\u{85}\\u{2028}]{0,8}",
        "\\PC{0,60}",
        (150usize..700).prop_map(|n| "é".repeat(n)),
    ]
}

/// Mostly what a front end sends, sometimes anything.
fn text_or(valid: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![3 => valid, 1 => hostile_text()]
}

/// An enum number: a defined one, unspecified, or any `i32`.
fn wire_enum(values: i32) -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0..=values, 1 => any::<i32>()]
}

fn contact_point() -> impl Strategy<Value = pb::ContactPoint> {
    use pb::contact_point::Point;
    let point = prop_oneof![
        text_or("\\+316[0-9]{8}").prop_map(|p| Some(Point::Phone(p))),
        text_or("[a-z]{1,6}@example\\.(com|nl)").prop_map(|e| Some(Point::Email(e))),
        (
            vec(text_or("[A-Za-z0-9 ]{1,20}"), 0..3),
            text_or("[A-Za-z ]{0,12}"),
            text_or("(NL|de|GB)"),
        )
            .prop_map(|(lines, locality, region_code)| {
                Some(Point::Postal(pb::PostalAddress {
                    lines,
                    locality,
                    region_code,
                    ..pb::PostalAddress::default()
                }))
            }),
        Just(None),
    ];
    (point, any::<bool>(), text_or("[a-z ]{0,10}")).prop_map(|(point, verified, label)| {
        pb::ContactPoint {
            point,
            verified,
            label,
        }
    })
}

fn consent() -> impl Strategy<Value = pb::Consent> {
    (text_or("(marketing|surveys|news)"), wire_enum(3)).prop_map(|(purpose, state)| pb::Consent {
        purpose,
        state,
        update_time: None,
    })
}

/// A list of a usual length, or one about as long as its cap allows.
fn list<T: std::fmt::Debug + 'static>(
    item: impl Strategy<Value = T> + 'static,
    usual: usize,
    cap: usize,
) -> impl Strategy<Value = Vec<T>> {
    let item = item.boxed();
    prop_oneof![4 => vec(item.clone(), 0..usual), 1 => vec(item, cap - 2..cap + 3)]
}

fn customer_message() -> impl Strategy<Value = pb::Customer> {
    (
        (
            text_or("[A-Z][a-z]{0,10}( [A-Z][a-z]{0,10})?"),
            wire_enum(2),
            list(contact_point(), 4, MAX_CONTACT_POINTS),
            prop_oneof![Just(String::new()), text_or("(en-GB|nl|zh-hant-tw|de-CH)")],
            prop_oneof![
                Just(String::new()),
                text_or("(Europe/Amsterdam|UTC|Asia/Tokyo)")
            ],
            list(wire_enum(10), 4, Channel::PAIRS.len()),
            wire_enum(2),
        ),
        (
            list(consent(), 4, MAX_CONSENTS),
            text_or("[A-Za-z ]{0,20}"),
            wire_enum(3),
            list(text_or("[a-z][a-z0-9_-]{0,8}"), 4, MAX_TAGS),
            text_or("[a-z0-9-]{0,20}"),
            text_or("[A-Z0-9-]{0,20}"),
            text_or("[A-Za-z ]{0,30}"),
            wire_enum(3),
        ),
    )
        .prop_map(
            |(
                (display_name, kind, contact_points, locale, time_zone, channels, style),
                (consents, industry, size, tags, adviser, reference, scope, status),
            )| pb::Customer {
                display_name,
                kind,
                contact_points,
                locale,
                time_zone,
                preferred_channels: channels,
                communication_style: style,
                consents,
                industry,
                size,
                tags,
                key_account_adviser: adviser,
                external_reference: reference,
                business_scope: scope,
                operating_status: status,
                ..pb::Customer::default()
            },
        )
}

fn context(now: Timestamp, previous: &[Consent]) -> ProfileContext<'_> {
    ProfileContext {
        region: DefaultRegion::US,
        now,
        previous_consents: previous,
    }
}

/// Whether free text is one PostgreSQL can store, trimmed and within `max`.
fn fits(text: &str, max: usize) -> bool {
    text.trim() == text && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// A record holding `profile`, as the store would give it back.
fn record(profile: &Profile, now: Timestamp) -> CustomerRecord {
    CustomerRecord {
        id: uuid::Uuid::now_v7(),
        display_name: profile.display_name.as_str().to_string(),
        kind: profile.kind,
        contact_points: profile.contact_points.clone(),
        locale: profile.locale.as_ref().map(|l| l.as_str().to_string()),
        time_zone: profile.time_zone.as_ref().map(|z| z.as_str().to_string()),
        preferred_channels: profile.preferred_channels.clone(),
        communication_style: profile.communication_style,
        consents: profile.consents.clone(),
        industry: profile.industry.clone(),
        business_scope: profile.business_scope.clone(),
        operating_status: profile.operating_status,
        size: profile.size,
        tags: profile
            .tags
            .iter()
            .map(|t| t.as_str().to_string())
            .collect(),
        key_account_adviser: profile.key_account_adviser.clone(),
        external_reference: Some(profile.external_reference.clone()).filter(|r| !r.is_empty()),
        lifecycle_stage: LifecycleStage::Prospect,
        value_grade: ValueGrade::D,
        reactivated_time: None,
        last_transaction_time: None,
        satisfaction: None,
        version: 1,
        create_time: now,
        update_time: now,
        erase_time: None,
    }
}

/// One entry of a contact point list: a good e-mail address (with whether
/// it is verified and its label), or one bad in a single way.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Good(bool, &'static str),
    NoAddress,
    BadEmail,
    BadLabel,
    /// The same address as every other `Repeated`, in another case.
    Repeated,
}

/// Contact point lists of a usual length or about as long as the cap
/// allows, either all good or with bad entries among them.
fn contact_point_entries() -> impl Strategy<Value = Vec<Entry>> {
    let label = prop_oneof![Just(""), Just("home"), Just(" work ")];
    let good = (any::<bool>(), label)
        .prop_map(|(verified, label)| Entry::Good(verified, label))
        .boxed();
    let any_entry = prop_oneof![
        8 => good.clone(),
        1 => Just(Entry::NoAddress),
        1 => Just(Entry::BadEmail),
        1 => Just(Entry::BadLabel),
        1 => Just(Entry::Repeated),
    ]
    .boxed();
    let near_cap = MAX_CONTACT_POINTS - 1..MAX_CONTACT_POINTS + 3;
    prop_oneof![
        1 => vec(good.clone(), 0..4),
        1 => vec(any_entry.clone(), 0..4),
        2 => vec(good, near_cap.clone()),
        1 => vec(any_entry, near_cap),
    ]
}

/// The contact point the `i`th `entry` stands for.
fn entry_point(i: usize, entry: Entry) -> pb::ContactPoint {
    use pb::contact_point::Point;
    let (point, verified, label) = match entry {
        Entry::Good(verified, label) => (Some(format!("c{i}@example.com")), verified, label),
        Entry::NoAddress => (None, false, ""),
        Entry::BadEmail => (Some(format!("c{i} at example")), false, ""),
        Entry::BadLabel => (Some(format!("c{i}@example.com")), false, "home\0"),
        Entry::Repeated if i.is_multiple_of(2) => (Some("Dup@Example.com".into()), false, ""),
        Entry::Repeated => (Some("dup@EXAMPLE.com".into()), false, ""),
    };
    pb::ContactPoint {
        point: point.map(Point::Email),
        verified,
        label: label.into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn an_accepted_profile_can_be_stored_and_keeps_within_its_limits(c in customer_message()) {
        let now = Timestamp::from_second(1_800_000_000).expect("a time");

        let Ok(p) = profile(&c, "customer", context(now, &[])) else { return Ok(()) };

        prop_assert!(!p.display_name.as_str().is_empty() && fits(p.display_name.as_str(), 200));
        for (text, max) in [
            (&p.industry, 200),
            (&p.business_scope, 500),
            (&p.key_account_adviser, 200),
            (&p.external_reference, 200),
        ] {
            prop_assert!(fits(text, max), "{:?} was kept", text);
        }
        prop_assert!(p.contact_points.len() <= MAX_CONTACT_POINTS);
        for point in &p.contact_points {
            prop_assert!(fits(&point.label, 50));
        }
        prop_assert!(p.tags.len() <= MAX_TAGS);
        let channels: HashSet<_> = p.preferred_channels.iter().collect();
        prop_assert_eq!(channels.len(), p.preferred_channels.len());
        let purposes: BTreeSet<_> = p.consents.iter().map(|c| &c.purpose).collect();
        prop_assert_eq!(purposes.len(), p.consents.len());
        prop_assert!(p.consents.len() <= MAX_CONSENTS);
        prop_assert!(p.consents.iter().all(|c| c.update_time == now));
    }

    #[test]
    fn a_refusal_names_each_bad_field_once_and_no_field_that_was_fine(c in customer_message()) {
        let now = Timestamp::from_second(1_800_000_000).expect("a time");

        let result = profile(&c, "customer", context(now, &[]));

        let Err(v) = result else { return Ok(()) };
        prop_assert!(!v.is_empty(), "refused without saying why");
        let fields = v.counted();
        for (field, times) in &fields {
            prop_assert!(field.starts_with("customer."), "{} is not in the request", field);
            prop_assert_eq!(*times, 1, "{} was named {} times", field, times);
        }
        let bad = |field: &str| fields.contains_key(format!("customer.{field}").as_str());
        prop_assert_eq!(bad("display_name"), DisplayName::parse(&c.display_name).is_err());
        prop_assert_eq!(bad("kind"), !matches!(CustomerKind::from_wire(c.kind), Ok(Some(_))));
        prop_assert_eq!(
            bad("locale"),
            !c.locale.trim().is_empty() && Locale::parse(&c.locale).is_err()
        );
        prop_assert_eq!(
            bad("time_zone"),
            !c.time_zone.trim().is_empty() && TimeZoneName::parse(&c.time_zone).is_err()
        );
        for (field, raw, known) in [
            ("communication_style", c.communication_style, CommunicationStyle::from_wire(c.communication_style).is_ok()),
            ("operating_status", c.operating_status, OperatingStatus::from_wire(c.operating_status).is_ok()),
            ("size", c.size, Size::from_wire(c.size).is_ok()),
        ] {
            prop_assert_eq!(bad(field), !known, "{} = {}", field, raw);
        }
        for (field, text, max) in [
            ("industry", &c.industry, 200),
            ("business_scope", &c.business_scope, 500),
            ("key_account_adviser", &c.key_account_adviser, 200),
            ("external_reference", &c.external_reference, 200),
        ] {
            prop_assert_eq!(bad(field), optional_text(text, max).is_err(), "{}", field);
        }
        // A list over its cap is named once, as a whole, and its values not
        // at all; one within it is named value by value.
        prop_assert_eq!(bad("tags"), c.tags.len() > MAX_TAGS);
        for (i, tag) in c.tags.iter().enumerate() {
            let refused = c.tags.len() <= MAX_TAGS && Identifier::parse(tag).is_err();
            prop_assert_eq!(bad(&format!("tags[{i}]")), refused, "tags[{}]", i);
        }
        prop_assert_eq!(bad("contact_points"), c.contact_points.len() > MAX_CONTACT_POINTS);
        if c.contact_points.len() > MAX_CONTACT_POINTS {
            prop_assert!(!fields.keys().any(|f| f.starts_with("customer.contact_points[")));
        }
        prop_assert_eq!(bad("consents"), c.consents.len() > MAX_CONSENTS);
        if c.consents.len() > MAX_CONSENTS {
            prop_assert!(!fields.keys().any(|f| f.starts_with("customer.consents[")));
        }
        let max_channels = Channel::PAIRS.len();
        prop_assert_eq!(bad("preferred_channels"), c.preferred_channels.len() > max_channels);
        if c.preferred_channels.len() > max_channels {
            prop_assert!(!fields.keys().any(|f| f.starts_with("customer.preferred_channels[")));
        }
    }

    #[test]
    fn an_accepted_profile_shown_on_the_wire_reads_back_as_itself(c in customer_message()) {
        let then = Timestamp::from_second(1_700_000_000).expect("a time");
        let Ok(accepted) = profile(&c, "customer", context(then, &[])) else { return Ok(()) };
        let now = Timestamp::from_second(1_800_000_000).expect("a time");

        let shown = customer(&record(&accepted, then));
        let read = profile(&shown, "customer", context(now, &accepted.consents));

        prop_assert_eq!(read, Ok(accepted));
    }

    #[test]
    fn a_consent_keeps_its_time_unless_the_customer_changed_their_answer(
        given in vec(consent(), 0..6),
        previous in vec(("(marketing|surveys|news)", any::<bool>(), 0i64..1_000), 0..4),
    ) {
        let now = Timestamp::from_second(1_800_000_000).expect("a time");
        let previous: Vec<Consent> = previous
            .into_iter()
            .map(|(purpose, granted, s)| Consent {
                purpose: Identifier::parse(&purpose).expect("an identifier"),
                granted,
                update_time: Timestamp::from_second(1_700_000_000 + s).expect("a time"),
            })
            .collect();
        let mut v = FieldViolations::new();

        let read = parse_consents(&given, "customer.consents", context(now, &previous), &mut v);

        prop_assert_eq!(read.is_some(), v.is_empty());
        for (field, times) in v.counted() {
            prop_assert_eq!(times, 1, "{} named {} times", field, times);
            let i: usize = field
                .strip_prefix("customer.consents[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, _)| i.parse().ok())
                .expect("a consent's field");
            prop_assert!(i < given.len());
        }
        for consent in read.unwrap_or_default() {
            let before = previous
                .iter()
                .find(|p| p.purpose == consent.purpose && p.granted == consent.granted);
            prop_assert_eq!(consent.update_time, before.map_or(now, |p| p.update_time));
        }
    }
    #[test]
    fn a_contact_point_list_over_its_cap_is_one_violation_on_the_list_and_within_it_never(
        entries in contact_point_entries(),
        earlier in any::<bool>(),
    ) {
        let points: Vec<pb::ContactPoint> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| entry_point(i, *e))
            .collect();
        let mut v = FieldViolations::new();
        if earlier {
            v.add("customer.display_name", "is required");
        }

        let read =
            parse_contact_points(&points, "customer.contact_points", DefaultRegion::US, &mut v);

        let mut expected = BTreeMap::new();
        if earlier {
            expected.insert("customer.display_name".to_owned(), 1);
        }
        let over = points.len() > MAX_CONTACT_POINTS;
        if over {
            expected.insert("customer.contact_points".to_owned(), 1);
        } else {
            let mut repeated = false;
            for (i, entry) in entries.iter().enumerate() {
                let field = match entry {
                    Entry::Good(..) => continue,
                    Entry::Repeated if !repeated => {
                        repeated = true;
                        continue;
                    }
                    Entry::NoAddress | Entry::Repeated => format!("customer.contact_points[{i}]"),
                    Entry::BadEmail => format!("customer.contact_points[{i}].email"),
                    Entry::BadLabel => format!("customer.contact_points[{i}].label"),
                };
                expected.insert(field, 1);
            }
        }
        let named = v.counted();
        let bad_entries = named.len() - usize::from(earlier);
        prop_assert_eq!(named, expected);
        prop_assert_eq!(read.is_some(), bad_entries == 0);
        if let Some(kept) = read {
            prop_assert_eq!(kept.len(), entries.len());
            for ((i, given), point) in points.iter().enumerate().zip(&kept) {
                let email = match &given.point {
                    Some(pb::contact_point::Point::Email(e)) => Some(e.as_str()),
                    _ => None,
                };
                prop_assert!(
                    matches!(&point.address, ContactAddress::Email(e) if Some(e.as_str()) == email),
                    "contact point {} was read as {:?}",
                    i,
                    point.address
                );
                prop_assert_eq!(point.verified, given.verified);
                prop_assert_eq!(point.label.as_str(), given.label.trim());
            }
        }
    }
}

#[test]
fn too_many_tags_are_one_violation_on_the_list_not_one_per_bad_tag() {
    let c = pb::Customer {
        display_name: "Ada".into(),
        kind: pb::CustomerKind::Person.into(),
        tags: vec!["Not a tag!".to_string(); MAX_TAGS + 1],
        ..pb::Customer::default()
    };
    let now = Timestamp::from_second(1_800_000_000).expect("a time");

    let refused = profile(&c, "customer", context(now, &[])).expect_err("too many tags");

    let fields: Vec<&str> = refused
        .violations()
        .iter()
        .map(|x| x.field.as_str())
        .collect();
    assert_eq!(fields, ["customer.tags"]);
}

#[test]
fn a_channel_list_longer_than_there_are_channels_is_one_violation_on_the_list() {
    let c = pb::Customer {
        display_name: "Ada".into(),
        kind: pb::CustomerKind::Person.into(),
        preferred_channels: vec![pb::Channel::Email.into(); 100_000],
        ..pb::Customer::default()
    };
    let now = Timestamp::from_second(1_800_000_000).expect("a time");

    let refused = profile(&c, "customer", context(now, &[])).expect_err("too many channels");

    let fields: Vec<&str> = refused
        .violations()
        .iter()
        .map(|x| x.field.as_str())
        .collect();
    assert_eq!(fields, ["customer.preferred_channels"]);
}

#[test]
fn too_many_consents_are_one_violation_on_the_list_not_one_per_bad_consent() {
    let bad = pb::Consent {
        purpose: "Not a purpose!".into(),
        state: 0,
        update_time: None,
    };
    let c = pb::Customer {
        display_name: "Ada".into(),
        kind: pb::CustomerKind::Person.into(),
        consents: vec![bad; 100_000],
        ..pb::Customer::default()
    };
    let now = Timestamp::from_second(1_800_000_000).expect("a time");

    let refused = profile(&c, "customer", context(now, &[])).expect_err("too many consents");

    let fields: Vec<&str> = refused
        .violations()
        .iter()
        .map(|x| x.field.as_str())
        .collect();
    assert_eq!(fields, ["customer.consents"]);
}
