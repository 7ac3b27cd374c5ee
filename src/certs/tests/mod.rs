//! The certificate operations, tested from inside the crate: minting, verification,
//! the store's files, rotation, and the test-only store that every render test uses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod identity;
mod rotation;
mod store;
mod test_store;
mod webhook;
