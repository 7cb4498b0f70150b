//! The GrantReport, schema 1 (DESIGN §4.5) — what every trigger returns — and its text rendering.
//!
//! Additive fields beyond the schema: `steps[].wave`, `verification.policies[].evidence`,
//! `.scope`, `.document`, `verification.trust`, `verification.users`, `warnings`.
//!
//! `evidence` (on a policy, its `document`, `trust` and a user's membership) says how this run
//! established the fact, whichever way it came out: `read` (a read in this run showed it — present
//! or missing), `write` (this run's write was acknowledged). Absent = not verified: e.g.
//! `attached: false` without evidence after a refused AssumeRole or a failed attach means "unknown",
//! while `attached: false, evidence: "read"` (a plan or check) means "read and missing". The text
//! rendering follows the same rule ("not verified" exactly where the evidence is absent).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::desired::PolicyType;
use crate::request::Warning;

/// The report schema version.
pub const SCHEMA_VERSION: u32 = 1;

/// The overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Changes were made and verified.
    Granted,
    /// Nothing needed changing.
    Compliant,
    /// A read-only check found work to do (the steps are the plan).
    Noncompliant,
    /// A dry run (the steps are the plan).
    Planned,
    /// Some steps failed, others succeeded.
    Partial,
    /// Nothing could be done, or a fatal error.
    Failed,
    /// The event was not for dlcauth.
    Ignored,
}

impl Status {
    /// Whether the run achieved what was asked (CLI exit code 0).
    pub fn is_success(self) -> bool {
        matches!(self, Self::Granted | Self::Compliant | Self::Planned | Self::Ignored)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Compliant => "compliant",
            Self::Noncompliant => "noncompliant",
            Self::Planned => "planned",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Ignored => "ignored",
        }
    }
}

/// What started the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An EventBridge event.
    Event,
    /// The portal HTTP API.
    Http,
    /// The `dlcauth` CLI.
    Cli,
}

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Something was created (role, policy, membership, service activation).
    Created,
    /// A policy was attached.
    Attached,
    /// Something existing was changed (trust policy, policy version, member role).
    Updated,
    /// Already as required.
    Unchanged,
    /// Would be done (dry run, check).
    Planned,
    /// Failed; see `error`.
    Failed,
    /// Not attempted (a step it depends on failed, or it cannot be judged read-only).
    Skipped,
}

impl Outcome {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Attached => "attached",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Planned => "planned",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Whether the account was changed.
    pub fn is_change(self) -> bool {
        matches!(self, Self::Created | Self::Attached | Self::Updated)
    }
}

/// An error as the report shows it: Alibaba's code and message (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    /// `NoPermission`, `EntityNotExist.User`, `Transport`, …
    pub code: String,
    /// What happened.
    pub message: String,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The Alibaba API (`CreateRole`, …).
    pub action: String,
    /// What it changes (`AliyunPAIDLCDefaultRole`, `AliyunPAIDLCDefaultRole/AliyunOSSFullAccess`, …).
    pub target: String,
    /// What happened.
    pub outcome: Outcome,
    /// Alibaba's RequestId of the call (for an unchanged step, of the read that showed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Attempts (retries included); 0 if not attempted.
    pub attempts: u32,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Present when the step failed or was skipped for a reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
    /// The plan wave the step ran (or would run) in; absent for steps that needed no change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<u32>,
}

/// How a fact was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// A read in this run showed it (present or missing).
    Read,
    /// A write in this run was acknowledged (200, or `EntityAlreadyExists.*`). An immediate
    /// read-back on eventually-consistent RAM proves no more, and can even lie.
    Write,
}

/// The role as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    /// `AliyunPAIDLCDefaultRole`.
    pub name: String,
    /// Its ARN.
    pub arn: String,
}

/// A custom policy document's verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentCheck {
    /// Whether the default version has the required content.
    pub current: bool,
    /// How this run established it, true or false; absent = not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// One required policy's verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyCheck {
    /// System or Custom.
    #[serde(rename = "type")]
    pub policy_type: PolicyType,
    /// Policy name.
    pub name: String,
    /// Whether it is attached.
    pub attached: bool,
    /// How this run established `attached`, true or false; absent = not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The resource group, for resource-group-scope attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// For custom policies dlcauth manages: the document check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentCheck>,
}

/// The trust policy's verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustCheck {
    /// The service that must be trusted.
    pub service: String,
    /// Whether it is.
    pub trusted: bool,
    /// How this run established it, true or false; absent = not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// One RAM user's verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCheck {
    /// User name.
    pub name: String,
    /// Policies attached to the user.
    pub policies: Vec<PolicyCheck>,
    /// Workspace roles the user holds (of those required).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workspace_roles: Vec<String>,
    /// Whether every required workspace role is held.
    pub member: bool,
    /// How this run established `member` (the least established of its roles); absent = not
    /// verified, or no workspace role was required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// What the run established about the desired state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Verification {
    /// Every desired fact verified.
    pub complete: bool,
    /// The role's required policies.
    pub policies: Vec<PolicyCheck>,
    /// The role's trust policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustCheck>,
    /// RAM users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserCheck>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantReport {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The result.
    pub status: Status,
    /// The target account.
    pub account_id: String,
    /// The workspace, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// What started it.
    pub trigger: Trigger,
    /// The FC request id or a generated one.
    pub request_id: String,
    /// The service role.
    pub role: RoleInfo,
    /// What was done (or would be).
    pub steps: Vec<Step>,
    /// What is verified.
    pub verification: Verification,
    /// Wall time of the whole run in milliseconds.
    pub duration_ms: u64,
    /// Accepted-but-unusual request values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl GrantReport {
    /// The first failed step, if any (the one to name in a one-line summary).
    pub fn first_failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.outcome == Outcome::Failed)
    }

    /// The report as one JSON line.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"report serialisation: {e}\"}}"))
    }

    /// The report as pretty JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"report serialisation: {e}\"}}"))
    }

    /// A one-line summary (`1234… granted: 5 changes in 212 ms`).
    pub fn summary_line(&self) -> String {
        let changes = self.steps.iter().filter(|s| s.outcome.is_change()).count();
        let mut line = format!(
            "{} {}: {} step(s), {} change(s), {} ms",
            self.account_id,
            self.status.as_str(),
            self.steps.len(),
            changes,
            self.duration_ms
        );
        if let Some(failure) = self.first_failure() {
            let _ = write!(line, "; {} {} failed", failure.action, failure.target);
            if let Some(error) = &failure.error {
                let _ = write!(line, ": {} {}", error.code, error.message);
            }
        }
        line
    }

    /// A table a newcomer can read: what happened to each step, then what is verified.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "dlcauth: account {}{} — {}",
            self.account_id,
            self.workspace_id
                .as_ref()
                .map(|w| format!(", workspace {w}"))
                .unwrap_or_default(),
            headline(self.status)
        );
        let _ = writeln!(out, "role {} ({})", self.role.name, self.role.arn);
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {}: {}", warning.field, warning.message);
        }
        out.push('\n');
        if self.steps.is_empty() {
            out.push_str("  (no steps)\n");
        } else {
            let rows: Vec<[String; 6]> = self
                .steps
                .iter()
                .map(|s| {
                    [
                        s.wave.map(|w| w.to_string()).unwrap_or_else(|| "-".into()),
                        s.action.clone(),
                        s.target.clone(),
                        s.outcome.as_str().to_owned(),
                        if s.attempts == 0 {
                            "-".into()
                        } else {
                            s.attempts.to_string()
                        },
                        if s.attempts == 0 {
                            "-".into()
                        } else {
                            format!("{} ms", s.duration_ms)
                        },
                    ]
                })
                .collect();
            let header = ["WAVE", "ACTION", "TARGET", "OUTCOME", "TRIES", "TIME"].map(str::to_owned);
            let mut widths = header.clone().map(|h| h.len());
            for row in &rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: &[String; 6]| {
                let mut s = String::from(" ");
                for (cell, w) in cells.iter().zip(widths) {
                    let _ = write!(s, " {cell:<w$}");
                }
                s.trim_end().to_owned()
            };
            let _ = writeln!(out, "{}", line(&header));
            for (row, step) in rows.iter().zip(&self.steps) {
                let _ = writeln!(out, "{}", line(row));
                if let Some(error) = &step.error {
                    let _ = writeln!(out, "      {}: {}", error.code, error.message);
                }
            }
        }
        out.push('\n');
        let v = &self.verification;
        // A fact without evidence was not read, or its write failed: its `[no]` means "not
        // verified", not "found missing" as a read would say.
        let _ = writeln!(
            out,
            "verification: {}",
            if v.complete { "complete" } else { "incomplete" }
        );
        if let Some(trust) = &v.trust {
            let _ = writeln!(
                out,
                "  [{}] trust policy lets {} assume the role{}",
                mark(trust.trusted),
                trust.service,
                match (trust.trusted, trust.evidence) {
                    (false, None) => " (not verified)",
                    (false, Some(_)) => "",
                    (true, evidence) => evidence_note(evidence),
                }
            );
        }
        for p in &v.policies {
            let _ = writeln!(
                out,
                "  [{}] {}",
                mark(p.attached && p.document.as_ref().is_none_or(|d| d.current)),
                policy_line(p)
            );
        }
        for user in &v.users {
            let _ = writeln!(out, "  user {}:", user.name);
            for p in &user.policies {
                let _ = writeln!(out, "    [{}] {}", mark(p.attached), policy_line(p));
            }
            if !user.workspace_roles.is_empty() || !user.member {
                let _ = writeln!(
                    out,
                    "    [{}] workspace member{}",
                    mark(user.member),
                    if !user.workspace_roles.is_empty() {
                        format!(" ({})", user.workspace_roles.join(", "))
                    } else if !user.member && user.evidence.is_none() {
                        " (not verified)".to_owned()
                    } else {
                        String::new()
                    }
                );
            }
        }
        let _ = writeln!(
            out,
            "\nstatus: {} in {} ms (request {})",
            self.status.as_str(),
            self.duration_ms,
            self.request_id
        );
        if let Some(hint) = hint(self) {
            let _ = writeln!(out, "{hint}");
        }
        out
    }
}

fn headline(status: Status) -> &'static str {
    match status {
        Status::Granted => "granted: the account is now ready for PAI-DLC",
        Status::Compliant => "compliant: already ready for PAI-DLC, nothing changed",
        Status::Noncompliant => "not compliant: the steps below are what `dlcauth grant` would do",
        Status::Planned => "dry run: the steps below are what `dlcauth grant` would do",
        Status::Partial => "partially granted: some steps failed (see below)",
        Status::Failed => "failed: see the failed step below",
        Status::Ignored => "ignored",
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "ok" } else { "no" }
}

/// What a newcomer should do next, if anything.
fn hint(report: &GrantReport) -> Option<&'static str> {
    let denied = report
        .steps
        .iter()
        .any(|s| s.error.as_ref().is_some_and(|e| e.code == "NoPermission"));
    match report.status {
        Status::Planned | Status::Noncompliant => {
            Some("next: run `dlcauth grant` with the same options to make these changes")
        }
        Status::Failed | Status::Partial if denied => Some(
            "hint: NoPermission means the credentials (or the role in DLCAUTH_ROLE_ARN) lack a RAM permission; policies/operator-policy.json lists what dlcauth needs",
        ),
        Status::Failed | Status::Partial => Some("hint: dlcauth is idempotent: fix the cause above and run it again"),
        _ => None,
    }
}

fn evidence_note(evidence: Option<Evidence>) -> &'static str {
    match evidence {
        Some(Evidence::Read) => " (read)",
        Some(Evidence::Write) => " (written now)",
        None => "",
    }
}

/// One required policy. A fact without evidence is "not verified" rather than "not attached";
/// and a document that is not current is "missing or outdated" unless the attachment shows the
/// policy exists. Evidence is noted for facts that hold only ("attached (read)").
fn policy_line(p: &PolicyCheck) -> String {
    let attachment = match (p.attached, p.evidence.is_some()) {
        (true, _) => "attached",
        (false, true) => "not attached",
        (false, false) => "not verified",
    };
    let mut s = format!(
        "{} policy {} {attachment}{}",
        p.policy_type,
        p.name,
        if p.attached { evidence_note(p.evidence) } else { "" }
    );
    if let Some(scope) = &p.scope {
        let _ = write!(s, " in resource group {scope}");
    }
    if let Some(doc) = &p.document {
        let state = match (doc.current, doc.evidence.is_some(), p.attached) {
            (true, _, _) => "current",
            (false, false, _) => "not verified",
            (false, true, true) => "outdated",
            (false, true, false) => "missing or outdated",
        };
        let _ = write!(
            s,
            ", document {state}{}",
            if doc.current { evidence_note(doc.evidence) } else { "" }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> GrantReport {
        GrantReport {
            schema_version: SCHEMA_VERSION,
            status: Status::Granted,
            account_id: "1234567890123456".into(),
            workspace_id: Some("81231".into()),
            trigger: Trigger::Cli,
            request_id: "6f1c".into(),
            role: RoleInfo {
                name: "AliyunPAIDLCDefaultRole".into(),
                arn: "acs:ram::1234567890123456:role/aliyunpaidlcdefaultrole".into(),
            },
            steps: vec![
                Step {
                    action: "CreateRole".into(),
                    target: "AliyunPAIDLCDefaultRole".into(),
                    outcome: Outcome::Created,
                    request_id: Some("R-1".into()),
                    attempts: 1,
                    duration_ms: 41,
                    error: None,
                    wave: Some(1),
                },
                Step {
                    action: "AttachPolicyToRole".into(),
                    target: "AliyunPAIDLCDefaultRole/AliyunOSSFullAccess".into(),
                    outcome: Outcome::Failed,
                    request_id: Some("R-2".into()),
                    attempts: 1,
                    duration_ms: 12,
                    error: Some(StepError {
                        code: "NoPermission".into(),
                        message: "You are not authorized to do this action.".into(),
                    }),
                    wave: Some(2),
                },
            ],
            verification: Verification {
                complete: false,
                policies: vec![PolicyCheck {
                    policy_type: PolicyType::System,
                    name: "AliyunPAIDLCDefaultRolePolicy".into(),
                    attached: true,
                    evidence: Some(Evidence::Write),
                    scope: None,
                    document: None,
                }],
                trust: Some(TrustCheck {
                    service: "pai.aliyuncs.com".into(),
                    trusted: true,
                    evidence: Some(Evidence::Write),
                }),
                users: vec![],
            },
            duration_ms: 212,
            warnings: vec![],
        }
    }

    #[test]
    fn json_has_the_schema_field_names() -> Result<(), serde_json::Error> {
        let v = serde_json::to_value(sample())?;
        assert_eq!(v["schemaVersion"], 1);
        assert_eq!(v["status"], "granted");
        assert_eq!(v["accountId"], "1234567890123456");
        assert_eq!(v["workspaceId"], "81231");
        assert_eq!(v["trigger"], "cli");
        assert_eq!(v["requestId"], "6f1c");
        assert_eq!(v["role"]["name"], "AliyunPAIDLCDefaultRole");
        assert_eq!(v["steps"][0]["action"], "CreateRole");
        assert_eq!(v["steps"][0]["outcome"], "created");
        assert_eq!(v["steps"][0]["requestId"], "R-1");
        assert_eq!(v["steps"][0]["attempts"], 1);
        assert_eq!(v["steps"][0]["durationMs"], 41);
        assert!(v["steps"][0].get("error").is_none());
        assert_eq!(v["steps"][1]["error"]["code"], "NoPermission");
        assert_eq!(v["verification"]["complete"], false);
        assert_eq!(v["verification"]["policies"][0]["type"], "System");
        assert_eq!(v["verification"]["policies"][0]["attached"], true);
        assert_eq!(v["verification"]["policies"][0]["evidence"], "write");
        assert_eq!(v["durationMs"], 212);
        Ok(())
    }

    #[test]
    fn json_round_trips() -> Result<(), serde_json::Error> {
        let report = sample();
        let back: GrantReport = serde_json::from_str(&report.to_json_pretty())?;
        assert_eq!(back, report);
        let back: GrantReport = serde_json::from_str(&report.to_json_line())?;
        assert_eq!(back, report);
        assert!(!report.to_json_line().contains('\n'));
        Ok(())
    }

    #[test]
    fn success_statuses_are_the_exit_zero_ones() {
        let ok: Vec<Status> = [
            Status::Granted,
            Status::Compliant,
            Status::Noncompliant,
            Status::Planned,
            Status::Partial,
            Status::Failed,
        ]
        .into_iter()
        .filter(|s| s.is_success())
        .collect();
        assert_eq!(ok, vec![Status::Granted, Status::Compliant, Status::Planned]);
    }

    #[test]
    fn text_shows_steps_errors_and_verification() {
        let text = sample().to_text();
        assert!(text.contains("account 1234567890123456, workspace 81231"), "{text}");
        assert!(text.contains("CreateRole"), "{text}");
        assert!(text.contains("created"), "{text}");
        assert!(text.contains("NoPermission: You are not authorized"), "{text}");
        assert!(text.contains("verification: incomplete"), "{text}");
        assert!(
            text.contains("[ok] System policy AliyunPAIDLCDefaultRolePolicy attached (written now)"),
            "{text}"
        );
        assert!(text.contains("status: granted in 212 ms"), "{text}");
        assert!(
            text.contains("[no] trust policy") || text.contains("[ok] trust policy"),
            "{text}"
        );
        // Columns line up: every step row starts the ACTION column at the same offset.
        let header_col = text
            .lines()
            .find(|l| l.contains("ACTION"))
            .and_then(|l| l.find("ACTION"));
        let row_col = text
            .lines()
            .find(|l| l.contains("CreateRole"))
            .and_then(|l| l.find("CreateRole"));
        assert_eq!(header_col, row_col);
    }

    /// A report whose facts all failed to hold, with the given evidence, under `status`.
    fn missing_facts(status: Status, evidence: Option<Evidence>) -> String {
        let mut report = sample();
        report.status = status;
        report.verification = Verification {
            complete: false,
            policies: vec![PolicyCheck {
                policy_type: PolicyType::Custom,
                name: "PaiDlcOAuthPolicy".into(),
                attached: false,
                evidence,
                scope: None,
                document: Some(DocumentCheck {
                    current: false,
                    evidence,
                }),
            }],
            trust: Some(TrustCheck {
                service: "pai.aliyuncs.com".into(),
                trusted: false,
                evidence,
            }),
            users: vec![UserCheck {
                name: "alice".into(),
                policies: vec![],
                workspace_roles: vec![],
                member: false,
                evidence,
            }],
        };
        report.to_text()
    }

    #[test]
    fn facts_without_evidence_are_not_verified_whatever_the_status() {
        // Nothing was read: the text must not claim what the account lacks — even under a
        // status that usually comes with reads.
        for status in [Status::Failed, Status::Partial, Status::Planned, Status::Noncompliant] {
            let text = missing_facts(status, None);
            assert!(
                text.contains("[no] Custom policy PaiDlcOAuthPolicy not verified, document not verified"),
                "{text}"
            );
            assert!(text.contains("assume the role (not verified)"), "{text}");
            assert!(text.contains("[no] workspace member (not verified)"), "{text}");
            assert!(!text.contains("not attached") && !text.contains("outdated"), "{text}");
        }
    }

    #[test]
    fn facts_read_missing_are_missing_whatever_the_status() {
        // A read showed them missing, and a policy that is not even attached may not exist, so
        // its document is not called outdated. A failed run that read them says the same.
        for status in [Status::Planned, Status::Noncompliant, Status::Failed, Status::Partial] {
            let text = missing_facts(status, Some(Evidence::Read));
            assert!(
                text.contains("[no] Custom policy PaiDlcOAuthPolicy not attached, document missing or outdated\n"),
                "{text}"
            );
            assert!(
                text.contains("[no] trust policy lets pai.aliyuncs.com assume the role\n"),
                "{text}"
            );
            assert!(text.contains("[no] workspace member\n"), "{text}");
            assert!(!text.contains("not verified"), "{text}");
        }
    }

    #[test]
    fn evidence_is_serialised_for_facts_that_do_not_hold() -> Result<(), serde_json::Error> {
        let mut report = sample();
        report.verification.policies[0].attached = false;
        report.verification.policies[0].evidence = Some(Evidence::Read);
        report.verification.policies.push(PolicyCheck {
            policy_type: PolicyType::System,
            name: "AliyunOSSFullAccess".into(),
            attached: false,
            evidence: None,
            scope: None,
            document: None,
        });
        let v = serde_json::to_value(&report)?;
        assert_eq!(v["verification"]["policies"][0]["attached"], false);
        assert_eq!(v["verification"]["policies"][0]["evidence"], "read");
        assert!(v["verification"]["policies"][1].get("evidence").is_none());
        Ok(())
    }

    #[test]
    fn text_ends_with_a_hint_when_something_is_left_to_do() {
        let mut report = sample();
        report.status = Status::Partial;
        assert!(report.to_text().contains("policies/operator-policy.json"));
        report.steps.clear();
        assert!(report.to_text().contains("fix the cause above and run it again"));
        report.status = Status::Planned;
        assert!(report.to_text().trim_end().ends_with("to make these changes"));
        report.status = Status::Granted;
        assert!(report.to_text().trim_end().ends_with(")"));
    }

    #[test]
    fn summary_line_names_the_first_failure() {
        let line = sample().summary_line();
        assert_eq!(
            line,
            "1234567890123456 granted: 2 step(s), 1 change(s), 212 ms; AttachPolicyToRole AliyunPAIDLCDefaultRole/AliyunOSSFullAccess failed: NoPermission You are not authorized to do this action."
        );
    }
}
