//! The `acs-emulator` binary: prints its address, serves, and stops cleanly on SIGTERM.

// Helpers fail the calling test by panicking, like the `expect`s inside `#[test]` functions.
#![allow(clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Kills the child if a test fails before stopping it.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Guard, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_acs-emulator"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn acs-emulator");
    let stdout = child.stdout.take().expect("stdout");
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("first line");
    let url = line
        .trim()
        .strip_prefix("acs-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (guard, url)
}

#[tokio::test]
async fn prints_its_address_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().expect("utf-8 path");
    let (mut guard, url) = spawn(&["--listen", "127.0.0.1:0", "--state", state_arg, "--latency-ms", "1"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let client = Client::new(&url);
    client.v3(&Key::operator(), "GetCallerIdentity", STS, &[]).await.ok();
    assert_eq!(
        client.get("/__emulator/state").await["accountId"],
        acs_emulator::DEMO_ACCOUNT_ID
    );
    assert!(state.exists());

    let pid = guard.0.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = guard.0.try_wait().expect("wait") {
            assert!(exit.success(), "exit status {exit:?}");
            break;
        }
        assert!(Instant::now() < deadline, "still running 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn refuses_rates_outside_zero_to_one() {
    let output = Command::new(env!("CARGO_BIN_EXE_acs-emulator"))
        .args(["--listen", "127.0.0.1:0", "--fault-rate", "1.5"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "usage error");
    assert!(String::from_utf8_lossy(&output.stderr).contains("between 0 and 1"));
}

#[test]
fn refuses_an_inconsistent_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"accountId":"1","accessKeys":[{"accessKeyId":"AK","accessKeySecret":"S","principal":{"type":"user","name":"ghost"}}]}"#,
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_acs-emulator"))
        .args(["--listen", "127.0.0.1:0", "--seed", seed.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ghost"));
}

#[tokio::test]
async fn serves_a_custom_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"accountId":"5555",
            "accessKeys":[{"accessKeyId":"AKroot","accessKeySecret":"rootsecret","principal":{"type":"account"}},
                          {"accessKeyId":"AKfc","accessKeySecret":"fcsecret","securityToken":"fc-token",
                           "principal":{"type":"role","name":"fc-role"}}],
            "roles":[{"name":"fc-role","trustPolicy":{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"fc.aliyuncs.com"}}]},
                      "policies":[{"type":"System","name":"AliyunRAMReadOnlyAccess"}]}]}"#,
    )
    .expect("write");
    let (_guard, url) = spawn(&["--listen", "127.0.0.1:0", "--seed", seed.to_str().expect("utf-8")]);
    let client = Client::new(&url);
    let root = Key {
        id: "AKroot".into(),
        secret: "rootsecret".into(),
        token: None,
    };
    let me = client.v3(&root, "GetCallerIdentity", STS, &[]).await.ok();
    assert_eq!(me["IdentityType"], "Account");
    assert_eq!(me["AccountId"], "5555");
    let fc = Key {
        id: "AKfc".into(),
        secret: "fcsecret".into(),
        token: Some("fc-token".into()),
    };
    client.v3(&fc, "GetRole", RAM, &[("RoleName", "fc-role")]).await.ok();
    client.create_role(&fc, "x").await.err(403, "NoPermission");
    let no_token = Key { token: None, ..fc };
    client
        .v3(&no_token, "GetRole", RAM, &[("RoleName", "fc-role")])
        .await
        .err(400, "MissingSecurityToken");
}

/// A start-up failure is a configuration mistake: one `error:` line naming the file and the
/// cause once, never a "Caused by:" repeat or a stack trace, even with RUST_BACKTRACE set.
#[test]
fn start_up_errors_are_one_line_without_a_backtrace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing-seed.json");
    let corrupt = dir.path().join("state.json");
    std::fs::write(&corrupt, "{\"accountId\": ").expect("write");
    let cases = [
        vec!["--seed".to_owned(), missing.display().to_string()],
        vec!["--state".to_owned(), corrupt.display().to_string()],
        vec![
            "--state".to_owned(),
            dir.path().join("no-dir").join("s.json").display().to_string(),
        ],
    ];
    for case in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_acs-emulator"))
            .args(["--listen", "127.0.0.1:0"])
            .args(&case)
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{case:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.trim_end().lines().collect();
        assert_eq!(lines.len(), 1, "{case:?}: one line, got {stderr}");
        assert!(lines[0].starts_with("error: "), "{}", lines[0]);
        assert!(lines[0].contains(&case[1]), "names the file: {}", lines[0]);
        let cause_repeats = lines[0].matches("os error 2").count();
        assert!(cause_repeats <= 1, "the cause once: {}", lines[0]);
    }
}
