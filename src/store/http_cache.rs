//! The `http_cache` table: the validator (ETag, next-page link, the issue numbers the
//! page held) of a listing page of a connection, as last stored.
//!
//! Invariants: an entry is written only in the transaction that stored the page it
//! validates, so a 304 for it means "what the mirror holds is current"; losing an entry
//! costs one full request, never correctness.

use rusqlite::Connection as Db;

use super::{optional, Result};
use crate::model::Timestamp;
use crate::provider::{CachedEtag, PageValidator};

/// The entry for `url`, if any.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn get(db: &Db, connection_id: i64, url: &str) -> Result<Option<CachedEtag>> {
    let row = optional(
        db.prepare_cached(
            "SELECT etag, next_page, held, full FROM http_cache
         WHERE connection_id = ?1 AND url = ?2",
        )?
        .query_row((connection_id, url), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        }),
    )?;
    row.map(|(etag, next, held, full)| {
        Ok(CachedEtag {
            etag,
            next,
            held: serde_json::from_str(&held)
                .map_err(|e| super::StoreError::corrupt("http_cache.held", e))?,
            full,
        })
    })
    .transpose()
}

/// Stores (replaces) the validator of a listing page together with the issue numbers
/// it held. Call it in the transaction that stores the page's items.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn put(db: &Db, connection_id: i64, page: &PageValidator, held: &[u64]) -> Result<()> {
    let held = serde_json::to_string(held).map_err(|e| super::StoreError::corrupt("held", e))?;
    db.prepare_cached(
        "INSERT INTO http_cache (connection_id, url, etag, next_page, held, full, stored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (connection_id, url) DO UPDATE SET etag = excluded.etag,
             next_page = excluded.next_page, held = excluded.held, full = excluded.full,
             stored_at = excluded.stored_at",
    )?
    .execute((
        connection_id,
        &page.url,
        &page.etag,
        &page.next,
        held,
        page.full,
        Timestamp::now().to_string(),
    ))?;
    Ok(())
}
