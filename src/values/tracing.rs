//! Values of the tracing bundle (`generated/linkerd-jaeger/`): a Jaeger v2 collector
//! that the proxies and the Linkerd controllers export their spans to. These values are
//! the one source of truth for tracing: the control plane's collector address and mesh
//! identity are derived from them (`crate::bundles::tracing`), never written twice.

use serde::{Deserialize, Serialize};

use super::dgraph::Resources;
use super::Image;
use super::Problems;
use crate::api_rules;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The tracing bundle: a Jaeger v2 collector that every proxy and controller exports spans to.
pub struct Tracing {
    /// Renders the collector, and points every proxy and controller at it. `false`
    /// renders neither, and leaves linkerd-config with upstream's tracing defaults.
    pub enabled: bool,
    /// Namespace of the collector; meshgen renders it, meshed.
    pub namespace: String,
    /// The collector's ServiceAccount, and so its mesh identity.
    pub service_account: String,
    /// The OTLP Service the spans are sent to.
    pub collector: Collector,
    /// The query API and UI.
    pub query: Query,
    /// The Jaeger image.
    pub image: Image,
    /// Where traces are kept.
    pub storage: Storage,
    /// Requests and limits of the Jaeger container.
    pub resources: Resources,
}

/// The OTLP Service the spans are sent to.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Collector {
    /// Name of the OTLP Service.
    pub service: String,
    /// OTLP over gRPC: what the proxies and controllers use.
    pub grpc_port: u16,
    /// OTLP over HTTP, for applications that export spans themselves.
    pub http_port: u16,
}

/// The Service of the query API and UI, which the viz dashboard links to.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Query {
    /// Name of the query Service.
    pub service: String,
    /// Port of the query API and UI.
    pub port: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Where traces are kept, and the settings of each backend.
pub struct Storage {
    /// `memory` or `badger`.
    pub backend: Backend,
    /// Settings of the memory backend.
    pub memory: Memory,
    /// Settings of the Badger backend.
    pub badger: Badger,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
/// A trace store.
pub enum Backend {
    /// Traces in the collector's memory, lost on restart.
    Memory,
    /// Badger, an embedded key-value store, on a PersistentVolumeClaim.
    Badger,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The in-memory trace store.
pub struct Memory {
    /// The most traces kept; the oldest go first. Jaeger reads 0 as unbounded, so it is refused.
    pub max_traces: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Badger on a PersistentVolumeClaim.
pub struct Badger {
    /// How long spans are kept, as a Go duration.
    pub span_ttl: String,
    /// Size of the claim, as a Kubernetes quantity such as `10Gi`.
    pub size: String,
    /// Unset: the cluster's default class. An empty string disables dynamic provisioning.
    pub storage_class: Option<String>,
}

/// Jaeger's health check (the healthcheckv2 extension's default port).
pub const HEALTH_PORT: u16 = 13133;
/// Jaeger's query gRPC API (its default port), kept on loopback.
pub const QUERY_GRPC_PORT: u16 = 16685;
/// The collector's own metrics (the OpenTelemetry Collector's default, on localhost).
pub const METRICS_PORT: u16 = 8888;

/// Ports the collector's pod already uses: Jaeger's own, and those of the
/// linkerd-proxy injected beside it.
pub const RESERVED_PORTS: [(u16, &str); 6] = [
    (HEALTH_PORT, "Jaeger's health check"),
    (QUERY_GRPC_PORT, "Jaeger's query gRPC API"),
    (METRICS_PORT, "the collector's own metrics"),
    (4140, "the linkerd-proxy's outbound listener"),
    (4143, "the linkerd-proxy's inbound listener"),
    (4191, "the linkerd-proxy's admin server"),
];

impl Tracing {
    pub(crate) fn validate(&self, p: &mut Problems) {
        p.check("tracing.namespace", api_rules::dns_label(&self.namespace));
        p.check(
            "tracing.serviceAccount",
            api_rules::dns_subdomain(&self.service_account),
        );
        p.check(
            "tracing.collector.service",
            api_rules::dns_label(&self.collector.service),
        );
        p.check("tracing.query.service", api_rules::dns_label(&self.query.service));
        if self.collector.service == self.query.service {
            p.add(
                "tracing.query.service",
                "is the collector's Service name too",
                "give the query Service and the collector Service different names",
            );
        }
        self.validate_ports(p);
        super::check_image(
            p,
            "tracing.image",
            &self.image.registry,
            &self.image.repository,
            &self.image.tag,
        );
        if self.storage.memory.max_traces == 0 {
            p.add(
                "tracing.storage.memory.maxTraces",
                "must be at least 1",
                "Jaeger reads 0 as no limit, which lets the collector grow until it is killed; give a bound such as 50000",
            );
        }
        let badger = &self.storage.badger;
        p.check("tracing.storage.badger.spanTtl", api_rules::duration(&badger.span_ttl));
        super::check_size(p, "tracing.storage.badger.size", &badger.size);
        if let Some(class) = badger.storage_class.as_deref().filter(|c| !c.is_empty()) {
            p.check("tracing.storage.badger.storageClass", api_rules::dns_subdomain(class));
        }
        self.resources.validate("tracing.resources", p);
    }

    /// Each port is the container's and its Service's, so they must not collide with
    /// each other or with a port the pod already listens on.
    fn validate_ports(&self, p: &mut Problems) {
        let ports = [
            ("tracing.collector.grpcPort", self.collector.grpc_port),
            ("tracing.collector.httpPort", self.collector.http_port),
            ("tracing.query.port", self.query.port),
        ];
        for (i, (path, port)) in ports.iter().enumerate() {
            if *port == 0 {
                p.add(path, "port 0 is not a port", "use a port from 1 to 65535");
            }
            if let Some((other, _)) = ports[..i].iter().find(|(_, q)| q == port) {
                p.add(
                    path,
                    &format!("{port} is also `{other}`"),
                    "give each of the collector's ports its own number",
                );
            }
            if let Some((_, owner)) = RESERVED_PORTS.iter().find(|(q, _)| q == port) {
                p.add(
                    path,
                    &format!("{port} is taken by {owner}"),
                    "pick a port that the collector's pod does not already use",
                );
            }
        }
    }
}
