//! Process-wide memo tables for pure functions that are costly and meet the same inputs
//! on every render: signature checks, key loads, compiled patterns, the CRD objects. A
//! library caller, a benchmark or a fleet renders the same store and schemas many times.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A table from inputs (or a digest of them) to a function's result, for a `static`.
pub(crate) struct Memo<K, V>(OnceLock<Mutex<HashMap<K, V>>>);

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub(crate) const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The result kept for `key`, or `make`'s, kept when it succeeds. The table is not
    /// locked while `make` runs, so two threads may both compute a missing entry; the
    /// function is pure, so either result is the same.
    pub(crate) fn get_or_try<E>(&self, key: K, make: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let table = self.0.get_or_init(Mutex::default);
        if let Some(known) = table.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(known.clone());
        }
        let made = make()?;
        table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, made.clone());
        Ok(made)
    }

    /// As [`Self::get_or_try`], for a function that cannot fail.
    pub(crate) fn get_or(&self, key: K, make: impl FnOnce() -> V) -> V {
        match self.get_or_try(key, || Ok::<V, std::convert::Infallible>(make())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}
