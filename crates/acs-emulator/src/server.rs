//! The HTTP side: one endpoint for every product, request decoding, dispatch, authentication,
//! fault injection, the calls log and persistence.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::api::{self, Call, Params, RoaPath};
use crate::auth::{self, Incoming, NonceCache, Style};
use crate::catalog::{Api, Product};
use crate::error::ApiError;
use crate::state::{Identity, IdentityKind, State};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The calls log keeps this many most recent entries.
pub const CALLS_LOG_CAPACITY: usize = 100_000;
/// The replay cache remembers this many nonces at most.
pub const NONCE_CAPACITY: usize = 1_000_000;

/// Runtime behaviour of a running emulator.
#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    pub latency: Duration,
    pub fault_rate: f64,
    pub lost_reply_rate: f64,
    pub state_file: Option<PathBuf>,
}

/// One entry of `GET /__emulator/calls`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    /// Arrival order of the call (1, 2, …).
    pub seq: u64,
    /// The API action, when the request got far enough to name one.
    pub action: Option<String>,
    /// The product code (`Ram`, `Sts`, …).
    pub product: Option<String>,
    /// The caller's AccessKeyId, once known.
    pub caller: Option<String>,
    /// The authenticated identity's ARN.
    pub principal: Option<String>,
    /// The RequestId answered.
    pub request_id: String,
    /// Value of the global event counter when the call arrived.
    pub start_seq: u64,
    /// Value of the global event counter when the call was answered; a call with
    /// `startSeq > other.endSeq` strictly followed `other`.
    pub end_seq: u64,
    /// HTTP status answered.
    pub status: u16,
    /// Error code answered (`null` on success).
    pub code: Option<String>,
    /// Whether the action changes the account.
    pub write: bool,
    /// The change was applied but its reply replaced by an InternalError (`--lost-reply-rate`).
    pub lost_reply: bool,
}

struct Guarded {
    state: State,
    /// Bumped on every mutation: a call's change is durable once a snapshot of at least its
    /// generation is on disk.
    generation: u64,
}

pub(crate) struct App {
    guarded: Mutex<Guarded>,
    nonces: Mutex<NonceCache>,
    calls: Mutex<VecDeque<CallRecord>>,
    events: AtomicU64,
    arrivals: AtomicU64,
    behaviour: Behaviour,
    /// The generation last written to the state file. Held while writing, so writes never
    /// interleave; a writer snapshots the *latest* state, so callers queued behind it usually
    /// find their change already written and return without writing again.
    persisted: tokio::sync::Mutex<u64>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("behaviour", &self.behaviour)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code panics while holding these locks; if one ever did, the data is still consistent
    // per call, so keep serving rather than poisoning every later request.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new()
        .route("/__emulator/state", get(state_route))
        .route("/__emulator/calls", get(calls_route))
        .route("/__emulator/health", get(health_route))
        .fallback(api_route)
        .with_state(app)
}

async fn state_route(AxumState(app): AxumState<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &app.state_json(), None)
}

async fn calls_route(AxumState(app): AxumState<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &app.calls_json(), None)
}

async fn health_route() -> &'static str {
    "ok"
}

async fn api_route(AxumState(app): AxumState<Arc<App>>, request: Request) -> Response {
    app.handle(request).await
}

fn json_response(status: StatusCode, body: &Value, request_id: Option<&str>) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        headers.insert("x-acs-request-id", id);
    }
    response
}

/// What the calls log and the log line learn while a request is processed.
#[derive(Default)]
struct Trace {
    api: Option<Api>,
    caller: Option<String>,
    principal: Option<String>,
    lost_reply: bool,
}

/// A routed request: the API and, for ROA, its path parameters.
#[derive(Debug)]
struct Route {
    api: Api,
    path: RoaPath,
}

impl App {
    pub(crate) fn new(state: State, behaviour: Behaviour) -> Self {
        Self {
            guarded: Mutex::new(Guarded { state, generation: 1 }),
            nonces: Mutex::new(NonceCache::new(NONCE_CAPACITY, auth::MAX_SKEW_SECONDS)),
            calls: Mutex::new(VecDeque::new()),
            events: AtomicU64::new(0),
            arrivals: AtomicU64::new(0),
            behaviour,
            persisted: tokio::sync::Mutex::new(0),
        }
    }

    pub(crate) fn state_json(&self) -> Value {
        lock(&self.guarded).state.dump()
    }

    pub(crate) fn calls(&self) -> Vec<CallRecord> {
        let mut calls: Vec<CallRecord> = lock(&self.calls).iter().cloned().collect();
        calls.sort_by_key(|c| c.seq);
        calls
    }

    fn calls_json(&self) -> Value {
        serde_json::to_value(self.calls()).unwrap_or(Value::Null)
    }

    /// Writes the state as it is now to the state file (at start).
    pub(crate) async fn persist_now(&self) -> Result<(), std::io::Error> {
        let generation = lock(&self.guarded).generation;
        self.persist_through(generation).await
    }

    /// Returns once a snapshot of at least `generation` is on disk. The state lock is held only
    /// to clone the state; serialising and the fsync'd write happen outside it.
    async fn persist_through(&self, generation: u64) -> Result<(), std::io::Error> {
        let Some(path) = self.behaviour.state_file.clone() else {
            return Ok(());
        };
        let mut written = self.persisted.lock().await;
        if *written >= generation {
            return Ok(());
        }
        let (latest, snapshot) = {
            let g = lock(&self.guarded);
            (g.generation, g.state.clone())
        };
        tokio::task::spawn_blocking(move || {
            let bytes = serde_json::to_vec_pretty(&snapshot).map_err(std::io::Error::other)?;
            crate::persist::write_atomically(&path, &bytes)
        })
        .await
        .map_err(std::io::Error::other)??;
        *written = latest;
        Ok(())
    }

    async fn handle(self: &Arc<Self>, request: Request) -> Response {
        let started = Instant::now();
        let seq = self.arrivals.fetch_add(1, Ordering::SeqCst) + 1;
        let start_seq = self.events.fetch_add(1, Ordering::SeqCst) + 1;
        // Random like the gateway's, from a fast generator: a RequestId is an identifier, not a secret.
        let request_id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
            .into_uuid()
            .hyphenated()
            .encode_upper(&mut uuid::Uuid::encode_buffer())
            .to_owned();
        let (parts, body) = request.into_parts();
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut trace = Trace::default();
        let result = self.process(&parts, body, &mut trace).await;
        let (status, code, body) = match result {
            Ok(mut fields) => {
                fields.insert("RequestId".into(), Value::String(request_id.clone()));
                (200, None, Value::Object(fields))
            }
            Err(e) => {
                let product = trace.api.map_or("Pop", |a| a.product().code());
                let body = json!({
                    "RequestId": request_id,
                    "HostId": host,
                    "Code": e.code,
                    "Message": e.message,
                    "Recommend": format!(
                        "https://api.aliyun.com/troubleshoot?q={}&product={product}&requestId={request_id}",
                        e.code
                    ),
                });
                (e.status, Some(e.code.into_owned()), body)
            }
        };
        let end_seq = self.events.fetch_add(1, Ordering::SeqCst) + 1;
        let latency = started.elapsed();
        tracing::info!(
            request_id = %request_id,
            action = trace.api.map_or("-", Api::name),
            caller = trace.caller.as_deref().unwrap_or("-"),
            status,
            code = code.as_deref().unwrap_or("-"),
            latency_ms = latency.as_secs_f64() * 1000.0,
            "call"
        );
        {
            let mut calls = lock(&self.calls);
            if calls.len() >= CALLS_LOG_CAPACITY {
                calls.pop_front();
            }
            calls.push_back(CallRecord {
                seq,
                action: trace.api.map(|a| a.name().to_owned()),
                product: trace.api.map(|a| a.product().code().to_owned()),
                caller: trace.caller,
                principal: trace.principal,
                request_id: request_id.clone(),
                start_seq,
                end_seq,
                status,
                code,
                write: trace.api.is_some_and(Api::is_write),
                lost_reply: trace.lost_reply,
            });
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, &body, Some(&request_id))
    }

    async fn process(&self, parts: &Parts, body: Body, trace: &mut Trace) -> Result<Map<String, Value>, ApiError> {
        let body = read_body(body, parts).await?;
        let query = decode_form(parts.uri.query().unwrap_or_default().as_bytes())?;
        let headers: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        let method = parts.method.as_str();
        let path = parts.uri.path();
        let rpc = path == "/";
        let style = match Style::detect(header("authorization")) {
            // The legacy `acs <AK>:<sig>` scheme exists for ROA APIs only; on an RPC API the
            // gateway looks for the RPC signature parameters and finds none.
            Style::RoaV1 if rpc => Style::RpcV1,
            style => style,
        };

        let is_form = header("content-type").is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        let route = if rpc {
            if method != "GET" && method != "POST" {
                return Err(ApiError::new(
                    400,
                    "UnsupportedHTTPMethod",
                    "Specified http method is not supported.",
                ));
            }
            None
        } else {
            Some(roa_route(method, path)?)
        };
        let mut pairs = query.clone();
        if route.is_none() && is_form && !body.is_empty() {
            pairs.extend(decode_form(&body)?);
        }
        let params = Params::new(pairs);

        let route = match route {
            Some(route) => route,
            None => {
                // Each style names the API where its signature covers it: RPC V1 signs the
                // parameters (its x-acs-* headers are unsigned, so trusting them would let anyone
                // re-point a captured request at another API), ACS3 requires the headers.
                let (action, version) = match style {
                    Style::RpcV1 | Style::RoaV1 => (params.get("Action"), params.get("Version")),
                    Style::Acs3 => (header("x-acs-action"), header("x-acs-version")),
                };
                Route {
                    api: resolve_rpc(action, version)?,
                    path: RoaPath::default(),
                }
            }
        };
        trace.api = Some(route.api);
        if route.api.product() == Product::AiWorkspace {
            if style == Style::RpcV1 {
                return Err(ApiError::new(
                    400,
                    "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards. (missing Authorization)",
                ));
            }
            if style == Style::Acs3 && (header("x-acs-action").is_none() || header("x-acs-version").is_none()) {
                return Err(action_or_version_invalid());
            }
            if let Some(v) = header("x-acs-version")
                && v != Product::AiWorkspace.version()
            {
                return Err(invalid_version());
            }
        }

        self.inject_fault()?;
        if !self.behaviour.latency.is_zero() {
            tokio::time::sleep(self.behaviour.latency).await;
        }

        let incoming = Incoming {
            method,
            path,
            query: &query,
            params: &params,
            headers: &headers,
            body: &body,
        };
        let identity = self.authenticate(style, &incoming, trace)?;

        let call = Call {
            api: route.api,
            params: &params,
            path: &route.path,
            body: &body,
            identity: &identity,
            now: jiff::Timestamp::now(),
        };
        let (outcome, generation) = {
            let mut g = lock(&self.guarded);
            let outcome = api::execute(&mut g.state, &call)?;
            if outcome.mutated {
                g.generation += 1;
            }
            (outcome, g.generation)
        };
        // Answer a change only once it is durable, so a restart never forgets an acknowledged one.
        if outcome.mutated
            && let Err(e) = self.persist_through(generation).await
        {
            tracing::error!(error = %e, "writing the state file failed");
            return Err(ApiError::internal());
        }
        if route.api.is_write() && roll(self.behaviour.lost_reply_rate) {
            trace.lost_reply = true;
            return Err(ApiError::internal());
        }
        Ok(outcome.body)
    }

    fn inject_fault(&self) -> Result<(), ApiError> {
        if !roll(self.behaviour.fault_rate) {
            return Ok(());
        }
        Err(match fastrand::u8(0..3) {
            0 => ApiError::new(400, "Throttling.User", "Request was denied due to user flow control."),
            1 => ApiError::new(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            ),
            _ => ApiError::internal(),
        })
    }

    fn authenticate(&self, style: Style, incoming: &Incoming<'_>, trace: &mut Trace) -> Result<Identity, ApiError> {
        let claim = auth::claim(style, incoming)?;
        trace.caller = Some(claim.access_key_id.clone());
        let now = jiff::Timestamp::now().as_second();
        let (secret, identity, principal) = {
            let g = lock(&self.guarded);
            let state = &g.state;
            let (secret, kind, session_policy) = if let Some(key) = state.access_keys.get(&claim.access_key_id) {
                if let Some(expected) = &key.security_token {
                    check_token(expected.expose(), claim.security_token.as_deref())?;
                }
                (
                    key.access_key_secret.clone(),
                    api::key_identity(key.kind, &key.name),
                    None,
                )
            } else if let Some(session) = state.sessions.get(&claim.access_key_id) {
                if session.expiration <= now {
                    return Err(ApiError::new(
                        400,
                        "InvalidSecurityToken.Expired",
                        "Specified SecurityToken is expired.",
                    ));
                }
                check_token(session.security_token.expose(), claim.security_token.as_deref())?;
                (
                    session.access_key_secret.clone(),
                    IdentityKind::Role {
                        name: session.role_name.clone(),
                        session_name: session.session_name.clone(),
                    },
                    session.parsed_policy.clone(),
                )
            } else {
                return Err(ApiError::new(
                    404,
                    "InvalidAccessKeyId.NotFound",
                    "Specified access key is not found.",
                ));
            };
            let principal = state.caller_arn(&kind);
            (secret, Identity { kind, session_policy }, principal)
        };
        auth::check_freshness(claim.timestamp, now)?;
        auth::verify(style, incoming, secret.expose())?;
        if let Some(nonce) = &claim.nonce
            && !lock(&self.nonces).check_and_insert(&claim.access_key_id, nonce, now)
        {
            return Err(auth::nonce_used());
        }
        trace.principal = Some(principal);
        Ok(identity)
    }
}

fn check_token(expected: &str, provided: Option<&str>) -> Result<(), ApiError> {
    match provided {
        None | Some("") => Err(ApiError::new(
            400,
            "MissingSecurityToken",
            "SecurityToken is mandatory for this action.",
        )),
        Some(token) if acs::Secret::new(token) == acs::Secret::new(expected) => Ok(()),
        Some(_) => Err(ApiError::new(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )),
    }
}

fn roll(rate: f64) -> bool {
    rate > 0.0 && fastrand::f64() < rate
}

fn invalid_version() -> ApiError {
    ApiError::new(400, "InvalidVersion", "Specified parameter Version is not valid.")
}

fn action_or_version_invalid() -> ApiError {
    ApiError::invalid_parameter("The specified parameter \"Action or Version\" is not valid.")
}

fn resolve_rpc(action: Option<&str>, version: Option<&str>) -> Result<Api, ApiError> {
    let (Some(action), Some(version)) = (action.filter(|a| !a.is_empty()), version.filter(|v| !v.is_empty())) else {
        return Err(action_or_version_invalid());
    };
    let api = Api::rpc(action).ok_or_else(ApiError::action_not_found)?;
    if api.product().version() != version {
        return Err(invalid_version());
    }
    Ok(api)
}

/// AIWorkspace ROA routes, matched on the raw path segments (each percent-decoded).
fn roa_route(method: &str, path: &str) -> Result<Route, ApiError> {
    let segments: Vec<String> = path
        .trim_end_matches('/')
        .split('/')
        .skip(1)
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (api, member_id, role_name) = match (method, segments.as_slice()) {
        ("GET", ["api", "v1", "workspaces", _]) => (Api::GetWorkspace, None, None),
        ("GET", ["api", "v1", "workspaces", _, "members"]) => (Api::ListMembers, None, None),
        ("POST", ["api", "v1", "workspaces", _, "members"]) => (Api::CreateMember, None, None),
        ("GET", ["api", "v1", "workspaces", _, "member"]) => (Api::GetMember, None, None),
        ("POST", ["api", "v1", "workspaces", _, "members", member, "roles", role]) => {
            (Api::AddMemberRole, Some((*member).to_owned()), Some((*role).to_owned()))
        }
        _ => return Err(ApiError::action_not_found()),
    };
    let workspace_id = segments.get(3).copied().unwrap_or_default();
    if workspace_id.is_empty() {
        return Err(ApiError::action_not_found());
    }
    Ok(Route {
        api,
        path: RoaPath {
            workspace_id: workspace_id.to_owned(),
            member_id,
            role_name,
        },
    })
}

async fn read_body(body: Body, parts: &Parts) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body exceeds the limit of {MAX_BODY_BYTES} bytes."),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(ApiError::invalid_parameter(format!(
            "The request body could not be read: {e}."
        ))),
    }
}

/// Decodes `application/x-www-form-urlencoded` data (`+` is a space), refusing what is not:
/// a `%` not followed by two hex digits, or bytes that do not decode to UTF-8.
pub(crate) fn decode_form(input: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let broken = || {
        ApiError::invalid_parameter("The request query or body is not valid application/x-www-form-urlencoded data.")
    };
    for piece in input.split(|b| *b == b'&') {
        let mut i = 0;
        while i < piece.len() {
            if piece[i] == b'%' {
                let valid = piece
                    .get(i + 1..i + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                if !valid {
                    return Err(broken());
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        let plus_free: Vec<u8> = piece.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
        if percent_encoding::percent_decode(&plus_free).decode_utf8().is_err() {
            return Err(broken());
        }
    }
    Ok(form_urlencoded::parse(input)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_turns_plus_into_space_and_refuses_broken_input() {
        let pairs = decode_form(b"a=b+c&d=%2B%20x&e=&f").expect("valid");
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "b c".into()),
                ("d".into(), "+ x".into()),
                ("e".into(), String::new()),
                ("f".into(), String::new()),
            ]
        );
        assert!(decode_form(b"a=%zz").is_err());
        assert!(decode_form(b"a=%4").is_err());
        assert!(decode_form(b"a=%FF%FE").is_err(), "not UTF-8");
        assert!(decode_form(b"").expect("empty").is_empty());
    }

    #[test]
    fn rpc_resolution_uses_the_real_codes() {
        assert_eq!(resolve_rpc(Some("GetRole"), Some("2015-05-01")), Ok(Api::GetRole));
        assert_eq!(
            resolve_rpc(Some("DeleteRole"), Some("2015-05-01")).expect_err("x").code,
            "InvalidAction.NotFound"
        );
        assert_eq!(
            resolve_rpc(Some("DeleteRole"), Some("2015-05-01"))
                .expect_err("x")
                .status,
            404
        );
        assert_eq!(
            resolve_rpc(Some("GetRole"), Some("2015-04-01")).expect_err("x").code,
            "InvalidVersion"
        );
        assert_eq!(
            resolve_rpc(None, Some("2015-05-01")).expect_err("x").code,
            "InvalidParameter"
        );
        assert_eq!(
            resolve_rpc(Some("GetRole"), None).expect_err("x").code,
            "InvalidParameter"
        );
    }

    #[test]
    fn roa_routes_match_method_and_path() {
        let r = roa_route("POST", "/api/v1/workspaces/81231/members/m1/roles/PAI.AlgoDeveloper").expect("route");
        assert_eq!(r.api, Api::AddMemberRole);
        assert_eq!(r.path.workspace_id, "81231");
        assert_eq!(r.path.member_id.as_deref(), Some("m1"));
        assert_eq!(r.path.role_name.as_deref(), Some("PAI.AlgoDeveloper"));
        assert_eq!(
            roa_route("GET", "/api/v1/workspaces/81231").expect("get").api,
            Api::GetWorkspace
        );
        assert_eq!(
            roa_route("GET", "/api/v1/workspaces/8%31")
                .expect("decoded")
                .path
                .workspace_id,
            "81"
        );
        assert_eq!(
            roa_route("DELETE", "/api/v1/workspaces/81231/members")
                .expect_err("x")
                .code,
            "InvalidAction.NotFound"
        );
        assert_eq!(
            roa_route("GET", "/favicon.ico").expect_err("x").code,
            "InvalidAction.NotFound"
        );
        assert_eq!(
            roa_route("GET", "/api/v1/workspaces//members").expect_err("x").code,
            "InvalidAction.NotFound"
        );
    }
}
