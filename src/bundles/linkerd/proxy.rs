//! What every linkerd-proxy of the Linkerd control plane shares: its log filter,
//! the addresses and mesh identities of the control plane services, its resources
//! and the trace collector.

use serde::Serialize;

use super::resources::{proxy_resources, Resources};
use crate::bundles::tracing::ControlPlane;
use crate::values::Values;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProxyView {
    /// `LINKERD2_PROXY_LOG`: the log filter, with HTTP headers and requests kept out
    /// of the logs (the chart's `logHTTPHeaders: off`).
    pub log: String,
    /// The cluster networks as one comma-separated list.
    pub cluster_networks: String,
    pub resources: Resources,
    /// Where proxies reach the control plane: `<service>.<ns>.svc.<clusterDomain>.:<port>`.
    pub identity_addr: String,
    pub destination_addr: String,
    pub policy_addr: String,
    /// Mesh identities of the control plane services.
    pub identity_name: String,
    pub destination_name: String,
    /// The pod's own identity, expanded by the kubelet from the `_pod_sa` and `_pod_ns` variables.
    pub local_name: String,
    /// `svc.<clusterDomain>.`: names for which proxies look up ServiceProfiles.
    pub profile_suffixes: String,
    /// `None` with tracing off.
    pub trace: Option<Trace>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Trace {
    pub collector: String,
    /// The collector's mesh identity, `<sa>.<ns>.serviceaccount.<identitySuffix>`.
    pub collector_name: String,
}

impl ProxyView {
    pub(super) fn new(values: &Values, identity_suffix: &str, collector: Option<&ControlPlane>) -> Self {
        let l = &values.linkerd;
        let svc = |name: &str, port: u16| format!("{name}.{}.svc.{}.:{port}", l.namespace, values.cluster_domain);
        let mesh_name = |sa: &str, ns: &str| format!("{sa}.{ns}.serviceaccount.{identity_suffix}");
        Self {
            log: format!("{},[{{headers}}]=off,[{{request}}]=off", l.proxy.log_level),
            cluster_networks: l.cluster_networks.join(","),
            resources: proxy_resources(&l.proxy.resources, l.high_availability),
            identity_addr: svc("linkerd-identity-headless", 8080),
            destination_addr: svc("linkerd-dst-headless", 8086),
            policy_addr: svc("linkerd-policy", 8090),
            identity_name: mesh_name("linkerd-identity", &l.namespace),
            destination_name: mesh_name("linkerd-destination", &l.namespace),
            local_name: mesh_name("$(_pod_sa)", "$(_pod_ns)"),
            profile_suffixes: format!("svc.{}.", values.cluster_domain),
            trace: collector.map(|c| Trace {
                collector: c.endpoint.clone(),
                collector_name: mesh_name(&c.service_account, &c.namespace),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::view;

    #[test]
    fn addresses_follow_the_cluster_domain_and_names_the_trust_domain() {
        let p = view("clusterDomain: example.org\nlinkerd: {namespace: mesh, trustDomain: td.local}").proxy;
        assert_eq!(p.identity_addr, "linkerd-identity-headless.mesh.svc.example.org.:8080");
        assert_eq!(p.destination_addr, "linkerd-dst-headless.mesh.svc.example.org.:8086");
        assert_eq!(p.policy_addr, "linkerd-policy.mesh.svc.example.org.:8090");
        assert_eq!(p.profile_suffixes, "svc.example.org.");
        assert_eq!(
            p.identity_name,
            "linkerd-identity.mesh.serviceaccount.identity.mesh.td.local"
        );
        assert_eq!(
            p.local_name,
            "$(_pod_sa).$(_pod_ns).serviceaccount.identity.mesh.td.local"
        );
        let trace = p.trace.expect("tracing is on by default");
        assert_eq!(
            trace.collector_name,
            "jaeger.linkerd-jaeger.serviceaccount.identity.mesh.td.local"
        );
    }

    #[test]
    fn tracing_off_drops_every_collector() {
        let v = view("tracing: {enabled: false}");
        assert!(v.proxy.trace.is_none());
        assert!(v.controller_trace_collector.is_none());
        assert!(!v.tracing.enabled && v.tracing.endpoint.is_empty());
        assert!(v.tracing.service_account_name.is_empty() && v.tracing.namespace.is_empty());
    }

    #[test]
    fn proxy_log_keeps_headers_out() {
        let v = view("linkerd: {proxy: {logLevel: debug}}");
        assert_eq!(v.proxy.log, "debug,[{headers}]=off,[{request}]=off");
    }
}
