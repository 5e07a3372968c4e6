//! The HTTP client every adapter shares: auth header, timeouts, retries with backoff and
//! jitter, rate limits, conditional requests, write pacing, and status →
//! [`ProviderError`] mapping.
//!
//! Invariants:
//! - The auth header is marked sensitive and is only ever sent to the API's own origin:
//!   a `Link` to another host is refused rather than followed with the token.
//! - Reads and idempotent writes (PUT/PATCH) are retried on 5xx, timeouts and dropped
//!   connections; a POST is never retried here, because trackers do not deduplicate
//!   creates (the outbox decides what to do after an ambiguous failure).
//! - Rate limits: `Retry-After` first, then the reset header, then exponential backoff.
//!   A wait up to [`RetryPolicy::max_retry_after`] is slept through; a longer one is
//!   reported as [`ProviderError::RateLimited`] with the time it lifts. When the last
//!   answer said no requests remain, the next request waits for the reset (or reports
//!   it) instead of spending one.
//! - Requests are spaced at least `min_interval` apart and writes `min_write_interval`
//!   apart (GitHub asks for one second between mutations). A write goes alone: it waits
//!   for the reads in flight and no request starts until it is answered. Reads go up to
//!   [`HttpClient::with_parallel_reads`] at once (1 unless the adapter says otherwise).
//! - A query POSTed to a GraphQL endpoint ([`HttpClient::query`]) is a read: it goes with
//!   the reads, is retried like one, and draws on its own rate-limit budget (GitHub's
//!   `graphql` resource), so an exhausted one never holds up the other.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ETAG, IF_NONE_MATCH, RETRY_AFTER, USER_AGENT,
};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::{ConditionalCache, ProviderError};
use crate::model::Timestamp;

/// How often and how patiently failed requests are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time, with jitter.
    pub base_delay: Duration,
    /// Upper bound of one backoff delay.
    pub max_delay: Duration,
    /// A rate-limit wait up to this long is slept through; a longer one is reported as
    /// [`ProviderError::RateLimited`].
    pub max_retry_after: Duration,
    /// Timeout of one request, including reading the body.
    pub request_timeout: Duration,
    /// How long a local change that failed transiently waits before the next sync
    /// tries it again; doubles with each failure, with jitter.
    pub defer_base: Duration,
    /// Upper bound of that wait.
    pub defer_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            defer_base: Duration::from_secs(30),
            defer_max: Duration::from_secs(30 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (0-based): exponential, capped, with
    /// jitter in its upper half so that many clients do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        jittered(self.base_delay, self.max_delay, attempt)
    }

    /// How long a local change waits after `attempt` (0-based) transient failures.
    pub fn defer_delay(&self, attempt: u32) -> Duration {
        jittered(self.defer_base, self.defer_max, attempt)
    }
}

/// `base · 2^attempt`, capped at `max`, with jitter in its upper half.
fn jittered(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = base
        .saturating_mul(2u32.saturating_pow(attempt.min(31)))
        .min(max);
    let half = exp / 2;
    half + half.mul_f64(fastrand::f64())
}

/// Pacing a tracker asks for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pacing {
    /// Least time between any two requests.
    pub min_interval: Duration,
    /// Least time between two writes.
    pub min_write_interval: Duration,
}

/// A response that was read completely.
pub(crate) struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub url: Url,
}

impl Response {
    /// Decodes the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|source| ProviderError::Decode {
            url: self.url.to_string(),
            source,
        })
    }

    /// The `rel="next"` target of the `Link` header.
    pub fn next_link(&self) -> Option<String> {
        self.headers
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| link_target(v, "next"))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A numeric header such as `X-Total-Count`.
    pub fn header_u64(&self, name: &str) -> Option<u64> {
        self.header(name).and_then(|v| v.trim().parse().ok())
    }

    /// The entity tag, when the server sent one.
    pub fn etag(&self) -> Option<String> {
        self.headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// The answer to a conditional GET.
pub(crate) enum Conditional {
    /// New content.
    Fresh(Response),
    /// Same as when the stored validator was taken: what was stored with it.
    NotModified(super::CachedEtag),
}

/// Finds the URL with relation `rel` in a `Link` header value
/// (`<https://…?page=2>; rel="next", <…>; rel="last"`).
pub(crate) fn link_target(header: &str, rel: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let target = target.strip_prefix('<')?.strip_suffix('>')?;
        let matches = pieces.any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == rel))
                .unwrap_or(false)
        });
        matches.then(|| target.to_string())
    })
}

/// The largest answer body read from a tracker.
pub const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// `host[:port]` of a URL, for messages that name the server.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => url.to_string(),
    }
}

/// What a request is, for the gate, pacing, retries and rate-limit budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
    /// A GraphQL query: a read, on the GraphQL budget.
    Query,
}

/// What the last answers said about the rate limit and pacing.
#[derive(Debug, Default)]
struct Gate {
    last_request: Option<Instant>,
    last_write: Option<Instant>,
    /// Set when an answer said no requests remain: when they come back.
    exhausted_until: Option<Timestamp>,
    /// The same for GraphQL queries (a budget of their own).
    query_exhausted_until: Option<Timestamp>,
    /// Secondary rate limits met in a row without a `Retry-After` (the wait doubles).
    secondary_strikes: u32,
}

impl Gate {
    /// Until when the budget `kind` draws on is known to be spent.
    fn exhausted(&mut self, kind: Kind) -> &mut Option<Timestamp> {
        match kind {
            Kind::Query => &mut self.query_exhausted_until,
            Kind::Read | Kind::Write => &mut self.exhausted_until,
        }
    }
}

/// How long to wait after the `strikes`-th secondary rate limit in a row that named no
/// time: at least a minute, doubling each time (GitHub: "wait for at least one minute
/// before retrying … increase the time between retries exponentially"), at most an hour.
pub(crate) fn secondary_wait(strikes: u32) -> Duration {
    Duration::from_secs(60u64.saturating_mul(1 << strikes.min(6)).min(3600))
}

/// Whether an error message is GitHub's secondary rate limit (or its older wording).
fn is_secondary_limit(message: Option<&str>) -> bool {
    message.is_some_and(|m| {
        let m = m.to_lowercase();
        m.contains("secondary rate limit") || m.contains("abuse detection")
    })
}

pub(crate) struct HttpClient {
    client: reqwest::Client,
    api_url: Url,
    auth: Option<(HeaderName, HeaderValue)>,
    retry: RetryPolicy,
    pacing: Pacing,
    cache: Option<Arc<dyn ConditionalCache>>,
    /// Held across a request's pacing wait, send and reading of the answer: shared by
    /// reads (up to the parallel-read bound), exclusively by a write.
    gate: tokio::sync::RwLock<()>,
    state: Mutex<Gate>,
}

impl HttpClient {
    /// A client for the API rooted at `api_url`, sending `auth` (if any) on every request.
    pub fn new(
        api_url: &str,
        auth: Option<(HeaderName, HeaderValue)>,
        retry: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        let mut api_url = Url::parse(api_url.trim_end_matches('/')).map_err(|e| {
            ProviderError::InvalidInput(format!("the API URL {api_url:?} is not usable: {e}"))
        })?;
        if api_url.cannot_be_a_base() {
            return Err(ProviderError::InvalidInput(format!(
                "the API URL {api_url} is not usable"
            )));
        }
        // Keep the path without a trailing slash so that segments are appended below it.
        let path = api_url.path().trim_end_matches('/').to_string();
        api_url.set_path(&path);
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(retry.request_timeout)
            // Redirects are answers too (GitHub's 301 for a transferred issue).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| ProviderError::Transport {
                url: api_url.to_string(),
                source,
            })?;
        let auth = auth.map(|(name, mut value)| {
            value.set_sensitive(true);
            (name, value)
        });
        Ok(Self {
            client,
            api_url,
            auth,
            retry,
            pacing: Pacing::default(),
            cache: None,
            gate: tokio::sync::RwLock::with_max_readers((), 1),
            state: Mutex::new(Gate::default()),
        })
    }

    /// Lets up to `reads` reads be in flight at once (the tracker's
    /// [`super::Capabilities::parallel_reads`]); writes still go alone.
    pub fn with_parallel_reads(mut self, reads: usize) -> Self {
        let reads = u32::try_from(reads.clamp(1, 64)).unwrap_or(1);
        self.gate = tokio::sync::RwLock::with_max_readers((), reads);
        self
    }

    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    pub fn with_cache(mut self, cache: Option<Arc<dyn ConditionalCache>>) -> Self {
        self.cache = cache;
        self
    }

    pub fn has_auth(&self) -> bool {
        self.auth.is_some()
    }

    /// The API root followed by `segments`, each percent-encoded as one path segment
    /// (so GitLab's `group/project` becomes `group%2Fproject`).
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.api_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    /// Parses a page token (a URL this client produced or the tracker linked) and checks
    /// it points at the API's own origin.
    pub fn own_url(&self, url: &str) -> Result<Url, ProviderError> {
        let parsed = Url::parse(url).map_err(|_| ProviderError::ForeignLink {
            url: url.to_string(),
        })?;
        if parsed.origin() != self.api_url.origin() {
            return Err(ProviderError::ForeignLink {
                url: url.to_string(),
            });
        }
        Ok(parsed)
    }

    /// GETs `url`, retrying transient failures. `what` names the resource in errors.
    pub async fn get(&self, url: Url, what: &str) -> Result<Response, ProviderError> {
        self.send(Method::GET, url, None, None, what, Kind::Read)
            .await
    }

    /// POSTs a GraphQL query (a read: retried, beside other reads, no write spacing).
    pub async fn query(
        &self,
        url: Url,
        body: &serde_json::Value,
        what: &str,
    ) -> Result<Response, ProviderError> {
        self.send(Method::POST, url, Some(body), None, what, Kind::Query)
            .await
    }

    /// GETs `url` with its stored ETag, if any (not for a full last page, which may
    /// have grown). Stores nothing: the caller hands the new validator to the engine.
    pub async fn get_conditional(
        &self,
        url: Url,
        what: &str,
    ) -> Result<Conditional, ProviderError> {
        let cached = self
            .cache
            .as_ref()
            .and_then(|c| c.get(url.as_str()))
            .filter(|c| c.next.is_some() || !c.full);
        let etag = cached.as_ref().map(|c| c.etag.clone());
        let response = self
            .send(
                Method::GET,
                url.clone(),
                None,
                etag.as_deref(),
                what,
                Kind::Read,
            )
            .await?;
        match cached {
            Some(cached) if response.status == StatusCode::NOT_MODIFIED => {
                Ok(Conditional::NotModified(cached))
            }
            _ => Ok(Conditional::Fresh(response)),
        }
    }

    /// GETs one resource with `If-None-Match: etag`; `None` when it did not change.
    pub async fn get_if_changed(
        &self,
        url: Url,
        etag: Option<&str>,
        what: &str,
    ) -> Result<Option<Response>, ProviderError> {
        let response = self
            .send(Method::GET, url, None, etag, what, Kind::Read)
            .await?;
        Ok((response.status != StatusCode::NOT_MODIFIED).then_some(response))
    }

    /// Sends a write with a JSON body. POSTs are not retried (see the module doc).
    pub async fn write(
        &self,
        method: Method,
        url: Url,
        body: &serde_json::Value,
        what: &str,
    ) -> Result<Response, ProviderError> {
        self.send(method, url, Some(body), None, what, Kind::Write)
            .await
    }

    /// A write that carries no body (`DELETE`).
    pub async fn write_without_body(
        &self,
        method: Method,
        url: Url,
        what: &str,
    ) -> Result<Response, ProviderError> {
        self.send(method, url, None, None, what, Kind::Write).await
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        etag: Option<&str>,
        what: &str,
        kind: Kind,
    ) -> Result<Response, ProviderError> {
        let retryable = !(kind == Kind::Write && method == Method::POST);
        let mut attempt = 0;
        loop {
            let wait = match self.send_once(&method, &url, body, etag, what, kind).await {
                Ok(response) => return Ok(response),
                Err(Attempt::Retry { after, error })
                    if (retryable || matches!(error, ProviderError::RateLimited { .. }))
                        && attempt < self.retry.max_retries =>
                {
                    match after {
                        Some(after) if after > self.retry.max_retry_after => return Err(error),
                        Some(after) => after,
                        None => self.retry.backoff(attempt),
                    }
                }
                Err(failed) => return Err(failed.into_error()),
            };
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits as pacing and a known-exhausted rate limit require.
    async fn pace(&self, kind: Kind) -> Result<(), Attempt> {
        let is_write = kind == Kind::Write;
        let exhausted = *self.lock_state().exhausted(kind);
        if let Some(until) = exhausted {
            let now = Timestamp::now();
            if until > now {
                let wait = (until.as_datetime() - now.as_datetime())
                    .to_std()
                    .unwrap_or_default();
                if wait > self.retry.max_retry_after {
                    return Err(Attempt::Final(ProviderError::RateLimited {
                        retry_at: until,
                    }));
                }
                tokio::time::sleep(wait).await;
            }
            *self.lock_state().exhausted(kind) = None;
        }
        // The start is reserved before waiting for it, so reads in flight side by side
        // keep the spacing too.
        let start = {
            let mut gate = self.lock_state();
            let now = Instant::now();
            let after = |t: Option<Instant>, min: Duration| t.map_or(now, |t| (t + min).max(now));
            let mut start = after(gate.last_request, self.pacing.min_interval);
            if is_write {
                start = start.max(after(gate.last_write, self.pacing.min_write_interval));
                gate.last_write = Some(start);
            }
            gate.last_request = Some(start);
            start
        };
        tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;
        Ok(())
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        etag: Option<&str>,
        what: &str,
        kind: Kind,
    ) -> Result<Response, Attempt> {
        let is_write = kind == Kind::Write;
        // This request's turn at the gate, held until its answer is read.
        let (_alone, _shared);
        if is_write {
            _alone = self.gate.write().await;
        } else {
            _shared = self.gate.read().await;
        }
        self.pace(kind).await?;
        let mut request = self
            .client
            .request(method.clone(), url.clone())
            .header(USER_AGENT, concat!("issuesync/", env!("CARGO_PKG_VERSION")))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some((name, value)) = &self.auth {
            request = request.header(name, value.clone());
        }
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.transport(url, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        self.note_rate_limit(&headers, kind);
        let body = self.read_capped(response, url).await?;
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            self.lock_state().secondary_strikes = 0;
            return Ok(Response {
                status,
                headers,
                body,
                url: final_url,
            });
        }
        Err(self.classify(status, &headers, &body, url, what))
    }

    /// Reads a body, streamed and counted: more than [`MAX_RESPONSE_BYTES`] is refused
    /// (a hostile or broken server must not exhaust memory).
    async fn read_capped(
        &self,
        mut response: reqwest::Response,
        url: &Url,
    ) -> Result<Vec<u8>, Attempt> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(url, e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(Attempt::Final(ProviderError::TooLarge {
                    host: host_of(url),
                    limit_mib: MAX_RESPONSE_BYTES >> 20,
                }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Remembers an exhausted rate limit so the next request waits for its reset.
    fn note_rate_limit(&self, headers: &HeaderMap, kind: Kind) {
        if rate_limit_exhausted(headers) {
            *self.lock_state().exhausted(kind) = Some(retry_at(headers, None));
        }
    }

    fn transport(&self, url: &Url, source: reqwest::Error) -> Attempt {
        let url = url.to_string();
        let error = if source.is_connect() {
            ProviderError::Unreachable { url, source }
        } else {
            ProviderError::Transport { url, source }
        };
        Attempt::Retry { error, after: None }
    }

    fn classify(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        url: &Url,
        what: &str,
    ) -> Attempt {
        let message = error_message(body);
        let retry_after = retry_after(headers);
        let rate_limited = |after: Option<Duration>| {
            let retry_at = retry_at(headers, after);
            let wait = after.unwrap_or_else(|| {
                (retry_at.as_datetime() - Timestamp::now().as_datetime())
                    .to_std()
                    .unwrap_or_default()
            });
            Attempt::Retry {
                error: ProviderError::RateLimited { retry_at },
                after: Some(wait),
            }
        };
        let error = match status.as_u16() {
            301 | 302 | 307 | 308 => ProviderError::Moved {
                what: what.to_string(),
                to: headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("another location")
                    .to_string(),
            },
            401 => ProviderError::Unauthorized,
            403 if rate_limit_exhausted(headers) || retry_after.is_some() => {
                return rate_limited(retry_after)
            }
            // A secondary limit that names no time: back off, never "forbidden".
            403 | 429 if retry_after.is_none() && is_secondary_limit(message.as_deref()) => {
                let wait = {
                    let mut state = self.lock_state();
                    let wait = secondary_wait(state.secondary_strikes);
                    state.secondary_strikes += 1;
                    wait
                };
                return rate_limited(Some(wait));
            }
            403 => ProviderError::Forbidden { message },
            404 => ProviderError::NotFound {
                what: what.to_string(),
            },
            409 => ProviderError::Conflict,
            410 => ProviderError::Gone {
                what: what.to_string(),
            },
            400 | 422 => ProviderError::Validation {
                message: validation_message(body, message, status),
            },
            429 => return rate_limited(retry_after),
            500..=599 => {
                return Attempt::Retry {
                    error: ProviderError::Server {
                        status: status.as_u16(),
                        url: url.to_string(),
                    },
                    after: retry_after,
                }
            }
            other => ProviderError::Server {
                status: other,
                url: url.to_string(),
            },
        };
        Attempt::Final(error)
    }
}

/// The outcome of one failed attempt.
enum Attempt {
    Retry {
        error: ProviderError,
        after: Option<Duration>,
    },
    Final(ProviderError),
}

impl Attempt {
    fn into_error(self) -> ProviderError {
        match self {
            Self::Retry { error, .. } | Self::Final(error) => error,
        }
    }
}

/// The `message` (GitHub, Gitea, GitLab) or `error` (GitLab) field of a JSON error body.
fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message").or_else(|| value.get("error"))?;
    match message {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A validation failure in words: the message plus GitHub's `errors` details.
fn validation_message(body: &[u8], message: Option<String>, status: StatusCode) -> String {
    let mut text = message.unwrap_or_else(|| status.to_string());
    let details: Vec<String> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("errors").and_then(|e| e.as_array().cloned()))
        .unwrap_or_default()
        .iter()
        .map(|e| match e {
            serde_json::Value::String(s) => s.clone(),
            other => {
                let field = other.get("field").and_then(|f| f.as_str()).unwrap_or("");
                let code = other.get("code").and_then(|f| f.as_str()).unwrap_or("");
                let message = other.get("message").and_then(|f| f.as_str());
                message
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{field} {code}").trim().to_string())
            }
        })
        .filter(|d| !d.is_empty())
        .collect();
    if !details.is_empty() {
        text = format!("{text} ({})", details.join("; "));
    }
    text
}

/// `Retry-After` in seconds (HTTP dates are not used by these trackers' APIs).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn rate_limit_exhausted(headers: &HeaderMap) -> bool {
    ["x-ratelimit-remaining", "ratelimit-remaining"]
        .iter()
        .any(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() == "0")
        })
}

/// When a rate limit lifts: `Retry-After`, else the reset header (epoch seconds), else a
/// minute from now.
pub(crate) fn retry_at(headers: &HeaderMap, retry_after: Option<Duration>) -> Timestamp {
    if let Some(wait) = retry_after {
        return Timestamp::now().plus_seconds(wait.as_secs() as i64);
    }
    let reset = ["x-ratelimit-reset", "ratelimit-reset"]
        .iter()
        .find_map(|name| {
            headers
                .get(*name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<i64>()
                .ok()
        });
    reset
        .and_then(|epoch| chrono::DateTime::from_timestamp(epoch, 0))
        .map(Timestamp::from_datetime)
        .unwrap_or_else(|| Timestamp::now().plus_seconds(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any `Link` header value yields a target or none, never a panic.
        #[test]
        fn link_parsing_never_panics(header in ".{0,200}", rel in "[a-z]{0,6}") {
            let _ = link_target(&header, &rel);
            let _ = link_target(&format!("<{header}>; rel=\"next\""), "next");
        }
    }

    #[test]
    fn page_links_to_another_origin_are_refused() {
        let client =
            HttpClient::new("https://git.example/api/v1", None, RetryPolicy::default()).unwrap();
        assert!(client
            .own_url("https://git.example/api/v1/repos/a/b/issues?page=2")
            .is_ok());
        for foreign in [
            "https://evil.example/api/v1/repos/a/b/issues?page=2",
            "http://git.example/api/v1/repos/a/b/issues?page=2",
            "https://git.example:444/api/v1/x",
            "not a url",
        ] {
            assert!(
                matches!(
                    client.own_url(foreign),
                    Err(ProviderError::ForeignLink { .. })
                ),
                "{foreign}"
            );
        }
    }

    #[test]
    fn secondary_limits_wait_a_minute_then_twice_as_long_each_time() {
        assert_eq!(secondary_wait(0), Duration::from_secs(60));
        assert_eq!(secondary_wait(1), Duration::from_secs(120));
        assert_eq!(secondary_wait(3), Duration::from_secs(480));
        assert_eq!(secondary_wait(40), Duration::from_secs(3600), "capped");
        assert!(is_secondary_limit(Some(
            "You have exceeded a secondary rate limit. Please wait a few minutes"
        )));
        assert!(!is_secondary_limit(Some(
            "Resource not accessible by integration"
        )));
        assert!(!is_secondary_limit(None));
    }

    #[test]
    fn link_headers_yield_the_next_page() {
        let header = r#"<https://g.example/api/v1/repos/a/b/issues?page=2&limit=50>; rel="next",<https://g.example/api/v1/repos/a/b/issues?page=9&limit=50>; rel="last""#;
        assert_eq!(
            link_target(header, "next").as_deref(),
            Some("https://g.example/api/v1/repos/a/b/issues?page=2&limit=50")
        );
        assert_eq!(
            link_target(header, "last").as_deref(),
            Some("https://g.example/api/v1/repos/a/b/issues?page=9&limit=50")
        );
        assert_eq!(link_target(header, "prev"), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered_within_bounds() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for attempt in 0..8 {
            let exp =
                Duration::from_millis(100 * 2u64.pow(attempt)).min(Duration::from_millis(1000));
            let d = policy.backoff(attempt);
            assert!(
                d >= exp / 2 && d <= exp,
                "attempt {attempt}: {d:?} outside [{:?}, {exp:?}]",
                exp / 2
            );
        }
    }

    #[test]
    fn segments_are_encoded_below_a_subpath() {
        let client = HttpClient::new(
            "https://h.example/gitea/api/v1/",
            None,
            RetryPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            client.endpoint(&["repos", "a b", "c"]).as_str(),
            "https://h.example/gitea/api/v1/repos/a%20b/c"
        );
        assert_eq!(
            client.endpoint(&["projects", "grp/sub/proj"]).as_str(),
            "https://h.example/gitea/api/v1/projects/grp%2Fsub%2Fproj"
        );
    }

    #[test]
    fn links_to_other_hosts_are_refused() {
        let client =
            HttpClient::new("https://h.example/api/v1", None, RetryPolicy::default()).unwrap();
        assert!(client.own_url("https://h.example/api/v1/x?page=2").is_ok());
        assert!(matches!(
            client.own_url("https://evil.example/api/v1/x?page=2"),
            Err(ProviderError::ForeignLink { .. })
        ));
    }

    #[test]
    fn github_validation_details_are_kept() {
        let body = br#"{"message":"Validation Failed","errors":[{"resource":"Issue","code":"invalid","field":"assignees"}],"documentation_url":"x"}"#;
        assert_eq!(
            validation_message(body, error_message(body), StatusCode::UNPROCESSABLE_ENTITY),
            "Validation Failed (assignees invalid)"
        );
        let gitlab = br#"{"error":"title is missing"}"#;
        assert_eq!(
            validation_message(gitlab, error_message(gitlab), StatusCode::BAD_REQUEST),
            "title is missing"
        );
    }

    #[test]
    fn rate_limit_reset_comes_from_retry_after_then_the_reset_header() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1893456000"));
        assert!(rate_limit_exhausted(&headers));
        assert_eq!(
            retry_at(&headers, None).to_string(),
            "2030-01-01T00:00:00.000Z"
        );
        let soon = retry_at(&headers, Some(Duration::from_secs(30)));
        assert!(soon < Timestamp::now().plus_seconds(31), "Retry-After wins");
    }
}
