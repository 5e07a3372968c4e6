//! The per-connection rate cap of the receiver: a token bucket, pure (the caller passes
//! the time), so a flood to one connection's URL is answered 429 while the others go on.
//!
//! Invariant: a bucket never holds more than `burst` tokens and refills at `per_second`;
//! time going backwards refills nothing.

use std::time::{Duration, Instant};

/// How many deliveries a connection may send: `burst` at once, then `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateCap {
    pub burst: u32,
    pub per_second: f64,
}

impl Default for RateCap {
    fn default() -> Self {
        Self {
            burst: 60,
            per_second: 10.0,
        }
    }
}

/// One connection's bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn full(cap: RateCap, now: Instant) -> Self {
        Self {
            tokens: f64::from(cap.burst),
            at: now,
        }
    }

    /// Takes one token if there is one; `false` means "answer 429".
    pub fn take(&mut self, cap: RateCap, now: Instant) -> bool {
        let elapsed = now
            .checked_duration_since(self.at)
            .unwrap_or(Duration::ZERO);
        self.tokens =
            (self.tokens + elapsed.as_secs_f64() * cap.per_second).min(f64::from(cap.burst));
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    // burst, per second, (ms offset, expected) in order
    #[case(3, 1.0, &[(0, true), (0, true), (0, true), (0, false), (999, false), (1000, true), (1000, false)])]
    #[case(1, 10.0, &[(0, true), (50, false), (100, true), (10_000, true), (10_000, false)])]
    #[case(2, 0.0, &[(0, true), (0, true), (60_000, false)])]
    fn a_bucket_allows_its_burst_then_its_rate(
        #[case] burst: u32,
        #[case] per_second: f64,
        #[case] steps: &[(u64, bool)],
    ) {
        let cap = RateCap { burst, per_second };
        let start = Instant::now();
        let mut bucket = Bucket::full(cap, start);
        for (i, (ms, expected)) in steps.iter().enumerate() {
            let now = start + Duration::from_millis(*ms);
            assert_eq!(bucket.take(cap, now), *expected, "step {i} at {ms} ms");
        }
    }

    #[test]
    fn time_going_backwards_refills_nothing() {
        let cap = RateCap {
            burst: 1,
            per_second: 1.0,
        };
        let start = Instant::now() + Duration::from_secs(10);
        let mut bucket = Bucket::full(cap, start);
        assert!(bucket.take(cap, start));
        assert!(!bucket.take(cap, start - Duration::from_secs(5)));
        assert!(!bucket.take(cap, start + Duration::from_millis(500)));
        assert!(bucket.take(cap, start + Duration::from_secs(1)));
    }
}
