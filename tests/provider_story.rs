//! One story, three trackers: the same scenario runs against the fake Gitea, GitHub and
//! GitLab — first import, incremental import, unchanged re-sync, every write, and every
//! typed error — through the core's public API and the provider trait.

use std::time::{Duration, Instant};

use issuesync::model::{IssueState, ProviderKind, RepoFilter};
use issuesync::provider::{
    connect, Endpoint, IssueChanges, IssueListing, NewRemoteIssue, Provider, ProviderError,
    RetryPolicy, SetChange,
};
use issuesync::remote_url::api_url;
use issuesync::secrets::{MemoryStore, Secret};
use issuesync::store::issues::IssueQuery;
use issuesync::sync::SyncOptions;
use issuesync::workspace::{NewConnectionRequest, SyncSummary};
use issuesync::Workspace;
use tempfile::TempDir;

use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, NewIssue, RemoteEdit};

const TOKEN: &str = "story-token-alice-42";

fn retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
        ..RetryPolicy::default()
    }
}

/// GitLab gets a nested group, the others owner/name.
fn repo_path(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Gitlab => "team/backend/app",
        _ => "team/app",
    }
}

fn provider(t: &dyn FakeTracker, token: Option<&str>) -> Box<dyn Provider> {
    connect(Endpoint {
        kind: t.kind(),
        api_url: api_url(t.kind(), &t.web_url()),
        web_url: t.web_url(),
        token: token.map(Secret::new),
        retry: retry(),
        cache: None,
    })
    .unwrap()
}

/// 60 issues, a pull request after every 10th, every 5th labelled bug in milestone v1,
/// every 6th with a comment. Returns the issue numbers in creation order.
fn seed(t: &dyn FakeTracker) -> Vec<u64> {
    let repo = repo_path(t.kind());
    t.add_user("alice", Some(TOKEN));
    t.add_user("bob", None);
    t.add_repo(repo, false);
    t.add_label(repo, "bug", "ee0701");
    t.add_label(repo, "ui", "0052cc");
    t.add_milestone(repo, "v1");
    let mut numbers = Vec::new();
    for i in 1..=60 {
        let title = format!("Issue {i}");
        let body = format!("line one of {i}\nline two");
        let n = t.create_issue(
            repo,
            NewIssue {
                title: &title,
                body: &body,
                labels: if i % 5 == 0 { vec!["bug"] } else { vec![] },
                milestone: (i % 5 == 0).then_some("v1"),
                assignees: if i % 4 == 0 { vec!["bob"] } else { vec![] },
                ..NewIssue::default()
            },
        );
        numbers.push(n);
        if i % 6 == 0 {
            t.add_comment(repo, n, "bob", &format!("comment on issue {i}"));
        }
        if i % 10 == 0 {
            t.create_issue(
                repo,
                NewIssue {
                    title: "A pull request",
                    pull_request: true,
                    ..NewIssue::default()
                },
            );
        }
    }
    numbers
}

async fn workspace(t: &dyn FakeTracker) -> (TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path(), Box::new(MemoryStore::default()))
        .unwrap()
        .with_retry_policy(retry());
    ws.add_connection(NewConnectionRequest {
        name: "t".into(),
        provider: t.kind(),
        web_url: t.web_url(),
        token: Some(Secret::new(TOKEN)),
        token_from_env: None,
        allow_insecure_http: None,
    })
    .await
    .unwrap_or_else(|e| panic!("{}: connection add: {e}", t.kind()));
    ws.add_repo(&format!("t:{}", repo_path(t.kind())), RepoFilter::default())
        .await
        .unwrap_or_else(|e| panic!("{}: repo add: {e}", t.kind()));
    (dir, ws)
}

async fn sync(ws: &Workspace, kind: ProviderKind) -> SyncSummary {
    let summary = ws
        .sync(None, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    assert!(summary.succeeded(), "{kind}: {:?}", summary.repos[0].error);
    summary
}

async fn import_story(t: &dyn FakeTracker) {
    let kind = t.kind();
    let repo = repo_path(kind);
    let numbers = seed(t);
    let (_dir, ws) = workspace(t).await;

    // First import: every issue, no pull request, the comments.
    let first = sync(&ws, kind).await;
    assert_eq!(first.repos[0].created, 60, "{kind}: first import");
    assert_eq!(
        first.repos[0].comments, 10,
        "{kind}: comments of the first import"
    );
    let issues = ws.issues(&IssueQuery::default()).unwrap();
    assert_eq!(issues.len(), 60, "{kind}: pull requests stay out");
    assert!(issues.iter().all(|i| i.title != "A pull request"), "{kind}");
    let fifth = ws.issue(&format!("t:{repo}#{}", numbers[4])).unwrap().issue;
    assert_eq!(fifth.labels, vec!["bug".to_string()], "{kind}");
    assert_eq!(fifth.milestone.as_deref(), Some("v1"), "{kind}");
    assert_eq!(fifth.body, "line one of 5\nline two", "{kind}");
    let fourth = ws.issue(&format!("t:{repo}#{}", numbers[3])).unwrap().issue;
    assert_eq!(fourth.assignees, vec!["bob".to_string()], "{kind}");
    assert!(
        fourth
            .remote_url
            .as_deref()
            .is_some_and(|u| u.starts_with(&t.web_url())),
        "{kind}: {:?} links to the tracker",
        fourth.remote_url
    );
    let commented = ws.issue(&format!("t:{repo}#{}", numbers[5])).unwrap();
    assert_eq!(commented.comments.len(), 1, "{kind}");
    assert_eq!(commented.comments[0].body, "comment on issue 6", "{kind}");

    // Incremental: two issues edited, one commented, on the tracker.
    t.advance_clock(3600);
    t.edit_issue(
        repo,
        numbers[0],
        RemoteEdit {
            title: Some("Issue 1, renamed".into()),
            ..RemoteEdit::default()
        },
    );
    t.edit_issue(
        repo,
        numbers[1],
        RemoteEdit {
            state: Some("closed".into()),
            labels: Some(vec!["ui".into()]),
            ..RemoteEdit::default()
        },
    );
    t.add_comment(repo, numbers[2], "alice", "new remote comment");
    t.clear_requests();
    let second = sync(&ws, kind).await;
    let report = &second.repos[0];
    assert_eq!(report.created, 0, "{kind}");
    assert_eq!(report.updated, 3, "{kind}: the three changed issues");
    assert_eq!(report.comments, 1, "{kind}: the new comment");
    let listing = t
        .requests()
        .into_iter()
        .find(|r| r.method == "GET" && r.path.ends_with("/issues"))
        .expect("an issue listing");
    let since = listing
        .param("since")
        .or_else(|| listing.param("updated_after"));
    assert!(
        since.is_some(),
        "{kind}: incremental listings filter by time: {listing:?}"
    );
    assert_eq!(
        ws.issue(&format!("t:{repo}#{}", numbers[0]))
            .unwrap()
            .issue
            .title,
        "Issue 1, renamed"
    );
    let second_issue = ws.issue(&format!("t:{repo}#{}", numbers[1])).unwrap().issue;
    assert_eq!(second_issue.state, IssueState::Closed, "{kind}");
    assert_eq!(second_issue.labels, vec!["ui".to_string()], "{kind}");

    // Unchanged: nothing new is stored; on GitHub the round costs one free 304.
    t.clear_requests();
    let third = sync(&ws, kind).await;
    assert_eq!(third.repos[0].created + third.repos[0].updated, 0, "{kind}");
    if kind == ProviderKind::Github {
        let seen = t.requests();
        assert_eq!(
            seen.len(),
            1,
            "GitHub: one request per unchanged repo: {seen:#?}"
        );
        assert!(seen[0].path.ends_with("/issues"));
    }
}

async fn write_story(t: &dyn FakeTracker) {
    let kind = t.kind();
    let repo = repo_path(kind);
    let numbers = seed(t);
    let p = provider(t, Some(TOKEN));
    let n = numbers[4]; // labelled bug, milestone v1

    let before = p.get_issue(repo, n).await.unwrap();
    let changed = p
        .update_issue(
            repo,
            n,
            &IssueChanges {
                title: Some("Edited title".into()),
                body: Some("edited\nbody".into()),
                state: Some(IssueState::Closed),
                labels: Some(SetChange::between(&["bug".into()], &["ui".into()])),
                assignees: Some(SetChange::between(&[], &["alice".into()])),
                milestone: Some(None),
                ..IssueChanges::default()
            },
            &before.version,
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: update: {e}"));
    assert_eq!(
        changed.title, "Edited title",
        "{kind}: the answer is the new state"
    );
    let remote = t.issue(repo, n).unwrap();
    assert_eq!(remote.title, "Edited title", "{kind}");
    assert_eq!(remote.body, "edited\nbody", "{kind}");
    assert_eq!(remote.state, "closed", "{kind}");
    assert_eq!(remote.labels, vec!["ui".to_string()], "{kind}");
    assert_eq!(remote.assignees, vec!["alice".to_string()], "{kind}");
    assert_eq!(remote.milestone, None, "{kind}");

    // Only the changed field is sent.
    t.clear_requests();
    p.update_issue(
        repo,
        n,
        &IssueChanges {
            title: Some("Only the title".into()),
            ..IssueChanges::default()
        },
        &changed.version,
    )
    .await
    .unwrap();
    let writes: Vec<_> = t
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert_eq!(
        writes.len(),
        1,
        "{kind}: one write for one field: {writes:#?}"
    );
    let sent = writes[0]
        .body
        .as_ref()
        .unwrap()
        .as_object()
        .unwrap()
        .clone();
    let mut keys: Vec<&str> = sent.keys().map(String::as_str).collect();
    keys.retain(|k| *k != "content_version");
    assert_eq!(keys, ["title"], "{kind}: only the title is sent");

    let created = p
        .create_issue(
            repo,
            &NewRemoteIssue {
                title: "Created here".into(),
                body: "body <!-- issuesync:abc -->".into(),
                labels: vec!["bug".into()],
                assignees: vec!["bob".into()],
                milestone: Some("v1".into()),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: create: {e}"));
    let remote = t.issue(repo, created.number).unwrap();
    assert_eq!(remote.title, "Created here", "{kind}");
    assert_eq!(remote.labels, vec!["bug".to_string()], "{kind}");
    assert_eq!(remote.assignees, vec!["bob".to_string()], "{kind}");
    assert_eq!(remote.milestone.as_deref(), Some("v1"), "{kind}");
    assert!(
        remote.body.contains("<!-- issuesync:abc -->"),
        "{kind}: the marker reaches the tracker as sent"
    );

    let comment = p
        .add_comment(repo, created.number, "a comment from IssueSync")
        .await
        .unwrap();
    assert_eq!(comment.issue_number, created.number, "{kind}");
    assert_eq!(
        t.comment_bodies(repo, created.number),
        vec!["a comment from IssueSync".to_string()],
        "{kind}"
    );
}

async fn error_story(t: &dyn FakeTracker) {
    let kind = t.kind();
    let repo = repo_path(kind);
    let numbers = seed(t);
    let p = provider(t, Some(TOKEN));

    let bad = provider(t, Some("not-the-token"));
    let err = bad.whoami().await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Unauthorized),
        "{kind}: {err:?}"
    );

    let err = p.get_repo(&format!("{repo}-missing")).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::NotFound { .. }),
        "{kind}: {err:?}"
    );
    let err = p.get_issue(repo, 9999).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::NotFound { .. }),
        "{kind}: {err:?}"
    );

    let issue = p.get_issue(repo, numbers[0]).await.unwrap();
    let err = p
        .update_issue(
            repo,
            numbers[0],
            &IssueChanges {
                assignees: Some(SetChange::between(&[], &["nobody-such".into()])),
                ..IssueChanges::default()
            },
            &issue.version,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Validation { .. } | ProviderError::NotFound { .. }
        ),
        "{kind}: assigning an unknown user is rejected: {err:?}"
    );

    let anonymous = provider(t, None);
    let err = anonymous
        .add_comment(repo, numbers[0], "x")
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NeedsToken), "{kind}: {err:?}");

    t.fail_next(10, 500);
    let err = p.get_issue(repo, numbers[0]).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Server { status: 500, .. }),
        "{kind}: {err:?}"
    );
    t.fail_next(0, 500);

    t.fail_next(2, 503);
    p.get_issue(repo, numbers[0])
        .await
        .unwrap_or_else(|e| panic!("{kind}: two 503s are retried: {e}"));

    if kind != ProviderKind::Gitea {
        t.rate_limit_next(1, 3600);
        let err = p
            .list_issues(repo, &IssueListing::default(), None)
            .await
            .unwrap_err();
        let ProviderError::RateLimited { retry_at } = err else {
            panic!("{kind}: expected RateLimited, got {err:?}");
        };
        let wait = retry_at.as_datetime() - chrono::Utc::now();
        assert!(
            wait > chrono::Duration::minutes(50),
            "{kind}: the sync can say when it resumes: {retry_at}"
        );

        // The same client now holds back until the reset (it remembers the limit), so
        // a short limit is checked with a fresh one.
        t.clear_requests();
        let err = p
            .list_issues(repo, &IssueListing::default(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::RateLimited { .. }),
            "{kind}: a limited client does not spend requests before the reset: {err:?}"
        );
        assert!(t.requests().is_empty(), "{kind}: nothing was sent");
        let fresh = provider(t, Some(TOKEN));
        t.rate_limit_next(1, 1);
        let started = Instant::now();
        fresh
            .list_issues(repo, &IssueListing::default(), None)
            .await
            .unwrap_or_else(|e| panic!("{kind}: a short limit is waited out: {e}"));
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{kind}: Retry-After is honoured"
        );
    }
}

fn trackers() -> Vec<Box<dyn FakeTracker>> {
    vec![
        Box::new(FakeGitea::start()),
        Box::new(FakeGitHub::start()),
        Box::new(FakeGitLab::start()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tracker_imports_incrementally() {
    for t in trackers() {
        import_story(t.as_ref()).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tracker_takes_every_write() {
    for t in trackers() {
        write_story(t.as_ref()).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tracker_reports_typed_errors() {
    for t in trackers() {
        error_story(t.as_ref()).await;
    }
}
