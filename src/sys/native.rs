//! The platform natively: the clock, the runtime's timers and fanout's own
//! `AbortController`/`AbortSignal` (the browser's are JavaScript objects).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Milliseconds on a monotonic clock, from the first call.
pub(crate) fn now_ms() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// Milliseconds since the Unix epoch, for `Retry-After` dates.
#[cfg(feature = "retry")]
pub(crate) fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// A number in `[0, 1)` for retry jitter: a splitmix64 step over a
/// counter seeded from the clock (jitter needs spread, not secrecy).
#[cfg(any(feature = "retry", feature = "websocket"))]
pub(crate) fn random() -> f64 {
    use std::sync::atomic::AtomicU64;
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(seed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// `new URL(input, base).href` as the `url` crate (the WHATWG URL
/// standard, the browser's algorithm) gives it; `None` where the browser's
/// `URL` would throw.
pub(crate) fn parse_url(input: &str, base: Option<&str>) -> Option<String> {
    let url = match base {
        Some(base) => url::Url::parse(base).ok()?.join(input),
        None => url::Url::parse(input),
    };
    url.ok().map(String::from)
}

/// There is no page location natively: a relative URL needs a base URL.
pub(crate) fn location_href() -> Option<String> {
    None
}

/// A future that completes after a delay: tokio's timer when it runs
/// inside a tokio runtime (always, with the native transport, which needs
/// one); else (`futures::executor::block_on`, as in doctests over a
/// `MockTransport`) a thread that sleeps and wakes it.
pub(crate) struct Sleep(SleepKind);

/// Whether a thread timer fired, and who to wake when it does.
type Fired = Arc<Mutex<(bool, Option<Waker>)>>;

enum SleepKind {
    Tokio(Pin<Box<tokio::time::Sleep>>),
    Thread {
        deadline: Instant,
        state: Option<Fired>,
    },
}

pub(crate) fn sleep(delay: Duration) -> Sleep {
    // `Duration::MAX` and such: a century is forever enough.
    let delay = delay.min(Duration::from_secs(100 * 365 * 86_400));
    match tokio::runtime::Handle::try_current() {
        Ok(_) => Sleep(SleepKind::Tokio(Box::pin(tokio::time::sleep(delay)))),
        Err(_) => Sleep(SleepKind::Thread {
            deadline: Instant::now() + delay,
            state: None,
        }),
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (deadline, state) = match &mut self.0 {
            SleepKind::Tokio(s) => return s.as_mut().poll(cx),
            SleepKind::Thread { deadline, state } => (*deadline, state),
        };
        if Instant::now() >= deadline {
            return Poll::Ready(());
        }
        if let Some(state) = state {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            if s.0 {
                return Poll::Ready(());
            }
            s.1 = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let shared = Arc::new(Mutex::new((false, Some(cx.waker().clone()))));
        *state = Some(shared.clone());
        std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
            s.0 = true;
            if let Some(w) = s.1.take() {
                w.wake();
            }
        });
        Poll::Pending
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sleep")
    }
}

/// Aborts requests natively, as the platform's `AbortController` does in
/// browsers: give its [`signal`](AbortController::signal) to
/// `RequestBuilder::signal`, then call [`abort`](AbortController::abort).
/// Cloning shares the controller.
///
/// ```
/// let controller = fanout::AbortController::new().unwrap();
/// let signal = controller.signal();
/// assert!(!signal.aborted());
/// controller.abort();
/// assert!(signal.aborted());
/// ```
#[derive(Clone, Debug, Default)]
pub struct AbortController {
    signal: AbortSignal,
}

impl AbortController {
    /// A new controller. Never fails: a `Result` as the browser's
    /// constructor has one, so that the same code builds for both targets.
    pub fn new() -> Result<AbortController, std::convert::Infallible> {
        Ok(AbortController::default())
    }

    /// The signal to give to requests.
    pub fn signal(&self) -> AbortSignal {
        self.signal.clone()
    }

    /// Aborts every request given the signal (their futures end with an
    /// error that [`is_aborted`](crate::Error::is_aborted)).
    pub fn abort(&self) {
        let s = &self.signal.0;
        s.aborted.store(true, Ordering::SeqCst);
        let waiting = std::mem::take(&mut *s.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, w) in waiting {
            w.wake();
        }
    }
}

/// The signal of an [`AbortController`].
#[derive(Clone, Debug, Default)]
pub struct AbortSignal(Arc<SignalState>);

#[derive(Debug, Default)]
struct SignalState {
    aborted: AtomicBool,
    /// The futures waiting for the abort, by id: each removes its own when
    /// dropped, so a long-lived signal keeps nothing of finished requests.
    waiting: Mutex<Vec<(u64, Waker)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl AbortSignal {
    /// Whether its controller has aborted.
    pub fn aborted(&self) -> bool {
        self.0.aborted.load(Ordering::SeqCst)
    }
}

/// Completes when `signal` fires (at once if it already has).
///
/// ```
/// let controller = fanout::AbortController::new().unwrap();
/// controller.abort();
/// futures::executor::block_on(fanout::until_aborted(&controller.signal()));
/// ```
pub fn until_aborted(signal: &AbortSignal) -> UntilAborted {
    UntilAborted {
        signal: signal.clone(),
        id: signal.0.next_id.fetch_add(1, Ordering::Relaxed),
    }
}

/// The future of [`until_aborted`].
#[derive(Debug)]
pub struct UntilAborted {
    signal: AbortSignal,
    id: u64,
}

impl Future for UntilAborted {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let s = &self.signal.0;
        if s.aborted.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        let mut waiting = s.waiting.lock().unwrap_or_else(|e| e.into_inner());
        match waiting.iter_mut().find(|(id, _)| *id == self.id) {
            Some((_, w)) if w.will_wake(cx.waker()) => {}
            Some((_, w)) => *w = cx.waker().clone(),
            None => waiting.push((self.id, cx.waker().clone())),
        }
        drop(waiting);
        // Aborted while registering: do not miss it.
        if s.aborted.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for UntilAborted {
    fn drop(&mut self) {
        let mut waiting = self
            .signal
            .0
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        waiting.retain(|(id, _)| *id != self.id);
    }
}

/// 16 random bytes (for an outbox's `Idempotency-Key`): SipHash under
/// the standard library's randomly keyed `RandomState` (seeded by the
/// OS), over a counter and the clock.
#[cfg(feature = "outbox")]
pub(crate) fn random_bytes() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    let mut out = [0u8; 16];
    for half in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(N.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

/// Spawns an outbox's task on the current tokio runtime.
#[cfg(feature = "outbox")]
pub(crate) fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Result<(), String> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| "natively an outbox delivers on tokio: open it inside a tokio runtime")?;
    handle.spawn(task);
    Ok(())
}

/// Natively an outbox's store belongs to one process: no lock to take.
#[cfg(feature = "outbox")]
pub(crate) async fn outbox_lock(_name: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_waiter_leaves_nothing_on_a_long_lived_signal() {
        let controller = AbortController::new().unwrap();
        let signal = controller.signal();
        for _ in 0..100 {
            let mut wait = until_aborted(&signal);
            let waker = futures_util::task::noop_waker();
            assert!(Pin::new(&mut wait)
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
        }
        assert!(signal.0.waiting.lock().unwrap().is_empty());
        let wait = until_aborted(&signal);
        controller.abort();
        futures::executor::block_on(wait);
        assert!(signal.aborted());
    }
}
