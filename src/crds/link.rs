//! Link (multicluster.linkerd.io): how this cluster reaches a target cluster, its
//! gateway and the services it mirrors from there. It belongs to the multicluster
//! extension, so it is rendered only with it.

use super::common::*;
use super::dsl::*;
use super::httproute::CONTROLLER;
use super::{Definition, Version};

/// The gateway's health probe. v1alpha1 leaves `period` unformatted.
fn probe_spec(version: &str) -> Schema {
    let period = match version {
        "v1alpha1" => string(),
        _ => string().format("duration"),
    };
    object([
        ("failureThreshold", string().default("3")),
        (
            "path",
            string().doc("HTTP path of the remote gateway's health endpoint"),
        ),
        ("period", period.doc("Time between probes")),
        ("port", string().doc("Port of the remote gateway's health endpoint")),
        ("timeout", string().format("duration").default("30s")),
    ])
    .doc("How the remote gateway is probed")
}

fn spec(version: &str) -> Schema {
    let text = |doc: &str| string().doc(doc);
    let mut spec = object([
        (
            "clusterCredentialsSecret",
            text("Secret holding the target cluster's credentials"),
        ),
        ("gatewayAddress", text("Address of the target cluster's gateway")),
        ("gatewayIdentity", text("Mesh identity of the target cluster's gateway")),
        ("gatewayPort", text("Port of the target cluster's gateway")),
        ("probeSpec", probe_spec(version)),
        (
            "selector",
            label_selector().doc("Services to mirror through the gateway"),
        ),
        (
            "remoteDiscoverySelector",
            label_selector().doc("Services to mirror in remote-discovery mode"),
        ),
    ]);
    if version != "v1alpha1" {
        spec = spec.prop(
            "federatedServiceSelector",
            label_selector().doc("Members of federated services"),
        );
    }
    spec = spec
        .prop("targetClusterName", text("Name of the target cluster"))
        .prop("targetClusterDomain", text("DNS domain of the target cluster"))
        .prop(
            "targetClusterLinkerdNamespace",
            text("Namespace of the target cluster's Linkerd control plane"),
        );
    if version == "v1alpha3" {
        spec = spec
            .prop(
                "excludedAnnotations",
                array(string()).doc("Annotations not copied onto federated services"),
            )
            .prop(
                "excludedLabels",
                array(string()).doc("Labels not copied onto federated services"),
            );
    }
    spec
}

/// A Service here or in the target cluster, by name and namespace.
fn service_ref(doc: &str) -> Schema {
    object([
        ("group", group_ref().default("core")),
        ("kind", kind_ref().default("Service")),
        ("name", name_ref()),
        ("namespace", namespace_ref()),
    ])
    .required(["name", "namespace"])
    .doc(doc)
}

/// metav1.Condition's fields, with the local Service the condition is about.
fn condition() -> Schema {
    object([
        ("lastTransitionTime", date_time()),
        ("message", string()),
        ("reason", condition_reason()),
        ("status", condition_status()),
        ("type", condition_type()),
        ("localRef", service_ref("The local Service this Link manages")),
    ])
    .required(["lastTransitionTime", "message", "reason", "status", "type"])
}

/// One mirrored (or federated) service: who wrote the status, the remote Service.
fn service_status(what: &str) -> Schema {
    object([
        ("conditions", array(condition()).doc(what)),
        ("controllerName", string().length(1, 253).pattern(CONTROLLER)),
        ("remoteRef", service_ref("The target cluster's Service")),
    ])
    .required(["controllerName", "remoteRef"])
}

fn schema(version: &str) -> Schema {
    let root = object([("spec", spec(version))]);
    match version {
        "v1alpha1" => root,
        _ => root.prop(
            "status",
            object([
                (
                    "mirrorServices",
                    array(service_status("Conditions of the mirrored service")),
                ),
                (
                    "federatedServices",
                    array(service_status("Conditions of the federated service")),
                ),
            ])
            .doc("What this Link manages"),
        ),
    }
}

pub(super) fn link() -> Definition {
    Definition {
        group: "multicluster.linkerd.io",
        kind: "Link",
        plural: "links",
        singular: "link",
        list_kind: false,
        short_names: &[],
        categories: &[],
        placeholder_status: false,
        extension: Some("multicluster"),
        versions: vec![
            Version::new("v1alpha1", schema("v1alpha1")),
            Version::new("v1alpha2", schema("v1alpha2")).with_status(),
            Version::new("v1alpha3", schema("v1alpha3")).stored().with_status(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::openapi::violations as validate;
    use serde_json::json;

    fn v1alpha3() -> serde_json::Value {
        crate::crds::schema_for("multicluster.linkerd.io/v1alpha3", "Link")
            .expect("Link v1alpha3 is served")
            .clone()
    }

    #[test]
    fn a_link_with_a_misspelt_field_is_refused() {
        let good = json!({"spec": {"targetClusterName": "east", "gatewayPort": "4143"}});
        assert_eq!(validate(&good, &v1alpha3()), vec![]);
        let bad = json!({"spec": {"targetClusterName": "east", "gatewayPrt": "4143"}});
        let found = validate(&bad, &v1alpha3());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, "spec.gatewayPrt", "{found:?}");
    }

    #[test]
    fn excluded_labels_are_new_in_v1alpha3() {
        let link = json!({"spec": {"excludedLabels": ["team"]}});
        assert_eq!(validate(&link, &v1alpha3()), vec![]);
        let v1alpha2 = crate::crds::schema_for("multicluster.linkerd.io/v1alpha2", "Link").expect("served");
        assert!(!validate(&link, v1alpha2).is_empty());
    }

    #[test]
    fn status_refers_to_services_by_name_and_namespace() {
        let status = json!({"status": {"mirrorServices": [{
            "controllerName": "linkerd.io/service-mirror",
            "remoteRef": {"name": "web"},
        }]}});
        let found = validate(&status, &v1alpha3());
        assert!(found.iter().any(|v| v.path.contains("remoteRef")), "{found:?}");
    }

    #[test]
    fn only_v1alpha3_is_stored() {
        let stored: Vec<&str> = link().versions.iter().filter(|v| v.storage).map(|v| v.name).collect();
        assert_eq!(stored, ["v1alpha3"]);
    }
}
