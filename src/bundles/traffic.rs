//! Derived facts of Dgraph's traffic rules: who the NetworkPolicies admit on which
//! port, and which Servers, authentications and AuthorizationPolicies guard the
//! ports that go through the proxy. Templates own each object's shape; the rules
//! that several objects (and `crate::reach`) must agree on live here.

use indexmap::IndexMap;
use serde::Serialize;

use crate::values::traffic::ExportMode;
use crate::values::Values;

type Map = IndexMap<String, String>;

/// Dgraph's ports, as its StatefulSets declare them.
pub mod dgraph_ports {
    /// Zero's gRPC port: Raft among Zeros, and where Alphas reach Zero.
    pub const ZERO_GRPC: u16 = 5080;
    /// Zero's HTTP port: admin endpoints, /health, /state and metrics.
    pub const ZERO_HTTP: u16 = 6080;
    /// Alpha's internal gRPC port: Raft among Alphas, and where Zero reaches them.
    pub const ALPHA_INTERNAL: u16 = 7080;
    /// Alpha's HTTP API.
    pub const ALPHA_HTTP: u16 = 8080;
    /// Alpha's gRPC API, which pydgraph and dgo use.
    pub const ALPHA_GRPC: u16 = 9080;
}

/// The ports of an injected linkerd-proxy: the injector's defaults, which
/// linkerd-config's `proxy.ports` carries (a test keeps the two equal).
pub mod proxy_ports {
    /// Where meshed connections arrive (transport-header mode, edge-25.3 on).
    pub const INBOUND: u16 = 4143;
    /// Metrics (`/metrics`, scraped by linkerd-viz's Prometheus) and probes.
    pub const ADMIN: u16 = 4191;
    /// The tap server, which linkerd-viz's tap connects to.
    pub const CONTROL: u16 = 4190;
}

/// The label the proxy injector gives every meshed pod.
pub(crate) const MESHED_LABEL: &str = "linkerd.io/control-plane-ns";

/// The namespace of linkerd-viz, whose Prometheus and tap the policies admit.
pub(crate) fn viz_namespace(values: &Values) -> String {
    values.viz.namespace.clone()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    /// `<release>-dgraph`: the start of every object name here.
    pub prefix: String,
    /// Selects every Dgraph pod of the release, Zero and Alpha alike.
    pub pod_selector: Map,
    /// The label of meshed pods: `linkerd.io/control-plane-ns: <linkerd namespace>`.
    pub meshed_labels: Map,
    pub proxy_inbound_port: u16,
    pub proxy_admin_port: u16,
    pub proxy_control_port: u16,
    /// Alpha's ports that proxies dialling the original port use (8080, 9080).
    pub alpha_api_ports: Vec<u16>,
    /// Where Zero and Alpha reach each other outside the proxy: the skipped
    /// inbound ports, plus Zero's HTTP port.
    pub peer_ports: Vec<u16>,
    pub viz: Viz,
    /// One per Dgraph port that goes through the proxy.
    pub servers: Vec<ServerView>,
    pub authentications: Vec<Authentication>,
    /// The Namespace's `config.linkerd.io/default-inbound-policy`, if any.
    pub default_inbound_policy: Option<String>,
    /// Who may call Alpha from other clusters, when it is exported.
    pub remote: Option<Remote>,
}

/// Clients in other clusters: through this cluster's gateway Alpha sees the
/// gateway's identity; pod to pod, each client's own, from its own network.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Remote {
    /// `<release>-dgraph-remote-clients`: the MeshTLSAuthentication.
    pub authentication: String,
    /// The identities it admits.
    pub identities: Vec<String>,
    /// Networks a NetworkPolicy admits on the proxy's inbound port; empty through
    /// the gateway, a meshed pod of this cluster that `allow-meshed` already admits.
    pub networks: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Viz {
    pub namespace: String,
    /// The namespace as a NetworkPolicy selects it.
    pub namespace_labels: Map,
    /// Pod labels of viz's Prometheus and of its tap API server.
    pub prometheus_labels: Map,
    pub tap_labels: Map,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerView {
    pub name: String,
    /// `zero` or `alpha`: whose selector and labels the Server takes.
    pub component: String,
    pub port: u16,
    pub proxy_protocol: String,
    /// The MeshTLSAuthentication its AuthorizationPolicy requires.
    pub authentication: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Authentication {
    pub name: String,
    pub service_accounts: Vec<ServiceAccount>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceAccount {
    pub name: String,
    pub namespace: String,
}

fn map(pairs: &[(&str, &str)]) -> Map {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl View {
    pub(crate) fn new(values: &Values, dgraph: &super::dgraph::View) -> Self {
        let d = &values.dgraph;
        let base = format!("{}-dgraph", d.release);
        let skipped = |port: u16| d.mesh.skip_inbound_ports.contains(&port);
        let mut peer_ports: Vec<u16> = d.mesh.skip_inbound_ports.clone();
        peer_ports.push(dgraph_ports::ZERO_HTTP);
        peer_ports.sort_unstable();
        peer_ports.dedup();

        let peers = format!("{base}-peers");
        let clients = format!("{base}-clients");
        let server = |component: &str, suffix: &str, port: u16, protocol: &str, authn: &str| ServerView {
            name: format!("{base}-{component}-{suffix}"),
            component: component.into(),
            port,
            proxy_protocol: protocol.into(),
            authentication: authn.into(),
        };
        let servers = [
            server("alpha", "http", dgraph_ports::ALPHA_HTTP, "HTTP/1", &clients),
            server("alpha", "grpc", dgraph_ports::ALPHA_GRPC, "gRPC", &clients),
            server("zero", "http", dgraph_ports::ZERO_HTTP, "HTTP/1", &peers),
        ]
        .into_iter()
        .filter(|s| !skipped(s.port))
        .collect();

        let own = ServiceAccount {
            name: dgraph.service_account.clone(),
            namespace: d.namespace.clone(),
        };
        let mut callers = vec![own.clone()];
        if values.pydgraph_client.enabled {
            callers.push(ServiceAccount {
                name: values.pydgraph_client.service_account.clone(),
                namespace: values.pydgraph_client.namespace.clone(),
            });
        }
        callers.extend(d.authorization.clients.iter().map(|c| ServiceAccount {
            name: c.name.clone(),
            namespace: c.namespace.clone(),
        }));

        let viz_ns = viz_namespace(values);
        Self {
            prefix: base.clone(),
            pod_selector: map(&[("app", "dgraph"), ("release", &d.release)]),
            meshed_labels: map(&[(MESHED_LABEL, &values.linkerd.namespace)]),
            proxy_inbound_port: proxy_ports::INBOUND,
            proxy_admin_port: proxy_ports::ADMIN,
            proxy_control_port: proxy_ports::CONTROL,
            alpha_api_ports: vec![dgraph_ports::ALPHA_HTTP, dgraph_ports::ALPHA_GRPC],
            peer_ports,
            viz: Viz {
                namespace_labels: map(&[("kubernetes.io/metadata.name", &viz_ns)]),
                prometheus_labels: map(&[("linkerd.io/extension", "viz"), ("component", "prometheus")]),
                tap_labels: map(&[("linkerd.io/extension", "viz"), ("component", "tap")]),
                namespace: viz_ns,
            },
            servers,
            authentications: vec![
                Authentication {
                    name: clients,
                    service_accounts: callers,
                },
                Authentication {
                    name: peers,
                    service_accounts: vec![own],
                },
            ],
            default_inbound_policy: d.authorization.default_inbound_policy.map(|p| p.as_str().to_string()),
            remote: remote(values, &base),
        }
    }
}

/// `None` when Alpha is not exported, or exported pod to pod with no remote client named.
fn remote(values: &Values, base: &str) -> Option<Remote> {
    let export = &values.dgraph.export;
    let (identities, networks) = match export.mode {
        ExportMode::None => return None,
        ExportMode::Gateway => (vec![super::multicluster::gateway_identity(values)], Vec::new()),
        ExportMode::RemoteDiscovery | ExportMode::Federated => {
            (export.remote_identities.clone(), export.remote_networks.clone())
        }
    };
    (!identities.is_empty()).then(|| Remote {
        authentication: format!("{base}-remote-clients"),
        identities,
        networks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(overlay: &str) -> View {
        let values = crate::test_support::values(overlay);
        let dgraph = super::super::dgraph::View::new(&values.dgraph);
        View::new(&values, &dgraph)
    }

    #[test]
    fn skipped_ports_get_no_server_and_join_the_peer_ports() {
        let v = view("dgraph: {mesh: {skipInboundPorts: [5080, 7080, 9080]}}");
        let ports: Vec<u16> = v.servers.iter().map(|s| s.port).collect();
        assert_eq!(ports, [8080, 6080]);
        assert_eq!(v.peer_ports, [5080, 6080, 7080, 9080]);
    }

    #[test]
    fn names_and_identities_follow_the_values() {
        let v = view(
            "linkerd: {namespace: mesh}\ndgraph: {release: prod, namespace: graph, authorization: {clients: [{name: api, namespace: shop}]}}\npydgraphClient: {serviceAccount: tester}",
        );
        assert_eq!(v.meshed_labels[MESHED_LABEL], "mesh");
        assert_eq!(v.servers[0].name, "prod-dgraph-alpha-http");
        let clients: Vec<String> = v.authentications[0]
            .service_accounts
            .iter()
            .map(|s| format!("{}/{}", s.namespace, s.name))
            .collect();
        assert_eq!(clients, ["graph/dgraph", "pydgraph-client/tester", "shop/api"]);
        assert_eq!(v.authentications[1].name, "prod-dgraph-peers");
    }

    #[test]
    fn remote_clients_follow_the_export_mode() {
        assert!(view("").remote.is_none());
        let through_gateway =
            view("multicluster: {enabled: true}\ndgraph: {export: {mode: gateway, remoteIdentities: [x.example]}}");
        let r = through_gateway.remote.expect("gateway mode admits the gateway");
        assert_eq!(
            r.identities,
            ["linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local"]
        );
        assert!(r.networks.is_empty());
        let pod_to_pod =
            view("dgraph: {export: {mode: remote-discovery, remoteIdentities: [a.b], remoteNetworks: [10.8.0.0/16]}}");
        let r = pod_to_pod.remote.expect("pod to pod admits the named clients");
        assert_eq!(
            (r.identities, r.networks),
            (vec!["a.b".to_string()], vec!["10.8.0.0/16".to_string()])
        );
        assert!(view("dgraph: {export: {mode: federated}}").remote.is_none());
    }

    #[test]
    fn a_disabled_client_is_not_admitted() {
        let v = view("pydgraphClient: {enabled: false}");
        assert_eq!(v.authentications[0].service_accounts.len(), 1);
    }
}
