//! Sync through errors, against the fakes: a rejected token is an authentication
//! problem that names the connection (never "rate limited") and keeps pending work;
//! GitHub's secondary rate limit without `Retry-After` is a back-off, never a refusal; a
//! moved issue stays "moved" when a push meets it; a local draft discarded while its
//! create is in flight does not abort the round.

use std::time::Duration;

use issuesync::model::RemoteStatus;
use issuesync::sync::SyncOptions;
use issuesync::workspace::NewIssue;

use crate::common::cli::Cli;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::FakeTracker;
use crate::two_way_sync::{repo_path, setup, title_edit, trackers};

const TOKEN: &str = "errors-token-alice-5";

/// A tracker with one issue mirrored by the CLI (token from the environment).
fn mirrored_by_cli(t: &dyn FakeTracker) -> (Cli, u64) {
    let repo = repo_path(t);
    t.add_user("alice", Some(TOKEN));
    t.add_repo(repo, false);
    let n = t.create_issue(
        repo,
        crate::common::tracker::NewIssue {
            title: "First",
            ..Default::default()
        },
    );
    let cli = Cli::mirroring(t, repo, TOKEN);
    (cli, n)
}

fn a_rejected_token_is_an_authentication_problem(t: &dyn FakeTracker) {
    let kind = t.kind();
    let repo = repo_path(t);
    let (mut cli, n) = mirrored_by_cli(t);
    let reference = format!("t:{repo}#{n}");
    let edited = cli.run(&["edit", &reference, "--title", "Edited offline"]);
    assert_eq!(edited.code, 0, "{}", edited.stderr);

    // The token was revoked on the tracker: every request answers 401.
    cli.env("ISSUESYNC_TOKEN_T", "revoked-token");
    let run = cli.run(&["sync"]);
    assert_ne!(run.code, 0, "{kind}: a failed sync exits non-zero");
    assert!(
        run.stderr.contains("connection t")
            && run
                .stderr
                .contains("issuesync connection edit t --token-stdin"),
        "{kind}: names the connection and the fix: {}",
        run.stderr
    );
    assert!(
        !run.stderr.to_lowercase().contains("rate limit"),
        "{kind}: not a rate limit: {}",
        run.stderr
    );
    let json = cli.run(&["sync", "--json"]);
    assert!(
        json.stdout.contains("\"unauthorized\""),
        "{kind}: the stable code: {}",
        json.stdout
    );
    let shown = cli.run(&["show", &reference, "--json"]).json();
    assert_eq!(shown["sync_status"], "pending", "{kind}: the edit waits");
    assert_eq!(shown["pending"][0]["failed"], false, "{kind}: not refused");

    // A good token again: the edit lands at once (no back-off to wait out).
    cli.env("ISSUESYNC_TOKEN_T", TOKEN);
    let run = cli.run(&["sync"]);
    assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
    assert_eq!(t.issue(repo, n).unwrap().title, "Edited offline", "{kind}");
}

#[test]
fn a_rejected_token_names_the_connection_and_keeps_pending_work() {
    for t in trackers() {
        a_rejected_token_is_an_authentication_problem(t.as_ref());
    }
}

/// GitHub's secondary rate limit may come as a 403 without `Retry-After` ("wait at
/// least one minute", GitHub's rate-limit docs): the change waits, it is not refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_secondary_rate_limit_is_a_back_off_not_a_refusal() {
    let t = FakeGitHub::start();
    let s = setup(&t).await;
    s.ws.edit_issue(&s.reference(0), &title_edit("After the limit"))
        .unwrap();
    t.secondary_rate_limit_next_without_retry_after(1);
    let before = issuesync::model::Timestamp::now();
    let summary =
        s.ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    let report = &summary.repos[0];
    assert_eq!(report.push.failed, 0, "{:?}", report.push);
    assert_eq!(report.push.deferred, 1, "{:?}", report.push);
    let error = report.error.as_ref().expect("the round stopped");
    assert_eq!(error.code, "rate_limited", "{error:?}");
    let retry_at = report.push.retry_at.expect("when it lifts");
    assert!(
        retry_at >= before.plus_seconds(59),
        "at least a minute: {retry_at} vs {before}"
    );
    let detail = s.local(0);
    assert_eq!(detail.issue.sync_status.as_str(), "pending");
    assert!(!detail.pending[0].failed, "{:?}", detail.pending);
    assert!(detail.pending[0]
        .next_attempt_at
        .is_some_and(|at| at >= before.plus_seconds(59)));
}

/// GitLab keeps a moved issue and says where it went (`moved_to_id`); a push that meets
/// it marks it moved, not deleted.
#[tokio::test(flavor = "multi_thread")]
async fn a_push_that_meets_a_moved_issue_marks_it_moved() {
    let t = FakeGitLab::start();
    let s = setup(&t).await;
    t.add_repo("team/elsewhere", false);
    s.ws.edit_issue(&s.reference(1), &title_edit("Edited before the move"))
        .unwrap();
    t.move_issue(s.repo, s.numbers[1], "team/elsewhere");
    let summary =
        s.ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    assert_eq!(summary.repos[0].push.failed, 1, "{:?}", summary.repos[0]);
    let detail = s.local(1);
    assert_eq!(detail.issue.remote_status, RemoteStatus::Moved);
    assert_eq!(detail.issue.title, "Edited before the move", "kept");
    assert_eq!(
        detail.pending[0].error_code.as_deref(),
        Some("remote_gone"),
        "{:?}",
        detail.pending
    );
    assert!(
        detail.pending[0]
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains("moved")),
        "{:?}",
        detail.pending
    );
}

/// The person discards a draft while its create waits for the tracker's answer: the
/// round finishes (no foreign-key failure), and the issue the tracker made is mirrored
/// once, as any other issue.
async fn a_draft_discarded_mid_create(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let draft =
        s.ws.create_issue(
            &format!("t:{}", s.repo),
            &NewIssue {
                title: "Discarded mid-flight".into(),
                ..NewIssue::default()
            },
        )
        .unwrap();
    t.clear_requests();
    t.delay_next_write(Duration::from_millis(800));
    let discard = async {
        while !t.requests().iter().any(|r| r.method == "POST") {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        s.ws.discard(&draft.reference).unwrap()
    };
    let options = SyncOptions::default();
    let (summary, _) = tokio::join!(s.ws.sync(None, &options, &|_| {}), discard);
    let summary = summary.unwrap();
    assert!(
        summary.succeeded(),
        "{kind}: the round went on: {:?}",
        summary.repos[0].error
    );
    let mirrored =
        s.ws.issues(&issuesync::store::issues::IssueQuery {
            search: Some("mid-flight".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(mirrored.len(), 1, "{kind}: mirrored once: {mirrored:#?}");
    assert!(mirrored[0].number.is_some(), "{kind}");
    assert_eq!(mirrored[0].sync_status.as_str(), "synced", "{kind}");
    s.sync().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draft_discarded_while_its_create_is_in_flight_does_not_abort_the_round() {
    for t in trackers() {
        a_draft_discarded_mid_create(t.as_ref()).await;
    }
}
