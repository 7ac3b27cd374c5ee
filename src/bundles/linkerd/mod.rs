//! Derived facts of the Linkerd bundles: image names, identity names, service
//! addresses, the high-availability settings, and the certificate material read
//! from the cert store (`certs/`). Templates own the shape of each object; this
//! module owns the rules that several objects must agree on.
//!
//! This file holds the top-level `View`: image names, the identity suffix, the
//! certificate material and the digests derived from it. What the control plane's
//! proxies share is in `proxy.rs`; replicas, disruption budgets and resources (normal
//! or HA mode) are in `resources.rs`.

mod proxy;
mod resources;

pub(crate) use proxy::ProxyView;
pub(crate) use resources::container_resources;
pub(crate) use resources::{ChartResources, Controllers};

use base64ct::{Base64, Encoding};
use indexmap::IndexMap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::tracing;
use super::SkippedSecret;
use crate::certs::store::{CA_CRT, ISSUER_CRT, ISSUER_KEY};
use crate::certs::{issuer_common_name, webhook_file, CertStore, Role, LINKERD_WEBHOOK_SERVICES};
use crate::digest::hex;
use crate::error::Result;
use crate::values::linkerd::{IssuerScheme, Linkerd};
use crate::values::Values;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    /// `<registry>/controller:<version>` and so on.
    pub images: Images,
    /// `identity.<namespace>.<trustDomain>`: the issuer's name and the identity service's.
    pub identity_suffix: String,
    /// The value of every `linkerd.io/created-by` annotation.
    pub created_by: String,
    /// The trust anchors (a bundle of two during an anchor rotation), PEM.
    pub trust_anchors_pem: String,
    /// sha256 of `trustAnchorsPem`; pods carry it so they restart when the anchors change.
    pub trust_root_sha256: String,
    /// The issuer certificate (PEM); `None` with an external issuer (kubernetes.io/tls).
    pub issuer_crt_pem: Option<String>,
    /// The issuer key (PEM), only when the scheme is linkerd.io/tls and the key file
    /// is present on this machine; the Secret holding it goes to secrets/.
    pub issuer_key_pem: Option<String>,
    /// Base64 of the trimmed issuer certificate and key: the Secret's `crt.pem` / `key.pem`.
    pub issuer_crt_b64: Option<String>,
    pub issuer_key_b64: Option<String>,
    /// Per webhook service: its CA (`caBundle`), serving certificate and key.
    pub webhooks: IndexMap<String, WebhookTls>,
    /// Digests of the public webhook certificates each controller serves with, so that
    /// its pods restart when those certificates are rotated (`checksum/config`).
    pub checksums: Checksums,
    /// A daily schedule for the heartbeat CronJob, derived from the trust anchor so
    /// that it is stable across renders yet differs between clusters.
    pub heartbeat_schedule: String,
    /// What every linkerd-proxy of the control plane shares.
    pub proxy: ProxyView,
    /// `-trace-collector` of the controllers; `None` with tracing off.
    pub controller_trace_collector: Option<String>,
    /// The tracing settings as linkerd-config's values record them.
    pub tracing: ConfigTracing,
    /// Replicas, disruption budgets, affinity, resources: normal or HA mode.
    pub controllers: Controllers,
    /// The Secrets this render leaves out because their key files are absent.
    #[serde(skip)]
    pub skipped_secrets: Vec<SkippedSecret>,
}

/// linkerd-config's `controller.tracing` and `proxy.tracing`: the collector derived
/// from the `tracing` values, or, with tracing off, the chart's defaults (empty
/// strings and `enabled: false`), as `linkerd install` writes them.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfigTracing {
    pub enabled: bool,
    pub endpoint: String,
    pub service_account_name: String,
    pub namespace: String,
}

impl ConfigTracing {
    fn new(collector: Option<&tracing::ControlPlane>) -> Self {
        collector.map_or_else(Self::default, |c| Self {
            enabled: true,
            endpoint: c.endpoint.clone(),
            service_account_name: c.service_account.clone(),
            namespace: c.namespace.clone(),
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Images {
    pub controller: String,
    pub proxy: String,
    pub debug: String,
    /// The same without the tag, as linkerd-config's values record them.
    pub controller_name: String,
    pub proxy_name: String,
    pub debug_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookTls {
    pub ca_bundle: String,
    /// Base64 of the trimmed CA PEM: the webhook configuration's `caBundle`.
    pub ca_bundle_b64: String,
    pub crt_pem: String,
    /// Base64 of the trimmed serving certificate: the Secret's `tls.crt`.
    pub crt_b64: String,
    /// Present only where the key file is (never in a fresh clone).
    pub key_pem: Option<String>,
    /// Base64 of the trimmed key: the Secret's `tls.key`.
    pub key_b64: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Checksums {
    /// The sp-validator and policy-validator certificates.
    pub destination: String,
    pub proxy_injector: String,
}

impl WebhookTls {
    /// The CA, serving certificate and (where present) key of each of `services`,
    /// read from the store's `webhooks/` folder.
    pub(crate) fn load_all(certs: &CertStore, services: &[&str]) -> Result<IndexMap<String, WebhookTls>> {
        let mut webhooks = IndexMap::new();
        for service in services {
            let file = |suffix: &str| webhook_file(service, suffix);
            let ca = certs.require(&file("-ca.crt"), Role::WebhookCa)?.text;
            let crt = certs.require(&file(".crt"), Role::WebhookCert)?.text;
            let key = certs.get(&file(".key")).map(str::to_string);
            webhooks.insert(
                service.to_string(),
                WebhookTls {
                    ca_bundle: ca.to_string(),
                    ca_bundle_b64: b64(ca),
                    crt_pem: crt.to_string(),
                    crt_b64: b64(crt),
                    key_b64: key.as_deref().map(b64),
                    key_pem: key,
                },
            );
        }
        Ok(webhooks)
    }

    /// The `<service>-k8s-tls` Secrets of `webhooks` that lack their key here.
    pub(crate) fn skipped(
        webhooks: &IndexMap<String, WebhookTls>,
        certs: &CertStore,
        namespace: &str,
        bundle: &str,
    ) -> Vec<SkippedSecret> {
        (webhooks.iter())
            .filter(|(_, tls)| tls.key_pem.is_none())
            .map(|(service, _)| SkippedSecret {
                secret: format!("{namespace}/{service}-k8s-tls"),
                key_file: certs.label(&webhook_file(service, ".key")),
                bundle: bundle.to_string(),
            })
            .collect()
    }
}

impl View {
    /// sha256 of the trust bundle and the issuer certificate: what a meshed pod must
    /// restart for (see `crate::rollout`). With an external issuer, the bundle alone.
    pub(crate) fn identity_sha256(&self) -> String {
        let mut both = self.trust_anchors_pem.clone();
        both.push_str(self.issuer_crt_pem.as_deref().unwrap_or_default());
        hex(&Sha256::digest(both.as_bytes()))
    }

    pub(crate) fn new(values: &Values, certs: &CertStore) -> Result<Self> {
        let l: &Linkerd = &values.linkerd;
        let anchors = match certs.trust_anchors() {
            Some(anchors) => anchors,
            None => certs.require(CA_CRT, Role::TrustAnchor)?,
        };
        let trust_anchors_pem = anchors.text.to_string();
        let digest = Sha256::digest(trust_anchors_pem.as_bytes());
        let trust_root_sha256 = hex(&digest);

        let external = l.identity.issuer.scheme == IssuerScheme::KubernetesTls;
        let issuer_crt_pem = match external {
            true => None,
            false => Some(certs.require(ISSUER_CRT, Role::Issuer)?.text.to_string()),
        };
        let issuer_key_pem = match external {
            true => None,
            false => certs.get(ISSUER_KEY).map(str::to_string),
        };

        let mut skipped_secrets = Vec::new();
        if !external && issuer_key_pem.is_none() {
            skipped_secrets.push(SkippedSecret {
                secret: format!("{}/linkerd-identity-issuer", l.namespace),
                key_file: certs.label(ISSUER_KEY),
                bundle: "linkerd".to_string(),
            });
        }
        // With cert-manager, the webhooks' certificates are issued in the cluster.
        let webhooks = match values.cert_manager.enabled {
            true => IndexMap::new(),
            false => WebhookTls::load_all(certs, &LINKERD_WEBHOOK_SERVICES)?,
        };
        skipped_secrets.extend(WebhookTls::skipped(&webhooks, certs, &l.namespace, "linkerd"));
        let checksums = Checksums {
            destination: webhook_checksum(&webhooks, &["linkerd-sp-validator", "linkerd-policy-validator"]),
            proxy_injector: webhook_checksum(&webhooks, &["linkerd-proxy-injector"]),
        };

        let identity_suffix = issuer_common_name(&l.namespace, &l.trust_domain);
        let collector = tracing::control_plane(values);
        let image_name = |name: &str| format!("{}/{name}", l.registry);
        let tagged = |name: &str| format!("{}:{}", image_name(name), l.version);
        Ok(Self {
            images: Images {
                controller: tagged("controller"),
                proxy: tagged("proxy"),
                debug: tagged("debug"),
                controller_name: image_name("controller"),
                proxy_name: image_name("proxy"),
                debug_name: image_name("debug"),
            },
            created_by: crate::crds::created_by(&l.version),
            heartbeat_schedule: heartbeat_schedule(&digest),
            proxy: ProxyView::new(values, &identity_suffix, collector.as_ref()),
            controller_trace_collector: collector.as_ref().map(|c| c.endpoint.clone()),
            tracing: ConfigTracing::new(collector.as_ref()),
            controllers: Controllers::new(l.high_availability),
            identity_suffix,
            trust_anchors_pem,
            trust_root_sha256,
            issuer_crt_b64: issuer_crt_pem.as_deref().map(b64),
            issuer_key_b64: issuer_key_pem.as_deref().map(b64),
            issuer_crt_pem,
            issuer_key_pem,
            webhooks,
            checksums,
            skipped_secrets,
        })
    }
}

/// Base64 of a PEM without its surrounding blanks, as the chart's `b64enc (trim ...)`.
fn b64(pem: &str) -> String {
    Base64::encode_string(pem.trim().as_bytes())
}

/// sha256 over the public certificates (CA and serving certificate) of `services`.
/// Keys are left out so that the committed output is the same with or without them.
pub(crate) fn webhook_checksum(webhooks: &IndexMap<String, WebhookTls>, services: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for service in services {
        if let Some(w) = webhooks.get(*service) {
            hasher.update(w.ca_bundle.as_bytes());
            hasher.update(w.crt_pem.as_bytes());
        }
    }
    hex(&hasher.finalize())
}

/// `M H * * *`: once a day at a minute picked by the trust anchor's digest.
fn heartbeat_schedule(digest: &[u8]) -> String {
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    format!("{} {} * * *", n % 60, (n / 60) % 24)
}

/// Helpers shared by the unit tests of this module and its children.
#[cfg(test)]
mod test_support {
    use super::*;
    use crate::test_support::values;

    fn test_certs() -> CertStore {
        crate::load_certs(camino::Utf8Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/store"
        )))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(super) fn view(overlay: &str) -> View {
        View::new(&values(overlay), &test_certs()).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::view;
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

    #[test]
    fn base64_is_of_the_trimmed_pem() {
        assert_eq!(b64("  abc\n\n"), "YWJj");
        let v = view("");
        let hook = &v.webhooks["linkerd-proxy-injector"];
        let decoded = Base64::decode_vec(&hook.ca_bundle_b64).expect("valid base64");
        assert_eq!(decoded, hook.ca_bundle.trim().as_bytes());
        let crt = Base64::decode_vec(v.issuer_crt_b64.as_deref().expect("issuer crt")).expect("valid base64");
        assert_eq!(crt, v.issuer_crt_pem.as_deref().expect("issuer crt").trim().as_bytes());
    }

    #[test]
    fn registry_replaces_the_image_prefix() {
        let v = view("linkerd: {registry: myregistry.azurecr.io/linkerd, version: edge-1.2.3}");
        assert_eq!(v.images.proxy, "myregistry.azurecr.io/linkerd/proxy:edge-1.2.3");
        assert_eq!(v.images.controller_name, "myregistry.azurecr.io/linkerd/controller");
        assert_eq!(v.images.debug, "myregistry.azurecr.io/linkerd/debug:edge-1.2.3");
    }

    #[test]
    fn external_issuer_reads_no_issuer_files() {
        let v = view("linkerd: {identity: {issuer: {scheme: kubernetes.io/tls}}}");
        assert!(v.issuer_crt_pem.is_none() && v.issuer_key_b64.is_none());
    }

    #[test]
    fn checksums_cover_only_public_certificates() {
        let v = view("");
        assert_ne!(v.checksums.destination, v.checksums.proxy_injector);
        let mut webhooks = IndexMap::new();
        for (name, w) in &v.webhooks {
            webhooks.insert(
                name.clone(),
                WebhookTls {
                    key_pem: None,
                    key_b64: None,
                    ca_bundle: w.ca_bundle.clone(),
                    ca_bundle_b64: w.ca_bundle_b64.clone(),
                    crt_pem: w.crt_pem.clone(),
                    crt_b64: w.crt_b64.clone(),
                },
            );
        }
        assert_eq!(
            webhook_checksum(&webhooks, &["linkerd-proxy-injector"]),
            v.checksums.proxy_injector
        );
    }
}
