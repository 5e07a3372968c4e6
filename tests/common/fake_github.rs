//! A stateful, in-process fake of the GitHub REST API v3 (issues, comments, labels,
//! milestones, repositories, users, issue search), for integration tests.
//!
//! The server listens on `127.0.0.1:<random port>` and runs on its own thread with its own
//! tokio runtime, so it works from plain `#[test]` functions as well as from `#[tokio::test]`
//! ones. It never touches the network beyond that loopback listener. Tests seed it through Rust
//! calls (the [`FakeTracker`] trait plus the inherent helpers below) and let the code under test
//! talk to it over real HTTP.
//!
//! Layout: GitHub Enterprise Server's. The web root is `http://127.0.0.1:PORT` (where `html_url`s
//! point; a minimal HTML page answers there) and the API lives at `{web}/api/v3`, which is what
//! `issuesync::remote_url::api_url` derives for a host that is not github.com. The behaviour
//! served there is api.github.com's (the description in
//! `shared/contracts/github-api.github.com.json`), plus GHES's `installed_version` in `/meta`.
//!
//! The clock is deterministic: it starts at 2026-01-05T10:00:00Z and every mutation (seeding or
//! API) advances it by one second. Times are rendered like GitHub: UTC, whole seconds, `Z`.
//! Rate-limit reset times are WALL-CLOCK epoch seconds (a client sleeps in real time).
//!
//! JSON bodies follow the `issue`, `issue-comment`, `label`, `milestone`, `simple-user`,
//! `repository`, `full-repository`, `private-user`, `issue-search-result-item`, `api-overview`,
//! `basic-error` and `validation-error` schemas of the description (checked by
//! `tests/fake_github_fidelity.rs` with `tests/common/github_openapi.rs`).
//!
//! # Behaviour reproduced, and where it comes from
//!
//! Confirmed by the OpenAPI description (parameter and operation texts) or by the recorded
//! payloads in `shared/contracts/samples/github/` (octokit fixtures, real api.github.com traffic):
//! - Paging: `per_page` (default 30, "max 100") and `page` (default 1). `Link` entries come in the
//!   order prev, next, last, first, joined by `", "`; a first page has only next and last, a last
//!   page only prev and first, a single page no `Link` at all. Repository-scoped lists link to
//!   `{api}/repositories/{id}/…` rather than `/repos/{owner}/{repo}/…`, and `page` is appended
//!   after the other query parameters (`octokit-fixture-paginate-issues.json`:
//!   `…/repositories/1000/issues?per_page=3&page=2`). The fake serves `/repositories/{id}/…` too.
//! - `GET /repos/{o}/{r}/issues`: `state` open|closed|all (default open), `sort`
//!   created|updated|comments (default created), `direction` asc|desc (default desc), `since`,
//!   `labels` (comma-separated), `milestone` (a number, `*` any, `none`), `assignee` (a login,
//!   `*`, `none`), `creator`, `mentioned`, `type` (`*` / `none` / a name). "Issues endpoints may
//!   return both issues and pull requests"; pull requests carry a `pull_request` object, and
//!   issues and pull requests share one number sequence. The recorded list is newest first.
//! - `since` means updated at or after (cheat sheet in `shared/docs`, from GitHub's docs).
//! - List items carry no `closed_by`; a single issue does (`issues-list-page.json` vs
//!   `issue.json`). An issue without body has `"body": null` (both samples).
//! - `GET …/issues/{n}`: a transferred issue answers 301, an issue deleted from a repository the
//!   caller can read answers 410, one deleted or transferred where the caller cannot read answers
//!   404 (operation text). A pull request number returns the pull request as an issue.
//! - `PATCH …/issues/{n}`: "Issue owners and users with push access or Triage role can edit an
//!   issue"; `labels` and `assignees` REPLACE the sets (`[]` clears); `milestone` is a number or
//!   `null`; without push access label, assignee and milestone changes are "silently dropped";
//!   `state_reason` is "Ignored unless `state` is changed". `POST …/issues`: "Any user with pull
//!   access to a repository can create an issue"; `title` is required; labels, assignees and
//!   milestone of a caller without push access are silently dropped. 201 with `Location` (the
//!   issue's API URL) and an `ETag` (`octokit-fixture-add-labels-to-issue.json`).
//! - Labels created implicitly (by name in `labels`) get colour `ededed`; a label's `url` ends in
//!   its name (same fixture).
//! - Repository-wide comments include comments on pull requests and are "ordered by ascending
//!   ID"; `direction` is "Ignored without the `sort` parameter". Per-issue comments too.
//! - `owner` and `repo` are "not case sensitive".
//! - `/user/repos`: `type` together with `visibility` or `affiliation` answers 422; `direction`
//!   defaults to asc for `sort=full_name` (the default) and desc otherwise.
//! - The 422 shape `{"message":"Validation Failed","errors":[{"resource","code","field"}],
//!   "documentation_url"}` (`octokit-fixture-errors-422.json`).
//! - Rate-limit headers `x-ratelimit-limit`, `-remaining`, `-used`, `-reset`, `-resource` on
//!   responses (all recorded fixtures); a 304 to an authorized conditional request does not count
//!   against the primary limit (cheat sheet, from GitHub's best-practices page).
//!
//! Assumed (GitHub behaviour not confirmed in the material at hand):
//! - `Authorization: Bearer <t>` and `token <t>` (scheme case-insensitive) authenticate; any other
//!   `Authorization` value, or an unknown token, answers 401 `Bad credentials` on every route.
//!   Anonymous reads of public repositories work; private repositories answer 404 `Not Found` to
//!   anonymous users and non-collaborators. Anonymous writes answer 401 `Requires
//!   authentication` (checked before the repository is looked up). `GET /user` and
//!   `/user/repos` need a token.
//! - Error bodies carry `message`, `documentation_url` (the operation's docs page; `https://docs.
//!   github.com/rest` for unknown routes and bad credentials) and `status` (the code as a
//!   string). Unknown routes and unsupported methods answer 404.
//! - `ETag` is `W/"<hash of the body>"`, so it changes exactly when the body changes, and is sent
//!   on every JSON success answer; `If-None-Match` (a list, `*`, weak comparison) on a GET answers
//!   304 with an empty body. Single issues also carry `Last-Modified`.
//! - Every API answer (injected failures too) carries the `x-ratelimit-*` headers. Primary
//!   limits: 5000 requests an hour with a token, 60 without (keyed by user, or by the caller's
//!   address for anonymous requests and failed logins), `x-ratelimit-resource: core`;
//!   issue search has its own bucket (`search`, 30 a minute with a token, 10 without). An
//!   exhausted bucket answers 403 `API rate limit exceeded for user ID <id>.` (anonymous: `…for
//!   127.0.0.1. …`) with `x-ratelimit-remaining: 0` and no `retry-after`; a secondary limit
//!   ([`FakeGitHub::secondary_rate_limit_next`]) answers 403 with `retry-after` and remaining
//!   requests. [`FakeTracker::rate_limit_next`] plays the primary one (reset rounded UP to a whole
//!   second so a client waits at least the time asked); [`FakeGitHub::set_rate_limit_status`]
//!   switches it to 429.
//! - Invalid `state`/`sort`/`direction` values and an unparsable `since` answer 422 Validation
//!   Failed naming the field; `per_page` above 100 is capped, below 1 or not a number is 30;
//!   `page` below 1 is 1. `since` accepts RFC 3339, a bare date, and no zone (UTC); an
//!   unescaped `+` decoded to a space is invalid. A `milestone` number that does not exist lists
//!   nothing; a non-number (other than `*`/`none`) is 422. Label names match case-insensitively.
//!   Ties in every order are broken by id in the same direction.
//! - PATCH: `assignees` naming a login that does not exist or cannot be assigned (not the
//!   owner or a collaborator), or more than 10, answers 422 with one `{"value","resource":
//!   "Issue","field":"assignees","code":"invalid"}` error per bad login; an unknown milestone
//!   number answers 422 (`field: milestone`). Closing sets `closed_at`, `closed_by` and
//!   `state_reason` (default `completed`); reopening clears `closed_at`/`closed_by` and sets
//!   `state_reason: reopened`. `updated_at` moves only when something changed. A non-writer
//!   editing someone else's issue gets 403. The legacy `assignee` field replaces the set with one
//!   login (`null` clears) unless `assignees` is given. `title: null` leaves the title alone; an
//!   empty title is 422 `missing_field`. Wrongly typed fields answer 422 `Invalid request.` with
//!   a JSON-schema style sentence; a body that is not JSON answers 400 `Problems parsing JSON`.
//! - A missing `title` (POST) or `body` (comment) answers 422 `Invalid request.\n\n"title"
//!   wasn't supplied.`; a blank comment body 422 `Body cannot be blank`. Adding a comment bumps
//!   the issue's `updated_at` and `comments`.
//! - Issue search (`GET /search/issues`): qualifiers `repo:`, `is:issue|pr|pull-request|open|
//!   closed`, `type:issue|pr`, `state:`, `in:title|body|comments` (comma lists), `label:`,
//!   `author:`, `assignee:`, `no:label|assignee|milestone`; every other word or "quoted phrase"
//!   must occur in one of the `in:` fields (default all three), compared as lowercase
//!   alphanumeric words, so punctuation is ignored (a quoted phrase matches consecutive words).
//!   A `repo:` the caller cannot see answers 422 (`The listed users and repositories cannot be
//!   searched…`); no `q` answers 422 `missing`. Results: newest first unless `sort`/`order`;
//!   `score` 1.0, `search_type: lexical`, `body` always a string (the schema says so).
//!   The index can lag behind ([`FakeGitHub::set_search_lag`]; off by default): title and body
//!   are matched as they were `lag` ago (wall clock), and an issue created within the lag is not
//!   found at all.
//! - A transferred issue ([`FakeGitHub::transfer_issue`]) gets the next number of the target
//!   repository and keeps its comments; labels and the milestone come along where the target has
//!   the same names, assignees where they may be assigned there. The old number answers 301 with
//!   `Location: {api}/repositories/{target id}/issues/{new number}` (plus the rest of the path)
//!   and `{"message":"Moved Permanently","url":…}`.
//! - A renamed or transferred repository ([`FakeGitHub::rename_repo`]; a transfer to another
//!   owner is the same operation) keeps its id, issues, comments, labels, milestones and
//!   collaborators and answers at its new path. Every API URL under its old path
//!   (`/repos/{old owner}/{old name}/…`) redirects to `{api}/repositories/{id}/…` with the same
//!   rest of the path and the same query: GET and HEAD answer 301 `{"message":"Moved
//!   Permanently","url":<Location>,"documentation_url":…}` (the repository and issue
//!   operations of the description list that 301), other methods 307 `Temporary Redirect`
//!   ("301 or 307 HTTP redirect, depending on the type of request", GitHub's announcement
//!   of repository redirects, 2015-04-17), and nothing is changed. A caller who cannot read the
//!   repository gets 404 instead. Renames chain (every old path redirects); a repository
//!   created later at an old path ends that path's redirect. Web pages of old paths are not
//!   redirected (404).
//! - Trait-made repositories ([`FakeTracker::add_repo`]) are team repositories: the owner is an
//!   organization (unless a user of that login exists) and every user added so far is a
//!   collaborator. `author_association` is OWNER, COLLABORATOR or NONE.
//! - Lists: labels by id (creation order), milestones by due date then number (none has a due
//!   date here), assignees and `/user/repos` by login/full name, case-insensitively.
//! - `/meta` answers anonymously with `installed_version` (GHES).
//! - GraphQL (`POST {web}/api/graphql`, GHES's place; api.github.com's is `/graphql`): the one
//!   query the adapter sends, recognised by its operation name `IssueSyncImport` (any other
//!   operation answers 200 with an `errors` entry, as GitHub answers a query it cannot run;
//!   a body that is not JSON 400 `Problems parsing JSON`). It answers in the schema's shape
//!   (`repository.issues` with `pageInfo { hasNextPage endCursor }`, `nodes`, `totalCount`,
//!   enum values such as `OPEN`, `NOT_PLANNED`), never listing pull requests, oldest
//!   created first; cursors are opaque and name the last issue of the page (a keyset: an
//!   issue created meanwhile lands on a later page). Costs follow GitHub's rate-limit page
//!   ("add up the requests needed to fill each connection, assuming each reaches its
//!   `first`; divide by 100 and round; at least 1"): 1 for `issues`, 1 for `latest`, 3 per
//!   requested issue. They are drawn from a separate `graphql` budget of 5,000 points an
//!   hour, reported in `rateLimit { cost remaining resetAt }` and in `x-ratelimit-*`
//!   headers with `x-ratelimit-resource: graphql`; a spent budget answers 200 with
//!   `errors: [{type: RATE_LIMITED}]` and `x-ratelimit-remaining: 0` (GitHub docs: "the
//!   response status will still be 200"; github/docs#22607). No token: 401 `This endpoint
//!   requires you to be authenticated.`; a bad one 401 `Bad credentials`. `first` above 100
//!   is an error (`EXCESSIVE_PAGINATION`), an unknown repository `NOT_FOUND`.
//!   [`FakeGitHub::disable_graphql`] makes the endpoint 404 (an instance without it).
//! - Not modelled: reactions, locking, issue types and fields, sub-issues, editing or
//!   deleting comments through the API, `If-Modified-Since`, media types, API versions, OAuth
//!   scopes, organisations' members and teams, forks, the 1000-result search cap.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use issuesync::model::ProviderKind;
use serde_json::{json, Map, Value};

use super::in_flight::{InFlight, Peaks};
use super::server::{ConnHandle, FakeServer};
pub use super::tracker::{FakeTracker, NewIssue, RemoteEdit, SeenRequest, TrackerIssue};

/// Default `per_page`.
pub const DEFAULT_PER_PAGE: usize = 30;
/// Largest honoured `per_page` (bigger values are capped silently).
pub const MAX_PER_PAGE: usize = 100;
/// Primary rate limit per hour with a token.
pub const RATE_LIMIT_AUTHENTICATED: u64 = 5000;
/// Primary rate limit per hour without one.
pub const RATE_LIMIT_ANONYMOUS: u64 = 60;
/// Search requests per minute with a token.
pub const SEARCH_LIMIT_AUTHENTICATED: u64 = 30;
/// Search requests per minute without one.
pub const SEARCH_LIMIT_ANONYMOUS: u64 = 10;
/// What `GET /meta` reports as `installed_version`.
pub const GHES_VERSION: &str = "3.17.2";
/// `documentation_url` of errors that belong to no operation.
pub const DOCS_ROOT: &str = "https://docs.github.com/rest";
/// Colour of labels created implicitly.
pub const NEW_LABEL_COLOR: &str = "ededed";
/// Most assignees an issue may have.
pub const MAX_ASSIGNEES: usize = 10;
/// GraphQL points per hour with a token.
pub const GRAPHQL_POINTS: u64 = 5000;
const DOC_GRAPHQL_AUTH: &str =
    "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql";

const ID_BASE_REPO: u64 = 1000;
const ID_BASE_ISSUE: u64 = 100_000;
const ID_BASE_COMMENT: u64 = 500_000;
const ID_BASE_LABEL: u64 = 2000;
const ID_BASE_MILESTONE: u64 = 3000;

const DOC_META: &str = "https://docs.github.com/rest/meta/meta#get-github-meta-information";
const DOC_USER: &str = "https://docs.github.com/rest/users/users#get-the-authenticated-user";
const DOC_USER_REPOS: &str =
    "https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user";
const DOC_REPO: &str = "https://docs.github.com/rest/repos/repos#get-a-repository";
const DOC_LABELS: &str = "https://docs.github.com/rest/issues/labels#list-labels-for-a-repository";
const DOC_MILESTONES: &str = "https://docs.github.com/rest/issues/milestones#list-milestones";
const DOC_ASSIGNEES: &str = "https://docs.github.com/rest/issues/assignees#list-assignees";
const DOC_LIST_ISSUES: &str = "https://docs.github.com/rest/issues/issues#list-repository-issues";
const DOC_CREATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#create-an-issue";
const DOC_GET_ISSUE: &str = "https://docs.github.com/rest/issues/issues#get-an-issue";
const DOC_UPDATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#update-an-issue";
const DOC_REPO_COMMENTS: &str =
    "https://docs.github.com/rest/issues/comments#list-issue-comments-for-a-repository";
const DOC_ISSUE_COMMENTS: &str = "https://docs.github.com/rest/issues/comments#list-issue-comments";
const DOC_HOOKS_LIST: &str = "https://docs.github.com/rest/repos/webhooks#list-repository-webhooks";
const DOC_HOOKS_CREATE: &str =
    "https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook";
const DOC_HOOKS_DELETE: &str =
    "https://docs.github.com/rest/repos/webhooks#delete-a-repository-webhook";
const DOC_CREATE_COMMENT: &str =
    "https://docs.github.com/rest/issues/comments#create-an-issue-comment";
const DOC_SEARCH: &str =
    "https://docs.github.com/rest/search/search#search-issues-and-pull-requests";
const DOC_RATE_LIMIT: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
const DOC_REDIRECT: &str =
    "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects";

/// Snapshot of an issue or pull request (names resolved), see [`FakeGitHub::github_issue`].
#[derive(Debug, Clone, PartialEq)]
pub struct GitHubIssue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: String,
    /// "open" or "closed".
    pub state: String,
    pub state_reason: Option<String>,
    /// Names, in the order the issue carries them.
    pub labels: Vec<String>,
    /// Logins, in assignment order.
    pub assignees: Vec<String>,
    pub milestone: Option<String>,
    pub author: String,
    pub is_pull: bool,
    pub comments: usize,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
}

/// Snapshot of a comment, see [`FakeGitHub::comments`].
#[derive(Debug, Clone, PartialEq)]
pub struct GitHubComment {
    pub id: u64,
    pub issue_number: u64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A recorded request and when it arrived.
#[derive(Debug, Clone)]
pub struct TimedRequest {
    pub request: SeenRequest,
    pub at: Instant,
    /// The status answered (`None` while in flight or for a connection that was cut early).
    pub status: Option<u16>,
}

/// The fake server. Dropping it shuts the server down.
pub struct FakeGitHub {
    shared: Arc<Shared>,
    _server: FakeServer,
}

#[derive(Clone)]
struct Urls {
    /// `http://127.0.0.1:PORT`.
    web: String,
    /// `{web}/api/v3`.
    api: String,
    /// `127.0.0.1:PORT`.
    host: String,
}

struct Shared {
    world: Mutex<World>,
    urls: Urls,
    /// Requests in flight at once, and the latency every request waits.
    in_flight: InFlight,
}

impl Shared {
    /// The world, for anything that may change it: the listing orders it remembered are
    /// dropped.
    fn world(&self) -> MutexGuard<'_, World> {
        let mut w = self.world_for_request();
        w.listings.get_mut().clear();
        w
    }

    /// The world for answering one request; [`handle`] drops the remembered listing
    /// orders after any request but an issue or comment listing.
    fn world_for_request(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FakeGitHub {
    /// Starts a server: web pages at `http://127.0.0.1:PORT`, the API at `…/api/v3`.
    pub fn start() -> FakeGitHub {
        let (listener, port) = FakeServer::bind();
        let host = format!("127.0.0.1:{port}");
        let web = format!("http://{host}");
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new()),
            urls: Urls {
                api: format!("{web}/api/v3"),
                web,
                host,
            },
            in_flight: InFlight::default(),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = FakeServer::serve(&format!("fake-github-{port}"), listener, app);
        FakeGitHub {
            shared,
            _server: server,
        }
    }

    /// Primary limits per hour with and without a token (defaults 5000 and 60).
    pub fn with_rate_limits(self, authenticated: u64, anonymous: u64) -> Self {
        {
            let mut w = self.shared.world();
            w.core_limits = (authenticated, anonymous);
        }
        self
    }

    /// `http://127.0.0.1:PORT` (what `connection add --url` takes).
    pub fn web_url(&self) -> String {
        self.shared.urls.web.clone()
    }

    /// `{web_url}/api/v3`.
    pub fn api_url(&self) -> String {
        self.shared.urls.api.clone()
    }

    /// Creates the user if missing (returns its id); a `token` authenticates as that user.
    pub fn add_user_with_id(&self, login: &str, token: Option<&str>) -> u64 {
        let mut w = self.shared.world();
        let id = w.ensure_user(login);
        if let Some(t) = token {
            w.tokens.insert(t.to_string(), id);
        }
        id
    }

    /// Creates `owner/name` with only its owner (a user of that login, else an organization) as
    /// writer; returns the repository id. Calling it again only updates `private`.
    pub fn add_repository(&self, path: &str, private: bool) -> u64 {
        let mut w = self.shared.world();
        let ri = w.add_repo(path, private);
        w.repos[ri].id
    }

    /// Makes `login` a collaborator (push access) of `repo`.
    pub fn add_collaborator(&self, repo: &str, login: &str) {
        let mut w = self.shared.world();
        let uid = w.ensure_user(login);
        let ri = w.repo_or_panic(repo);
        w.repos[ri].collaborators.insert(uid);
    }

    /// The repository id (what `/repositories/{id}` and `Link` URLs use).
    pub fn repo_id(&self, path: &str) -> Option<u64> {
        let w = self.shared.world();
        w.repo_by_path(path).map(|ri| w.repos[ri].id)
    }

    /// A milestone's number.
    pub fn milestone_number(&self, repo: &str, title: &str) -> Option<u64> {
        let w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        w.repos[ri]
            .milestones
            .iter()
            .find(|m| m.title == title)
            .map(|m| m.number)
    }

    /// Closes or reopens a milestone.
    pub fn set_milestone_closed(&self, repo: &str, title: &str, closed: bool) {
        let mut w = self.shared.world();
        let now = w.tick();
        let ri = w.repo_or_panic(repo);
        let m = w.repos[ri]
            .milestones
            .iter_mut()
            .find(|m| m.title == title)
            .unwrap_or_else(|| panic!("fake github: no milestone {title:?} in {repo}"));
        m.closed = closed;
        m.updated = now;
        m.closed_at = closed.then_some(now);
    }

    /// Creates `count` issues titled `Bulk issue N` (by the first user, else the owner), one
    /// clock second each; returns their numbers.
    pub fn add_many_issues(&self, repo: &str, count: usize) -> Vec<u64> {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        let author = w
            .users
            .iter()
            .find(|u| !u.org)
            .map(|u| u.id)
            .unwrap_or(w.repos[ri].owner);
        (0..count)
            .map(|n| {
                let now = w.tick();
                w.insert_issue(
                    ri,
                    IssueSeed {
                        title: format!("Bulk issue {}", n + 1),
                        body: String::new(),
                        author,
                        labels: Vec::new(),
                        milestone: None,
                        assignees: Vec::new(),
                        is_pull: false,
                    },
                    now,
                )
            })
            .collect()
    }

    /// Transfers issue `number` of `repo` to `to_repo` (see the module doc); returns its new
    /// number. Advances the clock one second.
    pub fn transfer_issue(&self, repo: &str, number: u64, to_repo: &str) -> u64 {
        let mut w = self.shared.world();
        let from = w.repo_or_panic(repo);
        let to = w.repo_or_panic(to_repo);
        w.transfer(from, number, to)
            .unwrap_or_else(|| panic!("fake github: cannot transfer {repo}#{number}"))
    }

    /// Renames `old_path` to `new_path`, or transfers it to another owner (see the module doc):
    /// the repository keeps its id and everything in it, and its old path redirects. Advances
    /// the clock one second.
    pub fn rename_repo(&self, old_path: &str, new_path: &str) {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(old_path);
        w.rename(ri, new_path);
    }

    /// Snapshot of one issue or pull request; `None` when missing, deleted or transferred.
    pub fn github_issue(&self, repo: &str, number: u64) -> Option<GitHubIssue> {
        let w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        w.repos[ri].issues.get(&number).map(|i| w.snapshot(ri, i))
    }

    /// The comments of an issue, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<GitHubComment> {
        let w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        w.repos[ri]
            .comments
            .iter()
            .filter(|c| c.issue_number == number)
            .map(|c| GitHubComment {
                id: c.id,
                issue_number: c.issue_number,
                author: w.login(c.author),
                body: c.body.clone(),
                created_at: c.created_at,
                updated_at: c.updated_at,
            })
            .collect()
    }

    /// Edits a comment as its author would: the comment's `updated_at` moves, its issue's not.
    pub fn edit_comment(&self, repo: &str, comment_id: u64, body: &str) {
        let mut w = self.shared.world();
        let now = w.tick();
        let ri = w.repo_or_panic(repo);
        let c = w.repos[ri]
            .comments
            .iter_mut()
            .find(|c| c.id == comment_id)
            .unwrap_or_else(|| panic!("fake github: no comment {comment_id} in {repo}"));
        c.body = body.to_string();
        c.updated_at = now;
    }

    /// Makes issue search see titles and bodies as they were `lag` ago (wall clock); zero (the
    /// default) makes it immediate.
    pub fn set_search_lag(&self, lag: std::time::Duration) {
        self.shared.world().search_lag = lag;
    }

    /// The next `count` requests answer a SECONDARY rate limit: 403, `retry-after:
    /// retry_after_secs`, requests still remaining. Recorded, not applied.
    pub fn secondary_rate_limit_next(&self, count: usize, retry_after_secs: u64) {
        let mut w = self.shared.world();
        w.secondary_count = count;
        w.secondary_secs = retry_after_secs;
    }

    /// Like [`FakeGitHub::secondary_rate_limit_next`], without `retry-after`: GitHub's
    /// docs say a secondary limit may come without it, and then the client waits at
    /// least a minute and backs off exponentially.
    pub fn secondary_rate_limit_next_without_retry_after(&self, count: usize) {
        let mut w = self.shared.world();
        w.secondary_count = count;
        w.secondary_secs = 0;
    }

    /// Right after the next issue-listing page is answered, someone retitles issue
    /// `number` of `repo`: its `updated_at` moves, so in `sort=updated` order it jumps
    /// to the end while the client is still paging.
    pub fn edit_after_next_listing(&self, repo: &str, number: u64, title: &str) {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        w.after_next_listing = Some((ri, number, title.to_string()));
    }

    /// The status [`FakeTracker::rate_limit_next`] answers: 403 (default) or 429.
    pub fn set_rate_limit_status(&self, status: u16) {
        self.shared.world().rate_limit_status = status;
    }

    /// Every request received so far with its arrival time, in order.
    /// `POST /api/graphql` answers 404 from now on, as on an instance without GraphQL.
    pub fn disable_graphql(&self) {
        self.shared.world().graphql_disabled = true;
    }

    /// The GraphQL points charged so far (the sum of the answers' `rateLimit.cost`).
    pub fn graphql_points(&self) -> u64 {
        self.shared.world().graphql_points
    }

    /// After `ok` more GraphQL queries answered as usual, the next one answers 200 with
    /// `errors: [{"type": kind, "message"}]`.
    pub fn graphql_error_after(&self, ok: usize, kind: &str, message: &str) {
        let mut w = self.shared.world();
        w.graphql_script.extend(std::iter::repeat_n(None, ok));
        w.graphql_script
            .push_back(Some((kind.to_string(), message.to_string())));
    }

    pub fn request_log(&self) -> Vec<TimedRequest> {
        self.shared.world().requests.clone()
    }

    /// The fake's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.world().now
    }

    /// Every later request waits `latency` before it is answered, like a real network
    /// would make it (zero, the default: none).
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.shared.in_flight.set_latency(latency);
    }

    /// The most requests (reads, writes, others beside a write) in flight at once so far.
    pub fn in_flight_peaks(&self) -> Peaks {
        self.shared.in_flight.peaks()
    }

    /// Starts [`FakeGitHub::in_flight_peaks`] again.
    pub fn reset_in_flight_peaks(&self) {
        self.shared.in_flight.reset();
    }
}

impl FakeTracker for FakeGitHub {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Github
    }

    fn web_url(&self) -> String {
        FakeGitHub::web_url(self)
    }

    fn add_user(&self, login: &str, token: Option<&str>) {
        self.add_user_with_id(login, token);
    }

    /// A team repository: every user added so far is a collaborator (may write).
    fn add_repo(&self, path: &str, private: bool) {
        let mut w = self.shared.world();
        let ri = w.add_repo(path, private);
        let owner = w.repos[ri].owner;
        let users: Vec<u64> = w
            .users
            .iter()
            .filter(|u| !u.org && u.id != owner)
            .map(|u| u.id)
            .collect();
        w.repos[ri].collaborators.extend(users);
    }

    fn add_label(&self, repo: &str, name: &str, color: &str) {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        let id = w.ensure_label(ri, name);
        if let Some(l) = w.repos[ri].labels.iter_mut().find(|l| l.id == id) {
            l.color = color.trim_start_matches('#').to_ascii_lowercase();
        }
    }

    fn add_milestone(&self, repo: &str, title: &str) {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        w.ensure_milestone(ri, title);
    }

    /// Creates an issue or pull request; labels, milestone and users named are created if
    /// missing (no permission checks: this is seeding).
    fn create_issue(&self, repo: &str, issue: NewIssue<'_>) -> u64 {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        let author = w.ensure_user(issue.author);
        let labels = issue.labels.iter().map(|l| w.ensure_label(ri, l)).collect();
        let milestone = issue.milestone.map(|m| w.ensure_milestone(ri, m));
        let assignees = issue.assignees.iter().map(|a| w.ensure_user(a)).collect();
        let now = w.tick();
        w.insert_issue(
            ri,
            IssueSeed {
                title: issue.title.to_string(),
                body: issue.body.to_string(),
                author,
                labels,
                milestone,
                assignees,
                is_pull: issue.pull_request,
            },
            now,
        )
    }

    /// Applies the edit as the repository owner (or, for an organization, the issue's author);
    /// a no-op edit still advances the clock but leaves `updated_at` alone.
    fn edit_issue(&self, repo: &str, number: u64, edit: RemoteEdit) {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        let author = w.repos[ri]
            .issues
            .get(&number)
            .map(|i| i.author)
            .unwrap_or_else(|| panic!("fake github: no issue #{number} in {repo}"));
        let owner = w.repos[ri].owner;
        let actor = if w.user(owner).is_some_and(|u| !u.org) {
            owner
        } else {
            author
        };
        let labels = edit
            .labels
            .map(|names| names.iter().map(|n| w.ensure_label(ri, n)).collect());
        let assignees = edit
            .assignees
            .map(|logins| logins.iter().map(|l| w.ensure_user(l)).collect());
        let milestone = edit
            .milestone
            .map(|m| m.map(|title| w.ensure_milestone(ri, &title)));
        let changes = Changes {
            title: edit.title,
            body: edit.body,
            close: edit.state.map(|s| s == "closed"),
            state_reason: None,
            labels,
            assignees,
            milestone,
        };
        if !w.apply_changes(ri, number, actor, changes) {
            w.tick();
        }
    }

    fn delete_issue(&self, repo: &str, number: u64) {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        w.tick();
        let r = &mut w.repos[ri];
        if r.issues.remove(&number).is_some() {
            r.comments.retain(|c| c.issue_number != number);
            r.comment_counts.remove(&number);
            r.deleted.insert(number);
        }
    }

    fn add_comment(&self, repo: &str, number: u64, author: &str, body: &str) {
        let mut w = self.shared.world();
        let ri = w.repo_or_panic(repo);
        assert!(
            w.repos[ri].issues.contains_key(&number),
            "fake github: no issue #{number} in {repo}"
        );
        let author = w.ensure_user(author);
        w.add_comment(ri, number, author, body);
    }

    fn issue(&self, repo: &str, number: u64) -> Option<TrackerIssue> {
        let g = self.github_issue(repo, number)?;
        let mut labels = g.labels;
        labels.sort();
        let mut assignees = g.assignees;
        assignees.sort();
        Some(TrackerIssue {
            number: g.number,
            title: g.title,
            body: g.body,
            state: g.state,
            labels,
            assignees,
            milestone: g.milestone,
            updated_at: g.updated_at,
        })
    }

    fn comment_bodies(&self, repo: &str, number: u64) -> Vec<String> {
        self.comments(repo, number)
            .into_iter()
            .map(|c| c.body)
            .collect()
    }

    fn hooks(&self, repo: &str) -> Vec<super::fake_hooks::TrackerHook> {
        self.shared.world().hooks.list(repo)
    }

    fn requests(&self) -> Vec<SeenRequest> {
        self.shared
            .world()
            .requests
            .iter()
            .map(|r| r.request.clone())
            .collect()
    }

    fn clear_requests(&self) {
        self.shared.world().requests.clear();
    }

    /// The next `count` requests answer `status` with a GitHub error body; they are recorded
    /// but not applied.
    fn fail_next(&self, count: usize, status: u16) {
        let mut w = self.shared.world();
        w.fail_count = count;
        w.fail_status = status;
    }

    /// The next `count` requests answer the primary rate limit (see the module doc), lifting
    /// `retry_after_secs` from now; recorded, not applied.
    fn rate_limit_next(&self, count: usize, retry_after_secs: u64) {
        let mut w = self.shared.world();
        w.rate_limit_count = count;
        w.rate_limit_secs = retry_after_secs;
    }

    fn advance_clock(&self, secs: i64) {
        self.shared.world().now += Duration::seconds(secs);
    }

    /// The next POST, PATCH, PUT or DELETE that reaches the API (past `fail_next`,
    /// `rate_limit_next` and authentication) is carried out, then its connection is closed
    /// without an answer.
    fn drop_connection_after_next_write(&self) {
        self.shared.world().drop_next_write = true;
    }

    fn delay_next_write(&self, delay: std::time::Duration) {
        self.shared.world().delay_next_write = Some(delay);
    }
}

/// Renders a timestamp the way GitHub does: UTC, whole seconds, `Z`.
pub fn render_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// State

struct UserRec {
    id: u64,
    login: String,
    name: String,
    /// An organization account (owns repositories, never authenticates).
    org: bool,
    created: DateTime<Utc>,
}

struct LabelRec {
    id: u64,
    name: String,
    color: String,
    description: Option<String>,
}

struct MilestoneRec {
    id: u64,
    number: u64,
    title: String,
    closed: bool,
    creator: u64,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

/// Title and body as the search index saw them; `None`: indexed since before any lag.
type SearchDoc = (Option<Instant>, String, String);

#[derive(Clone)]
struct IssueRec {
    id: u64,
    number: u64,
    title: String,
    body: String,
    closed: bool,
    state_reason: Option<String>,
    /// Label ids, in the order they were put on the issue.
    labels: Vec<u64>,
    assignees: Vec<u64>,
    /// Milestone number.
    milestone: Option<u64>,
    author: u64,
    is_pull: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    closed_by: Option<u64>,
    search_docs: Vec<SearchDoc>,
}

impl IssueRec {
    /// Whether the fields an edit can change are equal (timestamps and index aside).
    fn same_content(&self, other: &IssueRec) -> bool {
        self.title == other.title
            && self.body == other.body
            && self.closed == other.closed
            && self.state_reason == other.state_reason
            && self.labels == other.labels
            && self.assignees == other.assignees
            && self.milestone == other.milestone
    }
}

struct CommentRec {
    id: u64,
    issue_number: u64,
    author: u64,
    body: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

struct RepoRec {
    id: u64,
    owner: u64,
    name: String,
    private: bool,
    collaborators: BTreeSet<u64>,
    labels: Vec<LabelRec>,
    milestones: Vec<MilestoneRec>,
    issues: BTreeMap<u64, IssueRec>,
    comments: Vec<CommentRec>,
    /// Comments per issue number, kept with `comments` (a listing of 100,000 issues
    /// reports each count without scanning every comment).
    comment_counts: HashMap<u64, usize>,
    deleted: BTreeSet<u64>,
    /// Old number → (target repository index, new number).
    transferred: BTreeMap<u64, (usize, u64)>,
    next_number: u64,
    created: DateTime<Utc>,
}

impl RepoRec {
    fn label(&self, id: u64) -> Option<&LabelRec> {
        self.labels.iter().find(|l| l.id == id)
    }

    fn label_by_name(&self, name: &str) -> Option<&LabelRec> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    fn milestone(&self, number: u64) -> Option<&MilestoneRec> {
        self.milestones.iter().find(|m| m.number == number)
    }

    fn comment_count(&self, number: u64) -> usize {
        self.comment_counts.get(&number).copied().unwrap_or(0)
    }
}

struct IssueSeed {
    title: String,
    body: String,
    author: u64,
    labels: Vec<u64>,
    milestone: Option<u64>,
    assignees: Vec<u64>,
    is_pull: bool,
}

/// An update to apply; `None` leaves a field alone.
#[derive(Default)]
struct Changes {
    title: Option<String>,
    body: Option<String>,
    /// `Some(true)` closes, `Some(false)` reopens.
    close: Option<bool>,
    /// Only used when the state changes.
    state_reason: Option<Option<String>>,
    labels: Option<Vec<u64>>,
    assignees: Option<Vec<u64>>,
    milestone: Option<Option<u64>>,
}

/// A primary rate-limit window.
struct Bucket {
    used: u64,
    /// Epoch seconds.
    reset: i64,
}

/// What became of an issue number.
enum Lookup<'a> {
    Found(&'a IssueRec),
    Deleted,
    Transferred { to: usize, number: u64 },
    Missing,
}

struct World {
    now: DateTime<Utc>,
    /// Index = id - 1.
    users: Vec<UserRec>,
    user_index: HashMap<String, usize>,
    tokens: HashMap<String, u64>,
    /// Index = id - ID_BASE_REPO - 1.
    repos: Vec<RepoRec>,
    repo_index: HashMap<String, usize>,
    /// Old paths (lowercase) of renamed or transferred repositories → where they went.
    renamed: HashMap<String, usize>,
    next_issue_id: u64,
    next_comment_id: u64,
    next_label_id: u64,
    next_milestone_id: u64,
    requests: Vec<TimedRequest>,
    request_seq: u64,
    fail_count: usize,
    fail_status: u16,
    rate_limit_count: usize,
    rate_limit_secs: u64,
    rate_limit_status: u16,
    secondary_count: usize,
    secondary_secs: u64,
    after_next_listing: Option<(usize, u64, String)>,
    drop_next_write: bool,
    delay_next_write: Option<std::time::Duration>,
    /// (with a token, without) per hour.
    core_limits: (u64, u64),
    buckets: HashMap<(String, &'static str), Bucket>,
    search_lag: std::time::Duration,
    hooks: super::fake_hooks::Hooks,
    /// `POST /api/graphql` answers 404 ([`FakeGitHub::disable_graphql`]).
    graphql_disabled: bool,
    /// Points charged to GraphQL queries so far (their `rateLimit.cost`).
    graphql_points: u64,
    /// What the next GraphQL queries answer, one entry each: `None` as usual, `Some`
    /// 200 with `errors: [{type, message}]`.
    graphql_script: std::collections::VecDeque<Option<(String, String)>>,
    /// The full order of a listing (issue numbers or comment indexes) by repository and
    /// query (`page` aside), as the last request computed it: the next pages of a
    /// listing cost their page, as a real server's indexes make them, instead of a sort
    /// of the whole repository each. Dropped whenever the world may have changed.
    listings: std::cell::RefCell<HashMap<ListingKey, Vec<u64>>>,
}

/// Which listing (`issues`, `comments`), of which repository, with which query.
type ListingKey = (&'static str, usize, String);

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl World {
    fn new() -> World {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 5, 10, 0, 0)
            .single()
            .expect("valid start time");
        World {
            now,
            users: Vec::new(),
            user_index: HashMap::new(),
            tokens: HashMap::new(),
            repos: Vec::new(),
            repo_index: HashMap::new(),
            renamed: HashMap::new(),
            next_issue_id: ID_BASE_ISSUE,
            next_comment_id: ID_BASE_COMMENT,
            next_label_id: ID_BASE_LABEL,
            next_milestone_id: ID_BASE_MILESTONE,
            requests: Vec::new(),
            request_seq: 0,
            fail_count: 0,
            fail_status: 500,
            rate_limit_count: 0,
            rate_limit_secs: 60,
            rate_limit_status: 403,
            secondary_count: 0,
            secondary_secs: 60,
            after_next_listing: None,
            drop_next_write: false,
            delay_next_write: None,
            core_limits: (RATE_LIMIT_AUTHENTICATED, RATE_LIMIT_ANONYMOUS),
            buckets: HashMap::new(),
            search_lag: std::time::Duration::ZERO,
            hooks: Default::default(),
            graphql_disabled: false,
            graphql_points: 0,
            graphql_script: Default::default(),
            listings: Default::default(),
        }
    }

    /// The order `compute` gives for the `listing` `query` of repository `ri`,
    /// remembered until the world changes.
    fn listing_order(
        &self,
        listing: &'static str,
        ri: usize,
        query: &[(String, String)],
        compute: impl FnOnce() -> Vec<u64>,
    ) -> Vec<u64> {
        let key = query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        self.listings
            .borrow_mut()
            .entry((listing, ri, key))
            .or_insert_with(compute)
            .clone()
    }

    fn tick(&mut self) -> DateTime<Utc> {
        self.now += Duration::seconds(1);
        self.now
    }

    fn user(&self, id: u64) -> Option<&UserRec> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.users.get(i)
    }

    fn user_by_login(&self, login: &str) -> Option<&UserRec> {
        self.user_index
            .get(&login.to_lowercase())
            .map(|&i| &self.users[i])
    }

    fn login(&self, id: u64) -> String {
        self.user(id)
            .map(|u| u.login.clone())
            .unwrap_or_else(|| "ghost".to_string())
    }

    fn push_account(&mut self, login: &str, org: bool) -> u64 {
        let id = self.users.len() as u64 + 1;
        let created = self.now;
        self.user_index
            .insert(login.to_lowercase(), self.users.len());
        self.users.push(UserRec {
            id,
            login: login.to_string(),
            name: title_case(login),
            org,
            created,
        });
        id
    }

    /// A user account (an existing organization of that login is turned into a user).
    fn ensure_user(&mut self, login: &str) -> u64 {
        if let Some(&i) = self.user_index.get(&login.to_lowercase()) {
            self.users[i].org = false;
            return self.users[i].id;
        }
        self.push_account(login, false)
    }

    /// The account owning `owner/…`: an existing user or organization, else a new organization.
    fn ensure_owner(&mut self, login: &str) -> u64 {
        match self.user_by_login(login) {
            Some(u) => u.id,
            None => self.push_account(login, true),
        }
    }

    fn add_repo(&mut self, path: &str, private: bool) -> usize {
        let path = path.trim_matches('/');
        if let Some(ri) = self.repo_by_path(path) {
            self.repos[ri].private = private;
            return ri;
        }
        let (owner, name) = path
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .unwrap_or_else(|| panic!("fake github: repository path {path:?} is not owner/name"));
        let owner = self.ensure_owner(owner);
        let ri = self.repos.len();
        let created = self.now;
        self.repos.push(RepoRec {
            id: ID_BASE_REPO + ri as u64 + 1,
            owner,
            name: name.to_string(),
            private,
            collaborators: BTreeSet::new(),
            labels: Vec::new(),
            milestones: Vec::new(),
            issues: BTreeMap::new(),
            comment_counts: HashMap::new(),
            comments: Vec::new(),
            deleted: BTreeSet::new(),
            transferred: BTreeMap::new(),
            next_number: 0,
            created,
        });
        self.repo_index.insert(path.to_lowercase(), ri);
        // A new repository at an old path ends that path's redirect.
        self.renamed.remove(&path.to_lowercase());
        ri
    }

    /// Moves repository `ri` to `new_path` (a rename, or a transfer to another owner); its
    /// old path redirects from now on.
    fn rename(&mut self, ri: usize, new_path: &str) {
        let new_path = new_path.trim_matches('/');
        let (owner, name) = new_path
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .unwrap_or_else(|| {
                panic!("fake github: repository path {new_path:?} is not owner/name")
            });
        if let Some(other) = self.repo_by_path(new_path) {
            assert_eq!(other, ri, "fake github: {new_path} exists already");
        }
        let old = self.full_name(ri).to_lowercase();
        let owner = self.ensure_owner(owner);
        self.tick();
        self.repo_index.remove(&old);
        self.repos[ri].owner = owner;
        self.repos[ri].name = name.to_string();
        self.repo_index.insert(new_path.to_lowercase(), ri);
        self.renamed.remove(&new_path.to_lowercase());
        if old != new_path.to_lowercase() {
            self.renamed.insert(old, ri);
        }
    }

    fn repo_by_path(&self, path: &str) -> Option<usize> {
        self.repo_index
            .get(&path.trim_matches('/').to_lowercase())
            .copied()
    }

    fn repo_by_id(&self, id: u64) -> Option<usize> {
        let i = usize::try_from(id.checked_sub(ID_BASE_REPO + 1)?).ok()?;
        (i < self.repos.len()).then_some(i)
    }

    fn repo_or_panic(&self, path: &str) -> usize {
        self.repo_by_path(path)
            .unwrap_or_else(|| panic!("fake github: no repository {path:?}; call add_repo first"))
    }

    fn full_name(&self, ri: usize) -> String {
        let r = &self.repos[ri];
        format!("{}/{}", self.login(r.owner), r.name)
    }

    /// Owner (a user) or collaborator.
    fn can_push(&self, ri: usize, doer: Option<u64>) -> bool {
        let r = &self.repos[ri];
        doer.is_some_and(|d| d == r.owner || r.collaborators.contains(&d))
    }

    fn can_read(&self, ri: usize, doer: Option<u64>) -> bool {
        !self.repos[ri].private || self.can_push(ri, doer)
    }

    /// The owner (when a user) and the collaborators, by login.
    fn assignable(&self, ri: usize) -> Vec<u64> {
        let r = &self.repos[ri];
        let mut ids: Vec<u64> = r.collaborators.iter().copied().collect();
        if self.user(r.owner).is_some_and(|u| !u.org) {
            ids.push(r.owner);
        }
        ids.sort_by_key(|&id| self.login(id).to_lowercase());
        ids.dedup();
        ids
    }

    fn ensure_label(&mut self, ri: usize, name: &str) -> u64 {
        if let Some(l) = self.repos[ri].label_by_name(name) {
            return l.id;
        }
        self.next_label_id += 1;
        let id = self.next_label_id;
        self.repos[ri].labels.push(LabelRec {
            id,
            name: name.to_string(),
            color: NEW_LABEL_COLOR.to_string(),
            description: None,
        });
        id
    }

    fn ensure_milestone(&mut self, ri: usize, title: &str) -> u64 {
        if let Some(m) = self.repos[ri].milestones.iter().find(|m| m.title == title) {
            return m.number;
        }
        self.next_milestone_id += 1;
        let id = self.next_milestone_id;
        let now = self.now;
        let r = &mut self.repos[ri];
        let creator = r.owner;
        let number = r.milestones.len() as u64 + 1;
        r.milestones.push(MilestoneRec {
            id,
            number,
            title: title.to_string(),
            closed: false,
            creator,
            created: now,
            updated: now,
            closed_at: None,
        });
        number
    }

    fn lag_on(&self) -> bool {
        !self.search_lag.is_zero()
    }

    fn insert_issue(&mut self, ri: usize, seed: IssueSeed, now: DateTime<Utc>) -> u64 {
        self.next_issue_id += 1;
        let id = self.next_issue_id;
        let lag_on = self.lag_on();
        let r = &mut self.repos[ri];
        r.next_number += 1;
        let number = r.next_number;
        let mut labels = Vec::new();
        for l in seed.labels {
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        let mut assignees = Vec::new();
        for a in seed.assignees {
            if !assignees.contains(&a) {
                assignees.push(a);
            }
        }
        let search_docs = if lag_on {
            vec![(Some(Instant::now()), seed.title.clone(), seed.body.clone())]
        } else {
            Vec::new()
        };
        r.issues.insert(
            number,
            IssueRec {
                id,
                number,
                title: seed.title,
                body: seed.body,
                closed: false,
                state_reason: None,
                labels,
                assignees,
                milestone: seed.milestone,
                author: seed.author,
                is_pull: seed.is_pull,
                created_at: now,
                updated_at: now,
                closed_at: None,
                closed_by: None,
                search_docs,
            },
        );
        number
    }

    /// Applies `ch` as `actor`; returns whether anything changed (then the clock advances once
    /// and `updated_at` moves).
    fn apply_changes(&mut self, ri: usize, number: u64, actor: u64, ch: Changes) -> bool {
        let lag_on = self.lag_on();
        let Some(before) = self.repos[ri].issues.get(&number).cloned() else {
            return false;
        };
        let mut issue = before.clone();
        if let Some(t) = ch.title {
            issue.title = t;
        }
        if let Some(b) = ch.body {
            issue.body = b;
        }
        if let Some(labels) = ch.labels {
            let mut dedup = Vec::new();
            for l in labels {
                if !dedup.contains(&l) {
                    dedup.push(l);
                }
            }
            issue.labels = dedup;
        }
        if let Some(assignees) = ch.assignees {
            let mut dedup = Vec::new();
            for a in assignees {
                if !dedup.contains(&a) {
                    dedup.push(a);
                }
            }
            issue.assignees = dedup;
        }
        if let Some(m) = ch.milestone {
            issue.milestone = m;
        }
        let state_change = match ch.close {
            Some(true) if !issue.closed => Some(true),
            Some(false) if issue.closed => Some(false),
            _ => None,
        };
        if issue.same_content(&before) && state_change.is_none() {
            return false;
        }
        let now = self.tick();
        issue.updated_at = now;
        match state_change {
            Some(true) => {
                issue.closed = true;
                issue.closed_at = Some(now);
                issue.closed_by = Some(actor);
                issue.state_reason = Some(
                    ch.state_reason
                        .flatten()
                        .unwrap_or_else(|| "completed".to_string()),
                );
            }
            Some(false) => {
                issue.closed = false;
                issue.closed_at = None;
                issue.closed_by = None;
                issue.state_reason = Some(
                    ch.state_reason
                        .flatten()
                        .unwrap_or_else(|| "reopened".to_string()),
                );
            }
            None => {}
        }
        if lag_on && (issue.title != before.title || issue.body != before.body) {
            if issue.search_docs.is_empty() {
                issue
                    .search_docs
                    .push((None, before.title.clone(), before.body.clone()));
            }
            issue.search_docs.push((
                Some(Instant::now()),
                issue.title.clone(),
                issue.body.clone(),
            ));
        }
        self.repos[ri].issues.insert(number, issue);
        true
    }

    /// A comment; touches the issue. Advances the clock.
    fn add_comment(&mut self, ri: usize, number: u64, author: u64, body: &str) -> u64 {
        let now = self.tick();
        self.next_comment_id += 1;
        let id = self.next_comment_id;
        let r = &mut self.repos[ri];
        r.comments.push(CommentRec {
            id,
            issue_number: number,
            author,
            body: body.to_string(),
            created_at: now,
            updated_at: now,
        });
        *r.comment_counts.entry(number).or_default() += 1;
        if let Some(i) = r.issues.get_mut(&number) {
            i.updated_at = now;
        }
        id
    }

    fn transfer(&mut self, from: usize, number: u64, to: usize) -> Option<u64> {
        if from == to {
            return None;
        }
        let mut issue = self.repos[from].issues.remove(&number)?;
        let now = self.tick();
        let label_names: Vec<String> = issue
            .labels
            .iter()
            .filter_map(|&l| self.repos[from].label(l).map(|l| l.name.clone()))
            .collect();
        let milestone_title = issue
            .milestone
            .and_then(|m| self.repos[from].milestone(m))
            .map(|m| m.title.clone());
        let assignable = self.assignable(to);
        let target = &self.repos[to];
        issue.labels = label_names
            .iter()
            .filter_map(|n| target.label_by_name(n).map(|l| l.id))
            .collect();
        issue.milestone = milestone_title.and_then(|t| {
            target
                .milestones
                .iter()
                .find(|m| m.title == t)
                .map(|m| m.number)
        });
        issue.assignees.retain(|a| assignable.contains(a));
        let mut moved: Vec<CommentRec> = Vec::new();
        let old = std::mem::take(&mut self.repos[from].comments);
        let (go, stay): (Vec<CommentRec>, Vec<CommentRec>) =
            old.into_iter().partition(|c| c.issue_number == number);
        self.repos[from].comments = stay;
        self.repos[from].comment_counts.remove(&number);
        moved.extend(go);
        let t = &mut self.repos[to];
        t.next_number += 1;
        let new_number = t.next_number;
        issue.number = new_number;
        issue.updated_at = now;
        for mut c in moved {
            c.issue_number = new_number;
            t.comments.push(c);
        }
        t.comments.sort_by_key(|c| c.id);
        let count = t
            .comments
            .iter()
            .filter(|c| c.issue_number == new_number)
            .count();
        t.comment_counts.insert(new_number, count);
        t.issues.insert(new_number, issue);
        self.repos[from]
            .transferred
            .insert(number, (to, new_number));
        Some(new_number)
    }

    fn lookup(&self, ri: usize, number: u64) -> Lookup<'_> {
        let r = &self.repos[ri];
        if let Some(i) = r.issues.get(&number) {
            return Lookup::Found(i);
        }
        if r.deleted.contains(&number) {
            return Lookup::Deleted;
        }
        if let Some(&(to, n)) = r.transferred.get(&number) {
            // Follow chains of transfers to where the issue is now.
            return match self.lookup(to, n) {
                Lookup::Found(_) => Lookup::Transferred { to, number: n },
                other => other,
            };
        }
        Lookup::Missing
    }

    fn snapshot(&self, ri: usize, i: &IssueRec) -> GitHubIssue {
        let r = &self.repos[ri];
        GitHubIssue {
            id: i.id,
            number: i.number,
            title: i.title.clone(),
            body: i.body.clone(),
            state: if i.closed { "closed" } else { "open" }.to_string(),
            state_reason: i.state_reason.clone(),
            labels: i
                .labels
                .iter()
                .filter_map(|&l| r.label(l).map(|l| l.name.clone()))
                .collect(),
            assignees: i.assignees.iter().map(|&a| self.login(a)).collect(),
            milestone: i
                .milestone
                .and_then(|m| r.milestone(m))
                .map(|m| m.title.clone()),
            author: self.login(i.author),
            is_pull: i.is_pull,
            comments: r.comment_count(i.number),
            created_at: i.created_at,
            updated_at: i.updated_at,
            closed_at: i.closed_at,
            closed_by: i.closed_by.map(|u| self.login(u)),
        }
    }

    /// The rate-limit window of `identity` for `resource`, renewed when it expired.
    fn bucket(&mut self, identity: &str, resource: &'static str, window: i64) -> &mut Bucket {
        let now = epoch_now() as i64;
        let b = self
            .buckets
            .entry((identity.to_string(), resource))
            .or_insert(Bucket {
                used: 0,
                reset: now + window,
            });
        if now >= b.reset {
            b.used = 0;
            b.reset = now + window;
        }
        b
    }
}

fn title_case(login: &str) -> String {
    login
        .split(['.', '_', '-'])
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

struct Reply {
    status: StatusCode,
    body: Option<Value>,
    headers: Vec<(String, String)>,
}

impl Reply {
    fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    fn ok(body: Value) -> Reply {
        Reply::json(StatusCode::OK, body)
    }

    fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// A GitHub API error: status, JSON body, extra headers (`Location` of a 301).
struct ApiErr {
    status: StatusCode,
    body: Value,
    headers: Vec<(String, String)>,
}

type ApiResult = Result<Reply, ApiErr>;

fn gh_err(status: StatusCode, message: &str, doc: &str) -> ApiErr {
    ApiErr {
        status,
        body: json!({
            "message": message,
            "documentation_url": doc,
            "status": status.as_u16().to_string(),
        }),
        headers: Vec::new(),
    }
}

fn not_found(doc: &str) -> ApiErr {
    gh_err(StatusCode::NOT_FOUND, "Not Found", doc)
}

fn requires_auth(doc: &str) -> ApiErr {
    gh_err(StatusCode::UNAUTHORIZED, "Requires authentication", doc)
}

fn bad_credentials() -> ApiErr {
    gh_err(StatusCode::UNAUTHORIZED, "Bad credentials", DOCS_ROOT)
}

/// 422 `Validation Failed` with GitHub's `errors` entries.
fn validation_failed(doc: &str, errors: Vec<Value>) -> ApiErr {
    ApiErr {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        body: json!({
            "message": "Validation Failed",
            "errors": errors,
            "documentation_url": doc,
            "status": "422",
        }),
        headers: Vec::new(),
    }
}

fn invalid_field(doc: &str, resource: &str, field: &str) -> ApiErr {
    validation_failed(
        doc,
        vec![json!({ "resource": resource, "field": field, "code": "invalid" })],
    )
}

/// 422 `Invalid request.` (GitHub's JSON-schema check of a body).
fn invalid_request(doc: &str, sentence: &str) -> ApiErr {
    gh_err(
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("Invalid request.\n\n{sentence}"),
        doc,
    )
}

fn parse_pairs(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// ISO 8601 as the fake accepts it: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z`,
/// `±HH:MM`, `±HHMM` or no zone (UTC).
fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    None
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// FNV-1a, 128 bits: a stable digest of a body for its `ETag`.
fn digest(bytes: &[u8]) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for &b in bytes {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h
}

fn etag_of(body: &str) -> String {
    format!("W/\"{:032x}\"", digest(body.as_bytes()))
}

/// Whether `If-None-Match` matches `etag` (weak comparison, lists, `*`).
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

struct Paging {
    page: usize,
    per_page: usize,
}

impl Paging {
    fn slice<'a, T>(&self, items: &'a [T]) -> impl Iterator<Item = &'a T> {
        items
            .iter()
            .skip((self.page - 1).saturating_mul(self.per_page))
            .take(self.per_page)
    }
}

/// Everything a handler needs to know about the request.
struct Ctx<'a> {
    urls: &'a Urls,
    method: Method,
    query: Vec<(String, String)>,
    /// The query as sent.
    raw_query: &'a str,
    body: Option<Value>,
    doer: Option<u64>,
    /// The operation's documentation page (for error bodies).
    doc: &'static str,
}

impl Ctx<'_> {
    /// The last value of a query parameter.
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn require_doer(&self) -> Result<u64, ApiErr> {
        self.doer.ok_or_else(|| requires_auth(self.doc))
    }

    /// One of `allowed`, `default` when absent; anything else is 422.
    fn choice(
        &self,
        name: &str,
        allowed: &[&'static str],
        default: &'static str,
        resource: &str,
    ) -> Result<&'static str, ApiErr> {
        match self.param(name) {
            None => Ok(default),
            Some(v) => allowed
                .iter()
                .find(|a| **a == v)
                .copied()
                .ok_or_else(|| invalid_field(self.doc, resource, name)),
        }
    }

    fn since(&self, name: &str, resource: &str) -> Result<Option<DateTime<Utc>>, ApiErr> {
        match self.param(name) {
            None => Ok(None),
            Some(v) => parse_iso8601(v.trim())
                .map(Some)
                .ok_or_else(|| invalid_field(self.doc, resource, name)),
        }
    }

    fn paging(&self) -> Paging {
        let per_page = match self
            .param("per_page")
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_PER_PAGE).min(MAX_PER_PAGE),
            _ => DEFAULT_PER_PAGE,
        };
        let page = match self
            .param("page")
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(1),
            _ => 1,
        };
        Paging { page, per_page }
    }

    /// A page of `all` with GitHub's `Link` header; `base` is the URL the links point at.
    fn paged(&self, all: Vec<Value>, paging: &Paging, base: &str) -> Reply {
        self.paged_by(&all, Value::clone, paging, base)
    }

    /// A page of `all`, each item of the page (only) rendered by `render`.
    fn paged_by<T>(
        &self,
        all: &[T],
        render: impl Fn(&T) -> Value,
        paging: &Paging,
        base: &str,
    ) -> Reply {
        let total = all.len();
        let last = total.div_ceil(paging.per_page).max(1);
        let page = paging.page;
        let items: Vec<Value> = paging.slice(all).map(render).collect();
        let href = |p: usize| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &self.query {
                if k != "page" {
                    s.append_pair(k, v);
                }
            }
            s.append_pair("page", &p.to_string());
            format!("{base}?{}", s.finish())
        };
        let mut links = Vec::new();
        if page > 1 {
            links.push(format!("<{}>; rel=\"prev\"", href((page - 1).min(last))));
        }
        if page < last {
            links.push(format!("<{}>; rel=\"next\"", href(page + 1)));
            links.push(format!("<{}>; rel=\"last\"", href(last)));
        }
        if page > 1 {
            links.push(format!("<{}>; rel=\"first\"", href(1)));
        }
        let reply = Reply::ok(Value::Array(items));
        if links.is_empty() {
            reply
        } else {
            reply.with_header("link", links.join(", "))
        }
    }

    /// The JSON body as an object (`{}` when there is none).
    fn body_object(&self) -> Result<Map<String, Value>, ApiErr> {
        match &self.body {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(other) => Err(invalid_request(
                self.doc,
                &format!("{other} is not an object."),
            )),
        }
    }
}

/// `Ok(None)`: anonymous; `Err`: credentials were sent but are not valid.
fn resolve_auth(w: &World, authorization: Option<&str>) -> Result<Option<u64>, ()> {
    let Some(h) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    let (scheme, token) = h.split_once(' ').ok_or(())?;
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        return w.tokens.get(token.trim()).copied().map(Some).ok_or(());
    }
    Err(())
}

fn add_headers(
    mut builder: axum::http::response::Builder,
    headers: &[(String, String)],
) -> axum::http::response::Builder {
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(n, v);
        }
    }
    builder
}

fn build_response(
    status: StatusCode,
    body: Option<String>,
    headers: &[(String, String)],
) -> Response {
    let builder = add_headers(Response::builder().status(status), headers);
    let response = match body {
        Some(text) => builder
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(Body::from(text)),
        None => builder.body(Body::empty()),
    };
    response.unwrap_or_else(|_| Response::new(Body::empty()))
}

fn rate_headers(limit: u64, used: u64, reset: i64, resource: &str) -> Vec<(String, String)> {
    vec![
        ("x-ratelimit-limit".into(), limit.to_string()),
        (
            "x-ratelimit-remaining".into(),
            limit.saturating_sub(used).to_string(),
        ),
        ("x-ratelimit-used".into(), used.to_string()),
        ("x-ratelimit-reset".into(), reset.to_string()),
        ("x-ratelimit-resource".into(), resource.to_string()),
    ]
}

fn rate_limited_message(doer: Option<u64>) -> String {
    match doer {
        Some(id) => format!(
            "API rate limit exceeded for user ID {id}. If you reach out to GitHub Support for \
             help, please include the request ID 0000:0000:0000000:0000000:00000000."
        ),
        None => "API rate limit exceeded for 127.0.0.1. (But here's the good news: \
                 Authenticated requests get a higher rate limit. Check out the documentation \
                 for more details.)"
            .to_string(),
    }
}

fn common_headers(seq: u64) -> Vec<(String, String)> {
    vec![
        (
            "x-github-media-type".into(),
            "github.v3; format=json".into(),
        ),
        ("x-github-api-version-selected".into(), "2022-11-28".into()),
        (
            "x-github-request-id".into(),
            format!("F4KE:{seq:04X}:{seq:06X}:{seq:07X}:00000000"),
        ),
    ]
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    req: Request,
) -> Response {
    let arrived = Instant::now();
    // A GraphQL query is a read, though POSTed.
    let counted_as = if req.uri().path() == "/api/graphql" {
        &Method::GET
    } else {
        req.method()
    };
    let _in_flight = shared.in_flight.enter(counted_as).await;
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = parse_pairs(parts.uri.query().unwrap_or(""));
    let header_str = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let authorization = header_str("authorization");
    let if_none_match = header_str("if-none-match");
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    // `None`: no body; `Some(Err)`: not JSON.
    let parsed: Option<Result<Value, ()>> = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(serde_json::from_slice::<Value>(&bytes).map_err(|_| ()))
    };

    let (response, delay, drop_after) = {
        let mut w = shared.world_for_request();
        w.request_seq += 1;
        let seq = w.request_seq;
        w.requests.push(TimedRequest {
            request: SeenRequest {
                method: parts.method.to_string(),
                path: path.clone(),
                query: query.clone(),
                authorization: authorization.clone(),
                body: parsed.clone().and_then(Result::ok),
            },
            at: arrived,
            status: None,
        });
        let index = w.requests.len() - 1;
        let answered = answer(
            &mut w,
            &shared.urls,
            Incoming {
                seq,
                method: &parts.method,
                path: &path,
                query,
                raw_query: parts.uri.query().unwrap_or(""),
                authorization: authorization.as_deref(),
                if_none_match: if_none_match.as_deref(),
                parsed,
            },
        );
        if let Some(r) = w.requests.get_mut(index) {
            r.status = Some(answered.0.status().as_u16());
        }
        // GraphQL here only reads (the import query); its points are not content.
        let listing = (parts.method == Method::GET
            && (path.ends_with("/issues") || path.ends_with("/issues/comments")))
            || (parts.method == Method::POST && path == "/api/graphql");
        if !listing {
            w.listings.get_mut().clear();
        }
        // Someone edits an issue right after a listing page went out
        // ([`FakeGitHub::edit_after_next_listing`]).
        if parts.method == Method::GET
            && path.ends_with("/issues")
            && answered.0.status().is_success()
        {
            if let Some((ri, number, title)) = w.after_next_listing.take() {
                w.listings.get_mut().clear();
                let actor = w.repos[ri].issues.get(&number).map(|i| i.author);
                if let Some(actor) = actor {
                    let changes = Changes {
                        title: Some(title),
                        ..Changes::default()
                    };
                    if !w.apply_changes(ri, number, actor, changes) {
                        w.tick();
                    }
                }
            }
        }
        answered
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if drop_after {
        conn.kill();
    }
    response
}

/// A request as [`answer`] takes it.
struct Incoming<'a> {
    seq: u64,
    method: &'a Method,
    /// Raw path.
    path: &'a str,
    query: Vec<(String, String)>,
    /// The query as sent (for the `Location` of a redirect).
    raw_query: &'a str,
    authorization: Option<&'a str>,
    if_none_match: Option<&'a str>,
    /// `None`: no body; `Some(Err)`: not JSON.
    parsed: Option<Result<Value, ()>>,
}

/// Answers one request: the response, a delay before sending it, and whether to cut the
/// connection afterwards.
fn answer(
    w: &mut World,
    urls: &Urls,
    req: Incoming<'_>,
) -> (Response, Option<std::time::Duration>, bool) {
    let Incoming {
        seq,
        method,
        path,
        query,
        raw_query,
        authorization,
        if_none_match,
        parsed,
    } = req;
    let mut headers = common_headers(seq);
    // `None`: a web page, outside the API (no rate limit there).
    let api_path = path
        .strip_prefix("/api/v3")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(str::to_string);
    let doer = resolve_auth(w, authorization);
    let authed = matches!(doer, Ok(Some(_)));
    let search = api_path
        .as_deref()
        .is_some_and(|p| p.starts_with("/search/"));
    let graphql = path == "/api/graphql";
    let (resource, window, limit) = match (search, authed) {
        _ if graphql => ("graphql", 3600, GRAPHQL_POINTS),
        (true, true) => ("search", 60, SEARCH_LIMIT_AUTHENTICATED),
        (true, false) => ("search", 60, SEARCH_LIMIT_ANONYMOUS),
        (false, true) => ("core", 3600, w.core_limits.0),
        (false, false) => ("core", 3600, w.core_limits.1),
    };
    let identity = match doer {
        Ok(Some(id)) => format!("user:{id}"),
        _ => "ip:127.0.0.1".to_string(),
    };
    let count = |w: &mut World| {
        let b = w.bucket(&identity, resource, window);
        b.used += 1;
        (b.used, b.reset)
    };

    if w.fail_count > 0 {
        w.fail_count -= 1;
        let status =
            StatusCode::from_u16(w.fail_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match status.as_u16() {
            500 => "Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            _ => status.canonical_reason().unwrap_or("Error"),
        };
        if api_path.is_some() {
            let (used, reset) = count(w);
            headers.extend(rate_headers(limit, used, reset, resource));
        }
        let e = gh_err(status, message, DOCS_ROOT);
        return (
            build_response(status, Some(e.body.to_string()), &headers),
            None,
            false,
        );
    }
    if graphql && !w.graphql_disabled && w.rate_limit_count == 0 {
        return (
            graphql_answer(w, urls, &identity, doer, method, parsed, headers),
            None,
            false,
        );
    }
    if w.rate_limit_count > 0 {
        w.rate_limit_count -= 1;
        let secs = w.rate_limit_secs;
        let status = StatusCode::from_u16(w.rate_limit_status).unwrap_or(StatusCode::FORBIDDEN);
        // Rounded up: the limit lifts no earlier than `secs` from now.
        let reset = (epoch_now() + secs as f64).ceil() as i64;
        headers.extend(rate_headers(limit, limit, reset, resource));
        let e = gh_err(
            status,
            &rate_limited_message(doer.ok().flatten()),
            DOC_RATE_LIMIT,
        );
        return (
            build_response(status, Some(e.body.to_string()), &headers),
            None,
            false,
        );
    }
    if w.secondary_count > 0 {
        w.secondary_count -= 1;
        let secs = w.secondary_secs;
        let (used, reset) = count(w);
        headers.extend(rate_headers(limit, used, reset, resource));
        if secs > 0 {
            headers.push(("retry-after".into(), secs.to_string()));
        }
        let e = gh_err(
            StatusCode::FORBIDDEN,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you \
             try again. If you reach out to GitHub Support for help, please include the \
             request ID 0000:0000:0000000:0000000:00000000.",
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        );
        return (
            build_response(StatusCode::FORBIDDEN, Some(e.body.to_string()), &headers),
            None,
            false,
        );
    }

    let Some(below) = api_path else {
        return (web_page(w, method, path), None, false);
    };
    let (used, reset) = {
        let b = w.bucket(&identity, resource, window);
        (b.used, b.reset)
    };
    if used >= limit {
        headers.extend(rate_headers(limit, used, reset, resource));
        let e = gh_err(
            StatusCode::FORBIDDEN,
            &rate_limited_message(doer.ok().flatten()),
            DOC_RATE_LIMIT,
        );
        return (
            build_response(StatusCode::FORBIDDEN, Some(e.body.to_string()), &headers),
            None,
            false,
        );
    }
    let doer = match doer {
        Ok(d) => d,
        Err(()) => {
            let (used, reset) = count(w);
            headers.extend(rate_headers(limit, used, reset, resource));
            let e = bad_credentials();
            return (
                build_response(e.status, Some(e.body.to_string()), &headers),
                None,
                false,
            );
        }
    };
    let is_write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let drop_after = is_write && std::mem::take(&mut w.drop_next_write);
    let delay = if is_write {
        w.delay_next_write.take()
    } else {
        None
    };
    let segments: Vec<String> = below
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let mut ctx = Ctx {
        urls,
        method: method.clone(),
        query,
        raw_query,
        body: None,
        doer,
        doc: DOCS_ROOT,
    };
    let result = match parsed {
        Some(Err(())) => Err(gh_err(
            StatusCode::BAD_REQUEST,
            "Problems parsing JSON",
            DOCS_ROOT,
        )),
        Some(Ok(v)) => {
            ctx.body = Some(v);
            let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
            route(w, &mut ctx, &segs)
        }
        None => {
            let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
            route(w, &mut ctx, &segs)
        }
    };
    let response = match result {
        Ok(reply) => {
            let text = reply.body.as_ref().map(Value::to_string);
            let etag = text.as_deref().map(etag_of);
            let not_modified = *method == Method::GET
                && reply.status == StatusCode::OK
                && matches!((&if_none_match, &etag), (Some(inm), Some(e)) if etag_matches(inm, e));
            // An authorized 304 costs nothing.
            let (used, reset) = if not_modified && doer.is_some() {
                let b = w.bucket(&identity, resource, window);
                (b.used, b.reset)
            } else {
                count(w)
            };
            headers.extend(rate_headers(limit, used, reset, resource));
            if *method == Method::GET {
                let scope = if doer.is_some() { "private" } else { "public" };
                headers.push((
                    "cache-control".into(),
                    format!("{scope}, max-age=60, s-maxage=60"),
                ));
                headers.push((
                    "vary".into(),
                    "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding".into(),
                ));
            }
            if let Some(e) = &etag {
                headers.push(("etag".into(), e.clone()));
            }
            headers.extend(reply.headers.clone());
            if not_modified {
                headers.retain(|(k, _)| k != "link");
                build_response(StatusCode::NOT_MODIFIED, None, &headers)
            } else {
                build_response(reply.status, text, &headers)
            }
        }
        Err(e) => {
            let (used, reset) = count(w);
            headers.extend(rate_headers(limit, used, reset, resource));
            headers.extend(e.headers.clone());
            build_response(e.status, Some(e.body.to_string()), &headers)
        }
    };
    (response, delay, drop_after)
}

/// The web side: a minimal page for repositories, issues, pull requests and users.
fn web_page(w: &World, method: &Method, path: &str) -> Response {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let title = if *method != Method::GET {
        None
    } else {
        match s.as_slice() {
            [login] => w.user_by_login(login).map(|u| u.login.clone()),
            [owner, name] => w
                .repo_by_path(&format!("{owner}/{name}"))
                .filter(|&ri| !w.repos[ri].private)
                .map(|ri| w.full_name(ri)),
            [owner, name, kind, n] if *kind == "issues" || *kind == "pull" => w
                .repo_by_path(&format!("{owner}/{name}"))
                .filter(|&ri| !w.repos[ri].private)
                .and_then(|ri| {
                    let number: u64 = n.parse().ok()?;
                    let i = w.repos[ri].issues.get(&number)?;
                    (i.is_pull == (*kind == "pull"))
                        .then(|| format!("{} · {}#{number}", i.title, w.full_name(ri)))
                }),
            _ => None,
        }
    };
    let (status, text) = match title {
        Some(t) => (
            StatusCode::OK,
            format!("<!DOCTYPE html><html><head><title>{t}</title></head><body></body></html>"),
        ),
        None => (
            StatusCode::NOT_FOUND,
            "<!DOCTYPE html><html><head><title>Page not found · GitHub</title></head><body>\
             </body></html>"
                .to_string(),
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(text))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

// ---------------------------------------------------------------------------------------------
// GraphQL

/// A GraphQL error entry.
fn graphql_error(kind: &str, message: &str) -> Value {
    json!({ "type": kind, "message": message, "locations": [{ "line": 1, "column": 1 }] })
}

/// Answers `POST /api/graphql` (see the module doc).
fn graphql_answer(
    w: &mut World,
    urls: &Urls,
    identity: &str,
    doer: Result<Option<u64>, ()>,
    method: &Method,
    parsed: Option<Result<Value, ()>>,
    mut headers: Vec<(String, String)>,
) -> Response {
    let reply = |status: StatusCode, body: Value, headers: &[(String, String)]| {
        build_response(status, Some(body.to_string()), headers)
    };
    let doer = match doer {
        Ok(Some(id)) => id,
        Ok(None) => {
            return reply(
                StatusCode::UNAUTHORIZED,
                json!({
                    "message": "This endpoint requires you to be authenticated.",
                    "documentation_url": DOC_GRAPHQL_AUTH,
                }),
                &headers,
            )
        }
        Err(()) => {
            let e = bad_credentials();
            return reply(e.status, e.body, &headers);
        }
    };
    let (used, reset) = {
        let b = w.bucket(identity, "graphql", 3600);
        (b.used, b.reset)
    };
    let reset_at = DateTime::from_timestamp(reset, 0).map(render_time);
    if *method != Method::POST {
        return reply(
            StatusCode::NOT_FOUND,
            json!({ "message": "Not Found", "documentation_url": DOCS_ROOT }),
            &headers,
        );
    }
    let body = match parsed {
        Some(Ok(body)) => body,
        _ => {
            return reply(
                StatusCode::BAD_REQUEST,
                json!({ "message": "Problems parsing JSON", "documentation_url": DOCS_ROOT }),
                &headers,
            )
        }
    };
    if used >= GRAPHQL_POINTS {
        headers.extend(rate_headers(GRAPHQL_POINTS, used, reset, "graphql"));
        return reply(
            StatusCode::OK,
            json!({ "errors": [{
                "type": "RATE_LIMITED",
                "code": "graphql_rate_limit",
                "message": format!("API rate limit already exceeded for user ID {doer}."),
            }]}),
            &headers,
        );
    }
    let operation = body
        .get("operationName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let query = body.get("query").and_then(Value::as_str).unwrap_or("");
    let vars = body.get("variables").cloned().unwrap_or(json!({}));
    let int = |name: &str| vars.get(name).and_then(Value::as_u64);
    let text = |name: &str| vars.get(name).and_then(Value::as_str).map(str::to_string);
    let answer: Result<(u64, Value), Value> = (|| {
        if operation != "IssueSyncImport" || !query.contains("query IssueSyncImport(") {
            return Err(graphql_error(
                "UNKNOWN_OPERATION",
                "the fake serves the IssueSyncImport query only",
            ));
        }
        if let Some((kind, message)) = w.graphql_script.pop_front().flatten() {
            return Err(graphql_error(&kind, &message));
        }
        let (Some(owner), Some(name)) = (text("owner"), text("name")) else {
            return Err(graphql_error(
                "INVALID_VARIABLES",
                "Variable $owner and $name of type String! were provided invalid values",
            ));
        };
        let mut firsts = [0u64; 3];
        for (slot, (var, connection)) in firsts.iter_mut().zip([
            ("issues", "issues"),
            ("comments", "comments"),
            ("labels", "labels"),
        ]) {
            let n = int(var).unwrap_or(0);
            if !(1..=100).contains(&n) {
                return Err(graphql_error(
                    "EXCESSIVE_PAGINATION",
                    &format!(
                        "Requesting {n} records on the `{connection}` connection exceeds the                          `first` limit of 100 records."
                    ),
                ));
            }
            *slot = n;
        }
        let [issues_first, comments_first, labels_first] = firsts;
        let cost = ((2 + issues_first * 3) as f64 / 100.0).round().max(1.0) as u64;
        let ri = w
            .repo_by_path(&format!("{owner}/{name}"))
            .filter(|&ri| w.can_read(ri, Some(doer)))
            .ok_or_else(|| {
                graphql_error(
                    "NOT_FOUND",
                    &format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
                )
            })?;
        let after = match vars.get("after") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_str().and_then(graphql_cursor_id).ok_or_else(|| {
                graphql_error(
                    "INVALID_CURSOR_ARGUMENTS",
                    &format!("`{v}` does not appear to be a valid cursor."),
                )
            })?),
        };
        Ok((
            cost,
            graphql_issue_page(
                w,
                urls,
                ri,
                after,
                issues_first as usize,
                comments_first as usize,
                labels_first as usize,
            ),
        ))
    })();
    let (cost, data, errors) = match answer {
        Ok((cost, repository)) => (cost, Some(repository), None),
        Err(error) => (1, None, Some(error)),
    };
    let used = {
        let b = w.bucket(identity, "graphql", 3600);
        b.used += cost;
        b.used
    };
    w.graphql_points += cost;
    headers.extend(rate_headers(GRAPHQL_POINTS, used, reset, "graphql"));
    let rate_limit = json!({
        "cost": cost,
        "remaining": GRAPHQL_POINTS.saturating_sub(used),
        "resetAt": reset_at,
    });
    let mut answer = json!({
        "data": { "rateLimit": rate_limit, "repository": data },
    });
    if let Some(error) = errors {
        answer["errors"] = json!([error]);
    }
    reply(StatusCode::OK, answer, &headers)
}

/// The issue id an opaque cursor names.
fn graphql_cursor_id(cursor: &str) -> Option<u64> {
    let bytes: Vec<u8> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("cursor:v2:")?
        .parse()
        .ok()
}

fn graphql_cursor(id: u64) -> String {
    format!("cursor:v2:{id}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An `Actor` (login, avatar, the REST id as `databaseId`).
fn graphql_actor(urls: &Urls, w: &World, id: u64) -> Value {
    match w.user(id) {
        Some(u) => json!({
            "login": u.login,
            "avatarUrl": format!("{}/avatars/u/{}?v=4", urls.web, u.id),
            "databaseId": u.id,
        }),
        None => Value::Null,
    }
}

/// `repository { latest issues }` of the import query.
fn graphql_issue_page(
    w: &World,
    urls: &Urls,
    ri: usize,
    after: Option<u64>,
    first: usize,
    comments_first: usize,
    labels_first: usize,
) -> Value {
    let r = &w.repos[ri];
    let full = w.full_name(ri);
    // Oldest created first: ids grow with creation. The order, and the comments by
    // issue, are remembered between the pages of an import (`World::listing_order`).
    let order = w.listing_order("graphql-issues", ri, &[], || {
        let mut issues: Vec<&IssueRec> = r.issues.values().filter(|i| !i.is_pull).collect();
        issues.sort_by_key(|i| i.id);
        issues.iter().map(|i| i.number).collect()
    });
    let by_issue = w.listing_order("graphql-comments", ri, &[], || {
        let mut indexes: Vec<usize> = (0..r.comments.len()).collect();
        indexes.sort_by_key(|&k| (r.comments[k].issue_number, r.comments[k].id));
        indexes.into_iter().map(|k| k as u64).collect()
    });
    // What GitHub answers from an index: remembered like the orders (in microseconds).
    let latest = w
        .listing_order("graphql-latest", ri, &[], || {
            r.issues
                .values()
                .filter(|i| !i.is_pull)
                .map(|i| i.updated_at.timestamp_micros() as u64)
                .max()
                .into_iter()
                .collect()
        })
        .first()
        .and_then(|&micros| DateTime::from_timestamp_micros(micros as i64));
    let start = after.map_or(0, |a| order.partition_point(|n| r.issues[n].id <= a));
    let page: Vec<&IssueRec> = order[start..]
        .iter()
        .take(first)
        .map(|n| &r.issues[n])
        .collect();
    let has_next = order.len() > start + page.len();
    let mut comments: HashMap<u64, Vec<&CommentRec>> = HashMap::new();
    for i in &page {
        let from = by_issue.partition_point(|&k| r.comments[k as usize].issue_number < i.number);
        let of_issue = by_issue[from..]
            .iter()
            .map(|&k| &r.comments[k as usize])
            .take_while(|c| c.issue_number == i.number);
        comments.entry(i.number).or_default().extend(of_issue);
    }
    let enum_value = |s: &str| s.to_ascii_uppercase();
    let nodes: Vec<Value> = page
        .iter()
        .map(|i| {
            let mut of_issue = comments.remove(&i.number).unwrap_or_default();
            of_issue.sort_by_key(|c| c.id);
            let labels: Vec<&LabelRec> = i.labels.iter().filter_map(|&l| r.label(l)).collect();
            json!({
                "databaseId": i.id,
                "number": i.number,
                "title": i.title,
                "body": i.body,
                "url": format!("{}/{full}/issues/{}", urls.web, i.number),
                "state": if i.closed { "CLOSED" } else { "OPEN" },
                "stateReason": i.state_reason.as_deref().map(enum_value),
                "createdAt": t(i.created_at),
                "updatedAt": t(i.updated_at),
                "closedAt": t_opt(i.closed_at),
                "author": graphql_actor(urls, w, i.author),
                "labels": {
                    "totalCount": labels.len(),
                    "nodes": labels.iter().take(labels_first).map(|l| json!({
                        "name": l.name,
                        "color": l.color,
                        "description": l.description,
                    })).collect::<Vec<_>>(),
                },
                "assignees": {
                    "nodes": i.assignees.iter().take(10)
                        .map(|&a| graphql_actor(urls, w, a)).collect::<Vec<_>>(),
                },
                "milestone": i.milestone.and_then(|m| r.milestone(m)).map(|m| json!({
                    "number": m.number,
                    "title": m.title,
                    "state": if m.closed { "CLOSED" } else { "OPEN" },
                    "dueOn": Value::Null,
                })),
                "comments": {
                    "totalCount": of_issue.len(),
                    "nodes": of_issue.iter().take(comments_first).map(|c| json!({
                        "databaseId": c.id,
                        "body": c.body,
                        "url": format!(
                            "{}/{full}/issues/{}#issuecomment-{}",
                            urls.web, c.issue_number, c.id
                        ),
                        "createdAt": t(c.created_at),
                        "updatedAt": t(c.updated_at),
                        "author": graphql_actor(urls, w, c.author),
                    })).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    json!({
        "latest": { "nodes": latest.map(|at| vec![json!({ "updatedAt": t(at) })]).unwrap_or_default() },
        "issues": {
            "pageInfo": {
                "hasNextPage": has_next,
                "endCursor": page.last().map(|i| graphql_cursor(i.id)),
            },
            "nodes": nodes,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Routing

fn route(w: &mut World, ctx: &mut Ctx<'_>, segs: &[&str]) -> ApiResult {
    let get = ctx.method == Method::GET;
    match segs {
        ["meta"] if get => {
            ctx.doc = DOC_META;
            Ok(Reply::ok(render_meta()))
        }
        ["user"] if get => {
            ctx.doc = DOC_USER;
            let uid = ctx.require_doer()?;
            let u = w.user(uid).ok_or_else(bad_credentials)?;
            Ok(Reply::ok(render_private_user(ctx.urls, w, u)))
        }
        ["user", "repos"] if get => {
            ctx.doc = DOC_USER_REPOS;
            list_user_repos(w, ctx)
        }
        ["search", "issues"] if get => {
            ctx.doc = DOC_SEARCH;
            search_issues(w, ctx)
        }
        ["repos", owner, name, rest @ ..] => {
            let path = format!("{owner}/{name}");
            let ri = w.repo_by_path(&path);
            match w.renamed.get(&path.to_lowercase()).copied() {
                Some(to) if ri.is_none() && w.can_read(to, ctx.doer) => {
                    Err(repo_redirect(w, ctx, to, rest))
                }
                _ => repo_route(w, ctx, ri, rest),
            }
        }
        ["repositories", id, rest @ ..] => {
            let ri = id.parse::<u64>().ok().and_then(|id| w.repo_by_id(id));
            repo_route(w, ctx, ri, rest)
        }
        _ => Err(not_found(DOCS_ROOT)),
    }
}

/// Repository webhooks (see `fake_hooks`): admins only, 404 for anyone else.
fn hooks_api(w: &mut World, ctx: &mut Ctx<'_>, ri: usize, rest: &[&str]) -> ApiResult {
    let uid = ctx.require_doer()?;
    if uid != w.repos[ri].owner {
        return Err(not_found(ctx.doc));
    }
    let path = w.full_name(ri);
    match rest {
        ["hooks"] if ctx.method == Method::GET => {
            let hooks = w.hooks.list(&path);
            Ok(Reply::ok(Value::Array(
                hooks
                    .iter()
                    .map(|h| super::fake_hooks::github_json(&ctx.urls.api, &path, h))
                    .collect(),
            )))
        }
        ["hooks"] => {
            let body = ctx.body.clone().unwrap_or(Value::Null);
            let hook = super::fake_hooks::from_hub_body(&body)
                .map_err(|message| gh_err(StatusCode::UNPROCESSABLE_ENTITY, &message, ctx.doc))?;
            let hook = w.hooks.create(&path, hook);
            Ok(Reply::json(
                StatusCode::CREATED,
                super::fake_hooks::github_json(&ctx.urls.api, &path, &hook),
            ))
        }
        ["hooks", id] => {
            let id: i64 = id.parse().map_err(|_| not_found(ctx.doc))?;
            if w.hooks.delete(&path, id) {
                Ok(Reply {
                    status: StatusCode::NO_CONTENT,
                    body: None,
                    headers: Vec::new(),
                })
            } else {
                Err(not_found(ctx.doc))
            }
        }
        _ => Err(not_found(ctx.doc)),
    }
}

fn repo_route(w: &mut World, ctx: &mut Ctx<'_>, ri: Option<usize>, rest: &[&str]) -> ApiResult {
    let m = ctx.method.clone();
    let (get, post, patch) = (m == Method::GET, m == Method::POST, m == Method::PATCH);
    ctx.doc = match rest {
        [] if get => DOC_REPO,
        ["labels"] if get => DOC_LABELS,
        ["milestones"] if get => DOC_MILESTONES,
        ["assignees"] if get => DOC_ASSIGNEES,
        ["issues"] if get => DOC_LIST_ISSUES,
        ["issues"] if post => DOC_CREATE_ISSUE,
        ["issues", "comments"] if get => DOC_REPO_COMMENTS,
        ["issues", _] if get => DOC_GET_ISSUE,
        ["issues", _] if patch => DOC_UPDATE_ISSUE,
        ["issues", _, "comments"] if get => DOC_ISSUE_COMMENTS,
        ["issues", _, "comments"] if post => DOC_CREATE_COMMENT,
        ["hooks"] if get => DOC_HOOKS_LIST,
        ["hooks"] if post => DOC_HOOKS_CREATE,
        ["hooks", _] if m == Method::DELETE => DOC_HOOKS_DELETE,
        _ => return Err(not_found(DOCS_ROOT)),
    };
    if !get {
        ctx.require_doer()?;
    }
    let ri = ri
        .filter(|&ri| w.can_read(ri, ctx.doer))
        .ok_or_else(|| not_found(ctx.doc))?;
    match rest {
        ["hooks", ..] => hooks_api(w, ctx, ri, rest),
        [] => Ok(Reply::ok(render_repo(ctx, w, ri, true))),
        ["labels"] => list_labels(w, ctx, ri),
        ["milestones"] => list_milestones(w, ctx, ri),
        ["assignees"] => list_assignees(w, ctx, ri),
        ["issues"] if get => list_issues(w, ctx, ri),
        ["issues"] => create_issue_api(w, ctx, ri),
        ["issues", "comments"] if get => list_repo_comments(w, ctx, ri),
        ["issues", n, tail @ ..] => {
            let number = n.parse::<u64>().map_err(|_| not_found(ctx.doc))?;
            let suffix: String = tail.iter().map(|t| format!("/{t}")).collect();
            let found = match w.lookup(ri, number) {
                Lookup::Found(_) => number,
                Lookup::Deleted => {
                    return Err(gh_err(StatusCode::GONE, "This issue was deleted", ctx.doc))
                }
                Lookup::Transferred { to, number } => {
                    if !w.can_read(to, ctx.doer) {
                        return Err(not_found(ctx.doc));
                    }
                    let location = format!(
                        "{}/repositories/{}/issues/{number}{suffix}",
                        ctx.urls.api, w.repos[to].id
                    );
                    return Err(ApiErr {
                        status: StatusCode::MOVED_PERMANENTLY,
                        body: json!({
                            "message": "Moved Permanently",
                            "url": location,
                            "documentation_url": DOC_REDIRECT,
                        }),
                        headers: vec![("location".into(), location)],
                    });
                }
                Lookup::Missing => return Err(not_found(ctx.doc)),
            };
            match (tail, get) {
                ([], true) => {
                    let r = &w.repos[ri];
                    let i = &r.issues[&found];
                    let last_modified = i.updated_at.format("%a, %d %b %Y %H:%M:%S GMT");
                    Ok(
                        Reply::ok(render_issue(ctx.urls, w, ri, i, IssueView::Single))
                            .with_header("last-modified", last_modified.to_string()),
                    )
                }
                ([], false) => update_issue_api(w, ctx, ri, found),
                (_, true) => list_issue_comments(w, ctx, ri, found),
                (_, false) => create_comment_api(w, ctx, ri, found),
            }
        }
        _ => Err(not_found(DOCS_ROOT)),
    }
}

/// The answer to any request under the old path of a renamed or transferred repository: 301
/// for GET and HEAD, 307 for other methods, to the same rest of the path and query under
/// `{api}/repositories/{id}`.
fn repo_redirect(w: &World, ctx: &Ctx<'_>, ri: usize, rest: &[&str]) -> ApiErr {
    let mut location = repo_api_base(ctx, w, ri);
    for segment in rest {
        location.push('/');
        location.push_str(segment);
    }
    if !ctx.raw_query.is_empty() {
        location.push('?');
        location.push_str(ctx.raw_query);
    }
    let (status, message) = if ctx.method == Method::GET || ctx.method == Method::HEAD {
        (StatusCode::MOVED_PERMANENTLY, "Moved Permanently")
    } else {
        (StatusCode::TEMPORARY_REDIRECT, "Temporary Redirect")
    };
    ApiErr {
        status,
        body: json!({
            "message": message,
            "url": location,
            "documentation_url": DOC_REDIRECT,
        }),
        headers: vec![("location".into(), location)],
    }
}

fn repo_api_base(ctx: &Ctx<'_>, w: &World, ri: usize) -> String {
    format!("{}/repositories/{}", ctx.urls.api, w.repos[ri].id)
}

// ---------------------------------------------------------------------------------------------
// Read handlers

fn list_user_repos(w: &World, ctx: &Ctx<'_>) -> ApiResult {
    let uid = ctx.require_doer()?;
    let typ = ctx.param("type");
    if typ.is_some() && (ctx.param("visibility").is_some() || ctx.param("affiliation").is_some()) {
        return Err(validation_failed(
            ctx.doc,
            vec![json!({
                "resource": "Repository",
                "code": "invalid",
                "field": "type",
                "message": "If you specify visibility or affiliation, you cannot specify type."
            })],
        ));
    }
    let visibility = ctx.choice(
        "visibility",
        &["all", "public", "private"],
        "all",
        "Repository",
    )?;
    let typ = ctx.choice(
        "type",
        &["all", "owner", "public", "private", "member"],
        "all",
        "Repository",
    )?;
    let sort = ctx.choice(
        "sort",
        &["created", "updated", "pushed", "full_name"],
        "full_name",
        "Repository",
    )?;
    let default_dir = if sort == "full_name" { "asc" } else { "desc" };
    let direction = ctx.choice("direction", &["asc", "desc"], default_dir, "Repository")?;
    let affiliation: Vec<String> = ctx
        .param("affiliation")
        .unwrap_or("owner,collaborator,organization_member")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for a in &affiliation {
        if !["owner", "collaborator", "organization_member"].contains(&a.as_str()) {
            return Err(invalid_field(ctx.doc, "Repository", "affiliation"));
        }
    }
    let mut repos: Vec<usize> = (0..w.repos.len())
        .filter(|&ri| {
            let r = &w.repos[ri];
            let owner = r.owner == uid;
            let collaborator = r.collaborators.contains(&uid);
            let org = w.user(r.owner).is_some_and(|u| u.org);
            let affiliated = (owner && affiliation.iter().any(|a| a == "owner"))
                || (collaborator && !org && affiliation.iter().any(|a| a == "collaborator"))
                || (collaborator
                    && org
                    && affiliation
                        .iter()
                        .any(|a| a == "organization_member" || a == "collaborator"));
            let by_type = match typ {
                "owner" => owner,
                "public" => !r.private && (owner || collaborator),
                "private" => r.private && (owner || collaborator),
                "member" => collaborator && !owner,
                _ => true,
            };
            let by_visibility = match visibility {
                "public" => !r.private,
                "private" => r.private,
                _ => true,
            };
            affiliated && by_type && by_visibility
        })
        .collect();
    let last_update = |ri: usize| {
        w.repos[ri]
            .issues
            .values()
            .map(|i| i.updated_at)
            .max()
            .unwrap_or(w.repos[ri].created)
    };
    repos.sort_by(|&a, &b| {
        let ord = match sort {
            "created" => w.repos[a].created.cmp(&w.repos[b].created),
            "updated" | "pushed" => last_update(a).cmp(&last_update(b)),
            _ => w
                .full_name(a)
                .to_lowercase()
                .cmp(&w.full_name(b).to_lowercase()),
        }
        .then(w.repos[a].id.cmp(&w.repos[b].id));
        if direction == "asc" {
            ord
        } else {
            ord.reverse()
        }
    });
    let all = repos
        .into_iter()
        .map(|ri| render_repo(ctx, w, ri, false))
        .collect();
    Ok(ctx.paged(all, &ctx.paging(), &format!("{}/user/repos", ctx.urls.api)))
}

fn list_labels(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let r = &w.repos[ri];
    let all = r
        .labels
        .iter()
        .map(|l| render_label(ctx.urls, w, ri, l))
        .collect();
    Ok(ctx.paged(
        all,
        &ctx.paging(),
        &format!("{}/labels", repo_api_base(ctx, w, ri)),
    ))
}

fn list_milestones(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let state = ctx.choice("state", &["open", "closed", "all"], "open", "Milestone")?;
    let sort = ctx.choice("sort", &["due_on", "completeness"], "due_on", "Milestone")?;
    let direction = ctx.choice("direction", &["asc", "desc"], "asc", "Milestone")?;
    let r = &w.repos[ri];
    let mut ms: Vec<&MilestoneRec> = r
        .milestones
        .iter()
        .filter(|m| match state {
            "open" => !m.closed,
            "closed" => m.closed,
            _ => true,
        })
        .collect();
    let completeness = |m: &MilestoneRec| {
        let (open, closed) = milestone_counts(r, m.number);
        (closed * 100).checked_div(open + closed).unwrap_or(0)
    };
    ms.sort_by(|a, b| {
        let ord = if sort == "completeness" {
            completeness(a).cmp(&completeness(b))
        } else {
            std::cmp::Ordering::Equal
        }
        .then(a.number.cmp(&b.number));
        if direction == "asc" {
            ord
        } else {
            ord.reverse()
        }
    });
    let all = ms
        .into_iter()
        .map(|m| render_milestone(ctx.urls, w, ri, m))
        .collect();
    Ok(ctx.paged(
        all,
        &ctx.paging(),
        &format!("{}/milestones", repo_api_base(ctx, w, ri)),
    ))
}

fn list_assignees(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let all = w
        .assignable(ri)
        .into_iter()
        .filter_map(|id| w.user(id))
        .map(|u| render_simple_user(ctx.urls, u))
        .collect();
    Ok(ctx.paged(
        all,
        &ctx.paging(),
        &format!("{}/assignees", repo_api_base(ctx, w, ri)),
    ))
}

fn list_issues(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let state = ctx.choice("state", &["open", "closed", "all"], "open", "Issue")?;
    let sort = ctx.choice(
        "sort",
        &["created", "updated", "comments"],
        "created",
        "Issue",
    )?;
    let direction = ctx.choice("direction", &["asc", "desc"], "desc", "Issue")?;
    let since = ctx.since("since", "Issue")?;
    let r = &w.repos[ri];
    let labels: Vec<String> = ctx
        .param("labels")
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    enum Pick {
        Any,
        Nothing,
        Exactly(u64),
        NoMatch,
    }
    let milestone = match ctx.param("milestone") {
        None => None,
        Some("*") => Some(Pick::Any),
        Some("none") => Some(Pick::Nothing),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if r.milestone(n).is_some() => Some(Pick::Exactly(n)),
            Ok(_) => Some(Pick::NoMatch),
            Err(_) => return Err(invalid_field(ctx.doc, "Issue", "milestone")),
        },
    };
    let by_login = |param: &str| -> Option<Pick> {
        match ctx.param(param) {
            None => None,
            Some("*") => Some(Pick::Any),
            Some("none") => Some(Pick::Nothing),
            Some(login) => Some(match w.user_by_login(login) {
                Some(u) => Pick::Exactly(u.id),
                None => Pick::NoMatch,
            }),
        }
    };
    let assignee = by_login("assignee");
    let creator = ctx
        .param("creator")
        .map(|login| w.user_by_login(login).map(|u| u.id));
    let mentioned = ctx
        .param("mentioned")
        .map(|m| format!("@{}", m.to_lowercase()));
    let typ = ctx.param("type");
    let paging = ctx.paging();
    let order = w.listing_order("issues", ri, &ctx.query, || {
        let mut matched: Vec<&IssueRec> = r
            .issues
            .values()
            .filter(|i| match state {
                "open" => !i.closed,
                "closed" => i.closed,
                _ => true,
            })
            .filter(|i| since.is_none_or(|s| i.updated_at >= s))
            .filter(|i| {
                labels.iter().all(|wanted| {
                    i.labels
                        .iter()
                        .filter_map(|&l| r.label(l))
                        .any(|l| l.name.to_lowercase() == *wanted)
                })
            })
            .filter(|i| match &milestone {
                None => true,
                Some(Pick::Any) => i.milestone.is_some(),
                Some(Pick::Nothing) => i.milestone.is_none(),
                Some(Pick::Exactly(n)) => i.milestone == Some(*n),
                Some(Pick::NoMatch) => false,
            })
            .filter(|i| match &assignee {
                None => true,
                Some(Pick::Any) => !i.assignees.is_empty(),
                Some(Pick::Nothing) => i.assignees.is_empty(),
                Some(Pick::Exactly(u)) => i.assignees.contains(u),
                Some(Pick::NoMatch) => false,
            })
            .filter(|i| creator.is_none_or(|c| c == Some(i.author)))
            .filter(|i| {
                mentioned.as_deref().is_none_or(|m| {
                    i.body.to_lowercase().contains(m)
                        || r.comments.iter().any(|c| {
                            c.issue_number == i.number && c.body.to_lowercase().contains(m)
                        })
                })
            })
            // Issue types are not modelled: no issue has one.
            .filter(|_| typ.is_none_or(|t| t == "none"))
            .collect();
        matched.sort_by(|a, b| {
            let ord = match sort {
                "updated" => a.updated_at.cmp(&b.updated_at),
                "comments" => r.comment_count(a.number).cmp(&r.comment_count(b.number)),
                _ => a.created_at.cmp(&b.created_at),
            }
            .then(a.id.cmp(&b.id));
            if direction == "asc" {
                ord
            } else {
                ord.reverse()
            }
        });
        matched.iter().map(|i| i.number).collect()
    });
    Ok(ctx.paged_by(
        &order,
        |number| render_issue(ctx.urls, w, ri, &r.issues[number], IssueView::List),
        &paging,
        &format!("{}/issues", repo_api_base(ctx, w, ri)),
    ))
}

fn list_repo_comments(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let sort = match ctx.param("sort") {
        None => None,
        Some(_) => Some(ctx.choice("sort", &["created", "updated"], "created", "IssueComment")?),
    };
    let direction = match sort {
        Some(_) => ctx.choice("direction", &["asc", "desc"], "asc", "IssueComment")?,
        None => "asc",
    };
    let since = ctx.since("since", "IssueComment")?;
    let r = &w.repos[ri];
    let paging = ctx.paging();
    let order = w.listing_order("comments", ri, &ctx.query, || {
        let mut comments: Vec<(usize, &CommentRec)> = r
            .comments
            .iter()
            .enumerate()
            .filter(|(_, c)| since.is_none_or(|s| c.updated_at >= s))
            .collect();
        comments.sort_by(|(_, a), (_, b)| {
            let ord = match sort {
                Some("updated") => a.updated_at.cmp(&b.updated_at),
                Some(_) => a.created_at.cmp(&b.created_at),
                None => std::cmp::Ordering::Equal,
            }
            .then(a.id.cmp(&b.id));
            if direction == "asc" {
                ord
            } else {
                ord.reverse()
            }
        });
        comments.iter().map(|(index, _)| *index as u64).collect()
    });
    Ok(ctx.paged_by(
        &order,
        |&index| render_comment(ctx.urls, w, ri, &r.comments[index as usize]),
        &paging,
        &format!("{}/issues/comments", repo_api_base(ctx, w, ri)),
    ))
}

fn list_issue_comments(w: &World, ctx: &Ctx<'_>, ri: usize, number: u64) -> ApiResult {
    let since = ctx.since("since", "IssueComment")?;
    let r = &w.repos[ri];
    let all: Vec<&CommentRec> = r
        .comments
        .iter()
        .filter(|c| c.issue_number == number)
        .filter(|c| since.is_none_or(|s| c.updated_at >= s))
        .collect();
    Ok(ctx.paged_by(
        &all,
        |c| render_comment(ctx.urls, w, ri, c),
        &ctx.paging(),
        &format!("{}/issues/{number}/comments", repo_api_base(ctx, w, ri)),
    ))
}

/// Lowercase alphanumeric words (how the fake's search compares text).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether the words of `needle` occur consecutively in `hay`; no words match anything.
fn contains_words(hay: &[String], needle: &[String]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Splits a search query into words and "quoted phrases" (quotes dropped; `true` marks a
/// phrase). A quoted qualifier value (`label:"good first issue"`) stays one word.
fn query_terms(q: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut phrase = false;
    for c in q.chars() {
        if c == '"' {
            if in_quotes {
                in_quotes = false;
                if phrase {
                    out.push((std::mem::take(&mut cur), true));
                    phrase = false;
                }
            } else {
                in_quotes = true;
                phrase = cur.is_empty();
            }
            continue;
        }
        if c.is_whitespace() && !in_quotes {
            if !cur.is_empty() {
                out.push((std::mem::take(&mut cur), false));
            }
            continue;
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push((cur, phrase));
    }
    out
}

fn search_issues(w: &World, ctx: &Ctx<'_>) -> ApiResult {
    let q = ctx.param("q").unwrap_or("").trim().to_string();
    if q.is_empty() {
        return Err(validation_failed(
            ctx.doc,
            vec![json!({ "resource": "Search", "field": "q", "code": "missing" })],
        ));
    }
    let sort = match ctx.param("sort") {
        None => None,
        Some(_) => Some(ctx.choice(
            "sort",
            &[
                "comments",
                "reactions",
                "reactions-+1",
                "reactions--1",
                "reactions-smile",
                "reactions-thinking_face",
                "reactions-heart",
                "reactions-tada",
                "interactions",
                "created",
                "updated",
            ],
            "created",
            "Search",
        )?),
    };
    let order = ctx.choice("order", &["desc", "asc"], "desc", "Search")?;
    let mut repos: Vec<String> = Vec::new();
    let mut pulls: Option<bool> = None;
    let mut state: Option<bool> = None;
    let mut fields: Vec<String> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let mut author: Option<String> = None;
    let mut assignee: Option<String> = None;
    let mut no: Vec<String> = Vec::new();
    let mut texts: Vec<Vec<String>> = Vec::new();
    for (term, quoted) in query_terms(&q) {
        let qualifier = (!quoted)
            .then(|| term.split_once(':'))
            .flatten()
            .map(|(k, v)| (k.to_lowercase(), v.trim_matches('"').to_string()));
        match qualifier.as_ref().map(|(k, v)| (k.as_str(), v.as_str())) {
            Some(("repo", v)) => repos.push(v.to_lowercase()),
            Some(("is", "issue")) | Some(("type", "issue")) => pulls = Some(false),
            Some(("is", "pr" | "pull-request")) | Some(("type", "pr")) => pulls = Some(true),
            Some(("is" | "state", "open")) => state = Some(false),
            Some(("is" | "state", "closed")) => state = Some(true),
            Some(("in", v)) => fields.extend(v.split(',').map(str::to_lowercase)),
            Some(("label", v)) => labels.push(v.to_lowercase()),
            Some(("author", v)) => author = Some(v.to_lowercase()),
            Some(("assignee", v)) => assignee = Some(v.to_lowercase()),
            Some(("no", v)) => no.push(v.to_lowercase()),
            _ => texts.push(words(&term)),
        }
    }
    if fields.is_empty() {
        fields = vec!["title".into(), "body".into(), "comments".into()];
    }
    let mut scope: Vec<usize> = Vec::new();
    for name in &repos {
        match w.repo_by_path(name).filter(|&ri| w.can_read(ri, ctx.doer)) {
            Some(ri) => scope.push(ri),
            None => {
                return Err(validation_failed(
                    ctx.doc,
                    vec![json!({
                        "message": "The listed users and repositories cannot be searched either \
                                    because the resources do not exist or you do not have \
                                    permission to view them.",
                        "resource": "Search",
                        "field": "q",
                        "code": "invalid",
                    })],
                ))
            }
        }
    }
    if repos.is_empty() {
        scope = (0..w.repos.len())
            .filter(|&ri| w.can_read(ri, ctx.doer))
            .collect();
    }
    let cutoff = Instant::now().checked_sub(w.search_lag);
    let mut hits: Vec<(usize, &IssueRec)> = Vec::new();
    for &ri in &scope {
        let r = &w.repos[ri];
        for i in r.issues.values() {
            // The index as of `lag` ago.
            let doc = if w.search_lag.is_zero() || i.search_docs.is_empty() {
                Some((i.title.clone(), i.body.clone()))
            } else {
                i.search_docs
                    .iter()
                    .rev()
                    .find(|(at, _, _)| match (at, cutoff) {
                        (None, _) => true,
                        (Some(at), Some(cut)) => *at <= cut,
                        (Some(_), None) => false,
                    })
                    .map(|(_, t, b)| (t.clone(), b.clone()))
            };
            let Some((title, body)) = doc else { continue };
            if pulls.is_some_and(|p| p != i.is_pull) || state.is_some_and(|s| s != i.closed) {
                continue;
            }
            let label_names: Vec<String> = i
                .labels
                .iter()
                .filter_map(|&l| r.label(l))
                .map(|l| l.name.to_lowercase())
                .collect();
            if !labels.iter().all(|l| label_names.contains(l)) {
                continue;
            }
            if author
                .as_deref()
                .is_some_and(|a| w.login(i.author).to_lowercase() != a)
            {
                continue;
            }
            if assignee
                .as_deref()
                .is_some_and(|a| !i.assignees.iter().any(|&u| w.login(u).to_lowercase() == a))
            {
                continue;
            }
            let no_ok = no.iter().all(|n| match n.as_str() {
                "label" => i.labels.is_empty(),
                "assignee" => i.assignees.is_empty(),
                "milestone" => i.milestone.is_none(),
                _ => true,
            });
            if !no_ok {
                continue;
            }
            let mut haystacks: Vec<Vec<String>> = Vec::new();
            if fields.iter().any(|f| f == "title") {
                haystacks.push(words(&title));
            }
            if fields.iter().any(|f| f == "body") {
                haystacks.push(words(&body));
            }
            if fields.iter().any(|f| f == "comments") {
                for c in r.comments.iter().filter(|c| c.issue_number == i.number) {
                    haystacks.push(words(&c.body));
                }
            }
            let all_found = texts
                .iter()
                .all(|t| haystacks.iter().any(|h| contains_words(h, t)));
            if all_found {
                hits.push((ri, i));
            }
        }
    }
    hits.sort_by(|(ra, a), (rb, b)| {
        let ord = match sort {
            Some("updated") => a.updated_at.cmp(&b.updated_at),
            Some("comments") => w.repos[*ra]
                .comment_count(a.number)
                .cmp(&w.repos[*rb].comment_count(b.number)),
            _ => a.created_at.cmp(&b.created_at),
        }
        .then(a.id.cmp(&b.id));
        if order == "asc" && sort.is_some() {
            ord
        } else {
            ord.reverse()
        }
    });
    let paging = ctx.paging();
    let total = hits.len();
    let all: Vec<Value> = hits
        .into_iter()
        .map(|(ri, i)| render_issue(ctx.urls, w, ri, i, IssueView::Search))
        .collect();
    let listed = ctx.paged(all, &paging, &format!("{}/search/issues", ctx.urls.api));
    let items = listed.body.clone().unwrap_or(Value::Array(Vec::new()));
    Ok(Reply {
        status: StatusCode::OK,
        body: Some(json!({
            "total_count": total,
            "incomplete_results": false,
            "search_type": "lexical",
            "items": items,
        })),
        headers: listed.headers,
    })
}

// ---------------------------------------------------------------------------------------------
// Write handlers

/// `title` as GitHub takes it: a string or an integer; `None` for null.
fn title_value(doc: &str, v: &Value) -> Result<Option<String>, ApiErr> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        other => Err(invalid_request(
            doc,
            &format!("For 'properties/title', {other} is not a string or integer."),
        )),
    }
}

fn string_or_null(doc: &str, name: &str, v: &Value) -> Result<Option<String>, ApiErr> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(invalid_request(
            doc,
            &format!("For 'properties/{name}', {other} is not a string or null."),
        )),
    }
}

/// Label names from `labels` (strings, or objects with `name` or `id`).
fn label_names(doc: &str, r: &RepoRec, v: &Value) -> Result<Vec<String>, ApiErr> {
    let Value::Array(items) = v else {
        return Err(invalid_request(
            doc,
            &format!("For 'properties/labels', {v} is not an array."),
        ));
    };
    let mut names = Vec::new();
    for item in items {
        match item {
            Value::String(s) if !s.trim().is_empty() => names.push(s.trim().to_string()),
            Value::String(_) => {}
            Value::Object(o) => match (o.get("name"), o.get("id")) {
                (Some(Value::String(s)), _) => names.push(s.clone()),
                (None, Some(id)) => {
                    let l = id.as_u64().and_then(|id| r.label(id)).ok_or_else(|| {
                        validation_failed(
                            doc,
                            vec![json!({ "value": id, "resource": "Label", "field": "id", "code": "invalid" })],
                        )
                    })?;
                    names.push(l.name.clone());
                }
                _ => {
                    return Err(invalid_request(
                        doc,
                        &format!("For 'items', {item} is not a string or object with a name."),
                    ))
                }
            },
            other => {
                return Err(invalid_request(
                    doc,
                    &format!("For 'items', {other} is not a string or object."),
                ))
            }
        }
    }
    Ok(names)
}

/// Logins from `assignees` (strings, or objects with `login`).
fn assignee_logins(doc: &str, v: &Value) -> Result<Vec<String>, ApiErr> {
    let Value::Array(items) = v else {
        return Err(invalid_request(
            doc,
            &format!("For 'properties/assignees', {v} is not an array."),
        ));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => match o.get("login") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(invalid_request(
                    doc,
                    &format!("For 'items', {item} is not a string or object with a login."),
                )),
            },
            other => Err(invalid_request(
                doc,
                &format!("For 'items', {other} is not a string."),
            )),
        })
        .collect()
}

/// Resolves logins to assignable users, or 422 naming every bad one.
fn resolve_assignees(
    w: &World,
    doc: &str,
    ri: usize,
    logins: &[String],
) -> Result<Vec<u64>, ApiErr> {
    let assignable = w.assignable(ri);
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for login in logins {
        match w
            .user_by_login(login)
            .filter(|u| assignable.contains(&u.id))
        {
            Some(u) => {
                if !ids.contains(&u.id) {
                    ids.push(u.id);
                }
            }
            None => errors.push(json!({
                "value": login,
                "resource": "Issue",
                "field": "assignees",
                "code": "invalid",
            })),
        }
    }
    if ids.len() > MAX_ASSIGNEES {
        errors.push(json!({
            "resource": "Issue",
            "field": "assignees",
            "code": "invalid",
            "message": format!("An issue can have at most {MAX_ASSIGNEES} assignees."),
        }));
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(validation_failed(doc, errors))
    }
}

/// `milestone`: `Some(None)` clears; an unknown number is 422.
fn milestone_value(doc: &str, r: &RepoRec, v: &Value) -> Result<Option<u64>, ApiErr> {
    let number = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match number.filter(|&n| r.milestone(n).is_some()) {
        Some(n) => Ok(Some(n)),
        None => Err(validation_failed(
            doc,
            vec![
                json!({ "value": v, "resource": "Issue", "field": "milestone", "code": "invalid" }),
            ],
        )),
    }
}

/// Label, assignee and milestone changes from a body (validated; applied for writers only).
fn meta_changes(
    w: &mut World,
    ctx: &Ctx<'_>,
    ri: usize,
    body: &Map<String, Value>,
    writer: bool,
    ch: &mut Changes,
) -> Result<(), ApiErr> {
    let doc = ctx.doc;
    let names = match body.get("labels") {
        Some(v) => Some(label_names(doc, &w.repos[ri], v)?),
        None => None,
    };
    let logins = match (body.get("assignees"), body.get("assignee")) {
        (Some(v), _) => Some(assignee_logins(doc, v)?),
        (None, Some(v)) => Some(string_or_null(doc, "assignee", v)?.into_iter().collect()),
        (None, None) => None,
    };
    let milestone = match body.get("milestone") {
        Some(v) => Some(milestone_value(doc, &w.repos[ri], v)?),
        None => None,
    };
    if !writer {
        // "Silently dropped" for callers without push access.
        return Ok(());
    }
    if let Some(logins) = logins {
        ch.assignees = Some(resolve_assignees(w, doc, ri, &logins)?);
    }
    ch.milestone = milestone;
    if let Some(names) = names {
        ch.labels = Some(names.iter().map(|n| w.ensure_label(ri, n)).collect());
    }
    Ok(())
}

fn create_issue_api(w: &mut World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let doer = ctx.require_doer()?;
    let body = ctx.body_object()?;
    let title = match body.get("title") {
        None | Some(Value::Null) => {
            return Err(invalid_request(ctx.doc, "\"title\" wasn't supplied."))
        }
        Some(v) => title_value(ctx.doc, v)?.unwrap_or_default(),
    };
    let text = match body.get("body") {
        Some(v) => string_or_null(ctx.doc, "body", v)?.unwrap_or_default(),
        None => String::new(),
    };
    if title.trim().is_empty() {
        return Err(validation_failed(
            ctx.doc,
            vec![json!({ "resource": "Issue", "code": "missing_field", "field": "title" })],
        ));
    }
    let writer = w.can_push(ri, Some(doer));
    let mut ch = Changes::default();
    meta_changes(w, ctx, ri, &body, writer, &mut ch)?;
    let now = w.tick();
    let number = w.insert_issue(
        ri,
        IssueSeed {
            title,
            body: text,
            author: doer,
            labels: ch.labels.unwrap_or_default(),
            milestone: ch.milestone.flatten(),
            assignees: ch.assignees.unwrap_or_default(),
            is_pull: false,
        },
        now,
    );
    let i = &w.repos[ri].issues[&number];
    let location = format!("{}/repos/{}/issues/{number}", ctx.urls.api, w.full_name(ri));
    Ok(Reply::json(
        StatusCode::CREATED,
        render_issue(ctx.urls, w, ri, i, IssueView::Single),
    )
    .with_header("location", location))
}

fn update_issue_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, number: u64) -> ApiResult {
    let doer = ctx.require_doer()?;
    let body = ctx.body_object()?;
    let doc = ctx.doc;
    let mut ch = Changes::default();
    if let Some(v) = body.get("title") {
        if let Some(t) = title_value(doc, v)? {
            if t.trim().is_empty() {
                return Err(validation_failed(
                    doc,
                    vec![json!({ "resource": "Issue", "code": "missing_field", "field": "title" })],
                ));
            }
            ch.title = Some(t);
        }
    }
    if let Some(v) = body.get("body") {
        ch.body = Some(string_or_null(doc, "body", v)?.unwrap_or_default());
    }
    if let Some(v) = body.get("state") {
        ch.close = Some(match v.as_str() {
            Some("closed") => true,
            Some("open") => false,
            _ => {
                return Err(invalid_request(
                    doc,
                    &format!("For 'properties/state', {v} is not one of [\"open\", \"closed\"]."),
                ))
            }
        });
    }
    if let Some(v) = body.get("state_reason") {
        let allowed = ["completed", "not_planned", "duplicate", "reopened"];
        ch.state_reason = Some(match v {
            Value::Null => None,
            Value::String(s) if allowed.contains(&s.as_str()) => Some(s.clone()),
            other => {
                return Err(invalid_request(
                    doc,
                    &format!(
                        "For 'properties/state_reason', {other} is not one of {allowed:?} or null."
                    ),
                ))
            }
        });
    }
    let writer = w.can_push(ri, Some(doer));
    let author = w.repos[ri].issues[&number].author;
    if !writer && author != doer {
        return Err(gh_err(
            StatusCode::FORBIDDEN,
            "You do not have permission to edit this issue.",
            doc,
        ));
    }
    meta_changes(w, ctx, ri, &body, writer, &mut ch)?;
    w.apply_changes(ri, number, doer, ch);
    let i = &w.repos[ri].issues[&number];
    Ok(Reply::ok(render_issue(
        ctx.urls,
        w,
        ri,
        i,
        IssueView::Single,
    )))
}

fn create_comment_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, number: u64) -> ApiResult {
    let doer = ctx.require_doer()?;
    let body = ctx.body_object()?;
    let text = match body.get("body") {
        None | Some(Value::Null) => {
            return Err(invalid_request(ctx.doc, "\"body\" wasn't supplied."))
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(invalid_request(
                ctx.doc,
                &format!("For 'properties/body', {other} is not a string."),
            ))
        }
    };
    if text.trim().is_empty() {
        return Err(validation_failed(
            ctx.doc,
            vec![json!({
                "resource": "IssueComment",
                "code": "unprocessable",
                "field": "data",
                "message": "Body cannot be blank",
            })],
        ));
    }
    let id = w.add_comment(ri, number, doer, &text);
    let r = &w.repos[ri];
    let c = r
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found(ctx.doc))?;
    let location = format!(
        "{}/repos/{}/issues/comments/{id}",
        ctx.urls.api,
        w.full_name(ri)
    );
    Ok(
        Reply::json(StatusCode::CREATED, render_comment(ctx.urls, w, ri, c))
            .with_header("location", location),
    )
}

// ---------------------------------------------------------------------------------------------
// Rendering (shapes follow the OpenAPI schemas named on each function)

fn t(v: DateTime<Utc>) -> Value {
    Value::String(render_time(v))
}

fn t_opt(v: Option<DateTime<Utc>>) -> Value {
    v.map(t).unwrap_or(Value::Null)
}

fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            a.extend(b);
            Value::Object(a)
        }
        (a, _) => a,
    }
}

fn node_id(prefix: &str, id: u64) -> String {
    format!("{prefix}_kwDO{id:08X}")
}

/// `simple-user`.
fn render_simple_user(urls: &Urls, u: &UserRec) -> Value {
    let api = format!("{}/users/{}", urls.api, u.login);
    json!({
        "login": u.login,
        "id": u.id,
        "node_id": node_id(if u.org { "O" } else { "U" }, u.id),
        "avatar_url": format!("{}/avatars/u/{}?v=4", urls.web, u.id),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{}/{}", urls.web, u.login),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": if u.org { "Organization" } else { "User" },
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn render_user_by_id(urls: &Urls, w: &World, id: u64) -> Value {
    w.user(id)
        .map(|u| render_simple_user(urls, u))
        .unwrap_or(Value::Null)
}

/// `private-user` (`GET /user`).
fn render_private_user(urls: &Urls, w: &World, u: &UserRec) -> Value {
    let owned = w
        .repos
        .iter()
        .filter(|r| r.owner == u.id)
        .collect::<Vec<_>>();
    let public = owned.iter().filter(|r| !r.private).count();
    let private = owned.len() - public;
    let more = json!({
        "user_view_type": "private",
        "name": u.name,
        "company": Value::Null,
        "blog": "",
        "location": Value::Null,
        "email": Value::Null,
        "notification_email": Value::Null,
        "hireable": Value::Null,
        "bio": Value::Null,
        "twitter_username": Value::Null,
        "public_repos": public,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": t(u.created),
        "updated_at": t(u.created),
        "private_gists": 0,
        "total_private_repos": private,
        "owned_private_repos": private,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": false,
        "plan": { "name": "free", "space": 976_562_499, "collaborators": 0, "private_repos": 10_000 },
    });
    merge(render_simple_user(urls, u), more)
}

/// `api-overview`, plus GHES's `installed_version`.
fn render_meta() -> Value {
    json!({
        "verifiable_password_authentication": true,
        "installed_version": GHES_VERSION,
        "ssh_key_fingerprints": {
            "SHA256_RSA": "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
            "SHA256_ECDSA": "p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
            "SHA256_ED25519": "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
        },
        "hooks": ["127.0.0.1/32"],
        "web": ["127.0.0.1/32"],
        "api": ["127.0.0.1/32"],
        "git": ["127.0.0.1/32"],
        "packages": [],
        "pages": [],
        "importer": [],
        "actions": [],
        "dependabot": [],
    })
}

/// `label`.
fn render_label(urls: &Urls, w: &World, ri: usize, l: &LabelRec) -> Value {
    let name: String = url::form_urlencoded::byte_serialize(l.name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    json!({
        "id": l.id,
        "node_id": node_id("LA", l.id),
        "url": format!("{}/repos/{}/labels/{name}", urls.api, w.full_name(ri)),
        "name": l.name,
        "color": l.color,
        "default": false,
        "description": l.description,
    })
}

fn milestone_counts(r: &RepoRec, number: u64) -> (usize, usize) {
    let of = r.issues.values().filter(|i| i.milestone == Some(number));
    let (closed, open): (Vec<&IssueRec>, Vec<&IssueRec>) = of.partition(|i| i.closed);
    (open.len(), closed.len())
}

/// `milestone`.
fn render_milestone(urls: &Urls, w: &World, ri: usize, m: &MilestoneRec) -> Value {
    let r = &w.repos[ri];
    let full = w.full_name(ri);
    let api = format!("{}/repos/{full}/milestones/{}", urls.api, m.number);
    let (open, closed) = milestone_counts(r, m.number);
    json!({
        "url": api,
        "html_url": format!("{}/{full}/milestone/{}", urls.web, m.number),
        "labels_url": format!("{api}/labels"),
        "id": m.id,
        "node_id": node_id("MI", m.id),
        "number": m.number,
        "title": m.title,
        "description": Value::Null,
        "creator": render_user_by_id(urls, w, m.creator),
        "open_issues": open,
        "closed_issues": closed,
        "state": if m.closed { "closed" } else { "open" },
        "created_at": t(m.created),
        "updated_at": t(m.updated),
        "due_on": Value::Null,
        "closed_at": t_opt(m.closed_at),
    })
}

fn author_association(w: &World, ri: usize, uid: u64) -> &'static str {
    let r = &w.repos[ri];
    if uid == r.owner {
        "OWNER"
    } else if r.collaborators.contains(&uid) {
        "COLLABORATOR"
    } else {
        "NONE"
    }
}

#[derive(Clone, Copy, PartialEq)]
enum IssueView {
    /// An item of `GET …/issues` (no `closed_by`).
    List,
    /// `GET`/`PATCH …/issues/{n}`, `POST …/issues`.
    Single,
    /// An item of `GET /search/issues` (`score`, `body` a string).
    Search,
}

/// `issue` (or `issue-search-result-item`).
fn render_issue(urls: &Urls, w: &World, ri: usize, i: &IssueRec, view: IssueView) -> Value {
    let r = &w.repos[ri];
    let full = w.full_name(ri);
    let repo_api = format!("{}/repos/{full}", urls.api);
    let api = format!("{repo_api}/issues/{}", i.number);
    let kind = if i.is_pull { "pull" } else { "issues" };
    let assignees: Vec<Value> = i
        .assignees
        .iter()
        .map(|&a| render_user_by_id(urls, w, a))
        .collect();
    let labels: Vec<Value> = i
        .labels
        .iter()
        .filter_map(|&l| r.label(l))
        .map(|l| render_label(urls, w, ri, l))
        .collect();
    let body = if i.body.is_empty() && view != IssueView::Search {
        Value::Null
    } else {
        json!(i.body)
    };
    let mut v = json!({
        "url": api,
        "repository_url": repo_api,
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": format!("{}/{full}/{kind}/{}", urls.web, i.number),
        "id": i.id,
        "node_id": node_id(if i.is_pull { "PR" } else { "I" }, i.id),
        "number": i.number,
        "title": i.title,
        "user": render_user_by_id(urls, w, i.author),
        "labels": labels,
        "state": if i.closed { "closed" } else { "open" },
        "locked": false,
        "assignee": assignees.first().cloned().unwrap_or(Value::Null),
        "assignees": assignees,
        "milestone": i
            .milestone
            .and_then(|m| r.milestone(m))
            .map(|m| render_milestone(urls, w, ri, m))
            .unwrap_or(Value::Null),
        "comments": r.comment_count(i.number),
        "created_at": t(i.created_at),
        "updated_at": t(i.updated_at),
        "closed_at": t_opt(i.closed_at),
        "author_association": author_association(w, ri, i.author),
        "type": Value::Null,
        "active_lock_reason": Value::Null,
        "body": body,
    });
    let more = json!({
        "reactions": {
            "url": format!("{api}/reactions"),
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        },
        "timeline_url": format!("{api}/timeline"),
        "performed_via_github_app": Value::Null,
        "state_reason": i.state_reason,
    });
    v = merge(v, more);
    if let Value::Object(m) = &mut v {
        if i.is_pull {
            let pr = format!("{}/{full}/pull/{}", urls.web, i.number);
            m.insert("draft".into(), json!(false));
            m.insert(
                "pull_request".into(),
                json!({
                    "url": format!("{repo_api}/pulls/{}", i.number),
                    "html_url": pr,
                    "diff_url": format!("{pr}.diff"),
                    "patch_url": format!("{pr}.patch"),
                    "merged_at": Value::Null,
                }),
            );
        } else {
            m.insert(
                "sub_issues_summary".into(),
                json!({ "total": 0, "completed": 0, "percent_completed": 0 }),
            );
        }
        match view {
            IssueView::Single => {
                m.insert(
                    "closed_by".into(),
                    i.closed_by
                        .map(|u| render_user_by_id(urls, w, u))
                        .unwrap_or(Value::Null),
                );
            }
            IssueView::Search => {
                m.insert("score".into(), json!(1.0));
            }
            IssueView::List => {}
        }
    }
    v
}

/// `issue-comment`.
fn render_comment(urls: &Urls, w: &World, ri: usize, c: &CommentRec) -> Value {
    let r = &w.repos[ri];
    let full = w.full_name(ri);
    let kind = match r.issues.get(&c.issue_number) {
        Some(i) if i.is_pull => "pull",
        _ => "issues",
    };
    let api = format!("{}/repos/{full}/issues/comments/{}", urls.api, c.id);
    json!({
        "id": c.id,
        "node_id": node_id("IC", c.id),
        "url": api,
        "html_url": format!("{}/{full}/{kind}/{}#issuecomment-{}", urls.web, c.issue_number, c.id),
        "body": c.body,
        "user": render_user_by_id(urls, w, c.author),
        "created_at": t(c.created_at),
        "updated_at": t(c.updated_at),
        "issue_url": format!("{}/repos/{full}/issues/{}", urls.api, c.issue_number),
        "author_association": author_association(w, ri, c.author),
        "reactions": {
            "url": format!("{api}/reactions"),
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        },
        "performed_via_github_app": Value::Null,
    })
}

/// `full-repository` (`full`) or `repository` (list items).
fn render_repo(ctx: &Ctx<'_>, w: &World, ri: usize, full: bool) -> Value {
    let urls = ctx.urls;
    let r = &w.repos[ri];
    let name = w.full_name(ri);
    let a = format!("{}/repos/{name}", urls.api);
    let open = r.issues.values().filter(|i| !i.closed).count();
    let last = r
        .issues
        .values()
        .map(|i| i.updated_at)
        .max()
        .unwrap_or(r.created);
    let links = json!({
        "id": r.id,
        "node_id": node_id("R", r.id),
        "name": r.name,
        "full_name": name,
        "private": r.private,
        "owner": render_user_by_id(urls, w, r.owner),
        "html_url": format!("{}/{name}", urls.web),
        "description": Value::Null,
        "fork": false,
        "url": a,
        "forks_url": format!("{a}/forks"),
        "keys_url": format!("{a}/keys{{/key_id}}"),
        "collaborators_url": format!("{a}/collaborators{{/collaborator}}"),
        "teams_url": format!("{a}/teams"),
        "hooks_url": format!("{a}/hooks"),
        "issue_events_url": format!("{a}/issues/events{{/number}}"),
        "events_url": format!("{a}/events"),
        "assignees_url": format!("{a}/assignees{{/user}}"),
        "branches_url": format!("{a}/branches{{/branch}}"),
        "tags_url": format!("{a}/tags"),
        "blobs_url": format!("{a}/git/blobs{{/sha}}"),
        "git_tags_url": format!("{a}/git/tags{{/sha}}"),
        "git_refs_url": format!("{a}/git/refs{{/sha}}"),
        "trees_url": format!("{a}/git/trees{{/sha}}"),
        "statuses_url": format!("{a}/statuses/{{sha}}"),
        "languages_url": format!("{a}/languages"),
        "stargazers_url": format!("{a}/stargazers"),
        "contributors_url": format!("{a}/contributors"),
        "subscribers_url": format!("{a}/subscribers"),
        "subscription_url": format!("{a}/subscription"),
    });
    let more_links = json!({
        "commits_url": format!("{a}/commits{{/sha}}"),
        "git_commits_url": format!("{a}/git/commits{{/sha}}"),
        "comments_url": format!("{a}/comments{{/number}}"),
        "issue_comment_url": format!("{a}/issues/comments{{/number}}"),
        "contents_url": format!("{a}/contents/{{+path}}"),
        "compare_url": format!("{a}/compare/{{base}}...{{head}}"),
        "merges_url": format!("{a}/merges"),
        "archive_url": format!("{a}/{{archive_format}}{{/ref}}"),
        "downloads_url": format!("{a}/downloads"),
        "issues_url": format!("{a}/issues{{/number}}"),
        "pulls_url": format!("{a}/pulls{{/number}}"),
        "milestones_url": format!("{a}/milestones{{/number}}"),
        "notifications_url": format!("{a}/notifications{{?since,all,participating}}"),
        "labels_url": format!("{a}/labels{{/name}}"),
        "releases_url": format!("{a}/releases{{/id}}"),
        "deployments_url": format!("{a}/deployments"),
        "git_url": format!("git://{}/{name}.git", urls.host),
        "ssh_url": format!("git@127.0.0.1:{name}.git"),
        "clone_url": format!("{}/{name}.git", urls.web),
        "svn_url": format!("{}/{name}", urls.web),
        "mirror_url": Value::Null,
        "homepage": Value::Null,
    });
    let facts = json!({
        "created_at": t(r.created),
        "updated_at": t(last),
        "pushed_at": t(r.created),
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": Value::Null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": 0,
        "archived": false,
        "disabled": false,
        "open_issues_count": open,
        "license": Value::Null,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": [],
        "visibility": if r.private { "private" } else { "public" },
        "forks": 0,
        "open_issues": open,
        "watchers": 0,
        "default_branch": "main",
    });
    let mut v = merge(merge(links, more_links), facts);
    if let Value::Object(m) = &mut v {
        if let Some(doer) = ctx.doer {
            let push = w.can_push(ri, Some(doer));
            let admin = doer == r.owner;
            m.insert(
                "permissions".into(),
                json!({ "admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true }),
            );
        }
        if full {
            m.insert("network_count".into(), json!(0));
            m.insert("subscribers_count".into(), json!(0));
            if w.user(r.owner).is_some_and(|u| u.org) {
                m.insert("organization".into(), render_user_by_id(urls, w, r.owner));
            }
        }
    }
    v
}
