//! The error of the core's public API ([`crate::workspace::Workspace`]): every module's
//! error, plus the mistakes a person can make, each with a stable [`Error::code`] for the
//! UI and scripts.
//!
//! Invariant: messages name the problem and the fix in one line, and never contain a
//! token (secrets are redacted types; provider errors carry URLs, not headers).

use crate::model::{UnknownProvider, UnknownState};
use crate::provider::ProviderError;
use crate::remote_url::UrlError;
use crate::secrets::SecretsError;
use crate::store::StoreError;
use crate::sync::SyncError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error(transparent)]
    Webhook(#[from] crate::webhook::WebhookError),
    #[error(transparent)]
    UnknownProvider(#[from] UnknownProvider),
    #[error(transparent)]
    UnknownState(#[from] UnknownState),
    #[error("no connection named {name:?}; see `issuesync connection list`")]
    UnknownConnection { name: String },
    #[error("a connection named {name:?} already exists; pick another name or remove it first")]
    DuplicateConnection { name: String },
    #[error(
        "a connection named {name:?} would share {env_var} with the existing connection \
         {existing:?} (names are compared upper-cased, with '-' and '.' as '_'); pick \
         another name"
    )]
    ConnectionNameClash {
        name: String,
        existing: String,
        env_var: String,
    },
    #[error(
        "{url} is plain http, so the token would travel in clear text; use https, or pass \
         --allow-insecure-http to send it anyway"
    )]
    InsecureHttp { url: String },
    #[error(
        "{url} is plain http and connection {name:?} was added without a token, so the token \
         in {env_var} would travel in clear text; it is not sent. Use https, or add the \
         connection again with --token-env --allow-insecure-http"
    )]
    InsecureEnvToken {
        name: String,
        url: String,
        env_var: String,
    },
    #[error("--token-env: {env_var} is not set (or empty); set it, or pipe the token into --token-stdin")]
    EnvTokenUnset { env_var: String },
    #[error(
        "{env_var} is set: pass --token-env to verify the connection with it (sync uses it \
         too), or unset it for an anonymous connection"
    )]
    EnvTokenNotRequested { env_var: String },
    #[error("give the token one way: --token-stdin or --token-env, not both")]
    TwoTokenSources,
    #[error("{name:?} cannot be a connection name: use letters, digits, '-', '_' or '.'")]
    InvalidConnectionName { name: String },
    #[error("{input:?} is not a repository reference: expected NAME:OWNER/REPO")]
    BadRepoReference { input: String },
    #[error("{reference} is not mirrored; add it with `issuesync repo add {reference}`")]
    UnknownRepo { reference: String },
    #[error("{input:?} is not an issue reference: expected NAME:OWNER/REPO#NUMBER or a local id")]
    BadIssueReference { input: String },
    #[error("no mirrored issue {reference}; run `issuesync sync` or check `issuesync list`")]
    UnknownIssue { reference: String },
    #[error(
        "the token for connection {name:?} is missing from the OS keychain; add the \
         connection again with --token-stdin, or set {env_var}"
    )]
    MissingToken { name: String, env_var: String },
    #[error("the token is empty: pipe the token into --token-stdin")]
    EmptyToken,
    #[error("the title cannot be empty")]
    EmptyTitle,
    #[error("{reference} is not on the tracker yet: the next sync creates it")]
    NotOnTracker { reference: String },
    #[error("{url:?} is not a web link (only http and https links open outside)")]
    NotAWebLink { url: String },
    #[error("nothing to change: give at least one field to edit")]
    NothingToEdit,
    #[error(
        "{reference} is {status} on the tracker, so local changes cannot be pushed; \
         `issuesync discard {reference}` drops them (the local copy stays readable)"
    )]
    RemoteGone {
        reference: String,
        status: &'static str,
    },
    #[error(
        "{reference} has {count} local {} not on the tracker yet: push {1} with `issuesync sync` \
         first (refused ones: `issuesync list --status failed`), or remove the repository \
         anyway, dropping {1}: `issuesync repo remove {reference} --discard-pending`",
        if *.count == 1 { "change" } else { "changes" },
        if *.count == 1 { "it" } else { "them" }
    )]
    PendingChanges { reference: String, count: u64 },
    #[error("{reference} has no open conflict on {field}; see `issuesync conflicts`")]
    NoConflict { reference: String, field: String },
    #[error("{value:?} is not a value for {field}: {problem}")]
    BadFieldValue {
        field: String,
        value: String,
        problem: String,
    },
    #[error(transparent)]
    UnknownField(#[from] crate::model::UnknownField),
    #[error(transparent)]
    UnknownPolicy(#[from] crate::model::UnknownPolicy),
    #[error(
        "agent {agent:?} may not change {connection}:{repo}: agents write only to the \
         repositories a person allowed. To allow it, run `issuesync connection edit \
         {connection} --agent-writes {globs}` (globs such as 'owner/*' work too)"
    )]
    AgentWriteRefused {
        agent: String,
        connection: String,
        repo: String,
        /// The connection's list with this repository added, as the fix would set it.
        globs: String,
    },
    #[error(
        "another sync of {data_dir} is running (the desktop app or another issuesync); \
         try again when it is done"
    )]
    SyncBusy { data_dir: String },
    #[error("cannot use {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{url} does not answer like a {provider} API ({source}); check the provider and that \
         the URL is the instance's web root"
    )]
    NotATracker {
        url: String,
        provider: &'static str,
        #[source]
        source: ProviderError,
    },
}

impl Error {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::Provider(e) => e.code(),
            Self::Secrets(e) => e.code(),
            Self::Url(_) => "invalid_url",
            Self::Webhook(e) => e.code(),
            Self::UnknownProvider(_) => "unknown_provider",
            Self::UnknownState(_) => "invalid_input",
            Self::UnknownConnection { .. } => "unknown_connection",
            Self::DuplicateConnection { .. } | Self::ConnectionNameClash { .. } => {
                "duplicate_connection"
            }
            Self::InsecureHttp { .. } | Self::InsecureEnvToken { .. } => "insecure_http",
            Self::EnvTokenUnset { .. } => "missing_token",
            Self::EnvTokenNotRequested { .. } => "env_token_not_requested",
            Self::TwoTokenSources => "invalid_input",
            Self::InvalidConnectionName { .. } => "invalid_input",
            Self::BadRepoReference { .. } | Self::BadIssueReference { .. } => "bad_reference",
            Self::UnknownRepo { .. } => "unknown_repo",
            Self::UnknownIssue { .. } => "unknown_issue",
            Self::MissingToken { .. } | Self::EmptyToken => "missing_token",
            Self::NotATracker { .. } => "not_a_tracker",
            Self::EmptyTitle | Self::NothingToEdit | Self::BadFieldValue { .. } => "invalid_input",
            Self::UnknownField(_) | Self::UnknownPolicy(_) => "invalid_input",
            Self::RemoteGone { .. } => "remote_gone",
            Self::NotOnTracker { .. } => "not_on_tracker",
            Self::NotAWebLink { .. } => "invalid_input",
            Self::NoConflict { .. } => "no_conflict",
            Self::PendingChanges { .. } => "pending_changes",
            Self::SyncBusy { .. } => "sync_busy",
            Self::AgentWriteRefused { .. } => "agent_write_refused",
            Self::DataDir { .. } => "store_open",
        }
    }
}

impl From<SyncError> for Error {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Provider(e) | SyncError::TokenRejected { source: e, .. } => {
                Self::Provider(e)
            }
            SyncError::Store(e) => Self::Store(e),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error as the UI and scripts receive it: the stable code and the one-line message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
}

impl From<Error> for ErrorReport {
    fn from(e: Error) -> Self {
        Self {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}
