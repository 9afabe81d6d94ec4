//! The notifications domain: channels, recipients, locales and their
//! fallback chain, templates, preferences and the delivery state machine.
//! No prost, no sqlx.

pub mod channel;
pub mod delivery;
pub mod locale;
pub mod preferences;
pub mod recipient;
pub mod template;
