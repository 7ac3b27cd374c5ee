//! The test-only certificate store in `tests/fixtures/store/`, which every test that
//! renders uses instead of the repository's `certs/`: a user who mints their own
//! certificates must still get green tests.
//!
//! Its keys are committed (they are worthless: test-only, never deployed) so that the
//! certificates can be minted again byte for byte. This test does exactly that and fails
//! if any committed file differs. Every certificate is valid from 2026-01-01 for 100
//! years, so tests that run the command line against the real clock keep passing.
//!
//! To mint the store again with fresh keys (only needed if its layout changes):
//! `MESHGEN_MINT_TEST_STORE=1 cargo test --test test_store`, then commit the files.

use crate::test_support as common;

use crate::certs::store::{CA_CRT, CA_KEY, ISSUER_CRT, ISSUER_KEY};
use crate::certs::{
    mint_identity, mint_webhook, webhook_file, CertStore, IdentityParams, KeyPair, MintError, Role, StoreSettings,
    Validity,
};
use crate::Utf8Path;

fn validity() -> Validity {
    Validity::starting_at(common::start(), time::Duration::days(36_524)).expect("a 100-year window")
}

/// Mints the whole store with keys from `keys` (called with each key file's name).
fn mint(keys: &mut dyn FnMut(&str) -> Result<KeyPair, MintError>) -> CertStore {
    let settings = StoreSettings::default();
    let mut store = CertStore::empty(Utf8Path::new(common::TEST_STORE));
    let params = IdentityParams::new(validity(), validity());
    let (anchor_key, issuer_key) = (keys(CA_KEY).expect("anchor key"), keys(ISSUER_KEY).expect("issuer key"));
    let id = mint_identity(&params, &anchor_key, &issuer_key).expect("identity mints");
    store.set_cert(CA_CRT, id.trust_anchor.as_str(), Some(validity()));
    store.set_key(CA_KEY, &id.trust_anchor_key);
    store.set_cert(ISSUER_CRT, id.issuer.as_str(), Some(validity()));
    store.set_key(ISSUER_KEY, &id.issuer_key);
    for (service, namespace) in settings.webhooks() {
        let (ca_file, key_file) = (webhook_file(service, "-ca.key"), webhook_file(service, ".key"));
        let (ca_key, key) = (
            keys(&ca_file).expect("webhook CA key"),
            keys(&key_file).expect("webhook key"),
        );
        let dns = crate::certs::webhook_dns_name(service, namespace);
        let minted = mint_webhook(&dns, &validity(), &ca_key, &key).expect("webhook mints");
        store.set_cert(&webhook_file(service, "-ca.crt"), minted.ca.as_str(), Some(validity()));
        store.set_key(&ca_file, &ca_key.to_pkcs8_pem().expect("pkcs8"));
        store.set_cert(&webhook_file(service, ".crt"), minted.cert.as_str(), Some(validity()));
        store.set_key(&key_file, &minted.key);
    }
    store.set_settings(settings);
    store
}

#[test]
fn the_test_store_is_exactly_what_its_keys_and_dates_mint() {
    if std::env::var_os("MESHGEN_MINT_TEST_STORE").is_some() {
        let _ = std::fs::remove_dir_all(common::TEST_STORE);
        mint(&mut |_| KeyPair::generate())
            .write()
            .expect("write the test store");
    }
    let committed = common::test_certs();
    let again = mint(&mut |file| Ok(committed.key_pair(file, Role::Key).expect("committed key")));
    let files: Vec<&str> = committed.files().collect();
    assert_eq!(files, again.files().collect::<Vec<_>>(), "the store's files");
    for file in files {
        assert_eq!(committed.get(file), again.get(file), "{file} is not what its key mints");
    }
    assert_eq!(committed.record(), again.record(), "validity.yaml");
    let report = committed.check(common::now());
    assert!(report.is_ok() && report.keys_absent.is_empty(), "{report:?}");
}
