//! IssueSync desktop shell: builds the Tauri app and exposes the core library to the
//! web UI. Commands (`commands`) are one-liners over `issuesync`; the scheduler syncs in
//! the background; notifications tell the person what needs them. Any logic that is
//! not about windows, events or notifications belongs in the core crate, and
//! `ui/src/lib/api.ts` is the only caller of the commands.
//!
//! Invariants: one app instance at a time (a second launch focuses the first); tokens
//! go from the connection dialog to the OS keychain and never back over IPC; links open
//! in the system browser, never in the webview (the UI's click guard, and the
//! `navigation` guard for everything else); `ISSUESYNC_TOKEN_*` are moved out of the
//! environment before anything starts, so the browser and other launched processes do
//! not inherit them.

mod commands;
mod error;
mod navigation;
mod notices;
mod receiver;
mod renderer;
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
    // First, while this is the only thread: the core keeps the tokens in memory.
    issuesync::secrets::move_env_tokens_into_memory();
    renderer::choose();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            focus_main_window(app);
        }))
        .plugin(tauri_plugin_opener::init())
        .plugin(navigation::guard())
        .setup(|app| {
            let data_dir = issuesync::workspace::default_data_dir()
                .ok_or("no data directory is known for this OS; set ISSUESYNC_DATA_DIR")?;
            let workspace = Arc::new(Workspace::open(&data_dir, Box::new(KeychainStore))?);
            let deliveries = scheduler::Deliveries::default();
            if workspace.settings().is_ok_and(|s| s.webhook_receiver) {
                receiver::start(
                    app.handle().clone(),
                    Arc::clone(&workspace),
                    Arc::clone(&deliveries),
                );
            }
            app.manage(scheduler::Scheduler::start(
                app.handle().clone(),
                Arc::clone(&workspace),
                deliveries,
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
            commands::replace_token,
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
            commands::retry_changes,
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

#[cfg(test)]
mod tests {
    /// The window may run only the app's own scripts: no inline or eval'd script, no
    /// remote code, no frames, no forms or base URL to redirect, and network access only
    /// to the IPC bridge. Read from the file the build reads (`src-tauri/tauri.conf.json`
    /// is a link to the one top-level config).
    #[test]
    fn there_is_one_tauri_config_and_the_build_reads_it() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let built = std::fs::canonicalize(here.join("tauri.conf.json")).unwrap();
        let top = std::fs::canonicalize(here.join("../tauri.conf.json")).unwrap();
        assert_eq!(
            built, top,
            "src-tauri/tauri.conf.json must be the top-level file"
        );
    }

    #[test]
    fn the_content_security_policy_allows_nothing_beyond_the_app_itself() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        let csp = config["app"]["security"]["csp"]
            .as_str()
            .expect("a CSP is set");
        let directive = |name: &str| -> Vec<String> {
            csp.split(';')
                .map(str::trim)
                .find_map(|d| d.strip_prefix(name))
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        assert_eq!(directive("default-src"), ["'self'"]);
        assert_eq!(directive("script-src"), ["'self'"], "{csp}");
        assert_eq!(directive("style-src"), ["'self'"], "{csp}");
        for locked in ["base-uri", "form-action", "frame-ancestors"] {
            assert_eq!(directive(locked), ["'none'"], "{locked} in {csp}");
        }
        let every_value: Vec<&str> = csp
            .split(';')
            .flat_map(|d| d.split_whitespace().skip(1))
            .collect();
        // Images: which ones load is decided per image by the renderer
        // (`issuesync::markdown::ImagePolicy`), before the address reaches the webview;
        // the CSP is its upper bound: the app's files and https, nothing inline.
        assert_eq!(directive("img-src"), ["'self'", "https:"], "{csp}");
        for token in [
            "'unsafe-inline'",
            "'unsafe-eval'",
            "*",
            "http:",
            "blob:",
            "data:",
        ] {
            assert!(!every_value.contains(&token), "{token} in {csp}");
        }
        let connect = directive("connect-src");
        assert!(
            connect
                .iter()
                .all(|c| c == "ipc:" || c == "http://ipc.localhost"),
            "the webview talks to the IPC bridge only: {connect:?}"
        );
        assert_eq!(
            config["app"]["withGlobalTauri"], false,
            "no window.__TAURI__ for injected code"
        );
    }
}
