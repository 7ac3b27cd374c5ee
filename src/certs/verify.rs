//! Verification of a Linkerd identity (trust bundle + issuer + issuer key), following what
//! `linkerd check` requires, and trust-bundle assembly for anchor rotation.

use time::OffsetDateTime;

use super::keys::public_key_of;
use super::pem::encode;
use super::x509::{parse_certs, Parsed};
use super::{rfc3339, CertError, MintError, PemSource, Role, Warning, EXPIRY_WARNING_WINDOW};

/// Checks a trust bundle, issuer certificate and issuer key the way `linkerd check` and
/// the identity controller need them, at the instant `now`:
///
/// * every anchor: ECDSA P-256, ecdsa-with-SHA256, CA:TRUE, within its validity window;
/// * issuer: ECDSA P-256, ecdsa-with-SHA256, key matches, common name is
///   `expected_issuer_cn`, CA:TRUE, within its validity window, signed by an anchor in the
///   bundle (byte-equal issuer/subject names and a valid signature).
///
/// Anchors and issuer that expire within 60 days of `now` come back as [`Warning`]s.
///
/// # Errors
/// The first problem found, as a [`CertError`] naming the file it concerns.
pub(crate) fn verify_identity(
    anchors: PemSource<'_>,
    issuer_cert: PemSource<'_>,
    issuer_key: PemSource<'_>,
    expected_issuer_cn: &str,
    now: OffsetDateTime,
) -> Result<Vec<Warning>, CertError> {
    verify_chain(anchors, issuer_cert, Some(issuer_key), expected_issuer_cn, now)
}

/// [`verify_identity`] without the issuer key, for checkouts where the (gitignored) key is
/// absent: everything but the key match is checked.
///
/// # Errors
/// As [`verify_identity`].
pub(crate) fn verify_identity_certs(
    anchors: PemSource<'_>,
    issuer_cert: PemSource<'_>,
    expected_issuer_cn: &str,
    now: OffsetDateTime,
) -> Result<Vec<Warning>, CertError> {
    verify_chain(anchors, issuer_cert, None, expected_issuer_cn, now)
}

fn verify_chain(
    anchors: PemSource<'_>,
    issuer_cert: PemSource<'_>,
    issuer_key: Option<PemSource<'_>>,
    expected_issuer_cn: &str,
    now: OffsetDateTime,
) -> Result<Vec<Warning>, CertError> {
    let mut warnings = Vec::new();
    let anchor_certs = parse_certs(anchors, Role::TrustAnchor)?;
    for anchor in &anchor_certs {
        check_anchor(anchor, anchors.label, now, &mut warnings)?;
    }

    let file = issuer_cert.label;
    let (issuer, extra) = first_cert(issuer_cert, Role::Issuer)?;
    warnings.extend(extra);
    issuer.check_algorithms(file, Role::Issuer)?;
    if let Some(issuer_key) = issuer_key {
        check_key(&issuer, file, issuer_key, Role::IssuerKey)?;
    }

    let found_cn = issuer.subject_cn();
    if found_cn.as_deref() != Some(expected_issuer_cn) {
        return Err(CertError::IssuerNameMismatch {
            file: file.to_owned(),
            expected: expected_issuer_cn.to_owned(),
            found: found_cn.unwrap_or_else(|| "<no common name>".to_owned()),
        });
    }
    if !issuer.is_ca() {
        return Err(not_ca(&issuer, file, Role::Issuer));
    }
    check_time(&issuer, file, Role::Issuer, now)?;
    check_signed_by_anchor(&issuer, file, &anchor_certs, anchors.label)?;

    warnings.extend(expiry_warning(&issuer, file, Role::Issuer, now));
    if issuer.key_usage_allows_cert_sign() == Some(false) {
        warnings.push(Warning::IssuerKeyUsageLacksCertSign { file: file.to_owned() });
    }
    Ok(warnings)
}

/// The first certificate of `src`, and a warning when more follow.
pub(crate) fn first_cert(src: PemSource<'_>, role: Role) -> Result<(Parsed, Option<Warning>), CertError> {
    let mut certs = parse_certs(src, role)?.into_iter();
    let Some(first) = certs.next() else {
        return Err(CertError::EmptyPem {
            file: src.label.to_owned(),
            role,
        });
    };
    let ignored = certs.count();
    let extra = (ignored > 0).then(|| Warning::ExtraCertificates {
        file: src.label.to_owned(),
        ignored,
    });
    Ok((first, extra))
}

/// Checks that `key` is the private key of `cert` (read from `cert_file`).
pub(crate) fn check_key(cert: &Parsed, cert_file: &str, key: PemSource<'_>, role: Role) -> Result<(), CertError> {
    if cert.p256_key() != Some(public_key_of(key, role)?) {
        return Err(CertError::KeyMismatch {
            file: key.label.to_owned(),
            role,
            cert_file: cert_file.to_owned(),
        });
    }
    Ok(())
}

/// Checks that `key` belongs to one of the certificates in `certs`.
///
/// # Errors
/// [`CertError`] when either does not load or the key matches none of the certificates.
pub(crate) fn key_matches_any(
    certs: PemSource<'_>,
    cert_role: Role,
    key: PemSource<'_>,
    key_role: Role,
) -> Result<(), CertError> {
    let wanted = Some(public_key_of(key, key_role)?);
    if parse_certs(certs, cert_role)?.iter().any(|c| c.p256_key() == wanted) {
        return Ok(());
    }
    Err(CertError::KeyMismatch {
        file: key.label.to_owned(),
        role: key_role,
        cert_file: certs.label.to_owned(),
    })
}

/// Whether the (first) certificate in `cert` is signed by one of the anchors in `anchors`.
pub(crate) fn is_signed_by_any(cert: PemSource<'_>, anchors: PemSource<'_>) -> Result<bool, CertError> {
    let issuer = parse_certs(cert, Role::Issuer)?;
    let anchors = parse_certs(anchors, Role::TrustAnchor)?;
    Ok(issuer.first().is_some_and(|i| {
        anchors
            .iter()
            .any(|a| a.subject_der() == i.issuer_der() && i.signed_by(a))
    }))
}

/// The trust anchors alone: a store that holds no issuer, as with cert-manager, which
/// issues it in the cluster.
///
/// # Errors
/// The first problem found with an anchor, naming the file.
pub(crate) fn verify_anchors(anchors: PemSource<'_>, now: OffsetDateTime) -> Result<Vec<Warning>, CertError> {
    let mut warnings = Vec::new();
    for anchor in &parse_certs(anchors, Role::TrustAnchor)? {
        check_anchor(anchor, anchors.label, now, &mut warnings)?;
    }
    Ok(warnings)
}

fn check_anchor(
    anchor: &Parsed,
    file: &str,
    now: OffsetDateTime,
    warnings: &mut Vec<Warning>,
) -> Result<(), CertError> {
    anchor.check_algorithms(file, Role::TrustAnchor)?;
    if !anchor.is_ca() {
        return Err(not_ca(anchor, file, Role::TrustAnchor));
    }
    check_time(anchor, file, Role::TrustAnchor, now)?;
    warnings.extend(expiry_warning(anchor, file, Role::TrustAnchor, now));
    if anchor
        .basic_constraints()
        .is_some_and(|bc| bc.path_len_constraint == Some(0))
    {
        warnings.push(Warning::AnchorPathLenZero {
            file: file.to_owned(),
            subject: anchor.subject_display(),
        });
    }
    Ok(())
}

pub(crate) fn not_ca(cert: &Parsed, file: &str, role: Role) -> CertError {
    CertError::NotCa {
        file: file.to_owned(),
        role,
        subject: cert.subject_display(),
    }
}

pub(crate) fn check_time(cert: &Parsed, file: &str, role: Role, now: OffsetDateTime) -> Result<(), CertError> {
    if now < cert.not_before() {
        return Err(CertError::NotYetValid {
            file: file.to_owned(),
            role,
            subject: cert.subject_display(),
            not_before: rfc3339(cert.not_before()),
            now: rfc3339(now),
        });
    }
    if now > cert.not_after() {
        return Err(CertError::Expired {
            file: file.to_owned(),
            role,
            subject: cert.subject_display(),
            not_after: rfc3339(cert.not_after()),
            now: rfc3339(now),
        });
    }
    Ok(())
}

pub(crate) fn expiry_warning(cert: &Parsed, file: &str, role: Role, now: OffsetDateTime) -> Option<Warning> {
    let left = cert.not_after() - now;
    (left < EXPIRY_WARNING_WINDOW).then(|| Warning::ExpiresSoon {
        file: file.to_owned(),
        role,
        subject: cert.subject_display(),
        not_after: rfc3339(cert.not_after()),
        days_left: left.whole_days(),
    })
}

fn check_signed_by_anchor(
    issuer: &Parsed,
    file: &str,
    anchors: &[Parsed],
    anchors_file: &str,
) -> Result<(), CertError> {
    let issuer_name = issuer.issuer_der();
    let same_name: Vec<&Parsed> = anchors.iter().filter(|a| a.subject_der() == issuer_name).collect();
    if same_name.iter().any(|a| issuer.signed_by(a)) {
        return Ok(());
    }
    let named = issuer.cert.tbs_certificate().issuer().to_string();
    let reason = if same_name.is_empty() {
        let subjects: Vec<String> = anchors
            .iter()
            .map(|a| format!("`{}`", a.cert.tbs_certificate().subject()))
            .collect();
        format!(
            "it names its issuer `{named}`, which matches no anchor (the bundle holds {})",
            subjects.join(", ")
        )
    } else {
        format!(
            "its signature does not verify with the key of any anchor named `{named}` (it was signed by another key)"
        )
    };
    Err(CertError::NotSignedByAnchor {
        file: file.to_owned(),
        anchors_file: anchors_file.to_owned(),
        reason,
    })
}

/// Builds a trust bundle from several PEM sources (e.g. old + new anchor during anchor
/// rotation): duplicates are dropped and certificates are ordered by notBefore, then
/// notAfter, then DER bytes, so the result does not depend on input order or formatting.
///
/// Linkerd anchor rotation: mint the new anchor, deploy `trust_bundle(&[old, new])`,
/// restart the mesh, mint a new issuer under the new anchor, then deploy a bundle of the
/// new anchor alone. [`verify_identity`] accepts an issuer signed by any bundled anchor.
///
/// # Errors
/// [`MintError::Load`] when a source is empty or not certificates.
pub(crate) fn trust_bundle(sources: &[PemSource<'_>]) -> Result<String, MintError> {
    let mut all = Vec::new();
    for src in sources {
        all.extend(parse_certs(*src, Role::TrustAnchor)?);
    }
    all.sort_by(|a, b| (a.not_before(), a.not_after(), &a.der).cmp(&(b.not_before(), b.not_after(), &b.der)));
    all.dedup_by(|a, b| a.der == b.der);
    let mut out = String::new();
    for cert in &all {
        out.push_str(&encode("CERTIFICATE", &cert.der)?);
    }
    Ok(out)
}
