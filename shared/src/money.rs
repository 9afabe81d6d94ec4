//! Money: integer minor units and an ISO 4217 currency code, for every
//! service (ARCHITECTURE.md, "Data").
//!
//! On the wire money is `google.type.Money` (units and nanos); inside it is
//! an amount in the currency's minor units, so arithmetic is exact. How many
//! digits a minor unit has comes from ISO 4217 (`iso_currency`): cents for
//! EUR, none for JPY, mils for KWD. An amount finer than the currency's
//! minor unit (a tenth of a cent) is refused rather than rounded.

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not an ISO 4217 currency.
    #[error("not an ISO 4217 currency code such as \"EUR\"")]
    UnknownCurrency,
    /// Below zero.
    #[error("must not be negative")]
    Negative,
    /// Finer than the currency's minor unit.
    #[error("is finer than the currency's minor unit")]
    TooPrecise,
    /// Units and nanos disagree in sign, or nanos is out of range.
    #[error("units and nanos must have the same sign and nanos must be within ±999,999,999")]
    Malformed,
    /// Too large to count.
    #[error("is too large")]
    Overflow,
}

/// An amount in minor units of a currency. Invariant: `currency` is an ISO
/// 4217 code and `minor` is not negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// Amount in the currency's minor units (cents for EUR, yen for JPY).
    pub minor: i64,
}

/// The number of decimal digits of `code`'s minor unit, or
/// [`MoneyError::UnknownCurrency`] when `code` is not an ISO 4217 code.
pub fn exponent(code: &str) -> Result<u32, MoneyError> {
    let currency = iso_currency::Currency::from_code(code).ok_or(MoneyError::UnknownCurrency)?;
    Ok(currency.exponent().map(u32::from).unwrap_or(0))
}

impl Money {
    /// From `google.type.Money`'s parts; not negative.
    pub fn from_units_nanos(code: &str, units: i64, nanos: i32) -> Result<Self, MoneyError> {
        let code = code.trim().to_ascii_uppercase();
        let exp = exponent(&code)?;
        if !(-999_999_999..=999_999_999).contains(&nanos)
            || (units > 0 && nanos < 0)
            || (units < 0 && nanos > 0)
        {
            return Err(MoneyError::Malformed);
        }
        if units < 0 || nanos < 0 {
            return Err(MoneyError::Negative);
        }
        let nanos_per_minor = 10_i64.pow(9 - exp.min(9));
        if i64::from(nanos) % nanos_per_minor != 0 {
            return Err(MoneyError::TooPrecise);
        }
        let minor = units
            .checked_mul(10_i64.pow(exp))
            .and_then(|m| m.checked_add(i64::from(nanos) / nanos_per_minor))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self {
            currency: code,
            minor,
        })
    }

    /// To `google.type.Money`'s parts: (code, units, nanos).
    pub fn to_units_nanos(&self) -> (String, i64, i32) {
        let exp = exponent(&self.currency).unwrap_or(0);
        let per_unit = 10_i64.pow(exp);
        let units = self.minor / per_unit;
        let nanos = (self.minor % per_unit) * 10_i64.pow(9 - exp.min(9));
        (self.currency.clone(), units, nanos as i32)
    }
}

/// `EUR 600.01`, `JPY 1500`: for messages people read.
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (code, units, nanos) = self.to_units_nanos();
        let digits = exponent(&code).unwrap_or(0);
        if digits == 0 {
            write!(f, "{code} {units}")
        } else {
            let fraction = i64::from(nanos) / 10_i64.pow(9 - digits.min(9));
            write!(
                f,
                "{code} {units}.{fraction:0width$}",
                width = digits as usize
            )
        }
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn euros_are_kept_in_cents_and_yen_in_yen() {
        assert_eq!(
            Money::from_units_nanos("eur", 12, 340_000_000),
            Ok(Money {
                currency: "EUR".into(),
                minor: 1234
            })
        );
        assert_eq!(
            Money::from_units_nanos("JPY", 500, 0),
            Ok(Money {
                currency: "JPY".into(),
                minor: 500
            })
        );
    }

    #[test]
    fn bad_amounts_are_refused_not_rounded() {
        assert_eq!(
            Money::from_units_nanos("EUR", 1, 5_000_000),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(
            Money::from_units_nanos("EUR", -1, 0),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            Money::from_units_nanos("EUR", 1, -5),
            Err(MoneyError::Malformed)
        );
        assert_eq!(
            Money::from_units_nanos("XXY", 1, 0),
            Err(MoneyError::UnknownCurrency)
        );
        assert_eq!(
            Money::from_units_nanos("EUR", i64::MAX, 0),
            Err(MoneyError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn minor_units_round_trip_through_the_wire_form(minor in 0i64..i64::MAX / 1000, code in prop::sample::select(vec!["EUR", "USD", "JPY", "KWD", "GBP"])) {
            let money = Money { currency: code.to_string(), minor };
            let (c, units, nanos) = money.to_units_nanos();
            prop_assert_eq!(Money::from_units_nanos(&c, units, nanos), Ok(money));
        }
    }
}
