//! Helpers shared by the integration tests and, through `#[path]` in src/lib.rs, the
//! unit tests (as `crate::test_support`): a fixed clock, freshly minted stores, the
//! test-only certificate store, renders of the defaults plus an overlay, and YAML read
//! by serde-saphyr (not by meshgen's own reader). Written against meshgen's public API
//! only, so that the one file compiles in both places.
#![allow(dead_code, clippy::unwrap_used)]

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::certs::{parse_rfc3339, CertStore, KeyPair, MintError, StoreSettings};
use time::{Duration, OffsetDateTime};

/// When the test certificates start to be valid.
pub(crate) fn start() -> OffsetDateTime {
    parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
}

/// A month into their validity.
pub(crate) fn now() -> OffsetDateTime {
    start() + Duration::days(30)
}

/// A temporary directory and the `certs` folder inside it (not created).
pub(crate) fn tempdir() -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8PathBuf::from_path_buf(tmp.path().join("certs")).unwrap();
    (tmp, dir)
}

/// A key source that generates every key afresh.
pub(crate) fn fresh(_: &str) -> Result<KeyPair, MintError> {
    KeyPair::generate()
}

/// Mints a complete store in `dir` and writes it; files are named `certs/...` in messages.
pub(crate) fn init(dir: &Utf8Path) -> CertStore {
    let mut store = CertStore::load(dir).unwrap().shown_as("certs");
    store
        .init(StoreSettings::default(), start(), false, &mut fresh)
        .unwrap();
    store.write().unwrap();
    store
}

/// The test-only certificate store (keys included); see tests/test_store.rs.
pub(crate) const TEST_STORE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store");

/// The test-only store, loaded. Every render in a test uses it, never `certs/`.
pub(crate) fn test_certs() -> CertStore {
    CertStore::load(Utf8Path::new(TEST_STORE))
        .unwrap()
        .shown_as("tests/fixtures/store")
}

/// The test-only store re-minted, from its own keys and dates, for another control-plane
/// namespace, trust domain or viz namespace: a render refuses values that disagree with
/// the names the certificates carry.
pub(crate) fn test_certs_for(linkerd_namespace: &str, trust_domain: &str, viz_namespace: &str) -> CertStore {
    let keys = test_certs();
    let mut store = test_certs();
    let settings = StoreSettings::new(trust_domain, linkerd_namespace, viz_namespace).unwrap();
    let mut source = |file: &str| Ok(keys.key_pair(file, meshgen::certs::Role::Issuer).unwrap());
    store.init(settings, start(), true, &mut source).unwrap();
    store
}

/// A renderer over the default values and the test-only store.
pub(crate) fn renderer() -> meshgen::Renderer {
    meshgen::Renderer::new().certs(test_certs())
}

/// The defaults plus `overlay` (named `test-overlay.yaml`), rendered with the test store.
pub(crate) fn output(overlay: &str) -> meshgen::Output {
    renderer()
        .values_text("test-overlay.yaml", overlay)
        .render(now())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The default values with `overlay` merged on top.
pub(crate) fn values(overlay: &str) -> meshgen::Values {
    meshgen::Values::with_overlays(&[meshgen::ValuesSource::new("test-overlay.yaml", overlay)])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// One YAML document, read by serde-saphyr.
pub(crate) fn parse(text: &str) -> Result<serde_json::Value, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

/// A stream of YAML documents, read by serde-saphyr; empty documents are dropped.
pub(crate) fn parse_stream(text: &str) -> Result<Vec<serde_json::Value>, String> {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}
