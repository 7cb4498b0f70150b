//! The seed: the account an emulator starts with (DESIGN §4.6), and the documented demo seed.
//!
//! Beyond the contract's fields (`accountId`, `accessKeys`, `roles`, `policies`, `users`) a seed may
//! carry, additively: `resourceGroups`, `workspaces` (PAI workspaces and their members) and
//! `activatedServices` (`"oss"`, `"nas"`); roles may carry `description` / `maxSessionDuration`,
//! users `displayName`, and an access key's principal may be `{"type": "account"}` (root keys).

use std::path::Path;

use acs::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::Error;

/// The demo account.
pub const DEMO_ACCOUNT_ID: &str = "1234567890123456";
/// The demo operator's AccessKeyId (RAM user `dlcauth-operator`, allowed only `sts:AssumeRole`).
pub const DEMO_ACCESS_KEY_ID: &str = "LTAI5tDemoOperator000001";
/// The demo operator's AccessKeySecret.
pub const DEMO_ACCESS_KEY_SECRET: &str = "DemoOperatorSecret0000000000001";
/// An AccessKeyId of RAM user `dlcauth-noperm`, which has no policy at all.
pub const DEMO_NOPERM_ACCESS_KEY_ID: &str = "LTAI5tDemoNoPerm00000001";
/// The unprivileged user's AccessKeySecret.
pub const DEMO_NOPERM_ACCESS_KEY_SECRET: &str = "DemoNoPermSecret00000000000001";
/// The demo operator's RAM user name.
pub const DEMO_OPERATOR_USER: &str = "dlcauth-operator";
/// The unprivileged RAM user's name.
pub const DEMO_NOPERM_USER: &str = "dlcauth-noperm";
/// The privileged role the operator may assume.
pub const DEMO_ROLE_NAME: &str = "dlcauth-granter";
/// Its ARN, as passed to AssumeRole.
pub const DEMO_ROLE_ARN: &str = "acs:ram::1234567890123456:role/dlcauth-granter";
/// The custom policy attached to the privileged role: exactly `policies/operator-policy.json`.
pub const DEMO_OPERATOR_POLICY_NAME: &str = "DlcauthOperatorPolicy";
/// The operator policy document, compiled in from the repository's single source of truth.
pub const DEMO_OPERATOR_POLICY: &str = include_str!("../../../policies/operator-policy.json");
/// The demo PAI workspace.
pub const DEMO_WORKSPACE_ID: &str = "81231";
/// The demo resource group (the workspace lives in it).
pub const DEMO_RESOURCE_GROUP_ID: &str = "rg-acfmdlcauthdemo01";
/// Plain RAM users of the demo account (no policies), candidates for workspace membership.
pub const DEMO_USERS: [&str; 2] = ["alice", "bob"];

/// The emulator's initial account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// The account UID.
    pub account_id: String,
    /// Keys that may call the emulator.
    #[serde(default)]
    pub access_keys: Vec<SeedAccessKey>,
    /// RAM roles.
    #[serde(default)]
    pub roles: Vec<SeedRole>,
    /// Custom policies (their document becomes version v1).
    #[serde(default)]
    pub policies: Vec<SeedPolicy>,
    /// RAM users.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Resource groups (the account ID itself is always a valid scope).
    #[serde(default)]
    pub resource_groups: Vec<SeedResourceGroup>,
    /// PAI workspaces.
    #[serde(default)]
    pub workspaces: Vec<SeedWorkspace>,
    /// Services already activated: `"oss"`, `"nas"`.
    #[serde(default)]
    pub activated_services: Vec<String>,
}

/// An access key and who it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedAccessKey {
    /// The AccessKeyId.
    pub access_key_id: String,
    /// The AccessKeySecret.
    pub access_key_secret: Secret,
    /// When set, requests must carry this SecurityToken (the key behaves like STS credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_token: Option<Secret>,
    /// The identity.
    pub principal: SeedPrincipal,
}

/// Who a key belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPrincipal {
    /// `user`, `role` or `account`.
    #[serde(rename = "type")]
    pub kind: PrincipalKind,
    /// The user or role name (ignored for `account`).
    #[serde(default)]
    pub name: String,
}

/// The kinds of identity a key may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A RAM user.
    User,
    /// A RAM role (the key is a role session's credentials).
    Role,
    /// The account itself (root keys: every action allowed but AssumeRole).
    Account,
}

/// `{"type": "System" | "Custom", "name": …}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPolicyRef {
    /// `System` or `Custom`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The policy name.
    pub name: String,
}

/// A role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRole {
    /// Its name.
    pub name: String,
    /// Its trust policy (a JSON object, or a string holding one).
    pub trust_policy: Value,
    /// Attached policies (account scope).
    #[serde(default)]
    pub policies: Vec<SeedPolicyRef>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its MaxSessionDuration in seconds (default 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<u32>,
}

/// A custom policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedPolicy {
    /// Its name.
    pub name: String,
    /// Its document (a JSON object, or a string holding one).
    pub document: Value,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A RAM user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUser {
    /// Its name.
    pub name: String,
    /// Attached policies (account scope).
    #[serde(default)]
    pub policies: Vec<SeedPolicyRef>,
    /// Its display name (default: the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// A resource group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedResourceGroup {
    /// Its ID (`rg-…`).
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A PAI workspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedWorkspace {
    /// Its ID.
    pub workspace_id: String,
    /// Its name.
    pub workspace_name: String,
    /// Its resource group (default: none, i.e. the account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,
    /// Members.
    #[serde(default)]
    pub members: Vec<SeedMember>,
}

/// A workspace member: a RAM user and its workspace roles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedMember {
    /// The RAM user's name.
    pub user: String,
    /// Workspace roles, e.g. `PAI.AlgoDeveloper`.
    pub roles: Vec<String>,
}

impl Seed {
    /// Reads a seed file.
    ///
    /// # Errors
    /// [`Error::ReadSeed`] / [`Error::ParseSeed`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadSeed {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| Error::ParseSeed {
            path: path.to_owned(),
            source,
        })
    }

    /// The documented demo account (crates/acs-emulator/README.md): a fresh account with an
    /// operator user that may assume `dlcauth-granter`, which holds exactly the operator policy.
    pub fn demo() -> Self {
        let policy_ref = |kind: &str, name: &str| SeedPolicyRef {
            kind: kind.to_owned(),
            name: name.to_owned(),
        };
        let user = |name: &str, policies: Vec<SeedPolicyRef>| SeedUser {
            name: name.to_owned(),
            policies,
            display_name: None,
        };
        // The operator policy file is owned by the grant engine; a document that is not valid JSON
        // is kept as a string so seeding reports it as a malformed policy instead of panicking.
        let operator_document = serde_json::from_str(DEMO_OPERATOR_POLICY)
            .unwrap_or_else(|_| Value::String(DEMO_OPERATOR_POLICY.to_owned()));
        Self {
            account_id: DEMO_ACCOUNT_ID.to_owned(),
            access_keys: vec![
                SeedAccessKey {
                    access_key_id: DEMO_ACCESS_KEY_ID.to_owned(),
                    access_key_secret: Secret::new(DEMO_ACCESS_KEY_SECRET),
                    security_token: None,
                    principal: SeedPrincipal {
                        kind: PrincipalKind::User,
                        name: DEMO_OPERATOR_USER.to_owned(),
                    },
                },
                SeedAccessKey {
                    access_key_id: DEMO_NOPERM_ACCESS_KEY_ID.to_owned(),
                    access_key_secret: Secret::new(DEMO_NOPERM_ACCESS_KEY_SECRET),
                    security_token: None,
                    principal: SeedPrincipal {
                        kind: PrincipalKind::User,
                        name: DEMO_NOPERM_USER.to_owned(),
                    },
                },
            ],
            roles: vec![SeedRole {
                name: DEMO_ROLE_NAME.to_owned(),
                trust_policy: json!({
                    "Statement": [{
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"RAM": [format!("acs:ram::{DEMO_ACCOUNT_ID}:user/{DEMO_OPERATOR_USER}")]}
                    }],
                    "Version": "1"
                }),
                policies: vec![policy_ref("Custom", DEMO_OPERATOR_POLICY_NAME)],
                description: Some("The privileged role dlcauth assumes to grant PAI-DLC access.".to_owned()),
                max_session_duration: None,
            }],
            policies: vec![SeedPolicy {
                name: DEMO_OPERATOR_POLICY_NAME.to_owned(),
                document: operator_document,
                description: Some("What dlcauth needs (policies/operator-policy.json).".to_owned()),
            }],
            users: vec![
                user(
                    DEMO_OPERATOR_USER,
                    vec![policy_ref("System", "AliyunSTSAssumeRoleAccess")],
                ),
                user(DEMO_NOPERM_USER, Vec::new()),
                user(DEMO_USERS[0], Vec::new()),
                user(DEMO_USERS[1], Vec::new()),
            ],
            resource_groups: vec![SeedResourceGroup {
                id: DEMO_RESOURCE_GROUP_ID.to_owned(),
                name: "dlcauth-demo".to_owned(),
            }],
            workspaces: vec![SeedWorkspace {
                workspace_id: DEMO_WORKSPACE_ID.to_owned(),
                workspace_name: "dlcauth_demo".to_owned(),
                resource_group_id: Some(DEMO_RESOURCE_GROUP_ID.to_owned()),
                members: Vec::new(),
            }],
            activated_services: Vec::new(),
        }
    }
}

impl Default for Seed {
    fn default() -> Self {
        Self::demo()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_seed_round_trips_through_its_json_format() -> Result<(), serde_json::Error> {
        let demo = Seed::demo();
        let text = serde_json::to_string(&demo)?;
        let back: Seed = serde_json::from_str(&text)?;
        assert_eq!(back.account_id, DEMO_ACCOUNT_ID);
        assert_eq!(back.access_keys.len(), 2);
        assert_eq!(back.access_keys[0].access_key_secret.expose(), DEMO_ACCESS_KEY_SECRET);
        assert_eq!(back.roles[0].name, DEMO_ROLE_NAME);
        Ok(())
    }

    #[test]
    fn debug_output_of_a_seed_never_shows_secrets() {
        let printed = format!("{:?}", Seed::demo());
        assert!(!printed.contains(DEMO_ACCESS_KEY_SECRET));
        assert!(!printed.contains(DEMO_NOPERM_ACCESS_KEY_SECRET));
        assert!(printed.contains(DEMO_ACCESS_KEY_ID));
    }

    #[test]
    fn the_contract_format_parses_and_unknown_fields_are_refused() {
        let text = r#"{"accountId": "1",
            "accessKeys": [{"accessKeyId": "AK", "accessKeySecret": "S", "securityToken": "T",
                            "principal": {"type": "role", "name": "r"}}],
            "roles": [{"name": "r", "trustPolicy": {"Version":"1"}, "policies": [{"type": "System", "name": "AdministratorAccess"}]}],
            "policies": [{"name": "p", "document": {"Version": "1"}}],
            "users": [{"name": "u", "policies": []}]}"#;
        let seed: Seed = serde_json::from_str(text).expect("contract format");
        assert_eq!(seed.access_keys[0].principal.kind, PrincipalKind::Role);
        assert!(seed.access_keys[0].security_token.is_some());
        assert!(serde_json::from_str::<Seed>(r#"{"accountId":"1","rolez":[]}"#).is_err());
    }

    #[test]
    fn the_demo_role_carries_the_operator_policy_file_verbatim() {
        let demo = Seed::demo();
        let expected: Value = serde_json::from_str(DEMO_OPERATOR_POLICY).expect("operator policy is JSON");
        assert_eq!(demo.policies[0].document, expected);
        assert_eq!(demo.roles[0].policies[0].name, DEMO_OPERATOR_POLICY_NAME);
        assert_eq!(
            DEMO_ROLE_ARN,
            format!("acs:ram::{DEMO_ACCOUNT_ID}:role/{DEMO_ROLE_NAME}")
        );
    }
}
