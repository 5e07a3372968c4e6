//! The Gitea / Forgejo adapter (API v1, `WEB_ROOT[/subpath]/api/v1`).
//!
//! Invariants:
//! - Wire types are private to this file and converted to [`crate::model`] here.
//! - Issue listings always send `type=issues`, so pull requests never arrive; a PR that
//!   slips through anyway (a server ignoring the parameter) is dropped by its non-null
//!   `pull_request`. Comments on pull requests are dropped by their empty `issue_url`.
//! - Pages are as large as the server serves: a server caps `limit` at its
//!   `[api] MAX_RESPONSE_ITEMS` silently, and says that value in `GET /settings/api`.
//!   The adapter asks it at most once per instance, and only for a listing that is
//!   likely to run to many pages (issues or comments without `since`: the first import
//!   and full syncs; more repositories than one default page). Every other listing uses
//!   the value if already known, else `limit=50` (Gitea's default), so an incremental
//!   round pays no extra request. Any failure there (404 on servers and forks without the
//!   route, 401, a body that does not decode) means 50; it never fails the sync. Pages
//!   are followed through `Link: rel="next"`, or by count where the listing has no `Link`.
//! - Gitea has no sort parameter on issue listings and no rate-limit headers, so the
//!   listing is [`ListingOrder::Unordered`].

use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::{HttpClient, Pacing, Response};
use super::{
    CommentListing, Endpoint, InstanceInfo, IssueChanges, IssueListing, ListingOrder,
    NewRemoteIssue, Page, Provider, ProviderError, RemoteHook,
};
use crate::model::{
    IssueState, Label, Milestone, ProviderKind, RemoteComment, RemoteIssue, RemoteRepo,
    RemoteVersion, Timestamp, User,
};
use crate::secrets::Secret;

/// Page size requested while the server's is unknown; Gitea's default
/// `MAX_RESPONSE_ITEMS`.
pub const PAGE_LIMIT: u32 = 50;

/// The largest page size requested, whatever a server says it allows. It bounds the
/// time and memory one page costs (and what a failed page costs to fetch again) on a
/// server that claims a huge or absurd `max_response_items`; GitHub and GitLab stop at
/// 100 too.
pub const MAX_PAGE_LIMIT: u32 = 100;

/// A Gitea or Forgejo instance.
pub struct Gitea {
    http: HttpClient,
    /// The page size from `GET /settings/api`, once asked (see the module doc).
    server_page: tokio::sync::OnceCell<u32>,
}

impl Gitea {
    /// An adapter for `endpoint.api_url` (`…/api/v1`).
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] when the URL or token cannot be used.
    pub fn new(endpoint: Endpoint) -> Result<Self, ProviderError> {
        let auth = match &endpoint.token {
            Some(token) => {
                let value =
                    HeaderValue::from_str(&format!("token {}", token.expose())).map_err(|_| {
                        ProviderError::InvalidInput(
                            "the token contains characters that cannot be sent in a header"
                                .to_string(),
                        )
                    })?;
                Some((AUTHORIZATION as HeaderName, value))
            }
            None => None,
        };
        // Gitea sends no rate-limit headers: pace ourselves (at most ~20 requests/s).
        let http = HttpClient::new(&endpoint.api_url, auth, endpoint.retry)?
            .with_pacing(Pacing {
                min_interval: std::time::Duration::from_millis(50),
                min_write_interval: std::time::Duration::from_millis(200),
            })
            .with_parallel_reads(super::capabilities(endpoint.kind).parallel_reads);
        Ok(Self {
            http,
            server_page: tokio::sync::OnceCell::new(),
        })
    }

    /// The page size to request. A listing that is likely `long` asks the server for
    /// its maximum the first time; others take it if known, else [`PAGE_LIMIT`].
    async fn page_size(&self, long: bool) -> u32 {
        if let Some(&size) = self.server_page.get() {
            return size;
        }
        if !long {
            return PAGE_LIMIT;
        }
        *self
            .server_page
            .get_or_init(|| self.fetch_page_size())
            .await
    }

    /// The server's `max_response_items` as a page size, [`PAGE_LIMIT`] on any failure.
    async fn fetch_page_size(&self) -> u32 {
        let url = self.http.endpoint(&["settings", "api"]);
        let settings = self
            .http
            .get(url, "the API settings (/api/v1/settings/api)")
            .await
            .and_then(|response| response.json::<wire::ApiSettings>());
        match settings {
            Ok(settings) => page_size_from(settings.max_response_items),
            Err(_) => PAGE_LIMIT,
        }
    }

    fn needs_token(&self) -> Result<(), ProviderError> {
        if self.http.has_auth() {
            Ok(())
        } else {
            Err(ProviderError::NeedsToken)
        }
    }

    fn issue_url(&self, full_path: &str, number: u64) -> Result<reqwest::Url, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        Ok(self
            .http
            .endpoint(&["repos", &owner, &name, "issues", &number.to_string()]))
    }

    /// Label ids for names; Gitea's write APIs take ids (older servers only ids).
    async fn label_ids(
        &self,
        full_path: &str,
        names: &[String],
    ) -> Result<Vec<i64>, ProviderError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let labels = self.list_labels(full_path).await?;
        names
            .iter()
            .map(|name| {
                // Gitea matches names without regard to case (its spelling wins);
                // an exact match is preferred where a repository has both.
                labels
                    .iter()
                    .find(|l| &l.name == name)
                    .or_else(|| {
                        labels
                            .iter()
                            .find(|l| l.name.to_lowercase() == name.to_lowercase())
                    })
                    .and_then(|l| l.remote_id)
                    .ok_or_else(|| ProviderError::Validation {
                        message: format!("label {name:?} does not exist in {full_path}"),
                    })
            })
            .collect()
    }

    /// Refuses logins that cannot be assigned in the repository. Gitea's issue edit
    /// answers an unknown or unassignable login with a 500 after it has already saved
    /// the title and body, so the check has to happen before the write.
    async fn check_assignable(
        &self,
        full_path: &str,
        logins: &[String],
    ) -> Result<(), ProviderError> {
        if logins.is_empty() {
            return Ok(());
        }
        let assignable = self.list_assignable_users(full_path).await?;
        let unknown: Vec<&str> = logins
            .iter()
            .filter(|l| !assignable.iter().any(|u| u.login.eq_ignore_ascii_case(l)))
            .map(String::as_str)
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(ProviderError::Validation {
                message: format!(
                    "{} cannot be assigned in {full_path} (not a collaborator, or no such user)",
                    unknown.join(", ")
                ),
            })
        }
    }

    /// The id of the milestone titled `title`.
    async fn milestone_id(&self, full_path: &str, title: &str) -> Result<i64, ProviderError> {
        self.list_milestones(full_path)
            .await?
            .into_iter()
            .find(|m| m.title == title)
            .map(|m| m.remote_id)
            .ok_or_else(|| ProviderError::Validation {
                message: format!("milestone {title:?} does not exist in {full_path}"),
            })
    }

    fn decode_issue(response: &Response) -> Result<RemoteIssue, ProviderError> {
        let wire: wire::Issue = response.json()?;
        RemoteIssue::try_from(wire).map_err(|source| ProviderError::Decode {
            url: response.url.to_string(),
            source,
        })
    }

    fn repo_segments(full_path: &str) -> Result<(String, String), ProviderError> {
        match full_path.split_once('/') {
            Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok((owner.to_string(), name.to_string()))
            }
            _ => Err(ProviderError::InvalidInput(format!(
                "{full_path:?} is not a Gitea repository path: expected OWNER/REPO"
            ))),
        }
    }

    /// The first page URL, or the page token turned back into a URL.
    fn page_url(
        &self,
        page: Option<&str>,
        first: impl FnOnce() -> reqwest::Url,
    ) -> Result<reqwest::Url, ProviderError> {
        match page {
            Some(token) => self.http.own_url(token),
            None => Ok(first()),
        }
    }

    async fn all_pages<W, T>(
        &self,
        first: reqwest::Url,
        what: &str,
        convert: impl Fn(W) -> Option<T>,
    ) -> Result<Vec<T>, ProviderError>
    where
        W: for<'de> Deserialize<'de>,
    {
        let mut items = Vec::new();
        let mut url = first;
        loop {
            let response = self.http.get(url, what).await?;
            let page: Vec<W> = response.json()?;
            items.extend(page.into_iter().filter_map(&convert));
            match response.next_link() {
                Some(next) => url = self.http.own_url(&next)?,
                None => return Ok(items),
            }
        }
    }
}

/// A page size from a server's `max_response_items`: at most [`MAX_PAGE_LIMIT`]; a
/// missing, zero or negative value is not usable and gives [`PAGE_LIMIT`].
fn page_size_from(max_response_items: Option<i64>) -> u32 {
    match max_response_items {
        Some(n) if n > 0 => u32::try_from(n.min(i64::from(MAX_PAGE_LIMIT))).unwrap_or(PAGE_LIMIT),
        _ => PAGE_LIMIT,
    }
}

fn next_and_total(response: &Response) -> (Option<String>, Option<u64>) {
    (response.next_link(), response.header_u64("x-total-count"))
}

/// The `page` query parameter of a listing URL (1 when absent or unreadable).
fn page_param(url: &reqwest::Url) -> u64 {
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}

/// The `limit` query parameter of a listing URL ([`PAGE_LIMIT`] when absent or unreadable;
/// the adapter's own URLs always carry one).
fn limit_param(url: &reqwest::Url) -> u64 {
    url.query_pairs()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(u64::from(PAGE_LIMIT))
}

/// The next page of a listing that has no `Link` header, from its `X-Total-Count`.
///
/// Every page but the last holds the server's page size: the URL's `limit`, unless the
/// server caps it lower. A short first page with more to come shows such a cap; the next
/// URL then asks that size, so on every later page a short page is the last one and a
/// full one is followed while `page * size < total` (a listing whose last page is short
/// costs no extra request). Without a total, a full page means "maybe more".
fn next_page_by_count(
    url: &reqwest::Url,
    page: u64,
    len: usize,
    total: Option<u64>,
) -> Option<String> {
    let limit = limit_param(url);
    let len = len as u64;
    let capped = page == 1 && len < limit && total.is_some_and(|total| len < total);
    // A server that ignores `limit` and sends more pages by its own size.
    let size = if capped || len > limit { len } else { limit };
    let more = len > 0
        && len >= size
        && match total {
            Some(total) => page * size < total,
            None => true,
        };
    if !more {
        return None;
    }
    let next_limit = size.min(limit).to_string();
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| {
            let v = if k == "limit" {
                next_limit.clone()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if capped && !pairs.iter().any(|(k, _)| k == "limit") {
        pairs.push(("limit".to_string(), next_limit));
    }
    let mut next = url.clone();
    {
        let mut q = next.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        q.append_pair("page", &(page + 1).to_string());
    }
    Some(next.to_string())
}

#[async_trait]
impl Provider for Gitea {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Gitea
    }

    fn listing_order(&self) -> ListingOrder {
        ListingOrder::Unordered
    }

    fn comment_listing(&self) -> CommentListing {
        CommentListing::RepoWide
    }

    async fn probe(&self) -> Result<InstanceInfo, ProviderError> {
        let response = self
            .http
            .get(
                self.http.endpoint(&["version"]),
                "the Gitea API (/api/v1/version)",
            )
            .await?;
        let version: wire::ServerVersion = response.json()?;
        Ok(InstanceInfo {
            version: Some(version.version),
        })
    }

    async fn whoami(&self) -> Result<User, ProviderError> {
        if !self.http.has_auth() {
            return Err(ProviderError::NeedsToken);
        }
        let response = self
            .http
            .get(self.http.endpoint(&["user"]), "the current user")
            .await?;
        Ok(response.json::<wire::User>()?.into())
    }

    async fn list_repos(&self, limit: usize) -> Result<Vec<RemoteRepo>, ProviderError> {
        let mut repos = Vec::new();
        // Asking the server's page size pays off only beyond one default page.
        let page_size = self.page_size(limit > PAGE_LIMIT as usize).await;
        let mut url = if self.http.has_auth() {
            self.http.endpoint(&["user", "repos"])
        } else {
            self.http.endpoint(&["repos", "search"])
        };
        url.query_pairs_mut()
            .append_pair("limit", &page_size.to_string());
        loop {
            let response = self.http.get(url, "the repository list").await?;
            let page: Vec<wire::Repository> = if self.http.has_auth() {
                response.json()?
            } else {
                response.json::<wire::SearchResults>()?.data
            };
            repos.extend(page.into_iter().map(RemoteRepo::from));
            if repos.len() >= limit {
                repos.truncate(limit);
                return Ok(repos);
            }
            match response.next_link() {
                Some(next) => url = self.http.own_url(&next)?,
                None => return Ok(repos),
            }
        }
    }

    async fn get_repo(&self, full_path: &str) -> Result<RemoteRepo, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        let response = self
            .http
            .get(
                self.http.endpoint(&["repos", &owner, &name]),
                &format!("repository {full_path}"),
            )
            .await?;
        Ok(response.json::<wire::Repository>()?.into())
    }

    async fn list_labels(&self, full_path: &str) -> Result<Vec<Label>, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        let mut url = self.http.endpoint(&["repos", &owner, &name, "labels"]);
        let page_size = self.page_size(false).await;
        url.query_pairs_mut()
            .append_pair("limit", &page_size.to_string());
        self.all_pages(url, &format!("labels of {full_path}"), |l: wire::Label| {
            Some(l.into())
        })
        .await
    }

    async fn list_milestones(&self, full_path: &str) -> Result<Vec<Milestone>, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        let mut url = self.http.endpoint(&["repos", &owner, &name, "milestones"]);
        let page_size = self.page_size(false).await;
        url.query_pairs_mut()
            .append_pair("state", "all")
            .append_pair("limit", &page_size.to_string());
        self.all_pages(
            url,
            &format!("milestones of {full_path}"),
            |m: wire::Milestone| Some(m.into()),
        )
        .await
    }

    async fn list_issues(
        &self,
        full_path: &str,
        listing: &IssueListing,
        page: Option<&str>,
    ) -> Result<Page<RemoteIssue>, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        // A listing without `since` runs through the whole repository; the marker lookup
        // (newest created first) mostly stops at its first page.
        // A page token carries its own `limit`.
        let page_size = match page {
            Some(_) => PAGE_LIMIT,
            None => {
                self.page_size(listing.since.is_none() && !listing.newest_created_first)
                    .await
            }
        };
        let url = self.page_url(page, || {
            let mut url = self.http.endpoint(&["repos", &owner, &name, "issues"]);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("state", "all").append_pair("type", "issues");
                if !listing.labels.is_empty() {
                    q.append_pair("labels", &listing.labels.join(","));
                }
                if let Some(milestone) = &listing.milestone {
                    q.append_pair("milestones", milestone);
                }
                if let Some(since) = listing.since {
                    q.append_pair("since", &since.to_string());
                }
                q.append_pair("page", "1")
                    .append_pair("limit", &page_size.to_string());
            }
            url
        })?;
        let response = self
            .http
            .get(url, &format!("issues of {full_path}"))
            .await?;
        let wire: Vec<wire::Issue> = response.json()?;
        let (next, total) = next_and_total(&response);
        let items: Vec<RemoteIssue> = wire
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .map(RemoteIssue::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| ProviderError::Decode {
                url: response.url.to_string(),
                source,
            })?
            .into_iter()
            // Gitea drops label and milestone names the repository does not have, and
            // with none left it does not filter at all: check every issue here too.
            .filter(|issue| listing.matches(issue))
            .collect();
        Ok(Page::fresh(items, next, total))
    }

    async fn get_issue(&self, full_path: &str, number: u64) -> Result<RemoteIssue, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        let response = self
            .http
            .get(
                self.http
                    .endpoint(&["repos", &owner, &name, "issues", &number.to_string()]),
                &format!("issue {full_path}#{number}"),
            )
            .await?;
        let wire: wire::Issue = response.json()?;
        if wire.pull_request.is_some() {
            return Err(ProviderError::NotFound {
                what: format!("issue {full_path}#{number} (it is a pull request)"),
            });
        }
        RemoteIssue::try_from(wire).map_err(|source| ProviderError::Decode {
            url: response.url.to_string(),
            source,
        })
    }

    async fn list_assignable_users(&self, full_path: &str) -> Result<Vec<User>, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        let response = self
            .http
            .get(
                self.http.endpoint(&["repos", &owner, &name, "assignees"]),
                &format!("assignees of {full_path}"),
            )
            .await?;
        let users: Vec<wire::User> = response.json()?;
        Ok(users.into_iter().map(User::from).collect())
    }

    async fn list_issue_comments(
        &self,
        full_path: &str,
        number: u64,
    ) -> Result<Vec<RemoteComment>, ProviderError> {
        let mut url = self.issue_url(full_path, number)?;
        url.path_segments_mut()
            .map_err(|_| ProviderError::InvalidInput("bad URL".into()))?
            .push("comments");
        let response = self
            .http
            .get(url, &format!("comments of {full_path}#{number}"))
            .await?;
        let wire: Vec<wire::Comment> = response.json()?;
        let mut comments = Vec::with_capacity(wire.len());
        for comment in wire {
            let converted =
                comment
                    .into_model(Some(number))
                    .map_err(|source| ProviderError::Decode {
                        url: response.url.to_string(),
                        source,
                    })?;
            comments.extend(converted);
        }
        Ok(comments)
    }

    async fn update_issue(
        &self,
        full_path: &str,
        number: u64,
        changes: &IssueChanges,
        expected: &RemoteVersion,
    ) -> Result<RemoteIssue, ProviderError> {
        self.http
            .has_auth()
            .then_some(())
            .ok_or(ProviderError::NeedsToken)?;
        let what = format!("issue {full_path}#{number}");
        // Everything that can be refused is checked before the first write, so a
        // refusal leaves the issue as it was.
        // Labels change by additions and removals (`POST …/labels`, `DELETE
        // …/labels/{id}`), never by replacing the set: the labels request is not guarded
        // by `content_version`, and a delta cannot undo a label someone else changed
        // meanwhile.
        let label_delta = match &changes.labels {
            Some(labels) => Some((
                self.label_ids(full_path, &labels.added).await?,
                self.label_ids(full_path, &labels.removed).await?,
            )),
            None => None,
        };
        let mut patch = Map::new();
        if let Some(title) = &changes.title {
            patch.insert("title".into(), json!(title));
        }
        if let Some(body) = &changes.body {
            patch.insert("body".into(), json!(body));
        }
        if let Some(state) = changes.state {
            patch.insert("state".into(), json!(state.as_str()));
        }
        if let Some(assignees) = &changes.assignees {
            self.check_assignable(full_path, &assignees.added).await?;
            patch.insert("assignees".into(), json!(assignees.desired));
        }
        if let Some(milestone) = &changes.milestone {
            let id = match milestone {
                Some(title) => self.milestone_id(full_path, title).await?,
                None => 0,
            };
            patch.insert("milestone".into(), json!(id));
        }
        if !patch.is_empty() {
            if let Some(version) = expected.content_version {
                patch.insert("content_version".into(), json!(version));
            }
            self.http
                .write(
                    Method::PATCH,
                    self.issue_url(full_path, number)?,
                    &Value::Object(patch),
                    &what,
                )
                .await?;
        }
        if let Some((added, removed)) = label_delta {
            let labels_url = |id: Option<i64>| -> Result<reqwest::Url, ProviderError> {
                let mut url = self.issue_url(full_path, number)?;
                let mut segments = url
                    .path_segments_mut()
                    .map_err(|_| ProviderError::InvalidInput("bad URL".into()))?;
                segments.push("labels");
                if let Some(id) = id {
                    segments.push(&id.to_string());
                }
                drop(segments);
                Ok(url)
            };
            if !added.is_empty() {
                self.http
                    .write(
                        Method::POST,
                        labels_url(None)?,
                        &json!({ "labels": added }),
                        &what,
                    )
                    .await?;
            }
            for id in removed {
                self.http
                    .write_without_body(Method::DELETE, labels_url(Some(id))?, &what)
                    .await?;
            }
        }
        self.get_issue(full_path, number).await
    }

    async fn create_issue(
        &self,
        full_path: &str,
        issue: &NewRemoteIssue,
    ) -> Result<RemoteIssue, ProviderError> {
        self.http
            .has_auth()
            .then_some(())
            .ok_or(ProviderError::NeedsToken)?;
        let (owner, name) = Self::repo_segments(full_path)?;
        let mut body = json!({
            "title": issue.title,
            "body": issue.body,
            "assignees": issue.assignees,
            "labels": self.label_ids(full_path, &issue.labels).await?,
        });
        if let Some(title) = &issue.milestone {
            body["milestone"] = json!(self.milestone_id(full_path, title).await?);
        }
        let response = self
            .http
            .write(
                Method::POST,
                self.http.endpoint(&["repos", &owner, &name, "issues"]),
                &body,
                &format!("issues of {full_path}"),
            )
            .await?;
        Self::decode_issue(&response)
    }

    async fn add_comment(
        &self,
        full_path: &str,
        number: u64,
        body: &str,
    ) -> Result<RemoteComment, ProviderError> {
        self.http
            .has_auth()
            .then_some(())
            .ok_or(ProviderError::NeedsToken)?;
        let mut url = self.issue_url(full_path, number)?;
        url.path_segments_mut()
            .map_err(|_| ProviderError::InvalidInput("bad URL".into()))?
            .push("comments");
        let response = self
            .http
            .write(
                Method::POST,
                url,
                &json!({ "body": body }),
                &format!("issue {full_path}#{number}"),
            )
            .await?;
        let wire: wire::Comment = response.json()?;
        wire.into_model(Some(number))
            .map_err(|source| ProviderError::Decode {
                url: response.url.to_string(),
                source,
            })?
            .ok_or_else(|| ProviderError::UnexpectedStatus {
                status: response.status.as_u16(),
                url: response.url.to_string(),
            })
    }

    async fn list_comments(
        &self,
        full_path: &str,
        since: Option<Timestamp>,
        page: Option<&str>,
    ) -> Result<Page<RemoteComment>, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        // A page token carries its own `limit`.
        let page_size = match page {
            Some(_) => PAGE_LIMIT,
            None => self.page_size(since.is_none()).await,
        };
        let url = self.page_url(page, || {
            let mut url = self
                .http
                .endpoint(&["repos", &owner, &name, "issues", "comments"]);
            {
                let mut q = url.query_pairs_mut();
                if let Some(since) = since {
                    q.append_pair("since", &since.to_string());
                }
                q.append_pair("page", "1")
                    .append_pair("limit", &page_size.to_string());
            }
            url
        })?;
        let page_number = page_param(&url);
        let response = self
            .http
            .get(url.clone(), &format!("comments of {full_path}"))
            .await?;
        let wire: Vec<wire::Comment> = response.json()?;
        // This listing sends `X-Total-Count` but no `Link`: page by number.
        let total = response.header_u64("x-total-count");
        let next = next_page_by_count(&url, page_number, wire.len(), total);
        let mut items = Vec::with_capacity(wire.len());
        for comment in wire {
            if let Some(converted) =
                comment
                    .into_model(None)
                    .map_err(|source| ProviderError::Decode {
                        url: response.url.to_string(),
                        source,
                    })?
            {
                items.push(converted);
            }
        }
        Ok(Page::fresh(items, next, total))
    }

    async fn list_hooks(&self, full_path: &str) -> Result<Vec<RemoteHook>, ProviderError> {
        self.needs_token()?;
        let (owner, name) = Self::repo_segments(full_path)?;
        let what = format!("webhooks of {full_path}");
        let mut hooks = Vec::new();
        for page in 1..=100u32 {
            let mut url = self.http.endpoint(&["repos", &owner, &name, "hooks"]);
            url.query_pairs_mut()
                .append_pair("limit", "50")
                .append_pair("page", &page.to_string());
            let response = self.http.get(url, &what).await?;
            let wire: Vec<hook_wire::Hook> = response.json()?;
            let last = wire.is_empty() || response.next_link().is_none();
            hooks.extend(wire.into_iter().map(RemoteHook::from));
            if last {
                break;
            }
        }
        Ok(hooks)
    }

    async fn create_hook(
        &self,
        full_path: &str,
        url: &str,
        secret: &Secret,
    ) -> Result<RemoteHook, ProviderError> {
        self.needs_token()?;
        let (owner, name) = Self::repo_segments(full_path)?;
        let body = json!({
            "type": "gitea",
            "active": true,
            "events": ["issues", "issue_comment"],
            "config": {
                "url": url,
                "content_type": "json",
                "secret": secret.expose(),
            },
        });
        let response = self
            .http
            .write(
                Method::POST,
                self.http.endpoint(&["repos", &owner, &name, "hooks"]),
                &body,
                &format!("webhooks of {full_path}"),
            )
            .await?;
        Ok(RemoteHook::from(response.json::<hook_wire::Hook>()?))
    }

    async fn delete_hook(&self, full_path: &str, id: i64) -> Result<(), ProviderError> {
        self.needs_token()?;
        let (owner, name) = Self::repo_segments(full_path)?;
        self.http
            .write_without_body(
                Method::DELETE,
                self.http
                    .endpoint(&["repos", &owner, &name, "hooks", &id.to_string()]),
                &format!("webhook {id} of {full_path}"),
            )
            .await?;
        Ok(())
    }
}

impl From<wire::User> for User {
    fn from(u: wire::User) -> Self {
        User {
            remote_id: u.id,
            login: u.login.or(u.username).unwrap_or_default(),
            display_name: u.full_name.filter(|n| !n.is_empty()),
            avatar_url: u.avatar_url.filter(|a| !a.is_empty()),
        }
    }
}

impl From<wire::Label> for Label {
    fn from(l: wire::Label) -> Self {
        Label {
            remote_id: Some(l.id),
            name: l.name,
            color: l
                .color
                .map(|c| c.trim_start_matches('#').to_ascii_lowercase())
                .filter(|c| !c.is_empty()),
            description: l.description.filter(|d| !d.is_empty()),
        }
    }
}

impl From<wire::Milestone> for Milestone {
    fn from(m: wire::Milestone) -> Self {
        Milestone {
            remote_id: m.id,
            title: m.title,
            state: m.state,
            due_on: m.due_on.as_deref().and_then(|t| Timestamp::parse(t).ok()),
        }
    }
}

impl From<wire::Repository> for RemoteRepo {
    fn from(r: wire::Repository) -> Self {
        RemoteRepo {
            remote_id: r.id,
            full_path: r.full_name,
            description: r.description.filter(|d| !d.is_empty()),
            private: r.private,
            web_url: r.html_url,
        }
    }
}

fn parse_time(text: &str) -> Result<Timestamp, serde_json::Error> {
    Timestamp::parse(text).map_err(|e| {
        <serde_json::Error as serde::de::Error>::custom(format!("bad timestamp {text:?}: {e}"))
    })
}

impl TryFrom<wire::Issue> for RemoteIssue {
    type Error = serde_json::Error;
    fn try_from(i: wire::Issue) -> Result<Self, Self::Error> {
        let state: IssueState = i
            .state
            .parse()
            .map_err(<serde_json::Error as serde::de::Error>::custom)?;
        let mut assignees: Vec<User> = i
            .assignees
            .unwrap_or_default()
            .into_iter()
            .map(User::from)
            .collect();
        if assignees.is_empty() {
            assignees.extend(i.assignee.map(User::from));
        }
        Ok(RemoteIssue {
            remote_id: i.id,
            number: i.number,
            title: i.title,
            body: i.body.unwrap_or_default(),
            state,
            state_reason: None,
            labels: i
                .labels
                .unwrap_or_default()
                .into_iter()
                .map(Label::from)
                .collect(),
            assignees,
            milestone: i.milestone.map(Milestone::from),
            author: i.user.map(User::from),
            created_at: parse_time(&i.created_at)?,
            updated_at: parse_time(&i.updated_at)?,
            closed_at: i.closed_at.as_deref().map(parse_time).transpose()?,
            remote_url: i.html_url.filter(|u| !u.is_empty()),
            version: RemoteVersion {
                etag: None,
                content_version: i.content_version,
            },
            moved_to: None,
            comment_count: None,
        })
    }
}

impl wire::Comment {
    /// The comment in model form, or `None` for a comment on a pull request. `known`
    /// is the issue number when the caller already knows it.
    fn into_model(self, known: Option<u64>) -> Result<Option<RemoteComment>, serde_json::Error> {
        let from_url = self.issue_url.as_deref().and_then(issue_number_from_url);
        let Some(issue_number) = from_url.or(known) else {
            return Ok(None);
        };
        Ok(Some(RemoteComment {
            remote_id: self.id,
            issue_number,
            author: self.user.map(User::from),
            body: self.body.unwrap_or_default(),
            created_at: parse_time(&self.created_at)?,
            updated_at: parse_time(&self.updated_at)?,
            remote_url: self.html_url.filter(|u| !u.is_empty()),
        }))
    }
}

/// The issue number at the end of a Gitea issue URL (`…/owner/repo/issues/12`, web or
/// API form). `None` for pull request URLs and empty strings.
fn issue_number_from_url(url: &str) -> Option<u64> {
    let mut segments = url.trim_end_matches('/').rsplit('/');
    let number = segments.next()?.parse().ok()?;
    (segments.next()? == "issues").then_some(number)
}

/// Gitea's JSON, as far as IssueSync reads it. Unknown fields are ignored; fields old
/// servers lack are optional.
mod wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct ServerVersion {
        pub version: String,
    }

    #[derive(Deserialize)]
    pub struct User {
        pub id: i64,
        pub login: Option<String>,
        /// Gogs-era servers send `username` (some send both).
        pub username: Option<String>,
        pub full_name: Option<String>,
        pub avatar_url: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Label {
        pub id: i64,
        pub name: String,
        pub color: Option<String>,
        pub description: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Milestone {
        pub id: i64,
        pub title: String,
        pub state: Option<String>,
        pub due_on: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Issue {
        pub id: i64,
        pub number: u64,
        pub title: String,
        pub body: Option<String>,
        pub state: String,
        pub labels: Option<Vec<Label>>,
        pub milestone: Option<Milestone>,
        pub assignee: Option<User>,
        pub assignees: Option<Vec<User>>,
        pub user: Option<User>,
        pub created_at: String,
        pub updated_at: String,
        pub closed_at: Option<String>,
        pub html_url: Option<String>,
        pub pull_request: Option<serde_json::Value>,
        pub content_version: Option<i64>,
    }

    #[derive(Deserialize)]
    pub struct Comment {
        pub id: i64,
        pub html_url: Option<String>,
        pub issue_url: Option<String>,
        pub user: Option<User>,
        pub body: Option<String>,
        pub created_at: String,
        pub updated_at: String,
    }

    #[derive(Deserialize)]
    pub struct Repository {
        pub id: i64,
        pub full_name: String,
        pub description: Option<String>,
        #[serde(default)]
        pub private: bool,
        pub html_url: Option<String>,
    }

    /// `GeneralAPISettings` (`GET /settings/api`); only the page cap is read.
    #[derive(Deserialize)]
    pub struct ApiSettings {
        pub max_response_items: Option<i64>,
    }

    #[derive(Deserialize)]
    pub struct SearchResults {
        pub data: Vec<Repository>,
    }
}

/// Webhooks as Gitea's and Forgejo's API v1 have them (`Hook`, `CreateHookOption` in
/// the Swagger description; `config` is a string map without the secret).
mod hook_wire {
    use std::collections::HashMap;

    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Hook {
        pub id: i64,
        #[serde(default)]
        pub active: bool,
        #[serde(default)]
        pub events: Option<Vec<String>>,
        #[serde(default)]
        pub config: Option<HashMap<String, String>>,
    }

    impl From<Hook> for super::RemoteHook {
        fn from(h: Hook) -> Self {
            Self {
                id: h.id,
                url: h
                    .config
                    .and_then(|mut c| c.remove("url"))
                    .unwrap_or_default(),
                events: h.events.unwrap_or_default(),
                active: h.active,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        let path = format!(
            "{}/../shared/contracts/samples/gitea/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn recorded_issue_payloads_convert_to_the_model() {
        let issues: Vec<wire::Issue> = serde_json::from_str(&sample("issues.json")).unwrap();
        assert!(!issues.is_empty());
        let issue = RemoteIssue::try_from(
            serde_json::from_str::<wire::Issue>(&sample("issue.json")).unwrap(),
        )
        .unwrap();
        assert!(issue.number > 0);
        assert!(!issue.title.is_empty());
        assert!(
            issue.author.is_some(),
            "the author comes from `user` (login or username)"
        );
    }

    #[test]
    fn recorded_comment_payloads_parse() {
        let comments: Vec<wire::Comment> = serde_json::from_str(&sample("comments.json")).unwrap();
        assert!(!comments.is_empty());
    }

    #[test]
    fn issue_numbers_come_from_issue_urls_only() {
        assert_eq!(
            issue_number_from_url("https://h/gitea/o/r/issues/12"),
            Some(12)
        );
        assert_eq!(
            issue_number_from_url("https://h/api/v1/repos/o/r/issues/3/"),
            Some(3)
        );
        assert_eq!(issue_number_from_url("https://h/o/r/pulls/12"), None);
        assert_eq!(issue_number_from_url(""), None);
    }

    /// `(limit, page, len, total)` of a comment page, and the `(limit, page)` of the next.
    #[rstest::rstest]
    #[case::first_of_three(50, 1, 50, Some(120), Some((50, 2)))]
    #[case::middle_of_three(50, 2, 50, Some(120), Some((50, 3)))]
    #[case::short_last_page_is_the_last(50, 3, 20, Some(120), None)]
    #[case::exactly_full_last_page(50, 2, 50, Some(100), None)]
    #[case::server_capped_to_20_shows_on_page_one(50, 1, 20, Some(120), Some((20, 2)))]
    #[case::then_pages_by_20(20, 3, 20, Some(120), Some((20, 4)))]
    #[case::until_the_total(20, 6, 20, Some(120), None)]
    #[case::one_short_page(50, 1, 30, Some(30), None)]
    #[case::empty(50, 1, 0, Some(0), None)]
    #[case::no_total_full_page(50, 1, 50, None, Some((50, 2)))]
    #[case::no_total_short_page(50, 1, 49, None, None)]
    #[case::limit_100_first_of_three(100, 1, 100, Some(250), Some((100, 2)))]
    #[case::limit_100_short_last(100, 3, 50, Some(250), None)]
    #[case::limit_100_no_total_full_page(100, 1, 100, None, Some((100, 2)))]
    #[case::limit_100_no_total_50_is_short(100, 1, 50, None, None)]
    #[case::server_ignoring_limit(50, 1, 80, Some(200), Some((50, 2)))]
    fn comment_pages_follow_the_total_count(
        #[case] limit: u32,
        #[case] page: u64,
        #[case] len: usize,
        #[case] total: Option<u64>,
        #[case] expected_next: Option<(u32, u64)>,
    ) {
        let url = reqwest::Url::parse(&format!(
            "http://h/api/v1/repos/o/r/issues/comments?since=x&page={page}&limit={limit}"
        ))
        .unwrap();
        let next = next_page_by_count(&url, page, len, total);
        let expected = expected_next.map(|(limit, n)| {
            format!("http://h/api/v1/repos/o/r/issues/comments?since=x&limit={limit}&page={n}")
        });
        assert_eq!(next, expected);
    }

    #[rstest::rstest]
    #[case::default(Some(50), 50)]
    #[case::raised(Some(100), 100)]
    #[case::lowered(Some(20), 20)]
    #[case::capped(Some(1_000_000), MAX_PAGE_LIMIT)]
    #[case::one(Some(1), 1)]
    #[case::zero(Some(0), PAGE_LIMIT)]
    #[case::negative(Some(-5), PAGE_LIMIT)]
    #[case::absent(None, PAGE_LIMIT)]
    fn the_page_size_follows_the_server_within_bounds(
        #[case] max_response_items: Option<i64>,
        #[case] expected: u32,
    ) {
        assert_eq!(page_size_from(max_response_items), expected);
    }

    #[test]
    fn api_settings_decode_with_or_without_the_page_cap() {
        let full: wire::ApiSettings = serde_json::from_str(
            r#"{"max_response_items":100,"default_paging_num":30,"default_git_trees_per_page":1000,"default_max_blob_size":10485760}"#,
        )
        .unwrap();
        assert_eq!(full.max_response_items, Some(100));
        let bare: wire::ApiSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(bare.max_response_items, None);
    }

    #[test]
    fn repository_paths_must_be_owner_slash_name() {
        assert!(Gitea::repo_segments("alice/tools").is_ok());
        assert!(Gitea::repo_segments("alice").is_err());
        assert!(Gitea::repo_segments("a/b/c").is_err());
        assert!(Gitea::repo_segments("/b").is_err());
    }

    proptest::proptest! {
        /// Whatever a server sends as an issue listing, decoding is a typed result.
        #[test]
        fn issue_json_never_panics(bytes in crate::provider::hostile_json::bodies()) {
            if let Ok(issues) = serde_json::from_slice::<Vec<wire::Issue>>(&bytes) {
                for issue in issues {
                    let _ = RemoteIssue::try_from(issue);
                }
            }
        }
    }
}
