//! policies/operator-policy.json is sufficient (every grant path succeeds with exactly it) and
//! minimal (without any one of its actions, some grant path fails with NoPermission at the step
//! calling that action).

use acs::api::ram;
use acs_emulator::{Seed, SeedPolicy, SeedPolicyRef, SeedRole};
use dlcauth::report::Status;
use dlcauth::{GrantReport, GrantRequest, Trigger};
use serde_json::{Value, json};

use crate::common::*;
use crate::fresh::{full_request, full_seed};

const POLICY_FILE: &str = include_str!("../../policies/operator-policy.json");

fn actions_in_file() -> Vec<String> {
    let doc: Value = serde_json::from_str(POLICY_FILE).expect("the operator policy is JSON");
    let statements = doc["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 1, "one Allow statement");
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(statements[0]["Resource"], "*");
    statements[0]["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a.as_str().expect("string").to_owned())
        .collect()
}

fn with_operator_policy(mut seed: Seed, document: Value) -> Seed {
    let policy = seed
        .policies
        .iter_mut()
        .find(|p| p.name == acs_emulator::DEMO_OPERATOR_POLICY_NAME)
        .expect("the demo seed has the operator policy");
    policy.document = document;
    seed
}

fn without(action: &str) -> Value {
    let mut doc: Value = serde_json::from_str(POLICY_FILE).expect("JSON");
    if let Some(list) = doc["Statement"][0]["Action"].as_array_mut() {
        list.retain(|a| a.as_str() != Some(action));
    }
    doc
}

/// A role that needs its trust fixed and a policy at the version limit: the drift paths.
fn drift_seed(seed: Seed) -> Seed {
    let mut seed = seed;
    seed.policies.push(SeedPolicy {
        name: "PaiDlcOAuthPolicy".into(),
        document: json!({"Version": "1", "Statement": [{"Action": "ram:GetDefaultDomain", "Resource": "*", "Effect": "Allow"}]}),
        description: None,
    });
    seed.roles.push(SeedRole {
        name: ROLE.into(),
        trust_policy: json!({"Version": "1", "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                                           "Principal": {"Service": ["ecs.aliyuncs.com"]}}]}),
        policies: vec![SeedPolicyRef {
            kind: "Custom".into(),
            name: "PaiDlcOAuthPolicy".into(),
        }],
        description: None,
        max_session_duration: None,
    });
    seed
}

async fn fill_versions(emulator: &acs_emulator::Emulator) {
    let admin = admin_client(emulator);
    for i in 0..4 {
        admin
            .call(&ram::CreatePolicyVersion {
                policy_name: "PaiDlcOAuthPolicy".into(),
                policy_document: format!(
                    r#"{{"Version":"1","Statement":[{{"Action":"ram:GetDefaultDomain{i}","Resource":"*","Effect":"Allow"}}]}}"#
                ),
                set_as_default: Some(false),
                rotate_strategy: None,
            })
            .await
            .expect("seeding a version");
    }
}

/// The grant scenarios between them exercise every call the engine makes.
async fn scenarios(operator_policy: Value) -> Vec<(&'static str, GrantReport)> {
    let mut reports = Vec::new();

    let emulator = start(with_operator_policy(full_seed(), operator_policy.clone())).await;
    let report = engine(&emulator)
        .grant(&full_request(), Trigger::Cli, "every-option")
        .await;
    reports.push(("every option", report));

    let emulator = start(with_operator_policy(seed(), operator_policy.clone())).await;
    let report = engine(&emulator)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "default")
        .await;
    reports.push(("default", report));

    let emulator = start(drift_seed(with_operator_policy(seed(), operator_policy))).await;
    fill_versions(&emulator).await;
    let report = engine(&emulator)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "drift")
        .await;
    reports.push(("drift at the version limit", report));
    reports
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_policy_is_sufficient_for_every_grant_path() {
    let document: Value = serde_json::from_str(POLICY_FILE).expect("JSON");
    for (name, report) in scenarios(document).await {
        assert_eq!(report.status, Status::Granted, "{name}: {}", report.to_text());
        assert!(report.verification.complete, "{name}: {}", report.to_text());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_policy_is_minimal() {
    let actions = actions_in_file();
    assert!(!actions.is_empty());
    let mut unique = actions.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), actions.len(), "no duplicates");
    for action in actions {
        let api = action.split_once(':').map(|(_, a)| a).unwrap_or(&action).to_owned();
        let reports = scenarios(without(&action)).await;
        let refused = reports.iter().find_map(|(name, report)| {
            report
                .steps
                .iter()
                .find(|s| {
                    s.action.eq_ignore_ascii_case(&api) && s.error.as_ref().is_some_and(|e| e.code == "NoPermission")
                })
                .map(|s| (*name, report.status, s.attempts))
        });
        let Some((scenario, status, attempts)) = refused else {
            panic!(
                "without {action} every scenario still works: remove it from policies/operator-policy.json\n{}",
                reports
                    .iter()
                    .map(|(n, r)| format!("{n}: {}", r.to_text()))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        };
        assert!(
            matches!(status, Status::Failed | Status::Partial),
            "{action} in {scenario}"
        );
        assert_eq!(attempts, 1, "{action}: a permission error is not retried");
    }
}
