//! Dates in `Date…` conditions: "one of the W3C implementations of the ISO 8601 date formats or
//! in epoch (UNIX) time" (IAM User Guide, Date condition operators).
//!
//! Accepted, as AWS's own validator accepts them (moto's `_validate_iso_8601_datetime`, written
//! against AWS answers): a value containing `T`/`t` or `-` is ISO 8601 — `YYYY[-MM[-DD]]`, then
//! optionally `T` and `hh[:mm[:ss[.fraction]]]` with an optional zone `Z` or `±hh[:mm]`; missing
//! parts default to the start of the period in UTC, the year may be negative and runs over the
//! range of Java's millisecond clock. Any other value is whole epoch seconds. Dates become
//! nanoseconds since the epoch; no calendar library is needed, so no range panics.

const MIN_YEAR: i64 = -292_275_054;
const MAX_YEAR: i64 = 292_278_993;
const NANOS: i128 = 1_000_000_000;

/// Parses a policy or request date into nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    if s.contains(['t', 'T', '-']) {
        parse_iso(s)
    } else {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let secs: i64 = s.parse().ok()?;
        Some(i128::from(secs) * NANOS)
    }
}

fn parse_iso(s: &str) -> Option<i128> {
    let (date, time) = match s.find(['t', 'T']) {
        Some(at) => (s.get(..at)?, s.get(at + 1..)?),
        None => (s, ""),
    };
    let (negative, date) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let mut fields = date.split('-');
    let year = digits(fields.next()?, 1, 9)?;
    let year = if negative { -year } else { year };
    let month = fields.next().map_or(Some(1), |m| digits(m, 1, 2))?;
    let day = fields.next().map_or(Some(1), |d| digits(d, 1, 2))?;
    if fields.next().is_some()
        || !(MIN_YEAR..=MAX_YEAR).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
    {
        return None;
    }
    let (seconds_of_day, fraction, offset) = parse_time(time)?;
    let days = days_from_civil(year, month, day);
    let seconds = i128::from(days) * 86_400 + i128::from(seconds_of_day) - i128::from(offset);
    Some(seconds * NANOS + i128::from(fraction))
}

/// `hh[:mm[:ss[.fraction]]][zone]` → (seconds of day, nanoseconds, zone offset in seconds).
fn parse_time(time: &str) -> Option<(i64, i64, i64)> {
    if time.is_empty() {
        return Some((0, 0, 0));
    }
    let (clock, zone) = match time.find(['Z', 'z', '+', '-']) {
        Some(at) => (time.get(..at)?, time.get(at..)?),
        None => (time, ""),
    };
    let offset = parse_zone(zone)?;
    let mut fields = clock.split(':');
    let hours = digits(fields.next()?, 1, 2)?;
    let minutes = fields.next().map_or(Some(0), |m| digits(m, 1, 2))?;
    let (seconds, fraction) = match fields.next() {
        None => (0, 0),
        Some(sec) => match sec.split_once('.') {
            None => (digits(sec, 1, 2)?, 0),
            Some((whole, frac)) => {
                let value = digits(frac, 1, 9)?;
                let scale = 10_i64.pow(9 - u32::try_from(frac.len()).ok()?);
                (digits(whole, 1, 2)?, value * scale)
            }
        },
    };
    if fields.next().is_some() || hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    Some((hours * 3600 + minutes * 60 + seconds, fraction, offset))
}

fn parse_zone(zone: &str) -> Option<i64> {
    if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let (sign, rest) = match zone.split_at_checked(1)? {
        ("+", rest) => (1, rest),
        ("-", rest) => (-1, rest),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, Some(m)),
        None => (rest, None),
    };
    if h.len() != 2 {
        return None;
    }
    let hours = digits(h, 2, 2)?;
    let minutes = match m {
        Some(m) if m.len() == 2 => digits(m, 2, 2)?,
        Some(_) => return None,
        None => 0,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// A run of `min..=max` ASCII digits.
fn digits(s: &str, min: usize, max: usize) -> Option<i64> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). Days past
/// the end of a month roll into the next one, as a lenient parser would.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn iso_and_epoch_agree() {
        // 2020-01-01T00:00:00Z is 1577836800 seconds after the epoch.
        let want = Some(1_577_836_800 * 1_000_000_000);
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), want);
        assert_eq!(parse_date("2020-01-01"), want);
        assert_eq!(parse_date("2020-01-01T02:00:00+02:00"), want);
        assert_eq!(parse_date("2019-12-31T19:00-05:00"), want);
        assert_eq!(parse_date("1577836800"), want);
        assert_eq!(parse_date("2020"), Some(2020 * 1_000_000_000), "a bare number is epoch seconds");
        assert_eq!(parse_date("2020-01"), want);
    }

    #[test]
    fn validator_examples() {
        // Accepted and refused by AWS's validator, per moto's AWS-verified cases.
        for ok in [
            "01T",
            "2019-07-01T13:20:15Z",
            "2016-12-13T21:20:37.593194+00:00",
            "2016-12-13t2:00:00.593194+23",
            "-292275054",
        ] {
            assert!(parse_date(ok).is_some(), "{ok}");
        }
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }
}
