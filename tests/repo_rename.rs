//! A repository renamed or transferred on the tracker, and removing a repository with
//! local changes waiting.
//!
//! GitHub answers every URL under a renamed repository's old path with a redirect to
//! `/repositories/{id}/…` (the fake reproduces it, see `FakeGitHub::rename_repo`). A sync
//! follows it: the mirrored repository takes the new owner/name, keeps its issues, local
//! edits, creates and comments, pushes them to the new path, and says so in the sync log.
//! An issue transferred to another repository also redirects, and is not a rename.
//!
//! `repo remove` refuses while local changes wait to be pushed, saying how many, unless
//! `--discard-pending` is given.

use issuesync::model::{RemoteStatus, SyncStatus};
use issuesync::store::issues::IssueQuery;
use issuesync::store::sync_log::LogRecord;
use issuesync::workspace::NewIssue;

use crate::common::cli::Cli;
use crate::common::fake_github::FakeGitHub;
use crate::common::tracker::{FakeTracker, NewIssue as SeedIssue, RemoteEdit};
use crate::two_way_sync::{setup, title_edit, Setup};

fn rename_rows(s: &Setup) -> Vec<LogRecord> {
    s.ws.sync_log(200, None)
        .unwrap()
        .into_iter()
        .filter(|r| r.operation == "rename")
        .collect()
}

fn all_issues(s: &Setup) -> Vec<issuesync::model::Issue> {
    s.ws.issues(&IssueQuery::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_repository_is_followed_and_its_pending_changes_pushed_there() {
    let fake = FakeGitHub::start();
    let s = setup(&fake).await;
    let n = s.numbers[0];
    s.ws.edit_issue(&s.reference(0), &title_edit("Crash on start (edited here)"))
        .unwrap();
    s.ws.add_comment(&s.reference(1), "a comment written offline")
        .unwrap();
    let created =
        s.ws.create_issue(
            "t:team/app",
            &NewIssue {
                title: "Filed offline".into(),
                body: "while the repository moved".into(),
                ..NewIssue::default()
            },
        )
        .unwrap();
    fake.rename_repo("team/app", "team/app2");

    let summary = s.sync().await;
    let report = &summary.repos[0];
    assert_eq!(report.repo, "t:team/app2", "reported under the new name");
    assert_eq!(
        (
            report.push.updated,
            report.push.comments,
            report.push.created
        ),
        (1, 1, 1),
        "everything pending reached the renamed repository: {report:?}"
    );
    assert_eq!(report.push.failed, 0);
    assert_eq!(
        fake.issue("team/app2", n).unwrap().title,
        "Crash on start (edited here)"
    );
    assert_eq!(
        fake.comment_bodies("team/app2", s.numbers[1]).len(),
        1,
        "the comment landed once"
    );
    let filed: Vec<u64> = (1..=10)
        .filter(|&k| {
            fake.issue("team/app2", k)
                .is_some_and(|i| i.title == "Filed offline")
        })
        .collect();
    assert_eq!(filed.len(), 1, "the create landed once");

    let repos = s.ws.repos(Some("t")).unwrap();
    assert_eq!(
        repos.len(),
        1,
        "the same mirrored repository, not a second one"
    );
    assert_eq!(repos[0].full_path, "team/app2");
    let moved = s.ws.issue(&format!("t:team/app2#{n}")).unwrap().issue;
    assert_eq!(moved.title, "Crash on start (edited here)");
    assert_eq!(moved.sync_status, SyncStatus::Synced);
    assert_eq!(moved.remote_status, RemoteStatus::Present);
    assert!(
        moved
            .remote_url
            .as_deref()
            .is_some_and(|u| u.ends_with(&format!("/team/app2/issues/{n}"))),
        "{:?}",
        moved.remote_url
    );
    let untouched =
        s.ws.issue(&format!("t:team/app2#{}", s.numbers[2]))
            .unwrap();
    assert!(
        untouched
            .issue
            .remote_url
            .as_deref()
            .is_some_and(|u| u.contains("/team/app2/issues/")),
        "links of issues nobody touched follow too: {:?}",
        untouched.issue.remote_url
    );
    assert!(s.ws.issue(&format!("t:team/app#{n}")).is_err());
    let local = s.ws.issue(&created.id.to_string()).unwrap().issue;
    assert!(
        local.reference.starts_with("t:team/app2#"),
        "{}",
        local.reference
    );
    assert!(local.number.is_some());
    assert_eq!(all_issues(&s).len(), 4, "nothing lost, nothing doubled");

    let rows = rename_rows(&s);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].result, "ok");
    assert_eq!(rows[0].repo.as_deref(), Some("team/app2"));
    assert!(
        rows[0].detail.contains("from team/app to team/app2")
            && rows[0].detail.contains("3 pending local changes kept"),
        "{}",
        rows[0].detail
    );

    let again = s.sync().await;
    assert_eq!(again.repos[0].repo, "t:team/app2");
    assert_eq!(
        again.repos[0].push,
        Default::default(),
        "nothing left to push"
    );
    assert_eq!(rename_rows(&s).len(), 1, "followed once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transfer_to_another_owner_is_followed_by_a_pull_in_the_same_round() {
    let fake = FakeGitHub::start();
    let s = setup(&fake).await;
    let n = s.numbers[1];
    fake.rename_repo("team/app", "other/app");
    fake.edit_issue(
        "other/app",
        n,
        RemoteEdit {
            title: Some("Dark mode, after the move".into()),
            ..RemoteEdit::default()
        },
    );
    fake.create_issue(
        "other/app",
        SeedIssue {
            title: "Filed after the move",
            ..SeedIssue::default()
        },
    );

    // Nothing is pending: the issue listing is what meets the redirect.
    let summary = s.sync().await;
    let report = &summary.repos[0];
    assert_eq!(report.repo, "t:other/app");
    assert_eq!(report.created, 1, "{report:?}");
    assert!(report.updated >= 1, "{report:?}");
    let issue = s.ws.issue(&format!("t:other/app#{n}")).unwrap().issue;
    assert_eq!(issue.title, "Dark mode, after the move");
    assert_eq!(all_issues(&s).len(), 4);
    let rows = rename_rows(&s);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].detail.contains("from team/app to other/app"));
    let pulls: Vec<LogRecord> =
        s.ws.sync_log(200, None)
            .unwrap()
            .into_iter()
            .filter(|r| r.operation == "pull")
            .collect();
    assert_eq!(pulls[0].result, "ok", "the round did not fail: {pulls:?}");

    // A local edit under the new name goes to the new path; a second round is quiet.
    s.ws.edit_issue(&format!("t:other/app#{n}"), &title_edit("Dark mode!"))
        .unwrap();
    let again = s.sync().await;
    assert_eq!(again.repos[0].push.updated, 1);
    assert_eq!(fake.issue("other/app", n).unwrap().title, "Dark mode!");
    assert_eq!(rename_rows(&s).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issue_transferred_elsewhere_is_not_a_rename_of_its_repository() {
    let fake = FakeGitHub::start();
    let s = setup(&fake).await;
    fake.add_repo("team/elsewhere", false);
    let n = s.numbers[0];
    s.ws.edit_issue(&s.reference(0), &title_edit("Edited before the transfer"))
        .unwrap();
    fake.transfer_issue("team/app", n, "team/elsewhere");

    let summary = s.sync().await;
    assert_eq!(summary.repos[0].repo, "t:team/app");
    assert_eq!(summary.repos[0].push.failed, 1, "the issue moved away");
    assert_eq!(s.ws.repos(Some("t")).unwrap()[0].full_path, "team/app");
    assert_eq!(s.local(0).issue.remote_status, RemoteStatus::Moved);
    assert!(rename_rows(&s).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_repository_refuses_while_local_changes_wait() {
    let fake = FakeGitHub::start();
    let s = setup(&fake).await;
    s.ws.edit_issue(&s.reference(0), &title_edit("Not pushed yet"))
        .unwrap();

    let refused = s.ws.remove_repo("t:team/app", false).unwrap_err();
    assert_eq!(refused.code(), "pending_changes");
    let message = refused.to_string();
    assert!(
        message.contains("1 local change ") && message.contains("--discard-pending"),
        "{message}"
    );
    assert!(!message.contains('\n'));
    assert_eq!(s.ws.repos(Some("t")).unwrap().len(), 1, "still mirrored");
    assert_eq!(s.local(0).issue.title, "Not pushed yet", "the edit is kept");

    // Creates, comments and refused changes count too.
    s.ws.add_comment(&s.reference(1), "offline").unwrap();
    s.ws.create_issue(
        "t:team/app",
        &NewIssue {
            title: "Offline".into(),
            ..NewIssue::default()
        },
    )
    .unwrap();
    s.ws.edit_issue(&s.reference(2), &title_edit("Gone soon"))
        .unwrap();
    fake.delete_issue("team/app", s.numbers[2]);
    let summary = s.sync().await;
    assert_eq!(
        summary.repos[0].push.failed, 1,
        "the deleted issue's change"
    );
    s.ws.edit_issue(&s.reference(0), &title_edit("Edited again"))
        .unwrap();
    s.ws.add_comment(&s.reference(1), "offline again").unwrap();
    let refused = s.ws.remove_repo("t:team/app", false).unwrap_err();
    assert!(
        refused.to_string().contains("3 local changes "),
        "an update, a comment and a failed update: {refused}"
    );

    let discarded = s.ws.remove_repo("t:team/app", true).unwrap();
    assert_eq!(discarded, 3);
    assert!(s.ws.repos(Some("t")).unwrap().is_empty());
    assert!(all_issues(&s).is_empty());
    let log = s.ws.sync_log(10, None).unwrap();
    assert_eq!(log[0].operation, "repo_remove");
    assert!(
        log[0].detail.contains("3 local changes discarded"),
        "{}",
        log[0].detail
    );

    // Nothing pending: no flag needed.
    s.ws.add_repo("t:team/app", Default::default())
        .await
        .unwrap();
    s.sync().await;
    assert_eq!(s.ws.remove_repo("t:team/app", false).unwrap(), 0);
}

#[test]
fn repo_remove_on_the_command_line_says_how_many_changes_wait() {
    let fake = FakeGitHub::start();
    fake.add_user("alice", Some("cli-rename-token"));
    fake.add_repo("team/app", false);
    let n = fake.create_issue(
        "team/app",
        SeedIssue {
            title: "First",
            ..SeedIssue::default()
        },
    );
    let mut cli = Cli::new();
    cli.env("ISSUESYNC_TOKEN_T", "cli-rename-token");
    let web = fake.web_url();
    let ok = |args: &[&str]| {
        let run = cli.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run
    };
    ok(&[
        "connection",
        "add",
        "--name",
        "t",
        "--provider",
        "github",
        "--url",
        &web,
        "--token-env",
    ]);
    ok(&["repo", "add", "t:team/app"]);
    ok(&["sync"]);
    let reference = format!("t:team/app#{n}");
    ok(&["edit", &reference, "--title", "Changed here"]);
    ok(&["comment", &reference, "--body", "and said so"]);

    let refused = cli.run(&["repo", "remove", "t:team/app"]);
    let line = refused.failure_line();
    assert!(
        line.contains("2 local changes") && line.contains("--discard-pending"),
        "{line}"
    );
    assert_eq!(
        ok(&["show", &reference, "--json"]).json()["title"],
        "Changed here",
        "nothing was removed"
    );

    let removed = ok(&["repo", "remove", "t:team/app", "--discard-pending"]);
    assert!(
        removed.stdout.contains("2 local changes discarded"),
        "{}",
        removed.stdout
    );
    let list = ok(&["list", "--json"]).json();
    assert_eq!(list.as_array().map(Vec::len), Some(0));
}
