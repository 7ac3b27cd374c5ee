//! Rolling the mesh through git. A Linkerd proxy reads its trust roots when it starts,
//! and keeps the certificate its issuer gave it until that certificate is renewed. So
//! each step of a certificate rotation must restart every meshed pod, and in a GitOps
//! setup only a changed pod template does that.
//!
//! Every workload whose pods get a proxy carries [`IDENTITY_ANNOTATION`] on its pod
//! template. The annotation holds a digest of the trust bundle and of the issuer
//! certificate. Each step of `certs rotate-anchor` (start, issuer, finish), and
//! `certs rotate-issuer`, changes the digest, so every meshed pod template changes, and
//! Argo CD or Flux roll them in apply order: the control plane first, then the
//! extensions and the workloads. A render with the same certificates changes nothing.
//!
//! The annotation is meshgen's own (the upstream charts have no such thing), so it is
//! added only here, and only to meshed pod templates.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

/// The pod-template annotation that rolls meshed workloads when the mesh identity
/// (the trust bundle or the issuer certificate) changes.
pub const IDENTITY_ANNOTATION: &str = "meshgen.io/identity-sha256";

/// Where Linkerd's `linkerd.io/inject` annotation sits, as a JSON pointer below
/// `metadata`.
const INJECT: &str = "/annotations/linkerd.io~1inject";

/// Where a workload object keeps its pod template, if `doc` is one.
pub(crate) fn pod_template_pointer(doc: &Json) -> Option<&'static str> {
    match doc.get("kind").and_then(Json::as_str)? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => Some("/spec/template"),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        _ => None,
    }
}

/// Whether pods of `template` in `namespace` get a Linkerd proxy: the pod asks for
/// injection, or its namespace does and the pod does not refuse it, or the proxy is
/// already in the template (the control plane, which `linkerd install` injects).
fn is_meshed(template: &Json, namespace: &str, injected_namespaces: &BTreeSet<String>) -> bool {
    let asked = template.pointer(&format!("/metadata{INJECT}")).and_then(Json::as_str);
    // The proxy is a container, or a native sidecar among the init containers.
    let has_proxy = ["/spec/containers", "/spec/initContainers"].iter().any(|list| {
        (template.pointer(list).and_then(Json::as_array)).is_some_and(|containers| {
            containers
                .iter()
                .any(|c| c.get("name") == Some(&"linkerd-proxy".into()))
        })
    });
    match asked {
        Some("enabled" | "ingress") => true,
        Some("disabled") => has_proxy,
        _ => has_proxy || injected_namespaces.contains(namespace),
    }
}

/// The namespaces among `docs` whose Namespace object asks for injection.
fn injected_namespaces(docs: &[Json]) -> BTreeSet<String> {
    docs.iter()
        .filter(|d| d.get("kind").and_then(Json::as_str) == Some("Namespace"))
        .filter(|d| d.pointer(&format!("/metadata{INJECT}")).and_then(Json::as_str) == Some("enabled"))
        .filter_map(|d| d.pointer("/metadata/name").and_then(Json::as_str).map(str::to_string))
        .collect()
}

/// Adds [`IDENTITY_ANNOTATION`] with `digest` to the pod template of every meshed
/// workload among `docs`, which are every object of one render. Returns how many.
pub(crate) fn annotate(docs: &mut [Json], digest: &str) -> usize {
    let injected = injected_namespaces(docs);
    let mut count = 0;
    for doc in docs.iter_mut() {
        let Some(pointer) = pod_template_pointer(doc) else {
            continue;
        };
        let namespace = doc
            .pointer("/metadata/namespace")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(template) = doc.pointer_mut(pointer) else {
            continue;
        };
        if !is_meshed(template, &namespace, &injected) {
            continue;
        }
        let Some(template) = template.as_object_mut() else {
            continue;
        };
        let metadata = template.entry("metadata").or_insert_with(|| Json::Object(Map::new()));
        let Some(metadata) = metadata.as_object_mut() else {
            continue;
        };
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Json::Object(Map::new()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(IDENTITY_ANNOTATION.to_string(), digest.into());
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workload(kind: &str, namespace: &str, pod_annotations: Json, containers: &[&str]) -> Json {
        let containers: Vec<Json> = containers.iter().map(|n| json!({"name": n})).collect();
        json!({
            "kind": kind,
            "metadata": {"name": "w", "namespace": namespace},
            "spec": {"template": {"metadata": {"annotations": pod_annotations}, "spec": {"containers": containers}}},
        })
    }

    #[test]
    fn meshed_pod_templates_are_annotated_and_others_are_not() {
        let mut docs = vec![
            json!({"kind": "Namespace", "metadata": {"name": "meshed", "annotations": {"linkerd.io/inject": "enabled"}}}),
            json!({"kind": "Namespace", "metadata": {"name": "plain"}}),
            workload("Deployment", "plain", json!({"linkerd.io/inject": "enabled"}), &["app"]),
            workload("StatefulSet", "meshed", json!({}), &["app"]),
            workload(
                "Deployment",
                "meshed",
                json!({"linkerd.io/inject": "disabled"}),
                &["app"],
            ),
            workload("Deployment", "plain", json!({}), &["app"]),
            workload("Deployment", "linkerd", json!({}), &["linkerd-proxy", "identity"]),
            json!({"kind": "Service", "metadata": {"name": "s", "namespace": "meshed"}}),
            json!({"kind": "CronJob", "metadata": {"name": "c", "namespace": "meshed"},
                   "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}),
        ];
        assert_eq!(annotate(&mut docs, "abc"), 4);
        let has = |i: usize, pointer: &str| {
            docs[i].pointer(&format!("{pointer}/metadata/annotations/meshgen.io~1identity-sha256"))
                == Some(&json!("abc"))
        };
        assert!(has(2, "/spec/template"), "asks for injection");
        assert!(has(3, "/spec/template"), "its namespace asks");
        assert!(!has(4, "/spec/template"), "refuses injection");
        assert!(!has(5, "/spec/template"), "not meshed");
        assert!(has(6, "/spec/template"), "the proxy is in the template");
        assert!(
            has(8, "/spec/jobTemplate/spec/template"),
            "a CronJob's pods, metadata created"
        );
    }
}
