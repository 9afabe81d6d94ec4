//! Which template a message takes: the recipient's locale and its fallback
//! chain first (`zh-Hant-TW` → `zh-Hant` → `zh` → default), then within a
//! locale the channel's own template before the any-channel one, then the
//! recipient's style before the any-style one.

use crate::domain::channel::Channel;
use crate::domain::locale::Locale;
use crate::store::templates::TemplateRow;

/// The template for `kind` on `channel` for a recipient of `locale` who
/// likes `style` ("formal" or "familiar"), among `templates`.
pub fn choose<'a>(
    templates: &'a [TemplateRow],
    kind: &str,
    channel: Option<Channel>,
    locale: &Locale,
    style: &str,
) -> Option<&'a TemplateRow> {
    let channels: Vec<&str> = match channel {
        Some(c) => vec![c.code(), ""],
        None => vec![""],
    };
    let styles: Vec<&str> = if style.is_empty() {
        vec![""]
    } else {
        vec![style, ""]
    };
    for candidate in locale.fallback_chain() {
        for ch in &channels {
            for st in &styles {
                let found = templates.iter().find(|t| {
                    t.kind == kind
                        && t.locale == candidate.as_str()
                        && t.channel == *ch
                        && t.style == *st
                });
                if found.is_some() {
                    return found;
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use uuid::Uuid;

    fn template(channel: &str, locale: &str, style: &str) -> TemplateRow {
        TemplateRow {
            id: Uuid::now_v7(),
            kind: "k".into(),
            channel: channel.into(),
            locale: locale.into(),
            style: style.into(),
            version: 1,
            subject: String::new(),
            body: format!("{channel}/{locale}/{style}"),
            variables: vec![],
            create_time: Timestamp::UNIX_EPOCH,
            update_time: Timestamp::UNIX_EPOCH,
        }
    }

    fn body(all: &[TemplateRow], channel: Channel, locale: &str, style: &str) -> String {
        let locale = Locale::parse(locale).expect("a locale");
        choose(all, "k", Some(channel), &locale, style)
            .map(|t| t.body.clone())
            .unwrap_or_default()
    }

    #[test]
    fn the_locale_chain_decides_before_channel_and_style() {
        let all = vec![
            template("", "", ""),
            template("sms", "", ""),
            template("", "zh", ""),
            template("", "zh-Hant", "familiar"),
            template("email", "zh-Hant", ""),
        ];
        assert_eq!(
            body(&all, Channel::Email, "zh-Hant-TW", "formal"),
            "email/zh-Hant/"
        );
        assert_eq!(
            body(&all, Channel::Sms, "zh-Hant-TW", "familiar"),
            "/zh-Hant/familiar"
        );
        assert_eq!(body(&all, Channel::Sms, "zh-Hant-TW", "formal"), "/zh/");
        assert_eq!(body(&all, Channel::Sms, "nl-NL", "formal"), "sms//");
        assert_eq!(body(&all, Channel::Email, "nl-NL", ""), "//");
    }

    #[test]
    fn no_template_of_the_kind_is_none() {
        let locale = Locale::default_locale();
        assert!(choose(&[], "k", None, &locale, "").is_none());
    }
}
