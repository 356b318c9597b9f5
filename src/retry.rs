//! Retry policy and backoff schedule: pure Rust, tested natively.

use std::time::Duration;

use crate::method::Method;

mod date;

pub(crate) use date::parse_http_date;
use date::parse_obsolete_date;

/// When and how a request is retried. Defaults follow ky: up to 2 retries, for
/// idempotent methods only (GET, PUT, HEAD, DELETE, OPTIONS, TRACE), on
/// statuses 408 413 429 500 502 503 504 (413 only with a `Retry-After`) and
/// on network errors; delays of
/// `0.3 s × 2^(n-1)` capped at 10 s, or the server's `Retry-After` (seconds
/// or an HTTP date) capped at 60 s. Timeouts are retried only with
/// [`Retry::retry_on_timeout`]. A POST or PATCH is never retried.
///
/// ```
/// use std::time::Duration;
/// let retry = fanout::Retry::new()
///     .limit(3)
///     .backoff(Duration::from_millis(100), Duration::from_secs(2))
///     .jitter(true);
/// assert_eq!(retry.delay(1), Duration::from_millis(100));
/// assert_eq!(retry.delay(2), Duration::from_millis(200));
/// assert_eq!(fanout::Retry::none().max_retries(), 0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    limit: u32,
    statuses: StatusSet,
    base: Duration,
    cap: Duration,
    max_retry_after: Duration,
    jitter: bool,
    on_timeout: bool,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            limit: 2,
            statuses: StatusSet::of(&[408, 413, 429, 500, 502, 503, 504]),
            base: Duration::from_millis(300),
            cap: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            jitter: false,
            on_timeout: false,
        }
    }
}

/// A set of status codes 0 to 639 as bits: copied, never allocated, so a
/// policy is cheap to merge into every request.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct StatusSet([u64; 10]);

impl StatusSet {
    fn of(codes: &[u16]) -> StatusSet {
        let mut set = StatusSet::default();
        for &c in codes {
            set.insert(c);
        }
        set
    }

    fn insert(&mut self, code: u16) {
        if (100..600).contains(&code) {
            self.0[usize::from(code / 64)] |= 1 << (code % 64);
        }
    }

    fn contains(&self, code: u16) -> bool {
        (100..600).contains(&code) && self.0[usize::from(code / 64)] & (1 << (code % 64)) != 0
    }
}

impl std::fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries((100..600).filter(|&c| self.contains(c)))
            .finish()
    }
}

/// What the retry loop saw on one attempt.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attempt<'a> {
    /// A response with this status and `Retry-After` header.
    Status(u16, Option<&'a str>),
    Network,
    Timeout,
    /// Aborted by the caller, or anything else never worth retrying.
    Final,
}

impl Retry {
    /// The default policy (see the type's docs).
    pub fn new() -> Retry {
        Retry::default()
    }

    /// A policy that never retries.
    pub fn none() -> Retry {
        Retry {
            limit: 0,
            ..Retry::default()
        }
    }

    /// The maximum number of retries after the first attempt (default 2).
    pub fn limit(mut self, retries: u32) -> Retry {
        self.limit = retries;
        self
    }

    /// The statuses that are retried (default 408 413 429 500 502 503 504;
    /// codes outside 100 to 599 are ignored). A 413 is retried only when
    /// its `Retry-After` says when.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Retry {
        let mut set = StatusSet::default();
        for s in statuses {
            set.insert(s);
        }
        self.statuses = set;
        self
    }

    /// Exponential backoff: the n-th retry waits `base × 2^(n-1)`, at most `cap`
    /// (default 300 ms and 10 s).
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Retry {
        self.base = base;
        self.cap = cap;
        self
    }

    /// Waits a random time between 0 and the computed delay ("full jitter"),
    /// which spreads out many clients retrying at once (default off).
    pub fn jitter(mut self, on: bool) -> Retry {
        self.jitter = on;
        self
    }

    /// The ceiling for a server's `Retry-After` (default 60 s): a longer
    /// value waits this long instead.
    pub fn max_retry_after(mut self, ceiling: Duration) -> Retry {
        self.max_retry_after = ceiling;
        self
    }

    /// Also retry attempts that timed out (default off).
    pub fn retry_on_timeout(mut self, on: bool) -> Retry {
        self.on_timeout = on;
        self
    }

    /// The configured maximum number of retries.
    pub fn max_retries(&self) -> u32 {
        self.limit
    }

    /// The backoff delay before retry number `n` (1-based), without jitter
    /// and without `Retry-After`.
    pub fn delay(&self, n: u32) -> Duration {
        crate::backoff::backoff(self.base, n, self.cap)
    }

    /// The wait before reconnection number `n` (1-based) of a WebSocket:
    /// the backoff, scaled by `random` in `[0, 1)` with jitter.
    #[cfg(feature = "websocket")]
    pub(crate) fn reconnect_delay(&self, n: u32, random: f64) -> Duration {
        let d = self.delay(n);
        if self.jitter {
            d.mul_f64(random.clamp(0.0, 1.0))
        } else {
            d
        }
    }

    /// Whether responses with `status` are retried.
    pub(crate) fn retries_status(&self, status: u16) -> bool {
        self.statuses.contains(status)
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.cap < self.base {
            return Err(format!(
                "retry backoff cap of {} ms is below its base of {} ms",
                self.cap.as_millis() as u64,
                self.base.as_millis() as u64
            ));
        }
        Ok(())
    }

    /// Decides whether attempt number `attempt` (1-based), which ended as
    /// `seen`, is retried, and after how long. `now_epoch_ms` and `random`
    /// are injected so the decision is pure.
    pub(crate) fn decide(
        &self,
        method: Method,
        attempt: u32,
        seen: Attempt<'_>,
        now_epoch_ms: f64,
        random: f64,
    ) -> Option<Duration> {
        if attempt > self.limit || !method.is_idempotent() {
            return None;
        }
        let retry_after = match seen {
            Attempt::Status(status, retry_after) => {
                if !self.statuses.contains(status) {
                    return None;
                }
                match (status, retry_after) {
                    // A 413 is retried only when the server says when.
                    (413, v) => Some(v.and_then(|v| parse_retry_after(v, now_epoch_ms))?),
                    (429 | 503, Some(v)) => parse_retry_after(v, now_epoch_ms),
                    _ => None,
                }
            }
            Attempt::Network => None,
            Attempt::Timeout if self.on_timeout => None,
            Attempt::Timeout | Attempt::Final => return None,
        };
        Some(match retry_after {
            Some(d) => d.min(self.max_retry_after),
            None => {
                let d = self.delay(attempt);
                if self.jitter {
                    // Not `clamp`: its assertion message formats `f64`
                    // with `Debug`, which links core's float formatting.
                    #[allow(clippy::manual_clamp)]
                    let random = random.max(0.0).min(1.0);
                    // Not `mul_f64`: its panic (a negative or NaN result,
                    // which can't happen here) formats its error. A float
                    // to integer cast saturates instead.
                    Duration::from_nanos((d.as_nanos() as f64 * random) as u64)
                } else {
                    d
                }
            }
        })
    }
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP-date (a date in
/// the past means "now"): an IMF-fixdate such as
/// `Wed, 21 Oct 2015 07:28:00 GMT`, or one of the obsolete forms RFC 9110
/// (section 5.6.7) requires recipients to accept, RFC 850's
/// `Wednesday, 21-Oct-15 07:28:00 GMT` and asctime's
/// `Wed Oct 21 07:28:00 2015`.
pub(crate) fn parse_retry_after(value: &str, now_epoch_ms: f64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let now_secs = (now_epoch_ms / 1000.0) as i64;
    let when = parse_http_date(value).or_else(|| parse_obsolete_date(value, now_secs))?;
    let ms = (when as f64 * 1000.0 - now_epoch_ms).max(0.0);
    Some(Duration::from_millis(ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Attempt::*;

    const NOW: f64 = 1_700_000_000_000.0;

    #[test]
    fn ky_backoff_schedule() {
        let r = Retry::new().limit(10);
        let ms: Vec<u128> = (1..=7).map(|n| r.delay(n).as_millis()).collect();
        assert_eq!(ms, [300, 600, 1200, 2400, 4800, 9600, 10000]);
    }

    #[test]
    fn retries_listed_statuses_on_idempotent_methods_only() {
        let r = Retry::new();
        assert_eq!(
            r.decide(Method::Get, 1, Status(503, None), NOW, 0.5),
            Some(Duration::from_millis(300))
        );
        assert_eq!(
            r.decide(Method::Get, 2, Status(500, None), NOW, 0.5),
            Some(Duration::from_millis(600))
        );
        assert_eq!(r.decide(Method::Get, 3, Status(500, None), NOW, 0.5), None);
        assert_eq!(r.decide(Method::Post, 1, Status(503, None), NOW, 0.5), None);
        assert_eq!(r.decide(Method::Patch, 1, Network, NOW, 0.5), None);
        assert_eq!(r.decide(Method::Get, 1, Status(404, None), NOW, 0.5), None);
        assert_eq!(r.decide(Method::Get, 1, Status(200, None), NOW, 0.5), None);
        for m in [
            Method::Put,
            Method::Delete,
            Method::Head,
            Method::Options,
            Method::Trace,
        ] {
            assert!(r.decide(m, 1, Network, NOW, 0.5).is_some(), "{m}");
        }
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                r.decide(Method::Get, 1, Status(s, None), NOW, 0.5)
                    .is_some(),
                "{s}"
            );
        }
        // 413 only when the server says when (as ky): the body is too large
        // now, and only the server knows whether it will not be later.
        assert_eq!(r.decide(Method::Get, 1, Status(413, None), NOW, 0.5), None);
        assert_eq!(
            r.decide(Method::Get, 1, Status(413, Some("soon")), NOW, 0.5),
            None
        );
        assert_eq!(
            r.decide(Method::Get, 1, Status(413, Some("2")), NOW, 0.5),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn timeouts_retry_only_when_asked() {
        assert_eq!(Retry::new().decide(Method::Get, 1, Timeout, NOW, 0.5), None);
        assert!(Retry::new()
            .retry_on_timeout(true)
            .decide(Method::Get, 1, Timeout, NOW, 0.5)
            .is_some());
        assert_eq!(Retry::new().decide(Method::Get, 1, Final, NOW, 0.5), None);
    }

    #[test]
    fn retry_after_seconds_date_and_ceiling() {
        let r = Retry::new().max_retry_after(Duration::from_secs(5));
        assert_eq!(
            r.decide(Method::Get, 1, Status(429, Some("2")), NOW, 0.5),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            r.decide(Method::Get, 1, Status(503, Some("3600")), NOW, 0.5),
            Some(Duration::from_secs(5))
        );
        // Retry-After on a 500 is not a signal ky honours: plain backoff.
        assert_eq!(
            r.decide(Method::Get, 1, Status(500, Some("2")), NOW, 0.5),
            Some(Duration::from_millis(300))
        );
        // NOW is 2023-11-14T22:13:20Z.
        let d = parse_retry_after("Tue, 14 Nov 2023 22:13:23 GMT", NOW).unwrap();
        assert_eq!(d, Duration::from_secs(3));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", NOW),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", NOW), None);
    }

    #[test]
    fn jitter_scales_delay() {
        let r = Retry::new().jitter(true);
        assert_eq!(
            r.decide(Method::Get, 2, Network, NOW, 0.25),
            Some(Duration::from_millis(150))
        );
    }

    #[test]
    fn validation() {
        assert!(Retry::new().validate().is_ok());
        assert!(Retry::new()
            .backoff(Duration::from_secs(2), Duration::from_secs(1))
            .validate()
            .is_err());
    }
}

/// The parsers against models, over generated input: no input panics.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn any_text_is_parsed_without_panic(s in ".{0,60}") {
            let _ = parse_retry_after(&s, 1.7e12);
            let _ = parse_http_date(&s);
        }

        #[test]
        fn date_like_text_is_parsed_without_panic(
            day in "[0-9]{1,3}", year in "-?[0-9]{1,20}", h in "[0-9]{1,3}",
            month in prop::sample::select(vec!["Jan", "Feb", "Xyz", "Dec"]),
        ) {
            let s = format!("Sun, {day} {month} {year} {h}:00:00 GMT");
            let _ = parse_retry_after(&s, 1.7e12);
        }

        #[test]
        fn http_dates_match_an_independent_formatter(secs in 0u64..253_402_300_800) {
            let when = std::time::UNIX_EPOCH + Duration::from_secs(secs);
            let text = httpdate::fmt_http_date(when);
            prop_assert_eq!(parse_http_date(&text), Some(secs as i64), "{}", text);
            // As a Retry-After, the delay to that moment (0 once past).
            let now_ms = 1_000_000_000_000.0;
            let want = Duration::from_millis(((secs as f64) * 1000.0 - now_ms).max(0.0) as u64);
            prop_assert_eq!(parse_retry_after(&text, now_ms), Some(want));
        }

        #[test]
        fn delay_seconds_are_read_exactly(n in any::<u64>()) {
            prop_assert_eq!(parse_retry_after(&n.to_string(), 0.0), Some(Duration::from_secs(n)));
            prop_assert_eq!(parse_retry_after(&format!(" {n} "), 0.0), Some(Duration::from_secs(n)));
        }
    }
}
