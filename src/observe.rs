//! Observe: every read the plan needs, issued at once.
//!
//! One wave for the default request. The only dependent read is a user's membership (ListMembers
//! needs the UserId GetUser returns), which adds a wave only when users with workspace roles are
//! requested.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use acs::api::{aiworkspace, ram, resourcemanager};
use futures_util::future::join_all;

use crate::desired::{Desired, DesiredUser, PolicyRef, Scope};
use crate::observed::{
    CallRecord, Member, Observation, Observed, ObservedPolicy, ObservedRole, ObservedUser, PolicyVersion, RgAttachment,
};
use crate::report::StepError;

/// A read that failed (anything but "absent"), which stops the run: without it the plan would
/// be a guess.
#[derive(Debug, Clone)]
pub struct ReadFailure {
    /// What was read (`ram:GetRole AliyunPAIDLCDefaultRole`, for the report's target).
    pub target: String,
    /// The call.
    pub call: CallRecord,
    /// The error.
    pub error: StepError,
}

/// Runs a call and records it (attempts and time, retries included).
pub(crate) async fn timed<R: acs::api::ApiRequest>(
    client: &acs::Client,
    request: &R,
) -> (Result<acs::Response<R::Output>, acs::Error>, CallRecord) {
    let started = Instant::now();
    let result = client.call(request).await;
    let record = CallRecord {
        action: R::ACTION,
        request_id: match &result {
            Ok(response) => Some(response.request_id.clone()),
            Err(e) => e.request_id().map(str::to_owned),
        },
        attempts: match &result {
            Ok(response) => response.attempts,
            Err(e) => e.attempts().max(1),
        },
        duration_ms: elapsed_ms(started),
    };
    (result, record)
}

pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The report form of a client error: Alibaba's code and message, or a code naming the kind of
/// failure (`Transport`, `Decode`, `Credentials`, …). Never a secret (the client guarantees its
/// errors carry none).
pub fn step_error(error: &acs::Error) -> StepError {
    match error {
        acs::Error::Service { error, .. } => StepError {
            code: error.code.clone(),
            message: error.message.clone(),
        },
        acs::Error::Transport { .. } => StepError {
            code: "Transport".into(),
            message: error.to_string(),
        },
        acs::Error::Decode { .. } => StepError {
            code: "Decode".into(),
            message: error.to_string(),
        },
        acs::Error::Credentials(inner) => match inner {
            acs::credentials::CredentialsError::Sts(sts) => step_error(sts),
            _ => StepError {
                code: "Credentials".into(),
                message: error.to_string(),
            },
        },
        acs::Error::Config(_) => StepError {
            code: "Config".into(),
            message: error.to_string(),
        },
        _ => StepError {
            code: "InvalidParameter".into(),
            message: error.to_string(),
        },
    }
}

/// Whether the error says the entity is absent.
pub(crate) fn is_code(error: &acs::Error, code: &str) -> bool {
    error.code() == Some(code)
}

/// The attachments a `ListPoliciesFor*` call returned, as the plan compares them.
fn attached_policies(body: ram::ListPoliciesResponse) -> Vec<PolicyRef> {
    body.policies
        .into_iter()
        .map(|p| PolicyRef {
            policy_type: p.policy_type,
            name: p.policy_name,
        })
        .collect()
}

/// The versions a `ListPolicyVersions` call returned.
pub(crate) fn observed_policy(body: ram::ListPolicyVersionsResponse) -> ObservedPolicy {
    ObservedPolicy {
        versions: body
            .policy_versions
            .into_iter()
            .map(|v| PolicyVersion {
                version_id: v.version_id,
                is_default: v.is_default_version,
                document: v.policy_document.unwrap_or_default(),
                create_date: v.create_date.unwrap_or_default(),
            })
            .collect(),
    }
}

type ReadResult<T> = Result<Observation<T>, Box<ReadFailure>>;

/// Sends one read and turns its result into an observation: `absent` codes give `absent_value`.
async fn read<R: acs::api::ApiRequest, T>(
    client: &acs::Client,
    request: &R,
    target: String,
    absent: &[&str],
    absent_value: impl FnOnce() -> T,
    present: impl FnOnce(R::Output) -> T,
) -> ReadResult<T> {
    let (result, record) = timed(client, request).await;
    match result {
        Ok(response) => Ok(Observation::new(present(response.body), record)),
        Err(e) if absent.iter().any(|code| is_code(&e, code)) => Ok(Observation::new(absent_value(), record)),
        Err(e) => Err(Box::new(ReadFailure {
            target,
            error: step_error(&e),
            call: record,
        })),
    }
}

async fn read_role(client: &acs::Client, role: &str) -> ReadResult<Option<ObservedRole>> {
    read(
        client,
        &ram::GetRole {
            role_name: role.to_owned(),
        },
        role.to_owned(),
        &["EntityNotExist.Role"],
        || None,
        |body| {
            Some(ObservedRole {
                arn: body.role.arn,
                trust_document: body.role.assume_role_policy_document,
                principal_name: body.role.role_principal_name,
            })
        },
    )
    .await
}

async fn read_role_policies(client: &acs::Client, role: &str) -> ReadResult<Vec<PolicyRef>> {
    read(
        client,
        &ram::ListPoliciesForRole {
            role_name: role.to_owned(),
        },
        role.to_owned(),
        &["EntityNotExist.Role"],
        Vec::new,
        attached_policies,
    )
    .await
}

/// Service-role attachments in the resource group, every page. Filtered by group and principal
/// type only, so this read does not wait for GetRole's principal name; the plan matches the
/// principal.
async fn read_rg_attachments(client: &acs::Client, rg: &str) -> ReadResult<Vec<RgAttachment>> {
    const PAGE_SIZE: u32 = 100;
    let mut all = Vec::new();
    let mut first_record: Option<CallRecord> = None;
    for page in 1u32.. {
        let request = resourcemanager::ListPolicyAttachments {
            resource_group_id: Some(rg.to_owned()),
            principal_type: Some(resourcemanager::PrincipalType::ServiceRole),
            page_number: Some(page),
            page_size: Some(PAGE_SIZE),
            ..Default::default()
        };
        let observation = read(client, &request, rg.to_owned(), &[], || None, Some).await?;
        let record = observation.read;
        let Some(body) = observation.value else {
            break;
        };
        let fetched = body.policy_attachments.len();
        all.extend(body.policy_attachments.into_iter().map(|a| RgAttachment {
            policy: PolicyRef {
                policy_type: a.policy_type,
                name: a.policy_name,
            },
            principal_name: a.principal_name,
            principal_type: a.principal_type,
            resource_group_id: a.resource_group_id,
        }));
        let merged = match first_record.take() {
            None => record,
            Some(mut first) => {
                first.attempts += record.attempts;
                first.duration_ms += record.duration_ms;
                first
            }
        };
        first_record = Some(merged);
        let total = usize::try_from(body.total_count).unwrap_or(usize::MAX);
        if fetched == 0 || all.len() >= total || page >= 50 {
            break;
        }
    }
    Ok(Observation::new(all, first_record.unwrap_or_default()))
}

async fn read_policy(client: &acs::Client, name: &str) -> ReadResult<Option<ObservedPolicy>> {
    read(
        client,
        &ram::ListPolicyVersions {
            policy_name: name.to_owned(),
            policy_type: ram::PolicyType::Custom,
        },
        name.to_owned(),
        &["EntityNotExist.Policy"],
        || None,
        |body| Some(observed_policy(body)),
    )
    .await
}

/// The membership of a user, by UserId.
pub(crate) async fn read_membership(
    client: &acs::Client,
    workspace_id: &str,
    user_id: &str,
    target: String,
) -> ReadResult<Option<Member>> {
    read(
        client,
        &aiworkspace::ListMembers {
            workspace_id: workspace_id.to_owned(),
            user_id: Some(user_id.to_owned()),
            page_size: Some(100),
            ..Default::default()
        },
        target,
        &[],
        || None,
        |body| {
            body.members.into_iter().find(|m| m.user_id == user_id).map(|m| Member {
                member_id: m.member_id,
                roles: m.roles,
            })
        },
    )
    .await
}

async fn read_user(
    client: &acs::Client,
    user: &DesiredUser,
    workspace_id: Option<&str>,
) -> Result<ObservedUser, Vec<ReadFailure>> {
    let get_user = ram::GetUser {
        user_name: user.name.clone(),
    };
    let list_policies = ram::ListPoliciesForUser {
        user_name: user.name.clone(),
    };
    let get = read(
        client,
        &get_user,
        user.name.clone(),
        &["EntityNotExist.User"],
        || None,
        |body| Some(body.user.user_id),
    );
    let list = read(
        client,
        &list_policies,
        user.name.clone(),
        &["EntityNotExist.User"],
        Vec::new,
        attached_policies,
    );
    let (user_id, policies) = tokio::join!(get, list);
    let mut failures = Vec::new();
    let membership = match (&user_id, workspace_id) {
        (Ok(Observation { value: Some(uid), .. }), Some(ws)) if !user.workspace_roles.is_empty() => {
            match read_membership(client, ws, uid, format!("{ws}/{}", user.name)).await {
                Ok(m) => Some(m),
                Err(f) => {
                    failures.push(*f);
                    None
                }
            }
        }
        _ => None,
    };
    match (user_id, policies) {
        (Ok(user_id), Ok(policies)) if failures.is_empty() => Ok(ObservedUser {
            user_id,
            policies,
            membership,
        }),
        (a, b) => {
            failures.extend(a.err().map(|f| *f));
            failures.extend(b.err().map(|f| *f));
            Err(failures)
        }
    }
}

async fn collect<K: Ord, T>(
    items: impl IntoIterator<Item = (K, impl Future<Output = Result<T, Vec<ReadFailure>>>)>,
) -> (BTreeMap<K, T>, Vec<ReadFailure>) {
    let (keys, futures): (Vec<K>, Vec<_>) = items.into_iter().unzip();
    let mut map = BTreeMap::new();
    let mut failures = Vec::new();
    for (key, result) in keys.into_iter().zip(join_all(futures).await) {
        match result {
            Ok(value) => {
                map.insert(key, value);
            }
            Err(f) => failures.extend(f),
        }
    }
    (map, failures)
}

/// Reads everything `desired` depends on, concurrently.
///
/// # Errors
/// Every read that failed for another reason than absence (no permission, transport, …).
pub async fn observe(client: &acs::Client, desired: &Desired) -> Result<Observed, Vec<ReadFailure>> {
    let role = read_role(client, &desired.role_name);
    let role_policies = read_role_policies(client, &desired.role_name);
    let rg = async {
        match &desired.scope {
            Scope::ResourceGroup(rg) => Some(read_rg_attachments(client, rg).await),
            Scope::Account => None,
        }
    };
    let policies = collect(desired.custom_policies.iter().map(|p| {
        (p.name.clone(), async {
            read_policy(client, &p.name).await.map_err(|f| vec![*f])
        })
    }));
    let users = collect(
        desired
            .users
            .iter()
            .map(|u| (u.name.clone(), read_user(client, u, desired.workspace_id.as_deref()))),
    );
    let (role, role_policies, rg, (policies, policy_failures), (users, user_failures)) =
        tokio::join!(role, role_policies, rg, policies, users);

    let mut failures = Vec::new();
    failures.extend(role.as_ref().err().map(|f| (**f).clone()));
    failures.extend(role_policies.as_ref().err().map(|f| (**f).clone()));
    if let Some(Err(f)) = &rg {
        failures.push((**f).clone());
    }
    failures.extend(policy_failures);
    failures.extend(user_failures);
    match (role, role_policies, rg.transpose()) {
        (Ok(role), Ok(role_policies), Ok(rg_attachments)) if failures.is_empty() => Ok(Observed {
            role,
            role_policies,
            rg_attachments,
            custom_policies: policies,
            users,
        }),
        _ => Err(failures),
    }
}
