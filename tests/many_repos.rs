//! Many repositories on one connection: their pulls run side by side within the
//! tracker's bound ([`issuesync::provider::Capabilities::parallel_reads`]) while every
//! write goes alone; reports come back in the repositories' order with one sync-log
//! row each; a rate limit met by one repository stops the others from requesting.
//!
//! The fake GitHub waits tens of milliseconds per request (a network's latency), so
//! requests sent side by side overlap there and are counted ([`crate::common::in_flight`]).
//! Nothing is timed.

use std::time::Duration;

use issuesync::model::{ProviderKind, RepoFilter};
use issuesync::store::issues::IssueQuery;
use issuesync::sync::SyncOptions;
use issuesync::workspace::SyncSummary;
use issuesync::Workspace;
use tempfile::TempDir;

use crate::common::fake_github::FakeGitHub;
use crate::common::tracker::{FakeTracker, NewIssue};
use crate::two_way_sync::{mirror_with, title_edit};

const TOKEN: &str = "many-repos-token-alice-3";
const REPOS: usize = 50;
const ISSUES: usize = 3;

fn path(i: usize) -> String {
    format!("team/r{i:02}")
}

/// A fake GitHub with `REPOS` repositories of `ISSUES` issues each and a workspace that
/// mirrors them all on one connection; nothing synced yet.
async fn many(t: &FakeGitHub) -> (TempDir, Workspace) {
    t.add_user("alice", Some(TOKEN));
    for i in 0..REPOS {
        t.add_repo(&path(i), false);
        for n in 0..ISSUES {
            t.create_issue(
                &path(i),
                NewIssue {
                    title: &format!("Issue {n} of repo {i}"),
                    ..NewIssue::default()
                },
            );
        }
    }
    let (dir, ws) = mirror_with(t, TOKEN, &path(0), RepoFilter::default()).await;
    for i in 1..REPOS {
        ws.add_repo(&format!("t:{}", path(i)), RepoFilter::default())
            .await
            .unwrap();
    }
    (dir, ws)
}

async fn sync(ws: &Workspace) -> SyncSummary {
    ws.sync(None, &SyncOptions::default(), &|_| {})
        .await
        .expect("sync runs")
}

fn labels(summary: &SyncSummary) -> Vec<String> {
    summary.repos.iter().map(|r| r.repo.clone()).collect()
}

fn expected_labels() -> Vec<String> {
    (0..REPOS).map(|i| format!("t:{}", path(i))).collect()
}

/// Sync-log rows of the pulls, newest first.
fn pull_rows(ws: &Workspace) -> Vec<issuesync::store::sync_log::LogRecord> {
    ws.sync_log(10_000, None)
        .unwrap()
        .into_iter()
        .filter(|r| r.operation == "pull")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_repos_pull_side_by_side_within_the_bound_and_write_one_at_a_time() {
    let t = FakeGitHub::start();
    let (_dir, ws) = many(&t).await;
    let bound = issuesync::provider::capabilities(ProviderKind::Github).parallel_reads;
    assert!(bound > 1, "GitHub takes parallel reads");
    t.set_latency(Duration::from_millis(30));
    t.reset_in_flight_peaks();

    let first = sync(&ws).await;
    assert!(first.succeeded(), "{:?}", first.repos);
    assert_eq!(
        labels(&first),
        expected_labels(),
        "reports in the repos' order"
    );
    assert!(first.repos.iter().all(|r| r.full && r.created == ISSUES));
    let mirrored = ws
        .issues(&IssueQuery {
            limit: Some(10_000),
            ..IssueQuery::default()
        })
        .unwrap();
    assert_eq!(mirrored.len(), REPOS * ISSUES);
    let rows = pull_rows(&ws);
    assert_eq!(rows.len(), REPOS, "one pull row per repository");
    assert!(rows.iter().all(|r| r.result == "ok"), "{rows:?}");
    let peaks = t.in_flight_peaks();
    assert!(
        peaks.reads > 1,
        "the repositories were pulled one after the other: {peaks:?}"
    );
    assert!(
        peaks.reads <= bound,
        "more reads than GitHub's bound: {peaks:?}"
    );
    assert_eq!(peaks.writes, 0, "a first import writes nothing: {peaks:?}");

    // Local edits in three repositories: their pushes go one at a time, alone.
    for i in [3, 17, 42] {
        ws.edit_issue(
            &format!("t:{}#1", path(i)),
            &title_edit(&format!("Edited here {i}")),
        )
        .unwrap();
    }
    t.reset_in_flight_peaks();
    let second = sync(&ws).await;
    assert!(second.succeeded(), "{:?}", second.repos);
    assert_eq!(labels(&second), expected_labels());
    for i in [3, 17, 42] {
        assert_eq!(second.repos[i].push.updated, 1, "{:?}", second.repos[i]);
        assert_eq!(
            t.issue(&path(i), 1).unwrap().title,
            format!("Edited here {i}")
        );
    }
    let peaks = t.in_flight_peaks();
    assert_eq!(peaks.writes, 1, "writes one at a time: {peaks:?}");
    assert_eq!(peaks.beside_a_write, 0, "a write goes alone: {peaks:?}");
    assert!(peaks.reads <= bound, "{peaks:?}");
    assert_eq!(pull_rows(&ws).len(), 2 * REPOS);
}

/// GitHub bans integrations that keep requesting while limited: once one repository
/// meets a secondary rate limit that asks for a long wait, the repositories not started
/// yet send nothing and report the limit; only those already running finish.
#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_met_by_one_repo_stops_the_others() {
    let t = FakeGitHub::start();
    let (_dir, ws) = many(&t).await;
    let bound = issuesync::provider::capabilities(ProviderKind::Github).parallel_reads;
    t.set_latency(Duration::from_millis(20));
    t.clear_requests();
    t.secondary_rate_limit_next(1, 3600);

    let summary = sync(&ws).await;
    assert_eq!(labels(&summary), expected_labels());
    let limited: Vec<_> = summary
        .repos
        .iter()
        .filter(|r| r.error.as_ref().is_some_and(|e| e.code == "rate_limited"))
        .collect();
    let others: Vec<_> = summary.repos.iter().filter(|r| r.error.is_none()).collect();
    assert_eq!(limited.len() + others.len(), REPOS, "{:?}", summary.repos);
    assert!(
        others.len() < bound,
        "only repositories already running when the limit came finish: {} did",
        others.len()
    );
    let rows = pull_rows(&ws);
    assert_eq!(rows.len(), REPOS, "every repository is logged");
    assert_eq!(
        rows.iter().filter(|r| r.result == "error").count(),
        limited.len()
    );
    // Each repository's first import costs a few requests (issues, labels, milestones,
    // comments); the stopped ones cost none.
    let sent = t.requests().len();
    assert!(
        sent <= 1 + bound * 6,
        "{sent} requests after a rate limit that asked for an hour"
    );
}
