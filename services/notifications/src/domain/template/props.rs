//! Property tests of template checking and rendering against hostile input:
//! a variable's value is printed, never read as template syntax (no
//! injection); it is escaped exactly as its channel needs (HTML for the
//! inbox, chat markup for chat rooms, nothing for plain text); a checked
//! template given its declared variables leaves no markup unresolved; a
//! subject is one line; output is bounded and never holds a NUL; nothing
//! panics.

use super::*;
use proptest::prelude::*;

/// Values a caller may send and the API lets through, rich in template and
/// markup syntax and control characters; a NUL never gets this far
/// (`grpc::convert::variables` refuses it: nothing could store it).
fn hostile_value() -> impl Strategy<Value = String> {
    hostile_or_nul().prop_map(|value| value.replace('\0', ""))
}

/// Values as a caller may send them, NUL included.
fn hostile_or_nul() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[{}%#<>&\"'/ a-z\\x00-\\x1f]{0,60}",
        prop::sample::select(vec![
            "{{ recipient.name }}".to_owned(),
            "{% if true %}x{% endif %}".to_owned(),
            "{# comment #}".to_owned(),
            "{{ a }}".to_owned(),
            "<script>alert(1)</script>".to_owned(),
            "{% raw %}{{{{".to_owned(),
        ]),
    ]
}

/// Pieces of a template within the subset, each complete on its own.
const WITHIN: &[&str] = &[
    "Dear {{ recipient.name }}, ",
    "{{ a }}",
    "{{ a | upper }}",
    "{{ a | replace('_', ' ') | title }}",
    "{{ a[1:] | lower }}",
    "{% if a == 'x' %}yes{% elif a %}{{ a | capitalize }}{% else %}no{% endif %}",
    "{{ recipient.name | default('there') }}",
    "{{ a | length }} ",
    "{% raw %}{{ a }}{% endraw %}",
];

/// Pieces beyond the subset, each complete on its own.
const BEYOND: &[&str] = &[
    "{% set b = a ~ a %}{{ b }}",
    "{% for c in a %}{{ c }}{% endfor %}",
    "{{ a ~ a }}",
    "{{ a * 3 }}",
    "{{ a | safe }}",
    "{{ a | replace('', a) }}",
    "{{ a | join(a) }}",
    "{{ range(3) }}",
    "{% autoescape false %}{{ a }}{% endautoescape %}",
    "{% with b = a %}{{ b }}{% endwith %}",
];

/// Literal template text with no template or markup syntax in it.
fn plain() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,.!?\\n]{0,20}"
}

fn recipient() -> RecipientView {
    RecipientView {
        name: "Ann".into(),
        locale: "en".into(),
    }
}

fn one(name: &str, value: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(name.to_owned(), value.to_owned())])
}

/// Reverses minijinja's HTML escaping.
fn unescape_html(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_value_is_printed_as_given_on_plain_text_channels_never_run_as_a_template(
        value in hostile_value(),
    ) {
        let declared = vec!["a".to_owned()];
        for channel in [Some(Channel::Email), Some(Channel::Sms), None] {
            let rendered = render("", "{{ a }}", &declared, &one("a", &value), &recipient(), channel)
                .expect("a declared variable renders");
            prop_assert_eq!(&rendered.body, &value);
        }
    }

    #[test]
    fn a_value_in_the_inbox_is_html_escaped_and_reads_back_as_given(value in hostile_value()) {
        let declared = vec!["a".to_owned()];
        let rendered = render(
            "", "<p>{{ a }}</p>", &declared, &one("a", &value), &recipient(), Some(Channel::InApp),
        ).expect("renders");
        let inner = rendered.body
            .strip_prefix("<p>")
            .and_then(|b| b.strip_suffix("</p>"))
            .expect("the template's own markup is kept");
        prop_assert!(!inner.contains(['<', '>', '"', '\'']), "unescaped markup in {:?}", inner);
        prop_assert_eq!(unescape_html(inner), value);
    }

    #[test]
    fn a_value_in_a_chat_room_has_its_markup_escaped_and_nothing_else(value in hostile_value()) {
        let declared = vec!["a".to_owned()];
        let rendered = render(
            "", "{{ a }}", &declared, &one("a", &value), &recipient(), Some(Channel::Chat),
        ).expect("renders");
        let expected = value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        prop_assert_eq!(rendered.body, expected);
    }

    #[test]
    fn a_checked_template_given_its_variables_resolves_every_one_of_them(
        parts in proptest::collection::vec((plain(), 0usize..3), 1..8),
        values in proptest::collection::vec("[A-Za-z0-9 ]{0,12}", 3),
    ) {
        let declared: Vec<String> = ["v0", "v1", "v2"].map(String::from).to_vec();
        let mut body = String::new();
        let mut expected = String::new();
        for (text, var) in &parts {
            body.push_str(text);
            body.push_str(&format!("{{{{ v{var} }}}}"));
            expected.push_str(text);
            expected.push_str(&values[*var]);
        }
        prop_assert!(check("", &body, &declared).is_empty());
        let variables = declared.iter().cloned().zip(values.iter().cloned()).collect();
        let rendered = render("", &body, &declared, &variables, &recipient(), Some(Channel::Email))
            .expect("a checked template renders");
        // minijinja drops one trailing newline of the source.
        prop_assert_eq!(rendered.body.trim_end_matches('\n'), expected.trim_end_matches('\n'));
    }

    #[test]
    fn a_subject_is_one_line_whatever_its_values(value in hostile_value()) {
        let declared = vec!["a".to_owned()];
        let rendered = render(
            "Re: {{ a }}", "x", &declared, &one("a", &value), &recipient(), None,
        ).expect("renders");
        prop_assert!(!rendered.subject.chars().any(char::is_control));
    }

    #[test]
    fn any_template_text_is_accepted_or_refused_on_its_own_fields_never_a_panic(
        subject in prop_oneof![".{0,40}", "[{}%# a-z|().'=\\x00]{0,60}"],
        body in prop_oneof![".{0,40}", "[{}%# a-z|().'=\\x00]{0,80}"],
        variables in proptest::collection::vec(".{0,10}", 0..4),
    ) {
        let problems = check(&subject, &body, &variables);
        for (field, _) in &problems {
            prop_assert!(["subject", "body", "variables"].contains(field));
        }
        if problems.is_empty() {
            // Accepted text is storable: PostgreSQL's text holds no NUL.
            prop_assert!(!subject.contains('\0') && !body.contains('\0'));
            prop_assert!(variables.iter().all(|n| !n.contains('\0')));
            let given = variables.iter().map(|n| (n.clone(), "x".to_owned())).collect();
            match render(&subject, &body, &variables, &given, &recipient(), Some(Channel::InApp)) {
                Ok(_) => {}
                Err(RenderError::Missing(missing)) => {
                    prop_assert!(false, "declared and given, yet missing: {:?}", missing);
                }
                Err(RenderError::Failed(why)) => prop_assert!(!why.contains("undefined"), "{}", why),
            }
        }
    }

    #[test]
    fn rendering_is_bounded_in_size(
        repeat in 1usize..4,
        size in 1usize..40_000,
    ) {
        let declared = vec!["a".to_owned()];
        let body = "{{ a }}".repeat(repeat * 15);
        let value = "x".repeat(size);
        match render("", &body, &declared, &one("a", &value), &recipient(), None) {
            Ok(rendered) => prop_assert!(rendered.body.len() <= MAX_RENDERED),
            Err(error) => prop_assert!(matches!(error, RenderError::Failed(_))),
        }
    }

    #[test]
    fn a_template_is_saved_exactly_when_it_keeps_to_the_subset_and_then_renders_bounded(
        pieces in proptest::collection::vec((any::<bool>(), any::<prop::sample::Index>()), 1..12),
        value in "[&<ßa_ ]{40000}",
    ) {
        let mut body = String::new();
        let mut beyond = Vec::new();
        for (within, index) in &pieces {
            let list = if *within { WITHIN } else { BEYOND };
            let piece = index.get(list);
            body.push_str(piece);
            if !within {
                beyond.push(*piece);
            }
        }
        let declared = vec!["a".to_owned()];

        let problems = check("", &body, &declared);

        if beyond.is_empty() {
            prop_assert!(problems.is_empty(), "{:?} refused: {:?}", body, problems);
            // The largest value the API lets through, of characters that
            // escaping and case changes lengthen.
            for channel in [Some(Channel::InApp), Some(Channel::Chat), None] {
                match render("", &body, &declared, &one("a", &value), &recipient(), channel) {
                    Ok(rendered) => prop_assert!(rendered.body.len() <= MAX_RENDERED),
                    Err(RenderError::Failed(why)) => prop_assert!(why.contains("longer than"), "{}", why),
                    Err(other) => prop_assert!(false, "{:?}", other),
                }
            }
        } else {
            prop_assert_eq!(problems.len(), 1, "{:?} (uses {:?}) accepted", body, beyond);
            prop_assert!(problems[0].1.ends_with(SUBSET), "{:?}", problems);
            let rendered = render("", &body, &declared, &one("a", &value), &recipient(), None);
            prop_assert!(matches!(rendered, Err(RenderError::Failed(_))), "{:?}", body);
        }
    }

    #[test]
    fn a_value_with_a_nul_fails_its_render_cleanly_instead_of_reaching_storage(
        value in hostile_or_nul(),
    ) {
        let declared = vec!["a".to_owned()];

        let result = render("", "{{ a }}", &declared, &one("a", &value), &recipient(), None);

        match result {
            Ok(rendered) => {
                prop_assert!(!value.contains('\0'));
                prop_assert!(!rendered.body.contains('\0') && !rendered.subject.contains('\0'));
            }
            Err(error) => {
                prop_assert!(value.contains('\0'));
                prop_assert!(matches!(error, RenderError::Failed(_)));
            }
        }
    }

    #[test]
    fn a_localised_name_splits_into_a_variable_and_a_tag_or_is_refused(name in prop_oneof![
        ".{0,40}",
        "[a-z_]{1,10}@[A-Za-z-]{0,12}",
    ]) {
        if let Some((base, locale)) = split_localised(&name) {
            prop_assert!(is_variable_name(base));
            prop_assert_eq!(locale.is_some(), name.contains(LOCALE_MARK));
        }
    }
}

#[test]
fn a_large_value_printed_many_times_stops_at_the_bound_instead_of_growing() {
    let declared = vec!["a".to_owned()];
    let body = "{{ a }}".repeat(30);
    let value = "x".repeat(40_000);

    let result = render("", &body, &declared, &one("a", &value), &recipient(), None);

    assert!(
        matches!(&result, Err(RenderError::Failed(why)) if why.contains("longer than")),
        "{:?}",
        result.map(|r| r.body.len())
    );
}
