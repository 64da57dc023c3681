//! RFC 3339 timestamps (`created_at`, `completed_at`) to [`SystemTime`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parse an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9
/// digits, then `Z` or a `±hh:mm` offset. `t`/`z` in lower case and a space for `T` are
/// accepted (RFC 3339 allows both). `None` on anything else, including impossible dates.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = mistral_otel_wire::parse_timestamp("2026-03-10T09:14:02.329804Z").unwrap();
/// assert_eq!(t, UNIX_EPOCH + Duration::new(1_773_134_042, 329_804_000));
/// assert!(mistral_otel_wire::parse_timestamp("2026-02-30T00:00:00Z").is_none());
/// ```
pub fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    let separators_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    // second 60 is a leap second: it reads as the first second of the next minute
    if !separators_ok
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }

    let mut pos = 19;
    let mut nanos: u64 = 0;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
            if pos - start == 9 {
                return None;
            }
            nanos = nanos * 10 + u64::from(d - b'0');
            pos += 1;
        }
        let len = pos - start;
        if len == 0 {
            return None;
        }
        nanos *= 10u64.pow(9 - u32::try_from(len).ok()?);
    }

    let offset_seconds: i64 = match b.get(pos..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest.get(2) == Some(&b':') => {
            let oh = digits(rest, 0, 2)?;
            let om = digits(rest, 3, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let magnitude = i64::from(oh * 3600 + om * 60);
            if *sign == b'+' { magnitude } else { -magnitude }
        }
        _ => return None,
    };

    let days = days_from_civil(i64::from(year), month, day);
    let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let unix = local - offset_seconds;
    let nanos = u32::try_from(nanos).ok()?;
    if unix >= 0 {
        UNIX_EPOCH.checked_add(Duration::new(unix.unsigned_abs(), nanos))
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(unix.unsigned_abs()))?
            .checked_add(Duration::from_nanos(u64::from(nanos)))
    }
}

/// `len` ASCII digits at `at`.
fn digits(b: &[u8], at: usize, len: usize) -> Option<u32> {
    b.get(at..at + len)?.iter().try_fold(0u32, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(secs: i64, nanos: u32) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
                + Duration::from_nanos(nanos.into())
        }
    }

    #[test]
    fn epoch_and_fixture_timestamps_parse_exactly() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_timestamp("2026-03-11T15:40:16.142131Z"),
            Some(at(1_773_243_616, 142_131_000))
        );
    }

    #[test]
    fn fraction_of_one_to_nine_digits_scales_to_nanoseconds() {
        assert_eq!(
            parse_timestamp("2000-01-01T00:00:00.5Z"),
            Some(at(946_684_800, 500_000_000))
        );
        assert_eq!(
            parse_timestamp("2000-01-01T00:00:00.123456789Z"),
            Some(at(946_684_800, 123_456_789))
        );
        assert_eq!(parse_timestamp("2000-01-01T00:00:00.1234567891Z"), None);
        assert_eq!(
            parse_timestamp("2000-01-01T00:00:00.123456789012345678901234567890Z"),
            None
        );
        assert_eq!(parse_timestamp("2000-01-01T00:00:00.Z"), None);
    }

    #[test]
    fn offsets_shift_to_utc() {
        let utc = parse_timestamp("2026-03-10T09:14:02Z");
        assert_eq!(parse_timestamp("2026-03-10T11:14:02+02:00"), utc);
        assert_eq!(parse_timestamp("2026-03-10T04:44:02-04:30"), utc);
        assert_eq!(parse_timestamp("2026-03-10t09:14:02z"), utc);
        assert_eq!(parse_timestamp("2026-03-10 09:14:02Z"), utc);
    }

    #[test]
    fn leap_days_and_dates_before_1970() {
        assert_eq!(
            parse_timestamp("2024-02-29T00:00:00Z"),
            Some(at(1_709_164_800, 0))
        );
        assert_eq!(parse_timestamp("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_timestamp("1900-02-29T00:00:00Z"), None);
        assert_eq!(
            parse_timestamp("2000-02-29T00:00:00Z"),
            Some(at(951_782_400, 0))
        );
        assert_eq!(
            parse_timestamp("1969-12-31T23:59:59.5Z"),
            Some(at(-1, 500_000_000))
        );
    }

    #[test]
    fn malformed_timestamps_are_none() {
        for s in [
            "",
            "2026-03-10",
            "2026-03-10T09:14:02",
            "2026-13-10T09:14:02Z",
            "2026-03-10T24:00:00Z",
            "2026-03-10T09:60:00Z",
            "2026-03-10T09:14:02+0200",
            "2026-03-10T09:14:02+02:00junk",
            "2026-03-10T09:14:02.12a Z",
            "２026-03-10T09:14:02Z",
            "+2026-03-10T09:14:02Z",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }
}
