//! Credentials and their providers, in the order and with the configuration the official SDKs use
//! (`alibabacloud_credentials` `DefaultCredentialsProvider`, see [`DefaultChain`]).
//!
//! Every provider reads its configuration from an injected [`Env`] (never from the process
//! environment directly: `std::env::set_var` is `unsafe` in edition 2024 and tests must not share
//! global state), and every `Debug` is safe to log: secrets are [`Secret`]s.

mod assume_role;
mod cache;
mod chain;
mod ecs;
mod ini;
mod oidc;
mod profile;
mod uri;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::future::BoxFuture;

pub use assume_role::{AssumeRoleParams, AssumeRoleProvider};
pub use chain::DefaultChain;
pub use ecs::EcsRamRoleProvider;
pub use ini::{ENV_CREDENTIALS_FILE, IniProfileProvider};
pub use oidc::{OidcParams, OidcProvider};
pub use profile::ProfileProvider;
pub use uri::{CredentialsUriProvider, ENV_CREDENTIALS_URI, UriFailure};

use crate::client::error_chain;
use crate::{Client, Secret};

/// An AccessKey pair, with the SecurityToken and expiry of temporary (STS) credentials.
/// `Debug` shows the AccessKeyId only; the secret and the token print as `** redacted **`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The AccessKeyId (`LTAI…`, or `STS.…` for temporary credentials).
    pub access_key_id: String,
    /// The AccessKeySecret.
    pub access_key_secret: Secret,
    /// The SecurityToken of temporary credentials.
    pub security_token: Option<Secret>,
    /// When temporary credentials expire; `None` for long-lived keys.
    pub expiration: Option<jiff::Timestamp>,
}

impl Credentials {
    /// Long-lived AccessKey credentials.
    pub fn access_key(access_key_id: impl Into<String>, access_key_secret: impl Into<Secret>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
            expiration: None,
        }
    }

    /// Temporary STS credentials.
    pub fn sts(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<Secret>,
        security_token: impl Into<Secret>,
        expiration: Option<jiff::Timestamp>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: Some(security_token.into()),
            expiration,
        }
    }
}

/// Why no credentials could be produced. Never carries a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider has nothing configured (e.g. the variables are unset); a chain moves on.
    #[error("{0}")]
    NotConfigured(String),
    /// The configuration exists but is unusable (half-set variables, a malformed profile file…).
    #[error("{0}")]
    Invalid(String),
    /// The profile names a mode no Alibaba tool knows.
    #[error("profile {profile:?} in {path}: unknown mode {mode:?}")]
    UnknownProfileMode {
        /// The profile name.
        profile: String,
        /// The `mode` value.
        mode: String,
        /// The config file.
        path: String,
    },
    /// The profile file exists but has no profile (INI section) of that name.
    #[error("profile {profile:?} not found in {path}")]
    ProfileNotFound {
        /// The profile name.
        profile: String,
        /// The profile file.
        path: String,
    },
    /// The profile names a credential type the official libraries know but dlcauth does not
    /// implement (an INI `rsa_key_pair` profile).
    #[error("profile {profile:?} in {path}: type {mode:?} is not supported by dlcauth")]
    UnsupportedProfileMode {
        /// The profile name.
        profile: String,
        /// The `type` value.
        mode: String,
        /// The profile file.
        path: String,
    },
    /// `ALIBABA_CLOUD_CREDENTIALS_URI` did not answer with credentials.
    #[error("credentials URI {uri}: {failure}")]
    CredentialsUri {
        /// The URI without its query string and user info (either may carry a token).
        uri: String,
        /// What went wrong.
        failure: UriFailure,
    },
    /// A credentials source failed (instance metadata, token file…).
    #[error("{provider}: {message}")]
    Provider {
        /// Which provider.
        provider: &'static str,
        /// What failed.
        message: String,
    },
    /// The STS call that should have produced the credentials failed.
    #[error("STS: {0}")]
    Sts(Box<crate::Error>),
    /// Every provider of the default chain failed; one line per provider.
    #[error("no credentials found: {}", .0.join("; "))]
    ChainExhausted(Vec<String>),
}

/// A source of credentials. Implementations cache as they see fit and must be cheap to call.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Credentials for the next request.
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>>;
}

/// A snapshot of environment variables plus the home directory, injected into every provider.
/// Empty values count as unset, as in the official SDKs.
///
/// `Debug` lists variable *names* only: the environment holds `ALIBABA_CLOUD_ACCESS_KEY_SECRET`.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    home: Option<PathBuf>,
}

impl Env {
    /// The current process environment (non-UTF-8 variables are skipped) and `$HOME`.
    pub fn from_process() -> Self {
        let vars: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let home = vars
            .get("HOME")
            .or_else(|| vars.get("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        Self { vars, home }
    }

    /// Exactly these variables and no home directory (tests, explicit configuration).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            home: None,
        }
    }

    /// The same variables with `home` as the home directory.
    #[must_use]
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// The same environment with one more variable.
    #[must_use]
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// A variable's value; `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Whether a variable is set to `true` (case-insensitive), the SDKs' boolean convention.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// The home directory.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("home", &self.home)
            .finish()
    }
}

/// Fixed credentials.
#[derive(Debug, Clone)]
pub struct StaticProvider {
    credentials: Credentials,
}

impl StaticProvider {
    /// Always provides `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }
}

impl ProvideCredentials for StaticProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async move { Ok(self.credentials.clone()) })
    }
}

/// A provider that never has credentials: for clients that only make anonymous calls (the STS
/// client inside the default chain before a base identity is known).
#[derive(Debug, Clone, Default)]
pub struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async {
            Err(CredentialsError::NotConfigured(
                "this client has no credentials provider".to_owned(),
            ))
        })
    }
}

/// Names of the variables [`EnvProvider`] reads.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// See [`ENV_ACCESS_KEY_ID`].
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// See [`ENV_ACCESS_KEY_ID`].
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (both required), optional
/// `ALIBABA_CLOUD_SECURITY_TOKEN` — what Function Compute injects for the function's role.
#[derive(Debug, Clone)]
pub struct EnvProvider {
    env: Env,
}

impl EnvProvider {
    /// Reads from `env` on every call.
    pub fn new(env: &Env) -> Self {
        Self { env: env.clone() }
    }

    fn read(&self) -> Result<Credentials, CredentialsError> {
        let id = self.env.get(ENV_ACCESS_KEY_ID);
        let secret = self.env.get(ENV_ACCESS_KEY_SECRET);
        match (id, secret) {
            (None, None) => Err(CredentialsError::NotConfigured(format!(
                "environment: {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} are not set"
            ))),
            (Some(_), None) => Err(CredentialsError::Invalid(format!(
                "environment: {ENV_ACCESS_KEY_ID} is set but {ENV_ACCESS_KEY_SECRET} is not"
            ))),
            (None, Some(_)) => Err(CredentialsError::Invalid(format!(
                "environment: {ENV_ACCESS_KEY_SECRET} is set but {ENV_ACCESS_KEY_ID} is not"
            ))),
            (Some(id), Some(secret)) => Ok(Credentials {
                access_key_id: id.to_owned(),
                access_key_secret: Secret::new(secret),
                security_token: self.env.get(ENV_SECURITY_TOKEN).map(Secret::new),
                expiration: None,
            }),
        }
    }
}

impl ProvideCredentials for EnvProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async move { self.read() })
    }
}

/// `RoleSessionName` when none is configured: `dlcauth-<unix time of the client's clock>` (the
/// official libraries use `credentials-<language>-<unix time>`).
pub(crate) fn default_session_name(client: &Client) -> String {
    format!("dlcauth-{}", client.clock().now().as_second())
}

/// The HTTP client of a local credentials source (the instance metadata service, a credentials
/// URI): its own small client rather than the API client's pool, because the source is typically
/// plain HTTP, so no system proxy may see the credentials in transit, and because a redirect is
/// an answer to refuse, not to follow.
pub(crate) fn local_http_client(
    provider: &'static str,
    connect_timeout: Duration,
) -> Result<reqwest::Client, CredentialsError> {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CredentialsError::Provider {
            provider,
            message: format!("cannot build the HTTP client: {}", error_chain(&e)),
        })
}

/// The text of a profile file. A missing file is [`CredentialsError::NotConfigured`] (the chain
/// moves on) unless `required` (the user named it); any other failure is
/// [`CredentialsError::Invalid`]. `what` ("CLI profile", "INI profile") starts every message.
pub(crate) async fn read_profile_file(what: &str, path: &Path, required: bool) -> Result<String, CredentialsError> {
    match tokio::fs::read_to_string(path).await {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Err(CredentialsError::NotConfigured(
            format!("{what}: {} does not exist", path.display()),
        )),
        Err(e) => Err(CredentialsError::Invalid(format!(
            "{what}: cannot read {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn env_provider_reads_the_three_variables() -> Result<(), CredentialsError> {
        let env = Env::from_pairs([
            (ENV_ACCESS_KEY_ID, "STS.id"),
            (ENV_ACCESS_KEY_SECRET, "env-secret-value"),
            (ENV_SECURITY_TOKEN, "env-token-value"),
        ]);
        let creds = EnvProvider::new(&env).provide().await?;
        assert_eq!(creds.access_key_id, "STS.id");
        assert_eq!(creds.access_key_secret.expose(), "env-secret-value");
        assert_eq!(
            creds.security_token.as_ref().map(Secret::expose),
            Some("env-token-value")
        );
        let debug = format!("{creds:?} {env:?} {:?}", EnvProvider::new(&env));
        assert!(
            !debug.contains("env-secret-value") && !debug.contains("env-token-value"),
            "{debug}"
        );
        assert!(debug.contains(ENV_ACCESS_KEY_SECRET), "Env debug lists names: {debug}");
        Ok(())
    }

    #[tokio::test]
    async fn env_provider_distinguishes_unset_from_half_set() {
        let unset = EnvProvider::new(&Env::from_pairs([(ENV_ACCESS_KEY_ID, "")]))
            .provide()
            .await;
        assert!(matches!(unset, Err(CredentialsError::NotConfigured(_))), "{unset:?}");
        let half = EnvProvider::new(&Env::from_pairs([(ENV_ACCESS_KEY_ID, "id")]))
            .provide()
            .await;
        assert!(matches!(half, Err(CredentialsError::Invalid(_))), "{half:?}");
    }

    #[test]
    fn env_treats_empty_as_unset_and_parses_booleans() {
        let env = Env::from_pairs([("A", ""), ("B", "TRUE"), ("C", "yes")]).with_home("/h");
        assert_eq!(env.get("A"), None);
        assert!(env.is_true("B"));
        assert!(!env.is_true("C"));
        assert!(!env.is_true("D"));
        assert_eq!(env.home(), Some(Path::new("/h")));
    }
}
