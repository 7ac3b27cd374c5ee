//! meshgen's integration tests, one binary with a module per area: each test binary
//! links meshgen and all its dependencies again, so one binary instead of twenty-one is
//! most of the test build (the layout rust-analyzer and cargo use).
//!
//! The data-driven cases stay beside this folder: `tests/inputs/*`, `tests/configs/*`
//! and `tests/fixtures/*`, with their snapshots in the checkout's `snapshots/`.

mod apply_order;
mod architecture;
mod cert_manager;
mod certs_fleet;
mod common;
mod dgraph_profile;
mod fleet;
mod gitops;
mod impact;
mod linkerd;
mod multicluster;
mod profile;
mod reach;
mod render;
mod rollout;
mod snapshots;
mod tracing;
mod values_errors;
mod values_schema;
mod values_syntax;
mod viz;
