//! The `issues` table with its label and assignee sets and its base snapshots.
//!
//! Invariants:
//! - `issues` holds the working copy: the tracker's version plus the person's pending
//!   edits. `issue_bases` holds the last version the tracker sent (the merge base).
//!   Which of the two a change goes to is the sync engine's decision (`sync::observe`);
//!   this module only stores.
//! - An issue created here has no number, remote id or URL until its create is pushed.
//! - The sync status is derived (conflicts, then failed or pending outbox rows), never
//!   stored, so it cannot disagree with them.
//! - Issues are never deleted because the tracker lost them; they are marked
//!   `remote_status = 'deleted' | 'moved'` and stay readable.
//! - The FTS index row of an issue is refreshed in the same transaction as the issue.

use rusqlite::{params_from_iter, types::Value, Connection as Db, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{opt_timestamp, optional, search, timestamp, Result, StoreError};
use crate::model::{
    issue_reference, normalize_set, Issue, IssueFields, IssueState, ProviderKind, RemoteIssue,
    RemoteStatus, Repo, SyncStatus, Timestamp,
};

/// Inserts a newly pulled issue: working copy and base are both the tracker's version.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn insert_remote(
    db: &Db,
    repo: &Repo,
    issue: &RemoteIssue,
    remote_url: &str,
    now: Timestamp,
) -> Result<i64> {
    db.prepare_cached(
        "INSERT INTO issues (repo_id, remote_id, number, title, body, state, created_at,
             updated_at, remote_url)
         VALUES (?1, ?2, ?3, '', '', 'open', ?4, ?4, ?5)",
    )?
    .execute((
        repo.id,
        issue.remote_id,
        issue.number as i64,
        issue.created_at.to_string(),
        remote_url,
    ))?;
    let id = db.last_insert_rowid();
    write_fields(
        db,
        repo.id,
        id,
        &IssueFields::of_remote(issue),
        issue.updated_at,
    )?;
    store_remote(db, repo, id, issue, remote_url, now)?;
    Ok(id)
}

/// Records what the tracker has for an issue: the base snapshot and the facts only the
/// tracker decides (number, author, times, URL, whether it still exists). The editable
/// fields of the working copy are not touched; see [`write_fields`].
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn store_remote(
    db: &Db,
    repo: &Repo,
    issue_id: i64,
    issue: &RemoteIssue,
    remote_url: &str,
    now: Timestamp,
) -> Result<()> {
    remember_people_and_milestone(db, repo, issue)?;
    let snapshot =
        serde_json::to_string(issue).map_err(|e| StoreError::corrupt("issue snapshot", e))?;
    db.prepare_cached(
        "UPDATE issues SET remote_id = ?2, number = ?3, author = ?4, created_at = ?5,
             closed_at = ?6, remote_url = ?7, remote_status = ?8
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        issue_id,
        issue.remote_id,
        issue.number as i64,
        issue.author.as_ref().map(|a| a.login.as_str()),
        issue.created_at.to_string(),
        issue.closed_at.map(|t| t.to_string()),
        remote_url,
        remote_status(issue).as_str(),
    ])?;
    db.prepare_cached("INSERT INTO issue_bases (issue_id, snapshot, updated_at, fetched_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (issue_id) DO UPDATE SET snapshot = excluded.snapshot,
             updated_at = excluded.updated_at, fetched_at = excluded.fetched_at")?.execute((
            issue_id,
            snapshot,
            issue.updated_at.to_string(),
            now.to_string(),
        ),
    )?;
    Ok(())
}

/// Notes that the tracker sent this issue again unchanged (a full listing saw it).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn touch_remote(db: &Db, issue_id: i64, issue: &RemoteIssue, now: Timestamp) -> Result<()> {
    db.prepare_cached("UPDATE issue_bases SET fetched_at = ?2 WHERE issue_id = ?1")?
        .execute((issue_id, now.to_string()))?;
    db.prepare_cached("UPDATE issues SET remote_status = ?2 WHERE id = ?1")?
        .execute((issue_id, remote_status(issue).as_str()))?;
    Ok(())
}

/// Present, or moved when the tracker names where the issue went.
fn remote_status(issue: &RemoteIssue) -> RemoteStatus {
    if issue.moved_to.is_some() {
        RemoteStatus::Moved
    } else {
        RemoteStatus::Present
    }
}

/// Writes the editable fields of the working copy (and queues its search row). `updated_at` is
/// the working copy's time: the tracker's for pulled values, the edit's for local ones.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn write_fields(
    db: &Db,
    repo_id: i64,
    id: i64,
    fields: &IssueFields,
    updated_at: Timestamp,
) -> Result<()> {
    let milestone_remote_id: Option<i64> = match &fields.milestone {
        Some(title) => optional(
            db.prepare_cached(
                "SELECT remote_id FROM milestones WHERE repo_id = ?1 AND title = ?2",
            )?
            .query_row((repo_id, title), |r| r.get(0)),
        )?,
        None => None,
    };
    db.prepare_cached(
        "UPDATE issues SET title = ?2, body = ?3, state = ?4, state_reason = ?5,
             milestone = ?6, milestone_remote_id = ?7, updated_at = ?8
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        id,
        fields.title,
        fields.body,
        fields.state.as_str(),
        fields.state_reason,
        fields.milestone,
        milestone_remote_id,
        updated_at.to_string(),
    ])?;
    db.prepare_cached("DELETE FROM issue_labels WHERE issue_id = ?1")?
        .execute([id])?;
    for name in normalize_set(fields.labels.iter().cloned()) {
        db.prepare_cached("INSERT INTO issue_labels (issue_id, name) VALUES (?1, ?2)")?
            .execute((id, name))?;
    }
    db.prepare_cached("DELETE FROM issue_assignees WHERE issue_id = ?1")?
        .execute([id])?;
    for login in normalize_set(fields.assignees.iter().cloned()) {
        db.prepare_cached("INSERT INTO issue_assignees (issue_id, login) VALUES (?1, ?2)")?
            .execute((id, login))?;
    }
    search::queue(db, id)?;
    Ok(())
}

/// The editable fields of the working copy.
///
/// # Errors
/// [`StoreError`] on a read failure or an unknown issue.
pub fn fields(db: &Db, id: i64) -> Result<IssueFields> {
    let (title, body, state, state_reason, milestone): (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    ) = db
        .prepare_cached(
            "SELECT title, body, state, state_reason, milestone FROM issues WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    let names = |sql: &str| -> Result<Vec<String>> {
        let mut stmt = db.prepare_cached(sql)?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    Ok(IssueFields {
        title,
        body,
        state: state
            .parse()
            .map_err(|e| StoreError::corrupt("issue state", e))?,
        state_reason,
        labels: names("SELECT name FROM issue_labels WHERE issue_id = ?1 ORDER BY name")?,
        assignees: names("SELECT login FROM issue_assignees WHERE issue_id = ?1 ORDER BY login")?,
        milestone,
    })
}

/// When the working copy last changed (a pull or a local edit).
///
/// # Errors
/// [`StoreError`] on a read failure or an unknown issue.
pub fn updated_at(db: &Db, id: i64) -> Result<Timestamp> {
    timestamp(
        db.prepare_cached("SELECT updated_at FROM issues WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?,
    )
}

/// A local issue that only exists here so far.
pub struct NewLocalIssue<'a> {
    pub repo_id: i64,
    pub fields: &'a IssueFields,
    pub author: Option<&'a str>,
    pub client_id: &'a str,
}

/// Inserts an issue created here; it has no number until the create is pushed.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn insert_local(db: &Db, new: &NewLocalIssue<'_>, now: Timestamp) -> Result<i64> {
    db.prepare_cached(
        "INSERT INTO issues (repo_id, title, body, state, author, created_at, updated_at,
             client_id)
         VALUES (?1, '', '', 'open', ?2, ?3, ?3, ?4)",
    )?
    .execute((new.repo_id, new.author, now.to_string(), new.client_id))?;
    let id = db.last_insert_rowid();
    write_fields(db, new.repo_id, id, new.fields, now)?;
    Ok(id)
}

/// The local create of `repo_id` carrying `client_id`, still without a number.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn unpushed_by_client_id(db: &Db, repo_id: i64, client_id: &str) -> Result<Option<i64>> {
    optional(
        db.prepare_cached(
            "SELECT id FROM issues WHERE repo_id = ?1 AND client_id = ?2 AND number IS NULL",
        )?
        .query_row((repo_id, client_id), |r| r.get(0)),
    )
}

/// The local issue a pulled one is: same remote id, else same number.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn find_for_remote(db: &Db, repo_id: i64, issue: &RemoteIssue) -> Result<Option<i64>> {
    optional(
        db.prepare_cached(
            "SELECT id FROM issues WHERE repo_id = ?1 AND (remote_id = ?2 OR number = ?3)
         ORDER BY remote_id = ?2 DESC LIMIT 1",
        )?
        .query_row((repo_id, issue.remote_id, issue.number as i64), |r| {
            r.get(0)
        }),
    )
}

/// Deletes an issue that exists only locally (a discarded create).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn delete_local(db: &Db, id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM issue_search WHERE rowid = ?1")?
        .execute([id])?;
    db.prepare_cached("DELETE FROM issues WHERE id = ?1 AND number IS NULL")?
        .execute([id])?;
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
    db.prepare_cached("UPDATE issues SET remote_status = ?2 WHERE id = ?1")?
        .execute((issue_id, status.as_str()))?;
    Ok(())
}

/// The issues of a repository still believed present: (local id, number).
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn present_numbers(db: &Db, repo_id: i64) -> Result<Vec<(i64, u64)>> {
    let mut stmt = db.prepare_cached(
        "SELECT id, number FROM issues
         WHERE repo_id = ?1 AND remote_status = 'present' AND number IS NOT NULL
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
    let mut stmt = db.prepare_cached(
        "SELECT i.number FROM issues i JOIN issue_bases b ON b.issue_id = i.id
         WHERE i.repo_id = ?1 AND b.fetched_at >= ?2",
    )?;
    let rows = stmt.query_map((repo_id, since.to_string()), |r| r.get::<_, i64>(0))?;
    rows.map(|n| Ok(n? as u64)).collect()
}

/// Marks the issues `numbers` of a repository as just listed (a 304 page stood for
/// them): a full listing then counts them present.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn touch_listed(db: &Db, repo_id: i64, numbers: &[u64], now: Timestamp) -> Result<()> {
    let mut stmt = db.prepare_cached(
        "UPDATE issue_bases SET fetched_at = ?3 WHERE issue_id =
             (SELECT id FROM issues WHERE repo_id = ?1 AND number = ?2)",
    )?;
    for number in numbers {
        stmt.execute((repo_id, *number as i64, now.to_string()))?;
    }
    Ok(())
}

/// The newest tracker `updated_at` among the bases of the issues `numbers` (what a
/// 304 page held).
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn newest_base_update(db: &Db, repo_id: i64, numbers: &[u64]) -> Result<Option<Timestamp>> {
    let mut stmt = db.prepare_cached(
        "SELECT b.updated_at FROM issues i JOIN issue_bases b ON b.issue_id = i.id
         WHERE i.repo_id = ?1 AND i.number = ?2",
    )?;
    let mut newest: Option<Timestamp> = None;
    for number in numbers {
        let at: Option<String> =
            super::optional(stmt.query_row((repo_id, *number as i64), |r| r.get(0)))?;
        if let Some(at) = at {
            let at = super::timestamp(at)?;
            newest = Some(newest.map_or(at, |n| n.max(at)));
        }
    }
    Ok(newest)
}

/// An issue whose comments should be fetched again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentsDue {
    pub issue_id: i64,
    pub number: u64,
    /// The tracker's `updated_at` the fetch brings the comments up to.
    pub updated_at: Timestamp,
    /// How many comments the tracker reported, if it did.
    pub comment_count: Option<u64>,
}

/// Issues of `repo_id` whose comments are due: the tracker's `updated_at` (base) moved
/// past the last comment fetch.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn comments_due(db: &Db, repo_id: i64) -> Result<Vec<CommentsDue>> {
    let mut stmt = db.prepare_cached(
        "SELECT i.id, i.number, b.updated_at, json_extract(b.snapshot, '$.comment_count')
         FROM issues i JOIN issue_bases b ON b.issue_id = i.id
         WHERE i.repo_id = ?1 AND i.remote_status = 'present'
           AND (i.comments_synced_at IS NULL OR i.comments_synced_at < b.updated_at)
         ORDER BY b.updated_at",
    )?;
    let rows = stmt.query_map([repo_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (issue_id, number, updated, count) = row?;
        Ok(CommentsDue {
            issue_id,
            number: number as u64,
            updated_at: timestamp(updated)?,
            comment_count: count.map(|c| c as u64),
        })
    })
    .collect()
}

/// Records that the comments of an issue were fetched as of its `updated_at`.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn mark_comments_synced(db: &Db, issue_id: i64, updated_at: Timestamp) -> Result<()> {
    db.prepare_cached("UPDATE issues SET comments_synced_at = ?2 WHERE id = ?1")?
        .execute((issue_id, updated_at.to_string()))?;
    Ok(())
}

/// The local id of issue `number` in `repo_id`, if mirrored.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn id_by_number(db: &Db, repo_id: i64, number: u64) -> Result<Option<i64>> {
    optional(
        db.prepare_cached("SELECT id FROM issues WHERE repo_id = ?1 AND number = ?2")?
            .query_row((repo_id, number as i64), |r| r.get(0)),
    )
}

/// How [`list`] orders issues (a search ranks by relevance first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IssueSort {
    /// Most recently updated first.
    #[default]
    UpdatedDesc,
    UpdatedAsc,
    CreatedDesc,
    CreatedAsc,
}

impl IssueSort {
    fn order_by(self) -> &'static str {
        match self {
            Self::UpdatedDesc => "i.updated_at DESC, i.id DESC",
            Self::UpdatedAsc => "i.updated_at ASC, i.id ASC",
            Self::CreatedDesc => "i.created_at DESC, i.id DESC",
            Self::CreatedAsc => "i.created_at ASC, i.id ASC",
        }
    }
}

/// Which issues [`list`] returns. `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct IssueQuery {
    pub state: Option<IssueState>,
    pub provider: Option<ProviderKind>,
    pub connection: Option<String>,
    pub repo: Option<String>,
    pub search: Option<String>,
    pub label: Option<String>,
    pub assignee: Option<String>,
    /// Only issues assigned to the connection's own user (as the tracker said when the
    /// connection was added).
    pub assigned_to_me: bool,
    pub sync_status: Option<SyncStatus>,
    pub sort: IssueSort,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// The sync status, derived: an open conflict, else a failed outbox row, else any
/// outbox row.
const SYNC_STATUS: &str = "CASE
        WHEN EXISTS (SELECT 1 FROM conflicts k WHERE k.issue_id = i.id) THEN 'conflict'
        WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.issue_id = i.id AND o.state = 'failed')
            THEN 'failed'
        WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.issue_id = i.id) THEN 'pending'
        ELSE 'synced' END";

fn issue_select() -> String {
    format!(
        "SELECT i.id, c.name, c.provider, r.full_path, i.number, i.title,
        i.body, i.state, i.state_reason,
        (SELECT json_group_array(name) FROM
            (SELECT name FROM issue_labels WHERE issue_id = i.id ORDER BY name)),
        (SELECT json_group_array(login) FROM
            (SELECT login FROM issue_assignees WHERE issue_id = i.id ORDER BY login)),
        i.milestone, i.author, i.created_at, i.updated_at, i.closed_at, i.remote_url,
        {SYNC_STATUS}, i.remote_status
    FROM issues i
    JOIN repos r ON r.id = i.repo_id
    JOIN connections c ON c.id = r.connection_id"
    )
}

struct RawIssue {
    id: i64,
    connection: String,
    provider: String,
    repo: String,
    number: Option<i64>,
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
    remote_url: Option<String>,
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
    let number = raw.number.map(|n| n as u64);
    Ok(Issue {
        id: raw.id,
        reference: issue_reference(&raw.connection, &raw.repo, number, raw.id),
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
        sync_status: raw
            .sync_status
            .parse::<SyncStatus>()
            .map_err(|e| StoreError::corrupt("issue sync status", e))?,
        remote_status: raw
            .remote_status
            .parse()
            .map_err(|e| StoreError::corrupt("issue remote status", e))?,
    })
}

/// The joins and `WHERE` of a query after `FROM issues i`, with its values and whether
/// it ranks by search relevance. Repositories and connections are joined only when a
/// filter needs them, so a plain window is a walk over the issues' own index.
fn filtered(query: &IssueQuery) -> (String, Vec<Value>, bool) {
    let needs_repo = query.provider.is_some()
        || query.connection.is_some()
        || query.repo.is_some()
        || query.assigned_to_me;
    let mut sql = String::from(if needs_repo {
        " JOIN repos r ON r.id = i.repo_id JOIN connections c ON c.id = r.connection_id"
    } else {
        ""
    });
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let fts = query.search.as_deref().and_then(search::match_expression);
    let ranked = fts.is_some();
    if let Some(expr) = fts {
        sql.push_str(" JOIN issue_search s ON s.rowid = i.id");
        conditions.push("issue_search MATCH ?".into());
        values.push(Value::Text(expr));
    }
    if let Some(state) = query.state {
        conditions.push("i.state = ?".into());
        values.push(Value::Text(state.as_str().to_string()));
    }
    if let Some(provider) = query.provider {
        conditions.push("c.provider = ?".into());
        values.push(Value::Text(provider.as_str().to_string()));
    }
    if let Some(connection) = &query.connection {
        conditions.push("c.name = ?".into());
        values.push(Value::Text(connection.clone()));
    }
    if let Some(repo) = &query.repo {
        conditions.push("r.full_path = ?".into());
        values.push(Value::Text(repo.clone()));
    }
    if let Some(label) = &query.label {
        conditions.push(
            "EXISTS (SELECT 1 FROM issue_labels l WHERE l.issue_id = i.id AND l.name = ?)".into(),
        );
        values.push(Value::Text(label.clone()));
    }
    if let Some(assignee) = &query.assignee {
        conditions.push(
            "EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id AND a.login = ?)"
                .into(),
        );
        values.push(Value::Text(assignee.clone()));
    }
    if query.assigned_to_me {
        conditions.push(
            "EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id AND a.login = c.login)"
                .into(),
        );
    }
    if let Some(status) = query.sync_status {
        conditions.push(format!("({SYNC_STATUS}) = ?"));
        values.push(Value::Text(status.as_str().to_string()));
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    (sql, values, ranked)
}

/// Issues matching `query`: best full-text match first when searching, else in the
/// query's order; `offset`/`limit` page through them.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn list(db: &Db, query: &IssueQuery) -> Result<Vec<Issue>> {
    // Two steps: first the ids of the window (an index walk, however deep the offset),
    // then the full rows of just those ids.
    let ids = ids(db, query)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = serde_json::to_string(&ids).map_err(|e| StoreError::corrupt("issue ids", e))?;
    let mut stmt = db.prepare_cached(&format!(
        "{} WHERE i.id IN (SELECT value FROM json_each(?1))",
        issue_select()
    ))?;
    let mut by_id: std::collections::HashMap<i64, Issue> = stmt
        .query_map([wanted], from_row)?
        .map(|r| finish(r?).map(|i| (i.id, i)))
        .collect::<Result<_>>()?;
    Ok(ids.into_iter().filter_map(|id| by_id.remove(&id)).collect())
}

/// The local ids of the issues matching `query`, in its order and window: what [`list`]
/// returns, without reading the rows.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn ids(db: &Db, query: &IssueQuery) -> Result<Vec<i64>> {
    let rank = query.search.is_some() && count(db, query)? < u64::from(RANKED_BELOW);
    let (sql, values) = ids_sql(query, rank);
    let mut stmt = db.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The statement [`ids`] runs for `query`, and its parameters; a search's matches are
/// ordered by relevance first when `rank`.
fn ids_sql(query: &IssueQuery, rank: bool) -> (String, Vec<Value>) {
    let (filter, mut values, search) = filtered(query);
    let mut sql = if search && rank {
        format!(
            "WITH candidates AS ({})
             SELECT c.id FROM candidates c JOIN issues i ON i.id = c.id ORDER BY c.rank, ",
            newest_matches(&filter, "i.id, s.rank")
        )
    } else if search {
        format!(
            "WITH candidates AS ({})
             SELECT c.id FROM candidates c JOIN issues i ON i.id = c.id ORDER BY ",
            newest_matches(&filter, "i.id")
        )
    } else {
        format!("SELECT i.id FROM issues i{filter} ORDER BY ")
    };
    sql.push_str(query.sort.order_by());
    if query.limit.is_some() || query.offset.is_some() {
        sql.push_str(" LIMIT ? OFFSET ?");
        values.push(Value::Integer(query.limit.map_or(-1, i64::from)));
        values.push(Value::Integer(i64::from(query.offset.unwrap_or(0))));
    }
    (sql, values)
}

/// How many issues a search shows at most: the most recently mirrored matches (a first
/// import mirrors GitHub and GitLab issues oldest update first), best match first when
/// they are fewer than [`RANKED_BELOW`], else in the list's order. GitHub's own search stops at 1,000
/// results; a search matching more is narrowed by more words or a filter.
pub const SEARCH_RANKED: u32 = 2_000;

/// A search with fewer matches than this lists the best match first; a broader one lists
/// its matches in the query's order. Relevance costs a pass over every match of every
/// word (bm25's document frequencies: 5–10 ms for a word in most of 100,000 issues,
/// measured in benches/performance.rs), and among a thousand issues that all hold the
/// words it says little. GitHub's own search returns at most 1,000 results.
pub const RANKED_BELOW: u32 = 1_000;

/// How many issues match `query` (its `limit` and `offset` aside); a search counts at
/// most [`SEARCH_RANKED`], the matches it shows.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn count(db: &Db, query: &IssueQuery) -> Result<u64> {
    let (sql, values) = count_sql(query);
    let n: i64 = db
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?;
    Ok(n as u64)
}

/// `columns` of the [`SEARCH_RANKED`] matches of a search `filter` with the highest ids
/// (the most recently mirrored), found by walking the full-text index backwards.
fn newest_matches(filter: &str, columns: &str) -> String {
    format!("SELECT {columns} FROM issues i{filter} ORDER BY s.rowid DESC LIMIT {SEARCH_RANKED}")
}

/// The statement [`count`] runs for `query`, and its parameters.
fn count_sql(query: &IssueQuery) -> (String, Vec<Value>) {
    let (filter, values, ranked) = filtered(query);
    let sql = if ranked {
        format!("SELECT count(*) FROM ({})", newest_matches(&filter, "i.id"))
    } else {
        format!("SELECT count(*) FROM issues i{filter}")
    };
    (sql, values)
}

/// The issue with local id `id`.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn by_id(db: &Db, id: i64) -> Result<Option<Issue>> {
    optional(
        db.prepare_cached(&format!("{} WHERE i.id = ?1", issue_select()))?
            .query_row([id], from_row),
    )?
    .map(finish)
    .transpose()
}

/// Issue `number` of repository `repo` of connection `connection`.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn by_reference(db: &Db, connection: &str, repo: &str, number: u64) -> Result<Option<Issue>> {
    optional(
        db.prepare_cached(&format!(
            "{} WHERE c.name = ?1 AND r.full_path = ?2 AND i.number = ?3",
            issue_select()
        ))?
        .query_row((connection, repo, number as i64), from_row),
    )?
    .map(finish)
    .transpose()
}

/// The repository an issue belongs to.
///
/// # Errors
/// [`StoreError`] on a read failure or an unknown issue.
pub fn repo_of(db: &Db, issue_id: i64) -> Result<i64> {
    Ok(db
        .prepare_cached("SELECT repo_id FROM issues WHERE id = ?1")?
        .query_row([issue_id], |r| r.get(0))?)
}

/// The base snapshot of an issue: the last remote version seen.
///
/// # Errors
/// [`StoreError`] on a read failure or an unreadable snapshot.
pub fn base_snapshot(db: &Db, issue_id: i64) -> Result<Option<RemoteIssue>> {
    let text: Option<String> = optional(
        db.prepare_cached("SELECT snapshot FROM issue_bases WHERE issue_id = ?1")?
            .query_row([issue_id], |r| r.get(0)),
    )?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::corrupt("issue snapshot", e)))
        .transpose()
}

#[cfg(test)]
mod query_plan_tests {
    //! The list's hot queries use the indexes built for them (`EXPLAIN QUERY PLAN`),
    //! so they stay an index walk at 100,000 issues.
    use rstest::rstest;

    use super::*;
    use crate::store::Store;

    fn plan(sql: &str, values: Vec<Value>) -> String {
        let store = Store::open_in_memory().unwrap();
        let mut stmt = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let rows = stmt
            .query_map(params_from_iter(values), |r| r.get::<_, String>(3))
            .unwrap();
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .unwrap()
            .join("\n")
    }

    fn open() -> IssueQuery {
        IssueQuery {
            state: Some(IssueState::Open),
            ..IssueQuery::default()
        }
    }

    #[rstest]
    #[case::count_by_state(count_sql(&open()), "COVERING INDEX issues_state_updated")]
    #[case::page_by_state(
        ids_sql(&IssueQuery { limit: Some(100), offset: Some(1900), ..open() }, false),
        "COVERING INDEX issues_state_updated"
    )]
    #[case::page_by_state_and_label(
        ids_sql(&IssueQuery { label: Some("bug".into()), limit: Some(100), ..open() }, false),
        "COVERING INDEX issues_state_updated"
    )]
    #[case::page_of_everything(
        ids_sql(&IssueQuery { limit: Some(100), ..IssueQuery::default() }, false),
        "INDEX issues_updated"
    )]
    fn hot_queries_walk_an_index(#[case] statement: (String, Vec<Value>), #[case] uses: &str) {
        let (sql, values) = statement;
        let plan = plan(&sql, values);
        assert!(plan.contains(uses), "{sql}\n{plan}");
        assert!(
            !plan.contains("SCAN i\n") && !plan.ends_with("SCAN i"),
            "{plan}"
        );
        assert!(
            !plan.contains("TEMP B-TREE"),
            "no sort of every row: {plan}"
        );
    }
}
