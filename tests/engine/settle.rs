//! RAM is eventually consistent: right after CreateRole/CreatePolicy, an attach may still get
//! `EntityNotExist.*`, and a read right after an attach may not list it yet. The emulator is
//! strongly consistent, so this plays RAM with a lag on loopback: a server that answers attaches
//! with `EntityNotExist.Role` a few times after the role was created, and lists the role's
//! attachments a few reads late.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dlcauth::report::{Evidence, Outcome, Status};
use dlcauth::{Engine, EngineConfig, GrantRequest, Trigger};
use serde_json::json;

use crate::common::*;

#[derive(Default)]
struct Lagging {
    role_exists: bool,
    /// Attach calls answered "not yet" so far, per policy.
    refused: HashMap<String, u32>,
    /// How many times each attach is refused after the role exists.
    lag: u32,
    calls: Vec<String>,
    /// The trust policy CreateRole was given.
    trust: String,
    /// The document CreatePolicy was given, once created.
    policy: Option<String>,
    /// `(PolicyName, PolicyType)` of what was attached.
    attached: Vec<(String, String)>,
    /// ListPoliciesForRole answers without the attachments this many times after the first.
    read_lag: u32,
    stale_reads: u32,
}

type Shared = Arc<Mutex<Lagging>>;

fn error(status: StatusCode, code: &str) -> Response {
    (
        status,
        axum::Json(json!({"RequestId": "lag-req", "Code": code, "Message": "lagging RAM", "HostId": "ram"})),
    )
        .into_response()
}

async fn ram(State(shared): State<Shared>, Query(params): Query<HashMap<String, String>>) -> Response {
    let action = params.get("Action").cloned().unwrap_or_default();
    let mut s = shared.lock().expect("lock");
    s.calls.push(action.clone());
    let ok = |body: serde_json::Value| {
        let mut body = body;
        body["RequestId"] = json!(format!("ok-{action}"));
        (StatusCode::OK, axum::Json(body)).into_response()
    };
    match action.as_str() {
        "GetRole" | "ListPoliciesForRole" if !s.role_exists => error(StatusCode::NOT_FOUND, "EntityNotExist.Role"),
        "GetRole" => ok(
            json!({"Role": {"RoleId": "1", "RoleName": ROLE, "AssumeRolePolicyDocument": s.trust,
                                         "Arn": format!("acs:ram::{ACCOUNT}:role/aliyunpaidlcdefaultrole")}}),
        ),
        "ListPoliciesForRole" => {
            let shown: Vec<serde_json::Value> = if !s.attached.is_empty() && s.stale_reads < s.read_lag {
                s.stale_reads += 1;
                Vec::new()
            } else {
                s.attached
                    .iter()
                    .map(|(name, kind)| json!({"PolicyName": name, "PolicyType": kind}))
                    .collect()
            };
            ok(json!({"Policies": {"Policy": shown}}))
        }
        "ListPolicyVersions" => match s.policy.clone() {
            None => error(StatusCode::NOT_FOUND, "EntityNotExist.Policy"),
            Some(document) => ok(json!({"PolicyVersions": {"PolicyVersion": [
                {"VersionId": "v1", "IsDefaultVersion": true, "PolicyDocument": document}
            ]}})),
        },
        "CreateRole" => {
            s.role_exists = true;
            s.trust = params.get("AssumeRolePolicyDocument").cloned().unwrap_or_default();
            ok(
                json!({"Role": {"RoleId": "1", "RoleName": ROLE, "AssumeRolePolicyDocument": "{}",
                               "Arn": format!("acs:ram::{ACCOUNT}:role/aliyunpaidlcdefaultrole")}}),
            )
        }
        "CreatePolicy" => {
            s.policy = params.get("PolicyDocument").cloned();
            ok(json!({"Policy": {"PolicyName": "PaiDlcOAuthPolicy", "PolicyType": "Custom"}}))
        }
        "AttachPolicyToRole" => {
            let policy = params.get("PolicyName").cloned().unwrap_or_default();
            let lag = s.lag;
            let refused = s.refused.entry(policy).or_default();
            if *refused < lag {
                *refused += 1;
                error(StatusCode::NOT_FOUND, "EntityNotExist.Role")
            } else {
                let attachment = (
                    params.get("PolicyName").cloned().unwrap_or_default(),
                    params.get("PolicyType").cloned().unwrap_or_default(),
                );
                if !s.attached.contains(&attachment) {
                    s.attached.push(attachment);
                }
                ok(json!({}))
            }
        }
        _ => error(StatusCode::BAD_REQUEST, "InvalidAction.NotFound"),
    }
}

/// Serves on loopback; stops when dropped, even if the test fails.
struct Server {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(shared: Shared) -> Server {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(ram).with_state(shared);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { url, task }
}

fn engine_for(url: &str, settle_attempts: u32) -> Engine {
    engine_with(url, settle_attempts, false)
}

fn engine_with(url: &str, settle_attempts: u32, read_back: bool) -> Engine {
    // The caller's own credentials: this server plays the target account directly.
    let client = client_with(url, "LTAI5tLagTest", "lag-secret", 1);
    let mut config = EngineConfig {
        settle: engine_config().settle,
        read_back,
        ..EngineConfig::default()
    };
    config.settle.attempts = settle_attempts;
    Engine::new(client, config)
}

#[tokio::test(flavor = "multi_thread")]
async fn attaches_right_after_our_create_wait_for_ram_to_catch_up() {
    let shared: Shared = Arc::new(Mutex::new(Lagging {
        lag: 2,
        ..Lagging::default()
    }));
    let server = serve(shared.clone()).await;
    let report = engine_for(&server.url, 5)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "lag")
        .await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    let attaches: Vec<(Outcome, u32)> = report
        .steps
        .iter()
        .filter(|s| s.action == "AttachPolicyToRole")
        .map(|s| (s.outcome, s.attempts))
        .collect();
    assert_eq!(attaches, vec![(Outcome::Attached, 3); 3], "two refusals, then success");
    let attach_calls = shared
        .lock()
        .expect("lock")
        .calls
        .iter()
        .filter(|a| *a == "AttachPolicyToRole")
        .count();
    assert_eq!(attach_calls, 9);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wait_is_bounded() {
    let shared: Shared = Arc::new(Mutex::new(Lagging {
        lag: 100,
        ..Lagging::default()
    }));
    let server = serve(shared).await;
    let report = engine_for(&server.url, 3)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "lag-forever")
        .await;
    assert_eq!(report.status, Status::Partial, "{}", report.to_text());
    for step in report.steps.iter().filter(|s| s.action == "AttachPolicyToRole") {
        assert_eq!(step.outcome, Outcome::Failed);
        assert_eq!(step.attempts, 3);
        assert_eq!(
            step.error.as_ref().map(|e| e.code.as_str()),
            Some("EntityNotExist.Role")
        );
    }
}

fn reads_of(shared: &Shared, action: &str) -> usize {
    shared
        .lock()
        .expect("lock")
        .calls
        .iter()
        .filter(|a| *a == action)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_back_reads_again_until_ram_shows_the_attachments() {
    let shared: Shared = Arc::new(Mutex::new(Lagging {
        read_lag: 2,
        ..Lagging::default()
    }));
    let server = serve(shared.clone()).await;
    let report = engine_with(&server.url, 5, true)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "lagging-read")
        .await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert!(report.verification.complete);
    assert!(
        report
            .verification
            .policies
            .iter()
            .all(|p| p.attached && p.evidence == Some(Evidence::Read)),
        "{}",
        report.to_text()
    );
    // The observe read, two reads that do not show the attachments yet, one that does.
    assert_eq!(reads_of(&shared, "ListPoliciesForRole"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_the_read_back_never_shows_leaves_the_run_partial_not_granted() {
    let shared: Shared = Arc::new(Mutex::new(Lagging {
        read_lag: 100,
        ..Lagging::default()
    }));
    let server = serve(shared.clone()).await;
    let report = engine_with(&server.url, 3, true)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "never-shown")
        .await;
    assert_eq!(report.status, Status::Partial, "{}", report.to_text());
    let v = &report.verification;
    assert!(!v.complete);
    // The writes were acknowledged, the read does not show them: not verified, not "missing".
    assert!(v.policies.iter().all(|p| !p.attached && p.evidence.is_none()), "{v:?}");
    // What the read does show is verified by it.
    assert_eq!(
        v.trust.as_ref().map(|t| (t.trusted, t.evidence)),
        Some((true, Some(Evidence::Read)))
    );
    let document = v.policies.iter().find_map(|p| p.document.clone());
    assert_eq!(
        document.map(|d| (d.current, d.evidence)),
        Some((true, Some(Evidence::Read)))
    );
    assert!(report.to_text().contains("not verified"), "{}", report.to_text());
    // Bounded: the observe read and three read-backs (the settle attempts), no more.
    assert_eq!(reads_of(&shared, "ListPoliciesForRole"), 4);
    // Every step itself succeeded: only the verification is missing.
    assert!(report.steps.iter().all(|s| s.outcome != Outcome::Failed));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_read_back_a_lagging_read_is_never_made() {
    let shared: Shared = Arc::new(Mutex::new(Lagging {
        read_lag: 100,
        ..Lagging::default()
    }));
    let server = serve(shared.clone()).await;
    let report = engine_for(&server.url, 3)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "default")
        .await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert!(
        report
            .verification
            .policies
            .iter()
            .all(|p| p.attached && p.evidence == Some(Evidence::Write))
    );
    assert_eq!(reads_of(&shared, "ListPoliciesForRole"), 1, "only the observe read");
}
