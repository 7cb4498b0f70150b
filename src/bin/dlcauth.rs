//! `dlcauth`: prepares Alibaba Cloud accounts for PAI-DLC. Run `dlcauth --help`.
//!
//! Exit status (DESIGN §4.1): 0 granted/compliant/planned, 1 failed/partial/noncompliant,
//! 2 usage or configuration error (one line on stderr saying what and how to fix it).

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use acs::credentials::Env;
use clap::Parser as _;
use clap::error::ErrorKind;
use dlcauth::cli::{
    Cli, Command, Common, GrantArgs, GrantCommand, OutputFormat, RolloutArgs, UsageError, VerifyArgs,
    one_line_usage_error,
};
use dlcauth::role_arn::RoleArnTemplate;
use dlcauth::rollout::{RolloutOptions, parse_accounts};
use dlcauth::verify::Mode;
use dlcauth::{Engine, EngineConfig, GrantReport, Trigger};
use tracing_subscriber::EnvFilter;

const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(USAGE)
                }
                _ => {
                    eprintln!("{}", one_line_usage_error(&e.render().to_string()));
                    ExitCode::from(USAGE)
                }
            };
        }
    };
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, Env::from_process())) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(USAGE)
        }
    }
}

/// The progress bar of a running rollout, if any. Log lines are written around it (suspended),
/// as the per-account lines are, so a warning never tears the bar's line.
static PROGRESS: OnceLock<indicatif::ProgressBar> = OnceLock::new();

/// stderr, printed around the rollout's progress bar when one is drawn.
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match PROGRESS.get() {
            Some(bar) if !bar.is_hidden() => bar.suspend(|| std::io::stderr().write(buf)),
            _ => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Human logs on stderr, never on stdout (which carries the report).
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "warn,dlcauth=info,acs=info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_writer(|| LogWriter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(filter)
        .init();
}

/// Writes to stdout. A closed pipe (`dlcauth … | head`) is the reader's choice and not an
/// error; any other failure (a full disk under `> report.json`) loses the report, so the caller
/// must not exit as if it had been delivered.
fn out(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                stdout.write_all(b"\n")
            }
        })
        .and_then(|()| stdout.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The exit status when the report could not be written: the run's outcome is unknown to
/// whoever reads stdout, so it is a failure (1), said on stderr.
fn report_lost(e: &std::io::Error) -> ExitCode {
    eprintln!("error: cannot write the report to stdout: {e}");
    ExitCode::FAILURE
}

async fn run(cli: Cli, env: Env) -> Result<ExitCode, UsageError> {
    match cli.command {
        Command::Grant(GrantCommand { grant, verify }) => {
            let mode = if grant.dry_run { Mode::DryRun } else { Mode::Grant };
            single(grant, verify, mode, &env).await
        }
        Command::Plan(args) => single(args, VerifyArgs::default(), Mode::DryRun, &env).await,
        Command::Check(args) => single(args, VerifyArgs::default(), Mode::Check, &env).await,
        Command::Rollout(args) => rollout(args, &env).await,
    }
}

/// The engine for the shared options: the client from the environment (`--region` first), the
/// role to assume (`--role-arn` first), the read-back (`--read-back` or `DLCAUTH_READ_BACK`), and
/// a credentials check so that "no credentials" is a configuration error rather than a failed
/// grant.
async fn engine(common: &Common, verify: VerifyArgs, env: &Env, accounts: &[String]) -> Result<Engine, UsageError> {
    let env = match &common.region {
        Some(region) => env.clone().with_var("DLCAUTH_REGION", region.clone()),
        None => env.clone(),
    };
    let mut config = EngineConfig::from_env(&env).map_err(|e| UsageError(e.to_string()))?;
    config.read_back |= verify.read_back;
    if let Some(arn) = &common.role_arn {
        config.role_arn = Some(RoleArnTemplate::parse(arn).map_err(|e| UsageError(format!("--role-arn: {e}")))?);
    }
    if let Some(template) = &config.role_arn
        && let Some(other) = accounts.iter().find(|a| template.is_fixed_elsewhere(a))
    {
        return Err(UsageError(format!(
            "the role ARN {template} is in another account than {other}; use acs:ram::{{accountId}}:role/<name> to act in each target account"
        )));
    }
    let client = acs::Client::from_env(&env).map_err(|e| UsageError(e.to_string()))?;
    if let Err(e) = client.credentials().provide().await {
        return Err(UsageError(format!(
            "{e}; configure credentials (tried in this order): ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET, OIDC (ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE), ~/.aliyun/config.json, ~/.alibabacloud/credentials.ini or ALIBABA_CLOUD_CREDENTIALS_FILE (profile ALIBABA_CLOUD_PROFILE), the ECS RAM role, ALIBABA_CLOUD_CREDENTIALS_URI"
        )));
    }
    Ok(Engine::new(client, config))
}

fn env_buckets(env: &Env) -> Option<String> {
    env.get("DLCAUTH_OSS_BUCKETS").map(str::to_owned)
}

async fn single(args: GrantArgs, verify: VerifyArgs, mode: Mode, env: &Env) -> Result<ExitCode, UsageError> {
    let request = args
        .common
        .request(&args.account_id, mode == Mode::DryRun, env_buckets(env).as_deref())?;
    let engine = engine(&args.common, verify, env, std::slice::from_ref(&request.account_id)).await?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let report = engine.run(&request, mode, Trigger::Cli, &request_id).await;
    let written = match args.common.output {
        OutputFormat::Json => out(&report.to_json_pretty()),
        OutputFormat::Text => out(&report.to_text()),
    };
    Ok(match written {
        Ok(()) => exit_code(&report),
        Err(e) => report_lost(&e),
    })
}

fn exit_code(report: &GrantReport) -> ExitCode {
    if report.status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn rollout(args: RolloutArgs, env: &Env) -> Result<ExitCode, UsageError> {
    let path = args.accounts.display().to_string();
    let text = std::fs::read_to_string(&args.accounts)
        .map_err(|e| UsageError(format!("--accounts {path}: cannot read the file: {e}")))?;
    let accounts = parse_accounts(&text).map_err(|e| UsageError(format!("--accounts {path}: {e}")))?;
    if !(args.max_rate > 0.0 && args.max_rate < 100.0) {
        return Err(UsageError(format!(
            "--max-rate {}: must be above 0 and below 100 (STS allows 100 AssumeRole calls per second per account)",
            args.max_rate
        )));
    }
    if args.check && args.dry_run {
        return Err(UsageError("--check and --dry-run: choose one".into()));
    }
    // The shared options are validated once, against the first account.
    let first = accounts
        .first()
        .ok_or_else(|| UsageError(format!("--accounts {path}: no account IDs")))?;
    let template = args.common.request(first, args.dry_run, env_buckets(env).as_deref())?;
    let engine = engine(&args.common, args.verify, env, &accounts).await?;
    let options = RolloutOptions {
        concurrency: usize::from(args.concurrency),
        max_rate: args.max_rate,
        check_only: args.check,
    };
    let progress = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(u64::try_from(accounts.len()).unwrap_or(u64::MAX));
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} accounts {elapsed} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        // One rollout per process: the first bar is the only one.
        let _ = PROGRESS.set(bar.clone());
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let prefix = uuid::Uuid::new_v4().to_string();
    let output = args.common.output;
    // The first write failure; later lines are still attempted (the rollout itself goes on).
    let mut lost: Option<std::io::Error> = None;
    let summary = dlcauth::rollout::run(&engine, &accounts, &template, &options, &prefix, |report| {
        let written = progress.suspend(|| match output {
            OutputFormat::Json => out(&report.to_json_line()),
            OutputFormat::Text => out(&report.summary_line()),
        });
        if let Err(e) = written {
            lost.get_or_insert(e);
        }
        progress.inc(1);
    })
    .await;
    progress.finish_and_clear();
    match output {
        // stdout stays one report per line; the summary goes to stderr.
        OutputFormat::Json => eprintln!("{}", summary.line()),
        OutputFormat::Text => {
            if let Err(e) = out(&summary.line()) {
                lost.get_or_insert(e);
            }
        }
    }
    Ok(match lost {
        Some(e) => report_lost(&e),
        None if summary.all_succeeded() => ExitCode::SUCCESS,
        None => ExitCode::FAILURE,
    })
}
