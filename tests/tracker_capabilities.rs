//! Sync against fakes that do to values what the real trackers do: GitHub fills in a
//! state reason and matches label names without regard to case, Gitea matches label
//! names without regard to case, GitLab Free keeps only the first assignee, a browser
//! saves bodies with CRLF, and some servers rewrite bodies. Whatever the tracker does to
//! a value, a sync never drops an edit, never shows a conflict that is not real, and
//! never pushes the same change every round. Also: an open conflict ends only by a
//! decision, whatever edits come in between.

use issuesync::model::{ConflictPolicy, Field, FieldValue, IssueState};
use issuesync::sync::SyncOptions;
use issuesync::workspace::{IssueEdit, Resolution};

use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, RemoteEdit, SeenRequest};
use crate::two_way_sync::{remote_edit_title, setup, title_edit, trackers, Setup};

/// The writes (anything but GET) the next sync sends.
async fn writes_of_next_sync(s: &Setup, t: &dyn FakeTracker) -> Vec<SeenRequest> {
    t.clear_requests();
    s.sync().await;
    t.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

fn state_edit(state: IssueState) -> IssueEdit {
    IssueEdit {
        state: Some(state),
        ..IssueEdit::default()
    }
}

/// GitHub closes with `state_reason: completed` and reopens with `reopened` when no
/// reason is sent (`tests/common/fake_github.rs`, from the API description). A reason
/// nobody chose is no change: no conflict, and no PATCH every round.
#[tokio::test(flavor = "multi_thread")]
async fn a_close_on_github_takes_the_trackers_reason_without_a_conflict() {
    for policy in [ConflictPolicy::Ask, ConflictPolicy::LocalWins] {
        let t = FakeGitHub::start();
        let s = setup(&t).await;
        s.ws.set_conflict_policy("t", policy).unwrap();
        s.ws.edit_issue(&s.reference(1), &state_edit(IssueState::Closed))
            .unwrap();
        // Someone else closes another issue that is closed here too.
        s.ws.edit_issue(&s.reference(2), &state_edit(IssueState::Closed))
            .unwrap();
        t.edit_issue(
            s.repo,
            s.numbers[2],
            RemoteEdit {
                state: Some("closed".into()),
                ..RemoteEdit::default()
            },
        );
        s.sync().await;
        assert!(s.ws.conflicts().unwrap().is_empty(), "{policy}");
        for i in [1, 2] {
            let local = s.local(i).issue;
            assert_eq!(local.state, IssueState::Closed, "{policy}");
            assert_eq!(
                local.state_reason.as_deref(),
                Some("completed"),
                "{policy}: the tracker's reason is adopted"
            );
            assert_eq!(local.sync_status.as_str(), "synced", "{policy}");
        }
        assert_eq!(t.issue(s.repo, s.numbers[1]).unwrap().state, "closed");
        let again = writes_of_next_sync(&s, &t).await;
        assert!(again.is_empty(), "{policy}: nothing to push: {again:#?}");

        s.ws.edit_issue(&s.reference(1), &state_edit(IssueState::Open))
            .unwrap();
        s.sync().await;
        let local = s.local(1).issue;
        assert_eq!(local.state, IssueState::Open);
        assert_eq!(local.state_reason.as_deref(), Some("reopened"));
        assert!(s.ws.conflicts().unwrap().is_empty(), "{policy}");
        let again = writes_of_next_sync(&s, &t).await;
        assert!(again.is_empty(), "{policy}: {again:#?}");
    }
}

/// GitHub and Gitea match label names without regard to case and keep their own
/// spelling: `BUG` where the repository has `bug` is `bug`, and `Bug` added to an issue
/// that has `bug` changes nothing.
async fn a_label_spelled_differently_is_the_trackers_label(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let add = |name: &str| IssueEdit {
        add_labels: vec![name.into()],
        ..IssueEdit::default()
    };
    s.ws.edit_issue(&s.reference(1), &add("BUG")).unwrap(); // has ui
    s.ws.edit_issue(&s.reference(0), &add("Bug")).unwrap(); // has bug
    t.clear_requests();
    let summary =
        s.ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    assert_eq!(
        summary.repos[0].push.failed,
        0,
        "{kind}: {:?}",
        s.local(1).pending
    );
    let expected = vec!["bug".to_string(), "ui".to_string()];
    assert_eq!(t.issue(s.repo, s.numbers[1]).unwrap().labels, expected);
    assert_eq!(s.local(1).issue.labels, expected, "{kind}: its spelling");
    assert_eq!(s.local(0).issue.labels, vec!["bug".to_string()], "{kind}");
    assert!(
        t.requests()
            .iter()
            .all(|r| r.method == "GET" || !r.path.contains(&format!("/{}", s.numbers[0]))),
        "{kind}: `Bug` on an issue labelled `bug` is nothing to send"
    );
    for i in 0..2 {
        assert_eq!(s.local(i).issue.sync_status.as_str(), "synced", "{kind}");
    }
    assert!(s.ws.conflicts().unwrap().is_empty(), "{kind}");
    let again = writes_of_next_sync(&s, t).await;
    assert!(again.is_empty(), "{kind}: pushed again: {again:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn label_names_compare_the_way_github_and_gitea_compare_them() {
    a_label_spelled_differently_is_the_trackers_label(&FakeGitHub::start()).await;
    a_label_spelled_differently_is_the_trackers_label(&FakeGitea::start()).await;
}

/// A server that rewrites CRLF to LF and trims trailing whitespace: the rewritten body
/// is what was sent, not a conflict and not a push every round.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_the_tracker_normalised_is_not_a_conflict_or_a_push_every_round() {
    let t = FakeGitea::start().with_body_normalisation(true);
    let s = setup(&t).await;
    s.ws.edit_issue(
        &s.reference(1),
        &IssueEdit {
            body: Some("Please,\r\nin every view.  \r\n\r\n".into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    s.sync().await;
    assert_eq!(
        t.issue(s.repo, s.numbers[1]).unwrap().body,
        "Please,\nin every view."
    );
    assert!(s.ws.conflicts().unwrap().is_empty());
    let local = s.local(1).issue;
    assert_eq!(local.body, "Please,\nin every view.", "the tracker's text");
    assert_eq!(local.sync_status.as_str(), "synced");
    let again = writes_of_next_sync(&s, &t).await;
    assert!(again.is_empty(), "{again:#?}");
}

/// A body last saved in a browser has CRLF line breaks (GitHub and Gitea web forms post
/// them; the API returns them as stored); the desktop app's text box gives LF. Edits to
/// different lines still merge by lines.
async fn a_body_saved_with_crlf_still_merges_by_lines(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let n = s.numbers[0];
    let body = |text: &str| RemoteEdit {
        body: Some(text.into()),
        ..RemoteEdit::default()
    };
    t.edit_issue(
        s.repo,
        n,
        body("Steps:\r\n1. open\r\n2. click\r\n\r\nExpected: no crash\r\n"),
    );
    s.sync().await;
    s.ws.edit_issue(
        &s.reference(0),
        &IssueEdit {
            body: Some("Steps:\n1. open the app\n2. click\n\nExpected: no crash\n".into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    t.edit_issue(
        s.repo,
        n,
        body("Steps:\r\n1. open\r\n2. click\r\n\r\nExpected: no crash, ever\r\n"),
    );
    s.sync().await;
    assert!(s.ws.conflicts().unwrap().is_empty(), "{kind}");
    assert_eq!(
        t.issue(s.repo, n).unwrap().body.replace("\r\n", "\n"),
        "Steps:\n1. open the app\n2. click\n\nExpected: no crash, ever\n",
        "{kind}: both edits are on the tracker"
    );
    assert_eq!(s.local(0).issue.sync_status.as_str(), "synced", "{kind}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_saved_in_a_browser_merge_by_lines_on_every_tracker() {
    for t in trackers() {
        a_body_saved_with_crlf_still_merges_by_lines(t.as_ref()).await;
    }
}

fn assignees(names: &[&str]) -> IssueEdit {
    IssueEdit {
        assignees: Some(names.iter().map(|s| s.to_string()).collect()),
        ..IssueEdit::default()
    }
}

fn remote_assignees(names: &[&str]) -> RemoteEdit {
    RemoteEdit {
        assignees: Some(names.iter().map(|s| s.to_string()).collect()),
        ..RemoteEdit::default()
    }
}

/// GitLab Free keeps only the first of `assignee_ids` (`tests/common/fake_gitlab.rs`,
/// `filter_assignees_using_checks`). Assignees there are one value: changed differently
/// on both sides is a conflict, never `{bob, carol}` sent and carol dropped. A second
/// assignee cannot be pushed: the answer teaches it, and the change is kept and reported.
#[tokio::test(flavor = "multi_thread")]
async fn gitlab_free_keeps_one_assignee_and_no_assignee_is_dropped() {
    let t = FakeGitLab::start().with_multiple_assignees(false);
    let s = setup(&t).await;
    t.add_user("carol", None);
    let n = s.numbers[1];
    t.edit_issue(s.repo, n, remote_assignees(&["alice"]));
    s.sync().await;

    s.ws.edit_issue(&s.reference(1), &assignees(&["bob"]))
        .unwrap();
    t.edit_issue(s.repo, n, remote_assignees(&["carol"]));
    s.sync().await;
    assert_eq!(
        t.issue(s.repo, n).unwrap().assignees,
        vec!["carol".to_string()],
        "carol, assigned on the tracker, stays"
    );
    let conflicts = s.ws.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
    let c = &conflicts[0].conflict;
    assert_eq!(c.field, Field::Assignees);
    assert_eq!(c.base, FieldValue::Set(vec!["alice".into()]));
    assert_eq!(c.local, FieldValue::Set(vec!["bob".into()]));
    assert_eq!(c.remote, FieldValue::Set(vec!["carol".into()]));

    // Two assignees sent, one kept: learned, kept here, reported, not sent again.
    s.ws.edit_issue(&s.reference(2), &assignees(&["alice", "bob"]))
        .unwrap();
    let summary =
        s.ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    assert_eq!(
        summary.repos[0].push.failed, 1,
        "{:?}",
        summary.repos[0].push
    );
    let detail = s.local(2);
    assert_eq!(detail.issue.assignees, vec!["alice", "bob"], "kept here");
    let message = detail.pending[0].error_message.clone().unwrap_or_default();
    assert!(message.contains("one assignee"), "{message}");
    assert_eq!(
        t.issue(s.repo, s.numbers[2]).unwrap().assignees,
        vec!["alice".to_string()]
    );
    let again = writes_of_next_sync(&s, &t).await;
    assert!(again.is_empty(), "{again:#?}");

    // Remembered for the connection: a second assignee elsewhere is not even sent.
    s.ws.edit_issue(&s.reference(0), &assignees(&["alice", "bob"]))
        .unwrap();
    t.clear_requests();
    let summary =
        s.ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    assert_eq!(summary.repos[0].push.failed, 1);
    assert!(
        t.requests().iter().all(|r| r.method == "GET"),
        "known to keep one: nothing sent"
    );
}

/// GitLab Premium holds many assignees; an issue listed with two proves it, and from
/// then on assignees merge as sets there.
#[tokio::test(flavor = "multi_thread")]
async fn gitlab_premium_is_learned_from_an_issue_with_two_assignees() {
    let t = FakeGitLab::start();
    let s = setup(&t).await;
    t.add_user("carol", None);
    let n = s.numbers[1];
    t.edit_issue(s.repo, n, remote_assignees(&["alice", "bob"]));
    s.sync().await;
    s.ws.edit_issue(
        &s.reference(1),
        &IssueEdit {
            add_assignees: vec!["carol".into()],
            ..IssueEdit::default()
        },
    )
    .unwrap();
    t.edit_issue(s.repo, n, remote_assignees(&["alice"]));
    s.sync().await;
    assert!(s.ws.conflicts().unwrap().is_empty());
    assert_eq!(
        t.issue(s.repo, n).unwrap().assignees,
        vec!["alice".to_string(), "carol".to_string()],
        "bob removed there, carol added here"
    );
}

/// A local edit of a field in conflict replaces the local side and keeps the conflict
/// open; nothing is pushed for the field until someone decides (seen on GitLab: base A,
/// tracker R, local L, then L2 → L2 was pushed and R was gone).
async fn a_later_local_edit_keeps_the_conflict_open(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let n = s.numbers[0];
    s.ws.edit_issue(&s.reference(0), &title_edit("Mine"))
        .unwrap();
    t.edit_issue(s.repo, n, remote_edit_title("Theirs"));
    s.sync().await;
    assert_eq!(s.ws.conflicts().unwrap().len(), 1, "{kind}");

    s.ws.edit_issue(&s.reference(0), &title_edit("Mine, again"))
        .unwrap();
    s.sync().await;
    assert_eq!(
        t.issue(s.repo, n).unwrap().title,
        "Theirs",
        "{kind}: the tracker's title was not overwritten"
    );
    let conflicts = s.ws.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{kind}: still open");
    let c = &conflicts[0].conflict;
    assert_eq!(c.base, FieldValue::Text("Crash on start".into()), "{kind}");
    assert_eq!(c.local, FieldValue::Text("Mine, again".into()), "{kind}");
    assert_eq!(c.remote, FieldValue::Text("Theirs".into()), "{kind}");
    assert_eq!(s.local(0).issue.sync_status.as_str(), "conflict", "{kind}");

    // Only a decision ends it.
    s.ws.resolve(&s.reference(0), Field::Title, &Resolution::Local)
        .unwrap();
    s.sync().await;
    assert_eq!(t.issue(s.repo, n).unwrap().title, "Mine, again", "{kind}");
    assert!(s.ws.conflicts().unwrap().is_empty(), "{kind}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_conflict_ends_only_by_a_decision_on_every_tracker() {
    for t in trackers() {
        a_later_local_edit_keeps_the_conflict_open(t.as_ref()).await;
    }
}
