//! The rendered objects, read into what the evaluator needs: namespaces, pods (as
//! their workloads' templates describe them), NetworkPolicies, the Linkerd policy
//! resources, and the mesh-wide settings of linkerd-config.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value as Json;

use super::ReachError;
use crate::bundles::traffic::{proxy_ports, MESHED_LABEL};
use crate::Manifest;

pub(crate) type Labels = BTreeMap<String, String>;

/// Everything the evaluator reads, indexed by kind.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pub(crate) namespaces: BTreeMap<String, Namespace>,
    pub(crate) workloads: Vec<Workload>,
    pub(crate) network_policies: Vec<Named<NetworkPolicySpec>>,
    pub(crate) servers: Vec<Named<ServerSpec>>,
    pub(crate) authorization_policies: Vec<Named<AuthorizationPolicySpec>>,
    pub(crate) mesh_tls: Vec<Named<MeshTlsSpec>>,
    pub(crate) networks: Vec<Named<NetworkAuthenticationSpec>>,
    pub(crate) http_routes: Vec<Named<RouteSpec>>,
    pub(crate) mesh: MeshSettings,
    /// linkerd-viz's namespace: the rendered Namespace labelled
    /// `linkerd.io/extension: viz`, else the default.
    pub(crate) viz_namespace: String,
}

/// An object's namespace and name with its spec.
#[derive(Debug, Clone)]
pub(crate) struct Named<T> {
    pub namespace: String,
    pub name: String,
    pub spec: T,
}

impl<T> Named<T> {
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Namespace {
    pub labels: Labels,
    pub annotations: Labels,
}

/// The pods of one Deployment, StatefulSet or DaemonSet.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub service_account: String,
    /// Container ports: number and optional name.
    pub ports: Vec<(u16, Option<String>)>,
    /// httpGet probe paths by port, as the policy controller reads them (path only).
    pub probes: BTreeMap<u16, BTreeSet<String>>,
}

/// Mesh-wide settings, from linkerd-config's values (what the injector and the
/// policy controller are configured with).
#[derive(Debug, Clone)]
pub(crate) struct MeshSettings {
    pub namespace: String,
    pub trust_domain: String,
    pub default_inbound_policy: String,
    /// `transport-header`: meshed connections go to the proxy's inbound port.
    pub outbound_transport_mode: String,
    pub inbound_port: u16,
    pub admin_port: u16,
    pub control_port: u16,
    pub probe_networks: Vec<ipnet::IpNet>,
    pub cluster_networks: Vec<ipnet::IpNet>,
    /// Where these settings came from, for the answer's explanation.
    pub source: String,
}

impl Default for MeshSettings {
    /// edge-26.8.3's defaults, for a tree rendered without the control plane.
    fn default() -> Self {
        let nets = |list: &[&str]| list.iter().filter_map(|n| n.parse().ok()).collect();
        Self {
            namespace: "linkerd".into(),
            trust_domain: "cluster.local".into(),
            default_inbound_policy: "all-unauthenticated".into(),
            outbound_transport_mode: "transport-header".into(),
            inbound_port: proxy_ports::INBOUND,
            admin_port: proxy_ports::ADMIN,
            control_port: proxy_ports::CONTROL,
            probe_networks: nets(&["0.0.0.0/0", "::/0"]),
            cluster_networks: nets(&[
                "10.0.0.0/8",
                "100.64.0.0/10",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "fd00::/8",
            ]),
            source: "Linkerd edge-26.8.3 defaults (no linkerd-config in the tree)".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerSpec {
    pub pod_selector: Option<LabelSelector>,
    pub port: IntOrString,
    pub proxy_protocol: Option<String>,
    pub access_policy: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetRef {
    #[serde(default)]
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthorizationPolicySpec {
    pub target_ref: TargetRef,
    #[serde(default)]
    pub required_authentication_refs: Vec<TargetRef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MeshTlsSpec {
    #[serde(default)]
    pub identities: Vec<String>,
    #[serde(default)]
    pub identity_refs: Vec<TargetRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NetworkAuthenticationSpec {
    pub networks: Vec<Network>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Network {
    pub cidr: String,
    #[serde(default)]
    pub except: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteSpec {
    #[serde(default)]
    pub parent_refs: Vec<TargetRef>,
}

impl Cluster {
    /// Reads the objects of a render (or of files read back from `generated/`).
    pub fn from_manifests(manifests: &[Manifest]) -> Result<Self, ReachError> {
        let mut cluster = Self::default();
        let mut config = None;
        for m in manifests {
            let group = m.api_version.split_once('/').map_or("", |(g, _)| g);
            match (group, m.kind.as_str()) {
                ("", "Namespace") => {
                    let meta = |key: &str| string_map(m.body.pointer(&format!("/metadata/{key}")));
                    cluster.namespaces.insert(
                        m.name.clone(),
                        Namespace {
                            labels: meta("labels"),
                            annotations: meta("annotations"),
                        },
                    );
                }
                ("apps", "Deployment") => {
                    let d: Deployment = typed(m)?;
                    let template = d.spec.map(|s| s.template).unwrap_or_default();
                    cluster.workloads.push(Workload::new(m, template));
                }
                ("apps", "StatefulSet") => {
                    let s: StatefulSet = typed(m)?;
                    let template = s.spec.map(|s| s.template).unwrap_or_default();
                    cluster.workloads.push(Workload::new(m, template));
                }
                ("apps", "DaemonSet") => {
                    let s: DaemonSet = typed(m)?;
                    let template = s.spec.map(|s| s.template).unwrap_or_default();
                    cluster.workloads.push(Workload::new(m, template));
                }
                ("networking.k8s.io", "NetworkPolicy") => {
                    let spec = spec_of(m)?;
                    cluster.network_policies.push(named(m, spec));
                }
                ("policy.linkerd.io", "Server") => cluster.servers.push(named(m, spec_of(m)?)),
                ("policy.linkerd.io", "AuthorizationPolicy") => {
                    cluster.authorization_policies.push(named(m, spec_of(m)?))
                }
                ("policy.linkerd.io", "MeshTLSAuthentication") => cluster.mesh_tls.push(named(m, spec_of(m)?)),
                ("policy.linkerd.io", "NetworkAuthentication") => cluster.networks.push(named(m, spec_of(m)?)),
                ("policy.linkerd.io" | "gateway.networking.k8s.io", "HTTPRoute" | "GRPCRoute") => {
                    cluster.http_routes.push(named(m, spec_of(m)?))
                }
                ("", "ConfigMap") if m.name == "linkerd-config" => config = Some(m),
                _ => {}
            }
        }
        if let Some(m) = config {
            cluster.mesh = MeshSettings::from_config(m)?;
        }
        cluster.viz_namespace = cluster
            .namespaces
            .iter()
            .find(|(_, ns)| ns.labels.get("linkerd.io/extension").map(String::as_str) == Some("viz"))
            .map_or_else(
                || crate::certs::DEFAULT_VIZ_NAMESPACE.to_string(),
                |(name, _)| name.clone(),
            );
        // The API server labels every namespace with its name.
        let named_ns: BTreeSet<String> = cluster.workloads.iter().map(|w| w.namespace.clone()).collect();
        for ns in named_ns {
            cluster.namespaces.entry(ns).or_default();
        }
        for (name, ns) in cluster.namespaces.iter_mut() {
            ns.labels.insert("kubernetes.io/metadata.name".into(), name.clone());
        }
        Ok(cluster)
    }

    /// The labels of namespace `name`, rendered or not.
    pub(crate) fn namespace_labels(&self, name: &str) -> Labels {
        let mut labels = self.namespaces.get(name).map(|n| n.labels.clone()).unwrap_or_default();
        labels.insert("kubernetes.io/metadata.name".into(), name.to_string());
        labels
    }

    pub(crate) fn namespace_annotation(&self, namespace: &str, key: &str) -> Option<&str> {
        self.namespaces.get(namespace)?.annotations.get(key).map(String::as_str)
    }

    /// A pod annotation, or the namespace's, which the injector copies onto pods it meshes.
    pub(crate) fn pod_setting(&self, w: &Workload, key: &str) -> Option<(String, String)> {
        if let Some(v) = w.annotations.get(key) {
            return Some((v.clone(), format!("the pod annotation {key}")));
        }
        self.namespace_annotation(&w.namespace, key).map(|v| {
            (
                v.to_string(),
                format!("Namespace {}'s {key}, copied onto the pod by the injector", w.namespace),
            )
        })
    }

    /// Whether the proxy injector meshes this workload's pods.
    pub(crate) fn is_meshed(&self, w: &Workload) -> bool {
        self.pod_setting(w, "linkerd.io/inject")
            .is_some_and(|(v, _)| v == "enabled" || v == "ingress")
    }

    pub(crate) fn ports_setting(&self, w: &Workload, key: &str) -> Vec<u16> {
        self.pod_setting(w, key)
            .map(|(v, _)| parse_ports(&v))
            .unwrap_or_default()
    }

    /// The labels a running pod of `w` has: the template's, plus the one the injector adds.
    pub(crate) fn pod_labels(&self, w: &Workload) -> Labels {
        let mut labels = w.labels.clone();
        if self.is_meshed(w) {
            labels.insert(MESHED_LABEL.into(), self.mesh.namespace.clone());
        }
        labels
    }

    /// A port of `w`'s pods by name, including the two the injector adds to a meshed pod
    /// (`linkerd-proxy`, `linkerd-admin`), as Servers and NetworkPolicies may name them.
    pub(crate) fn pod_named_port(&self, w: &Workload, name: &str) -> Option<u16> {
        let proxy = match name {
            "linkerd-proxy" => Some(self.mesh.inbound_port),
            "linkerd-admin" => Some(self.mesh.admin_port),
            _ => None,
        };
        w.named_port(name).or(proxy.filter(|_| self.is_meshed(w)))
    }

    /// The mesh identity of a ServiceAccount.
    pub(crate) fn identity(&self, service_account: &str, namespace: &str) -> String {
        format!(
            "{service_account}.{namespace}.serviceaccount.identity.{}.{}",
            self.mesh.namespace, self.mesh.trust_domain
        )
    }

    /// The workload `name` in `namespace`: by name, else by its pods' component label.
    pub(crate) fn workload(&self, namespace: &str, name: &str) -> Result<&Workload, ReachError> {
        let in_ns: Vec<&Workload> = self.workloads.iter().filter(|w| w.namespace == namespace).collect();
        if let Some(w) = in_ns.iter().find(|w| w.name == name) {
            return Ok(w);
        }
        let by_component: Vec<&&Workload> = in_ns
            .iter()
            .filter(|w| w.labels.get("component").map(String::as_str) == Some(name))
            .collect();
        match by_component.as_slice() {
            [one] => Ok(one),
            [] => Err(ReachError::Query {
                message: format!("no rendered workload {namespace}/{name}"),
                help: format!(
                    "name a Deployment or StatefulSet of the tree, or its pods' component label; {namespace} has: {}",
                    if in_ns.is_empty() {
                        "nothing".to_string()
                    } else {
                        in_ns.iter().map(|w| w.name.as_str()).collect::<Vec<_>>().join(", ")
                    }
                ),
            }),
            many => Err(ReachError::Query {
                message: format!("component {name} names several workloads in {namespace}"),
                help: format!(
                    "name one of them: {}",
                    many.iter().map(|w| w.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            }),
        }
    }
}

impl Workload {
    fn new(m: &Manifest, template: PodTemplateSpec) -> Self {
        let meta = template.metadata.unwrap_or_default();
        let spec = template.spec.unwrap_or_default();
        let containers: Vec<&Container> = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .collect();
        let mut ports = Vec::new();
        let mut probes: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
        for c in &containers {
            for p in c.ports.iter().flatten() {
                if p.protocol
                    .as_deref()
                    .is_none_or(|proto| proto.eq_ignore_ascii_case("TCP"))
                {
                    if let Ok(n) = u16::try_from(p.container_port) {
                        ports.push((n, p.name.clone()));
                    }
                }
            }
            for probe in [&c.liveness_probe, &c.readiness_probe, &c.startup_probe]
                .into_iter()
                .flatten()
            {
                let Some(get) = &probe.http_get else { continue };
                let port = match &get.port {
                    IntOrString::Int(n) => u16::try_from(*n).ok(),
                    IntOrString::String(name) => c
                        .ports
                        .iter()
                        .flatten()
                        .find(|p| p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
                        .and_then(|p| u16::try_from(p.container_port).ok()),
                };
                // The policy controller keeps the path alone, without the query.
                let path = get.path.as_deref().unwrap_or("/");
                let path = path.split(['?', '#']).next().unwrap_or("/").to_string();
                if let Some(port) = port {
                    probes.entry(port).or_default().insert(path);
                }
            }
        }
        Self {
            kind: m.kind.clone(),
            namespace: m.namespace.clone().unwrap_or_default(),
            name: m.name.clone(),
            labels: meta.labels.unwrap_or_default(),
            annotations: meta.annotations.unwrap_or_default(),
            service_account: spec.service_account_name.unwrap_or_else(|| "default".into()),
            ports,
            probes,
        }
    }

    pub(crate) fn id(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }

    /// A container port by name.
    pub(crate) fn named_port(&self, name: &str) -> Option<u16> {
        self.ports
            .iter()
            .find(|(_, n)| n.as_deref() == Some(name))
            .map(|(p, _)| *p)
    }
}

impl MeshSettings {
    fn from_config(m: &Manifest) -> Result<Self, ReachError> {
        let fail = |message: String| ReachError::Model {
            object: format!("ConfigMap {}/{}", m.namespace.as_deref().unwrap_or(""), m.name),
            message,
        };
        let text = m
            .body
            .pointer("/data/values")
            .and_then(Json::as_str)
            .ok_or_else(|| fail("has no data.values".into()))?;
        let v = crate::yaml::parse(text).map_err(|e| fail(format!("data.values is not YAML: {e}")))?;
        let defaults = Self::default();
        let s = |pointer: &str, default: &str| v.pointer(pointer).and_then(Json::as_str).unwrap_or(default).to_string();
        let port = |pointer: &str, default: u16| {
            v.pointer(pointer)
                .and_then(Json::as_u64)
                .and_then(|n| u16::try_from(n).ok())
                .unwrap_or(default)
        };
        let probe_networks = match v.pointer("/policyController/probeNetworks").and_then(Json::as_array) {
            Some(list) => list
                .iter()
                .filter_map(Json::as_str)
                .filter_map(|n| n.parse().ok())
                .collect(),
            None => defaults.probe_networks.clone(),
        };
        let cluster_networks = match v.pointer("/clusterNetworks").and_then(Json::as_str) {
            Some(list) => list.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
            None => defaults.cluster_networks.clone(),
        };
        Ok(Self {
            namespace: m.namespace.clone().unwrap_or(defaults.namespace),
            trust_domain: s("/identityTrustDomain", &defaults.trust_domain),
            default_inbound_policy: s("/proxy/defaultInboundPolicy", &defaults.default_inbound_policy),
            outbound_transport_mode: s("/proxy/outboundTransportMode", &defaults.outbound_transport_mode),
            inbound_port: port("/proxy/ports/inbound", defaults.inbound_port),
            admin_port: port("/proxy/ports/admin", defaults.admin_port),
            control_port: port("/proxy/ports/control", defaults.control_port),
            probe_networks,
            cluster_networks,
            source: format!("ConfigMap {}/linkerd-config", m.namespace.as_deref().unwrap_or("")),
        })
    }
}

fn named<T>(m: &Manifest, spec: T) -> Named<T> {
    Named {
        namespace: m.namespace.clone().unwrap_or_default(),
        name: m.name.clone(),
        spec,
    }
}

fn typed<T: DeserializeOwned>(m: &Manifest) -> Result<T, ReachError> {
    T::deserialize(&*m.body).map_err(|e| ReachError::Model {
        object: m.id(),
        message: e.to_string(),
    })
}

fn spec_of<T: DeserializeOwned>(m: &Manifest) -> Result<T, ReachError> {
    let spec = m.body.get("spec").cloned().unwrap_or(Json::Object(Default::default()));
    serde_json::from_value(spec).map_err(|e| ReachError::Model {
        object: m.id(),
        message: format!("spec: {e}"),
    })
}

fn string_map(v: Option<&Json>) -> Labels {
    v.and_then(Json::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// `5080,7080` or `4000-4010`, as the skip-ports annotations are written.
pub(crate) fn parse_ports(text: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) {
                    out.extend(a..=b);
                }
            }
            None => out.extend(item.parse::<u16>().ok()),
        }
    }
    out
}
