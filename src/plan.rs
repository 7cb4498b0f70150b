//! The pure diff: `(Desired, Observed) -> Plan`.
//!
//! A plan lists one item per desired fact, in a stable order: facts already true are
//! `Satisfied` (with the read that proved it), facts to make true are `Needed` with the wave they
//! run in, facts that cannot be made true by dlcauth are `Blocked`. Waves follow dependencies
//! only (an attach waits for the create of its role or policy), so independent actions share a
//! wave and run concurrently: a fresh account needs two write waves.

use crate::desired::{Desired, PolicyRef, Scope};
use crate::observed::{CallRecord, MAX_POLICY_VERSIONS, Observed};
use crate::policy_doc;

/// One change dlcauth can make. Carries everything the call needs, so applying is mechanical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Activate OSS for the account.
    OpenOssService,
    /// Activate NAS for the account.
    OpenNasService,
    /// Create the service role.
    CreateRole {
        /// Role name.
        role: String,
        /// Trust policy.
        trust_document: String,
        /// Description.
        description: String,
    },
    /// Replace the role's trust policy (with PAI added to what it had).
    UpdateRole {
        /// Role name.
        role: String,
        /// New trust policy.
        trust_document: String,
    },
    /// Create a custom policy.
    CreatePolicy {
        /// Policy name.
        policy: String,
        /// Document.
        document: String,
        /// Description.
        description: String,
    },
    /// Delete a non-default version to make room (5-version limit).
    DeletePolicyVersion {
        /// Policy name.
        policy: String,
        /// The version to delete; never the default.
        version_id: String,
    },
    /// Create a new default version.
    CreatePolicyVersion {
        /// Policy name.
        policy: String,
        /// Document.
        document: String,
    },
    /// Attach a policy to the role at account scope.
    AttachPolicyToRole {
        /// Role name.
        role: String,
        /// Policy.
        policy: PolicyRef,
    },
    /// Attach a policy to the role at resource-group scope (ResourceManager).
    AttachPolicy {
        /// Resource group.
        resource_group_id: String,
        /// Role name (the principal name is resolved when applying).
        role: String,
        /// Policy.
        policy: PolicyRef,
    },
    /// Attach a policy to a RAM user.
    AttachPolicyToUser {
        /// User name.
        user: String,
        /// Policy.
        policy: PolicyRef,
    },
    /// Make a user a workspace member with roles.
    CreateMember {
        /// Workspace.
        workspace_id: String,
        /// User name (for the report).
        user: String,
        /// The RAM UserId.
        user_id: String,
        /// Roles.
        roles: Vec<String>,
    },
    /// Give an existing member one more role.
    AddMemberRole {
        /// Workspace.
        workspace_id: String,
        /// User name (for the report).
        user: String,
        /// The RAM UserId (to find the membership again if needed).
        user_id: String,
        /// Membership.
        member_id: String,
        /// Role.
        role: String,
    },
}

impl Action {
    /// The Alibaba API the action calls.
    pub fn api_name(&self) -> &'static str {
        match self {
            Self::OpenOssService => "OpenOssService",
            Self::OpenNasService => "OpenNASService",
            Self::CreateRole { .. } => "CreateRole",
            Self::UpdateRole { .. } => "UpdateRole",
            Self::CreatePolicy { .. } => "CreatePolicy",
            Self::DeletePolicyVersion { .. } => "DeletePolicyVersion",
            Self::CreatePolicyVersion { .. } => "CreatePolicyVersion",
            Self::AttachPolicyToRole { .. } => "AttachPolicyToRole",
            Self::AttachPolicy { .. } => "AttachPolicy",
            Self::AttachPolicyToUser { .. } => "AttachPolicyToUser",
            Self::CreateMember { .. } => "CreateMember",
            Self::AddMemberRole { .. } => "AddMemberRole",
        }
    }

    /// What the action changes, as the report names it.
    pub fn target(&self) -> String {
        match self {
            Self::OpenOssService => "oss".into(),
            Self::OpenNasService => "nas".into(),
            Self::CreateRole { role, .. } | Self::UpdateRole { role, .. } => role.clone(),
            Self::CreatePolicy { policy, .. } | Self::CreatePolicyVersion { policy, .. } => policy.clone(),
            Self::DeletePolicyVersion { policy, version_id } => format!("{policy}/{version_id}"),
            Self::AttachPolicyToRole { role, policy } => format!("{role}/{}", policy.name),
            Self::AttachPolicy {
                resource_group_id,
                role,
                policy,
            } => format!("{resource_group_id}/{role}/{}", policy.name),
            Self::AttachPolicyToUser { user, policy } => format!("{user}/{}", policy.name),
            Self::CreateMember { workspace_id, user, .. } => format!("{workspace_id}/{user}"),
            Self::AddMemberRole {
                workspace_id,
                user,
                role,
                ..
            } => format!("{workspace_id}/{user}/{role}"),
        }
    }

    /// Activation cannot be observed without activating (there is no read API), so a read-only
    /// check cannot judge it.
    pub fn is_activation(&self) -> bool {
        matches!(self, Self::OpenOssService | Self::OpenNasService)
    }
}

/// Why a fact cannot be made true by dlcauth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A stable code (`EntityNotExist.User`, `TrustPolicyDenies`, …).
    pub code: String,
    /// What to do about it.
    pub message: String,
}

/// Where a plan item stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    /// Already true; the read proved it.
    Satisfied(CallRecord),
    /// To be done in this wave (1-based).
    Needed {
        /// The wave.
        wave: u32,
    },
    /// Cannot be done.
    Blocked(Problem),
}

/// One desired fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    /// The action making (or that would make) it true.
    pub action: Action,
    /// Where it stands.
    pub state: ItemState,
    /// Items (indices) that must succeed first; only `Needed` ones.
    pub deps: Vec<usize>,
}

impl PlanItem {
    /// The wave, if needed.
    pub fn wave(&self) -> Option<u32> {
        match self.state {
            ItemState::Needed { wave } => Some(wave),
            _ => None,
        }
    }
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Items in report order.
    pub items: Vec<PlanItem>,
}

impl Plan {
    /// Indices of needed items, grouped by wave, in wave order.
    pub fn waves(&self) -> Vec<Vec<usize>> {
        let max = self.items.iter().filter_map(PlanItem::wave).max().unwrap_or(0);
        (1..=max)
            .map(|w| {
                self.items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| item.wave() == Some(w))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect()
    }

    /// Whether nothing needs doing and nothing is blocked. Activation items count only when
    /// `include_activation` (a read-only check cannot tell whether a service is active).
    pub fn is_compliant(&self, include_activation: bool) -> bool {
        self.items.iter().all(|item| {
            matches!(item.state, ItemState::Satisfied(_)) || (!include_activation && item.action.is_activation())
        })
    }

    /// The index of the first item whose action matches `pred`.
    pub fn find(&self, pred: impl Fn(&Action) -> bool) -> Option<usize> {
        self.items.iter().position(|item| pred(&item.action))
    }

    fn push(&mut self, action: Action, state: PendingState, deps: Vec<usize>) -> usize {
        let state = match state {
            PendingState::Satisfied(read) => ItemState::Satisfied(read),
            PendingState::Blocked(problem) => ItemState::Blocked(problem),
            PendingState::Needed => {
                let wave = deps
                    .iter()
                    .filter_map(|d| self.items.get(*d).and_then(PlanItem::wave))
                    .max()
                    .unwrap_or(0)
                    + 1;
                ItemState::Needed { wave }
            }
        };
        let deps = deps
            .into_iter()
            .filter(|d| self.items.get(*d).and_then(PlanItem::wave).is_some())
            .collect();
        self.items.push(PlanItem { action, state, deps });
        self.items.len() - 1
    }

    /// The index of the item that creates the role or policy `action` depends on, if that
    /// creation is part of this plan.
    fn needed_create(&self, pred: impl Fn(&Action) -> bool) -> Option<usize> {
        self.find(pred)
            .filter(|i| self.items.get(*i).and_then(PlanItem::wave).is_some())
    }
}

enum PendingState {
    Satisfied(CallRecord),
    Needed,
    Blocked(Problem),
}

fn blocked(code: &str, message: String) -> PendingState {
    PendingState::Blocked(Problem {
        code: code.into(),
        message,
    })
}

/// Computes the plan. Pure: same inputs, same plan.
pub fn plan(desired: &Desired, observed: &Observed) -> Plan {
    let mut plan = Plan::default();

    if desired.activate_services {
        plan.push(Action::OpenOssService, PendingState::Needed, vec![]);
        plan.push(Action::OpenNasService, PendingState::Needed, vec![]);
    }

    plan_role(desired, observed, &mut plan);

    let role_created = plan.needed_create(|a| matches!(a, Action::CreateRole { .. }));

    for policy in &desired.custom_policies {
        plan_custom_policy(policy, observed, &mut plan);
    }

    for policy in &desired.role_policies {
        let mut deps: Vec<usize> = role_created.into_iter().collect();
        deps.extend(created_policy(&plan, policy));
        let attached_at_account = observed.role_policies.value.contains(policy);
        let (action, state) = match &desired.scope {
            Scope::Account => (
                Action::AttachPolicyToRole {
                    role: desired.role_name.clone(),
                    policy: policy.clone(),
                },
                if attached_at_account {
                    PendingState::Satisfied(observed.role_policies.read.clone())
                } else {
                    PendingState::Needed
                },
            ),
            Scope::ResourceGroup(rg) => {
                let at_rg = observed.rg_attachments.as_ref().and_then(|list| {
                    let principal = observed.role.value.as_ref().and_then(|r| r.principal_name.clone());
                    list.value
                        .iter()
                        .any(|a| {
                            a.policy == *policy
                                && a.resource_group_id == *rg
                                && is_role_principal(&a.principal_name, &desired.role_name, principal.as_deref())
                        })
                        .then(|| list.read.clone())
                });
                // An account-scope attachment already covers every resource group: attaching
                // again at a narrower scope would add nothing.
                let state = match (at_rg, attached_at_account) {
                    (Some(read), _) => PendingState::Satisfied(read),
                    (None, true) => PendingState::Satisfied(observed.role_policies.read.clone()),
                    (None, false) => PendingState::Needed,
                };
                (
                    Action::AttachPolicy {
                        resource_group_id: rg.clone(),
                        role: desired.role_name.clone(),
                        policy: policy.clone(),
                    },
                    state,
                )
            }
        };
        plan.push(action, state, deps);
    }

    for user in &desired.users {
        plan_user(desired, user, observed, &mut plan);
    }
    plan
}

/// Whether an RG attachment's principal is our role: by the principal name GetRole reported, or
/// by the `<Role>@role.` prefix when the role was not readable.
fn is_role_principal(principal_name: &str, role: &str, known: Option<&str>) -> bool {
    match known {
        Some(known) => principal_name.eq_ignore_ascii_case(known),
        None => principal_name
            .to_ascii_lowercase()
            .starts_with(&format!("{}@role.", role.to_ascii_lowercase())),
    }
}

fn created_policy(plan: &Plan, policy: &PolicyRef) -> Option<usize> {
    plan.needed_create(|a| matches!(a, Action::CreatePolicy { policy: name, .. } if *name == policy.name))
}

fn plan_role(desired: &Desired, observed: &Observed, plan: &mut Plan) {
    let state = match &observed.role.value {
        None => PendingState::Needed,
        Some(role) if policy_doc::trusts_service(&role.trust_document, &desired.trust_service) => {
            PendingState::Satisfied(observed.role.read.clone())
        }
        Some(role) => return plan_trust_update(desired, &role.trust_document, plan),
    };
    plan.push(
        Action::CreateRole {
            role: desired.role_name.clone(),
            trust_document: desired.trust_document.clone(),
            description: crate::desired::ROLE_DESCRIPTION.into(),
        },
        state,
        vec![],
    );
}

/// The role exists but does not trust the service: add it, unless the trust policy forbids it
/// or cannot be read.
fn plan_trust_update(desired: &Desired, trust: &str, plan: &mut Plan) {
    let (doc, state) = if policy_doc::denies_service(trust, &desired.trust_service) {
        (
            trust.to_owned(),
            blocked(
                "TrustPolicyDenies",
                format!(
                    "the trust policy of {} denies {}; dlcauth never removes statements, remove the Deny by hand",
                    desired.role_name, desired.trust_service
                ),
            ),
        )
    } else {
        match policy_doc::add_trusted_service(trust, &desired.trust_service) {
            Ok(doc) => (doc, PendingState::Needed),
            Err(e) => (
                trust.to_owned(),
                blocked(
                    "MalformedPolicyDocument",
                    format!("{e}; fix the trust policy of {} by hand", desired.role_name),
                ),
            ),
        }
    };
    plan.push(
        Action::UpdateRole {
            role: desired.role_name.clone(),
            trust_document: doc,
        },
        state,
        vec![],
    );
}

fn plan_custom_policy(policy: &crate::desired::CustomPolicy, observed: &Observed, plan: &mut Plan) {
    let Some(observation) = observed.custom_policies.get(&policy.name) else {
        // Not observed means not managed: nothing to plan (observe reads every desired policy).
        return;
    };
    let create = Action::CreatePolicy {
        policy: policy.name.clone(),
        document: policy.document_to_write(None),
        description: policy.description.clone(),
    };
    let Some(current) = &observation.value else {
        plan.push(create, PendingState::Needed, vec![]);
        return;
    };
    let default_doc = current.default_version().map(|v| v.document.as_str());
    if default_doc.is_some_and(|doc| policy.is_satisfied_by(doc)) {
        plan.push(create, PendingState::Satisfied(observation.read.clone()), vec![]);
        return;
    }
    let mut deps = Vec::new();
    if current.versions.len() >= MAX_POLICY_VERSIONS {
        match current.oldest_non_default() {
            Some(oldest) => deps.push(plan.push(
                Action::DeletePolicyVersion {
                    policy: policy.name.clone(),
                    version_id: oldest.version_id.clone(),
                },
                PendingState::Needed,
                vec![],
            )),
            None => {
                plan.push(
                    Action::CreatePolicyVersion {
                        policy: policy.name.clone(),
                        document: policy.document_to_write(default_doc),
                    },
                    blocked(
                        "LimitExceeded.Policy.Version",
                        format!(
                            "{} has {} versions and none can safely be deleted (every other one is the default, or the listing does not show which one is); delete one by hand",
                            policy.name,
                            current.versions.len()
                        ),
                    ),
                    vec![],
                );
                return;
            }
        }
    }
    plan.push(
        Action::CreatePolicyVersion {
            policy: policy.name.clone(),
            document: policy.document_to_write(default_doc),
        },
        PendingState::Needed,
        deps,
    );
}

fn plan_user(desired: &Desired, user: &crate::desired::DesiredUser, observed: &Observed, plan: &mut Plan) {
    let Some(seen) = observed.users.get(&user.name) else {
        return;
    };
    let missing_user = || {
        blocked(
            "EntityNotExist.User",
            format!(
                "RAM user {} does not exist in account {}; create it first, or fix the name",
                user.name, desired.account_id
            ),
        )
    };
    for policy in &user.policies {
        let action = Action::AttachPolicyToUser {
            user: user.name.clone(),
            policy: policy.clone(),
        };
        let state = if seen.user_id.value.is_none() {
            missing_user()
        } else if seen.policies.value.contains(policy) {
            PendingState::Satisfied(seen.policies.read.clone())
        } else {
            PendingState::Needed
        };
        let deps = created_policy(plan, policy).into_iter().collect();
        plan.push(action, state, deps);
    }

    let Some(workspace_id) = &desired.workspace_id else {
        return;
    };
    if user.workspace_roles.is_empty() {
        return;
    }
    let Some(user_id) = &seen.user_id.value else {
        plan.push(
            Action::CreateMember {
                workspace_id: workspace_id.clone(),
                user: user.name.clone(),
                user_id: String::new(),
                roles: user.workspace_roles.clone(),
            },
            missing_user(),
            vec![],
        );
        return;
    };
    let Some(membership) = &seen.membership else {
        return;
    };
    match &membership.value {
        None => {
            plan.push(
                Action::CreateMember {
                    workspace_id: workspace_id.clone(),
                    user: user.name.clone(),
                    user_id: user_id.clone(),
                    roles: user.workspace_roles.clone(),
                },
                PendingState::Needed,
                vec![],
            );
        }
        Some(member) => {
            for role in &user.workspace_roles {
                let state = if member.roles.iter().any(|r| r == role) {
                    PendingState::Satisfied(membership.read.clone())
                } else {
                    PendingState::Needed
                };
                plan.push(
                    Action::AddMemberRole {
                        workspace_id: workspace_id.clone(),
                        user: user.name.clone(),
                        user_id: user_id.clone(),
                        member_id: member.member_id.clone(),
                        role: role.clone(),
                    },
                    state,
                    vec![],
                );
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::desired::{
        NAS_FULL_ACCESS, OAUTH_POLICY, OAUTH_POLICY_DOCUMENT, OSS_BUCKETS_POLICY, OSS_FULL_ACCESS,
        PAI_SERVICE_PRINCIPAL, ROLE_NAME,
    };
    use crate::observed::{
        Member, Observation, ObservedPolicy, ObservedRole, ObservedUser, PolicyVersion, RgAttachment,
    };
    use crate::request::{GrantRequest, UserGrant};

    pub(crate) const ACCOUNT: &str = "1234567890123456";

    pub(crate) fn read(action: &'static str) -> CallRecord {
        CallRecord {
            action,
            request_id: Some(format!("req-{action}")),
            attempts: 1,
            duration_ms: 3,
        }
    }

    pub(crate) fn obs<T>(value: T, action: &'static str) -> Observation<T> {
        Observation::new(value, read(action))
    }

    pub(crate) fn fresh(desired: &Desired) -> Observed {
        Observed {
            role: obs(None, "GetRole"),
            role_policies: obs(vec![], "ListPoliciesForRole"),
            rg_attachments: match desired.scope {
                Scope::ResourceGroup(_) => Some(obs(vec![], "ListPolicyAttachments")),
                Scope::Account => None,
            },
            custom_policies: desired
                .custom_policies
                .iter()
                .map(|p| (p.name.clone(), obs(None, "ListPolicyVersions")))
                .collect(),
            users: desired
                .users
                .iter()
                .map(|u| {
                    (
                        u.name.clone(),
                        ObservedUser {
                            user_id: obs(Some(format!("uid-{}", u.name)), "GetUser"),
                            policies: obs(vec![], "ListPoliciesForUser"),
                            membership: (!u.workspace_roles.is_empty()).then(|| obs(None, "ListMembers")),
                        },
                    )
                })
                .collect(),
        }
    }

    pub(crate) fn compliant(desired: &Desired) -> Observed {
        let mut o = fresh(desired);
        o.role.value = Some(ObservedRole {
            arn: desired.role_arn(),
            trust_document: desired.trust_document.clone(),
            principal_name: Some(format!("{ROLE_NAME}@role.{ACCOUNT}.onaliyunservice.com")),
        });
        o.role_policies.value = desired.role_policies.clone();
        for policy in &desired.custom_policies {
            o.custom_policies.insert(
                policy.name.clone(),
                obs(
                    Some(ObservedPolicy {
                        versions: vec![PolicyVersion {
                            version_id: "v1".into(),
                            is_default: true,
                            document: policy.document_to_write(None),
                            create_date: "2024-01-01T00:00:00Z".into(),
                        }],
                    }),
                    "ListPolicyVersions",
                ),
            );
        }
        for user in &desired.users {
            if let Some(u) = o.users.get_mut(&user.name) {
                u.policies.value = user.policies.clone();
                if let Some(m) = &mut u.membership {
                    m.value = Some(Member {
                        member_id: format!("m-{}", user.name),
                        roles: user.workspace_roles.clone(),
                    });
                }
            }
        }
        o
    }

    fn names(plan: &Plan, wave: usize) -> Vec<String> {
        plan.waves()
            .get(wave)
            .map(|w| {
                w.iter()
                    .map(|i| {
                        format!(
                            "{} {}",
                            plan.items[*i].action.api_name(),
                            plan.items[*i].action.target()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn default_desired() -> Desired {
        Desired::from_request(&GrantRequest::for_account(ACCOUNT))
    }

    #[test]
    fn fresh_account_needs_two_waves_creates_then_attaches() {
        let d = default_desired();
        let p = plan(&d, &fresh(&d));
        assert_eq!(p.waves().len(), 2);
        assert_eq!(
            names(&p, 0),
            vec!["CreateRole AliyunPAIDLCDefaultRole", "CreatePolicy PaiDlcOAuthPolicy"]
        );
        assert_eq!(
            names(&p, 1),
            vec![
                "AttachPolicyToRole AliyunPAIDLCDefaultRole/AliyunPAIDLCDefaultRolePolicy",
                "AttachPolicyToRole AliyunPAIDLCDefaultRole/AliyunOSSFullAccess",
                "AttachPolicyToRole AliyunPAIDLCDefaultRole/PaiDlcOAuthPolicy",
            ]
        );
        assert!(!p.is_compliant(true));
        // The custom attach waits for both creates; system attaches only for the role.
        let oauth_attach = &p.items[4];
        assert_eq!(oauth_attach.deps, vec![0, 1]);
        assert_eq!(p.items[2].deps, vec![0]);
    }

    #[test]
    fn created_role_trusts_pai_and_policy_has_the_documented_statement() {
        let d = default_desired();
        let p = plan(&d, &fresh(&d));
        match &p.items[0].action {
            Action::CreateRole { trust_document, .. } => {
                assert!(policy_doc::trusts_service(trust_document, PAI_SERVICE_PRINCIPAL));
            }
            other => panic!("expected CreateRole, got {other:?}"),
        }
        match &p.items[1].action {
            Action::CreatePolicy { document, .. } => {
                assert!(policy_doc::semantically_equal(document, OAUTH_POLICY_DOCUMENT));
            }
            other => panic!("expected CreatePolicy, got {other:?}"),
        }
    }

    #[test]
    fn compliant_account_needs_nothing_and_every_item_cites_its_read() {
        let d = default_desired();
        let p = plan(&d, &compliant(&d));
        assert!(p.waves().is_empty());
        assert!(p.is_compliant(true));
        assert_eq!(p.items.len(), 5, "role, custom policy, three attachments");
        let reads: Vec<&str> = p
            .items
            .iter()
            .map(|i| match &i.state {
                ItemState::Satisfied(r) => r.action,
                _ => "not satisfied",
            })
            .collect();
        assert_eq!(
            reads,
            vec![
                "GetRole",
                "ListPolicyVersions",
                "ListPoliciesForRole",
                "ListPoliciesForRole",
                "ListPoliciesForRole"
            ]
        );
    }

    #[test]
    fn reformatted_policy_document_is_not_drift() {
        let d = default_desired();
        let mut o = compliant(&d);
        let reformatted = r#"{"Statement":[{"Effect":"Allow","Resource":"*","Action":["ram:DeleteAppSecret",
            "ram:DeleteApplication","ram:CreateAppSecret","ram:GetAppSecret","ram:ListAppSecretIds",
            "ram:CreateApplication","ram:ListApplications","ram:GetDefaultDomain"]}],"Version":"1"}"#;
        with_versions(&mut o, vec![version(1, true, reformatted)]);
        assert!(plan(&d, &o).is_compliant(true));
    }

    #[test]
    fn trust_without_pai_gets_pai_added_keeping_other_statements() -> Result<(), policy_doc::PolicyDocError> {
        let d = default_desired();
        let mut o = compliant(&d);
        let ecs_only = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}"#;
        if let Some(role) = &mut o.role.value {
            role.trust_document = ecs_only.into();
        }
        let p = plan(&d, &o);
        assert_eq!(names(&p, 0), vec!["UpdateRole AliyunPAIDLCDefaultRole"]);
        assert_eq!(
            p.waves().len(),
            1,
            "attachments of an existing role do not wait for the update"
        );
        let Action::UpdateRole { trust_document, .. } = &p.items[0].action else {
            panic!("expected UpdateRole");
        };
        assert!(policy_doc::trusts_service(trust_document, PAI_SERVICE_PRINCIPAL));
        assert!(trust_document.contains("ecs.aliyuncs.com"));
        assert_eq!(
            policy_doc::add_trusted_service(ecs_only, PAI_SERVICE_PRINCIPAL)?,
            *trust_document
        );
        Ok(())
    }

    #[test]
    fn trust_that_denies_pai_is_blocked_not_rewritten() {
        let d = default_desired();
        let mut o = compliant(&d);
        if let Some(role) = &mut o.role.value {
            role.trust_document = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":["pai.aliyuncs.com"]}}],"Version":"1"}"#.into();
        }
        let p = plan(&d, &o);
        assert!(matches!(&p.items[0].state, ItemState::Blocked(problem) if problem.code == "TrustPolicyDenies"));
        assert!(p.waves().is_empty());
        assert!(!p.is_compliant(true));
    }

    #[test]
    fn unreadable_trust_policy_is_blocked() {
        let d = default_desired();
        let mut o = compliant(&d);
        if let Some(role) = &mut o.role.value {
            role.trust_document = "[]".into();
        }
        let p = plan(&d, &o);
        assert!(matches!(&p.items[0].state, ItemState::Blocked(problem) if problem.code == "MalformedPolicyDocument"));
    }

    fn with_versions(o: &mut Observed, versions: Vec<PolicyVersion>) {
        o.custom_policies.insert(
            OAUTH_POLICY.into(),
            obs(Some(ObservedPolicy { versions }), "ListPolicyVersions"),
        );
    }

    fn version(n: u32, default: bool, doc: &str) -> PolicyVersion {
        PolicyVersion {
            version_id: format!("v{n}"),
            is_default: default,
            document: doc.into(),
            create_date: format!("2024-01-0{n}T00:00:00Z"),
        }
    }

    #[test]
    fn drifted_policy_gets_a_new_default_version() {
        let d = default_desired();
        let mut o = compliant(&d);
        let drifted =
            r#"{"Version":"1","Statement":[{"Action":"ram:GetDefaultDomain","Resource":"*","Effect":"Allow"}]}"#;
        with_versions(&mut o, vec![version(1, true, drifted)]);
        let p = plan(&d, &o);
        assert_eq!(names(&p, 0), vec!["CreatePolicyVersion PaiDlcOAuthPolicy"]);
        let Action::CreatePolicyVersion { document, .. } = &p.items[1].action else {
            panic!("expected CreatePolicyVersion");
        };
        assert!(policy_doc::semantically_equal(document, OAUTH_POLICY_DOCUMENT));
    }

    #[test]
    fn drift_at_the_version_limit_deletes_oldest_non_default_first() {
        let d = default_desired();
        let mut o = compliant(&d);
        let drifted = r#"{"Version":"1","Statement":[]}"#;
        // v3 is the default; v1 is the oldest non-default.
        with_versions(
            &mut o,
            vec![
                version(2, false, drifted),
                version(1, false, drifted),
                version(3, true, drifted),
                version(4, false, drifted),
                version(5, false, drifted),
            ],
        );
        let p = plan(&d, &o);
        assert_eq!(names(&p, 0), vec!["DeletePolicyVersion PaiDlcOAuthPolicy/v1"]);
        assert_eq!(names(&p, 1), vec!["CreatePolicyVersion PaiDlcOAuthPolicy"]);
    }

    #[test]
    fn at_the_limit_without_a_visible_default_nothing_is_deleted() {
        let d = default_desired();
        let mut o = compliant(&d);
        let drifted = r#"{"Version":"1","Statement":[]}"#;
        with_versions(&mut o, (1..=5).map(|n| version(n, false, drifted)).collect());
        let p = plan(&d, &o);
        assert!(p.waves().is_empty(), "nothing runs");
        assert!(p.items.iter().any(
            |i| matches!(&i.state, ItemState::Blocked(problem) if problem.code == "LimitExceeded.Policy.Version")
        ));
    }

    #[test]
    fn under_the_limit_nothing_is_deleted() {
        let d = default_desired();
        let mut o = compliant(&d);
        let drifted = r#"{"Version":"1","Statement":[]}"#;
        with_versions(&mut o, (1..=4).map(|n| version(n, n == 4, drifted)).collect());
        let p = plan(&d, &o);
        assert!(
            !p.items
                .iter()
                .any(|i| matches!(i.action, Action::DeletePolicyVersion { .. }))
        );
    }

    #[test]
    fn non_default_versions_do_not_count_only_the_default_does() {
        let d = default_desired();
        let mut o = compliant(&d);
        let drifted = r#"{"Version":"1","Statement":[]}"#;
        with_versions(
            &mut o,
            vec![version(1, false, OAUTH_POLICY_DOCUMENT), version(2, true, drifted)],
        );
        assert!(!plan(&d, &o).is_compliant(true));
        with_versions(
            &mut o,
            vec![version(1, false, drifted), version(2, true, OAUTH_POLICY_DOCUMENT)],
        );
        assert!(plan(&d, &o).is_compliant(true));
    }

    #[test]
    fn a_detached_policy_is_reattached_alone() {
        let d = default_desired();
        let mut o = compliant(&d);
        o.role_policies.value.retain(|p| p.name != OSS_FULL_ACCESS);
        let p = plan(&d, &o);
        assert_eq!(
            names(&p, 0),
            vec!["AttachPolicyToRole AliyunPAIDLCDefaultRole/AliyunOSSFullAccess"]
        );
        assert_eq!(p.waves().len(), 1);
    }

    #[test]
    fn existing_role_with_missing_custom_policy_attaches_after_create_only() {
        let d = default_desired();
        let mut o = compliant(&d);
        o.custom_policies
            .insert(OAUTH_POLICY.into(), obs(None, "ListPolicyVersions"));
        o.role_policies.value.retain(|p| p.name != OAUTH_POLICY);
        let p = plan(&d, &o);
        assert_eq!(names(&p, 0), vec!["CreatePolicy PaiDlcOAuthPolicy"]);
        assert_eq!(
            names(&p, 1),
            vec!["AttachPolicyToRole AliyunPAIDLCDefaultRole/PaiDlcOAuthPolicy"]
        );
    }

    #[test]
    fn activation_runs_in_the_first_wave_and_a_check_cannot_judge_it() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.activate_services = true;
        let d = Desired::from_request(&r);
        let p = plan(&d, &fresh(&d));
        assert_eq!(
            names(&p, 0),
            vec![
                "OpenOssService oss",
                "OpenNASService nas",
                "CreateRole AliyunPAIDLCDefaultRole",
                "CreatePolicy PaiDlcOAuthPolicy"
            ]
        );
        let p = plan(&d, &compliant(&d));
        assert!(!p.is_compliant(true));
        assert!(p.is_compliant(false));
    }

    #[test]
    fn least_privilege_mode_creates_and_attaches_the_bucket_policy() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.oss_buckets = Some(vec!["training-data".into()]);
        let d = Desired::from_request(&r);
        let p = plan(&d, &fresh(&d));
        assert_eq!(
            names(&p, 0),
            vec![
                "CreateRole AliyunPAIDLCDefaultRole",
                "CreatePolicy PaiDlcOAuthPolicy",
                "CreatePolicy PaiDlcOssBucketsPolicy"
            ]
        );
        assert!(names(&p, 1).contains(&"AttachPolicyToRole AliyunPAIDLCDefaultRole/PaiDlcOssBucketsPolicy".into()));
        assert!(!names(&p, 1).iter().any(|n| n.contains(OSS_FULL_ACCESS)));
    }

    #[test]
    fn a_new_bucket_extends_the_bucket_policy_without_dropping_old_ones() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.oss_buckets = Some(vec!["old".into()]);
        let d_old = Desired::from_request(&r);
        let mut o = compliant(&d_old);
        r.oss_buckets = Some(vec!["new".into()]);
        let d = Desired::from_request(&r);
        let p = plan(&d, &o);
        let Some(Action::CreatePolicyVersion { document, .. }) = p
            .items
            .iter()
            .map(|i| &i.action)
            .find(|a| matches!(a, Action::CreatePolicyVersion { .. }))
        else {
            panic!("expected a new version of the bucket policy");
        };
        assert_eq!(
            policy_doc::granted_buckets(document),
            ["new".to_string(), "old".to_string()].into()
        );
        // Requesting a subset of what is granted is compliant.
        r.oss_buckets = Some(vec!["old".into()]);
        o = compliant(&d_old);
        assert!(plan(&Desired::from_request(&r), &o).is_compliant(true));
    }

    #[test]
    fn resource_group_mode_attaches_through_resource_manager() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.resource_group_id = Some("rg-abc".into());
        let d = Desired::from_request(&r);
        let p = plan(&d, &fresh(&d));
        assert_eq!(
            names(&p, 1),
            vec![
                "AttachPolicy rg-abc/AliyunPAIDLCDefaultRole/AliyunPAIDLCDefaultRolePolicy",
                "AttachPolicy rg-abc/AliyunPAIDLCDefaultRole/AliyunOSSFullAccess",
                "AttachPolicy rg-abc/AliyunPAIDLCDefaultRole/PaiDlcOAuthPolicy",
            ]
        );
    }

    #[test]
    fn resource_group_attachments_are_recognised_by_principal() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.resource_group_id = Some("rg-abc".into());
        let d = Desired::from_request(&r);
        let mut o = compliant(&d);
        o.role_policies.value.clear();
        let principal = format!("{ROLE_NAME}@role.{ACCOUNT}.onaliyunservice.com");
        let attachment = |policy: &PolicyRef, principal: &str, rg: &str| RgAttachment {
            policy: policy.clone(),
            principal_name: principal.into(),
            principal_type: "ServiceRole".into(),
            resource_group_id: rg.into(),
        };
        o.rg_attachments = Some(obs(
            vec![
                attachment(&d.role_policies[0], &principal, "rg-abc"),
                attachment(&d.role_policies[1], "OtherRole@role.1.onaliyunservice.com", "rg-abc"),
                attachment(&d.role_policies[2], &principal, "rg-other"),
            ],
            "ListPolicyAttachments",
        ));
        let p = plan(&d, &o);
        let needed: Vec<String> = p.waves().concat().iter().map(|i| p.items[*i].action.target()).collect();
        assert_eq!(
            needed,
            vec![
                "rg-abc/AliyunPAIDLCDefaultRole/AliyunOSSFullAccess",
                "rg-abc/AliyunPAIDLCDefaultRole/PaiDlcOAuthPolicy"
            ]
        );
        // An account-scope attachment already covers the group.
        o.role_policies.value = vec![d.role_policies[1].clone(), d.role_policies[2].clone()];
        assert!(plan(&d, &o).is_compliant(true));
    }

    #[test]
    fn principal_prefix_is_used_when_the_role_name_is_unknown() {
        assert!(is_role_principal(
            "AliyunPAIDLCDefaultRole@role.123.onaliyunservice.com",
            ROLE_NAME,
            None
        ));
        assert!(!is_role_principal(
            "AliyunPAIDLCDefaultRoleX@role.123.onaliyunservice.com",
            ROLE_NAME,
            None
        ));
        assert!(is_role_principal(
            "aliyunpaidlcdefaultrole@role.alias.onaliyunservice.com",
            ROLE_NAME,
            Some("AliyunPAIDLCDefaultRole@role.alias.onaliyunservice.com")
        ));
    }

    fn with_users(workspace: bool) -> Desired {
        let mut r = GrantRequest::for_account(ACCOUNT);
        if workspace {
            r.workspace_id = Some("81231".into());
        }
        r.users = Some(vec![
            UserGrant::named("alice"),
            UserGrant {
                name: "bob".into(),
                policies: Some(vec![NAS_FULL_ACCESS.into()]),
                workspace_roles: workspace.then(|| vec!["PAI.AlgoDeveloper".into(), "PAI.WorkspaceAdmin".into()]),
            },
        ]);
        Desired::from_request(&r)
    }

    #[test]
    fn users_get_policies_and_membership_in_the_first_wave() {
        let d = with_users(true);
        let p = plan(&d, &fresh(&d));
        let first = names(&p, 0);
        for expected in [
            "AttachPolicyToUser alice/AliyunNASFullAccess",
            "AttachPolicyToUser alice/AliyunOSSFullAccess",
            "CreateMember 81231/alice",
            "AttachPolicyToUser bob/AliyunNASFullAccess",
            "CreateMember 81231/bob",
        ] {
            assert!(first.contains(&expected.to_string()), "{expected} in {first:?}");
        }
        let create_bob = p
            .items
            .iter()
            .find(|i| i.action.target() == "81231/bob")
            .map(|i| i.action.clone());
        assert_eq!(
            create_bob,
            Some(Action::CreateMember {
                workspace_id: "81231".into(),
                user: "bob".into(),
                user_id: "uid-bob".into(),
                roles: vec!["PAI.AlgoDeveloper".into(), "PAI.WorkspaceAdmin".into()],
            })
        );
    }

    #[test]
    fn existing_member_gets_only_missing_roles() {
        let d = with_users(true);
        let mut o = compliant(&d);
        if let Some(Some(m)) = o
            .users
            .get_mut("bob")
            .and_then(|u| u.membership.as_mut())
            .map(|m| m.value.as_mut())
        {
            m.roles = vec!["PAI.AlgoDeveloper".into()];
        }
        let p = plan(&d, &o);
        assert_eq!(names(&p, 0), vec!["AddMemberRole 81231/bob/PAI.WorkspaceAdmin"]);
        let Action::AddMemberRole { member_id, .. } = &p.items[p.waves()[0][0]].action else {
            panic!("expected AddMemberRole");
        };
        assert_eq!(member_id, "m-bob");
    }

    #[test]
    fn missing_user_is_blocked_with_a_clear_problem() {
        let d = with_users(true);
        let mut o = compliant(&d);
        if let Some(u) = o.users.get_mut("alice") {
            u.user_id.value = None;
            u.policies.value.clear();
            u.membership = None;
        }
        let p = plan(&d, &o);
        let alice: Vec<&PlanItem> = p.items.iter().filter(|i| i.action.target().contains("alice")).collect();
        assert_eq!(alice.len(), 3, "two policies and the membership");
        for item in alice {
            assert!(
                matches!(&item.state, ItemState::Blocked(problem) if problem.code == "EntityNotExist.User" && problem.message.contains("alice")),
                "{item:?}"
            );
        }
        assert!(!p.is_compliant(true));
    }

    #[test]
    fn users_without_workspace_get_no_membership_items() {
        let d = with_users(false);
        let p = plan(&d, &fresh(&d));
        assert!(
            !p.items
                .iter()
                .any(|i| matches!(i.action, Action::CreateMember { .. } | Action::AddMemberRole { .. }))
        );
    }

    #[test]
    fn user_attach_of_the_bucket_policy_waits_for_its_creation() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.oss_buckets = Some(vec!["data-bucket".into()]);
        r.users = Some(vec![UserGrant::named("alice")]);
        let d = Desired::from_request(&r);
        let p = plan(&d, &fresh(&d));
        assert!(names(&p, 1).contains(&format!("AttachPolicyToUser alice/{OSS_BUCKETS_POLICY}")));
        assert!(names(&p, 0).contains(&format!("AttachPolicyToUser alice/{NAS_FULL_ACCESS}")));
    }

    #[test]
    fn plan_is_deterministic_and_complete_for_every_option() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.workspace_id = Some("81231".into());
        r.oss_buckets = Some(vec!["b1".into(), "b2".into()]);
        r.resource_group_id = Some("rg-x".into());
        r.activate_services = true;
        r.users = Some(vec![UserGrant::named("alice")]);
        let d = Desired::from_request(&r);
        let o = fresh(&d);
        let p1 = plan(&d, &o);
        assert_eq!(p1, plan(&d, &o));
        let apis: BTreeMap<&str, usize> = p1.items.iter().fold(BTreeMap::new(), |mut m, i| {
            *m.entry(i.action.api_name()).or_default() += 1;
            m
        });
        assert_eq!(
            apis,
            BTreeMap::from([
                ("AttachPolicy", 3),
                ("AttachPolicyToUser", 2),
                ("CreateMember", 1),
                ("CreatePolicy", 2),
                ("CreateRole", 1),
                ("OpenNASService", 1),
                ("OpenOssService", 1),
            ])
        );
        assert!(p1.waves().len() <= 2);
        assert!(plan(&d, &compliant(&d)).is_compliant(false));
    }
}
