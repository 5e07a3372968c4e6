//! `issuesync repo add`: mirror a repository, optionally only some of its issues.

use std::process::ExitCode;

use clap::Args;
use issuesync::model::RepoFilter;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct RepoAdd {
    /// NAME:OWNER/REPO (GitLab: NAME:group/sub/project)
    #[arg(value_name = "NAME:OWNER/REPO")]
    reference: String,
    /// Mirror only issues with this label (repeat: issues with all of them)
    #[arg(long = "label", value_name = "L")]
    labels: Vec<String>,
    /// Mirror only issues in this milestone (by title)
    #[arg(long, value_name = "M")]
    milestone: Option<String>,
    /// Print the repository as JSON
    #[arg(long)]
    json: bool,
}

impl RepoAdd {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let repo = workspace
            .add_repo(
                &self.reference,
                RepoFilter {
                    labels: self.labels,
                    milestone: self.milestone,
                },
            )
            .await?;
        if self.json {
            super::output::json(&repo)?;
            return Ok(ExitCode::SUCCESS);
        }
        let mut scope = Vec::new();
        if !repo.filter.labels.is_empty() {
            scope.push(format!("labels {}", repo.filter.labels.join(" + ")));
        }
        if let Some(m) = &repo.filter.milestone {
            scope.push(format!("milestone {m}"));
        }
        let scope = if scope.is_empty() {
            "all issues".to_string()
        } else {
            format!("issues with {}", scope.join(" and "))
        };
        println!(
            "Mirroring {}:{} ({scope}). Run issuesync sync to import.",
            repo.connection, repo.full_path
        );
        Ok(ExitCode::SUCCESS)
    }
}
