//! STS 2015-04-01 (RPC): `AssumeRole`, `AssumeRoleWithOIDC`, `GetCallerIdentity`.

use serde::{Deserialize, Serialize};

use super::{ApiRequest, Operation, Params, check, timestamp};
use crate::Secret;
use crate::client::Product;
use crate::credentials::Credentials;

/// The STS API version.
pub const VERSION: &str = "2015-04-01";

/// `AssumeRole`: temporary credentials of a RAM role. Root-account keys cannot call it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRole {
    /// `RoleArn`: `acs:ram::<account_id>:role/<role_name>`.
    pub role_arn: String,
    /// `RoleSessionName`: 2–64 letters, digits, `.`, `@`, `-`, `_`.
    pub role_session_name: String,
    /// `DurationSeconds`: 900 up to the role's MaxSessionDuration (server default 3600).
    pub duration_seconds: Option<u32>,
    /// `Policy`: a session policy, 1–2,048 characters.
    pub policy: Option<String>,
    /// `ExternalId`: 2–1,224 characters of `[\w+=,.@:/-]`.
    pub external_id: Option<String>,
}

/// The longest session any role allows (RAM `MaxSessionDuration` ≤ 43200 s).
const MAX_DURATION_SECONDS: u32 = 43_200;

fn check_role_arn(value: &str) -> Result<(), String> {
    let role = value
        .strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(":role/"))
        .filter(|(account, role)| !account.is_empty() && !role.is_empty());
    match role {
        Some(_) => check::len("RoleArn", value, 20, 2048),
        None => Err("RoleArn must look like acs:ram::<account_id>:role/<role_name>".to_owned()),
    }
}

fn check_session_name(value: &str) -> Result<(), String> {
    check::len("RoleSessionName", value, 2, 64)?;
    check::chars(
        "RoleSessionName",
        value,
        |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_'),
        "letters, digits, '.', '@', '-' and '_'",
    )
}

fn check_duration(value: Option<u32>) -> Result<(), String> {
    value.map_or(Ok(()), |d| {
        check::range("DurationSeconds", d, 900, MAX_DURATION_SECONDS)
    })
}

impl ApiRequest for AssumeRole {
    type Output = AssumeRoleResponse;
    const PRODUCT: Product = Product::Sts;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "AssumeRole";

    fn operation(&self) -> Result<Operation, String> {
        check_role_arn(&self.role_arn)?;
        check_session_name(&self.role_session_name)?;
        check_duration(self.duration_seconds)?;
        check::opt_len("Policy", self.policy.as_ref(), 1, 2048)?;
        if let Some(external_id) = &self.external_id {
            check::len("ExternalId", external_id, 2, 1224)?;
            check::chars(
                "ExternalId",
                external_id,
                |c| c.is_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | ':' | '/' | '-'),
                "letters, digits and _+=,.@:/-",
            )?;
        }
        Ok(Params::new()
            .set("RoleArn", &self.role_arn)
            .set("RoleSessionName", &self.role_session_name)
            .opt("DurationSeconds", self.duration_seconds)
            .opt("Policy", self.policy.as_ref())
            .opt("ExternalId", self.external_id.as_ref())
            .rpc())
    }
}

/// The temporary credentials STS hands out. `Debug` redacts the secret and the token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StsCredentials {
    /// `AccessKeyId` (`STS.…`).
    pub access_key_id: String,
    /// `AccessKeySecret`.
    pub access_key_secret: Secret,
    /// `SecurityToken` (no maximum length: never truncate it).
    pub security_token: Secret,
    /// `Expiration`, UTC.
    #[serde(with = "timestamp")]
    pub expiration: jiff::Timestamp,
}

impl From<StsCredentials> for Credentials {
    fn from(c: StsCredentials) -> Self {
        Self {
            access_key_id: c.access_key_id,
            access_key_secret: c.access_key_secret,
            security_token: Some(c.security_token),
            expiration: Some(c.expiration),
        }
    }
}

/// `AssumedRoleUser`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumedRoleUser {
    /// `Arn`, e.g. `acs:ram::123:role/adminrole/alice`.
    pub arn: String,
    /// `AssumedRoleId`, e.g. `344584339364951186:alice`.
    pub assumed_role_id: String,
}

/// `AssumeRole` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleResponse {
    /// `Credentials`.
    pub credentials: StsCredentials,
    /// `AssumedRoleUser`.
    pub assumed_role_user: AssumedRoleUser,
    /// `SourceIdentity`, when one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

/// `AssumeRoleWithOIDC`: exchanges an OIDC token for role credentials. Anonymous: it is sent
/// without a signature, the OIDC token being the proof.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleWithOidc {
    /// `OIDCProviderArn`: `acs:ram::<account_id>:oidc-provider/<name>`.
    pub oidc_provider_arn: String,
    /// `RoleArn`.
    pub role_arn: String,
    /// `OIDCToken`: the token itself (a secret).
    pub oidc_token: Secret,
    /// `RoleSessionName`.
    pub role_session_name: String,
    /// `DurationSeconds`.
    pub duration_seconds: Option<u32>,
    /// `Policy`.
    pub policy: Option<String>,
}

impl ApiRequest for AssumeRoleWithOidc {
    type Output = AssumeRoleWithOidcResponse;
    const PRODUCT: Product = Product::Sts;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "AssumeRoleWithOIDC";
    const ANONYMOUS: bool = true;

    fn operation(&self) -> Result<Operation, String> {
        if !self.oidc_provider_arn.starts_with("acs:ram::") || !self.oidc_provider_arn.contains(":oidc-provider/") {
            return Err("OIDCProviderArn must look like acs:ram::<account_id>:oidc-provider/<name>".to_owned());
        }
        check_role_arn(&self.role_arn)?;
        check_session_name(&self.role_session_name)?;
        check_duration(self.duration_seconds)?;
        check::opt_len("Policy", self.policy.as_ref(), 1, 2048)?;
        check::non_empty("OIDCToken", self.oidc_token.expose())?;
        Ok(Params::new()
            .set("OIDCProviderArn", &self.oidc_provider_arn)
            .set("RoleArn", &self.role_arn)
            .set("OIDCToken", self.oidc_token.expose())
            .set("RoleSessionName", &self.role_session_name)
            .opt("DurationSeconds", self.duration_seconds)
            .opt("Policy", self.policy.as_ref())
            .rpc())
    }
}

/// `AssumeRoleWithOIDC` response (the `OIDCTokenInfo` part is not needed and ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleWithOidcResponse {
    /// `Credentials`.
    pub credentials: StsCredentials,
    /// `AssumedRoleUser`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_role_user: Option<AssumedRoleUser>,
}

/// `GetCallerIdentity`: who the current credentials belong to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetCallerIdentity;

impl ApiRequest for GetCallerIdentity {
    type Output = GetCallerIdentityResponse;
    const PRODUCT: Product = Product::Sts;
    const VERSION: &'static str = VERSION;
    const ACTION: &'static str = "GetCallerIdentity";

    fn operation(&self) -> Result<Operation, String> {
        Ok(Params::new().rpc())
    }
}

/// `GetCallerIdentity` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCallerIdentityResponse {
    /// `AccountId`: the account UID.
    pub account_id: String,
    /// `Arn` of the caller.
    pub arn: String,
    /// `IdentityType`: `Account`, `RAMUser` or `AssumedRoleUser`.
    pub identity_type: String,
    /// `PrincipalId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// `UserId` (RAM users and the account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// `RoleId` (assumed roles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> AssumeRole {
        AssumeRole {
            role_arn: "acs:ram::1234567890123456:role/dlcauth-granter".into(),
            role_session_name: "dlcauth".into(),
            ..AssumeRole::default()
        }
    }

    #[test]
    fn assume_role_sends_only_the_set_parameters() -> Result<(), String> {
        let op = AssumeRole {
            duration_seconds: Some(3600),
            external_id: Some("ext-123".into()),
            ..valid()
        }
        .operation()?;
        assert_eq!(
            op,
            Operation::Rpc {
                params: vec![
                    ("RoleArn", "acs:ram::1234567890123456:role/dlcauth-granter".into()),
                    ("RoleSessionName", "dlcauth".into()),
                    ("DurationSeconds", "3600".into()),
                    ("ExternalId", "ext-123".into()),
                ]
            }
        );
        Ok(())
    }

    #[test]
    fn assume_role_refuses_documented_bad_input() {
        let cases = [
            AssumeRole {
                role_session_name: "a".into(),
                ..valid()
            },
            AssumeRole {
                role_session_name: "x".repeat(65),
                ..valid()
            },
            AssumeRole {
                role_session_name: "has space".into(),
                ..valid()
            },
            AssumeRole {
                role_session_name: "semi;colon".into(),
                ..valid()
            },
            AssumeRole {
                duration_seconds: Some(899),
                ..valid()
            },
            AssumeRole {
                duration_seconds: Some(43_201),
                ..valid()
            },
            AssumeRole {
                role_arn: "arn:aws:iam::1:role/x".into(),
                ..valid()
            },
            AssumeRole {
                role_arn: "acs:ram::1234567890123456:user/alice".into(),
                ..valid()
            },
            AssumeRole {
                role_arn: "acs:ram:::role/x".into(),
                ..valid()
            },
            AssumeRole {
                policy: Some(String::new()),
                ..valid()
            },
            AssumeRole {
                policy: Some("p".repeat(2049)),
                ..valid()
            },
            AssumeRole {
                external_id: Some("x".into()),
                ..valid()
            },
            AssumeRole {
                external_id: Some("bad id!".into()),
                ..valid()
            },
        ];
        for case in cases {
            assert!(case.operation().is_err(), "accepted {case:?}");
        }
        for ok in [
            AssumeRole {
                role_session_name: "ab".into(),
                ..valid()
            },
            AssumeRole {
                role_session_name: "a.b@c-d_e".into(),
                ..valid()
            },
            AssumeRole {
                duration_seconds: Some(900),
                ..valid()
            },
        ] {
            assert!(ok.operation().is_ok(), "refused {ok:?}");
        }
    }

    #[test]
    fn parses_the_documented_assume_role_sample() -> Result<(), serde_json::Error> {
        let sample = r#"{"RequestId":"6894B13B-6D71-4EF5-88FA-F32781734A7F",
            "AssumedRoleUser":{"Arn":"acs:ram::123456789012****:role/adminrole/alice","AssumedRoleId":"34458433936495****:alice"},
            "Credentials":{"AccessKeyId":"STS.L4aBSCSJVMuKg5U1****","AccessKeySecret":"wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pK****",
                           "SecurityToken":"********","Expiration":"2015-04-09T11:52:19Z"}}"#;
        let r: AssumeRoleResponse = serde_json::from_str(sample)?;
        assert_eq!(r.credentials.access_key_id, "STS.L4aBSCSJVMuKg5U1****");
        assert_eq!(
            r.credentials.access_key_secret.expose(),
            "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pK****"
        );
        assert_eq!(r.credentials.expiration.as_second(), 1_428_580_339);
        assert_eq!(r.assumed_role_user.assumed_role_id, "34458433936495****:alice");
        assert!(!format!("{r:?}").contains("wyLTSmsy"), "Debug redacts the secret");
        let back = serde_json::to_value(&r)?;
        assert_eq!(back["Credentials"]["Expiration"], "2015-04-09T11:52:19Z");
        assert_eq!(
            back["Credentials"]["AccessKeySecret"],
            "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pK****"
        );
        Ok(())
    }

    #[test]
    fn parses_the_documented_caller_identity_sample() -> Result<(), serde_json::Error> {
        let sample = r#"{"IdentityType":"RAMUser","AccountId":"1234567890123456","RequestId":"r",
            "PrincipalId":"2038xxxx","UserId":"2038xxxx","Arn":"acs:ram::1234567890123456:user/alice","RoleId":""}"#;
        let r: GetCallerIdentityResponse = serde_json::from_str(sample)?;
        assert_eq!(r.account_id, "1234567890123456");
        assert_eq!(r.identity_type, "RAMUser");
        assert_eq!(r.user_id.as_deref(), Some("2038xxxx"));
        Ok(())
    }

    #[test]
    fn oidc_token_is_sent_but_never_printed() -> Result<(), String> {
        let req = AssumeRoleWithOidc {
            oidc_provider_arn: "acs:ram::1234567890123456:oidc-provider/ack".into(),
            role_arn: "acs:ram::1234567890123456:role/r".into(),
            oidc_token: Secret::new("eyJhbGciOiJSUzI1NiJ9.secret-jwt"),
            role_session_name: "s1".into(),
            ..AssumeRoleWithOidc::default()
        };
        let Operation::Rpc { params } = req.operation()? else {
            return Err("not RPC".into());
        };
        assert!(params.contains(&("OIDCToken", "eyJhbGciOiJSUzI1NiJ9.secret-jwt".into())));
        assert!(!format!("{req:?}").contains("secret-jwt"));
        Ok(())
    }
}
