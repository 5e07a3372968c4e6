//! A stateful, in-process fake of the GitLab REST API v4 (issues, notes, projects, users), for
//! integration tests.
//!
//! The server listens on `127.0.0.1:<random port>` and runs on its own thread with its own tokio
//! runtime, so it works from plain `#[test]` functions as well as from `#[tokio::test]` ones. It
//! never touches the network beyond that loopback listener. Tests seed it through Rust calls (the
//! [`FakeTracker`] trait plus the inherent helpers below) and let the code under test talk to it
//! over real HTTP at `{web_url}/api/v4`.
//!
//! The clock is deterministic: it starts at 2026-01-05T10:00:00Z and every mutation (seeding or
//! API) advances it by one second. Times are rendered like GitLab.com: UTC with milliseconds,
//! `2026-01-05T10:00:01.000Z`.
//!
//! # Behaviour reproduced, and where it comes from
//!
//! Confirmed in GitLab sources / docs (public code index, `gitlabhq/gitlabhq` mirror):
//! - Offset pagination: `page` (default 1), `per_page` (default 20, max 100); headers
//!   `X-Per-Page`, `X-Page`, `X-Next-Page`, `X-Prev-Page` (empty string when there is none),
//!   `Link`, `X-Total`, `X-Total-Pages` (`doc/api/rest/index.md`). `Link` entries come in the
//!   order prev, next, first, last, joined by `", "`; each URL is the request URL with the query
//!   rebuilt from the request *params* merged with `page`/`per_page`
//!   (`lib/gitlab/pagination/offset_header_builder.rb`). `X-Total-Pages` is at least 1
//!   (`lib/gitlab/pagination/offset_pagination.rb`).
//! - When a query matches MORE than 10,000 rows, `X-Total`, `X-Total-Pages` and `rel="last"` are
//!   omitted (`doc/api/rest/index.md` "Pagination response headers"; `offset_pagination.rb`
//!   `exceeeds_count?` is `count > MAX_COUNT_LIMIT`, so exactly 10,000 still has totals).
//! - `:id` is the numeric id or the URL-encoded full path; a path parameter that is not encoded
//!   does not match any endpoint and answers 404 (`doc/api/rest/index.md` "Path parameters",
//!   "Namespaced path encoding"). Unknown routes answer `{"error":"404 Not Found"}` (same page).
//! - `+` in ISO 8601 query values must be sent as `%2B` (`doc/api/rest/index.md`).
//! - `GET /projects/:id/issues`: `state` opened|closed|all (default all), `order_by` default
//!   `created_at`, `sort` default `desc`, `labels` = comma-separated names that must ALL be on the
//!   issue (`None`/`Any` special), `milestone` = title (`None`/`Any`), `updated_after` /
//!   `updated_before` / `created_after` / `created_before` are "on or after" / "on or before"
//!   (`doc/api/issues.md`; `lib/api/issues.rb`). Labels are rendered as sorted name strings
//!   unless `with_labels_details=true` (`lib/api/entities/issue_basic.rb`).
//! - `GET /projects/:id/issues/:iid` missing → `{"message":"404 Issue Not Found"}`
//!   (`find_project_issue`); `PUT` on a missing iid uses `find_by!`, whose `RecordNotFound` is
//!   answered `{"message":"404 Not found"}` (`lib/api/api.rb` `rescue_from`).
//! - `PUT /projects/:id/issues/:iid` needs at least one of `assignee_id, assignee_ids,
//!   confidential, created_at, description, discussion_locked, due_date, labels, add_labels,
//!   remove_labels, milestone_id, state_event, title, issue_type`; otherwise Grape answers 400
//!   `{"error":"<that list> are missing, at least one parameter must be provided"}`
//!   (`lib/api/helpers/issues_helpers.rb` `update_params_at_least_one_of`, CE list; the message
//!   shape `a, b are missing, at least one parameter must be provided` is Grape's, as its own
//!   `at_least_one_of` spec and a recorded GitLab project-PUT response show).
//!   `state_event` only takes `close`/`reopen`. `labels` replaces, `add_labels`/`remove_labels`
//!   are deltas; label params are comma-separated strings or arrays; names that do not exist are
//!   created (`lib/api/issues.rb` param docs).
//! - `assignee_ids`: `[]` or `[0]` clears; ids of unknown users (or users who cannot read the
//!   project) are silently DROPPED, and if none is left the assignees stay unchanged — no error
//!   (`app/services/issuable_base_service.rb` `filter_assignees_using_checks`). Without
//!   multiple-assignee support (GitLab Free) only the first id is used
//!   ([`FakeGitLab::with_multiple_assignees`], default on = Premium behaviour).
//! - `POST /projects/:id/issues` requires `title` (Grape: `{"error":"title is missing"}`).
//! - Notes: `GET /projects/:id/issues/:iid/notes` with `order_by` created_at|updated_at (default
//!   created_at) and `sort` asc|desc (default **desc**), paginated; the whole notes API runs
//!   `authenticate!` first, so anonymous note reads answer 401 even on public projects
//!   (`lib/api/notes.rb`). `POST …/notes` requires `body`. There is no project-wide notes list.
//! - Creating a note touches the issue: `updated_at` moves (`Note#touch_noteable`).
//! - Label changes are stored as resource label events, not as notes ("We store events about
//!   issuable label changes in a separate table (not as other system notes)",
//!   `app/services/resource_events/synthetic_label_notes_builder_service.rb`); the UI shows
//!   synthetic notes, the notes API does not. The fake serves them at
//!   `GET …/issues/:iid/resource_label_events`.
//! - 429 from the rate limiter: plain-text body `Retry later`, headers `RateLimit-Limit`,
//!   `RateLimit-Name`, `RateLimit-Observed`, `RateLimit-Remaining`, `RateLimit-Reset` (unix),
//!   `RateLimit-ResetTime` (HTTP date), `Retry-After` (seconds)
//!   (`doc/user/admin_area/settings/user_and_ip_rate_limits.md`).
//! - `GET /users?username=` is a case-insensitive exact lookup returning an array
//!   (`doc/api/users.md`); `GET /projects/:id/users` lists project users (`doc/api/projects.md`);
//!   `GET /projects/:id/members/all` also exists (`doc/api/members.md`).
//!
//! Assumed (not confirmed within the search budget):
//! - State and milestone changes are resource events too (resource_state_events /
//!   resource_milestone_events, GitLab ≥ 13.x), so they create NO note. Title, description,
//!   assignee and confidentiality changes DO create `system: true` notes, with bodies
//!   `changed title from **a** to **b**`, `changed the description`, `assigned to @bob`,
//!   `unassigned @alice`, `assigned to @bob and unassigned @alice`. Moving creates
//!   `moved to group/x#3` / `moved from group/y#5` notes. A client must skip every
//!   `system: true` note whatever its text.
//! - `Link` URLs carry the Grape params after coercion, keys sorted (Rails `to_query`): the
//!   route's `id` (decoded, so `group%2Fsub%2Fproject`), declared defaults (issues:
//!   `order_by=created_at`, `sort=desc`, `state=all`, `with_labels_details=false`; notes:
//!   `activity_filter=all_notes`, `order_by`, `sort`, `noteable_id`), `labels`/`iids` as
//!   `labels[]=`/`iids[]=` arrays, and date params re-rendered as `YYYY-MM-DDTHH:MM:SS+00:00`
//!   (DateTime#to_s: fractions dropped!). Follow `Link` or `X-Next-Page`; both work here.
//! - Date params must parse as ISO 8601 (`Z`, `±HH:MM`, `±HHMM`, no zone = UTC, or a bare
//!   date); anything else, e.g. `…T10:00:00 01:00` (an unescaped `+` decoded to a space), is
//!   answered 400 `{"error":"updated_after is invalid"}`. Real GitLab's `DateTime.parse` may
//!   instead silently misread it, which is worse; send `%2B`.
//! - An invalid token (`PRIVATE-TOKEN: x` or `Authorization: Bearer x`) answers 401
//!   `{"message":"401 Unauthorized"}` on every route, public ones too; other `Authorization`
//!   schemes are ignored (anonymous). `?private_token=` is not supported by the fake.
//! - Private projects answer `{"message":"404 Project Not Found"}` to anonymous users and
//!   non-members. Membership: a group project with no explicit members
//!   ([`FakeGitLab::add_member`]) treats every user as a member (Developer); a project in a
//!   personal namespace (first segment = an existing username) starts with its owner only;
//!   once a member is added, only listed members (plus the personal-namespace owner and
//!   `root`, an administrator) are members. Non-members may still create
//!   issues and notes on public projects and edit their own issues, but their labels,
//!   milestone and assignees are silently dropped (GitLab's `filter_params`).
//! - `milestone_id`: `0`, `null` or `""` clears; an id that is not a milestone of the project
//!   also clears (`filter_milestone`). Non-integer → 400 `{"error":"milestone_id is invalid"}`.
//! - A blank title answers 400 `{"message":{"title":["can't be blank"]}}`; a blank note body
//!   `{"message":{"note":["can't be blank"]}}`; a malformed JSON body
//!   `{"error":"message body does not match declared format"}`; a known path with the wrong
//!   method `{"error":"405 Not Allowed"}`; a user without the right `{"message":"403 Forbidden"}`.
//! - Form bodies (`application/x-www-form-urlencoded`) and JSON bodies are both accepted, and
//!   query-string params on POST/PUT are merged in (body wins), as Grape does. Form keys ending
//!   in `[]` become arrays. Request bodies are recorded in [`SeenRequest::body`] as a JSON
//!   object in that parsed form (form values stay strings).
//! - Normal API responses carry `RateLimit-Limit` (2000), `RateLimit-Observed`,
//!   `RateLimit-Remaining`, `RateLimit-Reset`, `RateLimit-Name` like GitLab.com, unless
//!   [`FakeGitLab::with_rate_limit_headers`]`(false)` (self-managed without them). Reset times
//!   are WALL-CLOCK based (a client sleeps in real time); everything else uses the fake clock.
//! - Default ordering: projects `created_at desc`, labels by name, milestones by id desc,
//!   users by id; ties broken by id in the sort direction. `order_by=title` sorts by title;
//!   other valid GitLab issue orders fall back to `created_at`.
//! - `description` renders `null` when empty. `type` is `"ISSUE"`, `issue_type` `"issue"`.
//!   Milestones are `active`|`closed`. New labels get colour `#6699cc`.
//! - `/projects?membership=true` lists the caller's member projects; anonymous callers get
//!   public projects whatever the flags.
//! - Merge requests are not issues: [`NewIssue::pull_request`] creates a merge request (own iid
//!   sequence, `GET /projects/:id/merge_requests`) that the issue API never shows.
//! - Keyset pagination (`pagination=keyset`), `private_token` query auth, epics, weights, time
//!   tracking, award emoji and webhooks are not modelled.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use chrono::{
    DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc,
};
use issuesync::model::ProviderKind;
use serde_json::{json, Map, Value};

use super::server::{ConnHandle, FakeServer};
pub use super::tracker::{FakeTracker, NewIssue, RemoteEdit, SeenRequest, TrackerIssue};

/// Default `per_page`.
pub const DEFAULT_PER_PAGE: usize = 20;
/// Largest honoured `per_page` (bigger values are capped silently).
pub const MAX_PER_PAGE: usize = 100;
/// Above this many matching rows, `X-Total`, `X-Total-Pages` and `rel="last"` are omitted.
pub const MAX_COUNT_LIMIT: usize = 10_000;
/// `RateLimit-Limit` on normal responses (GitLab.com's authenticated API limit per minute).
pub const RATE_LIMIT_PER_MINUTE: u64 = 2000;
/// What `GET /version` reports.
pub const GITLAB_VERSION: &str = "17.8.1";
/// Colour of labels created implicitly (by `labels`/`add_labels` or seeding).
pub const DEFAULT_LABEL_COLOR: &str = "#6699cc";
/// The built-in administrator (`root`), author of remote edits made through [`FakeTracker`].
pub const ROOT_USER_ID: u64 = 1;

/// The parameters `PUT /projects/:id/issues/:iid` needs at least one of (CE list).
pub const UPDATE_AT_LEAST_ONE_OF: [&str; 14] = [
    "assignee_id",
    "assignee_ids",
    "confidential",
    "created_at",
    "description",
    "discussion_locked",
    "due_date",
    "labels",
    "add_labels",
    "remove_labels",
    "milestone_id",
    "state_event",
    "title",
    "issue_type",
];

const ID_BASE_PROJECT: u64 = 1000;
const ID_BASE_NAMESPACE: u64 = 200;
const ID_BASE_ISSUE: u64 = 50_000;
const ID_BASE_MR: u64 = 70_000;
const ID_BASE_NOTE: u64 = 90_000;
const ID_BASE_LABEL: u64 = 300;
const ID_BASE_MILESTONE: u64 = 700;
const ID_BASE_EVENT: u64 = 400_000;

const ISSUE_ORDER_BY: [&str; 9] = [
    "created_at",
    "due_date",
    "label_priority",
    "milestone_due",
    "popularity",
    "priority",
    "relative_position",
    "title",
    "updated_at",
];

/// Snapshot of an issue (names resolved), see [`FakeGitLab::gitlab_issue`].
#[derive(Debug, Clone, PartialEq)]
pub struct GitLabIssue {
    /// Global id (what `moved_to_id` and `noteable_id` refer to).
    pub id: u64,
    pub iid: u64,
    pub project_id: u64,
    pub title: String,
    pub description: String,
    /// "opened" or "closed".
    pub state: String,
    /// Sorted names.
    pub labels: Vec<String>,
    pub milestone: Option<String>,
    /// Usernames, in assignment order.
    pub assignees: Vec<String>,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub moved_to_id: Option<u64>,
    pub confidential: bool,
}

/// Snapshot of a note (user comment or system note), see [`FakeGitLab::notes`].
#[derive(Debug, Clone, PartialEq)]
pub struct GitLabNote {
    pub id: u64,
    /// The issue's iid.
    pub iid: u64,
    pub author: String,
    pub body: String,
    pub system: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A recorded request and when it arrived.
#[derive(Debug, Clone)]
pub struct TimedRequest {
    pub request: SeenRequest,
    pub at: Instant,
}

/// The fake server. Dropping it shuts the server down.
pub struct FakeGitLab {
    shared: Arc<Shared>,
    _server: FakeServer,
}

struct Shared {
    world: Mutex<World>,
    /// "" or "/gitlab" (leading slash, no trailing slash).
    relative_root: String,
    /// `http://127.0.0.1:PORT`.
    origin: String,
    /// `{origin}{relative_root}`.
    web_url: String,
}

impl Shared {
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FakeGitLab {
    /// Starts a server whose API lives at `{web_url}/api/v4`.
    pub fn start() -> FakeGitLab {
        Self::start_at_relative_root("")
    }

    /// Starts a server as if GitLab ran under a relative URL root, e.g. `"/gitlab"`: web at
    /// `http://127.0.0.1:PORT/gitlab`, API at `http://127.0.0.1:PORT/gitlab/api/v4`.
    pub fn start_at_relative_root(root: &str) -> FakeGitLab {
        let trimmed = root.trim_matches('/');
        let relative_root = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
        let (listener, port) = FakeServer::bind();
        let origin = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new()),
            web_url: format!("{origin}{relative_root}"),
            relative_root,
            origin,
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = FakeServer::serve(&format!("fake-gitlab-{port}"), listener, app);
        FakeGitLab {
            shared,
            _server: server,
        }
    }

    /// Whether normal API responses carry `RateLimit-*` headers (GitLab.com does; many
    /// self-managed instances do not). Default: on. 429 answers always carry them.
    pub fn with_rate_limit_headers(self, on: bool) -> Self {
        self.shared.world().rate_limit_headers = on;
        self
    }

    /// Whether an issue may have several assignees (Premium/Ultimate; default on). Off behaves
    /// like GitLab Free: only the first of `assignee_ids` is used.
    pub fn with_multiple_assignees(self, on: bool) -> Self {
        self.shared.world().multiple_assignees = on;
        self
    }

    /// The web root, e.g. `http://127.0.0.1:4711` or `http://127.0.0.1:4711/gitlab`.
    pub fn web_url(&self) -> String {
        self.shared.web_url.clone()
    }

    /// `{web_url}/api/v4`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v4", self.shared.web_url)
    }

    /// Creates the user if missing (returns its id); a `token` authenticates as that user.
    pub fn add_user_with_id(&self, username: &str, token: Option<&str>) -> u64 {
        let mut w = self.shared.world();
        let id = w.ensure_user(username);
        if let Some(t) = token {
            w.tokens.insert(t.to_string(), id);
        }
        id
    }

    /// Creates a project (and its namespaces) at `path` (`group/sub/project`); returns its id.
    /// Calling it again for an existing project only updates `private`.
    pub fn add_project(&self, path: &str, private: bool) -> u64 {
        let mut w = self.shared.world();
        w.add_project(path, private)
    }

    /// Makes `username` a member (Developer) of `repo`. From then on only listed members (plus
    /// the personal-namespace owner and root) are members; before, everyone is.
    pub fn add_member(&self, repo: &str, username: &str) {
        let mut w = self.shared.world();
        let uid = w.ensure_user(username);
        let pi = w.project_index_or_panic(repo);
        w.projects[pi].members.insert(uid);
    }

    /// Project id for a full path (case-insensitive).
    pub fn project_id(&self, path: &str) -> Option<u64> {
        let w = self.shared.world();
        w.project_index(path).map(|pi| w.projects[pi].id)
    }

    /// User id for a username (case-insensitive).
    pub fn user_id(&self, username: &str) -> Option<u64> {
        self.shared.world().user_by_name(username).map(|u| u.id)
    }

    /// Milestone global id for a title.
    pub fn milestone_id(&self, repo: &str, title: &str) -> Option<u64> {
        let w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.projects[pi]
            .milestones
            .iter()
            .find(|m| m.title == title)
            .map(|m| m.id)
    }

    /// Closes or reopens a milestone.
    pub fn set_milestone_closed(&self, repo: &str, title: &str, closed: bool) {
        let mut w = self.shared.world();
        let now = w.tick();
        let pi = w.project_index_or_panic(repo);
        let m = w.projects[pi]
            .milestones
            .iter_mut()
            .find(|m| m.title == title)
            .unwrap_or_else(|| panic!("fake gitlab: no milestone {title:?} in {repo}"));
        m.closed = closed;
        m.updated = now;
    }

    /// Creates `count` issues titled `Bulk issue N` (author `root`), one clock second each;
    /// returns their iids. Cheap enough for tens of thousands.
    pub fn add_many_issues(&self, repo: &str, count: usize) -> Vec<u64> {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        let mut iids = Vec::with_capacity(count);
        for n in 0..count {
            let now = w.tick();
            let iid = w.insert_issue(
                pi,
                IssueSeed {
                    title: format!("Bulk issue {}", n + 1),
                    description: String::new(),
                    author_id: ROOT_USER_ID,
                    labels: Vec::new(),
                    milestone_id: None,
                    assignee_ids: Vec::new(),
                },
                now,
            );
            iids.push(iid);
        }
        iids
    }

    /// Moves issue `iid` of `repo` to `to_repo` as GitLab's move does: a new issue (new id and
    /// iid; labels and milestone kept when the target has the same names; notes copied) plus a
    /// `moved from` note; the old issue is closed, gets `moved_to_id` and a `moved to` note and
    /// stays readable. Returns the new iid. Advances the clock one second.
    pub fn move_issue(&self, repo: &str, iid: u64, to_repo: &str) -> u64 {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        let to = w.project_index_or_panic(to_repo);
        w.move_issue(pi, iid, to, ROOT_USER_ID)
            .unwrap_or_else(|| panic!("fake gitlab: no issue #{iid} in {repo}"))
    }

    /// Snapshot of one issue (including closed and moved ones); `None` when missing/deleted.
    pub fn gitlab_issue(&self, repo: &str, iid: u64) -> Option<GitLabIssue> {
        let w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.projects[pi].issues.get(&iid).map(|i| w.snapshot(pi, i))
    }

    /// Snapshots of all issues of a project, by iid.
    pub fn issues(&self, repo: &str) -> Vec<GitLabIssue> {
        let w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.projects[pi]
            .issues
            .values()
            .map(|i| w.snapshot(pi, i))
            .collect()
    }

    /// All notes of an issue (system notes included), oldest first.
    pub fn notes(&self, repo: &str, iid: u64) -> Vec<GitLabNote> {
        let w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.projects[pi]
            .notes
            .get(&iid)
            .into_iter()
            .flatten()
            .map(|n| GitLabNote {
                id: n.id,
                iid: n.iid,
                author: w.username(n.author_id),
                body: n.body.clone(),
                system: n.system,
                created_at: n.created_at,
                updated_at: n.updated_at,
            })
            .collect()
    }

    /// Titles of the merge requests created with `NewIssue { pull_request: true, .. }`.
    pub fn merge_request_titles(&self, repo: &str) -> Vec<String> {
        let w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.projects[pi]
            .merge_requests
            .iter()
            .map(|m| m.title.clone())
            .collect()
    }

    /// Every request received so far with its arrival time, in order.
    pub fn request_log(&self) -> Vec<TimedRequest> {
        self.shared.world().requests.clone()
    }

    /// The next POST, PUT or DELETE that reaches the API (past `fail_next`, `rate_limit_next` and
    /// authentication) is handled as usual — a mutation IS applied — then its connection is
    /// closed without sending the response, so the client sees a transport error.
    pub fn drop_connection_after_next_write(&self) {
        self.shared.world().drop_next_write = true;
    }

    /// The fake's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.world().now
    }
}

impl FakeTracker for FakeGitLab {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Gitlab
    }

    fn web_url(&self) -> String {
        FakeGitLab::web_url(self)
    }

    fn add_user(&self, login: &str, token: Option<&str>) {
        self.add_user_with_id(login, token);
    }

    fn add_repo(&self, path: &str, private: bool) {
        self.add_project(path, private);
    }

    fn add_label(&self, repo: &str, name: &str, color: &str) {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.ensure_label(pi, name);
        let color = format!("#{}", color.trim_start_matches('#'));
        let p = &mut w.projects[pi];
        if let Some(&li) = p.label_index.get(name) {
            p.labels[li].color = color;
        }
    }

    fn add_milestone(&self, repo: &str, title: &str) {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.ensure_milestone(pi, title);
    }

    /// Creates an issue (or, with `pull_request`, a merge request that the issue API never
    /// shows); returns its iid. Labels, milestone and users named are created if missing.
    fn create_issue(&self, repo: &str, issue: NewIssue<'_>) -> u64 {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        let author_id = w.ensure_user(issue.author);
        let now = w.tick();
        if issue.pull_request {
            return w.insert_merge_request(pi, issue.title, issue.body, author_id, now);
        }
        for l in &issue.labels {
            w.ensure_label(pi, l);
        }
        let milestone_id = issue.milestone.map(|m| w.ensure_milestone(pi, m));
        let assignee_ids = issue.assignees.iter().map(|a| w.ensure_user(a)).collect();
        w.insert_issue(
            pi,
            IssueSeed {
                title: issue.title.to_string(),
                description: issue.body.to_string(),
                author_id,
                labels: issue.labels.iter().map(|s| s.to_string()).collect(),
                milestone_id,
                assignee_ids,
            },
            now,
        )
    }

    /// Applies the edit as `root` would through the API (same notes and events); a no-op edit
    /// still advances the clock but leaves `updated_at` alone.
    fn edit_issue(&self, repo: &str, number: u64, edit: RemoteEdit) {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        assert!(
            w.projects[pi].issues.contains_key(&number),
            "fake gitlab: no issue #{number} in {repo}"
        );
        let assignees = edit
            .assignees
            .map(|list| list.iter().map(|a| w.ensure_user(a)).collect());
        let milestone = edit
            .milestone
            .map(|m| m.map(|title| w.ensure_milestone(pi, &title)));
        let changes = Changes {
            title: edit.title,
            description: edit.body,
            labels: edit.labels,
            assignees,
            milestone,
            close: edit.state.map(|s| s == "closed"),
            ..Changes::default()
        };
        if !w.apply_changes(pi, number, ROOT_USER_ID, changes) {
            w.tick();
        }
    }

    fn delete_issue(&self, repo: &str, number: u64) {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        w.tick();
        let p = &mut w.projects[pi];
        p.issues.remove(&number);
        p.notes.remove(&number);
        p.events.remove(&number);
    }

    fn add_comment(&self, repo: &str, number: u64, author: &str, body: &str) {
        let mut w = self.shared.world();
        let pi = w.project_index_or_panic(repo);
        assert!(
            w.projects[pi].issues.contains_key(&number),
            "fake gitlab: no issue #{number} in {repo}"
        );
        let author_id = w.ensure_user(author);
        w.add_user_note(pi, number, author_id, body);
    }

    fn issue(&self, repo: &str, number: u64) -> Option<TrackerIssue> {
        let g = self.gitlab_issue(repo, number)?;
        let mut labels = g.labels;
        labels.sort();
        let mut assignees = g.assignees;
        assignees.sort();
        Some(TrackerIssue {
            number: g.iid,
            title: g.title,
            body: g.description,
            state: if g.state == "closed" {
                "closed"
            } else {
                "open"
            }
            .to_string(),
            labels,
            assignees,
            milestone: g.milestone,
            updated_at: g.updated_at,
        })
    }

    /// Bodies of the user notes (system notes skipped), oldest first.
    fn comment_bodies(&self, repo: &str, number: u64) -> Vec<String> {
        self.notes(repo, number)
            .into_iter()
            .filter(|n| !n.system)
            .map(|n| n.body)
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

    /// The next `count` requests answer `status` with `{"message":"<status> <reason>"}`; they
    /// are recorded but not applied.
    fn drop_connection_after_next_write(&self) {
        FakeGitLab::drop_connection_after_next_write(self);
    }

    fn delay_next_write(&self, delay: std::time::Duration) {
        self.shared.world().delay_next_write = Some(delay);
    }

    fn fail_next(&self, count: usize, status: u16) {
        let mut w = self.shared.world();
        w.fail_count = count;
        w.fail_status = status;
    }

    /// The next `count` requests answer 429 `Retry later` with `Retry-After: retry_after_secs`
    /// and the `RateLimit-*` headers; they are recorded but not applied.
    fn rate_limit_next(&self, count: usize, retry_after_secs: u64) {
        let mut w = self.shared.world();
        w.rate_limit_count = count;
        w.rate_limit_secs = retry_after_secs;
    }

    fn advance_clock(&self, secs: i64) {
        self.shared.world().now += Duration::seconds(secs);
    }
}

/// Renders a timestamp the way GitLab.com does: UTC, milliseconds, `Z`.
pub fn render_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------------------------------------
// State

struct UserRec {
    id: u64,
    username: String,
    name: String,
    created: DateTime<Utc>,
}

struct NamespaceRec {
    id: u64,
    /// Last path segment.
    path: String,
    full_path: String,
    /// "user" or "group".
    kind: &'static str,
    parent_id: Option<u64>,
    /// For a user namespace, the owner.
    owner: Option<u64>,
}

struct LabelRec {
    id: u64,
    name: String,
    color: String,
}

struct MilestoneRec {
    id: u64,
    iid: u64,
    title: String,
    closed: bool,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
struct IssueRec {
    id: u64,
    iid: u64,
    title: String,
    description: String,
    closed: bool,
    /// Sorted, unique names.
    labels: Vec<String>,
    milestone_id: Option<u64>,
    assignee_ids: Vec<u64>,
    author_id: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    closed_by: Option<u64>,
    moved_to_id: Option<u64>,
    confidential: bool,
}

#[derive(Clone)]
struct NoteRec {
    id: u64,
    iid: u64,
    noteable_id: u64,
    author_id: u64,
    body: String,
    system: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

enum EventKind {
    Label { label_id: u64, add: bool },
    State { closed: bool },
    Milestone { milestone_id: u64, add: bool },
}

struct EventRec {
    id: u64,
    issue_id: u64,
    user_id: u64,
    created_at: DateTime<Utc>,
    kind: EventKind,
}

struct MergeRequestRec {
    id: u64,
    iid: u64,
    title: String,
    description: String,
    author_id: u64,
    created_at: DateTime<Utc>,
}

struct ProjectRec {
    id: u64,
    /// Last path segment.
    path: String,
    full_path: String,
    namespace: usize,
    private: bool,
    /// Empty: every user is a member.
    members: BTreeSet<u64>,
    labels: Vec<LabelRec>,
    label_index: HashMap<String, usize>,
    milestones: Vec<MilestoneRec>,
    issues: BTreeMap<u64, IssueRec>,
    notes: HashMap<u64, Vec<NoteRec>>,
    events: HashMap<u64, Vec<EventRec>>,
    merge_requests: Vec<MergeRequestRec>,
    next_issue_iid: u64,
    next_mr_iid: u64,
    created: DateTime<Utc>,
}

impl ProjectRec {
    fn label(&self, name: &str) -> Option<&LabelRec> {
        self.label_index.get(name).map(|&i| &self.labels[i])
    }

    fn label_by_id(&self, id: u64) -> Option<&LabelRec> {
        self.labels.iter().find(|l| l.id == id)
    }

    fn milestone(&self, id: u64) -> Option<&MilestoneRec> {
        self.milestones.iter().find(|m| m.id == id)
    }

    fn user_notes_count(&self, iid: u64) -> usize {
        self.notes
            .get(&iid)
            .map(|ns| ns.iter().filter(|n| !n.system).count())
            .unwrap_or(0)
    }
}

struct IssueSeed {
    title: String,
    description: String,
    author_id: u64,
    labels: Vec<String>,
    milestone_id: Option<u64>,
    assignee_ids: Vec<u64>,
}

/// An update to apply to an issue; `None` / empty leaves a field alone.
#[derive(Default)]
struct Changes {
    title: Option<String>,
    description: Option<String>,
    labels: Option<Vec<String>>,
    add_labels: Vec<String>,
    remove_labels: Vec<String>,
    assignees: Option<Vec<u64>>,
    milestone: Option<Option<u64>>,
    /// `Some(true)` closes, `Some(false)` reopens.
    close: Option<bool>,
    confidential: Option<bool>,
}

struct World {
    now: DateTime<Utc>,
    /// Index = id - 1.
    users: Vec<UserRec>,
    user_index: HashMap<String, usize>,
    tokens: HashMap<String, u64>,
    namespaces: Vec<NamespaceRec>,
    namespace_index: HashMap<String, usize>,
    /// Index = id - ID_BASE_PROJECT - 1.
    projects: Vec<ProjectRec>,
    project_index: HashMap<String, usize>,
    next_issue_id: u64,
    next_mr_id: u64,
    next_note_id: u64,
    next_label_id: u64,
    next_milestone_id: u64,
    next_event_id: u64,
    requests: Vec<TimedRequest>,
    fail_count: usize,
    fail_status: u16,
    rate_limit_count: usize,
    rate_limit_secs: u64,
    drop_next_write: bool,
    delay_next_write: Option<std::time::Duration>,
    rate_limit_headers: bool,
    multiple_assignees: bool,
    /// (wall-clock minute, requests seen in it).
    rate_window: (i64, u64),
    hooks: super::fake_hooks::Hooks,
}

impl World {
    fn new() -> World {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 5, 10, 0, 0)
            .single()
            .expect("valid start time");
        let mut w = World {
            now,
            users: Vec::new(),
            user_index: HashMap::new(),
            tokens: HashMap::new(),
            namespaces: Vec::new(),
            namespace_index: HashMap::new(),
            projects: Vec::new(),
            project_index: HashMap::new(),
            next_issue_id: ID_BASE_ISSUE,
            next_mr_id: ID_BASE_MR,
            next_note_id: ID_BASE_NOTE,
            next_label_id: ID_BASE_LABEL,
            next_milestone_id: ID_BASE_MILESTONE,
            next_event_id: ID_BASE_EVENT,
            requests: Vec::new(),
            fail_count: 0,
            fail_status: 500,
            rate_limit_count: 0,
            rate_limit_secs: 60,
            drop_next_write: false,
            delay_next_write: None,
            rate_limit_headers: true,
            multiple_assignees: true,
            rate_window: (0, 0),
            hooks: Default::default(),
        };
        let root = w.ensure_user("root");
        debug_assert_eq!(root, ROOT_USER_ID);
        w.users[0].name = "Administrator".to_string();
        w
    }

    fn tick(&mut self) -> DateTime<Utc> {
        self.now += Duration::seconds(1);
        self.now
    }

    fn user(&self, id: u64) -> Option<&UserRec> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.users.get(i)
    }

    fn user_by_name(&self, username: &str) -> Option<&UserRec> {
        self.user_index
            .get(&username.to_lowercase())
            .map(|&i| &self.users[i])
    }

    fn username(&self, id: u64) -> String {
        self.user(id)
            .map(|u| u.username.clone())
            .unwrap_or_else(|| format!("user{id}"))
    }

    fn ensure_user(&mut self, username: &str) -> u64 {
        if let Some(u) = self.user_by_name(username) {
            return u.id;
        }
        let id = self.users.len() as u64 + 1;
        let now = self.now;
        self.user_index
            .insert(username.to_lowercase(), self.users.len());
        self.users.push(UserRec {
            id,
            username: username.to_string(),
            name: title_case(username),
            created: now,
        });
        id
    }

    fn ensure_namespace(&mut self, full_path: &str) -> usize {
        if let Some(&i) = self.namespace_index.get(&full_path.to_lowercase()) {
            return i;
        }
        let (parent, path) = match full_path.rsplit_once('/') {
            Some((parent, path)) => (Some(self.ensure_namespace(parent)), path),
            None => (None, full_path),
        };
        let owner = if parent.is_none() {
            self.user_by_name(path).map(|u| u.id)
        } else {
            None
        };
        let i = self.namespaces.len();
        self.namespaces.push(NamespaceRec {
            id: ID_BASE_NAMESPACE + i as u64 + 1,
            path: path.to_string(),
            full_path: full_path.to_string(),
            kind: if owner.is_some() { "user" } else { "group" },
            parent_id: parent.map(|p| self.namespaces[p].id),
            owner,
        });
        self.namespace_index.insert(full_path.to_lowercase(), i);
        i
    }

    fn add_project(&mut self, path: &str, private: bool) -> u64 {
        let path = path.trim_matches('/');
        if let Some(pi) = self.project_index(path) {
            self.projects[pi].private = private;
            return self.projects[pi].id;
        }
        let (ns_path, name) = path
            .rsplit_once('/')
            .unwrap_or_else(|| panic!("fake gitlab: project path {path:?} needs a namespace"));
        let namespace = self.ensure_namespace(ns_path);
        let pi = self.projects.len();
        let id = ID_BASE_PROJECT + pi as u64 + 1;
        let now = self.now;
        self.projects.push(ProjectRec {
            id,
            path: name.to_string(),
            full_path: path.to_string(),
            namespace,
            private,
            members: BTreeSet::new(),
            labels: Vec::new(),
            label_index: HashMap::new(),
            milestones: Vec::new(),
            issues: BTreeMap::new(),
            notes: HashMap::new(),
            events: HashMap::new(),
            merge_requests: Vec::new(),
            next_issue_iid: 0,
            next_mr_iid: 0,
            created: now,
        });
        self.project_index.insert(path.to_lowercase(), pi);
        id
    }

    fn project_index(&self, path: &str) -> Option<usize> {
        self.project_index
            .get(&path.trim_matches('/').to_lowercase())
            .copied()
    }

    fn project_index_or_panic(&self, path: &str) -> usize {
        self.project_index(path)
            .unwrap_or_else(|| panic!("fake gitlab: no project {path:?}; call add_repo first"))
    }

    /// `:id` as GitLab reads it: all digits is an id, anything else a full path.
    fn project_by_ref(&self, reference: &str) -> Option<usize> {
        if !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_digit()) {
            let id: u64 = reference.parse().ok()?;
            let i = usize::try_from(id.checked_sub(ID_BASE_PROJECT + 1)?).ok()?;
            return (i < self.projects.len()).then_some(i);
        }
        self.project_index(reference)
    }

    /// Listed members: the personal-namespace owner, explicit members, or — for a group
    /// project without explicit members — every user except root.
    fn is_listed_member(&self, pi: usize, uid: u64) -> bool {
        let p = &self.projects[pi];
        let owner = self.namespaces[p.namespace].owner;
        owner == Some(uid)
            || p.members.contains(&uid)
            || (p.members.is_empty() && owner.is_none() && uid != ROOT_USER_ID)
    }

    /// Members plus root (an administrator can do anything).
    fn is_member(&self, pi: usize, uid: u64) -> bool {
        uid == ROOT_USER_ID || self.is_listed_member(pi, uid)
    }

    fn can_read(&self, pi: usize, doer: Option<u64>) -> bool {
        !self.projects[pi].private || doer.is_some_and(|u| self.is_member(pi, u))
    }

    /// Reporter or more: may set labels, milestone, assignees, see confidential issues.
    fn can_admin(&self, pi: usize, doer: Option<u64>) -> bool {
        doer.is_some_and(|u| self.is_member(pi, u))
    }

    fn can_see_issue(&self, pi: usize, i: &IssueRec, doer: Option<u64>) -> bool {
        !i.confidential
            || self.can_admin(pi, doer)
            || doer.is_some_and(|u| u == i.author_id || i.assignee_ids.contains(&u))
    }

    fn ensure_label(&mut self, pi: usize, name: &str) -> u64 {
        if let Some(l) = self.projects[pi].label(name) {
            return l.id;
        }
        self.next_label_id += 1;
        let id = self.next_label_id;
        let p = &mut self.projects[pi];
        p.label_index.insert(name.to_string(), p.labels.len());
        p.labels.push(LabelRec {
            id,
            name: name.to_string(),
            color: DEFAULT_LABEL_COLOR.to_string(),
        });
        id
    }

    fn ensure_milestone(&mut self, pi: usize, title: &str) -> u64 {
        if let Some(m) = self.projects[pi]
            .milestones
            .iter()
            .find(|m| m.title == title)
        {
            return m.id;
        }
        self.next_milestone_id += 1;
        let id = self.next_milestone_id;
        let now = self.now;
        let p = &mut self.projects[pi];
        let iid = p.milestones.len() as u64 + 1;
        p.milestones.push(MilestoneRec {
            id,
            iid,
            title: title.to_string(),
            closed: false,
            created: now,
            updated: now,
        });
        id
    }

    fn insert_issue(&mut self, pi: usize, seed: IssueSeed, now: DateTime<Utc>) -> u64 {
        for l in &seed.labels {
            self.ensure_label(pi, l);
        }
        self.next_issue_id += 1;
        let id = self.next_issue_id;
        let labels: BTreeSet<String> = seed.labels.into_iter().collect();
        let p = &mut self.projects[pi];
        p.next_issue_iid += 1;
        let iid = p.next_issue_iid;
        p.issues.insert(
            iid,
            IssueRec {
                id,
                iid,
                title: seed.title,
                description: seed.description,
                closed: false,
                labels: labels.into_iter().collect(),
                milestone_id: seed.milestone_id,
                assignee_ids: dedup(seed.assignee_ids),
                author_id: seed.author_id,
                created_at: now,
                updated_at: now,
                closed_at: None,
                closed_by: None,
                moved_to_id: None,
                confidential: false,
            },
        );
        iid
    }

    fn insert_merge_request(
        &mut self,
        pi: usize,
        title: &str,
        description: &str,
        author_id: u64,
        now: DateTime<Utc>,
    ) -> u64 {
        self.next_mr_id += 1;
        let id = self.next_mr_id;
        let p = &mut self.projects[pi];
        p.next_mr_iid += 1;
        let iid = p.next_mr_iid;
        p.merge_requests.push(MergeRequestRec {
            id,
            iid,
            title: title.to_string(),
            description: description.to_string(),
            author_id,
            created_at: now,
        });
        iid
    }

    fn push_note(
        &mut self,
        pi: usize,
        iid: u64,
        author_id: u64,
        body: String,
        system: bool,
        now: DateTime<Utc>,
    ) -> u64 {
        self.next_note_id += 1;
        let id = self.next_note_id;
        let p = &mut self.projects[pi];
        let noteable_id = p.issues.get(&iid).map(|i| i.id).unwrap_or(0);
        p.notes.entry(iid).or_default().push(NoteRec {
            id,
            iid,
            noteable_id,
            author_id,
            body,
            system,
            created_at: now,
            updated_at: now,
        });
        id
    }

    /// A user comment; touches the issue (`updated_at`). Advances the clock.
    fn add_user_note(&mut self, pi: usize, iid: u64, author_id: u64, body: &str) -> u64 {
        let now = self.tick();
        let id = self.push_note(pi, iid, author_id, body.to_string(), false, now);
        if let Some(i) = self.projects[pi].issues.get_mut(&iid) {
            i.updated_at = now;
        }
        id
    }

    fn push_event(
        &mut self,
        pi: usize,
        iid: u64,
        user_id: u64,
        now: DateTime<Utc>,
        kind: EventKind,
    ) {
        self.next_event_id += 1;
        let id = self.next_event_id;
        let p = &mut self.projects[pi];
        let issue_id = p.issues.get(&iid).map(|i| i.id).unwrap_or(0);
        p.events.entry(iid).or_default().push(EventRec {
            id,
            issue_id,
            user_id,
            created_at: now,
            kind,
        });
    }

    /// Applies `ch` as `actor`; returns whether anything changed. On change the clock advances
    /// once, `updated_at` moves, and notes/events are recorded as GitLab would.
    fn apply_changes(&mut self, pi: usize, iid: u64, actor: u64, ch: Changes) -> bool {
        let Some(before) = self.projects[pi].issues.get(&iid).cloned() else {
            return false;
        };
        let mut issue = before.clone();
        if let Some(t) = ch.title {
            issue.title = t;
        }
        if let Some(d) = ch.description {
            issue.description = d;
        }
        if ch.labels.is_some() || !ch.add_labels.is_empty() || !ch.remove_labels.is_empty() {
            let mut set: BTreeSet<String> = match ch.labels {
                Some(list) => list.into_iter().collect(),
                None => issue.labels.iter().cloned().collect(),
            };
            set.extend(ch.add_labels);
            for l in &ch.remove_labels {
                set.remove(l);
            }
            for l in &set {
                self.ensure_label(pi, l);
            }
            issue.labels = set.into_iter().collect();
        }
        if let Some(a) = ch.assignees {
            issue.assignee_ids = dedup(a);
        }
        if let Some(m) = ch.milestone {
            issue.milestone_id = m;
        }
        if let Some(c) = ch.confidential {
            issue.confidential = c;
        }
        let state_change = match ch.close {
            Some(true) if !issue.closed => Some(true),
            Some(false) if issue.closed => Some(false),
            _ => None,
        };
        if issue == before && state_change.is_none() {
            return false;
        }
        let now = self.tick();
        issue.updated_at = now;
        match state_change {
            Some(true) => {
                issue.closed = true;
                issue.closed_at = Some(now);
                issue.closed_by = Some(actor);
            }
            Some(false) => {
                issue.closed = false;
                issue.closed_at = None;
                issue.closed_by = None;
            }
            None => {}
        }
        self.projects[pi].issues.insert(iid, issue.clone());

        // System notes (the note API shows these).
        if issue.title != before.title {
            let body = format!(
                "changed title from **{}** to **{}**",
                before.title, issue.title
            );
            self.push_note(pi, iid, actor, body, true, now);
        }
        if issue.description != before.description {
            self.push_note(pi, iid, actor, "changed the description".into(), true, now);
        }
        if issue.assignee_ids != before.assignee_ids {
            let refs = |ids: Vec<u64>| -> Vec<String> {
                ids.into_iter()
                    .map(|id| format!("@{}", self.username(id)))
                    .collect()
            };
            let added = refs(
                issue
                    .assignee_ids
                    .iter()
                    .copied()
                    .filter(|a| !before.assignee_ids.contains(a))
                    .collect(),
            );
            let removed = refs(
                before
                    .assignee_ids
                    .iter()
                    .copied()
                    .filter(|a| !issue.assignee_ids.contains(a))
                    .collect(),
            );
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("assigned to {}", to_sentence(&added)));
            }
            if !removed.is_empty() {
                parts.push(format!("unassigned {}", to_sentence(&removed)));
            }
            if !parts.is_empty() {
                self.push_note(pi, iid, actor, parts.join(" and "), true, now);
            }
        }
        if issue.confidential != before.confidential {
            let body = if issue.confidential {
                "made the issue confidential"
            } else {
                "made the issue visible to everyone"
            };
            self.push_note(pi, iid, actor, body.into(), true, now);
        }

        // Resource events (NOT notes).
        let label_ids = |w: &World, names: &[String], other: &[String]| -> Vec<u64> {
            names
                .iter()
                .filter(|n| !other.contains(n))
                .filter_map(|n| w.projects[pi].label(n).map(|l| l.id))
                .collect()
        };
        let added = label_ids(self, &issue.labels, &before.labels);
        let removed = label_ids(self, &before.labels, &issue.labels);
        for label_id in added {
            self.push_event(
                pi,
                iid,
                actor,
                now,
                EventKind::Label {
                    label_id,
                    add: true,
                },
            );
        }
        for label_id in removed {
            self.push_event(
                pi,
                iid,
                actor,
                now,
                EventKind::Label {
                    label_id,
                    add: false,
                },
            );
        }
        if issue.milestone_id != before.milestone_id {
            if let Some(m) = before.milestone_id {
                let kind = EventKind::Milestone {
                    milestone_id: m,
                    add: false,
                };
                self.push_event(pi, iid, actor, now, kind);
            }
            if let Some(m) = issue.milestone_id {
                let kind = EventKind::Milestone {
                    milestone_id: m,
                    add: true,
                };
                self.push_event(pi, iid, actor, now, kind);
            }
        }
        if let Some(closed) = state_change {
            self.push_event(pi, iid, actor, now, EventKind::State { closed });
        }
        true
    }

    fn move_issue(&mut self, pi: usize, iid: u64, to: usize, actor: u64) -> Option<u64> {
        let old = self.projects[pi].issues.get(&iid)?.clone();
        let now = self.tick();
        let labels: Vec<String> = old
            .labels
            .iter()
            .filter(|l| self.projects[to].label(l).is_some())
            .cloned()
            .collect();
        let milestone_id = old
            .milestone_id
            .and_then(|m| self.projects[pi].milestone(m))
            .and_then(|m| {
                self.projects[to]
                    .milestones
                    .iter()
                    .find(|t| t.title == m.title)
            })
            .map(|m| m.id);
        let new_iid = self.insert_issue(
            to,
            IssueSeed {
                title: old.title.clone(),
                description: old.description.clone(),
                author_id: old.author_id,
                labels,
                milestone_id,
                assignee_ids: old.assignee_ids.clone(),
            },
            now,
        );
        let new_id = self.projects[to].issues.get(&new_iid).map(|i| i.id)?;
        let copied: Vec<NoteRec> = self.projects[pi]
            .notes
            .get(&iid)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        for n in copied {
            let id = self.push_note(to, new_iid, n.author_id, n.body, n.system, n.created_at);
            if let Some(copy) = self.projects[to]
                .notes
                .get_mut(&new_iid)
                .and_then(|ns| ns.iter_mut().find(|c| c.id == id))
            {
                copy.updated_at = n.updated_at;
            }
        }
        let from_ref = format!("{}#{}", self.projects[pi].full_path, iid);
        let to_ref = format!("{}#{}", self.projects[to].full_path, new_iid);
        self.push_note(
            to,
            new_iid,
            actor,
            format!("moved from {from_ref}"),
            true,
            now,
        );
        self.push_note(pi, iid, actor, format!("moved to {to_ref}"), true, now);
        let was_open = !old.closed;
        if let Some(i) = self.projects[pi].issues.get_mut(&iid) {
            i.moved_to_id = Some(new_id);
            i.updated_at = now;
            if was_open {
                i.closed = true;
                i.closed_at = Some(now);
                i.closed_by = Some(actor);
            }
        }
        if was_open {
            self.push_event(pi, iid, actor, now, EventKind::State { closed: true });
        }
        Some(new_iid)
    }

    fn snapshot(&self, pi: usize, i: &IssueRec) -> GitLabIssue {
        let p = &self.projects[pi];
        GitLabIssue {
            id: i.id,
            iid: i.iid,
            project_id: p.id,
            title: i.title.clone(),
            description: i.description.clone(),
            state: if i.closed { "closed" } else { "opened" }.to_string(),
            labels: i.labels.clone(),
            milestone: i
                .milestone_id
                .and_then(|m| p.milestone(m))
                .map(|m| m.title.clone()),
            assignees: i.assignee_ids.iter().map(|&a| self.username(a)).collect(),
            author: self.username(i.author_id),
            created_at: i.created_at,
            updated_at: i.updated_at,
            closed_at: i.closed_at,
            closed_by: i.closed_by.map(|u| self.username(u)),
            moved_to_id: i.moved_to_id,
            confidential: i.confidential,
        }
    }

    /// Rate-limit window bookkeeping (wall clock, per minute); returns (observed, reset epoch).
    fn observe_request(&mut self) -> (u64, i64) {
        let now = Utc::now().timestamp();
        let minute = now.div_euclid(60);
        if self.rate_window.0 != minute {
            self.rate_window = (minute, 0);
        }
        self.rate_window.1 += 1;
        (self.rate_window.1, (minute + 1) * 60)
    }
}

fn dedup(ids: Vec<u64>) -> Vec<u64> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|i| seen.insert(*i)).collect()
}

fn title_case(username: &str) -> String {
    username
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

/// Rails `Array#to_sentence`.
fn to_sentence(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

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
}

/// A GitLab API error: status plus the JSON body (`{"message": ..}` or Grape's `{"error": ..}`).
struct ApiErr {
    status: StatusCode,
    body: Value,
}

type ApiResult = Result<Reply, ApiErr>;

/// `{"message": msg}` (GitLab's `render_api_error!`, `not_found!`, ...).
fn msg_err(status: StatusCode, msg: impl Into<Value>) -> ApiErr {
    ApiErr {
        status,
        body: json!({ "message": msg.into() }),
    }
}

/// `{"error": msg}` (Grape validation and routing errors).
fn grape_err(status: StatusCode, msg: impl Into<String>) -> ApiErr {
    ApiErr {
        status,
        body: json!({ "error": msg.into() }),
    }
}

fn not_found(what: &str) -> ApiErr {
    msg_err(StatusCode::NOT_FOUND, format!("404 {what} Not Found"))
}

fn route_not_found() -> ApiErr {
    grape_err(StatusCode::NOT_FOUND, "404 Not Found")
}

fn unauthorized() -> ApiErr {
    msg_err(StatusCode::UNAUTHORIZED, "401 Unauthorized")
}

fn forbidden() -> ApiErr {
    msg_err(StatusCode::FORBIDDEN, "403 Forbidden")
}

fn invalid(name: &str) -> ApiErr {
    grape_err(StatusCode::BAD_REQUEST, format!("{name} is invalid"))
}

fn blank(field: &str) -> ApiErr {
    msg_err(
        StatusCode::BAD_REQUEST,
        json!({ field: ["can't be blank"] }),
    )
}

/// Request params as Grape sees them: query merged with the body (body wins), `k[]` as arrays.
struct Params {
    map: Map<String, Value>,
}

fn pairs_to_map(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in pairs {
        if let Some(base) = k.strip_suffix("[]") {
            let entry = map
                .entry(base.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            match entry {
                Value::Array(items) => items.push(Value::String(v.clone())),
                other => *other = Value::Array(vec![Value::String(v.clone())]),
            }
        } else {
            map.insert(k.clone(), Value::String(v.clone()));
        }
    }
    map
}

fn parse_pairs(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Params {
    fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A scalar as a string; `None` when absent or null.
    fn string(&self, name: &str) -> Result<Option<String>, ApiErr> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(invalid(name)),
        }
    }

    /// One of `values` (Grape `values:`), `None` when absent.
    fn choice(&self, name: &str, values: &[&str]) -> Result<Option<String>, ApiErr> {
        match self.string(name)? {
            None => Ok(None),
            Some(v) if values.contains(&v.as_str()) => Ok(Some(v)),
            Some(_) => Err(grape_err(
                StatusCode::BAD_REQUEST,
                format!("{name} does not have a valid value"),
            )),
        }
    }

    /// An integer; `None` when absent, null or "".
    fn int(&self, name: &str) -> Result<Option<i64>, ApiErr> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| invalid(name)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid(name)),
            Some(_) => Err(invalid(name)),
        }
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, ApiErr> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(invalid(name)),
            },
            Some(_) => Err(invalid(name)),
        }
    }

    /// Comma-separated names or an array of them (Grape `CommaSeparatedToArray`); null is
    /// an empty list.
    fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiErr> {
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(Vec::new())),
            Some(Value::String(s)) => Ok(Some(split(s))),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.extend(split(s)),
                        Value::Number(n) => out.push(n.to_string()),
                        _ => return Err(invalid(name)),
                    }
                }
                Ok(Some(out))
            }
            Some(_) => Err(invalid(name)),
        }
    }

    /// Comma-separated integers or an array of them; empty items are dropped.
    fn int_list(&self, name: &str) -> Result<Option<Vec<i64>>, ApiErr> {
        let Some(items) = self.string_list(name)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|s| s.parse::<i64>().map_err(|_| invalid(name)))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn datetime(&self, name: &str) -> Result<Option<DateTime<FixedOffset>>, ApiErr> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => parse_iso8601(s.trim())
                .map(Some)
                .ok_or_else(|| invalid(name)),
        }
    }

    fn paging(&self) -> Result<Paging, ApiErr> {
        let page = self.int("page")?.unwrap_or(1).max(1);
        let requested = self.int("per_page")?;
        let per_page = match requested {
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_PER_PAGE).min(MAX_PER_PAGE),
            _ => DEFAULT_PER_PAGE,
        };
        Ok(Paging {
            page: usize::try_from(page).unwrap_or(1),
            per_page,
            requested_per_page: requested
                .map(|n| n.to_string())
                .unwrap_or_else(|| DEFAULT_PER_PAGE.to_string()),
        })
    }
}

/// ISO 8601 as the fake accepts it: `YYYY-MM-DD`, or `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` with
/// `Z`, `±HH:MM`, `±HHMM` or no zone (UTC).
fn parse_iso8601(s: &str) -> Option<DateTime<FixedOffset>> {
    let utc = FixedOffset::east_opt(0)?;
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0)?.and_local_timezone(utc).single();
    }
    let normalized = s.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(t);
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(t) = DateTime::parse_from_str(&normalized, fmt) {
            return Some(t);
        }
    }
    let bare = normalized.strip_suffix('Z').unwrap_or(&normalized);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(bare, fmt) {
            return t.and_local_timezone(utc).single();
        }
    }
    None
}

struct Paging {
    page: usize,
    per_page: usize,
    /// `per_page` as requested (what `Link` URLs repeat).
    requested_per_page: String,
}

impl Paging {
    fn slice<'a, T>(&self, items: &'a [T]) -> impl Iterator<Item = &'a T> {
        items
            .iter()
            .skip((self.page - 1).saturating_mul(self.per_page))
            .take(self.per_page)
    }
}

/// Ruby's `CGI.escape`.
fn cgi_escape(s: &str) -> String {
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
    /// Full raw path as received, e.g. `/gitlab/api/v4/projects/g%2Fp/issues`.
    path: String,
    query: Vec<(String, String)>,
    params: Params,
    doer: Option<u64>,
}

impl Ctx<'_> {
    fn web(&self) -> &str {
        &self.shared.web_url
    }

    fn require_doer(&self) -> Result<u64, ApiErr> {
        self.doer.ok_or_else(unauthorized)
    }

    /// The `Link` query for `page`: request params (coerced like Grape: `labels`/`iids` as
    /// arrays, dates re-rendered), declared `defaults` when absent, `route` params, page and
    /// per_page; one `k=v[&k=v]` group per key, groups sorted (Rails `Hash#to_query`).
    fn link_query(
        &self,
        page: usize,
        paging: &Paging,
        route: &[(&str, String)],
        defaults: &[(&str, &str)],
    ) -> String {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &self.query {
            let base = k.strip_suffix("[]").unwrap_or(k);
            if base == "page" || base == "per_page" {
                continue;
            }
            let (key, values) = match base {
                "labels" | "iids" => {
                    let parts: Vec<String> = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    (format!("{base}[]"), parts)
                }
                "updated_after" | "updated_before" | "created_after" | "created_before" => {
                    let value = parse_iso8601(v.trim())
                        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
                        .unwrap_or_else(|| v.clone());
                    (base.to_string(), vec![value])
                }
                _ if k.ends_with("[]") => (k.clone(), vec![v.clone()]),
                _ => {
                    // A repeated plain key: the last one wins (Rack).
                    groups.remove(base);
                    (base.to_string(), vec![v.clone()])
                }
            };
            groups.entry(key).or_default().extend(values);
        }
        for (k, v) in defaults {
            let has = groups.contains_key(*k) || groups.contains_key(&format!("{k}[]"));
            if !has {
                groups.insert((*k).to_string(), vec![(*v).to_string()]);
            }
        }
        for (k, v) in route {
            groups.insert((*k).to_string(), vec![v.clone()]);
        }
        groups.insert("page".into(), vec![page.to_string()]);
        groups.insert("per_page".into(), vec![paging.requested_per_page.clone()]);
        let mut encoded: Vec<String> = groups
            .iter()
            .map(|(k, vs)| {
                vs.iter()
                    .map(|v| format!("{}={}", cgi_escape(k), cgi_escape(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .collect();
        encoded.sort();
        encoded.join("&")
    }

    /// A paginated list reply with GitLab's offset-pagination headers.
    fn paged(
        &self,
        items: Vec<Value>,
        total: usize,
        paging: &Paging,
        route: &[(&str, String)],
        defaults: &[(&str, &str)],
    ) -> Reply {
        let page = paging.page;
        let per = paging.per_page.max(1);
        let without_count = total > MAX_COUNT_LIMIT;
        let total_pages = total.div_ceil(per).max(1);
        let (next, prev) = if without_count {
            let next = (page.saturating_mul(per) < total).then_some(page + 1);
            (next, (page > 1).then(|| page - 1))
        } else {
            let out_of_range = page > total_pages;
            let next = (page < total_pages).then_some(page + 1);
            (next, (page > 1 && !out_of_range).then(|| page - 1))
        };
        let href = |p: usize| {
            format!(
                "{}{}?{}",
                self.shared.origin,
                self.path,
                self.link_query(p, paging, route, defaults)
            )
        };
        let mut links = Vec::new();
        if let Some(p) = prev {
            links.push(format!("<{}>; rel=\"prev\"", href(p)));
        }
        if let Some(p) = next {
            links.push(format!("<{}>; rel=\"next\"", href(p)));
        }
        links.push(format!("<{}>; rel=\"first\"", href(1)));
        if !without_count {
            links.push(format!("<{}>; rel=\"last\"", href(total_pages)));
        }
        let opt = |p: Option<usize>| p.map(|p| p.to_string()).unwrap_or_default();
        let mut reply = Reply::ok(Value::Array(items));
        reply.headers.push(("X-Per-Page", per.to_string()));
        reply.headers.push(("X-Page", page.to_string()));
        reply.headers.push(("X-Next-Page", opt(next)));
        reply.headers.push(("X-Prev-Page", opt(prev)));
        reply.headers.push(("Link", links.join(", ")));
        if !without_count {
            reply.headers.push(("X-Total", total.to_string()));
            reply
                .headers
                .push(("X-Total-Pages", total_pages.to_string()));
        }
        reply
    }
}

/// Parses the body: JSON object, or a urlencoded form (as a JSON object, `k[]` as arrays).
/// `Err` for a body that claims JSON but is not a JSON object.
fn parse_body(content_type: &str, bytes: &[u8]) -> Result<Option<Map<String, Value>>, ()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let ct = content_type.to_ascii_lowercase();
    let as_json = || match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        _ => Err(()),
    };
    let as_form = || {
        let raw = String::from_utf8_lossy(bytes);
        Ok(Some(pairs_to_map(&parse_pairs(&raw))))
    };
    if ct.starts_with("application/json") {
        as_json()
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        as_form()
    } else {
        as_json().or_else(|()| as_form())
    }
}

/// `Ok(None)`: anonymous; `Err`: a token was given but is unknown.
fn resolve_auth(
    w: &World,
    private_token: Option<&str>,
    authorization: Option<&str>,
) -> Result<Option<u64>, ()> {
    if let Some(t) = private_token.map(str::trim).filter(|t| !t.is_empty()) {
        return w.tokens.get(t).copied().map(Some).ok_or(());
    }
    if let Some(h) = authorization.map(str::trim).filter(|h| !h.is_empty()) {
        let (scheme, token) = h.split_once(' ').unwrap_or((h, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            return w.tokens.get(token.trim()).copied().map(Some).ok_or(());
        }
    }
    Ok(None)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    req: Request,
) -> Response {
    let arrived = Instant::now();
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
    let private_token = header_str("private-token");
    let authorization = header_str("authorization");
    let content_type = header_str("content-type").unwrap_or_default();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let parsed = parse_body(&content_type, &bytes);

    let (response, delay, drop_after) = {
        let mut w = shared.world();
        w.requests.push(TimedRequest {
            request: SeenRequest {
                method: parts.method.to_string(),
                path: path.clone(),
                query: query.clone(),
                authorization: private_token
                    .as_ref()
                    .map(|t| format!("PRIVATE-TOKEN {t}"))
                    .or_else(|| authorization.clone()),
                body: parsed.clone().ok().flatten().map(Value::Object),
            },
            at: arrived,
        });

        if w.fail_count > 0 {
            w.fail_count -= 1;
            let status =
                StatusCode::from_u16(w.fail_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let msg = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            );
            return json_response(status, &json!({ "message": msg }), &[]);
        }
        if w.rate_limit_count > 0 {
            w.rate_limit_count -= 1;
            return rate_limited_response(w.rate_limit_secs, private_token.is_some());
        }

        let api_prefix = format!("{}/api/v4", shared.relative_root);
        let below = match path.strip_prefix(&api_prefix) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.to_string(),
            _ => return web_not_found(),
        };
        let mut extra_headers = Vec::new();
        let doer = resolve_auth(&w, private_token.as_deref(), authorization.as_deref());
        if w.rate_limit_headers {
            let (observed, reset) = w.observe_request();
            let authed = matches!(doer, Ok(Some(_)));
            extra_headers = normal_rate_limit_headers(observed, reset, authed);
        }
        let doer = match doer {
            Ok(d) => d,
            Err(()) => {
                return json_response(
                    StatusCode::UNAUTHORIZED,
                    &unauthorized().body,
                    &extra_headers,
                )
            }
        };
        let is_write = parts.method == Method::POST
            || parts.method == Method::PUT
            || parts.method == Method::DELETE;
        let drop_after = is_write && std::mem::take(&mut w.drop_next_write);
        let delay = if is_write {
            w.delay_next_write.take()
        } else {
            None
        };

        let mut map = pairs_to_map(&query);
        if let Ok(Some(body_map)) = &parsed {
            map.extend(body_map.clone());
        }
        let ctx = Ctx {
            shared: &shared,
            method: parts.method.clone(),
            path,
            query,
            params: Params { map },
            doer,
        };
        let segments: Vec<String> = below
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let result = match parsed {
            Err(()) => Err(grape_err(
                StatusCode::BAD_REQUEST,
                "message body does not match declared format",
            )),
            Ok(_) => route(&mut w, &ctx, &segments),
        };
        drop(w);
        let response = match result {
            Ok(reply) => reply_response(reply, &extra_headers),
            Err(e) => json_response(e.status, &e.body, &extra_headers),
        };
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

fn normal_rate_limit_headers(
    observed: u64,
    reset: i64,
    authed: bool,
) -> Vec<(&'static str, String)> {
    let name = if authed {
        "throttle_authenticated_api"
    } else {
        "throttle_unauthenticated_api"
    };
    vec![
        ("RateLimit-Limit", RATE_LIMIT_PER_MINUTE.to_string()),
        ("RateLimit-Name", name.to_string()),
        ("RateLimit-Observed", observed.to_string()),
        (
            "RateLimit-Remaining",
            RATE_LIMIT_PER_MINUTE.saturating_sub(observed).to_string(),
        ),
        ("RateLimit-Reset", reset.to_string()),
    ]
}

fn rate_limited_response(retry_after: u64, authed: bool) -> Response {
    let reset = Utc::now() + Duration::seconds(i64::try_from(retry_after).unwrap_or(60));
    let name = if authed {
        "throttle_authenticated_api"
    } else {
        "throttle_unauthenticated_api"
    };
    let headers = [
        ("RateLimit-Limit", RATE_LIMIT_PER_MINUTE.to_string()),
        ("RateLimit-Name", name.to_string()),
        (
            "RateLimit-Observed",
            (RATE_LIMIT_PER_MINUTE + 1).to_string(),
        ),
        ("RateLimit-Remaining", "0".to_string()),
        ("RateLimit-Reset", reset.timestamp().to_string()),
        (
            "RateLimit-ResetTime",
            reset.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
        ("Retry-After", retry_after.to_string()),
    ];
    let mut builder = Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header(header::CONTENT_TYPE, "text/plain");
    for (name, value) in &headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Body::from("Retry later"))
        .unwrap_or_else(|_| Response::new(Body::empty()))
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

fn add_headers(
    mut builder: axum::http::response::Builder,
    headers: &[(&'static str, String)],
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

fn json_response(status: StatusCode, body: &Value, extra: &[(&'static str, String)]) -> Response {
    let builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    add_headers(builder, extra)
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn reply_response(reply: Reply, extra: &[(&'static str, String)]) -> Response {
    let builder = add_headers(Response::builder().status(reply.status), &reply.headers);
    let builder = add_headers(builder, extra);
    let response = match reply.body {
        Some(v) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => builder.body(Body::empty()),
    };
    response.unwrap_or_else(|_| Response::new(Body::empty()))
}

fn web_not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(
            "<!DOCTYPE html><html><head><title>The page you're looking for could not be found \
             (404)</title></head><body><h1>404</h1></body></html>",
        ))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

// ---------------------------------------------------------------------------------------------
// Routing

fn route(w: &mut World, ctx: &Ctx<'_>, segs: &[String]) -> ApiResult {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = ctx.method == Method::GET;
    let post = ctx.method == Method::POST;
    match s.as_slice() {
        ["version"] if get => {
            ctx.require_doer()?;
            Ok(Reply::ok(
                json!({ "version": GITLAB_VERSION, "revision": "0123456789a" }),
            ))
        }
        ["user"] if get => {
            let uid = ctx.require_doer()?;
            let u = w.user(uid).ok_or_else(unauthorized)?;
            Ok(Reply::ok(render_user_full(ctx.web(), u)))
        }
        ["users"] if get => list_users(w, ctx),
        ["projects"] if get => list_projects(w, ctx),
        ["projects"] if post => Err(forbidden()),
        ["projects", pref, rest @ ..] => project_route(w, ctx, pref, rest),
        ["version"] | ["user"] | ["users"] | ["projects"] => Err(method_not_allowed()),
        _ => Err(route_not_found()),
    }
}

fn method_not_allowed() -> ApiErr {
    grape_err(StatusCode::METHOD_NOT_ALLOWED, "405 Not Allowed")
}

/// Project webhooks (see `fake_hooks`): Maintainers only — here the owner of the
/// personal namespace, or root; anyone else who can read the project gets 403.
fn hooks_api(w: &mut World, ctx: &Ctx<'_>, pref: &str, rest: &[&str]) -> ApiResult {
    let uid = ctx.require_doer()?;
    let pi = readable_project(w, ctx, pref)?;
    let owner = w.namespaces[w.projects[pi].namespace].owner;
    if uid != ROOT_USER_ID && owner != Some(uid) {
        return Err(forbidden());
    }
    let path = w.projects[pi].full_path.clone();
    let project_id = w.projects[pi].id;
    let render = |h: &super::fake_hooks::TrackerHook| super::fake_hooks::gitlab_json(project_id, h);
    match (rest, &ctx.method) {
        (["hooks"], &Method::GET) => Ok(Reply::ok(Value::Array(
            w.hooks.list(&path).iter().map(render).collect(),
        ))),
        (["hooks"], &Method::POST) => {
            let url = ctx.params.string("url")?.ok_or_else(|| blank("url"))?;
            let mut events = Vec::new();
            for flag in super::fake_hooks::GITLAB_FLAGS {
                // push_events defaults to true, the others to false.
                let default = *flag == "push_events";
                if ctx.params.boolean(flag)?.unwrap_or(default) {
                    events.push(flag.to_string());
                }
            }
            let hook = w.hooks.create(
                &path,
                super::fake_hooks::TrackerHook {
                    id: 0,
                    url,
                    events,
                    secret: ctx.params.string("token")?.unwrap_or_default(),
                    content_type: "json".into(),
                    active: true,
                },
            );
            Ok(Reply::json(StatusCode::CREATED, render(&hook)))
        }
        (["hooks", id], &Method::DELETE) => {
            let id: i64 = id.parse().map_err(|_| not_found("Hook"))?;
            if w.hooks.delete(&path, id) {
                Ok(Reply::empty(StatusCode::NO_CONTENT))
            } else {
                Err(not_found("Hook"))
            }
        }
        _ => Err(route_not_found()),
    }
}

fn project_route(w: &mut World, ctx: &Ctx<'_>, pref: &str, rest: &[&str]) -> ApiResult {
    let get = ctx.method == Method::GET;
    let post = ctx.method == Method::POST;
    let put = ctx.method == Method::PUT;
    let delete = ctx.method == Method::DELETE;
    match rest {
        ["hooks", ..] => hooks_api(w, ctx, pref, rest),
        [] if get => get_project(w, ctx, pref),
        ["labels"] if get => list_labels(w, ctx, pref),
        ["milestones"] if get => list_milestones(w, ctx, pref),
        ["users"] if get => list_project_users(w, ctx, pref, false),
        ["members"] if get => list_project_users(w, ctx, pref, true),
        ["members", "all"] if get => list_project_users(w, ctx, pref, true),
        ["merge_requests"] if get => list_merge_requests(w, ctx, pref),
        ["issues"] if get => list_issues(w, ctx, pref),
        ["issues"] if post => create_issue_api(w, ctx, pref),
        ["issues", iid] if get => get_issue_api(w, ctx, pref, iid),
        ["issues", iid] if put => update_issue_api(w, ctx, pref, iid),
        ["issues", iid] if delete => delete_issue_api(w, ctx, pref, iid),
        ["issues", iid, "notes"] if get => list_notes(w, ctx, pref, iid),
        ["issues", iid, "notes"] if post => create_note_api(w, ctx, pref, iid),
        ["issues", iid, "notes", note] if get => get_note_api(w, ctx, pref, iid, note),
        ["issues", iid, "move"] if post => move_issue_api(w, ctx, pref, iid),
        ["issues", iid, kind] if get && kind.starts_with("resource_") => {
            list_resource_events(w, ctx, pref, iid, kind)
        }
        []
        | ["labels"]
        | ["milestones"]
        | ["users"]
        | ["members"]
        | ["members", "all"]
        | ["merge_requests"]
        | ["issues"]
        | ["issues", _]
        | ["issues", _, "notes"]
        | ["issues", _, "notes", _]
        | ["issues", _, "move"] => Err(method_not_allowed()),
        _ => Err(route_not_found()),
    }
}

fn readable_project(w: &World, ctx: &Ctx<'_>, pref: &str) -> Result<usize, ApiErr> {
    w.project_by_ref(pref)
        .filter(|&pi| w.can_read(pi, ctx.doer))
        .ok_or_else(|| not_found("Project"))
}

fn parse_iid(raw: &str, name: &str) -> Result<u64, ApiErr> {
    raw.parse::<u64>().map_err(|_| invalid(name))
}

/// A visible issue or `404 Issue Not Found`.
fn visible_issue<'w>(
    w: &'w World,
    ctx: &Ctx<'_>,
    pi: usize,
    iid: u64,
) -> Result<&'w IssueRec, ApiErr> {
    w.projects[pi]
        .issues
        .get(&iid)
        .filter(|i| w.can_see_issue(pi, i, ctx.doer))
        .ok_or_else(|| not_found("Issue"))
}

// ---------------------------------------------------------------------------------------------
// Read handlers

fn list_users(w: &World, ctx: &Ctx<'_>) -> ApiResult {
    let q = &ctx.params;
    let username = q.string("username")?.map(|u| u.to_lowercase());
    let search = q.string("search")?.map(|s| s.to_lowercase());
    let paging = q.paging()?;
    let users: Vec<&UserRec> = w
        .users
        .iter()
        .filter(|u| {
            username
                .as_deref()
                .is_none_or(|n| u.username.to_lowercase() == n)
        })
        .filter(|u| {
            search.as_deref().is_none_or(|s| {
                u.username.to_lowercase().contains(s) || u.name.to_lowercase().contains(s)
            })
        })
        .collect();
    let items = paging
        .slice(&users)
        .map(|u| render_user_basic(ctx.web(), u))
        .collect();
    Ok(ctx.paged(items, users.len(), &paging, &[], &[]))
}

fn list_projects(w: &World, ctx: &Ctx<'_>) -> ApiResult {
    let q = &ctx.params;
    let membership = q.boolean("membership")?.unwrap_or(false);
    let simple = q.boolean("simple")?.unwrap_or(false);
    let order_by = q
        .choice(
            "order_by",
            &[
                "id",
                "name",
                "path",
                "created_at",
                "updated_at",
                "last_activity_at",
                "similarity",
                "star_count",
            ],
        )?
        .unwrap_or_else(|| "created_at".into());
    let asc = q.choice("sort", &["asc", "desc"])?.as_deref() == Some("asc");
    let search = q.string("search")?.map(|s| s.to_lowercase());
    let paging = q.paging()?;
    let mut projects: Vec<usize> = (0..w.projects.len())
        .filter(|&pi| match ctx.doer {
            Some(uid) if membership => w.is_member(pi, uid),
            doer => w.can_read(pi, doer),
        })
        .filter(|&pi| {
            search
                .as_deref()
                .is_none_or(|s| w.projects[pi].full_path.to_lowercase().contains(s))
        })
        .collect();
    projects.sort_by(|&a, &b| {
        let (pa, pb) = (&w.projects[a], &w.projects[b]);
        let ord = match order_by.as_str() {
            "name" | "path" => pa.path.to_lowercase().cmp(&pb.path.to_lowercase()),
            "created_at" | "updated_at" | "last_activity_at" => pa.created.cmp(&pb.created),
            _ => std::cmp::Ordering::Equal,
        }
        .then(pa.id.cmp(&pb.id));
        if asc {
            ord
        } else {
            ord.reverse()
        }
    });
    let items = paging
        .slice(&projects)
        .map(|&pi| render_project(ctx, w, pi, simple))
        .collect();
    Ok(ctx.paged(
        items,
        projects.len(),
        &paging,
        &[],
        &[("order_by", "created_at"), ("sort", "desc")],
    ))
}

fn get_project(w: &World, ctx: &Ctx<'_>, pref: &str) -> ApiResult {
    let pi = readable_project(w, ctx, pref)?;
    Ok(Reply::ok(render_project(ctx, w, pi, false)))
}

fn list_labels(w: &World, ctx: &Ctx<'_>, pref: &str) -> ApiResult {
    let paging = ctx.params.paging()?;
    let pi = readable_project(w, ctx, pref)?;
    let p = &w.projects[pi];
    let mut labels: Vec<&LabelRec> = p.labels.iter().collect();
    labels.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let items = paging
        .slice(&labels)
        .map(|l| render_label(l, true))
        .collect();
    Ok(ctx.paged(
        items,
        labels.len(),
        &paging,
        &[("id", pref.to_string())],
        &[],
    ))
}

fn list_milestones(w: &World, ctx: &Ctx<'_>, pref: &str) -> ApiResult {
    let state = ctx.params.choice("state", &["active", "closed"])?;
    let title = ctx.params.string("title")?;
    let paging = ctx.params.paging()?;
    let pi = readable_project(w, ctx, pref)?;
    let p = &w.projects[pi];
    let mut ms: Vec<&MilestoneRec> = p
        .milestones
        .iter()
        .filter(|m| match state.as_deref() {
            Some("active") => !m.closed,
            Some("closed") => m.closed,
            _ => true,
        })
        .filter(|m| title.as_deref().is_none_or(|t| m.title == t))
        .collect();
    ms.sort_by_key(|m| std::cmp::Reverse(m.id));
    let items = paging
        .slice(&ms)
        .map(|m| render_milestone(ctx.web(), p, m))
        .collect();
    Ok(ctx.paged(items, ms.len(), &paging, &[("id", pref.to_string())], &[]))
}

fn list_project_users(w: &World, ctx: &Ctx<'_>, pref: &str, as_members: bool) -> ApiResult {
    let search = ctx.params.string("search")?.map(|s| s.to_lowercase());
    let paging = ctx.params.paging()?;
    let pi = readable_project(w, ctx, pref)?;
    let p = &w.projects[pi];
    let users: Vec<&UserRec> = w
        .users
        .iter()
        .filter(|u| w.is_listed_member(pi, u.id))
        .filter(|u| {
            search.as_deref().is_none_or(|s| {
                u.username.to_lowercase().contains(s) || u.name.to_lowercase().contains(s)
            })
        })
        .collect();
    let items = paging
        .slice(&users)
        .map(|u| {
            let mut v = render_user_basic(ctx.web(), u);
            if as_members {
                if let Value::Object(m) = &mut v {
                    let owner = w.namespaces[p.namespace].owner == Some(u.id);
                    m.insert("access_level".into(), json!(if owner { 50 } else { 30 }));
                    m.insert("created_at".into(), t(u.created));
                    m.insert("expires_at".into(), Value::Null);
                }
            }
            v
        })
        .collect();
    Ok(ctx.paged(
        items,
        users.len(),
        &paging,
        &[("id", pref.to_string())],
        &[],
    ))
}

fn list_merge_requests(w: &World, ctx: &Ctx<'_>, pref: &str) -> ApiResult {
    let paging = ctx.params.paging()?;
    let pi = readable_project(w, ctx, pref)?;
    let p = &w.projects[pi];
    let mut mrs: Vec<&MergeRequestRec> = p.merge_requests.iter().collect();
    mrs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let items = paging
        .slice(&mrs)
        .map(|m| {
            json!({
                "id": m.id,
                "iid": m.iid,
                "project_id": p.id,
                "title": m.title,
                "description": if m.description.is_empty() { Value::Null } else { json!(m.description) },
                "state": "opened",
                "created_at": t(m.created_at),
                "updated_at": t(m.created_at),
                "author": render_user_by_id(ctx.web(), w, m.author_id),
                "web_url": format!("{}/{}/-/merge_requests/{}", ctx.web(), p.full_path, m.iid),
            })
        })
        .collect();
    Ok(ctx.paged(items, mrs.len(), &paging, &[("id", pref.to_string())], &[]))
}

enum LabelFilter {
    NoLabels,
    AnyLabel,
    All(Vec<String>),
}

fn list_issues(w: &World, ctx: &Ctx<'_>, pref: &str) -> ApiResult {
    let q = &ctx.params;
    let state = q
        .choice("state", &["opened", "closed", "all"])?
        .unwrap_or_else(|| "all".into());
    let order_by = q
        .choice("order_by", &ISSUE_ORDER_BY)?
        .unwrap_or_else(|| "created_at".into());
    let asc = q.choice("sort", &["asc", "desc"])?.as_deref() == Some("asc");
    let details = q.boolean("with_labels_details")?.unwrap_or(false);
    let updated_after = q.datetime("updated_after")?;
    let updated_before = q.datetime("updated_before")?;
    let created_after = q.datetime("created_after")?;
    let created_before = q.datetime("created_before")?;
    let labels = match q.string_list("labels")? {
        Some(l) if l.len() == 1 && l[0].eq_ignore_ascii_case("none") => Some(LabelFilter::NoLabels),
        Some(l) if l.len() == 1 && l[0].eq_ignore_ascii_case("any") => Some(LabelFilter::AnyLabel),
        Some(l) if l.is_empty() => None,
        Some(l) => Some(LabelFilter::All(l)),
        None => None,
    };
    let milestone = q.string("milestone")?;
    let iids = q.int_list("iids")?;
    let search = q.string("search")?.map(|s| s.to_lowercase());
    let scope = q.choice(
        "scope",
        &[
            "created_by_me",
            "assigned_to_me",
            "all",
            "created-by-me",
            "assigned-to-me",
        ],
    )?;
    let paging = q.paging()?;
    let pi = readable_project(w, ctx, pref)?;
    let p = &w.projects[pi];

    let mut matched: Vec<&IssueRec> = p
        .issues
        .values()
        .filter(|i| match state.as_str() {
            "opened" => !i.closed,
            "closed" => i.closed,
            _ => true,
        })
        .filter(|i| w.can_see_issue(pi, i, ctx.doer))
        .filter(|i| updated_after.is_none_or(|t| i.updated_at >= t))
        .filter(|i| updated_before.is_none_or(|t| i.updated_at <= t))
        .filter(|i| created_after.is_none_or(|t| i.created_at >= t))
        .filter(|i| created_before.is_none_or(|t| i.created_at <= t))
        .filter(|i| match &labels {
            None => true,
            Some(LabelFilter::NoLabels) => i.labels.is_empty(),
            Some(LabelFilter::AnyLabel) => !i.labels.is_empty(),
            Some(LabelFilter::All(names)) => names.iter().all(|n| i.labels.contains(n)),
        })
        .filter(|i| match milestone.as_deref() {
            None => true,
            Some(m) if m.eq_ignore_ascii_case("none") => i.milestone_id.is_none(),
            Some(m) if m.eq_ignore_ascii_case("any") => i.milestone_id.is_some(),
            Some(m) => i
                .milestone_id
                .and_then(|id| p.milestone(id))
                .is_some_and(|ms| ms.title == m),
        })
        .filter(|i| {
            iids.as_ref()
                .is_none_or(|list| list.iter().any(|&n| u64::try_from(n) == Ok(i.iid)))
        })
        .filter(|i| {
            search.as_deref().is_none_or(|s| {
                i.title.to_lowercase().contains(s) || i.description.to_lowercase().contains(s)
            })
        })
        .filter(|i| match scope.as_deref() {
            Some("created_by_me") | Some("created-by-me") => ctx.doer == Some(i.author_id),
            Some("assigned_to_me") | Some("assigned-to-me") => {
                ctx.doer.is_some_and(|u| i.assignee_ids.contains(&u))
            }
            _ => true,
        })
        .collect();
    matched.sort_by(|a, b| {
        let ord = match order_by.as_str() {
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            "title" => a.title.cmp(&b.title),
            _ => a.created_at.cmp(&b.created_at),
        }
        .then(a.id.cmp(&b.id));
        if asc {
            ord
        } else {
            ord.reverse()
        }
    });
    let items = paging
        .slice(&matched)
        .map(|i| render_issue(ctx.web(), w, p, i, details))
        .collect();
    Ok(ctx.paged(
        items,
        matched.len(),
        &paging,
        &[("id", pref.to_string())],
        &[
            ("order_by", "created_at"),
            ("sort", "desc"),
            ("state", "all"),
            ("with_labels_details", "false"),
        ],
    ))
}

fn get_issue_api(w: &World, ctx: &Ctx<'_>, pref: &str, iid: &str) -> ApiResult {
    let iid = parse_iid(iid, "issue_iid")?;
    let pi = readable_project(w, ctx, pref)?;
    let issue = visible_issue(w, ctx, pi, iid)?;
    Ok(Reply::ok(render_issue(
        ctx.web(),
        w,
        &w.projects[pi],
        issue,
        false,
    )))
}

fn list_notes(w: &World, ctx: &Ctx<'_>, pref: &str, iid: &str) -> ApiResult {
    ctx.require_doer()?;
    let iid = parse_iid(iid, "noteable_id")?;
    let q = &ctx.params;
    let order_by = q
        .choice("order_by", &["created_at", "updated_at"])?
        .unwrap_or_else(|| "created_at".into());
    let asc = q.choice("sort", &["asc", "desc"])?.as_deref() == Some("asc");
    let filter = q
        .choice(
            "activity_filter",
            &["all_notes", "only_comments", "only_activity"],
        )?
        .unwrap_or_else(|| "all_notes".into());
    let paging = q.paging()?;
    let pi = readable_project(w, ctx, pref)?;
    visible_issue(w, ctx, pi, iid)?;
    let p = &w.projects[pi];
    let mut notes: Vec<&NoteRec> = p
        .notes
        .get(&iid)
        .into_iter()
        .flatten()
        .filter(|n| match filter.as_str() {
            "only_comments" => !n.system,
            "only_activity" => n.system,
            _ => true,
        })
        .collect();
    notes.sort_by(|a, b| {
        let ord = if order_by == "updated_at" {
            a.updated_at.cmp(&b.updated_at)
        } else {
            a.created_at.cmp(&b.created_at)
        }
        .then(a.id.cmp(&b.id));
        if asc {
            ord
        } else {
            ord.reverse()
        }
    });
    let items = paging
        .slice(&notes)
        .map(|n| render_note(ctx.web(), w, p, n))
        .collect();
    Ok(ctx.paged(
        items,
        notes.len(),
        &paging,
        &[("id", pref.to_string()), ("noteable_id", iid.to_string())],
        &[
            ("activity_filter", "all_notes"),
            ("order_by", "created_at"),
            ("sort", "desc"),
        ],
    ))
}

fn get_note_api(w: &World, ctx: &Ctx<'_>, pref: &str, iid: &str, note: &str) -> ApiResult {
    ctx.require_doer()?;
    let iid = parse_iid(iid, "noteable_id")?;
    let note_id = parse_iid(note, "note_id")?;
    let pi = readable_project(w, ctx, pref)?;
    visible_issue(w, ctx, pi, iid)?;
    let p = &w.projects[pi];
    let n = p
        .notes
        .get(&iid)
        .into_iter()
        .flatten()
        .find(|n| n.id == note_id)
        .ok_or_else(|| not_found("Note"))?;
    Ok(Reply::ok(render_note(ctx.web(), w, p, n)))
}

fn list_resource_events(w: &World, ctx: &Ctx<'_>, pref: &str, iid: &str, kind: &str) -> ApiResult {
    let wanted = match kind {
        "resource_label_events" => 0,
        "resource_state_events" => 1,
        "resource_milestone_events" => 2,
        _ => return Err(route_not_found()),
    };
    let iid = parse_iid(iid, "eventable_id")?;
    let paging = ctx.params.paging()?;
    let pi = readable_project(w, ctx, pref)?;
    visible_issue(w, ctx, pi, iid)?;
    let p = &w.projects[pi];
    let events: Vec<&EventRec> = p
        .events
        .get(&iid)
        .into_iter()
        .flatten()
        .filter(|e| {
            matches!(
                (&e.kind, wanted),
                (EventKind::Label { .. }, 0)
                    | (EventKind::State { .. }, 1)
                    | (EventKind::Milestone { .. }, 2)
            )
        })
        .collect();
    let web = ctx.web();
    let items = paging
        .slice(&events)
        .map(|e| {
            let mut v = json!({
                "id": e.id,
                "user": render_user_by_id(web, w, e.user_id),
                "created_at": t(e.created_at),
                "resource_type": "Issue",
                "resource_id": e.issue_id,
            });
            if let Value::Object(m) = &mut v {
                match &e.kind {
                    EventKind::Label { label_id, add } => {
                        let label = p
                            .label_by_id(*label_id)
                            .map(|l| render_label(l, false))
                            .unwrap_or(Value::Null);
                        m.insert("label".into(), label);
                        m.insert("action".into(), json!(if *add { "add" } else { "remove" }));
                    }
                    EventKind::State { closed } => {
                        m.insert(
                            "state".into(),
                            json!(if *closed { "closed" } else { "reopened" }),
                        );
                    }
                    EventKind::Milestone { milestone_id, add } => {
                        let ms = p
                            .milestone(*milestone_id)
                            .map(|ms| render_milestone(web, p, ms))
                            .unwrap_or(Value::Null);
                        m.insert("milestone".into(), ms);
                        m.insert("action".into(), json!(if *add { "add" } else { "remove" }));
                    }
                }
            }
            v
        })
        .collect();
    Ok(ctx.paged(
        items,
        events.len(),
        &paging,
        &[("id", pref.to_string()), ("eventable_id", iid.to_string())],
        &[],
    ))
}

// ---------------------------------------------------------------------------------------------
// Write handlers

/// Keeps the assignable ids as GitLab's `filter_assignees_using_checks` does; `None` leaves the
/// assignees unchanged.
fn filter_assignees(w: &World, pi: usize, ids: Vec<i64>) -> Option<Vec<u64>> {
    if ids.is_empty() {
        return Some(Vec::new());
    }
    let ids: Vec<i64> = if w.multiple_assignees {
        ids
    } else {
        ids.into_iter().take(1).collect()
    };
    if ids == [0] {
        return Some(Vec::new());
    }
    let valid: Vec<u64> = ids
        .into_iter()
        .filter_map(|id| u64::try_from(id).ok())
        .filter(|&id| w.user(id).is_some() && w.can_read(pi, Some(id)))
        .collect();
    (!valid.is_empty()).then_some(valid)
}

/// Label/assignee/milestone changes a caller may make (dropped silently for non-members).
struct MetaParams {
    labels: Option<Vec<String>>,
    add_labels: Option<Vec<String>>,
    remove_labels: Option<Vec<String>>,
    assignee_ids: Option<Vec<i64>>,
    milestone: Option<Option<i64>>,
    confidential: Option<bool>,
}

fn meta_params(q: &Params) -> Result<MetaParams, ApiErr> {
    let mut assignee_ids = q.int_list("assignee_ids")?;
    if assignee_ids.is_none() {
        // Legacy single `assignee_id` (0 clears).
        if let Some(id) = q.int("assignee_id")? {
            assignee_ids = Some(if id == 0 { Vec::new() } else { vec![id] });
        }
    }
    let milestone = if q.has("milestone_id") {
        Some(q.int("milestone_id")?)
    } else {
        None
    };
    Ok(MetaParams {
        labels: q.string_list("labels")?,
        add_labels: q.string_list("add_labels")?,
        remove_labels: q.string_list("remove_labels")?,
        assignee_ids,
        milestone,
        confidential: q.boolean("confidential")?,
    })
}

/// Turns validated params into [`Changes`] (members only; others keep title/description/state).
fn meta_changes(w: &World, pi: usize, meta: MetaParams, ch: &mut Changes) {
    ch.labels = meta.labels;
    ch.add_labels = meta.add_labels.unwrap_or_default();
    if let Some(remove) = meta.remove_labels {
        // remove_labels only finds existing labels; it never creates.
        ch.remove_labels = remove
            .into_iter()
            .filter(|l| w.projects[pi].label(l).is_some())
            .collect();
    }
    ch.assignees = meta
        .assignee_ids
        .and_then(|ids| filter_assignees(w, pi, ids));
    ch.milestone = meta.milestone.map(|m| match m {
        None | Some(0) => None,
        Some(id) => u64::try_from(id)
            .ok()
            .filter(|&id| w.projects[pi].milestone(id).is_some()),
    });
    ch.confidential = meta.confidential;
}

fn check_title(title: &str) -> Result<(), ApiErr> {
    if title.trim().is_empty() {
        return Err(blank("title"));
    }
    if title.chars().count() > 255 {
        return Err(msg_err(
            StatusCode::BAD_REQUEST,
            json!({ "title": ["is too long (maximum is 255 characters)"] }),
        ));
    }
    Ok(())
}

fn create_issue_api(w: &mut World, ctx: &Ctx<'_>, pref: &str) -> ApiResult {
    let doer = ctx.require_doer()?;
    let q = &ctx.params;
    if !q.has("title") {
        return Err(grape_err(StatusCode::BAD_REQUEST, "title is missing"));
    }
    let title = q.string("title")?.unwrap_or_default();
    let description = q.string("description")?.unwrap_or_default();
    let meta = meta_params(q)?;
    let pi = readable_project(w, ctx, pref)?;
    check_title(&title)?;
    let mut ch = Changes::default();
    if w.can_admin(pi, Some(doer)) {
        meta_changes(w, pi, meta, &mut ch);
    }
    let now = w.tick();
    let mut labels: BTreeSet<String> = ch.labels.unwrap_or_default().into_iter().collect();
    labels.extend(ch.add_labels);
    let iid = w.insert_issue(
        pi,
        IssueSeed {
            title,
            description,
            author_id: doer,
            labels: labels.into_iter().collect(),
            milestone_id: ch.milestone.flatten(),
            assignee_ids: ch.assignees.unwrap_or_default(),
        },
        now,
    );
    if ch.confidential == Some(true) {
        if let Some(i) = w.projects[pi].issues.get_mut(&iid) {
            i.confidential = true;
        }
    }
    let p = &w.projects[pi];
    let issue = p.issues.get(&iid).ok_or_else(|| not_found("Issue"))?;
    Ok(Reply::json(
        StatusCode::CREATED,
        render_issue(ctx.web(), w, p, issue, false),
    ))
}

fn update_issue_api(w: &mut World, ctx: &Ctx<'_>, pref: &str, iid: &str) -> ApiResult {
    let doer = ctx.require_doer()?;
    let iid = parse_iid(iid, "issue_iid")?;
    let q = &ctx.params;
    let title = q.string("title")?;
    let description = q.string("description")?;
    let state_event = q.choice("state_event", &["reopen", "close"])?;
    q.choice("issue_type", &["issue", "incident", "test_case", "task"])?;
    q.boolean("discussion_locked")?;
    let meta = meta_params(q)?;
    if !UPDATE_AT_LEAST_ONE_OF.iter().any(|k| q.has(k)) {
        return Err(grape_err(
            StatusCode::BAD_REQUEST,
            format!(
                "{} are missing, at least one parameter must be provided",
                UPDATE_AT_LEAST_ONE_OF.join(", ")
            ),
        ));
    }
    let pi = readable_project(w, ctx, pref)?;
    let issue = w.projects[pi]
        .issues
        .get(&iid)
        .filter(|i| w.can_see_issue(pi, i, Some(doer)))
        .ok_or_else(|| msg_err(StatusCode::NOT_FOUND, "404 Not found"))?;
    let member = w.can_admin(pi, Some(doer));
    if !member && issue.author_id != doer {
        return Err(forbidden());
    }
    let mut ch = Changes::default();
    if let Some(t) = title {
        check_title(&t)?;
        ch.title = Some(t);
    }
    ch.description = description;
    ch.close = state_event.map(|s| s == "close");
    if member {
        meta_changes(w, pi, meta, &mut ch);
    }
    w.apply_changes(pi, iid, doer, ch);
    let p = &w.projects[pi];
    let issue = p.issues.get(&iid).ok_or_else(|| not_found("Issue"))?;
    Ok(Reply::ok(render_issue(ctx.web(), w, p, issue, false)))
}

fn delete_issue_api(w: &mut World, ctx: &Ctx<'_>, pref: &str, iid: &str) -> ApiResult {
    let doer = ctx.require_doer()?;
    let iid = parse_iid(iid, "issue_iid")?;
    let pi = readable_project(w, ctx, pref)?;
    visible_issue(w, ctx, pi, iid)?;
    if !w.can_admin(pi, Some(doer)) {
        return Err(forbidden());
    }
    w.tick();
    let p = &mut w.projects[pi];
    p.issues.remove(&iid);
    p.notes.remove(&iid);
    p.events.remove(&iid);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn create_note_api(w: &mut World, ctx: &Ctx<'_>, pref: &str, iid: &str) -> ApiResult {
    let doer = ctx.require_doer()?;
    let iid = parse_iid(iid, "noteable_id")?;
    if !ctx.params.has("body") {
        return Err(grape_err(StatusCode::BAD_REQUEST, "body is missing"));
    }
    let body = ctx.params.string("body")?.unwrap_or_default();
    let pi = readable_project(w, ctx, pref)?;
    visible_issue(w, ctx, pi, iid)?;
    if body.trim().is_empty() {
        return Err(blank("note"));
    }
    let id = w.add_user_note(pi, iid, doer, &body);
    let p = &w.projects[pi];
    let n = p
        .notes
        .get(&iid)
        .into_iter()
        .flatten()
        .find(|n| n.id == id)
        .ok_or_else(|| not_found("Note"))?;
    Ok(Reply::json(
        StatusCode::CREATED,
        render_note(ctx.web(), w, p, n),
    ))
}

fn move_issue_api(w: &mut World, ctx: &Ctx<'_>, pref: &str, iid: &str) -> ApiResult {
    let doer = ctx.require_doer()?;
    let iid = parse_iid(iid, "issue_iid")?;
    if !ctx.params.has("to_project_id") {
        return Err(grape_err(
            StatusCode::BAD_REQUEST,
            "to_project_id is missing",
        ));
    }
    let to_id = ctx.params.int("to_project_id")?.unwrap_or(0);
    let pi = readable_project(w, ctx, pref)?;
    visible_issue(w, ctx, pi, iid)?;
    let to = w
        .project_by_ref(&to_id.to_string())
        .ok_or_else(|| not_found("Project"))?;
    if to == pi || !w.can_admin(pi, Some(doer)) || !w.can_admin(to, Some(doer)) {
        return Err(msg_err(
            StatusCode::BAD_REQUEST,
            "Cannot move issue due to insufficient permissions!",
        ));
    }
    let new_iid = w
        .move_issue(pi, iid, to, doer)
        .ok_or_else(|| not_found("Issue"))?;
    let p = &w.projects[to];
    let issue = p.issues.get(&new_iid).ok_or_else(|| not_found("Issue"))?;
    Ok(Reply::json(
        StatusCode::CREATED,
        render_issue(ctx.web(), w, p, issue, false),
    ))
}

// ---------------------------------------------------------------------------------------------
// Rendering (shapes follow lib/api/entities and doc/api examples)

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

/// `Entities::UserBasic`.
fn render_user_basic(web: &str, u: &UserRec) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "name": u.name,
        "state": "active",
        "locked": false,
        "avatar_url": format!("{web}/uploads/-/system/user/avatar/{}/avatar.png", u.id),
        "web_url": format!("{web}/{}", u.username),
    })
}

fn render_user_by_id(web: &str, w: &World, id: u64) -> Value {
    w.user(id)
        .map(|u| render_user_basic(web, u))
        .unwrap_or(Value::Null)
}

/// `GET /user` (the caller's own, fuller entity).
fn render_user_full(web: &str, u: &UserRec) -> Value {
    let more = json!({
        "created_at": t(u.created),
        "bio": "",
        "location": "",
        "public_email": Value::Null,
        "website_url": "",
        "organization": "",
        "job_title": "",
        "bot": false,
        "last_sign_in_at": t(u.created),
        "confirmed_at": t(u.created),
        "email": format!("{}@example.com", u.username),
        "commit_email": format!("{}@example.com", u.username),
        "theme_id": 1,
        "color_scheme_id": 1,
        "projects_limit": 100_000,
        "identities": [],
        "can_create_group": true,
        "can_create_project": true,
        "two_factor_enabled": false,
        "external": false,
        "private_profile": false,
        "is_admin": u.id == ROOT_USER_ID,
    });
    merge(render_user_basic(web, u), more)
}

fn render_label(l: &LabelRec, full: bool) -> Value {
    let v = json!({
        "id": l.id,
        "name": l.name,
        "color": l.color,
        "description": Value::Null,
        "description_html": "",
        "text_color": "#FFFFFF",
    });
    if full {
        merge(
            v,
            json!({ "subscribed": false, "priority": Value::Null, "is_project_label": true }),
        )
    } else {
        v
    }
}

/// `Entities::Milestone`.
fn render_milestone(web: &str, p: &ProjectRec, m: &MilestoneRec) -> Value {
    json!({
        "id": m.id,
        "iid": m.iid,
        "project_id": p.id,
        "title": m.title,
        "description": "",
        "state": if m.closed { "closed" } else { "active" },
        "created_at": t(m.created),
        "updated_at": t(m.updated),
        "due_date": Value::Null,
        "start_date": Value::Null,
        "expired": false,
        "web_url": format!("{web}/{}/-/milestones/{}", p.full_path, m.iid),
    })
}

/// `Entities::Issue`.
fn render_issue(web: &str, w: &World, p: &ProjectRec, i: &IssueRec, label_details: bool) -> Value {
    let assignees: Vec<Value> = i
        .assignee_ids
        .iter()
        .map(|&a| render_user_by_id(web, w, a))
        .collect();
    let labels: Vec<Value> = if label_details {
        i.labels
            .iter()
            .filter_map(|n| p.label(n))
            .map(|l| render_label(l, false))
            .collect()
    } else {
        i.labels.iter().map(|n| json!(n)).collect()
    };
    let api = format!("{web}/api/v4/projects/{}", p.id);
    let core = json!({
        "id": i.id,
        "iid": i.iid,
        "project_id": p.id,
        "title": i.title,
        "description": if i.description.is_empty() { Value::Null } else { json!(i.description) },
        "state": if i.closed { "closed" } else { "opened" },
        "created_at": t(i.created_at),
        "updated_at": t(i.updated_at),
        "closed_at": t_opt(i.closed_at),
        "closed_by": i.closed_by.map(|u| render_user_by_id(web, w, u)).unwrap_or(Value::Null),
        "labels": labels,
        "milestone": i
            .milestone_id
            .and_then(|m| p.milestone(m))
            .map(|m| render_milestone(web, p, m))
            .unwrap_or(Value::Null),
        "assignees": assignees.clone(),
        "author": render_user_by_id(web, w, i.author_id),
        "type": "ISSUE",
        "assignee": assignees.first().cloned().unwrap_or(Value::Null),
        "user_notes_count": p.user_notes_count(i.iid),
        "merge_requests_count": 0,
        "upvotes": 0,
        "downvotes": 0,
        "due_date": Value::Null,
        "confidential": i.confidential,
        "discussion_locked": Value::Null,
        "issue_type": "issue",
    });
    let rest = json!({
        "web_url": format!("{web}/{}/-/issues/{}", p.full_path, i.iid),
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": Value::Null,
            "human_total_time_spent": Value::Null,
        },
        "task_completion_status": { "count": 0, "completed_count": 0 },
        "has_tasks": false,
        "task_status": "",
        "_links": {
            "self": format!("{api}/issues/{}", i.iid),
            "notes": format!("{api}/issues/{}/notes", i.iid),
            "award_emoji": format!("{api}/issues/{}/award_emoji", i.iid),
            "project": api,
            "closed_as_duplicate_of": Value::Null,
        },
        "references": {
            "short": format!("#{}", i.iid),
            "relative": format!("#{}", i.iid),
            "full": format!("{}#{}", p.full_path, i.iid),
        },
        "severity": "UNKNOWN",
        "moved_to_id": i.moved_to_id,
        "imported": false,
        "imported_from": "none",
        "service_desk_reply_to": Value::Null,
    });
    merge(core, rest)
}

/// `Entities::Note`.
fn render_note(web: &str, w: &World, p: &ProjectRec, n: &NoteRec) -> Value {
    json!({
        "id": n.id,
        "type": Value::Null,
        "body": n.body,
        "attachment": Value::Null,
        "author": render_user_by_id(web, w, n.author_id),
        "created_at": t(n.created_at),
        "updated_at": t(n.updated_at),
        "system": n.system,
        "noteable_id": n.noteable_id,
        "noteable_type": "Issue",
        "project_id": p.id,
        "resolvable": false,
        "confidential": false,
        "internal": false,
        "imported": false,
        "imported_from": "none",
        "noteable_iid": n.iid,
        "commands_changes": {},
    })
}

fn render_namespace(web: &str, w: &World, ns: &NamespaceRec) -> Value {
    let web_url = match ns.owner {
        Some(_) => format!("{web}/{}", ns.full_path),
        None => format!("{web}/groups/{}", ns.full_path),
    };
    let _ = w;
    json!({
        "id": ns.id,
        "name": title_case(&ns.path),
        "path": ns.path,
        "kind": ns.kind,
        "full_path": ns.full_path,
        "parent_id": ns.parent_id,
        "avatar_url": Value::Null,
        "web_url": web_url,
    })
}

/// `Entities::BasicProjectDetails` (`simple=true`) or `Entities::Project`.
fn render_project(ctx: &Ctx<'_>, w: &World, pi: usize, simple: bool) -> Value {
    let web = ctx.web();
    let p = &w.projects[pi];
    let ns = &w.namespaces[p.namespace];
    let name_with_namespace = p
        .full_path
        .split('/')
        .map(title_case)
        .collect::<Vec<_>>()
        .join(" / ");
    let host = ctx
        .shared
        .origin
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap_or("127.0.0.1")
        .to_string();
    let basic = json!({
        "id": p.id,
        "description": "",
        "name": title_case(&p.path),
        "name_with_namespace": name_with_namespace,
        "path": p.path,
        "path_with_namespace": p.full_path,
        "created_at": t(p.created),
        "default_branch": "main",
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": format!("git@{host}:{}.git", p.full_path),
        "http_url_to_repo": format!("{web}/{}.git", p.full_path),
        "web_url": format!("{web}/{}", p.full_path),
        "readme_url": Value::Null,
        "forks_count": 0,
        "avatar_url": Value::Null,
        "star_count": 0,
        "last_activity_at": t(p.created),
        "namespace": render_namespace(web, w, ns),
    });
    if simple {
        return basic;
    }
    let api = format!("{web}/api/v4/projects/{}", p.id);
    let access = ctx
        .doer
        .filter(|&u| w.is_member(pi, u))
        .map(|u| {
            let level = if ns.owner == Some(u) { 50 } else { 30 };
            json!({ "access_level": level, "notification_level": 3 })
        })
        .unwrap_or(Value::Null);
    let open_issues = p.issues.values().filter(|i| !i.closed).count();
    let more = json!({
        "visibility": if p.private { "private" } else { "public" },
        "issues_enabled": true,
        "merge_requests_enabled": true,
        "archived": false,
        "empty_repo": false,
        "open_issues_count": open_issues,
        "owner": ns.owner.map(|o| render_user_by_id(web, w, o)).unwrap_or(Value::Null),
        "_links": {
            "self": api,
            "issues": format!("{api}/issues"),
            "merge_requests": format!("{api}/merge_requests"),
            "labels": format!("{api}/labels"),
            "members": format!("{api}/members"),
        },
        "permissions": { "project_access": access, "group_access": Value::Null },
    });
    merge(basic, more)
}
