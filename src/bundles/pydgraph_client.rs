//! Derived facts of the test client bundle: its image, labels and the address of
//! Dgraph Alpha it talks to.

use indexmap::IndexMap;
use serde::Serialize;

use crate::values::Values;

type Map = IndexMap<String, String>;

/// The Deployment's name, and its pods' `app` label.
pub(crate) const NAME: &str = "pydgraph-client";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    pub name: String,
    pub image: String,
    pub labels: Map,
    pub selector: Map,
    pub pod_annotations: Map,
    /// `<release>-dgraph-alpha.<namespace>.svc.<clusterDomain>`: Alpha's client Service.
    pub alpha_server: String,
}

impl View {
    pub(crate) fn new(values: &Values, dgraph: &super::dgraph::View) -> Self {
        let c = &values.pydgraph_client;
        let selector: Map = [("app".to_string(), NAME.to_string())].into_iter().collect();
        let mut labels = selector.clone();
        labels.insert("app.kubernetes.io/name".into(), NAME.into());
        labels.insert("app.kubernetes.io/managed-by".into(), "meshgen".into());
        labels.insert("app.kubernetes.io/part-of".into(), "dgraph".into());
        let inject = if c.inject { "enabled" } else { "disabled" };
        Self {
            name: NAME.to_string(),
            image: c.image.reference(),
            labels,
            selector,
            pod_annotations: [("linkerd.io/inject".to_string(), inject.to_string())]
                .into_iter()
                .collect(),
            alpha_server: format!(
                "{}.{}.svc.{}",
                dgraph.alpha.name, values.dgraph.namespace, values.cluster_domain
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(overlay: &str) -> View {
        let values = crate::test_support::values(overlay);
        View::new(&values, &super::super::dgraph::View::new(&values.dgraph))
    }

    #[test]
    fn image_and_address_follow_the_values() {
        let v = view("");
        assert_eq!(v.image, "pydgraph-client:latest");
        assert_eq!(v.alpha_server, "demo-dgraph-alpha.dgraph.svc.cluster.local");
        let v = view(
            "clusterDomain: example.org\ndgraph: {release: g, namespace: graph}\npydgraphClient: {image: {registry: myregistry.azurecr.io, tag: v1}}",
        );
        assert_eq!(v.image, "myregistry.azurecr.io/pydgraph-client:v1");
        assert_eq!(v.alpha_server, "g-dgraph-alpha.graph.svc.example.org");
    }

    #[test]
    fn the_injection_switch_writes_enabled_or_disabled() {
        assert_eq!(view("").pod_annotations["linkerd.io/inject"], "enabled");
        assert_eq!(
            view("pydgraphClient: {inject: false}").pod_annotations["linkerd.io/inject"],
            "disabled"
        );
    }
}
