//! `Client::call` against loopback servers: exact wire format, signatures verified server-side,
//! typed responses, retries, timeouts and decode errors.

// Test helpers outside `#[test]` functions (setup, canned servers) panic on failure by design.
#![allow(clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use acs::api::{activation, aiworkspace, ram, resourcemanager, sts};
use acs::client::{ClientConfig, RetryPolicy, SignatureVersion};
use acs::credentials::{Credentials, StaticProvider};
use acs::{Client, Error};
use common::{ClosingServer, ManualClock, RawServer, Recorded, Reply, ScriptedNonces, SilentServer, TestServer};
use serde_json::json;

const AK: &str = "LTAI5tTestAccessKeyId01";
const SECRET: &str = "TestAccessKeySecret0123456789abc";
const STS_AK: &str = "STS.NTestTemporaryAccessKeyId";
const TOKEN: &str = "CAIS+test/Token==abc~def*ghi";
const KEYS: &[(&str, &str)] = &[(AK, SECRET), (STS_AK, SECRET)];

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

fn client_for(url: &str, version: SignatureVersion, creds: Credentials) -> Client {
    let config = ClientConfig {
        signature_version: version,
        retry: fast_retries(4),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        ..ClientConfig::single(url).expect("loopback URL")
    };
    Client::new(config, Arc::new(StaticProvider::new(creds))).expect("client")
}

fn ak() -> Credentials {
    Credentials::access_key(AK, SECRET)
}

fn sts_creds() -> Credentials {
    Credentials::sts(STS_AK, SECRET, TOKEN, None)
}

fn role_json() -> serde_json::Value {
    json!({"RequestId": "REQ-ROLE", "Role": {
        "RoleId": "901234567890123", "RoleName": "AliyunPAIDLCDefaultRole",
        "Arn": "acs:ram::1234567890123456:role/aliyunpaidlcdefaultrole", "Description": "DLC",
        "AssumeRolePolicyDocument": "{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"pai.aliyuncs.com\"]}}],\"Version\":\"1\"}",
        "CreateDate": "2024-01-02T03:04:05Z", "UpdateDate": "2024-01-02T03:04:05Z", "MaxSessionDuration": 3600,
        "RolePrincipalName": "AliyunPAIDLCDefaultRole@role.1234567890123456.onaliyunservice.com"}})
}

fn get_role() -> ram::GetRole {
    ram::GetRole {
        role_name: "AliyunPAIDLCDefaultRole".into(),
    }
}

/// Answers `first` to the first request and the role to every later one.
fn first_then_role(first: Reply) -> impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static {
    move |_, i| {
        if i == 0 {
            first.clone()
        } else {
            Reply::json(200, role_json())
        }
    }
}

fn assert_verified(server: &TestServer, scheme: &str) {
    for r in server.requests() {
        assert_eq!(
            r.verified.as_deref(),
            Ok(scheme),
            "{} {}: {:?}",
            r.method,
            r.path,
            r.verified
        );
    }
}

#[tokio::test]
async fn v1_call_sends_exactly_the_sdk_parameters_and_a_verifiable_signature() {
    let server = TestServer::start(KEYS, |_, _| Reply::json(200, role_json())).await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak())
        .with_clock(ManualClock::at("2024-01-02T03:04:05Z"))
        .with_nonce_source(ScriptedNonces::new(&["c0ffee00-0000-4000-8000-000000000001"]));

    let response = client.call(&get_role()).await.expect("GetRole");
    assert_eq!(response.request_id, "REQ-ROLE");
    assert_eq!(response.attempts, 1);
    assert_eq!(response.body.role.role_name, "AliyunPAIDLCDefaultRole");
    assert!(
        response
            .body
            .role
            .assume_role_policy_document
            .contains("pai.aliyuncs.com")
    );

    assert_verified(&server, "v1");
    let r = server.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert!(r.body.is_empty(), "RPC V1 sends everything in the query");
    assert_eq!(
        r.param_names(),
        [
            "AccessKeyId",
            "Action",
            "Format",
            "RoleName",
            "Signature",
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "Timestamp",
            "Version"
        ]
    );
    for (name, value) in [
        ("AccessKeyId", AK),
        ("Action", "GetRole"),
        ("Format", "JSON"),
        ("RoleName", "AliyunPAIDLCDefaultRole"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "c0ffee00-0000-4000-8000-000000000001"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2024-01-02T03:04:05Z"),
        ("Version", "2015-05-01"),
        // Reference vector V1-2, computed by the official SDK for exactly these parameters.
        ("Signature", "5+hjudGN7B7kAFnsZVhwUpgSj3I="),
    ] {
        assert_eq!(r.param(name), Some(value), "{name}");
    }
    assert_eq!(r.header("x-acs-action"), Some("GetRole"));
    assert_eq!(r.header("x-acs-version"), Some("2015-05-01"));
    assert_eq!(r.header("authorization"), None);
}

#[tokio::test]
async fn v1_call_with_sts_credentials_signs_the_security_token() {
    let server = TestServer::start(KEYS, |_, _| Reply::json(200, role_json())).await;
    let client = client_for(&server.url(), SignatureVersion::V1, sts_creds())
        .with_clock(ManualClock::at("2024-01-02T03:04:05Z"))
        .with_nonce_source(ScriptedNonces::new(&["c0ffee00-0000-4000-8000-000000000001"]));
    client.call(&get_role()).await.expect("GetRole");
    assert_verified(&server, "v1");
    let r = server.last();
    assert_eq!(r.param("SecurityToken"), Some(TOKEN));
    assert_eq!(r.param("AccessKeyId"), Some(STS_AK));
    assert!(
        r.raw_query
            .contains("SecurityToken=CAIS%2Btest%2FToken%3D%3Dabc~def%2Aghi"),
        "{}",
        r.raw_query
    );
    assert_eq!(
        r.param("Signature"),
        Some("1cMX61b/sM+ff42YehRRaBTvHzU="),
        "reference vector V1-3"
    );
}

#[tokio::test]
async fn v3_rpc_call_sends_the_documented_headers_and_a_verifiable_signature() {
    let server = TestServer::start(KEYS, |_, _| Reply::json(200, role_json())).await;
    let client = client_for(&server.url(), SignatureVersion::V3, sts_creds())
        .with_clock(ManualClock::at("2024-01-02T03:04:05Z"))
        .with_nonce_source(ScriptedNonces::new(&["c0ffee00000040008000000000000101"]));
    let response = client.call(&get_role()).await.expect("GetRole");
    assert_eq!(
        response.body.role.arn,
        "acs:ram::1234567890123456:role/aliyunpaidlcdefaultrole"
    );
    assert_verified(&server, "v3");
    let r = server.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert_eq!(
        r.raw_query, "RoleName=AliyunPAIDLCDefaultRole",
        "only business parameters in the query"
    );
    assert!(r.body.is_empty());
    for (name, value) in [
        ("host", server.url().trim_start_matches("http://")),
        ("x-acs-action", "GetRole"),
        ("x-acs-version", "2015-05-01"),
        ("x-acs-date", "2024-01-02T03:04:05Z"),
        ("x-acs-signature-nonce", "c0ffee00000040008000000000000101"),
        ("x-acs-content-sha256", acs::sign::acs3::EMPTY_PAYLOAD_SHA256),
        ("x-acs-security-token", TOKEN),
        ("x-acs-accesskey-id", STS_AK),
    ] {
        assert_eq!(r.header(name), Some(value), "{name}");
    }
    assert_eq!(r.header("content-type"), None, "no body, no content-type");
    let auth =
        acs::sign::acs3::Authorization::parse(r.header("authorization").expect("authorization")).expect("parses");
    assert_eq!(auth.credential, STS_AK);
    assert_eq!(
        auth.signed_headers,
        [
            "host",
            "x-acs-accesskey-id",
            "x-acs-action",
            "x-acs-content-sha256",
            "x-acs-date",
            "x-acs-security-token",
            "x-acs-signature-nonce",
            "x-acs-version"
        ]
    );
}

#[tokio::test]
async fn roa_calls_send_a_json_body_and_encoded_path_and_use_v3_even_in_v1_mode() {
    let server = TestServer::start(KEYS, |r, _| match r.action().as_str() {
        "CreateMember" => Reply::json(
            200,
            json!({"RequestId": "REQ-CM", "Members": [{"MemberId": "37", "UserId": "2038", "DisplayName": "alice",
                                                     "Roles": ["PAI.AlgoDeveloper"]}]}),
        ),
        _ => Reply::json(200, json!({"RequestId": "REQ-AMR"})),
    })
    .await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let created = client
        .call(&aiworkspace::CreateMember {
            workspace_id: "ws/81 231".into(),
            members: vec![aiworkspace::NewMember {
                roles: vec!["PAI.AlgoDeveloper".into()],
                user_id: "2038".into(),
            }],
        })
        .await
        .expect("CreateMember");
    assert_eq!(created.body.members[0].member_id, "37");
    client
        .call(&aiworkspace::AddMemberRole {
            workspace_id: "81231".into(),
            member_id: "37".into(),
            role_name: "PAI.WorkspaceAdmin".into(),
        })
        .await
        .expect("AddMemberRole");
    assert_verified(&server, "v3");
    let requests = server.requests();
    let cm = &requests[0];
    assert_eq!(cm.method, "POST");
    assert_eq!(cm.path, "/api/v1/workspaces/ws%2F81%20231/members");
    assert_eq!(cm.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(cm.header("x-acs-version"), Some("2021-02-04"));
    assert_eq!(
        String::from_utf8_lossy(&cm.body),
        r#"{"Members":[{"Roles":["PAI.AlgoDeveloper"],"UserId":"2038"}]}"#
    );
    assert_eq!(cm.param("Signature"), None, "no V1 material on ROA");
    let amr = &requests[1];
    assert_eq!(amr.path, "/api/v1/workspaces/81231/members/37/roles/PAI.WorkspaceAdmin");
    assert_eq!(amr.header("content-type"), None);
}

/// Official-shape responses for every typed call, keyed by action.
fn canned(r: &Recorded) -> Reply {
    let policy_doc = "{\"Version\":\"1\",\"Statement\":[]}";
    let body = match r.action().as_str() {
        "AssumeRole" => {
            json!({"RequestId": "R", "AssumedRoleUser": {"Arn": "acs:ram::1:role/x/s", "AssumedRoleId": "3:s"},
            "Credentials": {"AccessKeyId": "STS.new", "AccessKeySecret": "new-secret", "SecurityToken": "new-token",
                            "Expiration": "2030-01-01T00:00:00Z"}})
        }
        "GetCallerIdentity" => {
            json!({"RequestId": "R", "AccountId": "1234567890123456", "Arn": "acs:ram::1234567890123456:user/op",
            "IdentityType": "RAMUser", "PrincipalId": "2038", "UserId": "2038"})
        }
        "GetRole" | "CreateRole" | "UpdateRole" => role_json(),
        "GetPolicy" => json!({"RequestId": "R", "Policy": {"PolicyName": "PaiDlcOAuthPolicy", "PolicyType": "Custom",
            "DefaultVersion": "v2", "AttachmentCount": 1},
            "DefaultPolicyVersion": {"VersionId": "v2", "IsDefaultVersion": true, "PolicyDocument": policy_doc}}),
        "CreatePolicy" => {
            json!({"RequestId": "R", "Policy": {"PolicyName": "PaiDlcOAuthPolicy", "PolicyType": "Custom",
            "DefaultVersion": "v1", "CreateDate": "2024-01-02T03:04:05Z"}})
        }
        "GetPolicyVersion" | "CreatePolicyVersion" => json!({"RequestId": "R", "PolicyVersion": {"VersionId": "v2",
            "IsDefaultVersion": true, "PolicyDocument": policy_doc, "CreateDate": "2024-01-02T03:04:05Z"}}),
        "ListPolicyVersions" => json!({"RequestId": "R", "PolicyVersions": {"PolicyVersion": [
            {"VersionId": "v2", "IsDefaultVersion": true}, {"VersionId": "v1", "IsDefaultVersion": false}]}}),
        "ListPoliciesForRole" | "ListPoliciesForUser" => json!({"RequestId": "R", "Policies": {"Policy": [
            {"PolicyName": "AliyunOSSFullAccess", "PolicyType": "System", "AttachDate": "2024-01-02T03:04:05Z"},
            {"PolicyName": "PaiDlcOAuthPolicy", "PolicyType": "Custom"}]}}),
        "GetUser" => json!({"RequestId": "R", "User": {"UserId": "2038", "UserName": "alice", "DisplayName": "Alice"}}),
        "ListPolicyAttachments" => json!({"RequestId": "R", "PageNumber": 1, "PageSize": 10, "TotalCount": 1,
            "PolicyAttachments": {"PolicyAttachment": [{"PolicyName": "AliyunOSSFullAccess", "PolicyType": "System",
                "PrincipalName": "r@role.1.onaliyunservice.com", "PrincipalType": "ServiceRole", "ResourceGroupId": "rg-1"}]}}),
        "GetWorkspace" => {
            json!({"RequestId": "R", "WorkspaceId": "81231", "WorkspaceName": "demo", "Status": "ENABLED"})
        }
        "ListMembers" => json!({"RequestId": "R", "TotalCount": 1, "Members": [{"MemberId": "37", "UserId": "2038",
            "MemberName": "alice", "AccountType": "5", "Roles": ["PAI.AlgoDeveloper"]}]}),
        "OpenOssService" | "OpenNASService" => json!({"RequestId": "R", "OrderId": "20671870151"}),
        _ => json!({"RequestId": "R"}),
    };
    Reply::json(200, body)
}

async fn exercise_every_api(version: SignatureVersion) {
    use ram::PolicyType::{Custom, System};
    let server = TestServer::start(KEYS, |r, _| canned(r)).await;
    let client = client_for(&server.url(), version, ak());
    let role = "AliyunPAIDLCDefaultRole".to_owned();
    let policy = "PaiDlcOAuthPolicy".to_owned();
    let doc = "{\"Version\":\"1\",\"Statement\":[]}".to_owned();

    let assumed = client
        .call(&sts::AssumeRole {
            role_arn: "acs:ram::1234567890123456:role/dlcauth-granter".into(),
            role_session_name: "dlcauth".into(),
            duration_seconds: Some(3600),
            ..Default::default()
        })
        .await
        .expect("AssumeRole");
    assert_eq!(assumed.body.credentials.access_key_id, "STS.new");
    let me = client.call(&sts::GetCallerIdentity).await.expect("GetCallerIdentity");
    assert_eq!(me.body.account_id, "1234567890123456");
    assert_eq!(
        client.call(&get_role()).await.expect("GetRole").body.role.role_name,
        role
    );
    let created = client
        .call(&ram::CreateRole {
            role_name: role.clone(),
            assume_role_policy_document: doc.clone(),
            description: Some("DLC".into()),
            max_session_duration: Some(3600),
        })
        .await
        .expect("CreateRole");
    assert_eq!(created.body.role.max_session_duration, Some(3600));
    client
        .call(&ram::UpdateRole {
            role_name: role.clone(),
            new_assume_role_policy_document: Some(doc.clone()),
            ..Default::default()
        })
        .await
        .expect("UpdateRole");
    let got = client
        .call(&ram::GetPolicy {
            policy_name: policy.clone(),
            policy_type: Custom,
        })
        .await
        .expect("GetPolicy");
    assert_eq!(
        got.body.default_policy_version.map(|v| v.version_id).as_deref(),
        Some("v2")
    );
    client
        .call(&ram::CreatePolicy {
            policy_name: policy.clone(),
            policy_document: doc.clone(),
            description: None,
        })
        .await
        .expect("CreatePolicy");
    client
        .call(&ram::GetPolicyVersion {
            policy_name: policy.clone(),
            policy_type: Custom,
            version_id: "v2".into(),
        })
        .await
        .expect("GetPolicyVersion");
    let versions = client
        .call(&ram::ListPolicyVersions {
            policy_name: policy.clone(),
            policy_type: Custom,
        })
        .await
        .expect("ListPolicyVersions");
    assert_eq!(versions.body.policy_versions.len(), 2);
    let new_version = client
        .call(&ram::CreatePolicyVersion {
            policy_name: policy.clone(),
            policy_document: doc.clone(),
            set_as_default: Some(true),
            rotate_strategy: Some(ram::RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded),
        })
        .await
        .expect("CreatePolicyVersion");
    assert!(new_version.body.policy_version.is_default_version);
    client
        .call(&ram::DeletePolicyVersion {
            policy_name: policy.clone(),
            version_id: "v1".into(),
        })
        .await
        .expect("DeletePolicyVersion");
    client
        .call(&ram::AttachPolicyToRole {
            policy_type: System,
            policy_name: "AliyunOSSFullAccess".into(),
            role_name: role.clone(),
            resource_group_id: None,
        })
        .await
        .expect("AttachPolicyToRole");
    let attached = client
        .call(&ram::ListPoliciesForRole {
            role_name: role.clone(),
        })
        .await
        .expect("ListPoliciesForRole");
    assert_eq!(
        attached
            .body
            .policies
            .iter()
            .map(|p| (p.policy_name.as_str(), p.policy_type))
            .collect::<Vec<_>>(),
        [("AliyunOSSFullAccess", System), ("PaiDlcOAuthPolicy", Custom)]
    );
    let user = client
        .call(&ram::GetUser {
            user_name: "alice".into(),
        })
        .await
        .expect("GetUser");
    assert_eq!(user.body.user.user_id, "2038");
    client
        .call(&ram::AttachPolicyToUser {
            policy_type: System,
            policy_name: "AliyunNASFullAccess".into(),
            user_name: "alice".into(),
            resource_group_id: None,
        })
        .await
        .expect("AttachPolicyToUser");
    client
        .call(&ram::ListPoliciesForUser {
            user_name: "alice".into(),
        })
        .await
        .expect("ListPoliciesForUser");
    client
        .call(&resourcemanager::AttachPolicy {
            policy_name: "AliyunOSSFullAccess".into(),
            policy_type: System,
            principal_type: resourcemanager::PrincipalType::ServiceRole,
            principal_name: "AliyunPAIDLCDefaultRole@role.1234567890123456.onaliyunservice.com".into(),
            resource_group_id: "rg-1".into(),
        })
        .await
        .expect("AttachPolicy");
    let attachments = client
        .call(&resourcemanager::ListPolicyAttachments {
            resource_group_id: Some("rg-1".into()),
            ..Default::default()
        })
        .await
        .expect("ListPolicyAttachments");
    assert_eq!(attachments.body.policy_attachments[0].resource_group_id, "rg-1");
    let ws = client
        .call(&aiworkspace::GetWorkspace {
            workspace_id: "81231".into(),
            verbose: Some(true),
        })
        .await
        .expect("GetWorkspace");
    assert_eq!(ws.body.workspace_name, "demo");
    let members = client
        .call(&aiworkspace::ListMembers {
            workspace_id: "81231".into(),
            user_id: Some("2038".into()),
            ..Default::default()
        })
        .await
        .expect("ListMembers");
    assert_eq!(members.body.members[0].roles, ["PAI.AlgoDeveloper"]);
    let oss = client.call(&activation::OpenOssService).await.expect("OpenOssService");
    assert_eq!(oss.body.order_id.as_deref(), Some("20671870151"));
    client.call(&activation::OpenNasService).await.expect("OpenNASService");

    let rpc_scheme = if version == SignatureVersion::V1 { "v1" } else { "v3" };
    for r in server.requests() {
        // ROA (AIWorkspace) is signed with V3 whatever the configured version.
        let expected = if r.path == "/" { rpc_scheme } else { "v3" };
        assert_eq!(r.verified.as_deref(), Ok(expected), "{}: {:?}", r.action(), r.verified);
    }
    let seen: Vec<(String, Option<String>)> = server
        .requests()
        .iter()
        .map(|r| {
            (
                r.action(),
                r.param("Version").or(r.header("x-acs-version")).map(str::to_owned),
            )
        })
        .collect();
    let expect = |action: &str, version: &str| (action.to_owned(), Some(version.to_owned()));
    assert!(seen.contains(&expect("AssumeRole", "2015-04-01")));
    assert!(seen.contains(&expect("AttachPolicy", "2020-03-31")));
    assert!(seen.contains(&expect("OpenOssService", "2019-04-22")));
    assert!(seen.contains(&expect("OpenNASService", "2017-06-26")));
    assert!(seen.contains(&expect("GetWorkspace", "2021-02-04")));
    assert_eq!(seen.len(), 22);
    let requests = server.requests();
    let ws_request = requests
        .iter()
        .find(|r| r.action() == "GetWorkspace")
        .expect("GetWorkspace sent");
    assert_eq!(
        (ws_request.method.as_str(), ws_request.path.as_str()),
        ("GET", "/api/v1/workspaces/81231")
    );
    assert_eq!(ws_request.param("Verbose"), Some("true"));
    let cpv = requests
        .iter()
        .find(|r| r.action() == "CreatePolicyVersion")
        .expect("sent");
    assert_eq!(cpv.param("SetAsDefault"), Some("true"));
    assert_eq!(
        cpv.param("RotateStrategy"),
        Some("DeleteOldestNonDefaultVersionWhenLimitExceeded")
    );
}

#[tokio::test]
async fn every_typed_call_round_trips_with_v1_signatures() {
    exercise_every_api(SignatureVersion::V1).await;
}

#[tokio::test]
async fn every_typed_call_round_trips_with_v3_signatures() {
    exercise_every_api(SignatureVersion::V3).await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_anything_is_sent() {
    let server = TestServer::start(KEYS, |r, _| canned(r)).await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let err = client
        .call(&sts::AssumeRole {
            role_arn: "acs:ram::1234567890123456:role/x".into(),
            role_session_name: "bad session name!".into(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert!(
        matches!(err, Error::InvalidInput { action: "AssumeRole", ref message } if message.contains("RoleSessionName")),
        "{err:?}"
    );
    let err = client
        .call(&sts::AssumeRole {
            role_arn: "acs:ram::1234567890123456:role/x".into(),
            role_session_name: "ok-name".into(),
            duration_seconds: Some(600),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("DurationSeconds"), "{err}");
    assert_eq!(server.hits(), 0);
}

// ---- retries -------------------------------------------------------------------------------

#[tokio::test]
async fn throttling_is_retried_until_success() {
    let server = TestServer::start(KEYS, |_, i| {
        if i < 2 {
            Reply::error(400, "Throttling.User", &format!("T-{i}"))
        } else {
            Reply::json(200, role_json())
        }
    })
    .await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let response = client.call(&get_role()).await.expect("succeeds after throttling");
    assert_eq!(response.attempts, 3);
    assert_eq!(server.hits(), 3);
    let nonces: std::collections::HashSet<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.nonce().map(str::to_owned))
        .collect();
    assert_eq!(nonces.len(), 3, "every attempt is freshly signed");
}

#[tokio::test]
async fn service_unavailable_is_retried_up_to_the_attempt_limit() {
    let server = TestServer::start(KEYS, |_, i| Reply::error(503, "ServiceUnavailable", &format!("SU-{i}"))).await;
    let client = client_for(&server.url(), SignatureVersion::V3, ak());
    let err = client.call(&get_role()).await.expect_err("always unavailable");
    assert_eq!(server.hits(), 4);
    assert_eq!(err.attempts(), 4);
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.request_id(), Some("SU-3"), "the last attempt's RequestId");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn internal_error_is_retried() {
    let server = TestServer::start(KEYS, first_then_role(Reply::error(500, "InternalError", "IE-0"))).await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    assert_eq!(client.call(&get_role()).await.expect("recovers").attempts, 2);
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn an_unparseable_5xx_is_retried_and_reported_by_status() {
    let server = TestServer::start(KEYS, |_, _| {
        Reply::raw(502, "text/html", "<html><body>502 Bad Gateway</body></html>")
    })
    .await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let err = client.call(&get_role()).await.expect_err("bad gateway");
    assert_eq!(server.hits(), 4);
    assert_eq!(err.code(), Some("Http502"));
}

#[tokio::test]
async fn a_bare_302_is_sts_flow_control_and_is_retried_not_followed() {
    let server = TestServer::start(
        KEYS,
        first_then_role(Reply::raw(302, "text/plain", "").header("location", "http://127.0.0.1:9/elsewhere")),
    )
    .await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let response = client.call(&get_role()).await.expect("succeeds after the 302");
    assert_eq!(response.attempts, 2);
    assert_eq!(server.hits(), 2, "both attempts came here, none went to the Location");
}

#[tokio::test]
async fn x_acs_retry_after_is_honoured() {
    let server = TestServer::start(
        KEYS,
        first_then_role(Reply::error(400, "Throttling.Api", "RA-0").header("x-acs-retry-after", "400")),
    )
    .await;
    // Backoff alone would wait at most 20 ms; the server asks for 400 ms.
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let started = Instant::now();
    let response = client.call(&get_role()).await.expect("succeeds");
    let elapsed = started.elapsed();
    assert_eq!(response.attempts, 2);
    assert!(elapsed >= Duration::from_millis(400), "waited only {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "waited {elapsed:?}");
}

#[tokio::test]
async fn x_acs_retry_after_does_not_make_a_permanent_error_retryable() {
    let server = TestServer::start(KEYS, |_, _| {
        Reply::error(403, "NoPermission", "NP").header("x-acs-retry-after", "10")
    })
    .await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let err = client.call(&get_role()).await.expect_err("denied");
    assert_eq!((server.hits(), err.attempts()), (1, 1));
}

#[tokio::test]
async fn permanent_errors_hit_the_server_exactly_once() {
    for (status, code) in [
        (403, "NoPermission"),
        (404, "EntityNotExist.Role"),
        (409, "EntityAlreadyExists.Role"),
    ] {
        let server = TestServer::start(KEYS, move |_, _| Reply::error(status, code, "REQ-PERM")).await;
        let client = client_for(&server.url(), SignatureVersion::V1, ak());
        let err = client.call(&get_role()).await.expect_err(code);
        assert_eq!(server.hits(), 1, "{code}");
        assert_eq!(err.attempts(), 1);
        assert_eq!(err.code(), Some(code));
        assert_eq!(err.http_status(), Some(status));
        assert_eq!(err.request_id(), Some("REQ-PERM"));
        assert!(!err.is_retryable());
        let Error::Service { action, error, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*action, "GetRole");
        assert_eq!(error.host_id.as_deref(), Some("test.aliyuncs.com"));
        assert!(error.recommend.as_deref().is_some_and(|r| r.contains(code)));
        let text = err.to_string();
        assert!(
            text.contains("GetRole") && text.contains(code) && text.contains("REQ-PERM"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn signature_nonce_used_is_retried_exactly_once_with_a_new_nonce() {
    let server = TestServer::start(KEYS, |_, _| Reply::error(400, "SignatureNonceUsed", "NONCE")).await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let err = client.call(&get_role()).await.expect_err("nonce always used");
    assert_eq!(server.hits(), 2);
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.code(), Some("SignatureNonceUsed"));
    let nonces: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.nonce().map(str::to_owned))
        .collect();
    assert_eq!(nonces.len(), 2);
    assert_ne!(nonces[0], nonces[1]);

    let server = TestServer::start(KEYS, first_then_role(Reply::error(400, "SignatureNonceUsed", "NONCE"))).await;
    let client = client_for(&server.url(), SignatureVersion::V3, ak());
    assert_eq!(client.call(&get_role()).await.expect("second nonce works").attempts, 2);
}

#[tokio::test]
async fn xml_error_bodies_are_understood() {
    let server = TestServer::start(KEYS, |_, _| {
        Reply::raw(
            404,
            "text/xml;charset=utf-8",
            "<?xml version=\"1.0\"?><Error><RequestId>X-1</RequestId><HostId>ram.aliyuncs.com</HostId><Code>EntityNotExist.Role</Code><Message>The role does not exist.</Message></Error>",
        )
    })
    .await;
    let client = client_for(&server.url(), SignatureVersion::V3, ak());
    let err = client.call(&get_role()).await.expect_err("absent");
    assert_eq!(
        (err.code(), err.request_id()),
        (Some("EntityNotExist.Role"), Some("X-1"))
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_as_transport() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = client_for(&format!("http://127.0.0.1:{port}"), SignatureVersion::V1, ak());
    let err = client.call(&get_role()).await.expect_err("nothing listens");
    let Error::Transport {
        action,
        attempts,
        message,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*action, *attempts), ("GetRole", 4));
    assert!(!message.contains("Signature"), "no URL in the message: {message}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_server_that_closes_the_connection_is_retried_then_reported_as_transport() {
    let server = ClosingServer::start().await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let err = client.call(&get_role()).await.expect_err("connection closed");
    assert!(matches!(err, Error::Transport { attempts: 4, .. }), "{err:?}");
    assert_eq!(server.accepted(), 4);
}

#[tokio::test]
async fn a_timeout_names_the_read_timeout_rather_than_claiming_the_whole_attempt() {
    let server = SilentServer::start().await;
    let config = ClientConfig {
        retry: fast_retries(1),
        connect_timeout: Duration::from_millis(2000),
        read_timeout: Duration::from_millis(300),
        ..ClientConfig::single(&server.url()).expect("url")
    };
    let client = Client::new(config, Arc::new(StaticProvider::new(ak()))).expect("client");
    let started = Instant::now();
    let err = client.call(&get_role()).await.expect_err("no answer");
    let Error::Transport { message, .. } = &err else {
        panic!("{err:?}")
    };
    // The silence ends the attempt after the 300 ms read timeout, well before its 2 300 ms
    // limit: the message must say so, not that it waited 2 300 ms.
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
    assert!(message.contains("read timeout (300 ms)"), "{message}");
    assert!(!message.contains("after 2300 ms"), "{message}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_without_hanging() {
    let server = SilentServer::start().await;
    let config = ClientConfig {
        retry: fast_retries(2),
        connect_timeout: Duration::from_millis(200),
        read_timeout: Duration::from_millis(300),
        ..ClientConfig::single(&server.url()).expect("url")
    };
    let client = Client::new(config, Arc::new(StaticProvider::new(ak()))).expect("client");
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), client.call(&get_role()))
        .await
        .expect("the call must end on its own");
    let err = result.expect_err("no answer");
    let Error::Transport { attempts, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*attempts, 2);
    assert!(message.contains("timed out"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

// ---- bad responses ---------------------------------------------------------------------------

#[tokio::test]
async fn bad_successful_bodies_are_decode_errors_naming_the_api_and_request_id() {
    let cases: Vec<(Reply, Option<&str>, &str)> = vec![
        (
            Reply::raw(200, "application/json", "{\"RequestId\":\"R-MAL\",\"Role\":{,}}")
                .header("x-acs-request-id", "H-MAL"),
            Some("H-MAL"),
            "malformed",
        ),
        (
            Reply::raw(200, "text/html", "<!DOCTYPE html><html><body>Login</body></html>"),
            None,
            "markup",
        ),
        (
            Reply::json(200, json!({"RequestId": "R-MISS", "Role": {"RoleName": "x"}})),
            Some("R-MISS"),
            "missing field",
        ),
        (
            Reply::raw(
                200,
                "application/json",
                "{\"RequestId\":\"R-TR\",\"Role\":{\"RoleId\":\"1\"",
            ),
            None,
            "truncated",
        ),
        (Reply::json(200, json!({"Role": {}})), None, "RequestId"),
    ];
    for (reply, request_id, fragment) in cases {
        let server = TestServer::start(KEYS, move |_, _| reply.clone()).await;
        let client = client_for(&server.url(), SignatureVersion::V1, ak());
        let err = client.call(&get_role()).await.expect_err(fragment);
        let Error::Decode {
            action,
            http_status,
            request_id: got,
            message,
            attempts,
        } = &err
        else {
            panic!("{fragment}: {err:?}")
        };
        assert_eq!((*action, *http_status, *attempts), ("GetRole", 200, 1), "{fragment}");
        assert_eq!(got.as_deref(), request_id, "{fragment}");
        assert!(message.contains(fragment), "{fragment}: {message}");
        assert_eq!(server.hits(), 1, "a 200 is never retried: {fragment}");
        assert!(err.to_string().contains("GetRole"));
    }
}

#[tokio::test]
async fn an_oversized_response_is_refused_without_buffering_it() {
    let server = RawServer::start(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-acs-request-id: R-BIG\r\ncontent-length: 4000000000\r\n\r\n{\"RequestId\":",
    )
    .await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let err = tokio::time::timeout(Duration::from_secs(10), client.call(&get_role()))
        .await
        .expect("refused at once, not after reading 4 GB")
        .expect_err("too large");
    assert!(
        matches!(&err, Error::Decode { message, .. } if message.contains(&acs::client::MAX_RESPONSE_BYTES.to_string())),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_body_cut_short_of_its_content_length_is_a_decode_error_not_a_retry() {
    let server = RawServer::start(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-acs-request-id: R-CUT\r\ncontent-length: 400\r\n\r\n{\"RequestId\":\"R-CUT\",\"Role\":{",
    )
    .await;
    let client = client_for(&server.url(), SignatureVersion::V1, ak());
    let err = client.call(&get_role()).await.expect_err("cut short");
    assert!(
        matches!(&err, Error::Decode { request_id: Some(id), attempts: 1, .. } if id == "R-CUT"),
        "{err:?}"
    );
    assert_eq!(server.accepted(), 1);
}
