//! Text and links from trackers are hostile input: a server (misconfigured or hostile)
//! that sends issue pages on other hosts or with other schemes never decides what a
//! click on "Open on tracker" launches, and a link already stored is checked again
//! before it is opened.

use issuesync::model::ProviderKind;

use crate::common::fake_gitea::FakeGitea;
use crate::two_way_sync::setup;

async fn pages_from(root: &str) {
    let t = FakeGitea::start().with_page_root(root);
    let s = setup(&t).await;
    let web = crate::common::tracker::FakeTracker::web_url(&t);
    crate::common::tracker::FakeTracker::add_comment(&t, s.repo, s.numbers[0], "bob", "hi");
    s.sync().await;
    let detail = s.local(0);
    let page = detail.issue.remote_url.clone().unwrap();
    assert_eq!(
        page,
        format!("{web}/{}/issues/{}", s.repo, s.numbers[0]),
        "{root}: the page is built from the connection's web root"
    );
    assert_eq!(s.ws.remote_url(&s.reference(0)).unwrap(), page, "{root}");
    assert!(
        detail
            .comments
            .iter()
            .all(|c| c.remote_url.as_deref().is_none_or(|u| u.starts_with(&web))),
        "{root}: {:?}",
        detail.comments
    );
    assert_eq!(detail.issue.provider, ProviderKind::Gitea);
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_pages_on_other_schemes_or_hosts_are_not_stored() {
    for root in [
        "file:///etc",
        "smb://files.example/share",
        "https://evil.example",
    ] {
        pages_from(root).await;
    }
}

/// A link stored by an older version (or written into the file by anything else) is
/// checked again before it is opened.
#[tokio::test(flavor = "multi_thread")]
async fn a_stored_link_is_checked_again_before_it_is_opened() {
    let t = FakeGitea::start();
    let s = setup(&t).await;
    let db = issuesync::store::Store::open(&s._dir.path().join(issuesync::store::DATABASE_FILE))
        .unwrap();
    db.conn()
        .execute(
            "UPDATE issues SET remote_url = 'file:///etc/passwd' WHERE number = ?1",
            [s.numbers[0] as i64],
        )
        .unwrap();
    let err = s.ws.remote_url(&s.reference(0)).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
    assert!(s.ws.remote_url(&s.reference(1)).is_ok());
}

const ESCAPES: &str = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{1b}]8;;https://evil.example\u{7}";

/// Text from a tracker printed to a terminal loses the control characters a terminal
/// acts on (OSC 52 clipboard writes, OSC 8 disguised links, screen clears); `--json`
/// keeps every byte.
#[test]
fn tracker_text_reaches_the_terminal_without_escapes_and_json_exactly() {
    use crate::common::tracker::{FakeTracker, NewIssue};
    let t = FakeGitea::start();
    FakeTracker::add_user(&t, "alice", Some("hostile-token-1"));
    FakeTracker::add_repo(&t, "team/app", false);
    let title = format!("Evil{ESCAPES} title");
    let body = format!("first line\n{ESCAPES}second line\tend");
    let n = FakeTracker::create_issue(
        &t,
        "team/app",
        NewIssue {
            title: &title,
            body: &body,
            ..NewIssue::default()
        },
    );
    FakeTracker::add_comment(&t, "team/app", n, "alice", &format!("comment{ESCAPES}"));
    let cli = crate::common::cli::Cli::mirroring(&t, "team/app", "hostile-token-1");
    let reference = format!("t:team/app#{n}");
    for args in [vec!["list"], vec!["show", &reference], vec!["log"]] {
        let run = cli.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
            "{args:?} printed escapes: {:?}",
            run.stdout
        );
        if args[0] != "log" {
            assert!(run.stdout.contains("Evil"), "{args:?}: {}", run.stdout);
        }
    }
    let shown = cli.run(&["show", &reference]).stdout;
    assert!(
        shown.contains("first line\n") && shown.contains("line\tend"),
        "{shown}"
    );
    let json = cli.run(&["show", &reference, "--json"]).json();
    assert_eq!(json["title"], title.as_str(), "JSON is exact");
    assert_eq!(json["body"], body.as_str());
}

/// A server whose `Link: rel="next"` points back at the same page: the listing stops
/// with an error naming the server, and the pages stored before stay.
#[tokio::test(flavor = "multi_thread")]
async fn a_listing_whose_next_link_repeats_stops() {
    use crate::common::tracker::{FakeTracker, NewIssue};
    let t = FakeGitea::start().with_looping_next_links();
    FakeTracker::add_user(&t, "alice", Some("loop-token"));
    FakeTracker::add_repo(&t, "team/app", false);
    for i in 0..60 {
        FakeTracker::create_issue(
            &t,
            "team/app",
            NewIssue {
                title: &format!("Issue {i}"),
                ..NewIssue::default()
            },
        );
    }
    let (_dir, ws) = crate::two_way_sync::workspace_on(&t, "loop-token").await;
    let summary = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        ws.sync(None, &issuesync::sync::SyncOptions::default(), &|_| {}),
    )
    .await
    .expect("the listing ended")
    .unwrap();
    let error = summary.repos[0].error.as_ref().expect("it stopped");
    assert_eq!(error.code, "bad_response", "{error:?}");
    let host = FakeTracker::web_url(&t).replace("http://", "");
    assert!(
        error.message.contains(&host) && error.message.contains("came before"),
        "{error:?}"
    );
    let stored = ws
        .issues(&issuesync::store::issues::IssueQuery::default())
        .unwrap();
    assert_eq!(stored.len(), 50, "the first page stays stored");
}

/// An answer larger than the cap (32 MiB) is refused, streamed and counted, with an
/// error naming the server; what the mirror holds stays.
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_answer_is_refused_and_nothing_stored_is_lost() {
    use crate::common::tracker::{FakeTracker, NewIssue};
    let t = FakeGitea::start();
    let mut s = setup(&t).await;
    // 32 MiB from a debug-built fake on a busy machine can take longer than the shared
    // policy's 2 s: the answer must be refused for its size, not time out.
    s.ws = s.ws.with_retry_policy(issuesync::provider::RetryPolicy {
        request_timeout: std::time::Duration::from_secs(60),
        ..crate::two_way_sync::retry()
    });
    let huge = "x".repeat(issuesync::provider::MAX_RESPONSE_BYTES + 1024);
    FakeTracker::create_issue(
        &t,
        s.repo,
        NewIssue {
            title: "Huge",
            body: &huge,
            ..NewIssue::default()
        },
    );
    let summary =
        s.ws.sync(None, &issuesync::sync::SyncOptions::default(), &|_| {})
            .await
            .unwrap();
    let error = summary.repos[0].error.as_ref().expect("refused");
    let host = FakeTracker::web_url(&t).replace("http://", "");
    assert!(
        error.message.contains(&host) && error.message.contains("32 MiB"),
        "{error:?}"
    );
    assert_eq!(s.local(0).issue.title, "Crash on start", "the mirror stays");
}

/// A tracking pixel in a comment does not load unless the person asks: on every tracker,
/// images on the tracker itself keep their address, one from elsewhere is held back (its
/// address absent from the page), "Load images" shows it for that issue, and the setting
/// shows every image.
#[tokio::test(flavor = "multi_thread")]
async fn images_from_other_hosts_wait_until_the_person_asks() {
    use issuesync::workspace::ImageChoice;
    const PIXEL: &str = "https://pixel.example/p.gif?reader=1";
    for t in crate::two_way_sync::trackers() {
        let s = setup(t.as_ref()).await;
        let own = format!("{}/attachments/screenshot.png", t.web_url());
        t.add_comment(
            s.repo,
            s.numbers[0],
            "bob",
            &format!("Looks like this: ![shot]({own}) ![]({PIXEL})"),
        );
        s.sync().await;
        let kind = t.web_url();

        let view =
            s.ws.issue_view(&s.reference(0), ImageChoice::AsSet)
                .unwrap();
        let html = view.comments_html.concat();
        assert_eq!(view.hidden_images, 1, "{kind}: {html}");
        assert!(html.contains(&format!("src=\"{own}\"")), "{kind}: {html}");
        assert!(!html.contains("pixel.example"), "{kind}: {html}");

        let asked = s.ws.issue_view(&s.reference(0), ImageChoice::All).unwrap();
        assert_eq!(asked.hidden_images, 0, "{kind}");
        assert!(
            asked
                .comments_html
                .concat()
                .contains("src=\"https://pixel.example/p.gif?reader=1\""),
            "{kind}: {:?}",
            asked.comments_html
        );
        let other =
            s.ws.issue_view(&s.reference(1), ImageChoice::AsSet)
                .unwrap();
        assert_eq!(
            other.hidden_images, 0,
            "{kind}: another issue has no images"
        );

        let mut settings = s.ws.settings().unwrap();
        settings.load_remote_images = true;
        s.ws.save_settings(&settings).unwrap();
        let all =
            s.ws.issue_view(&s.reference(0), ImageChoice::AsSet)
                .unwrap();
        assert_eq!(
            all.hidden_images, 0,
            "{kind}: the setting loads every image"
        );
    }
}
