//! `issuesync mcp`: serve the mirror to software agents over the Model Context Protocol
//! on stdin/stdout (the protocol owns stdout; nothing else is printed there).

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Mcp {
    /// Offer only the reading tools: searching, reading issues and conflicts. The
    /// writing tools are not listed and refused if called anyway
    #[arg(long)]
    read_only: bool,
}

impl Mcp {
    pub async fn run(self, workspace: Workspace) -> anyhow::Result<ExitCode> {
        crate::mcp::serve(workspace, self.read_only).await?;
        Ok(ExitCode::SUCCESS)
    }
}
