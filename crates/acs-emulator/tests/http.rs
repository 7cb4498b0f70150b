//! The emulator over real HTTP on loopback: every request style the SDKs produce, every
//! authentication refusal, bad input, concurrency, persistence, faults and the introspection
//! routes. Requests are signed with `acs::sign` through the test-only client in `common`.

// Helpers fail the calling test by panicking, like the `expect`s inside `#[test]` functions.
#![allow(clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use acs_emulator::{Emulator, Options, start_on_loopback};
use common::*;
use serde_json::Value;

async fn emulator() -> (Emulator, Client) {
    emulator_with(test_options()).await
}

async fn emulator_with(options: Options) -> (Emulator, Client) {
    let emulator = start_on_loopback(options).await.expect("emulator starts");
    let client = Client::new(&emulator.base_url());
    (emulator, client)
}

/// Test options persisting to `state.json` in a fresh directory (kept alive by the `TempDir`).
fn with_state_file() -> (tempfile::TempDir, std::path::PathBuf, Options) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let options = Options {
        state_file: Some(path.clone()),
        ..test_options()
    };
    (dir, path, options)
}

fn is_upper_uuid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok() && id.len() == 36 && id == id.to_uppercase()
}

#[tokio::test]
async fn the_demo_operator_assumes_the_demo_role() {
    let (_emulator, client) = emulator_with(Options::default()).await;
    let sts = client.assume(DEMO_ROLE_ARN).await;
    let me = client.v3(&sts, "GetCallerIdentity", STS, &[]).await.ok();
    assert_eq!(me["IdentityType"], "AssumedRoleUser");
    assert_eq!(
        me["Arn"],
        "acs:ram::1234567890123456:assumed-role/dlcauth-granter/tests"
    );
    let listed = client
        .v3(&sts, "ListPoliciesForRole", RAM, &[("RoleName", DEMO_ROLE_NAME)])
        .await;
    // What the operator policy grants is the grant engine's business: derive the expected answer
    // from the file itself, so the call is checked whichever way the file goes.
    let operator_policy =
        acs_emulator::policy::PolicyDocument::parse(acs_emulator::DEMO_OPERATOR_POLICY).expect("operator policy");
    let granted = acs_emulator::policy::evaluate(
        [&operator_policy],
        "ram:ListPoliciesForRole",
        "acs:ram:*:1234567890123456:role/dlcauth-granter",
        &acs_emulator::policy::Context::default(),
    )
    .is_allowed();
    if granted {
        assert_eq!(
            listed.ok()["Policies"]["Policy"][0]["PolicyName"],
            acs_emulator::DEMO_OPERATOR_POLICY_NAME
        );
    } else {
        listed.err(403, "NoPermission");
    }
}

#[tokio::test]
async fn v3_assume_role_then_get_role_with_the_sts_credentials() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    assert!(sts.id.starts_with("STS."));
    let reply = client.v3(&sts, "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)]).await;
    let header_id = reply.request_id_header.clone().expect("x-acs-request-id header");
    let body = reply.ok();
    assert_eq!(body["RequestId"], header_id.as_str());
    assert!(is_upper_uuid(&header_id), "{header_id}");
    assert_eq!(body["Role"]["RoleName"], DEMO_ROLE_NAME);
    assert!(body["Role"]["AssumeRolePolicyDocument"].is_string());
}

#[tokio::test]
async fn v1_post_with_everything_in_the_query_is_accepted() {
    let (_emulator, client) = emulator().await;
    let body = client
        .rpc_v1(
            "POST",
            &Key::operator(),
            "AssumeRole",
            STS,
            &[("RoleArn", TEST_ROLE_ARN), ("RoleSessionName", "v1-query")],
            Placement::Query,
        )
        .await
        .ok();
    let sts = Key::from_assume_role(&body);
    let role = client
        .rpc_v1(
            "POST",
            &sts,
            "GetRole",
            RAM,
            &[("RoleName", DEMO_ROLE_NAME)],
            Placement::Query,
        )
        .await
        .ok();
    assert_eq!(role["Role"]["RoleName"], DEMO_ROLE_NAME);
}

#[tokio::test]
async fn v1_post_with_a_form_body_signs_the_body_parameters() {
    let (emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}"#;
    let created = client
        .rpc_v1(
            "POST",
            &sts,
            "CreatePolicy",
            RAM,
            &[
                ("PolicyName", "FormPolicy"),
                ("PolicyDocument", doc),
                ("Description", "a b+c*d~"),
            ],
            Placement::Form,
        )
        .await
        .ok();
    assert_eq!(created["Policy"]["Description"], "a b+c*d~");
    let state = emulator.state_json();
    assert!(
        state["policies"]
            .as_array()
            .expect("policies")
            .iter()
            .any(|p| p["name"] == "FormPolicy")
    );
}

#[tokio::test]
async fn v1_get_as_the_credentials_library_sends_assume_role() {
    let (_emulator, client) = emulator().await;
    let body = client
        .rpc_v1(
            "GET",
            &Key::operator(),
            "AssumeRole",
            STS,
            &[
                ("RoleArn", DEMO_ROLE_ARN),
                ("RoleSessionName", "credentials-python-1"),
                ("DurationSeconds", "3600"),
            ],
            Placement::Query,
        )
        .await
        .ok();
    assert!(
        body["Credentials"]["Expiration"]
            .as_str()
            .is_some_and(|e| e.ends_with('Z'))
    );
}

#[tokio::test]
async fn plus_in_a_query_decodes_to_a_space_like_form_encoding() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    // Sign "a b", send "a+b" (Python urlencode / quote_plus style): the server must decode '+'.
    let request = client.rpc_v1_request(
        "POST",
        &sts,
        "CreatePolicy",
        RAM,
        &[
            ("PolicyName", "PlusPolicy"),
            (
                "PolicyDocument",
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#,
            ),
            ("Description", "a b"),
        ],
        Placement::Query,
        &Tweak::default(),
    );
    let mut built = request.build().expect("request");
    let url = built.url().as_str().replace("a%20b", "a+b");
    *built.url_mut() = url.parse().expect("url");
    let response = client.http.execute(built).await.expect("sent");
    assert_eq!(
        response.status().as_u16(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn v3_roa_create_member_with_a_json_body_and_list_members() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    let alice = client.v3(&sts, "GetUser", RAM, &[("UserName", "alice")]).await.ok();
    let user_id = alice["User"]["UserId"].as_str().expect("UserId").to_owned();
    let body = format!(r#"{{"Members":[{{"Roles":["PAI.AlgoDeveloper"],"UserId":"{user_id}"}}]}}"#);
    let path = format!("/api/v1/workspaces/{DEMO_WORKSPACE_ID}/members");
    let created = client
        .send(client.v3_request(
            "POST",
            &path,
            &sts,
            "CreateMember",
            PAI,
            &[],
            Some(&body),
            &Tweak::default(),
        ))
        .await
        .ok();
    assert_eq!(created["Members"][0]["UserId"], user_id.as_str());
    let listed = client
        .send(client.v3_request(
            "GET",
            &path,
            &sts,
            "ListMembers",
            PAI,
            &[("UserId", &user_id), ("PageSize", "20")],
            None,
            &Tweak::default(),
        ))
        .await
        .ok();
    assert_eq!(listed["TotalCount"], 1);
    assert_eq!(listed["Members"][0]["MemberName"], "alice");
}

#[tokio::test]
async fn legacy_roa_hmac_sha1_requests_are_verified() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    let path = format!("/api/v1/workspaces/{DEMO_WORKSPACE_ID}/members");
    let listed = client
        .send(client.roa_v1_request(
            "GET",
            &path,
            &sts,
            "ListMembers",
            &[("MemberName", "a b")],
            None,
            &Tweak::default(),
        ))
        .await
        .ok();
    assert_eq!(listed["TotalCount"], 0);
    let tweak = Tweak {
        sign_secret: Some("wrong".into()),
        ..Tweak::default()
    };
    let reply = client
        .send(client.roa_v1_request("GET", &path, &sts, "ListMembers", &[], None, &tweak))
        .await;
    reply.err(400, "SignatureDoesNotMatch");
    assert!(reply.message().contains(&format!("\n{path}")), "{}", reply.message());
}

#[tokio::test]
async fn unknown_access_keys_are_not_found() {
    let (_emulator, client) = emulator().await;
    let ghost = Key {
        id: "LTAI5tGhost".into(),
        secret: "x".into(),
        token: None,
    };
    let reply = client.v3(&ghost, "GetRole", RAM, &[("RoleName", "x")]).await;
    reply.err(404, "InvalidAccessKeyId.NotFound");
    assert_eq!(reply.message(), "Specified access key is not found.");
    client
        .rpc_v1("POST", &ghost, "GetRole", RAM, &[("RoleName", "x")], Placement::Query)
        .await
        .err(404, "InvalidAccessKeyId.NotFound");
}

#[tokio::test]
async fn a_bad_v1_signature_is_refused_with_the_server_string_to_sign() {
    let (_emulator, client) = emulator().await;
    let tweak = Tweak {
        sign_secret: Some("not-the-secret".into()),
        timestamp: Some(now_iso()),
        nonce: Some("fixed-nonce-1".into()),
        ..Tweak::default()
    };
    let reply = client
        .v1_with(&Key::operator(), "GetCallerIdentity", STS, &[], &tweak)
        .await;
    reply.err(400, "SignatureDoesNotMatch");
    let expected = acs::sign::rpc_v1::sign(
        "POST",
        [
            ("Action", "GetCallerIdentity"),
            ("Version", STS),
            ("Format", "json"),
            ("AccessKeyId", DEMO_ACCESS_KEY_ID),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "fixed-nonce-1"),
            ("Timestamp", tweak.timestamp.as_deref().expect("set")),
        ],
        "irrelevant",
    );
    assert_eq!(
        reply.message(),
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{}",
            expected.string_to_sign
        )
    );
}

#[tokio::test]
async fn a_bad_v3_signature_is_refused_with_the_server_string_to_sign() {
    let (_emulator, client) = emulator().await;
    let tweak = Tweak {
        sign_secret: Some("not-the-secret".into()),
        ..Tweak::default()
    };
    let reply = client
        .v3_with(&Key::operator(), "GetCallerIdentity", STS, &[], &tweak)
        .await;
    reply.err(400, "SignatureDoesNotMatch");
    assert!(
        reply.message().contains("server string to sign is:ACS3-HMAC-SHA256\n"),
        "{}",
        reply.message()
    );
}

#[tokio::test]
async fn requests_dated_more_than_fifteen_minutes_away_are_refused() {
    let (_emulator, client) = emulator().await;
    for offset in [-16 * 60, 16 * 60] {
        let tweak = Tweak {
            timestamp: Some(iso_offset(offset)),
            ..Tweak::default()
        };
        client
            .v1_with(&Key::operator(), "GetCallerIdentity", STS, &[], &tweak)
            .await
            .err(400, "InvalidTimeStamp.Expired");
        client
            .v3_with(&Key::operator(), "GetCallerIdentity", STS, &[], &tweak)
            .await
            .err(400, "InvalidTimeStamp.Expired");
    }
    let fourteen = Tweak {
        timestamp: Some(iso_offset(-14 * 60)),
        ..Tweak::default()
    };
    client
        .v3_with(&Key::operator(), "GetCallerIdentity", STS, &[], &fourteen)
        .await
        .ok();
    let garbled = Tweak {
        timestamp: Some("yesterday".into()),
        ..Tweak::default()
    };
    client
        .v1_with(&Key::operator(), "GetCallerIdentity", STS, &[], &garbled)
        .await
        .err(400, "InvalidTimeStamp.Format");
}

#[tokio::test]
async fn a_replayed_nonce_is_refused() {
    let (_emulator, client) = emulator().await;
    let tweak = Tweak {
        nonce: Some(nonce()),
        timestamp: Some(now_iso()),
        ..Tweak::default()
    };
    for style in ["v1", "v3"] {
        let tweak = Tweak {
            nonce: Some(format!("{}-{style}", tweak.nonce.as_deref().unwrap_or_default())),
            ..tweak.clone()
        };
        let build = || match style {
            "v1" => client.rpc_v1_request(
                "POST",
                &Key::operator(),
                "GetCallerIdentity",
                STS,
                &[],
                Placement::Query,
                &tweak,
            ),
            _ => client.v3_request(
                "POST",
                "/",
                &Key::operator(),
                "GetCallerIdentity",
                STS,
                &[],
                None,
                &tweak,
            ),
        };
        client.send(build()).await.ok();
        let reply = client.send(build()).await;
        reply.err(400, "SignatureNonceUsed");
        assert_eq!(reply.message(), "Specified signature nonce was used already.");
    }
}

#[tokio::test]
async fn a_bad_signature_does_not_burn_the_nonce() {
    let (_emulator, client) = emulator().await;
    let n = nonce();
    let bad = Tweak {
        nonce: Some(n.clone()),
        sign_secret: Some("wrong".into()),
        ..Tweak::default()
    };
    client
        .v3_with(&Key::operator(), "GetCallerIdentity", STS, &[], &bad)
        .await
        .err(400, "SignatureDoesNotMatch");
    let good = Tweak {
        nonce: Some(n),
        ..Tweak::default()
    };
    client
        .v3_with(&Key::operator(), "GetCallerIdentity", STS, &[], &good)
        .await
        .ok();
}

#[tokio::test]
async fn sts_keys_require_their_own_security_token() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    let missing = Tweak {
        token: Some(None),
        ..Tweak::default()
    };
    client
        .v3_with(&sts, "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)], &missing)
        .await
        .err(400, "MissingSecurityToken");
    client
        .v1_with(&sts, "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)], &missing)
        .await
        .err(400, "MissingSecurityToken");
    let other = client.assume_test_role().await;
    let wrong = Tweak {
        token: Some(other.token.clone()),
        ..Tweak::default()
    };
    client
        .v3_with(&sts, "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)], &wrong)
        .await
        .err(400, "InvalidSecurityToken.MismatchWithAccessKey");
}

#[tokio::test]
async fn expired_sts_tokens_are_refused_after_a_restart_from_the_state_file() {
    let (_dir, path, options) = with_state_file();
    let (emulator, client) = emulator_with(options.clone()).await;
    let sts = client.assume_test_role().await;
    emulator.shutdown().await;
    // Age the session on disk, as if an hour had passed.
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
    saved["sessions"][&sts.id]["expiration"] = Value::from(jiff::Timestamp::now().as_second() - 10);
    std::fs::write(&path, saved.to_string()).expect("write");
    let (_emulator, client) = emulator_with(options).await;
    let reply = client.v3(&sts, "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)]).await;
    reply.err(400, "InvalidSecurityToken.Expired");
    assert_eq!(reply.message(), "Specified SecurityToken is expired.");
}

#[tokio::test]
async fn state_survives_a_restart_and_is_written_atomically() {
    let (dir, path, options) = with_state_file();
    let (emulator, client) = emulator_with(options.clone()).await;
    assert!(path.exists(), "written at start");
    let sts = client.assume_test_role().await;
    client.create_role(&sts, "Persisted").await.ok();
    emulator.shutdown().await;
    let files: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(files.len(), 1, "no temporary file left behind");
    let (_emulator, client) = emulator_with(options).await;
    // The STS session persisted too, so the same credentials still work.
    let role = client.v3(&sts, "GetRole", RAM, &[("RoleName", "Persisted")]).await.ok();
    assert_eq!(role["Role"]["RoleName"], "Persisted");
}

#[tokio::test]
async fn an_unwritable_state_file_is_named_in_the_start_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing-directory").join("state.json");
    let result = start_on_loopback(Options {
        state_file: Some(path.clone()),
        ..Options::default()
    })
    .await;
    let message = match result {
        Err(e @ acs_emulator::Error::WriteState { .. }) => e.to_string(),
        other => panic!("expected WriteState, got {:?}", other.map(|e| e.base_url())),
    };
    assert!(
        message.contains(&path.display().to_string()),
        "the message names the file: {message}"
    );
}

#[tokio::test]
async fn an_unreadable_state_file_stops_the_start() {
    let (_dir, path, options) = with_state_file();
    std::fs::write(&path, "{ not json").expect("write");
    let result = start_on_loopback(options).await;
    assert!(
        matches!(result, Err(acs_emulator::Error::LoadState { .. })),
        "{result:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("kept"),
        "{ not json",
        "never overwritten"
    );
}

#[tokio::test]
async fn unknown_actions_and_wrong_versions_use_the_gateway_codes() {
    let (_emulator, client) = emulator().await;
    let key = Key::operator();
    let reply = client.v3(&key, "DeleteRole", RAM, &[("RoleName", "x")]).await;
    reply.err(404, "InvalidAction.NotFound");
    assert_eq!(
        reply.message(),
        "Specified api is not found, please check your url and method."
    );
    client
        .rpc_v1("POST", &key, "NoSuchThing", RAM, &[], Placement::Query)
        .await
        .err(404, "InvalidAction.NotFound");
    let reply = client.v3(&key, "GetRole", "2015-04-01", &[("RoleName", "x")]).await;
    reply.err(400, "InvalidVersion");
    assert_eq!(reply.message(), "Specified parameter Version is not valid.");
    client
        .send(client.http.post(format!("{}/?Foo=bar", client.base)))
        .await
        .err(400, "InvalidParameter");
    client
        .send(client.roa_v1_request("GET", "/api/v1/nothing", &key, "X", &[], None, &Tweak::default()))
        .await
        .err(404, "InvalidAction.NotFound");
    client
        .send(
            client
                .http
                .put(format!("{}/?Action=GetRole&Version={RAM}", client.base)),
        )
        .await
        .err(400, "UnsupportedHTTPMethod");
}

#[tokio::test]
async fn missing_parameters_and_malformed_documents_use_the_real_codes() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    let reply = client.v3(&sts, "GetRole", RAM, &[]).await;
    reply.err(400, "MissingRoleName");
    assert_eq!(reply.message(), "RoleName is mandatory for this action.");
    let reply = client
        .v3(
            &sts,
            "CreatePolicy",
            RAM,
            &[("PolicyName", "Bad"), ("PolicyDocument", "{\"Version\": \"1\", ")],
        )
        .await;
    reply.err(400, "MalformedPolicyDocument");
    let missing_signature = Tweak {
        omit: vec!["Signature"],
        ..Tweak::default()
    };
    client
        .v1_with(&sts, "GetRole", RAM, &[("RoleName", "x")], &missing_signature)
        .await
        .err(400, "MissingSignature");
    let missing_key = Tweak {
        omit: vec!["AccessKeyId"],
        ..Tweak::default()
    };
    let reply = client
        .v1_with(&sts, "GetRole", RAM, &[("RoleName", "x")], &missing_key)
        .await;
    reply.err(400, "MissingAccessKeyId");
    assert_eq!(reply.message(), "AccessKeyId is mandatory for this action.");
}

#[tokio::test]
async fn callers_without_permission_get_no_permission_with_rams_message() {
    let (_emulator, client) = emulator().await;
    let reply = client
        .v3(&Key::noperm(), "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)])
        .await;
    reply.err(403, "NoPermission");
    assert_eq!(
        reply.message(),
        "You are not authorized to do this action. You should be authorized by RAM."
    );
    client
        .v3(
            &Key::noperm(),
            "AssumeRole",
            STS,
            &[("RoleArn", DEMO_ROLE_ARN), ("RoleSessionName", "x1")],
        )
        .await
        .err(403, "NoPermission");
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413_and_a_json_error() {
    let (_emulator, client) = emulator().await;
    let big = "x".repeat(acs_emulator::MAX_BODY_BYTES + 1);
    let reply = client
        .send(
            client
                .http
                .post(format!("{}/", client.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(big),
        )
        .await;
    reply.err(413, "RequestEntityTooLarge");
    // The server is still healthy afterwards.
    client.v3(&Key::operator(), "GetCallerIdentity", STS, &[]).await.ok();
}

#[tokio::test]
async fn broken_form_encoding_is_refused_not_dropped() {
    let (_emulator, client) = emulator().await;
    client
        .send(client.http.post(format!("{}/?Action=GetRole&Version=%zz", client.base)))
        .await
        .err(400, "InvalidParameter");
    client
        .send(
            client
                .http
                .post(format!("{}/?Action=GetRole&Version={RAM}", client.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(vec![b'a', b'=', b'%', b'F', b'F']),
        )
        .await
        .err(400, "InvalidParameter");
}

#[tokio::test]
async fn sixteen_concurrent_identical_create_roles_have_exactly_one_winner() {
    let (emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    let calls = (0..16).map(|_| {
        let (client, sts) = (client.clone(), sts.clone());
        tokio::spawn(async move { client.create_role(&sts, "Racer").await })
    });
    let replies: Vec<Reply> = futures_join(calls).await;
    let winners = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(winners, 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in replies.iter().filter(|r| r.status != 200) {
        r.err(409, "EntityAlreadyExists.Role");
    }
    let racers = emulator.state_json()["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter(|r| r["name"] == "Racer")
        .count();
    assert_eq!(racers, 1);
}

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_connections_are_served() {
    let (emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    let tasks = (0..300).map(|_| {
        let sts = sts.clone();
        // A client per task: one connection each.
        let client = Client::new(&client.base);
        tokio::spawn(async move {
            client
                .v3(&sts, "GetRole", RAM, &[("RoleName", DEMO_ROLE_NAME)])
                .await
                .status
        })
    });
    let statuses = futures_join(tasks).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(emulator.calls().len(), 301);
}

#[tokio::test]
async fn fault_injection_fails_calls_before_any_change() {
    let (emulator, client) = emulator_with(Options {
        fault_rate: 1.0,
        ..test_options()
    })
    .await;
    let before = emulator.state_json();
    let mut codes = std::collections::BTreeSet::new();
    for i in 0..30 {
        let name = format!("Faulty{i}");
        let reply = client.create_role(&Key::operator(), &name).await;
        match reply.code() {
            "Throttling.User" => assert_eq!(reply.status, 400),
            "ServiceUnavailable" => assert_eq!(reply.status, 503),
            "InternalError" => assert_eq!(reply.status, 500),
            other => panic!("unexpected {other}: {}", reply.body),
        }
        codes.insert(reply.code().to_owned());
    }
    assert!(codes.len() >= 2, "several kinds of faults: {codes:?}");
    assert_eq!(emulator.state_json(), before, "nothing changed");
}

#[tokio::test]
async fn lost_replies_apply_the_change_and_answer_internal_error() {
    let (emulator, client) = emulator_with(Options {
        lost_reply_rate: 1.0,
        ..test_options()
    })
    .await;
    let sts = client.assume_test_role().await; // AssumeRole is not a write: never lost
    let create = || client.create_role(&sts, "Lost");
    create().await.err(500, "InternalError");
    client.v3(&sts, "GetRole", RAM, &[("RoleName", "Lost")]).await.ok();
    create().await.err(409, "EntityAlreadyExists.Role");
    let calls = emulator.calls();
    let lost: Vec<_> = calls.iter().filter(|c| c.lost_reply).collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].action.as_deref(), Some("CreateRole"));
    assert!(lost[0].write);
}

#[tokio::test]
async fn latency_is_added_to_every_call() {
    let (_emulator, client) = emulator_with(Options {
        latency: Duration::from_millis(150),
        ..test_options()
    })
    .await;
    let started = Instant::now();
    client.v3(&Key::operator(), "GetCallerIdentity", STS, &[]).await.ok();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn the_calls_log_orders_calls_and_names_callers() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    client
        .v3(&sts, "GetRole", RAM, &[("RoleName", "Nope")])
        .await
        .err(404, "EntityNotExist.Role");
    client.create_role(&sts, "Logged").await.ok();
    let calls = client.get("/__emulator/calls").await;
    let calls = calls.as_array().expect("array");
    assert_eq!(calls.len(), 3);
    let field = |i: usize, f: &str| calls[i][f].clone();
    assert_eq!(field(0, "action"), "AssumeRole");
    assert_eq!(field(0, "caller"), DEMO_ACCESS_KEY_ID);
    assert_eq!(field(0, "principal"), "acs:ram::1234567890123456:user/dlcauth-operator");
    assert_eq!(field(0, "write"), false);
    assert_eq!(field(1, "action"), "GetRole");
    assert_eq!(field(1, "status"), 404);
    assert_eq!(field(1, "code"), "EntityNotExist.Role");
    assert_eq!(field(1, "caller"), sts.id.as_str());
    assert_eq!(field(1, "product"), "Ram");
    assert_eq!(field(2, "write"), true);
    assert_eq!(field(2, "code"), Value::Null);
    for i in 0..2 {
        assert!(
            calls[i + 1]["startSeq"].as_u64() > calls[i]["endSeq"].as_u64(),
            "sequential calls do not overlap"
        );
        assert_eq!(calls[i]["seq"].as_u64(), Some(i as u64 + 1));
    }
}

#[tokio::test]
async fn the_state_route_dumps_entities_and_no_secret() {
    let (_emulator, client) = emulator().await;
    let sts = client.assume_test_role().await;
    client.create_role(&sts, "Dumped").await.ok();
    client
        .v3(
            &sts,
            "AttachPolicy",
            RM,
            &[
                ("PolicyName", "AliyunOSSFullAccess"),
                ("PolicyType", "System"),
                ("PrincipalType", "ServiceRole"),
                ("PrincipalName", "Dumped@role.1234567890123456.onaliyunservice.com"),
                ("ResourceGroupId", acs_emulator::DEMO_RESOURCE_GROUP_ID),
            ],
        )
        .await
        .ok();
    let state = client.get("/__emulator/state").await;
    let role = state["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["name"] == "Dumped")
        .expect("Dumped listed")
        .clone();
    assert_eq!(
        role["trustPolicy"]["Statement"][0]["Principal"]["Service"][0],
        "pai.aliyuncs.com"
    );
    assert_eq!(state["resourceGroupAttachments"][0]["principalType"], "ServiceRole");
    assert_eq!(state["workspaces"][0]["workspaceId"], DEMO_WORKSPACE_ID);
    let text = state.to_string();
    for secret in [
        DEMO_ACCESS_KEY_SECRET,
        DEMO_NOPERM_ACCESS_KEY_SECRET,
        &sts.secret,
        sts.token.as_deref().unwrap_or("-"),
    ] {
        assert!(!text.contains(secret), "the state dump leaks a secret");
    }
}

#[tokio::test]
async fn error_bodies_carry_the_gateway_fields() {
    let (_emulator, client) = emulator().await;
    let reply = client.v3(&Key::noperm(), "GetRole", RAM, &[("RoleName", "x")]).await;
    let id = reply.body["RequestId"].as_str().expect("RequestId").to_owned();
    assert!(is_upper_uuid(&id));
    assert_eq!(reply.request_id_header.as_deref(), Some(id.as_str()));
    assert_eq!(reply.body["HostId"], client.host.as_str());
    assert_eq!(
        reply.body["Recommend"],
        format!("https://api.aliyun.com/troubleshoot?q=NoPermission&product=Ram&requestId={id}").as_str()
    );
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let (emulator, client) = emulator().await;
    client.v3(&Key::operator(), "GetCallerIdentity", STS, &[]).await.ok();
    let addr = emulator.addr();
    emulator.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn dropping_the_emulator_stops_it() {
    let (emulator, _client) = emulator().await;
    let addr = emulator.addr();
    drop(emulator);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the port is still served after drop");
}

#[tokio::test]
async fn timestamps_must_use_the_documented_second_precision_utc_form() {
    let (_emulator, client) = emulator().await;
    let now = now_iso();
    let (date, time) = now.trim_end_matches('Z').split_once('T').expect("ISO date");
    for variant in [
        format!("{date}T{time}.000Z"),
        format!("{date}T{time}+00:00"),
        format!("{date} {time}Z"),
    ] {
        let tweak = Tweak {
            timestamp: Some(variant.clone()),
            ..Tweak::default()
        };
        let v1 = client
            .v1_with(&Key::operator(), "GetCallerIdentity", STS, &[], &tweak)
            .await;
        v1.err(400, "InvalidTimeStamp.Format");
        let v3 = client
            .v3_with(&Key::operator(), "GetCallerIdentity", STS, &[], &tweak)
            .await;
        v3.err(400, "InvalidTimeStamp.Format");
    }
}

#[tokio::test]
async fn acs3_requests_name_their_api_in_the_signed_headers_only() {
    let (_emulator, client) = emulator().await;
    // The query carries Action/Version, but ACS3 dispatches on x-acs-action / x-acs-version.
    for header in ["x-acs-action", "x-acs-version"] {
        let tweak = Tweak {
            omit: vec![header],
            ..Tweak::default()
        };
        let reply = client
            .v3_with(
                &Key::operator(),
                "GetCallerIdentity",
                STS,
                &[("Action", "GetCallerIdentity"), ("Version", STS)],
                &tweak,
            )
            .await;
        reply.err(400, "InvalidParameter");
        assert_eq!(
            reply.message(),
            "The specified parameter \"Action or Version\" is not valid."
        );
    }
    let path = format!("/api/v1/workspaces/{DEMO_WORKSPACE_ID}");
    let tweak = Tweak {
        omit: vec!["x-acs-version"],
        ..Tweak::default()
    };
    client
        .send(client.v3_request("GET", &path, &Key::operator(), "GetWorkspace", PAI, &[], None, &tweak))
        .await
        .err(400, "InvalidParameter");
}

#[tokio::test]
async fn rpc_v1_requests_are_not_dispatched_on_unsigned_headers() {
    let (_emulator, client) = emulator().await;
    let tweak = Tweak {
        omit: vec!["Action"],
        ..Tweak::default()
    };
    // Signed without Action; the x-acs-action header is outside the V1 signature.
    let request = client
        .rpc_v1_request(
            "POST",
            &Key::operator(),
            "GetCallerIdentity",
            STS,
            &[],
            Placement::Query,
            &tweak,
        )
        .header("x-acs-action", "GetCallerIdentity");
    client.send(request).await.err(400, "InvalidParameter");
}

#[tokio::test]
async fn legacy_roa_signatures_are_not_accepted_on_rpc_apis() {
    let (_emulator, client) = emulator().await;
    let reply = client
        .send(client.roa_v1_request(
            "POST",
            "/",
            &Key::operator(),
            "GetCallerIdentity",
            &[("Action", "GetCallerIdentity"), ("Version", STS)],
            None,
            &Tweak::default(),
        ))
        .await;
    reply.err(400, "MissingAccessKeyId");
}

#[tokio::test]
async fn every_acknowledged_change_is_already_in_the_state_file() {
    let (_dir, path, options) = with_state_file();
    let (_emulator, client) = emulator_with(options).await;
    let sts = client.assume_test_role().await;
    let tasks = (0..16).map(|i| {
        let (client, sts, path) = (client.clone(), sts.clone(), path.clone());
        tokio::spawn(async move {
            let name = format!("Durable{i}");
            client.create_role(&sts, &name).await.ok();
            // Read the file the moment the reply arrives, before any other write could land.
            let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
            saved["roles"][name.to_lowercase()]["roleName"] == name.as_str()
        })
    });
    let durable = futures_join(tasks).await;
    assert!(durable.iter().all(|d| *d), "{durable:?}");
}

#[tokio::test]
async fn oversized_request_heads_are_refused_and_the_server_keeps_serving() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (emulator, client) = emulator().await;
    let huge_query = format!(
        "POST /?Action=GetRole&Version={RAM}&Pad={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(600_000)
    );
    let many_headers = format!(
        "POST / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..200).map(|i| format!("x-pad-{i}: v\r\n")).collect::<String>()
    );
    for head in [huge_query, many_headers] {
        // Raw bytes: HTTP clients refuse to build such requests in the first place.
        let mut stream = tokio::net::TcpStream::connect(emulator.addr()).await.expect("connect");
        // The server may answer and close before taking all of it; only its answer matters.
        let _ = stream.write_all(head.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        let status_line = String::from_utf8_lossy(&answer)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(status_line.starts_with("HTTP/1.1 4"), "{status_line:?}");
    }
    client.v3(&Key::operator(), "GetCallerIdentity", STS, &[]).await.ok();
}
