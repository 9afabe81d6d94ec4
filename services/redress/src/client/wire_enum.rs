//! Protobuf enums on the command line and in output, by their short names:
//! `CUSTOMER_KIND_PERSON` is `PERSON`, typed as `person`, `PERSON` or (for
//! `CHANNEL_WEB_FORM`) `web-form`. The `*_UNSPECIFIED` value is never
//! offered; in output it is "not set". A value added to the contract shows
//! up here without a change, because the values are read from the generated
//! enum itself.

use std::ffi::OsStr;
use std::marker::PhantomData;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};

/// A generated protobuf enum with a common prefix on its value names.
pub trait WireEnum: Copy + TryFrom<i32> + Send + Sync + 'static {
    /// The prefix of every value name, such as `CUSTOMER_KIND_`.
    const PREFIX: &'static str;
    /// The full value name, such as `CUSTOMER_KIND_PERSON`.
    fn full_name(self) -> &'static str;
    /// The value with this full name.
    fn from_full_name(name: &str) -> Option<Self>;
    /// The number on the wire.
    fn number(self) -> i32;

    /// The short name, such as `PERSON`.
    fn short_name(self) -> &'static str {
        let full = self.full_name();
        full.strip_prefix(Self::PREFIX).unwrap_or(full)
    }

    /// The value for a short name typed in any case, with `-` or `_`.
    fn from_short_name(text: &str) -> Option<Self> {
        let short = text.trim().to_ascii_uppercase().replace('-', "_");
        Self::from_full_name(&format!("{}{short}", Self::PREFIX)).filter(|v| v.number() != 0)
    }

    /// Every value but the unspecified one, in wire order.
    fn all() -> Vec<Self> {
        (1..=255).filter_map(|n| Self::try_from(n).ok()).collect()
    }
}

/// Implements [`WireEnum`] for generated enums: `wire_enum!(pb::Channel => "CHANNEL_")`.
macro_rules! wire_enum {
    ($($ty:ty => $prefix:literal),+ $(,)?) => {$(
        impl $crate::client::wire_enum::WireEnum for $ty {
            const PREFIX: &'static str = $prefix;
            fn full_name(self) -> &'static str {
                self.as_str_name()
            }
            fn from_full_name(name: &str) -> Option<Self> {
                Self::from_str_name(name)
            }
            fn number(self) -> i32 {
                self as i32
            }
        }
    )+};
}
pub(crate) use wire_enum;

/// The short name of a raw enum field, `None` when it is unspecified; a
/// number this client does not know (a newer server) is shown as a number.
pub fn short<E: WireEnum>(raw: i32) -> Option<String> {
    if raw == 0 {
        return None;
    }
    Some(match E::try_from(raw) {
        Ok(value) => value.short_name().to_owned(),
        Err(_) => raw.to_string(),
    })
}

/// A clap value parser for a [`WireEnum`], offering its short names.
#[derive(Debug)]
pub struct EnumParser<E>(PhantomData<fn() -> E>);

impl<E> Clone for EnumParser<E> {
    fn clone(&self) -> Self {
        Self(PhantomData)
    }
}

/// The parser for `E`: `#[arg(value_parser = enum_parser::<pb::Channel>())]`.
pub fn enum_parser<E: WireEnum>() -> EnumParser<E> {
    EnumParser(PhantomData)
}

impl<E: WireEnum> TypedValueParser for EnumParser<E> {
    type Value = E;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<E, clap::Error> {
        let text = value.to_string_lossy();
        E::from_short_name(&text).ok_or_else(|| {
            let mut error = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
            if let Some(arg) = arg {
                error.insert(
                    ContextKind::InvalidArg,
                    ContextValue::String(arg.to_string()),
                );
            }
            error.insert(
                ContextKind::InvalidValue,
                ContextValue::String(text.into_owned()),
            );
            let valid = E::all().iter().map(|v| v.short_name().to_owned()).collect();
            error.insert(ContextKind::ValidValue, ContextValue::Strings(valid));
            error
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            E::all()
                .into_iter()
                .map(|v| PossibleValue::new(v.short_name())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use redress_proto::customers::v1 as pb;

    use super::*;

    #[test]
    fn short_names_are_typed_in_any_case_with_dashes_or_underscores() {
        assert_eq!(
            pb::Channel::from_short_name("web-form"),
            Some(pb::Channel::WebForm)
        );
        assert_eq!(
            pb::Channel::from_short_name("WEB_FORM"),
            Some(pb::Channel::WebForm)
        );
        assert_eq!(
            pb::CustomerKind::from_short_name("person"),
            Some(pb::CustomerKind::Person)
        );
        assert_eq!(pb::Channel::from_short_name("unspecified"), None);
        assert_eq!(pb::Channel::from_short_name("pigeon"), None);
    }

    #[test]
    fn every_value_but_unspecified_is_offered() {
        let grades: Vec<_> = pb::ValueGrade::all()
            .iter()
            .map(|g| g.short_name())
            .collect();
        assert_eq!(grades, ["A", "B", "C", "D"]);
    }

    #[test]
    fn output_shows_short_names_and_nothing_for_unspecified() {
        assert_eq!(short::<pb::LifecycleStage>(1).as_deref(), Some("PROSPECT"));
        assert_eq!(short::<pb::LifecycleStage>(0), None);
        assert_eq!(short::<pb::LifecycleStage>(99).as_deref(), Some("99"));
    }
}
