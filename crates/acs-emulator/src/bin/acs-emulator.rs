//! `acs-emulator`: serves the emulated Alibaba Cloud account over HTTP until SIGTERM or Ctrl-C.
//! Prints `acs-emulator listening on http://HOST:PORT` on stdout once it accepts connections;
//! logs (one line per API call, never a secret) go to stderr, filtered by `RUST_LOG`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

/// A wire-faithful local Alibaba Cloud (STS, RAM, ResourceManager, AIWorkspace, OSS/NAS activation).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Seed file (DESIGN §4.6); without it the documented demo account is used.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Latency added to every API call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fraction (0–1) of API calls answered Throttling.User / ServiceUnavailable / InternalError
    /// before any change.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    fault_rate: f64,
    /// Fraction (0–1) of successful writes whose reply is replaced by InternalError after the
    /// change is applied.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    lost_reply_rate: f64,
    /// Load the state from this file if it exists and persist it after every change.
    #[arg(long)]
    state: Option<PathBuf>,
}

fn rate(value: &str) -> Result<f64, String> {
    let rate: f64 = value.parse().map_err(|_| format!("{value:?} is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{rate} is not between 0 and 1"))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, not `main`'s Debug rendering (which adds "Caused by:" repeats and, with
            // RUST_BACKTRACE set, a stack trace for what is a configuration mistake).
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined with ": ", skipping a cause whose text the message already
/// ends with (the crate's errors quote their source in their own message).
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

async fn run(args: Args) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let seed = match &args.seed {
        Some(path) => acs_emulator::Seed::from_file(path)?,
        None => acs_emulator::Seed::demo(),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let emulator = acs_emulator::start(
        listener,
        acs_emulator::Options {
            seed,
            latency: Duration::from_millis(args.latency_ms),
            fault_rate: args.fault_rate,
            lost_reply_rate: args.lost_reply_rate,
            state_file: args.state.clone(),
        },
    )
    .await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "acs-emulator listening on {}", emulator.base_url())?;
        out.flush()?;
    }
    tracing::info!(addr = %emulator.addr(), seed = ?args.seed, state = ?args.state, "serving");
    wait_for_stop().await?;
    tracing::info!("stopping");
    emulator.shutdown().await;
    Ok(())
}

async fn wait_for_stop() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
