//! `issuesync serve`: a long-running process that keeps the mirror current on its own —
//! the per-connection scheduler (poll intervals, backoff, the data dir's sync lock) and
//! the webhook receiver ([`crate::webhook::receiver`]) — until told to stop.
//!
//! Invariants:
//! - One worker task runs every sync and every refresh, one at a time, so they never
//!   race each other; a sync of another process (the CLI, the desktop app) is seen as
//!   the data dir's lock and waited out (refreshes are tried again shortly).
//! - Which connection is due comes from [`crate::sync::schedule`]; verified deliveries
//!   count as webhook health there, which lengthens polling but never stops it.
//! - Deliveries for one issue are coalesced: the first queues a refresh due after the
//!   debounce, later ones before it only widen it (comments too); the 2xx went out already.
//! - On shutdown the receiver stops taking requests, the worker finishes the sync or
//!   refresh in progress (within the grace period; an interrupted one is like a crash,
//!   which every write survives: each is a transaction, creates are exactly-once), and
//!   the process ends.
//! - Log events ([`ServeEvent`]) carry names, ids, statuses and reasons, never a body, a
//!   token or a secret.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::error::{Error, Result};
use crate::sync::refresh::Refreshed;
use crate::sync::schedule::{self, Attempts};
use crate::sync::SyncOptions;
use crate::webhook::rate::RateCap;
use crate::webhook::receiver::{router, ReceiverState};
use crate::webhook::WebhookError;
use crate::Workspace;

/// Where log events go (the CLI prints them as JSON lines on stderr).
pub type Log = Arc<dyn Fn(ServeEvent) + Send + Sync>;

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: SocketAddr,
    /// Run the scheduler (off when the desktop app, which has its own, runs the receiver).
    pub poll: bool,
    /// How often the scheduler looks for due connections.
    pub tick: Duration,
    /// How long a refresh waits for more deliveries about the same issue.
    pub debounce: Duration,
    pub rate: RateCap,
    /// The largest delivery body accepted (413 beyond).
    pub max_body: usize,
    /// How long delivery ids are kept for deduplication.
    pub retention: Duration,
    /// How long shutdown waits for the sync or refresh in progress.
    pub grace: Duration,
}

/// `127.0.0.1:8765`, the default bind address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8765";

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8765)),
            poll: true,
            tick: Duration::from_secs(20),
            debounce: Duration::from_millis(200),
            rate: RateCap::default(),
            max_body: 1024 * 1024,
            retention: Duration::from_secs(7 * 24 * 60 * 60),
            grace: Duration::from_secs(30),
        }
    }
}

/// One line of the structured log.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ServeEvent {
    Listening {
        addr: String,
    },
    /// A request to `/webhooks/NAME` and how it was answered.
    Delivery {
        connection: String,
        status: u16,
        result: &'static str,
        reason: Option<String>,
        delivery: Option<String>,
        issue: Option<String>,
    },
    Refreshed {
        connection: String,
        refreshed: Refreshed,
    },
    RefreshFailed {
        connection: String,
        issue: String,
        code: String,
        message: String,
    },
    SyncFinished {
        connection: String,
        repos: usize,
        failed: usize,
        error: Option<String>,
    },
    Stopping,
    Stopped,
}

/// A refresh the receiver asks the worker for.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub connection: String,
    /// `NAME:OWNER/REPO#NUMBER`.
    pub reference: String,
    pub comments: bool,
}

struct Pending {
    connection: String,
    comments: bool,
    due: Instant,
    tries: u32,
}

/// How often a refresh that met another process's sync is tried again.
const BUSY_RETRY: Duration = Duration::from_secs(1);
const BUSY_TRIES: u32 = 60;

/// Binds, serves and schedules until `shutdown` resolves; see the module doc.
///
/// # Errors
/// [`WebhookError::Bind`] when the address cannot be bound, [`WebhookError::Serve`]
/// when the server fails.
pub async fn run(
    workspace: Arc<Workspace>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    log: Log,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|source| WebhookError::Bind {
            addr: options.bind.to_string(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| WebhookError::Serve { source })?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
    let deliveries = Arc::new(Mutex::new(HashMap::new()));
    let state = Arc::new(ReceiverState::new(
        Arc::clone(&workspace),
        jobs_tx,
        Arc::clone(&log),
        options.rate,
        Arc::clone(&deliveries),
    ));
    let app = router(state, options.max_body);
    let mut server_stop = stop_rx.clone();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        })
        .into_future();
    let mut server = tokio::spawn(server);
    let worker = tokio::spawn(worker(
        workspace,
        options,
        jobs_rx,
        stop_rx,
        Arc::clone(&log),
        deliveries,
    ));
    log(ServeEvent::Listening {
        addr: addr.to_string(),
    });
    let failed = tokio::select! {
        () = shutdown => None,
        ended = &mut server => Some(ended),
    };
    log(ServeEvent::Stopping);
    let _ = stop_tx.send(true);
    let served = match failed {
        Some(ended) => ended,
        None => server.await,
    };
    let _ = worker.await;
    log(ServeEvent::Stopped);
    match served {
        Ok(Ok(())) => Ok(()),
        Ok(Err(source)) => Err(Error::Webhook(WebhookError::Serve { source })),
        Err(join) => Err(Error::Webhook(WebhookError::Serve {
            source: std::io::Error::other(join.to_string()),
        })),
    }
}

/// Runs `op`, unless shutdown came and the grace period ran out first.
async fn within_grace<T>(
    op: impl Future<Output = T>,
    stop: &watch::Receiver<bool>,
    grace: Duration,
) -> Option<T> {
    let mut stop = stop.clone();
    tokio::select! {
        out = op => Some(out),
        () = async {
            let _ = stop.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => None,
    }
}

async fn worker(
    workspace: Arc<Workspace>,
    options: ServeOptions,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    mut stop: watch::Receiver<bool>,
    log: Log,
    deliveries: Arc<Mutex<HashMap<String, Instant>>>,
) {
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut attempts: HashMap<String, Attempts> = HashMap::new();
    let mut tick = tokio::time::interval(options.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pruned_at: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        let next_due = pending.values().map(|p| p.due).min();
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            job = jobs.recv() => {
                let Some(job) = job else { break };
                let due = Instant::now() + options.debounce;
                pending
                    .entry(job.reference)
                    .and_modify(|p| p.comments |= job.comments)
                    .or_insert(Pending { connection: job.connection, comments: job.comments, due, tries: 0 });
            }
            () = async {
                match next_due {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            } => {
                let now = Instant::now();
                let ready: Vec<String> = pending
                    .iter()
                    .filter(|(_, p)| p.due <= now)
                    .map(|(r, _)| r.clone())
                    .collect();
                for reference in ready {
                    let Some(job) = pending.remove(&reference) else { continue };
                    let Some(result) = within_grace(
                        workspace.refresh_issue(&reference, job.comments),
                        &stop,
                        options.grace,
                    )
                    .await
                    else {
                        return;
                    };
                    match result {
                        Ok(refreshed) => log(ServeEvent::Refreshed {
                            connection: job.connection,
                            refreshed,
                        }),
                        Err(Error::SyncBusy { .. }) if job.tries < BUSY_TRIES => {
                            pending.insert(reference, Pending {
                                due: Instant::now() + BUSY_RETRY,
                                tries: job.tries + 1,
                                ..job
                            });
                        }
                        Err(e) => log(ServeEvent::RefreshFailed {
                            connection: job.connection,
                            issue: reference,
                            code: e.code().to_string(),
                            message: e.to_string(),
                        }),
                    }
                }
            }
            _ = tick.tick(), if options.poll => {
                if pruned_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(60 * 60)) {
                    let _ = workspace.prune_deliveries(options.retention);
                    pruned_at = Some(Instant::now());
                }
                let connections = workspace.connections().unwrap_or_default();
                for (name, at) in crate::webhook::receiver::lock_map(&deliveries).iter() {
                    attempts.entry(name.clone()).or_default().last_delivery = Some(*at);
                }
                for name in schedule::due(&connections, &attempts, Instant::now()) {
                    let Some(result) = within_grace(
                        workspace.sync(Some(&name), &SyncOptions::default(), &|_| {}),
                        &stop,
                        options.grace,
                    )
                    .await
                    else {
                        return;
                    };
                    let entry = attempts.entry(name.clone()).or_default();
                    match result {
                        Ok(summary) => {
                            let failed = summary.repos.iter().filter(|r| r.error.is_some()).count();
                            entry.attempted(Instant::now(), failed == 0);
                            log(ServeEvent::SyncFinished {
                                connection: name,
                                repos: summary.repos.len(),
                                failed,
                                error: summary.repos.iter().find_map(|r| r.error.as_ref().map(|e| e.message.clone())),
                            });
                        }
                        Err(e) => {
                            // Another process syncing is not a failure of the connection.
                            let busy = matches!(e, Error::SyncBusy { .. });
                            entry.attempted(Instant::now(), busy);
                            log(ServeEvent::SyncFinished {
                                connection: name,
                                repos: 0,
                                failed: 0,
                                error: Some(e.to_string()),
                            });
                        }
                    }
                    if *stop.borrow() {
                        return;
                    }
                }
            }
        }
    }
}
