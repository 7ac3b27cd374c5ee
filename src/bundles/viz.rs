//! Derived facts of the Linkerd viz extension: image names, the addresses its
//! components reach each other at, the tap certificates from the cert store and
//! their digests, and what high-availability mode changes. Templates own the shape
//! of each object; this module owns the rules several objects must agree on.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::linkerd::{container_resources, webhook_checksum, ChartResources, WebhookTls};
use super::SkippedSecret;
use crate::certs::{CertStore, VIZ_WEBHOOK_SERVICES};
use crate::digest::hex;
use crate::error::Result;
use crate::values::linkerd::RequestLimit;
use crate::values::viz::Resources;
use crate::values::Values;

/// Where the bundled Prometheus serves its API.
const PROMETHEUS_PORT: u16 = 9090;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    pub images: Images,
    /// `linkerd-<namespace>`: the prefix of the extension's cluster-wide RBAC names.
    pub rbac_prefix: String,
    /// What the metrics API queries: `prometheusUrl`, else the bundled Prometheus.
    pub prometheus_url: String,
    /// The Namespace's `viz.linkerd.io/external-prometheus`; `None` without `prometheusUrl`.
    pub external_prometheus: Option<String>,
    /// The dashboard's `-jaeger-addr`; `None` with tracing off.
    pub jaeger_url: Option<String>,
    /// `metrics-api.<ns>.svc.<clusterDomain>:8085`, where the dashboard reaches the metrics API.
    pub metrics_api_addr: String,
    /// The dashboard's `-enforced-host`: a regular expression of the Host headers it
    /// answers, which keeps DNS-rebinding pages away from tap.
    pub enforced_host: String,
    /// Tap's mesh identity; the tap injector points injected proxies at it.
    pub tap_identity: String,
    /// Names of the ServiceProfiles: the services' fully qualified names.
    pub profiles: Profiles,
    /// Per webhook service (tap, tap-injector): its CA, serving certificate and key.
    pub webhooks: IndexMap<String, WebhookTls>,
    /// The tap Secrets this render leaves out because their key files are absent.
    #[serde(skip)]
    pub skipped_secrets: Vec<SkippedSecret>,
    /// `checksum/config` of the pods, so that they restart when what they serve with changes.
    pub checksums: Checksums,
    /// HA mode: tap, tap-injector, web and the metrics API spread over nodes and zones,
    /// and tap and tap-injector roll out one pod at a time.
    pub pod_anti_affinity: bool,
    pub metrics_api: Workload,
    pub tap: Workload,
    pub tap_injector: Workload,
    pub web: Workload,
    pub prometheus: Workload,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Images {
    pub metrics_api: String,
    pub tap: String,
    pub web: String,
    pub prometheus: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Profiles {
    pub metrics_api: String,
    pub prometheus: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Checksums {
    pub metrics_api: String,
    pub tap: String,
    pub tap_injector: String,
}

/// What differs between the Deployments: replicas, budget and resources.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Workload {
    pub replicas: u32,
    /// Rendered, as upstream does, only in HA mode and only with more than one replica.
    pub pod_disruption_budget: bool,
    /// The container's `resources`; `None` (written as null, like the chart's empty
    /// `resources:`) when nothing is set.
    pub resources: Option<Json>,
}

/// What upstream's viz values-ha.yaml sets, for whatever the user left unset.
mod ha {
    pub(super) const TAP_REPLICAS: u32 = 3;
    /// Tap's and the dashboard's requests and limits.
    pub(super) const CPU_REQUEST: &str = "100m";
    pub(super) const MEMORY_REQUEST: &str = "50Mi";
    pub(super) const MEMORY_LIMIT: &str = "250Mi";
    pub(super) const PROMETHEUS_CPU_REQUEST: &str = "300m";
    pub(super) const PROMETHEUS_MEMORY_REQUEST: &str = "300Mi";
    pub(super) const PROMETHEUS_MEMORY_LIMIT: &str = "8192Mi";
}

impl View {
    pub(crate) fn new(values: &Values, certs: &CertStore) -> Result<Self> {
        let (v, l) = (&values.viz, &values.linkerd);
        let ns = &v.namespace;
        let cluster_domain = &values.cluster_domain;
        // With cert-manager, the webhooks' certificates are issued in the cluster.
        let webhooks = match values.cert_manager.enabled {
            true => IndexMap::new(),
            false => WebhookTls::load_all(certs, &VIZ_WEBHOOK_SERVICES)?,
        };
        let skipped_secrets = WebhookTls::skipped(&webhooks, certs, &values.viz.namespace, "linkerd-viz");

        let registry = v.default_registry.as_deref().unwrap_or(&l.registry);
        let linkerd_image = |name: &str| format!("{registry}/{name}:{}", l.version);
        let p = &v.prometheus.image;
        let prometheus_url = match v.prometheus_url.as_str() {
            "" => format!("http://prometheus.{ns}.svc.{cluster_domain}:{PROMETHEUS_PORT}"),
            url => url.to_string(),
        };
        let metrics_api_checksum = digest(&[&prometheus_url, &l.namespace, ns, cluster_domain, &l.version]);

        let ha = v.high_availability;
        let tap_replicas = if ha { ha::TAP_REPLICAS } else { 1 };
        let workload = |replicas: u32, resources: Option<Json>| Workload {
            replicas,
            pod_disruption_budget: ha && replicas > 1,
            resources,
        };
        let shared_ha = HaFigures {
            cpu_request: ha::CPU_REQUEST,
            memory_request: ha::MEMORY_REQUEST,
            memory_limit: ha::MEMORY_LIMIT,
        };
        let prometheus_ha = HaFigures {
            cpu_request: ha::PROMETHEUS_CPU_REQUEST,
            memory_request: ha::PROMETHEUS_MEMORY_REQUEST,
            memory_limit: ha::PROMETHEUS_MEMORY_LIMIT,
        };
        let shared_ha = ha.then_some(&shared_ha);
        let prometheus_ha = ha.then_some(&prometheus_ha);

        Ok(Self {
            images: Images {
                metrics_api: linkerd_image("metrics-api"),
                tap: linkerd_image("tap"),
                web: linkerd_image("web"),
                prometheus: format!("{}/{}:{}", p.registry, p.name, p.tag),
            },
            rbac_prefix: format!("linkerd-{ns}"),
            external_prometheus: (!v.prometheus_url.is_empty()).then(|| v.prometheus_url.clone()),
            prometheus_url,
            jaeger_url: jaeger_url(values),
            metrics_api_addr: format!("metrics-api.{ns}.svc.{cluster_domain}:8085"),
            enforced_host: enforced_host(ns, cluster_domain),
            tap_identity: format!(
                "tap.{ns}.serviceaccount.{}",
                crate::certs::issuer_common_name(&l.namespace, &l.trust_domain)
            ),
            profiles: Profiles {
                metrics_api: format!("metrics-api.{ns}.svc.{cluster_domain}"),
                prometheus: format!("prometheus.{ns}.svc.{cluster_domain}"),
            },
            checksums: Checksums {
                metrics_api: metrics_api_checksum,
                tap: webhook_checksum(&webhooks, &["tap"]),
                tap_injector: webhook_checksum(&webhooks, &["tap-injector"]),
            },
            webhooks,
            skipped_secrets,
            pod_anti_affinity: ha,
            metrics_api: workload(1, resources(&v.metrics_api.resources, None)),
            tap: workload(tap_replicas, resources(&v.tap.resources, shared_ha)),
            tap_injector: workload(1, resources(&v.tap_injector.resources, None)),
            web: workload(1, resources(&v.dashboard.resources, shared_ha)),
            prometheus: workload(1, resources(&v.prometheus.resources, prometheus_ha)),
        })
    }
}

/// The tracing bundle's Jaeger query Service, which the dashboard links to and
/// proxies `/jaeger/*` to; `None` with tracing off. The tracing bundle owns the address.
pub(crate) fn jaeger_url(values: &Values) -> Option<String> {
    super::tracing::query_url(values)
}

/// Host headers the dashboard answers: loopback, and its Service's short and full names.
fn enforced_host(namespace: &str, cluster_domain: &str) -> String {
    // Namespaces and domains are DNS names, so '.' is the only character to escape.
    let escape = |s: &str| s.replace('.', "\\.");
    let full = escape(&format!("web.{namespace}.svc.{cluster_domain}"));
    let short = escape(&format!("web.{namespace}.svc"));
    format!("^(localhost|127\\.0\\.0\\.1|{full}|{short}|\\[::1\\])(:\\d+)?$")
}

/// Upstream's chart digests the metrics API's RBAC template here; meshgen digests
/// the settings the metrics API and its RBAC are rendered from, one per line.
fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

/// values-ha.yaml's requests and limits for one container.
struct HaFigures {
    cpu_request: &'static str,
    memory_request: &'static str,
    memory_limit: &'static str,
}

/// A container's `resources`: what the values set, with `ha`'s figures for those left
/// empty in HA mode.
fn resources(r: &Resources, ha: Option<&HaFigures>) -> Option<Json> {
    let or_ha = |set: &str, pick: fn(&HaFigures) -> &'static str| match (set.is_empty(), ha) {
        (true, Some(figures)) => pick(figures).to_string(),
        _ => set.to_string(),
    };
    container_resources(&ChartResources {
        cpu: RequestLimit {
            request: or_ha(&r.cpu.request, |h| h.cpu_request),
            limit: r.cpu.limit.clone(),
        },
        memory: RequestLimit {
            request: or_ha(&r.memory.request, |h| h.memory_request),
            limit: or_ha(&r.memory.limit, |h| h.memory_limit),
        },
        ephemeral_storage: Some(r.ephemeral_storage.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::values;
    use serde_json::json;

    /// The one place these tests get certificates from.
    fn certs() -> CertStore {
        crate::load_certs(camino::Utf8Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/store"
        )))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn view(overlay: &str) -> View {
        View::new(&values(overlay), &certs()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn jaeger_follows_the_tracing_namespace_and_cluster_domain() {
        let v = values("clusterDomain: example.org\ntracing: {namespace: tracing}");
        assert_eq!(jaeger_url(&v).as_deref(), Some("jaeger.tracing.svc.example.org:16686"));
        assert_eq!(jaeger_url(&values("tracing: {enabled: false}")), None);
    }

    #[test]
    fn enforced_host_escapes_dots_and_matches_only_the_dashboard() {
        let re = regex::Regex::new(&enforced_host("linkerd-viz", "cluster.local")).expect("a valid regex");
        for ok in [
            "localhost",
            "localhost:8084",
            "127.0.0.1:50750",
            "web.linkerd-viz.svc",
            "web.linkerd-viz.svc.cluster.local:8084",
            "[::1]:8084",
        ] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in ["evil.com", "webxlinkerd-viz.svc", "localhost.evil.com", "127a0a0a1"] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn registry_follows_linkerd_unless_viz_sets_its_own() {
        let v = view("linkerd: {registry: mirror.example/l5d}");
        assert_eq!(v.images.tap, "mirror.example/l5d/tap:edge-26.8.3");
        let v = view("linkerd: {registry: mirror.example/l5d}\nviz: {defaultRegistry: other.example/viz}");
        assert_eq!(v.images.web, "other.example/viz/web:edge-26.8.3");
        assert_eq!(v.images.metrics_api, "other.example/viz/metrics-api:edge-26.8.3");
        assert_eq!(v.images.prometheus, "prom/prometheus:v2.55.1", "not a Linkerd image");
    }

    #[test]
    fn an_external_prometheus_wins_and_is_recorded_on_the_namespace() {
        let v = view("");
        assert_eq!(v.prometheus_url, "http://prometheus.linkerd-viz.svc.cluster.local:9090");
        assert_eq!(v.external_prometheus, None);
        let v = view("viz: {prometheusUrl: 'http://prom.monitoring:9090', prometheus: {enabled: false}}");
        assert_eq!(v.prometheus_url, "http://prom.monitoring:9090");
        assert_eq!(v.external_prometheus.as_deref(), Some("http://prom.monitoring:9090"));
        assert_ne!(v.checksums.metrics_api, view("").checksums.metrics_api);
    }

    #[test]
    fn tap_identity_names_the_control_plane_and_trust_domain() {
        let v = view("linkerd: {trustDomain: td.example}");
        assert_eq!(
            v.tap_identity,
            "tap.linkerd-viz.serviceaccount.identity.linkerd.td.example"
        );
    }

    #[test]
    fn high_availability_sets_values_ha_figures_where_unset() {
        let v = view("");
        assert!(!v.pod_anti_affinity && !v.tap.pod_disruption_budget);
        assert_eq!((v.tap.replicas, v.tap.resources.clone()), (1, None));

        let v = view("viz: {highAvailability: true, dashboard: {resources: {memory: {limit: 1Gi}}}}");
        assert!(v.pod_anti_affinity);
        assert_eq!(v.tap.replicas, 3);
        assert!(v.tap.pod_disruption_budget);
        assert!(!v.web.pod_disruption_budget, "one replica has no budget");
        assert_eq!(
            v.tap.resources,
            Some(json!({"limits": {"memory": "250Mi"}, "requests": {"cpu": "100m", "memory": "50Mi"}}))
        );
        assert_eq!(
            v.web.resources,
            Some(json!({"limits": {"memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "50Mi"}}))
        );
        assert_eq!(
            v.prometheus.resources,
            Some(json!({"limits": {"memory": "8192Mi"}, "requests": {"cpu": "300m", "memory": "300Mi"}}))
        );
        assert_eq!(
            v.metrics_api.resources, None,
            "values-ha.yaml sets none for the metrics API"
        );
        assert_eq!(v.tap_injector.resources, None);
    }

    #[test]
    fn checksums_cover_each_webhooks_public_certificates() {
        let v = view("");
        assert_ne!(v.checksums.tap, v.checksums.tap_injector);
        assert_eq!(v.checksums.tap, webhook_checksum(&v.webhooks, &["tap"]));
        assert!(v.webhooks.values().all(|w| !w.ca_bundle_b64.is_empty()));
    }
}
