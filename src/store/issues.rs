//! The `issues` table with its label and assignee sets and its base snapshots.
//!
//! Invariants:
//! - A pulled remote issue always replaces the base snapshot (`issue_bases`), the last
//!   remote version seen. It replaces the working copy only while the issue has no local
//!   changes (`sync_status = 'synced'`): a pull never overwrites a local edit.
//! - Issues are never deleted because the tracker lost them; they are marked
//!   `remote_status = 'deleted' | 'moved'` and stay readable.
//! - The FTS index row of an issue is refreshed in the same transaction as the issue.

use rusqlite::{params_from_iter, types::Value, Connection as Db, Row};

use super::{opt_timestamp, optional, search, timestamp, Result, StoreError};
use crate::model::{
    issue_reference, normalize_set, Issue, IssueState, RemoteIssue, RemoteStatus, Repo, SyncStatus,
    Timestamp,
};

/// What [`upsert_remote`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created,
    Updated,
    /// The tracker's version equals the stored base.
    Unchanged,
    /// The base moved but the working copy has local changes and was kept.
    KeptLocal,
}

/// Stores one pulled issue of `repo`: the base snapshot always, the working copy unless it
/// has local changes; also the people and milestone it mentions, and its search row.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn upsert_remote(
    db: &Db,
    repo: &Repo,
    issue: &RemoteIssue,
    remote_url: &str,
    now: Timestamp,
) -> Result<(i64, UpsertOutcome)> {
    let snapshot =
        serde_json::to_string(issue).map_err(|e| StoreError::corrupt("issue snapshot", e))?;
    remember_people_and_milestone(db, repo, issue)?;

    let existing: Option<(i64, String, Option<String>)> = optional(db.query_row(
        "SELECT i.id, i.sync_status, b.snapshot FROM issues i
         LEFT JOIN issue_bases b ON b.issue_id = i.id
         WHERE i.repo_id = ?1 AND (i.remote_id = ?2 OR i.number = ?3)
         ORDER BY i.remote_id = ?2 DESC LIMIT 1",
        (repo.id, issue.remote_id, issue.number as i64),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    ))?;

    let (issue_id, outcome) = match existing {
        None => {
            db.execute(
                "INSERT INTO issues (repo_id, remote_id, number, title, body, state, state_reason,
                     milestone, milestone_remote_id, author, created_at, updated_at, closed_at,
                     remote_url, remote_status, sync_status)
                 VALUES (?1, ?2, ?3, '', '', 'open', NULL, NULL, NULL, NULL, ?4, ?4, NULL, ?5,
                     ?6, 'synced')",
                (
                    repo.id,
                    issue.remote_id,
                    issue.number as i64,
                    issue.created_at.to_string(),
                    remote_url,
                    remote_status(issue).as_str(),
                ),
            )?;
            let id = db.last_insert_rowid();
            write_working_copy(db, id, issue, remote_url)?;
            (id, UpsertOutcome::Created)
        }
        Some((id, sync_status, old_snapshot)) => {
            let unchanged = old_snapshot.as_deref() == Some(snapshot.as_str());
            db.execute(
                "UPDATE issues SET remote_status = ?4, remote_id = ?2, remote_url = ?3
                 WHERE id = ?1",
                (
                    id,
                    issue.remote_id,
                    remote_url,
                    remote_status(issue).as_str(),
                ),
            )?;
            if sync_status == SyncStatus::Synced.as_str() {
                write_working_copy(db, id, issue, remote_url)?;
                let outcome = if unchanged {
                    UpsertOutcome::Unchanged
                } else {
                    UpsertOutcome::Updated
                };
                (id, outcome)
            } else if unchanged {
                (id, UpsertOutcome::Unchanged)
            } else {
                (id, UpsertOutcome::KeptLocal)
            }
        }
    };

    db.execute(
        "INSERT INTO issue_bases (issue_id, snapshot, updated_at, fetched_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (issue_id) DO UPDATE SET snapshot = excluded.snapshot,
             updated_at = excluded.updated_at, fetched_at = excluded.fetched_at",
        (
            issue_id,
            snapshot,
            issue.updated_at.to_string(),
            now.to_string(),
        ),
    )?;
    search::refresh(db, issue_id)?;
    Ok((issue_id, outcome))
}

/// Present, or moved when the tracker names where the issue went.
fn remote_status(issue: &RemoteIssue) -> RemoteStatus {
    if issue.moved_to.is_some() {
        RemoteStatus::Moved
    } else {
        RemoteStatus::Present
    }
}

fn write_working_copy(db: &Db, id: i64, issue: &RemoteIssue, remote_url: &str) -> Result<()> {
    db.execute(
        "UPDATE issues SET number = ?2, title = ?3, body = ?4, state = ?5, state_reason = ?6,
             milestone = ?7, milestone_remote_id = ?8, author = ?9, created_at = ?10,
             updated_at = ?11, closed_at = ?12, remote_url = ?13
         WHERE id = ?1",
        rusqlite::params![
            id,
            issue.number as i64,
            issue.title,
            issue.body,
            issue.state.as_str(),
            issue.state_reason,
            issue.milestone.as_ref().map(|m| m.title.as_str()),
            issue.milestone.as_ref().map(|m| m.remote_id),
            issue.author.as_ref().map(|a| a.login.as_str()),
            issue.created_at.to_string(),
            issue.updated_at.to_string(),
            issue.closed_at.map(|t| t.to_string()),
            remote_url,
        ],
    )?;
    db.execute("DELETE FROM issue_labels WHERE issue_id = ?1", [id])?;
    for name in normalize_set(issue.labels.iter().map(|l| l.name.clone())) {
        db.execute(
            "INSERT INTO issue_labels (issue_id, name) VALUES (?1, ?2)",
            (id, name),
        )?;
    }
    db.execute("DELETE FROM issue_assignees WHERE issue_id = ?1", [id])?;
    for login in normalize_set(issue.assignees.iter().map(|a| a.login.clone())) {
        db.execute(
            "INSERT INTO issue_assignees (issue_id, login) VALUES (?1, ?2)",
            (id, login),
        )?;
    }
    Ok(())
}

fn remember_people_and_milestone(db: &Db, repo: &Repo, issue: &RemoteIssue) -> Result<()> {
    for user in issue.author.iter().chain(issue.assignees.iter()) {
        super::comments::remember_user(db, repo.connection_id, user)?;
    }
    for label in &issue.labels {
        super::labels::upsert_label(db, repo.id, label)?;
    }
    if let Some(milestone) = &issue.milestone {
        super::labels::upsert_milestone(db, repo.id, milestone)?;
    }
    Ok(())
}

/// Marks an issue as gone from the tracker. Its data and any local edit stay.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn mark_remote_status(db: &Db, issue_id: i64, status: RemoteStatus) -> Result<()> {
    db.execute(
        "UPDATE issues SET remote_status = ?2 WHERE id = ?1",
        (issue_id, status.as_str()),
    )?;
    Ok(())
}

/// The issues of a repository still believed present: (local id, number).
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn present_numbers(db: &Db, repo_id: i64) -> Result<Vec<(i64, u64)>> {
    let mut stmt = db.prepare(
        "SELECT id, number FROM issues WHERE repo_id = ?1 AND remote_status = 'present'
         ORDER BY number",
    )?;
    let rows = stmt.query_map([repo_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The numbers of the issues of `repo_id` whose base was stored at or after `since`.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn numbers_fetched_since(
    db: &Db,
    repo_id: i64,
    since: Timestamp,
) -> Result<std::collections::HashSet<u64>> {
    let mut stmt = db.prepare(
        "SELECT i.number FROM issues i JOIN issue_bases b ON b.issue_id = i.id
         WHERE i.repo_id = ?1 AND b.fetched_at >= ?2",
    )?;
    let rows = stmt.query_map((repo_id, since.to_string()), |r| r.get::<_, i64>(0))?;
    rows.map(|n| Ok(n? as u64)).collect()
}

/// Issues of `repo_id` whose comments are due: the tracker's `updated_at` (base) moved
/// past the last comment fetch. Returns (local id, number, base updated_at).
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn comments_due(db: &Db, repo_id: i64) -> Result<Vec<(i64, u64, Timestamp)>> {
    let mut stmt = db.prepare(
        "SELECT i.id, i.number, b.updated_at FROM issues i JOIN issue_bases b ON b.issue_id = i.id
         WHERE i.repo_id = ?1 AND i.remote_status = 'present'
           AND (i.comments_synced_at IS NULL OR i.comments_synced_at < b.updated_at)
         ORDER BY b.updated_at",
    )?;
    let rows = stmt.query_map([repo_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (id, number, updated) = row?;
        Ok((id, number as u64, timestamp(updated)?))
    })
    .collect()
}

/// Records that the comments of an issue were fetched as of its `updated_at`.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn mark_comments_synced(db: &Db, issue_id: i64, updated_at: Timestamp) -> Result<()> {
    db.execute(
        "UPDATE issues SET comments_synced_at = ?2 WHERE id = ?1",
        (issue_id, updated_at.to_string()),
    )?;
    Ok(())
}

/// The local id of issue `number` in `repo_id`, if mirrored.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn id_by_number(db: &Db, repo_id: i64, number: u64) -> Result<Option<i64>> {
    optional(db.query_row(
        "SELECT id FROM issues WHERE repo_id = ?1 AND number = ?2",
        (repo_id, number as i64),
        |r| r.get(0),
    ))
}

/// Which issues [`list`] returns. `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct IssueQuery {
    pub state: Option<IssueState>,
    pub connection: Option<String>,
    pub repo: Option<String>,
    pub search: Option<String>,
    pub label: Option<String>,
    pub assignee: Option<String>,
    pub limit: Option<u32>,
}

const ISSUE_SELECT: &str = "SELECT i.id, c.name, c.provider, r.full_path, i.number, i.title,
        i.body, i.state, i.state_reason,
        (SELECT json_group_array(name) FROM
            (SELECT name FROM issue_labels WHERE issue_id = i.id ORDER BY name)),
        (SELECT json_group_array(login) FROM
            (SELECT login FROM issue_assignees WHERE issue_id = i.id ORDER BY login)),
        i.milestone, i.author, i.created_at, i.updated_at, i.closed_at, i.remote_url,
        i.sync_status, i.remote_status
    FROM issues i
    JOIN repos r ON r.id = i.repo_id
    JOIN connections c ON c.id = r.connection_id";

struct RawIssue {
    id: i64,
    connection: String,
    provider: String,
    repo: String,
    number: i64,
    title: String,
    body: String,
    state: String,
    state_reason: Option<String>,
    labels: String,
    assignees: String,
    milestone: Option<String>,
    author: Option<String>,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    remote_url: String,
    sync_status: String,
    remote_status: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawIssue> {
    Ok(RawIssue {
        id: row.get(0)?,
        connection: row.get(1)?,
        provider: row.get(2)?,
        repo: row.get(3)?,
        number: row.get(4)?,
        title: row.get(5)?,
        body: row.get(6)?,
        state: row.get(7)?,
        state_reason: row.get(8)?,
        labels: row.get(9)?,
        assignees: row.get(10)?,
        milestone: row.get(11)?,
        author: row.get(12)?,
        created_at: row.get(13)?,
        updated_at: row.get(14)?,
        closed_at: row.get(15)?,
        remote_url: row.get(16)?,
        sync_status: row.get(17)?,
        remote_status: row.get(18)?,
    })
}

fn finish(raw: RawIssue) -> Result<Issue> {
    let sync_status = match raw.sync_status.as_str() {
        "pending" => SyncStatus::Pending,
        "conflict" => SyncStatus::Conflict,
        _ => SyncStatus::Synced,
    };
    let number = raw.number as u64;
    Ok(Issue {
        id: raw.id,
        reference: issue_reference(&raw.connection, &raw.repo, number),
        provider: raw
            .provider
            .parse()
            .map_err(|e| StoreError::corrupt("connection provider", e))?,
        connection: raw.connection,
        repo: raw.repo,
        number,
        title: raw.title,
        body: raw.body,
        state: raw
            .state
            .parse()
            .map_err(|e| StoreError::corrupt("issue state", e))?,
        state_reason: raw.state_reason,
        labels: serde_json::from_str(&raw.labels)
            .map_err(|e| StoreError::corrupt("issue labels", e))?,
        assignees: serde_json::from_str(&raw.assignees)
            .map_err(|e| StoreError::corrupt("issue assignees", e))?,
        milestone: raw.milestone,
        author: raw.author,
        created_at: timestamp(raw.created_at)?,
        updated_at: timestamp(raw.updated_at)?,
        closed_at: opt_timestamp(raw.closed_at)?,
        remote_url: raw.remote_url,
        sync_status,
        remote_status: raw
            .remote_status
            .parse()
            .map_err(|e| StoreError::corrupt("issue remote status", e))?,
    })
}

/// Issues matching `query`: best full-text match first when searching, else most
/// recently updated first.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn list(db: &Db, query: &IssueQuery) -> Result<Vec<Issue>> {
    let mut sql = String::from(ISSUE_SELECT);
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let fts = query.search.as_deref().and_then(search::match_expression);
    let ranked = fts.is_some();
    if let Some(expr) = fts {
        sql.push_str(" JOIN issue_search s ON s.rowid = i.id");
        conditions.push("issue_search MATCH ?");
        values.push(Value::Text(expr));
    }
    if let Some(state) = query.state {
        conditions.push("i.state = ?");
        values.push(Value::Text(state.as_str().to_string()));
    }
    if let Some(connection) = &query.connection {
        conditions.push("c.name = ?");
        values.push(Value::Text(connection.clone()));
    }
    if let Some(repo) = &query.repo {
        conditions.push("r.full_path = ?");
        values.push(Value::Text(repo.clone()));
    }
    if let Some(label) = &query.label {
        conditions
            .push("EXISTS (SELECT 1 FROM issue_labels l WHERE l.issue_id = i.id AND l.name = ?)");
        values.push(Value::Text(label.clone()));
    }
    if let Some(assignee) = &query.assignee {
        conditions.push(
            "EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id AND a.login = ?)",
        );
        values.push(Value::Text(assignee.clone()));
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    if ranked {
        sql.push_str(" ORDER BY s.rank, i.updated_at DESC");
    } else {
        sql.push_str(" ORDER BY i.updated_at DESC, i.id DESC");
    }
    if let Some(limit) = query.limit {
        sql.push_str(" LIMIT ?");
        values.push(Value::Integer(i64::from(limit)));
    }
    let mut stmt = db.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), from_row)?;
    rows.map(|r| finish(r?)).collect()
}

/// The issue with local id `id`.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn by_id(db: &Db, id: i64) -> Result<Option<Issue>> {
    optional(db.query_row(&format!("{ISSUE_SELECT} WHERE i.id = ?1"), [id], from_row))?
        .map(finish)
        .transpose()
}

/// Issue `number` of repository `repo` of connection `connection`.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn by_reference(db: &Db, connection: &str, repo: &str, number: u64) -> Result<Option<Issue>> {
    optional(db.query_row(
        &format!("{ISSUE_SELECT} WHERE c.name = ?1 AND r.full_path = ?2 AND i.number = ?3"),
        (connection, repo, number as i64),
        from_row,
    ))?
    .map(finish)
    .transpose()
}

/// The base snapshot of an issue: the last remote version seen.
///
/// # Errors
/// [`StoreError`] on a read failure or an unreadable snapshot.
pub fn base_snapshot(db: &Db, issue_id: i64) -> Result<Option<RemoteIssue>> {
    let text: Option<String> = optional(db.query_row(
        "SELECT snapshot FROM issue_bases WHERE issue_id = ?1",
        [issue_id],
        |r| r.get(0),
    ))?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::corrupt("issue snapshot", e)))
        .transpose()
}
