//! Push: store → tracker, for one repository. Works through the due outbox rows,
//! oldest first: creates, updates and comments. This is the apply side: what to send and
//! what an answer means are decided by the pure [`plan_update`] and [`judge_answer`]
//! (`push_plan.rs`); each decision is carried out here once, in one transaction.
//!
//! Invariants:
//! - The remote is re-read just before each update (by ETag where the tracker has them)
//!   and merged into the working copy first, so an edit made on the tracker meanwhile is
//!   never overwritten; only the fields that differ from the fresh base (as the tracker
//!   counts differences) are sent, and conflicted fields are never sent. Gitea's
//!   `content_version` makes the body a compare-and-swap: a 409 re-reads and merges
//!   again. Other fields rely on that re-read (see `docs/sync.md`).
//! - The tracker's answer becomes the new base (via [`Observer::observe`]); a field the
//!   answer does not show was silently refused, and the change is marked failed rather
//!   than pushed forever; what the answer teaches about the tracker (one assignee kept of
//!   two) is remembered for the connection before the answer is merged.
//! - Creates and comments are not idempotent: `sent_at` is committed before sending, and
//!   a row with it set is looked for on the tracker (by its marker) before it is sent
//!   again. Exactly one remote issue or comment per local one.
//! - Transient failures back off (the tracker's reset time when rate limited); permanent
//!   refusals keep the change, marked failed with the tracker's message. A deleted or
//!   moved issue becomes a visible state, not a retry loop.
//! - The store lock is never held across a request.

use std::sync::Mutex;

use super::observe::{Observed, Observer};
use super::pull::{endless, trusted_comment};
use super::push_plan::{judge_answer, on_push_failure, plan_update, AnswerVerdict, FailureAction};
use super::{capabilities_of, lock, SyncError};
use crate::model::{
    client_marker, find_client_marker, with_marker, ChangeKind, ConflictPolicy, Field, IssueFields,
    RemoteIssue, RemoteStatus, RemoteVersion, Repo, Timestamp,
};
use crate::provider::{
    AssigneeCapacity, IssueListing, NewRemoteIssue, Provider, ProviderError, RetryPolicy,
};
use crate::store::outbox::OutboxEntry;
use crate::store::sync_log::{LogEntry, LogResult};
use crate::store::{comments, conflicts, connections, issues, outbox, repos, sync_log, Store};

/// What one repository's push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct PushReport {
    /// Local issues created on the tracker.
    pub created: usize,
    /// Issues whose local edits reached the tracker.
    pub updated: usize,
    /// Local comments added on the tracker.
    pub comments: usize,
    /// Changes refused for good (kept, marked failed).
    pub failed: usize,
    /// Changes that hit a transient failure and wait for a later sync.
    pub deferred: usize,
    /// Conflicts found while re-reading issues before writing.
    pub conflicts: usize,
    /// When a rate limit lifts, if one stopped the push.
    pub retry_at: Option<Timestamp>,
}

/// Everything a push step needs.
#[derive(Clone, Copy)]
pub struct PushContext<'a> {
    pub store: &'a Mutex<Store>,
    pub provider: &'a dyn Provider,
    pub web_url: &'a str,
    pub policy: ConflictPolicy,
    pub repo: &'a Repo,
    pub retry: &'a RetryPolicy,
    /// A redirect (`ProviderError::Moved`) stops the push instead of marking the issue
    /// moved, so the caller can first ask whether the whole repository moved
    /// ([`super::rename`]); off on the second run, when it did not.
    pub stop_at_redirect: bool,
}

impl<'a> PushContext<'a> {
    /// An [`Observer`] for the tracker's answers in this repository.
    fn observer(
        &self,
        db: &rusqlite::Connection,
    ) -> Result<Observer<'a>, crate::store::StoreError> {
        Observer::new(db, self.repo, self.web_url, self.policy)
    }

    /// The same, for a move the tracker stated itself (no redirect to look into).
    fn settled(&self) -> Self {
        Self {
            stop_at_redirect: false,
            ..*self
        }
    }
}

/// How one outbox row ended.
enum Step {
    Done,
    /// Nothing to do now (e.g. a comment waiting for its issue's create).
    Waiting,
    Deferred,
    Failed,
    /// Stop pushing this repository: the tracker refuses everything for now (rate
    /// limited until a time, or the token rejected).
    Stop(ProviderError),
}

/// Pushes the due outbox rows of `ctx.repo`. Returns the tracker's refusal that stopped
/// the push early (a rate limit, a rejected token), if one did: the pull would meet it
/// too.
///
/// # Errors
/// Only store failures; tracker failures are recorded on their outbox rows.
pub async fn push_repo(
    ctx: &PushContext<'_>,
    report: &mut PushReport,
) -> Result<Option<ProviderError>, SyncError> {
    let due = outbox::due(lock(ctx.store).conn(), ctx.repo.id, Timestamp::now())?;
    for entry in due {
        // An earlier step may have settled this row (an adopted create, say).
        let Some(entry) = outbox::get(lock(ctx.store).conn(), entry.id)? else {
            continue;
        };
        let step = match entry.kind {
            ChangeKind::Create => push_create(ctx, &entry, report).await?,
            ChangeKind::Update => push_update(ctx, &entry, report).await?,
            ChangeKind::Comment => push_comment(ctx, &entry, report).await?,
        };
        match step {
            Step::Done | Step::Waiting => {}
            Step::Deferred => report.deferred += 1,
            Step::Failed => report.failed += 1,
            Step::Stop(error) => {
                // A redirect is looked into and the row tried again in this round.
                if !matches!(error, ProviderError::Moved { .. }) {
                    report.deferred += 1;
                }
                if let ProviderError::RateLimited { retry_at } = &error {
                    report.retry_at = Some(*retry_at);
                }
                return Ok(Some(error));
            }
        }
    }
    Ok(None)
}

fn log(
    ctx: &PushContext<'_>,
    tx: &rusqlite::Connection,
    issue_id: i64,
    operation: &str,
    result: LogResult,
    detail: &str,
) -> Result<(), SyncError> {
    let entry = LogEntry::for_issue(ctx.repo, issue_id, operation, result, detail);
    sync_log::append(tx, Timestamp::now(), &entry)?;
    Ok(())
}

/// A log row about an outbox row's change, marked with the agent that made it.
fn log_of(
    ctx: &PushContext<'_>,
    tx: &rusqlite::Connection,
    entry: &OutboxEntry,
    operation: &str,
    result: LogResult,
    detail: &str,
) -> Result<(), SyncError> {
    let row = LogEntry::for_issue(ctx.repo, entry.issue_id, operation, result, detail)
        .by_agent(entry.agent.as_deref());
    sync_log::append(tx, Timestamp::now(), &row)?;
    Ok(())
}

/// Records a failed attempt on its row and says how the step ended.
fn record_failure(
    ctx: &PushContext<'_>,
    entry: &OutboxEntry,
    what: &str,
    error: &ProviderError,
) -> Result<Step, SyncError> {
    if let ProviderError::Moved { what, to } = error {
        if ctx.stop_at_redirect {
            // Nothing recorded: the row is tried again once it is known whether the
            // repository moved (then under its new path) or only this issue did.
            return Ok(Step::Stop(ProviderError::Moved {
                what: what.clone(),
                to: to.clone(),
            }));
        }
    }
    let now = Timestamp::now();
    let action = on_push_failure(error, entry.kind, entry.attempts, now, ctx.retry);
    let mut db = lock(ctx.store);
    db.write(|tx| -> Result<Step, SyncError> {
        let message = error.to_string();
        let step = match action {
            FailureAction::Retry { at } | FailureAction::StopRepo { at } => {
                outbox::defer(tx, entry.id, at, error.code(), &message, now)?;
                log_of(
                    ctx,
                    tx,
                    entry,
                    what,
                    LogResult::Error,
                    &format!("{message}; will try again after {at}"),
                )?;
                if matches!(action, FailureAction::StopRepo { .. }) {
                    Step::Stop(ProviderError::RateLimited { retry_at: at })
                } else {
                    Step::Deferred
                }
            }
            FailureAction::TokenRejected => {
                log_of(
                    ctx,
                    tx,
                    entry,
                    what,
                    LogResult::Error,
                    &format!("{message}; kept, it goes out once the token is replaced"),
                )?;
                Step::Stop(ProviderError::Unauthorized)
            }
            FailureAction::Fail => {
                outbox::fail(tx, entry.id, error.code(), &message, now)?;
                log_of(
                    ctx,
                    tx,
                    entry,
                    what,
                    LogResult::Error,
                    &format!("{message}; kept locally, fix or discard it"),
                )?;
                Step::Failed
            }
            FailureAction::Gone(status) => {
                issues::mark_remote_status(tx, entry.issue_id, status)?;
                let text = format!(
                    "the issue is {} on the tracker; local changes kept, discard them when done",
                    status.as_str()
                );
                outbox::fail(tx, entry.id, "remote_gone", &text, now)?;
                log_of(ctx, tx, entry, what, LogResult::Error, &text)?;
                Step::Failed
            }
        };
        Ok(step)
    })
}

/// Re-reads an issue and sends the fields edited here.
async fn push_update(
    ctx: &PushContext<'_>,
    entry: &OutboxEntry,
    report: &mut PushReport,
) -> Result<Step, SyncError> {
    let id = entry.issue_id;
    // Gitea answers a stale content_version with 409: re-read, merge, try again.
    for _ in 0..3 {
        let (number, base, status) = {
            let db = lock(ctx.store);
            let issue = issues::by_id(db.conn(), id)?;
            let base = issues::base_snapshot(db.conn(), id)?;
            match (issue, base) {
                (Some(issue), Some(base)) => match issue.number {
                    Some(n) => (n, base, issue.remote_status),
                    None => return Ok(Step::Waiting),
                },
                // The create has not landed yet; it carries the edit.
                _ => return Ok(Step::Waiting),
            }
        };
        if status != RemoteStatus::Present {
            let error = gone_error(ctx, number, status);
            return record_failure(&ctx.settled(), entry, "push", &error);
        }
        let mut base = base;
        match ctx
            .provider
            .get_issue_if_changed(&ctx.repo.full_path, number, &base.version)
            .await
        {
            Ok(None) => {}
            Ok(Some(fresh)) => {
                let observed = lock(ctx.store)
                    .write(|tx| ctx.observer(tx)?.observe(tx, &fresh, Timestamp::now()))?;
                if let Observed::Merged { new_conflicts, .. } = observed {
                    report.conflicts += new_conflicts;
                }
                // Moved elsewhere (GitLab `moved_to_id`): nothing can be written here.
                // The tracker said so itself: no redirect to look into.
                if fresh.moved_to.is_some() {
                    let error = gone_error(ctx, number, RemoteStatus::Moved);
                    return record_failure(&ctx.settled(), entry, "push", &error);
                }
                base = fresh;
            }
            Err(e) => return record_failure(ctx, entry, "push", &e),
        }

        // Decide on the freshest base; a difference the tracker does not keep is taken
        // from it in the same transaction.
        let (plan, caps) = lock(ctx.store).write(|tx| -> Result<_, SyncError> {
            let caps = capabilities_of(tx, ctx.repo)?;
            let working = issues::fields(tx, id)?;
            let conflicted: Vec<Field> = conflicts::for_issue(tx, id)?
                .into_iter()
                .map(|c| c.conflict.field)
                .collect();
            let base_fields = IssueFields::of_remote(&base);
            let plan = plan_update(&base_fields, &working, &conflicted, &caps);
            if !plan.adopt.is_empty() {
                let mut adopted = working;
                for field in &plan.adopt {
                    let _ = adopted.set(*field, base_fields.value(*field));
                }
                let at = issues::updated_at(tx, id)?;
                issues::write_fields(tx, ctx.repo.id, id, &adopted, at)?;
            }
            Ok((plan, caps))
        })?;
        if plan.changes.is_empty() {
            // The tracker already has it, or only conflicted fields differ, or what is
            // left cannot be held by the tracker.
            return lock(ctx.store).write(|tx| -> Result<Step, SyncError> {
                if plan.impossible.is_empty() {
                    outbox::remove_update(tx, id)?;
                    return Ok(Step::Done);
                }
                keep_failed(ctx, tx, id, &impossible_message(&plan.impossible))?;
                Ok(Step::Failed)
            });
        }

        let expected = if plan.compare_and_swap {
            base.version.clone()
        } else {
            RemoteVersion::default()
        };
        match ctx
            .provider
            .update_issue(&ctx.repo.full_path, number, &plan.changes, &expected)
            .await
        {
            Ok(answer) => {
                let verdict = judge_answer(&plan.changes, &IssueFields::of_remote(&answer), &caps);
                let step = lock(ctx.store).write(|tx| -> Result<Step, SyncError> {
                    let now = Timestamp::now();
                    if let Some(learned) = verdict.learned {
                        connections::set_assignee_capacity(tx, ctx.repo.connection_id, learned)?;
                        log(
                            ctx,
                            tx,
                            id,
                            "push",
                            LogResult::Ok,
                            &format!(
                                "learned from the answer: the tracker keeps {} assignee(s) per issue",
                                learned.as_str()
                            ),
                        )?;
                    }
                    ctx.observer(tx)?.observe(tx, &answer, now)?;
                    let mut problems: Vec<String> = Vec::new();
                    if !verdict.refused.is_empty() {
                        problems.push(refused_message(&verdict, &answer));
                    }
                    if !plan.impossible.is_empty() {
                        problems.push(impossible_message(&plan.impossible));
                    }
                    let sent: Vec<&str> = plan.sent.iter().map(|f| f.as_str()).collect();
                    if problems.is_empty() {
                        log_of(
                            ctx,
                            tx,
                            entry,
                            "push",
                            LogResult::Ok,
                            &format!("sent {}", sent.join(", ")),
                        )?;
                        return Ok(Step::Done);
                    }
                    keep_failed(ctx, tx, id, &problems.join("; "))?;
                    Ok(Step::Failed)
                })?;
                if matches!(step, Step::Done) {
                    report.updated += 1;
                }
                return Ok(step);
            }
            Err(ProviderError::Conflict) => continue,
            Err(e) => return record_failure(ctx, entry, "push", &e),
        }
    }
    record_failure(ctx, entry, "push", &ProviderError::Conflict)
}

/// The error a push meets on an issue that is no longer where it was.
fn gone_error(ctx: &PushContext<'_>, number: u64, status: RemoteStatus) -> ProviderError {
    let what = format!("{}#{number}", ctx.repo.full_path);
    match status {
        RemoteStatus::Moved => ProviderError::Moved {
            what,
            to: "another repository".into(),
        },
        _ => ProviderError::Gone { what },
    }
}

/// Keeps an issue's update, marked failed with `message`, and logs it.
fn keep_failed(
    ctx: &PushContext<'_>,
    tx: &rusqlite::Connection,
    id: i64,
    message: &str,
) -> Result<(), SyncError> {
    let now = Timestamp::now();
    outbox::ensure_update(tx, id, now)?;
    outbox::fail_update(tx, id, "not_applied", message, now)?;
    log(ctx, tx, id, "push", LogResult::Error, message)
}

fn refused_message(verdict: &AnswerVerdict, answer: &RemoteIssue) -> String {
    if verdict.learned == Some(AssigneeCapacity::One) {
        let kept: Vec<&str> = answer.assignees.iter().map(|a| a.login.as_str()).collect();
        return format!(
            "the tracker keeps one assignee per issue (GitLab Free) and kept {}; the others \
             are kept here: remove all but one",
            kept.join(", ")
        );
    }
    let names: Vec<&str> = verdict.refused.iter().map(|f| f.as_str()).collect();
    format!(
        "the tracker accepted the request but did not apply {} (no permission to change it?)",
        names.join(", ")
    )
}

fn impossible_message(impossible: &[(Field, String)]) -> String {
    impossible
        .iter()
        .map(|(field, why)| format!("{field}: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How much earlier than our clock said a create was sent the tracker may have stamped
/// it (clock skew between this machine and the tracker).
const CREATE_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// Looks for a create that may already be on the tracker: its marker in the body of an
/// issue, walking back from the newest created issue with no filter at all (the repo's
/// label filter and the pull cursor cannot hide it), down to the create's `sent_at`
/// minus a skew margin. The cursor (the tracker's own clock) can only widen that
/// window — never narrow it — for a tracker whose clock is far behind ours.
async fn find_created(
    ctx: &PushContext<'_>,
    marker: &str,
    sent_at: Timestamp,
) -> Result<Option<RemoteIssue>, ProviderError> {
    let cursor = repos::pull_state(lock(ctx.store).conn(), ctx.repo.id)
        .map(|state| state.issues_cursor)
        .unwrap_or(None);
    let by_our_clock = sent_at.plus_seconds(-CREATE_CLOCK_SKEW_SECONDS);
    let oldest = match cursor {
        Some(c) => by_our_clock.min(c.plus_seconds(-CREATE_CLOCK_SKEW_SECONDS)),
        None => by_our_clock,
    };
    let listing = IssueListing {
        newest_created_first: true,
        ..IssueListing::default()
    };
    let mut page: Option<String> = None;
    let mut guard = super::plan::PageGuard::default();
    loop {
        let fetched = ctx
            .provider
            .list_issues(&ctx.repo.full_path, &listing, page.as_deref())
            .await?;
        if let Some(found) = fetched.items.iter().find(|i| i.body.contains(marker)) {
            return Ok(Some(found.clone()));
        }
        let reached_older = fetched.items.iter().any(|i| i.created_at < oldest);
        match fetched.next {
            // A repository never pulled (no tracker time known) is walked in full.
            Some(next) if cursor.is_none() || !reached_older => {
                guard
                    .go_on(Some(&next))
                    .map_err(|problem| endless(ctx.web_url, problem))?;
                page = Some(next);
            }
            _ => return Ok(None),
        }
    }
}

/// Creates a local issue on the tracker, exactly once.
async fn push_create(
    ctx: &PushContext<'_>,
    entry: &OutboxEntry,
    report: &mut PushReport,
) -> Result<Step, SyncError> {
    let id = entry.issue_id;
    let Some(client_id) = entry.client_id.clone() else {
        return Ok(Step::Waiting);
    };
    let marker = client_marker(&client_id);
    let mut sent_at = entry.sent_at;
    let mut attempt = 0;
    loop {
        if let Some(sent) = sent_at {
            match find_created(ctx, &marker, sent).await {
                Ok(Some(found)) => {
                    lock(ctx.store)
                        .write(|tx| ctx.observer(tx)?.adopt(tx, id, &found, Timestamp::now()))?;
                    report.created += 1;
                    return Ok(Step::Done);
                }
                Ok(None) => {}
                Err(e) => return record_failure(ctx, entry, "create", &e),
            }
        }
        // Send exactly the working copy, marker included.
        let new = lock(ctx.store).write(|tx| -> Result<NewRemoteIssue, SyncError> {
            let mut fields = issues::fields(tx, id)?;
            if find_client_marker(&fields.body) != Some(client_id.as_str()) {
                fields.body = with_marker(&fields.body, &marker);
                let repo_id = issues::repo_of(tx, id)?;
                let at = issues::updated_at(tx, id)?;
                issues::write_fields(tx, repo_id, id, &fields, at)?;
            }
            outbox::mark_sending(tx, entry.id, Timestamp::now())?;
            Ok(NewRemoteIssue {
                title: fields.title,
                body: fields.body,
                labels: fields.labels,
                assignees: fields.assignees,
                milestone: fields.milestone,
            })
        })?;
        sent_at = Some(sent_at.unwrap_or_else(Timestamp::now));
        match ctx.provider.create_issue(&ctx.repo.full_path, &new).await {
            Ok(created) => {
                lock(ctx.store)
                    .write(|tx| ctx.observer(tx)?.adopt(tx, id, &created, Timestamp::now()))?;
                report.created += 1;
                return Ok(Step::Done);
            }
            Err(e) if e.is_transient() && attempt < ctx.retry.max_retries && !is_rate_limit(&e) => {
                // It may have landed: the next round looks for it before sending again.
                tokio::time::sleep(ctx.retry.backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => return record_failure(ctx, entry, "create", &e),
        }
    }
}

/// Adds a local comment on the tracker, exactly once.
async fn push_comment(
    ctx: &PushContext<'_>,
    entry: &OutboxEntry,
    report: &mut PushReport,
) -> Result<Step, SyncError> {
    let (Some(comment_id), Some(client_id)) = (entry.comment_id, entry.client_id.clone()) else {
        return Ok(Step::Waiting);
    };
    let (number, body) = {
        let db = lock(ctx.store);
        let issue = issues::by_id(db.conn(), entry.issue_id)?;
        match issue.and_then(|i| i.number) {
            Some(n) => (n, comments::body(db.conn(), comment_id)?),
            // The issue's create has not landed yet.
            None => return Ok(Step::Waiting),
        }
    };
    let marker = client_marker(&client_id);
    let body = if find_client_marker(&body) == Some(client_id.as_str()) {
        body
    } else {
        with_marker(&body, &marker)
    };
    let mut sent = entry.sent_at.is_some();
    let mut attempt = 0;
    loop {
        if sent {
            match ctx
                .provider
                .list_issue_comments(&ctx.repo.full_path, number)
                .await
            {
                Ok(existing) => {
                    if let Some(found) = existing.into_iter().find(|c| c.body.contains(&marker)) {
                        lock(ctx.store).write(|tx| -> Result<(), SyncError> {
                            comments::mark_pushed(
                                tx,
                                comment_id,
                                &trusted_comment(&found, ctx.web_url),
                            )?;
                            outbox::remove(tx, entry.id)?;
                            Ok(())
                        })?;
                        report.comments += 1;
                        return Ok(Step::Done);
                    }
                }
                Err(e) => return record_failure(ctx, entry, "comment", &e),
            }
        }
        lock(ctx.store).write(|tx| outbox::mark_sending(tx, entry.id, Timestamp::now()))?;
        sent = true;
        match ctx
            .provider
            .add_comment(&ctx.repo.full_path, number, &body)
            .await
        {
            Ok(created) => {
                lock(ctx.store).write(|tx| -> Result<(), SyncError> {
                    comments::mark_pushed(tx, comment_id, &trusted_comment(&created, ctx.web_url))?;
                    outbox::remove(tx, entry.id)?;
                    log_of(ctx, tx, entry, "comment", LogResult::Ok, "comment added")?;
                    Ok(())
                })?;
                report.comments += 1;
                return Ok(Step::Done);
            }
            Err(e) if e.is_transient() && attempt < ctx.retry.max_retries && !is_rate_limit(&e) => {
                tokio::time::sleep(ctx.retry.backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => return record_failure(ctx, entry, "comment", &e),
        }
    }
}

fn is_rate_limit(e: &ProviderError) -> bool {
    matches!(e, ProviderError::RateLimited { .. })
}
