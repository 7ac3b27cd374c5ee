//! Derived facts of the Linkerd multicluster extension: the controller image, the
//! gateway's replicas and mesh identity, what HA mode changes, and each Link's
//! controller with its settings resolved against `controllerDefaults`. Templates own
//! the shape of each object; this module owns the rules several objects share.

use serde::Serialize;

use crate::values::multicluster::{ControllerEntry, LogFormat, LogLevel};
use crate::values::Values;

/// The bundle (output folder and templates folder).
pub const BUNDLE: &str = "linkerd-multicluster";

/// Gateway replicas in HA mode (upstream's values-ha.yaml).
const HA_GATEWAY_REPLICAS: u32 = 3;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// `<registry>/controller:<version>`: the local service mirror and every
    /// controller run the control plane's controller image.
    pub controller_image: String,
    /// Replicas of the gateway: its value, else 1, or 3 in HA mode.
    pub gateway_replicas: u32,
    /// The gateway's mesh identity, which remote clusters' Links expect of it.
    pub gateway_identity: String,
    /// HA mode: anti-affinity, one-at-a-time rollouts and disruption budgets.
    pub pod_anti_affinity: bool,
    /// The namespace of viz's Prometheus, which alone may scrape the admin ports.
    pub prometheus_namespace: String,
    /// One per Link, in the order of the values.
    pub controllers: Vec<Controller>,
}

/// One Link's service-mirror controller, every setting resolved.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Controller {
    /// The target cluster, which names the Link and every object of the controller.
    pub target: String,
    pub replicas: u32,
    pub log_level: LogLevel,
    pub log_format: LogFormat,
    pub retry_limit: u32,
    pub enable_headless_services: bool,
    /// The port of the `probe-<target>` Service; `None` renders none.
    pub probe_port: Option<u16>,
}

impl View {
    pub fn new(values: &Values) -> Self {
        let (m, l) = (&values.multicluster, &values.linkerd);
        let registry = m.registry.as_deref().unwrap_or(&l.registry);
        let default_replicas = if m.ha { HA_GATEWAY_REPLICAS } else { 1 };
        Self {
            controller_image: format!("{registry}/controller:{}", l.version),
            gateway_replicas: m.gateway.replicas.unwrap_or(default_replicas),
            gateway_identity: format!(
                "{}.{}.serviceaccount.{}",
                m.gateway.name,
                m.namespace,
                crate::certs::issuer_common_name(&l.namespace, &l.trust_domain)
            ),
            pod_anti_affinity: m.ha,
            prometheus_namespace: values.viz.namespace.clone(),
            controllers: m.controllers.iter().map(|e| controller(values, e)).collect(),
        }
    }
}

fn controller(values: &Values, entry: &ControllerEntry) -> Controller {
    let d = &values.multicluster.controller_defaults;
    let own = match entry {
        ControllerEntry::Name(_) => None,
        ControllerEntry::Full(c) => Some(c),
    };
    let gateway = own.and_then(|c| c.gateway.as_ref());
    let gateway_on = gateway.and_then(|g| g.enabled).unwrap_or(d.gateway.enabled);
    let probe_port = (gateway.and_then(|g| g.probe.as_ref()).and_then(|p| p.port)).unwrap_or(d.gateway.probe.port);
    Controller {
        target: entry.target().to_string(),
        replicas: own.and_then(|c| c.replicas).unwrap_or(d.replicas),
        log_level: own.and_then(|c| c.log_level).unwrap_or(d.log_level),
        log_format: own.and_then(|c| c.log_format).unwrap_or(d.log_format),
        retry_limit: own.and_then(|c| c.retry_limit).unwrap_or(d.retry_limit),
        enable_headless_services: (own.and_then(|c| c.enable_headless_services)).unwrap_or(d.enable_headless_services),
        probe_port: gateway_on.then_some(probe_port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(overlay: &str) -> View {
        let source = crate::ValuesSource::new("test.yaml", overlay);
        let values = crate::Values::with_overlays(&[source]).unwrap_or_else(|e| panic!("{e}"));
        View::new(&values)
    }

    #[test]
    fn gateway_replicas_follow_ha_unless_set() {
        assert_eq!(view("").gateway_replicas, 1);
        assert_eq!(view("multicluster: {ha: true}").gateway_replicas, 3);
        assert_eq!(
            view("multicluster: {ha: true, gateway: {replicas: 5}}").gateway_replicas,
            5
        );
    }

    #[test]
    fn gateway_identity_names_the_control_plane_and_trust_domain() {
        let v = view("linkerd: {trustDomain: td.example}\nmulticluster: {namespace: mc}");
        assert_eq!(
            v.gateway_identity,
            "linkerd-gateway.mc.serviceaccount.identity.linkerd.td.example"
        );
    }

    #[test]
    fn controllers_take_defaults_where_their_entry_sets_nothing() {
        let v = view(
            "multicluster:\n  controllerDefaults: {logLevel: warn}\n  controllers:\n  - east\n  - {link: {ref: {name: west}}, replicas: 2, logLevel: debug, gateway: {enabled: false}}\n",
        );
        let [east, west] = &v.controllers[..] else {
            panic!("two controllers: {:?}", v.controllers)
        };
        assert_eq!(
            (east.target.as_str(), east.replicas, east.log_level),
            ("east", 1, LogLevel::Warn)
        );
        assert_eq!(east.probe_port, Some(4191));
        assert_eq!(
            (west.target.as_str(), west.replicas, west.log_level),
            ("west", 2, LogLevel::Debug)
        );
        assert_eq!(west.probe_port, None);
    }

    #[test]
    fn the_controller_image_follows_the_registries() {
        assert_eq!(view("").controller_image, "cr.l5d.io/linkerd/controller:edge-26.8.3");
        let v = view("linkerd: {registry: mirror.example/l5d}");
        assert_eq!(v.controller_image, "mirror.example/l5d/controller:edge-26.8.3");
        let v = view("multicluster: {registry: other.example/mc}");
        assert_eq!(v.controller_image, "other.example/mc/controller:edge-26.8.3");
    }
}
