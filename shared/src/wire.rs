//! Conversions between protobuf's well-known types and the types services
//! use inside: `google.protobuf.Timestamp` ⇄ `jiff::Timestamp`, and field
//! masks.

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

/// A protobuf `Timestamp` as a `jiff::Timestamp`; an error for one outside
/// the range both can hold or with bad nanos.
pub fn from_timestamp(value: &prost_types::Timestamp) -> Result<Timestamp, &'static str> {
    if !(0..1_000_000_000).contains(&value.nanos) {
        return Err("nanos must be within 0..1e9");
    }
    Timestamp::new(value.seconds, value.nanos).map_err(|_| "is outside the supported range")
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
}
