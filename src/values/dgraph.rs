//! Values of the Dgraph bundle: one Zero and one Alpha StatefulSet, meshed by Linkerd.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::check;
use super::Problems;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dgraph {
    /// Prefix of every object name, as a Helm release name would be.
    pub release: String,
    pub namespace: String,
    pub image: Image,
    pub mesh: Mesh,
    /// How many Alpha replicas serve each group (`dgraph zero --replicas`).
    pub shard_replicas: u32,
    /// IP ranges allowed to run admin operations on Alpha.
    pub whitelist: Vec<String>,
    pub zero: Component,
    pub alpha: Component,
    pub network_policy: super::traffic::NetworkPolicy,
    pub authorization: super::traffic::Authorization,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    pub registry: String,
    pub repository: String,
    pub tag: String,
    pub pull_policy: PullPolicy,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

/// How the Dgraph pods join the Linkerd mesh.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mesh {
    /// Adds `linkerd.io/inject: enabled` to the pod templates.
    pub inject: bool,
    /// Ports the proxy does not intercept. Dgraph's Raft (5080) and cluster (7080)
    /// ports carry their own long-lived gRPC streams between peers; an empty list
    /// drops the annotation.
    pub skip_inbound_ports: Vec<u16>,
    pub skip_outbound_ports: Vec<u16>,
}

/// Settings shared by the Zero and Alpha StatefulSets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Component {
    pub replicas: u32,
    pub storage: Storage,
    pub resources: Resources,
    pub pod_annotations: IndexMap<String, String>,
    pub pod_labels: IndexMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    pub size: String,
    /// Unset: the cluster's default class. An empty string disables dynamic provisioning.
    pub storage_class: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub requests: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub limits: IndexMap<String, String>,
}

/// Pod annotations that meshgen writes itself; values may not set them twice.
const MANAGED_POD_ANNOTATIONS: &[&str] = &[
    "prometheus.io/path",
    "prometheus.io/port",
    "prometheus.io/scrape",
    "linkerd.io/inject",
    "config.linkerd.io/skip-inbound-ports",
    "config.linkerd.io/skip-outbound-ports",
];

/// Pod labels that select the pods; overriding them would orphan the StatefulSet.
const MANAGED_POD_LABELS: &[&str] = &[
    "app",
    "component",
    "release",
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
];

impl Dgraph {
    pub(crate) fn validate(&self, p: &mut Problems) {
        p.check("dgraph.release", check::dns_label(&self.release));
        // Object names are `<release>-dgraph-alpha-headless`: keep them a valid label.
        if self.release.len() > 63 - "-dgraph-alpha-headless".len() {
            p.add(
                "dgraph.release",
                "too long",
                "use at most 41 characters, so that `<release>-dgraph-alpha-headless` stays a valid name",
            );
        }
        p.check("dgraph.namespace", check::dns_label(&self.namespace));
        p.check(
            "dgraph.image.registry",
            check::dns_subdomain(self.image.registry.split(':').next().unwrap_or("")),
        );
        p.non_empty("dgraph.image.repository", &self.image.repository);
        p.non_empty("dgraph.image.tag", &self.image.tag);
        for (field, ports) in [
            ("skipInboundPorts", &self.mesh.skip_inbound_ports),
            ("skipOutboundPorts", &self.mesh.skip_outbound_ports),
        ] {
            if ports.contains(&0) {
                p.add(
                    &format!("dgraph.mesh.{field}"),
                    "port 0 is not a port",
                    "use ports from 1 to 65535",
                );
            }
        }
        if self.shard_replicas == 0 {
            p.add(
                "dgraph.shardReplicas",
                "must be at least 1",
                "set the number of Alpha replicas per group, usually 1 or 3",
            );
        }
        if self.whitelist.is_empty() {
            p.add(
                "dgraph.whitelist",
                "is empty",
                "list at least one IP range, such as 10.0.0.0/8, or 0.0.0.0/0 to allow all",
            );
        }
        for (i, range) in self.whitelist.iter().enumerate() {
            p.check(&format!("dgraph.whitelist[{i}]"), check::cidr(range));
        }
        self.zero.validate("dgraph.zero", p);
        self.alpha.validate("dgraph.alpha", p);
        self.authorization.validate("dgraph.authorization", p);
        if self.zero.replicas.is_multiple_of(2) {
            p.add(
                "dgraph.zero.replicas",
                &format!("{} is even", self.zero.replicas),
                "Zero runs Raft, which needs an odd number of members for a quorum; use 1, 3 or 5",
            );
        }
    }
}

impl Component {
    fn validate(&self, at: &str, p: &mut Problems) {
        if self.replicas == 0 {
            p.add(
                &format!("{at}.replicas"),
                "must be at least 1",
                "set a replica count of 1 or more",
            );
        }
        p.check(&format!("{at}.storage.size"), check::quantity(&self.storage.size));
        if let Some(class) = self.storage.storage_class.as_deref().filter(|c| !c.is_empty()) {
            p.check(&format!("{at}.storage.storageClass"), check::dns_subdomain(class));
        }
        for (kind, list) in [
            ("requests", &self.resources.requests),
            ("limits", &self.resources.limits),
        ] {
            for (name, amount) in list {
                p.check(&format!("{at}.resources.{kind}.{name}"), check::quantity(amount));
            }
        }
        for (key, value) in &self.pod_annotations {
            let path = format!("{at}.podAnnotations.{key}");
            p.check(&path, check::qualified_key(key));
            if MANAGED_POD_ANNOTATIONS.contains(&key.as_str()) {
                p.add(
                    &path,
                    "is set by meshgen",
                    "use dgraph.mesh to change the Linkerd annotations; the prometheus ones are fixed",
                );
            }
            let _ = value;
        }
        for (key, value) in &self.pod_labels {
            let path = format!("{at}.podLabels.{key}");
            p.check(&path, check::qualified_key(key));
            p.check(&path, check::label_value(value));
            if MANAGED_POD_LABELS.contains(&key.as_str()) {
                p.add(
                    &path,
                    "is set by meshgen",
                    "pick another label key; this one selects the pods",
                );
            }
        }
    }
}
