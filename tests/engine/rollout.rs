//! Many accounts through one engine: bounded, paced, one report each.

use std::time::{Duration, Instant};

use dlcauth::GrantRequest;
use dlcauth::report::Status;
use dlcauth::rollout::{RolloutOptions, run};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn rollout_reports_every_account_paced_by_the_rate_limit() {
    // Latency so that calls in flight together overlap on the emulator's counter.
    let emulator = start_with(acs_emulator::Options {
        seed: seed(),
        latency: Duration::from_millis(10),
        ..acs_emulator::Options::default()
    })
    .await;
    let engine = engine(&emulator);
    // Only the first account exists in the emulator; the others fail at AssumeRole.
    let accounts: Vec<String> = [
        "1234567890123456",
        "2234567890123456",
        "3234567890123456",
        "4234567890123456",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let options = RolloutOptions {
        concurrency: 4,
        max_rate: 10.0,
        check_only: false,
    };
    let started = Instant::now();
    let mut seen = Vec::new();
    let summary = run(
        &engine,
        &accounts,
        &GrantRequest::for_account(ACCOUNT),
        &options,
        "rollout",
        |report| seen.push((report.account_id.clone(), report.status)),
    )
    .await;
    // Four starts at 10/s: the last starts no earlier than 300 ms after the first.
    assert!(
        started.elapsed() >= Duration::from_millis(290),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seen.len(), 4);
    assert!(seen.contains(&(ACCOUNT.to_owned(), Status::Granted)));
    assert_eq!((summary.total, summary.granted, summary.failed), (4, 1, 3));
    assert!(!summary.all_succeeded());
    let assume_roles = emulator
        .calls()
        .iter()
        .filter(|c| c.action.as_deref() == Some("AssumeRole"))
        .count();
    assert_eq!(assume_roles, 4, "one AssumeRole per account");

    // Again, check only: the granted account is compliant and costs no AssumeRole (cached).
    let mark = emulator.calls().len();
    let options = RolloutOptions {
        check_only: true,
        ..options
    };
    let summary = run(
        &engine,
        &accounts[..1],
        &GrantRequest::for_account(ACCOUNT),
        &options,
        "again",
        |_| {},
    )
    .await;
    assert_eq!((summary.total, summary.compliant), (1, 1));
    let calls = calls_since(&emulator, mark);
    assert!(
        calls
            .iter()
            .all(|c| !c.write && c.action.as_deref() != Some("AssumeRole"))
    );
    assert_eq!(waves(&calls), 1, "a compliant account costs one read wave");
}
