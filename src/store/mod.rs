//! The local mirror: one SQLite file (WAL, foreign keys on) holding connections,
//! repositories, issues with their base snapshots, comments, labels, users, milestones,
//! the sync log and an FTS5 index.
//!
//! Invariants:
//! - Migrations are append-only and timestamped (`migrations/*.sql`); a shipped file is
//!   never edited. A database with a migration this build does not know is refused
//!   rather than written to.
//! - Every multi-row write happens in one transaction, so a crash leaves either the old
//!   or the new state. Callers get a [`rusqlite::Transaction`] through [`Store::write`].
//! - No token is ever written here; connections keep only the keychain entry's name.
//! - The database file is created `0600` before SQLite opens it (SQLite gives its WAL
//!   and shared-memory files the database's mode), and narrowed to `0600` with them when
//!   an older, wider one is opened (unix; see [`crate::owner_only`]).

pub mod agent_writes;
pub mod comments;
pub mod conflicts;
pub mod connections;
pub mod http_cache;
pub mod issues;
pub mod labels;
pub mod outbox;
pub mod repos;
pub mod search;
pub mod settings;
pub mod sync_log;
pub mod webhook_deliveries;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::model::Timestamp;

/// The migrations, oldest first. Append only.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261125_0001_initial",
        include_str!("migrations/20261125_0001_initial.sql"),
    ),
    (
        "20261125_0002_etags_and_notes",
        include_str!("migrations/20261125_0002_etags_and_notes.sql"),
    ),
    (
        "20261201_0003_local_edits",
        include_str!("migrations/20261201_0003_local_edits.sql"),
    ),
    (
        "20261204_0004_learned_capabilities",
        include_str!("migrations/20261204_0004_learned_capabilities.sql"),
    ),
    (
        "20261204_0005_page_validators",
        include_str!("migrations/20261204_0005_page_validators.sql"),
    ),
    (
        "20261204_0006_agent_writes",
        include_str!("migrations/20261204_0006_agent_writes.sql"),
    ),
    (
        "20261204_0007_webhook_deliveries",
        include_str!("migrations/20261204_0007_webhook_deliveries.sql"),
    ),
    (
        "20261204_0008_search_refresh_queue",
        include_str!("migrations/20261204_0008_search_refresh_queue.sql"),
    ),
    (
        "20261204_0009_list_and_prefix_indexes",
        include_str!("migrations/20261204_0009_list_and_prefix_indexes.sql"),
    ),
    (
        "20261204_0010_search_column_weights",
        include_str!("migrations/20261204_0010_search_column_weights.sql"),
    ),
];

/// The database file inside a data dir.
pub const DATABASE_FILE: &str = "issuesync.db";

/// What went wrong with the local database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} was written by a newer IssueSync (it has migration {migration}); \
         upgrade IssueSync"
    )]
    TooNew { path: PathBuf, migration: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database upgrade {migration} failed: {problem}; nothing was changed")]
    Migration { migration: String, problem: String },
    #[error("stored {what} is unreadable: {source}")]
    Corrupt {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Open { .. } => "store_open",
            Self::TooNew { .. } => "store_too_new",
            Self::Sqlite(_) | Self::Corrupt { .. } | Self::Migration { .. } => "store",
        }
    }

    pub(crate) fn corrupt(
        what: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Corrupt {
            what,
            source: Box::new(source),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open mirror database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the file cannot be opened, [`StoreError::TooNew`] when a
    /// newer IssueSync wrote it, [`StoreError::Sqlite`] when a migration fails (the
    /// migration is rolled back).
    pub fn open(path: &Path) -> Result<Self> {
        let private = |file: &Path, result: std::io::Result<()>| {
            result.map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::InvalidPath(format!("{}: {e}", file.display()).into()),
            })
        };
        private(path, crate::owner_only::prepare_file(path))?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_os_string();
            side.push(suffix);
            let side = PathBuf::from(side);
            private(&side, crate::owner_only::narrow_file(&side))?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let store = Self::configure(conn, path)?;
        Ok(store)
    }

    /// An in-memory database with the full schema, for tests.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the schema cannot be created.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        Self::configure(conn, Path::new(":memory:"))
    }

    fn configure(conn: Connection, path: &Path) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 16 MiB of page cache (SQLite's default is 2): the interior pages of the issue,
        // comment and search b-trees stay in memory during a big import instead of being
        // read back from the OS for every row. A bound, so memory stays flat.
        conn.pragma_update(None, "cache_size", -16_384)?;
        // Every statement of the hot paths is prepared once (`prepare_cached`).
        conn.set_prepared_statement_cache_capacity(128);
        let mut store = Self { conn };
        store.migrate(path)?;
        // Search rows a crashed listing left queued.
        store.write(|tx| search::refresh_queued(tx).map(|_| ()))?;
        Ok(store)
    }

    fn migrate(&mut self, path: &Path) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version TEXT PRIMARY KEY,
                 applied_at TEXT NOT NULL
             )",
        )?;
        let applied: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT version FROM schema_migrations ORDER BY version")?;
            let rows = stmt.query_map([], |row| row.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if let Some(unknown) = applied
            .iter()
            .find(|v| !MIGRATIONS.iter().any(|(known, _)| known == v))
        {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                migration: unknown.clone(),
            });
        }
        let pending: Vec<&(&str, &str)> = MIGRATIONS
            .iter()
            .filter(|(version, _)| !applied.iter().any(|v| v == version))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        // Foreign keys are off while migrating (a table rebuild would otherwise cascade
        // its deletes) and checked before each migration commits.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let result = pending.into_iter().try_for_each(|(version, sql)| {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            let broken: Option<String> = optional(tx.query_row(
                "SELECT \"table\" FROM pragma_foreign_key_check LIMIT 1",
                [],
                |r| r.get(0),
            ))?;
            if let Some(table) = broken {
                return Err(StoreError::Migration {
                    migration: version.to_string(),
                    problem: format!("it leaves rows of {table} pointing at nothing"),
                });
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                (version, Timestamp::now().to_string()),
            )?;
            tx.commit()?;
            Ok(())
        });
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        result
    }

    /// Read access.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` inside one transaction, committed only when `f` succeeds. The
    /// transaction begins `IMMEDIATE`: it takes the write lock before `f` reads, so
    /// another process writing meanwhile makes it wait (the busy timeout), never fail
    /// with a stale snapshot.
    ///
    /// # Errors
    /// Whatever `f` returns, or [`StoreError::Sqlite`] when the commit fails; in both
    /// cases nothing `f` wrote is kept.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_then(f, true)
    }

    /// Like [`Store::write`], but search rows queued by this transaction wait for the
    /// next ordinary write (a listing of many pages rebuilds each issue's row once, at its
    /// end, instead of once per comment).
    ///
    /// # Errors
    /// As [`Store::write`].
    pub fn write_deferring_search<T, E>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_then(f, false)
    }

    fn write_then<T, E>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
        refresh_search: bool,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let value = f(&tx)?;
        if refresh_search {
            search::refresh_queued(&tx)?;
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// The migrations applied to this database, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn applied_migrations(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Reads an optional timestamp column.
pub(crate) fn opt_timestamp(text: Option<String>) -> Result<Option<Timestamp>> {
    text.map(|t| Timestamp::parse(&t).map_err(|e| StoreError::corrupt("timestamp", e)))
        .transpose()
}

/// Reads a required timestamp column.
pub(crate) fn timestamp(text: String) -> Result<Timestamp> {
    Timestamp::parse(&text).map_err(|e| StoreError::corrupt("timestamp", e))
}

/// `query_row` that maps "no row" to `None`.
pub(crate) fn optional<T>(result: rusqlite::Result<T>) -> Result<Option<T>> {
    Ok(result.optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_twice_applies_each_migration_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert_eq!(store.applied_migrations().unwrap().len(), MIGRATIONS.len());
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1, "foreign keys must be enforced");
    }

    #[test]
    fn upgrading_a_mirror_keeps_its_issues_links_and_cascades() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        {
            // A mirror written before local editing existed.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL);",
            )
            .unwrap();
            for (version, sql) in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?1, 'then')",
                    [version],
                )
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO connections (id, name, provider, web_url, api_url, secret_key, created_at)
                     VALUES (1, 'w', 'gitea', 'https://g', 'https://g/api/v1', 'k', 't');
                 INSERT INTO repos (id, connection_id, full_path, created_at) VALUES (1, 1, 'o/r', 't');
                 INSERT INTO issues (id, repo_id, remote_id, number, title, body, state, created_at,
                     updated_at, remote_url, sync_status)
                     VALUES (7, 1, 700, 3, 'kept', 'body', 'open', 't', 't', 'https://g/o/r/issues/3', 'synced');
                 INSERT INTO issue_labels VALUES (7, 'bug');
                 INSERT INTO issue_bases VALUES (7, '{}', 't', 't');
                 INSERT INTO comments (issue_id, remote_id, body, created_at, updated_at)
                     VALUES (7, 70, 'a comment', 't', 't');
                 INSERT INTO sync_log (at, issue_id, operation, result) VALUES ('t', 7, 'pull', 'ok');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let db = store.conn();
        let (title, number): (String, i64) = db
            .query_row("SELECT title, number FROM issues WHERE id = 7", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((title.as_str(), number), ("kept", 3));
        let fk: i64 = db
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1, "foreign keys are back on after migrating");
        db.execute("DELETE FROM issues WHERE id = 7", []).unwrap();
        let left: i64 = db
            .query_row(
                "SELECT (SELECT count(*) FROM issue_labels) + (SELECT count(*) FROM issue_bases)
                      + (SELECT count(*) FROM comments)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            left, 0,
            "the rebuilt issues table still cascades to its children"
        );
        let unlinked: Option<i64> = db
            .query_row("SELECT issue_id FROM sync_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(unlinked, None, "log rows survive, unlinked");
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        let store = Store::open(&path).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO schema_migrations VALUES ('29990101_0001_future', 'x')",
                [],
            )
            .unwrap();
        drop(store);
        let err = Store::open(&path).err().expect("must refuse");
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    }

    #[test]
    fn a_failed_write_keeps_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        let result: Result<()> = store.write(|tx| {
            tx.execute(
                "INSERT INTO sync_log (at, operation, result) VALUES ('t', 'x', 'ok')",
                [],
            )?;
            Err(StoreError::corrupt("test", std::fmt::Error))
        });
        assert!(result.is_err());
        let count: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM sync_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 0, "the failed transaction must be rolled back");
    }

    /// Two processes on one data dir (the desktop app syncing, a CLI `edit`): a write
    /// transaction that read first must not fail when the other commits in between
    /// (SQLite's `SQLITE_BUSY_SNAPSHOT`, which no busy timeout retries); it waits.
    #[test]
    fn a_write_that_read_first_waits_for_another_process_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        let mut first = Store::open(&path).unwrap();
        let mut second = Store::open(&path).unwrap();
        let insert = "INSERT INTO sync_log (at, operation, result) VALUES ('t', 'x', 'ok')";
        let (read, may_write) = (
            std::sync::mpsc::channel::<()>(),
            std::sync::mpsc::channel::<()>(),
        );
        let (read_tx, read_rx) = read;
        let (go_tx, go_rx) = may_write;
        let other = std::thread::spawn(move || {
            read_rx.recv().unwrap();
            let result = second.write(|tx| tx.execute(insert, []).map_err(StoreError::from));
            go_tx.send(()).unwrap();
            result
        });
        let mine: Result<usize> = first.write(|tx| {
            let _: i64 = tx.query_row("SELECT count(*) FROM sync_log", [], |r| r.get(0))?;
            read_tx.send(()).unwrap();
            // The other process tries to write now; give it the time to commit if it can.
            let _ = go_rx.recv_timeout(std::time::Duration::from_millis(300));
            Ok(tx.execute(insert, [])?)
        });
        assert!(mine.is_ok(), "the first write failed: {mine:?}");
        assert!(other.join().unwrap().is_ok(), "the second write failed");
        let count: i64 = first
            .conn()
            .query_row("SELECT count(*) FROM sync_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 2);
    }
}
