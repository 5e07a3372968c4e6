//! The background scheduler: syncs each connection on its own interval, runs "Sync now"
//! requests, forwards progress to the UI as events, and decides the notifications of
//! each finished sync. It never blocks the window: it is one task on the async runtime.
//!
//! Invariants: syncs run one at a time (in this task); a sync of another process (the
//! CLI) is detected by the core's data-dir lock and reported, not waited for; which
//! connection is due is the core's decision ([`issuesync::sync::schedule`]: its interval
//! since its last attempt, backed off after failures, lengthened while its webhooks
//! deliver — never stopped).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use issuesync::model::Field;
use issuesync::store::issues::IssueQuery;
use issuesync::sync::schedule::{self, Attempts};
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

/// When each connection's webhooks last delivered (written by the receiver, if it runs).
pub type Deliveries = Arc<Mutex<HashMap<String, Instant>>>;

impl Scheduler {
    /// Starts the scheduler task.
    pub fn start<R: Runtime>(
        app: AppHandle<R>,
        workspace: Arc<Workspace>,
        deliveries: Deliveries,
    ) -> Self {
        let (requests, inbox) = mpsc::unbounded_channel();
        tauri::async_runtime::spawn(run(app, workspace, inbox, deliveries));
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

async fn run<R: Runtime>(
    app: AppHandle<R>,
    workspace: Arc<Workspace>,
    mut inbox: mpsc::UnboundedReceiver<Request>,
    deliveries: Deliveries,
) {
    let mut attempts: HashMap<String, Attempts> = HashMap::new();
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
                    let ok = match sync_one(&app, &workspace, &name).await {
                        Ok(s) => {
                            let ok = s.succeeded();
                            summary.repos.extend(s.repos);
                            ok
                        }
                        Err(e) => {
                            failure = Some(e);
                            false
                        }
                    };
                    attempts.entry(name).or_default().attempted(Instant::now(), ok);
                }
                let _ = request.reply.send(failure.map_or(Ok(summary), Err));
            }
            _ = tick.tick() => {
                let connections = workspace.connections().unwrap_or_default();
                for (name, at) in deliveries.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    attempts.entry(name.clone()).or_default().last_delivery = Some(*at);
                }
                for name in schedule::due(&connections, &attempts, Instant::now()) {
                    let ok = sync_one(&app, &workspace, &name)
                        .await
                        .is_ok_and(|s| s.succeeded());
                    attempts.entry(name).or_default().attempted(Instant::now(), ok);
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
