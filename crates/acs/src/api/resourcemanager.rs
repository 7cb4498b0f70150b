//! ResourceManager 2020-03-31 (RPC): resource-group-scoped policy attachments.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ApiRequest, Empty, Operation, Params, check, wrapped_list};
use crate::client::Product;

pub use super::ram::PolicyType;

/// The ResourceManager API version.
pub const VERSION: &str = "2020-03-31";

wrapped_list!(attachment_list, "PolicyAttachment");

/// `PrincipalType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum PrincipalType {
    /// A RAM user: `<UserName>@<AccountAlias>.onaliyun.com`.
    #[serde(rename = "IMSUser")]
    ImsUser,
    /// A RAM user group: `<GroupName>@group.<AccountAlias>.onaliyun.com`.
    #[serde(rename = "IMSGroup")]
    ImsGroup,
    /// A RAM role: `<RoleName>@role.<AccountAlias>.onaliyunservice.com`.
    ServiceRole,
}

impl PrincipalType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ImsUser => "IMSUser",
            Self::ImsGroup => "IMSGroup",
            Self::ServiceRole => "ServiceRole",
        }
    }
}

impl fmt::Display for PrincipalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `AttachPolicy`: attaches a policy to a principal in a resource group (or, with the account id
/// as `ResourceGroupId`, at account scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachPolicy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyType`.
    pub policy_type: PolicyType,
    /// `PrincipalType`.
    pub principal_type: PrincipalType,
    /// `PrincipalName` (prefer `GetRole.Role.RolePrincipalName` for roles).
    pub principal_name: String,
    /// `ResourceGroupId`: a resource group id or the account id.
    pub resource_group_id: String,
}

impl ApiRequest for AttachPolicy {
    type Output = Empty;
    const PRODUCT: Product = Product::ResourceManager;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "AttachPolicy";

    fn operation(&self) -> Result<Operation, String> {
        check::policy_name("PolicyName", &self.policy_name)?;
        check::non_empty("PrincipalName", &self.principal_name)?;
        check::len("PrincipalName", &self.principal_name, 1, 256)?;
        check::non_empty("ResourceGroupId", &self.resource_group_id)?;
        check::len("ResourceGroupId", &self.resource_group_id, 1, 128)?;
        Ok(Params::new()
            .set("PolicyName", &self.policy_name)
            .set("PolicyType", self.policy_type)
            .set("PrincipalType", self.principal_type)
            .set("PrincipalName", &self.principal_name)
            .set("ResourceGroupId", &self.resource_group_id)
            .rpc())
    }
}

/// `ListPolicyAttachments`; every filter optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPolicyAttachments {
    /// `PolicyName`.
    pub policy_name: Option<String>,
    /// `PolicyType`.
    pub policy_type: Option<PolicyType>,
    /// `PrincipalName`.
    pub principal_name: Option<String>,
    /// `PrincipalType`.
    pub principal_type: Option<PrincipalType>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `Language`: `en`, `zh-CN` or `ja`.
    pub language: Option<String>,
    /// `PageNumber`, from 1.
    pub page_number: Option<u32>,
    /// `PageSize`, 1–100.
    pub page_size: Option<u32>,
}

impl ApiRequest for ListPolicyAttachments {
    type Output = ListPolicyAttachmentsResponse;
    const PRODUCT: Product = Product::ResourceManager;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "ListPolicyAttachments";

    fn operation(&self) -> Result<Operation, String> {
        if let Some(name) = &self.policy_name {
            check::policy_name("PolicyName", name)?;
        }
        if let Some(n) = self.page_number {
            check::range("PageNumber", n, 1, u32::MAX)?;
        }
        if let Some(n) = self.page_size {
            check::range("PageSize", n, 1, 100)?;
        }
        if let Some(lang) = &self.language
            && !matches!(lang.as_str(), "en" | "zh-CN" | "ja")
        {
            return Err("Language must be en, zh-CN or ja".to_owned());
        }
        Ok(Params::new()
            .opt("PolicyName", self.policy_name.as_ref())
            .opt("PolicyType", self.policy_type)
            .opt("PrincipalName", self.principal_name.as_ref())
            .opt("PrincipalType", self.principal_type)
            .opt("ResourceGroupId", self.resource_group_id.as_ref())
            .opt("Language", self.language.as_ref())
            .opt("PageNumber", self.page_number)
            .opt("PageSize", self.page_size)
            .rpc())
    }
}

/// One attachment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyAttachment {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyType`.
    pub policy_type: PolicyType,
    /// `PrincipalName`.
    pub principal_name: String,
    /// `PrincipalType` (kept as text: the service may add types).
    pub principal_type: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// `AttachDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_date: Option<String>,
    /// `Description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `ListPolicyAttachments` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPolicyAttachmentsResponse {
    /// `PageNumber`.
    #[serde(default)]
    pub page_number: u32,
    /// `PageSize`.
    #[serde(default)]
    pub page_size: u32,
    /// `TotalCount`.
    #[serde(default)]
    pub total_count: u32,
    /// `PolicyAttachments.PolicyAttachment`.
    #[serde(default, with = "attachment_list")]
    pub policy_attachments: Vec<PolicyAttachment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_list_sample() -> Result<(), serde_json::Error> {
        let sample = r#"{"PageNumber":1,"PageSize":10,"TotalCount":1,"RequestId":"697852FB-50D7-44D9-9774-530C31EAC572",
            "PolicyAttachments":{"PolicyAttachment":[{"PolicyName":"AdministratorAccess","PolicyType":"System",
            "PrincipalName":"alice@demo.onaliyun.com","PrincipalType":"IMSUser","ResourceGroupId":"rg-9gLOoK****",
            "AttachDate":"2015-01-23T12:33:18Z","Description":"Full access"}]}}"#;
        let r: ListPolicyAttachmentsResponse = serde_json::from_str(sample)?;
        assert_eq!((r.page_number, r.page_size, r.total_count), (1, 10, 1));
        assert_eq!(r.policy_attachments[0].principal_type, "IMSUser");
        assert_eq!(r.policy_attachments[0].policy_type, PolicyType::System);
        Ok(())
    }

    #[test]
    fn attach_policy_sends_official_names_and_checks_input() -> Result<(), String> {
        let req = AttachPolicy {
            policy_name: "AliyunOSSFullAccess".into(),
            policy_type: PolicyType::System,
            principal_type: PrincipalType::ServiceRole,
            principal_name: "AliyunPAIDLCDefaultRole@role.1234567890123456.onaliyunservice.com".into(),
            resource_group_id: "rg-abc".into(),
        };
        let Operation::Rpc { params } = req.operation()? else {
            return Err("not RPC".into());
        };
        assert!(params.contains(&("PrincipalType", "ServiceRole".to_owned())));
        assert!(params.contains(&("ResourceGroupId", "rg-abc".to_owned())));
        assert!(
            AttachPolicy {
                resource_group_id: " ".into(),
                ..req.clone()
            }
            .operation()
            .is_err()
        );
        assert!(
            ListPolicyAttachments {
                page_size: Some(101),
                ..Default::default()
            }
            .operation()
            .is_err()
        );
        assert!(
            ListPolicyAttachments {
                page_number: Some(0),
                ..Default::default()
            }
            .operation()
            .is_err()
        );
        assert!(
            ListPolicyAttachments {
                language: Some("fr".into()),
                ..Default::default()
            }
            .operation()
            .is_err()
        );
        Ok(())
    }
}
