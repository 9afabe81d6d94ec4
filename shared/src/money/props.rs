//! Property tests of money read from `google.type.Money` against hostile
//! input: whatever currency code, units and nanos a caller sends, the answer
//! is money in a known currency that reads back on the wire as it was sent,
//! or a refusal whose kind matches what is wrong, never a panic.

use super::*;
use proptest::prelude::*;

/// ISO 4217 codes of every minor-unit size: none (JPY, and XAU which has no
/// minor unit at all), two, three and four digits (CLF, UYW).
const CODES: &[&str] = &[
    "EUR", "USD", "JPY", "KWD", "BHD", "CLF", "UYW", "XAU", "XXX",
];

/// What a caller may send as a currency code: known codes in any case and
/// padding, three-letter guesses, and arbitrary text.
fn code() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(CODES).prop_map(String::from),
        (prop::sample::select(CODES), any::<bool>(), "[ \t\n]{0,2}").prop_map(
            |(code, lower, pad)| {
                let code = if lower {
                    code.to_lowercase()
                } else {
                    code.to_string()
                };
                format!("{pad}{code}{pad}")
            }
        ),
        "[A-Za-z]{3}",
        ".{0,8}",
        "[A-Z\\x00-\\x1f\\u{130}\\u{212a}]{0,4}",
    ]
}

/// Units from the edges of `i64` to everyday amounts.
fn units() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -1_000i64..1_000_000,
        Just(i64::MAX),
        Just(i64::MIN)
    ]
}

/// Nanos from the edges of `i32`, in range, and on minor-unit boundaries.
fn nanos() -> impl Strategy<Value = i32> {
    prop_oneof![
        any::<i32>(),
        -999_999_999i32..=999_999_999,
        (-99i32..=99).prop_map(|n| n * 10_000_000),
        (-9i32..=9).prop_map(|n| n * 100_000),
        Just(i32::MIN),
        Just(i32::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accepted_money_is_a_known_currency_and_reads_back_as_it_was_sent(
        code in code(),
        units in units(),
        nanos in nanos(),
    ) {
        if let Ok(money) = Money::from_units_nanos(&code, units, nanos) {
            prop_assert_eq!(money.currency.len(), 3);
            prop_assert!(money.currency.bytes().all(|b| b.is_ascii_uppercase()));
            prop_assert!(exponent(&money.currency).is_ok());
            prop_assert!(money.minor >= 0);
            prop_assert_eq!(
                money.to_units_nanos(),
                (code.trim().to_ascii_uppercase(), units, nanos)
            );
        }
    }

    #[test]
    fn a_refusal_says_what_is_wrong_with_the_amount(
        code in code(),
        units in units(),
        nanos in nanos(),
    ) {
        let known = exponent(&code.trim().to_ascii_uppercase());
        let result = Money::from_units_nanos(&code, units, nanos);
        prop_assert_eq!(result == Err(MoneyError::UnknownCurrency), known.is_err());
        let well_formed = nanos.unsigned_abs() <= 999_999_999
            && !(units > 0 && nanos < 0)
            && !(units < 0 && nanos > 0);
        if let Ok(exp) = known {
            prop_assert_eq!(result == Err(MoneyError::Malformed), !well_formed);
            let negative = units < 0 || nanos < 0;
            prop_assert_eq!(result == Err(MoneyError::Negative), well_formed && negative);
            let fine = i64::from(nanos) % 10_i64.pow(9 - exp) != 0;
            prop_assert_eq!(
                result == Err(MoneyError::TooPrecise),
                well_formed && !negative && fine
            );
            let fits = i128::from(units) * 10_i128.pow(exp)
                + i128::from(nanos) / 10_i128.pow(9 - exp)
                <= i128::from(i64::MAX);
            prop_assert_eq!(
                result == Err(MoneyError::Overflow),
                well_formed && !negative && !fine && !fits
            );
        }
    }

    #[test]
    fn any_amount_in_minor_units_round_trips_through_the_wire_form(
        minor in prop_oneof![0i64..1_000_000, 0i64..=i64::MAX, Just(i64::MAX)],
        code in prop::sample::select(CODES),
    ) {
        let money = Money { currency: code.to_string(), minor };

        let (c, units, nanos) = money.to_units_nanos();

        prop_assert_eq!(Money::from_units_nanos(&c, units, nanos), Ok(money));
    }
}

#[test]
fn a_currency_without_a_minor_unit_takes_whole_units_only() {
    assert_eq!(
        Money::from_units_nanos("XAU", 3, 0),
        Ok(Money {
            currency: "XAU".into(),
            minor: 3
        })
    );
    assert_eq!(
        Money::from_units_nanos("XAU", 3, 500_000_000),
        Err(MoneyError::TooPrecise)
    );
}
