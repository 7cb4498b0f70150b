//! What the emulator serves: the products, their API versions, the actions and the RAM system
//! policies that exist in every account.

use std::sync::LazyLock;

use crate::policy::PolicyDocument;

/// A cloud product behind the single endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product {
    /// Security Token Service.
    Sts,
    /// Resource Access Management.
    Ram,
    /// Resource Management (resource-group-scoped authorisation).
    ResourceManager,
    /// PAI AI Workspace (ROA).
    AiWorkspace,
    /// OSS service activation (`ossadmin`).
    Oss,
    /// NAS service activation.
    Nas,
}

impl Product {
    /// The API version the official SDK sends.
    pub fn version(self) -> &'static str {
        match self {
            Self::Sts => "2015-04-01",
            Self::Ram => "2015-05-01",
            Self::ResourceManager => "2020-03-31",
            Self::AiWorkspace => "2021-02-04",
            Self::Oss => "2019-04-22",
            Self::Nas => "2017-06-26",
        }
    }

    /// The product code used in `Recommend` links and the calls log.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sts => "Sts",
            Self::Ram => "Ram",
            Self::ResourceManager => "ResourceManager",
            Self::AiWorkspace => "AIWorkSpace",
            Self::Oss => "Oss",
            Self::Nas => "NAS",
        }
    }
}

macro_rules! apis {
    ($($variant:ident => $name:literal, $product:ident, $permission:literal, $write:literal;)*) => {
        /// Every API the emulator answers.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Api {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Api {
            /// All APIs, for lookups.
            pub const ALL: &'static [Api] = &[$(Api::$variant),*];

            /// The action name as it appears in `Action` / `x-acs-action`.
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The product serving it.
            pub fn product(self) -> Product {
                match self { $(Self::$variant => Product::$product,)* }
            }

            /// The RAM action checked against the caller's policies (`""` = not checked).
            pub fn permission(self) -> &'static str {
                match self { $(Self::$variant => $permission,)* }
            }

            /// Whether the call changes the account (faults and the calls log care).
            pub fn is_write(self) -> bool {
                match self { $(Self::$variant => $write,)* }
            }
        }
    };
}

apis! {
    AssumeRole => "AssumeRole", Sts, "sts:AssumeRole", false;
    GetCallerIdentity => "GetCallerIdentity", Sts, "", false;
    GetRole => "GetRole", Ram, "ram:GetRole", false;
    CreateRole => "CreateRole", Ram, "ram:CreateRole", true;
    UpdateRole => "UpdateRole", Ram, "ram:UpdateRole", true;
    GetPolicy => "GetPolicy", Ram, "ram:GetPolicy", false;
    CreatePolicy => "CreatePolicy", Ram, "ram:CreatePolicy", true;
    GetPolicyVersion => "GetPolicyVersion", Ram, "ram:GetPolicyVersion", false;
    ListPolicyVersions => "ListPolicyVersions", Ram, "ram:ListPolicyVersions", false;
    CreatePolicyVersion => "CreatePolicyVersion", Ram, "ram:CreatePolicyVersion", true;
    DeletePolicyVersion => "DeletePolicyVersion", Ram, "ram:DeletePolicyVersion", true;
    SetDefaultPolicyVersion => "SetDefaultPolicyVersion", Ram, "ram:SetDefaultPolicyVersion", true;
    AttachPolicyToRole => "AttachPolicyToRole", Ram, "ram:AttachPolicyToRole", true;
    DetachPolicyFromRole => "DetachPolicyFromRole", Ram, "ram:DetachPolicyFromRole", true;
    ListPoliciesForRole => "ListPoliciesForRole", Ram, "ram:ListPoliciesForRole", false;
    GetUser => "GetUser", Ram, "ram:GetUser", false;
    CreateUser => "CreateUser", Ram, "ram:CreateUser", true;
    AttachPolicyToUser => "AttachPolicyToUser", Ram, "ram:AttachPolicyToUser", true;
    DetachPolicyFromUser => "DetachPolicyFromUser", Ram, "ram:DetachPolicyFromUser", true;
    ListPoliciesForUser => "ListPoliciesForUser", Ram, "ram:ListPoliciesForUser", false;
    AttachPolicy => "AttachPolicy", ResourceManager, "ram:AttachPolicy", true;
    ListPolicyAttachments => "ListPolicyAttachments", ResourceManager, "ram:ListPolicyAttachments", false;
    GetWorkspace => "GetWorkspace", AiWorkspace, "paiworkspace:GetWorkspace", false;
    ListMembers => "ListMembers", AiWorkspace, "paiworkspace:ListMembers", false;
    CreateMember => "CreateMember", AiWorkspace, "paiworkspace:CreateMember", true;
    GetMember => "GetMember", AiWorkspace, "paiworkspace:GetMember", false;
    AddMemberRole => "AddMemberRole", AiWorkspace, "paiworkspace:AddMemberRole", true;
    OpenOssService => "OpenOssService", Oss, "oss:OpenOssService", true;
    OpenNasService => "OpenNASService", Nas, "nas:OpenNASService", true;
}

impl Api {
    /// The RPC API called `action` (exact, case-sensitive like the gateway). ROA APIs are found
    /// by path, not by name.
    pub fn rpc(action: &str) -> Option<Api> {
        Self::ALL
            .iter()
            .copied()
            .find(|api| api.product() != Product::AiWorkspace && api.name() == action)
    }
}

/// A built-in system policy.
#[derive(Debug)]
pub struct SystemPolicy {
    /// Its name (case-sensitive, as RAM lists it).
    pub name: &'static str,
    /// Its description.
    pub description: &'static str,
    /// Its document.
    pub document: PolicyDocument,
    /// The document as JSON text.
    pub text: String,
}

/// When the system policies "were created", so their dates are stable.
pub const SYSTEM_POLICY_DATE: &str = "2015-04-28T16:00:00Z";

/// The system policies the emulator knows, with documents close enough to the real ones for the
/// actions the emulator serves (`AliyunPAIDLCDefaultRolePolicy` lists a representative subset of
/// its `cs:` / `vpc:` actions).
pub static SYSTEM_POLICIES: LazyLock<Vec<SystemPolicy>> = LazyLock::new(|| {
    let defs: [(&str, &str, &[&str]); 17] = [
        (
            "AdministratorAccess",
            "Provides full access to Alibaba Cloud services and resources.",
            &["*"],
        ),
        (
            "ReadOnlyAccess",
            "Provides read-only access to Alibaba Cloud services and resources.",
            &["*:Get*", "*:List*", "*:Describe*", "*:Query*", "*:BatchGet*"],
        ),
        (
            "AliyunRAMFullAccess",
            "Provides full access to Resource Access Management (RAM).",
            &["ram:*"],
        ),
        (
            "AliyunRAMReadOnlyAccess",
            "Provides read-only access to Resource Access Management (RAM).",
            &["ram:Get*", "ram:List*"],
        ),
        (
            "AliyunSTSAssumeRoleAccess",
            "Provides access to call the AssumeRole operation of Security Token Service (STS).",
            &["sts:AssumeRole"],
        ),
        (
            "AliyunOSSFullAccess",
            "Provides full access to Object Storage Service (OSS).",
            &["oss:*"],
        ),
        (
            "AliyunOSSReadOnlyAccess",
            "Provides read-only access to Object Storage Service (OSS).",
            &["oss:Get*", "oss:List*"],
        ),
        (
            "AliyunNASFullAccess",
            "Provides full access to Apsara File Storage NAS.",
            &["nas:*"],
        ),
        (
            "AliyunNASReadOnlyAccess",
            "Provides read-only access to Apsara File Storage NAS.",
            &["nas:Describe*", "nas:List*"],
        ),
        (
            "AliyunResourceManagerFullAccess",
            "Provides full access to Resource Management.",
            &["resourcemanager:*"],
        ),
        (
            "AliyunPAIFullAccess",
            "Provides full access to Platform for AI (PAI).",
            &["pai:*", "paiworkspace:*", "paidlc:*", "pai-dlc:*"],
        ),
        (
            "AliyunPAIWorkspaceFullAccess",
            "Provides full access to PAI workspaces.",
            &["paiworkspace:*"],
        ),
        (
            "AliyunPAIDLCFullAccess",
            "Provides full access to PAI Deep Learning Containers (DLC).",
            &["paidlc:*", "pai-dlc:*"],
        ),
        (
            "AliyunPAIDLCDefaultRolePolicy",
            "The policy for the PAI-DLC service role (AliyunPAIDLCDefaultRole).",
            &[
                "cs:GetClusterById",
                "cs:GetClusters",
                "cs:GetUserConfig",
                "cs:DescribeCluster*",
                "vpc:DescribeVpcs",
                "vpc:DescribeVSwitches",
                "vpc:DescribeVSwitchAttributes",
                "ecs:CreateNetworkInterface",
                "ecs:DescribeNetworkInterfaces",
                "ecs:DeleteNetworkInterface",
                "ecs:DescribeSecurityGroups",
                "ecs:CreateNetworkInterfacePermission",
                "ecs:DescribeNetworkInterfacePermissions",
                "ecs:DeleteNetworkInterfacePermission",
            ],
        ),
        (
            "AliyunPAIDLCAccessingOSSRolePolicy",
            "The policy for the PAI-DLC role that accesses OSS.",
            &[
                "oss:GetObject",
                "oss:PutObject",
                "oss:DeleteObject",
                "oss:ListObjects",
                "oss:GetBucketInfo",
            ],
        ),
        (
            "AliyunECSFullAccess",
            "Provides full access to Elastic Compute Service (ECS).",
            &["ecs:*"],
        ),
        (
            "AliyunVPCFullAccess",
            "Provides full access to Virtual Private Cloud (VPC).",
            &["vpc:*"],
        ),
    ];
    defs.into_iter()
        .map(|(name, description, actions)| {
            let document = PolicyDocument::allow(actions, &["*"]);
            let text = document.to_json();
            SystemPolicy {
                name,
                description,
                document,
                text,
            }
        })
        .collect()
});

/// The system policy called `name` (exact case, as RAM requires for system policies).
pub fn system_policy(name: &str) -> Option<&'static SystemPolicy> {
    SYSTEM_POLICIES.iter().find(|p| p.name == name)
}

/// The PAI workspace roles CreateMember and AddMemberRole accept.
pub const WORKSPACE_ROLES: [&str; 7] = [
    "PAI.AlgoDeveloper",
    "PAI.AlgoOperator",
    "PAI.LabelManager",
    "PAI.MaxComputeDeveloper",
    "PAI.WorkspaceAdmin",
    "PAI.WorkspaceGuest",
    "PAI.WorkspaceOwner",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Context, evaluate};

    #[test]
    fn rpc_lookup_is_exact_and_excludes_roa_apis() {
        assert_eq!(Api::rpc("GetRole"), Some(Api::GetRole));
        assert_eq!(Api::rpc("OpenNASService"), Some(Api::OpenNasService));
        assert_eq!(Api::rpc("getrole"), None);
        assert_eq!(Api::rpc("CreateMember"), None);
        assert_eq!(Api::rpc("DeleteRole"), None);
    }

    #[test]
    fn every_rpc_api_has_a_permission_but_get_caller_identity() {
        for api in Api::ALL {
            assert_eq!(api.permission().is_empty(), *api == Api::GetCallerIdentity, "{api:?}");
        }
    }

    #[test]
    fn system_policies_grant_what_their_names_say() {
        let ctx = Context::default();
        let check = |name: &str, action: &str| {
            let p = system_policy(name).unwrap_or_else(|| panic!("{name} missing"));
            evaluate([&p.document], action, "*", &ctx).is_allowed()
        };
        assert!(check("AdministratorAccess", "ram:CreateRole"));
        assert!(check("AliyunRAMFullAccess", "ram:AttachPolicyToRole"));
        assert!(!check("AliyunRAMFullAccess", "sts:AssumeRole"));
        assert!(check("AliyunSTSAssumeRoleAccess", "sts:AssumeRole"));
        assert!(!check("AliyunSTSAssumeRoleAccess", "ram:GetRole"));
        assert!(check("AliyunOSSFullAccess", "oss:OpenOssService"));
        assert!(check("AliyunNASFullAccess", "nas:OpenNASService"));
        assert!(check("AliyunRAMReadOnlyAccess", "ram:GetRole"));
        assert!(!check("AliyunRAMReadOnlyAccess", "ram:CreateRole"));
        assert!(check("AliyunPAIDLCDefaultRolePolicy", "vpc:DescribeVpcs"));
        assert!(system_policy("administratoraccess").is_none());
    }

    #[test]
    fn system_policy_texts_parse_as_valid_documents() {
        for p in SYSTEM_POLICIES.iter() {
            let parsed = PolicyDocument::parse(&p.text).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(parsed, p.document, "{}", p.name);
        }
    }
}
