//! The HTTP client every adapter shares: auth header, timeouts, retries with backoff and
//! jitter, status → [`ProviderError`] mapping, and `Link` header paging.
//!
//! Invariants:
//! - The auth header is marked sensitive and is only ever sent to the API's own origin:
//!   a `Link` to another host is refused rather than followed with the token.
//! - Only idempotent reads are retried here (5xx, timeouts, dropped connections, and a
//!   429/503 whose `Retry-After` is short); everything else surfaces at once.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use super::ProviderError;
use crate::model::Timestamp;

/// How often and how patiently failed reads are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time, with jitter.
    pub base_delay: Duration,
    /// Upper bound of one backoff delay.
    pub max_delay: Duration,
    /// A `Retry-After` up to this long is waited out; a longer one is reported as
    /// [`ProviderError::RateLimited`].
    pub max_retry_after: Duration,
    /// Timeout of one request, including reading the body.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (0-based): exponential, capped, with
    /// jitter in its upper half so that many clients do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// A response that was read completely.
pub(crate) struct Response {
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

    /// A numeric header such as `X-Total-Count`.
    pub fn header_u64(&self, name: &str) -> Option<u64> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    }
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

pub(crate) struct HttpClient {
    client: reqwest::Client,
    api_url: Url,
    auth: Option<(HeaderName, HeaderValue)>,
    retry: RetryPolicy,
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
        })
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
        let mut attempt = 0;
        loop {
            let wait = match self.get_once(&url, what).await {
                Ok(response) => return Ok(response),
                Err(Attempt::Retry { after, .. }) if attempt < self.retry.max_retries => {
                    after.unwrap_or_else(|| self.retry.backoff(attempt))
                }
                Err(failed) => return Err(failed.into_error()),
            };
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }

    async fn get_once(&self, url: &Url, what: &str) -> Result<Response, Attempt> {
        let mut request = self
            .client
            .get(url.clone())
            .header(USER_AGENT, concat!("issuesync/", env!("CARGO_PKG_VERSION")))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some((name, value)) = &self.auth {
            request = request.header(name, value.clone());
        }
        let response = request.send().await.map_err(|e| self.transport(url, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport(url, e))?
            .to_vec();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(Response {
                headers,
                body,
                url: final_url,
            });
        }
        Err(self.classify(status, &headers, &body, url, what))
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
        let error = match status.as_u16() {
            401 => ProviderError::Unauthorized,
            403 if rate_limit_exhausted(headers) => ProviderError::RateLimited {
                retry_at: retry_at(headers, retry_after),
            },
            403 => ProviderError::Forbidden { message },
            404 => ProviderError::NotFound {
                what: what.to_string(),
            },
            409 => ProviderError::Conflict,
            410 => ProviderError::Gone {
                what: what.to_string(),
            },
            400 | 422 => ProviderError::Validation {
                message: message.unwrap_or_else(|| status.to_string()),
            },
            429 | 503 if retry_after.is_some_and(|d| d > self.retry.max_retry_after) => {
                ProviderError::RateLimited {
                    retry_at: retry_at(headers, retry_after),
                }
            }
            429 | 500..=599 => {
                return Attempt::Retry {
                    error: if status.as_u16() == 429 {
                        ProviderError::RateLimited {
                            retry_at: retry_at(headers, retry_after),
                        }
                    } else {
                        ProviderError::Server {
                            status: status.as_u16(),
                            url: url.to_string(),
                        }
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

/// The `message` field trackers put in JSON error bodies.
fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message").or_else(|| value.get("error"))?;
    match message {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
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
fn retry_at(headers: &HeaderMap, retry_after: Option<Duration>) -> Timestamp {
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
}
