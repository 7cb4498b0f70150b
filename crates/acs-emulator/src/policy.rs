//! RAM policy documents: the grammar (identity policies and role trust policies) and their
//! evaluation, as pure functions with no I/O.
//!
//! Evaluation follows RAM's rules: a request is allowed when at least one statement of the
//! caller's policies allows it and none denies it (an explicit `Deny` always wins); anything not
//! allowed is implicitly denied. `Action` names match case-insensitively with `*` and `?`
//! wildcards; resources match component-wise when both sides are ARNs (`acs:<service>:<region>:
//! <account>:<relative>`), an empty or `*` region matching any region.
//!
//! Conditions: `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`, `StringLike` and
//! `StringNotLike` are evaluated against the request context (e.g. `sts:ExternalId`). Any other
//! operator is treated fail-closed: an `Allow` statement carrying it never applies, a `Deny`
//! statement carrying it always does.

use serde_json::{Map, Value};

/// Why a policy document was refused. The message becomes the `MalformedPolicyDocument` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedPolicy(pub String);

fn malformed(message: impl Into<String>) -> MalformedPolicy {
    MalformedPolicy(message.into())
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Refuses, whatever else allows.
    Deny,
}

/// `Action` / `Resource` (the listed patterns) or `NotAction` / `NotResource` (everything but them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    /// Matches what one of the patterns matches.
    Is(Vec<String>),
    /// Matches what none of the patterns matches.
    Not(Vec<String>),
}

impl Patterns {
    fn matches(&self, value: &str, matcher: fn(&str, &str) -> bool) -> bool {
        match self {
            Self::Is(patterns) => patterns.iter().any(|p| matcher(p, value)),
            Self::Not(patterns) => !patterns.iter().any(|p| matcher(p, value)),
        }
    }
}

/// One statement of an identity policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Allow or Deny.
    pub effect: Effect,
    /// Action patterns.
    pub action: Patterns,
    /// Resource patterns.
    pub resource: Patterns,
    /// The `Condition` block, if any.
    pub condition: Option<Map<String, Value>>,
}

/// A parsed identity (permission) policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// Values a condition may test, keyed case-insensitively (e.g. `sts:ExternalId`).
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: Vec<(String, String)>,
}

impl Context {
    /// Adds a key (stored lower-case) and its value.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.values.push((key.to_ascii_lowercase(), value.into()));
        self
    }

    fn get(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.values.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }
}

/// The outcome of evaluating a request against a set of policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An Allow statement matched and no Deny did.
    Allow,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Nothing matched.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }
}

fn parse_root(text: &str) -> Result<Map<String, Value>, MalformedPolicy> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| malformed(format!("The policy document is not valid JSON: {e}.")))?;
    let Value::Object(root) = value else {
        return Err(malformed("The policy document must be a JSON object."));
    };
    for key in root.keys() {
        if key != "Version" && key != "Statement" {
            return Err(malformed(format!("Unknown element \"{key}\" in the policy document.")));
        }
    }
    match root.get("Version") {
        Some(Value::String(v)) if v == "1" => {}
        Some(_) => return Err(malformed("The element \"Version\" must be \"1\".")),
        None => return Err(malformed("The element \"Version\" is missing.")),
    }
    Ok(root)
}

fn statements(root: &Map<String, Value>) -> Result<&Vec<Value>, MalformedPolicy> {
    match root.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => Ok(items),
        Some(_) => Err(malformed("The element \"Statement\" must be a non-empty array.")),
        None => Err(malformed("The element \"Statement\" is missing.")),
    }
}

/// A string or a non-empty array of non-empty strings.
fn string_list(value: &Value, field: &str) -> Result<Vec<String>, MalformedPolicy> {
    let invalid = || {
        malformed(format!(
            "The element \"{field}\" must be a non-empty string or array of strings."
        ))
    };
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                _ => Err(invalid()),
            })
            .collect(),
        _ => Err(invalid()),
    }
}

fn effect(statement: &Map<String, Value>) -> Result<Effect, MalformedPolicy> {
    match statement.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Ok(Effect::Allow),
        Some(Value::String(e)) if e == "Deny" => Ok(Effect::Deny),
        Some(_) => Err(malformed("The element \"Effect\" must be \"Allow\" or \"Deny\".")),
        None => Err(malformed("The element \"Effect\" is missing.")),
    }
}

/// Exactly one of `name` / `Not<name>`.
fn patterns(statement: &Map<String, Value>, name: &str) -> Result<Patterns, MalformedPolicy> {
    let not_name = format!("Not{name}");
    match (statement.get(name), statement.get(&not_name)) {
        (Some(v), None) => Ok(Patterns::Is(string_list(v, name)?)),
        (None, Some(v)) => Ok(Patterns::Not(string_list(v, &not_name)?)),
        (Some(_), Some(_)) => Err(malformed(format!(
            "A statement may not contain both \"{name}\" and \"{not_name}\"."
        ))),
        (None, None) => Err(malformed(format!("The element \"{name}\" is missing."))),
    }
}

fn check_actions(list: &[String]) -> Result<(), MalformedPolicy> {
    for a in list {
        let well_formed = a == "*"
            || a.split_once(':')
                .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
        if !well_formed {
            return Err(malformed(format!(
                "The action \"{a}\" is not of the form <service>:<action>."
            )));
        }
    }
    Ok(())
}

fn condition(statement: &Map<String, Value>) -> Result<Option<Map<String, Value>>, MalformedPolicy> {
    let Some(value) = statement.get("Condition") else {
        return Ok(None);
    };
    let invalid = || malformed("The element \"Condition\" must map operators to objects of keys and values.");
    let Value::Object(operators) = value else {
        return Err(invalid());
    };
    for keys in operators.values() {
        let Value::Object(keys) = keys else {
            return Err(invalid());
        };
        for v in keys.values() {
            let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Bool(_) | Value::Number(_));
            let ok = scalar(v) || matches!(v, Value::Array(items) if !items.is_empty() && items.iter().all(scalar));
            if !ok {
                return Err(invalid());
            }
        }
    }
    Ok(Some(operators.clone()))
}

fn check_keys(statement: &Map<String, Value>, allowed: &[&str]) -> Result<(), MalformedPolicy> {
    for key in statement.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(malformed(format!("Unknown element \"{key}\" in a statement.")));
        }
    }
    Ok(())
}

impl PolicyDocument {
    /// Parses and validates an identity policy.
    ///
    /// # Errors
    /// [`MalformedPolicy`] for invalid JSON or anything outside RAM's policy grammar.
    pub fn parse(text: &str) -> Result<Self, MalformedPolicy> {
        let root = parse_root(text)?;
        let mut out = Vec::new();
        for item in statements(&root)? {
            let Value::Object(statement) = item else {
                return Err(malformed("Every statement must be a JSON object."));
            };
            check_keys(
                statement,
                &["Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"],
            )?;
            let action = patterns(statement, "Action")?;
            let (Patterns::Is(list) | Patterns::Not(list)) = &action;
            check_actions(list)?;
            out.push(Statement {
                effect: effect(statement)?,
                action,
                resource: patterns(statement, "Resource")?,
                condition: condition(statement)?,
            });
        }
        Ok(Self { statements: out })
    }

    /// A one-statement Allow policy, for the built-in system policies.
    pub fn allow(actions: &[&str], resources: &[&str]) -> Self {
        Self {
            statements: vec![Statement {
                effect: Effect::Allow,
                action: Patterns::Is(actions.iter().map(|s| (*s).to_owned()).collect()),
                resource: Patterns::Is(resources.iter().map(|s| (*s).to_owned()).collect()),
                condition: None,
            }],
        }
    }

    /// The document as RAM prints it: compact JSON, keys sorted, single values unwrapped.
    pub fn to_json(&self) -> String {
        fn list(values: &[String]) -> Value {
            match values {
                [one] => Value::String(one.clone()),
                many => Value::Array(many.iter().cloned().map(Value::String).collect()),
            }
        }
        let statements: Vec<Value> = self
            .statements
            .iter()
            .map(|s| {
                let mut m = Map::new();
                m.insert(
                    "Effect".into(),
                    Value::String(if s.effect == Effect::Allow { "Allow" } else { "Deny" }.into()),
                );
                match &s.action {
                    Patterns::Is(v) => m.insert("Action".into(), list(v)),
                    Patterns::Not(v) => m.insert("NotAction".into(), list(v)),
                };
                match &s.resource {
                    Patterns::Is(v) => m.insert("Resource".into(), list(v)),
                    Patterns::Not(v) => m.insert("NotResource".into(), list(v)),
                };
                if let Some(c) = &s.condition {
                    m.insert("Condition".into(), Value::Object(c.clone()));
                }
                Value::Object(m)
            })
            .collect();
        let mut root = Map::new();
        root.insert("Statement".into(), Value::Array(statements));
        root.insert("Version".into(), Value::String("1".into()));
        Value::Object(root).to_string()
    }
}

/// Evaluates `action` on `resource` against `policies`: any matching Deny wins, then any matching
/// Allow allows, otherwise the request is implicitly denied.
pub fn evaluate<'a>(
    policies: impl IntoIterator<Item = &'a PolicyDocument>,
    action: &str,
    resource: &str,
    context: &Context,
) -> Decision {
    let mut allowed = false;
    for policy in policies {
        for s in &policy.statements {
            if !s.action.matches(action, action_matches) || !s.resource.matches(resource, resource_matches) {
                continue;
            }
            if !statement_applies(s.effect, s.condition.as_ref(), context) {
                continue;
            }
            match s.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

fn statement_applies(effect: Effect, condition: Option<&Map<String, Value>>, context: &Context) -> bool {
    let Some(condition) = condition else {
        return true;
    };
    match conditions_hold(condition, context) {
        Some(holds) => holds,
        // Fail closed on what the emulator cannot evaluate.
        None => effect == Effect::Deny,
    }
}

/// `Some(result)` when every operator is supported, `None` otherwise.
fn conditions_hold(condition: &Map<String, Value>, context: &Context) -> Option<bool> {
    let mut all = true;
    for (operator, keys) in condition {
        let Value::Object(keys) = keys else {
            return None;
        };
        for (key, expected) in keys {
            let expected: Vec<String> = match expected {
                Value::Array(items) => items.iter().map(scalar_text).collect(),
                other => vec![scalar_text(other)],
            };
            let actual = context.get(key);
            let any = |f: &dyn Fn(&str, &str) -> bool| actual.is_some_and(|a| expected.iter().any(|e| f(e, a)));
            let holds = match operator.as_str() {
                "StringEquals" => any(&|e, a| e == a),
                "StringNotEquals" => !any(&|e, a| e == a),
                "StringEqualsIgnoreCase" => any(&|e, a| e.eq_ignore_ascii_case(a)),
                "StringLike" => any(&|e, a| wildcard_match(e, a)),
                "StringNotLike" => !any(&|e, a| wildcard_match(e, a)),
                _ => return None,
            };
            all &= holds;
        }
    }
    Some(all)
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Case-sensitive match of `text` against `pattern`, where `*` matches any run of characters
/// (including none) and `?` exactly one.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Where the last `*` was and which text position it currently swallows up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|c| *c == '*')
}

/// Case-insensitive [`wildcard_match`]: RAM action names are case-insensitive.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    wildcard_match(&pattern.to_lowercase(), &action.to_lowercase())
}

struct Arn<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    relative: &'a str,
}

fn arn(value: &str) -> Option<Arn<'_>> {
    let mut parts = value.splitn(5, ':');
    if parts.next()? != "acs" {
        return None;
    }
    Some(Arn {
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        relative: parts.next()?,
    })
}

/// Whether a `Resource` pattern covers `resource`. Matching is case-insensitive, because RAM
/// prints role ARNs with the role name lower-cased while callers write it as created.
pub fn resource_matches(pattern: &str, resource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let ci = |p: &str, r: &str| wildcard_match(&p.to_lowercase(), &r.to_lowercase());
    match (arn(pattern), arn(resource)) {
        (Some(p), Some(r)) => {
            let any = |s: &str| s.is_empty() || s == "*";
            ci(p.service, r.service)
                && (any(p.region) || any(r.region) || ci(p.region, r.region))
                && (any(p.account) || ci(p.account, r.account))
                && ci(p.relative, r.relative)
        }
        _ => ci(pattern, resource),
    }
}

/// Who may be named in a trust policy's `Principal`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// RAM identities: user or role ARNs, `acs:ram::<uid>:root`, or a bare account ID.
    pub ram: Vec<String>,
    /// Cloud services, e.g. `pai.aliyuncs.com`.
    pub service: Vec<String>,
    /// Identity providers.
    pub federated: Vec<String>,
}

/// One statement of a role trust policy.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustStatement {
    /// Allow or Deny.
    pub effect: Effect,
    /// Action patterns (normally `sts:AssumeRole`).
    pub action: Vec<String>,
    /// Who the statement is about.
    pub principal: Principal,
    /// The `Condition` block, if any.
    pub condition: Option<Map<String, Value>>,
}

/// A parsed role trust policy (`AssumeRolePolicyDocument`).
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPolicy {
    /// The statements, in document order.
    pub statements: Vec<TrustStatement>,
}

/// Who asks to assume a role.
#[derive(Debug, Clone, Copy)]
pub enum Assumer<'a> {
    /// A RAM user or role of `account_id`, identified by its ARN
    /// (`acs:ram::<uid>:user/<name>` or `acs:ram::<uid>:role/<name>`).
    Ram {
        /// The caller's ARN.
        arn: &'a str,
        /// The caller's account.
        account_id: &'a str,
    },
    /// A cloud service such as `pai.aliyuncs.com`.
    Service(&'a str),
}

impl TrustPolicy {
    /// Parses and validates a trust policy.
    ///
    /// # Errors
    /// [`MalformedPolicy`] for invalid JSON or anything outside the trust-policy grammar.
    pub fn parse(text: &str) -> Result<Self, MalformedPolicy> {
        let root = parse_root(text)?;
        let mut out = Vec::new();
        for item in statements(&root)? {
            let Value::Object(statement) = item else {
                return Err(malformed("Every statement must be a JSON object."));
            };
            check_keys(statement, &["Effect", "Action", "Principal", "Condition"])?;
            let action = match statement.get("Action") {
                Some(v) => string_list(v, "Action")?,
                None => return Err(malformed("The element \"Action\" is missing.")),
            };
            check_actions(&action)?;
            out.push(TrustStatement {
                effect: effect(statement)?,
                action,
                principal: principal(statement)?,
                condition: condition(statement)?,
            });
        }
        Ok(Self { statements: out })
    }

    /// Whether `assumer` may assume the role: a matching Deny refuses, a matching Allow allows,
    /// nothing matching refuses.
    pub fn allows(&self, assumer: Assumer<'_>, context: &Context) -> bool {
        let mut allowed = false;
        for s in &self.statements {
            if !s.action.iter().any(|a| action_matches(a, "sts:AssumeRole")) || !s.principal.covers(assumer) {
                continue;
            }
            if !statement_applies(s.effect, s.condition.as_ref(), context) {
                continue;
            }
            match s.effect {
                Effect::Deny => return false,
                Effect::Allow => allowed = true,
            }
        }
        allowed
    }

    /// Whether some Allow statement names `service` (e.g. `pai.aliyuncs.com`) as a principal.
    pub fn trusts_service(&self, service: &str) -> bool {
        self.allows(Assumer::Service(service), &Context::default())
    }
}

fn principal(statement: &Map<String, Value>) -> Result<Principal, MalformedPolicy> {
    let Some(value) = statement.get("Principal") else {
        return Err(malformed("The element \"Principal\" is missing."));
    };
    let Value::Object(map) = value else {
        return Err(malformed("The element \"Principal\" must be an object."));
    };
    let mut out = Principal::default();
    for (kind, v) in map {
        let list = string_list(v, &format!("Principal.{kind}"))?;
        match kind.as_str() {
            "RAM" => out.ram = list,
            "Service" => out.service = list,
            "Federated" => out.federated = list,
            other => return Err(malformed(format!("Unknown principal type \"{other}\"."))),
        }
    }
    if out.ram.is_empty() && out.service.is_empty() && out.federated.is_empty() {
        return Err(malformed("The element \"Principal\" names nobody."));
    }
    Ok(out)
}

impl Principal {
    fn covers(&self, assumer: Assumer<'_>) -> bool {
        match assumer {
            Assumer::Service(service) => self.service.iter().any(|s| action_matches(s, service)),
            Assumer::Ram { arn, account_id } => {
                let root = format!("acs:ram::{account_id}:root");
                self.ram
                    .iter()
                    .any(|entry| entry.eq_ignore_ascii_case(&root) || entry == account_id || action_matches(entry, arn))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> PolicyDocument {
        PolicyDocument::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn malformed_reason(text: &str) -> String {
        match PolicyDocument::parse(text) {
            Err(MalformedPolicy(reason)) => reason,
            Ok(parsed) => panic!("{text} should be malformed, parsed as {parsed:?}"),
        }
    }

    const ROLE: &str = "acs:ram:*:1234567890123456:role/dlcauth-granter";

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        let cases = [
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "anything", true),
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("abc", "ab", false),
            ("ab", "abc", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("??", "ab", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("*c", "abd", false),
            ("a*c", "aXYZc", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("*a*", "banana", true),
            ("a**b", "ab", true),
            ("*?", "", false),
            ("ram:Get*", "ram:GetRole", true),
            ("ram:Get*", "ram:CreateRole", false),
            ("中*", "中文", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(wildcard_match(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn action_matching_ignores_case_but_resource_wildcards_still_apply() {
        assert!(action_matches("RAM:getrole", "ram:GetRole"));
        assert!(action_matches("ram:get*", "ram:GetRole"));
        assert!(!action_matches("ram:Get?", "ram:GetRole"));
        assert!(action_matches("*", "sts:AssumeRole"));
    }

    #[test]
    fn resources_match_component_wise_for_arns() {
        let cases = [
            ("*", ROLE, true),
            ("acs:ram:*:1234567890123456:role/dlcauth-granter", ROLE, true),
            ("acs:ram::1234567890123456:role/dlcauth-granter", ROLE, true),
            ("acs:ram:*:*:role/*", ROLE, true),
            ("acs:ram:*:1234567890123456:role/DLCAUTH-GRANTER", ROLE, true),
            ("acs:ram:*:1234567890123456:role/dlcauth-*", ROLE, true),
            ("acs:ram:*:1234567890123456:role/other", ROLE, false),
            ("acs:ram:*:9999999999999999:role/dlcauth-granter", ROLE, false),
            ("acs:ram:*:1234567890123456:user/dlcauth-granter", ROLE, false),
            ("acs:oss:*:1234567890123456:role/dlcauth-granter", ROLE, false),
            ("acs:ram:cn-hangzhou:1234567890123456:role/dlcauth-granter", ROLE, true),
            (
                "acs:paiworkspace:cn-hangzhou:*:workspace/81231",
                "acs:paiworkspace:cn-shanghai:1:workspace/81231",
                false,
            ),
            ("acs:ram:*:*:*", ROLE, true),
            ("acs:ram", ROLE, false),
            ("not-an-arn", "not-an-arn", true),
            ("not-*", "not-an-arn", true),
        ];
        for (pattern, resource, expected) in cases {
            assert_eq!(
                resource_matches(pattern, resource),
                expected,
                "{pattern:?} vs {resource:?}"
            );
        }
    }

    #[test]
    fn action_and_resource_accept_a_string_or_an_array() {
        let single = doc(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetRole","Resource":"*"}]}"#);
        let array =
            doc(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:GetRole"],"Resource":["*"]}]}"#);
        assert_eq!(single, array);
        assert_eq!(
            evaluate([&single], "ram:GetRole", ROLE, &Context::default()),
            Decision::Allow
        );
    }

    #[test]
    fn malformed_documents_are_refused_with_a_reason() {
        let cases = [
            ("not json", "not valid JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"Statement":[]}"#, "\"Version\" is missing"),
            (r#"{"Version":1,"Statement":[]}"#, "must be \"1\""),
            (r#"{"Version":"2","Statement":[]}"#, "must be \"1\""),
            (r#"{"Version":"1"}"#, "\"Statement\" is missing"),
            (r#"{"Version":"1","Statement":[]}"#, "non-empty array"),
            (r#"{"Version":"1","Statement":{}}"#, "non-empty array"),
            (r#"{"Version":"1","Statement":["x"]}"#, "must be a JSON object"),
            (
                r#"{"Version":"1","Statement":[{"Action":"*","Resource":"*"}]}"#,
                "\"Effect\" is missing",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
                "\"Allow\" or \"Deny\"",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
                "\"Action\" is missing",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]}"#,
                "\"Resource\" is missing",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}]}"#,
                "both",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
                "non-empty string or array",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"","Resource":"*"}]}"#,
                "non-empty string or array",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}"#,
                "non-empty string or array",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"GetRole","Resource":"*"}]}"#,
                "<service>:<action>",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:","Resource":"*"}]}"#,
                "<service>:<action>",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}]}"#,
                "Unknown element \"Extra\"",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":{"RAM":"*"}}]}"#,
                "Unknown element \"Principal\"",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}]}"#,
                "Condition",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":{}}}}]}"#,
                "Condition",
            ),
            (r#"{"Version":"1","Statement":[],"Id":"x"}"#, "Unknown element \"Id\""),
        ];
        for (text, reason) in cases {
            let got = malformed_reason(text);
            assert!(
                got.contains(reason),
                "{text}: expected a reason containing {reason:?}, got {got:?}"
            );
        }
    }

    #[test]
    fn nothing_matching_is_an_implicit_deny() {
        let policy = doc(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetRole","Resource":"*"}]}"#);
        assert_eq!(
            evaluate([&policy], "ram:CreateRole", ROLE, &Context::default()),
            Decision::ImplicitDeny
        );
        assert_eq!(
            evaluate(std::iter::empty(), "ram:GetRole", ROLE, &Context::default()),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn deny_wins_within_a_document_and_across_documents() {
        let allow_all = PolicyDocument::allow(&["*"], &["*"]);
        let deny = doc(r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:CreateRole","Resource":"*"}]}"#);
        let mixed = doc(r#"{"Version":"1","Statement":[
                {"Effect":"Deny","Action":"ram:*","Resource":"acs:ram:*:*:role/dlcauth-*"},
                {"Effect":"Allow","Action":"*","Resource":"*"}]}"#);
        let ctx = Context::default();
        assert_eq!(
            evaluate([&allow_all, &deny], "ram:CreateRole", ROLE, &ctx),
            Decision::ExplicitDeny
        );
        assert_eq!(
            evaluate([&deny, &allow_all], "ram:CreateRole", ROLE, &ctx),
            Decision::ExplicitDeny
        );
        assert_eq!(
            evaluate([&deny, &allow_all], "ram:GetRole", ROLE, &ctx),
            Decision::Allow
        );
        assert_eq!(evaluate([&mixed], "ram:GetRole", ROLE, &ctx), Decision::ExplicitDeny);
        assert_eq!(
            evaluate([&mixed], "ram:GetRole", "acs:ram:*:1234567890123456:role/other", &ctx),
            Decision::Allow
        );
    }

    #[test]
    fn resource_restrictions_limit_what_an_allow_covers() {
        let policy = doc(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetRole",
                "Resource":"acs:ram:*:1234567890123456:role/dlcauth-granter"}]}"#);
        let ctx = Context::default();
        assert_eq!(evaluate([&policy], "ram:GetRole", ROLE, &ctx), Decision::Allow);
        assert_eq!(
            evaluate([&policy], "ram:GetRole", "acs:ram:*:1234567890123456:role/other", &ctx),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn not_action_and_not_resource_invert_the_match() {
        let policy = doc(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"ram:Create*",
                "NotResource":"acs:ram:*:*:role/secret"}]}"#,
        );
        let ctx = Context::default();
        assert_eq!(evaluate([&policy], "ram:GetRole", ROLE, &ctx), Decision::Allow);
        assert_eq!(
            evaluate([&policy], "ram:CreateRole", ROLE, &ctx),
            Decision::ImplicitDeny
        );
        assert_eq!(
            evaluate([&policy], "ram:GetRole", "acs:ram:*:1:role/secret", &ctx),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn case_insensitive_actions_in_documents() {
        let policy = doc(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"RAM:GETROLE","Resource":"*"}]}"#);
        assert!(evaluate([&policy], "ram:GetRole", ROLE, &Context::default()).is_allowed());
    }

    #[test]
    fn conditions_are_evaluated_or_fail_closed() {
        let with = |op: &str, effect: &str| {
            doc(&format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"{effect}","Action":"*","Resource":"*",
                    "Condition":{{"{op}":{{"sts:ExternalId":["abc","x*"]}}}}}}]}}"#
            ))
        };
        let ctx = Context::default().with("sts:ExternalId", "abc");
        let other = Context::default().with("sts:externalid", "zzz");
        let none = Context::default();
        assert!(evaluate([&with("StringEquals", "Allow")], "a:b", "*", &ctx).is_allowed());
        assert!(!evaluate([&with("StringEquals", "Allow")], "a:b", "*", &other).is_allowed());
        assert!(!evaluate([&with("StringEquals", "Allow")], "a:b", "*", &none).is_allowed());
        assert!(evaluate([&with("StringNotEquals", "Allow")], "a:b", "*", &other).is_allowed());
        assert!(
            evaluate(
                [&with("StringLike", "Allow")],
                "a:b",
                "*",
                &Context::default().with("sts:ExternalId", "xyz")
            )
            .is_allowed()
        );
        assert!(!evaluate([&with("StringNotLike", "Allow")], "a:b", "*", &ctx).is_allowed());
        assert!(
            evaluate(
                [&with("StringEqualsIgnoreCase", "Allow")],
                "a:b",
                "*",
                &Context::default().with("sts:ExternalId", "ABC")
            )
            .is_allowed()
        );
        // Unsupported operators: an Allow never applies, a Deny always does.
        let allow_all = PolicyDocument::allow(&["*"], &["*"]);
        assert_eq!(
            evaluate([&with("IpAddress", "Allow")], "a:b", "*", &ctx),
            Decision::ImplicitDeny
        );
        assert_eq!(
            evaluate([&allow_all, &with("IpAddress", "Deny")], "a:b", "*", &ctx),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn rendered_documents_parse_back_to_the_same_policy() {
        let original = PolicyDocument::allow(&["ram:GetRole", "ram:ListPoliciesForRole"], &["*"]);
        let text = original.to_json();
        assert_eq!(
            text,
            r#"{"Statement":[{"Action":["ram:GetRole","ram:ListPoliciesForRole"],"Effect":"Allow","Resource":"*"}],"Version":"1"}"#
        );
        assert_eq!(doc(&text), original);
    }

    fn trust(text: &str) -> TrustPolicy {
        TrustPolicy::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    const ACCOUNT: &str = "1234567890123456";

    fn user(name: &str) -> String {
        format!("acs:ram::{ACCOUNT}:user/{name}")
    }

    #[test]
    fn trust_policies_admit_the_named_users_only() {
        let policy = trust(&format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["{}"]}}}}]}}"#,
            user("operator")
        ));
        let ctx = Context::default();
        let ok = user("operator");
        let other = user("mallory");
        assert!(policy.allows(
            Assumer::Ram {
                arn: &ok,
                account_id: ACCOUNT
            },
            &ctx
        ));
        assert!(!policy.allows(
            Assumer::Ram {
                arn: &other,
                account_id: ACCOUNT
            },
            &ctx
        ));
        assert!(!policy.allows(Assumer::Service("pai.aliyuncs.com"), &ctx));
    }

    #[test]
    fn trusting_the_account_root_admits_every_identity_of_that_account() {
        let policy = trust(&format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCOUNT}:root"}}}}]}}"#
        ));
        let ctx = Context::default();
        let alice = user("alice");
        let role = format!("acs:ram::{ACCOUNT}:role/other");
        assert!(policy.allows(
            Assumer::Ram {
                arn: &alice,
                account_id: ACCOUNT
            },
            &ctx
        ));
        assert!(policy.allows(
            Assumer::Ram {
                arn: &role,
                account_id: ACCOUNT
            },
            &ctx
        ));
        let foreign = "acs:ram::9999999999999999:user/alice";
        assert!(!policy.allows(
            Assumer::Ram {
                arn: foreign,
                account_id: "9999999999999999"
            },
            &ctx
        ));
    }

    #[test]
    fn a_role_trusted_only_by_a_service_cannot_be_assumed_by_a_user() {
        let policy = trust(
            r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["pai.aliyuncs.com"]}}],"Version":"1"}"#,
        );
        let alice = user("alice");
        assert!(!policy.allows(
            Assumer::Ram {
                arn: &alice,
                account_id: ACCOUNT
            },
            &Context::default()
        ));
        assert!(policy.trusts_service("pai.aliyuncs.com"));
        assert!(policy.trusts_service("PAI.aliyuncs.com"));
        assert!(!policy.trusts_service("ecs.aliyuncs.com"));
    }

    #[test]
    fn trust_deny_statements_and_external_id_conditions_apply() {
        let policy = trust(&format!(
            r#"{{"Version":"1","Statement":[
                {{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCOUNT}:root"}},
                  "Condition":{{"StringEquals":{{"sts:ExternalId":"abc"}}}}}},
                {{"Effect":"Deny","Action":"sts:*","Principal":{{"RAM":"{}"}}}}]}}"#,
            user("mallory")
        ));
        let alice = user("alice");
        let mallory = user("mallory");
        let good = Context::default().with("sts:ExternalId", "abc");
        assert!(policy.allows(
            Assumer::Ram {
                arn: &alice,
                account_id: ACCOUNT
            },
            &good
        ));
        assert!(!policy.allows(
            Assumer::Ram {
                arn: &alice,
                account_id: ACCOUNT
            },
            &Context::default()
        ));
        assert!(!policy.allows(
            Assumer::Ram {
                arn: &mallory,
                account_id: ACCOUNT
            },
            &good
        ));
    }

    #[test]
    fn trust_statements_for_other_actions_do_not_admit() {
        let policy = trust(&format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:GetCallerIdentity","Principal":{{"RAM":"{}"}}}}]}}"#,
            user("alice")
        ));
        let alice = user("alice");
        assert!(!policy.allows(
            Assumer::Ram {
                arn: &alice,
                account_id: ACCOUNT
            },
            &Context::default()
        ));
    }

    #[test]
    fn malformed_trust_policies_are_refused() {
        let cases = [
            ("{", "not valid JSON"),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
                "\"Principal\" is missing",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"x"}]}"#,
                "must be an object",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{}}]}"#,
                "names nobody",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"x"}}]}"#,
                "Unknown principal type",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":[]}}]}"#,
                "non-empty string or array",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Principal":{"RAM":"x"}}]}"#,
                "Unknown element \"Resource\"",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":"x"}}]}"#,
                "\"Action\" is missing",
            ),
        ];
        for (text, reason) in cases {
            match TrustPolicy::parse(text) {
                Err(MalformedPolicy(got)) => {
                    assert!(got.contains(reason), "{text}: expected {reason:?}, got {got:?}")
                }
                Ok(p) => panic!("{text} should be malformed, got {p:?}"),
            }
        }
    }
}
