//! Refreshing one issue: what a webhook delivery leads to. The issue (and its comments,
//! when asked) is fetched through the provider and enters the store through the normal
//! [`Observer`], exactly as a pull would bring it — the delivery itself only said which
//! issue to look at, so a forged or stale payload can never write a value.
//!
//! Invariants:
//! - Decide, then apply: [`decide`] is pure; [`refresh_issue`] fetches and writes.
//! - A fetched version older than the stored base is not observed (a slow fetch that
//!   finishes after a newer pull never moves the mirror back).
//! - An issue not mirrored yet enters only if it matches the repository's filter; one
//!   that is mirrored stays current even outside it (as a reconcile keeps it).
//! - An issue the tracker no longer has is marked deleted or moved, never removed.
//! - The repository's cursors do not move: the next pull lists as it would have.
//! - The store lock is never held across a network call.

use std::sync::Mutex;

use serde::Serialize;
use ts_rs::TS;

use super::observe::{Observed, Observer};
use super::{lock, RepoReport, SyncError};
use crate::model::{ConflictPolicy, RemoteIssue, RemoteStatus, Repo, Timestamp};
use crate::provider::{IssueListing, Provider, ProviderError};
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{issues, sync_log, Store};

/// What to do with a fetched version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Observe,
    /// Older than what the mirror holds.
    Stale,
    /// Not mirrored, and the repository's filter leaves it out.
    OutsideFilter,
}

/// Decides whether a fetched version enters the store. Pure.
/// `stored_updated_at` is the stored base's `updated_at` (`None`: not mirrored).
pub fn decide(stored_updated_at: Option<Timestamp>, fetched: &RemoteIssue, repo: &Repo) -> Verdict {
    match stored_updated_at {
        Some(stored) if fetched.updated_at < stored => Verdict::Stale,
        Some(_) => Verdict::Observe,
        None => {
            let listing = IssueListing {
                labels: repo.filter.labels.clone(),
                milestone: repo.filter.milestone.clone(),
                ..IssueListing::default()
            };
            if listing.matches(fetched) {
                Verdict::Observe
            } else {
                Verdict::OutsideFilter
            }
        }
    }
}

/// What a refresh did, for logs and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RefreshOutcome {
    Created,
    Updated,
    Merged,
    Unchanged,
    Stale,
    OutsideFilter,
    Deleted,
    Moved,
}

/// The result of [`refresh_issue`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Refreshed {
    /// `CONNECTION:OWNER/REPO#NUMBER`.
    pub reference: String,
    pub outcome: RefreshOutcome,
    /// Comments new or changed.
    pub comments: usize,
    /// Conflicts that appeared.
    pub conflicts: usize,
}

impl Refreshed {
    /// Whether the mirror changed (the UI reloads then).
    pub fn changed(&self) -> bool {
        !matches!(
            self.outcome,
            RefreshOutcome::Unchanged | RefreshOutcome::Stale | RefreshOutcome::OutsideFilter
        ) || self.comments > 0
    }
}

/// Fetches issue `number` of `repo` (and its comments when `with_comments`, or when it
/// enters the mirror now) and observes it.
///
/// # Errors
/// [`SyncError`] when the tracker or the store fails; nothing is written then.
pub async fn refresh_issue(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    policy: ConflictPolicy,
    repo: &Repo,
    number: u64,
    with_comments: bool,
) -> Result<Refreshed, SyncError> {
    let reference = format!("{}:{}#{number}", repo.connection, repo.full_path);
    let done = |outcome, comments, conflicts| Refreshed {
        reference: reference.clone(),
        outcome,
        comments,
        conflicts,
    };
    let fetched = match provider.get_issue(&repo.full_path, number).await {
        Ok(issue) => Ok(issue),
        Err(ProviderError::NotFound { .. } | ProviderError::Gone { .. }) => {
            Err(RemoteStatus::Deleted)
        }
        Err(ProviderError::Moved { .. }) => Err(RemoteStatus::Moved),
        Err(other) => return Err(other.into()),
    };
    let issue = match fetched {
        Ok(issue) => issue,
        Err(status) => {
            let now = Timestamp::now();
            let marked = lock(store).write(|tx| -> Result<bool, SyncError> {
                let Some(issue_id) = issues::id_by_number(tx, repo.id, number)? else {
                    return Ok(false);
                };
                issues::mark_remote_status(tx, issue_id, status)?;
                let detail = format!(
                    "{}#{number} is no longer on the tracker (webhook); marked {} (kept locally)",
                    repo.full_path,
                    status.as_str()
                );
                sync_log::append(
                    tx,
                    now,
                    &LogEntry::for_issue(repo, issue_id, "webhook", LogResult::Ok, &detail),
                )?;
                Ok(true)
            })?;
            let outcome = match status {
                RemoteStatus::Moved => RefreshOutcome::Moved,
                _ => RefreshOutcome::Deleted,
            };
            return Ok(done(
                if marked {
                    outcome
                } else {
                    RefreshOutcome::Unchanged
                },
                0,
                0,
            ));
        }
    };
    let stored_updated_at = {
        let db = lock(store);
        match issues::id_by_number(db.conn(), repo.id, number)? {
            Some(id) => Some(issues::base_snapshot(db.conn(), id)?.map_or(
                Timestamp::from_datetime(chrono::DateTime::UNIX_EPOCH),
                |b| b.updated_at,
            )),
            None => None,
        }
    };
    match decide(stored_updated_at, &issue, repo) {
        Verdict::Observe => {}
        Verdict::Stale => return Ok(done(RefreshOutcome::Stale, 0, 0)),
        Verdict::OutsideFilter => return Ok(done(RefreshOutcome::OutsideFilter, 0, 0)),
    }
    let now = Timestamp::now();
    let observed = lock(store).write(|tx| -> Result<Observed, SyncError> {
        let observed = Observer::new(tx, repo, web_url, policy)?.observe(tx, &issue, now)?;
        if !matches!(observed, Observed::Unchanged { .. }) {
            sync_log::append(
                tx,
                now,
                &LogEntry::for_issue(
                    repo,
                    observed.issue_id(),
                    "webhook",
                    LogResult::Ok,
                    &format!(
                        "{}#{number} re-read after a webhook delivery",
                        repo.full_path
                    ),
                ),
            )?;
        }
        Ok(observed)
    })?;
    let (outcome, conflicts) = match observed {
        Observed::Created { .. } => (RefreshOutcome::Created, 0),
        Observed::Updated { .. } | Observed::Adopted { .. } => (RefreshOutcome::Updated, 0),
        Observed::Unchanged { .. } => (RefreshOutcome::Unchanged, 0),
        Observed::Merged { new_conflicts, .. } => (RefreshOutcome::Merged, new_conflicts),
    };
    let mut report = RepoReport::default();
    if with_comments || outcome == RefreshOutcome::Created {
        let fetched = provider
            .list_issue_comments(&repo.full_path, number)
            .await?;
        let issue_id = observed.issue_id();
        lock(store).write(|tx| -> Result<(), SyncError> {
            for comment in &fetched {
                super::pull::store_comment(
                    tx,
                    web_url,
                    repo.connection_id,
                    issue_id,
                    comment,
                    &mut report,
                )?;
            }
            Ok(())
        })?;
    }
    Ok(done(outcome, report.comments, conflicts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProviderKind, RepoFilter};
    use rstest::rstest;

    fn repo(labels: &[&str]) -> Repo {
        Repo {
            id: 1,
            connection_id: 1,
            connection: "c".into(),
            provider: ProviderKind::Github,
            full_path: "o/r".into(),
            remote_id: None,
            filter: RepoFilter {
                labels: labels.iter().map(|l| l.to_string()).collect(),
                milestone: None,
            },
            last_synced_at: None,
            last_full_sync_at: None,
        }
    }

    fn fetched(updated: &str, labels: &[&str]) -> RemoteIssue {
        RemoteIssue {
            remote_id: 1,
            number: 1,
            title: "t".into(),
            body: String::new(),
            state: crate::model::IssueState::Open,
            state_reason: None,
            labels: labels
                .iter()
                .map(|name| crate::model::Label {
                    remote_id: None,
                    name: name.to_string(),
                    color: None,
                    description: None,
                })
                .collect(),
            assignees: Vec::new(),
            milestone: None,
            author: None,
            created_at: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            updated_at: Timestamp::parse(updated).unwrap(),
            closed_at: None,
            remote_url: None,
            version: Default::default(),
            moved_to: None,
            comment_count: None,
        }
    }

    const T1: &str = "2026-01-01T10:00:00.000Z";
    const T2: &str = "2026-01-01T11:00:00.000Z";

    #[rstest]
    #[case::newer_than_the_base(Some(T1), T2, &[], &[], Verdict::Observe)]
    #[case::same_time(Some(T1), T1, &[], &[], Verdict::Observe)]
    #[case::older_than_the_base(Some(T2), T1, &[], &[], Verdict::Stale)]
    #[case::new_and_in_the_filter(None, T1, &["bug"], &["bug", "ui"], Verdict::Observe)]
    #[case::new_and_outside_the_filter(None, T1, &["bug"], &["ui"], Verdict::OutsideFilter)]
    #[case::mirrored_and_outside_the_filter(Some(T1), T2, &["bug"], &["ui"], Verdict::Observe)]
    fn a_fetched_version_enters_unless_stale_or_filtered_out(
        #[case] stored: Option<&str>,
        #[case] updated: &str,
        #[case] filter: &[&str],
        #[case] labels: &[&str],
        #[case] expected: Verdict,
    ) {
        let stored = stored.map(|s| Timestamp::parse(s).unwrap());
        assert_eq!(
            decide(stored, &fetched(updated, labels), &repo(filter)),
            expected
        );
    }
}
