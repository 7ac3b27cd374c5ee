//! Kubernetes NetworkPolicy semantics, for ingress: a pod that no policy selects
//! accepts everything; a selected pod accepts what at least one rule of one
//! selecting policy admits (policies are additive, there are no deny rules); the
//! node a pod runs on can always reach it.

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::cluster::{Cluster, Labels, Named, Workload};
use super::selector::matches;
use super::Step;

/// The sender of a connection, as the network sees it.
pub(crate) struct Peer<'a> {
    /// `None` for a pod of another cluster: only ipBlock rules can name it.
    pub namespace: Option<&'a str>,
    pub labels: &'a Labels,
    pub ip: Option<IpAddr>,
    /// How the answer names it.
    pub shown: &'a str,
}

/// Is a connection from `peer` to `port` of a pod of `target` admitted?
pub(crate) fn admits(cluster: &Cluster, target: &Workload, target_labels: &Labels, peer: &Peer, port: u16) -> Step {
    let selecting: Vec<&Named<NetworkPolicySpec>> = cluster
        .network_policies
        .iter()
        .filter(|p| p.namespace == target.namespace)
        .filter(|p| affects_ingress(&p.spec))
        .filter(|p| matches(p.spec.pod_selector.as_ref(), target_labels))
        .collect();
    if selecting.is_empty() {
        return Step::allow(format!(
            "no NetworkPolicy selects the pods of {}, so they accept any connection",
            target.id()
        ));
    }
    for policy in &selecting {
        for (i, rule) in policy.spec.ingress.iter().flatten().enumerate() {
            let from_ok = match rule.from.as_deref() {
                None | Some([]) => true,
                Some(peers) => peers.iter().any(|p| peer_matches(cluster, policy, p, peer)),
            };
            let port_ok = match rule.ports.as_deref() {
                None | Some([]) => true,
                Some(ports) => ports.iter().any(|p| port_matches(cluster, target, p, port)),
            };
            if from_ok && port_ok {
                return Step::allow(format!(
                    "NetworkPolicy {} ingress[{i}] admits {} on TCP {port}",
                    policy.id(),
                    peer.shown
                ));
            }
        }
    }
    let names: Vec<String> = selecting.iter().map(|p| p.id()).collect();
    let (kind, verb) = if names.len() == 1 {
        ("NetworkPolicy", "isolates")
    } else {
        ("NetworkPolicies", "isolate")
    };
    Step::deny(format!(
        "{kind} {} {verb} the pods of {}, and no rule admits {} on TCP {port}",
        names.join(", "),
        target.id(),
        peer.shown
    ))
}

/// `policyTypes` unset means Ingress (plus Egress when egress rules are present).
fn affects_ingress(spec: &NetworkPolicySpec) -> bool {
    spec.policy_types
        .as_ref()
        .is_none_or(|types| types.iter().any(|t| t == "Ingress"))
}

fn peer_matches(cluster: &Cluster, policy: &Named<NetworkPolicySpec>, p: &NetworkPolicyPeer, peer: &Peer) -> bool {
    if let Some(block) = &p.ip_block {
        // A pod's own address is unknown unless the question gives one.
        let Some(ip) = peer.ip else { return false };
        let within = |cidr: &str| cidr.parse::<ipnet::IpNet>().is_ok_and(|net| net.contains(&ip));
        return within(&block.cidr) && !block.except.iter().flatten().any(|e| within(e));
    }
    // Namespace and pod selectors pick pods of this cluster only.
    let Some(namespace) = peer.namespace else {
        return false;
    };
    let namespace_ok = match &p.namespace_selector {
        // Without a namespaceSelector, a podSelector picks pods of the policy's own namespace.
        None => namespace == policy.namespace,
        Some(selector) => matches(Some(selector), &cluster.namespace_labels(namespace)),
    };
    let pod_ok = p.pod_selector.as_ref().is_none_or(|s| matches(Some(s), peer.labels));
    namespace_ok && pod_ok
}

fn port_matches(cluster: &Cluster, target: &Workload, p: &NetworkPolicyPort, port: u16) -> bool {
    if p.protocol.as_deref().is_some_and(|proto| proto != "TCP") {
        return false;
    }
    match &p.port {
        None => true,
        Some(IntOrString::Int(n)) => {
            let end = p.end_port.unwrap_or(*n);
            (*n..=end).contains(&i32::from(port))
        }
        // A named port is looked up among the selected pod's container ports,
        // including those of the proxy the injector adds.
        Some(IntOrString::String(name)) => cluster.pod_named_port(target, name) == Some(port),
    }
}
