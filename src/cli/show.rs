//! `issuesync show`: one issue with its comments and its link to the tracker.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Show {
    /// NAME:OWNER/REPO#NUMBER, or the local id from list --json
    #[arg(value_name = "REF")]
    reference: String,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

impl Show {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let detail = workspace.issue(&self.reference)?;
        if self.json {
            super::output::json(&detail)?;
            return Ok(ExitCode::SUCCESS);
        }
        let i = &detail.issue;
        println!("{}  {}", i.reference, i.title);
        println!(
            "{} · opened by {} on {} · updated {}",
            i.state,
            i.author.as_deref().unwrap_or("unknown"),
            i.created_at.as_datetime().format("%Y-%m-%d"),
            i.updated_at.as_datetime().format("%Y-%m-%d %H:%M UTC"),
        );
        if !i.labels.is_empty() {
            println!("labels: {}", i.labels.join(", "));
        }
        if !i.assignees.is_empty() {
            println!("assignees: {}", i.assignees.join(", "));
        }
        if let Some(m) = &i.milestone {
            println!("milestone: {m}");
        }
        if i.remote_status.as_str() != "present" {
            println!(
                "on the tracker: {} (kept locally)",
                i.remote_status.as_str()
            );
        }
        println!("{}", i.remote_url);
        println!();
        println!(
            "{}",
            if i.body.is_empty() {
                "(no description)"
            } else {
                &i.body
            }
        );
        for c in &detail.comments {
            println!();
            println!(
                "── {} on {}",
                c.author.as_deref().unwrap_or("unknown"),
                c.created_at.as_datetime().format("%Y-%m-%d %H:%M UTC")
            );
            println!("{}", c.body);
        }
        Ok(ExitCode::SUCCESS)
    }
}
