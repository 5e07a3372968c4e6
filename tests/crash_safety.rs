//! The real `issuesync` process killed with SIGKILL in the middle of a sync — after the
//! tracker carried out a create but before the answer arrived — then started again:
//! nothing lost, nothing doubled. Runs against each fake tracker.
//!
//! Also the local-editing commands' contract: `edit`, `create`, `comment`,
//! `conflicts --json` rows `{ref, field, base, local, remote}`, `resolve`, `discard`,
//! `log REF`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::cli::Cli;
use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, NewIssue, RemoteEdit};

const TOKEN: &str = "crash-token-alice-3";

fn repo_path(t: &dyn FakeTracker) -> &'static str {
    match t.kind() {
        issuesync::model::ProviderKind::Gitlab => "team/backend/app",
        _ => "team/app",
    }
}

/// A tracker with two issues and a CLI (token from the environment) mirroring it.
fn synced(t: &dyn FakeTracker) -> (Cli, Vec<u64>) {
    let repo = repo_path(t);
    t.add_user("alice", Some(TOKEN));
    t.add_repo(repo, false);
    let numbers = vec![
        t.create_issue(
            repo,
            NewIssue {
                title: "First",
                body: "one\ntwo\nthree\n",
                ..NewIssue::default()
            },
        ),
        t.create_issue(
            repo,
            NewIssue {
                title: "Second",
                ..NewIssue::default()
            },
        ),
    ];
    let cli = Cli::mirroring(t, repo, TOKEN);
    (cli, numbers)
}

trait Succeeds {
    fn json_or_success(&self);
}

impl Succeeds for crate::common::cli::Run {
    fn json_or_success(&self) {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
    }
}

fn spawn_sync(cli: &Cli) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_issuesync"));
    cmd.arg("--data-dir")
        .arg(cli.dir.path())
        .arg("sync")
        .env("ISSUESYNC_TOKEN_T", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().expect("spawn issuesync sync")
}

fn count_titled(t: &dyn FakeTracker, repo: &str, title: &str) -> usize {
    (1..=50)
        .filter_map(|n| t.issue(repo, n))
        .filter(|i| i.title == title)
        .count()
}

fn killed_mid_create_then_restarted(t: &dyn FakeTracker) {
    let kind = t.kind();
    let repo = repo_path(t);
    let (cli, numbers) = synced(t);
    let created = cli
        .run(&[
            "create",
            &format!("t:{repo}"),
            "--title",
            "Survives a crash",
            "--json",
        ])
        .json();
    let local_id = created["id"].as_i64().unwrap().to_string();
    cli.run(&[
        "edit",
        &format!("t:{repo}#{}", numbers[0]),
        "--title",
        "First, edited",
    ])
    .json_or_success();
    cli.run(&[
        "comment",
        &format!("t:{repo}#{}", numbers[1]),
        "--body",
        "said once",
    ])
    .json_or_success();

    // The tracker carries out the create, then sits on the answer; the process is
    // killed while it waits.
    t.clear_requests();
    t.delay_next_write(Duration::from_secs(30));
    let mut child = spawn_sync(&cli);
    let started = Instant::now();
    while !t.requests().iter().any(|r| r.method == "POST") {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{kind}: the sync never sent the create"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().expect("SIGKILL the sync");
    child.wait().unwrap();
    assert_eq!(
        count_titled(t, repo, "Survives a crash"),
        1,
        "{kind}: it landed"
    );

    // The tracker moves on before the restart: two days later someone renames another
    // issue, so the restart's pull moves the cursor far past the create. The restart's
    // marker lookup fails, so its pull meets the create first.
    t.advance_clock(2 * 86_400);
    t.edit_issue(
        repo,
        numbers[1],
        RemoteEdit {
            title: Some("Second, renamed later".into()),
            ..RemoteEdit::default()
        },
    );
    t.fail_next(4, 503);
    cli.run(&["sync"]).json_or_success();
    // Restarts after the cursor moved: everything arrives, nothing twice.
    t.clear_requests();
    cli.run(&["sync"]).json_or_success();
    let listed_since: Vec<String> = t
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues"))
        .filter_map(|r| {
            r.param("since")
                .or(r.param("updated_after"))
                .map(str::to_string)
        })
        .collect();
    assert!(
        listed_since.iter().any(|s| s.starts_with("2026-01-07")),
        "{kind}: the cursor moved past the create: {listed_since:?}"
    );
    cli.run(&["sync"]).json_or_success();
    assert_eq!(
        t.issue(repo, numbers[1]).unwrap().title,
        "Second, renamed later",
        "{kind}: the later remote edit stands"
    );
    assert_eq!(
        count_titled(t, repo, "Survives a crash"),
        1,
        "{kind}: exactly one remote issue after the restart"
    );
    let shown = cli.run(&["show", &local_id, "--json"]).json();
    let number = shown["number"].as_u64().expect("the create got its number");
    assert_eq!(shown["sync_status"], "synced", "{kind}: {shown}");
    assert!(shown["remote_url"]
        .as_str()
        .is_some_and(|u| u.starts_with(&t.web_url())));
    assert_eq!(t.issue(repo, number).unwrap().title, "Survives a crash");
    assert_eq!(
        t.issue(repo, numbers[0]).unwrap().title,
        "First, edited",
        "{kind}: the edit queued behind the create landed"
    );
    assert_eq!(
        t.comment_bodies(repo, numbers[1]).len(),
        1,
        "{kind}: the comment exactly once"
    );
    let all = cli.run(&["list", "--state", "all", "--json"]).json();
    let titles: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["title"].as_str())
        .filter(|t| *t == "Survives a crash")
        .collect();
    assert_eq!(titles.len(), 1, "{kind}: mirrored once");
}

#[test]
fn a_sync_killed_mid_create_loses_nothing_and_doubles_nothing() {
    let trackers: Vec<Box<dyn FakeTracker>> = vec![
        Box::new(FakeGitea::start()),
        Box::new(FakeGitHub::start()),
        Box::new(FakeGitLab::start()),
    ];
    for t in trackers {
        killed_mid_create_then_restarted(t.as_ref());
    }
}

#[test]
fn local_editing_commands_keep_their_json_contract() {
    let t = FakeGitea::start();
    let (cli, numbers) = synced(&t);
    FakeTracker::add_label(&t, "team/app", "ui", "0052cc");
    let reference = format!("t:team/app#{}", numbers[0]);

    let edited = cli
        .run(&[
            "edit",
            &reference,
            "--title",
            "Mine",
            "--add-label",
            "ui",
            "--json",
        ])
        .json();
    assert_eq!(edited["title"], "Mine");
    assert_eq!(edited["sync_status"], "pending");
    assert_eq!(edited["labels"], serde_json::json!(["ui"]));
    FakeTracker::edit_issue(
        &t,
        "team/app",
        numbers[0],
        RemoteEdit {
            title: Some("Theirs".into()),
            ..RemoteEdit::default()
        },
    );
    cli.run(&["sync"]).json_or_success();

    let rows = cli.run(&["conflicts", "--json"]).json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["ref"], reference.as_str());
    assert_eq!(row["field"], "title");
    assert_eq!(row["base"], "First");
    assert_eq!(row["local"], "Mine");
    assert_eq!(row["remote"], "Theirs");
    let shown = cli.run(&["show", &reference, "--json"]).json();
    assert_eq!(shown["sync_status"], "conflict");

    // Editing the field again does not decide the conflict: it replaces my side, says
    // so, and nothing is pushed for it.
    let again = cli.run(&["edit", &reference, "--title", "Mine, again", "--json"]);
    let edited = again.json();
    assert_eq!(edited["title"], "Mine, again");
    assert_eq!(edited["in_conflict"], serde_json::json!(["title"]));
    assert!(
        again.stderr.contains("in conflict") && again.stderr.contains("issuesync resolve"),
        "{}",
        again.stderr
    );
    cli.run(&["sync"]).json_or_success();
    assert_eq!(t.issue("team/app", numbers[0]).unwrap().title, "Theirs");
    let rows = cli.run(&["conflicts", "--json"]).json();
    assert_eq!(rows[0]["local"], "Mine, again", "{rows}");
    assert_eq!(rows[0]["remote"], "Theirs");

    let bad = cli.run(&[
        "resolve", &reference, "--field", "colour", "--take", "local",
    ]);
    assert!(
        bad.failure_line().contains("unknown field"),
        "{}",
        bad.stderr
    );
    let none = cli.run(&["resolve", &reference, "--field", "body", "--take", "local"]);
    assert!(
        none.failure_line().contains("no open conflict"),
        "{}",
        none.stderr
    );

    let resolved = cli
        .run(&[
            "resolve",
            &reference,
            "--field",
            "title",
            "--value",
            "Both of ours",
            "--json",
        ])
        .json();
    assert_eq!(resolved["title"], "Both of ours");
    cli.run(&["sync"]).json_or_success();
    assert_eq!(
        t.issue("team/app", numbers[0]).unwrap().title,
        "Both of ours"
    );
    assert_eq!(
        t.issue("team/app", numbers[0]).unwrap().labels,
        vec!["ui".to_string()]
    );

    let log = cli.run(&["log", &reference, "--json"]).json();
    let operations: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["operation"].as_str())
        .collect();
    for op in ["conflict", "resolve", "push"] {
        assert!(operations.contains(&op), "{op} in {operations:?}");
    }

    let draft = cli
        .run(&["create", "t:team/app", "--title", "Never mind", "--json"])
        .json();
    let draft_ref = draft["ref"].as_str().unwrap().to_string();
    assert!(draft_ref.starts_with("t:team/app#local-"), "{draft_ref}");
    assert_eq!(draft["number"], Value::Null);
    assert_eq!(draft["remote_url"], Value::Null);
    let gone = cli.run(&["discard", &draft_ref, "--json"]).json();
    assert_eq!(gone["result"], "deleted");
    let missing = cli.run(&["show", &draft_ref]);
    assert!(
        missing.failure_line().contains("no mirrored issue"),
        "{}",
        missing.stderr
    );

    let empty = cli.run(&["edit", &reference]);
    assert!(
        empty.failure_line().contains("nothing to change"),
        "{}",
        empty.stderr
    );
    let blank = cli.run(&["edit", &reference, "--title", "  "]);
    assert!(
        blank.failure_line().contains("title cannot be empty"),
        "{}",
        blank.stderr
    );
}
