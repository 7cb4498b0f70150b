//! The HTTP client: one connection pool, signing, timeouts, retries, response decoding.

mod endpoint;
mod retry;
mod sources;
mod wire;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;

pub use endpoint::{BaseUrl, Endpoints, Product, StsEndpoint};
pub use retry::RetryPolicy;
pub use sources::{Clock, NonceSource, SystemClock, UuidNonce};

use crate::api::{ApiRequest, Operation};
use crate::credentials::{Credentials, DefaultChain, Env, NoCredentials, ProvideCredentials};
use crate::error::{Error, RetryClass, ServiceError};
use crate::secret::REDACTED;
use wire::CallMeta;

/// Which signature the client sends for RPC APIs (ROA APIs are always signed with V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// RPC HMAC-SHA1 (`SignatureVersion=1.0`), the project's default.
    #[default]
    V1,
    /// `ACS3-HMAC-SHA256`, what the current official SDKs send.
    V3,
}

impl FromStr for SignatureVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v1" => Ok(Self::V1),
            "v3" => Ok(Self::V3),
            _ => Err(Error::Config(format!("signature version {s:?}: expected v1 or v3"))),
        }
    }
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "v1",
            Self::V3 => "v3",
        })
    }
}

/// The default region (`ALIBABA_CLOUD_REGION_ID` / `DLCAUTH_REGION` unset).
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// Everything the client needs besides credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Where each product lives.
    pub endpoints: Endpoints,
    /// How RPC calls are signed.
    pub signature_version: SignatureVersion,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Longest wait for response bytes. An attempt as a whole is bounded by
    /// `connect_timeout + read_timeout`.
    pub read_timeout: Duration,
    /// The region (regional endpoints, `RegionId` where an API wants one).
    pub region: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::aliyun(DEFAULT_REGION)
    }
}

impl ClientConfig {
    /// Public Alibaba Cloud endpoints of `region`, V1 signatures, default retries, and the
    /// credentials library's STS timeouts (5 s connect, 10 s read).
    pub fn aliyun(region: &str) -> Self {
        Self {
            endpoints: Endpoints::aliyun(region),
            signature_version: SignatureVersion::default(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            region: region.to_owned(),
        }
    }

    /// Every product at `base_url` (an emulator), otherwise as [`ClientConfig::aliyun`].
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed URL.
    pub fn single(base_url: &str) -> Result<Self, Error> {
        Ok(Self {
            endpoints: Endpoints::single(base_url)?,
            ..Self::default()
        })
    }

    /// Reads `DLCAUTH_ENDPOINT`, `DLCAUTH_SIGNATURE_VERSION`, the region (`DLCAUTH_REGION`, else
    /// `ALIBABA_CLOUD_REGION_ID`, else `cn-hangzhou`) and the STS endpoint selection of the
    /// credentials library (`ALIBABA_CLOUD_STS_REGION`, `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`).
    ///
    /// # Errors
    /// [`Error::Config`] for a bad endpoint, signature version or region.
    pub fn from_env(env: &Env) -> Result<Self, Error> {
        let region = env
            .get("DLCAUTH_REGION")
            .or_else(|| env.get("ALIBABA_CLOUD_REGION_ID"))
            .unwrap_or(DEFAULT_REGION)
            .trim()
            .to_owned();
        endpoint::validate_region(&region)?;
        let endpoints = match env.get("DLCAUTH_ENDPOINT") {
            Some(url) => Endpoints::single(url)?,
            None => {
                let endpoints = Endpoints::aliyun(region.clone());
                match env.get("ALIBABA_CLOUD_STS_REGION") {
                    Some(sts_region) if env.is_true("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED") => {
                        endpoints.with_sts(StsEndpoint::Vpc(sts_region.trim().to_owned()))
                    }
                    Some(sts_region) => endpoints.with_sts(StsEndpoint::Regional(sts_region.trim().to_owned())),
                    None => endpoints,
                }
            }
        };
        let signature_version = env
            .get("DLCAUTH_SIGNATURE_VERSION")
            .map(SignatureVersion::from_str)
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            endpoints,
            signature_version,
            region,
            ..Self::aliyun(DEFAULT_REGION)
        })
    }

    fn validate(&self) -> Result<(), Error> {
        endpoint::validate_region(&self.region)?;
        for product in [
            Product::Sts,
            Product::Ram,
            Product::ResourceManager,
            Product::AiWorkspace,
            Product::OssAdmin,
            Product::Nas,
        ] {
            self.endpoints.resolve(product)?;
        }
        if self.connect_timeout.is_zero() || self.read_timeout.is_zero() {
            return Err(Error::Config("timeouts must be positive".to_owned()));
        }
        Ok(())
    }
}

/// A decoded successful response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response<T> {
    /// The typed body.
    pub body: T,
    /// The `RequestId` Alibaba assigned to the call.
    pub request_id: String,
    /// HTTP attempts it took (1 = no retry).
    pub attempts: u32,
}

/// The Alibaba Cloud API client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    credentials: Arc<dyn ProvideCredentials>,
    clock: Arc<dyn Clock>,
    nonce: Arc<dyn NonceSource>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// What one HTTP exchange produced.
enum Exchange {
    Response {
        status: u16,
        headers: http::HeaderMap,
        body: Result<Bytes, String>,
    },
    Transport(String),
}

/// A failed attempt, before deciding whether to retry it.
struct Failure {
    class: RetryClass,
    server_delay: Option<Duration>,
    error: Error,
}

impl Client {
    /// A client with its own connection pool.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid configuration or when the TLS stack cannot start.
    pub fn new(config: ClientConfig, credentials: Arc<dyn ProvideCredentials>) -> Result<Self, Error> {
        config.validate()?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .pool_idle_timeout(Duration::from_secs(50))
            // A redirect is an answer to look at (STS throttling can come back as 302), never a
            // reason to resend signed material elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("dlcauth-acs/", env!("CARGO_PKG_VERSION")));
        if config.endpoints.is_single() {
            // The single endpoint is a local emulator; a system proxy must not intercept it.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {}", error_chain(&e))))?;
        Ok(Self {
            http,
            config: Arc::new(config),
            credentials,
            clock: Arc::new(SystemClock),
            nonce: Arc::new(UuidNonce),
        })
    }

    /// The configuration from `env` ([`ClientConfig::from_env`]) with the official default
    /// credential chain ([`DefaultChain`]).
    ///
    /// # Errors
    /// As [`ClientConfig::from_env`] and [`Client::new`].
    pub fn from_env(env: &Env) -> Result<Self, Error> {
        let base = Self::new(ClientConfig::from_env(env)?, Arc::new(NoCredentials))?;
        let chain = DefaultChain::new(env, &base)?;
        Ok(base.with_credentials(Arc::new(chain)))
    }

    /// The same client (same pool) with other credentials.
    #[must_use]
    pub fn with_credentials(&self, credentials: Arc<dyn ProvideCredentials>) -> Self {
        Self {
            credentials,
            ..self.clone()
        }
    }

    /// The same client (same pool) with other endpoints.
    ///
    /// # Errors
    /// [`Error::Config`] for invalid endpoints.
    pub fn with_endpoints(&self, endpoints: Endpoints) -> Result<Self, Error> {
        self.with_config(ClientConfig {
            endpoints,
            ..(*self.config).clone()
        })
    }

    /// The same client (same pool, same credentials) for another region: `config.region` and
    /// the regional hosts change; a single test endpoint, the STS endpoint selection
    /// (`ALIBABA_CLOUD_STS_REGION`, VPC) and per-product overrides are kept, because they were
    /// chosen for the caller's network, not for the target region.
    ///
    /// # Errors
    /// [`Error::Config`] when `region` is not a region id (it would end up in host names).
    pub fn with_region(&self, region: &str) -> Result<Self, Error> {
        self.with_config(ClientConfig {
            endpoints: self.config.endpoints.clone().with_region(region),
            region: region.to_owned(),
            ..(*self.config).clone()
        })
    }

    fn with_config(&self, config: ClientConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self {
            config: Arc::new(config),
            ..self.clone()
        })
    }

    /// The same client with another retry policy.
    #[must_use]
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        Self {
            config: Arc::new(ClientConfig {
                retry,
                ..(*self.config).clone()
            }),
            ..self.clone()
        }
    }

    /// The same client reading time from `clock` (tests pin timestamps and expiry with it).
    #[must_use]
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self.clone() }
    }

    /// The same client drawing nonces from `nonce`.
    #[must_use]
    pub fn with_nonce_source(&self, nonce: Arc<dyn NonceSource>) -> Self {
        Self { nonce, ..self.clone() }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The clock the client signs with.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// The credentials provider.
    pub fn credentials(&self) -> Arc<dyn ProvideCredentials> {
        Arc::clone(&self.credentials)
    }

    /// Sends `request`, retrying transient failures, and decodes the response.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before sending; [`Error::Credentials`]; [`Error::Service`] for an
    /// Alibaba error response, [`Error::Transport`] when no response came, [`Error::Decode`] for a
    /// successful status with an unusable body — each after the retries the policy allows.
    pub async fn call<R: ApiRequest>(&self, request: &R) -> Result<Response<R::Output>, Error> {
        let action = R::ACTION;
        let operation = request
            .operation()
            .map_err(|message| Error::InvalidInput { action, message })?;
        let base = self.config.endpoints.resolve(R::PRODUCT)?;
        let meta = CallMeta {
            version: R::VERSION,
            action,
        };
        let policy = self.config.retry;
        let max_attempts = policy.max_attempts.max(1);
        let attempt_timeout = self.config.connect_timeout.saturating_add(self.config.read_timeout);
        let mut fresh_nonce_retried = false;
        let mut attempt: u32 = 0;
        // Hand-written rather than `backon`: a failure may override the backoff with the server's
        // `x-acs-retry-after`, `SignatureNonceUsed` gets exactly one immediate retry of its own,
        // and every outcome (success or error) reports how many attempts it took.
        loop {
            attempt += 1;
            let credentials = if R::ANONYMOUS {
                None
            } else {
                Some(self.credentials.provide().await?)
            };
            let secrets = secrets_of(credentials.as_ref(), &operation);
            let prepared = wire::prepare(
                meta,
                &operation,
                &base,
                self.config.signature_version,
                credentials.as_ref(),
                self.clock.now(),
                &self.nonce.nonce(),
            );
            let failure = match self.exchange(prepared, attempt_timeout).await {
                Exchange::Transport(message) => {
                    let message = scrub(&message, &secrets);
                    tracing::debug!(action, host = base.host(), attempt, error = %message, "acs transport error");
                    Failure {
                        class: RetryClass::Retry,
                        server_delay: None,
                        error: Error::Transport {
                            action,
                            message,
                            attempts: attempt,
                        },
                    }
                }
                Exchange::Response { status, headers, body } => {
                    let header_request_id = header_str(&headers, "x-acs-request-id");
                    if (200..300).contains(&status) {
                        let result = decode::<R::Output>(action, status, header_request_id, &headers, body, attempt)
                            .map_err(|e| scrub_error(e, &secrets));
                        let request_id = match &result {
                            Ok(r) => Some(r.request_id.as_str()),
                            Err(e) => e.request_id(),
                        };
                        tracing::debug!(
                            action,
                            host = base.host(),
                            status,
                            attempt,
                            request_id = request_id.unwrap_or(""),
                            "acs response"
                        );
                        return result;
                    }
                    match body {
                        Err(message) => {
                            let message = scrub(&message, &secrets);
                            tracing::debug!(action, host = base.host(), status, attempt, error = %message, "acs error body unreadable");
                            Failure {
                                class: RetryClass::Retry,
                                server_delay: None,
                                error: Error::Transport {
                                    action,
                                    message: format!("HTTP {status}, body unreadable: {message}"),
                                    attempts: attempt,
                                },
                            }
                        }
                        Ok(bytes) => {
                            let error = service_error(status, &headers, &bytes, header_request_id, &secrets);
                            tracing::debug!(
                                action,
                                host = base.host(),
                                status,
                                attempt,
                                code = %error.code,
                                request_id = error.request_id.as_deref().unwrap_or(""),
                                "acs error response"
                            );
                            Failure {
                                class: error.retry_class(),
                                server_delay: header_str(&headers, "x-acs-retry-after")
                                    .and_then(|v| retry::parse_retry_after(&v)),
                                error: Error::Service {
                                    action,
                                    error,
                                    attempts: attempt,
                                },
                            }
                        }
                    }
                }
            };
            let delay = match failure.class {
                RetryClass::Retry if attempt < max_attempts => failure
                    .server_delay
                    .unwrap_or_else(|| policy.jittered_delay(attempt, fastrand::f64())),
                RetryClass::RetryWithFreshNonce if attempt < max_attempts && !fresh_nonce_retried => {
                    fresh_nonce_retried = true;
                    Duration::ZERO
                }
                _ => return Err(failure.error),
            };
            tracing::debug!(
                action,
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                code = failure.error.code().unwrap_or("transport"),
                "acs retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn exchange(&self, prepared: wire::Prepared, timeout: Duration) -> Exchange {
        let mut builder = self
            .http
            .request(prepared.method, &prepared.url)
            .timeout(timeout)
            .body(prepared.body);
        for (name, value) in prepared.headers {
            builder = builder.header(name, value);
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return Exchange::Transport(transport_message(e, self.config.read_timeout, timeout)),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = read_body(response, self.config.read_timeout, timeout).await;
        Exchange::Response { status, headers, body }
    }
}

/// The largest response body read. Every documented response is a few KiB; a broken or hostile
/// endpoint (a misconfigured `DLCAUTH_ENDPOINT`, a captive portal) must not make a call buffer
/// gigabytes.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

async fn read_body(mut response: reqwest::Response, read: Duration, timeout: Duration) -> Result<Bytes, String> {
    let too_large = || format!("the response is larger than {MAX_RESPONSE_BYTES} bytes");
    if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_message(e, read, timeout))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// A reqwest error as text, without the URL (whose query carries the signature and, in V1, the
/// SecurityToken) and with its causes, which say what actually happened (refused, reset, …).
///
/// Two limits can fire and reqwest does not say which: the read timeout (silence between
/// reads, usually the first) and the whole attempt's; the message names both rather than
/// claiming the attempt lasted its full limit.
fn transport_message(error: reqwest::Error, read: Duration, attempt: Duration) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        return timed_out(read, attempt);
    }
    error_chain(&error)
}

fn timed_out(read: Duration, attempt: Duration) -> String {
    format!(
        "timed out: no answer within the read timeout ({} ms) or the attempt's limit ({} ms)",
        read.as_millis(),
        attempt.as_millis()
    )
}

pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn header_str(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Values that must never be echoed back through an error: the caller's secret and token, and
/// secret request parameters (the OIDC token). Borrowed, so no unzeroised copy of a secret is
/// made on every attempt.
fn secrets_of<'a>(credentials: Option<&'a Credentials>, operation: &'a Operation) -> Vec<&'a str> {
    let mut secrets = Vec::new();
    if let Some(creds) = credentials {
        secrets.push(creds.access_key_secret.expose());
        if let Some(token) = &creds.security_token {
            secrets.push(token.expose());
        }
    }
    if let Operation::Rpc { params } = operation {
        secrets.extend(
            params
                .iter()
                .filter(|(k, _)| crate::api::SECRET_PARAMS.contains(k))
                .map(|(_, v)| v.as_str()),
        );
    }
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// Replaces every secret in `text` (raw, percent-encoded once, and twice as inside a V1
/// string-to-sign, which `SignatureDoesNotMatch` messages quote) with the redaction marker.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for &secret in secrets {
        let once = crate::sign::percent_encode(secret);
        let twice = crate::sign::percent_encode(&once);
        for form in [twice.as_str(), once.as_str(), secret] {
            if !form.is_empty() && out.contains(form) {
                out = out.replace(form, REDACTED);
            }
        }
    }
    out
}

fn scrub_error(error: Error, secrets: &[&str]) -> Error {
    match error {
        Error::Decode {
            action,
            http_status,
            request_id,
            message,
            attempts,
        } => Error::Decode {
            action,
            http_status,
            request_id,
            message: scrub(&message, secrets),
            attempts,
        },
        other => other,
    }
}

fn service_error(
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
    header_request_id: Option<String>,
    secrets: &[&str],
) -> ServiceError {
    let mut error = ServiceError::parse(status, body).unwrap_or_else(|| ServiceError {
        code: format!("Http{status}"),
        message: format!(
            "the error response is not an Alibaba error body ({} bytes of {})",
            body.len(),
            header_str(headers, "content-type").unwrap_or_else(|| "unknown content".to_owned())
        ),
        request_id: None,
        host_id: None,
        recommend: None,
        http_status: status,
    });
    if error.request_id.is_none() {
        error.request_id = header_request_id;
    }
    error.message = scrub(&error.message, secrets);
    error.recommend = error.recommend.map(|r| scrub(&r, secrets));
    error
}

fn decode<T: DeserializeOwned>(
    action: &'static str,
    status: u16,
    header_request_id: Option<String>,
    headers: &http::HeaderMap,
    body: Result<Bytes, String>,
    attempts: u32,
) -> Result<Response<T>, Error> {
    let fail = |request_id: Option<String>, message: String| Error::Decode {
        action,
        http_status: status,
        request_id,
        message,
        attempts,
    };
    let body = body.map_err(|e| fail(header_request_id.clone(), format!("the body could not be read: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        let trimmed = body.trim_ascii_start();
        let message = if trimmed.starts_with(b"<") {
            format!(
                "expected JSON, got markup ({})",
                header_str(headers, "content-type").unwrap_or_else(|| "no content-type".to_owned())
            )
        } else if e.is_eof() {
            format!("truncated JSON ({} bytes): {e}", body.len())
        } else {
            format!("malformed JSON: {e}")
        };
        fail(header_request_id.clone(), message)
    })?;
    let body_request_id = value.as_object().and_then(|object| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("RequestId"))
            .and_then(|(_, v)| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    });
    let request_id = body_request_id.or(header_request_id);
    if !value.is_object() {
        return Err(fail(request_id, "expected a JSON object".to_owned()));
    }
    let Some(found_request_id) = request_id.clone() else {
        return Err(fail(None, "missing RequestId".to_owned()));
    };
    let body = T::deserialize(value).map_err(|e| fail(request_id, e.to_string()))?;
    Ok(Response {
        body,
        request_id: found_request_id,
        attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ram;

    #[test]
    fn signature_version_parses_v1_and_v3_only() {
        assert_eq!("v1".parse::<SignatureVersion>().ok(), Some(SignatureVersion::V1));
        assert_eq!(" V3 ".parse::<SignatureVersion>().ok(), Some(SignatureVersion::V3));
        assert!(matches!("v2".parse::<SignatureVersion>(), Err(Error::Config(_))));
        assert_eq!(SignatureVersion::default(), SignatureVersion::V1);
    }

    #[test]
    fn config_from_env_reads_the_documented_variables() -> Result<(), Error> {
        let default = ClientConfig::from_env(&Env::default())?;
        assert_eq!(default, ClientConfig::aliyun("cn-hangzhou"));
        let env = Env::from_pairs([
            ("DLCAUTH_ENDPOINT", "http://127.0.0.1:9999"),
            ("DLCAUTH_SIGNATURE_VERSION", "v3"),
            ("ALIBABA_CLOUD_REGION_ID", "cn-beijing"),
        ]);
        let c = ClientConfig::from_env(&env)?;
        assert!(c.endpoints.is_single());
        assert_eq!(c.endpoints.resolve(Product::Ram)?.origin(), "http://127.0.0.1:9999");
        assert_eq!(c.signature_version, SignatureVersion::V3);
        assert_eq!(c.region, "cn-beijing");
        let env = Env::from_pairs([
            ("DLCAUTH_REGION", "cn-shanghai"),
            ("ALIBABA_CLOUD_REGION_ID", "cn-beijing"),
            ("ALIBABA_CLOUD_STS_REGION", "cn-shenzhen"),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
        ]);
        let c = ClientConfig::from_env(&env)?;
        assert_eq!(c.region, "cn-shanghai");
        assert_eq!(
            c.endpoints.resolve(Product::Sts)?.host(),
            "sts-vpc.cn-shenzhen.aliyuncs.com"
        );
        assert_eq!(
            c.endpoints.resolve(Product::AiWorkspace)?.host(),
            "aiworkspace.cn-shanghai.aliyuncs.com"
        );
        for (name, value) in [
            ("DLCAUTH_SIGNATURE_VERSION", "hmac"),
            ("DLCAUTH_ENDPOINT", "ftp://x"),
            ("DLCAUTH_REGION", "Evil.com"),
        ] {
            let bad = ClientConfig::from_env(&Env::from_pairs([(name, value)]));
            assert!(matches!(bad, Err(Error::Config(_))), "{name}={value}: {bad:?}");
        }
        Ok(())
    }

    #[test]
    fn with_region_moves_regional_hosts_and_keeps_the_sts_choice_and_credentials() -> Result<(), Error> {
        let env = Env::from_pairs([
            ("DLCAUTH_REGION", "cn-hangzhou"),
            ("ALIBABA_CLOUD_STS_REGION", "cn-shenzhen"),
            ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
        ]);
        let client = Client::new(ClientConfig::from_env(&env)?, Arc::new(NoCredentials))?;
        let moved = client.with_region("cn-beijing")?;
        let host = |c: &Client, p: Product| c.config().endpoints.resolve(p).map(|u| u.host().to_owned());
        assert_eq!(moved.config().region, "cn-beijing");
        assert_eq!(
            host(&moved, Product::AiWorkspace)?,
            "aiworkspace.cn-beijing.aliyuncs.com"
        );
        assert_eq!(host(&moved, Product::Nas)?, "nas.cn-beijing.aliyuncs.com");
        assert_eq!(host(&moved, Product::Sts)?, "sts-vpc.cn-shenzhen.aliyuncs.com");
        assert_eq!(host(&moved, Product::Ram)?, "ram.aliyuncs.com");
        assert!(Arc::ptr_eq(&moved.credentials(), &client.credentials()));
        assert_eq!(client.config().region, "cn-hangzhou", "the original is untouched");
        Ok(())
    }

    #[test]
    fn with_region_keeps_a_single_endpoint_and_refuses_invalid_regions() -> Result<(), Error> {
        let client = Client::new(ClientConfig::single("http://127.0.0.1:9")?, Arc::new(NoCredentials))?;
        let moved = client.with_region("ap-southeast-1")?;
        assert!(moved.config().endpoints.is_single());
        assert_eq!(moved.config().region, "ap-southeast-1");
        assert_eq!(
            moved.config().endpoints.resolve(Product::AiWorkspace)?.origin(),
            "http://127.0.0.1:9"
        );
        for bad in ["", "Evil.com/x", "cn hangzhou", "-cn"] {
            let refused = client.with_region(bad);
            assert!(matches!(refused, Err(Error::Config(_))), "{bad:?}: {refused:?}");
        }
        Ok(())
    }

    #[test]
    fn scrub_removes_raw_and_encoded_secrets() {
        let secrets = ["CAIS+test/Token==abc"];
        let text = "x CAIS+test/Token==abc y CAIS%2Btest%2FToken%3D%3Dabc z CAIS%252Btest%252FToken%253D%253Dabc";
        let out = scrub(text, &secrets);
        assert!(!out.contains("CAIS"), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 3);
    }

    fn headers() -> http::HeaderMap {
        http::HeaderMap::new()
    }

    fn decode_role(body: &str) -> Result<Response<ram::GetRoleResponse>, Error> {
        decode("GetRole", 200, None, &headers(), Ok(Bytes::from(body.to_owned())), 1)
    }

    #[test]
    fn decode_failures_name_the_action_and_request_id() {
        let cases = [
            (
                r#"{"RequestId":"R1","Role":{"RoleName":"x"}}"#,
                Some("R1"),
                "missing field",
            ),
            (
                r#"{"RequestId":"R2","Role":{"RoleId":"1","RoleName":"r","Arn":"a","AssumeRolePolicyDocument":"{}"#,
                None,
                "truncated",
            ),
            (r#"{"RequestId":"R3","Role":[}"#, None, "malformed"),
            ("<html><body>Bad gateway</body></html>", None, "markup"),
            (r#"["RequestId"]"#, None, "object"),
            (
                r#"{"Role":{"RoleId":"1","RoleName":"r","Arn":"a","AssumeRolePolicyDocument":"{}"}}"#,
                None,
                "RequestId",
            ),
            ("", None, "truncated"),
        ];
        for (body, request_id, fragment) in cases {
            match decode_role(body) {
                Err(Error::Decode {
                    action,
                    http_status,
                    request_id: got,
                    message,
                    attempts,
                }) => {
                    assert_eq!((action, http_status, attempts), ("GetRole", 200, 1));
                    assert_eq!(got.as_deref(), request_id, "{body}");
                    assert!(message.contains(fragment), "{body}: {message}");
                }
                other => panic!("{body}: expected a decode error, got {other:?}"),
            }
        }
        let mut h = headers();
        h.insert("x-acs-request-id", http::HeaderValue::from_static("HDR-1"));
        let from_header: Result<Response<ram::GetRoleResponse>, Error> = decode(
            "GetRole",
            200,
            Some("HDR-1".into()),
            &h,
            Ok(Bytes::from_static(b"{\"Role\":{}}")),
            3,
        );
        assert_eq!(from_header.as_ref().err().and_then(Error::request_id), Some("HDR-1"));
        assert_eq!(from_header.err().map(|e| e.attempts()), Some(3));
    }
}
