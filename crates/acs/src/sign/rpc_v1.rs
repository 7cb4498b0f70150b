//! RPC signature V1 (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`).
//!
//! ```text
//! CanonicalQuery = join('&', pct(k) '=' pct(v) for (k, v) sorted by raw k, Signature excluded)
//! StringToSign   = METHOD '&' pct('/') '&' pct(CanonicalQuery)
//! Signature      = base64(HMAC-SHA1(AccessKeySecret '&', StringToSign))
//! ```
//! The signed set is every query parameter plus every form-body parameter.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{VerifyError, percent_encode, signatures_equal};

/// The `SignatureMethod` value for this scheme.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// The `SignatureVersion` value for this scheme.
pub const SIGNATURE_VERSION: &str = "1.0";
/// The parameter that carries the signature; it is never part of what is signed.
pub const SIGNATURE_PARAM: &str = "Signature";

/// Every intermediate stage of a signature, so tests can pin each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The sorted, encoded `k=v&…` string.
    pub canonical_query: String,
    /// `METHOD&%2F&` + the encoded canonical query.
    pub string_to_sign: String,
    /// base64 of the HMAC-SHA1.
    pub signature: String,
}

/// The canonical query over `params`, excluding `Signature`. Parameters are sorted by their raw
/// names in byte order (= code-point order, as Python's `sorted` in the SDK); equal names keep
/// their relative order.
pub fn canonical_query<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().filter(|(k, _)| *k != SIGNATURE_PARAM).collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// `METHOD&%2F&pct(canonical_query)`.
pub fn string_to_sign(method: &str, canonical_query: &str) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(canonical_query)
    )
}

/// base64(HMAC-SHA1(secret + "&", string_to_sign)).
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    let mut key = Vec::with_capacity(access_key_secret.len() + 1);
    key.extend_from_slice(access_key_secret.as_bytes());
    key.push(b'&');
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Runs every stage for `method` over `params` (query and form-body parameters together).
pub fn sign<'a>(method: &str, params: impl IntoIterator<Item = (&'a str, &'a str)>, access_key_secret: &str) -> Signed {
    let canonical_query = canonical_query(params);
    let string_to_sign = string_to_sign(method, &canonical_query);
    let signature = signature(access_key_secret, &string_to_sign);
    Signed {
        canonical_query,
        string_to_sign,
        signature,
    }
}

/// Checks the `Signature` among `params` (decoded query and form parameters of an incoming request).
///
/// # Errors
/// [`VerifyError::Missing`] without a `Signature`, [`VerifyError::Mismatch`] when it is wrong.
pub fn verify<'a>(
    method: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    access_key_secret: &str,
) -> Result<(), VerifyError> {
    let received = params
        .clone()
        .into_iter()
        .find(|(k, _)| *k == SIGNATURE_PARAM)
        .map(|(_, v)| v)
        .ok_or_else(|| VerifyError::Missing(SIGNATURE_PARAM.to_owned()))?;
    let expected = sign(method, params, access_key_secret);
    if signatures_equal(&expected.signature, received) {
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

    const DOC_PARAMS: [(&str, &str); 8] = [
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ];

    #[test]
    fn reproduces_the_documented_get_example() {
        let signed = sign("GET", DOC_PARAMS, "testsecret");
        assert_eq!(
            signed.string_to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(signed.signature, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    #[test]
    fn the_method_is_part_of_the_signature() {
        assert_eq!(
            sign("POST", DOC_PARAMS, "testsecret").signature,
            "MxbnVAM4w6sft9xjVpe/GCKueuk="
        );
    }

    #[test]
    fn the_signature_parameter_is_not_signed_and_order_does_not_matter() {
        let mut reversed: Vec<(&str, &str)> = DOC_PARAMS.iter().rev().copied().collect();
        reversed.push(("Signature", "ignored"));
        assert_eq!(
            sign("GET", reversed, "testsecret").signature,
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn sdk_test_vector_with_empty_method() {
        // aliyun/darabonba-openapi-util Test_GetRPCSignature.
        let signed = sign("", [("test", "ok")], "accessKeySecret");
        assert_eq!(signed.string_to_sign, "&%2F&test%3Dok");
        assert_eq!(signed.signature, "jHx/oHoHNrbVfhncHEvPdHXZwHU=");
    }

    #[test]
    fn verify_accepts_the_right_signature_and_names_the_string_to_sign_otherwise() {
        let mut params: Vec<(&str, &str)> = DOC_PARAMS.to_vec();
        params.push(("Signature", "OLeaidS1JvxuMvnyHOwuJ+uX5qY="));
        assert_eq!(verify("GET", params.iter().copied(), "testsecret"), Ok(()));
        match verify("POST", params.iter().copied(), "testsecret") {
            Err(VerifyError::Mismatch { string_to_sign }) => {
                assert!(string_to_sign.starts_with("POST&%2F&"))
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        assert_eq!(
            verify("GET", DOC_PARAMS.iter().copied(), "testsecret"),
            Err(VerifyError::Missing("Signature".to_owned()))
        );
    }
}
