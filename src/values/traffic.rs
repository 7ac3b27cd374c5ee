//! Values of Dgraph's traffic rules: the NetworkPolicies in front of its pods and
//! the Linkerd authorization (`policy.linkerd.io`) behind them.

use serde::{Deserialize, Serialize};

use super::check;
use super::Problems;

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
            p.check(&format!("{at}.clients[{i}].name"), check::dns_label(&client.name));
            p.check(
                &format!("{at}.clients[{i}].namespace"),
                check::dns_label(&client.namespace),
            );
        }
    }
}
