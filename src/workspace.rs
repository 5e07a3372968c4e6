//! The core's public API: one opened data dir (the SQLite mirror plus the keychain).
//! The CLI and the desktop shell call these methods and nothing below them.
//!
//! Invariants:
//! - A connection is stored only after the tracker answered (and, with a token, said
//!   who it belongs to) and its token is in the keychain; a failure at any step leaves
//!   neither a row nor a keychain entry behind.
//! - Tokens are looked up only when a request needs them: `ISSUESYNC_TOKEN_<NAME>` first,
//!   then the keychain; anonymous connections never touch the keychain. A new connection
//!   is verified with that variable only when the request asks for it, and no two
//!   connections' names map to the same variable.
//! - A token is sent over plain http only to a loopback host, unless the request allows
//!   it ([`crate::remote_url::sends_in_clear`]).
//! - The data dir is `0700` and its files `0600` on unix ([`crate::owner_only`]).
//! - The store lock is held only for short reads and writes, never across a request.

mod agent;
mod editing;
mod overview;
mod webhooks;

pub use agent::{glob_matches, Agent, AgentWrites, AGENT_NAME_MAX};
pub use editing::{Discarded, Edited, IssueEdit, NewIssue, Resolution};
pub use overview::{ConnectionOverview, ImageChoice, IssueView, SyncOverview};
pub use webhooks::{
    webhook_path, webhook_url, WebhookListing, WebhookRegistered, WebhookSecretSet, WebhooksRemoved,
};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::{
    ConflictPolicy, Connection, Issue, IssueDetail, ProviderKind, RemoteRepo, Repo, RepoFilter,
    Timestamp,
};
use crate::provider::{
    self, CachedEtag, ConditionalCache, Endpoint, Provider, ProviderError, RetryPolicy,
};
use crate::reference::parse_repo_ref;
use crate::remote_url::{api_url, normalize_web_url, sends_in_clear};
use crate::secrets::{token_env_var, token_from_env, Secret, SecretStore};
use crate::store::issues::IssueQuery;
use crate::store::sync_log::{LogEntry, LogRecord, LogResult};
use crate::store::{
    comments, conflicts, connections, http_cache, issues, labels, outbox, repos, sync_log, Store,
    DATABASE_FILE,
};
use crate::sync::{self, RepoReport, SyncEvent, SyncOptions};

/// What adding a connection needs.
#[derive(Debug, serde::Deserialize, TS)]
pub struct NewConnectionRequest {
    pub name: String,
    pub provider: ProviderKind,
    pub web_url: String,
    /// `None` makes an anonymous connection (public repositories, read only).
    pub token: Option<Secret>,
    /// Verify with `ISSUESYNC_TOKEN_<NAME>` instead of `token` (it is not stored; every
    /// command reads the variable).
    #[serde(default)]
    #[ts(optional)]
    pub token_from_env: Option<bool>,
    /// Send the token even over plain http to a host that is not loopback.
    #[serde(default)]
    #[ts(optional)]
    pub allow_insecure_http: Option<bool>,
}

/// The result of adding a connection.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionAdded {
    pub connection: Connection,
    /// The tracker's version, when it says.
    pub server_version: Option<String>,
    /// Set when `ISSUESYNC_TOKEN_<NAME>` is set: the variable every command reads the
    /// token from (before the keychain).
    #[ts(optional = nullable)]
    pub token_env_var: Option<String>,
    /// Set when a token was given but could not be stored (no keychain on this machine):
    /// why. The connection then relies on `token_env_var`.
    #[ts(optional = nullable)]
    pub token_not_stored: Option<String>,
}

/// The result of removing a connection.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionRemoved {
    pub name: String,
    /// Set when the keychain entry could not be deleted (the connection is gone anyway).
    pub keychain_warning: Option<String>,
}

/// The result of a sync round.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct SyncSummary {
    pub repos: Vec<RepoReport>,
}

/// Progress of a sync of one connection, as the desktop app forwards it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncProgress {
    pub connection: String,
    pub event: SyncEvent,
}

/// A sync of one connection (or of all, `connection` `None`) ended.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncFinished {
    pub connection: Option<String>,
    pub summary: Option<SyncSummary>,
    pub error: Option<crate::ErrorReport>,
}

impl SyncSummary {
    /// Whether every repository synced.
    pub fn succeeded(&self) -> bool {
        self.repos.iter().all(|r| r.error.is_none())
    }
}

/// Where the mirror lives when no `--data-dir` is given: `ISSUESYNC_DATA_DIR`, else the
/// OS data dir (`~/.local/share/issuesync` on Linux). The CLI and the desktop app share
/// it, so both see the same mirror.
pub fn default_data_dir() -> Option<PathBuf> {
    match std::env::var_os("ISSUESYNC_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::data_dir().map(|d| d.join("issuesync")),
    }
}

/// An opened data dir.
pub struct Workspace {
    data_dir: PathBuf,
    store: Arc<Mutex<Store>>,
    secrets: Box<dyn SecretStore>,
    retry: RetryPolicy,
}

impl Workspace {
    /// Opens (creating if needed) the data dir and its database.
    ///
    /// # Errors
    /// [`Error::Store`] when the directory or database cannot be opened.
    pub fn open(data_dir: &Path, secrets: Box<dyn SecretStore>) -> Result<Self> {
        crate::owner_only::prepare_dir(data_dir, DATABASE_FILE).map_err(|e| {
            Error::Store(crate::store::StoreError::Open {
                path: data_dir.to_path_buf(),
                source: rusqlite::Error::InvalidPath(format!("{}: {e}", data_dir.display()).into()),
            })
        })?;
        let store = Store::open(&data_dir.join(DATABASE_FILE))?;
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            store: Arc::new(Mutex::new(store)),
            secrets,
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the HTTP retry policy (tests use short delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        sync::lock(&self.store)
    }

    // ----- connections -------------------------------------------------------------

    /// Verifies a tracker and stores a connection to it; the token goes to the keychain.
    ///
    /// # Errors
    /// Bad name or URL, a duplicate name, an unreachable host, a host that is not this
    /// kind of tracker, a rejected token, or an unusable keychain. Nothing is stored then.
    pub async fn add_connection(&self, request: NewConnectionRequest) -> Result<ConnectionAdded> {
        validate_connection_name(&request.name)?;
        self.check_name_is_free(&request.name)?;
        if request.token.as_ref().is_some_and(Secret::is_empty) {
            return Err(Error::EmptyToken);
        }
        let web_url = normalize_web_url(&request.web_url)?;
        let api = api_url(request.provider, &web_url);
        let env_var = token_env_var(&request.name);
        let env_token = token_from_env(&request.name);
        // A token from the environment is used to verify only when asked, and not stored.
        let token = match (&request.token, request.token_from_env.unwrap_or(false)) {
            (Some(_), true) => return Err(Error::TwoTokenSources),
            (Some(given), false) => Some(given.clone()),
            (None, true) => Some(env_token.clone().ok_or_else(|| Error::EnvTokenUnset {
                env_var: env_var.clone(),
            })?),
            (None, false) if env_token.is_some() => {
                return Err(Error::EnvTokenNotRequested { env_var })
            }
            (None, false) => None,
        };
        if token.is_some()
            && sends_in_clear(&web_url)
            && !request.allow_insecure_http.unwrap_or(false)
        {
            return Err(Error::InsecureHttp { url: web_url });
        }
        let provider = provider::connect(Endpoint {
            kind: request.provider,
            api_url: api.clone(),
            web_url: web_url.clone(),
            token: token.clone(),
            retry: self.retry.clone(),
            cache: None,
        })?;
        let info = provider.probe().await.map_err(|source| match source {
            ProviderError::NotFound { .. }
            | ProviderError::Decode { .. }
            | ProviderError::Server { .. } => Error::NotATracker {
                url: web_url.clone(),
                provider: request.provider.display_name(),
                source,
            },
            other => Error::Provider(other),
        })?;
        let login = match &token {
            Some(_) => Some(provider.whoami().await?.login),
            None => None,
        };

        let secret_key = format!("connection-{}", uuid::Uuid::new_v4());
        let mut token_not_stored = None;
        if let Some(token) = &request.token {
            match self.secrets.set(&secret_key, &request.name, token) {
                Ok(()) => {}
                // No keychain here, but the variable holds a token every command reads.
                Err(e) if env_token.is_some() && e.unavailable_reason().is_some() => {
                    token_not_stored = e.unavailable_reason();
                }
                Err(e) => return Err(e.into()),
            }
        }
        let stored = request.token.is_some() && token_not_stored.is_none();
        let inserted = connections::insert(
            self.store().conn(),
            &connections::NewConnection {
                name: &request.name,
                provider: request.provider,
                web_url: &web_url,
                api_url: &api,
                has_token: stored,
                secret_key: &secret_key,
                login: login.as_deref(),
                conflict_policy: ConflictPolicy::Ask,
            },
        );
        let connection = match inserted {
            Ok(c) => c,
            Err(e) => {
                if stored {
                    // Best effort: do not leave an orphaned secret behind.
                    let _ = self.secrets.delete(&secret_key, &request.name);
                }
                return Err(e.into());
            }
        };
        self.log(
            Some(connection.id),
            None,
            "connection_add",
            LogResult::Ok,
            &format!(
                "{} {} as {}",
                connection.provider,
                connection.web_url,
                login.as_deref().unwrap_or("anonymous")
            ),
        )?;
        Ok(ConnectionAdded {
            connection,
            server_version: info.version,
            token_env_var: env_token.is_some().then(|| token_env_var(&request.name)),
            token_not_stored,
        })
    }

    /// Refuses a name that is taken, or that maps to the same `ISSUESYNC_TOKEN_<NAME>`
    /// as an existing connection's (`work` and `Work`, `my-lab` and `my_lab`).
    fn check_name_is_free(&self, name: &str) -> Result<()> {
        let env_var = token_env_var(name);
        for existing in connections::list(self.store().conn())? {
            if existing.name == name {
                return Err(Error::DuplicateConnection {
                    name: name.to_string(),
                });
            }
            if token_env_var(&existing.name) == env_var {
                return Err(Error::ConnectionNameClash {
                    name: name.to_string(),
                    existing: existing.name,
                    env_var,
                });
            }
        }
        Ok(())
    }

    /// All connections.
    ///
    /// # Errors
    /// [`Error::Store`] on a read failure.
    pub fn connections(&self) -> Result<Vec<Connection>> {
        Ok(connections::list(self.store().conn())?)
    }

    fn connection(&self, name: &str) -> Result<Connection> {
        connections::by_name(self.store().conn(), name)?.ok_or_else(|| Error::UnknownConnection {
            name: name.to_string(),
        })
    }

    /// Removes a connection, everything mirrored through it, and its keychain entry.
    ///
    /// # Errors
    /// [`Error::UnknownConnection`], or [`Error::Store`] on a write failure.
    pub fn remove_connection(&self, name: &str) -> Result<ConnectionRemoved> {
        let connection = self.connection(name)?;
        connections::delete(self.store().conn(), connection.id)?;
        let keychain_warning = if connection.has_token {
            self.secrets
                .delete(&connection.secret_key, &connection.name)
                .err()
                .map(|e| e.to_string())
        } else {
            None
        };
        self.log(
            None,
            None,
            "connection_remove",
            LogResult::Ok,
            &format!("{} ({})", connection.name, connection.web_url),
        )?;
        Ok(ConnectionRemoved {
            name: connection.name,
            keychain_warning,
        })
    }

    fn token_for(&self, connection: &Connection) -> Result<Option<Secret>> {
        if let Some(token) = token_from_env(&connection.name) {
            env_token_may_go(connection)?;
            return Ok(Some(token));
        }
        if !connection.has_token {
            return Ok(None);
        }
        match self.secrets.get(&connection.secret_key, &connection.name)? {
            Some(token) => Ok(Some(token)),
            None => Err(Error::MissingToken {
                name: connection.name.clone(),
                env_var: token_env_var(&connection.name),
            }),
        }
    }

    /// Replaces a connection's token (an expired or revoked one, say): the new token is
    /// verified against the tracker first, then stored in the keychain; the connection
    /// keeps its mirror and its pending changes.
    ///
    /// Over plain http to a host that is not loopback, a token is sent only with
    /// `allow_insecure_http`, or when the connection already has one stored (it was
    /// allowed when the connection was added).
    ///
    /// # Errors
    /// An unknown connection, an empty or rejected token, a token that would travel in
    /// clear text, an unusable keychain. The old token stays then.
    pub async fn replace_token(
        &self,
        name: &str,
        token: Secret,
        allow_insecure_http: bool,
    ) -> Result<Connection> {
        if token.is_empty() {
            return Err(Error::EmptyToken);
        }
        let connection = self.connection(name)?;
        if sends_in_clear(&connection.web_url) && !allow_insecure_http && !connection.has_token {
            return Err(Error::InsecureHttp {
                url: connection.web_url,
            });
        }
        let provider = provider::connect(Endpoint {
            kind: connection.provider,
            api_url: connection.api_url.clone(),
            web_url: connection.web_url.clone(),
            token: Some(token.clone()),
            retry: self.retry.clone(),
            cache: None,
        })?;
        let login = provider.whoami().await?.login;
        self.secrets
            .set(&connection.secret_key, &connection.name, &token)?;
        connections::set_token(self.store().conn(), connection.id, &login)?;
        self.log(
            Some(connection.id),
            None,
            "connection_edit",
            LogResult::Ok,
            &format!("{name}: new token, connected as {login}"),
        )?;
        self.connection(name)
    }

    fn provider_for(&self, connection: &Connection) -> Result<Box<dyn Provider>> {
        Ok(provider::connect(Endpoint {
            kind: connection.provider,
            api_url: connection.api_url.clone(),
            web_url: connection.web_url.clone(),
            token: self.token_for(connection)?,
            retry: self.retry.clone(),
            cache: Some(Arc::new(StoredEtags {
                store: Arc::clone(&self.store),
                connection_id: connection.id,
            })),
        })?)
    }

    // ----- repositories ------------------------------------------------------------

    /// Repositories the connection's token can see on the tracker (anonymous: public).
    ///
    /// # Errors
    /// An unknown connection, a missing token, or a tracker failure.
    pub async fn remote_repos(&self, connection: &str, limit: usize) -> Result<Vec<RemoteRepo>> {
        let connection = self.connection(connection)?;
        let provider = self.provider_for(&connection)?;
        Ok(provider.list_repos(limit).await?)
    }

    /// Starts mirroring `NAME:OWNER/REPO` (after checking the tracker has it), or changes
    /// its filter. A changed filter resets the cursors so the next sync re-reads it.
    ///
    /// # Errors
    /// A malformed reference, an unknown connection, a repository the tracker does not
    /// show us, or a tracker failure.
    pub async fn add_repo(&self, reference: &str, filter: RepoFilter) -> Result<Repo> {
        let repo_ref = parse_repo_ref(reference)?;
        let connection = self.connection(&repo_ref.connection)?;
        let provider = self.provider_for(&connection)?;
        let remote = provider.get_repo(&repo_ref.path).await?;
        let filter = RepoFilter {
            labels: crate::model::normalize_set(filter.labels),
            milestone: filter.milestone,
        };
        let mut store = self.store();
        let repo = store.write(|tx| -> Result<Repo> {
            let before = repos::by_path(tx, connection.id, &remote.full_path)?;
            let repo = repos::upsert(
                tx,
                connection.id,
                &remote.full_path,
                Some(remote.remote_id),
                &filter,
            )?;
            if before.is_some_and(|b| b.filter != filter) {
                repos::reset_cursors(tx, repo.id)?;
            }
            sync_log::append(
                tx,
                Timestamp::now(),
                &LogEntry {
                    connection_id: Some(connection.id),
                    repo_id: Some(repo.id),
                    issue_id: None,
                    operation: "repo_add",
                    result: LogResult::Ok,
                    detail: &format!("{}:{}", connection.name, repo.full_path),
                    agent: None,
                },
            )?;
            Ok(repo)
        })?;
        Ok(repo)
    }

    /// Mirrored repositories, all or one connection's.
    ///
    /// # Errors
    /// An unknown connection or a read failure.
    pub fn repos(&self, connection: Option<&str>) -> Result<Vec<Repo>> {
        let connection_id = connection
            .map(|c| self.connection(c))
            .transpose()?
            .map(|c| c.id);
        Ok(repos::list(self.store().conn(), connection_id)?)
    }

    /// The labels a mirrored repository offers (as of its last full sync).
    ///
    /// # Errors
    /// A malformed reference, or a repository that is not mirrored.
    pub fn repo_labels(&self, reference: &str) -> Result<Vec<crate::model::Label>> {
        let repo = self.mirrored_repo(reference)?;
        Ok(labels::for_repo(self.store().conn(), repo.id)?)
    }

    /// Stops mirroring a repository and deletes its mirrored issues. While local changes
    /// of it wait for the tracker (pending or refused edits, creates, comments), it is
    /// removed only with `discard_pending`, and those changes are lost. Returns how many
    /// were discarded.
    ///
    /// # Errors
    /// A malformed reference, a repository that is not mirrored, or
    /// [`Error::PendingChanges`] (nothing is removed then).
    pub fn remove_repo(&self, reference: &str, discard_pending: bool) -> Result<u64> {
        let repo_ref = parse_repo_ref(reference)?;
        let connection = self.connection(&repo_ref.connection)?;
        let mut store = self.store();
        store.write(|tx| -> Result<u64> {
            let repo =
                repos::by_path(tx, connection.id, &repo_ref.path)?.ok_or(Error::UnknownRepo {
                    reference: repo_ref.to_string(),
                })?;
            let pending = outbox::count_for_repo(tx, repo.id)?;
            if pending > 0 && !discard_pending {
                return Err(Error::PendingChanges {
                    reference: repo_ref.to_string(),
                    count: pending,
                });
            }
            repos::delete(tx, repo.id)?;
            let detail = match pending {
                0 => repo_ref.to_string(),
                1 => format!("{repo_ref} (1 local change discarded)"),
                n => format!("{repo_ref} ({n} local changes discarded)"),
            };
            sync_log::append(
                tx,
                Timestamp::now(),
                &LogEntry {
                    connection_id: Some(connection.id),
                    repo_id: None,
                    issue_id: None,
                    operation: "repo_remove",
                    result: LogResult::Ok,
                    detail: &detail,
                    agent: None,
                },
            )?;
            Ok(pending)
        })
    }

    // ----- sync --------------------------------------------------------------------

    /// One sync round for one connection (by name) or all of them.
    ///
    /// Failures of single repositories are in the summary, not errors; a connection
    /// whose token is missing fails all its repositories.
    ///
    /// # Errors
    /// An unknown connection name, or a store failure.
    pub async fn sync(
        &self,
        connection: Option<&str>,
        options: &SyncOptions,
        progress: &(dyn Fn(SyncEvent) + Send + Sync),
    ) -> Result<SyncSummary> {
        let targets = match connection {
            Some(name) => vec![self.connection(name)?],
            None => self.connections()?,
        };
        // One sync at a time per data dir: two could both send the same create.
        let _lock = self.sync_lock()?;
        let mut summary = SyncSummary::default();
        for connection in targets {
            let repos_to_sync = repos::list(self.store().conn(), Some(connection.id))?;
            if repos_to_sync.is_empty() {
                continue;
            }
            let provider = match self.provider_for(&connection) {
                Ok(p) => p,
                Err(e) => {
                    for repo in &repos_to_sync {
                        summary.repos.push(RepoReport {
                            repo: sync::pull::repo_label(repo),
                            error: Some(sync::ReportedError {
                                code: e.code().to_string(),
                                message: e.to_string(),
                            }),
                            ..RepoReport::default()
                        });
                    }
                    self.log(
                        Some(connection.id),
                        None,
                        "sync",
                        LogResult::Error,
                        &e.to_string(),
                    )?;
                    continue;
                }
            };
            let reports = sync::sync_connection(
                &self.store,
                provider.as_ref(),
                &connection,
                &repos_to_sync,
                options,
                &self.retry,
                progress,
            )
            .await?;
            summary.repos.extend(reports);
        }
        Ok(summary)
    }

    /// Takes the data dir's sync lock (released when the file is dropped, also when the
    /// process dies).
    fn sync_lock(&self) -> Result<std::fs::File> {
        let path = self.data_dir.join("sync.lock");
        let data_dir_error = |source| Error::DataDir {
            path: path.display().to_string(),
            source,
        };
        let file = crate::owner_only::open_private(&path).map_err(data_dir_error)?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::SyncBusy {
                data_dir: self.data_dir.display().to_string(),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(data_dir_error(e)),
        }
    }

    // ----- reading -----------------------------------------------------------------

    /// Mirrored issues matching `query`.
    ///
    /// # Errors
    /// [`Error::Store`] on a read failure.
    pub fn issues(&self, query: &IssueQuery) -> Result<Vec<Issue>> {
        Ok(issues::list(self.store().conn(), query)?)
    }

    /// The local ids of the mirrored issues matching `query`, without reading the rows.
    ///
    /// # Errors
    /// [`Error::Store`] on a read failure.
    pub fn issue_ids(&self, query: &IssueQuery) -> Result<Vec<i64>> {
        Ok(issues::ids(self.store().conn(), query)?)
    }

    /// How many mirrored issues match `query` (ignoring its limit and offset).
    ///
    /// # Errors
    /// [`Error::Store`] on a read failure.
    pub fn count_issues(&self, query: &IssueQuery) -> Result<u64> {
        Ok(issues::count(self.store().conn(), query)?)
    }

    /// One issue with its comments, open conflicts and pending changes, by
    /// `NAME:OWNER/REPO#NUMBER`, `NAME:OWNER/REPO#local-ID` or local id.
    ///
    /// # Errors
    /// A malformed reference or an issue that is not mirrored.
    pub fn issue(&self, reference: &str) -> Result<IssueDetail> {
        let id = self.issue_id(reference)?;
        let store = self.store();
        let issue = issues::by_id(store.conn(), id)?.ok_or_else(|| Error::UnknownIssue {
            reference: reference.trim().to_string(),
        })?;
        Ok(IssueDetail {
            comments: comments::for_issue(store.conn(), id)?,
            conflicts: conflicts::for_issue(store.conn(), id)?
                .into_iter()
                .map(|c| c.conflict)
                .collect(),
            pending: outbox::for_issue(store.conn(), id)?
                .iter()
                .map(outbox::OutboxEntry::to_pending_change)
                .collect(),
            issue,
        })
    }

    /// The newest `limit` sync-log rows, of one issue when `reference` is given.
    ///
    /// # Errors
    /// [`Error::Store`] on a read failure; an unknown issue.
    pub fn sync_log(&self, limit: u32, reference: Option<&str>) -> Result<Vec<LogRecord>> {
        let issue_id = reference.map(|r| self.issue_id(r)).transpose()?;
        Ok(sync_log::recent(self.store().conn(), limit, issue_id)?)
    }

    /// Sets what sync does when a field changed differently on both sides.
    ///
    /// # Errors
    /// An unknown connection or a store failure.
    pub fn set_conflict_policy(&self, name: &str, policy: ConflictPolicy) -> Result<Connection> {
        let connection = self.connection(name)?;
        connections::set_conflict_policy(self.store().conn(), connection.id, policy)?;
        self.log(
            Some(connection.id),
            None,
            "connection_edit",
            LogResult::Ok,
            &format!("{name}: conflict policy {policy}"),
        )?;
        self.connection(name)
    }

    fn log(
        &self,
        connection_id: Option<i64>,
        repo_id: Option<i64>,
        operation: &str,
        result: LogResult,
        detail: &str,
    ) -> Result<()> {
        sync_log::append(
            self.store().conn(),
            Timestamp::now(),
            &LogEntry {
                connection_id,
                repo_id,
                issue_id: None,
                operation,
                result,
                detail,
                agent: None,
            },
        )?;
        Ok(())
    }
}

/// Page validators kept in the connection's `http_cache` rows (written by the pull, in
/// the page's transaction). Read failures only cost a full request, so they are not
/// reported.
struct StoredEtags {
    store: Arc<Mutex<Store>>,
    connection_id: i64,
}

impl ConditionalCache for StoredEtags {
    fn get(&self, url: &str) -> Option<CachedEtag> {
        http_cache::get(sync::lock(&self.store).conn(), self.connection_id, url)
            .ok()
            .flatten()
    }
}

/// Whether the token in the connection's variable may be sent: a connection added
/// without a token (it has no login) never agreed to send one over plain http to
/// another machine, and a variable set later does not change that.
fn env_token_may_go(connection: &Connection) -> Result<()> {
    if connection.login.is_none() && sends_in_clear(&connection.web_url) {
        return Err(Error::InsecureEnvToken {
            name: connection.name.clone(),
            url: connection.web_url.clone(),
            env_var: token_env_var(&connection.name),
        });
    }
    Ok(())
}

fn validate_connection_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidConnectionName {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConflictPolicy, ProviderKind};

    fn connection(web_url: &str, login: Option<&str>) -> Connection {
        Connection {
            id: 1,
            name: "lan".into(),
            provider: ProviderKind::Gitea,
            web_url: web_url.into(),
            api_url: format!("{web_url}/api/v1"),
            has_token: false,
            secret_key: "k".into(),
            login: login.map(str::to_string),
            conflict_policy: ConflictPolicy::Ask,
            poll_interval_minutes: 15,
            created_at: Timestamp::now(),
        }
    }

    /// A connection added anonymously to a plain-http address on another machine does
    /// not start sending a token because `ISSUESYNC_TOKEN_<NAME>` appeared later.
    #[test]
    fn a_token_variable_set_later_does_not_travel_in_clear_text() {
        let err = env_token_may_go(&connection("http://tracker.example", None)).unwrap_err();
        assert_eq!(err.code(), "insecure_http");
        assert!(err.to_string().contains("ISSUESYNC_TOKEN_LAN"), "{err}");
        for fine in [
            connection("https://tracker.example", None),
            connection("http://127.0.0.1:3000", None),
            // Added with a token (allowed then, with --allow-insecure-http).
            connection("http://tracker.example", Some("alice")),
        ] {
            assert!(env_token_may_go(&fine).is_ok(), "{}", fine.web_url);
        }
    }
}
