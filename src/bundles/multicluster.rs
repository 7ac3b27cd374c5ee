//! Derived facts of the Linkerd multicluster extension: the controller image, the
//! gateway's replicas and mesh identity, what HA mode changes, and each Link's
//! controller with its settings resolved against `controllerDefaults`. Templates own
//! the shape of each object; this module owns the rules several objects share.

use indexmap::IndexMap;
use serde::Serialize;

use crate::values::multicluster::{ControllerEntry, LogFormat, LogLevel};
use crate::values::Values;

/// The bundle (output folder and templates folder).
pub(crate) const BUNDLE: &str = "linkerd-multicluster";

/// The name of both Secrets that hold a Link's credentials to `target`: the one its
/// controller reads, and the one the destination controller reads.
pub(crate) fn credentials_secret_name(target: &str) -> String {
    format!("cluster-credentials-{target}")
}

/// Gateway replicas in HA mode (upstream's values-ha.yaml).
const HA_GATEWAY_REPLICAS: u32 = 3;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
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
    /// One per entry of `controllers`, then one per Link whose target that does
    /// not list, in the order of the values.
    pub controllers: Vec<Controller>,
    /// The Links, selectors parsed, in the order of the values.
    pub links: Vec<Link>,
    /// `linkerd/cli <version>`: a Link is what `linkerd multicluster link-gen` writes.
    pub link_created_by: String,
}

/// One Link, as its object needs it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Link {
    pub target: String,
    pub cluster_domain: String,
    pub linkerd_namespace: String,
    /// `cluster-credentials-<target>`.
    pub credentials_secret: String,
    pub gateway: Option<LinkGateway>,
    /// The three selectors' `matchLabels`.
    pub selector: IndexMap<String, String>,
    pub remote_discovery_selector: IndexMap<String, String>,
    pub federated_service_selector: IndexMap<String, String>,
}

/// The gateway fields of a Link; ports are strings in the Link's schema.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkGateway {
    pub address: String,
    pub port: String,
    pub identity: String,
    pub probe_path: String,
    pub probe_port: String,
    /// A Go duration, as the Link's `probeSpec.period` is read: `3s`, `1m30s`.
    pub probe_period: String,
}

/// One Link's service-mirror controller, every setting resolved.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Controller {
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
    pub(crate) fn new(values: &Values) -> Self {
        let (m, l) = (&values.multicluster, &values.linkerd);
        let registry = m.registry.as_deref().unwrap_or(&l.registry);
        let default_replicas = if m.ha { HA_GATEWAY_REPLICAS } else { 1 };
        Self {
            controller_image: format!("{registry}/controller:{}", l.version),
            gateway_replicas: m.gateway.replicas.unwrap_or(default_replicas),
            gateway_identity: gateway_identity(values),
            pod_anti_affinity: m.ha,
            prometheus_namespace: values.viz.namespace.clone(),
            controllers: controllers(values),
            links: m.links.iter().map(link).collect(),
            link_created_by: format!("linkerd/cli {}", l.version),
        }
    }
}

/// The gateway's mesh identity: `<gateway>.<namespace>.serviceaccount.identity.<linkerd namespace>.<trust domain>`.
pub(crate) fn gateway_identity(values: &Values) -> String {
    let (m, l) = (&values.multicluster, &values.linkerd);
    format!(
        "{}.{}.serviceaccount.{}",
        m.gateway.name,
        m.namespace,
        crate::certs::issuer_common_name(&l.namespace, &l.trust_domain)
    )
}

/// Every Link needs a controller: those `controllers` lists keep their settings, and
/// a Link without a gateway renders no probe Service, whatever its entry says.
fn controllers(values: &Values) -> Vec<Controller> {
    let m = &values.multicluster;
    let mut all: Vec<Controller> = m.controllers.iter().map(|e| controller(values, e)).collect();
    for l in &m.links {
        if !all.iter().any(|c| c.target == l.target) {
            all.push(controller(values, &ControllerEntry::Name(l.target.clone())));
        }
    }
    for c in &mut all {
        if m.links.iter().any(|l| l.target == c.target && l.gateway.is_none()) {
            c.probe_port = None;
        }
    }
    all
}

fn link(l: &crate::values::link::Link) -> Link {
    // Validated with the values, so a selector that does not parse never gets here.
    let labels = |s: &str| {
        crate::values::link::selector_labels(s)
            .unwrap_or_default()
            .into_iter()
            .collect()
    };
    Link {
        target: l.target.clone(),
        cluster_domain: l.cluster_domain.clone(),
        linkerd_namespace: l.linkerd_namespace.clone(),
        credentials_secret: format!("cluster-credentials-{}", l.target),
        gateway: l.gateway.as_ref().map(|g| LinkGateway {
            address: g.address.clone(),
            port: g.port.to_string(),
            identity: g.identity.clone(),
            probe_path: g.probe.path.clone(),
            probe_port: g.probe.port.to_string(),
            probe_period: go_duration(g.probe.seconds),
        }),
        selector: labels(&l.selector),
        remote_discovery_selector: labels(&l.remote_discovery_selector),
        federated_service_selector: labels(&l.federated_service_selector),
    }
}

/// Whole seconds as Go's `time.Duration.String` writes them (`3s`, `1m30s`, `1h0m0s`),
/// which is what `link-gen` turns the gateway's probe-period annotation into.
fn go_duration(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
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
        let values = crate::test_support::values(overlay);
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
    fn probe_periods_are_go_durations() {
        let cases = [
            (3, "3s"),
            (59, "59s"),
            (60, "1m0s"),
            (90, "1m30s"),
            (3600, "1h0m0s"),
            (3661, "1h1m1s"),
        ];
        for (seconds, want) in cases {
            assert_eq!(go_duration(seconds), want, "{seconds}");
        }
    }

    #[test]
    fn every_link_gets_a_controller_and_a_gatewayless_link_no_probe_service() {
        let v = view(
            "multicluster:\n  controllers: [{link: {ref: {name: west}}, replicas: 2}]\n  links:\n  - {target: west, clusterDomain: cluster.local, linkerdNamespace: linkerd, gateway: null, selector: a=b, remoteDiscoverySelector: a=c, federatedServiceSelector: a=d}\n  - {target: east, clusterDomain: cluster.local, linkerdNamespace: linkerd, selector: a=b, remoteDiscoverySelector: a=c, federatedServiceSelector: a=d, gateway: {address: east.example, port: 4143, identity: gw.example, probe: {path: /ready, port: 4191, seconds: 3}}}\n",
        );
        let got: Vec<(&str, u32, Option<u16>)> = v
            .controllers
            .iter()
            .map(|c| (c.target.as_str(), c.replicas, c.probe_port))
            .collect();
        assert_eq!(got, [("west", 2, None), ("east", 1, Some(4191))]);
        assert_eq!(v.links[1].gateway.as_ref().map(|g| g.probe_period.as_str()), Some("3s"));
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
