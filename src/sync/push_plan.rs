//! Pure decisions of a push: what to send for an edited issue ([`plan_update`]),
//! whether the tracker's answer shows it took the change ([`judge_answer`]), and what a
//! failed attempt means for its outbox row ([`on_push_failure`]). No I/O here;
//! `push.rs` carries the decisions out.
//!
//! Invariants:
//! - Only fields where the working copy differs from the base, as the tracker counts
//!   differences ([`Capabilities`]), are sent, never a field in conflict; a difference
//!   the tracker does not keep is adopted from it instead, so it is never pushed every
//!   round. Sets go as the wanted set plus its additions and removals relative to the
//!   base, so each adapter can send the form its API takes.
//! - A value the tracker cannot hold (a second assignee on a one-assignee tracker) is
//!   not sent; it is kept and reported.
//! - A failure that retrying cannot fix (validation, permissions, a deleted issue) ends
//!   the automatic retries; everything else backs off — to the tracker's reset time
//!   when rate limited.

use crate::model::{normalize_set, ChangeKind, Field, IssueFields, RemoteStatus, Timestamp};
use crate::provider::capabilities::learned_from_answer;
use crate::provider::{
    AssigneeCapacity, Capabilities, IssueChanges, NameMatching, ProviderError, RetryPolicy,
    SetChange,
};

/// What pushing an edited issue does, decided from the fresh base and the working copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdatePlan {
    /// What to send.
    pub changes: IssueChanges,
    /// The fields in `changes`.
    pub sent: Vec<Field>,
    /// Fields where the working copy differs from the tracker only in a way the tracker
    /// does not keep (a label's case, CRLF, a reason nobody chose): the working copy
    /// takes the tracker's spelling and nothing is sent.
    pub adopt: Vec<Field>,
    /// Fields the tracker cannot hold as they are (two assignees where it keeps one),
    /// with why: not sent, kept, marked failed.
    pub impossible: Vec<(Field, String)>,
    /// A sent field is guarded by the tracker's compare-and-swap: the write carries the
    /// version it was based on (else nothing would check it, and none is sent).
    pub compare_and_swap: bool,
}

impl UpdatePlan {
    /// Nothing to send and nothing to report.
    pub fn is_settled(&self) -> bool {
        self.changes.is_empty() && self.impossible.is_empty()
    }
}

/// Plans the push that brings the tracker (`base`) to the working copy, leaving out
/// conflicted fields, judging differences the way the tracker does.
pub fn plan_update(
    base: &IssueFields,
    working: &IssueFields,
    conflicted: &[Field],
    capabilities: &Capabilities,
) -> UpdatePlan {
    let mut plan = UpdatePlan::default();
    for field in base
        .changed_fields(working)
        .into_iter()
        .filter(|f| !conflicted.contains(f))
    {
        let wanted = working.value(field);
        if capabilities.same(field, &base.value(field), &wanted) {
            plan.adopt.push(field);
            continue;
        }
        if let Some(why) = capabilities.cannot_hold(field, &wanted) {
            plan.impossible.push((field, why));
            continue;
        }
        plan.sent.push(field);
        plan.compare_and_swap |= capabilities.guards(field);
        let changes = &mut plan.changes;
        match field {
            Field::Title => changes.title = Some(working.title.clone()),
            Field::Body => changes.body = Some(working.body.clone()),
            Field::State => {
                changes.state = Some(working.state);
                changes.state_reason = Some(working.state_reason.clone());
            }
            Field::Labels => {
                changes.labels = Some(set_change(
                    capabilities.labels,
                    &base.labels,
                    &working.labels,
                ));
            }
            Field::Assignees => {
                changes.assignees = Some(set_change(
                    capabilities.logins,
                    &base.assignees,
                    &working.assignees,
                ));
            }
            Field::Milestone => changes.milestone = Some(working.milestone.clone()),
        }
    }
    plan
}

/// The change from the tracker's set `current` to `desired`, matching names as the
/// tracker does: a name it already has keeps its spelling and is neither added nor
/// removed.
fn set_change(matching: NameMatching, current: &[String], desired: &[String]) -> SetChange {
    let has =
        |names: &[String], name: &str| names.iter().any(|n| matching.key(n) == matching.key(name));
    let kept = current.iter().filter(|c| has(desired, c));
    let mut added: Vec<String> = Vec::new();
    for d in desired {
        if !has(current, d) && !has(&added, d) {
            added.push(d.clone());
        }
    }
    let removed = normalize_set(current.iter().filter(|c| !has(desired, c)).cloned());
    SetChange {
        desired: normalize_set(kept.cloned().chain(added.iter().cloned())),
        added: normalize_set(added),
        removed,
    }
}

/// What the tracker's answer to a write says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerVerdict {
    /// Sent fields the answer does not show: silently refused.
    pub refused: Vec<Field>,
    /// What the answer taught about how many assignees the tracker keeps.
    pub learned: Option<AssigneeCapacity>,
}

/// Judges the tracker's `answer` to `sent`. A value the tracker only normalised (see
/// [`Capabilities::same`]) was applied.
pub fn judge_answer(
    sent: &IssueChanges,
    answer: &IssueFields,
    capabilities: &Capabilities,
) -> AnswerVerdict {
    let mut wanted = answer.clone();
    if let Some(t) = &sent.title {
        wanted.title.clone_from(t);
    }
    if let Some(b) = &sent.body {
        wanted.body.clone_from(b);
    }
    if let Some(s) = sent.state {
        wanted.state = s;
        wanted.state_reason = sent.state_reason.clone().flatten();
    }
    if let Some(l) = &sent.labels {
        wanted.labels.clone_from(&l.desired);
    }
    if let Some(a) = &sent.assignees {
        wanted.assignees.clone_from(&a.desired);
    }
    if let Some(m) = &sent.milestone {
        wanted.milestone.clone_from(m);
    }
    AnswerVerdict {
        refused: capabilities.differing(&wanted, answer),
        learned: learned_from_answer(
            capabilities,
            sent.assignees.as_ref().map(|a| a.desired.as_slice()),
            answer,
        ),
    }
}

/// What a failed push attempt means for its outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    /// Transient: try again at `at`.
    Retry { at: Timestamp },
    /// The tracker refuses everything until `at` (rate limit, rejected token): stop
    /// pushing this repository, keep the row pending.
    StopRepo { at: Timestamp },
    /// The tracker rejected the token: stop pushing this repository and leave the row
    /// due as it is, so the change goes out as soon as the token is replaced.
    TokenRejected,
    /// Refused for good: keep the change, mark it failed.
    Fail,
    /// The issue is no longer on the tracker (deleted or moved).
    Gone(RemoteStatus),
}

/// Decides what a failed attempt of a `kind` change means, after `attempts` earlier
/// transient failures.
pub fn on_push_failure(
    error: &ProviderError,
    kind: ChangeKind,
    attempts: u32,
    now: Timestamp,
    retry: &RetryPolicy,
) -> FailureAction {
    let later = || Timestamp::from_datetime(now.as_datetime() + chrono_delay(retry, attempts));
    match error {
        ProviderError::RateLimited { retry_at } => FailureAction::StopRepo { at: *retry_at },
        ProviderError::Unauthorized => FailureAction::TokenRejected,
        ProviderError::Unreachable { .. }
        | ProviderError::Transport { .. }
        | ProviderError::Server { .. }
        | ProviderError::Conflict => FailureAction::Retry { at: later() },
        // A create that gets "not found" names a repository we cannot reach, not a
        // deleted issue.
        ProviderError::NotFound { .. } | ProviderError::Gone { .. }
            if kind == ChangeKind::Create =>
        {
            FailureAction::Fail
        }
        ProviderError::NotFound { .. } | ProviderError::Gone { .. } => {
            FailureAction::Gone(RemoteStatus::Deleted)
        }
        ProviderError::Moved { .. } => FailureAction::Gone(RemoteStatus::Moved),
        ProviderError::Forbidden { .. }
        | ProviderError::Validation { .. }
        | ProviderError::NeedsToken
        | ProviderError::Decode { .. }
        | ProviderError::ForeignLink { .. }
        | ProviderError::TooLarge { .. }
        | ProviderError::EndlessListing { .. }
        | ProviderError::QueryFailed { .. }
        | ProviderError::InvalidInput(_)
        | ProviderError::UnexpectedStatus { .. } => FailureAction::Fail,
    }
}

fn chrono_delay(retry: &RetryPolicy, attempts: u32) -> chrono::Duration {
    chrono::Duration::from_std(retry.defer_delay(attempts)).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IssueState, ProviderKind};
    use rstest::rstest;

    fn caps() -> Capabilities {
        crate::provider::capabilities(ProviderKind::Github)
    }
    use std::time::Duration;

    fn base() -> IssueFields {
        IssueFields {
            title: "Crash".into(),
            body: "one\ntwo\n".into(),
            state: IssueState::Open,
            state_reason: None,
            labels: vec!["bug".into(), "ui".into()],
            assignees: vec!["alice".into()],
            milestone: Some("v1".into()),
        }
    }

    #[test]
    fn only_changed_fields_are_sent_and_conflicted_ones_never() {
        let mut working = base();
        working.title = "Crash on start".into();
        working.labels = vec!["p1".into(), "ui".into()];
        working.milestone = None;
        working.body = "changed".into();
        let changes = plan_update(&base(), &working, &[Field::Body], &caps()).changes;
        assert_eq!(changes.title.as_deref(), Some("Crash on start"));
        assert_eq!(
            changes.body, None,
            "a conflicted field waits for the person"
        );
        assert_eq!(changes.state, None);
        assert_eq!(changes.assignees, None);
        assert_eq!(changes.milestone, Some(None), "clearing is a change too");
        let labels = changes.labels.unwrap();
        assert_eq!(labels.desired, vec!["p1", "ui"]);
        assert_eq!(labels.added, vec!["p1"]);
        assert_eq!(labels.removed, vec!["bug"]);
        assert!(plan_update(&base(), &base(), &[], &caps()).is_settled());
    }

    #[test]
    fn a_state_change_carries_its_reason() {
        let mut working = base();
        working.state = IssueState::Closed;
        working.state_reason = Some("not_planned".into());
        let changes = plan_update(&base(), &working, &[], &caps()).changes;
        assert_eq!(changes.state, Some(IssueState::Closed));
        assert_eq!(changes.state_reason, Some(Some("not_planned".into())));
    }

    #[test]
    fn the_answer_shows_what_the_tracker_refused() {
        let mut working = base();
        working.title = "New".into();
        working.assignees = vec!["alice".into(), "bob".into()];
        working.labels = vec!["Bug".into(), "ui".into()];
        let sent = plan_update(&base(), &working, &[], &caps()).changes;
        let mut answer = base();
        answer.title = "New".into();
        answer.labels = vec!["bug".into(), "ui".into()];
        assert_eq!(
            judge_answer(&sent, &answer, &caps()).refused,
            vec![Field::Assignees],
            "the assignee was dropped; the label's case was only normalised"
        );
        answer.assignees = vec!["alice".into(), "bob".into()];
        assert!(judge_answer(&sent, &answer, &caps()).refused.is_empty());
    }

    #[test]
    fn line_endings_and_trailing_space_are_not_refusals() {
        let sent = IssueChanges {
            body: Some("a\nb\n".into()),
            ..IssueChanges::default()
        };
        let mut answer = base();
        answer.body = "a\r\nb".into();
        assert!(judge_answer(&sent, &answer, &caps()).refused.is_empty());
        answer.body = "a\nc".into();
        assert_eq!(
            judge_answer(&sent, &answer, &caps()).refused,
            vec![Field::Body]
        );
    }

    #[test]
    fn a_difference_the_tracker_does_not_keep_is_adopted_not_sent() {
        let mut working = base();
        working.labels = vec!["Bug".into(), "bug".into(), "ui".into()];
        working.body = "one\r\ntwo\r\n".into();
        working.state_reason = Some("completed".into());
        let plan = plan_update(&base(), &working, &[], &caps());
        assert!(plan.changes.is_empty(), "{plan:?}");
        assert_eq!(plan.adopt, vec![Field::Body, Field::State, Field::Labels]);
        assert!(plan.is_settled());
    }

    #[test]
    fn only_a_write_of_a_guarded_field_carries_its_version() {
        let gitea = crate::provider::capabilities(ProviderKind::Gitea);
        let mut working = base();
        working.title = "New".into();
        assert!(!plan_update(&base(), &working, &[], &gitea).compare_and_swap);
        working.body = "three\n".into();
        assert!(plan_update(&base(), &working, &[], &gitea).compare_and_swap);
        assert!(
            !plan_update(&base(), &working, &[], &caps()).compare_and_swap,
            "GitHub guards nothing"
        );
    }

    #[test]
    fn a_label_the_tracker_has_keeps_its_spelling_and_is_not_re_added() {
        let mut working = base();
        working.labels = vec!["BUG".into(), "p1".into()];
        let labels = plan_update(&base(), &working, &[], &caps())
            .changes
            .labels
            .unwrap();
        assert_eq!(labels.desired, vec!["bug", "p1"]);
        assert_eq!(labels.added, vec!["p1"]);
        assert_eq!(labels.removed, vec!["ui"]);
    }

    #[test]
    fn a_second_assignee_is_not_sent_where_the_tracker_keeps_one() {
        let one = caps().with_assignees(AssigneeCapacity::One);
        let mut working = base();
        working.assignees = vec!["alice".into(), "bob".into()];
        working.title = "New".into();
        let plan = plan_update(&base(), &working, &[], &one);
        assert_eq!(plan.sent, vec![Field::Title]);
        assert_eq!(plan.changes.assignees, None);
        assert_eq!(plan.impossible.len(), 1);
        assert_eq!(plan.impossible[0].0, Field::Assignees);
        assert!(!plan.is_settled());
    }

    #[test]
    fn an_answer_that_kept_one_of_two_assignees_teaches_one() {
        let unknown = crate::provider::capabilities(ProviderKind::Gitlab);
        let mut working = base();
        working.assignees = vec!["alice".into(), "bob".into()];
        let sent = plan_update(&base(), &working, &[], &unknown).changes;
        let verdict = judge_answer(&sent, &base(), &unknown);
        assert_eq!(verdict.refused, vec![Field::Assignees]);
        assert_eq!(verdict.learned, Some(AssigneeCapacity::One));
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-01-05T10:00:00Z").unwrap()
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            defer_base: Duration::from_secs(30),
            defer_max: Duration::from_secs(3600),
            ..RetryPolicy::default()
        }
    }

    #[rstest]
    #[case::validation(ProviderError::Validation { message: "bad".into() }, ChangeKind::Update, "fail")]
    #[case::forbidden(ProviderError::Forbidden { message: None }, ChangeKind::Update, "fail")]
    #[case::anonymous(ProviderError::NeedsToken, ChangeKind::Comment, "fail")]
    #[case::server(ProviderError::Server { status: 502, url: "u".into() }, ChangeKind::Create, "retry")]
    #[case::stale_version(ProviderError::Conflict, ChangeKind::Update, "retry")]
    #[case::deleted_issue(ProviderError::Gone { what: "x".into() }, ChangeKind::Update, "deleted")]
    #[case::missing_issue(ProviderError::NotFound { what: "x".into() }, ChangeKind::Comment, "deleted")]
    #[case::missing_repo_on_create(ProviderError::NotFound { what: "x".into() }, ChangeKind::Create, "fail")]
    #[case::moved(ProviderError::Moved { what: "x".into(), to: "y".into() }, ChangeKind::Update, "moved")]
    #[case::token_rejected(ProviderError::Unauthorized, ChangeKind::Update, "token")]
    fn failures_end_the_way_their_kind_says(
        #[case] error: ProviderError,
        #[case] kind: ChangeKind,
        #[case] expected: &str,
    ) {
        let got = match on_push_failure(&error, kind, 0, now(), &policy()) {
            FailureAction::Fail => "fail",
            FailureAction::Retry { at } => {
                assert!(at > now(), "a retry waits");
                "retry"
            }
            FailureAction::StopRepo { .. } => "stop",
            FailureAction::TokenRejected => "token",
            FailureAction::Gone(RemoteStatus::Deleted) => "deleted",
            FailureAction::Gone(RemoteStatus::Moved) => "moved",
            FailureAction::Gone(RemoteStatus::Present) => "present?",
        };
        assert_eq!(got, expected, "{error}");
    }

    #[test]
    fn a_rate_limit_waits_for_the_reset_and_retries_back_off() {
        let reset = now().plus_seconds(1800);
        assert_eq!(
            on_push_failure(
                &ProviderError::RateLimited { retry_at: reset },
                ChangeKind::Update,
                0,
                now(),
                &policy()
            ),
            FailureAction::StopRepo { at: reset }
        );
        let delay = |attempts| match on_push_failure(
            &ProviderError::Conflict,
            ChangeKind::Update,
            attempts,
            now(),
            &policy(),
        ) {
            FailureAction::Retry { at } => at.as_datetime() - now().as_datetime(),
            other => panic!("{other:?}"),
        };
        assert!(
            delay(0) >= chrono::Duration::seconds(15) && delay(0) <= chrono::Duration::seconds(30)
        );
        assert!(delay(3) >= chrono::Duration::seconds(120), "it grows");
        assert!(
            delay(30) <= chrono::Duration::seconds(3600),
            "and is capped"
        );
    }
}
