//! Identity minting: trust anchor, issuer, issuer rotation.

use super::keys::KeyPem;
use super::mint::{build, key_identifier, to_pem, Issuing, Kind};
use super::x509::parse_certs;
use super::{
    issuer_common_name, CertError, CertPem, KeyPair, MintError, PemSource, Role, Validity, DEFAULT_LINKERD_NAMESPACE,
    DEFAULT_TRUST_DOMAIN, TRUST_ANCHOR_CN,
};

/// Mints the self-signed trust anchor `root.linkerd.cluster.local`: CA pathlen 1
/// (critical), keyUsage keyCertSign + cRLSign (critical), subject key identifier.
///
/// # Errors
/// [`MintError`] when encoding or signing fails.
pub(crate) fn mint_trust_anchor(key: &KeyPair, validity: &Validity) -> Result<CertPem, MintError> {
    to_pem(&build(TRUST_ANCHOR_CN, key, validity, Kind::Ca(1), None)?)
}

/// Mints an issuer (CA pathlen 0, keyUsage keyCertSign + cRLSign, SKI + AKI) for
/// `issuer_key`, signed by the anchor in `anchor` whose public key is `anchor_key`
/// (`anchor` may be a bundle: the matching anchor is picked).
///
/// # Errors
/// [`MintError::Load`] when no anchor in `anchor` matches `anchor_key` or the anchor is
/// unusable; [`MintError::Name`] for an unusable `common_name`.
pub(crate) fn mint_issuer(
    anchor: PemSource<'_>,
    anchor_key: &KeyPair,
    issuer_key: &KeyPair,
    common_name: &str,
    validity: &Validity,
) -> Result<CertPem, MintError> {
    let anchors = parse_certs(anchor, Role::TrustAnchor)?;
    let wanted = Some(anchor_key.verifying_key());
    let Some(signing) = anchors.iter().find(|a| a.p256_key() == wanted) else {
        return Err(CertError::KeyMismatch {
            file: anchor.label.to_owned(),
            role: Role::TrustAnchorKey,
            cert_file: anchor.label.to_owned(),
        }
        .into());
    };
    signing.check_algorithms(anchor.label, Role::TrustAnchor)?;
    if !signing.is_ca() {
        return Err(CertError::NotCa {
            file: anchor.label.to_owned(),
            role: Role::TrustAnchor,
            subject: signing.subject_display(),
        }
        .into());
    }
    let key_id = match signing.subject_key_id() {
        Some(id) => id,
        None => key_identifier(signing.cert.tbs_certificate().subject_public_key_info()),
    };
    let signer = Issuing {
        name: signing.cert.tbs_certificate().subject().clone(),
        key: anchor_key,
        key_id,
    };
    to_pem(&build(common_name, issuer_key, validity, Kind::Ca(0), Some(signer))?)
}

/// Inputs for minting a full identity (anchor + issuer).
#[derive(Debug, Clone)]
pub(crate) struct IdentityParams {
    /// Namespace of the control plane; the issuer is named for it.
    pub linkerd_namespace: String,
    /// Trust domain of the mesh identities.
    pub trust_domain: String,
    /// When the trust anchor is valid.
    pub anchor_validity: Validity,
    /// When the issuer is valid.
    pub issuer_validity: Validity,
}

impl IdentityParams {
    /// Default namespace (`linkerd`) and trust domain (`cluster.local`).
    #[must_use]
    pub(crate) fn new(anchor_validity: Validity, issuer_validity: Validity) -> Self {
        Self {
            linkerd_namespace: DEFAULT_LINKERD_NAMESPACE.to_owned(),
            trust_domain: DEFAULT_TRUST_DOMAIN.to_owned(),
            anchor_validity,
            issuer_validity,
        }
    }

    /// `identity.<namespace>.<trust domain>`.
    #[must_use]
    pub(crate) fn issuer_common_name(&self) -> String {
        issuer_common_name(&self.linkerd_namespace, &self.trust_domain)
    }
}

/// Trust anchor and issuer, each with its PKCS#8 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityMaterial {
    /// The trust anchor certificate.
    pub trust_anchor: CertPem,
    /// The trust anchor's PKCS#8 private key.
    pub trust_anchor_key: KeyPem,
    /// The issuer certificate, signed by the trust anchor.
    pub issuer: CertPem,
    /// The issuer's PKCS#8 private key.
    pub issuer_key: KeyPem,
}

/// Mints anchor and issuer from existing keys. Same keys and params give identical bytes.
///
/// # Errors
/// [`MintError`] when names, dates or encoding are unusable.
pub(crate) fn mint_identity(
    params: &IdentityParams,
    anchor_key: &KeyPair,
    issuer_key: &KeyPair,
) -> Result<IdentityMaterial, MintError> {
    let trust_anchor = mint_trust_anchor(anchor_key, &params.anchor_validity)?;
    let issuer = mint_issuer(
        trust_anchor.source("minted trust anchor"),
        anchor_key,
        issuer_key,
        &params.issuer_common_name(),
        &params.issuer_validity,
    )?;
    Ok(IdentityMaterial {
        trust_anchor,
        trust_anchor_key: anchor_key.to_pkcs8_pem()?,
        issuer,
        issuer_key: issuer_key.to_pkcs8_pem()?,
    })
}
