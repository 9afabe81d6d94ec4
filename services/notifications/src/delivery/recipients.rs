//! Who each claimed message goes to, resolved for a whole batch at once:
//! customers from the customers service (one call per thousand), staff from
//! this service's contacts, and everyone's preferences with the defaults
//! filled in.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jiff::tz::TimeZone;
use uuid::Uuid;

use crate::channels::Address;
use crate::directory::CustomerDirectory;
use crate::domain::channel::Channel;
use crate::domain::locale::Locale;
use crate::domain::preferences::{OptOut, Preferences};
use crate::domain::recipient::Recipient;
use crate::settings::Settings;
use crate::store::{self, StoreError};

/// What delivery needs of one recipient.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The name to greet them by.
    pub display_name: String,
    /// Their locale (the default when unknown or not a valid tag).
    pub locale: Locale,
    /// Their zone.
    pub zone: TimeZone,
    /// Whether they like familiar address.
    pub familiar: bool,
    /// Their channels in order, defaults appended.
    pub channels: Vec<Channel>,
    /// Their address on each channel they can be reached on (in-app needs
    /// none).
    pub addresses: HashMap<Channel, Address>,
    /// Their preferences, defaults filled in, consents withdrawn included.
    pub preferences: Preferences,
}

/// Why a recipient cannot be sent to at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// No such customer.
    Unknown,
    /// The customer's personal data was erased.
    Erased,
}

/// Resolves every recipient of a batch (shared, since every message to a
/// recipient in the batch carries it).
pub async fn resolve(
    pool: &sqlx::PgPool,
    directory: &CustomerDirectory,
    settings: &Settings,
    names: &HashSet<String>,
) -> Result<HashMap<String, Result<Arc<Resolved>, Unreachable>>, ResolveError> {
    let names: Vec<String> = names.iter().cloned().collect();
    let mut customers: Vec<Uuid> = Vec::new();
    let mut staff: Vec<String> = Vec::new();
    for name in &names {
        match Recipient::parse(name) {
            Ok(Recipient::Customer(id)) => customers.push(id),
            Ok(_) => staff.push(name.clone()),
            Err(_) => {}
        }
    }
    let stored: HashMap<String, store::preferences::PreferencesRow> =
        store::preferences::of(pool, &names)
            .await?
            .into_iter()
            .map(|p| (p.recipient.clone(), p))
            .collect();
    let default_zone = TimeZone::get(&settings.default_time_zone).unwrap_or(TimeZone::UTC);
    let zone_of = |name: &str| {
        if name.is_empty() {
            default_zone.clone()
        } else {
            TimeZone::get(name).unwrap_or_else(|_| default_zone.clone())
        }
    };
    let preferences_of = |name: &str, staff: bool, withdrawn: &[String]| {
        let default_quiet = if staff {
            &settings.staff_quiet_hours
        } else {
            &settings.customer_quiet_hours
        };
        let stored = stored.get(name);
        let mut opt_outs = stored.map(|p| p.opt_outs.clone()).unwrap_or_default();
        opt_outs.extend(withdrawn.iter().map(|purpose| OptOut {
            category: purpose.clone(),
            channel: None,
        }));
        Preferences {
            opt_outs,
            quiet_hours: match stored.and_then(|p| p.quiet_hours) {
                Some(own) => own,
                None => default_quiet.window().ok().flatten(),
            },
            daily_cap: stored
                .map(|p| p.daily_cap)
                .filter(|c| *c > 0)
                .unwrap_or(settings.daily_cap),
        }
    };

    let mut resolved = HashMap::with_capacity(names.len());
    let found = directory
        .contacts(&customers)
        .await
        .map_err(|status| ResolveError::Customers(status.code()))?;
    for id in customers {
        let name = Recipient::Customer(id).to_string();
        let entry = match found.get(&id) {
            None => Err(Unreachable::Unknown),
            Some(c) if c.erased => Err(Unreachable::Erased),
            Some(c) => {
                let mut channels = c.channels.clone();
                for ch in &settings.customer_channels {
                    if !channels.contains(ch) {
                        channels.push(*ch);
                    }
                }
                let mut addresses = HashMap::new();
                if let Some(email) = &c.email {
                    addresses.insert(Channel::Email, Address::Email(email.clone()));
                }
                if let Some(phone) = &c.phone {
                    addresses.insert(Channel::Sms, Address::Phone(phone.clone()));
                }
                addresses.insert(Channel::Webhook, Address::Gateway);
                Ok(Arc::new(Resolved {
                    display_name: c.display_name.clone(),
                    locale: Locale::parse(&c.locale).unwrap_or_default(),
                    zone: zone_of(&c.time_zone),
                    familiar: c.familiar,
                    channels,
                    addresses,
                    preferences: preferences_of(&name, false, &c.opted_out),
                }))
            }
        };
        resolved.insert(name, entry);
    }
    let contacts: HashMap<String, store::contacts::ContactRow> = if staff.is_empty() {
        HashMap::new()
    } else {
        store::contacts::of(pool, &staff)
            .await?
            .into_iter()
            .map(|c| (c.recipient.clone(), c))
            .collect()
    };
    for name in staff {
        let contact = contacts.get(&name);
        let mut channels: Vec<Channel> = contact
            .map(|c| {
                c.channels
                    .iter()
                    .filter_map(|code| Channel::from_code(code))
                    .collect()
            })
            .unwrap_or_default();
        if channels.is_empty() {
            channels = settings.staff_channels.clone();
        }
        let mut addresses = HashMap::new();
        if let Some(c) = contact {
            if !c.email.is_empty() {
                addresses.insert(Channel::Email, Address::Email(c.email.clone()));
            }
            if !c.phone.is_empty() {
                addresses.insert(Channel::Sms, Address::Phone(c.phone.clone()));
            }
            if !c.chat_webhook_url.is_empty() {
                addresses.insert(
                    Channel::Chat,
                    Address::ChatWebhook(c.chat_webhook_url.clone()),
                );
            }
        }
        let display_name = contact
            .map(|c| c.display_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| {
                name.split_once('/')
                    .map(|(_, id)| id.to_owned())
                    .unwrap_or_default()
            });
        resolved.insert(
            name.clone(),
            Ok(Arc::new(Resolved {
                display_name,
                locale: contact
                    .and_then(|c| Locale::parse(&c.locale).ok())
                    .unwrap_or_default(),
                zone: zone_of(contact.map(|c| c.time_zone.as_str()).unwrap_or("")),
                familiar: false,
                channels,
                addresses,
                preferences: preferences_of(&name, true, &[]),
            })),
        );
    }
    Ok(resolved)
}

/// Why a batch's recipients could not be resolved (the batch is retried).
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// This service's database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The customers service did not answer.
    #[error("the customers service answered {0:?}")]
    Customers(tonic::Code),
}
