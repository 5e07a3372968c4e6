//! Local editing: edits, creates, comments, conflict resolution and discarding, all
//! offline. Each writes the working copy and its outbox row in one transaction; the
//! next sync pushes them.
//!
//! Invariants:
//! - Nothing here talks to a tracker.
//! - An edit never touches the base snapshot: the base stays the tracker's version, so
//!   what to push is exactly "working copy minus base".
//! - An open conflict ends only by a decision ([`Workspace::resolve`], the conflict
//!   view, `discard`). Editing a field that is in conflict replaces the *local* side of
//!   the conflict and keeps it open, so nothing is pushed for the field until someone
//!   decides; a script or an agent that does not know of the conflict cannot settle it
//!   by accident. Only an edit that now equals the tracker's value ends it (both sides
//!   agree), and that is logged.
//! - An issue deleted or moved on the tracker cannot take new edits (they could never
//!   be pushed); it can be discarded.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::agent::Agent;
use super::Workspace;
use crate::error::{Error, Result};
use crate::model::{
    normalize_set, ConflictEntry, Field, FieldValue, Issue, IssueFields, IssueState, RemoteStatus,
    Timestamp,
};
use crate::reference::{parse_issue_ref, parse_repo_ref, IssueRef};
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{comments, conflicts, connections, issues, outbox, repos, sync_log};

/// A local edit of an issue; `None` leaves a field alone. Label and assignee changes
/// are additions and removals (or, with `labels`/`assignees`, the whole new set), so
/// an edit never undoes what someone else added meanwhile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct IssueEdit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub state: Option<IssueState>,
    /// GitHub's reason for the new state (`completed`, `not_planned`, `reopened`).
    pub state_reason: Option<String>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    /// Replaces the label set (after which `add_labels`/`remove_labels` apply).
    pub labels: Option<Vec<String>>,
    pub add_assignees: Vec<String>,
    pub remove_assignees: Vec<String>,
    /// Replaces the assignee set (after which the additions/removals apply).
    pub assignees: Option<Vec<String>>,
    /// Absent leaves the milestone alone; `null` (`Some(None)`) clears it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[ts(optional, type = "string | null")]
    pub milestone: Option<Option<String>>,
}

/// For `Option<Option<T>>` fields: a missing field is `None` (by `default`), a present
/// `null` is `Some(None)`, a value is `Some(Some(v))`.
fn present_or_null<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl IssueEdit {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The working copy after this edit.
    fn apply(&self, mut fields: IssueFields) -> Result<IssueFields> {
        if let Some(title) = &self.title {
            let title = title.trim();
            if title.is_empty() {
                return Err(Error::EmptyTitle);
            }
            fields.title = title.to_string();
        }
        if let Some(body) = &self.body {
            fields.body = body.clone();
        }
        if let Some(state) = self.state {
            if state != fields.state || self.state_reason.is_some() {
                fields.state_reason = self.state_reason.clone();
            }
            fields.state = state;
        }
        fields.labels = edit_set(
            &fields.labels,
            self.labels.as_deref(),
            &self.add_labels,
            &self.remove_labels,
        );
        fields.assignees = edit_set(
            &fields.assignees,
            self.assignees.as_deref(),
            &self.add_assignees,
            &self.remove_assignees,
        );
        if let Some(milestone) = &self.milestone {
            fields.milestone = milestone
                .as_ref()
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty());
        }
        Ok(fields)
    }
}

fn edit_set(
    current: &[String],
    replace: Option<&[String]>,
    add: &[String],
    remove: &[String],
) -> Vec<String> {
    let clean = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    };
    let start = replace.map_or_else(|| current.to_vec(), clean);
    let remove = clean(remove);
    normalize_set(
        start
            .into_iter()
            .chain(clean(add))
            .filter(|n| !remove.contains(n)),
    )
}

/// What a local edit did: the issue, and which of the edited fields are in conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Edited {
    #[serde(flatten)]
    pub issue: Issue,
    /// Edited fields with an open conflict: the edit replaced your side of it, and
    /// nothing is pushed for them until the conflict is resolved.
    pub in_conflict: Vec<Field>,
}

/// A new issue to create locally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<String>,
}

/// How to settle a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "take", content = "value", rename_all = "lowercase")]
pub enum Resolution {
    /// Keep my value (it is pushed).
    Local,
    /// Take the tracker's value (nothing is pushed for the field).
    Remote,
    /// A value of my own, e.g. a hand-merged body (it is pushed).
    Value(FieldValue),
}

/// What [`Workspace::discard`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Discarded {
    /// The issue is back to the tracker's version.
    Reverted { issue: Box<Issue> },
    /// It only existed here and is gone.
    Deleted { reference: String },
}

impl Workspace {
    /// Resolves an issue reference to its local id.
    pub(crate) fn issue_id(&self, reference: &str) -> Result<i64> {
        let unknown = || Error::UnknownIssue {
            reference: reference.trim().to_string(),
        };
        let store = self.store();
        let issue = match parse_issue_ref(reference)? {
            IssueRef::Local(id) => issues::by_id(store.conn(), id)?,
            IssueRef::Remote { repo, number } => {
                issues::by_reference(store.conn(), &repo.connection, &repo.path, number)?
            }
            IssueRef::Draft { repo, id } => issues::by_id(store.conn(), id)?
                .filter(|i| i.connection == repo.connection && i.repo == repo.path),
        };
        issue.map(|i| i.id).ok_or_else(unknown)
    }

    fn issue_by_id(&self, id: i64) -> Result<Issue> {
        issues::by_id(self.store().conn(), id)?.ok_or_else(|| Error::UnknownIssue {
            reference: id.to_string(),
        })
    }

    /// Edits an issue locally; the next sync pushes the changed fields. A field in
    /// conflict keeps its conflict open (see the module's invariants); the answer says
    /// which.
    ///
    /// # Errors
    /// An unknown issue, an empty edit or title, an issue gone from the tracker, or a
    /// store failure (then nothing was changed).
    pub fn edit_issue(&self, reference: &str, edit: &IssueEdit) -> Result<Edited> {
        self.edit_issue_by(reference, edit, None)
    }

    /// [`Self::edit_issue`], for a person (`agent` `None`) or an agent, whose edit is
    /// marked with its name in the outbox and the sync log.
    pub(super) fn edit_issue_by(
        &self,
        reference: &str,
        edit: &IssueEdit,
        agent: Option<&Agent>,
    ) -> Result<Edited> {
        if edit.is_empty() {
            return Err(Error::NothingToEdit);
        }
        let id = self.issue_id(reference)?;
        let current = self.issue_by_id(id)?;
        refuse_if_gone(&current)?;
        if let Some(agent) = agent {
            self.check_agent_may_write(agent, &current.connection, &current.repo)?;
        }
        let agent_name = agent.map(Agent::name);
        let now = Timestamp::now();
        let in_conflict = self.store().write(|tx| -> Result<Vec<Field>> {
            let before = issues::fields(tx, id)?;
            let after = edit.apply(before.clone())?;
            let changed = before.changed_fields(&after);
            let open = conflicts::for_issue(tx, id)?;
            let mut in_conflict = Vec::new();
            for field in &changed {
                let Some(conflict) = open.iter().find(|c| c.conflict.field == *field) else {
                    continue;
                };
                let value = after.value(*field);
                if value == conflict.conflict.remote {
                    conflicts::delete(tx, id, *field)?;
                    log_issue(
                        tx,
                        &current,
                        id,
                        "resolve",
                        &format!("{field}: the local edit now equals the tracker's value"),
                        agent_name,
                    )?;
                } else {
                    conflicts::set_local(tx, id, *field, &value)?;
                    in_conflict.push(*field);
                }
            }
            // Fields in conflict that this edit did not touch stay open too.
            for c in &open {
                if !changed.contains(&c.conflict.field) && edit_touches(edit, c.conflict.field) {
                    in_conflict.push(c.conflict.field);
                }
            }
            if changed.is_empty() {
                return Ok(in_conflict);
            }
            let repo_id = issues::repo_of(tx, id)?;
            issues::write_fields(tx, repo_id, id, &after, now)?;
            outbox::note_edit(tx, id, now, agent_name)?;
            if agent_name.is_some() {
                let names: Vec<&str> = changed.iter().map(|f| f.as_str()).collect();
                let detail = format!("edited {} locally", names.join(", "));
                log_issue(tx, &current, id, "edit", &detail, agent_name)?;
            }
            Ok(in_conflict)
        })?;
        Ok(Edited {
            issue: self.issue_by_id(id)?,
            in_conflict,
        })
    }

    /// Creates an issue locally in a mirrored repository; it gets its number when the
    /// next sync pushes it.
    ///
    /// # Errors
    /// A malformed reference, a repository that is not mirrored, an empty title.
    pub fn create_issue(&self, repo_reference: &str, new: &NewIssue) -> Result<Issue> {
        self.create_issue_by(repo_reference, new, None)
    }

    /// [`Self::create_issue`], for a person or an agent (marked with its name).
    pub(super) fn create_issue_by(
        &self,
        repo_reference: &str,
        new: &NewIssue,
        agent: Option<&Agent>,
    ) -> Result<Issue> {
        let repo_ref = parse_repo_ref(repo_reference)?;
        let title = new.title.trim();
        if title.is_empty() {
            return Err(Error::EmptyTitle);
        }
        if let Some(agent) = agent {
            self.check_agent_may_write(agent, &repo_ref.connection, &repo_ref.path)?;
        }
        let agent_name = agent.map(Agent::name);
        let now = Timestamp::now();
        let client_id = uuid::Uuid::new_v4().to_string();
        let id = self.store().write(|tx| -> Result<i64> {
            let connection = connections::by_name(tx, &repo_ref.connection)?.ok_or_else(|| {
                Error::UnknownConnection {
                    name: repo_ref.connection.clone(),
                }
            })?;
            let repo = repos::by_path(tx, connection.id, &repo_ref.path)?.ok_or_else(|| {
                Error::UnknownRepo {
                    reference: repo_ref.to_string(),
                }
            })?;
            let fields = IssueFields {
                title: title.to_string(),
                body: new.body.clone(),
                state: IssueState::Open,
                state_reason: None,
                labels: normalize_set(new.labels.iter().map(|l| l.trim().to_string())),
                assignees: normalize_set(new.assignees.iter().map(|a| a.trim().to_string())),
                milestone: new.milestone.clone().filter(|m| !m.trim().is_empty()),
            };
            let id = issues::insert_local(
                tx,
                &issues::NewLocalIssue {
                    repo_id: repo.id,
                    fields: &fields,
                    author: connection.login.as_deref(),
                    client_id: &client_id,
                },
                now,
            )?;
            outbox::add_create(tx, id, &client_id, now, agent_name)?;
            if agent_name.is_some() {
                let issue = issues::by_id(tx, id)?.ok_or_else(|| Error::UnknownIssue {
                    reference: id.to_string(),
                })?;
                log_issue(tx, &issue, id, "create", "created locally", agent_name)?;
            }
            Ok(id)
        })?;
        self.issue_by_id(id)
    }

    /// Adds a comment locally; the next sync pushes it (exactly once).
    ///
    /// # Errors
    /// An unknown issue, an empty body, an issue gone from the tracker.
    pub fn add_comment(&self, reference: &str, body: &str) -> Result<crate::model::Comment> {
        self.add_comment_by(reference, body, None)
    }

    /// [`Self::add_comment`], for a person or an agent (marked with its name).
    pub(super) fn add_comment_by(
        &self,
        reference: &str,
        body: &str,
        agent: Option<&Agent>,
    ) -> Result<crate::model::Comment> {
        if body.trim().is_empty() {
            return Err(Error::BadFieldValue {
                field: "comment".into(),
                value: body.into(),
                problem: "a comment cannot be empty".into(),
            });
        }
        let id = self.issue_id(reference)?;
        let issue = self.issue_by_id(id)?;
        refuse_if_gone(&issue)?;
        if let Some(agent) = agent {
            self.check_agent_may_write(agent, &issue.connection, &issue.repo)?;
        }
        let agent_name = agent.map(Agent::name);
        let now = Timestamp::now();
        let client_id = uuid::Uuid::new_v4().to_string();
        let author =
            connections::by_name(self.store().conn(), &issue.connection)?.and_then(|c| c.login);
        let comment_id = self.store().write(|tx| -> Result<i64> {
            let comment_id =
                comments::insert_local(tx, id, author.as_deref(), body, &client_id, now)?;
            outbox::add_comment(tx, id, comment_id, &client_id, now, agent_name)?;
            if agent_name.is_some() {
                log_issue(tx, &issue, id, "comment", "commented locally", agent_name)?;
            }
            Ok(comment_id)
        })?;
        comments::for_issue(self.store().conn(), id)?
            .into_iter()
            .find(|c| c.id == comment_id)
            .ok_or_else(|| Error::UnknownIssue {
                reference: reference.to_string(),
            })
    }

    /// Every open conflict across all trackers, oldest first.
    ///
    /// # Errors
    /// A store failure.
    pub fn conflicts(&self) -> Result<Vec<ConflictEntry>> {
        let stored = conflicts::all(self.store().conn())?;
        let mut entries = Vec::with_capacity(stored.len());
        for c in stored {
            let issue = self.issue_by_id(c.issue_id)?;
            entries.push(ConflictEntry {
                reference: issue.reference,
                issue_id: issue.id,
                provider: issue.provider,
                title: issue.title,
                conflict: c.conflict,
                detected_at: c.detected_at,
            });
        }
        Ok(entries)
    }

    /// Settles one conflict; the chosen value is pushed with the next sync unless it is
    /// the tracker's.
    ///
    /// # Errors
    /// An unknown issue, no conflict on that field, a value of the wrong shape.
    pub fn resolve(&self, reference: &str, field: Field, resolution: &Resolution) -> Result<Issue> {
        self.resolve_by(reference, field, resolution, None)
    }

    /// [`Self::resolve`], for a person or an agent (marked with its name).
    pub(super) fn resolve_by(
        &self,
        reference: &str,
        field: Field,
        resolution: &Resolution,
        agent: Option<&Agent>,
    ) -> Result<Issue> {
        let id = self.issue_id(reference)?;
        let issue = self.issue_by_id(id)?;
        if let Some(agent) = agent {
            self.check_agent_may_write(agent, &issue.connection, &issue.repo)?;
        }
        let agent_name = agent.map(Agent::name);
        let now = Timestamp::now();
        self.store().write(|tx| -> Result<()> {
            let open = conflicts::for_issue(tx, id)?
                .into_iter()
                .find(|c| c.conflict.field == field)
                .ok_or_else(|| Error::NoConflict {
                    reference: issue.reference.clone(),
                    field: field.to_string(),
                })?;
            let value = match resolution {
                Resolution::Local => open.conflict.local.clone(),
                Resolution::Remote => open.conflict.remote.clone(),
                Resolution::Value(v) => v.clone(),
            };
            let mut fields = issues::fields(tx, id)?;
            fields
                .set(field, value.clone())
                .map_err(|e| Error::BadFieldValue {
                    field: field.to_string(),
                    value: value.display(),
                    problem: e.to_string(),
                })?;
            if field == Field::Title && fields.title.trim().is_empty() {
                return Err(Error::EmptyTitle);
            }
            let repo_id = issues::repo_of(tx, id)?;
            issues::write_fields(tx, repo_id, id, &fields, now)?;
            conflicts::delete(tx, id, field)?;
            outbox::note_edit(tx, id, now, agent_name)?;
            let how = match resolution {
                Resolution::Local => "kept the local value",
                Resolution::Remote => "took the tracker's value",
                Resolution::Value(_) => "set a new value",
            };
            log_issue(
                tx,
                &issue,
                id,
                "resolve",
                &format!("{field}: {how}"),
                agent_name,
            )
        })?;
        self.issue_by_id(id)
    }

    /// Makes the refused changes of an issue pending again, so the next sync tries them
    /// (after fixing a permission or a token, say).
    ///
    /// # Errors
    /// An unknown issue or a store failure.
    pub fn retry_changes(&self, reference: &str) -> Result<Issue> {
        let id = self.issue_id(reference)?;
        let issue = self.issue_by_id(id)?;
        self.store().write(|tx| -> Result<()> {
            if outbox::retry_failed_of_issue(tx, id, Timestamp::now())? > 0 {
                log_issue(
                    tx,
                    &issue,
                    id,
                    "retry",
                    "refused changes queued again",
                    None,
                )?;
            }
            Ok(())
        })?;
        self.issue_by_id(id)
    }

    /// Drops the local changes of an issue: edits, conflicts and unsent comments. The
    /// working copy goes back to the tracker's version; an issue that only existed here
    /// is deleted.
    ///
    /// # Errors
    /// An unknown issue or a store failure.
    pub fn discard(&self, reference: &str) -> Result<Discarded> {
        let id = self.issue_id(reference)?;
        let issue = self.issue_by_id(id)?;
        let reverted = self.store().write(|tx| -> Result<bool> {
            let base = issues::base_snapshot(tx, id)?;
            outbox::remove_all(tx, id)?;
            conflicts::delete_all(tx, id)?;
            comments::delete_unpushed(tx, id)?;
            let Some(base) = base else {
                // Logged first: deleting the issue then unlinks the row (ON DELETE SET
                // NULL) and the reference stays in its text.
                log_issue(
                    tx,
                    &issue,
                    id,
                    "discard",
                    "deleted the local issue before it was pushed",
                    None,
                )?;
                issues::delete_local(tx, id)?;
                return Ok(false);
            };
            let repo_id = issues::repo_of(tx, id)?;
            issues::write_fields(
                tx,
                repo_id,
                id,
                &IssueFields::of_remote(&base),
                base.updated_at,
            )?;
            log_issue(tx, &issue, id, "discard", "dropped the local changes", None)?;
            Ok(true)
        })?;
        if reverted {
            Ok(Discarded::Reverted {
                issue: Box::new(self.issue_by_id(id)?),
            })
        } else {
            Ok(Discarded::Deleted {
                reference: issue.reference,
            })
        }
    }
}

/// Whether `edit` asks for a change of `field` (even one that changes nothing).
fn edit_touches(edit: &IssueEdit, field: Field) -> bool {
    match field {
        Field::Title => edit.title.is_some(),
        Field::Body => edit.body.is_some(),
        Field::State => edit.state.is_some(),
        Field::Labels => {
            edit.labels.is_some() || !edit.add_labels.is_empty() || !edit.remove_labels.is_empty()
        }
        Field::Assignees => {
            edit.assignees.is_some()
                || !edit.add_assignees.is_empty()
                || !edit.remove_assignees.is_empty()
        }
        Field::Milestone => edit.milestone.is_some(),
    }
}

fn refuse_if_gone(issue: &Issue) -> Result<()> {
    match issue.remote_status {
        RemoteStatus::Present => Ok(()),
        status => Err(Error::RemoteGone {
            reference: issue.reference.clone(),
            status: status.as_str(),
        }),
    }
}

fn log_issue(
    tx: &rusqlite::Connection,
    issue: &Issue,
    issue_id: i64,
    operation: &str,
    detail: &str,
    agent: Option<&str>,
) -> Result<()> {
    let repo_id = issues::repo_of(tx, issue_id).ok();
    let connection_id = connections::by_name(tx, &issue.connection)?.map(|c| c.id);
    sync_log::append(
        tx,
        Timestamp::now(),
        &LogEntry {
            connection_id,
            repo_id,
            issue_id: Some(issue_id),
            operation,
            result: LogResult::Ok,
            detail: &format!("{}: {detail}", issue.reference),
            agent,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> IssueFields {
        IssueFields {
            title: "t".into(),
            body: "b".into(),
            state: IssueState::Open,
            state_reason: None,
            labels: vec!["bug".into(), "ui".into()],
            assignees: vec!["alice".into()],
            milestone: Some("v1".into()),
        }
    }

    #[test]
    fn edits_add_and_remove_set_members_without_replacing_the_set() {
        let edit = IssueEdit {
            add_labels: vec!["p1".into(), " ".into()],
            remove_labels: vec!["bug".into()],
            add_assignees: vec!["bob".into()],
            ..IssueEdit::default()
        };
        let after = edit.apply(fields()).unwrap();
        assert_eq!(after.labels, vec!["p1", "ui"]);
        assert_eq!(after.assignees, vec!["alice", "bob"]);
        assert_eq!(after.title, "t", "untouched fields stay");
    }

    #[test]
    fn a_replaced_set_still_takes_additions_and_removals() {
        let edit = IssueEdit {
            labels: Some(vec!["x".into(), "y".into()]),
            remove_labels: vec!["y".into()],
            add_labels: vec!["z".into()],
            ..IssueEdit::default()
        };
        assert_eq!(edit.apply(fields()).unwrap().labels, vec!["x", "z"]);
    }

    #[test]
    fn closing_keeps_the_reason_and_reopening_clears_it() {
        let close = IssueEdit {
            state: Some(IssueState::Closed),
            state_reason: Some("not_planned".into()),
            ..IssueEdit::default()
        };
        let closed = close.apply(fields()).unwrap();
        assert_eq!(closed.state_reason.as_deref(), Some("not_planned"));
        let reopen = IssueEdit {
            state: Some(IssueState::Open),
            ..IssueEdit::default()
        };
        assert_eq!(reopen.apply(closed).unwrap().state_reason, None);
    }

    #[test]
    fn a_null_milestone_clears_and_a_missing_one_stays() {
        let clear: IssueEdit = serde_json::from_str(r#"{"milestone": null}"#).unwrap();
        assert_eq!(clear.milestone, Some(None));
        let keep: IssueEdit = serde_json::from_str(r#"{"title": "x"}"#).unwrap();
        assert_eq!(keep.milestone, None);
        let set: IssueEdit = serde_json::from_str(r#"{"milestone": "v2"}"#).unwrap();
        assert_eq!(set.milestone, Some(Some("v2".into())));
    }

    #[test]
    fn empty_titles_are_refused_and_milestones_clear() {
        let blank = IssueEdit {
            title: Some("  ".into()),
            ..IssueEdit::default()
        };
        assert!(matches!(blank.apply(fields()), Err(Error::EmptyTitle)));
        let clear = IssueEdit {
            milestone: Some(None),
            ..IssueEdit::default()
        };
        assert_eq!(clear.apply(fields()).unwrap().milestone, None);
    }
}
