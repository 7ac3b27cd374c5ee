//! Findings that pass verification but want attention.

use std::fmt;

use super::Role;

/// Something that passes verification but wants attention.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// Expires within [`EXPIRY_WARNING_WINDOW`](super::EXPIRY_WARNING_WINDOW) of `now`.
    ExpiresSoon {
        /// The file concerned, named as given.
        file: String,
        /// What the file is for.
        role: Role,
        /// The certificate's subject.
        subject: String,
        /// End of the validity window (RFC 3339).
        not_after: String,
        /// Whole days until it expires.
        days_left: i64,
    },
    /// A trust anchor with pathlen 0 cannot have the issuer below it under strict
    /// RFC 5280 path validation (Linkerd itself does not enforce this).
    AnchorPathLenZero {
        /// The file concerned, named as given.
        file: String,
        /// The certificate's subject.
        subject: String,
    },
    /// The issuer's keyUsage lacks keyCertSign.
    IssuerKeyUsageLacksCertSign {
        /// The file concerned, named as given.
        file: String,
    },
    /// The issuer file holds more certificates than the issuer; only the first was checked.
    ExtraCertificates {
        /// The file concerned, named as given.
        file: String,
        /// How many further certificates were ignored.
        ignored: usize,
    },
    /// A trust-anchor rotation is under way; `steps_done` (1 or 2) of its 3 steps are done.
    AnchorRotationInProgress {
        /// The file concerned, named as given.
        file: String,
        /// How many of the 3 steps are done (1 or 2).
        steps_done: u8,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ExpiresSoon {
                file,
                role,
                subject,
                not_after,
                days_left,
            } => write!(
                f,
                "{file}: {role} `{subject}` expires on {not_after} ({days_left} days left). {}",
                role.remedy()
            ),
            Warning::AnchorPathLenZero { file, subject } => write!(
                f,
                "{file}: trust anchor `{subject}` has pathlen 0; strict verifiers reject the issuer below it. Prefer an anchor with pathlen 1 (`cargo xtask certs rotate-anchor`)"
            ),
            Warning::IssuerKeyUsageLacksCertSign { file } => write!(
                f,
                "{file}: issuer certificate's keyUsage lacks keyCertSign; strict verifiers reject workload certificates it signs. {}",
                Role::Issuer.remedy()
            ),
            Warning::ExtraCertificates { file, ignored } => write!(
                f,
                "{file}: holds {ignored} certificate(s) after the first; they were ignored (put anchors in the trust bundle instead)"
            ),
            Warning::AnchorRotationInProgress { file, steps_done } if *steps_done < 2 => write!(
                f,
                "{file}: trust-anchor rotation in progress (step 1 of 3 done): the bundle trusts the old and the new anchor, the issuer is still signed by the old one. Deploy the bundle and restart every meshed workload, then run `cargo xtask certs rotate-anchor issuer`"
            ),
            Warning::AnchorRotationInProgress { file, .. } => write!(
                f,
                "{file}: trust-anchor rotation in progress (step 2 of 3 done): the issuer is signed by the new anchor. Deploy it and wait until every proxy has a new certificate, then run `cargo xtask certs rotate-anchor finish`"
            ),
        }
    }
}
