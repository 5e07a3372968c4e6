//! Build script: lets tauri-build read `tauri.conf.json`, the capabilities and the
//! icons, generates one `allow-<command>` permission per app command (so the capability
//! can grant exactly the commands the UI uses), and rebuilds the app when the embedded
//! UI (`../ui/dist`) changes.

/// The app commands, shared with `src/commands.rs`.
const COMMANDS: &[&str] = include!("src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
