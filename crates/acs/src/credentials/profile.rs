//! The Alibaba Cloud CLI profile file, `~/.aliyun/config.json`, read as `alibabacloud_credentials`'
//! `cli_profile.py` reads it: profile `ALIBABA_CLOUD_PROFILE`, else the file's `current`; modes
//! `AK`, `StsToken`, `RamRoleArn`, `EcsRamRole`, `OIDC` and `ChainableRamRoleArn`.
//!
//! The file is read on the first `provide()`, and the provider it describes is kept (so a
//! `RamRoleArn` profile's assumed-role credentials are cached like any other).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::{
    AssumeRoleParams, AssumeRoleProvider, Credentials, CredentialsError, EcsRamRoleProvider, Env, OidcParams,
    OidcProvider, ProvideCredentials, StaticProvider, default_session_name, read_profile_file,
};
use crate::client::{Client, StsEndpoint};
use crate::{Error, Secret};

/// `ALIBABA_CLOUD_PROFILE`: the profile to use instead of the file's `current`.
pub const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` turns the provider off.
pub const ENV_CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";

/// `ChainableRamRoleArn` profiles may point at each other; deeper than this is a cycle.
const MAX_SOURCE_PROFILE_DEPTH: usize = 8;

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<RawProfile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawProfile {
    name: String,
    mode: String,
    access_key_id: Option<String>,
    access_key_secret: Option<Secret>,
    sts_token: Option<Secret>,
    ram_role_arn: Option<String>,
    ram_session_name: Option<String>,
    role_session_name: Option<String>,
    expired_seconds: Option<u32>,
    policy: Option<String>,
    external_id: Option<String>,
    sts_region: Option<String>,
    enable_vpc: Option<bool>,
    ram_role_name: Option<String>,
    oidc_provider_arn: Option<String>,
    oidc_token_file: Option<String>,
    source_profile: Option<String>,
}

fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|v| !v.trim().is_empty())
}

/// Credentials from a CLI profile.
#[derive(Debug)]
pub struct ProfileProvider {
    path: Option<PathBuf>,
    profile: Option<String>,
    env: Env,
    client: Client,
    ecs_metadata_url: Option<String>,
    resolved: tokio::sync::OnceCell<Arc<dyn ProvideCredentials>>,
}

impl ProfileProvider {
    /// The file under `env`'s home directory and the profile `ALIBABA_CLOUD_PROFILE` names.
    /// `client` supplies STS access for the role-based modes.
    pub fn new(env: &Env, client: Client) -> Self {
        Self {
            path: env.home().map(|h| h.join(".aliyun").join("config.json")),
            profile: env.get(ENV_PROFILE).map(str::to_owned),
            env: env.clone(),
            client,
            ecs_metadata_url: None,
            resolved: tokio::sync::OnceCell::new(),
        }
    }

    /// Reads another file.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Uses this profile whatever the environment and the file say.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The instance metadata service `EcsRamRole` profiles use (default `http://100.100.100.200`;
    /// tests point it at a loopback server).
    #[must_use]
    pub fn with_ecs_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.ecs_metadata_url = Some(url.into());
        self
    }

    async fn resolve(&self) -> Result<Arc<dyn ProvideCredentials>, CredentialsError> {
        if self.env.is_true(ENV_CLI_PROFILE_DISABLED) {
            return Err(CredentialsError::NotConfigured(format!(
                "CLI profile: disabled by {ENV_CLI_PROFILE_DISABLED}"
            )));
        }
        let Some(path) = &self.path else {
            return Err(CredentialsError::NotConfigured(
                "CLI profile: no home directory".to_owned(),
            ));
        };
        let text = read_profile_file("CLI profile", path, false).await?;
        let file: ConfigFile = serde_json::from_str(&text).map_err(|e| {
            CredentialsError::Invalid(format!(
                "CLI profile: {} is not a valid config file: {e}",
                path.display()
            ))
        })?;
        let name = self
            .profile
            .clone()
            .or_else(|| file.current.clone().filter(|c| !c.is_empty()))
            .ok_or_else(|| {
                CredentialsError::Invalid(format!(
                    "CLI profile: {} has no current profile and {ENV_PROFILE} is not set",
                    path.display()
                ))
            })?;
        let context = BuildContext {
            file: &file,
            path,
            env: &self.env,
            client: &self.client,
            ecs_metadata_url: self.ecs_metadata_url.as_deref(),
        };
        build(&context, &name, 0)
    }
}

fn find<'a>(file: &'a ConfigFile, name: &str, path: &Path) -> Result<&'a RawProfile, CredentialsError> {
    file.profiles.iter().find(|p| p.name == name).ok_or_else(|| {
        CredentialsError::Invalid(format!("CLI profile: no profile named {name:?} in {}", path.display()))
    })
}

struct BuildContext<'a> {
    file: &'a ConfigFile,
    path: &'a Path,
    env: &'a Env,
    client: &'a Client,
    ecs_metadata_url: Option<&'a str>,
}

fn build(cx: &BuildContext<'_>, name: &str, depth: usize) -> Result<Arc<dyn ProvideCredentials>, CredentialsError> {
    let BuildContext {
        file,
        path,
        env,
        client,
        ecs_metadata_url,
    } = *cx;
    if depth > MAX_SOURCE_PROFILE_DEPTH {
        return Err(CredentialsError::Invalid(format!(
            "CLI profile: source_profile chain through {name:?} is too deep (a cycle?)"
        )));
    }
    let profile = find(file, name, path)?;
    let missing = |field: &str| {
        CredentialsError::Invalid(format!(
            "CLI profile {name:?} (mode {}) in {}: {field} is missing",
            profile.mode,
            path.display()
        ))
    };
    let access_key = || -> Result<Credentials, CredentialsError> {
        let id = non_empty(profile.access_key_id.as_ref()).ok_or_else(|| missing("access_key_id"))?;
        let secret = profile
            .access_key_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("access_key_secret"))?;
        Ok(Credentials::access_key(id, secret))
    };
    let role_params = |session: Option<&String>| -> Result<AssumeRoleParams, CredentialsError> {
        Ok(AssumeRoleParams {
            role_arn: non_empty(profile.ram_role_arn.as_ref())
                .ok_or_else(|| missing("ram_role_arn"))?
                .to_owned(),
            role_session_name: non_empty(session).map_or_else(|| default_session_name(client), str::to_owned),
            external_id: non_empty(profile.external_id.as_ref()).map(str::to_owned),
            duration_seconds: profile.expired_seconds.filter(|s| *s > 0),
            policy: non_empty(profile.policy.as_ref()).map(str::to_owned),
        })
    };
    let provider: Arc<dyn ProvideCredentials> = match profile.mode.as_str() {
        "AK" => Arc::new(StaticProvider::new(access_key()?)),
        "StsToken" => {
            let mut creds = access_key()?;
            creds.security_token = Some(
                profile
                    .sts_token
                    .clone()
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| missing("sts_token"))?,
            );
            Arc::new(StaticProvider::new(creds))
        }
        mode @ ("RamRoleArn" | "ChainableRamRoleArn") => {
            // The base identity: the profile's own key, or another profile's credentials.
            let base: Arc<dyn ProvideCredentials> = if mode == "RamRoleArn" {
                Arc::new(StaticProvider::new(access_key()?))
            } else {
                let source = non_empty(profile.source_profile.as_ref()).ok_or_else(|| missing("source_profile"))?;
                build(cx, source, depth + 1)?
            };
            let base = with_sts_region(client.with_credentials(base), profile)
                .map_err(|e| CredentialsError::Invalid(e.to_string()))?;
            Arc::new(AssumeRoleProvider::new(
                base,
                role_params(profile.ram_session_name.as_ref())?,
            ))
        }
        "EcsRamRole" => Arc::new(EcsRamRoleProvider::from_env_with(
            env,
            client,
            non_empty(profile.ram_role_name.as_ref()),
            ecs_metadata_url,
        )?),
        "OIDC" => {
            let params = OidcParams {
                role_arn: non_empty(profile.ram_role_arn.as_ref())
                    .ok_or_else(|| missing("ram_role_arn"))?
                    .to_owned(),
                oidc_provider_arn: non_empty(profile.oidc_provider_arn.as_ref())
                    .ok_or_else(|| missing("oidc_provider_arn"))?
                    .to_owned(),
                oidc_token_file: PathBuf::from(
                    non_empty(profile.oidc_token_file.as_ref()).ok_or_else(|| missing("oidc_token_file"))?,
                ),
                role_session_name: non_empty(profile.role_session_name.as_ref()).map(str::to_owned),
                duration_seconds: profile.expired_seconds.filter(|s| *s > 0),
                policy: non_empty(profile.policy.as_ref()).map(str::to_owned),
            };
            Arc::new(OidcProvider::new(client.clone(), params))
        }
        "CloudSSO" | "OAuth" | "External" | "CredentialsURI" | "ChainableRamRoleArnWithSourceProfile" => {
            return Err(CredentialsError::Invalid(format!(
                "CLI profile {name:?} in {}: mode {} is not supported by dlcauth; use AK, StsToken, RamRoleArn, EcsRamRole, OIDC or ChainableRamRoleArn",
                path.display(),
                profile.mode
            )));
        }
        other => {
            return Err(CredentialsError::UnknownProfileMode {
                profile: name.to_owned(),
                mode: other.to_owned(),
                path: path.display().to_string(),
            });
        }
    };
    Ok(provider)
}

/// A profile's `sts_region` / `enable_vpc` choose the STS host, except behind a single test
/// endpoint, which serves every product.
fn with_sts_region(client: Client, profile: &RawProfile) -> Result<Client, Error> {
    let Some(region) = non_empty(profile.sts_region.as_ref()) else {
        return Ok(client);
    };
    if client.config().endpoints.is_single() {
        return Ok(client);
    }
    let sts = if profile.enable_vpc.unwrap_or(false) {
        StsEndpoint::Vpc(region.to_owned())
    } else {
        StsEndpoint::Regional(region.to_owned())
    };
    let endpoints = client.config().endpoints.clone().with_sts(sts);
    client.with_endpoints(endpoints)
}

impl ProvideCredentials for ProfileProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async move {
            let provider = self.resolved.get_or_try_init(|| self.resolve()).await?;
            provider.provide().await
        })
    }
}
