//! `issuesync connection remove`: forget a connection, its mirror and its token.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct ConnectionRemove {
    /// The connection's name
    name: String,
}

impl ConnectionRemove {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let removed = workspace.remove_connection(&self.name)?;
        println!(
            "Removed connection {} and its mirrored issues.",
            removed.name
        );
        if let Some(warning) = removed.keychain_warning {
            eprintln!("warning: its keychain entry could not be deleted: {warning}");
        }
        Ok(ExitCode::SUCCESS)
    }
}
