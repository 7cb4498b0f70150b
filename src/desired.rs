//! The state the PAI-DLC authorization guide requires, in one place (DESIGN §1).
//!
//! Every name, principal and policy document the engine writes comes from this module; the rest
//! of the crate only compares against it.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::policy_doc;
use crate::request::GrantRequest;

/// The service role DLC jobs run as.
pub const ROLE_NAME: &str = "AliyunPAIDLCDefaultRole";
/// The service principal trusted to assume [`ROLE_NAME`]. The best public evidence, not confirmed
/// on a live account (reference §8): change it here and nowhere else.
pub const PAI_SERVICE_PRINCIPAL: &str = "pai.aliyuncs.com";
/// The description given to the role when it is created.
pub const ROLE_DESCRIPTION: &str = "PAI-DLC default service role (managed by dlcauth)";
/// The system policy dedicated to the DLC service role.
pub const DLC_ROLE_POLICY: &str = "AliyunPAIDLCDefaultRolePolicy";
/// Full OSS access (the guide's default).
pub const OSS_FULL_ACCESS: &str = "AliyunOSSFullAccess";
/// Full NAS access (for RAM users mounting NAS in DLC jobs).
pub const NAS_FULL_ACCESS: &str = "AliyunNASFullAccess";
/// The custom policy letting DLC manage OAuth applications.
pub const OAUTH_POLICY: &str = "PaiDlcOAuthPolicy";
/// The custom policy replacing [`OSS_FULL_ACCESS`] in least-privilege mode.
pub const OSS_BUCKETS_POLICY: &str = "PaiDlcOssBucketsPolicy";
/// The documented statement of [`OAUTH_POLICY`], verbatim from the guide.
pub const OAUTH_POLICY_DOCUMENT: &str = r#"{"Version":"1","Statement":[{"Action":["ram:GetDefaultDomain","ram:ListApplications","ram:CreateApplication","ram:ListAppSecretIds","ram:GetAppSecret","ram:CreateAppSecret","ram:DeleteApplication","ram:DeleteAppSecret"],"Resource":["*"],"Effect":"Allow"}]}"#;
/// The workspace role a user gets when a workspace is given and no roles are named.
pub const DEFAULT_WORKSPACE_ROLE: &str = "PAI.AlgoDeveloper";
/// The PAI workspace roles (reference §5.6).
pub const KNOWN_WORKSPACE_ROLES: &[&str] = &[
    "PAI.AlgoDeveloper",
    "PAI.AlgoOperator",
    "PAI.LabelManager",
    "PAI.MaxComputeDeveloper",
    "PAI.WorkspaceAdmin",
    "PAI.WorkspaceGuest",
    "PAI.WorkspaceOwner",
];

/// The RAM policy types: the API's own, so the plan, the calls and the report share one type.
pub use acs::api::ram::PolicyType;

/// Parses a policy type; RAM is not consistent about case across APIs, so neither are we.
fn parse_policy_type(s: &str) -> Option<PolicyType> {
    if s.eq_ignore_ascii_case("system") {
        Some(PolicyType::System)
    } else if s.eq_ignore_ascii_case("custom") {
        Some(PolicyType::Custom)
    } else {
        None
    }
}

/// A policy by name and type: the identity RAM attaches and lists (reference §5.4).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PolicyRef {
    /// System or Custom.
    #[serde(rename = "type")]
    pub policy_type: PolicyType,
    /// The policy name (case-sensitive for system policies).
    pub name: String,
}

impl PolicyRef {
    /// A system policy.
    pub fn system(name: &str) -> Self {
        Self {
            policy_type: PolicyType::System,
            name: name.into(),
        }
    }

    /// A custom policy.
    pub fn custom(name: &str) -> Self {
        Self {
            policy_type: PolicyType::Custom,
            name: name.into(),
        }
    }

    /// Parses a user-policy spec: `Name`, `System:Name` or `Custom:Name`. Unprefixed names are
    /// System policies, except the custom policies dlcauth itself manages.
    ///
    /// # Errors
    /// A message saying what a policy name may contain.
    pub fn parse_user_spec(spec: &str) -> Result<Self, String> {
        let (policy_type, name) = match spec.split_once(':') {
            Some((t, name)) => match parse_policy_type(t) {
                Some(t) => (t, name),
                None => {
                    return Err(format!(
                        "{spec:?}: the prefix must be System: or Custom: (or none for a system policy)"
                    ));
                }
            },
            None if spec == OSS_BUCKETS_POLICY || spec == OAUTH_POLICY => (PolicyType::Custom, spec),
            None => (PolicyType::System, spec),
        };
        let valid =
            !name.is_empty() && name.len() <= 128 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if valid {
            Ok(Self {
                policy_type,
                name: name.into(),
            })
        } else {
            Err(format!(
                "{spec:?} is not a policy name (1-128 letters, digits, '-'; optional System:/Custom: prefix)"
            ))
        }
    }
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.policy_type, self.name)
    }
}

/// How the default version of a custom policy is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentRule {
    /// Semantically equal to this document (DESIGN §1 row 4: "exactly the documented statement").
    Exact(String),
    /// Grants full OSS access to at least these buckets. A superset is fine: dlcauth never narrows
    /// a policy, so a new version keeps the buckets an earlier request added.
    CoversBuckets(BTreeSet<String>),
}

/// A custom policy dlcauth creates and keeps current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomPolicy {
    /// Its name.
    pub name: String,
    /// The description given when it is created.
    pub description: String,
    /// How its default version is judged.
    pub rule: DocumentRule,
}

impl CustomPolicy {
    /// Whether `document` (the default version as stored) satisfies the rule.
    pub fn is_satisfied_by(&self, document: &str) -> bool {
        match &self.rule {
            DocumentRule::Exact(want) => policy_doc::semantically_equal(want, document),
            DocumentRule::CoversBuckets(buckets) => policy_doc::covers_buckets(document, buckets),
        }
    }

    /// The document to write: for a new policy, `existing` is `None`; for a new version it is the
    /// current default document, whose buckets are kept.
    pub fn document_to_write(&self, existing: Option<&str>) -> String {
        match &self.rule {
            DocumentRule::Exact(want) => want.clone(),
            DocumentRule::CoversBuckets(buckets) => match existing {
                Some(doc) => policy_doc::extend_bucket_policy(doc, buckets),
                None => policy_doc::bucket_policy_document(buckets),
            },
        }
    }
}

/// Where the role's policies are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Account scope, through RAM AttachPolicyToRole.
    Account,
    /// Resource-group scope, through ResourceManager AttachPolicy.
    ResourceGroup(String),
}

/// One RAM user's desired state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredUser {
    /// The RAM user name.
    pub name: String,
    /// Policies attached to the user.
    pub policies: Vec<PolicyRef>,
    /// Roles in the workspace (empty = no membership wanted).
    pub workspace_roles: Vec<String>,
}

/// Everything a grant makes true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The target account.
    pub account_id: String,
    /// The service role.
    pub role_name: String,
    /// The service the role must trust.
    pub trust_service: String,
    /// The trust policy for a newly created role.
    pub trust_document: String,
    /// Custom policies to create and keep current, in creation order.
    pub custom_policies: Vec<CustomPolicy>,
    /// Policies attached to the role, in attach order.
    pub role_policies: Vec<PolicyRef>,
    /// Where the role policies are attached.
    pub scope: Scope,
    /// The workspace for memberships.
    pub workspace_id: Option<String>,
    /// RAM users.
    pub users: Vec<DesiredUser>,
    /// Whether OSS and NAS are activated.
    pub activate_services: bool,
}

impl Desired {
    /// The desired state for a (validated) request.
    pub fn from_request(request: &GrantRequest) -> Self {
        let buckets: Option<BTreeSet<String>> = request.oss_buckets.as_ref().map(|b| b.iter().cloned().collect());
        let oauth = CustomPolicy {
            name: OAUTH_POLICY.into(),
            description: "Lets PAI-DLC manage OAuth applications (managed by dlcauth)".into(),
            rule: DocumentRule::Exact(OAUTH_POLICY_DOCUMENT.into()),
        };
        let mut custom_policies = vec![oauth];
        let oss_policy = match buckets {
            Some(buckets) => {
                custom_policies.push(CustomPolicy {
                    name: OSS_BUCKETS_POLICY.into(),
                    description: "PAI-DLC access to named OSS buckets (managed by dlcauth)".into(),
                    rule: DocumentRule::CoversBuckets(buckets),
                });
                PolicyRef::custom(OSS_BUCKETS_POLICY)
            }
            None => PolicyRef::system(OSS_FULL_ACCESS),
        };
        let role_policies = vec![
            PolicyRef::system(DLC_ROLE_POLICY),
            oss_policy.clone(),
            PolicyRef::custom(OAUTH_POLICY),
        ];
        // Users get what DLC jobs they submit need to mount data: NAS, and the same OSS access
        // the role has (so least-privilege mode stays least-privilege for users too).
        let default_user_policies = vec![PolicyRef::system(NAS_FULL_ACCESS), oss_policy];
        let users = request
            .users
            .iter()
            .flatten()
            .map(|u| DesiredUser {
                name: u.name.clone(),
                policies: match &u.policies {
                    Some(specs) => {
                        let mut seen = BTreeSet::new();
                        specs
                            .iter()
                            .filter_map(|s| PolicyRef::parse_user_spec(s).ok())
                            .filter(|p| seen.insert(p.clone()))
                            .collect()
                    }
                    None => default_user_policies.clone(),
                },
                workspace_roles: match (&u.workspace_roles, &request.workspace_id) {
                    (Some(roles), _) => {
                        let mut seen = BTreeSet::new();
                        roles.iter().filter(|r| seen.insert(*r)).cloned().collect()
                    }
                    (None, Some(_)) => vec![DEFAULT_WORKSPACE_ROLE.into()],
                    (None, None) => Vec::new(),
                },
            })
            .collect();
        Self {
            account_id: request.account_id.clone(),
            role_name: ROLE_NAME.into(),
            trust_service: PAI_SERVICE_PRINCIPAL.into(),
            trust_document: policy_doc::service_trust_document(PAI_SERVICE_PRINCIPAL),
            custom_policies,
            role_policies,
            scope: match &request.resource_group_id {
                Some(rg) => Scope::ResourceGroup(rg.clone()),
                None => Scope::Account,
            },
            workspace_id: request.workspace_id.clone(),
            users,
            activate_services: request.activate_services,
        }
    }

    /// The custom policy dlcauth manages under this name, if any.
    pub fn custom_policy(&self, name: &str) -> Option<&CustomPolicy> {
        self.custom_policies.iter().find(|p| p.name == name)
    }

    /// The role ARN as RAM prints it (role names lower-cased), for reports before the role exists.
    pub fn role_arn(&self) -> String {
        format!(
            "acs:ram::{}:role/{}",
            self.account_id,
            self.role_name.to_ascii_lowercase()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::UserGrant;

    #[test]
    fn default_request_wants_the_three_guide_policies_at_account_scope() {
        let d = Desired::from_request(&GrantRequest::for_account("1234567890123456"));
        assert_eq!(d.role_name, "AliyunPAIDLCDefaultRole");
        assert_eq!(
            d.role_policies,
            vec![
                PolicyRef::system("AliyunPAIDLCDefaultRolePolicy"),
                PolicyRef::system("AliyunOSSFullAccess"),
                PolicyRef::custom("PaiDlcOAuthPolicy"),
            ]
        );
        assert_eq!(d.custom_policies.len(), 1);
        assert_eq!(d.scope, Scope::Account);
        assert!(d.users.is_empty() && !d.activate_services);
        assert!(policy_doc::trusts_service(&d.trust_document, "pai.aliyuncs.com"));
        assert_eq!(d.role_arn(), "acs:ram::1234567890123456:role/aliyunpaidlcdefaultrole");
    }

    #[test]
    fn oauth_policy_document_is_the_documented_statement() -> Result<(), serde_json::Error> {
        let doc: serde_json::Value = serde_json::from_str(OAUTH_POLICY_DOCUMENT)?;
        let actions = doc["Statement"][0]["Action"].as_array().cloned().unwrap_or_default();
        assert_eq!(actions.len(), 8);
        assert!(
            actions
                .iter()
                .all(|a| a.as_str().is_some_and(|a| a.starts_with("ram:")))
        );
        assert_eq!(doc["Statement"][0]["Resource"], serde_json::json!(["*"]));
        assert_eq!(doc["Statement"][0]["Effect"], "Allow");
        Ok(())
    }

    #[test]
    fn buckets_replace_oss_full_access_with_a_scoped_custom_policy() {
        let mut r = GrantRequest::for_account("1234567890123456");
        r.oss_buckets = Some(vec!["b-two".into(), "b-one".into(), "b-two".into()]);
        let d = Desired::from_request(&r);
        assert!(d.role_policies.contains(&PolicyRef::custom(OSS_BUCKETS_POLICY)));
        assert!(!d.role_policies.iter().any(|p| p.name == OSS_FULL_ACCESS));
        let policy = d.custom_policy(OSS_BUCKETS_POLICY).cloned();
        let expected: BTreeSet<String> = ["b-one".to_string(), "b-two".to_string()].into();
        assert_eq!(policy.map(|p| p.rule), Some(DocumentRule::CoversBuckets(expected)));
    }

    #[test]
    fn bucket_policy_new_version_keeps_buckets_already_granted() {
        let policy = CustomPolicy {
            name: OSS_BUCKETS_POLICY.into(),
            description: String::new(),
            rule: DocumentRule::CoversBuckets(["new-bucket".to_string()].into()),
        };
        let old = policy_doc::bucket_policy_document(&["old-bucket".to_string()].into());
        assert!(!policy.is_satisfied_by(&old));
        let written = policy.document_to_write(Some(&old));
        let both: BTreeSet<String> = ["new-bucket".to_string(), "old-bucket".to_string()].into();
        assert_eq!(policy_doc::granted_buckets(&written), both);
        assert!(policy.is_satisfied_by(&written));
        assert_eq!(
            policy_doc::granted_buckets(&policy.document_to_write(None)),
            ["new-bucket".to_string()].into()
        );
    }

    #[test]
    fn resource_group_scope_is_carried() {
        let mut r = GrantRequest::for_account("1234567890123456");
        r.resource_group_id = Some("rg-abc".into());
        assert_eq!(Desired::from_request(&r).scope, Scope::ResourceGroup("rg-abc".into()));
    }

    #[test]
    fn user_defaults_follow_the_oss_mode_and_the_workspace() {
        let mut r = GrantRequest::for_account("1234567890123456");
        r.users = Some(vec![UserGrant::named("alice")]);
        let d = Desired::from_request(&r);
        assert_eq!(
            d.users[0].policies,
            vec![PolicyRef::system(NAS_FULL_ACCESS), PolicyRef::system(OSS_FULL_ACCESS)]
        );
        assert!(d.users[0].workspace_roles.is_empty(), "no workspace, no membership");

        r.workspace_id = Some("81231".into());
        r.oss_buckets = Some(vec!["data".into()]);
        let d = Desired::from_request(&r);
        assert_eq!(
            d.users[0].policies,
            vec![
                PolicyRef::system(NAS_FULL_ACCESS),
                PolicyRef::custom(OSS_BUCKETS_POLICY)
            ]
        );
        assert_eq!(d.users[0].workspace_roles, vec![DEFAULT_WORKSPACE_ROLE.to_string()]);
    }

    #[test]
    fn explicit_user_policies_and_roles_are_deduplicated_and_typed() {
        let mut r = GrantRequest::for_account("1234567890123456");
        r.workspace_id = Some("81231".into());
        r.users = Some(vec![UserGrant {
            name: "bob".into(),
            policies: Some(vec![
                "AliyunNASFullAccess".into(),
                "Custom:TeamPolicy".into(),
                "System:AliyunNASFullAccess".into(),
            ]),
            workspace_roles: Some(vec!["PAI.WorkspaceAdmin".into(), "PAI.WorkspaceAdmin".into()]),
        }]);
        let d = Desired::from_request(&r);
        assert_eq!(
            d.users[0].policies,
            vec![PolicyRef::system(NAS_FULL_ACCESS), PolicyRef::custom("TeamPolicy")]
        );
        assert_eq!(d.users[0].workspace_roles, vec!["PAI.WorkspaceAdmin".to_string()]);
    }

    #[test]
    fn explicit_empty_lists_mean_nothing_for_that_user() {
        let mut r = GrantRequest::for_account("1234567890123456");
        r.workspace_id = Some("81231".into());
        r.users = Some(vec![UserGrant {
            name: "bob".into(),
            policies: Some(vec![]),
            workspace_roles: Some(vec![]),
        }]);
        let d = Desired::from_request(&r);
        assert!(d.users[0].policies.is_empty() && d.users[0].workspace_roles.is_empty());
    }

    #[test]
    fn user_policy_spec_parsing() {
        assert_eq!(
            PolicyRef::parse_user_spec("AliyunOSSFullAccess"),
            Ok(PolicyRef::system(OSS_FULL_ACCESS))
        );
        assert_eq!(PolicyRef::parse_user_spec("custom:Mine"), Ok(PolicyRef::custom("Mine")));
        assert_eq!(
            PolicyRef::parse_user_spec(OSS_BUCKETS_POLICY),
            Ok(PolicyRef::custom(OSS_BUCKETS_POLICY))
        );
        for bad in ["", "Team:Mine", "System:", "has space", "under_score", &"a".repeat(129)] {
            assert!(PolicyRef::parse_user_spec(bad).is_err(), "{bad:?}");
        }
    }
}
