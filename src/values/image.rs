//! A container image as the values give it, for Dgraph, the Jaeger collector and the
//! test client alike: `[registry/]repository:tag` and the kubelet's pull policy.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// `[registry/]repository:tag`, and when the kubelet pulls it.
pub struct Image {
    /// Registry host, with an optional `:port`, such as `docker.io`; "" for an image
    /// that is already on the nodes (built and loaded locally).
    pub registry: String,
    /// Repository path, such as `dgraph/dgraph`.
    pub repository: String,
    /// The image tag, such as `v25.4.0`.
    pub tag: String,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
}

impl Image {
    /// `[registry/]repository:tag`.
    pub fn reference(&self) -> String {
        match self.registry.as_str() {
            "" => format!("{}:{}", self.repository, self.tag),
            registry => format!("{registry}/{}:{}", self.repository, self.tag),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema)]
/// The kubelet's `imagePullPolicy`.
pub enum PullPolicy {
    /// Pull on every start.
    Always,
    /// Pull only when the node lacks the image.
    IfNotPresent,
    /// Never pull; the image must be on the node.
    Never,
}
