//! Build script: lets tauri-build read `tauri.conf.json`, the capabilities and
//! the icons, and rebuilds the app when the embedded UI (`../ui/dist`) changes.

fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build();
}
