//! Tokens and web addresses on the command line: a token never travels in clear text to
//! another machine unless asked, a token typed into a web address is refused without
//! leaving a trace, `ISSUESYNC_TOKEN_<NAME>` belongs to exactly one connection and is
//! used to verify only when asked, a machine without a keychain can still add a
//! connection whose token is in that variable, and the data dir is private (unix).
//!
//! The real binary on a temp data dir, the fake Gitea on 127.0.0.1; "no keychain" is a
//! D-Bus session address that points nowhere, so no real keychain is ever reached.

use crate::common::cli::{contains_bytes, Cli, Run};
use crate::common::fake_gitea::{FakeGitea, NewIssue};

const TOKEN: &str = "tok-safety-4d9e1b7c20aa";

/// A D-Bus session bus that does not exist: the Secret Service (the keychain) is absent.
const NO_BUS: &str = "unix:path=/nonexistent/issuesync-test-no-bus";

fn fake() -> FakeGitea {
    let fake = FakeGitea::start();
    fake.add_user("alice", Some(TOKEN));
    fake.add_repo("alice", "private", true);
    fake.create_issue(
        "alice/private",
        NewIssue {
            title: "Only alice sees this",
            ..NewIssue::default()
        },
    );
    fake
}

fn add<'a>(name: &'a str, url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "connection",
        "add",
        "--name",
        name,
        "--provider",
        "gitea",
        "--url",
        url,
    ];
    args.extend_from_slice(extra);
    args
}

fn connection_names(cli: &Cli) -> Vec<String> {
    cli.run(&["connection", "list", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

fn output(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

#[test]
fn a_token_goes_over_plain_http_only_to_this_machine_or_when_allowed() {
    let cli = Cli::new();
    // Refused before anything is sent: no tracker needs to exist there.
    let refused = cli.run_with_stdin(
        &add("lan", "http://tracker.example", &["--token-stdin"]),
        Some(TOKEN),
    );
    let line = refused.failure_line();
    assert!(
        line.contains("clear text") && line.contains("--allow-insecure-http"),
        "{line}"
    );
    assert!(!output(&refused).contains(TOKEN));
    assert!(connection_names(&cli).is_empty());

    // With the flag the token may go: the refusal is gone, the host is just not there.
    let allowed = cli.run_with_stdin(
        &add(
            "lan",
            "http://tracker.invalid",
            &["--token-stdin", "--allow-insecure-http"],
        ),
        Some(TOKEN),
    );
    let line = allowed.failure_line();
    assert!(line.contains("cannot reach"), "{line}");
    // Anonymous connections over http carry no token: not refused either.
    let anonymous = cli.run(&add("lan", "http://tracker.invalid", &[]));
    let line = anonymous.failure_line();
    assert!(line.contains("cannot reach"), "{line}");

    // Loopback is this machine: 127.0.0.0/8 and localhost need no flag.
    let fake = fake();
    let mut env_cli = Cli::new();
    env_cli.env("ISSUESYNC_TOKEN_IP", TOKEN);
    env_cli.env("ISSUESYNC_TOKEN_LOCAL", TOKEN);
    let on_ip = env_cli.run(&add("ip", &fake.web_url(), &["--token-env"]));
    assert_eq!(on_ip.code, 0, "{}", on_ip.stderr);
    assert!(on_ip.stdout.contains("as alice"), "{}", on_ip.stdout);
    let localhost = fake.web_url().replace("127.0.0.1", "localhost");
    let on_name = env_cli.run(&add("local", &localhost, &["--token-env"]));
    assert_eq!(on_name.code, 0, "{}", on_name.stderr);
    assert!(on_name.stdout.contains("as alice"), "{}", on_name.stdout);
}

#[test]
fn a_token_in_the_web_address_is_refused_and_leaves_no_trace() {
    let fake = fake();
    let cli = Cli::new();
    let with_credentials = fake
        .web_url()
        .replace("http://", &format!("http://alice:{TOKEN}@"));
    let mut seen = String::new();
    for (args, stdin) in [
        (add("home", &with_credentials, &[]), None),
        (
            add("home", &with_credentials, &["--token-stdin"]),
            Some(TOKEN),
        ),
    ] {
        let run = cli.run_with_stdin(&args, stdin);
        let line = run.failure_line();
        assert!(line.contains("--token-stdin"), "{line}");
        seen.push_str(&output(&run));
    }
    // Other mistakes in such an address do not echo it either.
    let with_query = format!("{with_credentials}?tab=issues");
    let run = cli.run(&add("home", &with_query, &[]));
    run.failure_line();
    seen.push_str(&output(&run));
    let log = cli.run(&["log", "--json"]);
    seen.push_str(&output(&log));

    assert!(!seen.contains(TOKEN), "the token was printed: {seen}");
    assert!(connection_names(&cli).is_empty());
    assert!(
        !contains_bytes(&cli.data_dir_bytes(), TOKEN),
        "the token reached the data dir"
    );
    assert!(
        fake.requests().is_empty(),
        "nothing was sent to the tracker"
    );
}

#[test]
fn one_token_variable_names_one_connection() {
    let fake = fake();
    let cli = Cli::new();
    for (first, second, var) in [
        ("work", "Work", "ISSUESYNC_TOKEN_WORK"),
        ("my-lab", "my_lab", "ISSUESYNC_TOKEN_MY_LAB"),
    ] {
        let run = cli.run(&add(first, &fake.web_url(), &[]));
        assert_eq!(run.code, 0, "{}", run.stderr);
        let clash = cli.run(&add(second, &fake.web_url(), &[]));
        let line = clash.failure_line();
        assert!(
            line.contains(&format!("{first:?}")) && line.contains(var),
            "names the existing connection and the variable: {line}"
        );
    }
    assert_eq!(connection_names(&cli), ["my-lab", "work"]);
}

#[test]
fn the_token_variable_verifies_a_new_connection_only_when_asked() {
    let fake = fake();
    let mut cli = Cli::new();
    let asked = cli.run(&add("home", &fake.web_url(), &["--token-env"]));
    let line = asked.failure_line();
    assert!(
        line.contains("ISSUESYNC_TOKEN_HOME") && line.contains("not set"),
        "{line}"
    );

    cli.env("ISSUESYNC_TOKEN_HOME", TOKEN);
    let silent = cli.run(&add("home", &fake.web_url(), &[]));
    let line = silent.failure_line();
    assert!(
        line.contains("ISSUESYNC_TOKEN_HOME") && line.contains("--token-env"),
        "{line}"
    );
    assert!(
        fake.requests().iter().all(|r| r.authorization.is_none()),
        "the variable's token was not sent without --token-env"
    );
    assert!(connection_names(&cli).is_empty());

    let added = cli.run(&add("home", &fake.web_url(), &["--token-env"]));
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(added.stdout.contains("as alice"), "{}", added.stdout);
    assert!(
        added.stdout.contains("ISSUESYNC_TOKEN_HOME") && added.stdout.contains("not stored"),
        "{}",
        added.stdout
    );
    // sync and the other commands keep reading the variable.
    assert_eq!(cli.run(&["repo", "add", "home:alice/private"]).code, 0);
    let sync = cli.run(&["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    let issues = cli.run(&["list", "--json"]).json();
    assert_eq!(issues[0]["title"], "Only alice sees this");
}

#[test]
fn without_a_keychain_the_set_variable_carries_the_token() {
    let fake = fake();
    let mut cli = Cli::new();
    cli.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);

    // The variable is not set: the token cannot be kept anywhere, so nothing is added,
    // and the error says what to do.
    let unset = cli.run_with_stdin(
        &add("home", &fake.web_url(), &["--token-stdin"]),
        Some(TOKEN),
    );
    let line = unset.failure_line();
    assert!(
        line.contains("keychain is not available") && line.contains("ISSUESYNC_TOKEN_HOME"),
        "{line}"
    );
    assert!(connection_names(&cli).is_empty());

    cli.env("ISSUESYNC_TOKEN_HOME", TOKEN);
    let added = cli.run_with_stdin(
        &add("home", &fake.web_url(), &["--token-stdin"]),
        Some(TOKEN),
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let said = output(&added);
    assert!(
        said.contains("as alice"),
        "the given token was verified: {said}"
    );
    assert!(
        said.contains("not stored") && said.contains("ISSUESYNC_TOKEN_HOME"),
        "says the token was not stored and what sync uses: {said}"
    );
    assert!(
        !said.contains("set ISSUESYNC_TOKEN_HOME"),
        "does not ask to set what is set: {said}"
    );
    assert!(!said.contains(TOKEN));

    assert_eq!(cli.run(&["repo", "add", "home:alice/private"]).code, 0);
    let sync = cli.run(&["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert_eq!(
        cli.run(&["list", "--json"]).json()[0]["title"],
        "Only alice sees this"
    );
    assert!(!contains_bytes(&cli.data_dir_bytes(), TOKEN));
}

#[cfg(unix)]
#[test]
fn the_data_dir_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let fake = fake();
    fake.add_repo("alice", "tools", false);
    let cli = Cli::in_new_dir();
    let dir = cli.data_dir();
    let db = dir.join("issuesync.db");
    assert_eq!(cli.run(&add("home", &fake.web_url(), &[])).code, 0);
    assert_eq!(cli.run(&["repo", "add", "home:alice/tools"]).code, 0);
    // Holding the database open keeps its WAL and shared-memory files in place.
    let held = rusqlite::Connection::open(&db).unwrap();
    let _: i64 = held
        .query_row("SELECT count(*) FROM issues", [], |r| r.get(0))
        .unwrap();
    let sync = cli.run(&["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert_eq!(mode(&dir), 0o700, "the data dir");
    for file in [
        "issuesync.db",
        "issuesync.db-wal",
        "issuesync.db-shm",
        "sync.lock",
    ] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    drop(held);

    // A data dir made before (or by hand) with wider modes is tightened when opened.
    let widen = |path: &std::path::Path, bits| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits)).unwrap()
    };
    widen(&dir, 0o755);
    widen(&db, 0o644);
    widen(&dir.join("sync.lock"), 0o666);
    let sync = cli.run(&["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert_eq!(mode(&dir), 0o700, "the data dir, tightened");
    assert_eq!(mode(&db), 0o600, "the database, tightened");
    assert_eq!(mode(&dir.join("sync.lock")), 0o600, "the lock, tightened");
}

/// `connection edit --token-stdin` on an anonymous plain-http connection to another
/// machine: the new token is refused unless allowed. (Workspace level: no tracker is
/// reachable over plain http at a non-loopback address in a test, so the connection is
/// written to the database directly.)
#[tokio::test]
async fn a_new_token_for_a_plain_http_connection_needs_the_same_permission() {
    use issuesync::model::{ConflictPolicy, ProviderKind};
    use issuesync::secrets::{MemoryStore, Secret};
    use issuesync::store::{connections, Store, DATABASE_FILE};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DATABASE_FILE)).unwrap();
    connections::insert(
        store.conn(),
        &connections::NewConnection {
            name: "lan",
            provider: ProviderKind::Gitea,
            web_url: "http://tracker.invalid",
            api_url: "http://tracker.invalid/api/v1",
            has_token: false,
            secret_key: "connection-lan",
            login: None,
            conflict_policy: ConflictPolicy::Ask,
        },
    )
    .unwrap();
    drop(store);
    let ws = issuesync::Workspace::open(dir.path(), Box::new(MemoryStore::default())).unwrap();

    let refused = ws
        .replace_token("lan", Secret::new(TOKEN), false)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "insecure_http", "{refused}");
    assert!(
        refused.to_string().contains("--allow-insecure-http"),
        "{refused}"
    );
    let allowed = ws
        .replace_token("lan", Secret::new(TOKEN), true)
        .await
        .unwrap_err();
    assert_ne!(
        allowed.code(),
        "insecure_http",
        "allowed, then unreachable: {allowed}"
    );
}
