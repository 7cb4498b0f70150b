//! Property tests: a signature always verifies, and any single-byte change to what was signed
//! (a parameter, a header, the body, the method, the secret) makes verification fail.

use acs::sign::{acs3, percent_encode, rpc_v1};
use proptest::prelude::*;

fn param_name() -> impl Strategy<Value = String> {
    // Names the signer must keep distinct after encoding; any Unicode is fair game for values.
    "[A-Za-z][A-Za-z0-9._-]{0,12}"
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(param_name(), any::<String>(), 1..8).prop_map(|m| m.into_iter().collect())
}

/// Flips one byte of `s` (keeping valid UTF-8 by replacing a char with another one).
fn mutate(s: &str, at: usize) -> String {
    if s.is_empty() {
        return "x".to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let i = at % chars.len();
    let mut out = chars.clone();
    out[i] = if chars[i] == 'a' { 'b' } else { 'a' };
    out.into_iter().collect()
}

fn pairs(p: &[(String, String)]) -> Vec<(&str, &str)> {
    p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

proptest! {
    #[test]
    fn percent_encoding_round_trips_through_a_standard_decoder(s in any::<String>()) {
        let encoded = percent_encode(&s);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
        let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8().map(|c| c.into_owned());
        prop_assert_eq!(decoded.ok(), Some(s));
    }

    #[test]
    fn rpc_v1_signature_round_trips_and_any_change_breaks_it(
        params in params(), secret in any::<String>(), post in any::<bool>(), which in any::<usize>(), at in any::<usize>()
    ) {
        let method = if post { "POST" } else { "GET" };
        let signed = rpc_v1::sign(method, params.iter().map(|(k, v)| (k.as_str(), v.as_str())), &secret);
        let mut with_sig = params.clone();
        with_sig.push(("Signature".to_owned(), signed.signature.clone()));
        prop_assert_eq!(rpc_v1::verify(method, pairs(&with_sig), &secret), Ok(()));

        let mut changed = with_sig.clone();
        let i = which % params.len();
        changed[i].1 = mutate(&changed[i].1, at);
        prop_assert!(rpc_v1::verify(method, pairs(&changed), &secret).is_err());
        let other_method = if post { "GET" } else { "POST" };
        prop_assert!(rpc_v1::verify(other_method, pairs(&with_sig), &secret).is_err());
        prop_assert!(rpc_v1::verify(method, pairs(&with_sig), &mutate(&secret, at)).is_err());
    }

    #[test]
    fn acs3_signature_round_trips_and_any_change_breaks_it(
        query in params(), body in prop::collection::vec(any::<u8>(), 0..64), nonce in "[a-f0-9]{32}",
        secret in any::<String>(), which in 0usize..3, at in any::<usize>()
    ) {
        let hashed = acs3::hash_payload(&body);
        let headers_owned = vec![
            ("host".to_owned(), "ram.aliyuncs.com".to_owned()),
            ("x-acs-action".to_owned(), "GetRole".to_owned()),
            ("x-acs-version".to_owned(), "2015-05-01".to_owned()),
            ("x-acs-date".to_owned(), "2026-12-03T00:00:00Z".to_owned()),
            ("x-acs-signature-nonce".to_owned(), nonce),
            ("x-acs-content-sha256".to_owned(), hashed.clone()),
        ];
        let (q, h) = (pairs(&query), pairs(&headers_owned));
        let signed = acs3::sign(&acs3::SignableRequest { method: "POST", path: "/", query: &q, headers: &h, hashed_payload: &hashed }, &secret);
        let auth = acs3::Authorization::parse(&signed.authorization("ak")).expect("our own header parses");
        let incoming = acs3::IncomingRequest { method: "POST", path: "/", query: &q, headers: &h, body: &body };
        prop_assert_eq!(acs3::verify(&auth, &incoming, &secret), Ok(()));

        match which {
            0 => {
                let mut changed = query.clone();
                let i = at % changed.len();
                changed[i].1 = mutate(&changed[i].1, at);
                let cq = pairs(&changed);
                let changed_request = acs3::IncomingRequest { query: &cq, ..incoming };
                prop_assert!(acs3::verify(&auth, &changed_request, &secret).is_err());
            }
            1 => {
                let mut changed = headers_owned.clone();
                let i = at % (changed.len() - 1); // any signed header but the payload hash
                changed[i].1 = mutate(&changed[i].1, at);
                let ch = pairs(&changed);
                let changed_request = acs3::IncomingRequest { headers: &ch, ..incoming };
                prop_assert!(acs3::verify(&auth, &changed_request, &secret).is_err());
            }
            _ => {
                let mut changed = body.clone();
                if changed.is_empty() { changed.push(0) } else { let i = at % changed.len(); changed[i] ^= 1 }
                let changed_request = acs3::IncomingRequest { body: &changed, ..incoming };
                prop_assert!(acs3::verify(&auth, &changed_request, &secret).is_err());
            }
        }
        prop_assert!(acs3::verify(&auth, &incoming, &mutate(&secret, at)).is_err());
    }
}
