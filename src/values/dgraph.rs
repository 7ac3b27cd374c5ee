//! Values of the Dgraph bundle: one Zero and one Alpha StatefulSet, meshed by Linkerd.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{Image, Problems};
use crate::api_rules;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The Dgraph cluster: Zero and Alpha StatefulSets, meshed by Linkerd.
pub struct Dgraph {
    /// Prefix of every object name, as a Helm release name would be.
    pub release: String,
    /// Namespace of every Dgraph object; meshgen renders the Namespace too.
    pub namespace: String,
    /// The Dgraph image, for Zero and Alpha alike.
    pub image: Image,
    /// How the pods join the mesh.
    pub mesh: Mesh,
    /// How many Alpha replicas serve each group (`dgraph zero --replicas`).
    pub shard_replicas: u32,
    /// IP ranges allowed to run admin operations on Alpha.
    pub whitelist: Vec<String>,
    /// Zero: cluster membership, and the Raft group that assigns UIDs and shards.
    pub zero: Component,
    /// Alpha: stores the data and serves queries over HTTP (8080) and gRPC (9080).
    pub alpha: Component,
    /// Alpha's ServiceProfile: per-route timeouts and the retry budget.
    pub service_profile: super::service_profile::ServiceProfile,
    /// NetworkPolicies in front of every Dgraph pod.
    pub network_policy: super::traffic::NetworkPolicy,
    /// Linkerd authorization of Dgraph's ports that go through the proxy.
    pub authorization: super::traffic::Authorization,
    /// How Alpha's client Service is offered to other clusters.
    pub export: super::traffic::Export,
}

/// How the Dgraph pods join the Linkerd mesh.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mesh {
    /// Adds `linkerd.io/inject: enabled` to the pod templates.
    pub inject: bool,
    /// Ports the proxy does not intercept. Dgraph's Raft (5080) and cluster (7080)
    /// ports carry their own long-lived gRPC streams between peers; an empty list
    /// drops the annotation.
    pub skip_inbound_ports: Vec<u16>,
    /// Ports whose outgoing connections the proxy leaves alone.
    pub skip_outbound_ports: Vec<u16>,
}

/// Settings shared by the Zero and Alpha StatefulSets.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Component {
    /// Number of pods; Zero's must be odd.
    pub replicas: u32,
    /// The volume each pod gets.
    pub storage: Storage,
    /// Requests and limits of the container.
    pub resources: Resources,
    /// Extra pod annotations; the ones meshgen sets itself are refused.
    pub pod_annotations: IndexMap<String, String>,
    /// Extra pod labels; the selector labels are refused.
    pub pod_labels: IndexMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The PersistentVolumeClaim of each pod.
pub struct Storage {
    /// Its size, as a Kubernetes quantity such as `100Gi`.
    pub size: String,
    /// Unset: the cluster's default class. An empty string disables dynamic provisioning.
    pub storage_class: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Requests and limits, by resource name (`cpu`, `memory`, ...).
pub struct Resources {
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    /// What the scheduler reserves.
    pub requests: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    /// What the container may use at most.
    pub limits: IndexMap<String, String>,
}

/// The most replicas of a Zero or Alpha StatefulSet meshgen renders. Far above any
/// real cluster (benchmarks render 99 Zeros and 100 Alphas), and far below where the
/// templates' peer lists, or the StatefulSet's 32-bit `replicas`, would give out.
pub const MAX_REPLICAS: u32 = 1000;

impl Resources {
    /// Names and quantities as the API server checks them; `at` is where these
    /// resources sit, such as `dgraph.zero.resources`.
    pub(crate) fn validate(&self, at: &str, p: &mut Problems) {
        for (kind, list) in [("requests", &self.requests), ("limits", &self.limits)] {
            for (name, amount) in list {
                if name.is_empty() {
                    p.add(
                        &format!("{at}.{kind}"),
                        "has an empty resource name",
                        "name each resource: cpu, memory, ephemeral-storage, hugepages-<size> or a domain-qualified name such as example.com/gpu",
                    );
                    continue;
                }
                let path = format!("{at}.{kind}.{name}");
                p.check(&path, api_rules::resource_name(name));
                super::check_amount(p, &path, amount);
            }
        }
        for (name, limit) in &self.limits {
            if let Some(request) = self.requests.get(name) {
                super::check_limit(
                    p,
                    &format!("{at}.limits.{name}"),
                    request,
                    limit,
                    &format!("{at}.requests.{name}"),
                );
            }
        }
    }
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
        p.check("dgraph.release", api_rules::dns_label(&self.release));
        // Object names are `<release>-dgraph-alpha-headless`: keep them a valid label.
        if self.release.len() > 63 - "-dgraph-alpha-headless".len() {
            p.add(
                "dgraph.release",
                "too long",
                "use at most 41 characters, so that `<release>-dgraph-alpha-headless` stays a valid name",
            );
        }
        p.check("dgraph.namespace", api_rules::dns_label(&self.namespace));
        super::check_image(
            p,
            "dgraph.image",
            &self.image.registry,
            &self.image.repository,
            &self.image.tag,
        );
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
        if self.shard_replicas > MAX_REPLICAS {
            p.add(
                "dgraph.shardReplicas",
                &format!("{} is more than {MAX_REPLICAS}", self.shard_replicas),
                &format!("give at most {MAX_REPLICAS}, and no more than dgraph.alpha.replicas: it is how many Alphas serve each group"),
            );
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
            p.check(&format!("dgraph.whitelist[{i}]"), api_rules::cidr(range));
        }
        self.zero.validate("dgraph.zero", p);
        self.alpha.validate("dgraph.alpha", p);
        self.export.validate(p);
        for (at, metrics_port, c) in [("dgraph.zero", 6080, &self.zero), ("dgraph.alpha", 8080, &self.alpha)] {
            // Measured as rendered, meshgen's own annotations included, so that an
            // oversized value fails here rather than after templating.
            let rendered = self.pod_annotations(metrics_port, c);
            let size = api_rules::annotations_size(rendered.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if size > api_rules::ANNOTATIONS_MAX_BYTES {
                p.add(
                    &format!("{at}.podAnnotations"),
                    &format!("the pod annotations total {size} bytes, keys and values included; the API server takes at most {}", api_rules::ANNOTATIONS_MAX_BYTES),
                    "put large data in a ConfigMap and annotate the pods with its name; annotations are for small facts",
                );
            }
        }
        self.service_profile.validate("dgraph.serviceProfile", p);
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

impl Dgraph {
    /// A Zero's or an Alpha's pod annotations as rendered: Prometheus scraping first,
    /// then the mesh, then the user's own. Here rather than in the bundle so that
    /// the values can measure them (the API server's 256 KiB) and name the key.
    pub(crate) fn pod_annotations(&self, metrics_port: u16, c: &Component) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        out.insert("prometheus.io/path".into(), "/debug/prometheus_metrics".into());
        out.insert("prometheus.io/port".into(), metrics_port.to_string());
        out.insert("prometheus.io/scrape".into(), "true".into());
        let ports = |list: &[u16]| list.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
        if !self.mesh.skip_inbound_ports.is_empty() {
            out.insert(
                "config.linkerd.io/skip-inbound-ports".into(),
                ports(&self.mesh.skip_inbound_ports),
            );
        }
        if !self.mesh.skip_outbound_ports.is_empty() {
            out.insert(
                "config.linkerd.io/skip-outbound-ports".into(),
                ports(&self.mesh.skip_outbound_ports),
            );
        }
        if self.mesh.inject {
            out.insert("linkerd.io/inject".into(), "enabled".into());
        }
        out.extend(c.pod_annotations.clone());
        out
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
        if self.replicas > MAX_REPLICAS {
            p.add(
                &format!("{at}.replicas"),
                &format!("{} is more than {MAX_REPLICAS}", self.replicas),
                &format!(
                    "meshgen renders at most {MAX_REPLICAS} replicas of a Dgraph StatefulSet; give 1 to {MAX_REPLICAS}"
                ),
            );
        }
        super::check_size(p, &format!("{at}.storage.size"), &self.storage.size);
        if let Some(class) = self.storage.storage_class.as_deref().filter(|c| !c.is_empty()) {
            p.check(&format!("{at}.storage.storageClass"), api_rules::dns_subdomain(class));
        }
        self.resources.validate(&format!("{at}.resources"), p);
        for (key, value) in &self.pod_annotations {
            let path = format!("{at}.podAnnotations.{key}");
            p.check(&path, api_rules::qualified_key(key));
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
            p.check(&path, api_rules::qualified_key(key));
            p.check(&path, api_rules::label_value(value));
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
