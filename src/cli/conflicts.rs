//! `issuesync conflicts`: fields changed differently here and on the tracker, across all
//! trackers, with the base, local and remote value of each.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct Conflicts {
    /// Print JSON rows {ref, field, base, local, remote}
    #[arg(long)]
    json: bool,
}

/// The JSON contract: one row per conflicting field.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    id: i64,
    title: &'a str,
    field: &'a str,
    base: &'a issuesync::model::FieldValue,
    local: &'a issuesync::model::FieldValue,
    remote: &'a issuesync::model::FieldValue,
    detected_at: String,
}

impl Conflicts {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let entries = workspace.conflicts()?;
        if self.json {
            let rows: Vec<Row<'_>> = entries
                .iter()
                .map(|e| Row {
                    reference: &e.reference,
                    id: e.issue_id,
                    title: &e.title,
                    field: e.conflict.field.as_str(),
                    base: &e.conflict.base,
                    local: &e.conflict.local,
                    remote: &e.conflict.remote,
                    detected_at: e.detected_at.to_string(),
                })
                .collect();
            super::output::json(&rows)?;
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
