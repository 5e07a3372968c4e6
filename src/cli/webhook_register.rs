//! `issuesync webhook register NAME:OWNER/REPO --url PUBLIC_BASE_URL`: create the hook on
//! the tracker (issue and comment events, JSON, the stored secret) for
//! `PUBLIC_BASE_URL/webhooks/NAME`; registering again leaves one hook.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

use super::output::clean;

#[derive(Debug, Args)]
pub struct WebhookRegister {
    /// The repository: NAME:OWNER/REPO (GitLab: the full project path)
    repo: String,
    /// The address the tracker reaches `issuesync serve` at, e.g. https://hooks.example.com
    #[arg(long, value_name = "PUBLIC_BASE_URL")]
    url: String,
    /// Print the hook as JSON
    #[arg(long)]
    json: bool,
}

impl WebhookRegister {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let registered = workspace.register_webhook(&self.repo, &self.url).await?;
        if self.json {
            super::output::json(&registered)?;
        } else {
            println!(
                "{}: webhook {} delivers to {}{}",
                registered.repo,
                registered.hook.id,
                clean(&registered.hook.url),
                if registered.replaced > 0 {
                    " (replaced the one there was)"
                } else {
                    ""
                }
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
