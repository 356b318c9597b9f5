//! `Retry-After`: any text, no panic; digits are seconds; any instant
//! that the `httpdate` crate formats parses back to itself; and dates
//! built from fuzzed fields (so that the fuzzer explores each field of an
//! IMF-fixdate, not only the rare text that reaches the date parser) are
//! accepted exactly when the model of the fields says so, and then name a
//! time in range.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use fanout::__fuzz::{http_date, retry_after};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

const NOW_MS: f64 = 1_700_000_000_000.0;
const MONTHS: [&str; 13] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Xyz",
];

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    text: &'a str,
    secs: u64,
    day: &'a str,
    month: u8,
    year: &'a str,
    hour: &'a str,
    minute: &'a str,
    second: &'a str,
}

/// The earliest and latest instants an IMF-fixdate can name (years 0000 to
/// 9999, days up to 31 in any month, second 60), in Unix seconds.
const EARLIEST: i64 = -62_167_219_200;
const LATEST: i64 = 253_402_300_800 + 86_400;

fn check(text: &str) {
    let got = retry_after(text, NOW_MS);
    if let Ok(n) = text.trim().parse::<u64>() {
        assert_eq!(got, Some(Duration::from_secs(n)), "{text:?}");
    }
    if let Some(when) = http_date(text.trim()) {
        assert!((EARLIEST..=LATEST).contains(&when), "{text:?} -> {when}");
        assert!(got.is_some(), "{text:?}");
    }
}

/// A field of `width` ASCII digits, as a number.
fn digits(s: &str, width: usize) -> Option<u32> {
    (s.len() == width && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().unwrap())
}

/// The model of an IMF-fixdate's fields: `DD Mon YYYY HH:MM:SS`, fixed
/// width, day 01-31, hour 00-23, minute 00-59, second 00-60.
fn valid_fields(input: &Input) -> bool {
    let month_ok = usize::from(input.month) % MONTHS.len() < 12;
    let day = digits(input.day, 2).is_some_and(|d| (1..=31).contains(&d));
    let year = digits(input.year, 4).is_some();
    let hour = digits(input.hour, 2).is_some_and(|h| h <= 23);
    let minute = digits(input.minute, 2).is_some_and(|m| m <= 59);
    let second = digits(input.second, 2).is_some_and(|s| s <= 60);
    month_ok && day && year && hour && minute && second
}

fuzz_target!(|input: Input| {
    check(input.text);
    let date = format!(
        "Sun, {} {} {} {}:{}:{} GMT",
        input.day,
        MONTHS[usize::from(input.month) % MONTHS.len()],
        input.year,
        input.hour,
        input.minute,
        input.second
    );
    check(&date);
    assert_eq!(http_date(&date).is_some(), valid_fields(&input), "{date:?}");
    // The model: an IMF-fixdate written by httpdate (years 1970-9999).
    let secs = input.secs % 253_402_300_800;
    let formatted = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
    assert_eq!(http_date(&formatted), Some(secs as i64), "{formatted}");
    let wait = retry_after(&formatted, NOW_MS).unwrap();
    let expected = (secs as f64 * 1000.0 - NOW_MS).max(0.0) as u64;
    assert_eq!(wait, Duration::from_millis(expected), "{formatted}");
});
