//! `issuesync discard`: drop the local changes of an issue and go back to the tracker's
//! version (an issue created here and never pushed is deleted).

use std::process::ExitCode;

use clap::Args;
use issuesync::workspace::Discarded;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Discard {
    /// NAME:OWNER/REPO#NUMBER, NAME:OWNER/REPO#local-ID, or a local id
    #[arg(value_name = "REF")]
    reference: String,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

impl Discard {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let result = workspace.discard(&self.reference)?;
        if self.json {
            super::output::json(&result)?;
            return Ok(ExitCode::SUCCESS);
        }
        match result {
            Discarded::Reverted { issue } => {
                println!(
                    "{}: local changes dropped; back to the tracker's version.",
                    issue.reference
                )
            }
            Discarded::Deleted { reference } => {
                println!("{reference}: deleted (it was never pushed).")
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
