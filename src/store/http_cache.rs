//! The `http_cache` table: the ETag (and next-page link) last seen for a listing URL of
//! a connection.
//!
//! Invariant: an entry is only a hint for `If-None-Match`; losing it costs one full
//! request, never correctness.

use rusqlite::Connection as Db;

use super::{optional, Result};
use crate::model::Timestamp;
use crate::provider::CachedEtag;

/// The entry for `url`, if any.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn get(db: &Db, connection_id: i64, url: &str) -> Result<Option<CachedEtag>> {
    optional(db.query_row(
        "SELECT etag, next_page FROM http_cache WHERE connection_id = ?1 AND url = ?2",
        (connection_id, url),
        |r| {
            Ok(CachedEtag {
                etag: r.get(0)?,
                next: r.get(1)?,
            })
        },
    ))
}

/// Stores (replaces) the entry for `url`.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn put(db: &Db, connection_id: i64, url: &str, etag: &str, next: Option<&str>) -> Result<()> {
    db.execute(
        "INSERT INTO http_cache (connection_id, url, etag, next_page, stored_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (connection_id, url) DO UPDATE SET etag = excluded.etag,
             next_page = excluded.next_page, stored_at = excluded.stored_at",
        (connection_id, url, etag, next, Timestamp::now().to_string()),
    )?;
    Ok(())
}
