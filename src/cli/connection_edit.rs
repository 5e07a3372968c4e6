//! `issuesync connection edit`: change a connection's settings (its conflict policy).

use std::process::ExitCode;

use clap::Args;
use issuesync::model::ConflictPolicy;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct ConnectionEdit {
    /// The connection's name
    name: String,
    /// When a field changed differently here and on the tracker: ask (keep both for
    /// `issuesync resolve`), remote-wins or local-wins
    #[arg(long, value_name = "POLICY", value_parser = ["ask", "remote-wins", "local-wins"])]
    conflict_policy: String,
    /// Print the connection as JSON
    #[arg(long)]
    json: bool,
}

impl ConnectionEdit {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let policy: ConflictPolicy = self.conflict_policy.parse()?;
        let connection = workspace.set_conflict_policy(&self.name, policy)?;
        if self.json {
            super::output::json(&connection)?;
        } else {
            println!(
                "{}: conflicts are now handled with {policy}.",
                connection.name
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
