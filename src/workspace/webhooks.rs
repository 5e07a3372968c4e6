//! The workspace's webhook side: each connection's webhook secret (keychain or
//! `ISSUESYNC_WEBHOOK_SECRET_<NAME>`), registering hooks on the trackers, the delivery
//! ids already acted on, and refreshing one issue when a delivery names it.
//!
//! Invariants:
//! - A webhook secret is never stored in SQLite, logged or serialised ([`Secret`]); a
//!   generated one is handed back once, for the caller to print.
//! - Registering is idempotent: the hooks of the repository that deliver to the same URL
//!   are replaced by one (with the current secret).
//! - A refresh takes the data dir's sync lock, like a sync: it never runs beside one.

use std::sync::Arc;

use serde::Serialize;
use ts_rs::TS;

use super::Workspace;
use crate::error::{Error, Result};
use crate::model::{Connection, Repo, Timestamp};
use crate::provider::{ProviderError, RemoteHook};
use crate::reference::{parse_issue_ref, parse_repo_ref, IssueRef};
use crate::secrets::{webhook_secret_env_var, webhook_secret_from_env, webhook_secret_key, Secret};
use crate::store::sync_log::LogResult;
use crate::store::{repos, webhook_deliveries};
use crate::sync::refresh::{self, Refreshed};
use crate::webhook::payload::Hint;
use crate::webhook::WebhookError;

/// The result of setting a connection's webhook secret.
#[derive(Debug, Clone)]
pub struct WebhookSecretSet {
    pub connection: String,
    /// The secret generated for it (print it once, to paste into the tracker); `None`
    /// when a given secret was stored.
    pub generated: Option<Secret>,
    /// Whether it went to the keychain (else: no keychain here, and `env_var` is set).
    pub stored: bool,
    /// `ISSUESYNC_WEBHOOK_SECRET_<NAME>`.
    pub env_var: String,
    /// Set when that variable is set: it is what the receiver uses.
    pub env_overrides: bool,
}

/// The hooks of one repository that deliver to us.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WebhookListing {
    /// `NAME:OWNER/REPO`.
    pub repo: String,
    pub hooks: Vec<RemoteHook>,
}

/// The result of registering a hook.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WebhookRegistered {
    pub repo: String,
    pub hook: RemoteHook,
    /// Hooks to the same URL that were there before and were replaced.
    pub replaced: usize,
}

/// The result of removing our hooks.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WebhooksRemoved {
    pub repo: String,
    pub removed: Vec<RemoteHook>,
}

/// A connection as the receiver needs it: what it is, and its secret (if any).
pub(crate) struct WebhookTarget {
    pub connection: Connection,
    pub secret: Option<Secret>,
}

/// The path the receiver serves a connection's deliveries at.
pub fn webhook_path(connection: &str) -> String {
    format!("/webhooks/{connection}")
}

/// `PUBLIC_BASE_URL/webhooks/NAME`, after checking the base is a plain web address.
///
/// # Errors
/// [`WebhookError::BadPublicUrl`].
pub fn webhook_url(public_base: &str, connection: &str) -> Result<String> {
    let bad = || WebhookError::BadPublicUrl {
        url: crate::remote_url::redact_credentials(public_base),
    };
    let parsed = url::Url::parse(public_base.trim()).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        return Err(bad().into());
    }
    Ok(format!(
        "{}{}",
        parsed.as_str().trim_end_matches('/'),
        webhook_path(connection)
    ))
}

/// Whether a hook delivers to connection `name`'s path (at whatever public address).
fn is_ours(hook: &RemoteHook, name: &str) -> bool {
    url::Url::parse(&hook.url).is_ok_and(|u| u.path().trim_end_matches('/') == webhook_path(name))
}

/// 32 random bytes from the OS, hex.
fn generate_secret() -> Result<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::Webhook(WebhookError::NoKeychain {
            reason: format!("no random numbers from the OS: {e}"),
            env_var: String::new(),
        })
    })?;
    Ok(Secret::new(hex::encode(bytes)))
}

impl Workspace {
    /// Sets the webhook secret of connection `name`: `given`, or a newly generated one
    /// (returned once). It goes to the keychain; without one, it is accepted only while
    /// `ISSUESYNC_WEBHOOK_SECRET_<NAME>` is set.
    ///
    /// # Errors
    /// An unknown connection, an empty secret, no keychain (naming the variable), or a
    /// keychain that refused.
    pub fn set_webhook_secret(
        &self,
        name: &str,
        given: Option<Secret>,
    ) -> Result<WebhookSecretSet> {
        let connection = self.connection(name)?;
        if given.as_ref().is_some_and(Secret::is_empty) {
            return Err(WebhookError::EmptySecret.into());
        }
        let env_var = webhook_secret_env_var(name);
        let env_overrides = webhook_secret_from_env(name).is_some();
        let (secret, generated) = match given {
            Some(secret) => (secret, false),
            None => (generate_secret()?, true),
        };
        let key = webhook_secret_key(&connection.secret_key);
        let stored = match self.secrets.set(&key, name, &secret) {
            Ok(()) => true,
            Err(e) => match e.unavailable_reason() {
                Some(_) if env_overrides => false,
                Some(reason) => {
                    return Err(WebhookError::NoKeychain { reason, env_var }.into());
                }
                None => return Err(e.into()),
            },
        };
        self.log(
            Some(connection.id),
            None,
            "webhook_secret",
            LogResult::Ok,
            &format!(
                "{name}: webhook secret {}",
                if generated { "generated" } else { "set" }
            ),
        )?;
        Ok(WebhookSecretSet {
            connection: connection.name,
            generated: generated.then_some(secret),
            stored,
            env_var,
            env_overrides,
        })
    }

    /// Connection `name`'s webhook secret: the variable first, then the keychain.
    fn webhook_secret(&self, connection: &Connection) -> Result<Option<Secret>> {
        if let Some(secret) = webhook_secret_from_env(&connection.name) {
            return Ok(Some(secret));
        }
        let key = webhook_secret_key(&connection.secret_key);
        Ok(self.secrets.get(&key, &connection.name)?)
    }

    fn required_webhook_secret(&self, connection: &Connection) -> Result<Secret> {
        self.webhook_secret(connection)?.ok_or_else(|| {
            WebhookError::NoSecret {
                name: connection.name.clone(),
                env_var: webhook_secret_env_var(&connection.name),
            }
            .into()
        })
    }

    /// What the receiver needs of connection `name`; `None` when there is none.
    pub(crate) fn webhook_target(&self, name: &str) -> Result<Option<WebhookTarget>> {
        let Some(connection) = crate::store::connections::by_name(self.store().conn(), name)?
        else {
            return Ok(None);
        };
        let secret = self.webhook_secret(&connection)?;
        Ok(Some(WebhookTarget { connection, secret }))
    }

    /// The mirrored repository a delivery's hint names: by the tracker's id, else by
    /// path (case-insensitively); `None` when it is not mirrored.
    pub(crate) fn hinted_repo(&self, connection: &Connection, hint: &Hint) -> Result<Option<Repo>> {
        let mirrored = repos::list(self.store().conn(), Some(connection.id))?;
        let by_id = hint
            .repo_id
            .and_then(|id| mirrored.iter().find(|r| r.remote_id == Some(id)));
        Ok(by_id
            .or_else(|| {
                mirrored
                    .iter()
                    .find(|r| r.full_path.eq_ignore_ascii_case(&hint.repo_path))
            })
            .cloned())
    }

    /// Records a delivery id of the connection; `false` for one seen before.
    pub(crate) fn record_delivery(&self, connection_id: i64, delivery_id: &str) -> Result<bool> {
        Ok(webhook_deliveries::record(
            self.store().conn(),
            connection_id,
            delivery_id,
            Timestamp::now(),
        )?)
    }

    /// Forgets the delivery ids older than `retention`.
    pub(crate) fn prune_deliveries(&self, retention: std::time::Duration) -> Result<usize> {
        let seconds = i64::try_from(retention.as_secs()).unwrap_or(i64::MAX / 2);
        let before = Timestamp::now().plus_seconds(-seconds);
        Ok(webhook_deliveries::prune(self.store().conn(), before)?)
    }

    /// Re-reads one issue (`NAME:OWNER/REPO#NUMBER`) from the tracker, with its comments
    /// when `with_comments`, and brings it in as a pull would. Takes the sync lock.
    ///
    /// # Errors
    /// A malformed reference, a repository that is not mirrored, another sync running
    /// ([`Error::SyncBusy`]), a tracker or store failure.
    pub async fn refresh_issue(&self, reference: &str, with_comments: bool) -> Result<Refreshed> {
        let IssueRef::Remote { repo, number } = parse_issue_ref(reference)? else {
            return Err(Error::BadIssueReference {
                input: reference.to_string(),
            });
        };
        let connection = self.connection(&repo.connection)?;
        let mirrored = repos::by_path(self.store().conn(), connection.id, &repo.path)?.ok_or(
            Error::UnknownRepo {
                reference: repo.to_string(),
            },
        )?;
        let _lock = self.sync_lock()?;
        let provider = self.provider_for(&connection)?;
        let refreshed = refresh::refresh_issue(
            &self.store,
            provider.as_ref(),
            &connection.web_url,
            connection.conflict_policy,
            &mirrored,
            number,
            with_comments,
        )
        .await?;
        Ok(refreshed)
    }

    /// The hooks of `NAME:OWNER/REPO` that deliver to connection NAME's path.
    ///
    /// # Errors
    /// A malformed reference, an unknown connection, a token without admin rights
    /// ([`WebhookError::NeedsAdmin`]), a tracker failure.
    pub async fn webhooks(&self, reference: &str) -> Result<WebhookListing> {
        let repo_ref = parse_repo_ref(reference)?;
        let connection = self.connection(&repo_ref.connection)?;
        let provider = self.provider_for(&connection)?;
        let hooks = provider
            .list_hooks(&repo_ref.path)
            .await
            .map_err(|e| admin_error(&connection, &repo_ref.to_string(), e))?;
        Ok(WebhookListing {
            repo: repo_ref.to_string(),
            hooks: hooks
                .into_iter()
                .filter(|h| is_ours(h, &connection.name))
                .collect(),
        })
    }

    /// Creates the hook of `NAME:OWNER/REPO` for `PUBLIC_BASE/webhooks/NAME` with the
    /// stored secret, replacing any hook to that URL.
    ///
    /// # Errors
    /// A malformed reference or base URL, no webhook secret, a token without admin
    /// rights, a tracker failure.
    pub async fn register_webhook(
        &self,
        reference: &str,
        public_base: &str,
    ) -> Result<WebhookRegistered> {
        let repo_ref = parse_repo_ref(reference)?;
        let connection = self.connection(&repo_ref.connection)?;
        let url = webhook_url(public_base, &connection.name)?;
        let secret = self.required_webhook_secret(&connection)?;
        let provider = self.provider_for(&connection)?;
        let label = repo_ref.to_string();
        let admin = |e| admin_error(&connection, &label, e);
        let existing = provider.list_hooks(&repo_ref.path).await.map_err(admin)?;
        let mut replaced = 0;
        for hook in existing.iter().filter(|h| h.url == url) {
            provider
                .delete_hook(&repo_ref.path, hook.id)
                .await
                .map_err(admin)?;
            replaced += 1;
        }
        let hook = provider
            .create_hook(&repo_ref.path, &url, &secret)
            .await
            .map_err(admin)?;
        self.log(
            Some(connection.id),
            None,
            "webhook_register",
            LogResult::Ok,
            &format!("{label}: hook {} to {url}", hook.id),
        )?;
        Ok(WebhookRegistered {
            repo: label,
            hook,
            replaced,
        })
    }

    /// Removes the hooks of `NAME:OWNER/REPO` that deliver to connection NAME's path
    /// (only those to `PUBLIC_BASE/webhooks/NAME` when `public_base` is given).
    ///
    /// # Errors
    /// A malformed reference or base URL, a token without admin rights, a tracker failure.
    pub async fn unregister_webhook(
        &self,
        reference: &str,
        public_base: Option<&str>,
    ) -> Result<WebhooksRemoved> {
        let repo_ref = parse_repo_ref(reference)?;
        let connection = self.connection(&repo_ref.connection)?;
        let only = public_base
            .map(|base| webhook_url(base, &connection.name))
            .transpose()?;
        let provider = self.provider_for(&connection)?;
        let label = repo_ref.to_string();
        let admin = |e| admin_error(&connection, &label, e);
        let existing = provider.list_hooks(&repo_ref.path).await.map_err(admin)?;
        let mut removed = Vec::new();
        for hook in existing {
            let matches = match &only {
                Some(url) => &hook.url == url,
                None => is_ours(&hook, &connection.name),
            };
            if matches {
                provider
                    .delete_hook(&repo_ref.path, hook.id)
                    .await
                    .map_err(admin)?;
                removed.push(hook);
            }
        }
        self.log(
            Some(connection.id),
            None,
            "webhook_unregister",
            LogResult::Ok,
            &format!("{label}: {} hooks removed", removed.len()),
        )?;
        Ok(WebhooksRemoved {
            repo: label,
            removed,
        })
    }

    /// Runs `issuesync serve` (see [`crate::serve`]) until `shutdown` resolves.
    ///
    /// # Errors
    /// The address cannot be bound, or the server fails.
    pub async fn serve(
        self: Arc<Self>,
        options: crate::serve::ServeOptions,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
        log: crate::serve::Log,
    ) -> Result<()> {
        crate::serve::run(self, options, shutdown, log).await
    }
}

/// A 403 or 404 on the hooks endpoints means the token is not an admin of the repository.
fn admin_error(connection: &Connection, repo: &str, e: ProviderError) -> Error {
    match e {
        ProviderError::Forbidden { .. } | ProviderError::NotFound { .. } => {
            WebhookError::NeedsAdmin {
                connection: connection.name.clone(),
                repo: repo.to_string(),
                source: e,
            }
            .into()
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "https://hooks.example.com",
        Some("https://hooks.example.com/webhooks/work")
    )]
    #[case(
        "https://hooks.example.com/relay/",
        Some("https://hooks.example.com/relay/webhooks/work")
    )]
    #[case(
        "http://192.168.1.5:8765",
        Some("http://192.168.1.5:8765/webhooks/work")
    )]
    #[case("https://user:pw@hooks.example.com", None)]
    #[case("https://hooks.example.com/?x=1", None)]
    #[case("ftp://hooks.example.com", None)]
    #[case("hooks.example.com", None)]
    fn the_hook_url_is_the_public_base_plus_the_connections_path(
        #[case] base: &str,
        #[case] expected: Option<&str>,
    ) {
        assert_eq!(webhook_url(base, "work").ok().as_deref(), expected);
    }

    #[test]
    fn a_bad_base_url_is_not_echoed_with_its_credentials() {
        let err = webhook_url("https://user:hunter2@hooks.example.com?x", "w").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn generated_secrets_are_long_random_and_different() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a, b);
    }
}
