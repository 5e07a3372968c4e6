//! Sync: one round per connection — for each mirrored repository, push its pending local
//! changes, then pull what changed on the tracker.
//!
//! Invariants:
//! - Plan, then apply: [`plan`], [`push_plan`] and [`merge`] decide purely; [`pull`],
//!   [`push`] and [`observe`] do the I/O.
//! - Every remote version enters the store through [`observe::Observer`], which
//!   merges it with local edits: a pull never overwrites a local edit and a push never
//!   overwrites a remote one.
//! - A repository that fails does not stop the others; its failure is reported and
//!   written to the sync log, and whatever it stored before failing stays.
//! - Every pull, success or failure, appends one sync-log row per repository.
//! - A repository renamed or transferred on the tracker is followed ([`rename`]): nothing
//!   is pushed to its old path, and a pull that meets its redirect runs again at the new one.

pub mod merge;
pub mod observe;
pub mod plan;
pub mod pull;
pub mod push;
pub mod push_plan;
pub mod refresh;
pub mod rename;
pub mod schedule;
pub mod text_merge;

use std::sync::Mutex;

use serde::Serialize;
use ts_rs::TS;

use crate::model::{Connection, Repo, Timestamp};
use crate::provider::{Capabilities, Provider, ProviderError, RetryPolicy};
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{outbox, repos, sync_log, Store, StoreError};

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the tracker rejected the token of connection {connection} (401); pending changes are \
         kept. Replace it: issuesync connection edit {connection} --token-stdin"
    )]
    TokenRejected {
        connection: String,
        #[source]
        source: ProviderError,
    },
}

impl SyncError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Provider(e) => e.code(),
            Self::Store(e) => e.code(),
            Self::TokenRejected { .. } => "unauthorized",
        }
    }

    /// The same failure told for `connection`: a rejected token names the connection
    /// and how to replace it.
    fn for_connection(self, connection: &str) -> Self {
        match self {
            Self::Provider(source @ ProviderError::Unauthorized) => Self::TokenRejected {
                connection: connection.to_string(),
                source,
            },
            other => other,
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Knobs of one sync round.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// List every issue (and look up the missing ones) even if a reconcile is not due.
    pub force_full: bool,
    /// How old the last full listing may be before a pull becomes a full one.
    pub full_every_seconds: i64,
    /// Try again the local changes the tracker refused before (after fixing a token or
    /// a permission, say).
    pub retry_failed: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            force_full: false,
            full_every_seconds: plan::DEFAULT_FULL_SYNC_EVERY_SECONDS,
            retry_failed: false,
        }
    }
}

/// Progress of a sync, for a progress bar or stderr.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    RepoStarted {
        repo: String,
        full: bool,
    },
    IssuesFetched {
        repo: String,
        fetched: usize,
        total: Option<u64>,
    },
    RepoFinished {
        report: RepoReport,
    },
}

/// What one repository's pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct RepoReport {
    /// `CONNECTION:OWNER/REPO`.
    pub repo: String,
    /// Whether the pull listed every issue (first import or reconcile).
    pub full: bool,
    /// Issues received from the tracker.
    pub fetched: usize,
    pub created: usize,
    pub updated: usize,
    /// Issues changed on the tracker while local edits waited: merged.
    pub merged: usize,
    /// Fields that changed differently on both sides in this pull.
    pub conflicts: usize,
    /// Comments new or changed since the last pull.
    pub comments: usize,
    /// Issues found deleted or moved on the tracker (marked, not removed).
    pub gone: usize,
    /// What pushing the local changes did.
    pub push: push::PushReport,
    /// The failure, if the pull stopped early.
    pub error: Option<ReportedError>,
}

/// A failure in a report: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReportedError {
    pub code: String,
    pub message: String,
}

impl RepoReport {
    fn summary(&self) -> String {
        let p = &self.push;
        let pushed = if p.created + p.updated + p.comments + p.failed + p.deferred > 0 {
            format!(
                "pushed {} new, {} edited, {} comments ({} failed, {} deferred); ",
                p.created, p.updated, p.comments, p.failed, p.deferred
            )
        } else {
            String::new()
        };
        format!(
            "{pushed}{} fetched, {} new, {} updated, {} merged, {} conflicts, {} comments, {} gone{}",
            self.fetched,
            self.created,
            self.updated,
            self.merged,
            self.conflicts,
            self.comments,
            self.gone,
            if self.full { " (full)" } else { "" }
        )
    }
}

/// What the tracker of `repo` does to values: its kind's model plus what was learned
/// about the connection's instance.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub(crate) fn capabilities_of(
    db: &rusqlite::Connection,
    repo: &Repo,
) -> Result<Capabilities, StoreError> {
    let learned = crate::store::connections::assignee_capacity(db, repo.connection_id)?;
    Ok(crate::provider::capabilities(repo.provider).with_assignees(learned))
}

/// Locks the shared store; a panic elsewhere while holding it does not poison it for
/// good (every write is a transaction, so the data is consistent either way).
pub(crate) fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Pulls each of `repos` (all of `connection`) through `provider`, one after the other.
/// Returns one report per repository; failures are inside the reports.
///
/// # Errors
/// Only a failure to read the stored state of a repository or to write the sync log,
/// which would make the reports untrustworthy.
pub async fn sync_connection(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    connection: &Connection,
    repos_to_sync: &[Repo],
    options: &SyncOptions,
    retry: &RetryPolicy,
    progress: &(dyn Fn(SyncEvent) + Send + Sync),
) -> Result<Vec<RepoReport>, StoreError> {
    let mut reports = Vec::with_capacity(repos_to_sync.len());
    for repo in repos_to_sync {
        if options.retry_failed {
            lock(store).write(|tx| outbox::retry_failed(tx, repo.id, Timestamp::now()))?;
        }
        let mut push_report = push::PushReport::default();
        let context = |repo, stop_at_redirect| push::PushContext {
            store,
            provider,
            web_url: &connection.web_url,
            policy: connection.conflict_policy,
            repo,
            retry,
            stop_at_redirect,
        };
        let mut pushed = push::push_repo(&context(repo, true), &mut push_report).await;
        // A push that met a redirect: the whole repository may have moved. Follow it and
        // push there; else the redirect was one issue's, and it is recorded as moved.
        let mut renamed = None;
        if let Ok(Some(ProviderError::Moved { .. })) = &pushed {
            renamed = rename::after_redirect(store, provider, &connection.web_url, repo).await?;
            let target = renamed.as_ref().unwrap_or(repo);
            pushed = push::push_repo(&context(target, renamed.is_some()), &mut push_report).await;
        }
        let repo = renamed.as_ref().unwrap_or(repo);
        let now = Timestamp::now();
        let state = repos::pull_state(lock(store).conn(), repo.id)?;
        let plan = plan::plan_pull(
            &state,
            &repo.filter,
            now,
            options.full_every_seconds,
            options.force_full,
        );
        let mut report = RepoReport {
            repo: pull::repo_label(repo),
            ..RepoReport::default()
        };
        progress(SyncEvent::RepoStarted {
            repo: report.repo.clone(),
            full: plan.full,
        });
        let result = match pushed {
            Err(e) => Err(e),
            // The tracker refuses everything for now; the pull would fail too.
            Ok(Some(stop)) => Err(SyncError::Provider(stop)),
            Ok(None) => {
                rename::pull_following(
                    store,
                    provider,
                    &connection.web_url,
                    connection.conflict_policy,
                    repo,
                    plan,
                    &mut report,
                    progress,
                )
                .await
            }
        };
        report.push = push_report;
        let result = result.map_err(|e| e.for_connection(&connection.name));
        let finished = Timestamp::now();
        let (log_result, detail) = match &result {
            Ok(()) => (LogResult::Ok, report.summary()),
            Err(e) => {
                report.error = Some(ReportedError {
                    code: e.code().to_string(),
                    message: e.to_string(),
                });
                (
                    LogResult::Error,
                    format!("{e} (after {})", report.summary()),
                )
            }
        };
        lock(store).write(|tx| -> Result<(), StoreError> {
            if result.is_ok() {
                repos::mark_synced(tx, repo.id, finished)?;
            }
            sync_log::append(
                tx,
                finished,
                &LogEntry {
                    connection_id: Some(connection.id),
                    repo_id: Some(repo.id),
                    issue_id: None,
                    operation: "pull",
                    result: log_result,
                    detail: &detail,
                    agent: None,
                },
            )
        })?;
        progress(SyncEvent::RepoFinished {
            report: report.clone(),
        });
        reports.push(report);
    }
    Ok(reports)
}
