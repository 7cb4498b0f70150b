//! The latency budget, counted in dependent round-trip waves from the emulator's call log
//! (ordering, not time): ≤ 4 for a fresh account, ≤ 2 for a compliant one, ≤ 1 with the
//! assumed-role credentials cached.

use std::time::Duration;

use acs_emulator::Options;
use dlcauth::report::Status;
use dlcauth::{GrantRequest, Trigger};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn fresh_compliant_and_cached_grants_stay_within_their_wave_budgets() {
    // Calls that are in flight together overlap on the emulator's counter only if they take
    // some time; without latency the emulator could finish one before the next arrives.
    let emulator = start_with(Options {
        seed: seed(),
        latency: Duration::from_millis(25),
        ..Options::default()
    })
    .await;
    let request = GrantRequest::for_account(ACCOUNT);

    let cold = engine(&emulator);
    let fresh = cold.grant(&request, Trigger::Cli, "fresh").await;
    assert_eq!(fresh.status, Status::Granted, "{}", fresh.to_text());
    let fresh_calls = emulator.calls();
    let fresh_waves = waves(&fresh_calls);

    let mark = emulator.calls().len();
    let compliant = engine(&emulator).grant(&request, Trigger::Cli, "compliant").await;
    assert_eq!(compliant.status, Status::Compliant);
    let compliant_calls = calls_since(&emulator, mark);
    let compliant_waves = waves(&compliant_calls);

    let mark = emulator.calls().len();
    let cached = cold.grant(&request, Trigger::Cli, "cached").await;
    assert_eq!(cached.status, Status::Compliant);
    let cached_calls = calls_since(&emulator, mark);
    let cached_waves = waves(&cached_calls);

    eprintln!(
        "waves: fresh {fresh_waves} ({} calls, {} ms), compliant {compliant_waves} ({} calls, {} ms), cached {cached_waves} ({} calls, {} ms)",
        fresh_calls.len(),
        fresh.duration_ms,
        compliant_calls.len(),
        compliant.duration_ms,
        cached_calls.len(),
        cached.duration_ms
    );
    assert!(fresh_waves <= 4, "fresh: {fresh_waves} waves");
    assert!(compliant_waves <= 2, "compliant: {compliant_waves} waves");
    assert!(cached_waves <= 1, "cached: {cached_waves} waves");
    assert!(
        !cached_calls.iter().any(|c| c.action.as_deref() == Some("AssumeRole")),
        "cached credentials are reused"
    );
    // The budgets are tight, not loose: each case really takes that many waves.
    assert_eq!((fresh_waves, compliant_waves, cached_waves), (4, 2, 1));
}
