//! The `connections` table: tracker accounts, without their secrets.
//!
//! Invariant: names are unique; removing a connection removes its repositories, issues
//! and comments (cascade), and its sync-log rows lose the link but stay.

use rusqlite::{Connection as Db, Row};

use super::{optional, timestamp, Result, StoreError};
use crate::model::{ConflictPolicy, Connection, ProviderKind, Timestamp};
use crate::provider::AssigneeCapacity;

/// What [`insert`] needs; `secret_key` names the keychain entry.
pub struct NewConnection<'a> {
    pub name: &'a str,
    pub provider: ProviderKind,
    pub web_url: &'a str,
    pub api_url: &'a str,
    pub has_token: bool,
    pub secret_key: &'a str,
    pub login: Option<&'a str>,
    pub conflict_policy: ConflictPolicy,
}

const COLUMNS: &str = "id, name, provider, web_url, api_url, has_token, secret_key, login, \
                       created_at, conflict_policy, poll_interval_minutes";

/// A row as read, before its text columns are parsed.
struct RawConnection {
    connection: Connection,
    provider: String,
    created_at: String,
    conflict_policy: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawConnection> {
    Ok(RawConnection {
        connection: Connection {
            id: row.get(0)?,
            name: row.get(1)?,
            provider: ProviderKind::Gitea,
            web_url: row.get(3)?,
            api_url: row.get(4)?,
            has_token: row.get(5)?,
            secret_key: row.get(6)?,
            login: row.get(7)?,
            conflict_policy: ConflictPolicy::Ask,
            poll_interval_minutes: row.get(10)?,
            created_at: Timestamp::now(),
        },
        provider: row.get(2)?,
        created_at: row.get(8)?,
        conflict_policy: row.get(9)?,
    })
}

fn finish(raw: RawConnection) -> Result<Connection> {
    let mut connection = raw.connection;
    connection.provider = raw
        .provider
        .parse()
        .map_err(|e| StoreError::corrupt("connection provider", e))?;
    connection.created_at = timestamp(raw.created_at)?;
    connection.conflict_policy = raw
        .conflict_policy
        .parse()
        .map_err(|e| StoreError::corrupt("connection conflict policy", e))?;
    Ok(connection)
}

/// Inserts a connection and returns it.
///
/// # Errors
/// [`StoreError::Sqlite`], including a unique violation when the name is taken.
pub fn insert(db: &Db, new: &NewConnection<'_>) -> Result<Connection> {
    db.prepare_cached(
        "INSERT INTO connections (name, provider, web_url, api_url, has_token, secret_key, login,
             created_at, conflict_policy)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute((
        new.name,
        new.provider.as_str(),
        new.web_url,
        new.api_url,
        new.has_token,
        new.secret_key,
        new.login,
        Timestamp::now().to_string(),
        new.conflict_policy.as_str(),
    ))?;
    by_name(db, new.name)?.ok_or_else(|| StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
}

/// All connections, by name.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn list(db: &Db) -> Result<Vec<Connection>> {
    let mut stmt =
        db.prepare_cached(&format!("SELECT {COLUMNS} FROM connections ORDER BY name"))?;
    let rows = stmt.query_map([], from_row)?;
    rows.map(|r| finish(r?)).collect()
}

/// The connection called `name`, if any.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn by_name(db: &Db, name: &str) -> Result<Option<Connection>> {
    optional(
        db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM connections WHERE name = ?1"
        ))?
        .query_row([name], from_row),
    )?
    .map(finish)
    .transpose()
}

/// The connection with local id `id`, if any.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn by_id(db: &Db, id: i64) -> Result<Option<Connection>> {
    optional(
        db.prepare_cached(&format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"))?
            .query_row([id], from_row),
    )?
    .map(finish)
    .transpose()
}

/// Deletes a connection and everything mirrored through it. Returns whether it existed.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn delete(db: &Db, id: i64) -> Result<bool> {
    Ok(db
        .prepare_cached("DELETE FROM connections WHERE id = ?1")?
        .execute([id])?
        > 0)
}

/// Records that a connection now has a token, belonging to `login`.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn set_token(db: &Db, id: i64, login: &str) -> Result<()> {
    db.prepare_cached("UPDATE connections SET has_token = 1, login = ?2 WHERE id = ?1")?
        .execute((id, login))?;
    Ok(())
}

/// Sets how often the desktop app syncs a connection (1 to 1440 minutes).
///
/// # Errors
/// [`StoreError`] on a write failure, including a value out of range.
pub fn set_poll_interval(db: &Db, id: i64, minutes: u32) -> Result<()> {
    db.prepare_cached("UPDATE connections SET poll_interval_minutes = ?2 WHERE id = ?1")?
        .execute((id, minutes))?;
    Ok(())
}

/// Sets what sync does with conflicts on a connection.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn set_conflict_policy(db: &Db, id: i64, policy: ConflictPolicy) -> Result<()> {
    db.prepare_cached("UPDATE connections SET conflict_policy = ?2 WHERE id = ?1")?
        .execute((id, policy.as_str()))?;
    Ok(())
}

/// What sync learned about how many assignees the connection's tracker keeps.
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn assignee_capacity(db: &Db, id: i64) -> Result<AssigneeCapacity> {
    let stored: Option<String> = optional(
        db.prepare_cached("SELECT assignee_capacity FROM connections WHERE id = ?1")?
            .query_row([id], |r| r.get(0)),
    )?;
    Ok(stored.map_or(AssigneeCapacity::Unknown, |s| AssigneeCapacity::parse(&s)))
}

/// Remembers how many assignees the connection's tracker keeps.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn set_assignee_capacity(db: &Db, id: i64, capacity: AssigneeCapacity) -> Result<()> {
    db.prepare_cached("UPDATE connections SET assignee_capacity = ?2 WHERE id = ?1")?
        .execute((id, capacity.as_str()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn sample<'a>(name: &'a str, key: &'a str) -> NewConnection<'a> {
        NewConnection {
            name,
            provider: ProviderKind::Gitea,
            web_url: "https://gitea.example",
            api_url: "https://gitea.example/api/v1",
            has_token: true,
            secret_key: key,
            login: Some("alice"),
            conflict_policy: ConflictPolicy::Ask,
        }
    }

    #[test]
    fn connections_round_trip_and_names_are_unique() {
        let store = Store::open_in_memory().unwrap();
        let created = insert(store.conn(), &sample("work", "k1")).unwrap();
        assert_eq!(created.provider, ProviderKind::Gitea);
        assert_eq!(
            by_name(store.conn(), "work").unwrap(),
            Some(created.clone())
        );
        assert!(
            insert(store.conn(), &sample("work", "k2")).is_err(),
            "a second connection with the same name must be refused"
        );
        assert_eq!(list(store.conn()).unwrap().len(), 1);
        set_conflict_policy(store.conn(), created.id, ConflictPolicy::RemoteWins).unwrap();
        assert_eq!(
            by_name(store.conn(), "work")
                .unwrap()
                .unwrap()
                .conflict_policy,
            ConflictPolicy::RemoteWins
        );
        assert_eq!(
            assignee_capacity(store.conn(), created.id).unwrap(),
            AssigneeCapacity::Unknown
        );
        set_assignee_capacity(store.conn(), created.id, AssigneeCapacity::One).unwrap();
        assert_eq!(
            assignee_capacity(store.conn(), created.id).unwrap(),
            AssigneeCapacity::One
        );
        assert!(delete(store.conn(), created.id).unwrap());
        assert!(by_name(store.conn(), "work").unwrap().is_none());
    }
}
