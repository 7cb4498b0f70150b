//! Shared by the engine and CLI test binaries: a real emulator on loopback, clients, and readers
//! of its state and call log.
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use acs::credentials::{Credentials, StaticProvider};
use acs_emulator::{Emulator, Options, PrincipalKind, Seed, SeedAccessKey, SeedPrincipal};
use dlcauth::apply::SettleRetry;
use dlcauth::role_arn::RoleArnTemplate;
use dlcauth::waves::{Span, dependent_waves};
use dlcauth::{Engine, EngineConfig, GrantReport};
use serde_json::Value;

pub const ACCOUNT: &str = acs_emulator::DEMO_ACCOUNT_ID;
pub const GRANTER_TEMPLATE: &str = "acs:ram::{accountId}:role/dlcauth-granter";
pub const ROLE: &str = "AliyunPAIDLCDefaultRole";
/// Root keys of the emulated account: test set-up only, never given to the engine.
pub const ADMIN_KEY_ID: &str = "LTAI5tTestAccountAdmin01";
pub const ADMIN_KEY_SECRET: &str = "TestAccountAdminSecret000000001";

/// The demo seed plus root keys for seeding drift through the API.
pub fn seed() -> Seed {
    let mut seed = Seed::demo();
    seed.access_keys.push(SeedAccessKey {
        access_key_id: ADMIN_KEY_ID.into(),
        access_key_secret: acs::Secret::new(ADMIN_KEY_SECRET),
        security_token: None,
        principal: SeedPrincipal {
            kind: PrincipalKind::Account,
            name: String::new(),
        },
    });
    seed
}

pub async fn start(seed: Seed) -> Emulator {
    start_with(Options {
        seed,
        ..Options::default()
    })
    .await
}

pub async fn start_with(options: Options) -> Emulator {
    acs_emulator::start_on_loopback(options)
        .await
        .expect("the emulator starts")
}

/// Fast retries (the emulator answers in microseconds) and short timeouts.
pub fn retry(max_attempts: u32) -> acs::RetryPolicy {
    acs::RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
    }
}

pub fn client_with(url: &str, key_id: &str, secret: &str, max_attempts: u32) -> acs::Client {
    let mut config = acs::ClientConfig::single(url).expect("a loopback URL is a valid endpoint");
    config.retry = retry(max_attempts);
    config.read_timeout = Duration::from_secs(10);
    acs::Client::new(
        config,
        Arc::new(StaticProvider::new(Credentials::access_key(key_id, secret))),
    )
    .expect("client")
}

pub fn operator_client(emulator: &Emulator) -> acs::Client {
    client_with(
        &emulator.base_url(),
        acs_emulator::DEMO_ACCESS_KEY_ID,
        acs_emulator::DEMO_ACCESS_KEY_SECRET,
        5,
    )
}

/// The demo user without any policy: every call it makes is refused.
pub fn noperm_client(emulator: &Emulator) -> acs::Client {
    client_with(
        &emulator.base_url(),
        acs_emulator::DEMO_NOPERM_ACCESS_KEY_ID,
        acs_emulator::DEMO_NOPERM_ACCESS_KEY_SECRET,
        5,
    )
}

pub fn admin_client(emulator: &Emulator) -> acs::Client {
    client_with(&emulator.base_url(), ADMIN_KEY_ID, ADMIN_KEY_SECRET, 5)
}

pub fn engine_config() -> EngineConfig {
    EngineConfig {
        role_arn: Some(RoleArnTemplate::parse(GRANTER_TEMPLATE).expect("valid template")),
        settle: SettleRetry {
            attempts: 5,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
        },
        deadline: Duration::from_secs(60),
        ..EngineConfig::default()
    }
}

/// The engine as the demo runs it: the operator key assuming `dlcauth-granter`.
pub fn engine(emulator: &Emulator) -> Engine {
    Engine::new(operator_client(emulator), engine_config())
}

pub fn engine_with_client(client: acs::Client) -> Engine {
    Engine::new(client, engine_config())
}

/// Calls logged after `from` calls had been logged.
pub fn calls_since(emulator: &Emulator, from: usize) -> Vec<acs_emulator::CallRecord> {
    emulator.calls().into_iter().skip(from).collect()
}

pub fn waves(calls: &[acs_emulator::CallRecord]) -> usize {
    let spans: Vec<Span> = calls
        .iter()
        .map(|c| Span {
            start: c.start_seq,
            end: c.end_seq,
        })
        .collect();
    dependent_waves(&spans)
}

pub fn write_actions(calls: &[acs_emulator::CallRecord]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.write)
        .map(|c| c.action.clone().unwrap_or_default())
        .collect()
}

pub fn role<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["roles"]
        .as_array()?
        .iter()
        .find(|r| r["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
}

pub fn roles_named(state: &Value, name: &str) -> usize {
    state["roles"]
        .as_array()
        .map(|roles| {
            roles
                .iter()
                .filter(|r| r["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
                .count()
        })
        .unwrap_or(0)
}

/// `(type, name)` of each account-scope attachment, with duplicates kept (a list, not a set).
pub fn attached(entity: &Value) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = entity["policies"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    (
                        p["type"].as_str().unwrap_or_default().to_owned(),
                        p["name"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    list.sort();
    list
}

pub fn the_three(oss: (&str, &str)) -> Vec<(String, String)> {
    let mut v = vec![
        ("System".to_owned(), "AliyunPAIDLCDefaultRolePolicy".to_owned()),
        (oss.0.to_owned(), oss.1.to_owned()),
        ("Custom".to_owned(), "PaiDlcOAuthPolicy".to_owned()),
    ];
    v.sort();
    v
}

pub fn policy<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["policies"]
        .as_array()?
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
}

pub fn policies_named(state: &Value, name: &str) -> usize {
    state["policies"]
        .as_array()
        .map(|ps| ps.iter().filter(|p| p["name"].as_str() == Some(name)).count())
        .unwrap_or(0)
}

/// `(versionId, isDefault)` of a custom policy's versions.
pub fn versions(state: &Value, name: &str) -> Vec<(String, bool)> {
    policy(state, name)
        .and_then(|p| p["versions"].as_array())
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    (
                        v["versionId"].as_str().unwrap_or_default().to_owned(),
                        v["isDefault"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn default_document(state: &Value, name: &str) -> Option<String> {
    policy(state, name)?
        .get("versions")?
        .as_array()?
        .iter()
        .find(|v| v["isDefault"].as_bool() == Some(true))
        .map(|v| v["document"].to_string())
}

pub fn trust_document(state: &Value, name: &str) -> Option<String> {
    role(state, name).map(|r| r["trustPolicy"].to_string())
}

/// RG-scope attachments: `(resourceGroupId, principalName, policyType, policyName)`.
pub fn rg_attachments(state: &Value) -> BTreeSet<(String, String, String, String)> {
    state["resourceGroupAttachments"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    let s = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
                    (
                        s("resourceGroupId"),
                        s("principalName"),
                        s("policyType"),
                        s("policyName"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Roles of a user in a workspace (`None` if not a member).
pub fn member_roles(state: &Value, workspace: &str, user: &str) -> Option<Vec<String>> {
    let ws = state["workspaces"]
        .as_array()?
        .iter()
        .find(|w| w["workspaceId"].as_str() == Some(workspace))?;
    let member = ws["members"]
        .as_array()?
        .iter()
        .find(|m| m["userName"].as_str() == Some(user))?;
    let mut roles: Vec<String> = member["roles"]
        .as_array()?
        .iter()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    roles.sort();
    Some(roles)
}

pub fn user<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["users"]
        .as_array()?
        .iter()
        .find(|u| u["name"].as_str() == Some(name))
}

/// The demo seed whose granter role is trusted only with this ExternalId (a `StringEquals
/// sts:ExternalId` condition, as a cross-account onboarding would set it).
pub fn seed_with_external_id(external_id: &str) -> Seed {
    let mut seed = seed();
    let granter = seed
        .roles
        .iter_mut()
        .find(|r| r.name == acs_emulator::DEMO_ROLE_NAME)
        .expect("the demo seed has the granter role");
    let statement = granter.trust_policy["Statement"]
        .get_mut(0)
        .and_then(Value::as_object_mut)
        .expect("the granter's trust policy has a statement");
    statement.insert(
        "Condition".into(),
        serde_json::json!({"StringEquals": {"sts:ExternalId": external_id}}),
    );
    seed
}

/// Each recorded request's query parameters, in arrival order.
type Queries = Arc<std::sync::Mutex<Vec<Vec<(String, String)>>>>;

/// A loopback proxy in front of the emulator that records every request's query parameters
/// (the RPC parameters, e.g. AssumeRole's `RoleSessionName`, which the emulator's call log does
/// not keep). Requests are forwarded unchanged, Host header included, so signatures still verify.
/// Stops when dropped, even if the test fails.
pub struct Recorder {
    pub url: String,
    queries: Queries,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    pub async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let queries: Queries = Arc::default();
        let state = (upstream, queries.clone(), reqwest::Client::new());
        let app = axum::Router::new().fallback(forward).with_state(Arc::new(state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, queries, task }
    }

    /// The value of `param` in every request that carried it, in arrival order.
    pub fn values_of(&self, param: &str) -> Vec<String> {
        self.queries
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|q| q.iter().filter(|(k, _)| k == param).map(|(_, v)| v.clone()))
            .collect()
    }
}

type RecorderState = Arc<(String, Queries, reqwest::Client)>;

async fn forward(
    axum::extract::State(state): axum::extract::State<RecorderState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let (upstream, queries, client) = &*state;
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or_default();
    let pairs = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    queries.lock().expect("lock").push(pairs);
    let body = axum::body::to_bytes(body, 1 << 20).await.expect("request body");
    let target = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut headers = parts.headers.clone();
    headers.remove(axum::http::header::CONTENT_LENGTH);
    let answer = client
        .request(parts.method, target)
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the emulator answers the proxy");
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.expect("response body");
    let mut response = (status, bytes).into_response();
    for (name, value) in &headers {
        if name != axum::http::header::CONTENT_LENGTH && name != axum::http::header::TRANSFER_ENCODING {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// Exactly one AssumeRole was made, and its session name carries `request_id` within STS's rule
/// for RoleSessionName (2–64 of `[A-Za-z0-9.@_-]`), so ActionTrail ties the session to the report.
pub fn assert_one_session_carrying(sessions: &[String], request_id: &str) {
    assert_eq!(sessions.len(), 1, "one AssumeRole: {sessions:?}");
    let name = &sessions[0];
    assert!(name.contains(request_id), "{name} carries {request_id}");
    assert!((2..=64).contains(&name.len()), "{name}");
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-')),
        "{name}"
    );
}

/// What a run of the `dlcauth` binary printed, and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn report(&self) -> GrantReport {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not a GrantReport ({e}):\n{}", self.stdout))
    }

    pub fn assert_one_line_usage_error(&self, mentions: &str) {
        assert_eq!(self.code, 2, "exit code; stderr: {}", self.stderr);
        assert!(self.stdout.is_empty(), "nothing on stdout: {}", self.stdout);
        let lines: Vec<&str> = self.stderr.trim_end().lines().collect();
        assert_eq!(lines.len(), 1, "one line: {:?}", self.stderr);
        assert!(lines[0].starts_with("error: "), "{}", lines[0]);
        assert!(
            lines[0].contains(mentions),
            "{:?} should mention {mentions:?}",
            lines[0]
        );
    }
}

/// Runs the binary with only the given environment (plus an empty HOME and no instance
/// metadata lookups), so nothing from the developer's machine leaks in.
pub async fn dlcauth(args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().expect("temp home");
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_dlcauth"))
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .envs(env.iter().copied())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("dlcauth finishes within a minute")
    .expect("dlcauth runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
