//! Linkerd identity and webhook certificates: mint, load and verify, deterministically.
//!
//! * Every certificate is ECDSA P-256 signed with ecdsa-with-SHA256. Signatures use
//!   RFC 6979 deterministic nonces and serial numbers are derived from a SHA-256 hash of
//!   the subject public key, subject name and validity dates, so minting again from the
//!   same keys and dates gives byte-identical PEM.
//! * Nothing here reads the clock: validity windows and the `now` used for checks are
//!   explicit inputs. Only [`KeyPair::generate`] (and the helpers that call it) draws on
//!   OS randomness.
//! * Nothing here prints; problems come back as [`CertError`] / [`MintError`] /
//!   [`StoreError`] values (naming the file they concern) or as [`Warning`]s.
//! * [`CertStore`] is a certificate directory (`certs/`): its layout, loading, writing,
//!   and the operations of `cargo xtask certs` (init, import, check, issuer, webhook
//!   and trust-anchor rotation).

mod check;
mod error;
mod identity;
mod keys;
mod mint;
mod ops;
mod pem;
mod record;
pub(crate) mod store;
mod verify;
mod warning;
mod webhook;
mod x509;

#[cfg(test)]
mod tests;

/// The `time` crate this module's API uses, for callers without their own dependency on it.
pub use time;
use time::{Duration, OffsetDateTime};

pub use check::CheckReport;
pub use error::{CertError, MintError, Role};
pub(crate) use identity::{mint_identity, mint_issuer, mint_trust_anchor, IdentityParams};
pub use keys::KeyPair;
pub(crate) use ops::webhook_file;
pub use ops::{AnchorRotation, KeySource};
pub(crate) use record::ValidityRecord;
pub use record::{StoreSettings, DEFAULT_VIZ_NAMESPACE};
pub use store::{CertStore, StoreChange, StoreError};
pub(crate) use verify::{trust_bundle, verify_identity, verify_identity_certs};
pub use warning::Warning;
#[cfg(test)]
pub(crate) use webhook::WebhookCerts;
pub(crate) use webhook::{mint_webhook, verify_webhook};

/// Common name of the Linkerd trust anchor (`step certificate create root.linkerd.cluster.local`).
pub const TRUST_ANCHOR_CN: &str = "root.linkerd.cluster.local";
/// Default Linkerd control-plane namespace.
pub const DEFAULT_LINKERD_NAMESPACE: &str = "linkerd";
/// Default trust domain.
pub const DEFAULT_TRUST_DOMAIN: &str = "cluster.local";
/// Lifetime step uses for the trust anchor (`--not-after 87600h`).
pub const ANCHOR_LIFETIME: Duration = Duration::days(3650);
/// Lifetime step uses for the issuer (`--not-after 8760h`).
pub const ISSUER_LIFETIME: Duration = Duration::days(365);
/// Lifetime of webhook certificates (Linkerd's charts use 365 days).
pub const WEBHOOK_LIFETIME: Duration = Duration::days(365);
/// A certificate expiring within this window yields a [`Warning`] (as `linkerd check` does).
pub const EXPIRY_WARNING_WINDOW: Duration = Duration::days(60);
/// Services in the Linkerd namespace that serve admission webhooks.
pub const LINKERD_WEBHOOK_SERVICES: [&str; 3] = [
    "linkerd-proxy-injector",
    "linkerd-sp-validator",
    "linkerd-policy-validator",
];
/// Services in the viz namespace (default `linkerd-viz`) that serve webhooks / API services.
pub const VIZ_WEBHOOK_SERVICES: [&str; 2] = ["tap", "tap-injector"];

/// `identity.<namespace>.<trust domain>`, the issuer common name Linkerd expects.
#[must_use]
pub fn issuer_common_name(linkerd_namespace: &str, trust_domain: &str) -> String {
    format!("identity.{linkerd_namespace}.{trust_domain}")
}

/// `<service>.<namespace>.svc`, the DNS name the API server dials for a webhook.
#[must_use]
pub fn webhook_dns_name(service: &str, namespace: &str) -> String {
    format!("{service}.{namespace}.svc")
}

/// PEM text together with a label (normally the file path) used in error messages.
#[derive(Debug, Clone, Copy)]
pub struct PemSource<'a> {
    /// Names where the text came from, e.g. `certs/issuer.crt`.
    pub label: &'a str,
    /// The PEM text.
    pub text: &'a str,
}

impl<'a> PemSource<'a> {
    /// Pairs a label with PEM text.
    #[must_use]
    pub const fn new(label: &'a str, text: &'a str) -> Self {
        Self { label, text }
    }
}

/// A PEM-encoded certificate (one `CERTIFICATE` block, LF line endings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPem(String);

impl CertPem {
    /// The PEM text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Consumes the wrapper.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
    /// Borrows this certificate as a labelled [`PemSource`].
    #[must_use]
    pub fn source<'a>(&'a self, label: &'a str) -> PemSource<'a> {
        PemSource::new(label, &self.0)
    }
}

impl std::fmt::Display for CertPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validity window. Both ends are whole seconds in UTC (sub-second parts are dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Validity {
    /// A window from `not_before` to `not_after`; the end must come after the start and
    /// both must lie between 1970 and 9999.
    ///
    /// # Errors
    /// [`MintError::Validity`] when the window is empty or out of range.
    pub fn new(not_before: OffsetDateTime, not_after: OffsetDateTime) -> Result<Self, MintError> {
        let not_before = whole_seconds_utc(not_before);
        let not_after = whole_seconds_utc(not_after);
        if not_after <= not_before {
            return Err(MintError::Validity(format!(
                "not_after ({}) must be later than not_before ({})",
                rfc3339(not_after),
                rfc3339(not_before)
            )));
        }
        for t in [not_before, not_after] {
            if !(1970..=9999).contains(&t.year()) {
                return Err(MintError::Validity(format!(
                    "{} is outside the years 1970..=9999 that X.509 times can carry here",
                    rfc3339(t)
                )));
            }
        }
        Ok(Self { not_before, not_after })
    }

    /// A window starting at `start` and lasting `lifetime`.
    ///
    /// # Errors
    /// As [`Validity::new`]; also when `start + lifetime` overflows.
    pub fn starting_at(start: OffsetDateTime, lifetime: Duration) -> Result<Self, MintError> {
        let end = start
            .checked_add(lifetime)
            .ok_or_else(|| MintError::Validity(format!("{} plus {lifetime} overflows", rfc3339(start))))?;
        Self::new(start, end)
    }

    /// Parses both ends from RFC 3339 text, e.g. `2026-11-26T07:30:48Z`.
    ///
    /// # Errors
    /// [`MintError::Validity`] naming the text that did not parse.
    pub fn from_rfc3339(not_before: &str, not_after: &str) -> Result<Self, MintError> {
        Self::new(parse_rfc3339(not_before)?, parse_rfc3339(not_after)?)
    }

    /// Start of the window.
    #[must_use]
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of the window.
    #[must_use]
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
}

/// Parses an RFC 3339 time such as `2026-11-26T07:30:48Z`.
///
/// # Errors
/// [`MintError::Validity`] naming the text that did not parse.
pub fn parse_rfc3339(s: &str) -> Result<OffsetDateTime, MintError> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| MintError::Validity(format!("`{s}` is not an RFC 3339 time: {e}")))
}

fn whole_seconds_utc(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// RFC 3339 rendering for messages; falls back to the Unix timestamp.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("@{}", t.unix_timestamp()))
}
