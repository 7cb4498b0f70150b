//! Transient faults are retried until the grant converges; permanent errors fail fast.

use acs_emulator::Options;
use dlcauth::report::{Outcome, Status};
use dlcauth::{GrantRequest, Trigger};

use crate::common::*;
use crate::fresh::{full_request, full_seed};

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_converges_under_faults_and_lost_replies() {
    let emulator = start_with(Options {
        seed: full_seed(),
        fault_rate: 0.3,
        lost_reply_rate: 0.3,
        ..Options::default()
    })
    .await;
    // Patient retries: at a 51 % failure rate per write attempt, 20 attempts leave a ~1e-6 chance.
    let client = client_with(
        &emulator.base_url(),
        acs_emulator::DEMO_ACCESS_KEY_ID,
        acs_emulator::DEMO_ACCESS_KEY_SECRET,
        20,
    );
    let engine = engine_with_client(client);
    let request = full_request();
    let report = engine.grant(&request, Trigger::Cli, "faults").await;
    assert!(
        matches!(report.status, Status::Granted | Status::Compliant),
        "{}",
        report.to_text()
    );
    assert!(report.verification.complete, "{}", report.to_text());
    let retried: Vec<(String, u32)> = report
        .steps
        .iter()
        .filter(|s| s.attempts > 1)
        .map(|s| (s.action.clone(), s.attempts))
        .collect();
    eprintln!(
        "faults: {} steps, retried {retried:?}, total attempts {}, {} ms; emulator saw {} calls, {} faulted or lost",
        report.steps.len(),
        report.steps.iter().map(|s| s.attempts).sum::<u32>(),
        report.duration_ms,
        emulator.calls().len(),
        emulator
            .calls()
            .iter()
            .filter(|c| c.status >= 500 || c.code.as_deref().is_some_and(|c| c.starts_with("Throttling")))
            .count()
    );
    assert!(!retried.is_empty(), "the report counts the retries");

    // Converged: with the faults still on, a check finds nothing to do.
    let check = engine.check(&request, Trigger::Cli, "faults-check").await;
    assert_eq!(check.status, Status::Compliant, "{}", check.to_text());
    let state = emulator.state_json();
    assert_eq!(roles_named(&state, ROLE), 1);
    assert_eq!(versions(&state, "PaiDlcOssBucketsPolicy").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_permission_fails_fast_naming_the_step() {
    let emulator = start(seed()).await;
    // The unprivileged user's own keys, no role to assume: every read is refused.
    let client = noperm_client(&emulator);
    let engine = dlcauth::Engine::new(client, dlcauth::EngineConfig::default());
    let report = engine
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "noperm")
        .await;
    assert_eq!(report.status, Status::Failed, "{}", report.to_text());
    let failed = report.first_failure().expect("a failed step");
    assert_eq!(failed.action, "GetRole");
    assert_eq!(failed.target, ROLE);
    assert_eq!(failed.error.as_ref().map(|e| e.code.as_str()), Some("NoPermission"));
    assert!(
        report
            .steps
            .iter()
            .all(|s| s.outcome == Outcome::Failed && s.attempts == 1)
    );
    assert!(report.steps.iter().all(|s| s.request_id.is_some()));
    assert_eq!(write_actions(&emulator.calls()), Vec::<String>::new());
    assert!(!report.verification.complete);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_assume_role_fails_fast_before_any_read() {
    let emulator = start(seed()).await;
    let client = noperm_client(&emulator);
    let report = engine_with_client(client)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "refused")
        .await;
    assert_eq!(report.status, Status::Failed, "{}", report.to_text());
    assert_eq!(report.steps.len(), 1);
    let step = &report.steps[0];
    assert_eq!(step.action, "AssumeRole");
    assert_eq!(step.target, acs_emulator::DEMO_ROLE_ARN);
    assert_eq!(step.attempts, 1);
    assert_eq!(step.error.as_ref().map(|e| e.code.as_str()), Some("NoPermission"));
    let actions: Vec<Option<String>> = emulator.calls().into_iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        vec![Some("AssumeRole".to_owned())],
        "nothing after the refusal"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_endpoint_fails_with_the_error_instead_of_hanging() {
    // A port nobody listens on: bind, learn the port, close.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = client_with(
        &format!("http://127.0.0.1:{port}"),
        acs_emulator::DEMO_ACCESS_KEY_ID,
        acs_emulator::DEMO_ACCESS_KEY_SECRET,
        2,
    );
    let started = std::time::Instant::now();
    let report = engine_with_client(client)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "down")
        .await;
    assert_eq!(report.status, Status::Failed);
    let step = report.first_failure().expect("failed step");
    assert_eq!(step.action, "AssumeRole");
    assert_eq!(step.error.as_ref().map(|e| e.code.as_str()), Some("Transport"));
    assert_eq!(step.attempts, 2, "transport errors are retried as the policy says");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
