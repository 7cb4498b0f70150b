//! Typed requests and responses.
//!
//! One struct per API; its fields are the snake_case of the official parameter names, and
//! [`ApiRequest::operation`] validates them against the documented rules before anything is sent.
//! Responses deserialise the official JSON field names (PascalCase); the XML-style list wrappers
//! (`"Policies":{"Policy":[…]}`) are flattened to `Vec`s. Responses also serialise back to exactly
//! that wire shape, so an emulator can reuse them.

pub mod activation;
pub mod aiworkspace;
pub mod ram;
pub mod resourcemanager;
pub mod sts;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::Product;

/// One API of one product: its identity, its parameters and its response type.
pub trait ApiRequest: Send + Sync {
    /// The response body.
    type Output: DeserializeOwned + Send;
    /// The product, which decides the host.
    const PRODUCT: Product;
    /// The API version, e.g. `2015-05-01`.
    const VERSION: &'static str;
    /// The action, e.g. `GetRole`.
    const ACTION: &'static str;
    /// Sent without a signature or credentials (only `AssumeRoleWithOIDC`).
    const ANONYMOUS: bool = false;

    /// The wire-level parameters, after checking them against the documented constraints.
    ///
    /// # Errors
    /// A message naming the parameter and the rule it breaks (never the value of a secret).
    fn operation(&self) -> Result<Operation, String>;
}

/// Request parameters whose values are credentials; [`Operation`]'s `Debug` hides them.
pub const SECRET_PARAMS: &[&str] = &["OIDCToken"];

/// What goes on the wire besides the common (signature) parameters. `Debug` redacts the values
/// of [`SECRET_PARAMS`].
#[derive(Clone, PartialEq, Eq)]
pub enum Operation {
    /// RPC style: `POST /` with the parameters in the query (as the official SDKs send them).
    Rpc {
        /// Business parameters by official name.
        params: Vec<(&'static str, String)>,
    },
    /// ROA style (AIWorkspace): a method, a resource path and an optional JSON body.
    Roa {
        /// The HTTP method.
        method: http::Method,
        /// The path, each segment already percent-encoded (see [`roa_path`]).
        path: String,
        /// Query parameters by official name.
        query: Vec<(&'static str, String)>,
        /// The exact JSON bytes to send.
        body: Option<Vec<u8>>,
    },
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn redacted<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
            params
                .iter()
                .map(|(k, v)| {
                    (
                        *k,
                        if SECRET_PARAMS.contains(k) {
                            crate::secret::REDACTED
                        } else {
                            v.as_str()
                        },
                    )
                })
                .collect()
        }
        match self {
            Self::Rpc { params } => f.debug_struct("Rpc").field("params", &redacted(params)).finish(),
            Self::Roa {
                method,
                path,
                query,
                body,
            } => f
                .debug_struct("Roa")
                .field("method", method)
                .field("path", path)
                .field("query", &redacted(query))
                .field("body_bytes", &body.as_ref().map(Vec::len))
                .finish(),
        }
    }
}

/// `/seg1/seg2/…` with every segment RFC 3986-encoded, as the SDK's `percent_encode` does for path
/// parameters (a workspace id with `/` or `?` stays one segment).
pub fn roa_path(segments: &[&str]) -> String {
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        path.push_str(&crate::sign::percent_encode(segment));
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// Builds a parameter list, skipping absent optional values.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(&'static str, String)>);

impl Params {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn set(mut self, name: &'static str, value: impl ToString) -> Self {
        self.0.push((name, value.to_string()));
        self
    }

    pub(crate) fn opt<T: ToString>(mut self, name: &'static str, value: Option<T>) -> Self {
        if let Some(value) = value {
            self.0.push((name, value.to_string()));
        }
        self
    }

    pub(crate) fn rpc(self) -> Operation {
        Operation::Rpc { params: self.0 }
    }

    pub(crate) fn into_vec(self) -> Vec<(&'static str, String)> {
        self.0
    }
}

/// A response with nothing but a `RequestId` (which [`Response`](crate::Response) carries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Empty {}

/// Client-side checks of documented parameter rules. Messages name the parameter and the rule,
/// never the value.
pub(crate) mod check {
    pub(crate) fn len(field: &str, value: &str, min: usize, max: usize) -> Result<(), String> {
        let n = value.chars().count();
        if n < min || n > max {
            Err(format!("{field} must be {min} to {max} characters long (got {n})"))
        } else {
            Ok(())
        }
    }

    pub(crate) fn chars(field: &str, value: &str, allowed: fn(char) -> bool, rule: &str) -> Result<(), String> {
        if value.chars().all(allowed) {
            Ok(())
        } else {
            Err(format!("{field} may contain only {rule}"))
        }
    }

    pub(crate) fn range(field: &str, value: u32, min: u32, max: u32) -> Result<(), String> {
        if (min..=max).contains(&value) {
            Ok(())
        } else {
            Err(format!("{field} must be between {min} and {max} (got {value})"))
        }
    }

    pub(crate) fn non_empty(field: &str, value: &str) -> Result<(), String> {
        if value.trim().is_empty() {
            Err(format!("{field} must not be empty"))
        } else {
            Ok(())
        }
    }

    pub(crate) fn opt_len(field: &str, value: Option<&String>, min: usize, max: usize) -> Result<(), String> {
        value.map_or(Ok(()), |v| len(field, v, min, max))
    }

    /// RAM entity names (roles, users): 1–64 letters, digits, `.`, `-`, `_`, `@`.
    pub(crate) fn ram_name(field: &str, value: &str) -> Result<(), String> {
        len(field, value, 1, 64)?;
        chars(
            field,
            value,
            |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'),
            "letters, digits, '.', '-', '_' and '@'",
        )
    }

    /// Policy names: 1–128 letters, digits and `-`.
    pub(crate) fn policy_name(field: &str, value: &str) -> Result<(), String> {
        len(field, value, 1, 128)?;
        chars(
            field,
            value,
            |c| c.is_ascii_alphanumeric() || c == '-',
            "letters, digits and '-'",
        )
    }

    /// Policy documents: 1–6,144 characters (SDK 1.3.0 model comment).
    pub(crate) fn policy_document(field: &str, value: &str) -> Result<(), String> {
        non_empty(field, value)?;
        len(field, value, 1, 6144)
    }
}

/// `"Wrapper":{"Item":[…]}` ⇄ `Vec<T>`, for the XML-shaped lists of RPC responses. An absent or
/// `null` wrapper, or a wrapper without the item key, is an empty list.
macro_rules! wrapped_list {
    ($module:ident, $item:literal) => {
        pub(crate) mod $module {
            use serde::{Deserialize, Deserializer, Serialize, Serializer};

            #[derive(Deserialize)]
            struct Wrapper<T> {
                #[serde(rename = $item, default = "Vec::new")]
                items: Vec<T>,
            }

            #[derive(Serialize)]
            struct WrapperRef<'a, T> {
                #[serde(rename = $item)]
                items: &'a [T],
            }

            pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
            where
                D: Deserializer<'de>,
                T: Deserialize<'de>,
            {
                Ok(Option::<Wrapper<T>>::deserialize(deserializer)?.map_or_else(Vec::new, |w| w.items))
            }

            pub(crate) fn serialize<S, T>(items: &[T], serializer: S) -> Result<S::Ok, S::Error>
            where
                S: Serializer,
                T: Serialize,
            {
                WrapperRef { items }.serialize(serializer)
            }
        }
    };
}
pub(crate) use wrapped_list;

/// `Expiration`-style timestamps: `%Y-%m-%dT%H:%M:%SZ` (any RFC 3339 instant accepted).
pub(crate) mod timestamp {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Alibaba's timestamp format (`Expiration`, the `Timestamp` parameter, `x-acs-date`): UTC,
    /// second precision, `Z`.
    pub(crate) const FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<jiff::Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse::<jiff::Timestamp>()
            .map_err(|_| serde::de::Error::custom("Expiration is not a UTC timestamp (yyyy-MM-ddTHH:mm:ssZ)"))
    }

    pub(crate) fn serialize<S: Serializer>(value: &jiff::Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&value.strftime(FORMAT))
    }
}

/// Accepts a JSON string or number as an optional string (the SDK models type some ids as strings
/// while services send numbers).
pub(crate) mod lenient_string {
    use serde::{Deserialize, Deserializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
        Ok(match Option::<serde_json::Value>::deserialize(deserializer)? {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
            Some(_) => return Err(serde::de::Error::custom("expected a string or a number")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roa_paths_encode_each_segment() {
        assert_eq!(
            roa_path(&["api", "v1", "workspaces", "123", "members"]),
            "/api/v1/workspaces/123/members"
        );
        assert_eq!(roa_path(&["api", "a/b?c d"]), "/api/a%2Fb%3Fc%20d");
        assert_eq!(roa_path(&[]), "/");
    }

    #[test]
    fn operation_debug_hides_secret_parameters() {
        let op = Params::new()
            .set("RoleArn", "acs:ram::1:role/r")
            .set("OIDCToken", "jwt-value")
            .rpc();
        let text = format!("{op:?}");
        assert!(
            text.contains("acs:ram::1:role/r") && !text.contains("jwt-value"),
            "{text}"
        );
    }

    #[test]
    fn checks_name_the_field_and_rule() {
        assert!(check::ram_name("RoleName", "Aliyun.PAI-DLC_x@y").is_ok());
        let e = check::ram_name("RoleName", "bad name").unwrap_err();
        assert!(e.contains("RoleName") && e.contains("letters"), "{e}");
        assert!(check::ram_name("RoleName", "").is_err());
        assert!(check::ram_name("RoleName", &"a".repeat(65)).is_err());
        assert!(check::policy_name("PolicyName", "PaiDlcOAuthPolicy").is_ok());
        assert!(check::policy_name("PolicyName", "Pai_Dlc").is_err());
        assert!(check::range("DurationSeconds", 899, 900, 43200).is_err());
        assert!(check::policy_document("PolicyDocument", "  ").is_err());
    }
}
