//! RAM is eventually consistent: right after CreateRole/CreatePolicy, an attach may still get
//! `EntityNotExist.*`. The emulator is strongly consistent, so this plays RAM with a lag on
//! loopback: a server that answers attaches with `EntityNotExist.Role` a few times after the
//! role was created.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dlcauth::report::{Outcome, Status};
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
        "ListPolicyVersions" => error(StatusCode::NOT_FOUND, "EntityNotExist.Policy"),
        "CreateRole" => {
            s.role_exists = true;
            ok(
                json!({"Role": {"RoleId": "1", "RoleName": ROLE, "AssumeRolePolicyDocument": "{}",
                               "Arn": format!("acs:ram::{ACCOUNT}:role/aliyunpaidlcdefaultrole")}}),
            )
        }
        "CreatePolicy" => ok(json!({"Policy": {"PolicyName": "PaiDlcOAuthPolicy", "PolicyType": "Custom"}})),
        "AttachPolicyToRole" => {
            let policy = params.get("PolicyName").cloned().unwrap_or_default();
            let lag = s.lag;
            let refused = s.refused.entry(policy).or_default();
            if *refused < lag {
                *refused += 1;
                error(StatusCode::NOT_FOUND, "EntityNotExist.Role")
            } else {
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
    // The caller's own credentials: this server plays the target account directly.
    let client = client_with(url, "LTAI5tLagTest", "lag-secret", 1);
    let mut config = EngineConfig {
        settle: engine_config().settle,
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
