//! The `dlcauth` binary, run as a user runs it, against an in-process emulator over real HTTP:
//! exit codes, one-line usage errors, JSON = the report, readable text, rollout, no secrets.
// Test code: a broken fixture must fail the test loudly (house rule: expect is fine in tests).
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use acs_emulator::{DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator, PrincipalKind, SeedAccessKey, SeedPrincipal};
use dlcauth::GrantReport;
use dlcauth::report::{Outcome, Status};

use common::*;

/// The `make demo` environment.
fn demo_env(emulator: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID.to_owned()),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEMO_ACCESS_KEY_SECRET.to_owned()),
        ("DLCAUTH_ENDPOINT", emulator.base_url()),
        ("DLCAUTH_ROLE_ARN", GRANTER_TEMPLATE.to_owned()),
    ]
}

async fn run(emulator: &Emulator, args: &[&str]) -> Run {
    dlcauth(args, &env_refs(&demo_env(emulator))).await
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_grant_twice_prints_granted_then_compliant() {
    let emulator = start(seed()).await;
    let first = run(&emulator, &["grant", "--account-id", ACCOUNT]).await;
    assert_eq!(first.code, 0, "stdout:\n{}\nstderr:\n{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("granted"), "{}", first.stdout);
    let second = run(&emulator, &["grant", "--account-id", ACCOUNT]).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stdout.contains("compliant"), "{}", second.stdout);
    assert!(!second.stdout.contains("granted"), "{}", second.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_exactly_the_report() {
    let emulator = start(seed()).await;
    let out = run(&emulator, &["grant", "--account-id", ACCOUNT, "--output", "json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.report();
    assert_eq!(report.schema_version, 1);
    assert_eq!(report.status, Status::Granted);
    assert_eq!(report.account_id, ACCOUNT);
    assert_eq!(report.trigger, dlcauth::Trigger::Cli);
    assert!(
        uuid::Uuid::parse_str(&report.request_id).is_ok(),
        "{}",
        report.request_id
    );
    assert!(report.verification.complete);
    // Exactly the report: it round-trips to the same JSON value.
    let printed: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(printed, serde_json::to_value(&report).expect("serialises"));
    // The grant acted as the assumed granter role, not as the operator user whose key it holds.
    let calls = emulator.calls();
    assert!(calls.iter().any(|c| c.action.as_deref() == Some("AssumeRole")));
    let granter = format!("acs:ram::{ACCOUNT}:role/dlcauth-granter");
    let writers: Vec<Option<&str>> = calls
        .iter()
        .filter(|c| c.write)
        .map(|c| c.principal.as_deref())
        .collect();
    assert!(!writers.is_empty());
    assert!(writers.iter().all(|p| *p == Some(granter.as_str())), "{writers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn text_output_is_a_readable_table() {
    let emulator = start(seed()).await;
    let out = run(&emulator, &["grant", "--account-id", ACCOUNT]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = &out.stdout;
    for expected in [
        "dlcauth: account 1234567890123456 — granted",
        "WAVE",
        "ACTION",
        "CreateRole",
        "AliyunPAIDLCDefaultRole/AliyunOSSFullAccess",
        "verification: complete",
        "[ok] trust policy lets pai.aliyuncs.com assume the role",
        "[ok] System policy AliyunPAIDLCDefaultRolePolicy attached",
        "status: granted in",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains('{'), "text output is not JSON:\n{text}");
    assert!(out.stderr.is_empty(), "no log noise by default: {}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_check_change_nothing_and_exit_as_documented() {
    let emulator = start(seed()).await;
    let plan = run(&emulator, &["plan", "--account-id", ACCOUNT, "--output", "json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let report = plan.report();
    assert_eq!(report.status, Status::Planned);
    assert_eq!(report.steps.len(), 5);
    assert!(report.steps.iter().all(|s| s.outcome == Outcome::Planned));

    let dry = run(
        &emulator,
        &["grant", "--dry-run", "--account-id", ACCOUNT, "--output", "json"],
    )
    .await;
    assert_eq!(dry.code, 0);
    assert_eq!(dry.report().status, Status::Planned);

    let check = run(&emulator, &["check", "--account-id", ACCOUNT, "--output", "json"]).await;
    assert_eq!(check.code, 1, "noncompliant exits 1");
    let report = check.report();
    assert_eq!(report.status, Status::Noncompliant);
    assert_eq!(report.steps.len(), 5);
    assert_eq!(write_actions(&emulator.calls()), Vec::<String>::new());

    assert_eq!(run(&emulator, &["grant", "--account-id", ACCOUNT]).await.code, 0);
    let check = run(&emulator, &["check", "--account-id", ACCOUNT]).await;
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.contains("compliant"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_grant_exits_1_and_names_the_failing_step() {
    let emulator = start(seed()).await;
    let env = [
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            acs_emulator::DEMO_NOPERM_ACCESS_KEY_ID.to_owned(),
        ),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            acs_emulator::DEMO_NOPERM_ACCESS_KEY_SECRET.to_owned(),
        ),
        ("DLCAUTH_ENDPOINT", emulator.base_url()),
        ("DLCAUTH_ROLE_ARN", GRANTER_TEMPLATE.to_owned()),
    ];
    let out = dlcauth(&["grant", "--account-id", ACCOUNT], &env_refs(&env)).await;
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("failed"), "{}", out.stdout);
    assert!(out.stdout.contains("AssumeRole"), "{}", out.stdout);
    assert!(out.stdout.contains("NoPermission"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_and_configuration_errors_are_one_line_with_exit_2() {
    let emulator = start(seed()).await;
    run(&emulator, &["grant", "--account-id", "12345678901234ab"])
        .await
        .assert_one_line_usage_error("--account-id");
    run(
        &emulator,
        &["grant", "--account-id", ACCOUNT, "--role-arn", "dlcauth-granter"],
    )
    .await
    .assert_one_line_usage_error("acs:ram::{accountId}:role/");
    run(&emulator, &["grant", "--account-id", ACCOUNT, "--output", "xml"])
        .await
        .assert_one_line_usage_error("xml");
    run(&emulator, &["grant"])
        .await
        .assert_one_line_usage_error("--account-id");
    run(
        &emulator,
        &["grant", "--account-id", ACCOUNT, "--oss-bucket", "Not_A_Bucket"],
    )
    .await
    .assert_one_line_usage_error("--oss-bucket");
    run(
        &emulator,
        &[
            "grant",
            "--account-id",
            ACCOUNT,
            "--user",
            "alice:PAI.Boss",
            "--workspace-id",
            "81231",
        ],
    )
    .await
    .assert_one_line_usage_error("PAI.Boss");
    run(
        &emulator,
        &["grant", "--account-id", ACCOUNT, "--role-arn", "acs:ram::999:role/x"],
    )
    .await
    .assert_one_line_usage_error("{accountId}");
    run(&emulator, &["rollout", "--accounts", "/nonexistent/accounts.txt"])
        .await
        .assert_one_line_usage_error("/nonexistent/accounts.txt");
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("accounts.txt");
    std::fs::write(&bad, "1234567890123456\nnot-an-id\n").expect("write");
    run(&emulator, &["rollout", "--accounts", bad.to_str().expect("utf-8")])
        .await
        .assert_one_line_usage_error("line 2");
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "1234567890123456\n").expect("write");
    run(
        &emulator,
        &[
            "rollout",
            "--accounts",
            good.to_str().expect("utf-8"),
            "--max-rate",
            "500",
        ],
    )
    .await
    .assert_one_line_usage_error("--max-rate");
    // No credentials anywhere: a configuration error, not a failed grant.
    dlcauth(
        &["grant", "--account-id", ACCOUNT],
        &[("DLCAUTH_ENDPOINT", emulator.base_url().as_str())],
    )
    .await
    .assert_one_line_usage_error("ALIBABA_CLOUD_ACCESS_KEY_ID");
    assert_eq!(write_actions(&emulator.calls()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn help_is_not_an_error() {
    let out = dlcauth(&["--help"], &[]).await;
    assert_eq!(out.code, 0);
    for word in ["grant", "plan", "check", "rollout", "DLCAUTH_ROLE_ARN"] {
        assert!(out.stdout.contains(word), "{word} in help");
    }
    let out = dlcauth(&["grant", "--help"], &[]).await;
    assert_eq!(out.code, 0);
    for flag in [
        "--account-id",
        "--role-arn",
        "--region",
        "--workspace-id",
        "--oss-bucket",
        "--resource-group-id",
        "--user",
        "--activate-services",
        "--output",
        "--dry-run",
    ] {
        assert!(out.stdout.contains(flag), "{flag} in grant --help");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_cli_option_reaches_the_account() {
    let emulator = start(seed()).await;
    let out = run(
        &emulator,
        &[
            "grant",
            "--account-id",
            ACCOUNT,
            "--workspace-id",
            acs_emulator::DEMO_WORKSPACE_ID,
            "--oss-bucket",
            "training-data",
            "--resource-group-id",
            acs_emulator::DEMO_RESOURCE_GROUP_ID,
            "--user",
            "alice",
            "--user",
            "bob:PAI.WorkspaceAdmin",
            "--activate-services",
            "--region",
            "cn-shanghai",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.report();
    assert_eq!(report.status, Status::Granted);
    assert_eq!(report.workspace_id.as_deref(), Some(acs_emulator::DEMO_WORKSPACE_ID));
    let state = emulator.state_json();
    assert_eq!(
        member_roles(&state, acs_emulator::DEMO_WORKSPACE_ID, "bob"),
        Some(vec!["PAI.WorkspaceAdmin".to_owned()])
    );
    assert!(policy(&state, "PaiDlcOssBucketsPolicy").is_some());
    assert_eq!(rg_attachments(&state).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn oss_buckets_come_from_the_environment_when_no_flag_is_given() {
    let emulator = start(seed()).await;
    let mut env = demo_env(&emulator);
    env.push(("DLCAUTH_OSS_BUCKETS", "env-bucket-a,env-bucket-b".to_owned()));
    let out = dlcauth(&["grant", "--account-id", ACCOUNT, "--output", "json"], &env_refs(&env)).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let document = default_document(&emulator.state_json(), "PaiDlcOssBucketsPolicy").expect("bucket policy");
    assert_eq!(
        dlcauth::policy_doc::granted_buckets(&document),
        ["env-bucket-a".to_string(), "env-bucket-b".to_string()].into()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollout_prints_one_report_line_per_account_and_a_summary() {
    let emulator = start(seed()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("accounts.json");
    // The second account does not exist in the emulator: its AssumeRole fails.
    std::fs::write(&file, format!(r#"["{ACCOUNT}", "2234567890123456"]"#)).expect("write");
    let path = file.to_str().expect("utf-8");
    let out = run(
        &emulator,
        &[
            "rollout",
            "--accounts",
            path,
            "--output",
            "json",
            "--concurrency",
            "2",
            "--max-rate",
            "50",
        ],
    )
    .await;
    assert_eq!(out.code, 1, "one account failed: {}", out.stderr);
    let reports: Vec<GrantReport> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(reports.len(), 2);
    let status_of = |account: &str| reports.iter().find(|r| r.account_id == account).map(|r| r.status);
    assert_eq!(status_of(ACCOUNT), Some(Status::Granted));
    assert_eq!(status_of("2234567890123456"), Some(Status::Failed));
    assert!(
        out.stderr
            .contains("2 account(s): 1 granted, 0 compliant, 0 partial, 1 failed"),
        "{}",
        out.stderr
    );

    // Re-running on the now-compliant account: compliant, exit 0, text summary on stdout.
    let single = dir.path().join("one.txt");
    std::fs::write(&single, format!("# the demo account\n{ACCOUNT}\n")).expect("write");
    let out = run(&emulator, &["rollout", "--accounts", single.to_str().expect("utf-8")]).await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(&format!("{ACCOUNT} compliant")), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("1 account(s): 0 granted, 1 compliant, 0 partial, 0 failed"),
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_any_output() {
    const SECRET: &str = "RecognisableSecret-7f3c9e1d2b";
    const TOKEN: &str = "RecognisableToken-c0ffee5eed";
    let mut seed = seed();
    // A role-session-like key: secret plus token, acting as the granter role directly.
    seed.access_keys.push(SeedAccessKey {
        access_key_id: "STS.RecognisableKeyId01".into(),
        access_key_secret: acs::Secret::new(SECRET),
        security_token: Some(acs::Secret::new(TOKEN)),
        principal: SeedPrincipal {
            kind: PrincipalKind::Role,
            name: acs_emulator::DEMO_ROLE_NAME.into(),
        },
    });
    let emulator = start(seed).await;
    let url = emulator.base_url();
    let good = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.RecognisableKeyId01"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
        ("DLCAUTH_ENDPOINT", url.as_str()),
    ];
    let wrong_secret = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("DLCAUTH_ENDPOINT", url.as_str()),
        ("DLCAUTH_ROLE_ARN", GRANTER_TEMPLATE),
    ];
    let demo = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEMO_ACCESS_KEY_SECRET),
        ("DLCAUTH_ENDPOINT", url.as_str()),
        ("DLCAUTH_ROLE_ARN", GRANTER_TEMPLATE),
    ];
    let mut outputs = Vec::new();
    for output in ["text", "json"] {
        let args = ["-vv", "grant", "--account-id", ACCOUNT, "--output", output];
        let ok = dlcauth(&args, &good).await;
        assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
        outputs.push(ok);
        let failed = dlcauth(&args, &wrong_secret).await;
        assert_eq!(failed.code, 1, "a wrong secret fails the grant: {}", failed.stdout);
        assert!(failed.stdout.contains("SignatureDoesNotMatch"), "{}", failed.stdout);
        outputs.push(failed);
        outputs.push(dlcauth(&args, &demo).await);
    }
    outputs.push(dlcauth(&["-vv", "grant", "--account-id", "bad"], &good).await);
    for out in &outputs {
        for secret in [SECRET, TOKEN, DEMO_ACCESS_KEY_SECRET] {
            assert!(!out.stdout.contains(secret), "secret on stdout:\n{}", out.stdout);
            assert!(!out.stderr.contains(secret), "secret on stderr:\n{}", out.stderr);
        }
    }
    assert!(
        outputs.iter().any(|o| o.stderr.contains("DEBUG")),
        "the debug logs were really on"
    );
}

/// `dlcauth plan … > report.json` on a full disk: the report is lost, so the run must not exit 0
/// as if it had been delivered (a closed pipe, by contrast, is the reader's choice).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_report_that_cannot_be_written_fails_the_run() {
    let emulator = start(seed()).await;
    let env = demo_env(&emulator);
    let accounts = tempfile::NamedTempFile::new().expect("accounts file");
    std::fs::write(accounts.path(), format!("{ACCOUNT}\n")).expect("write accounts");
    let accounts = accounts.path().to_string_lossy().into_owned();
    for args in [
        vec!["plan", "--account-id", ACCOUNT, "--output", "json"],
        vec!["plan", "--account-id", ACCOUNT],
        vec!["rollout", "--dry-run", "--accounts", accounts.as_str()],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let output = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::process::Command::new(env!("CARGO_BIN_EXE_dlcauth"))
                .args(&args)
                .env_clear()
                .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(full)
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                // `output()` would replace stdout with a pipe; spawn keeps /dev/full.
                .spawn()
                .expect("dlcauth starts")
                .wait_with_output(),
        )
        .await
        .expect("dlcauth finishes within a minute")
        .expect("dlcauth runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write the report to stdout"),
            "{args:?}: {stderr}"
        );
    }
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn evidences(report: &GrantReport) -> Vec<Option<dlcauth::report::Evidence>> {
    let v = &report.verification;
    let mut all: Vec<_> = v.policies.iter().map(|p| p.evidence).collect();
    all.extend(
        v.policies
            .iter()
            .filter_map(|p| p.document.as_ref().map(|d| d.evidence)),
    );
    all.extend(v.trust.as_ref().map(|t| t.evidence));
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn read_back_comes_from_the_flag_or_the_environment() {
    use dlcauth::report::Evidence;
    let read = Some(Evidence::Read);
    let write = Some(Evidence::Write);

    let emulator = start(seed()).await;
    let out = run(
        &emulator,
        &["grant", "--read-back", "--account-id", ACCOUNT, "--output", "json"],
    )
    .await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.report();
    assert_eq!(report.status, Status::Granted);
    assert_eq!(evidences(&report), vec![read; 5]);

    let emulator = start(seed()).await;
    let mut env = demo_env(&emulator);
    env.push(("DLCAUTH_READ_BACK", "true".to_owned()));
    let out = dlcauth(&["grant", "--account-id", ACCOUNT, "--output", "json"], &env_refs(&env)).await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(evidences(&out.report()), vec![read; 5]);

    // The default: verified by the writes' acknowledgements.
    let emulator = start(seed()).await;
    let out = run(&emulator, &["grant", "--account-id", ACCOUNT, "--output", "json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(evidences(&out.report()), vec![write; 5]);

    // Rollout takes it too.
    let emulator = start(seed()).await;
    let accounts = tempfile::NamedTempFile::new().expect("accounts file");
    std::fs::write(accounts.path(), format!("{ACCOUNT}\n")).expect("write accounts");
    let path = accounts.path().to_string_lossy().into_owned();
    let out = run(
        &emulator,
        &[
            "rollout",
            "--read-back",
            "--accounts",
            path.as_str(),
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report: GrantReport = serde_json::from_str(out.stdout.trim()).expect("one report line");
    assert_eq!(report.status, Status::Granted);
    assert_eq!(evidences(&report), vec![read; 5]);

    let mut env = demo_env(&emulator);
    env.push(("DLCAUTH_READ_BACK", "sometimes".to_owned()));
    dlcauth(&["grant", "--account-id", ACCOUNT], &env_refs(&env))
        .await
        .assert_one_line_usage_error("DLCAUTH_READ_BACK");
    let help = dlcauth(&["grant", "--help"], &[]).await;
    assert!(help.stdout.contains("--read-back"), "{}", help.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_name_carries_the_reported_request_id() {
    let emulator = start(seed()).await;
    let recorder = Recorder::start(emulator.base_url()).await;
    let mut env = demo_env(&emulator);
    env.retain(|(k, _)| *k != "DLCAUTH_ENDPOINT");
    env.push(("DLCAUTH_ENDPOINT", recorder.url.clone()));
    let out = dlcauth(&["grant", "--account-id", ACCOUNT, "--output", "json"], &env_refs(&env)).await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.report();
    assert_one_session_carrying(&recorder.values_of("RoleSessionName"), &report.request_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn dlcauth_external_id_reaches_assume_role() {
    let emulator = start(seed_with_external_id("cli-onboarding-42")).await;
    let env = demo_env(&emulator);
    let out = dlcauth(&["grant", "--account-id", ACCOUNT, "--output", "json"], &env_refs(&env)).await;
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.report();
    assert_eq!(report.status, Status::Failed);
    let step = report.first_failure().expect("a failed step");
    assert_eq!(step.action, "AssumeRole");
    assert_eq!(step.error.as_ref().map(|e| e.code.as_str()), Some("NoPermission"));

    let mut env = demo_env(&emulator);
    env.push(("DLCAUTH_EXTERNAL_ID", "cli-onboarding-42".to_owned()));
    let out = dlcauth(&["grant", "--account-id", ACCOUNT, "--output", "json"], &env_refs(&env)).await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.report().status, Status::Granted);
}
