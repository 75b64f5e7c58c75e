//! Timestamps as fixed-width UTC text (`2026-11-24T13:45:00.123456Z`), so that both engines
//! store them the same way and text order is time order.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

pub fn to_text(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC).format(FORMAT).unwrap_or_default()
}

pub fn from_text(text: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(text, FORMAT).ok().map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        let a = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_000).unwrap();
        let b = a + time::Duration::microseconds(1);
        assert_eq!(from_text(&to_text(a)), Some(a));
        assert!(to_text(a) < to_text(b));
        assert_eq!(to_text(a).len(), 27);
    }
}
