//! Alibaba Cloud API client for dlcauth: request signing (RPC V1 HMAC-SHA1 and ACS3-HMAC-SHA256),
//! credentials, transport with retries, and typed STS, RAM, ResourceManager, AIWorkspace and
//! service-activation calls.

pub mod secret;
pub mod sign;

pub use secret::Secret;
