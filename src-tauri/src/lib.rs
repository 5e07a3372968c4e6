//! IssueSync desktop shell: builds the Tauri app and exposes the core library to the
//! web UI. Commands (`commands`) are one-liners over `issuesync`; the scheduler syncs in
//! the background; notifications tell the person what needs them. Any logic that is
//! not about windows, events or notifications belongs in the core crate, and
//! `ui/src/lib/api.ts` is the only caller of the commands.
//!
//! Invariants: one app instance at a time (a second launch focuses the first); tokens
//! go from the connection dialog to the OS keychain and never back over IPC; links open
//! in the system browser, never in the webview.

mod commands;
mod error;
mod notices;
mod scheduler;

use std::sync::Arc;

use issuesync::secrets::KeychainStore;
use issuesync::Workspace;
use tauri::{Manager, Runtime};

pub use commands::COMMANDS;

/// What the commands share.
pub struct AppState {
    pub workspace: Arc<Workspace>,
}

/// Brings the main window to the front (a second launch, a clicked notification).
pub(crate) fn focus_main_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Builds and runs the desktop app until its last window closes.
///
/// # Panics
///
/// If the webview or the event loop cannot start (e.g. no display).
pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            focus_main_window(app);
        }))
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let data_dir = issuesync::workspace::default_data_dir()
                .ok_or("no data directory is known for this OS; set ISSUESYNC_DATA_DIR")?;
            let workspace = Arc::new(Workspace::open(&data_dir, Box::new(KeychainStore))?);
            app.manage(scheduler::Scheduler::start(
                app.handle().clone(),
                Arc::clone(&workspace),
            ));
            app.manage(AppState { workspace });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_version,
            commands::settings,
            commands::save_settings,
            commands::overview,
            commands::list_connections,
            commands::add_connection,
            commands::remove_connection,
            commands::set_conflict_policy,
            commands::set_poll_interval,
            commands::list_repos,
            commands::remote_repos,
            commands::add_repo,
            commands::remove_repo,
            commands::repo_labels,
            commands::repo_milestones,
            commands::assignable_users,
            commands::list_issues,
            commands::count_issues,
            commands::issue_view,
            commands::render_markdown,
            commands::edit_issue,
            commands::create_issue,
            commands::add_comment,
            commands::discard_changes,
            commands::conflicts,
            commands::conflict_draft,
            commands::resolve_conflict,
            commands::sync_now,
            commands::sync_log,
            commands::open_on_tracker,
            commands::open_link,
        ])
        .run(tauri::generate_context!())
        .expect("IssueSync failed to start its window");
}
