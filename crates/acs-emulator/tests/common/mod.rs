//! Test-only client for the emulator: signs requests with `acs::sign` (RPC V1 and ACS3) the way
//! the official SDKs lay them out, plus the legacy ROA HMAC-SHA1 scheme. Written here because the
//! real `acs` client is developed separately; the emulator must not depend on it.
// Test helpers fail the calling test by panicking, like the `expect`s inside `#[test]` functions.
#![allow(dead_code, unused_imports, clippy::expect_used, clippy::too_many_arguments)]

use acs::sign::{acs3, percent_encode, rpc_v1};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;

pub use acs_emulator::{
    DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, DEMO_NOPERM_ACCESS_KEY_ID, DEMO_NOPERM_ACCESS_KEY_SECRET,
    DEMO_ROLE_ARN, DEMO_ROLE_NAME, DEMO_WORKSPACE_ID,
};

pub const RAM: &str = "2015-05-01";
pub const STS: &str = "2015-04-01";
pub const RM: &str = "2020-03-31";
pub const PAI: &str = "2021-02-04";

/// A role of the test seed that the demo operator may assume, holding AdministratorAccess: the
/// tests exercise the emulator, not `policies/operator-policy.json` (owned by the grant engine,
/// which trims it to the minimum dlcauth needs).
pub const TEST_ROLE: &str = "emulator-tests";
pub const TEST_ROLE_ARN: &str = "acs:ram::1234567890123456:role/emulator-tests";

/// The demo seed plus [`TEST_ROLE`].
pub fn test_seed() -> acs_emulator::Seed {
    let mut seed = acs_emulator::Seed::demo();
    seed.roles.push(acs_emulator::SeedRole {
        name: TEST_ROLE.into(),
        trust_policy: serde_json::json!({
            "Version": "1",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Principal": {"RAM": [format!("acs:ram::{}:user/{}", acs_emulator::DEMO_ACCOUNT_ID, acs_emulator::DEMO_OPERATOR_USER)]}}]
        }),
        policies: vec![acs_emulator::SeedPolicyRef {
            kind: "System".into(),
            name: "AdministratorAccess".into(),
        }],
        description: None,
        max_session_duration: None,
    });
    seed
}

/// Options with [`test_seed`].
pub fn test_options() -> acs_emulator::Options {
    acs_emulator::Options {
        seed: test_seed(),
        ..acs_emulator::Options::default()
    }
}

pub const TRUST_PAI: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]}}],"Version":"1"}"#;

/// Credentials to sign with.
#[derive(Clone, Debug)]
pub struct Key {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl Key {
    pub fn operator() -> Self {
        Self {
            id: DEMO_ACCESS_KEY_ID.into(),
            secret: DEMO_ACCESS_KEY_SECRET.into(),
            token: None,
        }
    }

    pub fn noperm() -> Self {
        Self {
            id: DEMO_NOPERM_ACCESS_KEY_ID.into(),
            secret: DEMO_NOPERM_ACCESS_KEY_SECRET.into(),
            token: None,
        }
    }

    /// The STS credentials of an AssumeRole answer.
    pub fn from_assume_role(body: &Value) -> Self {
        let c = &body["Credentials"];
        Self {
            id: c["AccessKeyId"].as_str().expect("AccessKeyId").into(),
            secret: c["AccessKeySecret"].as_str().expect("AccessKeySecret").into(),
            token: Some(c["SecurityToken"].as_str().expect("SecurityToken").into()),
        }
    }
}

/// Changes to an otherwise correct request, to provoke each refusal.
#[derive(Clone, Debug, Default)]
pub struct Tweak {
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    /// Sign with this secret instead of the key's.
    pub sign_secret: Option<String>,
    /// Send this token instead of the key's (`Some(None)` = none).
    pub token: Option<Option<String>>,
    /// Leave these common parameters (V1) or headers (ACS3) out.
    pub omit: Vec<&'static str>,
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub request_id_header: Option<String>,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["Message"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "expected success, got {}", self.body);
        self.body
    }

    #[track_caller]
    pub fn err(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.body);
        for field in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
            assert!(
                self.body.get(field).is_some(),
                "error body lacks {field}: {}",
                self.body
            );
        }
    }
}

pub fn now_iso() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn iso_offset(seconds: i64) -> String {
    let t = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .expect("in range");
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub host: String,
    pub http: reqwest::Client,
}

/// Where RPC V1 parameters go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// All in the query (tea-openapi `signature_algorithm='v2'`, the credentials library's GET).
    Query,
    /// Common parameters in the query, business ones in a form body (aliyunsdkcore style).
    Form,
}

impl Client {
    pub fn new(base_url: &str) -> Self {
        Self {
            base: base_url.to_owned(),
            host: base_url.trim_start_matches("http://").to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    /// `base` + `path` + the percent-encoded `query`, if any.
    fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let owned: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let qs = encode_pairs(&owned);
        if qs.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{qs}", self.base)
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let request_id_header = response
            .headers()
            .get("x-acs-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        Reply {
            status,
            request_id_header,
            body,
        }
    }

    /// The signed RPC V1 request, ready to send.
    pub fn rpc_v1_request(
        &self,
        method: &str,
        key: &Key,
        action: &str,
        version: &str,
        params: &[(&str, &str)],
        placement: Placement,
        tweak: &Tweak,
    ) -> reqwest::RequestBuilder {
        let mut common: Vec<(String, String)> = vec![
            ("Action".into(), action.into()),
            ("Version".into(), version.into()),
            ("Format".into(), "json".into()),
            ("AccessKeyId".into(), key.id.clone()),
            ("SignatureMethod".into(), "HMAC-SHA1".into()),
            ("SignatureVersion".into(), "1.0".into()),
            ("SignatureNonce".into(), tweak.nonce.clone().unwrap_or_else(nonce)),
            ("Timestamp".into(), tweak.timestamp.clone().unwrap_or_else(now_iso)),
        ];
        let token = tweak.token.clone().unwrap_or_else(|| key.token.clone());
        if let Some(t) = token {
            common.push(("SecurityToken".into(), t));
        }
        common.retain(|(k, _)| !tweak.omit.contains(&k.as_str()));
        let business: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let all: Vec<(&str, &str)> = common
            .iter()
            .chain(business.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let secret = tweak.sign_secret.as_deref().unwrap_or(&key.secret);
        let signed = rpc_v1::sign(method, all, secret);
        let (mut query, body) = match placement {
            Placement::Query => {
                let mut q = common.clone();
                q.extend(business);
                (q, None)
            }
            Placement::Form => (common.clone(), Some(encode_pairs(&business))),
        };
        if !tweak.omit.contains(&"Signature") {
            query.push(("Signature".into(), signed.signature));
        }
        let url = format!("{}/?{}", self.base, encode_pairs(&query));
        let mut request = self.http.request(method.parse().expect("method"), url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        request
    }

    pub async fn rpc_v1(
        &self,
        method: &str,
        key: &Key,
        action: &str,
        version: &str,
        params: &[(&str, &str)],
        placement: Placement,
    ) -> Reply {
        self.send(self.rpc_v1_request(method, key, action, version, params, placement, &Tweak::default()))
            .await
    }

    /// An RPC V1 POST with every parameter in the query, `tweak` applied.
    pub async fn v1_with(
        &self,
        key: &Key,
        action: &str,
        version: &str,
        params: &[(&str, &str)],
        tweak: &Tweak,
    ) -> Reply {
        self.send(self.rpc_v1_request("POST", key, action, version, params, Placement::Query, tweak))
            .await
    }

    /// A signed ACS3 request (`path` "/" for RPC), with `body` JSON when given.
    pub fn v3_request(
        &self,
        method: &str,
        path: &str,
        key: &Key,
        action: &str,
        version: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
        tweak: &Tweak,
    ) -> reqwest::RequestBuilder {
        let body_bytes = body.unwrap_or_default().as_bytes().to_vec();
        let hashed = acs3::hash_payload(&body_bytes);
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), self.host.clone()),
            ("x-acs-action".into(), action.into()),
            ("x-acs-version".into(), version.into()),
            ("x-acs-date".into(), tweak.timestamp.clone().unwrap_or_else(now_iso)),
            (
                "x-acs-signature-nonce".into(),
                tweak.nonce.clone().unwrap_or_else(nonce),
            ),
            ("x-acs-content-sha256".into(), hashed.clone()),
        ];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json; charset=utf-8".into()));
        }
        let token = tweak.token.clone().unwrap_or_else(|| key.token.clone());
        if let Some(t) = token {
            headers.push(("x-acs-security-token".into(), t));
        }
        headers.retain(|(k, _)| !tweak.omit.contains(&k.as_str()));
        let header_refs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let secret = tweak.sign_secret.as_deref().unwrap_or(&key.secret);
        let signed = acs3::sign(
            &acs3::SignableRequest {
                method,
                path,
                query,
                headers: &header_refs,
                hashed_payload: &hashed,
            },
            secret,
        );
        let mut request = self
            .http
            .request(method.parse().expect("method"), self.url(path, query));
        for (k, v) in &headers {
            if k != "host" {
                request = request.header(k.as_str(), v.as_str());
            }
        }
        request = request.header("authorization", signed.authorization(&key.id));
        if body.is_some() {
            request = request.body(body_bytes);
        }
        request
    }

    /// An RPC call the way the SDK's default V3 mode sends it: POST /, params in the query.
    pub async fn v3(&self, key: &Key, action: &str, version: &str, params: &[(&str, &str)]) -> Reply {
        self.v3_with(key, action, version, params, &Tweak::default()).await
    }

    /// [`Client::v3`] with `tweak` applied.
    pub async fn v3_with(
        &self,
        key: &Key,
        action: &str,
        version: &str,
        params: &[(&str, &str)],
        tweak: &Tweak,
    ) -> Reply {
        self.send(self.v3_request("POST", "/", key, action, version, params, None, tweak))
            .await
    }

    /// CreateRole of `name`, trusted by PAI.
    pub async fn create_role(&self, key: &Key, name: &str) -> Reply {
        self.v3(
            key,
            "CreateRole",
            RAM,
            &[("RoleName", name), ("AssumeRolePolicyDocument", TRUST_PAI)],
        )
        .await
    }

    /// A legacy ROA HMAC-SHA1 request, as tea-openapi's `do_roarequest` builds it.
    pub fn roa_v1_request(
        &self,
        method: &str,
        path: &str,
        key: &Key,
        action: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
        tweak: &Tweak,
    ) -> reqwest::RequestBuilder {
        let date = jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let mut headers: Vec<(String, String)> = vec![
            ("date".into(), date),
            ("accept".into(), "application/json".into()),
            (
                "x-acs-signature-nonce".into(),
                tweak.nonce.clone().unwrap_or_else(nonce),
            ),
            ("x-acs-signature-method".into(), "HMAC-SHA1".into()),
            ("x-acs-signature-version".into(), "1.0".into()),
            ("x-acs-version".into(), PAI.into()),
            ("x-acs-action".into(), action.into()),
        ];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json; charset=utf-8".into()));
        }
        if let Some(t) = &key.token {
            headers.push(("x-acs-accesskey-id".into(), key.id.clone()));
            headers.push(("x-acs-security-token".into(), t.clone()));
        }
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        let mut sts = format!(
            "{method}\n{}\n{}\n{}\n{}\n",
            get("accept"),
            get("content-md5"),
            get("content-type"),
            get("date")
        );
        let mut acs: Vec<&(String, String)> = headers.iter().filter(|(k, _)| k.starts_with("x-acs-")).collect();
        acs.sort();
        for (k, v) in acs {
            sts.push_str(&format!("{k}:{v}\n"));
        }
        sts.push_str(path);
        let mut sorted: Vec<&(&str, &str)> = query.iter().collect();
        sorted.sort();
        for (i, (k, v)) in sorted.iter().enumerate() {
            sts.push(if i == 0 { '?' } else { '&' });
            sts.push_str(k);
            if !v.is_empty() {
                sts.push('=');
                sts.push_str(v);
            }
        }
        let secret = tweak.sign_secret.as_deref().unwrap_or(&key.secret);
        let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(sts.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let mut request = self
            .http
            .request(method.parse().expect("method"), self.url(path, query));
        for (k, v) in &headers {
            request = request.header(k.as_str(), v.as_str());
        }
        request = request.header("authorization", format!("acs {}:{signature}", key.id));
        if let Some(b) = body {
            request = request.body(b.to_owned());
        }
        request
    }

    /// AssumeRole of `role_arn` with the operator key (V3); the STS credentials.
    pub async fn assume(&self, role_arn: &str) -> Key {
        let body = self
            .v3(
                &Key::operator(),
                "AssumeRole",
                STS,
                &[("RoleArn", role_arn), ("RoleSessionName", "tests")],
            )
            .await
            .ok();
        Key::from_assume_role(&body)
    }

    /// STS credentials of [`TEST_ROLE`] (needs [`test_seed`]).
    pub async fn assume_test_role(&self) -> Key {
        self.assume(TEST_ROLE_ARN).await
    }

    pub async fn get(&self, path: &str) -> Value {
        let text = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}
