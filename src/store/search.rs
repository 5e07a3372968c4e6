//! Full-text search over issue titles, bodies and comments (SQLite FTS5).
//!
//! Invariants: the `issue_search` row of an issue (rowid = `issues.id`) is rebuilt
//! whenever the issue or one of its comments is written: in the same transaction, or,
//! for pulled comments, queued ([`queue`]) and rebuilt once before the transaction that
//! ends the listing commits ([`refresh_queued`], which every ordinary
//! [`super::Store::write`] runs, and so does opening a store after a crash).
//! User text never reaches FTS5 query syntax unquoted, so any input is a valid search.

use rusqlite::Connection as Db;

use super::Result;

/// Rebuilds the search row of one issue from its current title, body and comments.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn refresh(db: &Db, issue_id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM issue_search WHERE rowid = ?1")?
        .execute([issue_id])?;
    db.prepare_cached(
        "INSERT INTO issue_search (rowid, title, body, comments)
         SELECT i.id, i.title, i.body,
                coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE issue_id = i.id), '')
         FROM issues i WHERE i.id = ?1",
    )?
    .execute([issue_id])?;
    Ok(())
}

/// Queues the search row of `issue_id` to be rebuilt before the listing's last commit.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn queue(db: &Db, issue_id: i64) -> Result<()> {
    db.prepare_cached("INSERT OR IGNORE INTO search_refresh_queue (issue_id) VALUES (?1)")?
        .execute([issue_id])?;
    Ok(())
}

/// Rebuilds every queued search row; how many.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn refresh_queued(db: &Db) -> Result<usize> {
    let queued: Vec<i64> = {
        let mut stmt = db.prepare_cached("SELECT issue_id FROM search_refresh_queue")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for &issue_id in &queued {
        refresh(db, issue_id)?;
    }
    if !queued.is_empty() {
        db.execute("DELETE FROM search_refresh_queue", [])?;
    }
    Ok(queued.len())
}

/// Turns what a person typed into an FTS5 expression: every word must occur, the last
/// one as a prefix (search as you type). `None` when the text has no words.
pub fn match_expression(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .map(|w| w.trim_matches(|c| c == '-' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut expr = words.join(" ");
    expr.push('*');
    Some(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_quoted_and_the_last_word_is_a_prefix() {
        assert_eq!(
            match_expression("crash on start").as_deref(),
            Some("\"crash\" \"on\" \"start\"*")
        );
        assert_eq!(
            match_expression("NOT \"(x* OR").as_deref(),
            Some("\"NOT\" \"x\" \"OR\"*"),
            "FTS5 operators and quotes must not leak into the query"
        );
        assert_eq!(match_expression("  ()  "), None);
    }
}
