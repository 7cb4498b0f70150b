//! The `dlcauth` command line: arguments, their conversion to a [`GrantRequest`], and the
//! one-line usage errors. The binary (`src/bin/dlcauth.rs`) only wires these to the engine.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::request::{GrantRequest, RequestError, UserGrant};

/// Prepares Alibaba Cloud accounts for PAI-DLC: the AliyunPAIDLCDefaultRole service role, its
/// policies, and optionally RAM users and workspace members. Safe to re-run: a compliant
/// account is left untouched.
///
/// Credentials come from the standard chain, in the official SDKs' order: the environment
/// (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN), OIDC (ALIBABA_CLOUD_ROLE_ARN,
/// ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), ~/.aliyun/config.json,
/// ~/.alibabacloud/credentials.ini (or ALIBABA_CLOUD_CREDENTIALS_FILE; both profiles chosen by
/// ALIBABA_CLOUD_PROFILE), the ECS RAM role, then ALIBABA_CLOUD_CREDENTIALS_URI.
/// DLCAUTH_ROLE_ARN names the privileged role to assume ({accountId} is replaced by the target
/// account), DLCAUTH_EXTERNAL_ID its ExternalId, DLCAUTH_ENDPOINT sends every call to one URL
/// (an emulator).
///
/// Exit status: 0 granted/compliant/planned, 1 failed/partial/noncompliant, 2 usage or
/// configuration error.
#[derive(Debug, Parser)]
#[command(name = "dlcauth", version, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// More logging on stderr (-v: info, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make an account ready for PAI-DLC (idempotent).
    Grant(GrantCommand),
    /// Show what `grant` would change, changing nothing (= grant --dry-run).
    Plan(GrantArgs),
    /// Verify read-only; exit 1 if anything is missing (its steps are what grant would do).
    Check(GrantArgs),
    /// Grant (or check) many accounts, with bounded concurrency and a rate limit.
    Rollout(RolloutArgs),
}

/// `json` = exactly the GrantReport; `text` = a table for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table of steps and verification.
    Text,
    /// The GrantReport as JSON (one line per account for rollout).
    Json,
}

/// Options shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The privileged role to assume, e.g. acs:ram::{accountId}:role/dlcauth-granter
    /// [default: $DLCAUTH_ROLE_ARN; none = act with the caller's own credentials].
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Region for regional APIs [default: $DLCAUTH_REGION, $ALIBABA_CLOUD_REGION_ID, cn-hangzhou].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The PAI workspace users become members of.
    #[arg(long, value_name = "ID")]
    pub workspace_id: Option<String>,
    /// Least-privilege mode: grant OSS access to this bucket only (repeatable) instead of
    /// AliyunOSSFullAccess [default: $DLCAUTH_OSS_BUCKETS, comma-separated].
    #[arg(long = "oss-bucket", value_name = "BUCKET")]
    pub oss_buckets: Vec<String>,
    /// Attach the role's policies in this resource group instead of account-wide.
    #[arg(long, value_name = "ID")]
    pub resource_group_id: Option<String>,
    /// A RAM user to prepare (repeatable): attaches AliyunNASFullAccess and the OSS policy, and
    /// with --workspace-id makes it a member with ROLEs (default PAI.AlgoDeveloper; `NAME:` for
    /// none).
    #[arg(long = "user", value_name = "NAME[:ROLE,ROLE]")]
    pub users: Vec<String>,
    /// Also activate OSS and NAS for the account (activation accepts their terms of service).
    #[arg(long)]
    pub activate_services: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub output: OutputFormat,
}

/// `grant`, `plan`, `check`.
#[derive(Debug, Clone, Args)]
pub struct GrantArgs {
    /// The target account ID (16 digits).
    #[arg(long, value_name = "ID")]
    pub account_id: String,
    /// Plan only, change nothing (implied by `plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
}

/// How a run that changed something verifies it.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct VerifyArgs {
    /// After the changes, read the account again and verify from that read instead of from the
    /// writes' acknowledgements (one more round trip; a change RAM does not show yet is read
    /// again briefly, then reported not verified, status partial)
    /// [default: $DLCAUTH_READ_BACK, false].
    #[arg(long)]
    pub read_back: bool,
}

/// `grant`: the shared grant arguments and the read-back choice.
#[derive(Debug, Clone, Args)]
pub struct GrantCommand {
    /// Account and options.
    #[command(flatten)]
    pub grant: GrantArgs,
    /// Verification.
    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// `rollout`.
#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    /// A file of account IDs: one per line (# comments allowed) or a JSON array.
    #[arg(long, value_name = "FILE")]
    pub accounts: PathBuf,
    /// Accounts processed at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Grants started per second at most (each cold grant is one STS AssumeRole; STS allows
    /// 100/s per account).
    #[arg(long, default_value_t = 20.0, value_name = "PER_SECOND")]
    pub max_rate: f64,
    /// Only check each account (read-only).
    #[arg(long)]
    pub check: bool,
    /// Only plan for each account.
    #[arg(long)]
    pub dry_run: bool,
    /// Verification of each account's changes.
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
}

/// A usage or configuration error: exit 2, one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl From<RequestError> for UsageError {
    fn from(e: RequestError) -> Self {
        Self(format!("{}: {}", flag_for(&e.field), e.message))
    }
}

/// The command-line flag a request field comes from, so an error names what the user typed.
pub fn flag_for(field: &str) -> String {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "accountId" => "--account-id".into(),
        "workspaceId" => "--workspace-id".into(),
        "region" => "--region".into(),
        "ossBuckets" => "--oss-bucket".into(),
        "resourceGroupId" => "--resource-group-id".into(),
        "users" => "--user".into(),
        other => other.into(),
    }
}

/// Parses `NAME[:ROLE,ROLE]`. `NAME` alone = the default roles; `NAME:` = no membership.
pub fn parse_user(spec: &str) -> UserGrant {
    match spec.split_once(':') {
        None => UserGrant::named(spec.trim()),
        Some((name, roles)) => UserGrant {
            name: name.trim().to_owned(),
            policies: None,
            workspace_roles: Some(
                roles
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        },
    }
}

impl Common {
    /// The request for one account. `env_buckets` is `DLCAUTH_OSS_BUCKETS`, used when no
    /// `--oss-bucket` is given.
    ///
    /// # Errors
    /// The first invalid value, naming its flag.
    pub fn request(
        &self,
        account_id: &str,
        dry_run: bool,
        env_buckets: Option<&str>,
    ) -> Result<GrantRequest, UsageError> {
        let buckets: Vec<String> = if self.oss_buckets.is_empty() {
            env_buckets
                .map(|b| {
                    b.split(',')
                        .map(str::trim)
                        .filter(|b| !b.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            self.oss_buckets.clone()
        };
        let request = GrantRequest {
            account_id: account_id.trim().to_owned(),
            workspace_id: self.workspace_id.clone(),
            region: self.region.clone(),
            dry_run,
            oss_buckets: (!buckets.is_empty()).then_some(buckets),
            resource_group_id: self.resource_group_id.clone(),
            users: (!self.users.is_empty()).then(|| self.users.iter().map(|u| parse_user(u)).collect()),
            activate_services: self.activate_services,
        };
        request.validate()?;
        Ok(request)
    }
}

/// A clap error as one line: what is wrong, the accepted values if clap listed them, and where
/// to look for usage. Help and version are not errors and are not passed here.
pub fn one_line_usage_error(rendered: &str) -> String {
    let mut joined = String::new();
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("Usage:") || line.starts_with("For more information") {
            continue;
        }
        let line = line.trim_start_matches("error: ");
        if !joined.is_empty() {
            // A list after "…:" or a "[possible values …]" continues the sentence.
            joined.push_str(if joined.ends_with(':') || line.starts_with('[') {
                " "
            } else {
                "; "
            });
        }
        joined.push_str(line);
    }
    format!("error: {joined} (see `dlcauth --help`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("dlcauth").chain(args.iter().copied()))
    }

    #[test]
    fn grant_flags_become_a_request() -> Result<(), Box<dyn std::error::Error>> {
        let cli = parse(&[
            "grant",
            "--account-id",
            "1234567890123456",
            "--workspace-id",
            "81231",
            "--oss-bucket",
            "data-a",
            "--oss-bucket",
            "data-b",
            "--resource-group-id",
            "rg-abc",
            "--user",
            "alice",
            "--user",
            "bob:PAI.WorkspaceAdmin,PAI.AlgoDeveloper",
            "--activate-services",
            "--output",
            "json",
        ])?;
        let Command::Grant(GrantCommand { grant: args, verify }) = cli.command else {
            return Err("expected grant".into());
        };
        assert!(!verify.read_back, "read-back is opt-in");
        assert_eq!(args.common.output, OutputFormat::Json);
        let request = args.common.request(&args.account_id, args.dry_run, None)?;
        assert_eq!(request.oss_buckets, Some(vec!["data-a".into(), "data-b".into()]));
        assert_eq!(request.resource_group_id.as_deref(), Some("rg-abc"));
        assert!(request.activate_services && !request.dry_run);
        let users = request.users.unwrap_or_default();
        assert_eq!(users[0].name, "alice");
        assert_eq!(users[0].workspace_roles, None);
        assert_eq!(
            users[1].workspace_roles,
            Some(vec!["PAI.WorkspaceAdmin".into(), "PAI.AlgoDeveloper".into()])
        );
        Ok(())
    }

    #[test]
    fn buckets_fall_back_to_the_environment() -> Result<(), Box<dyn std::error::Error>> {
        let cli = parse(&["plan", "--account-id", "1234567890123456"])?;
        let Command::Plan(args) = cli.command else {
            return Err("expected plan".into());
        };
        let request = args
            .common
            .request(&args.account_id, true, Some(" one-bucket, two-bucket ,"))?;
        assert_eq!(
            request.oss_buckets,
            Some(vec!["one-bucket".into(), "two-bucket".into()])
        );
        assert!(request.dry_run);
        let request = args.common.request(&args.account_id, true, None)?;
        assert_eq!(request.oss_buckets, None);
        Ok(())
    }

    #[test]
    fn read_back_is_a_grant_and_rollout_flag_only() -> Result<(), Box<dyn std::error::Error>> {
        let cli = parse(&["grant", "--account-id", "1234567890123456", "--read-back"])?;
        let Command::Grant(GrantCommand { verify, .. }) = cli.command else {
            return Err("expected grant".into());
        };
        assert!(verify.read_back);
        let cli = parse(&["rollout", "--accounts", "f", "--read-back"])?;
        let Command::Rollout(args) = cli.command else {
            return Err("expected rollout".into());
        };
        assert!(args.verify.read_back);
        // Plans and checks write nothing: their reads are the verification already.
        assert!(parse(&["plan", "--account-id", "1234567890123456", "--read-back"]).is_err());
        assert!(parse(&["check", "--account-id", "1234567890123456", "--read-back"]).is_err());
        Ok(())
    }

    #[test]
    fn help_names_every_credential_source_in_chain_order() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        let sources = [
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            "~/.aliyun/config.json",
            "~/.alibabacloud/credentials.ini",
            "ECS RAM role",
            "ALIBABA_CLOUD_CREDENTIALS_URI",
        ];
        let positions: Vec<Option<usize>> = sources.iter().map(|s| help.find(s)).collect();
        assert!(positions.iter().all(Option::is_some), "{positions:?} in {help}");
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "chain order: {help}");
        for also in [
            "ALIBABA_CLOUD_CREDENTIALS_FILE",
            "ALIBABA_CLOUD_PROFILE",
            "DLCAUTH_EXTERNAL_ID",
        ] {
            assert!(help.contains(also), "{also} in {help}");
        }
    }

    #[test]
    fn user_specs() {
        assert_eq!(parse_user("alice").workspace_roles, None);
        assert_eq!(parse_user("alice:").workspace_roles, Some(vec![]));
        assert_eq!(
            parse_user("alice:PAI.AlgoDeveloper").workspace_roles,
            Some(vec!["PAI.AlgoDeveloper".into()])
        );
    }

    #[test]
    fn invalid_values_name_the_flag() -> Result<(), Box<dyn std::error::Error>> {
        let cli = parse(&["grant", "--account-id", "12ab", "--user", "bad name"])?;
        let Command::Grant(GrantCommand { grant: args, .. }) = cli.command else {
            return Err("expected grant".into());
        };
        let e = args.common.request(&args.account_id, false, None).err();
        assert_eq!(
            e.map(|e| e.0),
            Some(
                "--account-id: \"12ab\" is not an account ID: it must contain digits only, e.g. 1234567890123456"
                    .into()
            )
        );
        let e = args.common.request("1234567890123456", false, None).err().map(|e| e.0);
        assert!(e.as_deref().is_some_and(|e| e.starts_with("--user: ")), "{e:?}");
        Ok(())
    }

    #[test]
    fn unknown_output_format_is_a_one_line_error() {
        let e = parse(&["grant", "--account-id", "1", "--output", "xml"]).err();
        let rendered = e.map(|e| e.render().to_string()).unwrap_or_default();
        let line = one_line_usage_error(&rendered);
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.contains("xml") && line.contains("json") && line.contains("text"),
            "{line}"
        );
        assert!(
            line.starts_with("error: ") && line.ends_with("(see `dlcauth --help`)"),
            "{line}"
        );
    }

    #[test]
    fn missing_account_id_is_a_one_line_error() {
        let rendered = parse(&["grant"])
            .err()
            .map(|e| e.render().to_string())
            .unwrap_or_default();
        let line = one_line_usage_error(&rendered);
        assert!(line.contains("--account-id"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn rollout_limits_are_checked_by_the_parser() {
        assert!(parse(&["rollout", "--accounts", "f", "--concurrency", "0"]).is_err());
        assert!(parse(&["rollout", "--accounts", "f", "--concurrency", "16"]).is_ok());
    }

    #[test]
    fn flags_for_fields() {
        assert_eq!(flag_for("ossBuckets[2]"), "--oss-bucket");
        assert_eq!(flag_for("users[0].workspaceRoles[1]"), "--user");
        assert_eq!(flag_for("accountId"), "--account-id");
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
