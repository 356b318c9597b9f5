//! HTTP-dates (RFC 9110 section 5.6.7): IMF-fixdate, and the obsolete
//! RFC 850 and asctime forms, into seconds since the Unix epoch (pure).

/// Parses an IMF-fixdate into seconds since the Unix epoch.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let rest = s.split_once(", ")?.1;
    let mut it = rest.split(' ');
    // Fixed-width decimal fields (`+1` or `-1` would parse as numbers).
    fn digits(s: &str, width: usize) -> Option<i64> {
        (s.len() == width && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    }
    let day = u32::try_from(digits(it.next()?, 2)?).ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year = digits(it.next()?, 4)?;
    let mut hms = it.next()?.split(':').map(|p| digits(p, 2));
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || it.next()? != "GMT" || it.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

/// Fixed-width decimal digits (`+1` or `-1` would parse as numbers).
fn fixed_digits(s: &str, width: usize) -> Option<i64> {
    (s.len() == width && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A month's number from its three-letter name.
fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

/// Seconds since the epoch of a checked date and `HH:MM:SS` time.
fn at(year: i64, month: u32, day: u32, time: &str) -> Option<i64> {
    let mut hms = time.split(':').map(|p| fixed_digits(p, 2));
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

/// Parses the obsolete HTTP-date forms into seconds since the Unix epoch:
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`, whose two-digit year is the
/// one nearest the past that is not more than 50 years after `now_secs`,
/// as RFC 9110 says) and asctime (`Sun Nov  6 08:49:37 1994`, the day
/// space-padded).
pub(crate) fn parse_obsolete_date(s: &str, now_secs: i64) -> Option<i64> {
    const WEEKDAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    if let Some((weekday, rest)) = s.split_once(", ") {
        if !WEEKDAYS.contains(&weekday) {
            return None;
        }
        let mut it = rest.split(' ');
        let mut date = it.next()?.split('-');
        let time = it.next()?;
        if it.next()? != "GMT" || it.next().is_some() {
            return None;
        }
        let day = u32::try_from(fixed_digits(date.next()?, 2)?).ok()?;
        let month = month_number(date.next()?)?;
        let yy = fixed_digits(date.next()?, 2)?;
        if date.next().is_some() {
            return None;
        }
        // The century that puts the date at most 50 years after now.
        let now_year = 1970 + now_secs.div_euclid(31_556_952);
        let mut year = now_year - now_year.rem_euclid(100) + yy;
        if year > now_year + 50 {
            year -= 100;
        }
        return at(year, month, day, time);
    }
    // asctime: "Sun Nov  6 08:49:37 1994" (one or two spaces before the day).
    let weekday = s.get(..3)?;
    if !WEEKDAYS.iter().any(|w| w.starts_with(weekday)) || s.as_bytes().get(3) != Some(&b' ') {
        return None;
    }
    let month = month_number(s.get(4..7)?)?;
    let rest = s.get(7..)?.strip_prefix(' ')?;
    let (day, rest) = match rest.strip_prefix(' ') {
        Some(r) => (fixed_digits(r.get(..1)?, 1)?, r.get(1..)?),
        None => (fixed_digits(rest.get(..2)?, 2)?, rest.get(2..)?),
    };
    let mut it = rest.strip_prefix(' ')?.split(' ');
    let time = it.next()?;
    let year = fixed_digits(it.next()?, 4)?;
    if it.next().is_some() {
        return None;
    }
    at(year, month, u32::try_from(day).ok()?, time)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::parse_retry_after;
    use std::time::Duration;

    const NOW: f64 = 1_700_000_000_000.0;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("06 Nov 1994"), None);
    }

    /// A negative hour passed the range checks, and a huge one overflowed
    /// `h * 3600` (a panic with overflow checks, a wrapped date without):
    /// the `retry_after` fuzz target's date fields find it. IMF-fixdate
    /// fields are fixed-width digits; anything else is no date.
    #[test]
    fn http_date_fields_are_fixed_width_digits() {
        for bad in [
            "Sun, 06 Nov 1994 -9223372036854775807:00:00 GMT",
            "Sun, 06 Nov 1994 -1:00:00 GMT",
            "Sun, 06 Nov 1994 08:-5:37 GMT",
            "Sun, 06 Nov 1994 08:49:-9223372036854775808 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
            assert!(
                parse_retry_after(bad, NOW).is_none(),
                "{bad}: not a Retry-After either"
            );
        }
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
    }

    #[test]
    fn obsolete_dates_rfc_850_and_asctime() {
        // The three forms of one instant (RFC 9110's example).
        let imf = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let now_2026 = 1_780_000_000;
        assert_eq!(
            parse_obsolete_date("Sunday, 06-Nov-94 08:49:37 GMT", now_2026),
            Some(imf)
        );
        assert_eq!(
            parse_obsolete_date("Sun Nov  6 08:49:37 1994", now_2026),
            Some(imf)
        );
        assert_eq!(
            parse_obsolete_date("Wed Oct 21 07:28:00 2015", now_2026),
            parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT")
        );
        // Two-digit years: at most 50 years after now, else the century before.
        let y = |s: &str| parse_obsolete_date(s, now_2026).map(|t| 1970 + t / 31_556_952);
        assert_eq!(y("Tuesday, 01-Jul-70 00:00:00 GMT"), Some(2070));
        assert_eq!(y("Tuesday, 01-Jul-80 00:00:00 GMT"), Some(1980));
        assert_eq!(y("Wednesday, 01-Jul-26 12:00:00 GMT"), Some(2026));
        for bad in [
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 6-Nov-94 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 PST",
            "Funday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun Nov  6 08:49 1994",
            "Sun Nov 06 08:49:37 1994 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_obsolete_date(bad, now_2026), None, "{bad}");
        }
        // Retry-After takes all three.
        let now_ms = (imf as f64 - 10.0) * 1000.0;
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(form, now_ms),
                Some(Duration::from_secs(10)),
                "{form}"
            );
        }
    }
}
