//! `issuesync log`: the sync log, newest first; of one issue with `REF`.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Log {
    /// Only the entries of this issue (NAME:OWNER/REPO#NUMBER or local id)
    #[arg(value_name = "REF")]
    reference: Option<String>,
    /// At most this many entries
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

impl Log {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let records = workspace.sync_log(self.limit, self.reference.as_deref())?;
        if self.json {
            super::output::json(&records)?;
            return Ok(ExitCode::SUCCESS);
        }
        let rows: Vec<Vec<String>> = records
            .iter()
            .map(|r| {
                let target = match (&r.connection, &r.repo, r.issue_number) {
                    (Some(c), Some(repo), Some(n)) => format!("{c}:{repo}#{n}"),
                    (Some(c), Some(repo), None) => format!("{c}:{repo}"),
                    (Some(c), None, _) => c.clone(),
                    _ => String::new(),
                };
                vec![
                    r.at.as_datetime().format("%Y-%m-%d %H:%M:%S").to_string(),
                    r.operation.clone(),
                    r.result.clone(),
                    r.agent
                        .as_ref()
                        .map_or_else(String::new, |a| format!("agent {a}")),
                    target,
                    r.detail.clone(),
                ]
            })
            .collect();
        super::output::table(
            &["AT", "OPERATION", "RESULT", "BY", "TARGET", "DETAIL"],
            &rows,
        )?;
        Ok(ExitCode::SUCCESS)
    }
}
