//! Shared helpers for the integration tests (one test binary, see `tests/tests.rs`).
//!
//! - [`fake_gitea`]: a stateful in-process fake of the Gitea / Forgejo API v1.
//! - [`fake_github`]: a stateful in-process fake of the GitHub REST API v3 (GHES layout).
//! - [`fake_gitlab`]: a stateful in-process fake of the GitLab REST API v4.
//! - [`github_openapi`]: checks requests and JSON bodies against GitHub's OpenAPI description.
//! - [`http_reply`]: a fake's HTTP answer read completely, with its `Link` header parsed.
//! - [`in_flight`]: how many requests a fake had in flight at once; an artificial latency.
//! - [`server`]: how a fake serves on 127.0.0.1:0, with connections it can cut.
//! - [`tracker`]: the trait every fake tracker implements, so one story runs on all.
//! - [`cli`]: runs the real `issuesync` binary on a temporary data dir.

pub mod cli;
pub mod fake_gitea;
pub mod fake_github;
pub mod fake_gitlab;
pub mod fake_hooks;
pub mod github_openapi;
pub mod http_reply;
pub mod in_flight;
pub mod server;
pub mod tracker;
