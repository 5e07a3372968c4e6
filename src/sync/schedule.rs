//! When each connection syncs next: the due-logic shared by the desktop app's scheduler
//! and `issuesync serve`. Pure: the caller passes the time and what it remembers.
//!
//! Invariants:
//! - A connection never attempted (since the process started) is due at once.
//! - Otherwise it is due when its interval has passed since its last attempt, successful
//!   or not. The interval is the connection's poll interval, doubled for each failure in
//!   a row (capped at [`MAX_BACKOFF`], never below the poll interval), and lengthened by
//!   [`WEBHOOK_STRETCH`] while its webhooks are healthy (a verified delivery within
//!   [`HEALTHY_FOR`]) — capped at [`MAX_STRETCHED`] but never below the poll interval.
//!   Polling never stops: every interval is finite.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::model::Connection;

/// The longest interval failures stretch a connection's polling to.
pub const MAX_BACKOFF: Duration = Duration::from_secs(4 * 60 * 60);
/// How much longer the interval is while webhooks are healthy.
pub const WEBHOOK_STRETCH: u32 = 4;
/// The longest interval healthy webhooks stretch polling to.
pub const MAX_STRETCHED: Duration = Duration::from_secs(2 * 60 * 60);
/// How recent a verified delivery must be for a connection's webhooks to count as healthy.
pub const HEALTHY_FOR: Duration = Duration::from_secs(60 * 60);

/// What a scheduler remembers of one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    pub last_attempt: Option<Instant>,
    /// Syncs that failed since the last one that succeeded.
    pub failures_in_a_row: u32,
    /// The last verified webhook delivery for the connection.
    pub last_delivery: Option<Instant>,
}

impl Attempts {
    /// Records a finished attempt.
    pub fn attempted(&mut self, at: Instant, succeeded: bool) {
        self.last_attempt = Some(at);
        self.failures_in_a_row = if succeeded {
            0
        } else {
            self.failures_in_a_row.saturating_add(1)
        };
    }
}

/// The interval after which a connection polling every `poll` is due again.
pub fn interval(poll: Duration, attempts: &Attempts, now: Instant) -> Duration {
    let healthy = attempts.last_delivery.is_some_and(|at| {
        now.checked_duration_since(at)
            .is_some_and(|d| d <= HEALTHY_FOR)
    });
    let base = if healthy {
        poll.saturating_mul(WEBHOOK_STRETCH)
            .min(MAX_STRETCHED)
            .max(poll)
    } else {
        poll
    };
    let factor = 1u32 << attempts.failures_in_a_row.min(16);
    base.saturating_mul(factor).min(MAX_BACKOFF.max(base))
}

/// Whether a connection polling every `poll` is due at `now`.
pub fn is_due(poll: Duration, attempts: &Attempts, now: Instant) -> bool {
    match attempts.last_attempt {
        None => true,
        Some(at) => now.saturating_duration_since(at) >= interval(poll, attempts, now),
    }
}

/// A connection's poll interval.
pub fn poll_interval(connection: &Connection) -> Duration {
    Duration::from_secs(u64::from(connection.poll_interval_minutes.max(1)) * 60)
}

/// The names of the connections due at `now`, in the order given.
pub fn due(
    connections: &[Connection],
    attempts: &HashMap<String, Attempts>,
    now: Instant,
) -> Vec<String> {
    connections
        .iter()
        .filter(|c| {
            let remembered = attempts.get(&c.name).copied().unwrap_or_default();
            is_due(poll_interval(c), &remembered, now)
        })
        .map(|c| c.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConflictPolicy, ProviderKind, Timestamp};
    use rstest::rstest;

    const MIN: u64 = 60;

    fn connection(name: &str, minutes: u32) -> Connection {
        Connection {
            id: 1,
            name: name.into(),
            provider: ProviderKind::Gitea,
            web_url: "https://git.example".into(),
            api_url: "https://git.example/api/v1".into(),
            has_token: false,
            secret_key: String::new(),
            login: None,
            conflict_policy: ConflictPolicy::Ask,
            poll_interval_minutes: minutes,
            created_at: Timestamp::now(),
        }
    }

    #[rstest]
    // poll minutes, failures, delivery seconds ago, expected interval seconds
    #[case::plain(15, 0, None, 15 * MIN)]
    #[case::one_failure_doubles(15, 1, None, 30 * MIN)]
    #[case::three_failures(15, 3, None, 120 * MIN)]
    #[case::backoff_is_capped(15, 10, None, 240 * MIN)]
    #[case::huge_failure_counts_do_not_overflow(15, u32::MAX, None, 240 * MIN)]
    #[case::a_long_poll_is_not_shortened_by_the_cap(600, 2, None, 600 * MIN)]
    #[case::healthy_webhooks_stretch(15, 0, Some(30), 60 * MIN)]
    #[case::healthy_stretch_is_capped(60, 0, Some(30), 120 * MIN)]
    #[case::a_long_poll_is_not_shortened_by_the_stretch_cap(300, 0, Some(30), 300 * MIN)]
    #[case::stale_deliveries_do_not_stretch(15, 0, Some(2 * 60 * MIN), 15 * MIN)]
    #[case::failures_and_webhooks(15, 1, Some(30), 120 * MIN)]
    fn the_interval_follows_failures_and_webhook_health(
        #[case] minutes: u64,
        #[case] failures: u32,
        #[case] delivery_ago: Option<u64>,
        #[case] expected_secs: u64,
    ) {
        let now = Instant::now() + Duration::from_secs(10 * 60 * MIN);
        let attempts = Attempts {
            last_attempt: Some(now),
            failures_in_a_row: failures,
            last_delivery: delivery_ago.map(|s| now - Duration::from_secs(s)),
        };
        let got = interval(Duration::from_secs(minutes * MIN), &attempts, now);
        assert_eq!(got, Duration::from_secs(expected_secs));
        assert!(
            got >= Duration::from_secs(minutes * MIN),
            "never shorter than the poll interval"
        );
    }

    #[test]
    fn connections_are_due_at_start_and_then_after_their_own_interval() {
        let connections = [connection("fast", 1), connection("slow", 30)];
        let start = Instant::now();
        assert_eq!(due(&connections, &HashMap::new(), start), ["fast", "slow"]);
        let mut attempts: HashMap<String, Attempts> = HashMap::new();
        for name in ["fast", "slow"] {
            attempts
                .entry(name.into())
                .or_default()
                .attempted(start, true);
        }
        assert!(due(&connections, &attempts, start + Duration::from_secs(30)).is_empty());
        assert_eq!(
            due(&connections, &attempts, start + Duration::from_secs(61)),
            ["fast"]
        );
        assert_eq!(
            due(
                &connections,
                &attempts,
                start + Duration::from_secs(31 * MIN)
            ),
            ["fast", "slow"]
        );
    }

    #[test]
    fn a_failing_connection_backs_off_and_a_success_resets_it() {
        let c = [connection("c", 1)];
        let start = Instant::now();
        let mut attempts: HashMap<String, Attempts> = HashMap::new();
        attempts
            .entry("c".into())
            .or_default()
            .attempted(start, false);
        assert!(
            due(&c, &attempts, start + Duration::from_secs(61)).is_empty(),
            "backed off to 2 min"
        );
        assert_eq!(due(&c, &attempts, start + Duration::from_secs(121)), ["c"]);
        let later = start + Duration::from_secs(121);
        attempts.get_mut("c").unwrap().attempted(later, true);
        assert_eq!(attempts["c"].failures_in_a_row, 0);
        assert_eq!(due(&c, &attempts, later + Duration::from_secs(61)), ["c"]);
    }

    #[test]
    fn healthy_webhooks_lengthen_polling_but_never_stop_it() {
        let c = [connection("c", 1)];
        let start = Instant::now();
        let mut attempts: HashMap<String, Attempts> = HashMap::new();
        let a = attempts.entry("c".into()).or_default();
        a.attempted(start, true);
        a.last_delivery = Some(start);
        assert!(due(&c, &attempts, start + Duration::from_secs(2 * MIN)).is_empty());
        assert_eq!(
            due(&c, &attempts, start + Duration::from_secs(4 * MIN)),
            ["c"]
        );
    }
}
