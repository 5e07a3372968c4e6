//! Pull sync against the fake Gitea, through the core's public API (`Workspace`):
//! first import, incremental sync, partial sync, reconcile of deletions, resuming an
//! interrupted pull, retries, subpaths, and bad credentials.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use issuesync::model::{IssueState, ProviderKind, RemoteStatus, RepoFilter};
use issuesync::provider::RetryPolicy;
use issuesync::secrets::{MemoryStore, Secret};
use issuesync::store::issues::IssueQuery;
use issuesync::sync::SyncOptions;
use issuesync::workspace::{NewConnectionRequest, SyncSummary};
use issuesync::{Error, Workspace};
use tempfile::TempDir;

use crate::common::fake_gitea::{FakeGitea, NewIssue, SeenRequest};

const TOKEN: &str = "gitea-token-alice-0123456789";

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

fn workspace() -> (TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path(), Box::new(MemoryStore::default()))
        .unwrap()
        .with_retry_policy(fast_retry());
    (dir, ws)
}

fn all_issues() -> IssueQuery {
    IssueQuery::default()
}

async fn connect(ws: &Workspace, fake: &FakeGitea, token: Option<&str>) {
    ws.add_connection(NewConnectionRequest {
        name: "home".into(),
        provider: ProviderKind::Gitea,
        web_url: fake.web_url(),
        token: token.map(Secret::new),
        token_from_env: None,
        allow_insecure_http: None,
    })
    .await
    .expect("connection add");
}

/// A fake with user alice (token [`TOKEN`]) owning public repo alice/tools holding
/// `issues` issues with a pull request after every 7th issue, every 10th issue labelled
/// `bug` and in milestone v1, every 4th with a comment. Issues and PRs share one number
/// sequence, so `Seeded::number(i)` is the number of the i-th issue.
struct Seeded {
    fake: FakeGitea,
    numbers: Vec<u64>,
}

impl Seeded {
    fn number(&self, i: usize) -> u64 {
        self.numbers[i - 1]
    }
}

impl std::ops::Deref for Seeded {
    type Target = FakeGitea;
    fn deref(&self) -> &FakeGitea {
        &self.fake
    }
}

fn seeded_fake(issues: u64) -> Seeded {
    seed(FakeGitea::start(), issues)
}

/// [`seeded_fake`] on a fake already started (and configured).
fn seed(fake: FakeGitea, issues: u64) -> Seeded {
    let mut numbers = Vec::new();
    fake.add_user("alice", Some(TOKEN));
    fake.add_user("bob", None);
    fake.add_repo("alice", "tools", false);
    fake.add_label("alice/tools", "bug", "ee0701");
    fake.add_label("alice/tools", "ui", "0052cc");
    fake.add_milestone("alice/tools", "v1");
    for i in 1..=issues {
        let title = format!("Issue {i}");
        let body = format!("Body of issue {i} mentions frobnicator{i}");
        let n = fake.create_issue(
            "alice/tools",
            NewIssue {
                title: &title,
                body: &body,
                labels: if i % 10 == 0 { vec!["bug"] } else { vec![] },
                milestone: (i % 10 == 0).then_some("v1"),
                assignees: if i % 3 == 0 { vec!["bob"] } else { vec![] },
                ..NewIssue::default()
            },
        );
        numbers.push(n);
        if i % 4 == 0 {
            fake.add_comment("alice/tools", n, "bob", &format!("comment on {i} zanzibar"));
        }
        if i % 7 == 0 {
            fake.create_issue(
                "alice/tools",
                NewIssue {
                    title: "A pull request",
                    pull_request: true,
                    ..NewIssue::default()
                },
            );
        }
    }
    Seeded { fake, numbers }
}

/// A fake with `issues` issues (see [`seeded_fake`]) whose repo is mirrored by one sync
/// into a fresh data dir, the connection made with `token`.
async fn mirrored(issues: u64, token: Option<&str>) -> (Seeded, TempDir, Workspace) {
    mirror_of(seeded_fake(issues), token).await
}

/// `fake` mirrored by one sync into a fresh data dir, the connection made with `token`.
async fn mirror_of(fake: Seeded, token: Option<&str>) -> (Seeded, TempDir, Workspace) {
    let (dir, ws) = workspace();
    connect(&ws, &fake, token).await;
    ws.add_repo("home:alice/tools", RepoFilter::default())
        .await
        .unwrap();
    sync(&ws, &SyncOptions::default()).await;
    (fake, dir, ws)
}

async fn sync(ws: &Workspace, options: &SyncOptions) -> SyncSummary {
    ws.sync(None, options, &|_| {}).await.expect("sync round")
}

fn issue_list_requests(fake: &FakeGitea) -> Vec<SeenRequest> {
    requests_to(fake, "/repos/alice/tools/issues")
}

/// The GETs whose path ends with `suffix`.
fn requests_to(fake: &FakeGitea, suffix: &str) -> Vec<SeenRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(suffix))
        .collect()
}

/// A server that raised `MAX_RESPONSE_ITEMS` to 100 (and says so in `/settings/api`) is
/// imported in pages of 100: 250 issues in 3 listing requests, not 5, and their 62
/// comments in one.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_import_pages_at_the_servers_maximum() {
    let fake = seed(FakeGitea::start().with_max_response_items(100), 250);
    let (fake, _dir, ws) = mirror_of(fake, Some(TOKEN)).await;
    assert_eq!(ws.issues(&all_issues()).unwrap().len(), 250);
    let lists = issue_list_requests(&fake);
    let limits: Vec<Option<&str>> = lists.iter().map(|r| r.param("limit")).collect();
    assert_eq!(limits, [Some("100"); 3], "250 issues at 100 a page");
    let comments = requests_to(&fake, "/repos/alice/tools/issues/comments");
    assert_eq!(comments.len(), 1, "62 comments fit one page of 100");
    assert_eq!(comments[0].param("limit"), Some("100"));
    assert_eq!(
        requests_to(&fake, "/settings/api").len(),
        1,
        "the server's maximum is asked once"
    );

    // An unchanged round lists by `since` and does not ask it again.
    fake.advance_clock(60);
    fake.clear_requests();
    let summary = sync(&ws, &SyncOptions::default()).await;
    assert!(summary.repos[0].error.is_none(), "{:?}", summary.repos[0]);
    let seen = fake.requests();
    assert!(seen.len() <= 2, "{seen:#?}");
    assert!(seen.iter().all(|r| !r.path.ends_with("/settings/api")));
}

/// A server without `/settings/api` (404) is imported at Gitea's default page size.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_api_settings_is_imported_at_50_a_page() {
    let fake = seed(
        FakeGitea::start()
            .with_max_response_items(100)
            .without_settings_api(),
        120,
    );
    let (fake, _dir, ws) = mirror_of(fake, Some(TOKEN)).await;
    assert_eq!(ws.issues(&all_issues()).unwrap().len(), 120);
    let lists = issue_list_requests(&fake);
    let limits: Vec<Option<&str>> = lists.iter().map(|r| r.param("limit")).collect();
    assert_eq!(limits, [Some("50"); 3]);
    assert_eq!(requests_to(&fake, "/settings/api").len(), 1, "asked once");
}

#[tokio::test(flavor = "multi_thread")]
async fn first_import_mirrors_every_issue_and_no_pull_request() {
    let fake = seeded_fake(300);
    let (_dir, ws) = workspace();
    connect(&ws, &fake, Some(TOKEN)).await;
    ws.add_repo("home:alice/tools", RepoFilter::default())
        .await
        .unwrap();

    let summary = sync(&ws, &SyncOptions::default()).await;
    let report = &summary.repos[0];
    assert!(report.error.is_none(), "{report:?}");
    assert!(report.full, "the first import lists everything");
    assert_eq!(report.fetched, 300);
    assert_eq!(report.created, 300);
    assert_eq!(report.comments, 75, "every 4th issue has a comment");

    let issues = ws.issues(&all_issues()).unwrap();
    assert_eq!(issues.len(), 300, "PRs must not be mirrored");
    assert!(issues.iter().all(|i| i.title != "A pull request"));
    let numbers: HashSet<u64> = issues.iter().filter_map(|i| i.number).collect();
    for pr in fake.issues("alice/tools").iter().filter(|i| i.is_pull) {
        assert!(!numbers.contains(&pr.number), "PR #{} leaked in", pr.number);
    }

    let lists = issue_list_requests(&fake);
    assert_eq!(lists.len(), 6, "300 issues at 50 a page is 6 pages");
    for r in &lists {
        assert_eq!(
            r.param("type"),
            Some("issues"),
            "PRs are excluded by the server"
        );
        assert_eq!(r.param("state"), Some("all"));
        assert_eq!(r.param("limit"), Some("50"));
        assert_eq!(r.authorization.as_deref(), Some(&*format!("token {TOKEN}")));
    }

    let detail = ws.issue("home:alice/tools#4").unwrap();
    assert_eq!(detail.issue.title, "Issue 4");
    assert_eq!(
        detail.issue.remote_url,
        Some(format!("{}/alice/tools/issues/4", fake.web_url()))
    );
    assert_eq!(detail.comments.len(), 1);
    assert_eq!(detail.comments[0].author.as_deref(), Some("bob"));
    let by_id = ws.issue(&detail.issue.id.to_string()).unwrap();
    assert_eq!(
        by_id.issue, detail.issue,
        "local ids resolve to the same issue"
    );

    let labels = ws.repo_labels("home:alice/tools").unwrap();
    let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["bug", "ui"],
        "a full sync stores the repository's labels"
    );
    assert_eq!(labels[0].color.as_deref(), Some("ee0701"));

    let fake_issue = fake.issue("alice/tools", 4).unwrap();
    assert_eq!(
        detail.issue.updated_at.as_datetime(),
        fake_issue.updated_at,
        "the +01:00 server time must be stored as the same instant"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn incremental_sync_fetches_only_what_changed() {
    let (fake, _dir, ws) = mirrored(120, Some(TOKEN)).await;
    let cursor = ws
        .issues(&all_issues())
        .unwrap()
        .iter()
        .map(|i| i.updated_at)
        .max()
        .unwrap();

    // Issues updated within the overlap before the cursor come back again, harmlessly.
    let overlap_start = cursor.plus_seconds(-5).as_datetime();
    let in_overlap = fake
        .issues("alice/tools")
        .iter()
        .filter(|i| !i.is_pull && i.updated_at >= overlap_start)
        .count();
    assert!(in_overlap > 0 && in_overlap <= 6, "{in_overlap}");

    fake.advance_clock(600);
    let (n5, n9, n11) = (fake.number(5), fake.number(9), fake.number(11));
    fake.edit_issue("alice/tools", n5, |i| i.title = "Renamed remotely".into());
    fake.edit_issue("alice/tools", n9, |i| i.state = "closed".into());
    fake.add_comment("alice/tools", n11, "alice", "a new comment");
    fake.clear_requests();

    let summary = sync(&ws, &SyncOptions::default()).await;
    let report = &summary.repos[0];
    assert!(report.error.is_none(), "{report:?}");
    assert!(!report.full);
    assert_eq!(
        report.fetched,
        3 + in_overlap,
        "only the three changed issues and the overlap come back"
    );
    assert_eq!(
        report.updated, 3,
        "only the changed issues are stored as updates"
    );
    assert_eq!(report.created, 0);
    assert_eq!(report.comments, 1);

    let lists = issue_list_requests(&fake);
    assert_eq!(lists.len(), 1, "one page is enough for three issues");
    let since = lists[0]
        .param("since")
        .expect("incremental pulls send since");
    let since = issuesync::model::Timestamp::parse(since).unwrap();
    assert_eq!(
        since,
        cursor.plus_seconds(-5),
        "since is the cursor minus the overlap"
    );
    let comment_lists: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/issues/comments"))
        .collect();
    assert_eq!(comment_lists.len(), 1, "{comment_lists:?}");
    assert!(comment_lists[0].param("since").is_some());

    let renamed = ws.issue(&format!("home:alice/tools#{n5}")).unwrap().issue;
    assert_eq!(renamed.title, "Renamed remotely");
    let closed = ws.issue(&format!("home:alice/tools#{n9}")).unwrap().issue;
    assert_eq!(closed.state, IssueState::Closed);
    let commented = ws.issue(&format!("home:alice/tools#{n11}")).unwrap();
    assert_eq!(commented.comments.len(), 1);

    // Nothing changed: the next round stores nothing new.
    let again = sync(&ws, &SyncOptions::default()).await;
    assert_eq!(again.repos[0].created + again.repos[0].updated, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn partial_sync_mirrors_only_the_filtered_issues() {
    let fake = seeded_fake(60);
    // An issue with bug but another milestone, and one in v1 without bug.
    fake.add_milestone("alice/tools", "v2");
    fake.create_issue(
        "alice/tools",
        NewIssue {
            title: "bug in v2",
            labels: vec!["bug"],
            milestone: Some("v2"),
            ..NewIssue::default()
        },
    );
    fake.create_issue(
        "alice/tools",
        NewIssue {
            title: "v1 feature",
            milestone: Some("v1"),
            ..NewIssue::default()
        },
    );
    let (_dir, ws) = workspace();
    connect(&ws, &fake, None).await;
    ws.add_repo(
        "home:alice/tools",
        RepoFilter {
            labels: vec!["bug".into()],
            milestone: Some("v1".into()),
        },
    )
    .await
    .unwrap();
    sync(&ws, &SyncOptions::default()).await;
    let titles: Vec<String> = ws
        .issues(&all_issues())
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles.len(), 6, "issues 10..60 step 10: {titles:?}");
    assert!(!titles.iter().any(|t| t == "bug in v2" || t == "v1 feature"));
    let lists = issue_list_requests(&fake);
    assert_eq!(lists[0].param("labels"), Some("bug"));
    assert_eq!(lists[0].param("milestones"), Some("v1"));

    // Gitea ignores a label the repo does not have (and then filters nothing);
    // the mirror must still hold only matching issues.
    ws.add_repo(
        "home:alice/tools",
        RepoFilter {
            labels: vec!["no-such-label".into()],
            milestone: None,
        },
    )
    .await
    .unwrap();
    let (_dir2, ws2) = workspace();
    connect(&ws2, &fake, None).await;
    ws2.add_repo(
        "home:alice/tools",
        RepoFilter {
            labels: vec!["no-such-label".into()],
            milestone: None,
        },
    )
    .await
    .unwrap();
    sync(&ws2, &SyncOptions::default()).await;
    assert!(ws2.issues(&all_issues()).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_sync_marks_remotely_deleted_issues_and_keeps_them() {
    let (fake, _dir, ws) = mirrored(30, Some(TOKEN)).await;
    let n12 = fake.number(12);
    let reference = format!("home:alice/tools#{n12}");
    fake.delete_issue("alice/tools", n12);

    // An incremental round cannot see deletions and must not guess.
    sync(&ws, &SyncOptions::default()).await;
    let kept = ws.issue(&reference).unwrap().issue;
    assert_eq!(kept.remote_status, RemoteStatus::Present);

    let summary = sync(
        &ws,
        &SyncOptions {
            force_full: true,
            ..SyncOptions::default()
        },
    )
    .await;
    assert_eq!(summary.repos[0].gone, 1);
    let kept = ws.issue(&reference).unwrap().issue;
    assert_eq!(kept.remote_status, RemoteStatus::Deleted);
    assert_eq!(kept.title, "Issue 12", "the local copy stays readable");
    assert_eq!(ws.issues(&all_issues()).unwrap().len(), 30);
    let log = ws.sync_log(20, None).unwrap();
    assert!(
        log.iter()
            .any(|r| r.operation == "reconcile" && r.issue_number == Some(n12)),
        "the deletion is in the sync log: {log:?}"
    );
    let lookups: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| {
            r.path
                .ends_with(&format!("/repos/alice/tools/issues/{n12}"))
        })
        .collect();
    assert_eq!(lookups.len(), 1, "only the missing issue is looked up");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_pull_resumes_at_the_next_page() {
    let fake = Arc::new(seeded_fake(200));
    let (_dir, ws) = workspace();
    connect(&ws, &fake, Some(TOKEN)).await;
    ws.add_repo("home:alice/tools", RepoFilter::default())
        .await
        .unwrap();

    // The server fails for good from the third issue page on (the round asks
    // `/settings/api` first). Pinned to requests, not to progress: the client asks for
    // each page while it stores the one before.
    fake.fail_after(3, 20, 500);
    let summary = ws
        .sync(None, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    let error = summary.repos[0].error.as_ref().expect("the pull fails");
    assert_eq!(error.code, "transport");
    assert_eq!(
        ws.issues(&all_issues()).unwrap().len(),
        100,
        "two pages are stored"
    );

    fake.fail_next(0, 500);
    fake.clear_requests();
    let summary = sync(&ws, &SyncOptions::default()).await;
    assert!(summary.repos[0].error.is_none(), "{:?}", summary.repos[0]);
    let first = &issue_list_requests(&fake)[0];
    assert_eq!(
        first.param("page"),
        Some("3"),
        "resumes after the stored pages"
    );
    assert_eq!(ws.issues(&all_issues()).unwrap().len(), 200);
    assert_eq!(
        summary.repos[0].fetched, 100,
        "the stored pages are not fetched again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_server_errors_are_retried() {
    let fake = seeded_fake(10);
    let (_dir, ws) = workspace();
    connect(&ws, &fake, Some(TOKEN)).await;
    ws.add_repo("home:alice/tools", RepoFilter::default())
        .await
        .unwrap();
    fake.clear_requests();
    fake.fail_next(2, 502);
    let summary = sync(&ws, &SyncOptions::default()).await;
    assert!(summary.repos[0].error.is_none(), "{:?}", summary.repos[0]);
    assert_eq!(ws.issues(&all_issues()).unwrap().len(), 10);
    // The round's first request fails twice and is sent again.
    let seen: Vec<(String, Vec<(String, String)>)> = fake
        .requests()
        .into_iter()
        .take(3)
        .map(|r| (r.path, r.query))
        .collect();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|r| r == &seen[0]),
        "two failures, then the same request again: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn subpath_instances_keep_their_subpath_everywhere() {
    let fake = FakeGitea::start_at_subpath("/gitea");
    fake.add_user("alice", Some(TOKEN));
    fake.add_repo("alice", "tools", false);
    fake.create_issue("alice/tools", NewIssue::default());
    let (_dir, ws) = workspace();
    connect(&ws, &fake, None).await;
    ws.add_repo("home:alice/tools", RepoFilter::default())
        .await
        .unwrap();
    let summary = sync(&ws, &SyncOptions::default()).await;
    assert!(summary.repos[0].error.is_none(), "{:?}", summary.repos[0]);
    let issue = ws.issue("home:alice/tools#1").unwrap().issue;
    assert!(fake.web_url().ends_with("/gitea"));
    assert_eq!(
        issue.remote_url,
        Some(format!("{}/alice/tools/issues/1", fake.web_url()))
    );
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.path.starts_with("/gitea/api/v1/")));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_and_private_repos_fail_clearly_and_store_nothing() {
    let fake = seeded_fake(1);
    fake.add_repo("alice", "secret", true);
    let (_dir, ws) = workspace();

    let err = ws
        .add_connection(NewConnectionRequest {
            name: "home".into(),
            provider: ProviderKind::Gitea,
            web_url: fake.web_url(),
            token: Some(Secret::new("wrong-token")),
            token_from_env: None,
            allow_insecure_http: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unauthorized", "{err}");
    assert!(!err.to_string().contains("wrong-token"));
    assert!(ws.connections().unwrap().is_empty(), "nothing is stored");

    connect(&ws, &fake, None).await;
    let err = ws
        .add_repo("home:alice/secret", RepoFilter::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found", "{err}");
    assert!(ws.repos(None).unwrap().is_empty());

    let err = ws
        .add_connection(NewConnectionRequest {
            name: "home".into(),
            provider: ProviderKind::Gitea,
            web_url: fake.web_url(),
            token: None,
            token_from_env: None,
            allow_insecure_http: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateConnection { .. }), "{err}");
}

/// Pulled comments queue their issue's search row, rebuilt once at the end of the
/// listing; rows a crash left queued are rebuilt when the store next opens.
#[tokio::test(flavor = "multi_thread")]
async fn search_rows_left_queued_by_a_crash_are_rebuilt_on_open() {
    let (_fake, dir, ws) = mirrored(5, None).await;
    let zanzib = |ws: &Workspace| {
        ws.issues(&IssueQuery {
            search: Some("zanzib".into()),
            ..IssueQuery::default()
        })
        .unwrap()
        .len()
    };
    let found = zanzib(&ws);
    assert!(found > 0, "comment text is searchable after the listing");
    drop(ws);
    // As a crash between a comment page and the listing's end leaves it: rows missing,
    // their issues queued.
    let db =
        issuesync::store::Store::open(&dir.path().join(issuesync::store::DATABASE_FILE)).unwrap();
    db.conn()
        .execute_batch(
            "INSERT INTO search_refresh_queue (issue_id) SELECT id FROM issues;
             DELETE FROM issue_search;",
        )
        .unwrap();
    drop(db);
    let ws = Workspace::open(dir.path(), Box::new(MemoryStore::default())).unwrap();
    assert_eq!(zanzib(&ws), found, "rebuilt when the store opened");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_label_and_assignee_filters_query_the_mirror() {
    let (fake, _dir, ws) = mirrored(40, None).await;

    let found = ws
        .issues(&IssueQuery {
            search: Some("frobnicator17".into()),
            ..IssueQuery::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].number,
        Some(fake.number(17)),
        "body text is searchable"
    );

    let in_comments = ws
        .issues(&IssueQuery {
            search: Some("zanzib".into()),
            ..IssueQuery::default()
        })
        .unwrap();
    assert_eq!(
        in_comments.len(),
        10,
        "comment text is searchable, by prefix too"
    );

    let bugs = ws
        .issues(&IssueQuery {
            label: Some("bug".into()),
            ..IssueQuery::default()
        })
        .unwrap();
    assert_eq!(bugs.len(), 4);
    assert!(bugs.iter().all(|i| i.labels == vec!["bug".to_string()]));

    let bobs = ws
        .issues(&IssueQuery {
            assignee: Some("bob".into()),
            ..IssueQuery::default()
        })
        .unwrap();
    assert_eq!(bobs.len(), 13);
}

#[tokio::test]
async fn a_replaced_token_is_verified_before_it_is_stored() {
    let fake = seeded_fake(3);
    let (_dir, ws) = workspace();
    connect(&ws, &fake, Some(TOKEN)).await;
    ws.add_repo("home:alice/tools", RepoFilter::default())
        .await
        .unwrap();

    let err = ws
        .replace_token("home", Secret::new("not-a-token"), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unauthorized", "{err}");
    assert!(
        sync(&ws, &SyncOptions::default()).await.succeeded(),
        "the old token stays"
    );

    fake.add_user("alice", Some("gitea-token-alice-rotated"));
    let connection = ws
        .replace_token("home", Secret::new("gitea-token-alice-rotated\n"), false)
        .await
        .unwrap();
    assert_eq!(connection.login.as_deref(), Some("alice"));
    fake.clear_requests();
    assert!(sync(&ws, &SyncOptions::default()).await.succeeded());
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("token gitea-token-alice-rotated")),
        "every request now uses the new token"
    );
}

/// A search matching more than the ranking cap counts and shows the cap, the most
/// recently mirrored matches, ranked; a narrower search is unaffected.
#[tokio::test(flavor = "multi_thread")]
async fn a_search_matching_more_than_the_cap_shows_the_most_recently_mirrored() {
    let cap = issuesync::store::issues::SEARCH_RANKED as usize;
    let (_fake, _dir, ws) = mirrored(cap as u64 + 60, None).await;
    let query = |text: &str| IssueQuery {
        search: Some(text.into()),
        ..IssueQuery::default()
    };
    let everything = ws.issue_ids(&IssueQuery::default()).unwrap();
    assert_eq!(everything.len(), cap + 60, "the list itself is not capped");
    assert_eq!(ws.count_issues(&query("body")).unwrap(), cap as u64);
    let shown = ws.issue_ids(&query("body")).unwrap();
    assert_eq!(shown.len(), cap);
    let oldest_shown = *shown.iter().min().unwrap();
    let mut by_id = everything;
    by_id.sort_unstable();
    assert_eq!(
        oldest_shown, by_id[60],
        "the matches shown are the most recently mirrored"
    );
    assert_eq!(ws.count_issues(&query("frobnicator2017")).unwrap(), 1);
    // Thousands of matches that all hold the word (more than `RANKED_BELOW`) are listed
    // in the list's order (recently updated first), not ranked: ranking costs a pass over
    // every match.
    let listed = ws.issue_ids(&IssueQuery::default()).unwrap();
    let in_list_order: Vec<i64> = listed.into_iter().filter(|id| shown.contains(id)).collect();
    assert_eq!(
        shown, in_list_order,
        "a broad search keeps the list's order"
    );
}

/// A narrow search ranks by where the word occurs: the title before the body before a
/// comment, whatever their age (the list's order here is the reverse).
#[tokio::test(flavor = "multi_thread")]
async fn a_narrow_search_ranks_title_matches_above_body_and_comment_matches() {
    let fake = FakeGitea::start();
    fake.add_user("alice", Some(TOKEN));
    fake.add_repo("alice", "tools", false);
    let mut numbers = Vec::new();
    for (title, body) in [
        (
            "Quokka sightings are not synced",
            "Steps to reproduce are below.",
        ),
        (
            "Export fails",
            "The quokka export fails with an error after a minute.",
        ),
        (
            "Import fails",
            "Nothing is imported when the file is large.",
        ),
    ] {
        numbers.push(fake.create_issue(
            "alice/tools",
            NewIssue {
                title,
                body,
                ..NewIssue::default()
            },
        ));
    }
    fake.add_comment(
        "alice/tools",
        numbers[2],
        "alice",
        "Maybe related to the other quokka report; I have not checked.",
    );
    let (_fake, _dir, ws) = mirror_of(
        Seeded {
            fake,
            numbers: numbers.clone(),
        },
        Some(TOKEN),
    )
    .await;
    let found: Vec<u64> = ws
        .issues(&IssueQuery {
            search: Some("quokka".into()),
            ..IssueQuery::default()
        })
        .unwrap()
        .iter()
        .map(|i| i.number.expect("pulled issues have numbers"))
        .collect();
    assert_eq!(found, numbers, "title, then body, then comment");
}
