//! The grant engine: credentials → observe → plan → apply → verify → report.
//!
//! One `Engine` per process (or per distinct base credential): it caches the assumed-role client
//! per role ARN, so a warm engine's second grant for an account costs only the read wave.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acs::credentials::{AssumeRoleParams, AssumeRoleProvider, Env, ProvideCredentials};
use tracing::Instrument as _;

use crate::apply::{SettleRetry, apply};
use crate::desired::Desired;
use crate::observe::{ReadFailure, observe, step_error};
use crate::plan::plan;
use crate::report::{GrantReport, Outcome, RoleInfo, SCHEMA_VERSION, Status, Step, StepError, Trigger};
use crate::request::{GrantRequest, Warning};
use crate::role_arn::{RoleArnError, RoleArnTemplate, session_name};
use crate::verify::{self, Mode};

/// How the engine reaches the target account, and its time limits.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The privileged role to assume (`DLCAUTH_ROLE_ARN`); `None` = the caller's own credentials.
    pub role_arn: Option<RoleArnTemplate>,
    /// `DLCAUTH_EXTERNAL_ID`.
    pub external_id: Option<String>,
    /// DurationSeconds of the assumed-role session (STS default when `None`).
    pub session_duration_seconds: Option<u32>,
    /// The whole run's time limit; a run never hangs past it.
    pub deadline: Duration,
    /// Retrying calls that do not yet see this run's own creates.
    pub settle: SettleRetry,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            role_arn: None,
            external_id: None,
            session_duration_seconds: None,
            deadline: Duration::from_secs(120),
            settle: SettleRetry::default(),
        }
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `DLCAUTH_ROLE_ARN` / `--role-arn` is malformed.
    #[error("DLCAUTH_ROLE_ARN: {0}")]
    RoleArn(#[from] RoleArnError),
    /// `DLCAUTH_EXTERNAL_ID` breaks the STS rule.
    #[error(
        "DLCAUTH_EXTERNAL_ID must be 2 to 1224 characters of letters, digits and + = , . @ : / - _ (it is {0} characters)"
    )]
    ExternalId(usize),
}

impl EngineConfig {
    /// Reads `DLCAUTH_ROLE_ARN` and `DLCAUTH_EXTERNAL_ID`.
    ///
    /// # Errors
    /// A malformed role ARN or external id.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(arn) = env.get("DLCAUTH_ROLE_ARN") {
            config.role_arn = Some(RoleArnTemplate::parse(arn)?);
        }
        if let Some(id) = env.get("DLCAUTH_EXTERNAL_ID") {
            config.external_id = Some(validate_external_id(id)?);
        }
        Ok(config)
    }
}

fn validate_external_id(id: &str) -> Result<String, ConfigError> {
    let ok = (2..=1224).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(ConfigError::ExternalId(id.len()))
    }
}

#[derive(Clone)]
struct Assumed {
    client: acs::Client,
    provider: Arc<AssumeRoleProvider>,
}

/// The grant engine.
pub struct Engine {
    base: acs::Client,
    config: EngineConfig,
    assumed: Mutex<HashMap<String, Assumed>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine calling Alibaba Cloud through `base` (whose credentials are the caller's: they
    /// assume `config.role_arn` when set).
    pub fn new(base: acs::Client, config: EngineConfig) -> Self {
        Self {
            base,
            config,
            assumed: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Grants (or, with `request.dry_run`, plans) and reports. Never fails: every failure is in
    /// the report.
    pub async fn grant(&self, request: &GrantRequest, trigger: Trigger, request_id: &str) -> GrantReport {
        let mode = if request.dry_run { Mode::DryRun } else { Mode::Grant };
        self.run(request, mode, trigger, request_id).await
    }

    /// The read-only verification: `compliant`, or `noncompliant` with the plan as steps.
    pub async fn check(&self, request: &GrantRequest, trigger: Trigger, request_id: &str) -> GrantReport {
        self.run(request, Mode::Check, trigger, request_id).await
    }

    /// Runs in the given mode.
    pub async fn run(&self, request: &GrantRequest, mode: Mode, trigger: Trigger, request_id: &str) -> GrantReport {
        let started = Instant::now();
        let desired = Desired::from_request(request);
        let mut report = base_report(request, &desired, trigger, request_id);
        let warnings = match request.validate() {
            Ok(w) => w,
            Err(e) => {
                report.steps.push(failed_step(
                    "ValidateRequest",
                    &e.field,
                    StepError {
                        code: "InvalidParameter".into(),
                        message: e.to_string(),
                    },
                ));
                report.duration_ms = elapsed(started);
                return report;
            }
        };
        let span = tracing::info_span!("grant", account = %request.account_id, request_id, ?mode);
        let body = self
            .run_valid(&desired, request.region.as_deref(), mode, report.clone(), warnings)
            .instrument(span);
        let mut report = match tokio::time::timeout(self.config.deadline, body).await {
            Ok(report) => report,
            Err(_) => {
                report.steps.push(failed_step(
                    "Grant",
                    &request.account_id,
                    StepError {
                        code: "DeadlineExceeded".into(),
                        message: format!(
                            "the run did not finish within {} s; run again (it is idempotent) or check connectivity",
                            self.config.deadline.as_secs()
                        ),
                    },
                ));
                report
            }
        };
        report.duration_ms = elapsed(started);
        tracing::info!(
            status = report.status.as_str(),
            duration_ms = report.duration_ms,
            "done"
        );
        report
    }

    async fn run_valid(
        &self,
        desired: &Desired,
        region: Option<&str>,
        mode: Mode,
        mut report: GrantReport,
        warnings: Vec<Warning>,
    ) -> GrantReport {
        report.warnings = warnings;
        let client = match self.client_for(&desired.account_id, &report.request_id).await {
            Ok(client) => regional(client, region),
            Err(step) => {
                report.steps.push(*step);
                return report;
            }
        };
        let observed = match observe(&client, desired).await {
            Ok(observed) => observed,
            Err(failures) => {
                report.steps.extend(failures.into_iter().map(read_failure_step));
                return report;
            }
        };
        if let Some(role) = &observed.role.value {
            report.role.arn = role.arn.clone();
        }
        let plan = plan(desired, &observed);
        tracing::info!(
            needed = plan.waves().iter().map(Vec::len).sum::<usize>(),
            waves = plan.waves().len(),
            "planned"
        );
        let results = match mode {
            Mode::Grant => apply(&client, desired, &observed, &plan, self.config.settle).await,
            Mode::DryRun | Mode::Check => vec![None; plan.items.len()],
        };
        report.steps = verify::steps(&plan, &results, mode);
        report.status = verify::status(&plan, &results, mode);
        report.verification = verify::verification(desired, &plan, &results);
        report
    }

    /// The client acting in the target account: the base client, or one with the assumed
    /// role's credentials (cached per role ARN). Assuming happens here, before the reads, so a
    /// refusal is one named step rather than every read failing alike.
    async fn client_for(&self, account_id: &str, request_id: &str) -> Result<acs::Client, Box<Step>> {
        let Some(template) = &self.config.role_arn else {
            return Ok(self.base.clone());
        };
        let arn = template.resolve(account_id);
        if template.is_fixed_elsewhere(account_id) {
            // RAM acts in the account of the credentials: a role in another account would
            // grant there, not in the account asked for.
            let mut step = failed_step(
                "AssumeRole",
                &arn,
                StepError {
                    code: "AccountMismatch".into(),
                    message: format!(
                        "the role ARN names another account than {account_id}; use acs:ram::{{accountId}}:role/<name> to act in each target account"
                    ),
                },
            );
            step.attempts = 0;
            return Err(Box::new(step));
        }
        let assumed = {
            let mut cache = self.assumed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            cache
                .entry(arn.clone())
                .or_insert_with(|| {
                    let provider = Arc::new(AssumeRoleProvider::new(
                        self.base.clone(),
                        AssumeRoleParams {
                            role_arn: arn.clone(),
                            role_session_name: session_name(request_id),
                            external_id: self.config.external_id.clone(),
                            duration_seconds: self.config.session_duration_seconds,
                            policy: None,
                        },
                    ));
                    Assumed {
                        client: self.base.with_credentials(provider.clone()),
                        provider,
                    }
                })
                .clone()
        };
        let started = Instant::now();
        match assumed.provider.provide().await {
            Ok(_) => Ok(assumed.client),
            Err(e) => {
                let error = acs::Error::Credentials(e);
                let attempts = match &error {
                    acs::Error::Credentials(acs::credentials::CredentialsError::Sts(inner)) => inner.attempts(),
                    _ => 0,
                };
                let request_id = match &error {
                    acs::Error::Credentials(acs::credentials::CredentialsError::Sts(inner)) => {
                        inner.request_id().map(str::to_owned)
                    }
                    _ => None,
                };
                tracing::warn!(role_arn = %arn, error = %error, "AssumeRole failed");
                Err(Box::new(Step {
                    action: "AssumeRole".into(),
                    target: arn,
                    outcome: Outcome::Failed,
                    request_id,
                    attempts,
                    duration_ms: elapsed(started),
                    error: Some(step_error(&error)),
                    wave: None,
                }))
            }
        }
    }
}

/// The client for a request's region. Regional endpoints matter for AIWorkspace; an emulator's
/// single endpoint serves every region.
fn regional(client: acs::Client, region: Option<&str>) -> acs::Client {
    match region {
        Some(region) if region != client.config().region && !client.config().endpoints.is_single() => {
            client.with_endpoints(acs::Endpoints::aliyun(region)).unwrap_or(client)
        }
        _ => client,
    }
}

fn elapsed(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn base_report(request: &GrantRequest, desired: &Desired, trigger: Trigger, request_id: &str) -> GrantReport {
    GrantReport {
        schema_version: SCHEMA_VERSION,
        status: Status::Failed,
        account_id: request.account_id.clone(),
        workspace_id: request.workspace_id.clone(),
        trigger,
        request_id: request_id.to_owned(),
        role: RoleInfo {
            name: desired.role_name.clone(),
            arn: desired.role_arn(),
        },
        steps: Vec::new(),
        verification: verify::unverified(desired),
        duration_ms: 0,
        warnings: Vec::new(),
    }
}

fn failed_step(action: &str, target: &str, error: StepError) -> Step {
    Step {
        action: action.into(),
        target: target.into(),
        outcome: Outcome::Failed,
        request_id: None,
        attempts: 0,
        duration_ms: 0,
        error: Some(error),
        wave: None,
    }
}

fn read_failure_step(failure: ReadFailure) -> Step {
    Step {
        action: failure.call.action.into(),
        target: failure.target,
        outcome: Outcome::Failed,
        request_id: failure.call.request_id,
        attempts: failure.call.attempts,
        duration_ms: failure.call.duration_ms,
        error: Some(failure.error),
        wave: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_role_arn_and_external_id() -> Result<(), ConfigError> {
        let env = Env::from_pairs([
            ("DLCAUTH_ROLE_ARN", "acs:ram::{accountId}:role/dlcauth-granter"),
            ("DLCAUTH_EXTERNAL_ID", "abc-123"),
        ]);
        let config = EngineConfig::from_env(&env)?;
        assert_eq!(
            config.role_arn.map(|t| t.resolve("42")).as_deref(),
            Some("acs:ram::42:role/dlcauth-granter")
        );
        assert_eq!(config.external_id.as_deref(), Some("abc-123"));
        assert!(EngineConfig::from_env(&Env::from_pairs([("DLCAUTH_ROLE_ARN", "nope")])).is_err());
        assert_eq!(
            EngineConfig::from_env(&Env::from_pairs([("DLCAUTH_EXTERNAL_ID", "a b")])).err(),
            Some(ConfigError::ExternalId(3))
        );
        let none = EngineConfig::from_env(&Env::from_pairs(Vec::<(&str, &str)>::new()))?;
        assert!(none.role_arn.is_none() && none.external_id.is_none());
        Ok(())
    }
}
