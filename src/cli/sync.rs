//! `issuesync sync`: one round for one or all connections, with progress on stderr.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;
use issuesync::sync::{SyncEvent, SyncOptions};
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Sync {
    /// Only this connection
    name: Option<String>,
    /// List every issue and check the missing ones for deletion, even if not due
    #[arg(long)]
    full: bool,
    /// Also try again the local changes the tracker refused before
    #[arg(long)]
    retry_failed: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
    /// Repositories of one connection pulled at once, instead of the tracker's bound
    /// (hidden: the benchmark's serial baseline is 1)
    #[arg(
        long,
        hide = true,
        env = "ISSUESYNC_MAX_PARALLEL_REPOS",
        value_name = "N"
    )]
    max_parallel_repos: Option<usize>,
}

fn show_progress(event: SyncEvent, live: bool) {
    match event {
        SyncEvent::RepoStarted { repo, full } => {
            let kind = if full { "full sync" } else { "sync" };
            eprintln!("{repo}: {kind}…");
        }
        SyncEvent::IssuesFetched {
            repo,
            fetched,
            total,
        } if live => {
            let total = total.map(|t| format!("/{t}")).unwrap_or_default();
            eprint!("\r{repo}: {fetched}{total} issues\x1b[K");
        }
        SyncEvent::IssuesFetched { .. } => {}
        SyncEvent::RepoFinished { report } => {
            if live {
                eprint!("\r\x1b[K");
            }
            let p = &report.push;
            if p.created + p.updated + p.comments + p.failed + p.deferred > 0 {
                eprintln!(
                    "{}: pushed {} new, {} edited, {} comments{}{}",
                    report.repo,
                    p.created,
                    p.updated,
                    p.comments,
                    if p.failed > 0 {
                        format!(
                            ", {} refused (see issuesync list --status failed)",
                            p.failed
                        )
                    } else {
                        String::new()
                    },
                    if p.deferred > 0 {
                        format!(", {} to retry later", p.deferred)
                    } else {
                        String::new()
                    }
                );
            }
            match &report.error {
                None => eprintln!(
                    "{}: {} fetched, {} new, {} updated, {} comments{}{}",
                    report.repo,
                    report.fetched,
                    report.created,
                    report.updated,
                    report.comments,
                    if report.gone > 0 {
                        format!(", {} gone from the tracker", report.gone)
                    } else {
                        String::new()
                    },
                    if report.conflicts + p.conflicts > 0 {
                        format!(
                            ", {} new conflicts (see issuesync conflicts)",
                            report.conflicts + p.conflicts
                        )
                    } else {
                        String::new()
                    }
                ),
                Some(e) => eprintln!(
                    "{}: failed: {}",
                    report.repo,
                    super::output::clean(&e.message)
                ),
            }
        }
    }
}

impl Sync {
    pub async fn run(self, workspace: &Workspace) -> anyhow::Result<ExitCode> {
        let live = std::io::stderr().is_terminal();
        let options = SyncOptions {
            force_full: self.full,
            retry_failed: self.retry_failed,
            max_parallel_repos: self.max_parallel_repos,
            ..SyncOptions::default()
        };
        let summary = workspace
            .sync(self.name.as_deref(), &options, &move |e| {
                show_progress(e, live)
            })
            .await?;
        if self.json {
            super::output::json(&summary)?;
        } else if summary.repos.is_empty() {
            println!("Nothing to sync: add a repository with issuesync repo add NAME:OWNER/REPO");
        } else {
            let failed = summary.repos.iter().filter(|r| r.error.is_some()).count();
            let fetched: usize = summary.repos.iter().map(|r| r.fetched).sum();
            println!(
                "Synced {} repositories ({fetched} issues fetched){}.",
                summary.repos.len() - failed,
                if failed > 0 {
                    format!(", {failed} failed")
                } else {
                    String::new()
                }
            );
        }
        Ok(if summary.succeeded() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
