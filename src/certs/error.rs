//! Error types. Every [`CertError`] names the file (label) it concerns and says what to
//! do about it.

use std::fmt;

/// What a piece of PEM is supposed to be; used to word messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// A trust anchor (root) certificate; a bundle may hold several.
    TrustAnchor,
    /// The identity issuer certificate.
    Issuer,
    /// The identity issuer's private key.
    IssuerKey,
    /// A trust anchor's private key (when minting an issuer).
    TrustAnchorKey,
    /// Any other private key (keys read on their own).
    Key,
    /// A webhook's own CA certificate (its `caBundle`).
    WebhookCa,
    /// A webhook's serving certificate.
    WebhookCert,
    /// A webhook's serving key or CA key.
    WebhookKey,
}

impl Role {
    /// The fix we suggest when this piece is unusable.
    #[must_use]
    pub fn remedy(self) -> &'static str {
        match self {
            Role::TrustAnchor | Role::TrustAnchorKey => {
                "Run `cargo xtask certs rotate-anchor start` (library: `CertStore::start_anchor_rotation`) or import a P-256 trust anchor"
            }
            Role::Issuer | Role::IssuerKey => {
                "Run `cargo xtask certs rotate-issuer` (library: `CertStore::rotate_issuer`) or import a P-256 issuer"
            }
            Role::Key => "Generate a new P-256 key or import a P-256 key",
            Role::WebhookCa | Role::WebhookCert | Role::WebhookKey => {
                "Run `cargo xtask certs renew-webhooks` (library: `CertStore::renew_webhooks`)"
            }
        }
    }

    /// What to do when the file for this role is missing.
    #[must_use]
    pub fn missing_hint(self) -> &'static str {
        match self {
            Role::TrustAnchor => "Run `cargo xtask certs init`, or `cargo xtask certs import` an identity",
            Role::TrustAnchorKey => {
                "The trust anchor key is not in this directory (an imported identity keeps it elsewhere): mint the issuer where the key is and `cargo xtask certs import` it, or start an anchor rotation (`cargo xtask certs rotate-anchor start`)"
            }
            Role::Issuer | Role::IssuerKey => {
                "Run `cargo xtask certs rotate-issuer`, or `cargo xtask certs import` an identity"
            }
            other => other.remedy(),
        }
    }

    pub(crate) fn pem_label(self) -> &'static str {
        match self {
            Role::TrustAnchor | Role::Issuer | Role::WebhookCa | Role::WebhookCert => "CERTIFICATE",
            Role::IssuerKey | Role::TrustAnchorKey | Role::Key | Role::WebhookKey => "PRIVATE KEY",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::TrustAnchor => "trust anchor",
            Role::Issuer => "issuer certificate",
            Role::IssuerKey => "issuer key",
            Role::TrustAnchorKey => "trust anchor key",
            Role::Key => "private key",
            Role::WebhookCa => "webhook CA certificate",
            Role::WebhookCert => "webhook serving certificate",
            Role::WebhookKey => "webhook key",
        })
    }
}

/// Why certificates or keys could not be loaded or did not pass verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// A file the directory needs is not there.
    #[error("{file}: the {role} is missing. {}", .role.missing_hint())]
    MissingFile {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
    },
    /// The text holds no PEM block at all.
    #[error("{file}: no PEM data found; expected the {role} as a `-----BEGIN {}-----` block", .role.pem_label())]
    EmptyPem {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
    },
    /// The text is not PEM, holds the wrong kind of block, or its DER does not decode.
    #[error("{file}: {role} could not be read: {detail}. {}", .role.remedy())]
    MalformedPem {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// What went wrong.
        detail: String,
    },
    /// The key is not ECDSA P-256 (`found` names what it is).
    #[error("{file}: {role} uses {found}; Linkerd needs ECDSA P-256. {}", .role.remedy())]
    UnsupportedKeyAlgorithm {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// What was found instead.
        found: String,
    },
    /// The certificate's signature algorithm is not ecdsa-with-SHA256.
    #[error("{file}: {role} is signed with {found}; Linkerd needs ecdsa-with-SHA256. {}", .role.remedy())]
    UnsupportedSignatureAlgorithm {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// What was found instead.
        found: String,
    },
    /// basicConstraints CA:TRUE is missing.
    #[error("{file}: {role} `{subject}` is not a CA certificate (basicConstraints CA:TRUE is missing), so it cannot sign certificates. {}", .role.remedy())]
    NotCa {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// The certificate's subject.
        subject: String,
    },
    /// The private key is not the one the certificate was issued for.
    #[error("{file}: this {role} does not belong to the certificate in {cert_file} (their public keys differ); pass the key minted together with that certificate. {}", .role.remedy())]
    KeyMismatch {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// The certificate file it was checked against.
        cert_file: String,
    },
    /// The issuer's common name is not `identity.<namespace>.<trust domain>`.
    #[error("{file}: issuer certificate is named `{found}` but Linkerd expects `{expected}` (identity.<linkerd namespace>.<trust domain>); re-mint the issuer with that name, or fix the namespace / trust domain settings")]
    IssuerNameMismatch {
        /// The file concerned, named as given.
        file: String,
        /// What was expected.
        expected: String,
        /// What was found instead.
        found: String,
    },
    /// `now` is before notBefore.
    #[error("{file}: {role} `{subject}` is not valid until {not_before} (checked at {now}); wait, fix the clock, or re-mint it with an earlier start")]
    NotYetValid {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// The certificate's subject.
        subject: String,
        /// Start of the validity window (RFC 3339).
        not_before: String,
        /// When it was checked (RFC 3339).
        now: String,
    },
    /// `now` is after notAfter.
    #[error("{file}: {role} `{subject}` expired on {not_after} (checked at {now}). {}", .role.remedy())]
    Expired {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// The certificate's subject.
        subject: String,
        /// End of the validity window (RFC 3339).
        not_after: String,
        /// When it was checked (RFC 3339).
        now: String,
    },
    /// No anchor in the bundle signed the issuer.
    #[error("{file}: issuer certificate is not signed by any trust anchor in {anchors_file}: {reason}. Re-mint the issuer from one of those anchors (`cargo xtask certs rotate-issuer`), or add the anchor that signed it to the trust bundle")]
    NotSignedByAnchor {
        /// The file concerned, named as given.
        file: String,
        /// The trust-anchor file.
        anchors_file: String,
        /// Why verification failed.
        reason: String,
    },
    /// A webhook serving certificate is not for the service's DNS name.
    #[error("{file}: webhook serving certificate is for {found} but the API server dials `{expected}`. {}", Role::WebhookCert.remedy())]
    WebhookNameMismatch {
        /// The file concerned, named as given.
        file: String,
        /// What was expected.
        expected: String,
        /// What was found instead.
        found: String,
    },
    /// A webhook serving certificate was not signed by the webhook's CA.
    #[error("{file}: webhook serving certificate is not signed by the CA in {ca_file}, so the API server will reject it. {}", Role::WebhookCert.remedy())]
    NotSignedByCa {
        /// The file concerned, named as given.
        file: String,
        /// The CA certificate's file.
        ca_file: String,
    },
    /// During an anchor rotation the bundle must keep trusting the current anchor.
    #[error("{file}: the trust bundle does not hold the trust anchor in {anchor_file}; workloads would stop trusting each other. Rebuild the bundle with both anchors, or finish the rotation (`cargo xtask certs rotate-anchor finish`)")]
    AnchorNotInBundle {
        /// The file concerned, named as given.
        file: String,
        /// The trust anchor's file.
        anchor_file: String,
    },
    /// `validity.yaml` records other dates than the certificate carries.
    #[error("{file}: records {recorded} for {cert_file}, but the certificate carries {actual}; a certificate was replaced without `cargo xtask certs`. Re-run the command that mints it (or `import` it), so the record is rewritten")]
    RecordMismatch {
        /// The file concerned, named as given.
        file: String,
        /// The certificate file it was checked against.
        cert_file: String,
        /// The window `validity.yaml` records.
        recorded: String,
        /// The window the certificate carries.
        actual: String,
    },
}

/// Why minting failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The validity window is unusable.
    #[error("invalid validity window: {0}")]
    Validity(String),
    /// A name cannot be encoded.
    #[error("invalid name `{name}`: {detail}")]
    Name {
        /// The name that was refused.
        name: String,
        /// What went wrong.
        detail: String,
    },
    /// The OS random source failed.
    #[error("could not generate a P-256 key from OS randomness: {0}")]
    KeyGeneration(String),
    /// DER/PEM encoding failed.
    #[error("could not encode {what}: {detail}")]
    Encoding {
        /// What was being encoded.
        what: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// ECDSA signing failed.
    #[error("ECDSA signing failed: {0}")]
    Signing(String),
    /// The signing certificate or key given to a mint function was unusable.
    #[error(transparent)]
    Load(#[from] CertError),
}
