//! Apply: runs the plan's waves, each wave's actions concurrently.
//!
//! Idempotent and safe against concurrent runs of itself:
//! - `EntityAlreadyExists.*` is success (someone got there first). For a create whose content
//!   matters (the role's trust, a policy's document), the existing entity is read and brought up
//!   to date, so a race never leaves the loser's assumption unchecked.
//! - `EntityNotExist.Role` / `.Policy` right after this run's own create is retried briefly (RAM is
//!   eventually consistent); nothing else is retried here — the client already retries throttling,
//!   5xx and transport errors, and a permanent error (NoPermission) must fail fast.
//! - Those client retries are harmless for every write but one: a repeated CreatePolicyVersion
//!   adds another version. It alone is sent without them and retried here only after reading
//!   back that its lost reply did not land (see `send_version`).
//! - Nothing is ever detached or narrowed; the only deletion is the oldest non-default policy
//!   version the 5-version limit forces, and never while the listing does not show which version
//!   is the default.

use std::time::{Duration, Instant};

use acs::api::{activation, aiworkspace, ram, resourcemanager};
use futures_util::future::join_all;
use tokio::sync::OnceCell;

use crate::desired::Desired;
use crate::observe::{elapsed_ms, is_code, observed_policy, read_membership, step_error, timed};
use crate::observed::{CallRecord, MAX_POLICY_VERSIONS, Observed, ObservedPolicy};
use crate::plan::{Action, ItemState, Plan};
use crate::policy_doc;
use crate::report::{Evidence, Outcome, StepError};
use crate::verify::ItemResult;

/// How long to keep retrying a call that cannot yet see what this run just created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettleRetry {
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// The first delay; doubled each time.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Default for SettleRetry {
    /// About 20 s in all, like the official tooling's attach retries (reference §6.4).
    fn default() -> Self {
        Self {
            attempts: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl SettleRetry {
    /// The pause before retry `retry` (0-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// What the actions of one run share.
struct Ctx<'a> {
    client: &'a acs::Client,
    desired: &'a Desired,
    observed: &'a Observed,
    settle: SettleRetry,
    /// The role's principal name for ResourceManager, resolved at most once per run.
    principal: OnceCell<String>,
}

/// The calls making up one step. The step reports its own API's call: that call's RequestId and
/// its attempts (retries and settle retries included); auxiliary reads (a follow-up GetRole, a
/// ListPolicyVersions after a conflict) only add to the duration — unless the step failed before
/// its own API was called, when the failing read is what it reports.
struct Calls {
    primary: &'static str,
    started: Instant,
    primary_attempts: u32,
    primary_last: Option<CallRecord>,
    last: Option<CallRecord>,
}

impl Calls {
    fn new(primary: &'static str) -> Self {
        Self {
            primary,
            started: Instant::now(),
            primary_attempts: 0,
            primary_last: None,
            last: None,
        }
    }

    fn add(&mut self, record: CallRecord) {
        if record.action == self.primary {
            self.primary_attempts += record.attempts;
            self.primary_last = Some(record.clone());
        }
        self.last = Some(record);
    }

    fn record(&self) -> CallRecord {
        let mut record = match &self.primary_last {
            Some(primary) => CallRecord {
                attempts: self.primary_attempts,
                ..primary.clone()
            },
            None => self.last.clone().unwrap_or_default(),
        };
        record.duration_ms = elapsed_ms(self.started);
        record
    }

    fn done(&self, outcome: Outcome, evidence: Evidence) -> ItemResult {
        ItemResult {
            outcome,
            call: self.record(),
            error: None,
            evidence: Some(evidence),
        }
    }

    fn failed(&self, error: StepError) -> ItemResult {
        ItemResult {
            outcome: Outcome::Failed,
            call: self.record(),
            error: Some(error),
            evidence: None,
        }
    }

    fn failed_call(&self, error: &acs::Error) -> ItemResult {
        self.failed(step_error(error))
    }
}

fn already_exists(error: &acs::Error) -> bool {
    error.code().is_some_and(|c| c.starts_with("EntityAlreadyExists"))
}

/// Membership errors have no documented "already a member" code (reference §5.6): anything
/// saying something exists counts — but not a "does not exist" (`EntityNotExists.Workspace`
/// contains "Exists" too), which must fail the step rather than pass as done.
fn member_exists(error: &acs::Error) -> bool {
    error.code().is_some_and(|c| {
        !c.contains("NotExist") && (c.contains("AlreadyExist") || c.contains("Exists") || c.contains("Duplicate"))
    })
}

/// Whether a failed write may still have been applied: no answer at all, or a 5xx (the emulator's
/// and RAM's "lost reply"). A throttled or refused call was not.
fn may_have_landed(error: &acs::Error) -> bool {
    matches!(error, acs::Error::Transport { .. }) || error.http_status().is_some_and(|s| s >= 500)
}

impl Ctx<'_> {
    /// Calls once (the client's own retries aside) and adds the call to the step.
    async fn call<R: acs::api::ApiRequest>(
        &self,
        calls: &mut Calls,
        request: &R,
    ) -> Result<acs::Response<R::Output>, acs::Error> {
        let (result, record) = timed(self.client, request).await;
        calls.add(record);
        result
    }

    /// Calls, retrying while RAM does not yet see an entity this run created.
    async fn call_settling<R: acs::api::ApiRequest>(
        &self,
        calls: &mut Calls,
        request: &R,
        after_own_create: bool,
    ) -> Result<acs::Response<R::Output>, acs::Error> {
        let attempts = if after_own_create {
            self.settle.attempts.max(1)
        } else {
            1
        };
        let mut retry = 0;
        loop {
            let result = self.call(calls, request).await;
            match result {
                Err(e)
                    if retry + 1 < attempts
                        && (is_code(&e, "EntityNotExist.Role") || is_code(&e, "EntityNotExist.Policy")) =>
                {
                    tracing::debug!(action = R::ACTION, retry, "not visible yet after our create; retrying");
                    tokio::time::sleep(self.settle.delay(retry)).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    /// An attach: "already attached" (`EntityAlreadyExists.*`) is as good as attached.
    async fn attach<R: acs::api::ApiRequest>(
        &self,
        mut calls: Calls,
        request: &R,
        after_own_create: bool,
    ) -> ItemResult {
        match self.call_settling(&mut calls, request, after_own_create).await {
            Ok(_) => calls.done(Outcome::Attached, Evidence::Write),
            Err(e) if already_exists(&e) => calls.done(Outcome::Unchanged, Evidence::Write),
            Err(e) => calls.failed_call(&e),
        }
    }

    /// A service activation: "already active" (`ORDER.OPEND`) is as good as activated.
    async fn activate<R: acs::api::ApiRequest>(&self, mut calls: Calls, request: &R) -> ItemResult {
        let result = self.call(&mut calls, request).await;
        match result {
            Ok(_) => calls.done(Outcome::Created, Evidence::Write),
            Err(e) if is_code(&e, activation::ALREADY_ACTIVE) => calls.done(Outcome::Unchanged, Evidence::Write),
            Err(e) => calls.failed_call(&e),
        }
    }

    async fn run(&self, action: &Action, after_own_create: bool) -> ItemResult {
        let mut calls = Calls::new(action.api_name());
        match action {
            Action::OpenOssService => self.activate(calls, &activation::OpenOssService).await,
            Action::OpenNasService => self.activate(calls, &activation::OpenNasService).await,
            Action::CreateRole {
                role,
                trust_document,
                description,
            } => {
                let request = ram::CreateRole {
                    role_name: role.clone(),
                    assume_role_policy_document: trust_document.clone(),
                    description: Some(description.clone()),
                    ..Default::default()
                };
                let result = self.call(&mut calls, &request).await;
                match result {
                    Ok(response) => {
                        if let Some(p) = response.body.role.role_principal_name {
                            let _ = self.principal.set(p);
                        }
                        calls.done(Outcome::Created, Evidence::Write)
                    }
                    Err(e) if already_exists(&e) => self.reconcile_existing_role(&mut calls, role).await,
                    Err(e) => calls.failed_call(&e),
                }
            }
            Action::UpdateRole { role, trust_document } => {
                self.update_trust(&mut calls, role, trust_document.clone()).await
            }
            Action::CreatePolicy {
                policy,
                document,
                description,
            } => {
                let result = self
                    .call(
                        &mut calls,
                        &ram::CreatePolicy {
                            policy_name: policy.clone(),
                            policy_document: document.clone(),
                            description: Some(description.clone()),
                        },
                    )
                    .await;
                match result {
                    Ok(_) => calls.done(Outcome::Created, Evidence::Write),
                    Err(e) if already_exists(&e) => self.reconcile_existing_policy(&mut calls, policy).await,
                    Err(e) => calls.failed_call(&e),
                }
            }
            Action::DeletePolicyVersion { policy, version_id } => {
                match self.delete_version(&mut calls, policy, version_id).await {
                    Ok(outcome) => calls.done(outcome, Evidence::Write),
                    Err(e) => calls.failed_call(&e),
                }
            }
            Action::CreatePolicyVersion { policy, document } => self.create_version(&mut calls, policy, document).await,
            Action::AttachPolicyToRole { role, policy } => {
                let request = ram::AttachPolicyToRole {
                    policy_type: policy.policy_type,
                    policy_name: policy.name.clone(),
                    role_name: role.clone(),
                    resource_group_id: None,
                };
                self.attach(calls, &request, after_own_create).await
            }
            Action::AttachPolicy {
                resource_group_id,
                role,
                policy,
            } => {
                let principal = match self.principal_name(&mut calls, role, after_own_create).await {
                    Ok(p) => p,
                    Err(e) => return calls.failed_call(&e),
                };
                let request = resourcemanager::AttachPolicy {
                    policy_name: policy.name.clone(),
                    policy_type: policy.policy_type,
                    principal_type: resourcemanager::PrincipalType::ServiceRole,
                    principal_name: principal,
                    resource_group_id: resource_group_id.clone(),
                };
                self.attach(calls, &request, after_own_create).await
            }
            Action::AttachPolicyToUser { user, policy } => {
                let request = ram::AttachPolicyToUser {
                    policy_type: policy.policy_type,
                    policy_name: policy.name.clone(),
                    user_name: user.clone(),
                    resource_group_id: None,
                };
                self.attach(calls, &request, after_own_create).await
            }
            Action::CreateMember {
                workspace_id,
                user,
                user_id,
                roles,
            } => {
                let result = self
                    .call(
                        &mut calls,
                        &aiworkspace::CreateMember {
                            workspace_id: workspace_id.clone(),
                            members: vec![aiworkspace::NewMember {
                                roles: roles.clone(),
                                user_id: user_id.clone(),
                            }],
                        },
                    )
                    .await;
                match result {
                    Ok(_) => calls.done(Outcome::Created, Evidence::Write),
                    Err(e) if member_exists(&e) => {
                        self.complete_membership(&mut calls, workspace_id, user, user_id, roles)
                            .await
                    }
                    Err(e) => calls.failed_call(&e),
                }
            }
            Action::AddMemberRole {
                workspace_id,
                member_id,
                role,
                ..
            } => match self.add_member_role(&mut calls, workspace_id, member_id, role).await {
                Ok(outcome) => calls.done(outcome, Evidence::Write),
                Err(e) => calls.failed_call(&e),
            },
        }
    }

    /// CreateRole lost a race (or a retry after a lost reply found our own role): read the role
    /// and make sure it trusts PAI, adding PAI if not.
    async fn reconcile_existing_role(&self, calls: &mut Calls, role: &str) -> ItemResult {
        let result = self
            .call(
                calls,
                &ram::GetRole {
                    role_name: role.to_owned(),
                },
            )
            .await;
        let existing = match result {
            Ok(r) => r.body.role,
            Err(e) => return calls.failed_call(&e),
        };
        if let Some(p) = existing.role_principal_name.clone() {
            let _ = self.principal.set(p);
        }
        let trust = existing.assume_role_policy_document;
        let service = &self.desired.trust_service;
        if policy_doc::trusts_service(&trust, service) {
            return calls.done(Outcome::Unchanged, Evidence::Read);
        }
        if policy_doc::denies_service(&trust, service) {
            return calls.failed(StepError {
                code: "TrustPolicyDenies".into(),
                message: format!("the existing trust policy of {role} denies {service}; remove the Deny by hand"),
            });
        }
        let updated = match policy_doc::add_trusted_service(&trust, service) {
            Ok(doc) => doc,
            Err(e) => {
                return calls.failed(StepError {
                    code: "MalformedPolicyDocument".into(),
                    message: e.to_string(),
                });
            }
        };
        self.update_trust(calls, role, updated).await
    }

    /// UpdateRole with a new trust policy.
    async fn update_trust(&self, calls: &mut Calls, role: &str, trust_document: String) -> ItemResult {
        let request = ram::UpdateRole {
            role_name: role.to_owned(),
            new_assume_role_policy_document: Some(trust_document),
            ..Default::default()
        };
        match self.call(calls, &request).await {
            Ok(_) => calls.done(Outcome::Updated, Evidence::Write),
            Err(e) => calls.failed_call(&e),
        }
    }

    async fn list_versions(&self, calls: &mut Calls, policy: &str) -> Result<ObservedPolicy, acs::Error> {
        let result = self
            .call(
                calls,
                &ram::ListPolicyVersions {
                    policy_name: policy.to_owned(),
                    policy_type: ram::PolicyType::Custom,
                },
            )
            .await;
        Ok(observed_policy(result?.body))
    }

    /// CreatePolicy lost a race: read the policy and bring its default version up to date.
    async fn reconcile_existing_policy(&self, calls: &mut Calls, policy: &str) -> ItemResult {
        let Some(wanted) = self.desired.custom_policy(policy) else {
            return calls.done(Outcome::Unchanged, Evidence::Write);
        };
        let current = match self.list_versions(calls, policy).await {
            Ok(c) => c,
            Err(e) => return calls.failed_call(&e),
        };
        let default_doc = current.default_version().map(|v| v.document.clone());
        if default_doc.as_deref().is_some_and(|d| wanted.is_satisfied_by(d)) {
            return calls.done(Outcome::Unchanged, Evidence::Read);
        }
        let document = wanted.document_to_write(default_doc.as_deref());
        self.create_version(calls, policy, &document).await
    }

    async fn delete_version(&self, calls: &mut Calls, policy: &str, version_id: &str) -> Result<Outcome, acs::Error> {
        let result = self
            .call(
                calls,
                &ram::DeletePolicyVersion {
                    policy_name: policy.to_owned(),
                    version_id: version_id.to_owned(),
                },
            )
            .await;
        match result {
            Ok(_) => Ok(Outcome::Updated),
            // Gone already: a concurrent run deleted it, or our own reply was lost and retried.
            Err(e) if is_code(&e, "EntityNotExist.Policy.Version") => Ok(Outcome::Unchanged),
            Err(e) => Err(e),
        }
    }

    /// Whether `current` (a default version's document) is what `policy` should say; `written` is
    /// the document this run sends, for a policy the desired state does not describe.
    fn in_force(&self, policy: &str, written: &str, current: &str) -> bool {
        match self.desired.custom_policy(policy) {
            Some(wanted) => wanted.is_satisfied_by(current),
            None => policy_doc::semantically_equal(written, current),
        }
    }

    /// CreatePolicyVersion(SetAsDefault). If the limit is hit anyway (a concurrent run added a
    /// version since we looked), make room by deleting the oldest non-default version and try
    /// once more — unless the concurrent run already set what we want.
    async fn create_version(&self, calls: &mut Calls, policy: &str, document: &str) -> ItemResult {
        let request = ram::CreatePolicyVersion {
            policy_name: policy.to_owned(),
            policy_document: document.to_owned(),
            set_as_default: Some(true),
            rotate_strategy: None,
        };
        match self.send_version(calls, &request).await {
            Ok(()) => return calls.done(Outcome::Updated, Evidence::Write),
            Err(e) if !is_code(&e, "LimitExceeded.Policy.Version") => return calls.failed_call(&e),
            Err(_) => {}
        }
        let current = match self.list_versions(calls, policy).await {
            Ok(c) => c,
            Err(e) => return calls.failed_call(&e),
        };
        if current
            .default_version()
            .is_some_and(|default| self.in_force(policy, document, &default.document))
        {
            return calls.done(Outcome::Unchanged, Evidence::Read);
        }
        if current.versions.len() >= MAX_POLICY_VERSIONS {
            let Some(oldest) = current.oldest_non_default() else {
                return calls.failed(StepError {
                    code: "LimitExceeded.Policy.Version".into(),
                    message: format!(
                        "{policy} has {} versions and none can safely be deleted",
                        current.versions.len()
                    ),
                });
            };
            if let Err(e) = self.delete_version(calls, policy, &oldest.version_id).await {
                return calls.failed_call(&e);
            }
        }
        match self.send_version(calls, &request).await {
            Ok(()) => calls.done(Outcome::Updated, Evidence::Write),
            Err(e) => calls.failed_call(&e),
        }
    }

    /// Sends CreatePolicyVersion, the one write whose repetition is not harmless: each repeat
    /// adds a version, and a policy holds five. So the client's blind retries are off for it;
    /// after a failure that may have been applied anyway (a lost reply), the versions are read
    /// back and the create is repeated only if its document is not in force. Transient failures
    /// are retried as often and as patiently as the client's own policy would.
    async fn send_version(&self, calls: &mut Calls, request: &ram::CreatePolicyVersion) -> Result<(), acs::Error> {
        let retry = self.client.config().retry;
        let once = self.client.with_retry(acs::RetryPolicy::no_retries());
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let (result, record) = timed(&once, request).await;
            calls.add(record);
            let error = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            if !error.is_retryable() || attempt >= retry.max_attempts.max(1) {
                return Err(error);
            }
            if may_have_landed(&error)
                && let Ok(current) = self.list_versions(calls, &request.policy_name).await
                && current
                    .default_version()
                    .is_some_and(|v| self.in_force(&request.policy_name, &request.policy_document, &v.document))
            {
                tracing::debug!(policy = %request.policy_name, "CreatePolicyVersion had landed; not repeating it");
                return Ok(());
            }
            tokio::time::sleep(retry.jittered_delay(attempt, fastrand::f64())).await;
        }
    }

    /// The role's ResourceManager principal name: from the observe read, from this run's
    /// CreateRole, or read once (retrying while a just-created role is not yet visible).
    async fn principal_name(
        &self,
        calls: &mut Calls,
        role: &str,
        after_own_create: bool,
    ) -> Result<String, acs::Error> {
        if let Some(p) = self.observed.role.value.as_ref().and_then(|r| r.principal_name.clone()) {
            return Ok(p);
        }
        // Concurrent attaches wait for one GetRole instead of each sending their own.
        let principal = self
            .principal
            .get_or_try_init(|| async {
                let request = ram::GetRole {
                    role_name: role.to_owned(),
                };
                let response = self.call_settling(calls, &request, after_own_create).await?;
                Ok::<_, acs::Error>(response.body.role.role_principal_name.unwrap_or_else(|| {
                    // Without a custom alias, the alias is the account ID (reference §5.5).
                    format!("{role}@role.{}.onaliyunservice.com", self.desired.account_id)
                }))
            })
            .await?;
        Ok(principal.clone())
    }

    async fn add_member_role(
        &self,
        calls: &mut Calls,
        workspace_id: &str,
        member_id: &str,
        role: &str,
    ) -> Result<Outcome, acs::Error> {
        let result = self
            .call(
                calls,
                &aiworkspace::AddMemberRole {
                    workspace_id: workspace_id.to_owned(),
                    member_id: member_id.to_owned(),
                    role_name: role.to_owned(),
                },
            )
            .await;
        match result {
            Ok(_) => Ok(Outcome::Updated),
            Err(e) if member_exists(&e) => Ok(Outcome::Unchanged),
            Err(e) => Err(e),
        }
    }

    /// CreateMember found the user already a member (a race, or a lost reply): add the roles it
    /// lacks.
    async fn complete_membership(
        &self,
        calls: &mut Calls,
        workspace_id: &str,
        user: &str,
        user_id: &str,
        roles: &[String],
    ) -> ItemResult {
        let (member, record) = match read_membership(self.client, workspace_id, user_id, user.to_owned()).await {
            Ok(observation) => (observation.value, observation.read),
            Err(failure) => {
                let failure = *failure;
                calls.add(failure.call);
                return calls.failed(failure.error);
            }
        };
        calls.add(record);
        let Some(member) = member else {
            return calls.failed(StepError {
                code: "MemberNotFound".into(),
                message: format!(
                    "CreateMember said {user} is a member of {workspace_id}, but ListMembers does not list it"
                ),
            });
        };
        let mut outcome = Outcome::Unchanged;
        for role in roles.iter().filter(|r| !member.roles.contains(r)) {
            match self.add_member_role(calls, workspace_id, &member.member_id, role).await {
                Ok(Outcome::Updated) => outcome = Outcome::Updated,
                Ok(_) => {}
                Err(e) => return calls.failed_call(&e),
            }
        }
        calls.done(
            outcome,
            if outcome == Outcome::Unchanged {
                Evidence::Read
            } else {
                Evidence::Write
            },
        )
    }
}

/// Runs the plan's waves in order, each wave's actions concurrently. An action whose
/// dependencies did not all succeed is not attempted (its result stays `None`: skipped).
pub async fn apply(
    client: &acs::Client,
    desired: &Desired,
    observed: &Observed,
    plan: &Plan,
    settle: SettleRetry,
) -> Vec<Option<ItemResult>> {
    let ctx = Ctx {
        client,
        desired,
        observed,
        settle,
        principal: OnceCell::new(),
    };
    let mut results: Vec<Option<ItemResult>> = vec![None; plan.items.len()];
    for (w, wave) in plan.waves().into_iter().enumerate() {
        let runnable: Vec<usize> = wave
            .into_iter()
            .filter(|&i| {
                plan.items[i].deps.iter().all(|d| {
                    results
                        .get(*d)
                        .and_then(Option::as_ref)
                        .is_some_and(ItemResult::succeeded)
                })
            })
            .collect();
        tracing::info!(wave = w + 1, actions = runnable.len(), "applying wave");
        let outcomes = join_all(runnable.iter().map(|&i| {
            let item = &plan.items[i];
            let ctx = &ctx;
            async move {
                debug_assert!(matches!(item.state, ItemState::Needed { .. }));
                let after_own_create = !item.deps.is_empty();
                let result = ctx.run(&item.action, after_own_create).await;
                tracing::info!(
                    action = item.action.api_name(),
                    target = %item.action.target(),
                    outcome = result.outcome.as_str(),
                    attempts = result.call.attempts,
                    error = result.error.as_ref().map(|e| e.code.as_str()),
                    "step"
                );
                (i, result)
            }
        }))
        .await;
        for (i, result) in outcomes {
            results[i] = Some(result);
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_error(code: &str, http_status: u16) -> acs::Error {
        acs::Error::Service {
            action: "AddMemberRole",
            error: acs::ServiceError {
                code: code.into(),
                message: String::new(),
                request_id: None,
                host_id: None,
                recommend: None,
                http_status,
            },
            attempts: 1,
        }
    }

    #[test]
    fn a_not_exists_code_is_never_taken_for_an_existing_membership() {
        for exists in [
            "EntityAlreadyExists.Member",
            "MemberAlreadyExist",
            "Member.Exists",
            "DuplicateMember",
        ] {
            assert!(member_exists(&service_error(exists, 409)), "{exists}");
        }
        for absent in [
            "EntityNotExist.Member",
            "EntityNotExists.Workspace",
            "WorkspaceNotExists",
            "NoPermission",
        ] {
            assert!(!member_exists(&service_error(absent, 404)), "{absent}");
        }
    }

    #[test]
    fn only_unanswered_and_5xx_writes_may_have_landed() {
        assert!(may_have_landed(&acs::Error::Transport {
            action: "CreatePolicyVersion",
            message: "reset".into(),
            attempts: 1,
        }));
        assert!(may_have_landed(&service_error("InternalError", 500)));
        assert!(may_have_landed(&service_error("ServiceUnavailable", 503)));
        assert!(!may_have_landed(&service_error("Throttling.User", 400)));
        assert!(!may_have_landed(&service_error("LimitExceeded.Policy.Version", 409)));
    }

    #[test]
    fn settle_delays_double_and_cap() {
        let s = SettleRetry {
            attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        let delays: Vec<u128> = (0..5).map(|r| s.delay(r).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 500, 500]);
        assert_eq!(s.delay(u32::MAX), Duration::from_millis(500));
    }
}
