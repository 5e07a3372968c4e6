//! `issuesync conflicts`: fields changed differently here and on the tracker, across all
//! trackers, with the base, local and remote value of each.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Conflicts {
    /// Print JSON rows {ref, field, base, local, remote, ...}
    #[arg(long)]
    json: bool,
}

impl Conflicts {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let entries = workspace.conflicts()?;
        if self.json {
            // One row per conflicting field: {ref, issue_id, provider, title, field, base,
            // local, remote, detected_at}.
            super::output::json(&entries)?;
            return Ok(ExitCode::SUCCESS);
        }
        if entries.is_empty() {
            println!("No conflicts.");
            return Ok(ExitCode::SUCCESS);
        }
        let short = |v: &issuesync::model::FieldValue| {
            super::output::truncate(&v.display().replace('\n', "⏎"), 30)
        };
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    e.reference.clone(),
                    e.conflict.field.to_string(),
                    short(&e.conflict.base),
                    short(&e.conflict.local),
                    short(&e.conflict.remote),
                ]
            })
            .collect();
        super::output::table(&["REF", "FIELD", "BASE", "LOCAL", "REMOTE"], &rows)?;
        println!();
        println!(
            "Resolve with: issuesync resolve REF --field F --take local|remote (or --value V)"
        );
        Ok(ExitCode::SUCCESS)
    }
}
