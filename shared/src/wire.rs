//! Conversions between protobuf's well-known types and the types services
//! use inside: `google.protobuf.Timestamp` ⇄ `jiff::Timestamp`, and
//! generated enums ⇄ domain enums ([`WireEnum`]).

use jiff::Timestamp;

/// A `jiff::Timestamp` as a protobuf `Timestamp`.
pub fn timestamp(value: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: value.as_second(),
        nanos: value.subsec_nanosecond(),
    }
}

/// An optional timestamp for an optional field.
pub fn timestamp_opt(value: Option<Timestamp>) -> Option<prost_types::Timestamp> {
    value.map(timestamp)
}

/// The earliest time PostgreSQL's `timestamptz` holds, 4714-11-24 BC
/// 00:00 UTC, in seconds since the Unix epoch. jiff reaches further back,
/// to 9999 BC, and ends (9999 AD) well before PostgreSQL does.
const FIRST_STORED_SECOND: i64 = -210_866_803_200;

/// A protobuf `Timestamp` as a `jiff::Timestamp`; an error for bad nanos or
/// a time outside what jiff and PostgreSQL can both hold (one PostgreSQL
/// cannot would otherwise fail in the database as INTERNAL, stored or
/// compared, instead of being refused on its field).
pub fn from_timestamp(value: &prost_types::Timestamp) -> Result<Timestamp, &'static str> {
    const OUTSIDE: &str = "is outside the supported range";
    if !(0..1_000_000_000).contains(&value.nanos) {
        return Err("nanos must be within 0..1e9");
    }
    if value.seconds < FIRST_STORED_SECOND {
        return Err(OUTSIDE);
    }
    Timestamp::new(value.seconds, value.nanos).map_err(|_| OUTSIDE)
}

/// The description of a number outside the enum.
pub const UNKNOWN: &str = "is not a value of this enum";

/// A wire enum paired with a domain enum.
pub trait WireEnum: Sized + Copy + PartialEq + 'static {
    /// The generated enum.
    type Wire: Copy + PartialEq + TryFrom<i32> + Into<i32> + 'static;
    /// Every domain value with its wire value.
    const PAIRS: &'static [(Self, Self::Wire)];

    /// Reads a wire number: `Ok(None)` for unspecified (zero).
    fn from_wire(value: i32) -> Result<Option<Self>, &'static str> {
        if value == 0 {
            return Ok(None);
        }
        let wire = Self::Wire::try_from(value).map_err(|_| UNKNOWN)?;
        Self::PAIRS
            .iter()
            .find(|(_, w)| *w == wire)
            .map(|(d, _)| Some(*d))
            .ok_or(UNKNOWN)
    }

    /// The wire number.
    fn to_wire(self) -> i32 {
        Self::PAIRS
            .iter()
            .find(|(d, _)| *d == self)
            .map(|(_, w)| (*w).into())
            .unwrap_or(0)
    }
}

/// The wire number of an optional value (zero when absent).
pub fn to_wire_opt<T: WireEnum>(value: Option<T>) -> i32 {
    value.map(WireEnum::to_wire).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_garbage_is_refused() {
        let now = Timestamp::now();
        assert_eq!(from_timestamp(&timestamp(now)), Ok(now));
        let bad = prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(from_timestamp(&bad).is_err());
        let far = prost_types::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert!(from_timestamp(&far).is_err());
    }

    #[test]
    fn a_time_before_postgresql_s_first_day_is_refused_and_that_day_is_kept() {
        let first = prost_types::Timestamp {
            seconds: FIRST_STORED_SECOND,
            nanos: 0,
        };
        let before = prost_types::Timestamp {
            seconds: FIRST_STORED_SECOND - 1,
            nanos: 999_999_999,
        };

        assert_eq!(
            from_timestamp(&first).map(|t| t.to_string()),
            Ok("-004713-11-24T00:00:00Z".to_owned())
        );
        assert!(from_timestamp(&before).is_err());
    }
}
