//! Derived facts of the Dgraph bundle: object names, labels, selectors and pod
//! annotations. Templates own the shape of each object; this module owns the rules
//! that several objects must agree on, so they are written once and unit-tested.

use indexmap::IndexMap;
use serde::Serialize;

use crate::values::dgraph::{Component, Dgraph};

pub(crate) mod service_profile;

type Map = IndexMap<String, String>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    pub image: String,
    pub service_account: String,
    pub zero: ComponentView,
    pub alpha: ComponentView,
    /// Labels of objects that belong to no single component (the ServiceAccount).
    pub labels: Map,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ComponentView {
    /// `<release>-dgraph-<component>`: StatefulSet, Service, container and pod name.
    pub name: String,
    pub headless: String,
    pub labels: Map,
    /// Labels of the client Service: `monitor` is what upstream's ServiceMonitors select.
    pub service_labels: Map,
    pub selector: Map,
    pub pod_labels: Map,
    pub pod_annotations: Map,
}

/// The chart name, which the upstream chart puts in names and the `app` label.
const APP: &str = "dgraph";

impl View {
    pub(crate) fn new(d: &Dgraph) -> Self {
        let base = format!("{}-{APP}", d.release);
        let common = common_labels(d);
        let component = |name: &str, metrics_port: u16, c: &Component| {
            let mut labels = common.clone();
            labels.insert("app.kubernetes.io/component".into(), name.into());
            labels.insert("component".into(), name.into());
            let selector: Map = [("app", APP), ("release", d.release.as_str()), ("component", name)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            labels.sort_keys();
            let mut service_labels = labels.clone();
            service_labels.insert("monitor".into(), format!("{name}-dgraph-io"));
            service_labels.sort_keys();
            let mut pod_labels = labels.clone();
            pod_labels.extend(c.pod_labels.clone());
            pod_labels.sort_keys();
            ComponentView {
                name: format!("{base}-{name}"),
                headless: format!("{base}-{name}-headless"),
                labels,
                service_labels,
                selector,
                pod_labels,
                pod_annotations: d.pod_annotations(metrics_port, c),
            }
        };
        let mut alpha = component("alpha", 8080, &d.alpha);
        // The service mirror selects exported Services by label: the client Service
        // only, never a headless one.
        if let Some((key, value)) = d.export.mode.label() {
            alpha.service_labels.insert(key.into(), value.into());
            alpha.service_labels.sort_keys();
        }
        Self {
            image: format!("{}/{}:{}", d.image.registry, d.image.repository, d.image.tag),
            service_account: APP.to_string(),
            zero: component("zero", 6080, &d.zero),
            alpha,
            labels: common,
        }
    }
}

fn common_labels(d: &Dgraph) -> Map {
    [
        ("app", APP),
        ("app.kubernetes.io/instance", d.release.as_str()),
        ("app.kubernetes.io/managed-by", "meshgen"),
        ("app.kubernetes.io/name", APP),
        ("app.kubernetes.io/version", d.image.tag.as_str()),
        ("release", d.release.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Dgraph {
        crate::Values::defaults().expect("default values load").dgraph
    }

    #[test]
    fn names_follow_the_release() {
        let mut d = defaults();
        d.release = "prod".into();
        let v = View::new(&d);
        assert_eq!(v.alpha.name, "prod-dgraph-alpha");
        assert_eq!(v.zero.headless, "prod-dgraph-zero-headless");
    }

    #[test]
    fn mesh_annotations_can_be_turned_off_one_by_one() {
        let mut d = defaults();
        d.mesh.inject = false;
        d.mesh.skip_outbound_ports.clear();
        let a = View::new(&d).alpha.pod_annotations;
        assert!(!a.contains_key("linkerd.io/inject"));
        assert!(!a.contains_key("config.linkerd.io/skip-outbound-ports"));
        assert_eq!(a["config.linkerd.io/skip-inbound-ports"], "5080,7080");
    }

    #[test]
    fn pod_labels_extend_but_selectors_stay_fixed() {
        let mut d = defaults();
        d.zero.pod_labels.insert("team".into(), "data".into());
        let z = View::new(&d).zero;
        assert_eq!(z.pod_labels["team"], "data");
        assert!(!z.labels.contains_key("team"));
        assert!(z.selector.iter().all(|(k, v)| z.pod_labels.get(k) == Some(v)));
    }
}
