//! The GitHub adapter (REST v3: `https://api.github.com`, or `WEB/api/v3` on GitHub
//! Enterprise Server).
//!
//! Invariants:
//! - Wire types are private to this file and converted to [`crate::model`] here.
//! - A full listing is sorted by `updated` ascending; an incremental one (with `since`)
//!   by `updated` descending ([`ListingOrder::UpdatedDescendingSince`]): every change
//!   lands on its first page, so the pull stops there when that page is unchanged or
//!   already reaches back past the cursor. 100 a page, followed through `Link`; items
//!   carrying a `pull_request` key are pull requests and dropped.
//! - Listing pages are requested with `If-None-Match` when an ETag is cached: a 304 costs
//!   no rate limit, so an unchanged repository costs one free request, however large. For
//!   that the URL must repeat between rounds, so `since` is sent floored to its UTC day
//!   ([`listing_since`]): the cursor moving after a change does not change the URL.
//! - Writes are serial and at least one second apart (GitHub's secondary limits);
//!   `state_reason` is only sent together with `state`; labels and assignees are sent
//!   as the whole wanted set, which is what GitHub's PATCH takes.
//! - A transferred issue answers 301 ([`ProviderError::Moved`]), a deleted one 410. So
//!   does every URL of a renamed or transferred repository (301 for reads, 307 for
//!   writes, to `/repositories/{id}/…`); redirects are not followed here, and
//!   [`Provider::get_repo_by_id`] says where the repository lives now.
//! - A first import may go by GraphQL instead ([`Provider::import_page`], in [`graphql`]):
//!   with a token only (GraphQL has no anonymous access), never for incremental rounds.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::http::{Conditional, HttpClient, Pacing, Response};
use super::{
    CommentListing, Endpoint, InstanceInfo, IssueChanges, IssueListing, ListingOrder,
    NewRemoteIssue, Page, PageValidator, Provider, ProviderError, RemoteHook,
};
use crate::model::{
    IssueState, Label, Milestone, ProviderKind, RemoteComment, RemoteIssue, RemoteRepo,
    RemoteVersion, Timestamp, User,
};
use crate::secrets::Secret;

mod graphql;

/// Page size requested; GitHub's maximum.
pub const PAGE_LIMIT: u32 = 100;

/// A GitHub or GitHub Enterprise Server instance.
pub struct GitHub {
    http: HttpClient,
    /// The GraphQL endpoint of the same instance.
    graphql: reqwest::Url,
    /// The labels of repositories being imported, by repository: GraphQL's labels
    /// carry no REST id, which the REST listing's do (the conversion must match). Listed
    /// at an import's first page; the label refresh at its end takes them.
    import_labels: std::sync::Mutex<std::collections::HashMap<String, Vec<Label>>>,
}

impl GitHub {
    /// An adapter for `endpoint.api_url`.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] when the URL or token cannot be used.
    pub fn new(endpoint: Endpoint) -> Result<Self, ProviderError> {
        let auth = match &endpoint.token {
            Some(token) => {
                let value =
                    HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                        ProviderError::InvalidInput(
                            "the token contains characters that cannot be sent in a header"
                                .to_string(),
                        )
                    })?;
                Some((AUTHORIZATION as HeaderName, value))
            }
            None => None,
        };
        let http = HttpClient::new(&endpoint.api_url, auth, endpoint.retry)?
            .with_pacing(Pacing {
                min_interval: Duration::ZERO,
                min_write_interval: Duration::from_secs(1),
            })
            .with_parallel_reads(super::capabilities(endpoint.kind).parallel_reads)
            .with_cache(endpoint.cache);
        let graphql = graphql::endpoint(&endpoint.api_url)?;
        Ok(Self {
            http,
            graphql,
            import_labels: Default::default(),
        })
    }

    fn repo_segments(full_path: &str) -> Result<(String, String), ProviderError> {
        match full_path.split_once('/') {
            Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok((owner.to_string(), name.to_string()))
            }
            _ => Err(ProviderError::InvalidInput(format!(
                "{full_path:?} is not a GitHub repository path: expected OWNER/REPO"
            ))),
        }
    }

    fn repo_url(&self, full_path: &str, rest: &[&str]) -> Result<reqwest::Url, ProviderError> {
        let (owner, name) = Self::repo_segments(full_path)?;
        let mut segments = vec!["repos", owner.as_str(), name.as_str()];
        segments.extend_from_slice(rest);
        Ok(self.http.endpoint(&segments))
    }

    fn needs_token(&self) -> Result<(), ProviderError> {
        if self.http.has_auth() {
            Ok(())
        } else {
            Err(ProviderError::NeedsToken)
        }
    }

    async fn all_pages<W, T>(
        &self,
        mut url: reqwest::Url,
        what: &str,
        convert: impl Fn(W) -> Option<T>,
    ) -> Result<Vec<T>, ProviderError>
    where
        W: for<'de> serde::Deserialize<'de>,
    {
        url.query_pairs_mut()
            .append_pair("per_page", &PAGE_LIMIT.to_string());
        let mut items = Vec::new();
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

    fn decode_issue(response: &Response) -> Result<RemoteIssue, ProviderError> {
        let wire: wire::Issue = response.json()?;
        let mut issue = wire.into_model().map_err(|source| ProviderError::Decode {
            url: response.url.to_string(),
            source,
        })?;
        issue.version.etag = response.etag();
        Ok(issue)
    }

    async fn milestone_number(
        &self,
        full_path: &str,
        title: &str,
    ) -> Result<Option<i64>, ProviderError> {
        Ok(self
            .list_milestones(full_path)
            .await?
            .into_iter()
            .find(|m| m.title == title)
            .map(|m| m.remote_id))
    }

    fn lock_import_labels(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Vec<Label>>> {
        self.import_labels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Gives the labels of imported issues what the REST listing has on them (id,
    /// colour, description), from the repository's labels, listed once per import (again
    /// when a label is not among them: created or renamed meanwhile).
    async fn label_ids(
        &self,
        full_path: &str,
        issues: &mut [RemoteIssue],
    ) -> Result<(), ProviderError> {
        let find = |known: &[Label], name: &str| {
            known
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(name))
                .cloned()
        };
        let cached = self.lock_import_labels().get(full_path).cloned();
        let missing = |known: &[Label]| {
            issues
                .iter()
                .flat_map(|i| &i.labels)
                .any(|l| find(known, &l.name).is_none())
        };
        let known = match cached {
            Some(known) if !missing(&known) => known,
            _ => {
                let listed = self.fetch_labels(full_path).await?;
                self.lock_import_labels()
                    .insert(full_path.to_string(), listed.clone());
                listed
            }
        };
        for label in issues.iter_mut().flat_map(|i| i.labels.iter_mut()) {
            if let Some(found) = find(&known, &label.name) {
                *label = Label {
                    name: std::mem::take(&mut label.name),
                    ..found
                };
            }
        }
        Ok(())
    }

    /// The repository's labels, listed by REST.
    async fn fetch_labels(&self, full_path: &str) -> Result<Vec<Label>, ProviderError> {
        self.all_pages(
            self.repo_url(full_path, &["labels"])?,
            &format!("labels of {full_path}"),
            |l: wire::Label| Some(l.into()),
        )
        .await
    }

    fn issue_comment(response: &Response, number: u64) -> Result<RemoteComment, ProviderError> {
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
}

#[async_trait]
impl Provider for GitHub {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Github
    }

    fn listing_order(&self) -> ListingOrder {
        ListingOrder::UpdatedDescendingSince
    }

    fn comment_listing(&self) -> CommentListing {
        CommentListing::RepoWide
    }

    async fn probe(&self) -> Result<InstanceInfo, ProviderError> {
        let response = self
            .http
            .get(self.http.endpoint(&["meta"]), "the GitHub API (/meta)")
            .await?;
        let meta: Value = response.json()?;
        if !meta.is_object() {
            return Err(ProviderError::NotFound {
                what: "the GitHub API (/meta)".to_string(),
            });
        }
        Ok(InstanceInfo {
            version: meta
                .get("installed_version")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    async fn whoami(&self) -> Result<User, ProviderError> {
        self.needs_token()?;
        let response = self
            .http
            .get(self.http.endpoint(&["user"]), "the current user")
            .await?;
        Ok(response.json::<wire::User>()?.into())
    }

    async fn list_repos(&self, limit: usize) -> Result<Vec<RemoteRepo>, ProviderError> {
        // GitHub has no useful anonymous listing; add public repositories by name.
        self.needs_token()?;
        let mut url = self.http.endpoint(&["user", "repos"]);
        url.query_pairs_mut()
            .append_pair("sort", "updated")
            .append_pair("per_page", &PAGE_LIMIT.to_string());
        let mut repos = Vec::new();
        loop {
            let response = self.http.get(url, "the repository list").await?;
            let page: Vec<wire::Repository> = response.json()?;
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
        let response = self
            .http
            .get(
                self.repo_url(full_path, &[])?,
                &format!("repository {full_path}"),
            )
            .await?;
        Ok(response.json::<wire::Repository>()?.into())
    }

    async fn get_repo_by_id(&self, remote_id: i64) -> Result<Option<RemoteRepo>, ProviderError> {
        let response = self
            .http
            .get(
                self.http
                    .endpoint(&["repositories", &remote_id.to_string()]),
                &format!("repository {remote_id}"),
            )
            .await?;
        Ok(Some(response.json::<wire::Repository>()?.into()))
    }

    /// The labels an import just listed (for [`Self::label_ids`]) when there are some:
    /// the refresh at the end of the import takes them instead of listing again, and
    /// the next import lists afresh.
    async fn list_labels(&self, full_path: &str) -> Result<Vec<Label>, ProviderError> {
        if let Some(listed) = self.lock_import_labels().remove(full_path) {
            return Ok(listed);
        }
        self.fetch_labels(full_path).await
    }

    async fn list_milestones(&self, full_path: &str) -> Result<Vec<Milestone>, ProviderError> {
        let mut url = self.repo_url(full_path, &["milestones"])?;
        url.query_pairs_mut().append_pair("state", "all");
        self.all_pages(
            url,
            &format!("milestones of {full_path}"),
            |m: wire::Milestone| Some(m.into()),
        )
        .await
    }

    async fn list_assignable_users(&self, full_path: &str) -> Result<Vec<User>, ProviderError> {
        self.all_pages(
            self.repo_url(full_path, &["assignees"])?,
            &format!("assignees of {full_path}"),
            |u: wire::User| Some(u.into()),
        )
        .await
    }

    async fn list_issues(
        &self,
        full_path: &str,
        listing: &IssueListing,
        page: Option<&str>,
    ) -> Result<Page<RemoteIssue>, ProviderError> {
        let url = match page {
            Some(token) => self.http.own_url(token)?,
            None => {
                let milestone = match &listing.milestone {
                    Some(title) => match self.milestone_number(full_path, title).await? {
                        Some(number) => Some(number.to_string()),
                        // No such milestone: nothing can be in it.
                        None => return Ok(Page::fresh(Vec::new(), None, Some(0))),
                    },
                    None => None,
                };
                let mut url = self.repo_url(full_path, &["issues"])?;
                {
                    let mut q = url.query_pairs_mut();
                    let (sort, direction) = if listing.newest_created_first {
                        ("created", "desc")
                    } else if listing.since.is_some() {
                        ("updated", "desc")
                    } else {
                        ("updated", "asc")
                    };
                    q.append_pair("state", "all")
                        .append_pair("sort", sort)
                        .append_pair("direction", direction);
                    if let Some(since) = listing.since {
                        let since = if listing.exact_since {
                            exact_since(since)
                        } else {
                            listing_since(since)
                        };
                        q.append_pair("since", &since);
                    }
                    if !listing.labels.is_empty() {
                        q.append_pair("labels", &listing.labels.join(","));
                    }
                    if let Some(number) = &milestone {
                        q.append_pair("milestone", number);
                    }
                    q.append_pair("per_page", &PAGE_LIMIT.to_string());
                }
                url
            }
        };
        let what = format!("issues of {full_path}");
        let response = match self.http.get_conditional(url, &what).await? {
            Conditional::NotModified(cached) => {
                return Ok(Page {
                    items: Vec::new(),
                    next: cached.next,
                    total: None,
                    not_modified: true,
                    held: cached.held,
                    validator: None,
                })
            }
            Conditional::Fresh(response) => response,
        };
        let wire: Vec<wire::Issue> = response.json()?;
        let validator = response.etag().map(|etag| PageValidator {
            url: response.url.to_string(),
            etag,
            next: response.next_link(),
            full: wire.len() >= PAGE_LIMIT as usize,
        });
        let mut items = Vec::with_capacity(wire.len());
        for issue in wire.into_iter().filter(|i| i.pull_request.is_none()) {
            let issue = issue.into_model().map_err(|source| ProviderError::Decode {
                url: response.url.to_string(),
                source,
            })?;
            if listing.matches(&issue) {
                items.push(issue);
            }
        }
        Ok(Page {
            validator,
            ..Page::fresh(items, response.next_link(), None)
        })
    }

    async fn get_issue(&self, full_path: &str, number: u64) -> Result<RemoteIssue, ProviderError> {
        self.get_issue_if_changed(full_path, number, &RemoteVersion::default())
            .await?
            .ok_or_else(|| ProviderError::UnexpectedStatus {
                status: 304,
                url: format!("issue {full_path}#{number}"),
            })
    }

    async fn get_issue_if_changed(
        &self,
        full_path: &str,
        number: u64,
        version: &RemoteVersion,
    ) -> Result<Option<RemoteIssue>, ProviderError> {
        let what = format!("issue {full_path}#{number}");
        let url = self.repo_url(full_path, &["issues", &number.to_string()])?;
        let Some(response) = self
            .http
            .get_if_changed(url, version.etag.as_deref(), &what)
            .await?
        else {
            return Ok(None);
        };
        let wire: wire::Issue = response.json()?;
        if wire.pull_request.is_some() {
            return Err(ProviderError::NotFound {
                what: format!("{what} (it is a pull request)"),
            });
        }
        Self::decode_issue(&response).map(Some)
    }

    async fn list_comments(
        &self,
        full_path: &str,
        since: Option<Timestamp>,
        page: Option<&str>,
    ) -> Result<Page<RemoteComment>, ProviderError> {
        let url = match page {
            Some(token) => self.http.own_url(token)?,
            None => {
                let mut url = self.repo_url(full_path, &["issues", "comments"])?;
                {
                    let mut q = url.query_pairs_mut();
                    q.append_pair("sort", "updated")
                        .append_pair("direction", "asc");
                    if let Some(since) = since {
                        q.append_pair(
                            "since",
                            &since.as_datetime().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        );
                    }
                    q.append_pair("per_page", &PAGE_LIMIT.to_string());
                }
                url
            }
        };
        let response = self
            .http
            .get(url, &format!("comments of {full_path}"))
            .await?;
        let wire: Vec<wire::Comment> = response.json()?;
        let mut items = Vec::with_capacity(wire.len());
        for comment in wire {
            let converted = comment
                .into_model(None)
                .map_err(|source| ProviderError::Decode {
                    url: response.url.to_string(),
                    source,
                })?;
            items.extend(converted);
        }
        Ok(Page::fresh(items, response.next_link(), None))
    }

    async fn list_issue_comments(
        &self,
        full_path: &str,
        number: u64,
    ) -> Result<Vec<RemoteComment>, ProviderError> {
        let comments: Vec<Option<RemoteComment>> = self
            .all_pages(
                self.repo_url(full_path, &["issues", &number.to_string(), "comments"])?,
                &format!("comments of {full_path}#{number}"),
                |c: wire::Comment| c.into_model(Some(number)).ok(),
            )
            .await?;
        Ok(comments.into_iter().flatten().collect())
    }

    async fn import_page(
        &self,
        full_path: &str,
        cursor: Option<&str>,
    ) -> Result<Option<super::ImportPage>, ProviderError> {
        if !self.http.has_auth() {
            return Ok(None);
        }
        let (owner, name) = Self::repo_segments(full_path)?;
        let Some(fetched) =
            graphql::import_page(&self.http, &self.graphql, &owner, &name, cursor).await?
        else {
            return Ok(None);
        };
        let mut page = fetched.page;
        if cursor.is_none() {
            // Each import lists the labels afresh; the refresh at its end takes them.
            self.lock_import_labels().remove(full_path);
        }
        self.label_ids(full_path, &mut page.issues).await?;
        // More labels than a page carries: the issue as REST has it.
        for number in fetched.labels_incomplete {
            let whole = self.get_issue(full_path, number).await?;
            if let Some(issue) = page.issues.iter_mut().find(|i| i.number == number) {
                *issue = RemoteIssue {
                    version: RemoteVersion::default(),
                    ..whole
                };
            }
        }
        Ok(Some(page))
    }

    async fn update_issue(
        &self,
        full_path: &str,
        number: u64,
        changes: &IssueChanges,
        _expected: &RemoteVersion,
    ) -> Result<RemoteIssue, ProviderError> {
        self.needs_token()?;
        if changes.is_empty() {
            return self.get_issue(full_path, number).await;
        }
        let mut patch = Map::new();
        if let Some(title) = &changes.title {
            patch.insert("title".into(), json!(title));
        }
        if let Some(body) = &changes.body {
            patch.insert("body".into(), json!(body));
        }
        if let Some(state) = changes.state {
            patch.insert("state".into(), json!(state.as_str()));
            if let Some(reason) = &changes.state_reason {
                patch.insert("state_reason".into(), json!(reason));
            }
        }
        if let Some(labels) = &changes.labels {
            patch.insert("labels".into(), json!(labels.desired));
        }
        if let Some(assignees) = &changes.assignees {
            patch.insert("assignees".into(), json!(assignees.desired));
        }
        if let Some(milestone) = &changes.milestone {
            let number = match milestone {
                Some(title) => Some(self.milestone_number(full_path, title).await?.ok_or_else(
                    || ProviderError::Validation {
                        message: format!("milestone {title:?} does not exist in {full_path}"),
                    },
                )?),
                None => None,
            };
            patch.insert("milestone".into(), json!(number));
        }
        let response = self
            .http
            .write(
                Method::PATCH,
                self.repo_url(full_path, &["issues", &number.to_string()])?,
                &Value::Object(patch),
                &format!("issue {full_path}#{number}"),
            )
            .await?;
        Self::decode_issue(&response)
    }

    async fn create_issue(
        &self,
        full_path: &str,
        issue: &NewRemoteIssue,
    ) -> Result<RemoteIssue, ProviderError> {
        self.needs_token()?;
        let mut body = json!({
            "title": issue.title,
            "body": issue.body,
            "labels": issue.labels,
            "assignees": issue.assignees,
        });
        if let Some(title) = &issue.milestone {
            let number = self
                .milestone_number(full_path, title)
                .await?
                .ok_or_else(|| ProviderError::Validation {
                    message: format!("milestone {title:?} does not exist in {full_path}"),
                })?;
            body["milestone"] = json!(number);
        }
        let response = self
            .http
            .write(
                Method::POST,
                self.repo_url(full_path, &["issues"])?,
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
        self.needs_token()?;
        let response = self
            .http
            .write(
                Method::POST,
                self.repo_url(full_path, &["issues", &number.to_string(), "comments"])?,
                &json!({ "body": body }),
                &format!("issue {full_path}#{number}"),
            )
            .await?;
        Self::issue_comment(&response, number)
    }

    async fn list_hooks(&self, full_path: &str) -> Result<Vec<RemoteHook>, ProviderError> {
        self.needs_token()?;
        let mut url = self.repo_url(full_path, &["hooks"])?;
        url.query_pairs_mut().append_pair("per_page", "100");
        let what = format!("webhooks of {full_path}");
        let mut hooks = Vec::new();
        let mut next = Some(url);
        // A repository has a handful of hooks; a listing past 100 pages is not one.
        for _ in 0..100 {
            let Some(page) = next.take() else { break };
            let response = self.http.get(page, &what).await?;
            let wire: Vec<hook_wire::Hook> = response.json()?;
            hooks.extend(wire.into_iter().map(RemoteHook::from));
            if let Some(link) = response.next_link() {
                next = Some(self.http.own_url(&link)?);
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
        let body = json!({
            "name": "web",
            "active": true,
            "events": ["issues", "issue_comment"],
            "config": {
                "url": url,
                "content_type": "json",
                "secret": secret.expose(),
                "insecure_ssl": "0",
            },
        });
        let response = self
            .http
            .write(
                Method::POST,
                self.repo_url(full_path, &["hooks"])?,
                &body,
                &format!("webhooks of {full_path}"),
            )
            .await?;
        Ok(RemoteHook::from(response.json::<hook_wire::Hook>()?))
    }

    async fn delete_hook(&self, full_path: &str, id: i64) -> Result<(), ProviderError> {
        self.needs_token()?;
        self.http
            .write_without_body(
                Method::DELETE,
                self.repo_url(full_path, &["hooks", &id.to_string()])?,
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
            login: u.login,
            display_name: u.name.filter(|n| !n.is_empty()),
            avatar_url: u.avatar_url.filter(|a| !a.is_empty()),
        }
    }
}

impl From<wire::Label> for Label {
    fn from(l: wire::Label) -> Self {
        Label {
            remote_id: l.id,
            name: l.name,
            color: l
                .color
                .filter(|c| !c.is_empty())
                .map(|c| c.to_ascii_lowercase()),
            description: l.description.filter(|d| !d.is_empty()),
        }
    }
}

impl From<wire::Milestone> for Milestone {
    fn from(m: wire::Milestone) -> Self {
        Milestone {
            // GitHub's write API takes the milestone number.
            remote_id: m.number,
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

/// The `since` of an issue listing: the start of the UTC day of `since`.
///
/// Consecutive incremental listings of one day then share one URL, and so one cached ETag:
/// an unchanged repository is answered 304 (free; the sync then skips the comment listing)
/// even in the first round after a change, when the cursor has just moved. Flooring only
/// reaches further back, so nothing is missed; newest first, the listing stops at the
/// first page that reaches back past the cursor, so the day's other updates cost nothing.
fn listing_since(since: Timestamp) -> String {
    since.as_datetime().format("%Y-%m-%dT00:00:00Z").to_string()
}

/// `since` in whole seconds (GitHub's precision), rounded down: only reaches back.
fn exact_since(since: Timestamp) -> String {
    since.as_datetime().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_time(text: &str) -> Result<Timestamp, serde_json::Error> {
    Timestamp::parse(text).map_err(|e| {
        <serde_json::Error as serde::de::Error>::custom(format!("bad timestamp {text:?}: {e}"))
    })
}

impl wire::Issue {
    fn into_model(self) -> Result<RemoteIssue, serde_json::Error> {
        let state: IssueState = self
            .state
            .parse()
            .map_err(<serde_json::Error as serde::de::Error>::custom)?;
        let labels = self
            .labels
            .into_iter()
            .map(|l| match l {
                wire::IssueLabel::Name(name) => Label {
                    remote_id: None,
                    name,
                    color: None,
                    description: None,
                },
                wire::IssueLabel::Object(label) => label.into(),
            })
            .collect();
        let mut assignees: Vec<User> = self
            .assignees
            .unwrap_or_default()
            .into_iter()
            .map(User::from)
            .collect();
        if assignees.is_empty() {
            assignees.extend(self.assignee.map(User::from));
        }
        Ok(RemoteIssue {
            remote_id: self.id,
            number: self.number,
            title: self.title,
            body: self.body.unwrap_or_default(),
            state,
            state_reason: self.state_reason,
            labels,
            assignees,
            milestone: self.milestone.map(Milestone::from),
            author: self.user.map(User::from),
            created_at: parse_time(&self.created_at)?,
            updated_at: parse_time(&self.updated_at)?,
            closed_at: self.closed_at.as_deref().map(parse_time).transpose()?,
            remote_url: self.html_url.filter(|u| !u.is_empty()),
            version: RemoteVersion::default(),
            moved_to: None,
            comment_count: None,
        })
    }
}

impl wire::Comment {
    /// The comment in model form; `known` is the issue number when the caller knows it.
    fn into_model(self, known: Option<u64>) -> Result<Option<RemoteComment>, serde_json::Error> {
        let from_url = self.issue_url.as_deref().and_then(|url| {
            let mut segments = url.trim_end_matches('/').rsplit('/');
            let number = segments.next()?.parse().ok()?;
            (segments.next()? == "issues").then_some(number)
        });
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

/// GitHub's JSON, as far as IssueSync reads it.
mod wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct User {
        pub id: i64,
        pub login: String,
        pub name: Option<String>,
        pub avatar_url: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Label {
        pub id: Option<i64>,
        pub name: String,
        pub color: Option<String>,
        pub description: Option<String>,
    }

    /// Issue labels are objects, but the schema also allows plain names.
    #[derive(Deserialize)]
    #[serde(untagged)]
    pub enum IssueLabel {
        Name(String),
        Object(Label),
    }

    #[derive(Deserialize)]
    pub struct Milestone {
        pub number: i64,
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
        pub state_reason: Option<String>,
        #[serde(default)]
        pub labels: Vec<IssueLabel>,
        pub assignee: Option<User>,
        pub assignees: Option<Vec<User>>,
        pub milestone: Option<Milestone>,
        pub user: Option<User>,
        pub created_at: String,
        pub updated_at: String,
        pub closed_at: Option<String>,
        pub html_url: Option<String>,
        pub pull_request: Option<serde_json::Value>,
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
}

/// Webhooks as GitHub's REST API has them (`GET/POST /repos/{owner}/{repo}/hooks`,
/// the `hook` schema of the OpenAPI description).
mod hook_wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Hook {
        pub id: i64,
        #[serde(default)]
        pub active: bool,
        #[serde(default)]
        pub events: Vec<String>,
        #[serde(default)]
        pub config: Config,
    }

    #[derive(Deserialize, Default)]
    pub struct Config {
        pub url: Option<String>,
    }

    impl From<Hook> for super::RemoteHook {
        fn from(h: Hook) -> Self {
            Self {
                id: h.id,
                url: h.config.url.unwrap_or_default(),
                events: h.events,
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
            "{}/../shared/contracts/samples/github/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn recorded_issue_payloads_convert_to_the_model() {
        let issue: wire::Issue = serde_json::from_str(&sample("issue.json")).unwrap();
        let issue = issue.into_model().unwrap();
        assert!(issue.number > 0);
        assert!(issue.remote_url.is_some());
        let page: Vec<wire::Issue> =
            serde_json::from_str(&sample("issues-list-page.json")).unwrap();
        assert!(!page.is_empty());
        for issue in page {
            issue.into_model().unwrap();
        }
    }

    #[test]
    fn listing_since_is_the_start_of_its_utc_day() {
        for (cursor, sent) in [
            ("2026-01-05T11:01:14Z", "2026-01-05T00:00:00Z"),
            ("2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z"),
            ("2026-01-05T23:59:59.999Z", "2026-01-05T00:00:00Z"),
            ("2026-01-06T00:30:00+01:00", "2026-01-05T00:00:00Z"),
        ] {
            assert_eq!(
                listing_since(Timestamp::parse(cursor).unwrap()),
                sent,
                "{cursor}"
            );
        }
    }

    #[test]
    fn recorded_comments_know_their_issue() {
        let comments: Vec<wire::Comment> =
            serde_json::from_str(&sample("issue-comments-list.json")).unwrap();
        assert!(!comments.is_empty());
        let comment: wire::Comment = serde_json::from_str(&sample("issue-comment.json")).unwrap();
        let converted = comment.into_model(Some(1)).unwrap().unwrap();
        assert!(converted.issue_number > 0);
    }

    proptest::proptest! {
        /// Whatever a server sends as an issue listing, decoding is a typed result.
        #[test]
        fn issue_json_never_panics(bytes in crate::provider::hostile_json::bodies()) {
            if let Ok(issues) = serde_json::from_slice::<Vec<wire::Issue>>(&bytes) {
                for issue in issues {
                    let _ = issue.into_model();
                }
            }
            if let Ok(issue) = serde_json::from_slice::<wire::Issue>(&bytes) {
                let _ = issue.into_model();
            }
        }
    }
}
