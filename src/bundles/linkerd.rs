//! Derived facts of the Linkerd bundles: image names, identity names, and the
//! certificate material read from the cert store (`certs/`).

use indexmap::IndexMap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::certs::store::{ISSUER_CRT, ISSUER_KEY};
use crate::certs::{webhook_file, CertStore, LINKERD_WEBHOOK_SERVICES};
use crate::error::{Error, Result};
use crate::values::linkerd::{IssuerScheme, Linkerd};
use crate::values::Values;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// `<registry>/controller:<version>` and so on.
    pub images: Images,
    /// `identity.<namespace>.<trustDomain>`: the issuer's name and the identity service's.
    pub identity_suffix: String,
    /// The trust anchors (a bundle of two during an anchor rotation), PEM.
    pub trust_anchors_pem: String,
    /// sha256 of `trustAnchorsPem`; pods carry it so they restart when the anchors change.
    pub trust_root_sha256: String,
    /// The issuer certificate (PEM); `None` with an external issuer (kubernetes.io/tls).
    pub issuer_crt_pem: Option<String>,
    /// The issuer key (PEM), only when the scheme is linkerd.io/tls and the key file
    /// is present on this machine; the Secret holding it goes to secrets/.
    pub issuer_key_pem: Option<String>,
    /// Per webhook service: its CA (`caBundle`), serving certificate and key.
    pub webhooks: IndexMap<String, WebhookTls>,
    /// A daily schedule for the heartbeat CronJob, derived from the trust anchor so
    /// that it is stable across renders yet differs between clusters.
    pub heartbeat_schedule: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Images {
    pub controller: String,
    pub proxy: String,
    pub debug: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTls {
    pub ca_bundle: String,
    pub crt_pem: String,
    /// Present only where the key file is (never in a fresh clone).
    pub key_pem: Option<String>,
}

impl View {
    pub fn new(values: &Values, certs: &CertStore) -> Result<Self> {
        let l: &Linkerd = &values.linkerd;
        let image = |name: &str| format!("{}/{name}:{}", l.registry, l.version);
        let missing = |file: String| Error::Certs {
            message: format!("{file} is missing"),
            help: "run `cargo xtask certs init` to mint certificates, or `cargo xtask certs import` to bring your own"
                .into(),
        };
        let anchors = certs.trust_anchors().ok_or_else(|| missing(certs.label("ca.crt")))?;
        let trust_anchors_pem = anchors.text.to_string();
        let digest = Sha256::digest(trust_anchors_pem.as_bytes());
        let trust_root_sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();

        let external = l.identity.issuer.scheme == IssuerScheme::KubernetesTls;
        let issuer_crt_pem = match external {
            true => None,
            false => Some(
                certs
                    .get(ISSUER_CRT)
                    .ok_or_else(|| missing(certs.label(ISSUER_CRT)))?
                    .to_string(),
            ),
        };
        let issuer_key_pem = match external {
            true => None,
            false => certs.get(ISSUER_KEY).map(str::to_string),
        };

        let mut webhooks = IndexMap::new();
        for service in LINKERD_WEBHOOK_SERVICES {
            let file = |suffix: &str| webhook_file(service, suffix);
            let ca = certs
                .get(&file("-ca.crt"))
                .ok_or_else(|| missing(certs.label(&file("-ca.crt"))))?;
            let crt = certs
                .get(&file(".crt"))
                .ok_or_else(|| missing(certs.label(&file(".crt"))))?;
            let key = certs.get(&file(".key")).map(str::to_string);
            webhooks.insert(
                service.to_string(),
                WebhookTls {
                    ca_bundle: ca.to_string(),
                    crt_pem: crt.to_string(),
                    key_pem: key,
                },
            );
        }
        Ok(Self {
            images: Images {
                controller: image("controller"),
                proxy: image("proxy"),
                debug: image("debug"),
            },
            identity_suffix: format!("identity.{}.{}", l.namespace, l.trust_domain),
            heartbeat_schedule: heartbeat_schedule(&digest),
            trust_anchors_pem,
            trust_root_sha256,
            issuer_crt_pem,
            issuer_key_pem,
            webhooks,
        })
    }

    /// True when every private key a Secret needs is present on this machine.
    pub fn keys_present(&self) -> bool {
        self.webhooks.values().all(|w| w.key_pem.is_some())
            && (self.issuer_crt_pem.is_none() || self.issuer_key_pem.is_some())
    }
}

/// `M H * * *`: once a day at a minute picked by the trust anchor's digest.
fn heartbeat_schedule(digest: &[u8]) -> String {
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    format!("{} {} * * *", n % 60, (n / 60) % 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_schedule_is_a_valid_daily_cron() {
        for seed in [[0u8; 32], [255u8; 32], [7u8; 32]] {
            let s = heartbeat_schedule(&seed);
            let parts: Vec<&str> = s.split(' ').collect();
            assert_eq!(parts.len(), 5, "{s}");
            assert!(parts[0].parse::<u32>().is_ok_and(|m| m < 60), "{s}");
            assert!(parts[1].parse::<u32>().is_ok_and(|h| h < 24), "{s}");
            assert_eq!(&parts[2..], ["*", "*", "*"]);
        }
        assert_ne!(heartbeat_schedule(&[1u8; 32]), heartbeat_schedule(&[2u8; 32]));
    }
}
