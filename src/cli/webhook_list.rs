//! `issuesync webhook list NAME:OWNER/REPO`: the repository's hooks that deliver to us.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct WebhookList {
    /// The repository: NAME:OWNER/REPO
    repo: String,
    /// Print the hooks as JSON
    #[arg(long)]
    json: bool,
}

impl WebhookList {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let listing = workspace.webhooks(&self.repo).await?;
        if self.json {
            super::output::json(&listing)?;
        } else if listing.hooks.is_empty() {
            println!("{}: no webhook delivers to issuesync", listing.repo);
        } else {
            let rows: Vec<Vec<String>> = listing
                .hooks
                .iter()
                .map(|h| {
                    vec![
                        h.id.to_string(),
                        if h.active { "active" } else { "inactive" }.to_string(),
                        h.events.join(","),
                        h.url.clone(),
                    ]
                })
                .collect();
            super::output::table(&["ID", "STATE", "EVENTS", "URL"], &rows)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
