//! Loopback test servers: an Alibaba-like API endpoint that records every request and verifies its
//! signature with `acs::sign::*::verify`, plus raw TCP misbehavers. Every server stops when its
//! guard is dropped, including when the test panics.

#![allow(dead_code)] // each test binary uses a different part of the harness
#![allow(clippy::expect_used)] // a harness that cannot bind or lock must fail the test loudly

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs::Client;
use acs::client::{ClientConfig, Clock, NonceSource, RetryPolicy};
use acs::credentials::NoCredentials;
use acs::sign::{acs3, rpc_v1};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// Nothing listens here: a provider that should not call out fails loudly if it does.
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// A client without credentials of its own for the single endpoint `url`, retrying twice with
/// millisecond backoff so failure tests stay fast.
pub fn client(url: &str) -> Client {
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(10),
        },
        ..ClientConfig::single(url).expect("url")
    };
    Client::new(config, Arc::new(NoCredentials)).expect("client")
}

/// Writes `json` as the CLI profile file `~/.aliyun/config.json` under `home`.
pub fn write_cli_config(home: &Path, json: &serde_json::Value) {
    let dir = home.join(".aliyun");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("config.json"), json.to_string()).expect("write config");
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Still percent-encoded, as on the wire.
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `Ok("v1")`, `Ok("v3")`, or why the signature was refused (`"unsigned"` when there is none).
    pub verified: Result<&'static str, String>,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The API action, from the query (V1) or the header (V3).
    pub fn action(&self) -> String {
        self.param("Action")
            .or_else(|| self.header("x-acs-action"))
            .unwrap_or_default()
            .to_owned()
    }

    pub fn param_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.query.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        names
    }

    pub fn nonce(&self) -> Option<&str> {
        self.param("SignatureNonce")
            .or_else(|| self.header("x-acs-signature-nonce"))
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::raw(status, "application/json;charset=utf-8", body.to_string())
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// An Alibaba error body.
    pub fn error(status: u16, code: &str, request_id: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({"RequestId": request_id, "HostId": "test.aliyuncs.com", "Code": code,
                               "Message": format!("{code} (test)"),
                               "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}")}),
        )
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

pub type Responder = Arc<dyn Fn(&Recorded, usize) -> Reply + Send + Sync>;

struct ServerState {
    secrets: HashMap<String, String>,
    requests: Mutex<Vec<Recorded>>,
    responder: Responder,
}

/// The API test server. Dropping it stops it.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Serves on 127.0.0.1:0; `secrets` maps AccessKeyIds to their secrets for verification.
    pub async fn start(
        secrets: &[(&str, &str)],
        responder: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let state = Arc::new(ServerState {
            secrets: secrets
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            requests: Mutex::new(Vec::new()),
            responder: Arc::new(responder),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let app = axum::Router::new().fallback(handle).with_state(Arc::clone(&state));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            addr,
            state,
            shutdown: Some(tx),
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.state.requests.lock().expect("lock").len()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("lock").clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("at least one request")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

async fn handle(
    axum::extract::State(state): axum::extract::State<Arc<ServerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let raw_query = uri.query().unwrap_or_default().to_owned();
    let query: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes()).into_owned().collect();
    let header_pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut recorded = Recorded {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        raw_query,
        query,
        headers: header_pairs,
        body: body.to_vec(),
        verified: Err("unsigned".to_owned()),
    };
    recorded.verified = verify(&state.secrets, &recorded);
    let index = {
        let mut requests = state.requests.lock().expect("lock");
        requests.push(recorded.clone());
        requests.len() - 1
    };
    let reply = (state.responder)(&recorded, index);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut out = HeaderMap::new();
    for (k, v) in &reply.headers {
        out.append(
            axum::http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            axum::http::HeaderValue::from_str(v).expect("header value"),
        );
    }
    (StatusCode::from_u16(reply.status).expect("status"), out, reply.body)
}

fn verify(secrets: &HashMap<String, String>, r: &Recorded) -> Result<&'static str, String> {
    if let Some(ak) = r.param("AccessKeyId").filter(|_| r.param("Signature").is_some()) {
        let secret = secrets.get(ak).ok_or_else(|| format!("unknown AccessKeyId {ak}"))?;
        let params: Vec<(&str, &str)> = r.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        rpc_v1::verify(&r.method, params.iter().copied(), secret).map_err(|e| format!("{e:?}"))?;
        return Ok("v1");
    }
    if let Some(value) = r.header("authorization") {
        let auth = acs3::Authorization::parse(value).map_err(|e| format!("{e:?}"))?;
        let secret = secrets
            .get(&auth.credential)
            .ok_or_else(|| format!("unknown AccessKeyId {}", auth.credential))?;
        let query: Vec<(&str, &str)> = r.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let headers: Vec<(&str, &str)> = r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        acs3::verify(
            &auth,
            &acs3::IncomingRequest {
                method: &r.method,
                path: &r.path,
                query: &query,
                headers: &headers,
                body: &r.body,
            },
            secret,
        )
        .map_err(|e| format!("{e:?}"))?;
        return Ok("v3");
    }
    Err("unsigned".to_owned())
}

/// A TCP server that accepts and immediately closes every connection; counts connections.
pub struct ClosingServer {
    pub addr: SocketAddr,
    pub accepted: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl ClosingServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(Mutex::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                *counter.lock().expect("lock") += 1;
                drop(stream);
            }
        });
        Self { addr, accepted, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        *self.accepted.lock().expect("lock")
    }
}

impl Drop for ClosingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TCP server that accepts, reads, and never answers (holds every connection open).
pub struct SilentServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        Self { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TCP server that answers every request with these raw bytes, then closes.
pub struct RawServer {
    pub addr: SocketAddr,
    pub accepted: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    pub async fn start(response: &'static [u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(Mutex::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                *counter.lock().expect("lock") += 1;
                let mut buf = vec![0u8; 64 * 1024];
                let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
                let _ = stream.write_all(response).await;
                let _ = stream.shutdown().await;
            }
        });
        Self { addr, accepted, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        *self.accepted.lock().expect("lock")
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A clock tests can set and move.
#[derive(Debug)]
pub struct ManualClock(Mutex<jiff::Timestamp>);

impl ManualClock {
    pub fn at(rfc3339: &str) -> Arc<Self> {
        Arc::new(Self(Mutex::new(rfc3339.parse().expect("timestamp"))))
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut now = self.0.lock().expect("lock");
        *now = now.checked_add(by).expect("in range");
    }

    pub fn now_plus(&self, by: jiff::SignedDuration) -> String {
        let now = *self.0.lock().expect("lock");
        now.checked_add(by)
            .expect("in range")
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> jiff::Timestamp {
        *self.0.lock().expect("lock")
    }
}

/// Nonces from a fixed list, then `nonce-<n>`.
#[derive(Debug, Default)]
pub struct ScriptedNonces {
    fixed: Vec<String>,
    next: Mutex<usize>,
}

impl ScriptedNonces {
    pub fn new(fixed: &[&str]) -> Arc<Self> {
        Arc::new(Self {
            fixed: fixed.iter().map(|s| (*s).to_owned()).collect(),
            next: Mutex::new(0),
        })
    }
}

impl NonceSource for ScriptedNonces {
    fn nonce(&self) -> String {
        let mut next = self.next.lock().expect("lock");
        let n = *next;
        *next += 1;
        self.fixed.get(n).cloned().unwrap_or_else(|| format!("nonce-{n}"))
    }
}

/// A canned `AssumeRole` response expiring at `expiration`.
pub fn assume_role_reply(access_key_id: &str, secret: &str, token: &str, expiration: &str) -> Reply {
    Reply::json(
        200,
        serde_json::json!({
            "RequestId": "ASSUME-1",
            "AssumedRoleUser": {"Arn": "acs:ram::1234567890123456:role/dlcauth-granter/dlcauth",
                                "AssumedRoleId": "300000000000000001:dlcauth"},
            "Credentials": {"AccessKeyId": access_key_id, "AccessKeySecret": secret,
                            "SecurityToken": token, "Expiration": expiration}
        }),
    )
}

/// A fake instance metadata service and what it counted.
pub struct MetadataServer {
    pub server: TestServer,
    /// `PUT /latest/api/token` requests.
    pub token_requests: Arc<AtomicUsize>,
    /// Fetches of the `EcsRole` credentials document.
    pub credential_fetches: Arc<AtomicUsize>,
}

/// A metadata service with one role, `EcsRole`. With `v2`, `PUT /latest/api/token` answers
/// `imds-token` and every other path requires that token; without, the token request is a 404
/// and nothing requires a token (IMDSv1).
pub async fn metadata_server(v2: bool) -> MetadataServer {
    let token_requests = Arc::new(AtomicUsize::new(0));
    let credential_fetches = Arc::new(AtomicUsize::new(0));
    let (tokens, fetches) = (Arc::clone(&token_requests), Arc::clone(&credential_fetches));
    let server = TestServer::start(&[], move |r, _| {
        let token_ok = r.header("x-aliyun-ecs-metadata-token") == Some("imds-token");
        match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/latest/api/token") => {
                tokens.fetch_add(1, Ordering::SeqCst);
                assert_eq!(r.header("x-aliyun-ecs-metadata-token-ttl-seconds"), Some("21600"));
                if v2 { Reply::raw(200, "text/plain", "imds-token") } else { Reply::raw(404, "text/plain", "") }
            }
            (_, _) if v2 && !token_ok => Reply::raw(401, "text/plain", "token required"),
            ("GET", "/latest/meta-data/ram/security-credentials/") => Reply::raw(200, "text/plain", "EcsRole\n"),
            ("GET", "/latest/meta-data/ram/security-credentials/EcsRole") => {
                fetches.fetch_add(1, Ordering::SeqCst);
                Reply::json(
                    200,
                    serde_json::json!({"AccessKeyId": "STS.ecs", "AccessKeySecret": "ecs-secret", "SecurityToken": "ecs-token",
                                       "Expiration": "2099-01-01T00:00:00Z", "LastUpdated": "2024-01-01T00:00:00Z", "Code": "Success"}),
                )
            }
            _ => Reply::raw(404, "text/plain", "not found"),
        }
    })
    .await;
    MetadataServer {
        server,
        token_requests,
        credential_fetches,
    }
}
