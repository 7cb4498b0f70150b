//! The shared credentials file of the official credentials libraries, read as
//! `alibabacloud_credentials` `provider/profile.py` reads it: the file is
//! `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `~/.alibabacloud/credentials.ini`; the section is
//! `ALIBABA_CLOUD_PROFILE`, else `default`; its `type` is one of
//!
//! * `access_key`: `access_key_id`, `access_key_secret`;
//! * `ram_role_arn`: `access_key_id`, `access_key_secret`, `role_arn`, `role_session_name`,
//!   `policy` (no `external_id` or duration: the library reads neither from the file);
//! * `oidc_role_arn`: `role_arn`, `oidc_provider_arn`, `oidc_token_file_path`,
//!   `role_session_name`, `policy`;
//! * `ecs_ram_role`: `role_name`;
//! * `rsa_key_pair` (`public_key_id`, `private_key_file`): a Japan-site-only legacy type dlcauth
//!   does not implement, refused with [`CredentialsError::UnsupportedProfileMode`].
//!
//! As in the library, missing role values fall back to the environment variables its role
//! providers read (`ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_ROLE_SESSION_NAME`,
//! `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, `ALIBABA_CLOUD_ECS_METADATA`),
//! and an `ecs_ram_role` profile is refused when `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`.
//!
//! A missing file means "not configured" (the Java library returns no credentials; the chain moves
//! on either way), unless `ALIBABA_CLOUD_CREDENTIALS_FILE` named it explicitly; a file without the
//! section is [`CredentialsError::ProfileNotFound`]. The file is read on the first `provide()` and
//! the provider it describes is kept, so role credentials are cached like any other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::ecs::ENV_ECS_METADATA_DISABLED;
use super::oidc::{ENV_OIDC_PROVIDER_ARN, ENV_OIDC_TOKEN_FILE, ENV_ROLE_ARN, ENV_ROLE_SESSION_NAME};
use super::profile::ENV_PROFILE;
use super::{
    AssumeRoleParams, AssumeRoleProvider, Credentials, CredentialsError, EcsRamRoleProvider, Env, OidcParams,
    OidcProvider, ProvideCredentials, StaticProvider, default_session_name, read_profile_file,
};
use crate::Client;

/// `ALIBABA_CLOUD_CREDENTIALS_FILE`: the INI file to read instead of `~/.alibabacloud/credentials.ini`.
pub const ENV_CREDENTIALS_FILE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";

const DEFAULT_PROFILE: &str = "default";
/// Python's `configparser` folds this section into every other one and never returns it as a
/// section of its own.
const DEFAULTS_SECTION: &str = "DEFAULT";

/// One section: keys lowercased (as `configparser` does), values trimmed and cut at `#`.
type Section = BTreeMap<String, String>;

/// Parses the file the way the Python library sees it (`configparser.ConfigParser()` defaults,
/// then every value cut at its first `#` and trimmed). `configparser` (the crate) is used rather
/// than a hand-written parser because it is a small, dependency-free, maintained port of that
/// very module: `=` and `:` delimiters, `#`/`;` comment lines, indented continuation lines. What
/// it leaves to us is Python's casing (section names as written, option names lowercased) and
/// the `[DEFAULT]` section's inheritance.
fn parse(text: &str) -> Result<BTreeMap<String, Section>, String> {
    let mut options = configparser::ini::IniDefault::default();
    options.case_sensitive = true;
    options.default_section = DEFAULTS_SECTION.to_owned();
    options.multiline = true;
    // Python only strips whole-line comments; the credentials library then drops everything
    // after a `#` in a value. A `;` inside a value is kept.
    options.enable_inline_comments = true;
    options.inline_comment_symbols = Some(vec!['#']);
    let mut ini = configparser::ini::Ini::new_from_defaults(options);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw = ini.read(text.to_owned())?;

    let section = |entries: &std::collections::HashMap<String, Option<String>>| -> Section {
        entries
            .iter()
            .filter_map(|(key, value)| {
                let value = value.as_deref()?;
                let value = value.split('#').next().unwrap_or_default().trim();
                Some((key.to_lowercase(), value.to_owned()))
            })
            .collect()
    };
    let defaults = raw.get(DEFAULTS_SECTION).map(section).unwrap_or_default();
    Ok(raw
        .iter()
        .filter(|(name, _)| name.as_str() != DEFAULTS_SECTION)
        .map(|(name, entries)| {
            let mut merged = defaults.clone();
            merged.extend(section(entries));
            (name.clone(), merged)
        })
        .collect())
}

/// Credentials from a profile of the shared INI credentials file.
#[derive(Debug)]
pub struct IniProfileProvider {
    path: Option<PathBuf>,
    /// Whether the path was asked for (`ALIBABA_CLOUD_CREDENTIALS_FILE`, [`Self::with_path`]):
    /// then a missing file is an error, not an absence.
    explicit_path: bool,
    profile: String,
    env: Env,
    client: Client,
    ecs_metadata_url: Option<String>,
    resolved: tokio::sync::OnceCell<Arc<dyn ProvideCredentials>>,
}

impl IniProfileProvider {
    /// The file and profile `env` selects. `client` supplies STS access for the role types.
    pub fn new(env: &Env, client: Client) -> Self {
        let explicit = env.get(ENV_CREDENTIALS_FILE).map(PathBuf::from);
        Self {
            explicit_path: explicit.is_some(),
            path: explicit.or_else(|| env.home().map(|h| h.join(".alibabacloud").join("credentials.ini"))),
            profile: env.get(ENV_PROFILE).unwrap_or(DEFAULT_PROFILE).to_owned(),
            env: env.clone(),
            client,
            ecs_metadata_url: None,
            resolved: tokio::sync::OnceCell::new(),
        }
    }

    /// Reads this file (a missing one is then an error).
    #[must_use]
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self.explicit_path = true;
        self
    }

    /// Uses this profile whatever the environment says.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }

    /// The instance metadata service `ecs_ram_role` profiles use (default `http://100.100.100.200`).
    #[must_use]
    pub fn with_ecs_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.ecs_metadata_url = Some(url.into());
        self
    }

    async fn resolve(&self) -> Result<Arc<dyn ProvideCredentials>, CredentialsError> {
        let Some(path) = &self.path else {
            return Err(CredentialsError::NotConfigured(format!(
                "INI profile: no home directory and {ENV_CREDENTIALS_FILE} is not set"
            )));
        };
        let text = read_profile_file("INI profile", path, self.explicit_path).await?;
        let sections = parse(&text).map_err(|e| {
            CredentialsError::Invalid(format!("INI profile: {} is not a valid INI file: {e}", path.display()))
        })?;
        let section = sections
            .get(&self.profile)
            .ok_or_else(|| CredentialsError::ProfileNotFound {
                profile: self.profile.clone(),
                path: path.display().to_string(),
            })?;
        self.build(path, section)
    }

    fn build(&self, path: &Path, section: &Section) -> Result<Arc<dyn ProvideCredentials>, CredentialsError> {
        let name = self.profile.as_str();
        let env = &self.env;
        let value = |key: &str| section.get(key).map(String::as_str).filter(|v| !v.is_empty());
        // A section value, else the environment variable the official role providers fall back to.
        let value_or_env = |key: &str, var: &str| value(key).or_else(|| env.get(var));
        let kind = value("type").ok_or_else(|| {
            CredentialsError::Invalid(format!("INI profile {name:?} in {}: `type` is missing", path.display()))
        })?;
        let missing = |what: &str| {
            CredentialsError::Invalid(format!(
                "INI profile {name:?} (type {kind}) in {}: {what} is missing",
                path.display()
            ))
        };
        let access_key = || -> Result<Credentials, CredentialsError> {
            let id = value("access_key_id").ok_or_else(|| missing("access_key_id"))?;
            let secret = value("access_key_secret").ok_or_else(|| missing("access_key_secret"))?;
            Ok(Credentials::access_key(id, secret))
        };
        let session_name = || {
            value_or_env("role_session_name", ENV_ROLE_SESSION_NAME)
                .map(str::to_owned)
                .unwrap_or_else(|| default_session_name(&self.client))
        };
        let policy = value("policy").map(str::to_owned);
        let provider: Arc<dyn ProvideCredentials> = match kind {
            "access_key" => Arc::new(StaticProvider::new(access_key()?)),
            "ram_role_arn" => {
                let base = self
                    .client
                    .with_credentials(Arc::new(StaticProvider::new(access_key()?)));
                let role_arn = value_or_env("role_arn", ENV_ROLE_ARN).ok_or_else(|| missing("role_arn"))?;
                let params = AssumeRoleParams {
                    role_arn: role_arn.to_owned(),
                    role_session_name: session_name(),
                    external_id: None,
                    duration_seconds: None,
                    policy,
                };
                Arc::new(AssumeRoleProvider::new(base, params))
            }
            "oidc_role_arn" => {
                let params = OidcParams {
                    role_arn: value_or_env("role_arn", ENV_ROLE_ARN)
                        .ok_or_else(|| missing("role_arn"))?
                        .to_owned(),
                    oidc_provider_arn: value_or_env("oidc_provider_arn", ENV_OIDC_PROVIDER_ARN)
                        .ok_or_else(|| missing("oidc_provider_arn"))?
                        .to_owned(),
                    oidc_token_file: PathBuf::from(
                        value_or_env("oidc_token_file_path", ENV_OIDC_TOKEN_FILE)
                            .ok_or_else(|| missing("oidc_token_file_path"))?,
                    ),
                    role_session_name: Some(session_name()),
                    duration_seconds: None,
                    policy,
                };
                Arc::new(OidcProvider::new(self.client.clone(), params))
            }
            "ecs_ram_role" => {
                if env.is_true(ENV_ECS_METADATA_DISABLED) {
                    return Err(CredentialsError::Invalid(format!(
                        "INI profile {name:?} (type ecs_ram_role) in {}: the instance metadata service is disabled by {ENV_ECS_METADATA_DISABLED}",
                        path.display()
                    )));
                }
                Arc::new(EcsRamRoleProvider::from_env_with(
                    env,
                    &self.client,
                    value("role_name"),
                    self.ecs_metadata_url.as_deref(),
                )?)
            }
            "rsa_key_pair" => {
                return Err(CredentialsError::UnsupportedProfileMode {
                    profile: name.to_owned(),
                    mode: kind.to_owned(),
                    path: path.display().to_string(),
                });
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
}

impl ProvideCredentials for IniProfileProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async move {
            let provider = self.resolved.get_or_try_init(|| self.resolve()).await?;
            provider.provide().await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> BTreeMap<String, Section> {
        match parse(text) {
            Ok(sections) => sections,
            Err(e) => panic!("{e}: {text}"),
        }
    }

    fn get<'a>(sections: &'a BTreeMap<String, Section>, section: &str, key: &str) -> Option<&'a str> {
        sections.get(section)?.get(key).map(String::as_str)
    }

    #[test]
    fn sections_keep_their_case_and_option_names_are_lowercased() {
        let s = parsed("[Prod]\nAccess_Key_Id = LTAI1\n[prod]\naccess_key_id=LTAI2\n");
        assert_eq!(get(&s, "Prod", "access_key_id"), Some("LTAI1"));
        assert_eq!(get(&s, "prod", "access_key_id"), Some("LTAI2"));
        assert_eq!(get(&s, "Prod", "Access_Key_Id"), None);
    }

    #[test]
    fn both_delimiters_and_surrounding_blanks_are_accepted() {
        let s = parsed("[default]\ntype: access_key\naccess_key_id   =   LTAI  \naccess_key_secret=a=b:c\n");
        assert_eq!(get(&s, "default", "type"), Some("access_key"));
        assert_eq!(get(&s, "default", "access_key_id"), Some("LTAI"));
        assert_eq!(
            get(&s, "default", "access_key_secret"),
            Some("a=b:c"),
            "split at the first delimiter"
        );
    }

    #[test]
    fn comment_lines_are_skipped_and_values_are_cut_at_hash_but_not_at_semicolon() {
        let s = parsed(
            "# leading comment\n; another\n[default]\n  # indented comment\ntype = access_key # the type\npolicy = a;b\nempty = # nothing\n",
        );
        assert_eq!(get(&s, "default", "type"), Some("access_key"));
        assert_eq!(get(&s, "default", "policy"), Some("a;b"));
        assert_eq!(get(&s, "default", "empty"), Some(""));
        assert_eq!(s.get("default").map(BTreeMap::len), Some(3));
    }

    #[test]
    fn the_default_section_is_inherited_and_never_a_profile() {
        let s = parsed(
            "[DEFAULT]\ntype = access_key\nregion_id = cn-hangzhou\n[a]\naccess_key_id = A\n[b]\ntype = ram_role_arn\n",
        );
        assert!(!s.contains_key("DEFAULT"));
        assert_eq!(get(&s, "a", "type"), Some("access_key"));
        assert_eq!(get(&s, "a", "access_key_id"), Some("A"));
        assert_eq!(get(&s, "b", "type"), Some("ram_role_arn"), "the section wins");
        assert_eq!(get(&s, "b", "region_id"), Some("cn-hangzhou"));
    }

    #[test]
    fn indented_lines_continue_the_previous_value_even_when_they_look_like_options() {
        // As in Python: an indented `key = value` line is part of the value above it.
        let s = parsed("[p]\ntype = access_key\n  access_key_id = LTAI\n");
        assert_eq!(get(&s, "p", "type"), Some("access_key\naccess_key_id = LTAI"));
        assert_eq!(get(&s, "p", "access_key_id"), None);
    }

    #[test]
    fn indented_lines_continue_the_previous_value() {
        let s = parsed("[p]\npolicy = {\"Version\": \"1\",\n    \"Statement\": []}\ntype = access_key\n");
        assert_eq!(get(&s, "p", "policy"), Some("{\"Version\": \"1\",\n\"Statement\": []}"));
        assert_eq!(get(&s, "p", "type"), Some("access_key"));
    }

    #[test]
    fn a_byte_order_mark_and_windows_line_endings_are_tolerated() {
        let s = parsed("\u{feff}[default]\r\ntype = access_key\r\naccess_key_id = LTAI\r\n");
        assert_eq!(get(&s, "default", "type"), Some("access_key"));
        assert_eq!(get(&s, "default", "access_key_id"), Some("LTAI"));
    }

    #[test]
    fn an_unclosed_section_header_is_an_error_and_an_empty_file_has_no_profiles() {
        assert!(parse("[default\ntype = access_key\n").is_err());
        assert!(parsed("").is_empty());
        assert!(parsed("# only comments\n\n").is_empty());
    }

    #[test]
    fn options_without_a_value_are_dropped() {
        let s = parsed("[p]\ntype\naccess_key_id = A\n");
        assert_eq!(get(&s, "p", "type"), None);
        assert_eq!(get(&s, "p", "access_key_id"), Some("A"));
    }
}
