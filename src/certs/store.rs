//! A certificate directory (`certs/` by default) and its layout:
//!
//! | file | what | in git |
//! | --- | --- | --- |
//! | `ca.crt` | trust anchor(s): the one `ca.key` belongs to signs issuers | yes |
//! | `ca-bundle.crt` | only during an anchor rotation: old + new anchors | yes |
//! | `issuer.crt` | identity issuer | yes |
//! | `webhooks/<service>.crt`, `webhooks/<service>-ca.crt` | webhook serving cert and its CA | yes |
//! | `validity.yaml` | names and validity windows used to mint ([`ValidityRecord`]) | yes |
//! | `*.key`, `webhooks/*.key` | PKCS#8 private keys, mode 0600 | **no** (gitignored) |
//!
//! [`CertStore`] holds the files in memory: load, change through its methods, then
//! [`CertStore::write`]. Nothing here reads the clock or prints.

mod io;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};

use super::keys::KeyPem;
use super::record::ValidityRecord;
use super::{CertError, KeyPair, MintError, PemSource, Role, StoreSettings, Validity};

/// Trust anchor(s); the anchor `ca.key` belongs to signs issuers.
pub(crate) const CA_CRT: &str = "ca.crt";
/// Private key of the trust anchor (gitignored).
pub(crate) const CA_KEY: &str = "ca.key";
/// Old and new trust anchors while an anchor rotation is under way.
pub(crate) const CA_BUNDLE: &str = "ca-bundle.crt";
/// The identity issuer certificate.
pub(crate) const ISSUER_CRT: &str = "issuer.crt";
/// The identity issuer's private key (gitignored).
pub(crate) const ISSUER_KEY: &str = "issuer.key";
/// The record of names and validity windows.
pub(crate) const VALIDITY_FILE: &str = "validity.yaml";
/// Subdirectory holding the webhook certificates.
pub(crate) const WEBHOOKS_DIR: &str = "webhooks";

/// Why a store could not be read, changed or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A certificate or key is missing, unreadable or fails verification.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// Minting failed.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// A filesystem operation failed.
    #[error("{path}: {action}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What was being done.
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// `validity.yaml` does not parse.
    #[error("{file}: {message}\n  help: fix the file, or re-mint with `cargo xtask certs init --force`")]
    Record {
        /// The file concerned, named as given.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The command would replace certificates that exist.
    #[error("{dir}: already holds {}; pass --force to replace them", summary(.files))]
    Exists {
        /// The certificate directory.
        dir: String,
        /// The certificates it already holds.
        files: Vec<String>,
    },
    /// The command does not fit the state of the directory (e.g. an anchor rotation step out of order).
    #[error("{file}: {message}")]
    State {
        /// The file concerned, named as given.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// `a`, `a and b`, `a, b and 10 more`.
fn summary(files: &[String]) -> String {
    match files {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more certificate(s)", rest.len()),
    }
}

/// One file written or removed by [`CertStore::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// Written (created or replaced); the label of the file.
    Wrote(String),
    /// Removed; the label of the file.
    Removed(String),
}

impl fmt::Display for StoreChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreChange::Wrote(file) => write!(f, "wrote {file}"),
            StoreChange::Removed(file) => write!(f, "removed {file}"),
        }
    }
}

#[derive(Debug, Clone)]
enum Text {
    Public(String),
    Private(KeyPem),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Public(s) => s,
            Text::Private(k) => k.as_str(),
        }
    }
}

#[derive(Debug, Clone)]
struct Stored {
    label: String,
    text: Text,
}

/// The certificates, keys and record of one directory; see the [module docs](crate::certs).
#[derive(Debug, Clone)]
pub struct CertStore {
    dir: Utf8PathBuf,
    shown: Utf8PathBuf,
    files: BTreeMap<String, Stored>,
    dirty: BTreeSet<String>,
    removed: BTreeSet<String>,
    record: ValidityRecord,
    record_dirty: bool,
}

/// Whether `file` (a path in the store) holds a private key.
pub(crate) fn is_key(file: &str) -> bool {
    file.ends_with(".key")
}

impl CertStore {
    /// An empty store for `dir` (nothing is read).
    #[must_use]
    pub fn empty(dir: &Utf8Path) -> Self {
        Self {
            dir: dir.to_owned(),
            shown: dir.to_owned(),
            files: BTreeMap::new(),
            dirty: BTreeSet::new(),
            removed: BTreeSet::new(),
            record: ValidityRecord::default(),
            record_dirty: false,
        }
    }

    /// Names files in messages as `shown/<file>` instead of `dir/<file>` (e.g. `certs`
    /// when `dir` is an absolute path into the repository).
    #[must_use]
    pub fn shown_as(mut self, shown: impl Into<Utf8PathBuf>) -> Self {
        self.shown = shown.into();
        let files = std::mem::take(&mut self.files);
        for (file, stored) in files {
            self.insert(&file, stored.text.as_str().to_owned());
        }
        self
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }

    /// How `file` (a path in the store, e.g. `issuer.crt`) is named in messages.
    #[must_use]
    pub fn label(&self, file: &str) -> String {
        self.shown.join(file).into_string()
    }

    /// The text of `file`, when present.
    #[must_use]
    pub fn get(&self, file: &str) -> Option<&str> {
        self.files.get(file).map(|s| s.text.as_str())
    }

    /// `file` as a labelled PEM source, when present.
    #[must_use]
    pub fn source(&self, file: &str) -> Option<PemSource<'_>> {
        self.files.get(file).map(|s| PemSource::new(&s.label, s.text.as_str()))
    }

    /// `file` as a PEM source, or [`CertError::MissingFile`].
    ///
    /// # Errors
    /// [`CertError::MissingFile`] when the store has no `file`.
    pub fn require(&self, file: &str, role: Role) -> Result<PemSource<'_>, CertError> {
        self.source(file).ok_or_else(|| CertError::MissingFile {
            file: self.label(file),
            role,
        })
    }

    /// The paths of all files present, sorted (`validity.yaml` is not among them).
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The trust anchors to deploy (`identityTrustAnchorsPEM`): `ca-bundle.crt` during an
    /// anchor rotation, else `ca.crt`.
    #[must_use]
    pub fn trust_anchors(&self) -> Option<PemSource<'_>> {
        self.source(CA_BUNDLE).or_else(|| self.source(CA_CRT))
    }

    /// Loads the private key in `file`.
    ///
    /// # Errors
    /// [`CertError::MissingFile`] when absent; others when it is not a P-256 key.
    pub fn key_pair(&self, file: &str, role: Role) -> Result<KeyPair, CertError> {
        KeyPair::from_pem(self.require(file, role)?, role)
    }

    /// The record written to `validity.yaml`.
    #[must_use]
    pub fn record(&self) -> &ValidityRecord {
        &self.record
    }

    /// The names certificates are minted for (from `validity.yaml`; defaults without it).
    #[must_use]
    pub fn settings(&self) -> &StoreSettings {
        &self.record.settings
    }

    /// Services with a file in `webhooks/`, sorted: `webhooks/tap-ca.crt` → `tap`.
    #[must_use]
    pub fn webhook_services(&self) -> Vec<String> {
        let services: BTreeSet<String> = self
            .files
            .keys()
            .filter_map(|f| f.strip_prefix(WEBHOOKS_DIR)?.strip_prefix('/'))
            .filter_map(|f| f.strip_suffix(".crt").or_else(|| f.strip_suffix(".key")))
            .map(|f| f.strip_suffix("-ca").unwrap_or(f).to_owned())
            .collect();
        services.into_iter().collect()
    }

    /// Sets a certificate file, recording `validity` for it (`None`: imported, no record).
    pub fn set_cert(&mut self, file: &str, pem: &str, validity: Option<Validity>) {
        self.set(file, pem.to_owned());
        let changed = match validity {
            Some(v) => self.record.windows.insert(file.to_owned(), v) != Some(v),
            None => self.record.windows.remove(file).is_some(),
        };
        self.record_dirty |= changed;
    }

    /// Sets a private key file (written with mode 0600).
    pub fn set_key(&mut self, file: &str, key: &KeyPem) {
        self.set(file, key.as_str().to_owned());
    }

    /// Replaces the settings recorded in `validity.yaml`.
    pub fn set_settings(&mut self, settings: StoreSettings) {
        self.record_dirty |= self.record.settings != settings;
        self.record.settings = settings;
    }

    /// Removes `file` (and its record entry) when present.
    pub fn remove(&mut self, file: &str) {
        if self.files.remove(file).is_some() {
            self.dirty.remove(file);
            self.removed.insert(file.to_owned());
        }
        self.record_dirty |= self.record.windows.remove(file).is_some();
    }

    pub(crate) fn set(&mut self, file: &str, text: String) {
        if self.get(file) == Some(text.as_str()) {
            return;
        }
        self.insert(file, text);
        self.removed.remove(file);
        self.dirty.insert(file.to_owned());
    }

    fn insert(&mut self, file: &str, text: String) {
        let text = if is_key(file) {
            Text::Private(KeyPem::from_text(text))
        } else {
            Text::Public(text)
        };
        let label = self.label(file);
        self.files.insert(file.to_owned(), Stored { label, text });
    }
}
