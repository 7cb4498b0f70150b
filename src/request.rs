//! The one request type every trigger (CLI, HTTP portal, event) turns into, and its validation.
//!
//! The serde shape is the portal API body (DESIGN §4.4), so a JSON body, a CLI invocation and an
//! event all become the same `GrantRequest` and go through the same checks.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::desired::{KNOWN_WORKSPACE_ROLES, PolicyRef};

/// What to grant, for which account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantRequest {
    /// The target Alibaba Cloud account (its numeric UID).
    pub account_id: String,
    /// The PAI workspace users are made members of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The region the API calls go to (defaults to the client configuration's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Observe and plan only; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Least-privilege mode: grant OSS access to these buckets only, instead of AliyunOSSFullAccess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oss_buckets: Option<Vec<String>>,
    /// Attach the role's policies at this resource group's scope instead of the account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,
    /// RAM users to give DLC access to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<UserGrant>>,
    /// Activate OSS and NAS for the account (activation accepts the products' terms, hence opt-in).
    #[serde(default)]
    pub activate_services: bool,
}

/// One RAM user to prepare for DLC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserGrant {
    /// The RAM user name (not the logon name): `alice`, not `alice@123.onaliyun.com`.
    pub name: String,
    /// Policies to attach to the user; `System:` / `Custom:` prefixes choose the type (default
    /// System). Absent = the DLC defaults (see [`crate::desired`]); empty = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<String>>,
    /// PAI workspace roles (`PAI.AlgoDeveloper`, …). Absent = `PAI.AlgoDeveloper` when a
    /// workspace is given; empty = no membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_roles: Option<Vec<String>>,
}

impl UserGrant {
    /// A grant for the user `name` with every option at its default.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A field of the request that cannot be accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RequestError {
    /// The JSON path of the bad field, e.g. `users[1].name`.
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl RequestError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Something accepted but unusual enough to mention in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The JSON path of the field.
    pub field: String,
    /// What is unusual.
    pub message: String,
}

impl GrantRequest {
    /// A request for `account_id` with every option at its default.
    pub fn for_account(account_id: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            ..Self::default()
        }
    }

    /// Parses a portal/event JSON body. Unknown fields are refused, so a typo (`"workspaceID"`)
    /// is an error instead of a silently ignored option.
    ///
    /// # Errors
    /// A [`RequestError`] naming the field serde stopped at, or the first invalid field.
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        let request: Self = serde_json::from_slice(body)
            .map_err(|e| RequestError::new("body", format!("not a valid grant request: {e}")))?;
        request.validate()?;
        Ok(request)
    }

    /// Checks every field; returns the warnings for accepted-but-unusual values.
    ///
    /// # Errors
    /// The first invalid field, named by its JSON path.
    pub fn validate(&self) -> Result<Vec<Warning>, RequestError> {
        let mut warnings = Vec::new();
        validate_account_id(&self.account_id, &mut warnings)?;
        if let Some(id) = &self.workspace_id {
            validate_workspace_id(id)?;
        }
        if let Some(region) = &self.region {
            validate_region(region)?;
        }
        if let Some(buckets) = &self.oss_buckets {
            if buckets.is_empty() {
                return Err(RequestError::new(
                    "ossBuckets",
                    "empty list; omit the field to attach AliyunOSSFullAccess, or name at least one bucket",
                ));
            }
            for (i, bucket) in buckets.iter().enumerate() {
                validate_bucket(bucket).map_err(|m| RequestError::new(format!("ossBuckets[{i}]"), m))?;
            }
        }
        if let Some(rg) = &self.resource_group_id {
            validate_resource_group(rg)?;
        }
        if let Some(users) = &self.users {
            let mut seen = BTreeSet::new();
            for (i, user) in users.iter().enumerate() {
                self.validate_user(i, user)?;
                if !seen.insert(user.name.to_ascii_lowercase()) {
                    return Err(RequestError::new(
                        format!("users[{i}].name"),
                        format!(
                            "user {:?} is listed twice; merge its policies and roles into one entry",
                            user.name
                        ),
                    ));
                }
            }
        }
        Ok(warnings)
    }

    fn validate_user(&self, i: usize, user: &UserGrant) -> Result<(), RequestError> {
        let field = format!("users[{i}].name");
        if user.name.is_empty() || user.name.len() > 64 {
            return Err(RequestError::new(field, "a RAM user name has 1 to 64 characters"));
        }
        if !user
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(RequestError::new(
                field,
                format!(
                    "{:?} is not a RAM user name (letters, digits, '.', '-', '_'); use the user name, not the logon name",
                    user.name
                ),
            ));
        }
        for (j, policy) in user.policies.iter().flatten().enumerate() {
            PolicyRef::parse_user_spec(policy)
                .map_err(|m| RequestError::new(format!("users[{i}].policies[{j}]"), m))?;
        }
        if let Some(roles) = &user.workspace_roles {
            if !roles.is_empty() && self.workspace_id.is_none() {
                return Err(RequestError::new(
                    format!("users[{i}].workspaceRoles"),
                    "workspace roles need a workspace: set workspaceId (--workspace-id)",
                ));
            }
            for (j, role) in roles.iter().enumerate() {
                if !KNOWN_WORKSPACE_ROLES.contains(&role.as_str()) {
                    return Err(RequestError::new(
                        format!("users[{i}].workspaceRoles[{j}]"),
                        format!(
                            "unknown PAI workspace role {role:?}; expected one of {}",
                            KNOWN_WORKSPACE_ROLES.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Alibaba Cloud account UIDs are 16 digits today; older or future lengths are accepted with a
/// warning because refusing a real account would be worse than a typo slipping through (a typo
/// fails at AssumeRole anyway).
fn validate_account_id(id: &str, warnings: &mut Vec<Warning>) -> Result<(), RequestError> {
    if id.is_empty() {
        return Err(RequestError::new(
            "accountId",
            "missing; give the 16-digit Alibaba Cloud account ID (--account-id)",
        ));
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RequestError::new(
            "accountId",
            format!("{id:?} is not an account ID: it must contain digits only, e.g. 1234567890123456"),
        ));
    }
    if id.len() > 32 {
        return Err(RequestError::new(
            "accountId",
            format!("{} digits is too long for an account ID (expected 16)", id.len()),
        ));
    }
    if id.len() != 16 {
        warnings.push(Warning {
            field: "accountId".into(),
            message: format!("{} digits; Alibaba Cloud account IDs usually have 16", id.len()),
        });
    }
    Ok(())
}

fn validate_workspace_id(id: &str) -> Result<(), RequestError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(RequestError::new(
            "workspaceId",
            format!("{id:?} is not a PAI workspace ID (e.g. 81231: letters, digits, '-', '_', at most 64)"),
        ));
    }
    Ok(())
}

fn validate_region(region: &str) -> Result<(), RequestError> {
    let mut parts = region.split('-');
    let ok = region.len() <= 32
        && parts
            .next()
            .is_some_and(|p| p.len() >= 2 && p.bytes().all(|b| b.is_ascii_lowercase()))
        && {
            let rest: Vec<&str> = parts.collect();
            !rest.is_empty()
                && rest
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        };
    if ok {
        Ok(())
    } else {
        Err(RequestError::new(
            "region",
            format!("{region:?} is not a region ID (e.g. cn-hangzhou, ap-southeast-1)"),
        ))
    }
}

/// OSS bucket naming rules: 3–63 characters, lowercase letters, digits and hyphens, starting and
/// ending with a letter or digit. Checked here because the name ends up inside a policy ARN.
pub(crate) fn validate_bucket(bucket: &str) -> Result<(), String> {
    let bytes = bucket.as_bytes();
    let valid_chars = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    let valid_ends = bytes.first().is_some_and(|b| *b != b'-') && bytes.last().is_some_and(|b| *b != b'-');
    if (3..=63).contains(&bytes.len()) && valid_chars && valid_ends {
        Ok(())
    } else {
        Err(format!(
            "{bucket:?} is not an OSS bucket name (3-63 lowercase letters, digits, '-', not starting or ending with '-')"
        ))
    }
}

fn validate_resource_group(rg: &str) -> Result<(), RequestError> {
    let is_rg = rg
        .strip_prefix("rg-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    let is_account = !rg.is_empty() && rg.bytes().all(|b| b.is_ascii_digit());
    if rg.len() <= 64 && (is_rg || is_account) {
        Ok(())
    } else {
        Err(RequestError::new(
            "resourceGroupId",
            format!("{rg:?} is not a resource group ID (e.g. rg-acfmzw2jz2z3abc) nor an account ID"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> GrantRequest {
        GrantRequest::for_account("1234567890123456")
    }

    fn field_of(request: &GrantRequest) -> String {
        match request.validate() {
            Err(e) => e.field,
            Ok(_) => "<accepted>".into(),
        }
    }

    #[test]
    fn minimal_request_is_valid_without_warnings() -> Result<(), RequestError> {
        assert!(valid().validate()?.is_empty());
        Ok(())
    }

    #[test]
    fn account_id_must_be_digits_only() {
        for bad in ["", "12345678901234a6", "1234 567890123456", "-123", "１２３"] {
            let mut r = valid();
            r.account_id = bad.into();
            assert_eq!(field_of(&r), "accountId", "{bad:?} must be refused");
        }
    }

    #[test]
    fn account_id_of_unusual_length_is_a_warning_not_a_refusal() -> Result<(), RequestError> {
        let mut r = valid();
        r.account_id = "123456789012".into();
        let warnings = r.validate()?;
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].field, "accountId");
        assert!(warnings[0].message.contains("12 digits"));
        Ok(())
    }

    #[test]
    fn absurdly_long_account_id_is_refused() {
        let mut r = valid();
        r.account_id = "1".repeat(40);
        assert_eq!(field_of(&r), "accountId");
    }

    #[test]
    fn error_message_names_field_and_fix() {
        let mut r = valid();
        r.account_id = "abc".into();
        let e = r.validate().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("accountId: "), "{e}");
        assert!(e.contains("digits only"), "{e}");
    }

    #[test]
    fn workspace_and_region_are_checked() {
        let mut r = valid();
        r.workspace_id = Some("81/231".into());
        assert_eq!(field_of(&r), "workspaceId");
        r.workspace_id = Some("81231".into());
        for bad in ["cn_hangzhou", "CN-hangzhou", "hangzhou", "cn-", "c-hangzhou"] {
            r.region = Some(bad.into());
            assert_eq!(field_of(&r), "region", "{bad}");
        }
        for good in ["cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1"] {
            r.region = Some(good.into());
            assert_eq!(field_of(&r), "<accepted>", "{good}");
        }
    }

    #[test]
    fn buckets_follow_oss_naming_rules() {
        assert!(validate_bucket("my-bucket-01").is_ok());
        assert!(validate_bucket("abc").is_ok());
        for bad in ["ab", "-abc", "abc-", "ABC", "a_b_c", "a.b.c", &"a".repeat(64)] {
            assert!(validate_bucket(bad).is_err(), "{bad}");
        }
        let mut r = valid();
        r.oss_buckets = Some(vec!["good-bucket".into(), "Bad".into()]);
        assert_eq!(field_of(&r), "ossBuckets[1]");
        r.oss_buckets = Some(vec![]);
        assert_eq!(field_of(&r), "ossBuckets");
    }

    #[test]
    fn resource_group_must_look_like_one() {
        let mut r = valid();
        for (rg, ok) in [
            ("rg-acfmzw2jz2z3abc", true),
            ("1234567890123456", true),
            ("rg-", false),
            ("rg_abc", false),
            ("rg-abc/def", false),
        ] {
            r.resource_group_id = Some(rg.into());
            assert_eq!(field_of(&r) == "<accepted>", ok, "{rg}");
        }
    }

    #[test]
    fn users_are_checked_field_by_field() {
        let mut r = valid();
        r.workspace_id = Some("81231".into());
        r.users = Some(vec![
            UserGrant::named("alice"),
            UserGrant::named("bob@1234.onaliyun.com"),
        ]);
        assert_eq!(field_of(&r), "users[1].name");

        r.users = Some(vec![UserGrant {
            name: "alice".into(),
            policies: Some(vec!["AliyunNASFullAccess".into(), "Bad Policy".into()]),
            workspace_roles: None,
        }]);
        assert_eq!(field_of(&r), "users[0].policies[1]");

        r.users = Some(vec![UserGrant {
            name: "alice".into(),
            policies: None,
            workspace_roles: Some(vec!["PAI.AlgoDeveloper".into(), "PAI.Superuser".into()]),
        }]);
        assert_eq!(field_of(&r), "users[0].workspaceRoles[1]");

        r.users = Some(vec![UserGrant::named("alice"), UserGrant::named("Alice")]);
        assert_eq!(field_of(&r), "users[1].name");
    }

    #[test]
    fn workspace_roles_without_workspace_are_refused() {
        let mut r = valid();
        r.users = Some(vec![UserGrant {
            name: "alice".into(),
            policies: None,
            workspace_roles: Some(vec!["PAI.AlgoDeveloper".into()]),
        }]);
        assert_eq!(field_of(&r), "users[0].workspaceRoles");
        r.workspace_id = Some("81231".into());
        assert_eq!(field_of(&r), "<accepted>");
    }

    #[test]
    fn json_body_uses_the_portal_field_names() -> Result<(), RequestError> {
        let body = br#"{"accountId":"1234567890123456","workspaceId":"81231","region":"cn-shanghai",
            "dryRun":true,"ossBuckets":["data-bucket"],"resourceGroupId":"rg-abc123",
            "users":[{"name":"alice","policies":["AliyunNASFullAccess"],"workspaceRoles":["PAI.AlgoDeveloper"]}],
            "activateServices":true}"#;
        let r = GrantRequest::from_json(body)?;
        assert_eq!(r.account_id, "1234567890123456");
        assert_eq!(r.workspace_id.as_deref(), Some("81231"));
        assert_eq!(r.region.as_deref(), Some("cn-shanghai"));
        assert!(r.dry_run && r.activate_services);
        assert_eq!(r.oss_buckets, Some(vec!["data-bucket".to_string()]));
        assert_eq!(r.resource_group_id.as_deref(), Some("rg-abc123"));
        let users = r.users.clone().unwrap_or_default();
        assert_eq!(users[0].workspace_roles, Some(vec!["PAI.AlgoDeveloper".to_string()]));
        // And back: the same names come out.
        let json = serde_json::to_value(&r).map_err(|e| RequestError::new("x", e.to_string()))?;
        assert_eq!(json["accountId"], "1234567890123456");
        assert_eq!(json["users"][0]["workspaceRoles"][0], "PAI.AlgoDeveloper");
        Ok(())
    }

    #[test]
    fn json_body_with_unknown_or_missing_fields_names_them() {
        let e = GrantRequest::from_json(br#"{"accountId":"1234567890123456","workspaceID":"1"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("workspaceID"), "{e}");
        let e = GrantRequest::from_json(br#"{"workspaceId":"1"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("accountId"), "{e}");
        let e = GrantRequest::from_json(br#"{"accountId":"x1"}"#).err().map(|e| e.field);
        assert_eq!(e.as_deref(), Some("accountId"));
    }
}
