//! `issuesync comment`: a comment written locally; the next sync adds it, exactly once.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Comment {
    /// NAME:OWNER/REPO#NUMBER, NAME:OWNER/REPO#local-ID, or a local id
    #[arg(value_name = "REF")]
    reference: String,
    #[arg(long, value_name = "B")]
    body: String,
    /// Print the comment as JSON
    #[arg(long)]
    json: bool,
}

impl Comment {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let comment = workspace.add_comment(&self.reference, &self.body)?;
        if self.json {
            super::output::json(&comment)?;
        } else {
            println!(
                "Comment saved locally on {}; the next issuesync sync adds it.",
                self.reference.trim()
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
