//! `issuesync connection add`: verify a tracker and store a connection to it.

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
    /// Read the token from standard input; without it the connection is anonymous
    /// (public repositories, read only)
    #[arg(long)]
    token_stdin: bool,
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
        let version = added
            .server_version
            .as_deref()
            .map(|v| format!(", {} {v}", c.provider.display_name()))
            .unwrap_or_default();
        println!("Connected {} to {}{version} {who}.", c.name, c.web_url);
        println!(
            "Next: issuesync repo add {}:OWNER/REPO, then issuesync sync",
            c.name
        );
        Ok(ExitCode::SUCCESS)
    }
}
