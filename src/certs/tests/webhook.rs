//! Webhook CA + serving certificate minting.

use crate::certs::{
    mint_webhook, parse_rfc3339, webhook_dns_name, KeyPair, MintError, Validity, LINKERD_WEBHOOK_SERVICES,
    VIZ_WEBHOOK_SERVICES, WEBHOOK_LIFETIME,
};
use der::{Decode, DecodePem, Encode};
use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::Certificate;

fn validity() -> Validity {
    Validity::starting_at(parse_rfc3339("2026-01-01T00:00:00Z").unwrap(), WEBHOOK_LIFETIME).unwrap()
}

fn signed_by(cert: &Certificate, ca: &Certificate) -> bool {
    let spki = ca.tbs_certificate().subject_public_key_info();
    let key = VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes()).unwrap();
    let sig = Signature::from_der(cert.signature().raw_bytes()).unwrap();
    key.verify(&cert.tbs_certificate().to_der().unwrap(), &sig).is_ok()
}

#[test]
fn serving_cert_has_dns_san_server_auth_and_is_not_a_ca() {
    let services = LINKERD_WEBHOOK_SERVICES
        .iter()
        .map(|s| webhook_dns_name(s, "linkerd"))
        .chain(VIZ_WEBHOOK_SERVICES.iter().map(|s| webhook_dns_name(s, "linkerd-viz")));
    for dns in services {
        let certs = mint_webhook(
            &dns,
            &validity(),
            &KeyPair::generate().unwrap(),
            &KeyPair::generate().unwrap(),
        )
        .unwrap();
        let ca = Certificate::from_pem(certs.ca.as_str().as_bytes()).unwrap();
        let leaf = Certificate::from_pem(certs.cert.as_str().as_bytes()).unwrap();
        let tbs = leaf.tbs_certificate();

        let (_, san) = tbs.get_extension::<SubjectAltName>().unwrap().unwrap();
        assert_eq!(san.0.len(), 1);
        assert!(matches!(&san.0[0], GeneralName::DnsName(n) if n.as_str() == dns));
        let (critical, bc) = tbs.get_extension::<BasicConstraints>().unwrap().unwrap();
        assert!(critical && !bc.ca);
        let (_, ku) = tbs.get_extension::<KeyUsage>().unwrap().unwrap();
        assert!(ku.0.contains(KeyUsages::DigitalSignature) && !ku.0.contains(KeyUsages::KeyCertSign));
        let (_, eku) = tbs.get_extension::<ExtendedKeyUsage>().unwrap().unwrap();
        assert_eq!(eku.0, vec![const_oid::db::rfc5280::ID_KP_SERVER_AUTH]);

        let (_, ca_bc) = ca
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .unwrap()
            .unwrap();
        assert!(ca_bc.ca);
        assert_eq!(tbs.issuer(), ca.tbs_certificate().subject());
        assert!(signed_by(&leaf, &ca));
        assert!(signed_by(&ca, &ca));
    }
}

#[test]
fn webhook_minting_is_deterministic() {
    let ca_key = KeyPair::generate().unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let dns = "tap-injector.linkerd-viz.svc";
    let a = mint_webhook(dns, &validity(), &ca_key, &leaf_key).unwrap();
    let b = mint_webhook(dns, &validity(), &ca_key, &leaf_key).unwrap();
    assert_eq!(a, b);
    // Serial: 16 bytes or fewer, positive, derived rather than random.
    let leaf = Certificate::from_pem(a.cert.as_str().as_bytes()).unwrap();
    let serial = leaf.tbs_certificate().serial_number().as_bytes();
    assert!(!serial.is_empty() && serial.len() <= 16 && serial[0] & 0x80 == 0);
    let _ = Certificate::from_der(&leaf.to_der().unwrap()).unwrap();
}

#[test]
fn bad_service_names_are_rejected() {
    let k = KeyPair::generate().unwrap();
    for bad in ["", "Linkerd-Proxy.svc", "a..svc", "-x.linkerd.svc", "x y.svc"] {
        assert!(
            matches!(mint_webhook(bad, &validity(), &k, &k), Err(MintError::Name { .. })),
            "{bad:?}"
        );
    }
}

mod verification {
    use crate::certs::{
        mint_webhook, parse_rfc3339, verify_webhook, CertError, KeyPair, PemSource, Role, Validity, Warning,
        WebhookCerts, WEBHOOK_LIFETIME,
    };
    use time::{Duration, OffsetDateTime};

    const DNS: &str = "linkerd-proxy-injector.linkerd.svc";

    fn start() -> OffsetDateTime {
        parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
    }

    fn mint(dns: &str) -> WebhookCerts {
        let validity = Validity::starting_at(start(), WEBHOOK_LIFETIME).unwrap();
        mint_webhook(
            dns,
            &validity,
            &KeyPair::generate().unwrap(),
            &KeyPair::generate().unwrap(),
        )
        .unwrap()
    }

    fn verify(ca: &str, cert: &str, key: Option<&str>, at: OffsetDateTime) -> Result<Vec<Warning>, CertError> {
        verify_webhook(
            PemSource::new("tap-ca.crt", ca),
            PemSource::new("tap.crt", cert),
            key.map(|k| PemSource::new("tap.key", k)),
            DNS,
            at,
        )
    }

    #[test]
    fn minted_webhook_verifies_with_and_without_key() {
        let w = mint(DNS);
        let now = start() + Duration::days(30);
        assert_eq!(
            verify(w.ca.as_str(), w.cert.as_str(), Some(w.key.as_str()), now),
            Ok(vec![])
        );
        assert_eq!(verify(w.ca.as_str(), w.cert.as_str(), None, now), Ok(vec![]));
    }

    #[test]
    fn wrong_dns_name_foreign_ca_and_foreign_key_are_rejected() {
        let w = mint(DNS);
        let other = mint("tap.linkerd-viz.svc");
        let now = start() + Duration::days(30);
        let err = verify(other.ca.as_str(), other.cert.as_str(), None, now).unwrap_err();
        assert!(
            matches!(&err, CertError::WebhookNameMismatch { file, found, .. } if file == "tap.crt" && found == "`tap.linkerd-viz.svc`"),
            "{err:?}"
        );
        let err = verify(other.ca.as_str(), w.cert.as_str(), None, now).unwrap_err();
        assert!(
            matches!(&err, CertError::NotSignedByCa { file, ca_file } if file == "tap.crt" && ca_file == "tap-ca.crt"),
            "{err:?}"
        );
        let err = verify(w.ca.as_str(), w.cert.as_str(), Some(other.key.as_str()), now).unwrap_err();
        assert!(
            matches!(&err, CertError::KeyMismatch { file, role: Role::WebhookKey, .. } if file == "tap.key"),
            "{err:?}"
        );
        // The serving certificate is not a CA, so it cannot stand in for the caBundle.
        let err = verify(w.cert.as_str(), w.cert.as_str(), None, now).unwrap_err();
        assert!(
            matches!(
                &err,
                CertError::NotCa {
                    role: Role::WebhookCa,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn expiry_warns_within_60_days_then_fails() {
        let w = mint(DNS);
        let soon = start() + WEBHOOK_LIFETIME - Duration::days(20);
        let warnings = verify(w.ca.as_str(), w.cert.as_str(), None, soon).unwrap();
        assert!(
            matches!(
                &warnings[..],
                [
                    Warning::ExpiresSoon {
                        role: Role::WebhookCa,
                        days_left: 20,
                        ..
                    },
                    Warning::ExpiresSoon {
                        role: Role::WebhookCert,
                        days_left: 20,
                        ..
                    }
                ]
            ),
            "{warnings:?}"
        );
        assert!(
            warnings[1].to_string().contains("cargo xtask certs renew-webhooks"),
            "{}",
            warnings[1]
        );
        let late = start() + WEBHOOK_LIFETIME + Duration::days(1);
        let err = verify(w.ca.as_str(), w.cert.as_str(), None, late).unwrap_err();
        assert!(
            matches!(
                &err,
                CertError::Expired {
                    role: Role::WebhookCa,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
