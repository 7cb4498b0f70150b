//! RRSA / OIDC: exchanges the token in `ALIBABA_CLOUD_OIDC_TOKEN_FILE` for role credentials with the
//! anonymous STS `AssumeRoleWithOIDC`. The file is re-read at every refresh (the platform rotates
//! it); the token is never stored or printed.

use std::path::PathBuf;

use futures_util::future::BoxFuture;

use super::cache::CredentialsCache;
use super::{Credentials, CredentialsError, Env, ProvideCredentials, default_session_name};
use crate::api::sts;
use crate::{Client, Secret};

/// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.
pub const ENV_OIDC_TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// `ALIBABA_CLOUD_ROLE_ARN`.
pub const ENV_ROLE_ARN: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`.
pub const ENV_OIDC_PROVIDER_ARN: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// `ALIBABA_CLOUD_ROLE_SESSION_NAME`.
pub const ENV_ROLE_SESSION_NAME: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";

/// What `AssumeRoleWithOIDC` needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcParams {
    /// `RoleArn`.
    pub role_arn: String,
    /// `OIDCProviderArn`.
    pub oidc_provider_arn: String,
    /// The file holding the OIDC token.
    pub oidc_token_file: PathBuf,
    /// `RoleSessionName`; `dlcauth-<unix time>` when unset.
    pub role_session_name: Option<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<u32>,
    /// `Policy`.
    pub policy: Option<String>,
}

impl OidcParams {
    /// From the three required variables (all set, or `None`) and the optional session name.
    pub fn from_env(env: &Env) -> Option<Self> {
        Some(Self {
            role_arn: env.get(ENV_ROLE_ARN)?.to_owned(),
            oidc_provider_arn: env.get(ENV_OIDC_PROVIDER_ARN)?.to_owned(),
            oidc_token_file: PathBuf::from(env.get(ENV_OIDC_TOKEN_FILE)?),
            role_session_name: env.get(ENV_ROLE_SESSION_NAME).map(str::to_owned),
            duration_seconds: None,
            policy: None,
        })
    }
}

/// Credentials from an OIDC token.
#[derive(Debug)]
pub struct OidcProvider {
    client: Client,
    params: OidcParams,
    cache: CredentialsCache,
}

impl OidcProvider {
    /// `client` only supplies the STS endpoint and the connection pool: the call is anonymous.
    pub fn new(client: Client, params: OidcParams) -> Self {
        let cache = CredentialsCache::new(client.clock());
        Self { client, params, cache }
    }

    /// From the environment variables the official chain reads.
    ///
    /// # Errors
    /// [`CredentialsError::NotConfigured`] unless all three required variables are set.
    pub fn from_env(env: &Env, client: Client) -> Result<Self, CredentialsError> {
        let params = OidcParams::from_env(env).ok_or_else(|| {
            CredentialsError::NotConfigured(format!(
                "OIDC: {ENV_OIDC_TOKEN_FILE}, {ENV_ROLE_ARN} and {ENV_OIDC_PROVIDER_ARN} are not all set"
            ))
        })?;
        Ok(Self::new(client, params))
    }

    async fn exchange(&self) -> Result<Credentials, CredentialsError> {
        let path = &self.params.oidc_token_file;
        let token = tokio::fs::read_to_string(path)
            .await
            .map_err(|e| CredentialsError::Provider {
                provider: "oidc",
                message: format!("cannot read the OIDC token file {}: {e}", path.display()),
            })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CredentialsError::Provider {
                provider: "oidc",
                message: format!("the OIDC token file {} is empty", path.display()),
            });
        }
        let session_name = self
            .params
            .role_session_name
            .clone()
            .unwrap_or_else(|| default_session_name(&self.client));
        let request = sts::AssumeRoleWithOidc {
            oidc_provider_arn: self.params.oidc_provider_arn.clone(),
            role_arn: self.params.role_arn.clone(),
            oidc_token: Secret::new(token),
            role_session_name: session_name,
            duration_seconds: self.params.duration_seconds,
            policy: self.params.policy.clone(),
        };
        let response = self
            .client
            .call(&request)
            .await
            .map_err(|e| CredentialsError::Sts(Box::new(e)))?;
        Ok(response.body.credentials.into())
    }
}

impl ProvideCredentials for OidcProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.cache.get_or_refresh(|| self.exchange()))
    }
}
