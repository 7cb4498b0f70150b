//! The grant engine against the real emulator over real HTTP (loopback): fresh accounts, drift,
//! concurrency, faults, the operator policy, and the latency budget in dependent waves.
// Test code: a broken fixture must fail the test loudly (house rule: expect is fine in tests).
#![allow(clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod assume_role;
mod concurrency;
mod drift;
mod faults;
mod fresh;
mod latency;
mod operator_policy;
mod read_back;
mod rollout;
mod settle;
