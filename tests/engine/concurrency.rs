//! Many grants at once on one fresh account converge on exactly one of everything.

use std::time::Duration;

use acs_emulator::Options;
use dlcauth::report::Status;
use dlcauth::{GrantRequest, Trigger};
use futures_util::future::join_all;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_grants_all_succeed_and_create_each_thing_once() {
    // Some latency, so all sixteen read "absent" before any creates: a real race.
    let emulator = start_with(Options {
        seed: seed(),
        latency: Duration::from_millis(20),
        ..Options::default()
    })
    .await;
    // Sixteen independent engines: sixteen cold invocations racing, each with its own AssumeRole.
    let engines: Vec<_> = (0..16).map(|_| engine(&emulator)).collect();
    let request = GrantRequest::for_account(ACCOUNT);
    let reports = join_all(engines.iter().enumerate().map(|(i, e)| {
        let request = &request;
        async move { e.grant(request, Trigger::Cli, &format!("race-{i}")).await }
    }))
    .await;
    for report in &reports {
        assert!(
            matches!(report.status, Status::Granted | Status::Compliant),
            "{}",
            report.to_text()
        );
        assert!(report.verification.complete, "{}", report.to_text());
    }
    let state = emulator.state_json();
    assert_eq!(roles_named(&state, ROLE), 1);
    assert_eq!(policies_named(&state, "PaiDlcOAuthPolicy"), 1);
    assert_eq!(versions(&state, "PaiDlcOAuthPolicy"), vec![("v1".to_owned(), true)]);
    assert_eq!(
        attached(role(&state, ROLE).expect("role")),
        the_three(("System", "AliyunOSSFullAccess"))
    );
    // The race really happened: more than one grant tried to create the role.
    let creates = emulator
        .calls()
        .iter()
        .filter(|c| c.action.as_deref() == Some("CreateRole"))
        .count();
    assert!(
        creates > 1,
        "only {creates} CreateRole call(s): the grants did not overlap"
    );
    let granted = reports.iter().filter(|r| r.status == Status::Granted).count();
    eprintln!("race: {creates} CreateRole calls, {granted} of 16 reports granted, the rest compliant");
}
