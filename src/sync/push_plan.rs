//! Pure decisions of a push: what to send for an edited issue, whether the tracker's
//! answer shows it took the change, and what a failed attempt means for its outbox row.
//! No I/O here; `push.rs` carries the decisions out.
//!
//! Invariants:
//! - Only fields where the working copy differs from the base are sent, never a field
//!   in conflict; sets go as the wanted set plus its additions and removals relative to
//!   the base, so each adapter can send the form its API takes.
//! - A failure that retrying cannot fix (validation, permissions, a deleted issue) ends
//!   the automatic retries; everything else backs off — to the tracker's reset time
//!   when rate limited.

use crate::model::{ChangeKind, Field, IssueFields, RemoteStatus, Timestamp};
use crate::provider::{IssueChanges, ProviderError, RetryPolicy, SetChange};

/// The changes that bring the tracker (`base`) to the working copy, leaving out
/// conflicted fields.
pub fn changes_to_push(
    base: &IssueFields,
    working: &IssueFields,
    conflicted: &[Field],
) -> IssueChanges {
    let mut changes = IssueChanges::default();
    for field in base
        .changed_fields(working)
        .into_iter()
        .filter(|f| !conflicted.contains(f))
    {
        match field {
            Field::Title => changes.title = Some(working.title.clone()),
            Field::Body => changes.body = Some(working.body.clone()),
            Field::State => {
                changes.state = Some(working.state);
                changes.state_reason = Some(working.state_reason.clone());
            }
            Field::Labels => {
                changes.labels = Some(SetChange::between(&base.labels, &working.labels));
            }
            Field::Assignees => {
                changes.assignees = Some(SetChange::between(&base.assignees, &working.assignees));
            }
            Field::Milestone => changes.milestone = Some(working.milestone.clone()),
        }
    }
    changes
}

/// The sent fields the tracker's answer does not show. Trackers normalise a little
/// (line endings, trailing space, the case of an existing label's name), so those
/// differences do not count.
pub fn not_applied(sent: &IssueChanges, answer: &IssueFields) -> Vec<Field> {
    fn text(s: &str) -> String {
        s.replace("\r\n", "\n").trim_end().to_string()
    }
    fn set(names: &[String]) -> Vec<String> {
        crate::model::normalize_set(names.iter().map(|n| n.to_lowercase()))
    }
    let mut refused = Vec::new();
    if sent
        .title
        .as_deref()
        .is_some_and(|t| t.trim() != answer.title.trim())
    {
        refused.push(Field::Title);
    }
    if sent
        .body
        .as_deref()
        .is_some_and(|b| text(b) != text(&answer.body))
    {
        refused.push(Field::Body);
    }
    if sent.state.is_some_and(|s| s != answer.state) {
        refused.push(Field::State);
    }
    if sent
        .labels
        .as_ref()
        .is_some_and(|l| set(&l.desired) != set(&answer.labels))
    {
        refused.push(Field::Labels);
    }
    if sent
        .assignees
        .as_ref()
        .is_some_and(|a| set(&a.desired) != set(&answer.assignees))
    {
        refused.push(Field::Assignees);
    }
    if sent
        .milestone
        .as_ref()
        .is_some_and(|m| *m != answer.milestone)
    {
        refused.push(Field::Milestone);
    }
    refused
}

/// What a failed push attempt means for its outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    /// Transient: try again at `at`.
    Retry { at: Timestamp },
    /// The tracker refuses everything until `at` (rate limit, rejected token): stop
    /// pushing this repository, keep the row pending.
    StopRepo { at: Timestamp },
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
        ProviderError::Unauthorized => FailureAction::StopRepo { at: later() },
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
    use crate::model::IssueState;
    use rstest::rstest;
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
        let changes = changes_to_push(&base(), &working, &[Field::Body]);
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
        assert!(changes_to_push(&base(), &base(), &[]).is_empty());
    }

    #[test]
    fn a_state_change_carries_its_reason() {
        let mut working = base();
        working.state = IssueState::Closed;
        working.state_reason = Some("not_planned".into());
        let changes = changes_to_push(&base(), &working, &[]);
        assert_eq!(changes.state, Some(IssueState::Closed));
        assert_eq!(changes.state_reason, Some(Some("not_planned".into())));
    }

    #[test]
    fn the_answer_shows_what_the_tracker_refused() {
        let mut working = base();
        working.title = "New".into();
        working.assignees = vec!["alice".into(), "bob".into()];
        working.labels = vec!["Bug".into(), "ui".into()];
        let sent = changes_to_push(&base(), &working, &[]);
        let mut answer = base();
        answer.title = "New".into();
        answer.labels = vec!["bug".into(), "ui".into()];
        assert_eq!(
            not_applied(&sent, &answer),
            vec![Field::Assignees],
            "the assignee was dropped; the label's case was only normalised"
        );
        answer.assignees = vec!["alice".into(), "bob".into()];
        assert!(not_applied(&sent, &answer).is_empty());
    }

    #[test]
    fn line_endings_and_trailing_space_are_not_refusals() {
        let sent = IssueChanges {
            body: Some("a\nb\n".into()),
            ..IssueChanges::default()
        };
        let mut answer = base();
        answer.body = "a\r\nb".into();
        assert!(not_applied(&sent, &answer).is_empty());
        answer.body = "a\nc".into();
        assert_eq!(not_applied(&sent, &answer), vec![Field::Body]);
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
    #[case::token_rejected(ProviderError::Unauthorized, ChangeKind::Update, "stop")]
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
