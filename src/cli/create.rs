//! `issuesync create`: a new issue, made locally; it gets its number when pushed.

use std::process::ExitCode;

use clap::Args;
use issuesync::workspace::NewIssue;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Create {
    /// The repository: NAME:OWNER/REPO
    #[arg(value_name = "NAME:OWNER/REPO")]
    repo: String,
    #[arg(long, value_name = "T")]
    title: String,
    #[arg(long, value_name = "B", default_value = "")]
    body: String,
    #[arg(long = "label", value_name = "L")]
    labels: Vec<String>,
    #[arg(long = "assignee", value_name = "U")]
    assignees: Vec<String>,
    /// The milestone's title
    #[arg(long, value_name = "M")]
    milestone: Option<String>,
    /// Print the issue as JSON
    #[arg(long)]
    json: bool,
}

impl Create {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let issue = workspace.create_issue(
            &self.repo,
            &NewIssue {
                title: self.title,
                body: self.body,
                labels: self.labels,
                assignees: self.assignees,
                milestone: self.milestone,
            },
        )?;
        if self.json {
            super::output::json(&issue)?;
        } else {
            println!(
                "Created {} locally (id {}); the next issuesync sync creates it on the tracker.",
                issue.reference, issue.id
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
