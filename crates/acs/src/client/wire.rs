//! Turns an [`Operation`] into the exact bytes to send: URL, headers, body, signature. Pure: the
//! time and the nonce are parameters, so every output is pinned to the reference vectors below.

use jiff::Timestamp;

use super::SignatureVersion;
use super::endpoint::BaseUrl;
use crate::api::Operation;
use crate::api::timestamp::FORMAT as TIMESTAMP_FORMAT;
use crate::credentials::Credentials;
use crate::sign::{acs3, percent_encode, rpc_v1};

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// What identifies the API being called.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallMeta {
    pub(crate) version: &'static str,
    pub(crate) action: &'static str,
}

/// A request ready to hand to the HTTP client. Deliberately not `Debug`: its URL carries the
/// signature and, in V1, the SecurityToken.
pub(crate) struct Prepared {
    pub(crate) method: http::Method,
    /// Full URL; the query is already in canonical (RFC 3986) encoding.
    pub(crate) url: String,
    /// Header names are lower-case.
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
}

impl Prepared {
    #[cfg(test)]
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// Builds and signs one attempt. `credentials` is `None` for anonymous calls.
pub(crate) fn prepare(
    meta: CallMeta,
    operation: &Operation,
    base: &BaseUrl,
    signature_version: SignatureVersion,
    credentials: Option<&Credentials>,
    now: Timestamp,
    nonce: &str,
) -> Prepared {
    let timestamp = now.strftime(TIMESTAMP_FORMAT).to_string();
    match (operation, signature_version, credentials) {
        // Anonymous RPC calls (AssumeRoleWithOIDC) go out in the credentials library's form:
        // common parameters in the query and no signature, whichever version signs the rest.
        (Operation::Rpc { params }, _, None) => rpc_v1_request(meta, params, base, None, &timestamp, nonce),
        (Operation::Rpc { params }, SignatureVersion::V1, Some(creds)) => {
            rpc_v1_request(meta, params, base, Some(creds), &timestamp, nonce)
        }
        (Operation::Rpc { params }, SignatureVersion::V3, creds) => acs3_request(
            meta,
            &http::Method::POST,
            "/",
            params,
            None,
            base,
            creds,
            &timestamp,
            nonce,
        ),
        // ROA APIs have no RPC V1 form (their legacy signature is a different HMAC-SHA1 scheme the
        // current SDKs replaced with V3), so in V1 mode they are signed with V3 too.
        (
            Operation::Roa {
                method,
                path,
                query,
                body,
            },
            _,
            creds,
        ) => acs3_request(
            meta,
            method,
            path,
            query,
            body.as_deref(),
            base,
            creds,
            &timestamp,
            nonce,
        ),
    }
}

/// RPC V1 in the shape of tea-openapi's `signature_algorithm='v2'` mode: `POST /?<all params>`,
/// empty body, `Format=JSON`, HMAC-SHA1 over the sorted query.
fn rpc_v1_request(
    meta: CallMeta,
    params: &[(&'static str, String)],
    base: &BaseUrl,
    credentials: Option<&Credentials>,
    timestamp: &str,
    nonce: &str,
) -> Prepared {
    let mut all: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend([
        ("Action", meta.action),
        ("Version", meta.version),
        ("Format", "JSON"),
        ("Timestamp", timestamp),
        ("SignatureNonce", nonce),
    ]);
    let query = match credentials {
        Some(creds) => {
            all.extend([
                ("AccessKeyId", creds.access_key_id.as_str()),
                ("SignatureMethod", rpc_v1::SIGNATURE_METHOD),
                ("SignatureVersion", rpc_v1::SIGNATURE_VERSION),
            ]);
            if let Some(token) = &creds.security_token {
                all.push(("SecurityToken", token.expose()));
            }
            let signed = rpc_v1::sign("POST", all.iter().copied(), creds.access_key_secret.expose());
            format!(
                "{}&{}={}",
                signed.canonical_query,
                rpc_v1::SIGNATURE_PARAM,
                percent_encode(&signed.signature)
            )
        }
        None => rpc_v1::canonical_query(all.iter().copied()),
    };
    Prepared {
        method: http::Method::POST,
        url: format!("{}/?{query}", base.origin()),
        headers: vec![
            ("host", base.authority()),
            ("x-acs-action", meta.action.to_owned()),
            ("x-acs-version", meta.version.to_owned()),
            ("accept", "application/json".to_owned()),
        ],
        body: Vec::new(),
    }
}

/// `ACS3-HMAC-SHA256`: parameters in the query, the body (ROA JSON) hashed into
/// `x-acs-content-sha256`; signs `host`, every `x-acs-*` header and `content-type`.
#[allow(clippy::too_many_arguments)] // each argument is one independent input of the signature
fn acs3_request(
    meta: CallMeta,
    method: &http::Method,
    path: &str,
    query: &[(&'static str, String)],
    body: Option<&[u8]>,
    base: &BaseUrl,
    credentials: Option<&Credentials>,
    timestamp: &str,
    nonce: &str,
) -> Prepared {
    let body = body.unwrap_or_default();
    let hashed_payload = acs3::hash_payload(body);
    let mut headers: Vec<(&'static str, String)> = vec![
        ("host", base.authority()),
        ("x-acs-action", meta.action.to_owned()),
        ("x-acs-version", meta.version.to_owned()),
        ("x-acs-date", timestamp.to_owned()),
        ("x-acs-signature-nonce", nonce.to_owned()),
        ("x-acs-content-sha256", hashed_payload.clone()),
    ];
    if !body.is_empty() {
        headers.push(("content-type", JSON_CONTENT_TYPE.to_owned()));
    }
    if let Some(creds) = credentials
        && let Some(token) = &creds.security_token
    {
        // The SDK adds the key id header alongside the token (reference §3.1, vector V3-2).
        headers.push(("x-acs-accesskey-id", creds.access_key_id.clone()));
        headers.push(("x-acs-security-token", token.expose().trim().to_owned()));
    }
    let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(creds) = credentials {
        let signed_headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let signed = acs3::sign(
            &acs3::SignableRequest {
                method: method.as_str(),
                path,
                query: &pairs,
                headers: &signed_headers,
                hashed_payload: &hashed_payload,
            },
            creds.access_key_secret.expose(),
        );
        headers.push(("authorization", signed.authorization(&creds.access_key_id)));
    }
    headers.push(("accept", "application/json".to_owned()));
    // Same order and encoding as the canonical query (names are ASCII alphanumerics, so encoding
    // them, which the SDK's canonical form skips, changes nothing).
    let wire_query = rpc_v1::canonical_query(pairs.iter().copied());
    let url = if wire_query.is_empty() {
        format!("{}{path}", base.origin())
    } else {
        format!("{}{path}?{wire_query}", base.origin())
    };
    Prepared {
        method: method.clone(),
        url,
        headers,
        body: body.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ApiRequest, aiworkspace, ram, sts};
    use crate::client::Endpoints;

    const AK: &str = "LTAI5tTestAccessKeyId01";
    const SECRET: &str = "TestAccessKeySecret0123456789abc";
    const STS_AK: &str = "STS.NTestTemporaryAccessKeyId";
    const TOKEN: &str = "CAIS+test/Token==abc~def*ghi";

    fn now() -> Timestamp {
        "2024-01-02T03:04:05Z".parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn ak() -> Credentials {
        Credentials::access_key(AK, SECRET)
    }

    fn sts_creds() -> Credentials {
        Credentials::sts(STS_AK, SECRET, TOKEN, None)
    }

    fn prep<R: ApiRequest>(req: &R, version: SignatureVersion, creds: Option<&Credentials>, nonce: &str) -> Prepared {
        let base = Endpoints::aliyun("cn-hangzhou")
            .resolve(R::PRODUCT)
            .unwrap_or_else(|e| panic!("{e}"));
        let op = req.operation().unwrap_or_else(|e| panic!("{e}"));
        let meta = CallMeta {
            version: R::VERSION,
            action: R::ACTION,
        };
        prepare(meta, &op, &base, version, creds, now(), nonce)
    }

    fn query_param<'a>(p: &'a Prepared, name: &str) -> Option<&'a str> {
        let query = p.url.split_once('?')?.1;
        query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    }

    fn get_role() -> ram::GetRole {
        ram::GetRole {
            role_name: "AliyunPAIDLCDefaultRole".into(),
        }
    }

    #[test]
    fn v1_get_role_matches_reference_vector_v1_2() {
        let p = prep(
            &get_role(),
            SignatureVersion::V1,
            Some(&ak()),
            "c0ffee00-0000-4000-8000-000000000001",
        );
        assert_eq!(p.method, http::Method::POST);
        assert!(p.body.is_empty());
        assert_eq!(
            p.url,
            "https://ram.aliyuncs.com/?AccessKeyId=LTAI5tTestAccessKeyId01&Action=GetRole&Format=JSON&RoleName=AliyunPAIDLCDefaultRole&SignatureMethod=HMAC-SHA1&SignatureNonce=c0ffee00-0000-4000-8000-000000000001&SignatureVersion=1.0&Timestamp=2024-01-02T03%3A04%3A05Z&Version=2015-05-01&Signature=5%2BhjudGN7B7kAFnsZVhwUpgSj3I%3D"
        );
        assert_eq!(p.header("host"), Some("ram.aliyuncs.com"));
        assert_eq!(p.header("x-acs-action"), Some("GetRole"));
        assert_eq!(p.header("authorization"), None);
    }

    #[test]
    fn v1_with_sts_credentials_signs_the_token_vector_v1_3() {
        let p = prep(
            &get_role(),
            SignatureVersion::V1,
            Some(&sts_creds()),
            "c0ffee00-0000-4000-8000-000000000001",
        );
        assert_eq!(
            query_param(&p, "SecurityToken"),
            Some("CAIS%2Btest%2FToken%3D%3Dabc~def%2Aghi")
        );
        assert_eq!(query_param(&p, "Signature"), Some("1cMX61b%2FsM%2Bff42YehRRaBTvHzU%3D"));
    }

    /// The AssumeRole of reference vectors V1-4 and V3-2.
    fn vector_assume_role() -> sts::AssumeRole {
        sts::AssumeRole {
            role_arn: "acs:ram::1234567890123456:role/pai-dlc-granter".into(),
            role_session_name: "pai-dlc-grant".into(),
            duration_seconds: Some(3600),
            ..Default::default()
        }
    }

    #[test]
    fn v1_assume_role_matches_reference_vector_v1_4() {
        let req = vector_assume_role();
        let p = prep(
            &req,
            SignatureVersion::V1,
            Some(&sts_creds()),
            "c0ffee00-0000-4000-8000-000000000002",
        );
        assert!(p.url.starts_with("https://sts.aliyuncs.com/?"), "{}", p.url);
        assert_eq!(query_param(&p, "Signature"), Some("Kl67D0PqjvFHQ41B8YWQhIgG3lw%3D"));
    }

    #[test]
    fn v3_get_role_matches_reference_vector_v3_1() {
        let p = prep(
            &get_role(),
            SignatureVersion::V3,
            Some(&ak()),
            "c0ffee00000040008000000000000101",
        );
        assert_eq!(p.url, "https://ram.aliyuncs.com/?RoleName=AliyunPAIDLCDefaultRole");
        assert_eq!(
            p.header("authorization"),
            Some(
                "ACS3-HMAC-SHA256 Credential=LTAI5tTestAccessKeyId01,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=d5a8aa1dd88dfc4c6e39e4f83aab885f5087f37ff545a66b8adcfa15950657dd"
            )
        );
        assert_eq!(p.header("content-type"), None, "no body, no content-type");
        assert_eq!(p.header("x-acs-date"), Some("2024-01-02T03:04:05Z"));
    }

    #[test]
    fn v3_assume_role_with_sts_credentials_matches_vector_v3_2() {
        let req = vector_assume_role();
        let p = prep(
            &req,
            SignatureVersion::V3,
            Some(&sts_creds()),
            "c0ffee00000040008000000000000102",
        );
        assert_eq!(p.header("x-acs-security-token"), Some(TOKEN));
        assert_eq!(p.header("x-acs-accesskey-id"), Some(STS_AK));
        let auth = p.header("authorization").unwrap_or_default();
        assert!(
            auth.starts_with("ACS3-HMAC-SHA256 Credential=STS.NTestTemporaryAccessKeyId,"),
            "{auth}"
        );
        assert!(
            auth.ends_with(",Signature=7f278011ad82e8181e4b74fd16f4bb85f95067997f644ec6c6c225ad50e33cd1"),
            "{auth}"
        );
        assert!(!p.url.contains("SecurityToken"), "V3 keeps the token out of the URL");
    }

    #[test]
    fn v3_create_policy_matches_reference_vector_v3_3() {
        let req = ram::CreatePolicy {
            policy_name: "PaiDlcOAuthPolicy".into(),
            policy_document: r#"{"Version":"1","Statement":[{"Action":["ram:GetDefaultDomain","ram:ListApplications","ram:CreateApplication","ram:ListAppSecretIds","ram:GetAppSecret","ram:CreateAppSecret","ram:DeleteApplication","ram:DeleteAppSecret"],"Resource":["*"],"Effect":"Allow"}]}"#.into(),
            description: Some("PAI DLC OAuth policy".into()),
        };
        let p = prep(
            &req,
            SignatureVersion::V3,
            Some(&ak()),
            "c0ffee00000040008000000000000104",
        );
        let auth = p.header("authorization").unwrap_or_default();
        assert!(
            auth.ends_with("Signature=7f1d25ca455678033a2123a8d3a0e5b4105ed3a5bc2240bf9b2606aa0f352b1d"),
            "{auth}"
        );
        assert!(
            p.url.contains("Description=PAI%20DLC%20OAuth%20policy"),
            "spaces as %20: {}",
            p.url
        );
    }

    #[test]
    fn roa_is_signed_with_v3_even_in_v1_mode_vector_v3_4() {
        let req = aiworkspace::CreateMember {
            workspace_id: "12345".into(),
            members: vec![aiworkspace::NewMember {
                roles: vec!["PAI.AlgoDeveloper".into()],
                user_id: "123456789012345678".into(),
            }],
        };
        for version in [SignatureVersion::V1, SignatureVersion::V3] {
            let p = prep(&req, version, Some(&ak()), "c0ffee00000040008000000000000103");
            assert_eq!(
                p.url,
                "https://aiworkspace.cn-hangzhou.aliyuncs.com/api/v1/workspaces/12345/members"
            );
            assert_eq!(p.header("content-type"), Some("application/json; charset=utf-8"));
            assert_eq!(
                p.header("authorization"),
                Some(
                    "ACS3-HMAC-SHA256 Credential=LTAI5tTestAccessKeyId01,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=cbd099ac17a68ebb93af60d95b4e482750502642379b1a6663d9f8079dd76604"
                )
            );
        }
    }

    #[test]
    fn anonymous_calls_carry_no_signature_material() {
        let req = sts::AssumeRoleWithOidc {
            oidc_provider_arn: "acs:ram::1234567890123456:oidc-provider/ack-rrsa".into(),
            role_arn: "acs:ram::1234567890123456:role/dlcauth".into(),
            oidc_token: "jwt".into(),
            role_session_name: "s1".into(),
            ..Default::default()
        };
        for version in [SignatureVersion::V1, SignatureVersion::V3] {
            let p = prep(&req, version, None, "n-1");
            for absent in ["Signature", "AccessKeyId", "SignatureMethod", "SecurityToken"] {
                assert_eq!(query_param(&p, absent), None, "{absent} in {}", p.url);
            }
            assert_eq!(query_param(&p, "Action"), Some("AssumeRoleWithOIDC"));
            assert_eq!(query_param(&p, "OIDCToken"), Some("jwt"));
            assert_eq!(p.header("authorization"), None);
        }
    }
}
