//! Property tests of reading a complaint's description and a note's
//! attachments against hostile input: whatever a caller sends, the answer
//! is values PostgreSQL can store within their documented limits, or
//! violations that name each bad field once (an over-long list once, as a
//! whole) and no field that was fine.

use std::collections::BTreeMap;

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// Any text a caller may send: plain words, control characters and NUL,
/// odd Unicode, and far too long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,30}",
        "[a-z \\x00-\\x1f\\x7f\\u{85}\\u{2028}]{0,8}",
        "\\PC{0,60}",
        (90usize..300).prop_map(|n| "é".repeat(n)),
        (1_990usize..2_010).prop_map(|n| "a".repeat(n)),
    ]
}

/// Mostly what a front end sends, sometimes anything.
fn text_or(valid: &'static str) -> BoxedStrategy<String> {
    prop_oneof![3 => valid, 1 => hostile_text()].boxed()
}

/// An enum number: a defined one, unspecified, or any `i32`.
fn wire_enum(values: i32) -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0..=values, 1 => any::<i32>()]
}

fn complaint_message() -> impl Strategy<Value = pb::Complaint> {
    (
        (
            wire_enum(3),
            text_or("[A-Za-z ]{0,40}"),
            text_or("[A-Za-z .]{0,80}"),
            text_or("[A-Z0-9-]{0,10}"),
            text_or("[A-Z]{0,3}"),
        ),
        (
            text_or(" ?(too_slow|too_slow/late_delivery|billing|nonsense)"),
            text_or("[a-z ]{0,30}"),
            wire_enum(5),
            wire_enum(4),
            any::<bool>(),
            prop_oneof![
                Just(String::new()),
                text_or("(nl|en-GB|zh-Hant-TW|x-klingon)"),
                "(en-)?x(-[a-z0-9]{1,8}){1,6}",
            ],
            wire_enum(4),
        ),
    )
        .prop_map(
            |(
                (kind, summary, description, product, region),
                (category, requested_remedy, motive, severity, safety, language, escalation),
            )| pb::Complaint {
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
                escalation_reached: escalation,
                ..pb::Complaint::default()
            },
        )
}

fn attachment() -> impl Strategy<Value = pb::Attachment> {
    (
        text_or("(https://files\\.example/|s3://bucket/|ftp://x/)[a-z]{1,8}"),
        text_or("(image/jpeg|application/pdf|text|a b/c)"),
        prop_oneof![3 => "[0-9a-f]{64}", 1 => "[0-9a-fA-F]{62,66}", 1 => hostile_text()],
        prop_oneof![0i64..10_000_000, any::<i64>()],
        prop_oneof![Just(String::new()), text_or("[a-z]{1,8}\\.(pdf|jpg)")],
    )
        .prop_map(
            |(uri, media_type, sha256, size_bytes, file_name)| pb::Attachment {
                uri,
                media_type,
                sha256,
                size_bytes,
                file_name,
            },
        )
}

/// Whether free text can be stored: within `max` when trimmed, present when
/// `required`, free of NUL.
fn storable(text: &str, max: usize, required: bool) -> bool {
    let trimmed = text.trim();
    !(required && trimmed.is_empty()) && trimmed.chars().count() <= max && !trimmed.contains('\0')
}

fn is_hex_digest(sha: &str) -> bool {
    sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_media_type(media_type: &str) -> bool {
    let mut parts = media_type.split('/');
    matches!((parts.next(), parts.next(), parts.next()),
        (Some(t), Some(s), None) if !t.is_empty() && !s.is_empty())
        && !media_type.contains(char::is_whitespace)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_accepted_description_can_be_stored_and_keeps_within_its_limits(c in complaint_message()) {
        let tree = CategoryTree::seeded();

        let Ok(d) = description(&c, "complaint", &tree) else { return Ok(()) };

        prop_assert!(storable(&d.summary, MAX_SUMMARY, true));
        for (text, max) in [
            (&d.summary, MAX_SUMMARY),
            (&d.description, MAX_LONG_TEXT),
            (&d.product, MAX_CODE),
            (&d.region, MAX_CODE),
            (&d.requested_remedy, MAX_REASON),
        ] {
            prop_assert!(storable(text, max, false) && text.trim() == text.as_str());
        }
        prop_assert!(tree.contains(&d.category));
        prop_assert!(d.language.is_empty() || language_tags::LanguageTag::parse(&d.language).is_ok());
        prop_assert!(d.language.chars().count() <= MAX_LANGUAGE);
    }

    #[test]
    fn a_refused_description_names_each_bad_field_once_and_no_field_that_was_fine(
        c in complaint_message(),
    ) {
        let tree = CategoryTree::seeded();

        let Err(v) = description(&c, "complaint", &tree) else { return Ok(()) };

        prop_assert!(!v.is_empty(), "refused without saying why");
        let fields = v.counted();
        let mut expected = BTreeMap::new();
        let mut expect = |field: &str, bad: bool| {
            if bad {
                expected.insert(format!("complaint.{field}"), 1);
            }
        };
        expect("kind", !matches!(Kind::from_wire(c.kind), Ok(Some(_))));
        expect("summary", !storable(&c.summary, MAX_SUMMARY, true));
        expect("description", !storable(&c.description, MAX_LONG_TEXT, false));
        expect("product", !storable(&c.product, MAX_CODE, false));
        expect("region", !storable(&c.region, MAX_CODE, false));
        expect("category", !tree.contains(c.category.trim()));
        expect("requested_remedy", !storable(&c.requested_remedy, MAX_REASON, false));
        expect("motive", Motive::from_wire(c.motive).is_err());
        expect("severity", !matches!(Severity::from_wire(c.severity), Ok(Some(_))));
        let language = c.language.trim();
        expect(
            "language",
            language.chars().count() > MAX_LANGUAGE
                || (!language.is_empty() && language_tags::LanguageTag::parse(language).is_err()),
        );
        expect("escalation_reached", EscalationReached::from_wire(c.escalation_reached).is_err());
        prop_assert_eq!(fields, expected);
    }

    #[test]
    fn attachments_are_storable_or_refused_on_exactly_their_bad_fields_each_once(
        given in prop_oneof![
            4 => vec(attachment(), 0..4),
            1 => vec(attachment(), MAX_ATTACHMENTS - 1..MAX_ATTACHMENTS + 3),
        ],
    ) {
        let mut v = FieldViolations::new();

        let kept = attachments(&mut v, "note.attachments", &given);

        let mut expected = BTreeMap::new();
        if given.len() > MAX_ATTACHMENTS {
            expected.insert("note.attachments".to_string(), 1);
        } else {
            for (i, a) in given.iter().enumerate() {
                let mut expect = |field: &str, bad: bool| {
                    if bad {
                        expected.insert(format!("note.attachments[{i}].{field}"), 1);
                    }
                };
                let uri = a.uri.trim();
                expect(
                    "uri",
                    !storable(uri, 2000, true)
                        || !(uri.starts_with("https://") || uri.starts_with("s3://")),
                );
                let media_type = a.media_type.trim();
                expect(
                    "media_type",
                    !storable(media_type, 255, true) || !is_media_type(media_type),
                );
                expect("sha256", !is_hex_digest(a.sha256.trim()));
                expect("size_bytes", a.size_bytes < 0);
                expect("file_name", !storable(&a.file_name, 255, false));
            }
        }
        let named: BTreeMap<String, usize> =
            v.counted();
        prop_assert_eq!(named, expected);
        if v.is_empty() {
            prop_assert_eq!(kept.len(), given.len());
            for a in &kept {
                prop_assert!(storable(&a.uri, 2000, true) && storable(&a.media_type, 255, true));
                prop_assert!(storable(&a.file_name, 255, false) && is_hex_digest(&a.sha256));
                prop_assert!(a.size_bytes >= 0);
            }
        }
    }
}

fn good_attachment() -> pb::Attachment {
    pb::Attachment {
        uri: "https://files.example/receipt".into(),
        media_type: "application/pdf".into(),
        sha256: "a".repeat(64),
        size_bytes: 10,
        file_name: "receipt.pdf".into(),
    }
}

#[test]
fn a_bad_media_type_that_is_also_too_long_is_named_once() {
    let given = [pb::Attachment {
        media_type: "x".repeat(300),
        ..good_attachment()
    }];
    let mut v = FieldViolations::new();

    attachments(&mut v, "note.attachments", &given);

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["note.attachments[0].media_type"]);
}

#[test]
fn too_many_attachments_are_one_violation_on_the_list_not_one_per_bad_attachment() {
    let given = vec![pb::Attachment::default(); MAX_ATTACHMENTS + 1];
    let mut v = FieldViolations::new();

    attachments(&mut v, "note.attachments", &given);

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["note.attachments"]);
}

/// A complaint message every check accepts, in `language`.
fn complaint_in(language: &str) -> pb::Complaint {
    pb::Complaint {
        kind: 1,
        summary: "Parcel late".into(),
        category: "too_slow".into(),
        severity: 1,
        language: language.into(),
        ..pb::Complaint::default()
    }
}

#[test]
fn a_language_tag_longer_than_35_characters_is_refused_on_language_alone() {
    let private_use = "en-x-aaaaaaaa-bbbbbbbb-cccccccc-dddd";
    assert_eq!(private_use.chars().count(), MAX_LANGUAGE + 1);
    assert!(language_tags::LanguageTag::parse(private_use).is_ok());

    let refused = description(
        &complaint_in(private_use),
        "complaint",
        &CategoryTree::seeded(),
    );

    let v = refused.expect_err("a 36-character tag is refused");
    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["complaint.language"]);
}

#[test]
fn a_language_tag_of_35_characters_is_kept() {
    let private_use = "en-x-aaaaaaaa-bbbbbbbb-cccccccc-ddd";

    let kept = description(
        &complaint_in(private_use),
        "complaint",
        &CategoryTree::seeded(),
    );

    assert_eq!(kept.expect("accepted").language, private_use);
}
