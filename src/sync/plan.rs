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
        exact_since: false,
    };
    if let Some(in_flight) = &state.in_flight {
        if !force_full || in_flight.full {
            // No next page: the pull went on from a page's newest time (see
            // [`IncrementalPass`]); it resumes there.
            let from_time = in_flight.next_page.is_empty();
            return PullPlan {
                listing: IssueListing {
                    exact_since: from_time,
                    ..base_listing(in_flight.since)
                },
                start_page: Some(in_flight.next_page.clone()).filter(|p| !p.is_empty()),
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

/// How an oldest-updated-first incremental listing goes on after a page that has a next
/// page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuation {
    /// List again from the newest `updated_at` of this page ("at or after", so the
    /// boundary issue comes again; duplicates are harmless).
    Since(Timestamp),
    /// Follow the tracker's offset link (the whole page shares one `updated_at`, so
    /// time cannot move the listing on).
    FollowNext,
}

/// One pass of an oldest-updated-first incremental listing: says after each page how
/// to go on, and which cursor the pass may leave.
///
/// Why not simply follow the offset links: an issue updated after its page was fetched
/// moves to the end, every issue after it shifts back by one, and the one at the next
/// page boundary is never listed — and the cursor then passes it. Starting each page at
/// the previous page's newest time cannot skip: everything older than that time was on
/// the pages already stored, and anything updated meanwhile is newer. Only a page that
/// shares one `updated_at` throughout (a bulk edit of more than a page of issues in one
/// second) has to follow the offset link; the cursor then stays at that time, so the
/// next round lists that block again (with ETags, as free 304s where nothing changed).
#[derive(Debug, Clone, Default)]
pub struct IncrementalPass {
    offset_paged_at: Option<Timestamp>,
}

impl IncrementalPass {
    /// Notes a stored page listed with `since` whose newest issue was updated at
    /// `page_high`; returns how to go on when the tracker has a next page.
    pub fn after_page(
        &mut self,
        since: Option<Timestamp>,
        page_high: Option<Timestamp>,
        has_next: bool,
    ) -> Option<Continuation> {
        if !has_next {
            return None;
        }
        let step = match (since, page_high) {
            (Some(s), Some(h)) if h > s => Continuation::Since(h),
            (None, Some(h)) => Continuation::Since(h),
            _ => Continuation::FollowNext,
        };
        if step == Continuation::FollowNext {
            let at = since.or(page_high);
            self.offset_paged_at = match (self.offset_paged_at, at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Some(step)
    }

    /// The cursor this pass may leave, given the newest `updated_at` it stored: that
    /// time, or the time of a block it had to page by offset, whichever is older.
    pub fn cursor(&self, high_water: Option<Timestamp>) -> Option<Timestamp> {
        match (self.offset_paged_at, high_water) {
            (Some(block), Some(h)) => Some(block.min(h)),
            (block, h) => block.or(h),
        }
    }
}

/// Whether a listing newest-update-first ([`ListingOrder::UpdatedDescendingSince`]) goes
/// on after a page: not after an unchanged first page (any change lands there, so a 304
/// means nothing changed), not after a page that reaches back past `since` (everything
/// older was stored before), and not without a next page. An unchanged later page says
/// nothing of the pages after it (an interrupted pull may never have stored them): the
/// listing goes on.
///
/// [`ListingOrder::UpdatedDescendingSince`]: crate::provider::ListingOrder::UpdatedDescendingSince
pub fn newest_first_goes_on(
    since: Option<Timestamp>,
    page_oldest: Option<Timestamp>,
    not_modified: bool,
    first_page: bool,
    has_next: bool,
) -> bool {
    if !has_next {
        return false;
    }
    if not_modified {
        return !first_page;
    }
    match (since, page_oldest) {
        (Some(since), Some(oldest)) => oldest >= since,
        // A full listing (no `since`) reads every page; an empty page ends anyway.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// The most pages one listing may take (a million issues at 50 a page are 20,000).
pub const MAX_LISTING_PAGES: usize = 50_000;

/// Keeps a listing from going on forever against a broken or hostile server: a next-page
/// link seen before, or more than [`MAX_LISTING_PAGES`] pages, stops it.
#[derive(Debug, Clone, Default)]
pub struct PageGuard {
    links: HashSet<String>,
    pages: usize,
}

impl PageGuard {
    /// Notes that the listing goes on, to the link `next` (`None`: from a time).
    ///
    /// # Errors
    /// Why the listing must stop.
    pub fn go_on(&mut self, next: Option<&str>) -> Result<(), String> {
        self.pages += 1;
        if self.pages > MAX_LISTING_PAGES {
            return Err(format!(
                "more than {MAX_LISTING_PAGES} pages in one listing"
            ));
        }
        match next {
            Some(link) if !self.links.insert(link.to_string()) => {
                Err(format!("the next-page link {link} came before"))
            }
            _ => Ok(()),
        }
    }
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
    use proptest::prelude::*;
    use rstest::rstest;
    use std::collections::HashMap;

    #[rstest]
    #[case::unchanged_first_page_ends_it(Some("10:00:00"), None, true, true, true, false)]
    #[case::unchanged_later_page_goes_on(Some("10:00:00"), None, true, false, true, true)]
    #[case::page_all_newer_goes_on(Some("10:00:00"), Some("10:00:01"), false, true, true, true)]
    #[case::page_at_since_goes_on(Some("10:00:00"), Some("10:00:00"), false, true, true, true)]
    #[case::page_reaching_back_ends_it(
        Some("10:00:00"),
        Some("09:59:59"),
        false,
        true,
        true,
        false
    )]
    #[case::no_next_page(Some("10:00:00"), Some("10:00:01"), false, true, false, false)]
    #[case::empty_page(Some("10:00:00"), None, false, true, true, false)]
    #[case::no_since_reads_all(None, Some("09:00:00"), false, true, true, true)]
    fn newest_first_listings_stop_where_the_known_begins(
        #[case] since: Option<&str>,
        #[case] oldest: Option<&str>,
        #[case] not_modified: bool,
        #[case] first_page: bool,
        #[case] has_next: bool,
        #[case] goes_on: bool,
    ) {
        let at = |s: &str| Timestamp::parse(&format!("2026-01-05T{s}Z")).unwrap();
        assert_eq!(
            newest_first_goes_on(
                since.map(at),
                oldest.map(at),
                not_modified,
                first_page,
                has_next
            ),
            goes_on
        );
    }

    /// What [`run_listing`] ends with (times in seconds): what was stored, the tracker's
    /// final (number, updated_at)s, the cursor the pass leaves, the newest time stored.
    struct Listed {
        stored: HashMap<u64, i64>,
        tracker: Vec<(u64, i64)>,
        cursor: i64,
        high_water: i64,
    }

    /// A tracker's oldest-updated-first listing with offset pages of `size` and
    /// "updated at or after" `since`, listed the way the pull lists incrementally
    /// ([`IncrementalPass`]); after fetch `k` the issue at index `updates[k]` is updated
    /// (it moves to the end). Returns what was stored, the tracker's final state and the
    /// cursor the pass leaves.
    fn run_listing(count: usize, size: usize, ties: bool, updates: &[Option<usize>]) -> Listed {
        let origin = Timestamp::parse("2026-01-05T00:00:00Z").unwrap();
        let at = |secs: i64| origin.plus_seconds(secs);
        let secs = |t: Timestamp| (t.as_datetime() - origin.as_datetime()).num_seconds();
        // (number, updated_at seconds) sorted by (updated_at, number); with `ties`,
        // issues share times in fives.
        let mut tracker: Vec<(u64, i64)> = (0..count)
            .map(|i| (i as u64, if ties { i as i64 / 5 } else { i as i64 }))
            .collect();
        let mut clock = count as i64 + 1;
        let mut stored: HashMap<u64, i64> = HashMap::new();
        let mut pass = IncrementalPass::default();
        let mut since: Option<Timestamp> = None;
        let mut offset = 0;
        let mut high_water = None;
        for fetch in 0.. {
            assert!(fetch < 10 * (count + 2), "the listing never ended");
            let in_range: Vec<(u64, i64)> = tracker
                .iter()
                .copied()
                .filter(|(_, t)| since.is_none_or(|s| *t >= secs(s)))
                .collect();
            let page: Vec<(u64, i64)> = in_range.iter().skip(offset).take(size).copied().collect();
            let more = in_range.len() > offset + size;
            for (n, t) in &page {
                stored.insert(*n, *t);
                high_water = later(high_water, Some(at(*t)));
            }
            if let Some(Some(i)) = updates.get(fetch) {
                let i = i % tracker.len();
                let n = tracker.remove(i).0;
                tracker.push((n, clock));
                clock += 1;
            }
            let page_high = page.iter().map(|(_, t)| at(*t)).max();
            match pass.after_page(since, page_high, more) {
                None => break,
                Some(Continuation::Since(t)) => {
                    since = Some(t);
                    offset = 0;
                }
                Some(Continuation::FollowNext) => offset += size,
            }
        }
        Listed {
            stored,
            tracker,
            cursor: pass.cursor(high_water).map_or(0, secs),
            high_water: high_water.map_or(0, secs),
        }
    }

    #[test]
    fn a_listing_stops_at_a_repeated_link() {
        let mut guard = PageGuard::default();
        assert!(guard.go_on(Some("https://h/x?page=2")).is_ok());
        assert!(guard.go_on(None).is_ok());
        assert!(guard.go_on(Some("https://h/x?page=3")).is_ok());
        let err = guard.go_on(Some("https://h/x?page=2")).unwrap_err();
        assert!(err.contains("came before"), "{err}");
    }

    #[test]
    fn an_issue_updated_under_the_listing_does_not_make_the_next_one_skipped() {
        // 6 issues in pages of 2; #0 (page 1) is updated after page 1 was fetched: with
        // offset pages #2 would shift onto page 1 and never be listed.
        let stored = run_listing(6, 2, false, &[Some(0)]).stored;
        assert_eq!(stored.len(), 6, "{stored:?}");
        assert_eq!(stored[&0], 7, "and #0's update was listed too");
    }

    #[rstest]
    #[case::moves_on_by_time(Some("2026-01-05T10:00:00Z"), Some("2026-01-05T10:05:00Z"), true)]
    #[case::first_page_of_a_listing(None, Some("2026-01-05T10:05:00Z"), true)]
    #[case::a_page_of_one_time(Some("2026-01-05T10:05:00Z"), Some("2026-01-05T10:05:00Z"), false)]
    fn pages_move_on_by_time_where_they_can(
        #[case] since: Option<&str>,
        #[case] high: Option<&str>,
        #[case] by_time: bool,
    ) {
        let mut pass = IncrementalPass::default();
        let got = pass.after_page(since.map(t), high.map(t), true);
        assert_eq!(
            matches!(got, Some(Continuation::Since(_))),
            by_time,
            "{got:?}"
        );
        assert_eq!(
            pass.after_page(None, None, false),
            None,
            "no next page: done"
        );
        let cursor = pass.cursor(Some(t("2026-01-05T11:00:00Z")));
        if by_time {
            assert_eq!(cursor, Some(t("2026-01-05T11:00:00Z")));
        } else {
            assert_eq!(cursor, since.map(t), "held at the block paged by offset");
        }
    }

    proptest! {
        /// Whatever issues are updated while the listing runs, every issue whose latest
        /// version is older than the cursor it leaves was stored at that version; the
        /// rest are the next round's.
        #[test]
        fn concurrent_updates_never_make_an_incremental_listing_miss_an_issue(
            count in 1usize..40,
            size in 1usize..7,
            ties in any::<bool>(),
            updates in proptest::collection::vec(proptest::option::of(0usize..40), 0..20),
        ) {
            let Listed { stored, tracker, cursor, high_water } =
                run_listing(count, size, ties, &updates);
            if !ties && size > 1 {
                // (A page of one issue can only ever repeat its boundary issue.)
                prop_assert_eq!(cursor, high_water, "distinct times never hold the cursor back");
            }
            for (number, at) in tracker {
                // The next round lists from the cursor (inclusive): everything older
                // must be complete now.
                if at < cursor {
                    prop_assert_eq!(stored.get(&number), Some(&at), "#{} missed", number);
                }
            }
        }
    }

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
