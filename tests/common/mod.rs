//! Shared helpers for the integration tests (one test binary, see `tests/tests.rs`).
//!
//! - [`fake_gitea`]: a stateful in-process fake of the Gitea / Forgejo API v1.
//! - [`tracker`]: the trait every fake tracker implements, so one story runs on all.
//! - [`cli`]: runs the real `issuesync` binary on a temporary data dir.

pub mod cli;
pub mod fake_gitea;
pub mod fake_gitlab;
pub mod killable;
pub mod tracker;
