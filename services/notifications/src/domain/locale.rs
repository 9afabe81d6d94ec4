//! Locales and the fallback chain. A template is looked up for the
//! recipient's locale, then for ever shorter prefixes of it, then for the
//! kind's default: `zh-Hant-TW` → `zh-Hant` → `zh` → default.

use language_tags::LanguageTag;

/// A checked BCP 47 tag in its canonical case (`zh-Hant-TW`), or the
/// default (empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Locale(String);

impl Locale {
    /// The default locale (no tag).
    pub fn default_locale() -> Locale {
        Locale(String::new())
    }

    /// Parses a BCP 47 tag; empty is the default.
    pub fn parse(tag: &str) -> Result<Locale, &'static str> {
        if tag.is_empty() {
            return Ok(Locale::default_locale());
        }
        if tag.len() > 35 {
            return Err("is longer than 35 characters");
        }
        let parsed = LanguageTag::parse(tag).map_err(|_| "is not a BCP 47 language tag")?;
        parsed
            .validate()
            .map_err(|_| "is not a valid BCP 47 language tag")?;
        Ok(Locale(canonical_case(parsed.as_str())))
    }

    /// The tag; empty for the default.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This locale, then each shorter prefix, then the default.
    pub fn fallback_chain(&self) -> Vec<Locale> {
        let mut chain = Vec::new();
        let mut tag = self.0.as_str();
        while !tag.is_empty() {
            chain.push(Locale(tag.to_owned()));
            tag = match tag.rfind('-') {
                Some(cut) => &tag[..cut],
                None => "",
            };
        }
        chain.push(Locale::default_locale());
        chain
    }
}

/// Language lower case, script title case, region upper case (RFC 5646
/// §2.1.1), other subtags lower case.
fn canonical_case(tag: &str) -> String {
    tag.split('-')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_ascii_lowercase()
            } else if part.len() == 4 && part.chars().all(|c| c.is_ascii_alphabetic()) {
                let mut s = part.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            } else if part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic()) {
                part.to_ascii_uppercase()
            } else {
                part.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(tag: &str) -> Vec<String> {
        Locale::parse(tag)
            .expect("a locale")
            .fallback_chain()
            .into_iter()
            .map(|l| l.0)
            .collect()
    }

    #[test]
    fn traditional_chinese_in_taiwan_falls_back_through_script_and_language_to_the_default() {
        assert_eq!(chain("zh-Hant-TW"), ["zh-Hant-TW", "zh-Hant", "zh", ""]);
    }

    #[test]
    fn tags_are_put_in_canonical_case() {
        assert_eq!(chain("ZH-hant-tw")[0], "zh-Hant-TW");
        assert_eq!(chain("en-gb"), ["en-GB", "en", ""]);
    }

    #[test]
    fn the_default_locale_falls_back_to_itself_only() {
        assert_eq!(chain(""), [""]);
    }

    #[test]
    fn invalid_tags_are_refused() {
        for tag in ["english", "zh_TW", "-", "en--GB", "x"] {
            assert!(Locale::parse(tag).is_err(), "{tag}");
        }
    }
}
