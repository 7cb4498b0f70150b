//! RAM 2015-05-01 (RPC): roles, policies, policy versions, attachments, users.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ApiRequest, Empty, Operation, Params, check, wrapped_list};
use crate::client::Product;

/// The RAM API version.
pub const VERSION: &str = "2015-05-01";

wrapped_list!(policy_list, "Policy");
wrapped_list!(policy_version_list, "PolicyVersion");

/// `PolicyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
pub enum PolicyType {
    /// Managed by Alibaba Cloud (`AliyunOSSFullAccess`, …).
    System,
    /// Created in the account.
    Custom,
}

impl PolicyType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::Custom => "Custom",
        }
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PolicyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "System" => Ok(Self::System),
            "Custom" => Ok(Self::Custom),
            other => Err(format!("unknown PolicyType {other:?} (expected System or Custom)")),
        }
    }
}

/// `RotateStrategy` of `CreatePolicyVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
pub enum RotateStrategy {
    /// Fail with `LimitExceeded.Policy.Version` when the policy already has 5 versions.
    #[default]
    None,
    /// Delete the oldest non-default version to make room.
    DeleteOldestNonDefaultVersionWhenLimitExceeded,
}

impl RotateStrategy {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::DeleteOldestNonDefaultVersionWhenLimitExceeded => "DeleteOldestNonDefaultVersionWhenLimitExceeded",
        }
    }
}

impl fmt::Display for RotateStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A RAM role as `GetRole`, `CreateRole` and `UpdateRole` return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// `RoleId`.
    pub role_id: String,
    /// `RoleName`.
    pub role_name: String,
    /// `Arn`.
    pub arn: String,
    /// `AssumeRolePolicyDocument`: the trust policy, a JSON document in a string.
    pub assume_role_policy_document: String,
    /// `Description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `MaxSessionDuration` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<i64>,
    /// `RolePrincipalName`, e.g. `ECSAdmin@role.123456.onaliyunservice.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_principal_name: Option<String>,
    /// `IsServiceLinkedRole`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_service_linked_role: Option<bool>,
    /// `AllowConsoleLogin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_console_login: Option<bool>,
    /// `CreateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    /// `UpdateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<String>,
}

/// A response carrying one `Role`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleResponse {
    /// `Role`.
    pub role: Role,
}

/// `GetRole` response.
pub type GetRoleResponse = RoleResponse;
/// `CreateRole` response.
pub type CreateRoleResponse = RoleResponse;
/// `UpdateRole` response.
pub type UpdateRoleResponse = RoleResponse;

fn role_name(value: &str) -> Result<(), String> {
    check::ram_name("RoleName", value)
}

/// `GetRole`. `EntityNotExist.Role` (404) when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetRole {
    /// `RoleName`.
    pub role_name: String,
}

impl ApiRequest for GetRole {
    type Output = GetRoleResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "GetRole";

    fn operation(&self) -> Result<Operation, String> {
        role_name(&self.role_name)?;
        Ok(Params::new().set("RoleName", &self.role_name).rpc())
    }
}

/// `CreateRole`. `EntityAlreadyExists.Role` (409) when it exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateRole {
    /// `RoleName`: 1–64 letters, digits, `.`, `-`.
    pub role_name: String,
    /// `AssumeRolePolicyDocument`: the trust policy JSON.
    pub assume_role_policy_document: String,
    /// `Description`: 1–1,024 characters.
    pub description: Option<String>,
    /// `MaxSessionDuration`: 3,600–43,200 seconds.
    pub max_session_duration: Option<u32>,
}

impl ApiRequest for CreateRole {
    type Output = CreateRoleResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "CreateRole";

    fn operation(&self) -> Result<Operation, String> {
        role_name(&self.role_name)?;
        check::policy_document("AssumeRolePolicyDocument", &self.assume_role_policy_document)?;
        check::opt_len("Description", self.description.as_ref(), 1, 1024)?;
        if let Some(d) = self.max_session_duration {
            check::range("MaxSessionDuration", d, 3600, 43_200)?;
        }
        Ok(Params::new()
            .set("RoleName", &self.role_name)
            .set("AssumeRolePolicyDocument", &self.assume_role_policy_document)
            .opt("Description", self.description.as_ref())
            .opt("MaxSessionDuration", self.max_session_duration)
            .rpc())
    }
}

/// `UpdateRole`: only the given `New*` fields change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateRole {
    /// `RoleName`.
    pub role_name: String,
    /// `NewAssumeRolePolicyDocument`.
    pub new_assume_role_policy_document: Option<String>,
    /// `NewDescription`.
    pub new_description: Option<String>,
    /// `NewMaxSessionDuration`.
    pub new_max_session_duration: Option<u32>,
}

impl ApiRequest for UpdateRole {
    type Output = UpdateRoleResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "UpdateRole";

    fn operation(&self) -> Result<Operation, String> {
        role_name(&self.role_name)?;
        if let Some(doc) = &self.new_assume_role_policy_document {
            check::policy_document("NewAssumeRolePolicyDocument", doc)?;
        }
        check::opt_len("NewDescription", self.new_description.as_ref(), 1, 1024)?;
        if let Some(d) = self.new_max_session_duration {
            check::range("NewMaxSessionDuration", d, 3600, 43_200)?;
        }
        if self.new_assume_role_policy_document.is_none()
            && self.new_description.is_none()
            && self.new_max_session_duration.is_none()
        {
            return Err("UpdateRole needs at least one New* field".to_owned());
        }
        Ok(Params::new()
            .set("RoleName", &self.role_name)
            .opt(
                "NewAssumeRolePolicyDocument",
                self.new_assume_role_policy_document.as_ref(),
            )
            .opt("NewDescription", self.new_description.as_ref())
            .opt("NewMaxSessionDuration", self.new_max_session_duration)
            .rpc())
    }
}

/// A policy as `GetPolicy` / `CreatePolicy` return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyType`.
    pub policy_type: PolicyType,
    /// `Description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `DefaultVersion`, e.g. `v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version: Option<String>,
    /// `PolicyDocument` (of the default version; older API shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<String>,
    /// `AttachmentCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_count: Option<i64>,
    /// `CreateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    /// `UpdateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<String>,
}

/// A policy version.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    /// `VersionId`, e.g. `v3`.
    pub version_id: String,
    /// `IsDefaultVersion`.
    pub is_default_version: bool,
    /// `PolicyDocument`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<String>,
    /// `CreateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

/// `GetPolicy`. `EntityNotExist.Policy` (404) when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetPolicy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyType`.
    pub policy_type: PolicyType,
}

/// `GetPolicy` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyResponse {
    /// `Policy`.
    pub policy: Policy,
    /// `DefaultPolicyVersion` (with the document to compare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_policy_version: Option<PolicyVersion>,
}

impl ApiRequest for GetPolicy {
    type Output = GetPolicyResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "GetPolicy";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        Ok(Params::new()
            .set("PolicyName", &self.policy_name)
            .set("PolicyType", self.policy_type)
            .rpc())
    }
}

/// `CreatePolicy` (always a custom policy). `EntityAlreadyExists.Policy` (409) when it exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePolicy {
    /// `PolicyName`: 1–128 letters, digits, `-`.
    pub policy_name: String,
    /// `PolicyDocument`.
    pub policy_document: String,
    /// `Description`: 1–1,024 characters.
    pub description: Option<String>,
}

/// `CreatePolicy` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyResponse {
    /// `Policy`.
    pub policy: Policy,
}

impl ApiRequest for CreatePolicy {
    type Output = CreatePolicyResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "CreatePolicy";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        check::policy_document("PolicyDocument", &self.policy_document)?;
        check::opt_len("Description", self.description.as_ref(), 1, 1024)?;
        Ok(Params::new()
            .set("PolicyName", &self.policy_name)
            .set("PolicyDocument", &self.policy_document)
            .opt("Description", self.description.as_ref())
            .rpc())
    }
}

fn version_id(value: &str) -> Result<(), String> {
    check::len("VersionId", value, 1, 32)?;
    check::chars("VersionId", value, |c| c.is_ascii_alphanumeric(), "letters and digits")
}

/// `GetPolicyVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetPolicyVersion {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyType`.
    pub policy_type: PolicyType,
    /// `VersionId`.
    pub version_id: String,
}

/// A response carrying one `PolicyVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersionResponse {
    /// `PolicyVersion`.
    pub policy_version: PolicyVersion,
}

/// `GetPolicyVersion` response.
pub type GetPolicyVersionResponse = PolicyVersionResponse;
/// `CreatePolicyVersion` response.
pub type CreatePolicyVersionResponse = PolicyVersionResponse;

impl ApiRequest for GetPolicyVersion {
    type Output = GetPolicyVersionResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "GetPolicyVersion";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        version_id(&self.version_id)?;
        Ok(Params::new()
            .set("PolicyName", &self.policy_name)
            .set("PolicyType", self.policy_type)
            .set("VersionId", &self.version_id)
            .rpc())
    }
}

/// `ListPolicyVersions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPolicyVersions {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyType`.
    pub policy_type: PolicyType,
}

/// `ListPolicyVersions` response (`PolicyVersions.PolicyVersion[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPolicyVersionsResponse {
    /// `PolicyVersions.PolicyVersion`.
    #[serde(default, with = "policy_version_list")]
    pub policy_versions: Vec<PolicyVersion>,
}

impl ApiRequest for ListPolicyVersions {
    type Output = ListPolicyVersionsResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "ListPolicyVersions";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        Ok(Params::new()
            .set("PolicyName", &self.policy_name)
            .set("PolicyType", self.policy_type)
            .rpc())
    }
}

/// `CreatePolicyVersion`. At most 5 versions per policy (`LimitExceeded.Policy.Version`, 409)
/// unless `rotate_strategy` makes room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePolicyVersion {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyDocument`.
    pub policy_document: String,
    /// `SetAsDefault`.
    pub set_as_default: Option<bool>,
    /// `RotateStrategy`.
    pub rotate_strategy: Option<RotateStrategy>,
}

impl ApiRequest for CreatePolicyVersion {
    type Output = CreatePolicyVersionResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "CreatePolicyVersion";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        check::policy_document("PolicyDocument", &self.policy_document)?;
        Ok(Params::new()
            .set("PolicyName", &self.policy_name)
            .set("PolicyDocument", &self.policy_document)
            .opt("SetAsDefault", self.set_as_default)
            .opt("RotateStrategy", self.rotate_strategy)
            .rpc())
    }
}

/// `DeletePolicyVersion`. `DeleteConflict.Policy.Version.Default` (409) for the default version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletePolicyVersion {
    /// `PolicyName`.
    pub policy_name: String,
    /// `VersionId`.
    pub version_id: String,
}

impl ApiRequest for DeletePolicyVersion {
    type Output = Empty;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "DeletePolicyVersion";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        version_id(&self.version_id)?;
        Ok(Params::new()
            .set("PolicyName", &self.policy_name)
            .set("VersionId", &self.version_id)
            .rpc())
    }
}

/// `AttachPolicyToRole`. `EntityAlreadyExists.Role.Policy` when already attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachPolicyToRole {
    /// `PolicyType`.
    pub policy_type: PolicyType,
    /// `PolicyName`.
    pub policy_name: String,
    /// `RoleName`.
    pub role_name: String,
    /// `ResourceGroupId` (SDK 1.3.0; resource-group scope).
    pub resource_group_id: Option<String>,
}

impl ApiRequest for AttachPolicyToRole {
    type Output = Empty;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "AttachPolicyToRole";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        role_name(&self.role_name)?;
        check::opt_len("ResourceGroupId", self.resource_group_id.as_ref(), 1, 128)?;
        Ok(Params::new()
            .set("PolicyType", self.policy_type)
            .set("PolicyName", &self.policy_name)
            .set("RoleName", &self.role_name)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
            .rpc())
    }
}

/// A policy attached to a role or user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyType`.
    pub policy_type: PolicyType,
    /// `Description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `DefaultVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version: Option<String>,
    /// `AttachDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_date: Option<String>,
}

/// `ListPoliciesForRole` / `ListPoliciesForUser` response (`Policies.Policy[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPoliciesResponse {
    /// `Policies.Policy`.
    #[serde(default, with = "policy_list")]
    pub policies: Vec<AttachedPolicy>,
}

/// `ListPoliciesForRole` response.
pub type ListPoliciesForRoleResponse = ListPoliciesResponse;
/// `ListPoliciesForUser` response.
pub type ListPoliciesForUserResponse = ListPoliciesResponse;

/// `ListPoliciesForRole` (account-scope attachments).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPoliciesForRole {
    /// `RoleName`.
    pub role_name: String,
}

impl ApiRequest for ListPoliciesForRole {
    type Output = ListPoliciesForRoleResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "ListPoliciesForRole";

    fn operation(&self) -> Result<Operation, String> {
        role_name(&self.role_name)?;
        Ok(Params::new().set("RoleName", &self.role_name).rpc())
    }
}

/// A RAM user as `GetUser` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// `UserId` (numeric string; AIWorkspace member `UserId`).
    pub user_id: String,
    /// `UserName`.
    pub user_name: String,
    /// `DisplayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `Email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `MobilePhone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// `Comments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// `CreateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    /// `UpdateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<String>,
    /// `LastLoginDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_date: Option<String>,
}

/// `GetUser` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserResponse {
    /// `User`.
    pub user: User,
}

fn user_name(value: &str) -> Result<(), String> {
    check::ram_name("UserName", value)
}

/// `GetUser`. `EntityNotExist.User` (404) when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetUser {
    /// `UserName`.
    pub user_name: String,
}

impl ApiRequest for GetUser {
    type Output = GetUserResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "GetUser";

    fn operation(&self) -> Result<Operation, String> {
        user_name(&self.user_name)?;
        Ok(Params::new().set("UserName", &self.user_name).rpc())
    }
}

/// `AttachPolicyToUser`. `EntityAlreadyExists.User.Policy` (409) when already attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachPolicyToUser {
    /// `PolicyType`.
    pub policy_type: PolicyType,
    /// `PolicyName`.
    pub policy_name: String,
    /// `UserName`.
    pub user_name: String,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
}

impl ApiRequest for AttachPolicyToUser {
    type Output = Empty;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "AttachPolicyToUser";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        user_name(&self.user_name)?;
        check::opt_len("ResourceGroupId", self.resource_group_id.as_ref(), 1, 128)?;
        Ok(Params::new()
            .set("PolicyType", self.policy_type)
            .set("PolicyName", &self.policy_name)
            .set("UserName", &self.user_name)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
            .rpc())
    }
}

/// `ListPoliciesForUser`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPoliciesForUser {
    /// `UserName`.
    pub user_name: String,
}

impl ApiRequest for ListPoliciesForUser {
    type Output = ListPoliciesForUserResponse;
    const PRODUCT: Product = Product::Ram;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "ListPoliciesForUser";

    fn operation(&self) -> Result<Operation, String> {
        user_name(&self.user_name)?;
        Ok(Params::new().set("UserName", &self.user_name).rpc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(op: Operation) -> Vec<(&'static str, String)> {
        match op {
            Operation::Rpc { params } => params,
            Operation::Roa { .. } => Vec::new(),
        }
    }

    #[test]
    fn parses_the_documented_get_role_sample() -> Result<(), serde_json::Error> {
        let sample = r#"{"RequestId":"04F0F334-1335-436C-A1D7-6C044FE73368","Role":{"RoleId":"901234567890123",
            "RoleName":"ECSAdmin","Arn":"acs:ram::1234567890123456:role/ECSAdmin","Description":"ECS administrator",
            "AssumeRolePolicyDocument":"{ \"Statement\": [ { \"Action\": \"sts:AssumeRole\", \"Effect\": \"Allow\", \"Principal\": { \"RAM\": \"acs:ram::1234567890123456:root\" } } ], \"Version\": \"1\" }",
            "CreateDate":"2015-01-23T12:33:18Z","UpdateDate":"2015-01-23T12:33:18Z","MaxSessionDuration":3600,
            "RolePrincipalName":"ECSAdmin@role.123456.onaliyunservice.com","IsServiceLinkedRole":false,"AllowConsoleLogin":false,
            "LatestDeletionTask":{"DeletionTaskId":"ECSAdmin","CreateDate":"2015-01-23T12:33:18Z"}}}"#;
        let r: GetRoleResponse = serde_json::from_str(sample)?;
        assert_eq!(r.role.role_name, "ECSAdmin");
        assert_eq!(r.role.arn, "acs:ram::1234567890123456:role/ECSAdmin");
        assert!(r.role.assume_role_policy_document.contains("sts:AssumeRole"));
        assert_eq!(r.role.max_session_duration, Some(3600));
        assert_eq!(r.role.is_service_linked_role, Some(false));
        assert_eq!(
            r.role.role_principal_name.as_deref(),
            Some("ECSAdmin@role.123456.onaliyunservice.com")
        );
        Ok(())
    }

    #[test]
    fn parses_the_documented_policy_samples() -> Result<(), serde_json::Error> {
        let get = r#"{"RequestId":"r","Policy":{"PolicyName":"OSS-Administrator","PolicyType":"Custom",
            "Description":"OSS administrator","DefaultVersion":"v1","PolicyDocument":"{}","CreateDate":"2015-01-23T12:33:18Z",
            "UpdateDate":"2015-01-23T12:33:18Z","AttachmentCount":1},
            "DefaultPolicyVersion":{"VersionId":"v1","IsDefaultVersion":true,"PolicyDocument":"{\"Version\":\"1\"}","CreateDate":"2015-01-23T12:33:18Z"}}"#;
        let r: GetPolicyResponse = serde_json::from_str(get)?;
        assert_eq!(r.policy.policy_type, PolicyType::Custom);
        assert_eq!(r.policy.attachment_count, Some(1));
        let v = r
            .default_policy_version
            .as_ref()
            .map(|v| (v.version_id.as_str(), v.is_default_version));
        assert_eq!(v, Some(("v1", true)));

        let list = r#"{"RequestId":"r","PolicyVersions":{"PolicyVersion":[
            {"VersionId":"v3","IsDefaultVersion":false,"PolicyDocument":"{}","CreateDate":"2015-01-23T12:33:18Z"},
            {"VersionId":"v1","IsDefaultVersion":true,"CreateDate":"2015-01-23T12:33:18Z"}]}}"#;
        let r: ListPolicyVersionsResponse = serde_json::from_str(list)?;
        assert_eq!(r.policy_versions.len(), 2);
        assert_eq!(r.policy_versions[1].version_id, "v1");
        let back = serde_json::to_value(&r)?;
        assert_eq!(
            back["PolicyVersions"]["PolicyVersion"][0]["VersionId"], "v3",
            "serialises to the wire shape"
        );

        let created = r#"{"RequestId":"r","PolicyVersion":{"VersionId":"v3","IsDefaultVersion":false,"PolicyDocument":"{}","CreateDate":"2015-01-23T12:33:18Z"}}"#;
        let r: CreatePolicyVersionResponse = serde_json::from_str(created)?;
        assert_eq!(r.policy_version.version_id, "v3");
        let c = r#"{"Policy":{"PolicyName":"OSS-Administrator","PolicyType":"Custom","Description":"d","DefaultVersion":"v1","CreateDate":"2015-01-23T12:33:18Z"},"RequestId":"r"}"#;
        let r: CreatePolicyResponse = serde_json::from_str(c)?;
        assert_eq!(r.policy.default_version.as_deref(), Some("v1"));
        Ok(())
    }

    #[test]
    fn parses_attached_policy_lists_including_empty_ones() -> Result<(), serde_json::Error> {
        let sample = r#"{"RequestId":"r","Policies":{"Policy":[{"PolicyName":"AliyunOSSFullAccess","PolicyType":"System",
            "Description":"OSS full access","DefaultVersion":"v1","AttachDate":"2015-01-23T12:33:18Z"}]}}"#;
        let r: ListPoliciesForRoleResponse = serde_json::from_str(sample)?;
        assert_eq!(r.policies.len(), 1);
        assert_eq!(
            (r.policies[0].policy_name.as_str(), r.policies[0].policy_type),
            ("AliyunOSSFullAccess", PolicyType::System)
        );
        for empty in [
            r#"{"RequestId":"r","Policies":{"Policy":[]}}"#,
            r#"{"RequestId":"r","Policies":{}}"#,
            r#"{"RequestId":"r","Policies":null}"#,
            r#"{"RequestId":"r"}"#,
        ] {
            let r: ListPoliciesForUserResponse = serde_json::from_str(empty)?;
            assert!(r.policies.is_empty(), "{empty}");
        }
        assert!(
            serde_json::from_str::<ListPoliciesResponse>(
                r#"{"Policies":{"Policy":[{"PolicyType":"Fancy","PolicyName":"x"}]}}"#
            )
            .is_err()
        );
        Ok(())
    }

    #[test]
    fn parses_the_documented_user_sample() -> Result<(), serde_json::Error> {
        let sample = r#"{"RequestId":"r","User":{"UserId":"122748924538****","UserName":"alice","DisplayName":"alice",
            "MobilePhone":"86-1860000****","Email":"alice@example.com","Comments":"This is a cloud computing engineer.",
            "CreateDate":"2015-01-23T12:33:18Z","UpdateDate":"2015-02-11T03:15:21Z","LastLoginDate":"2015-01-23T12:33:18Z"}}"#;
        let r: GetUserResponse = serde_json::from_str(sample)?;
        assert_eq!(r.user.user_id, "122748924538****");
        assert_eq!(r.user.email.as_deref(), Some("alice@example.com"));
        Ok(())
    }

    #[test]
    fn requests_carry_official_parameter_names() -> Result<(), String> {
        let p = params(
            CreatePolicyVersion {
                policy_name: "PaiDlcOAuthPolicy".into(),
                policy_document: "{\"Version\":\"1\"}".into(),
                set_as_default: Some(true),
                rotate_strategy: Some(RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded),
            }
            .operation()?,
        );
        assert_eq!(
            p,
            vec![
                ("PolicyName", "PaiDlcOAuthPolicy".to_owned()),
                ("PolicyDocument", "{\"Version\":\"1\"}".to_owned()),
                ("SetAsDefault", "true".to_owned()),
                (
                    "RotateStrategy",
                    "DeleteOldestNonDefaultVersionWhenLimitExceeded".to_owned()
                ),
            ]
        );
        let p = params(
            AttachPolicyToRole {
                policy_type: PolicyType::System,
                policy_name: "AliyunOSSFullAccess".into(),
                role_name: "AliyunPAIDLCDefaultRole".into(),
                resource_group_id: None,
            }
            .operation()?,
        );
        assert_eq!(
            p,
            vec![
                ("PolicyType", "System".to_owned()),
                ("PolicyName", "AliyunOSSFullAccess".to_owned()),
                ("RoleName", "AliyunPAIDLCDefaultRole".to_owned()),
            ]
        );
        Ok(())
    }

    #[test]
    fn requests_refuse_documented_bad_input() {
        assert!(
            GetRole {
                role_name: String::new()
            }
            .operation()
            .is_err()
        );
        assert!(
            GetRole {
                role_name: "a b".into()
            }
            .operation()
            .is_err()
        );
        assert!(
            CreateRole {
                role_name: "r".into(),
                assume_role_policy_document: String::new(),
                ..Default::default()
            }
            .operation()
            .is_err()
        );
        assert!(
            CreateRole {
                role_name: "r".into(),
                assume_role_policy_document: "{}".into(),
                max_session_duration: Some(100),
                ..Default::default()
            }
            .operation()
            .is_err()
        );
        assert!(
            UpdateRole {
                role_name: "r".into(),
                ..Default::default()
            }
            .operation()
            .is_err()
        );
        assert!(
            CreatePolicy {
                policy_name: "bad_name".into(),
                policy_document: "{}".into(),
                description: None
            }
            .operation()
            .is_err()
        );
        assert!(
            CreatePolicy {
                policy_name: "p".into(),
                policy_document: "x".repeat(6145),
                description: None
            }
            .operation()
            .is_err()
        );
        assert!(
            DeletePolicyVersion {
                policy_name: "p".into(),
                version_id: "v1;".into()
            }
            .operation()
            .is_err()
        );
        assert!(
            GetUser {
                user_name: "al ice".into()
            }
            .operation()
            .is_err()
        );
    }

    #[test]
    fn enums_round_trip_their_wire_values() {
        assert_eq!("System".parse::<PolicyType>(), Ok(PolicyType::System));
        assert!("system".parse::<PolicyType>().is_err());
        assert_eq!(PolicyType::Custom.to_string(), "Custom");
        assert_eq!(RotateStrategy::None.to_string(), "None");
    }
}
