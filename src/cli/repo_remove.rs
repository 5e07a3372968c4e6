//! `issuesync repo remove`: stop mirroring a repository.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct RepoRemove {
    /// NAME:OWNER/REPO
    #[arg(value_name = "NAME:OWNER/REPO")]
    reference: String,
}

impl RepoRemove {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        workspace.remove_repo(&self.reference)?;
        println!(
            "Stopped mirroring {} and deleted its local copy.",
            self.reference
        );
        Ok(ExitCode::SUCCESS)
    }
}
