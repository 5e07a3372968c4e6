//! GitHub's GraphQL API (`https://api.github.com/graphql`, `WEB/api/graphql` on GitHub
//! Enterprise Server) for one thing only: the pages of a first import, each 49 issues
//! with their labels, assignees, milestone and first 100 comments.
//!
//! Why: a page costs 1 point of GraphQL's own budget (5,000 points an hour, apart from
//! REST's 5,000 requests). GitHub's rate-limit page: add up "the requests needed to fill
//! each connection" (assuming each reaches its `first`), divide by 100, round, at least 1.
//! Here that is 1 (`issues`) + 1 (`latest`) + 3 connections on each issue: 149 / 100 →
//! 1 at 49 issues a page, where 50 would be 152 → 2 (and `first` inside does not count,
//! so comments come 100 at a time for free). REST spends one request per 100 issues and
//! one per 100 comments: a repository averaging 10 comments an issue costs 11 requests
//! per 100 issues there and about 2 points here. Small pages also keep each query far
//! from GraphQL's 10 s timeout. Incremental rounds stay on REST (ETags: free 304s).
//!
//! Invariants:
//! - Wire types are private to this file; issues and comments come out exactly as the
//!   REST conversion makes them (lowercase state and state reason, label colours in
//!   lowercase, milestone by number, web URLs), so either path gives the same mirror.
//!   Labels carry no id: GraphQL has none in REST's numbering, and the repository's
//!   labels are listed by REST after the import anyway.
//! - Issues come oldest created first (`orderBy: CREATED_AT ASC`), a stable order: an
//!   issue created during the import lands on a later page, one updated stays where it
//!   was. The `issues` connection never holds pull requests.
//! - Issues whose comments (or labels) did not fit are named in the page, for the caller
//!   (or the adapter, for labels) to fetch through REST.
//! - Errors in a 200 answer (`errors`) are typed: NOT_FOUND → [`ProviderError::NotFound`],
//!   RATE_LIMITED → [`ProviderError::RateLimited`] (reset from `x-ratelimit-reset` or
//!   `rateLimit.resetAt`), anything else [`ProviderError::QueryFailed`] with GitHub's
//!   message. A 404 for the endpoint itself means the instance has none: `None`.
//! - Each page also names the newest `updated_at` of the repository's issues (`latest`,
//!   one more request in the cost, still 1 point), the tracker's own bound on what the
//!   import saw: the caller's cursors go no further, so nothing changed under the import
//!   is missed by the next incremental round.
//! - An answer over the size cap is asked again once with smaller pages (10 issues, 10
//!   comments): comment bodies may be up to 64 KiB each.

use reqwest::Url;
use serde_json::json;

use super::super::http::{host_of, retry_at, HttpClient};
use super::super::{ImportPage, ProviderError};
use crate::model::{
    IssueState, Label, Milestone, RemoteComment, RemoteIssue, RemoteVersion, Timestamp, User,
};

/// Issues per page: the most that GitHub's formula charges 1 point (see the module doc).
pub const ISSUES_PER_PAGE: u32 = 49;
/// Comments fetched with each issue (GitHub's maximum `first`); the rest come by REST.
pub const COMMENTS_PER_ISSUE: u32 = 100;
/// Labels fetched with each issue (GitHub's maximum page).
pub const LABELS_PER_ISSUE: u32 = 100;
/// Page sizes after an answer that was too large.
const SMALL_PAGE: u32 = 10;

/// The one query this adapter sends. The operation name is how the fake tracker of the
/// tests recognises it.
const IMPORT_QUERY: &str = "query IssueSyncImport($owner: String!, $name: String!, \
$after: String, $issues: Int!, $comments: Int!, $labels: Int!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    latest: issues(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) {
      nodes { updatedAt }
    }
    issues(first: $issues, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId number title body url state stateReason(enableDuplicate: true)
        createdAt updatedAt closedAt
        author { ...Who }
        labels(first: $labels) { totalCount nodes { name color description } }
        assignees(first: 10) { nodes { databaseId login avatarUrl } }
        milestone { number title state dueOn }
        comments(first: $comments) {
          totalCount
          nodes { databaseId body url createdAt updatedAt author { ...Who } }
        }
      }
    }
  }
}
fragment Who on Actor {
  login avatarUrl
  ... on User { databaseId }
  ... on Bot { databaseId }
  ... on Organization { databaseId }
  ... on Mannequin { databaseId }
}";

/// A page of the import as the adapter hands it on, plus the issues whose labels did
/// not all fit (the adapter reads those by REST).
pub(super) struct Fetched {
    pub page: ImportPage,
    pub labels_incomplete: Vec<u64>,
}

/// The GraphQL endpoint beside the REST root `api_url`: `…/api/v3` → `…/api/graphql`
/// (Enterprise Server), anything else (`https://api.github.com`) → `…/graphql`.
pub(super) fn endpoint(api_url: &str) -> Result<Url, ProviderError> {
    let mut url = Url::parse(api_url.trim_end_matches('/')).map_err(|e| {
        ProviderError::InvalidInput(format!("the API URL {api_url:?} is not usable: {e}"))
    })?;
    let path = url.path().trim_end_matches('/').to_string();
    let path = match path.strip_suffix("/api/v3") {
        Some(web) => format!("{web}/api/graphql"),
        None => format!("{path}/graphql"),
    };
    url.set_path(&path);
    Ok(url)
}

/// One import page of `owner/name` after `cursor`.
pub(super) async fn import_page(
    http: &HttpClient,
    url: &Url,
    owner: &str,
    name: &str,
    cursor: Option<&str>,
) -> Result<Option<Fetched>, ProviderError> {
    let what = format!("issues of {owner}/{name} (GraphQL)");
    let ask = |issues: u32, comments: u32| {
        let body = json!({
            "query": IMPORT_QUERY,
            "operationName": "IssueSyncImport",
            "variables": {
                "owner": owner,
                "name": name,
                "after": cursor,
                "issues": issues,
                "comments": comments,
                "labels": LABELS_PER_ISSUE,
            },
        });
        let url = url.clone();
        let what = what.clone();
        async move { http.query(url, &body, &what).await }
    };
    let response = match ask(ISSUES_PER_PAGE, COMMENTS_PER_ISSUE).await {
        Err(ProviderError::TooLarge { .. }) => ask(SMALL_PAGE, SMALL_PAGE).await,
        other => other,
    };
    let response = match response {
        Ok(response) => response,
        // No GraphQL on this instance: the import goes by REST.
        Err(ProviderError::NotFound { .. }) if cursor.is_none() => return Ok(None),
        Err(other) => return Err(other),
    };
    let answer: wire::Answer = response.json()?;
    let decode = |source| ProviderError::Decode {
        url: response.url.to_string(),
        source,
    };
    if let Some(error) = answer.errors.first() {
        let message = error.message.clone().unwrap_or_default();
        return Err(match error.kind.as_deref() {
            Some("NOT_FOUND") => ProviderError::NotFound {
                what: format!("repository {owner}/{name} ({message})"),
            },
            Some("RATE_LIMITED" | "RATE_LIMIT") => {
                let reset = answer
                    .data
                    .as_ref()
                    .and_then(|d| d.rate_limit.as_ref())
                    .and_then(|r| r.reset_at.as_deref())
                    .and_then(|t| Timestamp::parse(t).ok());
                let from_headers = response
                    .header("x-ratelimit-reset")
                    .map(|_| retry_at(&response.headers, None));
                ProviderError::RateLimited {
                    retry_at: from_headers
                        .or(reset)
                        .unwrap_or_else(|| Timestamp::now().plus_seconds(60)),
                }
            }
            Some("FORBIDDEN") => ProviderError::Forbidden {
                message: Some(message),
            },
            _ => ProviderError::QueryFailed {
                host: host_of(&response.url),
                message,
            },
        });
    }
    let data = answer.data.ok_or_else(|| ProviderError::QueryFailed {
        host: host_of(&response.url),
        message: "the answer has neither data nor errors".to_string(),
    })?;
    let Some(repository) = data.repository else {
        return Err(ProviderError::NotFound {
            what: format!("repository {owner}/{name}"),
        });
    };
    let connection = repository.issues;
    let mut page = ImportPage {
        issues: Vec::with_capacity(connection.nodes.len()),
        comments: Vec::new(),
        comments_incomplete: Vec::new(),
        next: connection
            .page_info
            .end_cursor
            .filter(|_| connection.page_info.has_next_page),
        cost: data.rate_limit.and_then(|r| r.cost),
        newest_update: repository
            .latest
            .nodes
            .into_iter()
            .flatten()
            .map(|n| parse_time(&n.updated_at))
            .next()
            .transpose()
            .map_err(decode)?,
    };
    let mut labels_incomplete = Vec::new();
    for mut node in connection.nodes.into_iter().flatten() {
        let number = node.number;
        let comments = std::mem::replace(
            &mut node.comments,
            wire::Counted {
                total_count: 0,
                nodes: Vec::new(),
            },
        );
        if comments.total_count > comments.nodes.len() as u64 {
            page.comments_incomplete.push(number);
        }
        if node.labels.total_count > node.labels.nodes.len() as u64 {
            labels_incomplete.push(number);
        }
        for comment in comments.nodes.into_iter().flatten() {
            page.comments
                .push(comment.into_model(number).map_err(decode)?);
        }
        page.issues.push(node.into_model().map_err(decode)?);
    }
    Ok(Some(Fetched {
        page,
        labels_incomplete,
    }))
}

fn parse_time(text: &str) -> Result<Timestamp, serde_json::Error> {
    Timestamp::parse(text).map_err(|e| {
        <serde_json::Error as serde::de::Error>::custom(format!("bad timestamp {text:?}: {e}"))
    })
}

/// GraphQL's enum values (`OPEN`, `NOT_PLANNED`) as REST spells them.
fn rest_spelling(value: &str) -> String {
    value.to_ascii_lowercase()
}

impl wire::Actor {
    /// An actor with a REST id; one without (none known) is left out, as REST has none.
    fn into_model(self) -> Option<User> {
        Some(User {
            remote_id: self.database_id?,
            login: self.login,
            display_name: None,
            avatar_url: self.avatar_url.filter(|a| !a.is_empty()),
        })
    }
}

impl wire::Issue {
    fn into_model(self) -> Result<RemoteIssue, serde_json::Error> {
        let state: IssueState = rest_spelling(&self.state)
            .parse()
            .map_err(<serde_json::Error as serde::de::Error>::custom)?;
        let remote_id = self.database_id.ok_or_else(|| {
            <serde_json::Error as serde::de::Error>::custom("an issue without databaseId")
        })?;
        Ok(RemoteIssue {
            remote_id,
            number: self.number,
            title: self.title,
            body: self.body.unwrap_or_default(),
            state,
            state_reason: self.state_reason.as_deref().map(rest_spelling),
            labels: self
                .labels
                .nodes
                .into_iter()
                .flatten()
                .map(|l| Label {
                    remote_id: None,
                    name: l.name,
                    color: l
                        .color
                        .filter(|c| !c.is_empty())
                        .map(|c| c.to_ascii_lowercase()),
                    description: l.description.filter(|d| !d.is_empty()),
                })
                .collect(),
            assignees: self
                .assignees
                .nodes
                .into_iter()
                .flatten()
                .filter_map(wire::Actor::into_model)
                .collect(),
            milestone: self.milestone.map(|m| Milestone {
                remote_id: m.number,
                title: m.title,
                state: m.state.as_deref().map(rest_spelling),
                due_on: m.due_on.as_deref().and_then(|t| Timestamp::parse(t).ok()),
            }),
            author: self.author.and_then(wire::Actor::into_model),
            created_at: parse_time(&self.created_at)?,
            updated_at: parse_time(&self.updated_at)?,
            closed_at: self.closed_at.as_deref().map(parse_time).transpose()?,
            remote_url: self.url.filter(|u| !u.is_empty()),
            version: RemoteVersion::default(),
            moved_to: None,
            comment_count: None,
        })
    }
}

impl wire::Comment {
    fn into_model(self, issue_number: u64) -> Result<RemoteComment, serde_json::Error> {
        let remote_id = self.database_id.ok_or_else(|| {
            <serde_json::Error as serde::de::Error>::custom("a comment without databaseId")
        })?;
        Ok(RemoteComment {
            remote_id,
            issue_number,
            author: self.author.and_then(wire::Actor::into_model),
            body: self.body.unwrap_or_default(),
            created_at: parse_time(&self.created_at)?,
            updated_at: parse_time(&self.updated_at)?,
            remote_url: self.url.filter(|u| !u.is_empty()),
        })
    }
}

/// The answer to [`IMPORT_QUERY`], as far as it is read.
mod wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Answer {
        pub data: Option<Data>,
        #[serde(default)]
        pub errors: Vec<Error>,
    }

    #[derive(Deserialize)]
    pub struct Error {
        #[serde(rename = "type")]
        pub kind: Option<String>,
        pub message: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Data {
        pub rate_limit: Option<RateLimit>,
        pub repository: Option<Repository>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct RateLimit {
        pub cost: Option<u64>,
        pub reset_at: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Repository {
        pub latest: Nodes<Updated>,
        pub issues: Connection<Issue>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Updated {
        pub updated_at: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Connection<T> {
        pub page_info: PageInfo,
        #[serde(default = "Vec::new")]
        pub nodes: Vec<Option<T>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PageInfo {
        pub has_next_page: bool,
        pub end_cursor: Option<String>,
    }

    /// A connection read with its total (comments, labels).
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Counted<T> {
        pub total_count: u64,
        #[serde(default = "Vec::new")]
        pub nodes: Vec<Option<T>>,
    }

    #[derive(Deserialize)]
    pub struct Nodes<T> {
        #[serde(default = "Vec::new")]
        pub nodes: Vec<Option<T>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Actor {
        pub login: String,
        pub avatar_url: Option<String>,
        pub database_id: Option<i64>,
    }

    #[derive(Deserialize)]
    pub struct Label {
        pub name: String,
        pub color: Option<String>,
        pub description: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Milestone {
        pub number: i64,
        pub title: String,
        pub state: Option<String>,
        pub due_on: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Issue {
        pub database_id: Option<i64>,
        pub number: u64,
        pub title: String,
        pub body: Option<String>,
        pub url: Option<String>,
        pub state: String,
        pub state_reason: Option<String>,
        pub created_at: String,
        pub updated_at: String,
        pub closed_at: Option<String>,
        pub author: Option<Actor>,
        pub labels: Counted<Label>,
        pub assignees: Nodes<Actor>,
        pub milestone: Option<Milestone>,
        pub comments: Counted<Comment>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Comment {
        pub database_id: Option<i64>,
        pub body: Option<String>,
        pub url: Option<String>,
        pub created_at: String,
        pub updated_at: String,
        pub author: Option<Actor>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_sits_beside_the_rest_root() {
        assert_eq!(
            endpoint("https://api.github.com").unwrap().as_str(),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            endpoint("https://ghe.example/api/v3/").unwrap().as_str(),
            "https://ghe.example/api/graphql"
        );
    }

    #[test]
    fn enum_values_take_the_rest_spelling() {
        assert_eq!(rest_spelling("NOT_PLANNED"), "not_planned");
        assert_eq!(
            rest_spelling("CLOSED").parse::<IssueState>().ok(),
            Some(IssueState::Closed)
        );
    }

    proptest::proptest! {
        /// Whatever a server answers, decoding is a typed result.
        #[test]
        fn answers_never_panic(bytes in crate::provider::hostile_json::bodies()) {
            if let Ok(answer) = serde_json::from_slice::<wire::Answer>(&bytes) {
                if let Some(repository) = answer.data.and_then(|d| d.repository) {
                    for issue in repository.issues.nodes.into_iter().flatten() {
                        let _ = issue.into_model();
                    }
                }
            }
        }
    }
}
