//! The APIs themselves: parameter checks, authorisation and the change each makes to the
//! [`State`], answering the official response shapes (`shared/reference/alibaba-apis.md` §5).
//!
//! Order of checks, as the real services do it: required parameters (gateway), then the caller's
//! permission, then the request's meaning (existence, conflicts, limits).

use std::sync::Arc;

use acs::Secret;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::catalog::{self, Api, WORKSPACE_ROLES};
use crate::error::{ApiError, policy_not_exist, role_not_exist, user_not_exist, version_not_exist};
use crate::policy::{Assumer, Context, PolicyDocument, TrustPolicy};
use crate::seed::PrincipalKind;
use crate::state::{
    ActivatedService, Attachment, CustomPolicy, Grantee, Identity, IdentityKind, Member, PolicyType, PolicyVersion,
    Role, Session, State, User, member_id, pai_date, ram_date,
};

/// Decoded request parameters (query and form body), in arrival order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first value of `name`, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A present, non-empty value.
    pub(crate) fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required value: absent or empty → `Missing<Name>`.
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.optional(name).ok_or_else(|| ApiError::missing(name))
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.optional(name) {
            None => Ok(None),
            // The Python SDK sends `str(True)` = "True".
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_value(name)),
        }
    }

    fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.optional(name)
            .map(|v| v.trim().parse::<i64>().map_err(|_| ApiError::invalid_value(name)))
            .transpose()
    }
}

/// Path parameters of ROA (AIWorkspace) calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RoaPath {
    pub workspace_id: String,
    pub member_id: Option<String>,
    pub role_name: Option<String>,
}

/// One authenticated call.
pub(crate) struct Call<'a> {
    pub api: Api,
    pub params: &'a Params,
    pub path: &'a RoaPath,
    pub body: &'a [u8],
    pub identity: &'a Identity,
    pub now: jiff::Timestamp,
}

/// A successful answer: the body fields (without `RequestId`) and whether the state changed.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub body: Map<String, Value>,
    pub mutated: bool,
}

fn read(body: Value) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        body: into_map(body),
        mutated: false,
    })
}

fn wrote(body: Value) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        body: into_map(body),
        mutated: true,
    })
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Runs `call` against `state`.
pub(crate) fn execute(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    match call.api {
        Api::AssumeRole => assume_role(state, call),
        Api::GetCallerIdentity => get_caller_identity(state, call),
        Api::GetRole => get_role(state, call),
        Api::CreateRole => create_role(state, call),
        Api::UpdateRole => update_role(state, call),
        Api::GetPolicy => get_policy(state, call),
        Api::CreatePolicy => create_policy(state, call),
        Api::GetPolicyVersion => get_policy_version(state, call),
        Api::ListPolicyVersions => list_policy_versions(state, call),
        Api::CreatePolicyVersion => create_policy_version(state, call),
        Api::DeletePolicyVersion => delete_policy_version(state, call),
        Api::SetDefaultPolicyVersion => set_default_policy_version(state, call),
        Api::AttachPolicyToRole => attach(state, call, GranteeKind::Role),
        Api::DetachPolicyFromRole => detach(state, call, GranteeKind::Role),
        Api::ListPoliciesForRole => list_policies_for(state, call, GranteeKind::Role),
        Api::GetUser => get_user(state, call),
        Api::CreateUser => create_user(state, call),
        Api::AttachPolicyToUser => attach(state, call, GranteeKind::User),
        Api::DetachPolicyFromUser => detach(state, call, GranteeKind::User),
        Api::ListPoliciesForUser => list_policies_for(state, call, GranteeKind::User),
        Api::AttachPolicy => rm_attach_policy(state, call),
        Api::ListPolicyAttachments => rm_list_policy_attachments(state, call),
        Api::GetWorkspace => get_workspace(state, call),
        Api::ListMembers => list_members(state, call),
        Api::CreateMember => create_member(state, call),
        Api::GetMember => get_member(state, call),
        Api::AddMemberRole => add_member_role(state, call),
        Api::OpenOssService => open_service(state, call, "oss"),
        Api::OpenNasService => open_service(state, call, "nas"),
    }
}

fn authorize(state: &State, call: &Call<'_>, resources: &[String]) -> Result<(), ApiError> {
    state.authorize(call.identity, call.api, resources, None, &Context::default())
}

// ---------------------------------------------------------------------------------------------
// Name checks (RAM's documented character sets and lengths)

fn check_name(param: &str, value: &str, max: usize, allowed: fn(char) -> bool) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::too_long(param));
    }
    if !value.chars().all(allowed) {
        return Err(ApiError::new(
            400,
            format!("InvalidParameter.{param}.InvalidChars"),
            format!("The parameter - \"{param}\" contains invalid chars."),
        ));
    }
    Ok(())
}

fn role_name_param<'p>(params: &'p Params, param: &str) -> Result<&'p str, ApiError> {
    let name = params.required(param)?;
    check_name(param, name, 64, |c| c.is_ascii_alphanumeric() || c == '.' || c == '-')?;
    Ok(name)
}

fn policy_name_param(params: &Params) -> Result<&str, ApiError> {
    let name = params.required("PolicyName")?;
    check_name("PolicyName", name, 128, |c| c.is_ascii_alphanumeric() || c == '-')?;
    Ok(name)
}

fn user_name_param(params: &Params) -> Result<&str, ApiError> {
    let name = params.required("UserName")?;
    check_name("UserName", name, 64, |c| {
        c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'
    })?;
    Ok(name)
}

fn description_param<'p>(params: &'p Params, param: &str) -> Result<Option<&'p str>, ApiError> {
    let value = params.optional(param);
    if value.is_some_and(|d| d.chars().count() > 1024) {
        return Err(ApiError::too_long(param));
    }
    Ok(value)
}

fn policy_document_param(params: &Params) -> Result<(&str, PolicyDocument), ApiError> {
    let text = params.required("PolicyDocument")?;
    if text.chars().count() > 6144 {
        return Err(ApiError::too_long("PolicyDocument"));
    }
    let parsed = PolicyDocument::parse(text).map_err(ApiError::malformed_policy)?;
    Ok((text, parsed))
}

fn trust_document(text: &str, param: &str) -> Result<(), ApiError> {
    if text.chars().count() > 2048 {
        return Err(ApiError::too_long(param));
    }
    TrustPolicy::parse(text).map(|_| ()).map_err(ApiError::malformed_policy)
}

fn max_session_duration(params: &Params, param: &str) -> Result<Option<u32>, ApiError> {
    match params.int(param)? {
        None => Ok(None),
        Some(v @ 3600..=43200) => Ok(u32::try_from(v).ok()),
        Some(_) => Err(ApiError::new(
            400,
            format!("InvalidParameter.{param}"),
            format!("The parameter - \"{param}\" MUST be in the range of 3600 and 43200."),
        )),
    }
}

fn version_id_param(params: &Params) -> Result<&str, ApiError> {
    let id = params.required("VersionId")?;
    let well_formed = id
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(ApiError::invalid(
            "InvalidParameter.VersionId.Format",
            "The format of the parameter - \"VersionId\" is incorrect.",
        ));
    }
    Ok(id)
}

fn policy_type_param(params: &Params) -> Result<PolicyType, ApiError> {
    PolicyType::parse(params.required("PolicyType")?)
}

// ---------------------------------------------------------------------------------------------
// STS

fn assume_role(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let role_arn = p.required("RoleArn")?;
    let session_name = p.required("RoleSessionName")?;
    let (arn_account, role_name) = parse_role_arn(role_arn)?;
    let session_ok = (2..=64).contains(&session_name.chars().count())
        && session_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-'));
    if !session_ok {
        return Err(ApiError::invalid(
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrongly formed.",
        ));
    }
    let duration = p.int("DurationSeconds").map_err(|_| duration_error(3600))?;
    let external_id = p.optional("ExternalId");
    if let Some(id) = external_id {
        let ok = (2..=1224).contains(&id.chars().count())
            // The documented pattern `[\w+=,.@:\/-]*`: `\w` is ASCII word characters only.
            && id.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
        if !ok {
            return Err(ApiError::invalid(
                "InvalidParameter.ExternalId",
                "The parameter ExternalId is wrongly formed.",
            ));
        }
    }
    let session_policy = match p.optional("Policy") {
        None => None,
        Some(text) if text.chars().count() > 2048 => {
            return Err(ApiError::invalid(
                "InvalidParameter.PolicySize",
                "The parameter Policy size exceeds the limit.",
            ));
        }
        Some(text) => Some((
            text.to_owned(),
            PolicyDocument::parse(text).map_err(|_| {
                ApiError::invalid(
                    "InvalidParameter.PolicyGrammar",
                    "The parameter Policy has not passed grammar check.",
                )
            })?,
        )),
    };
    if call.identity.kind == IdentityKind::Account {
        return Err(ApiError::new(
            403,
            "NoPermission",
            "Roles may not be assumed by root accounts.",
        ));
    }
    // The role's ARN, in the account the caller named: a policy scoped to another account's
    // roles must not cover this one.
    authorize(state, call, &[format!("acs:ram:*:{arn_account}:role/{role_name}")])?;
    let role = state
        .roles
        .get(&role_name.to_lowercase())
        .filter(|_| arn_account == state.account_id)
        .ok_or_else(role_not_exist)?
        .clone();
    let caller_arn = state.caller_arn(&call.identity.kind);
    let mut context = Context::default();
    if let Some(id) = external_id {
        context = context.with("sts:ExternalId", id);
    }
    let trusted = TrustPolicy::parse(&role.assume_role_policy_document).is_ok_and(|t| {
        t.allows(
            Assumer::Ram {
                arn: &caller_arn,
                account_id: &state.account_id,
            },
            &context,
        )
    });
    if !trusted {
        return Err(ApiError::no_permission());
    }
    let duration = duration.unwrap_or(3600);
    if duration < 900 || duration > i64::from(role.max_session_duration) {
        return Err(duration_error(role.max_session_duration));
    }
    let now = call.now.as_second();
    state.make_room_for_session(now);
    let access_key_id = format!("STS.N{}", random_alnum(21));
    let secret = random_alnum(44);
    let mut token_bytes = vec![0u8; 180];
    fastrand::fill(&mut token_bytes);
    // Real tokens are long base64 blobs starting with "CAIS"; '+', '/' and '=' exercise encoding.
    let token = format!("CAIS{}", base64::engine::general_purpose::STANDARD.encode(&token_bytes));
    let expiration = now + duration;
    let (policy_text, parsed_policy) = match session_policy {
        Some((text, parsed)) => (Some(text), Some(Arc::new(parsed))),
        None => (None, None),
    };
    state.sessions.insert(
        access_key_id.clone(),
        Session {
            access_key_secret: Secret::new(secret.clone()),
            security_token: Secret::new(token.clone()),
            role_name: role.role_name.clone(),
            session_name: session_name.to_owned(),
            expiration,
            policy: policy_text,
            parsed_policy,
        },
    );
    let expiration_text = jiff::Timestamp::from_second(expiration)
        .map(ram_date)
        .unwrap_or_default();
    let mut body = json!({
        "AssumedRoleUser": {
            "Arn": format!("{}/{session_name}", state.role_arn(&role.role_name)),
            "AssumedRoleId": format!("{}:{session_name}", role.role_id),
        },
        "Credentials": {
            "AccessKeyId": access_key_id,
            "AccessKeySecret": secret,
            "SecurityToken": token,
            "Expiration": expiration_text,
        },
    });
    if let Some(source) = p.optional("SourceIdentity") {
        body["SourceIdentity"] = Value::String(source.to_owned());
    }
    wrote(body)
}

fn duration_error(max: u32) -> ApiError {
    ApiError::invalid(
        "InvalidParameter.DurationSeconds",
        format!("The Min/Max value of DurationSeconds is 900/{max} seconds."),
    )
}

/// `acs:ram::<account>:role/<name>` → (account, name).
fn parse_role_arn(arn: &str) -> Result<(&str, &str), ApiError> {
    let wrong = || ApiError::invalid("InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.");
    let mut parts = arn.splitn(5, ':');
    let (Some("acs"), Some(service), Some(_region), Some(account), Some(relative)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(wrong());
    };
    let name = relative.strip_prefix("role/").ok_or_else(wrong)?;
    if !service.eq_ignore_ascii_case("ram")
        || account.is_empty()
        || !account.bytes().all(|b| b.is_ascii_digit())
        || name.is_empty()
        || name.contains('/')
    {
        return Err(wrong());
    }
    Ok((account, name))
}

fn random_alnum(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric).take(len).collect()
}

fn get_caller_identity(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let account = state.account_id.clone();
    let body = match &call.identity.kind {
        IdentityKind::Account => json!({
            "AccountId": account,
            "Arn": format!("acs:ram::{account}:root"),
            "IdentityType": "Account",
            "PrincipalId": account,
            "UserId": account,
        }),
        IdentityKind::User { name } => {
            let user_id = state.user_id(name);
            json!({
                "AccountId": account,
                "Arn": format!("acs:ram::{account}:user/{name}"),
                "IdentityType": "RAMUser",
                "PrincipalId": user_id,
                "UserId": user_id,
            })
        }
        IdentityKind::Role { name, session_name } => {
            let role_id = state.role_id(name);
            json!({
                "AccountId": account,
                "Arn": format!("acs:ram::{account}:assumed-role/{name}/{session_name}"),
                "IdentityType": "AssumedRoleUser",
                "PrincipalId": format!("{role_id}:{session_name}"),
                "RoleId": role_id,
            })
        }
    };
    read(body)
}

// ---------------------------------------------------------------------------------------------
// RAM roles

fn role_json(state: &State, role: &Role, full: bool) -> Value {
    let mut v = json!({
        "RoleId": role.role_id,
        "RoleName": role.role_name,
        "Arn": state.role_arn(&role.role_name),
        "Description": role.description,
        "AssumeRolePolicyDocument": role.assume_role_policy_document,
        "CreateDate": role.create_date,
        "MaxSessionDuration": role.max_session_duration,
        "AllowConsoleLogin": role.allow_console_login,
    });
    if full {
        v["UpdateDate"] = Value::String(role.update_date.clone());
        v["RolePrincipalName"] = Value::String(state.role_principal_name(&role.role_name));
        v["IsServiceLinkedRole"] = Value::Bool(false);
    }
    v
}

fn get_role(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = role_name_param(call.params, "RoleName")?;
    authorize(state, call, &[state.role_resource(name)])?;
    let role = state.roles.get(&name.to_lowercase()).ok_or_else(role_not_exist)?;
    read(json!({ "Role": role_json(state, role, true) }))
}

fn create_role(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let name = role_name_param(p, "RoleName")?;
    let document = p.required("AssumeRolePolicyDocument")?;
    authorize(state, call, &[state.role_resource("*")])?;
    trust_document(document, "AssumeRolePolicyDocument")?;
    let description = description_param(p, "Description")?;
    let max = max_session_duration(p, "MaxSessionDuration")?;
    let console = p.bool("AllowConsoleLogin")?;
    if state.roles.contains_key(&name.to_lowercase()) {
        return Err(ApiError::conflict(
            "EntityAlreadyExists.Role",
            "The role does already EXIST.",
        ));
    }
    if state.roles.len() >= 1000 {
        return Err(ApiError::conflict(
            "LimitExceeded.Role",
            "The count of roles beyond the current limits.",
        ));
    }
    let date = ram_date(call.now);
    let role = Role {
        role_id: state.role_id(name),
        role_name: name.to_owned(),
        description: description.unwrap_or_default().to_owned(),
        assume_role_policy_document: document.to_owned(),
        max_session_duration: max.unwrap_or(3600),
        allow_console_login: console.unwrap_or(false),
        create_date: date.clone(),
        update_date: date,
    };
    let body = json!({ "Role": role_json(state, &role, false) });
    state.roles.insert(name.to_lowercase(), role);
    wrote(body)
}

fn update_role(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let name = role_name_param(p, "RoleName")?;
    authorize(state, call, &[state.role_resource(name)])?;
    let document = p.optional("NewAssumeRolePolicyDocument");
    if let Some(d) = document {
        trust_document(d, "NewAssumeRolePolicyDocument")?;
    }
    let description = description_param(p, "NewDescription")?;
    let max = max_session_duration(p, "NewMaxSessionDuration")?;
    let console = p.bool("NewAllowConsoleLogin")?;
    let date = ram_date(call.now);
    let role = state.roles.get_mut(&name.to_lowercase()).ok_or_else(role_not_exist)?;
    if let Some(d) = document {
        d.clone_into(&mut role.assume_role_policy_document);
    }
    if let Some(d) = description {
        d.clone_into(&mut role.description);
    }
    if let Some(m) = max {
        role.max_session_duration = m;
    }
    if let Some(c) = console {
        role.allow_console_login = c;
    }
    role.update_date = date;
    let role = role.clone();
    let mut json = role_json(state, &role, false);
    json["UpdateDate"] = Value::String(role.update_date.clone());
    wrote(json!({ "Role": json }))
}

// ---------------------------------------------------------------------------------------------
// RAM policies

fn version_json(version: &PolicyVersion, default: &str) -> Value {
    json!({
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == default,
        "PolicyDocument": version.document,
        "CreateDate": version.create_date,
    })
}

/// A system policy has one version, `v1`, its default.
fn system_version_json(policy: &catalog::SystemPolicy) -> Value {
    json!({
        "VersionId": "v1",
        "IsDefaultVersion": true,
        "PolicyDocument": policy.text,
        "CreateDate": catalog::SYSTEM_POLICY_DATE,
    })
}

fn attachment_count(state: &State, policy_type: PolicyType, name: &str) -> usize {
    state
        .attachments
        .iter()
        .filter(|a| a.policy_type == policy_type && a.policy_name.eq_ignore_ascii_case(name))
        .count()
}

fn get_policy(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = policy_name_param(call.params)?;
    let policy_type = policy_type_param(call.params)?;
    authorize(state, call, &[state.policy_resource(policy_type, name)])?;
    match policy_type {
        PolicyType::System => {
            let p = catalog::system_policy(name).ok_or_else(policy_not_exist)?;
            let count = attachment_count(state, policy_type, p.name);
            read(json!({
                "Policy": {
                    "PolicyName": p.name,
                    "PolicyType": "System",
                    "Description": p.description,
                    "DefaultVersion": "v1",
                    "PolicyDocument": p.text,
                    "CreateDate": catalog::SYSTEM_POLICY_DATE,
                    "UpdateDate": catalog::SYSTEM_POLICY_DATE,
                    "AttachmentCount": count,
                },
                "DefaultPolicyVersion": system_version_json(p),
            }))
        }
        PolicyType::Custom => {
            let p = state.policies.get(&name.to_lowercase()).ok_or_else(policy_not_exist)?;
            let default = p.default_document().ok_or_else(ApiError::internal)?;
            read(json!({
                "Policy": {
                    "PolicyName": p.policy_name,
                    "PolicyType": "Custom",
                    "Description": p.description,
                    "DefaultVersion": p.default_version,
                    "PolicyDocument": default.document,
                    "CreateDate": p.create_date,
                    "UpdateDate": p.update_date,
                    "AttachmentCount": attachment_count(state, policy_type, &p.policy_name),
                },
                "DefaultPolicyVersion": version_json(default, &p.default_version),
            }))
        }
    }
}

fn create_policy(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = policy_name_param(call.params)?;
    call.params.required("PolicyDocument")?;
    authorize(state, call, &[state.policy_resource(PolicyType::Custom, "*")])?;
    let (text, parsed) = policy_document_param(call.params)?;
    let description = description_param(call.params, "Description")?.unwrap_or_default();
    if state.policies.contains_key(&name.to_lowercase()) {
        return Err(ApiError::conflict(
            "EntityAlreadyExists.Policy",
            "The policy does already EXIST.",
        ));
    }
    if state.policies.len() >= 1500 {
        return Err(ApiError::conflict(
            "LimitExceeded.Policy",
            "The count of policy beyond the current limits.",
        ));
    }
    let date = ram_date(call.now);
    state.policies.insert(
        name.to_lowercase(),
        CustomPolicy {
            policy_name: name.to_owned(),
            description: description.to_owned(),
            create_date: date.clone(),
            update_date: date.clone(),
            default_version: "v1".into(),
            versions: vec![PolicyVersion {
                version_id: "v1".into(),
                document: text.to_owned(),
                create_date: date.clone(),
                parsed: Some(Arc::new(parsed)),
            }],
            last_version: 1,
        },
    );
    wrote(json!({
        "Policy": {
            "PolicyName": name,
            "PolicyType": "Custom",
            "Description": description,
            "DefaultVersion": "v1",
            "CreateDate": date,
        }
    }))
}

fn get_policy_version(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = policy_name_param(call.params)?;
    let policy_type = policy_type_param(call.params)?;
    let version_id = version_id_param(call.params)?;
    authorize(state, call, &[state.policy_resource(policy_type, name)])?;
    let version = match policy_type {
        PolicyType::System => {
            let p = catalog::system_policy(name).ok_or_else(policy_not_exist)?;
            if version_id != "v1" {
                return Err(version_not_exist());
            }
            system_version_json(p)
        }
        PolicyType::Custom => {
            let p = state.policies.get(&name.to_lowercase()).ok_or_else(policy_not_exist)?;
            version_json(p.version(version_id).ok_or_else(version_not_exist)?, &p.default_version)
        }
    };
    read(json!({ "PolicyVersion": version }))
}

fn list_policy_versions(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = policy_name_param(call.params)?;
    let policy_type = policy_type_param(call.params)?;
    authorize(state, call, &[state.policy_resource(policy_type, name)])?;
    let versions: Vec<Value> = match policy_type {
        PolicyType::System => {
            let p = catalog::system_policy(name).ok_or_else(policy_not_exist)?;
            vec![system_version_json(p)]
        }
        PolicyType::Custom => {
            let p = state.policies.get(&name.to_lowercase()).ok_or_else(policy_not_exist)?;
            p.versions.iter().map(|v| version_json(v, &p.default_version)).collect()
        }
    };
    read(json!({ "PolicyVersions": { "PolicyVersion": versions } }))
}

/// RAM keeps at most this many versions of a custom policy.
const MAX_POLICY_VERSIONS: usize = 5;

fn create_policy_version(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let name = policy_name_param(p)?;
    p.required("PolicyDocument")?;
    authorize(state, call, &[state.policy_resource(PolicyType::Custom, name)])?;
    let (text, parsed) = policy_document_param(p)?;
    let set_as_default = p.bool("SetAsDefault")?.unwrap_or(false);
    let rotate = match p.optional("RotateStrategy") {
        None | Some("None") => false,
        Some("DeleteOldestNonDefaultVersionWhenLimitExceeded") => true,
        Some(_) => return Err(ApiError::invalid_value("RotateStrategy")),
    };
    let date = ram_date(call.now);
    let policy = state
        .policies
        .get_mut(&name.to_lowercase())
        .ok_or_else(policy_not_exist)?;
    if policy.versions.len() >= MAX_POLICY_VERSIONS {
        if !rotate {
            return Err(ApiError::conflict(
                "LimitExceeded.Policy.Version",
                "The count of policy version beyond the current limits.",
            ));
        }
        let default = policy.default_version.clone();
        if let Some(oldest) = policy.versions.iter().position(|v| v.version_id != default) {
            policy.versions.remove(oldest);
        }
    }
    policy.last_version += 1;
    let version = PolicyVersion {
        version_id: format!("v{}", policy.last_version),
        document: text.to_owned(),
        create_date: date.clone(),
        parsed: Some(Arc::new(parsed)),
    };
    if set_as_default {
        policy.default_version.clone_from(&version.version_id);
    }
    policy.update_date = date;
    let body = json!({ "PolicyVersion": version_json(&version, &policy.default_version) });
    policy.versions.push(version);
    wrote(body)
}

fn delete_policy_version(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = policy_name_param(call.params)?;
    let version_id = version_id_param(call.params)?;
    authorize(state, call, &[state.policy_resource(PolicyType::Custom, name)])?;
    let policy = state
        .policies
        .get_mut(&name.to_lowercase())
        .ok_or_else(policy_not_exist)?;
    let index = policy
        .versions
        .iter()
        .position(|v| v.version_id == version_id)
        .ok_or_else(version_not_exist)?;
    if policy.default_version == version_id {
        return Err(ApiError::conflict(
            "DeleteConflict.Policy.Version.Default",
            "The default policy version CAN NOT been deleted directly.",
        ));
    }
    policy.versions.remove(index);
    wrote(json!({}))
}

fn set_default_policy_version(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = policy_name_param(call.params)?;
    let version_id = version_id_param(call.params)?;
    authorize(state, call, &[state.policy_resource(PolicyType::Custom, name)])?;
    let date = ram_date(call.now);
    let policy = state
        .policies
        .get_mut(&name.to_lowercase())
        .ok_or_else(policy_not_exist)?;
    if policy.version(version_id).is_none() {
        return Err(version_not_exist());
    }
    version_id.clone_into(&mut policy.default_version);
    policy.update_date = date;
    wrote(json!({}))
}

// ---------------------------------------------------------------------------------------------
// RAM attachments

#[derive(Clone, Copy, PartialEq, Eq)]
enum GranteeKind {
    Role,
    User,
}

impl GranteeKind {
    fn already_attached(self) -> ApiError {
        match self {
            Self::Role => ApiError::conflict(
                "EntityAlreadyExists.Role.Policy",
                "The role has already been attached this policy.",
            ),
            Self::User => ApiError::conflict(
                "EntityAlreadyExists.User.Policy",
                "The user has already been attached this policy.",
            ),
        }
    }

    fn not_attached(self) -> ApiError {
        match self {
            Self::Role => ApiError::not_exist(
                "EntityNotExist.Role.Policy",
                "The indicate policy of the role does not exist.",
            ),
            Self::User => ApiError::not_exist(
                "EntityNotExist.User.Policy",
                "The indicate policy of the user does not exist.",
            ),
        }
    }

    fn not_exist(self) -> ApiError {
        match self {
            Self::Role => role_not_exist(),
            Self::User => user_not_exist(),
        }
    }

    fn limit_exceeded(self) -> ApiError {
        match self {
            Self::Role => ApiError::conflict(
                "LimitExceeded.Role.Policy",
                "The count of policies attached to the role beyond the current limits.",
            ),
            Self::User => ApiError::conflict(
                "LimitExceeded.User.Policy",
                "The policy count of the user attached policies beyond the current limits.",
            ),
        }
    }
}

/// The grantee's name parameter, its resource ARN, and its stored name if it exists.
fn grantee(state: &State, params: &Params, kind: GranteeKind) -> Result<(String, Option<Grantee>), ApiError> {
    match kind {
        GranteeKind::Role => {
            let name = role_name_param(params, "RoleName")?;
            let existing = state
                .roles
                .get(&name.to_lowercase())
                .map(|r| Grantee::Role(r.role_name.clone()));
            Ok((state.role_resource(name), existing))
        }
        GranteeKind::User => {
            let name = user_name_param(params)?;
            let existing = state
                .users
                .get(&name.to_lowercase())
                .map(|u| Grantee::User(u.user_name.clone()));
            Ok((state.user_resource(name), existing))
        }
    }
}

/// The scope of an attachment: the account, or an existing resource group.
fn scope_param(state: &State, params: &Params) -> Result<String, ApiError> {
    match params.optional("ResourceGroupId") {
        None => Ok(state.account_id.clone()),
        Some(id) if id == state.account_id => Ok(id.to_owned()),
        Some(id) if state.resource_groups.iter().any(|g| g.id == id) => Ok(id.to_owned()),
        Some(_) => Err(ApiError::not_exist(
            "EntityNotExists.ResourceGroup",
            "The specified resource group does not exist.",
        )),
    }
}

/// What an attach or detach acts on, once parameters, permission and existence are checked.
struct AttachmentTarget {
    grantee: Grantee,
    policy_type: PolicyType,
    /// The stored spelling.
    policy_name: String,
    scope: String,
}

impl AttachmentTarget {
    fn matches(&self, a: &Attachment) -> bool {
        a.grantee.same_as(&self.grantee)
            && a.policy_type == self.policy_type
            && a.policy_name == self.policy_name
            && a.scope == self.scope
    }
}

/// The common part of Attach/DetachPolicyTo{Role,User}: both are authorised on the grantee and
/// on the policy, as RAM lists them.
fn attachment_target(state: &State, call: &Call<'_>, kind: GranteeKind) -> Result<AttachmentTarget, ApiError> {
    let p = call.params;
    let policy_name = policy_name_param(p)?;
    let policy_type = policy_type_param(p)?;
    let (resource, existing) = grantee(state, p, kind)?;
    authorize(
        state,
        call,
        &[resource, state.policy_resource(policy_type, policy_name)],
    )?;
    let scope = scope_param(state, p)?;
    let grantee = existing.ok_or_else(|| kind.not_exist())?;
    let policy_name = state
        .canonical_policy_name(policy_type, policy_name)
        .ok_or_else(policy_not_exist)?;
    Ok(AttachmentTarget {
        grantee,
        policy_type,
        policy_name,
        scope,
    })
}

fn attach(state: &mut State, call: &Call<'_>, kind: GranteeKind) -> Result<Outcome, ApiError> {
    let target = attachment_target(state, call, kind)?;
    add_attachment(state, target, kind, call.now)?;
    wrote(json!({}))
}

fn add_attachment(
    state: &mut State,
    target: AttachmentTarget,
    kind: GranteeKind,
    now: jiff::Timestamp,
) -> Result<(), ApiError> {
    if state.attachments.iter().any(|a| target.matches(a)) {
        return Err(kind.already_attached());
    }
    let limit = if target.policy_type == PolicyType::System {
        20
    } else {
        5
    };
    let held = state
        .attachments
        .iter()
        .filter(|a| a.grantee.same_as(&target.grantee) && a.policy_type == target.policy_type)
        .count();
    if held >= limit {
        return Err(kind.limit_exceeded());
    }
    state.attachments.push(Attachment {
        grantee: target.grantee,
        policy_type: target.policy_type,
        policy_name: target.policy_name,
        scope: target.scope,
        attach_date: ram_date(now),
    });
    Ok(())
}

fn detach(state: &mut State, call: &Call<'_>, kind: GranteeKind) -> Result<Outcome, ApiError> {
    let target = attachment_target(state, call, kind)?;
    let index = state
        .attachments
        .iter()
        .position(|a| target.matches(a))
        .ok_or_else(|| kind.not_attached())?;
    state.attachments.remove(index);
    wrote(json!({}))
}

fn list_policies_for(state: &mut State, call: &Call<'_>, kind: GranteeKind) -> Result<Outcome, ApiError> {
    let (resource, existing) = grantee(state, call.params, kind)?;
    authorize(state, call, &[resource])?;
    let grantee = existing.ok_or_else(|| kind.not_exist())?;
    let policies: Vec<Value> = state
        .attachments
        .iter()
        .filter(|a| a.grantee.same_as(&grantee) && a.scope == state.account_id)
        .map(|a| {
            let (description, default_version) = state.policy_summary(a.policy_type, &a.policy_name);
            json!({
                "PolicyName": a.policy_name,
                "PolicyType": a.policy_type.as_str(),
                "Description": description,
                "DefaultVersion": default_version,
                "AttachDate": a.attach_date,
            })
        })
        .collect();
    read(json!({ "Policies": { "Policy": policies } }))
}

// ---------------------------------------------------------------------------------------------
// RAM users

/// RAM's default quota of users per account; it also bounds the emulator's memory, as the role
/// (1 000) and policy (1 500) quotas do.
const MAX_USERS: usize = 1000;

fn user_json(user: &User, full: bool) -> Value {
    let mut v = json!({
        "UserId": user.user_id,
        "UserName": user.user_name,
        "DisplayName": user.display_name,
        "Comments": user.comments,
        "CreateDate": user.create_date,
    });
    if !user.email.is_empty() {
        v["Email"] = Value::String(user.email.clone());
    }
    if !user.mobile_phone.is_empty() {
        v["MobilePhone"] = Value::String(user.mobile_phone.clone());
    }
    if full {
        v["UpdateDate"] = Value::String(user.update_date.clone());
    }
    v
}

fn get_user(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let name = user_name_param(call.params)?;
    authorize(state, call, &[state.user_resource(name)])?;
    let user = state.users.get(&name.to_lowercase()).ok_or_else(user_not_exist)?;
    read(json!({ "User": user_json(user, true) }))
}

fn create_user(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let name = user_name_param(p)?;
    authorize(state, call, &[state.user_resource("*")])?;
    let display = p.optional("DisplayName").unwrap_or(name);
    if display.chars().count() > 128 {
        return Err(ApiError::too_long("DisplayName"));
    }
    let comments = p.optional("Comments").unwrap_or_default();
    if comments.chars().count() > 128 {
        return Err(ApiError::too_long("Comments"));
    }
    if let Some(email) = p.optional("Email")
        && !email.contains('@')
    {
        return Err(ApiError::invalid(
            "InvalidParameter.Email.Format",
            "The format of the parameter - \"Email\" is incorrect.",
        ));
    }
    if state.users.contains_key(&name.to_lowercase()) {
        return Err(ApiError::conflict(
            "EntityAlreadyExists.User",
            "The user does already EXIST.",
        ));
    }
    if state.users.len() >= MAX_USERS {
        return Err(ApiError::conflict(
            "LimitExceeded.User",
            "The count of users beyond the current limits.",
        ));
    }
    let date = ram_date(call.now);
    let user = User {
        user_id: state.user_id(name),
        user_name: name.to_owned(),
        display_name: display.to_owned(),
        email: p.optional("Email").unwrap_or_default().to_owned(),
        mobile_phone: p.optional("MobilePhone").unwrap_or_default().to_owned(),
        comments: comments.to_owned(),
        create_date: date.clone(),
        update_date: date,
    };
    let body = json!({ "User": user_json(&user, false) });
    state.users.insert(name.to_lowercase(), user);
    wrote(body)
}

// ---------------------------------------------------------------------------------------------
// ResourceManager

/// `PrincipalType`: which kind of grantee (`None` for user groups, which the emulator does not
/// model), and the resource RAM authorises AttachPolicy on for it.
fn rm_principal_kind(state: &State, principal_type: &str) -> Result<(Option<GranteeKind>, String), ApiError> {
    let account = &state.account_id;
    match principal_type {
        "ServiceRole" => Ok((Some(GranteeKind::Role), format!("acs:ram:*:{account}:role/*"))),
        "IMSUser" => Ok((Some(GranteeKind::User), format!("acs:ims:*:{account}:user/*"))),
        "IMSGroup" => Ok((None, format!("acs:ims:*:{account}:group/*"))),
        _ => Err(ApiError::invalid_value("PrincipalType")),
    }
}

/// Resolves `PrincipalName` (`<role>@role.<uid>.onaliyunservice.com` / `<user>@<uid>.onaliyun.com`).
fn rm_principal(state: &State, kind: GranteeKind, principal_name: &str) -> Result<Grantee, ApiError> {
    let invalid_name = || {
        ApiError::invalid(
            "InvalidParameter.PrincipalName",
            "The specified principal name is invalid.",
        )
    };
    let lower = principal_name.to_lowercase();
    let existing = match kind {
        GranteeKind::Role => {
            let suffix = format!("@role.{}.onaliyunservice.com", state.account_id);
            let name = lower.strip_suffix(&suffix).ok_or_else(invalid_name)?;
            state.roles.get(name).map(|r| Grantee::Role(r.role_name.clone()))
        }
        GranteeKind::User => {
            let suffix = format!("@{}.onaliyun.com", state.account_id);
            let name = lower.strip_suffix(&suffix).ok_or_else(invalid_name)?;
            state.users.get(name).map(|u| Grantee::User(u.user_name.clone()))
        }
    };
    existing.ok_or_else(|| kind.not_exist())
}

fn rm_policy_type(value: &str) -> Result<PolicyType, ApiError> {
    PolicyType::parse(value)
        .map_err(|_| ApiError::invalid("InvalidParameter.PolicyType", "The specified policy type is invalid."))
}

fn rm_attach_policy(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let policy_name = p.required("PolicyName")?;
    let policy_type = p.required("PolicyType")?;
    let principal_type = p.required("PrincipalType")?;
    let principal_name = p.required("PrincipalName")?;
    p.required("ResourceGroupId")?;
    let policy_type = rm_policy_type(policy_type)?;
    let (kind, principal_resource) = rm_principal_kind(state, principal_type)?;
    authorize(
        state,
        call,
        &[state.policy_resource(policy_type, policy_name), principal_resource],
    )?;
    let scope = scope_param(state, p)?;
    let kind = kind.ok_or_else(|| ApiError::not_exist("EntityNotExist.Group", "The group does not exist."))?;
    let grantee = rm_principal(state, kind, principal_name)?;
    let policy_name = state
        .canonical_policy_name(policy_type, policy_name)
        .ok_or_else(policy_not_exist)?;
    let target = AttachmentTarget {
        grantee,
        policy_type,
        policy_name,
        scope,
    };
    add_attachment(state, target, kind, call.now)?;
    wrote(json!({}))
}

fn page(params: &Params, default_size: i64, max_size: i64) -> Result<(usize, usize), ApiError> {
    let number = params.int("PageNumber")?.unwrap_or(1);
    let size = params.int("PageSize")?.unwrap_or(default_size);
    if number < 1 {
        return Err(ApiError::invalid_value("PageNumber"));
    }
    if !(1..=max_size).contains(&size) {
        return Err(ApiError::invalid_value("PageSize"));
    }
    Ok((usize::try_from(number).unwrap_or(1), usize::try_from(size).unwrap_or(1)))
}

fn paginate<T>(items: Vec<T>, number: usize, size: usize) -> Vec<T> {
    items
        .into_iter()
        .skip(number.saturating_sub(1).saturating_mul(size))
        .take(size)
        .collect()
}

fn rm_list_policy_attachments(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let (number, size) = page(p, 10, 100)?;
    if let Some(t) = p.optional("PolicyType") {
        rm_policy_type(t)?;
    }
    authorize(state, call, &[format!("acs:ram:*:{}:*", state.account_id)])?;
    let matches = |filter: &str, value: &str| p.optional(filter).is_none_or(|f| f.eq_ignore_ascii_case(value));
    let all: Vec<Value> = state
        .attachments
        .iter()
        .filter_map(|a| {
            let (principal_type, principal_name) = state.rm_principal(&a.grantee);
            let keep = matches("PolicyName", &a.policy_name)
                && matches("PolicyType", a.policy_type.as_str())
                && matches("PrincipalType", principal_type)
                && matches("PrincipalName", &principal_name)
                && matches("ResourceGroupId", &a.scope);
            keep.then(|| {
                let (description, _) = state.policy_summary(a.policy_type, &a.policy_name);
                json!({
                    "PolicyName": a.policy_name,
                    "PolicyType": a.policy_type.as_str(),
                    "PrincipalName": principal_name,
                    "PrincipalType": principal_type,
                    "ResourceGroupId": a.scope,
                    "AttachDate": a.attach_date,
                    "Description": description,
                })
            })
        })
        .collect();
    let total = all.len();
    read(json!({
        "PageNumber": number,
        "PageSize": size,
        "TotalCount": total,
        "PolicyAttachments": { "PolicyAttachment": paginate(all, number, size) },
    }))
}

// ---------------------------------------------------------------------------------------------
// AIWorkspace (ROA)

fn workspace_not_exist() -> ApiError {
    // The real code is not documented publicly; this mirrors RAM's naming.
    ApiError::not_exist("EntityNotExist.Workspace", "The workspace does not exist.")
}

fn member_not_exist() -> ApiError {
    ApiError::not_exist("EntityNotExist.Member", "The member does not exist.")
}

/// Authorises a workspace call: resource-group-scoped attachments count for workspaces in
/// that group.
fn authorize_workspace(state: &State, call: &Call<'_>) -> Result<(), ApiError> {
    let id = &call.path.workspace_id;
    let group = state.workspaces.get(id).and_then(|w| w.resource_group_id.clone());
    state.authorize(
        call.identity,
        call.api,
        &[state.workspace_resource(id)],
        group.as_deref(),
        &Context::default(),
    )
}

fn member_json(state: &State, member: &Member) -> Value {
    let user = state.user_by_id(&member.user_id);
    let name = user.map(|u| u.user_name.clone()).unwrap_or_default();
    json!({
        "MemberId": member.member_id,
        "UserId": member.user_id,
        "MemberName": name,
        "DisplayName": user.map(|u| u.display_name.clone()).unwrap_or_default(),
        "AccountName": state.user_principal_name(&name),
        "AccountType": "5",
        "GmtCreateTime": member.create_time,
        "Roles": member.roles,
    })
}

fn check_roles<'v>(roles: impl IntoIterator<Item = &'v str>) -> Result<(), ApiError> {
    for role in roles {
        if !WORKSPACE_ROLES.contains(&role) {
            return Err(ApiError::invalid_parameter(format!(
                "The workspace role {role} is not valid; use one of {}.",
                WORKSPACE_ROLES.join(", ")
            )));
        }
    }
    Ok(())
}

fn get_workspace(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    authorize_workspace(state, call)?;
    let w = state
        .workspaces
        .get(&call.path.workspace_id)
        .ok_or_else(workspace_not_exist)?;
    let account = &state.account_id;
    read(json!({
        "WorkspaceId": w.workspace_id,
        "WorkspaceName": w.workspace_name,
        "DisplayName": w.workspace_name,
        "Description": "",
        "Status": "ENABLED",
        "Creator": account,
        "Owner": {"UserId": account, "UserName": "root", "DisplayName": "root", "UserKp": account},
        "AdminNames": [],
        "EnvTypes": ["prod"],
        "IsDefault": false,
        "ResourceGroupId": w.resource_group_id.clone().unwrap_or_default(),
        "GmtCreateTime": w.create_time,
        "GmtModifiedTime": w.create_time,
        "ExtraInfos": {},
    }))
}

fn list_members(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let (number, size) = page(p, 20, 100)?;
    authorize_workspace(state, call)?;
    let w = state
        .workspaces
        .get(&call.path.workspace_id)
        .ok_or_else(workspace_not_exist)?;
    let name_filter = p.optional("MemberName").map(str::to_lowercase);
    let role_filter: Option<Vec<&str>> = p.optional("Roles").map(|r| r.split(',').map(str::trim).collect());
    let user_filter = p.optional("UserId");
    let members: Vec<Value> = w
        .members
        .iter()
        .filter(|m| user_filter.is_none_or(|u| m.user_id == u))
        .filter(|m| {
            role_filter
                .as_ref()
                .is_none_or(|roles| m.roles.iter().any(|r| roles.contains(&r.as_str())))
        })
        .filter(|m| {
            name_filter.as_ref().is_none_or(|f| {
                state
                    .user_by_id(&m.user_id)
                    .is_some_and(|u| u.user_name.to_lowercase().contains(f.as_str()))
            })
        })
        .map(|m| member_json(state, m))
        .collect();
    let total = members.len();
    read(json!({
        "TotalCount": total,
        "Members": paginate(members, number, size),
    }))
}

fn create_member(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let body: Value = serde_json::from_slice(call.body)
        .map_err(|e| ApiError::invalid_parameter(format!("The request body is not valid JSON: {e}.")))?;
    let requested = match body.get("Members") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => return Err(ApiError::missing("Members")),
    };
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    for item in requested {
        let user_id = match item.get("UserId") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(ApiError::missing("UserId")),
        };
        let roles: Vec<String> = match item.get("Roles") {
            Some(Value::Array(r)) if !r.is_empty() => r
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ApiError::invalid_value("Roles"))
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(ApiError::missing("Roles")),
        };
        wanted.push((user_id, roles));
    }
    authorize_workspace(state, call)?;
    let workspace_id = call.path.workspace_id.clone();
    let existing: Vec<String> = state
        .workspaces
        .get(&workspace_id)
        .ok_or_else(workspace_not_exist)?
        .members
        .iter()
        .map(|m| m.user_id.clone())
        .collect();
    // Validate everything first so a request either adds all its members or none.
    for (i, (user_id, roles)) in wanted.iter().enumerate() {
        if state.user_by_id(user_id).is_none() {
            return Err(user_not_exist());
        }
        check_roles(roles.iter().map(String::as_str))?;
        if existing.contains(user_id) || wanted[..i].iter().any(|(u, _)| u == user_id) {
            // The real code is not documented publicly; callers should ListMembers first.
            return Err(ApiError::conflict(
                "EntityAlreadyExists.Member",
                "The user is already a member of the workspace.",
            ));
        }
    }
    let now = pai_date(call.now);
    let added: Vec<Member> = wanted
        .into_iter()
        .map(|(user_id, roles)| Member {
            member_id: member_id(&workspace_id, &user_id),
            user_id,
            roles,
            create_time: now.clone(),
        })
        .collect();
    let answer: Vec<Value> = added
        .iter()
        .map(|m| {
            json!({
                "MemberId": m.member_id,
                "UserId": m.user_id,
                "DisplayName": state.user_by_id(&m.user_id).map(|u| u.display_name.clone()).unwrap_or_default(),
                "Roles": m.roles,
            })
        })
        .collect();
    if let Some(w) = state.workspaces.get_mut(&workspace_id) {
        w.members.extend(added);
    }
    wrote(json!({ "Members": answer }))
}

fn get_member(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let p = call.params;
    let user_id = p.optional("UserId");
    let member_id = p.optional("MemberId");
    if user_id.is_none() && member_id.is_none() {
        return Err(ApiError::new(
            400,
            "MissingUserId",
            "UserId or MemberId is mandatory for this action.",
        ));
    }
    authorize_workspace(state, call)?;
    let w = state
        .workspaces
        .get(&call.path.workspace_id)
        .ok_or_else(workspace_not_exist)?;
    let m = w
        .members
        .iter()
        .find(|m| user_id.is_none_or(|u| m.user_id == u) && member_id.is_none_or(|id| m.member_id == id))
        .ok_or_else(member_not_exist)?;
    let mut body = member_json(state, m);
    if let Value::Object(map) = &mut body {
        map.remove("AccountName");
    }
    read(body)
}

fn add_member_role(state: &mut State, call: &Call<'_>) -> Result<Outcome, ApiError> {
    let member_id = call.path.member_id.clone().unwrap_or_default();
    let role = call.path.role_name.clone().unwrap_or_default();
    authorize_workspace(state, call)?;
    check_roles([role.as_str()])?;
    let w = state
        .workspaces
        .get_mut(&call.path.workspace_id)
        .ok_or_else(workspace_not_exist)?;
    let m = w
        .members
        .iter_mut()
        .find(|m| m.member_id == member_id)
        .ok_or_else(member_not_exist)?;
    let added = !m.roles.contains(&role);
    if added {
        m.roles.push(role);
    }
    Ok(Outcome {
        body: Map::new(),
        mutated: added,
    })
}

// ---------------------------------------------------------------------------------------------
// Service activation

fn open_service(state: &mut State, call: &Call<'_>, service: &str) -> Result<Outcome, ApiError> {
    authorize(state, call, &["*".to_owned()])?;
    if state.activated_services.iter().any(|s| s.service == service) {
        // Status, code and NAS message from the OpenNASService reference (doc 185438); OSS's
        // wording is not published, so it follows the same pattern.
        let message = if service == "nas" {
            "You have already purchased the NAS service. Go to the NAS console to start using it."
        } else {
            "You have already purchased the OSS service. Go to the OSS console to start using it."
        };
        return Err(ApiError::new(400, "ORDER.OPEND", message));
    }
    let order_id = state.order_id(service);
    state.activated_services.push(ActivatedService {
        service: service.to_owned(),
        order_id: order_id.clone(),
        date: ram_date(call.now),
    });
    wrote(json!({ "OrderId": order_id }))
}

/// The identity behind a static key of the seed.
pub(crate) fn key_identity(kind: PrincipalKind, name: &str) -> IdentityKind {
    match kind {
        PrincipalKind::Account => IdentityKind::Account,
        PrincipalKind::User => IdentityKind::User { name: name.to_owned() },
        PrincipalKind::Role => IdentityKind::Role {
            name: name.to_owned(),
            session_name: "default".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests;
