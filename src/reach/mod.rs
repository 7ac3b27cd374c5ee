//! Who can reach what: an evaluator over the rendered objects that answers "can a
//! pod with labels L, in namespace N, meshed or not, with ServiceAccount S, open
//! port P on this pod?". It combines both layers that stand in the way:
//!
//! 1. the NetworkPolicies (Kubernetes semantics), which see the port a connection
//!    arrives on: for a meshed client that is the proxy's inbound port (4143),
//!    since Linkerd edge-25.3 sends meshed traffic there with a transport header;
//! 2. the Linkerd authorization of the target's proxy (Servers, AuthorizationPolicies,
//!    MeshTLS and Network authentications, default inbound policies), which sees
//!    the client's mesh identity, if it has one. Ports the proxy skips bypass it.
//!
//! Nothing upstream has this; it is written here against the behaviour of the
//! policy controller and destination service at edge-26.8.3.

mod cluster;
mod mesh;
mod netpol;
mod query;
mod remote;
mod selector;

use std::fmt;

pub use cluster::Cluster;
pub use query::{From, PodSpec, Query, Target};
pub use remote::across;

use crate::bundles::traffic::MESHED_LABEL;
/// The Dgraph and proxy ports the rules are about.
pub use crate::bundles::traffic::{dgraph_ports, proxy_ports};
use crate::Manifest;
use cluster::Labels;

/// What went wrong with a question, or with the tree it was asked of.
#[derive(Debug, thiserror::Error)]
pub enum ReachError {
    /// The question cannot be parsed or does not name a rendered pod.
    #[error("{message}\n  help: {help}")]
    Query {
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
    },
    /// An object of the tree cannot be understood.
    #[error("cannot read {object}: {message}\n  help: check the object, or render the tree afresh")]
    Model {
        /// The object, as `Kind namespace/name (template ...)`.
        object: String,
        /// What is wrong.
        message: String,
    },
    /// The tree holds something the evaluator does not model (route-level policy).
    #[error("{message}\n  help: meshgen renders no such object; remove it or check the answer by hand")]
    Unsupported {
        /// What is wrong.
        message: String,
    },
}

/// One layer's answer and the rule that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Whether this layer lets the connection through.
    pub allowed: bool,
    /// The rule that decided, such as `NetworkPolicy dgraph/demo-dgraph-allow-meshed`.
    pub rule: String,
}

impl Step {
    fn allow(rule: String) -> Self {
        Self { allowed: true, rule }
    }

    fn deny(rule: String) -> Self {
        Self { allowed: false, rule }
    }
}

/// Where each layer sees the connection, and what each decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// How the connection travels: which port the network sees, and with what identity.
    pub path: String,
    /// Across clusters: whether the client's cluster mirrors the target at all, and how
    /// (`None` within one cluster). When it denies, the other layers are never reached.
    pub route: Option<Step>,
    /// What the NetworkPolicies decide.
    pub network: Step,
    /// `None` where no proxy stands in the way (unmeshed target, skipped port).
    pub mesh: Option<Step>,
}

impl Verdict {
    /// Whether both layers let the connection through.
    pub fn allowed(&self) -> bool {
        self.route.as_ref().is_none_or(|r| r.allowed)
            && self.network.allowed
            && self.mesh.as_ref().is_none_or(|m| m.allowed)
    }

    /// The rule that decides: the first layer that denies, else the last that allows.
    pub fn deciding(&self) -> &Step {
        if let Some(route) = self.route.as_ref().filter(|r| !r.allowed) {
            return route;
        }
        match &self.mesh {
            _ if !self.network.allowed => &self.network,
            Some(mesh) => mesh,
            None => &self.network,
        }
    }

    /// `Multicluster`, `NetworkPolicy` or `Linkerd`: the layer of [`Self::deciding`].
    pub fn deciding_layer(&self) -> &'static str {
        if self.route.as_ref().is_some_and(|r| !r.allowed) {
            "Multicluster"
        } else if !self.network.allowed || self.mesh.is_none() {
            "NetworkPolicy"
        } else {
            "Linkerd"
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.allowed() { "allowed" } else { "denied" };
        writeln!(f, "{word} by {}: {}", self.deciding_layer(), self.deciding().rule)?;
        writeln!(f, "  path: {}", self.path)?;
        let mark = |s: &Step| if s.allowed { "allowed" } else { "denied" };
        if let Some(route) = &self.route {
            writeln!(f, "  Multicluster: {}: {}", mark(route), route.rule)?;
            if !route.allowed {
                return Ok(());
            }
        }
        writeln!(f, "  NetworkPolicy: {}: {}", mark(&self.network), self.network.rule)?;
        match &self.mesh {
            Some(m) => writeln!(f, "  Linkerd: {}: {}", mark(m), m.rule),
            None => writeln!(f, "  Linkerd: not involved (no proxy on this path)"),
        }
    }
}

/// Answers `query` over the objects of a render.
pub fn reach(manifests: &[Manifest], query: &Query) -> Result<Verdict, ReachError> {
    Cluster::from_manifests(manifests)?.evaluate(query)
}

/// The client, resolved against the tree.
struct Client {
    namespace: String,
    labels: Labels,
    service_account: String,
    meshed: bool,
    skip_outbound: Vec<u16>,
    ip: Option<std::net::IpAddr>,
    shown: String,
}

impl Cluster {
    /// Answers one question.
    pub fn evaluate(&self, query: &Query) -> Result<Verdict, ReachError> {
        let target = self.workload(&query.to.namespace, &query.to.workload)?;
        let target_labels = self.pod_labels(target);
        let port = self.target_port(target, &query.to.port)?;
        let target_meshed = self.is_meshed(target);
        let skipped_in = self.ports_setting(target, "config.linkerd.io/skip-inbound-ports");
        let proxied = target_meshed && !skipped_in.contains(&port);
        let meta_port = port == self.mesh.admin_port || port == self.mesh.control_port;
        if proxied && port == self.mesh.inbound_port {
            return Err(ReachError::Query {
                message: format!("{port} is the proxy's inbound port, which carries every meshed connection"),
                help:
                    "ask about the application port the client dials, such as :9080; the answer shows where it arrives"
                        .into(),
            });
        }

        let client = match &query.from {
            From::Kubelet => {
                let network =
                    Step::allow("the kubelet probes from the pod's own node, which NetworkPolicy always allows".into());
                if !proxied {
                    return Ok(Verdict {
                        route: None,
                        path: format!("the kubelet connects straight to port {port}; no proxy sees it"),
                        network,
                        mesh: None,
                    });
                }
                let proxy_probes: std::collections::BTreeSet<String> =
                    ["/live".to_string(), "/ready".to_string()].into();
                let paths = if port == self.mesh.admin_port {
                    Some(&proxy_probes)
                } else {
                    target.probes.get(&port)
                };
                let Some(paths) = paths else {
                    return Err(ReachError::Query {
                        message: format!("the pods of {} define no httpGet probe on port {port}", target.id()),
                        help: format!(
                            "ask about a probed port: {}",
                            target.probes.keys().map(u16::to_string).collect::<Vec<_>>().join(", ")
                        ),
                    });
                };
                let client = mesh::Client {
                    identity: None,
                    ip: None,
                    probe_paths: Some(paths),
                    shown: "the kubelet",
                };
                return Ok(Verdict {
                    route: None,
                    path: format!("the kubelet's probes enter the proxy on port {port} without identity"),
                    network,
                    mesh: Some(mesh::authorize(self, target, &target_labels, port, &client)?),
                });
            }
            From::Pod(spec) => self.client(spec)?,
        };

        let out_proxied = client.meshed && !client.skip_outbound.contains(&port);
        let identity = (out_proxied && proxied).then(|| self.identity(&client.service_account, &client.namespace));
        let (network_port, path) = if !target_meshed {
            (
                port,
                format!(
                    "{} has no proxy: the connection reaches port {port} as it is",
                    target.id()
                ),
            )
        } else if !proxied {
            (
                port,
                format!("port {port} is in the target's skip-inbound-ports: it bypasses the proxy"),
            )
        } else if meta_port {
            let how = match &identity {
                Some(id) => format!("over mTLS as {id}"),
                None => "without mTLS".into(),
            };
            (
                port,
                format!("port {port} is the proxy's own; the client dials it directly, {how}"),
            )
        } else if let Some(id) = &identity {
            if self.mesh.outbound_transport_mode == "transport-header" {
                (
                    self.mesh.inbound_port,
                    format!(
                        "meshed: the client's proxy sends it to the proxy's inbound port {} with a transport header \
                         (outboundTransportMode transport-header, Linkerd edge-25.3 on), over mTLS as {id}",
                        self.mesh.inbound_port
                    ),
                )
            } else {
                (
                    port,
                    format!("meshed: the client's proxy dials port {port} (transparent mode), over mTLS as {id}"),
                )
            }
        } else if client.meshed {
            (
                port,
                format!(
                    "port {port} is in the client's skip-outbound-ports: it leaves without the proxy, with no identity"
                ),
            )
        } else {
            (
                port,
                format!("unmeshed: the client dials port {port} itself, with no mesh identity"),
            )
        };

        let peer = netpol::Peer {
            namespace: Some(&client.namespace),
            labels: &client.labels,
            ip: client.ip,
            shown: &client.shown,
        };
        let network = netpol::admits(self, target, &target_labels, &peer, network_port);
        let mesh = if proxied {
            let c = mesh::Client {
                identity,
                ip: client.ip,
                probe_paths: None,
                shown: &client.shown,
            };
            Some(mesh::authorize(self, target, &target_labels, port, &c)?)
        } else {
            None
        };
        Ok(Verdict {
            path,
            route: None,
            network,
            mesh,
        })
    }

    fn target_port(&self, target: &cluster::Workload, text: &str) -> Result<u16, ReachError> {
        let meshed = self.is_meshed(target);
        let proxy = [self.mesh.inbound_port, self.mesh.admin_port, self.mesh.control_port];
        let port = match text.parse::<u16>() {
            Ok(n) => Some(n),
            Err(_) => target.named_port(text),
        };
        let listening = |p: u16| target.ports.iter().any(|(n, _)| *n == p) || (meshed && proxy.contains(&p));
        match port {
            Some(p) if listening(p) => Ok(p),
            _ => {
                let mut ports: Vec<String> = target.ports.iter().map(|(p, _)| p.to_string()).collect();
                if meshed {
                    ports.extend(proxy.iter().map(|p| format!("{p} (proxy)")));
                }
                Err(ReachError::Query {
                    message: format!("nothing in the pods of {} listens on {text}", target.id()),
                    help: format!("ask about one of its ports: {}", ports.join(", ")),
                })
            }
        }
    }

    fn client(&self, spec: &PodSpec) -> Result<Client, ReachError> {
        let mut client = match &spec.workload {
            Some(name) => {
                let w = self.workload(&spec.namespace, name)?;
                let meshed = self.is_meshed(w) && !spec.unmeshed;
                let mut labels = w.labels.clone();
                if meshed {
                    labels.insert(MESHED_LABEL.into(), self.mesh.namespace.clone());
                }
                Client {
                    namespace: w.namespace.clone(),
                    labels,
                    service_account: w.service_account.clone(),
                    meshed,
                    skip_outbound: self.ports_setting(w, "config.linkerd.io/skip-outbound-ports"),
                    ip: spec.ip,
                    shown: format!("{} pods of {}", if meshed { "meshed" } else { "unmeshed" }, w.id()),
                }
            }
            None => {
                let meshed = !spec.unmeshed;
                let mut labels = spec.labels.clone();
                if meshed {
                    labels
                        .entry(MESHED_LABEL.into())
                        .or_insert_with(|| self.mesh.namespace.clone());
                }
                Client {
                    namespace: spec.namespace.clone(),
                    labels,
                    service_account: "default".into(),
                    meshed,
                    skip_outbound: Vec::new(),
                    ip: spec.ip,
                    shown: String::new(),
                }
            }
        };
        client.labels.extend(spec.labels.clone());
        if let Some(sa) = &spec.service_account {
            client.service_account = sa.clone();
        }
        if client.shown.is_empty() {
            let labels: Vec<String> = client.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            client.shown = format!(
                "{} in {} [{}]",
                if client.meshed {
                    "a meshed pod"
                } else {
                    "an unmeshed pod"
                },
                client.namespace,
                labels.join(",")
            );
        }
        Ok(client)
    }
}
