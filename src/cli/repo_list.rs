//! `issuesync repo list`: repositories a connection can see on the tracker, marked when
//! already mirrored.

use std::process::ExitCode;

use clap::Args;
use issuesync::Workspace;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct RepoList {
    /// The connection's name
    name: String,
    /// At most this many repositories
    #[arg(long, default_value_t = 200)]
    limit: usize,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    repo: &'a issuesync::model::RemoteRepo,
    mirrored: bool,
}

impl RepoList {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let remote = workspace.remote_repos(&self.name, self.limit).await?;
        let mirrored = workspace.repos(Some(&self.name))?;
        let rows: Vec<Row<'_>> = remote
            .iter()
            .map(|repo| Row {
                repo,
                mirrored: mirrored.iter().any(|m| m.full_path == repo.full_path),
            })
            .collect();
        if self.json {
            super::output::json(&rows)?;
            return Ok(ExitCode::SUCCESS);
        }
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    format!("{}:{}", self.name, r.repo.full_path),
                    if r.repo.private { "private" } else { "public" }.to_string(),
                    if r.mirrored { "mirrored" } else { "" }.to_string(),
                    super::output::truncate(r.repo.description.as_deref().unwrap_or(""), 60),
                ]
            })
            .collect();
        super::output::table(&["REPOSITORY", "VISIBILITY", "", "DESCRIPTION"], &table)?;
        Ok(ExitCode::SUCCESS)
    }
}
