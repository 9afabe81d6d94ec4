//! The notifications service: a staff contact, a template rendering the
//! customer's name, messages by e-mail, one of them refused by the server.

use std::collections::HashMap;

use redress_platform::testing::python::SmtpServer;
use redress_proto::notifications::v1 as npb;

use super::{Cast, Markers, eventually, request_id};

/// Notifications: a staff member's contact details, a template that
/// renders the customer's name, a message with a free-text variable by
/// e-mail to the customer and one to the customer whose address the SMTP
/// server refuses. Waits until the first reached the server and the second
/// was tried.
pub(crate) async fn send(
    cast: &mut Cast,
    m: &mut Markers,
    smtp: &SmtpServer,
    customer: &str,
    bouncing: &str,
) {
    cast.notifications_admin
        .update_staff_contact(npb::UpdateStaffContactRequest {
            contact: Some(npb::StaffContact {
                recipient: "agents/agent-1".into(),
                display_name: m.text("staffname"),
                email: m.email("staffemail", ""),
                channels: vec![npb::Channel::InApp.into()],
                ..Default::default()
            }),
        })
        .await
        .expect("a staff contact");
    cast.notifications_admin
        .create_template(npb::CreateTemplateRequest {
            template: Some(npb::Template {
                kind: "privacy.check".into(),
                channel: npb::Channel::Email.into(),
                subject: "About your complaint".into(),
                body: "Dear {{ recipient.name }}, {{ detail }}".into(),
                variables: vec!["detail".into()],
                ..Default::default()
            }),
        })
        .await
        .expect("a template");
    let mut sent = Vec::new();
    for recipient in [customer, bouncing] {
        let message = cast
            .notifications
            .send_message(npb::SendMessageRequest {
                message: Some(npb::Message {
                    recipient: recipient.to_owned(),
                    kind: "privacy.check".into(),
                    variables: HashMap::from([("detail".to_owned(), m.text("messagevariable"))]),
                    channels: vec![npb::Channel::Email.into()],
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .expect("a message")
            .into_inner()
            .message
            .expect("a message");
        sent.push(message.name);
    }
    let settled = [
        npb::MessageState::Sent,
        npb::MessageState::Delivered,
        npb::MessageState::Failed,
        npb::MessageState::Bounced,
    ]
    .map(|s| s as i32);
    for name in sent {
        eventually(&format!("{name} sent or failed"), || {
            let mut notifications = cast.notifications.clone();
            let name = name.clone();
            async move {
                let message = notifications
                    .get_message(npb::GetMessageRequest { name })
                    .await
                    .ok()?
                    .into_inner()
                    .message?;
                settled.contains(&message.state).then_some(())
            }
        })
        .await;
    }
    assert!(
        !smtp.messages().is_empty(),
        "the SMTP server received nothing"
    );
}
