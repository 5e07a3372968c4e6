//! `issuesync connection list`: the configured connections (never their tokens).

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct ConnectionList {
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

impl ConnectionList {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let connections = workspace.connections()?;
        if self.json {
            super::output::json(&connections)?;
        } else if connections.is_empty() {
            println!("No connections yet. Add one with: issuesync connection add --name NAME --provider gitea --url https://HOST [--token-stdin]");
        } else {
            let rows: Vec<Vec<String>> = connections
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.provider.to_string(),
                        c.web_url.clone(),
                        c.login.clone().unwrap_or_else(|| {
                            if c.has_token {
                                "(token)"
                            } else {
                                "(anonymous)"
                            }
                            .to_string()
                        }),
                    ]
                })
                .collect();
            super::output::table(&["NAME", "PROVIDER", "URL", "USER"], &rows)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
