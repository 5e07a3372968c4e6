//! `issuesync show`: one issue with its comments, its link to the tracker, and what
//! waits locally (pending changes, conflicts).

use std::process::ExitCode;

use clap::Args;
use issuesync::model::strip_client_marker;
use issuesync::Workspace;

#[derive(Debug, Args)]
pub struct Show {
    /// NAME:OWNER/REPO#NUMBER, NAME:OWNER/REPO#local-ID, or the local id from list --json
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
        let clean = super::output::clean;
        println!("{}  {}", i.reference, clean(&i.title));
        println!(
            "{} · opened by {} on {} · updated {}",
            i.state,
            clean(i.author.as_deref().unwrap_or("unknown")),
            i.created_at.as_datetime().format("%Y-%m-%d"),
            i.updated_at.as_datetime().format("%Y-%m-%d %H:%M UTC"),
        );
        if !i.labels.is_empty() {
            println!("labels: {}", clean(&i.labels.join(", ")));
        }
        if !i.assignees.is_empty() {
            println!("assignees: {}", clean(&i.assignees.join(", ")));
        }
        if let Some(m) = &i.milestone {
            println!("milestone: {}", clean(m));
        }
        if i.remote_status.as_str() != "present" {
            println!(
                "on the tracker: {} (kept locally)",
                i.remote_status.as_str()
            );
        }
        match &i.remote_url {
            Some(url) => println!("{}", clean(url)),
            None => println!("not on the tracker yet: the next sync creates it"),
        }
        for change in &detail.pending {
            let what = match (change.failed, &change.error_message) {
                (true, Some(m)) => format!("failed: {m}"),
                (false, Some(m)) => format!("waiting to retry ({m})"),
                _ => "waiting for the next sync".to_string(),
            };
            println!("local {}: {}", change.kind.as_str(), clean(&what));
        }
        for c in &detail.conflicts {
            println!(
                "conflict on {}: local {:?}, tracker {:?} (issuesync resolve {} --field {} --take local|remote)",
                c.field,
                clean(&super::output::truncate(&c.local.display(), 40)),
                clean(&super::output::truncate(&c.remote.display(), 40)),
                i.reference,
                c.field
            );
        }
        println!();
        let body = strip_client_marker(&i.body);
        println!(
            "{}",
            if body.is_empty() {
                "(no description)".into()
            } else {
                clean(&body)
            }
        );
        for c in &detail.comments {
            println!();
            println!(
                "── {} on {}",
                clean(c.author.as_deref().unwrap_or("unknown")),
                c.created_at.as_datetime().format("%Y-%m-%d %H:%M UTC")
            );
            if c.remote_id.is_none() {
                println!("(not pushed yet)");
            }
            println!("{}", clean(&strip_client_marker(&c.body)));
        }
        Ok(ExitCode::SUCCESS)
    }
}
