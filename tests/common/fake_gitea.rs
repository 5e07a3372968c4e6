//! A stateful, in-process fake of the Gitea / Forgejo REST API v1, for integration tests.
//!
//! The server listens on `127.0.0.1:<random port>` and runs on its own thread with its own
//! tokio runtime, so it works from plain `#[test]` functions (e.g. ones that spawn the CLI
//! binary against it) as well as from `#[tokio::test]` functions. It never touches the
//! network beyond that loopback listener.
//!
//! Tests seed it through Rust calls (`add_repo`, `create_issue`, `add_comment`, ...) and then
//! let the code under test talk to it over real HTTP. JSON bodies follow the `Issue`, `Comment`,
//! `User`, `Label`, `Milestone`, `Repository` definitions of
//! `shared/contracts/gitea-1.27.1.swagger.json` (checked by `tests/fake_gitea_fidelity.rs`).
//!
//! # Behaviour reproduced, and where it comes from
//!
//! Confirmed by reading go-gitea/gitea sources (public code index):
//! - `since` / `before` are inclusive: `updated_unix >= since`, `updated_unix <= before`, compared
//!   in whole seconds (`models/issues/issue_search.go` `applyConditions`; comments:
//!   `models/issues/comment.go` `FindCommentsOptions.ToConds`). A value that is not RFC 3339
//!   (Go `time.Parse(time.RFC3339, ..)`) answers 422 (`routers/api/v1/repo/issue.go`,
//!   `issue_comment.go` call `GetQueryBeforeSince` then `ctx.Error(422, ..)`). Because the query
//!   is form-decoded first, an unescaped `+` in `+01:00` becomes a space and also gets 422.
//! - `GET /repos/{o}/{r}/issues` sorts with `issue_indexer.SortByCreatedDesc`, which the DB
//!   indexer maps to "newest": `created_unix DESC, id DESC` (`routers/api/v1/repo/issue.go`
//!   `ListIssues`, `modules/indexer/issues/db/options.go`, `models/issues/issue_search.go`
//!   `applySorts`). There is no sort parameter.
//! - Without `type`, pull requests are included (`isPull` stays unset); `type=issues` / `type=pulls`
//!   filter. A PR has a non-null `pull_request` object (`services/convert/issue.go`).
//! - `labels` is split on `,`, names that do not exist in the repo are dropped, and the
//!   remaining label ids must ALL be on the issue (`applyLabelsCondition` counts matches), even
//!   though the swagger text says "any". If no name matches, no label filter applies at all.
//! - `milestones` is split on `,`; each part is tried as a name, then as an id; unknown parts are
//!   dropped (`ListIssues`).
//! - Page size: `limit` <= 0 or absent gives `DEFAULT_PAGING_NUM` (30, even where that is
//!   above the cap), above `MAX_RESPONSE_ITEMS` (50 by default,
//!   [`FakeGitea::with_max_response_items`]) is capped silently (`services/convert/utils.go`
//!   `ToCorrectPageSize`). `page` and `limit` are read with `FormInt`, so `page=abc` is page 1
//!   and `limit=abc` is the default; neither is an error.
//! - `GET /settings/api` answers `GeneralAPISettings`: `max_response_items`,
//!   `default_paging_num`, `default_git_trees_per_page` (1000), `default_max_blob_size`
//!   (10485760), `default_max_response_size` (104857600) (`routers/api/v1/settings/settings.go`
//!   `GetGeneralAPISettings`, defaults in `modules/setting/api.go`). Servers and forks without
//!   the route answer 404 ([`FakeGitea::without_settings_api`]).
//! - `Link` header (`services/context/api.go` `genAPILinks`, `modules/paginator/paginator.go`):
//!   entries in the order next, last, first, prev, joined by `,` without a space, each
//!   `<{ROOT_URL}{request path without leading /}?{query re-encoded, keys sorted, page=N}>; rel="x"`.
//!   `next`/`last` only when `page*size < total`, `first`/`prev` only when page > 1; the page
//!   used for links is clamped to the last page. `X-Total-Count` carries the filtered total.
//! - Repo-wide comments (`GET /repos/{o}/{r}/issues/comments`) include comments on issues AND
//!   pull requests, ordered `created_unix ASC, id ASC`, paged with `page`/`limit`, and send
//!   `X-Total-Count` but NO `Link` header (`ListRepoIssueComments` only calls
//!   `SetTotalCountHeader`). Per-issue comments are not paged at all and also only send
//!   `X-Total-Count` (`ListIssueComments`).
//! - Comment `issue_url` is the issue's WEB url (`{ROOT_URL}{owner}/{repo}/issues/{n}`) and is
//!   `""` for a PR; `pull_request_url` is the PR's web url (`/pulls/{n}`) and `""` for an issue;
//!   `html_url` is the issue/PR web url + `#issuecomment-{id}` (`models/issues/comment.go`,
//!   `services/convert/issue_comment.go`). The issue's own `url` is the API url
//!   `{ROOT_URL}api/v1/repos/{o}/{r}/issues/{n}` (also for PRs) and `html_url` uses `/issues/` or
//!   `/pulls/`.
//! - Issue JSON: `assignees` is `null` (not `[]`) when nobody is assigned and `assignee` is the
//!   first assignee; `labels` is `[]` when empty; `repository` is the short `RepositoryMeta`
//!   (`owner` is a string) (`services/convert/issue.go`).
//! - Error bodies are `{"message": .., "url": "{ROOT_URL}api/swagger"}`; not found is
//!   `{"message":"not found", ..}` (`services/context/api.go`).
//! - A supplied invalid token answers 401 on every route (gitea issue #21671, fixed by commit
//!   491cc06; older servers treated it as anonymous).
//! - `PATCH /issues/{index}` answers 201, not 200 (`EditIssue` swagger block and code).
//! - `PATCH` with an assignee that does not exist or may not be assigned answers 500:
//!   `EditIssue` maps every `UpdateAssignees` error to `http.StatusInternalServerError`,
//!   and the title/body changes made before that step stay saved. (`POST` answers 422
//!   `Assignee does not exist` / `canBeAssigned` instead.)
//!
//! Assumed (not confirmed in sources within the search budget):
//! - `Authorization: token X` and `Authorization: Bearer X` are both accepted, scheme
//!   case-insensitive; the deprecated `?token=` / `?access_token=` query forms are not.
//! - Anonymous access to a private repo answers 404, like a missing repo; a signed-in user
//!   who is neither owner nor collaborator also gets 404.
//! - Timestamps are rendered in the server's local zone, here fixed at +01:00.
//! - `GET /repos/{o}/{r}/issues/{index}/comments` on a missing issue answers 404 (the code read
//!   answers 500 there).
//! - `/user/repos` lists owned and collaborated repos ordered by id; `/repos/search` sorts by
//!   name; labels are sorted by name, milestones by id; these lists send `Link` and
//!   `X-Total-Count`.
//! - Adding a comment bumps the issue's `updated_at`; editing a comment bumps only the comment.
//! - `PATCH` with a stale `content_version` answers 409.
//! - Unknown routes under the API prefix answer 404 JSON; anything else answers a 404 HTML page.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, TimeZone, Utc};
use serde_json::{json, Value};

use super::server::{ConnHandle, FakeServer};

/// Gitea's `[api] DEFAULT_PAGING_NUM` default.
pub const DEFAULT_PAGE_SIZE: usize = 30;
/// Gitea's `[api] MAX_RESPONSE_ITEMS` default.
pub const MAX_PAGE_SIZE: usize = 50;
/// Gitea's `[api] DEFAULT_GIT_TREES_PER_PAGE` default (reported by `/settings/api`).
const DEFAULT_GIT_TREES_PER_PAGE: u64 = 1000;
/// Gitea's `[api] DEFAULT_MAX_BLOB_SIZE` default.
const DEFAULT_MAX_BLOB_SIZE: u64 = 10_485_760;
/// Gitea's `[api] DEFAULT_MAX_RESPONSE_SIZE` default.
const DEFAULT_MAX_RESPONSE_SIZE: u64 = 104_857_600;
/// The version `GET /version` reports.
pub const GITEA_VERSION: &str = "1.27.1";
/// The offset timestamps are rendered with.
pub const SERVER_UTC_OFFSET_SECS: i32 = 3600;

const ID_BASE_ISSUE: i64 = 1000;
const ID_BASE_COMMENT: i64 = 5000;
const ID_BASE_LABEL: i64 = 100;
const ID_BASE_MILESTONE: i64 = 200;
const ID_BASE_REPO: i64 = 10;

/// An issue or pull request as the fake stores it. Snapshots are returned by
/// [`FakeGitea::issue`]; [`FakeGitea::edit_issue`] hands out a mutable one.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeIssue {
    pub id: i64,
    pub number: u64,
    pub title: String,
    pub body: String,
    /// "open" or "closed".
    pub state: String,
    /// Label names (labels missing from the repo are created when the issue is saved).
    pub labels: Vec<String>,
    /// Milestone title (created in the repo if missing).
    pub milestone: Option<String>,
    /// Assignee logins (users are created if missing).
    pub assignees: Vec<String>,
    /// Author login.
    pub author: String,
    pub is_pull: bool,
    pub is_locked: bool,
    /// Bumped by one every time the body changes (Gitea's optimistic-locking counter).
    pub content_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A comment as the fake stores it (see [`FakeGitea::comments`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeComment {
    pub id: i64,
    pub issue_number: u64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub use super::tracker::{NewIssue, SeenRequest};

/// The fake server. Dropping it shuts the server down.
pub struct FakeGitea {
    shared: Arc<Shared>,
    _server: FakeServer,
}

struct Shared {
    world: Mutex<World>,
    /// "" or "/sub/path" (leading slash, no trailing slash).
    subpath: String,
    /// `http://127.0.0.1:PORT{subpath}`.
    web_url: String,
    /// [`FakeGitea::with_looping_next_links`].
    loop_next_links: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FakeGitea {
    /// Starts a server whose API lives at `{web_url}/api/v1`.
    pub fn start() -> FakeGitea {
        Self::start_at_subpath("")
    }

    /// Makes the server rewrite the bodies it is sent through the API (creates and edits)
    /// the way some trackers, proxies and web editors do: CRLF becomes LF and trailing
    /// whitespace at the end goes. Off by default (stock Gitea stores the body as sent;
    /// this switch stands for "a tracker that normalises", not for a Gitea setting).
    pub fn with_body_normalisation(self, on: bool) -> Self {
        self.shared.world().normalise_bodies = on;
        self
    }

    /// Runs the server with `[api] MAX_RESPONSE_ITEMS = max` (at least 1): larger `limit`s
    /// are capped at it, and `GET /settings/api` reports it. Gitea's default is 50;
    /// instances that raise it exist (e.g. 100).
    pub fn with_max_response_items(self, max: usize) -> Self {
        self.shared.world().max_response_items = max.max(1);
        self
    }

    /// Makes `GET /settings/api` answer 404, as servers and forks without the route do.
    pub fn without_settings_api(self) -> Self {
        self.shared.world().settings_api = false;
        self
    }

    /// Makes every `Link: rel="next"` point at the page it came with, as a broken or
    /// hostile server might: a client that follows links blindly never ends.
    pub fn with_looping_next_links(self) -> Self {
        self.shared
            .loop_next_links
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Makes the `html_url` of issues and comments start at `root` instead of the web
    /// root: Gitea builds them from its `ROOT_URL` setting, so a hostile or misconfigured
    /// server can send any address there (`file:///…`, another host).
    pub fn with_page_root(self, root: &str) -> Self {
        self.shared.world().page_root = Some(root.trim_end_matches('/').to_string());
        self
    }

    /// Starts a server as if Gitea ran with `ROOT_URL = http://127.0.0.1:PORT{subpath}/`,
    /// e.g. `"/gitea"`: API at `http://127.0.0.1:PORT/gitea/api/v1`.
    pub fn start_at_subpath(subpath: &str) -> FakeGitea {
        let trimmed = subpath.trim_matches('/');
        let subpath = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
        let (listener, port) = FakeServer::bind();
        let web_url = format!("http://127.0.0.1:{port}{subpath}");
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new()),
            subpath,
            web_url,
            loop_next_links: std::sync::atomic::AtomicBool::new(false),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = FakeServer::serve(&format!("fake-gitea-{port}"), listener, app);
        FakeGitea {
            shared,
            _server: server,
        }
    }

    /// The web root (Gitea's ROOT_URL without the trailing slash), e.g. `http://127.0.0.1:4711`.
    pub fn web_url(&self) -> String {
        self.shared.web_url.clone()
    }

    /// `{web_url}/api/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v1", self.shared.web_url)
    }

    /// Creates the user if missing; a `token` authenticates as that user.
    pub fn add_user(&self, login: &str, token: Option<&str>) {
        let mut w = self.shared.world();
        w.ensure_user(login);
        if let Some(t) = token {
            w.tokens.insert(t.to_string(), login.to_string());
        }
    }

    /// Creates a repo (and its owner user if missing); returns the repo id. Calling it again
    /// for an existing repo only updates `private` and returns the same id.
    pub fn add_repo(&self, owner: &str, name: &str, private: bool) -> i64 {
        let mut w = self.shared.world();
        if let Some(i) = w.repo_index(&format!("{owner}/{name}")) {
            w.repos[i].private = private;
            return w.repos[i].id;
        }
        w.ensure_user(owner);
        w.next_repo_id += 1;
        let id = ID_BASE_REPO + w.next_repo_id;
        let now = w.now;
        w.repos.push(RepoRec {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            private,
            collaborators: BTreeSet::new(),
            labels: Vec::new(),
            milestones: Vec::new(),
            issues: BTreeMap::new(),
            comments: Vec::new(),
            next_index: 0,
            created: now,
        });
        id
    }

    /// Gives `login` write access to `repo` ("owner/name").
    pub fn add_collaborator(&self, repo: &str, login: &str) {
        let mut w = self.shared.world();
        w.ensure_user(login);
        let r = w.repo_mut(repo);
        r.collaborators.insert(login.to_string());
    }

    /// Adds (or recolours) a label; returns its id.
    pub fn add_label(&self, repo: &str, name: &str, color: &str) -> i64 {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        let id = w.ensure_label(ri, name);
        let color = color.trim_start_matches('#').to_string();
        if let Some(l) = w.repos[ri].labels.iter_mut().find(|l| l.id == id) {
            l.color = color;
        }
        id
    }

    /// Adds an open milestone (or returns the existing one's id).
    pub fn add_milestone(&self, repo: &str, title: &str) -> i64 {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.ensure_milestone(ri, title)
    }

    /// Closes or reopens a milestone.
    pub fn set_milestone_state(&self, repo: &str, title: &str, closed: bool) {
        let mut w = self.shared.world();
        let now = w.now;
        let ri = w.repo_index_or_panic(repo);
        let m = w.repos[ri]
            .milestones
            .iter_mut()
            .find(|m| m.title == title)
            .unwrap_or_else(|| panic!("fake gitea: no milestone {title:?} in {repo}"));
        m.closed_at = if closed { Some(now) } else { None };
        m.updated = now;
    }

    /// Creates an issue (or a PR when `pull_request`); returns its number. Issues and PRs share
    /// one index sequence per repo. Advances the clock by one second.
    pub fn create_issue(&self, repo: &str, issue: NewIssue) -> u64 {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        let now = w.tick();
        let fake = w.new_issue(
            ri,
            issue.title,
            issue.body,
            issue.author,
            issue.pull_request,
            now,
        );
        let number = fake.number;
        let mut fake = fake;
        fake.labels = issue.labels.iter().map(|s| s.to_string()).collect();
        fake.milestone = issue.milestone.map(str::to_string);
        fake.assignees = issue.assignees.iter().map(|s| s.to_string()).collect();
        w.save_issue(ri, fake);
        number
    }

    /// Edits an issue in place; afterwards `updated_at` is "now" (the clock advances one
    /// second), `closed_at` follows `state`, and `content_version` is bumped if the body
    /// changed. `id` and `number` cannot be changed.
    pub fn edit_issue(&self, repo: &str, number: u64, edit: impl FnOnce(&mut FakeIssue)) {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.edit_as_someone_else(ri, number, edit);
    }

    /// Plays a race: right after the next `GET` of issue `number` has been answered,
    /// someone else edits it, so a client that read it and then writes holds a stale
    /// `content_version`.
    pub fn edit_after_next_read(
        &self,
        repo: &str,
        number: u64,
        edit: impl FnOnce(&mut FakeIssue) + Send + 'static,
    ) {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.after_next_read = Some((ri, number, Box::new(edit)));
    }
    /// Deletes an issue or PR and its comments (later GETs answer 404). Advances the clock.
    pub fn delete_issue(&self, repo: &str, number: u64) {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.tick();
        let r = &mut w.repos[ri];
        r.issues.remove(&number);
        r.comments.retain(|c| c.issue_number != number);
    }

    /// Adds a comment (author created if missing); bumps the issue's `updated_at` too.
    /// Returns the comment id. Advances the clock.
    pub fn add_comment(&self, repo: &str, number: u64, author: &str, body: &str) -> i64 {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        assert!(
            w.repos[ri].issues.contains_key(&number),
            "fake gitea: no issue #{number} in {repo}"
        );
        w.add_comment(ri, number, author, body)
    }

    /// Changes a comment's body; bumps the comment's `updated_at` (not the issue's).
    pub fn edit_comment(&self, repo: &str, comment_id: i64, body: &str) {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        let now = w.tick();
        let c = w.repos[ri]
            .comments
            .iter_mut()
            .find(|c| c.id == comment_id)
            .unwrap_or_else(|| panic!("fake gitea: no comment {comment_id} in {repo}"));
        c.body = body.to_string();
        c.updated_at = now;
    }

    /// Deletes a comment.
    pub fn delete_comment(&self, repo: &str, comment_id: i64) {
        let mut w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.tick();
        w.repos[ri].comments.retain(|c| c.id != comment_id);
    }

    /// Snapshot of an issue or PR; `None` when missing or deleted.
    pub fn issue(&self, repo: &str, number: u64) -> Option<FakeIssue> {
        let w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.repos[ri].issues.get(&number).cloned()
    }

    /// Snapshot of all issues and PRs of a repo, by number.
    pub fn issues(&self, repo: &str) -> Vec<FakeIssue> {
        let w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.repos[ri].issues.values().cloned().collect()
    }

    /// Snapshot of the comments on one issue, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<FakeComment> {
        let w = self.shared.world();
        let ri = w.repo_index_or_panic(repo);
        w.repos[ri]
            .comments
            .iter()
            .filter(|c| c.issue_number == number)
            .cloned()
            .collect()
    }

    /// Every request received so far, in order (including failed ones).
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.world().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.world().requests.clear();
    }

    /// The next `count` requests answer `status` with a Gitea-style JSON error body.
    pub fn fail_next(&self, count: usize, status: u16) {
        self.fail_after(0, count, status);
    }

    /// The next `ok` requests are answered as usual, the `count` after them with `status`
    /// (a server that breaks at a known point of a listing, whatever the client has
    /// already asked for).
    pub fn fail_after(&self, ok: usize, count: usize, status: u16) {
        let mut w = self.shared.world();
        w.fail_after_ok = ok;
        w.fail_count = count;
        w.fail_status = status;
    }

    /// The fake's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.world().now
    }

    /// Moves the clock forward (or back, with a negative value).
    pub fn advance_clock(&self, secs: i64) {
        let mut w = self.shared.world();
        w.now += Duration::seconds(secs);
    }
}

/// Renders a timestamp the way the fake server does (RFC 3339, +01:00).
pub fn render_time(t: DateTime<Utc>) -> String {
    let tz = FixedOffset::east_opt(SERVER_UTC_OFFSET_SECS).expect("valid offset");
    t.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

// ---------------------------------------------------------------------------------------------
// State

struct UserRec {
    id: i64,
    login: String,
    full_name: String,
    email: String,
    created: DateTime<Utc>,
}

struct LabelRec {
    id: i64,
    name: String,
    color: String,
    description: String,
}

struct MilestoneRec {
    id: i64,
    title: String,
    description: String,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

struct RepoRec {
    id: i64,
    owner: String,
    name: String,
    private: bool,
    collaborators: BTreeSet<String>,
    labels: Vec<LabelRec>,
    milestones: Vec<MilestoneRec>,
    issues: BTreeMap<u64, FakeIssue>,
    comments: Vec<FakeComment>,
    next_index: u64,
    created: DateTime<Utc>,
}

impl RepoRec {
    fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    fn can_read(&self, doer: Option<&str>) -> bool {
        !self.private || self.can_write(doer)
    }

    fn can_write(&self, doer: Option<&str>) -> bool {
        doer.is_some_and(|d| d.eq_ignore_ascii_case(&self.owner) || self.collaborators.contains(d))
    }

    fn label_by_name(&self, name: &str) -> Option<&LabelRec> {
        self.labels.iter().find(|l| l.name == name)
    }

    fn milestone_by_title(&self, title: &str) -> Option<&MilestoneRec> {
        self.milestones.iter().find(|m| m.title == title)
    }

    fn comment_count(&self, number: u64) -> usize {
        self.comments
            .iter()
            .filter(|c| c.issue_number == number)
            .count()
    }
}

struct World {
    now: DateTime<Utc>,
    users: Vec<UserRec>,
    tokens: HashMap<String, String>,
    repos: Vec<RepoRec>,
    next_user_id: i64,
    next_repo_id: i64,
    next_issue_id: i64,
    next_comment_id: i64,
    next_label_id: i64,
    next_milestone_id: i64,
    requests: Vec<SeenRequest>,
    /// Requests still answered before the `fail_count` failures begin.
    fail_after_ok: usize,
    fail_count: usize,
    fail_status: u16,
    drop_next_write: bool,
    delay_next_write: Option<std::time::Duration>,
    after_next_read: Option<(usize, u64, RaceEdit)>,
    /// [`FakeGitea::with_body_normalisation`].
    normalise_bodies: bool,
    /// [`FakeGitea::with_page_root`].
    page_root: Option<String>,
    /// `[api] MAX_RESPONSE_ITEMS` ([`FakeGitea::with_max_response_items`]).
    max_response_items: usize,
    /// Whether `GET /settings/api` exists ([`FakeGitea::without_settings_api`]).
    settings_api: bool,
    hooks: super::fake_hooks::Hooks,
}

type RaceEdit = Box<dyn FnOnce(&mut FakeIssue) + Send>;

impl World {
    /// A body as the server keeps it ([`FakeGitea::with_body_normalisation`]).
    fn as_stored(&self, body: &str) -> String {
        if self.normalise_bodies {
            body.replace("\r\n", "\n").trim_end().to_string()
        } else {
            body.to_string()
        }
    }

    fn new() -> World {
        World {
            now: Utc
                .with_ymd_and_hms(2026, 1, 5, 10, 0, 0)
                .single()
                .expect("valid start time"),
            users: Vec::new(),
            tokens: HashMap::new(),
            repos: Vec::new(),
            next_user_id: 0,
            next_repo_id: 0,
            next_issue_id: 0,
            next_comment_id: 0,
            next_label_id: 0,
            next_milestone_id: 0,
            requests: Vec::new(),
            fail_after_ok: 0,
            fail_count: 0,
            fail_status: 500,
            drop_next_write: false,
            delay_next_write: None,
            after_next_read: None,
            normalise_bodies: false,
            page_root: None,
            max_response_items: MAX_PAGE_SIZE,
            settings_api: true,
            hooks: Default::default(),
        }
    }

    fn tick(&mut self) -> DateTime<Utc> {
        self.now += Duration::seconds(1);
        self.now
    }

    /// A change made outside the API (by "someone else"): bumps `updated_at`, and
    /// `content_version` when the body changed.
    fn edit_as_someone_else(&mut self, ri: usize, number: u64, edit: impl FnOnce(&mut FakeIssue)) {
        let before = self.repos[ri]
            .issues
            .get(&number)
            .cloned()
            .unwrap_or_else(|| panic!("fake gitea: no issue #{number}"));
        let mut issue = before.clone();
        edit(&mut issue);
        issue.id = before.id;
        issue.number = before.number;
        if issue.body != before.body && issue.content_version == before.content_version {
            issue.content_version += 1;
        }
        let now = self.tick();
        issue.updated_at = now;
        match issue.state.as_str() {
            "closed" => {
                if before.state != "closed" || issue.closed_at.is_none() {
                    issue.closed_at = Some(now);
                }
            }
            _ => {
                issue.state = "open".to_string();
                issue.closed_at = None;
            }
        }
        self.save_issue(ri, issue);
    }

    fn ensure_user(&mut self, login: &str) -> i64 {
        if let Some(u) = self.user(login) {
            return u.id;
        }
        self.next_user_id += 1;
        let id = self.next_user_id;
        let now = self.now;
        self.users.push(UserRec {
            id,
            login: login.to_string(),
            full_name: format!("{login} (full name)"),
            email: format!("{login}@example.com"),
            created: now,
        });
        id
    }

    fn user(&self, login: &str) -> Option<&UserRec> {
        self.users
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(login))
    }

    fn repo_index(&self, full: &str) -> Option<usize> {
        let (owner, name) = full.split_once('/')?;
        self.repo_index_parts(owner, name)
    }

    fn repo_index_parts(&self, owner: &str, name: &str) -> Option<usize> {
        self.repos
            .iter()
            .position(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    fn repo_index_or_panic(&self, full: &str) -> usize {
        self.repo_index(full)
            .unwrap_or_else(|| panic!("fake gitea: no repo {full:?}; call add_repo first"))
    }

    fn repo_mut(&mut self, full: &str) -> &mut RepoRec {
        let i = self.repo_index_or_panic(full);
        &mut self.repos[i]
    }

    fn ensure_label(&mut self, ri: usize, name: &str) -> i64 {
        if let Some(l) = self.repos[ri].label_by_name(name) {
            return l.id;
        }
        self.next_label_id += 1;
        let id = ID_BASE_LABEL + self.next_label_id;
        self.repos[ri].labels.push(LabelRec {
            id,
            name: name.to_string(),
            color: "ededed".to_string(),
            description: String::new(),
        });
        id
    }

    fn ensure_milestone(&mut self, ri: usize, title: &str) -> i64 {
        if let Some(m) = self.repos[ri].milestone_by_title(title) {
            return m.id;
        }
        self.next_milestone_id += 1;
        let id = ID_BASE_MILESTONE + self.next_milestone_id;
        let now = self.now;
        self.repos[ri].milestones.push(MilestoneRec {
            id,
            title: title.to_string(),
            description: String::new(),
            created: now,
            updated: now,
            closed_at: None,
        });
        id
    }

    /// Allocates id and number for a new issue (not yet stored).
    fn new_issue(
        &mut self,
        ri: usize,
        title: &str,
        body: &str,
        author: &str,
        is_pull: bool,
        now: DateTime<Utc>,
    ) -> FakeIssue {
        self.ensure_user(author);
        self.next_issue_id += 1;
        let id = ID_BASE_ISSUE + self.next_issue_id;
        let r = &mut self.repos[ri];
        r.next_index += 1;
        FakeIssue {
            id,
            number: r.next_index,
            title: title.to_string(),
            body: body.to_string(),
            state: "open".to_string(),
            labels: Vec::new(),
            milestone: None,
            assignees: Vec::new(),
            author: author.to_string(),
            is_pull,
            is_locked: false,
            content_version: 0,
            created_at: now,
            updated_at: now,
            closed_at: None,
        }
    }

    /// Stores an issue, creating any labels, milestone and users it names.
    fn save_issue(&mut self, ri: usize, mut issue: FakeIssue) {
        let mut seen = BTreeSet::new();
        issue.labels.retain(|l| seen.insert(l.clone()));
        let mut seen = BTreeSet::new();
        issue.assignees.retain(|a| seen.insert(a.clone()));
        for l in issue.labels.clone() {
            self.ensure_label(ri, &l);
        }
        if let Some(m) = issue.milestone.clone() {
            self.ensure_milestone(ri, &m);
        }
        for a in issue.assignees.clone() {
            self.ensure_user(&a);
        }
        self.ensure_user(&issue.author.clone());
        self.repos[ri].issues.insert(issue.number, issue);
    }

    fn add_comment(&mut self, ri: usize, number: u64, author: &str, body: &str) -> i64 {
        self.ensure_user(author);
        let now = self.tick();
        self.next_comment_id += 1;
        let id = ID_BASE_COMMENT + self.next_comment_id;
        let r = &mut self.repos[ri];
        r.comments.push(FakeComment {
            id,
            issue_number: number,
            author: author.to_string(),
            body: body.to_string(),
            created_at: now,
            updated_at: now,
        });
        if let Some(i) = r.issues.get_mut(&number) {
            i.updated_at = now;
        }
        id
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

/// A successful (or deliberately non-2xx) answer.
struct Reply {
    status: StatusCode,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
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

    fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    fn header(mut self, name: &'static str, value: String) -> Reply {
        // Gitea's SetTotalCountHeader / SetLinkHeader also expose the header to browsers.
        if name == "X-Total-Count" || name == "Link" {
            match self
                .headers
                .iter_mut()
                .find(|(n, _)| *n == "Access-Control-Expose-Headers")
            {
                Some((_, v)) => {
                    v.push_str(", ");
                    v.push_str(name);
                }
                None => self
                    .headers
                    .push(("Access-Control-Expose-Headers", name.to_string())),
            }
        }
        self.headers.push((name, value));
        self
    }
}

/// A Gitea API error: `{"message": .., "url": ..}` with `status`.
struct ApiErr {
    status: StatusCode,
    message: String,
}

fn err(status: StatusCode, message: impl Into<String>) -> ApiErr {
    ApiErr {
        status,
        message: message.into(),
    }
}

fn not_found() -> ApiErr {
    err(StatusCode::NOT_FOUND, "not found")
}

type ApiResult = Result<Reply, ApiErr>;

/// Decoded query string with Gitea's `FormString` / `FormInt` semantics.
struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Query { pairs }
    }

    /// First value, or "" (Go's `FormValue`).
    fn string(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Go's `FormInt`: `strconv.Atoi`, 0 on any error.
    fn int(&self, name: &str) -> i64 {
        self.string(name).parse().unwrap_or(0)
    }

    /// Page number (>= 1) and page size corrected for a server whose
    /// `MAX_RESPONSE_ITEMS` is `max`, as `utils.GetListOptions`.
    fn list_options(&self, max: usize) -> Paging {
        let limit = self.int("limit");
        let size = if limit <= 0 {
            DEFAULT_PAGE_SIZE
        } else {
            usize::try_from(limit).unwrap_or(max).min(max)
        };
        let page = usize::try_from(self.int("page").max(1)).unwrap_or(1);
        Paging {
            page,
            size,
            raw_page: self.int("page"),
        }
    }

    /// `GetQueryBeforeSince`: unix seconds or 0 when absent; 422 when not RFC 3339.
    fn before_since(&self) -> Result<(i64, i64), ApiErr> {
        let before = parse_form_time(self.string("before"))?;
        let since = parse_form_time(self.string("since"))?;
        Ok((before, since))
    }
}

struct Paging {
    page: usize,
    size: usize,
    raw_page: i64,
}

impl Paging {
    fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip((self.page - 1).saturating_mul(self.size))
            .take(self.size)
            .cloned()
            .collect()
    }
}

fn parse_form_time(value: &str) -> Result<i64, ApiErr> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(0);
    }
    let t = parse_go_rfc3339(value).ok_or_else(|| {
        err(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "parsing time \"{value}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{value}\" as RFC 3339"
            ),
        )
    })?;
    Ok(t.timestamp())
}

/// Go's `time.Parse(time.RFC3339, ..)` shape: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn parse_go_rfc3339(v: &str) -> Option<DateTime<FixedOffset>> {
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|s| s.len() == r.len() && s.iter().all(u8::is_ascii_digit))
    };
    let ok_head = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !ok_head {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let tail = &b[i..];
    let zone_ok = tail == b"Z"
        || (tail.len() == 6
            && (tail[0] == b'+' || tail[0] == b'-')
            && tail[1..3].iter().all(u8::is_ascii_digit)
            && tail[3] == b':'
            && tail[4..6].iter().all(u8::is_ascii_digit));
    if !zone_ok {
        return None;
    }
    DateTime::parse_from_rfc3339(v).ok()
}

/// Go's `url.QueryEscape`.
fn go_query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Everything a handler needs to know about the request.
struct Ctx<'a> {
    shared: &'a Shared,
    method: Method,
    /// Path below the subpath, e.g. `/api/v1/repos/o/r/issues` (raw).
    rel_path: String,
    query: Query,
    /// Signed-in login.
    doer: Option<String>,
    body: Vec<u8>,
}

impl Ctx<'_> {
    fn app_url(&self) -> String {
        format!("{}/", self.shared.web_url)
    }

    /// `genAPILinks`.
    fn link_header(&self, total: usize, paging: &Paging) -> Option<String> {
        let size = paging.size.max(1);
        let total_pages = total.div_ceil(size);
        let cur = usize::try_from(paging.raw_page.max(0))
            .unwrap_or(0)
            .min(total_pages)
            .max(1);
        let has_next = cur * size < total;
        let mut links = Vec::new();
        let url_for = |page: usize| {
            let mut q: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (k, v) in &self.query.pairs {
                q.entry(k.clone()).or_default().push(v.clone());
            }
            q.insert("page".to_string(), vec![page.to_string()]);
            let encoded = q
                .iter()
                .flat_map(|(k, vs)| {
                    vs.iter()
                        .map(move |v| format!("{}={}", go_query_escape(k), go_query_escape(v)))
                })
                .collect::<Vec<_>>()
                .join("&");
            format!(
                "{}{}?{}",
                self.app_url(),
                self.rel_path.trim_start_matches('/'),
                encoded
            )
        };
        let looping = self
            .shared
            .loop_next_links
            .load(std::sync::atomic::Ordering::Relaxed);
        if has_next {
            let next = if looping { cur } else { cur + 1 };
            links.push(format!("<{}>; rel=\"next\"", url_for(next)));
            links.push(format!("<{}>; rel=\"last\"", url_for(total_pages)));
        }
        if cur != 1 {
            links.push(format!("<{}>; rel=\"first\"", url_for(1)));
            links.push(format!("<{}>; rel=\"prev\"", url_for(cur - 1)));
        }
        if links.is_empty() {
            None
        } else {
            Some(links.join(","))
        }
    }

    /// Paged list reply with `Link` and `X-Total-Count`.
    fn paged(&self, items: Vec<Value>, total: usize, paging: &Paging) -> Reply {
        let mut reply = Reply::ok(Value::Array(items)).header("X-Total-Count", total.to_string());
        if let Some(link) = self.link_header(total, paging) {
            reply = reply.header("Link", link);
        }
        reply
    }

    fn require_doer(&self) -> Result<&str, ApiErr> {
        self.doer
            .as_deref()
            .ok_or_else(|| err(StatusCode::UNAUTHORIZED, "token is required"))
    }

    fn json_body(&self) -> Result<Value, ApiErr> {
        if self.body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            err(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid JSON body: {e}"),
            )
        })
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let query = Query::parse(raw_query.as_deref());

    let (response, delay, drop_after) = {
        let mut w = shared.world();
        w.requests.push(SeenRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.pairs.clone(),
            authorization: authorization.clone(),
            body: serde_json::from_slice(&body).ok(),
        });
        let swagger = format!("{}/api/swagger", shared.web_url);
        if w.fail_after_ok > 0 {
            w.fail_after_ok -= 1;
        } else if w.fail_count > 0 {
            w.fail_count -= 1;
            let status =
                StatusCode::from_u16(w.fail_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
                String::new()
            } else {
                status.canonical_reason().unwrap_or("error").to_string()
            };
            return error_response(status, &message, &swagger);
        }

        // Only `{subpath}/api/v1[/...]` is the API; the rest would be Gitea's web UI.
        let api_prefix = format!("{}/api/v1", shared.subpath);
        let rel_path = match path.strip_prefix(&shared.subpath) {
            Some(rest) if path.starts_with(&api_prefix) => rest.to_string(),
            _ => return web_not_found(),
        };
        let below_api = &path[api_prefix.len()..];
        if !(below_api.is_empty() || below_api.starts_with('/')) {
            return web_not_found();
        }

        // Authentication.
        let doer = match authorization.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => {
                let (scheme, token) = h.split_once(' ').unwrap_or((h, ""));
                let token = token.trim();
                let known = if scheme.eq_ignore_ascii_case("token")
                    || scheme.eq_ignore_ascii_case("bearer")
                {
                    w.tokens.get(token).cloned()
                } else {
                    None
                };
                match known {
                    Some(login) => Some(login),
                    None => {
                        return error_response(
                            StatusCode::UNAUTHORIZED,
                            "invalid username, password or token",
                            &swagger,
                        )
                    }
                }
            }
        };

        let segments: Vec<String> = below_api
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let ctx = Ctx {
            shared: &shared,
            method: parts.method.clone(),
            rel_path,
            query,
            doer,
            body,
        };
        let is_write = ctx.method != Method::GET && ctx.method != Method::HEAD;
        let drop_after = is_write && std::mem::take(&mut w.drop_next_write);
        let delay = if is_write {
            w.delay_next_write.take()
        } else {
            None
        };
        let response = match route(&mut w, &ctx, &segments) {
            Ok(reply) => reply_response(reply),
            Err(e) => error_response(e.status, &e.message, &swagger),
        };
        drop(w);
        (response, delay, drop_after)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if drop_after {
        conn.kill();
    }
    response
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

fn json_content_type() -> HeaderValue {
    HeaderValue::from_static("application/json;charset=utf-8")
}

fn reply_response(reply: Reply) -> Response {
    let mut builder = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        builder = builder.header(*name, value.as_str());
    }
    let response = match reply.body {
        Some(v) => builder
            .header(header::CONTENT_TYPE, json_content_type())
            .body(Body::from(v.to_string())),
        None => builder.body(Body::empty()),
    };
    response.unwrap_or_else(|_| Response::new(Body::empty()))
}

fn error_response(status: StatusCode, message: &str, swagger: &str) -> Response {
    let body = json!({ "message": message, "url": swagger });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, json_content_type())
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn web_not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(
            "<!DOCTYPE html><html><head><title>Page Not Found - Gitea</title></head>\
             <body>404 Not Found</body></html>",
        ))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

// ---------------------------------------------------------------------------------------------
// Routing

fn route(w: &mut World, ctx: &Ctx<'_>, segs: &[String]) -> ApiResult {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = &ctx.method;
    match s.as_slice() {
        ["version"] if m == Method::GET => Ok(Reply::ok(json!({ "version": GITEA_VERSION }))),
        ["settings", "api"] if m == Method::GET && w.settings_api => Ok(Reply::ok(json!({
            "max_response_items": w.max_response_items,
            "default_paging_num": DEFAULT_PAGE_SIZE,
            "default_git_trees_per_page": DEFAULT_GIT_TREES_PER_PAGE,
            "default_max_blob_size": DEFAULT_MAX_BLOB_SIZE,
            "default_max_response_size": DEFAULT_MAX_RESPONSE_SIZE,
        }))),
        ["user"] if m == Method::GET => {
            let login = ctx.require_doer()?;
            let u = w.user(login).ok_or_else(not_found)?;
            Ok(Reply::ok(render_user(ctx, u, true)))
        }
        ["user", "repos"] if m == Method::GET => list_my_repos(w, ctx),
        ["repos", "search"] if m == Method::GET => search_repos(w, ctx),
        ["repos", owner, name, rest @ ..] => {
            let ri = w
                .repo_index_parts(owner, name)
                .filter(|&i| w.repos[i].can_read(ctx.doer.as_deref()))
                .ok_or_else(not_found)?;
            repo_route(w, ctx, ri, rest)
        }
        _ => Err(not_found()),
    }
}

/// Repository webhooks (see `fake_hooks`): the owner only (Gitea's `reqAdmin`: 403).
fn hooks_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, rest: &[&str]) -> ApiResult {
    let doer = ctx.require_doer()?;
    if !doer.eq_ignore_ascii_case(&w.repos[ri].owner) {
        return Err(err(
            StatusCode::FORBIDDEN,
            "user should be an owner or a collaborator with admin write of a repository",
        ));
    }
    let path = w.repos[ri].full_name();
    match (rest, &ctx.method) {
        (["hooks"], &Method::GET) => Ok(Reply::ok(Value::Array(
            w.hooks
                .list(&path)
                .iter()
                .map(super::fake_hooks::gitea_json)
                .collect(),
        ))),
        (["hooks"], &Method::POST) => {
            let body = ctx.json_body()?;
            if body.get("type").and_then(Value::as_str) != Some("gitea") {
                return Err(err(StatusCode::UNPROCESSABLE_ENTITY, "Invalid hook type"));
            }
            let hook = super::fake_hooks::from_hub_body(&body)
                .map_err(|m| err(StatusCode::UNPROCESSABLE_ENTITY, m))?;
            let hook = w.hooks.create(&path, hook);
            Ok(Reply::json(
                StatusCode::CREATED,
                super::fake_hooks::gitea_json(&hook),
            ))
        }
        (["hooks", id], &Method::DELETE) => {
            let id: i64 = id.parse().map_err(|_| not_found())?;
            if w.hooks.delete(&path, id) {
                Ok(Reply::empty(StatusCode::NO_CONTENT))
            } else {
                Err(not_found())
            }
        }
        _ => Err(not_found()),
    }
}

fn repo_route(w: &mut World, ctx: &Ctx<'_>, ri: usize, rest: &[&str]) -> ApiResult {
    let m = &ctx.method;
    match rest {
        [] if m == Method::GET => Ok(Reply::ok(render_repo(ctx, w, &w.repos[ri]))),
        ["hooks", ..] => hooks_api(w, ctx, ri, rest),
        ["labels"] if m == Method::GET => list_labels(w, ctx, ri),
        ["milestones"] if m == Method::GET => list_milestones(w, ctx, ri),
        ["assignees"] if m == Method::GET => list_assignees(w, ctx, ri),
        ["issues"] if m == Method::GET => list_issues(w, ctx, ri),
        ["issues"] if m == Method::POST => create_issue_api(w, ctx, ri),
        ["issues", "comments"] if m == Method::GET => list_repo_comments(w, ctx, ri),
        ["issues", "comments", id] => {
            let id: i64 = id.parse().map_err(|_| not_found())?;
            match *m {
                Method::GET => get_comment_api(w, ctx, ri, id),
                Method::PATCH => edit_comment_api(w, ctx, ri, id),
                Method::DELETE => delete_comment_api(w, ctx, ri, id),
                _ => Err(not_found()),
            }
        }
        ["issues", index, tail @ ..] => {
            // Gitea reads the index with PathParamInt64: junk is 0, which never exists.
            let number: u64 = index.parse().unwrap_or(0);
            match (tail, m) {
                ([], &Method::GET) => {
                    let r = &w.repos[ri];
                    let issue = r.issues.get(&number).ok_or_else(not_found)?;
                    let reply = Reply::ok(render_issue(ctx, w, r, issue));
                    if w.after_next_read
                        .as_ref()
                        .is_some_and(|(i, n, _)| *i == ri && *n == number)
                    {
                        if let Some((_, _, edit)) = w.after_next_read.take() {
                            w.edit_as_someone_else(ri, number, edit);
                        }
                    }
                    Ok(reply)
                }
                ([], &Method::PATCH) => edit_issue_api(w, ctx, ri, number),
                ([], &Method::DELETE) => delete_issue_api(w, ctx, ri, number),
                (["comments"], &Method::GET) => list_issue_comments(w, ctx, ri, number),
                (["comments"], &Method::POST) => create_comment_api(w, ctx, ri, number),
                (["labels"], &Method::GET) => {
                    let r = &w.repos[ri];
                    let issue = r.issues.get(&number).ok_or_else(not_found)?;
                    Ok(Reply::ok(render_issue_labels(ctx, r, issue)))
                }
                (["labels"], &Method::PUT) => set_labels_api(w, ctx, ri, number, true),
                (["labels"], &Method::POST) => set_labels_api(w, ctx, ri, number, false),
                (["labels", id], &Method::DELETE) => remove_label_api(w, ctx, ri, number, id),
                _ => Err(not_found()),
            }
        }
        _ => Err(not_found()),
    }
}

// ---------------------------------------------------------------------------------------------
// Read handlers

fn list_my_repos(w: &World, ctx: &Ctx<'_>) -> ApiResult {
    let login = ctx.require_doer()?;
    let paging = ctx.query.list_options(w.max_response_items);
    let mut repos: Vec<&RepoRec> = w
        .repos
        .iter()
        .filter(|r| r.can_write(Some(login)))
        .collect();
    repos.sort_by_key(|r| r.id);
    let total = repos.len();
    let items = paging
        .slice(&repos)
        .into_iter()
        .map(|r| render_repo(ctx, w, r))
        .collect();
    Ok(ctx.paged(items, total, &paging))
}

fn search_repos(w: &World, ctx: &Ctx<'_>) -> ApiResult {
    let paging = ctx.query.list_options(w.max_response_items);
    let keyword = ctx.query.string("q").trim().to_lowercase();
    let mut repos: Vec<&RepoRec> = w
        .repos
        .iter()
        .filter(|r| r.can_read(ctx.doer.as_deref()))
        .filter(|r| keyword.is_empty() || r.name.to_lowercase().contains(&keyword))
        .collect();
    repos.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    let total = repos.len();
    let data: Vec<Value> = paging
        .slice(&repos)
        .into_iter()
        .map(|r| render_repo(ctx, w, r))
        .collect();
    let mut reply =
        Reply::ok(json!({ "ok": true, "data": data })).header("X-Total-Count", total.to_string());
    if let Some(link) = ctx.link_header(total, &paging) {
        reply = reply.header("Link", link);
    }
    Ok(reply)
}

fn list_labels(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let r = &w.repos[ri];
    let paging = ctx.query.list_options(w.max_response_items);
    let mut labels: Vec<&LabelRec> = r.labels.iter().collect();
    labels.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let total = labels.len();
    let items = paging
        .slice(&labels)
        .into_iter()
        .map(|l| render_label(ctx, r, l))
        .collect();
    Ok(ctx.paged(items, total, &paging))
}

/// `GET /repos/{o}/{r}/assignees`: the owner and collaborators, not paged (like Gitea's
/// `GetAssignees`, which returns every user with write access).
fn list_assignees(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let r = &w.repos[ri];
    let mut logins: Vec<&str> = std::iter::once(r.owner.as_str())
        .chain(r.collaborators.iter().map(String::as_str))
        .collect();
    logins.sort_unstable();
    logins.dedup();
    let users: Vec<Value> = logins
        .into_iter()
        .map(|login| render_user_by_login(ctx, w, login))
        .collect();
    Ok(Reply::ok(Value::Array(users)))
}

fn list_milestones(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let r = &w.repos[ri];
    let paging = ctx.query.list_options(w.max_response_items);
    let state = ctx.query.string("state");
    let name = ctx.query.string("name");
    let mut ms: Vec<&MilestoneRec> = r
        .milestones
        .iter()
        .filter(|m| match state {
            "closed" => m.closed_at.is_some(),
            "all" => true,
            _ => m.closed_at.is_none(),
        })
        .filter(|m| name.is_empty() || m.title.to_lowercase().contains(&name.to_lowercase()))
        .collect();
    ms.sort_by_key(|m| m.id);
    let total = ms.len();
    let items = paging
        .slice(&ms)
        .into_iter()
        .map(|m| render_milestone(ctx, r, m))
        .collect();
    Ok(ctx.paged(items, total, &paging))
}

fn list_issues(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let q = &ctx.query;
    let (before, since) = q.before_since()?;
    let r = &w.repos[ri];
    let state = q.string("state");
    let mut keyword = q.string("q").trim().to_lowercase();
    if keyword.contains('\0') {
        keyword.clear();
    }
    // Label names -> ids; unknown names are dropped; all remaining must match.
    let label_names: Vec<&str> = q
        .string("labels")
        .split(',')
        .filter(|n| r.label_by_name(n).is_some())
        .collect();
    // Milestones by name, then by id; unknown ones dropped; any may match.
    let milestone_ids: Vec<i64> = q
        .string("milestones")
        .split(',')
        .filter_map(|part| {
            r.milestone_by_title(part).map(|m| m.id).or_else(|| {
                let id: i64 = part.parse().ok()?;
                r.milestones.iter().find(|m| m.id == id).map(|m| m.id)
            })
        })
        .collect();
    let is_pull = match q.string("type") {
        "pulls" => Some(true),
        "issues" => Some(false),
        _ => None,
    };
    let user_filter = |name: &str| -> Result<Option<String>, ApiErr> {
        let v = q.string(name);
        if v.is_empty() {
            return Ok(None);
        }
        w.user(v)
            .map(|u| Some(u.login.clone()))
            .ok_or_else(not_found)
    };
    let created_by = user_filter("created_by")?;
    let assigned_by = user_filter("assigned_by")?;
    let mentioned_by = user_filter("mentioned_by")?;

    let mut matched: Vec<&FakeIssue> = r
        .issues
        .values()
        .filter(|i| match state {
            "closed" => i.state == "closed",
            "all" => true,
            _ => i.state != "closed",
        })
        .filter(|i| is_pull.is_none_or(|p| i.is_pull == p))
        .filter(|i| since == 0 || i.updated_at.timestamp() >= since)
        .filter(|i| before == 0 || i.updated_at.timestamp() <= before)
        .filter(|i| label_names.iter().all(|n| i.labels.iter().any(|l| l == n)))
        .filter(|i| {
            milestone_ids.is_empty()
                || i.milestone
                    .as_deref()
                    .and_then(|t| r.milestone_by_title(t))
                    .is_some_and(|m| milestone_ids.contains(&m.id))
        })
        .filter(|i| {
            created_by
                .as_deref()
                .is_none_or(|u| i.author.eq_ignore_ascii_case(u))
        })
        .filter(|i| {
            assigned_by
                .as_deref()
                .is_none_or(|u| i.assignees.iter().any(|a| a.eq_ignore_ascii_case(u)))
        })
        .filter(|i| {
            mentioned_by.as_deref().is_none_or(|u| {
                i.body
                    .to_lowercase()
                    .contains(&format!("@{}", u.to_lowercase()))
            })
        })
        .filter(|i| {
            keyword.is_empty()
                || i.title.to_lowercase().contains(&keyword)
                || i.body.to_lowercase().contains(&keyword)
                || r.comments
                    .iter()
                    .any(|c| c.issue_number == i.number && c.body.to_lowercase().contains(&keyword))
        })
        .collect();
    matched.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let paging = q.list_options(w.max_response_items);
    let total = matched.len();
    let items = paging
        .slice(&matched)
        .into_iter()
        .map(|i| render_issue(ctx, w, r, i))
        .collect();
    Ok(ctx.paged(items, total, &paging))
}

fn filter_comments(r: &RepoRec, number: Option<u64>, since: i64, before: i64) -> Vec<&FakeComment> {
    let mut cs: Vec<&FakeComment> = r
        .comments
        .iter()
        .filter(|c| r.issues.contains_key(&c.issue_number))
        .filter(|c| number.is_none_or(|n| c.issue_number == n))
        .filter(|c| since == 0 || c.updated_at.timestamp() >= since)
        .filter(|c| before == 0 || c.updated_at.timestamp() <= before)
        .collect();
    cs.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    cs
}

fn list_repo_comments(w: &World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let (before, since) = ctx.query.before_since()?;
    let r = &w.repos[ri];
    let cs = filter_comments(r, None, since, before);
    let paging = ctx.query.list_options(w.max_response_items);
    let total = cs.len();
    let items: Vec<Value> = paging
        .slice(&cs)
        .into_iter()
        .map(|c| render_comment(ctx, w, r, c))
        .collect();
    // Real Gitea sends no Link header here.
    Ok(Reply::ok(Value::Array(items)).header("X-Total-Count", total.to_string()))
}

fn list_issue_comments(w: &World, ctx: &Ctx<'_>, ri: usize, number: u64) -> ApiResult {
    let (before, since) = ctx.query.before_since()?;
    let r = &w.repos[ri];
    if !r.issues.contains_key(&number) {
        return Err(not_found());
    }
    let cs = filter_comments(r, Some(number), since, before);
    let total = cs.len();
    let items: Vec<Value> = cs
        .into_iter()
        .map(|c| render_comment(ctx, w, r, c))
        .collect();
    Ok(Reply::ok(Value::Array(items)).header("X-Total-Count", total.to_string()))
}

fn get_comment_api(w: &World, ctx: &Ctx<'_>, ri: usize, id: i64) -> ApiResult {
    let r = &w.repos[ri];
    let c = r
        .comments
        .iter()
        .find(|c| c.id == id && r.issues.contains_key(&c.issue_number))
        .ok_or_else(not_found)?;
    Ok(Reply::ok(render_comment(ctx, w, r, c)))
}

// ---------------------------------------------------------------------------------------------
// Write handlers

fn str_field<'v>(v: &'v Value, key: &str) -> Result<Option<&'v str>, ApiErr> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("[{key}]: must be a string"),
        )),
    }
}

fn string_list(v: &Value, key: &str) -> Result<Option<Vec<String>>, ApiErr> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| {
                    err(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("[{key}]: must be a list of strings"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(err(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("[{key}]: must be a list"),
        )),
    }
}

/// Checks that every assignee exists and may be assigned (owner or collaborator).
fn check_assignees(w: &World, r: &RepoRec, logins: &[String]) -> Result<Vec<String>, ApiErr> {
    logins
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let u = w.user(l).ok_or_else(|| {
                err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Assignee does not exist: [name: {l}]"),
                )
            })?;
            if r.can_write(Some(&u.login)) {
                Ok(u.login.clone())
            } else {
                Err(err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("user {} does not have access to repo {}", u.login, r.name),
                ))
            }
        })
        .collect()
}

fn milestone_title_by_id(r: &RepoRec, id: i64) -> Result<Option<String>, ApiErr> {
    if id == 0 {
        return Ok(None);
    }
    r.milestones
        .iter()
        .find(|m| m.id == id)
        .map(|m| Some(m.title.clone()))
        .ok_or_else(|| {
            err(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("milestone does not exist [id: {id}]"),
            )
        })
}

fn create_issue_api(w: &mut World, ctx: &Ctx<'_>, ri: usize) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    let v = ctx.json_body()?;
    let title = str_field(&v, "title")?.unwrap_or("").trim().to_string();
    if title.is_empty() {
        return Err(err(StatusCode::UNPROCESSABLE_ENTITY, "[Title]: Required"));
    }
    let body = w.as_stored(str_field(&v, "body")?.unwrap_or(""));
    let r = &w.repos[ri];
    let writer = r.can_write(Some(&doer));
    let mut labels = Vec::new();
    let mut milestone = None;
    let mut assignees = Vec::new();
    if writer {
        if let Some(ids) = v.get("labels").and_then(Value::as_array) {
            for id in ids.iter().filter_map(Value::as_i64) {
                if let Some(l) = r.labels.iter().find(|l| l.id == id) {
                    labels.push(l.name.clone());
                }
            }
        }
        if let Some(id) = v.get("milestone").and_then(Value::as_i64) {
            milestone = milestone_title_by_id(r, id)?;
        }
        let mut logins = string_list(&v, "assignees")?.unwrap_or_default();
        if let Some(a) = str_field(&v, "assignee")? {
            logins.insert(0, a.to_string());
        }
        assignees = check_assignees(w, r, &logins)?;
    }
    let closed = v.get("closed").and_then(Value::as_bool).unwrap_or(false);
    let now = w.tick();
    let mut issue = w.new_issue(ri, &title, &body, &doer, false, now);
    issue.labels = labels;
    issue.milestone = milestone;
    issue.assignees = assignees;
    if closed {
        issue.state = "closed".to_string();
        issue.closed_at = Some(now);
    }
    let number = issue.number;
    w.save_issue(ri, issue);
    let r = &w.repos[ri];
    let issue = r.issues.get(&number).ok_or_else(not_found)?;
    Ok(Reply::json(
        StatusCode::CREATED,
        render_issue(ctx, w, r, issue),
    ))
}

fn edit_issue_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, number: u64) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    let v = ctx.json_body()?;
    let r = &w.repos[ri];
    let before = r.issues.get(&number).ok_or_else(not_found)?.clone();
    let writer = r.can_write(Some(&doer));
    if !writer && !before.author.eq_ignore_ascii_case(&doer) {
        return Err(err(StatusCode::FORBIDDEN, "forbidden"));
    }
    if let Some(cv) = v.get("content_version").and_then(Value::as_i64) {
        if cv != before.content_version {
            return Err(err(
                StatusCode::CONFLICT,
                "the issue has been changed since you loaded it (content_version mismatch)",
            ));
        }
    }
    let mut issue = before.clone();
    if let Some(t) = str_field(&v, "title")? {
        if !t.is_empty() {
            issue.title = t.to_string();
        }
    }
    if let Some(b) = str_field(&v, "body")? {
        let b = w.as_stored(b);
        if b != issue.body {
            issue.body = b;
            issue.content_version += 1;
        }
    }
    if writer {
        let logins = string_list(&v, "assignees")?;
        let one = str_field(&v, "assignee")?;
        if logins.is_some() || one.is_some() {
            let mut all = logins.unwrap_or_default();
            if let Some(a) = one {
                all.insert(0, a.to_string());
            }
            // `EditIssue` answers any `UpdateAssignees` failure (unknown user, no
            // access) with a 500, after title and body were already saved.
            match check_assignees(w, r, &all) {
                Ok(logins) => issue.assignees = logins,
                Err(_) => {
                    if issue != before {
                        issue.updated_at = w.tick();
                        w.save_issue(ri, issue);
                    }
                    return Err(err(StatusCode::INTERNAL_SERVER_ERROR, ""));
                }
            }
        }
        if let Some(id) = v.get("milestone").and_then(Value::as_i64) {
            issue.milestone = milestone_title_by_id(r, id)?;
        }
    }
    let new_state = str_field(&v, "state")?;
    let mut closed_change = None;
    match new_state {
        Some("closed") if issue.state != "closed" => closed_change = Some(true),
        Some("open") if issue.state == "closed" => closed_change = Some(false),
        _ => {}
    }
    if issue != before || closed_change.is_some() {
        let now = w.tick();
        issue.updated_at = now;
        match closed_change {
            Some(true) => {
                issue.state = "closed".to_string();
                issue.closed_at = Some(now);
            }
            Some(false) => {
                issue.state = "open".to_string();
                issue.closed_at = None;
            }
            None => {}
        }
        w.save_issue(ri, issue);
    }
    let r = &w.repos[ri];
    let issue = r.issues.get(&number).ok_or_else(not_found)?;
    Ok(Reply::json(
        StatusCode::CREATED,
        render_issue(ctx, w, r, issue),
    ))
}

fn delete_issue_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, number: u64) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    if !w.repos[ri].issues.contains_key(&number) {
        return Err(not_found());
    }
    if !w.repos[ri].owner.eq_ignore_ascii_case(&doer) {
        return Err(err(StatusCode::FORBIDDEN, "forbidden"));
    }
    w.tick();
    let r = &mut w.repos[ri];
    r.issues.remove(&number);
    r.comments.retain(|c| c.issue_number != number);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn set_labels_api(
    w: &mut World,
    ctx: &Ctx<'_>,
    ri: usize,
    number: u64,
    replace: bool,
) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    let v = ctx.json_body()?;
    let r = &w.repos[ri];
    let before = r.issues.get(&number).ok_or_else(not_found)?.clone();
    if !r.can_write(Some(&doer)) {
        return Err(err(StatusCode::FORBIDDEN, "write permission is required"));
    }
    let mut names = Vec::new();
    for item in v
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let found = match item {
            Value::Number(n) => n
                .as_i64()
                .and_then(|id| r.labels.iter().find(|l| l.id == id)),
            Value::String(s) => r.label_by_name(s),
            _ => None,
        };
        match found {
            Some(l) => names.push(l.name.clone()),
            None => {
                return Err(err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("label does not exist: {item}"),
                ))
            }
        }
    }
    let mut issue = before.clone();
    if replace {
        issue.labels = names;
    } else {
        issue.labels.extend(names);
    }
    let mut seen = BTreeSet::new();
    issue.labels.retain(|l| seen.insert(l.clone()));
    if issue.labels != before.labels {
        issue.updated_at = w.tick();
        w.save_issue(ri, issue);
    }
    let r = &w.repos[ri];
    let issue = r.issues.get(&number).ok_or_else(not_found)?;
    Ok(Reply::ok(render_issue_labels(ctx, r, issue)))
}

fn remove_label_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, number: u64, id: &str) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    let r = &w.repos[ri];
    let before = r.issues.get(&number).ok_or_else(not_found)?.clone();
    if !r.can_write(Some(&doer)) {
        return Err(err(StatusCode::FORBIDDEN, "write permission is required"));
    }
    let label = id
        .parse::<i64>()
        .ok()
        .and_then(|id| r.labels.iter().find(|l| l.id == id))
        .ok_or_else(|| err(StatusCode::UNPROCESSABLE_ENTITY, "label does not exist"))?;
    let name = label.name.clone();
    if before.labels.contains(&name) {
        let mut issue = before;
        issue.labels.retain(|l| *l != name);
        issue.updated_at = w.tick();
        w.save_issue(ri, issue);
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn create_comment_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, number: u64) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    let v = ctx.json_body()?;
    let r = &w.repos[ri];
    let issue = r.issues.get(&number).ok_or_else(not_found)?;
    if issue.is_locked && !r.can_write(Some(&doer)) {
        return Err(err(
            StatusCode::FORBIDDEN,
            "Only contributors can comment on locked issues",
        ));
    }
    let body = str_field(&v, "body")?.unwrap_or("").to_string();
    if body.is_empty() {
        return Err(err(StatusCode::UNPROCESSABLE_ENTITY, "[Body]: Required"));
    }
    let id = w.add_comment(ri, number, &doer, &body);
    get_comment_reply(w, ctx, ri, id, StatusCode::CREATED)
}

fn get_comment_reply(
    w: &World,
    ctx: &Ctx<'_>,
    ri: usize,
    id: i64,
    status: StatusCode,
) -> ApiResult {
    let r = &w.repos[ri];
    let c = r
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(not_found)?;
    Ok(Reply::json(status, render_comment(ctx, w, r, c)))
}

fn edit_comment_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, id: i64) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    let v = ctx.json_body()?;
    let r = &w.repos[ri];
    let c = r
        .comments
        .iter()
        .find(|c| c.id == id && r.issues.contains_key(&c.issue_number))
        .ok_or_else(not_found)?;
    if !c.author.eq_ignore_ascii_case(&doer) && !r.can_write(Some(&doer)) {
        return Err(err(StatusCode::FORBIDDEN, "forbidden"));
    }
    let body = str_field(&v, "body")?.unwrap_or("").to_string();
    if body.is_empty() {
        return Err(err(StatusCode::UNPROCESSABLE_ENTITY, "[Body]: Required"));
    }
    if body != c.body {
        let now = w.tick();
        if let Some(c) = w.repos[ri].comments.iter_mut().find(|c| c.id == id) {
            c.body = body;
            c.updated_at = now;
        }
    }
    get_comment_reply(w, ctx, ri, id, StatusCode::OK)
}

fn delete_comment_api(w: &mut World, ctx: &Ctx<'_>, ri: usize, id: i64) -> ApiResult {
    let doer = ctx.require_doer()?.to_string();
    let r = &w.repos[ri];
    let c = r
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(not_found)?;
    if !c.author.eq_ignore_ascii_case(&doer) && !r.can_write(Some(&doer)) {
        return Err(err(StatusCode::FORBIDDEN, "forbidden"));
    }
    w.tick();
    w.repos[ri].comments.retain(|c| c.id != id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

// ---------------------------------------------------------------------------------------------
// Rendering (shapes follow the swagger definitions and services/convert)

fn t(v: DateTime<Utc>) -> Value {
    Value::String(render_time(v))
}

fn t_opt(v: Option<DateTime<Utc>>) -> Value {
    v.map(t).unwrap_or(Value::Null)
}

fn unix_zero() -> Value {
    t(DateTime::<Utc>::UNIX_EPOCH)
}

/// `convert.ToUser`; `authed` when the caller is this user (shows the real e-mail etc.).
fn render_user(ctx: &Ctx<'_>, u: &UserRec, authed: bool) -> Value {
    let web = &ctx.shared.web_url;
    let email = if authed {
        u.email.clone()
    } else {
        format!("{}@noreply.localhost", u.login.to_lowercase())
    };
    json!({
        "id": u.id,
        "login": u.login,
        "login_name": "",
        "source_id": 0,
        "full_name": u.full_name,
        "email": email,
        "avatar_url": format!("{web}/avatars/{}", u.login.to_lowercase()),
        "html_url": format!("{web}/{}", u.login),
        "language": if authed { "en-US" } else { "" },
        "is_admin": false,
        "last_login": if authed { t(u.created) } else { Value::String("0001-01-01T00:00:00Z".into()) },
        "created": t(u.created),
        "restricted": false,
        "active": authed,
        "prohibit_login": false,
        "location": "",
        "website": "",
        "description": "",
        "visibility": "public",
        "followers_count": 0,
        "following_count": 0,
        "starred_repos_count": 0,
    })
}

fn render_user_by_login(ctx: &Ctx<'_>, w: &World, login: &str) -> Value {
    match w.user(login) {
        Some(u) => render_user(ctx, u, ctx.doer.as_deref() == Some(u.login.as_str())),
        None => Value::Null,
    }
}

fn repo_api_url(ctx: &Ctx<'_>, r: &RepoRec) -> String {
    format!("{}api/v1/repos/{}/{}", ctx.app_url(), r.owner, r.name)
}

fn repo_html_url(ctx: &Ctx<'_>, r: &RepoRec) -> String {
    format!("{}{}/{}", ctx.app_url(), r.owner, r.name)
}

fn issue_html_url(ctx: &Ctx<'_>, w: &World, r: &RepoRec, i: &FakeIssue) -> String {
    let kind = if i.is_pull { "pulls" } else { "issues" };
    match &w.page_root {
        Some(root) => format!("{root}/{}/{kind}/{}", r.full_name(), i.number),
        None => format!("{}/{kind}/{}", repo_html_url(ctx, r), i.number),
    }
}

fn render_label(ctx: &Ctx<'_>, r: &RepoRec, l: &LabelRec) -> Value {
    json!({
        "id": l.id,
        "name": l.name,
        "exclusive": false,
        "is_archived": false,
        "color": l.color,
        "description": l.description,
        "url": format!("{}/labels/{}", repo_api_url(ctx, r), l.id),
    })
}

fn render_milestone(_ctx: &Ctx<'_>, r: &RepoRec, m: &MilestoneRec) -> Value {
    let (open, closed) = r
        .issues
        .values()
        .filter(|i| i.milestone.as_deref() == Some(m.title.as_str()))
        .fold((0, 0), |(o, c), i| {
            if i.state == "closed" {
                (o, c + 1)
            } else {
                (o + 1, c)
            }
        });
    json!({
        "id": m.id,
        "title": m.title,
        "description": m.description,
        "state": if m.closed_at.is_some() { "closed" } else { "open" },
        "open_issues": open,
        "closed_issues": closed,
        "created_at": t(m.created),
        "updated_at": t(m.updated),
        "closed_at": t_opt(m.closed_at),
        "due_on": Value::Null,
    })
}

fn render_issue_labels(ctx: &Ctx<'_>, r: &RepoRec, i: &FakeIssue) -> Value {
    Value::Array(
        i.labels
            .iter()
            .filter_map(|n| r.label_by_name(n))
            .map(|l| render_label(ctx, r, l))
            .collect(),
    )
}

/// `convert.ToAPIIssue`.
fn render_issue(ctx: &Ctx<'_>, w: &World, r: &RepoRec, i: &FakeIssue) -> Value {
    let html_url = issue_html_url(ctx, w, r, i);
    let assignees: Vec<Value> = i
        .assignees
        .iter()
        .map(|a| render_user_by_login(ctx, w, a))
        .collect();
    let assignee = assignees.first().cloned().unwrap_or(Value::Null);
    let pull_request = if i.is_pull {
        json!({
            "merged": false,
            "merged_at": Value::Null,
            "draft": false,
            "html_url": html_url,
        })
    } else {
        Value::Null
    };
    json!({
        "id": i.id,
        "url": format!("{}/issues/{}", repo_api_url(ctx, r), i.number),
        "html_url": html_url,
        "number": i.number,
        "user": render_user_by_login(ctx, w, &i.author),
        "original_author": "",
        "original_author_id": 0,
        "title": i.title,
        "body": i.body,
        "ref": "",
        "assets": [],
        "labels": render_issue_labels(ctx, r, i),
        "milestone": i
            .milestone
            .as_deref()
            .and_then(|m| r.milestone_by_title(m))
            .map(|m| render_milestone(ctx, r, m))
            .unwrap_or(Value::Null),
        "assignee": assignee,
        // Go marshals the nil slice as null when nobody is assigned.
        "assignees": if assignees.is_empty() { Value::Null } else { Value::Array(assignees) },
        "state": if i.state == "closed" { "closed" } else { "open" },
        "is_locked": i.is_locked,
        "comments": r.comment_count(i.number),
        "created_at": t(i.created_at),
        "updated_at": t(i.updated_at),
        "closed_at": t_opt(i.closed_at),
        "due_date": Value::Null,
        "time_estimate": 0,
        "pull_request": pull_request,
        "repository": {
            "id": r.id,
            "name": r.name,
            "owner": r.owner,
            "full_name": r.full_name(),
        },
        "pin_order": 0,
        "content_version": i.content_version,
    })
}

/// `convert.ToAPIComment`.
fn render_comment(ctx: &Ctx<'_>, w: &World, r: &RepoRec, c: &FakeComment) -> Value {
    let issue = r.issues.get(&c.issue_number);
    let html = issue
        .map(|i| issue_html_url(ctx, w, r, i))
        .unwrap_or_default();
    let is_pull = issue.is_some_and(|i| i.is_pull);
    json!({
        "id": c.id,
        "html_url": format!("{html}#issuecomment-{}", c.id),
        "pull_request_url": if is_pull { html.clone() } else { String::new() },
        "issue_url": if is_pull { String::new() } else { html },
        "user": render_user_by_login(ctx, w, &c.author),
        "original_author": "",
        "original_author_id": 0,
        "body": c.body,
        "assets": [],
        "created_at": t(c.created_at),
        "updated_at": t(c.updated_at),
    })
}

/// `convert.ToRepo`.
fn render_repo(ctx: &Ctx<'_>, w: &World, r: &RepoRec) -> Value {
    let doer = ctx.doer.as_deref();
    let is_owner = doer.is_some_and(|d| d.eq_ignore_ascii_case(&r.owner));
    let can_write = r.can_write(doer);
    let owner = w
        .user(&r.owner)
        .map(|u| render_user(ctx, u, is_owner))
        .unwrap_or(Value::Null);
    let html = repo_html_url(ctx, r);
    let open_issues = r
        .issues
        .values()
        .filter(|i| !i.is_pull && i.state != "closed")
        .count();
    let open_prs = r
        .issues
        .values()
        .filter(|i| i.is_pull && i.state != "closed")
        .count();
    let host = ctx
        .shared
        .web_url
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or("127.0.0.1")
        .to_string();
    let repo = json!({
        "id": r.id,
        "owner": owner,
        "name": r.name,
        "full_name": r.full_name(),
        "description": "",
        "empty": false,
        "private": r.private,
        "fork": false,
        "template": false,
        "parent": Value::Null,
        "mirror": false,
        "size": 0,
        "language": "",
        "languages_url": format!("{}/languages", repo_api_url(ctx, r)),
        "html_url": html,
        "url": repo_api_url(ctx, r),
        "link": "",
        "ssh_url": format!("git@{host}:{}/{}.git", r.owner, r.name),
        "clone_url": format!("{html}.git"),
        "original_url": "",
        "website": "",
        "stars_count": 0,
        "forks_count": 0,
        "watchers_count": 1,
        "open_issues_count": open_issues,
        "open_pr_counter": open_prs,
        "release_counter": 0,
        "default_branch": "main",
        "archived": false,
        "created_at": t(r.created),
        "updated_at": t(r.created),
        "archived_at": unix_zero(),
    });
    // Split in two: one `json!` this large exceeds the macro recursion limit.
    let settings = json!({
        "permissions": { "admin": is_owner, "push": can_write, "pull": true },
        "has_code": true,
        "has_issues": true,
        "internal_tracker": {
            "enable_time_tracker": true,
            "allow_only_contributors_to_track_time": true,
            "enable_issue_dependencies": true,
        },
        "has_wiki": true,
        "has_pull_requests": true,
        "has_projects": true,
        "projects_mode": "all",
        "has_releases": true,
        "has_packages": true,
        "has_actions": true,
        "ignore_whitespace_conflicts": false,
        "allow_merge_commits": true,
        "allow_rebase": true,
        "allow_rebase_explicit": true,
        "allow_squash_merge": true,
        "allow_fast_forward_only_merge": true,
        "allow_rebase_update": true,
        "allow_manual_merge": false,
        "autodetect_manual_merge": false,
        "default_delete_branch_after_merge": false,
        "default_merge_style": "merge",
        "default_allow_maintainer_edit": false,
        "avatar_url": "",
        "internal": false,
        "mirror_interval": "",
        "object_format_name": "sha1",
        "mirror_updated": unix_zero(),
        "repo_transfer": Value::Null,
        "topics": [],
        "licenses": [],
    });
    if let (Value::Object(mut a), Value::Object(b)) = (repo, settings) {
        a.extend(b);
        Value::Object(a)
    } else {
        Value::Null
    }
}

impl super::tracker::FakeTracker for FakeGitea {
    fn kind(&self) -> issuesync::model::ProviderKind {
        issuesync::model::ProviderKind::Gitea
    }

    fn web_url(&self) -> String {
        FakeGitea::web_url(self)
    }

    fn add_user(&self, login: &str, token: Option<&str>) {
        FakeGitea::add_user(self, login, token);
    }

    /// A team repository: every user added so far is a collaborator (may write).
    fn add_repo(&self, path: &str, private: bool) {
        let (owner, name) = path.split_once('/').expect("owner/name");
        FakeGitea::add_repo(self, owner, name, private);
        let logins: Vec<String> = self
            .shared
            .world()
            .users
            .iter()
            .map(|u| u.login.clone())
            .filter(|l| l != owner)
            .collect();
        for login in logins {
            self.add_collaborator(path, &login);
        }
    }

    fn add_label(&self, repo: &str, name: &str, color: &str) {
        FakeGitea::add_label(self, repo, name, color);
    }

    fn add_milestone(&self, repo: &str, title: &str) {
        FakeGitea::add_milestone(self, repo, title);
    }

    fn create_issue(&self, repo: &str, issue: NewIssue<'_>) -> u64 {
        FakeGitea::create_issue(self, repo, issue)
    }

    fn edit_issue(&self, repo: &str, number: u64, edit: super::tracker::RemoteEdit) {
        FakeGitea::edit_issue(self, repo, number, |i| {
            if let Some(title) = edit.title {
                i.title = title;
            }
            if let Some(body) = edit.body {
                i.body = body;
            }
            if let Some(state) = edit.state {
                i.state = state;
            }
            if let Some(labels) = edit.labels {
                i.labels = labels;
            }
            if let Some(assignees) = edit.assignees {
                i.assignees = assignees;
            }
            if let Some(milestone) = edit.milestone {
                i.milestone = milestone;
            }
        });
    }

    fn delete_issue(&self, repo: &str, number: u64) {
        FakeGitea::delete_issue(self, repo, number);
    }

    fn add_comment(&self, repo: &str, number: u64, author: &str, body: &str) {
        FakeGitea::add_comment(self, repo, number, author, body);
    }

    fn issue(&self, repo: &str, number: u64) -> Option<super::tracker::TrackerIssue> {
        FakeGitea::issue(self, repo, number).map(|i| {
            let mut labels = i.labels.clone();
            labels.sort();
            let mut assignees = i.assignees.clone();
            assignees.sort();
            super::tracker::TrackerIssue {
                number: i.number,
                title: i.title,
                body: i.body,
                state: i.state,
                labels,
                assignees,
                milestone: i.milestone,
                updated_at: i.updated_at,
            }
        })
    }

    fn comment_bodies(&self, repo: &str, number: u64) -> Vec<String> {
        FakeGitea::comments(self, repo, number)
            .into_iter()
            .map(|c| c.body)
            .collect()
    }

    fn hooks(&self, repo: &str) -> Vec<super::fake_hooks::TrackerHook> {
        self.shared.world().hooks.list(repo)
    }

    fn requests(&self) -> Vec<SeenRequest> {
        FakeGitea::requests(self)
    }

    fn clear_requests(&self) {
        FakeGitea::clear_requests(self);
    }

    fn fail_next(&self, count: usize, status: u16) {
        FakeGitea::fail_next(self, count, status);
    }

    fn rate_limit_next(&self, _count: usize, _retry_after_secs: u64) {
        // Gitea has no API rate limiting.
    }

    fn advance_clock(&self, secs: i64) {
        FakeGitea::advance_clock(self, secs);
    }

    fn drop_connection_after_next_write(&self) {
        self.shared.world().drop_next_write = true;
    }

    fn delay_next_write(&self, delay: std::time::Duration) {
        self.shared.world().delay_next_write = Some(delay);
    }
}
