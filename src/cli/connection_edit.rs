//! `issuesync connection edit`: change a connection's settings: its conflict policy, its
//! token (verified against the tracker, then stored in the keychain), or which
//! repositories agents (`issuesync mcp`) may change.

use std::process::ExitCode;

use std::io::Read;

use anyhow::Context;
use clap::Args;
use issuesync::model::ConflictPolicy;
use issuesync::secrets::Secret;
use issuesync::Workspace;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("change").required(true).multiple(true)
    .args(["conflict_policy", "token_stdin", "agent_writes", "no_agent_writes"]))]
pub struct ConnectionEdit {
    /// The connection's name
    name: String,
    /// When a field changed differently here and on the tracker: ask (keep both for
    /// `issuesync resolve`), remote-wins or local-wins
    #[arg(long, value_name = "POLICY", value_parser = ["ask", "remote-wins", "local-wins"])]
    conflict_policy: Option<String>,
    /// Replace the token: read the new one from standard input
    #[arg(long)]
    token_stdin: bool,
    /// Send the new token even over plain http to a host that is not this machine (it
    /// travels in clear text)
    #[arg(long, requires = "token_stdin")]
    allow_insecure_http: bool,
    /// Let agents (`issuesync mcp`) change these repositories: OWNER/REPO paths or globs
    /// (`owner/*` within one segment, `group/**` across). Replaces the list; the default
    /// is none
    #[arg(long, value_name = "REPO_GLOB", num_args = 1.., conflicts_with = "no_agent_writes")]
    agent_writes: Vec<String>,
    /// Let agents change no repository of this connection (the default)
    #[arg(long)]
    no_agent_writes: bool,
    /// Print the connection as JSON
    #[arg(long)]
    json: bool,
}

impl ConnectionEdit {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let mut said = Vec::new();
        let mut connection = None;
        if self.token_stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("could not read the token from standard input")?;
            let c = workspace
                .replace_token(&self.name, Secret::new(text), self.allow_insecure_http)
                .await?;
            said.push(format!(
                "new token stored, connected as {}",
                c.login.as_deref().unwrap_or("?")
            ));
            connection = Some(c);
        }
        if let Some(policy) = self.conflict_policy.as_deref() {
            let policy: ConflictPolicy = policy.parse()?;
            connection = Some(workspace.set_conflict_policy(&self.name, policy)?);
            said.push(format!("conflicts are now handled with {policy}"));
        }
        let mut agent_writes = None;
        if !self.agent_writes.is_empty() || self.no_agent_writes {
            let allowed = workspace.set_agent_writes(&self.name, &self.agent_writes)?;
            said.push(if allowed.repo_globs.is_empty() {
                "agents may change none of its repositories".to_string()
            } else {
                format!(
                    "agents may change {}",
                    super::output::clean(&allowed.repo_globs.join(" "))
                )
            });
            agent_writes = Some(allowed);
        }
        if self.json {
            match (connection, agent_writes) {
                (Some(c), _) => super::output::json(&c)?,
                (None, Some(allowed)) => super::output::json(&allowed)?,
                (None, None) => unreachable!("clap requires one change"),
            }
        } else {
            println!("{}: {}.", self.name, said.join("; "));
        }
        Ok(ExitCode::SUCCESS)
    }
}
