//! Credential providers against loopback servers and profile files in temporary directories.

// Test helpers outside `#[test]` functions (setup, canned servers) panic on failure by design.
#![allow(clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use acs::credentials::{
    AssumeRoleParams, AssumeRoleProvider, DefaultChain, EcsRamRoleProvider, Env, OidcParams, OidcProvider,
    ProfileProvider, StaticProvider,
};
use acs::{Client, Credentials, CredentialsError, ProvideCredentials};
use axum::http::StatusCode;
use common::{ManualClock, NOWHERE, Reply, TestServer, assume_role_reply, client, metadata_server, write_cli_config};
use jiff::SignedDuration;

const BASE_AK: &str = "LTAI5tBaseKey0001";
const BASE_SECRET: &str = "base-secret-value-0001";
const ROLE_ARN: &str = "acs:ram::1234567890123456:role/dlcauth-granter";

fn base_client(url: &str) -> Client {
    client(url).with_credentials(Arc::new(StaticProvider::new(Credentials::access_key(
        BASE_AK,
        BASE_SECRET,
    ))))
}

fn params() -> AssumeRoleParams {
    AssumeRoleParams {
        role_arn: ROLE_ARN.into(),
        role_session_name: "dlcauth".into(),
        external_id: Some("ext-42".into()),
        duration_seconds: Some(3600),
        policy: None,
    }
}

// ---- AssumeRole ------------------------------------------------------------------------------

#[tokio::test]
async fn assume_role_signs_with_the_base_identity_and_returns_sts_credentials() {
    let clock = ManualClock::at("2024-01-02T03:04:05Z");
    let expiration = clock.now_plus(SignedDuration::from_hours(1));
    let server = TestServer::start(&[(BASE_AK, BASE_SECRET)], move |_, _| {
        assume_role_reply("STS.assumed", "assumed-secret", "assumed-token", &expiration)
    })
    .await;
    let provider = AssumeRoleProvider::new(base_client(&server.url()).with_clock(clock.clone()), params());
    let creds = provider.provide().await.expect("assumed");
    assert_eq!(creds.access_key_id, "STS.assumed");
    assert_eq!(creds.access_key_secret.expose(), "assumed-secret");
    assert_eq!(creds.security_token.as_ref().map(|t| t.expose()), Some("assumed-token"));
    assert_eq!(
        creds.expiration.map(|e| e.to_string()),
        Some("2024-01-02T04:04:05Z".to_owned())
    );
    let r = server.last();
    assert_eq!(r.verified.as_deref(), Ok("v1"));
    assert_eq!(r.action(), "AssumeRole");
    assert_eq!(r.param("AccessKeyId"), Some(BASE_AK));
    assert_eq!(r.param("RoleArn"), Some(ROLE_ARN));
    assert_eq!(r.param("RoleSessionName"), Some("dlcauth"));
    assert_eq!(r.param("ExternalId"), Some("ext-42"));
    assert_eq!(r.param("DurationSeconds"), Some("3600"));
    let debug = format!("{provider:?} {creds:?}");
    for secret in [BASE_SECRET, "assumed-secret", "assumed-token"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[tokio::test]
async fn assume_role_credentials_are_cached_until_five_minutes_before_expiry() {
    let clock = ManualClock::at("2024-01-02T03:04:05Z");
    let server_clock = Arc::clone(&clock);
    // Like STS: every answer expires an hour after it is issued.
    let server = TestServer::start(&[(BASE_AK, BASE_SECRET)], move |_, i| {
        assume_role_reply(
            &format!("STS.k{i}"),
            "s",
            "t",
            &server_clock.now_plus(SignedDuration::from_hours(1)),
        )
    })
    .await;
    let provider = AssumeRoleProvider::new(base_client(&server.url()).with_clock(clock.clone()), params());
    assert_eq!(provider.provide().await.expect("first").access_key_id, "STS.k0");
    assert_eq!(provider.provide().await.expect("cached").access_key_id, "STS.k0");
    clock.advance(SignedDuration::from_mins(54));
    assert_eq!(provider.provide().await.expect("6 min left").access_key_id, "STS.k0");
    assert_eq!(server.hits(), 1);
    clock.advance(SignedDuration::from_mins(2));
    assert_eq!(
        provider.provide().await.expect("4 min left: refreshed").access_key_id,
        "STS.k1"
    );
    assert_eq!(server.hits(), 2);
    clock.advance(SignedDuration::from_mins(50));
    assert_eq!(
        provider.provide().await.expect("new expiry honoured").access_key_id,
        "STS.k1"
    );
    clock.advance(SignedDuration::from_mins(6));
    assert_eq!(
        provider.provide().await.expect("refreshed again").access_key_id,
        "STS.k2"
    );
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn concurrent_provide_calls_share_a_single_assume_role() {
    let clock = ManualClock::at("2024-01-02T03:04:05Z");
    let expiration = clock.now_plus(SignedDuration::from_hours(1));
    let server = TestServer::start(&[(BASE_AK, BASE_SECRET)], move |_, i| {
        assume_role_reply(&format!("STS.k{i}"), "s", "t", &expiration).delayed(Duration::from_millis(200))
    })
    .await;
    let provider = Arc::new(AssumeRoleProvider::new(
        base_client(&server.url()).with_clock(clock),
        params(),
    ));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move { provider.provide().await.map(|c| c.access_key_id) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("joined").expect("credentials"), "STS.k0");
    }
    assert_eq!(server.hits(), 1, "exactly one refresh in flight");
}

#[tokio::test]
async fn a_failing_assume_role_is_reported_once_to_every_waiter() {
    let server = TestServer::start(&[(BASE_AK, BASE_SECRET)], |_, _| {
        Reply::error(403, "NoPermission", "NP-1").delayed(Duration::from_millis(100))
    })
    .await;
    let provider = Arc::new(AssumeRoleProvider::new(base_client(&server.url()), params()));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move { provider.provide().await })
        })
        .collect();
    for task in tasks {
        let err = task.await.expect("joined").expect_err("denied");
        let CredentialsError::Sts(inner) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(inner.code(), Some("NoPermission"));
        assert!(!format!("{err:?} {err}").contains(BASE_SECRET));
    }
    assert_eq!(server.hits(), 1, "waiters share the failed attempt");
}

// ---- profile file --------------------------------------------------------------------------

fn profiles() -> serde_json::Value {
    serde_json::json!({
        "current": "default",
        "profiles": [
            {"name": "default", "mode": "AK", "access_key_id": "LTAI.default", "access_key_secret": "default-secret"},
            {"name": "sts", "mode": "StsToken", "access_key_id": "STS.profile", "access_key_secret": "sts-secret",
             "sts_token": "sts-token-value"},
            {"name": "role", "mode": "RamRoleArn", "access_key_id": BASE_AK, "access_key_secret": BASE_SECRET,
             "ram_role_arn": ROLE_ARN, "ram_session_name": "from-profile", "expired_seconds": 1800,
             "external_id": "ext-p", "sts_region": "cn-shanghai", "enable_vpc": false},
            {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "role",
             "ram_role_arn": "acs:ram::1234567890123456:role/second-hop", "ram_session_name": "hop2"},
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsRole"},
            {"name": "weird", "mode": "Kerberos"},
            {"name": "sso", "mode": "CloudSSO"},
            {"name": "loop-a", "mode": "ChainableRamRoleArn", "source_profile": "loop-b", "ram_role_arn": ROLE_ARN},
            {"name": "loop-b", "mode": "ChainableRamRoleArn", "source_profile": "loop-a", "ram_role_arn": ROLE_ARN},
            {"name": "half", "mode": "AK", "access_key_id": "LTAI.half"}
        ]
    })
}

async fn from_profile(env: Env, client: Client) -> Result<Credentials, CredentialsError> {
    ProfileProvider::new(&env, client).provide().await
}

#[tokio::test]
async fn profile_ak_and_sts_token_modes_follow_current_and_alibaba_cloud_profile() {
    let home = tempfile::tempdir().expect("tempdir");
    write_cli_config(home.path(), &profiles());
    let c = client(NOWHERE);
    let env = Env::default().with_home(home.path());
    let creds = from_profile(env.clone(), c.clone()).await.expect("current profile");
    assert_eq!(creds.access_key_id, "LTAI.default");
    assert_eq!(creds.access_key_secret.expose(), "default-secret");
    assert!(creds.security_token.is_none());

    let creds = from_profile(env.clone().with_var("ALIBABA_CLOUD_PROFILE", "sts"), c.clone())
        .await
        .expect("sts");
    assert_eq!(creds.access_key_id, "STS.profile");
    assert_eq!(
        creds.security_token.as_ref().map(|t| t.expose()),
        Some("sts-token-value")
    );

    let half = from_profile(env.clone().with_var("ALIBABA_CLOUD_PROFILE", "half"), c.clone()).await;
    assert!(
        matches!(&half, Err(CredentialsError::Invalid(m)) if m.contains("access_key_secret")),
        "{half:?}"
    );
    let missing = from_profile(env.clone().with_var("ALIBABA_CLOUD_PROFILE", "nope"), c.clone()).await;
    assert!(
        matches!(&missing, Err(CredentialsError::Invalid(m)) if m.contains("nope")),
        "{missing:?}"
    );
    let disabled = from_profile(
        env.clone().with_var("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true"),
        c.clone(),
    )
    .await;
    assert!(
        matches!(disabled, Err(CredentialsError::NotConfigured(_))),
        "{disabled:?}"
    );
    let no_file = from_profile(Env::default().with_home(home.path().join("elsewhere")), c).await;
    assert!(
        matches!(no_file, Err(CredentialsError::NotConfigured(_))),
        "{no_file:?}"
    );
}

#[tokio::test]
async fn unknown_and_unsupported_profile_modes_are_typed_errors() {
    let home = tempfile::tempdir().expect("tempdir");
    write_cli_config(home.path(), &profiles());
    let env = Env::default().with_home(home.path());
    let c = client(NOWHERE);
    let unknown = from_profile(env.clone().with_var("ALIBABA_CLOUD_PROFILE", "weird"), c.clone()).await;
    match unknown {
        Err(CredentialsError::UnknownProfileMode { profile, mode, path }) => {
            assert_eq!((profile.as_str(), mode.as_str()), ("weird", "Kerberos"));
            assert!(path.ends_with("config.json"));
        }
        other => panic!("{other:?}"),
    }
    let sso = from_profile(env.clone().with_var("ALIBABA_CLOUD_PROFILE", "sso"), c.clone()).await;
    assert!(
        matches!(&sso, Err(CredentialsError::Invalid(m)) if m.contains("CloudSSO")),
        "{sso:?}"
    );
    let cycle = from_profile(env.clone().with_var("ALIBABA_CLOUD_PROFILE", "loop-a"), c.clone()).await;
    assert!(
        matches!(&cycle, Err(CredentialsError::Invalid(m)) if m.contains("cycle")),
        "{cycle:?}"
    );

    let broken = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(broken.path().join(".aliyun")).expect("mkdir");
    std::fs::write(broken.path().join(".aliyun/config.json"), "{\"profiles\": [").expect("write");
    let bad = from_profile(Env::default().with_home(broken.path()), c).await;
    assert!(matches!(bad, Err(CredentialsError::Invalid(_))), "{bad:?}");
}

#[tokio::test]
async fn ram_role_arn_profile_assumes_the_role_with_the_profile_key() {
    let home = tempfile::tempdir().expect("tempdir");
    write_cli_config(home.path(), &profiles());
    let clock = ManualClock::at("2024-01-02T03:04:05Z");
    let expiration = clock.now_plus(SignedDuration::from_hours(1));
    let server = TestServer::start(&[(BASE_AK, BASE_SECRET), ("STS.hop1", "hop1-secret")], move |r, _| {
        if r.param("RoleSessionName") == Some("hop2") {
            assume_role_reply("STS.hop2", "hop2-secret", "hop2-token", &expiration)
        } else {
            assume_role_reply("STS.hop1", "hop1-secret", "hop1-token", &expiration)
        }
    })
    .await;
    let env = Env::default()
        .with_home(home.path())
        .with_var("ALIBABA_CLOUD_PROFILE", "role");
    let provider = ProfileProvider::new(&env, client(&server.url()).with_clock(clock.clone()));
    let creds = provider.provide().await.expect("role profile");
    assert_eq!(creds.access_key_id, "STS.hop1");
    provider.provide().await.expect("cached");
    assert_eq!(server.hits(), 1, "the profile's AssumeRole provider caches");
    let r = server.last();
    assert_eq!(r.verified.as_deref(), Ok("v1"));
    assert_eq!(r.param("AccessKeyId"), Some(BASE_AK));
    assert_eq!(r.param("RoleSessionName"), Some("from-profile"));
    assert_eq!(r.param("DurationSeconds"), Some("1800"));
    assert_eq!(r.param("ExternalId"), Some("ext-p"));

    let env = Env::default()
        .with_home(home.path())
        .with_var("ALIBABA_CLOUD_PROFILE", "chain");
    let creds = ProfileProvider::new(&env, client(&server.url()).with_clock(clock))
        .provide()
        .await
        .expect("chained profile");
    assert_eq!(creds.access_key_id, "STS.hop2");
    let hop2 = server.last();
    assert_eq!(hop2.verified.as_deref(), Ok("v1"));
    assert_eq!(
        hop2.param("AccessKeyId"),
        Some("STS.hop1"),
        "second hop signed with the first hop's keys"
    );
    assert_eq!(hop2.param("SecurityToken"), Some("hop1-token"));
    assert_eq!(hop2.param("RoleArn"), Some("acs:ram::1234567890123456:role/second-hop"));
}

// ---- OIDC ------------------------------------------------------------------------------------

fn oidc_env(token_file: &Path) -> Env {
    Env::from_pairs([
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_file.to_string_lossy().into_owned(),
        ),
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN.to_owned()),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1234567890123456:oidc-provider/ack-rrsa".to_owned(),
        ),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "rrsa-session".to_owned()),
    ])
}

#[tokio::test]
async fn oidc_exchanges_the_token_file_anonymously() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.oidc-jwt-value\n").expect("write token");
    let server = TestServer::start(&[], |_, _| {
        assume_role_reply("STS.oidc", "oidc-secret", "oidc-token", "2099-01-01T00:00:00Z")
    })
    .await;
    let env = oidc_env(&token_file);
    let provider = OidcProvider::from_env(&env, client(&server.url())).expect("configured");
    let creds = provider.provide().await.expect("exchanged");
    assert_eq!(creds.access_key_id, "STS.oidc");
    let r = server.last();
    assert_eq!(r.action(), "AssumeRoleWithOIDC");
    assert_eq!(
        r.verified,
        Err("unsigned".to_owned()),
        "AssumeRoleWithOIDC is anonymous"
    );
    assert_eq!(r.param("OIDCToken"), Some("eyJhbGciOiJSUzI1NiJ9.oidc-jwt-value"));
    assert_eq!(
        r.param("OIDCProviderArn"),
        Some("acs:ram::1234567890123456:oidc-provider/ack-rrsa")
    );
    assert_eq!(r.param("RoleSessionName"), Some("rrsa-session"));
    assert_eq!(r.param("AccessKeyId"), None);
    assert!(!format!("{provider:?}").contains("oidc-jwt-value"));

    let unset = OidcProvider::from_env(&Env::default(), client(&server.url()));
    assert!(matches!(unset, Err(CredentialsError::NotConfigured(_))));
    let missing_file = OidcProvider::new(
        client(&server.url()),
        OidcParams {
            oidc_token_file: dir.path().join("absent"),
            ..OidcParams::from_env(&env).expect("params")
        },
    )
    .provide()
    .await;
    assert!(
        matches!(missing_file, Err(CredentialsError::Provider { provider: "oidc", .. })),
        "{missing_file:?}"
    );
}

// ---- ECS metadata ----------------------------------------------------------------------------

#[tokio::test]
async fn ecs_ram_role_uses_the_imdsv2_token_and_discovers_the_role() {
    let md = metadata_server(true).await;
    let provider = EcsRamRoleProvider::new(None)
        .expect("provider")
        .with_base_url(md.server.url());
    let creds = provider.provide().await.expect("metadata credentials");
    assert_eq!(creds.access_key_id, "STS.ecs");
    assert_eq!(creds.security_token.as_ref().map(|t| t.expose()), Some("ecs-token"));
    assert_eq!(md.token_requests.load(Ordering::SeqCst), 1);
    provider.provide().await.expect("cached");
    assert_eq!(md.server.hits(), 3, "token + listing + credentials, then cached");
    assert!(!format!("{provider:?}").contains("ecs-secret"));
}

#[tokio::test]
async fn ecs_ram_role_falls_back_to_imdsv1_unless_disabled() {
    let md = metadata_server(false).await;
    let provider = EcsRamRoleProvider::new(Some("EcsRole".into()))
        .expect("provider")
        .with_base_url(md.server.url());
    assert_eq!(provider.provide().await.expect("v1 fallback").access_key_id, "STS.ecs");
    let strict = EcsRamRoleProvider::from_env(&Env::from_pairs([("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")]))
        .expect("provider")
        .with_base_url(md.server.url());
    let err = strict.provide().await.expect_err("v1 disabled");
    assert!(
        matches!(&err, CredentialsError::Provider { provider: "ecs_ram_role", message } if message.contains("IMDSv1")),
        "{err:?}"
    );
}

#[tokio::test]
async fn ecs_profile_mode_reads_the_metadata_service() {
    let md = metadata_server(true).await;
    let home = tempfile::tempdir().expect("tempdir");
    write_cli_config(home.path(), &profiles());
    let env = Env::default()
        .with_home(home.path())
        .with_var("ALIBABA_CLOUD_PROFILE", "ecs");
    let creds = ProfileProvider::new(&env, client(NOWHERE))
        .with_ecs_metadata_url(md.server.url())
        .provide()
        .await
        .expect("ecs profile");
    assert_eq!(creds.access_key_id, "STS.ecs");
    let paths: Vec<String> = md.server.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        !paths.contains(&"/latest/meta-data/ram/security-credentials/".to_owned()),
        "role name from the profile"
    );
}

// ---- the default chain -------------------------------------------------------------------------

#[tokio::test]
async fn default_chain_order_is_env_oidc_cli_profile_ini_profile_ecs() {
    let md = metadata_server(true).await;
    let sts = TestServer::start(&[], |_, _| {
        assume_role_reply("STS.oidc", "oidc-secret", "oidc-token", "2099-01-01T00:00:00Z")
    })
    .await;
    let home = tempfile::tempdir().expect("tempdir");
    write_cli_config(home.path(), &profiles());
    let token_file = home.path().join("token");
    std::fs::write(&token_file, "jwt").expect("token");
    let c = client(&sts.url());
    let chain = |env: &Env| DefaultChain::with_metadata_url(env, &c, &md.server.url()).expect("chain");

    let env_keys = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI.env"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
    ];
    let mut everything = oidc_env(&token_file).with_home(home.path());
    for (k, v) in env_keys {
        everything = everything.with_var(k, v);
    }
    let all = chain(&everything);
    assert_eq!(
        all.provider_names(),
        ["environment", "oidc", "cli_profile", "ini_profile", "ecs_ram_role"]
    );
    assert_eq!(all.provide().await.expect("env").access_key_id, "LTAI.env");

    let without_env = oidc_env(&token_file).with_home(home.path());
    assert_eq!(
        chain(&without_env).provide().await.expect("oidc").access_key_id,
        "STS.oidc"
    );

    let profile_only = Env::default().with_home(home.path());
    assert_eq!(
        chain(&profile_only).provide().await.expect("profile").access_key_id,
        "LTAI.default"
    );

    let nothing = Env::default();
    assert_eq!(chain(&nothing).provide().await.expect("ecs").access_key_id, "STS.ecs");

    let disabled = Env::from_pairs([("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")]);
    let none = chain(&disabled);
    assert_eq!(none.provider_names(), ["environment", "cli_profile", "ini_profile"]);
    match none.provide().await {
        Err(CredentialsError::ChainExhausted(failures)) => {
            assert_eq!(failures.len(), 3);
            assert!(
                failures[0].starts_with("environment:")
                    && failures[1].starts_with("cli_profile:")
                    && failures[2].starts_with("ini_profile:"),
                "{failures:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_exhausted_chain_names_each_provider_once() {
    // A loopback port nobody listens on: the metadata lookup fails fast.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let metadata_url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let c = client("http://127.0.0.1:1");
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::from_pairs([("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI.half")]).with_home(home.path());
    let chain = DefaultChain::with_metadata_url(&env, &c, &metadata_url).expect("chain");
    let message = match chain.provide().await {
        Err(e @ CredentialsError::ChainExhausted(_)) => e.to_string(),
        other => panic!("{other:?}"),
    };
    for name in ["environment", "cli_profile", "ecs_ram_role"] {
        assert_eq!(
            message.matches(&format!("{name}:")).count(),
            1,
            "{name} named once in {message}"
        );
    }
}

#[tokio::test]
async fn default_chain_keeps_using_the_provider_that_won() {
    let md = metadata_server(true).await;
    let c = client(NOWHERE);
    let chain = DefaultChain::with_metadata_url(&Env::default(), &c, &md.server.url()).expect("chain");
    chain.provide().await.expect("ecs");
    chain.provide().await.expect("ecs again");
    assert_eq!(
        md.token_requests.load(Ordering::SeqCst),
        1,
        "the ECS provider (and its cache) is reused"
    );
}

#[tokio::test]
async fn client_from_env_uses_the_chain_and_the_single_endpoint() {
    let server = TestServer::start(&[("LTAI.env", "env-secret")], |_, _| {
        Reply::json(200, serde_json::json!({"RequestId": "R", "AccountId": "1", "Arn": "acs:ram::1:user/x", "IdentityType": "RAMUser"}))
    })
    .await;
    let env = Env::from_pairs([
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI.env"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
        ("DLCAUTH_ENDPOINT", server.url().as_str()),
        ("DLCAUTH_SIGNATURE_VERSION", "v3"),
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
    ]);
    let client = Client::from_env(&env).expect("client");
    let me = client.call(&acs::api::sts::GetCallerIdentity).await.expect("identity");
    assert_eq!(me.body.account_id, "1");
    assert_eq!(server.last().verified.as_deref(), Ok("v3"));
    assert!(!format!("{client:?}").contains("env-secret"));
}

#[tokio::test]
async fn metadata_server_rejects_requests_without_the_token() {
    // Guards the ECS tests above: the fake really enforces IMDSv2 when asked to.
    let md = metadata_server(true).await;
    let response = reqwest_free_get(&md.server.url(), "/latest/meta-data/ram/security-credentials/EcsRole").await;
    assert_eq!(response, StatusCode::UNAUTHORIZED);
}

async fn reqwest_free_get(base: &str, path: &str) -> StatusCode {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let code: u16 = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    StatusCode::from_u16(code).expect("status")
}
