//! `issuesync repo remove`: stop mirroring a repository. Refuses while local changes of
//! it wait for the tracker, unless `--discard-pending` says to drop them.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct RepoRemove {
    /// NAME:OWNER/REPO
    #[arg(value_name = "NAME:OWNER/REPO")]
    reference: String,
    /// Remove it even though local changes wait to be pushed (they are lost)
    #[arg(long)]
    discard_pending: bool,
}

impl RepoRemove {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let discarded = workspace.remove_repo(&self.reference, self.discard_pending)?;
        let dropped = match discarded {
            0 => String::new(),
            1 => " (1 local change discarded)".to_string(),
            n => format!(" ({n} local changes discarded)"),
        };
        println!(
            "Stopped mirroring {} and deleted its local copy{dropped}.",
            self.reference
        );
        Ok(ExitCode::SUCCESS)
    }
}
