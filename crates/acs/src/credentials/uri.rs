//! Credentials served over HTTP at `ALIBABA_CLOUD_CREDENTIALS_URI`, as `alibabacloud_credentials`
//! `provider/uri.py` fetches them: `GET` the URI (query string kept), expect HTTP 200 and
//! `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}` with all
//! four credential fields present, `Expiration` as `yyyy-MM-ddTHH:mm:ssZ`; anything else is an
//! error. Cached like the other temporary credentials (the shared cache: refreshed 5 minutes
//! before `Expiration` per DESIGN §5, where the library uses 15; one refresh in flight).
//!
//! Unlike the library, errors never quote the response body (it may hold the very credentials
//! being refused) nor the URI's query string and user info (which may hold a token).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::cache::CredentialsCache;
use super::{Credentials, CredentialsError, Env, ProvideCredentials, local_http_client};
use crate::Secret;
use crate::client::{Clock, SystemClock, error_chain};

/// `ALIBABA_CLOUD_CREDENTIALS_URI`: when set, the last step of the default chain.
pub const ENV_CREDENTIALS_URI: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// The library's defaults: 5 s to connect, 10 s to read.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// A credentials document is a few hundred bytes; a misbehaving endpoint must not make us buffer
/// more than this.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// What errors and `Debug` show for a URI that does not parse.
const UNUSABLE: &str = "(unusable URI)";

/// Why the credentials URI gave no credentials. Never carries the response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriFailure {
    /// The URI is not an absolute `http`/`https` URL.
    #[error("not an http(s) URL: {0}")]
    InvalidUri(String),
    /// The answer's HTTP status was not 200.
    #[error("answered HTTP {0}")]
    HttpStatus(u16),
    /// The document's `Code` was not `Success` (`None`: no `Code` at all).
    #[error("Code is {}, not \"Success\"", .0.as_deref().map_or_else(|| "missing".to_owned(), |c| format!("{c:?}")))]
    Code(Option<String>),
    /// The body is not a credentials document (not JSON, a field missing or mistyped).
    #[error("invalid credentials document: {0}")]
    InvalidBody(String),
    /// No complete answer within the timeout.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The request failed (refused, reset, TLS…).
    #[error("request failed: {0}")]
    Transport(String),
}

/// The document; every field optional so that `Code` is judged first, as in the library.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    access_key_secret: Option<Secret>,
    #[serde(default)]
    security_token: Option<Secret>,
    #[serde(default)]
    expiration: Option<String>,
}

/// Credentials from `ALIBABA_CLOUD_CREDENTIALS_URI`. `Debug` shows the URI without its query
/// string and user info.
pub struct CredentialsUriProvider {
    // No proxy (a deliberate difference from the Python library, which honours proxy variables)
    // and no redirects (the library accepts only a 200): see `local_http_client`.
    http: reqwest::Client,
    /// Parsed once; an unusable URI is reported by every `provide()`.
    url: Result<reqwest::Url, String>,
    /// The URI as errors and `Debug` show it.
    shown: String,
    timeout: Duration,
    cache: CredentialsCache,
}

impl CredentialsUriProvider {
    /// Fetches from `uri`. An unusable URI is reported by `provide()`, so that a chain holding
    /// this provider can still be built and use its earlier steps.
    ///
    /// # Errors
    /// [`CredentialsError::Provider`] when the HTTP client cannot be built.
    pub fn new(uri: impl Into<String>) -> Result<Self, CredentialsError> {
        let uri = uri.into();
        Ok(Self {
            http: local_http_client("credentials_uri", CONNECT_TIMEOUT)?,
            shown: reqwest::Url::parse(&uri).map_or_else(|_| UNUSABLE.to_owned(), |u| printable(&u)),
            url: parse_uri(&uri),
            timeout: DEFAULT_TIMEOUT,
            cache: CredentialsCache::new(Arc::new(SystemClock)),
        })
    }

    /// From `ALIBABA_CLOUD_CREDENTIALS_URI`.
    ///
    /// # Errors
    /// [`CredentialsError::NotConfigured`] when the variable is unset; otherwise as [`Self::new`].
    pub fn from_env(env: &Env) -> Result<Self, CredentialsError> {
        let uri = env.get(ENV_CREDENTIALS_URI).ok_or_else(|| {
            CredentialsError::NotConfigured(format!("credentials URI: {ENV_CREDENTIALS_URI} is not set"))
        })?;
        Self::new(uri)
    }

    /// The time allowed for one fetch, connection and body included (default 15 s: the library's
    /// 5 s connect + 10 s read).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock that decides when cached credentials are stale.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cache = CredentialsCache::new(clock);
        self
    }

    fn failure(uri: &str, failure: UriFailure) -> CredentialsError {
        CredentialsError::CredentialsUri {
            uri: uri.to_owned(),
            failure,
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let url = self
            .url
            .clone()
            .map_err(|e| Self::failure(UNUSABLE, UriFailure::InvalidUri(e)))?;
        let shown = &self.shown;
        let timeout = self.timeout;
        let transport = |e: reqwest::Error| {
            let e = e.without_url();
            if e.is_timeout() {
                UriFailure::Timeout(timeout)
            } else {
                UriFailure::Transport(error_chain(&e))
            }
        };
        let mut response = self
            .http
            .get(url)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| Self::failure(shown, transport(e)))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(Self::failure(shown, UriFailure::HttpStatus(status)));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Self::failure(shown, transport(e)))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Self::failure(
                    shown,
                    UriFailure::InvalidBody(format!("larger than {MAX_BODY_BYTES} bytes")),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        decode(&body).map_err(|failure| Self::failure(shown, failure))
    }
}

/// The document as credentials. serde_json's own messages are not used: a type error quotes the
/// offending value, which could be a secret.
fn decode(body: &[u8]) -> Result<Credentials, UriFailure> {
    let describe = |e: serde_json::Error| {
        UriFailure::InvalidBody(match e.classify() {
            serde_json::error::Category::Data => "not an object of string fields".to_owned(),
            serde_json::error::Category::Eof => "truncated JSON".to_owned(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                format!("not JSON (line {}, column {})", e.line(), e.column())
            }
        })
    };
    // Through a map first: a derived struct would also accept a JSON array, positionally.
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).map_err(describe)?;
    let doc = Document::deserialize(serde_json::Value::Object(object)).map_err(describe)?;
    if doc.code.as_deref() != Some("Success") {
        return Err(UriFailure::Code(doc.code));
    }
    let missing = |field: &str| UriFailure::InvalidBody(format!("{field} is missing"));
    let access_key_id = doc.access_key_id.ok_or_else(|| missing("AccessKeyId"))?;
    let access_key_secret = doc.access_key_secret.ok_or_else(|| missing("AccessKeySecret"))?;
    let security_token = doc.security_token.ok_or_else(|| missing("SecurityToken"))?;
    let expiration = doc.expiration.ok_or_else(|| missing("Expiration"))?;
    let expiration = expiration.parse::<jiff::Timestamp>().map_err(|_| {
        UriFailure::InvalidBody(format!(
            "Expiration {expiration:?} is not a UTC timestamp (yyyy-MM-ddTHH:mm:ssZ)"
        ))
    })?;
    Ok(Credentials {
        access_key_id,
        access_key_secret,
        security_token: Some(security_token),
        expiration: Some(expiration),
    })
}

/// An absolute `http(s)` URL with a host.
fn parse_uri(uri: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(uri).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(url),
        other => Err(format!("scheme {other:?} without a host, or not http(s)")),
    }
}

/// The URL without user info, query or fragment.
fn printable(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

impl fmt::Debug for CredentialsUriProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsUriProvider")
            .field("uri", &self.shown)
            .field("timeout", &self.timeout)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for CredentialsUriProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.cache.get_or_refresh(|| self.fetch()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"Code":"Success","AccessKeyId":"STS.uri","AccessKeySecret":"uri-secret","SecurityToken":"uri-token","Expiration":"2030-01-02T03:04:05Z"}"#;

    #[test]
    fn a_success_document_becomes_temporary_credentials() {
        let creds = decode(OK.as_bytes());
        let Ok(creds) = creds else { panic!("{creds:?}") };
        assert_eq!(creds.access_key_id, "STS.uri");
        assert_eq!(creds.access_key_secret.expose(), "uri-secret");
        assert_eq!(creds.security_token.as_ref().map(Secret::expose), Some("uri-token"));
        assert_eq!(
            creds.expiration.map(|t| t.to_string()).as_deref(),
            Some("2030-01-02T03:04:05Z")
        );
    }

    #[test]
    fn code_is_judged_before_the_fields() {
        assert_eq!(
            decode(br#"{"Code":"Failed","AccessKeyId":"x"}"#).err(),
            Some(UriFailure::Code(Some("Failed".into())))
        );
        assert_eq!(
            decode(
                br#"{"AccessKeyId":"x","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-02T03:04:05Z"}"#
            )
            .err(),
            Some(UriFailure::Code(None)),
            "no Code is not Success"
        );
        assert_eq!(
            decode(br#"{"Code":"success"}"#).err(),
            Some(UriFailure::Code(Some("success".into()))),
            "case-sensitive"
        );
    }

    #[test]
    fn every_credential_field_is_required() {
        let full: serde_json::Value = serde_json::from_str(OK).unwrap_or_default();
        for field in ["AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"] {
            let mut doc = full.clone();
            if let Some(map) = doc.as_object_mut() {
                map.remove(field);
            }
            let err = decode(doc.to_string().as_bytes()).err();
            assert_eq!(
                err,
                Some(UriFailure::InvalidBody(format!("{field} is missing"))),
                "{field}"
            );
        }
    }

    #[test]
    fn malformed_bodies_are_described_without_quoting_them() {
        for (body, expected) in [
            (&b"<html>oops</html>"[..], "not JSON"),
            (b"{\"Code\":\"Success\"", "truncated JSON"),
            (b"{\"Code\":\"Success\",\"AccessKeySecret\":123456789}", "string fields"),
            (b"[\"secret-in-an-array\"]", "not an object"),
            (b"\"secret-in-a-string\"", "not an object"),
        ] {
            let err = decode(body).err();
            let Some(UriFailure::InvalidBody(message)) = &err else {
                panic!("{err:?}")
            };
            assert!(message.contains(expected), "{message}");
            assert!(
                !message.contains("123456789") && !message.contains("secret-in"),
                "{message}"
            );
        }
        let err = decode(br#"{"Code":"Success","AccessKeyId":"a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"tomorrow"}"#).err();
        assert!(
            matches!(&err, Some(UriFailure::InvalidBody(m)) if m.contains("tomorrow")),
            "{err:?}"
        );
    }

    #[test]
    fn the_printed_uri_has_no_user_info_query_or_fragment() {
        let url = reqwest::Url::parse("http://user:pw@127.0.0.1:8080/creds/role?token=abc#frag");
        let Ok(url) = url else { panic!("{url:?}") };
        assert_eq!(printable(&url), "http://127.0.0.1:8080/creds/role");
    }
}
