//! The `issuesync` command line as scripts use it: the real binary, a temp data dir,
//! the fake Gitea. Covers the JSON contract of list/show, progress on stderr, and every
//! bad input the CLI promises one clear line for, with the store left intact.

use serde_json::Value;

use crate::common::cli::{contains_bytes, Cli};
use crate::common::fake_gitea::{FakeGitea, NewIssue};

const TOKEN: &str = "tok-cli-7f3a9c1e55d0";

fn fake_with_issues() -> FakeGitea {
    let fake = FakeGitea::start_at_subpath("/gitea");
    fake.add_user("alice", Some(TOKEN));
    fake.add_user("bob", None);
    fake.add_repo("alice", "tools", false);
    fake.add_repo("alice", "private", true);
    fake.create_issue(
        "alice/tools",
        NewIssue {
            title: "Crash on start",
            body: "It crashes when the config is empty.",
            labels: vec!["bug"],
            milestone: Some("v1"),
            assignees: vec!["bob"],
            ..NewIssue::default()
        },
    );
    fake.create_issue(
        "alice/tools",
        NewIssue {
            title: "Dark mode",
            body: "Please add a dark theme.",
            labels: vec!["ui"],
            ..NewIssue::default()
        },
    );
    fake.create_issue(
        "alice/tools",
        NewIssue {
            title: "Add CI",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    fake.edit_issue("alice/tools", 2, |i| i.state = "closed".into());
    fake.add_comment(
        "alice/tools",
        1,
        "bob",
        "Reproduced with an empty config file.",
    );
    fake
}

/// A CLI with connection `home` (anonymous) mirroring alice/tools, synced.
fn synced_cli(fake: &FakeGitea) -> Cli {
    let cli = Cli::new();
    let add = cli.run(&[
        "connection",
        "add",
        "--name",
        "home",
        "--provider",
        "gitea",
        "--url",
        &fake.web_url(),
    ]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert!(add.stdout.contains("anonymously"), "{}", add.stdout);
    let repo = cli.run(&["repo", "add", "home:alice/tools"]);
    assert_eq!(repo.code, 0, "{}", repo.stderr);
    let sync = cli.run(&["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert!(
        sync.stderr.contains("home:alice/tools"),
        "progress goes to stderr: {}",
        sync.stderr
    );
    cli
}

fn store_snapshot(cli: &Cli) -> (Value, Value, Value) {
    (
        cli.run(&["connection", "list", "--json"]).json(),
        cli.run(&["list", "--json", "--state", "all"]).json(),
        cli.run(&["log", "--json", "--limit", "1000"]).json(),
    )
}

#[test]
fn list_and_show_print_the_documented_json() {
    let fake = fake_with_issues();
    let cli = synced_cli(&fake);

    let open = cli.run(&["list", "--json"]).json();
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 1, "list defaults to open issues: {open:?}");
    let issue = &open[0];
    for key in [
        "id",
        "ref",
        "connection",
        "provider",
        "repo",
        "number",
        "title",
        "body",
        "state",
        "labels",
        "assignees",
        "milestone",
        "author",
        "created_at",
        "updated_at",
        "remote_url",
        "sync_status",
    ] {
        assert!(issue.get(key).is_some(), "missing {key} in {issue}");
    }
    assert_eq!(issue["ref"], "home:alice/tools#1");
    assert_eq!(issue["connection"], "home");
    assert_eq!(issue["provider"], "gitea");
    assert_eq!(issue["repo"], "alice/tools");
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["labels"], serde_json::json!(["bug"]));
    assert_eq!(issue["assignees"], serde_json::json!(["bob"]));
    assert_eq!(issue["milestone"], "v1");
    assert_eq!(issue["author"], "alice");
    assert_eq!(issue["sync_status"], "synced");
    assert_eq!(
        issue["remote_url"],
        format!("{}/alice/tools/issues/1", fake.web_url()),
        "the link opens the issue on Gitea, subpath included"
    );

    let all = cli.run(&["list", "--json", "--state", "all"]).json();
    assert_eq!(all.as_array().unwrap().len(), 2, "the PR is not an issue");
    let closed = cli.run(&["list", "--json", "--state", "closed"]).json();
    assert_eq!(closed[0]["title"], "Dark mode");

    let search = cli
        .run(&["list", "--json", "--search", "reproduced"])
        .json();
    assert_eq!(search[0]["number"], 1, "comments are searchable");
    let labelled = cli
        .run(&["list", "--json", "--state", "all", "--label", "ui"])
        .json();
    assert_eq!(labelled[0]["title"], "Dark mode");
    let assigned = cli.run(&["list", "--json", "--assignee", "bob"]).json();
    assert_eq!(assigned.as_array().unwrap().len(), 1);
    let in_repo = cli
        .run(&[
            "list",
            "--json",
            "--repo",
            "home:alice/tools",
            "--state",
            "all",
        ])
        .json();
    assert_eq!(in_repo.as_array().unwrap().len(), 2);

    let by_ref = cli.run(&["show", "home:alice/tools#1", "--json"]).json();
    assert_eq!(by_ref["title"], "Crash on start");
    assert_eq!(by_ref["comments"][0]["author"], "bob");
    let id = issue["id"].as_i64().unwrap().to_string();
    let by_id = cli.run(&["show", &id, "--json"]).json();
    assert_eq!(by_id, by_ref, "a local id shows the same issue");

    let human = cli.run(&["show", "home:alice/tools#1"]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.contains("Crash on start"));
    assert!(human
        .stdout
        .contains(&format!("{}/alice/tools/issues/1", fake.web_url())));
    let table = cli.run(&["list"]);
    assert!(table.stdout.starts_with("REF"), "{}", table.stdout);
    assert!(table.stdout.contains("home:alice/tools#1"));
}

#[test]
fn sync_json_reports_each_repository() {
    let fake = fake_with_issues();
    let cli = synced_cli(&fake);
    fake.edit_issue("alice/tools", 1, |i| {
        i.title = "Crash on start (config)".into()
    });
    let report = cli.run(&["sync", "--json"]).json();
    let repo = &report["repos"][0];
    assert_eq!(repo["repo"], "home:alice/tools");
    assert_eq!(repo["updated"], 1);
    assert_eq!(repo["error"], Value::Null);
    let shown = cli.run(&["show", "home:alice/tools#1", "--json"]).json();
    assert_eq!(shown["title"], "Crash on start (config)");
}

#[test]
fn bad_input_fails_with_one_clear_line_and_damages_nothing() {
    let fake = fake_with_issues();
    let cli = synced_cli(&fake);
    let before = store_snapshot(&cli);
    let web = fake.web_url();

    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (
            vec!["show", "home:alice/tools#99"],
            None,
            "no mirrored issue home:alice/tools#99",
        ),
        (vec!["show", "not-a-ref"], None, "not an issue reference"),
        (
            vec!["show", "nope:alice/tools#1"],
            None,
            "no mirrored issue",
        ),
        (
            vec![
                "connection",
                "add",
                "--name",
                "x",
                "--provider",
                "bitbucket",
                "--url",
                &web,
            ],
            None,
            "unknown provider \"bitbucket\"",
        ),
        (
            vec![
                "connection",
                "add",
                "--name",
                "x",
                "--provider",
                "gitea",
                "--url",
                "gitea.example.com",
            ],
            None,
            "is not a URL",
        ),
        (
            vec![
                "connection",
                "add",
                "--name",
                "x",
                "--provider",
                "gitea",
                "--url",
                &web,
                "--token-stdin",
            ],
            Some("  \n"),
            "the token is empty",
        ),
        (
            vec![
                "connection",
                "add",
                "--name",
                "x",
                "--provider",
                "gitea",
                "--url",
                "http://127.0.0.1:9",
            ],
            None,
            "cannot reach http://127.0.0.1:9/api/v1/version",
        ),
        (
            vec![
                "connection",
                "add",
                "--name",
                "x",
                "--provider",
                "gitea",
                "--url",
                &web,
                "--token-stdin",
            ],
            Some("wrong-token-value"),
            "rejected the token (401)",
        ),
        (
            vec![
                "connection",
                "add",
                "--name",
                "home",
                "--provider",
                "gitea",
                "--url",
                &web,
            ],
            None,
            "already exists",
        ),
        (
            vec!["repo", "add", "home:alice/private"],
            None,
            "not found on the tracker (404)",
        ),
        (
            vec!["repo", "add", "alice/tools"],
            None,
            "expected NAME:OWNER/REPO",
        ),
        (
            vec!["repo", "add", "work:alice/tools"],
            None,
            "no connection named \"work\"",
        ),
        (vec!["sync", "work"], None, "no connection named \"work\""),
        (
            vec!["connection", "remove", "work"],
            None,
            "no connection named \"work\"",
        ),
    ];
    for (args, stdin, expected) in cases {
        let run = cli.run_with_stdin(&args, stdin);
        let line = run.failure_line();
        assert!(
            line.contains(expected),
            "`issuesync {}`: expected {expected:?} in {line:?}",
            args.join(" ")
        );
        assert!(
            !line.contains("wrong-token-value"),
            "a token leaked: {line}"
        );
    }
    let (connections, issues, _) = store_snapshot(&cli);
    assert_eq!(connections, before.0, "no connection was added or changed");
    assert_eq!(issues, before.1, "no issue was touched");
}

#[test]
fn the_token_never_reaches_the_database_logs_or_output() {
    let fake = fake_with_issues();
    let mut cli = Cli::new();
    cli.env("ISSUESYNC_TOKEN_HOME", TOKEN);
    let mut output = String::new();
    for args in [
        vec![
            "connection",
            "add",
            "--name",
            "home",
            "--provider",
            "gitea",
            "--url",
            &fake.web_url(),
            "--token-env",
        ],
        vec!["repo", "add", "home:alice/private"],
        vec!["repo", "add", "home:alice/tools"],
        vec!["sync", "--json"],
        vec!["repo", "list", "home", "--json"],
        vec!["connection", "list", "--json"],
        vec!["list", "--json", "--state", "all"],
        vec!["log", "--json"],
    ] {
        let run = cli.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        output.push_str(&run.stdout);
        output.push_str(&run.stderr);
    }
    assert!(
        output.contains("as alice"),
        "the env token is used to verify: {output}"
    );
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.authorization.as_deref() == Some(&*format!("token {TOKEN}"))),
        "the token was sent to the tracker"
    );
    let private = cli
        .run(&["list", "--json", "--repo", "home:alice/private"])
        .json();
    assert!(
        private.as_array().is_some(),
        "the private repo synced with the env token"
    );
    assert!(!output.contains(TOKEN), "the token appeared in CLI output");
    assert!(
        !contains_bytes(&cli.data_dir_bytes(), TOKEN),
        "the token appeared in the data dir"
    );

    // A failing sync does not print it either.
    fake.fail_next(20, 500);
    let failed = cli.run(&["sync"]);
    assert_ne!(
        failed.code, 0,
        "a failed repository makes sync exit non-zero"
    );
    assert!(!failed.stderr.contains(TOKEN) && !failed.stdout.contains(TOKEN));
    let log = cli.run(&["log", "--json"]).json();
    assert_eq!(log[0]["result"], "error", "the failure is in the sync log");
    assert!(!log.to_string().contains(TOKEN));
}

#[test]
fn repo_list_shows_what_the_token_can_see() {
    let fake = fake_with_issues();
    let mut cli = Cli::new();
    cli.env("ISSUESYNC_TOKEN_HOME", TOKEN);
    cli.run(&[
        "connection",
        "add",
        "--name",
        "home",
        "--provider",
        "gitea",
        "--url",
        &fake.web_url(),
        "--token-env",
    ]);
    cli.run(&["repo", "add", "home:alice/tools"]);
    let repos = cli.run(&["repo", "list", "home", "--json"]).json();
    let names: Vec<(&str, bool)> = repos
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["full_path"].as_str().unwrap(),
                r["mirrored"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(names.contains(&("alice/tools", true)), "{names:?}");
    assert!(names.contains(&("alice/private", false)), "{names:?}");
}
