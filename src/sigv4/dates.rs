//! The two date formats a SigV4 request may carry.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses an ISO 8601 basic UTC timestamp, `YYYYMMDD'T'HHMMSS'Z'`, the only
/// form `X-Amz-Date` takes.
#[must_use]
pub fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[4..6])?;
    let day = digits(&b[6..8])?;
    let hour = digits(&b[9..11])?;
    let minute = digits(&b[11..13])?;
    let second = digits(&b[13..15])?;
    build(year, month, day, hour, minute, second, UtcOffset::UTC)
}

/// Formats a time as `YYYYMMDD'T'HHMMSS'Z'` in UTC.
#[must_use]
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses an HTTP `Date` header: `Sun, 06 Nov 1994 08:49:37 GMT`, or the
/// RFC 2822 form with a numeric zone that botocore sends
/// (`Sun, 30 Aug 2015 12:36:00 -0000`). The weekday is not checked.
#[must_use]
pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let mut parts = s.split_ascii_whitespace();
    let mut first = parts.next()?;
    if first.ends_with(',') {
        first = parts.next()?;
    }
    let day = digits(first.as_bytes())?;
    let month = month_number(parts.next()?)?;
    let year = digits(parts.next()?.as_bytes())?;
    let mut hms = parts.next()?.split(':');
    let hour = digits(hms.next()?.as_bytes())?;
    let minute = digits(hms.next()?.as_bytes())?;
    let second = digits(hms.next()?.as_bytes())?;
    let offset = zone(parts.next()?)?;
    if hms.next().is_some() || parts.next().is_some() {
        return None;
    }
    build(year, month, day, hour, minute, second, offset)
}

fn build(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    offset: UtcOffset,
) -> Option<OffsetDateTime> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, u8::try_from(second).ok()?).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset).to_offset(UtcOffset::UTC))
}

/// A run of 1 to 4 ASCII digits as a number.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
    u32::try_from(index + 1).ok()
}

fn zone(z: &str) -> Option<UtcOffset> {
    if ["GMT", "UTC", "UT", "Z"].iter().any(|n| n.eq_ignore_ascii_case(z)) {
        return Some(UtcOffset::UTC);
    }
    let b = z.as_bytes();
    if b.len() != 5 || !(b[0] == b'+' || b[0] == b'-') {
        return None;
    }
    let hours = i8::try_from(digits(&b[1..3])?).ok()?;
    let minutes = i8::try_from(digits(&b[3..5])?).ok()?;
    let sign = if b[0] == b'-' { -1 } else { 1 };
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}
