//! The default credential chain, in `alibabacloud_credentials` `DefaultCredentialsProvider` order
//! (`provider/default.py`):
//!
//! 1. environment (`ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `_SECURITY_TOKEN`);
//! 2. OIDC, when `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, `ALIBABA_CLOUD_ROLE_ARN` and
//!    `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` are all set;
//! 3. the CLI profile `~/.aliyun/config.json` (unless `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`);
//! 4. the INI profile: `ALIBABA_CLOUD_CREDENTIALS_FILE` or `~/.alibabacloud/credentials.ini`,
//!    section `ALIBABA_CLOUD_PROFILE` or `default` ([`IniProfileProvider`]);
//! 5. the ECS instance RAM role (unless `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`);
//! 6. `ALIBABA_CLOUD_CREDENTIALS_URI`, only when it is set ([`CredentialsUriProvider`]).
//!
//! As in the SDK, every failure moves on to the next provider (the final error lists them all),
//! and once a provider has succeeded it is used alone from then on.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;

use super::ecs::{DEFAULT_METADATA_URL, ENV_ECS_METADATA_DISABLED};
use super::oidc::OidcParams;
use super::profile::ENV_CLI_PROFILE_DISABLED;
use super::uri::ENV_CREDENTIALS_URI;
use super::{
    Credentials, CredentialsError, CredentialsUriProvider, EcsRamRoleProvider, Env, EnvProvider, IniProfileProvider,
    OidcProvider, ProfileProvider, ProvideCredentials,
};
use crate::Client;

/// The official default chain.
#[derive(Debug)]
pub struct DefaultChain {
    providers: Vec<(&'static str, Arc<dyn ProvideCredentials>)>,
    winner: Mutex<Option<usize>>,
}

impl DefaultChain {
    /// The chain for `env`. `client` gives the role-based providers STS access (its own
    /// credentials are not used: each provider brings its base identity).
    ///
    /// # Errors
    /// [`CredentialsError::Provider`] when the metadata or credentials-URI HTTP client cannot be
    /// built.
    pub fn new(env: &Env, client: &Client) -> Result<Self, CredentialsError> {
        Self::with_metadata_url(env, client, DEFAULT_METADATA_URL)
    }

    /// As [`DefaultChain::new`], with another instance metadata service (tests, emulators).
    ///
    /// # Errors
    /// As [`DefaultChain::new`].
    pub fn with_metadata_url(env: &Env, client: &Client, metadata_url: &str) -> Result<Self, CredentialsError> {
        let mut providers: Vec<(&'static str, Arc<dyn ProvideCredentials>)> =
            vec![("environment", Arc::new(EnvProvider::new(env)))];
        if let Some(params) = OidcParams::from_env(env) {
            providers.push(("oidc", Arc::new(OidcProvider::new(client.clone(), params))));
        }
        if !env.is_true(ENV_CLI_PROFILE_DISABLED) {
            providers.push((
                "cli_profile",
                Arc::new(ProfileProvider::new(env, client.clone()).with_ecs_metadata_url(metadata_url)),
            ));
        }
        providers.push((
            "ini_profile",
            Arc::new(IniProfileProvider::new(env, client.clone()).with_ecs_metadata_url(metadata_url)),
        ));
        if !env.is_true(ENV_ECS_METADATA_DISABLED) {
            let ecs = EcsRamRoleProvider::from_env_with(env, client, None, Some(metadata_url))?;
            providers.push(("ecs_ram_role", Arc::new(ecs)));
        }
        if let Some(uri) = env.get(ENV_CREDENTIALS_URI) {
            let provider = CredentialsUriProvider::new(uri)?.with_clock(client.clock());
            providers.push(("credentials_uri", Arc::new(provider)));
        }
        Ok(Self::from_providers(providers))
    }

    /// A chain of exactly these providers, tried in order.
    pub fn from_providers(providers: Vec<(&'static str, Arc<dyn ProvideCredentials>)>) -> Self {
        Self {
            providers,
            winner: Mutex::new(None),
        }
    }

    /// The names of the providers, in order.
    pub fn provider_names(&self) -> Vec<&'static str> {
        self.providers.iter().map(|(name, _)| *name).collect()
    }

    fn winner(&self) -> Option<usize> {
        *self.winner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_winner(&self, index: usize) {
        *self.winner.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(index);
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async move {
            if let Some((_, provider)) = self.winner().and_then(|i| self.providers.get(i)) {
                return provider.provide().await;
            }
            let mut failures = Vec::with_capacity(self.providers.len());
            for (index, (name, provider)) in self.providers.iter().enumerate() {
                match provider.provide().await {
                    Ok(credentials) => {
                        tracing::debug!(provider = name, "credentials found");
                        self.set_winner(index);
                        return Ok(credentials);
                    }
                    Err(error) => failures.push(failure_line(name, &error.to_string())),
                }
            }
            Err(CredentialsError::ChainExhausted(failures))
        })
    }
}

/// `name: message`, unless the provider already named itself (its errors read well alone, so
/// they often start with their own name) — no "environment: environment: …".
fn failure_line(name: &str, message: &str) -> String {
    if message.strip_prefix(name).is_some_and(|rest| rest.starts_with(':')) {
        message.to_owned()
    } else {
        format!("{name}: {message}")
    }
}
