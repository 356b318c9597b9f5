//! The delivery rules, pure: what an attempt's outcome means for its
//! entry, and how long to wait before the next attempt.

use std::time::Duration;

use crate::backoff::backoff;

/// How one attempt ended, as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome<'a> {
    /// A response with this status and `Retry-After` value.
    Status(u16, Option<&'a str>),
    /// No response: a network error, a timeout, an abort.
    Network,
    /// An error no retry can fix (the request is refused before sending).
    Broken,
}

/// What happens to the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Delivered: removed from the store, the handle gets the response.
    Delivered,
    /// A final answer that is a failure (any 4xx but 408 and 429): kept
    /// as failed.
    Failed,
    /// Try again, after the server's `Retry-After` if it gave one.
    Retry(Option<Duration>),
}

/// The verdict on an attempt: 2xx (and 1xx/3xx, which `fetch` hands on
/// only as final answers) is delivered; 408, 429 and 5xx are retried, as
/// is a network error; any other 4xx is final and failed.
pub(crate) fn verdict(outcome: Outcome<'_>, now_epoch_ms: f64) -> Verdict {
    match outcome {
        Outcome::Network => Verdict::Retry(None),
        Outcome::Broken => Verdict::Failed,
        Outcome::Status(status, retry_after) => match status {
            408 | 429 | 500..=599 => Verdict::Retry(
                retry_after.and_then(|v| crate::retry::parse_retry_after(v, now_epoch_ms)),
            ),
            400..=499 => Verdict::Failed,
            _ => Verdict::Delivered,
        },
    }
}

/// The backoff between attempts of one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Backoff {
    /// The first wait, doubled after each failed attempt...
    pub(crate) base: Duration,
    /// ...up to this.
    pub(crate) cap: Duration,
    /// The longest `Retry-After` honoured as given.
    pub(crate) max_retry_after: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The wait after failed attempt number `attempts` (1-based): the
    /// server's `Retry-After` (up to `max_retry_after`) if it gave one,
    /// else the doubling backoff.
    pub(crate) fn delay(&self, attempts: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(d) => d.min(self.max_retry_after),
            None => backoff(self.base, attempts, self.cap),
        }
    }
}

/// Whether an entry that has had `attempts` attempts may have another
/// (`max_attempts`: `None` is no limit).
pub(crate) fn may_retry(max_attempts: Option<u32>, attempts: u32) -> bool {
    max_attempts.is_none_or(|max| attempts < max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_and_retried_statuses() {
        let v = |s| verdict(Outcome::Status(s, None), 0.0);
        for s in [200, 201, 204, 299, 301, 304] {
            assert_eq!(v(s), Verdict::Delivered, "{s}");
        }
        for s in [400, 401, 403, 404, 409, 410, 413, 422, 451, 499] {
            assert_eq!(v(s), Verdict::Failed, "{s}");
        }
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(v(s), Verdict::Retry(None), "{s}");
        }
        assert_eq!(verdict(Outcome::Network, 0.0), Verdict::Retry(None));
        assert_eq!(verdict(Outcome::Broken, 0.0), Verdict::Failed);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let got = verdict(Outcome::Status(503, Some("7")), 0.0);
        assert_eq!(got, Verdict::Retry(Some(Duration::from_secs(7))));
        let b = Backoff::default();
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(9999))),
            b.max_retry_after
        );
        // A bad value is no value: the backoff decides.
        assert_eq!(
            verdict(Outcome::Status(429, Some("soon")), 0.0),
            Verdict::Retry(None)
        );
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let b = Backoff::default();
        let ms = Duration::from_millis;
        let got: Vec<_> = (1..=8).map(|n| b.delay(n, None)).collect();
        assert_eq!(
            got,
            [
                ms(500),
                ms(1000),
                ms(2000),
                ms(4000),
                ms(8000),
                ms(16000),
                ms(30000),
                ms(30000)
            ]
        );
    }

    #[test]
    fn attempts_are_unlimited_unless_capped() {
        assert!(may_retry(None, u32::MAX - 1));
        assert!(may_retry(Some(3), 2));
        assert!(!may_retry(Some(3), 3));
    }
}
