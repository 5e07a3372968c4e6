//! What every fake tracker (Gitea, GitHub, GitLab) offers the tests, so one test story
//! runs against all three: seeding, remote edits "made by someone else", a neutral view
//! of an issue, the requests seen, and injected failures.
//!
//! Paths are `owner/name`, or GitLab's full `group/sub/project`. Numbers are the
//! per-repository number (GitLab: `iid`).
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use issuesync::model::ProviderKind;
use serde_json::Value;

/// What to create with [`FakeTracker::create_issue`].
#[derive(Debug, Clone)]
pub struct NewIssue<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub author: &'a str,
    pub labels: Vec<&'a str>,
    pub milestone: Option<&'a str>,
    pub assignees: Vec<&'a str>,
    /// A pull/merge request: listed among issues by GitHub and by Gitea without
    /// `type=issues`; GitLab keeps merge requests elsewhere (the fake ignores them).
    pub pull_request: bool,
}

impl Default for NewIssue<'_> {
    fn default() -> Self {
        NewIssue {
            title: "untitled",
            body: "",
            author: "alice",
            labels: Vec::new(),
            milestone: None,
            assignees: Vec::new(),
            pull_request: false,
        }
    }
}

/// A change "someone else" makes on the tracker; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct RemoteEdit {
    pub title: Option<String>,
    pub body: Option<String>,
    /// "open" or "closed".
    pub state: Option<String>,
    pub labels: Option<Vec<String>>,
    pub assignees: Option<Vec<String>>,
    /// `Some(None)` clears the milestone.
    pub milestone: Option<Option<String>>,
}

/// A provider-neutral snapshot of an issue on a fake tracker.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// "open" or "closed".
    pub state: String,
    /// Sorted.
    pub labels: Vec<String>,
    /// Sorted logins/usernames.
    pub assignees: Vec<String>,
    pub milestone: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One HTTP request a fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenRequest {
    pub method: String,
    /// Full path as received (raw, not percent-decoded), including any subpath; no query.
    pub path: String,
    /// Query pairs, form-decoded, in order.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header (GitLab fakes: `PRIVATE-TOKEN` as `PRIVATE-TOKEN <t>`).
    pub authorization: Option<String>,
    /// The JSON body, when there was one.
    pub body: Option<Value>,
}

impl SeenRequest {
    /// First value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A stateful fake tracker served on 127.0.0.1.
pub trait FakeTracker: Send + Sync {
    fn kind(&self) -> ProviderKind;
    /// What `connection add --url` takes for this fake.
    fn web_url(&self) -> String;
    fn add_user(&self, login: &str, token: Option<&str>);
    fn add_repo(&self, path: &str, private: bool);
    fn add_label(&self, repo: &str, name: &str, color: &str);
    fn add_milestone(&self, repo: &str, title: &str);
    fn create_issue(&self, repo: &str, issue: NewIssue<'_>) -> u64;
    fn edit_issue(&self, repo: &str, number: u64, edit: RemoteEdit);
    fn delete_issue(&self, repo: &str, number: u64);
    fn add_comment(&self, repo: &str, number: u64, author: &str, body: &str);
    fn issue(&self, repo: &str, number: u64) -> Option<TrackerIssue>;
    /// Bodies of the comments of an issue, oldest first.
    fn comment_bodies(&self, repo: &str, number: u64) -> Vec<String>;
    /// The repository's webhooks, secrets included ([`super::fake_hooks`]).
    fn hooks(&self, repo: &str) -> Vec<super::fake_hooks::TrackerHook>;
    fn requests(&self) -> Vec<SeenRequest>;
    fn clear_requests(&self);
    /// The next `count` requests answer `status` with the tracker's error body.
    fn fail_next(&self, count: usize, status: u16);
    /// The next `count` requests answer the tracker's rate-limit response, asking the
    /// client to come back in `retry_after_secs`. Gitea has no rate limiting: no-op there.
    fn rate_limit_next(&self, count: usize, retry_after_secs: u64);
    fn advance_clock(&self, secs: i64);
    /// The next write (POST, PUT, PATCH, DELETE) is carried out, then its connection is
    /// closed without an answer, so the client cannot tell whether it landed.
    fn drop_connection_after_next_write(&self);
    /// The next write is carried out and answered only after `delay`: a client whose
    /// timeout is shorter gives up although the change was made.
    fn delay_next_write(&self, delay: std::time::Duration);
}

/// Seeds a repository through the trait, then checks what a remote edit and a comment
/// made through it look like in the neutral view. Every fake passes this; the caller
/// has added user `alice`. Returns the issue's number.
pub fn check_the_trait_on(t: &dyn FakeTracker, repo: &str) -> u64 {
    t.add_repo(repo, false);
    t.add_label(repo, "bug", "00ff00");
    t.add_milestone(repo, "v1");
    let n = t.create_issue(
        repo,
        NewIssue {
            title: "T",
            body: "B",
            labels: vec!["bug"],
            milestone: Some("v1"),
            assignees: vec!["bob"],
            ..NewIssue::default()
        },
    );
    assert_eq!(n, 1, "{}: the first issue is #1", t.kind());
    let before = t.issue(repo, n).expect("issue");
    assert_eq!(before.state, "open");
    assert_eq!(before.body, "B");
    assert_eq!(before.milestone.as_deref(), Some("v1"));
    t.edit_issue(
        repo,
        n,
        RemoteEdit {
            state: Some("closed".into()),
            labels: Some(vec!["x".into(), "bug".into()]),
            milestone: Some(None),
            assignees: Some(vec!["carol".into(), "bob".into()]),
            ..RemoteEdit::default()
        },
    );
    let after = t.issue(repo, n).expect("issue");
    assert_eq!(after.state, "closed");
    assert_eq!(
        after.labels,
        vec!["bug", "x"],
        "{}: sorted labels",
        t.kind()
    );
    assert_eq!(
        after.assignees,
        vec!["bob", "carol"],
        "{}: sorted logins",
        t.kind()
    );
    assert_eq!(after.milestone, None);
    assert_eq!(
        after.updated_at,
        before.updated_at + chrono::Duration::seconds(1),
        "{}: one mutation, one tick of the fake clock",
        t.kind()
    );
    t.add_comment(repo, n, "alice", "hello");
    assert_eq!(t.comment_bodies(repo, n), vec!["hello"], "{}", t.kind());
    n
}
