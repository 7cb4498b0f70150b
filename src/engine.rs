//! The grant engine: credentials → observe → plan → apply → verify → report.
//!
//! One `Engine` per process (or per distinct base credential): it caches the assumed-role client
//! per role ARN, so a warm engine's second grant for an account costs only the read wave. The
//! cache is bounded (least recently used out): a rollout over thousands of accounts, or a warm
//! function serving many, must not keep one client and one set of credentials per account forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acs::credentials::{AssumeRoleParams, AssumeRoleProvider, Env, ProvideCredentials};
use tracing::Instrument as _;

use crate::apply::{SettleRetry, apply};
use crate::desired::Desired;
use crate::observe::{ReadFailure, elapsed_ms, observe, step_error};
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
    /// Retrying calls that do not yet see this run's own creates (and, with `read_back`, reads
    /// that do not yet show this run's writes).
    pub settle: SettleRetry,
    /// `DLCAUTH_READ_BACK` / `--read-back`: after a run that wrote, read the state again once
    /// the last write wave is done and verify from that read (evidence `read`) instead of from
    /// the writes' acknowledgements. Costs one more dependent wave (5 for a fresh account instead
    /// of 4) and, on eventually-consistent RAM, settle retries while a change is not visible yet;
    /// a change still not visible leaves the run `partial`, never `granted`. A run without
    /// writes reads nothing more: its observe reads are the verification.
    pub read_back: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            role_arn: None,
            external_id: None,
            session_duration_seconds: None,
            deadline: Duration::from_secs(120),
            settle: SettleRetry::default(),
            read_back: false,
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
    /// `DLCAUTH_READ_BACK` is not a boolean.
    #[error("DLCAUTH_READ_BACK must be true or false (it is {0:?})")]
    ReadBack(String),
}

impl EngineConfig {
    /// Reads `DLCAUTH_ROLE_ARN`, `DLCAUTH_EXTERNAL_ID` and `DLCAUTH_READ_BACK`.
    ///
    /// # Errors
    /// A malformed role ARN or external id, or a read-back setting that is not a boolean.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(arn) = env.get("DLCAUTH_ROLE_ARN") {
            config.role_arn = Some(RoleArnTemplate::parse(arn)?);
        }
        if let Some(id) = env.get("DLCAUTH_EXTERNAL_ID") {
            config.external_id = Some(validate_external_id(id)?);
        }
        if let Some(flag) = env.get("DLCAUTH_READ_BACK") {
            config.read_back = parse_bool(flag).ok_or_else(|| ConfigError::ReadBack(flag.to_owned()))?;
        }
        Ok(config)
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
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

/// Assumed-role clients kept at most. A warm instance usually serves one or a few accounts; a
/// rollout's concurrency is at most 256, so this keeps every grant in flight warm.
const ASSUMED_CACHE_CAPACITY: usize = 256;

/// Assumed-role clients by role ARN, least recently used evicted first. Hand-written rather than
/// a crate: a map with a use counter and an O(n) eviction over at most a few hundred entries,
/// run once per cold grant, is all it takes.
struct AssumedCache {
    capacity: usize,
    entries: HashMap<String, (Assumed, u64)>,
    uses: u64,
}

impl AssumedCache {
    fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            uses: 0,
        }
    }

    fn get_or_insert_with(&mut self, arn: &str, make: impl FnOnce() -> Assumed) -> Assumed {
        self.uses += 1;
        let uses = self.uses;
        if let Some((assumed, last_used)) = self.entries.get_mut(arn) {
            *last_used = uses;
            return assumed.clone();
        }
        if self.entries.len() >= self.capacity
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, last_used))| *last_used)
                .map(|(arn, _)| arn.clone())
        {
            self.entries.remove(&oldest);
        }
        let assumed = make();
        self.entries.insert(arn.to_owned(), (assumed.clone(), uses));
        assumed
    }

    /// Forgets `arn` if it still maps to `provider` (a concurrent grant may have replaced it).
    fn remove_if(&mut self, arn: &str, provider: &Arc<AssumeRoleProvider>) {
        if self
            .entries
            .get(arn)
            .is_some_and(|(assumed, _)| Arc::ptr_eq(&assumed.provider, provider))
        {
            self.entries.remove(arn);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The grant engine.
pub struct Engine {
    base: acs::Client,
    config: EngineConfig,
    assumed: Mutex<AssumedCache>,
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
            assumed: Mutex::new(AssumedCache::new(ASSUMED_CACHE_CAPACITY)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    fn lock_assumed(&self) -> std::sync::MutexGuard<'_, AssumedCache> {
        // The cache holds no invariant a panicking holder could break halfway.
        self.assumed.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
                report.steps.push(invalid_parameter(&e.field, e.to_string()));
                report.duration_ms = elapsed_ms(started);
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
        report.duration_ms = elapsed_ms(started);
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
        let client = match self
            .client_for(&desired.account_id, &report.request_id)
            .await
            .and_then(|client| regional(client, region))
        {
            Ok(client) => client,
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
        let waves = plan.waves();
        tracing::info!(
            needed = waves.iter().map(Vec::len).sum::<usize>(),
            waves = waves.len(),
            "planned"
        );
        let results = match mode {
            Mode::Grant => apply(&client, desired, &observed, &plan, self.config.settle).await,
            Mode::DryRun | Mode::Check => vec![None; plan.items.len()],
        };
        report.steps = verify::steps(&plan, &results, mode);
        report.status = verify::status(&plan, &results, mode);
        report.verification = verify::verification(desired, &plan, &results, mode);
        if self.config.read_back && results.iter().any(Option::is_some) {
            self.read_back(&client, desired, &mut report).await;
        }
        report
    }

    /// Reads the account again after the last write wave and keeps only what that read shows
    /// (see [`EngineConfig::read_back`]). A change the read does not show yet is read again with
    /// the settle retry's pauses; still not shown, it is not verified and the run is `partial`.
    async fn read_back(&self, client: &acs::Client, desired: &Desired, report: &mut GrantReport) {
        let settle = self.config.settle;
        let before = report.verification.clone();
        let mut retry: u32 = 0;
        let confirmed = loop {
            match observe(client, desired).await {
                Ok(observed) => {
                    let read = verify::verification(desired, &plan(desired, &observed), &[], Mode::Check);
                    let lagging = verify::unconfirmed(&before, &read);
                    if lagging == 0 || retry + 1 >= settle.attempts.max(1) {
                        if lagging > 0 {
                            tracing::warn!(lagging, reads = retry + 1, "the read-back does not show every change");
                        }
                        break verify::confirmed(&before, Some(&read));
                    }
                    tracing::debug!(
                        lagging,
                        retry,
                        "the read-back does not show every change yet; reading again"
                    );
                }
                Err(failures) => {
                    report.steps.extend(failures.into_iter().map(read_failure_step));
                    break verify::confirmed(&before, None);
                }
            }
            tokio::time::sleep(settle.delay(retry)).await;
            retry += 1;
        };
        report.verification = confirmed;
        if !report.verification.complete && matches!(report.status, Status::Granted | Status::Compliant) {
            report.status = Status::Partial;
        }
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
        // The session is named after the request that assumes the role; warm grants reuse its
        // credentials, so ActionTrail shows them under that first request's session.
        let assumed = self.lock_assumed().get_or_insert_with(&arn, || {
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
        });
        let started = Instant::now();
        match assumed.provider.provide().await {
            Ok(_) => Ok(assumed.client),
            Err(e) => {
                // A refused or unreachable account keeps no cache slot (a rollout's failures
                // would otherwise push out the accounts that work).
                self.lock_assumed().remove_if(&arn, &assumed.provider);
                let (attempts, request_id) = match &e {
                    acs::credentials::CredentialsError::Sts(sts) => {
                        (sts.attempts(), sts.request_id().map(str::to_owned))
                    }
                    _ => (0, None),
                };
                let error = acs::Error::Credentials(e);
                // Info, not warn: the report's failed AssumeRole step carries the same error, and
                // the CLI prints it once per account already.
                tracing::info!(role_arn = %arn, error = %error, "AssumeRole failed");
                Err(Box::new(Step {
                    action: "AssumeRole".into(),
                    target: arn,
                    outcome: Outcome::Failed,
                    request_id,
                    attempts,
                    duration_ms: elapsed_ms(started),
                    error: Some(step_error(&error)),
                    wave: None,
                }))
            }
        }
    }
}

/// The client for a request's region (regional endpoints matter for AIWorkspace and NAS).
/// Request validation refuses bad regions first; the client's own rule is the last word, and a
/// region it refuses fails the run as a named step rather than falling back to another region.
fn regional(client: acs::Client, region: Option<&str>) -> Result<acs::Client, Box<Step>> {
    match region {
        Some(region) if region != client.config().region => client
            .with_region(region)
            .map_err(|e| Box::new(invalid_parameter("region", e.to_string()))),
        _ => Ok(client),
    }
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

/// The step refusing a request field before any call.
fn invalid_parameter(field: &str, message: String) -> Step {
    failed_step(
        "ValidateRequest",
        field,
        StepError {
            code: "InvalidParameter".into(),
            message,
        },
    )
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
    use acs::credentials::NoCredentials;

    use super::*;

    /// A client whose calls all fail at once: nothing listens on the port.
    fn unreachable_client() -> acs::Client {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let mut config = acs::ClientConfig::single(&format!("http://127.0.0.1:{port}"))
            .unwrap_or_else(|e| panic!("loopback endpoint: {e}"));
        config.retry = acs::RetryPolicy::no_retries();
        acs::Client::new(config, Arc::new(NoCredentials)).unwrap_or_else(|e| panic!("client: {e}"))
    }

    fn assumed(client: &acs::Client, arn: &str) -> Assumed {
        let provider = Arc::new(AssumeRoleProvider::new(
            client.clone(),
            AssumeRoleParams {
                role_arn: arn.into(),
                role_session_name: "test".into(),
                ..AssumeRoleParams::default()
            },
        ));
        Assumed {
            client: client.with_credentials(provider.clone()),
            provider,
        }
    }

    #[test]
    fn assumed_client_cache_evicts_the_least_recently_used_beyond_its_capacity() {
        let client = unreachable_client();
        let mut cache = AssumedCache::new(3);
        let arn = |n: u32| format!("acs:ram::{n}:role/granter");
        let mut made = 0;
        for n in 1..=3 {
            cache.get_or_insert_with(&arn(n), || {
                made += 1;
                assumed(&client, &arn(n))
            });
        }
        // Account 1 is used again, so account 2 is now the least recently used.
        let first = cache.get_or_insert_with(&arn(1), || unreachable!("cached"));
        cache.get_or_insert_with(&arn(4), || {
            made += 1;
            assumed(&client, &arn(4))
        });
        assert_eq!((cache.len(), made), (3, 4));
        let again = cache.get_or_insert_with(&arn(1), || unreachable!("still cached"));
        assert!(Arc::ptr_eq(&first.provider, &again.provider));
        let mut remade = false;
        cache.get_or_insert_with(&arn(2), || {
            remade = true;
            assumed(&client, &arn(2))
        });
        assert!(remade, "the least recently used entry was the one evicted");
        for n in 5..1000 {
            cache.get_or_insert_with(&arn(n), || assumed(&client, &arn(n)));
        }
        assert_eq!(cache.len(), 3, "a long rollout does not grow it");
    }

    #[test]
    fn remove_if_spares_an_entry_a_concurrent_grant_replaced() {
        let client = unreachable_client();
        let arn = "acs:ram::1:role/granter";
        let mut cache = AssumedCache::new(4);
        let stale = assumed(&client, arn);
        let current = cache.get_or_insert_with(arn, || assumed(&client, arn));
        cache.remove_if(arn, &stale.provider);
        assert_eq!(cache.len(), 1);
        cache.remove_if(arn, &current.provider);
        assert_eq!(cache.len(), 0);
    }

    #[tokio::test]
    async fn a_failed_assume_role_keeps_no_cache_slot() {
        let config = EngineConfig {
            role_arn: Some(
                RoleArnTemplate::parse("acs:ram::{accountId}:role/granter").unwrap_or_else(|e| panic!("{e}")),
            ),
            ..EngineConfig::default()
        };
        let engine = Engine::new(unreachable_client(), config);
        for account in ["1234567890123456", "2234567890123456"] {
            let report = engine
                .grant(&GrantRequest::for_account(account), Trigger::Cli, "r")
                .await;
            assert_eq!(report.status, Status::Failed);
            assert_eq!(report.steps.first().map(|s| s.action.as_str()), Some("AssumeRole"));
        }
        assert_eq!(engine.lock_assumed().len(), 0);
    }

    #[test]
    fn regional_moves_the_region_and_keeps_the_sts_endpoint_choice() -> Result<(), Box<dyn std::error::Error>> {
        use acs::client::Product;
        let env = Env::from_pairs([("ALIBABA_CLOUD_STS_REGION", "cn-shenzhen")]);
        let client = acs::Client::new(acs::ClientConfig::from_env(&env)?, Arc::new(NoCredentials))?;
        let moved = regional(client.clone(), Some("cn-beijing")).map_err(|step| format!("{step:?}"))?;
        let host = |c: &acs::Client, p: Product| -> Result<String, Box<dyn std::error::Error>> {
            Ok(c.config().endpoints.resolve(p)?.host().to_owned())
        };
        assert_eq!(moved.config().region, "cn-beijing");
        assert_eq!(
            host(&moved, Product::AiWorkspace)?,
            "aiworkspace.cn-beijing.aliyuncs.com"
        );
        assert_eq!(host(&moved, Product::Sts)?, "sts.cn-shenzhen.aliyuncs.com");
        let unchanged = regional(client.clone(), None).map_err(|step| format!("{step:?}"))?;
        assert_eq!(unchanged.config().region, "cn-hangzhou");
        let refused = regional(client, Some("x/y")).err();
        assert_eq!(
            refused.as_ref().map(|s| (s.action.as_str(), s.target.as_str())),
            Some(("ValidateRequest", "region"))
        );
        assert_eq!(
            refused.and_then(|s| s.error).map(|e| e.code),
            Some("InvalidParameter".to_owned())
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_invalid_region_fails_the_run_before_any_call() {
        let engine = Engine::new(unreachable_client(), EngineConfig::default());
        let mut request = GrantRequest::for_account("1234567890123456");
        request.region = Some("Evil.example/x".into());
        let report = engine.grant(&request, Trigger::Cli, "r").await;
        assert_eq!(report.status, Status::Failed);
        let step = report
            .steps
            .first()
            .map(|s| (s.action.as_str(), s.target.as_str(), s.attempts));
        assert_eq!(step, Some(("ValidateRequest", "region", 0)));
    }

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
        assert!(!none.read_back, "read-back is opt-in");
        Ok(())
    }

    #[test]
    fn config_reads_read_back_as_a_boolean() -> Result<(), ConfigError> {
        let read_back = |v: &str| EngineConfig::from_env(&Env::from_pairs([("DLCAUTH_READ_BACK", v)]));
        for yes in ["true", "TRUE", "1", "yes", "on"] {
            assert!(read_back(yes)?.read_back, "{yes}");
        }
        for no in ["false", "0", "no", "off", ""] {
            assert!(!read_back(no)?.read_back, "{no:?}");
        }
        assert_eq!(read_back("maybe").err(), Some(ConfigError::ReadBack("maybe".into())));
        assert!(
            read_back("maybe")
                .err()
                .is_some_and(|e| e.to_string().contains("DLCAUTH_READ_BACK must be true or false"))
        );
        Ok(())
    }
}
