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
//! - Within a round, mutations are strictly serial: every repository's pushes run one
//!   after the other before any pull, so no two writes are ever in flight at once. The
//!   pulls then run side by side, at most the tracker's
//!   [`Capabilities::parallel_reads`] at once, on the caller's task; reports come back
//!   in the order of the repositories, and progress events name their repository.
//! - A rate limit met by one repository stops the round's others: until it lifts they
//!   send nothing and report the limit, as if they had met it themselves.

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

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::Poll;

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
    /// Repositories of one connection pulled at once; `None` takes the tracker's
    /// [`Capabilities::parallel_reads`]. `Some(1)` pulls one after the other (the
    /// serial baseline of the benchmark).
    pub max_parallel_repos: Option<usize>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            force_full: false,
            full_every_seconds: plan::DEFAULT_FULL_SYNC_EVERY_SECONDS,
            retry_failed: false,
            max_parallel_repos: None,
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

/// Syncs `repos` (all of `connection`) through `provider`: first the pushes, one
/// repository after the other, then the pulls, up to the tracker's
/// [`Capabilities::parallel_reads`] (or [`SyncOptions::max_parallel_repos`]) at once.
/// Returns one report per repository, in the order of `repos`; failures are inside the
/// reports.
///
/// # Errors
/// Only a failure to read the stored state of a repository or to write the sync log,
/// which would make the reports untrustworthy. No repository starts after one; the
/// pulls already running finish first.
pub async fn sync_connection(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    connection: &Connection,
    repos_to_sync: &[Repo],
    options: &SyncOptions,
    retry: &RetryPolicy,
    progress: &(dyn Fn(SyncEvent) + Send + Sync),
) -> Result<Vec<RepoReport>, StoreError> {
    let round = Round {
        store,
        provider,
        connection,
        options,
        retry,
        progress,
        limited: RateLimitStop::default(),
    };
    // Mutations stay strictly serial across the connection: one repository's pushes
    // after the other's, all before the first pull.
    let mut pushed = Vec::with_capacity(repos_to_sync.len());
    for repo in repos_to_sync {
        pushed.push(round.push(repo).await?);
    }
    let parallel = options
        .max_parallel_repos
        .unwrap_or_else(|| crate::provider::capabilities(connection.provider).parallel_reads)
        .max(1);
    bounded(parallel, pushed, |pushed| round.pull(pushed)).await
}

/// What one sync round of a connection shares between its repositories.
struct Round<'a> {
    store: &'a Mutex<Store>,
    provider: &'a dyn Provider,
    connection: &'a Connection,
    options: &'a SyncOptions,
    retry: &'a RetryPolicy,
    progress: &'a (dyn Fn(SyncEvent) + Send + Sync),
    limited: RateLimitStop,
}

/// A repository after its push: where it lives now, and how the push went.
struct Pushed {
    /// The repository, at its new path when the push followed a rename.
    repo: Repo,
    report: push::PushReport,
    /// `Ok(Some(stop))`: the tracker refuses everything for now; the pull would fail too.
    outcome: Result<Option<ProviderError>, SyncError>,
}

impl Round<'_> {
    /// Pushes the pending local changes of `repo`, following a rename of the whole
    /// repository. Sends nothing while the connection is rate-limited.
    async fn push(&self, repo: &Repo) -> Result<Pushed, StoreError> {
        let store = self.store;
        if self.options.retry_failed {
            lock(store).write(|tx| outbox::retry_failed(tx, repo.id, Timestamp::now()))?;
        }
        let mut report = push::PushReport::default();
        if let Some(retry_at) = self.limited.active() {
            // Nothing is sent: what waits to be pushed waits for the limit to lift.
            if !outbox::due(lock(store).conn(), repo.id, Timestamp::now())?.is_empty() {
                report.retry_at = Some(retry_at);
            }
            return Ok(Pushed {
                repo: repo.clone(),
                report,
                outcome: Ok(Some(ProviderError::RateLimited { retry_at })),
            });
        }
        let context = |repo, stop_at_redirect| push::PushContext {
            store,
            provider: self.provider,
            web_url: &self.connection.web_url,
            policy: self.connection.conflict_policy,
            repo,
            retry: self.retry,
            stop_at_redirect,
        };
        let mut outcome = push::push_repo(&context(repo, true), &mut report).await;
        // A push that met a redirect: the whole repository may have moved. Follow it and
        // push there; else the redirect was one issue's, and it is recorded as moved.
        let mut renamed = None;
        if let Ok(Some(ProviderError::Moved { .. })) = &outcome {
            renamed = rename::after_redirect(store, self.provider, &self.connection.web_url, repo)
                .await?;
            let target = renamed.as_ref().unwrap_or(repo);
            outcome = push::push_repo(&context(target, renamed.is_some()), &mut report).await;
        }
        match &outcome {
            Ok(Some(stop)) | Err(SyncError::Provider(stop)) => self.limited.note(stop),
            _ => {}
        }
        Ok(Pushed {
            repo: renamed.unwrap_or_else(|| repo.clone()),
            report,
            outcome,
        })
    }

    /// Pulls one pushed repository (unless its push stopped or the connection is
    /// rate-limited), appends its sync-log row and reports it.
    async fn pull(&self, pushed: Pushed) -> Result<RepoReport, StoreError> {
        let Pushed {
            repo,
            report: push_report,
            outcome,
        } = pushed;
        let (store, connection) = (self.store, self.connection);
        let now = Timestamp::now();
        let state = repos::pull_state(lock(store).conn(), repo.id)?;
        let plan = plan::plan_pull(
            &state,
            &repo.filter,
            now,
            self.options.full_every_seconds,
            self.options.force_full,
        );
        let mut report = RepoReport {
            repo: pull::repo_label(&repo),
            ..RepoReport::default()
        };
        (self.progress)(SyncEvent::RepoStarted {
            repo: report.repo.clone(),
            full: plan.full,
        });
        let result = match outcome {
            Err(e) => Err(e),
            Ok(Some(stop)) => Err(SyncError::Provider(stop)),
            // Another repository met a rate limit meanwhile: no request until it lifts.
            Ok(None) => match self.limited.active() {
                Some(retry_at) => Err(SyncError::Provider(ProviderError::RateLimited { retry_at })),
                None => {
                    rename::pull_following(
                        store,
                        self.provider,
                        &connection.web_url,
                        connection.conflict_policy,
                        &repo,
                        plan,
                        &mut report,
                        self.progress,
                    )
                    .await
                }
            },
        };
        if let Err(SyncError::Provider(error)) = &result {
            self.limited.note(error);
        }
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
        (self.progress)(SyncEvent::RepoFinished {
            report: report.clone(),
        });
        Ok(report)
    }
}

/// The rate limit one repository of a round met: until it lifts, the others send
/// nothing and report it (GitHub bans integrations that keep requesting while
/// limited).
#[derive(Default)]
struct RateLimitStop(Mutex<Option<Timestamp>>);

impl RateLimitStop {
    /// Remembers `error` if it is a rate limit.
    fn note(&self, error: &ProviderError) {
        if let ProviderError::RateLimited { retry_at } = error {
            let mut until = self.0.lock().unwrap_or_else(|p| p.into_inner());
            *until = Some(until.map_or(*retry_at, |t| t.max(*retry_at)));
        }
    }

    /// When the limit lifts, while it holds.
    fn active(&self) -> Option<Timestamp> {
        let until = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        until.filter(|t| *t > Timestamp::now())
    }
}

/// Runs `task` on each of `items`, at most `limit` at once, all on the calling task (no
/// spawning, so a task may borrow); the results come back in the order of `items`.
/// After a task fails no other starts; those running finish, then the first failure
/// is returned.
async fn bounded<T, R, E, Fut>(
    limit: usize,
    items: Vec<T>,
    task: impl Fn(T) -> Fut,
) -> Result<Vec<R>, E>
where
    Fut: Future<Output = Result<R, E>>,
{
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let mut waiting = items.into_iter().enumerate();
    let mut running: Vec<(usize, Pin<Box<Fut>>)> = Vec::with_capacity(limit);
    let mut failure: Option<E> = None;
    std::future::poll_fn(|cx| loop {
        while failure.is_none() && running.len() < limit {
            let Some((index, item)) = waiting.next() else {
                break;
            };
            running.push((index, Box::pin(task(item))));
        }
        let mut finished_one = false;
        let mut k = 0;
        while k < running.len() {
            match running[k].1.as_mut().poll(cx) {
                Poll::Pending => k += 1,
                Poll::Ready(outcome) => {
                    let (index, _) = running.swap_remove(k);
                    match outcome {
                        Ok(result) => results[index] = Some(result),
                        Err(e) => {
                            failure.get_or_insert(e);
                        }
                    }
                    finished_one = true;
                }
            }
        }
        if running.is_empty() && (failure.is_some() || waiting.len() == 0) {
            return Poll::Ready(());
        }
        // Every running task was polled and is waiting: its waker will call again.
        if !finished_one {
            return Poll::Pending;
        }
    })
    .await;
    match failure {
        Some(e) => Err(e),
        None => Ok(results.into_iter().flatten().collect()),
    }
}
