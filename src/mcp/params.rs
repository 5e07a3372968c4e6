//! The arguments of the MCP tools, with the JSON schemas a model sees, and their
//! translation into the core's requests.
//!
//! Invariants: every argument object refuses unknown fields and wrong types (serde),
//! and text is held to the trackers' own limits ([`check`]) before the core sees it, so
//! bad input is refused ("invalid params", answered as an `invalid_arguments` tool
//! error) and nothing is stored.

use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use issuesync::model::{Field, FieldValue, IssueState, SyncStatus};
use issuesync::workspace::{IssueEdit, NewIssue, Resolution};

/// The longest title accepted (GitHub's limit; GitLab and Gitea allow 255).
pub const TITLE_MAX: usize = 255;
/// The longest body or comment accepted (GitHub's limit, the smallest of the three).
pub const BODY_MAX: usize = 65_536;
/// The longest reference, label, login, milestone or glob accepted.
pub const NAME_MAX: usize = 400;
/// The most issues one search page holds.
pub const PAGE_MAX: u32 = 100;
/// Issues per search page unless the call says otherwise.
pub const PAGE_DEFAULT: u32 = 25;

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateFilter {
    #[default]
    Open,
    Closed,
    All,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    Synced,
    Pending,
    Conflict,
    Failed,
}

impl From<StatusFilter> for SyncStatus {
    fn from(s: StatusFilter) -> Self {
        match s {
            StatusFilter::Synced => Self::Synced,
            StatusFilter::Pending => Self::Pending,
            StatusFilter::Conflict => Self::Conflict,
            StatusFilter::Failed => Self::Failed,
        }
    }
}

/// Arguments of `search_issues`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchIssues {
    /// Full-text search in titles, bodies and comments (words; "quoted phrases").
    #[schemars(length(max = 400))]
    pub query: Option<String>,
    /// Only issues of this connection (a name from the refs, e.g. `work` in
    /// `work:alice/tools#3`).
    #[schemars(length(max = 400))]
    pub connection: Option<String>,
    /// Only issues of this repository, as `NAME:OWNER/REPO` (GitLab: the full group path).
    #[schemars(length(max = 400))]
    pub repo: Option<String>,
    /// Which issues by state (default `open`).
    pub state: Option<StateFilter>,
    /// Only issues with this label.
    #[schemars(length(max = 400))]
    pub label: Option<String>,
    /// Only issues assigned to this login.
    #[schemars(length(max = 400))]
    pub assignee: Option<String>,
    /// Only issues assigned to the connection's own user.
    pub mine: Option<bool>,
    /// Only issues with this sync status: `synced`, `pending` (local changes not pushed
    /// yet), `conflict` (see `list_conflicts`), `failed` (the tracker refused a change).
    pub sync_status: Option<StatusFilter>,
    /// Issues per page, 1 to 100 (default 25).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, to read the next one.
    #[schemars(length(max = 64))]
    pub cursor: Option<String>,
}

/// Arguments of the tools that take one issue.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRef {
    /// The issue: `NAME:OWNER/REPO#NUMBER` (GitLab: `NAME:group/sub/project#NUMBER`), or
    /// `NAME:OWNER/REPO#local-ID` for one created here and not pushed yet.
    #[serde(rename = "ref")]
    #[schemars(length(max = 400))]
    pub reference: String,
}

/// Arguments of `list_conflicts`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListConflicts {
    /// Only the conflicts of this connection.
    #[schemars(length(max = 400))]
    pub connection: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateValue {
    Open,
    Closed,
}

/// Arguments of `edit_issue`. Fields left out stay as they are.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditIssue {
    /// The issue: `NAME:OWNER/REPO#NUMBER` or `NAME:OWNER/REPO#local-ID`.
    #[serde(rename = "ref")]
    #[schemars(length(max = 400))]
    pub reference: String,
    /// The new title.
    #[schemars(length(min = 1, max = 255))]
    pub title: Option<String>,
    /// The new body (Markdown), replacing the whole body.
    #[schemars(length(max = 65536))]
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: Option<StateValue>,
    /// With `state`, GitHub's reason: `completed`, `not_planned` or `reopened`.
    #[schemars(length(max = 400))]
    pub state_reason: Option<String>,
    /// Labels to add (others stay).
    #[serde(default)]
    pub add_labels: Vec<String>,
    /// Labels to remove (others stay).
    #[serde(default)]
    pub remove_labels: Vec<String>,
    /// Logins to assign (others stay).
    #[serde(default)]
    pub add_assignees: Vec<String>,
    /// Logins to unassign (others stay).
    #[serde(default)]
    pub remove_assignees: Vec<String>,
    /// The milestone's title; `null` clears it; left out, it stays.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schemars(with = "Option<String>")]
    pub milestone: Option<Option<String>>,
}

/// Arguments of `create_issue`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIssue {
    /// The repository: `NAME:OWNER/REPO` (GitLab: the full group path).
    #[schemars(length(max = 400))]
    pub repo: String,
    #[schemars(length(min = 1, max = 255))]
    pub title: String,
    /// The body (Markdown).
    #[serde(default)]
    #[schemars(length(max = 65536))]
    pub body: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub assignees: Vec<String>,
    /// The milestone's title.
    #[schemars(length(max = 400))]
    pub milestone: Option<String>,
}

/// Arguments of `add_comment`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddComment {
    /// The issue: `NAME:OWNER/REPO#NUMBER` or `NAME:OWNER/REPO#local-ID`.
    #[serde(rename = "ref")]
    #[schemars(length(max = 400))]
    pub reference: String,
    /// The comment (Markdown).
    #[schemars(length(min = 1, max = 65536))]
    pub body: String,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldName {
    Title,
    Body,
    State,
    Labels,
    Assignees,
    Milestone,
}

impl From<FieldName> for Field {
    fn from(f: FieldName) -> Self {
        match f {
            FieldName::Title => Self::Title,
            FieldName::Body => Self::Body,
            FieldName::State => Self::State,
            FieldName::Labels => Self::Labels,
            FieldName::Assignees => Self::Assignees,
            FieldName::Milestone => Self::Milestone,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Take {
    /// Keep the local value (it is pushed by the next sync).
    Local,
    /// Take the tracker's value (nothing is pushed for the field).
    Remote,
    /// Use `value`, e.g. a body merged from both sides (it is pushed).
    Value,
}

/// Arguments of `resolve_conflict`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveConflict {
    /// The issue: `NAME:OWNER/REPO#NUMBER` or `NAME:OWNER/REPO#local-ID`.
    #[serde(rename = "ref")]
    #[schemars(length(max = 400))]
    pub reference: String,
    /// The conflicting field, as `list_conflicts` names it.
    pub field: FieldName,
    /// `local`, `remote`, or `value` (then give `value`).
    pub take: Take,
    /// With `take: value`: a string for title, body or milestone (`null`: no
    /// milestone), an array of strings for labels or assignees, `{"state": "open" |
    /// "closed", "reason": null}` for state.
    pub value: Option<serde_json::Value>,
}

/// Arguments of `sync`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sync {
    /// Only this connection (default: all).
    #[schemars(length(max = 400))]
    pub connection: Option<String>,
}

/// A missing field is `None` (by `default`), `null` is `Some(None)`.
fn present_or_null<'de, D>(deserializer: D) -> Result<Option<Option<String>>, D::Error>
where
    D: Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Refuses text longer than `max` characters, naming the argument.
pub fn check(argument: &str, text: &str, max: usize) -> Result<(), McpError> {
    let length = text.chars().count();
    if length > max {
        return Err(McpError::invalid_params(
            format!("{argument} is {length} characters long; the limit is {max}"),
            None,
        ));
    }
    Ok(())
}

fn check_all(argument: &str, names: &[String]) -> Result<(), McpError> {
    names.iter().try_for_each(|n| check(argument, n, NAME_MAX))
}

fn check_opt(argument: &str, text: Option<&String>, max: usize) -> Result<(), McpError> {
    text.map_or(Ok(()), |t| check(argument, t, max))
}

impl SearchIssues {
    /// Checks the lengths and the page size.
    pub fn validate(&self) -> Result<(), McpError> {
        for (name, value) in [
            ("query", &self.query),
            ("connection", &self.connection),
            ("repo", &self.repo),
            ("label", &self.label),
            ("assignee", &self.assignee),
        ] {
            check_opt(name, value.as_ref(), NAME_MAX)?;
        }
        if let Some(limit) = self.limit {
            if !(1..=PAGE_MAX).contains(&limit) {
                return Err(McpError::invalid_params(
                    format!("limit is {limit}; use 1 to {PAGE_MAX}"),
                    None,
                ));
            }
        }
        Ok(())
    }
}

impl EditIssue {
    /// The core's edit, once the lengths are checked.
    pub fn to_edit(&self) -> Result<IssueEdit, McpError> {
        check("ref", &self.reference, NAME_MAX)?;
        check_opt("title", self.title.as_ref(), TITLE_MAX)?;
        check_opt("body", self.body.as_ref(), BODY_MAX)?;
        check_opt("state_reason", self.state_reason.as_ref(), NAME_MAX)?;
        check_all("add_labels", &self.add_labels)?;
        check_all("remove_labels", &self.remove_labels)?;
        check_all("add_assignees", &self.add_assignees)?;
        check_all("remove_assignees", &self.remove_assignees)?;
        if let Some(Some(m)) = &self.milestone {
            check("milestone", m, NAME_MAX)?;
        }
        if self.state_reason.is_some() && self.state.is_none() {
            return Err(McpError::invalid_params(
                "state_reason needs state (open or closed)",
                None,
            ));
        }
        Ok(IssueEdit {
            title: self.title.clone(),
            body: self.body.clone(),
            state: self.state.map(|s| match s {
                StateValue::Open => IssueState::Open,
                StateValue::Closed => IssueState::Closed,
            }),
            state_reason: self.state_reason.clone(),
            add_labels: self.add_labels.clone(),
            remove_labels: self.remove_labels.clone(),
            add_assignees: self.add_assignees.clone(),
            remove_assignees: self.remove_assignees.clone(),
            milestone: self.milestone.clone(),
            ..IssueEdit::default()
        })
    }
}

impl CreateIssue {
    /// The core's new issue, once the lengths are checked.
    pub fn to_new_issue(&self) -> Result<NewIssue, McpError> {
        check("repo", &self.repo, NAME_MAX)?;
        check("title", &self.title, TITLE_MAX)?;
        check("body", &self.body, BODY_MAX)?;
        check_all("labels", &self.labels)?;
        check_all("assignees", &self.assignees)?;
        check_opt("milestone", self.milestone.as_ref(), NAME_MAX)?;
        Ok(NewIssue {
            title: self.title.clone(),
            body: self.body.clone(),
            labels: self.labels.clone(),
            assignees: self.assignees.clone(),
            milestone: self.milestone.clone(),
        })
    }
}

impl AddComment {
    /// Checks the lengths.
    pub fn validate(&self) -> Result<(), McpError> {
        check("ref", &self.reference, NAME_MAX)?;
        check("body", &self.body, BODY_MAX)
    }
}

impl ResolveConflict {
    /// The core's resolution.
    pub fn to_resolution(&self) -> Result<Resolution, McpError> {
        check("ref", &self.reference, NAME_MAX)?;
        match (self.take, &self.value) {
            (Take::Local, None) => Ok(Resolution::Local),
            (Take::Remote, None) => Ok(Resolution::Remote),
            (Take::Local | Take::Remote, Some(_)) => Err(McpError::invalid_params(
                "value is only for take: value",
                None,
            )),
            (Take::Value, None) => Err(McpError::invalid_params("take: value needs a value", None)),
            (Take::Value, Some(value)) => {
                if let Some(text) = value.as_str() {
                    check("value", text, BODY_MAX)?;
                }
                let parsed: FieldValue = serde_json::from_value(value.clone()).map_err(|e| {
                    McpError::invalid_params(format!("value has the wrong shape: {e}"), None)
                })?;
                Ok(Resolution::Value(parsed.into_shape_of(self.field.into())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_wrong_types_are_refused() {
        let unknown = serde_json::json!({"ref": "w:o/r#1", "titel": "x"});
        assert!(serde_json::from_value::<EditIssue>(unknown).is_err());
        let wrong = serde_json::json!({"ref": 3});
        assert!(serde_json::from_value::<IssueRef>(wrong).is_err());
    }

    #[test]
    fn a_null_milestone_clears_and_a_missing_one_stays() {
        let clear: EditIssue =
            serde_json::from_value(serde_json::json!({"ref": "w:o/r#1", "milestone": null}))
                .unwrap();
        assert_eq!(clear.to_edit().unwrap().milestone, Some(None));
        let keep: EditIssue =
            serde_json::from_value(serde_json::json!({"ref": "w:o/r#1", "title": "t"})).unwrap();
        assert_eq!(keep.to_edit().unwrap().milestone, None);
    }

    #[test]
    fn over_long_text_is_refused_with_its_length() {
        let err = check("body", &"x".repeat(BODY_MAX + 1), BODY_MAX).unwrap_err();
        assert!(err.message.contains("65537"), "{}", err.message);
        assert!(check("body", &"é".repeat(BODY_MAX), BODY_MAX).is_ok());
    }

    #[test]
    fn resolution_values_take_the_fields_shape() {
        let r: ResolveConflict = serde_json::from_value(serde_json::json!({
            "ref": "w:o/r#1", "field": "milestone", "take": "value", "value": "v2"
        }))
        .unwrap();
        assert_eq!(
            r.to_resolution().unwrap(),
            Resolution::Value(FieldValue::Optional(Some("v2".into())))
        );
    }
}
