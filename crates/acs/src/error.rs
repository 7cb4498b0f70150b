//! Errors of the Alibaba Cloud client, the Alibaba error body, and the retry classification.
//!
//! Nothing here ever holds a secret: the client scrubs the caller's SecurityToken out of server
//! messages before building a [`ServiceError`] (a `SignatureDoesNotMatch` message ends with the
//! server's string-to-sign, which for V1 contains the token).

use std::fmt;

pub use crate::credentials::CredentialsError;

/// The error body Alibaba Cloud returns with a non-2xx status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// `Code`, e.g. `EntityNotExist.Role`. When the body could not be read as an Alibaba error,
    /// `Http<status>` (e.g. `Http502`), so that callers always have something to match on.
    pub code: String,
    /// `Message`.
    pub message: String,
    /// `RequestId` (body, else the `x-acs-request-id` header).
    pub request_id: Option<String>,
    /// `HostId`.
    pub host_id: Option<String>,
    /// `Recommend` (a troubleshooting URL).
    pub recommend: Option<String>,
    /// The HTTP status of the response.
    pub http_status: u16,
}

impl ServiceError {
    /// Parses an Alibaba error body: JSON (`Code`/`code`, `Message`/`message`, `RequestId`/`requestId`,
    /// `HostId`, `Recommend`, any key case) or XML (`<Error><Code>…</Code>…</Error>`). Returns `None`
    /// when the body carries no error code in either form.
    pub fn parse(http_status: u16, body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?.trim_start_matches('\u{feff}').trim();
        if text.starts_with('{') {
            Self::parse_json(http_status, text)
        } else if text.starts_with('<') {
            Self::parse_xml(http_status, text)
        } else {
            None
        }
    }

    fn parse_json(http_status: u16, text: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let object = value.as_object()?;
        let field = |name: &str| -> Option<String> {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
        };
        Some(Self {
            code: field("Code")?,
            message: field("Message").unwrap_or_default(),
            request_id: field("RequestId"),
            host_id: field("HostId"),
            recommend: field("Recommend"),
            http_status,
        })
    }

    fn parse_xml(http_status: u16, text: &str) -> Option<Self> {
        Some(Self {
            code: xml_element(text, "Code")?,
            message: xml_element(text, "Message").unwrap_or_default(),
            request_id: xml_element(text, "RequestId"),
            host_id: xml_element(text, "HostId"),
            recommend: xml_element(text, "Recommend"),
            http_status,
        })
    }

    /// How a failed call with this error is retried.
    pub fn retry_class(&self) -> RetryClass {
        classify(&self.code, self.http_status)
    }
}

/// The text of the first `<name>…</name>` element, entity-decoded; `None` when absent or empty
/// (as [`ServiceError::parse_json`] treats empty fields). Hand-written because the
/// gateway's XML error body is a flat list of five text elements; a full XML parser would be a
/// dependency for nothing.
fn xml_element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&close)?;
    let raw = text[start..start + len].trim();
    let raw = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
        .map_or_else(|| unescape_xml(raw), str::to_owned);
    Some(raw).filter(|r| !r.is_empty())
}

fn unescape_xml(raw: &str) -> String {
    raw.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {})", self.code, self.http_status)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [RequestId {id}]")?;
        }
        Ok(())
    }
}

/// How the client treats a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Transient: retried with capped exponential backoff and full jitter.
    Retry,
    /// `SignatureNonceUsed`: retried exactly once, at once, with a new nonce.
    RetryWithFreshNonce,
    /// Anything else: returned to the caller as is.
    DoNotRetry,
}

/// The retry classification of a service error, by error code first and HTTP status second
/// (a throttling code comes back as 400 or even 302, so the status alone is not enough; a 5xx is
/// transient whatever its code).
pub fn classify(code: &str, http_status: u16) -> RetryClass {
    if code == "SignatureNonceUsed" {
        return RetryClass::RetryWithFreshNonce;
    }
    let transient_code = code.starts_with("Throttling")
        // terraform-provider-alicloud's NeedRetry lists it beside `Throttling*` (reference §6.4).
        || code == "Rejected.Throttling"
        || matches!(code, "ServiceUnavailable" | "InternalError" | "UnknownError");
    // STS may answer flow control with a bare 302 (reference §7). Redirects are never followed,
    // so a 302 without an Alibaba error body can only be that; one with a body has its own code.
    let bare_throttling_redirect = http_status == 302 && code == "Http302";
    if transient_code || bare_throttling_redirect || (500..600).contains(&http_status) {
        RetryClass::Retry
    } else {
        RetryClass::DoNotRetry
    }
}

/// Everything a call can fail with. `Display` names the API action, the error code and the
/// RequestId; no variant ever carries a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error body.
    #[error("{action} failed: {error} after {attempts} attempt(s)")]
    Service {
        /// The API action, e.g. `GetRole`.
        action: &'static str,
        /// The parsed error body.
        error: ServiceError,
        /// HTTP attempts made, retries included.
        attempts: u32,
    },
    /// No usable HTTP response: connection refused or reset, TLS failure, timeout.
    #[error("{action} failed: transport error: {message} after {attempts} attempt(s)")]
    Transport {
        /// The API action.
        action: &'static str,
        /// What went wrong (never the URL, which carries the signed query).
        message: String,
        /// HTTP attempts made, retries included.
        attempts: u32,
    },
    /// A successful HTTP status whose body is not what the API documents: malformed or truncated
    /// JSON, an HTML page, a missing required field.
    #[error("{action}: cannot decode the HTTP {http_status} response{}: {message}", request_id_suffix(.request_id))]
    Decode {
        /// The API action.
        action: &'static str,
        /// The HTTP status.
        http_status: u16,
        /// The RequestId, when the body or the headers carried one.
        request_id: Option<String>,
        /// What was wrong.
        message: String,
        /// HTTP attempts made, retries included (an extension of the contract: every error counts).
        attempts: u32,
    },
    /// No credentials could be obtained.
    #[error("credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// Bad configuration (endpoint, signature version, region…).
    #[error("configuration error: {0}")]
    Config(String),
    /// The request was refused before sending: a parameter breaks a documented rule.
    #[error("{action}: invalid request: {message}")]
    InvalidInput {
        /// The API action.
        action: &'static str,
        /// Which parameter and which rule.
        message: String,
    },
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_ref()
        .map(|id| format!(" [RequestId {id}]"))
        .unwrap_or_default()
}

impl Error {
    /// The Alibaba error code of a service error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// The RequestId of the failed response, if there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Service { error, .. } => error.request_id.as_deref(),
            Self::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the failed response, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Service { error, .. } => Some(error.http_status),
            Self::Decode { http_status, .. } => Some(*http_status),
            _ => None,
        }
    }

    /// HTTP attempts made before giving up (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Service { attempts, .. } | Self::Transport { attempts, .. } | Self::Decode { attempts, .. } => {
                *attempts
            }
            _ => 0,
        }
    }

    /// The retry class of this failure (transport errors are transient; decode, credential,
    /// configuration and input errors are not).
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Service { error, .. } => error.retry_class(),
            Self::Transport { .. } => RetryClass::Retry,
            _ => RetryClass::DoNotRetry,
        }
    }

    /// Whether the failure is of a transient kind. The client has already retried it as far as
    /// its [`RetryPolicy`](crate::client::RetryPolicy) allows.
    pub fn is_retryable(&self) -> bool {
        self.retry_class() != RetryClass::DoNotRetry
    }

    /// The parsed service error, if any.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Self::Service { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_code_then_the_status() {
        let table: &[(&str, u16, RetryClass)] = &[
            ("Throttling", 400, RetryClass::Retry),
            ("Throttling.User", 400, RetryClass::Retry),
            ("Throttling.Api", 400, RetryClass::Retry),
            ("Throttling.User", 302, RetryClass::Retry),
            ("ServiceUnavailable", 503, RetryClass::Retry),
            ("ServiceUnavailable", 400, RetryClass::Retry),
            ("InternalError", 500, RetryClass::Retry),
            ("UnknownError", 500, RetryClass::Retry),
            ("UnknownError", 400, RetryClass::Retry),
            ("SomethingNew", 502, RetryClass::Retry),
            ("Http504", 504, RetryClass::Retry),
            ("SignatureNonceUsed", 400, RetryClass::RetryWithFreshNonce),
            ("NoPermission", 403, RetryClass::DoNotRetry),
            ("EntityNotExist.Role", 404, RetryClass::DoNotRetry),
            ("EntityAlreadyExists.Role", 409, RetryClass::DoNotRetry),
            ("LimitExceeded.Policy.Version", 409, RetryClass::DoNotRetry),
            ("SignatureDoesNotMatch", 400, RetryClass::DoNotRetry),
            ("InvalidTimeStamp.Expired", 400, RetryClass::DoNotRetry),
            ("InvalidAccessKeyId.NotFound", 404, RetryClass::DoNotRetry),
            ("Http400", 400, RetryClass::DoNotRetry),
            ("Http429", 429, RetryClass::DoNotRetry),
            ("throttling", 400, RetryClass::DoNotRetry),
            ("Rejected.Throttling", 400, RetryClass::Retry),
            ("Http302", 302, RetryClass::Retry),
            ("NoPermission", 302, RetryClass::DoNotRetry),
            ("ORDER.OPEND", 400, RetryClass::DoNotRetry),
        ];
        for (code, status, expected) in table {
            assert_eq!(classify(code, *status), *expected, "{code} / {status}");
        }
    }

    #[test]
    fn json_error_bodies_parse_in_any_key_case() {
        let body = br#"{"RequestId":"7463B73D-35CC","HostId":"ram.aliyuncs.com","Code":"InvalidParameter",
            "Message":"The specified parameter \"Action or Version\" is not valid.",
            "Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidParameter"}"#;
        let e = ServiceError::parse(400, body).expect("parses");
        assert_eq!(e.code, "InvalidParameter");
        assert_eq!(e.message, "The specified parameter \"Action or Version\" is not valid.");
        assert_eq!(e.request_id.as_deref(), Some("7463B73D-35CC"));
        assert_eq!(e.host_id.as_deref(), Some("ram.aliyuncs.com"));
        assert_eq!(
            e.recommend.as_deref(),
            Some("https://api.aliyun.com/troubleshoot?q=InvalidParameter")
        );
        assert_eq!(e.http_status, 400);

        let lower = br#"{"requestId":"r-1","code":"Throttling.User","message":"flow control","hostId":"h"}"#;
        let e = ServiceError::parse(400, lower).expect("parses");
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("Throttling.User", "flow control", Some("r-1"))
        );
        assert_eq!(e.host_id.as_deref(), Some("h"));

        let numeric = br#"{"code":403,"message":"denied"}"#;
        assert_eq!(
            ServiceError::parse(403, numeric).map(|e| e.code),
            Some("403".to_owned())
        );
    }

    #[test]
    fn xml_error_bodies_parse() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <RequestId>B3D6-XML</RequestId>
  <HostId>sts.aliyuncs.com</HostId>
  <Code>NoPermission</Code>
  <Message>You are not authorized &amp; &lt;denied&gt;</Message>
  <Recommend><![CDATA[https://api.aliyun.com/troubleshoot?q=NoPermission&a=b]]></Recommend>
</Error>"#;
        let e = ServiceError::parse(403, body).expect("parses");
        assert_eq!(e.code, "NoPermission");
        assert_eq!(e.message, "You are not authorized & <denied>");
        assert_eq!(e.request_id.as_deref(), Some("B3D6-XML"));
        assert_eq!(e.host_id.as_deref(), Some("sts.aliyuncs.com"));
        assert_eq!(
            e.recommend.as_deref(),
            Some("https://api.aliyun.com/troubleshoot?q=NoPermission&a=b")
        );
    }

    #[test]
    fn bodies_without_a_code_are_not_service_errors() {
        for body in [
            &b""[..],
            b"<html><body>502 Bad Gateway</body></html>",
            b"{\"Message\":\"no code\"}",
            b"{\"Code\":\"\"}",
            b"[1,2]",
            b"{\"Code\":\"Trunc",
            b"\xff\xfe",
            b"plain text",
        ] {
            assert_eq!(ServiceError::parse(502, body), None, "{body:?}");
        }
    }

    #[test]
    fn display_names_action_code_and_request_id() {
        let err = Error::Service {
            action: "GetRole",
            error: ServiceError {
                code: "EntityNotExist.Role".into(),
                message: "The role does not exist.".into(),
                request_id: Some("REQ-1".into()),
                host_id: None,
                recommend: None,
                http_status: 404,
            },
            attempts: 1,
        };
        let text = err.to_string();
        for part in ["GetRole", "EntityNotExist.Role", "REQ-1", "404"] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert_eq!(err.code(), Some("EntityNotExist.Role"));
        assert_eq!(err.request_id(), Some("REQ-1"));
        assert_eq!(err.http_status(), Some(404));
        assert_eq!(err.attempts(), 1);
        assert!(!err.is_retryable());

        let decode = Error::Decode {
            action: "GetPolicy",
            http_status: 200,
            request_id: Some("REQ-2".into()),
            message: "missing field `Policy`".into(),
            attempts: 2,
        };
        let text = decode.to_string();
        assert!(text.contains("GetPolicy") && text.contains("REQ-2") && text.contains("Policy"));
        assert_eq!(decode.attempts(), 2);
        assert!(!decode.is_retryable());
        let transport = Error::Transport {
            action: "GetUser",
            message: "connection refused".into(),
            attempts: 5,
        };
        assert!(transport.is_retryable());
        assert_eq!(transport.attempts(), 5);
    }
}
