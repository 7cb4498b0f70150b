//! Steps 4 and 6 of the official default chain: the shared INI credentials file and
//! `ALIBABA_CLOUD_CREDENTIALS_URI`, against loopback servers and files in temporary directories,
//! and their places in [`DefaultChain`].

// Test helpers outside `#[test]` functions (setup, canned servers) panic on failure by design.
#![allow(clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use acs::credentials::{CredentialsUriProvider, DefaultChain, Env, IniProfileProvider, UriFailure};
use acs::{Client, Credentials, CredentialsError, ProvideCredentials};
use common::{
    ManualClock, NOWHERE, Reply, SilentServer, TestServer, assume_role_reply, client, metadata_server, write_cli_config,
};
use jiff::SignedDuration;

const INI_AK: &str = "LTAI5tIniKey0001";
const INI_SECRET: &str = "ini-secret-value-0001";
const ROLE_ARN: &str = "acs:ram::1234567890123456:role/dlcauth-granter";

const INI: &str = "\
# dlcauth test credentials
[default]
type = access_key
access_key_id = LTAI.ini.default
access_key_secret = ini-default-secret

[prod]
type = access_key                 # trailing comments are dropped
access_key_id = LTAI.ini.prod
access_key_secret = ini-prod-secret

[role]
type = ram_role_arn
access_key_id = LTAI5tIniKey0001
access_key_secret = ini-secret-value-0001
role_arn = acs:ram::1234567890123456:role/dlcauth-granter
role_session_name = from-ini
policy = {\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ram:Get*\",\"Resource\":\"*\"}]}

[role-no-session]
type = ram_role_arn
access_key_id = LTAI5tIniKey0001
access_key_secret = ini-secret-value-0001
role_arn = acs:ram::1234567890123456:role/dlcauth-granter

[role-arn-from-env]
type = ram_role_arn
access_key_id = LTAI5tIniKey0001
access_key_secret = ini-secret-value-0001

[oidc]
type = oidc_role_arn
role_arn = acs:ram::1234567890123456:role/dlcauth-granter
oidc_provider_arn = acs:ram::1234567890123456:oidc-provider/ack-rrsa
oidc_token_file_path = TOKEN_FILE
role_session_name = ini-oidc

[ecs]
type = ecs_ram_role
role_name = EcsRole

[rsa]
type = rsa_key_pair
public_key_id = TMP.pub
private_key_file = /nonexistent/key.pem

[weird]
type = kerberos

[untyped]
access_key_id = LTAI.untyped

[half]
type = access_key
access_key_id = LTAI.half
";

/// Writes the test file as `~/.alibabacloud/credentials.ini` under a new home, with the OIDC
/// token file next to it.
fn home_with_ini() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().expect("tempdir");
    let token_file = home.path().join("oidc-token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.ini-oidc-jwt\n").expect("token");
    write_ini(
        home.path(),
        &INI.replace("TOKEN_FILE", token_file.to_str().expect("utf-8 path")),
    );
    (home, token_file)
}

fn write_ini(home: &Path, text: &str) -> PathBuf {
    let dir = home.join(".alibabacloud");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("credentials.ini");
    std::fs::write(&path, text).expect("write ini");
    path
}

fn profile_env(home: &Path, profile: &str) -> Env {
    Env::default()
        .with_home(home)
        .with_var("ALIBABA_CLOUD_PROFILE", profile)
}

async fn from_ini(env: &Env, client: Client) -> Result<Credentials, CredentialsError> {
    IniProfileProvider::new(env, client).provide().await
}

// ---- INI profile -----------------------------------------------------------------------------

#[tokio::test]
async fn ini_default_profile_is_read_from_the_home_directory() {
    let (home, _) = home_with_ini();
    let creds = from_ini(&Env::default().with_home(home.path()), client(NOWHERE))
        .await
        .expect("default section");
    assert_eq!(creds.access_key_id, "LTAI.ini.default");
    assert_eq!(creds.access_key_secret.expose(), "ini-default-secret");
    assert!(creds.security_token.is_none() && creds.expiration.is_none());
}

#[tokio::test]
async fn ini_file_and_profile_follow_the_environment_variables() {
    let (home, _) = home_with_ini();
    let prod = from_ini(&profile_env(home.path(), "prod"), client(NOWHERE))
        .await
        .expect("ALIBABA_CLOUD_PROFILE=prod");
    assert_eq!(prod.access_key_id, "LTAI.ini.prod");
    assert_eq!(
        prod.access_key_secret.expose(),
        "ini-prod-secret",
        "the inline comment is not part of a value"
    );

    let elsewhere = tempfile::tempdir().expect("tempdir");
    let other = elsewhere.path().join("team.ini");
    std::fs::write(
        &other,
        "[default]\ntype = access_key\naccess_key_id = LTAI.team\naccess_key_secret = team-secret\n",
    )
    .expect("write");
    let env = Env::default()
        .with_home(home.path())
        .with_var("ALIBABA_CLOUD_CREDENTIALS_FILE", other.to_str().expect("utf-8"));
    let team = from_ini(&env, client(NOWHERE))
        .await
        .expect("ALIBABA_CLOUD_CREDENTIALS_FILE");
    assert_eq!(team.access_key_id, "LTAI.team", "the variable beats ~/.alibabacloud");

    let explicit = IniProfileProvider::new(&Env::default(), client(NOWHERE))
        .with_path(&other)
        .with_profile("default")
        .provide()
        .await
        .expect("with_path");
    assert_eq!(explicit.access_key_id, "LTAI.team");
}

#[tokio::test]
async fn ini_ram_role_arn_profile_assumes_the_role_with_the_file_key() {
    let (home, _) = home_with_ini();
    let clock = ManualClock::at("2024-01-02T03:04:05Z");
    let expiration = clock.now_plus(SignedDuration::from_hours(1));
    let sts = TestServer::start(&[(INI_AK, INI_SECRET)], move |_, _| {
        assume_role_reply("STS.ini-role", "ini-role-secret", "ini-role-token", &expiration)
    })
    .await;
    let provider = IniProfileProvider::new(
        &profile_env(home.path(), "role"),
        client(&sts.url()).with_clock(clock.clone()),
    );
    let creds = provider.provide().await.expect("assumed");
    assert_eq!(creds.access_key_id, "STS.ini-role");
    assert_eq!(
        creds.security_token.as_ref().map(|t| t.expose()),
        Some("ini-role-token")
    );
    provider.provide().await.expect("cached");
    assert_eq!(sts.hits(), 1, "the assumed credentials are cached");
    let r = sts.last();
    assert_eq!(r.verified.as_deref(), Ok("v1"), "signed with the file's key");
    assert_eq!(r.action(), "AssumeRole");
    assert_eq!(r.param("AccessKeyId"), Some(INI_AK));
    assert_eq!(r.param("RoleArn"), Some(ROLE_ARN));
    assert_eq!(r.param("RoleSessionName"), Some("from-ini"));
    assert_eq!(
        r.param("Policy"),
        Some("{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ram:Get*\",\"Resource\":\"*\"}]}")
    );

    // Without role_session_name in the file: the variable the library falls back to.
    let env = profile_env(home.path(), "role-no-session").with_var("ALIBABA_CLOUD_ROLE_SESSION_NAME", "from-env");
    IniProfileProvider::new(&env, client(&sts.url()).with_clock(clock.clone()))
        .provide()
        .await
        .expect("assumed");
    assert_eq!(sts.last().param("RoleSessionName"), Some("from-env"));
    // …and without either, a generated one (the library's `credentials-python-<unix time>`).
    IniProfileProvider::new(
        &profile_env(home.path(), "role-no-session"),
        client(&sts.url()).with_clock(clock.clone()),
    )
    .provide()
    .await
    .expect("assumed");
    assert_eq!(
        sts.last().param("RoleSessionName"),
        Some("dlcauth-1704164645"),
        "dlcauth-<unix time of the client clock>"
    );

    // role_arn too falls back to the library's variable, and is required.
    let env = profile_env(home.path(), "role-arn-from-env")
        .with_var("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1234567890123456:role/from-env");
    IniProfileProvider::new(&env, client(&sts.url()).with_clock(clock.clone()))
        .provide()
        .await
        .expect("assumed");
    assert_eq!(
        sts.last().param("RoleArn"),
        Some("acs:ram::1234567890123456:role/from-env")
    );
    let before = sts.hits();
    let no_arn = from_ini(&profile_env(home.path(), "role-arn-from-env"), client(&sts.url())).await;
    assert!(
        matches!(&no_arn, Err(CredentialsError::Invalid(m)) if m.contains("role_arn is missing")),
        "{no_arn:?}"
    );
    assert_eq!(sts.hits(), before);
}

#[tokio::test]
async fn ini_oidc_role_arn_profile_exchanges_the_token_file_anonymously() {
    let (home, _) = home_with_ini();
    let sts = TestServer::start(&[], |_, _| {
        assume_role_reply("STS.ini-oidc", "oidc-secret", "oidc-token", "2099-01-01T00:00:00Z")
    })
    .await;
    let creds = from_ini(&profile_env(home.path(), "oidc"), client(&sts.url()))
        .await
        .expect("exchanged");
    assert_eq!(creds.access_key_id, "STS.ini-oidc");
    let r = sts.last();
    assert_eq!(r.action(), "AssumeRoleWithOIDC");
    assert_eq!(r.verified, Err("unsigned".to_owned()));
    assert_eq!(r.param("OIDCToken"), Some("eyJhbGciOiJSUzI1NiJ9.ini-oidc-jwt"));
    assert_eq!(
        r.param("OIDCProviderArn"),
        Some("acs:ram::1234567890123456:oidc-provider/ack-rrsa")
    );
    assert_eq!(r.param("RoleArn"), Some(ROLE_ARN));
    assert_eq!(r.param("RoleSessionName"), Some("ini-oidc"));
}

#[tokio::test]
async fn ini_ecs_ram_role_profile_uses_its_role_name_unless_metadata_is_disabled() {
    let (home, _) = home_with_ini();
    let md = metadata_server(true).await;
    let creds = IniProfileProvider::new(&profile_env(home.path(), "ecs"), client(NOWHERE))
        .with_ecs_metadata_url(md.server.url())
        .provide()
        .await
        .expect("metadata credentials");
    assert_eq!(creds.access_key_id, "STS.ecs");
    let paths: Vec<String> = md.server.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        !paths.contains(&"/latest/meta-data/ram/security-credentials/".to_owned()),
        "role_name comes from the file: {paths:?}"
    );

    let before = md.server.hits();
    let disabled = IniProfileProvider::new(
        &profile_env(home.path(), "ecs").with_var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
        client(NOWHERE),
    )
    .with_ecs_metadata_url(md.server.url())
    .provide()
    .await;
    assert!(
        matches!(&disabled, Err(CredentialsError::Invalid(m)) if m.contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED")),
        "{disabled:?}"
    );
    assert_eq!(md.server.hits(), before, "no metadata request when disabled");
}

#[tokio::test]
async fn ini_missing_default_file_is_not_configured_but_a_missing_named_file_is_an_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let absent = from_ini(&Env::default().with_home(home.path()), client(NOWHERE)).await;
    assert!(
        matches!(&absent, Err(CredentialsError::NotConfigured(m)) if m.contains("credentials.ini")),
        "{absent:?}"
    );
    let no_home = from_ini(&Env::default(), client(NOWHERE)).await;
    assert!(
        matches!(no_home, Err(CredentialsError::NotConfigured(_))),
        "{no_home:?}"
    );

    let named = home.path().join("typo.ini");
    let env = Env::default()
        .with_home(home.path())
        .with_var("ALIBABA_CLOUD_CREDENTIALS_FILE", named.to_str().expect("utf-8"));
    let missing = from_ini(&env, client(NOWHERE)).await;
    assert!(
        matches!(&missing, Err(CredentialsError::Invalid(m)) if m.contains("typo.ini")),
        "{missing:?}"
    );
}

#[tokio::test]
async fn ini_missing_section_is_a_typed_error() {
    let (home, _) = home_with_ini();
    let err = from_ini(&profile_env(home.path(), "staging"), client(NOWHERE))
        .await
        .expect_err("no [staging]");
    match err {
        CredentialsError::ProfileNotFound { profile, path } => {
            assert_eq!(profile, "staging");
            assert!(path.ends_with("credentials.ini"), "{path}");
        }
        other => panic!("{other:?}"),
    }
    // Python's configparser never returns `[DEFAULT]` as a section of its own.
    let defaults = tempfile::tempdir().expect("tempdir");
    write_ini(
        defaults.path(),
        "[DEFAULT]\ntype = access_key\naccess_key_id = LTAI.d\naccess_key_secret = d-secret\n",
    );
    let err = from_ini(&profile_env(defaults.path(), "DEFAULT"), client(NOWHERE)).await;
    assert!(
        matches!(&err, Err(CredentialsError::ProfileNotFound { profile, .. }) if profile == "DEFAULT"),
        "{err:?}"
    );
}

#[tokio::test]
async fn ini_unknown_unsupported_and_incomplete_profiles_are_typed_errors() {
    let (home, _) = home_with_ini();
    let c = client(NOWHERE);
    match from_ini(&profile_env(home.path(), "weird"), c.clone()).await {
        Err(CredentialsError::UnknownProfileMode { profile, mode, path }) => {
            assert_eq!((profile.as_str(), mode.as_str()), ("weird", "kerberos"));
            assert!(path.ends_with("credentials.ini"), "{path}");
        }
        other => panic!("{other:?}"),
    }
    match from_ini(&profile_env(home.path(), "rsa"), c.clone()).await {
        Err(err @ CredentialsError::UnsupportedProfileMode { .. }) => {
            assert!(err.to_string().contains("rsa_key_pair"), "{err}");
        }
        other => panic!("{other:?}"),
    }
    let untyped = from_ini(&profile_env(home.path(), "untyped"), c.clone()).await;
    assert!(
        matches!(&untyped, Err(CredentialsError::Invalid(m)) if m.contains("`type` is missing")),
        "{untyped:?}"
    );
    let half = from_ini(&profile_env(home.path(), "half"), c.clone()).await;
    assert!(
        matches!(&half, Err(CredentialsError::Invalid(m)) if m.contains("access_key_secret is missing")),
        "{half:?}"
    );

    let broken = tempfile::tempdir().expect("tempdir");
    write_ini(
        broken.path(),
        "[default\ntype = access_key\naccess_key_secret = broken-secret\n",
    );
    let bad = from_ini(&Env::default().with_home(broken.path()), c).await;
    match bad {
        Err(CredentialsError::Invalid(m)) => {
            assert!(m.contains("not a valid INI file"), "{m}");
            assert!(!m.contains("broken-secret"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

// ---- credentials URI ---------------------------------------------------------------------------

fn uri_document(id: &str, expiration: &str) -> Reply {
    Reply::json(
        200,
        serde_json::json!({"Code": "Success", "AccessKeyId": id, "AccessKeySecret": "uri-secret",
                           "SecurityToken": "uri-token", "Expiration": expiration,
                           "LastUpdated": "2024-01-02T03:04:05Z"}),
    )
}

fn uri_provider(url: &str) -> CredentialsUriProvider {
    CredentialsUriProvider::new(url).expect("provider")
}

async fn uri_failure(provider: &CredentialsUriProvider) -> (String, UriFailure) {
    match provider.provide().await {
        Err(CredentialsError::CredentialsUri { uri, failure }) => (uri, failure),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn credentials_uri_is_fetched_with_get_keeping_path_and_query() {
    let server = TestServer::start(&[], |_, _| uri_document("STS.uri", "2099-01-01T00:00:00Z")).await;
    let env = Env::from_pairs([(
        "ALIBABA_CLOUD_CREDENTIALS_URI",
        format!("{}/v1/credentials?role=dlcauth&token=abc", server.url()),
    )]);
    let provider = CredentialsUriProvider::from_env(&env).expect("configured");
    let creds = provider.provide().await.expect("credentials");
    assert_eq!(creds.access_key_id, "STS.uri");
    assert_eq!(creds.access_key_secret.expose(), "uri-secret");
    assert_eq!(creds.security_token.as_ref().map(|t| t.expose()), Some("uri-token"));
    assert_eq!(
        creds.expiration.map(|t| t.to_string()).as_deref(),
        Some("2099-01-01T00:00:00Z")
    );
    let r = server.last();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/v1/credentials");
    assert_eq!(r.param("role"), Some("dlcauth"));
    assert_eq!(r.param("token"), Some("abc"));

    let unset = CredentialsUriProvider::from_env(&Env::default());
    assert!(matches!(unset, Err(CredentialsError::NotConfigured(_))), "{unset:?}");
}

#[tokio::test]
async fn credentials_uri_is_cached_until_five_minutes_before_expiry_then_refetched() {
    let clock = ManualClock::at("2024-01-02T03:04:05Z");
    let server_clock = Arc::clone(&clock);
    let server = TestServer::start(&[], move |_, i| {
        uri_document(
            &format!("STS.k{i}"),
            &server_clock.now_plus(SignedDuration::from_hours(1)),
        )
    })
    .await;
    let provider = uri_provider(&server.url()).with_clock(clock.clone());
    assert_eq!(provider.provide().await.expect("first").access_key_id, "STS.k0");
    clock.advance(SignedDuration::from_mins(54));
    assert_eq!(provider.provide().await.expect("6 min left").access_key_id, "STS.k0");
    assert_eq!(server.hits(), 1);
    clock.advance(SignedDuration::from_mins(2));
    assert_eq!(provider.provide().await.expect("4 min left").access_key_id, "STS.k1");
    assert_eq!(server.hits(), 2);
    assert_eq!(provider.provide().await.expect("fresh again").access_key_id, "STS.k1");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn concurrent_credentials_uri_calls_share_one_fetch() {
    let server = TestServer::start(&[], |_, i| {
        uri_document(&format!("STS.k{i}"), "2099-01-01T00:00:00Z").delayed(Duration::from_millis(150))
    })
    .await;
    let provider = Arc::new(uri_provider(&server.url()));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move { provider.provide().await.map(|c| c.access_key_id) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("joined").expect("credentials"), "STS.k0");
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn credentials_uri_non_200_is_a_typed_error_that_does_not_quote_the_body() {
    let server = TestServer::start(&[], |_, i| {
        let status = if i == 0 { 500 } else { 302 };
        Reply::json(
            status,
            serde_json::json!({"Code": "Success", "AccessKeyId": "STS.x", "AccessKeySecret": "leaked-secret",
                               "SecurityToken": "leaked-token", "Expiration": "2099-01-01T00:00:00Z"}),
        )
        .header("location", "http://127.0.0.1:9/elsewhere")
    })
    .await;
    let provider = uri_provider(&format!("{}/creds?token=query-token", server.url()));
    let (uri, failure) = uri_failure(&provider).await;
    assert_eq!(failure, UriFailure::HttpStatus(500));
    assert_eq!(uri, format!("{}/creds", server.url()), "no query string");
    // The cache does not retry a failure for a few seconds; a new provider does.
    let (_, failure) = uri_failure(&uri_provider(&server.url())).await;
    assert_eq!(failure, UriFailure::HttpStatus(302), "redirects are not followed");
    let err = uri_provider(&server.url()).provide().await.expect_err("non-200");
    let text = format!("{err} {err:?}");
    for leak in ["leaked-secret", "leaked-token", "query-token"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

#[tokio::test]
async fn credentials_uri_code_other_than_success_is_a_typed_error() {
    let server = TestServer::start(&[], |r, _| match r.path.as_str() {
        "/failed" => Reply::json(
            200,
            serde_json::json!({"Code": "InternalError", "Message": "try later", "AccessKeySecret": "leaked-secret"}),
        ),
        _ => Reply::json(
            200,
            serde_json::json!({"AccessKeyId": "STS.x", "AccessKeySecret": "s", "SecurityToken": "t",
                               "Expiration": "2099-01-01T00:00:00Z"}),
        ),
    })
    .await;
    let provider = uri_provider(&format!("{}/failed", server.url()));
    let (_, failure) = uri_failure(&provider).await;
    assert_eq!(failure, UriFailure::Code(Some("InternalError".into())));
    let err = uri_provider(&format!("{}/failed", server.url()))
        .provide()
        .await
        .expect_err("failed");
    assert!(!format!("{err} {err:?}").contains("leaked-secret"));
    let (_, failure) = uri_failure(&uri_provider(&format!("{}/no-code", server.url()))).await;
    assert_eq!(failure, UriFailure::Code(None), "the library requires Code == Success");
}

#[tokio::test]
async fn credentials_uri_bad_json_and_missing_fields_are_typed_errors() {
    let server = TestServer::start(&[], |r, _| match r.path.as_str() {
        "/html" => Reply::raw(200, "text/html", "<html>captive portal</html>"),
        "/no-token" => Reply::json(
            200,
            serde_json::json!({"Code": "Success", "AccessKeyId": "STS.x", "AccessKeySecret": "s",
                               "Expiration": "2099-01-01T00:00:00Z"}),
        ),
        "/bad-expiration" => uri_document("STS.x", "next tuesday"),
        _ => Reply::raw(200, "application/json", vec![b'x'; 100 * 1024]),
    })
    .await;
    for (path, expected) in [
        ("/html", "not JSON"),
        ("/no-token", "SecurityToken is missing"),
        ("/bad-expiration", "Expiration \"next tuesday\""),
        ("/huge", "larger than"),
    ] {
        let (_, failure) = uri_failure(&uri_provider(&format!("{}{path}", server.url()))).await;
        match failure {
            UriFailure::InvalidBody(message) => assert!(message.contains(expected), "{path}: {message}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn credentials_uri_gives_up_after_its_timeout() {
    let silent = SilentServer::start().await;
    let provider = uri_provider(&silent.url()).with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let (_, failure) = uri_failure(&provider).await;
    assert_eq!(failure, UriFailure::Timeout(Duration::from_millis(300)));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn credentials_uri_that_is_not_an_http_url_is_a_typed_error() {
    for uri in [
        "not a url",
        "file:///etc/passwd",
        "ftp://127.0.0.1/creds",
        "/relative/path",
    ] {
        let provider = uri_provider(uri);
        let (shown, failure) = uri_failure(&provider).await;
        assert!(matches!(failure, UriFailure::InvalidUri(_)), "{uri}: {failure:?}");
        assert!(!shown.contains(uri), "the unusable URI is not printed: {shown}");
    }
    let refused = uri_provider(NOWHERE);
    let (_, failure) = uri_failure(&refused).await;
    assert!(matches!(failure, UriFailure::Transport(_)), "{failure:?}");
}

// ---- the chain -----------------------------------------------------------------------------

fn write_cli_profile(home: &Path) {
    write_cli_config(
        home,
        &serde_json::json!({"current": "default", "profiles": [
            {"name": "default", "mode": "AK", "access_key_id": "LTAI.cli", "access_key_secret": "cli-secret"}]}),
    );
}

#[tokio::test]
async fn default_chain_puts_ini_after_the_cli_profile_and_before_ecs_and_the_uri_last() {
    let md = metadata_server(true).await;
    let uri = TestServer::start(&[], |_, i| uri_document(&format!("STS.uri{i}"), "2099-01-01T00:00:00Z")).await;
    let c = client(NOWHERE);
    let chain = |env: &Env| DefaultChain::with_metadata_url(env, &c, &md.server.url()).expect("chain");
    let uri_env = |home: &Path| {
        Env::default()
            .with_home(home)
            .with_var("ALIBABA_CLOUD_CREDENTIALS_URI", uri.url())
    };

    // Every step configured: the CLI profile beats the INI file.
    let (both, _) = home_with_ini();
    write_cli_profile(both.path());
    let all = chain(&uri_env(both.path()));
    assert_eq!(
        all.provider_names(),
        [
            "environment",
            "cli_profile",
            "ini_profile",
            "ecs_ram_role",
            "credentials_uri"
        ]
    );
    assert_eq!(all.provide().await.expect("cli").access_key_id, "LTAI.cli");

    // No CLI profile: the INI file beats the instance role and the URI.
    let (ini_only, _) = home_with_ini();
    assert_eq!(
        chain(&uri_env(ini_only.path()))
            .provide()
            .await
            .expect("ini")
            .access_key_id,
        "LTAI.ini.default"
    );
    assert_eq!(md.credential_fetches.load(Ordering::SeqCst), 0);
    assert_eq!(uri.hits(), 0);

    // Neither file: the instance role beats the URI.
    let empty = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        chain(&uri_env(empty.path()))
            .provide()
            .await
            .expect("ecs")
            .access_key_id,
        "STS.ecs"
    );
    assert_eq!(uri.hits(), 0, "the URI is the last resort");

    // Only the URI is left; the chain then keeps using it (and its cache).
    let last = chain(&uri_env(empty.path()).with_var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"));
    assert_eq!(
        last.provider_names(),
        ["environment", "cli_profile", "ini_profile", "credentials_uri"]
    );
    assert_eq!(last.provide().await.expect("uri").access_key_id, "STS.uri0");
    assert_eq!(last.provide().await.expect("uri again").access_key_id, "STS.uri0");
    assert_eq!(uri.hits(), 1);

    // Without the variable there is no URI step; every failure is listed, in order.
    let none = chain(&Env::from_pairs([("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")]).with_home(empty.path()));
    assert_eq!(none.provider_names(), ["environment", "cli_profile", "ini_profile"]);
    match none.provide().await {
        Err(CredentialsError::ChainExhausted(failures)) => {
            let names: Vec<&str> = failures
                .iter()
                .map(|f| f.split(':').next().unwrap_or_default())
                .collect();
            assert_eq!(names, ["environment", "cli_profile", "ini_profile"], "{failures:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn default_chain_moves_past_a_broken_ini_profile() {
    // The library turns every provider failure into a line of the final error and goes on.
    let md = metadata_server(true).await;
    let (home, _) = home_with_ini();
    let env = profile_env(home.path(), "weird");
    let chain = DefaultChain::with_metadata_url(&env, &client(NOWHERE), &md.server.url()).expect("chain");
    assert_eq!(chain.provide().await.expect("ecs").access_key_id, "STS.ecs");
}
