//! Credentials of a RAM role, obtained with STS `AssumeRole` through a [`Client`] that carries the
//! base identity, cached until 5 minutes before they expire, with one refresh in flight.

use futures_util::future::BoxFuture;

use super::cache::CredentialsCache;
use super::{Credentials, CredentialsError, ProvideCredentials};
use crate::Client;
use crate::api::sts;

/// What to assume.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleParams {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName` (2–64 of `[A-Za-z0-9.@_-]`).
    pub role_session_name: String,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `DurationSeconds` (≥ 900; STS defaults to 3600).
    pub duration_seconds: Option<u32>,
    /// `Policy`: a session policy narrowing the role.
    pub policy: Option<String>,
}

/// Assumes a role with the credentials of the [`Client`] it is given.
#[derive(Debug)]
pub struct AssumeRoleProvider {
    client: Client,
    params: AssumeRoleParams,
    cache: CredentialsCache,
}

impl AssumeRoleProvider {
    /// `client` signs the `AssumeRole` call with its own credentials provider (the base identity)
    /// and sends it to its STS endpoint; its clock decides expiry.
    pub fn new(client: Client, params: AssumeRoleParams) -> Self {
        let cache = CredentialsCache::new(client.clock());
        Self { client, params, cache }
    }

    /// The parameters.
    pub fn params(&self) -> &AssumeRoleParams {
        &self.params
    }

    async fn assume(&self) -> Result<Credentials, CredentialsError> {
        let request = sts::AssumeRole {
            role_arn: self.params.role_arn.clone(),
            role_session_name: self.params.role_session_name.clone(),
            duration_seconds: self.params.duration_seconds,
            policy: self.params.policy.clone(),
            external_id: self.params.external_id.clone(),
        };
        let response = self
            .client
            .call(&request)
            .await
            .map_err(|e| CredentialsError::Sts(Box::new(e)))?;
        tracing::debug!(
            role_arn = %self.params.role_arn,
            request_id = %response.request_id,
            expiration = %response.body.credentials.expiration,
            "assumed role"
        );
        Ok(response.body.credentials.into())
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.cache.get_or_refresh(|| self.assume()))
    }
}
