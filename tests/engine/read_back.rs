//! The opt-in read-back (`EngineConfig::read_back`), and honest evidence in the verification:
//! evidence says how this run established a fact, attached or not; no evidence = not verified.

use std::time::Duration;

use acs_emulator::Options;
use dlcauth::report::{Evidence, GrantReport, Status};
use dlcauth::{Engine, GrantRequest, Mode, Trigger};

use crate::common::*;
use crate::fresh::{full_request, full_seed};

fn read_back_engine(emulator: &acs_emulator::Emulator) -> Engine {
    let mut config = engine_config();
    config.read_back = true;
    Engine::new(operator_client(emulator), config)
}

/// `(name, attached, evidence)` of every role and user policy, plus the trust policy and custom
/// policy documents as `(what, holds, evidence)`: every verification entry of the report.
fn entries(report: &GrantReport) -> Vec<(String, bool, Option<Evidence>)> {
    let v = &report.verification;
    let mut out = Vec::new();
    if let Some(t) = &v.trust {
        out.push(("trust".to_owned(), t.trusted, t.evidence));
    }
    let policies = v.policies.iter().chain(v.users.iter().flat_map(|u| u.policies.iter()));
    for p in policies {
        out.push((p.name.clone(), p.attached, p.evidence));
        if let Some(d) = &p.document {
            out.push((format!("{} document", p.name), d.current, d.evidence));
        }
    }
    for u in &v.users {
        if u.evidence.is_some() || !u.member {
            out.push((format!("{} membership", u.name), u.member, u.evidence));
        }
    }
    out
}

/// Latency makes concurrent calls overlap on the emulator's counter (see latency.rs).
async fn slow_emulator(seed: acs_emulator::Seed) -> acs_emulator::Emulator {
    start_with(Options {
        seed,
        latency: Duration::from_millis(25),
        ..Options::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_grant_with_read_back_is_verified_by_reads_in_five_waves() {
    let emulator = slow_emulator(seed()).await;
    let report = read_back_engine(&emulator)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "read-back")
        .await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert!(report.verification.complete);
    let entries = entries(&report);
    assert_eq!(entries.len(), 5, "trust, three policies, one document: {entries:?}");
    assert!(
        entries
            .iter()
            .all(|(_, holds, evidence)| *holds && *evidence == Some(Evidence::Read)),
        "{entries:?}"
    );
    let calls = emulator.calls();
    let waves = waves(&calls);
    eprintln!("read-back: fresh grant {waves} waves, {} calls", calls.len());
    // AssumeRole → observe → creates → attaches → read-back.
    assert_eq!(waves, 5);
    // The read-back strictly follows every write.
    let last_write_end = calls.iter().filter(|c| c.write).map(|c| c.end_seq).max();
    let read_back: Vec<&str> = calls
        .iter()
        .filter(|c| last_write_end.is_some_and(|end| c.start_seq > end))
        .filter_map(|c| c.action.as_deref())
        .collect();
    let mut sorted = read_back.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec!["GetRole", "ListPoliciesForRole", "ListPolicyVersions"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn compliant_grant_with_read_back_reads_nothing_more() {
    let emulator = slow_emulator(seed()).await;
    let request = GrantRequest::for_account(ACCOUNT);
    let first = engine(&emulator).grant(&request, Trigger::Cli, "first").await;
    assert_eq!(first.status, Status::Granted);
    let mark = emulator.calls().len();
    let report = read_back_engine(&emulator).grant(&request, Trigger::Cli, "again").await;
    assert_eq!(report.status, Status::Compliant, "{}", report.to_text());
    assert!(
        entries(&report)
            .iter()
            .all(|(_, holds, evidence)| *holds && *evidence == Some(Evidence::Read))
    );
    let calls = calls_since(&emulator, mark);
    assert_eq!(write_actions(&calls), Vec::<String>::new());
    assert_eq!(waves(&calls), 2, "AssumeRole → reads, which are the verification");
    assert_eq!(calls.len(), 4, "AssumeRole and the three observe reads, no read-back");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_option_with_read_back_is_verified_by_reads() {
    let emulator = start(full_seed()).await;
    let report = read_back_engine(&emulator)
        .grant(&full_request(), Trigger::Cli, "full-read-back")
        .await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert!(report.verification.complete, "{}", report.to_text());
    let entries = entries(&report);
    // Users' policies and memberships are read back too.
    assert!(
        entries.iter().any(|(name, _, _)| name == "bob membership"),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .all(|(_, holds, evidence)| *holds && *evidence == Some(Evidence::Read)),
        "{entries:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_assume_role_verifies_nothing() {
    let emulator = start(seed()).await;
    let report = engine_with_client(noperm_client(&emulator))
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "refused")
        .await;
    assert_eq!(report.status, Status::Failed);
    let entries = entries(&report);
    assert!(!entries.is_empty());
    // Nothing was read: every fact is unknown, not "missing".
    assert!(
        entries.iter().all(|(_, holds, evidence)| !holds && evidence.is_none()),
        "{entries:?}"
    );
    let json = serde_json::to_value(&report).expect("serialises");
    let policies = json["verification"]["policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 3);
    assert!(
        policies
            .iter()
            .all(|p| p["attached"] == false && p.get("evidence").is_none()),
        "{policies:?}"
    );
    assert!(report.to_text().contains("not verified"), "{}", report.to_text());
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_check_of_a_fresh_account_read_every_fact_missing() {
    let emulator = start(seed()).await;
    let engine = engine(&emulator);
    let request = GrantRequest::for_account(ACCOUNT);
    for mode in [Mode::DryRun, Mode::Check] {
        let report = engine.run(&request, mode, Trigger::Cli, "look").await;
        let entries = entries(&report);
        assert_eq!(entries.len(), 5, "{entries:?}");
        assert!(
            entries
                .iter()
                .all(|(_, holds, evidence)| !holds && *evidence == Some(Evidence::Read)),
            "{mode:?}: {entries:?}"
        );
        let json = serde_json::to_value(&report).expect("serialises");
        assert!(
            json["verification"]["policies"]
                .as_array()
                .expect("policies")
                .iter()
                .all(|p| p["attached"] == false && p["evidence"] == "read")
        );
        let text = report.to_text();
        assert!(
            text.contains("not attached") && !text.contains("not verified"),
            "{text}"
        );
    }
    assert_eq!(write_actions(&emulator.calls()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_attach_is_not_verified_by_default_and_read_missing_with_read_back() {
    // The granter may create but not attach: the attaches fail with NoPermission.
    let mut seed = seed();
    let restricted = seed
        .policies
        .iter_mut()
        .find(|p| p.name == "DlcauthOperatorPolicy")
        .expect("the operator policy is seeded");
    restricted.document = serde_json::json!({
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ram:AttachPolicyToRole", "Resource": "*"}
        ]
    });
    let emulator = start(seed).await;
    let request = GrantRequest::for_account(ACCOUNT);
    let default = engine(&emulator).grant(&request, Trigger::Cli, "denied").await;
    assert_eq!(default.status, Status::Partial, "{}", default.to_text());
    assert!(
        default
            .verification
            .policies
            .iter()
            .all(|p| !p.attached && p.evidence.is_none())
    );
    let with_read_back = read_back_engine(&emulator)
        .grant(&request, Trigger::Cli, "denied-again")
        .await;
    assert_eq!(with_read_back.status, Status::Partial, "{}", with_read_back.to_text());
    // This time the attaches were the only writes; the read-back saw them missing.
    assert!(
        with_read_back
            .verification
            .policies
            .iter()
            .all(|p| !p.attached && p.evidence == Some(Evidence::Read)),
        "{}",
        with_read_back.to_text()
    );
    assert!(with_read_back.to_text().contains("not attached"));
}
