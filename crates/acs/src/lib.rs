//! Alibaba Cloud API client for dlcauth: request signing (RPC V1 HMAC-SHA1 and ACS3-HMAC-SHA256),
//! credentials, transport with retries, and typed STS, RAM, ResourceManager, AIWorkspace and
//! service-activation calls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), acs::Error> {
//! use acs::api::ram;
//! let client = acs::Client::from_env(&acs::credentials::Env::from_process())?;
//! let role = client.call(&ram::GetRole { role_name: "AliyunPAIDLCDefaultRole".into() }).await?;
//! println!("{}", role.body.role.assume_role_policy_document);
//! # Ok(()) }
//! ```

// `Error::Service` carries the Alibaba error body inline, as the crate contract specifies, which
// makes `Error` larger than clippy's 128-byte threshold. Every function returning it has just done
// (or is about to do) a network round trip, so the copy is immaterial; boxing would only cost an
// allocation and an awkward API.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod client;
pub mod credentials;
pub mod error;
pub mod secret;
pub mod sign;

pub use api::ApiRequest;
pub use client::{Client, ClientConfig, Endpoints, Response, RetryPolicy, SignatureVersion};
pub use credentials::{Credentials, CredentialsError, ProvideCredentials};
pub use error::{Error, ServiceError};
pub use secret::Secret;
