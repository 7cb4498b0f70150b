//! The two non-deterministic inputs of a signed request, behind traits so tests can pin them.

use std::fmt;

/// Where the client (and the credential caches) get the current time from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> jiff::Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// Where `SignatureNonce` / `x-acs-signature-nonce` values come from. Every call must return a
/// value never returned before (the gateway refuses a reused nonce with `SignatureNonceUsed`).
pub trait NonceSource: Send + Sync + fmt::Debug {
    /// A fresh nonce.
    fn nonce(&self) -> String;
}

/// Random UUID v4 nonces, as the official SDKs send.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidNonce;

impl NonceSource for UuidNonce {
    fn nonce(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}
