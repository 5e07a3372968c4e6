//! The editable fields of an issue, one field's value, and a conflict between two edits
//! of a field: the vocabulary local editing, merging and conflict resolution share.
//!
//! Invariants: label and assignee sets are normalized ([`normalize_set`]) whenever they
//! are set, so equal sets compare equal; a [`FieldValue`] always has the shape of its
//! [`Field`] when it comes from [`IssueFields::value`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{normalize_set, IssueState, RemoteIssue};

/// The fields of an issue that a person edits and sync merges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IssueFields {
    pub title: String,
    pub body: String,
    pub state: IssueState,
    /// GitHub's reason for the state; travels with `state`.
    pub state_reason: Option<String>,
    /// Sorted, no duplicates.
    pub labels: Vec<String>,
    /// Sorted logins, no duplicates.
    pub assignees: Vec<String>,
    /// By title.
    pub milestone: Option<String>,
}

impl IssueFields {
    /// The editable fields of a tracker's issue.
    pub fn of_remote(issue: &RemoteIssue) -> Self {
        Self {
            title: issue.title.clone(),
            body: issue.body.clone(),
            state: issue.state,
            state_reason: issue.state_reason.clone(),
            labels: normalize_set(issue.labels.iter().map(|l| l.name.clone())),
            assignees: normalize_set(issue.assignees.iter().map(|a| a.login.clone())),
            milestone: issue.milestone.as_ref().map(|m| m.title.clone()),
        }
    }

    /// The fields whose values differ between `self` and `other`.
    pub fn changed_fields(&self, other: &IssueFields) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| self.value(*f) != other.value(*f))
            .collect()
    }

    /// One field's value, in the form conflicts store and show.
    pub fn value(&self, field: Field) -> FieldValue {
        match field {
            Field::Title => FieldValue::Text(self.title.clone()),
            Field::Body => FieldValue::Text(self.body.clone()),
            Field::State => FieldValue::State {
                state: self.state,
                reason: self.state_reason.clone(),
            },
            Field::Labels => FieldValue::Set(self.labels.clone()),
            Field::Assignees => FieldValue::Set(self.assignees.clone()),
            Field::Milestone => FieldValue::Optional(self.milestone.clone()),
        }
    }

    /// Sets one field from a value of the right shape.
    ///
    /// # Errors
    /// [`WrongShape`] when `value` is not the shape `field` takes.
    pub fn set(&mut self, field: Field, value: FieldValue) -> Result<(), WrongShape> {
        match (field, value) {
            (Field::Title, FieldValue::Text(t)) => self.title = t,
            (Field::Body, FieldValue::Text(t)) => self.body = t,
            (Field::State, FieldValue::State { state, reason }) => {
                self.state = state;
                self.state_reason = reason;
            }
            (Field::Labels, FieldValue::Set(s)) => self.labels = normalize_set(s),
            (Field::Assignees, FieldValue::Set(s)) => self.assignees = normalize_set(s),
            (Field::Milestone, FieldValue::Optional(m)) => self.milestone = m,
            // JSON cannot tell a milestone title from text: `"v2"` reads back as `Text`.
            (Field::Milestone, FieldValue::Text(t)) => {
                self.milestone = Some(t.trim().to_string()).filter(|t| !t.is_empty());
            }
            (field, _) => return Err(WrongShape { field }),
        }
        Ok(())
    }
}

/// A value does not fit the field it was given for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("that value does not fit the {field} field")]
pub struct WrongShape {
    pub field: Field,
}

/// An editable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Body,
    State,
    Labels,
    Assignees,
    Milestone,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Self::Title,
        Self::Body,
        Self::State,
        Self::Labels,
        Self::Assignees,
        Self::Milestone,
    ];

    /// The stable name used in the CLI, JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Body => "body",
            Self::State => "state",
            Self::Labels => "labels",
            Self::Assignees => "assignees",
            Self::Milestone => "milestone",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an editable field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown field {0:?}: expected one of title, body, state, labels, assignees, milestone")]
pub struct UnknownField(pub String);

impl FromStr for Field {
    type Err = UnknownField;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| UnknownField(s.to_string()))
    }
}

/// One field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum FieldValue {
    /// Title or body.
    Text(String),
    /// Open or closed, with GitHub's reason.
    State {
        state: IssueState,
        reason: Option<String>,
    },
    /// Labels or assignees, sorted.
    Set(Vec<String>),
    /// The milestone title, or none.
    Optional(Option<String>),
}

impl FieldValue {
    /// The same value in the shape `field` uses. JSON does not carry the shape (a
    /// milestone title and a title are both strings), so values read back from JSON are
    /// put in shape before they are compared with fresh ones.
    pub fn into_shape_of(self, field: Field) -> Self {
        match (field, self) {
            (Field::Milestone, Self::Text(t)) => Self::Optional(Some(t)),
            (_, value) => value,
        }
    }

    /// Reads a value for `field` as a person types it: text as is, `open`/`closed`,
    /// comma-separated names for sets, a milestone title (empty for none).
    ///
    /// # Errors
    /// A message saying what `field` takes.
    pub fn parse_for(field: Field, text: &str) -> Result<Self, String> {
        match field {
            Field::Title if text.trim().is_empty() => Err("the title cannot be empty".into()),
            Field::Title => Ok(Self::Text(text.trim().to_string())),
            Field::Body => Ok(Self::Text(text.to_string())),
            Field::State => text
                .trim()
                .parse::<IssueState>()
                .map(|state| Self::State {
                    state,
                    reason: None,
                })
                .map_err(|_| "expected open or closed".to_string()),
            Field::Labels | Field::Assignees => Ok(Self::Set(normalize_set(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            ))),
            Field::Milestone => Ok(Self::Optional(
                Some(text.trim().to_string()).filter(|t| !t.is_empty()),
            )),
        }
    }

    /// How a person reads the value in one line (CLI tables, logs).
    pub fn display(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::State { state, reason } => match reason {
                Some(r) => format!("{state} ({r})"),
                None => state.to_string(),
            },
            Self::Set(s) if s.is_empty() => "(none)".to_string(),
            Self::Set(s) => s.join(", "),
            Self::Optional(m) => m.clone().unwrap_or_else(|| "(none)".to_string()),
        }
    }
}

/// What to do when a field changed differently on both sides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
    /// Keep both and let the person decide (the default).
    #[default]
    Ask,
    /// The tracker's value wins.
    RemoteWins,
    /// The local value wins (and is pushed).
    LocalWins,
}

impl ConflictPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ask => "ask",
            Self::RemoteWins => "remote-wins",
            Self::LocalWins => "local-wins",
        }
    }
}

impl fmt::Display for ConflictPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a conflict policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown conflict policy {0:?}: expected ask, remote-wins or local-wins")]
pub struct UnknownPolicy(pub String);

impl FromStr for ConflictPolicy {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "ask" => Ok(Self::Ask),
            "remote-wins" => Ok(Self::RemoteWins),
            "local-wins" => Ok(Self::LocalWins),
            _ => Err(UnknownPolicy(s.to_string())),
        }
    }
}

/// A field changed differently on both sides, kept for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldConflict {
    pub field: Field,
    pub base: FieldValue,
    pub local: FieldValue,
    pub remote: FieldValue,
}
