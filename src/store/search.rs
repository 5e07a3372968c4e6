//! Full-text search over issue titles, bodies and comments (SQLite FTS5).
//!
//! Invariants: the `issue_search` row of an issue (rowid = `issues.id`) is rebuilt
//! whenever the issue or one of its comments is written: queued ([`queue`]) in the
//! writing transaction and rebuilt before it commits ([`refresh_queued`], which every
//! ordinary [`super::Store::write`] runs); the pages of a listing may defer the
//! rebuild to the write that ends the listing ([`super::Store::write_deferring_search`]),
//! so a first import indexes each issue once, with all its comments. Opening a store
//! rebuilds what a crash left queued.
//! User text never reaches FTS5 query syntax unquoted, so any input is a valid search.

use rusqlite::Connection as Db;

use super::Result;

/// Queues the search row of `issue_id` to be rebuilt before the transaction commits (or,
/// deferred, before the listing's last commit).
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
/// Set-based (three statements whatever the queue's length): at the end of a first
/// import this rebuilds every issue of the repository, three times faster than one
/// statement pair per issue.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn refresh_queued(db: &Db) -> Result<usize> {
    // Every ordinary write asks; most have queued nothing.
    let queued: bool = db
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM search_refresh_queue)")?
        .query_row([], |r| r.get(0))?;
    if !queued {
        return Ok(0);
    }
    db.prepare_cached(
        "DELETE FROM issue_search WHERE rowid IN (SELECT issue_id FROM search_refresh_queue)",
    )?
    .execute([])?;
    db.prepare_cached(
        "INSERT INTO issue_search (rowid, title, body, comments)
         SELECT i.id, i.title, i.body,
                coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE issue_id = i.id), '')
         FROM search_refresh_queue q JOIN issues i ON i.id = q.issue_id",
    )?
    .execute([])?;
    Ok(db
        .prepare_cached("DELETE FROM search_refresh_queue")?
        .execute([])?)
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
