//! The official SDK's signature vectors, read verbatim from `shared/reference/vectors/` (computed
//! by Alibaba's Python SDK; never recomputed by our code). Every stage is asserted separately.

use std::path::PathBuf;

use acs::sign::{acs3, rpc_v1};
use base64::Engine as _;
use serde::Deserialize;

fn vectors_dir() -> PathBuf {
    std::env::var_os("DLCAUTH_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("reference/vectors")
}

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    #[derive(Deserialize)]
    struct File<T> {
        vectors: Vec<T>,
    }
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let file: File<T> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    file.vectors
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RpcVector {
    method: String,
    // Kept in file order: the signer must sort, not the fixture.
    params: serde_json::Map<String, serde_json::Value>,
    access_key_secret: String,
    string_to_sign: String,
    signature: String,
}

fn rpc_params(v: &RpcVector) -> Vec<(String, String)> {
    v.params
        .iter()
        .map(|(k, val)| {
            (
                k.clone(),
                val.as_str()
                    .unwrap_or_else(|| panic!("param {k} is not a string"))
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_official_rpc_v1_vector_reproduces_string_to_sign_and_signature() {
    let vectors: Vec<RpcVector> = load("rpc-v1-hmac-sha1.json");
    assert_eq!(vectors.len(), 60, "the vector file should hold 60 cases");
    for (i, v) in vectors.iter().enumerate() {
        let params = rpc_params(v);
        let signed = rpc_v1::sign(
            &v.method,
            params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &v.access_key_secret,
        );
        assert_eq!(signed.string_to_sign, v.string_to_sign, "vector {i}: string-to-sign");
        assert_eq!(signed.signature, v.signature, "vector {i}: signature");
    }
}

#[test]
fn every_official_rpc_v1_vector_verifies_and_fails_with_another_secret() {
    let vectors: Vec<RpcVector> = load("rpc-v1-hmac-sha1.json");
    for (i, v) in vectors.iter().enumerate() {
        let mut params = rpc_params(v);
        params.push(("Signature".to_owned(), v.signature.clone()));
        let view = || params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        assert_eq!(
            rpc_v1::verify(&v.method, view(), &v.access_key_secret),
            Ok(()),
            "vector {i}"
        );
        let wrong = format!("{}x", v.access_key_secret);
        assert!(
            rpc_v1::verify(&v.method, view(), &wrong).is_err(),
            "vector {i}: wrong secret accepted"
        );
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Acs3Vector {
    method: String,
    pathname: String,
    query: serde_json::Map<String, serde_json::Value>,
    headers: serde_json::Map<String, serde_json::Value>,
    body_base64: String,
    access_key_id: String,
    access_key_secret: String,
    canonical_request: String,
    authorization: String,
}

fn string_pairs(map: &serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().unwrap_or_else(|| panic!("{k} is not a string")).to_owned(),
            )
        })
        .collect()
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn every_official_acs3_vector_reproduces_canonical_request_and_authorization() {
    let vectors: Vec<Acs3Vector> = load("acs3-hmac-sha256.json");
    assert_eq!(vectors.len(), 40, "the vector file should hold 40 cases");
    for (i, v) in vectors.iter().enumerate() {
        let body = base64::engine::general_purpose::STANDARD
            .decode(&v.body_base64)
            .expect("body is base64");
        let hashed = acs3::hash_payload(&body);
        let headers = string_pairs(&v.headers);
        let content_sha = headers
            .iter()
            .find(|(k, _)| k == "x-acs-content-sha256")
            .map(|(_, v)| v.as_str());
        assert_eq!(content_sha, Some(hashed.as_str()), "vector {i}: payload hash");
        let query = string_pairs(&v.query);
        let (query, headers) = (borrowed(&query), borrowed(&headers));
        let signed = acs3::sign(
            &acs3::SignableRequest {
                method: &v.method,
                path: &v.pathname,
                query: &query,
                headers: &headers,
                hashed_payload: &hashed,
            },
            &v.access_key_secret,
        );
        assert_eq!(
            signed.canonical_request, v.canonical_request,
            "vector {i}: canonical request"
        );
        assert_eq!(
            signed.authorization(&v.access_key_id),
            v.authorization,
            "vector {i}: authorization"
        );
    }
}

#[test]
fn every_official_acs3_vector_verifies_as_an_incoming_request() {
    let vectors: Vec<Acs3Vector> = load("acs3-hmac-sha256.json");
    for (i, v) in vectors.iter().enumerate() {
        let body = base64::engine::general_purpose::STANDARD
            .decode(&v.body_base64)
            .expect("body is base64");
        let auth = acs3::Authorization::parse(&v.authorization).expect("authorization parses");
        assert_eq!(auth.credential, v.access_key_id, "vector {i}: credential");
        let query = string_pairs(&v.query);
        let mut headers = string_pairs(&v.headers);
        // An unsigned extra header must not disturb verification.
        headers.push(("User-Agent".to_owned(), "AlibabaCloud (Linux) Python/3.11".to_owned()));
        let (query, headers) = (borrowed(&query), borrowed(&headers));
        let request = acs3::IncomingRequest {
            method: &v.method,
            path: &v.pathname,
            query: &query,
            headers: &headers,
            body: &body,
        };
        assert_eq!(
            acs3::verify(&auth, &request, &v.access_key_secret),
            Ok(()),
            "vector {i}"
        );
        assert!(
            acs3::verify(&auth, &request, "another-secret").is_err(),
            "vector {i}: wrong secret accepted"
        );
        let mut tampered = body.clone();
        tampered.push(b' ');
        let request = acs3::IncomingRequest {
            body: &tampered,
            ..request
        };
        assert!(
            acs3::verify(&auth, &request, &v.access_key_secret).is_err(),
            "vector {i}: tampered body accepted"
        );
    }
}
