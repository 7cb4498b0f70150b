//! No secret (AccessKeySecret, SecurityToken, OIDC token, fetched STS credentials) ever reaches a
//! `Debug`, a `Display`, an error or a log line — checked on everything the crate can print, with
//! every log line of every crate captured at TRACE level.

// Test helpers outside `#[test]` functions (setup, canned servers) panic on failure by design.
#![allow(clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs::client::{ClientConfig, RetryPolicy, SignatureVersion};
use acs::credentials::{
    AssumeRoleParams, AssumeRoleProvider, CredentialsUriProvider, DefaultChain, EcsRamRoleProvider, Env, EnvProvider,
    IniProfileProvider, NoCredentials, OidcProvider, ProfileProvider, StaticProvider,
};
use acs::sign::{percent_encode, rpc_v1};
use acs::{Client, Credentials, Error, ProvideCredentials};
use common::{ClosingServer, Reply, TestServer, assume_role_reply};

const AK: &str = "STS.SecretsTestKeyId";
const SECRET: &str = "Sup3rS3cretAccessKeyValue";
const TOKEN: &str = "CAIS+secret/Token==zz~yy*xx";
const NEW_SECRET: &str = "FreshlyIssuedStsSecret";
const NEW_TOKEN: &str = "FreshlyIssuedStsToken+/=";
const ENV_SECRET: &str = "EnvironmentSecretValue";
const OIDC_JWT: &str = "eyJhbGciOiJSUzI1NiJ9.very-secret-oidc-jwt";
const INI_SECRET: &str = "IniFileAccessKeySecret";
const URI_SECRET: &str = "CredentialsUriServedSecret";
const URI_TOKEN: &str = "CredentialsUriServed+Token/==";
const URI_QUERY_TOKEN: &str = "uri-query-bearer-token";

/// Every form a secret could take in text: raw, percent-encoded once (a query string) and twice
/// (inside a V1 string-to-sign).
fn forbidden() -> Vec<String> {
    let mut out = Vec::new();
    for secret in [
        SECRET,
        TOKEN,
        NEW_SECRET,
        NEW_TOKEN,
        ENV_SECRET,
        OIDC_JWT,
        INI_SECRET,
        URI_SECRET,
        URI_TOKEN,
        URI_QUERY_TOKEN,
    ] {
        let once = percent_encode(secret);
        out.push(percent_encode(&once));
        out.push(once);
        out.push(secret.to_owned());
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} leaks {secret:?}:\n{text}");
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

/// Every log line of every crate, at TRACE level, until the guard is dropped.
fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

fn sts_client(url: &str, version: SignatureVersion) -> Client {
    let config = ClientConfig {
        signature_version: version,
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        ..ClientConfig::single(url).expect("url")
    };
    Client::new(
        config,
        Arc::new(StaticProvider::new(Credentials::sts(AK, SECRET, TOKEN, None))),
    )
    .expect("client")
}

/// Answers like a gateway that echoes what it saw: `SignatureDoesNotMatch` quoting its V1
/// string-to-sign (which contains the SecurityToken), or an error quoting the token header.
fn echoing_gateway(r: &common::Recorded, _: usize) -> Reply {
    match r.action().as_str() {
        "GetRole" if r.param("Signature").is_some() => {
            let params: Vec<(&str, &str)> = r.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let string_to_sign = rpc_v1::string_to_sign("POST", &rpc_v1::canonical_query(params));
            assert!(
                string_to_sign.contains(&percent_encode(&percent_encode(TOKEN))),
                "the echo really contains it"
            );
            Reply::json(
                400,
                serde_json::json!({"RequestId": "R-SIG", "Code": "SignatureDoesNotMatch",
                    "Message": format!("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}")}),
            )
        }
        "GetRole" => Reply::json(
            400,
            serde_json::json!({"RequestId": "R-TOK", "Code": "InvalidSecurityToken.Malformed",
                "Message": format!("The security token {} is malformed", r.header("x-acs-security-token").unwrap_or_default()),
                "Recommend": format!("https://api.aliyun.com/troubleshoot?token={}", percent_encode(TOKEN))}),
        ),
        "GetUser" => Reply::json(200, serde_json::json!({"RequestId": "R-DEC", "User": {"UserName": 42}})),
        "AssumeRole" => assume_role_reply("STS.Fresh", NEW_SECRET, NEW_TOKEN, "2099-01-01T00:00:00Z"),
        "AssumeRoleWithOIDC" => Reply::json(
            400,
            serde_json::json!({"RequestId": "R-OIDC", "Code": "InvalidParameter.OIDCToken",
                               "Message": format!("OIDCToken {} is expired", r.param("OIDCToken").unwrap_or_default())}),
        ),
        _ => Reply::error(403, "NoPermission", "R-NP"),
    }
}

#[tokio::test]
async fn secrets_never_appear_in_debug_display_errors_or_logs() {
    let (captured, _guard) = capture_logs();

    let server = TestServer::start(&[(AK, SECRET)], echoing_gateway).await;
    let closing = ClosingServer::start().await;
    let mut printed: Vec<(String, String)> = Vec::new();
    let mut record = |what: &str, text: String| printed.push((what.to_owned(), text));

    let mut errors: Vec<Error> = Vec::new();
    for version in [SignatureVersion::V1, SignatureVersion::V3] {
        let client = sts_client(&server.url(), version);
        record("client", format!("{client:?}"));
        errors.push(
            client
                .call(&acs::api::ram::GetRole {
                    role_name: "AliyunPAIDLCDefaultRole".into(),
                })
                .await
                .expect_err("gateway refuses"),
        );
        errors.push(
            client
                .call(&acs::api::ram::GetUser {
                    user_name: "alice".into(),
                })
                .await
                .expect_err("bad body"),
        );
        let provider = AssumeRoleProvider::new(
            client.clone(),
            AssumeRoleParams {
                role_arn: "acs:ram::1234567890123456:role/dlcauth-granter".into(),
                role_session_name: "dlcauth".into(),
                ..Default::default()
            },
        );
        let fresh = provider.provide().await.expect("assumed");
        assert_eq!(
            fresh.access_key_secret.expose(),
            NEW_SECRET,
            "the secret is there, just never printed"
        );
        record("fresh credentials", format!("{fresh:?}"));
        record("assume role provider", format!("{provider:?}"));
        let assumed_client = client.with_credentials(Arc::new(provider));
        record("assumed client", format!("{assumed_client:?}"));
        errors.push(
            assumed_client
                .call(&acs::api::sts::GetCallerIdentity)
                .await
                .expect_err("denied"),
        );
    }
    let transport = sts_client(&closing.url(), SignatureVersion::V1);
    errors.push(
        transport
            .call(&acs::api::sts::GetCallerIdentity)
            .await
            .expect_err("closed"),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, OIDC_JWT).expect("token file");
    let env = Env::from_pairs([
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI.env"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ENV_SECRET),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_file.to_str().expect("utf-8 path"),
        ),
        (
            "ALIBABA_CLOUD_ROLE_ARN",
            "acs:ram::1234567890123456:role/dlcauth-granter",
        ),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1234567890123456:oidc-provider/ack",
        ),
    ])
    .with_home(dir.path());
    let anonymous = Client::new(
        ClientConfig::single(&server.url()).expect("url"),
        Arc::new(NoCredentials),
    )
    .expect("client");
    let oidc = OidcProvider::from_env(&env, anonymous.clone()).expect("oidc configured");
    let oidc_error = oidc.provide().await.expect_err("token refused");
    record("oidc error", format!("{oidc_error:?} {oidc_error}"));
    let env_creds = EnvProvider::new(&env).provide().await.expect("env creds");
    record("env credentials", format!("{env_creds:?}"));
    let chain = DefaultChain::new(&env, &anonymous).expect("chain");
    chain.provide().await.expect("env wins");
    for (what, text) in [
        ("env", format!("{env:?}")),
        ("env provider", format!("{:?}", EnvProvider::new(&env))),
        ("oidc provider", format!("{oidc:?}")),
        (
            "profile provider",
            format!("{:?}", ProfileProvider::new(&env, anonymous.clone())),
        ),
        (
            "ecs provider",
            format!("{:?}", EcsRamRoleProvider::from_env(&env).expect("ecs")),
        ),
        ("chain", format!("{chain:?}")),
        (
            "static provider",
            format!("{:?}", StaticProvider::new(Credentials::sts(AK, SECRET, TOKEN, None))),
        ),
        ("config", format!("{:?}", anonymous.config())),
    ] {
        record(what, text);
    }

    assert!(errors.len() >= 7);
    assert!(errors.iter().any(|e| e.code() == Some("SignatureDoesNotMatch")));
    assert!(
        errors
            .iter()
            .any(|e| e.code() == Some("InvalidSecurityToken.Malformed"))
    );
    assert!(errors.iter().any(|e| matches!(e, Error::Decode { .. })));
    assert!(errors.iter().any(|e| matches!(e, Error::Transport { .. })));
    for error in &errors {
        record("error", format!("{error:?}\n{error}"));
    }
    let sig = errors
        .iter()
        .find(|e| e.code() == Some("SignatureDoesNotMatch"))
        .expect("present");
    assert!(
        sig.to_string().contains("** redacted **"),
        "the echo is kept, minus the token: {sig}"
    );

    for (what, text) in &printed {
        assert_clean(what, text);
    }
    let logs = captured.text();
    assert!(
        logs.contains("acs response") && logs.contains("acs error response"),
        "logs were captured:\n{logs}"
    );
    assert!(
        logs.contains("GetRole") && logs.contains("SignatureDoesNotMatch"),
        "{logs}"
    );
    assert_clean("logs", &logs);
}

/// A credentials-URI endpoint: `/ok` serves credentials, `/denied` refuses with a 403 whose body
/// holds them anyway, `/failed` says `Code: Failed` next to them, `/garbled` is not JSON but
/// quotes them.
fn leaky_uri_endpoint(r: &common::Recorded, _: usize) -> Reply {
    let document = serde_json::json!({"Code": "Success", "AccessKeyId": "STS.uri", "AccessKeySecret": URI_SECRET,
                                      "SecurityToken": URI_TOKEN, "Expiration": "2099-01-01T00:00:00Z"});
    match r.path.as_str() {
        "/ok" => Reply::json(200, document),
        "/denied" => Reply::json(403, document),
        "/failed" => {
            let mut failed = document;
            failed["Code"] = serde_json::json!("Failed");
            Reply::json(200, failed)
        }
        _ => Reply::raw(200, "text/plain", format!("oops {URI_SECRET} {URI_TOKEN}")),
    }
}

#[tokio::test]
async fn ini_and_credentials_uri_providers_never_print_secrets() {
    let (captured, _guard) = capture_logs();

    let sts = TestServer::start(&[("LTAI.ini", INI_SECRET)], |_, _| {
        assume_role_reply("STS.Fresh", NEW_SECRET, NEW_TOKEN, "2099-01-01T00:00:00Z")
    })
    .await;
    let uri = TestServer::start(&[], leaky_uri_endpoint).await;
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".alibabacloud")).expect("mkdir");
    std::fs::write(
        home.path().join(".alibabacloud/credentials.ini"),
        format!(
            "[default]\ntype = access_key\naccess_key_id = LTAI.ini\naccess_key_secret = {INI_SECRET}\n\
             [role]\ntype = ram_role_arn\naccess_key_id = LTAI.ini\naccess_key_secret = {INI_SECRET}\n\
             role_arn = acs:ram::1234567890123456:role/dlcauth-granter\n\
             [no-arn]\ntype = ram_role_arn\naccess_key_id = LTAI.ini\naccess_key_secret = {INI_SECRET}\n\
             [rsa]\ntype = rsa_key_pair\npublic_key_id = TMP.pub\nprivate_key_file = /k.pem\n"
        ),
    )
    .expect("ini");
    let client = Client::new(ClientConfig::single(&sts.url()).expect("url"), Arc::new(NoCredentials)).expect("client");
    let mut printed: Vec<(String, String)> = Vec::new();

    for profile in ["default", "role"] {
        let env = Env::default()
            .with_home(home.path())
            .with_var("ALIBABA_CLOUD_PROFILE", profile);
        let provider = IniProfileProvider::new(&env, client.clone());
        let creds = provider.provide().await.expect("ini credentials");
        assert!(!creds.access_key_secret.is_empty());
        printed.push((format!("ini provider {profile}"), format!("{provider:?} {creds:?}")));
    }
    for profile in ["no-arn", "rsa", "absent"] {
        let env = Env::default()
            .with_home(home.path())
            .with_var("ALIBABA_CLOUD_PROFILE", profile);
        let err = IniProfileProvider::new(&env, client.clone())
            .provide()
            .await
            .expect_err("unusable profile");
        printed.push((format!("ini error {profile}"), format!("{err:?}\n{err}")));
    }
    let provider = CredentialsUriProvider::new(format!("{}/ok?token={URI_QUERY_TOKEN}", uri.url())).expect("uri");
    let creds = provider.provide().await.expect("uri credentials");
    assert_eq!(creds.access_key_secret.expose(), URI_SECRET);
    printed.push(("uri provider".into(), format!("{provider:?} {creds:?}")));
    for path in ["denied", "failed", "garbled"] {
        let provider =
            CredentialsUriProvider::new(format!("{}/{path}?token={URI_QUERY_TOKEN}", uri.url())).expect("uri");
        let err = provider.provide().await.expect_err("refused");
        printed.push((format!("uri error {path}"), format!("{err:?}\n{err}\n{provider:?}")));
    }

    let env = Env::default()
        .with_home(home.path())
        .with_var("ALIBABA_CLOUD_PROFILE", "no-arn")
        .with_var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .with_var(
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            format!("{}/denied?token={URI_QUERY_TOKEN}", uri.url()),
        );
    let chain = DefaultChain::new(&env, &client).expect("chain");
    let exhausted = chain.provide().await.expect_err("every step fails");
    printed.push(("chain".into(), format!("{chain:?}\n{exhausted:?}\n{exhausted}")));

    for (what, text) in &printed {
        assert_clean(what, text);
    }
    assert_clean("logs", &captured.text());
}
