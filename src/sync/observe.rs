//! Observing the tracker's version of an issue: the one way a remote version enters the
//! store, whether a pull listed it, a push re-read it, or a write answered with it.
//!
//! Decide, then apply:
//! - [`decide`] is pure. From the stored base, the working copy, the open conflicts and
//!   the new remote version — judged with the tracker's [`Capabilities`] and the
//!   connection's policy — it says what happens: unchanged, take the remote, or merged
//!   (with which conflicts, which log lines, and whether anything is left to push).
//! - [`Observer::observe`] reads those inputs, calls [`decide`], and applies the decision
//!   in the caller's transaction: the only part that writes. An [`Observer`] reads the
//!   tracker's capabilities once, when it is made for a listing or a write.
//!
//! Invariants:
//! - The base snapshot always becomes the observed version: the working copy is "the
//!   tracker's version plus my pending edits", and what a push sends is derived from
//!   the difference of the two.
//! - A working copy without local changes (as the tracker counts changes) simply takes
//!   the tracker's fields, spelling included. One with local changes is merged three ways
//!   ([`merge`](super::merge)); conflicted fields keep the local value and a conflict row
//!   with all three values. Nothing is dropped.
//! - An issue whose body carries the marker of a local create, and that is not mirrored
//!   yet, is that create (adopted): a create is never mirrored twice.
//! - Every automatic decision and every new conflict is written to the sync log in the
//!   same transaction.

use rusqlite::Connection as Db;

use super::capabilities_of;
use super::merge::merge_with_open_conflicts;
use crate::model::{
    find_client_marker, ConflictPolicy, Field, FieldConflict, IssueFields, RemoteIssue, Repo,
    Timestamp,
};
use crate::provider::capabilities::learned_from_issue;
use crate::provider::Capabilities;
use crate::remote_url::page_of;
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{conflicts, connections, issues, outbox, sync_log, StoreError};

/// What observing one remote issue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Not mirrored before; now it is.
    Created { issue_id: i64 },
    /// The tracker changed it; the local copy had no changes of its own.
    Updated { issue_id: i64 },
    /// The same version as the stored base.
    Unchanged { issue_id: i64 },
    /// The tracker changed it while local changes wait: merged.
    Merged {
        issue_id: i64,
        /// Conflicts that appeared with this version.
        new_conflicts: usize,
    },
    /// It is a local create whose push had an unclear outcome.
    Adopted { issue_id: i64 },
}

impl Observed {
    pub fn issue_id(&self) -> i64 {
        match self {
            Self::Created { issue_id }
            | Self::Updated { issue_id }
            | Self::Unchanged { issue_id }
            | Self::Merged { issue_id, .. }
            | Self::Adopted { issue_id } => *issue_id,
        }
    }
}

/// What [`decide`] looks at besides the remote version.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The base: the tracker's version as last stored (`None` only for a row that
    /// never had one).
    pub stored: Option<&'a RemoteIssue>,
    /// The working copy.
    pub working: &'a IssueFields,
    /// Conflicts open on the issue.
    pub open: &'a [FieldConflict],
    pub policy: ConflictPolicy,
    pub capabilities: &'a Capabilities,
}

/// What to do with a remote version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The same content as the base. `newer_version`: only the concurrency tokens moved
    /// (a listing carries no ETag, a read does), and the fresher ones are kept.
    Unchanged { newer_version: bool },
    /// No local changes: the working copy becomes the tracker's version.
    TakeRemote,
    /// Local changes wait: the working copy becomes the merge.
    Merge(Box<MergeDecision>),
}

/// The outcome of merging a remote version into local changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeDecision {
    pub fields: IssueFields,
    /// The conflicts open after this version (replacing the issue's open ones).
    pub conflicts: Vec<FieldConflict>,
    /// Fields in conflict that were not before.
    pub new_conflicts: Vec<Field>,
    /// Sync-log rows: (operation, detail).
    pub log: Vec<(&'static str, String)>,
    /// Whether the working copy still differs from the tracker outside the conflicts
    /// (an update waits in the outbox exactly then).
    pub push: bool,
}

/// Decides what the remote version `remote` does to an issue. Pure.
pub fn decide(observation: &Observation<'_>, remote: &RemoteIssue) -> Decision {
    let caps = observation.capabilities;
    if let Some(stored) = observation.stored.filter(|b| same_content(b, remote)) {
        return Decision::Unchanged {
            newer_version: stored.version != remote.version && remote.version != Default::default(),
        };
    }
    let remote_fields = IssueFields::of_remote(remote);
    let base = observation
        .stored
        .map_or_else(|| observation.working.clone(), IssueFields::of_remote);
    if observation.open.is_empty() && caps.differing(&base, observation.working).is_empty() {
        return Decision::TakeRemote;
    }
    let merged = merge_with_open_conflicts(
        &base,
        observation.working,
        &remote_fields,
        observation.open,
        observation.policy,
        caps,
    );
    let conflicted: Vec<Field> = merged.conflicts.iter().map(|c| c.field).collect();
    let was_open: Vec<Field> = observation.open.iter().map(|c| c.field).collect();
    let new_conflicts: Vec<Field> = conflicted
        .iter()
        .copied()
        .filter(|f| !was_open.contains(f))
        .collect();
    let mut log: Vec<(&'static str, String)> = merged
        .decisions
        .iter()
        .map(|d| ("merge", d.to_string()))
        .collect();
    log.extend(new_conflicts.iter().map(|field| {
        (
            "conflict",
            format!(
                "{field}: changed differently here and on the tracker; kept both for you to resolve"
            ),
        )
    }));
    log.extend(
        was_open
            .iter()
            .filter(|f| !conflicted.contains(f))
            .map(|field| {
                (
                    "merge",
                    format!("{field}: the tracker's new value settles the conflict"),
                )
            }),
    );
    Decision::Merge(Box::new(MergeDecision {
        push: unsent_changes(caps, &merged.fields, &remote_fields, &conflicted),
        fields: merged.fields,
        conflicts: merged.conflicts,
        new_conflicts,
        log,
    }))
}

/// Brings the tracker's versions of one repository's issues into the store. Made once
/// per listing or write (it reads the tracker's [`Capabilities`] then, not per issue),
/// and keeps what it learns about the tracker on the way.
pub struct Observer<'a> {
    repo: &'a Repo,
    web_url: &'a str,
    policy: ConflictPolicy,
    caps: Capabilities,
}

impl<'a> Observer<'a> {
    /// An observer for `repo` on the connection whose web root is `web_url`.
    ///
    /// # Errors
    /// [`StoreError`] when what was learned about the tracker cannot be read.
    pub fn new(
        db: &Db,
        repo: &'a Repo,
        web_url: &'a str,
        policy: ConflictPolicy,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            repo,
            web_url,
            policy,
            caps: capabilities_of(db, repo)?,
        })
    }

    /// Brings the tracker's version `issue` into the store: reads what [`decide`] needs,
    /// decides, writes.
    ///
    /// # Errors
    /// [`StoreError`] on a read or write failure; the caller's transaction then keeps
    /// nothing of it.
    pub fn observe(
        &mut self,
        db: &Db,
        issue: &RemoteIssue,
        now: Timestamp,
    ) -> Result<Observed, StoreError> {
        let remote_fields = IssueFields::of_remote(issue);
        if let Some(learned) = learned_from_issue(&self.caps, &remote_fields) {
            connections::set_assignee_capacity(db, self.repo.connection_id, learned)?;
            self.caps = self.caps.with_assignees(learned);
        }
        observe_remote(
            db,
            self.repo,
            self.web_url,
            issue,
            self.policy,
            &self.caps,
            now,
        )
    }

    /// Links the local create `issue_id` to the tracker's `issue` (see [`adopt`]).
    ///
    /// # Errors
    /// [`StoreError`] on a write failure.
    pub fn adopt(
        &self,
        db: &Db,
        issue_id: i64,
        issue: &RemoteIssue,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        adopt(
            db,
            self.repo,
            self.web_url,
            issue_id,
            issue,
            &self.caps,
            now,
        )
    }
}

fn observe_remote(
    db: &Db,
    repo: &Repo,
    web_url: &str,
    issue: &RemoteIssue,
    policy: ConflictPolicy,
    caps: &Capabilities,
    now: Timestamp,
) -> Result<Observed, StoreError> {
    let page = page_of(repo, web_url, issue);
    let remote_url = page.as_str();
    let remote_fields = IssueFields::of_remote(issue);
    let Some(issue_id) = issues::find_for_remote(db, repo.id, issue)? else {
        if let Some(client_id) = find_client_marker(&issue.body) {
            if let Some(issue_id) = issues::unpushed_by_client_id(db, repo.id, client_id)? {
                adopt(db, repo, web_url, issue_id, issue, caps, now)?;
                return Ok(Observed::Adopted { issue_id });
            }
        }
        let issue_id = issues::insert_remote(db, repo, issue, remote_url, now)?;
        return Ok(Observed::Created { issue_id });
    };
    let stored = issues::base_snapshot(db, issue_id)?;
    let working = issues::fields(db, issue_id)?;
    let open: Vec<FieldConflict> = conflicts::for_issue(db, issue_id)?
        .into_iter()
        .map(|c| c.conflict)
        .collect();
    let decision = decide(
        &Observation {
            stored: stored.as_ref(),
            working: &working,
            open: &open,
            policy,
            capabilities: caps,
        },
        issue,
    );
    match decision {
        Decision::Unchanged { newer_version } => {
            if newer_version {
                issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
            } else {
                issues::touch_remote(db, issue_id, issue, now)?;
            }
            Ok(Observed::Unchanged { issue_id })
        }
        Decision::TakeRemote => {
            issues::write_fields(db, repo.id, issue_id, &remote_fields, issue.updated_at)?;
            issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
            // A difference the tracker does not keep is nothing to push.
            outbox::remove_update(db, issue_id)?;
            Ok(Observed::Updated { issue_id })
        }
        Decision::Merge(merged) => {
            let updated_at = issue.updated_at.max(issues::updated_at(db, issue_id)?);
            issues::write_fields(db, repo.id, issue_id, &merged.fields, updated_at)?;
            issues::store_remote(db, repo, issue_id, issue, remote_url, now)?;
            conflicts::replace_for_issue(db, issue_id, &merged.conflicts, now)?;
            if merged.push {
                outbox::ensure_update(db, issue_id, now)?;
            } else {
                outbox::remove_update(db, issue_id)?;
            }
            for (operation, detail) in &merged.log {
                sync_log::append(
                    db,
                    now,
                    &LogEntry::for_issue(repo, issue_id, operation, LogResult::Ok, detail),
                )?;
            }
            Ok(Observed::Merged {
                issue_id,
                new_conflicts: merged.new_conflicts.len(),
            })
        }
    }
}

/// Whether two versions of an issue say the same, concurrency tokens aside.
fn same_content(a: &RemoteIssue, b: &RemoteIssue) -> bool {
    let strip = |i: &RemoteIssue| RemoteIssue {
        version: Default::default(),
        ..i.clone()
    };
    strip(a) == strip(b)
}

/// Whether the working copy still differs from the tracker, as the tracker counts
/// differences, in a field that is not waiting for the person.
pub fn unsent_changes(
    capabilities: &Capabilities,
    working: &IssueFields,
    remote: &IssueFields,
    conflicted: &[Field],
) -> bool {
    capabilities
        .differing(working, remote)
        .iter()
        .any(|f| !conflicted.contains(f))
}

/// Links a local create to the tracker's issue: number, URL and base come from the
/// tracker; edits made locally after the create was sent stay and wait as an update.
fn adopt(
    db: &Db,
    repo: &Repo,
    web_url: &str,
    issue_id: i64,
    issue: &RemoteIssue,
    caps: &Capabilities,
    now: Timestamp,
) -> Result<(), StoreError> {
    if issues::by_id(db, issue_id)?.is_none() {
        // Discarded here while its create was in flight: the tracker has it now, and a
        // pull mirrors it as any other issue. Nothing refers to the deleted row.
        let detail = format!(
            "{}#{} was created on the tracker after its local draft was discarded; it is \
             mirrored as any other issue",
            repo.full_path, issue.number
        );
        return sync_log::append(
            db,
            now,
            &LogEntry {
                connection_id: Some(repo.connection_id),
                repo_id: Some(repo.id),
                issue_id: None,
                operation: "create",
                result: LogResult::Ok,
                detail: &detail,
                agent: None,
            },
        );
    }
    let local = issues::fields(db, issue_id)?;
    issues::store_remote(
        db,
        repo,
        issue_id,
        issue,
        &page_of(repo, web_url, issue),
        now,
    )?;
    let agent = outbox::create_agent(db, issue_id)?;
    outbox::remove_create(db, issue_id)?;
    if unsent_changes(caps, &local, &IssueFields::of_remote(issue), &[]) {
        outbox::ensure_update(db, issue_id, now)?;
    }
    let detail = format!("{}#{} created on the tracker", repo.full_path, issue.number);
    sync_log::append(
        db,
        now,
        &LogEntry::for_issue(repo, issue_id, "create", LogResult::Ok, &detail)
            .by_agent(agent.as_deref()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IssueState, Label, Milestone, ProviderKind, RemoteVersion, User};
    use crate::provider::{capabilities, AssigneeCapacity, IssueChanges};
    use crate::sync::push_plan::plan_update;
    use proptest::prelude::*;
    use rstest::rstest;

    fn fields() -> IssueFields {
        IssueFields {
            title: "Crash".into(),
            body: "one\ntwo\n".into(),
            state: IssueState::Open,
            state_reason: None,
            labels: vec!["bug".into()],
            assignees: vec!["alice".into()],
            milestone: Some("v1".into()),
        }
    }

    fn with(f: impl FnOnce(&mut IssueFields)) -> IssueFields {
        let mut x = fields();
        f(&mut x);
        x
    }

    /// The tracker's version of an issue with these fields.
    fn remote(f: &IssueFields) -> RemoteIssue {
        let at = Timestamp::parse("2026-01-05T10:00:00Z").unwrap();
        RemoteIssue {
            remote_id: 7,
            number: 1,
            title: f.title.clone(),
            body: f.body.clone(),
            state: f.state,
            state_reason: f.state_reason.clone(),
            labels: f
                .labels
                .iter()
                .map(|name| Label {
                    remote_id: None,
                    name: name.clone(),
                    color: None,
                    description: None,
                })
                .collect(),
            assignees: f
                .assignees
                .iter()
                .map(|login| User {
                    remote_id: 1,
                    login: login.clone(),
                    display_name: None,
                    avatar_url: None,
                })
                .collect(),
            milestone: f.milestone.as_ref().map(|title| Milestone {
                remote_id: 1,
                title: title.clone(),
                state: None,
                due_on: None,
            }),
            author: None,
            created_at: at,
            updated_at: at,
            closed_at: None,
            remote_url: None,
            version: RemoteVersion::default(),
            moved_to: None,
            comment_count: None,
        }
    }

    fn github() -> Capabilities {
        capabilities(ProviderKind::Github)
    }

    fn decide_with(
        base: &IssueFields,
        working: &IssueFields,
        open: &[FieldConflict],
        incoming: &RemoteIssue,
        caps: &Capabilities,
    ) -> Decision {
        let stored = remote(base);
        decide(
            &Observation {
                stored: Some(&stored),
                working,
                open,
                policy: ConflictPolicy::Ask,
                capabilities: caps,
            },
            incoming,
        )
    }

    #[test]
    fn the_same_version_is_unchanged_and_a_fresher_token_is_kept() {
        let same = decide_with(&fields(), &fields(), &[], &remote(&fields()), &github());
        assert_eq!(
            same,
            Decision::Unchanged {
                newer_version: false
            }
        );
        let mut tagged = remote(&fields());
        tagged.version.etag = Some("W/\"2\"".into());
        let fresher = decide_with(&fields(), &fields(), &[], &tagged, &github());
        assert_eq!(
            fresher,
            Decision::Unchanged {
                newer_version: true
            }
        );
    }

    #[rstest]
    #[case::no_local_changes(fields())]
    #[case::only_a_label_case(with(|f| f.labels = vec!["BUG".into()]))]
    #[case::only_line_endings(with(|f| f.body = "one\r\ntwo\r\n".into()))]
    fn a_copy_without_changes_the_tracker_keeps_takes_the_remote(#[case] working: IssueFields) {
        let incoming = remote(&with(|f| f.title = "Renamed".into()));
        assert_eq!(
            decide_with(&fields(), &working, &[], &incoming, &github()),
            Decision::TakeRemote
        );
    }

    #[rstest]
    // (local edit, remote edit, conflicted fields, left to push)
    #[case::different_fields(
        with(|f| f.title = "Mine".into()),
        with(|f| f.state = IssueState::Closed),
        vec![],
        true
    )]
    #[case::same_field_differently(
        with(|f| f.title = "Mine".into()),
        with(|f| f.title = "Theirs".into()),
        vec![Field::Title],
        false
    )]
    #[case::same_edit_both_sides(
        with(|f| f.title = "Same".into()),
        with(|f| f.title = "Same".into()),
        vec![],
        false
    )]
    #[case::close_meets_the_trackers_reason(
        with(|f| f.state = IssueState::Closed),
        with(|f| { f.state = IssueState::Closed; f.state_reason = Some("completed".into()); }),
        vec![],
        false
    )]
    fn local_changes_merge_with_the_remote(
        #[case] working: IssueFields,
        #[case] theirs: IssueFields,
        #[case] conflicted: Vec<Field>,
        #[case] push: bool,
    ) {
        let Decision::Merge(merged) =
            decide_with(&fields(), &working, &[], &remote(&theirs), &github())
        else {
            panic!("a merge");
        };
        let fields_in_conflict: Vec<Field> = merged.conflicts.iter().map(|c| c.field).collect();
        assert_eq!(fields_in_conflict, conflicted);
        assert_eq!(merged.new_conflicts, conflicted);
        assert_eq!(merged.push, push);
        assert_eq!(
            merged
                .log
                .iter()
                .filter(|(op, _)| *op == "conflict")
                .count(),
            conflicted.len(),
            "every new conflict is logged: {:?}",
            merged.log
        );
    }

    #[test]
    fn an_open_conflict_the_tracker_settles_is_logged_as_settled() {
        let working = with(|f| f.title = "Mine".into());
        let open = [FieldConflict {
            field: Field::Title,
            base: FieldValue::Text("Crash".into()),
            local: FieldValue::Text("Mine".into()),
            remote: FieldValue::Text("Theirs".into()),
        }];
        let theirs = with(|f| f.title = "Theirs".into());
        let Decision::Merge(merged) = decide_with(
            &theirs,
            &working,
            &open,
            &remote(&with(|f| f.title = "Mine".into())),
            &github(),
        ) else {
            panic!("a merge");
        };
        assert!(merged.conflicts.is_empty());
        assert!(!merged.push);
        assert!(merged
            .log
            .iter()
            .any(|(_, d)| d.contains("settles the conflict")));
    }

    use crate::model::FieldValue;

    /// What a tracker does with `changes` sent against `base`: it applies them and then
    /// normalises what it keeps the way `caps` says (the repository's label spelling,
    /// LF and no trailing whitespace when `rewrites_bodies`, its own state reasons).
    fn tracker_answer(
        caps: &Capabilities,
        base: &IssueFields,
        changes: &IssueChanges,
        rewrites_bodies: bool,
    ) -> IssueFields {
        let repo_labels = ["bug", "ui", "p1"];
        let mut kept = base.clone();
        if let Some(t) = &changes.title {
            kept.title = t.trim().to_string();
        }
        if let Some(b) = &changes.body {
            kept.body = if rewrites_bodies {
                b.replace("\r\n", "\n").trim_end().to_string()
            } else {
                b.clone()
            };
        }
        if let Some(state) = changes.state {
            let reason = changes.state_reason.clone().flatten();
            kept.state_reason = match (caps.state_reasons, reason, state) {
                (false, _, _) => None,
                (true, Some(r), _) => Some(r),
                (true, None, IssueState::Closed) => Some("completed".into()),
                (true, None, IssueState::Open) if base.state == IssueState::Closed => {
                    Some("reopened".into())
                }
                (true, None, IssueState::Open) => base.state_reason.clone(),
            };
            kept.state = state;
        }
        if let Some(labels) = &changes.labels {
            kept.labels = crate::model::normalize_set(labels.desired.iter().map(|name| {
                repo_labels
                    .iter()
                    .find(|l| caps.labels.key(l) == caps.labels.key(name))
                    .map_or_else(|| name.clone(), |l| (*l).to_string())
            }));
        }
        if let Some(a) = &changes.assignees {
            kept.assignees =
                crate::model::normalize_set(a.desired.iter().map(|login| login.to_lowercase()));
        }
        if let Some(m) = &changes.milestone {
            kept.milestone.clone_from(m);
        }
        kept
    }

    fn any_caps() -> impl Strategy<Value = Capabilities> {
        prop_oneof![
            Just(capabilities(ProviderKind::Github)),
            Just(capabilities(ProviderKind::Gitea)),
            Just(capabilities(ProviderKind::Gitlab).with_assignees(AssigneeCapacity::Many)),
        ]
    }

    fn names(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(proptest::sample::select(pool), 0..4)
            .prop_map(|v| crate::model::normalize_set(v.into_iter().map(str::to_string)))
    }

    fn any_fields(lowercase: bool) -> impl Strategy<Value = IssueFields> {
        let labels: &'static [&'static str] = if lowercase {
            &["bug", "ui", "p1"]
        } else {
            &["bug", "Bug", "BUG", "ui", "UI", "p1", "new"]
        };
        let logins: &'static [&'static str] = if lowercase {
            &["alice", "bob"]
        } else {
            &["alice", "Alice", "bob"]
        };
        let bodies: &'static [&'static str] = if lowercase {
            &["", "one\ntwo\n", "one\ntwo"]
        } else {
            &[
                "",
                "one\ntwo\n",
                "one\r\ntwo\r\n",
                "one\ntwo  \n\n",
                "three\r\n",
            ]
        };
        (
            proptest::sample::select(&["Crash", " Crash ", "Other"][..]),
            proptest::sample::select(bodies),
            any::<bool>(),
            proptest::option::of(proptest::sample::select(&["completed", "not_planned"][..])),
            names(labels),
            names(logins),
            proptest::option::of(proptest::sample::select(&["v1", "v2"][..])),
        )
            .prop_map(
                |(title, body, closed, reason, labels, assignees, milestone)| IssueFields {
                    title: title.trim().to_string(),
                    body: body.to_string(),
                    state: if closed {
                        IssueState::Closed
                    } else {
                        IssueState::Open
                    },
                    state_reason: reason.filter(|_| closed).map(str::to_string),
                    labels,
                    assignees,
                    milestone: milestone.map(str::to_string),
                },
            )
    }

    proptest! {
        /// After a push whose answer the tracker normalised, the next round sends
        /// nothing and shows no conflict.
        #[test]
        fn a_normalised_answer_leaves_nothing_to_push_and_no_conflict(
            caps in any_caps(),
            base in any_fields(true),
            working in any_fields(false),
            rewrites_bodies in any::<bool>(),
        ) {
            let mut working = working;
            if !caps.state_reasons {
                working.state_reason = None;
            }
            let mut base = base;
            if !caps.state_reasons {
                base.state_reason = None;
            }
            let plan = plan_update(&base, &working, &[], &caps);
            prop_assume!(plan.impossible.is_empty());
            let answer = tracker_answer(&caps, &base, &plan.changes, rewrites_bodies);
            let decision = decide_with(&base, &working, &[], &remote(&answer), &caps);
            let after = match decision {
                Decision::Unchanged { .. } => working.clone(),
                Decision::TakeRemote => answer.clone(),
                Decision::Merge(merged) => {
                    prop_assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
                    prop_assert!(!merged.push, "left to push: {:?}", caps.differing(&merged.fields, &answer));
                    merged.fields
                }
            };
            let next = plan_update(&answer, &after, &[], &caps);
            prop_assert!(next.changes.is_empty(), "sent again: {:?}", next.changes);
        }
    }
}
