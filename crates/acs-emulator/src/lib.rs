//! `acs-emulator`: a wire-faithful local Alibaba Cloud — STS, RAM, ResourceManager, PAI
//! AIWorkspace and OSS/NAS service activation behind one HTTP endpoint — that the official SDKs
//! cannot tell from the real one for the calls dlcauth makes.
//!
//! * Requests of every style the official SDKs produce are accepted: ACS3-HMAC-SHA256 (V3) with
//!   parameters in the query, RPC HMAC-SHA1 (V1) with parameters in the query or a form body,
//!   GET or POST, and legacy ROA HMAC-SHA1 for AIWorkspace.
//! * Authentication, replay protection, RAM policy evaluation (including role trust policies)
//!   and the error codes, messages and statuses are the gateway's.
//! * The state lives behind one lock, so concurrent calls are linearizable; it can be persisted
//!   to a file after every change.
//!
//! ```no_run
//! # async fn demo() -> Result<(), acs_emulator::Error> {
//! let emulator = acs_emulator::start_on_loopback(acs_emulator::Options::default()).await?;
//! println!("{}", emulator.base_url()); // http://127.0.0.1:<port>
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod api;
mod auth;
pub mod catalog;
mod error;
mod persist;
pub mod policy;
mod seed;
mod server;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::{ApiError, Error};
pub use seed::{
    DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, DEMO_ACCOUNT_ID, DEMO_NOPERM_ACCESS_KEY_ID,
    DEMO_NOPERM_ACCESS_KEY_SECRET, DEMO_NOPERM_USER, DEMO_OPERATOR_POLICY, DEMO_OPERATOR_POLICY_NAME,
    DEMO_OPERATOR_USER, DEMO_RESOURCE_GROUP_ID, DEMO_ROLE_ARN, DEMO_ROLE_NAME, DEMO_USERS, DEMO_WORKSPACE_ID,
    PrincipalKind, Seed, SeedAccessKey, SeedMember, SeedPolicy, SeedPolicyRef, SeedPrincipal, SeedResourceGroup,
    SeedRole, SeedUser, SeedWorkspace,
};
pub use server::{CALLS_LOG_CAPACITY, CallRecord, MAX_BODY_BYTES, NONCE_CAPACITY};
pub use state::MAX_SESSIONS;

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct Options {
    /// The account to start with (ignored when `state_file` exists).
    pub seed: Seed,
    /// Added before every API call is processed.
    pub latency: Duration,
    /// Fraction (0–1) of API calls answered with `Throttling.User` (400), `ServiceUnavailable`
    /// (503) or `InternalError` (500) before anything is changed.
    pub fault_rate: f64,
    /// Fraction (0–1) of successful write calls whose change is applied but whose reply is
    /// replaced by a 500 `InternalError`, to prove callers are idempotent.
    pub lost_reply_rate: f64,
    /// Load the state from this file at start if it exists, and write it (atomically) after
    /// every change. The file holds the account's secrets.
    pub state_file: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: Seed::demo(),
            latency: Duration::ZERO,
            fault_rate: 0.0,
            lost_reply_rate: 0.0,
            state_file: None,
        }
    }
}

/// A running emulator. Dropping it stops the server; [`Emulator::shutdown`] also waits for it.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    app: Arc<server::App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Starts an emulator serving on `listener`.
///
/// # Errors
/// [`Error::InvalidSeed`] for an inconsistent seed, [`Error::LoadState`] for an unreadable state
/// file, [`Error::WriteState`] when the first state write fails, [`Error::Io`] when the listener
/// fails.
pub async fn start(listener: tokio::net::TcpListener, options: Options) -> Result<Emulator, Error> {
    let addr = listener.local_addr()?;
    let state = match &options.state_file {
        Some(path) if path.exists() => load_state(path)?,
        _ => state::State::from_seed(&options.seed, jiff::Timestamp::now())?,
    };
    let behaviour = server::Behaviour {
        latency: options.latency,
        fault_rate: options.fault_rate.clamp(0.0, 1.0),
        lost_reply_rate: options.lost_reply_rate.clamp(0.0, 1.0),
        state_file: options.state_file.clone(),
    };
    let app = Arc::new(server::App::new(state, behaviour));
    app.persist_now().await.map_err(|e| Error::WriteState {
        path: options.state_file.clone().unwrap_or_default(),
        message: e.to_string(),
    })?;
    let router = server::router(Arc::clone(&app));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "the emulator's server failed");
        }
    });
    Ok(Emulator {
        addr,
        app,
        stop: Some(stop),
        task: Some(task),
    })
}

/// [`start`] on `127.0.0.1:0` (an ephemeral loopback port).
///
/// # Errors
/// As [`start`], plus binding failures.
pub async fn start_on_loopback(options: Options) -> Result<Emulator, Error> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    start(listener, options).await
}

fn load_state(path: &std::path::Path) -> Result<state::State, Error> {
    let fail = |message: String| Error::LoadState {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let mut state: state::State = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    state.reindex().map_err(fail)?;
    Ok(state)
}

impl Emulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<ip>:<port>`, what `DLCAUTH_ENDPOINT` should be set to.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `GET /__emulator/state` document: roles, custom policies, users, resource-group
    /// attachments, workspaces and activated services (no secrets).
    pub fn state_json(&self) -> serde_json::Value {
        self.app.state_json()
    }

    /// The `GET /__emulator/calls` records, in arrival order.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.app.calls()
    }

    /// Stops accepting connections, lets in-flight calls finish (up to 5 s) and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
