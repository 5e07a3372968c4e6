//! The `comments` table, and the `users` table that comments and issues mention.
//!
//! Invariants: a pulled comment is identified by (issue, remote id); storing it again
//! updates it. A comment written here has no remote id until pushed, and a pulled
//! comment carrying its marker is that comment (adopted, never stored twice). The
//! issue's search row is refreshed in the same transaction (a pulled comment queues it:
//! see [`super::search`]).

use rusqlite::Connection as Db;

use super::{optional, search, timestamp, Result};
use crate::model::{find_client_marker, Comment, RemoteComment, Timestamp, User};

/// What [`upsert_remote`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentUpsert {
    /// Delivered again, unchanged.
    Unchanged,
    /// New or changed.
    Stored,
    /// It is the local comment with this id, whose push had an unclear outcome.
    Adopted(i64),
}

/// Stores (inserts or updates) a pulled comment of issue `issue_id`.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn upsert_remote(
    db: &Db,
    connection_id: i64,
    issue_id: i64,
    comment: &RemoteComment,
) -> Result<CommentUpsert> {
    if let Some(author) = &comment.author {
        remember_user(db, connection_id, author)?;
    }
    if let Some(client_id) = find_client_marker(&comment.body) {
        let local: Option<i64> = optional(db.prepare_cached("SELECT id FROM comments WHERE issue_id = ?1 AND client_id = ?2 AND remote_id IS NULL")?.query_row((issue_id, client_id),
            |r| r.get(0),
        ))?;
        if let Some(local_id) = local {
            mark_pushed(db, local_id, comment)?;
            return Ok(CommentUpsert::Adopted(local_id));
        }
    }
    db.prepare_cached(
        "INSERT INTO comments (issue_id, remote_id, author, body, created_at, updated_at, remote_url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (issue_id, remote_id) DO UPDATE SET author = excluded.author,
             body = excluded.body, updated_at = excluded.updated_at,
             remote_url = excluded.remote_url
         WHERE body IS NOT excluded.body OR updated_at IS NOT excluded.updated_at
             OR author IS NOT excluded.author OR remote_url IS NOT excluded.remote_url",
    )?
    .execute((
            issue_id,
            comment.remote_id,
            comment.author.as_ref().map(|a| a.login.as_str()),
            &comment.body,
            comment.created_at.to_string(),
            comment.updated_at.to_string(),
            &comment.remote_url,
        ))?;
    if db.changes() == 0 {
        return Ok(CommentUpsert::Unchanged);
    }
    search::queue(db, issue_id)?;
    Ok(CommentUpsert::Stored)
}

/// Stores a comment written here; it waits in the outbox until pushed.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn insert_local(
    db: &Db,
    issue_id: i64,
    author: Option<&str>,
    body: &str,
    client_id: &str,
    now: Timestamp,
) -> Result<i64> {
    db.prepare_cached(
        "INSERT INTO comments (issue_id, author, body, created_at, updated_at, client_id)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    )?
    .execute((issue_id, author, body, now.to_string(), client_id))?;
    let id = db.last_insert_rowid();
    search::queue(db, issue_id)?;
    Ok(id)
}

/// Records what the tracker made of a pushed local comment.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn mark_pushed(db: &Db, comment_id: i64, comment: &RemoteComment) -> Result<()> {
    db.prepare_cached(
        "UPDATE comments SET remote_id = ?2, author = coalesce(?3, author), body = ?4,
             created_at = ?5, updated_at = ?6, remote_url = ?7
         WHERE id = ?1",
    )?
    .execute((
        comment_id,
        comment.remote_id,
        comment.author.as_ref().map(|a| a.login.as_str()),
        &comment.body,
        comment.created_at.to_string(),
        comment.updated_at.to_string(),
        &comment.remote_url,
    ))?;
    let issue_id: i64 = db
        .prepare_cached("SELECT issue_id FROM comments WHERE id = ?1")?
        .query_row([comment_id], |r| r.get(0))?;
    search::queue(db, issue_id)
}

/// Deletes the comments of an issue that were never pushed (discarded local changes).
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn delete_unpushed(db: &Db, issue_id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM comments WHERE issue_id = ?1 AND remote_id IS NULL")?
        .execute([issue_id])?;
    search::queue(db, issue_id)
}

/// The body of one comment.
///
/// # Errors
/// [`super::StoreError`] on a read failure or an unknown comment.
pub fn body(db: &Db, comment_id: i64) -> Result<String> {
    Ok(db
        .prepare_cached("SELECT body FROM comments WHERE id = ?1")?
        .query_row([comment_id], |r| r.get(0))?)
}

/// The comments of an issue, oldest first.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn for_issue(db: &Db, issue_id: i64) -> Result<Vec<Comment>> {
    let mut stmt = db.prepare_cached(
        "SELECT id, remote_id, author, body, created_at, updated_at, remote_url
         FROM comments WHERE issue_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([issue_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<i64>>(1)?,
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
    db.prepare_cached(
        "INSERT INTO users (connection_id, remote_id, login, display_name, avatar_url)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (connection_id, remote_id) DO UPDATE SET login = excluded.login,
             display_name = coalesce(excluded.display_name, display_name),
             avatar_url = coalesce(excluded.avatar_url, avatar_url)",
    )?
    .execute((
        connection_id,
        user.remote_id,
        &user.login,
        &user.display_name,
        &user.avatar_url,
    ))?;
    Ok(())
}

/// The people seen on a connection (authors, assignees, commenters), by login.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn known_users(db: &Db, connection_id: i64) -> Result<Vec<User>> {
    let mut stmt = db.prepare_cached(
        "SELECT remote_id, login, display_name, avatar_url FROM users
         WHERE connection_id = ?1 ORDER BY login",
    )?;
    let rows = stmt.query_map([connection_id], |r| {
        Ok(User {
            remote_id: r.get(0)?,
            login: r.get(1)?,
            display_name: r.get(2)?,
            avatar_url: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
