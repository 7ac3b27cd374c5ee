//! Values of the test client bundle: one pydgraph pod that runs the article's checks
//! against Dgraph Alpha.

use serde::{Deserialize, Serialize};

use super::dgraph::Resources;
use super::Image;
use super::Problems;
use crate::api_rules;

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
    pub image: Image,
    /// Requests and limits of the client's container.
    pub resources: Resources,
}

impl PydgraphClient {
    pub(crate) fn validate(&self, other_namespaces: &[(&str, &str)], p: &mut Problems) {
        p.check("pydgraphClient.namespace", api_rules::dns_label(&self.namespace));
        for (key, namespace) in other_namespaces {
            if *namespace == self.namespace {
                p.add(
                    "pydgraphClient.namespace",
                    &format!("is also {key}"),
                    "give the test client a namespace of its own: meshgen renders a Namespace object for each",
                );
            }
        }
        p.check(
            "pydgraphClient.serviceAccount",
            api_rules::dns_label(&self.service_account),
        );
        // An empty registry is an image already on the nodes.
        super::check_image(
            p,
            "pydgraphClient.image",
            &self.image.registry,
            &self.image.repository,
            &self.image.tag,
        );
        self.resources.validate("pydgraphClient.resources", p);
    }
}
