//! Trackers behind one trait. Each adapter (`github`, `gitlab`, `gitea`) owns its
//! private wire types and converts them to [`crate::model`] at the edge.
//!
//! Invariants:
//! - This file is the only place that matches on [`ProviderKind`] to pick an adapter.
//! - Pull requests never leave an adapter: listings are issues only.
//! - Listings are paged and the sync engine stores each page before asking for the
//!   next, so a huge repository never sits in memory. A page token is opaque to callers.
//! - Errors are typed ([`ProviderError`]) and never contain the token.
//! - Writes send only the fields that change ([`IssueChanges`]).
//! - What each tracker does to values ([`Capabilities`]) is written down here, per kind,
//!   in [`capabilities`]; the merge and push planning consult it.
//! - A bulk first import ([`Provider::import_page`], GitHub's GraphQL) yields issues and
//!   comments exactly as the REST listings convert them; incremental rounds stay on REST.

pub mod capabilities;
pub mod gitea;
pub mod github;
pub mod gitlab;
mod http;

use std::sync::Arc;

use async_trait::async_trait;

pub use capabilities::{AssigneeCapacity, BodyRules, Capabilities, NameMatching};
pub use http::{host_of, RetryPolicy, MAX_RESPONSE_BYTES};

use crate::model::{
    Field, IssueState, Label, Milestone, ProviderKind, RemoteComment, RemoteIssue, RemoteRepo,
    RemoteVersion, Timestamp, User,
};
use crate::secrets::Secret;

/// One page of a listing and the token of the next page, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
    /// The total number of items across all pages, when the tracker says.
    pub total: Option<u64>,
    /// The tracker answered 304: this page is unchanged since it was last stored, and
    /// `items` is empty.
    pub not_modified: bool,
    /// For a 304: the issue numbers the page held when it was stored (they are all
    /// still there, unchanged).
    pub held: Vec<u64>,
    /// For a fresh page the tracker tagged: what to store, in the same transaction as
    /// the page's items, so a later 304 can stand for it.
    pub validator: Option<PageValidator>,
}

impl<T> Page<T> {
    /// A freshly fetched page.
    pub fn fresh(items: Vec<T>, next: Option<String>, total: Option<u64>) -> Self {
        Self {
            items,
            next,
            total,
            not_modified: false,
            held: Vec::new(),
            validator: None,
        }
    }
}

/// Where an adapter finds the validators of listing pages stored earlier (GitHub
/// answers a matching `If-None-Match` with a 304 that costs no rate limit). Adapters
/// only read it: a validator is stored by the sync engine together with the page it
/// validated ([`Page::validator`]), so a fetch that stores nothing (a marker lookup, a
/// failed transaction) never makes a later 304 hide what the mirror lacks.
pub trait ConditionalCache: Send + Sync {
    fn get(&self, url: &str) -> Option<CachedEtag>;
}

/// A validator stored for a listing URL: its ETag, the next-page link of that answer,
/// the issue numbers the page held, and whether it was a full page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedEtag {
    pub etag: String,
    pub next: Option<String>,
    pub held: Vec<u64>,
    /// A full page without a next link may have grown a next page since: a 304 for it
    /// proves nothing about what follows, so it is not asked conditionally.
    pub full: bool,
}

/// The validator of a freshly fetched page, for the engine to store with the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageValidator {
    pub url: String,
    pub etag: String,
    pub next: Option<String>,
    pub full: bool,
}

/// One page of a bulk first import ([`Provider::import_page`]): issues in a stable
/// order (oldest created first) with their comments, as far as they fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPage {
    /// Issues only, never pull requests, as [`Provider::list_issues`] converts them.
    pub issues: Vec<RemoteIssue>,
    /// Comments of those issues, as [`Provider::list_issue_comments`] converts them.
    pub comments: Vec<RemoteComment>,
    /// Issues of this page that have more comments than came with it: the caller fetches
    /// theirs with [`Provider::list_issue_comments`].
    pub comments_incomplete: Vec<u64>,
    /// The next page's token, if any (opaque).
    pub next: Option<String>,
    /// The rate-limit points this page cost, when the tracker says.
    pub cost: Option<u64>,
    /// The newest `updated_at` of any issue in the repository when the page was served,
    /// by the tracker's clock: whatever changes after the import began is newer, so the
    /// cursors of the first import go no further than the first page's.
    pub newest_update: Option<Timestamp>,
}

/// How a tracker lists comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentListing {
    /// One listing for the whole repository, with `since` (GitHub, Gitea).
    RepoWide,
    /// Per issue only (GitLab notes): fetch them for issues whose `updated_at` moved.
    PerIssue,
}

/// A set-valued field change: the wanted set, and what that adds and removes relative
/// to the tracker's current set. Adapters send whichever form their API takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetChange {
    pub desired: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl SetChange {
    /// The change from `current` to `desired`.
    pub fn between(current: &[String], desired: &[String]) -> Self {
        let desired = crate::model::normalize_set(desired.iter().cloned());
        let added = desired
            .iter()
            .filter(|d| !current.contains(d))
            .cloned()
            .collect();
        let removed =
            crate::model::normalize_set(current.iter().filter(|c| !desired.contains(c)).cloned());
        Self {
            desired,
            added,
            removed,
        }
    }
}

/// The fields to change on an issue; `None` leaves a field as it is. Adapters send only
/// these fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    pub state: Option<IssueState>,
    /// GitHub only; sent only together with `state`.
    pub state_reason: Option<Option<String>>,
    pub labels: Option<SetChange>,
    pub assignees: Option<SetChange>,
    /// By title; `Some(None)` clears the milestone.
    pub milestone: Option<Option<String>>,
}

impl IssueChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A new issue to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRemoteIssue {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// By title.
    pub milestone: Option<String>,
}

/// Which issues a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueListing {
    /// Only issues updated at or after this time; `None` lists all.
    pub since: Option<Timestamp>,
    /// Only issues carrying every one of these labels.
    pub labels: Vec<String>,
    /// Only issues in the milestone with this title.
    pub milestone: Option<String>,
    /// Newest created first instead of oldest updated first (the marker lookup after an
    /// ambiguous create walks back from the newest issue; Gitea lists that way anyway).
    pub newest_created_first: bool,
    /// Send `since` as it is: a listing that goes on from a page's newest time. Without
    /// it an adapter may round `since` down (GitHub: to its day, for free 304s).
    pub exact_since: bool,
}

impl IssueListing {
    /// Whether an issue carries every label of the listing and is in its milestone.
    /// Adapters check this on every listed issue: Gitea drops filter names it does not
    /// know (and with none left filters nothing), and a dropped filter must not leak
    /// unrelated issues into a partial mirror.
    pub fn matches(&self, issue: &RemoteIssue) -> bool {
        let labels_ok = self
            .labels
            .iter()
            .all(|wanted| issue.labels.iter().any(|l| &l.name == wanted));
        let milestone_ok = match &self.milestone {
            Some(wanted) => issue.milestone.as_ref().is_some_and(|m| &m.title == wanted),
            None => true,
        };
        labels_ok && milestone_ok
    }
}

/// How a tracker orders an issue listing, which decides when a cursor may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingOrder {
    /// Oldest update first: the cursor may move after every page.
    UpdatedAscending,
    /// A listing with `since` comes newest update first (without, oldest first): any
    /// change lands on its first page, so an unchanged first page (304) ends it, and so
    /// does the first page that reaches back past `since`; the cursor moves only after
    /// the listing, to the newest time it saw (GitHub).
    UpdatedDescendingSince,
    /// No usable order (Gitea): the cursor moves only after the last page.
    Unordered,
}

/// A tracker's answer to "is this really a tracker of this kind".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceInfo {
    pub version: Option<String>,
}

/// Why a tracker request failed. Messages name the problem and the fix, never a token.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the tracker rejected the token (401): check it, or create a new one with read access to issues")]
    Unauthorized,
    #[error("the tracker refused access (403){}", fmt_message(.message))]
    Forbidden { message: Option<String> },
    #[error("not found on the tracker (404): {what}")]
    NotFound { what: String },
    #[error("gone from the tracker (410): {what}")]
    Gone { what: String },
    #[error("moved on the tracker: {what} is now at {to}")]
    Moved { what: String, to: String },
    #[error("rate limited by the tracker; try again after {retry_at}")]
    RateLimited { retry_at: Timestamp },
    #[error("the tracker reports a conflicting change (409)")]
    Conflict,
    #[error("the tracker rejected the request (422): {message}")]
    Validation { message: String },
    #[error("this needs a token: the connection is anonymous (add one with `issuesync connection add … --token-stdin`)")]
    NeedsToken,
    #[error("cannot reach {url}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("request to {url} failed")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the tracker answered {status} for {url}")]
    Server { status: u16, url: String },
    #[error("unexpected answer from {url}: {source}")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the tracker sent a page link to another host ({url}); refusing to follow it with the token")]
    ForeignLink { url: String },
    #[error("{host} sent an answer larger than {limit_mib} MiB; refused (what is stored stays)")]
    TooLarge { host: String, limit_mib: usize },
    #[error("{host} keeps paging: {problem}; stopped (what is stored stays)")]
    EndlessListing { host: String, problem: String },
    #[error("{host} refused the query: {message}")]
    QueryFailed { host: String, message: String },
    #[error("{0}")]
    InvalidInput(String),
    #[error("the tracker answered a write with an unexpected status {status} for {url}")]
    UnexpectedStatus { status: u16, url: String },
}

fn fmt_message(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

impl ProviderError {
    /// A stable code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Gone { .. } => "gone",
            Self::Moved { .. } => "moved",
            Self::RateLimited { .. } => "rate_limited",
            Self::Conflict => "conflict",
            Self::Validation { .. } => "validation",
            Self::NeedsToken => "needs_token",
            Self::Unreachable { .. } => "unreachable",
            Self::Transport { .. } | Self::Server { .. } => "transport",
            Self::Decode { .. }
            | Self::ForeignLink { .. }
            | Self::TooLarge { .. }
            | Self::EndlessListing { .. }
            | Self::QueryFailed { .. } => "bad_response",
            Self::InvalidInput(_) => "invalid_input",
            Self::UnexpectedStatus { .. } => "bad_response",
        }
    }

    /// Whether retrying later may succeed without the person doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Unreachable { .. }
                | Self::Transport { .. }
                | Self::Server { .. }
        )
    }
}

/// What every tracker adapter offers the sync engine.
#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// How [`Provider::list_issues`] orders its results.
    fn listing_order(&self) -> ListingOrder;

    /// How comments are listed.
    fn comment_listing(&self) -> CommentListing;

    /// Checks that the API root answers like this kind of tracker. Works anonymously.
    async fn probe(&self) -> Result<InstanceInfo, ProviderError>;

    /// The user the token belongs to. [`ProviderError::NeedsToken`] when anonymous.
    async fn whoami(&self) -> Result<User, ProviderError>;

    /// Repositories the token can see (anonymous: public ones), at most `limit`.
    async fn list_repos(&self, limit: usize) -> Result<Vec<RemoteRepo>, ProviderError>;

    /// One repository by `owner/name` (GitLab: full path).
    async fn get_repo(&self, full_path: &str) -> Result<RemoteRepo, ProviderError>;

    /// One repository by the tracker's id, under the path it has now. Trackers that
    /// redirect the old path of a renamed or transferred repository (GitHub) answer it, so
    /// a sync can follow the move; the others return `None` without asking.
    async fn get_repo_by_id(&self, remote_id: i64) -> Result<Option<RemoteRepo>, ProviderError> {
        let _ = remote_id;
        Ok(None)
    }

    /// All labels of a repository.
    async fn list_labels(&self, full_path: &str) -> Result<Vec<Label>, ProviderError>;

    /// All milestones of a repository, open and closed.
    async fn list_milestones(&self, full_path: &str) -> Result<Vec<Milestone>, ProviderError>;

    /// People who can be assigned issues in a repository.
    async fn list_assignable_users(&self, full_path: &str) -> Result<Vec<User>, ProviderError>;

    /// One page of issues (never pull requests); `page` is the previous page's `next`.
    async fn list_issues(
        &self,
        full_path: &str,
        listing: &IssueListing,
        page: Option<&str>,
    ) -> Result<Page<RemoteIssue>, ProviderError>;

    /// One issue by number, with its version. A deleted issue is
    /// [`ProviderError::NotFound`] or `Gone`; a transferred one `Moved`.
    async fn get_issue(&self, full_path: &str, number: u64) -> Result<RemoteIssue, ProviderError>;

    /// The issue only if it changed since `version` was read (by ETag where the tracker
    /// has them); `None` means unchanged. Trackers without ETags always return it.
    async fn get_issue_if_changed(
        &self,
        full_path: &str,
        number: u64,
        version: &RemoteVersion,
    ) -> Result<Option<RemoteIssue>, ProviderError> {
        let _ = version;
        self.get_issue(full_path, number).await.map(Some)
    }

    /// One page of comments on the repository's issues updated at or after `since`
    /// ([`CommentListing::RepoWide`] trackers).
    async fn list_comments(
        &self,
        full_path: &str,
        since: Option<Timestamp>,
        page: Option<&str>,
    ) -> Result<Page<RemoteComment>, ProviderError>;

    /// All comments of one issue (system notes excluded).
    async fn list_issue_comments(
        &self,
        full_path: &str,
        number: u64,
    ) -> Result<Vec<RemoteComment>, ProviderError>;

    /// One page of a bulk first import of every issue with its comments (`cursor`: the
    /// previous page's `next`). `None`: this tracker (or this connection: anonymous, or
    /// an instance without the endpoint) offers none, and the caller lists by REST.
    async fn import_page(
        &self,
        full_path: &str,
        cursor: Option<&str>,
    ) -> Result<Option<ImportPage>, ProviderError> {
        let _ = (full_path, cursor);
        Ok(None)
    }

    /// Changes the given fields and returns the issue as the tracker now has it.
    /// `expected` is the version the changes were based on; trackers with
    /// compare-and-swap (Gitea's `content_version`) refuse a stale one with
    /// [`ProviderError::Conflict`].
    async fn update_issue(
        &self,
        full_path: &str,
        number: u64,
        changes: &IssueChanges,
        expected: &RemoteVersion,
    ) -> Result<RemoteIssue, ProviderError>;

    /// Creates an issue. Not idempotent: after an ambiguous failure the caller looks for
    /// it (by the marker in its body, in a listing) before trying again.
    async fn create_issue(
        &self,
        full_path: &str,
        issue: &NewRemoteIssue,
    ) -> Result<RemoteIssue, ProviderError>;

    /// Adds a comment. Not idempotent either.
    async fn add_comment(
        &self,
        full_path: &str,
        number: u64,
        body: &str,
    ) -> Result<RemoteComment, ProviderError>;

    /// The repository's webhooks (needs admin rights on it: a 403 or 404 otherwise).
    async fn list_hooks(&self, full_path: &str) -> Result<Vec<RemoteHook>, ProviderError>;

    /// Creates a webhook for issue and comment events that posts JSON to `url`, signed
    /// with `secret`. Not idempotent: the caller lists first.
    async fn create_hook(
        &self,
        full_path: &str,
        url: &str,
        secret: &Secret,
    ) -> Result<RemoteHook, ProviderError>;

    /// Deletes the webhook `id` of the repository.
    async fn delete_hook(&self, full_path: &str, id: i64) -> Result<(), ProviderError>;
}

/// A webhook on a tracker, as its API lists it (the secret is never read back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct RemoteHook {
    pub id: i64,
    /// Where the tracker delivers.
    pub url: String,
    /// The tracker's names of the events it delivers.
    pub events: Vec<String>,
    pub active: bool,
}

/// How to reach one tracker.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub kind: ProviderKind,
    pub api_url: String,
    pub web_url: String,
    pub token: Option<Secret>,
    pub retry: RetryPolicy,
    /// Where ETags of listing URLs are kept between runs.
    pub cache: Option<Arc<dyn ConditionalCache>>,
}

impl std::fmt::Debug for dyn ConditionalCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConditionalCache")
    }
}

/// Builds the adapter for an endpoint.
///
/// # Errors
/// [`ProviderError::InvalidInput`] when the API URL is unusable or the provider has no
/// adapter yet.
pub fn connect(endpoint: Endpoint) -> Result<Box<dyn Provider>, ProviderError> {
    match endpoint.kind {
        ProviderKind::Gitea => Ok(Box::new(gitea::Gitea::new(endpoint)?)),
        ProviderKind::Github => Ok(Box::new(github::GitHub::new(endpoint)?)),
        ProviderKind::Gitlab => Ok(Box::new(gitlab::GitLab::new(endpoint)?)),
    }
}

/// What a tracker of `kind` does to the values we send, before anything was learned
/// about the instance (see [`Capabilities::with_assignees`]).
///
/// - GitHub: labels and logins match without regard to case and keep the repository's
///   spelling; any number of assignees (up to 10); closing without a reason gives
///   `completed`, reopening `reopened`; bodies are stored as sent, but its web editor
///   posts CRLF; no compare-and-swap.
/// - GitLab: label names are exact (`Bug` and `bug` are two labels), usernames are not;
///   Free keeps one assignee, Premium many (learned per connection); no state reason;
///   no compare-and-swap in REST (`lock_version` is the web UI's).
/// - Gitea/Forgejo: labels (resolved to ids here) and logins match without regard to
///   case; many assignees; no state reason; `content_version` guards the body only —
///   title, state, assignees and milestone go in the same PATCH unguarded, labels through
///   their own endpoint.
///
/// Reads in flight per connection ([`Capabilities::parallel_reads`]); writes always go
/// one at a time:
/// - GitHub 4: its secondary limits allow at most 100 concurrent requests per user
///   (shared with GraphQL and every other client of that user) and 900 points a minute
///   per endpoint (a GET is 1), and ask for mutations one at a time, a second apart.
///   Four reads keep far below the first and, at a listing's usual few hundred
///   milliseconds, about at the second; a secondary-limit answer is backed off anyway.
/// - GitLab 4: GitLab.com allows 2,000 requests a minute per user and documents no
///   concurrency limit; self-managed instances set their own, so the same modest bound.
/// - Gitea/Forgejo 2: no API rate limiting at all (gitea #9559), often a small
///   self-hosted machine: the client throttles itself (requests 50 ms apart) and keeps
///   only two reads in flight.
pub fn capabilities(kind: ProviderKind) -> Capabilities {
    let body = BodyRules {
        line_endings: true,
        trailing_whitespace: true,
    };
    match kind {
        ProviderKind::Github => Capabilities {
            labels: NameMatching::CaseInsensitive,
            logins: NameMatching::CaseInsensitive,
            assignees: AssigneeCapacity::Many,
            state_reasons: true,
            body,
            guarded: &[],
            upload_hosts: &["*.githubusercontent.com"],
            uploads_under_project: false,
            parallel_reads: 4,
        },
        ProviderKind::Gitlab => Capabilities {
            labels: NameMatching::Exact,
            logins: NameMatching::CaseInsensitive,
            assignees: AssigneeCapacity::Unknown,
            state_reasons: false,
            body,
            guarded: &[],
            upload_hosts: &[],
            uploads_under_project: true,
            parallel_reads: 4,
        },
        ProviderKind::Gitea => Capabilities {
            labels: NameMatching::CaseInsensitive,
            logins: NameMatching::CaseInsensitive,
            assignees: AssigneeCapacity::Many,
            state_reasons: false,
            body,
            guarded: &[Field::Body],
            upload_hosts: &[],
            uploads_under_project: false,
            parallel_reads: 2,
        },
    }
}

/// Values shaped like (and unlike) an issue's JSON, for the adapters' decoding
/// properties: arbitrary bytes or JSON never make an adapter panic; a bad answer is a
/// typed error.
#[cfg(test)]
pub(crate) mod hostile_json {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const KEYS: &[&str] = &[
        "id",
        "number",
        "iid",
        "title",
        "body",
        "description",
        "state",
        "state_reason",
        "labels",
        "assignees",
        "assignee",
        "milestone",
        "user",
        "author",
        "login",
        "username",
        "name",
        "created_at",
        "updated_at",
        "closed_at",
        "html_url",
        "web_url",
        "url",
        "pull_request",
        "user_notes_count",
        "moved_to_id",
        "content_version",
        "issue_url",
        "color",
    ];

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            Just(json!(u64::MAX)),
            ".{0,12}".prop_map(Value::from),
            Just(json!("2026-01-05T10:00:00Z")),
            Just(json!("2026-13-45T99:99:99+25:00")),
            Just(json!("open")),
            Just(json!("opened")),
            Just(json!("closed")),
        ]
    }

    /// JSON values, objects keyed mostly by issue fields, nested a few levels.
    pub fn values() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..12).prop_map(
                    |pairs| {
                        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                    }
                ),
            ]
        })
    }

    /// Bytes: arbitrary ones, or the text of [`values`].
    pub fn bodies() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            values().prop_map(|v| v.to_string().into_bytes()),
            proptest::collection::vec(values(), 0..3)
                .prop_map(|v| Value::from(v).to_string().into_bytes()),
        ]
    }
}
