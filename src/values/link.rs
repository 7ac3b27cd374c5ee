//! `multicluster.links`: the Links (multicluster.linkerd.io/v1alpha3) this cluster
//! holds, one per target cluster whose services it mirrors. Every field is what
//! `linkerd multicluster link-gen` reads from the live target cluster; a fleet file
//! derives them from the target's values instead, so they are rarely written by hand.

use serde::{Deserialize, Serialize};

use super::Problems;
use crate::api_rules;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A Link to a target cluster.
pub struct Link {
    /// The target cluster's name: it names the Link, its controller
    /// (`controller-<target>`) and its credentials Secret (`cluster-credentials-<target>`).
    pub target: String,
    /// The target cluster's DNS domain (its `clusterDomain`).
    pub cluster_domain: String,
    /// The target cluster's Linkerd namespace.
    pub linkerd_namespace: String,
    /// The target's gateway; null for a Link without one, which mirrors only
    /// remote-discovery and federated services (pod to pod).
    pub gateway: Option<LinkGateway>,
    /// Target services mirrored through the gateway (a label selector, `key=value,...`).
    pub selector: String,
    /// Target services mirrored pod to pod.
    pub remote_discovery_selector: String,
    /// Target services that join a federated service.
    pub federated_service_selector: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Where and how the target's gateway is reached.
pub struct LinkGateway {
    /// The gateway Service's address: its load balancer's IP or DNS name,
    /// known only after the target is deployed (comma-separated for several).
    pub address: String,
    /// The port remote traffic is sent to.
    pub port: u16,
    /// The gateway's mesh identity, which the source's proxies require of it.
    pub identity: String,
    /// The probe the source's controller sends the gateway.
    pub probe: LinkProbe,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The gateway's health probe.
pub struct LinkProbe {
    /// HTTP path.
    pub path: String,
    /// Port.
    pub port: u16,
    /// Seconds between probes.
    pub seconds: u32,
}

/// `key=value,key=value` into pairs; the only form `link-gen`'s defaults take, and
/// the one a Link's `matchLabels` can hold.
pub(crate) fn selector_labels(selector: &str) -> Result<Vec<(String, String)>, String> {
    selector
        .split(',')
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not key=value; write the selector as key=value[,key=value]"))?;
            let (key, value) = (key.trim(), value.trim());
            api_rules::qualified_key(key)?;
            api_rules::label_value(value)?;
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect()
}

impl Link {
    pub(crate) fn validate(&self, p: &mut Problems, key: &str) {
        p.check(&format!("{key}.target"), api_rules::dns_label(&self.target));
        p.check(
            &format!("{key}.clusterDomain"),
            api_rules::dns_subdomain(&self.cluster_domain),
        );
        p.check(
            &format!("{key}.linkerdNamespace"),
            api_rules::dns_label(&self.linkerd_namespace),
        );
        for (field, selector) in [
            ("selector", &self.selector),
            ("remoteDiscoverySelector", &self.remote_discovery_selector),
            ("federatedServiceSelector", &self.federated_service_selector),
        ] {
            p.check(&format!("{key}.{field}"), selector_labels(selector).map(|_| ()));
        }
        if let Some(g) = &self.gateway {
            if g.address.split(',').any(|a| a.trim().is_empty()) {
                p.add(
                    &format!("{key}.gateway.address"),
                    &format!("`{}` is not an address list", g.address),
                    "give the target gateway's load-balancer IP or DNS name (comma-separated for several)",
                );
            }
            for (field, port) in [("port", g.port), ("probe.port", g.probe.port)] {
                if port == 0 {
                    p.add(&format!("{key}.gateway.{field}"), "is 0", "give a port from 1 to 65535");
                }
            }
            p.non_empty(&format!("{key}.gateway.identity"), &g.identity);
            if !g.probe.path.starts_with('/') {
                p.add(
                    &format!("{key}.gateway.probe.path"),
                    &format!("`{}` is not an HTTP path", g.probe.path),
                    "write an absolute path, such as /ready",
                );
            }
            if !(1..=3600).contains(&g.probe.seconds) {
                p.add(
                    &format!("{key}.gateway.probe.seconds"),
                    &format!("is {}", g.probe.seconds),
                    "probe every 1 to 3600 seconds (upstream: 3)",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn selectors_parse_into_label_pairs() {
        let pairs = super::selector_labels("mirror.linkerd.io/exported=true, team=graph").unwrap_or_default();
        assert_eq!(
            pairs,
            [
                ("mirror.linkerd.io/exported".to_owned(), "true".to_owned()),
                ("team".to_owned(), "graph".to_owned())
            ]
        );
        assert!(super::selector_labels("exported").is_err());
        assert!(super::selector_labels("a=b c").is_err());
    }
}
