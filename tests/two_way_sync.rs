//! Two-way sync against the three fake trackers (Gitea, GitHub, GitLab), through the
//! core's public API: local edits, creates and comments pushed; edits made on the
//! tracker meanwhile merged, never overwritten and never dropped; conflicts kept for the
//! person; exactly-once creates and comments through dropped connections, 5xx and
//! timeouts; refusals kept and reported; remotely deleted issues as a visible state.

use std::time::Duration;

use issuesync::model::{ConflictPolicy, Field, FieldValue, IssueState, RemoteStatus, RepoFilter};
use issuesync::provider::RetryPolicy;
use issuesync::secrets::{MemoryStore, Secret};
use issuesync::store::issues::IssueQuery;
use issuesync::sync::SyncOptions;
use issuesync::workspace::{
    Discarded, IssueEdit, NewConnectionRequest, NewIssue, Resolution, SyncSummary,
};
use issuesync::Workspace;
use tempfile::TempDir;

use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, NewIssue as SeedIssue, RemoteEdit};

const TOKEN: &str = "two-way-token-alice-7";

pub(crate) fn retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        defer_base: Duration::ZERO,
        defer_max: Duration::ZERO,
    }
}

pub(crate) fn repo_path(t: &dyn FakeTracker) -> &'static str {
    match t.kind() {
        issuesync::model::ProviderKind::Gitlab => "team/backend/app",
        _ => "team/app",
    }
}

pub(crate) fn trackers() -> Vec<Box<dyn FakeTracker>> {
    vec![
        Box::new(FakeGitea::start()),
        Box::new(FakeGitHub::start()),
        Box::new(FakeGitLab::start()),
    ]
}

/// A tracker with alice (token) and bob, labels bug/ui/p1, milestone v1, and three
/// issues; a workspace that mirrors the repository. Returns the issue numbers.
pub(crate) struct Setup {
    pub _dir: TempDir,
    pub ws: Workspace,
    pub repo: &'static str,
    pub numbers: Vec<u64>,
}

impl Setup {
    pub fn reference(&self, i: usize) -> String {
        format!("t:{}#{}", self.repo, self.numbers[i])
    }

    pub async fn sync(&self) -> SyncSummary {
        let summary = self
            .ws
            .sync(None, &SyncOptions::default(), &|_| {})
            .await
            .expect("sync runs");
        assert!(
            summary.succeeded(),
            "sync failed: {:?}",
            summary.repos.iter().map(|r| &r.error).collect::<Vec<_>>()
        );
        summary
    }

    pub fn local(&self, i: usize) -> issuesync::model::IssueDetail {
        self.ws.issue(&self.reference(i)).unwrap()
    }
}

/// A workspace (in a temp dir) with connection `t` on the fake, mirroring its `team/app`
/// (GitLab: `team/backend/app`); nothing synced yet.
pub(crate) async fn workspace_on(t: &dyn FakeTracker, token: &str) -> (TempDir, Workspace) {
    mirror_with(t, token, repo_path(t), RepoFilter::default()).await
}

/// A workspace (in a temp dir) with connection `t` (token `token`) mirroring `repo` with
/// `filter`; nothing synced yet.
pub(crate) async fn mirror_with(
    t: &dyn FakeTracker,
    token: &str,
    repo: &str,
    filter: RepoFilter,
) -> (TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path(), Box::new(MemoryStore::default()))
        .unwrap()
        .with_retry_policy(retry());
    ws.add_connection(NewConnectionRequest {
        name: "t".into(),
        provider: t.kind(),
        web_url: t.web_url(),
        token: Some(Secret::new(token)),
        token_from_env: None,
        allow_insecure_http: None,
    })
    .await
    .unwrap_or_else(|e| panic!("{}: connection add: {e}", t.kind()));
    ws.add_repo(&format!("t:{repo}"), filter).await.unwrap();
    (dir, ws)
}

pub(crate) async fn setup(t: &dyn FakeTracker) -> Setup {
    let repo = repo_path(t);
    t.add_user("alice", Some(TOKEN));
    t.add_user("bob", None);
    t.add_repo(repo, false);
    for (name, color) in [("bug", "ee0701"), ("ui", "0052cc"), ("p1", "b60205")] {
        t.add_label(repo, name, color);
    }
    t.add_milestone(repo, "v1");
    let numbers = vec![
        t.create_issue(
            repo,
            SeedIssue {
                title: "Crash on start",
                body: "Steps:\n1. open\n2. click\n\nExpected: no crash\n",
                labels: vec!["bug"],
                milestone: Some("v1"),
                ..SeedIssue::default()
            },
        ),
        t.create_issue(
            repo,
            SeedIssue {
                title: "Dark mode",
                body: "Please.",
                labels: vec!["ui"],
                ..SeedIssue::default()
            },
        ),
        t.create_issue(
            repo,
            SeedIssue {
                title: "Typo in README",
                ..SeedIssue::default()
            },
        ),
    ];
    let (dir, ws) = workspace_on(t, TOKEN).await;
    let s = Setup {
        _dir: dir,
        ws,
        repo,
        numbers,
    };
    s.sync().await;
    t.advance_clock(60);
    s
}

pub(crate) fn remote_edit_title(title: &str) -> RemoteEdit {
    RemoteEdit {
        title: Some(title.into()),
        ..RemoteEdit::default()
    }
}

pub(crate) fn title_edit(title: &str) -> IssueEdit {
    IssueEdit {
        title: Some(title.into()),
        ..IssueEdit::default()
    }
}

fn count_titled(t: &dyn FakeTracker, repo: &str, title: &str) -> usize {
    (1..=60)
        .filter_map(|n| t.issue(repo, n))
        .filter(|i| i.title == title)
        .count()
}

async fn same_field_conflicts_until_resolved(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let n = s.numbers[0];
    s.ws.edit_issue(&s.reference(0), &title_edit("Crash on start (mine)"))
        .unwrap();
    t.edit_issue(s.repo, n, remote_edit_title("Crash at launch (theirs)"));

    let summary = s.sync().await;
    assert_eq!(
        summary.repos[0].push.conflicts, 1,
        "{kind}: the re-read finds it"
    );
    assert_eq!(
        t.issue(s.repo, n).unwrap().title,
        "Crash at launch (theirs)",
        "{kind}: the remote edit is untouched"
    );
    let detail = s.local(0);
    assert_eq!(
        detail.issue.title, "Crash on start (mine)",
        "{kind}: mine is kept"
    );
    assert_eq!(detail.issue.sync_status.as_str(), "conflict", "{kind}");
    let conflicts = s.ws.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{kind}");
    let c = &conflicts[0].conflict;
    assert_eq!(c.field, Field::Title);
    assert_eq!(c.base, FieldValue::Text("Crash on start".into()), "{kind}");
    assert_eq!(c.local, FieldValue::Text("Crash on start (mine)".into()));
    assert_eq!(
        c.remote,
        FieldValue::Text("Crash at launch (theirs)".into())
    );

    // Syncing again changes nothing while the person has not decided.
    s.sync().await;
    assert_eq!(
        t.issue(s.repo, n).unwrap().title,
        "Crash at launch (theirs)"
    );
    assert_eq!(s.ws.conflicts().unwrap().len(), 1, "{kind}");

    s.ws.resolve(&s.reference(0), Field::Title, &Resolution::Local)
        .unwrap();
    s.sync().await;
    assert_eq!(
        t.issue(s.repo, n).unwrap().title,
        "Crash on start (mine)",
        "{kind}: the resolved value is pushed"
    );
    assert!(s.ws.conflicts().unwrap().is_empty());
    assert_eq!(s.local(0).issue.sync_status.as_str(), "synced", "{kind}");
    let log = s.ws.sync_log(50, Some(&s.reference(0))).unwrap();
    assert!(
        log.iter().any(|r| r.operation == "conflict")
            && log.iter().any(|r| r.operation == "resolve")
            && log
                .iter()
                .any(|r| r.operation == "push" && r.result == "ok"),
        "{kind}: the issue's log tells the story: {log:#?}"
    );
}

async fn different_fields_both_land(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let n = s.numbers[1];
    s.ws.edit_issue(&s.reference(1), &title_edit("Dark mode, please"))
        .unwrap();
    assert_eq!(s.local(1).issue.sync_status.as_str(), "pending", "{kind}");
    t.edit_issue(
        s.repo,
        n,
        RemoteEdit {
            state: Some("closed".into()),
            ..RemoteEdit::default()
        },
    );
    s.sync().await;
    let remote = t.issue(s.repo, n).unwrap();
    assert_eq!(remote.title, "Dark mode, please", "{kind}: mine landed");
    assert_eq!(remote.state, "closed", "{kind}: theirs stayed");
    let local = s.local(1).issue;
    assert_eq!(local.title, "Dark mode, please");
    assert_eq!(
        local.state,
        IssueState::Closed,
        "{kind}: theirs reached the mirror"
    );
    assert_eq!(local.sync_status.as_str(), "synced", "{kind}");
}

async fn label_sets_merge(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let n = s.numbers[0]; // labelled bug
    s.ws.edit_issue(
        &s.reference(0),
        &IssueEdit {
            add_labels: vec!["ui".into()],
            ..IssueEdit::default()
        },
    )
    .unwrap();
    t.edit_issue(
        s.repo,
        n,
        RemoteEdit {
            labels: Some(vec!["p1".into()]),
            ..RemoteEdit::default()
        },
    );
    s.sync().await;
    let expected = vec!["p1".to_string(), "ui".to_string()];
    assert_eq!(
        t.issue(s.repo, n).unwrap().labels,
        expected,
        "{kind}: remote removed bug and added p1, local added ui: nothing lost"
    );
    assert_eq!(s.local(0).issue.labels, expected, "{kind}");
    assert!(
        s.ws.conflicts().unwrap().is_empty(),
        "{kind}: sets never conflict"
    );
}

async fn body_edits_on_different_lines_merge(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let n = s.numbers[0];
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
        RemoteEdit {
            body: Some("Steps:\n1. open\n2. click\n\nExpected: no crash, ever\n".into()),
            ..RemoteEdit::default()
        },
    );
    s.sync().await;
    // Exactly: a lost trailing newline is a change too.
    let merged = "Steps:\n1. open the app\n2. click\n\nExpected: no crash, ever\n";
    assert_eq!(
        t.issue(s.repo, n).unwrap().body,
        merged,
        "{kind}: both edits are on the tracker"
    );
    assert_eq!(s.local(0).issue.body, merged, "{kind}");
}

async fn local_creates_and_comments_land_exactly_once(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    let created =
        s.ws.create_issue(
            &format!("t:{}", s.repo),
            &NewIssue {
                title: "Written offline".into(),
                body: "Made on a train.".into(),
                labels: vec!["ui".into()],
                ..NewIssue::default()
            },
        )
        .unwrap();
    assert_eq!(created.number, None);
    assert!(
        created.reference.contains("#local-"),
        "{}",
        created.reference
    );
    s.ws.add_comment(&created.reference, "and a comment, also offline")
        .unwrap();
    s.ws.add_comment(&s.reference(2), "Fixed in my branch")
        .unwrap();

    // The create is carried out, then the connection dies before the answer.
    t.drop_connection_after_next_write();
    let summary = s.sync().await;
    assert_eq!(
        summary.repos[0].push.created, 1,
        "{kind}: {:?}",
        summary.repos[0].push
    );
    assert_eq!(
        count_titled(t, s.repo, "Written offline"),
        1,
        "{kind}: exactly one remote issue"
    );
    let mine = s.ws.issue(&created.id.to_string()).unwrap();
    let number = mine.issue.number.expect("the local issue got its number");
    assert!(
        mine.issue
            .remote_url
            .as_deref()
            .is_some_and(|u| u.starts_with(&t.web_url()) && u.ends_with(&number.to_string())),
        "{kind}: {:?}",
        mine.issue.remote_url
    );
    assert_eq!(
        t.issue(s.repo, number).unwrap().labels,
        vec!["ui".to_string()]
    );
    assert_eq!(
        t.comment_bodies(s.repo, number).len(),
        1,
        "{kind}: the comment followed its issue, once"
    );
    assert!(t.comment_bodies(s.repo, number)[0].starts_with("and a comment, also offline"));
    assert_eq!(t.comment_bodies(s.repo, s.numbers[2]).len(), 1, "{kind}");
    assert_eq!(mine.issue.sync_status.as_str(), "synced", "{kind}");

    // Another round changes nothing and mirrors nothing twice.
    s.sync().await;
    assert_eq!(count_titled(t, s.repo, "Written offline"), 1, "{kind}");
    let mirrored: Vec<_> =
        s.ws.issues(&IssueQuery {
            search: Some("offline".into()),
            ..IssueQuery::default()
        })
        .unwrap();
    assert_eq!(mirrored.len(), 1, "{kind}: one local issue for it");
    assert_eq!(
        s.local(2).comments.len(),
        1,
        "{kind}: the comment is not doubled"
    );
}

async fn a_dropped_comment_is_not_sent_twice(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    s.ws.add_comment(&s.reference(1), "sent once, whatever happens")
        .unwrap();
    t.drop_connection_after_next_write();
    s.sync().await;
    assert_eq!(
        t.comment_bodies(s.repo, s.numbers[1]).len(),
        1,
        "{kind}: exactly one comment"
    );
    let local = s.local(1);
    assert_eq!(local.comments.len(), 1, "{kind}");
    assert!(
        local.comments[0].remote_id.is_some(),
        "{kind}: linked to the remote one"
    );
    assert!(local.pending.is_empty(), "{kind}");
}

async fn server_errors_and_timeouts_mid_push_still_land_once(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    // Edits: two 503s, retried.
    s.ws.edit_issue(&s.reference(2), &title_edit("Typo in README fixed"))
        .unwrap();
    t.fail_next(2, 503);
    s.sync().await;
    assert_eq!(
        t.issue(s.repo, s.numbers[2]).unwrap().title,
        "Typo in README fixed"
    );

    // A create whose answer never comes in time (the tracker made it anyway).
    s.ws.create_issue(
        &format!("t:{}", s.repo),
        &NewIssue {
            title: "Slow create".into(),
            ..NewIssue::default()
        },
    )
    .unwrap();
    t.delay_next_write(Duration::from_secs(4));
    s.sync().await;
    assert_eq!(
        count_titled(t, s.repo, "Slow create"),
        1,
        "{kind}: timeout, once"
    );

    // A create answered 502 (not created): sent again, once.
    s.ws.create_issue(
        &format!("t:{}", s.repo),
        &NewIssue {
            title: "Bad gateway create".into(),
            ..NewIssue::default()
        },
    )
    .unwrap();
    t.fail_next(1, 502);
    s.sync().await;
    assert_eq!(
        count_titled(t, s.repo, "Bad gateway create"),
        1,
        "{kind}: 502, once"
    );
    let pending: u64 = s.ws.overview().unwrap().pending;
    assert_eq!(pending, 0, "{kind}: nothing left waiting");
}

async fn a_refused_edit_is_kept_and_reported(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    s.ws.edit_issue(
        &s.reference(1),
        &IssueEdit {
            add_assignees: vec!["nobody-such-user".into()],
            ..IssueEdit::default()
        },
    )
    .unwrap();
    let summary =
        s.ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    assert_eq!(
        summary.repos[0].push.failed, 1,
        "{kind}: {:?}",
        summary.repos[0].push
    );
    let detail = s.local(1);
    assert_eq!(detail.issue.sync_status.as_str(), "failed", "{kind}");
    assert_eq!(
        detail.issue.assignees,
        vec!["nobody-such-user".to_string()],
        "{kind}: the edit is kept"
    );
    let failure = &detail.pending[0];
    assert!(failure.failed, "{kind}");
    assert!(
        failure
            .error_message
            .as_deref()
            .is_some_and(|m| !m.is_empty()),
        "{kind}: the tracker's message is kept: {failure:?}"
    );
    assert!(t.issue(s.repo, s.numbers[1]).unwrap().assignees.is_empty());

    // Not retried by itself: the next sync sends nothing for it.
    t.clear_requests();
    s.sync().await;
    assert!(
        t.requests().iter().all(|r| r.method == "GET"),
        "{kind}: a refused change is not pushed again until the person acts"
    );
    // Discarding goes back to the tracker's version.
    let discarded = s.ws.discard(&s.reference(1)).unwrap();
    let Discarded::Reverted { issue } = discarded else {
        panic!("{kind}: a mirrored issue is reverted, not deleted");
    };
    assert!(issue.assignees.is_empty());
    assert_eq!(issue.sync_status.as_str(), "synced");
}

async fn a_deleted_issue_with_local_edits_becomes_visible_not_a_loop(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    s.ws.edit_issue(&s.reference(2), &title_edit("Edited here"))
        .unwrap();
    t.delete_issue(s.repo, s.numbers[2]);
    let summary =
        s.ws.sync(None, &SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    assert_eq!(summary.repos[0].push.failed, 1, "{kind}");
    let detail = s.local(2);
    assert_eq!(detail.issue.remote_status, RemoteStatus::Deleted, "{kind}");
    assert_eq!(
        detail.issue.title, "Edited here",
        "{kind}: the local edit stays"
    );
    assert_eq!(detail.issue.sync_status.as_str(), "failed", "{kind}");
    t.clear_requests();
    s.ws.sync(None, &SyncOptions::default(), &|_| {})
        .await
        .unwrap();
    assert!(
        t.requests()
            .iter()
            .all(|r| !r.path.ends_with(&format!("/{}", s.numbers[2])) || r.method == "GET"),
        "{kind}: no write is tried again"
    );
    let err =
        s.ws.edit_issue(&s.reference(2), &title_edit("again"))
            .unwrap_err();
    assert_eq!(err.code(), "remote_gone", "{kind}");
}

async fn policies_decide_without_asking_and_log_it(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    s.ws.set_conflict_policy("t", ConflictPolicy::RemoteWins)
        .unwrap();
    s.ws.edit_issue(&s.reference(0), &title_edit("local title"))
        .unwrap();
    t.edit_issue(s.repo, s.numbers[0], remote_edit_title("remote title"));
    s.sync().await;
    assert!(s.ws.conflicts().unwrap().is_empty(), "{kind}");
    assert_eq!(
        s.local(0).issue.title,
        "remote title",
        "{kind}: remote-wins"
    );
    assert_eq!(t.issue(s.repo, s.numbers[0]).unwrap().title, "remote title");

    s.ws.set_conflict_policy("t", ConflictPolicy::LocalWins)
        .unwrap();
    s.ws.edit_issue(&s.reference(1), &title_edit("local wins"))
        .unwrap();
    t.edit_issue(s.repo, s.numbers[1], remote_edit_title("remote loses"));
    s.sync().await;
    assert_eq!(
        t.issue(s.repo, s.numbers[1]).unwrap().title,
        "local wins",
        "{kind}"
    );
    let log = s.ws.sync_log(100, None).unwrap();
    let decisions: Vec<_> = log
        .iter()
        .filter(|r| r.operation == "merge" && r.detail.contains("both sides changed it"))
        .collect();
    assert_eq!(
        decisions.len(),
        2,
        "{kind}: each automatic decision is logged: {log:#?}"
    );
}

async fn pulls_merge_remote_changes_into_pending_edits(t: &dyn FakeTracker) {
    let kind = t.kind();
    let s = setup(t).await;
    s.ws.edit_issue(
        &s.reference(0),
        &IssueEdit {
            milestone: Some(None),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    t.edit_issue(s.repo, s.numbers[0], remote_edit_title("Renamed remotely"));
    // The push's re-read fails (its first try and the client's three retries), so the
    // push waits and the pull is what meets the remote rename while the edit waits.
    t.fail_next(1 + retry().max_retries as usize, 503);
    let summary = s.sync().await;
    let report = &summary.repos[0];
    assert_eq!(report.push.deferred, 1, "{kind}: {:?}", report.push);
    assert_eq!(report.push.updated, 0, "{kind}");
    assert_eq!(report.merged, 1, "{kind}: the pull merged it: {report:?}");
    let local = s.local(0).issue;
    assert_eq!(
        local.title, "Renamed remotely",
        "{kind}: the remote rename arrived"
    );
    assert_eq!(local.milestone, None, "{kind}: and the local change stayed");
    assert_eq!(local.sync_status.as_str(), "pending", "{kind}");
    assert_eq!(
        t.issue(s.repo, s.numbers[0]).unwrap().milestone.as_deref(),
        Some("v1"),
        "{kind}: not pushed yet"
    );
    s.sync().await;
    let remote = t.issue(s.repo, s.numbers[0]).unwrap();
    assert_eq!(remote.milestone, None, "{kind}: pushed by the next round");
    assert_eq!(remote.title, "Renamed remotely", "{kind}");
}

macro_rules! on_every_tracker {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                for t in trackers() {
                    super::$name(t.as_ref()).await;
                }
            }
        )*
    };
}

mod every_tracker {
    use super::trackers;

    on_every_tracker!(
        same_field_conflicts_until_resolved,
        different_fields_both_land,
        label_sets_merge,
        body_edits_on_different_lines_merge,
        local_creates_and_comments_land_exactly_once,
        a_dropped_comment_is_not_sent_twice,
        server_errors_and_timeouts_mid_push_still_land_once,
        a_refused_edit_is_kept_and_reported,
        a_deleted_issue_with_local_edits_becomes_visible_not_a_loop,
        policies_decide_without_asking_and_log_it,
        pulls_merge_remote_changes_into_pending_edits,
    );
}

/// Gitea's compare-and-swap: someone edits the body between our re-read and our write;
/// the stale `content_version` is refused (409), the push re-reads, merges and tries
/// again, and both edits land.
#[tokio::test(flavor = "multi_thread")]
async fn gitea_content_version_turns_a_race_into_a_merge() {
    let fake = FakeGitea::start();
    let s = setup(&fake).await;
    let n = s.numbers[0];
    s.ws.edit_issue(
        &s.reference(0),
        &IssueEdit {
            body: Some("Steps:\n1. open the app\n2. click\n\nExpected: no crash\n".into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    fake.edit_after_next_read(s.repo, n, |i| {
        i.body = "Steps:\n1. open\n2. click\n\nExpected: no crash, ever\n".into();
    });
    fake.clear_requests();
    s.sync().await;
    let patches: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(
        patches.len(),
        2,
        "the stale write was refused once: {patches:#?}"
    );
    assert!(
        patches.iter().all(|p| p
            .body
            .as_ref()
            .is_some_and(|b| b.get("content_version").is_some())),
        "every PATCH carries the version it was based on"
    );
    let remote = FakeTracker::issue(&fake, s.repo, n).unwrap();
    assert_eq!(
        remote.body, "Steps:\n1. open the app\n2. click\n\nExpected: no crash, ever\n",
        "the racing edit and ours are both on the tracker"
    );
    assert_eq!(s.local(0).issue.sync_status.as_str(), "synced");
}
