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
