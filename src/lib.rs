//! dlcauth: onboards Alibaba Cloud accounts to PAI-DLC.
//!
//! A grant reconciles the account with the state the PAI-DLC authorization guide requires
//! (DESIGN §1): observe (all reads at once) → plan (a pure diff, in waves of independent actions)
//! → apply (each wave concurrently; idempotent; safe to run concurrently with itself) → verify
//! (from this run's reads and acknowledged writes, or with [`EngineConfig::read_back`] from a read
//! after the last write) → a [`GrantReport`] (DESIGN §4.5).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use acs::credentials::Env;
//! use dlcauth::{Engine, EngineConfig, GrantRequest, Trigger};
//!
//! let env = Env::from_process();
//! let engine = Engine::new(acs::Client::from_env(&env)?, EngineConfig::from_env(&env)?);
//! let request = GrantRequest::for_account("1234567890123456");
//! let report = engine.grant(&request, Trigger::Cli, "request-1").await;
//! println!("{}", report.to_text());
//! # Ok(()) }
//! ```
//!
//! Pure parts (no I/O, tested exhaustively): [`request`], [`desired`], [`policy_doc`], [`plan`],
//! [`verify`], [`report`], [`waves`], [`role_arn`]. I/O: [`observe`], [`apply`], [`engine`],
//! [`rollout`]. The CLI's arguments: [`cli`].

pub mod apply;
pub mod cli;
pub mod desired;
pub mod engine;
pub mod observe;
pub mod observed;
pub mod plan;
pub mod policy_doc;
pub mod report;
pub mod request;
pub mod role_arn;
pub mod rollout;
pub mod verify;
pub mod waves;

pub use desired::{Desired, PolicyRef, PolicyType};
pub use engine::{ConfigError, Engine, EngineConfig};
pub use plan::{Action, Plan, plan};
pub use report::{GrantReport, Outcome, Status, Step, Trigger};
pub use request::{GrantRequest, RequestError, UserGrant};
pub use verify::Mode;
