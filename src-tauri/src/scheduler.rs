//! The background scheduler: syncs each connection on its own interval, runs "Sync now"
//! requests, forwards progress to the UI as events, and decides the notifications of
//! each finished sync. It never blocks the window: it is one task on the async runtime.
//!
//! Invariants: syncs run one at a time (in this task); a sync of another process (the
//! CLI) is detected by the core's data-dir lock and reported, not waited for; a
//! connection is due when its interval passed since its last attempt, successful or not.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use issuesync::model::{Connection, Field};
use issuesync::store::issues::IssueQuery;
use issuesync::sync::SyncOptions;
use issuesync::workspace::{SyncFinished, SyncProgress, SyncSummary};
use issuesync::Workspace;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::{mpsc, oneshot};

use crate::error::{shell_error, IpcError, IpcResult};
use crate::notices::{notices_for, show, SyncOutcome};

/// How often the scheduler looks for due connections.
const TICK: Duration = Duration::from_secs(20);

struct Request {
    connection: Option<String>,
    reply: oneshot::Sender<IpcResult<SyncSummary>>,
}

/// A handle to the running scheduler (Tauri state).
pub struct Scheduler {
    requests: mpsc::UnboundedSender<Request>,
}

impl Scheduler {
    /// Starts the scheduler task.
    pub fn start<R: Runtime>(app: AppHandle<R>, workspace: Arc<Workspace>) -> Self {
        let (requests, inbox) = mpsc::unbounded_channel();
        tauri::async_runtime::spawn(run(app, workspace, inbox));
        Self { requests }
    }

    /// Syncs one connection (or all) now and answers with the summary.
    ///
    /// # Errors
    /// The sync's error (e.g. another sync of the data dir is running), or a stopped
    /// scheduler.
    pub async fn sync_now(&self, connection: Option<String>) -> IpcResult<SyncSummary> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { connection, reply })
            .map_err(|_| shell_error("the sync scheduler has stopped"))?;
        answer
            .await
            .map_err(|_| shell_error("the sync scheduler has stopped"))?
    }
}

/// The connections whose poll interval has passed since their last attempt; one never
/// attempted since the app started is due at once.
pub fn due(
    connections: &[Connection],
    last_attempt: &HashMap<String, Instant>,
    now: Instant,
) -> Vec<String> {
    connections
        .iter()
        .filter(|c| {
            let interval = Duration::from_secs(u64::from(c.poll_interval_minutes) * 60);
            last_attempt
                .get(&c.name)
                .is_none_or(|at| now.duration_since(*at) >= interval)
        })
        .map(|c| c.name.clone())
        .collect()
}

async fn run<R: Runtime>(
    app: AppHandle<R>,
    workspace: Arc<Workspace>,
    mut inbox: mpsc::UnboundedReceiver<Request>,
) {
    let mut last_attempt: HashMap<String, Instant> = HashMap::new();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            request = inbox.recv() => {
                let Some(request) = request else { break };
                let names = match &request.connection {
                    Some(name) => vec![name.clone()],
                    None => workspace
                        .connections()
                        .map(|cs| cs.into_iter().map(|c| c.name).collect())
                        .unwrap_or_default(),
                };
                let mut summary = SyncSummary::default();
                let mut failure = None;
                for name in names {
                    match sync_one(&app, &workspace, &name).await {
                        Ok(s) => summary.repos.extend(s.repos),
                        Err(e) => failure = Some(e),
                    }
                    last_attempt.insert(name, Instant::now());
                }
                let _ = request.reply.send(failure.map_or(Ok(summary), Err));
            }
            _ = tick.tick() => {
                let connections = workspace.connections().unwrap_or_default();
                for name in due(&connections, &last_attempt, Instant::now()) {
                    let _ = sync_one(&app, &workspace, &name).await;
                    last_attempt.insert(name, Instant::now());
                }
            }
        }
    }
}

/// The ids of the issues of `connection` assigned to its own user (ids only: this runs
/// around every sync).
fn assigned_to_me(workspace: &Workspace, connection: &str) -> HashSet<i64> {
    workspace
        .issue_ids(&IssueQuery {
            connection: Some(connection.to_string()),
            assigned_to_me: true,
            ..IssueQuery::default()
        })
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn open_conflicts(workspace: &Workspace) -> HashSet<(i64, Field)> {
    workspace
        .conflicts()
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.issue_id, c.conflict.field))
        .collect()
}

/// One sync of one connection, with its events and notifications.
async fn sync_one<R: Runtime>(
    app: &AppHandle<R>,
    workspace: &Workspace,
    connection: &str,
) -> IpcResult<SyncSummary> {
    let assigned_before = assigned_to_me(workspace, connection);
    let had_issues_before = workspace
        .count_issues(&IssueQuery {
            connection: Some(connection.to_string()),
            ..IssueQuery::default()
        })
        .is_ok_and(|n| n > 0);
    let conflicts_before = open_conflicts(workspace);

    let progress = |event| {
        let _ = app.emit(
            "sync-progress",
            SyncProgress {
                connection: connection.to_string(),
                event,
            },
        );
    };
    let result = workspace
        .sync(Some(connection), &SyncOptions::default(), &progress)
        .await
        .map_err(IpcError::from);
    let _ = app.emit(
        "sync-finished",
        SyncFinished {
            connection: Some(connection.to_string()),
            summary: result.as_ref().ok().cloned(),
            error: result.as_ref().err().cloned(),
        },
    );

    let settings = workspace.settings().unwrap_or_default();
    // Only the newly assigned issues are read in full.
    let newly_assigned: Vec<issuesync::model::Issue> = assigned_to_me(workspace, connection)
        .difference(&assigned_before)
        .filter_map(|id| workspace.issue(&id.to_string()).ok().map(|d| d.issue))
        .collect();
    let conflicts_now = workspace.conflicts().unwrap_or_default();
    let overview = workspace.overview().ok();
    let status = overview
        .as_ref()
        .and_then(|o| o.connections.iter().find(|c| c.name == connection));
    let outcome = SyncOutcome {
        connection,
        new_conflicts: conflicts_now
            .iter()
            .filter(|c| !conflicts_before.contains(&(c.issue_id, c.conflict.field)))
            .collect(),
        newly_assigned: newly_assigned.iter().collect(),
        had_issues_before,
        failures_in_a_row: status.map_or(0, |s| s.failures_in_a_row),
        last_error: status.and_then(|s| s.last_error.as_deref()),
    };
    for notice in notices_for(&settings, &outcome) {
        show(app, notice);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuesync::model::{ConflictPolicy, ProviderKind, Timestamp};

    fn connection(name: &str, minutes: u32) -> Connection {
        Connection {
            id: 1,
            name: name.into(),
            provider: ProviderKind::Gitea,
            web_url: "https://git.example".into(),
            api_url: "https://git.example/api/v1".into(),
            has_token: false,
            secret_key: String::new(),
            login: None,
            conflict_policy: ConflictPolicy::Ask,
            poll_interval_minutes: minutes,
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn connections_are_due_at_start_and_then_after_their_own_interval() {
        let connections = [connection("fast", 1), connection("slow", 30)];
        let start = Instant::now();
        assert_eq!(due(&connections, &HashMap::new(), start), ["fast", "slow"]);
        let attempted: HashMap<String, Instant> =
            [("fast".to_string(), start), ("slow".to_string(), start)].into();
        assert!(due(&connections, &attempted, start + Duration::from_secs(30)).is_empty());
        assert_eq!(
            due(&connections, &attempted, start + Duration::from_secs(61)),
            ["fast"]
        );
        assert_eq!(
            due(
                &connections,
                &attempted,
                start + Duration::from_secs(31 * 60)
            ),
            ["fast", "slow"]
        );
    }
}
