//! GitHub's first import by GraphQL, against the fake: the mirror is the one a REST import
//! makes (the conversion), comments that do not fit in a page come by REST, incremental
//! rounds stay on REST (a free 304 when nothing changed), what changes during an
//! interrupted import arrives with the next round, and GraphQL's errors are typed.

use issuesync::model::{Comment, Issue, IssueState, RepoFilter};
use issuesync::provider::{connect, Endpoint, IssueChanges, Provider, ProviderError};
use issuesync::remote_url::api_url;
use issuesync::secrets::Secret;
use issuesync::store::issues::IssueQuery;
use issuesync::sync::SyncOptions;
use issuesync::Workspace;
use tempfile::TempDir;

use crate::common::fake_github::FakeGitHub;
use crate::common::tracker::{FakeTracker, NewIssue, RemoteEdit, SeenRequest};
use crate::two_way_sync::{mirror_with, retry};

const TOKEN: &str = "graphql-token-alice-7";
const REPO: &str = "team/app";
/// Comments on the issue that has more than an import page carries.
const MANY: usize = 120;

fn provider(t: &FakeGitHub, token: Option<&str>) -> Box<dyn Provider> {
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

/// `issues` issues (every 3rd labelled and in milestone v1, every 4th assigned to bob,
/// every 5th closed, number 2 closed as not planned), `i % 4` comments on issue `i`,
/// [`MANY`] on issue 3, and two pull requests.
async fn seed(t: &FakeGitHub, issues: usize) {
    t.add_user("alice", Some(TOKEN));
    t.add_user("bob", None);
    t.add_repo(REPO, false);
    t.add_label(REPO, "bug", "EE0701");
    t.add_label(REPO, "ui", "0052cc");
    t.add_milestone(REPO, "v1");
    for i in 1..=issues {
        let title = format!("Issue {i}");
        let body = if i % 7 == 0 {
            String::new()
        } else {
            format!("body of {i}")
        };
        let n = t.create_issue(
            REPO,
            NewIssue {
                title: &title,
                body: &body,
                labels: if i % 3 == 0 {
                    vec!["bug", "ui"]
                } else {
                    vec![]
                },
                milestone: (i % 3 == 0).then_some("v1"),
                assignees: if i % 4 == 0 { vec!["bob"] } else { vec![] },
                ..NewIssue::default()
            },
        );
        let comments = if i == 3 { MANY } else { i % 4 };
        for c in 0..comments {
            t.add_comment(REPO, n, "bob", &format!("comment {c} on {i}"));
        }
        if i % 5 == 0 {
            t.edit_issue(
                REPO,
                n,
                RemoteEdit {
                    state: Some("closed".into()),
                    ..RemoteEdit::default()
                },
            );
        }
        if i % 20 == 0 {
            t.create_issue(
                REPO,
                NewIssue {
                    title: "A pull request",
                    pull_request: true,
                    ..NewIssue::default()
                },
            );
        }
    }
    provider(t, Some(TOKEN))
        .update_issue(
            REPO,
            2,
            &IssueChanges {
                state: Some(IssueState::Closed),
                state_reason: Some(Some("not_planned".into())),
                ..IssueChanges::default()
            },
            &Default::default(),
        )
        .await
        .unwrap();
}

async fn workspace(t: &FakeGitHub) -> (TempDir, Workspace) {
    mirror_with(t, TOKEN, REPO, RepoFilter::default()).await
}

async fn sync(ws: &Workspace) -> issuesync::workspace::SyncSummary {
    ws.sync(None, &SyncOptions::default(), &|_| {})
        .await
        .unwrap()
}

/// The mirror, without local ids and with the tracker's address replaced by `WEB`.
fn mirror(ws: &Workspace, web: &str) -> Vec<(Issue, Vec<Comment>)> {
    let strip = |url: Option<String>| url.map(|u| u.replace(web, "WEB"));
    let mut issues = ws
        .issues(&IssueQuery {
            limit: Some(10_000),
            ..IssueQuery::default()
        })
        .unwrap();
    issues.sort_by_key(|i| i.number);
    issues
        .into_iter()
        .map(|issue| {
            let detail = ws.issue(&issue.reference).unwrap();
            let comments = detail
                .comments
                .into_iter()
                .map(|c| Comment {
                    id: 0,
                    remote_url: strip(c.remote_url),
                    ..c
                })
                .collect();
            let issue = Issue {
                id: 0,
                remote_url: strip(detail.issue.remote_url),
                ..detail.issue
            };
            (issue, comments)
        })
        .collect()
}

fn graphql_queries(seen: &[SeenRequest]) -> usize {
    seen.iter()
        .filter(|r| r.method == "POST" && r.path == "/api/graphql")
        .count()
}

fn repo_comment_listings(seen: &[SeenRequest]) -> usize {
    seen.iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues/comments"))
        .count()
}

/// The conversion: GraphQL's answer makes exactly the mirror REST's makes, and an issue
/// with more comments than a page carries gets all of them.
#[tokio::test(flavor = "multi_thread")]
async fn a_graphql_import_mirrors_what_a_rest_import_does() {
    let by_graphql = FakeGitHub::start();
    let by_rest = FakeGitHub::start();
    by_rest.disable_graphql();
    for t in [&by_graphql, &by_rest] {
        seed(t, 120).await;
        t.clear_requests();
    }
    let (_d1, ws1) = workspace(&by_graphql).await;
    let (_d2, ws2) = workspace(&by_rest).await;
    for ws in [&ws1, &ws2] {
        let summary = sync(ws).await;
        assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
        assert_eq!(summary.repos[0].created, 120);
    }

    let graphql_seen = by_graphql.requests();
    assert_eq!(graphql_queries(&graphql_seen), 3, "120 issues, 49 a page");
    assert_eq!(
        repo_comment_listings(&graphql_seen),
        0,
        "comments came with the issues"
    );
    assert!(
        graphql_seen
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with("/issues/3/comments")),
        "the issue with {MANY} comments gets the rest by REST"
    );
    assert!(by_graphql.graphql_points() > 0);
    let label_listings = graphql_seen
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/labels"))
        .count();
    assert_eq!(
        label_listings, 1,
        "the labels listed for the import serve the refresh at its end"
    );
    let rest_seen = by_rest.requests();
    assert!(repo_comment_listings(&rest_seen) > 0, "the REST import");
    assert_eq!(by_rest.graphql_points(), 0);

    let via_graphql = mirror(&ws1, &by_graphql.web_url());
    let via_rest = mirror(&ws2, &by_rest.web_url());
    assert_eq!(via_graphql.len(), 120, "no pull request");
    let (third, comments) = &via_graphql[2];
    assert_eq!(comments.len(), MANY, "{third:?}");
    assert_eq!(third.labels, vec!["bug".to_string(), "ui".to_string()]);
    assert_eq!(third.milestone.as_deref(), Some("v1"));
    let (second, _) = &via_graphql[1];
    assert_eq!(second.state_reason.as_deref(), Some("not_planned"));
    for (g, r) in via_graphql.iter().zip(&via_rest) {
        assert_eq!(g, r, "issue #{:?}", g.0.number);
    }
    assert_eq!(via_graphql, via_rest);

    // Neither mirror sees anything changed in the next round: the conversions agree
    // with the REST listing field for field.
    by_graphql.advance_clock(60);
    let next = sync(&ws1).await;
    assert!(next.succeeded(), "{:?}", next.repos[0].error);
    assert_eq!(next.repos[0].updated, 0, "{:?}", next.repos[0]);
    assert_eq!(next.repos[0].comments, 0, "{:?}", next.repos[0]);
}

/// Incremental rounds after a GraphQL import go by REST, with `since`; an unchanged
/// repository then costs one request (a free 304) and no GraphQL point.
#[tokio::test(flavor = "multi_thread")]
async fn rounds_after_a_graphql_import_are_rest_and_an_unchanged_one_costs_one_request() {
    let t = FakeGitHub::start();
    seed(&t, 60).await;
    let (_dir, ws) = workspace(&t).await;
    assert!(sync(&ws).await.succeeded());
    let points = t.graphql_points();
    assert_eq!(points, 2, "two pages of 49, 1 point each");

    t.advance_clock(60);
    t.clear_requests();
    assert!(sync(&ws).await.succeeded());
    let first_round = t.requests();
    assert_eq!(graphql_queries(&first_round), 0);
    assert!(
        first_round
            .iter()
            .any(|r| r.path.ends_with("/issues") && r.param("since").is_some()),
        "{first_round:?}"
    );

    t.advance_clock(60);
    t.clear_requests();
    assert!(sync(&ws).await.succeeded());
    let unchanged = t.requests();
    assert_eq!(unchanged.len(), 1, "{unchanged:?}");
    assert_eq!(t.graphql_points(), points);
}

/// An import interrupted by a GraphQL error keeps its stored pages and resumes after
/// them; an issue edited and a comment added meanwhile, on a page already stored, arrive
/// with the next round.
#[tokio::test(flavor = "multi_thread")]
async fn changes_during_an_interrupted_import_arrive_with_the_next_round() {
    let t = FakeGitHub::start();
    seed(&t, 120).await;
    let (_dir, ws) = workspace(&t).await;
    t.graphql_error_after(
        1,
        "INTERNAL",
        "Something went wrong while executing your query.",
    );
    let failed = sync(&ws).await;
    let error = failed.repos[0].error.clone().expect("the import stops");
    assert!(
        error.message.contains("Something went wrong"),
        "GitHub's message is shown: {error:?}"
    );
    let stored = mirror(&ws, &t.web_url());
    assert_eq!(stored.len(), 49, "the first page stays stored");

    // Meanwhile, on the first page's issues.
    t.advance_clock(5);
    t.add_comment(REPO, 1, "alice", "written during the import");
    t.edit_issue(
        REPO,
        4,
        RemoteEdit {
            title: Some("Issue 4, renamed during the import".into()),
            ..RemoteEdit::default()
        },
    );
    // And later on a page not read yet: the import sees this newer comment, which
    // must not carry its cursors past the one above.
    t.advance_clock(3600);
    t.add_comment(REPO, 100, "alice", "written later during the import");
    t.clear_requests();
    let resumed = sync(&ws).await;
    assert!(resumed.succeeded(), "{:?}", resumed.repos[0].error);
    assert_eq!(
        resumed.repos[0].created, 71,
        "the rest, not the first page again"
    );
    assert_eq!(graphql_queries(&t.requests()), 2);

    t.advance_clock(60);
    let next = sync(&ws).await;
    assert!(next.succeeded(), "{:?}", next.repos[0].error);
    let first = ws.issue("t:team/app#1").unwrap();
    assert!(
        first
            .comments
            .iter()
            .any(|c| c.body == "written during the import"),
        "{:?}",
        first.comments
    );
    let fourth = ws.issue("t:team/app#4").unwrap();
    assert_eq!(fourth.issue.title, "Issue 4, renamed during the import");
    assert_eq!(mirror(&ws, &t.web_url()).len(), 120);
}

/// A comment added after the import arrives with the next round (the REST comment
/// listing goes on from where the import's cursor stopped).
#[tokio::test(flavor = "multi_thread")]
async fn a_comment_added_after_the_import_arrives_with_the_next_round() {
    let t = FakeGitHub::start();
    seed(&t, 10).await;
    let (_dir, ws) = workspace(&t).await;
    assert!(sync(&ws).await.succeeded());
    t.advance_clock(60);
    t.add_comment(REPO, 5, "alice", "a later word");
    let next = sync(&ws).await;
    assert!(next.succeeded(), "{:?}", next.repos[0].error);
    assert_eq!(next.repos[0].comments, 1);
    let fifth = ws.issue("t:team/app#5").unwrap();
    assert!(fifth.comments.iter().any(|c| c.body == "a later word"));
}

/// GraphQL's errors are typed: a bad token 401, a spent budget RATE_LIMITED (a 200 with
/// `errors`), an unknown repository NOT_FOUND; anonymous connections and instances
/// without the endpoint have no bulk import (the sync lists by REST).
#[tokio::test(flavor = "multi_thread")]
async fn graphql_errors_are_typed_and_without_graphql_the_import_is_rest() {
    let t = FakeGitHub::start();
    seed(&t, 3).await;
    let with_token = provider(&t, Some(TOKEN));
    let page = with_token.import_page(REPO, None).await.unwrap().unwrap();
    assert_eq!(page.issues.len(), 3);
    assert_eq!(page.cost, Some(1));
    assert!(page.next.is_none());

    let wrong = provider(&t, Some("not-a-token"));
    assert!(matches!(
        wrong.import_page(REPO, None).await,
        Err(ProviderError::Unauthorized)
    ));
    assert!(provider(&t, None)
        .import_page(REPO, None)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        with_token.import_page("team/missing", None).await,
        Err(ProviderError::NotFound { .. })
    ));
    t.graphql_error_after(
        0,
        "RATE_LIMITED",
        "API rate limit already exceeded for user ID 1.",
    );
    assert!(matches!(
        with_token.import_page(REPO, None).await,
        Err(ProviderError::RateLimited { .. })
    ));
    t.graphql_error_after(0, "INTERNAL", "Something went wrong.");
    match with_token.import_page(REPO, None).await {
        Err(e @ ProviderError::QueryFailed { .. }) => {
            assert!(e.to_string().contains("Something went wrong."), "{e}");
            assert!(!e.is_transient());
        }
        other => panic!("{other:?}"),
    }

    t.disable_graphql();
    assert!(with_token.import_page(REPO, None).await.unwrap().is_none());
    let (_dir, ws) = workspace(&t).await;
    let summary = sync(&ws).await;
    assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
    assert_eq!(summary.repos[0].created, 3);
}
