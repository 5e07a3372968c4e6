//! The `webhook_deliveries` table: the delivery ids of webhook deliveries already
//! accepted, per connection, so that a replayed delivery (a tracker's retry, a manual
//! redelivery, an attacker's replay of a captured one) has no effect, also after a restart.
//!
//! Invariants: only ids of deliveries whose signature was verified are recorded (an
//! unsigned request cannot fill the table); rows older than the retention window are
//! pruned; no payload, header value other than the id, or secret is stored.

use rusqlite::Connection as Db;

use super::Result;
use crate::model::Timestamp;

/// Records `delivery_id` for the connection; `false` when it was recorded before (a
/// replay).
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn record(db: &Db, connection_id: i64, delivery_id: &str, now: Timestamp) -> Result<bool> {
    let inserted = db
        .prepare_cached(
            "INSERT OR IGNORE INTO webhook_deliveries (connection_id, delivery_id, received_at)
         VALUES (?1, ?2, ?3)",
        )?
        .execute((connection_id, delivery_id, now.to_string()))?;
    Ok(inserted == 1)
}

/// Deletes the ids recorded before `before`; returns how many went.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn prune(db: &Db, before: Timestamp) -> Result<usize> {
    Ok(db
        .prepare_cached("DELETE FROM webhook_deliveries WHERE received_at < ?1")?
        .execute([before.to_string()])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConflictPolicy, ProviderKind};
    use crate::store::{connections, Store};

    fn store_with_connection() -> (Store, i64) {
        let store = Store::open_in_memory().unwrap();
        let c = connections::insert(
            store.conn(),
            &connections::NewConnection {
                name: "c",
                provider: ProviderKind::Gitea,
                web_url: "https://git.example",
                api_url: "https://git.example/api/v1",
                has_token: false,
                secret_key: "k",
                login: None,
                conflict_policy: ConflictPolicy::Ask,
            },
        )
        .unwrap();
        (store, c.id)
    }

    #[test]
    fn a_delivery_id_is_new_once_per_connection_until_pruned() {
        let (store, id) = store_with_connection();
        let t0 = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        assert!(record(store.conn(), id, "d-1", t0).unwrap());
        assert!(
            !record(store.conn(), id, "d-1", t0.plus_seconds(5)).unwrap(),
            "a replay is not new"
        );
        assert!(record(store.conn(), id, "d-2", t0.plus_seconds(10)).unwrap());
        assert_eq!(prune(store.conn(), t0.plus_seconds(1)).unwrap(), 1);
        assert!(
            record(store.conn(), id, "d-1", t0.plus_seconds(20)).unwrap(),
            "after the retention window the id is forgotten"
        );
        assert!(!record(store.conn(), id, "d-2", t0.plus_seconds(20)).unwrap());
    }
}
