//! Linkerd's inbound authorization, as the policy controller at edge-26.8.3 builds
//! it: the Server that selects a pod's port (else the default policy from the pod's
//! annotation, the namespace's, or the cluster's), the AuthorizationPolicies that
//! target it, their authentications, and the default route that authorizes the
//! kubelet's probes while no HTTPRoute selects the Server.

use std::collections::BTreeSet;
use std::net::IpAddr;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::cluster::{AuthorizationPolicySpec, Cluster, Labels, Named, ServerSpec, TargetRef, Workload};
use super::selector::matches;
use super::{ReachError, Step};

const POLICY_GROUP: &str = "policy.linkerd.io";

/// The client as the target's proxy sees it.
pub(crate) struct Client<'a> {
    /// Its mesh identity; `None` for a connection without mTLS.
    pub identity: Option<String>,
    pub ip: Option<IpAddr>,
    /// For the kubelet: the httpGet probe paths it sends on this port.
    pub probe_paths: Option<&'a BTreeSet<String>>,
    pub shown: &'a str,
}

impl Client<'_> {
    fn described(&self) -> String {
        match &self.identity {
            Some(id) => format!("{}, identity {id},", self.shown),
            None => format!("{}, with no mesh identity,", self.shown),
        }
    }
}

pub(crate) fn authorize(
    cluster: &Cluster,
    target: &Workload,
    labels: &Labels,
    port: u16,
    client: &Client,
) -> Result<Step, ReachError> {
    if port == cluster.mesh.control_port {
        return Ok(tap(cluster, client));
    }
    let servers: Vec<&Named<ServerSpec>> = cluster
        .servers
        .iter()
        .filter(|s| s.namespace == target.namespace)
        .filter(|s| s.spec.pod_selector.is_some() && matches(s.spec.pod_selector.as_ref(), labels))
        .filter(|s| match &s.spec.port {
            IntOrString::Int(n) => i32::from(port) == *n,
            IntOrString::String(name) => cluster.pod_named_port(target, name) == Some(port),
        })
        .collect();
    // Upstream keeps the oldest Server when several select a port; a rendered tree
    // has no creation times, so the first by name stands in for it.
    let Some(server) = servers.iter().min_by(|a, b| a.name.cmp(&b.name)) else {
        return Ok(default_server(cluster, target, port, client));
    };
    let routes: Vec<String> = cluster
        .http_routes
        .iter()
        .filter(|r| r.namespace == server.namespace)
        .filter(|r| {
            r.spec
                .parent_refs
                .iter()
                .any(|p| p.kind == "Server" && p.name == server.name)
        })
        .map(Named::id)
        .collect();
    if let Some(paths) = client.probe_paths {
        if !routes.is_empty() {
            return Ok(Step::deny(format!(
                "HTTPRoute {} selects Server {}, so Linkerd no longer authorizes the kubelet's probes by default; \
                 authorize {} with a NetworkAuthentication on a route",
                routes.join(", "),
                server.id(),
                join(paths)
            )));
        }
        let subject = format!("no HTTPRoute selects Server {}", server.id());
        if let Some(step) = probe_route(cluster, server.spec.proxy_protocol.as_deref(), &subject, paths) {
            return Ok(step);
        }
    } else if !routes.is_empty() {
        return Err(ReachError::Unsupported {
            message: format!(
                "HTTPRoute {} selects Server {}: route-level authorization is not modelled",
                routes.join(", "),
                server.id()
            ),
        });
    }
    let mut considered = Vec::new();
    let mut policies: Vec<&Named<AuthorizationPolicySpec>> = cluster
        .authorization_policies
        .iter()
        .filter(|p| p.namespace == server.namespace)
        .filter(|p| targets(&p.spec.target_ref, server))
        .collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    for policy in policies {
        match requirement(cluster, policy) {
            Err(why) => considered.push(format!("AuthorizationPolicy {} (ignored: {why})", policy.id())),
            Ok(req) => {
                if req.admits(cluster, client) {
                    return Ok(Step::allow(format!(
                        "AuthorizationPolicy {} admits {} on Server {} ({})",
                        policy.id(),
                        client.described(),
                        server.id(),
                        req.shown
                    )));
                }
                considered.push(format!("AuthorizationPolicy {} ({})", policy.id(), req.shown));
            }
        }
    }
    let access = server.spec.access_policy.as_deref().unwrap_or("deny");
    if access != "deny" {
        let shown = format!("Server {}'s accessPolicy {access}", server.id());
        return Ok(default_policy(cluster, access, &shown, client));
    }
    Ok(Step::deny(format!(
        "Server {} (accessPolicy deny) admits only what {} allow{}; {} is not admitted",
        server.id(),
        if considered.is_empty() {
            "its AuthorizationPolicies (none)".to_string()
        } else {
            considered.join(", ")
        },
        if considered.len() == 1 { "s" } else { "" },
        client.described()
    )))
}

/// The proxy's tap server answers only viz's tap, which the tap injector names in
/// `LINKERD2_PROXY_TAP_SVC_NAME`.
fn tap(cluster: &Cluster, client: &Client) -> Step {
    let tap = cluster.identity("tap", &cluster.viz_namespace);
    let rule = format!(
        "the proxy's tap server (port {}) admits only linkerd-viz's tap, identity {tap} \
         (LINKERD2_PROXY_TAP_SVC_NAME, set by viz's tap injector)",
        cluster.mesh.control_port
    );
    if client.identity.as_deref() == Some(tap.as_str()) {
        Step::allow(rule)
    } else {
        Step::deny(format!("{rule}; {} does not qualify", client.described()))
    }
}

/// A port that no Server selects gets the pod's default policy.
fn default_server(cluster: &Cluster, target: &Workload, port: u16, client: &Client) -> Step {
    let (policy, from) = cluster
        .pod_setting(target, "config.linkerd.io/default-inbound-policy")
        .unwrap_or_else(|| {
            (
                cluster.mesh.default_inbound_policy.clone(),
                format!("the cluster default, {}", cluster.mesh.source),
            )
        });
    let shown = format!("no Server selects port {port}: default inbound policy {policy} ({from})");
    if let Some(paths) = client.probe_paths {
        let subject = format!("no Server selects port {port}");
        if let Some(step) = probe_route(cluster, None, &subject, paths) {
            return step;
        }
    }
    default_policy(cluster, &policy, &shown, client)
}

/// Linkerd's default route for probes: GET on each probe path, from the probe
/// networks, without identity. It exists only while no HTTPRoute selects the
/// Server, and only where the proxy speaks HTTP.
fn probe_route(cluster: &Cluster, protocol: Option<&str>, subject: &str, paths: &BTreeSet<String>) -> Option<Step> {
    if matches!(protocol, Some("opaque" | "TLS")) {
        return None;
    }
    if cluster.mesh.probe_networks.is_empty() {
        return None;
    }
    let nets: Vec<String> = cluster.mesh.probe_networks.iter().map(ToString::to_string).collect();
    Some(Step::allow(format!(
        "{subject}, so Linkerd's default probe route authorizes GET {} from the probe networks {} without identity",
        join(paths),
        nets.join(",")
    )))
}

fn default_policy(cluster: &Cluster, policy: &str, shown: &str, client: &Client) -> Step {
    let in_cluster = client
        .ip
        .is_none_or(|ip| cluster.mesh.cluster_networks.iter().any(|n| n.contains(&ip)));
    let authenticated = client.identity.is_some();
    let (ok, why) = match policy {
        "all-unauthenticated" => (true, "any client"),
        "audit" => (true, "any client, and logs it"),
        "all-authenticated" => (authenticated, "only clients with a mesh identity"),
        "cluster-unauthenticated" => (in_cluster, "only clients in the cluster networks"),
        "cluster-authenticated" => (
            authenticated && in_cluster,
            "only clients with a mesh identity in the cluster networks",
        ),
        "deny" => (false, "no client"),
        _ => (false, "nothing: the policy controller does not know this value"),
    };
    let rule = format!("{shown} admits {why}");
    if ok {
        Step::allow(format!("{rule}; {} qualifies", client.described()))
    } else {
        Step::deny(format!("{rule}; {} does not qualify", client.described()))
    }
}

fn targets(r: &TargetRef, server: &Named<ServerSpec>) -> bool {
    match r.kind.as_str() {
        "Server" => r.group == POLICY_GROUP && r.name == server.name,
        // A policy on the Namespace applies to every Server in it.
        "Namespace" => r.group.is_empty() && r.name == server.namespace,
        _ => false,
    }
}

/// What one AuthorizationPolicy requires of a client.
struct Requirement {
    /// `None`: no identity needed.
    identities: Option<Vec<IdentityMatch>>,
    /// `None`: any network.
    networks: Option<Vec<super::cluster::Network>>,
    shown: String,
}

enum IdentityMatch {
    Exact(String),
    Suffix(String),
    Any,
}

impl IdentityMatch {
    fn parse(s: &str) -> Self {
        match s {
            "*" => Self::Any,
            _ => match s.strip_prefix('*') {
                Some(suffix) => Self::Suffix(suffix.to_string()),
                None => Self::Exact(s.to_string()),
            },
        }
    }

    fn matches(&self, id: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(e) => e == id,
            Self::Suffix(s) => id.ends_with(s.as_str()),
        }
    }
}

/// Resolves a policy's authentications the way the policy controller does; a
/// policy it would call illegal is reported with the reason.
fn requirement(cluster: &Cluster, policy: &Named<AuthorizationPolicySpec>) -> Result<Requirement, String> {
    let mut identities: Option<Vec<IdentityMatch>> = None;
    let mut networks = None;
    let mut shown = Vec::new();
    for r in &policy.spec.required_authentication_refs {
        let ns = r.namespace.clone().unwrap_or_else(|| policy.namespace.clone());
        match (r.group.as_str(), r.kind.as_str()) {
            (POLICY_GROUP, "MeshTLSAuthentication") => {
                if identities.is_some() {
                    return Err("policy must not include multiple MeshTLSAuthentications".into());
                }
                let authn = cluster
                    .mesh_tls
                    .iter()
                    .find(|a| a.namespace == ns && a.name == r.name)
                    .ok_or_else(|| format!("could not find MeshTLSAuthentication {} in namespace {ns}", r.name))?;
                let mut ids: Vec<IdentityMatch> =
                    authn.spec.identities.iter().map(|s| IdentityMatch::parse(s)).collect();
                for id in &authn.spec.identity_refs {
                    let id_ns = id.namespace.clone().unwrap_or_else(|| authn.namespace.clone());
                    match (id.group.as_str(), id.kind.as_str()) {
                        ("" | "core", "ServiceAccount") => {
                            ids.push(IdentityMatch::Exact(cluster.identity(&id.name, &id_ns)))
                        }
                        ("" | "core", "Namespace") => ids.push(IdentityMatch::Suffix(format!(
                            ".{}.serviceaccount.identity.{}.{}",
                            id.name, cluster.mesh.namespace, cluster.mesh.trust_domain
                        ))),
                        (_, kind) => {
                            return Err(format!(
                                "MeshTLSAuthentication {} names an unsupported kind {kind}",
                                authn.id()
                            ))
                        }
                    }
                }
                if ids.is_empty() {
                    return Err(format!("MeshTLSAuthentication {} configures no identities", authn.id()));
                }
                shown.push(format!("MeshTLSAuthentication {}", authn.id()));
                identities = Some(ids);
            }
            ("" | "core", "ServiceAccount") => {
                if identities.is_some() {
                    return Err("policy must not include multiple ServiceAccounts".into());
                }
                let id = cluster.identity(&r.name, &ns);
                shown.push(format!("ServiceAccount {ns}/{}", r.name));
                identities = Some(vec![IdentityMatch::Exact(id)]);
            }
            (POLICY_GROUP, "NetworkAuthentication") => {
                if networks.is_some() {
                    return Err("policy must not include multiple NetworkAuthentications".into());
                }
                let authn = cluster
                    .networks
                    .iter()
                    .find(|a| a.namespace == ns && a.name == r.name)
                    .ok_or_else(|| format!("could not find NetworkAuthentication {} in namespace {ns}", r.name))?;
                shown.push(format!("NetworkAuthentication {}", authn.id()));
                networks = Some(authn.spec.networks.clone());
            }
            (group, kind) => return Err(format!("unsupported authentication {group}/{kind}")),
        }
    }
    Ok(Requirement {
        identities,
        networks,
        shown: if shown.is_empty() {
            "no authentication".into()
        } else {
            shown.join(" and ")
        },
    })
}

impl Requirement {
    fn admits(&self, _cluster: &Cluster, client: &Client) -> bool {
        let identity_ok = match (&self.identities, &client.identity) {
            (None, _) => true,
            (Some(ids), Some(id)) => ids.iter().any(|m| m.matches(id)),
            (Some(_), None) => false,
        };
        let network_ok = match &self.networks {
            None => true,
            Some(nets) => nets.iter().any(|n| network_admits(n, client.ip)),
        };
        identity_ok && network_ok
    }
}

/// With the client's address unknown, only a network that covers every address
/// (and excepts none) is sure to admit it.
fn network_admits(n: &super::cluster::Network, ip: Option<IpAddr>) -> bool {
    let Ok(net) = n.cidr.parse::<ipnet::IpNet>() else {
        return false;
    };
    match ip {
        Some(ip) => {
            net.contains(&ip)
                && !n
                    .except
                    .iter()
                    .any(|e| e.parse::<ipnet::IpNet>().is_ok_and(|x| x.contains(&ip)))
        }
        None => net.prefix_len() == 0 && n.except.is_empty(),
    }
}

fn join(paths: &BTreeSet<String>) -> String {
    paths.iter().cloned().collect::<Vec<_>>().join(", ")
}
