//! `ACS3-HMAC-SHA256` (signature V3), used for RPC and ROA calls alike.
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//! ```
//! Two quirks of the official SDK are reproduced on purpose because the gateway accepts what the
//! SDK sends: query *names* are not percent-encoded in the canonical query (only values are), and
//! every header the caller chooses to sign is canonicalised (lower-cased name, trimmed value,
//! repeated headers joined sorted with `,`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{VerifyError, percent_encode, signatures_equal};

/// The algorithm name in the `Authorization` header and the string-to-sign.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// hex(sha256("")), the payload hash of an empty body.
pub const EMPTY_PAYLOAD_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The request as the signature sees it.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// HTTP method, upper-case.
    pub method: &'a str,
    /// The path exactly as sent on the wire (path segments already percent-encoded); empty means `/`.
    pub path: &'a str,
    /// Decoded query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// The headers to sign (any case; the signature lower-cases them).
    pub headers: &'a [(&'a str, &'a str)],
    /// hex(sha256(body)), as sent in `x-acs-content-sha256`.
    pub hashed_payload: &'a str,
}

/// Every intermediate stage of a V3 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The canonical request.
    pub canonical_request: String,
    /// `ACS3-HMAC-SHA256\n` + hex(sha256(canonical request)).
    pub string_to_sign: String,
    /// `;`-joined sorted lower-case names of the signed headers.
    pub signed_headers: String,
    /// hex(HMAC-SHA256).
    pub signature: String,
}

impl Signed {
    /// The `Authorization` header value for `access_key_id`.
    pub fn authorization(&self, access_key_id: &str) -> String {
        format!(
            "{ALGORITHM} Credential={access_key_id},SignedHeaders={},Signature={}",
            self.signed_headers, self.signature
        )
    }
}

/// Lower-case hex SHA-256 of `body`, the value of `x-acs-content-sha256`.
pub fn hash_payload(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Sorted by raw name; values percent-encoded, names left as they are (SDK behaviour).
pub fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = query.to_vec();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// `(canonical headers, signed headers)`: lower-cased names sorted; each line `name:value\n` with
/// trimmed values, repeated names joined by `,` after sorting their values.
pub fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut grouped: std::collections::BTreeMap<String, Vec<&str>> = std::collections::BTreeMap::new();
    for (name, value) in headers {
        grouped.entry(name.to_ascii_lowercase()).or_default().push(value.trim());
    }
    let mut canonical = String::new();
    let mut names = Vec::with_capacity(grouped.len());
    for (name, mut values) in grouped {
        values.sort_unstable();
        canonical.push_str(&name);
        canonical.push(':');
        canonical.push_str(&values.join(","));
        canonical.push('\n');
        names.push(name);
    }
    (canonical, names.join(";"))
}

/// Builds the canonical request and signs it with `access_key_secret`.
pub fn sign(request: &SignableRequest<'_>, access_key_secret: &str) -> Signed {
    let (canonical_headers, signed_headers) = canonical_headers(request.headers);
    let path = if request.path.is_empty() { "/" } else { request.path };
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        path,
        canonical_query(request.query),
        canonical_headers,
        signed_headers,
        request.hashed_payload
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(access_key_secret.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(string_to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    Signed {
        canonical_request,
        string_to_sign,
        signed_headers,
        signature,
    }
}

/// A parsed `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The AccessKeyId that claims to have signed.
    pub credential: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

impl Authorization {
    /// Parses the header value. Tolerates spaces after the commas; requires all three parts.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`] for another algorithm or a missing part.
    pub fn parse(value: &str) -> Result<Self, VerifyError> {
        let rest = value
            .strip_prefix(ALGORITHM)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| VerifyError::Malformed(format!("Authorization (expected {ALGORITHM})")))?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (key, val) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| VerifyError::Malformed("Authorization part".to_owned()))?;
            match key {
                "Credential" => credential = Some(val.to_owned()),
                "SignedHeaders" => {
                    signed_headers = Some(val.split(';').map(str::to_ascii_lowercase).collect::<Vec<_>>());
                }
                "Signature" => signature = Some(val.to_owned()),
                _ => return Err(VerifyError::Malformed(format!("Authorization part {key}"))),
            }
        }
        let credential = credential
            .filter(|c| !c.is_empty())
            .ok_or_else(|| VerifyError::Missing("Credential".to_owned()))?;
        let signed_headers = signed_headers
            .filter(|h| h.iter().all(|n| !n.is_empty()))
            .ok_or_else(|| VerifyError::Missing("SignedHeaders".to_owned()))?;
        let signature = signature
            .filter(|s| !s.is_empty())
            .ok_or_else(|| VerifyError::Missing("Signature".to_owned()))?;
        Ok(Self {
            credential,
            signed_headers,
            signature,
        })
    }
}

/// An incoming request as the verifier sees it: every header received (any case), decoded query
/// parameters, the raw path and the raw body.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The path as received (still percent-encoded).
    pub path: &'a str,
    /// Decoded query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// All headers received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body bytes.
    pub body: &'a [u8],
}

/// Headers that must be covered by the signature when they are present on the request, so that
/// none of them can be swapped without invalidating it.
const MUST_SIGN_WHEN_PRESENT: [&str; 6] = [
    "host",
    "x-acs-date",
    "x-acs-content-sha256",
    "x-acs-signature-nonce",
    "x-acs-security-token",
    "x-acs-action",
];

/// Verifies `auth` against `request` with the secret of `auth.credential`.
///
/// Checks that `x-acs-content-sha256` is present and matches the body, that every header in
/// [`MUST_SIGN_WHEN_PRESENT`] that the request carries is signed, that every signed header is
/// present, then recomputes the signature.
///
/// # Errors
/// [`VerifyError::Missing`] / [`VerifyError::Malformed`] for incomplete material,
/// [`VerifyError::Mismatch`] when the payload hash or the signature is wrong.
pub fn verify(auth: &Authorization, request: &IncomingRequest<'_>, access_key_secret: &str) -> Result<(), VerifyError> {
    fn header<'r, 'n>(
        request: &'r IncomingRequest<'r>,
        name: &'n str,
    ) -> impl Iterator<Item = &'r (&'r str, &'r str)> + 'n
    where
        'r: 'n,
    {
        request
            .headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
    }
    let content_sha = header(request, "x-acs-content-sha256")
        .next()
        .map(|(_, v)| v.trim())
        .ok_or_else(|| VerifyError::Missing("x-acs-content-sha256".to_owned()))?;
    let actual_sha = hash_payload(request.body);
    if !content_sha.eq_ignore_ascii_case(&actual_sha) {
        return Err(VerifyError::Mismatch {
            string_to_sign: format!("x-acs-content-sha256 {content_sha} does not match the body ({actual_sha})"),
        });
    }
    for required in MUST_SIGN_WHEN_PRESENT {
        if header(request, required).next().is_some() && !auth.signed_headers.iter().any(|h| h == required) {
            return Err(VerifyError::Malformed(format!(
                "SignedHeaders: {required} must be signed"
            )));
        }
    }
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let mut found = false;
        for (_, value) in header(request, name) {
            signed.push((name.as_str(), value));
            found = true;
        }
        if !found {
            return Err(VerifyError::Missing(format!("signed header {name}")));
        }
    }
    let expected = sign(
        &SignableRequest {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: &signed,
            hashed_payload: content_sha,
        },
        access_key_secret,
    );
    if signatures_equal(&expected.signature, &auth.signature.to_ascii_lowercase()) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch {
            string_to_sign: expected.string_to_sign,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_documented_run_instances_example() {
        let query = [
            ("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
            ("RegionId", "cn-shanghai"),
        ];
        let headers = [
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-content-sha256", EMPTY_PAYLOAD_SHA256),
        ];
        let signed = sign(
            &SignableRequest {
                method: "POST",
                path: "/",
                query: &query,
                headers: &headers,
                hashed_payload: EMPTY_PAYLOAD_SHA256,
            },
            "YourAccessKeySecret",
        );
        assert_eq!(
            signed.string_to_sign,
            "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(
            signed.authorization("YourAccessKeyId"),
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    #[test]
    fn empty_payload_hash_is_the_sha256_of_nothing() {
        assert_eq!(hash_payload(b""), EMPTY_PAYLOAD_SHA256);
    }

    #[test]
    fn repeated_headers_are_trimmed_sorted_and_joined() {
        let (canonical, names) = canonical_headers(&[("X-Acs-B", " 2 "), ("host", "h"), ("x-acs-b", "1")]);
        assert_eq!(canonical, "host:h\nx-acs-b:1,2\n");
        assert_eq!(names, "host;x-acs-b");
    }

    #[test]
    fn authorization_parses_and_rejects_other_schemes() -> Result<(), VerifyError> {
        let auth =
            Authorization::parse("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;X-Acs-Date, Signature=ab12")?;
        assert_eq!(auth.credential, "ak");
        assert_eq!(auth.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(auth.signature, "ab12");
        assert!(matches!(
            Authorization::parse("acs ak:sig"),
            Err(VerifyError::Malformed(_))
        ));
        assert!(matches!(
            Authorization::parse("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host"),
            Err(VerifyError::Missing(_))
        ));
        Ok(())
    }
}
