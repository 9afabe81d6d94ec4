//! The channels this service delivers on, as the domain knows them.

use redress_platform::wire::WireEnum;
use redress_proto::notifications::v1 as pb;

/// A way this service delivers a message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail over SMTP.
    Email,
    /// A text message through the SMS provider's HTTP API.
    Sms,
    /// A signed HTTP POST to the company's push gateway.
    Webhook,
    /// The in-app inbox.
    InApp,
    /// A staff chat room's incoming webhook.
    Chat,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Sms,
        Channel::Webhook,
        Channel::InApp,
        Channel::Chat,
    ];

    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Webhook => "webhook",
            Channel::InApp => "in_app",
            Channel::Chat => "chat",
        }
    }

    /// The channel of a stored code.
    pub fn from_code(code: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl WireEnum for Channel {
    type Wire = pb::Channel;
    const PAIRS: &'static [(Self, pb::Channel)] = &[
        (Channel::Email, pb::Channel::Email),
        (Channel::Sms, pb::Channel::Sms),
        (Channel::Webhook, pb::Channel::Webhook),
        (Channel::InApp, pb::Channel::InApp),
        (Channel::Chat, pb::Channel::Chat),
    ];
}
