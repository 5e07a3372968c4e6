//! Provider-neutral domain types: what every tracker's issue looks like once it has
//! crossed the provider edge.
//!
//! Invariants:
//! - Nothing here does I/O and nothing here knows a wire format; providers convert
//!   their private JSON types into these at the edge, the store persists them.
//! - Timestamps are UTC. Trackers differ in precision (GitHub: seconds, GitLab:
//!   milliseconds, Gitea: seconds with the server's offset); [`Timestamp`] keeps
//!   milliseconds and always renders as `YYYY-MM-DDTHH:MM:SS.mmmZ`, so stored text
//!   sorts in time order.
//! - Label and assignee lists are kept sorted and free of duplicates ([`normalize_set`]),
//!   so two values compare equal exactly when they hold the same names.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod fields;
pub use fields::{
    ConflictPolicy, Field, FieldConflict, FieldValue, IssueFields, UnknownField, UnknownPolicy,
    WrongShape,
};

/// A UTC instant with millisecond precision; `YYYY-MM-DDTHH:MM:SS.mmmZ` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, TS)]
#[ts(as = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// Wraps a chrono time, truncating it to milliseconds.
    pub fn from_datetime(time: DateTime<Utc>) -> Self {
        let millis = time.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(time))
    }

    /// Parses any RFC 3339 time (with `Z` or an offset) and converts it to UTC.
    ///
    /// # Errors
    /// Returns the chrono parse error when `text` is not RFC 3339.
    pub fn parse(text: &str) -> Result<Self, chrono::ParseError> {
        let time = DateTime::parse_from_rfc3339(text)?;
        Ok(Self::from_datetime(time.with_timezone(&Utc)))
    }

    /// This instant moved by `seconds` (negative moves it back).
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0 + chrono::Duration::seconds(seconds))
    }

    /// The wrapped chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl FromStr for Timestamp {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Which kind of tracker a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Github,
    Gitlab,
    Gitea,
}

impl ProviderKind {
    /// All kinds, in the order the CLI lists them.
    pub const ALL: [ProviderKind; 3] = [Self::Github, Self::Gitlab, Self::Gitea];

    /// The stable lower-case name used in the CLI, JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Gitea => "gitea",
        }
    }

    /// The name a person reads, e.g. in "Open on Gitea".
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Github => "GitHub",
            Self::Gitlab => "GitLab",
            Self::Gitea => "Gitea",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that is none of `github`, `gitlab`, `gitea`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?}: expected one of github, gitlab, gitea (Forgejo is gitea)")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderKind {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "github" => Ok(Self::Github),
            "gitlab" => Ok(Self::Gitlab),
            "gitea" | "forgejo" => Ok(Self::Gitea),
            _ => Err(UnknownProvider(s.to_string())),
        }
    }
}

/// Open or closed. GitLab's `opened` maps to [`IssueState::Open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    Open,
    Closed,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

impl fmt::Display for IssueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is neither open nor closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown issue state {0:?}: expected open or closed")]
pub struct UnknownState(pub String);

impl FromStr for IssueState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" | "opened" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            _ => Err(UnknownState(s.to_string())),
        }
    }
}

/// Whether an issue still exists where we mirrored it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RemoteStatus {
    /// Seen on the tracker at the last sync.
    Present,
    /// The tracker answers 404/410 for it: deleted, or no longer visible to us.
    Deleted,
    /// The tracker says it moved to another repository.
    Moved,
}

impl RemoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::Deleted => "deleted",
            Self::Moved => "moved",
        }
    }
}

impl FromStr for RemoteStatus {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "present" => Ok(Self::Present),
            "deleted" => Ok(Self::Deleted),
            "moved" => Ok(Self::Moved),
            _ => Err(UnknownState(s.to_string())),
        }
    }
}

/// How an issue's local copy relates to the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SyncStatus {
    /// The local copy equals the last synced remote version.
    Synced,
    /// Local edits wait in the outbox.
    Pending,
    /// A field changed differently on both sides and waits for the person.
    Conflict,
    /// The tracker refused a local change for good (its message is kept with the
    /// change); the person fixes or discards it.
    Failed,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 4] = [Self::Synced, Self::Pending, Self::Conflict, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Synced => "synced",
            Self::Pending => "pending",
            Self::Conflict => "conflict",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for SyncStatus {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

/// A person on a tracker. `login` is the GitHub/Gitea login or the GitLab username.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct User {
    pub remote_id: i64,
    pub login: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

/// A repository label. `color` is six hex digits without `#`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Label {
    pub remote_id: Option<i64>,
    pub name: String,
    pub color: Option<String>,
    pub description: Option<String>,
}

/// A milestone. `remote_id` is what the tracker's write API takes (GitHub: the
/// milestone number; GitLab, Gitea: the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Milestone {
    pub remote_id: i64,
    pub title: String,
    pub state: Option<String>,
    pub due_on: Option<Timestamp>,
}

/// The optimistic-concurrency tokens a tracker offers for one issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteVersion {
    /// HTTP ETag of the issue resource (GitHub).
    pub etag: Option<String>,
    /// Gitea/Forgejo `content_version` (newer servers reject a stale one with 409).
    pub content_version: Option<i64>,
}

/// An issue as a tracker reports it, converted to the neutral model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteIssue {
    /// The tracker's global id (GitHub/Gitea `id`, GitLab `id`).
    pub remote_id: i64,
    /// The per-repository number (GitHub/Gitea `number`, GitLab `iid`).
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: IssueState,
    pub state_reason: Option<String>,
    pub labels: Vec<Label>,
    pub assignees: Vec<User>,
    pub milestone: Option<Milestone>,
    pub author: Option<User>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// The issue's web page as the API reports it, when it does.
    pub remote_url: Option<String>,
    pub version: RemoteVersion,
    /// Set when the tracker says the issue moved elsewhere (GitLab `moved_to_id`).
    #[serde(default)]
    pub moved_to: Option<String>,
    /// How many comments the tracker says the issue has, where that decides whether
    /// they need fetching (GitLab `user_notes_count`; comments are per issue there).
    #[serde(default)]
    pub comment_count: Option<u64>,
}

/// A comment as a tracker reports it. `issue_number` ties it to its issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteComment {
    pub remote_id: i64,
    pub issue_number: u64,
    pub author: Option<User>,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub remote_url: Option<String>,
}

/// A repository as a tracker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RemoteRepo {
    pub remote_id: i64,
    /// `owner/name`, or GitLab's full `group/sub/project` path.
    pub full_path: String,
    pub description: Option<String>,
    pub private: bool,
    pub web_url: Option<String>,
}

/// A configured tracker account. Holds no secret: the token lives in the keychain
/// under `secret_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Connection {
    pub id: i64,
    pub name: String,
    pub provider: ProviderKind,
    /// The instance's web root, e.g. `https://gitea.example.com/gitea`.
    pub web_url: String,
    /// The REST API root derived from `web_url`.
    pub api_url: String,
    /// Whether a token was stored for this connection (anonymous otherwise).
    pub has_token: bool,
    /// The keychain account name of this connection's token.
    #[serde(skip)]
    pub secret_key: String,
    /// Who the token belongs to, as the tracker said when the connection was added.
    pub login: Option<String>,
    /// What sync does when a field changed differently here and on the tracker.
    pub conflict_policy: ConflictPolicy,
    /// How often the desktop app syncs this connection by itself.
    pub poll_interval_minutes: u32,
    pub created_at: Timestamp,
}

/// Application settings shared by the desktop app and the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct AppSettings {
    /// Notify when a sync finds a new conflict.
    pub notify_conflicts: bool,
    /// Notify when a connection's sync fails several times in a row.
    pub notify_failures: bool,
    /// Notify when an issue is newly assigned to me.
    pub notify_assigned: bool,
    /// Load images in issue text from every host. Off: only images on the issue's own
    /// tracker load; others show a placeholder with "Load images" (a picture from
    /// elsewhere tells its server who read the issue, and when).
    pub load_remote_images: bool,
    /// Run the webhook receiver (on `127.0.0.1:8765`, as `issuesync serve`) while the
    /// desktop app is open. Off by default; read when the app starts.
    pub webhook_receiver: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            notify_conflicts: true,
            notify_failures: true,
            notify_assigned: true,
            load_remote_images: false,
            webhook_receiver: false,
        }
    }
}

/// Which issues of a repository are mirrored. Empty filters mirror everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RepoFilter {
    /// Mirror only issues carrying all of these labels.
    pub labels: Vec<String>,
    /// Mirror only issues in this milestone (by title).
    pub milestone: Option<String>,
}

impl RepoFilter {
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.milestone.is_none()
    }
}

/// A mirrored repository of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Repo {
    pub id: i64,
    pub connection_id: i64,
    pub connection: String,
    pub provider: ProviderKind,
    /// `owner/name`, or GitLab's full project path.
    pub full_path: String,
    pub remote_id: Option<i64>,
    pub filter: RepoFilter,
    pub last_synced_at: Option<Timestamp>,
    pub last_full_sync_at: Option<Timestamp>,
}

/// A mirrored issue: the local working copy plus where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Issue {
    pub id: i64,
    /// `CONNECTION:OWNER/REPO#NUMBER`; `CONNECTION:OWNER/REPO#local-ID` for an issue
    /// created here and not pushed yet.
    #[serde(rename = "ref")]
    pub reference: String,
    pub connection: String,
    pub provider: ProviderKind,
    pub repo: String,
    /// The tracker's number; `None` until a local create is pushed.
    pub number: Option<u64>,
    pub title: String,
    pub body: String,
    pub state: IssueState,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<String>,
    pub author: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// The issue's page on the tracker; `None` until a local create is pushed.
    pub remote_url: Option<String>,
    pub sync_status: SyncStatus,
    pub remote_status: RemoteStatus,
}

/// A mirrored comment, or one written here and not pushed yet (`remote_id` `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Comment {
    pub id: i64,
    pub remote_id: Option<i64>,
    pub author: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub remote_url: Option<String>,
}

/// An issue with its comments, open conflicts and pending changes, as `show` presents it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IssueDetail {
    #[serde(flatten)]
    pub issue: Issue,
    pub comments: Vec<Comment>,
    /// Fields changed differently here and on the tracker.
    pub conflicts: Vec<FieldConflict>,
    /// Local changes waiting for the tracker, oldest first.
    pub pending: Vec<PendingChange>,
}

/// What a pending local change asks of the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Create an issue made here.
    Create,
    /// Send the fields edited here.
    Update,
    /// Add a comment written here.
    Comment,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Comment => "comment",
        }
    }
}

/// A local change waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PendingChange {
    pub kind: ChangeKind,
    /// The tracker refused it for good; `error_message` says why. It waits for the
    /// person to edit, retry or discard.
    pub failed: bool,
    /// Transient failures so far.
    pub attempts: u32,
    /// When the next try is due after a transient failure.
    pub next_attempt_at: Option<Timestamp>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub created_at: Timestamp,
}

/// An open conflict, with enough of its issue to list it across trackers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConflictEntry {
    #[serde(rename = "ref")]
    pub reference: String,
    pub issue_id: i64,
    pub provider: ProviderKind,
    pub title: String,
    #[serde(flatten)]
    pub conflict: FieldConflict,
    pub detected_at: Timestamp,
}

/// Sorts names and removes duplicates, the canonical form of a label or assignee set.
pub fn normalize_set<I, S>(names: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut names: Vec<String> = names.into_iter().map(Into::into).collect();
    names.sort();
    names.dedup();
    names
}

/// `CONNECTION:OWNER/REPO#NUMBER`, the human reference of an issue; for a local create
/// that has no number yet, `CONNECTION:OWNER/REPO#local-ID`.
pub fn issue_reference(connection: &str, repo: &str, number: Option<u64>, local_id: i64) -> String {
    match number {
        Some(n) => format!("{connection}:{repo}#{n}"),
        None => format!("{connection}:{repo}#local-{local_id}"),
    }
}

/// The invisible marker a local create or comment carries to the tracker, so that after
/// an ambiguous failure it can be found there instead of being sent twice.
pub fn client_marker(client_id: &str) -> String {
    format!("<!-- issuesync:{client_id} -->")
}

/// The client id of the first marker in `body`, if any.
pub fn find_client_marker(body: &str) -> Option<&str> {
    let start = body.find("<!-- issuesync:")? + "<!-- issuesync:".len();
    let rest = &body[start..];
    let end = rest.find(" -->")?;
    let id = &rest[..end];
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')).then_some(id)
}

/// `body` without IssueSync's markers, for showing it to a person.
pub fn strip_client_marker(body: &str) -> String {
    let mut out = body.to_string();
    while let Some(id) = find_client_marker(&out) {
        let marker = client_marker(id);
        out = out.replacen(&marker, "", 1);
    }
    out.trim_end().to_string()
}

/// `body` with `marker` appended on its own paragraph (an HTML comment: trackers do not
/// render it).
pub fn with_marker(body: &str, marker: &str) -> String {
    if body.is_empty() {
        marker.to_string()
    } else {
        format!("{}\n\n{marker}", body.trim_end_matches('\n'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_convert_offsets_to_utc_and_render_with_milliseconds() {
        let gitea = Timestamp::parse("2026-01-05T11:00:00+01:00").unwrap();
        let github = Timestamp::parse("2026-01-05T10:00:00Z").unwrap();
        assert_eq!(
            gitea, github,
            "the same instant in two offsets must compare equal"
        );
        assert_eq!(gitea.to_string(), "2026-01-05T10:00:00.000Z");
        let gitlab = Timestamp::parse("2026-01-05T10:00:00.123Z").unwrap();
        assert_eq!(gitlab.to_string(), "2026-01-05T10:00:00.123Z");
        assert!(
            gitlab > github,
            "sub-second precision must be kept for ordering"
        );
    }

    #[test]
    fn rendered_timestamps_sort_like_the_instants() {
        let a = Timestamp::parse("2026-01-05T09:59:59.999Z").unwrap();
        let b = Timestamp::parse("2026-01-05T10:00:00Z").unwrap();
        assert!(a < b);
        assert!(
            a.to_string() < b.to_string(),
            "stored text must sort in time order"
        );
    }

    #[test]
    fn provider_names_parse_case_insensitively_and_forgejo_is_gitea() {
        assert_eq!(
            "GitHub".parse::<ProviderKind>().unwrap(),
            ProviderKind::Github
        );
        assert_eq!(
            "forgejo".parse::<ProviderKind>().unwrap(),
            ProviderKind::Gitea
        );
        let err = "bitbucket".parse::<ProviderKind>().unwrap_err();
        assert!(err.to_string().contains("github, gitlab, gitea"));
    }

    #[test]
    fn gitlab_opened_is_open() {
        assert_eq!("opened".parse::<IssueState>().unwrap(), IssueState::Open);
        assert!("merged".parse::<IssueState>().is_err());
    }

    #[test]
    fn client_markers_round_trip_and_ignore_lookalikes() {
        let id = "0b6f7c1e-5c1a-4f0e-9d3a-2a1b3c4d5e6f";
        let body = with_marker("Steps to reproduce\n", &client_marker(id));
        assert_eq!(
            body,
            format!("Steps to reproduce\n\n<!-- issuesync:{id} -->")
        );
        assert_eq!(find_client_marker(&body), Some(id));
        assert_eq!(find_client_marker(&client_marker(id)), Some(id));
        assert_eq!(find_client_marker("<!-- issuesync: -->"), None);
        assert_eq!(find_client_marker("<!-- issuesync:a b --> x"), None);
        assert_eq!(find_client_marker("no marker"), None);
        assert_eq!(strip_client_marker(&body), "Steps to reproduce");
    }

    #[test]
    fn local_creates_have_a_reference_before_their_number() {
        assert_eq!(issue_reference("w", "o/r", Some(4), 9), "w:o/r#4");
        assert_eq!(issue_reference("w", "o/r", None, 9), "w:o/r#local-9");
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        assert_eq!(normalize_set(["ui", "bug", "ui"]), vec!["bug", "ui"]);
    }
}
