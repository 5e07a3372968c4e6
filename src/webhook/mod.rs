//! Webhooks: deliveries from the trackers as hints that an issue changed, so the mirror
//! follows within about a second where the tracker can reach us. Polling stays the
//! reliable baseline; a delivery is never the source of a value.
//!
//! - [`verify`]: is the delivery authentic (HMAC over the raw body, GitLab's token or
//!   Standard Webhooks signature), before anything in it is read.
//! - [`payload`]: which repository and issue a verified delivery names.
//! - [`rate`]: the per-connection rate cap.
//! - [`receiver`]: the HTTP endpoint (`POST /webhooks/NAME`, `GET /healthz`) on axum.
//!
//! Invariants: webhook secrets live in the keychain (or
//! `ISSUESYNC_WEBHOOK_SECRET_<NAME>`), never in SQLite, a log line or an answer; a
//! rejected delivery is logged without its body and causes no request to the tracker.

pub mod payload;
pub mod rate;
pub mod receiver;
pub mod verify;

use crate::provider::ProviderError;

/// What can go wrong with webhooks, each with a stable [`WebhookError::code`].
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(
        "connection {name:?} has no webhook secret: run `issuesync webhook secret {name}`, or \
         set {env_var}"
    )]
    NoSecret { name: String, env_var: String },
    #[error(
        "the OS keychain is not available ({reason}); on a headless machine set {env_var} \
         to the webhook secret instead"
    )]
    NoKeychain { reason: String, env_var: String },
    #[error(
        "the webhook secret is empty: pipe a secret into --stdin, or leave it out to generate one"
    )]
    EmptySecret,
    #[error(
        "{url:?} is not a public base URL for webhooks: give the http(s) address the tracker \
         reaches this machine at, without credentials, query or fragment"
    )]
    BadPublicUrl { url: String },
    #[error(
        "the token of connection {connection:?} may not manage the webhooks of {repo} ({source}); \
         it needs admin rights on the repository (GitHub: repository admin, classic tokens \
         the admin:repo_hook scope; GitLab: Maintainer; Gitea/Forgejo: repository admin)"
    )]
    NeedsAdmin {
        connection: String,
        repo: String,
        #[source]
        source: ProviderError,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the webhook receiver stopped: {source}")]
    Serve {
        #[source]
        source: std::io::Error,
    },
}

impl WebhookError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSecret { .. } => "no_webhook_secret",
            Self::EmptySecret => "invalid_input",
            Self::NoKeychain { .. } => "keychain_unavailable",
            Self::BadPublicUrl { .. } => "invalid_url",
            Self::NeedsAdmin { .. } => "forbidden",
            Self::Bind { .. } => "bind_failed",
            Self::Serve { .. } => "serve_failed",
        }
    }
}
