//! From plan and results to the report's steps, verification and status. Pure.
//!
//! By default verification needs no read-back wave: a fact is verified by the observe read that
//! showed it (`evidence: read`) or by this run's acknowledged write (`evidence: write`); an
//! immediate read on eventually-consistent RAM proves no more and can report a just-made change
//! as missing. With `read_back` (opt-in) the engine re-reads after the last write wave and
//! [`confirmed`] keeps only what that read shows. `dlcauth check` is the pure read-back.
//!
//! Evidence is about the fact, not its truth: `attached: false` with evidence `read` means a read
//! found it missing; without evidence it means not verified (the read never happened, or the
//! write failed and its fate is unknown).

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

/// One desired fact as the run established it: whether it holds, and how that is known. No
/// evidence = not verified (nothing in this run read it, or a write to it failed or never ran,
/// so its state is unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fact {
    holds: bool,
    evidence: Option<Evidence>,
}

impl Fact {
    const UNVERIFIED: Self = Self {
        holds: false,
        evidence: None,
    };

    fn read(holds: bool) -> Self {
        Self {
            holds,
            evidence: Some(Evidence::Read),
        }
    }
}

/// The fact of plan item `index` (`None`: no item, i.e. nothing was read about it).
fn fact(plan: &Plan, results: &[Option<ItemResult>], mode: Mode, index: Option<usize>) -> Fact {
    let Some(item) = index.and_then(|i| plan.items.get(i)) else {
        return Fact::UNVERIFIED;
    };
    match &item.state {
        ItemState::Satisfied(_) => Fact::read(true),
        // A blocked item is the observe read's finding (no such user, a Deny, …).
        ItemState::Blocked(_) => Fact::read(false),
        // A plan or check changes nothing: the read that found the fact missing is the evidence.
        ItemState::Needed { .. } if mode != Mode::Grant => Fact::read(false),
        ItemState::Needed { .. } => match index
            .and_then(|i| results.get(i))
            .and_then(Option::as_ref)
            .and_then(|r| r.evidence)
        {
            Some(evidence) => Fact {
                holds: true,
                evidence: Some(evidence),
            },
            // The write failed (a lost reply may still have landed) or never ran: unknown.
            None => Fact::UNVERIFIED,
        },
    }
}

/// A membership is as well established as its least established role: unverified if any role
/// is, written if any role was written, else read.
fn weakest(facts: &[Fact]) -> Option<Evidence> {
    if facts.iter().any(|f| f.evidence.is_none()) {
        None
    } else if facts.iter().any(|f| f.evidence == Some(Evidence::Write)) {
        Some(Evidence::Write)
    } else {
        Some(Evidence::Read)
    }
}

/// What the run established about every desired fact. `mode` says what a needed item without a
/// result means: in a grant, a write that failed or never ran (not verified); in a plan or check,
/// a fact the observe read found missing (`attached: false`, evidence `read`).
pub fn verification(desired: &Desired, plan: &Plan, results: &[Option<ItemResult>], mode: Mode) -> Verification {
    let fact_of = |i: Option<usize>| fact(plan, results, mode, i);

    let trust_fact = fact_of(plan.find(|a| matches!(a, Action::CreateRole { .. } | Action::UpdateRole { .. })));
    let trust = TrustCheck {
        service: desired.trust_service.clone(),
        trusted: trust_fact.holds,
        evidence: trust_fact.evidence,
    };

    let document_check = |name: &str| -> Option<DocumentCheck> {
        desired.custom_policy(name)?;
        // The version item, if any, decides; else the create item.
        let index = plan
            .find(|a| matches!(a, Action::CreatePolicyVersion { policy, .. } if policy == name))
            .or_else(|| plan.find(|a| matches!(a, Action::CreatePolicy { policy, .. } if policy == name)));
        let f = fact_of(index);
        Some(DocumentCheck {
            current: f.holds,
            evidence: f.evidence,
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
            let f = fact_of(index);
            let at_account_scope = index.and_then(|i| plan.items.get(i)).is_some_and(
                |item| matches!(&item.state, ItemState::Satisfied(read) if read.action == "ListPoliciesForRole"),
            );
            PolicyCheck {
                policy_type: policy.policy_type,
                name: policy.name.clone(),
                attached: f.holds,
                evidence: f.evidence,
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
                    let f = fact_of(plan.find(|a| {
                        matches!(a, Action::AttachPolicyToUser { user: u, policy: p } if *u == user.name && p == policy)
                    }));
                    PolicyCheck {
                        policy_type: policy.policy_type,
                        name: policy.name.clone(),
                        attached: f.holds,
                        evidence: f.evidence,
                        scope: None,
                        document: None,
                    }
                })
                .collect();
            let mut held = Vec::new();
            let mut role_facts = Vec::new();
            if desired.workspace_id.is_some() {
                for role in &user.workspace_roles {
                    let f = fact_of(plan.items.iter().position(|item| match &item.action {
                        Action::CreateMember { user: u, roles, .. } => *u == user.name && roles.contains(role),
                        Action::AddMemberRole { user: u, role: r, .. } => *u == user.name && r == role,
                        _ => false,
                    }));
                    if f.holds {
                        held.push(role.clone());
                    }
                    role_facts.push(f);
                }
            }
            let member = role_facts.iter().all(|f| f.holds);
            UserCheck {
                name: user.name.clone(),
                policies,
                workspace_roles: held,
                member,
                evidence: if role_facts.is_empty() {
                    None
                } else {
                    weakest(&role_facts)
                },
            }
        })
        .collect::<Vec<_>>();

    with_completeness(policies, Some(trust), users)
}

/// The verification of these facts; `complete` is derived from them: every desired fact holds.
fn with_completeness(policies: Vec<PolicyCheck>, trust: Option<TrustCheck>, users: Vec<UserCheck>) -> Verification {
    let complete = trust.as_ref().is_some_and(|t| t.trusted)
        && policies
            .iter()
            .all(|p| p.attached && p.document.as_ref().is_none_or(|d| d.current))
        && users.iter().all(|u| u.member && u.policies.iter().all(|p| p.attached));
    Verification {
        complete,
        policies,
        trust,
        users,
    }
}

/// The verification when nothing could be read: every required policy listed, none verified.
pub fn unverified(desired: &Desired) -> Verification {
    verification(desired, &Plan::default(), &[], Mode::Grant)
}

/// One fact after the read-back: what the read shows wins; a fact this run wrote (or read
/// earlier) that the read-back does not show is not verified — RAM may just not show it yet,
/// or someone undid it — never taken on the write's word.
fn confirm(before: Fact, read: Fact) -> Fact {
    match read {
        Fact { holds: true, .. } => read,
        Fact { evidence: None, .. } => Fact::UNVERIFIED,
        _ if before.holds => Fact::UNVERIFIED,
        _ => read,
    }
}

fn fact_pair(holds: bool, evidence: Option<Evidence>) -> Fact {
    Fact { holds, evidence }
}

fn confirm_policy(before: &PolicyCheck, read: Option<&PolicyCheck>) -> PolicyCheck {
    let attached = confirm(
        fact_pair(before.attached, before.evidence),
        read.map_or(Fact::UNVERIFIED, |r| fact_pair(r.attached, r.evidence)),
    );
    let document = before.document.as_ref().map(|doc| {
        let read_doc = read
            .and_then(|r| r.document.as_ref())
            .map_or(Fact::UNVERIFIED, |d| fact_pair(d.current, d.evidence));
        let f = confirm(fact_pair(doc.current, doc.evidence), read_doc);
        DocumentCheck {
            current: f.holds,
            evidence: f.evidence,
        }
    });
    PolicyCheck {
        policy_type: before.policy_type,
        name: before.name.clone(),
        attached: attached.holds,
        evidence: attached.evidence,
        scope: read
            .filter(|_| attached.holds)
            .map_or_else(|| before.scope.clone(), |r| r.scope.clone()),
        document,
    }
}

fn find_policy<'a>(list: &'a [PolicyCheck], p: &PolicyCheck) -> Option<&'a PolicyCheck> {
    list.iter().find(|r| r.policy_type == p.policy_type && r.name == p.name)
}

/// The verification after a read-back (`read`, the [`verification`] of a plan computed from the
/// re-read state in [`Mode::Check`]) of what the run established before it (`before`). `read`
/// `None`: the read-back failed, so nothing this run wrote is verified.
pub fn confirmed(before: &Verification, read: Option<&Verification>) -> Verification {
    let trust = before.trust.as_ref().map(|t| {
        let read_trust = read
            .and_then(|r| r.trust.as_ref())
            .map_or(Fact::UNVERIFIED, |r| fact_pair(r.trusted, r.evidence));
        let f = match read {
            Some(_) => confirm(fact_pair(t.trusted, t.evidence), read_trust),
            None => keep_reads(fact_pair(t.trusted, t.evidence)),
        };
        TrustCheck {
            service: t.service.clone(),
            trusted: f.holds,
            evidence: f.evidence,
        }
    });
    let policy = |p: &PolicyCheck, read_list: Option<&[PolicyCheck]>| match read_list {
        Some(list) => confirm_policy(p, find_policy(list, p)),
        None => keep_policy_reads(p),
    };
    let policies = before
        .policies
        .iter()
        .map(|p| policy(p, read.map(|r| r.policies.as_slice())))
        .collect();
    let users = before
        .users
        .iter()
        .map(|u| {
            let read_user = read.map(|r| r.users.iter().find(|ru| ru.name == u.name));
            let policies = u
                .policies
                .iter()
                .map(|p| match read_user {
                    Some(ru) => confirm_policy(p, ru.and_then(|ru| find_policy(&ru.policies, p))),
                    None => keep_policy_reads(p),
                })
                .collect();
            // Membership without required roles is trivially true and carries no evidence.
            let (member, evidence, workspace_roles) = if u.evidence.is_none() && u.member {
                (u.member, u.evidence, u.workspace_roles.clone())
            } else {
                let f = match read_user {
                    Some(ru) => confirm(
                        fact_pair(u.member, u.evidence),
                        ru.map_or(Fact::UNVERIFIED, |ru| fact_pair(ru.member, ru.evidence)),
                    ),
                    None => keep_reads(fact_pair(u.member, u.evidence)),
                };
                let roles = match read_user {
                    Some(Some(ru)) => ru.workspace_roles.clone(),
                    Some(None) => Vec::new(),
                    None if f.evidence.is_some() => u.workspace_roles.clone(),
                    None => Vec::new(),
                };
                (f.holds, f.evidence, roles)
            };
            UserCheck {
                name: u.name.clone(),
                policies,
                workspace_roles,
                member,
                evidence,
            }
        })
        .collect();
    with_completeness(policies, trust, users)
}

/// Without a read-back, only what this run read stays verified.
fn keep_reads(f: Fact) -> Fact {
    if f.evidence == Some(Evidence::Read) {
        f
    } else {
        Fact::UNVERIFIED
    }
}

fn keep_policy_reads(p: &PolicyCheck) -> PolicyCheck {
    let attached = keep_reads(fact_pair(p.attached, p.evidence));
    PolicyCheck {
        attached: attached.holds,
        evidence: attached.evidence,
        document: p.document.as_ref().map(|d| {
            let f = keep_reads(fact_pair(d.current, d.evidence));
            DocumentCheck {
                current: f.holds,
                evidence: f.evidence,
            }
        }),
        ..p.clone()
    }
}

/// How many facts this run established (by a write or an earlier read) that `read` does not
/// show: the ones worth reading again after a pause on eventually-consistent RAM.
pub fn unconfirmed(before: &Verification, read: &Verification) -> usize {
    let count = |b: bool, r: bool| usize::from(b && !r);
    let mut n = 0;
    if let (Some(b), Some(r)) = (&before.trust, &read.trust) {
        n += count(b.trusted, r.trusted);
    }
    let policies = |before: &[PolicyCheck], read: &[PolicyCheck]| {
        before
            .iter()
            .map(|p| {
                let r = find_policy(read, p);
                count(p.attached, r.is_some_and(|r| r.attached))
                    + count(
                        p.document.as_ref().is_some_and(|d| d.current),
                        r.and_then(|r| r.document.as_ref()).is_some_and(|d| d.current),
                    )
            })
            .sum::<usize>()
    };
    n += policies(&before.policies, &read.policies);
    for u in &before.users {
        let r = read.users.iter().find(|r| r.name == u.name);
        n += policies(&u.policies, r.map_or(&[][..], |r| r.policies.as_slice()));
        n += count(u.member, r.is_some_and(|r| r.member));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{OAUTH_POLICY, OSS_FULL_ACCESS};
    use crate::observed::Observed;
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

    /// alice is wanted with two workspace roles and holds only the first.
    fn alice_holding_one_of_two_roles() -> (Desired, Observed) {
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
        (d, o)
    }

    /// A user the request names and the account does not have.
    fn ghost_user() -> (Desired, Observed) {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.workspace_id = Some("81231".into());
        r.users = Some(vec![UserGrant::named("ghost")]);
        let d = Desired::from_request(&r);
        let mut o = compliant(&d);
        if let Some(u) = o.users.get_mut("ghost") {
            u.user_id.value = None;
            u.membership = None;
        }
        (d, o)
    }

    /// The index of the role's AliyunOSSFullAccess attach.
    fn oss_attach(p: &Plan) -> usize {
        p.items
            .iter()
            .position(|i| i.action.target().ends_with(OSS_FULL_ACCESS))
            .unwrap_or(0)
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
        let v = verification(&d, &p, &results, Mode::Grant);
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
        let v = verification(&d, &p, &results, Mode::Grant);
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
        // The observe read found every fact missing: that is established, not unknown.
        for mode in [Mode::DryRun, Mode::Check] {
            let v = verification(&d, &p, &none, mode);
            assert!(!v.complete);
            assert!(
                v.policies
                    .iter()
                    .all(|p| !p.attached && p.evidence == Some(Evidence::Read))
            );
            let trust = v.trust.as_ref().map(|t| (t.trusted, t.evidence));
            assert_eq!(trust, Some((false, Some(Evidence::Read))));
        }
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
        let oss = oss_attach(&p);
        results[oss] = failed("AttachPolicyToRole", "NoPermission");
        assert_eq!(status(&p, &results, Mode::Grant), Status::Partial);
        let v = verification(&d, &p, &results, Mode::Grant);
        assert!(!v.complete);
        assert_eq!(
            v.policies.iter().map(|p| p.attached).collect::<Vec<_>>(),
            vec![true, false, true]
        );
    }

    #[test]
    fn blocked_items_fail_the_fact_but_not_the_rest() {
        let (d, o) = ghost_user();
        let p = plan(&d, &o);
        let results = vec![None; p.items.len()];
        assert_eq!(status(&p, &results, Mode::Grant), Status::Partial);
        assert_eq!(status(&p, &results, Mode::Check), Status::Noncompliant);
        let v = verification(&d, &p, &results, Mode::Grant);
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
        let (d, o) = alice_holding_one_of_two_roles();
        let p = plan(&d, &o);
        let none = vec![None; p.items.len()];
        let v = verification(&d, &p, &none, Mode::Grant);
        assert_eq!(v.users[0].workspace_roles, vec!["PAI.AlgoDeveloper".to_string()]);
        assert!(!v.users[0].member);
        let v = verification(&d, &p, &all_ok(&p), Mode::Grant);
        assert!(v.users[0].member && v.complete);
    }

    #[test]
    fn resource_group_scope_is_reported() {
        let mut r = GrantRequest::for_account(ACCOUNT);
        r.resource_group_id = Some("rg-abc".into());
        let d = Desired::from_request(&r);
        let p = plan(&d, &fresh(&d));
        let v = verification(&d, &p, &all_ok(&p), Mode::Grant);
        assert!(v.policies.iter().all(|p| p.scope.as_deref() == Some("rg-abc")));
    }

    #[test]
    fn a_failed_or_skipped_write_leaves_its_fact_unverified_and_a_blocked_one_read() {
        let d = desired();
        let p = plan(&d, &fresh(&d));
        let mut results = vec![None; p.items.len()];
        results[0] = failed("CreateRole", "NoPermission");
        results[1] = ok(Outcome::Created, "CreatePolicy");
        let v = verification(&d, &p, &results, Mode::Grant);
        // CreateRole failed, so every attach was skipped: nothing about them is known.
        assert_eq!(v.trust.as_ref().map(|t| (t.trusted, t.evidence)), Some((false, None)));
        assert!(v.policies.iter().all(|p| !p.attached && p.evidence.is_none()));
        let doc = v.policies.iter().find_map(|p| p.document.clone());
        assert_eq!(
            doc,
            Some(DocumentCheck {
                current: true,
                evidence: Some(Evidence::Write)
            })
        );

        let (d, o) = ghost_user();
        let p = plan(&d, &o);
        let v = verification(&d, &p, &vec![None; p.items.len()], Mode::Grant);
        // The read found no such user: established, not unknown.
        assert!(
            v.users[0]
                .policies
                .iter()
                .all(|p| !p.attached && p.evidence == Some(Evidence::Read))
        );
        assert_eq!((v.users[0].member, v.users[0].evidence), (false, Some(Evidence::Read)));
    }

    /// The verification a read-back of `observed` gives.
    fn read_of(d: &Desired, observed: &crate::observed::Observed) -> Verification {
        verification(d, &plan(d, observed), &[], Mode::Check)
    }

    #[test]
    fn a_read_back_that_shows_everything_verifies_everything_by_read() {
        let d = desired();
        let p = plan(&d, &fresh(&d));
        let before = verification(&d, &p, &all_ok(&p), Mode::Grant);
        let read = read_of(&d, &compliant(&d));
        assert_eq!(unconfirmed(&before, &read), 0);
        let v = confirmed(&before, Some(&read));
        assert!(v.complete);
        assert!(
            v.policies
                .iter()
                .all(|p| p.attached && p.evidence == Some(Evidence::Read))
        );
        assert_eq!(v.trust.as_ref().and_then(|t| t.evidence), Some(Evidence::Read));
        let doc = v.policies.iter().find_map(|p| p.document.clone());
        assert_eq!(doc.and_then(|d| d.evidence), Some(Evidence::Read));
    }

    #[test]
    fn a_write_the_read_back_does_not_show_is_not_verified() {
        let d = desired();
        let p = plan(&d, &fresh(&d));
        let before = verification(&d, &p, &all_ok(&p), Mode::Grant);
        // RAM lags: the role and policy are visible, one attachment is not yet.
        let mut lagging = compliant(&d);
        lagging
            .role_policies
            .value
            .retain(|policy| policy.name != OSS_FULL_ACCESS);
        let read = read_of(&d, &lagging);
        assert_eq!(unconfirmed(&before, &read), 1);
        let v = confirmed(&before, Some(&read));
        assert!(!v.complete);
        let oss = v
            .policies
            .iter()
            .find(|p| p.name == OSS_FULL_ACCESS)
            .map(|p| (p.attached, p.evidence));
        assert_eq!(
            oss,
            Some((false, None)),
            "the write said yes, the read not yet: unknown"
        );
        assert!(
            v.policies
                .iter()
                .filter(|p| p.name != OSS_FULL_ACCESS)
                .all(|p| p.attached && p.evidence == Some(Evidence::Read))
        );
    }

    #[test]
    fn a_failed_write_the_read_back_shows_missing_is_read_missing() {
        let d = desired();
        let mut o = compliant(&d);
        o.role_policies.value.retain(|policy| policy.name != OSS_FULL_ACCESS);
        let p = plan(&d, &o);
        let mut results = vec![None; p.items.len()];
        let oss = oss_attach(&p);
        results[oss] = failed("AttachPolicyToRole", "NoPermission");
        let before = verification(&d, &p, &results, Mode::Grant);
        assert_eq!(before.policies[1].evidence, None);
        let read = read_of(&d, &o);
        assert_eq!(unconfirmed(&before, &read), 0, "nothing to wait for");
        let v = confirmed(&before, Some(&read));
        assert_eq!(
            (v.policies[1].attached, v.policies[1].evidence),
            (false, Some(Evidence::Read))
        );
        // And a write that did land after all (a lost reply) is shown by the read.
        let v = confirmed(&before, Some(&read_of(&d, &compliant(&d))));
        assert!(v.complete);
    }

    #[test]
    fn without_a_read_back_only_this_runs_reads_stay_verified() {
        let d = desired();
        let mut o = compliant(&d);
        o.role_policies.value.retain(|policy| policy.name != OSS_FULL_ACCESS);
        let p = plan(&d, &o);
        let before = verification(&d, &p, &all_ok(&p), Mode::Grant);
        let v = confirmed(&before, None);
        assert!(!v.complete);
        let facts: Vec<(bool, Option<Evidence>)> = v.policies.iter().map(|p| (p.attached, p.evidence)).collect();
        assert_eq!(
            facts,
            vec![
                (true, Some(Evidence::Read)),
                (false, None),
                (true, Some(Evidence::Read))
            ]
        );
    }

    #[test]
    fn membership_is_read_back_role_by_role() {
        let (d, o) = alice_holding_one_of_two_roles();
        let p = plan(&d, &o);
        let before = verification(&d, &p, &all_ok(&p), Mode::Grant);
        assert_eq!(
            (before.users[0].member, before.users[0].evidence),
            (true, Some(Evidence::Write))
        );
        let lagging = read_of(&d, &o);
        assert_eq!(unconfirmed(&before, &lagging), 1);
        let v = confirmed(&before, Some(&lagging));
        assert_eq!((v.users[0].member, v.users[0].evidence), (false, None));
        assert_eq!(v.users[0].workspace_roles, vec!["PAI.AlgoDeveloper".to_string()]);
        let v = confirmed(&before, Some(&read_of(&d, &compliant(&d))));
        assert_eq!((v.users[0].member, v.users[0].evidence), (true, Some(Evidence::Read)));
        assert!(v.complete);
    }

    #[test]
    fn unverified_lists_every_required_policy_as_not_attached() {
        let v = unverified(&desired());
        assert_eq!(v.policies.len(), 3);
        assert!(!v.complete && v.policies.iter().all(|p| !p.attached && p.evidence.is_none()));
        assert_eq!(v.trust.as_ref().map(|t| (t.trusted, t.evidence)), Some((false, None)));
    }
}
