//! GitLab specifics of a sync through the core's public API: a project past 10,000
//! issues (GitLab then stops sending `X-Total`, `X-Total-Pages` and `rel="last"`), and
//! notes fetched per issue only for issues that have any and whose `updated_at` moved.

use std::sync::Mutex;
use std::time::Duration;

use issuesync::model::RepoFilter;
use issuesync::provider::RetryPolicy;
use issuesync::secrets::{MemoryStore, Secret};
use issuesync::store::issues::IssueQuery;
use issuesync::sync::{SyncEvent, SyncOptions};
use issuesync::workspace::NewConnectionRequest;
use issuesync::Workspace;

use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::FakeTracker;

const TOKEN: &str = "glpat-big-project-token";

#[tokio::test(flavor = "multi_thread")]
async fn a_project_past_ten_thousand_issues_imports_completely_without_totals() {
    let fake = FakeGitLab::start();
    fake.add_user("alice", Some(TOKEN));
    fake.add_repo("big/group/monorepo", false);
    fake.add_many_issues("big/group/monorepo", 10_050);
    fake.add_comment("big/group/monorepo", 7, "alice", "the only comment");

    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path(), Box::new(MemoryStore::default()))
        .unwrap()
        .with_retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        });
    ws.add_connection(NewConnectionRequest {
        name: "lab".into(),
        provider: issuesync::model::ProviderKind::Gitlab,
        web_url: fake.web_url(),
        token: Some(Secret::new(TOKEN)),
        token_from_env: None,
        allow_insecure_http: None,
    })
    .await
    .unwrap();
    ws.add_repo("lab:big/group/monorepo", RepoFilter::default())
        .await
        .unwrap();

    fake.clear_requests();
    let totals = Mutex::new(Vec::new());
    let summary = ws
        .sync(None, &SyncOptions::default(), &|event| {
            if let SyncEvent::IssuesFetched { total, .. } = event {
                totals.lock().unwrap().push(total);
            }
        })
        .await
        .unwrap();
    assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
    assert_eq!(
        summary.repos[0].created, 10_050,
        "every issue, although no total is sent"
    );
    assert_eq!(summary.repos[0].comments, 1);
    assert_eq!(
        ws.count_issues(&IssueQuery::default()).unwrap(),
        10_050,
        "all of them are in the mirror"
    );
    assert!(
        totals.lock().unwrap().iter().all(Option::is_none),
        "the progress bar is told there is no total"
    );
    let requests = fake.requests();
    let note_requests = requests
        .iter()
        .filter(|r| r.path.ends_with("/notes"))
        .count();
    assert_eq!(
        note_requests, 1,
        "notes are fetched only for the one issue that has user notes"
    );
    let listing_pages = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues"))
        .count();
    assert_eq!(listing_pages, 101, "100 issues a page, followed to the end");
}
