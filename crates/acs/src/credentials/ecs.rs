//! The RAM role of an ECS/ECI instance, from the instance metadata service (IMDSv2 token first,
//! IMDSv1 fallback unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`), as `alibabacloud_credentials`'
//! `ecs_ram_role.py` does it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::cache::CredentialsCache;
use super::{Credentials, CredentialsError, Env, ProvideCredentials, local_http_client};
use crate::client::{Clock, SystemClock};
use crate::{Client, Secret};

/// The metadata service every ECS instance reaches.
pub const DEFAULT_METADATA_URL: &str = "http://100.100.100.200";
/// `ALIBABA_CLOUD_ECS_METADATA`: the role name (else discovered).
pub const ENV_ECS_METADATA: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` takes the provider out of the default chain.
pub const ENV_ECS_METADATA_DISABLED: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `ALIBABA_CLOUD_IMDSV1_DISABLED=true` forbids the token-less fallback.
pub const ENV_IMDSV1_DISABLED: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";

const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
const PROVIDER: &str = "ecs_ram_role";

/// The metadata document of a role's credentials.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetadataCredentials {
    #[serde(default)]
    code: Option<String>,
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Secret,
    #[serde(with = "crate::api::timestamp")]
    expiration: jiff::Timestamp,
}

/// Credentials of the instance's RAM role.
#[derive(Debug)]
pub struct EcsRamRoleProvider {
    // The metadata service is plain HTTP on a link-local address with 1-second timeouts.
    http: reqwest::Client,
    base_url: String,
    role_name: Option<String>,
    imdsv1_disabled: bool,
    timeout: Duration,
    cache: CredentialsCache,
}

impl EcsRamRoleProvider {
    /// For `role_name` (discovered from the metadata service when `None`).
    ///
    /// # Errors
    /// [`CredentialsError::Provider`] when the HTTP client cannot be built.
    pub fn new(role_name: Option<String>) -> Result<Self, CredentialsError> {
        Ok(Self {
            http: local_http_client(PROVIDER, Duration::from_secs(1))?,
            base_url: DEFAULT_METADATA_URL.to_owned(),
            role_name: role_name.filter(|r| !r.is_empty()),
            imdsv1_disabled: false,
            timeout: Duration::from_secs(2),
            cache: CredentialsCache::new(Arc::new(SystemClock)),
        })
    }

    /// Configured from `ALIBABA_CLOUD_ECS_METADATA` and `ALIBABA_CLOUD_IMDSV1_DISABLED`.
    ///
    /// # Errors
    /// As [`EcsRamRoleProvider::new`].
    pub fn from_env(env: &Env) -> Result<Self, CredentialsError> {
        Ok(Self::new(env.get(ENV_ECS_METADATA).map(str::to_owned))?.imdsv1_disabled(env.is_true(ENV_IMDSV1_DISABLED)))
    }

    /// Another metadata service (tests: a loopback server).
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The role whose credentials to fetch (instead of the one the metadata service lists).
    #[must_use]
    pub fn with_role_name(mut self, role_name: impl Into<String>) -> Self {
        self.role_name = Some(role_name.into()).filter(|r| !r.is_empty());
        self
    }

    /// Whether the IMDSv1 fallback (no token) is forbidden.
    #[must_use]
    pub fn imdsv1_disabled(mut self, disabled: bool) -> Self {
        self.imdsv1_disabled = disabled;
        self
    }

    /// The per-request timeout (default 2 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock that decides when cached credentials are stale.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cache = CredentialsCache::new(clock);
        self
    }

    /// As [`Self::from_env`], with a role name (a profile's) and another metadata service when
    /// given, and `client`'s clock judging expiry: what the default chain and the profile files
    /// build.
    pub(crate) fn from_env_with(
        env: &Env,
        client: &Client,
        role_name: Option<&str>,
        metadata_url: Option<&str>,
    ) -> Result<Self, CredentialsError> {
        let mut provider = Self::from_env(env)?.with_clock(client.clock());
        if let Some(role) = role_name {
            provider = provider.with_role_name(role);
        }
        if let Some(url) = metadata_url {
            provider = provider.with_base_url(url);
        }
        Ok(provider)
    }

    fn failure(message: impl Into<String>) -> CredentialsError {
        CredentialsError::Provider {
            provider: PROVIDER,
            message: message.into(),
        }
    }

    async fn get_text(&self, url: &str, token: Option<&str>) -> Result<String, CredentialsError> {
        let mut request = self.http.get(url).timeout(self.timeout);
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Self::failure(format!("metadata request failed: {}", e.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Self::failure(format!(
                "metadata service answered HTTP {}",
                status.as_u16()
            )));
        }
        response
            .text()
            .await
            .map_err(|e| Self::failure(format!("metadata response unreadable: {}", e.without_url())))
    }

    async fn metadata_token(&self) -> Result<Option<String>, CredentialsError> {
        let result = self
            .http
            .put(format!("{}{TOKEN_PATH}", self.base_url))
            .header(TOKEN_TTL_HEADER, "21600")
            .timeout(self.timeout)
            .send()
            .await;
        let token = match result {
            Ok(response) if response.status().is_success() => response.text().await.ok(),
            _ => None,
        }
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
        if token.is_none() && self.imdsv1_disabled {
            return Err(Self::failure(
                "no IMDSv2 metadata token and IMDSv1 is disabled (ALIBABA_CLOUD_IMDSV1_DISABLED)",
            ));
        }
        Ok(token)
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let token = self.metadata_token().await?;
        let role = match &self.role_name {
            Some(role) => role.clone(),
            None => {
                let listing = self
                    .get_text(&format!("{}{CREDENTIALS_PATH}", self.base_url), token.as_deref())
                    .await?;
                listing
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| Self::failure("no RAM role is attached to the instance"))?
            }
        };
        let url = format!(
            "{}{CREDENTIALS_PATH}{}",
            self.base_url,
            crate::sign::percent_encode(&role)
        );
        let body = self.get_text(&url, token.as_deref()).await?;
        let doc: MetadataCredentials = serde_json::from_str(&body)
            .map_err(|e| Self::failure(format!("the credentials document of role {role} is invalid: {e}")))?;
        if let Some(code) = doc.code.as_deref().filter(|c| *c != "Success") {
            return Err(Self::failure(format!(
                "the metadata service returned Code {code} for role {role}"
            )));
        }
        Ok(Credentials {
            access_key_id: doc.access_key_id,
            access_key_secret: doc.access_key_secret,
            security_token: Some(doc.security_token),
            expiration: Some(doc.expiration),
        })
    }
}

impl ProvideCredentials for EcsRamRoleProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.cache.get_or_refresh(|| self.fetch()))
    }
}
