//! Alibaba's official Python SDK against the emulator: runs `tests/sdk/scenario.py` (default V3
//! signing and `signature_algorithm='v2'`) against an emulator started on loopback.
//!
//! The emulator runs `tests/sdk/seed.json`: the demo keys, users and workspace, and a role
//! `sdk-scenario` (AdministratorAccess) the scenario assumes, so it proves wire fidelity
//! independently of `policies/operator-policy.json`.
//!
//! The interpreter is `$DLCAUTH_SDK_PYTHON`, else `<workspace>/.venv-sdk/bin/python` (created by
//! `make sdk-venv`). Without either the test fails, unless `DLCAUTH_SKIP_SDK_TESTS=1`.

use std::path::PathBuf;
use std::time::Duration;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("DLCAUTH_SDK_PYTHON").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.exists() {
            Ok(path)
        } else {
            Err(format!(
                "DLCAUTH_SDK_PYTHON={} does not exist; run `make sdk-venv`",
                path.display()
            ))
        };
    }
    let venv = workspace_root().join(".venv-sdk/bin/python");
    if venv.exists() {
        Ok(venv)
    } else {
        Err(format!(
            "no Python with the official Alibaba Cloud SDK: {} is missing and DLCAUTH_SDK_PYTHON is unset. \
             Run `make sdk-venv` (or set DLCAUTH_SKIP_SDK_TESTS=1 to skip this test explicitly).",
            venv.display()
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_sdk_runs_the_scenario_in_v3_and_v1_modes() {
    if std::env::var("DLCAUTH_SKIP_SDK_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("skipped: DLCAUTH_SKIP_SDK_TESTS=1");
        return;
    }
    let python = python().unwrap_or_else(|message| panic!("{message}"));
    let seed =
        acs_emulator::Seed::from_file(workspace_root().join("tests/sdk/seed.json")).expect("tests/sdk/seed.json");
    let emulator = acs_emulator::start_on_loopback(acs_emulator::Options {
        seed,
        ..acs_emulator::Options::default()
    })
    .await
    .expect("emulator starts");
    let scenario = workspace_root().join("tests/sdk/scenario.py");
    let run = tokio::process::Command::new(&python)
        .arg(&scenario)
        .arg("--endpoint")
        .arg(emulator.addr().to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the scenario finished within 180 s")
        .expect("the scenario ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK scenario failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // ", 0 failed", not "0 failed", which "10 failed" also contains.
    assert!(stdout.contains(", 0 failed"), "{stdout}");
    // Both signing modes reached the emulator, and every call the SDK made was answered as expected.
    let calls = emulator.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.action.as_deref() == Some("CreateMember") && c.status == 200)
    );
    assert!(
        calls
            .iter()
            .filter(|c| c.action.as_deref() == Some("AssumeRole") && c.status == 200)
            .count()
            >= 2
    );
    assert!(
        calls.iter().all(|c| c.code.as_deref() != Some("SignatureDoesNotMatch")),
        "{calls:?}"
    );
    emulator.shutdown().await;
}
