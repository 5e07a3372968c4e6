//! Build script: lets tauri-build read `tauri.conf.json`, the capabilities and the
//! icons, generates one `allow-<command>` permission per app command (so the capability
//! can grant exactly the commands the UI uses), and rebuilds the app when the embedded
//! UI (`../ui/dist`) changes.

/// Must list the same commands as `src/commands.rs` `COMMANDS` (a unit test checks).
const COMMANDS: &[&str] = &[
    "app_version",
    "settings",
    "save_settings",
    "overview",
    "list_connections",
    "add_connection",
    "remove_connection",
    "set_conflict_policy",
    "set_poll_interval",
    "list_repos",
    "remote_repos",
    "add_repo",
    "remove_repo",
    "repo_labels",
    "repo_milestones",
    "assignable_users",
    "list_issues",
    "count_issues",
    "issue_view",
    "render_markdown",
    "edit_issue",
    "create_issue",
    "add_comment",
    "discard_changes",
    "conflicts",
    "conflict_draft",
    "resolve_conflict",
    "sync_now",
    "sync_log",
    "open_on_tracker",
    "open_link",
];

fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
