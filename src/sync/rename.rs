//! Following a repository renamed or transferred on the tracker. GitHub answers every URL
//! under the old `owner/name` with a redirect to `/repositories/{id}/…`: a sync that kept
//! the old path would fail its pull, and its push would take each issue's redirect for
//! an issue transferred away and mark it moved.
//!
//! Invariants:
//! - A repository is found again by its id ([`Repo::remote_id`], through
//!   [`Provider::get_repo_by_id`]), never by reading a redirect's target: an issue
//!   transferred to another repository redirects as well, and is not a rename.
//! - Following keeps the repository's row, so its issues, local edits, conflicts and
//!   outbox rows (all keyed by ids) stay as they are; only the path and the stored page
//!   links under the old path change, in one transaction with the sync-log row
//!   (operation `rename`) that says so. References then read `NAME:NEW/PATH#N`.
//! - It costs nothing while nothing moved: the path is checked only after a push or a
//!   pull met a redirect (one request on trackers that can say, none on others). A push
//!   that meets one stops without recording anything, and runs again afterwards: under
//!   the new path, or with redirects recorded as moved issues.
//! - A tracker failure while checking is not reported here: the push or pull that goes
//!   on meets it too, and reports it as usual.
//! - The store lock is never held across a request.

use std::sync::Mutex;

use super::plan::PullPlan;
use super::{lock, pull, RepoReport, SyncError, SyncEvent};
use crate::model::{ConflictPolicy, RemoteRepo, Repo, Timestamp};
use crate::provider::{Provider, ProviderError};
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{outbox, repos, sync_log, Store, StoreError};

/// After a push met a redirect: if the tracker now has the repository under another
/// path, follows it there. Returns the renamed repository; `None` when it did not move
/// (the redirect was one issue's) or the tracker cannot say.
///
/// # Errors
/// Only store failures.
pub async fn after_redirect(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    repo: &Repo,
) -> Result<Option<Repo>, StoreError> {
    let Some(remote_id) = repo.remote_id else {
        return Ok(None);
    };
    match provider.get_repo_by_id(remote_id).await {
        Ok(Some(remote)) => follow(store, web_url, repo, &remote),
        Ok(None) | Err(_) => Ok(None),
    }
}

/// [`pull::pull_repo`], and when the tracker redirected it because the repository moved,
/// follows the repository and pulls again under its new path (in `report` too).
///
/// # Errors
/// As [`pull::pull_repo`]; a redirect that is not a move of this repository is returned
/// as it came.
#[allow(clippy::too_many_arguments)]
pub async fn pull_following(
    store: &Mutex<Store>,
    provider: &dyn Provider,
    web_url: &str,
    policy: ConflictPolicy,
    repo: &Repo,
    plan: PullPlan,
    report: &mut RepoReport,
    progress: &(dyn Fn(SyncEvent) + Send + Sync),
) -> Result<(), SyncError> {
    let first = pull::pull_repo(
        store,
        provider,
        web_url,
        policy,
        repo,
        plan.clone(),
        report,
        progress,
    )
    .await;
    let (Err(SyncError::Provider(ProviderError::Moved { .. })), Some(remote_id)) =
        (&first, repo.remote_id)
    else {
        return first;
    };
    let remote = match provider.get_repo_by_id(remote_id).await {
        Ok(Some(remote)) => remote,
        Ok(None) | Err(_) => return first,
    };
    let Some(renamed) = follow(store, web_url, repo, &remote)? else {
        return first;
    };
    report.repo = pull::repo_label(&renamed);
    pull::pull_repo(
        store, provider, web_url, policy, &renamed, plan, report, progress,
    )
    .await
}

/// Gives `repo` the path `remote` has on the tracker, when that differs, and logs it.
/// Returns the renamed repository; `None` when nothing moved, or when the new path is
/// mirrored here already as another entry (logged as an error: one of the two has to go).
fn follow(
    store: &Mutex<Store>,
    web_url: &str,
    repo: &Repo,
    remote: &RemoteRepo,
) -> Result<Option<Repo>, StoreError> {
    if remote.full_path == repo.full_path || repo.remote_id != Some(remote.remote_id) {
        return Ok(None);
    }
    let (old, new) = (repo.full_path.as_str(), remote.full_path.as_str());
    let web = web_url.trim_end_matches('/');
    lock(store).write(|tx| -> Result<Option<Repo>, StoreError> {
        let now = Timestamp::now();
        let log = |result: LogResult, detail: &str| {
            sync_log::append(
                tx,
                now,
                &LogEntry {
                    connection_id: Some(repo.connection_id),
                    repo_id: Some(repo.id),
                    issue_id: None,
                    operation: "rename",
                    result,
                    detail,
                    agent: None,
                },
            )
        };
        if repos::by_path(tx, repo.connection_id, new)?.is_some() {
            log(
                LogResult::Error,
                &format!(
                    "renamed on the tracker from {old} to {new}, which is mirrored here as \
                     well: remove one of them (`issuesync repo remove {}:{old}` or …:{new})",
                    repo.connection
                ),
            )?;
            return Ok(None);
        }
        let pending = outbox::count_for_repo(tx, repo.id)?;
        repos::rename(
            tx,
            repo.id,
            new,
            &format!("{web}/{old}/"),
            &format!("{web}/{new}/"),
        )?;
        log(
            LogResult::Ok,
            &format!(
                "renamed on the tracker from {old} to {new} (now {}:{new}); mirror and {} kept",
                repo.connection,
                pending_changes(pending)
            ),
        )?;
        repos::by_path(tx, repo.connection_id, new)
    })
}

fn pending_changes(count: u64) -> String {
    match count {
        0 => "no pending local changes".to_string(),
        1 => "1 pending local change".to_string(),
        n => format!("{n} pending local changes"),
    }
}
