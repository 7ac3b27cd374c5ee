//! Reading and writing a [`CertStore`]'s directory.

use std::fs;
use std::io::Write as _;

use camino::Utf8Path;

use super::{is_key, StoreChange, StoreError, VALIDITY_FILE, WEBHOOKS_DIR};
use crate::certs::{CertStore, ValidityRecord};

impl CertStore {
    /// Reads `dir`. A directory that does not exist gives an empty store. Files other
    /// than `*.crt`, `*.key` and `validity.yaml` (top level and `webhooks/`) and hidden
    /// files are ignored.
    ///
    /// # Errors
    /// [`StoreError::Io`] when a file cannot be read, [`StoreError::Record`] when
    /// `validity.yaml` does not parse.
    pub fn load(dir: &Utf8Path) -> Result<Self, StoreError> {
        let mut store = Self::empty(dir);
        for sub in ["", WEBHOOKS_DIR] {
            let path = if sub.is_empty() { dir.to_owned() } else { dir.join(sub) };
            let entries = match fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&path, "cannot list directory", e)),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| io_err(&path, "cannot list directory", e))?;
                if let Some(name) = entry.file_name().to_str() {
                    names.push(name.to_owned());
                }
            }
            for name in names {
                let file = if sub.is_empty() {
                    name.clone()
                } else {
                    format!("{sub}/{name}")
                };
                let wanted = name.ends_with(".crt") || is_key(&name) || file == VALIDITY_FILE;
                if name.starts_with('.') || !wanted {
                    continue;
                }
                let full = dir.join(&file);
                if !full.is_file() {
                    continue;
                }
                let text = fs::read_to_string(&full).map_err(|e| io_err(&full, "cannot read", e))?;
                if file == VALIDITY_FILE {
                    store.record = ValidityRecord::parse(&text).map_err(|message| StoreError::Record {
                        file: store.label(VALIDITY_FILE),
                        message,
                    })?;
                } else {
                    store.insert(&file, text);
                }
            }
        }
        Ok(store)
    }

    /// Writes what changed since loading: each file replaced atomically (keys created
    /// with mode 0600 before any byte is written), removed files deleted, then
    /// `validity.yaml`. Returns what was done, in that order.
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the path that failed; files before it are written.
    pub fn write(&mut self) -> Result<Vec<StoreChange>, StoreError> {
        let mut changes = Vec::new();
        for file in std::mem::take(&mut self.dirty) {
            if let Some(stored) = self.files.get(&file) {
                write_atomic(&self.dir.join(&file), stored.text.as_str(), is_key(&file))?;
                changes.push(StoreChange::Wrote(stored.label.clone()));
            }
        }
        for file in std::mem::take(&mut self.removed) {
            let path = self.dir.join(&file);
            match fs::remove_file(&path) {
                Ok(()) => changes.push(StoreChange::Removed(self.label(&file))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path, "cannot remove", e)),
            }
        }
        if self.record_dirty {
            write_atomic(&self.dir.join(VALIDITY_FILE), &self.record.render(), false)?;
            changes.push(StoreChange::Wrote(self.label(VALIDITY_FILE)));
            self.record_dirty = false;
        }
        Ok(changes)
    }
}

pub(super) fn io_err(path: &Utf8Path, action: &'static str, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_string(),
        action,
        source,
    }
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
fn write_atomic(path: &Utf8Path, text: &str, private: bool) -> Result<(), StoreError> {
    let parent = path.parent().unwrap_or(Utf8Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_err(parent, "cannot create directory", e))?;
    // `.tmp.<name>`: hidden, skipped by `load`, and still ending in `.key` for a key, so
    // that a leftover from a crash stays gitignored.
    let tmp = parent.join(format!(".tmp.{}", path.file_name().unwrap_or("file")));
    let _ = fs::remove_file(&tmp);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let result = options
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&tmp, "cannot write", e));
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err(path, "cannot replace", e)
    })
}
