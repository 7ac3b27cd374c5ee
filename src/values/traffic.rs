//! Values of Dgraph's traffic rules: the NetworkPolicies in front of its pods and
//! the Linkerd authorization (`policy.linkerd.io`) behind them.

use serde::{Deserialize, Serialize};

use super::Problems;
use crate::api_rules;

/// `dgraph.networkPolicy`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicy {
    /// false renders no NetworkPolicy at all.
    pub enabled: bool,
    /// `meshgen` (default-deny, then what the mesh needs) or `article`.
    pub style: NetworkPolicyStyle,
}

/// Which set of NetworkPolicies to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkPolicyStyle {
    /// Default-deny for every Dgraph pod, then the allow rules meshgen derives.
    Meshgen,
    /// Only the article's `dgraph-allow-linkerd`, for reproducing the article.
    Article,
}

/// `dgraph.authorization`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Authorization {
    /// Renders the Servers, authentications and AuthorizationPolicies.
    pub enabled: bool,
    /// `config.linkerd.io/default-inbound-policy` on the Dgraph Namespace; `None`
    /// leaves the annotation out, so the cluster-wide default applies.
    pub default_inbound_policy: Option<InboundPolicy>,
    /// ServiceAccounts, besides Dgraph's own and the test client's, that may call Alpha.
    pub clients: Vec<ServiceAccountRef>,
}

pub use super::linkerd::InboundPolicy;

/// A ServiceAccount in a namespace: a mesh identity.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccountRef {
    /// The ServiceAccount's name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
}

impl Authorization {
    pub(crate) fn validate(&self, at: &str, p: &mut Problems) {
        for (i, client) in self.clients.iter().enumerate() {
            // Linkerd writes the name and namespace as DNS labels of the identity.
            p.check(&format!("{at}.clients[{i}].name"), api_rules::dns_label(&client.name));
            p.check(
                &format!("{at}.clients[{i}].namespace"),
                api_rules::dns_label(&client.namespace),
            );
        }
    }
}

/// `dgraph.export`: how Alpha's client Service is offered to other clusters through
/// Linkerd multicluster. The headless Services are never exported: their pods talk
/// Raft to each other and to no one else.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Export {
    /// `none`, `gateway`, `remote-discovery` or `federated`.
    pub mode: ExportMode,
    /// Mesh identities of clients in other clusters that reach Alpha pod to pod
    /// (`remote-discovery`, `federated`); a fleet file fills it in from every cluster
    /// that links to this one.
    pub remote_identities: Vec<String>,
    /// Pod networks of those clusters, which a NetworkPolicy admits on the proxy's
    /// inbound port; a fleet file fills it in from their `linkerd.clusterNetworks`.
    pub remote_networks: Vec<String>,
}

/// How Alpha's client Service is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExportMode {
    /// Not exported.
    None,
    /// `mirror.linkerd.io/exported: "true"`: mirrored through this cluster's
    /// gateway, so Alpha sees the gateway's identity.
    Gateway,
    /// `mirror.linkerd.io/exported: remote-discovery`: mirrored pod to pod, so Alpha
    /// sees each remote client's own identity.
    RemoteDiscovery,
    /// `mirror.linkerd.io/federated: member`: one federated Service across the
    /// clusters, reached pod to pod.
    Federated,
}

impl ExportMode {
    /// The label the Service carries, as the service mirror's default selectors read it.
    pub fn label(self) -> Option<(&'static str, &'static str)> {
        match self {
            ExportMode::None => None,
            ExportMode::Gateway => Some(("mirror.linkerd.io/exported", "true")),
            ExportMode::RemoteDiscovery => Some(("mirror.linkerd.io/exported", "remote-discovery")),
            ExportMode::Federated => Some(("mirror.linkerd.io/federated", "member")),
        }
    }

    /// Whether remote clients connect to Alpha's pods directly.
    pub fn is_pod_to_pod(self) -> bool {
        matches!(self, ExportMode::RemoteDiscovery | ExportMode::Federated)
    }
}

impl Export {
    pub(crate) fn validate(&self, p: &mut Problems) {
        for (i, identity) in self.remote_identities.iter().enumerate() {
            p.check(
                &format!("dgraph.export.remoteIdentities[{i}]"),
                api_rules::dns_subdomain(identity),
            );
        }
        for (i, net) in self.remote_networks.iter().enumerate() {
            p.check(&format!("dgraph.export.remoteNetworks[{i}]"), api_rules::cidr(net));
        }
    }
}
