//! Identity minting and verification. Each negative test breaks exactly one thing.

use crate::certs::{
    mint_identity, mint_issuer, mint_trust_anchor, parse_rfc3339, trust_bundle, verify_identity, CertError, CertPem,
    IdentityParams, KeyPair, MintError, PemSource, Role, Validity, Warning, ANCHOR_LIFETIME, ISSUER_LIFETIME,
};
use time::{Duration, OffsetDateTime};

const ISSUER_CN: &str = "identity.linkerd.cluster.local";

fn at(rfc3339: &str) -> OffsetDateTime {
    parse_rfc3339(rfc3339).unwrap()
}

fn start() -> OffsetDateTime {
    at("2026-01-01T00:00:00Z")
}

fn now() -> OffsetDateTime {
    at("2026-06-01T00:00:00Z")
}

/// Inside the openssl fixtures' window (2026 + 100 years).
fn fixture_now() -> OffsetDateTime {
    at("2030-01-01T00:00:00Z")
}

struct Chain {
    anchor: CertPem,
    anchor_key: KeyPair,
    issuer: CertPem,
    issuer_key: KeyPair,
}

fn validity(start: OffsetDateTime, lifetime: Duration) -> Validity {
    Validity::starting_at(start, lifetime).unwrap()
}

fn chain_with(issuer_validity: Validity) -> Chain {
    let anchor_key = KeyPair::generate().unwrap();
    let issuer_key = KeyPair::generate().unwrap();
    let anchor = mint_trust_anchor(&anchor_key, &validity(start(), ANCHOR_LIFETIME)).unwrap();
    let issuer = mint_issuer(
        anchor.source("ca.crt"),
        &anchor_key,
        &issuer_key,
        ISSUER_CN,
        &issuer_validity,
    )
    .unwrap();
    Chain {
        anchor,
        anchor_key,
        issuer,
        issuer_key,
    }
}

fn chain() -> Chain {
    chain_with(validity(start(), ISSUER_LIFETIME))
}

fn key_pem(key: &KeyPair) -> String {
    key.to_pkcs8_pem().unwrap().as_str().to_owned()
}

fn verify(anchors: &str, issuer: &str, key: &str, now: OffsetDateTime) -> Result<Vec<Warning>, CertError> {
    verify_identity(
        PemSource::new("ca.crt", anchors),
        PemSource::new("issuer.crt", issuer),
        PemSource::new("issuer.key", key),
        ISSUER_CN,
        now,
    )
}

fn verify_chain(c: &Chain, now: OffsetDateTime) -> Result<Vec<Warning>, CertError> {
    verify(c.anchor.as_str(), c.issuer.as_str(), &key_pem(&c.issuer_key), now)
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/certs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap()
}

fn verify_fixture_issuer(name: &str) -> Result<Vec<Warning>, CertError> {
    verify(
        &fixture("anchor.crt"),
        &fixture(&format!("{name}.crt")),
        &fixture(&format!("{name}.key")),
        fixture_now(),
    )
}

#[test]
fn happy_path_verifies_without_warnings() {
    assert_eq!(verify_chain(&chain(), now()), Ok(vec![]));
}

#[test]
fn rsa_issuer_is_rejected_naming_rsa() {
    let err = verify_fixture_issuer("rsa-issuer").unwrap_err();
    assert!(
        matches!(&err, CertError::UnsupportedKeyAlgorithm { found, role: Role::Issuer, .. } if found == "RSA"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "issuer.crt: issuer certificate uses RSA; Linkerd needs ECDSA P-256. \
         Run `cargo xtask certs rotate-issuer` (library: `CertStore::rotate_issuer`) or import a P-256 issuer"
    );
}

#[test]
fn p384_issuer_is_rejected_naming_p384() {
    let err = verify_fixture_issuer("p384-issuer").unwrap_err();
    assert!(
        matches!(&err, CertError::UnsupportedKeyAlgorithm { found, .. } if found == "ECDSA P-384"),
        "{err:?}"
    );
}

#[test]
fn sha384_signature_is_rejected() {
    let err = verify_fixture_issuer("sha384-issuer").unwrap_err();
    assert!(
        matches!(&err, CertError::UnsupportedSignatureAlgorithm { found, .. } if found == "ecdsa-with-SHA384"),
        "{err:?}"
    );
}

#[test]
fn issuer_that_is_not_a_ca_is_rejected() {
    let err = verify_fixture_issuer("leaf-issuer").unwrap_err();
    assert!(matches!(&err, CertError::NotCa { role: Role::Issuer, .. }), "{err:?}");
}

#[test]
fn expired_issuer_is_rejected() {
    let c = chain_with(validity(start(), Duration::days(30)));
    let err = verify_chain(&c, now()).unwrap_err();
    assert!(matches!(&err, CertError::Expired { role: Role::Issuer, .. }), "{err:?}");
    assert!(err.to_string().contains("expired on 2026-01-31T00:00:00Z"), "{err}");
}

#[test]
fn not_yet_valid_issuer_is_rejected() {
    let c = chain_with(validity(now() + Duration::days(1), ISSUER_LIFETIME));
    let err = verify_chain(&c, now()).unwrap_err();
    assert!(
        matches!(&err, CertError::NotYetValid { role: Role::Issuer, .. }),
        "{err:?}"
    );
}

#[test]
fn issuer_signed_by_another_anchor_is_rejected() {
    let ours = chain();
    let theirs = chain(); // same anchor name, different key
    let err = verify(
        ours.anchor.as_str(),
        theirs.issuer.as_str(),
        &key_pem(&theirs.issuer_key),
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, CertError::NotSignedByAnchor { reason, .. } if reason.contains("signature does not verify")),
        "{err:?}"
    );
}

#[test]
fn key_not_matching_certificate_is_rejected() {
    let c = chain();
    let other = KeyPair::generate().unwrap();
    let err = verify(c.anchor.as_str(), c.issuer.as_str(), &key_pem(&other), now()).unwrap_err();
    assert!(
        matches!(&err, CertError::KeyMismatch { file, cert_file, .. } if file == "issuer.key" && cert_file == "issuer.crt"),
        "{err:?}"
    );
}

#[test]
fn wrong_issuer_name_is_rejected() {
    let c = chain();
    let err = verify_identity(
        c.anchor.source("ca.crt"),
        c.issuer.source("issuer.crt"),
        PemSource::new("issuer.key", &key_pem(&c.issuer_key)),
        "identity.linkerd.example.org",
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, CertError::IssuerNameMismatch { found, .. } if found == ISSUER_CN),
        "{err:?}"
    );
}

#[test]
fn garbage_pem_is_rejected() {
    let c = chain();
    let err = verify(
        c.anchor.as_str(),
        "hello, not a certificate\n",
        &key_pem(&c.issuer_key),
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, CertError::MalformedPem { file, role: Role::Issuer, .. } if file == "issuer.crt"),
        "{err:?}"
    );
    // PEM armour around bytes that are not a certificate.
    let junk = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let err = verify(c.anchor.as_str(), junk, &key_pem(&c.issuer_key), now()).unwrap_err();
    assert!(matches!(&err, CertError::MalformedPem { .. }), "{err:?}");
}

#[test]
fn empty_pem_is_rejected() {
    let c = chain();
    let err = verify("  \n", c.issuer.as_str(), &key_pem(&c.issuer_key), now()).unwrap_err();
    assert!(
        matches!(&err, CertError::EmptyPem { file, role: Role::TrustAnchor } if file == "ca.crt"),
        "{err:?}"
    );
}

#[test]
fn minting_twice_from_same_keys_and_dates_is_byte_identical() {
    let params = IdentityParams::new(validity(start(), ANCHOR_LIFETIME), validity(start(), ISSUER_LIFETIME));
    let anchor_key = KeyPair::generate().unwrap();
    let issuer_key = KeyPair::generate().unwrap();
    let first = mint_identity(&params, &anchor_key, &issuer_key).unwrap();
    // Reload the keys from their PEM, as a later run would.
    let anchor_key2 = KeyPair::from_pem(PemSource::new("ca.key", first.trust_anchor_key.as_str()), Role::Key).unwrap();
    let issuer_key2 = KeyPair::from_pem(PemSource::new("issuer.key", first.issuer_key.as_str()), Role::Key).unwrap();
    let second = mint_identity(&params, &anchor_key2, &issuer_key2).unwrap();
    assert_eq!(first, second);
    assert!(first
        .trust_anchor_key
        .as_str()
        .starts_with("-----BEGIN PRIVATE KEY-----\n"));
    // A different date changes the bytes (serial and validity differ).
    let later = IdentityParams::new(
        validity(start() + Duration::seconds(1), ANCHOR_LIFETIME),
        validity(start(), ISSUER_LIFETIME),
    );
    let third = mint_identity(&later, &anchor_key, &issuer_key).unwrap();
    assert_ne!(first.trust_anchor, third.trust_anchor);
}

#[test]
fn issuer_30_days_from_expiry_warns_but_passes() {
    let c = chain_with(validity(now() - Duration::days(335), ISSUER_LIFETIME));
    let warnings = verify_chain(&c, now()).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        matches!(
            &warnings[0],
            Warning::ExpiresSoon {
                role: Role::Issuer,
                days_left: 30,
                ..
            }
        ),
        "{warnings:?}"
    );
    assert!(warnings[0].to_string().contains("30 days left"));
}

#[test]
fn expired_anchor_is_rejected_and_expiring_anchor_warns() {
    let c = chain();
    let soon = start() + ANCHOR_LIFETIME - Duration::days(10);
    let warnings = verify_chain(&c, soon).unwrap_err();
    // The issuer (1 year) expired long before the anchor gets close to its end.
    assert!(matches!(warnings, CertError::Expired { role: Role::Issuer, .. }));
    let issuer = mint_issuer(
        c.anchor.source("ca.crt"),
        &c.anchor_key,
        &c.issuer_key,
        ISSUER_CN,
        &validity(soon - Duration::days(1), Duration::days(5)),
    )
    .unwrap();
    let warnings = verify(c.anchor.as_str(), issuer.as_str(), &key_pem(&c.issuer_key), soon).unwrap();
    assert!(
        matches!(
            &warnings[..],
            [
                Warning::ExpiresSoon {
                    role: Role::TrustAnchor,
                    days_left: 10,
                    ..
                },
                Warning::ExpiresSoon { role: Role::Issuer, .. }
            ]
        ),
        "{warnings:?}"
    );
    let err = verify(
        c.anchor.as_str(),
        issuer.as_str(),
        &key_pem(&c.issuer_key),
        start() + ANCHOR_LIFETIME + Duration::days(1),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CertError::Expired {
                role: Role::TrustAnchor,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn sec1_keys_are_accepted_and_p384_keys_named() {
    let c = chain();
    // step and openssl write SEC1 `EC PRIVATE KEY`; build one from the same scalar.
    let pkcs8 = key_pem(&c.issuer_key);
    let secret = <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&pkcs8).unwrap();
    let sec1 = secret.to_sec1_pem(p256::pkcs8::LineEnding::LF).unwrap();
    assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
    assert_eq!(verify(c.anchor.as_str(), c.issuer.as_str(), &sec1, now()), Ok(vec![]));

    let err = KeyPair::from_pem(PemSource::new("p384.key", &fixture("p384-issuer.key")), Role::Key).unwrap_err();
    assert!(
        matches!(&err, CertError::UnsupportedKeyAlgorithm { found, .. } if found == "ECDSA P-384"),
        "{err:?}"
    );
    let err = KeyPair::from_pem(PemSource::new("rsa.key", &fixture("rsa-issuer.key")), Role::Key).unwrap_err();
    assert!(
        matches!(&err, CertError::UnsupportedKeyAlgorithm { found, .. } if found == "RSA"),
        "{err:?}"
    );
}

#[test]
fn crlf_and_surrounding_text_are_tolerated() {
    let c = chain();
    let messy = format!("Subject: whatever\r\n{}", c.issuer.as_str().replace('\n', "\r\n"));
    assert_eq!(
        verify(c.anchor.as_str(), &messy, &key_pem(&c.issuer_key), now()),
        Ok(vec![])
    );
}

#[test]
fn trust_bundle_rotation_accepts_issuers_of_either_anchor() {
    let old = chain();
    let new = chain_with(validity(start(), ISSUER_LIFETIME));
    let a = trust_bundle(&[old.anchor.source("old.crt"), new.anchor.source("new.crt")]).unwrap();
    let b = trust_bundle(&[
        new.anchor.source("new.crt"),
        old.anchor.source("old.crt"),
        new.anchor.source("new.crt"),
    ])
    .unwrap();
    assert_eq!(a, b, "order and duplicates must not matter");
    assert_eq!(a.matches("BEGIN CERTIFICATE").count(), 2);
    for c in [&old, &new] {
        assert_eq!(
            verify(&a, c.issuer.as_str(), &key_pem(&c.issuer_key), now()),
            Ok(vec![])
        );
    }
    // Minting an issuer from the bundle picks the anchor that matches the key.
    let rotated = mint_issuer(
        PemSource::new("bundle.crt", &a),
        &new.anchor_key,
        &new.issuer_key,
        ISSUER_CN,
        &validity(start(), ISSUER_LIFETIME),
    )
    .unwrap();
    assert_eq!(rotated, new.issuer);
    // A key matching no anchor is reported.
    let err = mint_issuer(
        PemSource::new("bundle.crt", &a),
        &old.issuer_key,
        &new.issuer_key,
        ISSUER_CN,
        &validity(start(), ISSUER_LIFETIME),
    )
    .unwrap_err();
    assert!(matches!(err, MintError::Load(CertError::KeyMismatch { .. })), "{err:?}");
}

#[test]
fn rotate_issuer_makes_a_fresh_key_under_the_same_anchor() {
    let c = chain();
    let key = KeyPair::generate().unwrap();
    let issuer = mint_issuer(
        c.anchor.source("ca.crt"),
        &c.anchor_key,
        &key,
        ISSUER_CN,
        &validity(now(), ISSUER_LIFETIME),
    )
    .unwrap();
    assert_ne!(issuer, c.issuer);
    assert_eq!(
        verify(
            c.anchor.as_str(),
            issuer.as_str(),
            key.to_pkcs8_pem().unwrap().as_str(),
            now()
        ),
        Ok(vec![])
    );
}

#[test]
fn validity_rejects_empty_windows() {
    assert!(matches!(Validity::new(now(), now()), Err(MintError::Validity(_))));
    assert!(Validity::from_rfc3339("2026-11-26T07:30:48Z", "2036-11-23T07:30:48Z").is_ok());
    assert!(matches!(
        Validity::from_rfc3339("yesterday", "2036-11-23T07:30:48Z"),
        Err(MintError::Validity(_))
    ));
}
