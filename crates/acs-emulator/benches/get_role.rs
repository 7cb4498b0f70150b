//! Throughput of the emulator on its hottest path: signed (ACS3, STS credentials) `GetRole` calls
//! from N concurrent tasks over keep-alive HTTP/1 connections, for a fixed duration.
//!
//! The emulator runs as a child process (the release `acs-emulator` binary, logging at `warn` so
//! the measurement is the server, not a terminal), and its RSS is read from `/proc/<pid>/status`.
//! Two baselines are measured in the same run with the same client: the emulator's trivial
//! unsigned `GET /__emulator/health`, and a bare hyper "hello" server — so the numbers can be
//! quoted as ratios on any machine.
//!
//! `cargo bench -p acs-emulator --bench get_role`; `BENCH_CONCURRENCY` (default 64, at most
//! 1024), `BENCH_SECONDS` per phase (default 5, at most 40) and `BENCH_MAX_REQUESTS` per phase
//! (default 1 000 000) tune it. Loopback only. Bounded: three phases, each stops at its time or
//! its request budget, whichever comes first, so a run takes at most ~2 minutes and a bounded
//! amount of memory on any machine.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use acs::sign::{acs3, percent_encode};
use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Request;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v} is not a number")),
        Err(_) => Ok(default),
    }
}

fn rss_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok((field("VmRSS:"), field("VmHWM:")))
}

#[derive(Clone)]
struct Sts {
    id: String,
    secret: String,
    token: String,
}

/// What one request of a phase looks like.
#[derive(Clone)]
enum Kind {
    SignedGetRole(Arc<Sts>),
    Unsigned(&'static str),
}

fn now_iso() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn signed_request(
    host: &str,
    key: &Sts,
    action: &str,
    version: &str,
    query: &[(&str, &str)],
    nonce: &str,
) -> anyhow::Result<Request<Empty<Bytes>>> {
    let date = now_iso();
    let headers = [
        ("host", host),
        ("x-acs-action", action),
        ("x-acs-version", version),
        ("x-acs-date", date.as_str()),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-content-sha256", acs3::EMPTY_PAYLOAD_SHA256),
        ("x-acs-security-token", key.token.as_str()),
    ];
    let signable = if key.token.is_empty() {
        &headers[..6]
    } else {
        &headers[..]
    };
    let signed = acs3::sign(
        &acs3::SignableRequest {
            method: "POST",
            path: "/",
            query,
            headers: signable,
            hashed_payload: acs3::EMPTY_PAYLOAD_SHA256,
        },
        &key.secret,
    );
    let qs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    let mut builder = Request::post(format!("/?{}", qs.join("&")));
    for (k, v) in signable {
        builder = builder.header(*k, *v);
    }
    Ok(builder
        .header("authorization", signed.authorization(&key.id))
        .body(Empty::new())?)
}

struct PhaseResult {
    name: String,
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl PhaseResult {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// When a phase ends: at `deadline`, or once `budget` requests have been claimed.
#[derive(Clone)]
struct Limits {
    deadline: Instant,
    budget: Arc<AtomicU64>,
}

impl Limits {
    fn new(seconds: u64, requests: u64) -> Self {
        Self {
            deadline: Instant::now() + Duration::from_secs(seconds),
            budget: Arc::new(AtomicU64::new(requests)),
        }
    }

    /// Claims one request, unless the phase is over.
    fn claim(&self) -> bool {
        Instant::now() < self.deadline
            && self
                .budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(1))
                .is_ok()
    }
}

async fn worker(
    addr: SocketAddr,
    kind: Kind,
    worker: usize,
    limits: Limits,
    errors: Arc<AtomicU64>,
) -> anyhow::Result<Vec<u32>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(io).await?;
    tokio::spawn(connection);
    let host = addr.to_string();
    let mut latencies = Vec::new();
    let mut n: u64 = 0;
    while limits.claim() {
        n += 1;
        let request = match &kind {
            Kind::SignedGetRole(key) => signed_request(
                &host,
                key,
                "GetRole",
                "2015-05-01",
                &[("RoleName", acs_emulator::DEMO_ROLE_NAME)],
                &format!("bench-{worker}-{n}"),
            )?,
            Kind::Unsigned(path) => Request::get(*path).header("host", host.as_str()).body(Empty::new())?,
        };
        let started = Instant::now();
        // A stuck server fails the run instead of hanging it.
        let status = tokio::time::timeout(REQUEST_TIMEOUT, async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            response.into_body().collect().await?;
            anyhow::Ok(status)
        })
        .await
        .context("a request took longer than 10 s")??;
        latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        if !status.is_success() {
            errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(latencies)
}

/// How long and how many requests each phase may take.
#[derive(Clone, Copy)]
struct Bounds {
    concurrency: usize,
    seconds: u64,
    max_requests: u64,
}

async fn phase(name: &str, addr: SocketAddr, kind: Kind, bounds: Bounds) -> anyhow::Result<PhaseResult> {
    // A short warm-up on the same code paths, not measured.
    let warm = Limits {
        deadline: Instant::now() + Duration::from_millis(300),
        budget: Arc::new(AtomicU64::new(10_000)),
    };
    let _ = worker(addr, kind.clone(), usize::MAX, warm, Arc::new(AtomicU64::new(0))).await?;

    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let limits = Limits::new(bounds.seconds, bounds.max_requests);
    let tasks: Vec<_> = (0..bounds.concurrency)
        .map(|i| tokio::spawn(worker(addr, kind.clone(), i, limits.clone(), Arc::clone(&errors))))
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(PhaseResult {
        name: name.to_owned(),
        requests: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        latencies_us: latencies,
    })
}

async fn assume_role(addr: SocketAddr) -> anyhow::Result<Sts> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let operator = Sts {
        id: acs_emulator::DEMO_ACCESS_KEY_ID.into(),
        secret: acs_emulator::DEMO_ACCESS_KEY_SECRET.into(),
        token: String::new(),
    };
    let request = signed_request(
        &addr.to_string(),
        &operator,
        "AssumeRole",
        "2015-04-01",
        &[
            ("RoleArn", "acs:ram::1234567890123456:role/bench"),
            ("RoleSessionName", "bench"),
        ],
        "bench-assume-role",
    )?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body)?;
    if !status.is_success() {
        bail!("AssumeRole failed: {json}");
    }
    let field = |name: &str| {
        json["Credentials"][name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("AssumeRole answer lacks {name}"))
    };
    Ok(Sts {
        id: field("AccessKeyId")?,
        secret: field("AccessKeySecret")?,
        token: field("SecurityToken")?,
    })
}

/// A bare hyper server answering "hello" on its own 2-thread runtime, as the baseline of what
/// the client and loopback alone can do.
fn spawn_hello() -> anyhow::Result<(
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let thread = std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(|_req| async {
                                Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"hello"))))
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                }
            }
        });
    });
    Ok((addr, stop, thread))
}

fn main() -> anyhow::Result<()> {
    let concurrency = usize::try_from(env_number("BENCH_CONCURRENCY", 64)?.clamp(1, 1024))?;
    let seconds = env_number("BENCH_SECONDS", 5)?.clamp(1, 40);
    let max_requests = env_number("BENCH_MAX_REQUESTS", 1_000_000)?.clamp(1_000, 5_000_000);
    let bounds = Bounds {
        concurrency,
        seconds,
        max_requests,
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    // The demo account plus a role `bench` that the operator may assume, allowed ram:Get*/List*:
    // the benchmark must not depend on what policies/operator-policy.json grants.
    let mut seed = acs_emulator::Seed::demo();
    seed.roles.push(acs_emulator::SeedRole {
        name: "bench".into(),
        trust_policy: serde_json::json!({
            "Version": "1",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Principal": {"RAM": format!("acs:ram::{}:user/{}",
                               acs_emulator::DEMO_ACCOUNT_ID, acs_emulator::DEMO_OPERATOR_USER)}}]
        }),
        policies: vec![acs_emulator::SeedPolicyRef {
            kind: "System".into(),
            name: "AliyunRAMReadOnlyAccess".into(),
        }],
        description: None,
        max_session_duration: None,
    });
    let dir = tempfile::tempdir()?;
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, serde_json::to_vec(&seed)?)?;
    let seed_arg = seed_path.to_str().ok_or_else(|| anyhow!("non-UTF-8 temp path"))?;

    let mut child = Command::new(env!("CARGO_BIN_EXE_acs-emulator"))
        .args(["--listen", "127.0.0.1:0", "--seed", seed_arg])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting acs-emulator")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let guard = ChildGuard(child);
    let pid = guard.0.id();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("acs-emulator listening on http://")
        .ok_or_else(|| anyhow!("unexpected first line {line:?}"))?
        .parse()?;
    let (rss_idle, _) = rss_kib(pid)?;

    // The client gets one thread: on a 2-core machine the server keeps the other.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (hello_addr, stop_hello, hello_thread) = spawn_hello()?;
    let results = runtime.block_on(async {
        let sts = Arc::new(assume_role(addr).await?);
        let signed = phase(
            "emulator: signed GetRole (ACS3, STS creds)",
            addr,
            Kind::SignedGetRole(sts),
            bounds,
        )
        .await?;
        let rss = rss_kib(pid)?;
        let health = phase(
            "baseline: emulator GET /__emulator/health",
            addr,
            Kind::Unsigned("/__emulator/health"),
            bounds,
        )
        .await?;
        let hello = phase(
            "baseline: bare hyper hello server",
            hello_addr,
            Kind::Unsigned("/"),
            bounds,
        )
        .await?;
        anyhow::Ok((signed, rss, health, hello))
    });
    let _ = stop_hello.send(());
    let _ = hello_thread.join();
    let (signed, (rss_after, rss_peak), health, hello) = results?;

    println!(
        "acs-emulator GetRole benchmark — {cores} cores, {concurrency} keep-alive HTTP/1 connections, {seconds} s or {max_requests} requests per phase, release build"
    );
    println!(
        "{:<48} {:>11} {:>9} {:>9} {:>8}",
        "phase", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for r in [&signed, &health, &hello] {
        println!(
            "{:<48} {:>11.0} {:>9.3} {:>9.3} {:>8}",
            r.name,
            r.rate(),
            r.percentile(0.50),
            r.percentile(0.99),
            r.errors
        );
    }
    println!(
        "ratios: signed GetRole = {:.2} x emulator health route, {:.2} x bare hyper hello",
        signed.rate() / health.rate(),
        signed.rate() / hello.rate()
    );
    println!(
        "emulator RSS: {} KiB idle, {} KiB after {} signed GetRole calls (peak {} KiB)",
        rss_idle, rss_after, signed.requests, rss_peak
    );
    if signed.errors > 0 {
        bail!("{} GetRole calls failed", signed.errors);
    }
    drop(guard);
    Ok(())
}
