//! The real OS keychain (Secret Service on Linux): `connection add --token-stdin` stores
//! the token there and nowhere else, `sync` reads it back, `connection remove` deletes it.
//!
//! Needs a running, unlocked Secret Service, so it is `#[ignore]`d in a plain
//! `cargo test`; `scripts/test.sh` (and CI) runs it under `dbus-run-session` with
//! gnome-keyring. It only touches the entry it creates.

use issuesync::secrets::{KeychainStore, SecretStore};

use crate::common::cli::{contains_bytes, Cli};
use crate::common::fake_gitea::{FakeGitea, NewIssue};

const TOKEN: &str = "keychain-token-5b1e0c9d";

fn secret_key(cli: &Cli) -> String {
    let db = rusqlite::Connection::open(cli.dir.path().join("issuesync.db")).unwrap();
    db.query_row(
        "SELECT secret_key FROM connections WHERE name = 'home'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn tokens_live_in_the_keychain_only_and_are_removed_with_the_connection() {
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
    let cli = Cli::new();
    let add = cli.run_with_stdin(
        &[
            "connection",
            "add",
            "--name",
            "home",
            "--provider",
            "gitea",
            "--url",
            &fake.web_url(),
            "--token-stdin",
        ],
        Some(&format!("{TOKEN}\n")),
    );
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert!(add.stdout.contains("as alice"), "{}", add.stdout);

    let key = secret_key(&cli);
    let stored = KeychainStore
        .get(&key, "home")
        .unwrap()
        .expect("token in the keychain");
    assert_eq!(stored.expose(), TOKEN);

    // The token comes back from the keychain for syncing a private repository.
    assert_eq!(cli.run(&["repo", "add", "home:alice/private"]).code, 0);
    let sync = cli.run(&["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    let issues = cli.run(&["list", "--json"]).json();
    assert_eq!(issues[0]["title"], "Only alice sees this");
    assert!(
        !contains_bytes(&cli.data_dir_bytes(), TOKEN),
        "token in the data dir"
    );

    let remove = cli.run(&["connection", "remove", "home"]);
    assert_eq!(remove.code, 0, "{}", remove.stderr);
    assert!(!remove.stderr.contains("warning"), "{}", remove.stderr);
    assert!(
        KeychainStore.get(&key, "home").unwrap().is_none(),
        "removing the connection deletes its keychain entry"
    );
}
