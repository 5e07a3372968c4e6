//! `issuesync connection add`: verify a tracker and store a connection to it.
//!
//! The token comes from standard input (`--token-stdin`, stored in the keychain) or,
//! only when asked, from `ISSUESYNC_TOKEN_<NAME>` (`--token-env`, not stored). Without
//! either the connection is anonymous. What the human output says about where the token
//! lives is what later commands will do.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use issuesync::model::{ConflictPolicy, ProviderKind};
use issuesync::secrets::Secret;
use issuesync::workspace::NewConnectionRequest;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct ConnectionAdd {
    /// A short name for the connection, used in references (NAME:OWNER/REPO#N)
    #[arg(long)]
    name: String,
    /// github, gitlab or gitea (Forgejo is gitea)
    #[arg(long)]
    provider: String,
    /// The instance's web root, e.g. https://github.com or https://host/gitea
    #[arg(long, value_name = "WEB_BASE_URL")]
    url: String,
    /// Read the token from standard input; without it (or --token-env) the connection
    /// is anonymous (public repositories, read only)
    #[arg(long, conflicts_with = "token_env")]
    token_stdin: bool,
    /// Verify with the token in ISSUESYNC_TOKEN_<NAME> (not stored: every command reads
    /// the variable)
    #[arg(long)]
    token_env: bool,
    /// Send the token even over plain http to a host that is not this machine (it
    /// travels in clear text)
    #[arg(long)]
    allow_insecure_http: bool,
    /// When a field changed differently here and on the tracker: ask (keep both for
    /// `issuesync resolve`), remote-wins or local-wins
    #[arg(long, value_name = "POLICY", default_value = "ask",
          value_parser = ["ask", "remote-wins", "local-wins"])]
    conflict_policy: String,
    /// Print the new connection as JSON
    #[arg(long)]
    json: bool,
}

impl ConnectionAdd {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let provider: ProviderKind = self.provider.parse()?;
        let policy: ConflictPolicy = self.conflict_policy.parse()?;
        let token = if self.token_stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("could not read the token from standard input")?;
            Some(Secret::new(text))
        } else {
            None
        };
        let added = workspace
            .add_connection(NewConnectionRequest {
                name: self.name,
                provider,
                web_url: self.url,
                token,
                token_from_env: Some(self.token_env),
                allow_insecure_http: Some(self.allow_insecure_http),
            })
            .await?;
        let mut added = added;
        if policy != ConflictPolicy::Ask {
            added.connection = workspace.set_conflict_policy(&added.connection.name, policy)?;
        }
        if self.json {
            super::output::json(&added)?;
            return Ok(ExitCode::SUCCESS);
        }
        let c = &added.connection;
        let who = match &c.login {
            Some(login) => format!("as {login}"),
            None if c.has_token => "with a token".to_string(),
            None => "anonymously (public repositories, read only)".to_string(),
        };
        let token_note = match (&added.token_not_stored, &added.token_env_var) {
            (Some(why), Some(var)) => Some(format!(
                "The token was not stored: {why}. Every command uses {var}, which is set."
            )),
            (None, Some(var)) if c.has_token => Some(format!(
                "{var} is set: commands use it rather than the token stored in the keychain."
            )),
            (None, Some(var)) => Some(format!(
                "The token was not stored: every command reads it from {var}."
            )),
            (_, None) => None,
        };
        let version = added
            .server_version
            .as_deref()
            .map(|v| format!(", {} {v}", c.provider.display_name()))
            .unwrap_or_default();
        println!("Connected {} to {}{version} {who}.", c.name, c.web_url);
        if let Some(note) = token_note {
            println!("{note}");
        }
        println!(
            "Next: issuesync repo add {}:OWNER/REPO, then issuesync sync",
            c.name
        );
        Ok(ExitCode::SUCCESS)
    }
}
