//! Errors: the crate's own [`Error`] (startup, seed, state file) and [`ApiError`], an error the
//! emulator answers on the wire with the gateway's codes, messages and HTTP statuses
//! (`shared/reference/alibaba-apis.md` §6 and the public error-code lists).

use std::borrow::Cow;
use std::path::PathBuf;

/// Why the emulator could not start or load its state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The seed file could not be read.
    #[error("reading the seed {path}: {source}")]
    ReadSeed {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The seed is not valid JSON of the seed format.
    #[error("parsing the seed {path}: {source}")]
    ParseSeed {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The seed is well-formed but inconsistent (unknown principal, malformed policy, …).
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
    /// The state file exists but could not be read or parsed.
    #[error("loading the state file {path}: {message}")]
    LoadState {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The state file could not be written (at start-up, the first write).
    #[error("writing the state file {path}: {message}")]
    WriteState {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An I/O failure while starting the server.
    #[error("starting the emulator: {0}")]
    Io(#[from] std::io::Error),
}

/// An error response: HTTP status, `Code` and `Message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The `Code` field.
    pub code: Cow<'static, str>,
    /// The `Message` field.
    pub message: String,
}

impl ApiError {
    /// Any error.
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// A required parameter is absent: `Missing<Name>`, "<Name> is mandatory for this action."
    pub fn missing(name: &str) -> Self {
        Self::new(
            400,
            format!("Missing{name}"),
            format!("{name} is mandatory for this action."),
        )
    }

    /// `InvalidParameter.<Name>.<Detail>`-style errors of RAM.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// `InvalidParameter.<Name>`: a present value RAM does not accept.
    pub fn invalid_value(name: &str) -> Self {
        Self::new(
            400,
            format!("InvalidParameter.{name}"),
            format!("The parameter - \"{name}\" is incorrect."),
        )
    }

    /// `InvalidParameter.<Name>.Length`: a value longer than RAM allows.
    pub fn too_long(name: &str) -> Self {
        Self::new(
            400,
            format!("InvalidParameter.{name}.Length"),
            format!("The parameter - \"{name}\" beyond the length limit."),
        )
    }

    /// `InvalidParameter` with a message.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidParameter", message)
    }

    /// 403 `NoPermission` with RAM's message.
    pub fn no_permission() -> Self {
        Self::new(
            403,
            "NoPermission",
            "You are not authorized to do this action. You should be authorized by RAM.",
        )
    }

    /// 404 `EntityNotExist.<what>`.
    pub fn not_exist(code: &'static str, message: &'static str) -> Self {
        Self::new(404, code, message)
    }

    /// 409 `EntityAlreadyExists.<what>`, `LimitExceeded.*`, `DeleteConflict.*`.
    pub fn conflict(code: &'static str, message: &'static str) -> Self {
        Self::new(409, code, message)
    }

    /// 400 `MalformedPolicyDocument` with the reason.
    pub fn malformed_policy(reason: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "MalformedPolicyDocument",
            format!("The policy document is malformed: {reason}"),
        )
    }

    /// 404 `InvalidAction.NotFound`.
    pub fn action_not_found() -> Self {
        Self::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    }

    /// 500 `InternalError`.
    pub fn internal() -> Self {
        Self::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }
}

pub(crate) fn role_not_exist() -> ApiError {
    ApiError::not_exist("EntityNotExist.Role", "The role does not exist.")
}

pub(crate) fn user_not_exist() -> ApiError {
    ApiError::not_exist("EntityNotExist.User", "The user does not exist.")
}

pub(crate) fn policy_not_exist() -> ApiError {
    ApiError::not_exist("EntityNotExist.Policy", "The policy does not exist.")
}

pub(crate) fn version_not_exist() -> ApiError {
    ApiError::not_exist("EntityNotExist.Policy.Version", "The policy version does not exist.")
}
