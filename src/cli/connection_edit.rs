//! `issuesync connection edit`: change a connection's settings: its conflict policy, or
//! its token (verified against the tracker, then stored in the keychain).

use std::process::ExitCode;

use std::io::Read;

use anyhow::Context;
use clap::Args;
use issuesync::model::ConflictPolicy;
use issuesync::secrets::Secret;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct ConnectionEdit {
    /// The connection's name
    name: String,
    /// When a field changed differently here and on the tracker: ask (keep both for
    /// `issuesync resolve`), remote-wins or local-wins
    #[arg(long, value_name = "POLICY", value_parser = ["ask", "remote-wins", "local-wins"],
          required_unless_present = "token_stdin")]
    conflict_policy: Option<String>,
    /// Replace the token: read the new one from standard input
    #[arg(long)]
    token_stdin: bool,
    /// Send the new token even over plain http to a host that is not this machine (it
    /// travels in clear text)
    #[arg(long, requires = "token_stdin")]
    allow_insecure_http: bool,
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
        let Some(connection) = connection else {
            unreachable!("clap requires --conflict-policy or --token-stdin");
        };
        if self.json {
            super::output::json(&connection)?;
        } else {
            println!("{}: {}.", connection.name, said.join("; "));
        }
        Ok(ExitCode::SUCCESS)
    }
}
