//! Integration tests: one binary (`autotests = false`). Modules mirror what they test.
//! HTTP goes only to in-process fakes on 127.0.0.1; data goes only to temp dirs.

mod common;

mod cli_contract;
mod crash_safety;
#[cfg(target_os = "linux")]
mod desktop_e2e;
mod fake_gitea_fidelity;
mod fake_github_fidelity;
mod fake_gitlab_fidelity;
mod gitea_contract;
mod gitea_sync;
mod github_contract;
mod gitlab_sync;
mod graphql_import;
mod hostile_content;
mod keychain;
mod many_repos;
mod mcp;
mod provider_story;
mod repo_rename;
mod serve;
mod sync_budget;
mod sync_errors;
mod token_safety;
mod tracker_capabilities;
mod two_way_sync;
mod webhook_latency;
mod webhook_register;
mod webhooks;
