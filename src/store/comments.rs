//! The `comments` table, and the `users` table that comments and issues mention.
//!
//! Invariant: a comment is identified by (issue, remote id); storing it again updates it,
//! and the issue's search row is refreshed in the same transaction.

use rusqlite::Connection as Db;

use super::{search, timestamp, Result};
use crate::model::{Comment, RemoteComment, User};

/// Stores (inserts or updates) a pulled comment of issue `issue_id`. Returns whether
/// anything changed (a comment delivered again unchanged is not rewritten).
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn upsert_remote(
    db: &Db,
    connection_id: i64,
    issue_id: i64,
    comment: &RemoteComment,
) -> Result<bool> {
    if let Some(author) = &comment.author {
        remember_user(db, connection_id, author)?;
    }
    db.execute(
        "INSERT INTO comments (issue_id, remote_id, author, body, created_at, updated_at, remote_url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (issue_id, remote_id) DO UPDATE SET author = excluded.author,
             body = excluded.body, updated_at = excluded.updated_at,
             remote_url = excluded.remote_url
         WHERE body IS NOT excluded.body OR updated_at IS NOT excluded.updated_at
             OR author IS NOT excluded.author OR remote_url IS NOT excluded.remote_url",
        (
            issue_id,
            comment.remote_id,
            comment.author.as_ref().map(|a| a.login.as_str()),
            &comment.body,
            comment.created_at.to_string(),
            comment.updated_at.to_string(),
            &comment.remote_url,
        ),
    )?;
    let changed = db.changes() > 0;
    if changed {
        search::refresh(db, issue_id)?;
    }
    Ok(changed)
}

/// The comments of an issue, oldest first.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn for_issue(db: &Db, issue_id: i64) -> Result<Vec<Comment>> {
    let mut stmt = db.prepare(
        "SELECT id, remote_id, author, body, created_at, updated_at, remote_url
         FROM comments WHERE issue_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([issue_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (id, remote_id, author, body, created_at, updated_at, remote_url) = row?;
        Ok(Comment {
            id,
            remote_id,
            author,
            body,
            created_at: timestamp(created_at)?,
            updated_at: timestamp(updated_at)?,
            remote_url,
        })
    })
    .collect()
}

/// Records a tracker user seen in an issue or comment.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn remember_user(db: &Db, connection_id: i64, user: &User) -> Result<()> {
    db.execute(
        "INSERT INTO users (connection_id, remote_id, login, display_name, avatar_url)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (connection_id, remote_id) DO UPDATE SET login = excluded.login,
             display_name = coalesce(excluded.display_name, display_name),
             avatar_url = coalesce(excluded.avatar_url, avatar_url)",
        (
            connection_id,
            user.remote_id,
            &user.login,
            &user.display_name,
            &user.avatar_url,
        ),
    )?;
    Ok(())
}
