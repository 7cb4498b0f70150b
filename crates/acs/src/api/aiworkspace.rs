//! PAI AIWorkspace 2021-02-04 (ROA, JSON): workspaces and their members.
//!
//! Paths (reference §5.6): `GET /api/v1/workspaces/{WorkspaceId}`,
//! `GET|POST /api/v1/workspaces/{WorkspaceId}/members`,
//! `POST /api/v1/workspaces/{WorkspaceId}/members/{MemberId}/roles/{RoleName}`.

use serde::{Deserialize, Serialize};

use super::{ApiRequest, Empty, Operation, Params, check, lenient_string, roa_path};
use crate::client::Product;

/// The AIWorkspace API version.
pub const VERSION: &str = "2021-02-04";

fn workspace_id(value: &str) -> Result<(), String> {
    check::non_empty("WorkspaceId", value)?;
    check::len("WorkspaceId", value, 1, 64)
}

/// `GetWorkspace`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetWorkspace {
    /// `WorkspaceId`.
    pub workspace_id: String,
    /// `Verbose`.
    pub verbose: Option<bool>,
}

/// `Owner` of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkspaceOwner {
    /// `UserId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// `UserName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// `DisplayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `UserKp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_kp: Option<String>,
}

/// `GetWorkspace` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetWorkspaceResponse {
    /// `WorkspaceId`.
    pub workspace_id: String,
    /// `WorkspaceName`.
    pub workspace_name: String,
    /// `DisplayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `Description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Status`, e.g. `ENABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `Creator`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// `Owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<WorkspaceOwner>,
    /// `AdminNames`.
    #[serde(default)]
    pub admin_names: Vec<String>,
    /// `EnvTypes`.
    #[serde(default)]
    pub env_types: Vec<String>,
    /// `IsDefault`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// `ResourceGroupId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,
    /// `GmtCreateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_create_time: Option<String>,
    /// `GmtModifiedTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_modified_time: Option<String>,
}

impl ApiRequest for GetWorkspace {
    type Output = GetWorkspaceResponse;
    const PRODUCT: Product = Product::AiWorkspace;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "GetWorkspace";

    fn operation(&self) -> Result<Operation, String> {
        workspace_id(&self.workspace_id)?;
        Ok(Operation::Roa {
            method: http::Method::GET,
            path: roa_path(&["api", "v1", "workspaces", &self.workspace_id]),
            query: Params::new().opt("Verbose", self.verbose).into_vec(),
            body: None,
        })
    }
}

/// `ListMembers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListMembers {
    /// `WorkspaceId`.
    pub workspace_id: String,
    /// `MemberName` (fuzzy match).
    pub member_name: Option<String>,
    /// `PageNumber`, from 1.
    pub page_number: Option<u32>,
    /// `PageSize`.
    pub page_size: Option<u32>,
    /// `Roles`, sent comma-separated.
    pub roles: Option<Vec<String>>,
    /// `UserId`.
    pub user_id: Option<String>,
}

/// A workspace member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Member {
    /// `MemberId`.
    pub member_id: String,
    /// `UserId` (the RAM user's `UserId`).
    pub user_id: String,
    /// `MemberName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_name: Option<String>,
    /// `DisplayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `AccountName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// `AccountType`: `1` Alibaba Cloud account, `5` RAM user, `6` RAM role.
    #[serde(
        default,
        deserialize_with = "lenient_string::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_type: Option<String>,
    /// `GmtCreateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_create_time: Option<String>,
    /// `Roles`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `ListMembers` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMembersResponse {
    /// `TotalCount`.
    #[serde(default)]
    pub total_count: u64,
    /// `Members`.
    #[serde(default)]
    pub members: Vec<Member>,
}

impl ApiRequest for ListMembers {
    type Output = ListMembersResponse;
    const PRODUCT: Product = Product::AiWorkspace;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "ListMembers";

    fn operation(&self) -> Result<Operation, String> {
        workspace_id(&self.workspace_id)?;
        if let Some(n) = self.page_number {
            check::range("PageNumber", n, 1, u32::MAX)?;
        }
        if let Some(n) = self.page_size {
            check::range("PageSize", n, 1, 1000)?;
        }
        Ok(Operation::Roa {
            method: http::Method::GET,
            path: roa_path(&["api", "v1", "workspaces", &self.workspace_id, "members"]),
            query: Params::new()
                .opt("MemberName", self.member_name.as_ref())
                .opt("PageNumber", self.page_number)
                .opt("PageSize", self.page_size)
                .opt("Roles", self.roles.as_ref().map(|r| r.join(",")))
                .opt("UserId", self.user_id.as_ref())
                .into_vec(),
            body: None,
        })
    }
}

/// One member to add. Serialised as the SDK does (`Roles` before `UserId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewMember {
    /// `Roles`, e.g. `PAI.AlgoDeveloper`.
    pub roles: Vec<String>,
    /// `UserId`: the RAM user's `UserId`.
    pub user_id: String,
}

/// `CreateMember`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateMember {
    /// `WorkspaceId`.
    pub workspace_id: String,
    /// `Members`.
    pub members: Vec<NewMember>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateMemberBody<'a> {
    members: &'a [NewMember],
}

/// A member as `CreateMember` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatedMember {
    /// `MemberId`.
    pub member_id: String,
    /// `UserId`.
    pub user_id: String,
    /// `DisplayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `Roles`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `CreateMember` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMemberResponse {
    /// `Members`.
    #[serde(default)]
    pub members: Vec<CreatedMember>,
}

impl ApiRequest for CreateMember {
    type Output = CreateMemberResponse;
    const PRODUCT: Product = Product::AiWorkspace;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "CreateMember";

    fn operation(&self) -> Result<Operation, String> {
        workspace_id(&self.workspace_id)?;
        if self.members.is_empty() {
            return Err("Members must not be empty".to_owned());
        }
        for member in &self.members {
            check::non_empty("Members.UserId", &member.user_id)?;
            if member.roles.is_empty() || member.roles.iter().any(|r| r.trim().is_empty()) {
                return Err("Members.Roles must list at least one non-empty role".to_owned());
            }
        }
        let body = serde_json::to_vec(&CreateMemberBody { members: &self.members })
            .map_err(|e| format!("Members cannot be serialised: {e}"))?;
        Ok(Operation::Roa {
            method: http::Method::POST,
            path: roa_path(&["api", "v1", "workspaces", &self.workspace_id, "members"]),
            query: Vec::new(),
            body: Some(body),
        })
    }
}

/// `AddMemberRole`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddMemberRole {
    /// `WorkspaceId`.
    pub workspace_id: String,
    /// `MemberId`.
    pub member_id: String,
    /// `RoleName`, e.g. `PAI.AlgoDeveloper`.
    pub role_name: String,
}

impl ApiRequest for AddMemberRole {
    type Output = Empty;
    const PRODUCT: Product = Product::AiWorkspace;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "AddMemberRole";

    fn operation(&self) -> Result<Operation, String> {
        workspace_id(&self.workspace_id)?;
        check::non_empty("MemberId", &self.member_id)?;
        check::non_empty("RoleName", &self.role_name)?;
        Ok(Operation::Roa {
            method: http::Method::POST,
            path: roa_path(&[
                "api",
                "v1",
                "workspaces",
                &self.workspace_id,
                "members",
                &self.member_id,
                "roles",
                &self.role_name,
            ]),
            query: Vec::new(),
            body: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_member_body_is_byte_identical_to_the_sdk() -> Result<(), String> {
        let op = CreateMember {
            workspace_id: "12345".into(),
            members: vec![NewMember {
                roles: vec!["PAI.AlgoDeveloper".into()],
                user_id: "123456789012345678".into(),
            }],
        }
        .operation()?;
        let Operation::Roa {
            method,
            path,
            query,
            body,
        } = op
        else {
            return Err("not ROA".into());
        };
        assert_eq!(method, http::Method::POST);
        assert_eq!(path, "/api/v1/workspaces/12345/members");
        assert!(query.is_empty());
        let body = body.unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&body),
            r#"{"Members":[{"Roles":["PAI.AlgoDeveloper"],"UserId":"123456789012345678"}]}"#
        );
        assert_eq!(
            crate::sign::acs3::hash_payload(&body),
            "9e6fad6e1251a624039efb2f8431437ae4e36cb982c5fb83ec119a37a72581f1",
            "reference V3-4 x-acs-content-sha256"
        );
        Ok(())
    }

    #[test]
    fn paths_and_queries_follow_the_reference() -> Result<(), String> {
        let Operation::Roa {
            method, path, query, ..
        } = AddMemberRole {
            workspace_id: "81231".into(),
            member_id: "37-ab/c".into(),
            role_name: "PAI.AlgoDeveloper".into(),
        }
        .operation()?
        else {
            return Err("not ROA".into());
        };
        assert_eq!(method, http::Method::POST);
        assert_eq!(
            path,
            "/api/v1/workspaces/81231/members/37-ab%2Fc/roles/PAI.AlgoDeveloper"
        );
        assert!(query.is_empty());
        let Operation::Roa {
            method, path, query, ..
        } = ListMembers {
            workspace_id: "81231".into(),
            roles: Some(vec!["PAI.AlgoDeveloper".into(), "PAI.WorkspaceAdmin".into()]),
            user_id: Some("2038".into()),
            ..Default::default()
        }
        .operation()?
        else {
            return Err("not ROA".into());
        };
        assert_eq!(
            (method, path.as_str()),
            (http::Method::GET, "/api/v1/workspaces/81231/members")
        );
        assert_eq!(
            query,
            vec![
                ("Roles", "PAI.AlgoDeveloper,PAI.WorkspaceAdmin".to_owned()),
                ("UserId", "2038".to_owned())
            ]
        );
        Ok(())
    }

    #[test]
    fn refuses_empty_members_and_ids() {
        assert!(
            CreateMember {
                workspace_id: "1".into(),
                members: vec![]
            }
            .operation()
            .is_err()
        );
        let no_roles = NewMember {
            roles: vec![],
            user_id: "1".into(),
        };
        assert!(
            CreateMember {
                workspace_id: "1".into(),
                members: vec![no_roles]
            }
            .operation()
            .is_err()
        );
        assert!(
            GetWorkspace {
                workspace_id: String::new(),
                verbose: None
            }
            .operation()
            .is_err()
        );
        assert!(
            AddMemberRole {
                workspace_id: "1".into(),
                member_id: String::new(),
                role_name: "r".into()
            }
            .operation()
            .is_err()
        );
    }

    #[test]
    fn parses_the_documented_samples() -> Result<(), serde_json::Error> {
        let list = r#"{"RequestId":"5A14FA81-DD4E-******-6343FE44B941","TotalCount":1,"Members":[{"MemberId":"37********","UserId":"123456789",
            "MemberName":"alice","DisplayName":"alice","AccountName":"alice@demo.onaliyun.com","AccountType":5,
            "GmtCreateTime":"2021-01-21T17:12:35.232Z","Roles":["PAI.AlgoDeveloper"]}]}"#;
        let r: ListMembersResponse = serde_json::from_str(list)?;
        assert_eq!(r.total_count, 1);
        assert_eq!(r.members[0].account_type.as_deref(), Some("5"));
        assert_eq!(r.members[0].roles, ["PAI.AlgoDeveloper"]);
        let created = r#"{"RequestId":"r","Members":[{"MemberId":"37","UserId":"1","DisplayName":"alice","Roles":["PAI.AlgoDeveloper"]}]}"#;
        let r: CreateMemberResponse = serde_json::from_str(created)?;
        assert_eq!(r.members[0].member_id, "37");
        let ws = r#"{"RequestId":"r","WorkspaceId":"81231","WorkspaceName":"demo","DisplayName":"Demo","Description":"d",
            "Status":"ENABLED","Creator":"1234","Owner":{"UserId":"1234","UserName":"root","DisplayName":"root","UserKp":"1234"},
            "AdminNames":["alice"],"EnvTypes":["prod"],"IsDefault":false,"ResourceGroupId":"rg-1",
            "GmtCreateTime":"2021-01-21T17:12:35.232Z","GmtModifiedTime":"2021-01-21T17:12:35.232Z","ExtraInfos":{"TenantId":"x"}}"#;
        let r: GetWorkspaceResponse = serde_json::from_str(ws)?;
        assert_eq!(r.workspace_id, "81231");
        assert_eq!(r.owner.and_then(|o| o.user_name).as_deref(), Some("root"));
        assert_eq!(r.env_types, ["prod"]);
        Ok(())
    }
}
