//! A string that never prints.
//!
//! Written by hand rather than taken from `secrecy` because we need `Clone`, serde support and a fixed,
//! testable redaction text on both `Debug` and `Display`, which `secrecy::SecretString` only offers
//! partially; the memory is still wiped on drop through `zeroize`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// What every secret prints as, in `Debug` and `Display` alike.
pub const REDACTED: &str = "** redacted **";

/// An AccessKeySecret, SecurityToken, HMAC key or any other value that must never reach a log,
/// an error message or a report.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The value itself. Call this only where the secret is used (signing, sending), never to print it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// Serialises the real value: only for places that must hand the secret on (the emulator's state
/// file, an STS response body). Reports and logs never serialise a `Secret`.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

/// Compares in constant time, so a verifier comparing secrets or signatures leaks no timing.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.expose().as_bytes().ct_eq(other.expose().as_bytes()).into()
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{:?}", Some(secret.clone())), format!("Some({REDACTED})"));
        assert_eq!(secret.expose(), "wJalrXUtnFEMI/K7MDENG");
    }

    #[test]
    fn deserialises_from_a_plain_string() -> Result<(), serde_json::Error> {
        let secret: Secret = serde_json::from_str("\"abc\"")?;
        assert_eq!(secret.expose(), "abc");
        assert_eq!(secret, Secret::new("abc"));
        assert_ne!(secret, Secret::new("abd"));
        Ok(())
    }
}
