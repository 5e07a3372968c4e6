//! The webhook receiver: `POST /webhooks/NAME` (NAME = the connection) and `GET
//! /healthz`, on axum. It answers at once; the re-fetch a delivery asks for runs later,
//! in the worker of [`crate::serve`].
//!
//! Invariants, in the order a delivery meets them:
//! 1. An unknown connection is 404, before anything else.
//! 2. Each connection has a rate cap (429), so a flood to one URL leaves the others be.
//! 3. The body is capped (413 beyond [`crate::serve::ServeOptions::max_body`]).
//! 4. The signature is verified over the raw body before anything in it is read: a
//!    missing secret, a missing or bad signature is 401, logged without the body, and
//!    nothing is fetched from the tracker.
//! 5. A verified body that does not hold what its event must is 400.
//! 6. A delivery id seen before (persisted, so also after a restart) is 200 with no
//!    effect; ids are recorded only for verified, readable deliveries.
//! 7. Only then is a job queued (202): the issue is re-fetched through the provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::mpsc;

use super::payload::{self, Delivery};
use super::rate::{Bucket, RateCap};
use super::verify;
use crate::model::Connection;
use crate::secrets::Secret;
use crate::serve::{Job, Log, ServeEvent};
use crate::Workspace;

/// How long a looked-up secret is reused before the keychain is asked again.
const SECRET_TTL: Duration = Duration::from_secs(30);

/// What the receiver shares between requests.
pub struct ReceiverState {
    pub(crate) workspace: Arc<Workspace>,
    pub(crate) jobs: mpsc::UnboundedSender<Job>,
    pub(crate) log: Log,
    pub(crate) rate: RateCap,
    /// The last verified delivery per connection (webhook health, for the scheduler).
    pub(crate) deliveries: Arc<Mutex<HashMap<String, Instant>>>,
    buckets: Mutex<HashMap<String, Bucket>>,
    targets: Mutex<HashMap<String, (Instant, Target)>>,
}

#[derive(Clone)]
struct Target {
    connection: Connection,
    secret: Option<Secret>,
}

impl ReceiverState {
    pub(crate) fn new(
        workspace: Arc<Workspace>,
        jobs: mpsc::UnboundedSender<Job>,
        log: Log,
        rate: RateCap,
        deliveries: Arc<Mutex<HashMap<String, Instant>>>,
    ) -> Self {
        Self {
            workspace,
            jobs,
            log,
            rate,
            deliveries,
            buckets: Mutex::new(HashMap::new()),
            targets: Mutex::new(HashMap::new()),
        }
    }

    fn target(&self, name: &str) -> Result<Option<Target>, crate::Error> {
        let now = Instant::now();
        if let Some((at, target)) = lock(&self.targets).get(name) {
            if now.duration_since(*at) < SECRET_TTL {
                return Ok(Some(target.clone()));
            }
        }
        let Some(found) = self.workspace.webhook_target(name)? else {
            return Ok(None);
        };
        let target = Target {
            connection: found.connection,
            secret: found.secret,
        };
        lock(&self.targets).insert(name.to_string(), (now, target.clone()));
        Ok(Some(target))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Locks a map shared with the receiver; a panic elsewhere does not poison it for good.
pub(crate) fn lock_map<K, V>(m: &Mutex<HashMap<K, V>>) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
    lock(m)
}

/// The receiver's routes, bodies capped at `max_body` bytes.
pub fn router(state: Arc<ReceiverState>, max_body: usize) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/webhooks/{name}", post(deliver))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

async fn healthz() -> Response {
    Json(json!({ "status": "ok", "version": crate::VERSION })).into_response()
}

/// A connection name as it may appear in a log line: at most 64 characters.
fn loggable(name: &str) -> String {
    name.chars().take(64).collect()
}

struct Answer {
    status: StatusCode,
    result: &'static str,
    reason: Option<String>,
    delivery: Option<String>,
    issue: Option<String>,
}

impl Answer {
    fn new(status: StatusCode, result: &'static str) -> Self {
        Self {
            status,
            result,
            reason: None,
            delivery: None,
            issue: None,
        }
    }

    fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

async fn deliver(
    State(state): State<Arc<ReceiverState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = handle(&state, &name, &headers, body);
    (state.log)(ServeEvent::Delivery {
        connection: loggable(&name),
        status: answer.status.as_u16(),
        result: answer.result,
        reason: answer.reason.clone(),
        delivery: answer.delivery.clone(),
        issue: answer.issue.clone(),
    });
    let mut reply = json!({ "status": answer.result });
    if let Some(reason) = &answer.reason {
        reply["reason"] = json!(reason);
    }
    (answer.status, Json(reply)).into_response()
}

fn handle(
    state: &ReceiverState,
    name: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let target = match state.target(name) {
        Ok(Some(target)) => target,
        Ok(None) => return Answer::new(StatusCode::NOT_FOUND, "unknown_connection"),
        Err(e) => {
            return Answer::new(StatusCode::SERVICE_UNAVAILABLE, "error").because(e.to_string())
        }
    };
    let allowed = lock(&state.buckets)
        .entry(name.to_string())
        .or_insert_with(|| Bucket::full(state.rate, Instant::now()))
        .take(state.rate, Instant::now());
    if !allowed {
        return Answer::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let result = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "unreadable"
            };
            return Answer::new(status, result);
        }
    };
    let kind = target.connection.provider;
    let Some(secret) = &target.secret else {
        return Answer::new(StatusCode::UNAUTHORIZED, "rejected")
            .because("no webhook secret is set for this connection");
    };
    let now = chrono::Utc::now().timestamp();
    if let Err(rejection) = verify::verify(kind, headers, &body, secret, now) {
        return Answer::new(StatusCode::UNAUTHORIZED, "rejected").because(rejection.to_string());
    }
    let delivery_id = verify::delivery_id(kind, headers);
    let hint = match payload::parse(kind, headers, &body) {
        Ok(Delivery::Issue(hint)) => hint,
        Ok(Delivery::Ignored { event }) => {
            return Answer {
                delivery: delivery_id,
                ..Answer::new(StatusCode::OK, "ignored").because(format!("event {event}"))
            }
        }
        Err(e) => {
            return Answer {
                delivery: delivery_id,
                ..Answer::new(StatusCode::BAD_REQUEST, "malformed").because(e.to_string())
            }
        }
    };
    let connection = &target.connection;
    let repo = match state.workspace.hinted_repo(connection, &hint) {
        Ok(Some(repo)) => repo,
        Ok(None) => {
            return Answer {
                delivery: delivery_id,
                ..Answer::new(StatusCode::OK, "ignored").because("repository not mirrored")
            }
        }
        Err(e) => {
            return Answer::new(StatusCode::SERVICE_UNAVAILABLE, "error").because(e.to_string())
        }
    };
    let reference = format!("{}:{}#{}", connection.name, repo.full_path, hint.number);
    if let Some(id) = &delivery_id {
        match state.workspace.record_delivery(connection.id, id) {
            Ok(true) => {}
            Ok(false) => {
                return Answer {
                    delivery: delivery_id,
                    issue: Some(reference),
                    ..Answer::new(StatusCode::OK, "duplicate")
                }
            }
            Err(e) => {
                return Answer::new(StatusCode::SERVICE_UNAVAILABLE, "error").because(e.to_string())
            }
        }
    }
    lock(&state.deliveries).insert(connection.name.clone(), Instant::now());
    let queued = state.jobs.send(Job {
        connection: connection.name.clone(),
        reference: reference.clone(),
        comments: hint.comments,
    });
    if queued.is_err() {
        return Answer::new(StatusCode::SERVICE_UNAVAILABLE, "stopping");
    }
    Answer {
        delivery: delivery_id,
        issue: Some(reference),
        ..Answer::new(StatusCode::ACCEPTED, "accepted")
    }
}
