//! What a sync spends and what it may skip, against the fakes: a page validator (ETag) is
//! stored only with the page it validated, so a 304 never hides a change the mirror
//! never stored; a full listing of an unchanged GitHub repository costs its pages, not
//! one request per issue; a full last page that may have grown is not trusted; a Gitea
//! import pages at the server's own maximum.

use issuesync::store::issues::IssueQuery;
use issuesync::sync::SyncOptions;
use issuesync::workspace::NewIssue;
use issuesync::Workspace;
use tempfile::TempDir;

use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::tracker::{FakeTracker, NewIssue as SeedIssue, RemoteEdit};
use crate::two_way_sync::setup;

const TOKEN: &str = "budget-token-alice-9";

/// A fresh workspace with connection `t` (alice's token) mirroring `repo` with `filter`;
/// nothing synced yet.
async fn mirror(
    t: &dyn FakeTracker,
    repo: &str,
    filter: issuesync::model::RepoFilter,
) -> (TempDir, Workspace) {
    crate::two_way_sync::mirror_with(t, TOKEN, repo, filter).await
}

fn with_label(label: &str) -> issuesync::model::RepoFilter {
    issuesync::model::RepoFilter {
        labels: vec![label.into()],
        milestone: None,
    }
}

/// A GitHub repository `team/big` of `count` issues, mirrored by a fresh workspace.
async fn big_repo(t: &FakeGitHub, count: usize) -> (TempDir, Workspace) {
    t.add_user("alice", Some(TOKEN));
    t.add_repo("team/big", false);
    for i in 0..count {
        t.create_issue(
            "team/big",
            SeedIssue {
                title: &format!("Issue {i}"),
                ..SeedIssue::default()
            },
        );
    }
    let (dir, ws) = mirror(t, "team/big", Default::default()).await;
    let summary = ws
        .sync(None, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
    t.advance_clock(60);
    (dir, ws)
}

fn full() -> SyncOptions {
    SyncOptions {
        force_full: true,
        ..SyncOptions::default()
    }
}

fn mirrored(ws: &Workspace) -> usize {
    ws.issues(&IssueQuery {
        limit: Some(10_000),
        ..IssueQuery::default()
    })
    .unwrap()
    .len()
}

/// The marker lookup after an ambiguous create lists the same URL as the pull; it
/// stores nothing of that page, so the pull's request for it is not answered 304.
#[tokio::test(flavor = "multi_thread")]
async fn a_lookup_that_stores_nothing_leaves_the_etag_as_it_was() {
    let t = FakeGitHub::start();
    let s = setup(&t).await;
    t.edit_issue(
        s.repo,
        s.numbers[2],
        RemoteEdit {
            title: Some("Renamed on GitHub".into()),
            ..RemoteEdit::default()
        },
    );
    s.ws.create_issue(
        &format!("t:{}", s.repo),
        &NewIssue {
            title: "Answer lost".into(),
            ..NewIssue::default()
        },
    )
    .unwrap();
    t.drop_connection_after_next_write();
    let summary = s.sync().await;
    assert_eq!(summary.repos[0].push.created, 1, "{:?}", summary.repos[0]);
    assert_eq!(
        s.local(2).issue.title,
        "Renamed on GitHub",
        "the remote edit on the page the lookup read reached the mirror"
    );
}

/// A daily (or `--full`) listing of an unchanged repository: every page answers 304,
/// and a 304 page stands for the issues it held, so none is looked up one by one.
#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_full_listing_costs_its_pages_not_one_request_per_issue() {
    let t = FakeGitHub::start();
    let (_dir, ws) = big_repo(&t, 250).await;
    t.clear_requests();
    let summary = ws.sync(None, &full(), &|_| {}).await.unwrap();
    assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
    assert_eq!(summary.repos[0].gone, 0);
    let requests = t.requests();
    let single: Vec<_> = requests
        .iter()
        .filter(|r| r.path.contains("/issues/") && !r.path.ends_with("/comments"))
        .collect();
    assert!(
        single.is_empty(),
        "no issue looked up: {} of them",
        single.len()
    );
    // 3 listing pages (304), labels, milestones, the comment listing.
    assert!(
        requests.len() <= 8,
        "{} requests: {:#?}",
        requests.len(),
        requests
            .iter()
            .map(|r| (&r.method, &r.path))
            .collect::<Vec<_>>()
    );
    assert_eq!(mirrored(&ws), 250);

    // A real deletion is still found, with one lookup for it.
    t.delete_issue("team/big", 7);
    t.clear_requests();
    let summary = ws.sync(None, &full(), &|_| {}).await.unwrap();
    assert_eq!(summary.repos[0].gone, 1, "{:?}", summary.repos[0]);
}

/// A full last page without a next link may have grown a next page: its 304 proves
/// nothing about what follows, so it is fetched again and the new issue is found.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_last_page_is_not_trusted_to_be_the_last() {
    let t = FakeGitHub::start();
    let (_dir, ws) = big_repo(&t, 100).await;
    t.create_issue(
        "team/big",
        SeedIssue {
            title: "The hundred and first",
            ..SeedIssue::default()
        },
    );
    let summary = ws.sync(None, &full(), &|_| {}).await.unwrap();
    assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
    assert_eq!(mirrored(&ws), 101, "the issue on the new page");
}

/// A create whose answer was lost, in a label-filtered repository, retried only after
/// pulls moved the cursor far past it (the pulls never list it: it lacks the label). The
/// lookup walks back from the newest created issue without filters, so it finds the
/// create instead of sending it again.
async fn a_deferred_create_in_a_filtered_repo(t: &dyn FakeTracker) {
    let kind = t.kind();
    // The fake's clock starts at 2026-01-05T10:00:00Z; bring it to ours, as a real
    // tracker's is.
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z").unwrap();
    t.advance_clock((chrono::Utc::now() - start.with_timezone(&chrono::Utc)).num_seconds());
    let repo = crate::two_way_sync::repo_path(t);
    t.add_user("alice", Some(TOKEN));
    t.add_repo(repo, false);
    t.add_label(repo, "team", "00ff00");
    let labelled = t.create_issue(
        repo,
        SeedIssue {
            title: "Ours",
            labels: vec!["team"],
            ..SeedIssue::default()
        },
    );
    let (_dir, ws) = mirror(t, repo, with_label("team")).await;
    let options = SyncOptions::default();
    ws.sync(None, &options, &|_| {}).await.unwrap();
    ws.create_issue(
        &format!("t:{repo}"),
        &NewIssue {
            title: "Unlabelled draft".into(),
            ..NewIssue::default()
        },
    )
    .unwrap();

    // Round 1: the tracker makes it but answers too late; the lookup that follows fails.
    t.clear_requests();
    t.delay_next_write(std::time::Duration::from_millis(2500));
    let lookup_fails = async {
        while !t.requests().iter().any(|r| r.method == "POST") {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        t.fail_next(4, 503);
    };
    let (summary, _) = tokio::join!(ws.sync(None, &options, &|_| {}), lookup_fails);
    assert_eq!(summary.unwrap().repos[0].push.deferred, 1, "{kind}");
    let made = |t: &dyn FakeTracker| {
        (1..=10)
            .filter_map(|n| t.issue(repo, n))
            .filter(|i| i.title == "Unlabelled draft")
            .count()
    };
    assert_eq!(made(t), 1, "{kind}: the tracker made it");

    // An hour later someone edits a labelled issue; round 2's lookup fails again and its
    // pull moves the cursor an hour past the create.
    t.advance_clock(3600);
    t.edit_issue(
        repo,
        labelled,
        RemoteEdit {
            title: Some("Ours, an hour later".into()),
            ..RemoteEdit::default()
        },
    );
    t.fail_next(4, 503);
    ws.sync(None, &options, &|_| {}).await.unwrap();

    // Round 3: the lookup finds it.
    let summary = ws.sync(None, &options, &|_| {}).await.unwrap();
    assert!(summary.succeeded(), "{kind}: {:?}", summary.repos[0].error);
    assert_eq!(made(t), 1, "{kind}: created exactly once");
    let drafts = ws
        .issues(&IssueQuery {
            search: Some("Unlabelled".into()),
            ..IssueQuery::default()
        })
        .unwrap();
    assert_eq!(drafts.len(), 1, "{kind}");
    assert!(
        drafts[0].number.is_some(),
        "{kind}: linked to the tracker's issue"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deferred_create_in_a_filtered_repo_is_found_not_sent_twice() {
    for t in crate::two_way_sync::trackers() {
        a_deferred_create_in_a_filtered_repo(t.as_ref()).await;
    }
}

/// An issue outside a label filter, with comments, gets the label on the tracker: it
/// enters the mirror with the comments it already had (older than the comment cursor).
async fn an_issue_entering_late_brings_its_comments(t: &dyn FakeTracker) {
    let kind = t.kind();
    let repo = crate::two_way_sync::repo_path(t);
    t.add_user("alice", Some(TOKEN));
    t.add_repo(repo, false);
    t.add_label(repo, "team", "00ff00");
    let ours = t.create_issue(
        repo,
        SeedIssue {
            title: "Ours",
            labels: vec!["team"],
            ..SeedIssue::default()
        },
    );
    t.add_comment(repo, ours, "alice", "on ours");
    let outside = t.create_issue(
        repo,
        SeedIssue {
            title: "Not ours yet",
            ..SeedIssue::default()
        },
    );
    t.add_comment(repo, outside, "alice", "first words");
    t.add_comment(repo, outside, "alice", "second words");
    let (_dir, ws) = mirror(t, repo, with_label("team")).await;
    let options = SyncOptions::default();
    ws.sync(None, &options, &|_| {}).await.unwrap();
    t.advance_clock(60);
    t.add_comment(repo, ours, "alice", "moves the comment cursor");
    ws.sync(None, &options, &|_| {}).await.unwrap();

    t.advance_clock(60);
    t.edit_issue(
        repo,
        outside,
        RemoteEdit {
            labels: Some(vec!["team".into()]),
            ..RemoteEdit::default()
        },
    );
    let summary = ws.sync(None, &options, &|_| {}).await.unwrap();
    assert!(summary.succeeded(), "{kind}: {:?}", summary.repos[0].error);
    let entered = ws.issue(&format!("t:{repo}#{outside}")).unwrap();
    let bodies: Vec<&str> = entered.comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(bodies, vec!["first words", "second words"], "{kind}");
    // Once: the next round does not fetch or double them.
    ws.sync(None, &options, &|_| {}).await.unwrap();
    assert_eq!(
        ws.issue(&format!("t:{repo}#{outside}"))
            .unwrap()
            .comments
            .len(),
        2,
        "{kind}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issue_that_enters_the_mirror_late_gets_its_comments_once() {
    for t in crate::two_way_sync::trackers() {
        an_issue_entering_late_brings_its_comments(t.as_ref()).await;
    }
}

/// Offset paging in updated order skips an issue when another is updated mid-listing
/// (it jumps to the end, the rest shift back by one). The incremental listing goes on
/// from each page's newest time instead, so every change arrives.
#[tokio::test(flavor = "multi_thread")]
async fn an_issue_updated_mid_listing_does_not_make_another_skipped() {
    let t = FakeGitHub::start();
    let (_dir, ws) = big_repo(&t, 250).await;
    for n in 1..=250 {
        t.edit_issue(
            "team/big",
            n,
            RemoteEdit {
                title: Some(format!("Edited {n}")),
                ..RemoteEdit::default()
            },
        );
    }
    // Issue 1 is on the first page; it changes again right after that page is served.
    t.edit_after_next_listing("team/big", 1, "Edited twice");
    let summary = ws
        .sync(None, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
    let all = ws
        .issues(&IssueQuery {
            limit: Some(1000),
            ..IssueQuery::default()
        })
        .unwrap();
    let stale: Vec<_> = all
        .iter()
        .filter(|i| !i.title.starts_with("Edited"))
        .map(|i| &i.reference)
        .collect();
    assert!(stale.is_empty(), "changes never listed: {stale:?}");
    assert_eq!(
        ws.issue("t:team/big#1").unwrap().issue.title,
        "Edited twice",
        "and the issue that moved arrives with its newest title"
    );
}

/// Whether the repository moved is asked only after a redirect: a round that pushes a
/// change to a repository that did not move spends nothing on it.
#[tokio::test(flavor = "multi_thread")]
async fn a_push_to_a_repository_that_did_not_move_asks_nothing_about_it() {
    let t = FakeGitHub::start();
    let s = setup(&t).await;
    s.ws.edit_issue(&s.reference(0), &crate::two_way_sync::title_edit("Pushed"))
        .unwrap();
    t.clear_requests();
    s.sync().await;
    assert_eq!(t.issue(s.repo, s.numbers[0]).unwrap().title, "Pushed");
    let asked: Vec<_> = t
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/repositories/"))
        .map(|r| r.path)
        .collect();
    assert!(asked.is_empty(), "{asked:?}");
}

/// Gitea `team/big` with `issues` issues and `comments` comments spread over them, on a
/// server whose `MAX_RESPONSE_ITEMS` is `max`: the list requests of a first import, and
/// the requests of an unchanged round after it.
async fn gitea_import(max: usize, issues: usize, comments: usize) -> (usize, Vec<String>) {
    let t = FakeGitea::start().with_max_response_items(max);
    t.add_user("alice", Some(TOKEN));
    t.add_repo("team", "big", false);
    for i in 0..issues {
        t.create_issue(
            "team/big",
            SeedIssue {
                title: &format!("Issue {i}"),
                ..SeedIssue::default()
            },
        );
    }
    for c in 0..comments {
        t.add_comment(
            "team/big",
            (c % issues) as u64 + 1,
            "alice",
            &format!("c{c}"),
        );
    }
    let (_dir, ws) = mirror(&t, "team/big", Default::default()).await;
    t.clear_requests();
    let summary = ws
        .sync(None, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    assert!(summary.succeeded(), "{:?}", summary.repos[0].error);
    assert_eq!(mirrored(&ws), issues);
    let lists = t
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/issues") || r.path.ends_with("/issues/comments"))
        .count();
    // As the benchmark: one more round, then the unchanged one that is counted.
    for _ in 0..2 {
        t.advance_clock(60);
        t.clear_requests();
        ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    }
    let unchanged = t
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    (lists, unchanged)
}

/// A first import of N issues with C comments costs ceil(N/page) + ceil(C/page) list
/// requests on Gitea, page being the server's maximum (from `/settings/api`), also when
/// the last comment page is short; an unchanged round after it stays at two requests.
#[tokio::test(flavor = "multi_thread")]
async fn a_gitea_import_costs_its_pages_at_the_servers_page_size() {
    for (max, issues, comments) in [(100, 250, 130), (50, 120, 75)] {
        let (lists, unchanged) = gitea_import(max, issues, comments).await;
        assert_eq!(
            lists,
            issues.div_ceil(max) + comments.div_ceil(max),
            "max {max}, {issues} issues, {comments} comments"
        );
        assert!(unchanged.len() <= 2, "max {max}: {unchanged:#?}");
    }
}
