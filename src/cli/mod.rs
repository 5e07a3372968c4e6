//! The `issuesync` command line: argument parsing (clap) and output. One file per
//! subcommand; each parses its flags and calls one [`issuesync::Workspace`] method.
//!
//! Invariants: commands never touch the store or the network except through the
//! workspace; `--json` output is the stable contract for scripts, human output may change.

mod comment;
mod conflicts;
mod connection_add;
mod connection_edit;
mod connection_list;
mod connection_remove;
mod create;
mod discard;
mod edit;
mod list;
mod log;
mod mcp;
mod output;
mod repo_add;
mod repo_list;
mod repo_remove;
mod resolve;
mod serve;
mod show;
mod sync;
mod webhook_list;
mod webhook_register;
mod webhook_secret;
mod webhook_unregister;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use issuesync::secrets::KeychainStore;
use issuesync::Workspace;

/// Mirror GitHub, GitLab and Gitea/Forgejo issues into one local database.
#[derive(Debug, Parser)]
#[command(name = "issuesync", version, about, propagate_version = true)]
pub struct Cli {
    /// Where the database lives [default: the OS data dir, e.g. ~/.local/share/issuesync]
    #[arg(long, global = true, env = "ISSUESYNC_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add, list or remove tracker connections
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Choose which repositories to mirror
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Run one sync round: push pending local changes, then pull
    Sync(sync::Sync),
    /// List mirrored issues
    List(list::List),
    /// Show one issue with its comments
    Show(show::Show),
    /// Edit an issue locally (pushed with the next sync)
    Edit(edit::Edit),
    /// Create an issue locally (it gets its number when pushed)
    Create(create::Create),
    /// Comment on an issue locally (pushed with the next sync)
    Comment(comment::Comment),
    /// List fields changed differently here and on the tracker
    Conflicts(conflicts::Conflicts),
    /// Settle a conflicting field (pushed with the next sync)
    Resolve(resolve::Resolve),
    /// Drop the local changes of an issue
    Discard(discard::Discard),
    /// Show the sync log (of one issue with REF)
    Log(log::Log),
    /// Run headless: sync on schedule and act on webhook deliveries until stopped
    Serve(serve::Serve),
    /// Webhook secrets and the hooks on the trackers
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Serve the mirror to agents over MCP on stdio (see README, "Agents (MCP)")
    Mcp(mcp::Mcp),
}

#[derive(Debug, Subcommand)]
enum WebhookCommand {
    /// Generate (or --stdin: set) the secret deliveries are signed with; printed once
    Secret(webhook_secret::WebhookSecret),
    /// Create the hook on the tracker for PUBLIC_BASE_URL/webhooks/NAME
    Register(webhook_register::WebhookRegister),
    /// Remove our hooks from the tracker
    Unregister(webhook_unregister::WebhookUnregister),
    /// List the hooks of a repository that deliver to issuesync
    List(webhook_list::WebhookList),
}

#[derive(Debug, Subcommand)]
enum ConnectionCommand {
    /// Connect a tracker (verifies it, stores the token in the OS keychain)
    Add(connection_add::ConnectionAdd),
    /// List connections
    List(connection_list::ConnectionList),
    /// Change a connection's conflict policy or token
    Edit(connection_edit::ConnectionEdit),
    /// Remove a connection, its mirrored issues and its keychain entry
    Remove(connection_remove::ConnectionRemove),
}

#[derive(Debug, Subcommand)]
enum RepoCommand {
    /// Mirror a repository: NAME:OWNER/REPO (GitLab: the full project path)
    Add(repo_add::RepoAdd),
    /// List the repositories a connection's token can see on the tracker
    List(repo_list::RepoList),
    /// Stop mirroring a repository and delete its local copy
    Remove(repo_remove::RepoRemove),
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => issuesync::workspace::default_data_dir()
            .context("no data directory is known for this OS; pass --data-dir DIR")?,
    };
    let workspace = Workspace::open(&data_dir, Box::new(KeychainStore))?;
    match cli.command {
        Command::Connection(ConnectionCommand::Add(cmd)) => cmd.run(&workspace).await,
        Command::Connection(ConnectionCommand::List(cmd)) => cmd.run(&workspace),
        Command::Connection(ConnectionCommand::Edit(cmd)) => cmd.run(&workspace).await,
        Command::Connection(ConnectionCommand::Remove(cmd)) => cmd.run(&workspace),
        Command::Repo(RepoCommand::Add(cmd)) => cmd.run(&workspace).await,
        Command::Repo(RepoCommand::List(cmd)) => cmd.run(&workspace).await,
        Command::Repo(RepoCommand::Remove(cmd)) => cmd.run(&workspace),
        Command::Sync(cmd) => cmd.run(&workspace).await,
        Command::List(cmd) => cmd.run(&workspace),
        Command::Show(cmd) => cmd.run(&workspace),
        Command::Edit(cmd) => cmd.run(&workspace),
        Command::Create(cmd) => cmd.run(&workspace),
        Command::Comment(cmd) => cmd.run(&workspace),
        Command::Conflicts(cmd) => cmd.run(&workspace),
        Command::Resolve(cmd) => cmd.run(&workspace),
        Command::Discard(cmd) => cmd.run(&workspace),
        Command::Log(cmd) => cmd.run(&workspace),
        Command::Serve(cmd) => cmd.run(workspace).await,
        Command::Webhook(WebhookCommand::Secret(cmd)) => cmd.run(&workspace),
        Command::Webhook(WebhookCommand::Register(cmd)) => cmd.run(&workspace).await,
        Command::Webhook(WebhookCommand::Unregister(cmd)) => cmd.run(&workspace).await,
        Command::Webhook(WebhookCommand::List(cmd)) => cmd.run(&workspace).await,
        Command::Mcp(cmd) => cmd.run(workspace).await,
    }
}
