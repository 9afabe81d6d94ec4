//! Values typed on the command line, parsed before anything is sent:
//! resource names (`customers/{id}` or a bare id, a complaint's reference
//! `C-2026-000123`), decimal amounts into
//! `google.type.Money` units and nanos without ever passing through a float,
//! RFC 3339 times, and request ids. The service still validates everything;
//! these parsers only turn text into the wire's shapes and refuse text that
//! has no such shape.

use jiff::Timestamp;
use redress_proto::google::r#type::Money;

/// `input` as a name in `collection`: `customers/0191...` stays as it is, a
/// bare id `0191...` becomes `customers/0191...`.
pub fn resource_name(collection: &str, input: &str) -> String {
    let input = input.trim();
    let prefix = format!("{collection}/");
    if input.starts_with(&prefix) {
        input.to_owned()
    } else {
        format!("{prefix}{input}")
    }
}

/// A customer's name from `customers/{id}` or a bare id.
pub fn customer_name(input: &str) -> String {
    resource_name("customers", input)
}

/// A complaint's name from `complaints/{id}` or a bare id.
pub fn complaint_name(input: &str) -> String {
    resource_name("complaints", input)
}

/// A team's name from `teams/{id}` or a bare id.
pub fn team_name(input: &str) -> String {
    resource_name("teams", input)
}

/// Whether `input` has the shape of a complaint's human reference,
/// `C-2026-000123` (the service's own rule, applied to the trimmed input).
pub fn is_complaint_reference(input: &str) -> bool {
    redress_complaints::domain::names::is_reference(input.trim())
}

/// What GetComplaint takes: a reference as it is, else a complaint's name
/// from `complaints/{id}` or a bare id.
pub fn complaint_name_or_reference(input: &str) -> String {
    if is_complaint_reference(input) {
        input.trim().to_owned()
    } else {
        complaint_name(input)
    }
}

/// A decimal amount as `google.type.Money` parts: whole units and nanos
/// (billionths), both with the amount's sign. Accepts an optional sign,
/// digits, and at most nine decimals: `12`, `12.34`, `-0.5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// Whole units.
    pub units: i64,
    /// Billionths of a unit, same sign as `units` (or either when `units` is 0).
    pub nanos: i32,
}

impl Decimal {
    /// As money in `currency_code`.
    pub fn money(self, currency_code: &str) -> Money {
        Money {
            currency_code: currency_code.trim().to_owned(),
            units: self.units,
            nanos: self.nanos,
        }
    }
}

/// Parses a decimal amount exactly; for clap's `value_parser`.
pub fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let bad = || format!("{text:?} is not an amount such as 12 or 12.34");
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (digits.contains('.') && fraction.is_empty())
    {
        return Err(bad());
    }
    if fraction.len() > 9 {
        return Err(format!("{text:?} has more than nine decimals"));
    }
    let units: i64 = whole
        .parse()
        .map_err(|_| format!("{text:?} is too large an amount"))?;
    let nanos: i32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().map_err(|_| bad())?
    };
    Ok(if negative {
        Decimal {
            units: -units,
            nanos: -nanos,
        }
    } else {
        Decimal { units, nanos }
    })
}

/// Money as text, `12.34 EUR`, exactly (trailing zeros of the nanos dropped,
/// at least two decimals when there are any).
pub fn format_money(money: &Money) -> String {
    let Money {
        currency_code,
        units,
        nanos,
    } = money;
    let negative = *units < 0 || *nanos < 0;
    let sign = if negative { "-" } else { "" };
    let whole = units.unsigned_abs();
    if *nanos == 0 {
        return format!("{sign}{whole} {currency_code}");
    }
    let mut fraction = format!("{:09}", nanos.unsigned_abs());
    while fraction.len() > 2 && fraction.ends_with('0') {
        fraction.pop();
    }
    format!("{sign}{whole}.{fraction} {currency_code}")
}

/// Parses an RFC 3339 time such as `2026-03-01T09:30:00Z` or
/// `2026-03-01T10:30:00+01:00`; for clap's `value_parser`.
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    text.trim().parse::<Timestamp>().map_err(|error| {
        format!("{text:?} is not an RFC 3339 time such as 2026-03-01T09:30:00Z ({error})")
    })
}

/// The request id to send: the one given, else a new UUIDv7 for this
/// invocation (a repeat of the same command line is a new request; pass
/// `--request-id` to retry one).
pub fn request_id(given: Option<uuid::Uuid>) -> String {
    given.unwrap_or_else(uuid::Uuid::now_v7).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(units: i64, nanos: i32) -> Decimal {
        Decimal { units, nanos }
    }

    #[test]
    fn amounts_are_parsed_exactly_into_units_and_nanos() {
        assert_eq!(parse_decimal("12.34"), Ok(decimal(12, 340_000_000)));
        assert_eq!(parse_decimal("12"), Ok(decimal(12, 0)));
        assert_eq!(parse_decimal("0.000000001"), Ok(decimal(0, 1)));
        assert_eq!(parse_decimal("-1.5"), Ok(decimal(-1, -500_000_000)));
        assert_eq!(parse_decimal("+7.10"), Ok(decimal(7, 100_000_000)));
        // A float would make this 0.30000000000000004.
        assert_eq!(parse_decimal("0.3"), Ok(decimal(0, 300_000_000)));
        assert_eq!(
            parse_decimal("9223372036854775807.999999999"),
            Ok(decimal(i64::MAX, 999_999_999))
        );
    }

    #[test]
    fn text_that_is_not_an_amount_is_refused() {
        for bad in [
            "",
            "-",
            ".5",
            "1.",
            "1,5",
            "1e3",
            "12.3.4",
            "abc",
            "1.0000000001",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_decimal("9223372036854775808").is_err());
    }

    #[test]
    fn money_prints_as_it_was_typed() {
        let money = |text: &str| parse_decimal(text).map(|d| format_money(&d.money("EUR")));
        assert_eq!(money("12.34").as_deref(), Ok("12.34 EUR"));
        assert_eq!(money("12").as_deref(), Ok("12 EUR"));
        assert_eq!(money("-0.5").as_deref(), Ok("-0.50 EUR"));
        assert_eq!(money("0.001").as_deref(), Ok("0.001 EUR"));
    }

    #[test]
    fn names_take_a_bare_id_or_the_full_name() {
        assert_eq!(customer_name("0191-abc"), "customers/0191-abc");
        assert_eq!(customer_name("customers/0191-abc"), "customers/0191-abc");
        assert_eq!(complaint_name(" 42 "), "complaints/42");
        assert_eq!(team_name("front"), "teams/front");
        assert_eq!(team_name("teams/front"), "teams/front");
    }

    #[test]
    fn a_complaint_is_found_by_its_reference_or_its_name() {
        assert!(is_complaint_reference("C-2026-000123"));
        assert!(is_complaint_reference("C-2026-1234567"));
        assert!(!is_complaint_reference("C-26-000123"));
        assert!(!is_complaint_reference("C-2026-123"));
        assert!(!is_complaint_reference("c-2026-000123"));
        assert!(!is_complaint_reference("0191-abc"));
        assert_eq!(
            complaint_name_or_reference(" C-2026-000123 "),
            "C-2026-000123"
        );
        assert_eq!(
            complaint_name_or_reference("0191-abc"),
            "complaints/0191-abc"
        );
    }

    #[test]
    fn times_are_rfc_3339_with_any_offset() {
        let utc = parse_time("2026-03-01T09:30:00Z");
        let offset = parse_time("2026-03-01T10:30:00+01:00");
        assert!(utc.is_ok());
        assert_eq!(utc, offset);
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn a_request_id_is_new_per_invocation_unless_given() {
        assert_ne!(request_id(None), request_id(None));
        let given = uuid::Uuid::now_v7();
        assert_eq!(request_id(Some(given)), given.to_string());
    }
}
