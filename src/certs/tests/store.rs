//! The certificate directory: layout, init, reproducibility, check.

use crate::test_support as common;
use common::{fresh, init, now, start, tempdir};
use std::fs;

use crate::certs::store::{CA_CRT, ISSUER_CRT, ISSUER_KEY, VALIDITY_FILE};
use crate::certs::{
    mint_issuer, CertError, CertStore, Role, StoreError, StoreSettings, Validity, ValidityRecord, Warning,
    ISSUER_LIFETIME,
};
use camino::Utf8Path;
use time::Duration;

const SERVICES: [&str; 5] = [
    "linkerd-proxy-injector",
    "linkerd-sp-validator",
    "linkerd-policy-validator",
    "tap",
    "tap-injector",
];

/// Every file under `dir`, relative path → bytes.
fn snapshot(dir: &Utf8Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["", "webhooks"] {
        for entry in fs::read_dir(dir.join(sub)).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                let name = entry.file_name().into_string().unwrap();
                let rel = if sub.is_empty() { name } else { format!("{sub}/{name}") };
                out.push((rel, fs::read(entry.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn init_writes_the_layout_with_private_keys() {
    let (_tmp, dir) = tempdir();
    init(&dir);
    let mut expected = vec!["ca.crt", "ca.key", "issuer.crt", "issuer.key", "validity.yaml"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    for s in SERVICES {
        for suffix in [".crt", ".key", "-ca.crt", "-ca.key"] {
            expected.push(format!("webhooks/{s}{suffix}"));
        }
    }
    expected.sort();
    let files: Vec<String> = snapshot(&dir).into_iter().map(|(f, _)| f).collect();
    assert_eq!(files, expected);
    #[cfg(unix)]
    for file in &files {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join(file)).unwrap().permissions().mode() & 0o777;
        if file.ends_with(".key") {
            assert_eq!(mode, 0o600, "{file}");
        } else {
            assert_eq!(mode & 0o644, 0o644, "{file}");
        }
    }
    let record = fs::read_to_string(dir.join(VALIDITY_FILE)).unwrap();
    assert!(
        record.contains(
            "  \"ca.crt\":\n    notBefore: \"2026-01-01T00:00:00Z\"\n    notAfter: \"2035-12-30T00:00:00Z\"\n"
        ),
        "{record}"
    );
    assert!(
        record.contains(
            "  \"issuer.crt\":\n    notBefore: \"2026-01-01T00:00:00Z\"\n    notAfter: \"2027-01-01T00:00:00Z\"\n"
        ),
        "{record}"
    );

    let loaded = CertStore::load(&dir).unwrap();
    let report = loaded.check(now());
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.warnings, vec![]);
    assert_eq!(report.keys_absent, Vec::<String>::new());
    assert_eq!(loaded.webhook_services(), {
        let mut s = SERVICES.map(String::from).to_vec();
        s.sort();
        s
    });
}

#[test]
fn minting_again_from_the_keys_and_the_record_gives_identical_bytes() {
    let (_tmp, dir) = tempdir();
    let first = init(&dir);
    let (_tmp2, dir2) = tempdir();
    let record = first.record().clone();
    let not_before = record.windows[CA_CRT].not_before();
    let mut again = CertStore::load(&dir2).unwrap();
    again
        .init(record.settings.clone(), not_before, false, &mut |file: &str| {
            Ok(first.key_pair(file, Role::Key).unwrap())
        })
        .unwrap();
    again.write().unwrap();
    assert_eq!(snapshot(&dir), snapshot(&dir2));
    // Writing an unchanged store changes nothing.
    assert_eq!(CertStore::load(&dir).unwrap().write().unwrap(), vec![]);
}

#[test]
fn init_refuses_to_overwrite_unless_forced() {
    let (_tmp, dir) = tempdir();
    init(&dir);
    let before = fs::read(dir.join(CA_CRT)).unwrap();
    let mut store = CertStore::load(&dir).unwrap().shown_as("certs");
    let err = store
        .init(StoreSettings::default(), start(), false, &mut fresh)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Exists { files, .. } if files.contains(&"certs/ca.crt".to_owned())),
        "{err:?}"
    );
    assert!(err.to_string().contains("--force"), "{err}");
    let settings = StoreSettings::new("example.org", "mesh", "mesh-viz").unwrap();
    store.init(settings, start(), true, &mut fresh).unwrap();
    store.write().unwrap();
    assert_ne!(fs::read(dir.join(CA_CRT)).unwrap(), before);
    let loaded = CertStore::load(&dir).unwrap();
    assert_eq!(loaded.settings().issuer_common_name(), "identity.mesh.example.org");
    assert_eq!(loaded.settings().webhook_dns_name("tap"), "tap.mesh-viz.svc");
    assert!(loaded.check(now()).is_ok());
}

#[test]
fn check_without_keys_passes_and_lists_them() {
    let (_tmp, dir) = tempdir();
    init(&dir);
    let (_tmp2, clone) = tempdir();
    for (file, bytes) in snapshot(&dir) {
        if !file.ends_with(".key") {
            fs::create_dir_all(clone.join(&file).parent().unwrap()).unwrap();
            fs::write(clone.join(&file), bytes).unwrap();
        }
    }
    let report = CertStore::load(&clone).unwrap().shown_as("certs").check(now());
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.keys_absent.len(), 12, "{:?}", report.keys_absent);
    assert!(report.keys_absent.contains(&"certs/issuer.key".to_owned()));
}

#[test]
fn check_reports_each_broken_file_by_name() {
    let (_tmp, dir) = tempdir();
    init(&dir);
    fs::copy(dir.join(ISSUER_KEY), dir.join("webhooks/linkerd-sp-validator.key")).unwrap();
    fs::copy(
        dir.join("webhooks/linkerd-proxy-injector.crt"),
        dir.join("webhooks/tap.crt"),
    )
    .unwrap();
    fs::remove_file(dir.join("webhooks/tap.key")).unwrap();
    fs::remove_file(dir.join("webhooks/tap-injector-ca.crt")).unwrap();
    let report = CertStore::load(&dir).unwrap().shown_as("certs").check(now());
    let errors = &report.errors;
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        matches!(&errors[0], CertError::KeyMismatch { file, role: Role::WebhookKey, cert_file }
            if file == "certs/webhooks/linkerd-sp-validator.key" && cert_file == "certs/webhooks/linkerd-sp-validator.crt"),
        "{errors:?}"
    );
    assert!(
        matches!(&errors[1], CertError::WebhookNameMismatch { file, expected, .. }
            if file == "certs/webhooks/tap.crt" && expected == "tap.linkerd-viz.svc"),
        "{errors:?}"
    );
    assert!(
        matches!(&errors[2], CertError::MissingFile { file, role: Role::WebhookCa }
            if file == "certs/webhooks/tap-injector-ca.crt"),
        "{errors:?}"
    );
    assert_eq!(report.keys_absent, vec!["certs/webhooks/tap.key".to_owned()]);
}

#[test]
fn check_finds_a_replaced_issuer_through_the_record() {
    let (_tmp, dir) = tempdir();
    let store = init(&dir);
    let anchor_key = store.key_pair("ca.key", Role::TrustAnchorKey).unwrap();
    let issuer_key = store.key_pair(ISSUER_KEY, Role::IssuerKey).unwrap();
    let later = Validity::starting_at(start() + Duration::days(1), ISSUER_LIFETIME).unwrap();
    let issuer = mint_issuer(
        store.source(CA_CRT).unwrap(),
        &anchor_key,
        &issuer_key,
        "identity.linkerd.cluster.local",
        &later,
    )
    .unwrap();
    fs::write(dir.join(ISSUER_CRT), issuer.as_str()).unwrap();
    let report = CertStore::load(&dir).unwrap().shown_as("certs").check(now());
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let err = &report.errors[0];
    assert!(
        matches!(err, CertError::RecordMismatch { file, cert_file, .. } if file == "certs/validity.yaml" && cert_file == "certs/issuer.crt"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("2026-01-02T00:00:00Z to 2027-01-02T00:00:00Z"),
        "{err}"
    );
}

#[test]
fn check_warns_before_expiry_and_fails_after() {
    let (_tmp, dir) = tempdir();
    init(&dir);
    let store = CertStore::load(&dir).unwrap();
    let report = store.check(start() + Duration::days(340));
    assert!(report.is_ok(), "{report:?}");
    // The issuer, and CA + serving certificate of five webhooks.
    assert_eq!(report.warnings.len(), 11, "{:?}", report.warnings);
    assert!(report
        .warnings
        .iter()
        .all(|w| matches!(w, Warning::ExpiresSoon { days_left: 25, .. })));
    let report = store.check(start() + Duration::days(400));
    assert_eq!(report.errors.len(), 6, "{:?}", report.errors);
    assert!(report.errors.iter().all(|e| matches!(e, CertError::Expired { .. })));
    let report = store.check(start() - Duration::days(1));
    assert!(matches!(&report.errors[0], CertError::NotYetValid { .. }), "{report:?}");
}

#[test]
fn an_empty_directory_fails_the_check() {
    let (_tmp, dir) = tempdir();
    let report = CertStore::load(&dir).unwrap().shown_as("certs").check(now());
    assert_eq!(
        report.errors,
        vec![CertError::MissingFile {
            file: "certs/ca.crt".to_owned(),
            role: Role::TrustAnchor
        }]
    );
    assert!(report.errors[0]
        .to_string()
        .starts_with("certs/ca.crt: the trust anchor is missing."));
}

#[test]
fn validity_record_round_trips_and_rejects_unknown_keys() {
    let (_tmp, dir) = tempdir();
    let store = init(&dir);
    let text = store.record().render();
    assert_eq!(ValidityRecord::parse(&text).unwrap(), *store.record());
    assert_eq!(fs::read_to_string(dir.join(VALIDITY_FILE)).unwrap(), text);
    let err = ValidityRecord::parse(&text.replace("vizNamespace", "vizNamspace")).unwrap_err();
    assert!(err.contains("vizNamspace"), "{err}");
    fs::write(dir.join(VALIDITY_FILE), "trustDomain: [\n").unwrap();
    let err = CertStore::load(&dir).unwrap_err();
    assert!(
        matches!(&err, StoreError::Record { file, .. } if file.ends_with("validity.yaml")),
        "{err:?}"
    );
}
