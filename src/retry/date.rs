//! HTTP-dates (RFC 9110 section 5.6.7): IMF-fixdate, and the obsolete
//! RFC 850 and asctime forms, into seconds since the Unix epoch (pure).
//! Every form has fixed-width fields, read by their byte positions: less
//! code in the wasm than splitting, and `+1` or `-1` are never numbers.

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into seconds
/// since the Unix epoch.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    // "06 Nov 1994 08:49:37 GMT" after the day name.
    let b = split_comma(s)?.1.as_bytes();
    if b.len() != 24 || [b[2], b[6], b[11]] != [b' '; 3] || &b[20..] != b" GMT" {
        return None;
    }
    at(num(&b[7..11])?, &b[3..6], num(&b[0..2])?, &b[12..20])
}

/// `s.split_once(", ")` by a byte search: a `&str` pattern would link
/// core's two-way string searcher (about 1.7 KB of wasm).
fn split_comma(s: &str) -> Option<(&str, &str)> {
    let i = s.as_bytes().windows(2).position(|w| w == b", ")?;
    Some((&s[..i], &s[i + 2..]))
}

/// Parses the obsolete HTTP-date forms into seconds since the Unix epoch:
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`, whose two-digit year is the
/// one nearest the past that is not more than 50 years after `now_secs`,
/// as RFC 9110 says) and asctime (`Sun Nov  6 08:49:37 1994`, the day
/// space-padded).
pub(crate) fn parse_obsolete_date(s: &str, now_secs: i64) -> Option<i64> {
    if let Some((weekday, rest)) = split_comma(s) {
        // "06-Nov-94 08:49:37 GMT" after the day's full name.
        let b = rest.as_bytes();
        if weekday.len() < 6
            || !is_weekday(weekday.as_bytes())
            || b.len() != 22
            || [b[2], b[6], b[9]] != [b'-', b'-', b' ']
            || &b[18..] != b" GMT"
        {
            return None;
        }
        // The century that puts the date at most 50 years after now.
        let now_year = 1970 + now_secs.div_euclid(31_556_952);
        let mut year = now_year - now_year.rem_euclid(100) + num(&b[7..9])?;
        if year > now_year + 50 {
            year -= 100;
        }
        return at(year, &b[3..6], num(&b[0..2])?, &b[10..18]);
    }
    // "Sun Nov  6 08:49:37 1994": the day is two digits or a space and one.
    let b = s.as_bytes();
    if b.len() != 24 || !is_weekday(b) || [b[3], b[7], b[10], b[19]] != [b' '; 4] {
        return None;
    }
    let day = match b[8] {
        b' ' => num(&b[9..10])?,
        _ => num(&b[8..10])?,
    };
    at(num(&b[20..24])?, &b[4..7], day, &b[11..19])
}

/// Whether `name` starts with a day's three-letter name.
fn is_weekday(name: &[u8]) -> bool {
    name.len() >= 3 && b"MonTueWedThuFriSatSun".chunks(3).any(|d| *d == name[..3])
}

/// A field of ASCII digits as a number (`None` for anything else).
fn num(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
    })
}

/// Seconds since the epoch of a date (`month` its three-letter name) and
/// an `HH:MM:SS` time, checked.
fn at(year: i64, month: &[u8], day: i64, time: &[u8]) -> Option<i64> {
    let month = b"JanFebMarAprMayJunJulAugSepOctNovDec"
        .chunks(3)
        .position(|m| m == month)? as u32
        + 1;
    if [time[2], time[5]] != [b':'; 2] {
        return None;
    }
    let (h, m, sec) = (num(&time[0..2])?, num(&time[3..5])?, num(&time[6..8])?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day as u32) * 86_400 + h * 3600 + m * 60 + sec)
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
