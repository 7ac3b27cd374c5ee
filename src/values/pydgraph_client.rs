//! Values of the test client bundle: one pydgraph pod that runs the article's checks
//! against Dgraph Alpha.

use serde::{Deserialize, Serialize};

use super::check;
use super::dgraph::{PullPolicy, Resources};
use super::Problems;

/// `pydgraphClient`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PydgraphClient {
    /// false renders no test client.
    pub enabled: bool,
    /// Its own namespace, rendered too: a client from outside Dgraph's namespace.
    pub namespace: String,
    /// Its mesh identity; the Dgraph authorization admits it.
    pub service_account: String,
    /// Adds `linkerd.io/inject: enabled`; false writes `disabled`, the article's
    /// phase in which the NetworkPolicy must block the client.
    pub inject: bool,
    /// The image `examples/pydgraph-client/` builds.
    pub image: ClientImage,
    /// Requests and limits of the client's container.
    pub resources: Resources,
}

/// `[registry/]repository:tag` of the test client.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientImage {
    /// "" for an image that is already on the nodes (built and loaded locally).
    pub registry: String,
    /// Repository path, such as `pydgraph-client`.
    pub repository: String,
    /// The image tag.
    pub tag: String,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
}

impl ClientImage {
    /// `[registry/]repository:tag`.
    pub fn reference(&self) -> String {
        match self.registry.as_str() {
            "" => format!("{}:{}", self.repository, self.tag),
            registry => format!("{registry}/{}:{}", self.repository, self.tag),
        }
    }
}

impl PydgraphClient {
    pub(crate) fn validate(&self, other_namespaces: &[(&str, &str)], p: &mut Problems) {
        p.check("pydgraphClient.namespace", check::dns_label(&self.namespace));
        for (key, namespace) in other_namespaces {
            if *namespace == self.namespace {
                p.add(
                    "pydgraphClient.namespace",
                    &format!("is also {key}"),
                    "give the test client a namespace of its own: meshgen renders a Namespace object for each",
                );
            }
        }
        p.check("pydgraphClient.serviceAccount", check::dns_label(&self.service_account));
        if !self.image.registry.is_empty() {
            p.check("pydgraphClient.image.registry", registry(&self.image.registry));
        }
        p.non_empty("pydgraphClient.image.repository", &self.image.repository);
        p.non_empty("pydgraphClient.image.tag", &self.image.tag);
        for (kind, list) in [
            ("requests", &self.resources.requests),
            ("limits", &self.resources.limits),
        ] {
            for (name, amount) in list {
                p.check(
                    &format!("pydgraphClient.resources.{kind}.{name}"),
                    check::quantity(amount),
                );
            }
        }
    }
}

/// `host[:port][/path]`, as an image reference starts: no scheme.
fn registry(text: &str) -> Result<(), String> {
    let host_port = text.split('/').next().unwrap_or("");
    let (host, port) = match host_port.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if check::dns_subdomain(host).is_ok() && port_ok {
        Ok(())
    } else {
        Err(format!("`{text}` is not a registry; write a host with an optional port and path, such as myregistry.azurecr.io or localhost:5000, without https://"))
    }
}
