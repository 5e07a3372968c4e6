//! Sync: one round per connection — push pending local changes (not yet: local editing
//! arrives with the two-way sync), then pull every mirrored repository.
//!
//! Invariants:
//! - Plan, then apply: [`plan`] decides purely from stored state what to request;
//!   [`pull`] does the I/O.
//! - A repository that fails does not stop the others; its failure is reported and
//!   written to the sync log, and whatever it stored before failing stays.
//! - Every pull, success or failure, appends one sync-log row per repository.

pub mod plan;
pub mod pull;

use std::sync::Mutex;

use serde::Serialize;

use crate::model::{Connection, Repo, Timestamp};
use crate::provider::{Provider, ProviderError};
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{repos, sync_log, Store, StoreError};

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Provider(e) => e.code(),
            Self::Store(e) => e.code(),
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
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            force_full: false,
            full_every_seconds: plan::DEFAULT_FULL_SYNC_EVERY_SECONDS,
        }
    }
}

/// Progress of a sync, for a progress bar or stderr.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RepoReport {
    /// `CONNECTION:OWNER/REPO`.
    pub repo: String,
    /// Whether the pull listed every issue (first import or reconcile).
    pub full: bool,
    /// Issues received from the tracker.
    pub fetched: usize,
    pub created: usize,
    pub updated: usize,
    /// Issues changed remotely whose local edits were kept (the base moved).
    pub kept_local: usize,
    /// Comments new or changed since the last pull.
    pub comments: usize,
    /// Issues found deleted or moved on the tracker (marked, not removed).
    pub gone: usize,
    /// The failure, if the pull stopped early.
    pub error: Option<ReportedError>,
}

/// A failure in a report: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedError {
    pub code: String,
    pub message: String,
}

impl RepoReport {
    fn summary(&self) -> String {
        format!(
            "{} fetched, {} new, {} updated, {} kept local, {} comments, {} gone{}",
            self.fetched,
            self.created,
            self.updated,
            self.kept_local,
            self.comments,
            self.gone,
            if self.full { " (full)" } else { "" }
        )
    }
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
    progress: &(dyn Fn(SyncEvent) + Send + Sync),
) -> Result<Vec<RepoReport>, StoreError> {
    let mut reports = Vec::with_capacity(repos_to_sync.len());
    for repo in repos_to_sync {
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
        let result = pull::pull_repo(
            store,
            provider,
            &connection.web_url,
            repo,
            plan,
            &mut report,
            progress,
        )
        .await;
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
