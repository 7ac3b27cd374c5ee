//! The tracing bundle (`generated/linkerd-jaeger/`): a Jaeger v2 collector, and the
//! rules that tie it to the control plane. Upstream removed `linkerd jaeger install`
//! in edge-25.10.1; the proxies export OpenTelemetry spans themselves, to a collector
//! that the user runs. This bundle is that collector.
//!
//! One source of truth: the top-level `tracing` values. The collector's address and
//! mesh identity that the Linkerd bundle writes into every proxy, the controllers'
//! `-trace-collector` and linkerd-config come from [`control_plane`], and the address
//! the viz dashboard links to from [`query_url`]. Both are built from the same
//! namespace, Service names, ports and cluster domain that this bundle's objects are
//! rendered with, so the two sides cannot disagree.

mod config;

use indexmap::IndexMap;
use serde::Serialize;

use crate::digest::sha256_hex;
use crate::values::tracing::{Backend, HEALTH_PORT};
use crate::values::Values;

pub(crate) use config::{BADGER_DIR, HEALTH_PATH};

/// The bundle's output folder.
pub(crate) const BUNDLE: &str = "linkerd-jaeger";

/// The name of the Deployment, its container and its ConfigMap.
pub(crate) const NAME: &str = "jaeger";

/// The path the query service and UI are served under. The viz dashboard proxies
/// `/jaeger/*` to the query Service without stripping the prefix (linkerd2
/// `web/srv/server.go`), so Jaeger must serve under exactly this path.
pub(crate) const BASE_PATH: &str = "/jaeger";

/// The viz dashboard's ServiceAccount, the one client admitted to the query port.
pub(crate) const VIZ_DASHBOARD_SERVICE_ACCOUNT: &str = "web";

type Map = IndexMap<String, String>;

/// What the control plane needs to know about the collector; `None` with tracing off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ControlPlane {
    /// `<collector Service>.<namespace>.svc.<clusterDomain>:<OTLP gRPC port>`.
    pub endpoint: String,
    /// The collector's mesh identity, so that the proxies talk to it over mTLS.
    pub service_account: String,
    pub namespace: String,
}

/// The collector as the control plane addresses it; `None` with tracing off.
pub(crate) fn control_plane(values: &Values) -> Option<ControlPlane> {
    let t = &values.tracing;
    t.enabled.then(|| ControlPlane {
        endpoint: service_address(values, &t.collector.service, t.collector.grpc_port),
        service_account: t.service_account.clone(),
        namespace: t.namespace.clone(),
    })
}

/// The query Service's address, `<query Service>.<namespace>.svc.<clusterDomain>:<port>`:
/// the viz dashboard's `jaegerUrl`. `None` with tracing off.
pub(crate) fn query_url(values: &Values) -> Option<String> {
    let t = &values.tracing;
    t.enabled
        .then(|| service_address(values, &t.query.service, t.query.port))
}

fn service_address(values: &Values, service: &str, port: u16) -> String {
    format!(
        "{service}.{}.svc.{}:{port}",
        values.tracing.namespace, values.cluster_domain
    )
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    pub name: &'static str,
    /// The viz dashboard's `jaegerUrl` ([`query_url`]); `None` with tracing off.
    pub query_url: Option<String>,
    pub image: String,
    pub labels: Map,
    pub selector: Map,
    /// The Jaeger configuration file, and its digest for the pod's `checksum/config`.
    pub config: String,
    pub config_sha256: String,
    pub base_path: &'static str,
    pub health_port: u16,
    pub health_path: &'static str,
    /// Badger on a PersistentVolumeClaim (named `badgerClaim`), mounted at `badgerDir`.
    pub badger: bool,
    pub badger_claim: String,
    pub badger_dir: &'static str,
    /// The viz dashboard's ServiceAccount and namespace, admitted to the query port.
    pub viz_dashboard: Identity,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Identity {
    pub service_account: &'static str,
    pub namespace: String,
}

impl View {
    pub(crate) fn new(values: &Values) -> Self {
        let t = &values.tracing;
        let selector: Map = [
            ("app.kubernetes.io/component", "all-in-one"),
            ("app.kubernetes.io/name", NAME),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut labels = selector.clone();
        labels.insert("app.kubernetes.io/managed-by".into(), "meshgen".into());
        labels.insert("app.kubernetes.io/version".into(), t.image.tag.clone());
        labels.sort_keys();
        let config = crate::yaml::to_canonical(&config::jaeger_config(t, BASE_PATH));
        Self {
            name: NAME,
            query_url: query_url(values),
            image: format!("{}/{}:{}", t.image.registry, t.image.repository, t.image.tag),
            labels,
            selector,
            config_sha256: sha256_hex(config.as_bytes()),
            config,
            base_path: BASE_PATH,
            health_port: HEALTH_PORT,
            health_path: HEALTH_PATH,
            badger: t.storage.backend == Backend::Badger,
            badger_claim: format!("{NAME}-badger"),
            badger_dir: BADGER_DIR,
            viz_dashboard: Identity {
                service_account: VIZ_DASHBOARD_SERVICE_ACCOUNT,
                namespace: values.viz.namespace.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::values;

    #[test]
    fn the_default_matches_what_the_control_plane_always_pointed_at() {
        let v = values("");
        let cp = control_plane(&v).expect("tracing is on by default");
        assert_eq!(cp.endpoint, "collector.linkerd-jaeger.svc.cluster.local:4317");
        assert_eq!(
            (cp.service_account.as_str(), cp.namespace.as_str()),
            ("jaeger", "linkerd-jaeger")
        );
        assert_eq!(
            query_url(&v).as_deref(),
            Some("jaeger.linkerd-jaeger.svc.cluster.local:16686")
        );
    }

    #[test]
    fn namespace_service_port_and_cluster_domain_move_both_sides() {
        let v = values(
            "clusterDomain: corp.example\n\
             tracing: {namespace: observability, serviceAccount: otel,\n\
             collector: {service: spans, grpcPort: 14317}, query: {service: ui, port: 8080}}",
        );
        let cp = control_plane(&v).expect("on");
        assert_eq!(cp.endpoint, "spans.observability.svc.corp.example:14317");
        assert_eq!(
            (cp.service_account.as_str(), cp.namespace.as_str()),
            ("otel", "observability")
        );
        assert_eq!(query_url(&v).as_deref(), Some("ui.observability.svc.corp.example:8080"));
    }

    #[test]
    fn tracing_off_gives_the_control_plane_nothing() {
        let v = values("tracing: {enabled: false}");
        assert_eq!(control_plane(&v), None);
        assert_eq!(query_url(&v), None);
    }

    #[test]
    fn the_config_digest_follows_the_config() {
        let a = View::new(&values(""));
        let b = View::new(&values("tracing: {storage: {memory: {maxTraces: 10}}}"));
        assert_ne!(a.config_sha256, b.config_sha256);
        assert_eq!(a.config_sha256, sha256_hex(a.config.as_bytes()));
        assert!(a.selector.iter().all(|(k, v)| a.labels.get(k) == Some(v)));
    }
}
