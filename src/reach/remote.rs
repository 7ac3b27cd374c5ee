//! Across the clusters of a fleet: a client in the source cluster dialling a pod of
//! the target cluster through the mirror that the source's Link makes of one of the
//! target's Services. Three things decide, in order:
//!
//! 1. the route: the source has a Link to the target, a Service of the target that
//!    selects the pod on that port carries a label the Link selects, and the client
//!    has a proxy to take it across (a mirrored Service has no other way in);
//! 2. through a gateway (the Link's `selector`): the gateway's own NetworkPolicies
//!    and authorization see the client's identity, then the target sees the
//!    gateway's, as for any client of its own cluster;
//! 3. pod to pod (`remoteDiscoverySelector`, `federatedServiceSelector`): the target's
//!    NetworkPolicies see the client pod's own address, from outside every
//!    namespace, and its proxy sees the client's identity in the source's trust domain.
//!
//! This follows the service mirror and the destination controller at edge-26.8.3.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;

use super::cluster::{Cluster, Labels, Workload};
use super::query::{From, PodSpec, Query};
use super::selector::matches;
use super::{mesh, netpol, ReachError, Step, Verdict};
use crate::Manifest;

/// The parts of a Link (multicluster.linkerd.io) that decide what is mirrored and how.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkSpec {
    target_cluster_name: String,
    gateway_address: Option<String>,
    gateway_port: Option<IntOrString>,
    gateway_identity: Option<String>,
    selector: Option<LabelSelector>,
    remote_discovery_selector: Option<LabelSelector>,
    federated_service_selector: Option<LabelSelector>,
}

/// How the mirror of an exported Service carries the connection.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Gateway,
    RemoteDiscovery,
    Federated,
}

/// One of the target's Services that the Link mirrors, with the port that leads to the pod.
struct Exported {
    namespace: String,
    name: String,
    port: i32,
    mode: Mode,
}

impl Exported {
    /// The Service the client dials in its own cluster.
    fn mirror(&self, target: &str) -> String {
        match self.mode {
            Mode::Federated => format!("{}/{}-federated", self.namespace, self.name),
            Mode::Gateway | Mode::RemoteDiscovery => format!("{}/{}-{target}", self.namespace, self.name),
        }
    }
}

/// Answers `query` for a client of cluster `source` (its rendered objects) and a pod
/// of cluster `target` (its objects).
pub fn across(
    source: &str,
    source_objects: &[Manifest],
    target: &str,
    target_objects: &[Manifest],
    query: &Query,
) -> Result<Verdict, ReachError> {
    let From::Pod(spec) = &query.from else {
        return Err(ReachError::Query {
            message: "the kubelet probes the pods of its own node, never those of another cluster".into(),
            help: format!("ask about the kubelet within {target}, or about a pod of {source}"),
        });
    };
    let src = Cluster::from_manifests(source_objects)?;
    let dst = Cluster::from_manifests(target_objects)?;
    let (link_id, link) = link(source, source_objects, target)?;
    let target_w = dst.workload(&query.to.namespace, &query.to.workload)?;
    let port = dst.target_port(target_w, &query.to.port)?;
    let target_labels = dst.pod_labels(target_w);
    let client = src.client(spec)?;
    let client_id = src.identity(&client.service_account, &client.namespace);
    let shown = format!("{} in {source}", client.shown);

    let services = services(target_objects, &query.to.namespace)?;
    let Some(exported) = exported(&dst, target_w, &target_labels, port, &services, &link) else {
        return Ok(refused(
            format!(
                "nothing of {target} that leads to port {port} of {} is mirrored into {source}",
                target_w.id()
            ),
            format!(
                "no Service of {target} that selects the pods of {} on port {port} carries a label that Link {link_id} \
                 selects ({}); set dgraph.export.mode in {target}'s values, or export the Service by hand",
                target_w.id(),
                selectors(&link)
            ),
        ));
    };
    let mirror = exported.mirror(target);
    let Ok(service_port) = u16::try_from(exported.port) else {
        return Err(ReachError::Model {
            object: format!("Service {}/{}", exported.namespace, exported.name),
            message: format!("port {} is out of range", exported.port),
        });
    };
    if !client.meshed || client.skip_outbound.contains(&service_port) {
        return Ok(refused(
            format!("{shown} dials {mirror}:{service_port} without its proxy"),
            format!(
                "{shown} has no proxy on this connection: the mirror {mirror} of {target}'s Service {}/{} is reached \
                 only through the client's Linkerd proxy, which alone knows where it leads",
                exported.namespace, exported.name
            ),
        ));
    }
    let route = Step::allow(format!(
        "Link {link_id} mirrors {target}'s Service {}/{} into {source} as {mirror} ({})",
        exported.namespace,
        exported.name,
        match exported.mode {
            Mode::Gateway => "through the gateway: the label matches the Link's selector",
            Mode::RemoteDiscovery => "pod to pod: the label matches the Link's remoteDiscoverySelector",
            Mode::Federated => "federated, pod to pod: the label matches the Link's federatedServiceSelector",
        }
    ));
    match exported.mode {
        Mode::Gateway => through_gateway(&dst, target, &link, query, &client_id, spec, &shown, &mirror, route),
        Mode::RemoteDiscovery | Mode::Federated => {
            let Some(ip) = spec.ip else {
                return Err(ReachError::Query {
                    message: format!(
                        "pod to pod, {target}'s NetworkPolicies see the address of the pod in {source}, and the question gives none"
                    ),
                    help: format!("add ip=ADDRESS to --from, an address of {source}'s pod network"),
                });
            };
            if !dst.is_meshed(target_w)
                || dst
                    .ports_setting(target_w, "config.linkerd.io/skip-inbound-ports")
                    .contains(&port)
            {
                return Ok(refused(
                    format!("{} has no proxy on port {port}", target_w.id()),
                    format!(
                        "pod to pod, the client's proxy connects to the target's proxy, and {} has none on port {port}",
                        target_w.id()
                    ),
                ));
            }
            let network_port = if src.mesh.outbound_transport_mode == "transport-header" {
                dst.mesh.inbound_port
            } else {
                port
            };
            let empty = Labels::new();
            let peer = netpol::Peer {
                namespace: None,
                labels: &empty,
                ip: Some(ip),
                shown: &shown,
            };
            let network = netpol::admits(&dst, target_w, &target_labels, &peer, network_port);
            let c = mesh::Client {
                identity: Some(client_id.clone()),
                ip: Some(ip),
                probe_paths: None,
                shown: &shown,
            };
            let mesh = mesh::authorize(&dst, target_w, &target_labels, port, &c)?;
            Ok(Verdict {
                path: format!(
                    "pod to pod: the proxy of {shown} resolves {mirror} to the addresses of {}'s pods in {target} \
                     and dials one of them on port {network_port} directly, from {ip}, over mTLS as {client_id}",
                    target_w.id()
                ),
                route: Some(route),
                network,
                mesh: Some(mesh),
            })
        }
    }
}

/// The gateway hop (its NetworkPolicies and Server see the client), then the target
/// seen from the gateway's pods.
#[allow(clippy::too_many_arguments)]
fn through_gateway(
    dst: &Cluster,
    target: &str,
    link: &LinkSpec,
    query: &Query,
    client_id: &str,
    spec: &PodSpec,
    shown: &str,
    mirror: &str,
    route: Step,
) -> Result<Verdict, ReachError> {
    let gateway = gateway_workload(dst, target, link)?;
    let labels = dst.pod_labels(gateway);
    let port = dst.mesh.inbound_port;
    let address = format!(
        "{}:{}",
        link.gateway_address.as_deref().unwrap_or("?"),
        match &link.gateway_port {
            Some(IntOrString::Int(n)) => n.to_string(),
            Some(IntOrString::String(s)) => s.clone(),
            None => "?".into(),
        }
    );
    let empty = Labels::new();
    let peer = netpol::Peer {
        namespace: None,
        labels: &empty,
        ip: spec.ip,
        shown,
    };
    let first_network = netpol::admits(dst, gateway, &labels, &peer, port);
    let c = mesh::Client {
        identity: Some(client_id.to_string()),
        ip: spec.ip,
        probe_paths: None,
        shown,
    };
    let first_mesh = mesh::authorize(dst, gateway, &labels, port, &c)?;
    let first_path = format!(
        "the proxy of {shown} sends {mirror} to {target}'s gateway at {address} (port {port} of {}), over mTLS as {client_id}",
        gateway.id()
    );
    if !first_network.allowed || !first_mesh.allowed {
        return Ok(Verdict {
            path: first_path,
            route: Some(route),
            network: first_network,
            mesh: Some(first_mesh),
        });
    }
    let second = dst.evaluate(&Query {
        from: From::Pod(PodSpec {
            namespace: gateway.namespace.clone(),
            workload: Some(gateway.name.clone()),
            ..PodSpec::default()
        }),
        to: query.to.clone(),
    })?;
    Ok(Verdict {
        path: format!(
            "{first_path}; the gateway admits it (NetworkPolicy: {}; Linkerd: {}), then {}",
            first_network.rule, first_mesh.rule, second.path
        ),
        route: Some(route),
        network: second.network,
        mesh: second.mesh,
    })
}

/// The pods behind the Link's gatewayIdentity: `SA.NAMESPACE.serviceaccount.identity...`.
fn gateway_workload<'c>(dst: &'c Cluster, target: &str, link: &LinkSpec) -> Result<&'c Workload, ReachError> {
    let identity = link.gateway_identity.as_deref().unwrap_or_default();
    let mut parts = identity.split('.');
    let (sa, ns) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    dst.workloads
        .iter()
        .find(|w| w.namespace == ns && w.service_account == sa && dst.is_meshed(w))
        .ok_or_else(|| ReachError::Query {
            message: format!("{target} renders no meshed gateway with the identity {identity:?} that the Link names"),
            help: format!("render the fleet afresh; {target}'s values must keep multicluster.gateway.enabled"),
        })
}

/// A verdict decided by the route: nothing past it is reached.
fn refused(path: String, rule: String) -> Verdict {
    Verdict {
        path,
        route: Some(Step::deny(rule)),
        network: Step::deny("not reached".into()),
        mesh: None,
    }
}

/// The source's Link to `target`, with its `namespace/name`.
fn link(source: &str, objects: &[Manifest], target: &str) -> Result<(String, LinkSpec), ReachError> {
    for m in objects
        .iter()
        .filter(|m| m.kind == "Link" && m.api_version.starts_with("multicluster.linkerd.io/"))
    {
        let spec: LinkSpec = parse(m, m.body.get("spec").cloned().unwrap_or_default())?;
        if spec.target_cluster_name == target {
            return Ok((
                format!("{}/{}", m.namespace.as_deref().unwrap_or_default(), m.name),
                spec,
            ));
        }
    }
    Err(ReachError::Query {
        message: format!("{source} has no Link to {target}, so nothing of {target} is mirrored into {source}"),
        help: format!("declare `- to: {target}` in {source}'s links in the fleet file"),
    })
}

fn services(objects: &[Manifest], namespace: &str) -> Result<Vec<(String, Service)>, ReachError> {
    objects
        .iter()
        .filter(|m| m.kind == "Service" && m.api_version == "v1" && m.namespace.as_deref() == Some(namespace))
        .map(|m| Ok((m.name.clone(), parse(m, (*m.body).clone())?)))
        .collect()
}

fn parse<T: serde::de::DeserializeOwned>(m: &Manifest, body: serde_json::Value) -> Result<T, ReachError> {
    serde_json::from_value(body).map_err(|e| ReachError::Model {
        object: m.id(),
        message: e.to_string(),
    })
}

/// The first Service (by name) that selects the pods, leads to `port`, and that the
/// Link mirrors; the gateway selector is tried first, as the service mirror does.
fn exported(
    dst: &Cluster,
    w: &Workload,
    pod_labels: &Labels,
    port: u16,
    services: &[(String, Service)],
    link: &LinkSpec,
) -> Option<Exported> {
    let modes = [
        (
            Mode::Gateway,
            link.selector.as_ref().filter(|_| link.gateway_address.is_some()),
        ),
        (Mode::RemoteDiscovery, link.remote_discovery_selector.as_ref()),
        (Mode::Federated, link.federated_service_selector.as_ref()),
    ];
    let mut sorted: Vec<&(String, Service)> = services.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, svc) in sorted {
        let Some(spec) = &svc.spec else { continue };
        let selector: BTreeMap<String, String> = spec.selector.clone().unwrap_or_default();
        if selector.is_empty() || !selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)) {
            continue;
        }
        let Some(service_port) = spec.ports.iter().flatten().find(|p| leads_to(dst, w, p, port)) else {
            continue;
        };
        let labels: Labels = svc.metadata.labels.clone().unwrap_or_default();
        // A Link's empty selector (or none) mirrors nothing.
        let mode = modes.iter().find_map(|(mode, sel)| {
            sel.filter(|s| s.match_labels.as_ref().is_some_and(|l| !l.is_empty()) || s.match_expressions.is_some())
                .filter(|s| matches(Some(s), &labels))
                .map(|_| *mode)
        });
        if let Some(mode) = mode {
            return Some(Exported {
                namespace: svc.metadata.namespace.clone().unwrap_or_default(),
                name: name.clone(),
                port: service_port.port,
                mode,
            });
        }
    }
    None
}

/// Whether a Service port forwards to `port` of the pods.
fn leads_to(dst: &Cluster, w: &Workload, p: &ServicePort, port: u16) -> bool {
    let target = match &p.target_port {
        None => u16::try_from(p.port).ok(),
        Some(IntOrString::Int(n)) => u16::try_from(*n).ok(),
        Some(IntOrString::String(name)) => dst.pod_named_port(w, name),
    };
    target == Some(port) && p.protocol.as_deref().is_none_or(|proto| proto == "TCP")
}

fn selectors(link: &LinkSpec) -> String {
    let show = |what: &str, s: &Option<LabelSelector>| {
        s.as_ref()
            .and_then(|s| s.match_labels.as_ref())
            .filter(|l| !l.is_empty())
            .map(|l| {
                let pairs: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{what} {}", pairs.join(","))
            })
    };
    let all: Vec<String> = [
        link.gateway_address
            .as_ref()
            .and_then(|_| show("selector", &link.selector)),
        show("remoteDiscoverySelector", &link.remote_discovery_selector),
        show("federatedServiceSelector", &link.federated_service_selector),
    ]
    .into_iter()
    .flatten()
    .collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join("; ")
    }
}
