//! The command-line tests of `cargo xtask`, one binary with a module per area: each
//! test binary links meshgen and all its dependencies again.

mod cli;
mod day2;
mod hardening;
mod profile;
mod reach_cli;
