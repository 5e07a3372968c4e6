//! Pure decisions of a pull: what to ask the tracker for, and what a full listing means
//! for the issues we hold. No I/O here; `pull.rs` carries the decisions out.
//!
//! Invariants:
//! - An interrupted pull is resumed exactly where it stopped (same `since`, next page).
//! - An incremental pull asks for everything updated since the cursor minus
//!   [`CURSOR_OVERLAP_SECONDS`], so an update landing in the same second as the cursor,
//!   or a tracker clock that rounds, is never missed; duplicates are harmless because
//!   storing is an upsert by remote id.
//! - A full listing (first import, periodic reconcile, or asked for) uses no `since`.

use std::collections::HashSet;

use crate::model::{RepoFilter, Timestamp};
use crate::provider::IssueListing;
use crate::store::repos::PullState;

/// How far back an incremental pull reaches before the cursor.
pub const CURSOR_OVERLAP_SECONDS: i64 = 5;

/// How often a full listing runs to catch deletions and moves, by default.
pub const DEFAULT_FULL_SYNC_EVERY_SECONDS: i64 = 24 * 60 * 60;

/// What a pull of one repository will request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullPlan {
    pub listing: IssueListing,
    /// The page to start from (a resumed pull), else the first page.
    pub start_page: Option<String>,
    /// Whether this lists every issue in scope, so absent ones can be checked.
    pub full: bool,
    /// The highest `updated_at` already stored by this pull (when resumed).
    pub high_water: Option<Timestamp>,
    /// When this pull started (a resumed pull keeps its original start).
    pub started_at: Timestamp,
}

/// Decides the next pull of a repository.
///
/// `full_every_seconds`: how old the last full listing may be before another one runs.
pub fn plan_pull(
    state: &PullState,
    filter: &RepoFilter,
    now: Timestamp,
    full_every_seconds: i64,
    force_full: bool,
) -> PullPlan {
    let base_listing = |since| IssueListing {
        since,
        labels: filter.labels.clone(),
        milestone: filter.milestone.clone(),
        newest_created_first: false,
    };
    if let Some(in_flight) = &state.in_flight {
        if !force_full || in_flight.full {
            return PullPlan {
                listing: base_listing(in_flight.since),
                start_page: Some(in_flight.next_page.clone()),
                full: in_flight.full,
                high_water: in_flight.high_water,
                started_at: in_flight.started_at,
            };
        }
    }
    let reconcile_due = match state.last_full_sync_at {
        None => true,
        Some(last) => last.plus_seconds(full_every_seconds) <= now,
    };
    let full = force_full || reconcile_due || state.issues_cursor.is_none();
    let since = if full {
        None
    } else {
        state
            .issues_cursor
            .map(|c| c.plus_seconds(-CURSOR_OVERLAP_SECONDS))
    };
    PullPlan {
        listing: base_listing(since),
        start_page: None,
        full,
        high_water: None,
        started_at: now,
    }
}

/// The `since` for the next comment listing.
pub fn comments_since(cursor: Option<Timestamp>) -> Option<Timestamp> {
    cursor.map(|c| c.plus_seconds(-CURSOR_OVERLAP_SECONDS))
}

/// After a complete full listing: the issues we believe present that the listing did
/// not contain (`listed_numbers`: those stored since the listing started, which covers
/// pages stored before an interruption too). Each must be looked up one by one (deleted? moved? out of the filter?).
pub fn absent_after_full_listing(
    present: &[(i64, u64)],
    listed_numbers: &HashSet<u64>,
) -> Vec<(i64, u64)> {
    present
        .iter()
        .filter(|(_, number)| !listed_numbers.contains(number))
        .copied()
        .collect()
}

/// The larger of two optional times.
pub fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repos::InFlightPull;
    use rstest::rstest;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    const DAY: i64 = DEFAULT_FULL_SYNC_EVERY_SECONDS;

    fn synced_state(cursor: &str, last_full: &str) -> PullState {
        PullState {
            issues_cursor: Some(t(cursor)),
            comments_cursor: None,
            in_flight: None,
            last_full_sync_at: Some(t(last_full)),
        }
    }

    #[rstest]
    #[case::first_import_lists_everything(PullState::default(), false, None, true)]
    #[case::recent_full_sync_goes_incremental_with_overlap(
        synced_state("2026-01-05T10:00:00Z", "2026-01-05T09:00:00Z"),
        false,
        Some("2026-01-05T09:59:55.000Z"),
        false
    )]
    #[case::stale_full_sync_triggers_a_reconcile(
        synced_state("2026-01-05T10:00:00Z", "2026-01-03T09:00:00Z"),
        false,
        None,
        true
    )]
    #[case::forced_full_ignores_the_cursor(
        synced_state("2026-01-05T10:00:00Z", "2026-01-05T09:00:00Z"),
        true,
        None,
        true
    )]
    fn plans_choose_since_and_fullness(
        #[case] state: PullState,
        #[case] force_full: bool,
        #[case] expected_since: Option<&str>,
        #[case] expected_full: bool,
    ) {
        let plan = plan_pull(
            &state,
            &RepoFilter::default(),
            t("2026-01-05T12:00:00Z"),
            DAY,
            force_full,
        );
        assert_eq!(
            plan.listing.since.map(|s| s.to_string()).as_deref(),
            expected_since
        );
        assert_eq!(plan.full, expected_full);
        assert_eq!(plan.start_page, None);
    }

    #[test]
    fn an_interrupted_pull_resumes_at_its_next_page_with_the_same_since() {
        let state = PullState {
            issues_cursor: Some(t("2026-01-05T10:00:00Z")),
            in_flight: Some(InFlightPull {
                since: Some(t("2026-01-05T09:59:55Z")),
                next_page: "http://x/api/v1/repos/a/b/issues?page=3".into(),
                high_water: Some(t("2026-01-05T11:00:00Z")),
                full: false,
                started_at: t("2026-01-05T11:30:00Z"),
            }),
            last_full_sync_at: Some(t("2026-01-05T09:00:00Z")),
            ..PullState::default()
        };
        let plan = plan_pull(
            &state,
            &RepoFilter::default(),
            t("2026-01-05T12:00:00Z"),
            DAY,
            false,
        );
        assert_eq!(
            plan.start_page.as_deref(),
            Some("http://x/api/v1/repos/a/b/issues?page=3")
        );
        assert_eq!(plan.listing.since, Some(t("2026-01-05T09:59:55Z")));
        assert_eq!(plan.high_water, Some(t("2026-01-05T11:00:00Z")));
        assert!(!plan.full);
        assert_eq!(
            plan.started_at,
            t("2026-01-05T11:30:00Z"),
            "a resumed pull keeps its start"
        );
    }

    #[test]
    fn the_repo_filter_goes_into_every_listing() {
        let filter = RepoFilter {
            labels: vec!["bug".into()],
            milestone: Some("v1".into()),
        };
        let plan = plan_pull(
            &PullState::default(),
            &filter,
            t("2026-01-05T12:00:00Z"),
            DAY,
            false,
        );
        assert_eq!(plan.listing.labels, vec!["bug".to_string()]);
        assert_eq!(plan.listing.milestone.as_deref(), Some("v1"));
    }

    #[test]
    fn absent_issues_are_those_the_full_listing_did_not_return() {
        let present = [(1, 10), (2, 11), (3, 12)];
        let listed: HashSet<u64> = [10, 12, 99].into_iter().collect();
        assert_eq!(absent_after_full_listing(&present, &listed), vec![(2, 11)]);
    }

    #[test]
    fn later_picks_the_maximum() {
        let a = Some(t("2026-01-01T00:00:00Z"));
        let b = Some(t("2026-01-02T00:00:00Z"));
        assert_eq!(later(a, b), b);
        assert_eq!(later(None, a), a);
        assert_eq!(later(None, None), None);
    }
}
