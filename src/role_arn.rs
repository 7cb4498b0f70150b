//! The privileged role dlcauth assumes (`--role-arn` / `DLCAUTH_ROLE_ARN`), and the session name.

use std::fmt;

/// The placeholder replaced by the target account (cross-account grants).
pub const ACCOUNT_PLACEHOLDER: &str = "{accountId}";

/// A role ARN, possibly with `{accountId}` for the account part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArnTemplate {
    account: AccountPart,
    role_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AccountPart {
    Fixed(String),
    Target,
}

/// A malformed role ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a RAM role ARN; expected acs:ram::<accountId or {{accountId}}>:role/<RoleName>, e.g. acs:ram::{{accountId}}:role/dlcauth-granter"
)]
pub struct RoleArnError(String);

impl RoleArnTemplate {
    /// Parses `acs:ram::<account>:role/<name>`, where `<account>` is digits or `{accountId}`.
    ///
    /// # Errors
    /// Anything else, with the expected form in the message.
    pub fn parse(text: &str) -> Result<Self, RoleArnError> {
        let bad = || RoleArnError(text.to_owned());
        let rest = text.trim().strip_prefix("acs:ram::").ok_or_else(bad)?;
        let (account, resource) = rest.split_once(':').ok_or_else(bad)?;
        let role_name = resource.strip_prefix("role/").ok_or_else(bad)?;
        let account = if account == ACCOUNT_PLACEHOLDER {
            AccountPart::Target
        } else if !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()) {
            AccountPart::Fixed(account.to_owned())
        } else {
            return Err(bad());
        };
        let name_ok = (1..=64).contains(&role_name.len())
            && role_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'));
        if !name_ok {
            return Err(bad());
        }
        Ok(Self {
            account,
            role_name: role_name.to_owned(),
        })
    }

    /// The ARN for a target account.
    pub fn resolve(&self, account_id: &str) -> String {
        let account = match &self.account {
            AccountPart::Fixed(a) => a.as_str(),
            AccountPart::Target => account_id,
        };
        format!("acs:ram::{account}:role/{}", self.role_name)
    }

    /// Whether the ARN names a different account than `account_id` (a fixed ARN used for a
    /// rollout over many accounts would grant in the role's account every time).
    pub fn is_fixed_elsewhere(&self, account_id: &str) -> bool {
        matches!(&self.account, AccountPart::Fixed(a) if a != account_id)
    }
}

impl fmt::Display for RoleArnTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account {
            AccountPart::Fixed(a) => write!(f, "acs:ram::{a}:role/{}", self.role_name),
            AccountPart::Target => write!(f, "acs:ram::{ACCOUNT_PLACEHOLDER}:role/{}", self.role_name),
        }
    }
}

/// The AssumeRole session name for a request: `dlcauth-<request id>`, reduced to the allowed
/// 2–64 characters of `[A-Za-z0-9.@_-]`, so ActionTrail ties every call to the request.
pub fn session_name(request_id: &str) -> String {
    let cleaned: String = request_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!("dlcauth-{cleaned}");
    name.truncate(64);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_resolve_per_account() -> Result<(), RoleArnError> {
        let t = RoleArnTemplate::parse("acs:ram::{accountId}:role/dlcauth-granter")?;
        assert_eq!(
            t.resolve("1234567890123456"),
            "acs:ram::1234567890123456:role/dlcauth-granter"
        );
        assert_eq!(t.to_string(), "acs:ram::{accountId}:role/dlcauth-granter");
        assert!(!t.is_fixed_elsewhere("1"));
        let fixed = RoleArnTemplate::parse("acs:ram::111:role/Granter")?;
        assert_eq!(fixed.resolve("222"), "acs:ram::111:role/Granter");
        assert!(fixed.is_fixed_elsewhere("222"));
        assert!(!fixed.is_fixed_elsewhere("111"));
        Ok(())
    }

    #[test]
    fn malformed_arns_are_refused_with_the_expected_form() {
        for bad in [
            "",
            "dlcauth-granter",
            "acs:ram:::role/x",
            "acs:ram::abc:role/x",
            "acs:ram::123:user/x",
            "acs:ram::123:role/",
            "acs:ram::123:role/has space",
            "acs:ram::{account}:role/x",
            "arn:aws:iam::123:role/x",
        ] {
            let e = RoleArnTemplate::parse(bad);
            assert!(e.is_err(), "{bad:?}");
            let message = e.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("acs:ram::{accountId}:role/"), "{message}");
        }
    }

    #[test]
    fn session_names_follow_the_sts_rule() {
        let id = "6f1c2a9e-1b2c-4d5e-8f90-123456789abc";
        let name = session_name(id);
        assert_eq!(name, format!("dlcauth-{id}"));
        let long = session_name(&"x".repeat(100));
        assert_eq!(long.len(), 64);
        let odd = session_name("a/b c:d");
        assert_eq!(odd, "dlcauth-a-b-c-d");
        for name in [name, long, odd, session_name("")] {
            assert!((2..=64).contains(&name.len()));
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-'))
            );
        }
    }
}
