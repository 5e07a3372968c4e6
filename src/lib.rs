//! IssueSync core: mirrors issues from GitHub, GitLab and Gitea into one local SQLite
//! store and syncs them both ways.
//!
//! Invariants: nothing in this crate depends on tauri, clap or any UI type; the CLI
//! (`src/cli`, `src/main.rs`) and the desktop shell (`src-tauri`) are thin adapters over
//! [`workspace::Workspace`]. Data flows one way per direction: tracker → provider → sync
//! → store.

pub mod bindings;
pub mod error;
pub mod markdown;
pub mod model;
mod owner_only;
pub mod provider;
pub mod reference;
pub mod remote_url;
pub mod secrets;
pub mod serve;
pub mod store;
pub mod sync;
pub mod webhook;
pub mod workspace;

pub use error::{Error, ErrorReport, Result};
pub use workspace::Workspace;

/// The core's version, shown by the CLI and the desktop app.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
