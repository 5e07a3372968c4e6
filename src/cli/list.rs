//! `issuesync list`: mirrored issues across all trackers, filtered and searched.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use issuesync::model::IssueState;
use issuesync::reference::parse_repo_ref;
use issuesync::store::issues::IssueQuery;
use issuesync::Workspace;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateFilter {
    Open,
    Closed,
    All,
}

#[derive(Debug, Args)]
pub struct List {
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Which issues by state
    #[arg(long, value_enum, default_value = "open")]
    state: StateFilter,
    /// Only this repository (NAME:OWNER/REPO)
    #[arg(long, value_name = "NAME:OWNER/REPO")]
    repo: Option<String>,
    /// Full-text search in titles, bodies and comments
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Only issues with this label
    #[arg(long, value_name = "L")]
    label: Option<String>,
    /// Only issues assigned to this login
    #[arg(long, value_name = "U")]
    assignee: Option<String>,
    /// Only issues assigned to the connection's own user
    #[arg(long)]
    mine: bool,
    /// Only issues with this sync status
    #[arg(long, value_name = "STATUS", value_parser = ["synced", "pending", "conflict", "failed"])]
    status: Option<String>,
    /// At most this many issues
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

impl List {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let repo = self.repo.as_deref().map(parse_repo_ref).transpose()?;
        if let Some(r) = &repo {
            workspace.repos(Some(&r.connection))?;
        }
        let query = IssueQuery {
            state: match self.state {
                StateFilter::Open => Some(IssueState::Open),
                StateFilter::Closed => Some(IssueState::Closed),
                StateFilter::All => None,
            },
            connection: repo.as_ref().map(|r| r.connection.clone()),
            repo: repo.map(|r| r.path),
            search: self.search,
            label: self.label,
            assignee: self.assignee,
            assigned_to_me: self.mine,
            sync_status: self.status.as_deref().map(str::parse).transpose()?,
            limit: self.limit,
            ..IssueQuery::default()
        };
        let issues = workspace.issues(&query)?;
        if self.json {
            super::output::json(&issues)?;
            return Ok(ExitCode::SUCCESS);
        }
        if issues.is_empty() {
            println!("No issues match. (Mirrored repositories sync with: issuesync sync)");
            return Ok(ExitCode::SUCCESS);
        }
        let rows: Vec<Vec<String>> = issues
            .iter()
            .map(|i| {
                let mut status = i.state.to_string();
                if i.sync_status.as_str() != "synced" {
                    status = format!("{status}, {}", i.sync_status.as_str());
                }
                if i.remote_status.as_str() != "present" {
                    status = format!("{status}, {}", i.remote_status.as_str());
                }
                vec![
                    i.reference.clone(),
                    status,
                    i.updated_at.as_datetime().format("%Y-%m-%d").to_string(),
                    super::output::truncate(&i.labels.join(","), 24),
                    super::output::truncate(&i.title, 70),
                ]
            })
            .collect();
        super::output::table(&["REF", "STATE", "UPDATED", "LABELS", "TITLE"], &rows)?;
        Ok(ExitCode::SUCCESS)
    }
}
