//! RAM policy documents as meaning, not bytes.
//!
//! RAM re-formats documents it stores, and people write the same policy many ways: key order,
//! whitespace, `"Action": "x"` vs `"Action": ["x"]`, action order and duplicates, `"allow"` vs
//! `"Allow"`. Comparing strings would report drift that is not there and create policy versions
//! for nothing (there are only five). Everything here is pure and works on `serde_json::Value`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

/// A document that cannot be understood well enough to edit safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy document cannot be edited: {0}")]
pub struct PolicyDocError(String);

/// The meaning-preserving normal form of a document: its version and the set of its statements,
/// each statement in canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedPolicy {
    version: Option<String>,
    statements: BTreeSet<String>,
}

/// Normalises a document.
///
/// What is considered equal: key order and whitespace; a single string and a one-element array
/// (Action, NotAction, Resource, NotResource, Principal entries, Condition values); the order and
/// repetition of those values and of statements; the case of `Effect` values and action names
/// (RAM evaluates actions case-insensitively); `"Version": 1` and `"1"`. Resources, principals
/// other than service names, condition keys and values stay case-sensitive.
///
/// # Errors
/// The document is not JSON, or not an object.
pub fn normalize(document: &str) -> Result<NormalizedPolicy, PolicyDocError> {
    let value: Value = serde_json::from_str(document).map_err(|e| PolicyDocError(format!("not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| PolicyDocError("not a JSON object".into()))?;
    let version = object.get("Version").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let statements = statements_of(object)
        .iter()
        .map(|s| canonical_text(&normalize_statement(s)))
        .collect();
    Ok(NormalizedPolicy { version, statements })
}

/// Whether two documents mean the same (see [`normalize`]). A document that does not parse is
/// equal only to the identical string.
pub fn semantically_equal(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (normalize(a), normalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn statements_of(object: &Map<String, Value>) -> Vec<Value> {
    match object.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    }
}

fn normalize_statement(statement: &Value) -> Value {
    let Some(object) = statement.as_object() else {
        return statement.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        let normalized = match key.as_str() {
            "Effect" => match value {
                Value::String(s) => Value::String(s.to_ascii_lowercase()),
                other => other.clone(),
            },
            "Action" | "NotAction" => string_set(value, true),
            "Resource" | "NotResource" => string_set(value, false),
            "Principal" | "NotPrincipal" => match value {
                Value::Object(principals) => Value::Object(
                    principals
                        .iter()
                        .map(|(kind, v)| (kind.clone(), string_set(v, kind == "Service")))
                        .collect(),
                ),
                other => other.clone(),
            },
            "Condition" => match value {
                Value::Object(operators) => Value::Object(
                    operators
                        .iter()
                        .map(|(op, keys)| {
                            let keys = match keys {
                                Value::Object(keys) => {
                                    Value::Object(keys.iter().map(|(k, v)| (k.clone(), string_set(v, false))).collect())
                                }
                                other => other.clone(),
                            };
                            (op.clone(), keys)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), normalized);
    }
    Value::Object(out)
}

/// A string or array of scalars as a sorted, de-duplicated array of strings.
fn string_set(value: &Value, lowercase: bool) -> Value {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let set: BTreeSet<String> = items
        .into_iter()
        .map(|v| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if lowercase { s.to_ascii_lowercase() } else { s }
        })
        .collect();
    Value::Array(set.into_iter().map(Value::String).collect())
}

/// JSON text with object keys sorted, independent of serde_json's map implementation (the
/// `preserve_order` feature may be switched on by another crate in the build).
fn canonical_text(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}:", Value::String(k.clone()));
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `*` and `?` wildcard match, ASCII case-insensitive, as RAM matches action patterns.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<u8> = pattern.bytes().map(|b| b.to_ascii_lowercase()).collect();
    let t: Vec<u8> = text.bytes().map(|b| b.to_ascii_lowercase()).collect();
    // Iterative matcher with backtracking to the last star: linear-ish, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|b| *b == b'*')
}

fn values_of(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

fn effect_is(statement: &Map<String, Value>, effect: &str) -> bool {
    statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case(effect))
}

fn action_covers(statement: &Map<String, Value>, action: &str) -> bool {
    values_of(statement.get("Action"))
        .iter()
        .any(|pattern| wildcard_match(pattern, action))
}

fn names_service(statement: &Map<String, Value>, service: &str) -> bool {
    match statement.get("Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(p)) => values_of(p.get("Service"))
            .iter()
            .any(|s| s == "*" || s.eq_ignore_ascii_case(service)),
        _ => false,
    }
}

fn parsed_statements(document: &str) -> Vec<Map<String, Value>> {
    serde_json::from_str::<Value>(document)
        .ok()
        .and_then(|v| v.as_object().map(statements_of))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| s.as_object().cloned())
        .collect()
}

/// The trust policy letting `service` assume a role.
pub fn service_trust_document(service: &str) -> String {
    json!({
        "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": [service]}}],
        "Version": "1"
    })
    .to_string()
}

/// Whether a trust policy lets `service` assume the role unconditionally: an Allow statement for
/// `sts:AssumeRole` naming the service without a Condition, and no Deny statement against it.
pub fn trusts_service(document: &str, service: &str) -> bool {
    let statements = parsed_statements(document);
    let allowed = statements.iter().any(|s| {
        effect_is(s, "Allow")
            && action_covers(s, "sts:AssumeRole")
            && names_service(s, service)
            && !s.contains_key("Condition")
            && !s.contains_key("NotAction")
    });
    allowed && !denies_service(document, service)
}

/// Whether a trust policy explicitly denies `service` — adding an Allow cannot fix that, and
/// removing someone's Deny is not ours to do.
pub fn denies_service(document: &str, service: &str) -> bool {
    parsed_statements(document)
        .iter()
        .any(|s| effect_is(s, "Deny") && action_covers(s, "sts:AssumeRole") && names_service(s, service))
}

/// The trust policy with a statement trusting `service` appended; every existing statement is
/// kept as it is (DESIGN §1 row 1: PAI is *added*).
///
/// # Errors
/// The document is not a JSON object, or its `Statement` is neither an array nor an object.
pub fn add_trusted_service(document: &str, service: &str) -> Result<String, PolicyDocError> {
    let mut value: Value =
        serde_json::from_str(document).map_err(|e| PolicyDocError(format!("trust policy is not JSON: {e}")))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| PolicyDocError("trust policy is not a JSON object".into()))?;
    let statement = json!({"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": [service]}});
    match object.get_mut("Statement") {
        Some(Value::Array(items)) => items.push(statement),
        Some(single @ Value::Object(_)) => {
            let existing = single.take();
            *single = Value::Array(vec![existing, statement]);
        }
        None => {
            object.insert("Statement".into(), Value::Array(vec![statement]));
        }
        Some(_) => {
            return Err(PolicyDocError(
                "trust policy Statement is neither a list nor an object".into(),
            ));
        }
    }
    object.entry("Version").or_insert_with(|| Value::String("1".into()));
    Ok(value.to_string())
}

fn bucket_arn(bucket: &str) -> String {
    format!("acs:oss:*:*:{bucket}")
}

fn object_arn(bucket: &str) -> String {
    format!("acs:oss:*:*:{bucket}/*")
}

fn bucket_statement(buckets: &BTreeSet<String>) -> Value {
    let resources: Vec<String> = buckets.iter().flat_map(|b| [bucket_arn(b), object_arn(b)]).collect();
    json!({"Action": ["oss:*"], "Effect": "Allow", "Resource": resources})
}

/// The least-privilege OSS policy: full OSS access to the named buckets and their objects only.
pub fn bucket_policy_document(buckets: &BTreeSet<String>) -> String {
    json!({"Statement": [bucket_statement(buckets)], "Version": "1"}).to_string()
}

/// `existing` extended so it covers `buckets` too, keeping everything it already says (dlcauth
/// never narrows a policy): missing bucket resources are added to the dlcauth-shaped statement if
/// there is one, else a statement is appended. An unreadable `existing` is replaced.
pub fn extend_bucket_policy(existing: &str, buckets: &BTreeSet<String>) -> String {
    let granted = granted_buckets(existing);
    let missing: BTreeSet<String> = buckets.difference(&granted).cloned().collect();
    let Ok(mut value) = serde_json::from_str::<Value>(existing) else {
        return bucket_policy_document(buckets);
    };
    let Some(Value::Array(statements)) = value.as_object_mut().and_then(|o| o.get_mut("Statement")) else {
        return bucket_policy_document(buckets);
    };
    if missing.is_empty() {
        return existing.to_owned();
    }
    let ours = statements.iter_mut().find(|s| {
        s.as_object().is_some_and(|s| {
            effect_is(s, "Allow")
                && !s.contains_key("Condition")
                && values_of(s.get("Action")) == ["oss:*"]
                && values_of(s.get("Resource"))
                    .iter()
                    .all(|r| r.starts_with("acs:oss:*:*:"))
        })
    });
    match ours {
        Some(statement) => {
            let mut resources: BTreeSet<String> = values_of(statement.get("Resource")).into_iter().collect();
            resources.extend(missing.iter().flat_map(|b| [bucket_arn(b), object_arn(b)]));
            statement["Resource"] = json!(resources);
        }
        None => statements.push(bucket_statement(&missing)),
    }
    value.to_string()
}

/// Statements granting full OSS access (`oss:*` or `*`) unconditionally.
fn full_oss_allows(document: &str) -> Vec<Map<String, Value>> {
    parsed_statements(document)
        .into_iter()
        .filter(|s| {
            effect_is(s, "Allow")
                && !s.contains_key("Condition")
                && values_of(s.get("Action"))
                    .iter()
                    .any(|a| a == "*" || a.eq_ignore_ascii_case("oss:*"))
        })
        .collect()
}

/// The buckets a document grants full access to, bucket and objects both.
pub fn granted_buckets(document: &str) -> BTreeSet<String> {
    let resources: BTreeSet<String> = full_oss_allows(document)
        .iter()
        .flat_map(|s| values_of(s.get("Resource")))
        .collect();
    resources
        .iter()
        .filter_map(|r| r.strip_prefix("acs:oss:*:*:"))
        .filter(|b| !b.contains('/') && !b.contains('*'))
        .filter(|b| resources.contains(&object_arn(b)))
        .map(str::to_owned)
        .collect()
}

/// Whether a document grants full access to every one of `buckets` (or to all of OSS).
pub fn covers_buckets(document: &str, buckets: &BTreeSet<String>) -> bool {
    let everything = full_oss_allows(document)
        .iter()
        .any(|s| values_of(s.get("Resource")).iter().any(|r| r == "*"));
    everything || buckets.is_subset(&granted_buckets(document))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::OAUTH_POLICY_DOCUMENT;

    const PAI: &str = "pai.aliyuncs.com";

    #[test]
    fn identical_documents_are_equal() {
        assert!(semantically_equal(OAUTH_POLICY_DOCUMENT, OAUTH_POLICY_DOCUMENT));
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let reformatted = r#"{
            "Statement": [ {
                "Effect" : "Allow",
                "Resource": ["*"],
                "Action": ["ram:GetDefaultDomain","ram:ListApplications","ram:CreateApplication",
                           "ram:ListAppSecretIds","ram:GetAppSecret","ram:CreateAppSecret",
                           "ram:DeleteApplication","ram:DeleteAppSecret"]
            } ],
            "Version": "1"
        }"#;
        assert!(semantically_equal(OAUTH_POLICY_DOCUMENT, reformatted));
    }

    #[test]
    fn action_order_duplicates_and_case_do_not_matter() {
        let shuffled = r#"{"Version":"1","Statement":[{"Action":["ram:DeleteAppSecret","RAM:deleteapplication",
            "ram:CreateAppSecret","ram:GetAppSecret","ram:ListAppSecretIds","ram:CreateApplication",
            "ram:ListApplications","ram:GetDefaultDomain","ram:GetDefaultDomain"],"Resource":"*","Effect":"allow"}]}"#;
        assert!(semantically_equal(OAUTH_POLICY_DOCUMENT, shuffled));
    }

    #[test]
    fn string_and_one_element_array_are_equal() {
        let a =
            r#"{"Version":"1","Statement":[{"Action":"oss:GetObject","Resource":"acs:oss:*:*:b/*","Effect":"Allow"}]}"#;
        let b = r#"{"Version":"1","Statement":[{"Action":["oss:GetObject"],"Resource":["acs:oss:*:*:b/*"],"Effect":"Allow"}]}"#;
        assert!(semantically_equal(a, b));
    }

    #[test]
    fn numeric_version_equals_string_version() {
        let a = r#"{"Version":1,"Statement":[]}"#;
        let b = r#"{"Version":"1","Statement":[]}"#;
        assert!(semantically_equal(a, b));
    }

    #[test]
    fn statement_order_does_not_matter_but_content_does() {
        let a = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow"},
                                                {"Action":"b:y","Resource":"*","Effect":"Deny"}]}"#;
        let b = r#"{"Version":"1","Statement":[{"Action":"b:y","Resource":"*","Effect":"Deny"},
                                                {"Action":"a:x","Resource":"*","Effect":"Allow"}]}"#;
        assert!(semantically_equal(a, b));
        let c = r#"{"Version":"1","Statement":[{"Action":"b:y","Resource":"*","Effect":"Allow"},
                                                {"Action":"a:x","Resource":"*","Effect":"Allow"}]}"#;
        assert!(!semantically_equal(a, c), "Deny vs Allow differs");
    }

    #[test]
    fn a_missing_or_extra_action_is_drift() {
        let missing = OAUTH_POLICY_DOCUMENT.replace(r#","ram:DeleteAppSecret""#, "");
        assert!(!semantically_equal(OAUTH_POLICY_DOCUMENT, &missing));
        let extra = OAUTH_POLICY_DOCUMENT.replace(r#""ram:DeleteAppSecret""#, r#""ram:DeleteAppSecret","ram:*""#);
        assert!(!semantically_equal(OAUTH_POLICY_DOCUMENT, &extra));
    }

    #[test]
    fn resource_case_and_value_matter() {
        let a = r#"{"Version":"1","Statement":[{"Action":"oss:*","Resource":"acs:oss:*:*:Data","Effect":"Allow"}]}"#;
        let b = r#"{"Version":"1","Statement":[{"Action":"oss:*","Resource":"acs:oss:*:*:data","Effect":"Allow"}]}"#;
        assert!(!semantically_equal(a, b));
        let star = OAUTH_POLICY_DOCUMENT.replace(r#"["*"]"#, r#"["acs:ram:*:*:*"]"#);
        assert!(!semantically_equal(OAUTH_POLICY_DOCUMENT, &star));
    }

    #[test]
    fn conditions_compare_by_value_set() {
        let a = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow",
            "Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}]}"#;
        let b = r#"{"Version":"1","Statement":[{"Condition":{"IpAddress":{"acs:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}},
            "Action":"a:x","Resource":"*","Effect":"Allow"}]}"#;
        let c = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow",
            "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#;
        let d = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow"}]}"#;
        assert!(semantically_equal(a, b));
        assert!(!semantically_equal(a, c));
        assert!(!semantically_equal(a, d), "a condition narrows the statement");
        let bool_a = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow",
            "Condition":{"Bool":{"acs:SecureTransport":true}}}]}"#;
        let bool_b = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow",
            "Condition":{"Bool":{"acs:SecureTransport":["true"]}}}]}"#;
        assert!(semantically_equal(bool_a, bool_b));
    }

    #[test]
    fn single_statement_object_equals_one_element_statement_list() {
        let a = r#"{"Version":"1","Statement":{"Action":"a:x","Resource":"*","Effect":"Allow"}}"#;
        let b = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow"}]}"#;
        assert!(semantically_equal(a, b));
    }

    #[test]
    fn version_and_statement_set_matter() {
        let v2 = OAUTH_POLICY_DOCUMENT.replace(r#""Version":"1""#, r#""Version":"2""#);
        assert!(!semantically_equal(OAUTH_POLICY_DOCUMENT, &v2));
        let doubled = r#"{"Version":"1","Statement":[{"Action":"a:x","Resource":"*","Effect":"Allow"},{"Action":"a:y","Resource":"*","Effect":"Allow"}]}"#;
        let merged = r#"{"Version":"1","Statement":[{"Action":["a:x","a:y"],"Resource":"*","Effect":"Allow"}]}"#;
        // Same permissions, different statement structure: treated as drift, because the guide
        // asks for *the* documented statement and RAM compares what it stores.
        assert!(!semantically_equal(doubled, merged));
    }

    #[test]
    fn unparseable_documents_equal_only_themselves() {
        assert!(semantically_equal("not json", "not json"));
        assert!(!semantically_equal("not json", OAUTH_POLICY_DOCUMENT));
        assert!(!semantically_equal("[1]", "[2]"));
        assert!(normalize("[]").is_err());
    }

    #[test]
    fn wildcards_match_like_ram() {
        assert!(wildcard_match("sts:AssumeRole", "sts:AssumeRole"));
        assert!(wildcard_match("STS:assumerole", "sts:AssumeRole"));
        assert!(wildcard_match("sts:*", "sts:AssumeRole"));
        assert!(wildcard_match("*", "sts:AssumeRole"));
        assert!(wildcard_match("sts:Assume*", "sts:AssumeRole"));
        assert!(wildcard_match("sts:Assume?ole", "sts:AssumeRole"));
        assert!(wildcard_match("*:*Role", "sts:AssumeRole"));
        assert!(!wildcard_match("sts:Assume", "sts:AssumeRole"));
        assert!(!wildcard_match("ram:*", "sts:AssumeRole"));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("", ""));
        assert!(wildcard_match("**", ""));
    }

    #[test]
    fn the_generated_trust_policy_trusts_pai() {
        let doc = service_trust_document(PAI);
        assert!(trusts_service(&doc, PAI));
        assert!(!trusts_service(&doc, "ecs.aliyuncs.com"));
    }

    #[test]
    fn trust_recognised_in_its_many_spellings() {
        for doc in [
            r#"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"pai.aliyuncs.com"}}]}"#,
            r#"{"Version":"1","Statement":[{"Action":["sts:AssumeRole"],"Effect":"allow","Principal":{"Service":["ecs.aliyuncs.com","PAI.aliyuncs.com"]}}]}"#,
            r#"{"Version":"1","Statement":[{"Action":"sts:*","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]}}]}"#,
            r#"{"Version":"1","Statement":{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]}}}"#,
        ] {
            assert!(trusts_service(doc, PAI), "{doc}");
        }
    }

    #[test]
    fn trust_not_recognised_when_absent_conditional_or_denied() {
        for doc in [
            r#"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#,
            r#"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1:root"]}}]}"#,
            r#"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]},
                "Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#,
            r#"{"Version":"1","Statement":[{"Action":"ram:*","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]}}]}"#,
            r#"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]}},
                {"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":["pai.aliyuncs.com"]}}]}"#,
            "",
            "not json",
            r#"{"Version":"1"}"#,
        ] {
            assert!(!trusts_service(doc, PAI), "{doc}");
        }
    }

    #[test]
    fn denial_is_detected() {
        let doc = r#"{"Version":"1","Statement":[{"Action":"sts:*","Effect":"Deny","Principal":{"Service":"*"}}]}"#;
        assert!(denies_service(doc, PAI));
        assert!(!denies_service(&service_trust_document(PAI), PAI));
    }

    #[test]
    fn adding_pai_keeps_every_other_statement() -> Result<(), PolicyDocError> {
        let original = r#"{"Version":"1","Statement":[
            {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}},
            {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:root"]},
             "Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}"#;
        let updated = add_trusted_service(original, PAI)?;
        assert!(trusts_service(&updated, PAI));
        let before = normalize(original)?;
        let after = normalize(&updated)?;
        assert!(
            before.statements.is_subset(&after.statements),
            "every old statement is still there"
        );
        assert_eq!(after.statements.len(), before.statements.len() + 1);
        assert_eq!(after.version.as_deref(), Some("1"));
        Ok(())
    }

    #[test]
    fn adding_pai_handles_single_statement_and_missing_parts() -> Result<(), PolicyDocError> {
        let single = r#"{"Version":"1","Statement":{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}}"#;
        let updated = add_trusted_service(single, PAI)?;
        assert!(trusts_service(&updated, PAI));
        assert!(updated.contains("ecs.aliyuncs.com"));
        let bare = add_trusted_service("{}", PAI)?;
        assert!(trusts_service(&bare, PAI));
        assert!(add_trusted_service("not json", PAI).is_err());
        assert!(add_trusted_service("[]", PAI).is_err());
        assert!(add_trusted_service(r#"{"Statement":"x"}"#, PAI).is_err());
        Ok(())
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bucket_policy_scopes_to_bucket_and_objects() -> Result<(), serde_json::Error> {
        let doc = bucket_policy_document(&set(&["alpha", "beta"]));
        let v: Value = serde_json::from_str(&doc)?;
        assert_eq!(v["Version"], "1");
        assert_eq!(v["Statement"][0]["Action"], json!(["oss:*"]));
        assert_eq!(
            v["Statement"][0]["Resource"],
            json!([
                "acs:oss:*:*:alpha",
                "acs:oss:*:*:alpha/*",
                "acs:oss:*:*:beta",
                "acs:oss:*:*:beta/*"
            ])
        );
        assert_eq!(granted_buckets(&doc), set(&["alpha", "beta"]));
        Ok(())
    }

    #[test]
    fn extending_a_bucket_policy_keeps_what_it_had() -> Result<(), PolicyDocError> {
        let ours = bucket_policy_document(&set(&["alpha"]));
        let extended = extend_bucket_policy(&ours, &set(&["beta"]));
        assert_eq!(granted_buckets(&extended), set(&["alpha", "beta"]));
        assert_eq!(
            normalize(&extended)?.statements.len(),
            1,
            "merged into dlcauth's statement"
        );

        let custom = r#"{"Version":"1","Statement":[{"Action":"oss:GetObject","Effect":"Allow","Resource":"acs:oss:*:*:logs/*"}]}"#;
        let extended = extend_bucket_policy(custom, &set(&["beta"]));
        let before = normalize(custom)?;
        let after = normalize(&extended)?;
        assert!(before.statements.is_subset(&after.statements));
        assert!(covers_buckets(&extended, &set(&["beta"])));

        assert_eq!(
            extend_bucket_policy(&ours, &set(&["alpha"])),
            ours,
            "nothing missing, nothing changed"
        );
        assert_eq!(
            granted_buckets(&extend_bucket_policy("garbage", &set(&["beta"]))),
            set(&["beta"])
        );
        Ok(())
    }

    #[test]
    fn bucket_coverage_needs_bucket_and_object_resources() {
        let only_objects =
            r#"{"Version":"1","Statement":[{"Action":"oss:*","Effect":"Allow","Resource":"acs:oss:*:*:alpha/*"}]}"#;
        assert!(!covers_buckets(only_objects, &set(&["alpha"])));
        let read_only = r#"{"Version":"1","Statement":[{"Action":"oss:GetObject","Effect":"Allow",
            "Resource":["acs:oss:*:*:alpha","acs:oss:*:*:alpha/*"]}]}"#;
        assert!(!covers_buckets(read_only, &set(&["alpha"])));
        let everything = r#"{"Version":"1","Statement":[{"Action":"oss:*","Effect":"Allow","Resource":"*"}]}"#;
        assert!(covers_buckets(everything, &set(&["alpha", "zeta"])));
        let doc = bucket_policy_document(&set(&["alpha", "beta"]));
        assert!(covers_buckets(&doc, &set(&["alpha"])));
        assert!(!covers_buckets(&doc, &set(&["alpha", "gamma"])));
        assert!(!covers_buckets("garbage", &set(&["alpha"])));
    }
}
