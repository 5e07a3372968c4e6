//! The `conflicts` table: fields changed differently on both sides, each with its base,
//! local and remote value, waiting for the person.
//!
//! Invariants: at most one row per (issue, field); values are stored as JSON of
//! [`FieldValue`] and read back exactly; replacing an issue's conflicts keeps the time a
//! still-open conflict was first detected.

use rusqlite::Connection as Db;
use serde::Serialize;

use super::{timestamp, Result, StoreError};
use crate::model::{Field, FieldConflict, FieldValue, Timestamp};

/// An open conflict with the issue it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredConflict {
    pub issue_id: i64,
    #[serde(flatten)]
    pub conflict: FieldConflict,
    pub detected_at: Timestamp,
}

fn encode(value: &FieldValue) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::corrupt("conflict value", e))
}

fn decode(text: &str) -> Result<FieldValue> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt("conflict value", e))
}

/// Sets the open conflicts of an issue to exactly `conflicts`.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn replace_for_issue(
    db: &Db,
    issue_id: i64,
    conflicts: &[FieldConflict],
    now: Timestamp,
) -> Result<()> {
    let keep: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
    let existing = for_issue(db, issue_id)?;
    for old in &existing {
        if !keep.contains(&old.conflict.field.as_str()) {
            delete(db, issue_id, old.conflict.field)?;
        }
    }
    for c in conflicts {
        db.prepare_cached(
            "INSERT INTO conflicts (issue_id, field, base, local, remote, detected_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (issue_id, field) DO UPDATE SET base = excluded.base,
                 local = excluded.local, remote = excluded.remote",
        )?
        .execute((
            issue_id,
            c.field.as_str(),
            encode(&c.base)?,
            encode(&c.local)?,
            encode(&c.remote)?,
            now.to_string(),
        ))?;
    }
    Ok(())
}

/// Replaces the local side of an open conflict (a later local edit of the field); the
/// conflict stays open. Returns whether there was one.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn set_local(db: &Db, issue_id: i64, field: Field, local: &FieldValue) -> Result<bool> {
    Ok(db
        .prepare_cached("UPDATE conflicts SET local = ?3 WHERE issue_id = ?1 AND field = ?2")?
        .execute((issue_id, field.as_str(), encode(local)?))?
        > 0)
}

/// Closes one conflict.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn delete(db: &Db, issue_id: i64, field: Field) -> Result<bool> {
    Ok(db
        .prepare_cached("DELETE FROM conflicts WHERE issue_id = ?1 AND field = ?2")?
        .execute((issue_id, field.as_str()))?
        > 0)
}

/// Closes every conflict of an issue.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn delete_all(db: &Db, issue_id: i64) -> Result<()> {
    db.prepare_cached("DELETE FROM conflicts WHERE issue_id = ?1")?
        .execute([issue_id])?;
    Ok(())
}

fn select(db: &Db, filter: &str, params: impl rusqlite::Params) -> Result<Vec<StoredConflict>> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT issue_id, field, base, local, remote, detected_at FROM conflicts {filter}
         ORDER BY detected_at, issue_id, field"
    ))?;
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (issue_id, field, base, local, remote, detected_at) = row?;
        let field: Field = field
            .parse()
            .map_err(|e| StoreError::corrupt("conflict field", e))?;
        Ok(StoredConflict {
            issue_id,
            conflict: FieldConflict {
                field,
                base: decode(&base)?.into_shape_of(field),
                local: decode(&local)?.into_shape_of(field),
                remote: decode(&remote)?.into_shape_of(field),
            },
            detected_at: timestamp(detected_at)?,
        })
    })
    .collect()
}

/// The open conflicts of an issue.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn for_issue(db: &Db, issue_id: i64) -> Result<Vec<StoredConflict>> {
    select(db, "WHERE issue_id = ?1", [issue_id])
}

/// Every open conflict, oldest first.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn all(db: &Db) -> Result<Vec<StoredConflict>> {
    select(db, "", [])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn milestone_conflicts_read_back_in_the_shape_they_were_stored() {
        let store = Store::open_in_memory().unwrap();
        let db = store.conn();
        db.execute_batch(
            "INSERT INTO connections (id, name, provider, web_url, api_url, secret_key, created_at)
                 VALUES (1, 'w', 'gitea', 'https://g', 'https://g/api/v1', 'k', 't');
             INSERT INTO repos (id, connection_id, full_path, created_at) VALUES (1, 1, 'o/r', 't');
             INSERT INTO issues (id, repo_id, remote_id, number, title, body, state, created_at,
                 updated_at, remote_url) VALUES (1, 1, 10, 1, 't', '', 'open', 't', 't', 'u');",
        )
        .unwrap();
        let conflict = FieldConflict {
            field: Field::Milestone,
            base: FieldValue::Optional(Some("v1".into())),
            local: FieldValue::Optional(Some("v2".into())),
            remote: FieldValue::Optional(None),
        };
        replace_for_issue(db, 1, std::slice::from_ref(&conflict), Timestamp::now()).unwrap();
        let read = for_issue(db, 1).unwrap();
        assert_eq!(
            read[0].conflict, conflict,
            "a title-shaped string is a milestone here"
        );
    }
}
