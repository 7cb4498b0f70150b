//! Every request `dlcauth` sends is accepted by the *official* SDK's signature code, in V1 and V3.
//!
//! Our client and our emulator share `acs::sign`, so a canonicalisation bug there could make them
//! agree on a wrong signature. Here `tests/sdk/official_verifier.py` sits between the real `dlcauth`
//! binary and the emulator and recomputes each signature with `alibabacloud_tea_openapi.utils`
//! (what Alibaba's Python SDK signs with); it refuses any request the SDK code does not reproduce.
//!
//! The interpreter is `$DLCAUTH_SDK_PYTHON`, else `<workspace>/.venv-sdk/bin/python` (made by
//! `make sdk-venv`). Without either the test fails, unless `DLCAUTH_SKIP_SDK_TESTS=1`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use acs_emulator::{DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator};
use dlcauth::report::Status;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use common::*;

fn sdk_python() -> Option<PathBuf> {
    if std::env::var("DLCAUTH_SKIP_SDK_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("skipped: DLCAUTH_SKIP_SDK_TESTS=1");
        return None;
    }
    let path = std::env::var_os("DLCAUTH_SDK_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv-sdk/bin/python"));
    assert!(
        path.exists(),
        "no Python with the official Alibaba Cloud SDK at {}: run `make sdk-venv` \
         (or set DLCAUTH_SKIP_SDK_TESTS=1 to skip this test explicitly)",
        path.display()
    );
    Some(path)
}

/// The verifier child process; killed when dropped, so a failing test leaves nothing behind.
struct Verifier {
    child: Child,
    url: String,
    _keys: tempfile::NamedTempFile,
}

impl Verifier {
    async fn start(python: &PathBuf, emulator: &Emulator) -> Self {
        let keys = tempfile::NamedTempFile::new().expect("keys file");
        std::fs::write(
            keys.path(),
            serde_json::json!({ DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET }).to_string(),
        )
        .expect("write keys");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/official_verifier.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["--upstream", &emulator.base_url(), "--keys"])
            .arg(keys.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the official verifier");
        let stdout = child.stdout.take().expect("verifier stdout");
        let first_line = tokio::time::timeout(Duration::from_secs(30), BufReader::new(stdout).lines().next_line())
            .await
            .expect("the verifier starts within 30 s")
            .expect("read the verifier's first line")
            .expect("the verifier prints its address");
        let url = first_line
            .split_whitespace()
            .last()
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line from the verifier: {first_line}"))
            .to_owned();
        Self {
            child,
            url,
            _keys: keys,
        }
    }

    async fn stats(&self) -> serde_json::Value {
        let body = reqwest::get(format!("{}/__verifier/stats", self.url))
            .await
            .expect("stats request")
            .text()
            .await
            .expect("stats body");
        serde_json::from_str(&body).expect("stats are JSON")
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Runs the binary as the demo operator, through the verifier, with `signature_version`.
async fn dlcauth_through(verifier: &Verifier, signature_version: &str, args: &[&str]) -> Run {
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEMO_ACCESS_KEY_SECRET),
        ("DLCAUTH_ENDPOINT", verifier.url.as_str()),
        ("DLCAUTH_ROLE_ARN", GRANTER_TEMPLATE),
        ("DLCAUTH_SIGNATURE_VERSION", signature_version),
    ];
    dlcauth(args, &env).await
}

/// Asserts the run exited 0 with a report of `status`, showing everything it printed otherwise.
fn assert_status(run: &Run, status: Status, what: &str) {
    assert_eq!(run.code, 0, "{what}:\n{}\n--- stderr ---\n{}", run.stdout, run.stderr);
    assert_eq!(run.report().status, status, "{what}:\n{}", run.stdout);
}

async fn official_sdk_accepts_every_request(signature_version: &str) {
    let Some(python) = sdk_python() else { return };
    let emulator = start(seed()).await;
    let verifier = Verifier::start(&python, &emulator).await;

    // A full grant (AssumeRole, reads, creates, attaches) then the read-only check the issue names.
    let grant = ["grant", "--account-id", ACCOUNT, "--output", "json"];
    let run = dlcauth_through(&verifier, signature_version, &grant).await;
    assert_status(&run, Status::Granted, "grant through the official verifier");
    let check = ["check", "--account-id", ACCOUNT, "--output", "json"];
    let run = dlcauth_through(&verifier, signature_version, &check).await;
    assert_status(&run, Status::Compliant, "check through the official verifier");

    let stats = verifier.stats().await;
    assert_eq!(stats["rejected"], 0, "requests the official SDK code rejected: {stats}");
    assert_eq!(stats["unverifiable"], 0, "requests without a signature: {stats}");
    let verified = stats[signature_version].as_u64().unwrap_or(0);
    assert!(
        verified >= 8,
        "expected the whole grant and check to be verified as {signature_version}: {stats}"
    );
    if signature_version == "v1" {
        // RPC calls went out as V1; nothing else was needed for the default request.
        assert_eq!(stats["v3"], 0, "no V3 request expected in V1 mode: {stats}");
    } else {
        assert_eq!(stats["v1"], 0, "no V1 request expected in V3 mode: {stats}");
    }
}

#[tokio::test]
async fn official_sdk_code_accepts_every_v1_request_of_grant_and_check() {
    official_sdk_accepts_every_request("v1").await;
}

#[tokio::test]
async fn official_sdk_code_accepts_every_v3_request_of_grant_and_check() {
    official_sdk_accepts_every_request("v3").await;
}

/// A team grant adds the calls a plain grant does not make: OSS/NAS activation, ResourceManager,
/// RAM users, and the AIWorkspace ROA calls (always ACS3, even in V1 mode, as the SDK does).
#[tokio::test]
async fn official_sdk_code_accepts_the_rpc_and_roa_requests_of_a_team_grant() {
    let Some(python) = sdk_python() else { return };
    let emulator = start(seed()).await;
    let verifier = Verifier::start(&python, &emulator).await;
    let team_grant = [
        "grant",
        "--account-id",
        ACCOUNT,
        "--workspace-id",
        acs_emulator::DEMO_WORKSPACE_ID,
        "--user",
        "alice:PAI.AlgoDeveloper,PAI.WorkspaceAdmin",
        "--user",
        "bob",
        "--resource-group-id",
        acs_emulator::DEMO_RESOURCE_GROUP_ID,
        "--activate-services",
        "--output",
        "json",
    ];
    let run = dlcauth_through(&verifier, "v1", &team_grant).await;
    assert_status(&run, Status::Granted, "team grant through the official verifier");
    let calls = emulator.calls();
    for action in [
        "CreateMember",
        "AttachPolicy",
        "AttachPolicyToUser",
        "OpenOssService",
        "OpenNASService",
    ] {
        assert!(
            calls
                .iter()
                .any(|c| c.action.as_deref() == Some(action) && c.status == 200),
            "the team grant should call {action} successfully"
        );
    }

    let stats = verifier.stats().await;
    assert_eq!(stats["rejected"], 0, "requests the official SDK code rejected: {stats}");
    assert_eq!(stats["unverifiable"], 0, "requests without a signature: {stats}");
    assert!(
        stats["v1"].as_u64().unwrap_or(0) >= 10,
        "RPC calls verified as V1: {stats}"
    );
    assert!(
        stats["v3"].as_u64().unwrap_or(0) >= 2,
        "AIWorkspace ROA calls verified as ACS3: {stats}"
    );
}
