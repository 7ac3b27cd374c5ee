//! Process-wide memo tables for pure functions that are costly and meet the same inputs
//! on every render: signature checks, key loads, compiled patterns, the CRD objects. A
//! library caller, a benchmark or a fleet renders the same store and schemas many times.
//!
//! Each table is bounded: when it holds its capacity, it is emptied before the next
//! entry goes in. A long-lived process that renders ever new stores or namespaces
//! therefore keeps at most one table's capacity of each, and since every function
//! memoised here is pure, an emptied table changes no result, only the time to it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A table from inputs (or a digest of them) to a function's result, for a `static`.
pub(crate) struct Memo<K, V> {
    table: OnceLock<Mutex<HashMap<K, V>>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// An empty table that keeps at most `capacity` entries.
    pub(crate) const fn new(capacity: usize) -> Self {
        Self {
            table: OnceLock::new(),
            capacity,
        }
    }

    /// The result kept for `key`, or `make`'s, kept when it succeeds. The table is not
    /// locked while `make` runs, so two threads may both compute a missing entry; the
    /// function is pure, so either result is the same.
    pub(crate) fn get_or_try<E>(&self, key: K, make: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let table = self.table.get_or_init(Mutex::default);
        if let Some(known) = table.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(known.clone());
        }
        let made = make()?;
        let mut entries = table.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, made.clone());
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

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn a_full_table_is_emptied_and_results_stay_the_same() {
        static SQUARES: Memo<u32, u32> = Memo::new(3);
        let calls = std::cell::Cell::new(0);
        let square = |n: u32| {
            SQUARES.get_or(n, || {
                calls.set(calls.get() + 1);
                n * n
            })
        };
        assert_eq!((square(2), square(2)), (4, 4));
        assert_eq!(calls.get(), 1, "the second call is answered from the table");
        for n in 3..10 {
            assert_eq!(square(n), n * n);
        }
        let len = SQUARES.table.get().map(|t| t.lock().map(|e| e.len()).unwrap_or(0));
        assert!(len.is_some_and(|l| l <= 3), "{len:?} entries kept, at most 3");
    }
}
