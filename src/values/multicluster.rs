//! Values of the Linkerd multicluster extension: the gateway that remote clusters
//! reach this one through, the local service mirror, and one service-mirror
//! controller per Link to a target cluster. Key names follow upstream's
//! `linkerd-multicluster` chart where it has one.

use serde::{Deserialize, Serialize};

use super::Problems;
use crate::api_rules;

/// The most replicas meshgen renders of one multicluster Deployment; more is a typo.
pub const MAX_REPLICAS: u32 = 10;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The Linkerd multicluster extension, and the Link CRD in the CRD bundle.
pub struct Multicluster {
    /// Render the extension (`generated/linkerd-multicluster/`) and the Link CRD.
    pub enabled: bool,
    /// Namespace of the extension.
    pub namespace: String,
    /// Registry prefix of the controller image, replacing `cr.l5d.io/linkerd`;
    /// `None` uses `linkerd.registry`.
    pub registry: Option<String>,
    /// What upstream's values-ha.yaml sets: 3 gateway replicas, pod anti-affinity,
    /// one-at-a-time rollouts and PodDisruptionBudgets.
    pub ha: bool,
    /// The gateway that remote clusters send traffic through.
    pub gateway: Gateway,
    /// Create the ServiceAccount (with its token Secret) that remote clusters'
    /// controllers use to read this cluster's services.
    pub remote_mirror_service_account: bool,
    /// Name of that ServiceAccount and its cluster-wide RBAC.
    pub remote_mirror_service_account_name: String,
    /// The local service mirror, which mirrors federated services.
    pub local_service_mirror: LocalServiceMirror,
    /// One service-mirror controller per Link, by target cluster.
    pub controllers: Vec<ControllerEntry>,
    /// What a controller uses where its entry sets nothing.
    pub controller_defaults: ControllerDefaults,
    /// The Links this cluster holds, one per target cluster it mirrors services
    /// from; each also gets a controller, with `controllerDefaults` unless
    /// `controllers` lists the target. A fleet file fills this in.
    pub links: Vec<super::link::Link>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The multicluster gateway.
pub struct Gateway {
    /// Render the gateway (Deployment, Service, ServiceAccount and its policy).
    pub enabled: bool,
    /// Name of its Deployment, Service, ServiceAccount and Server.
    pub name: String,
    /// Replicas; `None` is 1, or 3 with `ha`.
    pub replicas: Option<u32>,
    /// The port remote clusters send traffic to.
    pub port: u16,
    /// Type of the gateway Service: LoadBalancer, NodePort or ClusterIP.
    pub service_type: ServiceType,
    /// The health probe remote clusters send.
    pub probe: Probe,
    /// The image of the gateway's placeholder container.
    pub pause_image: String,
    /// Networks the gateway admits traffic from (the `source-cluster`
    /// NetworkAuthentication): the source clusters' egress addresses.
    pub source_networks: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
/// How the gateway Service is exposed.
pub enum ServiceType {
    /// A cloud load balancer.
    LoadBalancer,
    /// A port on every node.
    NodePort,
    /// Inside the cluster only (reached through something else).
    ClusterIP,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The gateway's liveness probe, as remote clusters run it.
pub struct Probe {
    /// HTTP path of the probe.
    pub path: String,
    /// Port of the probe.
    pub port: u16,
    /// Seconds between probes.
    pub seconds: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The local service mirror.
pub struct LocalServiceMirror {
    /// Replicas of its Deployment.
    pub replicas: u32,
    /// Log level.
    pub log_level: LogLevel,
    /// Log format.
    pub log_format: LogFormat,
    /// How often an update is retried.
    pub service_mirror_retry_limit: u32,
    /// Label selector of the federated service members of this cluster.
    pub federated_service_selector: String,
    /// Comma-separated labels not copied onto mirror services.
    pub excluded_labels: String,
    /// Comma-separated annotations not copied onto mirror services.
    pub excluded_annotations: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
/// A controller's log level.
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// The default.
    Info,
    /// Verbose.
    Debug,
    /// Very verbose.
    Trace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
/// A controller's log format.
pub enum LogFormat {
    /// Text lines.
    Plain,
    /// JSON objects.
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
/// One Link's controller: the target cluster's name, or upstream's form
/// `{link: {ref: {name: NAME}}, ...}` with settings of its own.
pub enum ControllerEntry {
    /// Just the target cluster; every setting from `controllerDefaults`.
    Name(String),
    /// Upstream's form.
    Full(Controller),
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A controller in upstream's form; unset settings come from `controllerDefaults`.
pub struct Controller {
    /// The Link it serves.
    pub link: LinkRef,
    /// Replicas of its Deployment.
    pub replicas: Option<u32>,
    /// Log level.
    pub log_level: Option<LogLevel>,
    /// Log format.
    pub log_format: Option<LogFormat>,
    /// How often an update is retried.
    pub retry_limit: Option<u32>,
    /// Mirror headless services too.
    pub enable_headless_services: Option<bool>,
    /// The probe Service of the target's gateway.
    pub gateway: Option<ControllerGatewayOverride>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// `link:` of a controller.
pub struct LinkRef {
    /// `ref:` of the Link.
    #[serde(rename = "ref")]
    pub reference: NameRef,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A reference by name.
pub struct NameRef {
    /// The Link's name, which is the target cluster's name.
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A controller's own gateway settings.
pub struct ControllerGatewayOverride {
    /// Render the probe Service for the target's gateway.
    pub enabled: Option<bool>,
    /// Its probe.
    pub probe: Option<PortOverride>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A port setting.
pub struct PortOverride {
    /// The port.
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Settings every controller has unless its entry sets its own.
pub struct ControllerDefaults {
    /// Replicas of each controller Deployment.
    pub replicas: u32,
    /// Log level.
    pub log_level: LogLevel,
    /// Log format.
    pub log_format: LogFormat,
    /// How often an update is retried.
    pub retry_limit: u32,
    /// Mirror headless services too.
    pub enable_headless_services: bool,
    /// The probe Service of each target's gateway.
    pub gateway: ControllerGateway,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The probe Service of a target's gateway.
pub struct ControllerGateway {
    /// Render a `probe-<target>` Service.
    pub enabled: bool,
    /// Its port.
    pub probe: ProbePort,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A probe's port.
pub struct ProbePort {
    /// The port.
    pub port: u16,
}

impl ControllerEntry {
    /// The target cluster's name, which is also the Link's.
    pub fn target(&self) -> &str {
        match self {
            ControllerEntry::Name(name) => name,
            ControllerEntry::Full(c) => &c.link.reference.name,
        }
    }
}

/// The help for an entry of `controllers` that is neither form.
pub(crate) const CONTROLLER_FORMS: &str = "write the target cluster's name (controllers: [east]) or upstream's form, {link: {ref: {name: east}}} with any of replicas, logLevel, logFormat, retryLimit, enableHeadlessServices, gateway: {enabled, probe: {port}}";

impl Multicluster {
    /// `taken` lists the namespaces other bundles own, as (dotted key, namespace).
    pub(crate) fn validate(&self, p: &mut Problems, taken: &[(&str, &str)]) {
        p.check("multicluster.namespace", api_rules::dns_label(&self.namespace));
        if self.enabled {
            for (key, ns) in taken {
                if *ns == self.namespace {
                    p.add(
                        "multicluster.namespace",
                        &format!("is `{ns}`, which `{key}` already uses"),
                        "give the extension a namespace of its own, such as linkerd-multicluster",
                    );
                }
            }
        }
        if let Some(r) = &self.registry {
            p.check("multicluster.registry", api_rules::image_registry(r));
        }
        let g = &self.gateway;
        p.check("multicluster.gateway.name", api_rules::dns_label(&g.name));
        if let Some(n) = g.replicas {
            replicas(p, "multicluster.gateway.replicas", n);
        }
        port(p, "multicluster.gateway.port", g.port);
        port(p, "multicluster.gateway.probe.port", g.probe.port);
        if g.port == g.probe.port {
            p.add(
                "multicluster.gateway.probe.port",
                &format!("is {}, the same as multicluster.gateway.port", g.port),
                "the gateway Service has one port for traffic and one for the probe; give them different numbers (upstream: 4143 and 4191)",
            );
        }
        if !g.probe.path.starts_with('/') || g.probe.path.chars().any(char::is_whitespace) {
            p.add(
                "multicluster.gateway.probe.path",
                &format!("`{}` is not an HTTP path", g.probe.path),
                "write an absolute path without spaces, such as /ready",
            );
        }
        if !(1..=3600).contains(&g.probe.seconds) {
            p.add(
                "multicluster.gateway.probe.seconds",
                &format!("is {}", g.probe.seconds),
                "probe every 1 to 3600 seconds (upstream: 3)",
            );
        }
        p.check("multicluster.gateway.pauseImage", image_reference(&g.pause_image));
        if g.source_networks.is_empty() {
            p.add(
                "multicluster.gateway.sourceNetworks",
                "is empty",
                "list the networks remote clusters reach the gateway from, or [0.0.0.0/0, ::/0] for any",
            );
        }
        for (i, net) in g.source_networks.iter().enumerate() {
            p.check(
                &format!("multicluster.gateway.sourceNetworks[{i}]"),
                api_rules::cidr(net),
            );
        }
        p.check(
            "multicluster.remoteMirrorServiceAccountName",
            api_rules::dns_label(&self.remote_mirror_service_account_name),
        );
        let l = &self.local_service_mirror;
        replicas(p, "multicluster.localServiceMirror.replicas", l.replicas);
        p.non_empty(
            "multicluster.localServiceMirror.federatedServiceSelector",
            &l.federated_service_selector,
        );
        let d = &self.controller_defaults;
        replicas(p, "multicluster.controllerDefaults.replicas", d.replicas);
        port(
            p,
            "multicluster.controllerDefaults.gateway.probe.port",
            d.gateway.probe.port,
        );

        let mut targets: Vec<&str> = Vec::new();
        for (i, link) in self.links.iter().enumerate() {
            let key = format!("multicluster.links[{i}]");
            link.validate(p, &key);
            if targets.contains(&link.target.as_str()) {
                p.add(
                    &format!("{key}.target"),
                    &format!("`{}` has two Links", link.target),
                    "a cluster holds one Link per target; remove the duplicate",
                );
            }
            targets.push(&link.target);
        }

        let mut seen: Vec<&str> = Vec::new();
        for (i, entry) in self.controllers.iter().enumerate() {
            let key = match entry {
                ControllerEntry::Name(_) => format!("multicluster.controllers[{i}]"),
                ControllerEntry::Full(_) => format!("multicluster.controllers[{i}].link.ref.name"),
            };
            let target = entry.target();
            // `controller-<target>` and `probe-<target>` must be DNS labels too.
            match api_rules::dns_label(target) {
                Err(help) => p.add(&key, &format!("`{target}` is not a cluster name"), &help),
                Ok(()) if target.len() > 52 => p.add(
                    &key,
                    &format!("`{target}` is longer than 52 characters"),
                    "controller-<name> names a Deployment, which must stay within 63 characters",
                ),
                Ok(()) => {}
            }
            if seen.contains(&target) {
                p.add(
                    &key,
                    &format!("`{target}` is listed twice"),
                    "one controller serves one Link; remove the duplicate",
                );
            }
            seen.push(target);
            if let ControllerEntry::Full(c) = entry {
                if let Some(n) = c.replicas {
                    replicas(p, &format!("multicluster.controllers[{i}].replicas"), n);
                }
                if let Some(port_) = c.gateway.as_ref().and_then(|g| g.probe.as_ref()).and_then(|pr| pr.port) {
                    port(p, &format!("multicluster.controllers[{i}].gateway.probe.port"), port_);
                }
            }
        }
    }
}

fn replicas(p: &mut Problems, key: &str, n: u32) {
    if !(1..=MAX_REPLICAS).contains(&n) {
        p.add(
            key,
            &format!("is {n}"),
            &format!("use 1 to {MAX_REPLICAS} replicas; turn the component off with its `enabled` key instead of 0"),
        );
    }
}

fn port(p: &mut Problems, key: &str, n: u16) {
    if n == 0 {
        p.add(key, "is 0", "use a port number from 1 to 65535");
    }
}

/// `<registry>/<path>:<tag>`, such as registry.k8s.io/pause:3.2: pinned, so a render
/// names one image.
fn image_reference(s: &str) -> Result<(), String> {
    let help = || format!("`{s}` is not a pinned image; write e.g. registry.k8s.io/pause:3.2");
    let (name, tag) = s.rsplit_once(':').ok_or_else(help)?;
    if name.contains('/') && api_rules::image_registry(name).is_ok() && api_rules::image_tag(tag).is_ok() {
        Ok(())
    } else {
        Err(help())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        for ok in ["registry.k8s.io/pause:3.2", "localhost:5000/pause:3.9"] {
            assert!(image_reference(ok).is_ok(), "{ok}");
        }
        for bad in ["pause", "registry.k8s.io/pause", "pause:3.2", "a b/c:1", "x/y:"] {
            assert!(image_reference(bad).is_err(), "{bad}");
        }
    }
}
