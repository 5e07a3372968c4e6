//! The `agent_write_globs` table: per connection, the repository-path globs agents (the
//! MCP server) may change. No row means agents may not write to that connection.
//!
//! Invariant: a connection's list is replaced as a whole, inside the caller's
//! transaction; rows go with their connection (cascade).

use rusqlite::Connection as Db;

use super::Result;

/// The globs of a connection, sorted.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn for_connection(db: &Db, connection_id: i64) -> Result<Vec<String>> {
    let mut stmt = db.prepare_cached(
        "SELECT pattern FROM agent_write_globs WHERE connection_id = ?1 ORDER BY pattern",
    )?;
    let rows = stmt.query_map([connection_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces the globs of a connection (duplicates are kept once).
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn replace(db: &Db, connection_id: i64, globs: &[String]) -> Result<()> {
    db.prepare_cached("DELETE FROM agent_write_globs WHERE connection_id = ?1")?
        .execute([connection_id])?;
    for glob in globs {
        db.prepare_cached(
            "INSERT OR IGNORE INTO agent_write_globs (connection_id, pattern) VALUES (?1, ?2)",
        )?
        .execute((connection_id, glob))?;
    }
    Ok(())
}
