//! The TypeScript types of everything the desktop UI receives or sends, generated from
//! the core's Rust types (ts-rs) into `ui/src/lib/bindings/` and committed.
//!
//! Invariant: the committed files equal what this build generates; the test below
//! fails otherwise. `UPDATE_BINDINGS=1 cargo test -p issuesync bindings` rewrites them.

use std::path::Path;

use ts_rs::{Config, ExportError, TS};

use crate::model::{
    AppSettings, ConflictEntry, ConflictPolicy, Connection, Field, FieldValue, IssueDetail, Label,
    Milestone, RemoteRepo, Repo, SyncStatus, User,
};
use crate::store::issues::IssueQuery;
use crate::store::sync_log::LogRecord;
use crate::sync::SyncEvent;
use crate::workspace::{
    ConnectionAdded, ConnectionRemoved, Discarded, Edited, ImageChoice, IssueEdit, IssueView,
    NewConnectionRequest, NewIssue, Resolution, SyncFinished, SyncOverview, SyncProgress,
    SyncSummary,
};

/// Where the UI keeps the generated files, relative to the workspace root.
pub const BINDINGS_DIR: &str = "ui/src/lib/bindings";

/// Writes the TypeScript declarations of every IPC type (and what they use) into `dir`.
///
/// # Errors
/// The first type that cannot be written.
pub fn export_all(dir: &Path) -> Result<(), ExportError> {
    // 64-bit ids and counts fit a JS number for any real database.
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    IssueDetail::export_all(&cfg)?;
    IssueView::export_all(&cfg)?;
    ImageChoice::export_all(&cfg)?;
    SyncOverview::export_all(&cfg)?;
    AppSettings::export_all(&cfg)?;
    IssueQuery::export_all(&cfg)?;
    IssueEdit::export_all(&cfg)?;
    Edited::export_all(&cfg)?;
    NewIssue::export_all(&cfg)?;
    Resolution::export_all(&cfg)?;
    Discarded::export_all(&cfg)?;
    ConflictEntry::export_all(&cfg)?;
    ConflictPolicy::export_all(&cfg)?;
    Field::export_all(&cfg)?;
    FieldValue::export_all(&cfg)?;
    SyncStatus::export_all(&cfg)?;
    SyncSummary::export_all(&cfg)?;
    SyncEvent::export_all(&cfg)?;
    SyncProgress::export_all(&cfg)?;
    SyncFinished::export_all(&cfg)?;
    crate::ErrorReport::export_all(&cfg)?;
    LogRecord::export_all(&cfg)?;
    Connection::export_all(&cfg)?;
    ConnectionAdded::export_all(&cfg)?;
    NewConnectionRequest::export_all(&cfg)?;
    ConnectionRemoved::export_all(&cfg)?;
    Repo::export_all(&cfg)?;
    RemoteRepo::export_all(&cfg)?;
    Label::export_all(&cfg)?;
    Milestone::export_all(&cfg)?;
    User::export_all(&cfg)?;
    std::fs::write(dir.join("limits.ts"), limits_module())?;
    Ok(())
}

/// The core's limits the UI words its answers by, as TypeScript constants.
fn limits_module() -> String {
    format!(
        "// Generated from the core's constants by src/bindings.rs. Do not edit.\n\n\
         /** A search ranks, shows and counts at most this many matches, the most recently mirrored. */\n\
         export const SEARCH_RANKED = {};\n",
        crate::store::issues::SEARCH_RANKED
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn read_dir(dir: &std::path::Path) -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                    .map(|e| {
                        (
                            e.file_name().to_string_lossy().into_owned(),
                            std::fs::read_to_string(e.path()).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn typescript_bindings_are_current() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(super::BINDINGS_DIR);
        let fresh = tempfile::tempdir().unwrap();
        super::export_all(fresh.path()).unwrap();
        let generated = read_dir(fresh.path());
        assert!(generated.len() > 20, "every IPC type is exported");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            let _ = std::fs::remove_dir_all(&committed);
            std::fs::create_dir_all(&committed).unwrap();
            for (name, text) in &generated {
                std::fs::write(committed.join(name), text).unwrap();
            }
            return;
        }
        let on_disk = read_dir(&committed);
        let stale: Vec<&String> = generated
            .keys()
            .chain(on_disk.keys())
            .filter(|name| generated.get(*name) != on_disk.get(*name))
            .collect();
        assert!(
            stale.is_empty(),
            "ui/src/lib/bindings is out of date ({stale:?}); run \
             UPDATE_BINDINGS=1 cargo test -p issuesync bindings and commit the result"
        );
    }
}
