//! The `settings` table: application settings as one JSON document per key.
//!
//! Invariant: a missing or unreadable value reads as the default, so an older or newer
//! build's settings never stop the app from starting.

use rusqlite::Connection as Db;

use super::{optional, Result, StoreError};
use crate::model::AppSettings;

const APP: &str = "app";

/// The application settings (defaults where none were saved).
///
/// # Errors
/// [`StoreError`] on a read failure.
pub fn app(db: &Db) -> Result<AppSettings> {
    let text: Option<String> = optional(
        db.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([APP], |r| r.get(0)),
    )?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// Saves the application settings.
///
/// # Errors
/// [`StoreError`] on a write failure.
pub fn save_app(db: &Db, settings: &AppSettings) -> Result<()> {
    let text = serde_json::to_string(settings).map_err(|e| StoreError::corrupt("settings", e))?;
    db.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute((APP, text))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn settings_default_then_round_trip() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(app(store.conn()).unwrap(), AppSettings::default());
        let changed = AppSettings {
            notify_assigned: false,
            ..AppSettings::default()
        };
        save_app(store.conn(), &changed).unwrap();
        assert_eq!(app(store.conn()).unwrap(), changed);
        store
            .conn()
            .execute("UPDATE settings SET value = 'not json'", [])
            .unwrap();
        assert_eq!(
            app(store.conn()).unwrap(),
            AppSettings::default(),
            "unreadable settings fall back to the defaults"
        );
    }
}
