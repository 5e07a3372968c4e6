//! `issuesync webhook unregister NAME:OWNER/REPO [--url PUBLIC_BASE_URL]`: remove our
//! hooks (those delivering to `…/webhooks/NAME`, or only to the given base URL).

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

use super::output::clean;

#[derive(Debug, Args)]
pub struct WebhookUnregister {
    /// The repository: NAME:OWNER/REPO
    repo: String,
    /// Only the hook delivering to this public base URL
    #[arg(long, value_name = "PUBLIC_BASE_URL")]
    url: Option<String>,
    /// Print the removed hooks as JSON
    #[arg(long)]
    json: bool,
}

impl WebhookUnregister {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let removed = workspace
            .unregister_webhook(&self.repo, self.url.as_deref())
            .await?;
        if self.json {
            super::output::json(&removed)?;
        } else if removed.removed.is_empty() {
            println!("{}: no webhook of ours to remove", removed.repo);
        } else {
            for hook in &removed.removed {
                println!(
                    "{}: removed webhook {} ({})",
                    removed.repo,
                    hook.id,
                    clean(&hook.url)
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
