//! The `repos` table: mirrored repositories, their partial-sync filters and the
//! cursors that make pulls incremental and resumable.
//!
//! Invariants:
//! - `issues_cursor` only moves forward, and only after the pages it covers are stored.
//! - While a pull is in flight, `pull_since`/`pull_next_page`/`pull_high_water` record
//!   how far it got, committed in the same transaction as each stored page; a crashed
//!   pull resumes from there. They are cleared when the pull completes.
//! - A repository renamed or transferred on the tracker keeps its row (and so its
//!   issues, local edits and outbox rows, all keyed by ids); only its path and the stored
//!   page links under the old path change ([`rename`]).

use rusqlite::{Connection as Db, Row};

use super::{opt_timestamp, optional, Result, StoreError};
use crate::model::{ProviderKind, Repo, RepoFilter, Timestamp};

const SELECT: &str = "SELECT r.id, r.connection_id, c.name, c.provider, r.full_path, r.remote_id,
        r.filter_labels, r.filter_milestone, r.last_synced_at, r.last_full_sync_at
    FROM repos r JOIN connections c ON c.id = r.connection_id";

struct RawRepo {
    id: i64,
    connection_id: i64,
    connection: String,
    provider: String,
    full_path: String,
    remote_id: Option<i64>,
    filter_labels: String,
    filter_milestone: Option<String>,
    last_synced_at: Option<String>,
    last_full_sync_at: Option<String>,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRepo> {
    Ok(RawRepo {
        id: row.get(0)?,
        connection_id: row.get(1)?,
        connection: row.get(2)?,
        provider: row.get(3)?,
        full_path: row.get(4)?,
        remote_id: row.get(5)?,
        filter_labels: row.get(6)?,
        filter_milestone: row.get(7)?,
        last_synced_at: row.get(8)?,
        last_full_sync_at: row.get(9)?,
    })
}

fn finish(raw: RawRepo) -> Result<Repo> {
    let provider: ProviderKind = raw
        .provider
        .parse()
        .map_err(|e| StoreError::corrupt("connection provider", e))?;
    let labels: Vec<String> = serde_json::from_str(&raw.filter_labels)
        .map_err(|e| StoreError::corrupt("repo label filter", e))?;
    Ok(Repo {
        id: raw.id,
        connection_id: raw.connection_id,
        connection: raw.connection,
        provider,
        full_path: raw.full_path,
        remote_id: raw.remote_id,
        filter: RepoFilter {
            labels,
            milestone: raw.filter_milestone,
        },
        last_synced_at: opt_timestamp(raw.last_synced_at)?,
        last_full_sync_at: opt_timestamp(raw.last_full_sync_at)?,
    })
}

/// Adds a repository to a connection, or updates its filter if it is already there.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn upsert(
    db: &Db,
    connection_id: i64,
    full_path: &str,
    remote_id: Option<i64>,
    filter: &RepoFilter,
) -> Result<Repo> {
    let labels = serde_json::to_string(&filter.labels)
        .map_err(|e| StoreError::corrupt("repo label filter", e))?;
    db.prepare_cached("INSERT INTO repos (connection_id, full_path, remote_id, filter_labels, filter_milestone, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (connection_id, full_path) DO UPDATE SET
             remote_id = coalesce(excluded.remote_id, remote_id),
             filter_labels = excluded.filter_labels,
             filter_milestone = excluded.filter_milestone")?.execute((
            connection_id,
            full_path,
            remote_id,
            labels,
            filter.milestone.as_deref(),
            Timestamp::now().to_string(),
        ),
    )?;
    by_path(db, connection_id, full_path)?
        .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
}

/// Clears a repository's cursors so the next pull re-reads everything (after its filter
/// changed, say).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn reset_cursors(db: &Db, repo_id: i64) -> Result<()> {
    db.prepare_cached(
        "UPDATE repos SET issues_cursor = NULL, comments_cursor = NULL, pull_since = NULL,
             pull_next_page = NULL, pull_high_water = NULL, pull_started_at = NULL,
             last_full_sync_at = NULL
         WHERE id = ?1",
    )?
    .execute([repo_id])?;
    Ok(())
}

/// Repositories, all or those of one connection, by connection then path.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn list(db: &Db, connection_id: Option<i64>) -> Result<Vec<Repo>> {
    let mut stmt = db.prepare_cached(&format!(
        "{SELECT} WHERE ?1 IS NULL OR r.connection_id = ?1 ORDER BY c.name, r.full_path"
    ))?;
    let rows = stmt.query_map([connection_id], from_row)?;
    rows.map(|r| finish(r?)).collect()
}

/// The repository `full_path` of a connection, if mirrored.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn by_path(db: &Db, connection_id: i64, full_path: &str) -> Result<Option<Repo>> {
    optional(
        db.prepare_cached(&format!(
            "{SELECT} WHERE r.connection_id = ?1 AND r.full_path = ?2"
        ))?
        .query_row((connection_id, full_path), from_row),
    )?
    .map(finish)
    .transpose()
}

/// Stops mirroring a repository, deleting its mirrored issues. Returns whether it existed.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn delete(db: &Db, repo_id: i64) -> Result<bool> {
    Ok(db
        .prepare_cached("DELETE FROM repos WHERE id = ?1")?
        .execute([repo_id])?
        > 0)
}

/// Gives repository `repo_id` the path `new_path` it has on the tracker now (renamed or
/// transferred there), and moves the page links of its issues and comments that start
/// with `old_page_prefix` (`{web}/{old path}/`) to `new_page_prefix`. Nothing else
/// changes: issues, local edits, conflicts and outbox rows hang off the row's id.
/// Returns how many page links moved.
///
/// # Errors
/// [`StoreError`] on a write failure, or when another mirrored repository of the
/// connection has `new_path` already (the unique constraint).
pub fn rename(
    db: &Db,
    repo_id: i64,
    new_path: &str,
    old_page_prefix: &str,
    new_page_prefix: &str,
) -> Result<usize> {
    db.prepare_cached("UPDATE repos SET full_path = ?2 WHERE id = ?1")?
        .execute((repo_id, new_path))?;
    let moved_issues = db
        .prepare_cached(
            "UPDATE issues SET remote_url = ?3 || substr(remote_url, length(?2) + 1)
         WHERE repo_id = ?1 AND substr(remote_url, 1, length(?2)) = ?2",
        )?
        .execute((repo_id, old_page_prefix, new_page_prefix))?;
    let moved_comments = db
        .prepare_cached(
            "UPDATE comments SET remote_url = ?3 || substr(remote_url, length(?2) + 1)
         WHERE issue_id IN (SELECT id FROM issues WHERE repo_id = ?1)
           AND substr(remote_url, 1, length(?2)) = ?2",
        )?
        .execute((repo_id, old_page_prefix, new_page_prefix))?;
    Ok(moved_issues + moved_comments)
}

/// Where the pulls of a repository stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullState {
    /// Highest `updated_at` stored by the last completed issue pull.
    pub issues_cursor: Option<Timestamp>,
    /// Highest `updated_at` of the comments stored so far.
    pub comments_cursor: Option<Timestamp>,
    /// An unfinished pull: the `since` it used and the next page to fetch.
    pub in_flight: Option<InFlightPull>,
    pub last_full_sync_at: Option<Timestamp>,
}

/// A pull that stored some pages and has more to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlightPull {
    pub since: Option<Timestamp>,
    pub next_page: String,
    pub high_water: Option<Timestamp>,
    /// Whether this pull lists every issue (a reconcile), not only changed ones.
    pub full: bool,
    /// When this pull's first page was requested.
    pub started_at: Timestamp,
}

/// Reads a repository's cursors.
///
/// # Errors
/// [`StoreError`] on a read failure or unreadable cursor text.
pub fn pull_state(db: &Db, repo_id: i64) -> Result<PullState> {
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let (issues, comments, since, next, high, full, started): Row = db
        .prepare_cached(
            "SELECT issues_cursor, comments_cursor, pull_since, pull_next_page, pull_high_water,
                last_full_sync_at, pull_started_at
         FROM repos WHERE id = ?1",
        )?
        .query_row([repo_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
    let in_flight = match next {
        Some(next_page) => {
            // `pull_since` is "full" for a reconcile, else the since timestamp or "".
            let (since, full) = match since.as_deref() {
                Some("full") => (None, true),
                Some("") | None => (None, false),
                Some(t) => (opt_timestamp(Some(t.to_string()))?, false),
            };
            Some(InFlightPull {
                since,
                next_page,
                high_water: opt_timestamp(high)?,
                full,
                started_at: opt_timestamp(started)?.unwrap_or_else(Timestamp::now),
            })
        }
        None => None,
    };
    Ok(PullState {
        issues_cursor: opt_timestamp(issues)?,
        comments_cursor: opt_timestamp(comments)?,
        in_flight,
        last_full_sync_at: opt_timestamp(full)?,
    })
}

/// Records that a pull stored a page and has `pull.next_page` still to fetch.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn save_progress(db: &Db, repo_id: i64, pull: &InFlightPull) -> Result<()> {
    let since = if pull.full {
        "full".to_string()
    } else {
        pull.since.map(|t| t.to_string()).unwrap_or_default()
    };
    db.prepare_cached(
        "UPDATE repos SET pull_since = ?2, pull_next_page = ?3, pull_high_water = ?4,
             pull_started_at = ?5
         WHERE id = ?1",
    )?
    .execute((
        repo_id,
        since,
        &pull.next_page,
        pull.high_water.map(|t| t.to_string()),
        pull.started_at.to_string(),
    ))?;
    Ok(())
}

/// Records a completed issue pull: the cursor moves to `cursor` (never backwards) and
/// the in-flight progress is cleared. A full pull also stamps `last_full_sync_at`.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn finish_issue_pull(
    db: &Db,
    repo_id: i64,
    cursor: Option<Timestamp>,
    full: bool,
    now: Timestamp,
) -> Result<()> {
    db.prepare_cached(
        "UPDATE repos SET
             issues_cursor = CASE
                 WHEN ?2 IS NULL THEN issues_cursor
                 WHEN issues_cursor IS NULL OR ?2 > issues_cursor THEN ?2
                 ELSE issues_cursor END,
             pull_since = NULL, pull_next_page = NULL, pull_high_water = NULL,
             pull_started_at = NULL,
             last_full_sync_at = CASE WHEN ?3 THEN ?4 ELSE last_full_sync_at END
         WHERE id = ?1",
    )?
    .execute((
        repo_id,
        cursor.map(|t| t.to_string()),
        full,
        now.to_string(),
    ))?;
    Ok(())
}

/// Moves the comment cursor forward to `cursor` (never backwards).
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn advance_comments_cursor(db: &Db, repo_id: i64, cursor: Timestamp) -> Result<()> {
    db.prepare_cached(
        "UPDATE repos SET comments_cursor = ?2
         WHERE id = ?1 AND (comments_cursor IS NULL OR comments_cursor < ?2)",
    )?
    .execute((repo_id, cursor.to_string()))?;
    Ok(())
}

/// Stamps the end of a successful sync round.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn mark_synced(db: &Db, repo_id: i64, at: Timestamp) -> Result<()> {
    db.prepare_cached("UPDATE repos SET last_synced_at = ?2 WHERE id = ?1")?
        .execute((repo_id, at.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn a_rename_moves_the_path_and_only_the_links_under_the_old_one() {
        let store = Store::open_in_memory().unwrap();
        let db = store.conn();
        db.execute_batch(
            "INSERT INTO connections (id, name, provider, web_url, api_url, secret_key, created_at)
                 VALUES (1, 'w', 'github', 'https://h', 'https://h/api/v3', 'k', 't');
             INSERT INTO repos (id, connection_id, full_path, remote_id, created_at)
                 VALUES (1, 1, 'o/app', 7, 't'), (2, 1, 'o/app2-old', 8, 't');
             INSERT INTO issues (id, repo_id, remote_id, number, title, body, state, created_at,
                 updated_at, remote_url) VALUES
                 (1, 1, 10, 1, 'a', '', 'open', 't', 't', 'https://h/o/app/issues/1'),
                 (2, 1, 11, 2, 'b', '', 'open', 't', 't', 'https://h/o/app2/issues/2'),
                 (3, 2, 12, 1, 'c', '', 'open', 't', 't', 'https://h/o/app/issues/9');
             INSERT INTO comments (id, issue_id, remote_id, body, created_at, updated_at, remote_url)
                 VALUES (1, 1, 20, 'x', 't', 't', 'https://h/o/app/issues/1#issuecomment-20');",
        )
        .unwrap();
        let moved = rename(db, 1, "n/app", "https://h/o/app/", "https://h/n/app/").unwrap();
        assert_eq!(moved, 2, "issue 1 and its comment");
        let url = |sql: &str| -> String { db.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            url("SELECT remote_url FROM issues WHERE id = 1"),
            "https://h/n/app/issues/1"
        );
        assert_eq!(
            url("SELECT remote_url FROM issues WHERE id = 2"),
            "https://h/o/app2/issues/2",
            "a longer name that starts alike is not under the old path"
        );
        assert_eq!(
            url("SELECT remote_url FROM issues WHERE id = 3"),
            "https://h/o/app/issues/9",
            "another repository's issues stay"
        );
        assert_eq!(
            url("SELECT remote_url FROM comments WHERE id = 1"),
            "https://h/n/app/issues/1#issuecomment-20"
        );
        let renamed = by_path(db, 1, "n/app").unwrap().unwrap();
        assert_eq!((renamed.id, renamed.remote_id), (1, Some(7)));
        assert!(by_path(db, 1, "o/app").unwrap().is_none());
        assert!(
            rename(db, 2, "n/app", "https://h/o/app2-old/", "https://h/n/app/").is_err(),
            "two rows of one connection never share a path"
        );
    }
}
