//! What the observe phase read from the account: plain data, so planning and verification are pure
//! functions of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::desired::PolicyRef;

/// One API call as the report shows it: which call, Alibaba's RequestId, how many attempts it
/// took and how long.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallRecord {
    /// The API action (`GetRole`, …).
    pub action: &'static str,
    /// Alibaba's RequestId of the final attempt.
    pub request_id: Option<String>,
    /// Attempts, retries included.
    pub attempts: u32,
    /// Wall time, retries included.
    pub duration_ms: u64,
}

/// A value read from the account, with the call that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation<T> {
    /// What was read.
    pub value: T,
    /// The read.
    pub read: CallRecord,
}

impl<T> Observation<T> {
    /// Pairs a value with its read.
    pub fn new(value: T, read: CallRecord) -> Self {
        Self { value, read }
    }
}

/// The service role as GetRole returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRole {
    /// Its ARN.
    pub arn: String,
    /// Its trust policy (a JSON string).
    pub trust_document: String,
    /// `<Role>@role.<alias>.onaliyunservice.com`, the principal name ResourceManager wants.
    pub principal_name: Option<String>,
}

/// One version of a custom policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub version_id: String,
    /// Whether it is the version in force.
    pub is_default: bool,
    /// The document.
    pub document: String,
    /// When it was created (RFC 3339 as RAM returns it; may be empty).
    pub create_date: String,
}

/// RAM's limit of versions per custom policy (reference §5.3).
pub const MAX_POLICY_VERSIONS: usize = 5;

/// A custom policy and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedPolicy {
    /// All versions.
    pub versions: Vec<PolicyVersion>,
}

impl ObservedPolicy {
    /// The version in force.
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.is_default)
    }

    /// The version the 5-version limit sacrifices: the oldest that is not the default. Oldest by
    /// creation date, then by version number (`v10` after `v9`), so it is right even when RAM
    /// returns dates of equal precision. `None` unless exactly one version is marked default: a
    /// listing that does not show which version is in force cannot tell us which one is safe to
    /// delete.
    pub fn oldest_non_default(&self) -> Option<&PolicyVersion> {
        if self.versions.iter().filter(|v| v.is_default).count() != 1 {
            return None;
        }
        self.versions.iter().filter(|v| !v.is_default).min_by(|a, b| {
            a.create_date
                .cmp(&b.create_date)
                .then_with(|| version_number(&a.version_id).cmp(&version_number(&b.version_id)))
                .then_with(|| a.version_id.cmp(&b.version_id))
        })
    }
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches(['v', 'V']).parse().unwrap_or(u64::MAX)
}

/// A resource-group-scope attachment listed by ResourceManager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgAttachment {
    /// The policy.
    pub policy: PolicyRef,
    /// The principal (`<Role>@role.<alias>.onaliyunservice.com` for roles).
    pub principal_name: String,
    /// `ServiceRole`, `IMSUser`, `IMSGroup`.
    pub principal_type: String,
    /// The scope.
    pub resource_group_id: String,
}

/// A workspace membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The membership ID (AddMemberRole needs it).
    pub member_id: String,
    /// Its roles.
    pub roles: Vec<String>,
}

/// One RAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedUser {
    /// The user's UserId, `None` if the user does not exist.
    pub user_id: Observation<Option<String>>,
    /// Policies attached at account scope.
    pub policies: Observation<Vec<PolicyRef>>,
    /// The membership in the workspace; `None` when not looked up (no workspace roles wanted, or
    /// no such user).
    pub membership: Option<Observation<Option<Member>>>,
}

/// Everything the plan depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The service role, `None` if absent.
    pub role: Observation<Option<ObservedRole>>,
    /// Policies attached to the role at account scope (empty when the role is absent).
    pub role_policies: Observation<Vec<PolicyRef>>,
    /// Resource-group attachments of service roles in the requested group (resource-group mode).
    pub rg_attachments: Option<Observation<Vec<RgAttachment>>>,
    /// The custom policies dlcauth manages, by name; `None` if absent.
    pub custom_policies: BTreeMap<String, Observation<Option<ObservedPolicy>>>,
    /// RAM users, by name.
    pub users: BTreeMap<String, ObservedUser>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, default: bool, date: &str) -> PolicyVersion {
        PolicyVersion {
            version_id: id.into(),
            is_default: default,
            document: String::new(),
            create_date: date.into(),
        }
    }

    #[test]
    fn oldest_non_default_never_picks_the_default() {
        let p = ObservedPolicy {
            versions: vec![
                version("v1", true, "2024-01-01T00:00:00Z"),
                version("v2", false, "2024-01-02T00:00:00Z"),
                version("v3", false, "2024-01-03T00:00:00Z"),
            ],
        };
        assert_eq!(p.oldest_non_default().map(|v| v.version_id.as_str()), Some("v2"));
        assert_eq!(p.default_version().map(|v| v.version_id.as_str()), Some("v1"));
    }

    #[test]
    fn oldest_non_default_orders_by_date_then_numerically() {
        let same_date = "2024-01-01T00:00:00Z";
        let p = ObservedPolicy {
            versions: vec![
                version("v10", false, same_date),
                version("v9", false, same_date),
                version("v11", true, same_date),
            ],
        };
        assert_eq!(p.oldest_non_default().map(|v| v.version_id.as_str()), Some("v9"));
        let only_default = ObservedPolicy {
            versions: vec![version("v1", true, same_date)],
        };
        assert!(only_default.oldest_non_default().is_none());
    }

    #[test]
    fn nothing_is_deletable_when_the_listing_does_not_show_one_default() {
        let date = "2024-01-01T00:00:00Z";
        let no_default = ObservedPolicy {
            versions: (1..=5).map(|n| version(&format!("v{n}"), false, date)).collect(),
        };
        assert!(no_default.oldest_non_default().is_none());
        let two_defaults = ObservedPolicy {
            versions: vec![
                version("v1", true, date),
                version("v2", true, date),
                version("v3", false, date),
            ],
        };
        assert!(two_defaults.oldest_non_default().is_none());
    }
}
