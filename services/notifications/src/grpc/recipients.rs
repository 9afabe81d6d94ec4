//! Recipient handlers: delivery preferences, staff contacts, in-app inbox.

use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire;
use redress_proto::notifications::v1 as pb;
use uuid::Uuid;

use super::convert::{self, channel_list, channel_opt};
use super::{NotificationApi, id_of, paging, time_id};
use crate::channels::http::http_url;
use crate::domain::channel::Channel;
use crate::domain::locale::Locale;
use crate::domain::preferences::{OptOut, QuietHours};
use crate::domain::recipient::Recipient;
use crate::domain::template::{NUL, check_kind};
use crate::store::contacts::{self, ContactRow};
use crate::store::inbox;
use crate::store::preferences::{self, PreferencesRow};

/// The most opt-outs a recipient may keep.
const MAX_OPT_OUTS: usize = 200;
/// The longest chat webhook URL, in bytes.
const MAX_URL: usize = 2_000;

fn preferences_of(recipient: &str, row: Option<&PreferencesRow>) -> pb::Preferences {
    let Some(row) = row else {
        return pb::Preferences {
            recipient: recipient.to_owned(),
            ..pb::Preferences::default()
        };
    };
    pb::Preferences {
        recipient: row.recipient.clone(),
        opt_outs: row
            .opt_outs
            .iter()
            .map(|o| pb::OptOut {
                category: o.category.clone(),
                channel: o.channel.map(wire::WireEnum::to_wire).unwrap_or(0),
            })
            .collect(),
        quiet_hours: row.quiet_hours.map(|q| match q {
            Some(q) => pb::QuietHours {
                enabled: true,
                start_minute: i32::from(q.start_minute),
                end_minute: i32::from(q.end_minute),
            },
            None => pb::QuietHours {
                enabled: false,
                start_minute: 0,
                end_minute: 0,
            },
        }),
        daily_cap: i32::try_from(row.daily_cap).unwrap_or(i32::MAX),
        etag: format!("\"{}\"", row.version),
        update_time: Some(wire::timestamp(row.update_time)),
    }
}

fn contact_of(row: &ContactRow) -> pb::StaffContact {
    pb::StaffContact {
        recipient: row.recipient.clone(),
        display_name: row.display_name.clone(),
        email: row.email.clone(),
        phone: row.phone.clone(),
        chat_webhook_url: row.chat_webhook_url.clone(),
        channels: row
            .channels
            .iter()
            .map(|c| convert::channel_wire(c))
            .collect(),
        locale: row.locale.clone(),
        time_zone: row.time_zone.clone(),
        update_time: Some(wire::timestamp(row.update_time)),
    }
}

fn staff(name: &str, field: &str) -> Result<Recipient, ApiError> {
    let mut v = FieldViolations::new();
    let parsed = convert::recipient(name, field, &mut v);
    v.into_result()?;
    match parsed {
        Some(r) if r.is_staff() => Ok(r),
        _ => Err(ApiError::invalid(
            field,
            "must be agents/{subject} or teams/{id}",
        )),
    }
}

impl NotificationApi {
    pub(super) async fn get_preferences(
        &self,
        r: pb::GetPreferencesRequest,
    ) -> Result<pb::GetPreferencesResponse, ApiError> {
        let mut v = FieldViolations::new();
        let recipient = convert::recipient(&r.recipient, "recipient", &mut v);
        v.into_result()?;
        let name = recipient.map(|r| r.to_string()).unwrap_or_default();
        let mut conn = self.pool.acquire().await?;
        let row = preferences::get(&mut conn, &name, false).await?;
        Ok(pb::GetPreferencesResponse {
            preferences: Some(preferences_of(&name, row.as_ref())),
        })
    }

    pub(super) async fn update_preferences(
        &self,
        r: pb::UpdatePreferencesRequest,
    ) -> Result<pb::UpdatePreferencesResponse, ApiError> {
        let Some(p) = r.preferences else {
            return Err(ApiError::invalid("preferences", "is required"));
        };
        let pb::Preferences {
            recipient,
            opt_outs,
            quiet_hours,
            daily_cap,
            etag,
            update_time: _,
        } = p;
        let mut v = FieldViolations::new();
        let recipient = convert::recipient(&recipient, "preferences.recipient", &mut v);
        if opt_outs.len() > MAX_OPT_OUTS {
            v.add(
                "preferences.opt_outs",
                format!("holds more than {MAX_OPT_OUTS}"),
            );
        }
        let mut parsed = Vec::new();
        for (i, o) in opt_outs.iter().enumerate() {
            if check_kind(&o.category).is_err() {
                v.add(
                    format!("preferences.opt_outs[{i}].category"),
                    "must be a lower-case category such as \"marketing\"",
                );
            }
            let channel = channel_opt(
                o.channel,
                &format!("preferences.opt_outs[{i}].channel"),
                &mut v,
            );
            let opt_out = OptOut {
                category: o.category.clone(),
                channel,
            };
            if !parsed.contains(&opt_out) {
                parsed.push(opt_out);
            }
        }
        let quiet = quiet_hours.map(|q| {
            let minute = |m: i32, field: &str, v: &mut FieldViolations| {
                u16::try_from(m)
                    .ok()
                    .filter(|m| *m < 1440)
                    .unwrap_or_else(|| {
                        v.add(field, "must be minutes after midnight, 0-1439");
                        0
                    })
            };
            let start = minute(
                q.start_minute,
                "preferences.quiet_hours.start_minute",
                &mut v,
            );
            let end = minute(q.end_minute, "preferences.quiet_hours.end_minute", &mut v);
            q.enabled.then_some(QuietHours {
                start_minute: start,
                end_minute: end,
            })
        });
        if daily_cap < 0 {
            v.add("preferences.daily_cap", "must not be negative");
        }
        v.into_result()?;
        let name = recipient.map(|r| r.to_string()).unwrap_or_default();
        let mut tx = self.pool.begin().await?;
        let current = preferences::get(&mut tx, &name, true).await?;
        let version = current.as_ref().map(|c| c.version).unwrap_or(0);
        if !etag.is_empty() && etag != format!("\"{version}\"") {
            return Err(ApiError::Aborted {
                reason: "ETAG_MISMATCH",
                message: "the preferences changed since they were read; read them again".into(),
            });
        }
        let row = PreferencesRow {
            recipient: name.clone(),
            opt_outs: parsed,
            quiet_hours: quiet,
            daily_cap: u32::try_from(daily_cap).unwrap_or(0),
            version: version + 1,
            update_time: self.clock.now(),
        };
        preferences::put(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(pb::UpdatePreferencesResponse {
            preferences: Some(preferences_of(&name, Some(&row))),
        })
    }

    pub(super) async fn get_staff_contact(
        &self,
        r: pb::GetStaffContactRequest,
    ) -> Result<pb::GetStaffContactResponse, ApiError> {
        let who = staff(&r.recipient, "recipient")?.to_string();
        let found = contacts::of(&self.pool, std::slice::from_ref(&who)).await?;
        let row = found
            .first()
            .ok_or_else(|| ApiError::not_found("StaffContact", who.clone()))?;
        Ok(pb::GetStaffContactResponse {
            contact: Some(contact_of(row)),
        })
    }

    pub(super) async fn update_staff_contact(
        &self,
        r: pb::UpdateStaffContactRequest,
    ) -> Result<pb::UpdateStaffContactResponse, ApiError> {
        let Some(c) = r.contact else {
            return Err(ApiError::invalid("contact", "is required"));
        };
        let pb::StaffContact {
            recipient,
            display_name,
            email,
            phone,
            chat_webhook_url,
            channels,
            locale,
            time_zone,
            update_time: _,
        } = c;
        let who = staff(&recipient, "contact.recipient")?.to_string();
        let mut v = FieldViolations::new();
        if display_name.len() > 200 {
            v.add("contact.display_name", "is longer than 200 bytes");
        } else if display_name.contains('\0') {
            v.add("contact.display_name", NUL);
        }
        if !email.is_empty() && !email_address::EmailAddress::is_valid(&email) {
            v.add("contact.email", "is not an e-mail address");
        }
        let phone = if phone.is_empty() {
            String::new()
        } else {
            match phonenumber::parse(None, &phone) {
                Ok(n) if phonenumber::is_valid(&n) => {
                    n.format().mode(phonenumber::Mode::E164).to_string()
                }
                _ => {
                    v.add(
                        "contact.phone",
                        "is not a phone number in international form (+...)",
                    );
                    String::new()
                }
            }
        };
        // The text is stored as given and parsed again when used, so it
        // must be what the parser reads: the URL parser drops or escapes
        // control characters (and PostgreSQL cannot store a NUL).
        if !chat_webhook_url.is_empty()
            && (chat_webhook_url.len() > MAX_URL
                || chat_webhook_url.chars().any(|c| c.is_control())
                || http_url(&chat_webhook_url).is_none())
        {
            v.add(
                "contact.chat_webhook_url",
                format!(
                    "must be an http:// or https:// URL of at most {MAX_URL} bytes, without \
                     control characters"
                ),
            );
        }
        let channels = channel_list(&channels, "contact.channels", &mut v);
        if channels.contains(&Channel::Webhook) {
            v.add(
                "contact.channels",
                "staff are reached by e-mail, SMS, chat or in-app",
            );
        }
        let locale = v
            .check("contact.locale", Locale::parse(&locale))
            .unwrap_or_default();
        if !time_zone.is_empty() && jiff::tz::TimeZone::get(&time_zone).is_err() {
            v.add(
                "contact.time_zone",
                "is not an IANA time zone such as Europe/Amsterdam",
            );
        }
        v.into_result()?;
        let row = ContactRow {
            recipient: who,
            display_name,
            email,
            phone,
            chat_webhook_url,
            channels: channels.iter().map(|c| c.code().to_owned()).collect(),
            locale: locale.as_str().to_owned(),
            time_zone,
            update_time: self.clock.now(),
        };
        let mut conn = self.pool.acquire().await?;
        contacts::put(&mut conn, &row).await?;
        Ok(pb::UpdateStaffContactResponse {
            contact: Some(contact_of(&row)),
        })
    }

    pub(super) async fn list_inbox(
        &self,
        r: pb::ListInboxRequest,
    ) -> Result<pb::ListInboxResponse, ApiError> {
        let pb::ListInboxRequest {
            recipient,
            unread_only,
            page_size,
            page_token,
        } = r;
        let mut v = FieldViolations::new();
        let who = convert::recipient(&recipient, "recipient", &mut v);
        v.into_result()?;
        let who = who.map(|r| r.to_string()).unwrap_or_default();
        let fingerprint = Fingerprint::of("ListInbox", &[who.as_bytes(), &[u8::from(unread_only)]]);
        let (size, cursor) = paging(page_size, &page_token, fingerprint)?;
        let after = cursor.map(|c| time_id(&c)).transpose()?;
        let rows = inbox::list(&self.pool, &who, unread_only, after, size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fingerprint, |i| {
            page::encode_time_id(i.create_time, i.message_id)
        });
        let unread_count = inbox::unread(&self.pool, &who).await?;
        Ok(pb::ListInboxResponse {
            items: rows
                .into_iter()
                .map(|i| pb::InboxItem {
                    message: format!("messages/{}", i.message_id),
                    kind: i.kind,
                    subject: i.subject,
                    body: i.body,
                    create_time: Some(wire::timestamp(i.create_time)),
                    read_time: wire::timestamp_opt(i.read_time),
                })
                .collect(),
            unread_count,
            next_page_token,
        })
    }

    pub(super) async fn mark_inbox_read(
        &self,
        r: pb::MarkInboxReadRequest,
    ) -> Result<pb::MarkInboxReadResponse, ApiError> {
        let mut v = FieldViolations::new();
        let who = convert::recipient(&r.recipient, "recipient", &mut v);
        if r.messages.is_empty() {
            v.add("messages", "name at least one message");
        } else if r.messages.len() > 1000 {
            v.add("messages", "names more than 1000");
        }
        let mut ids: Vec<Uuid> = Vec::new();
        for (i, name) in r.messages.iter().enumerate() {
            match id_of(name, "messages/{uuid}", "messages") {
                Ok(id) => ids.push(id),
                Err(_) => v.add(format!("messages[{i}]"), "must be messages/{uuid}"),
            }
        }
        v.into_result()?;
        let who = who.map(|r| r.to_string()).unwrap_or_default();
        let marked = inbox::mark_read(&self.pool, &who, &ids, self.clock.now()).await?;
        Ok(pb::MarkInboxReadResponse {
            marked_count: i64::try_from(marked).unwrap_or(i64::MAX),
        })
    }
}
