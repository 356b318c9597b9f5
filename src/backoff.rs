//! Exponential backoff, the one rule of the retry policy and of the
//! event stream's reconnections (pure).

use std::time::Duration;

/// The delay before try number `n` (1-based): `base`, doubled for each
/// try after the first, never more than `cap`.
///
/// Exact integer arithmetic (no float rounding), saturating.
pub(crate) fn backoff(base: Duration, n: u32, cap: Duration) -> Duration {
    let factor = 1u32 << n.saturating_sub(1).min(31);
    base.saturating_mul(factor).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_base_and_caps() {
        let ms = Duration::from_millis;
        let got: Vec<Duration> = (0..6).map(|n| backoff(ms(300), n, ms(3000))).collect();
        assert_eq!(
            got,
            [ms(300), ms(300), ms(600), ms(1200), ms(2400), ms(3000)]
        );
        assert_eq!(backoff(ms(1), u32::MAX, Duration::MAX), ms(1 << 31));
        assert_eq!(backoff(Duration::MAX, 40, ms(5)), ms(5));
    }
}
