//! Issuer rotation, Linkerd's three-step trust-anchor rotation, and importing an identity.

use crate::test_support as common;
use common::{fresh, init, now, tempdir};
use std::fs;

use crate::certs::store::{CA_BUNDLE, CA_CRT, CA_KEY, ISSUER_CRT, ISSUER_KEY};
use crate::certs::{
    verify_identity, AnchorRotation, CertError, CertStore, KeyPair, PemSource, Role, StoreChange, StoreError,
    StoreSettings, Warning,
};
use camino::Utf8Path;

const ISSUER_CN: &str = "identity.linkerd.cluster.local";

fn read(dir: &Utf8Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap()
}

/// Verifies `issuer` + `issuer.key` of `store` against `anchors`.
fn verifies_under(store: &CertStore, anchors: &str) -> bool {
    verify_identity(
        PemSource::new("anchors", anchors),
        store.source(ISSUER_CRT).unwrap(),
        store.source(ISSUER_KEY).unwrap(),
        ISSUER_CN,
        now(),
    )
    .is_ok()
}

#[test]
fn rotate_issuer_keeps_the_anchor_and_records_the_new_window() {
    let (_tmp, dir) = tempdir();
    let mut store = init(&dir);
    let (anchor, issuer, key) = (read(&dir, CA_CRT), read(&dir, ISSUER_CRT), read(&dir, ISSUER_KEY));
    store.rotate_issuer(now(), &mut fresh).unwrap();
    let changes = store.write().unwrap();
    assert_eq!(
        changes,
        ["certs/issuer.crt", "certs/issuer.key", "certs/validity.yaml"].map(|f| StoreChange::Wrote(f.to_owned()))
    );
    assert_eq!(read(&dir, CA_CRT), anchor);
    assert_ne!(read(&dir, ISSUER_CRT), issuer);
    assert_ne!(read(&dir, ISSUER_KEY), key);
    let loaded = CertStore::load(&dir).unwrap();
    assert_eq!(loaded.record().windows[ISSUER_CRT].not_before(), now());
    assert!(loaded.check(now()).is_ok(), "{:?}", loaded.check(now()));
}

#[test]
fn anchor_rotation_follows_linkerds_three_steps() {
    let (_tmp, dir) = tempdir();
    let mut store = init(&dir);
    let old_anchor = read(&dir, CA_CRT);
    assert_eq!(store.anchor_rotation().unwrap(), AnchorRotation::NotStarted);
    for err in [store.clone().finish_anchor_rotation().unwrap_err(), {
        let mut s = store.clone();
        s.rotate_anchor_issuer(now(), &mut fresh).unwrap_err()
    }] {
        assert!(err.to_string().contains("rotate-anchor start"), "{err}");
    }

    // Step 1: new anchor; the bundle trusts both; the old issuer stays valid.
    store.start_anchor_rotation(now(), &mut fresh).unwrap();
    store.write().unwrap();
    assert_eq!(store.anchor_rotation().unwrap(), AnchorRotation::NewAnchorTrusted);
    let new_anchor = read(&dir, CA_CRT);
    let bundle = read(&dir, CA_BUNDLE);
    assert_ne!(new_anchor, old_anchor);
    assert_eq!(
        bundle,
        format!("{old_anchor}{new_anchor}"),
        "old first: ordered by notBefore"
    );
    assert_eq!(store.trust_anchors().unwrap().text, bundle);
    assert!(verifies_under(&store, &bundle));
    assert!(!verifies_under(&store, &new_anchor));
    let report = CertStore::load(&dir).unwrap().check(now());
    assert!(report.is_ok(), "{report:?}");
    assert!(
        matches!(
            &report.warnings[..],
            [Warning::AnchorRotationInProgress { steps_done: 1, .. }]
        ),
        "{report:?}"
    );
    let err = store.clone().start_anchor_rotation(now(), &mut fresh).unwrap_err();
    assert!(
        matches!(&err, StoreError::State { file, .. } if file == "certs/ca-bundle.crt"),
        "{err:?}"
    );
    let err = store.clone().finish_anchor_rotation().unwrap_err();
    assert!(err.to_string().contains("still signed by the old anchor"), "{err}");

    // Step 2: new issuer from the new anchor, valid under the bundle and the new anchor alone.
    store.rotate_anchor_issuer(now(), &mut fresh).unwrap();
    store.write().unwrap();
    assert_eq!(store.anchor_rotation().unwrap(), AnchorRotation::IssuerReissued);
    assert_eq!(read(&dir, CA_BUNDLE), bundle);
    assert!(verifies_under(&store, &bundle));
    assert!(verifies_under(&store, &new_anchor));
    assert!(!verifies_under(&store, &old_anchor));
    let report = CertStore::load(&dir).unwrap().check(now());
    assert!(
        matches!(
            &report.warnings[..],
            [Warning::AnchorRotationInProgress { steps_done: 2, .. }]
        ),
        "{report:?}"
    );

    // Step 3: drop the old anchor.
    store.finish_anchor_rotation().unwrap();
    assert_eq!(
        store.write().unwrap(),
        vec![StoreChange::Removed("certs/ca-bundle.crt".to_owned())]
    );
    assert!(!dir.join(CA_BUNDLE).exists());
    let store = CertStore::load(&dir).unwrap();
    assert_eq!(store.anchor_rotation().unwrap(), AnchorRotation::NotStarted);
    assert_eq!(store.trust_anchors().unwrap().text, new_anchor);
    let report = store.check(now());
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:?}");
}

#[test]
fn a_bundle_that_lost_the_current_anchor_fails_the_check() {
    let (_tmp, dir) = tempdir();
    let mut store = init(&dir);
    let old_anchor = read(&dir, CA_CRT);
    store.start_anchor_rotation(now(), &mut fresh).unwrap();
    store.write().unwrap();
    fs::write(dir.join(CA_BUNDLE), old_anchor).unwrap();
    let report = CertStore::load(&dir).unwrap().shown_as("certs").check(now());
    assert!(
        matches!(&report.errors[..], [CertError::AnchorNotInBundle { file, anchor_file }]
            if file == "certs/ca-bundle.crt" && anchor_file == "certs/ca.crt"),
        "{report:?}"
    );
}

#[test]
fn import_verifies_then_copies_verbatim() {
    let (_tmp, src) = tempdir();
    init(&src);
    let (anchors, issuer) = (read(&src, CA_CRT), read(&src, ISSUER_CRT));
    // Keys as step writes them would be SEC1; any verbatim text must survive the copy.
    let key = format!("# issuer key\n{}", read(&src, ISSUER_KEY));
    let (_tmp2, dir) = tempdir();
    let mut store = CertStore::load(&dir).unwrap().shown_as("certs");
    let import = |store: &mut CertStore, key: &str, settings: StoreSettings, force: bool| {
        store.import_identity(
            PemSource::new("in/ca.crt", &anchors),
            PemSource::new("in/issuer.crt", &issuer),
            PemSource::new("in/issuer.key", key),
            settings,
            now(),
            force,
        )
    };
    let wrong_domain = StoreSettings::new("example.org", "linkerd", "linkerd-viz").unwrap();
    let err = import(&mut store, &key, wrong_domain, false).unwrap_err();
    assert!(matches!(&err, StoreError::Cert(CertError::IssuerNameMismatch { file, .. }) if file == "in/issuer.crt"));
    let other_key = KeyPair::generate().unwrap().to_pkcs8_pem().unwrap();
    let err = import(&mut store, other_key.as_str(), StoreSettings::default(), false).unwrap_err();
    assert!(matches!(&err, StoreError::Cert(CertError::KeyMismatch { file, .. }) if file == "in/issuer.key"));
    assert_eq!(store.write().unwrap(), vec![], "a failed import changes nothing");

    assert_eq!(
        import(&mut store, &key, StoreSettings::default(), false).unwrap(),
        vec![]
    );
    store.write().unwrap();
    assert_eq!(read(&dir, CA_CRT), anchors);
    assert_eq!(read(&dir, ISSUER_CRT), issuer);
    assert_eq!(read(&dir, ISSUER_KEY), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join(ISSUER_KEY)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let loaded = CertStore::load(&dir).unwrap().shown_as("certs");
    assert!(
        loaded.record().windows.is_empty(),
        "imported certificates are not recorded"
    );
    // A render needs the webhook certificates as well, which an import does not bring.
    let report = loaded.check(now());
    assert!(
        report.errors.iter().all(|e| matches!(
            e,
            CertError::MissingFile {
                role: Role::WebhookCa,
                ..
            }
        )),
        "{report:?}"
    );
    let mut loaded = loaded;
    let minted = loaded.mint_missing_webhooks(now(), &mut fresh).unwrap();
    assert_eq!(minted.len(), 5, "{minted:?}");
    assert!(
        loaded.mint_missing_webhooks(now(), &mut fresh).unwrap().is_empty(),
        "all there now"
    );
    let report = loaded.check(now());
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.keys_absent, vec!["certs/ca.key".to_owned()]);

    // The anchor key is elsewhere, so the issuer cannot be rotated here.
    let err = loaded.clone().rotate_issuer(now(), &mut fresh).unwrap_err();
    assert!(
        matches!(&err, StoreError::Cert(CertError::MissingFile { file, role: Role::TrustAnchorKey }) if file == "certs/ca.key"),
        "{err:?}"
    );
    // Importing over an identity needs --force.
    let mut store = loaded;
    let err = import(&mut store, &key, StoreSettings::default(), false).unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err:?}");
    import(&mut store, &key, StoreSettings::default(), true).unwrap();
}

#[test]
fn import_keeps_the_anchor_key_only_when_it_matches() {
    let (_tmp, dir) = tempdir();
    let mut store = init(&dir);
    let (anchors, issuer, key) = (read(&dir, CA_CRT), read(&dir, ISSUER_CRT), read(&dir, ISSUER_KEY));
    store
        .import_identity(
            PemSource::new("in/ca.crt", &anchors),
            PemSource::new("in/issuer.crt", &issuer),
            PemSource::new("in/issuer.key", &key),
            StoreSettings::default(),
            now(),
            true,
        )
        .unwrap();
    assert!(store.get(CA_KEY).is_some());

    // Another identity: the old anchor key belongs to none of its anchors and goes.
    let (_tmp2, other) = tempdir();
    init(&other);
    let (a2, i2, k2) = (read(&other, CA_CRT), read(&other, ISSUER_CRT), read(&other, ISSUER_KEY));
    store
        .import_identity(
            PemSource::new("in/ca.crt", &a2),
            PemSource::new("in/issuer.crt", &i2),
            PemSource::new("in/issuer.key", &k2),
            StoreSettings::default(),
            now(),
            true,
        )
        .unwrap();
    assert!(store.get(CA_KEY).is_none());
    assert!(store
        .write()
        .unwrap()
        .contains(&StoreChange::Removed("certs/ca.key".to_owned())));
    assert!(CertStore::load(&dir).unwrap().check(now()).is_ok());
}
