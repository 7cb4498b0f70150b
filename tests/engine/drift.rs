//! Drift: each way a once-compliant account can differ, repaired by adding (never removing).

use acs::api::ram;
use acs_emulator::{Options, Seed, SeedPolicy, SeedPolicyRef, SeedRole};
use dlcauth::desired::OAUTH_POLICY_DOCUMENT;
use dlcauth::policy_doc::{normalize, semantically_equal, trusts_service};
use dlcauth::report::{Outcome, Status};
use dlcauth::{GrantRequest, Trigger};
use serde_json::{Value, json};

use crate::common::*;

fn policy_ref(kind: &str, name: &str) -> SeedPolicyRef {
    SeedPolicyRef {
        kind: kind.into(),
        name: name.into(),
    }
}

fn pai_trust() -> Value {
    json!({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                           "Principal": {"Service": ["pai.aliyuncs.com"]}}], "Version": "1"})
}

/// An account as a successful grant leaves it, with `trust`, `oauth_document` and attachments
/// `attach` instead of the compliant ones.
fn seeded(trust: Value, oauth_document: &str, attach: &[(&str, &str)]) -> Seed {
    let mut seed = seed();
    seed.policies.push(SeedPolicy {
        name: "PaiDlcOAuthPolicy".into(),
        document: serde_json::from_str(oauth_document).expect("JSON"),
        description: None,
    });
    seed.roles.push(SeedRole {
        name: ROLE.into(),
        trust_policy: trust,
        policies: attach.iter().map(|(k, n)| policy_ref(k, n)).collect(),
        description: None,
        max_session_duration: None,
    });
    seed
}

const ALL_THREE: &[(&str, &str)] = &[
    ("System", "AliyunPAIDLCDefaultRolePolicy"),
    ("System", "AliyunOSSFullAccess"),
    ("Custom", "PaiDlcOAuthPolicy"),
];

const DRIFTED: &str = r#"{"Version":"1","Statement":[{"Action":["ram:GetDefaultDomain","ram:ListApplications"],"Resource":["*"],"Effect":"Allow"}]}"#;

async fn grant(emulator: &acs_emulator::Emulator) -> (dlcauth::GrantReport, Vec<String>) {
    let before = emulator.calls().len();
    let report = engine(emulator)
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "drift")
        .await;
    let writes = write_actions(&calls_since(emulator, before));
    (report, writes)
}

fn changed(report: &dlcauth::GrantReport) -> Vec<(String, Outcome)> {
    report
        .steps
        .iter()
        .filter(|s| s.outcome != Outcome::Unchanged)
        .map(|s| (s.action.clone(), s.outcome))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_compliant_seed_is_compliant() {
    let emulator = start(seeded(pai_trust(), OAUTH_POLICY_DOCUMENT, ALL_THREE)).await;
    let (report, writes) = grant(&emulator).await;
    assert_eq!(report.status, Status::Compliant, "{}", report.to_text());
    assert!(writes.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_policy_without_pai_gets_pai_added_and_keeps_other_statements() {
    let other = json!({"Statement": [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}},
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"RAM": [format!("acs:ram::{ACCOUNT}:root")]},
         "Condition": {"StringEquals": {"sts:ExternalId": "keep-me"}}}
    ], "Version": "1"});
    let emulator = start(seeded(other.clone(), OAUTH_POLICY_DOCUMENT, ALL_THREE)).await;
    let (report, writes) = grant(&emulator).await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert_eq!(changed(&report), vec![("UpdateRole".into(), Outcome::Updated)]);
    assert_eq!(writes, vec!["UpdateRole".to_owned()]);

    let trust = trust_document(&emulator.state_json(), ROLE).expect("role");
    assert!(trusts_service(&trust, "pai.aliyuncs.com"));
    let before = normalize(&other.to_string()).expect("parses");
    let after = normalize(&trust).expect("parses");
    assert_ne!(before, after);
    // Every original statement is still there, verbatim in meaning.
    for statement in other["Statement"].as_array().expect("statements") {
        let single = json!({"Version": "1", "Statement": [statement]}).to_string();
        let found = serde_json::from_str::<Value>(&trust).expect("JSON")["Statement"]
            .as_array()
            .expect("statements")
            .iter()
            .any(|s| semantically_equal(&single, &json!({"Version": "1", "Statement": [s]}).to_string()));
        assert!(found, "lost {statement}");
    }
    let (again, writes) = grant(&emulator).await;
    assert_eq!(again.status, Status::Compliant);
    assert!(writes.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_policy_document_gets_a_new_default_version() {
    let emulator = start(seeded(pai_trust(), DRIFTED, ALL_THREE)).await;
    let (report, writes) = grant(&emulator).await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert_eq!(changed(&report), vec![("CreatePolicyVersion".into(), Outcome::Updated)]);
    assert_eq!(writes, vec!["CreatePolicyVersion".to_owned()]);
    let state = emulator.state_json();
    assert_eq!(
        versions(&state, "PaiDlcOAuthPolicy"),
        vec![("v1".to_owned(), false), ("v2".to_owned(), true)]
    );
    let current = default_document(&state, "PaiDlcOAuthPolicy").expect("policy");
    assert!(semantically_equal(&current, OAUTH_POLICY_DOCUMENT));
}

/// Fills the drifted OAuth policy up to the limit: v1 (seeded), v2, v3 = default, v4, v5, so the
/// oldest non-default version is v1, not the default v3.
async fn fill_to_five_versions(emulator: &acs_emulator::Emulator) {
    let admin = admin_client(emulator);
    for (i, set_default) in [false, true, false, false].into_iter().enumerate() {
        let document = DRIFTED.replace("ram:ListApplications", &format!("ram:ListApplications{i}"));
        admin
            .call(&ram::CreatePolicyVersion {
                policy_name: "PaiDlcOAuthPolicy".into(),
                policy_document: document,
                set_as_default: Some(set_default),
                rotate_strategy: None,
            })
            .await
            .expect("seeding a version");
    }
    let seeded_versions = versions(&emulator.state_json(), "PaiDlcOAuthPolicy");
    assert_eq!(seeded_versions.len(), 5);
    assert_eq!(
        seeded_versions
            .iter()
            .filter(|(_, d)| *d)
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>(),
        vec!["v3"]
    );
}

/// After a grant on [`fill_to_five_versions`]: v1 (the oldest non-default) is gone, the old
/// default v3 is kept, and the new default v6 holds the documented statement.
fn assert_only_v1_replaced_by_a_current_v6(state: &Value) {
    let mut after = versions(state, "PaiDlcOAuthPolicy");
    after.sort();
    assert_eq!(
        after,
        vec![
            ("v2".to_owned(), false),
            ("v3".to_owned(), false),
            ("v4".to_owned(), false),
            ("v5".to_owned(), false),
            ("v6".to_owned(), true)
        ]
    );
    assert!(semantically_equal(
        &default_document(state, "PaiDlcOAuthPolicy").expect("policy"),
        OAUTH_POLICY_DOCUMENT
    ));
}

fn count(calls: &[acs_emulator::CallRecord], action: &str) -> usize {
    calls.iter().filter(|c| c.action.as_deref() == Some(action)).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn at_five_versions_the_oldest_non_default_is_deleted_first() {
    let emulator = start(seeded(pai_trust(), DRIFTED, ALL_THREE)).await;
    fill_to_five_versions(&emulator).await;

    let (report, writes) = grant(&emulator).await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert_eq!(
        changed(&report),
        vec![
            ("DeletePolicyVersion".into(), Outcome::Updated),
            ("CreatePolicyVersion".into(), Outcome::Updated)
        ]
    );
    let deleted = report
        .steps
        .iter()
        .find(|s| s.action == "DeletePolicyVersion")
        .map(|s| s.target.clone());
    assert_eq!(deleted.as_deref(), Some("PaiDlcOAuthPolicy/v1"));
    assert_eq!(
        writes,
        vec!["DeletePolicyVersion".to_owned(), "CreatePolicyVersion".to_owned()]
    );
    let state = emulator.state_json();
    assert_only_v1_replaced_by_a_current_v6(&state);
}

/// The emulator applies every write and then loses its reply (an InternalError instead), which
/// the client retries. CreatePolicyVersion is not idempotent: a blind retry would add a version
/// per attempt and eat the five-version limit.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_create_policy_version_reply_adds_exactly_one_version() {
    let emulator = start_with(Options {
        seed: seeded(pai_trust(), DRIFTED, ALL_THREE),
        lost_reply_rate: 1.0,
        ..Options::default()
    })
    .await;
    let before = emulator.calls().len();
    let (report, _) = grant(&emulator).await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert_eq!(changed(&report), vec![("CreatePolicyVersion".into(), Outcome::Updated)]);
    assert_eq!(count(&calls_since(&emulator, before), "CreatePolicyVersion"), 1);
    let state = emulator.state_json();
    assert_eq!(
        versions(&state, "PaiDlcOAuthPolicy"),
        vec![("v1".to_owned(), false), ("v2".to_owned(), true)]
    );
    let (again, writes) = grant(&emulator).await;
    assert_eq!(again.status, Status::Compliant, "{}", again.to_text());
    assert!(writes.is_empty(), "{writes:?}");
}

/// At the limit, with every reply lost: the oldest non-default version goes (its retried delete
/// finds it gone), one new default is created, the previous default stays, nothing is detached.
#[tokio::test(flavor = "multi_thread")]
async fn lost_replies_at_the_version_limit_never_exceed_it_nor_delete_the_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state_file = dir.path().join("state.json");
    let options = |lost_reply_rate: f64| Options {
        seed: seeded(pai_trust(), DRIFTED, ALL_THREE),
        lost_reply_rate,
        state_file: Some(state_file.clone()),
        ..Options::default()
    };
    // Filled without faults, then served again from the same state with every reply lost.
    let filling = start_with(options(0.0)).await;
    fill_to_five_versions(&filling).await;
    filling.shutdown().await;
    let emulator = start_with(options(1.0)).await;

    let before = emulator.calls().len();
    let (report, _) = grant(&emulator).await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    let calls = calls_since(&emulator, before);
    assert_eq!(count(&calls, "CreatePolicyVersion"), 1);
    assert_eq!(
        (
            count(&calls, "DetachPolicyFromRole"),
            count(&calls, "SetDefaultPolicyVersion")
        ),
        (0, 0)
    );
    let state = emulator.state_json();
    assert_only_v1_replaced_by_a_current_v6(&state);
    assert_eq!(
        attached(role(&state, ROLE).expect("role")),
        the_three(("System", "AliyunOSSFullAccess"))
    );
    let (again, writes) = grant(&emulator).await;
    assert_eq!(again.status, Status::Compliant, "{}", again.to_text());
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detached_policy_is_reattached_and_nothing_else_is_written() {
    let two = &[ALL_THREE[0], ALL_THREE[2]];
    let emulator = start(seeded(pai_trust(), OAUTH_POLICY_DOCUMENT, two)).await;
    let (report, writes) = grant(&emulator).await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert_eq!(changed(&report), vec![("AttachPolicyToRole".into(), Outcome::Attached)]);
    assert_eq!(writes, vec!["AttachPolicyToRole".to_owned()]);
    let state = emulator.state_json();
    assert_eq!(
        attached(role(&state, ROLE).expect("role")),
        the_three(("System", "AliyunOSSFullAccess"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn extra_policies_on_the_role_are_left_alone() {
    let mut four = ALL_THREE.to_vec();
    four.push(("System", "AliyunNASFullAccess"));
    let emulator = start(seeded(pai_trust(), OAUTH_POLICY_DOCUMENT, &four)).await;
    let (report, writes) = grant(&emulator).await;
    assert_eq!(report.status, Status::Compliant);
    assert!(writes.is_empty());
    assert_eq!(attached(role(&emulator.state_json(), ROLE).expect("role")).len(), 4);
}
