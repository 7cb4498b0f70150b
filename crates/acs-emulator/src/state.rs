//! The emulated account: every entity the APIs read and change, built from a [`Seed`] or loaded
//! from a state file. Pure data and logic; the server holds it behind one lock so calls are
//! linearizable.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use acs::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::{self, Api};
use crate::error::{ApiError, Error};
use crate::policy::{Context, PolicyDocument, TrustPolicy, evaluate};
use crate::seed::{PrincipalKind, Seed, SeedPolicyRef};

/// Expired STS sessions are kept this long, so their use is answered `InvalidSecurityToken.Expired`
/// rather than `InvalidAccessKeyId.NotFound`.
pub(crate) const EXPIRED_SESSION_GRACE: i64 = 3600;

/// STS sessions remembered at most. Real STS tokens carry their own secret, so STS keeps no
/// per-session state and has no such limit; the emulator stores sessions, and without a cap a
/// long AssumeRole loop would grow memory (and the state file) without end.
pub const MAX_SESSIONS: usize = 100_000;

/// `YYYY-MM-DDTHH:MM:SSZ`, RAM's date format.
pub(crate) fn ram_date(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A workspace member's ID: stable for the same user in the same workspace.
pub(crate) fn member_id(workspace_id: &str, user_id: &str) -> String {
    numeric_id(&format!("member:{workspace_id}:{user_id}"), 3, 19)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, PAI's date format.
pub(crate) fn pai_date(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A stable numeric ID of `digits` digits for `seed` (FNV-1a), so the same entity gets the same
/// ID in every run and the README can name them.
pub(crate) fn numeric_id(seed: &str, lead: u8, digits: u32) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let width = (digits - 1) as usize;
    let modulus = 10u64.pow(digits - 1);
    format!("{}{:0width$}", char::from(b'0' + lead % 10), hash % modulus)
}

/// `System` or `Custom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PolicyType {
    System,
    Custom,
}

impl PolicyType {
    pub(crate) fn parse(value: &str) -> Result<Self, ApiError> {
        match value {
            "System" => Ok(Self::System),
            "Custom" => Ok(Self::Custom),
            _ => Err(ApiError::invalid_value("PolicyType")),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::Custom => "Custom",
        }
    }
}

/// A static access key from the seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessKey {
    pub access_key_secret: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_token: Option<Secret>,
    pub kind: PrincipalKind,
    #[serde(default)]
    pub name: String,
}

/// STS credentials issued by AssumeRole.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Session {
    pub access_key_secret: Secret,
    pub security_token: Secret,
    pub role_name: String,
    pub session_name: String,
    /// Unix seconds.
    pub expiration: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip)]
    pub parsed_policy: Option<Arc<PolicyDocument>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Role {
    pub role_id: String,
    pub role_name: String,
    pub description: String,
    pub assume_role_policy_document: String,
    pub max_session_duration: u32,
    pub allow_console_login: bool,
    pub create_date: String,
    pub update_date: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyVersion {
    pub version_id: String,
    pub document: String,
    pub create_date: String,
    #[serde(skip)]
    pub parsed: Option<Arc<PolicyDocument>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomPolicy {
    pub policy_name: String,
    pub description: String,
    pub create_date: String,
    pub update_date: String,
    pub default_version: String,
    /// Oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number of the last version ever created (IDs are never reused).
    pub last_version: u32,
}

impl CustomPolicy {
    pub(crate) fn version(&self, id: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.version_id == id)
    }

    pub(crate) fn default_document(&self) -> Option<&PolicyVersion> {
        self.version(&self.default_version)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub user_id: String,
    pub user_name: String,
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub mobile_phone: String,
    #[serde(default)]
    pub comments: String,
    pub create_date: String,
    pub update_date: String,
}

/// Who a policy is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "lowercase")]
pub(crate) enum Grantee {
    Role(String),
    User(String),
}

impl Grantee {
    /// The same role or user: RAM names are case-insensitive.
    pub(crate) fn same_as(&self, other: &Grantee) -> bool {
        match (self, other) {
            (Self::Role(a), Self::Role(b)) | (Self::User(a), Self::User(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attachment {
    pub grantee: Grantee,
    pub policy_type: PolicyType,
    pub policy_name: String,
    /// The account ID (account scope) or a resource group ID.
    pub scope: String,
    pub attach_date: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceGroup {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Member {
    pub member_id: String,
    pub user_id: String,
    pub roles: Vec<String>,
    pub create_time: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Workspace {
    pub workspace_id: String,
    pub workspace_name: String,
    pub resource_group_id: Option<String>,
    pub create_time: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActivatedService {
    pub service: String,
    pub order_id: String,
    pub date: String,
}

/// The whole account. Maps are keyed by the lower-cased name where RAM names are
/// case-insensitive (roles, users, custom policies), by the exact ID otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct State {
    pub account_id: String,
    pub access_keys: BTreeMap<String, AccessKey>,
    pub sessions: BTreeMap<String, Session>,
    pub roles: BTreeMap<String, Role>,
    pub policies: BTreeMap<String, CustomPolicy>,
    pub users: BTreeMap<String, User>,
    pub attachments: Vec<Attachment>,
    pub resource_groups: Vec<ResourceGroup>,
    pub workspaces: BTreeMap<String, Workspace>,
    pub activated_services: Vec<ActivatedService>,
}

/// Who is calling, as authenticated.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub kind: IdentityKind,
    /// The session policy of an AssumeRole session, intersected with the role's policies.
    pub session_policy: Option<Arc<PolicyDocument>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdentityKind {
    Account,
    User { name: String },
    Role { name: String, session_name: String },
}

impl State {
    /// Builds the account a seed describes.
    pub(crate) fn from_seed(seed: &Seed, now: jiff::Timestamp) -> Result<Self, Error> {
        let invalid = |m: String| Error::InvalidSeed(m);
        if seed.account_id.is_empty() || !seed.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("accountId {:?} must be digits", seed.account_id)));
        }
        let date = ram_date(now);
        let mut state = Self {
            account_id: seed.account_id.clone(),
            access_keys: BTreeMap::new(),
            sessions: BTreeMap::new(),
            roles: BTreeMap::new(),
            policies: BTreeMap::new(),
            users: BTreeMap::new(),
            attachments: Vec::new(),
            resource_groups: seed
                .resource_groups
                .iter()
                .map(|g| ResourceGroup {
                    id: g.id.clone(),
                    name: g.name.clone(),
                })
                .collect(),
            workspaces: BTreeMap::new(),
            activated_services: Vec::new(),
        };
        let json_text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for p in &seed.policies {
            let text = json_text(&p.document);
            let parsed = PolicyDocument::parse(&text).map_err(|e| invalid(format!("policy {}: {e}", p.name)))?;
            if state.policies.contains_key(&p.name.to_lowercase()) {
                return Err(invalid(format!("policy {} is defined twice", p.name)));
            }
            state.policies.insert(
                p.name.to_lowercase(),
                CustomPolicy {
                    policy_name: p.name.clone(),
                    description: p.description.clone().unwrap_or_default(),
                    create_date: date.clone(),
                    update_date: date.clone(),
                    default_version: "v1".into(),
                    versions: vec![PolicyVersion {
                        version_id: "v1".into(),
                        document: text,
                        create_date: date.clone(),
                        parsed: Some(Arc::new(parsed)),
                    }],
                    last_version: 1,
                },
            );
        }
        for r in &seed.roles {
            let text = json_text(&r.trust_policy);
            TrustPolicy::parse(&text).map_err(|e| invalid(format!("role {} trust policy: {e}", r.name)))?;
            if state.roles.contains_key(&r.name.to_lowercase()) {
                return Err(invalid(format!("role {} is defined twice", r.name)));
            }
            state.roles.insert(
                r.name.to_lowercase(),
                Role {
                    role_id: state.role_id(&r.name),
                    role_name: r.name.clone(),
                    description: r.description.clone().unwrap_or_default(),
                    assume_role_policy_document: text,
                    max_session_duration: r.max_session_duration.unwrap_or(3600),
                    allow_console_login: false,
                    create_date: date.clone(),
                    update_date: date.clone(),
                },
            );
            for p in &r.policies {
                state.seed_attach(Grantee::Role(r.name.clone()), p, &date)?;
            }
        }
        for u in &seed.users {
            if state.users.contains_key(&u.name.to_lowercase()) {
                return Err(invalid(format!("user {} is defined twice", u.name)));
            }
            state.users.insert(
                u.name.to_lowercase(),
                User {
                    user_id: state.user_id(&u.name),
                    user_name: u.name.clone(),
                    display_name: u.display_name.clone().unwrap_or_else(|| u.name.clone()),
                    email: String::new(),
                    mobile_phone: String::new(),
                    comments: String::new(),
                    create_date: date.clone(),
                    update_date: date.clone(),
                },
            );
            for p in &u.policies {
                state.seed_attach(Grantee::User(u.name.clone()), p, &date)?;
            }
        }
        for k in &seed.access_keys {
            if state.access_keys.contains_key(&k.access_key_id) {
                return Err(invalid(format!("access key {} is defined twice", k.access_key_id)));
            }
            let known = match k.principal.kind {
                PrincipalKind::Account => true,
                PrincipalKind::User => state.users.contains_key(&k.principal.name.to_lowercase()),
                PrincipalKind::Role => state.roles.contains_key(&k.principal.name.to_lowercase()),
            };
            if !known {
                return Err(invalid(format!(
                    "access key {} belongs to an unknown {:?} {:?}",
                    k.access_key_id, k.principal.kind, k.principal.name
                )));
            }
            state.access_keys.insert(
                k.access_key_id.clone(),
                AccessKey {
                    access_key_secret: k.access_key_secret.clone(),
                    security_token: k.security_token.clone(),
                    kind: k.principal.kind,
                    name: k.principal.name.clone(),
                },
            );
        }
        let pai_now = pai_date(now);
        for w in &seed.workspaces {
            if let Some(rg) = &w.resource_group_id
                && !state.resource_groups.iter().any(|g| &g.id == rg)
            {
                return Err(invalid(format!(
                    "workspace {} is in an unknown resource group {rg}",
                    w.workspace_id
                )));
            }
            let mut members = Vec::new();
            for m in &w.members {
                let user = state
                    .users
                    .get(&m.user.to_lowercase())
                    .ok_or_else(|| invalid(format!("workspace member {} is not a user", m.user)))?;
                if let Some(bad) = m.roles.iter().find(|r| !catalog::WORKSPACE_ROLES.contains(&r.as_str())) {
                    return Err(invalid(format!("unknown workspace role {bad}")));
                }
                members.push(Member {
                    member_id: member_id(&w.workspace_id, &user.user_id),
                    user_id: user.user_id.clone(),
                    roles: m.roles.clone(),
                    create_time: pai_now.clone(),
                });
            }
            state.workspaces.insert(
                w.workspace_id.clone(),
                Workspace {
                    workspace_id: w.workspace_id.clone(),
                    workspace_name: w.workspace_name.clone(),
                    resource_group_id: w.resource_group_id.clone(),
                    create_time: pai_now.clone(),
                    members,
                },
            );
        }
        for s in &seed.activated_services {
            if s != "oss" && s != "nas" {
                return Err(invalid(format!("unknown service {s:?} (oss or nas)")));
            }
            state.activated_services.push(ActivatedService {
                service: s.clone(),
                order_id: state.order_id(s),
                date: date.clone(),
            });
        }
        Ok(state)
    }

    fn seed_attach(&mut self, grantee: Grantee, p: &SeedPolicyRef, date: &str) -> Result<(), Error> {
        let policy_type = PolicyType::parse(&p.kind)
            .map_err(|_| Error::InvalidSeed(format!("policy type {:?} must be System or Custom", p.kind)))?;
        let name = self
            .canonical_policy_name(policy_type, &p.name)
            .ok_or_else(|| Error::InvalidSeed(format!("unknown {} policy {}", p.kind, p.name)))?;
        self.attachments.push(Attachment {
            grantee,
            policy_type,
            policy_name: name,
            scope: self.account_id.clone(),
            attach_date: date.to_owned(),
        });
        Ok(())
    }

    /// After loading a state file: parses every stored document again (parsed forms are not
    /// persisted) and refuses a file whose documents are no longer valid.
    pub(crate) fn reindex(&mut self) -> Result<(), String> {
        for p in self.policies.values_mut() {
            for v in &mut p.versions {
                let parsed = PolicyDocument::parse(&v.document)
                    .map_err(|e| format!("policy {} {}: {e}", p.policy_name, v.version_id))?;
                v.parsed = Some(Arc::new(parsed));
            }
        }
        for s in self.sessions.values_mut() {
            if let Some(text) = &s.policy {
                let parsed = PolicyDocument::parse(text).map_err(|e| format!("session policy: {e}"))?;
                s.parsed_policy = Some(Arc::new(parsed));
            }
        }
        Ok(())
    }

    pub(crate) fn role_id(&self, name: &str) -> String {
        numeric_id(&format!("role:{}:{}", self.account_id, name.to_lowercase()), 3, 19)
    }

    pub(crate) fn user_id(&self, name: &str) -> String {
        numeric_id(&format!("user:{}:{}", self.account_id, name.to_lowercase()), 2, 16)
    }

    /// The order that activated `service` (`oss` / `nas`).
    pub(crate) fn order_id(&self, service: &str) -> String {
        numeric_id(&format!("order:{}:{service}", self.account_id), 2, 15)
    }

    pub(crate) fn role_arn(&self, name: &str) -> String {
        format!("acs:ram::{}:role/{}", self.account_id, name.to_lowercase())
    }

    // Resource ARNs as RAM's authorisation tables list them (Resource Management "RAM
    // authorization", RAM API docs): creating an entity is authorised on the collection
    // (`role/*`), not on the name being created; system policies live under the `system` account.

    /// `name` = `*` for CreateRole.
    pub(crate) fn role_resource(&self, name: &str) -> String {
        format!("acs:ram:*:{}:role/{name}", self.account_id)
    }

    /// `name` = `*` for CreateUser.
    pub(crate) fn user_resource(&self, name: &str) -> String {
        format!("acs:ram:*:{}:user/{name}", self.account_id)
    }

    /// A custom policy of this account (`name` = `*` for CreatePolicy), or with
    /// `PolicyType::System` a system policy.
    pub(crate) fn policy_resource(&self, policy_type: PolicyType, name: &str) -> String {
        match policy_type {
            PolicyType::System => format!("acs:ram:*:system:policy/{name}"),
            PolicyType::Custom => format!("acs:ram:*:{}:policy/{name}", self.account_id),
        }
    }

    pub(crate) fn workspace_resource(&self, id: &str) -> String {
        format!("acs:paiworkspace:*:{}:workspace/{id}", self.account_id)
    }

    pub(crate) fn role_principal_name(&self, role_name: &str) -> String {
        format!("{role_name}@role.{}.onaliyunservice.com", self.account_id)
    }

    pub(crate) fn user_principal_name(&self, user_name: &str) -> String {
        format!("{user_name}@{}.onaliyun.com", self.account_id)
    }

    /// How ResourceManager names a grantee: `(PrincipalType, PrincipalName)`.
    pub(crate) fn rm_principal(&self, grantee: &Grantee) -> (&'static str, String) {
        match grantee {
            Grantee::Role(n) => ("ServiceRole", self.role_principal_name(n)),
            Grantee::User(n) => ("IMSUser", self.user_principal_name(n)),
        }
    }

    /// The stored spelling of a policy name, if such a policy exists.
    pub(crate) fn canonical_policy_name(&self, policy_type: PolicyType, name: &str) -> Option<String> {
        match policy_type {
            PolicyType::System => catalog::system_policy(name).map(|p| p.name.to_owned()),
            PolicyType::Custom => self.policies.get(&name.to_lowercase()).map(|p| p.policy_name.clone()),
        }
    }

    /// `(description, default version)` of an existing policy.
    pub(crate) fn policy_summary(&self, policy_type: PolicyType, name: &str) -> (String, String) {
        match policy_type {
            PolicyType::System => catalog::system_policy(name)
                .map(|p| (p.description.to_owned(), "v1".to_owned()))
                .unwrap_or_default(),
            PolicyType::Custom => self
                .policies
                .get(&name.to_lowercase())
                .map(|p| (p.description.clone(), p.default_version.clone()))
                .unwrap_or_default(),
        }
    }

    /// The default document of a policy: borrowed from the catalogue or the parsed version kept
    /// with the state (parsed again only if that cache is somehow missing).
    fn document_of(&self, policy_type: PolicyType, name: &str) -> Option<Cow<'_, PolicyDocument>> {
        match policy_type {
            PolicyType::System => catalog::system_policy(name).map(|p| Cow::Borrowed(&p.document)),
            PolicyType::Custom => {
                let version = self.policies.get(&name.to_lowercase())?.default_document()?;
                match &version.parsed {
                    Some(parsed) => Some(Cow::Borrowed(parsed.as_ref())),
                    None => PolicyDocument::parse(&version.document).ok().map(Cow::Owned),
                }
            }
        }
    }

    /// The ARN a trust policy names the caller by.
    pub(crate) fn caller_arn(&self, kind: &IdentityKind) -> String {
        match kind {
            IdentityKind::Account => format!("acs:ram::{}:root", self.account_id),
            IdentityKind::User { name } => format!("acs:ram::{}:user/{name}", self.account_id),
            IdentityKind::Role { name, .. } => format!("acs:ram::{}:role/{}", self.account_id, name.to_lowercase()),
        }
    }

    /// Checks `api`'s permission on every resource against the caller's policies: account-scope
    /// attachments, plus resource-group-scope ones for resources in that group (`resource_group`).
    pub(crate) fn authorize(
        &self,
        identity: &Identity,
        api: Api,
        resources: &[String],
        resource_group: Option<&str>,
        context: &Context,
    ) -> Result<(), ApiError> {
        let permission = api.permission();
        if permission.is_empty() {
            return Ok(());
        }
        let grantee = match &identity.kind {
            IdentityKind::Account => return Ok(()),
            IdentityKind::User { name } => Grantee::User(name.clone()),
            IdentityKind::Role { name, .. } => Grantee::Role(name.clone()),
        };
        let documents: Vec<Cow<'_, PolicyDocument>> = self
            .attachments
            .iter()
            .filter(|a| {
                a.grantee.same_as(&grantee) && (a.scope == self.account_id || Some(a.scope.as_str()) == resource_group)
            })
            .filter_map(|a| self.document_of(a.policy_type, &a.policy_name))
            .collect();
        for resource in resources {
            let allowed = evaluate(documents.iter().map(AsRef::as_ref), permission, resource, context).is_allowed()
                && identity
                    .session_policy
                    .as_ref()
                    .is_none_or(|p| evaluate([p.as_ref()], permission, resource, context).is_allowed());
            if !allowed {
                return Err(ApiError::no_permission());
            }
        }
        Ok(())
    }

    /// Makes room for one more session: drops those expired for longer than
    /// [`EXPIRED_SESSION_GRACE`] (a recently expired token is still answered as expired), then,
    /// at [`MAX_SESSIONS`], the one closest to expiry — the likeliest to be abandoned already.
    pub(crate) fn make_room_for_session(&mut self, now: i64) {
        self.sessions
            .retain(|_, s| s.expiration.saturating_add(EXPIRED_SESSION_GRACE) > now);
        while self.sessions.len() >= MAX_SESSIONS {
            let Some(oldest) = self
                .sessions
                .iter()
                .min_by_key(|(_, s)| s.expiration)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            self.sessions.remove(&oldest);
        }
    }

    /// The `/__emulator/state` view: entities without any secret.
    pub(crate) fn dump(&self) -> Value {
        let attached = |grantee: &Grantee| -> Vec<Value> {
            self.attachments
                .iter()
                .filter(|a| a.grantee.same_as(grantee) && a.scope == self.account_id)
                .map(|a| json!({"type": a.policy_type.as_str(), "name": a.policy_name, "attachDate": a.attach_date}))
                .collect()
        };
        let roles: Vec<Value> = self
            .roles
            .values()
            .map(|r| {
                let trust: Value = serde_json::from_str(&r.assume_role_policy_document).unwrap_or(Value::Null);
                json!({
                    "name": r.role_name,
                    "roleId": r.role_id,
                    "arn": self.role_arn(&r.role_name),
                    "description": r.description,
                    "maxSessionDuration": r.max_session_duration,
                    "trustPolicy": trust,
                    "assumeRolePolicyDocument": r.assume_role_policy_document,
                    "policies": attached(&Grantee::Role(r.role_name.clone())),
                    "createDate": r.create_date,
                    "updateDate": r.update_date,
                })
            })
            .collect();
        let policies: Vec<Value> = self
            .policies
            .values()
            .map(|p| {
                json!({
                    "name": p.policy_name,
                    "description": p.description,
                    "defaultVersion": p.default_version,
                    "versions": p.versions.iter().map(|v| json!({
                        "versionId": v.version_id,
                        "isDefault": v.version_id == p.default_version,
                        "document": serde_json::from_str::<Value>(&v.document).unwrap_or(Value::Null),
                        "createDate": v.create_date,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let users: Vec<Value> = self
            .users
            .values()
            .map(|u| {
                json!({
                    "name": u.user_name,
                    "userId": u.user_id,
                    "displayName": u.display_name,
                    "policies": attached(&Grantee::User(u.user_name.clone())),
                })
            })
            .collect();
        let rg_attachments: Vec<Value> = self
            .attachments
            .iter()
            .filter(|a| a.scope != self.account_id)
            .map(|a| {
                let (principal_type, principal_name) = self.rm_principal(&a.grantee);
                json!({
                    "policyType": a.policy_type.as_str(),
                    "policyName": a.policy_name,
                    "principalType": principal_type,
                    "principalName": principal_name,
                    "resourceGroupId": a.scope,
                    "attachDate": a.attach_date,
                })
            })
            .collect();
        let workspaces: Vec<Value> = self
            .workspaces
            .values()
            .map(|w| {
                json!({
                    "workspaceId": w.workspace_id,
                    "workspaceName": w.workspace_name,
                    "resourceGroupId": w.resource_group_id,
                    "members": w.members.iter().map(|m| json!({
                        "memberId": m.member_id,
                        "userId": m.user_id,
                        "userName": self.user_by_id(&m.user_id).map(|u| u.user_name.clone()),
                        "roles": m.roles,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "accountId": self.account_id,
            "roles": roles,
            "policies": policies,
            "users": users,
            "resourceGroups": self.resource_groups.iter().map(|g| json!({"id": g.id, "name": g.name})).collect::<Vec<_>>(),
            "resourceGroupAttachments": rg_attachments,
            "workspaces": workspaces,
            "activatedServices": self.activated_services.iter().map(|s| s.service.clone()).collect::<Vec<_>>(),
            "activeSessions": self.sessions.len(),
        })
    }

    pub(crate) fn user_by_id(&self, user_id: &str) -> Option<&User> {
        self.users.values().find(|u| u.user_id == user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{DEMO_ACCOUNT_ID, DEMO_OPERATOR_USER, DEMO_ROLE_NAME};

    fn demo() -> State {
        State::from_seed(&Seed::demo(), jiff::Timestamp::UNIX_EPOCH).expect("demo seed is valid")
    }

    #[test]
    fn numeric_ids_are_stable_and_have_the_requested_shape() {
        let a = numeric_id("role:1:x", 3, 19);
        assert_eq!(a, numeric_id("role:1:x", 3, 19));
        assert_ne!(a, numeric_id("role:1:y", 3, 19));
        assert_eq!(a.len(), 19);
        assert!(a.starts_with('3'));
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn the_demo_seed_builds_the_documented_account() {
        let s = demo();
        assert_eq!(s.account_id, DEMO_ACCOUNT_ID);
        assert!(s.roles.contains_key(DEMO_ROLE_NAME));
        assert!(!s.roles.contains_key("aliyunpaidlcdefaultrole"));
        assert_eq!(s.users.len(), 4);
        assert!(s.workspaces.contains_key("81231"));
        assert_eq!(s.attachments.len(), 2);
    }

    #[test]
    fn seeds_referring_to_unknown_things_are_refused() {
        let mut seed = Seed::demo();
        seed.roles[0].policies[0].name = "Nope".into();
        assert!(
            matches!(State::from_seed(&seed, jiff::Timestamp::UNIX_EPOCH), Err(Error::InvalidSeed(m)) if m.contains("Nope"))
        );
        let mut seed = Seed::demo();
        seed.access_keys[0].principal.name = "ghost".into();
        assert!(
            matches!(State::from_seed(&seed, jiff::Timestamp::UNIX_EPOCH), Err(Error::InvalidSeed(m)) if m.contains("ghost"))
        );
        let mut seed = Seed::demo();
        seed.policies[0].document = Value::String("{not json".into());
        assert!(matches!(
            State::from_seed(&seed, jiff::Timestamp::UNIX_EPOCH),
            Err(Error::InvalidSeed(_))
        ));
        let mut seed = Seed::demo();
        seed.roles[0].trust_policy =
            json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]});
        assert!(matches!(
            State::from_seed(&seed, jiff::Timestamp::UNIX_EPOCH),
            Err(Error::InvalidSeed(_))
        ));
        let mut seed = Seed::demo();
        seed.account_id = "abc".into();
        assert!(State::from_seed(&seed, jiff::Timestamp::UNIX_EPOCH).is_err());
    }

    #[test]
    fn a_seed_defining_an_access_key_twice_is_refused() {
        let mut seed = Seed::demo();
        let mut twin = seed.access_keys[1].clone();
        twin.access_key_id.clone_from(&seed.access_keys[0].access_key_id);
        seed.access_keys.push(twin);
        assert!(matches!(
            State::from_seed(&seed, jiff::Timestamp::UNIX_EPOCH),
            Err(Error::InvalidSeed(m)) if m.contains("defined twice")
        ));
    }

    fn session(expiration: i64) -> Session {
        Session {
            access_key_secret: Secret::new("s"),
            security_token: Secret::new("t"),
            role_name: DEMO_ROLE_NAME.into(),
            session_name: "s".into(),
            expiration,
            policy: None,
            parsed_policy: None,
        }
    }

    #[test]
    fn sessions_are_capped_and_the_one_closest_to_expiry_goes_first() {
        let mut s = demo();
        let now = 1_000_000;
        s.sessions
            .insert("STS.long-expired".into(), session(now - EXPIRED_SESSION_GRACE));
        s.sessions.insert("STS.just-expired".into(), session(now - 1));
        // A hand-edited state file may hold any expiration; the grace arithmetic must not overflow.
        s.sessions.insert("STS.forever".into(), session(i64::MAX));
        s.make_room_for_session(now);
        assert!(s.sessions.contains_key("STS.forever"));
        assert!(
            !s.sessions.contains_key("STS.long-expired"),
            "expired past the grace period"
        );
        assert!(
            s.sessions.contains_key("STS.just-expired"),
            "still answered InvalidSecurityToken.Expired"
        );
        s.sessions.clear();
        for i in 0..MAX_SESSIONS {
            let offset = i64::try_from(i).expect("small");
            s.sessions.insert(format!("STS.{i:06}"), session(now + 1000 + offset));
        }
        s.sessions.insert("STS.first-to-expire".into(), session(now + 10));
        s.make_room_for_session(now);
        assert_eq!(s.sessions.len(), MAX_SESSIONS - 1, "room for exactly one more");
        assert!(!s.sessions.contains_key("STS.first-to-expire"));
        assert!(!s.sessions.contains_key("STS.000000"));
        assert!(s.sessions.contains_key("STS.000001"));
    }

    #[test]
    fn users_are_authorised_by_their_attached_policies_only() {
        let s = demo();
        let operator = Identity {
            kind: IdentityKind::User {
                name: DEMO_OPERATOR_USER.into(),
            },
            session_policy: None,
        };
        let role = s.role_resource(DEMO_ROLE_NAME);
        let ctx = Context::default();
        assert!(
            s.authorize(&operator, Api::AssumeRole, std::slice::from_ref(&role), None, &ctx)
                .is_ok()
        );
        assert_eq!(
            s.authorize(&operator, Api::GetRole, std::slice::from_ref(&role), None, &ctx),
            Err(ApiError::no_permission())
        );
        let granter = Identity {
            kind: IdentityKind::Role {
                name: DEMO_ROLE_NAME.into(),
                session_name: "s".into(),
            },
            session_policy: None,
        };
        assert!(
            s.authorize(&granter, Api::GetRole, std::slice::from_ref(&role), None, &ctx)
                .is_ok()
        );
        let limited = Identity {
            session_policy: Some(Arc::new(PolicyDocument::allow(&["ram:ListPoliciesForRole"], &["*"]))),
            ..granter
        };
        assert_eq!(
            s.authorize(&limited, Api::GetRole, std::slice::from_ref(&role), None, &ctx),
            Err(ApiError::no_permission())
        );
        let root = Identity {
            kind: IdentityKind::Account,
            session_policy: None,
        };
        assert!(s.authorize(&root, Api::CreateRole, &[role], None, &ctx).is_ok());
    }

    #[test]
    fn the_dump_names_entities_but_no_secret() {
        let s = demo();
        let text = s.dump().to_string();
        assert!(text.contains(DEMO_ROLE_NAME));
        assert!(text.contains("DlcauthOperatorPolicy"));
        assert!(!text.contains(crate::seed::DEMO_ACCESS_KEY_SECRET));
    }
}
