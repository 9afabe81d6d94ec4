//! Free text the notifications service stores, through its real gRPC
//! interface: PostgreSQL's `text` and `jsonb` cannot hold a NUL character,
//! so a NUL in a template's wording, a message's or broadcast's variable
//! values, or a staff contact's display name is refused as INVALID_ARGUMENT
//! on exactly that field, never an INTERNAL from the database, and so is a
//! hand-made page token carrying one; a variable name the caller made up
//! never becomes part of a field path.

mod support;

use std::collections::{BTreeSet, HashMap};

use redress_platform::page::{Fingerprint, PageToken};
use support::{TestApp, pb, spawn_app};
use tonic::Code;
use tonic_types::StatusExt;

/// The violated fields of an INVALID_ARGUMENT, each once.
fn violations(status: &tonic::Status) -> BTreeSet<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    let unique: BTreeSet<String> = fields.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        fields.len(),
        "a field reported twice: {fields:?}"
    );
    unique
}

fn fields(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A template of `notice.text` on the in-app channel using `headline`.
async fn notice_template(app: &TestApp) {
    app.template(
        "notice.text",
        pb::Channel::InApp,
        "en",
        "{{ headline }}",
        &["headline"],
    )
    .await;
}

fn send(recipient: &str, variables: HashMap<String, String>) -> pb::SendMessageRequest {
    pb::SendMessageRequest {
        message: Some(pb::Message {
            recipient: recipient.into(),
            kind: "notice.text".into(),
            variables,
            ..pb::Message::default()
        }),
        request_id: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_template_s_subject_or_body_is_refused_on_each_field() {
    // Arrange
    let app = spawn_app().await;
    let draft = pb::Template {
        kind: "notice.text".into(),
        subject: "Hello\0there".into(),
        body: "Dear {{ recipient.name }},\0".into(),
        ..pb::Template::default()
    };

    // Act
    let created = app
        .client()
        .create_template(pb::CreateTemplateRequest {
            template: Some(draft.clone()),
        })
        .await
        .expect_err("a NUL is refused");
    let previewed = app
        .client()
        .preview_template(pb::PreviewTemplateRequest {
            source: Some(pb::preview_template_request::Source::Draft(draft)),
            ..pb::PreviewTemplateRequest::default()
        })
        .await
        .expect_err("a draft that cannot be saved is not previewed");

    // Assert
    assert_eq!(
        violations(&created),
        fields(&["template.subject", "template.body"])
    );
    assert_eq!(
        violations(&previewed),
        fields(&["template.subject", "template.body"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_message_s_variable_value_is_refused_on_that_variable() {
    // Arrange
    let app = spawn_app().await;
    notice_template(&app).await;

    // Act
    let status = app
        .client()
        .send_message(send(
            "agents/ana",
            vars(&[("headline", "Outage\0"), ("headline@de", "Störung")]),
        ))
        .await
        .expect_err("a NUL is refused");

    // Assert
    assert_eq!(
        violations(&status),
        fields(&["message.variables[headline]"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_broadcast_s_variable_value_is_refused_on_that_variable() {
    // Arrange
    let app = spawn_app().await;
    notice_template(&app).await;
    let customer = app.customer("Ada Lovelace", "en-GB", "Europe/London").await;

    // Act
    let status = app
        .client()
        .create_broadcast(pb::CreateBroadcastRequest {
            broadcast: Some(pb::Broadcast {
                audience: Some(pb::Audience {
                    members: Some(pb::audience::Members::Customers(pb::CustomerList {
                        names: vec![customer],
                    })),
                }),
                kind: "notice.text".into(),
                variables: vars(&[("headline", "\0")]),
                ..pb::Broadcast::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("a NUL is refused");

    // Assert
    assert_eq!(
        violations(&status),
        fields(&["broadcast.variables[headline]"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_variable_name_that_is_not_a_name_is_refused_on_the_map_not_on_a_path_it_spells() {
    // Arrange
    let app = spawn_app().await;
    notice_template(&app).await;
    let hostile = [
        "head\0line",
        "x].recipient[y",
        "Headline",
        "a\nb",
        &"n".repeat(100_000),
    ];
    let mut given = vars(&[("headline", "Outage")]);
    for name in hostile {
        given.insert(name.to_owned(), "value".into());
    }

    // Act
    let status = app
        .client()
        .send_message(send("agents/ana", given))
        .await
        .expect_err("bad names are refused");

    // Assert
    assert_eq!(violations(&status), fields(&["message.variables"]));
    let described = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations[0].description.clone())
        .unwrap_or_default();
    assert!(described.starts_with("holds 5 names"), "{described}");
    assert!(described.len() < 300, "the names are not echoed back");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nul_in_a_staff_contact_is_refused_on_each_field_and_nothing_is_saved() {
    // Arrange
    let app = spawn_app().await;
    let contact = pb::StaffContact {
        recipient: "agents/ana".into(),
        display_name: "Ana\0".into(),
        email: "ana\0@example.com".into(),
        chat_webhook_url: "https://chat.example/hook/\0".into(),
        time_zone: "Europe/Amsterdam\0".into(),
        ..pb::StaffContact::default()
    };

    // Act
    let status = app
        .client()
        .update_staff_contact(pb::UpdateStaffContactRequest {
            contact: Some(contact),
        })
        .await
        .expect_err("a NUL is refused");
    let saved = app
        .client()
        .get_staff_contact(pb::GetStaffContactRequest {
            recipient: "agents/ana".into(),
        })
        .await
        .expect_err("nothing was saved");

    // Assert
    assert_eq!(
        violations(&status),
        fields(&[
            "contact.display_name",
            "contact.email",
            "contact.chat_webhook_url",
            "contact.time_zone",
        ])
    );
    assert_eq!(saved.code(), Code::NotFound, "{saved:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_made_templates_page_token_with_a_nul_is_refused_on_the_token() {
    // Arrange: tokens are opaque but not signed, so a caller can make one.
    let app = spawn_app().await;
    let fingerprint = Fingerprint::of("ListTemplates", &[b""]);
    let cursor = serde_json::to_vec(&["notice\0", "", "en", "", "0"]).expect("json");
    let token = PageToken {
        fingerprint,
        cursor,
    }
    .encode();

    // Act
    let status = app
        .client()
        .list_templates(pb::ListTemplatesRequest {
            kind: String::new(),
            page_size: 10,
            page_token: token,
        })
        .await
        .expect_err("refused");

    // Assert
    assert_eq!(violations(&status), fields(&["page_token"]));
}
