//! The webhook receiver while the desktop app is open (the `webhook_receiver` setting,
//! off by default): the core's receiver without its scheduler (the app has its own),
//! on `127.0.0.1:8765`. A refresh that changed the mirror is told to the window as a
//! finished sync, so the open list and issue reload; verified deliveries lengthen the
//! scheduler's polling of that connection.
//!
//! Invariant: nothing here reads a payload or a secret; the core does.

use std::sync::Arc;
use std::time::Instant;

use issuesync::serve::{ServeEvent, ServeOptions};
use issuesync::workspace::{SyncFinished, SyncSummary};
use issuesync::Workspace;
use tauri::{AppHandle, Emitter, Runtime};

use crate::scheduler::Deliveries;

/// Starts the receiver for the life of the app; a failure to bind is reported as a sync
/// error in the status bar.
pub fn start<R: Runtime>(app: AppHandle<R>, workspace: Arc<Workspace>, deliveries: Deliveries) {
    let options = ServeOptions {
        poll: false,
        ..ServeOptions::default()
    };
    let events = app.clone();
    let log = Arc::new(move |event: ServeEvent| match event {
        ServeEvent::Delivery {
            connection,
            result: "accepted",
            ..
        } => {
            deliveries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(connection, Instant::now());
        }
        ServeEvent::Refreshed {
            connection,
            refreshed,
        } if refreshed.changed() => {
            let _ = events.emit(
                "sync-finished",
                SyncFinished {
                    connection: Some(connection),
                    summary: Some(SyncSummary::default()),
                    error: None,
                },
            );
        }
        _ => {}
    });
    tauri::async_runtime::spawn(async move {
        let result = workspace.serve(options, std::future::pending(), log).await;
        if let Err(e) = result {
            let _ = app.emit(
                "sync-finished",
                SyncFinished {
                    connection: None,
                    summary: None,
                    error: Some(issuesync::ErrorReport::from(e)),
                },
            );
        }
    });
}
