//! The `outbox` table: local changes waiting for the tracker, oldest first.
//!
//! Invariants:
//! - A local edit writes the working copy and its outbox row in the same transaction
//!   (callers pass the transaction), so a crash loses neither and duplicates nothing.
//! - An issue has at most one `update` row and at most one `create` row (unique
//!   indexes). What an update sends is derived from base and working copy when pushing.
//! - `sent_at` is written, and committed, before a create or comment is sent: a row
//!   with it set may already be on the tracker and is looked for there before resending.
//! - A failed row stays until the person edits the issue again, retries it or discards
//!   the change; automatic pushes skip it.

use rusqlite::{Connection as Db, Row};
use serde::Serialize;

use super::{opt_timestamp, timestamp, Result, StoreError};
use crate::model::{ChangeKind, PendingChange, Timestamp};

fn parse_kind(s: &str) -> Result<ChangeKind> {
    match s {
        "create" => Ok(ChangeKind::Create),
        "update" => Ok(ChangeKind::Update),
        "comment" => Ok(ChangeKind::Comment),
        other => Err(StoreError::corrupt(
            "outbox kind",
            crate::model::UnknownState(other.to_string()),
        )),
    }
}

/// One stored outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub issue_id: i64,
    pub comment_id: Option<i64>,
    pub kind: ChangeKind,
    /// The marker id of a create or comment.
    pub client_id: Option<String>,
    /// The tracker refused it for good; see `error_message`.
    pub failed: bool,
    /// Transient failures so far (they set `next_attempt_at`).
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    /// When it was first sent (creates and comments): it may be on the tracker already.
    pub sent_at: Option<Timestamp>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub created_at: Timestamp,
    /// The agent (MCP client name) whose change this is, or the last agent that added to
    /// it; `None` when only a person changed it.
    pub agent: Option<String>,
}

const COLUMNS: &str = "id, issue_id, comment_id, kind, client_id, state, attempts, \
                       next_attempt_at, sent_at, error_code, error_message, created_at, agent";

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok(RawEntry {
        id: row.get(0)?,
        issue_id: row.get(1)?,
        comment_id: row.get(2)?,
        kind: row.get(3)?,
        client_id: row.get(4)?,
        state: row.get(5)?,
        attempts: row.get(6)?,
        next_attempt_at: row.get(7)?,
        sent_at: row.get(8)?,
        error_code: row.get(9)?,
        error_message: row.get(10)?,
        created_at: row.get(11)?,
        agent: row.get(12)?,
    })
}

struct RawEntry {
    id: i64,
    issue_id: i64,
    comment_id: Option<i64>,
    kind: String,
    client_id: Option<String>,
    state: String,
    attempts: u32,
    next_attempt_at: Option<String>,
    sent_at: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    created_at: String,
    agent: Option<String>,
}

fn finish(raw: RawEntry) -> Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: raw.id,
        issue_id: raw.issue_id,
        comment_id: raw.comment_id,
        kind: parse_kind(&raw.kind)?,
        client_id: raw.client_id,
        failed: raw.state == "failed",
        attempts: raw.attempts,
        next_attempt_at: opt_timestamp(raw.next_attempt_at)?,
        sent_at: opt_timestamp(raw.sent_at)?,
        error_code: raw.error_code,
        error_message: raw.error_message,
        created_at: timestamp(raw.created_at)?,
        agent: raw.agent,
    })
}

impl OutboxEntry {
    /// How the change is shown to people and the UI.
    pub fn to_pending_change(&self) -> PendingChange {
        PendingChange {
            kind: self.kind,
            failed: self.failed,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            error_code: self.error_code.clone(),
            error_message: self.error_message.clone(),
            created_at: self.created_at,
        }
    }
}

fn query(db: &Db, sql: &str, params: impl rusqlite::Params) -> Result<Vec<OutboxEntry>> {
    let mut stmt = db.prepare_cached(sql)?;
    let rows = stmt.query_map(params, from_row)?;
    rows.map(|r| finish(r?)).collect()
}

/// Records that the working copy of `issue_id` was edited: an issue not created on the
/// tracker yet carries the edit in its create; otherwise its update row becomes
/// pending again (a new edit is a new chance after a refusal). An edit by an agent
/// marks the row with its name; a person's edit keeps an earlier agent's mark (the row
/// still carries that agent's change).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn note_edit(db: &Db, issue_id: i64, now: Timestamp, agent: Option<&str>) -> Result<()> {
    let now = now.to_string();
    let reset = "state = 'pending', attempts = 0, next_attempt_at = NULL, error_code = NULL,
                 error_message = NULL, updated_at = ?2, agent = coalesce(?3, agent)";
    let create_rows = db
        .prepare_cached(&format!(
            "UPDATE outbox SET {reset} WHERE issue_id = ?1 AND kind = 'create'"
        ))?
        .execute((issue_id, &now, agent))?;
    if create_rows > 0 {
        return Ok(());
    }
    db.prepare_cached(&format!(
        "INSERT INTO outbox (issue_id, kind, created_at, updated_at, agent)
             VALUES (?1, 'update', ?2, ?2, ?3)
             ON CONFLICT (issue_id) WHERE kind = 'update' DO UPDATE SET {reset}"
    ))?
    .execute((issue_id, &now, agent))?;
    Ok(())
}

/// Makes sure an update row exists for `issue_id` without clearing a refusal (the sync
/// engine found local changes still to send).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn ensure_update(db: &Db, issue_id: i64, now: Timestamp) -> Result<()> {
    db.prepare_cached(
        "INSERT INTO outbox (issue_id, kind, created_at, updated_at)
         VALUES (?1, 'update', ?2, ?2)
         ON CONFLICT (issue_id) WHERE kind = 'update' DO NOTHING",
    )?
    .execute((issue_id, now.to_string()))?;
    Ok(())
}

/// Queues the create of a local issue.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn add_create(
    db: &Db,
    issue_id: i64,
    client_id: &str,
    now: Timestamp,
    agent: Option<&str>,
) -> Result<()> {
    db.prepare_cached(
        "INSERT INTO outbox (issue_id, kind, client_id, created_at, updated_at, agent)
         VALUES (?1, 'create', ?2, ?3, ?3, ?4)",
    )?
    .execute((issue_id, client_id, now.to_string(), agent))?;
    Ok(())
}

/// Queues a local comment.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn add_comment(
    db: &Db,
    issue_id: i64,
    comment_id: i64,
    client_id: &str,
    now: Timestamp,
    agent: Option<&str>,
) -> Result<()> {
    db.prepare_cached(
        "INSERT INTO outbox (issue_id, comment_id, kind, client_id, created_at, updated_at,
             agent)
         VALUES (?1, ?2, 'comment', ?3, ?4, ?4, ?5)",
    )?
    .execute((issue_id, comment_id, client_id, now.to_string(), agent))?;
    Ok(())
}

/// Pending rows of a connection's repositories that are due at `now`, oldest first.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn due(db: &Db, repo_id: i64, now: Timestamp) -> Result<Vec<OutboxEntry>> {
    query(
        db,
        &format!(
            "SELECT {} FROM outbox o JOIN issues i ON i.id = o.issue_id
             WHERE i.repo_id = ?1 AND o.state = 'pending'
               AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?2)
             ORDER BY o.id",
            prefixed("o")
        ),
        (repo_id, now.to_string()),
    )
}

/// Every row of an issue, oldest first.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn for_issue(db: &Db, issue_id: i64) -> Result<Vec<OutboxEntry>> {
    query(
        db,
        &format!("SELECT {COLUMNS} FROM outbox WHERE issue_id = ?1 ORDER BY id"),
        [issue_id],
    )
}

/// One row by id, if it still exists.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn get(db: &Db, id: i64) -> Result<Option<OutboxEntry>> {
    Ok(query(
        db,
        &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
        [id],
    )?
    .pop())
}

fn prefixed(table: &str) -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Notes, durably, that a create or comment is about to be sent.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn mark_sending(db: &Db, id: i64, now: Timestamp) -> Result<()> {
    db.prepare_cached(
        "UPDATE outbox SET sent_at = coalesce(sent_at, ?2), updated_at = ?2 WHERE id = ?1",
    )?
    .execute((id, now.to_string()))?;
    Ok(())
}

/// A transient failure: try again at `next_attempt_at`.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn defer(
    db: &Db,
    id: i64,
    next_attempt_at: Timestamp,
    error_code: &str,
    error_message: &str,
    now: Timestamp,
) -> Result<()> {
    db.prepare_cached(
        "UPDATE outbox SET next_attempt_at = ?2, error_code = ?3, error_message = ?4,
             attempts = attempts + 1, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute((
        id,
        next_attempt_at.to_string(),
        error_code,
        error_message,
        now.to_string(),
    ))?;
    Ok(())
}

/// A refusal for good: keep the change, stop pushing it, remember why.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn fail(db: &Db, id: i64, error_code: &str, error_message: &str, now: Timestamp) -> Result<()> {
    db.prepare_cached(
        "UPDATE outbox SET state = 'failed', next_attempt_at = NULL, error_code = ?2,
             error_message = ?3, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute((id, error_code, error_message, now.to_string()))?;
    Ok(())
}

/// A refusal for good of an issue's update row.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn fail_update(
    db: &Db,
    issue_id: i64,
    error_code: &str,
    error_message: &str,
    now: Timestamp,
) -> Result<()> {
    db.prepare_cached(
        "UPDATE outbox SET state = 'failed', next_attempt_at = NULL, error_code = ?2,
             error_message = ?3, updated_at = ?4
         WHERE issue_id = ?1 AND kind = 'update'",
    )?
    .execute((issue_id, error_code, error_message, now.to_string()))?;
    Ok(())
}

/// Done: the tracker has it.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn remove(db: &Db, id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM outbox WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Drops the update row of an issue (nothing is left to send).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn remove_update(db: &Db, issue_id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM outbox WHERE issue_id = ?1 AND kind = 'update'")?
        .execute([issue_id])?;
    Ok(())
}

/// The agent whose create of `issue_id` waits, if an agent made it.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn create_agent(db: &Db, issue_id: i64) -> Result<Option<String>> {
    Ok(super::optional(
        db.prepare_cached("SELECT agent FROM outbox WHERE issue_id = ?1 AND kind = 'create'")?
            .query_row([issue_id], |r| r.get::<_, Option<String>>(0)),
    )?
    .flatten())
}

/// Drops the create row of an issue (the tracker has it now).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn remove_create(db: &Db, issue_id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM outbox WHERE issue_id = ?1 AND kind = 'create'")?
        .execute([issue_id])?;
    Ok(())
}

/// Drops the row of a pushed (or adopted) comment.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn remove_comment(db: &Db, comment_id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM outbox WHERE comment_id = ?1")?
        .execute([comment_id])?;
    Ok(())
}

/// Drops every row of an issue (its local changes were discarded).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn remove_all(db: &Db, issue_id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM outbox WHERE issue_id = ?1")?
        .execute([issue_id])?;
    Ok(())
}

/// Makes the failed rows of a repository pending again. Returns how many.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn retry_failed(db: &Db, repo_id: i64, now: Timestamp) -> Result<usize> {
    Ok(db
        .prepare_cached(
            "UPDATE outbox SET state = 'pending', next_attempt_at = NULL, updated_at = ?2
         WHERE state = 'failed' AND issue_id IN (SELECT id FROM issues WHERE repo_id = ?1)",
        )?
        .execute((repo_id, now.to_string()))?)
}

/// Makes the failed rows of one issue pending again. Returns how many.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn retry_failed_of_issue(db: &Db, issue_id: i64, now: Timestamp) -> Result<usize> {
    Ok(db
        .prepare_cached(
            "UPDATE outbox SET state = 'pending', next_attempt_at = NULL, attempts = 0,
             updated_at = ?2
         WHERE state = 'failed' AND issue_id = ?1",
        )?
        .execute((issue_id, now.to_string()))?)
}

/// How many rows wait, and how many of them failed, across all repositories.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn counts(db: &Db) -> Result<(u64, u64)> {
    let (all, failed): (i64, i64) = db
        .prepare_cached("SELECT count(*), coalesce(sum(state = 'failed'), 0) FROM outbox")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((all as u64, failed as u64))
}

/// How many rows of repository `repo_id` wait, pending or failed: local changes that are
/// not on the tracker.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn count_for_repo(db: &Db, repo_id: i64) -> Result<u64> {
    let count: i64 = db
        .prepare_cached(
            "SELECT count(*) FROM outbox o JOIN issues i ON i.id = o.issue_id WHERE i.repo_id = ?1",
        )?
        .query_row([repo_id], |r| r.get(0))?;
    Ok(count as u64)
}
