//! IssueSync desktop entry point: everything lives in the library's `run()`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    issuesync_desktop_lib::run();
}
