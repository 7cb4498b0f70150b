//! Backoff arithmetic for the retry loop in [`Client::call`](crate::Client::call), kept pure so it
//! is tested without sleeping.

use std::time::Duration;

/// How often and how patiently transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total HTTP attempts per call, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff ceiling after the first failure; doubles with every further failure.
    pub base_delay: Duration,
    /// The backoff ceiling never exceeds this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// A server-requested delay (`x-acs-retry-after`) is honoured up to this, so a broken header can
/// not park a call for hours.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl RetryPolicy {
    /// A single attempt, no retries.
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff ceiling after `failed_attempts` failures: `min(max_delay, base_delay · 2^(n−1))`.
    pub fn backoff_ceiling(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(31);
        self.base_delay
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// "Full jitter": uniformly between zero and the ceiling; `unit` is a random number in `[0, 1)`.
    pub fn jittered_delay(&self, failed_attempts: u32, unit: f64) -> Duration {
        // Float-to-`Duration` conversions panic on NaN, negative and too-large values: a bad
        // random source or a huge configured delay must not crash a call, hence the clamp and
        // `try_from_secs_f64` (near `Duration::MAX` the float product rounds above it).
        let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.0 };
        let ceiling = self.backoff_ceiling(failed_attempts);
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * unit).map_or(ceiling, |d| d.min(ceiling))
    }
}

/// `x-acs-retry-after`: a positive integer number of milliseconds (the SDK passes it to
/// `sleep(ms / 1000)`), capped at [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let ms: u64 = value.trim().parse().ok()?;
    (ms > 0).then(|| Duration::from_millis(ms).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_the_base_and_stops_at_the_cap() {
        let p = RetryPolicy::default();
        let ms: Vec<u128> = (1..=8).map(|n| p.backoff_ceiling(n).as_millis()).collect();
        assert_eq!(ms, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        assert_eq!(p.backoff_ceiling(0).as_millis(), 200);
        assert_eq!(p.backoff_ceiling(u32::MAX), p.max_delay, "no overflow");
        let huge = RetryPolicy {
            base_delay: Duration::from_secs(u64::MAX / 4),
            max_delay: Duration::from_secs(7),
            ..p
        };
        assert_eq!(huge.backoff_ceiling(40), Duration::from_secs(7));
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let p = RetryPolicy::default();
        assert_eq!(p.jittered_delay(3, 0.0), Duration::ZERO);
        assert_eq!(p.jittered_delay(3, 0.5), Duration::from_millis(400));
        assert_eq!(p.jittered_delay(3, 1.0), Duration::from_millis(800));
        assert_eq!(p.jittered_delay(3, 7.0), Duration::from_millis(800), "clamped");
        assert_eq!(p.jittered_delay(3, -1.0), Duration::ZERO);
        assert_eq!(p.jittered_delay(3, f64::NAN), Duration::ZERO);
        assert_eq!(p.jittered_delay(3, f64::INFINITY), Duration::ZERO);
        let unbounded = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..p
        };
        assert_eq!(unbounded.jittered_delay(1, 1.0), Duration::MAX, "no overflow panic");
    }

    #[test]
    fn retry_after_is_positive_milliseconds_and_capped() {
        assert_eq!(parse_retry_after("150"), Some(Duration::from_millis(150)));
        assert_eq!(parse_retry_after(" 2000 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0"), None);
        assert_eq!(parse_retry_after("-5"), None);
        assert_eq!(parse_retry_after("1.5"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("99999999999"), Some(MAX_RETRY_AFTER));
    }
}
