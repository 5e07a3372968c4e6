//! `issuesync edit`: change an issue locally; the next sync pushes it. A field in
//! conflict stays in conflict (said on stderr and in `--json` as `in_conflict`).

use std::process::ExitCode;

use clap::Args;
use issuesync::model::IssueState;
use issuesync::workspace::IssueEdit;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Edit {
    /// NAME:OWNER/REPO#NUMBER, NAME:OWNER/REPO#local-ID, or a local id
    #[arg(value_name = "REF")]
    reference: String,
    #[arg(long, value_name = "T")]
    title: Option<String>,
    #[arg(long, value_name = "B")]
    body: Option<String>,
    #[arg(long, value_parser = ["open", "closed"])]
    state: Option<String>,
    /// GitHub's reason with --state: completed, not_planned, reopened
    #[arg(long, value_name = "R", requires = "state")]
    state_reason: Option<String>,
    #[arg(long = "add-label", value_name = "L")]
    add_labels: Vec<String>,
    #[arg(long = "remove-label", value_name = "L")]
    remove_labels: Vec<String>,
    #[arg(long = "add-assignee", value_name = "U")]
    add_assignees: Vec<String>,
    #[arg(long = "remove-assignee", value_name = "U")]
    remove_assignees: Vec<String>,
    /// The milestone's title
    #[arg(long, value_name = "M", conflicts_with = "no_milestone")]
    milestone: Option<String>,
    /// Clear the milestone
    #[arg(long)]
    no_milestone: bool,
    /// Print the issue as JSON
    #[arg(long)]
    json: bool,
}

impl Edit {
    pub fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let edit = IssueEdit {
            title: self.title,
            body: self.body,
            state: self
                .state
                .as_deref()
                .map(str::parse::<IssueState>)
                .transpose()?,
            state_reason: self.state_reason,
            add_labels: self.add_labels,
            remove_labels: self.remove_labels,
            add_assignees: self.add_assignees,
            remove_assignees: self.remove_assignees,
            milestone: if self.no_milestone {
                Some(None)
            } else {
                self.milestone.map(Some)
            },
            ..IssueEdit::default()
        };
        let edited = workspace.edit_issue(&self.reference, &edit)?;
        let issue = &edited.issue;
        for field in &edited.in_conflict {
            eprintln!(
                "note: {field} of {} is in conflict with the tracker's value; your edit replaced \
                 your side of it and nothing is pushed for {field} until you decide: \
                 issuesync resolve {} --field {field} --take local|remote (see issuesync conflicts)",
                issue.reference, issue.reference
            );
        }
        if self.json {
            super::output::json(&edited)?;
        } else {
            println!(
                "{} saved locally ({}); the next issuesync sync pushes it.",
                issue.reference,
                issue.sync_status.as_str()
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
