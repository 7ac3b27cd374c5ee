//! Derived facts of the Linkerd bundles: image names, identity names, service
//! addresses, the high-availability settings, and the certificate material read
//! from the cert store (`certs/`). Templates own the shape of each object; this
//! module owns the rules that several objects must agree on.

use base64ct::{Base64, Encoding};
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::certs::store::{ISSUER_CRT, ISSUER_KEY};
use crate::certs::{webhook_file, CertStore, LINKERD_WEBHOOK_SERVICES};
use crate::error::{Error, Result};
use crate::values::linkerd::{IssuerScheme, Linkerd, ProxyResources, RequestLimit};
use crate::values::Values;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// `<registry>/controller:<version>` and so on.
    pub images: Images,
    /// `identity.<namespace>.<trustDomain>`: the issuer's name and the identity service's.
    pub identity_suffix: String,
    /// The value of every `linkerd.io/created-by` annotation.
    pub created_by: String,
    /// The trust anchors (a bundle of two during an anchor rotation), PEM.
    pub trust_anchors_pem: String,
    /// sha256 of `trustAnchorsPem`; pods carry it so they restart when the anchors change.
    pub trust_root_sha256: String,
    /// The issuer certificate (PEM); `None` with an external issuer (kubernetes.io/tls).
    pub issuer_crt_pem: Option<String>,
    /// The issuer key (PEM), only when the scheme is linkerd.io/tls and the key file
    /// is present on this machine; the Secret holding it goes to secrets/.
    pub issuer_key_pem: Option<String>,
    /// Base64 of the trimmed issuer certificate and key: the Secret's `crt.pem` / `key.pem`.
    pub issuer_crt_b64: Option<String>,
    pub issuer_key_b64: Option<String>,
    /// Per webhook service: its CA (`caBundle`), serving certificate and key.
    pub webhooks: IndexMap<String, WebhookTls>,
    /// Digests of the public webhook certificates each controller serves with, so that
    /// its pods restart when those certificates are rotated (`checksum/config`).
    pub checksums: Checksums,
    /// A daily schedule for the heartbeat CronJob, derived from the trust anchor so
    /// that it is stable across renders yet differs between clusters.
    pub heartbeat_schedule: String,
    /// What every linkerd-proxy of the control plane shares.
    pub proxy: ProxyView,
    /// `-trace-collector` of the controllers; `None` with tracing off.
    pub controller_trace_collector: Option<String>,
    /// Replicas, disruption budgets, affinity, resources: normal or HA mode.
    pub controllers: Controllers,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Images {
    pub controller: String,
    pub proxy: String,
    pub debug: String,
    /// The same without the tag, as linkerd-config's values record them.
    pub controller_name: String,
    pub proxy_name: String,
    pub debug_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTls {
    pub ca_bundle: String,
    /// Base64 of the trimmed CA PEM: the webhook configuration's `caBundle`.
    pub ca_bundle_b64: String,
    pub crt_pem: String,
    /// Base64 of the trimmed serving certificate: the Secret's `tls.crt`.
    pub crt_b64: String,
    /// Present only where the key file is (never in a fresh clone).
    pub key_pem: Option<String>,
    /// Base64 of the trimmed key: the Secret's `tls.key`.
    pub key_b64: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checksums {
    /// The sp-validator and policy-validator certificates.
    pub destination: String,
    pub proxy_injector: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyView {
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
pub struct Trace {
    pub collector: String,
    /// The collector's mesh identity, `<sa>.<ns>.serviceaccount.<identitySuffix>`.
    pub collector_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Controllers {
    pub replicas: u32,
    /// The Deployments' `rollingUpdate.maxUnavailable`: `25%`, or 1 in HA mode.
    pub max_unavailable: Json,
    /// `maxUnavailable` of every PodDisruptionBudget (rendered in HA mode only).
    pub pdb_max_unavailable: u32,
    pub pod_disruption_budgets: bool,
    pub pod_anti_affinity: bool,
    /// `Ignore`, or `Fail` in HA mode: webhooks fail closed.
    pub webhook_failure_policy: &'static str,
    /// Requests and limits of each controller container; all `None` outside HA mode.
    pub resources: ControllerResources,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerResources {
    /// The chart's `controllerResources`, which the others default to.
    pub controller: Option<Resources>,
    pub destination: Option<Resources>,
    pub identity: Option<Resources>,
    pub heartbeat: Option<Resources>,
    pub proxy_injector: Option<Resources>,
    pub sp_validator: Option<Resources>,
}

/// Requests and limits, both as the chart's values write them (for linkerd-config)
/// and as a container's `resources` field.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub values: ChartResources,
    /// `{limits, requests}` holding only the quantities set; `None` (written as null,
    /// like the chart's empty `resources:`) when none is.
    pub container: Option<Json>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartResources {
    pub cpu: RequestLimit,
    pub memory: RequestLimit,
    /// Absent from values-ha.yaml's controller resources.
    pub ephemeral_storage: Option<RequestLimit>,
}

/// What values-ha.yaml sets, for whatever the user left unset.
mod ha {
    pub const REPLICAS: u32 = 3;
    pub const PROXY_CPU_REQUEST: &str = "100m";
    pub const PROXY_MEMORY_REQUEST: &str = "20Mi";
    pub const PROXY_MEMORY_LIMIT: &str = "250Mi";
    pub const CONTROLLER_CPU_REQUEST: &str = "100m";
    pub const CONTROLLER_MEMORY_REQUEST: &str = "50Mi";
    pub const CONTROLLER_MEMORY_LIMIT: &str = "250Mi";
    /// The identity controller needs less memory than the others.
    pub const IDENTITY_MEMORY_REQUEST: &str = "10Mi";
}

impl View {
    pub fn new(values: &Values, certs: &CertStore) -> Result<Self> {
        let l: &Linkerd = &values.linkerd;
        let missing = |file: String| Error::Certs {
            message: format!("{file} is missing"),
            help: "run `cargo xtask certs init` to mint certificates, or `cargo xtask certs import` to bring your own"
                .into(),
        };
        let anchors = certs.trust_anchors().ok_or_else(|| missing(certs.label("ca.crt")))?;
        let trust_anchors_pem = anchors.text.to_string();
        let digest = Sha256::digest(trust_anchors_pem.as_bytes());
        let trust_root_sha256 = hex(&digest);

        let external = l.identity.issuer.scheme == IssuerScheme::KubernetesTls;
        let issuer_crt_pem = match external {
            true => None,
            false => Some(
                certs
                    .get(ISSUER_CRT)
                    .ok_or_else(|| missing(certs.label(ISSUER_CRT)))?
                    .to_string(),
            ),
        };
        let issuer_key_pem = match external {
            true => None,
            false => certs.get(ISSUER_KEY).map(str::to_string),
        };

        let mut webhooks = IndexMap::new();
        for service in LINKERD_WEBHOOK_SERVICES {
            let file = |suffix: &str| webhook_file(service, suffix);
            let ca = certs
                .get(&file("-ca.crt"))
                .ok_or_else(|| missing(certs.label(&file("-ca.crt"))))?;
            let crt = certs
                .get(&file(".crt"))
                .ok_or_else(|| missing(certs.label(&file(".crt"))))?;
            let key = certs.get(&file(".key")).map(str::to_string);
            webhooks.insert(
                service.to_string(),
                WebhookTls {
                    ca_bundle: ca.to_string(),
                    ca_bundle_b64: b64(ca),
                    crt_pem: crt.to_string(),
                    crt_b64: b64(crt),
                    key_b64: key.as_deref().map(b64),
                    key_pem: key,
                },
            );
        }
        let checksums = Checksums {
            destination: webhook_checksum(&webhooks, &["linkerd-sp-validator", "linkerd-policy-validator"]),
            proxy_injector: webhook_checksum(&webhooks, &["linkerd-proxy-injector"]),
        };

        let identity_suffix = format!("identity.{}.{}", l.namespace, l.trust_domain);
        let image_name = |name: &str| format!("{}/{name}", l.registry);
        let tagged = |name: &str| format!("{}:{}", image_name(name), l.version);
        Ok(Self {
            images: Images {
                controller: tagged("controller"),
                proxy: tagged("proxy"),
                debug: tagged("debug"),
                controller_name: image_name("controller"),
                proxy_name: image_name("proxy"),
                debug_name: image_name("debug"),
            },
            created_by: crate::crds::created_by(&l.version),
            heartbeat_schedule: heartbeat_schedule(&digest),
            proxy: ProxyView::new(values, &identity_suffix),
            controller_trace_collector: l.tracing.enabled.then(|| l.tracing.collector.clone()),
            controllers: Controllers::new(l.high_availability),
            identity_suffix,
            trust_anchors_pem,
            trust_root_sha256,
            issuer_crt_b64: issuer_crt_pem.as_deref().map(b64),
            issuer_key_b64: issuer_key_pem.as_deref().map(b64),
            issuer_crt_pem,
            issuer_key_pem,
            webhooks,
            checksums,
        })
    }

    /// True when every private key a Secret needs is present on this machine.
    pub fn keys_present(&self) -> bool {
        self.webhooks.values().all(|w| w.key_pem.is_some())
            && (self.issuer_crt_pem.is_none() || self.issuer_key_pem.is_some())
    }
}

impl ProxyView {
    fn new(values: &Values, identity_suffix: &str) -> Self {
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
            trace: l.tracing.enabled.then(|| Trace {
                collector: l.tracing.collector.clone(),
                collector_name: mesh_name(&l.tracing.collector_service_account, &l.tracing.collector_namespace),
            }),
        }
    }
}

impl Controllers {
    fn new(high_availability: bool) -> Self {
        if !high_availability {
            return Self {
                replicas: 1,
                max_unavailable: json!("25%"),
                pdb_max_unavailable: 1,
                pod_disruption_budgets: false,
                pod_anti_affinity: false,
                webhook_failure_policy: "Ignore",
                resources: ControllerResources::default(),
            };
        }
        let controller = |memory_request: &str| {
            Resources::new(ChartResources {
                cpu: request_limit(ha::CONTROLLER_CPU_REQUEST, ""),
                memory: request_limit(memory_request, ha::CONTROLLER_MEMORY_LIMIT),
                ephemeral_storage: None,
            })
        };
        let shared = controller(ha::CONTROLLER_MEMORY_REQUEST);
        Self {
            replicas: ha::REPLICAS,
            max_unavailable: json!(1),
            pdb_max_unavailable: 1,
            pod_disruption_budgets: true,
            pod_anti_affinity: true,
            webhook_failure_policy: "Fail",
            resources: ControllerResources {
                controller: Some(shared.clone()),
                destination: Some(shared.clone()),
                identity: Some(controller(ha::IDENTITY_MEMORY_REQUEST)),
                heartbeat: Some(shared.clone()),
                proxy_injector: Some(shared.clone()),
                sp_validator: Some(shared),
            },
        }
    }
}

impl Resources {
    fn new(values: ChartResources) -> Self {
        let container = container_resources(&values);
        Self { values, container }
    }
}

/// The proxy's requests and limits: what the values set, with values-ha.yaml's
/// figures for those left empty in HA mode.
fn proxy_resources(r: &ProxyResources, high_availability: bool) -> Resources {
    let or_ha = |set: &str, ha_value: &str| match (set.is_empty(), high_availability) {
        (true, true) => ha_value.to_string(),
        _ => set.to_string(),
    };
    Resources::new(ChartResources {
        cpu: RequestLimit {
            request: or_ha(&r.cpu.request, ha::PROXY_CPU_REQUEST),
            limit: r.cpu.limit.clone(),
        },
        memory: RequestLimit {
            request: or_ha(&r.memory.request, ha::PROXY_MEMORY_REQUEST),
            limit: or_ha(&r.memory.limit, ha::PROXY_MEMORY_LIMIT),
        },
        ephemeral_storage: Some(r.ephemeral_storage.clone()),
    })
}

fn request_limit(request: &str, limit: &str) -> RequestLimit {
    RequestLimit {
        request: request.to_string(),
        limit: limit.to_string(),
    }
}

/// A container's `resources`: limits first, then requests, each holding only the
/// quantities that are set; `None` when nothing is.
fn container_resources(r: &ChartResources) -> Option<Json> {
    let none = RequestLimit::default();
    let storage = r.ephemeral_storage.as_ref().unwrap_or(&none);
    let named = [("cpu", &r.cpu), ("memory", &r.memory), ("ephemeral-storage", storage)];
    let pick = |get: fn(&RequestLimit) -> &str| {
        named
            .iter()
            .filter(|(_, rl)| !get(rl).is_empty())
            .map(|(name, rl)| (name.to_string(), json!(get(rl))))
            .collect::<Map<String, Json>>()
    };
    let mut out = Map::new();
    let limits = pick(|rl| &rl.limit);
    if !limits.is_empty() {
        out.insert("limits".into(), Json::Object(limits));
    }
    let requests = pick(|rl| &rl.request);
    if !requests.is_empty() {
        out.insert("requests".into(), Json::Object(requests));
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

/// Base64 of a PEM without its surrounding blanks, as the chart's `b64enc (trim ...)`.
fn b64(pem: &str) -> String {
    Base64::encode_string(pem.trim().as_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 over the public certificates (CA and serving certificate) of `services`.
/// Keys are left out so that the committed output is the same with or without them.
fn webhook_checksum(webhooks: &IndexMap<String, WebhookTls>, services: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for service in services {
        if let Some(w) = webhooks.get(*service) {
            hasher.update(w.ca_bundle.as_bytes());
            hasher.update(w.crt_pem.as_bytes());
        }
    }
    hex(&hasher.finalize())
}

/// `M H * * *`: once a day at a minute picked by the trust anchor's digest.
fn heartbeat_schedule(digest: &[u8]) -> String {
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    format!("{} {} * * *", n % 60, (n / 60) % 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(overlay: &str) -> Values {
        let source = crate::ValuesSource {
            name: "test.yaml".into(),
            text: overlay.into(),
        };
        crate::load_values(&[source]).unwrap_or_else(|e| panic!("{e}"))
    }

    fn repo_certs() -> CertStore {
        crate::load_certs(camino::Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/certs")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn view(overlay: &str) -> View {
        View::new(&values(overlay), &repo_certs()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn heartbeat_schedule_is_a_valid_daily_cron() {
        for seed in [[0u8; 32], [255u8; 32], [7u8; 32]] {
            let s = heartbeat_schedule(&seed);
            let parts: Vec<&str> = s.split(' ').collect();
            assert_eq!(parts.len(), 5, "{s}");
            assert!(parts[0].parse::<u32>().is_ok_and(|m| m < 60), "{s}");
            assert!(parts[1].parse::<u32>().is_ok_and(|h| h < 24), "{s}");
            assert_eq!(&parts[2..], ["*", "*", "*"]);
        }
        assert_ne!(heartbeat_schedule(&[1u8; 32]), heartbeat_schedule(&[2u8; 32]));
    }

    #[test]
    fn base64_is_of_the_trimmed_pem() {
        assert_eq!(b64("  abc\n\n"), "YWJj");
        let v = view("");
        let hook = &v.webhooks["linkerd-proxy-injector"];
        let decoded = Base64::decode_vec(&hook.ca_bundle_b64).expect("valid base64");
        assert_eq!(decoded, hook.ca_bundle.trim().as_bytes());
        let crt = Base64::decode_vec(v.issuer_crt_b64.as_deref().expect("issuer crt")).expect("valid base64");
        assert_eq!(crt, v.issuer_crt_pem.as_deref().expect("issuer crt").trim().as_bytes());
    }

    #[test]
    fn registry_replaces_the_image_prefix() {
        let v = view("linkerd: {registry: myregistry.azurecr.io/linkerd, version: edge-1.2.3}");
        assert_eq!(v.images.proxy, "myregistry.azurecr.io/linkerd/proxy:edge-1.2.3");
        assert_eq!(v.images.controller_name, "myregistry.azurecr.io/linkerd/controller");
        assert_eq!(v.images.debug, "myregistry.azurecr.io/linkerd/debug:edge-1.2.3");
    }

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
        let v = view("linkerd: {tracing: {enabled: false}}");
        assert!(v.proxy.trace.is_none());
        assert!(v.controller_trace_collector.is_none());
    }

    #[test]
    fn proxy_log_keeps_headers_out() {
        let v = view("linkerd: {proxy: {logLevel: debug}}");
        assert_eq!(v.proxy.log, "debug,[{headers}]=off,[{request}]=off");
    }

    #[test]
    fn empty_resources_are_null_and_set_ones_split_into_limits_and_requests() {
        assert_eq!(view("").proxy.resources.container, None);
        let r = view("linkerd: {proxy: {resources: {cpu: {limit: '1'}, ephemeralStorage: {request: 1Gi}}}}")
            .proxy
            .resources;
        assert_eq!(
            r.container,
            Some(json!({"limits": {"cpu": "1"}, "requests": {"ephemeral-storage": "1Gi"}}))
        );
    }

    #[test]
    fn high_availability_fills_unset_resources_only() {
        let v = view("linkerd: {highAvailability: true, proxy: {resources: {memory: {limit: 1Gi}}}}");
        assert_eq!(
            v.proxy.resources.container,
            Some(json!({"limits": {"memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "20Mi"}}))
        );
        let c = &v.controllers;
        assert_eq!((c.replicas, c.webhook_failure_policy), (3, "Fail"));
        assert!(c.pod_disruption_budgets && c.pod_anti_affinity);
        assert_eq!(c.max_unavailable, json!(1));
        let identity = c.resources.identity.as_ref().expect("identity resources");
        assert_eq!(
            identity.container,
            Some(json!({"limits": {"memory": "250Mi"}, "requests": {"cpu": "100m", "memory": "10Mi"}}))
        );
        assert!(identity.values.ephemeral_storage.is_none());
    }

    #[test]
    fn normal_mode_sets_no_controller_resources() {
        let c = view("").controllers;
        assert_eq!((c.replicas, c.webhook_failure_policy), (1, "Ignore"));
        assert_eq!(c.max_unavailable, json!("25%"));
        assert!(c.resources.identity.is_none() && c.resources.heartbeat.is_none());
    }

    #[test]
    fn external_issuer_reads_no_issuer_files() {
        let v = view("linkerd: {identity: {issuer: {scheme: kubernetes.io/tls}}}");
        assert!(v.issuer_crt_pem.is_none() && v.issuer_key_b64.is_none());
    }

    #[test]
    fn checksums_cover_only_public_certificates() {
        let v = view("");
        assert_ne!(v.checksums.destination, v.checksums.proxy_injector);
        let mut webhooks = IndexMap::new();
        for (name, w) in &v.webhooks {
            webhooks.insert(
                name.clone(),
                WebhookTls {
                    key_pem: None,
                    key_b64: None,
                    ca_bundle: w.ca_bundle.clone(),
                    ca_bundle_b64: w.ca_bundle_b64.clone(),
                    crt_pem: w.crt_pem.clone(),
                    crt_b64: w.crt_b64.clone(),
                },
            );
        }
        assert_eq!(
            webhook_checksum(&webhooks, &["linkerd-proxy-injector"]),
            v.checksums.proxy_injector
        );
    }
}
