//! A fresh account: granted, then compliant; dry runs and checks write nothing.

use dlcauth::policy_doc::{semantically_equal, trusts_service};
use dlcauth::report::{Evidence, Outcome, Status};
use dlcauth::{GrantRequest, Mode, Trigger, UserGrant};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn fresh_account_is_granted_with_role_trust_and_three_attachments() {
    let emulator = start(seed()).await;
    let engine = engine(&emulator);
    let report = engine
        .grant(&GrantRequest::for_account(ACCOUNT), Trigger::Cli, "fresh-1")
        .await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert!(report.verification.complete);
    assert!(
        report
            .verification
            .policies
            .iter()
            .all(|p| p.attached && p.evidence == Some(Evidence::Write))
    );
    let outcomes: Vec<(&str, Outcome)> = report.steps.iter().map(|s| (s.action.as_str(), s.outcome)).collect();
    assert_eq!(
        outcomes,
        vec![
            ("CreateRole", Outcome::Created),
            ("CreatePolicy", Outcome::Created),
            ("AttachPolicyToRole", Outcome::Attached),
            ("AttachPolicyToRole", Outcome::Attached),
            ("AttachPolicyToRole", Outcome::Attached),
        ]
    );
    assert!(report.steps.iter().all(|s| s.request_id.is_some() && s.attempts == 1));

    let state = emulator.state_json();
    let role = role(&state, ROLE).expect("the role exists");
    assert!(trusts_service(&role["trustPolicy"].to_string(), "pai.aliyuncs.com"));
    assert_eq!(attached(role), the_three(("System", "AliyunOSSFullAccess")));
    let oauth = default_document(&state, "PaiDlcOAuthPolicy").expect("the OAuth policy exists");
    assert!(semantically_equal(&oauth, dlcauth::desired::OAUTH_POLICY_DOCUMENT));
    assert_eq!(report.role.arn, role["arn"].as_str().unwrap_or_default());
    // The granter role is not touched.
    assert_eq!(
        attached(crate::common::role(&state, "dlcauth-granter").expect("granter")),
        vec![("Custom".to_owned(), "DlcauthOperatorPolicy".to_owned())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn second_run_is_compliant_with_zero_writes() {
    let emulator = start(seed()).await;
    let request = GrantRequest::for_account(ACCOUNT);
    let first = engine(&emulator).grant(&request, Trigger::Cli, "run-1").await;
    assert_eq!(first.status, Status::Granted);
    let before = emulator.calls().len();
    let second = engine(&emulator).grant(&request, Trigger::Cli, "run-2").await;
    assert_eq!(second.status, Status::Compliant, "{}", second.to_text());
    assert!(second.verification.complete);
    assert!(
        second
            .verification
            .policies
            .iter()
            .all(|p| p.evidence == Some(Evidence::Read))
    );
    assert!(second.steps.iter().all(|s| s.outcome == Outcome::Unchanged));
    let calls = calls_since(&emulator, before);
    assert!(!calls.is_empty());
    assert_eq!(
        write_actions(&calls),
        Vec::<String>::new(),
        "a compliant account is not written to"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_plans_every_step_and_writes_nothing() {
    let emulator = start(seed()).await;
    let mut request = GrantRequest::for_account(ACCOUNT);
    request.dry_run = true;
    let report = engine(&emulator).grant(&request, Trigger::Cli, "dry").await;
    assert_eq!(report.status, Status::Planned, "{}", report.to_text());
    let planned: Vec<(&str, &str, Option<u32>)> = report
        .steps
        .iter()
        .map(|s| (s.action.as_str(), s.target.as_str(), s.wave))
        .collect();
    assert_eq!(
        planned,
        vec![
            ("CreateRole", "AliyunPAIDLCDefaultRole", Some(1)),
            ("CreatePolicy", "PaiDlcOAuthPolicy", Some(1)),
            (
                "AttachPolicyToRole",
                "AliyunPAIDLCDefaultRole/AliyunPAIDLCDefaultRolePolicy",
                Some(2)
            ),
            (
                "AttachPolicyToRole",
                "AliyunPAIDLCDefaultRole/AliyunOSSFullAccess",
                Some(2)
            ),
            (
                "AttachPolicyToRole",
                "AliyunPAIDLCDefaultRole/PaiDlcOAuthPolicy",
                Some(2)
            ),
        ]
    );
    assert!(report.steps.iter().all(|s| s.outcome == Outcome::Planned));
    assert!(!report.verification.complete);
    assert_eq!(write_actions(&emulator.calls()), Vec::<String>::new());
    assert!(role(&emulator.state_json(), ROLE).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn check_is_noncompliant_before_and_compliant_after_a_grant() {
    let emulator = start(seed()).await;
    let engine = engine(&emulator);
    let request = GrantRequest::for_account(ACCOUNT);
    let before = engine.check(&request, Trigger::Cli, "check-1").await;
    assert_eq!(before.status, Status::Noncompliant, "{}", before.to_text());
    assert_eq!(before.steps.len(), 5);
    assert!(before.steps.iter().all(|s| s.outcome == Outcome::Planned));
    assert_eq!(write_actions(&emulator.calls()), Vec::<String>::new());

    assert_eq!(
        engine.grant(&request, Trigger::Cli, "grant").await.status,
        Status::Granted
    );
    let after = engine.run(&request, Mode::Check, Trigger::Cli, "check-2").await;
    assert_eq!(after.status, Status::Compliant);
    assert!(after.verification.complete);
}

/// Every option at once: least-privilege buckets, resource-group scope, users with policies and
/// workspace roles (one already a member), service activation.
pub fn full_request() -> GrantRequest {
    let mut request = GrantRequest::for_account(ACCOUNT);
    request.workspace_id = Some(acs_emulator::DEMO_WORKSPACE_ID.into());
    request.oss_buckets = Some(vec!["training-data".into(), "checkpoints".into()]);
    request.resource_group_id = Some(acs_emulator::DEMO_RESOURCE_GROUP_ID.into());
    request.activate_services = true;
    request.users = Some(vec![
        UserGrant::named("alice"),
        UserGrant {
            name: "bob".into(),
            policies: Some(vec!["AliyunNASFullAccess".into()]),
            workspace_roles: Some(vec!["PAI.AlgoDeveloper".into(), "PAI.WorkspaceAdmin".into()]),
        },
    ]);
    request
}

/// The demo seed with bob already a member (so the full request needs AddMemberRole too).
pub fn full_seed() -> acs_emulator::Seed {
    let mut seed = seed();
    if let Some(ws) = seed
        .workspaces
        .iter_mut()
        .find(|w| w.workspace_id == acs_emulator::DEMO_WORKSPACE_ID)
    {
        ws.members.push(acs_emulator::SeedMember {
            user: "bob".into(),
            roles: vec!["PAI.AlgoDeveloper".into()],
        });
    }
    seed
}

#[tokio::test(flavor = "multi_thread")]
async fn every_option_is_granted_then_compliant() {
    let emulator = start(full_seed()).await;
    let engine = engine(&emulator);
    let request = full_request();
    let report = engine.grant(&request, Trigger::Cli, "full").await;
    assert_eq!(report.status, Status::Granted, "{}", report.to_text());
    assert!(report.verification.complete, "{}", report.to_text());

    let state = emulator.state_json();
    let rg = acs_emulator::DEMO_RESOURCE_GROUP_ID;
    let principal = format!("AliyunPAIDLCDefaultRole@role.{ACCOUNT}.onaliyunservice.com");
    let rg_attached: Vec<(String, String)> = rg_attachments(&state)
        .into_iter()
        .filter(|(g, p, _, _)| g == rg && p.eq_ignore_ascii_case(&principal))
        .map(|(_, _, t, n)| (t, n))
        .collect();
    assert_eq!(rg_attached, the_three(("Custom", "PaiDlcOssBucketsPolicy")));
    assert!(
        attached(role(&state, ROLE).expect("role")).is_empty(),
        "nothing account-wide"
    );
    let buckets = default_document(&state, "PaiDlcOssBucketsPolicy").expect("bucket policy");
    assert_eq!(
        dlcauth::policy_doc::granted_buckets(&buckets),
        ["checkpoints".to_string(), "training-data".to_string()].into()
    );
    assert_eq!(
        attached(user(&state, "alice").expect("alice")),
        vec![
            ("Custom".to_owned(), "PaiDlcOssBucketsPolicy".to_owned()),
            ("System".to_owned(), "AliyunNASFullAccess".to_owned())
        ]
    );
    assert_eq!(
        attached(user(&state, "bob").expect("bob")),
        vec![("System".to_owned(), "AliyunNASFullAccess".to_owned())]
    );
    let ws = acs_emulator::DEMO_WORKSPACE_ID;
    assert_eq!(
        member_roles(&state, ws, "alice"),
        Some(vec!["PAI.AlgoDeveloper".to_owned()])
    );
    assert_eq!(
        member_roles(&state, ws, "bob"),
        Some(vec!["PAI.AlgoDeveloper".to_owned(), "PAI.WorkspaceAdmin".to_owned()])
    );
    let mut services: Vec<String> = state["activatedServices"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    services.sort();
    assert_eq!(services, vec!["nas".to_owned(), "oss".to_owned()]);

    let again = engine.grant(&request, Trigger::Cli, "full-again").await;
    assert_eq!(again.status, Status::Compliant, "{}", again.to_text());
    let changes: Vec<&str> = again
        .steps
        .iter()
        .filter(|s| s.outcome != Outcome::Unchanged)
        .map(|s| s.action.as_str())
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
}
