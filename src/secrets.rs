//! Tokens: kept in the OS keychain, handled in memory as [`Secret`].
//!
//! Invariants:
//! - A token never reaches SQLite, a log line, an error message or serialized output:
//!   [`Secret`] prints `<redacted>` and does not implement `Serialize`; only
//!   [`Secret::expose`] reveals it, and only HTTP auth headers call that.
//! - Only this module talks to the keychain (`keyring`: Secret Service on Linux,
//!   Keychain on macOS, Credential Manager on Windows). A missing entry is `Ok(None)`.
//! - `ISSUESYNC_TOKEN_<NAME>` in the environment overrides the keychain for connection
//!   NAME (upper-cased, every non-alphanumeric character → `_`), like `GH_TOKEN`, so
//!   headless machines and scripts need no keychain. Two connections never share one
//!   variable (the workspace refuses names that normalise alike).
//! - Webhook secrets are kept the same way, under their own keychain entry per connection,
//!   with `ISSUESYNC_WEBHOOK_SECRET_<NAME>` (same normalisation) overriding the keychain.
//! - A process that launches others (the desktop app's opener) calls
//!   [`move_env_tokens_into_memory`] first thing: the variables are then read from memory
//!   and are no longer in its environment, so no child inherits them.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// The keychain service name every IssueSync entry is filed under.
pub const KEYCHAIN_SERVICE: &str = "issuesync";

/// A token. Debug and Display print `<redacted>`; it cannot be serialized (so it cannot
/// travel back to the UI), only read once from the connection dialog:
///
/// ```compile_fail
/// fn needs_serialize<T: serde::Serialize>() {}
/// needs_serialize::<issuesync::secrets::Secret>();
/// ```
#[derive(Clone, PartialEq, Eq, ts_rs::TS)]
#[ts(as = "String")]
pub struct Secret(String);

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

impl Secret {
    /// Wraps a token, trimming the whitespace and newline a pasted token brings along.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into().trim().to_string())
    }

    /// The token itself. Call this only to build an auth header, to sign or verify a
    /// webhook delivery, or to print a newly generated webhook secret once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why the keychain could not be used. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "the OS keychain is not available ({source}); on a headless machine set \
         {env_var} instead of storing the token"
    )]
    Unavailable {
        env_var: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the OS keychain refused the operation: {source}")]
    Keychain {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl SecretsError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => "keychain_unavailable",
            Self::Keychain { .. } => "keychain_error",
        }
    }

    /// Why there is no keychain at all (none on this machine, or it cannot be reached),
    /// without the advice to set the variable; `None` for a keychain that refused.
    pub fn unavailable_reason(&self) -> Option<String> {
        match self {
            Self::Unavailable { source, .. } => {
                Some(format!("the OS keychain is not available ({source})"))
            }
            Self::Keychain { .. } => None,
        }
    }
}

/// Where tokens are kept. `key` is a connection's `secret_key`; `connection` is its
/// name, used only to word errors (which env var to set instead).
pub trait SecretStore: Send + Sync {
    /// # Errors
    /// [`SecretsError`] when the keychain cannot be reached.
    fn get(&self, key: &str, connection: &str) -> Result<Option<Secret>, SecretsError>;
    /// # Errors
    /// [`SecretsError`] when the keychain cannot be reached or refuses.
    fn set(&self, key: &str, connection: &str, secret: &Secret) -> Result<(), SecretsError>;
    /// Deleting an absent entry succeeds.
    ///
    /// # Errors
    /// [`SecretsError`] when the keychain cannot be reached or refuses.
    fn delete(&self, key: &str, connection: &str) -> Result<(), SecretsError>;
}

/// The OS keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeychainStore;

impl KeychainStore {
    fn entry(key: &str, connection: &str) -> Result<keyring::Entry, SecretsError> {
        keyring::Entry::new(KEYCHAIN_SERVICE, key).map_err(|e| map_keyring_error(e, connection))
    }
}

fn map_keyring_error(error: keyring::Error, connection: &str) -> SecretsError {
    match error {
        keyring::Error::PlatformFailure(source) | keyring::Error::NoStorageAccess(source) => {
            SecretsError::Unavailable {
                env_var: token_env_var(connection),
                source,
            }
        }
        other => SecretsError::Keychain {
            source: Box::new(other),
        },
    }
}

impl SecretStore for KeychainStore {
    fn get(&self, key: &str, connection: &str) -> Result<Option<Secret>, SecretsError> {
        match Self::entry(key, connection)?.get_password() {
            Ok(token) => Ok(Some(Secret::new(token))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e, connection)),
        }
    }

    fn set(&self, key: &str, connection: &str, secret: &Secret) -> Result<(), SecretsError> {
        Self::entry(key, connection)?
            .set_password(secret.expose())
            .map_err(|e| map_keyring_error(e, connection))
    }

    fn delete(&self, key: &str, connection: &str) -> Result<(), SecretsError> {
        match Self::entry(key, connection)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e, connection)),
        }
    }
}

/// A process-local store for tests of code above the keychain (keyring's own mock
/// forgets between `Entry` objects, this one does not).
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Secret>>,
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str, _connection: &str) -> Result<Option<Secret>, SecretsError> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, _connection: &str, secret: &Secret) -> Result<(), SecretsError> {
        self.lock().insert(key.to_string(), secret.clone());
        Ok(())
    }

    fn delete(&self, key: &str, _connection: &str) -> Result<(), SecretsError> {
        self.lock().remove(key);
        Ok(())
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `ISSUESYNC_TOKEN_<NAME>`: NAME upper-cased, every non-alphanumeric character → `_`.
pub fn token_env_var(connection: &str) -> String {
    format!("{TOKEN_ENV_PREFIX}{}", env_suffix(connection))
}

/// `ISSUESYNC_WEBHOOK_SECRET_<NAME>`, NAME normalised as in [`token_env_var`].
pub fn webhook_secret_env_var(connection: &str) -> String {
    format!("{WEBHOOK_SECRET_ENV_PREFIX}{}", env_suffix(connection))
}

fn env_suffix(connection: &str) -> String {
    connection
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The prefix of every webhook-secret variable.
const WEBHOOK_SECRET_ENV_PREFIX: &str = "ISSUESYNC_WEBHOOK_SECRET_";

/// The keychain entry of a connection's webhook secret, beside its token's `secret_key`.
pub fn webhook_secret_key(secret_key: &str) -> String {
    format!("webhook-{secret_key}")
}

/// The secret from `ISSUESYNC_WEBHOOK_SECRET_<NAME>`, when set and not empty (read from
/// memory after [`move_env_tokens_into_memory`]).
pub fn webhook_secret_from_env(connection: &str) -> Option<Secret> {
    from_env(&webhook_secret_env_var(connection))
}

fn from_env(var: &str) -> Option<Secret> {
    MOVED_ENV_TOKENS
        .get()
        .and_then(|moved| moved.get(var).cloned())
        .or_else(|| std::env::var(var).ok().map(Secret::new))
        .filter(|s| !s.is_empty())
}

/// The `ISSUESYNC_TOKEN_*` variables taken out of the environment by
/// [`move_env_tokens_into_memory`], by variable name.
static MOVED_ENV_TOKENS: OnceLock<HashMap<String, Secret>> = OnceLock::new();

/// The prefix of every token variable.
const TOKEN_ENV_PREFIX: &str = "ISSUESYNC_TOKEN_";

/// The token from `ISSUESYNC_TOKEN_<NAME>`, when set and not empty (read from memory
/// after [`move_env_tokens_into_memory`]).
pub fn token_from_env(connection: &str) -> Option<Secret> {
    from_env(&token_env_var(connection))
}

/// Moves every `ISSUESYNC_TOKEN_*` and `ISSUESYNC_WEBHOOK_SECRET_*` variable from the process environment into memory:
/// [`token_from_env`] keeps finding them, processes started afterwards do not inherit
/// them. Returns how many were moved; a second call moves nothing.
///
/// Call it at the very start of `main`, before any other thread runs: changing the
/// environment while another thread reads it is not safe.
pub fn move_env_tokens_into_memory() -> usize {
    let mut moved = 0;
    MOVED_ENV_TOKENS.get_or_init(|| {
        let names: Vec<std::ffi::OsString> = std::env::vars_os()
            .map(|(name, _)| name)
            .filter(|name| {
                name.to_str().is_some_and(|n| {
                    n.starts_with(TOKEN_ENV_PREFIX) || n.starts_with(WEBHOOK_SECRET_ENV_PREFIX)
                })
            })
            .collect();
        let mut tokens = HashMap::new();
        for name in names {
            if let (Some(key), Some(value)) = (
                name.to_str(),
                std::env::var_os(&name).and_then(|v| v.into_string().ok()),
            ) {
                tokens.insert(key.to_string(), Secret::new(value));
            }
            std::env::remove_var(&name);
            moved += 1;
        }
        tokens
    });
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_their_value() {
        let secret = Secret::new("ghp_supersecret\n");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(
            format!("{:?}", Some(&secret)),
            "Some(<redacted>)",
            "nested Debug must stay redacted"
        );
        assert_eq!(
            secret.expose(),
            "ghp_supersecret",
            "pasted newline is trimmed"
        );
    }

    #[test]
    fn env_var_names_are_upper_cased_with_underscores() {
        assert_eq!(token_env_var("work-gitea"), "ISSUESYNC_TOKEN_WORK_GITEA");
        assert_eq!(token_env_var("my.lab 2"), "ISSUESYNC_TOKEN_MY_LAB_2");
        assert_eq!(
            webhook_secret_env_var("work-gitea"),
            "ISSUESYNC_WEBHOOK_SECRET_WORK_GITEA"
        );
    }

    #[test]
    fn memory_store_round_trips_and_deletes() {
        let store = MemoryStore::default();
        assert!(store.get("k", "c").unwrap().is_none());
        store.set("k", "c", &Secret::new("t")).unwrap();
        assert_eq!(store.get("k", "c").unwrap().unwrap().expose(), "t");
        store.delete("k", "c").unwrap();
        store
            .delete("k", "c")
            .expect("deleting twice is not an error");
        assert!(store.get("k", "c").unwrap().is_none());
    }

    /// Runs in a child process of this test binary (see the test below), so that
    /// changing the environment cannot race with other tests' threads.
    #[test]
    fn moved_tokens_child() {
        if std::env::var_os("ISSUESYNC_SECRETS_TEST_CHILD").is_none() {
            return;
        }
        assert_eq!(move_env_tokens_into_memory(), 2);
        assert!(std::env::var_os("ISSUESYNC_TOKEN_MOVED_PROBE").is_none());
        assert!(std::env::var_os("ISSUESYNC_WEBHOOK_SECRET_MOVED_PROBE").is_none());
        assert_eq!(
            webhook_secret_from_env("moved-probe").map(|t| t.expose().to_string()),
            Some("probe-hook-1".to_string()),
            "the webhook secret is still found"
        );
        assert_eq!(
            token_from_env("moved-probe").map(|t| t.expose().to_string()),
            Some("probe-token-1".to_string()),
            "the token is still found"
        );
        let seen = std::process::Command::new("env").output().unwrap();
        let seen = String::from_utf8_lossy(&seen.stdout);
        assert!(!seen.contains("ISSUESYNC_TOKEN_"), "inherited: {seen}");
        assert!(!seen.contains("probe-token-1"), "inherited: {seen}");
        assert!(!seen.contains("probe-hook-1"), "inherited: {seen}");
        assert_eq!(
            move_env_tokens_into_memory(),
            0,
            "a second call moves nothing"
        );
    }

    #[cfg(unix)]
    #[test]
    fn moved_tokens_are_found_but_not_inherited_by_child_processes() {
        let run = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "secrets::tests::moved_tokens_child"])
            .args(["--test-threads", "1", "--nocapture"])
            .env("ISSUESYNC_SECRETS_TEST_CHILD", "1")
            .env("ISSUESYNC_TOKEN_MOVED_PROBE", "probe-token-1")
            .env("ISSUESYNC_WEBHOOK_SECRET_MOVED_PROBE", "probe-hook-1")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success() && out.contains("1 passed"),
            "{out}{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}
