//! The `sync_log` table: an append-only audit trail of every sync operation — when,
//! what, on which connection/repo/issue, and the result.
//!
//! Invariant: rows are only ever inserted; `detail` is written by the sync engine from
//! error messages that never contain a token.

use rusqlite::Connection as Db;
use serde::Serialize;
use ts_rs::TS;

use super::{timestamp, Result};
use crate::model::{Repo, Timestamp};

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum LogResult {
    Ok,
    Error,
    Skipped,
}

impl LogResult {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Skipped => "skipped",
        }
    }
}

/// One row to append.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    pub connection_id: Option<i64>,
    pub repo_id: Option<i64>,
    pub issue_id: Option<i64>,
    pub operation: &'a str,
    pub result: LogResult,
    pub detail: &'a str,
    /// The agent (MCP client) on whose behalf this was done; `None` for a person or the
    /// sync engine itself.
    pub agent: Option<&'a str>,
}

impl<'a> LogEntry<'a> {
    /// A row about one issue of `repo`.
    pub fn for_issue(
        repo: &Repo,
        issue_id: i64,
        operation: &'a str,
        result: LogResult,
        detail: &'a str,
    ) -> Self {
        Self {
            connection_id: Some(repo.connection_id),
            repo_id: Some(repo.id),
            issue_id: Some(issue_id),
            operation,
            result,
            detail,
            agent: None,
        }
    }

    /// The same row, marked as done for `agent` (when there is one).
    pub fn by_agent(self, agent: Option<&'a str>) -> Self {
        Self { agent, ..self }
    }
}

/// A stored row, with names resolved for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LogRecord {
    pub id: i64,
    pub at: Timestamp,
    pub connection: Option<String>,
    pub repo: Option<String>,
    pub issue_number: Option<u64>,
    pub operation: String,
    pub result: String,
    pub detail: String,
    /// The agent (MCP client name) that made this change, when one did.
    #[ts(optional = nullable)]
    pub agent: Option<String>,
}

/// Appends one row, stamped `at`.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn append(db: &Db, at: Timestamp, entry: &LogEntry<'_>) -> Result<()> {
    db.prepare_cached(
        "INSERT INTO sync_log (at, connection_id, repo_id, issue_id, operation, result, detail,
             agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute((
        at.to_string(),
        entry.connection_id,
        entry.repo_id,
        entry.issue_id,
        entry.operation,
        entry.result.as_str(),
        entry.detail,
        entry.agent,
    ))?;
    Ok(())
}

/// The newest `limit` rows, newest first; only those of one issue when `issue_id` is
/// given.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn recent(db: &Db, limit: u32, issue_id: Option<i64>) -> Result<Vec<LogRecord>> {
    let mut stmt = db.prepare_cached(
        "SELECT l.id, l.at, c.name, r.full_path, i.number, l.operation, l.result, l.detail,
                l.agent
         FROM sync_log l
         LEFT JOIN connections c ON c.id = l.connection_id
         LEFT JOIN repos r ON r.id = l.repo_id
         LEFT JOIN issues i ON i.id = l.issue_id
         WHERE ?2 IS NULL OR l.issue_id = ?2
         ORDER BY l.id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map((limit, issue_id), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, Option<String>>(8)?,
        ))
    })?;
    rows.map(|row| {
        let (id, at, connection, repo, number, operation, result, detail, agent) = row?;
        Ok(LogRecord {
            id,
            at: timestamp(at)?,
            connection,
            repo,
            issue_number: number.map(|n| n as u64),
            operation,
            result,
            detail,
            agent,
        })
    })
    .collect()
}

/// How many sync attempts of a connection failed in a row (newest first, up to its
/// last success), with the newest failure's message.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn failure_streak(db: &Db, connection_id: i64) -> Result<(u32, Option<String>)> {
    let mut stmt = db.prepare_cached(
        "SELECT result, detail FROM sync_log
         WHERE connection_id = ?1 AND operation IN ('pull', 'sync')
         ORDER BY id DESC LIMIT 100",
    )?;
    let rows = stmt.query_map([connection_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut streak = 0;
    let mut newest = None;
    for row in rows {
        let (result, detail) = row?;
        if result != "error" {
            break;
        }
        if newest.is_none() {
            newest = Some(detail);
        }
        streak += 1;
    }
    Ok((streak, newest))
}
