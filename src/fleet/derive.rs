//! What a cluster's values cannot know alone, derived from the other clusters'
//! values: its Links (everything `linkerd multicluster link-gen` reads from a live
//! target), whether it runs the multicluster extension, and who may reach its Dgraph
//! pod to pod. The result is one more overlay, merged last, so every check of the
//! values applies to it too.

use serde_json::{json, Value as Json};

use super::{Cluster, Fleet};
use crate::error::Result;
use crate::values::multicluster::ServiceType;
use crate::values::{Values, ValuesSource};

/// The selectors `link-gen` writes by default: which target Services a Link mirrors.
const GATEWAY_SELECTOR: &str = "mirror.linkerd.io/exported=true";
const REMOTE_DISCOVERY_SELECTOR: &str = "mirror.linkerd.io/exported=remote-discovery";

impl Fleet {
    /// The overlay of cluster `c`, from every cluster's own values (`own`, in the
    /// fleet file's order).
    pub(crate) fn derived(&self, c: usize, own: &[Values]) -> Result<ValuesSource> {
        let cluster = &self.clusters[c];
        let values = &own[c];
        let mut links = Vec::new();
        for (l, entry) in cluster.links.iter().enumerate() {
            links.push(self.link(c, l, values, &own[self.index(&entry.to)])?);
        }
        let importers: Vec<usize> = (0..self.clusters.len())
            .filter(|&i| self.clusters[i].links.iter().any(|l| l.to == cluster.name))
            .collect();
        let mut overlay = json!({});
        if self.is_linked(c) {
            overlay["multicluster"] = json!({"links": links});
        }
        if values.dgraph.export.mode.is_pod_to_pod() {
            let export = &values.dgraph.export;
            let mut identities = export.remote_identities.clone();
            let mut networks = export.remote_networks.clone();
            for &i in &importers {
                for identity in client_identities(&own[i]) {
                    if !identities.contains(&identity) {
                        identities.push(identity);
                    }
                }
                for net in &own[i].linkerd.cluster_networks {
                    if !networks.contains(net) {
                        networks.push(net.clone());
                    }
                }
            }
            overlay["dgraph"] = json!({"export": {"remoteIdentities": identities, "remoteNetworks": networks}});
        }
        Ok(ValuesSource::new(
            format!("{} (derived for cluster {})", self.file, cluster.name),
            overlay.to_string(),
        ))
    }

    /// Whether a Link starts or ends at cluster `c`: it then runs the extension.
    pub(super) fn is_linked(&self, c: usize) -> bool {
        let name = &self.clusters[c].name;
        !self.clusters[c].links.is_empty() || self.clusters.iter().any(|o| o.links.iter().any(|l| &l.to == name))
    }

    pub(super) fn index(&self, name: &str) -> usize {
        self.clusters.iter().position(|c| c.name == name).unwrap_or_default()
    }

    /// The Link of cluster `c` to its `l`th target, whose values are `target`.
    fn link(&self, c: usize, l: usize, source: &Values, target: &Values) -> Result<Json> {
        let cluster: &Cluster = &self.clusters[c];
        let entry = &cluster.links[l];
        let key = format!("clusters[{c}].links[{l}]");
        let (tm, tg) = (&target.multicluster, &target.multicluster.gateway);
        let gateway = if tg.enabled {
            let address = entry.gateway_address.as_deref().ok_or_else(|| {
                self.error(
                    &format!("{key}.gatewayAddress"),
                    &format!("is missing, and `{}` has a gateway", entry.to),
                    &format!(
                        "give the address of {}'s gateway Service `{}/{}` (its load balancer's IP or a DNS name for it), known once {} is deployed; or set multicluster.gateway.enabled: false in {}'s values to link pod to pod",
                        entry.to, tm.namespace, tg.name, entry.to, entry.to
                    ),
                )
            })?;
            let node_port = tg.service_type == ServiceType::NodePort;
            if node_port && (entry.gateway_port.is_none() || entry.probe_port.is_none()) {
                return Err(self.error(
                    &key,
                    &format!(
                        "`{}`'s gateway is a NodePort Service, whose node ports are assigned in the cluster",
                        entry.to
                    ),
                    "give gatewayPort and probePort: the node ports of the gateway's `mc-gateway` and `mc-probe` ports",
                ));
            }
            json!({
                "address": address,
                "port": entry.gateway_port.unwrap_or(tg.port),
                "identity": crate::bundles::multicluster::gateway_identity(target),
                "probe": {
                    "path": tg.probe.path,
                    "port": entry.probe_port.unwrap_or(tg.probe.port),
                    "seconds": tg.probe.seconds,
                },
            })
        } else {
            // Pod to pod, the source's proxies dial the target's pods and check their
            // identities, which name the target's control plane.
            if source.linkerd.namespace != target.linkerd.namespace {
                return Err(self.error(
                    &key,
                    &format!(
                        "links `{}` (Linkerd in `{}`) to `{}` (Linkerd in `{}`) pod to pod",
                        cluster.name, source.linkerd.namespace, entry.to, target.linkerd.namespace
                    ),
                    "a flat network needs the same linkerd.namespace in both clusters; align them, or give the target a gateway",
                ));
            }
            if entry.gateway_address.is_some() {
                return Err(self.error(
                    &format!("{key}.gatewayAddress"),
                    &format!("is set, but `{}` renders no gateway", entry.to),
                    "remove it, or enable the target's multicluster.gateway",
                ));
            }
            Json::Null
        };
        Ok(json!({
            "target": entry.to,
            "clusterDomain": target.cluster_domain,
            "linkerdNamespace": target.linkerd.namespace,
            "gateway": gateway,
            "selector": GATEWAY_SELECTOR,
            "remoteDiscoverySelector": REMOTE_DISCOVERY_SELECTOR,
            "federatedServiceSelector": tm.local_service_mirror.federated_service_selector,
        }))
    }
}

/// The mesh identities Dgraph's clients in a cluster have: the test client and the
/// ServiceAccounts `dgraph.authorization.clients` names, in that cluster's trust domain.
fn client_identities(values: &Values) -> Vec<String> {
    let identity = |sa: &str, ns: &str| {
        format!(
            "{sa}.{ns}.serviceaccount.{}",
            crate::certs::issuer_common_name(&values.linkerd.namespace, &values.linkerd.trust_domain)
        )
    };
    let mut out = Vec::new();
    let client = &values.pydgraph_client;
    if client.enabled {
        out.push(identity(&client.service_account, &client.namespace));
    }
    for sa in &values.dgraph.authorization.clients {
        out.push(identity(&sa.name, &sa.namespace));
    }
    out
}
