//! IssueSync desktop shell: builds the Tauri app and exposes the core library to
//! the web UI as commands. Commands stay one-liners over `issuesync`; any logic
//! belongs in the core crate, and `ui/src/lib/api.ts` is their only caller.

/// The core library's version, shown in the UI.
#[tauri::command]
fn app_version() -> &'static str {
    issuesync::VERSION
}

/// Builds and runs the desktop app until its last window closes.
///
/// # Panics
///
/// If the webview or the event loop cannot start (e.g. no display).
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![app_version])
        .run(tauri::generate_context!())
        .expect("IssueSync failed to start its window");
}
