//! What the cert-manager objects need (`certManager.enabled`): the identity issuer's
//! Certificate under a CA Issuer on the trust anchor, and in each namespace that
//! serves webhooks a self-signed Issuer, a CA Certificate, a CA Issuer on it, and one
//! Certificate per webhook. The Certificates are named as Linkerd's documentation
//! names them, so that each webhook's `cert-manager.io/inject-ca-from` reads
//! `<namespace>/<certificate>`.

use indexmap::IndexMap;
use serde::Serialize;

use crate::certs::{issuer_common_name, webhook_dns_name, LINKERD_WEBHOOK_SERVICES, VIZ_WEBHOOK_SERVICES};
use crate::values::cert_manager::Lifetime;
use crate::values::Values;

/// The Secret holding the trust anchor (`tls.crt`, `tls.key`), which the CA Issuer of
/// the identity issuer reads. `cargo xtask certs trust-anchor-secret` writes it.
pub(crate) const TRUST_ANCHOR_SECRET: &str = "linkerd-trust-anchor";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    pub enabled: bool,
    /// The identity issuer's Certificate: `identity.<namespace>.<trust domain>`.
    pub identity_issuer: String,
    pub identity_lifetime: Lifetime,
    /// The Issuer (and the Secret it reads) on the trust anchor.
    pub trust_anchor: &'static str,
    /// The webhooks of the control plane's namespace.
    pub linkerd: Webhooks,
    /// The webhooks of the viz namespace.
    pub viz: Webhooks,
}

/// One namespace's webhook CA and webhook Certificates.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Webhooks {
    pub namespace: String,
    pub ca_lifetime: Lifetime,
    /// By webhook Service, its Certificate.
    pub certificates: IndexMap<String, Webhook>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Webhook {
    /// The Certificate's name.
    pub name: String,
    /// The Secret the webhook's server mounts: `<service>-k8s-tls`.
    pub secret: String,
    /// `<service>.<namespace>.svc`, which the API server calls.
    pub dns_name: String,
    pub lifetime: Lifetime,
    /// `<namespace>/<certificate>`: where cert-manager's CA injector reads the CA.
    pub inject_ca_from: String,
}

impl View {
    pub(crate) fn new(values: &Values) -> Self {
        let cm = &values.cert_manager;
        let (l, viz) = (&values.linkerd, &values.viz);
        Self {
            enabled: cm.enabled,
            identity_issuer: issuer_common_name(&l.namespace, &l.trust_domain),
            identity_lifetime: cm.identity_issuer.clone(),
            trust_anchor: TRUST_ANCHOR_SECRET,
            linkerd: Webhooks::new(&l.namespace, &LINKERD_WEBHOOK_SERVICES, values),
            viz: Webhooks::new(&viz.namespace, &VIZ_WEBHOOK_SERVICES, values),
        }
    }
}

impl Webhooks {
    fn new(namespace: &str, services: &[&str], values: &Values) -> Self {
        let cm = &values.cert_manager;
        let certificates = services
            .iter()
            .map(|service| {
                // Linkerd's documentation names the tap injector's Certificate
                // `linkerd-tap-injector`; every other one is named for its Service.
                let name = match *service {
                    "tap-injector" => "linkerd-tap-injector".to_string(),
                    other => other.to_string(),
                };
                let webhook = Webhook {
                    inject_ca_from: format!("{namespace}/{name}"),
                    secret: format!("{service}-k8s-tls"),
                    dns_name: webhook_dns_name(service, namespace),
                    lifetime: cm.webhooks.clone(),
                    name,
                };
                (service.to_string(), webhook)
            })
            .collect();
        Self {
            namespace: namespace.to_string(),
            ca_lifetime: cm.webhook_ca.clone(),
            certificates,
        }
    }
}
