//! Templates as a template author may write them and variables as a caller
//! may send them: checking and rendering never panic, an accepted template
//! given its declared variables never reports one missing, and output is
//! bounded. The input is split at the first two NUL bytes into subject,
//! body and one variable's value.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use redress_notifications::domain::channel::Channel;
use redress_notifications::domain::template::{
    MAX_RENDERED, RecipientView, RenderError, check, render,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let subject = parts.next().unwrap_or("");
    let body = parts.next().unwrap_or("");
    let value = parts.next().unwrap_or("");
    let declared = vec!["a".to_owned(), "b".to_owned()];
    if !check(subject, body, &declared).is_empty() {
        return;
    }
    let variables = BTreeMap::from([
        ("a".to_owned(), value.to_owned()),
        ("b".to_owned(), "2".to_owned()),
    ]);
    let recipient = RecipientView {
        name: value.to_owned(),
        locale: "en".to_owned(),
    };
    for channel in [Some(Channel::InApp), Some(Channel::Chat), None] {
        match render(subject, body, &declared, &variables, &recipient, channel) {
            Ok(rendered) => {
                assert!(rendered.body.len() <= MAX_RENDERED);
                assert!(!rendered.subject.chars().any(char::is_control));
            }
            Err(RenderError::Missing(missing)) => panic!("declared and given: {missing:?}"),
            Err(RenderError::Failed(_)) => {}
        }
    }
});
