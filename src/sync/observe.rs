//! Observing the tracker's version of an issue: the one way a remote version enters the
//! store, whether a pull listed it, a push re-read it, or a write answered with it.
//!
//! Invariants:
//! - The base snapshot always becomes the observed version: the working copy is "the
//!   tracker's version plus my pending edits", and what a push sends is derived from
//!   the difference of the two.
//! - A working copy without local changes simply takes the tracker's fields. One with
//!   local changes is merged three ways ([`merge`]); conflicted fields keep the local
//!   value and a conflict row with all three values. Nothing is dropped.
//! - An issue whose body carries the marker of a local create, and that is not mirrored
//!   yet, is that create (adopted): a create is never mirrored twice.
//! - Runs inside the caller's transaction; every automatic decision and every new
//!   conflict is written to the sync log in it.

use rusqlite::Connection as Db;

use super::merge::merge_with_open_conflicts;
use crate::model::{
    find_client_marker, ConflictPolicy, Field, IssueFields, RemoteIssue, Repo, Timestamp,
};
use crate::remote_url::page_of;
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{conflicts, issues, outbox, sync_log, StoreError};

/// What observing one remote issue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Not mirrored before; now it is.
    Created { issue_id: i64 },
    /// The tracker changed it; the local copy had no changes of its own.
    Updated { issue_id: i64 },
    /// The same version as the stored base.
    Unchanged { issue_id: i64 },
    /// The tracker changed it while local changes wait: merged.
    Merged {
        issue_id: i64,
        /// Conflicts that appeared with this version.
        new_conflicts: usize,
    },
    /// It is a local create whose push had an unclear outcome.
    Adopted { issue_id: i64 },
}

impl Observed {
    pub fn issue_id(&self) -> i64 {
        match self {
            Self::Created { issue_id }
            | Self::Updated { issue_id }
            | Self::Unchanged { issue_id }
            | Self::Merged { issue_id, .. }
            | Self::Adopted { issue_id } => *issue_id,
        }
    }
}

/// Brings the tracker's version `issue` of an issue of `repo` (on the connection whose
/// web root is `web_url`) into the store.
///
/// # Errors
/// [`StoreError`] on a read or write failure; the caller's transaction then keeps
/// nothing of it.
pub fn observe_remote(
    db: &Db,
    repo: &Repo,
    web_url: &str,
    issue: &RemoteIssue,
    policy: ConflictPolicy,
    now: Timestamp,
) -> Result<Observed, StoreError> {
    let page = page_of(repo, web_url, issue);
    let remote_url = page.as_str();
    let Some(issue_id) = issues::find_for_remote(db, repo.id, issue)? else {
        if let Some(client_id) = find_client_marker(&issue.body) {
            if let Some(issue_id) = issues::unpushed_by_client_id(db, repo.id, client_id)? {
                adopt(db, repo, web_url, issue_id, issue, now)?;
                return Ok(Observed::Adopted { issue_id });
            }
        }
        let issue_id = issues::insert_remote(db, repo, issue, remote_url, now)?;
        return Ok(Observed::Created { issue_id });
    };
    let base = issues::base_snapshot(db, issue_id)?;
    if let Some(stored) = base.as_ref().filter(|b| same_content(b, issue)) {
        // Only the concurrency tokens may differ (a listing carries no ETag, a read
        // does): keep the freshest ones, report no change.
        if stored.version != issue.version && issue.version != Default::default() {
            issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
        } else {
            issues::touch_remote(db, issue_id, issue, now)?;
        }
        return Ok(Observed::Unchanged { issue_id });
    }
    let remote = IssueFields::of_remote(issue);
    let local = issues::fields(db, issue_id)?;
    let open: Vec<_> = conflicts::for_issue(db, issue_id)?
        .into_iter()
        .map(|c| c.conflict)
        .collect();
    let base = base
        .as_ref()
        .map_or_else(|| local.clone(), IssueFields::of_remote);
    if local == base && open.is_empty() {
        issues::write_fields(db, repo.id, issue_id, &remote, issue.updated_at)?;
        issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
        return Ok(Observed::Updated { issue_id });
    }

    let merged = merge_with_open_conflicts(&base, &local, &remote, &open, policy);
    let updated_at = issue.updated_at.max(issues::updated_at(db, issue_id)?);
    issues::write_fields(db, repo.id, issue_id, &merged.fields, updated_at)?;
    issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
    conflicts::replace_for_issue(db, issue_id, &merged.conflicts, now)?;
    let conflicted: Vec<Field> = merged.conflicts.iter().map(|c| c.field).collect();
    if unsent_changes(&merged.fields, &remote, &conflicted) {
        outbox::ensure_update(db, issue_id, now)?;
    } else {
        outbox::remove_update(db, issue_id)?;
    }

    let was_open: Vec<Field> = open.iter().map(|c| c.field).collect();
    let new_conflicts: Vec<Field> = conflicted
        .iter()
        .copied()
        .filter(|f| !was_open.contains(f))
        .collect();
    let log = |operation: &str, detail: &str| {
        sync_log::append(
            db,
            now,
            &LogEntry::for_issue(repo, issue_id, operation, LogResult::Ok, detail),
        )
    };
    for decision in &merged.decisions {
        log("merge", &decision.to_string())?;
    }
    for field in &new_conflicts {
        log(
            "conflict",
            &format!("{field}: changed differently here and on the tracker; kept both for you to resolve"),
        )?;
    }
    for field in was_open.iter().filter(|f| !conflicted.contains(f)) {
        log(
            "merge",
            &format!("{field}: the tracker's new value settles the conflict"),
        )?;
    }
    Ok(Observed::Merged {
        issue_id,
        new_conflicts: new_conflicts.len(),
    })
}

/// Whether two versions of an issue say the same, concurrency tokens aside.
fn same_content(a: &RemoteIssue, b: &RemoteIssue) -> bool {
    let strip = |i: &RemoteIssue| RemoteIssue {
        version: Default::default(),
        ..i.clone()
    };
    strip(a) == strip(b)
}

/// Whether the working copy still differs from the tracker in a field that is not
/// waiting for the person.
pub fn unsent_changes(working: &IssueFields, remote: &IssueFields, conflicted: &[Field]) -> bool {
    working
        .changed_fields(remote)
        .iter()
        .any(|f| !conflicted.contains(f))
}

/// Links a local create to the tracker's issue: number, URL and base come from the
/// tracker; edits made locally after the create was sent stay and wait as an update.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn adopt(
    db: &Db,
    repo: &Repo,
    web_url: &str,
    issue_id: i64,
    issue: &RemoteIssue,
    now: Timestamp,
) -> Result<(), StoreError> {
    let local = issues::fields(db, issue_id)?;
    issues::store_remote(
        db,
        repo,
        issue_id,
        issue,
        &page_of(repo, web_url, issue),
        now,
    )?;
    outbox::remove_create(db, issue_id)?;
    if unsent_changes(&local, &IssueFields::of_remote(issue), &[]) {
        outbox::ensure_update(db, issue_id, now)?;
    }
    let detail = format!("{}#{} created on the tracker", repo.full_path, issue.number);
    sync_log::append(
        db,
        now,
        &LogEntry::for_issue(repo, issue_id, "create", LogResult::Ok, &detail),
    )
}
