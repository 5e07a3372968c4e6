//! Pull: tracker → store, for one repository. Carries out a [`PullPlan`].
//!
//! Invariants:
//! - Each page is stored in one transaction together with the pull's progress, so a
//!   crash between pages loses nothing and the next pull resumes at the next page.
//! - The issue cursor moves only after the last page is stored (Gitea lists in no
//!   useful order, so an earlier move could skip issues on later pages).
//! - Incremental listings in updated order go on from each page's newest `updated_at`
//!   ([`IncrementalPass`]), not by offset: an issue updated while the listing runs cannot
//!   make another one skipped, and the cursor never passes an issue not stored.
//! - After a full listing, issues we hold that the listing lacked are looked up one by
//!   one and marked deleted or moved — never removed, so local edits survive.
//! - An issue that enters the mirror after the first import (a label added, a filter
//!   changed, a transfer in) gets its existing comments once, per issue: the
//!   repository-wide comment cursor has passed them, skipping them because the issue was
//!   not mirrored then.
//! - A first import of a whole repository (no filter, nothing mirrored yet) goes by the
//!   tracker's bulk import where it has one ([`bulk_import`]: GitHub's GraphQL): each
//!   page's issues and comments in one transaction with the pull's progress; its cursors
//!   stop at the newest update the tracker reported when the import began. Every other
//!   pull lists by REST.
//! - The store lock is never held across a network call. A listing asks for its next
//!   page before it stores the current one ([`overlapped`]); the answer is used only
//!   after the current page is committed, so pages are still stored in order.

use std::sync::Mutex;

use super::observe::{Observed, Observer};
use super::plan::{
    absent_after_full_listing, comments_since, later, newest_first_goes_on, Continuation,
    IncrementalPass, PageGuard, PullPlan,
};
use super::{lock, RepoReport, SyncError, SyncEvent};
use crate::model::ConflictPolicy;
use crate::model::{RemoteStatus, Repo, Timestamp};
use crate::provider::{CommentListing, ListingOrder, Provider, ProviderError};
use crate::store::comments::CommentUpsert;
use crate::store::repos::InFlightPull;
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{comments, http_cache, issues, labels, repos, sync_log, Store};

/// Pulls issues, then comments, of `repo` according to `plan`.
///
/// # Errors
/// [`SyncError`] when the tracker or the store fails; everything stored before the
/// failure stays stored and the next pull resumes after it.
/// How often a newest-first listing asks its first page again for issues updated while
/// it ran; what is still moving after that arrives in the next round.
const MAX_FIRST_PAGE_RECHECKS: usize = 3;

#[allow(clippy::too_many_arguments)]
pub async fn pull_repo(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    policy: ConflictPolicy,
    repo: &Repo,
    plan: PullPlan,
    report: &mut RepoReport,
    progress: &(dyn Fn(SyncEvent) + Send + Sync),
) -> Result<(), SyncError> {
    report.full = plan.full;
    if bulk_import(
        store, provider, web_url, policy, repo, &plan, report, progress,
    )
    .await?
    {
        return Ok(());
    }
    // A bulk import no longer offered (the token was removed) starts over by REST.
    let plan = PullPlan {
        start_page: plan.start_page.filter(|p| !p.starts_with(BULK_IMPORT_PAGE)),
        ..plan
    };
    // Comments were pulled before: an issue that enters the mirror now (a label added,
    // a filter changed, a transfer in) has comments older than the comment cursor.
    let comments_pulled_before = repos::pull_state(lock(store).conn(), repo.id)?
        .comments_cursor
        .is_some();
    let mut entered_late: Vec<(i64, u64)> = Vec::new();
    let mut page = plan.start_page.clone();
    let mut high_water = plan.high_water;
    let mut all_unchanged = true;
    // Incremental listings in updated order go on from each page's newest time rather
    // than by offset, so an issue updated under the listing cannot make another skipped.
    let by_time = !plan.full && provider.listing_order() == ListingOrder::UpdatedAscending;
    let newest_first =
        !plan.full && provider.listing_order() == ListingOrder::UpdatedDescendingSince;
    // What newest-first pages are compared with: the cursor as it was, not the `since`
    // the adapter may have rounded down.
    let mut known_until = plan.listing.since;
    // Newest first, an issue updated while the listing runs moves to the first page,
    // already read: a listing of several pages asks that page again (a free 304 when
    // nothing moved), down to where the pass began.
    let mut pass_pages = 0usize;
    let mut pass_top: Option<Timestamp> = None;
    let mut rechecks = 0usize;
    let mut listing = plan.listing.clone();
    let mut pass = IncrementalPass::default();
    let mut guard = PageGuard::default();
    let mut observer = Observer::new(lock(store).conn(), repo, web_url, policy)?;
    // A full listing is followed by the repository's comment listing, whose last write
    // rebuilds the search rows: a first import indexes each issue once, with its comments.
    let search_after_comments = plan.full && provider.comment_listing() == CommentListing::RepoWide;
    // The next page's answer, asked for while this page was stored.
    let mut prefetched = None;
    loop {
        let first_page = page.is_none();
        let fetched = match prefetched.take() {
            Some(answer) => answer?,
            None => {
                provider
                    .list_issues(&repo.full_path, &listing, page.as_deref())
                    .await?
            }
        };
        all_unchanged &= fetched.not_modified;
        let now = Timestamp::now();
        // A 304 page's newest time is only needed to go on from it by time.
        let page_high = if fetched.not_modified && by_time {
            issues::newest_base_update(lock(store).conn(), repo.id, &fetched.held)?
        } else {
            fetched.items.iter().map(|i| i.updated_at).max()
        };
        high_water = later(high_water, page_high);
        let listed_since = listing.since;
        let next: Option<Option<String>> = if by_time {
            match pass.after_page(listing.since, page_high, fetched.next.is_some()) {
                None => None,
                Some(Continuation::Since(at)) => {
                    listing.since = Some(at);
                    listing.exact_since = true;
                    Some(None)
                }
                Some(Continuation::FollowNext) => Some(fetched.next.clone()),
            }
        } else if newest_first {
            pass_pages += 1;
            if first_page {
                pass_top = page_high;
            }
            let oldest = fetched.items.iter().map(|i| i.updated_at).min();
            let goes_on = newest_first_goes_on(
                known_until,
                oldest,
                fetched.not_modified,
                first_page,
                fetched.next.is_some(),
            );
            if goes_on {
                Some(fetched.next.clone())
            } else if pass_pages > 1 && rechecks < MAX_FIRST_PAGE_RECHECKS {
                rechecks += 1;
                pass_pages = 0;
                known_until = pass_top.or(known_until);
                Some(None)
            } else {
                None
            }
        } else {
            fetched.next.clone().map(Some)
        };
        // A listing that would not end still stores the page it has, then stops.
        let endless_listing = match &next {
            Some(next_page) => guard.go_on(next_page.as_deref()).err(),
            None => None,
        };
        let next_fetch = next
            .as_ref()
            .filter(|_| endless_listing.is_none())
            .map(|next_page| provider.list_issues(&repo.full_path, &listing, next_page.as_deref()));
        let (stored, next_answer) = overlapped(next_fetch, || {
            let mut db = lock(store);
            let write = |tx: &rusqlite::Transaction<'_>| -> Result<(), SyncError> {
                for issue in &fetched.items {
                    let observed = observer.observe(tx, issue, now)?;
                    if let Observed::Created { issue_id } = observed {
                        entered_late.push((issue_id, issue.number));
                    }
                    report.count(&observed);
                }
                // The page's validator goes with its items; a 304 stands for what the
                // page held, so a full listing counts those issues as present.
                if let Some(validator) = &fetched.validator {
                    let held: Vec<u64> = fetched.items.iter().map(|i| i.number).collect();
                    http_cache::put(tx, repo.connection_id, validator, &held)?;
                }
                if fetched.not_modified {
                    issues::touch_listed(tx, repo.id, &fetched.held, now)?;
                }
                match &next {
                    Some(next_page) => repos::save_progress(
                        tx,
                        repo.id,
                        &InFlightPull {
                            since: if by_time { listing.since } else { listed_since },
                            next_page: next_page.clone().unwrap_or_default(),
                            high_water,
                            full: plan.full,
                            started_at: plan.started_at,
                        },
                    )?,
                    None => {
                        let cursor = if by_time {
                            pass.cursor(high_water)
                        } else {
                            high_water
                        };
                        repos::finish_issue_pull(tx, repo.id, cursor, false, now)?;
                    }
                }
                Ok(())
            };
            if search_after_comments {
                db.write_deferring_search(write)
            } else {
                db.write(write)
            }
        })
        .await;
        stored?;
        report.fetched += fetched.items.len();
        progress(SyncEvent::IssuesFetched {
            repo: repo_label(repo),
            fetched: report.fetched,
            total: fetched.total,
        });
        if let Some(problem) = endless_listing {
            return Err(endless(web_url, problem).into());
        }
        match next {
            Some(next_page) => {
                page = next_page;
                prefetched = next_answer;
            }
            None => break,
        }
    }

    if plan.full {
        after_full_listing(
            store,
            provider,
            web_url,
            policy,
            repo,
            plan.started_at,
            report,
        )
        .await?;
    }
    match provider.comment_listing() {
        // A listing answered 304 throughout changed nothing, and a new comment would
        // have moved its issue's `updated_at`: skip the comment listing.
        CommentListing::RepoWide if all_unchanged && !plan.full => {}
        CommentListing::RepoWide => pull_comments(store, provider, web_url, repo, report).await?,
        CommentListing::PerIssue => {
            pull_issue_comments(store, provider, web_url, repo, report).await?
        }
    }
    if provider.comment_listing() == CommentListing::RepoWide && comments_pulled_before {
        for (issue_id, number) in entered_late {
            let fetched = provider
                .list_issue_comments(&repo.full_path, number)
                .await?;
            lock(store).write(|tx| -> Result<(), SyncError> {
                for comment in &fetched {
                    store_comment(tx, web_url, repo.connection_id, issue_id, comment, report)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// What follows a full listing (REST or bulk import): the repository's labels and
/// milestones, which change rarely, are refreshed, and the issues the listing lacked are
/// looked up ([`reconcile`]). Its writes defer the search rows the listing queued.
async fn after_full_listing(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    policy: ConflictPolicy,
    repo: &Repo,
    started_at: Timestamp,
    report: &mut RepoReport,
) -> Result<(), SyncError> {
    let labels = provider.list_labels(&repo.full_path).await?;
    let milestones = provider.list_milestones(&repo.full_path).await?;
    lock(store)
        .write_deferring_search(|tx| labels::replace_for_repo(tx, repo.id, &labels, &milestones))?;
    reconcile(store, provider, web_url, policy, repo, started_at, report).await
}

/// How the page token of an interrupted bulk import starts, in the pull's progress.
const BULK_IMPORT_PAGE: &str = "bulk-import:";

/// A first import by [`Provider::import_page`], when the tracker offers one and this is
/// a first import of a whole repository (or the resumption of one); `false` when it
/// did nothing and the listing goes by REST.
///
/// Each page is stored in one transaction: its issues, their comments (those that did
/// not fit in the page fetched by REST first) and the progress. The issue and comment
/// cursors end at the newest update the first page reported (kept in the progress as
/// its high water): anything changed during the import is newer, and the next
/// incremental round lists it.
#[allow(clippy::too_many_arguments)]
async fn bulk_import(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    policy: ConflictPolicy,
    repo: &Repo,
    plan: &PullPlan,
    report: &mut RepoReport,
    progress: &(dyn Fn(SyncEvent) + Send + Sync),
) -> Result<bool, SyncError> {
    let whole = plan.listing.labels.is_empty() && plan.listing.milestone.is_none();
    if !plan.full || !whole || provider.comment_listing() != CommentListing::RepoWide {
        return Ok(false);
    }
    let mut cursor = match plan.start_page.as_deref() {
        Some(page) => match page.strip_prefix(BULK_IMPORT_PAGE) {
            Some(cursor) => Some(cursor.to_string()),
            None => return Ok(false),
        },
        None => {
            let db = lock(store);
            let state = repos::pull_state(db.conn(), repo.id)?;
            let first = state.issues_cursor.is_none()
                && state.comments_cursor.is_none()
                && issues::present_numbers(db.conn(), repo.id)?.is_empty();
            if !first {
                return Ok(false);
            }
            None
        }
    };
    let mut newest = plan.high_water;
    let mut guard = PageGuard::default();
    let mut observer = Observer::new(lock(store).conn(), repo, web_url, policy)?;
    // The next page's answer, asked for while this page was stored.
    let mut prefetched = None;
    loop {
        let answer = match prefetched.take() {
            Some(answer) => answer?,
            None => {
                provider
                    .import_page(&repo.full_path, cursor.as_deref())
                    .await?
            }
        };
        let Some(page) = answer else {
            return Ok(false);
        };
        if cursor.is_none() {
            newest = page.newest_update;
        }
        let mut comments = page.comments;
        for &number in &page.comments_incomplete {
            comments.retain(|c| c.issue_number != number);
            comments.extend(
                provider
                    .list_issue_comments(&repo.full_path, number)
                    .await?,
            );
        }
        let endless_listing = match &page.next {
            Some(next) => guard.go_on(Some(next)).err(),
            None => None,
        };
        let now = Timestamp::now();
        let next_fetch = page
            .next
            .as_deref()
            .filter(|_| endless_listing.is_none())
            .map(|next| provider.import_page(&repo.full_path, Some(next)));
        let (stored, next_answer) = overlapped(next_fetch, || {
            lock(store).write_deferring_search(|tx| -> Result<(), SyncError> {
                for issue in &page.issues {
                    let observed = observer.observe(tx, issue, now)?;
                    report.count(&observed);
                }
                for comment in &comments {
                    if let Some(issue_id) = issues::id_by_number(tx, repo.id, comment.issue_number)?
                    {
                        store_comment(tx, web_url, repo.connection_id, issue_id, comment, report)?;
                    }
                }
                match &page.next {
                    Some(next) => repos::save_progress(
                        tx,
                        repo.id,
                        &InFlightPull {
                            since: None,
                            next_page: format!("{BULK_IMPORT_PAGE}{next}"),
                            high_water: newest,
                            full: true,
                            started_at: plan.started_at,
                        },
                    )?,
                    None => repos::finish_issue_pull(tx, repo.id, newest, false, now)?,
                }
                Ok(())
            })
        })
        .await;
        stored?;
        report.fetched += page.issues.len();
        progress(SyncEvent::IssuesFetched {
            repo: repo_label(repo),
            fetched: report.fetched,
            total: None,
        });
        if let Some(problem) = endless_listing {
            return Err(endless(web_url, problem).into());
        }
        match page.next {
            Some(next) => {
                cursor = Some(next);
                prefetched = next_answer;
            }
            None => break,
        }
    }
    after_full_listing(
        store,
        provider,
        web_url,
        policy,
        repo,
        plan.started_at,
        report,
    )
    .await?;
    // This ordinary write rebuilds the search rows the pages queued.
    lock(store).write(|tx| match newest {
        Some(cursor) => repos::advance_comments_cursor(tx, repo.id, cursor),
        None => Ok(()),
    })?;
    Ok(true)
}

/// Fetches the comments of every issue whose `updated_at` moved past its last comment
/// fetch (trackers without a repository-wide comment listing).
async fn pull_issue_comments(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    repo: &Repo,
    report: &mut RepoReport,
) -> Result<(), SyncError> {
    let due = issues::comments_due(lock(store).conn(), repo.id)?;
    for issues::CommentsDue {
        issue_id,
        number,
        updated_at,
        comment_count,
    } in due
    {
        // The tracker says it has no comments: nothing to ask for (a first import of a
        // big GitLab project would otherwise cost one request per issue).
        let fetched = if comment_count == Some(0) {
            Vec::new()
        } else {
            provider
                .list_issue_comments(&repo.full_path, number)
                .await?
        };
        lock(store).write(|tx| -> Result<(), SyncError> {
            for comment in &fetched {
                store_comment(tx, web_url, repo.connection_id, issue_id, comment, report)?;
            }
            issues::mark_comments_synced(tx, issue_id, updated_at)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// Looks up, one by one, the issues a complete full listing did not return.
async fn reconcile(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    policy: ConflictPolicy,
    repo: &Repo,
    started_at: Timestamp,
    report: &mut RepoReport,
) -> Result<(), SyncError> {
    let absent = {
        let db = lock(store);
        let present = issues::present_numbers(db.conn(), repo.id)?;
        let listed = issues::numbers_fetched_since(db.conn(), repo.id, started_at)?;
        absent_after_full_listing(&present, &listed)
    };
    for (issue_id, number) in absent {
        let verdict = match provider.get_issue(&repo.full_path, number).await {
            Ok(issue) => Ok(issue),
            Err(ProviderError::NotFound { .. } | ProviderError::Gone { .. }) => {
                Err(RemoteStatus::Deleted)
            }
            Err(ProviderError::Moved { .. }) => Err(RemoteStatus::Moved),
            Err(other) => return Err(other.into()),
        };
        let now = Timestamp::now();
        let mut db = lock(store);
        // Deferring, as the listing's pages: the comment listing (or, at the latest, the
        // sync log's write at the end of the repository's sync) rebuilds the search rows.
        db.write_deferring_search(|tx| -> Result<(), SyncError> {
            match &verdict {
                // Still there, just outside the filter now: keep it current.
                Ok(issue) => {
                    Observer::new(tx, repo, web_url, policy)?.observe(tx, issue, now)?;
                }
                Err(status) => {
                    issues::mark_remote_status(tx, issue_id, *status)?;
                    let detail = format!(
                        "{}#{number} is no longer on the tracker; marked {} (kept locally)",
                        repo.full_path,
                        status.as_str()
                    );
                    sync_log::append(
                        tx,
                        now,
                        &LogEntry::for_issue(repo, issue_id, "reconcile", LogResult::Ok, &detail),
                    )?;
                    report.gone += 1;
                }
            }
            Ok(())
        })?;
    }
    let now = Timestamp::now();
    lock(store)
        .write_deferring_search(|tx| repos::finish_issue_pull(tx, repo.id, None, true, now))?;
    Ok(())
}

/// Pulls the repository's comments changed since the comment cursor.
async fn pull_comments(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    repo: &Repo,
    report: &mut RepoReport,
) -> Result<(), SyncError> {
    let since = {
        let db = lock(store);
        comments_since(repos::pull_state(db.conn(), repo.id)?.comments_cursor)
    };
    let mut page: Option<String> = None;
    let mut high_water: Option<Timestamp> = None;
    let mut guard = PageGuard::default();
    let mut prefetched = None;
    loop {
        let fetched = match prefetched.take() {
            Some(answer) => answer?,
            None => {
                provider
                    .list_comments(&repo.full_path, since, page.as_deref())
                    .await?
            }
        };
        high_water = later(high_water, fetched.items.iter().map(|c| c.updated_at).max());
        let endless_listing = match &fetched.next {
            Some(next) => guard.go_on(Some(next)).err(),
            None => None,
        };
        let next_fetch = fetched
            .next
            .as_deref()
            .filter(|_| endless_listing.is_none())
            .map(|next| provider.list_comments(&repo.full_path, since, Some(next)));
        let (stored, next_answer) = overlapped(next_fetch, || {
            lock(store).write_deferring_search(|tx| -> Result<(), SyncError> {
                for comment in &fetched.items {
                    // Comments on issues outside the repo's filter are not mirrored.
                    if let Some(issue_id) = issues::id_by_number(tx, repo.id, comment.issue_number)?
                    {
                        store_comment(tx, web_url, repo.connection_id, issue_id, comment, report)?;
                    }
                }
                Ok(())
            })
        })
        .await;
        stored?;
        if let Some(problem) = endless_listing {
            return Err(endless(web_url, problem).into());
        }
        match fetched.next {
            Some(next) => {
                page = Some(next);
                prefetched = next_answer;
            }
            None => break,
        }
    }
    // This ordinary write rebuilds the search rows the pages queued.
    lock(store).write(|tx| match high_water {
        Some(cursor) => repos::advance_comments_cursor(tx, repo.id, cursor),
        None => Ok(()),
    })?;
    Ok(())
}

/// Runs `store` (a page's transaction) while `next`, the next page's request, is
/// already on its way: the tracker prepares that page while this one is written, so a
/// listing costs the larger of the two per page rather than their sum.
///
/// `next` is polled first, and the store waits one turn of the runtime, so the request
/// is on the wire before the store's synchronous work holds the thread; what `next`
/// answers is returned as it is (an error goes to whoever uses the page). Without a
/// `next`, this is just `store()`.
async fn overlapped<N: std::future::Future, T>(
    next: Option<N>,
    store: impl FnOnce() -> T,
) -> (T, Option<N::Output>) {
    match next {
        None => (store(), None),
        Some(next) => {
            let (answer, stored) = tokio::join!(biased; next, async {
                tokio::task::yield_now().await;
                store()
            });
            (stored, Some(answer))
        }
    }
}

/// The error of a listing that would not end, naming the server.
pub(crate) fn endless(web_url: &str, problem: String) -> ProviderError {
    let host = url::Url::parse(web_url)
        .map(|u| crate::provider::host_of(&u))
        .unwrap_or_else(|_| web_url.to_string());
    ProviderError::EndlessListing { host, problem }
}

/// A comment whose page link is kept only when it is trusted
/// ([`crate::remote_url::trusted_page`]).
pub(crate) fn trusted_comment(
    comment: &crate::model::RemoteComment,
    web_url: &str,
) -> crate::model::RemoteComment {
    crate::model::RemoteComment {
        remote_url: comment
            .remote_url
            .as_deref()
            .and_then(|url| crate::remote_url::trusted_page(url, web_url)),
        ..comment.clone()
    }
}

/// `CONNECTION:OWNER/REPO`, how progress and reports name a repository.
pub fn repo_label(repo: &Repo) -> String {
    format!("{}:{}", repo.connection, repo.full_path)
}

/// Stores one pulled comment; a local comment whose push had an unclear outcome is
/// adopted and leaves the outbox.
pub(crate) fn store_comment(
    tx: &rusqlite::Connection,
    web_url: &str,
    connection_id: i64,
    issue_id: i64,
    comment: &crate::model::RemoteComment,
    report: &mut RepoReport,
) -> Result<(), SyncError> {
    let comment = trusted_comment(comment, web_url);
    match comments::upsert_remote(tx, connection_id, issue_id, &comment)? {
        CommentUpsert::Unchanged => {}
        CommentUpsert::Stored => report.comments += 1,
        CommentUpsert::Adopted(comment_id) => crate::store::outbox::remove_comment(tx, comment_id)?,
    }
    Ok(())
}

impl RepoReport {
    fn count(&mut self, observed: &Observed) {
        match observed {
            Observed::Created { .. } => self.created += 1,
            Observed::Updated { .. } | Observed::Adopted { .. } => self.updated += 1,
            Observed::Unchanged { .. } => {}
            Observed::Merged { new_conflicts, .. } => {
                self.merged += 1;
                self.conflicts += new_conflicts;
            }
        }
    }
}
