//! `cargo xtask certs check`: verifies everything in a [`CertStore`] at a given instant.

use time::OffsetDateTime;

use super::ops::{webhook_file, AnchorRotation};
use super::store::{CA_BUNDLE, CA_CRT, CA_KEY, ISSUER_CRT, ISSUER_KEY, VALIDITY_FILE};
use super::verify::{first_cert, key_matches_any};
use super::x509::parse_certs;
use super::{rfc3339, verify_identity, verify_identity_certs, verify_webhook, CertError, CertStore, Role, Warning};

/// What [`CertStore::check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Problems that make the certificates unusable; each names its file.
    pub errors: Vec<CertError>,
    /// Findings that pass but want attention (expiry within 60 days, rotation under way).
    pub warnings: Vec<Warning>,
    /// Labels of the key files that are absent (they are gitignored, so a fresh checkout
    /// has none); the checks that need them were skipped.
    pub keys_absent: Vec<String>,
}

impl CheckReport {
    /// No errors.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl CertStore {
    /// Verifies, at `now`, every certificate present: the identity (trust anchors —
    /// `ca-bundle.crt` during a rotation, else `ca.crt` — issuer, issuer key, `ca.key`),
    /// each webhook's CA, serving certificate and keys, and `validity.yaml` against the
    /// certificates. Keys are checked when present. A store without certificates is an
    /// error.
    #[must_use]
    pub fn check(&self, now: OffsetDateTime) -> CheckReport {
        let mut report = CheckReport::default();
        if self.certificates().is_empty() {
            report.errors.push(CertError::MissingFile {
                file: self.label(CA_CRT),
                role: Role::TrustAnchor,
            });
            return report;
        }
        // A store of the trust anchor alone is cert-manager mode's: cert-manager issues
        // the issuer and the webhook certificates in the cluster, so none is demanded
        // (a render that needs them still fails, naming the missing file).
        if self.is_anchor_only() {
            let anchors = self.trust_anchors().or_else(|| self.source(CA_CRT));
            match anchors.map(|a| super::verify::verify_anchors(a, now)) {
                Some(Ok(warnings)) => report.warnings.extend(warnings),
                Some(Err(e)) => report.errors.push(e),
                None => {}
            }
            self.note_absent_key(CA_KEY, &mut report);
            self.check_record(&mut report);
            return report;
        }
        if [CA_CRT, CA_BUNDLE, ISSUER_CRT].iter().any(|f| self.get(f).is_some()) {
            self.check_identity(now, &mut report);
        }
        // Every webhook a render serves, whether or not its files are here: a missing
        // one fails the render, so it fails the check too.
        let mut services = self.webhook_services();
        for (service, _) in self.settings().webhooks() {
            if !services.iter().any(|s| s == service) {
                services.push(service.to_owned());
            }
        }
        for service in services {
            self.check_webhook(&service, now, &mut report);
        }
        self.check_record(&mut report);
        report
    }

    /// A trust anchor, and neither an issuer certificate nor any webhook file.
    fn is_anchor_only(&self) -> bool {
        self.get(CA_CRT).is_some() && self.get(ISSUER_CRT).is_none() && self.webhook_services().is_empty()
    }

    fn check_identity(&self, now: OffsetDateTime, report: &mut CheckReport) {
        let result: Result<Vec<Warning>, CertError> = (|| {
            let anchors = self.require(CA_CRT, Role::TrustAnchor)?;
            let bundle = self.trust_anchors().unwrap_or(anchors);
            let issuer = self.require(ISSUER_CRT, Role::Issuer)?;
            let cn = self.settings().issuer_common_name();
            let warnings = match self.source(ISSUER_KEY) {
                Some(key) => verify_identity(bundle, issuer, key, &cn, now)?,
                None => verify_identity_certs(bundle, issuer, &cn, now)?,
            };
            if let Some(bundle) = self.source(CA_BUNDLE) {
                let held = parse_certs(bundle, Role::TrustAnchor)?;
                for anchor in parse_certs(anchors, Role::TrustAnchor)? {
                    if !held.iter().any(|h| h.der == anchor.der) {
                        return Err(CertError::AnchorNotInBundle {
                            file: bundle.label.to_owned(),
                            anchor_file: anchors.label.to_owned(),
                        });
                    }
                }
            }
            Ok(warnings)
        })();
        match result {
            Ok(warnings) => report.warnings.extend(warnings),
            Err(e) => report.errors.push(e),
        }
        self.note_absent_key(ISSUER_KEY, report);
        if let (Some(anchors), Some(key)) = (self.source(CA_CRT), self.source(CA_KEY)) {
            if let Err(e) = key_matches_any(anchors, Role::TrustAnchor, key, Role::TrustAnchorKey) {
                report.errors.push(e);
            }
        }
        self.note_absent_key(CA_KEY, report);
        match self.anchor_rotation() {
            Ok(AnchorRotation::NotStarted) | Err(_) => {}
            Ok(state) => report.warnings.push(Warning::AnchorRotationInProgress {
                file: self.label(CA_BUNDLE),
                steps_done: if state == AnchorRotation::NewAnchorTrusted {
                    1
                } else {
                    2
                },
            }),
        }
    }

    fn check_webhook(&self, service: &str, now: OffsetDateTime, report: &mut CheckReport) {
        let (ca_file, cert_file, key_file, ca_key_file) = (
            webhook_file(service, "-ca.crt"),
            webhook_file(service, ".crt"),
            webhook_file(service, ".key"),
            webhook_file(service, "-ca.key"),
        );
        let result: Result<Vec<Warning>, CertError> = (|| {
            let ca = self.require(&ca_file, Role::WebhookCa)?;
            let cert = self.require(&cert_file, Role::WebhookCert)?;
            let dns = self.settings().webhook_dns_name(service);
            let warnings = verify_webhook(ca, cert, self.source(&key_file), &dns, now)?;
            if let Some(ca_key) = self.source(&ca_key_file) {
                key_matches_any(ca, Role::WebhookCa, ca_key, Role::WebhookKey)?;
            }
            Ok(warnings)
        })();
        match result {
            Ok(warnings) => report.warnings.extend(warnings),
            Err(e) => report.errors.push(e),
        }
        // Keys matter only beside their certificates.
        if self.get(&cert_file).is_some() {
            self.note_absent_key(&key_file, report);
            self.note_absent_key(&ca_key_file, report);
        }
    }

    fn note_absent_key(&self, file: &str, report: &mut CheckReport) {
        if self.get(file).is_none() {
            report.keys_absent.push(self.label(file));
        }
    }

    /// Each recorded window must be the one the certificate carries.
    fn check_record(&self, report: &mut CheckReport) {
        for (file, window) in &self.record().windows {
            let Some(src) = self.source(file) else {
                continue;
            };
            let Ok((cert, _)) = first_cert(src, Role::Key) else {
                continue; // reported by the checks above
            };
            let (recorded, actual) = (
                (window.not_before(), window.not_after()),
                (cert.not_before(), cert.not_after()),
            );
            if recorded != actual {
                let show = |(a, b)| format!("{} to {}", rfc3339(a), rfc3339(b));
                report.errors.push(CertError::RecordMismatch {
                    file: self.label(VALIDITY_FILE),
                    cert_file: src.label.to_owned(),
                    recorded: show(recorded),
                    actual: show(actual),
                });
            }
        }
    }
}
