//! Contract: every request the GitHub adapter sends exists in GitHub's official OpenAPI
//! description (`shared/contracts/github-api.github.com.json`) — the path template, the
//! method, the path parameters, every query parameter (declared for that operation, of its
//! type, in its enum, RFC 3339 where it is a date-time), and every JSON request body valid
//! against the operation's `requestBody` schema.
//!
//! Pages after the first are fetched from GitHub's own `Link` URLs, which point at
//! `/repositories/{id}/…` (recorded in `samples/github/octokit-fixture-paginate-issues.json`)
//! while the description only has the `/repos/{owner}/{repo}/…` form of those operations; such
//! requests are checked as that form.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use issuesync::model::{IssueState, ProviderKind, RemoteIssue, RemoteVersion, Timestamp};
use issuesync::provider::{
    connect, CachedEtag, ConditionalCache, Endpoint, IssueChanges, IssueListing, NewRemoteIssue,
    Page, Provider, ProviderError, RetryPolicy, SetChange,
};
use issuesync::remote_url::api_url;
use issuesync::secrets::Secret;
use serde_json::{json, Value};

use crate::common::fake_github::{FakeGitHub, FakeTracker, NewIssue, SeenRequest, GHES_VERSION};
use crate::common::github_openapi::spec;

const TOKEN: &str = "ghp_contract_alice";
const REPO: &str = "team/tools";
const ELSEWHERE: &str = "team/elsewhere";
/// More than one page of 100.
const LABELLED: usize = 130;
const COMMENTS_ON_FIRST: usize = 105;

/// ETags in memory, as the workspace keeps them in its store.
#[derive(Default)]
struct MemoryEtags(Mutex<HashMap<String, CachedEtag>>);

impl ConditionalCache for MemoryEtags {
    fn get(&self, url: &str) -> Option<CachedEtag> {
        self.0.lock().unwrap().get(url).cloned()
    }
}

impl MemoryEtags {
    /// What the sync engine does with a stored page: keeps its validator.
    fn remember(&self, page: &Page<RemoteIssue>) {
        if let Some(v) = &page.validator {
            self.0.lock().unwrap().insert(
                v.url.clone(),
                CachedEtag {
                    etag: v.etag.clone(),
                    next: v.next.clone(),
                    held: page.items.iter().map(|i| i.number).collect(),
                    full: v.full,
                },
            );
        }
    }
}

fn provider(
    fake: &FakeGitHub,
    token: Option<&str>,
    cache: Option<Arc<dyn ConditionalCache>>,
) -> Box<dyn Provider> {
    connect(Endpoint {
        kind: ProviderKind::Github,
        api_url: api_url(ProviderKind::Github, &fake.web_url()),
        web_url: fake.web_url(),
        token: token.map(Secret::new),
        retry: RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        cache,
    })
    .unwrap()
}

/// The path below the API root, with `/repositories/{id}` read as `/repos/{owner}/{repo}`.
fn described_path(request: &SeenRequest) -> Result<String, String> {
    let below = request
        .path
        .strip_prefix("/api/v3")
        .ok_or_else(|| format!("{} is outside /api/v3", request.path))?;
    let segments: Vec<&str> = below.trim_start_matches('/').split('/').collect();
    Ok(match segments.as_slice() {
        ["repositories", id, rest @ ..] if id.parse::<u64>().is_ok() => {
            format!("/repos/owner/repo/{}", rest.join("/"))
                .trim_end_matches('/')
                .to_string()
        }
        _ => below.to_string(),
    })
}

fn check_request(request: &SeenRequest) -> Result<(), String> {
    let path = described_path(request)?;
    spec()
        .check_request(
            &request.method,
            &path,
            &request.query,
            request.body.as_ref(),
        )
        .map_err(|errors| {
            format!(
                "{} {}?{:?} {:?}: {errors:#?}",
                request.method,
                request.path,
                request.query,
                request.body.as_ref().map(Value::to_string)
            )
        })
}

fn operation_id(request: &SeenRequest) -> String {
    described_path(request)
        .and_then(|p| {
            spec()
                .operation(&request.method, &p)
                .map(|o| o.id().to_string())
        })
        .unwrap_or_else(|e| e)
}

struct Seeded {
    fake: FakeGitHub,
    first: u64,
    pull: u64,
    deleted: u64,
    transferred: u64,
}

fn seeded() -> Seeded {
    let fake = FakeGitHub::start();
    fake.add_user("alice", Some(TOKEN));
    fake.add_user("bob", None);
    fake.add_repo(REPO, false);
    fake.add_repo(ELSEWHERE, false);
    fake.add_label(REPO, "bug", "ee0701");
    fake.add_label(REPO, "ui", "0052cc");
    fake.add_milestone(REPO, "v1");
    fake.add_milestone(REPO, "v2");
    let mut numbers = Vec::new();
    for i in 0..LABELLED {
        numbers.push(fake.create_issue(
            REPO,
            NewIssue {
                title: &format!("labelled {i}"),
                body: "in v1",
                labels: vec!["bug"],
                milestone: Some("v1"),
                ..NewIssue::default()
            },
        ));
    }
    let first = numbers[0];
    for i in 0..COMMENTS_ON_FIRST {
        fake.add_comment(REPO, first, "bob", &format!("comment {i}"));
    }
    let pull = fake.create_issue(
        REPO,
        NewIssue {
            title: "a pull request",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    fake.add_comment(REPO, pull, "bob", "on the pull request");
    let deleted = fake.create_issue(
        REPO,
        NewIssue {
            title: "deleted soon",
            ..NewIssue::default()
        },
    );
    fake.delete_issue(REPO, deleted);
    let transferred = fake.create_issue(
        REPO,
        NewIssue {
            title: "moving out",
            ..NewIssue::default()
        },
    );
    fake.transfer_issue(REPO, transferred, ELSEWHERE);
    Seeded {
        fake,
        first,
        pull,
        deleted,
        transferred,
    }
}

/// Every read the adapter has; `authed` also runs the token-only calls and every write.
async fn exercise(s: &Seeded, p: &dyn Provider, authed: bool) {
    let info = p.probe().await.unwrap();
    assert_eq!(info.version.as_deref(), Some(GHES_VERSION));
    if authed {
        assert_eq!(p.whoami().await.unwrap().login, "alice");
        let repos = p.list_repos(10).await.unwrap();
        assert!(repos.iter().any(|r| r.full_path == REPO), "{repos:?}");
    } else {
        assert!(matches!(p.whoami().await, Err(ProviderError::NeedsToken)));
        assert!(matches!(
            p.list_repos(10).await,
            Err(ProviderError::NeedsToken)
        ));
    }
    let repo = p.get_repo(REPO).await.unwrap();
    assert_eq!(repo.full_path, REPO);
    assert_eq!(p.list_labels(REPO).await.unwrap().len(), 2);
    assert_eq!(p.list_milestones(REPO).await.unwrap().len(), 2);
    let people: Vec<String> = p
        .list_assignable_users(REPO)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(people, vec!["alice", "bob"]);

    // A filtered, incremental listing over two pages.
    let listing = IssueListing {
        since: Some(Timestamp::parse("2026-01-05T09:00:00+01:00").unwrap()),
        labels: vec!["bug".into()],
        milestone: Some("v1".into()),
        ..IssueListing::default()
    };
    let mut listed = 0;
    let mut pages = 0;
    let mut page: Option<String> = None;
    loop {
        let fetched = p
            .list_issues(REPO, &listing, page.as_deref())
            .await
            .unwrap();
        listed += fetched.items.len();
        pages += 1;
        match fetched.next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    assert_eq!(
        (listed, pages),
        (LABELLED, 2),
        "every labelled issue, paged"
    );
    let everything = p
        .list_issues(REPO, &IssueListing::default(), None)
        .await
        .unwrap();
    assert!(everything.next.is_some());
    assert!(
        everything.items.iter().all(|i| i.number != s.pull),
        "no pull request"
    );
    // The marker lookup's listing: newest created first.
    let newest = p
        .list_issues(
            REPO,
            &IssueListing {
                newest_created_first: true,
                ..IssueListing::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(newest
        .items
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
    let missing_milestone = IssueListing {
        milestone: Some("no such milestone".into()),
        ..IssueListing::default()
    };
    assert!(p
        .list_issues(REPO, &missing_milestone, None)
        .await
        .unwrap()
        .items
        .is_empty());

    let one = p.get_issue(REPO, s.first).await.unwrap();
    assert!(one.version.etag.is_some());
    assert!(p
        .get_issue_if_changed(REPO, s.first, &one.version)
        .await
        .unwrap()
        .is_none());
    let stale = RemoteVersion {
        etag: Some("W/\"stale\"".into()),
        ..one.version.clone()
    };
    assert!(p
        .get_issue_if_changed(REPO, s.first, &stale)
        .await
        .unwrap()
        .is_some());
    assert!(matches!(
        p.get_issue(REPO, s.transferred).await,
        Err(ProviderError::Moved { .. })
    ));
    assert!(matches!(
        p.get_issue(REPO, s.deleted).await,
        Err(ProviderError::Gone { .. })
    ));
    assert!(matches!(
        p.get_issue(REPO, s.pull).await,
        Err(ProviderError::NotFound { .. })
    ));

    let since = Timestamp::parse("2026-01-05T10:00:00Z").unwrap();
    let mut comments = 0;
    let mut page: Option<String> = None;
    loop {
        let fetched = p
            .list_comments(REPO, Some(since), page.as_deref())
            .await
            .unwrap();
        comments += fetched.items.len();
        match fetched.next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    assert_eq!(comments, COMMENTS_ON_FIRST + 1, "the pull request's too");
    assert_eq!(
        p.list_issue_comments(REPO, s.first).await.unwrap().len(),
        COMMENTS_ON_FIRST
    );
    let marker = "<!-- issuesync:contract-1 -->";
    if !authed {
        return;
    }
    // Webhooks: a collaborator is no admin (the fake answers 404), but what is sent is
    // checked against the description all the same.
    assert!(p.list_hooks(REPO).await.is_err());
    assert!(p
        .create_hook(
            REPO,
            "https://hooks.example.com/webhooks/t",
            &issuesync::secrets::Secret::new("s")
        )
        .await
        .is_err());
    assert!(p.delete_hook(REPO, 1).await.is_err());

    let target = s.first + 1;
    let before = p.get_issue(REPO, target).await.unwrap();
    let changed = p
        .update_issue(
            REPO,
            target,
            &IssueChanges {
                title: Some("every field".into()),
                body: Some("new body".into()),
                state: Some(IssueState::Closed),
                state_reason: Some(Some("not_planned".into())),
                labels: Some(SetChange::between(&["bug".into()], &["ui".into()])),
                assignees: Some(SetChange::between(&[], &["bob".into()])),
                milestone: Some(Some("v2".into())),
            },
            &before.version,
        )
        .await
        .unwrap();
    assert_eq!(changed.state_reason.as_deref(), Some("not_planned"));
    assert_eq!(changed.milestone.map(|m| m.title).as_deref(), Some("v2"));
    let reopened = p
        .update_issue(
            REPO,
            target,
            &IssueChanges {
                state: Some(IssueState::Open),
                state_reason: Some(None),
                milestone: Some(None),
                ..IssueChanges::default()
            },
            &before.version,
        )
        .await
        .unwrap();
    assert_eq!(reopened.state, IssueState::Open);
    assert!(reopened.milestone.is_none());
    let created = p
        .create_issue(
            REPO,
            &NewRemoteIssue {
                title: "created by the adapter".into(),
                body: format!("text\n{marker}"),
                labels: vec!["bug".into(), "ui".into()],
                assignees: vec!["alice".into()],
                milestone: Some("v1".into()),
            },
        )
        .await
        .unwrap();
    p.add_comment(REPO, created.number, "a comment")
        .await
        .unwrap();
    assert!(
        created.body.contains(marker),
        "the marker is sent with the body"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_github_request_exists_in_the_official_description() {
    let s = seeded();
    // Anonymous first: the authenticated run writes.
    exercise(&s, provider(&s.fake, None, None).as_ref(), false).await;
    exercise(&s, provider(&s.fake, Some(TOKEN), None).as_ref(), true).await;
    let requests = s.fake.requests();

    let ops: BTreeSet<String> = requests.iter().map(operation_id).collect();
    let expected: BTreeSet<String> = [
        "meta/get",
        "users/get-authenticated",
        "repos/list-for-authenticated-user",
        "repos/get",
        "issues/list-labels-for-repo",
        "issues/list-milestones",
        "issues/list-assignees",
        "issues/list-for-repo",
        "issues/get",
        "issues/list-comments-for-repo",
        "issues/list-comments",
        "issues/update",
        "issues/create",
        "issues/create-comment",
        "repos/list-webhooks",
        "repos/create-webhook",
        "repos/delete-webhook",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(ops, expected, "the workload reaches every adapter call");
    assert!(
        requests.iter().any(|r| r.path.contains("/repositories/")),
        "pages were followed through GitHub's Link URLs"
    );
    assert!(requests.iter().any(|r| r.authorization.is_none()));
    assert!(requests.iter().any(|r| r.body.is_some()));

    let failures: Vec<String> = requests
        .iter()
        .filter_map(|r| check_request(r).err())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_issue_listing_costs_one_free_304() {
    let s = seeded();
    let etags = Arc::new(MemoryEtags::default());
    let cache: Arc<dyn ConditionalCache> = etags.clone();
    let p = provider(&s.fake, Some(TOKEN), Some(cache));
    let listing = IssueListing {
        since: Some(Timestamp::parse("2026-01-05T10:00:20Z").unwrap()),
        ..IssueListing::default()
    };
    let fresh = p.list_issues(REPO, &listing, None).await.unwrap();
    assert!(!fresh.not_modified && !fresh.items.is_empty());
    etags.remember(&fresh);
    s.fake.clear_requests();
    let again = p.list_issues(REPO, &listing, None).await.unwrap();
    assert!(again.not_modified, "answered 304");
    assert!(again.items.is_empty());
    assert_eq!(again.next, fresh.next, "the next page stored with the tag");
    let log = s.fake.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, Some(304));
    assert_eq!(
        log[0].request.param("since"),
        Some("2026-01-05T00:00:00Z"),
        "since goes out floored to its day"
    );

    // A later cursor of the same day asks the same URL: still 304.
    let later = IssueListing {
        since: Some(Timestamp::parse("2026-01-05T17:45:00Z").unwrap()),
        ..IssueListing::default()
    };
    assert!(
        p.list_issues(REPO, &later, None)
            .await
            .unwrap()
            .not_modified
    );

    // Newest first, any change lands on the first page: a comment on the oldest issue
    // makes that page fresh, with the commented issue on top.
    let listed_before = s.fake.github_issue(REPO, s.first).unwrap().updated_at;
    s.fake.add_comment(REPO, s.first, "bob", "news");
    let changed = p.list_issues(REPO, &later, None).await.unwrap();
    assert!(!changed.not_modified);
    assert_eq!(
        s.fake.request_log().last().and_then(|r| r.status),
        Some(200)
    );
    assert_eq!(changed.items[0].number, s.first, "the newest update first");
    assert!(changed.items[0].updated_at.as_datetime() > listed_before);
    assert_eq!(
        s.fake
            .request_log()
            .last()
            .unwrap()
            .request
            .param("direction"),
        Some("desc")
    );
}

#[test]
fn the_contract_check_rejects_what_the_description_lacks() {
    let request =
        |method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>| SeenRequest {
            method: method.into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            authorization: None,
            body,
        };
    assert_eq!(
        check_request(&request(
            "GET",
            "/api/v3/repositories/1001/issues",
            &[("state", "all"), ("per_page", "100"), ("page", "2")],
            None
        )),
        Ok(())
    );
    for bad in [
        request("GET", "/api/v3/repos/a/b/issues", &[("limit", "50")], None),
        request(
            "GET",
            "/api/v3/repos/a/b/issues",
            &[("sort", "title")],
            None,
        ),
        request(
            "GET",
            "/api/v3/repos/a/b/issues",
            &[("since", "today")],
            None,
        ),
        request("GET", "/api/v3/repos/a/b/issues/x", &[], None),
        request("GET", "/api/v4/projects/1/issues", &[], None),
        request("PUT", "/api/v3/repos/a/b/issues/1", &[], None),
        request("GET", "/api/v3/search/issues", &[], None),
        request(
            "PATCH",
            "/api/v3/repos/a/b/issues/1",
            &[],
            Some(json!({ "state": "closed", "state_reason": "wontfix" })),
        ),
        request(
            "PATCH",
            "/api/v3/repos/a/b/issues/1",
            &[],
            Some(json!({ "labels": "bug" })),
        ),
        request(
            "POST",
            "/api/v3/repos/a/b/issues",
            &[],
            Some(json!({ "body": "no title" })),
        ),
        request(
            "POST",
            "/api/v3/repos/a/b/issues/1/comments",
            &[],
            Some(json!({ "text": "wrong field" })),
        ),
    ] {
        assert!(check_request(&bad).is_err(), "{bad:?}");
    }
}
