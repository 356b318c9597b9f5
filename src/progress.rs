//! Download and upload progress: [`Transfer`], what a progress callback
//! gets, and the throttle that decides when to call it (pure, tested
//! natively).

use std::fmt;

/// How much of a body has moved: what a progress callback gets
/// (`Response::on_progress` for a download, feature `chunked`;
/// `RequestBuilder::on_upload_progress` for an upload, feature `upload`,
/// where `total` is the request body's size).
///
/// ```
/// let t = fanout::Transfer { loaded: 512, total: Some(2048) };
/// assert_eq!(t.fraction(), Some(0.25));
/// assert_eq!(fanout::Transfer { loaded: 1, total: None }.fraction(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Bytes moved so far.
    pub loaded: u64,
    /// The whole body's size, when known: from `Content-Length` while the
    /// body is moving (unless it is content-encoded, where the header
    /// counts compressed bytes), and always in the last call, which is
    /// made once the body has ended and has `total == Some(loaded)`.
    pub total: Option<u64>,
}

impl Transfer {
    /// `loaded / total`, when the total is known (1.0 for an empty body).
    pub fn fraction(&self) -> Option<f64> {
        match self.total {
            Some(0) => Some(1.0),
            Some(t) => Some(self.loaded as f64 / t as f64),
            None => None,
        }
    }
}

/// A progress callback, shared (a response passes it to its body reader).
pub(crate) type ProgressFn = crate::sync::Shared<crate::sync::dyn_ss!(Fn(Transfer))>;

/// At most one call per this many milliseconds (about one animation
/// frame)...
pub(crate) const INTERVAL_MS: f64 = 16.0;
/// ...or per this many bytes, whichever comes first.
pub(crate) const STEP_BYTES: u64 = 64 * 1024;

/// Counts the bytes of one body and calls the callback, throttled: on the
/// first chunk, then when [`INTERVAL_MS`] have passed or [`STEP_BYTES`]
/// have come since the last call, and once at the end. `loaded` only grows.
pub(crate) struct Reporter {
    f: ProgressFn,
    total: Option<u64>,
    loaded: u64,
    reported: Option<(u64, f64)>,
    /// The last call's `total`, to not repeat a call that already said
    /// `total == loaded` at the end.
    last_total: Option<u64>,
    finished: bool,
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("loaded", &self.loaded)
            .field("total", &self.total)
            .finish()
    }
}

impl Reporter {
    /// A reporter for a body of `total` bytes, if known.
    pub(crate) fn new(f: ProgressFn, total: Option<u64>) -> Reporter {
        Reporter {
            f,
            total,
            loaded: 0,
            reported: None,
            last_total: None,
            finished: false,
        }
    }

    /// `n` more bytes arrived at `now_ms`.
    pub(crate) fn advance(&mut self, n: u64, now_ms: f64) {
        self.loaded += n;
        let due = match self.reported {
            None => true,
            Some((bytes, ms)) => self.loaded - bytes >= STEP_BYTES || now_ms - ms >= INTERVAL_MS,
        };
        if due {
            self.reported = Some((self.loaded, now_ms));
            // Never more than the total while moving (a wrong header).
            let total = self.total.map(|t| t.max(self.loaded));
            self.last_total = total;
            (self.f)(Transfer {
                loaded: self.loaded,
                total,
            });
        }
    }

    /// The whole body, `n` bytes, arrived at once: one call, the last.
    pub(crate) fn loaded_all(&mut self, n: u64) {
        self.loaded += n;
        self.finish();
    }

    /// The body ended: the last call, with `total == loaded` (unless the
    /// call before already said just that).
    pub(crate) fn finish(&mut self) {
        let said = self.reported.is_some_and(|(bytes, _)| bytes == self.loaded)
            && self.last_total == Some(self.loaded);
        if !self.finished {
            self.finished = true;
            if said {
                return;
            }
            (self.f)(Transfer {
                loaded: self.loaded,
                total: Some(self.loaded),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder() -> (ProgressFn, std::sync::Arc<std::sync::Mutex<Vec<Transfer>>>) {
        let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let c = calls.clone();
        (
            crate::sync::Shared::new(move |t| c.lock().unwrap().push(t)),
            calls,
        )
    }

    #[test]
    fn throttled_by_time_and_bytes_with_a_final_call() {
        let (f, calls) = recorder();
        let mut r = Reporter::new(f, Some(300_000));
        r.advance(10, 0.0); // first chunk: reported
        r.advance(10, 5.0); // too soon, too small
        r.advance(10, 20.0); // 20 ms later: reported
        r.advance(70_000, 21.0); // 64 KiB since the last: reported
        r.advance(1, 22.0); // too soon
        r.finish();
        r.finish(); // once only
        let got: Vec<(u64, Option<u64>)> = calls
            .lock()
            .unwrap()
            .iter()
            .map(|t| (t.loaded, t.total))
            .collect();
        assert_eq!(
            got,
            [
                (10, Some(300_000)),
                (30, Some(300_000)),
                (70_030, Some(300_000)),
                (70_031, Some(70_031)),
            ]
        );
    }

    #[test]
    fn unknown_total_and_an_empty_body() {
        let (f, calls) = recorder();
        let mut r = Reporter::new(f, None);
        r.advance(5, 0.0);
        r.finish();
        assert_eq!(calls.lock().unwrap()[0].total, None);
        assert_eq!(calls.lock().unwrap()[1].total, Some(5));
        let (f, calls) = recorder();
        Reporter::new(f, Some(0)).finish();
        assert_eq!(calls.lock().unwrap()[0].fraction(), Some(1.0));
    }

    #[test]
    fn the_end_is_said_once() {
        // The last chunk's report already says `total == loaded`.
        let (f, calls) = recorder();
        let mut r = Reporter::new(f, Some(100));
        r.advance(40, 0.0);
        r.advance(60, 50.0);
        r.finish();
        let got: Vec<u64> = calls.lock().unwrap().iter().map(|t| t.loaded).collect();
        assert_eq!(got, [40, 100]);
        assert_eq!(calls.lock().unwrap()[1].total, Some(100));
        // Not when the last report was throttled away.
        let (f, calls) = recorder();
        let mut r = Reporter::new(f, Some(100));
        r.advance(40, 0.0);
        r.advance(60, 1.0);
        r.finish();
        let got: Vec<u64> = calls.lock().unwrap().iter().map(|t| t.loaded).collect();
        assert_eq!(got, [40, 100]);
        // Nor when the total was unknown while moving.
        let (f, calls) = recorder();
        let mut r = Reporter::new(f, None);
        r.advance(40, 0.0);
        r.finish();
        assert_eq!(
            calls.lock().unwrap()[1],
            Transfer {
                loaded: 40,
                total: Some(40)
            }
        );
    }

    #[test]
    fn a_short_content_length_never_goes_below_loaded() {
        let (f, calls) = recorder();
        let mut r = Reporter::new(f, Some(4));
        r.advance(10, 0.0);
        assert_eq!(calls.lock().unwrap()[0].total, Some(10));
    }
}
