//! Trackers behind one trait. Each adapter (`gitea`, later `github`, `gitlab`) owns its
//! private wire types and converts them to [`crate::model`] at the edge.
//!
//! Invariants:
//! - This file is the only place that matches on [`ProviderKind`] to pick an adapter.
//! - Pull requests never leave an adapter: listings are issues only.
//! - Listings are paged and the sync engine stores each page before asking for the
//!   next, so a huge repository never sits in memory. A page token is opaque to callers.
//! - Errors are typed ([`ProviderError`]) and never contain the token.

pub mod gitea;
mod http;

use async_trait::async_trait;

pub use http::RetryPolicy;

use crate::model::{
    Label, Milestone, ProviderKind, RemoteComment, RemoteIssue, RemoteRepo, Timestamp, User,
};
use crate::secrets::Secret;

/// One page of a listing and the token of the next page, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
    /// The total number of items across all pages, when the tracker says.
    pub total: Option<u64>,
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
}

/// How a tracker orders an issue listing, which decides when a cursor may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingOrder {
    /// Oldest update first: the cursor may move after every page.
    UpdatedAscending,
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
    #[error("{0}")]
    InvalidInput(String),
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
            Self::Decode { .. } | Self::ForeignLink { .. } => "bad_response",
            Self::InvalidInput(_) => "invalid_input",
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

    /// Checks that the API root answers like this kind of tracker. Works anonymously.
    async fn probe(&self) -> Result<InstanceInfo, ProviderError>;

    /// The user the token belongs to. [`ProviderError::NeedsToken`] when anonymous.
    async fn whoami(&self) -> Result<User, ProviderError>;

    /// Repositories the token can see (anonymous: public ones), at most `limit`.
    async fn list_repos(&self, limit: usize) -> Result<Vec<RemoteRepo>, ProviderError>;

    /// One repository by `owner/name` (GitLab: full path).
    async fn get_repo(&self, full_path: &str) -> Result<RemoteRepo, ProviderError>;

    /// All labels of a repository.
    async fn list_labels(&self, full_path: &str) -> Result<Vec<Label>, ProviderError>;

    /// All milestones of a repository, open and closed.
    async fn list_milestones(&self, full_path: &str) -> Result<Vec<Milestone>, ProviderError>;

    /// One page of issues (never pull requests); `page` is the previous page's `next`.
    async fn list_issues(
        &self,
        full_path: &str,
        listing: &IssueListing,
        page: Option<&str>,
    ) -> Result<Page<RemoteIssue>, ProviderError>;

    /// One issue by number. A deleted issue is [`ProviderError::NotFound`] or `Gone`.
    async fn get_issue(&self, full_path: &str, number: u64) -> Result<RemoteIssue, ProviderError>;

    /// One page of comments on the repository's issues updated at or after `since`.
    async fn list_comments(
        &self,
        full_path: &str,
        since: Option<Timestamp>,
        page: Option<&str>,
    ) -> Result<Page<RemoteComment>, ProviderError>;
}

/// How to reach one tracker.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub kind: ProviderKind,
    pub api_url: String,
    pub web_url: String,
    pub token: Option<Secret>,
    pub retry: RetryPolicy,
}

/// Builds the adapter for an endpoint.
///
/// # Errors
/// [`ProviderError::InvalidInput`] when the API URL is unusable or the provider has no
/// adapter yet.
pub fn connect(endpoint: Endpoint) -> Result<Box<dyn Provider>, ProviderError> {
    match endpoint.kind {
        ProviderKind::Gitea => Ok(Box::new(gitea::Gitea::new(endpoint)?)),
        ProviderKind::Github | ProviderKind::Gitlab => Err(ProviderError::InvalidInput(format!(
            "syncing {} is not supported yet in this version; Gitea and Forgejo are",
            endpoint.kind.display_name()
        ))),
    }
}
