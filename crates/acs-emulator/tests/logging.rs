//! The per-request log lines: one per call, naming action, caller AccessKeyId, status, code and
//! latency — and never a secret, token or signature. Its own test binary, because it installs
//! the process-wide tracing subscriber.

// Helpers fail the calling test by panicking, like the `expect`s inside `#[test]` functions.
#![allow(clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn log_lines_name_the_call_but_never_a_secret() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .init();
    let emulator = acs_emulator::start_on_loopback(test_options()).await.expect("starts");
    let client = Client::new(&emulator.base_url());
    let sts = client.assume_test_role().await;
    client
        .v3(&sts, "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)])
        .await
        .ok();
    let bad = Tweak {
        sign_secret: Some("wrong".into()),
        ..Tweak::default()
    };
    let reply = client.v1_with(&sts, "GetRole", RAM, &[("RoleName", "x")], &bad).await;
    reply.err(400, "SignatureDoesNotMatch");
    emulator.shutdown().await;

    let logs = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
    let calls: Vec<&str> = logs.lines().filter(|l| l.contains(" call ")).collect();
    assert_eq!(calls.len(), 3, "one line per call:\n{logs}");
    assert!(
        calls[0].contains("action=\"AssumeRole\"") && calls[0].contains(DEMO_ACCESS_KEY_ID),
        "{}",
        calls[0]
    );
    assert!(
        calls[1].contains("action=\"GetRole\"") && calls[1].contains("status=200"),
        "{}",
        calls[1]
    );
    assert!(
        calls[1].contains(&sts.id) && calls[1].contains("latency_ms="),
        "{}",
        calls[1]
    );
    assert!(calls[2].contains("code=\"SignatureDoesNotMatch\""), "{}", calls[2]);
    let token = sts.token.as_deref().expect("token");
    for secret in [
        DEMO_ACCESS_KEY_SECRET,
        sts.secret.as_str(),
        token,
        "Signature=",
        "ACS3-HMAC-SHA256 ",
    ] {
        assert!(!logs.contains(secret), "the logs contain {secret:?}:\n{logs}");
    }
}
