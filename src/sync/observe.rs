//! Observing the tracker's version of an issue: the one way a remote version enters the
//! store, whether a pull listed it, a push re-read it, or a write answered with it.
//!
//! Decide, then apply:
//! - [`decide`] is pure. From the stored base, the working copy, the open conflicts and
//!   the new remote version — judged with the tracker's [`Capabilities`] and the
//!   connection's policy — it says what happens: unchanged, take the remote, or merged
//!   (with which conflicts, which log lines, and whether anything is left to push).
//! - [`observe_remote`] reads those inputs, calls [`decide`], and applies the decision in
//!   the caller's transaction: the only part that writes.
//!
//! Invariants:
//! - The base snapshot always becomes the observed version: the working copy is "the
//!   tracker's version plus my pending edits", and what a push sends is derived from
//!   the difference of the two.
//! - A working copy without local changes (as the tracker counts changes) simply takes
//!   the tracker's fields, spelling included. One with local changes is merged three ways
//!   ([`merge`](super::merge)); conflicted fields keep the local value and a conflict row
//!   with all three values. Nothing is dropped.
//! - An issue whose body carries the marker of a local create, and that is not mirrored
//!   yet, is that create (adopted): a create is never mirrored twice.
//! - Every automatic decision and every new conflict is written to the sync log in the
//!   same transaction.

use rusqlite::Connection as Db;

use super::capabilities_of;
use super::merge::merge_with_open_conflicts;
use crate::model::{
    find_client_marker, ConflictPolicy, Field, FieldConflict, IssueFields, RemoteIssue, Repo,
    Timestamp,
};
use crate::provider::capabilities::learned_from_issue;
use crate::provider::Capabilities;
use crate::remote_url::page_of;
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{conflicts, connections, issues, outbox, sync_log, StoreError};

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

/// What [`decide`] looks at besides the remote version.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The base: the tracker's version as last stored (`None` only for a row that
    /// never had one).
    pub stored: Option<&'a RemoteIssue>,
    /// The working copy.
    pub working: &'a IssueFields,
    /// Conflicts open on the issue.
    pub open: &'a [FieldConflict],
    pub policy: ConflictPolicy,
    pub capabilities: &'a Capabilities,
}

/// What to do with a remote version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The same content as the base. `newer_version`: only the concurrency tokens moved
    /// (a listing carries no ETag, a read does), and the fresher ones are kept.
    Unchanged { newer_version: bool },
    /// No local changes: the working copy becomes the tracker's version.
    TakeRemote,
    /// Local changes wait: the working copy becomes the merge.
    Merge(Box<MergeDecision>),
}

/// The outcome of merging a remote version into local changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeDecision {
    pub fields: IssueFields,
    /// The conflicts open after this version (replacing the issue's open ones).
    pub conflicts: Vec<FieldConflict>,
    /// Fields in conflict that were not before.
    pub new_conflicts: Vec<Field>,
    /// Sync-log rows: (operation, detail).
    pub log: Vec<(&'static str, String)>,
    /// Whether the working copy still differs from the tracker outside the conflicts
    /// (an update waits in the outbox exactly then).
    pub push: bool,
}

/// Decides what the remote version `remote` does to an issue. Pure.
pub fn decide(observation: &Observation<'_>, remote: &RemoteIssue) -> Decision {
    let caps = observation.capabilities;
    if let Some(stored) = observation.stored.filter(|b| same_content(b, remote)) {
        return Decision::Unchanged {
            newer_version: stored.version != remote.version && remote.version != Default::default(),
        };
    }
    let remote_fields = IssueFields::of_remote(remote);
    let base = observation
        .stored
        .map_or_else(|| observation.working.clone(), IssueFields::of_remote);
    if observation.open.is_empty() && caps.differing(&base, observation.working).is_empty() {
        return Decision::TakeRemote;
    }
    let merged = merge_with_open_conflicts(
        &base,
        observation.working,
        &remote_fields,
        observation.open,
        observation.policy,
        caps,
    );
    let conflicted: Vec<Field> = merged.conflicts.iter().map(|c| c.field).collect();
    let was_open: Vec<Field> = observation.open.iter().map(|c| c.field).collect();
    let new_conflicts: Vec<Field> = conflicted
        .iter()
        .copied()
        .filter(|f| !was_open.contains(f))
        .collect();
    let mut log: Vec<(&'static str, String)> = merged
        .decisions
        .iter()
        .map(|d| ("merge", d.to_string()))
        .collect();
    log.extend(new_conflicts.iter().map(|field| {
        (
            "conflict",
            format!(
                "{field}: changed differently here and on the tracker; kept both for you to resolve"
            ),
        )
    }));
    log.extend(
        was_open
            .iter()
            .filter(|f| !conflicted.contains(f))
            .map(|field| {
                (
                    "merge",
                    format!("{field}: the tracker's new value settles the conflict"),
                )
            }),
    );
    Decision::Merge(Box::new(MergeDecision {
        push: unsent_changes(caps, &merged.fields, &remote_fields, &conflicted),
        fields: merged.fields,
        conflicts: merged.conflicts,
        new_conflicts,
        log,
    }))
}

/// Brings the tracker's version `issue` of an issue of `repo` (on the connection whose
/// web root is `web_url`) into the store: reads what [`decide`] needs, decides, writes.
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
    let mut caps = capabilities_of(db, repo)?;
    let remote_fields = IssueFields::of_remote(issue);
    if let Some(learned) = learned_from_issue(&caps, &remote_fields) {
        connections::set_assignee_capacity(db, repo.connection_id, learned)?;
        caps = caps.with_assignees(learned);
    }
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
    let stored = issues::base_snapshot(db, issue_id)?;
    let working = issues::fields(db, issue_id)?;
    let open: Vec<FieldConflict> = conflicts::for_issue(db, issue_id)?
        .into_iter()
        .map(|c| c.conflict)
        .collect();
    let decision = decide(
        &Observation {
            stored: stored.as_ref(),
            working: &working,
            open: &open,
            policy,
            capabilities: &caps,
        },
        issue,
    );
    match decision {
        Decision::Unchanged { newer_version } => {
            if newer_version {
                issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
            } else {
                issues::touch_remote(db, issue_id, issue, now)?;
            }
            Ok(Observed::Unchanged { issue_id })
        }
        Decision::TakeRemote => {
            issues::write_fields(db, repo.id, issue_id, &remote_fields, issue.updated_at)?;
            issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
            // A difference the tracker does not keep is nothing to push.
            outbox::remove_update(db, issue_id)?;
            Ok(Observed::Updated { issue_id })
        }
        Decision::Merge(merged) => {
            let updated_at = issue.updated_at.max(issues::updated_at(db, issue_id)?);
            issues::write_fields(db, repo.id, issue_id, &merged.fields, updated_at)?;
            issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
            conflicts::replace_for_issue(db, issue_id, &merged.conflicts, now)?;
            if merged.push {
                outbox::ensure_update(db, issue_id, now)?;
            } else {
                outbox::remove_update(db, issue_id)?;
            }
            for (operation, detail) in &merged.log {
                sync_log::append(
                    db,
                    now,
                    &LogEntry::for_issue(repo, issue_id, operation, LogResult::Ok, detail),
                )?;
            }
            Ok(Observed::Merged {
                issue_id,
                new_conflicts: merged.new_conflicts.len(),
            })
        }
    }
}

/// Whether two versions of an issue say the same, concurrency tokens aside.
fn same_content(a: &RemoteIssue, b: &RemoteIssue) -> bool {
    let strip = |i: &RemoteIssue| RemoteIssue {
        version: Default::default(),
        ..i.clone()
    };
    strip(a) == strip(b)
}

/// Whether the working copy still differs from the tracker, as the tracker counts
/// differences, in a field that is not waiting for the person.
pub fn unsent_changes(
    capabilities: &Capabilities,
    working: &IssueFields,
    remote: &IssueFields,
    conflicted: &[Field],
) -> bool {
    capabilities
        .differing(working, remote)
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
    let caps = capabilities_of(db, repo)?;
    if unsent_changes(&caps, &local, &IssueFields::of_remote(issue), &[]) {
        outbox::ensure_update(db, issue_id, now)?;
    }
    let detail = format!("{}#{} created on the tracker", repo.full_path, issue.number);
    sync_log::append(
        db,
        now,
        &LogEntry::for_issue(repo, issue_id, "create", LogResult::Ok, &detail),
    )
}
