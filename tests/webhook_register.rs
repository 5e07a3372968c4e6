//! `webhook register/list/unregister` through each tracker's hooks API (the fakes learned
//! it from the API descriptions, see `common/fake_hooks.rs`): one hook per URL, the
//! stored secret, issue and comment events, and a clear error without admin rights.

use issuesync::model::RepoFilter;
use issuesync::secrets::Secret;

use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::FakeTracker;
use crate::two_way_sync::mirror_with;

const TOKEN: &str = "hooks-token-alice-1";

fn trackers() -> Vec<Box<dyn FakeTracker>> {
    vec![
        Box::new(FakeGitea::start()),
        Box::new(FakeGitHub::start()),
        Box::new(FakeGitLab::start()),
    ]
}

/// The events a hook must deliver for issues and comments, in the tracker's terms.
fn issue_and_comment_events(t: &dyn FakeTracker) -> Vec<&'static str> {
    match t.kind() {
        issuesync::model::ProviderKind::Gitlab => vec![
            "issues_events",
            "confidential_issues_events",
            "note_events",
            "confidential_note_events",
        ],
        _ => vec!["issues", "issue_comment"],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_twice_leaves_one_hook_with_the_secret_and_unregister_removes_it() {
    for t in trackers() {
        let t = t.as_ref();
        let kind = t.kind();
        t.add_user("alice", Some(TOKEN));
        t.add_repo("alice/app", false);
        let (_dir, ws) = mirror_with(t, TOKEN, "alice/app", RepoFilter::default()).await;
        let err = ws
            .register_webhook("t:alice/app", "https://hooks.example.com")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "no_webhook_secret", "{kind}: {err}");
        assert!(
            err.to_string().contains("ISSUESYNC_WEBHOOK_SECRET_T"),
            "{err}"
        );
        ws.set_webhook_secret("t", Some(Secret::new("first-secret")))
            .unwrap();

        let first = ws
            .register_webhook("t:alice/app", "https://hooks.example.com/")
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(
            first.hook.url, "https://hooks.example.com/webhooks/t",
            "{kind}"
        );
        assert_eq!(first.replaced, 0);
        ws.set_webhook_secret("t", Some(Secret::new("rotated-secret")))
            .unwrap();
        let second = ws
            .register_webhook("t:alice/app", "https://hooks.example.com")
            .await
            .unwrap();
        assert_eq!(
            second.replaced, 1,
            "{kind}: the hook to the same URL is replaced"
        );

        let on_tracker = t.hooks("alice/app");
        assert_eq!(
            on_tracker.len(),
            1,
            "{kind}: one hook per URL: {on_tracker:?}"
        );
        let hook = &on_tracker[0];
        assert_eq!(hook.url, "https://hooks.example.com/webhooks/t");
        assert_eq!(
            hook.secret, "rotated-secret",
            "{kind}: the current secret was sent"
        );
        let mut events = hook.events.clone();
        events.sort();
        let mut wanted = issue_and_comment_events(t);
        wanted.sort();
        assert_eq!(events, wanted, "{kind}: issue and comment events only");
        if kind != issuesync::model::ProviderKind::Gitlab {
            assert_eq!(hook.content_type, "json", "{kind}");
        }

        let listed = ws.webhooks("t:alice/app").await.unwrap();
        assert_eq!(listed.hooks.len(), 1, "{kind}");
        assert_eq!(listed.hooks[0].id, hook.id);

        let removed = ws.unregister_webhook("t:alice/app", None).await.unwrap();
        assert_eq!(removed.removed.len(), 1, "{kind}");
        assert!(
            t.hooks("alice/app").is_empty(),
            "{kind}: gone from the tracker"
        );
        assert!(ws.webhooks("t:alice/app").await.unwrap().hooks.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_without_admin_rights_gets_a_clear_error() {
    for t in trackers() {
        let t = t.as_ref();
        let kind = t.kind();
        t.add_user("alice", Some(TOKEN));
        // Another owner's repository: alice may push to it, not administer it.
        t.add_user("bob", None);
        let repo = match kind {
            issuesync::model::ProviderKind::Gitlab => "team/backend/app",
            _ => "bob/app",
        };
        t.add_repo(repo, false);
        let (_dir, ws) = mirror_with(t, TOKEN, repo, RepoFilter::default()).await;
        ws.set_webhook_secret("t", Some(Secret::new("s"))).unwrap();
        let err = ws
            .register_webhook(&format!("t:{repo}"), "https://hooks.example.com")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden", "{kind}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("admin"),
            "{kind}: says what is missing: {message}"
        );
        assert!(
            message.contains(repo),
            "{kind}: names the repository: {message}"
        );
        assert!(t.hooks(repo).is_empty(), "{kind}");
    }
}

/// The `webhook` commands on the command line: register (twice), list, unregister.
#[test]
fn the_webhook_commands_register_list_and_unregister() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    t.add_user("alice", Some(TOKEN));
    t.add_repo("alice/app", false);
    let mut cli = crate::common::cli::Cli::mirroring(t, "alice/app", TOKEN);
    cli.env("ISSUESYNC_WEBHOOK_SECRET_T", "cli-secret");
    let url = "https://hooks.example.com";
    let first = cli
        .run(&["webhook", "register", "t:alice/app", "--url", url, "--json"])
        .json();
    assert_eq!(first["hook"]["url"], "https://hooks.example.com/webhooks/t");
    let again = cli.run(&["webhook", "register", "t:alice/app", "--url", url]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("replaced"), "{}", again.stdout);
    assert_eq!(t.hooks("alice/app").len(), 1);
    assert_eq!(t.hooks("alice/app")[0].secret, "cli-secret");
    let listed = cli.run(&["webhook", "list", "t:alice/app"]);
    assert!(
        listed
            .stdout
            .contains("https://hooks.example.com/webhooks/t"),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains("cli-secret"));
    let removed = cli.run(&["webhook", "unregister", "t:alice/app"]);
    assert!(
        removed.stdout.contains("removed webhook"),
        "{}",
        removed.stdout
    );
    assert!(t.hooks("alice/app").is_empty());
    let none = cli
        .run(&["webhook", "list", "t:alice/app", "--json"])
        .json();
    assert_eq!(none["hooks"], serde_json::json!([]));
}
