//! `certManager`: cert-manager renews the identity issuer and every webhook
//! certificate inside the cluster, as Linkerd's "Automatically Rotating Control Plane
//! TLS Credentials" and "... Webhook TLS Credentials" set it up. Only the trust anchor
//! stays meshgen's to mint and to rotate.

use serde::{Deserialize, Serialize};

use super::Problems;
use crate::api_rules;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// cert-manager issues the identity issuer and the webhook certificates.
pub struct CertManager {
    /// Renders cert-manager's Issuers and Certificates, the identity issuer with
    /// `kubernetes.io/tls`, and the webhooks with `cert-manager.io/inject-ca-from`;
    /// meshgen then renders no private key but the trust anchor's Secret
    /// (`cargo xtask certs trust-anchor-secret`). cert-manager must be installed first.
    pub enabled: bool,
    /// The identity issuer's certificate, which cert-manager signs with the trust anchor.
    pub identity_issuer: Lifetime,
    /// Each namespace's webhook CA, which cert-manager signs itself.
    pub webhook_ca: Lifetime,
    /// The webhooks' serving certificates, which that CA signs.
    pub webhooks: Lifetime,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// How long a certificate is valid, and how long before its end cert-manager renews it.
pub struct Lifetime {
    /// A Go duration, such as `48h`.
    pub duration: String,
    /// A Go duration shorter than `duration`, such as `25h`.
    pub renew_before: String,
}

impl CertManager {
    pub(crate) fn validate(&self, p: &mut Problems) {
        for (key, lifetime) in [
            ("certManager.identityIssuer", &self.identity_issuer),
            ("certManager.webhookCa", &self.webhook_ca),
            ("certManager.webhooks", &self.webhooks),
        ] {
            lifetime.validate(key, p);
        }
    }
}

impl Lifetime {
    fn validate(&self, at: &str, p: &mut Problems) {
        let duration = api_rules::duration(&self.duration);
        let renew_before = api_rules::duration(&self.renew_before);
        p.check(&format!("{at}.duration"), duration.clone());
        p.check(&format!("{at}.renewBefore"), renew_before.clone());
        if duration.is_err() || renew_before.is_err() {
            return;
        }
        let parsed = |s: &str| s.parse::<kube_core::Duration>().ok().map(std::time::Duration::from);
        if let (Some(d), Some(r)) = (parsed(&self.duration), parsed(&self.renew_before)) {
            if r >= d {
                p.add(
                    &format!("{at}.renewBefore"),
                    &format!(
                        "{} is not shorter than the duration, {}: cert-manager would renew the certificate as soon as it issued it",
                        self.renew_before, self.duration
                    ),
                    "give a renewBefore shorter than duration, such as 25h for a 48h certificate",
                );
            }
        }
    }
}
