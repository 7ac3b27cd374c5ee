//! Webhook certificates: a self-signed CA per webhook and the serving certificate it signs.

use time::OffsetDateTime;

use super::keys::KeyPem;
use super::mint::{build, key_identifier, to_pem, Issuing, Kind};
use super::verify::{check_key, check_time, expiry_warning, first_cert, not_ca};
use super::{CertError, CertPem, KeyPair, MintError, PemSource, Role, Validity, Warning};

/// A webhook's own CA and the serving certificate it signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebhookCerts {
    /// Self-signed CA (pathlen 0); its PEM is the webhook's `caBundle`.
    pub ca: CertPem,
    /// Serving certificate: not a CA, digitalSignature + keyEncipherment, serverAuth,
    /// DNS SAN = the service name.
    pub cert: CertPem,
    /// PKCS#8 PEM of the serving key.
    pub key: KeyPem,
}

/// Mints a webhook CA (`<service_dns> CA`) from `ca_key` and a serving certificate for
/// `service_dns` (e.g. `linkerd-proxy-injector.linkerd.svc`) from `leaf_key`.
///
/// # Errors
/// [`MintError::Name`] if `service_dns` is not a lowercase DNS name; others as minting.
pub(crate) fn mint_webhook(
    service_dns: &str,
    validity: &Validity,
    ca_key: &KeyPair,
    leaf_key: &KeyPair,
) -> Result<WebhookCerts, MintError> {
    check_dns_name(service_dns)?;
    let ca = build(&format!("{service_dns} CA"), ca_key, validity, Kind::Ca(0), None)?;
    let signer = Issuing {
        name: ca.cert.tbs_certificate().subject().clone(),
        key: ca_key,
        key_id: key_identifier(ca.cert.tbs_certificate().subject_public_key_info()),
    };
    let cert = build(service_dns, leaf_key, validity, Kind::Server(service_dns), Some(signer))?;
    Ok(WebhookCerts {
        ca: to_pem(&ca)?,
        cert: to_pem(&cert)?,
        key: leaf_key.to_pkcs8_pem()?,
    })
}

pub(crate) fn check_dns_name(name: &str) -> Result<(), MintError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(MintError::Name {
            name: name.to_owned(),
            detail: "not a lowercase DNS name such as `linkerd-proxy-injector.linkerd.svc`".to_owned(),
        });
    }
    Ok(())
}

/// Checks a webhook's CA (`caBundle`), serving certificate and (when given) serving key at
/// the instant `now`, as the API server will use them:
///
/// * CA: ECDSA P-256, ecdsa-with-SHA256, CA:TRUE, within its validity window;
/// * serving certificate: ECDSA P-256, ecdsa-with-SHA256, a DNS SAN equal to
///   `expected_dns` (`<service>.<namespace>.svc`), signed by the CA, within its window;
/// * key: the serving certificate's key.
///
/// Either certificate expiring within 60 days of `now` comes back as a [`Warning`].
///
/// # Errors
/// The first problem found, as a [`CertError`] naming the file it concerns.
pub(crate) fn verify_webhook(
    ca: PemSource<'_>,
    cert: PemSource<'_>,
    key: Option<PemSource<'_>>,
    expected_dns: &str,
    now: OffsetDateTime,
) -> Result<Vec<Warning>, CertError> {
    let mut warnings = Vec::new();
    let (ca_cert, extra) = first_cert(ca, Role::WebhookCa)?;
    warnings.extend(extra);
    ca_cert.check_algorithms(ca.label, Role::WebhookCa)?;
    if !ca_cert.is_ca() {
        return Err(not_ca(&ca_cert, ca.label, Role::WebhookCa));
    }
    check_time(&ca_cert, ca.label, Role::WebhookCa, now)?;
    warnings.extend(expiry_warning(&ca_cert, ca.label, Role::WebhookCa, now));

    let (leaf, extra) = first_cert(cert, Role::WebhookCert)?;
    warnings.extend(extra);
    leaf.check_algorithms(cert.label, Role::WebhookCert)?;
    if let Some(key) = key {
        check_key(&leaf, cert.label, key, Role::WebhookKey)?;
    }
    let names = leaf.dns_names();
    if !names.iter().any(|n| n == expected_dns) {
        let found = if names.is_empty() {
            "no DNS name".to_owned()
        } else {
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        };
        return Err(CertError::WebhookNameMismatch {
            file: cert.label.to_owned(),
            expected: expected_dns.to_owned(),
            found,
        });
    }
    if leaf.issuer_der() != ca_cert.subject_der() || !leaf.signed_by(&ca_cert) {
        return Err(CertError::NotSignedByCa {
            file: cert.label.to_owned(),
            ca_file: ca.label.to_owned(),
        });
    }
    check_time(&leaf, cert.label, Role::WebhookCert, now)?;
    warnings.extend(expiry_warning(&leaf, cert.label, Role::WebhookCert, now));
    Ok(warnings)
}

/// Checks that `name` is one DNS label (a Kubernetes namespace name).
pub(crate) fn check_dns_label(name: &str) -> Result<(), MintError> {
    if name.contains('.') {
        return Err(MintError::Name {
            name: name.to_owned(),
            detail: "a namespace is a single lowercase DNS label such as `linkerd`".to_owned(),
        });
    }
    check_dns_name(name)
}
