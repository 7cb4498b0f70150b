//! From plan and results to the report's steps, verification and status. Pure.
//!
//! Verification needs no read-back wave: a fact is verified by the observe read that showed it
//! (`evidence: read`) or by this run's acknowledged write (`evidence: write`). `dlcauth check` is
//! the pure read-back.

use crate::desired::{Desired, PolicyType, Scope};
use crate::observed::CallRecord;
use crate::plan::{Action, ItemState, Plan};
use crate::report::{
    DocumentCheck, Evidence, Outcome, PolicyCheck, Status, Step, StepError, TrustCheck, UserCheck, Verification,
};

/// What kind of run produced the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Change the account.
    Grant,
    /// Plan only (`--dry-run`, `dlcauth plan`).
    DryRun,
    /// Read-only verification (`dlcauth check`).
    Check,
}

/// The result of executing one needed plan item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    /// What happened.
    pub outcome: Outcome,
    /// The call (the last one, for actions that needed a follow-up), with the attempts and time
    /// of all of them.
    pub call: CallRecord,
    /// The error, when failed.
    pub error: Option<StepError>,
    /// How the fact is now known to hold; `None` when it does not.
    pub evidence: Option<Evidence>,
}

impl ItemResult {
    /// Whether the fact holds after the step.
    pub fn succeeded(&self) -> bool {
        self.evidence.is_some()
    }
}

/// How each plan item's fact is known to hold, if it does.
fn evidence(plan: &Plan, results: &[Option<ItemResult>], index: usize) -> Option<Evidence> {
    match plan.items.get(index).map(|i| &i.state) {
        Some(ItemState::Satisfied(_)) => Some(Evidence::Read),
        Some(ItemState::Needed { .. }) => results.get(index).and_then(Option::as_ref).and_then(|r| r.evidence),
        _ => None,
    }
}

/// The report steps, one per plan item, in plan order.
pub fn steps(plan: &Plan, results: &[Option<ItemResult>], mode: Mode) -> Vec<Step> {
    plan.items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut step = Step {
                action: item.action.api_name().into(),
                target: item.action.target(),
                outcome: Outcome::Planned,
                request_id: None,
                attempts: 0,
                duration_ms: 0,
                error: None,
                wave: item.wave(),
            };
            match &item.state {
                ItemState::Satisfied(read) => {
                    step.outcome = Outcome::Unchanged;
                    step.request_id = read.request_id.clone();
                    step.attempts = read.attempts;
                    step.duration_ms = read.duration_ms;
                }
                ItemState::Blocked(problem) => {
                    step.outcome = Outcome::Failed;
                    step.error = Some(StepError {
                        code: problem.code.clone(),
                        message: problem.message.clone(),
                    });
                }
                ItemState::Needed { .. } => match (mode, results.get(i).and_then(Option::as_ref)) {
                    (Mode::Check, _) if item.action.is_activation() => {
                        step.outcome = Outcome::Skipped;
                        step.error = Some(StepError {
                            code: "NotObservable".into(),
                            message: "service activation has no read API; `dlcauth grant --activate-services` activates it (already active is fine)".into(),
                        });
                    }
                    (Mode::Check | Mode::DryRun, _) => step.outcome = Outcome::Planned,
                    (Mode::Grant, Some(result)) => {
                        step.outcome = result.outcome;
                        step.request_id = result.call.request_id.clone();
                        step.attempts = result.call.attempts;
                        step.duration_ms = result.call.duration_ms;
                        step.error = result.error.clone();
                    }
                    (Mode::Grant, None) => {
                        step.outcome = Outcome::Skipped;
                        let failed_dep = item
                            .deps
                            .iter()
                            .filter_map(|d| plan.items.get(*d))
                            .map(|d| format!("{} {}", d.action.api_name(), d.action.target()))
                            .collect::<Vec<_>>()
                            .join(", ");
                        step.error = Some(StepError {
                            code: "DependencyFailed".into(),
                            message: format!("not attempted because an earlier step failed ({failed_dep})"),
                        });
                    }
                },
            }
            step
        })
        .collect()
}

/// The overall status.
pub fn status(plan: &Plan, results: &[Option<ItemResult>], mode: Mode) -> Status {
    match mode {
        Mode::DryRun => Status::Planned,
        Mode::Check => {
            if plan.is_compliant(false) {
                Status::Compliant
            } else {
                Status::Noncompliant
            }
        }
        Mode::Grant => {
            let mut failed = 0;
            let mut holds = 0;
            let mut changed = 0;
            for (i, item) in plan.items.iter().enumerate() {
                match &item.state {
                    ItemState::Satisfied(_) => holds += 1,
                    ItemState::Blocked(_) => failed += 1,
                    ItemState::Needed { .. } => match results.get(i).and_then(Option::as_ref) {
                        Some(r) if r.succeeded() => {
                            holds += 1;
                            if r.outcome.is_change() {
                                changed += 1;
                            }
                        }
                        _ => failed += 1,
                    },
                }
            }
            match (failed, holds, changed) {
                (0, _, 0) => Status::Compliant,
                (0, _, _) => Status::Granted,
                (_, 0, _) => Status::Failed,
                _ => Status::Partial,
            }
        }
    }
}

/// What the run established about every desired fact.
pub fn verification(desired: &Desired, plan: &Plan, results: &[Option<ItemResult>]) -> Verification {
    let ev = |i: Option<usize>| i.and_then(|i| evidence(plan, results, i));

    let trust_evidence = ev(plan.find(|a| matches!(a, Action::CreateRole { .. } | Action::UpdateRole { .. })));
    let trust = TrustCheck {
        service: desired.trust_service.clone(),
        trusted: trust_evidence.is_some(),
        evidence: trust_evidence,
    };

    let document_check = |name: &str| -> Option<DocumentCheck> {
        desired.custom_policy(name)?;
        // The version item, if any, decides; else the create item.
        let index = plan
            .find(|a| matches!(a, Action::CreatePolicyVersion { policy, .. } if policy == name))
            .or_else(|| plan.find(|a| matches!(a, Action::CreatePolicy { policy, .. } if policy == name)));
        let evidence = ev(index);
        Some(DocumentCheck {
            current: evidence.is_some(),
            evidence,
        })
    };

    let policies = desired
        .role_policies
        .iter()
        .map(|policy| {
            let index = plan.find(|a| match a {
                Action::AttachPolicyToRole { policy: p, .. } | Action::AttachPolicy { policy: p, .. } => p == policy,
                _ => false,
            });
            let evidence = ev(index);
            let at_account_scope = index.and_then(|i| plan.items.get(i)).is_some_and(
                |item| matches!(&item.state, ItemState::Satisfied(read) if read.action == "ListPoliciesForRole"),
            );
            PolicyCheck {
                policy_type: policy.policy_type,
                name: policy.name.clone(),
                attached: evidence.is_some(),
                evidence,
                scope: match &desired.scope {
                    Scope::ResourceGroup(rg) if !at_account_scope => Some(rg.clone()),
                    _ => None,
                },
                document: (policy.policy_type == PolicyType::Custom)
                    .then(|| document_check(&policy.name))
                    .flatten(),
            }
        })
        .collect::<Vec<_>>();

    let users = desired
        .users
        .iter()
        .map(|user| {
            let policies: Vec<PolicyCheck> = user
                .policies
                .iter()
                .map(|policy| {
                    let evidence = ev(plan.find(|a| {
                        matches!(a, Action::AttachPolicyToUser { user: u, policy: p } if *u == user.name && p == policy)
                    }));
                    PolicyCheck {
                        policy_type: policy.policy_type,
                        name: policy.name.clone(),
                        attached: evidence.is_some(),
                        evidence,
                        scope: None,
                        document: None,
                    }
                })
                .collect();
            let mut held = Vec::new();
            if desired.workspace_id.is_some() {
                for role in &user.workspace_roles {
                    let holds = plan.items.iter().enumerate().any(|(i, item)| {
                        let relevant = match &item.action {
                            Action::CreateMember { user: u, roles, .. } => *u == user.name && roles.contains(role),
                            Action::AddMemberRole { user: u, role: r, .. } => *u == user.name && r == role,
                            _ => false,
                        };
                        relevant && evidence(plan, results, i).is_some()
                    });
                    if holds {
                        held.push(role.clone());
                    }
                }
            }
            let member = desired.workspace_id.is_none() || held.len() == user.workspace_roles.len();
            UserCheck {
                name: user.name.clone(),
                policies,
                workspace_roles: held,
                member,
            }
        })
        .collect::<Vec<_>>();

    let complete = trust.trusted
        && policies
            .iter()
            .all(|p| p.attached && p.document.as_ref().is_none_or(|d| d.current))
        && users.iter().all(|u| u.member && u.policies.iter().all(|p| p.attached));
    Verification {
        complete,
        policies,
        trust: Some(trust),
        users,
    }
}

/// The verification when nothing could be read: every required policy listed, none verified.
pub fn unverified(desired: &Desired) -> Verification {
    verification(desired, &Plan::default(), &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{OAUTH_POLICY, OSS_FULL_ACCESS};
    use crate::plan::plan;
    use crate::plan::tests::{ACCOUNT, compliant, fresh};
    use crate::request::{GrantRequest, UserGrant};

    fn desired() -> Desired {
        Desired::from_request(&GrantRequest::for_account(ACCOUNT))
    }

    fn ok(outcome: Outcome, action: &'static str) -> Option<ItemResult> {
        Some(ItemResult {
            outcome,
            call: CallRecord {
                action,
                request_id: Some(format!("W-{action}")),
                attempts: 1,
                duration_ms: 5,
            },
            error: None,
            evidence: Some(Evidence::Write),
        })
    }

    fn failed(action: &'static str, code: &str) -> Option<ItemResult> {
        Some(ItemResult {
            outcome: Outcome::Failed,
            call: CallRecord {
                action,
                request_id: Some("W-fail".into()),
                attempts: 1,
                duration_ms: 5,
            },
            error: Some(StepError {
                code: code.into(),
                message: "You are not authorized to do this action.".into(),
            }),
            evidence: None,
        })
    }

    fn all_ok(p: &Plan) -> Vec<Option<ItemResult>> {
        p.items
            .iter()
            .map(|i| match i.state {
                ItemState::Needed { .. } => ok(
                    match i.action {
                        Action::AttachPolicyToRole { .. } => Outcome::Attached,
                        _ => Outcome::Created,
                    },
                    i.action.api_name(),
                ),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn fresh_grant_that_succeeds_is_granted_and_verified_by_writes() {
        let d = desired();
        let p = plan(&d, &fresh(&d));
        let results = all_ok(&p);
        assert_eq!(status(&p, &results, Mode::Grant), Status::Granted);
        let v = verification(&d, &p, &results);
        assert!(v.complete);
        assert!(v.policies.iter().all(|p| p.evidence == Some(Evidence::Write)));
        assert_eq!(v.trust.as_ref().and_then(|t| t.evidence), Some(Evidence::Write));
        let oauth = v
            .policies
            .iter()
            .find(|p| p.name == OAUTH_POLICY)
            .and_then(|p| p.document.clone());
        assert_eq!(
            oauth,
            Some(DocumentCheck {
                current: true,
                evidence: Some(Evidence::Write)
            })
        );
        let steps = steps(&p, &results, Mode::Grant);
        assert_eq!(steps[0].outcome, Outcome::Created);
        assert_eq!(steps[0].request_id.as_deref(), Some("W-CreateRole"));
        assert_eq!(steps[0].wave, Some(1));
        assert_eq!(steps[2].outcome, Outcome::Attached);
        assert_eq!(steps[2].wave, Some(2));
    }

    #[test]
    fn compliant_account_is_verified_by_reads_with_unchanged_steps() {
        let d = desired();
        let p = plan(&d, &compliant(&d));
        let results = vec![None; p.items.len()];
        assert_eq!(status(&p, &results, Mode::Grant), Status::Compliant);
        assert_eq!(status(&p, &results, Mode::Check), Status::Compliant);
        let v = verification(&d, &p, &results);
        assert!(v.complete);
        assert!(v.policies.iter().all(|p| p.evidence == Some(Evidence::Read)));
        let steps = steps(&p, &results, Mode::Grant);
        assert!(
            steps
                .iter()
                .all(|s| s.outcome == Outcome::Unchanged && s.wave.is_none())
        );
        assert_eq!(steps[0].request_id.as_deref(), Some("req-GetRole"));
        assert_eq!(steps[2].request_id.as_deref(), Some("req-ListPoliciesForRole"));
    }

    #[test]
    fn writes_that_found_things_already_there_are_compliant_not_granted() {
        let d = desired();
        let p = plan(&d, &fresh(&d));
        let results: Vec<Option<ItemResult>> = p
            .items
            .iter()
            .map(|i| ok(Outcome::Unchanged, i.action.api_name()))
            .collect();
        assert_eq!(status(&p, &results, Mode::Grant), Status::Compliant);
    }

    #[test]
    fn dry_run_and_check_list_the_plan() {
        let d = desired();
        let p = plan(&d, &fresh(&d));
        let none = vec![None; p.items.len()];
        assert_eq!(status(&p, &none, Mode::DryRun), Status::Planned);
        assert_eq!(status(&p, &none, Mode::Check), Status::Noncompliant);
        for mode in [Mode::DryRun, Mode::Check] {
            let steps = steps(&p, &none, mode);
            assert_eq!(steps.len(), 5);
            assert!(steps.iter().all(|s| s.outcome == Outcome::Planned && s.attempts == 0));
        }
        let v = verification(&d, &p, &none);
        assert!(!v.complete);
        assert!(v.policies.iter().all(|p| !p.attached && p.evidence.is_none()));
    }

    #[test]
    fn a_failed_create_skips_its_dependents_and_the_run_fails() {
        let d = desired();
        let p = plan(&d, &fresh(&d));
        let mut results = vec![None; p.items.len()];
        results[0] = failed("CreateRole", "NoPermission");
        results[1] = failed("CreatePolicy", "NoPermission");
        assert_eq!(status(&p, &results, Mode::Grant), Status::Failed);
        let steps = steps(&p, &results, Mode::Grant);
        assert_eq!(steps[0].outcome, Outcome::Failed);
        assert_eq!(steps[0].error.as_ref().map(|e| e.code.as_str()), Some("NoPermission"));
        assert_eq!(steps[2].outcome, Outcome::Skipped);
        assert!(
            steps[2].error.as_ref().is_some_and(
                |e| e.code == "DependencyFailed" && e.message.contains("CreateRole AliyunPAIDLCDefaultRole")
            )
        );
    }

    #[test]
    fn some_failed_some_succeeded_is_partial() {
        let d = desired();
        let mut o = compliant(&d);
        o.role_policies.value.clear();
        let p = plan(&d, &o);
        let mut results = all_ok(&p);
        let oss = p
            .items
            .iter()
            .position(|i| i.action.target().ends_with(OSS_FULL_ACCESS))
            .unwrap_or(0);
        results[oss] = failed("AttachPolicyToRole", "NoPermission");
        assert_eq!(status(&p, &results, Mode::Grant), Status::Partial);
        let v = verification(&d, &p, &results);
        assert!(!v.complete);
        assert_eq!(
            v.policies.iter().map(|p| p.attached).collect::<Vec<_>>(),
            vec![true, false, true]
        );
    }

    #[test]
    fn blocked_items_fail_the_fact_but_not_the_rest() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.workspace_id = Some("81231".into());
        r.users = Some(vec![UserGrant {
            name: "ghost".into(),
            ..UserGrant::default()
        }]);
        let d = Desired::from_request(&r);
        let mut o = compliant(&d);
        if let Some(u) = o.users.get_mut("ghost") {
            u.user_id.value = None;
            u.membership = None;
        }
        let p = plan(&d, &o);
        let results = vec![None; p.items.len()];
        assert_eq!(status(&p, &results, Mode::Grant), Status::Partial);
        assert_eq!(status(&p, &results, Mode::Check), Status::Noncompliant);
        let v = verification(&d, &p, &results);
        assert!(!v.complete);
        assert!(!v.users[0].member);
        assert!(v.users[0].policies.iter().all(|p| !p.attached));
        let steps = steps(&p, &results, Mode::Grant);
        assert!(
            steps
                .iter()
                .filter(|s| s.target.contains("ghost"))
                .all(|s| s.outcome == Outcome::Failed
                    && s.error.as_ref().is_some_and(|e| e.code == "EntityNotExist.User"))
        );
    }

    #[test]
    fn check_skips_activation_and_still_judges_the_rest() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.activate_services = true;
        let d = Desired::from_request(&r);
        let p = plan(&d, &compliant(&d));
        let none = vec![None; p.items.len()];
        assert_eq!(status(&p, &none, Mode::Check), Status::Compliant);
        let steps = steps(&p, &none, Mode::Check);
        assert_eq!(steps[0].outcome, Outcome::Skipped);
        assert_eq!(steps[0].error.as_ref().map(|e| e.code.as_str()), Some("NotObservable"));
    }

    #[test]
    fn membership_verification_tracks_each_role() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.workspace_id = Some("81231".into());
        r.users = Some(vec![UserGrant {
            name: "alice".into(),
            policies: Some(vec![]),
            workspace_roles: Some(vec!["PAI.AlgoDeveloper".into(), "PAI.WorkspaceAdmin".into()]),
        }]);
        let d = Desired::from_request(&r);
        let mut o = compliant(&d);
        if let Some(Some(m)) = o
            .users
            .get_mut("alice")
            .and_then(|u| u.membership.as_mut())
            .map(|m| m.value.as_mut())
        {
            m.roles = vec!["PAI.AlgoDeveloper".into()];
        }
        let p = plan(&d, &o);
        let none = vec![None; p.items.len()];
        let v = verification(&d, &p, &none);
        assert_eq!(v.users[0].workspace_roles, vec!["PAI.AlgoDeveloper".to_string()]);
        assert!(!v.users[0].member);
        let v = verification(&d, &p, &all_ok(&p));
        assert!(v.users[0].member && v.complete);
    }

    #[test]
    fn resource_group_scope_is_reported() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.resource_group_id = Some("rg-abc".into());
        let d = Desired::from_request(&r);
        let p = plan(&d, &fresh(&d));
        let v = verification(&d, &p, &all_ok(&p));
        assert!(v.policies.iter().all(|p| p.scope.as_deref() == Some("rg-abc")));
    }

    #[test]
    fn unverified_lists_every_required_policy_as_not_attached() {
        let v = unverified(&desired());
        assert_eq!(v.policies.len(), 3);
        assert!(!v.complete && v.policies.iter().all(|p| !p.attached));
    }
}
